r"""The Monte Carlo runner: simulate a design many times, apply estimators, keep every estimate.

How many patients, and how many sessions, does a study need to detect a
within-patient alliance effect of the size the literature reports, or its
moderation by interpersonal problems? Is an estimator unbiased, do its
intervals cover the truth? The runner answers by simulation: for every design
it repeats *simulate, then estimate* and holds every estimate against the
truth that generated the data (Morris, White & Crowther 2019).
:func:`replicate_designs` returns one row per replication, estimator and term;
:func:`book.montecarlo.summary.summarize_replications` summarizes them;
:func:`run_design_study` does both.

*Speed.* Replications are simulated in chunks, each chunk one study with as
many times the therapists (:func:`book.montecarlo.panels.simulate_panels`).
The closed-form estimators (``data="panels"``) estimate a whole chunk in one
call; the estimators that fit one study at a time (``"long"``: the multilevel
model, the RI-CLPM) see exactly the same replications, spread over the
workers. Estimators that need a whole simulated study (``"study"``) get one
per replication: the chunks then hold one replication each, and every
estimator of the run sees the same studies.

*Reproducibility.* Chunk :math:`c` of a design draws from
``SeedSequence(seed, spawn_key=(design_key(params), c))``
(:func:`book.montecarlo.panels.chunk_seed`), over a chunking fixed by the
design and ``chunk_size``. The results therefore depend on the seed, each
design, ``n_reps`` and ``chunk_size``, never on ``n_jobs``, the parallel
backend, the estimators asked for, or the other designs of the call: two calls
share the studies of a design they have in common. Tasks run through
:mod:`joblib`, so the same call runs serially, on local processes or, under
``joblib.parallel_config(backend="dask")``, on a Dask cluster.

*Progress.* A run that lasts more than a couple of seconds shows a progress
bar (tqdm), unless ``progress=False`` or the environment variable
``TQDM_DISABLE`` is set (the book's chapters set it in their hidden set-up
cell, so that stored outputs do not depend on timing).
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass

import joblib
import numpy as np
import pandas as pd

from book._checks import check_choice, check_count, check_n_jobs, check_seed
from book.montecarlo.designs import as_designs
from book.montecarlo.estimators import Estimator, Fits, as_estimator
from book.montecarlo.panels import Panels, chunk_seed, simulate_panels
from book.montecarlo.summary import summarize_replications
from book.simulation.engine import simulate, true_effects
from book.simulation.parameters import SimulationParameters

__all__ = ["CHUNK_CELLS", "replicate_designs", "run_design_study"]

#: Replications per chunk when ``chunk_size`` is not given: about this many
#: planned patient-sessions per chunk (a chunk of the default 240 x 12 design
#: holds 69 replications), at least 1 and at most 500 replications.
CHUNK_CELLS = 200_000

_ALLIANCE = ("observed", "latent")
_SLICES = 8  # tasks per chunk for the estimators that fit one replication at a time


def replicate_designs(
    designs,
    *,
    n_reps: int,
    seed: int,
    estimators=("within", "within_iip"),
    alliance: str = "observed",
    nested: dict | None = None,
    n_jobs: int | None = None,
    backend=None,
    progress: bool | None = None,
    chunk_size: int | None = None,
) -> pd.DataFrame:
    """Simulate every design ``n_reps`` times and apply every estimator; one row per estimate.

    Parameters
    ----------
    designs : SimulationParameters, dict, list, dict of named designs or DataFrame
        The designs (worlds) to simulate: a ``SimulationParameters``, a dict of
        the values that differ from the defaults (``{"n_sessions": 6}``, with
        ``n_patients`` converted to therapists of 8), a list of those, a dict
        of named designs, or a DataFrame with one row per design
        (:func:`book.montecarlo.designs.design_grid`); see
        :func:`book.montecarlo.designs.as_designs`.
    n_reps : int
        Replications per design.
    seed : int
        Seed of the whole simulation; see the module notes on reproducibility.
    estimators : str, Estimator, callable, or a sequence of them
        Names in :data:`book.montecarlo.estimators.ESTIMATORS`
        (:func:`~book.montecarlo.estimators.describe_estimators`), or functions
        of one simulated study returning their estimates
        (:func:`~book.montecarlo.estimators.as_estimator`).
    alliance : {"observed", "latent"}, default "observed"
        What the estimators see as the alliance: the observed WAI-SR, or the
        latent alliance without measurement error (the same missing
        questionnaires; only a simulation can do this). The replications are
        the same either way, so the two runs compare like with like.
    nested : dict, optional
        ``{"n_patients": [...], "n_sessions": [...]}``: also estimate every
        smaller design of the grid on the first patients (whole therapists)
        and sessions of each replication, as common random numbers (the
        simulator is causal: the first sessions of a longer treatment are a
        study of fewer sessions). Each design must be at least as large as
        every smaller design. Not with estimators that take a whole study.
    n_jobs : int, optional
        Parallel workers (``-1``: all cores). ``None`` leaves it to joblib:
        1, unless set by ``joblib.parallel_config``. Results do not depend on it.
    backend : str or joblib backend, optional
        A joblib backend, e.g. ``"loky"`` (processes, joblib's default),
        ``"threading"`` or ``"dask"`` (needs a ``dask.distributed.Client``).
        ``None`` uses the active ``joblib.parallel_config``.
    progress : bool, optional
        ``True``: a progress bar from the start; ``False``: none; ``None``
        (default): a bar if the run lasts more than two seconds, unless the
        environment variable ``TQDM_DISABLE`` is set.
    chunk_size : int, optional
        Replications simulated together; by default about :data:`CHUNK_CELLS`
        patient-sessions per chunk, and 1 when an estimator takes a whole
        study. It changes which random numbers each replication gets, not
        their distribution.

    Returns
    -------
    pandas.DataFrame
        Tidy, one row per design, replication, estimator and term: ``design``
        (its position), ``label`` (named designs), the design's values,
        ``n_patients``, ``n_sessions``, ``alliance``, ``replication``,
        ``estimator``, ``term``, ``truth`` (:func:`book.simulation.engine.true_effects`;
        ``nan`` where the simulation has no truth for the term), ``estimate``,
        ``std_error`` and ``df`` (``nan`` when the estimator could not fit the
        replication), and ``singular`` (for the multilevel models). The run's
        settings are in ``table.attrs["run"]``.

    Examples
    --------
    >>> reps = replicate_designs({"n_therapists": 10}, n_reps=3, estimators="within", seed=1)
    >>> reps[["replication", "term", "truth", "estimate"]].round(2)
       replication             term  truth  estimate
    0            0            bdi_c   0.30      0.43
    1            0  alliance_within  -4.87     -3.08
    2            1            bdi_c   0.30      0.51
    3            1  alliance_within  -4.87     -2.99
    4            2            bdi_c   0.30      0.36
    5            2  alliance_within  -4.87     -2.76
    """
    params, table = as_designs(designs)
    n_reps = check_count(n_reps, "n_reps")
    seed = check_seed(seed)
    check_choice(alliance, "alliance", _ALLIANCE)
    n_jobs = check_n_jobs(n_jobs)
    if progress is not None and not isinstance(progress, bool):
        raise TypeError(f"progress must be True, False or None, got {progress!r}")
    chosen = _as_estimators(estimators)
    per_study = any(e.data == "study" for e in chosen)
    if chunk_size is not None:
        chunk_size = check_count(chunk_size, "chunk_size")
        if per_study and chunk_size != 1:
            raise ValueError(
                "estimators that take a whole study ("
                + ", ".join(e.name for e in chosen if e.data == "study")
                + f") get one study per replication: chunk_size must be 1, got {chunk_size}"
            )
    if per_study and alliance != "observed":
        raise ValueError("alliance='latent' is for estimators of panels or long tables only")
    sizes = _nested_sizes(nested, params, per_study)

    # one row of the result per design, or per (design, smaller design) when nested
    rows, index, bases = [], {}, []
    for d, p in enumerate(params):
        for sub, (n, t) in enumerate(sizes or [(p.n_patients, p.n_sessions)]):
            index[(d, sub)] = len(rows)
            bases.append(d)
            row = table.iloc[d].to_dict()
            row["design"], row["n_patients"], row["n_sessions"] = len(rows), n, t
            rows.append(row)
    design_table = pd.DataFrame(rows)

    fast = tuple(e for e in chosen if e.data == "panels")
    slow = tuple(e for e in chosen if e.data != "panels")
    tasks = []
    for d, p in enumerate(params):
        size = 1 if per_study else chunk_size or _default_chunk_size(p)
        for c, start in enumerate(range(0, n_reps, size)):
            n = min(size, n_reps - start)
            task = _Task(d, p, start, n, chunk_seed(seed, p, c), per_study, alliance, sizes)
            if fast:
                tasks.append((task, fast, 0, n))
            step = max(1, -(-n // _SLICES))
            for lo in range(0, n, step) if slow else ():
                tasks.append((task, slow, lo, min(n, lo + step)))

    results = _run_tasks(tasks, n_jobs=n_jobs, backend=backend, progress=progress)

    frames = []
    for (task, _, _, _), result in zip(tasks, results, strict=True):
        for (sub, _), frame in result.items():
            frame.insert(0, "design", index[(task.design, sub)])
            frame["replication"] += task.start
            frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    # tasks come in the order of the replications: a stable sort by design and
    # estimator keeps replications, and terms within them, in order
    order = {e.name: i for i, e in enumerate(chosen)}
    out = out.iloc[np.lexsort((out["estimator"].map(order).to_numpy(), out["design"].to_numpy()))]
    truths = [true_effects(p) for p in params]  # the effects do not depend on the size
    base = np.asarray(bases)[out["design"].to_numpy()]
    out["truth"] = [truths[d].get(term, np.nan) for d, term in zip(base, out["term"], strict=True)]
    out["alliance"] = alliance
    columns = ["alliance", "replication", "estimator", "term", "truth", "estimate"]
    columns += ["std_error", "df", "singular"]
    out = design_table.merge(out[["design", *columns]], on="design", how="right", validate="1:m")
    out = out.reset_index(drop=True)
    out.attrs["run"] = {
        "seed": seed,
        "n_reps": n_reps,
        "chunk_size": chunk_size,
        "alliance": alliance,
        "estimators": [e.name for e in chosen],
        "nested": None if not sizes else [list(s) for s in sizes],
    }
    return out


def run_design_study(
    designs,
    *,
    n_reps: int,
    seed: int,
    estimators=("within", "within_iip"),
    alliance: str = "observed",
    nested: dict | None = None,
    n_jobs: int | None = None,
    backend=None,
    progress: bool | None = None,
    chunk_size: int | None = None,
    level: float = 0.95,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Power, bias, RMSE and coverage of estimators over designs: the runner, summarized.

    :func:`replicate_designs`, then
    :func:`book.montecarlo.summary.summarize_replications`; the arguments are
    theirs.

    Returns
    -------
    pandas.DataFrame
        One row per design, estimator and term; see
        :func:`book.montecarlo.summary.summarize_replications`.

    Examples
    --------
    Studies of 40 and of 240 patients, 12 sessions each, 200 replications:

    >>> from book.montecarlo.designs import design_grid
    >>> table = run_design_study(design_grid(n_patients=[40, 240]), n_reps=200,
    ...                          estimators="within", seed=1)
    >>> cols = ["n_patients", "term", "truth", "bias", "coverage", "power"]
    >>> table.loc[table.term == "alliance_within", cols].round(2)
       n_patients             term  truth  bias  coverage  power
    1          40  alliance_within  -4.87  1.83      0.64   0.78
    3         240  alliance_within  -4.87  1.66      0.02   1.00

    The estimate is attenuated (a positive bias on a negative effect), so
    with many patients the intervals miss the truth more often than 5%.
    """
    reps = replicate_designs(
        designs,
        n_reps=n_reps,
        seed=seed,
        estimators=estimators,
        alliance=alliance,
        nested=nested,
        n_jobs=n_jobs,
        backend=backend,
        progress=progress,
        chunk_size=chunk_size,
    )
    return summarize_replications(reps, level=level, alpha=alpha)


# --------------------------------------------------------------------------
# tasks


@dataclass(frozen=True)
class _Task:
    """One chunk of one design: what to simulate, and how to show it to the estimators."""

    design: int
    params: SimulationParameters
    start: int  # the chunk's first replication
    size: int  # replications in the chunk
    seed: int  # the chunk's seed
    per_study: bool
    alliance: str
    sizes: tuple | None  # smaller designs (n_patients, n_sessions), or None


def _as_estimators(estimators) -> list[Estimator]:
    items = (
        [estimators]
        if isinstance(estimators, str | Estimator) or callable(estimators)
        else list(estimators)
    )
    if not items:
        raise ValueError("give at least one estimator, e.g. estimators='within'")
    chosen = [as_estimator(e) for e in items]
    names = [e.name for e in chosen]
    if len(set(names)) != len(names):
        raise ValueError(f"estimators are listed twice: {names}")
    return chosen


def _nested_sizes(nested, params, per_study) -> tuple | None:
    if nested is None:
        return None
    if per_study:
        raise ValueError("nested designs need estimators of panels or long tables")
    if not isinstance(nested, dict) or set(nested) != {"n_patients", "n_sessions"}:
        raise ValueError(
            f"nested must be a dict {{'n_patients': [...], 'n_sessions': [...]}}, got {nested!r}"
        )
    patients = [check_count(n, "n_patients") for n in nested["n_patients"]]
    sessions = [check_count(t, "n_sessions", minimum=3) for t in nested["n_sessions"]]
    if not patients or not sessions:
        raise ValueError("nested needs at least one number of patients and of sessions")
    for p in params:
        per = p.patients_per_therapist
        if max(patients) > p.n_patients or max(sessions) > p.n_sessions:
            raise ValueError(
                f"a nested design is larger than its design ({p.n_patients} patients, "
                f"{p.n_sessions} sessions): {max(patients)} patients, {max(sessions)} sessions"
            )
        if any(n % per or n < 2 * per for n in patients):
            raise ValueError(
                f"nested numbers of patients must be whole therapists of "
                f"patients_per_therapist = {per}, at least {2 * per}; got {patients}"
            )
    return tuple((n, t) for n in patients for t in sessions)


def _default_chunk_size(params: SimulationParameters) -> int:
    cells = params.n_patients * params.n_sessions
    return int(min(500, max(1, CHUNK_CELLS // cells)))


@functools.lru_cache(maxsize=2)
def _chunk(params: SimulationParameters, size: int, seed: int, per_study: bool):
    """A chunk's data, simulated once per process (several tasks may share a chunk)."""
    if per_study:
        study = simulate(params, seed=seed)
        return Panels.from_study(study), study
    return simulate_panels(params, size, seed=seed), None


def _run_task(job) -> dict:
    task, estimators, lo, hi = job
    panels, study = _chunk(task.params, task.size, task.seed, task.per_study)
    if task.alliance == "latent":
        panels = panels.error_free()
    views = [panels] if task.sizes is None else [panels.first(n, t) for n, t in task.sizes]
    out = {}
    for sub, view in enumerate(views):
        for e in estimators:
            if e.data == "panels":
                out[(sub, e.name)] = _frame(e.name, range(view.n_reps), e.terms, e.fit(view))
                continue
            frames = []
            for r in range(lo, hi):
                terms, fits = _one(e, study if e.data == "study" else view.long(r))
                frames.append(_frame(e.name, [r], terms, fits))
            out[(sub, e.name)] = pd.concat(frames, ignore_index=True)
    return out


def _one(estimator: Estimator, data) -> tuple[tuple[str, ...], Fits]:
    result = estimator.fit(data)
    if isinstance(result, Fits):
        return estimator.terms, result
    return result  # a reader's function: (terms, Fits)


def _frame(name: str, reps, terms, fits: Fits) -> pd.DataFrame:
    """One estimator's estimates as rows: replication-major, terms in order."""
    k, n = len(terms), len(reps)
    shape = (n, k)

    def flat(values, fill):
        values = np.full(shape, fill) if values is None else np.asarray(values, dtype=float)
        return np.broadcast_to(values.reshape(-1, k) if values.ndim else values, shape).ravel()

    return pd.DataFrame(
        {
            "replication": np.repeat(np.asarray(reps), k),
            "estimator": name,
            "term": np.tile(np.asarray(terms, dtype=object), n),
            "estimate": flat(fits.estimate, np.nan),
            "std_error": flat(fits.std_error, np.nan),
            "df": flat(fits.df, np.inf),
            "singular": flat(fits.singular, np.nan),
        }
    )


def _run_tasks(tasks, *, n_jobs, backend, progress):
    from tqdm.auto import tqdm

    if progress is None:
        disable = os.environ.get("TQDM_DISABLE", "").lower() not in ("", "0", "false")
        bar = {"disable": disable, "delay": 2.0}
    else:
        bar = {"disable": not progress}

    def run():
        parallel = joblib.Parallel(n_jobs=n_jobs, return_as="generator")
        try:
            results = parallel(joblib.delayed(_run_task)(t) for t in tasks)
        except ValueError:  # a backend without generators (multiprocessing)
            results = iter(
                joblib.Parallel(n_jobs=n_jobs)(joblib.delayed(_run_task)(t) for t in tasks)
            )
        return list(tqdm(results, total=len(tasks), desc="Monte Carlo tasks", **bar))

    if backend is None:
        return run()
    with joblib.parallel_config(backend=backend):
        return run()
