"""Coverage of the RI-CLPM's intervals by sample size, and FIML against pairwise.

Not a speed measurement: the simulation behind
``book.estimation.riclpm.SMALL_SAMPLE_PATIENTS`` and the FIML-vs-pairwise
comparison of issue 14. Prints, for each condition, the bias of each lagged
effect with its Monte Carlo SE, the empirical SD of the estimates against
the mean reported SE, and the coverage of the 95% Wald intervals with its
Monte Carlo SE.

Conditions:

- *by sample size* (FIML): the RI-CLPM's own world (the simulator without
  individual symptom slopes, ruptures and effects that differ between
  patients; the alliance without measurement error), 16 to 240 patients,
  12 sessions, the default missing sessions and dropout (completely at
  random);
- *FIML against pairwise*, 240 patients: the default world with the observed
  WAI-SR (dropout completely at random), and the RI-CLPM's world with
  dropout at random given the observed symptoms (after each session with a
  BDI-II of 30 or more the patient leaves with probability 0.35), the case
  FIML is for.

Run: ``.venv/bin/python benchmarks/riclpm_coverage.py [--reps 200] [--jobs 2]``
(about 20 minutes on 2 quiet cores with the defaults).
"""

import argparse

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from timing import machine

from book.estimation.riclpm import fit_riclpm
from book.montecarlo.compare import error_free_alliance
from book.simulation.engine import simulate, true_effects
from book.simulation.parameters import SimulationParameters

RICLPM_WORLD = {
    "alliance_to_symptoms_iip": 0.0,
    "alliance_to_symptoms_sd": 0.0,
    "symptom_slope_sd": 0.0,
    "rupture_rate": 0.0,
}
TERMS = ("alliance_ar", "symptoms_ar", "alliance_to_symptoms", "symptoms_to_alliance")


def dropout_after_high_symptoms(sessions: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Dropout at random given the observed history (as in tests/estimation/test_riclpm.py)."""
    rng = np.random.default_rng(seed)
    d = sessions.sort_values(["patient_id", "session"])
    trigger = (d["bdi"] >= 30).fillna(False).to_numpy() & (rng.random(len(d)) < 0.35)
    left_before = d.assign(t=trigger).groupby("patient_id")["t"].cumsum() - trigger > 0
    return d[~left_before.to_numpy()]


def one_study(world: str, n_therapists: int, seed: int, methods) -> list[dict]:
    params = SimulationParameters(
        n_therapists=n_therapists, **({} if world == "default" else RICLPM_WORLD)
    )
    study = simulate(params, seed=seed)
    data = study.long() if world == "default" else error_free_alliance(study)
    if world == "riclpm, dropout at random":
        data = dropout_after_high_symptoms(data, seed)
    truth = true_effects(params)
    rows = []
    for missing in methods:
        try:
            fit = fit_riclpm(data, missing=missing)
            table = fit.estimates.set_index("term") if fit.converged else None
        except ValueError:  # not identified, or (pairwise) a matrix that is not PD
            table = None
        for term in TERMS:
            rows.append(
                {
                    "world": world,
                    "patients": params.n_patients,
                    "missing": missing,
                    "term": term,
                    "truth": truth[term],
                    "estimate": np.nan if table is None else table.loc[term, "estimate"],
                    "std_error": np.nan if table is None else table.loc[term, "std_error"],
                }
            )
    return rows


def summarize(draws: pd.DataFrame) -> pd.DataFrame:
    def one(g):
        ok = g.dropna(subset=["estimate"])
        r = len(ok)
        covers = (abs(ok["estimate"] - ok["truth"]) <= 1.959964 * ok["std_error"]).mean()
        return pd.Series(
            {
                "studies": len(g),
                "fitted": r,
                "bias": ok["estimate"].mean() - g["truth"].iloc[0],
                "bias_mcse": ok["estimate"].std() / np.sqrt(r),
                "emp_sd": ok["estimate"].std(),
                "mean_se": ok["std_error"].mean(),
                "coverage": covers,
                "coverage_mcse": np.sqrt(covers * (1 - covers) / r),
            }
        )

    keys = ["world", "patients", "missing", "term"]
    return draws.groupby(keys, sort=False)[list(draws.columns)].apply(one)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=200, help="studies per condition")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes")
    args = parser.parse_args()
    print(machine())
    tasks = [("riclpm", t, ("fiml",)) for t in (2, 3, 6, 12, 30)]
    tasks += [
        ("default", 30, ("fiml", "pairwise")),
        ("riclpm, dropout at random", 30, ("fiml", "pairwise")),
    ]
    jobs = [
        delayed(one_study)(world, n_t, 10_000 * k + r, methods)
        for k, (world, n_t, methods) in enumerate(tasks)
        for r in range(args.reps)
    ]
    rows = Parallel(n_jobs=args.jobs)(jobs)
    draws = pd.DataFrame([row for study in rows for row in study])
    with pd.option_context("display.width", 200, "display.max_rows", 200):
        print(summarize(draws).round(4).to_string())
    print(machine())


if __name__ == "__main__":
    main()
