"""The lagged multilevel model: tidy output, flags, bad input, fast = statsmodels, bias.

Ground truth: book.simulation.engine.true_effects (the simulation's parameters in the
models' units, keyed by the model's terms): -2.0 BDI-II points per WAI-SR point
of within-patient alliance, -1.87 per IIP point for the interaction.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.stats
import statsmodels.api as sm
from statsmodels.regression.mixed_linear_model import MixedLMParams

from book.datasets.canonical import load_study
from book.estimation.multilevel import (
    ModelFitWarning,
    _design,
    build_model_frame,
    fit_lagged_model,
    fit_pooled_regression,
)
from book.estimation.reml import fit_reml
from book.montecarlo.panels import error_free_alliance
from book.simulation.engine import simulate, true_effects
from book.simulation.parameters import SimulationParameters

TIDY = ["term", "estimate", "std_error", "ci_low", "ci_high", "p_value"]


@pytest.fixture(scope="module")
def canonical():
    return load_study()


@pytest.fixture(scope="module")
def rank_one():
    """A study of the defaults (seed 1) whose default fit is singular with a rank-one
    random-effects covariance: both variances positive, correlated at 1."""
    return simulate(seed=1)


@pytest.fixture(scope="module")
def big():
    """One large study (2,000 patients) and its error-free twin."""
    study = simulate(SimulationParameters(n_therapists=250), seed=11)
    return study, error_free_alliance(study)


def test_tidy_tables_have_documented_columns(canonical):
    fit = fit_lagged_model(canonical)
    assert list(fit.fixed_effects.columns) == TIDY
    assert list(fit.variance_components.columns) == ["component", "estimate"]
    assert fit.fixed_effects["term"].tolist() == [
        "Intercept",
        "bdi_c",
        "alliance_within",
        "alliance_between_c",
        "iip_c",
        "alliance_within:iip_c",
    ]
    # the model frame is what the model saw: refitting it with statsmodels'
    # own formula machinery gives the same design
    model = sm.MixedLM.from_formula(
        fit.formula, data=fit.data, groups=fit.data["patient_id"], re_formula=fit.re_formula
    )
    assert model.exog.shape == (fit.n_observations, 6)
    assert fit.n_patients == fit.data["patient_id"].nunique()
    assert list(fit_pooled_regression(canonical).columns) == TIDY


def test_ci_and_p_value_follow_from_estimate_and_se(canonical):
    fe = fit_lagged_model(canonical).fixed_effects
    assert np.allclose(fe["ci_high"] - fe["estimate"], 1.959964 * fe["std_error"])
    z = fe["estimate"] / fe["std_error"]
    assert np.allclose(fe["p_value"], 2 * scipy.stats.norm.sf(np.abs(z)))


def test_canonical_fit_is_flagged_singular(canonical):
    fit = fit_lagged_model(canonical)
    assert fit.converged and fit.singular
    assert any("singular" in m for m in fit.messages)


@pytest.mark.slow
def test_fast_reaches_a_higher_reml_likelihood_than_statsmodels_default(canonical):
    """On the canonical study statsmodels' default optimiser stops short of the maximum."""
    fast = fit_lagged_model(canonical)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        slow = fit_lagged_model(canonical, engine="statsmodels")
    assert fast.loglike >= slow.loglike - 1e-6


def test_statsmodels_started_at_the_fast_solution_stays_there(rank_one):
    """The fast optimum of a singular fit is an optimum of statsmodels' criterion too.

    From its default start statsmodels' optimiser can stop at a lower REML
    log-likelihood on such a study (on the earlier canonical study, about -6230
    against -6224.6, with its default method list or with method="lbfgs" alone).
    Started at the fast fit's solution it must find nothing better nearby:
    same log-likelihood, same fixed effects to 4 decimals. The fit is
    singular (random intercept and slope correlate at 1), where statsmodels
    cannot evaluate its likelihood (it inverts the random-effects
    covariance), so it starts a relative 1e-6 inside, on each variance; that
    moves the log-likelihood by about 1e-7.
    """
    fast = fit_lagged_model(rank_one)
    vc = fast.variance_components["estimate"].to_numpy()
    cov_re = np.array([[vc[0], vc[2]], [vc[2], vc[1]]])
    scale = vc[3]
    assert fast.singular and np.linalg.matrix_rank(cov_re / scale, tol=1e-10) == 1
    psi = cov_re / scale + 1e-6 * np.diag(np.diag(cov_re / scale))
    start = MixedLMParams.from_components(
        fe_params=fast.fixed_effects["estimate"].to_numpy(), cov_re=psi
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        warm = fast.model.fit(reml=True, start_params=start, method="lbfgs")
    assert warm.converged
    assert warm.llf == pytest.approx(fast.loglike, abs=1e-4)
    np.testing.assert_allclose(
        warm.fe_params.to_numpy(), fast.fixed_effects["estimate"].to_numpy(), atol=1e-4
    )
    np.testing.assert_allclose(warm.cov_re.to_numpy(), cov_re, rtol=1e-3)
    assert warm.scale == pytest.approx(scale, rel=1e-4)


def test_fast_equals_statsmodels_to_four_decimals():
    """A study where the REML optimum is interior and statsmodels' default converges.

    Steeper, more varied symptom trajectories give the random intercept a
    variance the data can see, and a larger spread of the alliance effect
    gives the random slope one. statsmodels stops at a gradient tolerance
    that fixes the fixed effects to about 1e-5 and the variances to about
    1e-3, so those are the tolerances.
    """
    params = SimulationParameters(
        n_therapists=10,
        symptom_slope_sd=2.0,
        alliance_to_symptoms_sd=0.2,
        item_error_sd=0.2,
        rupture_rate=0.0,
        symptom_error_sd=0.0,
    )
    study = simulate(params, seed=2)
    fast = fit_lagged_model(study)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        slow = fit_lagged_model(study, engine="statsmodels")
    assert slow.converged and fast.converged and not fast.singular
    np.testing.assert_allclose(
        fast.fixed_effects["estimate"], slow.fixed_effects["estimate"], atol=1e-4
    )
    np.testing.assert_allclose(
        fast.variance_components["estimate"], slow.variance_components["estimate"], rtol=1e-2
    )
    assert fast.loglike == pytest.approx(slow.loglike, abs=1e-5)
    # standard errors of the alliance terms: model-based here, inverse of the
    # joint Hessian in statsmodels; they agree within a few per cent
    se = pd.DataFrame(
        {"fast": fast.fixed_effects["std_error"], "slow": slow.fixed_effects["std_error"]}
    )
    se.index = fast.fixed_effects["term"]
    terms = ["alliance_within", "alliance_between_c", "alliance_within:iip_c"]
    np.testing.assert_allclose(se.loc[terms, "fast"], se.loc[terms, "slow"], rtol=0.05)


def test_reml_matches_a_hand_computed_random_intercept_model():
    """Balanced one-way layout: the REML variance components have closed forms."""
    rng = np.random.default_rng(3)
    k, n = 30, 5
    u = rng.normal(0, 1.5, k)
    y = (u[:, None] + rng.normal(0, 1.0, (k, n))).ravel()
    g = np.repeat(np.arange(k), n)
    fit = fit_reml(y, np.ones((k * n, 1)), np.ones((k * n, 1)), g)
    means = y.reshape(k, n).mean(axis=1)
    msw = ((y.reshape(k, n) - means[:, None]) ** 2).sum() / (k * (n - 1))
    msb = n * ((means - means.mean()) ** 2).sum() / (k - 1)
    assert fit.scale == pytest.approx(msw, rel=1e-6)
    assert fit.cov_re[0, 0] == pytest.approx((msb - msw) / n, rel=1e-5)
    assert fit.fe_params[0] == pytest.approx(y.mean())


def test_non_convergence_is_reported(canonical):
    with pytest.warns(ModelFitWarning, match="did not converge"):
        fit = fit_lagged_model(canonical, maxiter=1)
    assert not fit.converged
    assert "did not converge" in fit.messages[0]
    assert "converged: NO" in fit.summary()


def _toy():
    rng = np.random.default_rng(0)
    rows = [
        (p, s, float(rng.integers(5, 40)), float(rng.uniform(2, 5)), 1.0 + p / 10)
        for p in range(1, 7)
        for s in range(1, 5)
    ]
    return pd.DataFrame(rows, columns=["patient_id", "session", "bdi", "alliance", "iip"])


def test_bad_input_gives_clear_errors():
    d = _toy()
    with pytest.raises(ValueError, match=r"column\(s\) \['iip'\] not in data"):
        fit_lagged_model(d.drop(columns="iip"))
    with pytest.raises(ValueError, match="only one session"):
        fit_lagged_model(d[d["session"] == 1])
    with pytest.raises(ValueError, match="constant within every patient"):
        fit_lagged_model(d.assign(alliance=4.0))
    with pytest.raises(ValueError, match="iip must be constant within each patient"):
        fit_lagged_model(d.assign(iip=np.arange(len(d), dtype=float)))
    with pytest.raises(ValueError, match="direction must be one of"):
        fit_lagged_model(d, direction="both")
    with pytest.raises(ValueError, match="random_effects must be one of"):
        fit_lagged_model(d, random_effects="slope")
    with pytest.raises(TypeError, match="Study .* or a pandas DataFrame"):
        fit_lagged_model([1, 2, 3])


def test_patient_with_one_session_is_left_out_and_named():
    d = _toy()
    d = d[~((d["patient_id"] == 2) & (d["session"] > 1))]
    frame, _, notes = build_model_frame(d)
    assert 2 not in set(frame["patient_id"])
    assert "[2]" in notes[0]


def test_fit_with_a_one_session_patient_leaves_them_out_and_says_so():
    d = _toy()
    d = d[~((d["patient_id"] == 2) & (d["session"] > 1))]
    fit = fit_lagged_model(d, random_effects="intercept")
    assert fit.n_patients == 5 and 2 not in set(fit.data["patient_id"])
    assert fit.messages[0].startswith("1 patient(s) without a complete pair")
    assert fit.messages[0].endswith("[2]")
    # the fit is the fit of the other patients alone
    alone = fit_lagged_model(d[d["patient_id"] != 2], random_effects="intercept")
    assert not any("left out" in m for m in alone.messages)
    np.testing.assert_allclose(
        fit.fixed_effects["estimate"], alone.fixed_effects["estimate"], atol=1e-10
    )


def test_lags_follow_session_numbers():
    d = _toy()
    d = d[~((d["patient_id"] == 1) & (d["session"] == 3))]  # a missed session
    frame, _, _ = build_model_frame(d)
    p1 = frame[frame["patient_id"] == 1]
    assert p1["session"].tolist() == [1]  # session 2 has no session 3; 4 has no 5


def test_multilevel_bias_has_the_sign_and_size_the_chapter_reports(big):
    """Error-free alliance, 2,000 patients: the MLM is pulled towards zero.

    The results store's large studies (book.montecarlo.results, ``large_studies``)
    give a bias of about a sixth of the truth (-4.87 BDI-II points per WAI-SR
    point); here one estimate's SE is about 0.25, so 5% to 35% of the truth is
    the claim with room of about 3 SE either side. With the observed (noisy)
    WAI-SR the estimate is attenuated further.
    """
    study, error_free = big
    truth = true_effects(study.truth.params)["alliance_within"]
    clean = fit_lagged_model(error_free).coef("alliance_within")
    noisy = fit_lagged_model(study).coef("alliance_within")
    assert 0.05 * abs(truth) < clean - truth < 0.35 * abs(truth)
    assert noisy - truth > clean - truth + 0.2


def test_detrended_model_recovers_the_true_interaction(big):
    """Error-free alliance, detrended: the IIP moderation within 3 SE (SE about 0.2)."""
    study, error_free = big
    truth = true_effects(study.truth.params)["alliance_within:iip_c"]
    fe = fit_lagged_model(error_free, detrend=True).fixed_effects.set_index("term")
    est, se = fe.loc["alliance_within:iip_c", ["estimate", "std_error"]]
    assert abs(est - truth) < 3 * se
    # with the observed WAI-SR the interaction keeps its sign but shrinks
    noisy = fit_lagged_model(study, detrend=True).coef("alliance_within:iip_c")
    assert truth < noisy < 0


# --------------------------------------------------------------------------
# the same model, built without patsy; readers' own files (issue 20)


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"detrend": True}, {"direction": "symptoms_to_alliance"}, {"random_effects": "intercept"}],
)
def test_design_matrices_are_statsmodels_formula_matrices(canonical, kwargs):
    """The fast path builds X and Z itself; they equal statsmodels' (patsy's), column by column."""
    fit = fit_lagged_model(canonical, **kwargs)
    y, X, Z, fe_names, re_names = _design(fit.data, fit.formula, fit.re_formula)
    model = fit.model  # built on first use, from the formulas and the model frame
    assert fe_names == list(model.exog_names) == fit.fixed_effects["term"].tolist()
    assert re_names[1:] == list(model.data.exog_re_names)[1:]
    np.testing.assert_array_equal(X, model.exog)
    np.testing.assert_array_equal(Z, model.exog_re)
    np.testing.assert_array_equal(y, model.endog)


def _with_ids(d, ids):
    return d.assign(patient_id=d["patient_id"].map(dict(zip(range(1, 7), ids, strict=True))))


@pytest.mark.parametrize(
    "ids",
    [
        ["P149", "P2", "P3", "P4", "P5", "P6"],  # text
        [10**19 + k for k in range(6)],  # 20 digits: beyond int64
        ["A", 2, "C", 4.5, "E", 6],  # a mixture
    ],
    ids=["text", "twenty digits", "mixed"],
)
def test_any_patient_id_works_when_a_patient_is_left_out(ids):
    """Issue 20: string ids failed with "invalid literal for int()" once a patient was left out."""
    d = _toy()
    d = d[~((d["patient_id"] == 2) & (d["session"] > 1))]  # patient 2: one session only
    numbered = fit_lagged_model(d, random_effects="intercept")
    named = fit_lagged_model(_with_ids(d, ids), random_effects="intercept")
    np.testing.assert_allclose(
        named.fixed_effects["estimate"], numbered.fixed_effects["estimate"], rtol=1e-10
    )
    assert repr(ids[1]) in named.messages[0]
    assert set(named.random_effects["patient_id"]) == set(ids) - {ids[1]}


def test_a_patient_without_iip_is_reported_as_such():
    """Issue 20: a patient dropped for a missing IIP was reported as "one session only"."""
    d = _toy()
    d.loc[d["patient_id"] == 3, "iip"] = np.nan
    fit = fit_lagged_model(d, random_effects="intercept")
    assert 3 not in set(fit.data["patient_id"])
    assert fit.messages[0] == (
        "1 patient(s) without an IIP score (interpersonal problems at intake) were left out: [3]"
    )
    assert not any("consecutive sessions" in m for m in fit.messages)


@pytest.mark.parametrize("column", ["bdi", "alliance", "iip"])
def test_infinite_values_are_named(column):
    """Issue 20: an infinite score raised an error from patsy."""
    d = _toy()
    d.loc[4, column] = np.inf
    with pytest.raises(
        ValueError, match=rf"column '{column}' has 1 infinite value\(s\) \(rows \[4\]\)"
    ):
        fit_lagged_model(d)


def test_missing_patient_ids_are_refused():
    d = _toy()
    d["patient_id"] = d["patient_id"].astype(object)
    d.loc[2, "patient_id"] = None
    with pytest.raises(ValueError, match="'patient_id' has 1 missing value"):
        fit_lagged_model(d)


def _pairs(n_sessions: int, n_patients: int = 40) -> pd.DataFrame:
    """Every patient with exactly n_sessions consecutive sessions."""
    rng = np.random.default_rng(5)
    n = n_patients * n_sessions
    return pd.DataFrame(
        {
            "patient_id": np.repeat(np.arange(n_patients), n_sessions),
            "session": np.tile(np.arange(1, n_sessions + 1), n_patients),
            "bdi": rng.normal(20, 5, n),
            "alliance": rng.normal(4, 0.5, n),
            "iip": np.repeat(rng.normal(1.6, 0.5, n_patients), n_sessions),
        }
    )


def test_one_pair_of_sessions_per_patient_is_refused():
    """Issue 20: one pair per patient was reported as a converged, non-singular fit.

    With one observation per patient the random intercept cannot be told apart
    from the residual, whatever the random part: lme4 refuses such data too.
    """
    for random_effects in ("intercept+slope", "intercept"):
        with pytest.raises(ValueError, match="single pair of consecutive sessions"):
            fit_lagged_model(_pairs(2), random_effects=random_effects)


def test_two_pairs_per_patient_identify_a_random_intercept_but_not_a_slope():
    with pytest.raises(ValueError, match="random_effects='intercept'"):
        fit_lagged_model(_pairs(3))
    fit = fit_lagged_model(_pairs(3), random_effects="intercept")
    assert fit.n_observations == 80 and fit.converged
    # with three pairs each, the slope is identified, if weakly: said in the notes
    assert not any("rest on" in m for m in fit_lagged_model(_pairs(4)).messages)


def test_a_weak_design_is_said():
    d = _pairs(4)
    d = d[(d["patient_id"] < 10) | (d["session"] <= 3)]  # most patients: two pairs
    fit = fit_lagged_model(d)
    assert any("30 of the 40 patients contribute no more session pairs" in m for m in fit.messages)


def test_a_singular_fit_is_reported_on_the_boundary(canonical, rank_one):
    """At a singular fit the unconstrained optimiser stops a hair inside the
    boundary (a variance of 1e-18, a correlation of 0.9999999999995), values
    that print differently from run to run. fit_reml refits on the boundary, as
    lme4 reports it: the random-intercept variance is exactly zero, and the two
    random effects of the default model are perfectly correlated."""
    intercept_only = fit_lagged_model(canonical, random_effects="intercept")
    assert intercept_only.singular
    assert intercept_only.variance_components["estimate"].iloc[0] == 0.0
    default = fit_lagged_model(rank_one)
    var_i, var_s, cov = default.variance_components["estimate"].to_numpy()[:3]
    assert default.singular and var_i > 0 and var_s > 0
    assert abs(cov / np.sqrt(var_i * var_s)) == pytest.approx(1.0, abs=1e-14)


def test_a_large_singular_fit_at_its_optimum_is_converged():
    """With about 20,000 session pairs the criterion is so curved that its gradient
    stays near 0.002 at an optimum fixed to seven digits (BFGS stops on precision
    loss). Such a fit was reported as not converged, and the Monte Carlo runner
    dropped it; the Newton step from the estimate (< 1e-5) is what decides now."""
    from book.montecarlo.panels import chunk_seed, simulate_panels

    params = SimulationParameters(n_therapists=250)
    panels = simulate_panels(params, 8, seed=chunk_seed(2023, params, 0)).error_free()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a ModelFitWarning fails the test
        fit = fit_lagged_model(panels.long(4), detrend=True)
    assert fit.converged and fit.singular
