"""--exact speed: the former mpmath Ziv loop (baseline, copied below) vs the ball-arithmetic
path of actgrad/numerics/rigorous.py, on the same 10,000 values.

    .venv/bin/python benchmarks/exact_speed.py [--n 10000] [--funcs gelu',gelu,sigmoid',tanh]

Prints values/s of each and the ratio, and how many of the 10,000 floats differ. Both sides are
timed warm (each first runs on a few values, so the one-off imports of mpmath and python-flint,
each ~0.05-0.1 s, are not in the rates; they are printed apart), one function after the other,
the baseline and the ball path alternately; with --repeat k each side's best of k runs counts.
Times are the process's CPU time (time.process_time), which other processes on a shared
machine disturb far less than the wall clock; --wall times by the wall clock instead.

The baseline is the implementation as of commit 7ec9980 (actgrad/numerics/rigorous.py then),
which is not rigorous (it stops when two precisions agree); it is kept here only as the
yardstick of the speed-up. Both round to float64 (`--exact`).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from typing import Any

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import actgrad  # noqa: E402
from actgrad.numerics import rigorous  # noqa: E402

# ---------------------------------------------------------------------------------------
# BASELINE: the former --exact (mpmath, Ziv's strategy without a rounding test), verbatim
# from actgrad/numerics/rigorous.py at commit 7ec9980 except for names.

_FLOAT64_DIGITS = 17
_MAX_DPS = 20000


def baseline_values(f, z, *, deriv, digits, kink="pytorch"):
    import mpmath

    want = digits if digits is not None else _FLOAT64_DIGITS
    params = dict(f.params)
    kinks = {k.at: k.slope(kink) for k in f.kinks} if deriv else {}
    fn = f.spec.exact_dg if deriv else f.spec.exact
    out = []
    for zi in np.asarray(z, dtype=np.float64).ravel().tolist():
        if math.isnan(zi):
            out.append(mpmath.nan)
        elif zi in kinks:
            out.append(mpmath.mpf(kinks[zi]))
        elif math.isinf(zi):
            out.append(mpmath.mpf(float(f.deriv(zi) if deriv else f(zi))))
        else:
            out.append(_baseline_ziv(lambda x: fn(x, params, mpmath), zi, want))
    return out


def _baseline_ziv(fn, z, digits):
    import mpmath

    dps = digits + 10
    while True:
        with mpmath.workdps(dps):
            a = fn(mpmath.mpf(z))
        with mpmath.workdps(2 * dps):
            b = fn(mpmath.mpf(z))
        with mpmath.workdps(2 * dps):
            if a == b or (b != 0 and abs((a - b) / b) < mpmath.mpf(10) ** (-(digits + 3))):
                return +b
        if dps > _MAX_DPS:
            return b
        dps *= 2


def baseline_to_float(v: Any) -> float:
    import mpmath

    if not mpmath.isfinite(v):
        return float(v)
    sign, man, exp, bc = v._mpf_
    if exp + bc > 1025:
        return -math.inf if sign else math.inf
    if exp + bc < -1076:
        return -0.0 if sign else 0.0
    man = -int(man) if sign else int(man)
    try:
        return float(man << exp) if exp >= 0 else man / (1 << -exp)
    except OverflowError:
        return -math.inf if sign else math.inf


# END OF BASELINE
# ---------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--funcs", default="gelu',gelu,sigmoid',tanh,silu'")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--wall", action="store_true", help="wall-clock time, not CPU time")
    args = ap.parse_args()
    clock = time.perf_counter if args.wall else time.process_time
    t0 = time.perf_counter()
    import mpmath  # noqa: F401
    t1 = time.perf_counter()
    import flint  # noqa: F401
    t2 = time.perf_counter()
    print(f"imports (not in the rates): mpmath {1e3 * (t1 - t0):.0f} ms, "
          f"python-flint {1e3 * (t2 - t1):.0f} ms")
    rng = np.random.default_rng(1)
    # ordinary inputs: |z| log-spread over 1e-3 .. 10, both signs
    z = rng.choice([-1.0, 1.0], args.n) * 10.0 ** rng.uniform(-3, 1, args.n)
    print(f"{'function':10s} {'baseline/s':>11s} {'rigorous/s':>11s} {'ratio':>7s} {'differ':>7s}")
    for spec in args.funcs.split(","):
        deriv = spec.endswith("'")
        f = actgrad.get(spec.rstrip("'"))
        baseline_values(f, z[:16], deriv=deriv, digits=None)  # warm
        rigorous.values_float(f, z[:16], deriv=deriv)
        t_old = t_new = math.inf
        for _ in range(args.repeat):  # alternately
            t0 = clock()
            old = np.array([baseline_to_float(v) for v in
                            baseline_values(f, z, deriv=deriv, digits=None)])
            t1 = clock()
            new = rigorous.values_float(f, z, deriv=deriv)
            t2 = clock()
            t_old, t_new = min(t_old, t1 - t0), min(t_new, t2 - t1)
        differ = int(np.sum(old != new))
        print(f"{spec:10s} {args.n / t_old:11.0f} {args.n / t_new:11.0f} "
              f"{t_old / t_new:6.1f}x {differ:7d}")


if __name__ == "__main__":
    main()
