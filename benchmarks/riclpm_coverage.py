"""Coverage of the RI-CLPM's intervals by sample size, and FIML against pairwise.

Not a speed measurement: the simulation behind
``book.estimation.riclpm.SMALL_SAMPLE_PATIENTS`` and the FIML-vs-pairwise
comparison of issue 14. Prints, for each condition, the bias of each lagged
effect with its Monte Carlo SE, the empirical SD of the estimates against
the mean reported SE, and the coverage of the 95% Wald intervals with its
Monte Carlo SE.

Conditions:

- *by sample size* (FIML): the RI-CLPM's own world (``world("riclpm")``: no
  individual symptom slopes, ruptures or effects that differ between
  patients; with the alliance without measurement error the model holds),
  16 to 240 patients, 12 sessions, the default missing sessions and dropout
  (completely at random);
- *FIML against pairwise*, 240 patients: the review's world with the
  observed WAI-SR (dropout completely at random); and the RI-CLPM's world
  (error-free alliance) with dropout at random given what was observed, the
  case FIML is for, twice: the simulator's mechanism (on the symptom change
  last reported, odds ratio 1.5 per BDI-II point), and a stronger one made
  here (after each session with a BDI-II of 30 or more the patient leaves
  with probability 0.35).

Run: ``.venv/bin/python benchmarks/riclpm_coverage.py [--reps 200] [--jobs 2]``
(about 20 minutes on 2 quiet cores with the defaults).
"""

import argparse

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from timing import machine

from book.estimation.riclpm import fit_riclpm
from book.montecarlo import RICLPM_TERMS, error_free_alliance
from book.simulation.engine import simulate, true_effects
from book.simulation.worlds import world

#: The simulator's dropout at random (on the symptom change last reported), made
#: stronger than in the "dropout_at_random" world so that its consequences show.
MAR = {"dropout_mechanism": "mar", "dropout_worsening_odds_ratio": 1.5, "dropout_hazard": 0.01}


def dropout_after_high_symptoms(sessions: pd.DataFrame, seed: int) -> pd.DataFrame:
    """A stronger dropout at random: after each session whose reported BDI-II is 30 or
    more the patient leaves with probability 0.35 (on the level, not the change)."""
    rng = np.random.default_rng(seed)
    d = sessions.sort_values(["patient_id", "session"])
    trigger = (d["bdi"] >= 30).fillna(False).to_numpy() & (rng.random(len(d)) < 0.35)
    left_before = d.assign(t=trigger).groupby("patient_id")["t"].cumsum() - trigger > 0
    return d[~left_before.to_numpy()]


def one_study(condition: str, n_therapists: int, seed: int, methods) -> list[dict]:
    name = {"review": "review"}.get(condition, "riclpm")
    params = world(name, n_therapists=n_therapists, **(MAR if "at random" in condition else {}))
    study = simulate(params, seed=seed)
    data = study.long() if condition == "review" else error_free_alliance(study)
    if condition == "riclpm, dropout after a high score":
        data = dropout_after_high_symptoms(data, seed)
    truth = true_effects(params)
    rows = []
    for missing in methods:
        try:
            fit = fit_riclpm(data, missing=missing)
            table = fit.estimates.set_index("term") if fit.converged else None
        except ValueError:  # not identified, or (pairwise) a matrix that is not PD
            table = None
        for term, key in RICLPM_TERMS.items():
            rows.append(
                {
                    "world": condition,
                    "patients": params.n_patients,
                    "missing": missing,
                    "term": term,
                    "truth": truth[key],
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
    both = ("fiml", "pairwise")
    tasks += [
        ("review", 30, both),
        ("riclpm, dropout at random", 30, both),
        ("riclpm, dropout after a high score", 30, both),
    ]
    jobs = [
        delayed(one_study)(condition, n_t, 10_000 * k + r, methods)
        for k, (condition, n_t, methods) in enumerate(tasks)
        for r in range(args.reps)
    ]
    rows = Parallel(n_jobs=args.jobs)(jobs)
    draws = pd.DataFrame([row for study in rows for row in study])
    with pd.option_context("display.width", 200, "display.max_rows", 200):
        print(summarize(draws).round(4).to_string())
    print(machine())


if __name__ == "__main__":
    main()
