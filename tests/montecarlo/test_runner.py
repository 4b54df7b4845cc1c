"""The one Monte Carlo runner: faithful to the simulator, reproducible, and right about theory."""

import joblib
import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from book.estimation.multilevel import fit_lagged_model
from book.estimation.nickell import nickell_bias
from book.estimation.riclpm import fit_riclpm
from book.estimation.within import within_regression
from book.montecarlo.designs import autoregression_only, design_grid
from book.montecarlo.panels import chunk_seed, simulate_panels
from book.montecarlo.runner import replicate_designs, run_design_study
from book.montecarlo.summary import summarize_replications
from book.simulation.engine import simulate, true_effects
from book.simulation.parameters import SimulationParameters

# No alliance -> symptoms or symptoms -> alliance effect at all
NO_EFFECT = {
    "alliance_to_symptoms": 0.0,
    "alliance_to_symptoms_iip": 0.0,
    "alliance_to_symptoms_sd": 0.0,
    "symptoms_to_alliance": 0.0,
}


# --------------------------------------------------------------------------
# faithful to the simulator, and reproducible


def test_each_chunk_is_its_documented_simulation():
    """Chunk c of a design is simulate_panels(params, n, seed=chunk_seed(seed, params, c))."""
    reps = replicate_designs(
        [{"n_sessions": 5}], n_reps=7, estimators="within", seed=3, chunk_size=4
    )
    params = SimulationParameters(n_sessions=5)
    second = simulate_panels(params, 3, seed=chunk_seed(3, params, 1))  # replications 4, 5, 6
    expected = within_regression(second.bdi, second.alliance).estimate[:, 1]
    got = reps.query("term == 'alliance_within' and replication >= 4")["estimate"]
    np.testing.assert_array_equal(got, expected)
    assert reps.attrs["run"]["seed"] == 3 and reps.attrs["run"]["chunk_size"] == 4


def test_same_seed_same_table_with_one_or_two_workers():
    designs = design_grid(n_patients=[40, 80], n_sessions=[5, 8])
    args = {"n_reps": 30, "seed": 11, "chunk_size": 8}
    serial = run_design_study(designs, n_jobs=1, **args)
    parallel = run_design_study(designs, n_jobs=2, backend="loky", **args)
    pd.testing.assert_frame_equal(serial, parallel)
    other = run_design_study(designs, n_jobs=1, **{**args, "seed": 12})
    assert not np.allclose(serial["mean_estimate"], other["mean_estimate"])


def test_a_designs_replications_depend_on_the_design_alone():
    """Not on its position, the other designs or the estimators asked for."""
    alone = replicate_designs({"n_therapists": 15}, n_reps=20, estimators="within_iip", seed=9)
    other = replicate_designs(
        [{"n_sessions": 6}, {"n_therapists": 15}],
        n_reps=20,
        estimators=["within_detrended_iip", "within_iip"],
        seed=9,
    )
    mine = other.query("design == 1 and estimator == 'within_iip'")
    np.testing.assert_array_equal(mine["estimate"], alone["estimate"])
    # two designs of one call are independent
    twice = replicate_designs([{"n_sessions": 6}, {"n_sessions": 7}], n_reps=5, seed=9)
    a, b = (twice.query(f"design == {d} and term == 'alliance_within'") for d in (0, 1))
    assert not np.allclose(a["estimate"], b["estimate"])


def test_progress_bar_reports_tasks_and_changes_nothing(capsys, monkeypatch):
    args = {"n_reps": 12, "estimators": "within", "seed": 2, "chunk_size": 4}
    quiet = run_design_study([{"n_sessions": 5}], progress=False, **args)
    loud = run_design_study([{"n_sessions": 5}], progress=True, **args)
    pd.testing.assert_frame_equal(quiet, loud)
    assert "3/3" in capsys.readouterr().err  # three chunks of four replications
    # automatic: no bar for a run this short, nor with TQDM_DISABLE set
    run_design_study([{"n_sessions": 5}], **args)
    assert capsys.readouterr().err == ""
    monkeypatch.setenv("TQDM_DISABLE", "1")
    run_design_study([{"n_sessions": 5}], **args)
    assert capsys.readouterr().err == ""


def test_dask_cluster_gives_the_serial_table():
    """The same call under joblib's Dask backend, on a local in-process cluster."""
    distributed = pytest.importorskip("dask.distributed")
    designs = [{"n_sessions": 6}, {"n_therapists": 10}]
    args = {"n_reps": 40, "seed": 5, "chunk_size": 10}
    serial = run_design_study(designs, **args)
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    )
    with cluster, distributed.Client(cluster):
        with joblib.parallel_config(backend="dask"):
            on_dask = run_design_study(designs, **args)
        by_argument = run_design_study(designs, backend="dask", **args)
    pd.testing.assert_frame_equal(serial, on_dask)
    pd.testing.assert_frame_equal(serial, by_argument)


def test_the_multilevel_model_sees_the_same_replications_in_parallel():
    """One fit per replication: the same results with 1 or 2 workers, on Panels.long."""
    design = SimulationParameters(n_therapists=10, n_sessions=6)
    args = {"n_reps": 4, "estimators": ["within", "multilevel"], "seed": 9, "chunk_size": 4}
    serial = replicate_designs(design, n_jobs=1, **args)
    parallel = replicate_designs(design, n_jobs=2, **args)
    pd.testing.assert_frame_equal(serial, parallel)
    panels = simulate_panels(design, 4, seed=chunk_seed(9, design, 0))
    direct = fit_lagged_model(panels.long(2)).fixed_effects.set_index("term")
    row = serial.query("estimator == 'multilevel' and replication == 2").set_index("term")
    np.testing.assert_array_equal(row["estimate"], direct.loc[row.index, "estimate"])
    np.testing.assert_array_equal(row["std_error"], direct.loc[row.index, "std_error"])
    assert set(row["singular"]) <= {0.0, 1.0}
    assert serial.query("estimator == 'within'")["singular"].isna().all()


def test_riclpm_in_the_slow_path_is_parallel_and_is_fit_riclpm():
    """RI-CLPM fits, one per replication: the same with 1 or 2 workers, and fit_riclpm's numbers.

    Exact equality: the estimator fits with one BLAS thread in the main process
    and in the workers alike (with the main process's two threads the
    optimiser stops up to 1e-4 away, and the tables would depend on n_jobs).
    The direct fit below runs under the same limit.
    """
    design = SimulationParameters(n_therapists=6, n_sessions=4)  # small: fast fits
    args = {"n_reps": 4, "estimators": ["within", "riclpm"], "seed": 9, "chunk_size": 4}
    serial = replicate_designs(design, n_jobs=1, **args)
    parallel = replicate_designs(design, n_jobs=2, backend="loky", **args)
    pd.testing.assert_frame_equal(serial, parallel, check_exact=True)
    rows = serial[serial["estimator"] == "riclpm"]
    assert rows["replication"].tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
    assert np.isfinite(rows["estimate"]).all() and (rows["std_error"] > 0).all()
    truth = true_effects(design)
    assert rows["truth"].tolist() == [truth["bdi_c"], truth["alliance_within"]] * 4
    panels = simulate_panels(design, 4, seed=chunk_seed(9, design, 0))
    for r in range(4):
        with threadpool_limits(limits=1):
            fit = fit_riclpm(panels.long(r)).estimates.set_index("term")
        direct = fit.loc[["symptoms_ar", "alliance_to_symptoms"]]
        row = rows[rows["replication"] == r]
        assert row["term"].tolist() == ["bdi_c", "alliance_within"]
        np.testing.assert_array_equal(row["estimate"], direct["estimate"])


def test_the_error_free_alliance_on_the_same_replications():
    design = SimulationParameters(n_therapists=10, n_sessions=6)
    args = {"n_reps": 5, "estimators": "within", "seed": 4}
    observed = replicate_designs(design, **args)
    latent = replicate_designs(design, alliance="latent", **args)
    assert set(observed["alliance"]) == {"observed"} and set(latent["alliance"]) == {"latent"}
    panels = simulate_panels(design, 5, seed=chunk_seed(4, design, 0))
    clean = panels.error_free()
    expected = within_regression(clean.bdi, clean.alliance).estimate.reshape(-1)
    np.testing.assert_array_equal(latent["estimate"], expected)
    assert not np.allclose(observed["estimate"], latent["estimate"])
    # the summary of both keeps them apart
    summary = summarize_replications(pd.concat([observed, latent]))
    assert summary["alliance"].tolist() == ["observed"] * 2 + ["latent"] * 2


def test_estimators_of_whole_studies_get_one_study_per_replication():
    """Replication r is simulate(params, seed=chunk_seed(seed, params, r)), for every estimator."""

    def mean_alliance(study):
        return {"mean alliance": study.sessions["alliance"].mean()}

    design = SimulationParameters(n_therapists=4, n_sessions=5)
    reps = replicate_designs(design, n_reps=3, estimators=[mean_alliance, "within"], seed=8)
    for r in range(3):
        study = simulate(design, seed=chunk_seed(8, design, r))
        row = reps.query(f"estimator == 'mean_alliance' and replication == {r}")
        assert row["estimate"].iloc[0] == pytest.approx(study.sessions["alliance"].mean())
        assert np.isnan(row["truth"].iloc[0])
    with pytest.raises(ValueError, match="chunk_size must be 1"):
        replicate_designs(design, n_reps=3, estimators=mean_alliance, seed=8, chunk_size=2)
    with pytest.raises(ValueError, match="alliance='latent'"):
        replicate_designs(design, n_reps=3, estimators=mean_alliance, seed=8, alliance="latent")


def test_nested_designs_are_the_first_patients_and_sessions():
    """Each smaller design is estimated on the first therapists and sessions of each study."""
    design = SimulationParameters(n_therapists=6, n_sessions=8)
    reps = replicate_designs(
        design,
        n_reps=4,
        estimators="within",
        seed=2,
        nested={"n_patients": [16, 48], "n_sessions": [4, 8]},
    )
    table = reps.drop_duplicates("design")[["design", "n_patients", "n_sessions"]]
    assert table.values.tolist() == [[0, 16, 4], [1, 16, 8], [2, 48, 4], [3, 48, 8]]
    panels = simulate_panels(design, 4, seed=chunk_seed(2, design, 0))
    small = within_regression(panels.bdi[:, :16, :4], panels.alliance[:, :16, :4])
    got = reps.query("design == 0")["estimate"].to_numpy().reshape(4, 2)
    np.testing.assert_array_equal(got, small.estimate)
    with pytest.raises(ValueError, match="larger than its design"):
        replicate_designs(design, n_reps=2, seed=1, nested={"n_patients": [64], "n_sessions": [4]})


# --------------------------------------------------------------------------
# right about theory


@pytest.mark.parametrize(("n_sessions", "n_reps"), [(5, 600), (12, 400)])
def test_autoregression_bias_is_nickells(n_sessions, n_reps):
    """The within estimator's bias for the lagged outcome equals Nickell's formula.

    Pure AR(1) symptoms (rho = 0.3), 240 patients. The tolerance is 3 Monte
    Carlo SEs of the mean bias (measured: 0.0017 and 0.0009) plus 0.001 for
    what the large-N formula ignores: O(1/(NT)) terms and rounding BDI-II to
    whole points (measurement error variance 1/12 against 64).
    """
    table = run_design_study(
        [{**autoregression_only(0.3), "n_sessions": n_sessions}],
        n_reps=n_reps,
        estimators="within",
        seed=1981,
    )
    row = table.set_index("term").loc["bdi_c"]
    assert row["bias"] == pytest.approx(
        nickell_bias(0.3, n_sessions), abs=3 * row["bias_mcse"] + 0.001
    )


def test_coverage_of_the_correctly_specified_estimator():
    """With no effect, the detrended within estimator is correctly specified for it.

    The alliance then evolves independently of the symptoms (but for common
    time trends, which detrending removes), so its coefficient and the
    interaction are unbiased for 0. 2,000 replications of 120 patients x 12
    sessions: the Monte Carlo SE of a coverage of .95 is 0.0049 and of a mean
    0.0075; we allow 3 of each.
    """
    table = run_design_study(
        [{**NO_EFFECT, "n_therapists": 15}],
        n_reps=2000,
        estimators="within_detrended_iip",
        seed=2024,
    ).set_index("term")
    for term in ("alliance_within", "alliance_within:iip_c"):
        row = table.loc[term]
        assert row["truth"] == 0.0
        assert abs(row["bias"]) < 3 * row["bias_mcse"]
        assert abs(row["coverage"] - 0.95) < 3 * 0.0049
        assert row["power"] == pytest.approx(1 - row["coverage"])  # type I error rate


def test_power_rises_with_patients_and_sessions():
    """Power for the within effect; differences must exceed 3 combined MC SEs."""
    table = run_design_study(
        design_grid(n_patients=[40, 120], n_sessions=[5, 10]),
        n_reps=300,
        estimators="within",
        seed=3,
    )
    power = table[table.term == "alliance_within"].set_index(["n_patients", "n_sessions"])

    def rises(a, b):
        gap = power.loc[b, "power"] - power.loc[a, "power"]
        return gap > 3 * np.hypot(power.loc[a, "power_mcse"], power.loc[b, "power_mcse"])

    assert rises((40, 5), (120, 5)) and rises((40, 10), (120, 10))
    assert rises((40, 5), (40, 10)) and rises((120, 5), (120, 10))


# --------------------------------------------------------------------------
# clear errors


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"estimators": "ols"}, ValueError, r"unknown estimator 'ols'; available: \['within'"),
        ({"estimators": []}, ValueError, "at least one estimator"),
        ({"estimators": ["within", "within"]}, ValueError, "listed twice"),
        ({"n_reps": 0}, ValueError, "n_reps must be an integer of at least 1"),
        ({"seed": -1}, ValueError, "seed must be a non-negative integer"),
        ({"n_jobs": 0}, ValueError, "n_jobs must be None or a non-zero integer"),
        ({"chunk_size": 0.5}, ValueError, "chunk_size must be an integer of at least 1"),
        ({"alliance": "true"}, ValueError, "alliance must be one of"),
        ({"progress": "yes"}, TypeError, "progress must be True, False or None"),
        ({"nested": {"n_patients": [40]}}, ValueError, "nested must be a dict"),
    ],
)
def test_invalid_arguments(kwargs, error, match):
    args = {"n_reps": 2, "seed": 1, **kwargs}
    with pytest.raises(error, match=match):
        run_design_study([{}], **args)
