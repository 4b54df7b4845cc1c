"""The book's FIML fits of the RI-CLPM and the ML-SEM dynamic panel model against lavaan's.

The fixture (tests/estimation/fixtures/lavaan_*.csv) was made by
scripts/lavaan_fixtures.py: one simulated study (seed 11, default parameters,
240 patients, 12 sessions, about 18% of sessions missing) and lavaan 0.6-14's
full-information ML fit of the same three models (the syntax the book's
functions write), with R 4.2.2. The book's fits must agree with every free
parameter, every standard error (lavaan: observed information), every
implied mean and the log-likelihood.

Tolerances: lavaan stops its optimiser at a relative change of the objective
of about 1e-10, which leaves estimates uncertain in the fifth significant
digit; the differences found were at most 8e-5 (estimates, relative to
max(1, |estimate|)) and 1.2e-4 (standard errors, relative), so the tests
allow 5e-4 and 1e-3. The book's log-likelihood must be at least lavaan's
(less 1e-6) and within 1e-3 of it.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from book.estimation.dynamic_panel import fit_dynamic_panel
from book.estimation.riclpm import fit_riclpm

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def lavaan():
    estimates = pd.read_csv(FIXTURES / "lavaan_estimates.csv", comment="#")
    estimates["label"] = estimates["label"].fillna("")
    fits = pd.read_csv(FIXTURES / "lavaan_fits.csv", comment="#").set_index("model")
    study = pd.read_csv(FIXTURES / "lavaan_study.csv")
    return estimates, fits, study


def _parameter_names(mine: pd.Index) -> dict:
    """The book's parameter names by lavaan's key (a covariance's two sides in any order)."""
    out = {}
    for name in mine:
        for op in ("~~", "=~"):
            if op in name:
                lhs, rhs = name.split(op)
                out[(op, *sorted((lhs, rhs)))] = name
    return out


def _compare(fit, estimates: pd.DataFrame, fits: pd.DataFrame, model: str) -> None:
    lav = estimates[estimates["model"] == model]
    mine = fit.parameters.set_index("name")
    names = _parameter_names(mine.index)
    free = lav[~lav["op"].isin(["~1", "mean"])].copy()
    free["name"] = [
        r.label if r.label else names.get((r.op, *sorted((r.lhs, r.rhs))), f"{r.lhs}{r.op}{r.rhs}")
        for r in free.itertuples()
    ]
    free = free.drop_duplicates("name").set_index("name")
    ours = mine.index[~mine.index.str.startswith("mean:")]
    assert set(free.index) == set(ours)  # the same free parameters, no more, no less
    est = mine.loc[free.index, "estimate"]
    assert ((est - free["est"]).abs() <= 5e-4 * np.maximum(1.0, free["est"].abs())).all()
    se = mine.loc[free.index, "std_error"]
    assert ((se - free["se"]).abs() <= 1e-3 * free["se"]).all()
    means = lav[lav["op"] == "mean"].set_index("lhs")["est"]
    ours_means = mine.loc["mean:" + means.index, "estimate"].to_numpy()
    assert np.abs(ours_means - means.to_numpy()).max() <= 5e-4 * np.abs(means).max()
    reference = fits.loc[model]
    assert fit.n_rows == reference["ntotal"]
    assert len(fit.parameters) == reference["npar"]
    assert -1e-6 <= fit.loglik - reference["loglik"] < 1e-3


def test_riclpm_fiml_agrees_with_lavaan(lavaan):
    estimates, fits, study = lavaan
    fit = fit_riclpm(study)
    assert fit.converged
    _compare(fit.model, estimates, fits, "riclpm")


@pytest.mark.parametrize("direction", ["alliance_to_symptoms", "symptoms_to_alliance"])
def test_dynamic_panel_fiml_agrees_with_lavaan(lavaan, direction):
    estimates, fits, study = lavaan
    fit = fit_dynamic_panel(study, direction=direction)
    assert fit.converged
    _compare(fit.models[direction], estimates, fits, f"dynamic_panel_{direction}")


def test_the_fixture_holds_what_the_script_says(lavaan):
    """The fixture's header names R, lavaan and the call; lavaan used the observed information."""
    estimates, fits, study = lavaan
    header = (FIXTURES / "lavaan_estimates.csv").read_text().splitlines()[:2]
    assert "lavaan 0.6" in header[0] and "R version" in header[0]
    assert 'missing = "ml"' in header[1]
    assert (fits["information"] == "observed").all()
    assert study["alliance"].isna().mean() > 0.03  # missing questionnaires: FIML matters
