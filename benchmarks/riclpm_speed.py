"""How fast is the RI-CLPM by full-information ML? Prints median and spread of fit times.

Target (issue 14): ``fit_riclpm(study)`` (FIML, the default) on the canonical
study in at most 0.5 s. For comparison: the same model by ML on the
pairwise-complete covariance matrix (``missing="pairwise"``), the book's
former fit (semopy on that matrix, L-BFGS-B, one thread), and the ML-SEM
dynamic panel model (both directions). CPU time of the process is printed
beside wall time: on a machine shared with other work, wall time grows with
the load, CPU time much less.
"""

import statistics
import time
import warnings

import numpy as np
from timing import machine

from book._threads import single_thread
from book.datasets.canonical import load_study
from book.estimation.dynamic_panel import fit_dynamic_panel
from book.estimation.riclpm import _wide, fit_riclpm, riclpm_description


def timed(fn, repeats):
    wall, cpu, out = [], [], None
    for _ in range(repeats):
        w, c = time.perf_counter(), time.process_time()
        out = fn()
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
    return out, statistics.median(wall), min(wall), max(wall), statistics.median(cpu)


def semopy_pairwise(study):
    """The book's former RI-CLPM fit: semopy, ML on the pairwise covariance matrix."""
    import semopy

    df = study.sessions
    sd_a, sd_s = float(df["alliance"].std()), float(df["bdi"].std())
    wide = _wide(df.astype({"bdi": "float64"}), 12)
    scaled = wide / np.where(wide.columns.str.startswith("A"), sd_a, sd_s)
    model = semopy.Model(riclpm_description(12))
    with warnings.catch_warnings(), single_thread():
        warnings.simplefilter("ignore")
        model.fit(cov=scaled.cov(), n_samples=len(wide), solver="L-BFGS-B")
        table = model.inspect()
    row = table[(table["lval"] == "wS2") & (table["rval"] == "wA1") & (table["op"] == "~")]
    return float(row["Estimate"].iloc[0]) * sd_s / sd_a


def report(label, result, repeats):
    value, med, lo, hi, cpu = result
    print(
        f"{label}: median {med:.3f} s (min {lo:.3f}, max {hi:.3f}) over {repeats} runs, "
        f"CPU {cpu:.3f} s; alliance -> symptoms {value:.4f}"
    )


def main():
    print(machine())
    study = load_study()
    fit_riclpm(study)  # warm-up: imports, first calls
    semopy_pairwise(study)
    report(
        "fit_riclpm(study) [FIML, default]",
        timed(lambda: fit_riclpm(study).coef("alliance_to_symptoms"), 20),
        20,
    )
    report(
        'fit_riclpm(study, missing="pairwise")',
        timed(lambda: fit_riclpm(study, missing="pairwise").coef("alliance_to_symptoms"), 20),
        20,
    )
    report("former fit (semopy, pairwise)", timed(lambda: semopy_pairwise(study), 20), 20)
    report(
        "fit_dynamic_panel(study) [ML-SEM, both directions]",
        timed(lambda: fit_dynamic_panel(study).coef("alliance_to_symptoms"), 5),
        5,
    )
    print(machine())


if __name__ == "__main__":
    main()
