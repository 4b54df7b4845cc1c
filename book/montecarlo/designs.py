"""Designs: which studies a Monte Carlo simulation repeats, and the seed stream of each.

A *design* (or *world*) is a plain
:class:`~book.simulation.parameters.SimulationParameters`: the study's size and
everything about the process that generates it. The runner takes one design
or many, in whichever form is handiest (see :func:`as_designs`), and gives
every design its own stream of random numbers, named by the design itself
(:func:`design_key`): the replications of a design depend on the seed and on
that design alone, not on its position in a grid or on the other designs run
with it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import numbers
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from book._checks import check_count
from book.simulation import engine as _engine
from book.simulation.parameters import SimulationParameters

__all__ = ["as_designs", "autoregression_only", "design_grid", "design_key"]

_FIELDS = tuple(f.name for f in dataclasses.fields(SimulationParameters))
_COUNTS = {"n_patients", "n_therapists", "patients_per_therapist", "n_sessions"}


def autoregression_only(rho: float = 0.3) -> dict:
    """Design values for symptoms that are a pure stationary AR(1): the setting of Nickell's bias.

    Symptoms fluctuate around flat patient levels (no trajectories, a narrow
    spread of levels, a wide within-patient SD, so rounding to whole BDI-II
    points and clipping at 0 hardly matter), measured without error (an error
    in the lagged outcome would add its own bias), the alliance neither acts on
    them nor responds to them, and every questionnaire is observed (no missing
    data, no dropout). The within estimator's symptom coefficient is then the
    within estimate of an AR(1) coefficient, whose large-sample bias
    :func:`book.estimation.nickell.nickell_bias` gives.

    Parameters
    ----------
    rho : float, default 0.3
        The symptoms' autoregression.

    Returns
    -------
    dict
        ``SimulationParameters`` values, to combine with a size, e.g.
        ``{**autoregression_only(), "n_sessions": 6}``.

    Examples
    --------
    >>> SimulationParameters(**autoregression_only(0.5)).symptom_ar
    0.5
    """
    return {
        "alliance_to_symptoms": 0.0,
        "alliance_to_symptoms_iip": 0.0,
        "alliance_to_symptoms_sd": 0.0,
        "symptoms_to_alliance": 0.0,
        "symptom_ar": rho,
        "symptom_slope_mean": 0.0,
        "symptom_slope_sd": 0.0,
        "bdi_sd": 2.0,
        "symptom_state_sd": 8.0,
        "symptom_error_sd": 0.0,
        "missing_symptoms": 0.0,
        "missing_alliance": 0.0,
        "dropout_hazard": 0.0,
    }


def design_key(params: SimulationParameters) -> int:
    """The name of a design's stream of random numbers: a hash of how it departs from the defaults.

    The runner draws chunk ``c`` of a design from
    ``numpy.random.SeedSequence(seed, spawn_key=(design_key(params), c))``.
    Two equal designs get the same key however they were written (``n_patients=80``
    or ``n_therapists=10``), and so the same simulated studies; different designs
    get independent ones.

    Examples
    --------
    >>> design_key(SimulationParameters()) == design_key(SimulationParameters(n_therapists=30))
    True
    >>> design_key(SimulationParameters(n_sessions=6)) == design_key(SimulationParameters())
    False
    """
    defaults = SimulationParameters()
    changed = {
        name: _plain(getattr(params, name))
        for name in _FIELDS
        if getattr(params, name) != getattr(defaults, name)
    }
    text = json.dumps(changed, sort_keys=True, default=repr)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def design_grid(*, n_patients=None, patients_per_therapist: int = 8, **values) -> pd.DataFrame:
    """Every combination of the given design values, one row per design.

    Parameters
    ----------
    n_patients : int or sequence of int, optional
        Patients per study; converted to ``n_therapists`` with
        ``patients_per_therapist`` patients each (it must divide them).
    patients_per_therapist : int, default 8
        Used with ``n_patients``.
    **values
        Any :class:`~book.simulation.parameters.SimulationParameters` field, a value or a
        list of values, e.g. ``n_sessions=[6, 12]``.

    Returns
    -------
    pandas.DataFrame
        One column per field, one row per combination (the first argument
        varies slowest).

    Examples
    --------
    >>> design_grid(n_patients=[80, 240], n_sessions=[6, 12])
       n_therapists  patients_per_therapist  n_sessions
    0            10                        8           6
    1            10                        8          12
    2            30                        8           6
    3            30                        8          12
    """
    unknown = sorted(set(values) - set(_FIELDS))
    if unknown:
        raise ValueError(
            f"unknown design field(s) {unknown}; use n_patients or a SimulationParameters "
            f"field: {', '.join(_FIELDS)}"
        )
    columns: dict[str, list] = {}
    if n_patients is not None:
        if "n_therapists" in values:
            raise ValueError("give n_patients or n_therapists, not both")
        counts = [n_patients] if np.isscalar(n_patients) else list(n_patients)
        therapists = []
        for n in counts:
            check_count(n, "n_patients")
            if n % patients_per_therapist:
                raise ValueError(
                    f"n_patients = {n} is not a multiple of patients_per_therapist = "
                    f"{patients_per_therapist}; choose multiples or change patients_per_therapist"
                )
            therapists.append(n // patients_per_therapist)
        columns["n_therapists"] = therapists
        columns["patients_per_therapist"] = [patients_per_therapist]
    for name, v in values.items():
        columns[name] = [v] if np.isscalar(v) else list(v)
    if not columns:
        raise ValueError("give at least one design value, e.g. design_grid(n_sessions=[6, 12])")
    rows = list(itertools.product(*columns.values()))
    return pd.DataFrame(rows, columns=list(columns))


def as_designs(designs) -> tuple[list[SimulationParameters], pd.DataFrame]:
    """Read designs in any of the runner's forms; check each; describe them in a table.

    Parameters
    ----------
    designs : SimulationParameters, dict, list, pandas.DataFrame
        One design: a ``SimulationParameters``, or a dict of the values that
        differ from the defaults (``{"n_sessions": 6}``; ``n_patients`` is
        converted to therapists of ``patients_per_therapist``, 8 by default).
        Several: a list of those; a DataFrame with one row per design (a
        missing value means the default), e.g. from :func:`design_grid`; or a
        dict of *named* designs, ``{"trait only": SimulationParameters(...), ...}``.

    Returns
    -------
    params : list of SimulationParameters
        One per design, checked (sizes, and dynamics that leave room for random
        innovations for every plausible patient) before any simulation starts.
    table : pandas.DataFrame
        One row per design: ``design`` (its position), ``label`` (for named
        designs), the fields that vary or were given, ``n_patients`` and
        ``n_sessions``.

    Examples
    --------
    >>> params, table = as_designs({"short": {"n_sessions": 6}, "long": {"n_sessions": 20}})
    >>> table
       design  label  n_patients  n_sessions
    0       0  short         240           6
    1       1   long         240          20
    """
    labels = None
    if (
        isinstance(designs, Mapping)
        and designs
        and all(isinstance(v, SimulationParameters | Mapping) for v in designs.values())
    ):
        labels = [str(k) for k in designs]
        items = list(designs.values())
    elif isinstance(designs, SimulationParameters | Mapping):
        items = [designs]
    elif isinstance(designs, pd.DataFrame):
        items = [
            {
                k: int(v) if k in _COUNTS and float(v).is_integer() else _plain(v)
                for k, v in row.items()
                if not _is_missing(v)
            }
            for row in designs.to_dict("records")
        ]
    elif isinstance(designs, Sequence) and not isinstance(designs, str):
        items = list(designs)
    else:
        raise TypeError(
            "designs must be a SimulationParameters, a dict of SimulationParameters values, "
            "a list of those, a dict of named designs or a pandas DataFrame (one row per "
            f"design); got {type(designs).__name__}"
        )
    if not items:
        raise ValueError("designs is empty; give at least one design")
    params, given = [], []
    for i, item in enumerate(items):
        where = f"design {labels[i]!r}" if labels else f"design {i}"
        if isinstance(item, SimulationParameters):
            params.append(_checked(where, item))
            given.append([])
        elif isinstance(item, Mapping):
            values = {k: _plain(v) for k, v in item.items()}
            params.append(_checked(f"{where} ({_describe(values)})", _from_values(where, values)))
            given.append([k for k in values if k != "n_patients"])
        else:
            raise TypeError(
                f"{where} must be a SimulationParameters or a dict of its values, got {item!r}"
            )
    defaults = SimulationParameters()
    shown = []
    for name in _FIELDS:
        if name in ("n_sessions",):
            continue
        if any(name in g for g in given) or any(
            getattr(p, name) != getattr(defaults, name) for p in params
        ):
            shown.append(name)
    rows = []
    for i, p in enumerate(params):
        row = {"design": i}
        if labels:
            row["label"] = labels[i]
        row.update({k: getattr(p, k) for k in shown})
        row["n_patients"] = p.n_patients
        row["n_sessions"] = p.n_sessions
        rows.append(row)
    return params, pd.DataFrame(rows)


def _from_values(where: str, values: dict) -> SimulationParameters:
    values = dict(values)
    if "n_patients" in values:
        n = values.pop("n_patients")
        ppt = values.get("patients_per_therapist", 8)
        if not isinstance(n, numbers.Integral) or isinstance(n, bool) or n < 2:
            raise ValueError(
                f"{where} ({_describe({'n_patients': n})}): n_patients = {n!r} is not allowed: "
                "a study needs an integer number of patients of at least 2"
            )
        if "n_therapists" in values:
            raise ValueError(f"{where}: give n_patients or n_therapists, not both")
        if n % ppt:
            raise ValueError(
                f"{where}: n_patients = {n} is not a multiple of patients_per_therapist = {ppt}"
            )
        values["n_therapists"] = n // ppt
    unknown = sorted(set(values) - set(_FIELDS))
    if unknown:
        raise ValueError(
            f"{where}: unknown design field(s) {unknown}; use n_patients or a "
            f"SimulationParameters field: {', '.join(_FIELDS)}"
        )
    try:
        return SimulationParameters(**values)
    except ValueError as err:
        raise ValueError(f"{where} ({_describe(values)}): {err}") from None


def _checked(where: str, params: SimulationParameters) -> SimulationParameters:
    if params.n_patients < 2:
        raise ValueError(
            f"{where}: {params.n_patients} patient(s) per study; the estimators need at least "
            "2 patients (cluster-robust standard errors by patient)"
        )
    if params.state_sd <= 0:
        raise ValueError(
            f"{where}: state_sd = 0 leaves no within-patient alliance variation, so the "
            "alliance effect is undefined; use a positive state_sd"
        )
    # the simulator's own check that every plausible patient's dynamics leave
    # room for random innovations (alliance effect within +-4 SD), run now
    # rather than in a worker
    spread = 4 * (abs(params.alliance_to_symptoms_iip) + params.alliance_to_symptoms_sd)
    beta = params.alliance_to_symptoms + np.array([-spread, 0.0, spread])
    try:
        _engine.check_dynamics(params, beta)
    except ValueError as err:
        raise ValueError(f"{where}: {err}") from None
    return params


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


def _is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def _describe(overrides: dict) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in overrides.items()) or "the defaults"
