"""Argument checks shared by the package's public functions, so every one says the same.

Each check raises with a message that names the argument, says what is allowed
and shows what was given, and returns the value in its plain Python form (an
``int`` for a count, a ``float`` for a level), so callers can use it at once.
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Collection, Sequence

import numpy as np
import pandas as pd

__all__ = [
    "check_bool",
    "check_choice",
    "check_count",
    "check_level",
    "check_n_jobs",
    "check_params",
    "check_seed",
    "folder_name_problem",
    "require_columns",
]


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


def _is_integer(value) -> bool:
    integer = isinstance(value, numbers.Integral | np.integer)
    return integer and not isinstance(value, bool | np.bool_)


def check_seed(seed) -> int:
    """A seed: a non-negative integer (NumPy integers too), returned as ``int``.

    >>> check_seed(np.int64(7))
    7
    >>> check_seed(-1)
    Traceback (most recent call last):
    ...
    ValueError: seed must be a non-negative integer, got -1
    """
    if not _is_integer(seed) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


def check_count(value, name: str, *, minimum: int = 1) -> int:
    """A whole number of at least ``minimum`` (replications, patients, sessions), as ``int``.

    >>> check_count(3, "n_reps")
    3
    >>> check_count(2.0, "n_reps")
    Traceback (most recent call last):
    ...
    ValueError: n_reps must be an integer of at least 1, got 2.0
    """
    if not _is_integer(value) or value < minimum:
        raise ValueError(f"{name} must be an integer of at least {minimum}, got {value!r}")
    return int(value)


def check_level(value, name: str = "level") -> float:
    """A probability strictly between 0 and 1 (a confidence level, or ``alpha``), as ``float``.

    >>> check_level(0.95)
    0.95
    >>> check_level(95, "level")
    Traceback (most recent call last):
    ...
    ValueError: level must be a number in (0, 1), e.g. 0.95; got 95
    """
    if (
        not isinstance(value, numbers.Real | np.floating)
        or isinstance(value, bool)
        or not 0.0 < float(value) < 1.0
    ):
        example = "0.05" if name == "alpha" else "0.95"
        raise ValueError(f"{name} must be a number in (0, 1), e.g. {example}; got {value!r}")
    return float(value)


def check_choice(value, name: str, allowed: Collection):
    """One of ``allowed``, returned unchanged.

    >>> check_choice("fast", "engine", ("fast", "statsmodels"))
    'fast'
    >>> check_choice("slow", "engine", ("fast", "statsmodels"))
    Traceback (most recent call last):
    ...
    ValueError: engine must be one of ['fast', 'statsmodels'], got 'slow'
    """
    try:
        ok = value in allowed
    except TypeError:  # an unhashable value looked up in a dict or set
        ok = False
    if not ok:
        raise ValueError(f"{name} must be one of {list(allowed)}, got {value!r}")
    return value


def check_bool(value, name: str) -> bool:
    """``True`` or ``False`` (NumPy booleans too), as ``bool``.

    >>> check_bool("yes", "detrend")
    Traceback (most recent call last):
    ...
    TypeError: detrend must be True or False, got 'yes'
    """
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_n_jobs(n_jobs) -> int | None:
    """Parallel workers as joblib counts them: ``None``, a positive integer, or ``-1`` (all cores).

    >>> check_n_jobs(0)
    Traceback (most recent call last):
    ...
    ValueError: n_jobs must be None or a non-zero integer (-1 for all cores), got 0
    """
    if n_jobs is not None and (not _is_integer(n_jobs) or n_jobs == 0):
        raise ValueError(
            f"n_jobs must be None or a non-zero integer (-1 for all cores), got {n_jobs!r}"
        )
    return None if n_jobs is None else int(n_jobs)


def check_params(params):
    """Simulation parameters: a ``SimulationParameters``, or the defaults for ``None``.

    >>> check_params(None).n_patients
    240
    >>> check_params({"n_sessions": 6})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    TypeError: params must be a book.simulation.SimulationParameters, got dict; ...
    """
    from book.simulation.parameters import SimulationParameters  # the layer above: no cycle

    if params is None:
        return SimulationParameters()
    if not isinstance(params, SimulationParameters):
        raise TypeError(
            "params must be a book.simulation.SimulationParameters, "
            f"got {type(params).__name__}; build one with SimulationParameters(**values)"
        )
    return params


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
