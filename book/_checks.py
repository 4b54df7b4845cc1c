"""Argument checks shared by the package's public functions, so every one says the same."""

from __future__ import annotations

import re
from collections.abc import Sequence

import pandas as pd


def require_columns(data, columns: Sequence[str]) -> None:
    """Raise unless ``data`` is a DataFrame holding every one of ``columns``.

    >>> require_columns(pd.DataFrame({"a": [1]}), ["a", "b"])
    Traceback (most recent call last):
    ...
    ValueError: column(s) ['b'] not in data; available columns: ['a']
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise ValueError(
            f"column(s) {missing} not in data; available columns: {list(data.columns)}"
        )


def require_choice(value, choices, what: str):
    """Return ``value`` if it is one of ``choices``; raise a ``ValueError`` that lists them.

    >>> require_choice("b", ["a", "b"], "world")
    'b'
    >>> require_choice("c", ["a", "b"], "world")
    Traceback (most recent call last):
    ...
    ValueError: unknown world 'c'; choose one of: 'a', 'b'
    """
    if not isinstance(value, str) or value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"unknown {what} {value!r}; choose one of: {listed}")
    return value


#: Names Windows reserves for devices, with or without an extension ("CON", "nul.csv").
WINDOWS_DEVICE_NAMES = frozenset(
    ["CON", "PRN", "AUX", "NUL"] + [f"{kind}{n}" for kind in ("COM", "LPT") for n in range(10)]
)
_FOLDER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def folder_name_problem(name) -> str | None:
    """Why ``name`` cannot be a folder name on every system, or None if it can.

    A portable name is 1-64 ASCII letters, digits, ``_``, ``.`` and ``-``,
    begins with a letter or digit, does not end in a dot (Windows drops it),
    and is not a Windows device name such as ``CON`` or ``com1.txt``. It can
    never name a path: no separator, no ``..``, not absolute. Two names that
    differ only in case are the same folder on Windows and macOS; the caller
    checks that across names.

    Examples
    --------
    >>> folder_name_problem("s001") is None
    True
    >>> folder_name_problem("../../escaped")
    'must be 1-64 letters, digits, _ . - (starting with a letter or digit)'
    >>> folder_name_problem("Nul.csv")
    "is a device name on Windows ('NUL')"
    """
    if not isinstance(name, str) or not _FOLDER_NAME.fullmatch(name):
        return "must be 1-64 letters, digits, _ . - (starting with a letter or digit)"
    if name.endswith("."):
        return "must not end with a dot (Windows drops it)"
    stem = name.split(".")[0].upper()
    if stem in WINDOWS_DEVICE_NAMES:
        return f"is a device name on Windows ({stem!r})"
    return None
