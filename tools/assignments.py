"""Autograded assignments, one per week of the course plan, from the self-check registry.

For instructors only. Every homework exercise of the course plan in
``instructors.md`` that has a numeric self-check (:mod:`book.teaching.exercises`)
becomes a question of that week's assignment, in the format of otter-grader
(an established grader; https://otter-grader.readthedocs.io). ``make assignments``
(``python -m tools.assignments make --out DIR``) writes::

    DIR/student/week-<n>.ipynb          hand these out: questions, no answers, no tests
    DIR/instructor/week-<n>/autograder.zip   otter's autograder bundle: the hidden tests
                                        and a copy of tools/answers.py (keep it)
    DIR/instructor/week-<n>/week-<n>-solution.ipynb   otter's solution notebook

A student copies their data package (``make student-data``) next to the
notebook as a folder named ``data``, answers each question in a variable
(``answer_ex_sim_completers = ...``), and hands the notebook in. Grading
(``make grade``; :func:`grade_submission`) re-runs the notebook with otter's local
grader, without containers, next to the student's data package taken from the
instructor's handouts, and each hidden test recomputes the reference answer
from those data (:func:`tools.answers.accepted`: the self-check's rule, one
step of rounding either way). One point per question.

Like ``make student-data``, a folder that is not empty is refused unless it
holds an earlier run of this tool and ``overwrite`` is given; everything is
built inside the output folder and swapped in at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import re
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

import nbformat

from book._checks import folder_name_problem
from book.teaching.exercises import EXERCISES
from tools.classroom import STAGING, staging_folder

__all__ = [
    "answer_variable",
    "course_weeks",
    "grade_submission",
    "grade_week",
    "make_assignments",
]

ROOT = Path(__file__).resolve().parents[1]
#: The course plan: its table's "homework" column names each week's exercises.
PLAN = ROOT / "instructors.md"
#: Written into every folder this tool fills, so that overwrite replaces only its own work.
MARKER = ".assignments"
_OWN_ENTRIES = {"student", "instructor", MARKER}
#: The name under which the autograder bundle holds tools/answers.py.
REFERENCE_MODULE = "_instructor_answers"
#: The folder, next to the notebook, that holds the student's data package.
DATA_FOLDER = "data"
_WEEK_ROW = re.compile(r"^\|\s*(\d+)[^|]*\|")
_LABEL = re.compile(r"`(ex-[a-z0-9-]+)`")


def course_weeks(plan: str | Path = PLAN) -> dict[int, list[str]]:
    """Week -> the self-checked homework exercises of that week, from the course plan's table.

    The last column of each row of the plan's table (``| week | read | in class |
    homework |``) names the homework; exercises without a numeric self-check
    (figures, concepts, the project) are left out, and so are weeks without any.

    Examples
    --------
    >>> course_weeks()[1]
    ['ex-sim-completers', 'ex-al-subscales']
    """
    text = Path(plan).read_text(encoding="utf-8")
    weeks: dict[int, list[str]] = {}
    for line in text.splitlines():
        match = _WEEK_ROW.match(line)
        if not match:
            continue
        homework = line.rstrip().rstrip("|").rsplit("|", 1)[-1]
        labels = [label for label in _LABEL.findall(homework) if label in EXERCISES]
        if labels:
            weeks[int(match.group(1))] = labels
    if not weeks:
        raise ValueError(f"{plan} has no course plan table with self-checked homework")
    return weeks


def answer_variable(label: str) -> str:
    """The notebook variable that holds the answer to an exercise.

    Examples
    --------
    >>> answer_variable("ex-sim-completers")
    'answer_ex_sim_completers'
    """
    if label not in EXERCISES:
        raise ValueError(f"unknown exercise {label!r}; exercises: {sorted(EXERCISES)}")
    return "answer_" + label.replace("-", "_")


def _question_name(label: str) -> str:
    return label.replace("-", "_")


def _assignment_config(name: str) -> str:
    return "\n".join(
        [
            "# ASSIGNMENT CONFIG",
            f"name: {name}",
            "init_cell: false",  # students do not have otter: the notebook needs only `book`
            "check_all_cell: false",
            "export_cell: false",
            "run_tests: false",  # the solution needs a data package; the test suite grades instead
            "tests:",
            "    ok_format: false",
            "autograder_files:",
            f"    - {REFERENCE_MODULE}.py",
            "",
        ]
    )


def _hidden_test(label: str) -> str:
    variable = answer_variable(label)
    return (
        '""" # BEGIN TEST CONFIG\nhidden: true\npoints: 1\n""" # END TEST CONFIG\n'
        f"def test_{_question_name(label)}({variable}):\n"
        f"    from {REFERENCE_MODULE} import accepted\n\n"
        f"    assert accepted({label!r}, {variable}, {DATA_FOLDER!r})"
    )


def master_notebook(week: int, labels: list[str]) -> nbformat.NotebookNode:
    """The otter-format master notebook of one week: questions, solutions, hidden tests."""
    v4 = nbformat.v4
    name = f"week-{week}"
    cells = [
        nbformat.v4.new_raw_cell(_assignment_config(name)),
        v4.new_markdown_cell(
            f"# Week {week}: graded exercises\n\n"
            f"Copy the folder of your own data package (the one your instructor gave you) "
            f"next to this notebook and name it `{DATA_FOLDER}`. Answer each question by "
            "giving its variable the number your code computes from those data (replace "
            "the `...`), and keep the code that computes it: the notebook is run again when "
            "it is graded. `check` tells you whether an answer is right, as in the book."
        ),
        v4.new_code_cell(
            "from book.datasets.canonical import load_study\n"
            "from book.teaching.exercises import check\n\n"
            f'DATA = "{DATA_FOLDER}"\n'
            "study = load_study(DATA)"
        ),
    ]
    for label in labels:
        exercise = EXERCISES[label]
        variable = answer_variable(label)
        cells += [
            v4.new_raw_cell(
                f"# BEGIN QUESTION\nname: {_question_name(label)}\npoints: 1\ncheck_cell: false"
            ),
            v4.new_markdown_cell(f"**{label}** ({exercise.chapter}). {exercise.question}"),
            v4.new_raw_cell("# BEGIN SOLUTION"),
            v4.new_code_cell(
                f"from {REFERENCE_MODULE} import reference_answer  # SOLUTION NO PROMPT\n"
                f"{variable} = reference_answer({label!r}, study)  # SOLUTION\n"
                f"check({label!r}, {variable}, data=DATA)"
            ),
            v4.new_raw_cell("# END SOLUTION"),
            v4.new_raw_cell("# BEGIN TESTS"),
            v4.new_code_cell(_hidden_test(label)),
            v4.new_raw_cell("# END TESTS"),
            v4.new_raw_cell("# END QUESTION"),
        ]
    nb = v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def _otter_assign(master: Path, result: Path) -> None:
    """Run otter assign quietly (it prints and changes the working folder; both are restored)."""
    from otter.assign import main as otter_assign

    master, result = master.absolute(), result.absolute()
    with (
        contextlib.chdir(master.parent),
        contextlib.redirect_stdout(sys.stderr),
    ):
        otter_assign(str(master), str(result), no_run_tests=True, no_pdfs=True)


def _check_output(out: Path, overwrite: bool) -> None:
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"{out} is a file, not a folder")
    entries = {p.name for p in out.iterdir()} if out.is_dir() else set()
    if not entries:
        return
    if not overwrite:
        raise FileExistsError(
            f"{out} is not empty; give an empty or new folder, or replace the earlier "
            "assignments with overwrite=True (make assignments ... OVERWRITE=1)"
        )
    strangers = sorted(e for e in entries - _OWN_ENTRIES if not e.startswith(STAGING))
    if MARKER not in entries or strangers:
        raise FileExistsError(
            f"{out} holds files that make assignments did not write ({strangers or entries}); "
            "it replaces only its own earlier output: give an empty or new folder"
        )
    for name in ("student", "instructor"):
        if (out / name).is_symlink() or ((out / name).exists() and not (out / name).is_dir()):
            raise FileExistsError(f"{out / name} is not a folder this tool wrote; not replacing it")


def make_assignments(
    out: str | Path, *, plan: str | Path = PLAN, overwrite: bool = False
) -> dict[int, list[str]]:
    """Write each week's student notebook and instructor autograder bundle into ``out``.

    Parameters
    ----------
    out : str or pathlib.Path
        Output folder (layout in the module docstring): new or empty, or an
        earlier run of this tool when ``overwrite`` is true.
    plan : str or pathlib.Path
        The course plan (``instructors.md``), read by :func:`course_weeks`.
    overwrite : bool, default False
        Replace the ``student`` and ``instructor`` folders of an earlier run.

    Returns
    -------
    dict
        Week -> the exercises of its assignment.
    """
    weeks = course_weeks(plan)
    out = Path(out)
    _check_output(out, bool(overwrite))
    staging = staging_folder(out)
    try:
        (staging / "student").mkdir()
        (staging / "instructor").mkdir()
        for week, labels in weeks.items():
            name = f"week-{week}"
            work = staging / "work" / name
            work.mkdir(parents=True)
            shutil.copyfile(ROOT / "tools" / "answers.py", work / f"{REFERENCE_MODULE}.py")
            master = work / f"{name}.ipynb"
            nbformat.write(master_notebook(week, labels), master)
            _otter_assign(master, work / "dist")
            student = work / "dist" / "student" / f"{name}.ipynb"
            nb = nbformat.read(student, as_version=4)
            _refuse_leaks(nb, name)
            nbformat.write(nb, staging / "student" / f"{name}.ipynb")
            kept = staging / "instructor" / name
            kept.mkdir()
            bundles = sorted((work / "dist" / "autograder").glob("*.zip"))
            if len(bundles) != 1:
                raise RuntimeError(f"otter assign wrote {len(bundles)} bundles for {name}")
            shutil.copyfile(bundles[0], kept / "autograder.zip")
            shutil.copyfile(
                work / "dist" / "autograder" / f"{name}.ipynb", kept / f"{name}-solution.ipynb"
            )
        for name in ("student", "instructor"):
            if (out / name).exists():
                (out / name).rename(staging / f"{name}-of-the-earlier-run")  # removed below
            (staging / name).rename(out / name)
        (out / MARKER).write_text("written by tools.assignments (make assignments)\n")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return weeks


def _refuse_leaks(nb, name: str) -> None:
    """A student notebook never names the instructor's module or holds a test."""
    text = "\n".join(cell.source for cell in nb.cells)
    for word in (REFERENCE_MODULE, "reference_answer", "BEGIN TEST", "otter"):
        if word in text:
            raise RuntimeError(f"the student notebook of {name} contains {word!r}")


def grade_submission(
    notebook: str | Path, autograder: str | Path, data: str | Path
) -> dict[str, float]:
    """Grade one submitted notebook with otter's local grader (no containers).

    The notebook is run in a temporary folder next to a copy of ``data`` (the
    student's data package, from the instructor's handouts) named ``data``.

    Returns
    -------
    dict
        Question (the exercise's label) -> score, 0 or 1.
    """
    from otter.api import grade_submission as otter_grade

    notebook, autograder, data = Path(notebook), Path(autograder), Path(data)
    for path, what in ((notebook, "notebook"), (autograder, "autograder bundle")):
        if not path.is_file():
            raise FileNotFoundError(f"{what} {path} not found")
    if not (data / "datapackage.json").is_file():
        raise FileNotFoundError(f"{data} is not a data package (no datapackage.json)")
    with tempfile.TemporaryDirectory(prefix="grade-") as tmp:
        submission = Path(tmp) / "submission.zip"
        with zipfile.ZipFile(submission, "w") as zf:
            zf.write(notebook, "submission.ipynb")
            for file in sorted(data.rglob("*")):
                if file.is_file():
                    zf.write(file, f"{DATA_FOLDER}/{file.relative_to(data).as_posix()}")
        with contextlib.redirect_stdout(sys.stderr):
            results = otter_grade(str(submission), str(autograder), quiet=True)
    return {name.replace("_", "-"): float(result.score) for name, result in results.results.items()}


def grade_week(
    submissions: str | Path,
    autograder: str | Path,
    handouts: str | Path,
    out: str | Path,
    *,
    overwrite: bool = False,
) -> Path:
    """Grade every ``<student_id>.ipynb`` in ``submissions``; write ``out`` (a CSV of scores).

    Each student's data package is ``handouts/students/<student_id>`` (``make
    student-data``); every one is looked for before any grading starts. A
    notebook that otter cannot grade (not a notebook, another week's) scores 0
    with the reason in the ``error`` column. ``out`` is never overwritten
    unless ``overwrite``.

    Returns
    -------
    pathlib.Path
        ``out``: ``student_id``, one column per exercise (1 or 0), ``total``, ``error``.
    """
    submissions, handouts, out = Path(submissions), Path(handouts), Path(out)
    if out.exists() and not overwrite:
        raise FileExistsError(f"{out} exists; give another file or overwrite=True (OVERWRITE=1)")
    if out.exists() and not out.is_file():
        raise FileExistsError(f"{out} is not a file; not replacing it")
    if not Path(autograder).is_file():
        raise FileNotFoundError(f"autograder bundle {autograder} not found: run make assignments")
    notebooks = sorted(submissions.glob("*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(f"{submissions} holds no <student_id>.ipynb")
    problems = []
    for nb in notebooks:
        problem = folder_name_problem(nb.stem)
        if problem:
            problems.append(f"{nb.name}: student_id {nb.stem!r} {problem}")
        elif not (handouts / "students" / nb.stem / "datapackage.json").is_file():
            problems.append(f"{nb.name}: no data package {handouts / 'students' / nb.stem}")
    if problems:
        raise ValueError("cannot grade:\n  " + "\n  ".join(problems))
    with zipfile.ZipFile(autograder) as zf:
        labels = sorted(
            Path(n).stem.replace("_", "-") for n in zf.namelist() if n.startswith("tests/")
        )
    rows = []
    for nb in notebooks:
        row = {"student_id": nb.stem, **dict.fromkeys(labels, 0.0), "error": ""}
        try:
            row.update(grade_submission(nb, autograder, handouts / "students" / nb.stem))
        except Exception as err:  # one notebook otter cannot grade must not stop the class
            row["error"] = f"{type(err).__name__}: {err}".replace("\n", " ")[:300]
        row["total"] = sum(row[label] for label in labels)
        rows.append(row)
    out.parent.mkdir(parents=True, exist_ok=True)
    fields = ["student_id", *labels, "total", "error"]
    with out.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return out


def main(argv: list[str] | None = None) -> None:
    """``python -m tools.assignments make --out DIR`` or ``... grade ...``."""
    parser = argparse.ArgumentParser(description="Autograded assignments (otter-grader).")
    sub = parser.add_subparsers(dest="command", required=True)
    make = sub.add_parser("make", help="write the student notebooks and autograder bundles")
    make.add_argument("--out", required=True, help="output folder (new or empty)")
    make.add_argument("--overwrite", action="store_true", help="replace an earlier run")
    grade = sub.add_parser("grade", help="grade a week's submissions (<student_id>.ipynb)")
    grade.add_argument("--week", type=int, required=True)
    grade.add_argument("--submissions", required=True, help="folder of <student_id>.ipynb")
    grade.add_argument("--handouts", required=True, help="the folder of make student-data")
    grade.add_argument("--assignments", required=True, help="the folder of make assignments")
    grade.add_argument("--out", required=True, help="the CSV of scores to write")
    grade.add_argument("--overwrite", action="store_true")
    args = parser.parse_args(argv)
    try:
        if args.command == "make":
            weeks = make_assignments(args.out, overwrite=args.overwrite)
            for week, labels in weeks.items():
                print(f"week {week}: {', '.join(labels)}")
            print(f"student notebooks: {Path(args.out) / 'student'}")
            print(f"autograder bundles (instructor only): {Path(args.out) / 'instructor'}")
        else:
            bundle = Path(args.assignments) / "instructor" / f"week-{args.week}" / "autograder.zip"
            path = grade_week(
                args.submissions, bundle, args.handouts, args.out, overwrite=args.overwrite
            )
            print(f"scores: {path}")
    except (ValueError, FileNotFoundError, FileExistsError) as err:
        print(f"assignments: {err}", file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
