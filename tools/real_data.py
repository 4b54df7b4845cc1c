"""Extract the book's real data sets from Debian's R packages into ``data/real/`` (maintainers).

``make real-data`` runs ``python -m tools.real_data``. It is run once, when a
data set is added or its source package changes, never at build or test time:
the extracted CSV files are committed, described in ``data/real/datapackage.json``
(codebook, source, licence, citation, sha256) and read back by
:func:`book.datasets.real.load_real`, which checks them.

It needs R and the R packages that ship the data, from Debian (as root)::

    apt-get install -y r-base-core r-cran-hsaur3 r-cran-lme4 r-cran-psychtools

and refuses to run if an installed package's version differs from the one
recorded in :data:`book.datasets.real.SOURCES` (update the record first, so
that ``datapackage.json`` names the version the data came from).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from pathlib import Path

import pandas as pd

from book.datasets.real import REAL_DATA_DIR, SOURCES, TABLES, write_real_data

__all__ = ["extract_real_data", "installed_versions", "main"]

# One R data set per table: (R package, data set name). Row names are kept as
# a first column, so nothing of the source is lost.
_R_EXPORT = r"""
args <- commandArgs(trailingOnly = TRUE)
out <- args[1]
export <- function(package, name, file) {
  e <- new.env()
  data(list = name, package = package, envir = e)
  d <- get(name, envir = e)
  d <- data.frame(.row = rownames(d), d, check.names = FALSE, stringsAsFactors = FALSE)
  for (col in names(d)) if (is.factor(d[[col]])) d[[col]] <- as.character(d[[col]])
  write.csv(d, file.path(out, file), row.names = FALSE, na = "NA")
}
for (i in seq(2, length(args), by = 3)) export(args[i], args[i + 1], args[i + 2])
versions <- sapply(unique(args[seq(2, length(args), by = 3)]),
                   function(p) packageDescription(p)$Version)
write.csv(data.frame(package = names(versions), version = versions),
          file.path(out, "versions.csv"), row.names = FALSE)
"""


def installed_versions(debian_packages) -> dict[str, str]:
    """Installed versions of Debian packages (``dpkg-query``), empty for those missing."""
    found = {}
    for name in debian_packages:
        run = subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", name],
            capture_output=True,
            text=True,
            check=False,
        )
        found[name] = run.stdout.strip() if run.returncode == 0 else ""
    return found


def _check_sources() -> None:
    if shutil.which("Rscript") is None:
        raise RuntimeError(
            "Rscript not found. Install R and the packages that ship the data (Debian, as "
            "root): apt-get install -y r-base-core "
            + " ".join(sorted({s["debian"] for s in SOURCES.values()}))
        )
    wanted = {s["debian"]: s["debian_version"] for s in SOURCES.values()}
    have = installed_versions(wanted)
    wrong = {p: (v, have[p]) for p, v in wanted.items() if have[p] != v}
    if wrong:
        listing = "; ".join(
            f"{p}: recorded {v}, installed {h or 'none'}" for p, (v, h) in wrong.items()
        )
        raise RuntimeError(
            f"Debian packages differ from book.datasets.real.SOURCES ({listing}). Install "
            "the recorded versions, or update SOURCES (and check the data) before extracting."
        )


def extract_real_data(directory: str | Path = REAL_DATA_DIR) -> dict:
    """Export every real data set with R, normalise it to its codebook, write it with hashes.

    Parameters
    ----------
    directory : str or pathlib.Path
        Where to write (default ``data/real/``); created if missing.

    Returns
    -------
    dict
        The data package descriptor written to ``datapackage.json``.
    """
    _check_sources()
    with tempfile.TemporaryDirectory() as tmp:
        args = []
        for name, source in SOURCES.items():
            args += [source["r_package"], source["r_name"], f"{name}.csv"]
        subprocess.run(["Rscript", "-e", _R_EXPORT, tmp, *args], check=True)
        versions = pd.read_csv(Path(tmp) / "versions.csv").set_index("package")["version"]
        for source in SOURCES.values():
            if versions[source["r_package"]] != source["r_version"]:
                raise RuntimeError(
                    f"R package {source['r_package']} is {versions[source['r_package']]}, "
                    f"SOURCES records {source['r_version']}"
                )
        raw = {
            name: pd.read_csv(Path(tmp) / f"{name}.csv", keep_default_na=False, na_values=["NA"])
            for name in SOURCES
        }
    tables = {name: _normalise(name, frame) for name, frame in raw.items()}
    return write_real_data(tables, directory)


def _normalise(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """R's columns under the codebook's names and types (``.row`` becomes ``row``)."""
    fields = TABLES[name]
    renames = SOURCES[name]["columns"]
    frame = frame.rename(columns=renames)
    missing = [f.name for f in fields if f.name not in frame.columns]
    if missing:
        raise RuntimeError(f"{name}: R export lacks {missing}; columns are {list(frame.columns)}")
    frame = frame[[f.name for f in fields]]
    out = {}
    for f in fields:
        col = frame[f.name]
        if f.type == "integer":
            numbers = pd.to_numeric(col)
            if ((numbers % 1).fillna(0) != 0).any():
                raise RuntimeError(f"{name}.{f.name} holds non-integer values")
            out[f.name] = numbers.astype("Int64")
        elif f.type == "number":
            out[f.name] = pd.to_numeric(col).astype("float64")
        else:
            out[f.name] = col.astype("string")
    return pd.DataFrame(out)


def main(argv: list[str] | None = None) -> None:
    """Extract the real data sets: ``python -m tools.real_data [DIRECTORY]``."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("directory", nargs="?", default=str(REAL_DATA_DIR))
    args = parser.parse_args(argv)
    package = extract_real_data(args.directory)
    for res in package["resources"]:
        size = f"{res['rows']:>5} rows {res['bytes']:>8} bytes"
        print(f"{res['path']:<16} {size}  {res['hash'][:19]}…")


if __name__ == "__main__":
    main()
