#!/usr/bin/env python3
"""g″ through PyTorch's and JAX's double backward, in the tails and at the jumps of g″,
beside the exact value and actgrad's.

Usage:  python benchmarks/frameworks_second.py [--markdown] [--no-sweep]

Runs with whichever of torch and jax imports (each is skipped with a message when missing;
neither is a dependency of actgrad: use a scratch venv with ``pip install torch jax jaxlib
numpy mpmath python-flint``, a CPU build of torch is enough). Prints the versions it
measured.

* g″ by double backward: PyTorch ``torch.autograd.grad(g(x).sum(), x, create_graph=True)``
  and then the gradient of that sum again; JAX ``jax.vmap(jax.grad(jax.grad(g)))`` with
  ``jax_enable_x64``; in float64 and float32 (inputs of that dtype). Each framework's own
  function at its defaults (PyTorch's softplus has threshold=20, so it is linear beyond 20).
* exact: mpmath at 80 digits, from the sech²/tanh forms written out below (``EXACT``; not
  actgrad's code), checked at start-up against ``mpmath.diff`` of g itself. ULP errors against
  the exact value correctly rounded to the dtype (tests/reference.py's ``ulp_error``, the
  suite's rounding helper; it computes no g″).
* actgrad: ``actgrad.get(name, **params).deriv(z, order=2)`` from this working tree.
* tail points: sigmoid″(40), tanh″(20), silu″(40.41), log_sigmoid″(±40), softplus″(40), and
  one point in the tail of each other function.
* sweep (``--no-sweep`` skips it): z = ±k/64, k = 1 .. 64000 (out to ±1000), outward from 0;
  the first z where g″ is 0 while the exact value rounded to the dtype is not, or has the
  wrong sign, or is not finite. The walk stops where the exact value itself rounds to 0.
* jumps: every kink of g′ and jump of g″ that actgrad records (``kinks`` and ``kinks2``,
  default parameters and alpha ≠ 1, a finite softplus threshold): the frameworks' double
  backward there (float64) beside actgrad's ``deriv(z, kink="pytorch"/"jax", order=2)``.
  Exit status 1 if one of those disagrees, else 0.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[:0] = [ROOT, os.path.join(ROOT, "tests")]

import mpmath  # noqa: E402
from mpmath import mpf  # noqa: E402

import actgrad  # noqa: E402
import reference as R  # noqa: E402  (tests/reference.py: round_to, ulp_error only)

DPS = 80
STEP = 1 / 64
STEPS = 64000

try:
    import torch
    import torch.nn.functional as F
except ImportError as e:  # pragma: no cover - depends on the machine
    torch = None
    TORCH_MISSING = str(e)
try:
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
except ImportError as e:  # pragma: no cover
    jax = None
    JAX_MISSING = str(e)


# --------------------------------------------------------------------------
# exact g″ in mpmath (independent of actgrad: the sech²/tanh forms)

# decimal strings, made mpf at the working precision (an mpf made at import has 53 bits)
SELU_L = "1.0507009873554804934193349852946"
SELU_A = "1.6732632423543772848170429916717"
GELU_K = "0.044715"


def _lam_alpha():
    return mpf(SELU_L) * mpf(SELU_A)


def _s1(x):  # σ′(x) = sech²(x/2)/4
    return mpmath.sech(x / 2) ** 2 / 4


def _s2(x):  # σ″(x) = −tanh(x/2)·σ′(x)
    return -mpmath.tanh(x / 2) * _s1(x)


def _gelu_tanh2(x):
    c = mpmath.sqrt(2 / mpmath.pi)
    k = mpf(GELU_K)
    u = 2 * c * (x + k * x**3)  # 0.5·(1 + tanh(u/2)) = σ(u)
    du, ddu = 2 * c * (1 + 3 * k * x**2), 12 * c * k * x
    return 2 * _s1(u) * du + x * _s2(u) * du**2 + x * _s1(u) * ddu


def _mish2(x):
    sp = mpmath.log1p(mpmath.exp(x))
    t, s = mpmath.tanh(sp), mpmath.sech(sp) ** 2
    sig = 1 / (1 + mpmath.exp(-x))
    return s * (2 * sig + x * (_s1(x) - 2 * t * sig**2))


def _neg(f):
    return lambda x, p: f(x, p) if x < 0 else mpf(0)


EXACT = {
    "sigmoid": lambda x, p: _s2(x),
    "tanh": lambda x, p: -2 * mpmath.tanh(x) * mpmath.sech(x) ** 2,
    "silu": lambda x, p: _s1(x) * (2 - x * mpmath.tanh(x / 2)),
    "log_sigmoid": lambda x, p: -_s1(x),
    "softplus": lambda x, p: _s1(x),
    "gelu": lambda x, p: (mpmath.exp(-x * x / 2) / mpmath.sqrt(2 * mpmath.pi) * (2 - x * x)
                          if p.get("approximate", "none") == "none" else _gelu_tanh2(x)),
    "mish": lambda x, p: _mish2(x),
    "elu": _neg(lambda x, p: p.get("alpha", 1) * mpmath.exp(x)),
    "selu": _neg(lambda x, p: _lam_alpha() * mpmath.exp(x)),
    "celu": _neg(lambda x, p: mpmath.exp(x / p.get("alpha", 1)) / p.get("alpha", 1)),
}

PRIMAL = {  # g itself, for the start-up check of EXACT by mpmath.diff
    "sigmoid": lambda x, p: 1 / (1 + mpmath.exp(-x)),
    "tanh": lambda x, p: mpmath.tanh(x),
    "silu": lambda x, p: x / (1 + mpmath.exp(-x)),
    "log_sigmoid": lambda x, p: -mpmath.log1p(mpmath.exp(-x)),
    "softplus": lambda x, p: mpmath.log1p(mpmath.exp(x)),
    "gelu": lambda x, p: (x * (1 + mpmath.erf(x / mpmath.sqrt(2))) / 2
                          if p.get("approximate", "none") == "none" else
                          x * (1 + mpmath.tanh(mpmath.sqrt(2 / mpmath.pi)
                                               * (x + mpf(GELU_K) * x**3))) / 2),
    "mish": lambda x, p: x * mpmath.tanh(mpmath.log1p(mpmath.exp(x))),
    "elu": lambda x, p: p.get("alpha", 1) * mpmath.expm1(x),
    "selu": lambda x, p: _lam_alpha() * mpmath.expm1(x),
    "celu": lambda x, p: p.get("alpha", 1) * mpmath.expm1(x / p.get("alpha", 1)),
}


def exact(name: str, params: dict, z: float) -> mpf:
    with mpmath.workdps(DPS):
        return +EXACT[name](mpf(z), params)


def selfcheck() -> None:
    """EXACT against a numerical second derivative of PRIMAL (negative z for the ELU family,
    whose g″ there is the branch's)."""
    with mpmath.workdps(50):
        for (name, params, _lab) in CASES:
            for z in (-3.25, -0.7, 0.3, 1.9, 5.5):
                if name in ("elu", "selu", "celu") and z > 0:
                    continue
                want = mpmath.diff(lambda t: PRIMAL[name](t, params), mpf(z), 2)
                got = EXACT[name](mpf(z), params)
                if abs(got - want) > mpf(10) ** -30 * max(1, abs(want)):
                    raise SystemExit(f"exact form of {name}″ is wrong at {z}: {got} vs {want}")


# --------------------------------------------------------------------------
# the frameworks

#: (actgrad name, params, label) of the tail measurements
CASES = [("sigmoid", {}, "sigmoid"), ("tanh", {}, "tanh"), ("silu", {}, "silu"),
         ("log_sigmoid", {}, "log_sigmoid"), ("softplus", {}, "softplus"),
         ("gelu", {}, "gelu"), ("gelu", {"approximate": "tanh"}, "gelu (tanh)"),
         ("mish", {}, "mish"), ("elu", {}, "elu"), ("selu", {}, "selu"),
         ("celu", {}, "celu")]

#: (label, z) of the tail points
POINTS = [("sigmoid", 40.0), ("tanh", 20.0), ("silu", 40.41), ("log_sigmoid", -40.0),
          ("log_sigmoid", 40.0), ("softplus", 40.0), ("gelu", -8.0), ("gelu", 8.0),
          ("gelu (tanh)", -8.0), ("gelu (tanh)", 8.0), ("mish", 40.0), ("mish", -40.0),
          ("elu", -40.0), ("selu", -40.0), ("celu", -40.0)]


def torch_fn(name: str, p: dict):
    """PyTorch's function for a catalogue name at actgrad's parameters, or None."""
    if torch is None:
        return None
    a = p.get("alpha", 1.0)
    table = {
        "sigmoid": torch.sigmoid, "tanh": torch.tanh, "silu": F.silu, "mish": F.mish,
        "log_sigmoid": F.logsigmoid, "selu": F.selu, "softsign": F.softsign,
        "tanhshrink": F.tanhshrink, "relu": F.relu, "relu6": F.relu6,
        "hard_sigmoid": F.hardsigmoid, "hard_swish": F.hardswish, "identity": lambda x: x * 1,
        "softplus": lambda x: F.softplus(x, beta=p.get("beta", 1.0),
                                         threshold=p.get("threshold", 20.0)),
        "gelu": lambda x: F.gelu(x, approximate=p.get("approximate", "none")),
        "elu": lambda x: F.elu(x, alpha=a), "celu": lambda x: F.celu(x, alpha=a),
        "leaky_relu": lambda x: F.leaky_relu(x, p.get("negative_slope", 0.01)),
        "prelu": lambda x: F.prelu(x, torch.tensor([p.get("weight", 0.25)], dtype=x.dtype)),
        "rrelu": lambda x: F.rrelu(x, p.get("lower", 1 / 8), p.get("upper", 1 / 3),
                                   training=False),
        "hard_tanh": lambda x: F.hardtanh(x, p.get("min_val", -1.0), p.get("max_val", 1.0)),
        "softshrink": lambda x: F.softshrink(x, p.get("lambd", 0.5)),
        "hardshrink": lambda x: F.hardshrink(x, p.get("lambd", 0.5)),
        "threshold": lambda x: F.threshold(x, p.get("threshold", 0.0), p.get("value", 0.0)),
    }
    return table.get(name)


def jax_fn(name: str, p: dict):
    """JAX's function for a catalogue name at actgrad's parameters, or None (no such
    function, or a parameter JAX does not have)."""
    if jax is None:
        return None
    nn = jax.nn
    if name == "hard_tanh" and (p.get("min_val", -1.0), p.get("max_val", 1.0)) != (-1, 1):
        return None
    if name == "softplus" and (p.get("beta", 1.0), p.get("threshold", math.inf)) != (1, math.inf):
        return None
    table = {
        "sigmoid": nn.sigmoid, "tanh": jnp.tanh, "silu": nn.silu, "mish": nn.mish,
        "log_sigmoid": nn.log_sigmoid, "selu": nn.selu, "softsign": nn.soft_sign,
        "softplus": nn.softplus, "relu": nn.relu, "relu6": nn.relu6,
        "hard_sigmoid": nn.hard_sigmoid, "hard_swish": nn.hard_swish, "hard_tanh": nn.hard_tanh,
        "sparse_plus": nn.sparse_plus, "sparse_sigmoid": nn.sparse_sigmoid,
        "identity": lambda x: x,
        "gelu": lambda x: nn.gelu(x, approximate=p.get("approximate", "none") == "tanh"),
        "elu": lambda x: nn.elu(x, alpha=p.get("alpha", 1.0)),
        "celu": lambda x: nn.celu(x, alpha=p.get("alpha", 1.0)),
        "leaky_relu": lambda x: nn.leaky_relu(x, p.get("negative_slope", 0.01)),
        "squareplus": lambda x: nn.squareplus(x, p.get("b", 4.0)),
    }
    return table.get(name)


def torch_d2(fn, z: np.ndarray, dt) -> np.ndarray:
    x = torch.tensor(z, dtype={np.float64: torch.float64, np.float32: torch.float32}[dt],
                     requires_grad=True)
    (g1,) = torch.autograd.grad(fn(x).sum(), x, create_graph=True)
    if not g1.requires_grad:  # g′ does not depend on x at all: g″ = 0
        return np.zeros(z.shape, dtype=dt)
    (g2,) = torch.autograd.grad(g1.sum(), x, allow_unused=True)
    return np.zeros(z.shape, dtype=dt) if g2 is None else g2.detach().numpy()


_JAX_CACHE: dict = {}


def jax_d2(fn, z: np.ndarray, dt, key=None) -> np.ndarray:
    f = _JAX_CACHE.get(key) if key is not None else None
    if f is None:
        f = jax.jit(jax.vmap(jax.grad(jax.grad(fn))))
        if key is not None:
            _JAX_CACHE[key] = f
    return np.asarray(f(jnp.asarray(z, dtype=dt)))


def frameworks() -> list[tuple[str, object]]:
    """(column name, d2 function (name, params, z array, dtype) -> array or None)."""
    out = []

    def ag(name, p, z, dt):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # actgrad must not warn
            return np.asarray(actgrad.get(name, **p).deriv(z.astype(dt), order=2))

    if torch is not None:
        out.append(("PyTorch", lambda name, p, z, dt: (
            None if torch_fn(name, p) is None else torch_d2(torch_fn(name, p), z.astype(dt), dt))))
    if jax is not None:
        out.append(("JAX", lambda name, p, z, dt: (
            None if jax_fn(name, p) is None else
            jax_d2(jax_fn(name, p), z.astype(dt), dt, (name, tuple(sorted(p.items())), dt)))))
    out.append(("actgrad", ag))
    return out


DTYPES = [("float64", np.float64), ("float32", np.float32)]


def show(v, dt) -> str:
    return repr(float(v)) if dt is np.float64 else str(np.float32(v))


def fmt_ulp(e: float) -> str:
    if math.isinf(e):
        return "inf"
    if e >= 1e4:
        return f"{e:.1e}"
    return f"{e:.2g}" if e < 10 else f"{e:.0f}"


# --------------------------------------------------------------------------
# 1. tail points


def tail_points(fws) -> dict:
    """{dtype: [(label, z, exact rounded, [(value, ulp) per framework])]}"""
    params = {lab: (n, p) for n, p, lab in CASES}
    out = {}
    for dname, dt in DTYPES:
        rows = []
        for lab, z in POINTS:
            name, p = params[lab]
            e = exact(name, p, float(dt(z)))
            cells = []
            for _col, d2 in fws:
                v = d2(name, p, np.array([z]), dt)
                if v is None:
                    cells.append(None)
                    continue
                err = float(R.ulp_error(v.astype(np.float64), [e], dt)[0])
                cells.append((v[0], err))
            rows.append((lab, z, R.round_to(e, dt), cells))
        out[dname] = rows
    return out


# --------------------------------------------------------------------------
# 2. sweep: the first failure outward from 0


def first_failure(name, p, vals: np.ndarray, zs: np.ndarray, dt, cache: dict):
    """(kind, z) of the first failure along zs (outward), or ("none", z where the exact
    value rounds to 0) / ("none", None) if it never does within the sweep."""

    def ex(i):
        z = float(zs[i])
        if z not in cache:
            cache[z] = exact(name, p, z)
        return cache[z]

    def bad(i):
        v = float(vals[i])
        if not math.isfinite(v):
            return "nan" if math.isnan(v) else "inf"
        r = R.round_to(ex(i), dt)
        if v == 0.0:
            return "0" if r != 0 else None
        if r != 0 and (v > 0) != (r > 0):
            return "sign"
        return None

    n = vals.size
    sgn = np.sign(vals)
    cand = np.zeros(n, dtype=bool)
    cand[~np.isfinite(vals) | (vals == 0)] = True
    cand[1:] |= sgn[1:] != sgn[:-1]
    cand[0] = True
    cand[::64] = True
    prev = 0
    for i in np.flatnonzero(cand):
        kind = bad(i)
        if kind is not None:
            for j in range(prev, i):  # a sign error may start between two samples
                k2 = bad(j)
                if k2 is not None:
                    return k2, float(zs[j])
            return kind, float(zs[i])
        if ex(i) == 0:  # g″ is 0 on this side (the ELU family for z > 0)
            return ("none" if vals[i] == 0 else "not 0"), None
        if R.round_to(ex(i), dt) == 0 and (vals[i] == 0 or abs(float(zs[i])) > 3):
            return "none", float(zs[i])
        prev = i
    return "none", None


def sweep(fws) -> list:
    """[(label, side, [(kind, z) per (framework, dtype)], exact-underflow z per dtype)]"""
    rows = []
    k = np.arange(1, STEPS + 1, dtype=np.float64) * STEP
    for name, p, lab in CASES:
        for side, zs in (("z > 0", k), ("z < 0", -k)):
            cells, under = [], {}
            for dname, dt in DTYPES:
                cache: dict = {}
                for col, d2 in fws:
                    with warnings.catch_warnings(), np.errstate(all="ignore"):
                        warnings.simplefilter("ignore")
                        vals = d2(name, p, zs, dt)
                    if vals is None:
                        cells.append(None)
                        continue
                    kind, z = first_failure(name, p, vals.astype(np.float64), zs, dt, cache)
                    cells.append((kind, z))
                    if kind == "none" and z is not None:
                        under[dname] = z
                log(f"  sweep {lab} {side} {dname}")
            rows.append((lab, side, cells, under))
    return rows


# --------------------------------------------------------------------------
# 3. jumps of g″ and kinks of g′

JUMP_CASES = [(n, {}) for n in actgrad.names()] + [
    ("elu", {"alpha": 0.5}), ("elu", {"alpha": 2.0}), ("celu", {"alpha": 2.0}),
    ("celu", {"alpha": 0.25}), ("softplus", {"threshold": 20.0}),
    ("softplus", {"beta": 2.0, "threshold": 20.0}), ("leaky_relu", {"negative_slope": 0.2}),
    ("hard_tanh", {"min_val": -2.0, "max_val": 3.0}), ("relu6", {}),
]


def jumps() -> tuple[list, list]:
    """rows (label, z, actgrad pytorch, PyTorch, actgrad jax, JAX), the disagreements and
    notes (a framework that cannot differentiate twice)."""
    rows, bad, notes = [], [], []
    seen = set()
    for name, p in JUMP_CASES:
        f = actgrad.get(name, **p)
        pts = sorted({float(k.at) for k in f.kinks} | {float(k.at) for k in f.kinks2})
        if 0.0 in pts:  # −0.0 is the same point: the frameworks must agree with +0.0
            pts.insert(pts.index(0.0), -0.0)
        label = name + "".join(f" {k}={v!r}" for k, v in p.items())
        if (label, tuple(pts)) in seen or not pts:
            continue
        seen.add((label, tuple(pts)))
        full = dict(f.params)
        z = np.array(pts)
        ag_t = np.asarray(f.deriv(z, kink="pytorch", order=2))
        ag_j = np.asarray(f.deriv(z, kink="jax", order=2))
        tf, jf = torch_fn(name, full), jax_fn(name, full)
        tv, jv = _try(torch_d2, tf, z), _try(jax_d2, jf, z)
        for i, zi in enumerate(pts):
            t = tv if tv is None or isinstance(tv, str) else float(tv[i])
            j = jv if jv is None or isinstance(jv, str) else float(jv[i])
            rows.append((label, zi, float(ag_t[i]), t, float(ag_j[i]), j))
            for fw, got, want in (("PyTorch", t, float(ag_t[i])), ("JAX", j, float(ag_j[i]))):
                if isinstance(got, str):
                    notes.append(f"{label}: {fw}'s double backward raises: {got}")
                elif got is None:
                    pass
                elif got == want and math.copysign(1, got) != math.copysign(1, want):
                    notes.append(f"{label} at z={zi!r}: {fw} {got!r}, actgrad {want!r} (the "
                                 "sign of zero)")
                elif got != want and abs(got - want) <= 1e-15 * abs(want):
                    notes.append(f"{label} at z={zi!r}: {fw} {got!r}, actgrad {want!r} (one "
                                 "rounding apart)")
                elif got != want:
                    bad.append(f"{label} at z={zi!r}: {fw} {got!r}, actgrad "
                               f"(kink={fw.lower()!s}) {want!r}")
    return rows, bad, sorted(set(notes))


def _try(d2, fn, z):
    """d2(fn, z, float64), None if there is no such function, the error message (str) if the
    framework refuses the double backward."""
    if fn is None:
        return None
    try:
        return d2(fn, z, np.float64)
    except RuntimeError as e:
        return str(e).splitlines()[0]


# --------------------------------------------------------------------------
# output


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def versions() -> str:
    t = f"PyTorch {torch.__version__}" if torch is not None else "PyTorch: not installed"
    j = (f"JAX {jax.__version__} (jaxlib {jax.lib.__version__}, x64 enabled)"
         if jax is not None else "JAX: not installed")
    return (f"{t}; {j}; actgrad {actgrad.__version__}; numpy {np.__version__}; "
            f"mpmath {mpmath.__version__}; CPU")


def fail_cell(c) -> str:
    if c is None:
        return "—"
    kind, z = c
    if kind == "none":
        return "never"
    if kind == "not 0":
        return "not 0"
    return {"0": "0 from", "sign": "sign from", "nan": "nan from", "inf": "inf from"}[kind] + \
        f" {z!r}"


def render(tails, sweeps, jrows, jbad, fws, md: bool) -> list[str]:
    cols = [c for c, _ in fws]
    out = []
    for dname, rows in tails.items():
        out.append(f"### g″ at tail points, {dname}" if md else f"g″ at tail points, {dname}")
        head = ["function", "z", "exact"] + [x for c in cols for x in (c, "ULP")]
        body = []
        for lab, z, ex, cells in rows:
            line = [lab, f"{z:g}", show(ex, DTYPES[0][1] if dname == "float64" else np.float32)]
            for c in cells:
                line += (["—", "—"] if c is None else
                         [show(c[0], np.float64 if dname == "float64" else np.float32),
                          fmt_ulp(c[1])])
            body.append(line)
        out += table(head, body, md) + [""]
    if sweeps is not None:
        t = ("### Where g″ first becomes 0, loses its sign or is not finite"
             if md else "where g″ first becomes 0, loses its sign or is not finite")
        out.append(t)
        out.append(f"(z = ±k/64 outward from 0 to ±{STEPS * STEP:g}; \"never\": not before the "
                   "exact value itself rounds to 0, at the last column's z)")
        head = ["function", "side"] + [f"{c} {d[5:]}" for d, _ in DTYPES for c in cols] + [
            "exact → 0 (f64, f32)"]
        body = []
        for lab, side, cells, under in sweeps:
            u = (", ".join(f"{under[d]!r}" if d in under else "—" for d, _ in DTYPES)
                 if under else "g″ = 0 here")
            body.append([lab, side] + [fail_cell(c) for c in cells] + [u])
        out += table(head, body, md) + [""]
    out.append("### g″ at the kinks of g′ and the jumps of g″ (float64)" if md else
               "g″ at the kinks of g′ and the jumps of g″ (float64)")
    head = ["function", "z", "actgrad pytorch", "PyTorch", "actgrad jax", "JAX"]
    cell = (lambda v: "—" if v is None else "raises" if isinstance(v, str) else repr(v))
    body = [[lab, repr(z), repr(a), cell(t), repr(b), cell(j)] for lab, z, a, t, b, j in jrows]
    out += table(head, body, md) + [""]
    out.append("disagreements: " + ("none" if not jbad else ""))
    out += [f"  {b}" for b in jbad]
    return out


def table(head, body, md) -> list[str]:
    if md:
        return (["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
                + ["| " + " | ".join(r) + " |" for r in body])
    w = [max(len(r[i]) for r in [head] + body) for i in range(len(head))]
    return ["  ".join(s.ljust(w[i]) for i, s in enumerate(r)).rstrip() for r in [head] + body]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--markdown", action="store_true", help="GitHub markdown tables")
    ap.add_argument("--no-sweep", action="store_true", help="skip the sweep of the tails")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    if torch is None:
        log(f"PyTorch not measured: import torch failed ({TORCH_MISSING})")
    else:
        torch.set_num_threads(1)
    if jax is None:
        log(f"JAX not measured: import jax failed ({JAX_MISSING})")
    selfcheck()
    fws = frameworks()
    log(versions())
    tails = tail_points(fws)
    sweeps = None if args.no_sweep else sweep(fws)
    jrows, jbad, jnotes = jumps()
    lines = [versions(), ""] + render(tails, sweeps, jrows, jbad, fws, args.markdown)
    if jnotes:
        lines += ["notes:"] + [f"  {n}" for n in jnotes]
    lines.append(f"(`python benchmarks/frameworks_second.py{' --markdown' if args.markdown else ''}`"
                 f", {time.perf_counter() - t0:.0f} s)")
    print("\n".join(lines))
    return 1 if jbad else 0


if __name__ == "__main__":
    sys.exit(main())
