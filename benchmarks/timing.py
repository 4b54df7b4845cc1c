"""What every benchmark script shares: the machine it ran on, and a timing loop."""

import os
import platform
import statistics
import time


def machine() -> str:
    """One line naming the machine, the Python and the load when the script ran."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {platform.platform()}; load average {load}"
    )


def median_seconds(fn, repeats: int):
    """Call ``fn`` ``repeats`` times; return the median, min and max wall time in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times), max(times)
