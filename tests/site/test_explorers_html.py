"""The explorers in the published pages: a static figure and the numbers, never dead
controls, broken widget boxes or the text form of a widget (`VBox(...)`)."""

import json
import re

import pytest
from booksite import HTML_DIR, ROOT, toc_notebooks

from book.widgets import LIVE_HINT

# what a widget looks like when it leaks into a page: its text form, or a rendered view
_WIDGET_TEXT = re.compile(
    r"\b(VBox|HBox|FloatSlider|IntSlider|SelectionSlider|Image)\(children=|"
    r"\b(VBox|HBox|FloatSlider|IntSlider|SelectionSlider)\("
)
_WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _makes_an_explorer(cell) -> bool:
    """A live explorer cell: it calls a book.widgets explorer, its output hidden."""
    source = "".join(cell["source"])
    return (
        cell["cell_type"] == "code"
        and re.search(r"from book\.widgets\.\w+ import \w+_explorer", source) is not None
        and "remove-output" in cell["metadata"].get("tags", [])
    )


def _explorer_pages():
    pages = []
    for notebook in toc_notebooks():
        cells = json.loads(notebook.read_text())["cells"]
        if any(_makes_an_explorer(c) for c in cells):
            pages.append(notebook.relative_to(ROOT).with_suffix(".html").as_posix())
    return pages


EXPLORER_PAGES = _explorer_pages()


def test_the_book_has_its_explorers():
    assert len(EXPLORER_PAGES) >= 5, EXPLORER_PAGES


@pytest.mark.parametrize("rel", EXPLORER_PAGES)
def test_no_widget_leaks_into_the_page(rel):
    html = (HTML_DIR / rel).read_text(encoding="utf-8")
    article = html.split('<article class="bd-article"', 1)[-1]
    assert not _WIDGET_TEXT.search(article), _WIDGET_TEXT.search(article).group(0)
    # widget views are scripts of this type in the output; the widget *state* myst-nb
    # adds to the page's head (for a kernel-less reader it is unused) is not a view
    assert f'type="{_WIDGET_VIEW}"' not in article


@pytest.mark.parametrize("rel", EXPLORER_PAGES)
def test_the_page_shows_the_static_view_and_how_to_run_it(rel, pages):
    page = pages[rel]
    html = (HTML_DIR / rel).read_text(encoding="utf-8")
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert "make lab" in text and "Binder" in text
    assert " ".join(LIVE_HINT.replace("`", "").split()[:8]) in text
    assert "Try this." in text
    # the static figure is an image of the article with alt text (checked in full elsewhere)
    assert any(image.in_article and image.alt for image in page.images)
