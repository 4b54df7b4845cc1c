"""The estimators the Monte Carlo runner knows, by name, each reporting in the same terms.

Every estimator reports the coefficients it estimates under the names of the
multilevel model's formula (:func:`book.estimation.multilevel.fit_lagged_model`),
which are also the keys of :func:`book.simulation.engine.true_effects`:

- ``bdi_c``: the autoregression of the symptoms (next-session BDI-II per
  BDI-II point this session);
- ``alliance_within``: the within-patient alliance effect, BDI-II points at
  the next session per WAI-SR point above the patient's own mean, for a
  patient of average interpersonal problems;
- ``alliance_within:iip_c``: its change per IIP-32 point (the moderation).
  The same moderation per SD of IIP is ``alliance_within:iip_z`` in
  :func:`~book.simulation.engine.true_effects`; every estimator reports it per point.

An :class:`Estimator` says what data it takes: ``"panels"`` (arrays of many
replications at once, the fast closed-form estimators), ``"long"`` (one
replication's long table, one fit each) or ``"study"`` (one whole simulated
:class:`~book.simulation.study.Study`, for analyses that need the therapists
or anything else the long table lacks). A reader's own analysis becomes an
estimator with :func:`as_estimator`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from book._checks import require_columns
from book.estimation.multilevel import fit_lagged_model, fit_pooled_regression
from book.estimation.riclpm import fit_riclpm
from book.estimation.within import within_formula, within_regression
from book.simulation.experiment import training_trial

__all__ = [
    "ESTIMATORS",
    "RICLPM_TERMS",
    "Estimator",
    "Fits",
    "as_estimator",
    "describe_estimators",
]

_DATA = ("panels", "long", "study")


@dataclass(frozen=True)
class Fits:
    """What an estimator returns: estimates of its terms, for one replication or many.

    Arrays have shape ``(len(terms),)`` for one replication, or
    ``(replications, len(terms))``. A replication the estimator could not fit
    has ``nan`` estimates.

    Attributes
    ----------
    estimate, std_error : numpy.ndarray
        Estimates and standard errors (``nan`` where the estimator gives none).
    df : numpy.ndarray
        Degrees of freedom of the t reference distribution; ``inf`` for a
        normal reference (Wald z tests).
    singular : numpy.ndarray, optional
        For multilevel models: 1.0 where the fit was singular (a random-effect
        variance at zero, or random effects perfectly correlated), else 0.0.
    """

    estimate: np.ndarray
    std_error: np.ndarray
    df: np.ndarray
    singular: np.ndarray | None = None


@dataclass(frozen=True)
class Estimator:
    """An estimator the runner can apply to every replication.

    Attributes
    ----------
    name : str
        Its name in :data:`ESTIMATORS` and in the result tables.
    terms : tuple of str or None
        The terms it reports (keys of :func:`book.simulation.engine.true_effects`
        where the simulation knows their truth); ``None`` for an estimator whose
        terms are whatever its function returns.
    data : {"panels", "long", "study"}
        What ``fit`` takes: a :class:`~book.montecarlo.panels.Panels` of many
        replications, one replication's long table, or one simulated Study.
    fit : callable
        ``fit(data)``, returning :class:`Fits` (or, for an estimator made by
        :func:`as_estimator`, a dict or tidy table; see there).
    formula : str
        The model as a formula.
    description : str
        The model in words.
    """

    name: str
    terms: tuple[str, ...] | None
    data: str
    fit: Callable
    formula: str = ""
    description: str = ""

    def __post_init__(self):
        if self.data not in _DATA:
            raise ValueError(f"data must be one of {list(_DATA)}, got {self.data!r}")


def as_estimator(estimator, *, data: str = "study") -> Estimator:
    """An estimator by name, an :class:`Estimator`, or a function of one simulated study.

    Parameters
    ----------
    estimator : str, Estimator or callable
        A name in :data:`ESTIMATORS`; an :class:`Estimator`; or a function
        that takes one simulated :class:`~book.simulation.study.Study` (or,
        with ``data="long"``, one replication's long table) and returns its
        estimates: a dict ``{term: estimate}`` or ``{term: (estimate,
        std_error)}``, or a tidy table with ``term`` and ``estimate`` (and
        optionally ``std_error`` and ``df``, as :func:`book.estimation.fit_within`
        returns). Its name in the results is the function's name.
    data : {"study", "long"}, default "study"
        What a function takes.

    Returns
    -------
    Estimator

    Examples
    --------
    >>> def mean_alliance(study):
    ...     return {"mean alliance": study.sessions["alliance"].mean()}
    >>> as_estimator(mean_alliance).name, as_estimator("within").terms
    ('mean_alliance', ('bdi_c', 'alliance_within'))
    """
    if isinstance(estimator, Estimator):
        return estimator
    if isinstance(estimator, str):
        if estimator not in ESTIMATORS:
            raise ValueError(f"unknown estimator {estimator!r}; available: {list(ESTIMATORS)}")
        return ESTIMATORS[estimator]
    if callable(estimator):
        if data not in ("study", "long"):
            raise ValueError(f"data must be 'study' or 'long' for a function, got {data!r}")
        name = getattr(estimator, "__name__", type(estimator).__name__)
        return Estimator(name, None, data, _Custom(estimator), description="a function")
    raise TypeError(
        f"an estimator is a name in ESTIMATORS, an Estimator or a function; got {estimator!r}"
    )


class _Custom:
    """A reader's function, its result read as ``(terms, Fits)``."""

    def __init__(self, function: Callable):
        self.function = function

    def __call__(self, data) -> tuple[tuple[str, ...], Fits]:
        return _read_result(self.function(data))


def _read_result(result) -> tuple[tuple[str, ...], Fits]:
    if isinstance(result, pd.DataFrame):
        require_columns(result, ["term", "estimate"])
        terms = tuple(str(t) for t in result["term"])
        k = len(terms)
        est = result["estimate"].to_numpy(dtype=float)
        se = np.full(k, np.nan)
        df = np.full(k, np.inf)
        if "std_error" in result:
            se = result["std_error"].to_numpy(dtype=float)
        if "df" in result:
            df = result["df"].to_numpy(dtype=float)
        return terms, Fits(est, se, df)
    if isinstance(result, Mapping):
        terms, est, se = [], [], []
        for term, value in result.items():
            pair = value if isinstance(value, tuple | list) else (value, np.nan)
            if len(pair) != 2:
                raise ValueError(
                    f"an estimator's dict maps each term to an estimate or to "
                    f"(estimate, std_error); got {value!r} for {term!r}"
                )
            terms.append(str(term))
            est.append(float(pair[0]))
            se.append(float(pair[1]))
        k = len(terms)
        return tuple(terms), Fits(np.array(est), np.array(se), np.full(k, np.inf))
    raise TypeError(
        "an estimator function must return a dict {term: estimate} (or {term: (estimate, "
        "std_error)}) or a table with columns term and estimate; "
        f"got {type(result).__name__}"
    )


# --------------------------------------------------------------------------
# the registry's fitters


def _within_fitter(*, moderated: bool, detrend: bool, reverse: bool = False) -> Callable:
    def fit(panels) -> Fits:
        outcome, predictor = (
            (panels.alliance, panels.bdi) if reverse else (panels.bdi, panels.alliance)
        )
        result = within_regression(
            outcome,
            predictor,
            moderator=panels.iip if moderated else None,
            detrend=detrend,
            names=("alliance", "bdi", "iip") if reverse else ("bdi", "alliance", "iip"),
        )
        df = np.broadcast_to(result.df[..., None], result.estimate.shape)
        return Fits(result.estimate, result.std_error, df)

    return fit


_MULTILEVEL_TERMS = ("bdi_c", "alliance_within", "alliance_within:iip_c")


_REVERSE_TERMS = ("alliance_c", "bdi_within")


def _multilevel_fitter(*, detrend: bool, reverse: bool = False) -> Callable:
    terms = _REVERSE_TERMS if reverse else _MULTILEVEL_TERMS
    direction = "symptoms_to_alliance" if reverse else "alliance_to_symptoms"

    def fit(data: pd.DataFrame) -> Fits:
        k = len(terms)
        nan = np.full(k, np.nan)
        try:
            # a fit that does not converge is left out (nan), and counted as
            # failed in the summary; its warning would only repeat that
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = fit_lagged_model(data, detrend=detrend, direction=direction)
        except ValueError:  # a replication the model cannot be fitted to (too few pairs)
            return Fits(nan, nan.copy(), np.full(k, np.inf), nan.copy())
        if not result.converged:
            return Fits(nan, nan.copy(), np.full(k, np.inf), nan.copy())
        table = result.fixed_effects.set_index("term").loc[list(terms)]
        return Fits(
            table["estimate"].to_numpy(dtype=float),
            table["std_error"].to_numpy(dtype=float),
            np.full(k, np.inf),
            np.full(k, float(result.singular)),
        )

    return fit


def _pooled(data: pd.DataFrame) -> Fits:
    table = fit_pooled_regression(data).set_index("term").loc[["bdi", "alliance"]]
    # cluster-robust Wald tests, normal reference as statsmodels reports them
    return Fits(
        table["estimate"].to_numpy(dtype=float),
        table["std_error"].to_numpy(dtype=float),
        np.full(2, np.inf),
    )


#: The RI-CLPM's parameters (:func:`book.estimation.riclpm.fit_riclpm`) under the names of
#: the same effects in the multilevel model's terms, the keys of ``true_effects``.
RICLPM_TERMS = {
    "symptoms_ar": "bdi_c",
    "alliance_to_symptoms": "alliance_within",
    "alliance_ar": "alliance_c",
    "symptoms_to_alliance": "bdi_within",
}


def _riclpm(data: pd.DataFrame) -> Fits:
    """The RI-CLPM's symptom autoregression and alliance -> next-session symptoms effect.

    Both are already in the units of the other estimators: ``fit_riclpm``
    scales the cross-lagged effect back to BDI-II points per WAI-SR point,
    and an autoregression has no unit. It runs with one BLAS thread, so its
    numbers are the same in the main process and in joblib's workers.
    """
    require_columns(data, ["patient_id", "session", "bdi", "alliance"])
    terms = ["symptoms_ar", "alliance_to_symptoms"]  # in RICLPM_TERMS: bdi_c, alliance_within
    nan = np.full(len(terms), np.nan)
    try:
        fit = fit_riclpm(data)
    except ValueError:  # data that cannot identify the model (too few patients)
        return Fits(nan, nan.copy(), np.full(len(terms), np.inf))
    if not fit.converged:
        return Fits(nan, nan.copy(), np.full(len(terms), np.inf))
    table = fit.estimates.set_index("term").loc[terms]
    return Fits(
        table["estimate"].to_numpy(dtype=float),
        table["std_error"].to_numpy(dtype=float),
        np.full(len(terms), np.inf),
    )


def _training_trial(study) -> Fits:
    result = training_trial(study)
    return Fits(
        np.array([result["estimate"]]),
        np.array([result["std_error"]]),
        np.array([result["df"]]),
    )


_MULTILEVEL_FORMULA = (
    "bdi_next ~ bdi_c + alliance_within + alliance_between_c + iip_c + alliance_within:iip_c"
    " + (1 + alliance_within | patient_id)"
)

#: The estimators the runner knows, by name.
ESTIMATORS: dict[str, Estimator] = {
    e.name: e
    for e in (
        Estimator(
            "within",
            ("bdi_c", "alliance_within"),
            "panels",
            _within_fitter(moderated=False, detrend=False),
            within_formula(),
            "fixed effects (within patients) with the lagged outcome, least squares",
        ),
        Estimator(
            "within_iip",
            ("bdi_c", "alliance_within", "alliance_within:iip_c"),
            "panels",
            _within_fitter(moderated=True, detrend=False),
            within_formula(moderator="iip"),
            "the same, moderated by interpersonal problems",
        ),
        Estimator(
            "within_detrended",
            ("bdi_c", "alliance_within"),
            "panels",
            _within_fitter(moderated=False, detrend=True),
            within_formula(detrend=True),
            "fixed effects with a linear trend per patient",
        ),
        Estimator(
            "within_detrended_iip",
            ("bdi_c", "alliance_within", "alliance_within:iip_c"),
            "panels",
            _within_fitter(moderated=True, detrend=True),
            within_formula(moderator="iip", detrend=True),
            "the same, moderated by interpersonal problems",
        ),
        Estimator(
            "within_reverse",
            _REVERSE_TERMS,
            "panels",
            _within_fitter(moderated=False, detrend=False, reverse=True),
            within_formula(outcome="alliance", predictor="bdi"),
            "the reverse direction: next-session alliance on this session's alliance and "
            "symptoms, fixed effects",
        ),
        Estimator(
            "multilevel",
            _MULTILEVEL_TERMS,
            "long",
            _multilevel_fitter(detrend=False),
            _MULTILEVEL_FORMULA,
            "the book's lagged multilevel model (fit_lagged_model): random intercept and "
            "within-slope by patient, REML",
        ),
        Estimator(
            "multilevel_detrended",
            _MULTILEVEL_TERMS,
            "long",
            _multilevel_fitter(detrend=True),
            _MULTILEVEL_FORMULA.replace(" + (1", " + session_c + (1"),
            "the same, with each patient's linear trend removed from alliance_within",
        ),
        Estimator(
            "multilevel_reverse",
            _REVERSE_TERMS,
            "long",
            _multilevel_fitter(detrend=False, reverse=True),
            "alliance_next ~ alliance_c + bdi_within + bdi_between_c + iip_c + bdi_within:iip_c"
            " + (1 + bdi_within | patient_id)",
            "the reverse direction with the book's lagged multilevel model "
            "(fit_lagged_model(direction='symptoms_to_alliance'))",
        ),
        Estimator(
            "pooled",
            ("bdi_c", "alliance_within"),
            "long",
            _pooled,
            "bdi_next ~ bdi + alliance",
            "pooled least squares on the raw alliance, patient-clustered SEs; its alliance "
            "coefficient mixes between and within patients, and is held against the "
            "within-patient effect it is often read as",
        ),
        Estimator(
            "riclpm",
            ("bdi_c", "alliance_within"),
            "long",
            _riclpm,
            "bdi_t = mu_t + RI_bdi + s_t, alliance_t = mu_t + RI_alliance + a_t;"
            " s_t+1 ~ s_t + a_t, a_t+1 ~ a_t + s_t",
            "random-intercept cross-lagged panel model, full-information ML (fit_riclpm)",
        ),
        Estimator(
            "training_trial",
            ("alliance_training",),
            "study",
            _training_trial,
            "last BDI-II ~ trained (therapist means, Welch t-test)",
            "a trial of alliance-focused training, analysed as a real trial would be "
            "(book.simulation.experiment.training_trial)",
        ),
    )
}


def describe_estimators() -> pd.DataFrame:
    """A table of the runner's estimators: name, terms, data, model, formula.

    Examples
    --------
    >>> describe_estimators()["estimator"].tolist()  # doctest: +NORMALIZE_WHITESPACE
    ['within', 'within_iip', 'within_detrended', 'within_detrended_iip', 'within_reverse',
     'multilevel', 'multilevel_detrended', 'multilevel_reverse', 'pooled', 'riclpm',
     'training_trial']
    """
    speed = {
        "panels": "vectorised over replications",
        "long": "one fit per replication",
        "study": "one whole study per replication",
    }
    return pd.DataFrame(
        [
            {
                "estimator": e.name,
                "terms": ", ".join(e.terms or ()),
                "model": e.description,
                "formula": e.formula,
                "data": speed[e.data],
            }
            for e in ESTIMATORS.values()
        ]
    )
