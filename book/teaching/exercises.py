"""Self-checks for the coding exercises: right within a tolerance, or a hint.

Each coding exercise with a numeric answer is registered here with the
computation of its reference answer *from a study*. A student checks their
own number against the study they analysed, so the same check works on the
canonical data and on every per-student variant (see :mod:`tools.classroom`),
and no answer is printed, only a hint.

>>> from book.teaching.exercises import check
>>> check("ex-sim-completers", 0.5)  # doctest: +SKIP
Not yet. Hint: ...
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from book.simulation.describe import rupture_summary
from book.simulation.engine import simulate
from book.simulation.parameters import SimulationParameters
from book.simulation.study import Study

__all__ = ["CheckResult", "Exercise", "EXERCISES", "answer_key", "check"]


@dataclass(frozen=True)
class Exercise:
    """A coding exercise whose answer is one number computed from a study."""

    label: str
    chapter: str
    question: str
    compute: Callable[[Study], float]
    tolerance: float
    hint: str


#: Label -> exercise, in the order the book presents them.
EXERCISES: dict[str, Exercise] = {}


def _register(label: str, *, chapter: str, question: str, tolerance: float, hint: str):
    def decorator(compute: Callable[[Study], float]) -> Callable[[Study], float]:
        if label in EXERCISES:
            raise ValueError(f"exercise {label!r} is registered twice")
        EXERCISES[label] = Exercise(label, chapter, question, compute, tolerance, hint)
        return compute

    return decorator


@dataclass(frozen=True)
class CheckResult:
    """The outcome of :func:`check`; prints as one line."""

    label: str
    correct: bool
    message: str

    def __bool__(self) -> bool:
        return self.correct

    def __repr__(self) -> str:
        return self.message


def _study(study: Study | None) -> Study:
    if study is None:
        from book.datasets.canonical import load_study  # the canonical study, loaded on demand

        return load_study()
    if not isinstance(study, Study):
        raise TypeError(
            f"study must be a book Study (from load_study or simulate), got {type(study).__name__}"
        )
    return study


def _seed(study: Study) -> int:
    """The seed of a simulated study, for exercises that simulate from it."""
    if study.seed is None:
        raise ValueError("this exercise needs a simulated study with a seed")
    return int(study.seed)


def check(label: str, answer, *, study: Study | None = None) -> CheckResult:
    """Check a numeric answer to a coding exercise, without revealing the answer.

    Parameters
    ----------
    label : str
        The exercise's label, as shown in the book (e.g. ``"ex-sim-completers"``).
    answer : float
        Your answer.
    study : Study, optional
        The study you analysed: your own per-student data from
        ``load_study("path/to/your/data")``, or the canonical study when omitted.

    Returns
    -------
    CheckResult
        Prints "Correct." or "Not yet." with a hint; true when correct.

    Examples
    --------
    >>> from book.simulation.engine import simulate
    >>> mine = simulate(seed=5)
    >>> check("ex-sim-completers", 0.9, study=mine)
    Not yet. Hint: count the patients whose dropped_out is False, out of all patients.
    """
    if label not in EXERCISES:
        raise ValueError(f"unknown exercise {label!r}; checkable exercises: {sorted(EXERCISES)}")
    number = _one_number(answer)
    exercise = EXERCISES[label]
    expected = float(exercise.compute(_study(study)))
    ok = math.isfinite(number) and abs(number - expected) <= exercise.tolerance
    message = "Correct." if ok else f"Not yet. Hint: {exercise.hint}"
    return CheckResult(label, ok, message)


def _one_number(answer) -> float:
    """The answer as a float: a number, or a NumPy number or 0-d array; anything else is refused.

    An integer too large for a float is infinite, so never correct (not an error).
    """
    if getattr(answer, "ndim", None) == 0 and getattr(answer, "dtype", None) is not None:
        if answer.dtype.kind in "iuf":  # a 0-d array, such as np.array(0.8) or x.sum()
            answer = answer.item()
    if isinstance(answer, numbers.Real) and not isinstance(answer, bool):
        try:
            return float(answer)
        except OverflowError:
            return math.inf
    if hasattr(answer, "__len__") and not isinstance(answer, str) and getattr(answer, "ndim", 1):
        raise TypeError(
            f"answer must be one number, got a {type(answer).__name__} of {len(answer)} "
            "value(s); pass the number itself, e.g. float(answer[0])"
        )
    shown = repr(answer) if len(repr(answer)) <= 60 else repr(answer)[:59] + "…"
    raise TypeError(f"answer must be a number, got {type(answer).__name__}: {shown}")


def answer_key(study: Study | None = None) -> pd.DataFrame:
    """Reference answers of every checkable exercise for one study (for instructors).

    Returns
    -------
    pandas.DataFrame
        Columns ``label``, ``chapter``, ``question``, ``answer``, ``tolerance``.
    """
    study = _study(study)
    return pd.DataFrame(
        [
            {
                "label": ex.label,
                "chapter": ex.chapter,
                "question": ex.question,
                "answer": float(ex.compute(study)),
                "tolerance": ex.tolerance,
            }
            for ex in EXERCISES.values()
        ]
    )


# --------------------------------------------------------------------------
# chapter: The therapeutic alliance


@_register(
    "ex-al-subscales",
    chapter="alliance",
    question="What is the within-patient correlation of the goal and bond subscales of the WAI-SR?",
    # within_correlation is exact arithmetic on the data; the tolerance accepts the value
    # read off the chapter's table (three decimals) or rounded to two.
    tolerance=0.005,
    hint="within_correlation(sessions, 'wai_goal', 'wai_bond') from book.estimation, the r "
    "column; the plain correlation of the two columns mixes in the differences between "
    "patients.",
)
def _al_subscales(study: Study) -> float:
    from book.estimation.decomposition import within_correlation

    return float(within_correlation(study.sessions, "wai_goal", "wai_bond")["r"].iloc[0])


# --------------------------------------------------------------------------
# chapter: A simulated therapy study


@_register(
    "ex-sim-completers",
    chapter="simulated_study",
    question="What share of the patients attended every planned session?",
    tolerance=0.001,
    hint="count the patients whose dropped_out is False, out of all patients.",
)
def _completers(study: Study) -> float:
    return float((~study.patients["dropped_out"].astype(bool)).mean())


@_register(
    "ex-sim-ruptures",
    chapter="simulated_study",
    question="With no trained therapists (share_trained=0) and your study's seed, "
    "what share of the attended ruptures is repaired?",
    tolerance=0.001,
    hint="simulate(SimulationParameters(share_trained=0.0), seed=study.seed), then "
    "look at the share_repaired column of rupture_summary for that study.",
)
def _repaired_untrained(study: Study) -> float:
    untrained = simulate(SimulationParameters(share_trained=0.0), seed=_seed(study))
    return float(rupture_summary(untrained)["share_repaired"].iloc[0])


# --------------------------------------------------------------------------
# chapter: Trait and state


@_register(
    "ex-ts-bdi-icc",
    chapter="trait_state",
    question="What is the intraclass correlation of the symptom scores (bdi), before "
    "removing each patient's trend?",
    tolerance=0.005,
    hint="icc(sessions, 'bdi') from book.estimation, on the sessions table with bdi as floats.",
)
def _bdi_icc(study: Study) -> float:
    from book.estimation.decomposition import icc

    sessions = study.sessions.assign(bdi=study.sessions["bdi"].astype("float64"))
    return float(icc(sessions, "bdi")["icc"].iloc[0])


@_register(
    "ex-ts-sessions-needed",
    chapter="trait_state",
    question="How many sessions must be averaged for the patient mean of the alliance to "
    "reach a reliability of .90, at the ICC of single sessions in your study?",
    tolerance=0.0,
    hint="estimate the ICC of alliance with icc(), then find the smallest n with "
    "person_mean_reliability(icc, n) >= 0.90.",
)
def _sessions_needed(study: Study) -> float:
    from book.estimation.decomposition import icc, person_mean_reliability

    rho = float(icc(study.sessions, "alliance")["icc"].iloc[0])
    n = 1
    while person_mean_reliability(rho, n) < 0.90:
        n += 1
    return float(n)


# --------------------------------------------------------------------------
# chapter: Lagged outcome models


@_register(
    "ex-lag-predict",
    chapter="lagged_models",
    question="A patient of average IIP whose alliance usually averages 4.2 rates it 4.6. By "
    "how many BDI-II points does the default lagged model predict next week's symptoms "
    "to change?",
    tolerance=0.01,
    hint="multiply the deviation from the patient's usual alliance by the alliance_within "
    "coefficient of fit_lagged_model(study); mind the sign.",
)
def _lag_predict(study: Study) -> float:
    from book.estimation.multilevel import fit_lagged_model

    return float((4.6 - 4.2) * fit_lagged_model(study).coef("alliance_within"))


@_register(
    "ex-lag-nickell",
    chapter="lagged_models",
    question="With six sessions per patient and a symptom autoregression of 0.5, what is the "
    "bias of the within estimator?",
    tolerance=0.001,
    hint="nickell_bias(rho, n_waves) from book.estimation.nickell gives it; the exact value, "
    "not the approximation.",
)
def _lag_nickell(study: Study) -> float:
    from book.estimation.nickell import nickell_bias

    return float(nickell_bias(0.5, 6))


# --------------------------------------------------------------------------
# chapter: Moderation


@_register(
    "ex-mod-slope",
    chapter="moderation",
    question="In the detrended model, what is the within-patient alliance effect for a "
    "patient with an IIP-32 item mean of 2.5?",
    tolerance=0.01,
    hint="simple_slopes(fit, at=[2.5]) on fit_lagged_model(study, detrend=True); read the "
    "slope column.",
)
def _mod_slope(study: Study) -> float:
    from book.estimation.moderation import simple_slopes
    from book.estimation.multilevel import fit_lagged_model

    fit = fit_lagged_model(study, detrend=True)
    return float(simple_slopes(fit, at=[2.5])["slope"].iloc[0])


# --------------------------------------------------------------------------
# chapter: Ruptures


@_register(
    "ex-rup-reliability",
    chapter="ruptures",
    question="How large must a session-to-session drop of the WAI-SR (SD 0.6) be to count "
    "as reliable if the scale's reliability were .80?",
    tolerance=0.005,
    hint="reliable_change_threshold(sd, reliability) from book.practice.ruptures, with "
    "1.96 * sqrt(2) * SD * sqrt(1 - reliability) behind it.",
)
def _rup_reliability(study: Study) -> float:
    from book.practice.ruptures import reliable_change_threshold

    return float(reliable_change_threshold(0.6, 0.80))


# --------------------------------------------------------------------------
# chapter: What can therapists do?


@functools.lru_cache(maxsize=64)
def _trial_share(seed: int) -> float:
    # Depends only on the seed, so one computation serves every check of a study
    # (tools.classroom computes each student's key more than once in its tests).
    from book.montecarlo.runner import run_design_study

    planned = SimulationParameters(n_therapists=60, patients_per_therapist=20)
    trials = run_design_study(
        planned, n_reps=50, estimators="training_trial", seed=seed, progress=False
    )
    return float(trials["power"].iloc[0])


@_register(
    "ex-ther-trial",
    chapter="therapists",
    question="In 50 simulated trials with 60 therapists (half trained) and 20 patients each, "
    "from your study's seed, what share find the training effect at p < .05?",
    # The 50 trials are fixed by the seed, so the share is an exact multiple of 1/50
    # (a few seconds to compute). The tolerance accepts rounding to two decimals and is
    # below half a step, so one trial more or fewer is not accepted.
    tolerance=0.005,
    hint="run_design_study(SimulationParameters(n_therapists=60, patients_per_therapist=20), "
    "n_reps=50, estimators='training_trial', seed=study.seed), then its power column: the "
    "share of trials with p < .05, as a proportion between 0 and 1.",
)
def _ther_trial(study: Study) -> float:
    return _trial_share(_seed(study))


# --------------------------------------------------------------------------
# chapter: Designing a study


@functools.lru_cache(maxsize=64)
def _moderation_power_400(seed: int) -> float:
    from book.montecarlo.designs import design_grid
    from book.montecarlo.runner import run_design_study

    designs = design_grid(n_patients=[400, 800], n_sessions=12)
    table = run_design_study(
        designs, n_reps=200, estimators="within_iip", seed=seed, n_jobs=1, progress=False
    )
    row = table.query("term == 'alliance_within:iip_c' and n_patients == 400")
    return float(row["power"].iloc[0])


@_register(
    "ex-design-moderation",
    chapter="study_design",
    question="With 12 sessions, 200 replications and your study's seed, what power does "
    "run_design_study give for the moderation (within_iip) with 400 patients?",
    # run_design_study's result depends only on the seed, each design and n_reps (not
    # on n_jobs or the other designs), so the power is an exact multiple of 1/200 (two
    # seconds to compute). The tolerance accepts the three decimals the chapter prints
    # and is below half a step, so one replication more or fewer is not accepted.
    tolerance=0.001,
    hint="run_design_study(design_grid(n_patients=[400, 800], n_sessions=12), n_reps=200, "
    "estimators='within_iip', seed=study.seed); the power of the term "
    "alliance_within:iip_c in the row with 400 patients, as a proportion.",
)
def _design_moderation(study: Study) -> float:
    return _moderation_power_400(_seed(study))


# --------------------------------------------------------------------------
# chapter: Real data


@functools.lru_cache(maxsize=1)
def _state_anxiety_icc_two_days() -> float:
    from book.datasets.real import anxiety_long
    from book.estimation.decomposition import icc

    anxiety = anxiety_long()
    two_days = anxiety[anxiety["design"] == "two days, once a day"]
    return float(icc(two_days, "state", by="person")["icc"].iloc[0])


@_register(
    "ex-rd-days-icc",
    chapter="real_data",
    question="What share of the variance of state anxiety lies between persons when the "
    "scale is given once on each of two days?",
    # The same real data for every student (the study is not used); icc is exact
    # arithmetic, and the tolerance accepts the value rounded to two or three decimals.
    tolerance=0.005,
    hint="icc(..., 'state', by='person') on the rows of anxiety_long() whose design is "
    "'two days, once a day'.",
)
def _rd_days_icc(study: Study) -> float:
    return _state_anxiety_icc_two_days()
