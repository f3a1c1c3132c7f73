#!/usr/bin/env python3
"""Per-function accuracy table: max error in ULPs of g, g′ and g″, float64 and float32.

Usage:  python benchmarks/accuracy.py [--points N] [--second-points M] [--jobs J]
                                      [--markdown | --json]

For every function in ``actgrad.names()`` (default parameters, catalogue order), plus
gelu with ``approximate="tanh"`` as its own row, the script measures the largest error
of ``f(z)`` and ``f.deriv(z)`` in ULPs over a stress grid, in float64 and in float32,
and the input z where it occurs; and the same for g″ (``f.deriv(z, order=2)``) on
benchmarks/second_accuracy.py's grid against its references (see "g″" below). Exit status 1
if any figure exceeds its bound (g, g′: float64 <= 4 ULP, float32 <= 1 ULP; g″: 4 ULP and
0.5 ULP), if a function has no reference in tests/ or if actgrad raises or returns the wrong
dtype; else 0. Progress goes to stderr.

References
----------
Independent of actgrad's code: never its ``spec.exact`` / ``exact_dg`` or its output.
All come from one place, tests/reference.py (mpmath at 60 significant digits, written from
the definitions): ``pair(name, params)`` -> (g, g′) for every catalogue function
(``CATALOGUE_REFS``), and the exact rounding / ULP helpers ``prepare``, ``ulp_error``. The
grid's switch points come from tests/stress.py (``SWITCHES``, ``roots``, ``centres``), the
same tables the suite's tests/test_catalogue.py uses on a smaller grid. Both are imported by
putting the repository's ``tests/`` directory at the front of ``sys.path`` (as pytest does);
the repository root goes there too, so the working tree's actgrad is the one measured.

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
* around every centre (each switch point of the function's code, tests/stress.py
  ``SWITCHES``: thresholds of ``np.where``, clipping bounds, ranges of fitted polynomials,
  the switch points of numpy's exp/expm1/tanh, where e^t turns subnormal; its kinks and
  breaks; the roots of g′, found from the reference by sign changes on a 0.1 grid of
  [−20, 20] and bisection to adjacent floats; and ``FOUND``, inputs where another search
  found a larger error): c and ±``--steps`` (48) nextafter steps,
  and 48 seeded uniform points within ±1e-9·max(1, |c|) and 48 within ±1e-4·max(1, |c|);
* then hill climbing: from each of the ``--climb`` (6) worst inputs of g and of g′, rounds
  of candidates (the ±2^j ULP neighbours, j = 0 .. p−1, and 72 seeded random points at
  distances 2^(0.15p) .. 2^(0.87p) ULP), moving to the worst candidate while the error
  grows, until 3 rounds in a row bring nothing (at most 40); every point visited counts.

g′ is measured away from kinks only: inputs exactly equal to a kink (both zeros for a
kink at 0) are left out; the value there is a convention (``--kink``), tested in tests/.
g is measured everywhere. Duplicates are removed by bit pattern (−0 and +0 both kept).

float32 grid: the float64 grid cast to float32 (finite values, deduplicated), plus the
float32 smallest subnormal and largest finite magnitudes and ±``--steps`` float32 nextafter
steps around each centre (float64 neighbours collapse onto the point in float32); hill
climbing in float32 steps.

g″
--
Measured by benchmarks/second_accuracy.py's ``grid`` and ``measure`` (imported, not copied):
the grid of tests/test_second.py (±0, subnormals, the code's switch points and the roots of g″
and g′ with their float neighbours, tails) plus, seeded, ``--second-points`` (1000) normal(0, 3)
points, as many log-uniform magnitudes in [1e-300, 1e3] of both signs, points within ±1e-3 of
each root of g″ and in the ranges where g″ turns subnormal; the jumps of g″ left out (their
conventions are tested in tests/test_second.py); reference tests/reference.py's ``second``
(sech²/tanh forms in mpmath). No hill climbing. float32: the grid cast to float32, against
the exact g″ at the float32 input correctly rounded (bound 0.5 ULP: correctly rounded).

Floating-point warnings raised inside actgrad are silenced here (tests/ check them);
nothing is cached on disk. Work is spread over ``--jobs`` processes (default: the number
of CPUs), one task per (function, dtype); results do not depend on the number of jobs.
The float64 figures depend a little on the libm/SIMD kernels numpy dispatches to (exp,
log1p, tanh, expm1): they are measured on one machine, and the bound is what is promised.

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
for _p in (ROOT, TESTS):  # tests/ first: reference.py, stress.py (and conftest.py)
    if _p in sys.path:
        sys.path.remove(_p)
    sys.path.insert(0, _p)

import mpmath  # noqa: E402
import numpy as np  # noqa: E402
from mpmath import mpf  # noqa: E402

import reference as ref  # noqa: E402  (tests/reference.py)
import second_accuracy as second  # noqa: E402  (benchmarks/second_accuracy.py: g″'s grid)
import stress  # noqa: E402  (tests/stress.py)

import actgrad  # noqa: E402

DPS = 60
BOUND = {"float64": 4.0, "float32": 1.0}
DTYPES = {"float64": np.float64, "float32": np.float32}
SEED = 20261127
DEFAULT_POINTS = 60_000
DEFAULT_SECOND_POINTS = 1000
DEFAULT_STEPS = 48
DEFAULT_CLIMB = 6
MAX_MOVES = 40
PATIENCE = 3
LOG_PER_DECADE = 4
ANCHORS = "../shared/anchors/accuracy.md"
#: inputs where other searches found an error above this grid's maximum (treated as centres):
#: gelu_fast's g, 1.418 ULP, in a sample of 900,000 values (uniform, log-uniform and around
#: the switches) compared between two versions of its code, 2026-12-02
FOUND = {"gelu_fast": [-7.808513503022905]}


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
        if name == "silu":  # TensorFlow's beta: t = βz as a double-double
            out.append(("silu", {"beta": 1.702}, "silu (beta=1.702)"))
        if name == "hard_sigmoid":  # tinygrad's alpha, beta; ONNX's and Keras 2's 0.2
            out.append(("hard_sigmoid", {"alpha": 0.2}, "hard_sigmoid (alpha=0.2)"))
    return out


def reference_pair(name: str, params: dict):
    """A callable x (float) -> (g, g′) as exact-ish mpf at 60 digits, from
    tests/reference.py; or None when there is no reference for the function."""
    return ref.pair(name, params) if ref.has_reference(name) else None


# --------------------------------------------------------------------------
# grids


def _steps(c: float, n: int, dt) -> list:
    return stress.neighbours(c, n, dt)


def _unique_sorted(z: np.ndarray) -> np.ndarray:
    """Finite values, deduplicated by bit pattern (−0 and +0 both kept), in increasing
    order (−0 before +0)."""
    z = z[np.isfinite(z)]
    ui = np.uint64 if z.dtype == np.float64 else np.uint32
    z = np.unique(z.view(ui)).view(z.dtype)
    order = np.lexsort((~np.signbit(z), z))
    return z[order]


def grid64(points: int, centres: list[float], steps: int = DEFAULT_STEPS) -> np.ndarray:
    rng = np.random.default_rng(SEED)
    ndec = 308 + 320
    mags = np.concatenate([np.logspace(-320.0, 308.0, LOG_PER_DECADE * ndec + 1),
                           [5e-324, float(np.finfo(np.float64).max)]])
    parts = [rng.uniform(-20.0, 20.0, points), np.linspace(-20.0, 20.0, 801),
             mags, -mags, [0.0, -0.0]]
    wrng = np.random.default_rng(SEED + 1)
    for c in centres:
        w = max(1.0, abs(c))
        parts += [_steps(c, steps, np.float64),
                  c + wrng.uniform(-1e-9 * w, 1e-9 * w, 48),
                  c + wrng.uniform(-1e-4 * w, 1e-4 * w, 48)]
    return _unique_sorted(np.concatenate([np.asarray(p, dtype=np.float64) for p in parts]))


def grid32(z64: np.ndarray, centres: list[float], steps: int = DEFAULT_STEPS) -> np.ndarray:
    fi = np.finfo(np.float32)
    with np.errstate(over="ignore", under="ignore"):
        z = z64.astype(np.float32)
        extra = [np.array([fi.smallest_subnormal, -fi.smallest_subnormal, fi.max, -fi.max],
                          dtype=np.float32)]
        for c in centres:
            extra.append(np.array(_steps(np.float32(c), steps, np.float32), dtype=np.float32))
    return _unique_sorted(np.concatenate([z] + extra))


# --------------------------------------------------------------------------
# one task: one function, one dtype


_INT = {"float64": (np.int64, 0x7FFF_FFFF_FFFF_FFFF, 53), "float32": (np.int32, 0x7FFF_FFFF, 24)}


def _to_ord(x, dtype_name: str) -> int:
    """The float's position on the number line: consecutive floats differ by 1 (±0 -> 0)."""
    it, mask, _ = _INT[dtype_name]
    b = int(np.array([x], dtype=DTYPES[dtype_name]).view(it)[0])
    return b if b >= 0 else -(b & mask)


def _from_ord(o: int, dtype_name: str):
    it, mask, _ = _INT[dtype_name]
    b = o if o >= 0 else (-o) | (mask + 1)
    return np.array([b], dtype=np.uint64 if it is np.int64 else np.uint32).view(
        DTYPES[dtype_name])[0]


def climb(fn, exact_one, start, err0: float, dtype_name: str, kinks: list[float]):
    """Stochastic hill climbing from ``start``: each round tries the ±2^j ULP neighbours
    (j = 0 .. p−1) and 12 seeded random points at each of six scales (2^(0.15p) .. 2^(0.87p)
    ULP), and moves to the worst candidate if it beats the worst seen; it stops after
    ``PATIENCE`` rounds in a row without a gain or ``MAX_MOVES`` rounds. Returns (error, z,
    got, correctly rounded) of the worst point seen and the number of points evaluated."""
    dt = DTYPES[dtype_name]
    top = _to_ord(np.finfo(dt).max, dtype_name)
    p = _INT[dtype_name][2]
    scales = [round(p * f) for f in (0.15, 0.3, 0.45, 0.6, 0.75, 0.87)]
    cur = _to_ord(start, dtype_name)
    rng = np.random.default_rng(abs(cur) % (2**32))
    best, seen, n, idle = (err0, start, None, None), {cur}, 0, 0
    for _ in range(MAX_MOVES):
        offs = [sgn * (1 << j) for j in range(p) for sgn in (1, -1)]
        offs += [int(rng.integers(-(1 << k), 1 << k)) for k in scales for _ in range(12)]
        cands = []
        for off in offs:
            o = cur + off
            if -top <= o <= top and o not in seen:
                seen.add(o)
                c = _from_ord(o, dtype_name)
                if float(c) not in kinks:
                    cands.append(c)
        if not cands:
            break
        zc = np.array(cands, dtype=dt)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with np.errstate(all="ignore"):
                got = np.asarray(fn(zc))
        prep = ref.prepare([exact_one(float(x)) for x in zc.tolist()], dt)
        err = ref.ulp_error(got, prep, dt)
        n += zc.size
        i = int(np.argmax(err))
        if err[i] > best[0]:
            best = (float(err[i]), zc[i], float(got[i]), float(prep.rounded[i]))
            cur, idle = _to_ord(zc[i], dtype_name), 0
        else:
            idle += 1
            if idle >= PATIENCE:
                break
    return best, n


def measure(task) -> dict:
    label, name, params, dtype_name, points, centres, kinks, steps, nclimb, points2 = task
    t0 = time.perf_counter()
    dt = DTYPES[dtype_name]
    out = {"label": label, "dtype": dtype_name, "error": None}
    pair = reference_pair(name, params)
    if pair is None:
        out["error"] = "no reference in tests/reference.py"
        return out
    z = grid64(points, centres, steps)
    if dtype_name == "float32":
        z = grid32(z, centres, steps)
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

    for key, zz, got, prep, fn, comp in (("g", z, got_g, prep_g, f, 0),
                                         ("dg", zd, got_d, prep_d, f.deriv, 1)):
        err = ref.ulp_error(got, prep, dt)
        i = int(np.argmax(err))
        worst, wz, wgot, wround = float(err[i]), zz[i], float(got[i]), float(prep.rounded[i])
        grid_worst, climbed = worst, 0
        order = np.argsort(-err, kind="stable")[:nclimb]
        for j in order:
            if not err[j] > 0:
                break
            (e2, z2, g2, r2), n = climb(fn, lambda x, c=comp: pair(x)[c], zz[j], float(err[j]),
                                        dtype_name, kinks if key == "dg" else [])
            climbed += n
            if e2 > worst:
                worst, wz, wgot, wround = e2, z2, g2, r2
        out[key] = {
            "max_ulp": worst,
            "grid_max_ulp": grid_worst,
            "worst_z": float(wz) if worst > 0 else None,
            "worst_z_text": (str(wz) if dtype_name == "float32" else repr(float(wz)))
            if worst > 0 else None,
            "got": wgot if worst > 0 else None,
            "exact_rounded": wround if worst > 0 else None,
            "points": int(zz.size),
            "climbed": climbed,
            "over": int(np.sum(err > BOUND[dtype_name])),
        }
    try:
        out["d2g"] = measure_second(name, params, dtype_name, points2)
    except Exception as e:  # noqa: BLE001 - reported in the table
        out["error"] = f"g″: actgrad raised {type(e).__name__}: {e}"
    out["seconds"] = time.perf_counter() - t0
    return out


def measure_second(name: str, params: dict, dtype_name: str, points: int) -> dict:
    """g″'s max ULP error and worst z on second_accuracy's grid (its ``measure``)."""
    z = second.grid(second.T._label((name, params)), points)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            err, wz, n = second.measure(name, params, z, DTYPES[dtype_name])
    text = str(np.float32(wz)) if dtype_name == "float32" else repr(wz)
    return {"max_ulp": err, "worst_z": wz if err > 0 else None,
            "worst_z_text": text if err > 0 else None, "points": n}


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
        if not r["d2g"]["max_ulp"] <= second.BOUND[dtype]:
            bad.append(f"g″ {dtype} {fmt_ulp(r['d2g']['max_ulp'])} ULP at "
                       f"z={r['d2g']['worst_z_text']}")
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
        f" ±0; ±{args.steps} nextafter steps and a dense window (±1e-9, ±1e-4 relative) around"
        " every switch point of the code (tests/stress.py), kink, break and root of g′."
        f" {rng(n64)} float64 inputs per function; float32: that grid cast to float32,"
        f" deduplicated, plus ±{args.steps} float32 steps at the same points: {rng(n32)} inputs;"
        f" then stochastic hill climbing from the {args.climb} worst inputs of g and g′",
        f"roots of g′ (bisection on the references): {rts}",
        f"reference: mpmath {DPS} digits, formulas from tests/reference.py, never actgrad's;"
        " float32 against the exact value correctly rounded to float32. g′ excludes z exactly"
        " at a kink.",
        f"g″: benchmarks/second_accuracy.py's grid ({args.second_points:,} seeded points per part),"
        " its references (tests/reference.py's second), no hill climbing; jumps of g″ left out",
        f"bounds: <= {BOUND['float64']:g} ULP float64, <= {BOUND['float32']:g} ULP float32"
        f" (g″: {second.BOUND['float64']:g}, {second.BOUND['float32']:g})"
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


def plain_table2(results: list[dict]) -> list[str]:
    """g″: max ULP and worst z, float64 and float32."""
    cols = ["function", "g″ f64", "worst z", "g″ f32", "worst z", "points f64"]
    body = []
    for r in results:
        line = [r["label"]]
        for dtype in ("float64", "float32"):
            c = cell(r, dtype, "d2g")
            line += [fmt_ulp(c["max_ulp"]), c["worst_z_text"] or "—"] if c else ["—", "—"]
        c = cell(r, "float64", "d2g")
        line.append(f"{c['points']:,}" if c else "—")
        body.append(line)
    w = [max(len(x[i]) for x in [cols] + body) for i in range(len(cols))]
    right = {1, 3, 5}

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


def markdown_table2(results: list[dict]) -> list[str]:
    """g″: max ULP and worst z, float64 and float32 (a table of its own: 80 columns)."""
    out = ["| function | g″ float64 (ULP) | worst z | g″ float32 | worst z |",
           "|---|---:|---:|---:|---:|"]
    for r in results:
        vals = []
        for dtype in ("float64", "float32"):
            c = cell(r, dtype, "d2g")
            v = fmt_ulp(c["max_ulp"]) if c else "—"
            vals += [f"**{v}**" if c and not c["max_ulp"] <= second.BOUND[dtype] else v,
                     (c["worst_z_text"] or "—") if c else "—"]
        out.append(f"| {r['label']} | " + " | ".join(vals) + " |")
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
    ap.add_argument("--second-points", type=int, default=DEFAULT_SECOND_POINTS,
                    help="size of each random part of g″'s grid (benchmarks/second_accuracy.py;"
                    f" default {DEFAULT_SECOND_POINTS:,})")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                    help="worker processes (default: number of CPUs)")
    ap.add_argument("--steps", type=int, default=DEFAULT_STEPS,
                    help=f"nextafter steps each side of every centre (default {DEFAULT_STEPS})")
    ap.add_argument("--climb", type=int, default=DEFAULT_CLIMB,
                    help=f"hill climbs from the worst points, per g / g′ (default {DEFAULT_CLIMB};"
                    " 0: none)")
    ap.add_argument("--only", nargs="*", metavar="LABEL",
                    help="measure only these rows (labels as in the table)")
    fmt = ap.add_mutually_exclusive_group()
    fmt.add_argument("--markdown", action="store_true", help="GitHub markdown table")
    fmt.add_argument("--json", action="store_true", help="figures as JSON")
    args = ap.parse_args(argv)
    if (args.points < 0 or args.second_points < 0 or args.jobs < 1 or args.steps < 0
            or args.climb < 0):
        ap.error("--points, --second-points, --steps and --climb must be >= 0 and --jobs >= 1")

    t0 = time.perf_counter()
    table = rows()
    if args.only:
        table = [r for r in table if r[2] in args.only]
    log(f"accuracy: {len(table)} rows, {args.points:,} random points, {args.jobs} jobs;"
        " finding the roots of g′ ...")
    tasks, roots = [], {}
    for label, name, params in ((lab, n, p) for n, p, lab in table):
        try:
            kinks = [float(k.at) for k in actgrad.get(name, **params).kinks]
        except Exception:  # noqa: BLE001 - the task reports it
            kinks = []
        if not ref.has_reference(name) or name not in stress.SWITCHES:
            rts, cs = [], kinks
        else:
            rts = list(stress.roots(name, params, kinks))
            cs = stress.centres(name, params)
        if not params:
            cs = [*cs, *FOUND.get(name, ())]
        roots[label] = rts
        for dtype in ("float64", "float32"):
            tasks.append((label, name, params, dtype, args.points, cs, kinks, args.steps,
                          args.climb, args.second_points))

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
            "reference": f"mpmath {DPS} digits, formulas from tests/reference.py",
            "steps": args.steps, "climb": args.climb, "second_points": args.second_points,
            "bounds_ulp": BOUND, "bounds_ulp_g2": second.BOUND, "roots_of_g_prime": roots,
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
                  " subnormals, tails to ±1.8e308, ±0, ±"
                  f"{args.steps} nextafter steps around every switch point of the code, kink and"
                  " root of g′, and hill climbing from the worst points found (g′ away from"
                  f" kinks), against mpmath at {DPS} digits; float32 against the exact value"
                  " correctly rounded to float32. Bounds: 4 ULP (float64), 1 ULP (float32)."
                  " `python benchmarks/accuracy.py --markdown`."]
        lines += ["", "g″:", ""] + markdown_table2(results)
        lines += ["", f"g″ on benchmarks/second_accuracy.py's grid ({args.second_points:,} seeded"
                  " points per random part; tests/test_second.py's stress grid, roots of g″,"
                  " the ranges where g″ turns subnormal), jumps of g″ left out, against"
                  " tests/reference.py's second; no hill climbing. Bounds: 4 ULP (float64),"
                  " 0.5 ULP (float32: correctly rounded)."]
        lines += [""] + footer(bad_rows)
        print("\n".join(lines))
    else:
        print("\n".join(header_lines(results, args, roots, elapsed) + [""] + plain_table(results)
                        + [""] + plain_table2(results) + [""] + footer(bad_rows)))
    log(f"accuracy: done in {elapsed:.0f} s; {'bounds exceeded' if bad_rows else 'all within bounds'}")
    return 1 if bad_rows else 0


if __name__ == "__main__":
    sys.exit(main())
