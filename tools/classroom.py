"""A dataset per student, with an answer key for each, from a roster.

An instructor lists the students in a CSV file (``student_id`` and, optionally,
``seed``). Each student gets their own simulated study (same design and
parameters, different seed), so numbers differ between neighbours while every
answer can still be checked: each student's data package holds a self-check
file (``self_checks.json``: salted hashes of the rounded answers, see
:mod:`book.teaching.exercises`) that :func:`book.teaching.exercises.check` reads,
and the instructor's answer key lists every answer for every student. The
answers are computed by :mod:`tools.answers`, which students never receive.

Run ``make student-data ROSTER=roster.csv OUT=handouts`` (or
``python -m tools.classroom roster.csv --out handouts``). The folder gets::

    handouts/students/<student_id>/   one data package per student (load_study(path)),
                                      with its self_checks.json
    handouts/instructor/roster.csv    students and the seeds used
    handouts/instructor/answer_key.csv  every checkable exercise, every student

A folder that is not empty is refused. With ``OVERWRITE=1`` (``--overwrite``)
a folder this tool wrote before is replaced: the student folders of the earlier
run are removed (so none is left stale), and its answer key and roster move to
``handouts/instructor/earlier/<date-time>/``: an answer key is never destroyed.
Everything is written first into a hidden folder inside ``handouts/`` and swapped
in at the end, so a run that fails leaves the earlier files as they were, and
nothing is ever written outside ``handouts/``.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import hashlib
import io
import numbers
import re
import shutil
import sys
import uuid
from pathlib import Path

import pandas as pd

from book._checks import folder_name_problem
from book.datasets.canonical import write_study
from book.simulation.engine import simulate
from book.teaching.exercises import SELF_CHECKS, self_check_file
from tools.answers import answer_key

__all__ = [
    "answer_spread",
    "read_roster",
    "student_seed",
    "make_student_datasets",
    "staging_folder",
]

#: The largest seed a roster may give (seeds are stored as 64-bit integers).
MAX_SEED = 2**63 - 1
#: Written into every folder this tool fills, so that --overwrite replaces only its own work.
MARKER = ".student-data"
_DIGITS = re.compile(r"[0-9]+")
_OWN_ENTRIES = {"students", "instructor", MARKER}
STAGING = ".building-"  # a run's work in progress, inside the output folder


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


def _id_problems(ids: list[str]) -> dict[int, str]:
    """``{position: problem}`` for every id that cannot be a folder of its own or collides."""
    problems, seen = {}, {}
    for i, sid in enumerate(ids):
        problem = folder_name_problem(sid)
        if problem:
            problems[i] = f"student_id {sid!r} {problem}"
        elif sid.lower() not in seen:
            seen[sid.lower()] = i
        elif ids[seen[sid.lower()]] == sid:
            problems[i] = f"student_id {sid!r} appears twice"
        else:
            problems[i] = (
                f"student_id {sid!r} and {ids[seen[sid.lower()]]!r} differ only in case: "
                "they would be one folder on Windows and macOS"
            )
    return problems


def _seed_problem(seed: str) -> str | None:
    if not _DIGITS.fullmatch(seed):
        return f"seed {seed!r} must be a whole number from 0, written with the digits 0-9"
    if int(seed) > MAX_SEED:
        return f"seed {seed} is larger than {MAX_SEED}"
    return None


def _roster_rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and every non-blank row with its line number (blank lines do count)."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ValueError(
            f"roster {path} is not UTF-8 text (byte {err.start}); save it as 'CSV UTF-8'"
        ) from None
    reader = csv.reader(io.StringIO(text.replace("\r\n", "\n").replace("\r", "\n")))
    header, rows, previous = None, [], 0
    try:
        for fields in reader:
            line, previous = previous + 1, reader.line_num
            if not any(f.strip() for f in fields):
                continue
            if header is None:
                header = [f.strip() for f in fields]
            else:
                rows.append((line, fields))
    except csv.Error as err:
        raise ValueError(f"roster {path}, line {reader.line_num}: {err}") from None
    return header or [], rows


def read_roster(path: str | Path, *, course_seed: int = 0) -> pd.DataFrame:
    """Read a roster CSV: ``student_id`` and optionally ``seed`` for each student.

    Student ids become folder names, so they may hold letters, digits, ``_``,
    ``.`` and ``-`` (up to 64 characters, not ending in a dot, not a Windows
    device name such as ``CON``), and two ids may not differ only in case. A
    missing seed is derived from the id and ``course_seed`` with
    :func:`student_seed`; a given seed is a whole number written with the
    digits 0-9. Blank lines are skipped; line numbers count them.

    Raises
    ------
    ValueError
        Listing every bad line (with its line number): an empty or malformed
        id, a duplicate id, a seed that is not a non-negative integer.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"roster {path} not found")
    header, rows = _roster_rows(path)
    if "student_id" not in header:
        raise ValueError(
            f"roster {path} needs a 'student_id' column (and optionally 'seed'); "
            f"found columns {header}"
        )
    if not rows:
        raise ValueError(f"roster {path} lists no students")
    sid_at = header.index("student_id")
    seed_at = header.index("seed") if "seed" in header else None
    ids, seeds, problems = [], [], {}
    for i, (_, fields) in enumerate(rows):
        sid = fields[sid_at].strip() if sid_at < len(fields) else ""
        seed = fields[seed_at].strip() if seed_at is not None and seed_at < len(fields) else ""
        ids.append(sid)
        problem = _seed_problem(seed) if seed else None
        if problem:
            problems.setdefault(i, []).append(problem)
        seeds.append(-1 if problem else int(seed) if seed else None)
    for i, problem in _id_problems(ids).items():
        problems.setdefault(i, []).insert(0, problem)
    if problems:
        listed = "\n  ".join(
            f"line {rows[i][0]}: {p}" for i in sorted(problems) for p in problems[i]
        )
        raise ValueError(f"roster {path} has problems:\n  {listed}")
    seeds = [
        student_seed(sid, course_seed=course_seed) if seed is None else seed
        for sid, seed in zip(ids, seeds, strict=True)
    ]
    return pd.DataFrame({"student_id": ids, "seed": pd.Series(seeds, dtype="int64")})


def _check_roster(roster) -> list[tuple[str, int]]:
    """(student_id, seed) pairs of a roster, every id a safe folder name and every seed valid."""
    if not isinstance(roster, pd.DataFrame) or not {"student_id", "seed"} <= set(roster.columns):
        raise TypeError("roster must be a DataFrame with columns student_id and seed (read_roster)")
    if roster.empty:
        raise ValueError("roster lists no students")
    ids, seeds = roster["student_id"].tolist(), roster["seed"].tolist()
    problems = [f"row {i + 1}: {p}" for i, p in _id_problems(ids).items()]
    for i, seed in enumerate(seeds):
        if not isinstance(seed, numbers.Integral) or isinstance(seed, bool):
            problems.append(f"row {i + 1}: seed {seed!r} must be a whole number")
        elif not 0 <= seed <= MAX_SEED:
            problems.append(f"row {i + 1}: seed {seed} must be from 0 to {MAX_SEED}")
    if problems:
        raise ValueError("roster has problems:\n  " + "\n  ".join(problems))
    return [(sid, int(seed)) for sid, seed in zip(ids, seeds, strict=True)]


def _check_output(out: Path, overwrite: bool) -> None:
    """Refuse an output folder that is not empty, unless it holds an earlier run to replace."""
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"{out} is a file, not a folder")
    entries = {p.name for p in out.iterdir()} if out.is_dir() else set()
    if not entries:
        return
    ours = MARKER in entries or (out / "instructor" / "answer_key.csv").is_file()
    if not overwrite:
        raise FileExistsError(
            f"{out} is not empty; give an empty or new folder, or replace the earlier datasets "
            "with overwrite=True (make student-data ... OVERWRITE=1; python -m tools.classroom "
            "... --overwrite): their answer key is then kept in instructor/earlier/"
        )
    strangers = sorted(e for e in entries - _OWN_ENTRIES if not e.startswith(STAGING))
    if not ours or strangers:
        raise FileExistsError(
            f"{out} holds files that make student-data did not write ({strangers or entries}); "
            "it replaces only its own earlier output: give an empty or new folder"
        )
    for name in ("students", "instructor", "instructor/earlier"):
        if (out / name).is_symlink() or ((out / name).exists() and not (out / name).is_dir()):
            raise FileExistsError(f"{out / name} is not a folder this tool wrote; not replacing it")


def staging_folder(out: Path) -> Path:
    """A new work folder inside ``out`` (created), after removing those of killed runs.

    A run builds everything in it and swaps the result in at the end, so a
    failed run leaves the earlier output as it was; ``make assignments`` works
    the same way.
    """
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob(f"{STAGING}*"):  # left by a run that was killed
        if stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale)
    staging = out / f"{STAGING}{uuid.uuid4().hex[:12]}"
    staging.mkdir()
    return staging


def _inside(folder: Path, name: str) -> Path:
    """``folder / name``, checked to stay inside ``folder``."""
    target = folder / name
    if target.resolve().parent != folder.resolve():
        raise ValueError(f"{name!r} would be written outside {folder}")
    return target


def make_student_datasets(
    roster: pd.DataFrame, out: str | Path, *, params=None, overwrite: bool = False
) -> pd.DataFrame:
    """Write one simulated study per student and the instructor's answer key.

    Parameters
    ----------
    roster : pandas.DataFrame
        From :func:`read_roster`: ``student_id`` and ``seed``. Each id becomes a
        folder name and is checked again here (see :func:`read_roster`).
    out : str or pathlib.Path
        Output folder (see the module docstring for its layout): new or empty.
    params : SimulationParameters, optional
        The design every student shares; the book's defaults when omitted.
    overwrite : bool, default False
        Replace the output of an earlier run in ``out``. Its student folders
        are removed; its answer key and roster move to
        ``instructor/earlier/<date-time>/``. A folder with other files is
        never replaced.

    Returns
    -------
    pandas.DataFrame
        The answer key: ``student_id``, ``seed`` and the columns of
        :func:`tools.answers.answer_key`.

    Raises
    ------
    ValueError
        If a student id is not a safe folder name (``"../x"``, an absolute
        path, ``"CON"``, a trailing dot, two ids differing only in case) or a
        seed is not a whole number from 0.
    FileExistsError
        If ``out`` is not empty and ``overwrite`` is false, or holds files
        this tool did not write.
    """
    students = _check_roster(roster)
    out = Path(out)
    _check_output(out, bool(overwrite))
    staging = staging_folder(out)
    try:
        keys = []
        student_root = staging / "students"
        student_root.mkdir()
        for sid, seed in students:
            study = simulate(params, seed=seed)
            folder = _inside(student_root, sid)
            write_study(study, folder)
            key = answer_key(study)
            answers = dict(zip(key["label"], key["answer"], strict=True))
            (folder / SELF_CHECKS).write_text(self_check_file(answers, folder))
            key.insert(0, "seed", seed)
            key.insert(0, "student_id", sid)
            keys.append(key)
        answer = pd.concat(keys, ignore_index=True)
        instructor = staging / "instructor"
        instructor.mkdir()
        pd.DataFrame(students, columns=["student_id", "seed"]).to_csv(
            instructor / "roster.csv", index=False, lineterminator="\n"
        )
        answer.to_csv(
            instructor / "answer_key.csv", index=False, float_format="%.6g", lineterminator="\n"
        )
        # the swap: the earlier key is moved aside inside out/instructor before anything
        # else changes, so no failure from here on can lose it
        old_instructor = out / "instructor"
        if old_instructor.is_dir():
            _archive_earlier_key(old_instructor)
            for name in ("roster.csv", "answer_key.csv"):
                (instructor / name).rename(old_instructor / name)
        else:
            instructor.rename(old_instructor)
        if (out / "students").exists():
            (out / "students").rename(staging / "students-of-the-earlier-run")  # removed below
        student_root.rename(out / "students")
        (out / MARKER).write_text("written by tools.classroom (make student-data)\n")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return answer


def answer_spread(key: pd.DataFrame) -> pd.DataFrame:
    """How much each self-check's answer differs between the students of an answer key.

    A self-check accepts an answer within one step of the student's own
    (:mod:`book.teaching.exercises`), so a neighbour's answer passes when the two
    answers round to grid points at most one step apart (whole-number answers:
    only when equal). ``copy_passes`` is the share of pairs of students for whom
    that happens: the lower, the more copying shows.

    Parameters
    ----------
    key : pandas.DataFrame
        An answer key from :func:`make_student_datasets` (``student_id``,
        ``label``, ``answer``).

    Returns
    -------
    pandas.DataFrame
        One row per exercise: ``label``, ``students``, ``min``, ``max``, ``sd``,
        ``step``, ``distinct`` (different rounded answers) and ``copy_passes``.

    Examples
    --------
    >>> key = pd.DataFrame({"student_id": ["a", "b", "c"], "label": "ex-sim-completers",
    ...                     "answer": [0.80, 0.8004, 0.85]})
    >>> answer_spread(key)[["distinct", "copy_passes"]].to_dict("records")
    [{'distinct': 2, 'copy_passes': 0.3333333333333333}]
    """
    from book.teaching.exercises import EXERCISES, rounded_answer

    rows = []
    for label, group in key.groupby("label", sort=False):
        exercise = EXERCISES[label]
        grid = [rounded_answer(float(a), exercise) for a in group["answer"]]
        reach = 0 if exercise.exact else 1
        pairs = [(i, j) for i in range(len(grid)) for j in range(i + 1, len(grid))]
        passes = sum(abs(grid[i] - grid[j]) <= reach for i, j in pairs)
        rows.append(
            {
                "label": label,
                "students": len(grid),
                "min": group["answer"].min(),
                "max": group["answer"].max(),
                "sd": group["answer"].std(),
                "step": exercise.step,
                "distinct": len(set(grid)),
                "copy_passes": passes / len(pairs) if pairs else float("nan"),
            }
        )
    return pd.DataFrame(rows)


def _archive_earlier_key(instructor: Path) -> None:
    """Move an earlier answer key and roster to ``instructor/earlier/<date-time>/``."""
    files = [instructor / n for n in ("answer_key.csv", "roster.csv") if (instructor / n).exists()]
    if not files:
        return
    when = datetime.datetime.fromtimestamp(files[0].stat().st_mtime)
    name = when.strftime("%Y-%m-%d-%H%M%S")
    target, n = instructor / "earlier" / name, 2
    while target.exists():
        target, n = instructor / "earlier" / f"{name}-{n}", n + 1
    target.mkdir(parents=True)
    for item in files:
        item.rename(target / item.name)


def main(argv: list[str] | None = None) -> None:
    """``python -m tools.classroom ROSTER --out DIR [--course-seed N] [--overwrite]``."""
    parser = argparse.ArgumentParser(description="One dataset and answer key per student.")
    parser.add_argument("roster", help="CSV with a student_id column (and optionally seed)")
    parser.add_argument("--out", required=True, help="output folder (new or empty)")
    parser.add_argument(
        "--course-seed",
        type=int,
        default=0,
        help="derives seeds for students without one (default 0)",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an earlier run in --out (its answer key is kept in instructor/earlier/)",
    )
    args = parser.parse_args(argv)
    try:
        roster = read_roster(args.roster, course_seed=args.course_seed)
        key = make_student_datasets(roster, args.out, overwrite=args.overwrite)
    except (ValueError, FileNotFoundError, FileExistsError) as err:
        print(f"student-data: {err}", file=sys.stderr)
        raise SystemExit(2) from None
    print(f"wrote {len(roster)} student datasets to {Path(args.out) / 'students'}")
    print(f"answer key ({len(key)} rows): {Path(args.out) / 'instructor' / 'answer_key.csv'}")
    if len(roster) > 1:
        print("how the answers differ between students (copy_passes: share of pairs of students")
        print("whose answers pass each other's self-check):")
        print(answer_spread(key).to_string(index=False, float_format=lambda v: f"{v:.4g}"))


if __name__ == "__main__":
    main()
