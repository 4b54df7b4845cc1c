"""The exact Nickell formula against its published approximation and a simulation."""

import numpy as np
import pytest

from book.estimation.nickell import nickell_bias


def test_literature_values():
    # ../shared/literature.md: rho = .3 gives about -.12 with 12 waves, -.23 with 7
    assert nickell_bias(0.3, 12) == pytest.approx(-0.12, abs=0.005)
    assert nickell_bias(0.3, 7) == pytest.approx(-0.23, abs=0.005)
    assert nickell_bias(0.3, 12, approximate=True) == pytest.approx(-0.13)


def test_approximation_improves_with_more_waves():
    gaps = [abs(nickell_bias(0.3, T) - nickell_bias(0.3, T, approximate=True)) for T in (5, 20, 80)]
    assert gaps[0] > gaps[1] > gaps[2]


def test_vectorised():
    out = nickell_bias(np.array([0.0, 0.3, 0.6]), 12)
    assert out.shape == (3,) and np.all(out < 0) and np.all(np.diff(out) < 0)


@pytest.mark.parametrize(("rho", "waves"), [(0.3, 12), (0.5, 6), (0.0, 4)])
def test_matches_simulation(rho, waves):
    """Within estimator on 40,000 simulated AR(1) patients (stationary start).

    The Monte Carlo SE of the pooled estimate is about sqrt((1 - rho^2) / (N (T - 1)))
    < 0.003 here; the tolerance of 0.01 allows for it and for the O(1/T^2) terms
    Nickell's large-N formula keeps.
    """
    rng = np.random.default_rng(1981)
    n = 40_000
    y = np.empty((n, waves))
    y[:, 0] = rng.standard_normal(n) / np.sqrt(1 - rho**2)
    for t in range(1, waves):
        y[:, t] = rho * y[:, t - 1] + rng.standard_normal(n)
    y = y + rng.normal(scale=2.0, size=(n, 1))  # patient intercepts
    x, z = y[:, :-1], y[:, 1:]
    xc = x - x.mean(axis=1, keepdims=True)
    zc = z - z.mean(axis=1, keepdims=True)
    estimate = (xc * zc).sum() / (xc * xc).sum()
    assert estimate - rho == pytest.approx(nickell_bias(rho, waves), abs=0.01)


@pytest.mark.parametrize(
    ("rho", "waves", "match"),
    [(1.0, 12, "rho"), (np.nan, 12, "rho"), (0.3, 2, "at least 3"), (0.3, 7.5, "integer")],
)
def test_bad_input(rho, waves, match):
    with pytest.raises(ValueError, match=match):
        nickell_bias(rho, waves)
