"""Tables described by a codebook: writing, hashing, reading back and validating.

The pieces every data set the book ships has in common, whichever its origin:
the canonical simulated study (:mod:`book.datasets.canonical`) and the real
data sets (:mod:`book.datasets.real`). A table is a CSV file described in a
Frictionless-style ``datapackage.json`` by a *resource*: its path, size,
sha256 hash and schema (one :class:`~book.datasets.codebook.Field` per column,
the primary key, the missing-value marker). :func:`read_table` reads a table
back only if its bytes match the recorded hash, with the codebook's types, and
:func:`validate_table` lists every value that breaks the codebook, with its
line number.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from book.datasets.codebook import Field

__all__ = [
    "DataValidationError",
    "PANDAS_TYPES",
    "csv_bytes",
    "read_table",
    "schema_markdown",
    "sha256",
    "table_resource",
    "validate_table",
]

#: The pandas dtype each codebook type is read as (nullable, so a missing value stays missing).
PANDAS_TYPES = {"integer": "Int64", "number": "float64", "boolean": "boolean", "string": "string"}


class DataValidationError(ValueError):
    """A data package is malformed: a file does not match its codebook, its recorded hash, or
    the other tables; the message names the file and the line."""


def csv_bytes(frame: pd.DataFrame, *, float_format: str) -> bytes:
    """A table as the book writes it: UTF-8 CSV, ``\\n`` line ends, empty cell = missing."""
    text = frame.to_csv(index=False, float_format=float_format, na_rep="", lineterminator="\n")
    return text.encode("utf-8")


def sha256(data: bytes) -> str:
    """The hash as ``datapackage.json`` records it: ``"sha256:<hex digest>"``.

    >>> sha256(b"")[:19]
    'sha256:e3b0c44298fc'
    """
    return "sha256:" + hashlib.sha256(data).hexdigest()


def table_resource(
    name: str,
    path: str,
    data: bytes,
    *,
    rows: int,
    fields: list[Field],
    key: list[str],
    description: str,
    **extra,
) -> dict:
    """The ``datapackage.json`` resource of a CSV table: size, hash and schema.

    ``role``, if given, comes before the description; other ``extra`` entries
    (for example ``sources``, ``licenses``) after it.
    """
    role = extra.pop("role", None)
    resource = {"name": name, "path": path, "profile": "tabular-data-resource"}
    if role is not None:
        resource["role"] = role
    return resource | {
        "description": description,
        **extra,
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "bytes": len(data),
        "rows": rows,
        "hash": sha256(data),
        "schema": {
            "fields": [f.to_schema() for f in fields],
            "primaryKey": list(key),
            "missingValues": [""],
        },
    }


def read_table(
    directory: str | Path, resource: dict, fields: list[Field], key: list[str], *, remedy: str
) -> pd.DataFrame:
    """Read one table of a data package, checked against its hash and its codebook.

    Parameters
    ----------
    directory : str or pathlib.Path
        The folder that holds ``datapackage.json``.
    resource : dict
        The table's resource from ``datapackage.json`` (``path`` and ``hash``).
    fields : list of Field
        The codebook of the table, in column order.
    key : list of str
        The primary key: columns whose values identify a row.
    remedy : str
        What the reader should do when the file is missing or stale, appended
        to the error message (e.g. "run `make data` to regenerate data/").

    Returns
    -------
    pandas.DataFrame
        The table, each column with the dtype of its codebook type
        (:data:`PANDAS_TYPES`).

    Raises
    ------
    FileNotFoundError
        If the file is missing.
    DataValidationError
        If its sha256 differs from the recorded one, or a value breaks the
        codebook (every problem is listed with its line number).
    """
    path = Path(directory) / resource["path"]
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing; {remedy}")
    data = path.read_bytes()
    _check_hash(path, data, resource["hash"], remedy)
    frame = _parse(path, _text(path, data), fields)
    problems = validate_table(frame, fields, key)
    if problems:
        shown = "\n  ".join(problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise DataValidationError(f"{path} breaks its codebook:\n  {shown}{more}")
    return frame


def _check_hash(path: Path, data: bytes, expected: str, remedy: str) -> None:
    if sha256(data) == expected:
        return
    unix = data.replace(b"\r\n", b"\n")
    if unix != data and sha256(unix) == expected:
        raise DataValidationError(
            f"{path} has Windows line endings (CRLF) where it was written with LF: a Git "
            "checkout on Windows converted it (core.autocrlf), or an editor saved it so. Its "
            "content is otherwise unchanged. The repository's .gitattributes keeps data/ in LF "
            f"for new checkouts; to fix this one, {remedy}, or delete the file and run "
            "`git checkout -- data`"
        )
    raise DataValidationError(
        f"{path} does not match the sha256 recorded in datapackage.json "
        f"(edited by hand, or stale?); {remedy}"
    )


def _text(path: Path, data: bytes) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise DataValidationError(f"{path}, line {line}: not UTF-8 text") from None
    if not text.strip():
        raise DataValidationError(f"{path} is empty: it has no header line")
    return text


def _parse(path: Path, text: str, fields: list[Field]) -> pd.DataFrame:
    """The table, every value of its type; a value that is not raises with its line."""
    expected = [f.name for f in fields]
    reader = csv.reader(io.StringIO(text))
    problems, header, records, previous = [], None, [], 0
    try:
        for values in reader:
            line, previous = previous + 1, reader.line_num
            if header is None:
                header = values
                if header != expected:
                    raise DataValidationError(
                        f"{path}, line 1: the columns are {header}; the codebook lists {expected}"
                    )
            elif len(values) != len(expected):
                problems.append(
                    f"line {line}: {len(values)} values, the header has {len(expected)}"
                )
            else:
                records.append((line, values))
    except csv.Error as err:
        problems.append(f"line {reader.line_num}: not valid CSV ({err})")
    if not problems:
        try:
            return pd.read_csv(
                io.StringIO(text),
                dtype={f.name: PANDAS_TYPES[f.type] for f in fields},
                keep_default_na=False,
                na_values=[""],
            )
        except (ValueError, TypeError) as err:  # find the values pandas could not convert
            problems = _value_problems(records, fields) or [f"cannot be read: {err}"]
    shown = "\n  ".join(problems[:20])
    more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
    raise DataValidationError(f"{path} is malformed:\n  {shown}{more}")


_INTEGER = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
_WHAT = {"integer": "a whole number", "number": "a number", "boolean": "True or False"}
_VALUE_CHECKS = {
    "integer": _INTEGER.fullmatch,
    "number": _NUMBER.fullmatch,
    "boolean": lambda v: v.lower() in ("true", "false"),
}


def _value_problems(records, fields: list[Field]) -> list[str]:
    return [
        f"line {line}: {f.name} = {value!r} is not {_WHAT[f.type]}"
        for line, values in records
        for f, value in zip(fields, values, strict=True)
        if f.type in _VALUE_CHECKS and value.strip() and not _VALUE_CHECKS[f.type](value.strip())
    ]


def validate_table(frame: pd.DataFrame, fields: list[Field], key: list[str]) -> list[str]:
    """Every way a table breaks its codebook, with CSV line numbers.

    Checks that the columns are the codebook's, in order; that required
    values are present; that numbers lie within their range and text values
    among their allowed categories; and that no two rows share a primary key.
    Line numbers count the header as line 1, so the first data row is line 2.

    Examples
    --------
    >>> import pandas as pd
    >>> from book.datasets.codebook import THERAPISTS
    >>> bad = pd.DataFrame({"therapist_id": pd.array([1, 0], dtype="Int64"),
    ...                     "alliance_training": pd.array([True, None], dtype="boolean")})
    >>> validate_table(bad, THERAPISTS, ["therapist_id"])
    ['line 3: therapist_id = 0 is below the minimum 1', 'line 3: alliance_training is empty']

    Text columns take their allowed values from ``categories``:

    >>> arm = [Field("arm", "string", "trial arm", categories=("TAU", "BtheB"))]
    >>> validate_table(pd.DataFrame({"arm": pd.array(["TAU", "CBT"], dtype="string")}), arm, [])
    ["line 3: arm = 'CBT' is not one of ['TAU', 'BtheB']"]
    """
    expected = [f.name for f in fields]
    if list(frame.columns) != expected:
        return [f"columns are {list(frame.columns)}; the codebook lists {expected}"]
    problems: list[tuple[int, int, str]] = []
    for order, f in enumerate(fields):
        col = frame[f.name]
        empty = col.isna().to_numpy()
        if f.required:
            problems += [(i, order, f"{f.name} is empty") for i in np.flatnonzero(empty)]
        if f.type == "boolean":
            continue
        if f.type == "string":
            if f.categories is not None:
                values = col.astype("object").to_numpy()
                outside = ~empty & ~col.isin(list(f.categories)).to_numpy()
                problems += [
                    (i, order, f"{f.name} = {values[i]!r} is not one of {list(f.categories)}")
                    for i in np.flatnonzero(outside)
                ]
            continue
        values = col.astype("float64").to_numpy()
        problems += [
            (i, order, f"{f.name} = {values[i]} is not a finite number")
            for i in np.flatnonzero(~empty & ~np.isfinite(values))
        ]
        if f.minimum is not None:
            problems += [
                (i, order, f"{f.name} = {_fmt(values[i])} is below the minimum {_fmt(f.minimum)}")
                for i in np.flatnonzero(~empty & (values < f.minimum))
            ]
        if f.maximum is not None:
            problems += [
                (i, order, f"{f.name} = {_fmt(values[i])} is above the maximum {_fmt(f.maximum)}")
                for i in np.flatnonzero(~empty & (values > f.maximum))
            ]
    if key:
        dup = frame.duplicated(subset=key, keep="first").to_numpy()
        problems += [
            (i, len(fields), f"duplicate key {key} = {tuple(frame.iloc[i][k] for k in key)}")
            for i in np.flatnonzero(dup)
        ]
    return [f"line {i + 2}: {msg}" for i, _, msg in sorted(problems)]


def _fmt(x) -> str:
    x = float(x)
    return str(int(x)) if x.is_integer() else f"{x:g}"


def schema_markdown(resource: dict) -> list[str]:
    """The codebook table of one resource, as Markdown lines (column, type, unit, range, meaning).

    >>> res = {"schema": {"fields": [Field("bdi", "integer", "BDI-II total", "points",
    ...                                    0, 63, required=False).to_schema()]}}
    >>> print("\\n".join(schema_markdown(res)))
    | column | type | unit | range | description |
    | --- | --- | --- | --- | --- |
    | `bdi` | integer | points | 0–63 (may be empty) | BDI-II total |
    """
    lines = [
        "| column | type | unit | range | description |",
        "| --- | --- | --- | --- | --- |",
    ]
    for f in resource["schema"]["fields"]:
        c = f["constraints"]
        lo, hi = c.get("minimum", ""), c.get("maximum", "")
        rng = f"{lo}–{hi}" if lo != "" or hi != "" else ""
        if "enum" in c:
            rng = ", ".join(f"`{v}`" for v in c["enum"])
        if not c["required"]:
            rng += " (may be empty)"
        lines.append(
            f"| `{f['name']}` | {f['type']} | {f.get('unit', '')} | {rng} | {f['description']} |"
        )
    return lines
