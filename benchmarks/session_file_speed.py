"""How fast, and in how much memory, does the session-file reader read a large file?

Target (issue 20): one million rows read and accounted for (rows read = kept +
rejected) in at most 5 s with at most 1 GB peak memory, on a 2-core machine.

The file is a clinic's worth of sessions written from simulated studies: 1,000,000
rows of ``patient_id,session,score,notes`` with about 4% missing scores, a gap in
the sessions of every tenth patient, and 1 row in 1,000 malformed (text, out of
range, a repeated session, a decimal comma), so every path of the reader runs.
Each timed read runs in a fresh Python process that imports the book first (the
import is not timed) and then reads the file from disk; its peak memory is the
process's peak resident set size (``VmHWM`` on Linux), which includes the
interpreter and the imported libraries (measured alone too, so the reader's own
share can be seen). Wall time depends on what else the machine runs; the CPU
time (user + system) of the read is printed beside it.

Run: ``.venv/bin/python benchmarks/session_file_speed.py`` (``--rows`` and
``--repeats`` change the size and the number of runs; ``--measures 2`` adds a
BDI-II column and reads both measures).
"""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from timing import machine

TARGET_SECONDS, TARGET_BYTES = 5.0, 1e9

CHILD = """
import json, sys, time
from book.practice.session_file import read_sessions

def peak_bytes():
    # VmHWM: this process's own peak (ru_maxrss would include the parent's at fork time)
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource  # not on Windows; kibibytes on Linux (bytes on macOS)
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

before = peak_bytes()
path, measures = sys.argv[1], int(sys.argv[2])
scale = "wai-sr" if measures == 1 else {"score": "wai-sr", "bdi": "bdi-ii"}
start, cpu = time.perf_counter(), time.process_time()
result = read_sessions(path, scale=scale)
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
assert result.rows_read == result.rows_kept + result.rows_rejected
print(json.dumps({"seconds": seconds, "cpu": cpu, "peak": peak_bytes(), "imports": before,
                  "read": result.rows_read, "kept": result.rows_kept,
                  "rejected": result.rows_rejected, "gaps": len(result.gaps)}))
"""


def write_file(path: Path, rows: int, measures: int, seed: int = 2026) -> None:
    """A large session file: 12 sessions per patient, a few percent of problems."""
    rng = np.random.default_rng(seed)
    patient = np.arange(rows) // 12
    session = np.arange(rows) % 12 + 1
    session[(patient % 10 == 0) & (session > 6)] += 1  # a missed session 7
    score = np.clip(np.round(rng.normal(3.9, 0.6, rows) * 12) / 12, 1, 5)
    text = np.char.mod("%.2f", score).astype(object)
    text[rng.random(rows) < 0.04] = ""
    bad = rng.choice(rows, rows // 1000, replace=False)
    kinds = np.arange(len(bad)) % 4
    text[bad[kinds == 0]] = "four"
    text[bad[kinds == 1]] = "7.5"
    text[bad[kinds == 3]] = "3,5"  # a decimal comma: the 5 lands in the notes column
    repeat = bad[kinds == 2]
    repeat = repeat[session[repeat] > 1]
    session[repeat] -= 1  # the same session twice
    ids = np.char.add("P", patient.astype(str)).astype(object)
    columns = [ids, session.astype(str).astype(object), text]
    header = "patient_id,session,score"
    if measures == 2:
        bdi = np.clip(np.round(rng.normal(20, 8, rows)), 0, 63).astype(int).astype(str)
        columns.append(bdi.astype(object))
        header += ",bdi"
    body = columns[0]
    for column in columns[1:]:
        body = body + "," + column
    path.write_text(header + ",notes\n" + "\n".join((body + ",").tolist()) + "\n")


def run_child(path: Path, measures: int) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), str(measures)],
        check=True,
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--measures", type=int, choices=(1, 2), default=1)
    args = parser.parse_args()
    print(machine())
    print(
        f"target: {args.rows:,} rows read and accounted for in <= {TARGET_SECONDS:.0f} s "
        f"with <= {TARGET_BYTES / 1e9:.0f} GB peak memory"
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sessions.csv"
        write_file(path, args.rows, args.measures)
        size = path.stat().st_size / 1e6
        print(f"file: {args.rows:,} rows, {size:.1f} MB, {args.measures} measure(s)")
        runs = [run_child(path, args.measures) for _ in range(args.repeats)]
    first = runs[0]
    print(
        f"rows read {first['read']:,} = kept {first['kept']:,} + rejected {first['rejected']:,}; "
        f"{first['gaps']:,} gaps"
    )
    seconds = [r["seconds"] for r in runs]
    cpu = [r["cpu"] for r in runs]
    peaks = [r["peak"] for r in runs]
    imports = [r["imports"] for r in runs]
    print(
        f"read_sessions: median {np.median(seconds):.2f} s wall (min {min(seconds):.2f}, "
        f"max {max(seconds):.2f}), {np.median(cpu):.2f} s CPU, over {len(runs)} fresh processes"
    )
    print(
        f"peak memory of the process: median {np.median(peaks) / 1e6:.0f} MB (max "
        f"{max(peaks) / 1e6:.0f} MB), of which {np.median(imports) / 1e6:.0f} MB after imports"
    )
    ok = np.median(seconds) <= TARGET_SECONDS and max(peaks) <= TARGET_BYTES
    print(machine().split("; ")[-1] + " (at the end)")
    print("within target" if ok else "over target")


if __name__ == "__main__":
    main()
