"""Wall and CPU time of `actgrad check` (every function, default grid), beside a baseline.

    python benchmarks/gradcheck.py [--baseline DIR] [--runs N]

DIR is another checkout of actgrad (for instance the commit before the gradient check moved to
ball arithmetic: `git archive 7ec9980 | tar -x -C /tmp/base`). Runs alternate between the two
trees so that both see the same machine load; the figures are the medians, CPU time including
the worker processes. Also times the check in-process with one worker and with one per core
(`gradcheck.check_all(..., workers=...)`), which shows what the second core brings when it is
free. On a loaded machine (see the load average printed) the parallel figure says little.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import resource
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent


def run_check(tree: pathlib.Path) -> tuple[float, float]:
    """(wall, CPU of the children) seconds of one `python -m actgrad check` in `tree`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "actgrad", "check"], cwd=tree,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        raise SystemExit(f"check failed in {tree}: {r.stderr.strip()}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def in_process(workers: int | None) -> float:
    code = ("import time, actgrad; from actgrad.numerics import gradcheck as g;"
            "acts = [actgrad.get(n) for n in actgrad.names()];"
            "t = time.perf_counter();"
            f"assert all(r.passed for r in g.check_all(acts, workers={workers!r}));"
            "print(time.perf_counter() - t)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True)
    return float(out.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", type=pathlib.Path, help="another actgrad tree to compare with")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    new, old = [], []
    for _ in range(args.runs):
        if args.baseline:
            old.append(run_check(args.baseline))
        new.append(run_check(ROOT))
    med = [statistics.median(v) for v in zip(*new)]
    print(f"actgrad check (this tree):  wall {med[0]:.2f} s  cpu {med[1]:.2f} s")
    if old:
        base = [statistics.median(v) for v in zip(*old)]
        print(f"actgrad check (baseline):   wall {base[0]:.2f} s  cpu {base[1]:.2f} s")
        print(f"ratio this/baseline:        wall {med[0] / base[0]:.3f}  cpu {med[1] / base[1]:.3f}"
              "  (target: wall <= 0.333)")
    one = statistics.median(in_process(1) for _ in range(args.runs))
    auto = statistics.median(in_process(None) for _ in range(args.runs))
    print(f"check_all in-process: 1 worker {one:.2f} s, one per core {auto:.2f} s")
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
