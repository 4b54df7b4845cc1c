"""The named worlds: documented, valid, and what their descriptions claim."""

import dataclasses

import numpy as np
import pytest

from book.estimation.riclpm import fit_riclpm
from book.montecarlo import RICLPM_TERMS, error_free_alliance
from book.simulation.engine import simulate, simulate_arrays, true_effects
from book.simulation.parameters import SimulationParameters
from book.simulation.worlds import BDI_II_ALPHA, WORLDS, describe_worlds, world

DEFAULTS = SimulationParameters()
BIG = {"n_therapists": 500, "patients_per_therapist": 40}


def test_the_review_is_the_default_world():
    assert next(iter(WORLDS)) == "review"
    assert world("review") == DEFAULTS
    assert dict(WORLDS["review"].changes) == {}


@pytest.mark.parametrize("name", list(WORLDS))
def test_each_world_is_documented_and_differs_only_as_declared(name):
    w = WORLDS[name]
    assert w.name == name
    for text in (w.title, w.description, w.referees):
        assert isinstance(text, str) and len(text) > 10
    params = world(name)
    differs = {k for k, v in params.to_dict().items() if v != getattr(DEFAULTS, k)}
    assert differs == set(w.changes), f"{name}: declared {set(w.changes)}, differs in {differs}"
    study = simulate(world(name, n_therapists=4), seed=1)  # every world simulates
    assert len(study.patients) == 32


def test_describe_worlds_table():
    table = describe_worlds()
    assert list(table.columns) == ["world", "title", "description", "referees", "changes"]
    assert list(table["world"]) == list(WORLDS)
    assert table["title"].is_unique and table["referees"].is_unique
    assert table.loc[0, "changes"] == "none (the defaults)"
    row = table.set_index("world").loc["riclpm"]
    assert "symptom_error_sd = 0.0" in row["changes"]


def test_world_arguments_are_checked():
    with pytest.raises(ValueError, match=r"world must be one of \['review', .*got 'reviews'"):
        world("reviews")
    with pytest.raises(ValueError, match="state_sd = -1"):
        world("riclpm", state_sd=-1.0)
    with pytest.raises(TypeError):
        WORLDS["riclpm"].changes["rupture_rate"] = 0.1
    with pytest.raises(dataclasses.FrozenInstanceError):
        WORLDS["riclpm"].name = "other"


def test_effects_in_each_world():
    """The true effects the estimators are checked against, world by world."""
    none = {"alliance_within": 0.0, "alliance_within:iip_c": 0.0}
    for name in ("trait_only", "growth_causal", "symptoms_drive_alliance"):
        effects = true_effects(world(name))
        assert {k: effects[k] for k in none} == none, name
    assert true_effects(world("trait_only"))["bdi_within"] == 0.0
    assert true_effects(world("no_feedback"))["bdi_within"] == 0.0
    assert true_effects(world("no_feedback"))["alliance_within"] == pytest.approx(
        true_effects(world("review"))["alliance_within"]
    )
    reverse = world("symptoms_drive_alliance")
    assert reverse.symptoms_to_alliance < 0 and reverse.symptoms_to_alliance_same_session < 0


def test_riclpm_world_is_a_var_around_person_levels():
    arrays = simulate_arrays(world("riclpm"), seed=3)
    assert not arrays.ruptures["occurs"].any()
    assert np.ptp(arrays.people["slope"]) == 0.0  # one common symptom course
    assert np.ptp(arrays.people["beta_std"]) == 0.0  # the same lagged effects for all
    assert not arrays.people["growth"].any()


def test_the_bdi_ii_has_its_published_reliability():
    """Intake BDI-II scores have reliability .91 between patients (Beck et al. 1996).

    Reliability = var(true) / var(observed). By the delta method its SE is about
    2 r (1 - r) / sqrt(n) from the two variances, times sqrt(2) for their sample
    covariance (a generous bound); whole-point rounding costs under .001.
    """
    arrays = simulate_arrays(world("review", **BIG), seed=4)
    true = arrays.latent["symptoms"][:, 0]
    observed = np.clip(np.rint(true + arrays.latent["symptom_error"][:, 0]), 0, 63)
    reliability = true.var() / observed.var()
    r, n = BDI_II_ALPHA, len(true)
    assert abs(reliability - r) < 4 * np.sqrt(2) * 2 * r * (1 - r) / np.sqrt(n), reliability


def test_growth_world_share_of_improvement():
    p = world("growth_causal")
    arrays = simulate_arrays(world("growth_causal", **BIG), seed=5)
    r = np.corrcoef(arrays.people["growth"], arrays.people["slope"])[0, 1]
    n = len(arrays.people["growth"])
    w = p.growth_improvement_correlation()
    assert abs(r - w) < 4 * (1 - w**2) / np.sqrt(n - 1)
    assert f"{w**2:.0%}" in WORLDS["growth_causal"].description


@pytest.mark.parametrize("name", ["dropout_at_random", "dropout_not_at_random"])
def test_dropout_worlds_lose_about_as_many_patients_as_the_review(name):
    """'about as many drop out as in the review's world': within 2 percentage points."""
    T = DEFAULTS.n_sessions
    review = (simulate_arrays(world("review", **BIG), seed=6).attendance["last"] < T).mean()
    other = (simulate_arrays(world(name, **BIG), seed=6).attendance["last"] < T).mean()
    assert abs(other - review) < 0.02, f"{name}: {other:.3f} dropped out vs {review:.3f}"


def test_riclpm_recovers_its_own_world_with_the_error_free_alliance():
    """What the riclpm world claims: with the error-free alliance the RI-CLPM's model holds,
    so it recovers every lagged effect (4 SE, 2,000 complete patients)."""
    p = world(
        "riclpm", n_therapists=250, dropout_hazard=0.0, missing_alliance=0.0, missing_symptoms=0.0
    )
    fit = fit_riclpm(error_free_alliance(simulate(p, seed=77)))
    truth = true_effects(p)
    for row in fit.estimates.itertuples():
        assert abs(row.estimate - truth[RICLPM_TERMS[row.term]]) < 4 * row.std_error, row
