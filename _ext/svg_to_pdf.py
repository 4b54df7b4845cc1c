"""SVG figures in the PDF edition: converted to PDF with rsvg-convert (Debian's librsvg2-bin).

LaTeX cannot include SVG, and Sphinx's own converter (sphinx.ext.imgconverter) needs
ImageMagick, whose command line does not fit rsvg-convert's. `make pdf` installs
librsvg2-bin with the TeX packages (the Makefile's `tex` target).
"""

from __future__ import annotations

import shutil
import subprocess

from sphinx.transforms.post_transforms.images import ImageConverter


class RsvgConverter(ImageConverter):
    conversion_rules = [("image/svg+xml", "application/pdf")]

    def is_available(self) -> bool:
        return shutil.which("rsvg-convert") is not None

    def convert(self, _from: str, _to: str) -> bool:
        subprocess.run(["rsvg-convert", "--format=pdf", f"--output={_to}", _from], check=True)
        return True


def setup(app):
    app.add_post_transform(RsvgConverter)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
