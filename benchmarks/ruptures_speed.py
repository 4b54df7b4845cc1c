"""How fast are the rupture rules, the session-file reader and the session monitor?

Prints median times. Targets (issue 6): every rule on the canonical study, and a
detection curve of 11 thresholds, fast enough for a chapter (well under a
second); a clinic-sized file (100,000 rows) read and checked in a few seconds;
one monitor update quick enough to follow a slider (under half a second).
"""

import io

import numpy as np
from timing import machine, median_seconds

from book.datasets.canonical import load_study
from book.practice.ruptures import below_cutoff, below_own_mean, detection_curve, reliable_drop
from book.practice.session_file import read_sessions
from book.simulation.engine import simulate
from book.simulation.parameters import SimulationParameters


def show(label, fn, repeats):
    med, lo, hi = median_seconds(fn, repeats)
    spread = f"min {lo * 1000:.1f}, max {hi * 1000:.1f}"
    print(f"{label}: median {med * 1000:.1f} ms ({spread}) over {repeats} runs")


def main():
    print(machine())
    study = load_study()
    sessions, ruptures = study.sessions, study.truth.ruptures
    print(f"canonical study: {len(sessions)} sessions, {len(ruptures)} ruptures")
    for name, rule in (
        ("reliable_drop", reliable_drop),
        ("below_own_mean", below_own_mean),
        ("below_cutoff", below_cutoff),
    ):
        show(f"  {name} with reasons", lambda rule=rule: rule(sessions), 20)
        show(f"  {name} without reasons", lambda rule=rule: rule(sessions, explain=False), 20)
    show(
        "  detection curve, reliable drop, 11 thresholds",
        lambda: detection_curve(sessions, ruptures, "reliable-drop", np.arange(0.5, 3.01, 0.25)),
        5,
    )

    big = simulate(SimulationParameters(n_therapists=906, patients_per_therapist=100), seed=2)
    print(f"large study: {len(big.sessions):,} sessions")
    show("  reliable_drop without reasons", lambda: reliable_drop(big.sessions, explain=False), 3)
    show("  below_own_mean without reasons", lambda: below_own_mean(big.sessions, explain=False), 3)
    show("  reliable_drop with reasons", lambda: reliable_drop(big.sessions), 3)

    rows = sessions.head(100_000)
    n_copies = int(np.ceil(100_000 / len(rows)))
    lines = ["patient_id,session,score"]
    for copy in range(n_copies):
        for pid, session, score in zip(
            rows["patient_id"], rows["session"], rows["alliance"], strict=True
        ):
            lines.append(f"{copy}-{pid},{session},{'' if np.isnan(score) else round(score, 2)}")
    content = ("\n".join(lines[:100_001]) + "\n").encode()
    show(
        f"read_sessions, {len(lines[:100_001]) - 1:,} rows ({len(content) / 1e6:.1f} MB)",
        lambda: read_sessions(io.BytesIO(content)),
        3,
    )

    from book.widgets.session_monitor import SessionMonitor

    monitor = SessionMonitor()
    show("SessionMonitor.update (rule, figure, PNG)", monitor.update, 10)


if __name__ == "__main__":
    main()
