"""Verify actgrad's float32 results over all 2^32 float32 inputs of one function (on demand).

    .venv/bin/python benchmarks/float32_exhaustive.py sigmoid [--deriv] [--start 0 --stop 2**32]
        [--chunk 22] [--params k=v ...]

For each chunk of bit patterns (numpy throughout): r = the float64 result; where r ± 8 ULP of
float64 rounds to one float32 (the project's float64 accuracy bound is 4 ULP, checked by the
accuracy tests), that float32 is the exact value's rounding; elsewhere (the boundary test
fires, rarely) the exact value is rounded in arb balls by tests/catalogue_reference.py
(independent formulas, proven rounding). actgrad's float32 output f(z) must equal it: the
count of differences is printed (mis-roundings), and, for comparison, the count the former
double rounding RN32(r) would have had. A sub-range (--start/--stop) gives a time estimate for
the whole range.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))

import catalogue_reference as C  # noqa: E402

from actgrad.registry import _near_boundary  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("name", help="a catalogue name (gelu_tanh for gelu approximate=tanh)")
    ap.add_argument("--deriv", action="store_true")
    ap.add_argument("--start", type=lambda s: int(eval(s)), default=0)
    ap.add_argument("--stop", type=lambda s: int(eval(s)), default=2**32)
    ap.add_argument("--chunk", type=int, default=22, help="log2 of the chunk size")
    args = ap.parse_args()
    f = C.activation(args.name)
    method = f.deriv if args.deriv else f
    step = 1 << args.chunk
    wrong = old_wrong = fired = checked = 0
    examples: list[float] = []
    t0 = time.perf_counter()
    for lo in range(args.start, args.stop, step):
        bits = np.arange(lo, min(lo + step, args.stop), dtype=np.uint64).astype(np.uint32)
        z = bits.view(np.float32)
        z = z[~np.isnan(z)]
        with np.errstate(all="ignore"):
            r = np.asarray(method(z.astype(np.float64)))
            want = r.astype(np.float32)
            got = method(z)
        hard = _near_boundary(r, np.dtype(np.float32))
        idx = np.flatnonzero(hard)
        exact = np.array([C.rounded_fast(args.name, v, args.deriv, np.float32)
                          for v in z[idx].tolist()], dtype=np.float32)
        old = want.copy()
        want[idx] = exact
        same = (got == want) | (np.isnan(got) & np.isnan(want))
        wrong += int((~same).sum())
        examples += z[~same][:3].tolist()
        old_wrong += int((~((old == want) | (np.isnan(old) & np.isnan(want)))).sum())
        fired += idx.size
        checked += z.size
    dt = time.perf_counter() - t0
    span = args.stop - args.start
    print(f"{args.name}{'′' if args.deriv else ''}: {checked} float32 inputs "
          f"(bit patterns {args.start:#x}..{args.stop:#x}), boundary test fired on {fired}; "
          f"mis-roundings: {wrong}" + (f" e.g. z={examples[:3]}" if examples else "")
          + f"; the former double rounding: {old_wrong}")
    print(f"time {dt:.1f} s; all 2^32 at this rate: {dt * 2**32 / span / 60:.0f} min")


if __name__ == "__main__":
    main()
