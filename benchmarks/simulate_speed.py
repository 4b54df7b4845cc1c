"""How fast is the simulator? Prints the median time of the default study and of a
study with at least one million attended-session rows.

Targets (issue "Foundation"): default study well under 0.1 s; one million
session rows in under 2 s. Also times the default study in the named worlds that
switch on the optional mechanisms (patients' own growth, BDI-II error, dropout at
random or not at random).
"""

from timing import machine, median_seconds

from book.simulation.engine import simulate
from book.simulation.parameters import SimulationParameters
from book.simulation.worlds import world


def main():
    print(machine())
    simulate(seed=0)  # warm-up: imports and first-call costs

    med, lo, hi = median_seconds(lambda: simulate(seed=1), repeats=50)
    study = simulate(seed=1)
    print(
        f"default study ({len(study.patients)} patients, {len(study.sessions)} session rows): "
        f"median {med * 1000:.1f} ms (min {lo * 1000:.1f}, max {hi * 1000:.1f}) over 50 runs"
    )

    # every optional mechanism on (dropout at random needs the observed history)
    for name in ("growth_causal", "noisy_symptoms", "dropout_at_random", "dropout_not_at_random"):
        params = world(name)
        med, lo, hi = median_seconds(lambda p=params: simulate(p, seed=1), repeats=50)
        print(
            f"default study, world {name!r}: median {med * 1000:.1f} ms "
            f"(min {lo * 1000:.1f}, max {hi * 1000:.1f}) over 50 runs"
        )

    # 12 planned sessions, ~92% attended: 90,600 patients give just over a million rows
    big = SimulationParameters(n_therapists=906, patients_per_therapist=100)
    rows = len(simulate(big, seed=2).sessions)
    med, lo, hi = median_seconds(lambda: simulate(big, seed=2), repeats=5)
    print(
        f"large study ({big.n_patients} patients, {rows:,} session rows): "
        f"median {med:.2f} s (min {lo:.2f}, max {hi:.2f}) over 5 runs; "
        f"{rows / med / 1e6:.2f} million rows per second"
    )


if __name__ == "__main__":
    main()
