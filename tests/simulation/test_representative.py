"""The canonical study's seed is chosen by the documented rule, from data-generating quantities."""

import numpy as np
import pytest

from book.simulation.engine import CANONICAL_SEED, simulate
from book.simulation.representative import (
    SEED_STATISTICS,
    representative_seed,
    seed_statistics,
    seed_table,
)


def test_seed_statistics_are_those_of_the_studys_ground_truth():
    study = simulate(seed=7)
    stats = seed_statistics(seed=7)
    assert set(stats) == set(SEED_STATISTICS)
    truth = study.truth.patients
    assert stats["trait_sd"] == pytest.approx(truth["trait_alliance"].std())
    assert stats["r_trait_iip"] == pytest.approx(truth["trait_alliance"].corr(truth["iip_z"]))
    assert stats["r_trait_improvement"] == pytest.approx(
        truth["trait_alliance"].corr(-truth["symptom_slope"])
    )
    assert stats["dropout_rate"] == pytest.approx(study.patients["dropped_out"].mean())
    ruptures = study.truth.ruptures
    planned = len(study.patients) * (study.truth.params.n_sessions - 1)
    assert stats["rupture_rate"] == pytest.approx(len(ruptures) / planned)
    assert stats["repair_rate"] == pytest.approx(ruptures["repaired"].mean())


def test_the_distance_is_mahalanobis_from_the_average_of_the_candidates():
    table = seed_table(n_candidates=40)
    x = table[list(SEED_STATISTICS)].to_numpy()
    d = x - x.mean(axis=0)
    expected = np.sqrt(np.sum(d @ np.linalg.inv(np.cov(x, rowvar=False)) * d, axis=1))
    assert np.allclose(table["distance"], expected)


@pytest.mark.slow
def test_the_rule_picks_the_canonical_seed():
    """The rule over the first 1,000 seeds (about 15 seconds)."""
    assert representative_seed() == CANONICAL_SEED
