"""The RI-CLPM: against the simulated truth, its own algebra, semopy, and bad input.

Agreement with lavaan's FIML is in test_riclpm_lavaan.py.
"""

import numpy as np
import pandas as pd
import pytest

from book.datasets.canonical import load_study
from book.estimation import fiml
from book.estimation.riclpm import (
    SMALL_SAMPLE_PATIENTS,
    _wide,
    fit_riclpm,
    riclpm_description,
    riclpm_paths,
)
from book.montecarlo import RICLPM_TERMS, error_free_alliance
from book.simulation.engine import simulate, true_effects
from book.simulation.parameters import SimulationParameters
from book.simulation.worlds import world


def truth_of(params) -> dict:
    """The simulation's true lagged effects under the RI-CLPM's names for them."""
    truth = true_effects(params)
    return {term: truth[key] for term, key in RICLPM_TERMS.items()}


@pytest.fixture(scope="module")
def canonical():
    return load_study()


@pytest.fixture(scope="module")
def big_riclpm_world():
    params = world("riclpm", n_therapists=250)  # with error_free_alliance, the model holds
    study = simulate(params, seed=12)
    return params, error_free_alliance(study)


@pytest.mark.slow
def test_fiml_recovers_every_lagged_effect_in_the_riclpm_world(big_riclpm_world):
    """2,000 patients in the model's own world: each of the four lagged effects within
    3 SE of the truth (SEs about 0.0085 for the autoregressions, 0.10 for alliance ->
    symptoms, 0.0006 for symptoms -> alliance)."""
    params, data = big_riclpm_world
    truth = truth_of(params)
    fit = fit_riclpm(data)
    assert fit.converged and fit.missing == "fiml"
    est = fit.estimates.set_index("term")
    for term in ("alliance_ar", "symptoms_ar", "alliance_to_symptoms", "symptoms_to_alliance"):
        assert abs(est.loc[term, "estimate"] - truth[term]) < 3 * est.loc[term, "std_error"]
    assert not any("large-sample" in m for m in fit.messages)


@pytest.mark.slow
def test_fiml_recovers_the_cross_lags_in_the_default_world():
    """2,000 patients, the default simulator with error-free alliance (individual symptom
    slopes, ruptures and varying effects, which the model leaves out): both cross-lags
    within 3 SE of the truth. (The symptoms' autoregression is not a target: individual
    slopes the model does not have inflate it, the BDI-II's measurement error deflates
    it.)"""
    params = SimulationParameters(n_therapists=250)
    data = error_free_alliance(simulate(params, seed=12))
    truth = truth_of(params)
    est = fit_riclpm(data).estimates.set_index("term")
    for term in ("alliance_to_symptoms", "symptoms_to_alliance"):
        assert abs(est.loc[term, "estimate"] - truth[term]) < 3 * est.loc[term, "std_error"]


@pytest.mark.slow
def test_observed_alliance_attenuates_the_effect():
    """Measurement error in the WAI-SR pulls alliance -> symptoms towards zero (2,000
    patients: about -2.09 with the latent alliance, -1.50 with the observed WAI-SR)."""
    study = simulate(SimulationParameters(n_therapists=250), seed=12)
    observed = fit_riclpm(study).coef("alliance_to_symptoms")
    latent = fit_riclpm(error_free_alliance(study)).coef("alliance_to_symptoms")
    assert latent + 0.3 < observed < 0


def test_implied_covariance_is_the_riclpms(canonical):
    """The engine's implied covariance equals the RI-CLPM's, computed directly: intercept
    covariance plus the within components' covariance from the VAR(1) recursion."""
    fit = fit_riclpm(canonical, n_waves=5)
    p = fit.model.parameters.set_index("name")["estimate"]
    B = np.array([[p["ar_a"], p["s_to_a"]], [p["a_to_s"], p["ar_s"]]])
    phi = np.array([[p["RI_A~~RI_A"], p["RI_A~~RI_S"]], [p["RI_A~~RI_S"], p["RI_S~~RI_S"]]])
    T = 5
    within = {}
    for t in range(1, T + 1):
        psi = np.array(
            [
                [p[f"wA{t}~~wA{t}"], p[f"wA{t}~~wS{t}"]],
                [p[f"wA{t}~~wS{t}"], p[f"wS{t}~~wS{t}"]],
            ]
        )
        within[t, t] = psi if t == 1 else B @ within[t - 1, t - 1] @ B.T + psi
    for t in range(1, T + 1):
        for s in range(1, t):
            within[t, s] = B @ within[t - 1, s]
    sigma = np.zeros((2 * T, 2 * T))
    for t in range(1, T + 1):
        for s in range(1, t + 1):
            block = phi + within[t, s]
            sigma[2 * t - 2 : 2 * t, 2 * s - 2 : 2 * s] = block
            sigma[2 * s - 2 : 2 * s, 2 * t - 2 : 2 * t] = block.T
    np.testing.assert_allclose(fit.model.implied_cov, sigma, rtol=1e-10, atol=1e-12)


def test_pairwise_agrees_with_semopy(canonical):
    """missing='pairwise' is ML on the pairwise covariance matrix, as the book's earlier
    semopy fit was: semopy, given the same syntax and matrix, finds the same lagged
    effects (its optimiser stops within about 1e-4 of the optimum)."""
    import semopy

    from book._threads import single_thread

    fit = fit_riclpm(canonical, missing="pairwise")
    df = canonical.sessions
    sd_a, sd_s = float(df["alliance"].std()), float(df["bdi"].std())
    wide = _wide(df.astype({"bdi": "float64"}), 12)
    scaled = wide / np.where(wide.columns.str.startswith("A"), sd_a, sd_s)
    model = semopy.Model(riclpm_description(12))
    with single_thread():
        model.fit(cov=scaled.cov(), n_samples=len(wide), solver="SLSQP")
    table = model.inspect()

    def semopy_estimate(lval, rval):
        row = table[(table["lval"] == lval) & (table["rval"] == rval) & (table["op"] == "~")]
        return float(row["Estimate"].iloc[0])

    expected = {
        "alliance_ar": semopy_estimate("wA2", "wA1"),
        "symptoms_ar": semopy_estimate("wS2", "wS1"),
        "alliance_to_symptoms": semopy_estimate("wS2", "wA1") * sd_s / sd_a,
        "symptoms_to_alliance": semopy_estimate("wA2", "wS1") * sd_a / sd_s,
    }
    for term, value in expected.items():
        assert fit.coef(term) == pytest.approx(value, rel=2e-3, abs=1e-4)


def test_fiml_and_pairwise_differ_on_the_canonical_study(canonical):
    """The known figures on the canonical study (seed 325, the calibrated defaults): FIML
    about -2.90, pairwise about -3.05 BDI-II points per WAI-SR point (truth -4.87; the
    WAI-SR's measurement error attenuates both); FIML's standard error is the larger (it
    does not pretend that missing sessions were observed)."""
    fiml_fit = fit_riclpm(canonical)
    pairwise = fit_riclpm(canonical, missing="pairwise")
    assert fiml_fit.coef("alliance_to_symptoms") == pytest.approx(-2.90, abs=0.01)
    assert pairwise.coef("alliance_to_symptoms") == pytest.approx(-3.05, abs=0.01)
    se = {
        f.missing: f.estimates.set_index("term").loc["alliance_to_symptoms", "std_error"]
        for f in (fiml_fit, pairwise)
    }
    assert se["fiml"] > se["pairwise"]
    assert "full-information" in fiml_fit.messages[-1]
    assert "pairwise" in pairwise.messages[-1]


def test_output_columns_and_sizes(canonical):
    fit = fit_riclpm(canonical)
    assert list(fit.estimates.columns) == [
        "term",
        "estimate",
        "std_error",
        "ci_low",
        "ci_high",
        "p_value",
    ]
    assert fit.estimates["term"].tolist() == [
        "alliance_ar",
        "symptoms_ar",
        "alliance_to_symptoms",
        "symptoms_to_alliance",
    ]
    # every patient with at least one observed score counts
    has_data = canonical.sessions.dropna(subset=["alliance", "bdi"], how="all")
    assert fit.n_patients == has_data["patient_id"].nunique() and fit.n_waves == 12
    row = fit.estimates.iloc[2]
    assert row["ci_high"] - row["estimate"] == pytest.approx(1.959964 * row["std_error"])
    assert "full-information ML" in fit.summary()


def test_any_patient_id_works(canonical):
    """Patient ids as text (as a reader's file may hold them) give the same fit."""
    sessions = canonical.sessions.assign(patient_id=lambda d: "P" + d["patient_id"].astype(str))
    assert fit_riclpm(sessions).coef("alliance_to_symptoms") == pytest.approx(
        fit_riclpm(canonical).coef("alliance_to_symptoms"), abs=1e-6
    )


def test_few_patients_are_warned_about():
    """24 patients (three therapists): the fit runs but says its p-values are not to be
    trusted; 240 patients: no such note."""
    study = simulate(SimulationParameters(n_therapists=3), seed=3)
    fit = fit_riclpm(study)
    assert fit.n_patients == 24 < SMALL_SAMPLE_PATIENTS
    assert any("only 24 patients" in m and "large-sample" in m for m in fit.messages)
    assert "only 24 patients" in fit.summary()
    assert not any("large-sample" in m for m in fit_riclpm(load_study()).messages)


def test_a_model_the_data_cannot_identify_is_refused(canonical):
    """8 patients over 12 sessions (67 parameters): the likelihood has no proper maximum,
    and the fit refuses, in words; so it does with two patients, and with one session
    too few."""
    eight = simulate(SimulationParameters(n_therapists=1), seed=3)
    with pytest.raises(ValueError, match="cannot be fitted to these data.*do not identify"):
        fit_riclpm(eight)
    two = canonical.sessions[canonical.sessions["patient_id"].isin([1, 2])]
    with pytest.raises(ValueError, match="cannot be fitted to these data"):
        fit_riclpm(two)
    two_sessions = canonical.sessions[canonical.sessions["session"] <= 2]
    with pytest.raises(ValueError, match="n_waves must be an integer from 3"):
        fit_riclpm(two_sessions)


def test_input_errors(canonical):
    with pytest.raises(ValueError, match=r"column\(s\) \['bdi'\] not in data"):
        fit_riclpm(canonical.sessions.drop(columns="bdi"))
    with pytest.raises(ValueError, match="n_waves must be an integer from 3"):
        fit_riclpm(canonical, n_waves=20)
    with pytest.raises(ValueError, match="missing must be 'fiml' or 'pairwise'"):
        fit_riclpm(canonical, missing="listwise")
    with pytest.raises(ValueError, match="alpha must be"):
        fit_riclpm(canonical, alpha=5)
    with pytest.raises(TypeError, match="Study or a pandas DataFrame"):
        fit_riclpm([1, 2, 3])
    with pytest.raises(ValueError, match="duplicate"):
        fit_riclpm(pd.concat([canonical.sessions, canonical.sessions.head(1)]))
    with pytest.raises(ValueError, match="finite"):
        fit_riclpm(canonical.sessions.assign(alliance=np.inf))


def test_a_measure_that_does_not_vary_is_refused(canonical):
    sessions = canonical.sessions
    with pytest.raises(ValueError, match="alliance does not vary"):
        fit_riclpm(sessions.assign(alliance=4.0))
    with pytest.raises(ValueError, match="bdi does not vary"):
        fit_riclpm(sessions.assign(bdi=20.0))


def test_an_optimiser_that_fails_is_reported(canonical, monkeypatch):
    """Both optimisers made to report failure: the fit must say so, not pass the numbers
    on silently."""
    bfgs, newton = fiml._bfgs, fiml._newton
    monkeypatch.setattr(fiml, "_bfgs", lambda *a, **k: (*bfgs(*a, **k)[:2], False))
    monkeypatch.setattr(fiml, "_newton", lambda *a, **k: (*newton(*a, **k)[:2], False))
    fit = fit_riclpm(canonical)
    assert not fit.converged
    assert "did not reach a maximum" in fit.messages[0]
    assert "converged: NO" in fit.summary()


def test_description_and_paths_say_what_the_model_is():
    text = riclpm_description(4)
    lines = text.splitlines()
    assert lines[0] == "RI_A =~ 1*A1 + 1*A2 + 1*A3 + 1*A4"
    assert "wS4 ~ ar_s*wS3 + a_to_s*wA3" in lines
    assert "RI_A ~~ RI_A + RI_S + 0*wA1 + 0*wS1" in lines  # apart from the first states
    paths = riclpm_paths(4)
    lagged = paths[paths["op"] == "~"]
    assert len(lagged) == 4 * 3 and set(lagged["label"]) == {"ar_a", "ar_s", "a_to_s", "s_to_a"}
    assert (paths["meaning"] != "").all()
    fixed = paths[~paths["free"]]
    assert set(fixed["value"]) == {0.0, 1.0}
    with pytest.raises(ValueError, match="at least 3"):
        riclpm_paths(2)


@pytest.mark.slow
def test_fiml_covers_under_dropout_at_random_where_pairwise_fails():
    """20 studies of 240 patients in the RI-CLPM's world with dropout at random given the
    symptom change last reported (the simulator's 'mar' mechanism, odds ratio 1.5 per
    BDI-II point). FIML: the symptoms' autoregression unbiased (within 3 Monte Carlo SE
    plus 0.01) and the 95% intervals of the four lagged effects, pooled, covering the
    truth in at least 85% of cases (seen: 0.91; nominal 0.95, Monte Carlo SE about 0.03).
    Pairwise fails: either its covariance matrix is not positive definite (with the
    calibrated defaults it is not, in every study seen), or its pooled coverage is at most
    75% (seen with the former defaults: 0.59), its standard errors pretending that every
    patient attended every session."""
    params = world(
        "riclpm",
        dropout_mechanism="mar",
        dropout_worsening_odds_ratio=1.5,
        dropout_hazard=0.01,
    )
    truth = truth_of(params)
    rows, pairwise_failed = [], 0
    for seed in range(20):
        data = error_free_alliance(simulate(params, seed=seed))
        for missing in ("fiml", "pairwise"):
            try:
                est = fit_riclpm(data, missing=missing).estimates
            except ValueError:  # pairwise: a covariance matrix that is not positive definite
                pairwise_failed += missing == "pairwise"
                continue
            rows.append(est.assign(missing=missing, truth=est["term"].map(truth)))
    draws = pd.concat(rows)
    draws["covers"] = (draws["ci_low"] <= draws["truth"]) & (draws["truth"] <= draws["ci_high"])
    ar = draws[(draws["term"] == "symptoms_ar") & (draws["missing"] == "fiml")]["estimate"]
    assert abs(ar.mean() - truth["symptoms_ar"]) < 3 * ar.std() / np.sqrt(len(ar)) + 0.01
    coverage = draws.groupby("missing")["covers"].mean()
    assert coverage["fiml"] >= 0.85
    assert pairwise_failed >= 10 or coverage["pairwise"] <= 0.75
