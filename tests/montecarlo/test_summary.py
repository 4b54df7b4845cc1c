"""One summary: Morris, White & Crowther's measures and their Monte Carlo SEs, by hand."""

import numpy as np
import pandas as pd
import pytest

from book.montecarlo.summary import patients_for_power, plot_power, summarize_replications


def _reps(estimates, std_errors, truth=-2.0, **columns):
    return pd.DataFrame(
        {
            "design": 0,
            "replication": range(len(estimates)),
            "estimator": "within",
            "term": "alliance_within",
            "truth": truth,
            "estimate": estimates,
            "std_error": std_errors,
            "df": np.inf,
            **columns,
        }
    )


def test_summary_by_hand():
    reps = _reps([-1.0, -2.0, -3.0, -2.5], [0.4, 0.5, 1.0, 0.3])
    row = summarize_replications(reps).iloc[0]
    est, se = reps["estimate"], reps["std_error"]
    assert row["n_reps"] == 4 and row["n_failed"] == 0
    assert row["bias"] == pytest.approx(est.mean() + 2.0)
    assert row["bias_mcse"] == pytest.approx(est.std() / 2)
    assert row["emp_se_mcse"] == pytest.approx(est.std() / np.sqrt(6))
    assert row["model_se"] == pytest.approx(np.sqrt((se**2).mean()))
    # Morris et al. (2019), table 6: sqrt(Var(SE^2) / (4 n ModSE^2))
    assert row["model_se_mcse"] == pytest.approx(np.sqrt((se**2).var() / (4 * 4 * (se**2).mean())))
    assert row["rmse"] == pytest.approx(np.sqrt(((est + 2) ** 2).mean()))
    assert row["rmse_mcse"] == pytest.approx(
        ((est + 2) ** 2).std() / 2 / (2 * np.sqrt(((est + 2) ** 2).mean()))
    )
    # intervals +-1.96 SE: [-1.78, -0.22] misses -2; the others cover it
    assert row["coverage"] == 0.75
    assert row["coverage_mcse"] == pytest.approx(np.sqrt(0.75 * 0.25 / 4))
    # |z| = 2.5, 4, 3, 8.3: all significant, none with the wrong sign
    assert row["power"] == 1.0 and row["wrong_sign"] == 0.0
    assert np.isnan(row["singular"])


def test_t_reference_with_finite_df():
    reps = _reps([-1.0, -2.0], [0.45, 0.5], df=[4.0, 4.0])
    # with 4 df the critical value is 2.776: |t| = 2.22 is not significant, 4 is
    assert summarize_replications(reps).iloc[0]["power"] == 0.5


def test_failed_fits_are_counted_not_summarized():
    reps = _reps(
        [-1.0, np.nan, -3.0, np.inf], [0.4, np.nan, 1.0, 1.0], singular=[1.0, np.nan, 0.0, 0.0]
    )
    row = summarize_replications(reps).iloc[0]
    assert (row["n_reps"], row["n_failed"]) == (2, 2)
    assert row["mean_estimate"] == -2.0 and row["singular"] == pytest.approx(1 / 3)
    everything_failed = summarize_replications(_reps([np.nan, np.nan], [np.nan, np.nan])).iloc[0]
    assert everything_failed["n_reps"] == 0 and np.isnan(everything_failed["bias"])


def test_a_term_without_truth_or_standard_errors():
    """A reader's statistic: mean and spread; nothing that needs a truth or an SE."""
    reps = _reps([0.1, 0.3, 0.2], [np.nan] * 3, truth=np.nan)
    row = summarize_replications(reps).iloc[0]
    assert row["mean_estimate"] == pytest.approx(0.2) and row["emp_se"] == pytest.approx(0.1)
    for measure in ("bias", "rmse", "coverage", "power", "model_se", "wrong_sign"):
        assert np.isnan(row[measure]), measure


def test_rows_keep_the_order_of_the_replications():
    a = _reps([1.0, 2.0], [1.0, 1.0]).assign(estimator="b", term="y")
    b = _reps([1.0, 2.0], [1.0, 1.0]).assign(estimator="a", term="x")
    out = summarize_replications(pd.concat([a, b]))
    assert out["estimator"].tolist() == ["b", "a"]


def test_bad_arguments():
    with pytest.raises(ValueError, match="replications must be the table"):
        summarize_replications(pd.DataFrame({"estimate": [1.0]}))
    with pytest.raises(ValueError, match="alpha must be a number in"):
        summarize_replications(_reps([1.0], [1.0]), alpha=5)


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
