r"""Calibration on the observed scale: the defaults reproduce published figures.

A published figure is computed from questionnaire scores, with their
measurement error, their ceiling and every other imperfection of real data;
a parameter of the simulation is a latent quantity. Setting a latent
parameter equal to a published figure therefore makes the simulated studies
show smaller effects than the literature reports. Instead, each calibrated
default of :class:`~book.simulation.parameters.SimulationParameters` is the
value at which *the same analysis of simulated studies* gives the published
figure (:func:`book.datasets.literature.observed_figures`):

- ``state_sd`` is calibrated to the generalizability of a single session's
  alliance as a measure of the patient, .77 (Crits-Christoph et al. 2011),
  with :func:`session_icc`;
- ``alliance_to_symptoms`` to the standardized within-patient effect of the
  alliance on next-session distress in a random-intercept cross-lagged panel
  model, -.16 to -.21 over sessions (Falkenström et al. 2019), with the
  ``riclpm_standardized`` statistic of :func:`riclpm_effects`;
- ``r_trait_improvement`` to the alliance-outcome correlation .278
  (Flückiger et al. 2018), with :func:`alliance_outcome_r`.

:func:`calibrate` finds each value by bisection over many simulated studies
that share their random numbers, in the order of the table (the ICC barely
depends on the other two; the alliance-outcome correlation depends on all
three, so it comes last), and :func:`calibration_table` holds every published
figure against the same statistic over the simulated studies of the results
store, with its Monte Carlo standard error. The figures that are not
calibration targets (Crits-Christoph et al.'s correlations of 45 patients;
Falkenström et al. 2016's unstandardized effect of 84 patients) are checks:
the simulated statistic should lie in their 95% interval.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from book._checks import check_count, check_params, check_seed
from book.datasets.literature import observed_figures
from book.estimation.decomposition import icc
from book.estimation.riclpm import fit_riclpm
from book.montecarlo.estimators import Estimator, Fits

__all__ = [
    "CALIBRATED",
    "FIGURE_STATISTICS",
    "STATISTICS",
    "alliance_outcome_r",
    "calibrate",
    "calibration_table",
    "riclpm_effects",
    "session_icc",
    "simulate_statistics",
]

#: The calibrated parameters, in the order :func:`calibrate` sets them, with the
#: published figure (a quantity of :func:`book.datasets.literature.observed_figures`)
#: each reproduces.
CALIBRATED = {
    "state_sd": "session_icc",
    "alliance_to_symptoms": "within_effect_standardized",
    "r_trait_improvement": "alliance_outcome_r",
}

#: The statistic of a simulated study that each published figure is held against.
FIGURE_STATISTICS = {
    "alliance_outcome_r": "alliance_outcome_r",
    "session_icc": "session_icc",
    "alliance_outcome_r_session3": "alliance_outcome_r",
    "alliance_outcome_r_sessions3to9": "alliance_outcome_r_sessions3to9",
    "within_effect_standardized": "riclpm_standardized",
    "within_effect_bdi_per_wai": "riclpm_within_effect",
}

#: How close a calibrated statistic must come to its figure in :func:`calibrate`
#: (on top of the Monte Carlo error of the simulated mean).
TOLERANCE = {"session_icc": 0.001, "riclpm_standardized": 0.002, "alliance_outcome_r": 0.002}


# --------------------------------------------------------------------------
# the statistics of one simulated study, computed from its observed scores only


def alliance_outcome_r(bdi, alliance, *, sessions=(3, 3)) -> np.ndarray:
    """The alliance-outcome correlation as studies compute it: early alliance and residual change.

    For each patient: the mean WAI-SR over ``sessions`` (inclusive; the
    sessions with a score), the first BDI-II (before session 1) and the last
    BDI-II the patient reported after the last of ``sessions``. The outcome
    is the residual change: the last BDI-II minus its least-squares
    prediction from the first, negated so that a positive correlation means
    that a better alliance goes with more improvement, as in the
    meta-analyses. Patients without all three are left out.

    Parameters
    ----------
    bdi, alliance : numpy.ndarray
        Shape ``(patients, sessions)`` or ``(replications, patients, sessions)``:
        BDI-II before and WAI-SR after each session, ``nan`` where missing
        (:class:`book.montecarlo.panels.Panels`).
    sessions : tuple of int, default (3, 3)
        First and last session of the alliance score (1-based).

    Returns
    -------
    numpy.ndarray
        The correlation, one per replication (a 0-d array for one study).

    Examples
    --------
    >>> from book.montecarlo.panels import simulate_panels
    >>> panels = simulate_panels(None, 2, seed=1)
    >>> alliance_outcome_r(panels.bdi, panels.alliance).round(2)
    array([0.36, 0.36])
    """
    bdi = np.asarray(bdi, dtype=float)
    alliance = np.asarray(alliance, dtype=float)
    if bdi.shape != alliance.shape or bdi.ndim not in (2, 3):
        raise ValueError(
            "bdi and alliance must have the same shape, (patients, sessions) or "
            f"(replications, patients, sessions); got {bdi.shape} and {alliance.shape}"
        )
    first_s, last_s = sessions
    n_sessions = bdi.shape[-1]
    if not 1 <= first_s <= last_s < n_sessions:
        raise ValueError(
            f"sessions must run from 1 to {n_sessions - 1} (a later BDI-II is the outcome), "
            f"first <= last; got {sessions}"
        )
    one = bdi.ndim == 2
    if one:
        bdi, alliance = bdi[None], alliance[None]
    window = alliance[..., first_s - 1 : last_s]
    seen = np.isfinite(window)
    with np.errstate(invalid="ignore", divide="ignore"):
        early = np.where(seen, window, 0.0).sum(-1) / seen.sum(-1)
    later = np.isfinite(bdi[..., last_s:])
    last_index = np.where(later.any(-1), later.shape[-1] - 1 - later[..., ::-1].argmax(-1), -1)
    last = np.take_along_axis(bdi[..., last_s:], np.maximum(last_index, 0)[..., None], -1)[..., 0]
    first = bdi[..., 0]
    use = np.isfinite(early) & np.isfinite(first) & (last_index >= 0)
    out = np.array(
        [
            _residual_change_r(e[u], f[u], l[u])
            for e, f, l, u in zip(early, first, last, use, strict=True)
        ]
    )
    return out[0] if one else out


def _residual_change_r(early, first, last) -> float:
    """Correlation of ``early`` with minus the residual of ``last`` regressed on ``first``."""
    if len(early) < 4:
        return np.nan
    x = first - first.mean()
    slope = (x @ (last - last.mean())) / (x @ x)
    residual = last - last.mean() - slope * x
    return float(np.corrcoef(early, -residual)[0, 1])


def session_icc(data: pd.DataFrame) -> float:
    """The share of the variance of one session's WAI-SR that lies between patients.

    The ANOVA intraclass correlation ICC(1) of the session scores
    (:func:`book.estimation.decomposition.icc`): with a patient facet and
    sessions nested in patients, the generalizability coefficient of a single
    session's rating as a measure of the patient, the statistic of
    Crits-Christoph et al. (2011).

    Examples
    --------
    >>> from book.simulation.engine import simulate
    >>> round(session_icc(simulate(seed=1).long()), 2)
    0.76
    """
    return float(icc(data, "alliance")["icc"].iloc[0])


def riclpm_effects(data: pd.DataFrame) -> dict[str, float]:
    r"""The RI-CLPM's within-patient alliance effect, unstandardized and standardized.

    Fits :func:`book.estimation.riclpm.fit_riclpm` (full-information maximum
    likelihood) and returns ``riclpm_within_effect``, the effect of the
    alliance after one session on the BDI-II before the next in BDI-II
    points per WAI-SR point, and ``riclpm_standardized``, the same effect in
    within-patient SDs: at each pair of sessions :math:`b\,\sigma(w^A_{t-1})
    / \sigma(w^S_t)`, with the SDs of the within components implied by the
    fitted model (the variance of the score minus that of the random
    intercept), averaged over the pairs. That is what a standardized
    solution reports, one value per pair of sessions, of which the source
    gives the range.

    Examples
    --------
    >>> from book.simulation.engine import simulate
    >>> {k: round(v, 2) for k, v in riclpm_effects(simulate(seed=1).long()).items()}
    {'riclpm_within_effect': -3.11, 'riclpm_standardized': -0.18}
    """
    fit = fit_riclpm(data)
    if not fit.converged:
        return {"riclpm_within_effect": np.nan, "riclpm_standardized": np.nan}
    b = fit.coef("alliance_to_symptoms")
    model = fit.model
    where = {name: i for i, name in enumerate(model.model.observed)}
    estimates = model.parameters.set_index("name")["estimate"]
    var_ri = {x: float(estimates[f"RI_{x}~~RI_{x}"]) for x in "AS"}
    cov = model.implied_cov

    def within_var(x, t):
        i = where[f"{x}{t}"]
        return cov[i, i] - var_ri[x]

    ratios = [
        np.sqrt(within_var("A", t - 1) / within_var("S", t)) for t in range(2, fit.n_waves + 1)
    ]
    return {"riclpm_within_effect": float(b), "riclpm_standardized": float(b * np.mean(ratios))}


# --------------------------------------------------------------------------
# the statistics as estimators of the Monte Carlo runner


def _fits(values) -> Fits:
    values = np.asarray(values, dtype=float)
    return Fits(values, np.full(values.shape, np.nan), np.full(values.shape, np.inf))


def _alliance_outcome_fitter(sessions):
    def fit(panels) -> Fits:
        return _fits(alliance_outcome_r(panels.bdi, panels.alliance, sessions=sessions)[:, None])

    return fit


def _icc_fit(data: pd.DataFrame) -> Fits:
    return _fits([session_icc(data)])


def _riclpm_fit(data: pd.DataFrame) -> Fits:
    effects = riclpm_effects(data)
    return _fits([effects["riclpm_within_effect"], effects["riclpm_standardized"]])


#: The statistics as estimators of the runner, by name. Their terms are not
#: effects of the simulation, so the runner reports no truth for them.
STATISTICS: dict[str, Estimator] = {
    e.name: e
    for e in (
        Estimator(
            "alliance_outcome_r",
            ("alliance_outcome_r",),
            "panels",
            _alliance_outcome_fitter((3, 3)),
            "r(WAI-SR at session 3, -residual of last BDI-II on first BDI-II)",
            "alliance-outcome correlation: session-3 alliance and residual change",
        ),
        Estimator(
            "alliance_outcome_r_sessions3to9",
            ("alliance_outcome_r_sessions3to9",),
            "panels",
            _alliance_outcome_fitter((3, 9)),
            "r(mean WAI-SR of sessions 3-9, -residual of last BDI-II on first BDI-II)",
            "alliance-outcome correlation: mean alliance of sessions 3 to 9",
        ),
        Estimator(
            "session_icc",
            ("session_icc",),
            "long",
            _icc_fit,
            "ICC(1) of the session WAI-SR scores",
            "share of a session's alliance variance between patients",
        ),
        Estimator(
            "riclpm_effects",
            ("riclpm_within_effect", "riclpm_standardized"),
            "long",
            _riclpm_fit,
            "RI-CLPM (FIML): alliance -> next-session BDI-II, raw and standardized",
            "the RI-CLPM's within-patient alliance effect, as published",
        ),
    )
}


def simulate_statistics(
    params=None,
    *,
    n_reps: int,
    seed: int,
    statistics=None,
    n_jobs: int | None = None,
    progress: bool | None = None,
) -> pd.DataFrame:
    """Each calibration statistic over ``n_reps`` simulated studies: mean, SD and Monte Carlo SE.

    Parameters
    ----------
    params : SimulationParameters, optional
        The studies to simulate; the defaults when omitted.
    n_reps : int
        Simulated studies.
    seed : int
        Seed of the runner.
    statistics : sequence of str, optional
        Names in :data:`STATISTICS`; all when omitted.
    n_jobs, progress
        As in :func:`book.montecarlo.runner.replicate_designs`.

    Returns
    -------
    pandas.DataFrame
        One row per statistic: ``statistic``, ``mean``, ``sd``, ``mcse``
        (``sd / sqrt(n_reps)``) and ``n_reps`` (studies with a value).

    Examples
    --------
    >>> simulate_statistics(n_reps=20, seed=1, statistics=["alliance_outcome_r"]).round(3)
                statistic  mean     sd   mcse  n_reps
    0  alliance_outcome_r  0.27  0.061  0.014      20
    """
    from book.montecarlo.runner import replicate_designs

    params = check_params(params)
    names = list(STATISTICS) if statistics is None else list(statistics)
    unknown = [n for n in names if n not in STATISTICS]
    if unknown:
        raise ValueError(f"unknown statistics {unknown}; available: {list(STATISTICS)}")
    reps = replicate_designs(
        params,
        n_reps=check_count(n_reps, "n_reps", minimum=2),
        seed=check_seed(seed),
        estimators=[STATISTICS[n] for n in names],
        n_jobs=n_jobs,
        progress=progress,
    )
    return summarize_statistics(reps)


def summarize_statistics(replications: pd.DataFrame) -> pd.DataFrame:
    """Mean, SD and Monte Carlo SE of each statistic in a table of the runner.

    Parameters
    ----------
    replications : pandas.DataFrame
        Rows of :func:`book.montecarlo.runner.replicate_designs` for the
        estimators of :data:`STATISTICS` (``term`` names the statistic).

    Returns
    -------
    pandas.DataFrame
        ``statistic``, ``mean``, ``sd``, ``mcse``, ``n_reps``.
    """
    g = replications.dropna(subset=["estimate"]).groupby("term", sort=False)["estimate"]
    out = pd.DataFrame({"mean": g.mean(), "sd": g.std(), "n_reps": g.count()})
    out["mcse"] = out["sd"] / np.sqrt(out["n_reps"])
    out = out.rename_axis("statistic").reset_index()
    return out[["statistic", "mean", "sd", "mcse", "n_reps"]]


def calibration_table(simulated: pd.DataFrame) -> pd.DataFrame:
    """Every published figure beside the same statistic over simulated studies.

    Parameters
    ----------
    simulated : pandas.DataFrame
        The output of :func:`simulate_statistics` (or the results store's
        ``calibration`` table, which holds it for the defaults).

    Returns
    -------
    pandas.DataFrame
        One row per published figure (:func:`book.datasets.literature.observed_figures`):
        ``quantity``, ``label``, ``source``, ``published``, ``ci_low``,
        ``ci_high``, ``statistic`` (of the simulated studies), ``simulated``
        (its mean), ``mcse``, ``n_reps``, ``calibrates`` (the parameter set to
        reproduce the figure, empty for a check) and ``agrees``: for a
        calibrated figure, whether the simulated mean is within its tolerance
        plus three Monte Carlo SEs of the figure; for a check, whether it lies
        in the figure's 95% interval.
    """
    figures = observed_figures().reset_index()
    sim = simulated.set_index("statistic")
    parameter_of = {q: p for p, q in CALIBRATED.items()}
    rows = []
    for f in figures.itertuples(index=False):
        stat = FIGURE_STATISTICS[f.quantity]
        mean, mcse = float(sim.loc[stat, "mean"]), float(sim.loc[stat, "mcse"])
        calibrates = parameter_of.get(f.quantity, "")
        if calibrates:
            agrees = abs(mean - f.value) <= TOLERANCE[stat] + 3 * mcse
        else:
            agrees = f.ci_low <= mean <= f.ci_high
        rows.append(
            {
                "quantity": f.quantity,
                "label": f.label,
                "source": f.source,
                "published": f.value,
                "ci_low": f.ci_low,
                "ci_high": f.ci_high,
                "statistic": stat,
                "simulated": mean,
                "mcse": mcse,
                "n_reps": int(sim.loc[stat, "n_reps"]),
                "calibrates": calibrates,
                "agrees": bool(agrees),
            }
        )
    return pd.DataFrame(rows)


def calibrate(
    parameter: str,
    params=None,
    *,
    low: float,
    high: float,
    n_reps: int,
    seed: int,
    max_steps: int = 12,
    n_jobs: int | None = None,
) -> tuple[float, pd.DataFrame]:
    """The value of one parameter at which simulated studies reproduce its published figure.

    Bisection between ``low`` and ``high``: each step simulates ``n_reps``
    studies with the same seed (common random numbers, so the statistic is a
    smooth function of the parameter) and computes the statistic of
    :data:`CALIBRATED`; it stops when the mean is within :data:`TOLERANCE`
    of the figure. The statistic must be monotone in the parameter between
    the two bounds, with the figure between their values.

    Parameters
    ----------
    parameter : str
        A key of :data:`CALIBRATED`.
    params : SimulationParameters, optional
        The other parameters (the defaults when omitted).
    low, high : float
        Bounds of the search.
    n_reps, seed : int
        Simulated studies per step and their seed.
    max_steps : int, default 12
        Most bisection steps.
    n_jobs : int, optional
        Parallel workers of the runner.

    Returns
    -------
    value : float
        The calibrated value (the midpoint of the last bracket).
    steps : pandas.DataFrame
        One row per step: ``value``, ``statistic`` (its mean) and ``mcse``.
    """
    if parameter not in CALIBRATED:
        raise ValueError(f"parameter must be one of {list(CALIBRATED)}, got {parameter!r}")
    params = check_params(params)
    figure = CALIBRATED[parameter]
    target = float(observed_figures(figure)["value"].iloc[0])
    stat = FIGURE_STATISTICS[figure]
    estimator = next(n for n, e in STATISTICS.items() if stat in e.terms)

    def evaluate(value):
        table = simulate_statistics(
            params.replace(**{parameter: value}),
            n_reps=n_reps,
            seed=seed,
            statistics=[estimator],
            n_jobs=n_jobs,
            progress=False,
        ).set_index("statistic")
        return float(table.loc[stat, "mean"]), float(table.loc[stat, "mcse"])

    lo_value, _ = evaluate(low)
    hi_value, _ = evaluate(high)
    if not min(lo_value, hi_value) <= target <= max(lo_value, hi_value):
        raise ValueError(
            f"the figure {target} is not between the statistic at {parameter} = {low} "
            f"({lo_value:.4f}) and at {high} ({hi_value:.4f}); widen the bounds"
        )
    increasing = hi_value > lo_value
    steps = []
    for _ in range(max_steps):
        mid = (low + high) / 2
        value, mcse = evaluate(mid)
        steps.append({"value": mid, "statistic": value, "mcse": mcse})
        if abs(value - target) < TOLERANCE[stat]:
            break
        if (value < target) == increasing:
            low = mid
        else:
            high = mid
    return steps[-1]["value"], pd.DataFrame(steps)
