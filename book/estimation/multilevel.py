r"""Lagged outcome models: does this session's alliance predict next session's symptoms?

The multilevel model of the session-by-session literature (Falkenström et al.
2013; Zilcha-Mano & Errázuriz 2015): for patient :math:`i` and session
:math:`t`,

.. math::

    \mathrm{BDI}_{i,t+1} = b_0 + b_1 \mathrm{BDI}_{it} + (b_2 + u_{2i})\, W^{\mathrm{within}}_{it}
        + b_3 \bar W_i + b_4 \mathrm{IIP}_i + b_5\, W^{\mathrm{within}}_{it}\mathrm{IIP}_i
        + u_{0i} + e_{i,t+1},

symptoms before the next session on symptoms before this one (the lagged
outcome), the patient's deviation from their own mean alliance after this
session (within, state-like), their mean alliance (between, trait-like),
interpersonal problems and the cross-level interaction, with a random
intercept and a random within-slope by patient. :func:`fit_lagged_model`
builds the lags with :func:`book.estimation.panel.add_lags` and the split with
:mod:`book.estimation.decomposition`, writes the statsmodels formula, and fits it by REML.
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.stats
import statsmodels.api as sm

from book._checks import check_bool, check_choice, check_count, check_level
from book.estimation.decomposition import detrend as _detrend
from book.estimation.decomposition import person_mean_center
from book.estimation.panel import add_lags
from book.estimation.reml import SINGULAR_TOL, fit_reml
from book.simulation.study import Study

__all__ = [
    "LaggedModelResult",
    "ModelFitWarning",
    "REQUIRED_COLUMNS",
    "build_model_frame",
    "fit_lagged_model",
    "fit_pooled_regression",
]

#: Columns a reader's own long table needs (one row per patient and session).
REQUIRED_COLUMNS = ("patient_id", "session", "bdi", "alliance", "iip")

_DIRECTIONS = {
    # direction: (outcome measured at t+1, predictor split into within/between)
    "alliance_to_symptoms": ("bdi", "alliance"),
    "symptoms_to_alliance": ("alliance", "bdi"),
}
_RANDOM = ("intercept+slope", "intercept")
_ENGINES = ("fast", "statsmodels")


class ModelFitWarning(UserWarning):
    """The optimiser did not converge: the numbers may not be the REML estimates."""


@dataclass(frozen=True, repr=False)
class LaggedModelResult:
    """A fitted lagged multilevel model, readable by a student and refittable elsewhere.

    Attributes
    ----------
    fixed_effects : pandas.DataFrame
        One row per term: ``term``, ``estimate``, ``std_error``, ``ci_low``,
        ``ci_high``, ``p_value`` (Wald z-test, as statsmodels reports).
    variance_components : pandas.DataFrame
        ``component`` and ``estimate``: random-effect variances (and their
        covariance) and the residual variance.
    formula : str
        The statsmodels formula of the fixed part.
    re_formula : str
        The statsmodels formula of the random part, by ``patient_id``.
    data : pandas.DataFrame
        The exact model frame: every row and column the model was fitted on.
    converged : bool
        Whether the optimiser converged.
    singular : bool
        Whether a random-effect variance is estimated at (nearly) zero or the
        random effects are perfectly correlated (lme4's criterion).
    messages : tuple of str
        Plain-language notes: convergence, singularity, rows and patients dropped.
    cov_fixed : pandas.DataFrame
        Covariance matrix of the fixed effects (for simple slopes).
    random_effects : pandas.DataFrame
        Each patient's predicted deviations (BLUPs) from the fixed effects.
    direction, predictor, moderator : str
        ``"alliance_to_symptoms"`` or ``"symptoms_to_alliance"``; the
        within-patient term (``"alliance_within"`` or ``"bdi_within"``); the
        moderator term (``"iip_c"``).
    centering : dict
        The constants subtracted from ``bdi``/``alliance``, the person means
        and ``iip`` (so ``iip_c = iip - centering["iip"]``).
    loglike : float
        REML log-likelihood.
    engine : str
        ``"fast"`` (vectorised profiled REML) or ``"statsmodels"``.
    model : statsmodels MixedLM
        The unfitted statsmodels model of the same formulas and model frame,
        to refit with statsmodels itself (built when first used).
    """

    fixed_effects: pd.DataFrame
    variance_components: pd.DataFrame
    formula: str
    re_formula: str
    data: pd.DataFrame
    converged: bool
    singular: bool
    messages: tuple[str, ...]
    cov_fixed: pd.DataFrame
    random_effects: pd.DataFrame
    direction: str
    predictor: str
    moderator: str
    centering: dict
    loglike: float
    engine: str
    detrend: bool

    @functools.cached_property
    def model(self):
        """The unfitted statsmodels ``MixedLM`` of :attr:`formula` and :attr:`re_formula`."""
        return _statsmodels_model(self.formula, self.re_formula, self.data)

    @property
    def n_observations(self) -> int:
        """Rows in the model frame (session pairs)."""
        return len(self.data)

    @property
    def n_patients(self) -> int:
        """Patients in the model frame."""
        return int(self.data["patient_id"].nunique())

    def coef(self, term: str) -> float:
        """The estimate of one fixed-effect term."""
        table = self.fixed_effects.set_index("term")
        if term not in table.index:
            raise KeyError(f"no term {term!r}; terms are {list(table.index)}")
        return float(table.loc[term, "estimate"])

    def summary(self) -> str:
        """A plain-text summary: model, sizes, flags, fixed effects, variance components."""
        lines = [
            f"Lagged multilevel model ({self.direction}), REML, engine={self.engine!r}",
            f"fixed:  {self.formula}",
            f"random: {self.re_formula} | patient_id",
            f"{self.n_observations} session pairs from {self.n_patients} patients; "
            f"converged: {'yes' if self.converged else 'NO'}; "
            f"singular fit: {'yes' if self.singular else 'no'}",
            "",
            self.fixed_effects.to_string(index=False, float_format=lambda x: f"{x:.3f}"),
            "",
            self.variance_components.to_string(index=False, float_format=lambda x: f"{x:.3f}"),
        ]
        if self.messages:
            lines += ["", *(f"note: {m}" for m in self.messages)]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()


def _as_frame(data) -> pd.DataFrame:
    if isinstance(data, Study):
        # only what the model needs: cheaper than the full Study.long()
        return data.sessions[["patient_id", "session", "bdi", "alliance"]].merge(
            data.patients[["patient_id", "iip"]], on="patient_id", how="left", validate="m:1"
        )
    if isinstance(data, pd.DataFrame):
        return data.copy()
    raise TypeError(
        "data must be a book Study (from simulate or load_study) or a pandas DataFrame "
        f"with columns {list(REQUIRED_COLUMNS)}; got {type(data).__name__}"
    )


def _listed(ids) -> str:
    """Up to eight patient ids, sorted when they can be, as the messages show them."""
    ids = [i.item() if isinstance(i, np.generic) else i for i in ids]
    try:
        ids = sorted(ids)
    except TypeError:  # ids of mixed types: keep the order of the data
        pass
    return f"{ids[:8]}{' ...' if len(ids) > 8 else ''}"


def _check_values(df: pd.DataFrame) -> None:
    """Patient ids present; scores finite or missing (never infinite)."""
    if df["patient_id"].isna().any():
        rows = df.index[df["patient_id"].isna()].tolist()
        raise ValueError(
            f"column 'patient_id' has {len(rows)} missing value(s) (rows {rows[:8]}); "
            "every row needs the id of its patient"
        )
    for col in ("bdi", "alliance", "iip"):
        infinite = np.isinf(df[col].to_numpy())
        if infinite.any():
            rows = df.index[infinite].tolist()
            raise ValueError(
                f"column {col!r} has {len(rows)} infinite value(s) (rows {rows[:8]}); a score "
                "must be a finite number, or missing (NaN) when it was not recorded"
            )


def build_model_frame(
    data,
    *,
    direction: str = "alliance_to_symptoms",
    detrend: bool = False,
) -> tuple[pd.DataFrame, dict, list[str]]:
    """The model frame of the lagged model: lags, within/between split, centred covariates.

    Parameters
    ----------
    data : Study or pandas.DataFrame
        A study, or a long table with the columns in :data:`REQUIRED_COLUMNS`
        (``patient_id``, any id a file can hold: numbers or text;
        ``session`` as an integer session number, ``bdi`` reported before the
        session, ``alliance`` rated after it, ``iip`` at intake, constant
        within patient). Scores may be missing (NaN), never infinite.
    direction : {"alliance_to_symptoms", "symptoms_to_alliance"}
        Which measure is the outcome at the next session.
    detrend : bool, default False
        Remove each patient's own linear trend from the within-patient part
        of the predictor (and add the session number as a covariate).

    Returns
    -------
    frame : pandas.DataFrame
        One row per patient and session with a complete next-session outcome.
    centering : dict
        The constants subtracted to centre the covariates.
    notes : list of str
        What was dropped and why.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"patient_id": [1, 1, 1, 2, 2, 2], "session": [1, 2, 3, 1, 2, 3],
    ...                   "bdi": [30, 28, 25, 20, 21, 17], "iip": [2.0] * 3 + [1.0] * 3,
    ...                   "alliance": [3.0, 3.5, 4.0, 4.0, 4.5, 4.0]})
    >>> frame, centering, notes = build_model_frame(d)
    >>> frame[["patient_id", "session", "bdi_next", "bdi_c", "alliance_within", "iip_c"]]
       patient_id  session  bdi_next  bdi_c  alliance_within  iip_c
    0           1        1      28.0   5.25        -0.500000    0.5
    1           1        2      25.0   3.25         0.000000    0.5
    3           2        1      21.0  -4.75        -0.166667   -0.5
    4           2        2      17.0  -3.75         0.333333   -0.5
    """
    check_choice(direction, "direction", _DIRECTIONS)
    check_bool(detrend, "detrend")
    df = _as_frame(data)
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(
            f"column(s) {missing} not in data; the lagged model needs {list(REQUIRED_COLUMNS)} "
            f"(one row per patient and session); available columns: {list(df.columns)}"
        )
    for col in REQUIRED_COLUMNS[1:]:
        if not pd.api.types.is_numeric_dtype(df[col]) or pd.api.types.is_bool_dtype(df[col]):
            raise ValueError(f"column {col!r} must be numeric, it has dtype {df[col].dtype}")
    df = df[list(REQUIRED_COLUMNS)].copy()
    for col in ("bdi", "alliance", "iip"):
        df[col] = df[col].astype("float64")
    _check_values(df)
    if (df.groupby("patient_id", sort=False)["iip"].nunique() > 1).any():
        raise ValueError("iip must be constant within each patient (measured at intake)")

    outcome, predictor = _DIRECTIONS[direction]
    notes: list[str] = []

    n_sessions = df.groupby("patient_id", sort=False)["session"].nunique()
    if (n_sessions < 2).all():
        raise ValueError(
            "every patient has only one session: a lagged model needs at least two "
            "consecutive sessions per patient"
        )
    within_sd = df.groupby("patient_id", sort=False)[predictor].std()
    if not (within_sd > 0).any():
        raise ValueError(
            f"{predictor} is constant within every patient, so it has no within-patient "
            "(state-like) part to relate to the next session"
        )

    df = person_mean_center(df, predictor)
    if detrend:
        df[f"{predictor}_within"] = _detrend(df, predictor)
    df = add_lags(df, outcome, lead=True)

    nxt = f"{outcome}_next"
    needed = [nxt, outcome, f"{predictor}_within", f"{predictor}_between", "iip"]
    complete = df[needed].notna().all(axis=1)
    frame = df.loc[complete].copy()
    kept = set(frame["patient_id"])
    no_iip = df.loc[df["iip"].isna(), "patient_id"].unique()
    if len(no_iip):
        notes.append(
            f"{len(no_iip)} patient(s) without an IIP score (interpersonal problems at "
            f"intake) were left out: {_listed(no_iip)}"
        )
    lost = [p for p in df["patient_id"].unique() if p not in kept and p not in set(no_iip)]
    if lost:
        notes.append(
            f"{len(lost)} patient(s) without a complete pair of consecutive sessions "
            f"({outcome} and {predictor} at one session, {outcome} at the next) were left "
            f"out: {_listed(lost)}"
        )
    if frame.empty:
        raise ValueError(
            "no patient has a complete pair of consecutive sessions "
            f"({outcome} and {predictor} at session t, {outcome} at t+1, and an IIP score)"
        )
    if not (frame[f"{predictor}_within"].abs() > 1e-12).any():
        raise ValueError(f"{predictor} has no within-patient variation in the model frame")

    patients = frame.drop_duplicates("patient_id")
    centering = {
        outcome: float(frame[outcome].mean()),
        f"{predictor}_between": float(patients[f"{predictor}_between"].mean()),
        "iip": float(patients["iip"].mean()),
    }
    frame[f"{outcome}_c"] = frame[outcome] - centering[outcome]
    frame[f"{predictor}_between_c"] = (
        frame[f"{predictor}_between"] - centering[f"{predictor}_between"]
    )
    frame["iip_c"] = frame["iip"] - centering["iip"]
    if detrend:
        centering["session"] = float(frame["session"].mean())
        frame["session_c"] = frame["session"] - centering["session"]
    return frame, centering, notes


def _formulas(direction, detrend, random_effects):
    outcome, predictor = _DIRECTIONS[direction]
    w = f"{predictor}_within"
    terms = [f"{outcome}_c", w, f"{predictor}_between_c", "iip_c", f"{w}:iip_c"]
    if detrend:
        terms.append("session_c")
    formula = f"{outcome}_next ~ " + " + ".join(terms)
    re_formula = f"~ 1 + {w}" if random_effects == "intercept+slope" else "~ 1"
    return formula, re_formula, w


def _design(frame: pd.DataFrame, formula: str, re_formula: str):
    """Outcome, fixed and random design matrices of the formulas, built without patsy.

    The columns and their order are those statsmodels' formula interface gives
    (``Intercept`` first, ``a:b`` the product of ``a`` and ``b``); a test checks
    that the matrices are equal.
    """
    lhs, rhs = (part.strip() for part in formula.split("~"))
    fe_names = ["Intercept", *(t.strip() for t in rhs.split("+"))]
    re_names = ["Intercept", *(t.strip() for t in re_formula.split("~")[1].split("+")[1:])]

    def column(name):
        if name == "Intercept":
            return np.ones(len(frame))
        if ":" in name:
            a, b = name.split(":")
            return frame[a].to_numpy(dtype=float) * frame[b].to_numpy(dtype=float)
        return frame[name].to_numpy(dtype=float)

    y = frame[lhs].to_numpy(dtype=float)
    X = np.column_stack([column(n) for n in fe_names])
    Z = np.column_stack([column(n) for n in re_names])
    return y, X, Z, fe_names, re_names


def _statsmodels_model(formula: str, re_formula: str, frame: pd.DataFrame):
    return sm.MixedLM.from_formula(
        formula, data=frame, groups=frame["patient_id"], re_formula=re_formula
    )


def _tidy(names, estimate, cov, alpha):
    se = np.sqrt(np.where(np.diag(cov) >= 0, np.diag(cov), np.nan))
    z = scipy.stats.norm.ppf(1 - alpha / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = 2 * scipy.stats.norm.sf(np.abs(estimate / se))
    return pd.DataFrame(
        {
            "term": names,
            "estimate": estimate,
            "std_error": se,
            "ci_low": estimate - z * se,
            "ci_high": estimate + z * se,
            "p_value": p,
        }
    )


def _variance_table(cov_re, scale, re_names):
    rows = []
    for j, name in enumerate(re_names):
        rows.append((f"patient {name} variance", cov_re[j, j]))
    for j in range(len(re_names)):
        for k in range(j):
            rows.append((f"patient {re_names[k]} x {re_names[j]} covariance", cov_re[j, k]))
    rows.append(("residual variance", scale))
    return pd.DataFrame(rows, columns=["component", "estimate"])


def _is_singular(cov_re, scale):
    try:
        L = np.linalg.cholesky(cov_re / scale + 0.0 * np.eye(len(cov_re)))
        return bool((np.abs(np.diag(L)) < SINGULAR_TOL).any())
    except np.linalg.LinAlgError:
        return True


def _check_identified(frame: pd.DataFrame, random_effects: str, notes: list[str]) -> None:
    """Refuse a random part the design cannot separate from the residual, as lme4 does.

    With :math:`N` session pairs from :math:`J` patients and :math:`q` random
    effects per patient, lme4 stops unless :math:`N > J` (``check.nobs.vs.nlev``)
    and :math:`N > qJ` (``check.nobs.vs.nRE``): otherwise there are at least as
    many random effects as observations, and the variances of the random part
    and of the residual cannot be told apart. A weaker design, in which most
    patients contribute no more pairs than they have random effects, is
    reported in the notes.
    """
    pairs = frame.groupby("patient_id", sort=False).size()
    n, j = int(pairs.sum()), len(pairs)
    q = 2 if random_effects == "intercept+slope" else 1
    if n <= j:
        raise ValueError(
            f"each of the {j} patients contributes a single pair of consecutive sessions "
            f"({n} pairs in all), so a patient's random intercept cannot be told apart from "
            "the residual and the multilevel model is not identified (lme4 refuses such "
            "designs too). Use a model without random effects, such as "
            "fit_pooled_regression, or collect more sessions per patient"
        )
    if n <= q * j:
        raise ValueError(
            f"{n} session pairs from {j} patients are not more than the {q * j} random "
            "effects of a random intercept and slope per patient, so the random part cannot "
            "be told apart from the residual (lme4 refuses such designs too); use "
            "random_effects='intercept', or more sessions per patient"
        )
    few = int((pairs <= q).sum())
    if few > j / 2:
        notes.append(
            f"{few} of the {j} patients contribute no more session pairs than they have "
            f"random effects ({q}); the variance components rest on the other {j - few} "
            "and are estimated imprecisely"
        )


def fit_lagged_model(
    data,
    *,
    direction: str = "alliance_to_symptoms",
    detrend: bool = False,
    random_effects: str = "intercept+slope",
    engine: str = "fast",
    alpha: float = 0.05,
    maxiter: int = 200,
) -> LaggedModelResult:
    """Fit the lagged multilevel model of session-by-session alliance research.

    With ``direction="alliance_to_symptoms"`` the formula is ::

        bdi_next ~ bdi_c + alliance_within + alliance_between_c + iip_c
                   + alliance_within:iip_c

    with a random intercept and a random ``alliance_within`` slope by
    patient: symptoms before session t+1 on symptoms before session t, the
    patient's deviation from their own mean alliance after session t, their
    mean alliance, interpersonal problems and the cross-level interaction.
    ``direction="symptoms_to_alliance"`` swaps the roles: the alliance after
    session t+1 on the alliance after session t and the within and between
    parts of symptoms. Covariates ending in ``_c`` are centred at their
    sample means (``result.centering``), so the ``alliance_within``
    coefficient is the within-patient effect for a patient of average IIP.

    Parameters
    ----------
    data : Study or pandas.DataFrame
        A study (``simulate`` or ``load_study``), or a long table with the
        columns ``patient_id`` (numbers or text), ``session`` (integer session
        number), ``bdi`` (reported before the session), ``alliance`` (rated
        after it) and ``iip`` (intake, constant within patient).
    direction : {"alliance_to_symptoms", "symptoms_to_alliance"}
        The outcome at the next session.
    detrend : bool, default False
        Remove each patient's own linear trend from the within-patient part
        of the predictor and adjust for the session number
        (Wang & Maxwell 2015; Falkenström et al. 2017).
    random_effects : {"intercept+slope", "intercept"}
        Random intercept and within-slope by patient, or intercept only.
    engine : {"fast", "statsmodels"}
        ``"fast"`` maximises the same REML criterion as statsmodels'
        ``MixedLM`` with a vectorised profile likelihood (:mod:`book.estimation.reml`);
        ``"statsmodels"`` runs ``MixedLM.fit(reml=True)`` itself (seconds,
        and on these data its default optimiser often stops short of the
        maximum).
    alpha : float, default 0.05
        1 - confidence level of the intervals.
    maxiter : int, default 200
        Maximum optimiser iterations; a fit that needs more is reported as
        not converged.

    Returns
    -------
    LaggedModelResult
        Tidy ``fixed_effects`` and ``variance_components``, the ``formula``,
        the model frame ``data``, ``converged`` and ``singular`` flags and
        plain ``messages``. A fit that did not converge also raises a
        :class:`ModelFitWarning`.

    Raises
    ------
    ValueError
        For data the model cannot use (missing columns, infinite scores, an
        IIP that changes within a patient, no complete pair of sessions), and
        for a design that cannot identify the random part: as lme4 does, the
        model is refused unless there are more session pairs than patients
        (more than twice as many with the random slope).

    Notes
    -----
    *Patients left out.* A patient enters the model only with an IIP score
    and at least one complete pair of consecutive sessions (this session's
    predictor and outcome, the next session's outcome). Patients without
    one, for example those seen only once, are left out without an error,
    and ``messages`` say how many, which and why; ``n_patients`` counts the
    patients the model did use.

    Standard errors of the fixed effects are the usual model-based ones,
    :math:`\\hat\\sigma^2 (X'\\hat V^{-1} X)^{-1}` (as in lme4 and SAS PROC MIXED).
    statsmodels inverts the Hessian of all parameters jointly instead, which
    gives slightly different values and fails (NaN) at a singular fit.

    Examples
    --------
    >>> from book.datasets.canonical import load_study
    >>> fit = fit_lagged_model(load_study())
    >>> fit.formula
    'bdi_next ~ bdi_c + alliance_within + alliance_between_c + iip_c + alliance_within:iip_c'
    >>> list(fit.fixed_effects.columns)
    ['term', 'estimate', 'std_error', 'ci_low', 'ci_high', 'p_value']
    >>> round(fit.coef("alliance_within"), 2), fit.converged
    (-2.29, True)
    """
    check_choice(direction, "direction", _DIRECTIONS)
    check_choice(random_effects, "random_effects", _RANDOM)
    check_choice(engine, "engine", _ENGINES)
    alpha = check_level(alpha, "alpha")
    maxiter = check_count(maxiter, "maxiter")

    frame, centering, notes = build_model_frame(data, direction=direction, detrend=detrend)
    if frame["patient_id"].nunique() < 3:
        raise ValueError(
            "fewer than three patients have a complete pair of consecutive sessions; "
            "a multilevel model needs many more"
        )
    _check_identified(frame, random_effects, notes)
    frame = frame.reset_index(drop=True)
    formula, re_formula, predictor = _formulas(direction, detrend, random_effects)
    # patients as codes 0, 1, ... in the order of the data: any id works (text,
    # numbers too large for an integer type, a mixture), and the labels come back below
    codes, labels = pd.factorize(frame["patient_id"], sort=False)

    if engine == "fast":
        y, X, Z, fe_names, re_names = _design(frame, formula, re_formula)
        fit = fit_reml(y, X, Z, codes, maxiter=maxiter)
        fe, cov_fe, cov_re, scale = fit.fe_params, fit.cov_fe, fit.cov_re, fit.scale
        converged, singular, loglike = fit.converged, fit.singular, fit.loglike
        blup = pd.DataFrame(fit.random_effects, columns=re_names)
        blup.insert(0, "patient_id", np.asarray(labels, dtype=object)[fit.groups])
        model = None
        if not converged:
            notes.insert(
                0,
                f"the optimiser did not converge in {maxiter} iterations (largest gradient "
                f"{fit.gradient_norm:.2g}); the numbers are not the REML estimates",
            )
    else:
        model = _statsmodels_model(formula, re_formula, frame)
        fe_names = list(model.exog_names)
        re_names = ["Intercept" if n == "Group" else n for n in model.data.exog_re_names]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = model.fit(reml=True, maxiter=maxiter)
        fe = np.asarray(res.fe_params)
        k = len(fe)
        cov_fe = np.asarray(res.cov_params())[:k, :k]
        cov_re = np.asarray(res.cov_re)
        scale = float(res.scale)
        converged = bool(res.converged)
        singular = _is_singular(cov_re, scale)
        loglike = float(res.llf)
        blup = pd.DataFrame.from_dict(res.random_effects, orient="index")
        blup.columns = re_names
        blup = blup.rename_axis("patient_id").reset_index()
        for w in caught:
            text = str(w.message).splitlines()[0]
            if text not in notes:
                notes.append(f"statsmodels: {text}")
        if not converged:
            notes.insert(0, "statsmodels' optimiser did not converge; the numbers may be wrong")
    if singular:
        notes.append(
            "singular fit: a random-effect variance is estimated at (nearly) zero or the "
            "random effects are perfectly correlated; the data cannot separate them, and "
            "a simpler random part (random_effects='intercept') gives nearly the same "
            "fixed effects"
        )
    if not converged:
        warnings.warn(notes[0], ModelFitWarning, stacklevel=2)

    result = LaggedModelResult(
        fixed_effects=_tidy(fe_names, fe, cov_fe, alpha),
        variance_components=_variance_table(cov_re, scale, re_names),
        formula=formula,
        re_formula=re_formula,
        data=frame,
        converged=converged,
        singular=singular,
        messages=tuple(notes),
        cov_fixed=pd.DataFrame(cov_fe, index=fe_names, columns=fe_names),
        random_effects=blup,
        direction=direction,
        predictor=predictor,
        moderator="iip_c",
        centering=centering,
        loglike=loglike,
        engine=engine,
        detrend=detrend,
    )
    if model is not None:
        result.__dict__["model"] = model  # the model just fitted, as the cached property
    return result


def fit_pooled_regression(data, *, alpha: float = 0.05) -> pd.DataFrame:
    """The naive pooled regression: next-session symptoms on this session's raw alliance.

    Ordinary least squares of ``bdi_next ~ bdi + alliance`` over all session
    pairs, ignoring that pairs are nested in patients except for
    cluster-robust (by patient) standard errors. The alliance coefficient mixes
    the within-patient (state-like) and between-patient (trait-like)
    associations.

    Parameters
    ----------
    data : Study or pandas.DataFrame
        As for :func:`fit_lagged_model`.
    alpha : float, default 0.05
        1 - confidence level.

    Returns
    -------
    pandas.DataFrame
        Tidy table: ``term``, ``estimate``, ``std_error``, ``ci_low``,
        ``ci_high``, ``p_value``.

    Examples
    --------
    >>> from book.datasets.canonical import load_study
    >>> table = fit_pooled_regression(load_study())
    >>> table["term"].tolist()
    ['Intercept', 'bdi', 'alliance']
    >>> round(float(table.set_index("term").loc["alliance", "estimate"]), 2)
    -1.76
    """
    alpha = check_level(alpha, "alpha")
    frame, _, _ = build_model_frame(data)
    res = sm.OLS.from_formula("bdi_next ~ bdi + alliance", data=frame).fit(
        cov_type="cluster", cov_kwds={"groups": frame["patient_id"].to_numpy()}
    )
    return _tidy(list(res.params.index), res.params.to_numpy(), res.cov_params().to_numpy(), alpha)
