"""Self-checks of coding exercises, and a dataset and answer key per student."""

import re

import pandas as pd
import pytest

from book.datasets.canonical import load_study
from book.teaching.exercises import EXERCISES, check
from tools.answers import answer_key
from tools.classroom import make_student_datasets, read_roster, student_seed


@pytest.fixture
def quick_answers(monkeypatch):
    """Two cheap answers per student: for the tests of files and folders, not of answers."""
    import tools.classroom as classroom

    monkeypatch.setattr(
        classroom,
        "answer_key",
        lambda study: answer_key(study, labels=["ex-sim-completers", "ex-ts-bdi-icc"]),
    )


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
        assert list(mine["label"]) == list(EXERCISES)
        # the key is computed before the data are written, the recomputation from the CSV
        # files (scores rounded to their printed digits): equal well within one step
        steps = mine["label"].map(lambda label: EXERCISES[label].step)
        assert ((mine["answer"] - again["answer"]).abs() < steps / 10).all()
        folder = tmp_path / "run1/students" / sid
        for label, value in zip(mine["label"], again["answer"], strict=True):
            assert check(label, float(value), data=folder)  # its own self-check file
    # a neighbour's answers do not pass (where they differ by more than two steps)
    ana, bo = (
        written[written["student_id"] == s].set_index("label")["answer"] for s in ("ana", "bo")
    )
    for label, exercise in EXERCISES.items():
        if abs(ana[label] - bo[label]) >= 2 * exercise.step:
            assert not check(label, float(bo[label]), data=tmp_path / "run1/students/ana")


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
def test_make_student_datasets_checks_ids_and_writes_nothing_outside(quick_answers, tmp_path, sid):
    out = tmp_path / "deep" / "handouts"
    roster = pd.DataFrame({"student_id": ["ana", sid], "seed": [1, 2]})
    with pytest.raises(ValueError, match="row 2: student_id"):
        make_student_datasets(roster, out, params=_small())
    assert _tree(tmp_path) == []  # nothing written, inside or outside


def test_make_student_datasets_refuses_case_collisions_and_bad_seeds(quick_answers, tmp_path):
    roster = pd.DataFrame({"student_id": ["s001", "S001"], "seed": [1, 2]})
    with pytest.raises(ValueError, match="differ only in case"):
        make_student_datasets(roster, tmp_path / "out", params=_small())
    roster = pd.DataFrame({"student_id": ["s001"], "seed": [-1]})
    with pytest.raises(ValueError, match="seed -1 must be from 0"):
        make_student_datasets(roster, tmp_path / "out", params=_small())
    assert not (tmp_path / "out").exists()


def test_a_folder_that_is_not_empty_is_refused_without_overwrite(quick_answers, tmp_path):
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


def test_overwrite_keeps_every_earlier_key_and_leaves_no_stale_folder(quick_answers, tmp_path):
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


def test_the_command_line_refuses_and_overwrites_on_request(quick_answers, tmp_path, capsys):
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


# --------------------------------------------------------------------------
# every self-check differs between students (issue 17)


@pytest.mark.slow
def test_every_self_check_differs_between_students():
    """Four students of a class: every exercise's answers differ, so copying shows.

    A whole-number answer (sessions needed) can coincide; it must still not be the
    same for all four. `python -m tools.classroom` prints the spread over a class."""
    from book.simulation.engine import simulate
    from tools.classroom import answer_spread

    keys = []
    for sid in ("s001", "s002", "s003", "s004"):
        key = answer_key(simulate(seed=student_seed(sid, course_seed=0)))
        keys.append(key.assign(student_id=sid))
    spread = answer_spread(pd.concat(keys, ignore_index=True)).set_index("label")
    assert list(spread.index) == list(EXERCISES)
    for label, row in spread.iterrows():
        least = 2 if EXERCISES[label].exact else 3
        assert row["distinct"] >= least, f"{label}: {row.to_dict()}"


def test_answer_spread_counts_the_pairs_a_copy_would_pass():
    from tools.classroom import answer_spread

    key = pd.DataFrame(
        {
            "student_id": ["a", "b", "c", "a", "b", "c"],
            "label": ["ex-sim-completers"] * 3 + ["ex-ts-sessions-needed"] * 3,
            "answer": [0.500, 0.501, 0.600, 5, 5, 6],
        }
    )
    spread = answer_spread(key).set_index("label")
    assert spread.loc["ex-sim-completers", "distinct"] == 3
    assert spread.loc["ex-sim-completers", "copy_passes"] == pytest.approx(1 / 3)
    assert spread.loc["ex-ts-sessions-needed", "copy_passes"] == pytest.approx(1 / 3)
