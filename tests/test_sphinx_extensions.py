"""The book's local Sphinx extensions (`_ext/`), on the markup they are written for.
The built book is checked end to end by tests/site/ and tests/browser/."""

from __future__ import annotations

import importlib.util
from types import SimpleNamespace

from booksite import ROOT


def _extension(name: str):
    """A local extension from `_ext/`, loaded from its file (it is not an installed module)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "_ext" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


accessible_html = _extension("accessible_html")
offline_pages = _extension("offline_pages")
pdf_edition = _extension("pdf_edition")


def test_the_theme_markup_axe_flags_is_fixed():
    page = (
        '<button class="btn search-button-field search-button__button pst-js-only" '
        'title="Search" aria-label="Search" data-bs-toggle="tooltip">'
        '<i class="theme-switch fa-solid fa-moon               fa-lg" data-mode="dark"  '
        'title="Dark"></i>'
        '<summary aria-label="Toggle hidden content">'
        '<div class="citation" id="id30" role="doc-biblioentry">'
    )
    fixed, count = accessible_html.fix_page(page)
    assert count == 4
    assert 'aria-label="Search"' not in fixed and 'title="Search"' in fixed
    assert 'title="Dark"' not in fixed and 'data-mode="dark" aria-hidden="true"' in fixed
    assert "<summary>" in fixed
    assert 'role="listitem"' in fixed
    assert accessible_html.fix_page(fixed) == (fixed, 0)  # nothing left to fix


def _script(filename, **attributes):
    return SimpleNamespace(filename=filename, attributes=attributes)


def test_widget_scripts_stay_only_on_pages_that_show_a_widget():
    widget_js = {"widgets-setup.js": {}, "vendor/requirejs/require.js": {}}
    app = SimpleNamespace(config=SimpleNamespace(nb_ipywidgets_js=widget_js))
    scripts = [
        _script("_static/doctools.js"),
        _script(None, type=offline_pages.WIDGET_STATE, body="{}"),
        _script("_static/widgets-setup.js"),
        _script("_static/vendor/requirejs/require.js"),
    ]
    context = {"script_files": list(scripts), "body": "<p>no widget</p>"}
    offline_pages.drop_unused_widget_scripts(app, "page", "page.html", context, None)
    assert [s.filename for s in context["script_files"]] == ["_static/doctools.js"]
    context = {"script_files": list(scripts), "body": offline_pages.WIDGET_VIEW}
    offline_pages.drop_unused_widget_scripts(app, "page", "page.html", context, None)
    assert len(context["script_files"]) == 4


def test_vendored_files_are_not_page_scripts():
    config = SimpleNamespace(
        nb_ipywidgets_js={"widgets-setup.js": {}},
        html_js_files=["downloads.js", "vendor/mathjax/tex-chtml.js", "widgets-setup.js"],
    )
    offline_pages.drop_vendored_page_scripts(None, config)
    assert config.html_js_files == ["downloads.js"]


def test_the_pdf_has_the_chapters_only():
    app = SimpleNamespace(
        builder=SimpleNamespace(name="latex"),
        config=SimpleNamespace(latex_documents=[("intro", "book.tex", "T", "A", "manual")]),
    )
    pdf_edition.chapters_only(app, None, [])
    assert app.config.latex_documents == [("intro", "book.tex", "T", "A", "manual", True)]
