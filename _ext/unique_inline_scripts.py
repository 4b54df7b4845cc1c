"""Write each inline <script> of a page once.

sphinx-thebe 0.3.1 (loaded by every jupyter-book 1.x build) registers its inline
configuration, `const THEBE_JS_URL = ...`, in a way that Sphinx 7.4 puts on every
page twice. The second copy is a JavaScript SyntaxError on every page
("Identifier 'THEBE_JS_URL' has already been declared"), found by the browser test
in tests/browser/. This extension drops repeated copies of the same script; remove
it when sphinx-thebe no longer repeats its script (the browser test will tell).
"""

from __future__ import annotations


def _key(script) -> tuple:
    # the two copies differ only in filename: None in one, "" in the other
    attributes = getattr(script, "attributes", None) or {}
    return (getattr(script, "filename", script) or "", *sorted(attributes.items()))


def drop_repeated_scripts(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen: set[tuple] = set()
    unique = []
    for script in scripts:
        key = _key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def setup(app):
    # after the themes' handlers (default priority 500), which may add scripts
    app.connect("html-page-context", drop_repeated_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
