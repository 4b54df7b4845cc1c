"""The codebook: every column of every table, with type, unit, range and meaning.

One list of :class:`Field` per table. It writes the table schemas in
``data/datapackage.json`` and the human codebook ``data/README.md``, and
:func:`book.datasets.load_study` validates the committed files against it.
"""

from __future__ import annotations

from dataclasses import dataclass

from book.simulation.study import WAI_ITEMS, WAI_SUBSCALES

__all__ = ["Field", "TABLES", "TABLE_FILES", "OBSERVED", "GROUND_TRUTH"]


@dataclass(frozen=True)
class Field:
    """One column: its Frictionless type, unit, allowed range (or values) and meaning."""

    name: str
    type: str  # "integer", "number", "boolean" or "string"
    description: str
    unit: str = ""
    minimum: float | None = None
    maximum: float | None = None
    required: bool = True  # False: may be empty (a missing questionnaire)
    categories: tuple[str, ...] | None = None  # the allowed values of a "string" column

    def to_schema(self) -> dict:
        """The field as a Frictionless Table Schema entry."""
        out = {"name": self.name, "type": self.type, "description": self.description}
        if self.unit:
            out["unit"] = self.unit
        constraints = {"required": self.required}
        if self.minimum is not None:
            constraints["minimum"] = self.minimum
        if self.maximum is not None:
            constraints["maximum"] = self.maximum
        if self.categories is not None:
            constraints["enum"] = list(self.categories)
        out["constraints"] = constraints
        return out


def _items() -> list[Field]:
    subscale = {k: name for name, items in WAI_SUBSCALES.items() for k in items}
    return [
        Field(
            col,
            "integer",
            f"WAI-SR item {k} ({subscale[k]} subscale), after the session",
            "rating 1-5",
            1,
            5,
            required=False,
        )
        for k, col in enumerate(WAI_ITEMS, start=1)
    ]


THERAPISTS = [
    Field("therapist_id", "integer", "therapist identifier", "", 1),
    Field(
        "alliance_training",
        "boolean",
        "therapist has alliance-focused training (rupture-resolution skills)",
    ),
]

PATIENTS = [
    Field("patient_id", "integer", "patient identifier", "", 1),
    Field("therapist_id", "integer", "the patient's therapist", "", 1),
    Field(
        "iip",
        "number",
        "interpersonal problems at intake (IIP-32 item mean)",
        "IIP-32 points",
        0,
        4,
    ),
    Field(
        "avoidance", "number", "attachment avoidance at intake (ECR item mean)", "ECR points", 1, 7
    ),
    Field(
        "self_esteem",
        "integer",
        "self-esteem at intake (Rosenberg sum score)",
        "Rosenberg points",
        10,
        40,
    ),
    Field(
        "bdi_intake",
        "integer",
        "depressive symptoms at the intake assessment (BDI-II)",
        "BDI-II points",
        0,
        63,
    ),
    Field("sessions_attended", "integer", "number of sessions attended", "sessions", 1),
    Field("dropped_out", "boolean", "stopped before the last planned session"),
]

SESSIONS = [
    Field("patient_id", "integer", "patient identifier", "", 1),
    Field("session", "integer", "session number (weekly)", "session", 1),
    Field(
        "bdi",
        "integer",
        "depressive symptoms reported before the session (BDI-II)",
        "BDI-II points",
        0,
        63,
        required=False,
    ),
    Field(
        "alliance",
        "number",
        "alliance after the session: mean of the 12 WAI-SR items",
        "WAI-SR points",
        1,
        5,
        required=False,
    ),
    *[
        Field(
            f"wai_{name}",
            "number",
            f"WAI-SR {name} subscale: mean of its 4 items",
            "WAI-SR points",
            1,
            5,
            required=False,
        )
        for name in WAI_SUBSCALES
    ],
    *_items(),
]

TRUTH_PATIENTS = [
    Field("patient_id", "integer", "patient identifier", "", 1),
    Field("iip_z", "number", "latent interpersonal problems, standardized", "SD"),
    Field("avoidance_z", "number", "latent attachment avoidance, standardized", "SD"),
    Field("self_esteem_z", "number", "latent self-esteem, standardized", "SD"),
    Field(
        "trait_alliance",
        "number",
        "trait-like alliance: expected alliance at session 1",
        "WAI-SR points",
    ),
    Field(
        "therapist_effect",
        "number",
        "the therapist's contribution to the trait-like alliance",
        "WAI-SR points",
    ),
    Field("symptom_intercept", "number", "true symptom level at intake", "BDI-II points"),
    Field(
        "symptom_slope", "number", "true symptom change per session", "BDI-II points per session"
    ),
    Field(
        "alliance_effect_std",
        "number",
        "true effect of state-like alliance on next symptoms, standardized within patient",
        "SD of symptoms per SD of alliance",
    ),
    Field(
        "alliance_effect",
        "number",
        "true effect of state-like alliance on next symptoms",
        "BDI-II points per WAI-SR point",
    ),
    Field("rupture_prob", "number", "chance of a rupture at each session", "probability", 0, 1),
    Field(
        "n_ruptures",
        "integer",
        "ruptures over all planned sessions (attended or not)",
        "ruptures",
        0,
    ),
    Field("last_session", "integer", "last session attended", "session", 1),
    Field(
        "alliance_growth",
        "number",
        "the patient's own alliance growth around the common trend",
        "WAI-SR points per session",
    ),
    Field(
        "symptom_slope_from_growth",
        "number",
        "the part of the symptom slope caused by the patient's own alliance growth",
        "BDI-II points per session",
    ),
    Field(
        "bdi_intake_error",
        "number",
        "measurement error of the intake BDI-II: the score is the true level plus this, "
        "rounded to whole points",
        "BDI-II points",
    ),
]

TRUTH_SESSIONS = [
    Field("patient_id", "integer", "patient identifier", "", 1),
    Field("session", "integer", "session number", "session", 1),
    Field("attended", "boolean", "the session took place (false after dropout)"),
    Field(
        "alliance_latent",
        "number",
        "latent alliance after the session: trait + trend + own growth + state + rupture drop",
        "WAI-SR points",
    ),
    Field("alliance_trait", "number", "trait-like part", "WAI-SR points"),
    Field("alliance_trend", "number", "common time trend part", "WAI-SR points"),
    Field(
        "alliance_state", "number", "state-like part (autoregressive fluctuation)", "WAI-SR points"
    ),
    Field(
        "rupture_drop",
        "number",
        "drop left by ruptures so far (0 or negative)",
        "WAI-SR points",
        None,
        0,
    ),
    Field("symptoms_latent", "number", "latent symptoms before the session", "BDI-II points"),
    Field(
        "symptoms_trajectory",
        "number",
        "the patient's expected symptom trajectory",
        "BDI-II points",
    ),
    Field("symptoms_state", "number", "state-like symptom fluctuation", "BDI-II points"),
    Field(
        "alliance_growth",
        "number",
        "the patient's own alliance growth so far, apart from the common trend",
        "WAI-SR points",
    ),
    Field(
        "symptoms_error",
        "number",
        "measurement error of the BDI-II before the session: the score is the latent "
        "symptoms plus this, rounded to whole points and kept within 0-63",
        "BDI-II points",
    ),
    Field(
        "dropout_hazard",
        "number",
        "chance of leaving treatment after this session if still in it (0 after the last "
        "planned session)",
        "probability",
        0,
        1,
    ),
    Field(
        "dropout_signal",
        "number",
        "symptom worsening beyond the average course that the chance of leaving responds to: "
        "the change last reported (dropout at random) or the true change in the following "
        "week (not at random); empty when dropout is completely at random and after the last "
        "planned session",
        "BDI-II points per week",
        required=False,
    ),
]

TRUTH_RUPTURES = [
    Field("patient_id", "integer", "patient identifier", "", 1),
    Field("session", "integer", "session in which the alliance ruptured", "session", 2),
    Field("depth", "number", "drop of the alliance at the rupture", "WAI-SR points", 0),
    Field("repaired", "boolean", "repaired within two sessions (V-shape)"),
    Field("therapist_trained", "boolean", "the therapist has alliance-focused training"),
    Field("attended", "boolean", "the session took place (false after dropout)"),
]

#: Table name -> fields, in file order.
TABLES: dict[str, list[Field]] = {
    "therapists": THERAPISTS,
    "patients": PATIENTS,
    "sessions": SESSIONS,
    "truth_patients": TRUTH_PATIENTS,
    "truth_sessions": TRUTH_SESSIONS,
    "truth_ruptures": TRUTH_RUPTURES,
}

#: Table name -> path inside ``data/``.
TABLE_FILES: dict[str, str] = {
    "therapists": "therapists.csv",
    "patients": "patients.csv",
    "sessions": "sessions.csv",
    "truth_patients": "truth/patients.csv",
    "truth_sessions": "truth/sessions.csv",
    "truth_ruptures": "truth/ruptures.csv",
}

OBSERVED = ("therapists", "patients", "sessions")
GROUND_TRUTH = ("truth_patients", "truth_sessions", "truth_ruptures")
