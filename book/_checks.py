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
