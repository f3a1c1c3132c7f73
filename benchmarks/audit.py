"""The audit (`actgrad check FUNC --impl/--deriv`, `actgrad.audit`): its speed, and that the
catalogue's own g, g′ and g″ pass it.

    python benchmarks/audit.py [--runs 5]

1. Every catalogue function's g, g′ and g″, float64 and float32, audited against the exact
   values at the default tolerance (4 ULP): all must pass (the float64 forms promise 4 ULP,
   the float32 ones are correctly rounded); the failures are printed. In-process time.
2. `actgrad check sigmoid --impl naive.py:dsig` (the textbook a(1 − a) with numpy's exp,
   float64) and `--dtype float32`, and `check 'z*sigmoid(z)' --deriv ...` (an expression,
   exact values from mpmath): median wall and user time of --runs processes, and the
   in-process time of `actgrad.audit` alone.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import resource
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NAIVE = """import numpy as np

def dsig(z):
    a = 1 / (1 + np.exp(-z))
    return a * (1 - a)
"""


def catalogue() -> int:
    import actgrad
    from actgrad.auditing import audit

    failed = 0
    start = time.perf_counter()
    count = 0
    for name in actgrad.names():
        f = actgrad.get(name)
        forms = [({"of": "g"}, f), ({}, f.deriv),
                 ({"order": 2}, lambda z, f=f: f.deriv(z, order=2))]
        for dtype in ("float64", "float32"):
            for kw, fn in forms:
                r = audit(fn, name, dtype=dtype, **kw)
                count += 1
                if not r.ok:
                    failed += 1
                    print(r.text())
    took = time.perf_counter() - start
    print(f"catalogue: {count} audits (27 functions x g, g′, g″ x float64, float32),"
          f" {failed} failed, {took:.2f} s in-process ({took / count * 1000:.0f} ms each)")
    return failed


def timed(argv: list[str], runs: int) -> tuple[float, float]:
    walls, users = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
        t = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
        walls.append(time.perf_counter() - t)
        users.append(resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime - before)
    return statistics.median(walls), statistics.median(users)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    failed = catalogue()
    with tempfile.TemporaryDirectory() as tmp:
        naive = pathlib.Path(tmp) / "naive.py"
        naive.write_text(NAIVE)
        cli = [sys.executable, "-m", "actgrad", "check"]
        for label, argv in (
                ("check sigmoid --impl naive.py:dsig", [*cli, "sigmoid", "--impl",
                                                        f"{naive}:dsig"]),
                ("  ... --dtype float32", [*cli, "sigmoid", "--impl", f"{naive}:dsig",
                                           "--dtype", "float32"]),
                ("check 'z*sigmoid(z)' --deriv ...", [*cli, "z*sigmoid(z)", "--deriv",
                                                      "sigmoid(z)*(1 + z*(1 - sigmoid(z)))"]),
                ("check relu (gradient check, for scale)", [*cli, "relu"])):
            wall, user = timed(argv, args.runs)
            print(f"{label:42} median {wall:.2f} s wall, {user:.2f} s user ({args.runs} runs)")
        import numpy as np  # noqa: F401

        from actgrad.auditing import audit, load_callable

        fn = load_callable(str(naive), "dsig")
        t = time.perf_counter()
        r = audit(fn, "sigmoid")
        print(f"actgrad.audit(dsig, 'sigmoid') alone: {time.perf_counter() - t:.3f} s,"
              f" {r.points} points")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
