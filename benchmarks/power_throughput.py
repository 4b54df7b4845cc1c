"""How many Monte Carlo replications per second does the design runner do?

Prints replications per second, simulate + estimate, at the default study
size (240 patients x 12 sessions):

1. the vectorised runner (``run_design_study``) with the within estimator,
   and with the within and within x IIP estimators together, on 1 and 2
   worker processes;
2. the same work done naively, one ``simulate`` and one ``fit_within`` per
   replication;
3. the slow, faithful path: one statsmodels MixedLM fit per replication.

Target (issue "Designing a study"): at least 1,000 replications per second on
a 2-core machine with the vectorised runner; a loop of MixedLM fits does about
3 per second. Timings depend on what else the machine is doing: the load
average is printed first, and each figure is the best of several runs.

Usage: ``.venv/bin/python benchmarks/power_throughput.py [--quick]``
"""

import os
import platform
import sys
import time

from book.fixed_effects import fit_within
from book.power import replicate_designs, simulate_panels
from book.simulate import simulate


def best_rate(fn, n, repeats):
    """Best replications per second of ``repeats`` runs of ``fn`` doing ``n`` replications."""
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        rates.append(n / (time.perf_counter() - start))
    return max(rates), min(rates)


def main(quick: bool = False):
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {platform.platform()}; load average {load}"
    )
    n_fast = 2_000 if quick else 6_000
    repeats = 2 if quick else 3

    # warm-up: imports, worker start-up
    replicate_designs([{}], n_reps=200, estimators="within", seed=0, n_jobs=2)

    print(f"\nvectorised runner, default design, {n_fast} replications (best, worst of {repeats}):")
    for estimators in (("within",), ("within", "within_iip")):
        for n_jobs in (1, 2):

            def run(estimators=estimators, n_jobs=n_jobs):
                replicate_designs([{}], n_reps=n_fast, estimators=estimators, seed=1, n_jobs=n_jobs)

            best, worst = best_rate(run, n_fast, repeats)
            print(
                f"  {' + '.join(estimators):20s} n_jobs={n_jobs}: "
                f"{best:7.0f} replications/s (worst {worst:.0f})"
            )

    # where the time goes, on one core
    panels = simulate_panels(None, 69, seed=1)
    sim, _ = best_rate(lambda: simulate_panels(None, 69, seed=2), 69, 5)
    from book.fixed_effects import within_regression

    est, _ = best_rate(lambda: within_regression(panels.bdi, panels.alliance), 69, 5)
    print(
        f"  of which, on one core: simulate {1000 / sim:.2f} ms, "
        f"estimate (within) {1000 / est:.2f} ms per replication"
    )

    n_naive = 50 if quick else 200

    def naive():
        for r in range(n_naive):
            fit_within(simulate(seed=r).long())

    best, _ = best_rate(naive, n_naive, 1)
    print(f"\nnaive loop, simulate() then fit_within() per replication: {best:.0f} replications/s")

    n_slow = 6 if quick else 20
    for n_jobs in (1, 2):
        best, _ = best_rate(
            lambda n_jobs=n_jobs: replicate_designs(
                [{}], n_reps=n_slow, estimators="mixedlm", seed=3, n_jobs=n_jobs
            ),
            n_slow,
            1,
        )
        print(f"MixedLM, one fit per replication, n_jobs={n_jobs}: {best:.1f} replications/s")


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
