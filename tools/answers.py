"""The reference answer of every self-check, computed from a study: for instructors only.

Students import :mod:`book`, whose :func:`book.teaching.exercises.check` never
computes an answer: it compares a salted hash of the student's rounded answer
with the one written into their data package (``self_checks.json``). This
module computes those answers, so it lives outside the package students
import. It is used by

- :mod:`tools.classroom` (``make student-data``): every student's answer key and
  the ``self_checks.json`` of their data package;
- ``python -m tools.answers canonical`` (``make self-checks``): the self-check
  file of the book's canonical data, ``book/teaching/self_checks.json``;
- :mod:`tools.assignments` (``make assignments``): the hidden tests of the
  autograded assignments, which call :func:`accepted` (the autograder bundle
  holds a copy of this module).

Each reference is one function of a :class:`~book.simulation.study.Study`, as
the exercise's solution in the chapter computes it.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from book.simulation.parameters import SimulationParameters
from book.simulation.study import Study

__all__ = ["REFERENCES", "accepted", "answer_key", "reference_answer"]

#: Label -> the function that computes its reference answer from a study.
REFERENCES: dict[str, Callable[[Study], float]] = {}


def _reference(label: str):
    def decorator(compute: Callable[[Study], float]) -> Callable[[Study], float]:
        if label in REFERENCES:
            raise ValueError(f"exercise {label!r} has two references")
        REFERENCES[label] = compute
        return compute

    return decorator


def _seed(study: Study) -> int:
    if study.seed is None:
        raise ValueError("this exercise needs a simulated study with a seed")
    return int(study.seed)


def reference_answer(label: str, study: Study) -> float:
    """The reference answer of one exercise for one study.

    Examples
    --------
    >>> from book.simulation.engine import simulate
    >>> round(reference_answer("ex-sim-completers", simulate(seed=5)), 3)
    0.867
    """
    if label not in REFERENCES:
        raise ValueError(f"unknown exercise {label!r}; exercises: {sorted(REFERENCES)}")
    if not isinstance(study, Study):
        raise TypeError(f"study must be a book Study, got {type(study).__name__}")
    return float(REFERENCES[label](study))


def answer_key(study: Study, labels: list[str] | None = None) -> pd.DataFrame:
    """Reference answers of every self-check (or of ``labels``) for one study.

    Returns
    -------
    pandas.DataFrame
        Columns ``label``, ``chapter``, ``question``, ``answer``, ``tolerance``
        (the step :func:`book.teaching.exercises.check` rounds to).
    """
    from book.teaching.exercises import EXERCISES

    return pd.DataFrame(
        [
            {
                "label": ex.label,
                "chapter": ex.chapter,
                "question": ex.question,
                "answer": reference_answer(ex.label, study),
                "tolerance": ex.step,
            }
            for ex in EXERCISES.values()
            if labels is None or ex.label in labels
        ]
    )


@functools.lru_cache(maxsize=4)
def _study_in(folder: str) -> Study:
    from book.datasets.canonical import load_study

    return load_study(folder)


def accepted(label: str, answer, data: str | Path) -> bool:
    """Whether ``answer`` passes, by the self-check's rule, against the data package ``data``.

    The reference answer is recomputed from the data package; the rule is the
    one :func:`book.teaching.exercises.check` applies to the salted hashes: the
    answer and the reference, rounded to the exercise's step, are at most one
    step apart (whole-number answers: equal). The autograded assignments'
    hidden tests call this (:mod:`tools.assignments`).

    Examples
    --------
    >>> from book.datasets.canonical import DATA_DIR
    >>> accepted("ex-sim-completers", 0.8625, DATA_DIR)
    True
    >>> accepted("ex-sim-completers", 0.9, DATA_DIR), accepted("ex-sim-completers", ..., DATA_DIR)
    (False, False)
    """
    from book.teaching.exercises import EXERCISES, _candidates, _one_number, rounded_answer

    if label not in EXERCISES:
        raise ValueError(f"unknown exercise {label!r}; exercises: {sorted(EXERCISES)}")
    exercise = EXERCISES[label]
    try:
        number = _one_number(answer)
    except TypeError:
        return False  # not answered (``...``) or not one number
    reference = rounded_answer(reference_answer(label, _study_in(str(data))), exercise)
    return reference in _candidates(number, exercise)


# --------------------------------------------------------------------------
# chapter: The therapeutic alliance


@_reference("ex-al-subscales")
def _al_subscales(study: Study) -> float:
    from book.estimation.decomposition import within_correlation

    return within_correlation(study.sessions, "wai_goal", "wai_bond")["r"].iloc[0]


# --------------------------------------------------------------------------
# chapter: A simulated therapy study


@_reference("ex-sim-completers")
def _completers(study: Study) -> float:
    return (~study.patients["dropped_out"].astype(bool)).mean()


@_reference("ex-sim-ruptures")
def _repaired_untrained(study: Study) -> float:
    from book.simulation.describe import rupture_summary
    from book.simulation.engine import simulate

    untrained = simulate(SimulationParameters(share_trained=0.0), seed=_seed(study))
    return rupture_summary(untrained)["share_repaired"].iloc[0]


# --------------------------------------------------------------------------
# chapter: Trait and state


@_reference("ex-ts-bdi-icc")
def _bdi_icc(study: Study) -> float:
    from book.estimation.decomposition import icc

    sessions = study.sessions.assign(bdi=study.sessions["bdi"].astype("float64"))
    return icc(sessions, "bdi")["icc"].iloc[0]


@_reference("ex-ts-sessions-needed")
def _sessions_needed(study: Study) -> float:
    from book.estimation.decomposition import icc, person_mean_reliability

    rho = float(icc(study.sessions, "alliance")["icc"].iloc[0])
    n = 1
    while person_mean_reliability(rho, n) < 0.95:
        n += 1
    return n


# --------------------------------------------------------------------------
# chapter: Lagged outcome models


def _lagged_fit(study: Study):
    from book.estimation.multilevel import fit_lagged_model

    return fit_lagged_model(study)


@_reference("ex-lag-predict")
def _lag_predict(study: Study) -> float:
    return (4.6 - 4.2) * _lagged_fit(study).coef("alliance_within")


@_reference("ex-lag-nickell")
def _lag_nickell(study: Study) -> float:
    from book.estimation.nickell import nickell_bias

    return nickell_bias(_lagged_fit(study).coef("bdi_c"), 6)


# --------------------------------------------------------------------------
# chapter: Moderation


@_reference("ex-mod-slope")
def _mod_slope(study: Study) -> float:
    from book.estimation.moderation import simple_slopes
    from book.estimation.multilevel import fit_lagged_model

    fit = fit_lagged_model(study, detrend=True)
    return simple_slopes(fit, at=[2.5])["slope"].iloc[0]


@functools.lru_cache(maxsize=64)
def _stronger_moderation_power(seed: int) -> float:
    from book.montecarlo.runner import run_design_study

    stronger = SimulationParameters(alliance_to_symptoms_iip=-0.10, n_therapists=15)
    table = run_design_study(
        stronger, n_reps=500, seed=seed, estimators="within_detrended_iip", progress=False
    )
    return float(table.set_index("term").loc["alliance_within:iip_c", "power"])


@_reference("ex-mod-power")
def _mod_power(study: Study) -> float:
    return _stronger_moderation_power(_seed(study))


# --------------------------------------------------------------------------
# chapter: Real data


@_reference("ex-rd-days-icc")
def _rd_days_icc(study: Study) -> float:
    from book.datasets.real import anxiety_long
    from book.estimation.decomposition import icc

    anxiety = anxiety_long()
    two_days = anxiety[anxiety["design"] == "two days, once a day"]
    rng = np.random.default_rng(_seed(study))
    persons = two_days["person"].unique()
    half = rng.choice(persons, size=len(persons) // 2, replace=False)
    return icc(two_days[two_days["person"].isin(half)], "state", by="person")["icc"].iloc[0]


# --------------------------------------------------------------------------
# chapter: Ruptures


@_reference("ex-rup-reliability")
def _rup_reliability(study: Study) -> float:
    from book.practice.ruptures import reliable_change_threshold

    return reliable_change_threshold(study.sessions["alliance"].std(), 0.80)


# --------------------------------------------------------------------------
# chapter: What can therapists do?


@functools.lru_cache(maxsize=64)
def _trial_share(seed: int) -> float:
    from book.montecarlo.runner import run_design_study

    planned = SimulationParameters(n_therapists=60, patients_per_therapist=20)
    trials = run_design_study(
        planned, n_reps=50, estimators="training_trial", seed=seed, progress=False
    )
    return float(trials["power"].iloc[0])


@_reference("ex-ther-trial")
def _ther_trial(study: Study) -> float:
    return _trial_share(_seed(study))


@functools.lru_cache(maxsize=64)
def _benefit_highest_quarter(seed: int) -> float:
    from book.simulation.engine import simulate
    from book.simulation.experiment import effect_by_group, paired_outcomes

    big = SimulationParameters(n_therapists=500, patients_per_therapist=40)
    pairs = paired_outcomes(
        simulate(big.replace(share_trained=0.0), seed=seed),
        simulate(big.replace(share_trained=1.0), seed=seed),
    )
    return float(effect_by_group(pairs, "iip")["mean_difference"].iloc[-1])


@_reference("ex-ther-mechanisms")
def _ther_mechanisms(study: Study) -> float:
    return _benefit_highest_quarter(_seed(study))


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


@_reference("ex-design-moderation")
def _design_moderation(study: Study) -> float:
    return _moderation_power_400(_seed(study))


def main(argv: list[str] | None = None) -> None:
    """``python -m tools.answers canonical``: the canonical data's self-check file."""
    import argparse

    from book.datasets.canonical import load_study
    from book.teaching.exercises import CANONICAL_CHECKS, self_check_file

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("what", choices=["canonical"])
    parser.parse_args(argv)
    study = load_study()
    answers = {label: reference_answer(label, study) for label in REFERENCES}
    text = self_check_file(answers, data=None)
    Path(CANONICAL_CHECKS).write_text(text)
    print(f"wrote {CANONICAL_CHECKS} ({len(answers)} self-checks)", file=sys.stdout)


if __name__ == "__main__":
    main()
