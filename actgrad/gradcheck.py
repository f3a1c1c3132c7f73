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
kink are left out of a check (their stencil straddles the kink) and counted.

The error measure is the symmetric relative error |a − n| / (|a| + |n|), 0 where a = n
(both 0 included), so it stays meaningful where g′ is tiny or crosses zero.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .registry import Activation

DEFAULT_STEP = 1e-3
GOOD = 1e-7  # at most this: the derivative is right
WRONG = 1e-3  # at least this: the derivative is wrong; in between: suspicious
DEFAULT_TOL = GOOD
_MAX_EXTRA_DIGITS = 340  # below 1e-324 of g, g′ rounds to 0 in float64 anyway


def default_grid() -> np.ndarray:
    """1,001 points on [−10, 10], spacing 0.02, with 0 (a kink of relu) exactly on it."""
    return np.arange(-500, 501, dtype=np.float64) / 50.0


def numeric_deriv(f: Activation, z: np.ndarray, step: float = DEFAULT_STEP) -> np.ndarray:
    """Richardson-extrapolated central difference of g in extended precision (see module doc).

    Non-finite z give nan (a difference quotient at ±inf means nothing).
    """
    import mpmath

    z = np.asarray(z, dtype=np.float64)
    flat = z.ravel()
    g = np.abs(np.asarray(f(flat), dtype=np.float64))
    dg = np.abs(np.asarray(f.deriv(flat), dtype=np.float64))
    out = np.full(flat.shape, np.nan)
    exact = f.spec.exact
    params = dict(f.params)
    digits_h = max(0, math.ceil(-math.log10(step)))
    for i, zi in enumerate(flat.tolist()):
        if not math.isfinite(zi):
            continue
        if g[i] == 0 or (dg[i] != 0 and g[i] <= dg[i]):
            extra = 0.0
        elif dg[i] == 0:
            extra = _MAX_EXTRA_DIGITS
        else:
            extra = min(_MAX_EXTRA_DIGITS, math.log10(g[i] / dg[i]))
        span = math.log10(abs(zi) / step) if zi else 0.0  # digits to hold z ± h exactly
        dps = 24 + math.ceil(extra) + digits_h + max(0, math.ceil(span))
        with mpmath.workdps(dps):
            x = mpmath.mpf(zi)
            h = mpmath.mpf(step)

            def central(hh: mpmath.mpf) -> mpmath.mpf:
                return (exact(x + hh, params, mpmath) - exact(x - hh, params, mpmath)) / (2 * hh)

            r = (64 * central(h / 4) - 20 * central(h / 2) + central(h)) / 45
            out[i] = float(r)
    return out.reshape(z.shape)


def relative_error(a: np.ndarray, n: np.ndarray) -> np.ndarray:
    """|a − n| / (|a| + |n|), 0 where a == n (0 and 0, inf and inf); nan if either is nan."""
    a = np.asarray(a, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        r = np.abs(a - n) / (np.abs(a) + np.abs(n))
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
    kink: str = "pytorch",
) -> CheckResult:
    """Compare f.deriv with the numerical derivative at every finite z not next to a kink."""
    z = np.asarray(z, dtype=np.float64).ravel()
    near = f.near_kink(z, step)
    kept = z[~near]
    if kept.size == 0:
        return CheckResult(f.name, 0, int(near.sum()), 0.0, math.nan, tol)
    err = relative_error(f.deriv(kept, kink=kink), numeric_deriv(f, kept, step))
    worst = int(np.argmax(err))
    return CheckResult(f.name, int(kept.size), int(near.sum()), float(err[worst]),
                       float(kept[worst]), tol)
