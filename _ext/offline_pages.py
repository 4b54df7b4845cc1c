"""Load the widget manager only on pages that show a widget.

myst-nb adds the widget state of a notebook, require.js and the widget manager
(`nb_ipywidgets_js`, vendored under `_static/vendor/`) to every page whose
notebook holds widget state, which every executed notebook with a live explorer
does, even when the explorer's output is removed from the page (`remove-output`).
The state then holds the live explorer's figures as PNGs, and the manager is 3.6 MB
of JavaScript: a reader would download both for nothing. This extension keeps them
only on pages whose body shows a widget view.
"""

from __future__ import annotations

WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _is_widget_script(script, widget_js: set[str]) -> bool:
    attributes = getattr(script, "attributes", None) or {}
    filename = getattr(script, "filename", script) or ""
    return attributes.get("type") == WIDGET_STATE or filename in widget_js


def drop_unused_widget_scripts(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not scripts or WIDGET_VIEW in context.get("body", ""):
        return
    widget_js = set(getattr(app.config, "nb_ipywidgets_js", None) or {})
    context["script_files"] = [s for s in scripts if not _is_widget_script(s, widget_js)]


def setup(app):
    # after myst-nb (default priority 500), which adds the scripts
    app.connect("html-page-context", drop_unused_widget_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
