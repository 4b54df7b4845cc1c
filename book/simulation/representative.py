r"""The canonical study is chosen by a rule, not by how the estimators fare on it.

Several chapters analyse one simulated study, the canonical study in
``data/``. One study is one draw: its trait-like alliance may correlate with
interpersonal problems more weakly than the population's, it may have more
ruptures than usual, and a chapter that leans on it would teach the draw's
quirks. The seed of the canonical study is therefore chosen by a rule that
looks only at the *data-generating* quantities of each candidate study,
never at an estimate:

1. simulate the studies of the seeds ``0, 1, ..., 999`` with the default
   parameters;
2. compute, from each study's ground truth, the sample statistics of
   :func:`seed_statistics` (for example the correlation of the true
   trait-like alliance with interpersonal problems, the trait SD, the share of
   sessions with a rupture);
3. take the study whose vector of statistics is closest to the average over
   all candidates, in the Mahalanobis distance (each statistic in units of its
   spread over the candidates, correlated statistics not counted twice).

The average over a thousand candidates stands for the expectation of each
statistic. :func:`representative_seed` applies the rule; the chosen seed is
:data:`book.simulation.engine.CANONICAL_SEED`, and a test checks that the rule
still picks it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from book._checks import check_count, check_params
from book.simulation.engine import simulate_arrays

__all__ = ["SEED_STATISTICS", "representative_seed", "seed_statistics", "seed_table"]

#: The data-generating quantities the rule compares, with what each is.
SEED_STATISTICS: dict[str, str] = {
    "trait_mean": "mean of the true trait-like alliance (WAI-SR points)",
    "trait_sd": "SD of the true trait-like alliance between patients",
    "r_trait_iip": "correlation of the trait-like alliance with interpersonal problems",
    "r_trait_improvement": "correlation of the trait-like alliance with the true rate of "
    "improvement",
    "slope_mean": "mean true symptom change per session (BDI-II points)",
    "effect_mean": "mean of the patients' true alliance effects (standardized)",
    "effect_iip_slope": "change of the true alliance effect per SD of interpersonal problems",
    "growth_sd": "SD of the patients' own alliance growth (WAI-SR points per session)",
    "rupture_rate": "share of sessions with a rupture",
    "repair_rate": "share of ruptures repaired",
    "dropout_rate": "share of patients who drop out",
}


def seed_statistics(params=None, *, seed: int) -> dict[str, float]:
    """The data-generating quantities of one simulated study, from its ground truth.

    Parameters
    ----------
    params : SimulationParameters, optional
        The defaults when omitted.
    seed : int
        The study's seed.

    Returns
    -------
    dict
        One value per key of :data:`SEED_STATISTICS`; ``nan`` where a
        quantity does not vary in the study (no growth, no ruptures).

    Examples
    --------
    >>> stats = seed_statistics(seed=1)
    >>> round(stats["r_trait_iip"], 3), round(stats["trait_sd"], 3)
    (-0.013, 0.576)
    """
    p = check_params(params)
    a = simulate_arrays(p, seed=seed)
    people, ruptures = a.people, a.ruptures
    trait, iip_z = people["trait"], people["iip_z"]
    beta = people["beta_std"]

    def r(x, y):
        return float(np.corrcoef(x, y)[0, 1]) if np.std(x) > 0 and np.std(y) > 0 else np.nan

    occurs = ruptures["occurs"][:, 1:]  # ruptures can happen from the second session
    n_ruptures = int(occurs.sum())
    return {
        "trait_mean": float(trait.mean()),
        "trait_sd": float(trait.std(ddof=1)),
        "r_trait_iip": r(trait, iip_z),
        "r_trait_improvement": r(trait, -people["slope"]),
        "slope_mean": float(people["slope"].mean()),
        "effect_mean": float(beta.mean()),
        "effect_iip_slope": float(np.polyfit(iip_z, beta, 1)[0]) if np.std(beta) > 0 else np.nan,
        "growth_sd": float(people["growth"].std(ddof=1)) if p.alliance_growth_sd > 0 else np.nan,
        "rupture_rate": float(occurs.mean()),
        "repair_rate": float(ruptures["repaired"][:, 1:][occurs].mean()) if n_ruptures else np.nan,
        "dropout_rate": float((a.attendance["last"] < p.n_sessions).mean()),
    }


def seed_table(params=None, *, n_candidates: int = 1000) -> pd.DataFrame:
    """The rule's table: every candidate seed, its statistics and its distance from the average.

    Parameters
    ----------
    params : SimulationParameters, optional
        The defaults when omitted.
    n_candidates : int, default 1000
        The seeds ``0 .. n_candidates - 1``.

    Returns
    -------
    pandas.DataFrame
        One row per seed: ``seed``, the statistics of :data:`SEED_STATISTICS`
        and ``distance``, the Mahalanobis distance of the seed's statistics
        from their average over the candidates (over the statistics that vary
        between them: without ruptures there is no repair rate).

    Examples
    --------
    >>> table = seed_table(n_candidates=30)
    >>> int(table.loc[table["distance"].idxmin(), "seed"])
    7
    """
    p = check_params(params)
    n = check_count(n_candidates, "n_candidates", minimum=10)
    rows = [{"seed": s, **seed_statistics(p, seed=s)} for s in range(n)]
    table = pd.DataFrame(rows)
    used = [c for c in SEED_STATISTICS if table[c].notna().all() and table[c].std() > 0]
    x = table[used].to_numpy()
    centred = x - x.mean(axis=0)
    precision = np.linalg.inv(np.cov(x, rowvar=False))
    table["distance"] = np.sqrt(np.einsum("ij,jk,ik->i", centred, precision, centred))
    return table


def representative_seed(params=None, *, n_candidates: int = 1000) -> int:
    """The seed chosen by the rule: the candidate closest to the average on every statistic.

    See the module notes. Ties (never seen) go to the smallest seed.

    Examples
    --------
    >>> representative_seed(n_candidates=30)
    7
    """
    table = seed_table(params, n_candidates=n_candidates)
    return int(table.loc[table["distance"].idxmin(), "seed"])
