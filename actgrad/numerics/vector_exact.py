"""`--exact` and `--digits` for softmax, log_softmax and softmin: values and Jacobian entries
correctly rounded, with a proof.

Each row is evaluated in arb balls (python-flint) straight from the definitions: x = z/T (z
and T exact floats), e_j = exp(x_j − x_m) (m the first maximum; the shift changes nothing
mathematically, it keeps the balls' exponents moderate), S = Σ e_j, s_j = e_j/S,
1 − s_i = (Σ_{j≠i} e_j)/S (summed directly, never as 1 − s_i), log_softmax_i = (x_i − x_m) −
log1p(Σ_{j≠m} e_j) (log S of a ball 1 ± 2^−p could not decide a log S below 2^−p), and the Jacobian entries from them (``vectors`` module doc). Every entry is accepted
only when both ends of its ball round to the same float of the dtype or the same N-digit
decimal: ``rigorous``'s own tests (``_accept_float``, ``_accept_text``), so every value in the
ball, the exact one included, rounds to it. A row with an undecided entry is evaluated again
at twice the precision (64 bits first for floats, 3.33·N + 32 for N digits, plus the bits of
the largest |z|/T, which exp of a large argument needs; up to 2^17 bits; beyond,
ArithmeticError).

Exact zeros (masked entries: s = 0, and products with them) take the sign of the float64
path's zero; the rows the float64 path makes nan (all −inf, a +inf, a nan) are nan, and a
masked entry's log_softmax is −inf, exactly.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import MAX_DIGITS
from .rigorous import (_MAX_BITS, _UNDECIDED, _ZERO, _accept_float, _accept_text, _ball,
                       _format, _layout)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..vectors import Softmax


def _row(f: "Softmax", z: list[float], jac: bool) -> list[Any]:
    """The balls of one row's values (or its n×n Jacobian entries, row-major), at the
    shim's current precision; None where the entry is −inf exactly (masked log_softmax)."""
    arb = _ball()._arb
    t = arb(f.temperature)
    sign = -1.0 if f.name == "softmin" else 1.0
    live = [v != -math.inf for v in (sign * v for v in z)]
    zz = [sign * v for v in z]
    k = max((i for i in range(len(z)) if live[i]), key=lambda i: (zz[i], -i))
    xm = arb(zz[k]) / t
    d = [(arb(v) / t - xm) if live[i] else None for i, v in enumerate(zz)]
    e = [di.exp() if di is not None else arb(0) for di in d]
    total = sum(e[1:], e[0])
    n = len(z)
    if not jac:
        if f.name == "log_softmax":
            lg = sum((e[j] for j in range(n) if j != k), arb(0)).log1p()  # log S, S = 1 + R
            return [(di - lg) if di is not None else None for di in d]
        return [ei / total for ei in e]
    s = [ei / total for ei in e]
    c = [sum((e[j] for j in range(n) if j != i), arb(0)) / total for i in range(n)]
    out: list[Any] = []
    for i in range(n):
        for j in range(n):
            if f.name == "log_softmax":
                v = c[i] if i == j else -s[j]
            else:
                v = s[i] * c[i] if i == j else -(s[i] * s[j])
                if f.name == "softmin":
                    v = -v
            out.append(v / t)
    return out


def _decide_rows(f: "Softmax", z: np.ndarray, jac: bool, accept: Any, bits: int,
                 fast: np.ndarray) -> list[list[Any]]:
    shim = _ball()
    old = shim.prec
    rows: list[list[Any]] = []
    quiet = accept.quiet
    try:
        for r, row in enumerate(z.reshape(-1, z.shape[-1]).tolist()):
            fr = fast.reshape(len(z.reshape(-1, z.shape[-1])), -1)[r]
            if np.isnan(fr).all():
                rows.append([math.nan] * fr.size)
                continue
            # arb's exp(d) keeps `prec` bits only when prec exceeds d's exponent too
            big = max((abs(v) for v in row if abs(v) != math.inf), default=0.0)
            b = bits + max(math.frexp(big / min(f.temperature, 1.0) or 1.0)[1], 0) + 8 \
                if big else bits
            while True:
                shim.prec = b
                got = [(-math.inf if v is None else quiet(v)) for v in _row(f, row, jac)]
                if not any(g is _UNDECIDED for g in got):
                    break
                b *= 2
                if b > _MAX_BITS:
                    raise ArithmeticError("the rounding could not be decided at 2^17 bits")
            rows.append([math.copysign(0.0, float(fr[i])) if g is _ZERO else g
                         for i, g in enumerate(got)])
    finally:
        shim.prec = old
    return rows


def _fast(f: "Softmax", z: np.ndarray, jac: bool) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.asarray(f.jacobian(z) if jac else f(z), dtype=np.float64)


def values_float(f: "Softmax", z: Any, *, jacobian: bool = False,
                 dtype: Any = np.float64) -> np.ndarray:
    """The values (jacobian: the Jacobian entries, shape (..., n, n)) of f at the rows of z,
    each the exact value rounded once to dtype."""
    z = np.asarray(z, dtype=np.float64)
    fast = _fast(f, z, jacobian)
    rows = _decide_rows(f, z, jacobian, _accept_float(_format(dtype)), 64, fast)
    with np.errstate(over="ignore", under="ignore"):
        return np.array(rows, dtype=np.float64).reshape(fast.shape).astype(dtype)


def values_text(f: "Softmax", z: Any, *, jacobian: bool = False, digits: int) -> list[list[str]]:
    """Each row's values (or Jacobian entries, row-major) with exactly `digits` significant
    digits, correctly rounded ('-inf', 'nan', '0.0'/'-0.0' as they are)."""
    if isinstance(digits, bool) or not isinstance(digits, int) or not 1 <= digits <= MAX_DIGITS:
        raise ValueError(f"digits must be between 1 and {MAX_DIGITS}, got {digits!r}")
    z = np.asarray(z, dtype=np.float64)
    fast = _fast(f, z, jacobian)
    rows = _decide_rows(f, z, jacobian, _accept_text(digits), int(digits * 3.33) + 32, fast)

    def text(v: Any) -> str:
        if isinstance(v, tuple):
            return _layout(*v, digits)
        if v != v:
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return "-0.0" if math.copysign(1.0, v) < 0 else "0.0"

    return [[text(v) for v in row] for row in rows]
