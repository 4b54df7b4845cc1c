"""Experiments in silico: the same simulated patients under different conditions.

:func:`book.simulation.simulate` draws each part of the study from its own
random stream, so two studies with the same seed and parameters that differ
only in the therapists' training or the repair probabilities have the *same*
patients: the same baseline, the same ruptures at the same sessions with the
same depths, the same attendance. Only what follows a rupture differs. That
makes a counterfactual comparison possible that no real trial can make: the
same patient treated both ways (:func:`paired_outcomes`).

Whatever such an experiment shows about training or feedback is built into
the simulation by its parameters (``repair_prob_trained``,
``repair_prob_untrained``, ``unrepaired_persistence`` and the rupture
parameters). It illustrates their consequences; it is not evidence.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd
from scipy import stats

from book._checks import check_count, check_level
from book.simulation.parameters import SimulationParameters
from book.simulation.study import Study

__all__ = [
    "check_same_patients",
    "effect_by_group",
    "feedback_parameters",
    "paired_outcomes",
    "training_trial",
]

# what must not differ between two conditions of one experiment
_SAME_PATIENT_COLUMNS = (
    "iip_z",
    "trait_alliance",
    "symptom_intercept",
    "symptom_slope",
    "alliance_effect_std",
    "last_session",
)
_SAME_RUPTURE_COLUMNS = ("patient_id", "session", "depth", "attended")


def _check_study(study, name):
    if not isinstance(study, Study) or study.truth is None:
        raise TypeError(
            f"{name} must be a simulated Study (from book.simulation.simulate), "
            f"got {type(study).__name__}"
        )


def check_same_patients(a: Study, b: Study) -> None:
    """Raise ``ValueError`` unless two simulated studies hold the same patients and ruptures.

    The same patients means identical baseline quantities, true symptom
    trajectories, alliance effects and attendance; the same ruptures means the
    same events at the same sessions with the same depths. Only repair (and
    what follows from it) may differ.

    Examples
    --------
    >>> from book.simulation.engine import simulate
    >>> from book.simulation.parameters import SimulationParameters
    >>> untrained = simulate(SimulationParameters(share_trained=0.0), seed=5)
    >>> trained = simulate(SimulationParameters(share_trained=1.0), seed=5)
    >>> check_same_patients(untrained, trained)  # passes silently
    >>> check_same_patients(untrained, simulate(seed=6))
    Traceback (most recent call last):
    ...
    ValueError: the studies differ in iip_z: they are not the same patients (...)
    """
    _check_study(a, "a")
    _check_study(b, "b")
    pa, pb = a.truth.patients, b.truth.patients
    if len(pa) != len(pb) or a.truth.params.n_sessions != b.truth.params.n_sessions:
        raise ValueError(
            "the studies have different numbers of patients or sessions: "
            "compare conditions of one design, with the same seed"
        )
    for column in _SAME_PATIENT_COLUMNS:
        if not np.array_equal(pa[column].to_numpy(), pb[column].to_numpy()):
            raise ValueError(
                f"the studies differ in {column}: they are not the same patients "
                "(same seed? same design?)"
            )
    ra = a.truth.ruptures[list(_SAME_RUPTURE_COLUMNS)].reset_index(drop=True)
    rb = b.truth.ruptures[list(_SAME_RUPTURE_COLUMNS)].reset_index(drop=True)
    if not ra.equals(rb):
        raise ValueError(
            "the studies have different rupture events: only parameters of repair and "
            "training may differ between conditions of one experiment"
        )


def _end_symptoms(study: Study, outcome: str) -> np.ndarray:
    T = study.truth.params.n_sessions
    if outcome == "latent":
        end = study.truth.sessions[study.truth.sessions["session"] == T]
        return end.sort_values("patient_id")["symptoms_latent"].to_numpy()
    # observed: the last BDI the patient reported
    observed = study.sessions.dropna(subset=["bdi"]).sort_values(["patient_id", "session"])
    last = observed.groupby("patient_id")["bdi"].last().astype("float64")
    return last.reindex(study.patients["patient_id"]).to_numpy()


def paired_outcomes(control: Study, treated: Study, *, outcome: str = "latent") -> pd.DataFrame:
    """Each patient's end-of-treatment symptoms under two conditions, side by side.

    Parameters
    ----------
    control, treated : Study
        Two simulations of the same patients (see :func:`check_same_patients`),
        e.g. with ``share_trained=0`` and ``share_trained=1``.
    outcome : {"latent", "observed"}, default "latent"
        ``"latent"``: the true symptom level (BDI-II points) before the last
        planned session, free of measurement error and dropout;
        ``"observed"``: the last BDI-II score the patient reported.

    Returns
    -------
    pandas.DataFrame
        One row per patient: ``patient_id``, ``iip`` and ``iip_z`` (interpersonal
        problems), ``trait_alliance``, ``ruptures`` (over the planned sessions,
        attended or not: the true symptoms run on after dropout),
        ``repaired_control``, ``repaired_treated``, ``control``, ``treated`` and
        ``difference`` (treated minus control; negative is fewer symptoms).

    Examples
    --------
    >>> from book.simulation.engine import simulate
    >>> from book.simulation.parameters import SimulationParameters
    >>> p = SimulationParameters()
    >>> pairs = paired_outcomes(simulate(p.replace(share_trained=0.0), seed=5),
    ...                         simulate(p.replace(share_trained=1.0), seed=5))
    >>> bool((pairs.loc[pairs["ruptures"] == 0, "difference"] == 0).all())
    True
    """
    check_same_patients(control, treated)
    if outcome not in ("latent", "observed"):
        raise ValueError(f"outcome must be 'latent' or 'observed', got {outcome!r}")
    truth = control.truth.patients.sort_values("patient_id")
    out = pd.DataFrame(
        {
            "patient_id": truth["patient_id"].to_numpy(),
            "iip": control.patients.set_index("patient_id")
            .loc[truth["patient_id"], "iip"]
            .to_numpy(),
            "iip_z": truth["iip_z"].to_numpy(),
            "trait_alliance": truth["trait_alliance"].to_numpy(),
        }
    )
    for label, study in (("control", control), ("treated", treated)):
        events = study.truth.ruptures  # all planned sessions: the latent outcome spans them
        counts = events.groupby("patient_id")["repaired"].agg(["size", "sum"])
        counts = counts.reindex(out["patient_id"], fill_value=0)
        if label == "control":
            out["ruptures"] = counts["size"].to_numpy()
        out[f"repaired_{label}"] = counts["sum"].to_numpy()
    out["control"] = _end_symptoms(control, outcome)
    out["treated"] = _end_symptoms(treated, outcome)
    out["difference"] = out["treated"] - out["control"]
    return out


def effect_by_group(
    pairs: pd.DataFrame, by: str = "iip", *, groups: int = 4, level: float = 0.95
) -> pd.DataFrame:
    """The mean paired difference in groups of patients (quantiles of ``by``).

    Parameters
    ----------
    pairs : pandas.DataFrame
        The table :func:`paired_outcomes` returns.
    by : str, default "iip"
        The column that forms the groups (e.g. ``"iip"``, ``"trait_alliance"``).
    groups : int, default 4
        How many groups of equal size (quartiles by default).
    level : float, default 0.95
        Confidence level of the t-based interval of each group's mean.

    Returns
    -------
    pandas.DataFrame
        One row per group, lowest first: ``group`` (1 = lowest), ``low`` and
        ``high`` (range of ``by``), ``patients``, ``mean_difference``, ``std_error``,
        ``ci_low``, ``ci_high`` and ``share_changed`` (patients whose outcome
        differs at all).

    Examples
    --------
    >>> import pandas as pd
    >>> pairs = pd.DataFrame({"iip": [1, 2, 3, 4], "difference": [0.0, 0.0, -1.0, -3.0]})
    >>> effect_by_group(pairs, groups=2)[["group", "patients", "mean_difference"]]
       group  patients  mean_difference
    0      1         2              0.0
    1      2         2             -2.0
    """
    if not isinstance(pairs, pd.DataFrame) or "difference" not in pairs.columns:
        raise TypeError("pairs must be the DataFrame paired_outcomes returns")
    if by not in pairs.columns:
        raise ValueError(f"column {by!r} not in pairs; available: {list(pairs.columns)}")
    check_count(groups, "groups")
    level = check_level(level)
    codes = pd.qcut(pairs[by], groups, labels=False, duplicates="drop")
    rows = []
    for code, part in pairs.groupby(codes, sort=True):
        d = part["difference"].to_numpy(dtype=float)
        n = len(d)
        se = d.std(ddof=1) / np.sqrt(n) if n > 1 else np.nan
        half = stats.t.ppf(0.5 + level / 2, n - 1) * se if n > 1 else np.nan
        rows.append(
            {
                "group": int(code) + 1,
                "low": float(part[by].min()),
                "high": float(part[by].max()),
                "patients": n,
                "mean_difference": float(d.mean()),
                "std_error": float(se),
                "ci_low": float(d.mean() - half),
                "ci_high": float(d.mean() + half),
                "share_changed": float(np.mean(np.abs(d) > 1e-9)),
            }
        )
    return pd.DataFrame(rows)


def feedback_parameters(
    params: SimulationParameters, *, detection: float, repair_when_alerted: float
) -> SimulationParameters:
    r"""Parameters for a what-if: session feedback alerts therapists to ruptures.

    If a monitor alerts the therapist in time to a share ``detection`` of
    ruptures, and an alerted therapist repairs with probability
    ``repair_when_alerted`` (when that is higher than without the alert), each
    rupture is repaired with probability

    .. math:: p' = p + \text{detection} \times \max(0, r - p),

    for trained and untrained therapists alike. This assumes that whether a
    rupture is detected does not depend on its depth or on whether it would
    have been repaired anyway; in truth deeper ruptures are detected more
    often, so the benefit is somewhat understated.

    Parameters
    ----------
    params : SimulationParameters
        The study without feedback.
    detection : float
        Share of ruptures the monitor flags in time (its sensitivity), in [0, 1].
    repair_when_alerted : float
        Probability that an alerted therapist repairs the rupture, in [0, 1]
        (a design choice, not a published figure).

    Returns
    -------
    SimulationParameters
        A copy with ``repair_prob_trained`` and ``repair_prob_untrained`` raised.

    Examples
    --------
    >>> p = feedback_parameters(SimulationParameters(), detection=0.6, repair_when_alerted=0.75)
    >>> round(p.repair_prob_untrained, 3), round(p.repair_prob_trained, 3)
    (0.63, 0.75)
    """
    if not isinstance(params, SimulationParameters):
        raise TypeError(f"params must be SimulationParameters, got {type(params).__name__}")
    for name, value in (("detection", detection), ("repair_when_alerted", repair_when_alerted)):
        if not isinstance(value, numbers.Real) or not 0.0 <= float(value) <= 1.0:
            raise ValueError(f"{name} must be a probability in [0, 1], got {value!r}")

    def raised(p):
        return float(p + detection * max(0.0, repair_when_alerted - p))

    return params.replace(
        repair_prob_trained=raised(params.repair_prob_trained),
        repair_prob_untrained=raised(params.repair_prob_untrained),
    )


def training_trial(study: Study) -> dict:
    """Analyse a study as a trial of alliance-focused training, as a real trial would.

    The outcome is each patient's last reported BDI-II score; patients are
    averaged within their therapist (training is given to therapists, so the
    therapist is the unit that was assigned) and the trained therapists'
    mean is compared with the untrained ones' by Welch's t-test. Many such
    trials are the Monte Carlo runner's estimator ``"training_trial"``
    (:mod:`book.montecarlo`).

    Returns
    -------
    dict
        ``term`` (``"alliance_training"``), ``estimate`` (trained minus
        untrained, BDI-II points), ``std_error``, ``statistic`` (Welch's t),
        ``df`` (Welch-Satterthwaite), ``p_value`` and the numbers of
        therapists in each arm.

    Examples
    --------
    >>> from book.simulation.engine import simulate
    >>> result = training_trial(simulate(seed=5))
    >>> sorted(result)  # doctest: +NORMALIZE_WHITESPACE
    ['df', 'estimate', 'p_value', 'statistic', 'std_error', 'term',
     'therapists_trained', 'therapists_untrained']
    """
    _check_study(study, "study")
    last = pd.Series(_end_symptoms(study, "observed"), index=study.patients["patient_id"])
    frame = study.patients[["patient_id", "therapist_id"]].assign(outcome=last.to_numpy())
    frame = frame.merge(study.therapists, on="therapist_id")
    per_therapist = frame.groupby(["therapist_id", "alliance_training"])["outcome"].mean()
    per_therapist = per_therapist.reset_index()
    trained = per_therapist.loc[per_therapist["alliance_training"], "outcome"].to_numpy()
    untrained = per_therapist.loc[~per_therapist["alliance_training"], "outcome"].to_numpy()
    if len(trained) < 2 or len(untrained) < 2:
        raise ValueError("a training trial needs at least two trained and two untrained therapists")
    test = stats.ttest_ind(trained, untrained, equal_var=False)
    se = np.sqrt(trained.var(ddof=1) / len(trained) + untrained.var(ddof=1) / len(untrained))
    return {
        "term": "alliance_training",
        "estimate": float(trained.mean() - untrained.mean()),
        "std_error": float(se),
        "statistic": float(test.statistic),
        "df": float(test.df),
        "p_value": float(test.pvalue),
        "therapists_trained": len(trained),
        "therapists_untrained": len(untrained),
    }
