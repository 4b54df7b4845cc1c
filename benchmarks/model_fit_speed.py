"""How fast is the lagged multilevel model? Prints median and spread of fit times.

Target (issue 13): the default ``fit_lagged_model`` on the canonical study
(random intercept and random within-slope) in a median of at most 50 ms, with
the checks of the design's identification (issue 20) included.
For comparison, statsmodels' own ``MixedLM.fit`` on the same model frame with
its default optimiser and with ``method="lbfgs"``, and whether each reaches
the REML maximum (log-likelihood printed).
"""

import os
import statistics
import time
import warnings

from timing import machine

from book.datasets.canonical import load_study
from book.estimation.multilevel import fit_lagged_model
from book.estimation.riclpm import fit_riclpm


def timed(fn, repeats):
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return out, statistics.median(times), min(times), max(times)


def main():
    print(machine())
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    study = load_study()
    fit_lagged_model(study)  # warm-up: imports, first calls

    fit, med, lo, hi = timed(lambda: fit_lagged_model(study), repeats=50)
    print(
        f"fit_lagged_model(study) [fast REML, random intercept + slope]: "
        f"median {med * 1000:.1f} ms (min {lo * 1000:.1f}, max {hi * 1000:.1f}) over 50 runs; "
        f"loglike {fit.loglike:.4f}, converged {fit.converged}, singular {fit.singular}"
    )
    # CPU time of this process: less sensitive than wall time to other work on the machine
    cpu = []
    for _ in range(50):
        start = time.process_time()
        fit_lagged_model(study)
        cpu.append(time.process_time() - start)
    print(f"  CPU time: median {statistics.median(cpu) * 1000:.1f} ms (min {min(cpu) * 1000:.1f})")
    _, med, lo, hi = timed(lambda: fit_lagged_model(study, detrend=True), repeats=10)
    print(f"  detrended: median {med:.3f} s (min {lo:.3f}, max {hi:.3f}) over 10 runs")
    _, med, lo, hi = timed(
        lambda: fit_lagged_model(study, direction="symptoms_to_alliance"), repeats=10
    )
    print(f"  reverse direction: median {med:.3f} s (min {lo:.3f}, max {hi:.3f}) over 10 runs")

    model = fit.model
    for label, kwargs in [("default optimiser", {}), ('method="lbfgs"', {"method": "lbfgs"})]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res, med, lo, hi = timed(lambda kw=kwargs: model.fit(reml=True, **kw), repeats=3)
        print(
            f"statsmodels MixedLM.fit, {label}: median {med:.2f} s (min {lo:.2f}, max {hi:.2f}) "
            f"over 3 runs; loglike {res.llf:.4f}, converged {res.converged}"
        )
    _, med, lo, hi = timed(lambda: fit_riclpm(study), repeats=10)
    print(f"fit_riclpm(study) [semopy]: median {med:.3f} s (min {lo:.3f}, max {hi:.3f})")


if __name__ == "__main__":
    main()
