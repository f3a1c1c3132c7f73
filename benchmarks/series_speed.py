"""Speed of derivatives of any order (numerics/series.py through numerics/rigorous.py):
the time per correctly rounded float64 value of g⁽ᴺ⁾, N = 3 and 10 by default.

    .venv/bin/python benchmarks/series_speed.py [--n 2000] [--orders 3,10]
                                                [--funcs sigmoid,gelu,mish] [--repeat 3]

The values are --n floats spread over [-8, 8] (a fixed seed), plus --tails extra values in
the tails (±[30, 700]) and near 0 (±[1e-300, 1e-5]) when asked, where more precision is
needed. Each (function, order) is timed warm (first on a few values, so the one-off imports
of python-flint are not in the rates), best of --repeat runs, by process CPU time
(time.process_time; --wall for the wall clock). Also prints the figure for order 2 (the
existing g″ path of rigorous.py, Spec.exact_d2g) as a yardstick.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import actgrad  # noqa: E402
from actgrad.numerics import rigorous  # noqa: E402


def values(n: int, tails: int) -> np.ndarray:
    rng = np.random.default_rng(11)
    z = rng.uniform(-8.0, 8.0, n)
    if tails:
        far = rng.uniform(30.0, 700.0, tails) * rng.choice([-1.0, 1.0], tails)
        tiny = 10.0 ** rng.uniform(-300.0, -5.0, tails) * rng.choice([-1.0, 1.0], tails)
        z = np.concatenate([z, far, tiny])
    return z


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--tails", type=int, default=0)
    ap.add_argument("--orders", default="3,10")
    ap.add_argument("--funcs", default="sigmoid,gelu,mish")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--wall", action="store_true")
    args = ap.parse_args()
    clock = time.perf_counter if args.wall else time.process_time
    z = values(args.n, args.tails)
    orders = [int(o) for o in args.orders.split(",")]
    print(f"{z.size} values; best of {args.repeat}; {'wall' if args.wall else 'CPU'} time")
    print(f"{'function':10s} {'order':>5s} {'µs/value':>10s} {'values/s':>10s}")
    for name in args.funcs.split(","):
        f = actgrad.get(name)
        for order in [2] + orders:
            rigorous.values_float(f, z[:5], deriv=order)  # warm
            best = float("inf")
            for _ in range(args.repeat):
                t = clock()
                rigorous.values_float(f, z, deriv=order)
                best = min(best, clock() - t)
            per = best / z.size
            tag = " (g″ path)" if order == 2 else ""
            print(f"{name:10s} {order:5d} {per * 1e6:10.1f} {1 / per:10.0f}{tag}", flush=True)


if __name__ == "__main__":
    main()
