"""How to cite and reuse the book: CITATION.cff, the two licences and README agree
with each other and with the book itself. (The pull-request workflow also validates
CITATION.cff against the CFF 1.2.0 schema with cffconvert, which needs the network
to install; this test needs none.)"""

import re

import yaml
from booksite import ROOT

import book

CFF = yaml.safe_load((ROOT / "CITATION.cff").read_text())
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
README = " ".join((ROOT / "README.md").read_text().split())  # line breaks as spaces


def test_required_cff_keys_and_types():
    # CFF 1.2.0 requires cff-version, message, title and authors; every author is a
    # person (family-names) or an entity (name)
    assert CFF["cff-version"] == "1.2.0"
    assert isinstance(CFF["message"], str) and CFF["message"].strip()
    assert isinstance(CFF["title"], str) and CFF["title"].strip()
    assert CFF["authors"] and all("family-names" in a or "name" in a for a in CFF["authors"])
    for ref in CFF.get("references", []):
        assert {"type", "authors", "title"} <= set(ref)


def test_citation_matches_the_book():
    assert str(CFF["version"]) == book.__version__
    assert CFF["title"].startswith(CONFIG["title"])
    assert CFF["repository-code"] == CONFIG["repository"]["url"]


def test_licences_are_the_ones_in_the_repository():
    assert CFF["license"] == ["MIT", "CC-BY-4.0"]
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert "Creative Commons Attribution 4.0" in (ROOT / "LICENSE-TEXT.md").read_text()


def test_the_cited_review_is_the_one_in_references_bib():
    bib = (ROOT / "references.bib").read_text()
    for ref in CFF["references"]:
        assert ref["doi"] in bib


def test_readme_names_both_licences_the_citation_file_and_the_repository():
    for needle in ("LICENSE", "LICENSE-TEXT.md", "MIT", "Creative Commons Attribution 4.0"):
        assert needle in README
    assert "CITATION.cff" in README
    assert CONFIG["repository"]["url"] in README
    assert re.search(r"version\s+" + re.escape(book.__version__), README)
