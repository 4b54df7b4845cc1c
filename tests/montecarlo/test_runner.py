"""The Monte Carlo runner: faithful to the simulator, reproducible, and right about theory."""

import joblib
import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from book.estimation.nickell import nickell_bias
from book.estimation.riclpm import fit_riclpm
from book.estimation.within import panel_arrays, within_regression
from book.montecarlo.runner import (
    ESTIMATORS,
    design_grid,
    mixedlm_lagged,
    patients_for_power,
    plot_power,
    replicate_designs,
    run_design_study,
    simulate_panels,
    summarize_replications,
    true_effects,
)
from book.simulation.engine import simulate
from book.simulation.parameters import SimulationParameters

# No alliance -> symptoms or symptoms -> alliance effect at all
NO_EFFECT = {
    "alliance_to_symptoms": 0.0,
    "alliance_to_symptoms_iip": 0.0,
    "alliance_to_symptoms_sd": 0.0,
    "symptoms_to_alliance": 0.0,
}
# ... and symptoms a pure stationary AR(1) around a flat level, observed at every
# session: the setting of Nickell's formula. A wide state SD and a narrow spread
# of levels make rounding to whole BDI points and clipping at 0 negligible.
PURE_AR = {
    **NO_EFFECT,
    "symptom_slope_mean": 0.0,
    "symptom_slope_sd": 0.0,
    "bdi_sd": 2.0,
    "symptom_state_sd": 8.0,
    "missing_symptoms": 0.0,
    "missing_alliance": 0.0,
    "dropout_hazard": 0.0,
}


# --------------------------------------------------------------------------
# faithful to the simulator


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


def test_true_effects_by_hand():
    truth = true_effects()
    assert truth["alliance_within"] == pytest.approx(-0.15 * 4.0 / 0.30)
    assert truth["alliance_within:iip_z"] == pytest.approx(-0.07 * 4.0 / 0.30)
    assert truth["bdi"] == 0.3
    with pytest.raises(ValueError, match="state_sd"):
        true_effects(SimulationParameters(state_sd=0.0))


# --------------------------------------------------------------------------
# reproducible


def test_each_chunk_is_its_documented_simulation():
    """Chunk c of design d is simulate_panels(params, n, seed=SeedSequence(seed, (d, c)))."""
    from book.montecarlo.runner import _chunk_seed

    reps = replicate_designs(
        [{"n_sessions": 5}], n_reps=7, estimators="within", seed=3, chunk_size=4
    )
    params = SimulationParameters(n_sessions=5)
    second = simulate_panels(params, 3, seed=_chunk_seed(3, 0, 1))  # replications 4, 5, 6
    expected = within_regression(second.bdi, second.alliance).estimate[:, 1]
    got = reps.query("term == 'alliance_within' and replication >= 4")["estimate"]
    np.testing.assert_array_equal(got, expected)


def test_same_seed_same_table_with_one_or_two_workers():
    designs = design_grid(n_patients=[40, 80], n_sessions=[5, 8])
    args = {"n_reps": 30, "seed": 11, "chunk_size": 8}
    serial = run_design_study(designs, n_jobs=1, **args)
    parallel = run_design_study(designs, n_jobs=2, backend="loky", **args)
    pd.testing.assert_frame_equal(serial, parallel)
    other = run_design_study(designs, n_jobs=1, **{**args, "seed": 12})
    assert not np.allclose(serial["mean_estimate"], other["mean_estimate"])


def test_progress_bar_reports_tasks_and_changes_nothing(capsys):
    args = {"n_reps": 12, "estimators": "within", "seed": 2, "chunk_size": 4}
    quiet = run_design_study([{"n_sessions": 5}], **args)
    loud = run_design_study([{"n_sessions": 5}], progress=True, **args)
    pd.testing.assert_frame_equal(quiet, loud)
    assert "3/3" in capsys.readouterr().err  # three chunks of four replications


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


def test_slow_path_is_parallel_and_sees_the_same_replications():
    """MixedLM fits, one per replication: same results with 1 or 2 workers, on Panels.long."""
    design = [{"n_therapists": 10, "n_sessions": 6}]
    args = {"n_reps": 4, "estimators": ["within", "mixedlm"], "seed": 9, "chunk_size": 4}
    serial = replicate_designs(design, n_jobs=1, **args)
    parallel = replicate_designs(design, n_jobs=2, **args)
    pd.testing.assert_frame_equal(serial, parallel)
    panels = simulate_panels(SimulationParameters(**design[0]), 4, seed=_seed(9))
    est, se, _ = mixedlm_lagged(panels.long(2))
    row = serial.query("estimator == 'mixedlm' and replication == 2")
    np.testing.assert_array_equal(row["estimate"], est)
    np.testing.assert_array_equal(row["std_error"], se)


def test_riclpm_in_the_slow_path_is_parallel_and_is_fit_riclpm():
    """RI-CLPM fits, one per replication: the same with 1 or 2 workers, and fit_riclpm's numbers.

    Exact equality: the estimator fits with one BLAS thread in the main process
    and in the workers alike (with the main process's two threads the
    optimiser stops up to 1e-4 away, and the tables would depend on n_jobs).
    The direct fit below runs under the same limit.
    """
    design = [{"n_therapists": 6, "n_sessions": 4}]  # small: each fit takes a fraction of a second
    args = {"n_reps": 4, "estimators": ["within", "riclpm"], "seed": 9, "chunk_size": 4}
    serial = replicate_designs(design, n_jobs=1, **args)
    parallel = replicate_designs(design, n_jobs=2, backend="loky", **args)
    pd.testing.assert_frame_equal(serial, parallel, check_exact=True)
    rows = serial[serial["estimator"] == "riclpm"]
    assert rows["replication"].tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
    assert np.isfinite(rows["estimate"]).all() and (rows["std_error"] > 0).all()
    truth = true_effects(SimulationParameters(**design[0]))
    assert rows["truth"].tolist() == [truth["bdi"], truth["alliance_within"]] * 4
    # the same simulated study, fitted by book.estimation.riclpm directly
    panels = simulate_panels(SimulationParameters(**design[0]), 4, seed=_seed(9))
    for r in range(4):
        with threadpool_limits(limits=1):
            fit = fit_riclpm(panels.long(r)).estimates.set_index("term")
        direct = fit.loc[["symptoms_ar", "alliance_to_symptoms"]]
        row = rows[rows["replication"] == r]
        assert row["term"].tolist() == ["bdi", "alliance_within"]
        np.testing.assert_array_equal(row["estimate"], direct["estimate"])
        np.testing.assert_array_equal(row["std_error"], direct["std_error"])


def test_riclpm_that_cannot_be_fitted_is_missing_not_an_error():
    panels = simulate_panels(SimulationParameters(n_therapists=1, n_sessions=6), 1, seed=1)
    two_patients = panels.long(0).query("patient_id <= 2")  # a singular covariance matrix
    est, se, df = ESTIMATORS["riclpm"].fit(two_patients)
    assert np.isnan(est).all() and np.isnan(se).all() and np.isinf(df).all()
    with pytest.raises(ValueError, match="alliance"):
        ESTIMATORS["riclpm"].fit(two_patients.drop(columns="alliance"))


def _seed(seed):
    from book.montecarlo.runner import _chunk_seed

    return _chunk_seed(seed, 0, 0)


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
        [{**PURE_AR, "n_sessions": n_sessions}], n_reps=n_reps, estimators="within", seed=1981
    )
    row = table.set_index("term").loc["bdi"]
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
    for term in ("alliance_within", "alliance_within:iip_z"):
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


def test_summary_by_hand():
    reps = pd.DataFrame(
        {
            "design": 0,
            "replication": range(4),
            "estimator": "within",
            "term": "alliance_within",
            "truth": -2.0,
            "estimate": [-1.0, -2.0, -3.0, -2.5],
            "std_error": [0.4, 0.5, 1.0, 0.3],
            "df": np.inf,
        }
    )
    row = summarize_replications(reps).iloc[0]
    est = reps["estimate"]
    assert row["n_reps"] == 4
    assert row["bias"] == pytest.approx(est.mean() + 2.0)
    assert row["bias_mcse"] == pytest.approx(est.std() / 2)
    assert row["emp_se_mcse"] == pytest.approx(est.std() / np.sqrt(6))
    assert row["rmse"] == pytest.approx(np.sqrt(((est + 2) ** 2).mean()))
    # intervals +-1.96 SE: [-1.78, -0.22] misses -2; the others cover it
    assert row["coverage"] == 0.75
    assert row["coverage_mcse"] == pytest.approx(np.sqrt(0.75 * 0.25 / 4))
    # |z| = 2.5, 4, 3, 8.3: all significant, none with the wrong sign
    assert row["power"] == 1.0 and row["wrong_sign"] == 0.0


# --------------------------------------------------------------------------
# clear errors


@pytest.mark.parametrize(
    ("designs", "match"),
    [
        ([{"n_patients": 0}], r"design 0 \(n_patients=0\): n_patients = 0 is not allowed"),
        ([{}, {"n_therapists": 0}], r"design 1 .*n_therapists = 0 is not allowed"),
        ([{"n_sessions": 2}], "n_sessions = 2 is not allowed: it must be an integer of at least 3"),
        ([{"alliance_to_symptoms_sd": -0.05}], "alliance_to_symptoms_sd = -0.05 is not allowed"),
        ([{"alliance_to_symptoms": -0.95}], r"design 0 .*no room for random innovations"),
        ([{"alliance_ar": 0.95, "symptom_ar": 0.95}], "explosive"),
        ([{"state_sd": 0.0}], "state_sd = 0 leaves no within-patient"),
        ([{"n_therapists": 1, "patients_per_therapist": 1}], "at least 2 patients"),
        ([{"n_patients": 100}], "not a multiple of patients_per_therapist"),
        ([{"patients": 100}], r"unknown design field\(s\) \['patients'\]"),
        ([], "designs is empty"),
    ],
)
def test_invalid_designs(designs, match):
    with pytest.raises(ValueError, match=match):
        run_design_study(designs, n_reps=2, seed=1)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"estimators": "ols"}, r"unknown estimator\(s\) \['ols'\]; available: \['within'"),
        ({"estimators": []}, "at least one estimator"),
        ({"n_reps": 0}, "n_reps must be a positive integer"),
        ({"seed": -1}, "seed must be a non-negative integer"),
        ({"n_jobs": 0}, "n_jobs must be None or a non-zero integer"),
        ({"chunk_size": 0.5}, "chunk_size must be a positive integer"),
    ],
)
def test_invalid_arguments(kwargs, match):
    args = {"n_reps": 2, "seed": 1, **kwargs}
    with pytest.raises(ValueError, match=match):
        run_design_study([{}], **args)


def test_design_grid():
    grid = design_grid(n_patients=[40, 80], n_sessions=[6, 12], alliance_to_symptoms=-0.2)
    assert len(grid) == 4 and set(grid["n_therapists"]) == {5, 10}
    with pytest.raises(ValueError, match="not a multiple"):
        design_grid(n_patients=[42])
    with pytest.raises(ValueError, match=r"unknown design field\(s\) \['sessions'\]"):
        design_grid(sessions=[6])
    with pytest.raises(TypeError, match="designs must be"):
        run_design_study("n_sessions=6", n_reps=2, seed=1)


def test_missing_value_in_a_design_table_means_the_default():
    designs = pd.DataFrame({"n_sessions": [6, None], "alliance_to_symptoms": [None, -0.2]})
    assert designs["n_sessions"].dtype == float  # as pandas makes it
    table = run_design_study(designs, n_reps=3, estimators="within", seed=1)
    assert table.groupby("design")["n_sessions"].first().tolist() == [6, 12]
    assert table.loc[table.term == "alliance_within", "truth"].tolist() == pytest.approx(
        [true_effects()["alliance_within"], -0.2 * 4.0 / 0.3]
    )


def test_estimators_report_the_terms_they_claim():
    panels = simulate_panels(None, 2, seed=0)
    for name, e in ESTIMATORS.items():
        if e.vectorised:
            est, se, df = e.fit(panels)
            assert est.shape == se.shape == df.shape == (2, len(e.terms)), name
        assert set(e.terms) <= set(true_effects())


def _power_table(powers, sessions=12, estimators=("within",)):
    rows = []
    for est in estimators:
        for n, p in zip((40, 80, 160), powers, strict=True):
            rows.append(
                {
                    "n_sessions": sessions,
                    "n_patients": n,
                    "estimator": est,
                    "term": "alliance_within",
                    "power": p,
                    "power_mcse": 0.02,
                }
            )
    return pd.DataFrame(rows)


def test_patients_for_power_interpolates_in_log_patients():
    table = pd.concat([_power_table([0.5, 0.7, 0.9]), _power_table([0.1, 0.2, 0.3], sessions=4)])
    out = patients_for_power(table).set_index("n_sessions")
    # halfway from 0.7 to 0.9 in power is halfway from 80 to 160 in log patients
    assert out.loc[12, "n_patients"] == np.ceil(80 * np.sqrt(2))
    assert np.isnan(out.loc[4, "n_patients"]) and not out.loc[4, "reached_in_grid"]
    first = patients_for_power(_power_table([0.85, 0.9, 0.95]))
    assert first["n_patients"].iloc[0] == 40  # already reached by the smallest design
    with pytest.raises(ValueError, match="choose one estimator"):
        patients_for_power(_power_table([0.5, 0.7, 0.9], estimators=("within", "within_iip")))
    with pytest.raises(ValueError, match="target must be"):
        patients_for_power(table, target=80)


def test_plot_power_draws_one_line_per_session_count():
    import matplotlib

    matplotlib.use("Agg")
    table = pd.concat([_power_table([0.5, 0.7, 0.9]), _power_table([0.1, 0.2, 0.3], sessions=4)])
    ax = plot_power(table, logx=True)
    assert len(ax.containers) == 2  # one error-bar curve per session count
    assert any(list(line.get_ydata()) == [0.8, 0.8] for line in ax.lines)  # the target
    np.testing.assert_allclose(ax.get_xticks(), [40, 80, 160])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["4", "12"]
    with pytest.raises(ValueError, match="not in the table"):
        plot_power(table, hue="n_therapists")
