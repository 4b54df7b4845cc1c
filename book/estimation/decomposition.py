r"""Trait and state: splitting a repeated measure into between- and within-patient parts.

A patient's session scores :math:`x_{it}` are split into the patient's mean
:math:`\bar x_i` (the between-patient, trait-like part) and the deviation
:math:`x_{it} - \bar x_i` (the within-patient, state-like part); this is
person-mean centering (Curran & Bauer 2011). When scores drift over
treatment, the deviations mix session-to-session change with the trend, so a
within-patient linear trend can be removed first (detrending; Wang & Maxwell
2015).

How much of the variance lies between patients is the intraclass correlation
(:func:`icc`); how two measures move together *within* patients is the
repeated-measures correlation (:func:`within_correlation`; Bland & Altman
1995; Bakdash & Marusich 2017). How reliable a patient's mean of a few
sessions is as a measure of their trait-like level follows from the two by
the Spearman-Brown formula (:func:`person_mean_reliability`).

Lags, which pair a session with the previous session of the same patient,
are in :func:`book.estimation.panel.add_lags`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from book._checks import check_level, require_columns

__all__ = [
    "person_mean_center",
    "detrend",
    "person_trends",
    "icc",
    "within_correlation",
    "person_mean_reliability",
]


# ---------------------------------------------------------------------------
# argument checks shared by every public function


def _check_frame(data, columns: Sequence[str], by: str, time: str | None = None) -> None:
    """Data frame, columns present, numeric values, a complete grouping column."""
    needed = [*columns, by] + ([time] if time else [])
    for name in needed:
        if not isinstance(name, str):
            raise TypeError(f"column names must be strings, got {name!r}")
    require_columns(data, needed)
    for col in [*columns] + ([time] if time else []):
        if not pd.api.types.is_numeric_dtype(data[col]):
            raise ValueError(f"column {col!r} must be numeric, it has dtype {data[col].dtype}")
    if data[by].isna().any():
        raise ValueError(
            f"grouping column {by!r} has {int(data[by].isna().sum())} missing value(s); "
            "every row must belong to a patient"
        )


def _check_repeated(data: pd.DataFrame, by: str, *, min_groups: int = 1, what: str = "") -> None:
    """At least ``min_groups`` groups, and at least one group with two or more rows."""
    sizes = data.groupby(by, sort=False).size()
    if len(sizes) < min_groups:
        raise ValueError(f"{what}needs at least {min_groups} groups in {by!r}, got {len(sizes)}")
    if len(sizes) and sizes.max() < 2:
        raise ValueError(
            f"{what}every {by!r} has a single observation; splitting into between- and "
            "within-group parts needs repeated measures (two or more rows per group)"
        )


def _check_trend_possible(data: pd.DataFrame, column: str, by: str, time: str, what: str) -> None:
    """At least one group with two non-missing values at different times."""
    rated = data[column].notna() & data[time].notna()
    times = data.loc[rated].groupby(by, sort=False)[time].nunique()
    if times.empty or times.max() < 2:
        raise ValueError(
            f"{what}no {by!r} has non-missing {column!r} at two or more different {time!r} "
            "values, so no linear trend can be estimated; each patient needs at least two "
            "rated sessions (patients with fewer get missing values)"
        )


# ---------------------------------------------------------------------------
# splitting a variable


def person_mean_center(
    data: pd.DataFrame,
    columns: str | Sequence[str],
    *,
    by: str = "patient_id",
    detrend: bool = False,
    time: str = "session",
) -> pd.DataFrame:
    r"""Split each column into a between-patient mean and a within-patient deviation.

    .. math::

        x_{it} = \underbrace{\bar x_i}_{\texttt{x\_between}}
               + \underbrace{(x_{it} - \bar x_i)}_{\texttt{x\_within}}

    With ``detrend=True`` the deviation is split once more, into the patient's
    own linear trend over ``time`` and what is left around it:

    .. math::

        x_{it} = \bar x_i + \underbrace{b_i (t - \bar t_i)}_{\texttt{x\_trend}}
               + \underbrace{e_{it}}_{\texttt{x\_within}} .

    Parameters
    ----------
    data : pandas.DataFrame
        Long data: one row per patient and session.
    columns : str or sequence of str
        The time-varying numeric columns to split, e.g. ``"alliance"``.
    by : str, default "patient_id"
        The column that identifies patients.
    detrend : bool, default False
        Remove each patient's own linear trend over ``time`` from the
        within-patient part (see :func:`detrend`) and return it as ``x_trend``.
    time : str, default "session"
        The numeric time column, used only with ``detrend=True``.

    Returns
    -------
    pandas.DataFrame
        A copy of ``data`` with, for each column ``x``, ``x_between`` (the
        patient's mean of its non-missing values) and ``x_within`` (``x`` minus
        that mean; missing where ``x`` is missing). With ``detrend=True``,
        also ``x_trend``, and ``x_within`` is the detrended deviation; both
        are missing for patients with fewer than two non-missing sessions.
        The parts always add up to ``x``.

    Raises
    ------
    ValueError
        If a column is missing or not numeric, ``by`` has missing values,
        every patient has a single row, or (with ``detrend=True``) no patient
        has a column rated at two or more different times.

    Notes
    -----
    The between part is the *observed* person mean. With few sessions it is a
    noisy measure of the patient's trait-like level, which biases
    between-patient effects towards zero (Lüdtke et al. 2008); see
    :func:`person_mean_reliability`. When the alliance grows over treatment,
    the undetrended deviations carry the trend, so a within-patient
    association between two trending variables can be produced by the trends
    alone (Wang & Maxwell 2015).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"patient_id": [1, 1, 2, 2], "alliance": [3.0, 4.0, 4.5, None]})
    >>> person_mean_center(d, "alliance")
       patient_id  alliance  alliance_between  alliance_within
    0           1       3.0               3.5             -0.5
    1           1       4.0               3.5              0.5
    2           2       4.5               4.5              0.0
    3           2       NaN               4.5              NaN

    With a trend over three sessions:

    >>> d = pd.DataFrame({"patient_id": [1, 1, 1], "session": [1, 2, 3],
    ...                   "alliance": [3.0, 3.6, 3.9]})
    >>> parts = person_mean_center(d, "alliance", detrend=True)
    >>> parts[["alliance_between", "alliance_trend", "alliance_within"]].round(3)
       alliance_between  alliance_trend  alliance_within
    0               3.5           -0.45            -0.05
    1               3.5            0.00             0.10
    2               3.5            0.45            -0.05
    """
    columns = [columns] if isinstance(columns, str) else list(columns)
    if not isinstance(detrend, bool):
        raise TypeError(f"detrend must be True or False, got {detrend!r}")
    _check_frame(data, columns, by, time if detrend else None)
    _check_repeated(data, by, what="person_mean_center ")
    if detrend:
        for col in columns:
            _check_trend_possible(data, col, by, time, "person_mean_center(detrend=True): ")
    out = data.copy()
    keys = out[by]
    for col in columns:
        values = out[col].astype("float64")
        mean = values.groupby(keys, sort=False).transform("mean")
        out[f"{col}_between"] = mean
        if detrend:
            residual = _detrended(values, out[time].astype("float64"), keys)
            out[f"{col}_within"] = residual
            out[f"{col}_trend"] = (values - mean - residual).where(residual.notna())
        else:
            out[f"{col}_within"] = values - mean
    return out


def _trend_parts(y: pd.Series, t: pd.Series, keys: pd.Series):
    """Per-row pieces of each patient's least-squares line of y on t."""
    t = t.where(y.notna())
    t_mean = t.groupby(keys, sort=False).transform("mean")
    y_mean = y.groupby(keys, sort=False).transform("mean")
    dt, dy = t - t_mean, y - y_mean
    sxx = (dt * dt).groupby(keys, sort=False).transform("sum")
    sxy = (dt * dy).groupby(keys, sort=False).transform("sum")
    n = y.notna().groupby(keys, sort=False).transform("sum")
    slope = (sxy / sxx).where((n >= 2) & (sxx > 0))
    return slope, dt, dy


def _detrended(y: pd.Series, t: pd.Series, keys: pd.Series) -> pd.Series:
    slope, dt, dy = _trend_parts(y, t, keys)
    return (dy - slope * dt).where(slope.notna() & y.notna()).astype("float64")


def detrend(
    data: pd.DataFrame,
    column: str,
    *,
    by: str = "patient_id",
    time: str = "session",
) -> pd.Series:
    """Remove each patient's own linear trend over time from a column.

    Fits, for each patient separately, ``column ~ a_i + b_i * time`` by least
    squares on the non-missing rows, and returns the residuals. Patients with
    fewer than two non-missing sessions get missing values (no trend can be
    estimated).

    Parameters
    ----------
    data : pandas.DataFrame
        Long data: one row per patient and session.
    column : str
        The numeric column to detrend.
    by : str, default "patient_id"
        The column that identifies patients.
    time : str, default "session"
        The numeric time column.

    Returns
    -------
    pandas.Series
        The detrended values, aligned with ``data``'s index, named
        ``f"{column}_detrended"``. They average zero within each patient.

    Raises
    ------
    ValueError
        If a column is missing or not numeric, ``by`` has missing values, or
        no patient has ``column`` rated at two or more different times (then
        every value would be missing).

    See Also
    --------
    person_mean_center : with ``detrend=True``, the same residuals as ``x_within``.
    person_trends : the per-patient lines themselves.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"patient_id": [1, 1, 1], "session": [1, 2, 3],
    ...                   "alliance": [3.0, 3.6, 3.9]})
    >>> detrend(d, "alliance").round(3).tolist()
    [-0.05, 0.1, -0.05]
    """
    _check_frame(data, [column], by, time)
    _check_trend_possible(data, column, by, time, "detrend: ")
    y = data[column].astype("float64")
    residual = _detrended(y, data[time].astype("float64"), data[by])
    return residual.rename(f"{column}_detrended")


def person_trends(
    data: pd.DataFrame,
    column: str,
    *,
    by: str = "patient_id",
    time: str = "session",
) -> pd.DataFrame:
    """Each patient's mean and least-squares linear trend of a column over time.

    Parameters
    ----------
    data : pandas.DataFrame
        Long data: one row per patient and session.
    column : str
        The numeric column, e.g. ``"bdi"``.
    by : str, default "patient_id"
        The column that identifies patients.
    time : str, default "session"
        The numeric time column.

    Returns
    -------
    pandas.DataFrame
        One row per patient (indexed by ``by``, sorted): ``n`` (non-missing
        values), ``mean`` (the person mean), ``time_mean`` (the mean time of
        those values), ``slope`` (change in ``column`` per unit of ``time``;
        missing with fewer than two values) and ``intercept`` (the line's
        value at ``time = 0``). The line passes through
        (``time_mean``, ``mean``).

    Raises
    ------
    ValueError
        If a column is missing or not numeric, ``by`` has missing values, or
        no patient has ``column`` rated at two or more different times (then
        every slope would be missing).

    Notes
    -----
    A patient's mean is the level of their line at their own mean time, so two
    patients with the same line but different attendance (one stops early)
    have different means when the line slopes. This is why the person mean
    "mixes level and trend" when scores drift over treatment.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"patient_id": [1, 1, 1, 2, 2], "session": [1, 2, 3, 1, 2],
    ...                   "bdi": [30.0, 28.0, 25.0, 20.0, None]})
    >>> person_trends(d, "bdi").round(3)
                n    mean  time_mean  slope  intercept
    patient_id
    1           3  27.667        2.0   -2.5     32.667
    2           1  20.000        1.0    NaN        NaN
    """
    _check_frame(data, [column], by, time)
    _check_trend_possible(data, column, by, time, "person_trends: ")
    y = data[column].astype("float64")
    t = data[time].astype("float64")
    keys = data[by]
    slope, _, _ = _trend_parts(y, t, keys)
    frame = pd.DataFrame(
        {by: keys, "y": y, "t": t.where(y.notna()), "slope": slope}, index=data.index
    )
    g = frame.groupby(by, sort=True)
    out = pd.DataFrame(
        {
            "n": g["y"].count().astype("int64"),
            "mean": g["y"].mean(),
            "time_mean": g["t"].mean(),
            "slope": g["slope"].first(),
        }
    )
    out["intercept"] = out["mean"] - out["slope"] * out["time_mean"]
    return out


# ---------------------------------------------------------------------------
# how much is between patients


def icc(
    data: pd.DataFrame,
    column: str,
    *,
    by: str = "patient_id",
    level: float = 0.95,
) -> pd.DataFrame:
    r"""Intraclass correlation ICC(1): the share of variance between groups.

    The one-way random-effects model :math:`x_{it} = \mu + u_i + e_{it}`
    with :math:`\operatorname{Var}(u_i) = \sigma^2_B` and
    :math:`\operatorname{Var}(e_{it}) = \sigma^2_W` has

    .. math::

        \rho_I = \frac{\sigma^2_B}{\sigma^2_B + \sigma^2_W},

    estimated from the one-way analysis of variance (ANOVA) by
    :math:`\hat\rho_I = (MS_B - MS_W) / (MS_B + (n_0 - 1) MS_W)`.

    Parameters
    ----------
    data : pandas.DataFrame
        Long data: one row per patient and session.
    column : str
        The numeric repeated measure, e.g. ``"alliance"``. Missing values are
        dropped.
    by : str, default "patient_id"
        The grouping column (patients).
    level : float, default 0.95
        Confidence level of the interval.

    Returns
    -------
    pandas.DataFrame
        One row, indexed by ``column``: ``icc``, ``ci_low`` and ``ci_high``
        (the confidence interval), ``F``, ``df1``, ``df2`` and ``p_value`` (the
        ANOVA test of no between-group variance), ``groups`` and ``n`` (groups
        and observations used), ``n0`` (the adjusted mean group size), and the
        variance components ``var_between`` and ``var_within``.

    Raises
    ------
    ValueError
        If the column is missing or not numeric, ``by`` has missing values,
        fewer than two groups have a value, every group has a single value,
        or there is no variation within groups.

    Notes
    -----
    The estimator is the ANOVA (method-of-moments) estimator for unbalanced
    groups, with :math:`k` groups of sizes :math:`n_i`, :math:`N = \sum n_i`,
    :math:`MS_B = \sum n_i (\bar x_i - \bar x)^2 / (k - 1)`,
    :math:`MS_W = \sum (x_{it} - \bar x_i)^2 / (N - k)` and the adjusted mean
    group size :math:`n_0 = (N - \sum n_i^2 / N) / (k - 1)`; with equal
    group sizes :math:`n_0 = n` and the estimate is ICC(1,1) of Shrout &
    Fleiss (1979). The estimate can be negative when :math:`MS_B < MS_W`.
    The variance components are :math:`\hat\sigma^2_W = MS_W` and
    :math:`\hat\sigma^2_B = (MS_B - MS_W) / n_0`.

    The confidence interval inverts the F distribution of
    :math:`F = MS_B / MS_W` with :math:`(k-1, N-k)` degrees of freedom
    (Shrout & Fleiss 1979): with :math:`F_L = F / F_{1-\alpha/2}(k-1, N-k)`
    and :math:`F_U = F \cdot F_{1-\alpha/2}(N-k, k-1)`, the limits are
    :math:`(F_L - 1) / (F_L + n_0 - 1)` and :math:`(F_U - 1) / (F_U + n_0 - 1)`.
    It is exact for balanced normal data; with unequal group sizes it uses
    :math:`n_0` and is approximate. Both assume independent errors within a
    group: with autocorrelated session-to-session changes the ANOVA ICC is
    not exactly the variance share. Everything is computed in closed form,
    so the result is deterministic.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"patient_id": [1, 1, 1, 2, 2, 2, 3, 3, 3],
    ...                   "alliance": [3.0, 3.2, 3.1, 4.0, 4.4, 4.2, 3.6, 3.5, 3.9]})
    >>> icc(d, "alliance")[["icc", "ci_low", "ci_high", "groups", "n"]].round(3)
                icc  ci_low  ci_high  groups  n
    alliance  0.904   0.502    0.997       3  9
    """
    level = check_level(level)
    _check_frame(data, [column], by)
    d = data.loc[data[column].notna(), [by, column]]
    _check_repeated(d, by, min_groups=2, what="icc ")
    y = d[column].astype("float64")
    g = y.groupby(d[by], sort=False)
    n_i = g.size().astype("float64")
    means = g.transform("mean")
    k, n = len(n_i), float(n_i.sum())
    grand = float(y.mean())
    ss_between = float((n_i * (g.mean() - grand) ** 2).sum())
    ss_within = float(((y - means) ** 2).sum())
    df1, df2 = k - 1, int(n) - k
    ms_between, ms_within = ss_between / df1, ss_within / df2
    if ms_within <= 0:
        raise ValueError(
            f"column {column!r} does not vary within any {by!r}; the ICC is not defined"
        )
    n0 = (n - float((n_i**2).sum()) / n) / df1
    estimate = (ms_between - ms_within) / (ms_between + (n0 - 1) * ms_within)
    f_stat = ms_between / ms_within
    alpha = 1 - level
    f_low = f_stat / stats.f.ppf(1 - alpha / 2, df1, df2)
    f_high = f_stat * stats.f.ppf(1 - alpha / 2, df2, df1)
    row = {
        "icc": estimate,
        "ci_low": (f_low - 1) / (f_low + n0 - 1),
        "ci_high": (f_high - 1) / (f_high + n0 - 1),
        "F": f_stat,
        "df1": df1,
        "df2": df2,
        "p_value": float(stats.f.sf(f_stat, df1, df2)),
        "groups": k,
        "n": int(n),
        "n0": n0,
        "var_between": (ms_between - ms_within) / n0,
        "var_within": ms_within,
    }
    return pd.DataFrame(row, index=[column])


# ---------------------------------------------------------------------------
# how two measures move together within patients


def within_correlation(
    data: pd.DataFrame,
    x: str,
    y: str,
    *,
    by: str = "patient_id",
    level: float = 0.95,
) -> pd.DataFrame:
    r"""Repeated-measures correlation: the common within-group association of x and y.

    Fits parallel lines, one intercept per group and a common slope
    (an analysis of covariance), and reports the correlation that goes with
    it (Bland & Altman 1995; Bakdash & Marusich 2017). It equals the
    correlation of the person-mean-centred values,

    .. math::

        r_{rm} = \frac{\sum_{it} (x_{it} - \bar x_i)(y_{it} - \bar y_i)}
                      {\sqrt{\sum_{it} (x_{it} - \bar x_i)^2 \sum_{it} (y_{it} - \bar y_i)^2}},

    with :math:`N - k - 1` degrees of freedom for :math:`N` complete pairs in
    :math:`k` groups.

    Parameters
    ----------
    data : pandas.DataFrame
        Long data: one row per group (patient) and occasion.
    x, y : str
        The two numeric columns. Rows where either is missing are dropped.
    by : str, default "patient_id"
        The grouping column.
    level : float, default 0.95
        Confidence level of the interval.

    Returns
    -------
    pandas.DataFrame
        One row (index ``"within"``): ``r`` (the repeated-measures
        correlation), ``df`` (:math:`N - k - 1`), ``p_value`` (two-sided
        t test), ``ci_low`` and ``ci_high``, ``slope`` (the common
        within-group slope of ``y`` on ``x``, in units of ``y`` per unit of
        ``x``), ``n`` (complete pairs) and ``groups``.

    Raises
    ------
    ValueError
        If a column is missing or not numeric, ``by`` has missing values,
        fewer than two groups have a complete pair, every group has a single
        pair, there are no degrees of freedom left, or x or y does not vary
        within groups.

    Notes
    -----
    The p-value is that of the covariate in the analysis of covariance,
    :math:`t = r \sqrt{\nu / (1 - r^2)}` with :math:`\nu = N - k - 1`. The
    interval uses Fisher's z with standard error :math:`1/\sqrt{\nu - 1}`
    and normal quantiles, as the R package rmcorr and ``pingouin.rm_corr`` do.
    A group with a single complete pair adds one observation and one intercept,
    so it changes nothing. Unlike pingouin, the limits are not rounded.

    Examples
    --------
    Bland & Altman's (1995) intramural pH and PaCO2, which pingouin ships:

    >>> import pingouin as pg
    >>> ph = pg.read_dataset("rm_corr")
    >>> within_correlation(ph, "pH", "PacO2", by="Subject").round(4)
                 r  df  p_value  ci_low  ci_high   slope   n  groups
    within -0.5068  38   0.0008 -0.7067  -0.2319 -2.3708  47       8
    """
    level = check_level(level)
    if x == y:
        raise ValueError(f"x and y must be two different columns, got {x!r} twice")
    _check_frame(data, [x, y], by)
    d = data.loc[data[x].notna() & data[y].notna(), [by, x, y]]
    _check_repeated(d, by, min_groups=2, what="within_correlation ")
    keys = d[by]
    xs, ys = d[x].astype("float64"), d[y].astype("float64")
    xw = xs - xs.groupby(keys, sort=False).transform("mean")
    yw = ys - ys.groupby(keys, sort=False).transform("mean")
    n, k = len(d), int(keys.nunique())
    dof = n - k - 1
    if dof < 2:
        raise ValueError(
            f"{n} complete pairs in {k} groups leave {dof} degree(s) of freedom; "
            "the repeated-measures correlation and its interval need at least 2"
        )
    sxx, syy, sxy = float((xw * xw).sum()), float((yw * yw).sum()), float((xw * yw).sum())
    for name, ss in ((x, sxx), (y, syy)):
        if ss <= 0:
            raise ValueError(f"column {name!r} does not vary within any {by!r}")
    r = sxy / np.sqrt(sxx * syy)
    t_stat = r * np.sqrt(dof / (1 - r**2)) if abs(r) < 1 else np.copysign(np.inf, r)
    pval = float(2 * stats.t.sf(abs(t_stat), dof))
    z, se = np.arctanh(np.clip(r, -1 + 1e-15, 1 - 1e-15)), 1 / np.sqrt(dof - 1)
    crit = stats.norm.ppf(1 - (1 - level) / 2)
    row = {
        "r": float(r),
        "df": int(dof),
        "p_value": pval,
        "ci_low": float(np.tanh(z - crit * se)),
        "ci_high": float(np.tanh(z + crit * se)),
        "slope": sxy / sxx,
        "n": int(n),
        "groups": k,
    }
    return pd.DataFrame(row, index=["within"])


# ---------------------------------------------------------------------------
# how good a person mean is


def person_mean_reliability(icc, n_sessions):
    r"""Reliability of a patient's mean of ``n_sessions`` scores (Spearman-Brown).

    If single-session scores have intraclass correlation :math:`\rho_I`, the
    mean of :math:`n` sessions measures the patient's stable level with
    reliability

    .. math::

        \lambda_n = \frac{n \rho_I}{1 + (n - 1) \rho_I}
                  = \frac{\sigma^2_B}{\sigma^2_B + \sigma^2_W / n} .

    A between-patient regression slope on the observed person mean is
    attenuated by this factor relative to the slope on the true level
    (Lüdtke et al. 2008), and a correlation by its square root.

    Parameters
    ----------
    icc : float or array_like
        Intraclass correlation of single sessions, each in [0, 1].
    n_sessions : float or array_like
        Sessions per patient, each at least 1 (an average, e.g. from
        :func:`icc`'s ``n0``, is allowed).

    Returns
    -------
    float or numpy.ndarray
        The reliability; an array if either input is one.

    Notes
    -----
    The formula assumes independent session errors. When session-to-session
    changes are autocorrelated, the mean of :math:`n` sessions is noisier
    than :math:`\sigma^2_W / n` says and the true reliability is lower.

    Examples
    --------
    >>> round(person_mean_reliability(0.7, 12), 3)
    0.966
    >>> person_mean_reliability(0.5, [1, 3, 12]).round(3)
    array([0.5  , 0.75 , 0.923])
    """
    rho = np.asarray(icc, dtype=float)
    n = np.asarray(n_sessions, dtype=float)
    if not np.all(np.isfinite(rho)) or np.any((rho < 0) | (rho > 1)):
        raise ValueError(f"icc must lie in [0, 1], got {icc!r}")
    if not np.all(np.isfinite(n)) or np.any(n < 1):
        raise ValueError(f"n_sessions must be at least 1, got {n_sessions!r}")
    out = n * rho / (1 + (n - 1) * rho)
    return float(out) if np.ndim(out) == 0 else out
