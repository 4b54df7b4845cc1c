"""SimulationParameters rejects impossible values with errors that say what is allowed."""

import dataclasses
import math

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
