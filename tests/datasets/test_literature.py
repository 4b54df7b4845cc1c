"""The tables of published findings point at real references and real parameters."""

import dataclasses
import re
from pathlib import Path

from book.datasets.literature import published_effects, session_studies
from book.simulation.parameters import SimulationParameters

BIB = (Path(__file__).resolve().parents[2] / "references.bib").read_text()
BIB_KEYS = set(re.findall(r"^@\w+\{([^,]+),", BIB, re.M))
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
