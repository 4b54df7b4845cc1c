"""Argument checks shared by the package's public functions, so every one says the same."""

from __future__ import annotations

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
