"""Shared by every test directory.

`tests/` is on `sys.path` (pytest's default import mode puts a conftest's own
directory there), so the helpers in `tests/booksite.py` import as `booksite`
from `tests/site/` and `tests/browser/` too. Lines that tests keep with
`booksite.report` (timings, counts, the list of external links) are printed at
the end of the run. Hypothesis runs under one profile, `book`: derandomized and
without deadlines, so that no property test can flake.
"""

import shutil

from booksite import REPORT_DIR
from hypothesis import HealthCheck, settings

# Property-based tests draw the same examples on every run and never fail on time: a
# loaded machine (CI, or seven other jobs on two cores) must not turn a slow example
# into a failure, nor a new random draw into a new result.
settings.register_profile(
    "book",
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("book")


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
