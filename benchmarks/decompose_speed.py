"""How fast is the between/within decomposition? Prints median times of ``icc``,
``within_correlation``, ``person_mean_center`` (with and without detrending) and
``person_trends`` on the canonical-size study and on about a million session rows.

Target (issue 3): every function well under 0.1 s on the canonical study, so a
chapter can call them inside a small Monte Carlo loop, and under 2 s on a million
rows (everything is vectorised with pandas group-bys; no Python loop over patients).
"""

from timing import machine, median_seconds

from book.estimation.decomposition import icc, person_mean_center, person_trends, within_correlation
from book.simulation.engine import simulate
from book.simulation.parameters import SimulationParameters


def calls(sessions):
    return {
        "icc": lambda: icc(sessions, "alliance"),
        "within_correlation": lambda: within_correlation(sessions, "alliance", "bdi"),
        "person_mean_center": lambda: person_mean_center(sessions, ["alliance", "bdi"]),
        "person_mean_center(detrend=True)": lambda: person_mean_center(
            sessions, ["alliance", "bdi"], detrend=True
        ),
        "person_trends": lambda: person_trends(sessions, "bdi"),
    }


def report(label, sessions, repeats):
    print(f"{label}: {len(sessions):,} session rows, {sessions['patient_id'].nunique():,} patients")
    for name, fn in calls(sessions).items():
        fn()  # warm-up
        med, lo, hi = median_seconds(fn, repeats)
        print(
            f"  {name:34s} median {med * 1000:8.1f} ms "
            f"(min {lo * 1000:.1f}, max {hi * 1000:.1f}) over {repeats} runs"
        )


def main():
    print(machine())
    small = simulate(seed=1).sessions
    small = small.assign(bdi=small["bdi"].astype("float64"))
    report("canonical-size study", small, repeats=30)

    big = SimulationParameters(n_therapists=906, patients_per_therapist=100)
    large = simulate(big, seed=2).sessions
    large = large.assign(bdi=large["bdi"].astype("float64"))
    report("large study", large, repeats=3)


if __name__ == "__main__":
    main()
