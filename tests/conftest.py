"""Shared by every test directory.

`tests/` is on `sys.path` (pytest's default import mode puts a conftest's own
directory there), so the helpers in `tests/booksite.py` import as `booksite`
from `tests/site/` and `tests/browser/` too. Lines that tests keep with
`booksite.report` (timings, counts, the list of external links) are printed at
the end of the run.
"""

import shutil

from booksite import REPORT_DIR


def pytest_sessionstart(session):
    if not hasattr(session.config, "workerinput"):  # the controller, not an xdist worker
        shutil.rmtree(REPORT_DIR, ignore_errors=True)


def pytest_terminal_summary(terminalreporter):
    if not REPORT_DIR.exists():
        return
    for path in sorted(REPORT_DIR.glob("*.txt")):
        terminalreporter.section(path.stem.replace("-", " "), sep="-")
        for line in path.read_text().splitlines():
            terminalreporter.write_line(line)
