"""How many Monte Carlo replications per second does the design runner do?

Prints replications per second, simulate + estimate, at the default study
size (240 patients x 12 sessions):

1. the runner (``replicate_designs``, the work behind ``run_design_study``)
   with the within estimator, and with the within and within x IIP
   estimators together, on 1 and 2 worker processes;
2. the CPU time per replication of the same, on one core, and what it implies
   for two idle cores, with where it goes (simulation, estimation, the rest),
   and the simulator's own parts (``simulate_arrays`` and its pieces, CPU time
   by function from ``cProfile`` on a process-time clock);
3. the same work done naively, one ``simulate`` and one ``fit_within`` per
   replication;
4. the one-fit-per-replication path: the book's multilevel model
   (``fit_lagged_model``, estimator ``"multilevel"``) per replication.

Target (issue 13): at least 2,000 replications per second at the default
design with the within and within x IIP estimators together on 2 workers.
Wall-clock rates depend on what else the machine is doing: the load average
is printed first, and each rate is the best of several runs. CPU time per
replication is much less sensitive to other work.

Usage: ``.venv/bin/python benchmarks/power_throughput.py [--quick]``
"""

import cProfile
import pstats
import sys
import time

from timing import machine

from book.estimation.within import fit_within, within_regression
from book.montecarlo.panels import simulate_panels
from book.montecarlo.runner import replicate_designs
from book.simulation import engine
from book.simulation.engine import simulate


def best_rate(fn, n, repeats):
    """Best and worst replications per second (wall clock) of ``repeats`` runs of ``fn``."""
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        rates.append(n / (time.perf_counter() - start))
    return max(rates), min(rates)


def cpu_ms_per_rep(fn, n, repeats):
    """Least CPU time of this process per replication, in ms, over ``repeats`` runs."""
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        fn()
        best = min(best, (time.process_time() - start) / n * 1000)
    return best


def simulator_parts(n_chunks, size=69):
    """CPU ms per replication of ``simulate_panels`` and of the engine's functions inside it.

    Profiled with a process-time clock (``cProfile``), so other processes on the
    machine count little; the profiler's own overhead is included, which is
    small for these few, long calls. Inclusive time (a function with what it
    calls), in the order of the call tree's cost.
    """
    simulate_panels(None, size, seed=0)  # warm-up
    profile = cProfile.Profile(time.process_time)
    profile.enable()
    for seed in range(1, n_chunks + 1):
        simulate_panels(None, size, seed=seed)
    profile.disable()
    stats = pstats.Stats(profile).stats
    reps = n_chunks * size
    parts = []
    for (filename, _, function), (_, _, _, inclusive, _) in stats.items():
        if (
            filename == engine.__file__
            and function.startswith("_")
            or function
            in (
                "simulate_panels",
                "simulate_arrays",
                "observed",
            )
        ):
            parts.append((function, inclusive / reps * 1000))
    return sorted((p for p in parts if p[1] >= 0.001), key=lambda p: -p[1])


def runner(n_reps, estimators, n_jobs):
    return lambda: replicate_designs(
        [{}], n_reps=n_reps, estimators=estimators, seed=1, n_jobs=n_jobs, progress=False
    )


def main(quick: bool = False):
    print(machine())
    n_fast = 1_000 if quick else 4_000
    repeats = 2 if quick else 3

    # warm-up: imports, worker start-up
    replicate_designs([{}], n_reps=200, estimators="within", seed=0, n_jobs=2, progress=False)

    print(f"\nvectorised runner, default design, {n_fast} replications (best, worst of {repeats}):")
    for estimators in (("within",), ("within", "within_iip")):
        name = " + ".join(estimators)
        for n_jobs in (1, 2):
            best, worst = best_rate(runner(n_fast, estimators, n_jobs), n_fast, repeats)
            print(f"  {name:20s} n_jobs={n_jobs}: {best:6.0f} replications/s (worst {worst:.0f})")
        cpu = cpu_ms_per_rep(runner(n_fast, estimators, 1), n_fast, repeats)
        print(
            f"  {name:20s} CPU time {cpu:.2f} ms per replication: {1000 / cpu:.0f} "
            f"replications/s per core, {2000 / cpu:.0f} on two idle cores"
        )

    # where the time goes, on one core
    panels = simulate_panels(None, 69, seed=1)
    sim = cpu_ms_per_rep(lambda: simulate_panels(None, 69, seed=2), 69, 10)
    est = cpu_ms_per_rep(lambda: within_regression(panels.bdi, panels.alliance), 69, 10)
    est_iip = cpu_ms_per_rep(
        lambda: within_regression(panels.bdi, panels.alliance, moderator=panels.iip), 69, 10
    )
    print(
        f"  of which: simulate {sim:.2f} ms, estimate within {est:.2f} ms and within x IIP "
        f"{est_iip:.2f} ms per replication"
    )

    print("  the simulator's parts, CPU ms per replication (chunks of 69 replications):")
    for name, ms in simulator_parts(n_chunks=5 if quick else 20):
        print(f"    {name:24s} {ms:.3f}")

    n_naive = 30 if quick else 100

    def naive():
        for r in range(n_naive):
            fit_within(simulate(seed=r).long())

    best, _ = best_rate(naive, n_naive, 1)
    print(f"\nnaive loop, simulate() then fit_within() per replication: {best:.0f} replications/s")

    n_slow = 12 if quick else 48
    for n_jobs in (1, 2):
        best, _ = best_rate(runner(n_slow, "multilevel", n_jobs), n_slow, 1)
        print(
            f"multilevel model (fit_lagged_model), one fit per replication, n_jobs={n_jobs}: "
            f"{best:.1f} replications/s"
        )


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
