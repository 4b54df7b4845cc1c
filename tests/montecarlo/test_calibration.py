"""Calibration on the observed scale: the statistics, and the defaults reproducing the figures."""

import numpy as np
import pandas as pd
import pytest

from book.datasets.literature import observed_figures
from book.estimation.decomposition import icc
from book.montecarlo.calibration import (
    CALIBRATED,
    FIGURE_STATISTICS,
    STATISTICS,
    alliance_outcome_r,
    calibrate,
    calibration_table,
    riclpm_effects,
    session_icc,
)
from book.montecarlo.panels import simulate_panels
from book.montecarlo.store import load_results, results_info
from book.simulation.engine import simulate
from book.simulation.parameters import SimulationParameters
from book.simulation.worlds import world


def test_alliance_outcome_r_is_the_correlation_with_residual_change_by_hand():
    rng = np.random.default_rng(1)
    n, t = 60, 6
    bdi = rng.normal(25, 6, (n, t))
    alliance = rng.normal(4, 0.5, (n, t))
    bdi[:5, 3:] = np.nan  # five patients stop after session 3: their last report is session 3
    alliance[5:8, 2] = np.nan  # three have no session-3 alliance: left out
    r = alliance_outcome_r(bdi, alliance)
    keep = np.ones(n, bool)
    keep[5:8] = False
    last = np.where(np.isnan(bdi[:, -1]), bdi[:, 2], bdi[:, -1])
    # patients whose last report is not after session 3 are left out too
    keep[:5] = False
    first, early = bdi[keep, 0], alliance[keep, 2]
    slope, intercept = np.polyfit(first, last[keep], 1)
    residual = last[keep] - (intercept + slope * first)
    assert r == pytest.approx(np.corrcoef(early, -residual)[0, 1], abs=1e-12)


def test_alliance_outcome_r_checks_its_arguments():
    with pytest.raises(ValueError, match="same shape"):
        alliance_outcome_r(np.ones((3, 4)), np.ones((3, 5)))
    with pytest.raises(ValueError, match="sessions must run"):
        alliance_outcome_r(np.ones((3, 4)), np.ones((3, 4)), sessions=(3, 4))


def test_the_statistics_agree_one_study_and_many():
    panels = simulate_panels(None, 3, seed=5)
    many = alliance_outcome_r(panels.bdi, panels.alliance)
    one = [alliance_outcome_r(panels.bdi[r], panels.alliance[r]) for r in range(3)]
    assert np.allclose(many, one)
    assert session_icc(panels.long(0)) == pytest.approx(
        float(icc(panels.long(0), "alliance")["icc"].iloc[0])
    )


@pytest.mark.slow
def test_the_standardized_riclpm_effect_recovers_the_latent_effect_in_its_own_world():
    """With the error-free alliance in the RI-CLPM's own world, the within components are
    the simulation's standardized states, so the standardized effect is alliance_to_symptoms.
    One study of 4,000 patients: its SE is about 0.01."""
    params = world("riclpm", n_therapists=500)
    study = simulate(params, seed=3)
    from book.montecarlo.panels import error_free_alliance

    effects = riclpm_effects(error_free_alliance(study))
    assert effects["riclpm_standardized"] == pytest.approx(params.alliance_to_symptoms, abs=0.03)


def test_every_published_figure_has_a_statistic_and_every_calibrated_parameter_a_figure():
    figures = observed_figures()
    assert set(FIGURE_STATISTICS) == set(figures.index)
    statistics = {t for e in STATISTICS.values() for t in e.terms}
    assert set(FIGURE_STATISTICS.values()) <= statistics
    assert set(CALIBRATED.values()) <= set(figures.index)
    assert set(CALIBRATED) <= set(SimulationParameters().to_dict())


def test_the_defaults_reproduce_the_published_figures():
    """The calibration table of the results store: each calibrated figure within its
    tolerance plus three Monte Carlo SEs, each check inside the source's 95% interval."""
    table = calibration_table(load_results("calibration"))
    assert len(table) == len(observed_figures())
    assert table["agrees"].all(), table[~table["agrees"]].to_string()
    info = results_info("calibration")
    if info.get("replication_scale", 1.0) * info.get("slow_replication_scale", 1.0) == 1:
        assert (table["n_reps"] >= 200).all()  # a reduced store records its share instead


def test_calibration_table_flags_a_statistic_that_misses():
    stored = load_results("calibration")
    off = stored.assign(mean=np.where(stored["statistic"] == "session_icc", 0.6, stored["mean"]))
    table = calibration_table(off).set_index("quantity")
    assert not table.loc["session_icc", "agrees"]
    assert table.loc["alliance_outcome_r", "agrees"]


@pytest.mark.slow
def test_calibrate_finds_the_default_state_sd_again():
    """Bisection over 200 studies per step, common random numbers: the ICC's Monte Carlo
    SE is about .002, which moves state_sd by about .005 (the ICC changes by about
    .0004 per .001 of state_sd)."""
    value, steps = calibrate("state_sd", low=0.12, high=0.19, n_reps=200, seed=11, n_jobs=1)
    assert value == pytest.approx(SimulationParameters().state_sd, abs=0.012)
    assert isinstance(steps, pd.DataFrame) and len(steps) >= 1


def test_calibrate_refuses_bounds_that_miss_the_figure():
    with pytest.raises(ValueError, match="not between"):
        calibrate("state_sd", low=0.5, high=0.6, n_reps=20, seed=1, n_jobs=1)
    with pytest.raises(ValueError, match="parameter must be one of"):
        calibrate("trait_sd", low=0.5, high=0.6, n_reps=20, seed=1)
