r"""The within-patient (fixed-effects) estimator of the lagged alliance effect, fast.

Does a better-than-usual session predict fewer symptoms a week later? The
simplest estimator regresses the symptoms reported before session
:math:`t+1` on the symptoms before session :math:`t` and the alliance after
session :math:`t`, with one intercept per patient:

.. math::

    y_{i,t+1} = \alpha_i + \phi\, y_{it} + \beta\, x_{it}
                + \beta_m\, x_{it} (z_i - \bar z) + e_{i,t+1},

where :math:`z_i` is a patient moderator (interpersonal problems) centred at
its sample mean, and the last term is optional. The patient intercepts
:math:`\alpha_i` are removed by person-mean centring every variable over the
patient's usable sessions (the within transformation), so only
within-patient variation identifies :math:`\phi`, :math:`\beta` and
:math:`\beta_m`. Because of the patient intercepts, centring the alliance on
the patient's mean beforehand changes nothing: the estimate is the same for
:math:`x_{it}` and for its within-patient part :math:`x_{it} - \bar x_i`,
so the terms are named ``alliance_within``. The terms carry the names of the
multilevel model's formula (:func:`book.estimation.multilevel.fit_lagged_model`):
``bdi_c`` for the lagged outcome (centring changes no slope), ``alliance_within``
and ``alliance_within:iip_c``, the change of the effect per IIP-32 point, so
that both estimators report the same quantities in the same units.

Everything is closed-form least squares on arrays of shape
``(..., patients, sessions)``, so thousands of simulated replications are
estimated in one call (:func:`within_regression`); :func:`fit_within` fits
one study in long format and returns a tidy table. Standard errors are
cluster-robust by patient (default) or classical.

The estimator is biased in short panels when the lagged outcome is a
regressor (Nickell 1981; :func:`book.estimation.nickell.nickell_bias`), and the alliance
effect is attenuated by measurement error in the alliance; the chapter
"Designing a study" measures both by simulation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from book._checks import check_choice, check_level, require_columns

__all__ = ["WithinFit", "fit_within", "panel_arrays", "within_formula", "within_regression"]

_COV_TYPES = ("cluster", "classical")


@dataclass(frozen=True)
class WithinFit:
    """Estimates of the within-patient lagged regression, for one or many data sets.

    Arrays have the leading shape of the data (for example ``(replications,)``,
    or ``()`` for a single study) and, for per-term arrays, a last axis over
    :attr:`terms`. A data set with too little information for a term
    (singular cross-products, fewer than two patients) gives ``nan``.

    Attributes
    ----------
    terms : tuple of str
        Names of the coefficients, e.g. ``("bdi_c", "alliance_within")``.
    estimate, std_error : numpy.ndarray
        Coefficients and their standard errors, shape ``(..., len(terms))``.
    df : numpy.ndarray
        Degrees of freedom of the t reference distribution: patients minus 1
        (cluster-robust) or observations minus patients minus terms (classical).
    n_obs, n_patients : numpy.ndarray
        Session pairs used, and patients contributing at least one pair.
    cov_type : str
        ``"cluster"`` or ``"classical"``.
    """

    terms: tuple[str, ...]
    estimate: np.ndarray
    std_error: np.ndarray
    df: np.ndarray
    n_obs: np.ndarray
    n_patients: np.ndarray
    cov_type: str

    def statistic(self) -> np.ndarray:
        """t statistics, ``estimate / std_error``."""
        return self.estimate / self.std_error

    def p_value(self) -> np.ndarray:
        """Two-sided p values from the t distribution with :attr:`df` degrees of freedom."""
        return 2.0 * stats.t.sf(np.abs(self.statistic()), self.df[..., None])

    def conf_int(self, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper limits of the ``level`` confidence interval of each term."""
        level = check_level(level)
        half = stats.t.ppf(0.5 + level / 2.0, self.df[..., None]) * self.std_error
        return self.estimate - half, self.estimate + half


def within_formula(
    outcome: str = "bdi",
    predictor: str = "alliance",
    moderator: str | None = None,
    *,
    detrend: bool = False,
) -> str:
    """The model of :func:`fit_within`, written as a statsmodels formula.

    Parameters
    ----------
    outcome, predictor : str
        Names of the outcome (``bdi``) and the predictor (``alliance``).
    moderator : str, optional
        Name of a patient-level moderator (``iip``), centred as ``iip_c``.
    detrend : bool, default False
        Add a linear trend over sessions for every patient,
        ``C(patient_id):session``.

    Returns
    -------
    str
        The formula, with ``_next`` for the outcome one session later,
        ``_within`` for the person-mean-centred predictor, ``_c`` for
        variables centred at their sample mean and ``C(patient_id)`` for the
        patient intercepts.

    Examples
    --------
    >>> within_formula(moderator="iip")
    'bdi_next ~ bdi_c + alliance_within + alliance_within:iip_c + C(patient_id)'
    """
    terms = _term_names(outcome, predictor, moderator)
    trend = " + C(patient_id):session" if detrend else ""
    return f"{outcome}_next ~ {' + '.join(terms)} + C(patient_id){trend}"


def within_regression(
    outcome,
    predictor,
    *,
    moderator=None,
    detrend: bool = False,
    cov_type: str = "cluster",
    names: Sequence[str] = ("bdi", "alliance", "iip"),
) -> WithinFit:
    """Within-patient regression of next-session outcome on outcome and predictor, vectorised.

    Fits ``outcome[t+1] ~ outcome[t] + predictor[t] (+ predictor[t] * z)``
    with one intercept per patient, for every data set in the leading
    dimensions at once. A pair of sessions is used when the outcome at
    ``t`` and ``t + 1`` and the predictor at ``t`` are all present; because
    the last axis is the session number, a missing session gives a missing
    lag, as in :func:`book.estimation.panel.add_lags`.

    Parameters
    ----------
    outcome : array_like, shape (..., patients, sessions)
        The outcome before each session (``nan`` when missing or not attended),
        column ``j`` holding session ``j + 1``.
    predictor : array_like, same shape as ``outcome``
        The predictor after each session (``nan`` when missing).
    moderator : array_like, shape (..., patients), optional
        A patient-level moderator. It is centred within each data set at its
        mean over the patients with a value, so the predictor's coefficient is
        its effect for a patient of average moderator and the interaction is
        the change per unit of the moderator (per IIP-32 point), as in
        :func:`book.estimation.multilevel.fit_lagged_model`.
    detrend : bool, default False
        Also remove each patient's linear trend over sessions: every variable
        is regressed on the session number within patient over the usable
        pairs, as with a slope per patient, ``C(patient_id):session``
        (Wang & Maxwell 2015). Time trends shared by the alliance and the
        symptoms then no longer masquerade as a lagged effect.
    cov_type : {"cluster", "classical"}, default "cluster"
        ``"cluster"``: cluster-robust by patient, with the small-sample factor
        :math:`G/(G-1) \\cdot (N-1)/(N-K)` (:math:`G` patients, :math:`N`
        pairs, :math:`K` terms; the patient intercepts are nested in the
        clusters and not counted) and a t reference with :math:`G-1` degrees
        of freedom. ``"classical"``: homoskedastic, independent errors, with
        :math:`N - G - K` degrees of freedom (as least squares with one dummy
        per patient).
    names : sequence of str, default ("bdi", "alliance", "iip")
        Names of the outcome, predictor and moderator, used for the terms.

    Returns
    -------
    WithinFit
        Estimates, standard errors, degrees of freedom and counts.

    Examples
    --------
    Three patients, four sessions; from the second session on, the outcome is
    3 minus the predictor of the previous session, give or take 0.1:

    >>> import numpy as np
    >>> x = np.array([[4.0, 3.0, 5.0, 4.0], [2.0, 3.0, 2.5, 4.0], [3.0, 3.5, 3.0, 2.0]])
    >>> y = np.full_like(x, np.nan)
    >>> y[:, 1:] = 3.0 - x[:, :-1] + np.array([[0.1, -0.1, 0.0], [0.0, 0.1, -0.1], [0.1, 0.0, 0.0]])
    >>> y[:, 0] = [1.0, 0.5, 0.0]
    >>> fit = within_regression(y, x)
    >>> fit.terms
    ('bdi_c', 'alliance_within')
    >>> np.round(fit.estimate, 2)
    array([ 0.12, -1.  ])
    >>> int(fit.n_obs), int(fit.n_patients), int(fit.df)
    (9, 3, 2)
    """
    check_choice(cov_type, "cov_type", _COV_TYPES)
    if isinstance(names, str) or len(names) != 3:
        raise ValueError(
            "names must give three names: outcome, predictor and moderator, "
            f"e.g. ('bdi', 'alliance', 'iip'); got {names!r}"
        )
    y_all = np.asarray(outcome, dtype=float)
    x_all = np.asarray(predictor, dtype=float)
    if y_all.ndim < 2 or y_all.shape != x_all.shape:
        raise ValueError(
            "outcome and predictor must be arrays of the same shape (..., patients, sessions); "
            f"got {y_all.shape} and {x_all.shape}"
        )
    if y_all.shape[-1] < 3:
        raise ValueError(
            f"at least 3 sessions are needed (two lagged pairs per patient), got {y_all.shape[-1]}"
        )
    terms = _term_names(*names[:2], names[2] if moderator is not None else None)

    y_next, y_lag, x_lag = y_all[..., 1:], y_all[..., :-1], x_all[..., :-1]
    valid = np.isfinite(y_next) & np.isfinite(y_lag) & np.isfinite(x_lag)
    columns = [y_lag, x_lag]
    if moderator is not None:
        z = _centre_moderator(np.asarray(moderator, dtype=float), y_all.shape[:-1])
        valid &= np.isfinite(z)[..., None]
        columns.append(x_lag * z[..., None])

    k = len(columns)
    n_per_patient = valid.sum(axis=-1)
    n_obs = n_per_patient.sum(axis=-1)
    n_patients = (n_per_patient > 0).sum(axis=-1)
    lead = y_all.shape[:-2]

    # within transformation: centre (and detrend) each variable on the patient's usable pairs
    if detrend:
        session = np.broadcast_to(np.arange(1.0, y_all.shape[-1]), valid.shape)
        t_c = _centre(session, valid, n_per_patient)
        t_ss = (t_c**2).sum(axis=-1)

        def transform(values):
            c = _centre(values, valid, n_per_patient)
            with np.errstate(invalid="ignore", divide="ignore"):
                slope = np.where(t_ss > 0, (c * t_c).sum(axis=-1) / t_ss, 0.0)
            return c - slope[..., None] * t_c

        n_absorbed = n_patients + (n_per_patient >= 2).sum(axis=-1)
    else:

        def transform(values):
            return _centre(values, valid, n_per_patient)

        n_absorbed = n_patients
    X = np.stack([transform(c) for c in columns], axis=-3)
    yc = transform(y_next)
    X = X.reshape(*lead, k, -1)  # (..., k, pairs)
    yc = yc.reshape(*lead, -1)

    xtx = X @ np.swapaxes(X, -1, -2)
    xty = (X @ yc[..., None])[..., 0]
    # singular cross-products (no within variation in a term) are not estimable
    scale = np.prod(np.diagonal(xtx, axis1=-2, axis2=-1), axis=-1)
    estimable = (np.abs(np.linalg.det(xtx)) > 1e-12 * scale) & (n_patients >= 2) & (n_obs > k)
    safe = np.where(estimable[..., None, None], xtx, np.eye(k))
    bread = np.linalg.inv(safe)
    coef = (bread @ xty[..., None])[..., 0]
    resid = yc - (coef[..., None, :] @ X)[..., 0, :]

    if cov_type == "cluster":
        n_pat_axis = y_all.shape[-2]
        products = (X * resid[..., None, :]).reshape(*lead, k, n_pat_axis, -1)
        scores = products @ np.ones(products.shape[-1])  # (..., k, patients)
        meat = scores @ np.swapaxes(scores, -1, -2)
        with np.errstate(divide="ignore", invalid="ignore"):
            factor = n_patients / (n_patients - 1.0) * (n_obs - 1.0) / (n_obs - k)
            cov = factor[..., None, None] * (bread @ meat @ bread)
        df = n_patients - 1.0
    else:
        df = (n_obs - n_absorbed - k).astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            sigma2 = (resid**2).sum(axis=-1) / df
        cov = sigma2[..., None, None] * bread
        estimable &= df > 0
    with np.errstate(invalid="ignore"):
        se = np.sqrt(np.diagonal(cov, axis1=-2, axis2=-1))
    bad = ~estimable | (df <= 0)
    coef = np.where(bad[..., None], np.nan, coef)
    se = np.where(bad[..., None], np.nan, se)
    df = np.where(bad, np.nan, df)
    return WithinFit(
        terms=terms,
        estimate=coef,
        std_error=se,
        df=np.asarray(df, dtype=float),
        n_obs=np.asarray(n_obs),
        n_patients=np.asarray(n_patients),
        cov_type=cov_type,
    )


def panel_arrays(
    data: pd.DataFrame,
    columns: str | Sequence[str],
    *,
    by: str = "patient_id",
    time: str = "session",
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Long session data as arrays of shape (patients, sessions), one per column.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per patient and session; rows in any order, sessions may be
        missing.
    columns : str or sequence of str
        Numeric columns to reshape.
    by : str, default "patient_id"
        The column identifying patients.
    time : str, default "session"
        The integer session number.

    Returns
    -------
    patients : numpy.ndarray
        The patient identifiers, sorted: row ``i`` of every array.
    arrays : dict of str to numpy.ndarray
        For each column, a float array whose column ``j`` holds session
        ``first + j`` (the first session in the data); ``nan`` where the
        session has no row or no value.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"patient_id": [2, 1, 1], "session": [1, 1, 3],
    ...                   "bdi": [20.0, 30.0, 25.0]})
    >>> ids, arrays = panel_arrays(d, "bdi")
    >>> ids
    array([1, 2])
    >>> arrays["bdi"]
    array([[30., nan, 25.],
           [20., nan, nan]])
    """
    columns = [columns] if isinstance(columns, str) else list(columns)
    require_columns(data, [*columns, by, time])
    if len(data) == 0:
        raise ValueError("data has no rows")
    sessions = data[time]
    if not pd.api.types.is_integer_dtype(sessions) and not (
        pd.api.types.is_numeric_dtype(sessions) and np.all(np.mod(sessions.dropna(), 1) == 0)
    ):
        raise ValueError(f"column {time!r} must hold whole session numbers")
    if sessions.isna().any():
        raise ValueError(f"column {time!r} has missing session numbers")
    if data.duplicated([by, time]).any():
        raise ValueError(f"data has duplicate ({by}, {time}) rows; each session must appear once")
    for col in columns:
        if not pd.api.types.is_numeric_dtype(data[col]):
            raise ValueError(f"column {col!r} must be numeric, it has dtype {data[col].dtype}")
    patients, row = np.unique(data[by].to_numpy(), return_inverse=True)
    session = sessions.to_numpy().astype(np.int64)
    first = int(session.min())
    col = session - first
    shape = (len(patients), int(session.max()) - first + 1)
    arrays = {}
    for name in columns:
        values = np.full(shape, np.nan)
        values[row, col] = data[name].astype("float64").to_numpy(na_value=np.nan)
        arrays[name] = values
    return patients, arrays


def fit_within(
    data: pd.DataFrame,
    *,
    outcome: str = "bdi",
    predictor: str = "alliance",
    moderator: str | None = None,
    by: str = "patient_id",
    time: str = "session",
    detrend: bool = False,
    cov_type: str = "cluster",
    level: float = 0.95,
) -> pd.DataFrame:
    """Fit the within-patient lagged regression to one study; a tidy table of terms.

    The model is :func:`within_formula`: the outcome at the next session on
    the outcome and the person-mean-centred predictor at this session (and
    their interaction with the centred moderator), with one intercept
    per patient. Pairs of sessions follow session numbers, so a missing
    session gives a missing lag (as :func:`book.estimation.panel.add_lags`).

    Parameters
    ----------
    data : pandas.DataFrame
        Long data, one row per patient and session, e.g. ``study.long()``.
    outcome : str, default "bdi"
        Symptoms reported before each session.
    predictor : str, default "alliance"
        Alliance rated after each session.
    moderator : str, optional
        A patient-level column (e.g. ``"iip"``) whose value, centred at its
        sample mean, moderates the predictor's effect; it must be constant
        within patients.
    by : str, default "patient_id"
        The column identifying patients (the clusters).
    time : str, default "session"
        Integer session number.
    detrend : bool, default False
        Also remove a linear trend over sessions per patient (every variable
        is detrended within patient before the regression).
    cov_type : {"cluster", "classical"}, default "cluster"
        Cluster-robust standard errors by patient, or classical ones; see
        :func:`within_regression`.
    level : float, default 0.95
        Confidence level of the intervals.

    Returns
    -------
    pandas.DataFrame
        One row per term: ``term``, ``estimate``, ``std_error``, ``ci_low``,
        ``ci_high``, ``p_value``, ``df``, ``statistic`` (the t statistic),
        ``n_obs`` (session pairs) and ``n_patients``.

    Examples
    --------
    >>> from book.datasets.canonical import load_study
    >>> table = fit_within(load_study().long(), moderator="iip")
    >>> table[["term", "estimate", "std_error"]].round(3)
                        term  estimate  std_error
    0                  bdi_c     0.434      0.025
    1        alliance_within    -2.896      0.464
    2  alliance_within:iip_c    -2.479      0.823
    """
    level = check_level(level)
    needed = [outcome, predictor] + ([moderator] if moderator is not None else [])
    ids, arrays = panel_arrays(data, needed, by=by, time=time)
    z = None
    if moderator is not None:
        per_patient = data.groupby(by)[moderator].agg(["min", "max"])
        if (per_patient["max"] - per_patient["min"]).abs().gt(0).any():
            raise ValueError(f"moderator {moderator!r} must be constant within each patient")
        z = per_patient["min"].reindex(ids).to_numpy(dtype=float)
    fit = within_regression(
        arrays[outcome],
        arrays[predictor],
        moderator=z,
        detrend=detrend,
        cov_type=cov_type,
        names=(outcome, predictor, moderator or "moderator"),
    )
    if np.isnan(fit.estimate).any():
        raise ValueError(
            f"the model cannot be estimated from these data: {int(fit.n_obs)} usable session "
            f"pairs from {int(fit.n_patients)} patients; it needs at least two patients and "
            "within-patient variation in every term"
        )
    low, high = fit.conf_int(level)
    k = len(fit.terms)
    return pd.DataFrame(
        {
            "term": list(fit.terms),
            "estimate": fit.estimate,
            "std_error": fit.std_error,
            "ci_low": low,
            "ci_high": high,
            "p_value": fit.p_value(),
            "df": np.repeat(float(fit.df), k),
            "statistic": fit.statistic(),
            "n_obs": np.repeat(int(fit.n_obs), k),
            "n_patients": np.repeat(int(fit.n_patients), k),
        }
    )


# --------------------------------------------------------------------------


def _term_names(outcome: str, predictor: str, moderator: str | None) -> tuple[str, ...]:
    terms = (f"{outcome}_c", f"{predictor}_within")
    if moderator is not None:
        terms += (f"{predictor}_within:{moderator}_c",)
    return terms


def _centre(values: np.ndarray, valid: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Deviation from the patient's mean over the valid pairs; 0 elsewhere."""
    v = np.where(valid, values, 0.0)
    # sums over sessions as a matrix product: much faster than a reduction
    # over a short last axis
    total = v @ np.ones(v.shape[-1])
    mean = np.divide(total, n, out=np.zeros_like(total), where=n > 0)
    v -= mean[..., None]
    v *= valid
    return v


def _centre_moderator(z: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The moderator minus its mean over the patients with a value (``nan`` stays ``nan``)."""
    if z.shape != shape:
        raise ValueError(
            f"moderator must have shape (..., patients) = {shape}, matching outcome; got {z.shape}"
        )
    ok = np.isfinite(z)
    n = ok.sum(axis=-1, keepdims=True)
    mean = np.where(ok, z, 0.0).sum(axis=-1, keepdims=True) / np.maximum(n, 1)
    return z - mean
