"""Many replications as one study: exactly the simulator's numbers, observed or error-free."""

import numpy as np
import pytest

from book.estimation.within import panel_arrays
from book.montecarlo.designs import design_key
from book.montecarlo.panels import Panels, chunk_seed, error_free_alliance, simulate_panels
from book.simulation.engine import simulate
from book.simulation.parameters import SimulationParameters


def test_panels_are_exactly_the_simulated_study():
    p = SimulationParameters(n_therapists=5, n_sessions=8)
    panels = simulate_panels(p, 4, seed=123)
    study = simulate(p.replace(n_therapists=20), seed=123)
    _, arrays = panel_arrays(study.long(), ["bdi", "alliance"])
    shape = panels.bdi.shape
    assert shape == (4, 40, 8)
    np.testing.assert_array_equal(arrays["bdi"].reshape(shape), panels.bdi)
    np.testing.assert_array_equal(arrays["alliance"].reshape(shape), panels.alliance)
    np.testing.assert_array_equal(study.patients["iip"].to_numpy().reshape(4, 40), panels.iip)


def test_one_replication_in_long_format():
    p = SimulationParameters(n_therapists=5, n_sessions=8)
    panels = simulate_panels(p, 3, seed=4)
    study = simulate(p.replace(n_therapists=15), seed=4).long()
    block = study[study["patient_id"].between(41, 80)].copy()  # replication 1
    block["patient_id"] -= 40
    block = block[block["bdi"].notna() | block["alliance"].notna()]
    ours = panels.long(1)
    np.testing.assert_array_equal(ours["patient_id"], block["patient_id"])
    np.testing.assert_array_equal(ours["session"], block["session"])
    np.testing.assert_array_equal(ours["bdi"], block["bdi"].astype(float))
    np.testing.assert_array_equal(ours["alliance"], block["alliance"])
    np.testing.assert_array_equal(ours["iip"], block["iip"])
    with pytest.raises(ValueError, match="replication must be in 0..2"):
        panels.long(3)


def test_error_free_panels_are_error_free_alliance_of_the_same_study():
    p = SimulationParameters(n_therapists=5, n_sessions=8)
    clean = simulate_panels(p, 2, seed=6).error_free()
    study = simulate(p.replace(n_therapists=10), seed=6)
    expected = error_free_alliance(study)
    block = expected[expected["patient_id"] <= 40]  # replication 0
    ours = clean.long(0)
    merged = ours.merge(block, on=["patient_id", "session"], suffixes=("", "_study"))
    assert len(merged) == len(ours)
    np.testing.assert_array_equal(merged["alliance"], merged["alliance_study"])
    # the same questionnaires missing; the latent value is not the observed one
    observed = simulate_panels(p, 2, seed=6)
    assert np.array_equal(np.isnan(clean.alliance), np.isnan(observed.alliance))
    assert not np.allclose(clean.alliance[np.isfinite(clean.alliance)], 0)
    assert np.nanmax(np.abs(clean.alliance - observed.alliance)) > 0.1


def test_a_chunk_of_one_is_a_simulated_study():
    """chunk_seed names SeedSequence(seed, spawn_key=(design_key(params), chunk))."""
    p = SimulationParameters(n_therapists=4, n_sessions=6)
    seed = chunk_seed(11, p, 2)
    words = np.random.SeedSequence(11, spawn_key=(design_key(p), 2)).generate_state(4, np.uint32)
    assert seed == sum(int(w) << (32 * i) for i, w in enumerate(words))
    from_study = Panels.from_study(simulate(p, seed=seed))
    direct = simulate_panels(p, 1, seed=seed)
    for name in ("bdi", "alliance", "iip", "alliance_latent"):
        np.testing.assert_array_equal(getattr(from_study, name), getattr(direct, name))


def test_the_first_patients_and_sessions_are_a_smaller_study():
    p = SimulationParameters(n_therapists=5, n_sessions=8)
    panels = simulate_panels(p, 2, seed=1)
    small = panels.first(16, 4)
    assert small.bdi.shape == (2, 16, 4) and small.params.n_patients == 16
    assert small.params.n_sessions == 4
    np.testing.assert_array_equal(small.alliance, panels.alliance[:, :16, :4])
    for n, t in ((15, 4), (48, 4), (16, 2), (16, 9)):
        with pytest.raises(ValueError, match="a smaller design needs whole therapists"):
            panels.first(n, t)


def test_bad_arguments():
    with pytest.raises(ValueError, match="n_reps must be an integer of at least 1"):
        simulate_panels(None, 0, seed=1)
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        simulate_panels(None, 1, seed=-2)
    with pytest.raises(TypeError, match="params must be a book.simulation.SimulationParameters"):
        simulate_panels({"n_sessions": 6}, 1, seed=1)
    with pytest.raises(ValueError, match="needs a simulated Study"):
        error_free_alliance("a study")
