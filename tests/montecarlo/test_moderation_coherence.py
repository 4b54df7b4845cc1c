"""The moderation chapter tells one story: its explorer, its simple slopes and its power.

- The explorer starts at the simple slope at the sample mean of IIP (not at the
  slider step next to it), so "a patient of average IIP" is one number.
- ``moderation_power`` fits the chapter's model to the studies its docstring
  promises, and the claims the chapter draws from it hold beyond Monte Carlo
  error: detrending recovers more of the interaction and detects it more often;
  the multilevel model's standard errors are not too small.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from book.datasets.canonical import load_study
from book.estimation.moderation import MULTILEVEL_ESTIMATORS, moderation_power, simple_slopes
from book.estimation.multilevel import fit_lagged_model
from book.montecarlo.runner import simulate_panels
from book.simulation.parameters import SimulationParameters
from book.widgets.moderation import moderation_explorer

CHAPTER = Path(__file__).resolve().parents[2] / "chapters" / "moderation.ipynb"


@pytest.fixture(scope="module")
def fit():
    return fit_lagged_model(load_study(), detrend=True)


def test_explorer_starts_at_the_simple_slope_at_the_mean(fit):
    explorer = moderation_explorer(fit)
    at_mean = simple_slopes(fit).set_index("label").loc["mean"]
    assert explorer.iip == fit.centering["iip"] == pytest.approx(at_mean["iip"])
    assert explorer.slope == pytest.approx(at_mean["slope"], abs=1e-12)
    assert explorer.ci_low == pytest.approx(at_mean["ci_low"], abs=1e-12)
    assert f"IIP {at_mean['iip']:.2f}" in explorer.describe()
    # a chosen start is kept as given (within the range), not rounded to the slider step
    assert moderation_explorer(fit, iip=2.013).iip == pytest.approx(2.013)
    with pytest.raises(ValueError, match="iip must be a finite number"):
        moderation_explorer(fit, iip=float("nan"))


def _glued(path: Path) -> dict[str, float]:
    values = {}
    for cell in json.loads(path.read_text())["cells"]:
        for out in cell.get("outputs", []):
            name = out.get("metadata", {}).get("scrapbook", {}).get("name")
            if name is not None:
                text = out["data"].get("application/papermill.record/text/plain")
                try:
                    values[name] = float(text)
                except (TypeError, ValueError):
                    pass
    return values


def test_the_chapter_quotes_one_effect_at_average_iip():
    glued = _glued(CHAPTER)
    assert glued["mx_iip"] == pytest.approx(glued["iip_mean"], abs=1e-12)
    assert glued["mx_slope"] == pytest.approx(glued["slope_mid"], abs=1e-12)


def _panels(n_patients: int, n_reps: int, seed: int):
    """The studies moderation_power promises: SeedSequence(seed, spawn_key=(n,))."""
    p = SimulationParameters().replace(n_therapists=n_patients // 8)
    state = np.random.SeedSequence(seed, spawn_key=(n_patients,)).generate_state(2, np.uint32)
    return p, simulate_panels(p, n_reps, seed=int(state[0]) << 32 | int(state[1]))


def test_multilevel_rows_are_the_chapters_model_on_the_promised_studies():
    table = moderation_power(
        80, n_reps=3, seed=4, estimators=["multilevel_detrended_iip", "multilevel_iip"]
    ).set_index("estimator")
    p, panels = _panels(80, 3, 4)
    for name, detrend in MULTILEVEL_ESTIMATORS.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            direct = [
                fit_lagged_model(panels.long(r), detrend=detrend).coef("alliance_within:iip_c")
                for r in range(3)
            ]
        # per SD of IIP: the estimate per IIP point times the population SD
        assert table.loc[name, "mean_estimate"] == pytest.approx(np.mean(direct) * p.iip_sd)
        assert table.loc[name, "truth"] == pytest.approx(
            SimulationParameters().alliance_to_symptoms_iip * p.symptom_state_sd / p.state_sd
        )


def test_a_size_gets_the_same_studies_whatever_else_is_asked():
    alone = moderation_power(120, n_reps=20, seed=9, estimators="within_iip")
    both = moderation_power(
        (40, 120), n_reps=20, seed=9, estimators=["within_detrended_iip", "within_iip"]
    )
    row = both[(both.n_patients == 120) & (both.estimator == "within_iip")].iloc[0]
    assert row["mean_estimate"] == alone["mean_estimate"].iloc[0]
    other = moderation_power(120, n_reps=20, seed=10, estimators="within_iip")
    assert other["mean_estimate"].iloc[0] != alone["mean_estimate"].iloc[0]


def test_detrending_recovers_more_of_the_interaction_and_finds_it_more_often():
    """The chapter's explanation of its gap to the design chapter.

    400 studies of 240 patients: the SD of an estimate is about 0.26 against a
    truth of -0.93, so the Monte Carlo SE of each share recovered is about
    0.28 / sqrt(400) = 0.014 and of a power below 0.025. The chapter reports a
    gap of about 0.2 in recovery and 0.3 in power; the thresholds (0.1 and 0.15)
    sit more than four Monte Carlo SEs of the difference below those.
    """
    table = moderation_power(
        240, n_reps=400, seed=2024, estimators=["within_detrended_iip", "within_iip"]
    ).set_index("estimator")
    detrended, raw = table.loc["within_detrended_iip"], table.loc["within_iip"]
    assert detrended["recovered"] - raw["recovered"] > 0.1
    assert detrended["power"] - raw["power"] > 0.15
    # both attenuated: neither recovers the whole interaction
    assert detrended["recovered"] + 3 * detrended["bias_mcse"] / 0.93 < 1


def test_multilevel_standard_errors_are_not_too_small():
    """The chapter: the intervals under-cover because of attenuation, not small SEs.

    60 studies: the empirical SD has a relative Monte Carlo SE of about
    1 / sqrt(2 * 59) = 0.09, so a ratio of model SE to empirical SD below 0.8
    (more than two such SEs under 1) would contradict the chapter.
    """
    row = moderation_power(240, n_reps=60, seed=77, estimators="multilevel_detrended_iip").iloc[0]
    assert row["n_reps"] == 60
    assert row["model_se"] / row["emp_se"] > 0.8
    assert 0 <= row["singular"] <= 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_patients": 4}, "n_patients must be whole numbers"),
        ({"n_patients": (240, 241)}, "the same study size twice"),
        ({"n_reps": 1}, "n_reps must be an integer of at least 2"),
        ({"seed": -1}, "seed must be a non-negative integer"),
        ({"estimators": "mixedlm"}, "estimators must be distinct names"),
        ({"estimators": ["within_iip", "within_iip"]}, "estimators must be distinct names"),
    ],
)
def test_moderation_power_checks_its_arguments(kwargs, message):
    args = {"n_patients": 240, "n_reps": 5, "seed": 1, "estimators": "within_iip", **kwargs}
    with pytest.raises(ValueError, match=message):
        moderation_power(**args)
    with pytest.raises(TypeError, match="params must be a SimulationParameters"):
        moderation_power(240, n_reps=5, seed=1, params={"n_sessions": 8})
