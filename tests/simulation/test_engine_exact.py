"""The engine's fast paths give the same numbers, to the last bit, as their plain formulas.

The simulator's internals are written for speed (blocks, in-place arithmetic,
fewer temporaries); a seed must still give byte-identical data. Each test
here holds one fast internal against the plain numpy formula it replaces, on
several designs and seeds, and asks for exact equality (``array_equal``, not
a tolerance).
"""

import numpy as np
import pytest

from book.simulation import engine
from book.simulation.parameters import SimulationParameters
from book.simulation.study import WAI_SUBSCALES

DESIGNS = {
    "default": SimulationParameters(),
    "three sessions": SimulationParameters(n_sessions=3, n_therapists=2),
    "forty sessions": SimulationParameters(n_sessions=40, n_therapists=3),
    "noisy items": SimulationParameters(item_error_sd=3.0, subscale_sd=2.0),
    "same-session effect": SimulationParameters(symptoms_to_alliance_same_session=-0.2),
    "no state": SimulationParameters(state_sd=0.0),
    "many ruptures": SimulationParameters(rupture_rate=0.6, unrepaired_persistence=0.8),
}


def plain_wai_items(p, alliance, rng):
    """The item responses in one draw, as first written."""
    n, T = alliance.shape
    profile = p.subscale_sd * rng.standard_normal((n, 3))
    profile -= profile.mean(axis=1, keepdims=True)
    subscale_of_item = np.empty(12, dtype=int)
    for g, items in enumerate(WAI_SUBSCALES.values()):
        subscale_of_item[np.array(items) - 1] = g
    raw = rng.standard_normal((n, T, 12), dtype=np.float32)
    raw *= p.item_error_sd
    level = (alliance[:, :, None] + profile[:, None, :]).astype(np.float32)
    raw += level[:, :, subscale_of_item]
    return np.clip(np.rint(raw), 1, 5).astype(np.int8)


def plain_innovation_variances(p, beta):
    """Innovation variances from the full inverse of ``I - Phi kron Phi``."""
    n = beta.shape[0]
    phi = p.state_transition(beta)
    kron = np.einsum("nij,nkl->nikjl", phi, phi).reshape(n, 4, 4)
    m = np.linalg.inv(np.eye(4)[None] - kron)
    g0 = p.symptoms_to_alliance_same_session

    def per_q_s(row):
        coef = m[:, row, 3]
        if g0:
            coef = coef + g0 * (m[:, row, 1] + m[:, row, 2]) + g0**2 * m[:, row, 0]
        return coef

    a = np.stack([m[:, 0, 0], per_q_s(0), m[:, 3, 0], per_q_s(3)], axis=1).reshape(n, 2, 2)
    q = np.linalg.solve(a, np.ones((n, 2, 1)))[..., 0]
    cov01 = m[:, 1, 0] * q[:, 0] + per_q_s(1) * q[:, 1]
    return phi, q, cov01


def plain_dynamics(p, people, drop, rng):
    """The cross-lagged recursion in whole-array expressions."""
    n, T = len(people["iip_z"]), p.n_sessions
    phi, q, cov01 = plain_innovation_variances(p, people["beta_std"])
    a = np.empty((T + 1, n))
    s = np.empty((T + 1, n))
    z0 = rng.standard_normal((n, 2))
    a[0] = z0[:, 0]
    s[0] = cov01 * z0[:, 0] + np.sqrt(1 - cov01**2) * z0[:, 1]
    shocks = rng.standard_normal((n, T, 2)) * np.sqrt(q)[:, None, :]
    shocks = np.ascontiguousarray(shocks.transpose(1, 2, 0))
    drop_std = np.zeros((T + 1, n))
    drop_std[1:] = (drop / p.state_sd).T if p.state_sd > 0 else 0.0
    beta = phi[:, 1, 0]
    g0 = p.symptoms_to_alliance_same_session
    for t in range(1, T + 1):
        s[t] = beta * (a[t - 1] + drop_std[t - 1]) + p.symptom_ar * s[t - 1] + shocks[t - 1, 1]
        a[t] = p.alliance_ar * a[t - 1] + p.symptoms_to_alliance * s[t - 1] + shocks[t - 1, 0]
        if g0:
            a[t] += g0 * s[t]
    return {"a": a.T.copy(), "s": s.T.copy()}


def _arrays(p, seed):
    return engine.simulate_arrays(p, seed=seed)


@pytest.mark.parametrize("name", DESIGNS)
@pytest.mark.parametrize("seed", [0, 1, 2022])
def test_wai_items_equal_plain_formula(name, seed):
    p = DESIGNS[name]
    alliance = _arrays(p, seed).latent["alliance"]
    fast = engine._wai_items(p, alliance, np.random.default_rng(seed))
    plain = plain_wai_items(p, alliance, np.random.default_rng(seed))
    assert fast.dtype == plain.dtype and np.array_equal(fast, plain)


def test_wai_items_in_blocks_equal_plain_formula():
    """A study larger than one block of item noise (many blocks, the last one short)."""
    p = SimulationParameters(n_therapists=97, patients_per_therapist=9, n_sessions=13)
    alliance = _arrays(p, 5).latent["alliance"]
    fast = engine._wai_items(p, alliance, np.random.default_rng(5))
    assert np.array_equal(fast, plain_wai_items(p, alliance, np.random.default_rng(5)))


def test_item_totals_equal_sum_of_items():
    rng = np.random.default_rng(3)
    items = rng.integers(1, 6, size=(300, 11, 12), dtype=np.int8)
    items[0, 0] = 5  # the largest total
    items[0, 1] = 1  # the smallest
    totals = engine._item_totals(items)
    assert totals.dtype == np.int64
    assert np.array_equal(totals, items.sum(axis=2, dtype=np.int64))
    assert totals[0, 0] == 60 and totals[0, 1] == 12


@pytest.mark.parametrize("name", DESIGNS)
def test_innovation_variances_equal_full_inverse(name):
    p = DESIGNS[name]
    # patients' effects spread well beyond the defaults' range
    beta = np.random.default_rng(11).uniform(-0.8, 0.8, 20_000)
    for fast, plain in zip(
        engine._innovation_variances(p, beta), plain_innovation_variances(p, beta), strict=True
    ):
        assert np.array_equal(fast, plain)


@pytest.mark.parametrize("name", DESIGNS)
@pytest.mark.parametrize("seed", [0, 7])
def test_dynamics_equal_plain_recursion(name, seed):
    p = DESIGNS[name]
    arrays = _arrays(p, seed)
    drop = arrays.ruptures["drop"]
    fast = engine._dynamics(p, arrays.people, drop, np.random.default_rng(seed))
    plain = plain_dynamics(p, arrays.people, drop, np.random.default_rng(seed))
    for key in ("a", "s"):
        assert np.array_equal(fast[key], plain[key])
