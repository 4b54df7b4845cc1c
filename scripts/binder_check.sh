#!/usr/bin/env bash
# The Binder check, run by `make binder-check`: build the reader's environment the
# way mybinder.org does, from requirements.txt and runtime.txt alone, and execute
# every chapter notebook listed in _toc.yml in it.
#
# - a fresh clone: only committed files, as Binder gets them from the repository;
# - a new virtual environment with the Python that runtime.txt names, and
#   `pip install -r requirements.txt` and nothing else (repo2docker's Python build
#   pack does the same into the one environment that runs JupyterLab and the kernel);
#   none of the developer's tools (requirements-dev.txt) may be in it;
# - a fresh HOME, Jupyter and matplotlib configuration, so nothing on this machine
#   helps the notebooks;
# - each notebook run top to bottom by nbclient in its own folder (as JupyterLab
#   runs it), timed; any error fails the check.
#
# It needs the package index (to install), so it is not part of `make test`; the
# pull-request workflow runs it. Docker is not needed (nor used): repo2docker itself
# needs a Docker engine, which this machine does not have.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-python3}
want=$(sed -n 's/^python-\([0-9]*\.[0-9]*\).*/\1/p' "$repo/runtime.txt")
have=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
if [ "$have" != "$want" ]; then
  echo "runtime.txt asks Binder for Python $want, but $python is Python $have;"
  echo "run make binder-check PYTHON=python$want"
  exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/binder-check.XXXXXX")
trap 'rm -rf "$work"' EXIT
if [ -n "$(git -C "$repo" status --porcelain --untracked-files=no)" ]; then
  echo "note: uncommitted changes are not checked: Binder sees commits only"
fi
git clone --quiet --no-local "$repo" "$work/repo"
cd "$work/repo"
echo "binder-check: $(git log -1 --format='%h %s') on Python $have"

start=$(date +%s)
"$python" -m venv "$work/env"
"$work/env/bin/python" -m pip install --quiet --no-cache-dir --disable-pip-version-check \
  -r requirements.txt 2> >(grep -v "^WARNING: Location .* is ignored" >&2)
echo "binder-check: environment from requirements.txt in $(( $(date +%s) - start )) s"

# The reader's environment holds no test or build tool (those are requirements-dev.txt's):
# the chapters below then run without them, as on Binder.
"$work/env/bin/python" - <<'PY'
import importlib.metadata as md
import sys

tools = ["pytest", "hypothesis", "nbval", "ruff", "playwright", "pip-tools", "jupyter-book"]
present = []
for name in tools:
    try:
        present.append(f"{name}=={md.version(name)}")
    except md.PackageNotFoundError:
        pass
count = len(list(md.distributions()))
if present:
    sys.exit(f"binder-check: requirements.txt installs test or build tools: {present}")
print(f"binder-check: {count} distributions, none of {', '.join(tools)}")
PY

mkdir -p "$work/home"
env -i PATH="$work/env/bin:/usr/bin:/bin" HOME="$work/home" LANG=C.UTF-8 \
  MPLCONFIGDIR="$work/home/mpl" JUPYTER_CONFIG_DIR="$work/home/jupyter" \
  "$work/env/bin/python" - <<'PY'
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

sys.path.insert(0, "tests")
from booksite import toc_notebooks  # noqa: E402  (the chapters listed in _toc.yml)

failed = []
for path in toc_notebooks():
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    try:
        NotebookClient(
            nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
        ).execute()
        status = "ok"
    except Exception as error:  # report every chapter, then fail
        failed.append(path.name)
        status = f"FAILED: {type(error).__name__}: {str(error).strip().splitlines()[-1][:300]}"
    print(f"binder-check: {path.relative_to(Path.cwd())} {time.perf_counter() - start:.1f} s {status}")
sys.exit(f"binder-check: {len(failed)} chapter(s) failed: {failed}" if failed else 0)
PY
echo "binder-check: every chapter ran in the Binder environment ($(( $(date +%s) - start )) s in all)"
