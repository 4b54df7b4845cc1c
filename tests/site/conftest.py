"""Offline checks of the built HTML book in `_build/html` (run after `make book`)."""

import pytest
from booksite import HTML_DIR, built_pages, parse_page


@pytest.fixture(scope="session")
def pages():
    """Every built page, parsed once. The checks need a build: `make book` makes it."""
    if not (HTML_DIR / "index.html").exists():
        pytest.fail(f"no built book in {HTML_DIR}: run `make book` first", pytrace=False)
    return {p.relative_to(HTML_DIR).as_posix(): parse_page(p) for p in built_pages()}
