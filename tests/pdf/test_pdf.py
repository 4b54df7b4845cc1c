"""The PDF edition (`make pdf` writes `_build/latex/book.pdf`): it has every page of the
table of contents, numbered figures and equations, the bibliography, and no reference
that failed to resolve. Read with poppler's pdftotext and pdfinfo (`make tex` installs
them with TeX)."""

from __future__ import annotations

import re
import subprocess

import pytest
import yaml
from booksite import ROOT, normalize_text, report, source_title, toc_docnames

LATEX = ROOT / "_build" / "latex"
PDF = LATEX / "book.pdf"


@pytest.fixture(scope="module")
def text() -> str:
    if not PDF.is_file():
        pytest.fail(f"no {PDF.relative_to(ROOT)}: run `make pdf`", pytrace=False)
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(PDF), "-"], capture_output=True)
    assert out.returncode == 0, out.stderr
    return out.stdout.decode()


def pages() -> int:
    info = subprocess.run(["pdfinfo", str(PDF)], capture_output=True, text=True, check=True)
    return int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M).group(1))


def test_the_pdf_has_every_page_of_the_table_of_contents(text):
    flat = normalize_text(text.replace("-\n", "").replace("\n", " "))
    missing = [d for d in toc_docnames() if normalize_text(source_title(d)) not in flat]
    assert not missing, f"chapters missing from the PDF: {missing}"
    report("pdf", f"book.pdf: {pages()} pages, {PDF.stat().st_size / 1e6:.1f} MB")


def test_chapters_are_numbered_as_in_the_html_book(text):
    """The numbered parts' chapters are chapters 1, 2, ... in the PDF too (so are their
    figures and equations): the landing page is not a chapter (_ext/pdf_edition.py)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    numbered = [
        c["file"] for part in toc["parts"] if part.get("numbered") for c in part["chapters"]
    ]
    flat = " ".join(text.split())
    for number, docname in enumerate(numbered, start=1):
        words = " ".join(source_title(docname).split()[:2])
        assert f"Chapter {number}. {words}" in flat, f"{docname} is not chapter {number}"


def test_every_reference_resolves(text):
    assert "??" not in text, "an unresolved reference (??) in the PDF"
    log = (LATEX / "book.log").read_text(errors="replace")
    assert "There were undefined references" not in log
    assert not re.search(r"Reference `[^']+' on page \d+ undefined", log)
    assert not re.search(r"Citation `[^']+' on page \d+ undefined", log)


def test_figures_and_equations_are_numbered(text):
    figures = set(re.findall(r"Fig\. (\d+\.\d+)", text))
    equations = set(re.findall(r"\((\d+\.\d+)\)", text))
    assert len(figures) >= 20, sorted(figures)
    assert len(equations) >= 5, sorted(equations)
    report("pdf", f"{len(figures)} numbered figures, {len(equations)} numbered equations cited")


def test_the_bibliography_is_there(text):
    assert "Zilcha-Mano" in text and "Nature Reviews Psychology" in text
    assert "Nickell" in text


def test_html_only_outputs_stay_out_of_the_pdf(text):
    # an explorer's static view (book.widgets.explorer.static_view) is for the web page;
    # the PDF shows the chapter's static figure instead
    assert not re.search(r"\d+ settings of \w+ \(\d+\)", text)
    assert "static-explorer" not in text
