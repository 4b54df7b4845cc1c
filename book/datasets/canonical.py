"""The committed canonical study: writing it, describing it and loading it.

``make data`` runs ``python -m book.datasets.canonical``, which simulates the canonical
study and writes ``data/``: the observed tables, the ground truth apart in
``data/truth/``, a Frictionless-style ``datapackage.json`` (schema, units,
ranges, the parameters and seed, the package version, a sha256 of every file)
and the human codebook ``data/README.md``. :func:`load_study` reads it back and
checks it against the codebook and the hashes.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd

from book import __version__
from book.datasets.codebook import GROUND_TRUTH, OBSERVED, TABLE_FILES, TABLES
from book.datasets.tables import (
    DataValidationError,
    csv_bytes,
    read_table,
    schema_markdown,
    table_resource,
    validate_table,
)
from book.simulation.engine import CANONICAL_SEED, simulate
from book.simulation.parameters import SimulationParameters, describe_parameters
from book.simulation.study import WAI_ITEMS, WAI_SUBSCALES, Study, Truth

__all__ = [
    "DATA_DIR",
    "DataValidationError",
    "load_study",
    "validate_table",
    "write_study",
]

#: Where the canonical study lives: ``data/`` at the top of the repository.
DATA_DIR = Path(__file__).resolve().parents[2] / "data"

_FLOAT_FORMAT = "%.6g"
_PRIMARY_KEYS = {
    "therapists": ["therapist_id"],
    "patients": ["patient_id"],
    "sessions": ["patient_id", "session"],
    "truth_patients": ["patient_id"],
    "truth_sessions": ["patient_id", "session"],
    "truth_ruptures": ["patient_id", "session"],
}
_DESCRIPTIONS = {
    "therapists": "Therapists and their training (observed).",
    "patients": "Intake measures and attendance, one row per patient (observed).",
    "sessions": "Symptoms before and alliance after each attended session (observed).",
    "truth_patients": "Latent patient-level quantities (ground truth, not observable).",
    "truth_sessions": "Latent alliance and symptoms and their parts, every planned session "
    "(ground truth, not observable).",
    "truth_ruptures": "Rupture events and their repair (ground truth, not observable).",
}


# --------------------------------------------------------------------------
# writing


def _tables(study: Study) -> dict[str, pd.DataFrame]:
    tables = {
        "therapists": study.therapists,
        "patients": study.patients,
        "sessions": study.sessions,
    }
    if study.truth is not None:
        tables |= {
            "truth_patients": study.truth.patients,
            "truth_sessions": study.truth.sessions,
            "truth_ruptures": study.truth.ruptures,
        }
    return tables


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    return csv_bytes(frame, float_format=_FLOAT_FORMAT)


def write_study(study: Study, directory: str | Path) -> dict:
    """Write a simulated study as CSV files with ``datapackage.json`` and a codebook.

    Parameters
    ----------
    study : Study
        A simulated study (with ``truth`` and ``seed``).
    directory : str or pathlib.Path
        Where to write; created if missing. Existing files are replaced.

    Returns
    -------
    dict
        The data package descriptor that was written.
    """
    if not isinstance(study, Study) or study.truth is None or study.seed is None:
        raise ValueError(
            "write_study needs a simulated Study (with truth and seed), "
            "such as the one book.simulation.simulate returns"
        )
    directory = Path(directory)
    resources = []
    for name, frame in _tables(study).items():
        _check_columns(name, frame)
        data = _csv_bytes(frame)
        path = directory / TABLE_FILES[name]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        resources.append(_resource(name, data, len(frame)))
    package = _package(study, resources)
    (directory / "datapackage.json").write_text(json.dumps(package, indent=2) + "\n")
    (directory / "README.md").write_text(codebook_markdown(package))
    return package


def _check_columns(name: str, frame: pd.DataFrame) -> None:
    expected = [f.name for f in TABLES[name]]
    if list(frame.columns) != expected:
        raise DataValidationError(
            f"table {name!r} has columns {list(frame.columns)}, the codebook lists {expected}"
        )


def _resource(name: str, data: bytes, rows: int) -> dict:
    return table_resource(
        name,
        TABLE_FILES[name],
        data,
        rows=rows,
        fields=TABLES[name],
        key=_PRIMARY_KEYS[name],
        description=_DESCRIPTIONS[name],
        role="observed" if name in OBSERVED else "ground truth",
    )


def _package(study: Study, resources: list[dict]) -> dict:
    return {
        "profile": "tabular-data-package",
        "name": "alliance-simulated-study",
        "title": "A simulated session-by-session psychotherapy study with ground truth",
        "description": (
            "Weekly sessions of therapists and patients: symptoms (BDI-II) before and "
            "alliance (WAI-SR) after each session, intake measures, and the latent ground "
            "truth that generated them. Simulated by book.simulation.simulate; "
            "not real patients."
        ),
        "version": __version__,
        "licenses": [
            {
                "name": "CC-BY-4.0",
                "path": "https://creativecommons.org/licenses/by/4.0/",
                "title": "Creative Commons Attribution 4.0",
            }
        ],
        "created_by": {
            "package": "book",
            "version": __version__,
            "function": "book.simulation.simulate",
        },
        "simulation": {"seed": study.seed, "parameters": study.truth.params.to_dict()},
        "resources": resources,
    }


def codebook_markdown(package: dict) -> str:
    """The human-readable codebook (``data/README.md``) for a data package."""
    lines = [
        "# Data: the canonical simulated study",
        "",
        "<!-- Generated by `make data` (python -m book.datasets). Do not edit by hand. -->",
        "",
        "Simulated, not real patients: the study the book analyses, made by",
        f"`book.simulation.simulate(seed={package['simulation']['seed']})` with the default",
        f"parameters, package version {package['version']}. Load it with",
        "`book.datasets.load_study()`, which checks every file against this codebook and",
        "its sha256 in `datapackage.json`. Regenerate it with `make data`; a test",
        "regenerates it and fails if any byte differs.",
        "",
        "**Timing.** Symptoms (`bdi`) are reported *before* a session and the alliance",
        "*after* it, so the alliance of session *t* can affect the symptoms of session",
        "*t* + 1, a week later.",
        "",
        "**Missing data.** A missing questionnaire is an empty cell (`bdi`, or `alliance`",
        "with its subscales and items). Sessions after a patient drops out have no row",
        "in `sessions.csv`; `patients.csv` records `sessions_attended` and",
        "`dropped_out`, and the ground truth keeps every planned session.",
        "",
        "**Ground truth** (`truth/`) is what no real study observes: the latent trait-like",
        "and state-like alliance, true effects and rupture events. Use it only to check",
        "estimates.",
        "",
        "## Files",
        "",
        "| file | rows | role | description |",
        "| --- | --- | --- | --- |",
    ]
    for res in package["resources"]:
        lines.append(f"| `{res['path']}` | {res['rows']} | {res['role']} | {res['description']} |")
    for res in package["resources"]:
        lines += [
            "",
            f"## `{res['path']}`",
            "",
            res["description"],
            "",
            *schema_markdown(res),
        ]
    params = describe_parameters(SimulationParameters(**package["simulation"]["parameters"]))
    lines += [
        "",
        "## Simulation parameters",
        "",
        "| parameter | value | unit | description | source |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row in params.itertuples(index=False):
        lines.append(
            f"| `{row.parameter}` | {row.value} | {row.unit} | {row.description} | {row.source} |"
        )
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------
# loading


def load_study(directory: str | Path | None = None, *, truth: bool = True) -> Study:
    """Load the committed canonical study, validated against its codebook.

    Parameters
    ----------
    directory : str or pathlib.Path, optional
        A folder written by :func:`write_study`; the repository's ``data/``
        when omitted.
    truth : bool, default True
        Also load the ground truth from ``truth/``.

    Returns
    -------
    Study
        The observed tables, the ground truth (if asked for) and the seed.

    Raises
    ------
    FileNotFoundError
        If the folder or one of its files is missing.
    DataValidationError
        If the package is malformed in any way, with every problem it finds
        named by file and line: ``datapackage.json`` that is not valid JSON or
        lacks an entry, a file whose sha256 differs from ``datapackage.json``
        (it says so when the only difference is Windows line endings), a value
        that breaks the codebook, or tables that disagree with each other
        (sessions of a patient missing from ``patients.csv``, no therapists,
        an alliance score that is not the mean of its items, ...).

    Examples
    --------
    >>> from book.datasets.canonical import load_study
    >>> study = load_study()
    >>> study.seed, len(study.patients)
    (325, 240)
    """
    directory = Path(DATA_DIR if directory is None else directory)
    descriptor_path = directory / "datapackage.json"
    if not descriptor_path.is_file():
        raise FileNotFoundError(
            f"no datapackage.json in {directory}; run `make data` to create the canonical study"
        )
    package = _read_descriptor(descriptor_path)
    by_name = {res["name"]: res for res in package["resources"]}
    names = OBSERVED + (GROUND_TRUTH if truth else ())
    tables = {name: _read_table(directory, name, by_name.get(name)) for name in names}
    _check_across_tables(directory, tables, package["simulation"]["parameters"])
    truth_obj = None
    if truth:
        truth_obj = Truth(
            patients=tables["truth_patients"],
            sessions=tables["truth_sessions"],
            ruptures=tables["truth_ruptures"],
            params=package["simulation"]["parameters"],
        )
    return Study(
        therapists=tables["therapists"],
        patients=tables["patients"],
        sessions=tables["sessions"],
        truth=truth_obj,
        seed=package["simulation"]["seed"],
    )


def _read_descriptor(path: Path) -> dict:
    """``datapackage.json``, checked for everything the loader uses; parameters built."""
    try:
        package = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as err:
        raise DataValidationError(f"{path} is not UTF-8 text (byte {err.start})") from None
    except json.JSONDecodeError as err:
        raise DataValidationError(
            f"{path}, line {err.lineno}, column {err.colno}: not valid JSON ({err.msg}); "
            "run `make data` to regenerate data/"
        ) from None
    problems = []

    def need(container, key, kind, where):
        value = container.get(key) if isinstance(container, dict) else None
        if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
            what = "missing" if value is None else f"a {type(value).__name__}"
            problems.append(f"{where}{key!r} must be a {kind.__name__}, it is {what}")
            return None
        return value

    resources = need(package, "resources", list, "")
    for i, res in enumerate(resources or []):
        where = f"resources[{i}]."
        if not isinstance(res, dict):
            problems.append(f"resources[{i}] must be an object")
            continue
        name = need(res, "name", str, where)
        path_in = need(res, "path", str, where)
        digest = need(res, "hash", str, where)
        if name is not None and name not in TABLE_FILES:
            problems.append(f"{where}'name' {name!r} is not a table of the codebook")
        elif name is not None and path_in is not None and path_in != TABLE_FILES[name]:
            problems.append(
                f"{where}'path' is {path_in!r}; the table {name!r} lives in {TABLE_FILES[name]!r}"
            )
        if digest is not None and not digest.startswith("sha256:"):
            problems.append(f"{where}'hash' {digest!r} is not a sha256 ('sha256:...')")
    simulation = need(package, "simulation", dict, "")
    if simulation is not None:
        seed = need(simulation, "seed", int, "simulation.")
        if seed is not None and seed < 0:
            problems.append(f"simulation.'seed' must be a whole number from 0, it is {seed}")
        parameters = need(simulation, "parameters", dict, "simulation.")
        if parameters is not None:
            try:
                simulation["parameters"] = SimulationParameters(**parameters)
            except (TypeError, ValueError) as err:
                problems.append(f"simulation.'parameters' are not valid: {err}")
    if problems:
        raise DataValidationError(f"{path} is malformed:\n  " + "\n  ".join(problems))
    return package


def _read_table(directory: Path, name: str, resource: dict | None) -> pd.DataFrame:
    if resource is None:
        raise DataValidationError(
            f"{directory / 'datapackage.json'} has no resource named {name!r}"
        )
    return read_table(
        directory,
        resource,
        TABLES[name],
        _PRIMARY_KEYS[name],
        remedy="run `make data` to regenerate data/",
    )


# tolerance of "is the mean of its items": values are written with 6 significant
# digits, so a WAI-SR mean (at most 5) is off by at most 5e-6; 1e-4 leaves room
_MEAN_TOLERANCE = 1e-4


def _check_across_tables(directory: Path, tables: dict, params: SimulationParameters) -> None:
    """What no single table can check: keys that point into other tables, and derived values."""
    problems = []
    for name in ("therapists", "patients", "sessions"):
        if tables[name].empty:
            problems.append(f"{TABLE_FILES[name]} has no rows: a study needs {name}")
    therapists = set(tables["therapists"]["therapist_id"].dropna())
    patients = tables["patients"]
    known = set(patients["patient_id"].dropna())
    problems += _unknown(patients, "therapist_id", therapists, "patients", "therapists")
    for name in ("sessions", *(n for n in GROUND_TRUTH if n in tables)):
        problems += _unknown(tables[name], "patient_id", known, name, "patients")
    sessions = tables["sessions"]
    counts = sessions.groupby("patient_id").size()
    attended = patients.set_index("patient_id")["sessions_attended"]
    differ = attended.index[attended.to_numpy() != counts.reindex(attended.index, fill_value=0)]
    for pid in differ[:10]:
        line = int(np.flatnonzero(patients["patient_id"].to_numpy() == pid)[0]) + 2
        problems.append(
            f"patients.csv line {line}: patient {pid} has sessions_attended = "
            f"{attended[pid]}, but sessions.csv has {counts.get(pid, 0)} session(s)"
        )
    dropped = patients["dropped_out"].to_numpy(dtype=bool)
    early = patients["sessions_attended"].to_numpy() < params.n_sessions
    for i in np.flatnonzero(dropped != early)[:10]:
        problems.append(
            f"patients.csv line {i + 2}: dropped_out = {bool(dropped[i])} but "
            f"sessions_attended = {patients['sessions_attended'].iloc[i]} of "
            f"{params.n_sessions} planned"
        )
    problems += _means_of_items(sessions)
    if problems:
        shown = "\n  ".join(problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise DataValidationError(f"the tables in {directory} disagree:\n  {shown}{more}")


def _unknown(frame, column, known, name, target) -> list[str]:
    values = frame[column].to_numpy()
    missing = np.flatnonzero(~pd.Series(values).isin(known).to_numpy())
    out = [
        f"{TABLE_FILES[name]} line {i + 2}: {column} {values[i]} is not in {TABLE_FILES[target]}"
        for i in missing[:10]
    ]
    if len(missing) > 10:
        out.append(f"{TABLE_FILES[name]}: ... and {len(missing) - 10} more unknown {column}s")
    return out


def _means_of_items(sessions: pd.DataFrame) -> list[str]:
    """The alliance is the mean of the 12 WAI-SR items and each subscale of its 4."""
    problems = []
    items = sessions[list(WAI_ITEMS)].astype("float64").to_numpy()
    parts = {"alliance": np.arange(12)} | {
        f"wai_{name}": np.array(members) - 1 for name, members in WAI_SUBSCALES.items()
    }
    for column, members in parts.items():
        value = sessions[column].to_numpy(dtype="float64")
        chosen = items[:, members]
        complete = ~np.isnan(chosen).any(axis=1)
        mean = np.where(
            complete, np.nanmean(np.where(complete[:, None], chosen, 0), axis=1), np.nan
        )
        wrong = np.isnan(value) != ~complete
        wrong |= complete & ~np.isnan(value) & (np.abs(value - mean) > _MEAN_TOLERANCE)
        for i in np.flatnonzero(wrong)[:10]:
            expected = "empty" if np.isnan(mean[i]) else f"{mean[i]:.6g}"
            problems.append(
                f"sessions.csv line {i + 2}: {column} = {value[i]:.6g} but the mean of its "
                f"items is {expected}"
            )
    return problems


# --------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    """Regenerate the canonical study: ``python -m book.datasets [DIRECTORY]``."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument(
        "directory",
        nargs="?",
        default=str(DATA_DIR),
        help="where to write (default: the repository's data/)",
    )
    parser.add_argument("--seed", type=int, default=CANONICAL_SEED)
    args = parser.parse_args(argv)
    package = write_study(simulate(seed=args.seed), args.directory)
    for res in package["resources"]:
        print(f"{res['path']:<22} {res['bytes']:>9} bytes  {res['hash'][:19]}…")
