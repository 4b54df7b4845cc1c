"""Designs: every form the runner accepts, checked before anything is simulated, and named."""

import pandas as pd
import pytest

from book.montecarlo.designs import as_designs, autoregression_only, design_grid, design_key
from book.montecarlo.runner import run_design_study
from book.simulation.engine import true_effects
from book.simulation.parameters import SimulationParameters


def test_design_grid():
    grid = design_grid(n_patients=[40, 80], n_sessions=[6, 12], alliance_to_symptoms=-0.2)
    assert len(grid) == 4 and set(grid["n_therapists"]) == {5, 10}
    with pytest.raises(ValueError, match="not a multiple"):
        design_grid(n_patients=[42])
    with pytest.raises(ValueError, match=r"unknown design field\(s\) \['sessions'\]"):
        design_grid(sessions=[6])
    with pytest.raises(ValueError, match="n_patients or n_therapists, not both"):
        design_grid(n_patients=[40], n_therapists=[5])


def test_every_form_of_designs_gives_the_same_parameters():
    p = SimulationParameters(n_therapists=10, n_sessions=6)
    forms = [
        p,
        {"n_patients": 80, "n_sessions": 6},
        [{"n_therapists": 10, "n_sessions": 6}],
        pd.DataFrame({"n_therapists": [10], "n_sessions": [6]}),
        {"the design": p},
    ]
    for form in forms:
        params, table = as_designs(form)
        assert params == [p]
        assert table[["n_patients", "n_sessions"]].iloc[0].tolist() == [80, 6]
    _, named = as_designs({"the design": p})
    assert named["label"].tolist() == ["the design"]


def test_the_table_shows_what_varies_or_was_given():
    _, table = as_designs([{"n_sessions": 6}, {"alliance_to_symptoms": -0.2}])
    assert list(table.columns) == ["design", "alliance_to_symptoms", "n_patients", "n_sessions"]
    default = SimulationParameters().alliance_to_symptoms
    assert table["alliance_to_symptoms"].tolist() == [default, -0.2]
    _, table = as_designs([SimulationParameters(), SimulationParameters(symptom_ar=0.5)])
    assert "symptom_ar" in table.columns


def test_missing_value_in_a_design_table_means_the_default():
    designs = pd.DataFrame({"n_sessions": [6, None], "alliance_to_symptoms": [None, -0.2]})
    assert designs["n_sessions"].dtype == float  # as pandas makes it
    table = run_design_study(designs, n_reps=3, estimators="within", seed=1)
    assert table.groupby("design")["n_sessions"].first().tolist() == [6, 12]
    assert table.loc[table.term == "alliance_within", "truth"].tolist() == pytest.approx(
        [true_effects()["alliance_within"], -0.2 * 4.0 / SimulationParameters().state_sd]
    )


def test_design_key_names_the_design_not_its_spelling():
    """Equal designs share a stream of random numbers; any change gives another stream.

    The key of the default design is pinned: if it changed, every Monte Carlo
    result of the book would change with it.
    """
    default = SimulationParameters()
    assert design_key(default) == 4905387166444775306
    assert design_key(SimulationParameters(n_therapists=30)) == design_key(default)
    assert design_key(SimulationParameters(n_sessions=6)) == 2573674634701981970
    keys = {
        design_key(SimulationParameters(**values))
        for values in ({}, {"n_sessions": 6}, {"n_sessions": 7}, {"symptom_ar": 0.31})
    }
    assert len(keys) == 4


def test_autoregression_only_is_a_valid_design_without_effects():
    p = SimulationParameters(**autoregression_only(0.5))
    truth = true_effects(p)
    assert truth["bdi_c"] == 0.5
    assert truth["alliance_within"] == truth["alliance_within:iip_c"] == 0.0
    assert p.dropout_hazard == p.missing_symptoms == p.missing_alliance == 0.0


@pytest.mark.parametrize(
    ("designs", "match"),
    [
        ([{"n_patients": 0}], r"design 0 \(n_patients=0\): n_patients = 0 is not allowed"),
        ([{}, {"n_therapists": 0}], r"design 1 .*n_therapists = 0 is not allowed"),
        ([{"n_sessions": 2}], "n_sessions = 2 is not allowed: it must be an integer of at least 3"),
        ([{"alliance_to_symptoms_sd": -0.05}], "alliance_to_symptoms_sd = -0.05 is not allowed"),
        ([{"alliance_to_symptoms": -0.95}], r"design 0 .*no room for random innovations"),
        ([{"alliance_ar": 0.95, "symptom_ar": 0.95}], "explosive"),
        ([{"state_sd": 0.0}], "state_sd = 0 leaves no within-patient"),
        ([{"n_therapists": 1, "patients_per_therapist": 1}], "at least 2 patients"),
        ([{"n_patients": 100}], "not a multiple of patients_per_therapist"),
        ([{"patients": 100}], r"unknown design field\(s\) \['patients'\]"),
        ({"short": {"n_sessions": 2}}, r"design 'short' .*n_sessions = 2 is not allowed"),
        ([], "designs is empty"),
    ],
)
def test_invalid_designs(designs, match):
    with pytest.raises(ValueError, match=match):
        run_design_study(designs, n_reps=2, seed=1)


def test_designs_of_the_wrong_kind():
    with pytest.raises(TypeError, match="designs must be"):
        run_design_study("n_sessions=6", n_reps=2, seed=1)
    with pytest.raises(TypeError, match="design 1 must be a SimulationParameters"):
        run_design_study([{}, 6], n_reps=2, seed=1)
