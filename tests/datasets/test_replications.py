"""Published mixed-model output reproduced to the printed digits (the chapter asserts the same)."""

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats

from book.datasets.real import btheb_long, load_real
from book.datasets.replications import ANALYSES, compare_with_published, published_output
from book.estimation.reml import fit_reml, profiled_loglike

FORMULA = "bdi ~ bdi_pre + time + treatment + drug + length"


def _fit(model, re_names, *, reml):
    fit = fit_reml(model.endog, model.exog, model.exog_re, model.groups, reml=reml)
    assert fit.converged
    return fit, fit.summary(model.exog_names, re_names)


@pytest.fixture(scope="module")
def btheb():
    long = btheb_long()
    intercept = sm.MixedLM.from_formula(FORMULA, long, groups="subject")
    slope = sm.MixedLM.from_formula(FORMULA, long, groups="subject", re_formula="~time")
    return (
        (intercept, *_fit(intercept, ["Intercept"], reml=False)),
        (slope, *_fit(slope, ["Intercept", "time"], reml=False)),
    )


@pytest.fixture(scope="module")
def sleep():
    data = load_real("sleepstudy")
    model = sm.MixedLM.from_formula("reaction ~ days", data, groups="subject", re_formula="~days")
    return (model, *_fit(model, ["Intercept", "days"], reml=True))


def _assert_agrees(analysis, values):
    table = compare_with_published(analysis, values)
    assert table["agrees"].all(), table[~table["agrees"]]


def test_beat_the_blues_random_intercept_model(btheb):
    """Hothorn & Everitt (2014), Figure 13.2 and the anova() table: 22 printed numbers."""
    _, _, summary = btheb[0]
    _assert_agrees("btheb_intercept", summary)


def test_beat_the_blues_random_slope_model_and_the_test(btheb):
    (_, fit1, _), (_, fit2, summary) = btheb
    summary = summary.copy()
    summary["lr_chisq"] = 2 * (fit2.loglike - fit1.loglike)
    summary["lr_df"] = 2
    summary["lr_p"] = stats.chi2.sf(summary["lr_chisq"], 2)
    _assert_agrees("btheb_slope", summary)


def test_time_coded_by_follow_up_number_does_not_reproduce_the_table():
    """The check can fail: the coding of time the handbook does not use misses it."""
    long = btheb_long()
    long["time"] = long["time"].map({2: 1, 3: 2, 5: 3, 8: 4})
    model = sm.MixedLM.from_formula(FORMULA, long, groups="subject")
    _, summary = _fit(model, ["Intercept"], reml=False)
    table = compare_with_published("btheb_intercept", summary)
    assert not table.loc["time", "agrees"] and not table.loc["logLik", "agrees"]


def test_maximum_likelihood_agrees_with_statsmodels(btheb):
    """The reference implementation: the same optimum (statsmodels' SEs differ by design)."""
    model, fit, _ = btheb[0]
    reference = model.fit(reml=False)
    assert fit.loglike == pytest.approx(reference.llf, abs=1e-6)
    np.testing.assert_allclose(fit.fe_params, reference.fe_params, atol=1e-4)
    assert fit.scale == pytest.approx(reference.scale, rel=1e-4)
    assert fit.cov_re[0, 0] == pytest.approx(reference.cov_re.iloc[0, 0], rel=1e-4)


def test_sleepstudy_random_slope_model_by_reml(sleep):
    """Bates et al. (2015), section 5.2, summary(fm1)."""
    _, _, summary = sleep
    _assert_agrees("sleepstudy", summary)


def test_sleepstudy_extra_digits_are_the_optimisers_not_the_datas(sleep):
    """The six-decimal variance components: the book's optimum is lower, the points close."""
    model, fit, summary = sleep
    args = (model.endog, model.exog, model.exog_re, model.groups)
    printed = published_output("sleepstudy_varcorr")["value"]
    lme4_psi = (
        np.array(
            [
                [printed["var:Intercept"], printed["cov:Intercept:days"]],
                [printed["cov:Intercept:days"], printed["var:days"]],
            ]
        )
        / printed["var:residual"]
    )
    at_lme4 = profiled_loglike(*args, lme4_psi)
    at_book = profiled_loglike(*args, fit.cov_re / fit.scale)
    assert at_book == pytest.approx(fit.loglike, abs=1e-9)
    assert 0 < at_book - at_lme4 < 1e-6  # log-likelihood: higher is better
    table = compare_with_published("sleepstudy_varcorr", summary)
    relative = table["difference"].abs() / table["published"].astype(float).abs()
    assert relative.max() < 1e-4
    assert not table["agrees"].all()  # the digits beyond the optimum do differ


def test_every_analysis_lists_its_source_and_precision():
    for analysis in ANALYSES:
        table = published_output(analysis)
        assert table["source"].isin(["Hothorn & Everitt (2014)", "Bates et al. (2015)"]).all()
        assert (table["decimals"] >= 0).all() and table["where"].str.len().gt(0).all()


def test_compare_at_half_a_unit_of_the_last_printed_place():
    exact = published_output("btheb_slope")["value"].to_dict()
    assert compare_with_published("btheb_slope", exact)["agrees"].all()
    near = exact | {"loglik": -935.52 - 0.00499}
    assert compare_with_published("btheb_slope", near).loc["logLik", "agrees"]
    far = exact | {"loglik": -935.52 - 0.00501}
    assert not compare_with_published("btheb_slope", far).loc["logLik", "agrees"]


def test_compare_bad_input():
    exact = published_output("btheb_slope")["value"].to_dict()
    with pytest.raises(ValueError, match="analysis must be one of"):
        compare_with_published("btheb", exact)
    with pytest.raises(ValueError, match=r"no value for \['aic'\]"):
        compare_with_published("btheb_slope", {k: v for k, v in exact.items() if k != "aic"})
    with pytest.raises(ValueError, match="finite"):
        compare_with_published("btheb_slope", exact | {"aic": np.nan})
