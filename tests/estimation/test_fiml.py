"""Full-information ML for path models: closed forms, derivatives, errors.

The engine is checked against results that hold exactly: the normal ML
estimates of a saturated model (sample means and covariances, divisor n);
Anderson's (1957) closed-form ML estimates for a bivariate normal sample with
one variable missing for some units (monotone missingness); the analytic
gradient and information against finite differences of the log-likelihood.
The comparisons with lavaan are in test_riclpm_lavaan.py.
"""

import numpy as np
import pandas as pd
import pytest

from book.estimation import fiml
from book.estimation.fiml import Path, PathModel, fit_path_model
from book.estimation.riclpm import riclpm_model


def _saturated(names):
    paths = [Path(a, "~~", b) for i, a in enumerate(names) for b in names[: i + 1]]
    return PathModel(observed=tuple(names), latent=(), paths=tuple(paths))


def test_saturated_model_gives_the_sample_moments():
    """Complete data: ML means and covariances are the sample ones with divisor n."""
    rng = np.random.default_rng(3)
    y = rng.multivariate_normal(
        [1.0, -2.0, 0.5], [[2, 0.6, 0.3], [0.6, 1, -0.2], [0.3, -0.2, 3]], 150
    )
    data = pd.DataFrame(y, columns=["a", "b", "c"])
    fit = fit_path_model(_saturated(["a", "b", "c"]), data)
    assert fit.converged
    cov = np.cov(y.T, bias=True)
    np.testing.assert_allclose(fit.implied_cov, cov, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(fit.implied_mean, y.mean(axis=0), rtol=1e-7, atol=1e-9)
    # the maximised log-likelihood is the normal one at those moments
    n, p = y.shape
    expected = -0.5 * n * (np.linalg.slogdet(cov)[1] + p + p * np.log(2 * np.pi))
    assert fit.loglik == pytest.approx(expected, abs=1e-6)
    # and the standard error of a mean is sqrt(s^2 / n)
    assert fit.std_error("mean:a") == pytest.approx(np.sqrt(cov[0, 0] / n), rel=1e-5)


def test_fiml_with_monotone_missingness_matches_andersons_closed_form():
    """x complete, y missing for a third of units (at random given x): Anderson (1957)."""
    rng = np.random.default_rng(4)
    n = 300
    x = rng.normal(2.0, 1.5, n)
    y = 1.0 + 0.8 * x + rng.normal(0, 1.0, n)
    observed = rng.random(n) < 1 / (1 + np.exp(-(x - 2.0)))  # MAR: depends on x only
    data = pd.DataFrame({"x": x, "y": np.where(observed, y, np.nan)})
    fit = fit_path_model(_saturated(["x", "y"]), data)
    assert fit.converged
    mu_x, s_xx = x.mean(), x.var()
    xc, yc = x[observed], y[observed]
    slope = np.cov(xc, yc, bias=True)[0, 1] / xc.var()
    resid = yc.var() - slope**2 * xc.var()
    mu_y = yc.mean() + slope * (mu_x - xc.mean())
    expected_cov = np.array([[s_xx, slope * s_xx], [slope * s_xx, resid + slope**2 * s_xx]])
    np.testing.assert_allclose(fit.implied_mean, [mu_x, mu_y], rtol=1e-7)
    np.testing.assert_allclose(fit.implied_cov, expected_cov, rtol=1e-6)
    # complete-case and pairwise means are biased here; FIML's is not
    assert abs(yc.mean() - mu_y) > 0.1


@pytest.fixture(scope="module")
def riclpm_problem():
    """A small RI-CLPM likelihood (4 waves, 60 patients, some values missing)."""
    rng = np.random.default_rng(5)
    model = riclpm_model(4)
    comp = fiml._Compiled(model)
    theta = np.zeros(comp.k)
    values = {"ar_a": 0.3, "ar_s": 0.4, "a_to_s": -0.2, "s_to_a": 0.1, "RI_A~~RI_A": 0.5}
    values |= {"RI_S~~RI_S": 0.6, "RI_A~~RI_S": 0.1}
    for t in range(1, 5):
        values |= {f"wA{t}~~wA{t}": 0.7, f"wS{t}~~wS{t}": 0.8, f"wA{t}~~wS{t}": 0.05 * t}
    for name, v in values.items():
        theta[comp.p + comp.names.index(name)] = v
    mu, sigma, _ = comp.implied(theta)
    y = rng.multivariate_normal(mu, sigma, 60)
    y[rng.random(y.shape) < 0.15] = np.nan
    patterns = fiml._Patterns(y, np.nanmean(y, axis=0))
    return comp, patterns, theta + 0.05 * rng.normal(size=comp.k)


def test_gradient_is_the_derivative_of_the_log_likelihood(riclpm_problem):
    comp, patterns, theta = riclpm_problem
    ll, grad, _ = fiml._evaluate(comp, patterns, theta)
    h = 1e-6
    numeric = np.array(
        [
            (
                fiml._evaluate(comp, patterns, theta + h * e)[0]
                - fiml._evaluate(comp, patterns, theta - h * e)[0]
            )
            / (2 * h)
            for e in np.eye(comp.k)
        ]
    )
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-5)


def test_information_is_minus_the_hessian(riclpm_problem):
    """Analytic observed information against central differences of the analytic gradient,
    away from the maximum (where the curvature of Sigma(theta) matters)."""
    comp, patterns, theta = riclpm_problem
    _, _, state = fiml._evaluate(comp, patterns, theta)
    info = fiml._information(comp, patterns, theta, state)
    h = 1e-6
    numeric = -np.array(
        [
            (
                fiml._evaluate(comp, patterns, theta + h * e)[1]
                - fiml._evaluate(comp, patterns, theta - h * e)[1]
            )
            / (2 * h)
            for e in np.eye(comp.k)
        ]
    )
    np.testing.assert_allclose(info, 0.5 * (numeric + numeric.T), rtol=1e-5, atol=1e-4)


def test_regression_slope_and_its_standard_error():
    """A regression as a path model: the OLS slope, and the ML standard error of it
    (residual variance with divisor n, regressor random: sqrt(s2_e / (n s2_x)))."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=200)
    y = 0.5 * x + rng.normal(size=200)
    model = PathModel(
        observed=("x", "y"),
        latent=(),
        paths=(Path("y", "~", "x", label="b"), Path("x", "~~", "x"), Path("y", "~~", "y")),
    )
    fit = fit_path_model(model, pd.DataFrame({"x": x, "y": y}))
    b, a = np.polyfit(x, y, 1)
    resid = y - a - b * x
    assert fit.estimate("b") == pytest.approx(b, rel=1e-7)
    assert fit.estimate("y~~y") == pytest.approx(resid.var(), rel=1e-6)
    assert fit.std_error("b") == pytest.approx(np.sqrt(resid.var() / (200 * x.var())), rel=1e-5)


def test_scaling_leaves_the_fit_unchanged():
    """Fitting in other units (scale) gives the same estimates in the data's units."""
    rng = np.random.default_rng(2)
    x = rng.normal(10, 3, 100)
    y = 2.0 * x + rng.normal(0, 5, 100)
    y[:20] = np.nan
    model = PathModel(
        observed=("x", "y"),
        latent=(),
        paths=(Path("y", "~", "x", label="b"), Path("x", "~~", "x"), Path("y", "~~", "y")),
    )
    data = pd.DataFrame({"x": x, "y": y})
    plain = fit_path_model(model, data)
    scaled = fit_path_model(model, data, scale={"x": 3.0, "y": 7.0})
    pd.testing.assert_frame_equal(plain.parameters, scaled.parameters, rtol=1e-6)
    assert plain.loglik == pytest.approx(scaled.loglik, abs=1e-6)


def test_syntax_and_table():
    model = riclpm_model(3)
    table = model.table()
    assert len(table) == len(model.paths) and (table["meaning"] != "").all()
    assert set(table.loc[table["free"], "label"]) == set(model.free_parameters)
    assert model.syntax().count("a_to_s*") == 2  # one per pair of waves, one label


def test_model_and_data_errors():
    with pytest.raises(ValueError, match="op must be one of"):
        Path("a", "->", "b")
    with pytest.raises(ValueError, match="a label or a value, not both"):
        Path("a", "~", "b", label="x", value=1.0)
    with pytest.raises(ValueError, match="unknown variable 'c'"):
        PathModel(observed=("a", "b"), latent=(), paths=(Path("a", "~", "c"),))
    with pytest.raises(ValueError, match="is not a latent variable"):
        PathModel(observed=("a", "b"), latent=(), paths=(Path("a", "=~", "b"),))
    with pytest.raises(ValueError, match="listed twice"):
        PathModel(
            observed=("a", "b"), latent=(), paths=(Path("a", "~~", "b"), Path("b", "~~", "a"))
        )
    model = _saturated(["a", "b"])
    with pytest.raises(TypeError, match="DataFrame"):
        fit_path_model(model, np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"column\(s\) \['b'\] not in data"):
        fit_path_model(model, pd.DataFrame({"a": [1.0, 2.0]}))
    with pytest.raises(ValueError, match="missing must be"):
        fit_path_model(model, pd.DataFrame({"a": [1.0, 2.0], "b": [1.0, 3.0]}), missing="listwise")
    with pytest.raises(ValueError, match="at least 2 rows"):
        fit_path_model(model, pd.DataFrame({"a": [1.0, np.nan], "b": [2.0, np.nan]}))
    with pytest.raises(ValueError, match="infinite"):
        fit_path_model(model, pd.DataFrame({"a": [1.0, np.inf, 2.0], "b": [2.0, 1.0, 0.0]}))
    with pytest.raises(ValueError, match="positive factor"):
        fit_path_model(model, pd.DataFrame({"a": [1.0, 2.0], "b": [2.0, 1.0]}), scale={"a": 1.0})
    with pytest.raises(ValueError, match="unknown parameter"):
        fit_path_model(
            model, pd.DataFrame({"a": [1.0, 2.0, 4.0], "b": [2.0, 1.0, 0.0]}), start={"z": 1}
        )
