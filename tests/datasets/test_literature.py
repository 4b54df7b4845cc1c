"""The tables of published findings point at real references and real parameters."""

import dataclasses
from pathlib import Path

from pybtex.database import parse_file

from book.datasets.literature import published_effects, session_studies
from book.simulation.parameters import SimulationParameters

# parsing the whole file also catches a syntax error (an entry left open) before the build
BIB_KEYS = set(parse_file(Path(__file__).resolve().parents[2] / "references.bib").entries)
PARAMETERS = {f.name for f in dataclasses.fields(SimulationParameters)}


def test_session_studies_cite_the_bibliography_and_name_simulation_parameters():
    studies = session_studies()
    assert set(studies["key"]) <= BIB_KEYS
    for informs in studies["informs"]:
        assert set(informs) <= PARAMETERS, informs
    assert (studies["patients"].dropna() > 0).all()
    assert studies["finding"].str.len().gt(20).all()


def test_published_effects_cite_the_bibliography():
    keys = {k for k in published_effects()["key"] if k}
    assert keys <= BIB_KEYS
