"""The ML-SEM dynamic panel model (Allison, Williams & Moral-Benito 2017) against the truth.

Agreement with lavaan's FIML fit of the same syntax is in test_riclpm_lavaan.py.
"""

import pytest

from book.datasets.canonical import load_study
from book.estimation.dynamic_panel import (
    dynamic_panel_description,
    dynamic_panel_model,
    fit_dynamic_panel,
)
from book.estimation.riclpm import fit_riclpm
from book.montecarlo import RICLPM_TERMS, error_free_alliance
from book.simulation.engine import simulate, true_effects
from book.simulation.parameters import SimulationParameters
from book.simulation.worlds import world

# The RI-CLPM's own world (book.simulation.worlds): the ML-SEM is consistent there too,
# its fixed effect absorbing the stable levels.


@pytest.mark.slow
def test_recovers_both_directions_on_a_large_sample():
    """2,000 patients, 8 sessions, error-free alliance: the four lagged effects within 3 SE
    of the truth (SEs about 0.012 for the autoregressions, 0.23 for alliance -> symptoms,
    0.0014 for symptoms -> alliance)."""
    params = world("riclpm", n_therapists=250, n_sessions=8)
    data = error_free_alliance(simulate(params, seed=21))
    truth = {term: true_effects(params)[key] for term, key in RICLPM_TERMS.items()}
    fit = fit_dynamic_panel(data)
    assert fit.converged
    est = fit.estimates.set_index("term")
    for term in ("alliance_ar", "symptoms_ar", "alliance_to_symptoms", "symptoms_to_alliance"):
        assert abs(est.loc[term, "estimate"] - truth[term]) < 3 * est.loc[term, "std_error"]


@pytest.mark.slow
def test_less_precise_than_the_riclpm_where_the_riclpm_is_right():
    """In the RI-CLPM's own world the ML-SEM, which assumes less, pays with larger
    standard errors for the alliance effect (same data, 1,000 patients, 8 sessions:
    about 0.31 against 0.20)."""
    params = world("riclpm", n_therapists=125, n_sessions=8)
    data = error_free_alliance(simulate(params, seed=22))
    se = {}
    for name, fit in (
        ("ml-sem", fit_dynamic_panel(data, direction="alliance_to_symptoms")),
        ("ri-clpm", fit_riclpm(data)),
    ):
        se[name] = fit.estimates.set_index("term").loc["alliance_to_symptoms", "std_error"]
    assert se["ml-sem"] > 1.2 * se["ri-clpm"]


def test_one_direction_gives_its_two_terms():
    study = load_study()
    fit = fit_dynamic_panel(study, direction="symptoms_to_alliance", n_waves=6)
    assert fit.estimates["term"].tolist() == ["alliance_ar", "symptoms_to_alliance"]
    assert list(fit.models) == ["symptoms_to_alliance"]
    assert list(fit.estimates.columns) == [
        "term",
        "estimate",
        "std_error",
        "ci_low",
        "ci_high",
        "p_value",
    ]
    assert "ML-SEM dynamic panel model" in fit.summary() and fit.n_waves == 6


def test_few_patients_are_warned_about():
    study = simulate(SimulationParameters(n_therapists=5, n_sessions=6), seed=4)
    fit = fit_dynamic_panel(study, direction="alliance_to_symptoms")
    assert fit.n_patients == 40
    assert any("only 40 patients" in m and "large-sample" in m for m in fit.messages)


def test_the_model_is_the_one_the_paper_describes():
    """Fixed effect loading 1 on the outcome from the second session on; free covariances
    of the fixed effect with the first outcome and every predictor; the outcome's error
    free to covary with the predictor at the same and later sessions, not earlier ones."""
    lines = dynamic_panel_description(4).splitlines()
    assert "alpha =~ 1*S2 + 1*S3 + 1*S4" in lines
    assert "alpha ~~ alpha + S1 + A1 + A2 + A3" in lines
    assert "S2 ~~ S2 + A2 + A3" in lines and "S3 ~~ S3 + A3" in lines
    model = dynamic_panel_model(4, "symptoms_to_alliance")
    assert "A4" in model.observed and "S4" not in model.observed  # S4 predicts nothing
    assert (model.table()["meaning"] != "").all()


def test_input_errors():
    study = load_study()
    with pytest.raises(ValueError, match="direction must be one of"):
        fit_dynamic_panel(study, direction="both")
    with pytest.raises(ValueError, match="direction must be one of"):
        dynamic_panel_model(5, "sideways")
    with pytest.raises(ValueError, match="n_waves must be an integer from 3"):
        fit_dynamic_panel(study, n_waves=2)
    with pytest.raises(ValueError, match="at least 3"):
        dynamic_panel_model(2)
    with pytest.raises(ValueError, match="alpha must be"):
        fit_dynamic_panel(study, alpha=0)
    with pytest.raises(ValueError, match="alliance does not vary"):
        fit_dynamic_panel(study.sessions.assign(alliance=3.0))
    two = study.sessions[study.sessions["patient_id"].isin([1, 2])]
    with pytest.raises(ValueError, match="cannot be fitted to these data"):
        fit_dynamic_panel(two, n_waves=4)
