"""Cells tagged `html-only` are left out of every edition but the HTML book.

An explorer's static view (book.widgets.explorer.static_view) is made for a web page:
its controls need a browser. The PDF shows the chapter's static figure of the same
explorer instead, so the view's cell is dropped from the LaTeX build.
"""

from __future__ import annotations

from docutils import nodes

TAG = "tag_html-only"  # myst-nb gives a cell's container a class per tag


def drop_html_only_cells(app, doctree, docname) -> None:
    if app.builder.format == "html":
        return
    for node in list(doctree.findall(nodes.container)):
        if TAG in node.get("classes", []) and node.parent is not None:
            node.parent.remove(node)


def setup(app):
    app.connect("doctree-resolved", drop_html_only_cells)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
