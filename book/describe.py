"""Descriptive summaries of a study: attendance, missing data and ruptures.

The first look at any data set, before any model: who is still in treatment,
which questionnaires are missing, and (for a simulated study) how often the
alliance ruptured and was repaired.
"""

from __future__ import annotations

import pandas as pd

from book.study import Study

__all__ = ["missing_by_session", "rupture_summary"]


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
    >>> from book.simulate import simulate
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
    >>> from book.simulate import simulate
    >>> table = rupture_summary(simulate(seed=1))
    >>> table[["alliance_training", "patients", "ruptures"]]
       alliance_training  patients  ruptures
    0              False       120        ...
    1               True       120        ...
    """
    if study.truth is None:
        raise ValueError("rupture_summary needs a simulated study: ruptures are ground truth")
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
