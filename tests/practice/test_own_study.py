"""The template for a reader's own study: files in, the chapters' tables out, nothing lost."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from book.estimation.decomposition import icc, person_mean_center
from book.estimation.multilevel import fit_lagged_model
from book.practice.own_study import EXAMPLE_PATIENTS, EXAMPLE_SESSIONS, analyse_session_file
from book.practice.session_file import SessionFileError, read_patients, read_sessions
from book.simulation.engine import simulate, true_effects
from book.simulation.parameters import SimulationParameters

BOTH = {"alliance": "wai-sr", "bdi": "bdi-ii"}


@pytest.fixture(scope="module")
def example():
    return analyse_session_file(EXAMPLE_SESSIONS, EXAMPLE_PATIENTS)


def test_the_example_files_are_labelled_made_up_and_have_lf_line_endings():
    readme = (EXAMPLE_SESSIONS.parent / "README.md").read_text()
    for path in (EXAMPLE_SESSIONS, EXAMPLE_PATIENTS):
        assert path.name in readme
        assert b"\r" not in path.read_bytes()
    assert "made up" in readme.lower()


def test_every_planted_problem_is_reported_with_its_line(example):
    sessions = example.sessions_file
    assert (sessions.rows_read, sessions.rows_kept, sessions.rows_rejected) == (108, 105, 3)
    reasons = dict(zip(sessions.rejected["line"], sessions.rejected["reason"], strict=True))
    assert reasons[47] == "bdi '2O' is not a number"
    assert reasons[64].startswith("has 5 values but the header has 4 (a comma inside a value")
    assert reasons[77] == "repeats line 76 (same patient, session and scores)"
    report = example.reading_report()
    assert "1 session(s) without a score for alliance (line(s) 25)" in report
    assert "patient P10: session(s) 7" in report
    assert "1 patient(s) without a score (line(s) 13)" in report
    # the missing questionnaire is kept (its BDI-II counts), the rejected rows are not
    p03 = example.data.query("patient_id == 'P03' and session == 4")
    assert len(p03) == 1 and np.isnan(p03["alliance"].iloc[0]) and p03["bdi"].iloc[0] == 40
    assert example.data.query("patient_id == 'P05' and session == 6").empty


def test_patients_left_out_are_named_with_the_reason(example):
    assert example.messages == (
        "1 patient(s) of the patient table have no session in the session file: P13",
    )
    notes = " ".join(example.model.messages)
    assert "without an IIP score" in notes and "['P12']" in notes
    assert "without a complete pair of consecutive sessions" in notes and "['P11']" in notes
    assert example.model.n_patients == 10
    assert example.model.singular and "singular fit" in notes
    left_out = example.person_means.index[~example.person_means["in_model"]].tolist()
    assert left_out == ["P11", "P12"]


def test_the_tables_are_the_books_functions_on_the_joined_data(example):
    data = example.data
    assert list(data.columns) == ["patient_id", "session", "alliance", "bdi", "iip"]
    assert data["iip"].isna().groupby(data["patient_id"]).all().loc["P12"]
    direct = pd.concat([icc(data, "alliance"), icc(data, "bdi")])
    pd.testing.assert_frame_equal(example.decomposition[direct.columns], direct)
    model = fit_lagged_model(data)
    pd.testing.assert_frame_equal(example.model.fixed_effects, model.fixed_effects)
    means = data.groupby("patient_id")[["alliance", "bdi"]].mean()
    np.testing.assert_allclose(example.person_means["alliance_mean"], means["alliance"])
    np.testing.assert_allclose(example.person_means["bdi_mean"], means["bdi"])
    within = person_mean_center(data, "alliance").groupby("patient_id")["alliance_within"].std()
    np.testing.assert_allclose(example.person_means["alliance_within_sd"], within)
    # Spearman-Brown: a mean of n0 sessions is more reliable than one session, below 1
    reliability = example.decomposition["person_mean_reliability"]
    assert ((reliability > example.decomposition["icc"]) & (reliability < 1)).all()


@pytest.fixture(scope="module")
def simulated():
    params = SimulationParameters(n_therapists=8)  # 64 patients
    return params, simulate(params, seed=11)


@pytest.mark.slow
def test_a_simulated_study_written_to_csv_gives_the_model_fitted_on_the_study(simulated, tmp_path):
    """Through the files nothing is lost: the estimates are those of the study itself, and
    the within-patient effect is within three standard errors of the truth."""
    params, study = simulated
    sessions_csv, patients_csv = tmp_path / "sessions.csv", tmp_path / "patients.csv"
    study.sessions[["patient_id", "session", "bdi", "alliance"]].to_csv(sessions_csv, index=False)
    study.patients[["patient_id", "iip"]].to_csv(patients_csv, index=False)
    result = analyse_session_file(sessions_csv, patients_csv)
    assert result.sessions_file.rows_rejected == 0 and result.patients_file.rows_rejected == 0
    assert result.messages == ()
    direct = fit_lagged_model(study)
    np.testing.assert_allclose(
        result.model.fixed_effects["estimate"], direct.fixed_effects["estimate"], atol=1e-8
    )
    np.testing.assert_allclose(
        result.decomposition.loc["alliance", "icc"],
        icc(study.sessions, "alliance")["icc"].iloc[0],
    )
    row = result.model.fixed_effects.set_index("term").loc["alliance_within"]
    truth = true_effects(params)["alliance_within"]
    assert abs(row["estimate"] - truth) < 3 * row["std_error"]


def test_files_already_read_are_used_as_they_are(example):
    sessions = read_sessions(EXAMPLE_SESSIONS, scale=BOTH)
    patients = read_patients(EXAMPLE_PATIENTS)
    again = analyse_session_file(sessions, patients)
    assert again.sessions_file is sessions and again.patients_file is patients
    pd.testing.assert_frame_equal(again.model.fixed_effects, example.model.fixed_effects)
    with pytest.raises(ValueError, match=r"no column\(s\) \['bdi'\]"):
        analyse_session_file(
            read_sessions(EXAMPLE_SESSIONS, scale={"alliance": "wai-sr"}), patients
        )


def test_a_study_too_small_for_the_model_still_gets_its_reading_and_decomposition():
    sessions = io.StringIO(
        "patient_id,session,bdi,alliance\nA,1,20,4.0\nA,2,18,4.5\nA,3,17,4.2\n"
        "B,1,30,3.0\nB,2,29,3.5\nB,3,25,3.1\n"
    )
    patients = io.StringIO("patient_id,iip\nA,1.0\nB,2.0\n")
    result = analyse_session_file(sessions, patients)
    assert result.model is None and result.decomposition is not None
    assert result.messages == (
        "the lagged model could not be fitted: fewer than three patients have a complete pair "
        "of consecutive sessions; a multilevel model needs many more",
    )
    assert result.person_means["in_model"].tolist() == [False, False]


def test_patients_of_one_file_only_are_named():
    sessions = io.StringIO(
        "patient_id,session,bdi,alliance\n"
        + "".join(f"{p},{t},{20 + t},{3 + t / 10}\n" for p in "ABCD" for t in (1, 2, 3))
    )
    patients = io.StringIO("patient_id,iip\nA,1\nB,2\nC,1.5\nC,2.5\nE,1\n")
    result = analyse_session_file(sessions, patients)
    # every patient's alliance is the same, so nothing lies between patients: the ICC
    # estimate is negative, and a patient's mean measures no between-patient variance
    decomposition = result.decomposition.loc["alliance"]
    assert decomposition["icc"] < 0 and decomposition["person_mean_reliability"] == 0
    assert result.model is None  # two patients with an IIP score are too few
    assert result.messages[:2] == (
        "2 patient(s) of the session file have no accepted row in the patient table, so no "
        "IIP score: C, D",
        "1 patient(s) of the patient table have no session in the session file: E",
    )
    assert result.data.query("patient_id in ['C', 'D']")["iip"].isna().all()
    assert "model not fitted" in repr(result)
    assert "note: the lagged model could not be fitted" in result.summary()


def test_arguments_are_checked_before_any_file_is_read(tmp_path):
    missing = tmp_path / "nothing.csv"
    with pytest.raises(ValueError, match="direction"):
        analyse_session_file(missing, missing, direction="both")
    with pytest.raises(ValueError, match="random_effects"):
        analyse_session_file(missing, missing, random_effects="slope")
    with pytest.raises(TypeError, match="detrend"):
        analyse_session_file(missing, missing, detrend="yes")
    with pytest.raises(ValueError, match="not the alliance"):
        analyse_session_file(missing, missing, alliance_scale="bdi-ii")
    with pytest.raises(FileNotFoundError):
        analyse_session_file(missing, missing)
    with pytest.raises(SessionFileError, match="looks like a session file"):
        analyse_session_file(EXAMPLE_SESSIONS, EXAMPLE_SESSIONS)


def test_problems_in_the_patient_table_are_reported_with_line_and_reason(example):
    """A typo in the patient table rejects that row (its line and why); the patient keeps
    their sessions in the decomposition and is named as left out of the model."""
    lines = EXAMPLE_PATIENTS.read_text().splitlines()
    assert lines[2] == "P02,1.92" and lines[4] == "P04,0.73"
    lines[2], lines[4] = "P02,l.92", "P04,7.3"  # a letter l for a one; a misplaced point
    result = analyse_session_file(EXAMPLE_SESSIONS, io.StringIO("\n".join(lines) + "\n"))
    patients = result.patients_file
    assert (patients.rows_read, patients.rows_kept, patients.rows_rejected) == (13, 11, 2)
    assert patients.rejected[["line", "reason"]].values.tolist() == [
        [3, "iip 'l.92' is not a number"],
        [5, "iip 7.3 is outside the iip-32 range 0-4"],
    ]
    assert "  line 3: iip 'l.92' is not a number" in result.reading_report()
    assert result.messages[0] == (
        "2 patient(s) of the session file have no accepted row in the patient table, so no "
        "IIP score: P02, P04"
    )
    assert "['P02', 'P04', 'P12']" in " ".join(result.model.messages)
    assert result.model.n_patients == example.model.n_patients - 2
    assert result.person_means.loc[["P02", "P04"], "in_model"].tolist() == [False, False]
    pd.testing.assert_frame_equal(result.decomposition, example.decomposition)


def test_files_written_with_semicolons_and_decimal_commas_give_the_same_tables(example, tmp_path):
    """The readers' options pass through: the example's kept rows, written as a spreadsheet
    set to a decimal comma writes them, give the same decomposition and model."""
    sessions_csv, patients_csv = tmp_path / "sessions.csv", tmp_path / "patients.csv"
    example.data[["patient_id", "session", "bdi", "alliance"]].to_csv(
        sessions_csv, sep=";", decimal=",", index=False
    )
    example.patients_file.patients[["patient_id", "iip"]].to_csv(
        patients_csv, sep=";", decimal=",", index=False
    )
    assert "\nP01;1;19,0;3,75\n" in sessions_csv.read_text()
    result = analyse_session_file(sessions_csv, patients_csv, delimiter=";", decimal=",")
    assert result.sessions_file.rows_rejected == 0 and result.patients_file.rows_rejected == 0
    pd.testing.assert_frame_equal(result.decomposition, example.decomposition)
    pd.testing.assert_frame_equal(result.model.fixed_effects, example.model.fixed_effects)
    with pytest.raises(SessionFileError, match="semicolon|delimiter"):
        analyse_session_file(sessions_csv, patients_csv)  # read as commas: the reader says why
