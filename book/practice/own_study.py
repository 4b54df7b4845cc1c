"""A reader's own study: the chapters' tables from a session file and a patient table.

A researcher or clinician with session-by-session data (the alliance after each
session and the symptoms before it) and a patient table (interpersonal
problems at intake) gets, in one call of :func:`analyse_session_file`, what the
chapters show for the simulated study:

1. the reading report of both files (:func:`~book.practice.session_file.read_sessions`,
   :func:`~book.practice.session_file.read_patients`): every row kept or rejected
   with its line and reason;
2. the between/within decomposition (:mod:`book.estimation.decomposition`): the
   intraclass correlation of each measure and each patient's mean;
3. the lagged multilevel model (:func:`book.estimation.multilevel.fit_lagged_model`):
   its fixed effects and its messages (a singular fit, patients left out).

The function only joins these steps; each is the book's own function, so the
numbers are those the chapters would give for the same data. A step the data
cannot support (too few patients for the model, say) is reported in
``messages`` instead of stopping the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from book._checks import check_bool, check_choice
from book.estimation.decomposition import icc, person_mean_center, person_mean_reliability
from book.estimation.multilevel import LaggedModelResult, fit_lagged_model
from book.practice.scales import get_scale
from book.practice.session_file import PatientFile, SessionFile, read_patients, read_sessions

__all__ = [
    "EXAMPLE_PATIENTS",
    "EXAMPLE_SESSIONS",
    "SessionFileAnalysis",
    "analyse_session_file",
]

_EXAMPLES = Path(__file__).resolve().parents[2] / "data/examples"
#: A made-up session file (alliance and BDI-II per session); see ``data/examples/README.md``.
EXAMPLE_SESSIONS = _EXAMPLES / "made_up_sessions.csv"
#: Its made-up patient table (IIP-32 at intake).
EXAMPLE_PATIENTS = _EXAMPLES / "made_up_patients.csv"

_DIRECTIONS = ("alliance_to_symptoms", "symptoms_to_alliance")
_RANDOM = ("intercept+slope", "intercept")
_MEASURES = ("alliance", "bdi")


@dataclass(frozen=True, repr=False)
class SessionFileAnalysis:
    """What :func:`analyse_session_file` found: the chapters' tables for one study.

    Attributes
    ----------
    sessions_file : SessionFile
        The session file as read: ``.report()`` accounts for every row.
    patients_file : PatientFile
        The patient table as read, likewise.
    data : pandas.DataFrame
        The long table the analyses use: ``patient_id``, ``session``,
        ``alliance``, ``bdi`` and ``iip`` (missing for a patient without an
        IIP score), one row per session kept.
    decomposition : pandas.DataFrame or None
        One row per measure (``alliance``, ``bdi``): the intraclass
        correlation and its interval as :func:`book.estimation.decomposition.icc`
        gives them, and ``person_mean_reliability``, the Spearman-Brown
        reliability of a patient's mean of ``n0`` sessions (0 when the ICC
        estimate is negative, which finds no between-patient variance).
    person_means : pandas.DataFrame or None
        One row per patient: ``sessions`` (rows kept), the patient's mean and
        within-patient SD of each measure (``alliance_mean``,
        ``alliance_within_sd``, ``bdi_mean``, ``bdi_within_sd``), ``iip`` and
        ``in_model`` (whether the lagged model used the patient).
    model : LaggedModelResult or None
        The lagged multilevel model; ``None`` if it could not be fitted.
    messages : tuple of str
        What joining the two files found (patients in one and not the other)
        and every step that could not be done, with the reason; the model's
        own messages are in ``model.messages``.
    """

    sessions_file: SessionFile
    patients_file: PatientFile
    data: pd.DataFrame
    decomposition: pd.DataFrame | None
    person_means: pd.DataFrame | None
    model: LaggedModelResult | None
    messages: tuple[str, ...]

    def reading_report(self) -> str:
        """The reports of both files, one after the other."""
        return f"{self.sessions_file.report()}\n\n{self.patients_file.report()}"

    def summary(self) -> str:
        """Everything as plain text: reading, decomposition, person means, model, messages."""

        def table(frame):
            return frame.to_string(float_format=lambda x: f"{x:.3f}")

        parts = [self.reading_report()]
        if self.decomposition is not None:
            parts.append("Between/within decomposition:\n" + table(self.decomposition))
        if self.person_means is not None:
            parts.append("Person means:\n" + table(self.person_means))
        if self.model is not None:
            parts.append(self.model.summary())
        if self.messages:
            parts.append("\n".join(f"note: {m}" for m in self.messages))
        return "\n\n".join(parts)

    def __repr__(self) -> str:
        return (
            f"<SessionFileAnalysis {self.sessions_file.source} + {self.patients_file.source}: "
            f"{self.data['patient_id'].nunique()} patients, {len(self.data)} sessions; "
            f"model {'fitted' if self.model is not None else 'not fitted'}>"
        )


def _ids(ids) -> str:
    ids = sorted(ids)
    return ", ".join(map(str, ids[:8])) + (" ..." if len(ids) > 8 else "")


def _read(source, reader, kind, measures, options):
    """``source`` read by ``reader``, or checked if it was read already."""
    if isinstance(source, kind):
        table = source.sessions if kind is SessionFile else source.patients
        missing = [m for m in measures if m not in table.columns]
        if missing:
            raise ValueError(
                f"the {kind.__name__} given has no column(s) {missing}; read the file with "
                f"scale={{...}} naming {list(measures)}"
            )
        return source
    return reader(source, **options)


def _joined(sessions: pd.DataFrame, patients: pd.DataFrame, messages: list[str]) -> pd.DataFrame:
    """The sessions with each patient's IIP; patients in one table only are reported."""
    in_sessions, in_patients = set(sessions["patient_id"]), set(patients["patient_id"])
    no_row = in_sessions - in_patients
    if no_row:
        messages.append(
            f"{len(no_row)} patient(s) of the session file have no accepted row in the patient "
            f"table, so no IIP score: {_ids(no_row)}"
        )
    no_sessions = in_patients - in_sessions
    if no_sessions:
        messages.append(
            f"{len(no_sessions)} patient(s) of the patient table have no session in the "
            f"session file: {_ids(no_sessions)}"
        )
    return sessions[["patient_id", "session", *_MEASURES]].merge(
        patients[["patient_id", "iip"]], on="patient_id", how="left", validate="m:1"
    )


def _decomposition(data: pd.DataFrame) -> pd.DataFrame:
    """The ICC of each measure, with the reliability of a patient's mean of ``n0`` sessions."""
    table = pd.concat([icc(data, column) for column in _MEASURES])
    # an ICC estimated below 0 finds no between-patient variance: a mean measures none (0)
    table["person_mean_reliability"] = person_mean_reliability(
        table["icc"].clip(lower=0).to_numpy(), table["n0"].to_numpy()
    )
    return table


def _person_means(data: pd.DataFrame, model: LaggedModelResult | None) -> pd.DataFrame:
    """One row per patient: sessions, mean and within-patient SD of each measure, IIP."""
    parts = person_mean_center(data, list(_MEASURES))
    by_patient = parts.groupby("patient_id", sort=False)
    table = pd.DataFrame({"sessions": by_patient.size()})
    for column in _MEASURES:
        table[f"{column}_mean"] = by_patient[f"{column}_between"].first()
        table[f"{column}_within_sd"] = by_patient[f"{column}_within"].std()
    table["iip"] = by_patient["iip"].first()
    used = set() if model is None else set(model.data["patient_id"])
    table["in_model"] = [pid in used for pid in table.index]
    return table


def analyse_session_file(
    sessions,
    patients,
    *,
    alliance_scale: str = "wai-sr",
    direction: str = "alliance_to_symptoms",
    detrend: bool = False,
    random_effects: str = "intercept+slope",
    delimiter: str = ",",
    decimal: str = ".",
    encoding: str = "utf-8",
) -> SessionFileAnalysis:
    """Read a session file and a patient table, and compute the chapters' tables for them.

    Parameters
    ----------
    sessions : str, path, bytes, file or SessionFile
        The session file: one row per patient and session with the columns
        ``patient_id``, ``session``, ``alliance`` (after the session) and
        ``bdi`` (BDI-II, before it), read with
        :func:`~book.practice.session_file.read_sessions`; or its result.
    patients : str, path, bytes, file or PatientFile
        The patient table: one row per patient with ``patient_id`` and ``iip``
        (IIP-32 item mean at intake, 0-4), read with
        :func:`~book.practice.session_file.read_patients`; or its result.
    alliance_scale : {"wai-sr", "srs"}, default "wai-sr"
        The questionnaire of the ``alliance`` column.
    direction, detrend, random_effects
        Passed to :func:`book.estimation.multilevel.fit_lagged_model`.
    delimiter, decimal, encoding : str
        How the files are written (see :func:`~book.practice.session_file.read_sessions`).

    Returns
    -------
    SessionFileAnalysis
        The reading reports, the long table, the decomposition, the person
        means, the fitted model and the messages.

    Raises
    ------
    SessionFileError
        If a file as a whole cannot be read (its message says why).
    ValueError
        For an argument outside its choices, or a file already read without
        the measures the analysis needs.

    Notes
    -----
    Rows the readers reject are left out of everything that follows, and
    each report says which and why. A patient without an IIP score stays in
    the decomposition but not in the lagged model, which needs it; the model's
    ``messages`` say which patients it left out. The decomposition uses every
    session with a score; the model only pairs of consecutive sessions.

    Examples
    --------
    >>> result = analyse_session_file(EXAMPLE_SESSIONS, EXAMPLE_PATIENTS)
    >>> result.sessions_file
    <SessionFile made_up_sessions.csv: 108 rows read, 105 kept, 3 rejected \
(alliance: wai-sr, bdi: bdi-ii)>
    >>> result.decomposition[["icc", "groups", "n"]].round(2)
               icc  groups    n
    alliance  0.80      12  104
    bdi       0.76      12  105
    >>> result.model.n_patients, result.model.singular
    (10, True)
    >>> result.messages
    ('1 patient(s) of the patient table have no session in the session file: P13',)
    """
    check_choice(direction, "direction", _DIRECTIONS)
    check_choice(random_effects, "random_effects", _RANDOM)
    check_bool(detrend, "detrend")
    scale = {"alliance": get_scale(alliance_scale, construct="alliance"), "bdi": "bdi-ii"}
    options = {"delimiter": delimiter, "decimal": decimal, "encoding": encoding}
    sessions_file = _read(
        sessions, read_sessions, SessionFile, _MEASURES, {"scale": scale, **options}
    )
    patients_file = _read(patients, read_patients, PatientFile, ("iip",), options)

    messages: list[str] = []
    data = _joined(sessions_file.sessions, patients_file.patients, messages)
    decomposition = model = person_means = None
    try:
        decomposition = _decomposition(data)
    except ValueError as err:
        messages.append(f"no between/within decomposition: {err}")
    try:
        model = fit_lagged_model(
            data, direction=direction, detrend=detrend, random_effects=random_effects
        )
    except ValueError as err:
        messages.append(f"the lagged model could not be fitted: {err}")
    try:
        person_means = _person_means(data, model)
    except ValueError as err:
        messages.append(f"no person means: {err}")
    return SessionFileAnalysis(
        sessions_file=sessions_file,
        patients_file=patients_file,
        data=data,
        decomposition=decomposition,
        person_means=person_means,
        model=model,
        messages=tuple(messages),
    )
