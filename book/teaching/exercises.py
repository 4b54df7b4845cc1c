"""Self-checks for the coding exercises: right, or a hint, without the answer in the package.

Every coding exercise with a numeric answer is registered here with its
question, a hint and the step its answer is rounded to, but **not** with a way
to compute the answer: nothing students import returns one. :func:`check`
compares a salted hash of the student's rounded answer with the hash written
for that exercise into a *self-check file*:

- each student's data package (``make student-data``) holds its own
  ``self_checks.json``, written by the instructor's tools from that student's
  data, so neighbours' answers differ and do not pass each other's checks;
- the book's canonical data (``data/``) have theirs in this package,
  ``book/teaching/self_checks.json`` (``make self-checks`` writes it).

A self-check file is bound to its data by a fingerprint of the data package
(the hashes of its tables in ``datapackage.json``), so a file copied next to
other data is refused. The answers' salt is unique to the data package, so one
student's hashes say nothing about another's. The answer space of a rounded
number is small, though: a student can find an answer by calling
:func:`check` on every value of a grid. That is acceptable for a self-check,
which tells a student who did the work whether they got it right; graded work
is judged on the student's code and reasoning, with the instructor's answer
key (``make student-data``).

>>> from book.teaching.exercises import check
>>> check("ex-sim-completers", 0.5)
Not yet. Hint: count the patients whose dropped_out is False, out of all patients.
"""

from __future__ import annotations

import hashlib
import json
import math
import numbers
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CheckResult", "Exercise", "EXERCISES", "check", "self_check_file"]

#: The canonical data's self-check file (``make self-checks`` writes it).
CANONICAL_CHECKS = Path(__file__).with_name("self_checks.json")
#: The name of the self-check file in a data package (``make student-data`` writes it).
SELF_CHECKS = "self_checks.json"
_FORMAT = 1


@dataclass(frozen=True)
class Exercise:
    """A coding exercise whose answer is one number computed from the student's own data.

    Attributes
    ----------
    label, chapter : str
        The exercise's label in the book and its chapter (the notebook's name).
    question : str
        The question, self-contained (the answer key prints it).
    step : float
        The answer is rounded to a multiple of ``step`` before it is hashed; an
        answer within one step of the reference is accepted, one two steps
        away or more never is.
    hint : str
        What to try when the answer is not accepted (never the answer).
    exact : bool
        The answer is a whole number and only that number is accepted.
    """

    label: str
    chapter: str
    question: str
    step: float
    hint: str
    exact: bool = False


#: Label -> exercise, in the order the book presents them.
EXERCISES: dict[str, Exercise] = {}


def _register(label: str, *, chapter: str, question: str, step: float, hint: str, exact=False):
    if label in EXERCISES:
        raise ValueError(f"exercise {label!r} is registered twice")
    EXERCISES[label] = Exercise(label, chapter, question, step, hint, exact)


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


def check(label: str, answer, *, data: str | Path | None = None) -> CheckResult:
    """Check a numeric answer to a coding exercise, without revealing the answer.

    Parameters
    ----------
    label : str
        The exercise's label, as shown in the book (e.g. ``"ex-sim-completers"``).
    answer : float
        Your answer, computed from the data you analysed.
    data : str or pathlib.Path, optional
        The folder of your own data package (the one you gave ``load_study``);
        the book's canonical data when omitted.

    Returns
    -------
    CheckResult
        Prints "Correct." or "Not yet." with a hint; true when correct.

    Raises
    ------
    ValueError
        If the exercise is unknown, or the data package has no self-check file
        for it (or one written for other data).

    Examples
    --------
    >>> check("ex-sim-completers", 0.9)
    Not yet. Hint: count the patients whose dropped_out is False, out of all patients.
    >>> bool(check("ex-ts-sessions-needed", 4.5))
    False
    """
    if label not in EXERCISES:
        raise ValueError(f"unknown exercise {label!r}; checkable exercises: {sorted(EXERCISES)}")
    number = _one_number(answer)
    exercise = EXERCISES[label]
    record = _self_checks(data)
    entry = record["checks"].get(label)
    if entry is None:
        raise ValueError(
            f"the self-check file of {_where(data)} has no entry for {label}: ask your "
            "instructor for a data package made with this version of the book"
        )
    ok = any(_digest(record["salt"], label, k) == entry for k in _candidates(number, exercise))
    message = "Correct." if ok else f"Not yet. Hint: {exercise.hint}"
    return CheckResult(label, ok, message)


def _candidates(number: float, exercise: Exercise) -> list[int]:
    """The rounded values whose hashes may match: the answer's grid point and its neighbours."""
    if not math.isfinite(number):
        return []
    if exercise.exact:
        return [int(number)] if float(number).is_integer() else []
    k = math.floor(number / exercise.step + 0.5)
    return [k - 1, k, k + 1]


def _digest(salt: str, label: str, k: int) -> str:
    return hashlib.sha256(f"{salt}|{label}|{k}".encode()).hexdigest()


def rounded_answer(value: float, exercise: Exercise) -> int:
    """The grid point (a multiple of ``exercise.step``) an answer is hashed at."""
    if exercise.exact:
        if not float(value).is_integer():
            raise ValueError(f"{exercise.label} has a whole-number answer, got {value}")
        return int(value)
    return math.floor(value / exercise.step + 0.5)


def data_fingerprint(data: str | Path | None = None) -> str:
    """A fingerprint of a data package: the sha256 of its tables' hashes and its seed.

    Examples
    --------
    >>> len(data_fingerprint())
    64
    """
    folder = _folder(data)
    path = folder / "datapackage.json"
    if not path.is_file():
        raise FileNotFoundError(
            f"{folder} is not a data package (no datapackage.json): give the folder of your "
            "data package, the one you gave load_study"
        )
    package = json.loads(path.read_text(encoding="utf-8"))
    parts = sorted(f"{res['path']}={res['hash']}" for res in package.get("resources", []))
    parts.append(f"seed={package.get('simulation', {}).get('seed')}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def self_check_file(answers: dict[str, float], data: str | Path | None = None) -> str:
    """The text of a self-check file: salted hashes of rounded answers, for one data package.

    Used by the instructor's tools, which compute ``answers`` (see ``tools.answers``);
    the file holds no answer in readable form.

    Parameters
    ----------
    answers : dict
        Label -> the reference answer for these data.
    data : str or pathlib.Path, optional
        The data package the answers belong to (the canonical data when omitted).

    Returns
    -------
    str
        JSON text, the same for the same answers and data.
    """
    unknown = sorted(set(answers) - set(EXERCISES))
    if unknown:
        raise ValueError(f"unknown exercises: {unknown}")
    fingerprint = data_fingerprint(data)
    salt = hashlib.sha256(f"self-checks|{fingerprint}".encode()).hexdigest()[:32]
    checks = {
        label: _digest(salt, label, rounded_answer(float(value), EXERCISES[label]))
        for label, value in sorted(answers.items())
    }
    record = {"format": _FORMAT, "data": fingerprint, "salt": salt, "checks": checks}
    return json.dumps(record, indent=1, sort_keys=True) + "\n"


def _folder(data) -> Path:
    if data is None:
        from book.datasets.canonical import DATA_DIR

        return Path(DATA_DIR)
    if not isinstance(data, (str, Path)):
        raise TypeError(
            "data must be the folder of your data package (the path you gave load_study), "
            f"got {type(data).__name__}"
        )
    return Path(data)


def _where(data) -> str:
    return "the book's data" if data is None else str(data)


def _self_checks(data) -> dict:
    folder = _folder(data)
    fingerprint = data_fingerprint(data)  # first: is it a data package at all?
    path = CANONICAL_CHECKS if data is None else folder / SELF_CHECKS
    if not path.is_file():
        raise ValueError(
            f"{folder} has no self-check file ({SELF_CHECKS}): self-checks work on data "
            "packages made by your instructor (make student-data) and on the book's data"
        )
    record = json.loads(path.read_text(encoding="utf-8"))
    if record.get("format") != _FORMAT or record.get("data") != fingerprint:
        raise ValueError(
            f"the self-check file {path} was written for other data than those in {folder}: "
            "use the data package and self-check file your instructor gave you together"
        )
    return record


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


# --------------------------------------------------------------------------
# The registry. Questions say "your study": the data package you analyse (the
# book's canonical study in the chapters). Hints point to the idea, never to the
# call that computes the answer.

_register(
    "ex-al-subscales",
    chapter="alliance",
    question="What is the within-patient correlation of the goal and bond subscales of "
    "the WAI-SR in your study?",
    step=0.001,
    hint="correlate the two subscales within patients, after removing each patient's own "
    "means; the plain correlation of the two columns mixes in the differences between "
    "patients.",
)
_register(
    "ex-sim-completers",
    chapter="simulated_study",
    question="What share of the patients in your study attended every planned session?",
    step=0.001,
    hint="count the patients whose dropped_out is False, out of all patients.",
)
_register(
    "ex-sim-ruptures",
    chapter="simulated_study",
    question="With no trained therapists (share_trained=0) and your study's seed, what "
    "share of the attended ruptures is repaired?",
    step=0.001,
    hint="simulate the untrained study with the seed of your own study (study.seed), then "
    "count repaired ruptures among the attended ones in its ground truth.",
)
_register(
    "ex-ts-bdi-icc",
    chapter="trait_state",
    question="What is the intraclass correlation of the symptom scores (bdi) in your study, "
    "before removing each patient's trend?",
    step=0.001,
    hint="the ICC is the share of the variance of bdi that lies between patients; use the "
    "sessions table with bdi as floats, grouped by patient.",
)
_register(
    "ex-ts-sessions-needed",
    chapter="trait_state",
    question="How many sessions must be averaged for the patient mean of the alliance to "
    "reach a reliability of .95, at the ICC of single sessions in your study?",
    step=1.0,
    exact=True,
    hint="estimate the ICC of the alliance first, then apply the Spearman-Brown formula "
    "for a mean of n sessions and find the smallest n that reaches .95.",
)
_register(
    "ex-lag-predict",
    chapter="lagged_models",
    question="A patient of average IIP whose alliance usually averages 4.2 rates it 4.6. By "
    "how many BDI-II points does the default lagged model of your study predict next "
    "week's symptoms to change?",
    step=0.01,
    hint="multiply the deviation from the patient's usual alliance by the model's "
    "within-patient alliance coefficient; mind the sign.",
)
_register(
    "ex-lag-nickell",
    chapter="lagged_models",
    question="A colleague plans six sessions per patient and expects a symptom "
    "autoregression as large as the coefficient of bdi_c in the default lagged model of "
    "your study. What is the bias of the within estimator?",
    step=0.0001,
    hint="Nickell's bias depends on the autoregression and the number of waves; use the "
    "exact expression, not the first-order approximation, at the unrounded coefficient.",
)
_register(
    "ex-mod-slope",
    chapter="moderation",
    question="In the detrended model of your study, what is the within-patient alliance "
    "effect for a patient with an IIP-32 item mean of 2.5?",
    step=0.01,
    hint="a simple slope: the within-patient coefficient plus the interaction times the "
    "patient's IIP, centred as the model centres it.",
)
_register(
    "ex-mod-power",
    chapter="moderation",
    question="With alliance_to_symptoms_iip=-0.10, 120 patients (15 therapists), 500 "
    "simulated studies from your study's seed and the estimator within_detrended_iip, "
    "what power does run_design_study give for the moderation?",
    step=0.001,
    hint="the power of the term alliance_within:iip_c, as a proportion; the seed must be "
    "your study's (study.seed), with n_reps=500.",
)
_register(
    "ex-rd-days-icc",
    chapter="real_data",
    question="What share of the variance of state anxiety lies between persons, given once "
    "on each of two days, in the random half of the persons drawn with your study's seed?",
    step=0.005,
    hint="draw the half with rng = np.random.default_rng(study.seed) and rng.choice(persons, "
    "size=len(persons) // 2, replace=False) on the persons of the design 'two days, once a "
    "day' in their order of appearance, then take the ICC of state by person.",
)
_register(
    "ex-rup-reliability",
    chapter="ruptures",
    question="How large must a session-to-session drop of the alliance be to count as "
    "reliable if the scale's reliability were .80, with the SD of the alliance scores in "
    "your study?",
    step=0.001,
    hint="the reliable change index: 1.96 standard errors of a difference of two scores, "
    "each with the standard error SD times the square root of one minus the reliability.",
)
_register(
    "ex-ther-trial",
    chapter="therapists",
    question="In 50 simulated trials with 60 therapists (half trained) and 20 patients "
    "each, from your study's seed, what share find the training effect at p < .05?",
    step=0.005,
    hint="the power column of the Monte Carlo study of the estimator training_trial, as a "
    "proportion between 0 and 1; the seed must be your study's (study.seed), with 50 "
    "replications.",
)
_register(
    "ex-ther-mechanisms",
    chapter="therapists",
    question="In the large study (500 therapists, 40 patients each) simulated with your "
    "study's seed, with and without training, what is the mean benefit of training in the "
    "highest IIP quarter, with all three mechanisms on?",
    step=0.001,
    hint="the same seed (study.seed) for both conditions, paired outcomes, then the mean "
    "difference of the last IIP quarter; a benefit is a negative difference in symptoms.",
)
_register(
    "ex-design-moderation",
    chapter="study_design",
    question="With 12 sessions, 200 replications and your study's seed, what power does "
    "run_design_study give for the moderation (within_iip) with 400 patients?",
    step=0.001,
    hint="the power of the term alliance_within:iip_c in the row with 400 patients, as a "
    "proportion; the designs are 400 and 800 patients, the seed your study's.",
)
