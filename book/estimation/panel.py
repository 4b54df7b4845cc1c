"""Session-by-session (panel) data: lagged values that respect the calendar.

A lag must pair a session with the *previous session* of the same patient,
not with the previous row: when session 5 is missing, session 6 has no lag.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from book._checks import check_count, require_columns

__all__ = ["add_lags"]


def _check_session_numbers(sessions: pd.Series, time: str) -> None:
    """Session numbers must be numeric, present and whole: a lag is ``t - periods``."""
    if pd.api.types.is_bool_dtype(sessions) or not pd.api.types.is_numeric_dtype(sessions):
        raise ValueError(
            f"column {time!r} must hold numeric session numbers (1, 2, 3, ...), "
            f"it has dtype {sessions.dtype}; convert it first, e.g. with "
            f"pd.to_numeric(data[{time!r}])"
        )
    if sessions.isna().any():
        raise ValueError(
            f"column {time!r} has {int(sessions.isna().sum())} missing value(s); "
            "every row needs a session number"
        )
    if pd.api.types.is_float_dtype(sessions):
        fractional = sessions[~np.isfinite(sessions) | (sessions != np.round(sessions))]
        if len(fractional):
            raise ValueError(
                f"column {time!r} must hold whole session numbers, got "
                f"{fractional.unique()[:5].tolist()}; a lag pairs session t with session "
                "t - periods, so sessions are counted in whole steps"
            )


def add_lags(
    data: pd.DataFrame,
    columns: str | Sequence[str],
    *,
    by: str = "patient_id",
    time: str = "session",
    periods: int = 1,
    lead: bool = False,
) -> pd.DataFrame:
    """Add each column's value from ``periods`` sessions earlier (or later).

    Parameters
    ----------
    data : pandas.DataFrame
        Long data, one row per patient and session; rows may be in any order
        and sessions may be missing.
    columns : str or sequence of str
        Columns to lag.
    by : str, default "patient_id"
        Column identifying patients.
    time : str, default "session"
        Session number: numeric, whole numbers (integer dtype, or floats such
        as ``3.0``), never missing.
    periods : int, default 1
        How many sessions back (or ahead, with ``lead=True``).
    lead : bool, default False
        Add the value ``periods`` sessions *later* instead, named ``x_next``
        (for ``periods=1``) or ``x_lead{periods}``.

    Returns
    -------
    pandas.DataFrame
        A copy of ``data`` with, for each column ``x``, ``x_lag`` (for
        ``periods=1``) or ``x_lag{periods}``: the value at session
        ``t - periods`` of the same patient, missing when that session has no
        row or no value.

    Raises
    ------
    ValueError
        If a column is missing, ``periods`` is not a positive integer, ``time``
        is not numeric, has missing values or values that are not whole
        numbers, or a patient has the same session twice.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"patient_id": [1, 1, 1], "session": [1, 2, 4],
    ...                   "bdi": [30.0, 28.0, 25.0]})
    >>> add_lags(d, "bdi")
       patient_id  session   bdi  bdi_lag
    0           1        1  30.0      NaN
    1           1        2  28.0     30.0
    2           1        4  25.0      NaN
    """
    columns = [columns] if isinstance(columns, str) else list(columns)
    require_columns(data, [*columns, by, time])
    check_count(periods, "periods")
    _check_session_numbers(data[time], time)
    if data.duplicated([by, time]).any():
        raise ValueError(f"data has duplicate ({by}, {time}) rows; each session must appear once")
    shift = -periods if lead else periods
    source = data[[by, time, *columns]].copy()
    source[time] = source[time] + shift
    if lead:
        suffix = "_next" if periods == 1 else f"_lead{periods}"
    else:
        suffix = "_lag" if periods == 1 else f"_lag{periods}"
    source = source.rename(columns={c: f"{c}{suffix}" for c in columns})
    out = data.merge(source, on=[by, time], how="left", validate="1:1")
    out.index = data.index
    return out
