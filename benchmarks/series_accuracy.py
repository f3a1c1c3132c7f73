"""Derivatives of orders 3 to 20 (numerics/series.py) against the independent references of
tests/test_series.py (mpmath.diffs of tests/reference.py's mpmath forms at rising precision,
gelu's closed Hermite form), on more points and orders than the suite takes:

    .venv/bin/python benchmarks/series_accuracy.py [--orders 3,7,13,20] [--funcs sigmoid,...]

Prints each mismatch (the float, the correctly rounded reference) and the count; exits 1 if
there is one. The points: ±100, ±7.5, 1e-5, and the roots of silu″ (2.39936) and mish″
(−2.25638, 1.49057). A few minutes (the references at ±100 need ~200 digits).
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

HERE = os.path.dirname(__file__)
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))

import actgrad  # noqa: E402
import reference as R  # noqa: E402
import test_series as T  # noqa: E402
from actgrad.numerics import rigorous  # noqa: E402

FUNCS = ("sigmoid,tanh,silu,mish,softplus,log_sigmoid,gelu,squareplus,softsign,tanhshrink,"
         "elu,celu,selu")
POINTS = (100.0, -100.0, 7.5, -7.5, 1e-5, 2.39936, -2.25638, 1.49057)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--orders", default="3,7,13,20")
    ap.add_argument("--funcs", default=FUNCS)
    args = ap.parse_args()
    orders = [int(o) for o in args.orders.split(",")]
    bad = total = 0
    for name in args.funcs.split(","):
        f = actgrad.get(name)
        for x in POINTS:
            for n in orders:
                want = R.round_to(T.ref(name, {}, x, n), np.float64)
                got = float(rigorous.values_float(f, [x], deriv=n)[0])
                total += 1
                if got != want or np.signbit(got) != np.signbit(want):
                    bad += 1
                    print(f"MISMATCH {name} z={x!r} order {n}: {got!r}, correctly rounded"
                          f" {want!r}", flush=True)
    print(f"{bad} of {total} values not correctly rounded")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
