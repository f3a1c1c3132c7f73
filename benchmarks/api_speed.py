"""The Python API's speed against a naive numpy formula of the same function (issue 15).

For every catalogue function (default parameters), on 1e6 values uniform(−20, 20) in
float64 and in float32: the time of ``f(z)`` + ``f.deriv(z)`` (and of ``f.value_and_deriv(z)``
when there is one) against the time of the naive numpy formula for g and g′ on the same
array (np.exp-based sigmoid, 0.5·z·(1 + tanh(...)) for the tanh gelu, z·σ(z) for silu, ...),
best of --runs, measured side by side in one run (interleaved: each round runs the naive
formula, f + f.deriv and value_and_deriv once). The naive float32 formulas run in
float32 (numpy computes in the input's type). numpy has no erf: the exact gelu's naive
formula uses actgrad.numerics.special.erf (a vectorised fdlibm port, the only erf numpy
reaches without scipy). Imported by benchmarks/run.py (section "API"). ``--before-tree DIR``
times DIR's actgrad (an older source tree, imported as a copy named actgrad_before) in the
same rounds, a paired "before" column; positional arguments restrict the run to those
functions (labels).
"""
from __future__ import annotations

import math
import os
import sys
import time
from typing import Any

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))  # this tree

LAM, ALPHA = 1.0507009873554804934193349852946, 1.6732632423543772848170429916717


def _sig(z):
    return 1.0 / (1.0 + np.exp(-z))


def naive() -> dict:
    from actgrad.numerics.special import erf

    one = lambda z: np.ones_like(z)  # noqa: E731

    def gelu(z):
        return 0.5 * z * (1.0 + erf(z.astype(np.float64) / math.sqrt(2.0)).astype(z.dtype))

    def gelu_d(z):
        phi = 0.5 * (1.0 + erf(z.astype(np.float64) / math.sqrt(2.0)).astype(z.dtype))
        return phi + z * np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)

    c, k = math.sqrt(2 / math.pi), 0.044715

    def gt(z):
        return 0.5 * z * (1.0 + np.tanh(c * (z + k * z**3)))

    def gt_d(z):
        t = np.tanh(c * (z + k * z**3))
        return 0.5 * (1.0 + t) + 0.5 * z * (1.0 - t * t) * c * (1.0 + 3 * k * z * z)

    def mish(z):
        return z * np.tanh(np.log1p(np.exp(z)))

    def mish_d(z):
        t = np.tanh(np.log1p(np.exp(z)))
        return t + z * _sig(z) * (1.0 - t * t)

    def sq(z):
        return 0.5 * (z + np.sqrt(z * z + 4.0))

    def sq_d(z):
        return 0.5 * (1.0 + z / np.sqrt(z * z + 4.0))

    def leaky(s):
        return (lambda z: np.where(z >= 0, z, s * z), lambda z: np.where(z > 0, 1.0, s))

    def tanh_form(k1, k3):  # z/2·(1 + tanh(v)), v = k1·z + k3·z³ (gelu_fast)
        def g(z):
            return 0.5 * z * (1.0 + np.tanh(k1 * z + k3 * z**3))

        def dg(z):
            t = np.tanh(k1 * z + k3 * z**3)
            return 0.5 * (1.0 + t) + 0.5 * z * (1.0 - t * t) * (k1 + 3 * k3 * z * z)
        return g, dg

    def sig_form(k1, k3):  # z·σ(v), v = k1·z + k3·z³ (gelu_approx, quick_gelu)
        def g(z):
            return z * _sig(k1 * z + k3 * z**3)

        def dg(z):
            s = _sig(k1 * z + k3 * z**3)
            return s + z * (k1 + 3 * k3 * z * z) * s * (1.0 - s)
        return g, dg

    def gelu_10(z):
        return np.minimum(gelu(z), 10.0)

    def gelu_10_d(z):
        return np.where(z <= 10, gelu_d(z), 0.0)

    xap, xan, xb, xeps = math.log1p(math.exp(0.2109375)), 0.5 + math.log1p(
        math.exp(-1.046875)), 0.5, -1e-6

    def xielu(z):
        zn = np.minimum(z, xeps)
        return np.where(z > 0, xap * z * z + xb * z, xan * (np.expm1(zn) - z) + xb * z)

    def xielu_d(z):
        return np.where(z > 0, 2 * xap * z + xb,
                        xan * (np.where(z < xeps, np.exp(z), 0.0) - 1.0) + xb)

    def log1mexp(z):
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.log(-np.expm1(-z))

    def log1mexp_d(z):
        with np.errstate(divide="ignore"):
            return 1.0 / np.expm1(z)

    mu, sg = 0.707107, 0.282095

    def laplace(z):
        u = (z - mu) / (sg * math.sqrt(2.0))
        return 0.5 * (1.0 + erf(u.astype(np.float64)).astype(z.dtype))

    def laplace_d(z):
        u = (z - mu) / sg
        return np.exp(-0.5 * u * u) / (sg * math.sqrt(2 * math.pi))

    return {
        "sigmoid": (_sig, lambda z: (lambda s: s * (1 - s))(_sig(z))),
        "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
        "relu": (lambda z: np.maximum(z, 0), lambda z: (z > 0).astype(z.dtype)),
        "leaky_relu": leaky(0.01),
        "elu": (lambda z: np.where(z > 0, z, np.expm1(z)),
                lambda z: np.where(z > 0, 1.0, np.exp(z))),
        "selu": (lambda z: LAM * np.where(z > 0, z, ALPHA * np.expm1(z)),
                 lambda z: LAM * np.where(z > 0, 1.0, ALPHA * np.exp(z))),
        "celu": (lambda z: np.where(z > 0, z, np.expm1(z)),
                 lambda z: np.where(z > 0, 1.0, np.exp(z))),
        "gelu": (gelu, gelu_d),
        "gelu tanh": (gt, gt_d),
        "silu": (lambda z: z * _sig(z), lambda z: (lambda s: s * (1 + z * (1 - s)))(_sig(z))),
        "mish": (mish, mish_d),
        "softplus": (lambda z: np.log1p(np.exp(z)), _sig),
        "softsign": (lambda z: z / (1 + np.abs(z)), lambda z: 1 / (1 + np.abs(z)) ** 2),
        "log_sigmoid": (lambda z: -np.log1p(np.exp(-z)), lambda z: 1 - _sig(z)),
        "tanhshrink": (lambda z: z - np.tanh(z), lambda z: np.tanh(z) ** 2),
        "squareplus": (sq, sq_d),
        "identity": (lambda z: z.copy(), one),
        "relu6": (lambda z: np.clip(z, 0, 6), lambda z: ((z > 0) & (z < 6)).astype(z.dtype)),
        "prelu": leaky(0.25),
        "rrelu": leaky((1 / 8 + 1 / 3) / 2),
        "hard_sigmoid": (lambda z: np.clip(z / 6 + 0.5, 0, 1),
                         lambda z: np.where(np.abs(z) < 3, 1 / 6, 0.0)),
        "hard_swish": (lambda z: z * np.clip(z + 3, 0, 6) / 6,
                       lambda z: np.where(z < -3, 0.0, np.where(z > 3, 1.0, (2 * z + 3) / 6))),
        "hard_tanh": (lambda z: np.clip(z, -1, 1), lambda z: (np.abs(z) < 1).astype(z.dtype)),
        "softshrink": (lambda z: np.where(z > 0.5, z - 0.5, np.where(z < -0.5, z + 0.5, 0.0)),
                       lambda z: (np.abs(z) > 0.5).astype(z.dtype)),
        "hardshrink": (lambda z: np.where(np.abs(z) > 0.5, z, 0.0),
                       lambda z: (np.abs(z) > 0.5).astype(z.dtype)),
        "threshold": (lambda z: np.where(z > 0, z, 0.0), lambda z: (z > 0).astype(z.dtype)),
        "sparse_plus": (lambda z: np.where(z <= -1, 0.0, np.where(z >= 1, z, (z + 1) ** 2 / 4)),
                        lambda z: np.where(z <= -1, 0.0, np.where(z >= 1, 1.0, (z + 1) / 2))),
        "sparse_sigmoid": (lambda z: np.clip((z + 1) / 2, 0, 1),
                           lambda z: np.where(np.abs(z) < 1, 0.5, 0.0)),
        "gelu_fast": tanh_form(0.7978845608, 0.7978845608 * 0.044715),
        "gelu_approx": sig_form(1.60033, 1.60033 * 0.0433603),
        "gelu_10": (gelu_10, gelu_10_d),
        "xielu": (xielu, xielu_d),
        "exponential": (np.exp, np.exp),
        "log1mexp": (log1mexp, log1mexp_d),
        "quick_gelu": sig_form(1.702, 0.0),
        "laplace": (laplace, laplace_d),
        "relu2": (lambda z: np.maximum(z, 0) ** 2, lambda z: 2 * np.maximum(z, 0)),
        "hard_mish": (lambda z: 0.5 * z * np.clip(z + 2, 0, 2),
                      lambda z: np.where(z < -2, 0.0, np.where(z > 0, 1.0, z + 1))),
        "step": (lambda z: (z > 0).astype(z.dtype), np.zeros_like),
    }


#: the functions whose accuracy needs extended-precision steps: target 4x, else 2x. gelu
#: and mish by the issue; gelu_10 is gelu's forms clipped; laplace is Φ((z − μ)/σ), whose
#: argument is carried as a double-double as gelu's is (erfc magnifies its rounding by
#: 2x²); xielu's z <= 0 piece α_n(expm1(z) − z) + βz cancels at its root and E(z) =
#: expm1(z) − z is a double-double series (its 0.50 ULP rests on that).
EXTENDED = ("gelu", "mish", "gelu_10", "laplace", "xielu")


def naive_pair(g, dg, z):
    with np.errstate(over="ignore"):  # (np.exp(−z) overflows in float32 for z < −88)
        return g(z), dg(z)


def interleaved(fns, runs: int) -> list[float]:
    """The best time of each of fns over `runs` rounds, one run of each per round, so that
    a change of the machine's load hits them all alike."""
    ts = [math.inf] * len(fns)
    for _ in range(runs):
        for i, fn in enumerate(fns):
            t0 = time.perf_counter()
            fn()
            ts[i] = min(ts[i], time.perf_counter() - t0)
    return ts


def before_module(tree: str):
    """The actgrad package of another source tree (its actgrad/ directory copied to a
    temporary directory as ``actgrad_before``: its imports are relative), so that its API
    runs in this process, in the same rounds as this tree's."""
    import importlib
    import shutil
    import tempfile

    tmp = tempfile.mkdtemp(prefix="actgrad_before_")
    shutil.copytree(os.path.join(tree, "actgrad"), os.path.join(tmp, "actgrad_before"),
                    ignore=shutil.ignore_patterns("__pycache__"))
    sys.path.insert(0, tmp)
    return importlib.import_module("actgrad_before")


def bench(n: int = 10**6, runs: int = 5, only: list[str] | None = None,
          before: Any = None) -> list[dict]:
    """One row per (function, dtype); with `before` (before_module's package) also the
    ratio of that code's API, timed in the same rounds (``before_ratio``)."""
    import actgrad

    rows = []
    rng = np.random.default_rng(15)
    z64 = rng.uniform(-20, 20, n)
    for label, (g, dg) in naive().items():
        if only and label not in only:
            continue
        name, *rest = label.split()
        f = actgrad.get(name, **({"approximate": rest[0]} if rest else {}))
        for dt in (np.float64, np.float32):
            z = z64.astype(dt)
            vd = getattr(f, "value_and_deriv", None)
            fns = [lambda: naive_pair(g, dg, z), lambda: (f(z), f.deriv(z))]
            if vd:
                fns.append(lambda: vd(z))
            if before is not None:
                fb = before.get(name, **({"approximate": rest[0]} if rest else {}))
                fns.append(lambda: (fb(z), fb.deriv(z)))
                if getattr(fb, "value_and_deriv", None):
                    fns.append(lambda: fb.value_and_deriv(z))
            ts = interleaved(fns, runs)
            t_naive, t_api = ts[0], ts[1]
            t_vd = ts[2] if vd else None
            target = 4.0 if label in EXTENDED else 2.0
            t = min(t_api, t_vd) if t_vd else t_api
            row = {"function": label, "dtype": np.dtype(dt).name, "naive_s": t_naive,
                   "api_s": t_api, "value_and_deriv_s": t_vd, "ratio": t / t_naive,
                   "target": target, "pass": t / t_naive <= target}
            if before is not None:
                row["before_ratio"] = min(ts[3 if vd else 2:]) / t_naive
            rows.append(row)
    return rows


def print_table(rows: list[dict]) -> None:
    before = any("before_ratio" in r for r in rows)
    print(f"{'function':15} {'dtype':7} {'naive':>8} {'f+deriv':>8} {'v_and_d':>8}"
          f"{' before' if before else ''} {'ratio':>6} {'target':>6}  pass")
    for r in rows:
        vd = "-" if r["value_and_deriv_s"] is None else f"{r['value_and_deriv_s']*1e3:.1f}ms"
        b = f" {r['before_ratio']:5.2f}x" if before else ""
        print(f"{r['function']:15} {r['dtype']:7} {r['naive_s']*1e3:6.1f}ms"
              f" {r['api_s']*1e3:6.1f}ms {vd:>8}{b} {r['ratio']:5.2f}x {r['target']:5.1f}x"
              f"  {'pass' if r['pass'] else 'FAIL'}")


def small_form_errors(n: int = 4000, seed: int = 3) -> list[dict]:
    """The float64 error (in ULP, against mpmath at 40 digits) of every cheaper form the
    registry uses for float32 and smaller types, on float32 inputs (uniform on [−20, 20], on
    [−3, 1] around the roots of g′, and random float32 bit patterns), beside the bound the
    boundary test assumes (``small.ulp``). Results below 2^−200 are left out: there the
    forms' comment argues the sign and the rounding to 0 instead; so are results beyond
    2^200 of the exact value's sign (both round to that ±inf in every small type)."""
    import mpmath

    import actgrad

    mpmath.mp.dps = 40
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 2**32, n, dtype=np.uint64).astype(np.uint32).view(np.float32)
    z32 = np.concatenate([rng.uniform(-20, 20, n), rng.uniform(-3, 1, n),
                          bits[np.isfinite(bits)]]).astype(np.float32)
    z = z32.astype(np.float64)
    rows = []
    for name, kw in (("sigmoid", {}), ("silu", {}), ("mish", {}), ("gelu", {"approximate": "tanh"}),
                     ("softplus", {}), ("tanh", {}), ("softsign", {}), ("squareplus", {}),
                     ("exponential", {}), ("gelu_fast", {}), ("gelu_approx", {}),
                     ("quick_gelu", {}), ("xielu", {})):
        f = actgrad.get(name, **kw)
        p = dict(f.params)
        for what, fn, exact in (("g", f.spec.g, f.spec.exact), ("g′", f.spec.dg, f.spec.exact_dg)):
            small = getattr(fn, "small", None)
            if small is None:
                continue
            with np.errstate(all="ignore"):
                r = small(z.copy(), p)
            worst, at = 0.0, None
            for zi, ri in zip(z.tolist(), r.tolist()):
                ex = exact(mpmath.mpf(zi), p, mpmath)
                if abs(ex) < mpmath.mpf(2) ** -200 or not math.isfinite(ri):
                    continue
                if abs(ex) > 2.0**200 and abs(ri) > 2.0**200 and (ex > 0) == (ri > 0):
                    continue  # both round to the same ±inf in every small type
                ulp = mpmath.mpf(2) ** (mpmath.floor(mpmath.log(abs(ex), 2)) - 52)
                e = float(abs(ri - ex) / ulp)
                if e > worst:
                    worst, at = e, zi
            rows.append({"function": name + (" tanh" if kw else ""), "what": what,
                         "max_ulp": worst, "worst_z": at, "bound": small.ulp})
    return rows


if __name__ == "__main__":
    import argparse
    import sys

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("-n", type=float, default=1e6)
    ap.add_argument("--errors", action="store_true",
                    help="instead: the cheaper float32 forms' errors against mpmath")
    ap.add_argument("--before-tree", metavar="DIR",
                    help="also time DIR's actgrad (an older source tree) in the same rounds:"
                         " column 'before', its ratio to the same naive time")
    ap.add_argument("only", nargs="*", help="functions (labels) to run, default all")
    a = ap.parse_args()
    if a.errors:
        print(f"{'function':12} {'':3} {'max ULP':>10} {'at z':>24} {'bound':>7}")
        for r in small_form_errors():
            print(f"{r['function']:12} {r['what']:3} {r['max_ulp']:10.2f} {r['worst_z']!r:>24}"
                  f" {r['bound']:7.0f}")
        sys.exit(0)
    rows = bench(int(a.n), a.runs, a.only,
                 before_module(a.before_tree) if a.before_tree else None)
    print_table(rows)
    sys.exit(0)
