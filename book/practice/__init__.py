"""Practice: tools for a clinician's own session-by-session scores.

- :mod:`book.practice.scales` -- session questionnaires (alliance, BDI-II): range, SD, reliability
- :mod:`book.practice.ruptures` -- rupture rules using only earlier sessions, scored against truth
- :mod:`book.practice.session_file` -- reading a clinician's session file, accounting for every row
"""

from book.practice.ruptures import (
    RULES,
    below_cutoff,
    below_own_mean,
    compare_rules,
    detect,
    detection_curve,
    evaluate_alerts,
    match_ruptures,
    plot_alerts,
    reliable_change_threshold,
    reliable_drop,
)
from book.practice.scales import SCALES, Scale, get_scale
from book.practice.session_file import (
    EXAMPLE_SESSION_FILE,
    SessionFile,
    SessionFileError,
    read_sessions,
    scores_from_text,
)

__all__ = [
    "EXAMPLE_SESSION_FILE",
    "RULES",
    "SCALES",
    "Scale",
    "SessionFile",
    "SessionFileError",
    "below_cutoff",
    "below_own_mean",
    "compare_rules",
    "detect",
    "detection_curve",
    "evaluate_alerts",
    "get_scale",
    "match_ruptures",
    "plot_alerts",
    "read_sessions",
    "reliable_change_threshold",
    "reliable_drop",
    "scores_from_text",
]
