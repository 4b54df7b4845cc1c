"""The vectorised within-patient estimators against statsmodels and against theory."""

import numpy as np
import pandas as pd
import patsy
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

from book.datasets.canonical import load_study
from book.estimation.decomposition import person_mean_center
from book.estimation.panel import add_lags
from book.estimation.within import fit_within, panel_arrays, within_formula, within_regression

TERMS = ["bdi_c", "alliance_within"]
TERMS_IIP = [*TERMS, "alliance_within:iip_c"]


@pytest.fixture(scope="module")
def long():
    return load_study().long()


def _model_frame(long: pd.DataFrame) -> pd.DataFrame:
    """The regression's rows, built independently with the book's pandas helpers."""
    d = person_mean_center(long, "alliance")
    d = add_lags(d, "bdi", lead=True)
    d = d[["patient_id", "session", "bdi", "bdi_next", "alliance_within", "iip"]]
    d = d.astype({"patient_id": "int64", "session": "int64", "bdi": float, "bdi_next": float})
    iip = long.groupby("patient_id")["iip"].first()
    d["iip_c"] = d["patient_id"].map(iip - iip.mean())  # per IIP-32 point, at the mean
    d = d.dropna(subset=["bdi", "bdi_next", "alliance_within"]).reset_index(drop=True)
    d["bdi_c"] = d["bdi"] - d["bdi"].mean()  # with patient intercepts, centring changes no slope
    return d


def _within_transform(frame, columns, detrend):
    """Residuals of each column on patient dummies (and patient slopes), by least squares."""
    design = "C(patient_id) + C(patient_id):session - 1" if detrend else "C(patient_id) - 1"
    dummies = np.asarray(patsy.dmatrix(design, frame))
    values = frame[columns].to_numpy(dtype=float)
    coef = np.linalg.lstsq(dummies, values, rcond=None)[0]
    return pd.DataFrame(values - dummies @ coef, columns=columns, index=frame.index)


# With patient slopes, a patient with a single session pair has a slope column
# equal to its dummy times a constant: statsmodels warns and drops the redundant
# direction (pinv), as it should; the fit is still the least-squares fit.
RANK = pytest.mark.filterwarnings("ignore:The design matrix is rank-deficient")


@pytest.mark.slow
@RANK
@pytest.mark.parametrize("detrend", [False, True])
@pytest.mark.parametrize("moderator", [None, "iip"])
def test_equals_statsmodels_with_patient_dummies(long, moderator, detrend):
    """Coefficients and classical SEs equal least squares with one dummy per patient (to 1e-8)."""
    frame = _model_frame(long)
    terms = TERMS_IIP if moderator else TERMS
    formula = within_formula(moderator=moderator, detrend=detrend)
    reference = smf.ols(formula, frame).fit()
    ours = fit_within(long, moderator=moderator, detrend=detrend, cov_type="classical")
    np.testing.assert_allclose(ours["estimate"], reference.params[terms], rtol=0, atol=1e-8)
    np.testing.assert_allclose(ours["std_error"], reference.bse[terms], rtol=0, atol=1e-8)
    assert ours["n_obs"].iloc[0] == reference.nobs
    assert ours["df"].iloc[0] == reference.df_resid


@pytest.mark.slow
@pytest.mark.parametrize("detrend", [False, True])
@pytest.mark.parametrize("moderator", [None, "iip"])
def test_cluster_se_equals_statsmodels(long, moderator, detrend):
    """Cluster-robust SEs equal statsmodels' on the within-transformed data (to 1e-8).

    statsmodels' cluster correction G/(G-1) (N-1)/(N-K) counts only the K
    regressors of the transformed model, as ours does (the patient intercepts
    are nested in the clusters).
    """
    frame = _model_frame(long)
    frame["alliance_x_iip"] = frame["alliance_within"] * frame["iip_c"]
    columns = ["bdi", "alliance_within"] + (["alliance_x_iip"] if moderator else [])
    t = _within_transform(frame, ["bdi_next", *columns], detrend)
    reference = sm.OLS(t["bdi_next"], t[columns]).fit(
        cov_type="cluster", cov_kwds={"groups": frame["patient_id"]}
    )
    ours = fit_within(long, moderator=moderator, detrend=detrend)
    np.testing.assert_allclose(ours["estimate"], reference.params, rtol=0, atol=1e-8)
    np.testing.assert_allclose(ours["std_error"], reference.bse, rtol=0, atol=1e-8)
    assert (ours["df"] == frame["patient_id"].nunique() - 1).all()


def test_missing_session_gives_missing_lag(long):
    """With sessions removed from the middle, pairs follow session numbers, not rows."""
    rng = np.random.default_rng(7)
    holes = long.drop(index=rng.choice(long.index, size=300, replace=False))
    holes = holes.sample(frac=1.0, random_state=3)  # and in any row order
    frame = _model_frame(holes)
    reference = smf.ols(within_formula(), frame).fit()
    ours = fit_within(holes, cov_type="classical")
    np.testing.assert_allclose(ours["estimate"], reference.params[TERMS], rtol=0, atol=1e-8)
    assert ours["n_obs"].iloc[0] == reference.nobs


def test_many_data_sets_at_once_equal_one_at_a_time(long):
    _, arrays = panel_arrays(long, ["bdi", "alliance", "iip"])
    rng = np.random.default_rng(11)
    stacks = [arrays["bdi"] + rng.normal(0, 2, arrays["bdi"].shape) for _ in range(4)]
    y = np.stack(stacks)
    x = np.broadcast_to(arrays["alliance"], y.shape)
    z = np.broadcast_to(np.nanmean(arrays["iip"], axis=1), y.shape[:2])
    together = within_regression(y, x, moderator=z)
    for r in range(4):
        alone = within_regression(y[r], x[r], moderator=z[r])
        np.testing.assert_allclose(together.estimate[r], alone.estimate, rtol=1e-12)
        np.testing.assert_allclose(together.std_error[r], alone.std_error, rtol=1e-12)


def test_centring_the_alliance_first_changes_nothing(long):
    centred = person_mean_center(long, "alliance")
    a = fit_within(long, moderator="iip")
    b = fit_within(centred, predictor="alliance_within", moderator="iip")
    np.testing.assert_allclose(a["estimate"], b["estimate"], rtol=1e-10)


def test_coverage_of_a_correctly_specified_model():
    """Exogenous predictor, patient intercepts, heteroskedastic errors: the model holds.

    y[t+1] = alpha_i + 0.5 x[t] + e, with x independent of everything and
    error SDs differing between patients. 4,000 data sets of 60 patients x 10
    sessions. Monte Carlo SE of a coverage near .95 is sqrt(.95 * .05 / 4000)
    = 0.0034; we allow 3 of them plus 0.005 for the t approximation with 59
    clusters. The lagged outcome has a true coefficient of 0; its Nickell bias
    leaks into the predictor's only at order 1/T^2 (< 0.01 here, while the
    MC SE of the mean estimate is 0.0013), so the mean is checked to 0.01.
    """
    rng = np.random.default_rng(2022)
    R, n, T, beta = 4000, 60, 10, 0.5
    x = rng.normal(size=(R, n, T))
    sd = rng.uniform(0.5, 2.0, size=(R, n, 1))
    y = np.empty((R, n, T))
    y[..., 0] = rng.normal(size=(R, n))
    y[..., 1:] = rng.normal(3, 1, size=(R, n, 1)) + beta * x[..., :-1]
    y[..., 1:] += sd * rng.standard_normal((R, n, T - 1))
    fit = within_regression(y, x)
    low, high = fit.conf_int()
    coverage = np.mean((low[:, 1] <= beta) & (beta <= high[:, 1]))
    assert abs(coverage - 0.95) < 3 * 0.0034 + 0.005
    assert fit.estimate[:, 1].mean() == pytest.approx(beta, abs=0.01)
    # the reported SE matches the spread of the estimates (MC SE of an SD: 1.1%)
    assert np.sqrt(np.mean(fit.std_error[:, 1] ** 2)) == pytest.approx(
        fit.estimate[:, 1].std(), rel=0.05
    )


def test_not_estimable_gives_nan_in_batches_and_an_error_for_one_study():
    y = np.full((2, 3, 4), np.nan)
    y[0] = np.arange(12.0).reshape(3, 4)  # outcome without noise, predictor constant
    fit = within_regression(y, np.ones_like(y))
    assert np.isnan(fit.estimate).all()
    d = pd.DataFrame(
        {"patient_id": [1, 1, 1], "session": [1, 2, 3], "bdi": [20, 18, 15], "alliance": [4, 4, 4]}
    )
    with pytest.raises(ValueError, match="cannot be estimated"):
        fit_within(d)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"cov_type": "robust"}, "cov_type must be one of"),
        ({"names": "bdi"}, "three names"),
        ({"predictor": np.ones((3, 5))}, "same shape"),
        ({"outcome": np.ones((3, 2)), "predictor": np.ones((3, 2))}, "at least 3 sessions"),
        ({"moderator": np.ones(4)}, "moderator must have shape"),
    ],
)
def test_within_regression_bad_input(kwargs, match):
    args = {"outcome": np.ones((3, 4)), "predictor": np.ones((3, 4)), **kwargs}
    with pytest.raises(ValueError, match=match):
        within_regression(**args)


def test_fit_within_bad_input(long):
    with pytest.raises(ValueError, match=r"column\(s\) \['wai'\] not in data"):
        fit_within(long, predictor="wai")
    with pytest.raises(ValueError, match="constant within each patient"):
        fit_within(long, moderator="alliance")
    with pytest.raises(ValueError, match="duplicate"):
        fit_within(pd.concat([long, long.head(1)]))
    with pytest.raises(ValueError, match="level must be"):
        fit_within(long, level=95)
    with pytest.raises(TypeError, match="DataFrame"):
        fit_within(long.to_dict())
