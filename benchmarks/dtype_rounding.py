"""Mis-roundings of float16/float32/bfloat16/float8 results: actgrad's g and g′ in the small type against the
exact value rounded once (tests/catalogue_reference.py: independent formulas in arb balls,
each rounding proven, cross-checked with mpmath).

    # every finite float16 input, all functions (g and g′): ~4 min for the references
    .venv/bin/python benchmarks/dtype_rounding.py --dtype float16
    # every finite bfloat16 input (ml_dtypes), all functions: minutes, as float16
    .venv/bin/python benchmarks/dtype_rounding.py --dtype bfloat16
    # every float8 input: seconds (also in the suite, tests/test_dtypes.py)
    .venv/bin/python benchmarks/dtype_rounding.py --dtype float8_e4m3fn
    # float32: every subnormal binade sampled + N random bit patterns
    .venv/bin/python benchmarks/dtype_rounding.py --dtype float32 --n 20000
    # the same against another checkout (e.g. the state before the fix):
    git archive 7ec9980 | tar -x -C /tmp/before
    .venv/bin/python benchmarks/dtype_rounding.py --dtype float16 --actgrad /tmp/before

The references are cached (--cache, default /tmp/actgrad-ref-DTYPE-N.npz) so that several
checkouts are compared against the same exact values.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))


SMALL = ("float16", "bfloat16", "float8_e4m3fn", "float8_e5m2")  # swept through every input


def dtype_of(name: str) -> np.dtype:
    import ml_dtypes

    return np.dtype(getattr(ml_dtypes, name, None) or name)


def inputs(dtype: str, n: int) -> np.ndarray:
    if dtype in SMALL:
        dt = dtype_of(dtype)
        z = np.arange(2 ** (8 * dt.itemsize), dtype=np.uint16 if dt.itemsize == 2 else
                      np.uint8).view(dt)
        with np.errstate(invalid="ignore"):
            return z[np.isfinite(z.astype(np.float64))]
    rng = np.random.default_rng(2024)
    sub = []
    for bits in range(1, 24):  # every subnormal binade: mantissa of `bits` bits
        k = rng.integers(1 << (bits - 1), 1 << bits, 8, dtype=np.uint64) if bits > 1 else \
            np.array([1], dtype=np.uint64)
        sub.append(k.astype(np.uint32))
    sub = np.concatenate(sub)
    sub = np.concatenate([sub, sub | np.uint32(0x80000000)]).view(np.float32)
    rnd = rng.integers(0, 2**32, n, dtype=np.uint64).astype(np.uint32).view(np.float32)
    z = np.concatenate([sub, rnd])
    return z[np.isfinite(z)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dtype", choices=SMALL + ("float32",), default="float16")
    ap.add_argument("--n", type=int, default=20000, help="random float32 inputs")
    ap.add_argument("--actgrad", default=os.path.join(HERE, ".."),
                    help="checkout whose actgrad is measured")
    ap.add_argument("--cache", default=None)
    ap.add_argument("--names", default=None, help="comma-separated (default: all)")
    args = ap.parse_args()
    sys.path.insert(0, os.path.abspath(args.actgrad))
    import catalogue_reference as C

    import actgrad

    z = inputs(args.dtype, args.n)
    names = args.names.split(",") if args.names else list(C.NAMES)
    cache = args.cache or f"/tmp/actgrad-ref-{args.dtype}-{len(z)}.npz"
    refs = dict(np.load(cache)) if os.path.exists(cache) else {}
    t0 = time.perf_counter()
    for name in names:
        for d in (0, 1):
            key = f"{name}:{d}"
            if key not in refs:
                refs[key] = np.array([C.rounded_fast(name, v, bool(d), dtype_of(args.dtype))
                                      for v in z.astype(np.float64).tolist()], dtype=np.float64)
                np.savez(cache, **refs)
    t_ref = time.perf_counter() - t0
    print(f"actgrad from {os.path.dirname(actgrad.__file__)}; {len(z)} {args.dtype} inputs; "
          f"references {t_ref:.0f} s (cache {cache})")
    total = 0
    t0 = time.perf_counter()
    for name in names:
        f = C.activation(name)
        row = []
        for d in (0, 1):
            with np.errstate(all="ignore"):
                got = (f.deriv(z) if d else f(z)).astype(np.float64)
            want = refs[f"{name}:{d}"]
            bad = ~((got == want) | (np.isnan(got) & np.isnan(want)))
            total += int(bad.sum())
            ex = z[bad][:1].astype(np.float64).tolist()
            row.append(f"{'g′' if d else 'g '} {int(bad.sum()):6d}" + (f" (e.g. z={ex[0]!r})" if ex else ""))
        print(f"{name:15s} " + "   ".join(row))
    print(f"total mis-roundings: {total} of {2 * len(names) * len(z)} values "
          f"(actgrad time {time.perf_counter() - t0:.1f} s)")


if __name__ == "__main__":
    main()
