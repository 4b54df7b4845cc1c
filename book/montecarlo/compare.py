"""Repeated simulated studies: each estimator held against the truth that made the data.

One simulated study gives one estimate; only many show an estimator's bias
(its average error), its RMSE and whether its 95% intervals cover the truth
95% of the time. The functions here run the book's estimators over studies
simulated with the same parameters and different seeds, and summarise them
with Monte Carlo standard errors, so a reader can tell a real bias from
simulation noise.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

from book.estimation.decomposition import person_mean_center
from book.estimation.multilevel import fit_lagged_model, fit_pooled_regression
from book.estimation.panel import add_lags
from book.estimation.riclpm import fit_riclpm
from book.simulation.engine import simulate, true_effects
from book.simulation.parameters import SimulationParameters
from book.simulation.study import Study

__all__ = [
    "ESTIMATORS",
    "true_effects",
    "error_free_alliance",
    "estimate_within_effect",
    "compare_estimators",
    "summarize_draws",
    "nickell_simulation",
]

#: The estimators of the within-patient alliance effect compared in the book.
ESTIMATORS = (
    "pooled regression",
    "multilevel model",
    "multilevel model, detrended",
    "RI-CLPM",
)


def _check_params(params):
    if params is None:
        return SimulationParameters()
    if not isinstance(params, SimulationParameters):
        raise TypeError(f"params must be SimulationParameters, got {type(params).__name__}")
    return params


def _check_count(name, value, minimum=1):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name} must be an integer of at least {minimum}, got {value!r}")


def error_free_alliance(study: Study) -> pd.DataFrame:
    """The study's long table with the observed alliance replaced by the latent one.

    Keeps every missing questionnaire missing, so the only change is the
    measurement error of the WAI-SR items (and their rounding and ceiling).
    Something only a simulation can do: it shows how much of an estimator's
    bias is due to measurement error.

    Parameters
    ----------
    study : Study
        A simulated study (with ``truth``).

    Returns
    -------
    pandas.DataFrame
        ``study.long()`` with ``alliance`` set to ``truth.sessions.alliance_latent``.
    """
    if not isinstance(study, Study) or study.truth is None:
        raise ValueError("error_free_alliance needs a simulated Study with ground truth")
    long = study.long()
    latent = study.truth.sessions[["patient_id", "session", "alliance_latent"]]
    out = long.merge(latent, on=["patient_id", "session"], how="left", validate="1:1")
    out["alliance"] = out["alliance_latent"].where(long["alliance"].notna())
    return out.drop(columns="alliance_latent")


def estimate_within_effect(data, *, estimators=ESTIMATORS) -> pd.DataFrame:
    """Estimate the within-patient alliance effect on next-session symptoms, several ways.

    Parameters
    ----------
    data : Study or pandas.DataFrame
        A study or its long table (see :func:`book.estimation.fit_lagged_model`).
    estimators : sequence of str
        A subset of :data:`ESTIMATORS`.

    Returns
    -------
    pandas.DataFrame
        One row per estimator: ``estimator``, ``estimate``, ``std_error``,
        ``ci_low``, ``ci_high`` (BDI-II points per WAI-SR point).

    Examples
    --------
    >>> from book.datasets.canonical import load_study
    >>> table = estimate_within_effect(load_study())
    >>> table[["estimator", "estimate"]].round(2)
                         estimator  estimate
    0            pooled regression     -0.90
    1             multilevel model     -1.44
    2  multilevel model, detrended     -1.74
    3                      RI-CLPM     -2.04
    """
    unknown = [e for e in estimators if e not in ESTIMATORS]
    if unknown:
        raise ValueError(f"unknown estimator(s) {unknown}; choose from {list(ESTIMATORS)}")
    cols = ["estimate", "std_error", "ci_low", "ci_high"]
    rows = []
    for name in estimators:
        if name == "pooled regression":
            row = fit_pooled_regression(data).set_index("term").loc["alliance", cols]
        elif name == "RI-CLPM":
            row = fit_riclpm(data).estimates.set_index("term").loc["alliance_to_symptoms", cols]
        else:
            fit = fit_lagged_model(data, detrend=name.endswith("detrended"))
            row = fit.fixed_effects.set_index("term").loc["alliance_within", cols]
        rows.append({"estimator": name, **{c: float(row[c]) for c in cols}})
    return pd.DataFrame(rows)


def compare_estimators(
    params: SimulationParameters | None = None,
    *,
    n_reps: int,
    seed: int,
    error_free: bool = False,
    estimators=ESTIMATORS,
) -> pd.DataFrame:
    """Run the estimators over ``n_reps`` simulated studies.

    Parameters
    ----------
    params : SimulationParameters, optional
        Parameters of every study; defaults when omitted.
    n_reps : int
        Number of simulated studies.
    seed : int
        Study ``r`` uses seed ``seed + r``.
    error_free : bool, default False
        Use the latent alliance instead of the observed WAI-SR
        (:func:`error_free_alliance`).
    estimators : sequence of str
        A subset of :data:`ESTIMATORS`.

    Returns
    -------
    pandas.DataFrame
        One row per study and estimator: ``rep``, ``estimator``,
        ``estimate``, ``std_error``, ``ci_low``, ``ci_high``.
    """
    params = _check_params(params)
    _check_count("n_reps", n_reps)
    _check_count("seed", seed, minimum=0)
    tables = []
    for r in range(n_reps):
        study = simulate(params, seed=seed + r)
        data = error_free_alliance(study) if error_free else study
        table = estimate_within_effect(data, estimators=estimators)
        table.insert(0, "rep", r)
        tables.append(table)
    return pd.concat(tables, ignore_index=True)


def summarize_draws(draws: pd.DataFrame, truth: float) -> pd.DataFrame:
    """Bias, RMSE and coverage of each estimator, with Monte Carlo standard errors.

    Parameters
    ----------
    draws : pandas.DataFrame
        Output of :func:`compare_estimators`.
    truth : float
        The true value every estimate is held against.

    Returns
    -------
    pandas.DataFrame
        ``estimator``, ``mean``, ``bias``, ``bias_mcse`` (SD / sqrt(R)),
        ``rmse``, ``coverage`` (share of 95% intervals containing the truth),
        ``coverage_mcse`` (sqrt(c(1 - c)/R)), ``mean_std_error``, ``sd`` and
        ``n_reps``.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"estimator": ["a"] * 4, "estimate": [1.0, 2.0, 3.0, 2.0],
    ...                   "std_error": [1.0] * 4, "ci_low": [0.0, 1.0, 2.5, 1.0],
    ...                   "ci_high": [2.0, 3.0, 3.5, 3.0]})
    >>> summarize_draws(d, truth=1.5)[["estimator", "bias", "rmse", "coverage"]]
      estimator  bias      rmse  coverage
    0         a   0.5  0.866025      0.75
    """
    needed = ["estimator", "estimate", "std_error", "ci_low", "ci_high"]
    missing = [c for c in needed if c not in draws.columns]
    if missing:
        raise ValueError(f"draws lacks column(s) {missing}")
    rows = []
    for name, g in draws.groupby("estimator", sort=False):
        err = g["estimate"] - truth
        n = len(g)
        cover = float(((g["ci_low"] <= truth) & (truth <= g["ci_high"])).mean())
        sd = float(g["estimate"].std(ddof=1)) if n > 1 else np.nan
        rows.append(
            {
                "estimator": name,
                "mean": float(g["estimate"].mean()),
                "bias": float(err.mean()),
                "bias_mcse": sd / np.sqrt(n),
                "rmse": float(np.sqrt((err**2).mean())),
                "coverage": cover,
                "coverage_mcse": float(np.sqrt(cover * (1 - cover) / n)),
                "mean_std_error": float(g["std_error"].mean()),
                "sd": sd,
                "n_reps": n,
            }
        )
    return pd.DataFrame(rows)


def nickell_simulation(
    n_sessions=(4, 6, 8, 12, 16, 20),
    *,
    rho: float = 0.3,
    n_patients: int = 2000,
    seed: int,
) -> pd.DataFrame:
    """The within estimator of the symptom autoregression in simulated studies.

    For each number of sessions, simulates one large study whose symptom
    fluctuations are a pure AR(1) (no cross-lagged effects), and estimates
    the autoregression by regressing the patient-centred true fluctuation on
    its patient-centred lag, as the within (fixed-effects) estimator does.

    Parameters
    ----------
    n_sessions : sequence of int
        Numbers of sessions (waves), each at least 3.
    rho : float, default 0.3
        True autoregression.
    n_patients : int, default 2000
        Patients per study (a multiple of 20 keeps 20 patients per therapist).
    seed : int
        Seed of the first study; the next use ``seed + 1``, ...

    Returns
    -------
    pandas.DataFrame
        ``n_sessions``, ``estimate``, ``bias`` (estimate - rho) and its
        ``mcse`` (the regression's standard error).
    """
    _check_count("n_patients", n_patients, minimum=20)
    _check_count("seed", seed, minimum=0)
    rows = []
    for k, T in enumerate(n_sessions):
        _check_count("n_sessions", T, minimum=3)
        p = SimulationParameters(
            n_therapists=max(1, n_patients // 20),
            patients_per_therapist=20,
            n_sessions=int(T),
            symptom_ar=rho,
            alliance_to_symptoms=0.0,
            alliance_to_symptoms_iip=0.0,
            alliance_to_symptoms_sd=0.0,
            symptoms_to_alliance=0.0,
        )
        truth = simulate(p, seed=seed + k).truth.sessions[
            ["patient_id", "session", "symptoms_state"]
        ]
        pairs = add_lags(truth, "symptoms_state").dropna()
        pairs = person_mean_center(pairs, ["symptoms_state", "symptoms_state_lag"])
        x, y = pairs["symptoms_state_lag_within"], pairs["symptoms_state_within"]
        est = float((x * y).sum() / (x * x).sum())
        resid = y - est * x
        dof = len(pairs) - pairs["patient_id"].nunique() - 1
        se = float(np.sqrt((resid**2).sum() / dof / (x * x).sum()))
        rows.append({"n_sessions": int(T), "estimate": est, "bias": est - rho, "mcse": se})
    return pd.DataFrame(rows)
