"""Reading a clinician's or a student's own session scores, without losing a row.

The expected file is a CSV (comma-separated, UTF-8) with a header line and one
row per session:

.. code-block:: text

    patient_id,session,score
    A,1,4.25
    A,2,4.50
    A,3,3.42
    B,1,3.90

``patient_id``
    any text or number naming the patient (``patient`` and ``client`` are
    accepted too). Optional: without it every row belongs to one patient.
``session``
    the session number, a whole number from 1.
``score``
    the alliance score after that session, on the chosen scale (``alliance``
    is accepted as a name too): 1-5 for the WAI-SR (mean of its 12 items),
    0-40 for the Session Rating Scale. An empty cell, ``NA`` or ``-`` means
    the questionnaire is missing; the session is kept with an empty score.

Other columns are allowed and ignored (the report says so). Sessions may be in
any order and may have gaps (a missed session is not an error).

:func:`read_sessions` never drops a row silently. It returns a
:class:`SessionFile`: the valid rows, and a report of every rejected row with
its line number and the reason, so that rows read = rows kept + rows rejected.
Problems with the file as a whole (empty, not a text CSV, not UTF-8, wrong
delimiter, no header with the needed columns) raise :class:`SessionFileError`
with a message that says what to do.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from book.practice.scales import Scale, get_scale

__all__ = [
    "EXAMPLE_SESSION_FILE",
    "SessionFile",
    "SessionFileError",
    "read_sessions",
    "scores_from_text",
]

#: A small example file, made up for the book (see ``data/examples/README.md``).
EXAMPLE_SESSION_FILE = Path(__file__).resolve().parents[2] / "data/examples/session_scores.csv"

_PATIENT_NAMES = ("patient_id", "patient", "client_id", "client")
_SESSION_NAMES = ("session", "session_number", "session_no")
_SCORE_NAMES = ("score", "alliance")
_MISSING = {"", "na", "n/a", "nan", "-", "."}
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_INTEGER = re.compile(r"^[+-]?\d+(\.0*)?$")
_FORMAT_HINT = (
    "The expected format is a comma-separated file with a header line such as "
    "'patient_id,session,score' and one row per session."
)


class SessionFileError(ValueError):
    """The file as a whole cannot be read as session scores; the message says why."""


@dataclass(frozen=True)
class SessionFile:
    """Session scores read from a file, with an account of every row.

    Attributes
    ----------
    sessions : pandas.DataFrame
        The valid rows, sorted by patient and session: ``patient_id`` (text),
        ``session`` (integer), ``alliance`` (float, NaN when the questionnaire
        is missing) and ``line`` (where the row was in the file).
    rejected : pandas.DataFrame
        One row per rejected row: ``line``, ``text`` (the row as written) and
        ``reason``.
    gaps : pandas.DataFrame
        Sessions missing between a patient's first and last session:
        ``patient_id`` and ``session``. Gaps are not errors.
    notes : tuple of str
        Everything else the reader did or noticed (a byte-order mark removed,
        columns ignored, blank lines skipped, rows sorted, ...).
    scale : Scale
        The scale the scores were checked against.
    rows_read : int
        Data rows in the file (blank lines are not rows).
    source : str
        Where the rows came from.
    unit : str
        What a position is called in messages: ``"line"`` for files,
        ``"entry"`` for typed scores.
    """

    sessions: pd.DataFrame
    rejected: pd.DataFrame
    gaps: pd.DataFrame
    notes: tuple[str, ...]
    scale: Scale
    rows_read: int
    source: str = "<data>"
    unit: str = field(default="line")

    def __post_init__(self):
        if self.rows_read != len(self.sessions) + len(self.rejected):
            raise RuntimeError(  # the reader's own promise; never expected to fail
                f"row accounting broken: {self.rows_read} read, {len(self.sessions)} kept, "
                f"{len(self.rejected)} rejected"
            )

    @property
    def rows_kept(self) -> int:
        """Number of valid rows (``len(self.sessions)``)."""
        return len(self.sessions)

    @property
    def rows_rejected(self) -> int:
        """Number of rejected rows (``len(self.rejected)``)."""
        return len(self.rejected)

    def __repr__(self) -> str:
        return (
            f"<SessionFile {self.source}: {self.rows_read} rows read, {self.rows_kept} kept, "
            f"{self.rows_rejected} rejected ({self.scale.name})>"
        )

    def report(self) -> str:
        """A plain-text account: counts, every rejected row, gaps and notes."""
        lines = [
            f"{self.source} (scale {self.scale.name}): {self.rows_read} rows read, "
            f"{self.rows_kept} kept, {self.rows_rejected} rejected."
        ]
        if self.rows_rejected:
            lines.append("Rejected:")
            lines += [
                f"  {self.unit} {row.line}: {row.reason}"
                for row in self.rejected.itertuples(index=False)
            ]
        if len(self.gaps):
            lines.append("Gaps (missed sessions; kept as they are):")
            for pid, group in self.gaps.groupby("patient_id", sort=False):
                missing = ", ".join(str(s) for s in group["session"])
                lines.append(f"  patient {pid}: session(s) {missing}")
        if self.notes:
            lines.append("Notes:")
            lines += [f"  - {note}" for note in self.notes]
        return "\n".join(lines)


# --------------------------------------------------------------------------
# reading bytes and text


def _raw(source) -> tuple[bytes | str, str]:
    """The file's content (bytes, or text if given text) and a name for messages."""
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.exists():
            raise FileNotFoundError(
                f"no file at {str(path)!r}; to read text you have in memory, "
                "wrap it as io.StringIO(text)"
            )
        if path.is_dir():
            raise SessionFileError(f"{str(path)!r} is a folder, not a CSV file")
        return path.read_bytes(), path.name
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source), "<bytes>"
    if hasattr(source, "read"):
        content = source.read()
        if not isinstance(content, (str, bytes, bytearray, memoryview)):
            raise TypeError(f"reading the buffer gave {type(content).__name__}, not text or bytes")
        name = getattr(source, "name", "<buffer>")
        name = Path(name).name if isinstance(name, str) else "<buffer>"
        return (content if isinstance(content, str) else bytes(content)), name
    raise TypeError(
        "source must be a path, bytes or an open file (text or binary), "
        f"got {type(source).__name__}"
    )


def _decode(content: bytes | str, encoding: str, notes: list[str]) -> str:
    if isinstance(content, str):
        text = content
    else:
        if content.startswith(b"PK\x03\x04"):
            raise SessionFileError(
                "this is an Excel workbook (.xlsx) or another zip file, not a CSV file; "
                "in Excel use File > Save As > 'CSV UTF-8 (comma delimited)'"
            )
        if content.startswith(b"\xd0\xcf\x11\xe0"):
            raise SessionFileError(
                "this is an old Excel workbook (.xls), not a CSV file; "
                "in Excel use File > Save As > 'CSV UTF-8 (comma delimited)'"
            )
        if content.startswith((b"\xff\xfe", b"\xfe\xff")):
            notes.append(
                "the file was UTF-16 text (with a byte-order mark) and was decoded as such"
            )
            text = content.decode("utf-16")
        else:
            if content.startswith(b"\xef\xbb\xbf"):
                notes.append("a UTF-8 byte-order mark at the start of the file was removed")
                content = content[3:]
            try:
                text = content.decode(encoding)
            except UnicodeDecodeError as err:
                line = content[: err.start].count(b"\n") + 1
                raise SessionFileError(
                    f"line {line} has bytes that are not valid {encoding} "
                    f"(byte 0x{content[err.start]:02x}); the file is in another encoding. "
                    "Save it as UTF-8 (in Excel: 'CSV UTF-8'), or pass encoding='cp1252' "
                    "(Windows) or encoding='latin-1'"
                ) from None
            except LookupError:
                raise ValueError(f"unknown encoding {encoding!r}") from None
    if text.startswith("\ufeff"):
        if not notes or "byte-order mark" not in notes[-1]:
            notes.append("a byte-order mark at the start of the text was removed")
        text = text[1:]
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise SessionFileError(
            f"line {line} contains a NUL byte: this is not a plain-text CSV file "
            "(a binary file, or UTF-16 without a byte-order mark?)"
        )
    # one line ending everywhere, so that csv records and physical lines agree
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _records(text: str, delimiter: str):
    """(first line, last line, fields) for every CSV record, blank ones included."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, skipinitialspace=False)
    previous = 0
    try:
        for fields in reader:
            yield previous + 1, reader.line_num, fields
            previous = reader.line_num
    except csv.Error as err:
        raise SessionFileError(f"line {reader.line_num} cannot be read as CSV: {err}") from None


# --------------------------------------------------------------------------
# the header


def _normalise(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def _find(names: list[str], candidates: tuple[str, ...], role: str) -> int | None:
    hits = [i for i, n in enumerate(names) if n in candidates]
    if len(hits) > 1:
        both = " and ".join(repr(names[i]) for i in hits)
        raise SessionFileError(f"columns {both} could both be the {role}; keep one of them")
    return hits[0] if hits else None


def _header(fields, line, delimiter, scale, notes):
    raw = ", ".join(repr(f) for f in fields)
    joined = delimiter.join(fields)
    names = [_normalise(f) for f in fields]
    if len(fields) == 1:
        for other, word in ((";", "semicolons"), ("\t", "tabs"), ("|", "vertical bars")):
            if other != delimiter and other in joined:
                hint = " (and decimal=',' if it writes 4,5 for 4.5)" if other == ";" else ""
                raise SessionFileError(
                    f"the header on line {line} ({joined!r}) has no {_delimiter_word(delimiter)} "
                    f"but has {word}: the file looks {word[:-1]}-separated. Read it with "
                    f"delimiter={other!r}{hint}, or save it comma-separated."
                )
    named = [n for n in names if n]
    duplicates = sorted({n for n in named if named.count(n) > 1})
    if duplicates:
        raise SessionFileError(f"the header on line {line} repeats column(s) {duplicates}")
    score_names = (*_SCORE_NAMES, scale.name.replace("-", "_"), scale.name.split("-")[0])
    patient = _find(names, _PATIENT_NAMES, "patient")
    session = _find(names, _SESSION_NAMES, "session number")
    score = _find(names, score_names, "score")
    missing = [
        what
        for what, where in (("'session'", session), ("'score' (or 'alliance')", score))
        if where is None
    ]
    if missing:
        raise SessionFileError(
            f"the header on line {line} has columns {raw} but no {' and no '.join(missing)} "
            f"column. {_FORMAT_HINT}"
        )
    used = {i for i in (patient, session, score) if i is not None}
    unused = [fields[i].strip() for i in range(len(fields)) if i not in used and names[i]]
    if unused:
        notes.append(f"column(s) {', '.join(map(repr, unused))} are not used")
    unnamed = [i + 1 for i in range(len(fields)) if not names[i]]
    if unnamed:
        notes.append(f"column(s) {unnamed} have no name in the header and are not used")
    if patient is None:
        notes.append("there is no patient column: every row is taken to be patient '1'")
    return patient, session, score, [fields[i].strip() for i in (session, score)]


def _delimiter_word(delimiter: str) -> str:
    return {",": "commas", ";": "semicolons", "\t": "tabs", "|": "vertical bars"}.get(
        delimiter, f"{delimiter!r} characters"
    )


# --------------------------------------------------------------------------
# one row


def _parse_session(text: str, name: str, max_session: int) -> tuple[int | None, str | None]:
    value = text.strip()
    if value == "":
        return None, f"{name} is empty"
    if not _INTEGER.match(value):
        if _NUMBER.match(value):
            return None, f"{name} {value!r} is not a whole number"
        return None, f"{name} {value!r} is not a number"
    number = int(value.split(".")[0])
    if number < 1:
        return None, f"{name} {number} is not allowed: sessions are numbered from 1"
    if number > max_session:
        return None, (
            f"{name} {number} is above the plausible maximum {max_session} "
            "(a typo? pass max_session= if it is right)"
        )
    return number, None


def _parse_score(text: str, name: str, scale: Scale, decimal: str) -> tuple[float, str | None]:
    value = text.strip()
    if value.lower() in _MISSING:
        return math.nan, None
    if decimal != ".":
        if "." in value:
            return math.nan, f"{name} {value!r} has a '.', but the decimal mark is {decimal!r}"
        value = value.replace(decimal, ".")
    if not _NUMBER.match(value):
        return math.nan, f"{name} {text.strip()!r} is not a number"
    number = float(value)
    if not math.isfinite(number):
        return math.nan, f"{name} {text.strip()!r} is too large to be a score"
    if not scale.contains(number):
        return math.nan, (
            f"{name} {number:g} is outside the {scale.name} range "
            f"{scale.minimum:g}-{scale.maximum:g}"
        )
    return number, None


# --------------------------------------------------------------------------


def read_sessions(
    source,
    *,
    scale: str | Scale = "wai-sr",
    delimiter: str = ",",
    decimal: str = ".",
    encoding: str = "utf-8",
    max_session: int = 200,
) -> SessionFile:
    """Read a file of session-by-session alliance scores, checking every row.

    Parameters
    ----------
    source : str, path, bytes or file
        A path to a CSV file, its content as bytes, or an open file (text or
        binary, e.g. ``io.StringIO(text)``).
    scale : str or Scale, default "wai-sr"
        The questionnaire the scores are on (see :mod:`book.practice.scales`); scores
        outside its range are rejected.
    delimiter : str, default ","
        The character between values: ``";"`` for files saved by spreadsheet
        programs in many European languages, ``"\\t"`` for tab-separated.
    decimal : str, default "."
        The decimal mark of the scores (``","`` with ``delimiter=";"``).
    encoding : str, default "utf-8"
        The text encoding; a UTF-8 or UTF-16 byte-order mark is recognised.
    max_session : int, default 200
        The largest plausible session number; larger ones are rejected as typos.

    Returns
    -------
    SessionFile
        ``.sessions`` (valid rows), ``.rejected`` (every rejected row with its
        line number and reason), ``.gaps``, ``.notes``, the counts
        ``.rows_read``, ``.rows_kept``, ``.rows_rejected`` and ``.report()``.

    Raises
    ------
    SessionFileError
        If the file as a whole cannot be read: empty, a header only, not text
        (an Excel workbook), not in the encoding, separated by another
        delimiter, or without ``session`` and ``score`` columns.
    FileNotFoundError
        If ``source`` is a path that does not exist.

    Examples
    --------
    >>> import io
    >>> text = "patient_id,session,score\\nA,1,4.2\\nA,2,4.5\\nA,3,seven\\nA,5,3.1\\n"
    >>> result = read_sessions(io.StringIO(text))
    >>> result
    <SessionFile <buffer>: 4 rows read, 3 kept, 1 rejected (wai-sr)>
    >>> result.sessions
      patient_id  session  alliance  line
    0          A        1       4.2     2
    1          A        2       4.5     3
    2          A        5       3.1     5
    >>> print(result.report())
    <buffer> (scale wai-sr): 4 rows read, 3 kept, 1 rejected.
    Rejected:
      line 4: score 'seven' is not a number
    Gaps (missed sessions; kept as they are):
      patient A: session(s) 3, 4
    """
    scale = get_scale(scale)
    for name, value in (("delimiter", delimiter), ("decimal", decimal)):
        if not isinstance(value, str) or len(value) != 1:
            raise ValueError(f"{name} must be a single character, got {value!r}")
    if delimiter == decimal:
        raise ValueError(f"delimiter and decimal must differ, both are {delimiter!r}")
    if not isinstance(max_session, int) or isinstance(max_session, bool) or max_session < 1:
        raise ValueError(f"max_session must be a positive whole number, got {max_session!r}")

    notes: list[str] = []
    content, name = _raw(source)
    if not content.strip():
        raise SessionFileError(f"{name} is empty. {_FORMAT_HINT}")
    text = _decode(content, encoding, notes)
    if not text.strip():
        raise SessionFileError(f"{name} is empty. {_FORMAT_HINT}")
    lines = text.split("\n")

    records = _records(text, delimiter)
    blank_before = []
    for first, _last, fields in records:
        if any(f.strip() for f in fields):
            header_line, header = first, fields
            break
        blank_before.append(first)
    else:
        raise SessionFileError(f"{name} has no values, only separators. {_FORMAT_HINT}")
    if blank_before:
        notes.append(f"blank line(s) {_span(blank_before)} before the header were skipped")
    patient_i, session_i, score_i, (session_name, score_name) = _header(
        header, header_line, delimiter, scale, notes
    )
    session_name, score_name = session_name or "session", score_name or "score"
    width = len(header)

    kept, rejected, blank, multiline_ok = [], [], [], True
    for first, last, fields in records:
        if not any(f.strip() for f in fields):
            blank.append(first)
            continue
        where = first
        raw_text = "\n".join(lines[first - 1 : last])
        if last > first:
            rejected.append(
                (
                    where,
                    raw_text,
                    f"a quoted value runs over lines {first}-{last} (an unclosed quote?)",
                )
            )
            multiline_ok = False
            continue
        if len(fields) != width and not (
            len(fields) > width and not any(f.strip() for f in fields[width:])
        ):
            hint = ""
            if len(fields) > width and delimiter == ",":
                hint = " (a comma inside a value, such as a decimal comma? write 4.5, not 4,5)"
            rejected.append(
                (where, raw_text, f"has {len(fields)} values but the header has {width}{hint}")
            )
            continue
        problems = []
        patient = "1"
        if patient_i is not None:
            patient = fields[patient_i].strip()
            if patient == "":
                problems.append(f"{header[patient_i].strip() or 'patient_id'} is empty")
        session, problem = _parse_session(fields[session_i], session_name, max_session)
        if problem:
            problems.append(problem)
        score, problem = _parse_score(fields[score_i], score_name, scale, decimal)
        if problem:
            problems.append(problem)
        if problems:
            rejected.append((where, raw_text, "; ".join(problems)))
        else:
            kept.append((patient, session, score, where, raw_text))
    if not multiline_ok:
        notes.append("rows whose quoted values span several lines were rejected")
    if blank:
        notes.append(f"blank line(s) {_span(blank)} were skipped (they are not rows)")
    rows_read = len(kept) + len(rejected)
    if rows_read == 0:
        raise SessionFileError(
            f"{name} has a header (line {header_line}) but no data rows. {_FORMAT_HINT}"
        )

    kept, rejected = _resolve_duplicates(kept, rejected, notes)
    sessions = pd.DataFrame(
        {
            "patient_id": pd.Series([k[0] for k in kept], dtype="str"),
            "session": pd.Series([k[1] for k in kept], dtype="int64"),
            "alliance": pd.Series([k[2] for k in kept], dtype="float64"),
            "line": pd.Series([k[3] for k in kept], dtype="int64"),
        }
    )
    order = _sorted_order(sessions)
    if not np.array_equal(order, np.arange(len(sessions))):
        notes.append("rows were not in patient and session order; they are sorted")
    sessions = sessions.iloc[order].reset_index(drop=True)
    no_score = sessions.loc[sessions["alliance"].isna(), "line"].tolist()
    if no_score:
        notes.append(
            f"{len(no_score)} session(s) without a score (line(s) {_span(no_score)}) "
            "are kept with an empty score"
        )
    rejected_df = pd.DataFrame(
        {
            "line": pd.Series([r[0] for r in rejected], dtype="int64"),
            "text": pd.Series([r[1] for r in rejected], dtype="str"),
            "reason": pd.Series([r[2] for r in rejected], dtype="str"),
        }
    ).sort_values("line", kind="stable", ignore_index=True)
    return SessionFile(
        sessions=sessions,
        rejected=rejected_df,
        gaps=_gaps(sessions),
        notes=tuple(notes),
        scale=scale,
        rows_read=rows_read,
        source=name,
    )


def _span(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:10])
    return shown + (f" and {len(numbers) - 10} more" if len(numbers) > 10 else "")


def _resolve_duplicates(kept, rejected, notes):
    """Exact repeats: keep the first. Conflicting scores for one session: reject them all."""
    by_key: dict[tuple[str, int], list] = {}
    for row in kept:
        by_key.setdefault((row[0], row[1]), []).append(row)
    out = []
    for (patient, session), rows in by_key.items():
        if len(rows) == 1:
            out.append(rows[0])
            continue
        scores = {("missing" if math.isnan(r[2]) else r[2]) for r in rows}
        where = ", ".join(str(r[3]) for r in rows)
        if len(scores) == 1:
            out.append(rows[0])
            rejected += [
                (r[3], r[4], f"repeats line {rows[0][3]} (same patient, session and score)")
                for r in rows[1:]
            ]
        else:
            rejected += [
                (
                    r[3],
                    r[4],
                    f"patient {patient} session {session} appears on lines {where} "
                    "with different scores; keep the right one",
                )
                for r in rows
            ]
    if len(out) < len(kept):
        notes.append("duplicate sessions were found; see the rejected rows")
    out.sort(key=lambda r: r[3])
    return out, rejected


def _sorted_order(sessions: pd.DataFrame) -> np.ndarray:
    ids = sessions["patient_id"]
    numeric = ids.str.fullmatch(r"[+-]?\d+").all() if len(ids) else False
    key = ids.astype("int64") if numeric else ids
    frame = pd.DataFrame({"key": key, "session": sessions["session"]})
    return frame.sort_values(["key", "session"], kind="stable").index.to_numpy()


def _gaps(sessions: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for pid, group in sessions.groupby("patient_id", sort=False):
        present = set(group["session"])
        rows += [
            (pid, s)
            for s in range(int(group["session"].min()), int(group["session"].max()) + 1)
            if s not in present
        ]
    return pd.DataFrame(
        {
            "patient_id": pd.Series([r[0] for r in rows], dtype="str"),
            "session": pd.Series([r[1] for r in rows], dtype="int64"),
        }
    )


def scores_from_text(text: str, *, scale: str | Scale = "wai-sr") -> SessionFile:
    """Read one patient's scores typed as a list, session 1 first.

    Entries are separated by commas, semicolons, spaces or line breaks; a
    decimal point, not a comma, marks decimals. ``NA``, ``-`` or ``?`` is a
    missing questionnaire (the session is kept, without a score). An entry
    that is not a score on the scale is rejected with its position and
    reason; the next entry is still the next session.

    Parameters
    ----------
    text : str
        The scores, e.g. ``"4.2 4.5 3.1 NA 4.0"``.
    scale : str or Scale, default "wai-sr"
        The questionnaire the scores are on.

    Returns
    -------
    SessionFile
        As :func:`read_sessions`, patient ``"1"``; positions are *entries*.

    Examples
    --------
    >>> typed = scores_from_text("4.2, 4.5, 9, NA 3.9")
    >>> typed.sessions[["session", "alliance"]]
       session  alliance
    0        1       4.2
    1        2       4.5
    2        4       NaN
    3        5       3.9
    >>> typed.rejected["reason"].tolist()
    ['score 9 is outside the wai-sr range 1-5']
    """
    scale = get_scale(scale)
    if not isinstance(text, str):
        raise TypeError(f"text must be a string of scores, got {type(text).__name__}")
    entries = [e for e in re.split(r"[,;\s]+", text.strip()) if e]
    kept, rejected = [], []
    for position, entry in enumerate(entries, start=1):
        if entry == "?":
            entry = "NA"
        score, problem = _parse_score(entry, "score", scale, ".")
        if problem:
            rejected.append((position, entry, problem))
        else:
            kept.append(("1", position, score, position))
    sessions = pd.DataFrame(
        {
            "patient_id": pd.Series([k[0] for k in kept], dtype="str"),
            "session": pd.Series([k[1] for k in kept], dtype="int64"),
            "alliance": pd.Series([k[2] for k in kept], dtype="float64"),
            "line": pd.Series([k[3] for k in kept], dtype="int64"),
        }
    )
    notes = []
    if not entries:
        notes.append("no scores were typed")
    return SessionFile(
        sessions=sessions,
        rejected=pd.DataFrame(
            {
                "line": pd.Series([r[0] for r in rejected], dtype="int64"),
                "text": pd.Series([r[1] for r in rejected], dtype="str"),
                "reason": pd.Series([r[2] for r in rejected], dtype="str"),
            }
        ),
        gaps=_gaps(sessions),
        notes=tuple(notes),
        scale=scale,
        rows_read=len(entries),
        source="typed scores",
        unit="entry",
    )
