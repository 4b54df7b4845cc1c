"""The simulator's latent parts match their parameters on a large sample.

Each check compares an estimate from a large simulated study (20,000
patients) with the parameter that generated it, with a tolerance of four
Monte Carlo standard errors (computed from the sample, or from theory where
noted). A check at 4 SE fails by chance about once in 16,000 runs, and the
seed is fixed, so a failure means the simulator is wrong.
"""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from book.simulation.engine import simulate
from book.simulation.parameters import SimulationParameters

N_PATIENTS = 20_000
Z = 4.0  # tolerance in standard errors


@pytest.fixture(scope="module")
def big():
    params = SimulationParameters(n_therapists=500, patients_per_therapist=40)
    return simulate(params, seed=12345)


@pytest.fixture(scope="module")
def big_no_ruptures():
    params = SimulationParameters(n_therapists=500, patients_per_therapist=40, rupture_rate=0.0)
    return simulate(params, seed=54321)


def _within_close(estimate, target, se, what):
    assert abs(estimate - target) < Z * se, (
        f"{what}: estimate {estimate:.4f} vs parameter {target:.4f} "
        f"(difference {estimate - target:+.4f}, allowed {Z * se:.4f} = {Z} SE)"
    )


def _corr_se(r, n):
    return (1 - r**2) / np.sqrt(n - 1)


def test_sample_size(big):
    assert len(big.patients) == N_PATIENTS


def test_trait_sd(big):
    p = big.truth.params
    trait = big.truth.patients["trait_alliance"]
    # SE of a normal SD: sigma / sqrt(2(n-1))
    _within_close(trait.std(), p.trait_sd, p.trait_sd / np.sqrt(2 * (len(trait) - 1)), "trait SD")
    _within_close(trait.mean(), p.alliance_mean, p.trait_sd / np.sqrt(len(trait)), "trait mean")


@pytest.mark.parametrize(
    ("column", "parameter"),
    [
        ("iip", "r_trait_iip"),
        ("avoidance", "r_trait_avoidance"),
        ("self_esteem", "r_trait_self_esteem"),
    ],
)
def test_trait_correlates(big, column, parameter):
    p = big.truth.params
    target = getattr(p, parameter)
    r = np.corrcoef(big.truth.patients["trait_alliance"], big.patients[column])[0, 1]
    # the observed scale is rounded and clipped; that costs < 0.01 of correlation
    _within_close(r, target, _corr_se(target, N_PATIENTS), f"trait correlation with {column}")


def test_therapist_share(big):
    p = big.truth.params
    share = big.truth.patients["therapist_effect"].var() / p.trait_sd**2
    # 500 therapists: the variance of 500 normal effects has SE sqrt(2/(J-1)) relative
    _within_close(
        share,
        p.therapist_share,
        p.therapist_share * np.sqrt(2 / 499),
        "therapist share of trait variance",
    )


def test_trait_predicts_improvement(big):
    p = big.truth.params
    r = np.corrcoef(big.truth.patients["trait_alliance"], -big.truth.patients["symptom_slope"])[
        0, 1
    ]
    _within_close(
        r,
        p.r_trait_improvement,
        _corr_se(p.r_trait_improvement, N_PATIENTS),
        "trait alliance vs rate of improvement",
    )


def _lagged(big):
    """Latent states with their values one session earlier, sessions 2..T."""
    t = big.truth.sessions.merge(big.truth.patients[["patient_id", "iip_z"]], on="patient_id")
    t = t.sort_values(["patient_id", "session"])
    g = t.groupby("patient_id")
    t["a_total"] = t["alliance_state"] + t["rupture_drop"]
    for col in ("alliance_state", "symptoms_state", "a_total"):
        t[f"{col}_lag"] = g[col].shift(1)
    return t.dropna(subset=["alliance_state_lag"])


def _ols(y, columns):
    return sm.OLS(y, sm.add_constant(np.column_stack(columns))).fit()


@pytest.fixture(scope="module")
def big_same_session_path():
    params = SimulationParameters(
        n_therapists=500,
        patients_per_therapist=40,
        rupture_rate=0.0,
        symptoms_to_alliance_same_session=-0.2,
    )
    return simulate(params, seed=54322)


@pytest.mark.parametrize("world", ["big_no_ruptures", "big_same_session_path"])
def test_within_sds(world, request):
    """Without ruptures, the states have exactly the stationary SDs of the parameters,
    also when symptoms act on the alliance within the session."""
    study = request.getfixturevalue(world)
    p = study.truth.params
    last = study.truth.sessions.query("session == @p.n_sessions")
    n = len(last)
    for col, target in (("alliance_state", p.state_sd), ("symptoms_state", p.symptom_state_sd)):
        _within_close(last[col].std(), target, target / np.sqrt(2 * (n - 1)), f"SD of {col}")


def test_alliance_autoregression_and_reverse_effect(big):
    p = big.truth.params
    t = _lagged(big)
    fit = _ols(
        t["alliance_state"] / p.state_sd,
        [t["alliance_state_lag"] / p.state_sd, t["symptoms_state_lag"] / p.symptom_state_sd],
    )
    _within_close(fit.params.iloc[1], p.alliance_ar, fit.bse.iloc[1], "alliance autoregression")
    _within_close(
        fit.params.iloc[2], p.symptoms_to_alliance, fit.bse.iloc[2], "symptoms(t) -> alliance(t+1)"
    )


def test_alliance_to_symptoms_and_moderation(big):
    p = big.truth.params
    t = _lagged(big)
    a = t["a_total_lag"] / p.state_sd
    fit = _ols(
        t["symptoms_state"] / p.symptom_state_sd,
        [t["symptoms_state_lag"] / p.symptom_state_sd, a, a * t["iip_z"]],
    )
    _within_close(fit.params.iloc[1], p.symptom_ar, fit.bse.iloc[1], "symptom autoregression")
    _within_close(
        fit.params.iloc[2], p.alliance_to_symptoms, fit.bse.iloc[2], "alliance(t) -> symptoms(t+1)"
    )
    _within_close(
        fit.params.iloc[3],
        p.alliance_to_symptoms_iip,
        fit.bse.iloc[3],
        "moderation of that effect by IIP",
    )


def test_patient_alliance_effects(big):
    p = big.truth.params
    tp = big.truth.patients
    fit = _ols(tp["alliance_effect_std"], [tp["iip_z"]])
    _within_close(
        fit.params.iloc[0], p.alliance_to_symptoms, fit.bse.iloc[0], "mean patient alliance effect"
    )
    _within_close(
        fit.params.iloc[1],
        p.alliance_to_symptoms_iip,
        fit.bse.iloc[1],
        "IIP slope of patient alliance effects",
    )
    resid_sd = np.sqrt(fit.mse_resid)
    _within_close(
        resid_sd,
        p.alliance_to_symptoms_sd,
        p.alliance_to_symptoms_sd / np.sqrt(2 * N_PATIENTS),
        "SD of alliance effects",
    )
    raw = tp["alliance_effect"] / tp["alliance_effect_std"]
    np.testing.assert_allclose(raw, p.symptom_state_sd / p.state_sd)


def test_rupture_rate_and_iip(big):
    p = big.truth.params
    n, T = N_PATIENTS, p.n_sessions
    events = big.truth.ruptures
    # expected rate: E over IIP ~ N(0,1) of logistic(logit(p0) + log(OR) z), by quadrature
    nodes, weights = np.polynomial.hermite_e.hermegauss(60)
    logit0 = np.log(p.rupture_rate / (1 - p.rupture_rate))
    expected = np.sum(
        weights * stats.logistic.cdf(logit0 + np.log(p.rupture_iip_odds_ratio) * nodes)
    ) / np.sqrt(2 * np.pi)
    trials = n * (T - 1)
    rate = len(events) / trials
    _within_close(rate, expected, np.sqrt(expected * (1 - expected) / trials), "rupture rate")

    # logistic regression of a rupture on IIP recovers the odds ratio
    occurs = np.zeros((n, T), dtype=bool)
    occurs[events["patient_id"] - 1, events["session"] - 1] = True
    y = occurs[:, 1:].reshape(-1)
    x = np.repeat(big.truth.patients["iip_z"].to_numpy(), T - 1)
    fit = sm.Logit(y, sm.add_constant(x)).fit(disp=0)
    _within_close(
        fit.params[1],
        np.log(p.rupture_iip_odds_ratio),
        fit.bse[1],
        "log odds ratio of rupture per SD of IIP",
    )


@pytest.mark.parametrize("trained", [True, False])
def test_repair_by_training(big, trained):
    p = big.truth.params
    events = big.truth.ruptures[big.truth.ruptures["therapist_trained"] == trained]
    target = p.repair_prob_trained if trained else p.repair_prob_untrained
    share = events["repaired"].mean()
    _within_close(
        share,
        target,
        np.sqrt(target * (1 - target) / len(events)),
        f"repair rate (trained={trained})",
    )


def test_rupture_shape(big):
    """A repaired rupture is V-shaped; an unrepaired one leaves a lasting drop."""
    p = big.truth.params
    drop = big.truth.sessions.set_index(["patient_id", "session"])["rupture_drop"]
    events = big.truth.ruptures
    counts = events.groupby("patient_id").size()
    single = events[events["patient_id"].isin(counts[counts == 1].index)]
    single = single[single["session"] <= p.n_sessions - 2]
    for repaired, later in ((True, 0.0), (False, -p.unrepaired_persistence)):
        rows = single[single["repaired"] == repaired]
        at = drop.loc[list(zip(rows["patient_id"], rows["session"], strict=True))].to_numpy()
        two_after = drop.loc[
            list(zip(rows["patient_id"], rows["session"] + 2, strict=True))
        ].to_numpy()
        np.testing.assert_allclose(at, -rows["depth"].to_numpy())
        np.testing.assert_allclose(two_after, later * rows["depth"].to_numpy(), atol=1e-12)


def test_rupture_depth(big):
    p = big.truth.params
    events = big.truth.ruptures.merge(big.truth.patients[["patient_id", "iip_z"]], on="patient_id")
    fit = _ols(events["depth"], [events["iip_z"]])
    _within_close(fit.params.iloc[0], p.rupture_depth, fit.bse.iloc[0], "mean rupture depth")
    _within_close(
        fit.params.iloc[1], p.rupture_depth_iip, fit.bse.iloc[1], "rupture depth per SD of IIP"
    )


def test_missing_questionnaires(big):
    p = big.truth.params
    s = big.sessions
    for col, target in (("alliance", p.missing_alliance), ("bdi", p.missing_symptoms)):
        share = s[col].isna().mean()
        _within_close(
            share, target, np.sqrt(target * (1 - target) / len(s)), f"share of missing {col}"
        )


def test_dropout(big):
    p = big.truth.params
    completed = (~big.patients["dropped_out"]).mean()
    target = (1 - p.dropout_hazard) ** (p.n_sessions - 1)
    _within_close(
        completed, target, np.sqrt(target * (1 - target) / N_PATIENTS), "share completing treatment"
    )
    # sessions after dropout have no row; the truth keeps every planned session
    attended = big.sessions.groupby("patient_id").size()
    pd.testing.assert_series_equal(
        attended,
        big.patients.set_index("patient_id")["sessions_attended"],
        check_names=False,
    )
    assert len(big.truth.sessions) == N_PATIENTS * p.n_sessions


def test_observed_alliance_is_mean_of_items(big):
    s = big.sessions.dropna(subset=["alliance"]).head(2000)
    items = s[[f"wai_{k:02d}" for k in range(1, 13)]].astype(float)
    np.testing.assert_allclose(s["alliance"], items.mean(axis=1))
    assert items.min().min() >= 1 and items.max().max() <= 5


def test_item_reliability(big):
    """Cronbach's alpha of the 12 items near .90, the WAI-SR's reported value."""
    s = big.sessions.dropna(subset=["alliance"])
    s = s[s["session"] == 1]
    items = s[[f"wai_{k:02d}" for k in range(1, 13)]].astype(float)
    k = items.shape[1]
    alpha = k / (k - 1) * (1 - items.var().sum() / items.sum(axis=1).var())
    assert 0.85 < alpha < 0.95, f"Cronbach's alpha {alpha:.3f} is far from the WAI-SR's .90"


def test_observed_tables_hold_no_truth(big):
    latent = set(big.truth.patients.columns) | set(big.truth.sessions.columns)
    observed = set(big.patients.columns) | set(big.sessions.columns)
    leaked = (latent & observed) - {"patient_id", "session"}
    assert not leaked, f"ground-truth columns in the observed tables: {sorted(leaked)}"


def test_same_seed_same_study_other_seed_differs():
    a, b, c = simulate(seed=7), simulate(seed=7), simulate(seed=8)
    pd.testing.assert_frame_equal(a.sessions, b.sessions)
    pd.testing.assert_frame_equal(a.truth.sessions, b.truth.sessions)
    assert not a.sessions["alliance"].equals(c.sessions["alliance"])


def test_streams_are_independent():
    """Changing the rupture parameters leaves the trait-like alliance untouched."""
    a = simulate(seed=3)
    b = simulate(SimulationParameters(rupture_rate=0.2), seed=3)
    pd.testing.assert_series_equal(
        a.truth.patients["trait_alliance"], b.truth.patients["trait_alliance"]
    )


@pytest.mark.parametrize("seed", [-1, 1.5, "1", None, True])
def test_bad_seed(seed):
    with pytest.raises((ValueError, TypeError), match="seed"):
        simulate(seed=seed)


def test_bad_params_type():
    with pytest.raises(TypeError, match="SimulationParameters"):
        simulate({"n_sessions": 12}, seed=1)
