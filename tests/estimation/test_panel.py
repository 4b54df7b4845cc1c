"""Person-mean centering, detrending and calendar-aware lags."""

import numpy as np
import pandas as pd
import pytest

from book.datasets.canonical import load_study
from book.estimation.decomposition import detrend, person_mean_center, person_trends
from book.estimation.panel import add_lags


@pytest.fixture(scope="module")
def sessions():
    return load_study().sessions


def test_centering_parts_add_up_and_within_averages_zero(sessions):
    out = person_mean_center(sessions, ["alliance", "bdi"])
    ok = out["alliance"].notna()
    np.testing.assert_allclose(
        out.loc[ok, "alliance_between"] + out.loc[ok, "alliance_within"], out.loc[ok, "alliance"]
    )
    assert out.groupby("patient_id")["alliance_within"].mean().abs().max() < 1e-12
    assert out["alliance_within"].isna().equals(sessions["alliance"].isna())


def test_centering_bad_input():
    with pytest.raises(ValueError, match=r"column\(s\) \['wai'\] not in data"):
        person_mean_center(pd.DataFrame({"patient_id": [1]}), "wai")
    with pytest.raises(TypeError, match="DataFrame"):
        person_mean_center([1, 2], "x")
    with pytest.raises(ValueError, match="must be numeric"):
        person_mean_center(pd.DataFrame({"patient_id": [1], "x": ["a"]}), "x")


def test_detrend_removes_an_exact_linear_trend():
    d = pd.DataFrame({"patient_id": np.repeat([1, 2], 5), "session": np.tile(np.arange(1, 6), 2)})
    d["x"] = np.where(d["patient_id"] == 1, 2.0 + 0.3 * d["session"], 4.0 - 0.1 * d["session"])
    np.testing.assert_allclose(detrend(d, "x"), 0.0, atol=1e-12)


def test_detrend_matches_per_patient_least_squares(sessions):
    got = detrend(sessions, "alliance")
    one = sessions[sessions["patient_id"] == 5].dropna(subset=["alliance"])
    slope, intercept = np.polyfit(one["session"], one["alliance"], 1)
    expected = one["alliance"] - (intercept + slope * one["session"])
    np.testing.assert_allclose(got.loc[one.index], expected, atol=1e-10)


def test_detrend_needs_two_sessions():
    d = pd.DataFrame({"patient_id": [1, 2, 2], "session": [1, 1, 2], "x": [3.0, 3.0, 4.0]})
    out = detrend(d, "x")
    assert np.isnan(out.iloc[0]) and np.allclose(out.iloc[1:], [0.0, 0.0])


def test_lags_follow_sessions_not_rows(sessions):
    shuffled = sessions.sample(frac=1.0, random_state=1)
    out = add_lags(shuffled, "alliance")
    pd.testing.assert_index_equal(out.index, shuffled.index)
    row = out[(out.patient_id == 3) & (out.session == 5)].iloc[0]
    prev = sessions[(sessions.patient_id == 3) & (sessions.session == 4)]["alliance"].iloc[0]
    assert row["alliance_lag"] == prev
    assert out.loc[out.session == 1, "alliance_lag"].isna().all()


def test_lead_and_bad_periods():
    d = pd.DataFrame({"patient_id": [1, 1], "session": [1, 2], "bdi": [20.0, 18.0]})
    assert add_lags(d, "bdi", lead=True)["bdi_next"].tolist()[0] == 18.0
    with pytest.raises(ValueError, match="periods must be an integer of at least 1"):
        add_lags(d, "bdi", periods=0)
    with pytest.raises(ValueError, match="duplicate"):
        add_lags(pd.concat([d, d]), "bdi")


@pytest.mark.parametrize(
    ("sessions", "match"),
    [
        (["1", "2", "3"], r"'session' must hold numeric session numbers .* dtype"),
        ([True, False, True], r"'session' must hold numeric session numbers"),
        ([1.0, 2.5, 3.0], r"whole session numbers, got \[2\.5\]"),
        ([1.0, np.inf, 3.0], r"whole session numbers, got \[inf\]"),
        ([1.0, None, 3.0], r"'session' has 1 missing value\(s\); every row needs a session"),
    ],
)
def test_lags_refuse_session_numbers_they_cannot_count(sessions, match):
    d = pd.DataFrame({"patient_id": [1, 1, 1], "session": sessions, "bdi": [20.0, 18.0, 17.0]})
    with pytest.raises(ValueError, match=match):
        add_lags(d, "bdi")


def test_lags_accept_whole_numbers_stored_as_floats_or_nullable_integers():
    expected = [np.nan, 20.0, np.nan]
    for sessions in ([1.0, 2.0, 4.0], pd.array([1, 2, 4], dtype="Int64")):
        d = pd.DataFrame({"patient_id": [1, 1, 1], "session": sessions, "bdi": [20.0, 18.0, 17.0]})
        np.testing.assert_array_equal(add_lags(d, "bdi")["bdi_lag"].to_numpy(float), expected)


@pytest.mark.parametrize(
    "frame",
    [
        # one row per patient
        {"patient_id": [1, 2, 3], "session": [1, 1, 2], "x": [3.0, 3.5, 4.0]},
        # two rows, but the second value is missing
        {"patient_id": [1, 1, 2], "session": [1, 2, 1], "x": [3.0, np.nan, 4.0]},
        # two values, but at the same session: no slope
        {"patient_id": [1, 1, 2], "session": [1, 1, 1], "x": [3.0, 3.5, 4.0]},
    ],
)
def test_trends_need_one_patient_with_two_rated_sessions(frame):
    d = pd.DataFrame(frame)
    match = r"no 'patient_id' has non-missing 'x' at two or more different 'session' values"
    with pytest.raises(ValueError, match="detrend: " + match):
        detrend(d, "x")
    with pytest.raises(ValueError, match="person_trends: " + match):
        person_trends(d, "x")
    with pytest.raises(ValueError, match=r"detrend=True\): " + match):
        person_mean_center(d.assign(patient_id=[1, 1, 2]), "x", detrend=True)
