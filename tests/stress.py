"""Stress grids for the accuracy of g and g′: every binade, the tails, ±0, and the
neighbourhoods (nextafter steps) of every point where a formula of the catalogue switches,
cancels or underflows.

Used by tests/test_catalogue.py (small: a few thousand points per function) and by
benchmarks/accuracy.py (wide: ±48 steps, a large random part, hill climbing from the worst
points). The points are only where to look; the expected values always come from
tests/reference.py.

SWITCHES lists, per function, the thresholds and branch points of its code in
actgrad/activations/ (``np.where`` conditions, clipping bounds, the ranges of fitted
polynomials, the switch points inside numpy's exp/expm1/log1p/tanh that the code relies on,
where e^t turns subnormal or 0), as functions of the bound parameters. The roots of g′ (where
g′ is a difference of nearly equal terms) are found here from the references, and the
Activation's own kinks and breaks are added to every grid. Adding an activation: add its
switch points here too (tests/test_catalogue.py says so).
"""

from __future__ import annotations

import functools
import math

import numpy as np

import reference as ref
from conftest import neighbours

F64_MAX = float(np.finfo(np.float64).max)
TINY = 5e-324

#: e^z: where it becomes subnormal, where it rounds to 0, where it overflows
EXP = (-708.3964185322641, -745.1332191019411, -745.1332191019412, 709.782712893384)
#: fdlibm's expm1 (numpy's on most platforms): |x| < ln2/2, 56·ln 2, and −38.8
EXPM1 = (-0.34657359027997264, 0.34657359027997264, -38.816242111356935, 38.816242111356935)
#: where σ(z) rounds to 1 (1 − σ(z) < 2^-54) and e^−z drops below 2^-53
SIGMOID = (36.7368005696771, -36.7368005696771, 36.04365338911715, -36.04365338911715)
#: tanh switches (glibc: |x| < 1, 22; numpy's SIMD kernels: 0.55, ~19.06)
TANH = (0.55, -0.55, 1.0, -1.0, 19.061547465398498, -19.061547465398498, 22.0, -22.0)


def _pm(*xs: float) -> list[float]:
    return [s * x for x in xs for s in (1.0, -1.0)]


def _celu(p: dict) -> list[float]:
    a = p.get("alpha", 1.0)
    pts = [0.0, -1500.0 * abs(a), -(2.0**-60) * abs(a)]
    pts += [a * q for q in (*EXPM1, *EXP) if a * q <= 0]
    if a < 0:
        pts.append(50.0 * a)
    return pts


def _silu(b: float) -> list[float]:
    """silu with β (quick_gelu: 1.702): the switches are in t = βz."""
    ts = [0.0, -2000.0, 2000.0, 40.0, -3.0, *EXP[:3], *SIGMOID[1::2], 709.78, 745.2, -1.5, -0.64]
    return [1e300, -(2.0**60), *(t / b for t in ts)]


def _laplace(p: dict) -> list[float]:
    """z = μ + σ·u at laplace's switches in u (as the exact gelu's, and |u| = 41)."""
    mu, sig = p.get("mu", 0.707107), p.get("sigma", 0.282095)
    r2 = math.sqrt(2.0)
    us = [0.0, *_pm(1.0, 2.0, 41.0, 40.0, 1.25 * r2, r2 / 0.35, 28.0 * r2), -37.5, -38.6, -38.5]
    return [mu + sig * u for u in us]


def _tanh_gelu_tails(a: float, k: float) -> list[float]:
    """Where v = a·z·(1 + k·z²) is −43 and 46: the tanh-GELU family's code takes its tail
    forms beyond (1 + e^v = 1 below, g = z and g′ = 1 above), found here by bisection."""
    def root(target: float) -> float:
        lo, hi = 0.0, 60.0
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if a * mid * (1.0 + k * mid * mid) < target else (lo, mid)
        return hi

    return [-root(43.0), root(46.0)]


def _gelu(p: dict) -> list[float]:
    if p.get("approximate", "none") == "tanh":
        z0 = -0.7524614  # near the root of g′; the root itself is found below
        return [0.0, *_pm(40.0, 3.0, 2.0, 1.0), 2.0 * z0, 0.5 * z0, -9.0, -20.0,
                *_tanh_gelu_tails(2.0 * math.sqrt(2.0 / math.pi), 0.044715)]
    r2 = math.sqrt(2.0)
    return [0.0, *_pm(1.0, 2.0, 40.0, 1.25 * r2, r2 / 0.35, 28.0 * r2), -37.5, -38.6, -38.5]


def _softplus(p: dict) -> list[float]:
    beta, thr = p.get("beta", 1.0), p.get("threshold", math.inf)
    pts = [0.0]
    for t in (40.0, 2000.0, 745.1332191019411, 708.3964185322641, 36.7368005696771, 1.0):
        for s in (1.0, -1.0):
            z = s * t / beta
            if math.isfinite(z):
                pts.append(z)
    if math.isfinite(thr) and math.isfinite(thr / beta):
        pts.append(thr / beta)  # the switch (fl(β·z) > threshold) is within a few steps
    return pts


def _squareplus(p: dict) -> list[float]:
    b = p.get("b", 4.0)
    pts = [0.0, *_pm(math.sqrt(b) if b else 1.0, 2.0**400)]
    if 0 < b < 2.0**-200:  # b is scaled up by 4^k: the far branch starts at 2^(400 − k)
        k = (2 - math.frexp(b)[1]) // 2
        pts += _pm(2.0 ** (400 - k))
    return pts


def _lambd(p: dict) -> list[float]:
    lam = p.get("lambd", 0.5)
    return [0.0, lam, -lam]


SWITCHES = {
    # lecture.py
    "sigmoid": lambda p: [0.0, *EXP, *_pm(745.1332191019411), *SIGMOID],
    "tanh": lambda p: [0.0, *TANH, *_pm(350.0, 800.0)],
    "relu": lambda p: [0.0],
    "leaky_relu": lambda p: [0.0],
    # smooth.py
    "elu": lambda p: [0.0, -2000.0, *EXPM1[::2], *EXP[:3]],
    "selu": lambda p: [0.0, -2000.0, *_pm(2.0**1000, 2.0**1023), *EXPM1[::2], *EXP[:3]],
    "celu": _celu,
    "gelu": _gelu,
    "silu": lambda p: _silu(p.get("beta", 1.0)),
    "quick_gelu": lambda p: _silu(1.702),
    "mish": lambda p: [0.0, -2000.0, 1000.0, -3.0, *EXP[:3], *SIGMOID],
    "softplus": _softplus,
    "softsign": lambda p: [0.0, *_pm(2.0**500, 1.0, 2.0**53)],
    "log_sigmoid": lambda p: [0.0, *_pm(745.1332191019411, 708.3964185322641), *SIGMOID,
                              *_pm(1e-16, 2.0**-53)],
    "tanhshrink": lambda p: [0.0, *_pm(1.0, 1000.0, 350.0, 22.0, 0.55, 2.0**-26)],
    "squareplus": _squareplus,
    # piecewise.py
    "identity": lambda p: [0.0],
    "relu6": lambda p: [0.0, 6.0],
    "prelu": lambda p: [0.0],
    "rrelu": lambda p: [0.0],
    "hard_sigmoid": lambda p: [0.0, -3.0, 3.0],
    "hard_swish": lambda p: [0.0, -3.0, 3.0, -1.5, *_pm(2.0**-500)],
    "hard_tanh": lambda p: [p.get("min_val", -1.0), p.get("max_val", 1.0)],
    "softshrink": _lambd,
    "hardshrink": _lambd,
    "threshold": lambda p: [p.get("threshold", 0.0), p.get("value", 0.0)],
    "sparse_plus": lambda p: [0.0, -1.0, 1.0],
    "sparse_sigmoid": lambda p: [0.0, -1.0, 1.0],
    # issue 13 (cat13a)
    "relu2": lambda p: [0.0, 1.3407807929942596e154, 1.4916681462400413e-154,
                        8.98846567431158e307],
    "hard_mish": lambda p: [0.0, -2.0, -1.0, *_pm(2.0**-500)],
    "step": lambda p: [p.get("threshold", 0.0)],
    "laplace": _laplace,
    "exponential": lambda p: [0.0, *EXP, 2000.0, -2000.0, *EXPM1],
    "log1mexp": lambda p: [0.0, 0.6931471805599453, 1.0, 2000.0, 1e-150, 7.458340731200207e-155,
                           5e-324, *EXPM1[1::2], 708.3964185322641, 745.1332191019411, 36.7],
}


# -- issue 13: the named GELU variants and xIELU -----------------------------------------


def _gelu_family(z0: float, a: float, k: float):
    # the tanh form's code: |z| = 40 clip, the root window [2z0, z0/2], g″'s [0.9, 2], tails
    return lambda p: [0.0, *_pm(40.0, 3.0, 2.0, 1.0, 0.9), 2.0 * z0, 0.5 * z0, -9.0, -20.0,
                      *_tanh_gelu_tails(a, k)]


def _xielu(p: dict) -> list[float]:
    q = {**ref._XI_DEFAULTS, **p}
    eps = q["eps"]
    with ref.mpmath.workdps(40):
        ap, an, b, e = ref._xielu_consts(q)
        s = ref.mpmath.log1p(ref.mpmath.exp(q["alpha_n"]))  # an − b would cancel
        # the root of α_n·E(z) + βz (where g crosses 0 below ε), by bisection
        lo, hi = -(an / s) - 1, -b / an
        for _ in range(400):
            mid = (lo + hi) / 2
            if an * ref.mpmath.expm1(mid) - s * mid > 0:
                lo = mid
            else:
                hi = mid
        zr = float(lo)
        zc = float(ref.mpmath.log(s / an))  # root of g′
    return [0.0, eps, zr, 1.5 * zr, 0.5 * zr, zr - 1.0, zr + 1.0, zc, -40.0, -0.34, -2000.0,
            *_pm(2.0**400), *EXP[:3]]


SWITCHES.update({
    "gelu_fast": _gelu_family(-0.7524614220734264, 2 * 0.7978845608, 0.044715),
    "gelu_approx": _gelu_family(-0.7517775815235958, 1.60033, 0.0433603),
    "gelu_10": lambda p: [*_gelu(p), 10.0, 9.999999999999998],
    "xielu": _xielu,
})


def _key(params: dict) -> tuple:
    return tuple(sorted(params.items()))


def _sign(v) -> int:
    return 0 if v == 0 else (1 if v > 0 else -1)


@functools.lru_cache(maxsize=None)
def _roots(name: str, key: tuple, avoid: tuple) -> tuple[float, ...]:
    params = dict(key)
    pair = ref.pair(name, params)

    def dg(x):
        return pair(x)[1]

    xs = [float(x) for x in np.linspace(-20.0, 20.0, 401)]
    s = [_sign(dg(x)) for x in xs]
    found = []
    for i in range(len(xs) - 1):
        lo, hi = xs[i], xs[i + 1]
        if any(lo <= k <= hi for k in avoid) or s[i] * s[i + 1] >= 0:
            continue
        slo = s[i]
        while True:
            mid = lo + (hi - lo) / 2
            if mid in (lo, hi):
                break
            sm = _sign(dg(mid))
            if sm == 0:
                lo = hi = mid
                break
            lo, hi = (mid, hi) if sm == slo else (lo, mid)
        found.append(lo if abs(dg(lo)) <= abs(dg(hi)) else hi)
    return tuple(found)


def roots(name: str, params: dict, avoid=()) -> tuple[float, ...]:
    """Roots of g′ in [−20, 20] from the reference: strict sign changes on a 0.1 grid
    (intervals holding a point of ``avoid``, the kinks, skipped), bisected on float64 to
    adjacent floats; the one with the smaller |g′|."""
    return _roots(name, _key(params), tuple(float(a) for a in avoid))


def centres(name: str, params: dict) -> list[float]:
    """Where to look closely: the switch points, the kinks and breaks, the roots of g′."""
    import actgrad

    f = actgrad.get(name, **params)
    kinks = [float(k.at) for k in f.kinks]
    pts = list(SWITCHES[name](params)) + kinks + [float(b) for b in f.breaks]
    pts += roots(name, params, kinks)
    return sorted({float(c) for c in pts if math.isfinite(c)})


def base_grid(dense: int = 300, per_decade: float = 0.6) -> np.ndarray:
    """±0, the smallest subnormals, both ends of every binade's range and magnitudes
    log-spaced over 1e-323..1e308 (both signs), the largest finite numbers, and a dense
    [−20, 20] (integers and halves included)."""
    rng = np.random.default_rng(20261201)
    n = int(round(per_decade * 632)) + 1
    mags = np.concatenate([
        10.0 ** np.linspace(-323.3, 308.25, n),
        np.ldexp(1.0, np.arange(-1074, 1024, 41)), np.ldexp(1.5, np.arange(-1073, 1023, 53)),
        [TINY, 2 * TINY, 3 * TINY, 2.2250738585072014e-308, 2.225073858507201e-308, 1e-300,
         F64_MAX, np.nextafter(F64_MAX, 0.0), 1e308, 2.0**1000],
    ])
    return np.concatenate([mags, -mags, np.linspace(-20.0, 20.0, 81),
                           rng.uniform(-20.0, 20.0, dense), [0.0, -0.0]])


def around(c: float, steps: int, rng, windows: int = 8) -> list[float]:
    """c, ``steps`` nextafter steps each side, and ``windows`` seeded points within ±1e-9
    and ±1e-4 (relative to max(1, |c|))."""
    w = max(1.0, abs(c))
    pts = [float(x) for x in neighbours(c, steps)]
    if windows:
        pts += list(c + rng.uniform(-1e-9 * w, 1e-9 * w, windows))
        pts += list(c + rng.uniform(-1e-4 * w, 1e-4 * w, windows))
    return pts


def unique(z: np.ndarray) -> np.ndarray:
    """Finite values, duplicates removed by bit pattern (−0 and +0 both kept), sorted."""
    z = np.asarray(z, dtype=np.float64)
    z = z[np.isfinite(z)]
    z = np.unique(z.view(np.uint64)).view(np.float64)
    return z[np.lexsort((~np.signbit(z), z))]


def grid(name: str, params: dict, steps: int = 8, dense: int = 300,
         per_decade: float = 0.6, windows: int = 8) -> np.ndarray:
    """The float64 stress grid of one function: base_grid plus ``around`` every centre."""
    rng = np.random.default_rng(len(name) + 7 * len(params))
    parts = [base_grid(dense, per_decade)]
    for c in centres(name, params):
        parts.append(np.array(around(c, steps, rng, windows)))
    return unique(np.concatenate(parts))
