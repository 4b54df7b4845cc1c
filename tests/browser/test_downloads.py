"""Every page's download button gives its source: a chapter's notebook, which opens.

The button (sphinx-book-theme's "Download source file", made a real download by
`_static/downloads.js`) is clicked in Chromium; the file must arrive under the
chapter's name, be a valid notebook (nbformat 4), and hold the chapter's cells with
their stored outputs, so a reader can open it in JupyterLab and run it.
"""

from __future__ import annotations

import nbformat
import pytest
from booksite import ROOT, report, source_path, toc_docnames
from browsertools import Visit

PAGES = toc_docnames()


@pytest.mark.parametrize("docname", PAGES)
def test_the_download_button_gives_the_source_and_it_opens(browser, book_url, docname, tmp_path):
    source = source_path(docname)
    visit = Visit(browser, f"{book_url}{docname}.html")
    page = visit.page
    page.locator(".dropdown-download-buttons button.dropdown-toggle").click()
    button = page.locator("a.btn-download-source-button")
    assert button.count() == 1
    with page.expect_download(timeout=15_000) as info:
        button.click()
    download = info.value
    assert download.suggested_filename == source.name
    saved = tmp_path / source.name
    download.save_as(saved)
    assert saved.read_bytes() == source.read_bytes()
    if source.suffix == ".ipynb":
        notebook = nbformat.read(saved, as_version=4)
        nbformat.validate(notebook)
        code = [c for c in notebook.cells if c.cell_type == "code"]
        assert code and all("outputs" in c for c in code)
        assert any(c.outputs for c in code), "the notebook comes with its outputs"
    assert not visit.problems(), visit.problems()
    report("downloads", f"{docname}: {source.name}, {saved.stat().st_size / 1e6:.2f} MB")
    page.close()


def test_every_chapter_is_a_notebook():
    chapters = [d for d in PAGES if d.startswith("chapters/")]
    assert chapters and all(source_path(d).suffix == ".ipynb" for d in chapters)
    assert all((ROOT / f"{d}.ipynb").is_file() for d in chapters)
