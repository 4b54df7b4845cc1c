"""The results store: current with the code, valid, reproduced by a rerun within MC error."""

import shutil

import numpy as np
import pandas as pd
import pytest

from book.datasets.tables import DataValidationError
from book.montecarlo.results import RESULT_TABLES, compute_table
from book.montecarlo.store import (
    RESULTS_DIR,
    _code_tokens,
    inputs_hash,
    load_results,
    result_columns,
    results_info,
    stale_tables,
)


def test_the_store_is_current_with_the_code_that_computes_it():
    """A change to the simulator, an estimator, the runner or a table's definition
    makes the store stale: run `make results` and commit data/results/."""
    assert stale_tables() == [], f"stale tables {stale_tables()}: run `make results`"


@pytest.mark.parametrize("name", list(RESULT_TABLES))
def test_every_table_loads_valid_with_its_codebook_and_settings(name):
    table = load_results(name)
    assert list(table.columns) == [f.name for f in result_columns(name)]
    assert len(table) > 0
    info = results_info(name)
    assert info["inputs_hash"] == inputs_hash()
    assert info["run"] and info["used_by"]
    assert not table.duplicated(subset=list(RESULT_TABLES[name].keys)).any()


def test_replication_counts_make_the_monte_carlo_errors_small():
    """Thousands of studies for the closed-form estimators, hundreds for one fit per study."""
    info = results_info("performance")
    share = info.get("replication_scale", 1.0) * info.get("slow_replication_scale", 1.0)
    if share < 1:
        pytest.skip(
            f"the committed store was computed with a share of {share:g} of the replications "
            "of the estimators fitted one study at a time (datapackage.json); `make results` "
            "computes them all"
        )
    perf = load_results("performance")
    closed = perf["estimator"].str.startswith("within")
    assert (perf.loc[closed, "n_reps"] + perf.loc[closed, "n_failed"] >= 2000).all()
    assert (perf.loc[~closed, "n_reps"] + perf.loc[~closed, "n_failed"] >= 300).all()
    assert (perf["coverage_mcse"].dropna() <= 0.03).all()


def test_the_code_hash_ignores_words_but_not_code(tmp_path):
    a = tmp_path / "a.py"
    a.write_text('"""Doc."""\n\n\ndef f(x):\n    """Twice x."""\n    return 2 * x  # doubled\n')
    b = tmp_path / "b.py"
    b.write_text(
        '"""Other words."""\n\ndef f(x):\n    """Two times x, reworded."""\n\n    return 2*x\n'
    )
    c = tmp_path / "c.py"
    c.write_text('"""Doc."""\n\n\ndef f(x):\n    """Twice x."""\n    return 3 * x\n')
    assert _code_tokens(a) == _code_tokens(b)
    assert _code_tokens(a) != _code_tokens(c)


@pytest.fixture()
def store_copy(tmp_path):
    copy = tmp_path / "results"
    shutil.copytree(RESULTS_DIR, copy)
    return copy


def test_a_changed_file_is_refused(store_copy):
    path = store_copy / "nickell.csv"
    path.write_text(path.read_text().replace("within", "withn", 1))
    with pytest.raises(DataValidationError, match="sha256"):
        load_results("nickell", store_copy)


def test_an_unknown_or_missing_table_is_named(store_copy):
    with pytest.raises(ValueError, match="unknown result table"):
        load_results("powers")
    (store_copy / "power.csv").unlink()
    with pytest.raises(FileNotFoundError, match="make results"):
        load_results("power", store_copy)


def _agree(stored: pd.DataFrame, rerun: pd.DataFrame, keys, value, mcse) -> pd.DataFrame:
    """Rows where the rerun differs from the stored value by more than 4 combined MC SEs.

    A share estimated at 0 or 1 has a Monte Carlo SE of 0; its floor is that of one
    replication in the rerun, sqrt(1/4n).
    """
    both = stored.merge(rerun, on=list(keys), suffixes=("", "_rerun"))
    assert len(both) == len(rerun)
    n = both["n_reps_rerun"] if "n_reps_rerun" in both else 10
    floor = np.sqrt(0.25 / n) if mcse.endswith(("coverage_mcse", "power_mcse")) else 0.0
    se = np.hypot(np.maximum(both[mcse], floor), np.maximum(both[f"{mcse}_rerun"], floor))
    gap = (both[value] - both[f"{value}_rerun"]).abs()
    bad = both[np.isfinite(gap) & (gap > 4 * se + 1e-9)]
    return bad[[*keys, value, f"{value}_rerun", mcse, f"{mcse}_rerun"]]


@pytest.mark.slow
@pytest.mark.parametrize(
    "name", [n for n, t in RESULT_TABLES.items() if t.compare and n != "calibration"]
)
def test_a_rerun_on_a_share_of_the_replications_agrees_within_monte_carlo_error(name):
    spec = RESULT_TABLES[name]
    rerun = compute_table(name, scale=0.03, n_jobs=1, progress=False)
    stored = load_results(name)
    for value, mcse in spec.compare:
        bad = _agree(stored, rerun, spec.keys, value, mcse)
        assert bad.empty, f"{name}: {value} disagrees\n{bad.to_string()}"


@pytest.mark.slow
def test_a_rerun_of_the_calibration_statistics_agrees():
    rerun = compute_table("calibration", scale=0.05, n_jobs=1, progress=False)
    stored = load_results("calibration")
    bad = _agree(stored, rerun, ("statistic",), "mean", "mcse")
    assert bad.empty, bad.to_string()


def test_the_canonical_seeds_table_is_the_rule_applied():
    seeds = load_results("canonical_seeds")
    from book.simulation.engine import CANONICAL_SEED

    assert len(seeds) == 1000
    assert int(seeds.loc[seeds["distance"].idxmin(), "seed"]) == CANONICAL_SEED


def test_writing_is_deterministic(tmp_path):
    """Two computations of a (small) table give the same bytes."""
    from book.montecarlo.store import _write_table

    frames = [compute_table("trends", scale=0.01, n_jobs=1, progress=False) for _ in range(2)]
    resources = [
        _write_table(tmp_path / d, "trends", f, "sha256:x")
        for d, f in zip(("a", "b"), frames, strict=True)
        if (tmp_path / d).mkdir() is None
    ]
    assert resources[0]["hash"] == resources[1]["hash"]
