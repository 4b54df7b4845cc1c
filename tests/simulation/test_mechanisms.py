"""The optional mechanisms of the simulator do what their parameters say, on large samples.

Patients' own alliance growth and its effect on symptom change, the path from
symptoms before a session to the alliance after it, measurement error of the
BDI-II, and dropout at random or not at random. Each is off by default; here
each is switched on and recovered from a large simulated study (20,000
patients) within four Monte Carlo standard errors, as in ``test_engine.py``:
a fixed seed and 4 SE, so a failure means the simulator is wrong.
"""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from book.simulation.engine import simulate, simulate_arrays
from book.simulation.parameters import SimulationParameters

Z = 4.0
BIG = {"n_therapists": 500, "patients_per_therapist": 40}
MECHANISMS = {
    "alliance_growth_sd": 0.03,
    "growth_to_symptom_slope": -8.0,
    "symptoms_to_alliance_same_session": -0.15,
    "symptom_error_sd": 2.8,
    "dropout_hazard": 0.01,
    "dropout_worsening_odds_ratio": 1.2,
}


def _close(estimate, target, se, what):
    assert abs(estimate - target) < Z * se, (
        f"{what}: estimate {estimate:.4f} vs parameter {target:.4f} "
        f"(difference {estimate - target:+.4f}, allowed {Z * se:.4f} = {Z} SE)"
    )


def _ols(y, columns):
    return sm.OLS(np.asarray(y, float), sm.add_constant(np.column_stack(columns))).fit()


@pytest.fixture(scope="module")
def mar():
    """Every new mechanism on at once, with dropout at random."""
    return simulate(SimulationParameters(**BIG, **MECHANISMS, dropout_mechanism="mar"), seed=2024)


@pytest.fixture(scope="module")
def mnar():
    return simulate(SimulationParameters(**BIG, **MECHANISMS, dropout_mechanism="mnar"), seed=2025)


@pytest.fixture(scope="module")
def var_world():
    """No ruptures and the same alliance effect for everyone: the states are one VAR(1)."""
    params = SimulationParameters(
        **BIG,
        alliance_growth_sd=0.03,
        symptoms_to_alliance_same_session=-0.2,
        alliance_to_symptoms_iip=0.0,
        alliance_to_symptoms_sd=0.0,
        rupture_rate=0.0,
    )
    return simulate(params, seed=2026)


def _states(study):
    """Standardized states with their values one session earlier, sessions 2..T."""
    p = study.truth.params
    t = study.truth.sessions.sort_values(["patient_id", "session"]).copy()
    t["a"] = t["alliance_state"] / p.state_sd
    t["s"] = t["symptoms_state"] / p.symptom_state_sd
    g = t.groupby("patient_id")
    t["a_lag"], t["s_lag"] = g["a"].shift(1), g["s"].shift(1)
    return t.dropna(subset=["a_lag"])


# --------------------------------------------------------------------------
# patients' own alliance growth, and its effect on symptom change


def test_growth_sd(mar):
    p, growth = mar.truth.params, mar.truth.patients["alliance_growth"]
    n = len(growth)
    _close(growth.std(), p.alliance_growth_sd, p.alliance_growth_sd / np.sqrt(2 * (n - 1)), "SD")
    _close(growth.mean(), 0.0, p.alliance_growth_sd / np.sqrt(n), "mean growth")


def test_latent_alliance_adds_growth_to_its_parts(mar):
    s = mar.truth.sessions
    parts = (
        s["alliance_trait"]
        + s["alliance_trend"]
        + s["alliance_growth"]
        + s["alliance_state"]
        + s["rupture_drop"]
    )
    np.testing.assert_allclose(s["alliance_latent"], parts, atol=1e-12)
    slope = mar.truth.patients.set_index("patient_id")["alliance_growth"]
    expected = slope.loc[s["patient_id"]].to_numpy() * (s["session"].to_numpy() - 1)
    np.testing.assert_allclose(s["alliance_growth"], expected, atol=1e-12)


def test_patients_alliance_slopes_vary_as_growth_plus_state_noise(var_world):
    """End to end: the spread of each patient's own OLS slope of the latent alliance.

    Across patients, the slope is delta + g_i + sigma_A * sum_t c_t a_t, so its
    variance is alliance_growth_sd^2 + sigma_A^2 c' Gamma c, with Gamma the
    autocovariances of the state-like alliance, worked out here from the VAR(1)
    by solving Sigma = Phi Sigma Phi' + Q directly (not as the engine does).
    """
    p = var_world.truth.params
    T = p.n_sessions
    latent = (
        var_world.truth.sessions.sort_values(["patient_id", "session"])["alliance_latent"]
        .to_numpy()
        .reshape(-1, T)
    )
    t = np.arange(1, T + 1)
    c = (t - t.mean()) / ((t - t.mean()) ** 2).sum()
    slopes = latent @ c

    phi, g0 = p.state_transition(), p.symptoms_to_alliance_same_session

    def residual(x):  # Sigma - Phi Sigma Phi' - Q, unknowns q_a, q_s, sigma_01
        q_a, q_s, c01 = x
        sigma = np.array([[1.0, c01], [c01, 1.0]])
        q = np.array([[q_a + g0**2 * q_s, g0 * q_s], [g0 * q_s, q_s]])
        r = sigma - phi @ sigma @ phi.T - q
        return np.array([r[0, 0], r[0, 1], r[1, 1]])

    base = residual(np.zeros(3))  # the equations are linear in the unknowns
    jac = np.column_stack([residual(e) - base for e in np.eye(3)])
    q_a, q_s, c01 = np.linalg.solve(jac, -base)
    sigma = np.array([[1.0, c01], [c01, 1.0]])
    gamma = [(np.linalg.matrix_power(phi, k) @ sigma)[0, 0] for k in range(T)]
    lag = np.abs(t[:, None] - t[None, :])
    expected = p.alliance_growth_sd**2 + p.state_sd**2 * c @ np.take(gamma, lag) @ c
    n = len(slopes)
    _close(slopes.var(ddof=1), expected, expected * np.sqrt(2 / (n - 1)), "variance of slopes")
    _close(slopes.mean(), p.alliance_trend, np.sqrt(expected / n), "mean slope")


def test_growth_changes_symptom_slopes(mar):
    p, tp = mar.truth.params, mar.truth.patients
    trait_z = (tp["trait_alliance"] - p.alliance_mean) / p.trait_sd
    fit = _ols(tp["symptom_slope"], [tp["alliance_growth"], trait_z])
    _close(fit.params[1], p.growth_to_symptom_slope, fit.bse[1], "growth -> symptom slope")
    np.testing.assert_allclose(
        tp["symptom_slope_from_growth"], p.growth_to_symptom_slope * tp["alliance_growth"]
    )
    n = len(tp)
    slope_sd = tp["symptom_slope"].std()
    _close(slope_sd, p.symptom_slope_sd, p.symptom_slope_sd / np.sqrt(2 * n), "SD of slopes")
    r = np.corrcoef(trait_z, -tp["symptom_slope"])[0, 1]
    se = (1 - p.r_trait_improvement**2) / np.sqrt(n - 1)
    _close(r, p.r_trait_improvement, se, "trait vs improvement, with growth on")
    w = p.growth_improvement_correlation()
    r_growth = np.corrcoef(tp["alliance_growth"], tp["symptom_slope"])[0, 1]
    _close(r_growth, w, (1 - w**2) / np.sqrt(n - 1), "growth vs symptom slope")


# --------------------------------------------------------------------------
# symptoms before a session -> alliance after it


def test_same_session_path_and_lagged_paths(mar):
    p = mar.truth.params
    t = _states(mar)
    fit = _ols(t["a"], [t["a_lag"], t["s_lag"], t["s"]])
    _close(fit.params[1], p.alliance_ar, fit.bse[1], "alliance autoregression")
    _close(fit.params[2], p.symptoms_to_alliance, fit.bse[2], "symptoms(t-1) -> alliance(t)")
    _close(
        fit.params[3],
        p.symptoms_to_alliance_same_session,
        fit.bse[3],
        "symptoms(t) -> alliance(t)",
    )


def test_lagged_values_alone_estimate_the_implied_var(var_world):
    """Without s_t among the predictors, regressions estimate state_transition()."""
    phi = var_world.truth.params.state_transition()
    t = _states(var_world)
    for row, outcome in enumerate(("a", "s")):
        fit = _ols(t[outcome], [t["a_lag"], t["s_lag"]])
        for col in range(2):
            _close(fit.params[col + 1], phi[row, col], fit.bse[col + 1], f"Phi[{row}, {col}]")


# --------------------------------------------------------------------------
# measurement error of the BDI-II


def test_symptom_error_sd(mar):
    p = mar.truth.params
    s = mar.truth.sessions
    err = s["symptoms_error"]
    n = len(err)
    _close(err.std(), p.symptom_error_sd, p.symptom_error_sd / np.sqrt(2 * (n - 1)), "error SD")
    _close(err.mean(), 0.0, p.symptom_error_sd / np.sqrt(n), "mean error")
    # what a researcher sees: observed minus latent symptoms, away from the floor and
    # the ceiling, has the error's variance plus that of rounding to whole points (1/12)
    obs = mar.sessions.merge(s, on=["patient_id", "session"]).dropna(subset=["bdi"])
    obs = obs[obs["symptoms_latent"].between(15, 48)]
    diff = obs["bdi"].astype(float) - obs["symptoms_latent"]
    sq = (diff - diff.mean()) ** 2
    _close(
        sq.mean(), p.symptom_error_sd**2 + 1 / 12, sq.std() / np.sqrt(len(sq)), "var(obs - true)"
    )


def test_observed_scores_are_true_plus_error_rounded(mar):
    s = mar.sessions.merge(mar.truth.sessions, on=["patient_id", "session"])
    s = s.dropna(subset=["bdi"])
    expected = np.clip(np.rint(s["symptoms_latent"] + s["symptoms_error"]), 0, 63)
    np.testing.assert_array_equal(s["bdi"].astype(float), expected)
    tp = mar.truth.patients.merge(mar.patients, on="patient_id")
    arrays = simulate_arrays(mar.truth.params, seed=mar.seed)
    intake = arrays.latent["symptoms"][:, 0] + arrays.latent["symptom_error"][:, 0]
    np.testing.assert_array_equal(tp["bdi_intake"], np.clip(np.rint(intake), 0, 63))
    np.testing.assert_allclose(tp["bdi_intake_error"], arrays.latent["symptom_error"][:, 0])


def test_arrays_and_tables_apply_the_same_error():
    """SimulatedArrays.observed() and simulate() share one path from truth to scores."""
    params = SimulationParameters(
        symptom_error_sd=3.0, dropout_mechanism="mar", dropout_worsening_odds_ratio=1.2
    )
    arrays, study = simulate_arrays(params, seed=11), simulate(params, seed=11)
    observed = arrays.observed()["bdi"]
    table = study.sessions.pivot(index="patient_id", columns="session", values="bdi")
    table = table.astype(float).reindex(columns=range(1, params.n_sessions + 1))
    np.testing.assert_array_equal(observed, table.to_numpy())


def test_error_changes_only_the_scores():
    a = simulate(SimulationParameters(symptom_error_sd=0.0), seed=5)
    b = simulate(SimulationParameters(symptom_error_sd=3.0), seed=5)
    pd.testing.assert_series_equal(
        a.truth.sessions["symptoms_latent"], b.truth.sessions["symptoms_latent"]
    )
    pd.testing.assert_series_equal(a.sessions["alliance"], b.sessions["alliance"])
    assert (a.sessions["bdi"] != b.sessions["bdi"]).mean() > 0.5


# --------------------------------------------------------------------------
# dropout


def _at_risk(study):
    """One row per attended session before the last planned one: did the patient leave?"""
    T = study.truth.params.n_sessions
    s = study.truth.sessions.sort_values(["patient_id", "session"]).copy()
    s["next_change"] = s.groupby("patient_id")["symptoms_latent"].shift(-1) - s["symptoms_latent"]
    s = s.merge(study.patients[["patient_id", "sessions_attended"]], on="patient_id")
    s = s[(s["session"] <= s["sessions_attended"]) & (s["session"] < T)].copy()
    s["left"] = s["session"] == s["sessions_attended"]
    return s


def _observed_signal(study):
    """The MAR signal rebuilt from the observed tables alone (intake and session reports)."""
    p = study.truth.params
    intake = study.patients[["patient_id", "bdi_intake"]].rename(columns={"bdi_intake": "bdi"})
    intake["session"] = 0
    reports = pd.concat([intake, study.sessions[["patient_id", "session", "bdi"]]])
    reports = reports.dropna(subset=["bdi"]).sort_values(["patient_id", "session"])
    g = reports.groupby("patient_id")
    reports["change"] = (reports["bdi"] - g["bdi"].shift(1)) / (
        reports["session"] - g["session"].shift(1)
    )
    # carry the latest observed change forward to sessions without a report
    grid = study.sessions[["patient_id", "session"]]
    out = grid.merge(reports[["patient_id", "session", "change"]], how="left")
    out["change"] = out.groupby("patient_id")["change"].ffill()
    out["signal"] = out["change"].astype(float) - p.symptom_slope_mean
    return out


def test_dropout_at_random_depends_on_observed_data_only(mar):
    rebuilt = _observed_signal(mar).merge(
        mar.truth.sessions[["patient_id", "session", "dropout_signal"]]
    )
    rebuilt = rebuilt[rebuilt["session"] < mar.truth.params.n_sessions]
    np.testing.assert_allclose(rebuilt["signal"], rebuilt["dropout_signal"], atol=1e-9)


def test_recorded_hazard_is_the_logistic_model(mar, mnar):
    for study in (mar, mnar):
        p, s = study.truth.params, study.truth.sessions
        before_last = s["session"] < p.n_sessions
        logit = np.log(p.dropout_hazard / (1 - p.dropout_hazard)) + np.log(
            p.dropout_worsening_odds_ratio
        ) * s["dropout_signal"].fillna(0.0)
        np.testing.assert_allclose(
            s.loc[before_last, "dropout_hazard"], 1 / (1 + np.exp(-logit[before_last]))
        )
        assert (s.loc[~before_last, "dropout_hazard"] == 0).all()


@pytest.mark.parametrize("mechanism", ["mar", "mnar"])
def test_dropout_mechanism_is_recovered(mar, mnar, mechanism):
    """A logistic regression of leaving on both signals: the one the mechanism uses
    carries log(odds ratio), the other nothing (given the first)."""
    study = {"mar": mar, "mnar": mnar}[mechanism]
    p = study.truth.params
    risk = _at_risk(study).merge(_observed_signal(study), on=["patient_id", "session"])
    risk = risk.dropna(subset=["signal"])
    latent_signal = risk["next_change"] - p.symptom_slope_mean
    fit = sm.Logit(
        risk["left"].to_numpy(float),
        sm.add_constant(np.column_stack([risk["signal"], latent_signal])),
    ).fit(disp=0)
    used, unused = (1, 2) if mechanism == "mar" else (2, 1)
    log_or = np.log(p.dropout_worsening_odds_ratio)
    _close(fit.params[0], np.log(p.dropout_hazard / (1 - p.dropout_hazard)), fit.bse[0], "base")
    _close(fit.params[used], log_or, fit.bse[used], f"log odds ratio ({mechanism})")
    _close(fit.params[unused], 0.0, fit.bse[unused], f"the other signal ({mechanism})")
