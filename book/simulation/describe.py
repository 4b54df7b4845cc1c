"""Descriptive summaries of a study: attendance, missing data and ruptures.

The first look at any data set, before any model: who is still in treatment,
which questionnaires are missing, and (for a simulated study) how often the
alliance ruptured and was repaired.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from book.simulation.study import Study

__all__ = ["missing_by_session", "rupture_summary", "ruptures_per_patient", "example_patients"]


def _require_truth(study, caller: str) -> None:
    if not isinstance(study, Study):
        raise TypeError(f"{caller} needs a Study, got {type(study).__name__}")
    if study.truth is None:
        raise ValueError(f"{caller} needs a simulated study: ruptures are ground truth")


def missing_by_session(study: Study) -> pd.DataFrame:
    """Share of patients attending, and of questionnaires missing, per session.

    Parameters
    ----------
    study : Study
        Any study (simulated or observed).

    Returns
    -------
    pandas.DataFrame
        One row per session: ``attending`` (share of patients still in
        treatment), ``alliance_missing`` and ``bdi_missing`` (share of attended
        sessions whose questionnaire is empty).

    Examples
    --------
    >>> from book.simulation.engine import simulate
    >>> table = missing_by_session(simulate(seed=1))
    >>> float(table.loc[0, "attending"])
    1.0
    """
    n = len(study.patients)
    g = study.sessions.groupby("session")
    return pd.DataFrame(
        {
            "attending": g.size() / n,
            "alliance_missing": g["alliance"].apply(lambda s: s.isna().mean()),
            "bdi_missing": g["bdi"].apply(lambda s: s.isna().mean()),
        }
    ).reset_index()


def rupture_summary(study: Study) -> pd.DataFrame:
    """Ruptures and their repair by therapist training, from the ground truth.

    Counts only ruptures in sessions that took place.

    Parameters
    ----------
    study : Study
        A simulated study (it needs ``study.truth``).

    Returns
    -------
    pandas.DataFrame
        One row per group (``alliance_training`` False/True): patients,
        patients with at least one rupture and their share, ruptures, and the
        share of ruptures repaired.

    Examples
    --------
    >>> from book.simulation.engine import simulate
    >>> table = rupture_summary(simulate(seed=1))
    >>> table[["alliance_training", "patients", "ruptures"]]
       alliance_training  patients  ruptures
    0              False       120        ...
    1               True       120        ...
    """
    _require_truth(study, "rupture_summary")
    events = study.truth.ruptures[study.truth.ruptures["attended"]]
    patients = study.patients.merge(study.therapists, on="therapist_id")
    per_patient = events.groupby("patient_id").size().rename("n")
    patients = patients.join(per_patient, on="patient_id").fillna({"n": 0})
    events = events.merge(patients[["patient_id", "alliance_training"]], on="patient_id")
    rows = []
    for trained, group in patients.groupby("alliance_training"):
        mine = events[events["alliance_training"] == trained]
        rows.append(
            {
                "alliance_training": bool(trained),
                "patients": len(group),
                "patients_with_rupture": int((group["n"] > 0).sum()),
                "share_with_rupture": float((group["n"] > 0).mean()),
                "ruptures": len(mine),
                "share_repaired": float(mine["repaired"].mean()) if len(mine) else float("nan"),
            }
        )
    return pd.DataFrame(rows)


def ruptures_per_patient(study: Study) -> pd.DataFrame:
    """How many ruptures each patient had, repaired or not, from the ground truth.

    Counts only ruptures in sessions that took place, as :func:`rupture_summary`
    does; a patient without a rupture has a row with zeros.

    Parameters
    ----------
    study : Study
        A simulated study (it needs ``study.truth``).

    Returns
    -------
    pandas.DataFrame
        One row per patient, in the order of ``study.patients``: ``patient_id``,
        ``iip`` (interpersonal problems at intake), ``ruptures``, ``repaired``
        and ``unrepaired`` (counts, integers).

    Examples
    --------
    >>> from book.simulation.engine import simulate
    >>> study = simulate(seed=1)
    >>> counts = ruptures_per_patient(study)
    >>> len(counts) == len(study.patients)
    True
    >>> int(counts["ruptures"].sum()) == int(rupture_summary(study)["ruptures"].sum())
    True
    >>> bool((counts["repaired"] + counts["unrepaired"] == counts["ruptures"]).all())
    True
    """
    _require_truth(study, "ruptures_per_patient")
    events = study.truth.ruptures[study.truth.ruptures["attended"]]
    counts = (
        events.assign(unrepaired=~events["repaired"].astype(bool))
        .groupby("patient_id")
        .agg(
            ruptures=("session", "size"),
            repaired=("repaired", "sum"),
            unrepaired=("unrepaired", "sum"),
        )
    )
    out = study.patients[["patient_id", "iip"]].join(counts, on="patient_id")
    for col in ("ruptures", "repaired", "unrepaired"):
        out[col] = out[col].fillna(0).astype("int64")
    return out.reset_index(drop=True)


def example_patients(
    study: Study, *, quantiles: tuple[float, float] = (0.05, 0.95)
) -> pd.DataFrame:
    """Four patients that show a study at a glance: low, high, a repaired and an unrepaired rupture.

    The choice is a rule, not a hand pick, so that a chapter's description of
    its example patients stays true when the data are regenerated. Only
    *complete* patients are candidates: every planned session attended and
    every alliance questionnaire filled in.

    - ``low`` and ``high``: complete patients without a rupture whose mean
      observed alliance is closest to the lower and upper ``quantiles`` of all
      patients' means;
    - ``repaired``: of the complete patients with exactly one rupture, at a
      session with at least two sessions before and after it, and repaired,
      the one whose observed alliance drops most from the session before;
    - ``unrepaired``: of the same patients with an unrepaired rupture, the
      one whose mean observed alliance after the rupture is furthest below
      their mean before it (the lasting part of the drop).

    Ties go to the lowest ``patient_id``.

    Parameters
    ----------
    study : Study
        A simulated study (it needs ``study.truth``).
    quantiles : tuple of two floats, default (0.05, 0.95)
        Where in the distribution of patient means to take the ``low`` and
        ``high`` patients; ``0 <= low < high <= 1``.

    Returns
    -------
    pandas.DataFrame
        Indexed by role (``low``, ``high``, ``repaired``, ``unrepaired``):
        ``patient_id``, ``mean_alliance`` (the patient's observed mean),
        ``rupture_session``, ``drop`` (observed alliance at the session before
        the rupture minus at the rupture), ``mean_before`` and ``mean_after``
        (the patient's mean observed alliance in the sessions before and
        after the rupture session); the last four are missing for ``low`` and
        ``high``.

    Raises
    ------
    ValueError
        If the study has no ground truth, the quantiles are not increasing
        within [0, 1], or no complete patient fits a role.

    Examples
    --------
    >>> from book.simulation.engine import simulate
    >>> study = simulate(seed=1)
    >>> examples = example_patients(study)
    >>> examples.index.tolist()
    ['low', 'high', 'repaired', 'unrepaired']
    >>> bool(examples.loc["low", "mean_alliance"] < examples.loc["high", "mean_alliance"])
    True
    >>> bool(examples.loc["repaired", "drop"] > 0)
    True
    >>> bool(examples.loc["unrepaired", "mean_after"] < examples.loc["unrepaired", "mean_before"])
    True
    """
    _require_truth(study, "example_patients")
    if (
        not isinstance(quantiles, tuple | list)
        or len(quantiles) != 2
        or not all(isinstance(q, int | float) and not isinstance(q, bool) for q in quantiles)
        or not 0 <= quantiles[0] < quantiles[1] <= 1
    ):
        raise ValueError(
            "quantiles must be two increasing numbers in [0, 1], e.g. (0.05, 0.95); "
            f"got {quantiles!r}"
        )
    sessions = study.sessions
    n_planned = study.truth.params.n_sessions
    rated = sessions.dropna(subset=["alliance"]).groupby("patient_id")["session"].nunique()
    complete = set(rated[rated == n_planned].index)
    means = sessions.groupby("patient_id")["alliance"].mean()
    counts = ruptures_per_patient(study).set_index("patient_id")["ruptures"]

    rows = {}
    calm = means[means.index.isin(complete) & (counts.reindex(means.index) == 0)]
    for role, q in zip(("low", "high"), quantiles, strict=True):
        if calm.empty:
            raise ValueError("example_patients: no complete patient without a rupture")
        distance = (calm - means.quantile(q)).abs()
        pid = int(distance.sort_index().sort_values(kind="stable").index[0])
        rows[role] = {"patient_id": pid, "mean_alliance": float(means[pid])}

    events = study.truth.ruptures[study.truth.ruptures["attended"]]
    single = counts[counts == 1].index
    events = events[
        events["patient_id"].isin(single)
        & events["patient_id"].isin(complete)
        & events["session"].between(3, n_planned - 2)
    ]
    alliance = sessions.set_index(["patient_id", "session"])["alliance"]
    before = alliance.reindex(list(zip(events["patient_id"], events["session"] - 1, strict=True)))
    at = alliance.reindex(list(zip(events["patient_id"], events["session"], strict=True)))
    joined = sessions[["patient_id", "session", "alliance"]].merge(
        events[["patient_id", "session"]].rename(columns={"session": "rupture"}), on="patient_id"
    )
    side = np.sign(joined["session"] - joined["rupture"]).map({-1: "mean_before", 1: "mean_after"})
    sides = (
        joined.assign(side=side)
        .dropna(subset=["side"])
        .pivot_table(index="patient_id", columns="side", values="alliance", aggfunc="mean")
    )
    events = events.assign(drop=before.to_numpy() - at.to_numpy()).join(sides, on="patient_id")
    events["lasting"] = events["mean_before"] - events["mean_after"]
    for role, repaired, score in (("repaired", True, "drop"), ("unrepaired", False, "lasting")):
        mine = events[events["repaired"].astype(bool) == repaired]
        if mine.empty:
            raise ValueError(f"example_patients: no complete patient with a single {role} rupture")
        best = mine.sort_values("patient_id").sort_values(score, ascending=False, kind="stable")
        row = best.iloc[0]
        rows[role] = {
            "patient_id": int(row["patient_id"]),
            "mean_alliance": float(means[row["patient_id"]]),
            "rupture_session": int(row["session"]),
            "drop": float(row["drop"]),
            "mean_before": float(row["mean_before"]),
            "mean_after": float(row["mean_after"]),
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out["rupture_session"] = out["rupture_session"].astype("Int64")
    out.index.name = "role"
    return out
