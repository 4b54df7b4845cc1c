"""Practice: tools for a clinician's own session-by-session scores.

- :mod:`book.practice.scales` -- questionnaires (alliance, BDI-II, IIP-32): range, SD, reliability
- :mod:`book.practice.ruptures` -- rupture rules using only earlier sessions, scored against truth
- :mod:`book.practice.session_file` -- reading a clinician's session file and patient table,
  accounting for every row
- :mod:`book.practice.own_study` -- a reader's own study: the chapters' tables from a session
  file and a patient table (:func:`analyse_session_file`)
"""

from book.practice.own_study import (
    EXAMPLE_PATIENTS,
    EXAMPLE_SESSIONS,
    SessionFileAnalysis,
    analyse_session_file,
)
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
    PatientFile,
    SessionFile,
    SessionFileError,
    read_patients,
    read_sessions,
    scores_from_text,
)

__all__ = [
    "EXAMPLE_PATIENTS",
    "EXAMPLE_SESSIONS",
    "EXAMPLE_SESSION_FILE",
    "PatientFile",
    "RULES",
    "SCALES",
    "Scale",
    "SessionFile",
    "SessionFileAnalysis",
    "SessionFileError",
    "analyse_session_file",
    "below_cutoff",
    "below_own_mean",
    "compare_rules",
    "detect",
    "detection_curve",
    "evaluate_alerts",
    "get_scale",
    "match_ruptures",
    "plot_alerts",
    "read_patients",
    "read_sessions",
    "reliable_change_threshold",
    "reliable_drop",
    "scores_from_text",
]
