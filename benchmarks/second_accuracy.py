#!/usr/bin/env python3
"""Per-function accuracy of g″ (``f.deriv(z, order=2)``): max error in ULPs, float64 and
float32, with the z where it occurs.

Usage:  python benchmarks/second_accuracy.py [--points N] [--markdown] [--only LABEL ...]

Cases: tests/test_second.py's ``CASES`` (every catalogue function at its defaults, plus the
parameter values with their own code paths). Grid per case: test_second's stress grid (±0,
subnormals, switch points and roots of g″/g′ with ±3 nextafter steps, tails), plus, seeded:
N normal(0, 3) points, N log-uniform magnitudes in [1e-300, 1e3] of both signs, and N points
uniform within ±1e-3 of each root of g″ (silu, mish, gelu, gelu tanh), N/4 in each range
where some g″ turns subnormal (``TAILS``), both signs. Jumps of g″ are left
out (test_second checks their conventions). float32: the float64 grid rounded to float32;
the reference is the exact g″ at the float32 input, correctly rounded (so a correctly
rounded result has error <= 0.5). References: tests/reference.py's ``second`` (independent
sech²/tanh forms in mpmath). Exit status 1 if a float64 figure exceeds 4 ULP or a float32
one 0.5 ULP.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(ROOT, "tests"), ROOT]

import actgrad  # noqa: E402
import reference as R  # noqa: E402
import test_second as T  # noqa: E402

ROOTS = {"silu": [2.3993572805154675, -2.3993572805154675],
         "mish": [-2.256376396360793, 1.4905711794854284],
         "gelu": [1.4142135623730951, -1.4142135623730951],
         "gelu-approximate=tanh": [1.4185040087908283, -1.4185040087908283],
         "gelu_fast": [1.4185040087952434, -1.4185040087952434],
         "gelu_approx": [1.4178441492405398, -1.4178441492405398],
         "gelu_10": [1.4142135623730951, -1.4142135623730951],
         # issue 13: silu's t = βz (roots at ±2.39936/β), laplace's at μ
         "quick_gelu": [1.4097281319127306, -1.4097281319127306],
         "silu-beta=1.702": [1.4097281319127306, -1.4097281319127306],
         "silu-beta=0.1": [23.993572805154675, -23.993572805154675],
         "laplace": [0.707107]}


TAILS = [(19.0, 23.0), (36.0, 39.0), (350.0, 380.0), (700.0, 760.0), (1400.0, 2600.0),
         (1e100, 1e103)]


def grid(label: str, n: int) -> np.ndarray:
    rng = np.random.default_rng(2026)
    parts = [T.GRID, rng.standard_normal(n) * 3.0,
             rng.choice([-1.0, 1.0], n) * 10.0 ** rng.uniform(-300, 3, n)]
    for r in ROOTS.get(label, []):
        parts.append(r + rng.uniform(-1e-3, 1e-3, n))
    for lo, hi in TAILS:  # where g″ of one function or another turns subnormal
        parts.append(rng.choice([-1.0, 1.0], n // 4) * rng.uniform(lo, hi, n // 4))
    return np.unique(np.concatenate(parts))


#: g″'s bounds: 4 ULP in float64, correctly rounded (0.5 ULP) in float32
BOUND = {"float64": 4.0, "float32": 0.5}


def measure(name: str, params: dict, z: np.ndarray, dtype) -> tuple[float, float, int]:
    """(max ULP error, z where it occurs, number of inputs) of g″ on the grid z cast to dtype
    (deduplicated, jumps of g″ left out)."""
    f = actgrad.get(name, **params)
    p = dict(f.params)
    jumps = set(R.second_jumps(name, p))
    with np.errstate(over="ignore"):  # float32: the huge tails become ±inf
        x = np.unique(z.astype(dtype))
    x = x[~np.isin(x.astype(np.float64), list(jumps))]
    got = f.deriv(x, order=2)
    exact = [R.second(name, float(v), p) for v in x]
    err = R.ulp_error(got, exact, dtype)
    i = int(np.argmax(err))
    return float(err[i]), float(x[i]), int(x.size)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=1000)
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--only", nargs="*", metavar="LABEL",
                    help="measure only these cases (labels as printed, e.g. gelu_fast)")
    args = ap.parse_args()
    rows, bad = [], False
    t0 = time.time()
    for name, params in T.CASES:
        label = T._label((name, params))
        if args.only and label not in args.only:
            continue
        z = grid(label, args.points)
        e64, z64, _ = measure(name, params, z, np.float64)
        e32, z32, _ = measure(name, params, z, np.float32)
        bad |= e64 > BOUND["float64"] or e32 > BOUND["float32"]
        rows.append((label, z.size, e64, z64, e32, z32))
        print(f"{label}: done", file=sys.stderr)
    if args.markdown:
        print("| function | points | g″ float64 max ULP | worst z | g″ float32 max ULP | worst z |")
        print("|---|---|---|---|---|---|")
        for r in rows:
            print(f"| {r[0]} | {r[1]} | {r[2]:.3g} | {r[3]!r} | {r[4]:.3g} | {r[5]!r} |")
    else:
        for r in rows:
            print(f"{r[0]:28s} {r[1]:6d}  f64 {r[2]:6.3g} at {r[3]!r:24s}  "
                  f"f32 {r[4]:5.3g} at {r[5]!r}")
    print(f"({time.time() - t0:.0f} s)", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
