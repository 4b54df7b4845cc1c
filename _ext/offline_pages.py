"""Vendored JavaScript where it is needed, and nowhere else.

jupyter-book 1.x adds every ``.js`` file under ``_static/`` to every page. The
vendored libraries in ``_static/vendor/`` (tools/vendor.py) are not page scripts:
MathJax is loaded by Sphinx (``mathjax_path``) and loads its own parts, and the
widget manager is loaded by myst-nb (``nb_ipywidgets_js``, after its setup script
``_static/widgets-setup.js``). So they are taken out of
``html_js_files``.

myst-nb adds the widget state of a notebook, require.js and the widget manager
(`nb_ipywidgets_js`, vendored under `_static/vendor/`) to every page whose
notebook holds widget state, which every executed notebook with a live explorer
does, even when the explorer's output is removed from the page (`remove-output`).
The state then holds the live explorer's figures as PNGs, and the manager is 3.6 MB
of JavaScript: a reader would download both for nothing. The widget scripts are
kept only on pages whose body shows a widget view.
"""

from __future__ import annotations

VENDOR = "vendor/"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _is_widget_script(script, widget_js: set[str]) -> bool:
    attributes = getattr(script, "attributes", None) or {}
    # Sphinx keeps a relative script path with "_static/" in front
    filename = str(getattr(script, "filename", script) or "").removeprefix("_static/")
    return attributes.get("type") == WIDGET_STATE or filename in widget_js


def drop_unused_widget_scripts(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not scripts or WIDGET_VIEW in context.get("body", ""):
        return
    widget_js = set(getattr(app.config, "nb_ipywidgets_js", None) or {})
    context["script_files"] = [s for s in scripts if not _is_widget_script(s, widget_js)]


def drop_vendored_page_scripts(app, config) -> None:
    widget_js = set(getattr(config, "nb_ipywidgets_js", None) or {})

    def loaded_elsewhere(entry) -> bool:
        name = entry[0] if isinstance(entry, (tuple, list)) else entry
        return name.startswith(VENDOR) or name in widget_js

    config.html_js_files = [f for f in config.html_js_files if not loaded_elsewhere(f)]


def setup(app):
    app.connect("config-inited", drop_vendored_page_scripts)
    # after myst-nb (default priority 500), which adds the scripts
    app.connect("html-page-context", drop_unused_widget_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
