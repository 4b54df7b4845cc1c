"""Fit the book's RI-CLPM and ML-SEM dynamic panel models in R's lavaan, for a test fixture.

The book fits both models by full-information maximum likelihood with its own
code (book.estimation.fiml). This script fits the same models, written by the
same functions (riclpm_description, dynamic_panel_description), to the same
simulated study in lavaan, the established SEM program, and stores lavaan's
estimates, so that tests/estimation/test_riclpm.py and test_dynamic_panel.py
compare the two without R.

Needs R with lavaan (Debian: ``apt-get install -y r-cran-lavaan``; not a
dependency of the book). Run from the repository root:

    .venv/bin/python scripts/lavaan_fixtures.py

It writes, in tests/estimation/fixtures/:

- ``lavaan_study.csv``: the study (``patient_id, session, alliance, bdi``), from
  ``simulate(seed=SEED)`` with the default parameters, so the fixture does not
  change when the simulator does;
- ``lavaan_estimates.csv``: every free parameter (``model, lhs, op, rhs, label,
  est, se``) and each observed variable's model-implied mean (``op = "mean"``);
  comment lines at the top record R's and lavaan's versions and the call;
- ``lavaan_fits.csv``: each model's log-likelihood and number of parameters.

The fixture committed was made with R 4.2.2 and lavaan 0.6-14 (Debian 12).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

from book.estimation.dynamic_panel import dynamic_panel_description
from book.estimation.riclpm import _wide, riclpm_description
from book.simulation.engine import simulate

#: The simulated study's seed (a design choice: not the canonical study, default parameters).
SEED = 11

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "estimation" / "fixtures"

#: The lavaan call, the same for every model: full-information ML, a free mean per
#: observed variable, exogenous variables modelled (not fixed), and nothing added.
CALL = (
    'lavaan(model, data = d, missing = "ml", meanstructure = TRUE, int.ov.free = TRUE, '
    "fixed.x = FALSE)"
)

R_PROGRAM = r"""
suppressPackageStartupMessages(library(lavaan))
args <- commandArgs(trailingOnly = TRUE)
folder <- args[1]
d <- read.csv(file.path(folder, "wide.csv"))
models <- strsplit(args[2], ",")[[1]]
est <- list(); fits <- list()
for (name in models) {
  model <- paste(readLines(file.path(folder, paste0(name, ".lav"))), collapse = "\n")
  fit <- CALL
  stopifnot(lavInspect(fit, "converged"))
  pt <- parTable(fit)
  pt <- pt[pt$free > 0, ]
  pe <- parameterEstimates(fit)
  pe <- merge(pt[, c("lhs", "op", "rhs")], pe, by = c("lhs", "op", "rhs"), sort = FALSE)
  implied <- lavInspect(fit, "implied")$mean
  means <- data.frame(lhs = names(implied), op = "mean", rhs = "", label = "",
                      est = as.numeric(implied), se = NA)
  est[[name]] <- cbind(model = name,
                       rbind(pe[, c("lhs", "op", "rhs", "label", "est", "se")], means))
  opts <- lavInspect(fit, "options")
  fits[[name]] <- data.frame(model = name, loglik = as.numeric(logLik(fit)),
                             npar = as.integer(fitMeasures(fit, "npar")),
                             ntotal = lavInspect(fit, "ntotal"),
                             information = opts$information[1])
}
write.csv(do.call(rbind, est), file.path(folder, "estimates.csv"), row.names = FALSE)
write.csv(do.call(rbind, fits), file.path(folder, "fits.csv"), row.names = FALSE)
cat(R.version.string, "\n", sep = "")
cat("lavaan ", as.character(packageVersion("lavaan")), "\n", sep = "")
"""


def main() -> None:
    study = simulate(seed=SEED)
    long = study.sessions[["patient_id", "session", "alliance", "bdi"]]
    n_waves = int(long["session"].max())
    wide = _wide(long.astype({"bdi": "float64"}), n_waves)
    syntax = {
        "riclpm": riclpm_description(n_waves),
        "dynamic_panel_alliance_to_symptoms": dynamic_panel_description(
            n_waves, "alliance_to_symptoms"
        ),
        "dynamic_panel_symptoms_to_alliance": dynamic_panel_description(
            n_waves, "symptoms_to_alliance"
        ),
    }
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        wide.to_csv(folder / "wide.csv", index=False, na_rep="NA", float_format="%.17g")
        for name, text in syntax.items():
            (folder / f"{name}.lav").write_text(text + "\n")
        program = R_PROGRAM.replace("CALL", CALL)
        (folder / "fit.R").write_text(program)
        run = subprocess.run(
            ["Rscript", str(folder / "fit.R"), str(folder), ",".join(syntax)],
            capture_output=True,
            text=True,
            check=False,
        )
        if run.returncode != 0:
            sys.exit(f"Rscript failed:\n{run.stderr}")
        r_version, lavaan_version = run.stdout.strip().splitlines()[-2:]
        estimates = pd.read_csv(folder / "estimates.csv", keep_default_na=False, na_values=["NA"])
        fits = pd.read_csv(folder / "fits.csv")
    FIXTURES.mkdir(parents=True, exist_ok=True)
    long.to_csv(FIXTURES / "lavaan_study.csv", index=False)
    header = (
        f"# made by scripts/lavaan_fixtures.py from simulate(seed={SEED}) with {r_version}, "
        f"{lavaan_version}\n# call for every model: {CALL}\n"
    )
    with open(FIXTURES / "lavaan_estimates.csv", "w") as out:
        out.write(header)
        estimates.to_csv(out, index=False, float_format="%.10g")
    with open(FIXTURES / "lavaan_fits.csv", "w") as out:
        out.write(header)
        fits.to_csv(out, index=False, float_format="%.10g")
    print(header, end="")
    print(fits.to_string(index=False))


if __name__ == "__main__":
    main()
