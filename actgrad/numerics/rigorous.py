"""High-precision values with mpmath (`--exact`, `--digits N`): actgrad as a calculator.

Each value is computed from the catalogue's mpmath forms (``exact`` for g, ``exact_dg`` for
g′; kinks take the chosen convention) with Ziv's strategy: evaluate at a working precision and
again at a higher one, and accept when both agree to the requested digits plus a guard;
otherwise raise the precision. So cancellation inside a formula (z − tanh z for tiny z, g′
next to its root) costs time, never digits. mpmath is imported only here.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..registry import Activation

MAX_DIGITS = 1000
_FLOAT64_DIGITS = 17  # enough to round correctly to float64 after agreement with a guard
_MAX_DPS = 20000


def values(f: Activation, z: np.ndarray, *, deriv: bool, digits: int | None,
           kink: str = "pytorch") -> list[Any]:
    """mpf values of g (or g′) at each z, good to `digits` significant digits (float64 if None)."""
    import mpmath

    want = digits if digits is not None else _FLOAT64_DIGITS
    params = dict(f.params)
    kinks = {k.at: k.slope(kink) for k in f.kinks} if deriv else {}
    fn = f.spec.exact_dg if deriv else f.spec.exact
    out: list[Any] = []
    for zi in np.asarray(z, dtype=np.float64).ravel().tolist():
        if math.isnan(zi):
            out.append(mpmath.nan)
        elif zi in kinks:
            out.append(mpmath.mpf(kinks[zi]))
        elif math.isinf(zi):
            # the limit: evaluate far out, where every function here has settled
            out.append(_at_infinity(f, zi, deriv))
        else:
            out.append(_ziv(lambda x: fn(x, params, mpmath), zi, want))
    return out


def _ziv(fn: Any, z: float, digits: int) -> Any:
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


def _at_infinity(f: Activation, z: float, deriv: bool) -> Any:
    import mpmath

    # the float64 result at ±inf is a limit the fast path already returns exactly
    value = f.deriv(z) if deriv else f(z)
    return mpmath.mpf(float(value))


def to_float(v: Any) -> float:
    """The float64 nearest to an mpf, correctly rounded also in the subnormal range.

    (float(mpf) rounds to 53 bits first and then to the subnormal grid: twice.) An mpf is
    man·2^exp exactly, and CPython's int/int division rounds correctly once.
    """
    import mpmath

    if not mpmath.isfinite(v):
        return float(v)
    sign, man, exp, bc = v._mpf_
    if exp + bc > 1025:  # |v| >= 2^1025: beyond the largest float
        return -math.inf if sign else math.inf
    if exp + bc < -1076:  # |v| < 2^-1076: below half the smallest subnormal
        return -0.0 if sign else 0.0
    man = -int(man) if sign else int(man)
    try:
        return float(man << exp) if exp >= 0 else man / (1 << -exp)
    except OverflowError:
        return -math.inf if sign else math.inf
