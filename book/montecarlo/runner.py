r"""Designing a study by Monte Carlo: power, bias and coverage over a grid of designs.

How many patients, and how many sessions, does a study need to detect a
within-patient alliance effect of the size the literature reports, or its
moderation by interpersonal problems? And is the estimate unbiased? This
module answers by simulation: for every design it repeats *simulate, then
estimate* many times and compares the estimates with the truth that generated
the data (Morris, White & Crowther 2019).

The runner is fast because it never builds one small study at a time.
A *chunk* of :math:`R` replications is simulated as one study with
:math:`R` times as many therapists (each replication is a block of therapists
and their patients, all drawn independently), and the closed-form
fixed-effects estimators of :mod:`book.estimation.within` then estimate all
:math:`R` replications in one call. The slow, faithful estimators (a
multilevel model fitted by statsmodels, the RI-CLPM fitted by full-information ML) see
exactly the same replications, one at a time, spread over the workers.

Reproducibility: every chunk draws from its own seed,
``numpy.random.SeedSequence(seed, spawn_key=(design, chunk))`` (the same as
``SeedSequence(seed).spawn(...)[design].spawn(...)[chunk]``), over a chunking
fixed by the design and ``chunk_size``. The results therefore depend on the
seed, the designs (and their order), ``n_reps`` and ``chunk_size``, never on
``n_jobs`` or the parallel backend. Tasks run through :mod:`joblib`, so the
same call runs serially, on local processes or, under
``joblib.parallel_config(backend="dask")``, on a Dask cluster.
"""

from __future__ import annotations

import dataclasses
import itertools
import numbers
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import joblib
import numpy as np
import pandas as pd
from scipy import stats

from book.estimation.decomposition import person_mean_center
from book.estimation.panel import add_lags
from book.estimation.riclpm import fit_riclpm
from book.estimation.within import within_formula, within_regression
from book.simulation import engine as _simulator
from book.simulation.parameters import SimulationParameters

__all__ = [
    "ESTIMATORS",
    "Estimator",
    "Panels",
    "describe_estimators",
    "design_grid",
    "patients_for_power",
    "plot_power",
    "replicate_designs",
    "run_design_study",
    "simulate_panels",
    "summarize_replications",
    "true_effects",
]

#: Replications per chunk when ``chunk_size`` is not given: about this many
#: planned patient-sessions per chunk (a chunk of the default 240 x 12 design
#: holds 69 replications), at least 1 and at most 500 replications.
CHUNK_CELLS = 200_000

_FIELDS = tuple(f.name for f in dataclasses.fields(SimulationParameters))
_COUNTS = {"n_patients", "n_therapists", "patients_per_therapist", "n_sessions"}


# --------------------------------------------------------------------------
# the truth


def true_effects(params: SimulationParameters | None = None) -> dict[str, float]:
    """The true values of the terms the estimators estimate, in observed units.

    Parameters
    ----------
    params : SimulationParameters, optional
        The data-generating parameters; the defaults when omitted.

    Returns
    -------
    dict
        ``"bdi"``: the autoregression of symptom fluctuations
        (``symptom_ar``); ``"alliance_within"``: BDI-II points per WAI-SR point
        of within-patient alliance, for a patient of average interpersonal
        problems (``alliance_to_symptoms * symptom_state_sd / state_sd``);
        ``"alliance_within:iip_z"``: the change of that effect per SD of
        interpersonal problems (``alliance_to_symptoms_iip`` rescaled alike).

    Examples
    --------
    >>> {k: round(v, 3) for k, v in true_effects().items()}
    {'bdi': 0.3, 'alliance_within': -2.0, 'alliance_within:iip_z': -0.933}
    """
    truth = _simulator.true_effects(params)  # scale units are defined with the simulator
    return {
        "bdi": float(truth["symptoms_ar"]),
        "alliance_within": float(truth["alliance_to_symptoms"]),
        "alliance_within:iip_z": float(truth["alliance_to_symptoms_iip_sd"]),
    }


# --------------------------------------------------------------------------
# many replications as one study


@dataclass(frozen=True)
class Panels:
    """Observed data of many replications of one design, as arrays.

    Attributes
    ----------
    bdi : numpy.ndarray, shape (replications, patients, sessions)
        BDI-II before each session; ``nan`` when missing or after dropout.
    alliance : numpy.ndarray, same shape
        WAI-SR mean after each session; ``nan`` when missing or after dropout.
    iip : numpy.ndarray, shape (replications, patients)
        IIP-32 at intake.
    params : SimulationParameters
        The design of one replication.
    """

    bdi: np.ndarray
    alliance: np.ndarray
    iip: np.ndarray
    params: SimulationParameters

    @property
    def n_reps(self) -> int:
        """Number of replications."""
        return self.bdi.shape[0]

    def long(self, replication: int) -> pd.DataFrame:
        """One replication in long format, like ``Study.long()`` (these columns only).

        Patients are numbered from 1 within the replication. Sessions with
        neither questionnaire (after dropout, or both missing) have no row:
        they carry no information for the models.
        """
        if not 0 <= replication < self.n_reps:
            raise ValueError(f"replication must be in 0..{self.n_reps - 1}, got {replication}")
        n, T = self.bdi.shape[1:]
        pid = np.repeat(np.arange(1, n + 1), T)
        session = np.tile(np.arange(1, T + 1), n)
        keep = np.isfinite(self.bdi[replication]) | np.isfinite(self.alliance[replication])
        keep = keep.reshape(-1)
        return pd.DataFrame(
            {
                "patient_id": pid[keep],
                "session": session[keep],
                "bdi": self.bdi[replication].reshape(-1)[keep],
                "alliance": self.alliance[replication].reshape(-1)[keep],
                "iip": np.repeat(self.iip[replication], T)[keep],
            }
        )


def simulate_panels(params: SimulationParameters | None, n_reps: int, *, seed: int) -> Panels:
    """Simulate ``n_reps`` replications of a design at once, as arrays.

    The replications are one run of :func:`book.simulation.simulate` with
    ``n_reps`` times as many therapists: replication ``r`` is the block of
    therapists ``r * n_therapists`` to ``(r + 1) * n_therapists - 1`` and
    their patients. The values are exactly those of
    ``simulate(params.replace(n_therapists=n_reps * params.n_therapists), seed=seed)``
    (a test checks it), without building its tables. One difference from
    ``n_reps`` separate studies: the number of therapists with
    alliance-focused training is fixed for the whole run, so it varies a
    little between replications around ``share_trained``.

    Parameters
    ----------
    params : SimulationParameters or None
        The design of one replication (the defaults when ``None``).
    n_reps : int
        Number of replications, at least 1.
    seed : int
        Seed of the run (a non-negative integer).

    Returns
    -------
    Panels
        Arrays of shape ``(n_reps, patients, sessions)``.

    Examples
    --------
    >>> panels = simulate_panels(None, 3, seed=1)
    >>> panels.bdi.shape, panels.iip.shape
    ((3, 240, 12), (3, 240))
    """
    params = SimulationParameters() if params is None else params
    if not isinstance(params, SimulationParameters):
        raise TypeError(f"params must be a SimulationParameters, got {type(params).__name__}")
    _check_positive_int(n_reps, "n_reps")
    if not isinstance(seed, numbers.Integral) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    run = params.replace(n_therapists=params.n_therapists * int(n_reps))

    observed = _simulator.simulate_arrays(run, seed=int(seed)).observed()
    T = run.n_sessions
    shape = (int(n_reps), params.n_patients, T)
    return Panels(
        bdi=observed["bdi"].reshape(shape),
        alliance=observed["alliance"].reshape(shape),
        iip=observed["iip"].reshape(shape[:2]),
        params=params,
    )


# --------------------------------------------------------------------------
# estimators


@dataclass(frozen=True)
class Estimator:
    """An estimator the runner can apply to every replication.

    Attributes
    ----------
    name : str
        Its name in :data:`ESTIMATORS` and in the result tables.
    terms : tuple of str
        The coefficients it reports (keys of :func:`true_effects`).
    formula : str
        The model as a formula.
    description : str
        The model in words.
    vectorised : bool
        True if ``fit`` takes a :class:`Panels` of many replications at once;
        False if it takes one replication in long format (slow, faithful path).
    fit : callable
        ``fit(panels)`` or ``fit(long_data)``, returning arrays
        ``(estimate, std_error, df)`` of shape ``(..., len(terms))``;
        ``df = inf`` for a normal reference distribution.
    """

    name: str
    terms: tuple[str, ...]
    formula: str
    description: str
    vectorised: bool
    fit: Callable


def _within_fitter(*, moderated: bool, detrend: bool) -> Callable:
    def fit(panels: Panels):
        result = within_regression(
            panels.bdi,
            panels.alliance,
            moderator=panels.iip if moderated else None,
            detrend=detrend,
        )
        df = np.broadcast_to(result.df[..., None], result.estimate.shape)
        return result.estimate, result.std_error, df

    return fit


def mixedlm_lagged(data: pd.DataFrame, *, moderator: str | None = None):
    """A multilevel model of next-session symptoms, fitted with statsmodels MixedLM.

    The common analysis of session-by-session data: ``bdi_next`` on ``bdi``,
    the within-patient and between-patient parts of the alliance (person-mean
    centring with :func:`book.estimation.decomposition.person_mean_center`) and, with a
    moderator, its standardized value and interaction with the within part;
    a random intercept per patient, REML (Powell's optimiser). Lags follow
    session numbers (:func:`book.estimation.panel.add_lags`). This is the runner's slow,
    faithful path; the book's models chapter has the full version. With the
    lagged outcome in the model the random-intercept variance is often
    estimated at zero, and statsmodels then gives no standard error for
    ``bdi`` (``nan``).

    Parameters
    ----------
    data : pandas.DataFrame
        One replication in long format with ``patient_id``, ``session``,
        ``bdi``, ``alliance`` (and the moderator).
    moderator : str, optional
        Patient-level moderator, e.g. ``"iip"``.

    Returns
    -------
    tuple of numpy.ndarray
        ``(estimate, std_error, df)`` for the terms ``bdi``,
        ``alliance_within`` (and ``alliance_within:iip_z``), ``df = inf``
        (Wald tests); ``nan`` if the fit fails.
    """
    import statsmodels.formula.api as smf

    cols = ["bdi", "alliance"]
    d = person_mean_center(data, "alliance")
    d = add_lags(d, "bdi", lead=True)
    d = d.astype({"bdi": "float64", "bdi_next": "float64"})
    terms = ["bdi", "alliance_within"]
    formula = "bdi_next ~ bdi + alliance_within + alliance_between"
    if moderator is not None:
        per_patient = d.groupby("patient_id")[moderator].first()
        z = (per_patient - per_patient.mean()) / per_patient.std()
        d[f"{moderator}_z"] = d["patient_id"].map(z)
        cols.append(moderator)
        formula += f" + alliance_within:{moderator}_z + {moderator}_z"
        terms.append(f"alliance_within:{moderator}_z")
    d = d.dropna(subset=["bdi_next", *cols])
    k = len(terms)
    try:
        # convergence and boundary warnings are frequent in small replications;
        # a failed fit shows as nan and is left out of the summary (n_reps)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # Powell: the random-intercept variance often sits at its boundary (0)
            # here, where gradient methods such as L-BFGS stop with a singular matrix
            result = smf.mixedlm(formula, d, groups=d["patient_id"]).fit(reml=True, method="powell")
            est = result.fe_params[terms].to_numpy(dtype=float)
            se = result.bse_fe[terms].to_numpy(dtype=float)
    except (np.linalg.LinAlgError, ValueError):
        est, se = np.full(k, np.nan), np.full(k, np.nan)
    return est, se, np.full(k, np.inf)


def riclpm_lagged(data: pd.DataFrame):
    """The random-intercept cross-lagged panel model of one replication, as the runner needs it.

    Fits :func:`book.estimation.riclpm.fit_riclpm` (all sessions, lagged effects equal
    over sessions, full-information maximum likelihood) and
    reports its symptoms autoregression as ``bdi`` and its alliance ->
    next-session symptoms effect as ``alliance_within``. Both are already in
    the units of :func:`true_effects`: ``fit_riclpm`` scales the cross-lagged
    effect back to BDI-II points per WAI-SR point, and an autoregression has
    no unit. The model separates each patient's stable level (a random
    intercept) from the within-patient fluctuations without centring on an
    observed mean, so it has no Nickell bias; like the other estimators it
    takes the observed WAI-SR for the alliance, measurement error included.
    The fit runs with one BLAS thread, so that its numbers are the same in
    the main process and in joblib's workers, whatever ``n_jobs``.

    Parameters
    ----------
    data : pandas.DataFrame
        One replication in long format with ``patient_id``, ``session``,
        ``bdi`` and ``alliance``.

    Returns
    -------
    tuple of numpy.ndarray
        ``(estimate, std_error, df)`` for the terms ``bdi`` and
        ``alliance_within``, ``df = inf`` (Wald tests); ``nan`` if the model
        cannot be fitted (too few patients observed at some pair of sessions)
        or its optimiser does not report convergence.

    Examples
    --------
    >>> panels = simulate_panels(SimulationParameters(n_therapists=10, n_sessions=6), 1, seed=3)
    >>> est, se, df = riclpm_lagged(panels.long(0))
    >>> est.round(2).tolist(), se.round(2).tolist(), df.tolist()
    ([0.39, -1.13], [0.08, 0.74], [inf, inf])
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    needed = ["patient_id", "session", "bdi", "alliance"]
    missing = [c for c in needed if c not in data.columns]
    if missing:
        raise ValueError(f"column(s) {missing} not in data; the RI-CLPM needs {needed}")
    terms = ["symptoms_ar", "alliance_to_symptoms"]  # bdi, alliance_within
    nan = np.full(len(terms), np.nan)
    # fit_riclpm runs on one BLAS thread, so the result does not depend on
    # n_jobs (joblib's workers get fewer threads than the main process)
    try:
        fit = fit_riclpm(data)
    except ValueError:  # a covariance matrix that cannot be fitted
        return nan, nan.copy(), np.full(len(terms), np.inf)
    if not fit.converged:
        return nan, nan.copy(), np.full(len(terms), np.inf)
    table = fit.estimates.set_index("term").loc[terms]
    return (
        table["estimate"].to_numpy(dtype=float),
        table["std_error"].to_numpy(dtype=float),
        np.full(len(terms), np.inf),
    )


def _fit_mixedlm(data):
    return mixedlm_lagged(data)


def _fit_mixedlm_iip(data):
    return mixedlm_lagged(data, moderator="iip")


#: The estimators the runner knows, by name.
ESTIMATORS: dict[str, Estimator] = {
    e.name: e
    for e in (
        Estimator(
            "within",
            ("bdi", "alliance_within"),
            within_formula(),
            "fixed effects (within patients) with the lagged outcome",
            True,
            _within_fitter(moderated=False, detrend=False),
        ),
        Estimator(
            "within_iip",
            ("bdi", "alliance_within", "alliance_within:iip_z"),
            within_formula(moderator="iip"),
            "the same, moderated by interpersonal problems",
            True,
            _within_fitter(moderated=True, detrend=False),
        ),
        Estimator(
            "within_detrended",
            ("bdi", "alliance_within"),
            within_formula(detrend=True),
            "fixed effects with a linear trend per patient",
            True,
            _within_fitter(moderated=False, detrend=True),
        ),
        Estimator(
            "within_detrended_iip",
            ("bdi", "alliance_within", "alliance_within:iip_z"),
            within_formula(moderator="iip", detrend=True),
            "the same, moderated by interpersonal problems",
            True,
            _within_fitter(moderated=True, detrend=True),
        ),
        Estimator(
            "mixedlm",
            ("bdi", "alliance_within"),
            "bdi_next ~ bdi + alliance_within + alliance_between + (1 | patient_id)",
            "multilevel model, random intercept, REML (statsmodels MixedLM)",
            False,
            _fit_mixedlm,
        ),
        Estimator(
            "mixedlm_iip",
            ("bdi", "alliance_within", "alliance_within:iip_z"),
            "bdi_next ~ bdi + alliance_within + alliance_between + alliance_within:iip_z"
            " + iip_z + (1 | patient_id)",
            "the same, moderated by interpersonal problems",
            False,
            _fit_mixedlm_iip,
        ),
        Estimator(
            "riclpm",
            ("bdi", "alliance_within"),
            "bdi_t = mu_t + RI_bdi + s_t, alliance_t = mu_t + RI_alliance + a_t;"
            " s_t+1 ~ s_t + a_t, a_t+1 ~ a_t + s_t",
            "random-intercept cross-lagged panel model, full-information ML",
            False,
            riclpm_lagged,
        ),
    )
}


def describe_estimators() -> pd.DataFrame:
    """A table of the runner's estimators: name, terms, model, formula and speed.

    Examples
    --------
    >>> describe_estimators()["estimator"].tolist()  # doctest: +NORMALIZE_WHITESPACE
    ['within', 'within_iip', 'within_detrended', 'within_detrended_iip',
     'mixedlm', 'mixedlm_iip', 'riclpm']
    """
    return pd.DataFrame(
        [
            {
                "estimator": e.name,
                "terms": ", ".join(e.terms),
                "model": e.description,
                "formula": e.formula,
                "speed": "vectorised" if e.vectorised else "one fit per replication",
            }
            for e in ESTIMATORS.values()
        ]
    )


# --------------------------------------------------------------------------
# designs


def design_grid(*, n_patients=None, patients_per_therapist: int = 8, **values) -> pd.DataFrame:
    """Every combination of the given design values, one row per design.

    Parameters
    ----------
    n_patients : int or sequence of int, optional
        Patients per study; converted to ``n_therapists`` with
        ``patients_per_therapist`` patients each (it must divide them).
    patients_per_therapist : int, default 8
        Used with ``n_patients``.
    **values
        Any :class:`~book.simulation.parameters.SimulationParameters` field, a value or a
        list of values, e.g. ``n_sessions=[6, 12]``.

    Returns
    -------
    pandas.DataFrame
        One column per field, one row per combination (the first argument
        varies slowest).

    Examples
    --------
    >>> design_grid(n_patients=[80, 240], n_sessions=[6, 12])
       n_therapists  patients_per_therapist  n_sessions
    0            10                        8           6
    1            10                        8          12
    2            30                        8           6
    3            30                        8          12
    """
    unknown = sorted(set(values) - set(_FIELDS))
    if unknown:
        raise ValueError(
            f"unknown design field(s) {unknown}; use n_patients or a SimulationParameters "
            f"field: {', '.join(_FIELDS)}"
        )
    columns: dict[str, list] = {}
    if n_patients is not None:
        if "n_therapists" in values:
            raise ValueError("give n_patients or n_therapists, not both")
        counts = [n_patients] if np.isscalar(n_patients) else list(n_patients)
        therapists = []
        for n in counts:
            _check_positive_int(n, "n_patients")
            if n % patients_per_therapist:
                raise ValueError(
                    f"n_patients = {n} is not a multiple of patients_per_therapist = "
                    f"{patients_per_therapist}; choose multiples or change patients_per_therapist"
                )
            therapists.append(n // patients_per_therapist)
        columns["n_therapists"] = therapists
        columns["patients_per_therapist"] = [patients_per_therapist]
    for name, v in values.items():
        columns[name] = [v] if np.isscalar(v) else list(v)
    if not columns:
        raise ValueError("give at least one design value, e.g. design_grid(n_sessions=[6, 12])")
    rows = list(itertools.product(*columns.values()))
    return pd.DataFrame(rows, columns=list(columns))


def _as_designs(designs) -> list[dict]:
    if isinstance(designs, pd.DataFrame):
        # a missing value means the default; a column of counts with a missing
        # value has become float, so whole numbers are made integers again
        records = [
            {
                k: int(v) if k in _COUNTS and float(v).is_integer() else _plain(v)
                for k, v in row.items()
                if not _is_missing(v)
            }
            for row in designs.to_dict("records")
        ]
    elif isinstance(designs, Mapping):
        records = [dict(designs)]
    elif isinstance(designs, Sequence) and not isinstance(designs, str):
        records = []
        for d in designs:
            if not isinstance(d, Mapping):
                raise TypeError(
                    f"each design must be a dict of SimulationParameters values, got {d!r}"
                )
            records.append({k: _plain(v) for k, v in d.items()})
    else:
        raise TypeError(
            "designs must be a pandas DataFrame (one row per design), a list of dicts "
            f"or one dict of SimulationParameters values; got {type(designs).__name__}"
        )
    if not records:
        raise ValueError("designs is empty; give at least one design")
    return records


def _design_params(index: int, overrides: dict) -> SimulationParameters:
    values = dict(overrides)
    where = f"design {index} ({_describe(overrides)})"
    if "n_patients" in values:
        n = values.pop("n_patients")
        ppt = values.get("patients_per_therapist", 8)
        if not isinstance(n, numbers.Integral) or isinstance(n, bool) or n < 2:
            raise ValueError(
                f"{where}: n_patients = {n!r} is not allowed: a study needs an integer "
                "number of patients of at least 2"
            )
        if "n_therapists" in values:
            raise ValueError(f"{where}: give n_patients or n_therapists, not both")
        if n % ppt:
            raise ValueError(
                f"{where}: n_patients = {n} is not a multiple of patients_per_therapist = {ppt}"
            )
        values["n_therapists"] = n // ppt
    unknown = sorted(set(values) - set(_FIELDS))
    if unknown:
        raise ValueError(
            f"{where}: unknown design field(s) {unknown}; use n_patients or a "
            f"SimulationParameters field: {', '.join(_FIELDS)}"
        )
    try:
        params = SimulationParameters(**values)
    except ValueError as err:
        raise ValueError(f"{where}: {err}") from None
    if params.n_patients < 2:
        raise ValueError(
            f"{where}: {params.n_patients} patient(s) per study; the estimators need at least "
            "2 patients (cluster-robust standard errors by patient)"
        )
    if params.state_sd <= 0:
        raise ValueError(
            f"{where}: state_sd = 0 leaves no within-patient alliance variation, so the "
            "alliance effect is undefined; use a positive state_sd"
        )
    # the simulator's own check that every plausible patient's dynamics leave
    # room for random innovations (alliance effect within +-4 SD), run now
    # rather than in a worker
    spread = 4 * (abs(params.alliance_to_symptoms_iip) + params.alliance_to_symptoms_sd)
    beta = params.alliance_to_symptoms + np.array([-spread, 0.0, spread])
    try:
        _simulator.check_dynamics(params, beta)
    except ValueError as err:
        raise ValueError(f"{where}: {err}") from None
    return params


# --------------------------------------------------------------------------
# the runner


def replicate_designs(
    designs,
    *,
    n_reps: int,
    estimators: str | Sequence[str] = ("within", "within_iip"),
    seed: int,
    n_jobs: int | None = None,
    backend=None,
    progress: bool = False,
    chunk_size: int | None = None,
) -> pd.DataFrame:
    """Simulate and estimate every design ``n_reps`` times; one row per estimate.

    Takes the same arguments as :func:`run_design_study`, which summarizes
    this table; use it directly to look at the distribution of estimates.

    Returns
    -------
    pandas.DataFrame
        Columns ``design`` (the design's position), the design's values,
        ``n_patients``, ``n_sessions``, ``replication``, ``estimator``,
        ``term``, ``truth``, ``estimate``, ``std_error`` and ``df``.
    """
    records = _as_designs(designs)
    params = [_design_params(i, r) for i, r in enumerate(records)]
    _check_positive_int(n_reps, "n_reps")
    names = [estimators] if isinstance(estimators, str) else list(estimators)
    if not names:
        raise ValueError(f"give at least one estimator; available: {list(ESTIMATORS)}")
    unknown = [e for e in names if e not in ESTIMATORS]
    if unknown:
        raise ValueError(f"unknown estimator(s) {unknown}; available: {list(ESTIMATORS)}")
    if len(set(names)) != len(names):
        raise ValueError(f"estimators are listed twice: {names}")
    if not isinstance(seed, numbers.Integral) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if n_jobs is not None and (
        not isinstance(n_jobs, numbers.Integral) or isinstance(n_jobs, bool) or n_jobs == 0
    ):
        raise ValueError(
            f"n_jobs must be None or a non-zero integer (-1 for all cores), got {n_jobs!r}"
        )
    if chunk_size is not None:
        _check_positive_int(chunk_size, "chunk_size")

    fast = tuple(e for e in names if ESTIMATORS[e].vectorised)
    slow = tuple(e for e in names if not ESTIMATORS[e].vectorised)
    tasks = []
    for d, p in enumerate(params):
        size = chunk_size or _default_chunk_size(p)
        for c, start in enumerate(range(0, n_reps, size)):
            n = min(size, n_reps - start)
            chunk_seed = _chunk_seed(seed, d, c)
            if fast:
                tasks.append((d, p, start, n, chunk_seed, fast, 0, n))
            for lo in range(0, n, _SLOW_SLICE) if slow else ():
                tasks.append((d, p, start, n, chunk_seed, slow, lo, min(n, lo + _SLOW_SLICE)))

    results = _run_tasks(tasks, n_jobs=n_jobs, backend=backend, progress=progress)

    frames = []
    for task, result in zip(tasks, results, strict=True):
        d, p, start, _, _, ests, lo, hi = task
        truth = true_effects(p)
        for name in ests:
            est, se, df = result[name]
            terms = ESTIMATORS[name].terms
            reps = np.arange(start + lo, start + hi)
            frames.append(
                pd.DataFrame(
                    {
                        "design": d,
                        "replication": np.repeat(reps, len(terms)),
                        "estimator": name,
                        "term": np.tile(terms, len(reps)),
                        "truth": np.tile([truth[t] for t in terms], len(reps)),
                        "estimate": est.reshape(-1),
                        "std_error": se.reshape(-1),
                        "df": df.reshape(-1),
                    }
                )
            )
    out = pd.concat(frames, ignore_index=True)
    out["estimator"] = pd.Categorical(out["estimator"], categories=names)
    out = out.sort_values(["design", "estimator", "replication"], kind="stable")
    out["estimator"] = out["estimator"].astype(str)
    design_table = _design_table(records, params)
    out = design_table.merge(out, on="design", how="right", validate="1:m")
    return out.reset_index(drop=True)


def summarize_replications(
    replications: pd.DataFrame, *, level: float = 0.95, alpha: float = 0.05
) -> pd.DataFrame:
    """Bias, RMSE, coverage and power per design, estimator and term, with Monte Carlo SEs.

    Performance measures and their Monte Carlo standard errors (MCSE) follow
    Morris, White & Crowther (2019, table 6), over the :math:`n` replications
    with a finite estimate :math:`\\hat\\theta_r` of the truth :math:`\\theta`:

    - ``bias`` :math:`= \\bar{\\hat\\theta} - \\theta`, MCSE
      :math:`\\sqrt{\\sum_r (\\hat\\theta_r - \\bar{\\hat\\theta})^2 / (n(n-1))}`;
    - ``emp_se``, the SD of the estimates, MCSE :math:`\\text{emp\\_se}/\\sqrt{2(n-1)}`;
    - ``model_se`` :math:`= \\sqrt{\\overline{SE^2}}`, the average reported SE;
    - ``rmse`` :math:`= \\sqrt{\\overline{(\\hat\\theta_r - \\theta)^2}}`, MCSE by the
      delta method from that of the mean squared error;
    - ``coverage``, the share of ``level`` intervals containing :math:`\\theta`,
      and ``power``, the share of two-sided tests rejecting 0 at ``alpha``
      (the type I error rate when :math:`\\theta = 0`); MCSE
      :math:`\\sqrt{p(1-p)/n}`;
    - ``wrong_sign``, the share of replications significant in the direction
      opposite to :math:`\\theta`.

    Parameters
    ----------
    replications : pandas.DataFrame
        The output of :func:`replicate_designs`.
    level : float, default 0.95
        Confidence level of the intervals for coverage.
    alpha : float, default 0.05
        Significance level of the tests for power.

    Returns
    -------
    pandas.DataFrame
        One row per design, estimator and term: the design columns,
        ``estimator``, ``term``, ``truth``, ``n_reps`` (finite estimates) and
        the measures above with ``_mcse`` columns.
    """
    needed = {"design", "estimator", "term", "truth", "estimate", "std_error", "df"}
    if not isinstance(replications, pd.DataFrame) or not needed <= set(replications.columns):
        raise ValueError(
            f"replications must be the table of replicate_designs, with columns {sorted(needed)}"
        )
    for value, name in ((level, "level"), (alpha, "alpha")):
        if not isinstance(value, (int, float)) or not 0 < value < 1:
            raise ValueError(f"{name} must be a number in (0, 1), got {value!r}")
    r = replications[np.isfinite(replications["estimate"]) & np.isfinite(replications["std_error"])]
    r = r.copy()
    est, se, truth, df = (
        r[c].to_numpy(dtype=float) for c in ("estimate", "std_error", "truth", "df")
    )
    crit = np.where(np.isinf(df), stats.norm.ppf(0.5 + level / 2), stats.t.ppf(0.5 + level / 2, df))
    r["_covered"] = np.abs(est - truth) <= crit * se
    p_value = 2 * np.where(
        np.isinf(df), stats.norm.sf(np.abs(est / se)), stats.t.sf(np.abs(est / se), df)
    )
    r["_rejected"] = p_value < alpha
    r["_wrong"] = r["_rejected"] & (np.sign(est) == -np.sign(truth)) & (truth != 0)
    r["_sq_error"] = (est - truth) ** 2
    r["_se2"] = se**2

    design_cols = [c for c in replications.columns if c not in _REPLICATION_COLS]
    keys = [*design_cols, "estimator", "term", "truth"]
    g = r.groupby(keys, sort=False, observed=True, dropna=False)
    n = g["estimate"].count()
    mean = g["estimate"].mean()
    sd = g["estimate"].std()
    mse = g["_sq_error"].mean()
    mse_sd = g["_sq_error"].std()
    out = pd.DataFrame({"n_reps": n})
    truth_values = out.index.get_level_values("truth").to_numpy()
    out["mean_estimate"] = mean
    out["bias"] = mean - truth_values
    out["bias_mcse"] = sd / np.sqrt(n)
    out["emp_se"] = sd
    out["emp_se_mcse"] = sd / np.sqrt(2 * (n - 1))
    out["model_se"] = np.sqrt(g["_se2"].mean())
    out["rmse"] = np.sqrt(mse)
    out["rmse_mcse"] = (mse_sd / np.sqrt(n)) / (2 * np.sqrt(mse))
    for name, col in (("coverage", "_covered"), ("power", "_rejected")):
        share = g[col].mean()
        out[name] = share
        out[f"{name}_mcse"] = np.sqrt(share * (1 - share) / n)
    out["wrong_sign"] = g["_wrong"].mean().where(truth_values != 0)
    out = out.reset_index()
    # rows in the order of the replications table (design, estimator, term),
    # whichever replications failed
    keys = ["design", "estimator", "term"]
    first = replications.drop_duplicates(keys)[keys].itertuples(index=False, name=None)
    rank = {k: i for i, k in enumerate(first)}
    order = [rank[k] for k in out[keys].itertuples(index=False, name=None)]
    return out.iloc[np.argsort(order, kind="stable")].reset_index(drop=True)


def run_design_study(
    designs,
    *,
    n_reps: int,
    estimators: str | Sequence[str] = ("within", "within_iip"),
    seed: int,
    n_jobs: int | None = None,
    backend=None,
    progress: bool = False,
    chunk_size: int | None = None,
    level: float = 0.95,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Power, bias, RMSE and coverage of estimators over a grid of study designs.

    For every design, simulate ``n_reps`` studies, fit every estimator to
    each, and summarize the estimates against the truth
    (:func:`summarize_replications`).

    Parameters
    ----------
    designs : pandas.DataFrame, list of dict or dict
        One row (or dict) per design, holding the
        :class:`~book.simulation.parameters.SimulationParameters` values that differ from
        the defaults, and optionally ``n_patients`` (converted to therapists of
        8 patients each, or ``patients_per_therapist``). See
        :func:`design_grid`. In a DataFrame, a missing value means the default.
    n_reps : int
        Replications per design.
    estimators : str or sequence of str, default ("within", "within_iip")
        Names in :data:`ESTIMATORS` (:func:`describe_estimators`). The
        ``mixedlm`` estimators fit one multilevel model per replication, and
        ``riclpm`` one RI-CLPM (about 0.1--0.5 s each): use them with few
        replications and
        ``n_jobs``.
    seed : int
        Seed of the whole study; see the module notes on reproducibility.
    n_jobs : int, optional
        Parallel workers (``-1``: all cores). ``None`` leaves it to joblib:
        1, unless set by ``joblib.parallel_config``. Results do not depend on it.
    backend : str or joblib backend, optional
        A joblib backend, e.g. ``"loky"`` (processes, joblib's default),
        ``"threading"`` or ``"dask"`` (needs a ``dask.distributed.Client``).
        ``None`` uses the active ``joblib.parallel_config``, so wrapping the
        call in ``with joblib.parallel_config(backend="dask"):`` runs it on a
        Dask cluster unchanged.
    progress : bool, default False
        Show a progress bar (tqdm) over the tasks, for long runs.
    chunk_size : int, optional
        Replications simulated together; by default about
        :data:`CHUNK_CELLS` patient-sessions per chunk. It changes which random
        numbers each replication gets, not their distribution.
    level, alpha : float
        Confidence level for coverage; significance level for power.

    Returns
    -------
    pandas.DataFrame
        One row per design, estimator and term; see
        :func:`summarize_replications`.

    Examples
    --------
    Studies of 40 and of 240 patients, 12 sessions each, 200 replications:

    >>> table = run_design_study(design_grid(n_patients=[40, 240]), n_reps=200,
    ...                          estimators="within", seed=1)
    >>> cols = ["n_patients", "term", "truth", "bias", "coverage", "power"]
    >>> table.loc[table.term == "alliance_within", cols].round(2)
       n_patients             term  truth  bias  coverage  power
    1          40  alliance_within   -2.0  0.48      0.88   0.58
    3         240  alliance_within   -2.0  0.50      0.56   1.00

    The estimate is attenuated (a positive bias on a negative effect), so
    with many patients the intervals miss the truth more often than 5%.
    """
    reps = replicate_designs(
        designs,
        n_reps=n_reps,
        estimators=estimators,
        seed=seed,
        n_jobs=n_jobs,
        backend=backend,
        progress=progress,
        chunk_size=chunk_size,
    )
    return summarize_replications(reps, level=level, alpha=alpha)


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
        The output of :func:`run_design_study`, with an ``n_patients`` column
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
    if not 0 < target < 1:
        raise ValueError(f"target must be a power in (0, 1), got {target!r}")
    rows = table[table["term"] == term]
    if estimator is not None:
        rows = rows[rows["estimator"] == estimator]
    if rows.empty or rows["estimator"].nunique() != 1:
        found = sorted(table.loc[table["term"] == term, "estimator"].unique())
        raise ValueError(
            f"choose one estimator with term {term!r}: estimator={estimator!r}, found {found}"
        )
    for col in (by, "n_patients"):
        if col not in rows.columns:
            raise ValueError(f"column {col!r} not in the table; columns: {list(rows)}")
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
    """Power curves from :func:`run_design_study`: power against ``x``, one line per ``hue``.

    Each point has an error bar of plus or minus two Monte Carlo SEs.

    Parameters
    ----------
    table : pandas.DataFrame
        The output of :func:`run_design_study`.
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

    rows = table[table["term"] == term]
    if estimator is not None:
        rows = rows[rows["estimator"] == estimator]
    if rows.empty or rows["estimator"].nunique() != 1:
        found = sorted(table.loc[table["term"] == term, "estimator"].unique())
        raise ValueError(
            f"choose one estimator with term {term!r}: estimator={estimator!r}, found {found}"
        )
    for col in (x, hue):
        if col not in rows.columns:
            raise ValueError(f"column {col!r} not in the table; design columns: {list(rows)}")
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


# --------------------------------------------------------------------------
# tasks

_SLOW_SLICE = 2  # replications per task for the one-fit-per-replication estimators
_REPLICATION_COLS = ("replication", "estimator", "term", "truth", "estimate", "std_error", "df")


def _default_chunk_size(params: SimulationParameters) -> int:
    cells = params.n_patients * params.n_sessions
    return int(min(500, max(1, CHUNK_CELLS // cells)))


def _chunk_seed(seed: int, design: int, chunk: int) -> int:
    """A 128-bit integer seed for chunk ``chunk`` of design ``design``."""
    words = np.random.SeedSequence(seed, spawn_key=(design, chunk)).generate_state(4, np.uint32)
    return int(sum(int(w) << (32 * i) for i, w in enumerate(words)))


def _run_task(task) -> dict:
    _, params, _, n, chunk_seed, names, lo, hi = task
    panels = simulate_panels(params, n, seed=chunk_seed)
    out = {}
    for name in names:
        estimator = ESTIMATORS[name]
        if estimator.vectorised:
            est, se, df = estimator.fit(panels)
        else:
            fits = [estimator.fit(panels.long(r)) for r in range(lo, hi)]
            est, se, df = (np.stack([f[j] for f in fits]) for j in range(3))
        out[name] = (np.asarray(est), np.asarray(se), np.asarray(df))
    return out


def _run_tasks(tasks, *, n_jobs, backend, progress):
    from tqdm.auto import tqdm

    def run():
        parallel = joblib.Parallel(n_jobs=n_jobs, return_as="generator")
        try:
            results = parallel(joblib.delayed(_run_task)(t) for t in tasks)
        except ValueError:  # a backend without generators (multiprocessing)
            results = iter(
                joblib.Parallel(n_jobs=n_jobs)(joblib.delayed(_run_task)(t) for t in tasks)
            )
        return list(tqdm(results, total=len(tasks), disable=not progress, desc="tasks"))

    if backend is None:
        return run()
    with joblib.parallel_config(backend=backend):
        return run()


def _design_table(records: list[dict], params: list[SimulationParameters]) -> pd.DataFrame:
    varied = []
    for r in records:
        for k in r:
            if k not in varied and k != "n_patients":
                varied.append(k)
    rows = []
    for i, p in enumerate(params):
        row = {"design": i}
        row.update({k: getattr(p, k) for k in varied})
        row["n_patients"] = p.n_patients
        row["n_sessions"] = p.n_sessions
        rows.append(row)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------
# small helpers


def _check_positive_int(value, name: str) -> None:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


def _is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def _describe(overrides: dict) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in overrides.items()) or "the defaults"
