"""Self-checks: right or a hint, from hashes in the data package; nothing returns an answer."""

import importlib
import json
import math
import pkgutil
import re
import shutil

import numpy as np
import pytest

import book
from book.datasets.canonical import DATA_DIR, load_study
from book.simulation.engine import simulate
from book.teaching.exercises import (
    CANONICAL_CHECKS,
    EXERCISES,
    SELF_CHECKS,
    check,
    data_fingerprint,
    self_check_file,
)
from tools.answers import REFERENCES, reference_answer


@pytest.fixture(scope="module")
def canonical():
    return load_study()


def test_every_exercise_has_a_reference_in_the_instructors_tools_only():
    assert list(REFERENCES) == list(EXERCISES)
    for exercise in EXERCISES.values():
        fields = vars(exercise)
        assert not [name for name, value in fields.items() if callable(value)], fields


def test_nothing_students_import_returns_an_answer():
    """No module of the package imports the instructor's tools, and none has an answer key."""
    for info in pkgutil.walk_packages(book.__path__, "book."):
        if info.name.endswith("__main__"):  # a command line, run only as a script
            continue
        module = importlib.import_module(info.name)
        source = module.__loader__.get_source(info.name) or ""
        assert not re.search(r"^\s*(from|import) tools\b", source, re.M), f"{info.name} uses tools"
        assert not hasattr(module, "answer_key"), f"{info.name} has an answer key"
        assert not hasattr(module, "REFERENCES"), f"{info.name} has reference answers"


@pytest.mark.slow
@pytest.mark.parametrize("label", list(EXERCISES))
def test_the_canonical_self_checks_accept_the_reference_and_refuse_a_neighbour(canonical, label):
    """The committed self-check file is current: it accepts the reference computed now.

    If the canonical data change (make data), `make self-checks` rewrites it."""
    exercise, reference = EXERCISES[label], reference_answer(label, canonical)
    assert check(label, reference), f"run make self-checks: {label} no longer accepts {reference}"
    if exercise.exact:
        assert not check(label, reference + 1) and not check(label, reference - 1)
        return
    assert check(label, reference + 0.9 * exercise.step)
    assert check(label, reference - 0.9 * exercise.step)
    for wrong in (reference + 2 * exercise.step, reference - 2 * exercise.step):
        result = check(label, wrong)
        assert not result and repr(result).startswith("Not yet. Hint: ")
    hint = repr(check(label, reference + 10 * exercise.step))
    for digits in (2, 3, 4):  # the hint never gives the answer away
        assert f"{reference:.{digits}f}" not in hint


def test_the_self_check_file_holds_no_answer_in_readable_form(canonical):
    text = CANONICAL_CHECKS.read_text()
    record = json.loads(text)
    assert set(record["checks"]) == set(EXERCISES)
    assert record["data"] == data_fingerprint()
    completers = reference_answer("ex-sim-completers", canonical)
    for digits in (2, 3, 4):
        assert f"{completers:.{digits}f}"[1:] not in text  # not even ".821"


def test_a_self_check_file_works_only_with_its_own_data(tmp_path):
    mine, other = tmp_path / "mine", tmp_path / "other"
    shutil.copytree(DATA_DIR, mine, ignore=shutil.ignore_patterns("real", "examples"))
    from book.datasets.canonical import write_study

    write_study(simulate(seed=5), other)
    share = float((~simulate(seed=5).patients["dropped_out"].astype(bool)).mean())
    (other / SELF_CHECKS).write_text(self_check_file({"ex-sim-completers": share}, other))
    assert check("ex-sim-completers", share, data=other)
    assert not check("ex-sim-completers", share + 0.01, data=other)
    (mine / SELF_CHECKS).write_text((other / SELF_CHECKS).read_text())  # copied next to other data
    with pytest.raises(ValueError, match="written for other data"):
        check("ex-sim-completers", share, data=mine)
    with pytest.raises(ValueError, match="has no entry for ex-ts-bdi-icc"):
        check("ex-ts-bdi-icc", 0.5, data=other)
    (other / SELF_CHECKS).unlink()
    with pytest.raises(ValueError, match="has no self-check file"):
        check("ex-sim-completers", share, data=other)
    with pytest.raises(FileNotFoundError, match="not a data package"):
        check("ex-sim-completers", share, data=tmp_path)


def test_the_same_answers_give_the_same_file_and_other_data_another_salt(tmp_path):
    from book.datasets.canonical import write_study

    write_study(simulate(seed=5), tmp_path / "a")
    one = self_check_file({"ex-sim-completers": 0.5}, tmp_path / "a")
    assert one == self_check_file({"ex-sim-completers": 0.5}, tmp_path / "a")
    canonical_file = self_check_file({"ex-sim-completers": 0.5})
    assert json.loads(one)["salt"] != json.loads(canonical_file)["salt"]
    assert json.loads(one)["checks"] != json.loads(canonical_file)["checks"]


def test_check_bad_input(canonical):
    with pytest.raises(ValueError, match="unknown exercise"):
        check("ex-nope", 1.0)
    with pytest.raises(TypeError, match="must be a number"):
        check("ex-sim-completers", "0.8")
    with pytest.raises(TypeError, match="the folder of your data package"):
        check("ex-sim-completers", 0.8, data=canonical)
    assert not check("ex-sim-completers", math.nan)
    assert not check("ex-sim-completers", math.inf)


def test_check_takes_numpy_numbers_and_refuses_the_rest_clearly(canonical):
    reference = reference_answer("ex-sim-completers", canonical)
    assert check("ex-sim-completers", np.array(reference))  # a 0-d array
    assert check("ex-sim-completers", np.float32(reference))
    assert not check("ex-sim-completers", 10**400)  # too large: just wrong
    assert not check("ex-sim-completers", -(10**400))
    with pytest.raises(TypeError, match=r"one number, got a list of 1 value\(s\)"):
        check("ex-sim-completers", [reference])
    with pytest.raises(TypeError, match=r"one number, got a ndarray of 3 value\(s\)"):
        check("ex-sim-completers", np.array([0.1, 0.2, 0.3]))
    with pytest.raises(TypeError, match=r"must be a number, got complex"):
        check("ex-sim-completers", 0.8 + 0j)
    with pytest.raises(TypeError, match=r"must be a number, got ndarray"):
        check("ex-sim-completers", np.array("0.8"))


def test_whole_number_answers_are_accepted_only_exactly():
    assert check("ex-ts-sessions-needed", 6) and check("ex-ts-sessions-needed", 6.0)
    for wrong in (5, 7, 5.9, 6.1):
        assert not check("ex-ts-sessions-needed", wrong)
