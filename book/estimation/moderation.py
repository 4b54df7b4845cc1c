r"""Moderation: for whom does the within-patient alliance effect matter most?

In the lagged model the within-patient effect of the alliance depends on
interpersonal problems (IIP) through the cross-level interaction,

.. math::

    \theta(\mathrm{IIP}) = b_W + b_{W\times I}\,(\mathrm{IIP} - c),

where :math:`c` is the sample mean IIP the model centred at. Its standard
error follows from the covariance of the two estimates,

.. math::

    \mathrm{SE}^2 = V_{WW} + (\mathrm{IIP}-c)^2 V_{II} + 2(\mathrm{IIP}-c) V_{WI}.

*Simple slopes* evaluate :math:`\theta` at chosen IIP values (Aiken & West
1991); the *Johnson–Neyman* technique solves for the IIP values where
:math:`|\theta/\mathrm{SE}|` equals the critical value, the boundaries of the
region where the effect is significant (Bauer & Curran 2005).

How often does a study detect the interaction? :func:`moderation_power`
simulates many studies and fits the chapter's multilevel model and the
closed-form fixed-effects estimators of :mod:`book.montecarlo.runner` to the same ones.
"""

from __future__ import annotations

import numbers
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.stats

from book.estimation.multilevel import LaggedModelResult, fit_lagged_model
from book.simulation.parameters import SimulationParameters

__all__ = [
    "MULTILEVEL_ESTIMATORS",
    "JohnsonNeyman",
    "johnson_neyman",
    "moderation_power",
    "simple_slopes",
]

#: The multilevel models :func:`moderation_power` can fit, by name: whether the
#: within-patient alliance is detrended (:func:`book.estimation.fit_lagged_model`).
MULTILEVEL_ESTIMATORS = {"multilevel_detrended_iip": True, "multilevel_iip": False}

_TERM = "alliance_within:iip_z"


def _parts(result):
    if not isinstance(result, LaggedModelResult):
        raise TypeError(
            f"result must come from book.estimation.fit_lagged_model, got {type(result).__name__}"
        )
    w, x = result.predictor, f"{result.predictor}:{result.moderator}"
    cov = result.cov_fixed
    if x not in cov.index:
        raise ValueError(f"the model has no interaction term {x!r}")
    b = np.array([result.coef(w), result.coef(x)])
    V = cov.loc[[w, x], [w, x]].to_numpy()
    return b, V, result.centering["iip"]


def simple_slopes(result: LaggedModelResult, at=None, *, alpha: float = 0.05) -> pd.DataFrame:
    """The within-patient effect at chosen values of interpersonal problems.

    Parameters
    ----------
    result : LaggedModelResult
        A fit of :func:`book.estimation.fit_lagged_model` (it has the interaction).
    at : array_like, optional
        IIP values (IIP-32 item-mean scale). By default one SD below the mean,
        the mean and one SD above it, over the patients in the model.
    alpha : float, default 0.05
        1 - confidence level.

    Returns
    -------
    pandas.DataFrame
        ``iip``, ``slope`` (outcome units per unit of the predictor: BDI-II
        points per WAI-SR point for the default direction), ``std_error``,
        ``ci_low``, ``ci_high``, ``p_value``; with the default ``at``, also a
        ``label`` column.

    Examples
    --------
    >>> from book.datasets.canonical import load_study
    >>> from book.estimation.multilevel import fit_lagged_model
    >>> fit = fit_lagged_model(load_study())
    >>> simple_slopes(fit).round(2)
              label   iip  slope  std_error  ci_low  ci_high  p_value
    0   low (-1 SD)  1.10  -0.72       0.43   -1.55     0.12     0.09
    1          mean  1.62  -1.44       0.30   -2.02    -0.85     0.00
    2  high (+1 SD)  2.13  -2.15       0.39   -2.92    -1.39     0.00
    """
    b, V, center = _parts(result)
    if not (isinstance(alpha, float) and 0 < alpha < 1):
        raise ValueError(f"alpha must be a number in (0, 1), got {alpha!r}")
    labels = None
    if at is None:
        iip = result.data.drop_duplicates("patient_id")["iip"]
        m, s = float(iip.mean()), float(iip.std())
        at = np.array([m - s, m, m + s])
        labels = ["low (-1 SD)", "mean", "high (+1 SD)"]
    at = np.atleast_1d(np.asarray(at, dtype=float))
    if at.ndim != 1 or not np.isfinite(at).all():
        raise ValueError("at must be a finite number or a 1-dimensional array of numbers")
    d = at - center
    slope = b[0] + b[1] * d
    se = np.sqrt(V[0, 0] + d**2 * V[1, 1] + 2 * d * V[0, 1])
    z = scipy.stats.norm.ppf(1 - alpha / 2)
    out = pd.DataFrame(
        {
            "iip": at,
            "slope": slope,
            "std_error": se,
            "ci_low": slope - z * se,
            "ci_high": slope + z * se,
            "p_value": 2 * scipy.stats.norm.sf(np.abs(slope / se)),
        }
    )
    if labels is not None:
        out.insert(0, "label", labels)
    return out


@dataclass(frozen=True)
class JohnsonNeyman:
    """Where the within-patient effect is significant, as a function of IIP.

    Attributes
    ----------
    bounds : tuple of float
        The IIP values where the effect's confidence interval touches zero
        (zero, one or two of them).
    significant : list of tuple
        Intervals of IIP, ``(low, high)`` with infinite ends where open, on
        which the effect differs from zero.
    observed_range : tuple of float
        The lowest and highest IIP of the patients in the model.
    alpha : float
    """

    bounds: tuple[float, ...]
    significant: list[tuple[float, float]]
    observed_range: tuple[float, float]
    alpha: float

    def describe(self) -> str:
        """One sentence on where, within the observed IIP range, the effect is significant."""
        lo, hi = self.observed_range
        parts = []
        for a, b in self.significant:
            a2, b2 = max(a, lo), min(b, hi)
            if a2 < b2:
                if a2 == lo and b2 == hi:
                    parts.append(f"everywhere in the observed range {lo:.2f}-{hi:.2f}")
                elif a2 == lo:
                    parts.append(f"IIP below {b2:.2f}")
                elif b2 == hi:
                    parts.append(f"IIP above {a2:.2f}")
                else:
                    parts.append(f"IIP between {a2:.2f} and {b2:.2f}")
        level = f"{100 * (1 - self.alpha):.0f}%"
        if not parts:
            return f"nowhere in the observed IIP range ({lo:.2f}-{hi:.2f}) at the {level} level"
        return f"significant at the {level} level for " + " and ".join(parts)


def johnson_neyman(result: LaggedModelResult, *, alpha: float = 0.05) -> JohnsonNeyman:
    """The Johnson-Neyman region: IIP values where the within-patient effect is significant.

    Solves :math:`(b_W + b_{W\\times I} d)^2 = z^2 (V_{WW} + d^2 V_{II} + 2 d V_{WI})`
    for :math:`d = \\mathrm{IIP} - c`, a quadratic.

    Parameters
    ----------
    result : LaggedModelResult
        A fit of :func:`book.estimation.fit_lagged_model`.
    alpha : float, default 0.05
        Significance level (two-sided).

    Returns
    -------
    JohnsonNeyman

    Examples
    --------
    >>> from book.datasets.canonical import load_study
    >>> from book.estimation.multilevel import fit_lagged_model
    >>> jn = johnson_neyman(fit_lagged_model(load_study()))
    >>> [round(x, 2) for x in jn.bounds]
    [-3.0, 1.16]
    >>> jn.describe()
    'significant at the 95% level for IIP above 1.16'
    """
    b, V, center = _parts(result)
    if not (isinstance(alpha, float) and 0 < alpha < 1):
        raise ValueError(f"alpha must be a number in (0, 1), got {alpha!r}")
    z2 = scipy.stats.norm.ppf(1 - alpha / 2) ** 2
    # a d^2 + b d + c >= 0  <=>  significant
    qa = b[1] ** 2 - z2 * V[1, 1]
    qb = 2 * (b[0] * b[1] - z2 * V[0, 1])
    qc = b[0] ** 2 - z2 * V[0, 0]
    disc = qb**2 - 4 * qa * qc
    iip = result.data.drop_duplicates("patient_id")["iip"]
    observed = (float(iip.min()), float(iip.max()))
    inf = np.inf
    if abs(qa) < 1e-15:
        if abs(qb) < 1e-15:
            bounds: tuple[float, ...] = ()
            significant = [(-inf, inf)] if qc >= 0 else []
        else:
            root = -qc / qb + center
            bounds = (float(root),)
            significant = [(float(root), inf)] if qb > 0 else [(-inf, float(root))]
    elif disc < 0:
        bounds = ()
        significant = [(-inf, inf)] if qa > 0 else []
    else:
        r = np.sort((-qb + np.array([-1.0, 1.0]) * np.sqrt(disc)) / (2 * qa)) + center
        bounds = (float(r[0]), float(r[1]))
        if qa > 0:  # significant outside the roots
            significant = [(-inf, bounds[0]), (bounds[1], inf)]
        else:  # significant between them
            significant = [bounds]
    return JohnsonNeyman(
        bounds=bounds, significant=significant, observed_range=observed, alpha=alpha
    )


def moderation_power(
    n_patients=240,
    *,
    n_reps: int,
    seed: int,
    estimators=("multilevel_detrended_iip", "within_detrended_iip", "within_iip"),
    params: SimulationParameters | None = None,
    level: float = 0.95,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Power, coverage and bias for the alliance x IIP interaction, estimators side by side.

    For each study size, simulates ``n_reps`` studies at once
    (:func:`book.montecarlo.runner.simulate_panels`) and fits every estimator to the same
    studies, so that their differences are not Monte Carlo noise. The
    multilevel estimators are the lagged model of the moderation chapter,
    :func:`book.estimation.fit_lagged_model` (random intercept and slope, REML,
    ``detrend`` as the name says), one fit per study (about 0.05--0.2 s
    each); the others are the closed-form fixed-effects estimators of the
    design runner (:data:`book.montecarlo.runner.ESTIMATORS`), all studies in one call.
    The interaction is reported per SD of IIP, the runner's
    ``alliance_within:iip_z`` (the multilevel estimate per IIP-32 point times
    ``params.iip_sd``; power and coverage do not depend on the unit), and
    summarized by :func:`book.montecarlo.runner.summarize_replications`.

    Parameters
    ----------
    n_patients : int or sequence of int, default 240
        Study sizes, each rounded to whole therapists of
        ``params.patients_per_therapist`` patients.
    n_reps : int
        Simulated studies per size.
    seed : int
        Seed; the studies of ``n`` patients draw from
        ``SeedSequence(seed, spawn_key=(n,))``, so they depend on the seed,
        ``n``, ``n_reps`` and ``params`` only, not on the other sizes or the
        estimators asked for: two calls share the studies of a common size.
    estimators : sequence of str
        Names in :data:`MULTILEVEL_ESTIMATORS` or the runner's moderated
        estimators (``"within_iip"``, ``"within_detrended_iip"``).
    params : SimulationParameters, optional
        Everything but the number of therapists; the defaults when omitted.
    level, alpha : float
        Confidence level for coverage; two-sided significance level for power.

    Returns
    -------
    pandas.DataFrame
        One row per size and estimator: ``n_patients``, ``n_sessions``,
        ``estimator``, the
        columns of :func:`book.montecarlo.runner.summarize_replications` (``n_reps``
        counts the converged fits; ``power``, ``coverage``, ``bias``, with
        ``_mcse`` columns), ``recovered`` (mean estimate / truth) and
        ``singular`` (share of multilevel fits with a random-effect variance
        at zero; ``nan`` for the closed-form estimators).

    Examples
    --------
    >>> table = moderation_power(120, n_reps=5, seed=1)
    >>> table[["n_patients", "estimator", "n_reps", "truth"]].round(2)
       n_patients                 estimator  n_reps  truth
    0         120  multilevel_detrended_iip       5  -0.93
    1         120      within_detrended_iip       5  -0.93
    2         120                within_iip       5  -0.93

    The same studies, whatever else is asked for:

    >>> again = moderation_power((40, 120), n_reps=5, seed=1, estimators="within_iip")
    >>> bool(again["mean_estimate"].iloc[1] == table["mean_estimate"].iloc[2])
    True
    """
    # imported here: the runner brings joblib, which the explorer importing this module never needs
    from book.montecarlo import runner

    params = SimulationParameters() if params is None else params
    if not isinstance(params, SimulationParameters):
        raise TypeError(f"params must be a SimulationParameters, got {type(params).__name__}")
    sizes = [n_patients] if isinstance(n_patients, numbers.Integral) else list(n_patients)
    per = params.patients_per_therapist
    if not sizes or any(
        not isinstance(n, numbers.Integral) or isinstance(n, bool) or n < per for n in sizes
    ):
        raise ValueError(
            f"n_patients must be whole numbers of at least {per} patients, got {n_patients!r}"
        )
    if not isinstance(n_reps, numbers.Integral) or isinstance(n_reps, bool) or n_reps < 2:
        raise ValueError(f"n_reps must be an integer of at least 2, got {n_reps!r}")
    if not isinstance(seed, numbers.Integral) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    names = [estimators] if isinstance(estimators, str) else list(estimators)
    known = [*MULTILEVEL_ESTIMATORS, "within_iip", "within_detrended_iip"]
    if not names or any(e not in known for e in names) or len(set(names)) != len(names):
        raise ValueError(f"estimators must be distinct names among {known}, got {estimators!r}")

    designs = [params.replace(n_therapists=max(1, round(n / per))) for n in sizes]
    if len({p.n_patients for p in designs}) != len(designs):
        raise ValueError(
            f"n_patients gives the same study size twice (whole therapists of {per}): {sizes}"
        )
    frames = []
    for j, p in enumerate(designs):
        truth = runner.true_effects(p)[_TERM]
        spawn = np.random.SeedSequence(int(seed), spawn_key=(p.n_patients,))
        state = spawn.generate_state(2, np.uint32)
        panels = runner.simulate_panels(p, int(n_reps), seed=int(state[0]) << 32 | int(state[1]))
        for name in names:
            singular = np.full(n_reps, np.nan)
            if name in MULTILEVEL_ESTIMATORS:
                est, se = np.full(n_reps, np.nan), np.full(n_reps, np.nan)
                for r in range(n_reps):
                    with warnings.catch_warnings():
                        # non-converged fits are left out (nan), as the runner does
                        warnings.simplefilter("ignore")
                        fit = fit_lagged_model(panels.long(r), detrend=MULTILEVEL_ESTIMATORS[name])
                    if fit.converged:
                        row = fit.fixed_effects.set_index("term").loc["alliance_within:iip_c"]
                        est[r] = float(row["estimate"]) * p.iip_sd
                        se[r] = float(row["std_error"]) * p.iip_sd
                        singular[r] = float(fit.singular)
                df = np.full(n_reps, np.inf)
            else:
                estimator = runner.ESTIMATORS[name]
                k = estimator.terms.index(_TERM)
                est, se, df = (np.asarray(a)[:, k] for a in estimator.fit(panels))
            frames.append(
                pd.DataFrame(
                    {
                        "design": j,
                        "n_patients": p.n_patients,
                        "n_sessions": p.n_sessions,
                        "replication": np.arange(n_reps),
                        "estimator": name,
                        "term": _TERM,
                        "truth": truth,
                        "estimate": est,
                        "std_error": se,
                        "df": df,
                        "_singular": singular,
                    }
                )
            )
    reps = pd.concat(frames, ignore_index=True)
    share_singular = reps.groupby(["design", "estimator"], sort=False)["_singular"].mean()
    out = runner.summarize_replications(reps.drop(columns="_singular"), level=level, alpha=alpha)
    out["recovered"] = out["mean_estimate"] / out["truth"]
    keys = zip(out["design"], out["estimator"], strict=True)
    out["singular"] = [share_singular[k] for k in keys]
    return out.drop(columns="design")
