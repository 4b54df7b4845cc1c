"""Where `make test` spends its time: each step timed, and the slowest tests listed.

Runs the steps of `make test` one by one (the prerequisites of the `test` target,
read from the Makefile, in order), each as its own `make STEP`, and prints the wall
time of each with the load average before it started. pytest's own timings of the
slowest tests (`--durations`, through PYTEST_ADDOPTS) are collected from every step
that runs pytest and printed at the end.

    .venv/bin/python benchmarks/make_test_time.py              # in this checkout
    python3 benchmarks/make_test_time.py --fresh [--ref main]  # a fresh clone, .venv included
    python3 benchmarks/make_test_time.py --steps unit nbval    # some steps only

With ``--fresh`` the committed tree is cloned into a temporary folder, and the time
to create its `.venv` (`make venv`) is the first step: what a fresh clone costs.
Each step's output goes to ``_build/test-timing/<step>.log`` of the tree timed
(the clone's is removed with it, unless ``--keep``). Exits non-zero if a step fails.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from timing import machine

ROOT = Path(__file__).resolve().parents[1]
_DURATION = re.compile(r"^\s*(\d+\.\d+)s\s+(call|setup|teardown)\s+(\S.*)$")


def test_steps(makefile: Path) -> list[str]:
    """The prerequisites of the `test` target, in the order make runs them."""
    match = re.search(r"^test:([^#\n]*)", makefile.read_text(), re.M)
    if not match:
        raise SystemExit(f"{makefile}: no `test:` target")
    return match.group(1).split()


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_step(tree: Path, step: str, log_dir: Path):
    """`make STEP` in ``tree``: its wall and CPU seconds, exit code and slowest tests.

    CPU seconds (user + system, of every process the step waited for) depend little on
    the machine's load; on a quiet two-core machine a step takes at least half of them.
    """
    env = dict(os.environ, PYTEST_ADDOPTS="--durations=15 --durations-min=1")
    log = log_dir / f"{step}.log"
    cpu = _children_cpu()
    start = time.perf_counter()
    with log.open("w") as out:
        code = subprocess.call(
            ["make", step], cwd=tree, stdout=out, stderr=subprocess.STDOUT, env=env
        )
    seconds = time.perf_counter() - start
    cpu = _children_cpu() - cpu
    durations = []
    for line in log.read_text(errors="replace").splitlines():
        m = _DURATION.match(line)
        if m:
            durations.append((float(m.group(1)), f"[{step}] {m.group(2)} {m.group(3)}"))
    return seconds, cpu, code, durations


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fresh", action="store_true", help="time a fresh clone, .venv included")
    parser.add_argument("--keep", action="store_true", help="keep the fresh clone")
    parser.add_argument("--ref", default="HEAD", help="what the fresh clone checks out (HEAD)")
    parser.add_argument("--tree", type=Path, help="time this checkout instead of this one")
    parser.add_argument("--steps", nargs="+", help="steps to time (default: all of make test)")
    parser.add_argument("--top", type=int, default=20, help="how many slow tests to list")
    args = parser.parse_args(argv)

    tree, scratch = (args.tree or ROOT).resolve(), None
    steps = args.steps or test_steps(tree / "Makefile")
    if args.fresh:
        scratch = Path(tempfile.mkdtemp(prefix="make-test-time."))
        tree = scratch / "repo"
        subprocess.check_call(["git", "clone", "--quiet", "--no-local", str(ROOT), str(tree)])
        ref = subprocess.check_output(["git", "rev-parse", args.ref], cwd=ROOT, text=True).strip()
        subprocess.check_call(["git", "checkout", "--quiet", ref], cwd=tree)
        steps = ["venv", *steps]
    log_dir = tree / "_build" / "test-timing"
    log_dir.mkdir(parents=True, exist_ok=True)
    head = subprocess.check_output(["git", "log", "-1", "--format=%h %s"], cwd=tree, text=True)
    print(machine())
    print(f"tree: {tree} at {head.strip()[:90]}")
    print(f"{'step':<14}{'wall s':>9}{'CPU s':>9}  load average before")
    total, total_cpu, failed, slow = 0.0, 0.0, [], []
    try:
        for step in steps:
            load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
            seconds, cpu, code, durations = run_step(tree, step, log_dir)
            total += seconds
            total_cpu += cpu
            slow += durations
            flag = "" if code == 0 else f"  FAILED (exit {code}; see {log_dir / step}.log)"
            print(f"{step:<14}{seconds:>9.1f}{cpu:>9.1f}  {load}{flag}", flush=True)
            if code:
                failed.append(step)
        print(f"{'total':<14}{total:>9.1f}{total_cpu:>9.1f}")
        print(f"\nthe {args.top} slowest tests (pytest --durations):")
        for seconds, what in sorted(slow, reverse=True)[: args.top]:
            print(f"{seconds:8.1f} s  {what[:110]}")
    finally:
        if scratch and not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
