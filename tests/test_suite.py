"""The test suite's own settings: nothing in it may depend on luck or on the clock.

- Hypothesis draws the same examples on every run and has no deadline (tests/conftest.py);
- tests marked `slow` still run in `make test` (only `make unit-fast` leaves them out).
"""

import re

from booksite import ROOT
from hypothesis import settings


def test_property_tests_are_derandomized_and_have_no_deadline():
    current = settings()
    assert current.derandomize is True
    assert current.deadline is None


def test_make_test_runs_the_slow_tests_and_unit_fast_leaves_them_out():
    makefile = (ROOT / "Makefile").read_text()
    unit = re.search(r"^unit:.*\n((?:\t.*\n)+)", makefile, re.M).group(1)
    fast = re.search(r"^unit-fast:.*\n((?:\t.*\n)+)", makefile, re.M).group(1)
    assert "not slow" not in unit and "not slow" in fast
    assert re.search(r"^test:[^\n#]*\bunit\b", makefile, re.M)
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '"slow:' in pyproject and "--strict-markers" in pyproject
