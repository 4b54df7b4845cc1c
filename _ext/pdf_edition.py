"""The PDF edition (`make pdf`, Sphinx's LaTeX builder): what differs from the HTML book.

- **Chapters only.** The landing page's sections would become chapters 1 to 4, and
  every chapter's number, with its figures' and equations', would differ from the
  HTML book's; its title makes the title page. jupyter-book 1.0.4 drops the
  `toctree_only` of `_config.yml` (it copies only as many fields as Sphinx's default
  tuple has), so it is set here, once jupyter-book has set `latex_documents`.
- **HTML-only cells left out.** A cell tagged `html-only` (an explorer's static view,
  book.widgets.explorer.static_view, whose controls need a browser) is dropped; the
  chapter's static figure of the same explorer is in the PDF.
- **SVG figures** are converted to PDF with rsvg-convert (Debian's librsvg2-bin, which
  `make tex` installs): LaTeX cannot include SVG, and Sphinx's own converter
  (sphinx.ext.imgconverter) needs ImageMagick, whose command line rsvg-convert's
  does not fit.
"""

from __future__ import annotations

import shutil
import subprocess

from docutils import nodes
from sphinx.transforms.post_transforms.images import ImageConverter

HTML_ONLY = "tag_html-only"  # myst-nb gives a cell's container a class per tag


def chapters_only(app, env, docnames) -> None:
    if app.builder.name == "latex":
        app.config.latex_documents = [(*doc[:5], True) for doc in app.config.latex_documents]


def drop_html_only_cells(app, doctree, docname) -> None:
    if app.builder.format == "html":
        return
    for node in list(doctree.findall(nodes.container)):
        if HTML_ONLY in node.get("classes", []) and node.parent is not None:
            node.parent.remove(node)


class RsvgConverter(ImageConverter):
    conversion_rules = [("image/svg+xml", "application/pdf")]

    def is_available(self) -> bool:
        return shutil.which("rsvg-convert") is not None

    def convert(self, _from: str, _to: str) -> bool:
        subprocess.run(["rsvg-convert", "--format=pdf", f"--output={_to}", _from], check=True)
        return True


def setup(app):
    app.connect("env-before-read-docs", chapters_only)
    app.connect("doctree-resolved", drop_html_only_cells)
    app.add_post_transform(RsvgConverter)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
