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

A file may hold several measures per session, such as the alliance after the
session and the symptoms before it (``patient_id,session,alliance,bdi``); name
each column and its scale, ``scale={"alliance": "wai-sr", "bdi": "bdi-ii"}``,
and every measure is checked against its own scale.

Other columns are allowed and ignored (the report says so). Sessions may be in
any order and may have gaps (a missed session is not an error).

What is measured once per patient, such as interpersonal problems at intake,
belongs in a patient table, one row per patient (``patient_id,iip``), which
:func:`read_patients` reads with the same checks and the same report.

:func:`read_sessions` never drops a row silently. It returns a
:class:`SessionFile`: the valid rows, and a report of every rejected row with
its line number and the reason, so that rows read = rows kept + rows rejected.
Problems with the file as a whole (empty, not a text CSV, not UTF-8, wrong
delimiter, no header with the needed columns, not a regular file) raise
:class:`SessionFileError` with a message that says what to do.
"""

from __future__ import annotations

import contextlib
import csv
import gc
import math
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import compress
from pathlib import Path

import numpy as np
import pandas as pd

from book.practice.scales import Scale, get_scale

__all__ = [
    "EXAMPLE_SESSION_FILE",
    "PatientFile",
    "SessionFile",
    "SessionFileError",
    "read_patients",
    "read_sessions",
    "scores_from_text",
]

#: A small example file, made up for the book (see ``data/examples/README.md``).
EXAMPLE_SESSION_FILE = Path(__file__).resolve().parents[2] / "data/examples/session_scores.csv"

_PATIENT_NAMES = ("patient_id", "patient", "client_id", "client")
_SESSION_NAMES = ("session", "session_number", "session_no")
_SCORE_NAMES = ("score", "alliance")
_RESERVED = {"patient_id": "the patient", "session": "the session number", "line": "the line"}
_MISSING = {"", "na", "n/a", "nan", "-", "."}
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$", re.ASCII)
_INTEGER = re.compile(r"^[+-]?\d+(\.0*)?$", re.ASCII)
_WHOLE = re.compile(r"[0-9]+")
_NUMERIC_ID = re.compile(r"[+-]?[0-9]+")
_TYPED_DECIMAL_COMMA = re.compile(r"\d,\d")
_SHOWN = 40  # characters of a value quoted in a message
_FORMAT_HINT = (
    "The expected format is a comma-separated file with a header line such as "
    "'patient_id,session,score' and one row per session."
)
_PATIENT_FORMAT_HINT = (
    "The expected format is a comma-separated file with a header line such as "
    "'patient_id,iip' and one row per patient."
)


class SessionFileError(ValueError):
    """The file as a whole cannot be read as session scores; the message says why."""


class _RowAccount:
    """What the readers' results share: rows read = rows kept + rows rejected, and a report."""

    _kept_name = "sessions"  # the attribute that holds the kept rows

    def _check_accounting(self) -> None:
        kept = len(getattr(self, self._kept_name))
        if self.rows_read != kept + len(self.rejected):
            raise RuntimeError(  # the reader's own promise; never expected to fail
                f"row accounting broken: {self.rows_read} read, {kept} kept, "
                f"{len(self.rejected)} rejected"
            )

    @property
    def rows_kept(self) -> int:
        """Number of valid rows."""
        return len(getattr(self, self._kept_name))

    @property
    def rows_rejected(self) -> int:
        """Number of rejected rows (``len(self.rejected)``)."""
        return len(self.rejected)

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} {self.source}: {self.rows_read} rows read, "
            f"{self.rows_kept} kept, {self.rows_rejected} rejected ({self._scale_names()})>"
        )

    def _report_head(self, several: bool) -> list[str]:
        """The first lines of a report: what was read, kept and rejected, and why."""
        lines = [
            f"{self.source} (scale{'s' if several else ''} {self._scale_names()}): "
            f"{self.rows_read} rows read, {self.rows_kept} kept, {self.rows_rejected} rejected."
        ]
        if self.rows_rejected:
            lines.append("Rejected:")
            lines += [
                f"  {self.unit} {row.line}: {row.reason}"
                for row in self.rejected.itertuples(index=False)
            ]
        return lines


def _notes_lines(notes) -> list[str]:
    return ["Notes:", *(f"  - {note}" for note in notes)] if notes else []


@dataclass(frozen=True, repr=False)
class SessionFile(_RowAccount):
    """Session scores read from a file, with an account of every row.

    Attributes
    ----------
    sessions : pandas.DataFrame
        The valid rows, sorted by patient and session: ``patient_id`` (text),
        ``session`` (integer), one column of scores per measure (float, NaN
        when the questionnaire is missing: ``alliance`` when one alliance scale
        is read) and ``line`` (where the row begins in the file).
    rejected : pandas.DataFrame
        One row per rejected row: ``line``, ``text`` (the row as written) and
        ``reason``.
    gaps : pandas.DataFrame
        Runs of sessions missing between a patient's first and last session:
        ``patient_id``, ``first`` and ``last`` (the first and last missed
        session of the run). Gaps are not errors.
    notes : tuple of str
        Everything else the reader did or noticed (a byte-order mark removed,
        columns ignored, blank lines skipped, rows sorted, ...).
    scale : Scale
        The scale of the (first) measure.
    rows_read : int
        Data rows in the file: every non-blank line after the header, except
        that a row whose quoted value runs over several lines counts once.
    source : str
        Where the rows came from.
    unit : str
        What a position is called in messages: ``"line"`` for files,
        ``"entry"`` for typed scores.
    scales : dict
        Each measure's column in ``sessions`` and its scale.
    """

    sessions: pd.DataFrame
    rejected: pd.DataFrame
    gaps: pd.DataFrame
    notes: tuple[str, ...]
    scale: Scale
    rows_read: int
    source: str = "<data>"
    unit: str = field(default="line")
    scales: dict = field(default_factory=dict)

    def __post_init__(self):
        self._check_accounting()
        if not self.scales:
            object.__setattr__(self, "scales", {self.scale.column: self.scale})

    def _scale_names(self) -> str:
        if len(self.scales) == 1 and next(iter(self.scales)) == self.scale.column:
            return self.scale.name
        return ", ".join(f"{column}: {s.name}" for column, s in self.scales.items())

    def report(self) -> str:
        """A plain-text account: counts, every rejected row, gaps and notes."""
        several = len(self.scales) > 1 or next(iter(self.scales)) != self.scale.column
        lines = self._report_head(several)
        if len(self.gaps):
            lines.append("Gaps (missed sessions; kept as they are):")
            for pid, group in self.gaps.groupby("patient_id", sort=False):
                runs = ", ".join(
                    str(a) if a == b else f"{a}-{b}"
                    for a, b in zip(group["first"], group["last"], strict=True)
                )
                lines.append(f"  patient {pid}: session(s) {runs}")
        return "\n".join(lines + _notes_lines(self.notes))


@dataclass(frozen=True, repr=False)
class PatientFile(_RowAccount):
    """Patient-level scores (measured once per patient) read from a file, with every row
    accounted for.

    Attributes
    ----------
    patients : pandas.DataFrame
        The valid rows, sorted by patient: ``patient_id`` (text), one column of
        scores per measure (float, NaN when missing: ``iip`` for the IIP-32)
        and ``line`` (where the row begins in the file).
    rejected : pandas.DataFrame
        One row per rejected row: ``line``, ``text`` (the row as written) and
        ``reason``.
    notes : tuple of str
        Everything else the reader did or noticed.
    scales : dict
        Each measure's column in ``patients`` and its scale.
    rows_read : int
        Data rows in the file (rows kept + rows rejected).
    source : str
        Where the rows came from.
    """

    patients: pd.DataFrame
    rejected: pd.DataFrame
    notes: tuple[str, ...]
    scales: dict
    rows_read: int
    source: str = "<data>"
    unit: str = field(default="line", init=False)

    _kept_name = "patients"

    def __post_init__(self):
        self._check_accounting()

    def _scale_names(self) -> str:
        return ", ".join(f"{column}: {s.name}" for column, s in self.scales.items())

    def report(self) -> str:
        """A plain-text account: counts, every rejected row and notes."""
        return "\n".join(self._report_head(len(self.scales) > 1) + _notes_lines(self.notes))


# --------------------------------------------------------------------------
# reading bytes and text


def _raw(source) -> tuple[bytes | str, str]:
    """The file's content (bytes, or text if given text) and a name for messages."""
    if isinstance(source, str) and ("\n" in source or "\r" in source):
        raise SessionFileError(
            "source is text with line breaks, not the name of a file: to read CSV text "
            "you have in memory, wrap it as io.StringIO(text)"
        )
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        return _read_regular_file(path), path.name
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source), "<bytes>"
    if hasattr(source, "read"):
        _require_regular(source)
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


def _shown(text: str, limit: int = _SHOWN) -> str:
    """``text`` for a message: shortened to ``limit`` characters."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _not_regular(name: str) -> SessionFileError:
    return SessionFileError(
        f"{name!r} is not a regular file (a device, a named pipe or a socket); "
        "save the scores as a CSV file and read that"
    )


def _read_regular_file(path: Path) -> bytes:
    """The bytes of a regular file; a device or a named pipe is refused before any read."""
    shown = _shown(str(path), 80)
    with contextlib.suppress(OSError):  # (a name too long to be a path is handled below)
        if path.is_dir():  # Windows refuses to open a folder with a misleading error
            raise SessionFileError(f"{shown!r} is a folder, not a CSV file")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        # O_NONBLOCK: opening a named pipe must not wait for a writer
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise FileNotFoundError(
            f"no file at {shown!r}; to read text you have in memory, wrap it as io.StringIO(text)"
        ) from None
    except IsADirectoryError:
        raise SessionFileError(f"{shown!r} is a folder, not a CSV file") from None
    except OSError as err:
        raise SessionFileError(
            f"cannot open {shown!r}: {err.strerror}; to read CSV text you have in memory, "
            "wrap it as io.StringIO(text)"
        ) from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise SessionFileError(f"{shown!r} is a folder, not a CSV file")
        if not stat.S_ISREG(mode):
            raise _not_regular(shown)
    except BaseException:
        os.close(fd)
        raise
    with open(fd, "rb", closefd=True) as handle:
        return handle.read()


def _require_regular(buffer) -> None:
    """Refuse an open file that is a device or a pipe (reading it could never end)."""
    try:
        fd = buffer.fileno()
    except (AttributeError, OSError, ValueError):
        return  # an in-memory buffer
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        raise _not_regular(str(getattr(buffer, "name", "<buffer>")))


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
            text = _decode_utf16(content)
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


def _decode_utf16(content: bytes) -> str:
    try:
        return content.decode("utf-16")
    except UnicodeDecodeError as err:
        if len(content) % 2:
            raise SessionFileError(
                f"the file is UTF-16 text (it starts with a UTF-16 byte-order mark) but has an "
                f"odd number of bytes ({len(content)}): it was cut short in the middle of a "
                "character. Save or copy it again, preferably as UTF-8 ('CSV UTF-8')"
            ) from None
        raise SessionFileError(
            f"the file starts with a UTF-16 byte-order mark but byte {err.start} is not valid "
            "UTF-16 (a damaged or cut file?); save it again, preferably as UTF-8 ('CSV UTF-8')"
        ) from None


@contextlib.contextmanager
def _without_gc():
    """Pause the cyclic garbage collector while a large file is split into rows.

    A million small lists (one per row, none in a cycle) would make the collector
    run hundreds of times, each time over every list made so far: a tenfold slowdown.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _records(lines: list[str], start: int, delimiter: str, width: int | None):
    """``(first, last, fields, problem)`` for every CSV record from ``lines[start]`` on.

    Line numbers count from 1. A record whose quoted value runs over several
    lines is kept whole if it looks like a real row (quotes balanced, no more
    values than the header, no delimiter on its later lines). Otherwise its
    first line was opened by a quote that never closed: that line comes back
    with a ``problem`` and no fields, and reading resumes on the next line, so
    one stray quote never swallows the rest of a file.
    """
    n = len(lines)
    i = start
    while i < n:
        reader = csv.reader((lines[j] + "\n" for j in range(i, n)), delimiter=delimiter)
        done = 0  # lines this reader has consumed
        try:
            for fields in reader:
                first, last = i + done + 1, i + reader.line_num
                done = reader.line_num
                if last > first and not _whole_record(lines, first, last, fields, delimiter, width):
                    yield (
                        first,
                        first,
                        None,
                        "a quote opens a value on this line and does not close "
                        "(an unclosed quote?)",
                    )
                    i = first  # resume on the next line
                    break
                yield first, last, fields, None
            else:
                return
        except csv.Error as err:
            first = i + done + 1
            yield first, first, None, f"cannot be read as CSV: {err}"
            i = first


def _whole_record(lines, first, last, fields, delimiter, width) -> bool:
    if width is None or len(fields) > width:
        return False
    if sum(lines[k].count('"') for k in range(first - 1, last)) % 2:
        return False  # the quote is still open at the end of the file
    return not any(delimiter in lines[k] for k in range(first, last))


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


@dataclass(frozen=True)
class _Measure:
    """One measure to read: its column in the output, its scale, and where it is in the file."""

    column: str
    scale: Scale
    candidates: tuple[str, ...]
    index: int = -1
    name: str = ""  # the column's name as written in the header


def _measures(scale, per_session: bool = True) -> list[_Measure]:
    """The measures asked for: one scale (one score column) or a mapping column -> scale.

    In a patient table (``per_session=False``) one scale is read from its own column.
    """
    if not per_session and not isinstance(scale, Mapping):
        one = get_scale(scale)
        scale = {one.column: one}
    if not isinstance(scale, Mapping):
        scale = get_scale(scale)
        names = (
            *_SCORE_NAMES,
            scale.column,
            scale.name.replace("-", "_"),
            scale.name.split("-")[0],
        )
        return [_Measure(scale.column, scale, tuple(dict.fromkeys(names)))]
    if not scale:
        raise ValueError("scale={} names no measure; give at least one column and its scale")
    measures = []
    for column, one in scale.items():
        if not isinstance(column, str) or not column.strip():
            raise ValueError(f"each measure needs a column name, got {column!r}")
        key = _normalise(column)
        if key in _RESERVED or key in _PATIENT_NAMES or key in _SESSION_NAMES:
            role = _RESERVED.get(key, "the patient" if key in _PATIENT_NAMES else "the session")
            raise ValueError(f"{column!r} is {role}, not a measure; name the score columns")
        measures.append(_Measure(column, get_scale(one), (key,)))
    keys = [m.candidates[0] for m in measures]
    if len(set(keys)) < len(keys):
        raise ValueError(f"scale names a column twice: {list(scale)}")
    return measures


def _header(fields, line, delimiter, measures, notes, per_session=True):
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
    patient = _find(names, _PATIENT_NAMES, "patient")
    session = _find(names, _SESSION_NAMES, "session number")
    if not per_session:
        if session is not None:
            raise SessionFileError(
                f"the header on line {line} has a session column ({fields[session].strip()!r}): "
                "this looks like a session file, which read_sessions reads; a patient table "
                f"has one row per patient. {_PATIENT_FORMAT_HINT}"
            )
        if patient is None:
            raise SessionFileError(
                f"the header on line {line} has columns {raw} but no 'patient_id' column: a "
                f"patient table names the patient on every row. {_PATIENT_FORMAT_HINT}"
            )
    found, missing = [], [] if session is not None or not per_session else ["'session'"]
    for m in measures:
        role = "score" if m.candidates[0] == _SCORE_NAMES[0] else f"{m.column} score"
        where = _find(names, m.candidates, role)
        if where is None:
            wanted = "'score' (or 'alliance')" if m.candidates[0] == "score" else repr(m.column)
            missing.append(wanted)
        else:
            found.append(_Measure(m.column, m.scale, m.candidates, where, fields[where].strip()))
    if missing:
        hint = _FORMAT_HINT if per_session else _PATIENT_FORMAT_HINT
        raise SessionFileError(
            f"the header on line {line} has columns {raw} but no {' and no '.join(missing)} "
            f"column. {hint}"
        )
    used = {i for i in (patient, session, *(m.index for m in found)) if i is not None}
    unused = [fields[i].strip() for i in range(len(fields)) if i not in used and names[i]]
    if unused:
        notes.append(f"column(s) {', '.join(map(repr, unused))} are not used")
    unnamed = [i + 1 for i in range(len(fields)) if not names[i]]
    if unnamed:
        notes.append(f"column(s) {unnamed} have no name in the header and are not used")
    if patient is None:
        notes.append("there is no patient column: every row is taken to be patient '1'")
    return patient, session, found, used


def _delimiter_word(delimiter: str) -> str:
    return {",": "commas", ";": "semicolons", "\t": "tabs", "|": "vertical bars"}.get(
        delimiter, f"{delimiter!r} characters"
    )


# --------------------------------------------------------------------------
# one value, and a column of values


def _parse_session(text: str, name: str, max_session: int) -> tuple[int | None, str | None]:
    value = text.strip()
    if value == "":
        return None, f"{name} is empty"
    if not _INTEGER.match(value):
        if _NUMBER.match(value):
            return None, f"{name} {_shown(value)!r} is not a whole number"
        return None, f"{name} {_shown(value)!r} is not a number"
    number = int(value.split(".")[0])
    if number < 1:
        return None, f"{name} {number} is not allowed: sessions are numbered from 1"
    if number > max_session:
        return None, (
            f"{name} {_shown(str(number))} is above the plausible maximum {max_session} "
            "(a typo? pass max_session= if it is right)"
        )
    return number, None


def _parse_score(
    text: str, name: str, scale: Scale, decimal: str, delimiter: str = ","
) -> tuple[float, str | None]:
    value = text.strip()
    if value.lower() in _MISSING:
        return math.nan, None
    if decimal != ".":
        if "." in value:
            return (
                math.nan,
                f"{name} {_shown(value)!r} has a '.', but the decimal mark is {decimal!r}",
            )
        value = value.replace(decimal, ".")
    if not _NUMBER.match(value):
        hint = ""
        if decimal == "." and delimiter != "," and re.fullmatch(r"[+-]?\d*,\d+", value):
            hint = " (a decimal comma? read the file with decimal=',')"
        return math.nan, f"{name} {_shown(text.strip())!r} is not a number{hint}"
    number = float(value)
    if not math.isfinite(number):
        return math.nan, f"{name} {_shown(text.strip())!r} is too large to be a score"
    if not scale.minimum <= number <= scale.maximum:
        return math.nan, (
            f"{name} {number:g} is outside the {scale.name} range "
            f"{scale.minimum:g}-{scale.maximum:g}"
        )
    if scale.whole and not number.is_integer():
        return (
            math.nan,
            f"{name} {number:g} is not a whole number: {scale.name} scores are whole points",
        )
    return number, None


def _ascii(values: list[str]) -> np.ndarray | None:
    """``values`` as a NumPy byte-string array, so that checks run vectorised; None if not ASCII."""
    try:
        return np.array(values, dtype="S")
    except UnicodeEncodeError:
        return None


def _session_column(values: list[str], name: str, max_session: int):
    """Session numbers (0 where invalid) and ``{position: problem}``."""
    numbers = np.zeros(len(values), dtype=np.int64)
    raw = _ascii(values)
    if raw is not None and len(values):
        plain = np.strings.isdigit(raw) & (np.strings.str_len(raw) < 10)
        numbers[plain] = raw[plain].astype(np.int64)
    problems = {}
    for i in np.flatnonzero((numbers < 1) | (numbers > max_session)).tolist():
        number, problem = _parse_session(values[i], name, max_session)
        if problem:
            problems[i] = problem
        else:
            numbers[i] = number
    return numbers, problems


def _score_column(values: list[str], name: str, scale: Scale, decimal: str, delimiter: str):
    """Scores (NaN where missing or invalid) and ``{position: problem}``."""
    numbers = np.full(len(values), np.nan)
    raw = _ascii(values)
    plain = np.zeros(len(values), dtype=bool)
    if raw is not None and len(values):
        mark = decimal.encode()
        plain = np.strings.isdigit(np.strings.replace(raw, mark, b"", 1))
        plain &= np.strings.str_len(raw) < 20
        chosen = raw[plain] if decimal == "." else np.strings.replace(raw[plain], mark, b".", 1)
        numbers[plain] = chosen.astype(np.float64)
    with np.errstate(invalid="ignore"):
        check = ~plain | (numbers < scale.minimum) | (numbers > scale.maximum)
        if scale.whole:
            check |= numbers != np.round(numbers)
    problems = {}
    for i in np.flatnonzero(check).tolist():
        number, problem = _parse_score(values[i], name, scale, decimal, delimiter)
        numbers[i] = number
        if problem:
            problems[i] = problem
    return numbers, problems


def _decimal_commas(scores: list[str], after: list[str], measure: _Measure, notes: list[str]):
    """``{position: problem}`` for rows where ``3,5`` may have been split into a score and a column.

    ``after`` holds the unused column right after the score. A whole-number
    score followed there by a number is what a decimal comma leaves behind. If
    some row has a decimal point in its score and a number in that column, the
    column holds numbers of its own, and nothing is flagged.
    """
    filled = [k for k, value in enumerate(after) if value and not value.isspace()]
    pairs = [(k, scores[k].strip(), after[k].strip()) for k in filled]
    flagged = [(k, s, a) for k, s, a in pairs if _WHOLE.fullmatch(s) and _WHOLE.fullmatch(a)]
    if not flagged or any("." in s and _NUMBER.match(s) and _NUMBER.match(a) for _, s, a in pairs):
        return {}
    notes.append(
        f"rows whose whole-number {measure.name or 'score'} is followed by a number in the unused "
        "column after it were rejected as possible decimal commas; if that column holds numbers "
        "of its own, read it as a measure too (scale={...}) or move it before the score column"
    )
    return {
        k: f"possible decimal comma: {s},{a} (write {s}.{a}, not {s},{a})" for k, s, a in flagged
    }


# --------------------------------------------------------------------------


def read_sessions(
    source,
    *,
    scale: str | Scale | Mapping = "wai-sr",
    delimiter: str = ",",
    decimal: str = ".",
    encoding: str = "utf-8",
    max_session: int = 200,
) -> SessionFile:
    """Read a file of session-by-session scores, checking every row.

    Parameters
    ----------
    source : str, path, bytes or file
        A path to a CSV file (a regular file: not a device or a pipe), its
        content as bytes, or an open file (text or binary, e.g.
        ``io.StringIO(text)``).
    scale : str, Scale or dict, default "wai-sr"
        The questionnaire the scores are on (see :mod:`book.practice.scales`);
        scores outside its range are rejected. One scale reads one score
        column (``score``, ``alliance`` or the scale's own name, such as
        ``bdi``) into the column named after what it measures (``alliance``,
        or ``bdi`` for the BDI-II). A dict such as
        ``{"alliance": "wai-sr", "bdi": "bdi-ii"}`` reads several measures:
        each key is a column of the file (case, spaces and hyphens ignored)
        and of the result, checked against its scale.
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
        ``.sessions`` (valid rows: ``patient_id``, ``session``, one column per
        measure, ``line``), ``.rejected`` (every rejected row with its line
        number and reason), ``.gaps``, ``.notes``, the counts ``.rows_read``,
        ``.rows_kept``, ``.rows_rejected`` and ``.report()``.

    Raises
    ------
    SessionFileError
        If the file as a whole cannot be read: empty, a header only, not text
        (an Excel workbook), not in the encoding, cut short, separated by
        another delimiter, without ``session`` and score columns, or not a
        regular file (a device or a named pipe).
    FileNotFoundError
        If ``source`` is a path that does not exist.

    Notes
    -----
    A row is rejected, with its line and the reason, when a value is not a
    number, a session number is not a whole number from 1 to ``max_session``,
    a score is outside its scale (or not whole on a scale of whole points), a
    patient's session appears twice with different scores, the row has more
    values than the header, or it looks like a decimal comma split a score in
    two (``3,5`` read as a score of 3 and a 5 in the unused column after it).

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
      patient A: session(s) 3-4

    The alliance after each session and the symptoms before it, from one file:

    >>> both = "patient_id,session,bdi,alliance\\nA,1,28,3.9\\nA,2,31.5,4.1\\nA,3,24,4.3\\n"
    >>> result = read_sessions(io.StringIO(both), scale={"alliance": "wai-sr", "bdi": "bdi-ii"})
    >>> result.sessions
      patient_id  session  alliance   bdi  line
    0          A        1       3.9  28.0     2
    1          A        3       4.3  24.0     4
    >>> result.rejected["reason"].tolist()
    ['bdi 31.5 is not a whole number: bdi-ii scores are whole points']
    """
    measures = _measures(scale)
    _check_format(delimiter, decimal)
    if not isinstance(max_session, int) or isinstance(max_session, bool) or max_session < 1:
        raise ValueError(f"max_session must be a positive whole number, got {max_session!r}")
    sessions, codes, rejected, notes, rows_read, name = _read(
        source, measures, (delimiter, decimal, max_session), encoding
    )
    return SessionFile(
        sessions=sessions,
        rejected=_rejected_frame(rejected),
        gaps=_gaps(sessions, codes),
        notes=tuple(notes),
        scale=measures[0].scale,
        rows_read=rows_read,
        source=name,
        scales={m.column: m.scale for m in measures},
    )


def read_patients(
    source,
    *,
    scale: Mapping | None = None,
    delimiter: str = ",",
    decimal: str = ".",
    encoding: str = "utf-8",
) -> PatientFile:
    """Read a patient table (one row per patient, e.g. IIP at intake), checking every row.

    The companion of :func:`read_sessions` for what is measured once per
    patient: the same file formats, the same checks of every value against its
    scale, and the same account of every row. A patient who appears twice with
    the same scores is kept once; with different scores, every such row is
    rejected, since the reader cannot know which is right.

    Parameters
    ----------
    source : str, path, bytes or file
        As for :func:`read_sessions`.
    scale : dict, default ``{"iip": "iip-32"}``
        Each measure's column (case, spaces and hyphens ignored) and its scale
        (see :mod:`book.practice.scales`).
    delimiter, decimal, encoding : str
        As for :func:`read_sessions`.

    Returns
    -------
    PatientFile
        ``.patients`` (valid rows: ``patient_id``, one column per measure,
        ``line``), ``.rejected`` (every rejected row with its line number and
        reason), ``.notes``, the counts and ``.report()``.

    Raises
    ------
    SessionFileError
        If the file as a whole cannot be read (as for :func:`read_sessions`),
        has no patient column, or has a session column (a session file read
        by mistake).
    FileNotFoundError
        If ``source`` is a path that does not exist.

    Examples
    --------
    >>> import io
    >>> text = "patient_id,iip\\nA,1.25\\nB,\\nC,12\\nA,1.25\\n"
    >>> intake = read_patients(io.StringIO(text))
    >>> intake
    <PatientFile <buffer>: 4 rows read, 2 kept, 2 rejected (iip: iip-32)>
    >>> intake.patients
      patient_id   iip  line
    0          A  1.25     2
    1          B   NaN     3
    >>> print(intake.report())
    <buffer> (scale iip: iip-32): 4 rows read, 2 kept, 2 rejected.
    Rejected:
      line 4: iip 12 is outside the iip-32 range 0-4
      line 5: repeats line 2 (same patient and score)
    Notes:
      - a patient appears on several rows; see the rejected rows
      - 1 patient(s) without a score (line(s) 3) are kept with an empty score
    """
    measures = _measures({"iip": "iip-32"} if scale is None else scale, per_session=False)
    _check_format(delimiter, decimal)
    patients, _, rejected, notes, rows_read, name = _read(
        source, measures, (delimiter, decimal, None), encoding
    )
    return PatientFile(
        patients=patients.drop(columns="session"),
        rejected=_rejected_frame(rejected),
        notes=tuple(notes),
        scales={m.column: m.scale for m in measures},
        rows_read=rows_read,
        source=name,
    )


def _check_format(delimiter, decimal) -> None:
    for name, value in (("delimiter", delimiter), ("decimal", decimal)):
        if not isinstance(value, str) or len(value) != 1:
            raise ValueError(f"{name} must be a single character, got {value!r}")
    if delimiter == decimal:
        raise ValueError(f"delimiter and decimal must differ, both are {delimiter!r}")
    if delimiter in '\n\r"':
        raise ValueError(f"delimiter cannot be a line break or a quote, got {delimiter!r}")


def _read(source, measures, options, encoding):
    """Read and check every row: the kept rows, their patient codes, the rejected rows, the
    notes, the number of rows read and the source's name.

    ``options`` is ``(delimiter, decimal, max_session)``; ``max_session=None`` reads a patient
    table (no session column; a patient's row appears once).
    """
    delimiter, decimal, max_session = options
    per_session = max_session is not None
    hint = _FORMAT_HINT if per_session else _PATIENT_FORMAT_HINT
    notes: list[str] = []
    content, name = _raw(source)
    if not content.strip():
        raise SessionFileError(f"{name} is empty. {hint}")
    text = _decode(content, encoding, notes)
    del content
    if not text.strip():
        raise SessionFileError(f"{name} is empty. {hint}")
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()  # the line break that ends the last line

    header_first, header_last, header, blank_before = None, 0, None, []
    for first, last, fields, problem in _records(lines, 0, delimiter, None):
        if problem:
            raise SessionFileError(
                f"the header on line {first} opens a quote that does not close; {hint}"
            )
        if any(f.strip() for f in fields):
            header_first, header_last, header = first, last, fields
            break
        blank_before.append(first)
    if header is None:
        raise SessionFileError(f"{name} has no values, only separators. {hint}")
    if blank_before:
        notes.append(f"blank line(s) {_span(blank_before)} before the header were skipped")
    patient_i, session_i, measures, used = _header(
        header, header_first, delimiter, measures, notes, per_session
    )
    width = len(header)
    # rows may leave out the header's trailing unnamed columns (a header ending in a comma)
    needed = max(i for i in range(width) if _normalise(header[i])) + 1
    wanted = {i for i in (patient_i, session_i) if i is not None}
    for m in measures:
        wanted.add(m.index)
        if m.index + 1 < width and m.index + 1 not in used:
            wanted.add(m.index + 1)  # where the rest of a decimal comma would land
    with _without_gc():  # freed before the collector runs again
        body_starts = sum(len(line) + 1 for line in lines[:header_last])
        quoted = text.find('"', body_starts) >= 0
        rows = _split_rows(lines, header_last, delimiter, width, needed, sorted(wanted), quoted)
        layout = (header, patient_i, session_i, measures, used)
        kept, rejected = _check_rows(rows, layout, options, notes)
        blank, text_of = rows.blank, _TextOf(rows)
        del rows
    if blank:
        notes.append(f"blank line(s) {_span(blank)} were skipped (they are not rows)")
    rows_read = len(kept["line"]) + len(rejected)
    if rows_read == 0:
        raise SessionFileError(
            f"{name} has a header (line {header_first}) but no data rows. {hint}"
        )

    table = pd.DataFrame(kept)
    codes, ids = _factorize(table["patient_id"].to_numpy(dtype=object))
    table, codes, duplicates = _resolve_duplicates(
        table, codes, measures, text_of, notes, per_session
    )
    rejected += duplicates
    table, order_changed, codes = _sorted(table, codes, ids)
    if order_changed:
        order = "patient and session order" if per_session else "patient order"
        notes.append(f"rows were not in {order}; they are sorted")
    unit = "session(s)" if per_session else "patient(s)"
    for m in measures:
        no_score = table.loc[table[m.column].isna(), "line"].tolist()
        if no_score:
            which = "" if len(measures) == 1 else f" for {m.column}"
            notes.append(
                f"{len(no_score)} {unit} without a score{which} (line(s) {_span(no_score)}) "
                "are kept with an empty score"
            )
    rejected.sort(key=lambda r: r[0])
    return table, codes, rejected, notes, rows_read, name


@dataclass
class _Rows:
    """The rows after the header, split into the columns the reader needs.

    ``columns`` maps a column's position in the header to its values, one per
    candidate row (a row of the right shape; blank rows and rows of the wrong
    shape are already in ``blank`` and ``rejected``); ``first`` and ``last`` are
    the lines each candidate row begins and ends on (``last`` is None when every
    row is one line).
    """

    columns: dict[int, list[str]]
    first: np.ndarray
    last: np.ndarray | None
    blank: list[int]
    rejected: list[tuple[int, str, str]]
    lines: list[str]

    def text(self, k: int) -> str:
        """The text of candidate row ``k`` as written in the file."""
        last = self.first[k] if self.last is None else self.last[k]
        return "\n".join(self.lines[self.first[k] - 1 : last])


def _shape_problem(fields: list[str], width: int, needed: int, delimiter: str) -> str | None:
    """Why a row of ``fields`` cannot be a row of the header's columns, or None."""
    if needed <= len(fields) <= width:
        return None
    if len(fields) > width and not any(f.strip() for f in fields[width:]):
        return None  # a row that ends in empty values (trailing commas)
    hint = ""
    if len(fields) > width and delimiter == ",":
        hint = " (a comma inside a value, such as a decimal comma? write 4.5, not 4,5)"
    return f"has {len(fields)} values but the header has {width}{hint}"


def _split_rows(lines, start, delimiter, width, needed, wanted, quoted) -> _Rows:
    """Every record after the header, with blank and misshapen rows set aside."""
    rest = lines[start:]
    if quoted:
        return _split_quoted(lines, start, delimiter, width, needed, wanted)
    # no quotes: one line is one row. Rows with the most common number of values (all
    # the header's columns, or all but its trailing unnamed ones) are split at once
    # into one flat list (no list per row); the others one by one
    counts = np.array([line.count(delimiter) for line in rest], dtype=np.int64)
    usual_width = width
    if len(counts):
        values, times = np.unique(counts, return_counts=True)
        common = int(values[times.argmax()]) + 1
        if needed <= common <= width:
            usual_width = common
    usual = np.flatnonzero(counts == usual_width - 1)
    chosen = (
        rest
        if len(usual) == len(rest)
        else list(compress(rest, (counts == usual_width - 1).tolist()))
    )
    flat = delimiter.join(chosen).split(delimiter) if chosen else []
    columns = {j: flat[j::usual_width] if j < usual_width else [""] * len(usual) for j in wanted}
    first = [usual + start + 1]
    blank, rejected, extra = [], [], {j: [] for j in wanted}
    extra_first = []
    for i in np.flatnonzero(counts != usual_width - 1).tolist():
        line_no, fields = start + i + 1, rest[i].split(delimiter)
        if not "".join(fields).strip():
            blank.append(line_no)
            continue
        problem = _shape_problem(fields, width, needed, delimiter)
        if problem:
            rejected.append((line_no, rest[i], problem))
            continue
        extra_first.append(line_no)
        for j in wanted:
            extra[j].append(fields[j] if j < len(fields) else "")
    if extra_first:
        first.append(np.array(extra_first, dtype=np.int64))
        for j in wanted:
            columns[j] += extra[j]
    return _Rows(columns, np.concatenate(first), None, blank, rejected, lines)


def _split_quoted(lines, start, delimiter, width, needed, wanted) -> _Rows:
    first, last, blank, rejected = [], [], [], []
    columns = {j: [] for j in wanted}
    for line_first, line_last, fields, problem in _records(lines, start, delimiter, width):
        text = "\n".join(lines[line_first - 1 : line_last])
        if problem:
            rejected.append((line_first, text, problem))
            continue
        if not "".join(fields).strip():
            blank.append(line_first)
            continue
        problem = _shape_problem(fields, width, needed, delimiter)
        if problem:
            rejected.append((line_first, text, problem))
            continue
        first.append(line_first)
        last.append(line_last)
        for j in wanted:
            columns[j].append(fields[j] if j < len(fields) else "")
    return _Rows(
        columns,
        np.array(first, dtype=np.int64),
        np.array(last, dtype=np.int64),
        blank,
        rejected,
        lines,
    )


def _check_rows(rows: _Rows, layout, options, notes):
    """The kept rows (a dict of columns) and every rejected one ``(line, text, reason)``.

    ``layout`` is the header and where the patient, session and measures are in it
    (and which columns are used); ``options`` the delimiter, decimal mark and
    largest session number.
    """
    header, patient_i, session_i, measures, used = layout
    delimiter, decimal, max_session = options
    n = len(rows.first)
    problems: dict[int, list[str]] = {}
    if session_i is None:  # a patient table: a row of delimiters only (",,") is a blank line
        sessions, found = np.zeros(n, dtype=np.int64), {}
        ids = rows.columns[patient_i]
        maybe = [k for k in range(n) if not ids[k].strip()]
        blank = {k for k in maybe if not rows.text(k).replace(delimiter, "").strip()}
    else:
        session_name = header[session_i].strip() or "session"
        sessions, found = _session_column(rows.columns[session_i], session_name, max_session)
        # a row of delimiters only (",,,") has no session number: it is a blank line
        blank = {
            k
            for k, problem in found.items()
            if problem.endswith(" is empty") and not rows.text(k).replace(delimiter, "").strip()
        }
    if blank:
        rows.blank = sorted([*rows.blank, *rows.first[sorted(blank)].tolist()])

    def add(found: dict[int, str]):
        for k, problem in found.items():
            if k not in blank:
                problems.setdefault(k, []).append(problem)

    add(found)
    if patient_i is None:
        patients = ["1"] * n
    else:
        patients = _stripped(rows.columns[patient_i])
        label = header[patient_i].strip() or "patient_id"
        if "" in patients:
            add({k: f"{label} is empty" for k, p in enumerate(patients) if not p})
    scores = {}
    for m in measures:
        values = rows.columns[m.index]
        scores[m.column], found = _score_column(
            values, m.name or m.column, m.scale, decimal, delimiter
        )
        add(found)
        after = m.index + 1
        if delimiter == "," and decimal == "." and after in rows.columns and after not in used:
            add(_decimal_commas(values, rows.columns[after], m, notes))
    rejected = rows.rejected
    good = np.ones(n, dtype=bool)
    good[sorted(blank)] = False
    for k, reasons in problems.items():
        good[k] = False
        rejected.append((int(rows.first[k]), rows.text(k), "; ".join(reasons)))
    keep = np.flatnonzero(good)
    everything = len(keep) == n
    kept = {
        "patient_id": pd.Series(
            patients if everything else list(compress(patients, good.tolist())), dtype="str"
        ),
        "session": pd.Series(sessions[keep], dtype="int64"),
        **{column: pd.Series(values[keep], dtype="float64") for column, values in scores.items()},
        "line": pd.Series(rows.first[keep], dtype="int64"),
    }
    return kept, rejected


class _TextOf:
    """The text of a kept row, by its first line (duplicates need it; most files have none)."""

    def __init__(self, rows: _Rows):
        self._lines, self._last = rows.lines, None
        if rows.last is not None:
            self._last = dict(zip(rows.first.tolist(), rows.last.tolist(), strict=True))

    def __call__(self, line: int) -> str:
        last = line if self._last is None else self._last[line]
        return "\n".join(self._lines[line - 1 : last])


def _rejected_frame(rejected) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "line": pd.Series([r[0] for r in rejected], dtype="int64"),
            "text": pd.Series([r[1] for r in rejected], dtype="str"),
            "reason": pd.Series([r[2] for r in rejected], dtype="str"),
        }
    )


def _span(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:10])
    return shown + (f" and {len(numbers) - 10} more" if len(numbers) > 10 else "")


def _resolve_duplicates(
    sessions: pd.DataFrame, codes: np.ndarray, measures, text_of, notes, per_session=True
):
    """Exact repeats: keep the first. Conflicting scores for one session: reject them all.

    ``codes`` number the patients (from :func:`_factorize`); the sessions and codes kept
    come back with the rejected rows. In a patient table (``per_session=False``, every
    session 0) a patient's repeated row is a duplicate.
    """
    pairs = pd.DataFrame({"patient": codes, "session": sessions["session"].to_numpy()})
    repeated = pairs.duplicated(keep=False).to_numpy()
    if not repeated.any():
        return sessions, codes, []
    columns = [m.column for m in measures]
    what = "score" if len(columns) == 1 else "scores"
    same = f"same patient, session and {what}" if per_session else f"same patient and {what}"
    drop, rejected = [], []
    for (patient, session), group in sessions[repeated].groupby(
        ["patient_id", "session"], sort=False
    ):
        values = {
            tuple("missing" if math.isnan(x) else x for x in row)
            for row in group[columns].itertuples(index=False)
        }
        group = group.sort_values("line")
        lines = group["line"].tolist()
        if len(values) == 1:
            drop += group.index[1:].tolist()
            rejected += [
                (line, text_of(line), f"repeats line {lines[0]} ({same})") for line in lines[1:]
            ]
        else:
            drop += group.index.tolist()
            where = ", ".join(map(str, lines))
            rejected += [
                (
                    line,
                    text_of(line),
                    f"patient {patient}{f' session {session}' if per_session else ''} appears "
                    f"on lines {where} with different scores; keep the right one",
                )
                for line in lines
            ]
    notes.append(
        "duplicate sessions were found; see the rejected rows"
        if per_session
        else "a patient appears on several rows; see the rejected rows"
    )
    keep = np.ones(len(sessions), dtype=bool)
    keep[drop] = False
    return sessions[keep].reset_index(drop=True), codes[keep], rejected


def _factorize(ids: np.ndarray) -> tuple[np.ndarray, list]:
    """``pandas.factorize`` of the ids (codes in order of first appearance), done on runs of
    equal ids: a file usually holds each patient's rows together, so there are few runs."""
    n = len(ids)
    if n == 0:
        return np.zeros(0, dtype=np.int64), []
    starts = np.flatnonzero(np.concatenate([[True], ids[1:] != ids[:-1]]))
    run_codes, uniques = pd.factorize(ids[starts])
    return np.repeat(run_codes, np.diff(np.append(starts, n))), list(uniques)


def _stripped(values: list[str]) -> list[str]:
    """``values`` without surrounding white space (the same list if none has any)."""
    raw = _ascii(values)
    if raw is not None and len(values):
        lengths = np.strings.str_len(raw)
        if np.array_equal(np.strings.str_len(np.strings.strip(raw)), lengths):
            return values
    return [v.strip() for v in values]


def _sorted(sessions: pd.DataFrame, codes: np.ndarray, ids: list):
    """Sessions sorted by patient (as numbers if every id is a whole number, of any size) and
    session; whether the order changed; each sorted row's patient code (consecutive by patient).

    ``codes`` and ``ids`` are the patients as :func:`_factorize` numbers them.
    """
    if all(_NUMERIC_ID.fullmatch(i) for i in ids):
        order_ids = sorted(range(len(ids)), key=lambda j: (int(ids[j]), ids[j]))
    else:
        order_ids = sorted(range(len(ids)), key=lambda j: ids[j])
    rank = np.empty(len(ids), dtype=np.int64)
    rank[order_ids] = np.arange(len(ids))
    ranks = rank[codes]
    order = np.lexsort((sessions["line"].to_numpy(), sessions["session"].to_numpy(), ranks))
    changed = not np.array_equal(order, np.arange(len(order)))
    if changed:
        sessions = sessions.iloc[order].reset_index(drop=True)
    return sessions, changed, ranks[order]


def _gaps(sessions: pd.DataFrame, codes: np.ndarray) -> pd.DataFrame:
    """Runs of missed sessions between each patient's first and last, as ranges."""
    number = sessions["session"].to_numpy()
    at = np.flatnonzero((codes[1:] == codes[:-1]) & (np.diff(number) > 1))
    return pd.DataFrame(
        {
            "patient_id": pd.Series(sessions["patient_id"].to_numpy()[at], dtype="str"),
            "first": pd.Series(number[at] + 1, dtype="int64"),
            "last": pd.Series(number[at + 1] - 1, dtype="int64"),
        }
    )


def scores_from_text(text: str, *, scale: str | Scale = "wai-sr") -> SessionFile:
    """Read one patient's scores typed as a list, session 1 first.

    Entries are separated by spaces, line breaks, semicolons, or commas
    followed by a space; a decimal point, not a comma, marks decimals. A comma
    between two digits (``4,5``, or ``4.2,4.5``) is refused as a whole: it
    could be a decimal comma or two scores, and guessing would number the
    sessions wrongly. ``NA``, ``-`` or ``?`` is a missing questionnaire (the
    session is kept, without a score). An entry that is not a score on the
    scale is rejected with its position and reason; the next entry is still
    the next session.

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

    Raises
    ------
    SessionFileError
        If a comma stands between two digits.

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
    >>> scores_from_text("4,5 3,5")
    Traceback (most recent call last):
    ...
    book.practice.session_file.SessionFileError: entry 1 ('4,5') has a comma between two digits: \
write 4.5, not 4,5, and separate scores with spaces
    """
    scale = get_scale(scale)
    if not isinstance(text, str):
        raise TypeError(f"text must be a string of scores, got {type(text).__name__}")
    entries = [e for e in re.split(r"[;\s]+", text.strip()) if e]
    for position, entry in enumerate(entries, start=1):
        if _TYPED_DECIMAL_COMMA.search(entry):
            raise SessionFileError(
                f"entry {position} ({_shown(entry)!r}) has a comma between two digits: "
                "write 4.5, not 4,5, and separate scores with spaces"
            )
    entries = [e for e in re.split(r"[,;\s]+", text.strip()) if e]
    kept, rejected = [], []
    for position, entry in enumerate(entries, start=1):
        if entry == "?":
            entry = "NA"
        score, problem = _parse_score(entry, "score", scale, ".")
        if problem:
            rejected.append((position, entry, problem))
        else:
            kept.append((position, score))
    sessions = pd.DataFrame(
        {
            "patient_id": pd.Series(["1"] * len(kept), dtype="str"),
            "session": pd.Series([k[0] for k in kept], dtype="int64"),
            scale.column: pd.Series([k[1] for k in kept], dtype="float64"),
            "line": pd.Series([k[0] for k in kept], dtype="int64"),
        }
    )
    notes = []
    if not entries:
        notes.append("no scores were typed")
    return SessionFile(
        sessions=sessions,
        rejected=_rejected_frame(rejected),
        gaps=_gaps(sessions, np.zeros(len(sessions), dtype=np.int64)),
        notes=tuple(notes),
        scale=scale,
        rows_read=len(entries),
        source="typed scores",
        unit="entry",
    )
