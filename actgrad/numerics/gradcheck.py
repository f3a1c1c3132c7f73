"""Numerical derivatives and the gradient-check error measure.

Method (also shown by ``actgrad check --help``): central differences
D(h) = (g(z+h) − g(z−h)) / 2h at the steps h, h/2 and h/4, combined by Richardson
extrapolation R = (64·D(h/4) − 20·D(h/2) + D(h)) / 45, whose error is O(h⁶). g is evaluated
in mpmath (the catalogue's ``exact`` form of each function) at a working precision of
24 digits plus the digits by which g′ is smaller than g at that point plus the digits of
1/h and of |z|/h, so rounding in the differences cannot matter (z ± h is exact); a plain
float64 central difference cannot resolve tanh′(10) ≈ 8e-9 beside tanh(10) ≈ 1 to better than
about 1e-7. The result is rounded to float64. Step rule: h = step, absolute, 1e-3 by default
(a step relative to |z| would be too coarse in the exponential tails); points within h of a
kink are left out of a check (their stencil straddles the kink) and counted. Where the last
extrapolation still changed the estimate by more than 1e-11 of it (g varying on a finer scale
than h, as celu with alpha = 0.001 does), h is divided by 4 and the estimate taken again, down
to h/1024 at most.

Near a break of g's smoothness (a point where g′ is continuous but g″ jumps, as elu's and
softsign's 0, declared by the function) a central stencil across it has an O(h) error, so
there the differences are one-sided, on z's side: F(t) = ±(−3g(z) + 4g(z±t) − g(z±2t))/2t
at t = h, h/2, h/4, h/8, extrapolated to remove t², t³ and t⁴.

The error measure is |a − n| / max(|a| + |n|, s), 0 where a = n: the symmetric relative
error, except that the denominator is at least s, the size of g′ around z (the larger mean
slope |g(z ± h) − g(z)|/h of the stencil's halves). Where g′ does not vanish s ≈ |g′| and
nothing changes; where g′ has a zero (silu, mish, gelu, tanhshrink at 0) the error is
measured against the size g′ has next to it, not against 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from ..registry import Activation

DEFAULT_STEP = 1e-3
GOOD = 1e-7  # at most this: the derivative is right
WRONG = 1e-3  # at least this: the derivative is wrong; in between: suspicious
DEFAULT_TOL = GOOD
_MAX_EXTRA_DIGITS = 340  # below 1e-324 of g, g′ rounds to 0 in float64 anyway
_SHRINK = 4  # where the extrapolation has not converged, the step is divided by this
_MAX_SHRINKS = 5  # at most: h down to step/1024
_CONVERGED = 1e-11  # estimated error, relative to max(|estimate|, size of g′ around z)


def default_grid() -> np.ndarray:
    """1,001 points on [−10, 10], spacing 0.02, with 0 (a kink of relu) exactly on it."""
    return np.arange(-500, 501, dtype=np.float64) / 50.0


def numeric_deriv(f: Activation, z: np.ndarray, step: float = DEFAULT_STEP) -> np.ndarray:
    """The numerical derivative of g at each z (see the module doc); nan at ±inf and nan."""
    return numeric_with_scale(f, z, step)[0]


def numeric_with_scale(f: Activation, z: np.ndarray,
                       step: float = DEFAULT_STEP) -> tuple[np.ndarray, np.ndarray]:
    """The numerical derivative, and the size of g′ around each z.

    The scale is the larger mean slope |g(z ± h) − g(z)|/h of the two halves of the stencil:
    |g′(z)| where g′ does not vanish, and the size g′ takes next to z where it does.
    """
    import mpmath

    from .rigorous import to_float

    z = np.asarray(z, dtype=np.float64)
    flat = z.ravel()
    g = np.abs(np.asarray(f(flat), dtype=np.float64))
    dg = np.abs(np.asarray(f.deriv(flat), dtype=np.float64))
    out = np.full(flat.shape, np.nan)
    scale = np.full(flat.shape, np.nan)
    exact = f.spec.exact
    params = dict(f.params)
    h_min = step / _SHRINK**_MAX_SHRINKS
    digits_h = max(0, math.ceil(-math.log10(h_min)))
    for i, zi in enumerate(flat.tolist()):
        if not math.isfinite(zi):
            continue
        if g[i] == 0 or (dg[i] != 0 and g[i] <= dg[i]):
            extra = 0.0
        elif dg[i] == 0:
            extra = _MAX_EXTRA_DIGITS
        else:
            extra = min(_MAX_EXTRA_DIGITS, math.log10(g[i]) - math.log10(dg[i]))
        span = math.log10(abs(zi)) - math.log10(h_min) if zi else 0.0  # z ± h exactly
        dps = 24 + math.ceil(extra) + digits_h + max(0, math.ceil(span))
        side = _one_sided(zi, step, f.breaks)
        with mpmath.workdps(dps):
            x = mpmath.mpf(zi)
            h = mpmath.mpf(step)

            def at(t: mpmath.mpf) -> mpmath.mpf:
                return exact(x + t, params, mpmath)

            g0 = at(mpmath.mpf(0))
            if side == 0:
                s = max(abs(at(h) - g0), abs(g0 - at(-h))) / h
            else:
                s = abs(at(side * h) - g0) / h
            for _ in range(_MAX_SHRINKS + 1):
                r, est = _central(at, h) if side == 0 else _one_sided_richardson(at, g0, h, side)
                if est <= _CONVERGED * max(abs(r), s):
                    break
                h /= _SHRINK  # g changes on a finer scale than the step (celu, alpha=0.001)
            out[i] = to_float(r)
            scale[i] = to_float(s)
    return out.reshape(z.shape), scale.reshape(z.shape)


def _one_sided(z: float, h: float, breaks: tuple[float, ...]) -> int:
    """0 for a central difference; +1 (forward) or −1 (backward) when the central stencil
    would straddle a break of g's smoothness: differences taken on z's side of it."""
    for b in breaks:
        if abs(z - b) < h:
            return 1 if z >= b else -1
    return 0


def _central(at: Callable[[Any], Any], h: Any) -> tuple[Any, Any]:
    """(64·D(h/4) − 20·D(h/2) + D(h))/45, D(t) = (g(z+t) − g(z−t))/2t: error O(h⁶);
    and the change the last extrapolation made, an estimate of the error left."""

    def d(t: Any) -> Any:
        return (at(t) - at(-t)) / (2 * t)

    d1, d2, d4 = d(h), d(h / 2), d(h / 4)
    last = (4 * d4 - d2) / 3
    r = (64 * d4 - 20 * d2 + d1) / 45
    return r, abs(r - last)


def _one_sided_richardson(at: Callable[[Any], Any], g0: Any, h: Any,
                          side: int) -> tuple[Any, Any]:
    """F(t) = s·(−3g(z) + 4g(z+st) − g(z+2st))/2t, error c₂t² + c₃t³ + …, at t = h/8 … h,
    extrapolated (Neville, ratio 2) to remove t², t³ and t⁴: error O(h⁵)."""

    def f(t: Any) -> Any:
        return side * (-3 * g0 + 4 * at(side * t) - at(2 * side * t)) / (2 * t)

    row = [f(h / 2**k) for k in range(4)]  # h, h/2, h/4, h/8
    for power in (2, 3, 4):
        factor = 2**power - 1
        previous = row[-1]
        row = [row[j + 1] + (row[j + 1] - row[j]) / factor for j in range(len(row) - 1)]
    return row[0], abs(row[0] - previous)


def relative_error(a: np.ndarray, n: np.ndarray, scale: np.ndarray | float = 0.0) -> np.ndarray:
    """|a − n| / max(|a| + |n|, scale); 0 where a == n; nan if either is nan.

    Without a scale this is the symmetric relative error. With the scale of
    ``numeric_with_scale`` it stays meaningful where g′ vanishes: at tanhshrink′(0) = 0 a
    difference quotient is ~1e-21, which the bare formula calls a complete disagreement.
    """
    a = np.asarray(a, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        den = np.maximum(np.abs(a) + np.abs(n), np.nan_to_num(np.asarray(scale, dtype=np.float64)))
        r = np.abs(a - n) / den
    return np.where(a == n, 0.0, r)


def verdict(err: float) -> str:
    """The usual gradient-checking reading of a relative error."""
    if math.isnan(err):
        return "n/a"
    if err <= GOOD:
        return "good"
    if err >= WRONG:
        return "wrong"
    return "suspicious"


@dataclass(frozen=True)
class CheckResult:
    function: str
    checked: int
    left_out: int  # points within one step of a kink
    max_rel_error: float
    worst_z: float
    tol: float

    @property
    def passed(self) -> bool:
        return self.max_rel_error <= self.tol

    @property
    def verdict(self) -> str:
        return verdict(self.max_rel_error) if self.checked else "n/a"


def check(
    f: Activation,
    z: np.ndarray,
    *,
    step: float = DEFAULT_STEP,
    tol: float = DEFAULT_TOL,
) -> CheckResult:
    """Compare f.deriv with the numerical derivative at every finite z not next to a kink
    (so no kink convention plays a part)."""
    z = np.asarray(z, dtype=np.float64).ravel()
    near = f.near_kink(z, step)
    kept = z[~near]
    if kept.size == 0:
        return CheckResult(f.name, 0, int(near.sum()), 0.0, math.nan, tol)
    num, scale = numeric_with_scale(f, kept, step)
    err = relative_error(f.deriv(kept), num, scale)
    worst = int(np.argmax(err))
    return CheckResult(f.name, int(kept.size), int(near.sum()), float(err[worst]),
                       float(kept[worst]), tol)
