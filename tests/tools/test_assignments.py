"""Autograded assignments: the export, its safety, and otter's grading of right and wrong work."""

import math
import os
import zipfile

import nbformat
import pytest

from book.datasets.canonical import load_study, write_study
from book.simulation.engine import simulate
from book.teaching.exercises import EXERCISES, SELF_CHECKS, check, self_check_file
from tools.answers import reference_answer
from tools.assignments import (
    REFERENCE_MODULE,
    answer_variable,
    course_weeks,
    grade_submission,
    make_assignments,
)

WEEKS = course_weeks()
#: A synthetic student: a seed no chapter uses.
SEED = 4242


@pytest.fixture(scope="module")
def assignments(tmp_path_factory):
    out = tmp_path_factory.mktemp("assignments") / "out"
    make_assignments(out)
    return out


@pytest.fixture(scope="module")
def student(tmp_path_factory):
    """A data package with its self-check file, and the reference answers for it."""
    folder = tmp_path_factory.mktemp("student") / "data"
    write_study(simulate(seed=SEED), folder)
    study = load_study(folder)
    labels = [label for labels in WEEKS.values() for label in labels]
    answers = {label: reference_answer(label, study) for label in labels}
    (folder / SELF_CHECKS).write_text(self_check_file(answers, folder))
    return folder, answers


def test_every_week_of_the_plan_with_self_checked_homework_is_exported(assignments):
    assert sorted(WEEKS) == [1, 2, 3, 4, 5, 6]
    exported = [label for labels in WEEKS.values() for label in labels]
    assert len(exported) == len(set(exported)) >= 12
    assert set(exported) <= set(EXERCISES)
    for week, labels in WEEKS.items():
        nb = nbformat.read(assignments / "student" / f"week-{week}.ipynb", as_version=4)
        code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
        for label in labels:
            assert f"{answer_variable(label)} = ...\n" in code
        with zipfile.ZipFile(assignments / "instructor" / f"week-{week}" / "autograder.zip") as zf:
            names = set(zf.namelist())
        assert f"files/{REFERENCE_MODULE}.py" in names
        assert {f"tests/{label.replace('-', '_')}.py" for label in labels} <= names


def test_student_notebooks_hold_no_answer_test_or_instructor_code(assignments):
    for path in sorted((assignments / "student").iterdir()):
        nb = nbformat.read(path, as_version=4)
        text = nbformat.writes(nb)
        for word in (REFERENCE_MODULE, "reference_answer", "accepted(", "def test_", "hidden"):
            assert word not in text, (path.name, word)
        assert all(not cell.get("outputs") for cell in nb.cells if cell.cell_type == "code")
    assert sorted(p.name for p in assignments.iterdir()) == [
        ".assignments",
        "instructor",
        "student",
    ]


def test_no_overwrite_without_permission_and_nothing_written_outside(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    before = set(os.listdir(tmp_path)), os.getcwd()
    make_assignments("out")  # a relative folder, as make assignments gives it
    assert (set(os.listdir(tmp_path)), os.getcwd()) == ({"out"}, before[1])
    (out / "student" / "week-1.ipynb").write_text("edited")
    with pytest.raises(FileExistsError, match="not empty"):
        make_assignments(out)
    assert (out / "student" / "week-1.ipynb").read_text() == "edited"
    make_assignments(out, overwrite=True)
    assert (out / "student" / "week-1.ipynb").read_text() != "edited"
    assert not [p for p in out.iterdir() if p.name.startswith(".building-")]
    (out / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="did not write"):
        make_assignments(out, overwrite=True)
    assert (out / "notes.txt").read_text() == "mine"
    stranger = tmp_path / "theirs"
    stranger.mkdir()
    (stranger / "a.txt").write_text("x")
    with pytest.raises(FileExistsError):
        make_assignments(stranger, overwrite=True)


def _wrong(label, value):
    """Ten grid steps away (three for a whole number): a self-check never accepts it."""
    return value + (3 if EXERCISES[label].exact else 10 * EXERCISES[label].step)


def _submission(assignments, week, answers, path):
    nb = nbformat.read(assignments / "student" / f"week-{week}.ipynb", as_version=4)
    for cell in nb.cells:
        for label, value in answers.items():
            blank = f"{answer_variable(label)} = ..."
            if cell.cell_type == "code" and blank in cell.source:
                cell.source = cell.source.replace(blank, f"{answer_variable(label)} = {value!r}")
    nbformat.write(nb, path)
    return path


@pytest.mark.slow  # two otter gradings per week: a kernel each, about 20 s on a loaded machine
@pytest.mark.parametrize("week", sorted(WEEKS))
def test_otter_gives_full_marks_for_right_answers_and_none_for_wrong_ones(
    week, assignments, student, tmp_path
):
    data, answers = student
    labels = WEEKS[week]
    # two submissions: each exercise right in one and wrong in the other
    plans = [{label: i % 2 == k for i, label in enumerate(labels)} for k in (0, 1)]
    for k, right in enumerate(plans):
        given = {
            label: answers[label] if ok else _wrong(label, answers[label])
            for label, ok in right.items()
        }
        for label, value in given.items():  # the self-check agrees with the grader's rule
            assert bool(check(label, value, data=data)) is right[label]
            assert math.isfinite(value)
        notebook = _submission(assignments, week, given, tmp_path / f"s{k}.ipynb")
        bundle = assignments / "instructor" / f"week-{week}" / "autograder.zip"
        scores = grade_submission(notebook, bundle, data)
        assert scores == {label: 1.0 if ok else 0.0 for label, ok in right.items()}, k


def test_grade_week_checks_everything_first_and_never_overwrites(
    assignments, tmp_path, monkeypatch
):
    import tools.assignments as module

    bundle = assignments / "instructor" / "week-1" / "autograder.zip"
    submitted, handouts = tmp_path / "submitted", tmp_path / "handouts"
    submitted.mkdir()
    for sid in ("s001", "s002"):
        (submitted / f"{sid}.ipynb").write_text("{}")
        (handouts / "students" / sid).mkdir(parents=True)
        (handouts / "students" / sid / "datapackage.json").write_text("{}")

    def fake_grade(notebook, autograder, data):
        if notebook.stem == "s002":
            raise RuntimeError("not a notebook of week-1")
        return {"ex-sim-completers": 1.0, "ex-al-subscales": 0.0}

    monkeypatch.setattr(module, "grade_submission", fake_grade)
    out = module.grade_week(submitted, bundle, handouts, tmp_path / "scores.csv")
    assert out.read_text().splitlines() == [
        "student_id,ex-al-subscales,ex-sim-completers,total,error",
        "s001,0.0,1.0,1.0,",
        "s002,0.0,0.0,0.0,RuntimeError: not a notebook of week-1",
    ]
    with pytest.raises(FileExistsError, match="exists"):
        module.grade_week(submitted, bundle, handouts, out)
    (submitted / "s003.ipynb").write_text("{}")
    (submitted / "CON.ipynb").write_text("{}")
    with pytest.raises(ValueError) as err:
        module.grade_week(submitted, bundle, handouts, tmp_path / "other.csv")
    assert "s003.ipynb: no data package" in str(err.value)
    assert "CON.ipynb: student_id 'CON'" in str(err.value)
    assert not (tmp_path / "other.csv").exists()
