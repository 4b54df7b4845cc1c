r"""One summary of a Monte Carlo simulation: performance measures with their Monte Carlo errors.

:func:`summarize_replications` turns the runner's table of replications into
the measures of Morris, White & Crowther (2019), each with its Monte Carlo
standard error; :func:`patients_for_power` and :func:`plot_power` read power
off a summary of many designs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from book._checks import check_level

__all__ = [
    "REPLICATION_COLUMNS",
    "patients_for_power",
    "plot_power",
    "summarize_replications",
    "replication_outcomes",
]

#: The columns of the runner's table that vary from replication to replication;
#: every other column describes a design, an estimator or a term.
REPLICATION_COLUMNS = ("replication", "estimate", "std_error", "df", "singular")


def summarize_replications(
    replications: pd.DataFrame, *, level: float = 0.95, alpha: float = 0.05
) -> pd.DataFrame:
    r"""Bias, empirical and model SE, RMSE, coverage and power, each with its Monte Carlo SE.

    Performance measures and their Monte Carlo standard errors (MCSE) follow
    Morris, White & Crowther (2019, table 6), over the :math:`n` replications
    with a finite estimate :math:`\hat\theta_r` of the truth :math:`\theta`:

    - ``bias`` :math:`= \bar{\hat\theta} - \theta`, MCSE
      :math:`\sqrt{\sum_r (\hat\theta_r - \bar{\hat\theta})^2 / (n(n-1))}`;
    - ``emp_se``, the SD of the estimates, MCSE :math:`\text{emp\_se}/\sqrt{2(n-1)}`;
    - ``model_se`` :math:`= \sqrt{\overline{SE^2}}`, the average reported SE,
      MCSE :math:`\sqrt{\operatorname{Var}(SE^2) / (4 n\, \text{model\_se}^2)}`;
    - ``rmse`` :math:`= \sqrt{\overline{(\hat\theta_r - \theta)^2}}`, MCSE by the
      delta method from that of the mean squared error;
    - ``coverage``, the share of ``level`` intervals containing :math:`\theta`,
      and ``power``, the share of two-sided tests rejecting 0 at ``alpha``
      (the type I error rate when :math:`\theta = 0`); MCSE
      :math:`\sqrt{p(1-p)/n}`; intervals and tests use the t distribution with
      the replication's ``df`` (the normal where ``df`` is infinite);
    - ``wrong_sign``, the share of replications significant in the direction
      opposite to :math:`\theta`.

    Measures that need a truth (bias, RMSE, coverage, wrong sign) are missing
    where the simulation has none for the term; those that need a standard
    error (model SE, coverage, power) use the replications that report one.

    Parameters
    ----------
    replications : pandas.DataFrame
        The table of :func:`book.montecarlo.runner.replicate_designs`.
    level : float, default 0.95
        Confidence level of the intervals for coverage.
    alpha : float, default 0.05
        Significance level of the tests for power.

    Returns
    -------
    pandas.DataFrame
        One row per design, estimator and term: the columns that describe
        them (design, its values, ``alliance``, ``estimator``, ``term``,
        ``truth``), ``n_reps`` (replications with a finite estimate),
        ``n_failed`` (replications the estimator could not fit), the measures
        above with ``_mcse`` columns and, for the multilevel estimators,
        ``singular`` (the share of singular fits).

    Examples
    --------
    >>> reps = pd.DataFrame({"design": 0, "replication": range(4), "estimator": "x",
    ...                      "term": "b", "truth": -2.0, "estimate": [-1.0, -2.0, -3.0, -2.5],
    ...                      "std_error": [0.4, 0.5, 1.0, 0.3], "df": np.inf})
    >>> summarize_replications(reps)[["bias", "bias_mcse", "coverage", "power"]]
       bias  bias_mcse  coverage  power
    0  -0.125   0.426956      0.75    1.0
    """
    needed = {"estimator", "term", "truth", "estimate", "std_error", "df"}
    if not isinstance(replications, pd.DataFrame) or not needed <= set(replications.columns):
        raise ValueError(
            f"replications must be the table of replicate_designs, with columns {sorted(needed)}"
        )
    level = check_level(level)
    alpha = check_level(alpha, "alpha")
    keys = [c for c in replications.columns if c not in REPLICATION_COLUMNS]
    r = replications.copy()
    est, se, truth = (r[c].to_numpy(dtype=float) for c in ("estimate", "std_error", "truth"))
    r["estimate"] = np.where(np.isfinite(est), est, np.nan)  # a failed fit: left out
    outcomes = replication_outcomes(replications, level=level, alpha=alpha)
    r["_covered"] = outcomes["covered"].to_numpy()
    r["_rejected"] = outcomes["rejected"].to_numpy()
    r["_wrong"] = outcomes["wrong_sign"].to_numpy()
    has_se = np.isfinite(est) & np.isfinite(se) & (se > 0)
    r["_sq_error"] = (est - truth) ** 2
    r["_se2"] = np.where(has_se, se**2, np.nan)
    if "singular" not in r:
        r["singular"] = np.nan

    g = r.groupby(keys, sort=False, observed=True, dropna=False)
    n = g["estimate"].count()
    mean = g["estimate"].mean()
    sd = g["estimate"].std()
    mse = g["_sq_error"].mean()
    mse_sd = g["_sq_error"].std()
    se2_mean, se2_sd, n_se = g["_se2"].mean(), g["_se2"].std(), g["_se2"].count()
    # a design with fewer than two finite estimates gives nan, without warnings
    with np.errstate(invalid="ignore", divide="ignore"):
        out = pd.DataFrame({"n_reps": n})
        out["n_failed"] = g.size() - n
        truth_values = out.index.get_level_values("truth").to_numpy(dtype=float)
        out["mean_estimate"] = mean
        out["bias"] = mean - truth_values
        out["bias_mcse"] = sd / np.sqrt(n)
        out["emp_se"] = sd
        out["emp_se_mcse"] = sd / np.sqrt(2 * (n - 1))
        out["model_se"] = np.sqrt(se2_mean)
        out["model_se_mcse"] = np.sqrt(se2_sd**2 / (4 * n_se * se2_mean))
        out["rmse"] = np.sqrt(mse)
        out["rmse_mcse"] = (mse_sd / np.sqrt(n)) / (2 * np.sqrt(mse))
        for name, col in (("coverage", "_covered"), ("power", "_rejected")):
            share = g[col].mean()
            count = g[col].count()
            out[name] = share
            out[f"{name}_mcse"] = np.sqrt(share * (1 - share) / count)
        out["wrong_sign"] = g["_wrong"].mean()
        out["singular"] = g["singular"].mean()
    # rows in the order of the replications table (groupby keeps it, sort=False)
    return out.reset_index()


def replication_outcomes(
    replications: pd.DataFrame, *, level: float = 0.95, alpha: float = 0.05
) -> pd.DataFrame:
    """What each replication's interval and test say: covered, rejected, wrong sign.

    The per-replication indicators behind ``coverage``, ``power`` and
    ``wrong_sign`` of :func:`summarize_replications` (intervals and tests
    with the t distribution of the replication's ``df``, the normal where it
    is infinite), for analyses that resample replications.

    Parameters
    ----------
    replications : pandas.DataFrame
        The table of :func:`book.montecarlo.runner.replicate_designs`.
    level, alpha : float
        Confidence level of the intervals; significance level of the tests.

    Returns
    -------
    pandas.DataFrame
        Aligned with ``replications``: ``covered`` (the ``level`` interval holds
        the truth), ``rejected`` (the test rejects 0 at ``alpha``) and
        ``wrong_sign`` (rejected, on the side opposite to the truth); each 1.0,
        0.0, or ``nan`` where the replication has no estimate or standard error
        (or, for ``covered`` and ``wrong_sign``, no truth).

    Examples
    --------
    >>> reps = pd.DataFrame({"estimate": [-1.0, 0.2], "std_error": [0.4, 0.5],
    ...                      "truth": -2.0, "df": np.inf})
    >>> replication_outcomes(reps)
       covered  rejected  wrong_sign
    0      0.0       1.0         0.0
    1      0.0       0.0         0.0
    """
    level = check_level(level)
    alpha = check_level(alpha, "alpha")
    est, se, truth, df = (
        replications[c].to_numpy(dtype=float) for c in ("estimate", "std_error", "truth", "df")
    )
    has_se = np.isfinite(est) & np.isfinite(se) & (se > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        crit = np.where(
            np.isinf(df), stats.norm.ppf(0.5 + level / 2), stats.t.ppf(0.5 + level / 2, df)
        )
        z = np.abs(est / se)
        p_value = 2 * np.where(np.isinf(df), stats.norm.sf(z), stats.t.sf(z, df))
    usable = has_se & np.isfinite(truth)
    return pd.DataFrame(
        {
            "covered": np.where(usable, np.abs(est - truth) <= crit * se, np.nan),
            "rejected": np.where(has_se, p_value < alpha, np.nan),
            "wrong_sign": np.where(
                usable & (truth != 0),
                (p_value < alpha) & (np.sign(est) == -np.sign(truth)),
                np.nan,
            ),
        },
        index=replications.index,
    )


def patients_for_power(
    table: pd.DataFrame,
    *,
    term: str = "alliance_within",
    estimator: str | None = None,
    target: float = 0.8,
    by: str = "n_sessions",
) -> pd.DataFrame:
    """The number of patients that reaches a target power, read off a power table.

    For each value of ``by`` (e.g. sessions), the power of the designs in
    ``table`` is interpolated linearly in the logarithm of the number of
    patients between the last design below ``target`` and the first at or
    above it. It is an interpolation within the simulated grid: ``nan`` if no
    design reaches the target, and the smallest design if it already does.

    Parameters
    ----------
    table : pandas.DataFrame
        The output of :func:`book.montecarlo.runner.run_design_study`, with an ``n_patients`` column
        and several designs per value of ``by``.
    term : str, default "alliance_within"
        The term whose power counts.
    estimator : str, optional
        Which estimator; needed if several in the table report ``term``.
    target : float, default 0.8
        The power to reach.
    by : str, default "n_sessions"
        A design column; one answer per value.

    Returns
    -------
    pandas.DataFrame
        Columns ``by``, ``n_patients`` (interpolated, rounded up; ``nan`` if
        not reached) and ``reached_in_grid`` (whether any design reached it).

    Examples
    --------
    >>> table = pd.DataFrame({"n_sessions": 12, "n_patients": [40, 80, 160],
    ...                       "estimator": "within", "term": "alliance_within",
    ...                       "power": [0.5, 0.7, 0.9]})
    >>> patients_for_power(table)
       n_sessions  n_patients  reached_in_grid
    0          12       114.0             True
    """
    target = check_level(target, "target")
    rows = _one_estimator(table, term, estimator, (by, "n_patients"))
    out = []
    for level, group in rows.sort_values("n_patients").groupby(by, sort=True):
        n = group["n_patients"].to_numpy(dtype=float)
        power = group["power"].to_numpy(dtype=float)
        above = np.flatnonzero(power >= target)
        if len(above) == 0:
            needed = np.nan
        elif above[0] == 0:
            needed = n[0]
        else:
            i = above[0]
            share = (target - power[i - 1]) / (power[i] - power[i - 1])
            needed = np.ceil(np.exp(np.log(n[i - 1]) + share * np.log(n[i] / n[i - 1])))
        out.append({by: level, "n_patients": needed, "reached_in_grid": len(above) > 0})
    return pd.DataFrame(out)


# --------------------------------------------------------------------------
# figures


def plot_power(
    table: pd.DataFrame,
    *,
    term: str = "alliance_within",
    estimator: str | None = None,
    x: str = "n_patients",
    hue: str = "n_sessions",
    target: float | None = 0.8,
    logx: bool = False,
    ax=None,
):
    """Power curves from a summary of many designs: power against ``x``, one line per ``hue``.

    Each point has an error bar of plus or minus two Monte Carlo SEs.

    Parameters
    ----------
    table : pandas.DataFrame
        The output of :func:`book.montecarlo.runner.run_design_study`.
    term : str, default "alliance_within"
        The term whose power is drawn.
    estimator : str, optional
        Which estimator; needed if the table holds several with this term.
    x, hue : str
        Design columns for the horizontal axis and for the lines.
    target : float or None, default 0.8
        Draw a dashed line at this power.
    logx : bool, default False
        A logarithmic horizontal axis, labelled at the simulated values.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    from book.plots import OKABE_ITO

    rows = _one_estimator(table, term, estimator, (x, hue))
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 4))
    # Okabe-Ito without yellow, which is faint on white
    colours = [c for c in OKABE_ITO[1:] if c != "#F0E442"] + [OKABE_ITO[0]]
    for i, (level, group) in enumerate(rows.sort_values(x).groupby(hue, sort=True)):
        ax.errorbar(
            group[x],
            group["power"],
            yerr=2 * group["power_mcse"],
            marker="o",
            markersize=4,
            capsize=2,
            color=colours[i % len(colours)],
            label=f"{level}",
        )
    if target is not None:
        ax.axhline(target, color="0.4", linestyle="--", linewidth=1)
    if logx:
        values = np.sort(rows[x].unique())
        ax.set_xscale("log")
        ax.minorticks_off()
        ax.set_xticks(values, labels=[f"{v:g}" for v in values])
    ax.set(ylim=(0, 1.02), xlabel=x.replace("_", " "), ylabel="power")
    ax.legend(title=hue.replace("_", " "), fontsize="small")
    return ax


def _one_estimator(table: pd.DataFrame, term: str, estimator, columns) -> pd.DataFrame:
    """The summary rows of ``term`` from one estimator, with the design ``columns`` present."""
    rows = table[table["term"] == term]
    if estimator is not None:
        rows = rows[rows["estimator"] == estimator]
    if rows.empty or rows["estimator"].nunique() != 1:
        found = sorted(table.loc[table["term"] == term, "estimator"].unique())
        raise ValueError(
            f"choose one estimator with term {term!r}: estimator={estimator!r}, found {found}"
        )
    for col in columns:
        if col not in rows.columns:
            raise ValueError(f"column {col!r} not in the table; columns: {list(rows)}")
    return rows
