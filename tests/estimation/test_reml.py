"""The REML engine in ML mode, its lme4-style summary, and the criterion at a given point."""

import numpy as np
import pytest
import statsmodels.api as sm

from book.estimation.reml import fit_reml, profiled_loglike


def _one_way(seed=3, k=30, n=5):
    rng = np.random.default_rng(seed)
    u = rng.normal(0, 1.5, k)
    y = (u[:, None] + rng.normal(0, 1.0, (k, n))).ravel()
    return y, np.ones((k * n, 1)), np.repeat(np.arange(k), n), k, n


def test_ml_matches_the_closed_form_of_the_balanced_one_way_model():
    """ML: sigma^2 = MSW and tau^2 = ((k - 1)/k MSB - MSW)/n (REML has MSB for the bracket)."""
    y, X, g, k, n = _one_way()
    fit = fit_reml(y, X, X, g, reml=False)
    means = y.reshape(k, n).mean(axis=1)
    msw = ((y.reshape(k, n) - means[:, None]) ** 2).sum() / (k * (n - 1))
    msb = n * ((means - means.mean()) ** 2).sum() / (k - 1)
    assert fit.scale == pytest.approx(msw, rel=1e-6)
    assert fit.cov_re[0, 0] == pytest.approx(((k - 1) / k * msb - msw) / n, rel=1e-5)
    assert not fit.reml and fit.n_obs == k * n


def test_ml_random_slopes_agree_with_statsmodels():
    rng = np.random.default_rng(11)
    groups, t = np.repeat(np.arange(40), 6), np.tile(np.arange(6.0), 40)
    u0, u1 = rng.normal(0, 2.0, 40), rng.normal(0, 0.5, 40)
    y = 10 + 0.8 * t + u0[groups] + u1[groups] * t + rng.normal(0, 1.0, len(t))
    X = np.column_stack([np.ones_like(t), t])
    fit = fit_reml(y, X, X, groups, reml=False)
    reference = sm.MixedLM(y, X, groups, exog_re=X).fit(reml=False, method="bfgs")
    assert fit.loglike == pytest.approx(reference.llf, abs=1e-5)
    np.testing.assert_allclose(fit.fe_params, reference.fe_params, atol=1e-4)
    np.testing.assert_allclose(fit.cov_re, reference.cov_re, rtol=1e-3, atol=1e-4)
    # ML shrinks the random-effect variances that REML corrects for the fixed effects
    assert (np.diag(fit.cov_re) < np.diag(fit_reml(y, X, X, groups).cov_re)).all()


def test_summary_names_what_lme4_prints():
    y, X, g, k, n = _one_way()
    ml = fit_reml(y, X, X, g, reml=False).summary(["(Intercept)"], ["subject"])
    assert ml["deviance"] == pytest.approx(-2 * ml["loglik"])
    assert ml["aic"] == pytest.approx(ml["deviance"] + 2 * 3)
    assert ml["bic"] == pytest.approx(ml["deviance"] + np.log(k * n) * 3)
    assert ml["sd:subject"] == pytest.approx(np.sqrt(ml["var:subject"]))
    assert (ml["n_obs"], ml["n_groups"]) == (k * n, k)
    reml = fit_reml(y, X, X, g).summary(["(Intercept)"], ["subject"])
    assert "reml_criterion" in reml and "aic" not in reml
    with pytest.raises(ValueError, match="need 1 fixed-effect and 1 random-effect names"):
        fit_reml(y, X, X, g).summary(["a", "b"], ["subject"])


def test_profiled_loglike_is_highest_at_the_fit():
    y, X, g, _, _ = _one_way()
    for reml in (True, False):
        fit = fit_reml(y, X, X, g, reml=reml)
        psi = fit.cov_re / fit.scale
        best = profiled_loglike(y, X, X, g, psi, reml=reml)
        assert best == pytest.approx(fit.loglike, abs=1e-9)
        assert profiled_loglike(y, X, X, g, psi * 1.1, reml=reml) < best
        assert profiled_loglike(y, X, X, g, psi / 1.1, reml=reml) < best


def test_bad_input():
    y, X, g, _, _ = _one_way()
    with pytest.raises(TypeError, match="reml must be True or False"):
        fit_reml(y, X, X, g, reml="ML")
    with pytest.raises(ValueError, match="symmetric 1 x 1"):
        profiled_loglike(y, X, X, g, np.eye(2))
    with pytest.raises(ValueError, match="positive definite"):
        profiled_loglike(y, X, X, g, np.array([[-1.0]]))
