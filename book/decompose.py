"""Trait and state: splitting a repeated measure into between- and within-patient parts.

A patient's session scores :math:`x_{it}` are split into the patient's mean
:math:`\\bar x_i` (the between-patient, trait-like part) and the deviation
:math:`x_{it} - \\bar x_i` (the within-patient, state-like part); this is
person-mean centering (Curran & Bauer 2011). When scores drift over
treatment, the person mean mixes level and trend, so a within-patient linear
trend can be removed first (detrending; Wang & Maxwell 2015).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

__all__ = ["person_mean_center", "detrend"]


def _check_frame(data, columns: Sequence[str], by: str, time: str | None = None) -> None:
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    needed = [*columns, by] + ([time] if time else [])
    missing = [c for c in needed if c not in data.columns]
    if missing:
        raise ValueError(
            f"column(s) {missing} not in data; available columns: {list(data.columns)}"
        )
    for col in [*columns] + ([time] if time else []):
        if not pd.api.types.is_numeric_dtype(data[col]):
            raise ValueError(f"column {col!r} must be numeric, it has dtype {data[col].dtype}")


def person_mean_center(
    data: pd.DataFrame,
    columns: str | Sequence[str],
    *,
    by: str = "patient_id",
) -> pd.DataFrame:
    """Split each column into a between-patient mean and a within-patient deviation.

    Parameters
    ----------
    data : pandas.DataFrame
        Long data: one row per patient and session.
    columns : str or sequence of str
        The time-varying numeric columns to split, e.g. ``"alliance"``.
    by : str, default "patient_id"
        The column that identifies patients.

    Returns
    -------
    pandas.DataFrame
        A copy of ``data`` with, for each column ``x``, ``x_between`` (the
        patient's mean of its non-missing values) and ``x_within`` (``x`` minus
        that mean; missing where ``x`` is missing).

    Notes
    -----
    The between part is the *observed* person mean. With few sessions it is a
    noisy measure of the patient's trait-like level, which biases
    between-patient effects (Lüdtke et al. 2008).

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
    """
    columns = [columns] if isinstance(columns, str) else list(columns)
    _check_frame(data, columns, by)
    out = data.copy()
    for col in columns:
        values = out[col].astype("float64")
        # a built-in group mean (NaN skipped), not a Python function per patient
        mean = values.groupby(out[by], sort=False).transform("mean")
        out[f"{col}_between"] = mean.astype("float64")
        out[f"{col}_within"] = values - out[f"{col}_between"]
    return out


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

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"patient_id": [1, 1, 1], "session": [1, 2, 3],
    ...                   "alliance": [3.0, 3.6, 3.9]})
    >>> detrend(d, "alliance").round(3).tolist()
    [-0.05, 0.1, -0.05]
    """
    _check_frame(data, [column], by, time)
    y = data[column].astype("float64")
    t = data[time].astype("float64").where(y.notna())
    keys = data[by]
    t_mean = t.groupby(keys).transform("mean")
    y_mean = y.groupby(keys).transform("mean")
    dt, dy = t - t_mean, y - y_mean
    sxx = (dt * dt).groupby(keys).transform("sum")
    sxy = (dt * dy).groupby(keys).transform("sum")
    n = y.notna().groupby(keys).transform("sum")
    slope = (sxy / sxx).where((n >= 2) & (sxx > 0))
    residual = dy - slope * dt
    return residual.where(slope.notna() & y.notna()).rename(f"{column}_detrended").astype("float64")
