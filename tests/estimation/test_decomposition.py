"""The intraclass correlation, the repeated-measures correlation, person trends and
the reliability of a person mean: against the simulation's truth, published
figures and reference implementations (pingouin, statsmodels, R's rmcorr)."""

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
import statsmodels.formula.api as smf
from hypothesis import given, settings
from hypothesis import strategies as st

from book.datasets.literature import published_effects
from book.estimation.decomposition import (
    detrend,
    icc,
    person_mean_center,
    person_mean_reliability,
    person_trends,
    within_correlation,
)
from book.estimation.panel import add_lags
from book.simulation.engine import SimulationParameters, simulate


def one_way(rng, sizes, rho, mean=3.9):
    """One-way random-effects data x = mean + u_i + e_it with ICC rho, unit total variance."""
    groups = np.repeat(np.arange(len(sizes)), sizes)
    u = rng.normal(scale=np.sqrt(rho), size=len(sizes))
    e = rng.normal(scale=np.sqrt(1 - rho), size=len(groups))
    return pd.DataFrame({"patient_id": groups + 1, "x": mean + u[groups] + e})


# --- ICC ---------------------------------------------------------------------------


def test_icc_matches_pingouin_on_balanced_data():
    """Balanced data: the one-way ICC(1,1) of pingouin (a reference implementation)."""
    rng = np.random.default_rng(11)
    d = one_way(rng, [6] * 25, rho=0.4)
    d["session"] = d.groupby("patient_id").cumcount() + 1
    ours = icc(d, "x").iloc[0]
    old = pg.options["round.column.CI95"]
    pg.options["round.column.CI95"] = None  # pingouin rounds its interval by default
    try:
        ref = pg.intraclass_corr(d, targets="patient_id", raters="session", ratings="x")
    finally:
        pg.options["round.column.CI95"] = old
    ref = ref.set_index("Type").loc["ICC(1,1)"]
    assert ours["icc"] == pytest.approx(ref["ICC"], abs=1e-12)
    assert ours["F"] == pytest.approx(ref["F"], rel=1e-12)
    assert (ours["df1"], ours["df2"]) == (ref["df1"], ref["df2"])
    assert ours["p_value"] == pytest.approx(ref["pval"], rel=1e-9)
    np.testing.assert_allclose([ours["ci_low"], ours["ci_high"]], ref["CI95"], atol=1e-12)
    assert ours["n0"] == 6


def test_icc_equals_the_reml_random_intercept_model_on_balanced_data():
    """The model the study explorer's ICC stands in for: a random-intercept model.

    With balanced groups and MS_B > MS_W, the ANOVA variance components are the
    REML estimates (Searle, Casella & McCulloch 1992, ch. 3), so the ICC equals
    the one from statsmodels' MixedLM fitted by REML. The tolerances are those
    of MixedLM's optimiser, which stops about 1e-5 short of the exact optimum
    here (1.5e-5 in the ICC); a wrong formula (e.g. MS_B
    in place of MS_B - MS_W) misses by more than 1e-2."""
    rng = np.random.default_rng(12)
    d = one_way(rng, [8] * 40, rho=0.5)
    ours = icc(d, "x").iloc[0]
    fit = smf.mixedlm("x ~ 1", d, groups=d["patient_id"]).fit(reml=True)
    var_b, var_w = float(fit.cov_re.iloc[0, 0]), float(fit.scale)
    assert ours["var_between"] == pytest.approx(var_b, rel=1e-4)
    assert ours["var_within"] == pytest.approx(var_w, rel=1e-4)
    assert ours["icc"] == pytest.approx(var_b / (var_b + var_w), abs=1e-4)


def test_icc_variance_components_add_up():
    rng = np.random.default_rng(3)
    d = one_way(rng, rng.integers(2, 12, size=40), rho=0.6)
    r = icc(d, "x").iloc[0]
    assert r["icc"] == pytest.approx(r["var_between"] / (r["var_between"] + r["var_within"]))


def test_icc_recovers_the_simulated_truth():
    """Latent alliance of 2,400 simulated patients, unbalanced by dropout and missing forms.

    With no autoregression, no cross-lag into the alliance, no ruptures, no
    trend and no growth, the latent alliance is exactly trait + white-noise state, so
    the true ICC is trait_sd^2 / (trait_sd^2 + state_sd^2) = .3025 / .3256 = .929
    from the parameters. The large-sample SE of the ANOVA estimator,
    sqrt(2 (1-r)^2 (1+(n-1) r)^2 / (n (n-1) (k-1))) with n = 11, k = 2,400, is
    0.006; therapists (5% of trait variance) add a little clustering. The
    tolerance 0.025 is four SEs.
    """
    p = SimulationParameters(
        n_therapists=300,
        alliance_ar=0.0,
        symptoms_to_alliance=0.0,
        rupture_rate=0.0,
        alliance_trend=0.0,
        alliance_growth_sd=0.0,
    )
    study = simulate(p, seed=2011)
    truth = p.trait_sd**2 / (p.trait_sd**2 + p.state_sd**2)
    latent = study.truth.sessions.query("attended")
    assert latent.groupby("patient_id").size().nunique() > 1  # unbalanced
    r = icc(latent, "alliance_latent").iloc[0]
    assert r["icc"] == pytest.approx(truth, abs=0.025)
    assert r["ci_low"] < truth < r["ci_high"]
    assert r["var_within"] == pytest.approx(p.state_sd**2, rel=0.03)  # SE of MS_W < 1%


@pytest.mark.slow
def test_icc_interval_covers_at_its_nominal_rate():
    """Coverage over 400 simulated unbalanced data sets (30 groups of 2-12, ICC .5).

    The Monte Carlo SE of a coverage of .95 over 400 runs is sqrt(.95 .05 / 400) = .011;
    the band .95 +- .035 is three SEs (plus a little for the approximation with
    unequal group sizes).
    """
    rng = np.random.default_rng(1979)
    hits = 0
    for _ in range(400):
        d = one_way(rng, rng.integers(2, 13, size=30), rho=0.5)
        r = icc(d, "x").iloc[0]
        hits += r["ci_low"] < 0.5 < r["ci_high"]
    assert abs(hits / 400 - 0.95) < 0.035


def test_icc_ignores_missing_values_and_row_order():
    rng = np.random.default_rng(5)
    d = one_way(rng, [5] * 20, rho=0.3)
    with_gaps = pd.concat([d, pd.DataFrame({"patient_id": [1, 2], "x": [np.nan, np.nan]})])
    shuffled = with_gaps.sample(frac=1.0, random_state=2)
    pd.testing.assert_frame_equal(icc(shuffled, "x"), icc(d, "x"))


# --- repeated-measures correlation --------------------------------------------------


@pytest.fixture(scope="module")
def bland_altman():
    # Bland & Altman (1995), table I: pH and PaCO2, 47 observations of 8 subjects;
    # pingouin ships it, so no network is needed
    return pg.read_dataset("rm_corr")


def test_bland_altman_data_are_the_published_table(bland_altman):
    """pingouin's copy is table I of Bland & Altman (1995): 47 rows, 8 subjects, and the
    first rows as printed in the BMJ (subject 1: pH 6.68, 6.53, 6.43, 6.33 with PaCO2
    3.97, 4.12, 4.09, 3.97; subject 2 starts 6.85, 5.27)."""
    assert bland_altman.shape == (47, 3)
    assert bland_altman["Subject"].nunique() == 8
    first = bland_altman[bland_altman["Subject"] == 1]
    np.testing.assert_allclose(first["pH"], [6.68, 6.53, 6.43, 6.33])
    np.testing.assert_allclose(first["PacO2"], [3.97, 4.12, 4.09, 3.97])
    second = bland_altman[bland_altman["Subject"] == 2].iloc[0]
    assert (second["pH"], second["PacO2"]) == (6.85, 5.27)


def test_rm_corr_reproduces_the_published_figures(bland_altman):
    """Bakdash & Marusich (2017): r_rm = -0.507, df = 38, 95% CI [-0.71, -0.23].

    The R package rmcorr 0.7.0 prints r = -0.5067697, p = 0.0008471081 and the
    interval -0.7067146 to -0.2318631 for the same data; we match its seven
    printed digits.
    """
    r = within_correlation(bland_altman, "pH", "PacO2", by="Subject").iloc[0]
    assert round(r["r"], 3) == -0.507
    assert r["df"] == 38
    assert (round(r["ci_low"], 2), round(r["ci_high"], 2)) == (-0.71, -0.23)
    assert r["r"] == pytest.approx(-0.5067697, abs=1e-7)
    assert r["p_value"] == pytest.approx(0.0008471081, rel=1e-6)
    assert r["ci_low"] == pytest.approx(-0.7067146, abs=1e-7)
    assert r["ci_high"] == pytest.approx(-0.2318631, abs=1e-7)


def test_rm_corr_matches_pingouin(bland_altman):
    ours = within_correlation(bland_altman, "pH", "PacO2", by="Subject").iloc[0]
    ref = pg.rm_corr(bland_altman, x="pH", y="PacO2", subject="Subject").iloc[0]
    assert ours["r"] == pytest.approx(ref["r"], abs=1e-12)
    assert ours["df"] == ref["dof"]
    assert ours["p_value"] == pytest.approx(ref["pval"], rel=1e-9)
    # pingouin rounds its interval to two decimals
    np.testing.assert_allclose(np.round([ours["ci_low"], ours["ci_high"]], 2), ref["CI95"])


def test_rm_corr_is_the_ancova_slope_and_test(bland_altman):
    """The common slope and its t test are those of y ~ C(subject) + x (statsmodels)."""
    fit = smf.ols("PacO2 ~ C(Subject) + pH", data=bland_altman).fit()
    ours = within_correlation(bland_altman, "pH", "PacO2", by="Subject").iloc[0]
    assert ours["slope"] == pytest.approx(fit.params["pH"], rel=1e-10)
    assert ours["p_value"] == pytest.approx(fit.pvalues["pH"], rel=1e-8)
    assert ours["df"] == fit.df_resid


def test_rm_corr_recovers_a_within_correlation_opposite_to_the_between_one():
    """4,000 groups of 6: within correlation -.4, between correlation of the levels +.8.

    The SE of r_rm is about (1 - .16) / sqrt(20,000) = 0.006; tolerance 0.025.
    """
    rng = np.random.default_rng(1995)
    k, n, rho = 4000, 6, -0.4
    g = np.repeat(np.arange(k), n)
    u = rng.standard_normal(k)
    v = 0.8 * u + 0.6 * rng.standard_normal(k)
    e, f = rng.standard_normal((2, k * n))
    d = pd.DataFrame({"g": g, "x": u[g] + e, "y": v[g] + rho * e + np.sqrt(1 - rho**2) * f})
    r = within_correlation(d, "x", "y", by="g").iloc[0]
    assert r["r"] == pytest.approx(rho, abs=0.025)
    means = d.groupby("g")[["x", "y"]].mean()
    assert means["x"].corr(means["y"]) > 0.5  # the between association has the other sign


def test_rm_corr_drops_incomplete_pairs(bland_altman):
    d = bland_altman.copy()
    d.loc[[0, 10], "pH"] = np.nan
    ours = within_correlation(d, "pH", "PacO2", by="Subject").iloc[0]
    ref = within_correlation(d.dropna(), "pH", "PacO2", by="Subject").iloc[0]
    assert ours["n"] == 45 and ours["r"] == pytest.approx(ref["r"])


# --- person trends, centering with detrending, Spearman-Brown -----------------------


@pytest.fixture(scope="module")
def sessions():
    study = simulate(seed=4)
    out = study.sessions.copy()
    out["bdi"] = out["bdi"].astype("float64")
    return out


def test_person_trends_are_per_patient_least_squares(sessions):
    trends = person_trends(sessions, "bdi")
    for pid in (1, 50, 200):
        one = sessions[sessions["patient_id"] == pid].dropna(subset=["bdi"])
        slope, intercept = np.polyfit(one["session"], one["bdi"], 1)
        row = trends.loc[pid]
        assert row["slope"] == pytest.approx(slope)
        assert row["intercept"] == pytest.approx(intercept)
        assert row["mean"] == pytest.approx(one["bdi"].mean())
        assert row["n"] == len(one)


def test_person_trends_recover_the_true_symptom_slopes():
    """Latent symptoms of 240 patients with 40 sessions and no dropout: the OLS slope's
    error has SD about 4 * 1.4 / sqrt(5,330) = 0.08 BDI points per session (the 1.4
    allows for autocorrelated states), so patients' slopes correlate > .9 with the truth."""
    p = SimulationParameters(n_sessions=40, dropout_hazard=0.0)
    study = simulate(p, seed=8)
    latent = study.truth.sessions.rename(columns={"symptoms_latent": "y"})
    trends = person_trends(latent, "y")
    true = study.truth.patients.set_index("patient_id")["symptom_slope"]
    assert trends["slope"].corr(true) > 0.9
    assert (trends["slope"] - true).abs().mean() < 0.15


def test_centering_with_detrending_splits_into_three_parts(sessions):
    out = person_mean_center(sessions, "alliance", detrend=True)
    ok = out["alliance_within"].notna()
    total = out["alliance_between"] + out["alliance_trend"] + out["alliance_within"]
    np.testing.assert_allclose(total[ok], out.loc[ok, "alliance"])
    pd.testing.assert_series_equal(
        out["alliance_within"], detrend(sessions, "alliance"), check_names=False
    )
    assert out.groupby("patient_id")["alliance_trend"].sum().abs().max() < 1e-9


def test_spearman_brown_matches_simulated_person_means():
    """Squared correlation of the mean of n sessions with the true level, 20,000 patients.

    For ICC .5 and n = 4 the reliability is .8; the SE of a squared correlation near
    .8 with 20,000 pairs is about 2 r (1 - r^2) / sqrt(N) = 0.003; tolerance 0.015.
    """
    rng = np.random.default_rng(2008)
    k, n, rho = 20_000, 4, 0.5
    level = rng.normal(scale=np.sqrt(rho), size=k)
    scores = level[:, None] + rng.normal(scale=np.sqrt(1 - rho), size=(k, n))
    r2 = np.corrcoef(scores.mean(axis=1), level)[0, 1] ** 2
    assert person_mean_reliability(rho, n) == pytest.approx(0.8)
    assert r2 == pytest.approx(person_mean_reliability(rho, n), abs=0.015)
    assert person_mean_reliability(rho, 1) == rho


# --- lags across missing sessions ----------------------------------------------------


@settings(max_examples=60, derandomize=True, deadline=None)
@given(st.lists(st.booleans(), min_size=3, max_size=12))
def test_a_lag_across_a_missing_session_is_missing(kept):
    """Whatever sessions are missing, a lag is the previous session's value or missing."""
    sessions = [t for t, keep in enumerate(kept, start=1) if keep]
    d = pd.DataFrame({"patient_id": 1, "session": sessions, "x": [10.0 * t for t in sessions]})
    out = add_lags(d, "x")
    for _, row in out.iterrows():
        if row["session"] - 1 in sessions:
            assert row["x_lag"] == 10.0 * (row["session"] - 1)
        else:
            assert np.isnan(row["x_lag"])


# --- bad input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "kwargs", "error", "match"),
    [
        (pd.DataFrame({"patient_id": [1, 1]}), {"column": "wai"}, ValueError, "not in data"),
        (
            pd.DataFrame({"patient_id": [1, 1, 2, 2], "x": list("abcd")}),
            {"column": "x"},
            ValueError,
            "must be numeric",
        ),
        (
            pd.DataFrame({"patient_id": [1, 2, 3], "x": [1.0, 2.0, 3.0]}),
            {"column": "x"},
            ValueError,
            "single observation",
        ),
        (
            pd.DataFrame({"patient_id": [1, 1, 1], "x": [1.0, 2.0, 3.0]}),
            {"column": "x"},
            ValueError,
            "at least 2 groups",
        ),
        (
            pd.DataFrame({"patient_id": [1, 1, 2, 2], "x": [1.0, 1.0, 2.0, 2.0]}),
            {"column": "x"},
            ValueError,
            "does not vary within",
        ),
        (
            pd.DataFrame({"patient_id": [1, 1, None, 2], "x": [1.0, 2.0, 3.0, 4.0]}),
            {"column": "x"},
            ValueError,
            "missing value",
        ),
        (
            pd.DataFrame({"patient_id": [1, 1, 2, 2], "x": [1.0, 2.0, 3.0, 5.0]}),
            {"column": "x", "level": 95},
            ValueError,
            "level must be a number in \\(0, 1\\)",
        ),
        ([1, 2, 3], {"column": "x"}, TypeError, "DataFrame"),
    ],
)
def test_icc_bad_input(data, kwargs, error, match):
    with pytest.raises(error, match=match):
        icc(data, **kwargs)


def test_within_correlation_bad_input(bland_altman):
    with pytest.raises(ValueError, match="two different columns"):
        within_correlation(bland_altman, "pH", "pH", by="Subject")
    with pytest.raises(ValueError, match="degree"):
        within_correlation(bland_altman.iloc[[0, 1, 2, 4]], "pH", "PacO2", by="Subject")
    with pytest.raises(ValueError, match=r"\['subject'\] not in data"):
        within_correlation(bland_altman, "pH", "PacO2", by="subject")
    flat = bland_altman.assign(pH=7.0)
    with pytest.raises(ValueError, match="'pH' does not vary"):
        within_correlation(flat, "pH", "PacO2", by="Subject")


def test_other_bad_input():
    with pytest.raises(ValueError, match="single observation"):
        person_mean_center(pd.DataFrame({"patient_id": [1, 2], "x": [1.0, 2.0]}), "x")
    with pytest.raises(TypeError, match="detrend must be"):
        person_mean_center(pd.DataFrame({"patient_id": [1, 1], "x": [1.0, 2.0]}), "x", detrend=1)
    with pytest.raises(ValueError, match=r"column\(s\) \['session'\]"):
        person_trends(pd.DataFrame({"patient_id": [1, 1], "x": [1.0, 2.0]}), "x")
    with pytest.raises(ValueError, match=r"icc must lie in \[0, 1\]"):
        person_mean_reliability(1.2, 4)
    with pytest.raises(ValueError, match="at least 1"):
        person_mean_reliability(0.5, 0)
    with pytest.raises(ValueError, match="unknown quantities"):
        published_effects("alliance")


def test_published_effects_are_the_checked_figures():
    table = published_effects()
    assert table.loc["alliance_outcome", ["r", "ci_low", "ci_high"]].tolist() == [
        0.278,
        0.256,
        0.299,
    ]
    assert (table["mark"] == "assumption").sum() == 1  # self-esteem only
    assert table.loc["self_esteem", "mark"] == "assumption"
