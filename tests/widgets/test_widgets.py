"""The chapter explorers, driven headlessly as a reader would drive them: set a control,
check what the explorer computed and drew, and that its fast estimators are the full ones.

Directions are checked where the statistics say which way a number must move;
estimates against the truth with tolerances from their standard errors (written
beside each check). Every explorer is deterministic (fixed seeds).
"""

import dataclasses
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
import traitlets

from book.datasets.canonical import load_study
from book.estimation.decomposition import person_mean_center
from book.estimation.multilevel import fit_lagged_model
from book.estimation.nickell import nickell_bias
from book.estimation.panel import add_lags
from book.montecarlo.panels import chunk_seed, simulate_panels
from book.montecarlo.runner import CHUNK_CELLS, run_design_study
from book.simulation.engine import true_effects
from book.simulation.parameters import SimulationParameters
from book.widgets import between_within, design, moderation, nickell, study
from book.widgets.between_within import (
    between_within_explorer,
    level_slopes,
    two_level_sample,
)
from book.widgets.design import PATIENTS, SESSIONS, design_explorer, power_lookup
from book.widgets.moderation import moderation_explorer
from book.widgets.nickell import nickell_explorer, symptom_panel
from book.widgets.study import study_explorer

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def canonical():
    return load_study()


@pytest.fixture(scope="module")
def detrended_fit(canonical):
    return fit_lagged_model(canonical, detrend=True)


@pytest.fixture(scope="module")
def explorers(canonical, detrended_fit):
    """One of each, at the defaults (module-scoped: tests that move a control restore it)."""
    return {
        "study": study_explorer(),
        "between_within": between_within_explorer(),
        "nickell": nickell_explorer(),
        "moderation": moderation_explorer(detrended_fit, study=canonical),
        "design": design_explorer(),
    }


MODULES = {
    "study": study,
    "between_within": between_within,
    "nickell": nickell,
    "moderation": moderation,
    "design": design,
}
PANELS = {"study": 3, "between_within": 1, "nickell": 1, "moderation": 2, "design": 2}


def _options(control):
    """The values a control can take, smallest first, and its step (None for choices)."""
    if hasattr(control, "options"):  # a SelectionSlider: a list of choices
        return list(control.options), None
    return [control.min, control.max], control.step


def _small_move(control):
    """Four steps to the right (left at the end): a reader's small move."""
    values, step = _options(control)
    if step is None:
        i = values.index(control.value)
        return values[i + 4] if i + 4 < len(values) else values[i - 4]
    return control.value + (4 * step if control.value + 4 * step <= control.max else -4 * step)


def _data_of(fig_or_axes):
    """Every line's and every collection's data in a figure (or axes), as plain arrays."""
    axes = fig_or_axes.axes if hasattr(fig_or_axes, "axes") else fig_or_axes
    out = []
    for ax in np.atleast_1d(axes):
        out += [np.asarray(line.get_xydata(), dtype=float) for line in ax.lines]
        out += [np.asarray(c.get_offsets(), dtype=float) for c in ax.collections]
    return out


# -- what every explorer does ------------------------------------------------------------------


@pytest.mark.parametrize("name", list(MODULES))
def test_each_explorer_builds_headlessly_and_says_what_to_try(explorers, name):
    explorer = explorers[name]
    assert explorer.message == ""
    assert bytes(explorer.image.value).startswith(PNG)
    header = explorer.widget.children[0].value
    try_this = MODULES[name].TRY_THIS
    assert try_this in header.replace("&#x27;", "'")
    assert len(re.findall(r"[.!?](\s|$)", try_this)) == 1 and try_this.endswith(".")  # one sentence
    assert explorer.status.value  # the numbers are printed beside the figure
    # shown in a notebook, it is the widget (a VBox of controls, status and figure)
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle


@pytest.mark.parametrize("name", list(MODULES))
def test_controls_are_bounded(explorers, name):
    explorer = explorers[name]
    for control in explorer.controls.values():
        default = control.value
        values, step = _options(control)
        with explorer._quiet():
            if step is None:  # choices: anything else is refused, the value stays
                for outside in (values[0] - 1, values[-1] + 1):
                    with pytest.raises(traitlets.TraitError):
                        control.value = outside
                    assert control.value == default
            else:  # a range: values beyond it are clipped to its bounds
                control.value = control.max + 100 * step
                assert control.value == control.max
                control.value = control.min - 100 * step
                assert control.value == control.min
                control.value = default
        assert control.continuous_update is False  # recompute on release, not per pixel


@pytest.mark.parametrize("name", list(MODULES))
def test_moving_every_control_changes_the_picture(explorers, name):
    explorer = explorers[name]
    for key, control in explorer.controls.items():
        default = control.value
        png, data = bytes(explorer.image.value), _data_of(explorer.figure)
        control.value = _small_move(control)
        assert bytes(explorer.image.value) != png, f"{key}: the PNG did not change"
        changed = [
            a.shape != b.shape or not np.allclose(a, b, equal_nan=True)
            for a, b in zip(data, _data_of(explorer.figure), strict=True)
        ]
        assert any(changed), f"{key}: no drawn data changed"
        control.value = default
    assert explorer.message == ""


@pytest.mark.parametrize("name", list(MODULES))
def test_draw_gives_the_live_view_as_a_static_figure(explorers, name):
    explorer = explorers[name]
    n = PANELS[name]
    fig, axes = plt.subplots(1, n, figsize=(4 * n, 3))
    explorer.draw(axes)
    static = _data_of(axes)
    live = _data_of(explorer.figure)
    assert len(static) == len(live)
    for a, b in zip(static, live, strict=True):
        np.testing.assert_allclose(a, b, equal_nan=True)
    plt.close(fig)
    fig, too_many = plt.subplots(1, n + 1)
    with pytest.raises(ValueError, match=f"draws {n} panel"):
        explorer.draw(too_many)
    plt.close(fig)


def test_set_changes_several_controls_with_one_update(explorers):
    explorer = explorers["nickell"]
    before = explorer.updates
    explorer.set(sessions=6, rho=0.5)
    assert explorer.updates == before + 1
    assert (explorer.sessions, explorer.rho) == (6, 0.5)
    with pytest.raises(ValueError, match=r"no control\(s\) \['T'\]"):
        explorer.set(T=5)
    explorer.set(sessions=12, rho=0.3)


# -- the simulated study -------------------------------------------------------------------------


def test_study_explorer_at_its_defaults_is_the_canonical_study(explorers, canonical):
    explorer = explorers["study"]
    # the same numbers (load_study reads nullable integer columns; simulate makes NumPy ones)
    pd.testing.assert_frame_equal(explorer.study.sessions, canonical.sessions, check_dtype=False)
    # the four patients drawn are the canonical study's, session for session
    for line, pid in zip(explorer.figure.axes[0].lines, explorer.patient_ids, strict=True):
        rows = canonical.sessions[canonical.sessions["patient_id"] == pid]
        # data/ stores five decimals
        np.testing.assert_allclose(line.get_ydata(), rows["alliance"], rtol=1e-5, equal_nan=True)


def test_more_within_variance_lowers_the_icc_and_more_trait_variance_raises_it():
    explorer = study_explorer()
    icc = []
    for sd in (0.1, 0.3, 0.6):
        explorer.controls["state_sd"].value = sd
        icc.append((explorer.icc_parameters, explorer.icc_estimate))
    assert icc[0][0] > icc[1][0] > icc[2][0]
    assert icc[0][1] > icc[1][1] > icc[2][1]
    explorer.set(state_sd=0.3, trait_sd=0.8)
    assert explorer.icc_parameters > icc[1][0] and explorer.icc_estimate > icc[1][1]
    # the parameters' ICC is the formula; the estimate is the ANOVA ICC of what was simulated
    assert explorer.icc_parameters == pytest.approx(0.8**2 / (0.8**2 + 0.3**2))
    bars = [p.get_width() for p in explorer.figure.axes[2].patches[:2]]
    np.testing.assert_allclose(
        sorted(bars), sorted([explorer.icc_estimate, explorer.icc_parameters])
    )


def test_the_effect_sliders_reach_the_simulated_truth():
    explorer = study_explorer(effect=-0.3, moderation=-0.1)
    p = explorer.params
    truth = explorer.study.truth.patients
    ratio = p.symptom_state_sd / p.state_sd
    # the patients' true effects average beta0 * ratio up to the sampling of IIP and of the
    # unexplained part: SE = ratio * sqrt(beta_iip^2 + sd^2) / sqrt(240) = 0.096; 4 SE
    assert truth["alliance_effect"].mean() == pytest.approx(-0.3 * ratio, abs=0.39)
    assert explorer.true_effects["mean IIP"] == pytest.approx(-0.3 * ratio)
    assert np.corrcoef(truth["iip_z"], truth["alliance_effect"])[0, 1] < -0.5
    explorer.controls["moderation"].value = 0.1
    truth = explorer.study.truth.patients
    assert np.corrcoef(truth["iip_z"], truth["alliance_effect"])[0, 1] > 0.5
    assert explorer.true_effects["IIP +1 SD"] > explorer.true_effects["IIP -1 SD"]


def test_the_autoregression_slider_makes_states_persist():
    explorer = study_explorer()

    def lag1(e):
        s = e.study.truth.sessions.pivot(
            index="patient_id", columns="session", values="alliance_state"
        ).to_numpy()
        return np.corrcoef(s[:, :-1].ravel(), s[:, 1:].ravel())[0, 1]

    explorer.controls["rho"].value = 0.0
    low = lag1(explorer)
    explorer.controls["rho"].value = 0.6
    high = lag1(explorer)
    # 240 x 11 pairs: the SE of a correlation is about 0.02; the gap is 0.6
    assert low == pytest.approx(0.0, abs=0.1) and high == pytest.approx(0.6, abs=0.1)


def test_impossible_dynamics_give_a_message_and_keep_the_last_view():
    explorer = study_explorer()
    explorer.controls["rho"].value = 0.9
    assert "explosive for some patients" in explorer.message  # the parameters refuse it
    explorer.controls["rho"].value = 0.5
    kept = explorer.study
    explorer.controls["effect"].value = -0.5  # with rho 0.5: no stationary process exists
    assert "leave no room for random innovations" in explorer.message  # the simulator does
    assert "no room" in explorer.status.value
    assert "last setting that worked" in explorer.status.value
    assert explorer.study is kept
    explorer.controls["rho"].value = 0.2
    assert explorer.message == ""


def test_study_explorer_refuses_unknown_controls():
    with pytest.raises(ValueError, match=r"unknown control\(s\) \['icc'\]"):
        study_explorer(icc=0.5)


# -- between and within --------------------------------------------------------------------------


def test_fitted_slopes_follow_the_set_slopes_within_their_standard_errors():
    explorer = between_within_explorer()
    for between, within in [(-6, 6), (6, -6), (-4, -4), (0, 8)]:
        explorer.set(between=between, within=within)
        s, d = explorer.slopes["slope"], explorer.data
        parts = person_mean_center(d, "alliance")
        # OLS standard errors from the generating noise (SD 1 within, 0.7 + 1/sqrt(10) between)
        se_within = 1.0 / np.sqrt((parts["alliance_within"] ** 2).sum())
        means = parts.groupby("patient_id")["alliance_between"].first()
        se_between = np.sqrt(0.7**2 + 1 / 10) / np.sqrt(((means - means.mean()) ** 2).sum())
        assert s["within"] == pytest.approx(within, abs=4 * se_within)
        assert s["between"] == pytest.approx(between, abs=4 * se_between)
    explorer.set(between=-6, within=6)
    assert explorer.slopes.loc["between", "slope"] < 0 < explorer.slopes.loc["within", "slope"]


def test_the_drawn_lines_have_the_fitted_slopes(explorers):
    explorer = explorers["between_within"]
    ax = explorer.figure.axes[0]
    between, pooled = ax.lines[0], ax.lines[1]
    for line, level in ((between, "between"), (pooled, "pooled")):
        (x0, x1), (y0, y1) = line.get_xdata(), line.get_ydata()
        assert (y1 - y0) / (x1 - x0) == pytest.approx(explorer.slopes.loc[level, "slope"])
    segments = ax.collections[1].get_segments()
    assert len(segments) == 10
    for seg in segments:
        (x0, y0), (x1, y1) = seg
        assert (y1 - y0) / (x1 - x0) == pytest.approx(explorer.slopes.loc["within", "slope"])


def test_level_slopes_equal_statsmodels_least_squares():
    d = two_level_sample(-3.0, 5.0, seed=4)
    d = d.drop(index=[3, 17, 18, 55])  # unbalanced: the identities hold without balance
    ours = level_slopes(d, "alliance", "bdi_next")
    pooled = smf.ols("bdi_next ~ alliance", d).fit()
    dummies = smf.ols("bdi_next ~ alliance + C(patient_id)", d).fit()
    means = d.groupby("patient_id")[["alliance", "bdi_next"]].mean()
    between = smf.ols("bdi_next ~ alliance", means).fit()
    assert ours.loc["pooled", "slope"] == pytest.approx(pooled.params["alliance"], abs=1e-10)
    assert ours.loc["pooled", "intercept"] == pytest.approx(pooled.params["Intercept"], abs=1e-10)
    assert ours.loc["within", "slope"] == pytest.approx(dummies.params["alliance"], abs=1e-10)
    assert ours.loc["between", "slope"] == pytest.approx(between.params["alliance"], abs=1e-10)


def test_level_slopes_equal_the_random_intercept_model_on_balanced_data():
    d = person_mean_center(two_level_sample(-3.0, 5.0, seed=4), "alliance")
    ours = level_slopes(d, "alliance", "bdi_next")
    fit = smf.mixedlm("bdi_next ~ alliance_between + alliance_within", d, groups="patient_id").fit(
        reml=True
    )
    # with balanced data GLS splits into the between and within regressions exactly,
    # whatever the variance estimates: equal up to floating point
    assert fit.params["alliance_within"] == pytest.approx(ours.loc["within", "slope"], abs=1e-6)
    assert fit.params["alliance_between"] == pytest.approx(ours.loc["between", "slope"], abs=1e-6)


def test_level_slopes_say_what_is_missing():
    flat = pd.DataFrame({"patient_id": [1, 1, 2, 2], "x": [1.0, 1.0, 2.0, 2.0], "y": [1.0] * 4})
    with pytest.raises(ValueError, match="does not vary within"):
        level_slopes(flat, "x", "y")
    same = pd.DataFrame({"patient_id": [1, 1, 2, 2], "x": [1.0, 2.0, 1.0, 2.0], "y": [1.0] * 4})
    with pytest.raises(ValueError, match="patient means of 'x' do not vary"):
        level_slopes(same, "x", "y")
    with pytest.raises(ValueError, match="n_patients must be an integer of at least 3"):
        two_level_sample(1, 1, n_patients=2)


# -- dynamic panel bias --------------------------------------------------------------------------


def test_the_within_estimate_is_least_squares_with_patient_dummies(explorers):
    """The explorer's estimate (book.estimation.within, closed form) is statsmodels' fit of
    the lagged model with one dummy per patient, estimate and classical SE."""
    explorer = nickell_explorer(sessions=7, rho=0.4, patients=60)
    symptoms, alliance = symptom_panel(0.4, n_patients=60, n_sessions=7)
    long = pd.DataFrame(
        {
            "patient_id": np.repeat(np.arange(60), 6),
            "bdi_next": symptoms[:, 1:].ravel(),
            "bdi": symptoms[:, :-1].ravel(),
            "alliance": alliance[:, :-1].ravel(),
        }
    )
    ols = smf.ols("bdi_next ~ bdi + alliance + C(patient_id)", long).fit()
    assert explorer.estimate == pytest.approx(ols.params["bdi"], abs=1e-8)
    assert explorer.std_error == pytest.approx(ols.bse["bdi"], abs=1e-8)


def test_the_simulated_estimate_matches_nickells_formula():
    explorer = nickell_explorer(patients=2000)
    for sessions in (4, 8, 20):
        explorer.controls["sessions"].value = sessions
        expected = explorer.rho + nickell_bias(explorer.rho, sessions)
        # the formula is the large-N limit; with 2000 patients the estimate is within
        # 4 of its standard errors of it (the SE is about 1/sqrt(2000 (T - 1)))
        assert explorer.estimate == pytest.approx(expected, abs=4 * explorer.std_error)
        assert explorer.exact_bias == pytest.approx(nickell_bias(0.3, sessions))


def test_more_sessions_mean_less_bias():
    explorer = nickell_explorer()
    biases = []
    for sessions in (4, 8, 16, 30):
        explorer.controls["sessions"].value = sessions
        biases.append(explorer.estimate - explorer.rho)
    assert all(b < 0 for b in biases)
    assert abs(biases[0]) > abs(biases[1]) > abs(biases[2]) > abs(biases[3])
    # and the point drawn moves up towards the truth
    point = explorer.figure.axes[0].lines[-1]
    assert point.get_ydata()[0] == pytest.approx(explorer.estimate)


def test_more_patients_narrow_the_interval_but_keep_the_bias():
    explorer = nickell_explorer(sessions=5)
    explorer.controls["patients"].value = 100
    small = (explorer.estimate, explorer.std_error)
    explorer.controls["patients"].value = 2000
    large = (explorer.estimate, explorer.std_error)
    assert large[1] < small[1] / 3  # sqrt(20) = 4.5 times narrower, roughly
    # the bias of five sessions, -0.33, is far outside the large study's interval
    assert large[0] + 1.96 * large[1] < explorer.rho


def test_symptom_panel_starts_stationary():
    y, alliance = symptom_panel(0.6, n_patients=2000, n_sessions=30, seed=5)
    # Var(y_t) = Var(level) + 1 / (1 - rho^2) = 2.5625 at every session; the SE of a
    # variance from 2000 draws is about var * sqrt(2 / 2000) = 0.08
    for t in (0, 29):
        assert y[:, t].var() == pytest.approx(1 + 1 / (1 - 0.36), abs=0.32)
    # the alliance is unrelated to the symptoms (SE of r about 1 / sqrt(2000) = 0.022)
    assert abs(np.corrcoef(alliance[:, 5], y[:, 6])[0, 1]) < 0.09
    with pytest.raises(ValueError, match="rho must be a number in"):
        symptom_panel(1.0, 10, 5)
    with pytest.raises(ValueError, match="n_sessions must be between 2 and 30"):
        symptom_panel(0.3, 10, 31)


# -- moderation ---------------------------------------------------------------------------------


def test_higher_iip_gives_a_more_negative_effect(detrended_fit, canonical):
    explorer = moderation_explorer(detrended_fit, study=canonical)
    assert detrended_fit.coef("alliance_within:iip_c") < 0
    slopes = []
    for iip in np.arange(0.4, 2.9, 0.25):
        explorer.controls["iip"].value = float(iip)
        slopes.append(explorer.slope)
        point = explorer.figure.axes[0].lines[-1]
        assert tuple(point.get_xydata()[0]) == pytest.approx((explorer.iip, explorer.slope))
    assert np.all(np.diff(slopes) < 0)


def test_significance_follows_the_johnson_neyman_bound(detrended_fit):
    explorer = moderation_explorer(detrended_fit)
    bound = next(b for b in explorer.johnson_neyman.bounds if 0.4 < b < 2.9)
    explorer.controls["iip"].value = round(bound - 0.1, 2)
    assert not explorer.significant and explorer.ci_high > 0
    explorer.controls["iip"].value = round(bound + 0.1, 2)
    assert explorer.significant and explorer.ci_high < 0


def test_the_update_path_never_refits(detrended_fit, monkeypatch):
    explorer = moderation_explorer(detrended_fit)

    def refit(*args, **kwargs):
        raise AssertionError("the explorer refitted the model")

    import book.estimation.multilevel
    import book.estimation.reml

    monkeypatch.setattr(book.estimation.multilevel, "fit_reml", refit)
    monkeypatch.setattr(book.estimation.multilevel, "fit_lagged_model", refit)
    monkeypatch.setattr(moderation, "fit_lagged_model", refit)
    for iip in (0.5, 1.5, 2.5):
        explorer.controls["iip"].value = iip
    assert explorer.message == ""


def test_the_explorer_arithmetic_equals_statsmodels_contrasts(detrended_fit):
    """Effect and SE at an IIP are a linear contrast of the fixed effects; statsmodels'
    t_test computes the same contrast from its own fit and covariance."""
    res = detrended_fit.model.fit(reml=True, method="lbfgs")  # statsmodels' own REML fit
    k = len(res.fe_params)
    names = list(detrended_fit.model.exog_names)
    # the same model as statsmodels estimated it (its estimates and covariance)
    sm_fit = dataclasses.replace(
        detrended_fit,
        fixed_effects=detrended_fit.fixed_effects.assign(estimate=res.fe_params.to_numpy()),
        cov_fixed=pd.DataFrame(res.cov_params().to_numpy()[:k, :k], index=names, columns=names),
    )
    # statsmodels and the book's fast REML reach the same maximum (to a few decimals)
    np.testing.assert_allclose(res.fe_params, detrended_fit.fixed_effects["estimate"], atol=2e-3)
    explorer = moderation_explorer(sm_fit)
    for iip in (0.6, 1.6, 2.6):
        explorer.controls["iip"].value = iip
        contrast = np.zeros((1, k))  # over the fixed effects
        contrast[0, names.index("alliance_within")] = 1.0
        contrast[0, names.index("alliance_within:iip_c")] = iip - sm_fit.centering["iip"]
        test = res.t_test(contrast)
        assert explorer.slope == pytest.approx(float(test.effect[0]), abs=1e-6)
        assert explorer.std_error == pytest.approx(float(test.sd[0, 0]), abs=1e-6)


def test_the_truth_line_is_the_simulations(detrended_fit, canonical):
    explorer = moderation_explorer(detrended_fit, study=canonical)
    truth = true_effects(canonical.truth.params)
    explorer.controls["iip"].value = 2.0
    expected = truth["alliance_within"] + truth["alliance_within:iip_c"] * (
        2.0 - canonical.truth.params.iip_mean
    )
    assert explorer.true_slope == pytest.approx(expected)
    assert f"truth {expected:+.2f}" in explorer.figure.axes[1].texts[0].get_text()


def test_moderation_explorer_checks_its_model(canonical):
    with pytest.raises(TypeError, match="fit must come from book.estimation.fit_lagged_model"):
        moderation_explorer("a fit")
    reverse = fit_lagged_model(canonical, direction="symptoms_to_alliance")
    with pytest.raises(ValueError, match="alliance -> symptoms"):
        moderation_explorer(reverse)


# -- study design --------------------------------------------------------------------------------


def test_the_design_explorer_reads_its_grid(explorers):
    explorer = explorers["design"]
    table = power_lookup()  # the results store's grid, as the chapters quote it
    assert explorer.n_reps == int((table["n_reps"] + table["n_failed"]).max())
    for n, t in ((240, 12), (40, 4), (640, 20)):
        explorer.set(patients=n, sessions=t)
        for term, estimator in design.TERMS.items():
            row = table[
                (table["n_patients"] == n)
                & (table["n_sessions"] == t)
                & (table["term"] == term)
                & (table["estimator"] == estimator)
            ]
            assert explorer.power[term] == pytest.approx(float(row["power"].iloc[0]))
            assert explorer.power_mcse[term] == pytest.approx(float(row["power_mcse"].iloc[0]))
        assert f"{n} patients with {t} sessions" in explorer.status.value
    explorer.set(patients=240, sessions=12)


def test_power_grows_with_patients_and_sessions(explorers):
    explorer = explorers["design"]
    # the designs share simulated patients, so the curves are smooth; the checks compare
    # designs far apart, where the gap is many Monte Carlo SEs (at most 0.05 each)
    explorer.controls["sessions"].value = 4  # with 12 the effect is found by 40 patients
    for term in design.TERMS:
        by_patients = explorer.curve(term, "n_patients")["power"].to_numpy()
        assert by_patients[-1] > by_patients[0] + 0.3
        assert np.all(np.diff(by_patients) > -0.1)
    explorer.controls["sessions"].value = 12
    explorer.controls["patients"].value = 40
    by_sessions = explorer.curve("alliance_within", "n_sessions")["power"].to_numpy()
    assert by_sessions[-1] > by_sessions[0] + 0.3
    explorer.controls["patients"].value = 240
    # the moderation is much harder to detect than the effect, at every design
    grid = power_lookup()
    main = grid[(grid.term == "alliance_within") & (grid.estimator == "within")]
    mod = grid[(grid.term == "alliance_within:iip_c") & (grid.estimator == "within_iip")]
    assert np.all(mod["power"].to_numpy() <= main["power"].to_numpy() + 0.1)


def test_nested_designs_agree_with_separately_simulated_studies():
    """The grid takes a design as the first patients and sessions of larger studies;
    studies of that design simulated on their own (the design runner, other seeds) give
    the same results within Monte Carlo error."""
    nested = power_lookup(100).set_index(["n_patients", "n_sessions", "estimator", "term"])
    alone = run_design_study(
        [{"n_therapists": 10, "n_sessions": 6}],
        n_reps=300,
        seed=99,
        estimators=["within", "within_iip"],
    )
    alone = alone.set_index(["estimator", "term"])
    for estimator, term in (("within", "alliance_within"), ("within_iip", "alliance_within:iip_c")):
        a, b = nested.loc[(80, 6, estimator, term)], alone.loc[(estimator, term)]
        # independent Monte Carlo estimates: 4 combined standard errors
        se = np.hypot(a["bias_mcse"], b["bias_mcse"])
        assert a["mean_estimate"] == pytest.approx(b["mean_estimate"], abs=4 * se)
        se = np.hypot(a["power_mcse"], b["power_mcse"]) + 0.01  # + 0.01: a power near 0 or 1
        assert a["power"] == pytest.approx(b["power"], abs=4 * se)


def test_the_grid_estimates_are_least_squares_with_patient_dummies():
    reps = power_lookup(100, replications=True)
    mine = reps[
        (reps.n_patients == 40)
        & (reps.n_sessions == 6)
        & (reps.replication == 0)
        & (reps.estimator == "within")
    ].set_index("term")
    # the same simulated studies as the grid: the first chunk of the largest design, seed 2022
    largest = SimulationParameters(n_therapists=max(PATIENTS) // 8, n_sessions=max(SESSIONS))
    size = CHUNK_CELLS // (largest.n_patients * largest.n_sessions)  # the runner's chunk
    panels = simulate_panels(largest, size, seed=chunk_seed(2022, largest, 0))
    long = panels.long(0)
    long = long[(long["patient_id"] <= 40) & (long["session"] <= 6)]
    frame = add_lags(person_mean_center(long, "alliance"), "bdi", lead=True)
    frame = frame[["patient_id", "bdi", "bdi_next", "alliance_within"]].dropna()
    ols = smf.ols("bdi_next ~ bdi + alliance_within + C(patient_id)", frame).fit()
    for term, name in (("bdi_c", "bdi"), ("alliance_within", "alliance_within")):
        assert mine.loc[term, "estimate"] == pytest.approx(ols.params[name], abs=1e-8)


def test_the_design_update_path_never_simulates(explorers, monkeypatch):
    explorer = explorers["design"]

    def simulate(*args, **kwargs):
        raise AssertionError("the explorer simulated on an update")

    monkeypatch.setattr(design, "replicate_designs", simulate)
    for n in PATIENTS:
        explorer.controls["patients"].value = n
    explorer.controls["patients"].value = 240
    assert explorer.message == ""


def test_design_explorer_refuses_designs_off_its_grid():
    with pytest.raises(ValueError, match="patients must be one of"):
        design_explorer(patients=100)
    with pytest.raises(ValueError, match="multiples of patients_per_therapist"):
        power_lookup(10, patients=(44,))
