# The book's two commands are `make book` and `make test`; see README.md.
# Every target first makes sure .venv matches what it needs: requirements.txt (what a
# reader needs: `make lab`), plus requirements-dev.txt (build and test tools: the rest).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
READER_STAMP := $(VENV)/.installed-from-requirements
STAMP  := $(VENV)/.installed-from-requirements-dev
JB_FLAGS := -n -W --keep-going

# Determinism: the same hash seed and no user-level Jupyter/IPython settings.
export PYTHONHASHSEED := 0
export PYDEVD_DISABLE_FILE_VALIDATION := 1

CHAPTERS := $(sort $(wildcard chapters/*.ipynb))

# Debian's Chromium drives the browser tests (never a browser Playwright downloads)
CHROMIUM ?= /usr/bin/chromium
export CHROMIUM

.PHONY: help venv chromium tex book book-student student-data test lint unit nbval build-strict \
	site browser binder-check lab docs chapter-tags unit-fast data results real-data notebooks \
	requirements vendor pdf clean distclean self-checks assignments grade

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

# --- environment -------------------------------------------------------------
venv: $(STAMP)  ## create .venv from requirements.txt and requirements-dev.txt (again, if they changed)

# (Not --no-compile: it halves the CPU time of the install, but every first import then
# compiles, and two nbval kernels starting at once on a loaded machine timed out.)
PIP_FLAGS := --quiet --disable-pip-version-check

# The reader's environment: a new .venv whenever requirements.txt changes.
$(READER_STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed, found " + sys.version.split()[0] + "; run make PYTHON=/path/to/python3.11")'
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install $(PIP_FLAGS) -r requirements.txt
	touch $@

# The developer's: the build and test tools on top (a package in both files has one pin).
$(STAMP): $(READER_STAMP) requirements-dev.txt
	$(BIN)/python -m pip install $(PIP_FLAGS) -r requirements-dev.txt
	touch $@

chromium:  ## make sure Debian's chromium is installed (apt-get, as root) for the browser tests
	@if [ -x "$(CHROMIUM)" ]; then \
	  echo "chromium: $(CHROMIUM)"; \
	elif [ "$(CHROMIUM)" = /usr/bin/chromium ] && command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	  echo "installing Debian's chromium (apt-get install -y chromium)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  test -x /usr/bin/chromium; \
	else \
	  echo "The browser tests need Chromium at $(CHROMIUM), and it is missing."; \
	  echo "On Debian, as root: apt-get install -y chromium. Elsewhere, install Chromium"; \
	  echo "and run make CHROMIUM=/path/to/chromium test. (Never playwright install.)"; \
	  exit 1; \
	fi

# Debian's TeX for the PDF edition (`make pdf`): XeLaTeX, the LaTeX packages Sphinx uses,
# the GNU FreeFont it typesets with, rsvg-convert for SVG figures, pdftotext for the checks
TEX_PACKAGES := latexmk texlive-xetex texlive-latex-recommended texlive-latex-extra \
	texlive-fonts-recommended texlive-plain-generic lmodern fonts-freefont-otf \
	librsvg2-bin poppler-utils

tex:  ## make sure Debian's TeX packages for the PDF are installed (apt-get, as root)
	@missing=$$(dpkg-query -W -f='$${db:Status-Abbrev} $${Package}\n' $(TEX_PACKAGES) 2>/dev/null \
	  | awk '$$1 != "ii" {print $$2}'; for p in $(TEX_PACKAGES); do \
	  dpkg-query -W $$p >/dev/null 2>&1 || echo $$p; done | sort -u); \
	if [ -z "$$missing" ] && command -v xelatex >/dev/null; then \
	  echo "tex: xelatex $$(command -v xelatex)"; \
	elif command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	  echo "installing Debian's TeX packages: $$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends $(TEX_PACKAGES) >/dev/null; \
	else \
	  echo "The PDF needs XeLaTeX and these Debian packages: $(TEX_PACKAGES)."; \
	  echo "On Debian, as root: apt-get install -y --no-install-recommends $(TEX_PACKAGES)"; \
	  exit 1; \
	fi

# --- the two commands ----------------------------------------------------------
book: $(STAMP)  ## build the HTML book into _build/html, strictly (no warnings allowed)
	rm -rf _build/.doctrees _build/html
	$(BIN)/jupyter-book build . $(JB_FLAGS)
	@echo "The book is in _build/html/index.html"

# Its pages have no Binder, Live Code or repository buttons, unless STUDENT_REPOSITORY
# names a repository that holds _build/student-src (see instructors.md).
book-student: $(STAMP)  ## build the student edition (no solutions) into _build/student/_build/html
	rm -rf _build/student-src _build/student
	$(BIN)/python -m tools.editions student . _build/student-src \
	  $(if $(STUDENT_REPOSITORY),--repository "$(STUDENT_REPOSITORY)" --branch "$(or $(STUDENT_BRANCH),main)")
	$(BIN)/jupyter-book build _build/student-src --path-output _build/student $(JB_FLAGS)
	@echo "The student edition is in _build/student/_build/html/index.html"

pdf: $(STAMP) tex  ## the PDF edition, _build/latex/book.pdf (from the stored outputs), and its checks
	rm -rf _build/latex _build/pdf-config
	$(BIN)/python -m tools.pdf _build/pdf-config  # execution off: the stored outputs
	@start=$$(date +%s); \
	$(BIN)/jupyter-book build . --builder pdflatex --config _build/pdf-config/_config.yml $(JB_FLAGS); \
	echo "the PDF took $$(( $$(date +%s) - start )) s"
	$(BIN)/python -m pytest tests/pdf -q -p no:randomly
	@# the landing page links to it: into the HTML book, if built
	if [ -d _build/html ]; then cp _build/latex/book.pdf _build/html/book.pdf; fi
	@echo "The PDF edition is _build/latex/book.pdf"

student-data: $(STAMP)  ## a dataset and answer key per student: make student-data ROSTER=roster.csv OUT=handouts [OVERWRITE=1]
	@test -n "$(ROSTER)" || { echo "usage: make student-data ROSTER=roster.csv [OUT=handouts] [COURSE_SEED=0] [OVERWRITE=1]"; exit 2; }
	$(BIN)/python -m tools.classroom "$(ROSTER)" --out "$(or $(OUT),handouts)" --course-seed "$(or $(COURSE_SEED),0)" $(if $(filter 1 yes true,$(OVERWRITE)),--overwrite)

# Instructor-only output: hand out OUT/student/, keep OUT/instructor/ (see instructors.md).
assignments: $(STAMP)  ## autograded assignments per week (otter-grader): make assignments [OUT=_build/assignments] [OVERWRITE=1]
	$(BIN)/python -m tools.assignments make --out "$(or $(OUT),_build/assignments)" $(if $(filter 1 yes true,$(OVERWRITE)),--overwrite)

grade: $(STAMP)  ## grade a week with otter, no containers: make grade WEEK=1 SUBMISSIONS=dir HANDOUTS=handouts OUT=scores.csv
	@test -n "$(WEEK)" -a -n "$(SUBMISSIONS)" -a -n "$(HANDOUTS)" -a -n "$(OUT)" || { echo "usage: make grade WEEK=1 SUBMISSIONS=submitted/week-1 HANDOUTS=handouts OUT=scores-week-1.csv [ASSIGNMENTS=_build/assignments] [OVERWRITE=1]"; exit 2; }
	$(BIN)/python -m tools.assignments grade --week "$(WEEK)" --submissions "$(SUBMISSIONS)" \
	  --handouts "$(HANDOUTS)" --assignments "$(or $(ASSIGNMENTS),_build/assignments)" --out "$(OUT)" \
	  $(if $(filter 1 yes true,$(OVERWRITE)),--overwrite)

self-checks: $(STAMP)  ## rewrite the canonical data's self-check file (after make data)
	$(BIN)/python -m tools.answers canonical

test: lint unit nbval build-strict book-student pdf site browser  ## run every check (CONTRIBUTING.md says what each step does)
	@echo "make test: all checks passed"

# --- the checks ------------------------------------------------------------------
lint: $(STAMP)  ## ruff over the package, tests, benchmarks and notebooks
	$(BIN)/ruff check .
	$(BIN)/ruff format --check book tools tests benchmarks

UNIT := $(BIN)/python -m pytest tests book tools --doctest-modules -n 2 \
	  --ignore=tests/site --ignore=tests/browser --ignore=tests/pdf
unit: $(STAMP)  ## unit tests (incl. data determinism and hashes) and the package's doctests
	$(UNIT)

unit-fast: $(STAMP)  ## the unit tests without those marked slow (while you work; make test runs all)
	$(UNIT) -m "not slow"

# A kernel gets 5 minutes to start (nbval's default, 60 s, failed on a loaded machine).
nbval: $(STAMP)  ## re-run every chapter and compare with its stored outputs
	$(BIN)/python -m pytest --nbval --nbval-current-env \
	  --nbval-sanitize-with tests/nbval_sanitize.cfg -p no:randomly \
	  --nbval-kernel-startup-timeout=300 -n 2 --dist loadscope $(CHAPTERS)

build-strict: book  ## the strict book build (same as make book)

# The next two need the built book: `make test` runs them after the builds.
site: $(STAMP)  ## offline checks of the built HTML: links, anchors, alt text, headings, both editions
	@test -f _build/html/index.html || { echo "no built book: run make book first"; exit 1; }
	@test -f _build/student/_build/html/index.html || { echo "no student edition: run make book-student first"; exit 1; }
	@start=$$(date +%s); \
	$(BIN)/python -m pytest tests/site -q; \
	echo "site checks took $$(( $$(date +%s) - start )) s"

browser: $(STAMP) chromium  ## the built book and live JupyterLab in Debian's Chromium (screenshots in _build/screenshots)
	@test -f _build/html/index.html || { echo "no built book: run make book first"; exit 1; }
	@start=$$(date +%s); \
	$(BIN)/python -m pytest tests/browser -q -n 2 --dist loadfile; \
	echo "browser tests took $$(( $$(date +%s) - start )) s"

binder-check:  ## as Binder would: a fresh clone, a new venv from requirements.txt alone, every chapter run (slow; needs the package index)
	PYTHON=$(PYTHON) bash scripts/binder_check.sh

# --- working on the book ----------------------------------------------------------------
docs:  ## rewrite CONTRIBUTING.md's generated sections: the package map (from the docstrings), the Make targets
	$(PYTHON) scripts/generated_docs.py

chapter-tags:  ## collapse (hide-input), not remove, every chapter cell the page's visible code needs (tags only)
	$(PYTHON) scripts/chapter_tags.py

lab: $(READER_STAMP)  ## JupyterLab in the reader's environment (requirements.txt)
	$(BIN)/jupyter lab

data: $(STAMP)  ## regenerate data/ from the simulator (the canonical seed), and its self-check file
	$(BIN)/python -m book.datasets data
	$(BIN)/python -m tools.answers canonical

# Every Monte Carlo table the chapters and explorers quote (slow: see data/results/README.md);
# TABLES="power nickell" recomputes some, SCALE=0.2 a fifth of the replications, SLOW_SCALE=0.1
# a tenth of those fitted one study at a time (both recorded in data/results/datapackage.json).
# The chapters read data/results/, never recompute it.
results: $(STAMP)  ## recompute data/results/, the Monte Carlo tables the book quotes (slow; TABLES=..., SCALE=...)
	$(BIN)/python -c 'import sys; from book.montecarlo.store import main; main(sys.argv[1:])' $(if $(TABLES),--tables $(TABLES)) $(if $(SCALE),--scale $(SCALE)) $(if $(SLOW_SCALE),--slow-scale $(SLOW_SCALE))

real-data: $(STAMP)  ## extract data/real/ once more from Debian's R packages (needs Rscript; see tools/real_data.py)
	$(BIN)/python -m tools.real_data data/real

notebooks: $(STAMP)  ## re-execute every chapter in place in a fresh kernel (refresh stored outputs)
	for nb in $(CHAPTERS); do \
	  echo "executing $$nb"; \
	  $(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	    --ExecutePreprocessor.timeout=600 \
	    --ExecutePreprocessor.store_widget_state=False "$$nb"; \
	done

# pip cannot take requirements.txt itself as constraints (its `-e .` has no name).
PIP_COMPILE := $(BIN)/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links
requirements: $(STAMP)  ## re-pin requirements.txt and requirements-dev.txt from their .in files (needs the package index)
	$(PIP_COMPILE) --output-file requirements.txt requirements.in
	mkdir -p _build && grep -v '^-e ' requirements.txt > _build/reader-pins.txt
	$(PIP_COMPILE) --constraint _build/reader-pins.txt --output-file requirements-dev.txt requirements-dev.in

vendor:  ## refresh _static/vendor and tests/browser/vendor from the pinned npm packages (needs npm and the network)
	$(PYTHON) -m tools.vendor

clean:  ## remove the built book and caches (keeps .venv)
	rm -rf _build .pytest_cache .hypothesis .ruff_cache tests/browser/.ipynb_checkpoints
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +

distclean: clean  ## also remove .venv
	rm -rf $(VENV)
