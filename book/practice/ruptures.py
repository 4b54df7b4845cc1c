r"""Rupture detection from session-by-session alliance scores, and its evaluation.

A session monitor reads the alliance score a patient gives after each session
and decides whether to alert the therapist to a possible rupture. It can only
use the sessions seen so far: every rule here compares the score of session
:math:`t` with a *threshold computed from sessions before* :math:`t` and alerts
when the score falls below it. Three rules:

``reliable-drop``
    the drop from the previous scored session is larger than the reliable
    change index (Jacobson & Truax 1991): :math:`x_{t} < x_{t'} - c` with
    :math:`c = z \sqrt{2}\, \mathrm{SD} \sqrt{1 - \alpha}`;
``own-mean``
    the score lies more than :math:`k` standard deviations below the mean of
    the patient's own earlier scores, :math:`x_t < \bar x_{<t} - k\, s_{<t}`.
    Studies of rupture-repair episodes (Stiles et al. 2004; Strauss et al.
    2006) flagged ruptures with thresholds in standard deviations, set
    differently; comparing their criteria, Gumz et al. (2012) propose
    reporting both a lenient (1 SD) and a strict (2 SD) threshold of the
    patient's own variability;
``cutoff``
    the score lies below an absolute cut-off, as with the Session Rating
    Scale (Duncan et al. 2003): :math:`x_t < \text{cut-off}`.

Each rule returns a tidy table, one row per session, saying whether it alerts
and why. :func:`evaluate_alerts` holds the alerts against the true rupture
events of a simulated study (sensitivity, specificity, positive predictive
value, false alerts per 100 sessions, delay), and :func:`detection_curve`
does so over a range of thresholds.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from book._checks import require_columns
from book.practice.scales import Scale, get_scale

__all__ = [
    "RULES",
    "below_cutoff",
    "below_own_mean",
    "compare_rules",
    "detect",
    "detection_curve",
    "evaluate_alerts",
    "match_ruptures",
    "plot_alerts",
    "reliable_change_threshold",
    "reliable_drop",
]


# --------------------------------------------------------------------------
# argument checks


def _check_number(name: str, value, *, low=None, high=None, low_open=False, high_open=False):
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if low is not None and (value < low or (low_open and value == low)):
        side = ">" if low_open else ">="
        raise ValueError(f"{name} must be {side} {low}, got {value!r}")
    if high is not None and (value > high or (high_open and value == high)):
        side = "<" if high_open else "<="
        raise ValueError(f"{name} must be {side} {high}, got {value!r}")
    return value


def _prepare(data, column: str, by: str, time: str, scale: Scale) -> pd.DataFrame:
    """The three columns a rule needs, checked and sorted by patient and session."""
    require_columns(data, (by, time, column))
    scores = data[column]
    if not (pd.api.types.is_numeric_dtype(scores) and not pd.api.types.is_bool_dtype(scores)):
        raise ValueError(f"{column} must be numeric, got dtype {scores.dtype}")
    sessions = data[time]
    if not pd.api.types.is_numeric_dtype(sessions) or sessions.isna().any():
        raise ValueError(f"{time} must hold whole session numbers, with none missing")
    as_float = sessions.astype("float64").to_numpy()
    if not np.all(np.isfinite(as_float)) or np.any(as_float != np.round(as_float)):
        raise ValueError(f"{time} must hold whole session numbers, e.g. 1, 2, 3")
    if data[by].isna().any():
        raise ValueError(f"{by} has missing values; every row must name its patient")
    if data.duplicated([by, time]).any():
        first = data[data.duplicated([by, time], keep=False)].iloc[0]
        raise ValueError(
            f"data has duplicate ({by}, {time}) rows, e.g. {by} = {first[by]!r}, "
            f"{time} = {first[time]!r}; each session must appear once"
        )
    out = pd.DataFrame(
        {
            by: data[by].to_numpy(),
            time: as_float.astype(np.int64),
            column: scores.astype("float64").to_numpy(),
        }
    )
    values = out[column].to_numpy()
    outside = np.isfinite(values) & ((values < scale.minimum) | (values > scale.maximum))
    if outside.any():
        example = values[outside][0]
        raise ValueError(
            f"{column} has {int(outside.sum())} value(s) outside the {scale.name} range "
            f"{scale.minimum:g}-{scale.maximum:g} (e.g. {example:g}); "
            "is the scale right? Pass scale='wai-sr' or scale='srs'"
        )
    return out.sort_values([by, time], kind="stable").reset_index(drop=True)


def _finish(frame, column, by, time, rule, setting, reference, threshold, reasons, explain):
    scores = frame[column].to_numpy()
    with np.errstate(invalid="ignore"):
        alert = np.isfinite(threshold) & np.isfinite(scores) & (scores < threshold)
    out = frame[[by, time, column]].copy()
    out["rule"] = rule
    out["setting"] = setting
    out["reference"] = reference
    out["threshold"] = threshold
    out["alert"] = alert
    if explain:
        out["reason"] = reasons(alert)
    return out


# --------------------------------------------------------------------------
# the rules


def reliable_change_threshold(sd: float, reliability: float, *, z: float = 1.96) -> float:
    r"""The smallest change that is reliable: the reliable change index of Jacobson & Truax.

    The standard error of measurement is :math:`SE = SD\sqrt{1-\alpha}`; the
    difference of two scores has standard error :math:`S_{diff} = \sqrt 2\,SE`;
    a change is reliable when it exceeds :math:`z\,S_{diff}` (``z = 1.96``:
    less than a 5% chance from measurement error alone).

    Parameters
    ----------
    sd : float
        Standard deviation of the scores (greater than 0).
    reliability : float
        Reliability of one score, in [0, 1).
    z : float, default 1.96
        How many standard errors of a difference count as reliable (> 0).

    Returns
    -------
    float
        The reliable change, in points of the scale.

    Examples
    --------
    For the WAI-SR, with SD 0.6 and alpha .90:

    >>> round(reliable_change_threshold(0.6, 0.90), 3)
    0.526
    """
    sd = _check_number("sd", sd, low=0.0, low_open=True)
    reliability = _check_number("reliability", reliability, low=0.0, high=1.0, high_open=True)
    z = _check_number("z", z, low=0.0, low_open=True)
    return z * math.sqrt(2.0) * sd * math.sqrt(1.0 - reliability)


def reliable_drop(
    data: pd.DataFrame,
    *,
    column: str = "alliance",
    by: str = "patient_id",
    time: str = "session",
    scale: str | Scale = "wai-sr",
    sd: float | None = None,
    reliability: float | None = None,
    z: float = 1.96,
    explain: bool = True,
) -> pd.DataFrame:
    """Alert when the score drops from the previous scored session by more than a reliable change.

    Parameters
    ----------
    data : pandas.DataFrame
        Long data, one row per patient and session, in any order; a missing
        score is NaN.
    column, by, time : str
        The score, patient and session-number columns.
    scale : str or Scale, default "wai-sr"
        The questionnaire (see :mod:`book.practice.scales`): its range is checked and
        it gives ``sd`` and ``reliability`` when they are not given.
    sd, reliability : float, optional
        Standard deviation and reliability of the scores, for the reliable
        change index (:func:`reliable_change_threshold`).
    z : float, default 1.96
        The reliable change is ``z`` standard errors of a difference.
    explain : bool, default True
        Add the ``reason`` column (a sentence per session).

    Returns
    -------
    pandas.DataFrame
        One row per session, sorted by patient and session: the three input
        columns, ``rule``, ``setting``, ``reference`` (the previous score),
        ``threshold`` (the score below which the rule alerts), ``alert`` and
        ``reason``.

    Notes
    -----
    The comparison is with the most recent earlier session that has a score,
    as a clinician would compare with the last questionnaire they saw. The
    first scored session of a patient cannot alert.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"patient_id": 1, "session": [1, 2, 3, 4],
    ...                   "alliance": [4.2, 4.1, 3.4, 4.0]})
    >>> out = reliable_drop(d)
    >>> out[["session", "alliance", "threshold", "alert"]]
       session  alliance  threshold  alert
    0        1       4.2        NaN  False
    1        2       4.1   3.674...  False
    2        3       3.4   3.574...   True
    3        4       4.0   2.874...  False
    >>> print(out.loc[2, "reason"])
    dropped 0.70 from session 2 (4.10 to 3.40), more than the reliable change 0.53
    """
    scale = get_scale(scale, construct="alliance")
    sd = scale.sd if sd is None else sd
    reliability = scale.reliability if reliability is None else reliability
    if sd is None or reliability is None:
        raise ValueError(
            f"the {scale.name} scale has no checked SD and reliability in the book; "
            "give them, e.g. reliable_drop(data, scale='srs', sd=..., reliability=...)"
        )
    change = reliable_change_threshold(sd, reliability, z=z)
    frame = _prepare(data, column, by, time, scale)
    groups = frame[by]
    scored_session = frame[time].where(frame[column].notna())
    previous = frame[column].groupby(groups).ffill().groupby(groups).shift()
    previous_session = scored_session.groupby(groups).ffill().groupby(groups).shift()
    reference = previous.to_numpy()
    threshold = reference - change

    def reasons(alert):
        out = []
        for x, ref, ps, a in zip(frame[column], reference, previous_session, alert, strict=True):
            if np.isnan(x):
                out.append("no score this session")
            elif np.isnan(ref):
                out.append("no earlier score to compare with")
            elif a:
                out.append(
                    f"dropped {ref - x:.2f} from session {int(ps)} ({ref:.2f} to {x:.2f}), "
                    f"more than the reliable change {change:.2f}"
                )
            else:
                out.append(
                    f"change {x - ref:+.2f} from session {int(ps)} is within "
                    f"the reliable change {change:.2f}"
                )
        return out

    setting = f"z = {z:g}, drop > {change:.2f}"
    return _finish(
        frame, column, by, time, "reliable-drop", setting, reference, threshold, reasons, explain
    )


def below_own_mean(
    data: pd.DataFrame,
    *,
    column: str = "alliance",
    by: str = "patient_id",
    time: str = "session",
    scale: str | Scale = "wai-sr",
    k: float = 1.0,
    min_sessions: int = 3,
    min_sd: float = 0.0,
    explain: bool = True,
) -> pd.DataFrame:
    """Alert when the score is more than ``k`` SDs below the patient's own earlier mean.

    Parameters
    ----------
    data : pandas.DataFrame
        Long data, one row per patient and session, in any order; a missing
        score is NaN.
    column, by, time : str
        The score, patient and session-number columns.
    scale : str or Scale, default "wai-sr"
        The questionnaire; its range is checked.
    k : float, default 1.0
        How many of the patient's own standard deviations below their own mean
        count as a rupture: 1 is the lenient criterion, 2 the strict one.
    min_sessions : int, default 3
        Earlier scored sessions needed before the rule judges a session (at
        least 2, to have a standard deviation).
    min_sd : float, default 0.0
        The smallest standard deviation the rule uses. With a few earlier
        sessions that happen to be nearly equal, the patient's SD is close to
        0 and a trivial dip alerts; a floor such as the scale's standard error
        of measurement (about 0.19 for the WAI-SR) prevents that.
    explain : bool, default True
        Add the ``reason`` column.

    Returns
    -------
    pandas.DataFrame
        As :func:`reliable_drop`; ``reference`` is the mean of the patient's
        earlier scores and ``threshold`` is that mean minus ``k`` times their
        standard deviation.

    Notes
    -----
    The criterion follows studies of rupture-repair episodes (Stiles et al.
    2004; Strauss et al. 2006) as compared by Gumz et al. (2012), who propose
    ``k = 1`` (lenient) and ``k = 2`` (strict). Such studies classify ruptures
    after treatment, with the mean and SD of *all* of a patient's sessions. A
    monitor cannot: it
    uses the sessions before the one it judges. A patient whose earlier
    scores are all equal has SD 0, and then any lower score alerts, unless
    ``min_sd`` sets a floor.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"patient_id": 1, "session": [1, 2, 3, 4, 5],
    ...                   "alliance": [4.0, 4.2, 4.1, 3.5, 4.1]})
    >>> out = below_own_mean(d, k=2)
    >>> out[["session", "reference", "threshold", "alert"]]
       session  reference  threshold  alert
    0        1        NaN        NaN  False
    1        2        NaN        NaN  False
    2        3        NaN        NaN  False
    3        4        4.1        3.9   True
    4        5        3.95   3.3...  False
    >>> print(out.loc[3, "reason"])
    3.50 is 6.0 SD below the mean of 3 earlier sessions (4.10, SD 0.10); alerts beyond 2 SD
    """
    scale = get_scale(scale, construct="alliance")
    k = _check_number("k", k, low=0.0, low_open=True)
    min_sd = _check_number("min_sd", min_sd, low=0.0)
    if not isinstance(min_sessions, numbers.Integral) or isinstance(min_sessions, bool):
        raise TypeError(f"min_sessions must be an integer, got {min_sessions!r}")
    if min_sessions < 2:
        raise ValueError(
            f"min_sessions must be at least 2 (an SD needs two scores), got {min_sessions}"
        )
    frame = _prepare(data, column, by, time, scale)
    x = frame[column].to_numpy()
    seen = np.isfinite(x)
    x0 = np.where(seen, x, 0.0)
    groups = frame[by]
    # sums over the *earlier* sessions of the same patient: inclusive cumsum minus the current
    n = pd.Series(seen.astype(float)).groupby(groups).cumsum().to_numpy() - seen
    s1 = pd.Series(x0).groupby(groups).cumsum().to_numpy() - x0
    s2 = pd.Series(x0**2).groupby(groups).cumsum().to_numpy() - x0**2
    enough = n >= min_sessions
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(enough, s1 / n, np.nan)
        var = np.where(enough, (s2 - n * mean**2) / (n - 1), np.nan)
    sd = np.sqrt(np.clip(var, 0.0, None))
    sd = np.where(sd < 1e-9, 0.0, sd)  # rounding noise of equal scores
    sd = np.where(np.isnan(sd), np.nan, np.maximum(sd, min_sd))
    threshold = mean - k * sd

    def reasons(alert):
        out = []
        for xi, m, s, count, a in zip(x, mean, sd, n, alert, strict=True):
            if np.isnan(xi):
                out.append("no score this session")
            elif np.isnan(m):
                out.append(f"{int(count)} earlier score(s); the rule needs {min_sessions}")
            else:
                gap = (m - xi) / s if s > 0 else (math.inf if xi < m else 0.0)
                where = f"the mean of {int(count)} earlier sessions ({m:.2f}, SD {s:.2f})"
                if a:
                    size = f"{gap:.1f} SD below" if math.isfinite(gap) else "below"
                    out.append(f"{xi:.2f} is {size} {where}; alerts beyond {k:g} SD")
                else:
                    out.append(f"{xi:.2f} is within {k:g} SD of {where}")
        return out

    setting = f"k = {k:g} SD" + (f", SD at least {min_sd:g}" if min_sd > 0 else "")
    return _finish(frame, column, by, time, "own-mean", setting, mean, threshold, reasons, explain)


def below_cutoff(
    data: pd.DataFrame,
    *,
    column: str = "alliance",
    by: str = "patient_id",
    time: str = "session",
    scale: str | Scale = "wai-sr",
    cutoff: float | None = None,
    explain: bool = True,
) -> pd.DataFrame:
    """Alert when the score is below an absolute cut-off, as the Session Rating Scale does.

    Parameters
    ----------
    data : pandas.DataFrame
        Long data, one row per patient and session; a missing score is NaN.
    column, by, time : str
        The score, patient and session-number columns.
    scale : str or Scale, default "wai-sr"
        The questionnaire: its range is checked and it gives the cut-off when
        ``cutoff`` is not given (36 for the SRS; 3.0 for the WAI-SR, a design
        choice).
    cutoff : float, optional
        Scores strictly below this value alert.
    explain : bool, default True
        Add the ``reason`` column.

    Returns
    -------
    pandas.DataFrame
        As :func:`reliable_drop`; ``reference`` and ``threshold`` both hold the cut-off.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"patient_id": 1, "session": [1, 2, 3], "score": [38.0, 35.5, 36.0]})
    >>> below_cutoff(d, column="score", scale="srs")[["session", "score", "alert", "reason"]]
       session  score  alert                                   reason
    0        1   38.0  False  38.00 is at or above the cut-off 36.00
    1        2   35.5   True          35.50 is below the cut-off 36.00
    2        3   36.0  False  36.00 is at or above the cut-off 36.00
    """
    scale = get_scale(scale, construct="alliance")
    cutoff = scale.cutoff if cutoff is None else cutoff
    cutoff = _check_number("cutoff", cutoff)
    frame = _prepare(data, column, by, time, scale)
    threshold = np.full(len(frame), cutoff)

    def reasons(alert):
        out = []
        for xi, a in zip(frame[column], alert, strict=True):
            if np.isnan(xi):
                out.append("no score this session")
            elif a:
                out.append(f"{xi:.2f} is below the cut-off {cutoff:.2f}")
            else:
                out.append(f"{xi:.2f} is at or above the cut-off {cutoff:.2f}")
        return out

    return _finish(
        frame,
        column,
        by,
        time,
        "cutoff",
        f"cut-off {cutoff:g}",
        threshold.copy(),
        threshold,
        reasons,
        explain,
    )


#: The rules by name: the function, the name of its threshold parameter, and
#: what a reader should call it.
RULES: dict[str, dict] = {
    "reliable-drop": {
        "function": reliable_drop,
        "parameter": "z",
        "label": "drop larger than the reliable change",
    },
    "own-mean": {
        "function": below_own_mean,
        "parameter": "k",
        "label": "below the patient's own earlier mean",
    },
    "cutoff": {
        "function": below_cutoff,
        "parameter": "cutoff",
        "label": "below an absolute cut-off",
    },
}


def _rule(rule: str) -> dict:
    if rule not in RULES:
        raise ValueError(f"unknown rule {rule!r}; choose one of {', '.join(map(repr, RULES))}")
    return RULES[rule]


def detect(data: pd.DataFrame, rule: str, **options) -> pd.DataFrame:
    """Apply the rule named ``rule`` (a key of :data:`RULES`) with its options.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"patient_id": 1, "session": [1, 2], "alliance": [4.5, 2.5]})
    >>> detect(d, "cutoff")["alert"].tolist()
    [False, True]
    """
    function: Callable = _rule(rule)["function"]
    return function(data, **options)


# --------------------------------------------------------------------------
# evaluation against the truth


def _events(ruptures: pd.DataFrame, alerts: pd.DataFrame, by: str, time: str) -> pd.DataFrame:
    if not isinstance(ruptures, pd.DataFrame):
        raise TypeError(
            "ruptures must be a DataFrame of true rupture events such as study.truth.ruptures, "
            f"got {type(ruptures).__name__}"
        )
    missing = [c for c in (by, time) if c not in ruptures.columns]
    if missing:
        raise ValueError(f"ruptures lacks column(s) {missing}; it has {list(ruptures.columns)}")
    events = ruptures
    if "attended" in events.columns:
        events = events[events["attended"].astype(bool)]
    events = events[events[by].isin(alerts[by].unique())]
    return events.sort_values([by, time], kind="stable").reset_index(drop=True)


def _check_alerts(alerts: pd.DataFrame, by: str, time: str) -> None:
    if not isinstance(alerts, pd.DataFrame):
        raise TypeError(f"alerts must be the DataFrame a rule returns, got {type(alerts).__name__}")
    missing = [c for c in (by, time, "alert") if c not in alerts.columns]
    if missing:
        raise ValueError(
            f"alerts lacks column(s) {missing}; pass the table a rule such as reliable_drop returns"
        )


def _check_window(window) -> int:
    if not isinstance(window, numbers.Integral) or isinstance(window, bool) or window < 0:
        raise ValueError(f"window must be a whole number of sessions, 0 or more; got {window!r}")
    return int(window)


def match_ruptures(
    alerts: pd.DataFrame,
    ruptures: pd.DataFrame,
    *,
    window: int = 1,
    by: str = "patient_id",
    time: str = "session",
) -> pd.DataFrame:
    """For each true rupture, whether and how soon the monitor alerted.

    A rupture at session :math:`s` counts as *detected* when the rule alerts
    at a session from :math:`s` to :math:`s` + ``window`` of the same patient.

    Parameters
    ----------
    alerts : pandas.DataFrame
        The table a rule returns.
    ruptures : pandas.DataFrame
        True rupture events, such as ``study.truth.ruptures``; only those in
        attended sessions (column ``attended``, if present) and of patients in
        ``alerts`` are used.
    window : int, default 1
        Sessions after the rupture session in which an alert still counts.
    by, time : str
        Patient and session columns.

    Returns
    -------
    pandas.DataFrame
        The rupture events with ``detected`` (bool) and ``delay`` (sessions
        from the rupture to the first alert in the window; NaN if missed).

    Examples
    --------
    >>> import pandas as pd
    >>> alerts = pd.DataFrame({"patient_id": 1, "session": [1, 2, 3, 4, 5],
    ...                        "alert": [False, False, False, True, False]})
    >>> events = pd.DataFrame({"patient_id": [1, 1], "session": [3, 5]})
    >>> match_ruptures(alerts, events)
       patient_id  session  detected  delay
    0           1        3      True    1.0
    1           1        5     False    NaN
    """
    _check_alerts(alerts, by, time)
    window = _check_window(window)
    events = _events(ruptures, alerts, by, time).copy()
    hits = alerts[alerts["alert"].astype(bool)]
    alerted = set(zip(hits[by], hits[time], strict=True))
    delay = np.full(len(events), np.nan)
    for i, (pid, s) in enumerate(zip(events[by], events[time], strict=True)):
        for lag in range(window + 1):
            if (pid, s + lag) in alerted:
                delay[i] = lag
                break
    events["detected"] = ~np.isnan(delay)
    events["delay"] = delay
    return events


def _in_window(alerts: pd.DataFrame, events: pd.DataFrame, window: int, by: str, time: str):
    windows = {
        (pid, s + lag)
        for pid, s in zip(events[by], events[time], strict=True)
        for lag in range(window + 1)
    }
    return np.fromiter(
        ((pid, t) in windows for pid, t in zip(alerts[by], alerts[time], strict=True)),
        dtype=bool,
        count=len(alerts),
    )


def evaluate_alerts(
    alerts: pd.DataFrame,
    ruptures: pd.DataFrame,
    *,
    window: int = 1,
    by: str = "patient_id",
    time: str = "session",
) -> pd.DataFrame:
    """How well a rule's alerts find the true ruptures: a one-row table.

    Sessions within ``window`` sessions after a true rupture (the rupture
    session included) are *rupture sessions*; all other sessions are *quiet*.

    - sensitivity = detected ruptures / ruptures (see :func:`match_ruptures`);
    - specificity = quiet sessions without an alert / quiet sessions;
    - positive predictive value (PPV) = alerts in rupture sessions / alerts;
    - false alerts per 100 sessions = 100 x alerts in quiet sessions / sessions;
    - delay = mean sessions from a detected rupture to its first alert.

    Parameters
    ----------
    alerts : pandas.DataFrame
        The table a rule returns (one row per attended session).
    ruptures : pandas.DataFrame
        True rupture events, such as ``study.truth.ruptures``.
    window : int, default 1
        Sessions after the rupture in which an alert still counts as finding it.
    by, time : str
        Patient and session columns.

    Returns
    -------
    pandas.DataFrame
        One row: ``rule``, ``setting``, ``window``, ``ruptures``, ``detected``,
        ``sensitivity``, ``alerts``, ``true_alerts``, ``ppv``, ``false_alerts``,
        ``quiet_sessions``, ``specificity``, ``sessions``,
        ``false_alerts_per_100`` and ``mean_delay``.

    Notes
    -----
    What counts as a hit is a choice: here the *onset* of a rupture is the
    event to find. An alert in a later session of a rupture that was never
    repaired counts as false, even though the alliance is still lower there.

    Examples
    --------
    >>> import pandas as pd
    >>> alerts = pd.DataFrame({"patient_id": 1, "session": [1, 2, 3, 4, 5, 6],
    ...                        "alert": [False, True, False, True, False, False]})
    >>> events = pd.DataFrame({"patient_id": [1], "session": [3]})
    >>> row = evaluate_alerts(alerts, events).iloc[0]
    >>> [round(float(row[c]), 3) for c in ("sensitivity", "ppv", "specificity",
    ...                                    "false_alerts_per_100")]
    [1.0, 0.5, 0.75, 16.667]
    """
    _check_alerts(alerts, by, time)
    window = _check_window(window)
    events = match_ruptures(alerts, ruptures, window=window, by=by, time=time)
    alert = alerts["alert"].astype(bool).to_numpy()
    in_window = _in_window(alerts, events, window, by, time)
    n_events = len(events)
    detected = int(events["detected"].sum())
    n_alerts = int(alert.sum())
    true_alerts = int((alert & in_window).sum())
    false_alerts = n_alerts - true_alerts
    quiet = int((~in_window).sum())
    sessions = len(alerts)

    def ratio(a, b):
        return a / b if b else float("nan")

    def first(column):
        if column in alerts.columns and len(alerts):
            return str(alerts[column].iloc[0])
        return ""

    return pd.DataFrame(
        [
            {
                "rule": first("rule"),
                "setting": first("setting"),
                "window": window,
                "ruptures": n_events,
                "detected": detected,
                "sensitivity": ratio(detected, n_events),
                "alerts": n_alerts,
                "true_alerts": true_alerts,
                "ppv": ratio(true_alerts, n_alerts),
                "false_alerts": false_alerts,
                "quiet_sessions": quiet,
                "specificity": 1.0 - ratio(false_alerts, quiet),
                "sessions": sessions,
                "false_alerts_per_100": 100.0 * ratio(false_alerts, sessions),
                "mean_delay": float(events["delay"].mean()) if detected else float("nan"),
            }
        ]
    )


def detection_curve(
    data: pd.DataFrame,
    ruptures: pd.DataFrame,
    rule: str,
    values: Iterable[float],
    *,
    window: int = 1,
    **options,
) -> pd.DataFrame:
    """The trade-off between missed ruptures and false alerts over a range of thresholds.

    Parameters
    ----------
    data : pandas.DataFrame
        Session scores, as for the rules.
    ruptures : pandas.DataFrame
        True rupture events, such as ``study.truth.ruptures``.
    rule : str
        A key of :data:`RULES`.
    values : iterable of float
        Values of the rule's threshold parameter: ``z`` for ``reliable-drop``,
        ``k`` for ``own-mean``, ``cutoff`` for ``cutoff``.
    window : int, default 1
        As in :func:`evaluate_alerts`.
    **options
        Other options of the rule (``column``, ``scale``, ...).

    Returns
    -------
    pandas.DataFrame
        One row per value: ``parameter`` (its name), ``value`` and the columns
        of :func:`evaluate_alerts`. Tidy, ready for ``seaborn.lineplot``.

    Examples
    --------
    >>> from book.simulation.engine import simulate
    >>> study = simulate(seed=3)
    >>> curve = detection_curve(study.sessions, study.truth.ruptures, "own-mean", [1, 2])
    >>> curve[["parameter", "value"]]
      parameter  value
    0         k    1.0
    1         k    2.0
    >>> bool((curve["sensitivity"].diff().dropna() <= 0).all())
    True
    """
    spec = _rule(rule)
    parameter = spec["parameter"]
    if parameter in options:
        raise ValueError(f"give the values of {parameter!r} in values, not as an option")
    values = [float(v) for v in values]
    if not values:
        raise ValueError("values must hold at least one threshold")
    rows = []
    for value in values:
        alerts = spec["function"](data, explain=False, **{parameter: value}, **options)
        row = evaluate_alerts(
            alerts,
            ruptures,
            window=window,
            by=options.get("by", "patient_id"),
            time=options.get("time", "session"),
        )
        row.insert(2, "parameter", parameter)
        row.insert(3, "value", value)
        rows.append(row)
    return pd.concat(rows, ignore_index=True)


#: The rules and settings the book compares: the reliable drop, the lenient
#: and strict own-mean criteria, and the cut-off.
STANDARD_RULES: tuple[tuple[str, dict], ...] = (
    ("reliable-drop", {}),
    ("own-mean", {"k": 1.0}),
    ("own-mean", {"k": 2.0}),
    ("cutoff", {}),
)


def compare_rules(
    data: pd.DataFrame,
    ruptures: pd.DataFrame,
    *,
    window: int = 1,
    rules: Iterable[tuple[str, dict]] = STANDARD_RULES,
    **options,
) -> pd.DataFrame:
    """Evaluate several rules on the same data: one row per rule and setting.

    Parameters
    ----------
    data : pandas.DataFrame
        Session scores.
    ruptures : pandas.DataFrame
        True rupture events.
    window : int, default 1
        As in :func:`evaluate_alerts`.
    rules : iterable of (str, dict)
        Rule names with their options; by default the reliable drop, the
        lenient (1 SD) and strict (2 SD) own-mean criteria and the cut-off.
    **options
        Options common to every rule (``column``, ``scale``, ...).

    Returns
    -------
    pandas.DataFrame
        The rows of :func:`evaluate_alerts`, one per rule.
    """
    rows = [
        evaluate_alerts(
            detect(data, name, explain=False, **{**options, **settings}),
            ruptures,
            window=window,
            by=options.get("by", "patient_id"),
            time=options.get("time", "session"),
        )
        for name, settings in rules
    ]
    return pd.concat(rows, ignore_index=True)


# --------------------------------------------------------------------------
# the monitor's view


def plot_alerts(
    alerts: pd.DataFrame,
    *,
    column: str = "alliance",
    by: str = "patient_id",
    time: str = "session",
    scale: str | Scale = "wai-sr",
    ruptures: pd.DataFrame | None = None,
    ax=None,
):
    """One patient's scores, the rule's threshold and its alerts, session by session.

    Parameters
    ----------
    alerts : pandas.DataFrame
        A rule's output for one patient (select the patient's rows first).
    column, by, time : str
        The score, patient and session columns.
    scale : str or Scale, default "wai-sr"
        Sets the vertical axis to the scale's range.
    ruptures : pandas.DataFrame, optional
        True rupture events of this patient (a simulated study only), drawn
        as shaded sessions.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new pyplot figure when omitted.

    Returns
    -------
    matplotlib.axes.Axes
    """
    from book.plots import COLORS

    scale = get_scale(scale, construct="alliance")
    _check_alerts(alerts, by, time)
    if column not in alerts.columns:
        raise ValueError(f"column {column!r} not in alerts; it has {list(alerts.columns)}")
    if alerts[by].nunique() > 1:
        raise ValueError("alerts holds several patients; select one patient's rows to draw")
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(7, 3.4))
    sessions = alerts[time].to_numpy()
    scores = alerts[column].to_numpy(dtype=float)
    if ruptures is not None and len(ruptures):
        for k, s in enumerate(ruptures[time]):
            ax.axvspan(
                s - 0.4,
                s + 0.4,
                color=COLORS["rupture"],
                alpha=0.18,
                lw=0,
                label="true rupture" if k == 0 else None,
            )
    ax.plot(sessions, scores, "o-", color=COLORS["alliance"], ms=5, label="score")
    if "threshold" in alerts.columns:
        threshold = alerts["threshold"].to_numpy(dtype=float)
        ax.step(
            sessions,
            threshold,
            where="mid",
            color="0.45",
            ls="--",
            lw=1.2,
            label="alert below this line",
        )
    hit = alerts["alert"].astype(bool).to_numpy()
    ax.plot(
        sessions[hit],
        scores[hit],
        "v",
        color=COLORS["symptoms"],
        ms=11,
        mec="black",
        mew=0.6,
        label="alert",
        ls="none",
    )
    pad = 0.03 * (scale.maximum - scale.minimum)
    ax.set_ylim(scale.minimum - pad, scale.maximum + pad)
    if len(sessions):
        ax.set_xlim(sessions.min() - 0.6, sessions.max() + 0.6)
        ax.set_xticks(np.arange(sessions.min(), sessions.max() + 1))
    ax.set_xlabel("session")
    ax.set_ylabel(f"alliance ({scale.name.upper()})")
    ax.legend(loc="lower left", fontsize="small", frameon=True)
    return ax
