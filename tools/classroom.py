"""A dataset per student, with an answer key for each, from a roster.

An instructor lists the students in a CSV file (``student_id`` and, optionally,
``seed``). Each student gets their own simulated study (same design and
parameters, different seed), so numbers differ between neighbours while every
answer can still be checked: :func:`book.teaching.exercises.check` recomputes the
reference from the student's own data, and the instructor's answer key lists
it for every student.

Run ``make student-data ROSTER=roster.csv OUT=handouts`` (or
``python -m tools.classroom roster.csv --out handouts``). The folder gets::

    handouts/students/<student_id>/   one data package per student (load_study(path))
    handouts/instructor/roster.csv    students and the seeds used
    handouts/instructor/answer_key.csv  every checkable exercise, every student
"""

from __future__ import annotations

import argparse
import hashlib
import re
from pathlib import Path

import pandas as pd

from book.datasets.canonical import write_study
from book.simulation.engine import simulate
from book.teaching.exercises import answer_key

__all__ = ["read_roster", "student_seed", "make_student_datasets"]

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def student_seed(student_id: str, *, course_seed: int = 0) -> int:
    """A seed derived from a student's id and a course seed, stable across machines.

    Examples
    --------
    >>> student_seed("s001", course_seed=2026)
    234435657
    >>> student_seed("s001", course_seed=2026) == student_seed("s002", course_seed=2026)
    False
    """
    digest = hashlib.sha256(f"{course_seed}:{student_id}".encode()).hexdigest()
    return int(digest[:8], 16)


def read_roster(path: str | Path, *, course_seed: int = 0) -> pd.DataFrame:
    """Read a roster CSV: ``student_id`` and optionally ``seed`` for each student.

    Student ids become folder names, so they may hold letters, digits, ``_``,
    ``.`` and ``-`` (up to 64 characters). A missing seed is derived from the
    id and ``course_seed`` with :func:`student_seed`.

    Raises
    ------
    ValueError
        Listing every bad line (with its line number): an empty or malformed
        id, a duplicate id, a seed that is not a non-negative integer.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"roster {path} not found")
    roster = pd.read_csv(path, dtype=str, keep_default_na=False, skip_blank_lines=True)
    roster.columns = [c.strip().lstrip("\ufeff") for c in roster.columns]
    if "student_id" not in roster.columns:
        raise ValueError(
            f"roster {path} needs a 'student_id' column (and optionally 'seed'); "
            f"found columns {list(roster.columns)}"
        )
    if roster.empty:
        raise ValueError(f"roster {path} lists no students")
    if "seed" not in roster.columns:
        roster["seed"] = ""
    problems, seeds, seen = [], [], set()
    for i, row in enumerate(roster.itertuples(index=False), start=2):
        sid, seed = row.student_id.strip(), row.seed.strip()
        if not _ID.match(sid):
            problems.append(f"line {i}: student_id {sid!r} must be 1-64 letters, digits, _ . -")
        elif sid in seen:
            problems.append(f"line {i}: student_id {sid!r} appears twice")
        seen.add(sid)
        if seed == "":
            seeds.append(student_seed(sid, course_seed=course_seed))
        elif seed.isdigit():
            seeds.append(int(seed))
        else:
            problems.append(f"line {i}: seed {seed!r} must be a non-negative integer")
            seeds.append(-1)
    if problems:
        raise ValueError(f"roster {path} has problems:\n  " + "\n  ".join(problems))
    return pd.DataFrame({"student_id": roster["student_id"].str.strip(), "seed": seeds})


def make_student_datasets(roster: pd.DataFrame, out: str | Path, *, params=None) -> pd.DataFrame:
    """Write one simulated study per student and the instructor's answer key.

    Parameters
    ----------
    roster : pandas.DataFrame
        From :func:`read_roster`: ``student_id`` and ``seed``.
    out : str or pathlib.Path
        Output folder (see the module docstring for its layout).
    params : SimulationParameters, optional
        The design every student shares; the book's defaults when omitted.

    Returns
    -------
    pandas.DataFrame
        The answer key: ``student_id``, ``seed`` and the columns of
        :func:`book.teaching.exercises.answer_key`.
    """
    out = Path(out)
    keys = []
    for row in roster.itertuples(index=False):
        study = simulate(params, seed=int(row.seed))
        write_study(study, out / "students" / row.student_id)
        key = answer_key(study)
        key.insert(0, "seed", int(row.seed))
        key.insert(0, "student_id", row.student_id)
        keys.append(key)
    answer = pd.concat(keys, ignore_index=True)
    instructor = out / "instructor"
    instructor.mkdir(parents=True, exist_ok=True)
    roster.to_csv(instructor / "roster.csv", index=False, lineterminator="\n")
    answer.to_csv(
        instructor / "answer_key.csv", index=False, float_format="%.6g", lineterminator="\n"
    )
    return answer


def main(argv: list[str] | None = None) -> None:
    """``python -m tools.classroom ROSTER --out DIR [--course-seed N]``."""
    parser = argparse.ArgumentParser(description="One dataset and answer key per student.")
    parser.add_argument("roster", help="CSV with a student_id column (and optionally seed)")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument(
        "--course-seed",
        type=int,
        default=0,
        help="derives seeds for students without one (default 0)",
    )
    args = parser.parse_args(argv)
    roster = read_roster(args.roster, course_seed=args.course_seed)
    key = make_student_datasets(roster, args.out)
    print(f"wrote {len(roster)} student datasets to {Path(args.out) / 'students'}")
    print(f"answer key ({len(key)} rows): {Path(args.out) / 'instructor' / 'answer_key.csv'}")


if __name__ == "__main__":
    main()
