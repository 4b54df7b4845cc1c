"""The registry: each estimator is the book's own function, reporting the terms it claims."""

import warnings

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from book.estimation.multilevel import fit_lagged_model, fit_pooled_regression
from book.estimation.riclpm import fit_riclpm
from book.estimation.within import fit_within
from book.montecarlo.estimators import ESTIMATORS, Fits, as_estimator, describe_estimators
from book.montecarlo.panels import simulate_panels
from book.montecarlo.runner import run_design_study
from book.simulation.engine import simulate, true_effects
from book.simulation.parameters import SimulationParameters

# terms whose truth the simulation does not define in closed form
NO_CLOSED_FORM = {"alliance_training"}


@pytest.fixture(scope="module")
def panels():
    return simulate_panels(SimulationParameters(n_therapists=10, n_sessions=6), 2, seed=0)


def test_every_estimator_reports_the_terms_it_claims(panels):
    truth = true_effects()
    for name, e in ESTIMATORS.items():
        assert set(e.terms) <= set(truth) | NO_CLOSED_FORM, name
        if e.data == "panels":
            fits = e.fit(panels)
            assert fits.estimate.shape == fits.std_error.shape == (2, len(e.terms)), name
        elif e.data == "long":
            with threadpool_limits(limits=1):
                fits = e.fit(panels.long(0))
            assert fits.estimate.shape == (len(e.terms),), name
    assert describe_estimators()["estimator"].tolist() == list(ESTIMATORS)


def test_within_estimators_are_fit_within(panels):
    for name, moderator, detrend in (
        ("within", None, False),
        ("within_iip", "iip", False),
        ("within_detrended_iip", "iip", True),
    ):
        fits = ESTIMATORS[name].fit(panels)
        for r in range(2):
            one = fit_within(panels.long(r), moderator=moderator, detrend=detrend)
            assert one["term"].tolist() == list(ESTIMATORS[name].terms)
            np.testing.assert_allclose(fits.estimate[r], one["estimate"], rtol=1e-10)
            np.testing.assert_allclose(fits.std_error[r], one["std_error"], rtol=1e-10)


def test_multilevel_estimators_are_fit_lagged_model(panels):
    """'The multilevel model' is one model: the registry calls the chapters' function."""
    for name, detrend in (("multilevel", False), ("multilevel_detrended", True)):
        fits = ESTIMATORS[name].fit(panels.long(1))
        direct = fit_lagged_model(panels.long(1), detrend=detrend)
        table = direct.fixed_effects.set_index("term").loc[list(ESTIMATORS[name].terms)]
        np.testing.assert_array_equal(fits.estimate, table["estimate"])
        np.testing.assert_array_equal(fits.std_error, table["std_error"])
        assert (fits.singular == float(direct.singular)).all() and np.isinf(fits.df).all()


def test_a_replication_the_multilevel_model_refuses_is_missing_not_an_error():
    """Three sessions give at most two pairs per patient: no random slope (lme4's rule)."""
    panels = simulate_panels(SimulationParameters(n_therapists=5, n_sessions=3), 1, seed=2)
    with pytest.raises(ValueError, match="random part cannot"):
        fit_lagged_model(panels.long(0))
    fits = ESTIMATORS["multilevel"].fit(panels.long(0))
    assert np.isnan(fits.estimate).all() and np.isnan(fits.singular).all()


def test_pooled_is_fit_pooled_regression(panels):
    fits = ESTIMATORS["pooled"].fit(panels.long(0))
    table = fit_pooled_regression(panels.long(0)).set_index("term")
    np.testing.assert_array_equal(fits.estimate, table.loc[["bdi", "alliance"], "estimate"])


def test_riclpm_that_cannot_be_fitted_is_missing_not_an_error():
    panels = simulate_panels(SimulationParameters(n_therapists=1, n_sessions=6), 1, seed=1)
    two_patients = panels.long(0).query("patient_id <= 2")  # a singular covariance matrix
    fits = ESTIMATORS["riclpm"].fit(two_patients)
    assert np.isnan(fits.estimate).all() and np.isnan(fits.std_error).all()
    with pytest.raises(ValueError, match="alliance"):
        ESTIMATORS["riclpm"].fit(two_patients.drop(columns="alliance"))


def test_riclpm_reports_fit_riclpm_in_the_registry_terms(panels):
    with threadpool_limits(limits=1):
        fits = ESTIMATORS["riclpm"].fit(panels.long(0))
        direct = fit_riclpm(panels.long(0)).estimates.set_index("term")
    expected = direct.loc[["symptoms_ar", "alliance_to_symptoms"], "estimate"]
    np.testing.assert_array_equal(fits.estimate, expected)


def test_a_large_training_effect_is_found_by_the_trial():
    """Training that repairs every rupture, against none, with frequent deep ruptures that
    otherwise last, and a strong alliance effect: most simulated trials must find it."""
    strong = SimulationParameters(
        rupture_rate=0.3,
        rupture_depth=1.2,
        repair_prob_trained=1.0,
        repair_prob_untrained=0.0,
        unrepaired_persistence=1.0,
        alliance_to_symptoms=-0.3,
        alliance_to_symptoms_iip=0.0,
    )
    row = run_design_study(strong, n_reps=20, estimators="training_trial", seed=3).iloc[0]
    assert row["term"] == "alliance_training" and np.isnan(row["truth"])
    assert row["mean_estimate"] < 0 and row["power"] >= 0.5


def test_a_readers_function_is_an_estimator():
    def two_numbers(study):
        return {"mean alliance": study.sessions["alliance"].mean(), "slope": (-1.0, 0.5)}

    e = as_estimator(two_numbers)
    assert (e.name, e.data, e.terms) == ("two_numbers", "study", None)
    terms, fits = e.fit(simulate(seed=1))
    assert terms == ("mean alliance", "slope")
    assert fits.std_error[1] == 0.5 and np.isnan(fits.std_error[0])
    # a tidy table works too, e.g. fit_within's
    table = as_estimator(lambda d: fit_within(d), data="long")
    terms, fits = table.fit(simulate(seed=1).long())
    assert terms == ("bdi_c", "alliance_within") and np.isfinite(fits.df).all()


@pytest.mark.parametrize(
    ("estimator", "error", "match"),
    [
        ("ols", ValueError, r"unknown estimator 'ols'; available: \['within'"),
        (3, TypeError, "an estimator is a name"),
    ],
)
def test_unknown_estimators(estimator, error, match):
    with pytest.raises(error, match=match):
        as_estimator(estimator)


def test_a_function_must_return_estimates():
    e = as_estimator(lambda s: [1.0])
    with pytest.raises(TypeError, match="must return a dict"):
        e.fit(simulate(seed=1))
    e = as_estimator(lambda s: pd.DataFrame({"term": ["a"]}))
    with pytest.raises(ValueError, match="estimate"):
        e.fit(simulate(seed=1))
    with pytest.raises(ValueError, match="data must be one of"):
        type(ESTIMATORS["within"])("x", None, "arrays", lambda p: Fits(*[np.ones(1)] * 3))


def test_estimators_warn_nothing_on_ordinary_data(panels):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in ("within", "within_iip", "multilevel"):
            e = ESTIMATORS[name]
            e.fit(panels if e.data == "panels" else panels.long(0))
