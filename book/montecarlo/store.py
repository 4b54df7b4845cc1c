"""The results store: the Monte Carlo tables in ``data/results/``, written once, read everywhere.

``make results`` runs ``python -m book.montecarlo.store``, which computes every
table of :data:`book.montecarlo.results.RESULT_TABLES` with the one runner and
writes it as a CSV file, described in ``data/results/datapackage.json``
(schema, sha256, rows, the table's seeds, replications and designs, the
package version and :func:`inputs_hash`, a hash of the code that makes the
numbers) and in the codebook ``data/results/README.md``. Chapters and
explorers read a table with :func:`load_results`, which checks it against its
hash and its codebook, as :func:`book.datasets.load_study` does for the
canonical study: the same quantity has the same number everywhere, and
building the book recomputes none of it.

A table is *stale* when the code that computes it has changed since it was
written (:func:`stale_tables`); a test fails then, and ``make results``
brings the store up to date.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
import time
import tokenize
from pathlib import Path

import numpy as np
import pandas as pd
import scipy

from book import __version__
from book.datasets.canonical import DATA_DIR
from book.datasets.codebook import Field
from book.datasets.tables import (
    DataValidationError,
    csv_bytes,
    read_table,
    schema_markdown,
    table_resource,
)
from book.montecarlo.results import RESULT_TABLES, compute_table
from book.simulation.representative import SEED_STATISTICS

__all__ = [
    "RESULTS_DIR",
    "inputs_hash",
    "load_results",
    "result_columns",
    "results_info",
    "stale_tables",
    "write_results",
]

#: Where the store lives: ``data/results/``.
RESULTS_DIR = DATA_DIR / "results"

_PACKAGE = Path(__file__).resolve().parents[1]
#: The code whose changes make the store stale: everything the numbers depend on.
_INPUTS = ("simulation", "estimation", "montecarlo")
_NOT_INPUTS = ("montecarlo/store.py",)

_FLOAT_FORMAT = "%.6g"
_REMEDY = "run `make results` to recompute data/results/"


# --------------------------------------------------------------------------
# the codebook of the store: every column any table has


def _number(name, description, unit="", minimum=None, maximum=None, required=False):
    return Field(name, "number", description, unit, minimum, maximum, required=required)


_SHARE = {"minimum": 0, "maximum": 1}
_COLUMNS: dict[str, Field] = {
    f.name: f
    for f in (
        Field("world", "string", "named world (book.simulation.worlds)"),
        Field("condition", "string", "which mechanism of the review's world is switched off"),
        Field("process", "string", "the data-generating process"),
        Field("effect", "string", "the alliance effect: none, or the review's"),
        Field("study", "string", "the published study whose design is simulated"),
        Field("design_name", "string", "the simulated design"),
        Field(
            "alliance",
            "string",
            "the alliance the estimators see",
            categories=("observed", "latent"),
        ),
        Field("estimator", "string", "estimator (book.montecarlo.estimators.ESTIMATORS)"),
        Field("term", "string", "the term estimated (the keys of true_effects)"),
        Field("statistic", "string", "statistic of a simulated study (calibration)"),
        Field("level", "string", "between or within patients", categories=("between", "within")),
        Field("replication", "integer", "the simulated study", "", 0),
        _number("estimate", "the statistic in this simulated study", required=True),
        Field("n_patients", "integer", "patients per study", "patients", 1),
        Field("n_sessions", "integer", "planned sessions per patient", "sessions", 1),
        Field("seed", "integer", "the seed of a candidate study", "", 0),
        _number(
            "effect_multiple",
            "the alliance effect as a multiple of the default",
            "",
            0,
            required=True,
        ),
        _number("truth", "the true value of the term (empty: the simulation has none)"),
        Field("n_reps", "integer", "replications with an estimate", "studies", 0),
        Field("n_failed", "integer", "replications the estimator could not fit", "studies", 0),
        _number("mean_estimate", "mean of the estimates over the replications"),
        _number("bias", "mean estimate minus the truth"),
        _number("bias_mcse", "Monte Carlo SE of the bias (and of the mean estimate)", "", 0),
        _number("emp_se", "SD of the estimates over the replications", "", 0),
        _number("emp_se_mcse", "Monte Carlo SE of emp_se", "", 0),
        _number("model_se", "root mean squared reported standard error", "", 0),
        _number("model_se_mcse", "Monte Carlo SE of model_se", "", 0),
        _number("rmse", "root mean squared error", "", 0),
        _number("rmse_mcse", "Monte Carlo SE of the RMSE", "", 0),
        _number("coverage", "share of 95% intervals containing the truth", "", **_SHARE),
        _number("coverage_mcse", "Monte Carlo SE of the coverage", "", 0),
        _number("power", "share of tests rejecting 0 at the 5% level", "", **_SHARE),
        _number("power_mcse", "Monte Carlo SE of the power", "", 0),
        _number(
            "wrong_sign", "share significant with the sign opposite to the truth", "", **_SHARE
        ),
        _number("singular", "share of singular multilevel fits", "", **_SHARE),
        _number("mean", "mean of the statistic over the simulated studies"),
        _number("sd", "SD of the statistic over the simulated studies", "", 0),
        _number("mcse", "Monte Carlo SE of the mean", "", 0),
        _number("mc_low", "2.5% point of the bootstrap over replications", "patients", 0),
        _number("mc_high", "97.5% point of the bootstrap over replications", "patients", 0),
        Field("reached_in_grid", "boolean", "some simulated design reached 80% power"),
        _number(
            "distance",
            "Mahalanobis distance from the average of the candidates",
            "",
            0,
            required=True,
        ),
    )
}
# n_patients of patients_for_power is interpolated, possibly not reached
_PATIENTS_NEEDED = _number(
    "n_patients", "patients needed for 80% power (interpolated, rounded up)", "patients", 1
)
for _name, _doc in SEED_STATISTICS.items():
    _COLUMNS[_name] = _number(_name, _doc)


def result_columns(name: str) -> list[Field]:
    """The codebook of one table: its columns, in order, with type, unit, range and meaning.

    Examples
    --------
    >>> [f.name for f in result_columns("calibration")]
    ['statistic', 'mean', 'sd', 'mcse', 'n_reps']
    """
    table = _table(name)
    fields = [_COLUMNS[n] for n in table.columns]
    if name == "patients_for_power":
        fields[table.columns.index("n_patients")] = _PATIENTS_NEEDED
    return [_required(f) if f.name in table.keys else f for f in fields]


def _required(f: Field) -> Field:
    return Field(f.name, f.type, f.description, f.unit, f.minimum, f.maximum, True, f.categories)


def _table(name: str):
    if name not in RESULT_TABLES:
        raise ValueError(f"unknown result table {name!r}; tables: {list(RESULT_TABLES)}")
    return RESULT_TABLES[name]


# --------------------------------------------------------------------------
# the hash of the inputs


def _code_tokens(path: Path) -> str:
    """A file's code without comments, docstrings or layout: edits of numbers count, not words."""
    text = path.read_text(encoding="utf-8")
    tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    kept, previous = [], tokenize.NEWLINE
    skip = {
        tokenize.COMMENT,
        tokenize.NL,
        tokenize.NEWLINE,
        tokenize.INDENT,
        tokenize.DEDENT,
        tokenize.ENCODING,
        tokenize.ENDMARKER,
    }
    for tok in tokens:
        if tok.type in skip:
            if tok.type in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
                previous = tokenize.NEWLINE
            continue
        # a string standing alone as a statement is a docstring (or a no-op)
        if tok.type == tokenize.STRING and previous == tokenize.NEWLINE:
            previous = tokenize.STRING
            continue
        if previous == tokenize.STRING and tok.type == tokenize.STRING:
            continue  # implicitly concatenated docstring parts
        previous = tok.type
        kept.append(tok.string)
    return "".join(kept)  # joined without spaces: f-strings tokenize differently by version


def inputs_hash() -> str:
    """A hash of everything the stored numbers depend on: the code, numpy's and scipy's versions.

    The code of :mod:`book.simulation`, :mod:`book.estimation` and
    :mod:`book.montecarlo` (but this module), without comments, docstrings
    and layout, so that editing words does not make the store stale and
    editing code does.

    Examples
    --------
    >>> inputs_hash()[:7]
    'sha256:'
    """
    digest = hashlib.sha256()
    for part in _INPUTS:
        for path in sorted((_PACKAGE / part).glob("*.py")):
            relative = path.relative_to(_PACKAGE).as_posix()
            if relative in _NOT_INPUTS:
                continue
            digest.update(relative.encode() + b"\0" + _code_tokens(path).encode() + b"\0")
    digest.update(f"numpy {np.__version__}; scipy {scipy.__version__}".encode())
    return "sha256:" + digest.hexdigest()


# --------------------------------------------------------------------------
# writing


def write_results(
    directory: str | Path | None = None,
    *,
    tables=None,
    n_jobs: int | None = 2,
    progress: bool | None = True,
    scale: float = 1.0,
    slow_scale: float = 1.0,
) -> dict:
    """Compute tables of the store and write them with ``datapackage.json`` and a codebook.

    Parameters
    ----------
    directory : str or pathlib.Path, optional
        Where to write; ``data/results/`` when omitted.
    tables : sequence of str, optional
        Names of the tables to compute; all when omitted. The others keep
        their files and entries.
    n_jobs : int, default 2
        Parallel workers of the runner.
    progress : bool, default True
        Progress bars.
    scale : float, default 1.0
        The share of each table's replications to run (at least 10 per
        design), recorded with each table as ``replication_scale``: 1 is the
        store the book is meant to have; less gives a quicker store with
        larger Monte Carlo errors (its tables' ``n_reps`` say how many).
    slow_scale : float, default 1.0
        A further share for the estimators fitted one study at a time, recorded
        as ``slow_replication_scale``.

    Returns
    -------
    dict
        The data package descriptor written.
    """
    directory = Path(RESULTS_DIR if directory is None else directory)
    names = list(RESULT_TABLES) if tables is None else [_table(n).name for n in tables]
    directory.mkdir(parents=True, exist_ok=True)
    old = _read_descriptor(directory) if (directory / "datapackage.json").is_file() else None
    resources = {r["name"]: r for r in (old or {}).get("resources", [])}
    code = inputs_hash()
    cache: dict = {}
    package: dict = {}
    for name in names:
        start = time.perf_counter()
        print(f"[results] {name}: computing", file=sys.stderr, flush=True)
        frame = compute_table(
            name, scale=scale, slow_scale=slow_scale, n_jobs=n_jobs, progress=progress, cache=cache
        )
        resources[name] = _write_table(
            directory, name, frame, code, scale=scale, slow_scale=slow_scale
        )
        seconds = time.perf_counter() - start
        print(f"[results] {name}: {len(frame)} rows, {seconds:.0f} s", file=sys.stderr, flush=True)
        package = _write_descriptor(directory, resources)  # after each table: a stopped run
    return package  # keeps what it finished


def _write_descriptor(directory: Path, resources: dict) -> dict:
    package = _package([resources[n] for n in RESULT_TABLES if n in resources])
    (directory / "datapackage.json").write_text(json.dumps(package, indent=2) + "\n")
    (directory / "README.md").write_text(_codebook(package))
    return package


def _write_table(
    directory: Path,
    name: str,
    frame: pd.DataFrame,
    code: str,
    *,
    scale: float = 1.0,
    slow_scale: float = 1.0,
) -> dict:
    fields = result_columns(name)
    expected = [f.name for f in fields]
    if list(frame.columns) != expected:
        raise DataValidationError(
            f"table {name!r} has columns {list(frame.columns)}, its codebook lists {expected}"
        )
    data = csv_bytes(frame, float_format=_FLOAT_FORMAT)
    (directory / f"{name}.csv").write_bytes(data)
    spec = RESULT_TABLES[name]
    return table_resource(
        name,
        f"{name}.csv",
        data,
        rows=len(frame),
        fields=fields,
        key=list(spec.keys),
        description=spec.description,
        run=_plain(spec.settings),
        used_by=list(spec.used_by),
        inputs_hash=code,
        replication_scale=float(scale),
        slow_replication_scale=float(slow_scale),
    )


def _plain(value):
    """Settings as JSON: tuples as lists, keys as text."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _package(resources: list[dict]) -> dict:
    return {
        "profile": "tabular-data-package",
        "name": "alliance-monte-carlo-results",
        "title": "The book's Monte Carlo results",
        "description": (
            "Every Monte Carlo table the chapters and explorers quote: performance of the "
            "estimators in the named worlds, bias by source, power and sample sizes, the "
            "Nickell curve, the moderation probed over many studies, the calibration "
            "statistics. Computed by `make results` (python -m book.montecarlo.store)."
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
            "function": "book.montecarlo.store.write_results",
        },
        "resources": resources,
    }


def _codebook(package: dict) -> str:
    lines = [
        "# Data: the book's Monte Carlo results",
        "",
        "<!-- Generated by `make results` (python -m book.montecarlo.store). "
        "Do not edit by hand. -->",
        "",
        "Every Monte Carlo number the chapters and explorers quote, computed once by the",
        "book's runner and read with `book.montecarlo.store.load_results(name)`, which",
        "checks each file against this codebook and its sha256 in `datapackage.json`.",
        "Each table records its seeds, replications and designs (`run`) and a hash of the",
        "code that computed it (`inputs_hash`): when that code changes, a test says the",
        "store is stale, and `make results` recomputes it.",
        "",
        "| file | rows | description | used by |",
        "| --- | --- | --- | --- |",
    ]
    for res in package["resources"]:
        used = ", ".join(f"`{u}`" for u in res["used_by"])
        lines.append(f"| `{res['path']}` | {res['rows']} | {res['description']} | {used} |")
    for res in package["resources"]:
        lines += [
            "",
            f"## `{res['path']}`",
            "",
            res["description"],
            "",
            f"Run: `{json.dumps(res['run'])}`",
            "",
            *_scale_note(res),
            *schema_markdown(res),
        ]
    return "\n".join(lines) + "\n"


def _scale_note(res: dict) -> list[str]:
    scale = res.get("replication_scale", 1.0)
    slow = scale * res.get("slow_replication_scale", 1.0)
    if slow == 1:
        return []
    return [
        f"Computed with a share of {scale:g} of these replications ({slow:g} for the estimators "
        "fitted one study at a time; at least 10 per design; the table's `n_reps` column "
        "gives the number): `make results` computes them all.",
        "",
    ]


# --------------------------------------------------------------------------
# reading


def _read_descriptor(directory: Path) -> dict:
    path = directory / "datapackage.json"
    if not path.is_file():
        raise FileNotFoundError(f"no datapackage.json in {directory}; {_REMEDY}")
    try:
        package = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise DataValidationError(f"{path} is not valid JSON ({err}); {_REMEDY}") from None
    if not isinstance(package, dict) or not isinstance(package.get("resources"), list):
        raise DataValidationError(f"{path} has no list of resources; {_REMEDY}")
    for i, res in enumerate(package["resources"]):
        if not isinstance(res, dict) or not all(
            isinstance(res.get(k), str) for k in ("name", "path", "hash", "inputs_hash")
        ):
            raise DataValidationError(
                f"{path}: resources[{i}] lacks a name, path, hash or inputs_hash; {_REMEDY}"
            )
    return package


def results_info(name: str | None = None, directory: str | Path | None = None) -> dict:
    """What the store records about a table (or the whole store): run settings, hashes, rows.

    Examples
    --------
    >>> results_info("power")["run"]["patients"][:3]
    [40, 80, 120]
    """
    package = _read_descriptor(Path(RESULTS_DIR if directory is None else directory))
    if name is None:
        return package
    _table(name)
    for res in package["resources"]:
        if res["name"] == name:
            return res
    raise DataValidationError(f"the store has no table {name!r}; {_REMEDY}")


def load_results(name: str, directory: str | Path | None = None) -> pd.DataFrame:
    """One table of the results store, checked against its hash and its codebook.

    Parameters
    ----------
    name : str
        A table of :data:`book.montecarlo.results.RESULT_TABLES` (``"performance"``,
        ``"power"``, ``"patients_for_power"``, ...).
    directory : str or pathlib.Path, optional
        A folder written by :func:`write_results`; ``data/results/`` when omitted.

    Returns
    -------
    pandas.DataFrame
        The table, each column with its codebook type.

    Raises
    ------
    FileNotFoundError
        If the store or the table's file is missing.
    DataValidationError
        If the file differs from its recorded sha256, breaks its codebook, or
        the descriptor is malformed.

    Examples
    --------
    >>> power = load_results("power")
    >>> row = power.query("n_patients == 240 and n_sessions == 12 and estimator == 'within'")
    >>> print(row[["term", "truth"]].round(2).to_string(index=False))
               term  truth
              bdi_c   0.30
    alliance_within  -4.87
    """
    res = results_info(name, directory)
    directory = Path(RESULTS_DIR if directory is None else directory)
    return read_table(
        directory, res, result_columns(name), list(RESULT_TABLES[name].keys), remedy=_REMEDY
    )


def stale_tables(directory: str | Path | None = None) -> list[str]:
    """The tables computed by other code than the current one (or missing from the store).

    Examples
    --------
    >>> stale_tables()
    []
    """
    try:
        package = _read_descriptor(Path(RESULTS_DIR if directory is None else directory))
    except FileNotFoundError:
        return list(RESULT_TABLES)
    current = inputs_hash()
    recorded = {r["name"]: r["inputs_hash"] for r in package["resources"]}
    return [n for n in RESULT_TABLES if recorded.get(n) != current]


def main(argv: list[str] | None = None) -> None:
    """Compute the results store: ``python -m book.montecarlo.store [--tables ...]``."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("directory", nargs="?", default=str(RESULTS_DIR))
    parser.add_argument("--tables", nargs="*", help=f"some of: {', '.join(RESULT_TABLES)}")
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="share of the replications (recorded in datapackage.json); 1 for the full store",
    )
    parser.add_argument(
        "--slow-scale",
        type=float,
        default=1.0,
        help="a further share for the estimators fitted one study at a time",
    )
    args = parser.parse_args(argv)
    start = time.perf_counter()
    package = write_results(
        args.directory,
        tables=args.tables or None,
        n_jobs=args.n_jobs,
        scale=args.scale,
        slow_scale=args.slow_scale,
    )
    for res in package["resources"]:
        print(f"{res['path']:<24} {res['rows']:>6} rows  {res['hash'][:19]}…")
    print(f"make results: {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
