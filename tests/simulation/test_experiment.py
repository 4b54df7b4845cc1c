"""Experiments in silico: the same patients under two conditions, and a paired difference
that equals what the model's equations imply."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from book.simulation.engine import simulate
from book.simulation.experiment import (
    check_same_patients,
    effect_by_group,
    feedback_parameters,
    paired_outcomes,
    training_trial,
)
from book.simulation.parameters import SimulationParameters

SEED = 31


@pytest.fixture(scope="module")
def pair():
    p = SimulationParameters(n_therapists=50, patients_per_therapist=20)
    control = simulate(p.replace(share_trained=0.0), seed=SEED)
    treated = simulate(p.replace(share_trained=1.0), seed=SEED)
    return control, treated, paired_outcomes(control, treated)


def test_conditions_share_patients_ruptures_and_attendance(pair):
    control, treated, _ = pair
    check_same_patients(control, treated)
    # repair parameters may differ too: still the same patients
    other = simulate(
        control.truth.params.replace(repair_prob_untrained=0.9, unrepaired_persistence=0.2),
        seed=SEED,
    )
    check_same_patients(control, other)


def test_different_seeds_or_rupture_rates_are_not_the_same_patients(pair):
    control, _, _ = pair
    p = control.truth.params
    with pytest.raises(ValueError, match="differ in iip_z"):
        check_same_patients(control, simulate(p, seed=SEED + 1))
    with pytest.raises(ValueError, match="different rupture events"):
        check_same_patients(control, simulate(p.replace(rupture_rate=0.1), seed=SEED))
    with pytest.raises(ValueError, match="different numbers of patients"):
        check_same_patients(control, simulate(seed=SEED))
    with pytest.raises(TypeError, match="simulated Study"):
        check_same_patients(control, "study")


def test_only_patients_with_ruptures_can_differ_and_training_never_undoes_a_repair(pair):
    _, _, pairs = pair
    assert (pairs.loc[pairs["ruptures"] == 0, "difference"] == 0).all()
    # the repair draw is shared: trained therapists repair every rupture untrained ones do
    assert (pairs["repaired_treated"] >= pairs["repaired_control"]).all()
    changed = pairs["repaired_treated"] > pairs["repaired_control"]
    assert (pairs.loc[~changed, "difference"].abs() < 1e-9).all()
    # a repair shows in the symptoms from three sessions after the rupture on (the drop of
    # session t + 2 reaches the symptoms of t + 3); then it leaves fewer symptoms, except for
    # the rare patient whose own alliance effect is positive
    control, treated, _ = pair
    T = control.truth.params.n_sessions
    flips = control.truth.ruptures[
        ~control.truth.ruptures["repaired"].to_numpy()
        & treated.truth.ruptures["repaired"].to_numpy()
    ]
    early_ids = set(flips.loc[flips["session"] <= T - 3, "patient_id"])
    early = pairs["patient_id"].isin(early_ids)
    assert (pairs.loc[early, "difference"] < 0).mean() > 0.95
    assert (pairs.loc[changed & ~early, "difference"].abs() < 1e-9).all()


def _predicted_difference(params, beta_std, depth, session):
    """End-of-treatment symptom change from repairing one rupture, from the model's equations.

    Repair changes the rupture drop from (d, p d, p d, ...) to (d, d/2, 0, ...); the drop of
    session t - 1 enters the symptoms of session t through beta, and the difference then
    runs through the deterministic VAR(1) of the state-like parts (the shocks are shared).
    """
    T, p = params.n_sessions, params.unrepaired_persistence
    delta_r = np.zeros(T + 1)  # index = session; treated minus control of the drop r
    for k, t in enumerate(range(session, T + 1)):
        v_shape = 1.0 if k == 0 else (0.5 if k == 1 else 0.0)
        lasting = 1.0 if k == 0 else p
        delta_r[t] = -depth * (v_shape - lasting)
    da = ds = 0.0
    for t in range(1, T + 1):
        da, ds = (
            params.alliance_ar * da + params.symptoms_to_alliance * ds,
            params.symptom_ar * ds + beta_std * (da + delta_r[t - 1] / params.state_sd),
        )
    return params.symptom_state_sd * ds


def test_paired_difference_equals_what_the_equations_imply(pair):
    control, treated, pairs = pair
    params = control.truth.params
    events = control.truth.ruptures
    one = events.groupby("patient_id").filter(lambda g: len(g) == 1)
    flipped = one[
        ~one["repaired"].to_numpy()
        & treated.truth.ruptures.set_index(["patient_id", "session"])
        .loc[list(zip(one["patient_id"], one["session"], strict=True)), "repaired"]
        .to_numpy()
    ]
    assert len(flipped) > 50
    beta = control.truth.patients.set_index("patient_id")["alliance_effect_std"]
    got = pairs.set_index("patient_id").loc[flipped["patient_id"], "difference"].to_numpy()
    expected = [
        _predicted_difference(params, beta[pid], depth, session)
        for pid, depth, session in zip(
            flipped["patient_id"], flipped["depth"], flipped["session"], strict=True
        )
    ]
    # exact up to floating point: the experiment isolates the repair and nothing else
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9)


def test_patients_with_more_interpersonal_problems_benefit_more(pair):
    _, _, pairs = pair
    table = effect_by_group(pairs, "iip", groups=4)
    lowest, highest = table.iloc[0], table.iloc[-1]
    # 1,000 patients: the difference of the two quarters' means against 4 of its SEs
    gap = lowest["mean_difference"] - highest["mean_difference"]
    assert gap > 4 * np.hypot(lowest["std_error"], highest["std_error"])
    assert highest["share_changed"] > lowest["share_changed"]


def test_effect_by_group_matches_a_direct_computation():
    rng = np.random.default_rng(0)
    pairs = pd.DataFrame({"x": rng.normal(size=200), "difference": rng.normal(size=200)})
    table = effect_by_group(pairs, "x", groups=2, level=0.9)
    low = pairs.loc[pairs["x"] <= pairs["x"].median(), "difference"]
    ci = stats.t.interval(0.9, len(low) - 1, loc=low.mean(), scale=stats.sem(low))
    assert table.loc[0, "patients"] == len(low)
    assert table.loc[0, "mean_difference"] == pytest.approx(low.mean())
    assert (table.loc[0, "ci_low"], table.loc[0, "ci_high"]) == pytest.approx(ci)
    with pytest.raises(ValueError, match="column 'iip' not in pairs"):
        effect_by_group(pairs, "iip")


def test_feedback_raises_repair_only_where_an_alert_helps():
    p = SimulationParameters(repair_prob_untrained=0.4, repair_prob_trained=0.8)
    q = feedback_parameters(p, detection=0.5, repair_when_alerted=0.7)
    assert q.repair_prob_untrained == pytest.approx(0.4 + 0.5 * 0.3)
    assert q.repair_prob_trained == pytest.approx(0.8)  # already above 0.7: unchanged
    assert feedback_parameters(p, detection=0.0, repair_when_alerted=1.0) == p
    with pytest.raises(ValueError, match="detection must be a probability"):
        feedback_parameters(p, detection=1.5, repair_when_alerted=0.7)


def test_training_trial_matches_a_therapist_level_t_test():
    study = simulate(seed=8)
    result = training_trial(study)
    last = study.sessions.dropna(subset=["bdi"]).groupby("patient_id")["bdi"].last()
    frame = study.patients.join(last.rename("end").astype(float), on="patient_id").merge(
        study.therapists, on="therapist_id"
    )
    means = frame.groupby("therapist_id").agg(
        end=("end", "mean"), trained=("alliance_training", "first")
    )
    a, b = means.loc[means["trained"], "end"], means.loc[~means["trained"], "end"]
    test = stats.ttest_ind(a, b, equal_var=False)
    assert result["estimate"] == pytest.approx(a.mean() - b.mean())
    assert result["p_value"] == pytest.approx(test.pvalue)
    assert result["df"] == pytest.approx(test.df)
    assert (result["therapists_trained"], result["therapists_untrained"]) == (15, 15)
