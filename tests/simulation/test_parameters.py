"""SimulationParameters rejects impossible values with errors that say what is allowed."""

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from book.simulation.parameters import SimulationParameters, describe_parameters

FIELDS = {f.name: f for f in dataclasses.fields(SimulationParameters)}


def _kind(name):
    return FIELDS[name].metadata["allowed"]


def test_defaults_are_valid_and_documented():
    p = SimulationParameters()
    assert p.n_patients == 240
    table = describe_parameters(p)
    assert list(table["parameter"]) == list(FIELDS)
    for col in ("unit", "description", "source"):
        assert (table[col].str.len() > 0).all(), f"a parameter has no {col}"


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("state_sd", -0.1, "at least 0"),
        ("trait_sd", float("nan"), "at least 0"),
        ("rupture_rate", 1.5, "in [0, 1]"),
        ("missing_alliance", -0.01, "in [0, 1]"),
        ("n_sessions", 2, "at least 3"),
        ("n_sessions", 12.0, "at least 3"),
        ("n_therapists", 0, "at least 1"),
        ("patients_per_therapist", 0, "at least 1"),
        ("r_trait_iip", 1.0, "in (-1, 1)"),
        ("alliance_mean", 5.5, "[1, 5]"),
        ("rupture_iip_odds_ratio", 0.0, "greater than 0"),
        ("share_trained", True, "in [0, 1]"),
    ],
)
def test_impossible_values_name_field_value_and_rule(name, value, words):
    with pytest.raises(ValueError) as err:
        SimulationParameters(**{name: value})
    message = str(err.value)
    assert message.startswith(f"{name} = {value!r}"), message
    assert words in message, message


def test_unknown_field_is_a_value_error_listing_allowed_names():
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) \['n_session'\].*n_sessions"):
        SimulationParameters(n_session=12)


def test_positional_arguments_are_refused():
    with pytest.raises(ValueError, match="keyword arguments only"):
        SimulationParameters(30)


def test_impossible_combinations():
    with pytest.raises(ValueError, match="correlation matrix"):
        SimulationParameters(
            r_iip_avoidance=0.95, r_iip_self_esteem=0.95, r_avoidance_self_esteem=-0.95
        )
    with pytest.raises(ValueError, match="therapist_share"):
        SimulationParameters(therapist_share=0.99)
    with pytest.raises(ValueError, match="explosive"):
        SimulationParameters(
            alliance_ar=0.9, symptom_ar=0.9, alliance_to_symptoms=-0.9, symptoms_to_alliance=0.9
        )


def test_frozen_and_replace_checks_again():
    p = SimulationParameters()
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.n_sessions = 5
    assert p.replace(n_sessions=20).n_sessions == 20
    with pytest.raises(ValueError, match="n_sessions"):
        p.replace(n_sessions=1)


# the documented rule of each kind of field, written out independently of the code
_RULES = {
    "probability": lambda v: 0.0 <= v <= 1.0,
    "share": lambda v: 0.0 <= v < 1.0,
    "sd": lambda v: v >= 0.0,
    "correlation": lambda v: -1.0 < v < 1.0,
}


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    name=st.sampled_from([n for n in FIELDS if _kind(n) in _RULES]),
    value=st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.floats(min_value=-1.5, max_value=1.5),
    ),
)
def test_any_value_is_either_accepted_or_refused_by_its_rule(name, value):
    """Property: a value inside the field's allowed range never fails its field check,
    and a value outside it always raises a ValueError naming the field."""
    inside = math.isfinite(value) and _RULES[_kind(name)](value)
    try:
        SimulationParameters(**{name: value})
    except ValueError as err:
        # outside the field's range: the message names the field first.
        # inside it, only a joint check (correlations, stationarity) may refuse.
        if inside:
            assert not str(err).startswith(f"{name} = "), str(err)
        else:
            assert str(err).startswith(f"{name} = "), str(err)
    else:
        assert inside, f"{name} = {value} was accepted but breaks its rule"


@settings(max_examples=100, deadline=None, derandomize=True)
@given(n=st.integers(min_value=-5, max_value=2))
def test_too_few_sessions_always_refused(n):
    with pytest.raises(ValueError, match="n_sessions"):
        SimulationParameters(n_sessions=n)


def test_dropout_mechanism_is_a_choice():
    with pytest.raises(ValueError) as err:
        SimulationParameters(dropout_mechanism="random")
    message = str(err.value)
    assert message.startswith("dropout_mechanism = 'random' is not allowed"), message
    for choice in ("'mcar'", "'mar'", "'mnar'"):
        assert choice in message
    with pytest.raises(ValueError, match="dropout_mechanism = 1"):
        SimulationParameters(dropout_mechanism=1)
    assert describe_parameters().set_index("parameter").loc["dropout_mechanism", "value"] == "mcar"


def test_new_mechanisms_refuse_impossible_combinations():
    with pytest.raises(ValueError, match="needs dropout_mechanism = 'mar' or 'mnar'"):
        SimulationParameters(dropout_worsening_odds_ratio=1.5)
    # growth that would explain more than all the differences in improvement
    with pytest.raises(ValueError, match="growth_to_symptom_slope"):
        SimulationParameters(alliance_growth_sd=0.1, growth_to_symptom_slope=-10.0)
    with pytest.raises(ValueError, match="growth_to_symptom_slope"):
        SimulationParameters(
            alliance_growth_sd=0.03, growth_to_symptom_slope=-8.0, symptom_slope_sd=0.0
        )
    # the within-session path enters the implied autoregression: explosive dynamics
    with pytest.raises(ValueError, match="symptoms_to_alliance_same_session"):
        SimulationParameters(
            alliance_ar=0.8, symptom_ar=0.8, symptoms_to_alliance_same_session=-0.9
        )


def test_state_transition_substitutes_the_same_session_path():
    p = SimulationParameters(symptoms_to_alliance_same_session=-0.2)
    g0, beta = -0.2, p.alliance_to_symptoms
    expected = [
        [p.alliance_ar + g0 * beta, p.symptoms_to_alliance + g0 * p.symptom_ar],
        [beta, p.symptom_ar],
    ]
    np.testing.assert_allclose(p.state_transition(), expected)
    assert p.state_transition([-0.1, 0.0, 0.1]).shape == (3, 2, 2)


def test_symptom_error_for_reliability():
    p = SimulationParameters()
    sd = p.symptom_error_for_reliability(0.91)
    true_var = p.bdi_sd**2 + p.symptom_state_sd**2
    assert true_var / (true_var + sd**2) == pytest.approx(0.91)
    assert p.symptom_error_for_reliability(1.0) == 0.0
    for bad in (0.0, 1.2, "0.9", True):
        with pytest.raises(ValueError, match="reliability"):
            p.symptom_error_for_reliability(bad)
