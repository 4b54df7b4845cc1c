"""The configuration of the PDF edition: the book's `_config.yml`, built from stored outputs.

``make pdf`` builds the PDF from the chapters' stored outputs, which nbval keeps
current in ``make test``, instead of executing every chapter a second time. The
configuration is written under ``_build/`` (``python -m tools.pdf DEST``); since
jupyter-book resolves local extensions from the configuration file's folder, their
paths are made absolute.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml

__all__ = ["pdf_config"]

ROOT = Path(__file__).resolve().parents[1]


def pdf_config(book: Path = ROOT) -> dict:
    """The book's configuration with execution off and absolute extension paths.

    Examples
    --------
    >>> config = pdf_config()
    >>> config["execute"]["execute_notebooks"], config["latex"]["latex_engine"]
    ('off', 'xelatex')
    >>> Path(config["sphinx"]["local_extensions"]["pdf_edition"]).is_absolute()
    True
    """
    book = Path(book).resolve()
    config = yaml.safe_load((book / "_config.yml").read_text())
    config.setdefault("execute", {})["execute_notebooks"] = "off"
    extensions = config.get("sphinx", {}).get("local_extensions") or {}
    for name, folder in extensions.items():
        extensions[name] = str((book / folder).resolve())
    return config


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("destination", type=Path, help="where to write _config.yml")
    args = parser.parse_args(argv)
    args.destination.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(pdf_config(), sort_keys=False)
    (args.destination / "_config.yml").write_text(text)


if __name__ == "__main__":
    main()
