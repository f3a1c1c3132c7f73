#!/usr/bin/env python3
"""Per-function accuracy table: max error in ULPs of g and g′, float64 and float32.

Usage:  python benchmarks/accuracy.py [--points N] [--jobs J] [--markdown | --json]

For every function in ``actgrad.names()`` (default parameters, catalogue order), plus
gelu with ``approximate="tanh"`` as its own row, the script measures the largest error
of ``f(z)`` and ``f.deriv(z)`` in ULPs over a stress grid, in float64 and in float32,
and the input z where it occurs. Exit status 1 if any figure exceeds its bound
(float64 <= 4 ULP, float32 <= 1 ULP), if a function has no reference in tests/ or
if actgrad raises or returns the wrong dtype; else 0. Progress goes to stderr.

References
----------
Independent of actgrad's code: never its ``spec.exact`` / ``exact_dg`` or its output.
The mpmath formulas (60 significant digits) that the test suite already has are reused:

* tests/reference.py    sigmoid, tanh, relu, leaky_relu (``value`` / ``deriv``), and the
                        exact rounding / ULP helpers ``round_to``, ``prepare``, ``ulp_error``
* tests/test_smooth.py  ``reference(name, x, params)`` -> (g, g′) for the functions in ``REFS``
* tests/test_piecewise.py  ``refs(name, params)`` -> (g, g′) mpmath callables

They are imported by putting the repository's ``tests/`` directory at the front of
``sys.path`` (that is also how the test modules find ``reference``); the repository root
goes there too, so the working tree's actgrad is the one measured. Importing the two test
modules costs ~0.2 s (pytest, and a few mpmath values / ``actgrad.get`` calls made at
import time); nothing else runs.

Error measure: ``ulp_error(got, exact, dtype)`` = |got − exact| / ulp(exact correctly
rounded to dtype), subnormal spacing included; a correctly rounded result is <= 0.5.
float32: the inputs are float32 arrays; the reference is the exact value at the exact
float32 input, correctly rounded to float32 (``prepare(..., np.float32)``).

Grid (float64, per function; seeded, so the table is reproducible)
-----------------------------------------------------------------
* ``--points N`` uniform random z in [−20, 20] (numpy default_rng, fixed seed) and a
  801-point linspace of [−20, 20] (step 0.05: hits the integers and halves exactly);
* log-spaced magnitudes, both signs, 1e-320 .. 1e308 (4 per decade), plus the smallest
  subnormal and the largest finite number; ±0;
* around each root c of g′ and each kink c (``f.kinks[i].at``): c and ±3 nextafter steps,
  and a small dense window: 48 seeded uniform points within ±1e-9·max(1, |c|) and 48
  within ±1e-4·max(1, |c|).  Roots of g′ are found here, from the references: strict
  sign changes of g′ on a 0.1 grid of [−20, 20] (away from kinks), refined by bisection
  on float64 inputs to adjacent floats; the float with the smaller |g′| is taken.

g′ is measured away from kinks only: inputs exactly equal to a kink (both zeros for a
kink at 0) are left out; the value there is a convention (``--kink``), tested in tests/.
g is measured everywhere. Duplicates are removed by bit pattern (−0 and +0 both kept).

float32 grid: the float64 grid cast to float32 (finite values, deduplicated), plus the
float32 smallest subnormal and largest finite magnitudes and ±3 float32 nextafter steps
around each root and kink (float64 neighbours collapse onto the point in float32).

Floating-point warnings raised inside actgrad are silenced here (tests/ check them);
nothing is cached on disk. Work is spread over ``--jobs`` processes (default: the number
of CPUs), one task per (function, dtype); results do not depend on the number of jobs.

PyTorch / JAX are not measured here; their figures are in ../shared/anchors/accuracy.md.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TESTS = os.path.join(ROOT, "tests")
for _p in (ROOT, TESTS):  # tests/ first: reference.py, test_smooth.py, test_piecewise.py
    if _p in sys.path:
        sys.path.remove(_p)
    sys.path.insert(0, _p)

import mpmath  # noqa: E402
import numpy as np  # noqa: E402
from mpmath import mpf  # noqa: E402

import reference as ref  # noqa: E402  (tests/reference.py)
import test_piecewise as tpw  # noqa: E402
import test_smooth as tsm  # noqa: E402

import actgrad  # noqa: E402

DPS = 60
BOUND = {"float64": 4.0, "float32": 1.0}
DTYPES = {"float64": np.float64, "float32": np.float32}
SEED = 20261127
DEFAULT_POINTS = 60_000
LOG_PER_DECADE = 4
ANCHORS = "../shared/anchors/accuracy.md"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# rows and their references


def rows() -> list[tuple[str, dict, str]]:
    """(name, params, label) in catalogue order; gelu (tanh) right after gelu."""
    out = []
    for name in actgrad.names():
        out.append((name, {}, name))
        if name == "gelu":
            out.append(("gelu", {"approximate": "tanh"}, "gelu (tanh)"))
    return out


def reference_pair(name: str, params: dict):
    """A callable x (float) -> (g, g′) as exact-ish mpf at 60 digits, from tests/; or
    None when tests/ has no reference for the function."""
    if name in ref.FUNCS:
        return lambda x: (ref.value(name, x), ref.deriv(name, x))
    if name in tsm.REFS:
        return lambda x: tsm.reference(name, x, params)
    try:
        g, dg = tpw.refs(name, params)
    except KeyError:
        return None

    def pair(x):
        with mpmath.workdps(DPS):
            v = mpf(float(x))
            return g(v), dg(v)

    return pair


def deriv_ref(name: str, params: dict):
    pair = reference_pair(name, params)
    return None if pair is None else (lambda x: pair(x)[1])


def _sign(v) -> int:
    return 0 if v == 0 else (1 if v > 0 else -1)


def g_prime_roots(name: str, params: dict, kinks: list[float]) -> list[float]:
    """Roots of g′ in [−20, 20] from the reference: strict sign changes on a 0.1 grid
    (intervals holding a kink skipped), bisected on float64 inputs to adjacent floats."""
    dg = deriv_ref(name, params)
    if dg is None:
        return []
    xs = [float(x) for x in np.linspace(-20.0, 20.0, 401)]
    s = [_sign(dg(x)) for x in xs]
    found = []
    for i in range(len(xs) - 1):
        lo, hi = xs[i], xs[i + 1]
        if any(lo <= k <= hi for k in kinks):
            continue
        if s[i] == 0 and 0 < i and s[i - 1] * s[i + 1] < 0:
            found.append(lo)
        elif s[i] * s[i + 1] < 0:
            slo = s[i]
            while True:
                mid = lo + (hi - lo) / 2
                if mid in (lo, hi):
                    break
                sm = _sign(dg(mid))
                if sm == 0:
                    lo = hi = mid
                    break
                if sm == slo:
                    lo = mid
                else:
                    hi = mid
            found.append(lo if abs(dg(lo)) <= abs(dg(hi)) else hi)
    return found


# --------------------------------------------------------------------------
# grids


def _steps(c: float, n: int, dt) -> list:
    t = np.dtype(dt).type
    out, up, down = [t(c)], t(c), t(c)
    for _ in range(n):
        up, down = np.nextafter(up, t(np.inf)), np.nextafter(down, t(-np.inf))
        out += [up, down]
    return out


def _unique_sorted(z: np.ndarray) -> np.ndarray:
    """Finite values, deduplicated by bit pattern (−0 and +0 both kept), in increasing
    order (−0 before +0)."""
    z = z[np.isfinite(z)]
    ui = np.uint64 if z.dtype == np.float64 else np.uint32
    z = np.unique(z.view(ui)).view(z.dtype)
    order = np.lexsort((~np.signbit(z), z))
    return z[order]


def grid64(points: int, centres: list[float]) -> np.ndarray:
    rng = np.random.default_rng(SEED)
    ndec = 308 + 320
    mags = np.concatenate([np.logspace(-320.0, 308.0, LOG_PER_DECADE * ndec + 1),
                           [5e-324, float(np.finfo(np.float64).max)]])
    parts = [rng.uniform(-20.0, 20.0, points), np.linspace(-20.0, 20.0, 801),
             mags, -mags, [0.0, -0.0]]
    wrng = np.random.default_rng(SEED + 1)
    for c in centres:
        w = max(1.0, abs(c))
        parts += [_steps(c, 3, np.float64),
                  c + wrng.uniform(-1e-9 * w, 1e-9 * w, 48),
                  c + wrng.uniform(-1e-4 * w, 1e-4 * w, 48)]
    return _unique_sorted(np.concatenate([np.asarray(p, dtype=np.float64) for p in parts]))


def grid32(z64: np.ndarray, centres: list[float]) -> np.ndarray:
    fi = np.finfo(np.float32)
    with np.errstate(over="ignore", under="ignore"):
        z = z64.astype(np.float32)
        extra = [np.array([fi.smallest_subnormal, -fi.smallest_subnormal, fi.max, -fi.max],
                          dtype=np.float32)]
        for c in centres:
            extra.append(np.array(_steps(np.float32(c), 3, np.float32), dtype=np.float32))
    return _unique_sorted(np.concatenate([z] + extra))


# --------------------------------------------------------------------------
# one task: one function, one dtype


def measure(task) -> dict:
    label, name, params, dtype_name, points, centres, kinks = task
    t0 = time.perf_counter()
    dt = DTYPES[dtype_name]
    out = {"label": label, "dtype": dtype_name, "error": None}
    pair = reference_pair(name, params)
    if pair is None:
        out["error"] = "no reference in tests/"
        return out
    z = grid64(points, centres)
    if dtype_name == "float32":
        z = grid32(z, centres)
    at_kink = np.zeros(z.shape, dtype=bool)
    for k in kinks:
        at_kink |= z.astype(np.float64) == k
    zd = z[~at_kink]

    exact = [pair(x) for x in z.tolist()]
    prep_g = ref.prepare([e[0] for e in exact], dt)
    prep_d = ref.prepare([e[1] for e, k in zip(exact, at_kink) if not k], dt)
    del exact

    try:
        f = actgrad.get(name, **params)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with np.errstate(all="ignore"):
                got_g = np.asarray(f(z))
                got_d = np.asarray(f.deriv(zd))
    except Exception as e:  # noqa: BLE001 - reported in the table
        out["error"] = f"actgrad raised {type(e).__name__}: {e}"
        return out
    bad = [f"{w} returned {a.dtype}" for w, a in (("g", got_g), ("g′", got_d))
           if a.dtype != np.dtype(dt) or a.shape != (z.size if w == "g" else zd.size,)]
    if bad:
        out["error"] = f"{dtype_name} input: " + ", ".join(bad)
        return out

    for key, zz, got, prep in (("g", z, got_g, prep_g), ("dg", zd, got_d, prep_d)):
        err = ref.ulp_error(got, prep, dt)
        i = int(np.argmax(err))
        worst = float(err[i])
        out[key] = {
            "max_ulp": worst,
            "worst_z": float(zz[i]) if worst > 0 else None,
            "worst_z_text": (str(zz[i]) if dtype_name == "float32" else repr(float(zz[i])))
            if worst > 0 else None,
            "got": float(got[i]) if worst > 0 else None,
            "exact_rounded": float(prep.rounded[i]) if worst > 0 else None,
            "points": int(zz.size),
            "over": int(np.sum(err > BOUND[dtype_name])),
        }
    out["seconds"] = time.perf_counter() - t0
    return out


# --------------------------------------------------------------------------
# output


def fmt_ulp(e) -> str:
    if e is None:
        return "—"
    if math.isinf(e):
        return "inf"
    if e < 10:
        return f"{e:.2f}"
    if e < 1e4:
        return f"{e:.1f}"
    return f"{e:.2e}"


def cell(row: dict, dtype: str, key: str):
    r = row[dtype]
    return None if r.get("error") else r[key]


def row_over(row: dict) -> list[str]:
    """What exceeds its bound (or could not be measured) in this row."""
    bad = []
    for dtype in ("float64", "float32"):
        r = row[dtype]
        if r.get("error"):
            bad.append(f"{dtype}: {r['error']}")
            continue
        for key, nm in (("g", "g"), ("dg", "g′")):
            if not r[key]["max_ulp"] <= BOUND[dtype]:
                bad.append(f"{nm} {dtype} {fmt_ulp(r[key]['max_ulp'])} ULP at z={r[key]['worst_z_text']}"
                           f" ({r[key]['over']}/{r[key]['points']} points over)")
    return bad


def header_lines(results: list[dict], args, roots: dict, elapsed: float) -> list[str]:
    n64 = [r["float64"]["g"]["points"] for r in results if not r["float64"].get("error")]
    n32 = [r["float32"]["g"]["points"] for r in results if not r["float32"].get("error")]
    rng = (lambda v: f"{min(v):,}–{max(v):,}" if v and min(v) != max(v) else
           (f"{v[0]:,}" if v else "—"))
    rts = ", ".join(f"{lab} {', '.join(repr(c) for c in cs)}" for lab, cs in roots.items() if cs)
    return [
        f"actgrad {getattr(actgrad, '__version__', '?')} ({os.path.dirname(actgrad.__file__)}):"
        " max error in ULPs of g and g′, default parameters; worst z after each figure",
        f"grid: {args.points:,} seeded uniform z in [−20, 20] (seed {SEED}) + 801-point linspace;"
        f" ±|z| log-spaced 1e-320..1e308 ({LOG_PER_DECADE}/decade) + smallest subnormal and max;"
        " ±0; ±3 nextafter steps and a dense window (±1e-9, ±1e-4 relative) around each root"
        f" of g′ and each kink. {rng(n64)} float64 inputs per function; float32: that grid cast"
        f" to float32, deduplicated, plus ±3 float32 steps at roots/kinks: {rng(n32)} inputs",
        f"roots of g′ (bisection on the references): {rts}",
        f"reference: mpmath {DPS} digits, formulas from tests/ (reference.py, test_smooth.py,"
        " test_piecewise.py), never actgrad's; float32 against the exact value correctly rounded"
        " to float32. g′ excludes z exactly at a kink.",
        f"bounds: <= {BOUND['float64']:g} ULP float64, <= {BOUND['float32']:g} ULP float32"
        f"   (run took {elapsed:.0f} s, {args.jobs} jobs)",
    ]


def footer(bad_rows: list[tuple[str, list[str]]]) -> list[str]:
    out = []
    if bad_rows:
        out.append("EXCEEDS A BOUND (or not measured):")
        for label, bad in bad_rows:
            for b in bad:
                out.append(f"  {label}: {b}")
    else:
        out.append("all within bounds")
    out.append(f"PyTorch / JAX figures for comparison: {ANCHORS}")
    return out


def plain_table(results: list[dict]) -> list[str]:
    cols = ["function", "g f64", "worst z", "g′ f64", "worst z", "g f32", "worst z",
            "g′ f32", "worst z", "bounds"]
    body = []
    for r in results:
        line = [r["label"]]
        for dtype in ("float64", "float32"):
            for key in ("g", "dg"):
                c = cell(r, dtype, key)
                line += ([fmt_ulp(c["max_ulp"]), c["worst_z_text"] or "—"] if c else
                         ["—", "—"])
        line.append("OVER" if row_over(r) else "ok")
        body.append(line)
    w = [max(len(x[i]) for x in [cols] + body) for i in range(len(cols))]
    right = {1, 3, 5, 7}

    def fmt(line):
        return "  ".join(s.rjust(w[i]) if i in right else s.ljust(w[i])
                         for i, s in enumerate(line)).rstrip()

    return [fmt(cols), fmt(["-" * x for x in w])] + [fmt(x) for x in body]


def markdown_table(results: list[dict]) -> list[str]:
    out = ["| function | g float64 (ULP) | g′ float64 | g float32 | g′ float32 |"
           " worst z (g′ float64) |",
           "|---|---:|---:|---:|---:|---:|"]
    for r in results:
        vals = []
        for dtype in ("float64", "float32"):
            for key in ("g", "dg"):
                c = cell(r, dtype, key)
                v = fmt_ulp(c["max_ulp"]) if c else "—"
                vals.append(f"**{v}**" if c and not c["max_ulp"] <= BOUND[dtype] else v)
        c = cell(r, "float64", "dg")
        wz = c["worst_z_text"] if c and c["worst_z_text"] else "—"
        out.append(f"| {r['label']} | {vals[0]} | {vals[1]} | {vals[2]} | {vals[3]} | {wz} |")
    return out


def jsonable(v):
    if isinstance(v, float) and not math.isfinite(v):
        return "inf" if v > 0 else ("-inf" if v < 0 else "nan")
    if isinstance(v, dict):
        return {k: jsonable(x) for k, x in v.items()}
    if isinstance(v, list):
        return [jsonable(x) for x in v]
    return v


# --------------------------------------------------------------------------


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description="Max ULP error of actgrad's g and g′ (float64, float32) against mpmath.")
    ap.add_argument("--points", type=int, default=DEFAULT_POINTS,
                    help=f"size of the random part of the grid (default {DEFAULT_POINTS:,})")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                    help="worker processes (default: number of CPUs)")
    fmt = ap.add_mutually_exclusive_group()
    fmt.add_argument("--markdown", action="store_true", help="GitHub markdown table")
    fmt.add_argument("--json", action="store_true", help="figures as JSON")
    args = ap.parse_args(argv)
    if args.points < 0 or args.jobs < 1:
        ap.error("--points must be >= 0 and --jobs >= 1")

    t0 = time.perf_counter()
    table = rows()
    log(f"accuracy: {len(table)} rows, {args.points:,} random points, {args.jobs} jobs;"
        " finding the roots of g′ ...")
    tasks, roots = [], {}
    for label, name, params in ((lab, n, p) for n, p, lab in table):
        try:
            kinks = [float(k.at) for k in actgrad.get(name, **params).kinks]
        except Exception:  # noqa: BLE001 - the task reports it
            kinks = []
        rts = g_prime_roots(name, params, kinks)
        roots[label] = rts
        for dtype in ("float64", "float32"):
            tasks.append((label, name, params, dtype, args.points, rts + kinks, kinks))

    done: dict[tuple[str, str], dict] = {}
    if args.jobs == 1:
        it = map(measure, tasks)
        pool = None
    else:
        import multiprocessing as mp
        ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp
        pool = ctx.Pool(args.jobs)
        it = pool.imap_unordered(measure, tasks)
    try:
        for k, res in enumerate(it, 1):
            done[(res["label"], res["dtype"])] = res
            if k % 8 == 0 or k == len(tasks):
                log(f"  {k}/{len(tasks)} (function, dtype) measured, {time.perf_counter() - t0:.0f} s")
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    elapsed = time.perf_counter() - t0

    results = [{"label": lab, "name": n, "params": p,
                "float64": done[(lab, "float64")], "float32": done[(lab, "float32")]}
               for n, p, lab in table]
    bad_rows = [(r["label"], b) for r in results if (b := row_over(r))]

    if args.json:
        doc = {
            "actgrad": getattr(actgrad, "__version__", None),
            "points": args.points, "seed": SEED, "seconds": round(elapsed, 1),
            "reference": f"mpmath {DPS} digits, formulas from tests/",
            "bounds_ulp": BOUND, "roots_of_g_prime": roots,
            "rows": [{"function": r["label"], "name": r["name"], "params": r["params"],
                      "float64": {k: v for k, v in r["float64"].items() if k not in ("label", "dtype")},
                      "float32": {k: v for k, v in r["float32"].items() if k not in ("label", "dtype")},
                      "within_bounds": not row_over(r)} for r in results],
            "exceeded": [f"{lab}: {b}" for lab, bs in bad_rows for b in bs],
            "anchors": ANCHORS,
        }
        print(json.dumps(jsonable(doc), indent=1, ensure_ascii=False))
    elif args.markdown:
        lines = markdown_table(results)
        lines += ["", f"Max error in ULPs over {args.points:,} seeded random z in [−20, 20] plus"
                  " subnormals, tails to ±1.8e308, ±0 and the neighbourhoods of roots of g′ and"
                  f" kinks (g′ away from kinks), against mpmath at {DPS} digits; float32 against the"
                  " exact value correctly rounded to float32. Bounds: 4 ULP (float64), 1 ULP"
                  " (float32). `python benchmarks/accuracy.py --markdown`."]
        lines += [""] + footer(bad_rows)
        print("\n".join(lines))
    else:
        print("\n".join(header_lines(results, args, roots, elapsed) + [""] + plain_table(results)
                        + [""] + footer(bad_rows)))
    log(f"accuracy: done in {elapsed:.0f} s; {'bounds exceeded' if bad_rows else 'all within bounds'}")
    return 1 if bad_rows else 0


if __name__ == "__main__":
    sys.exit(main())
