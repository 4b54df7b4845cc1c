"""The study object: what a researcher observes, kept apart from the ground truth.

:func:`book.simulation.simulate` and :func:`book.datasets.load_study` both return a
:class:`Study`. Its observed tables (``therapists``, ``patients``,
``sessions``) hold only what a real study would record. Everything latent
lives in ``study.truth`` (a :class:`Truth`), so an estimate is never confused
with the quantity it estimates, and every estimator can be checked against it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from book.simulation.parameters import SimulationParameters

__all__ = ["Study", "Truth", "WAI_SUBSCALES", "WAI_ITEMS"]

#: WAI-SR items (1-12) by subscale (Hatcher & Gillaspy 2006).
WAI_SUBSCALES: dict[str, tuple[int, ...]] = {
    "goal": (4, 6, 8, 11),
    "task": (1, 2, 10, 12),
    "bond": (3, 5, 7, 9),
}

#: Column names of the twelve WAI-SR items in ``Study.sessions``.
WAI_ITEMS: tuple[str, ...] = tuple(f"wai_{k:02d}" for k in range(1, 13))


@dataclass(frozen=True)
class Truth:
    """Latent quantities of a simulated study, never seen by a real researcher.

    Attributes
    ----------
    patients : pandas.DataFrame
        One row per patient: standardized baseline measures, the trait-like
        alliance, the therapist's contribution to it, the true symptom
        trajectory (intercept and slope), the patient's true within-patient
        alliance effect and rupture probability, the last session attended, the
        patient's own alliance growth and the part of the symptom slope it
        causes, and the measurement error of the intake BDI-II.
    sessions : pandas.DataFrame
        One row per patient and planned session (attended or not): the latent
        alliance and its parts (trait, trend, own growth, state, rupture drop),
        the latent symptoms and their parts (trajectory, state), the
        measurement error of the BDI-II, and the chance of dropping out after
        the session with the symptom worsening it responded to.
    ruptures : pandas.DataFrame
        One row per rupture: patient, session, depth and whether it was repaired.
    params : SimulationParameters
        The parameters that generated the study.
    """

    patients: pd.DataFrame
    sessions: pd.DataFrame
    ruptures: pd.DataFrame
    params: SimulationParameters


@dataclass(frozen=True)
class Study:
    """A session-by-session therapy study.

    Attributes
    ----------
    therapists : pandas.DataFrame
        ``therapist_id`` and ``alliance_training`` (alliance-focused training).
    patients : pandas.DataFrame
        Intake measures and attendance, one row per patient.
    sessions : pandas.DataFrame
        One row per attended session: symptoms before the session (``bdi``),
        alliance after it (``alliance`` and its subscales and items).
        Missing questionnaires are empty (NaN); sessions after dropout have
        no row.
    truth : Truth or None
        Ground truth, for simulated studies; ``None`` for real data.
    seed : int or None
        The seed that generated a simulated study.
    """

    therapists: pd.DataFrame
    patients: pd.DataFrame
    sessions: pd.DataFrame
    truth: Truth | None = None
    seed: int | None = None

    def __repr__(self) -> str:
        kind = "simulated" if self.truth is not None else "observed"
        return (
            f"<Study ({kind}): {len(self.therapists)} therapists, "
            f"{len(self.patients)} patients, {len(self.sessions)} sessions>"
        )

    def long(self) -> pd.DataFrame:
        """Sessions joined with each patient's intake measures and therapist.

        Returns
        -------
        pandas.DataFrame
            ``sessions`` with the columns of ``patients`` and ``therapists``
            added, one row per attended session.
        """
        out = self.sessions.merge(self.patients, on="patient_id", how="left", validate="m:1")
        return out.merge(self.therapists, on="therapist_id", how="left", validate="m:1")
