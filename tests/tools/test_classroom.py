"""Self-checks of coding exercises, and a dataset and answer key per student."""

import dataclasses
import math
import re

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


# --------------------------------------------------------------------------
# issue 20: the classroom kit never overwrites, never escapes its folder


def _small(n_patients=4):
    from book.simulation.parameters import SimulationParameters

    return SimulationParameters(n_therapists=2, patients_per_therapist=n_patients // 2)


def _tree(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def test_roster_line_numbers_count_blank_lines(tmp_path):
    text = "student_id,seed\n\nana,1\n\n\nana,2\n,3\n"
    with pytest.raises(ValueError) as err:
        read_roster(_roster(tmp_path, text))
    message = str(err.value)
    assert "line 6: student_id 'ana' appears twice" in message
    assert "line 7: student_id ''" in message


@pytest.mark.parametrize("seed", ["\u00b2", "\u0661\u0662", "1.5", "+3", "1e3", " 12 3"])
def test_roster_seeds_must_be_written_with_the_digits_0_to_9(tmp_path, seed):
    with pytest.raises(ValueError, match=r"line 2: seed .* written with the digits 0-9"):
        read_roster(_roster(tmp_path, f"student_id,seed\nana,{seed}\n"))


def test_roster_seed_too_large(tmp_path):
    with pytest.raises(ValueError, match="is larger than"):
        read_roster(_roster(tmp_path, f"student_id,seed\nana,{2**64}\n"))


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        (["s001", "S001"], "differ only in case"),
        (["ana."], "must not end with a dot"),
        (["CON"], "device name on Windows ('CON')"),
        (["aux"], "device name on Windows ('AUX')"),
        (["nul.csv"], "device name on Windows ('NUL')"),
        (["COM1"], "device name on Windows ('COM1')"),
        (["lpt9"], "device name on Windows ('LPT9')"),
    ],
)
def test_roster_ids_that_are_no_portable_folder_are_refused(tmp_path, ids, message):
    text = "student_id\n" + "\n".join(ids) + "\n"
    with pytest.raises(ValueError, match=re.escape(message)):
        read_roster(_roster(tmp_path, text))


@pytest.mark.parametrize(
    "sid",
    ["../../escaped", "/tmp/absolute", "a/b", "..", "CON", "s.", "", "x" * 65, "\u00e9l\u00e8ve"],
)
def test_make_student_datasets_checks_ids_and_writes_nothing_outside(tmp_path, sid):
    out = tmp_path / "deep" / "handouts"
    roster = pd.DataFrame({"student_id": ["ana", sid], "seed": [1, 2]})
    with pytest.raises(ValueError, match="row 2: student_id"):
        make_student_datasets(roster, out, params=_small())
    assert _tree(tmp_path) == []  # nothing written, inside or outside


def test_make_student_datasets_refuses_case_collisions_and_bad_seeds(tmp_path):
    roster = pd.DataFrame({"student_id": ["s001", "S001"], "seed": [1, 2]})
    with pytest.raises(ValueError, match="differ only in case"):
        make_student_datasets(roster, tmp_path / "out", params=_small())
    roster = pd.DataFrame({"student_id": ["s001"], "seed": [-1]})
    with pytest.raises(ValueError, match="seed -1 must be from 0"):
        make_student_datasets(roster, tmp_path / "out", params=_small())
    assert not (tmp_path / "out").exists()


def test_a_folder_that_is_not_empty_is_refused_without_overwrite(tmp_path):
    roster = pd.DataFrame({"student_id": ["ana", "bo"], "seed": [1, 2]})
    out = tmp_path / "handouts"
    make_student_datasets(roster, out, params=_small())
    key = (out / "instructor/answer_key.csv").read_bytes()
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    with pytest.raises(FileExistsError, match=r"not empty.*OVERWRITE=1"):
        make_student_datasets(roster, out, params=_small())
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert (out / "instructor/answer_key.csv").read_bytes() == key
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("precious")
    with pytest.raises(FileExistsError, match="did not write"):
        make_student_datasets(roster, mine, params=_small(), overwrite=True)
    assert _tree(mine) == ["thesis.tex"]


def test_overwrite_keeps_every_earlier_key_and_leaves_no_stale_folder(tmp_path):
    out = tmp_path / "handouts"
    first = pd.DataFrame({"student_id": ["ana", "bo"], "seed": [1, 2]})
    make_student_datasets(first, out, params=_small())
    key1 = (out / "instructor/answer_key.csv").read_bytes()
    second = pd.DataFrame({"student_id": ["ana", "cy"], "seed": [3, 4]})
    make_student_datasets(second, out, params=_small(), overwrite=True)
    assert sorted(p.name for p in (out / "students").iterdir()) == ["ana", "cy"]  # bo is gone
    earlier = sorted((out / "instructor/earlier").iterdir())
    assert len(earlier) == 1 and (earlier[0] / "answer_key.csv").read_bytes() == key1
    assert (earlier[0] / "roster.csv").read_text().splitlines()[1:] == ["ana,1", "bo,2"]
    make_student_datasets(first, out, params=_small(), overwrite=True)
    assert len(list((out / "instructor/earlier").iterdir())) == 2  # both earlier keys kept
    assert not [p for p in out.iterdir() if p.name.startswith(".building")]


def test_a_failed_run_leaves_the_earlier_output_as_it_was(tmp_path, monkeypatch):
    import tools.classroom as classroom

    out = tmp_path / "handouts"
    roster = pd.DataFrame({"student_id": ["ana", "bo"], "seed": [1, 2]})
    make_student_datasets(roster, out, params=_small())
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}

    def broken(study):
        raise RuntimeError("simulated failure half-way")

    monkeypatch.setattr(classroom, "answer_key", broken)
    with pytest.raises(RuntimeError, match="half-way"):
        make_student_datasets(roster, out, params=_small(), overwrite=True)
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before


def test_the_command_line_refuses_and_overwrites_on_request(tmp_path, capsys):
    from tools.classroom import main

    roster = _roster(tmp_path, "student_id,seed\nana,1\n")
    out = tmp_path / "handouts"
    (out / "students/old").mkdir(parents=True)
    (out / "instructor").mkdir()
    (out / "instructor/answer_key.csv").write_text("an earlier key\n")
    with pytest.raises(SystemExit) as stop:
        main([str(roster), "--out", str(out)])
    assert stop.value.code == 2
    assert "OVERWRITE=1" in capsys.readouterr().err
    main([str(roster), "--out", str(out), "--overwrite"])
    assert sorted(p.name for p in (out / "students").iterdir()) == ["ana"]
    kept = list((out / "instructor/earlier").glob("*/answer_key.csv"))
    assert [p.read_text() for p in kept] == ["an earlier key\n"]


def test_the_make_target_passes_overwrite():
    from pathlib import Path

    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    target = makefile[makefile.index("student-data:") :].split("\n\n")[0]
    assert "OVERWRITE" in target and "--overwrite" in target


def test_check_takes_numpy_numbers_and_refuses_the_rest_clearly(canonical):
    import numpy as np

    reference = EXERCISES["ex-sim-completers"].compute(canonical)
    assert check("ex-sim-completers", np.array(reference), study=canonical)  # a 0-d array
    assert check("ex-sim-completers", np.float32(reference), study=canonical)
    assert not check("ex-sim-completers", 10**400, study=canonical)  # too large: just wrong
    assert not check("ex-sim-completers", -(10**400), study=canonical)
    with pytest.raises(TypeError, match=r"one number, got a list of 1 value\(s\)"):
        check("ex-sim-completers", [reference], study=canonical)
    with pytest.raises(TypeError, match=r"one number, got a ndarray of 3 value\(s\)"):
        check("ex-sim-completers", np.array([0.1, 0.2, 0.3]), study=canonical)
    with pytest.raises(TypeError, match=r"must be a number, got complex"):
        check("ex-sim-completers", 0.8 + 0j, study=canonical)
    with pytest.raises(TypeError, match=r"must be a number, got ndarray"):
        check("ex-sim-completers", np.array("0.8"), study=canonical)
