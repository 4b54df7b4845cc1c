"""How fast does each explorer follow a slider? Prints the median and 95th percentile per explorer.

Target (issue 5): one update (re-simulate if needed, re-estimate, redraw, one
PNG) takes a median of at most 150 ms and a 95th percentile of at most 300 ms
at default settings on a 2-core machine. The session monitor, which a clinician
may use on every session, has a stricter median target of 100 ms (issue 20).

Every explorer is built at its defaults and driven headlessly as a reader would
drive it: each control in turn is set to 11 values through its whole range
(from its minimum to its maximum; a slider of choices, to each choice), then
back to its default; every setting
is one timed update, measured from setting the control's value to the new PNG
being in the widget (the control's observer runs ``update()`` synchronously).
The design explorer's grid is computed when it is built (the "build" column),
not on an update. No browser is involved: the time the frontend takes to show the PNG is not
included (the live test in ``tests/browser`` shows it is small).

Run: ``.venv/bin/python benchmarks/widget_latency.py`` (``--repeats 3`` sweeps
every control three times).
"""

import argparse
import os
import time

import matplotlib
import numpy as np
from timing import machine

from book.plots import set_style
from book.widgets.between_within import between_within_explorer
from book.widgets.design import design_explorer
from book.widgets.moderation import moderation_explorer
from book.widgets.nickell import nickell_explorer
from book.widgets.session_monitor import SessionMonitor
from book.widgets.study import study_explorer

TARGET_MEDIAN, TARGET_P95 = 0.150, 0.300
#: explorers with a stricter median target than TARGET_MEDIAN
MEDIAN_TARGETS = {"SessionMonitor threshold (ruptures)": 0.100}

EXPLORERS = {
    "study_explorer (simulated_study)": study_explorer,
    "between_within_explorer (trait_state)": between_within_explorer,
    "nickell_explorer (lagged_models)": nickell_explorer,
    "moderation_explorer (moderation)": moderation_explorer,
    "design_explorer (study_design)": design_explorer,
    "SessionMonitor threshold (ruptures)": SessionMonitor,
}


def sweep_values(control, n=11):
    """n values from the control's minimum to its maximum, on its step grid (or its choices)."""
    if hasattr(control, "options"):  # a SelectionSlider: every choice, in order
        return list(control.options)
    values = np.linspace(control.min, control.max, n)
    values = control.min + np.round((values - control.min) / control.step) * control.step
    values = np.clip(values, control.min, control.max)
    if isinstance(control.value, int):
        return [int(v) for v in values]
    return [float(v) for v in values]


def controls_of(explorer):
    if hasattr(explorer, "controls"):
        return explorer.controls
    return {"threshold": explorer.threshold}  # the session monitor's slider


def drive(explorer, repeats):
    """Time every setting of every control through its range; returns seconds."""
    times = []
    for _ in range(repeats):
        for control in controls_of(explorer).values():
            default = control.value
            for value in [*sweep_values(control), default]:
                if value == control.value:
                    continue  # no change, no update
                start = time.perf_counter()
                control.value = value
                times.append(time.perf_counter() - start)
    return np.array(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1, help="sweeps of every control")
    args = parser.parse_args()
    print(f"{machine()}; matplotlib {matplotlib.__version__}")
    set_style()  # as in a chapter
    stricter = "".join(f"; {n}: median <= {t * 1000:.0f} ms" for n, t in MEDIAN_TARGETS.items())
    print(
        f"target per update: median <= {TARGET_MEDIAN * 1000:.0f} ms, "
        f"95th percentile <= {TARGET_P95 * 1000:.0f} ms{stricter}\n"
    )
    columns = ("build", "updates", "median", "p95", "max")
    header = f"{'explorer (chapter)':<40} " + " ".join(f"{c:>8}" for c in columns)
    print(header)
    print("-" * len(header))
    failed = []
    for name, make in EXPLORERS.items():
        start = time.perf_counter()
        explorer = make()
        built = time.perf_counter() - start
        times = drive(explorer, args.repeats)
        median, p95 = float(np.median(times)), float(np.percentile(times, 95))
        ok = median <= MEDIAN_TARGETS.get(name, TARGET_MEDIAN) and p95 <= TARGET_P95
        if not ok:
            failed.append(name)
        print(
            f"{name:<40} {built * 1000:>6.0f}ms {len(times):>8d} {median * 1000:>6.1f}ms "
            f"{p95 * 1000:>6.1f}ms {times.max() * 1000:>6.1f}ms{'' if ok else '  (over target)'}"
        )
    print(f"\nload average at end: {os.getloadavg()[0]:.2f}")
    print("all explorers within target" if not failed else f"over target: {', '.join(failed)}")


if __name__ == "__main__":
    main()
