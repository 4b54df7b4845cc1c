"""Self-checks of coding exercises, and a dataset and answer key per student."""

import dataclasses
import math

import pandas as pd
import pytest

from book.datasets.canonical import load_study
from book.simulation.engine import simulate
from book.teaching.exercises import EXERCISES, answer_key, check
from tools.classroom import make_student_datasets, read_roster, student_seed


@pytest.fixture(scope="module")
def canonical():
    return load_study()


@pytest.mark.slow
@pytest.mark.parametrize("label", sorted(EXERCISES))
def test_reference_answer_is_accepted_and_a_wrong_one_gets_a_hint(canonical, label):
    ex = EXERCISES[label]
    reference = ex.compute(canonical)
    assert check(label, reference, study=canonical)
    assert check(label, reference + 0.9 * ex.tolerance, study=canonical)
    wrong = check(label, reference + 10 * ex.tolerance + 0.05, study=canonical)
    assert not wrong
    assert repr(wrong).startswith("Not yet. Hint: ")
    # the hint never gives the answer away
    for digits in (2, 3, 4):
        assert f"{reference:.{digits}f}" not in repr(wrong)


@pytest.fixture(scope="module")
def two_students():
    return simulate(seed=101), simulate(seed=303)


# Exercises whose answer is computed from the student's study: from its data
# (completers, subscales) or from its seed (the two Monte Carlo exercises).
@pytest.mark.slow
@pytest.mark.parametrize(
    "label", ["ex-sim-completers", "ex-al-subscales", "ex-ther-trial", "ex-design-moderation"]
)
def test_check_uses_the_students_own_study(two_students, label):
    a, b = two_students
    ex = EXERCISES[label]
    ra, rb = ex.compute(a), ex.compute(b)
    assert abs(ra - rb) > ex.tolerance, "pick seeds whose answers differ"
    assert check(label, ra, study=a) and not check(label, ra, study=b)


@pytest.mark.parametrize("label", ["ex-sim-ruptures", "ex-ther-trial", "ex-design-moderation"])
def test_exercises_that_simulate_need_the_studys_seed(canonical, label):
    unseeded = dataclasses.replace(canonical, seed=None)
    with pytest.raises(ValueError, match="needs a simulated study with a seed"):
        check(label, 0.5, study=unseeded)


def test_check_bad_input(canonical):
    with pytest.raises(ValueError, match="unknown exercise"):
        check("ex-nope", 1.0, study=canonical)
    with pytest.raises(TypeError, match="must be a number"):
        check("ex-sim-completers", "0.8", study=canonical)
    with pytest.raises(TypeError, match="Study"):
        check("ex-sim-completers", 0.8, study=pd.DataFrame())
    assert not check("ex-sim-completers", math.nan, study=canonical)


def _roster(tmp_path, text):
    path = tmp_path / "roster.csv"
    path.write_text(text)
    return path


def test_roster_reads_seeds_and_derives_missing_ones(tmp_path):
    roster = read_roster(_roster(tmp_path, "student_id,seed\nana,11\nbo,\n"), course_seed=7)
    assert roster["seed"].tolist() == [11, student_seed("bo", course_seed=7)]


def test_roster_problems_are_listed_with_line_numbers(tmp_path):
    text = "student_id,seed\nana,1\nana,2\n../x,3\ncy,-4\n"
    with pytest.raises(ValueError) as err:
        read_roster(_roster(tmp_path, text))
    message = str(err.value)
    assert "line 3: student_id 'ana' appears twice" in message
    assert "line 4: student_id '../x'" in message
    assert "line 5: seed '-4'" in message
    with pytest.raises(ValueError, match="needs a 'student_id' column"):
        read_roster(_roster(tmp_path, "name\nana\n"))
    with pytest.raises(ValueError, match="lists no students"):
        read_roster(_roster(tmp_path, "student_id\n"))


@pytest.mark.slow
def test_student_datasets_reproducible_distinct_and_keyed(tmp_path):
    roster = read_roster(_roster(tmp_path, "student_id\nana\nbo\n"), course_seed=2026)
    key1 = make_student_datasets(roster, tmp_path / "run1")
    key2 = make_student_datasets(roster, tmp_path / "run2")
    pd.testing.assert_frame_equal(key1, key2)
    for name in ("sessions.csv", "truth/patients.csv"):
        ana1 = (tmp_path / "run1/students/ana" / name).read_bytes()
        ana2 = (tmp_path / "run2/students/ana" / name).read_bytes()
        bo1 = (tmp_path / "run1/students/bo" / name).read_bytes()
        assert ana1 == ana2, "the same seed must give the same bytes"
        assert ana1 != bo1, "different students must get different data"
    # the written key equals a recomputation from each student's loaded data
    written = pd.read_csv(tmp_path / "run1/instructor/answer_key.csv")
    for sid in ("ana", "bo"):
        study = load_study(tmp_path / "run1/students" / sid)
        again = answer_key(study)
        mine = written[written["student_id"] == sid].reset_index(drop=True)
        pd.testing.assert_series_equal(mine["label"], again["label"])
        assert (mine["answer"] - again["answer"]).abs().max() < 1e-5
        for label, value in zip(mine["label"], mine["answer"], strict=True):
            assert check(label, float(value), study=study)
