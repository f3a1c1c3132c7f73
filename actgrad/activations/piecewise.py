"""Piecewise-linear and hard activations: identity, relu6, prelu, rrelu, the hard_* family, the
shrinks, threshold, sparse_plus and sparse_sigmoid.

Accuracy. The linear pieces are one rounding of an exact expression (z − lambd, weight·z, ...)
and so correctly rounded. The pieces that divide by 6 or square, (z + 3)/6, z(z + 3)/6,
(2z + 3)/6 and (z + 1)², are evaluated in double-double arithmetic (error-free sum and
product, exact remainder of the division by 6) and rounded once at the end: correctly rounded
but for near-halfway cases, at most 0.5 ULP + a hair everywhere, including beside the roots
(hard_swish′ = (2z + 3)/6 at z ≈ −1.5, (z + 1)² at z ≈ −1) where a plain evaluation cancels.
Those pieces are evaluated on z clipped to their interval only, so nothing overflows at
|z| ~ 1e308; the only floating-point exceptions left are an overflow of weight·z to ±inf
(|weight| > 1) and underflow to subnormals, both the correctly rounded result and silenced.

Kinks. Each ``Kink`` gives the one-sided slopes and the side PyTorch's and JAX's autograd
return (accuracy anchors; the JAX sides for relu6, hard_sigmoid, hard_swish, hard_tanh,
sparse_plus and sparse_sigmoid read off jax.nn's source). A jump of g itself (hardshrink,
threshold) is a kink too. sparse_plus's ±1, where g′ is continuous but g″ jumps, are not
kinks but ``breaks``: the gradient check differentiates one-sided there.

Where a framework lacks a function, its convention is the other framework's (so ``jax`` =
``pytorch`` for prelu, rrelu, softshrink, hardshrink and threshold, and ``pytorch`` = ``jax``
for sparse_plus and sparse_sigmoid); the comment above each entry says so.

Parameters whose allowed values depend on one another (hard_tanh's min_val < max_val, rrelu's
lower <= upper) are checked in the entry's ``kinks``, which the registry calls on binding.
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction
from typing import Any

import numpy as np

from ..numerics.special import split, two_prod, two_sum
from ..numerics.special import where as _where
from .base import (Array, Kink, OffKink, Param, Params, Spec, float_type, in_type_always,
                   in_type_when_exact)
from .lecture import slope_from_a, slope_linear, slope_linear_deriv, slope_range, slope_why_not

# ---------------------------------------------------------------------------------------
# error-free transformations: Knuth's two-sum and Dekker's product from special.py (numpy
# has no fma); the exact division by 6 here

_SIXTH = 1.0 / 6.0
_TINY = 2.0**-500  # below this |z|, Dekker's splitting would underflow


def _div6(hi: Array, lo: Array) -> Array:
    """(hi + lo)/6 with one final rounding, for |lo| <= ulp(hi).

    q = fl(hi/6); hi − 6q is exact (q split into halves of 26 bits, each times 6 exact,
    the first difference exact by Sterbenz, the remainder representable).
    """
    q = hi / 6.0
    qh, ql = split(q)
    r = (hi - 6.0 * qh) - 6.0 * ql
    return q + (r + lo) / 6.0


def _quiet(fn):
    """Run fn with underflow to subnormals (the correctly rounded result) silenced."""

    @functools.wraps(fn)
    def wrapped(z: Array, p: Params) -> Array:
        with np.errstate(under="ignore"):
            return fn(z, p)

    return wrapped


def _clip(z: Array, lo: float, hi: float) -> Array:
    # nan stays nan; the middle pieces see only finite values. np.clip is 4x faster than
    # maximum then minimum (one SIMD pass) and gives the same bits but at a zero bound:
    # there maximum(−0.0, 0.0) is +0.0 in numpy's float32/float64 kernels, clip's −0.0
    if lo < hi and lo != 0 and hi != 0:
        return np.clip(z, lo, hi)
    return np.minimum(np.maximum(z, lo), hi)


def _num(p: Params, name: str) -> float:
    return float(p[name])


# ---------------------------------------------------------------------------------------
# identity


def identity(z: Array, p: Params) -> Array:
    """identity(z) = z"""
    return np.array(z, dtype=float_type(z), copy=True)


def identity_deriv(z: Array, p: Params) -> Array:
    return np.ones_like(z, dtype=float_type(z))


# ---------------------------------------------------------------------------------------
# relu6 and hard_tanh: clipping, exact


def relu6(z: Array, p: Params) -> Array:
    """relu6(z) = min(max(0, z), 6)"""
    # (+0 at z = −0 whatever the kernel returns: np.clip's −0.0 too)
    r = np.clip(z, 0.0, 6.0)
    r += 0.0
    return r


def relu6_deriv(z: Array, p: Params) -> Array:
    # 1.0 where true, 0.0 elsewhere (nan too): a where() costs 10x that on unsorted z
    return ((z > 0) & (z < 6)).astype(float_type(z))


def _hard_tanh_bounds(p: Params) -> tuple[float, float]:
    return _num(p, "min_val"), _num(p, "max_val")


def hard_tanh(z: Array, p: Params) -> Array:
    """hard_tanh(z) = min(max(z, min_val), max_val)"""
    lo, hi = _hard_tanh_bounds(p)
    return _clip(z, lo, hi)


def hard_tanh_deriv(z: Array, p: Params) -> Array:
    lo, hi = _hard_tanh_bounds(p)
    return ((z > lo) & (z < hi)).astype(float_type(z))


def _hard_tanh_kinks(p: Params) -> tuple[Kink, ...]:
    lo, hi = _hard_tanh_bounds(p)
    if not lo < hi:
        raise ValueError(
            f"parameters min_val and max_val of hard_tanh: min_val={lo!r}, max_val={hi!r}"
            " (allowed: min_val < max_val)"
        )
    return (
        Kink(lo, left=0.0, right=1.0, pytorch="left", jax="right", unique_output=False),
        Kink(hi, left=1.0, right=0.0, pytorch="right", jax="left", unique_output=False),
    )


# ---------------------------------------------------------------------------------------
# prelu and rrelu (evaluation mode): z for z >= 0, slope·z for z < 0


def _slope_kinks(s: float) -> tuple[Kink, ...]:
    # PyTorch: z > 0 ? grad : slope·grad, the left slope. JAX has neither prelu nor rrelu:
    # the same side as PyTorch (see the module doc).
    return (Kink(0.0, left=s, right=1.0, pytorch="left", jax="left", unique_output=s != 0),)


def _rrelu_slope(p: Params) -> float:
    lo, hi = _num(p, "lower"), _num(p, "upper")
    s = (lo + hi) / 2.0
    if math.isinf(s):  # lo + hi overflowed
        s = lo / 2.0 + hi / 2.0
    return s


def _rrelu_kinks(p: Params) -> tuple[Kink, ...]:
    lo, hi = _num(p, "lower"), _num(p, "upper")
    if not lo <= hi:
        raise ValueError(
            f"parameters lower and upper of rrelu: lower={lo!r}, upper={hi!r}"
            " (allowed: 0 <= lower <= upper)"
        )
    s = _rrelu_slope(p)
    return (Kink(0.0, left=s, right=1.0, pytorch="left", jax="left", unique_output=s != 0,
                 exact_left=lambda mp: _mp_rrelu_slope(p, mp)),)


def _rrelu(z: Array, p: Params) -> Array:
    """rrelu(z) = z for z >= 0, s·z for z < 0 (s = (lower + upper)/2); for 0 < s <= 1
    (the defaults: 11/48) max(z, s·z), the same bits as slope_linear's where in two
    passes: s·z <= z for z >= 0 and >= z for z < 0, s·(±0) = ±0 (max(−0, −0) = −0), nan
    propagates; s·z is rounded once either way (a subnormal product is the correct
    rounding)."""
    s = _rrelu_slope(p)
    if not 0.0 < s <= 1.0:
        return slope_linear(z, s)
    with np.errstate(under="ignore"):
        return np.maximum(np.multiply(z, s), z)


def _mp_rrelu_slope(p: Params, mp):
    return (mp.mpf(p["lower"]) + mp.mpf(p["upper"])) / 2


# ---------------------------------------------------------------------------------------
# hard_sigmoid and hard_swish


# hard_sigmoid(alpha, beta) = clamp(α·z + β, 0, 1) (tinygrad's hardsigmoid(alpha=1/6,
# beta=0.5): relu(α·x + β) − relu(α·x + β − 1); ONNX's HardSigmoid with 0.2, 0.5; Keras 2's
# and TF1's 0.2x + 0.5). The defaults are PyTorch's, JAX's and Keras 3's relu6(z + 3)/6: the
# pair (the float 0.16666666666666666, 0.5) is read as α = 1/6 exactly, any other pair as the
# two floats given, exactly. Its kinks, where α·z + β crosses 0 and 1, are −β/α and (1 − β)/α
# in exact arithmetic: a float (then a Kink, with PyTorch's sides: 0 at both) or no float (then
# an OffKink: the floats around it are smooth points). g is α·z + β rounded once (Dekker's
# product, Knuth's sum and a last addition rounded to odd: Boldo and Melquiond's emulation of
# fma, "Emulation of FMA and correctly rounded sums", IEEE TC 2008, exact for these ranges),
# on z clipped to the floats strictly inside the kinks (nothing overflows).

_HS_ALPHA = (1e-150, 1e150)  # the allowed α (and |β| <= 1e100, β = 0 or |β| >= 1e-150): then
_HS_BETA = (1e-150, 1e100)  # |α·z| <= |β| + 1 on the middle piece, where α·z's error term is
# exact unless |α·z| < 2^-969, below 2^-100·|β|: the sum is β then, whatever that term


def _hs_default(p: Params) -> bool:
    return p["alpha"] == _SIXTH and p["beta"] == 0.5


def _hs_exact(p: Params) -> tuple[Fraction, Fraction]:
    """α and β as exact rationals (α = 1/6 for the defaults)."""
    if _hs_default(p):
        return Fraction(1, 6), Fraction(1, 2)
    return Fraction(p["alpha"]), Fraction(p["beta"])


def _float_above(q: Fraction) -> float:
    """The smallest float > q (q within the float range)."""
    x = float(q)  # correctly rounded
    return x if Fraction(x) > q else math.nextafter(x, math.inf)


def _float_below(q: Fraction) -> float:
    """The largest float < q."""
    x = float(q)
    return x if Fraction(x) < q else math.nextafter(x, -math.inf)


@functools.lru_cache(maxsize=64)
def _hs_pieces(alpha: float, beta: float) -> tuple[Fraction, Fraction, float, float]:
    """The exact kinks z0 = −β/α, z1 = (1 − β)/α and the floats strictly inside them:
    lo = the smallest float > z0, hi = the largest float < z1 (0 < α·z + β < 1 exactly
    for the floats z with lo <= z <= hi)."""
    a, b = _hs_exact({"alpha": alpha, "beta": beta})
    z0, z1 = -b / a, (1 - b) / a
    return z0, z1, _float_above(z0), _float_below(z1)


def _round_to_odd_sum(a: Array, b: Array) -> Array:
    """a + b rounded to odd: itself if a float, else the neighbour whose last bit is 1."""
    w, err = two_sum(a, b)
    even = (w.view(np.int64) & 1) == 0
    fix = (err != 0) & even
    return np.where(fix, np.nextafter(w, np.where(err > 0, np.inf, -np.inf)), w)


def _axpb(alpha: float, z: Array, beta: float) -> Array:
    """α·z + β rounded once (Boldo and Melquiond's fma emulation: uh + ul = α·z exactly,
    th + tl = β + uh exactly, v = tl + ul rounded to odd, th + v rounded to nearest)."""
    if beta == 0.0:
        return alpha * z  # one rounding already
    uh, ul = two_prod(np.float64(alpha), z)
    th, tl = two_sum(np.full_like(uh, beta), uh)
    return th + _round_to_odd_sum(tl, ul)


@_quiet
def hard_sigmoid(z: Array, p: Params) -> Array:
    """hard_sigmoid(z) = clamp(α·z + β, 0, 1); the defaults relu6(z + 3)/6"""
    if _hs_default(p):
        zc = _clip(z, -3.0, 3.0)
        s = zc + 3.0  # z + 3 = s + e exactly (the fast two-sum: |zc| <= 3; Knuth's s and e)
        e = zc - (s - 3.0)
        return _div6(s, e)  # exactly 0.0 at zc = −3 and 1.0 at zc = 3 (nan stays nan)
    z = np.asarray(z, dtype=np.float64)
    _, _, lo, hi = _hs_pieces(p["alpha"], p["beta"])
    mid = _axpb(p["alpha"], _clip(z, lo, hi), p["beta"]) if lo <= hi else np.zeros_like(z)
    return _where(z < lo, 0.0, _where(z > hi, 1.0, mid))  # nan: mid, nan


def hard_sigmoid_deriv(z: Array, p: Params) -> Array:
    if _hs_default(p):  # 1/6 where true, 0.0 elsewhere (in z's type: ``in_type``)
        return (np.abs(z) < 3) * float_type(z).type(_SIXTH)  # (−3 < z < 3; nan: False)
    _, _, lo, hi = _hs_pieces(p["alpha"], p["beta"])
    return ((z >= lo) & (z <= hi)) * p["alpha"]


def _hs_kinks(p: Params) -> tuple[Kink, ...]:
    z0, z1, _, _ = _hs_pieces(p["alpha"], p["beta"])
    if _hs_default(p):
        six = dict(exact_right=lambda mp: mp.mpf(1) / 6), dict(exact_left=lambda mp: mp.mpf(1) / 6)
        s = _SIXTH
    else:
        six, s = ({}, {}), p["alpha"]
    out = []
    if Fraction(float(z0)) == z0:
        out.append(Kink(float(z0), left=0.0, right=s, pytorch="left", jax="left",
                        unique_output=False, **six[0]))
    if Fraction(float(z1)) == z1:
        out.append(Kink(float(z1), left=s, right=0.0, pytorch="right", jax="right",
                        unique_output=False, **six[1]))
    return tuple(out)


def _hs_off_kinks(p: Params) -> tuple[OffKink, ...]:
    z0, z1, _, _ = _hs_pieces(p["alpha"], p["beta"])
    s = _SIXTH if _hs_default(p) else p["alpha"]
    return tuple(OffKink(q, left, right, _float_below(q), _float_above(q))
                 for q, left, right in ((z0, 0.0, s), (z1, s, 0.0)) if Fraction(float(q)) != q)


def _hs_breaks(p: Params) -> tuple[float, ...]:
    return tuple(k.above for k in _hs_off_kinks(p))


def _rational(z: Any) -> Fraction | None:
    """z exactly, where z is a float, an mpmath number or an exact arb ball; else None."""
    if isinstance(z, float):
        return Fraction(z) if math.isfinite(z) else None
    if type(z).__module__.startswith("flint"):  # an arb ball (before _mpf_: an arb has one
        if not z.is_exact():  # too, its midpoint's)
            return None
        try:
            m, e = z.man_exp()
        except ValueError:  # inf, nan
            return None
        return Fraction(int(m)) * Fraction(2) ** int(e)
    raw = getattr(z, "_mpf_", None)
    if isinstance(raw, tuple):  # mpmath.mpf: (sign, mantissa, exponent, bits); inf, nan: 0
        sign, man, exp, bc = raw
        if not man:
            return Fraction(0) if bc == 0 else None
        return Fraction(-int(man) if sign else int(man)) * Fraction(2) ** int(exp)
    return None


def _hs_piece(z: Any, p: Params, mp: Any) -> int:
    """−1 where α·z + β <= 0, 1 where >= 1, 0 between, in exact arithmetic (comparisons in
    `mp` for an argument that is not a float: a series germ, an expression's ball)."""
    if type(z).__module__.startswith("flint"):  # a ball: its comparisons are certain or
        u = _hs_mp(z, p, mp)                     # False; fractions only where it cannot tell
        if u < 0 or u > 1 or (u > 0 and u < 1):
            return -1 if u < 0 else 1 if u > 1 else 0
    a, b = _hs_exact(p)
    q = _rational(z)
    if q is not None:
        u = a * q + b
        return -1 if u <= 0 else 1 if u >= 1 else 0
    u = _hs_mp(z, p, mp)
    return -1 if u <= 0 else 1 if u >= 1 else 0


def _hs_mp(z: Any, p: Params, mp: Any) -> Any:
    if _hs_default(p):
        return (z + 3) / 6
    return mp.mpf(p["alpha"]) * z + mp.mpf(p["beta"])


def _hs_mp_g(z: Any, p: Params, mp: Any) -> Any:
    piece = _hs_piece(z, p, mp)
    return mp.mpf(0) if piece < 0 else mp.mpf(1) if piece > 0 else _hs_mp(z, p, mp)


def _hs_mp_slope(p: Params, mp: Any) -> Any:
    return mp.mpf(1) / 6 if _hs_default(p) else mp.mpf(p["alpha"])


def _hs_mp_dg(z: Any, p: Params, mp: Any) -> Any:
    return _hs_mp_slope(p, mp) if _hs_piece(z, p, mp) == 0 else mp.mpf(0)


@_quiet
def hard_swish(z: Array, p: Params) -> Array:
    """hard_swish(z) = z·relu6(z + 3)/6"""
    zc = _clip(z, -3.0, 3.0)
    s = zc + 3.0  # z + 3 = s + e (Dekker's fast two-sum: |zc| <= 3, the same s and e as
    e = zc - (s - 3.0)  # Knuth's in half the operations)
    prod, perr = two_prod(zc, s)  # z·s = prod + perr
    mid = _div6(prod, perr + zc * e)
    # |z| < 2^-500: z(z + 3)/6 = z/2 + z²/6, the square below half an ulp of z/2
    tiny = np.abs(zc) < _TINY
    if tiny.any():  # (rare: the three operations of `small` only then)
        mid = np.where(tiny, 0.5 * zc + zc * zc * _SIXTH, mid)
    # the pieces by arithmetic (cheaper than any select on unsorted z): mid·[−3 < z < 3]
    # + max(z, −3)·[z >= 3] + 0. Inside, mid + (finite z)·0 is mid (mid is never −0: +0 at
    # z = ±0); at z >= 3, (finite mid)·0 + z is z (inf too); at z <= −3, ±0 + −3·0 + 0 is
    # +0; nan stays nan
    mid *= np.abs(z) < 3  # (−3 < z < 3 in two passes; nan: False)
    hi = np.clip(z, -3.0, math.inf)
    hi *= z >= 3
    mid += hi
    mid += 0.0
    return mid


@_quiet
def hard_swish_deriv(z: Array, p: Params) -> Array:
    zc = _clip(z, -3.0, 3.0)
    s, e = two_sum(2.0 * zc, 3.0)  # 2z + 3 exactly; exact anyway near the root −1.5
    mid = _div6(s, e)
    # mid·[|z| <= 3] + [z > 3] (as the float32 form): outside, (finite mid)·0 + 0 or 1 is
    # +0 or 1; inside mid (+0 at the root −1.5); nan stays nan
    mid *= np.abs(z) <= 3  # (−3 <= z <= 3 in two passes; nan: False)
    mid += z > 3
    return mid


# ---------------------------------------------------------------------------------------
# softshrink and hardshrink


def _lambd(p: Params) -> float:
    return _num(p, "lambd")


def softshrink(z: Array, p: Params) -> Array:
    """softshrink(z) = z − lambd for z > lambd, z + lambd for z < −lambd, 0 otherwise"""
    lam = _lambd(p)
    # one of the two terms is 0, the other z ∓ lambd, of magnitude <= |z|: no overflow
    return (np.maximum(z, lam) - lam) + (np.minimum(z, -lam) + lam)


def _shrink_deriv(z: Array, p: Params) -> Array:
    lam = _lambd(p)
    if lam == 0:  # the identity: no kink
        return np.ones_like(z, dtype=float_type(z))
    return (np.abs(z) > lam).astype(float_type(z))


def hardshrink(z: Array, p: Params) -> Array:
    """hardshrink(z) = z for |z| > lambd, 0 otherwise"""
    lam = _lambd(p)
    return _where(np.abs(z) > lam, z, _where(np.isnan(z), z, 0.0))


def _shrink_kinks(p: Params) -> tuple[Kink, ...]:
    lam = _lambd(p)
    if lam == 0:
        # softshrink and hardshrink with lambd = 0 are the identity: g′ = 1, no kink.
        # (PyTorch's backward masks |z| > lambd and so returns 0 at z = 0; no side gives 0.)
        return ()
    # PyTorch returns 0 at ±lambd (|z| > lambd is false there); JAX has neither function,
    # composed from jnp.where(|z| > lambd, ...) it returns 0 as well
    return (
        Kink(-lam, left=1.0, right=0.0, pytorch="right", jax="right", unique_output=False),
        Kink(lam, left=0.0, right=1.0, pytorch="left", jax="left", unique_output=False),
    )


def _softshrink_from_a(a: Array, p: Params) -> Array:
    if _lambd(p) == 0:
        return np.ones_like(a, dtype=np.float64)
    return np.where(a != 0, 1.0, 0.0)


def _hardshrink_from_a(a: Array, p: Params) -> Array:
    lam = _lambd(p)
    if lam == 0:
        return np.ones_like(a, dtype=np.float64)
    return np.where(a == 0, 0.0, np.where(np.abs(a) > lam, 1.0, np.nan))


def _mp_softshrink(z, p, mp):
    lam = mp.mpf(p["lambd"])
    if z > lam:
        return z - lam
    if z < -lam:
        return z + lam
    return mp.mpf(0)


def _mp_hardshrink(z, p, mp):
    return z if abs(z) > mp.mpf(p["lambd"]) else mp.mpf(0)


def _mp_shrink_dg(z, p, mp):
    lam = mp.mpf(p["lambd"])
    return mp.mpf(1) if (lam == 0 or abs(z) > lam) else mp.mpf(0)


# ---------------------------------------------------------------------------------------
# threshold: z for z > threshold, value otherwise (PyTorch)


def _tv(p: Params) -> tuple[float, float]:
    return _num(p, "threshold"), _num(p, "value")


def threshold(z: Array, p: Params) -> Array:
    """threshold(z) = z for z > threshold, value for z <= threshold"""
    t, v = _tv(p)
    return _where(z > t, z, _where(np.isnan(z), z, v))


def threshold_deriv(z: Array, p: Params) -> Array:
    t, _ = _tv(p)
    return (z > t).astype(float_type(z))


def _threshold_kinks(p: Params) -> tuple[Kink, ...]:
    t, _ = _tv(p)
    # PyTorch: z <= threshold is the constant branch, so 0 (left); JAX has no threshold:
    # the same side as PyTorch
    return (Kink(t, left=0.0, right=1.0, pytorch="left", jax="left", unique_output=False),)


def _threshold_from_a(a: Array, p: Params) -> Array:
    t, v = _tv(p)
    return np.where(a > t, 1.0, np.where(a == v, 0.0, np.nan))


def _threshold_why_not(p: Params) -> str | None:
    t, v = _tv(p)
    if v <= t:
        return None
    return (
        "with value > threshold the output a = value comes from z <= threshold (g′ = 0) "
        "and from z = value (g′ = 1), so g′ is not a function of a"
    )


# ---------------------------------------------------------------------------------------
# sparse_plus and sparse_sigmoid (JAX)


@_quiet
def sparse_plus(z: Array, p: Params) -> Array:
    """sparse_plus(z) = 0 for z <= −1, (z + 1)²/4 for −1 < z < 1, z for z >= 1"""
    zc = _clip(z, -1.0, 1.0)
    s, e = two_sum(zc, 1.0)  # z + 1 = s + e, s in [0, 2]
    sq, sqe = two_prod(s, s)
    mid = (sq + (sqe + 2.0 * s * e)) * 0.25  # e² < 2^-106·s²: negligible
    return np.where(z >= 1, z, mid)  # mid is exactly 0.0 at zc = −1 (nan stays nan)


def sparse_plus_deriv(z: Array, p: Params) -> Array:
    zc = _clip(z, -1.0, 1.0)
    # one rounding; the halving is exact (result >= 2^-54); exactly 0.0 and 1.0 at zc = ∓1
    return (zc + 1.0) * 0.5


def sparse_sigmoid(z: Array, p: Params) -> Array:
    """sparse_sigmoid(z) = 0 for z <= −1, (z + 1)/2 for −1 < z < 1, 1 for z >= 1"""
    zc = _clip(z, -1.0, 1.0)
    return (zc + 1.0) * 0.5  # exactly 0.0 and 1.0 at zc = ∓1 (nan stays nan)


def sparse_sigmoid_deriv(z: Array, p: Params) -> Array:
    return ((z > -1) & (z < 1)).astype(float_type(z)) * 0.5  # 0.5 where true, 0.0 elsewhere


# ---------------------------------------------------------------------------------------
# parameter checks


def _finite_nonneg(v: float) -> bool:
    return math.isfinite(v) and v >= 0


_NONNEG = "a finite number >= 0"


def _mp_piece(z, mp, lo, hi, below, middle, above):
    """below(z) for z <= lo, middle(z) for lo < z < hi, above(z) for z >= hi (mpf)."""
    if z <= lo:
        return below(z)
    if z >= hi:
        return above(z)
    return middle(z)


SPECS: tuple[Spec, ...] = (
    Spec(
        name="identity",
        aliases=("linear",),
        # the identity; no activation (PyTorch nn.Identity, JAX jax.nn.identity)
        formula="identity(z) = z",
        deriv_formula="identity′(z) = 1",
        from_output_formula="1",
        g=identity,
        dg=identity_deriv,
        dg_from_a=lambda a, p: np.ones_like(a, dtype=np.float64),
        exact=lambda z, p, mp: z,
        exact_dg=lambda z, p, mp: mp.mpf(1),
    ),
    Spec(
        name="relu6",
        # ReLU capped at 6; PyTorch and JAX both return 0 at the kinks 0 and 6
        formula="relu6(z) = min(max(0, z), 6)",
        deriv_formula="relu6′(z) = 1 for 0 < z < 6, 0 for z < 0 or z > 6 (kinks at 0 and 6)",
        from_output_formula="1 for 0 < a < 6, 0 for a = 0 or a = 6",
        g=relu6,
        dg=relu6_deriv,
        dg_from_a=lambda a, p: np.where((a > 0) & (a < 6), 1.0, 0.0),
        output_range=lambda p: (0.0, 6.0),
        kinks=lambda p: (
            Kink(0.0, left=0.0, right=1.0, pytorch="left", jax="left", unique_output=False),
            Kink(6.0, left=1.0, right=0.0, pytorch="right", jax="right", unique_output=False),
        ),
        exact=lambda z, p, mp: mp.mpf(0) if z <= 0 else (mp.mpf(6) if z >= 6 else z),
        exact_dg=lambda z, p, mp: mp.mpf(1 if 0 < z < 6 else 0),
    ),
    Spec(
        name="prelu",
        frameworks=("PyTorch",),
        # parametric ReLU as an elementwise function with one weight; g′(0) is the weight for
        # PyTorch; JAX has no prelu: the same (left) side
        formula="prelu(z) = z for z >= 0, weight·z for z < 0",
        deriv_formula="prelu′(z) = weight for z < 0, 1 for z > 0 (kink at 0)",
        from_output_formula="1 for a > 0, weight for a < 0 (weight >= 0)",
        params=(Param("weight", 0.25, "slope for z < 0 (PyTorch's initial weight)"),),
        g=lambda z, p: slope_linear(z, _num(p, "weight")),
        dg=lambda z, p: slope_linear_deriv(z, _num(p, "weight")),
        dg_from_a=lambda a, p: slope_from_a(a, _num(p, "weight")),
        from_output_unavailable=lambda p: slope_why_not(_num(p, "weight"), "weight"),
        output_range=lambda p: slope_range(_num(p, "weight")),
        kinks=lambda p: _slope_kinks(_num(p, "weight")),
        exact=lambda z, p, mp: z if z >= 0 else mp.mpf(p["weight"]) * z,
        exact_dg=lambda z, p, mp: mp.mpf(1) if z > 0 else mp.mpf(p["weight"]),
    ),
    Spec(
        name="rrelu",
        frameworks=("PyTorch",),
        # randomized leaky ReLU in evaluation mode: the slope for z < 0 is the mean (lower +
        # upper)/2; g′(0) is that slope for PyTorch; JAX has no rrelu: the same side
        formula="rrelu(z) = z for z >= 0, ((lower + upper)/2)·z for z < 0 (evaluation mode)",
        deriv_formula="rrelu′(z) = (lower + upper)/2 for z < 0, 1 for z > 0 (kink at 0)",
        from_output_formula="1 for a > 0, (lower + upper)/2 for a < 0",
        params=(
            Param("lower", 1.0 / 8.0, "lower bound of the random slope (PyTorch's default 1/8)",
                  allowed="a finite number >= 0, at most upper", valid=_finite_nonneg),
            Param("upper", 1.0 / 3.0, "upper bound of the random slope (PyTorch's default 1/3)",
                  allowed="a finite number >= lower (so >= 0)", valid=_finite_nonneg),
        ),
        g=_rrelu,
        dg=lambda z, p: slope_linear_deriv(z, _rrelu_slope(p)),
        dg_from_a=lambda a, p: slope_from_a(a, _rrelu_slope(p)),
        output_range=lambda p: slope_range(_rrelu_slope(p)),
        kinks=_rrelu_kinks,
        exact=lambda z, p, mp: z if z >= 0 else _mp_rrelu_slope(p, mp) * z,
        exact_dg=lambda z, p, mp: mp.mpf(1) if z > 0 else _mp_rrelu_slope(p, mp),
    ),
    Spec(
        name="hard_sigmoid",
        aliases=("hardsigmoid",),
        # piecewise-linear sigmoid relu6(z + 3)/6 (PyTorch and JAX alike); both return 0 at the
        # kinks ±3. alpha, beta: tinygrad's hardsigmoid(alpha=1/6, beta=0.5), clamp(α·z + β,
        # 0, 1) (the comment above hard_sigmoid); the sides at other kinks are PyTorch's rule,
        # 0 outside the open interval, carried over
        sources=("tinygrad: Tensor.hardsigmoid(alpha=1/6, beta=0.5) "
                 "(tinygrad/tensor.py)",),
        formula="hard_sigmoid(z) = clamp(α·z + β, 0, 1); the defaults α = 1/6, β = 1/2: "
        "relu6(z + 3)/6 = 0 for z <= −3, (z + 3)/6 for −3 < z < 3, 1 for z >= 3",
        deriv_formula="hard_sigmoid′(z) = α for 0 < α·z + β < 1, else 0 (kinks at −β/α and "
                      "(1 − β)/α: ±3 for the defaults)",
        from_output_formula="α for 0 < a < 1, 0 for a = 0 or a = 1",
        params=(Param("alpha", _SIXTH, "the slope α (tinygrad's alpha; 0.2 in ONNX, Keras 2, "
                      "TF1); the default pair (0.16666666666666666, 0.5) is α = 1/6 exactly",
                      allowed="a number with 1e-150 <= alpha <= 1e150",
                      valid=lambda v: _HS_ALPHA[0] <= v <= _HS_ALPHA[1]),
                Param("beta", 0.5, "the offset β (tinygrad's beta)",
                      allowed="0 or a number with 1e-150 <= |beta| <= 1e100",
                      valid=lambda v: v == 0 or _HS_BETA[0] <= abs(v) <= _HS_BETA[1])),
        g=hard_sigmoid,
        dg=hard_sigmoid_deriv,
        dg_from_a=lambda a, p: np.where((a > 0) & (a < 1),
                                        _SIXTH if _hs_default(p) else p["alpha"], 0.0),
        output_range=lambda p: (0.0, 1.0),
        kinks=_hs_kinks,
        off_kinks=_hs_off_kinks,
        breaks=_hs_breaks,
        exact=_hs_mp_g,
        exact_dg=_hs_mp_dg,
    ),
    Spec(
        name="hard_swish",
        aliases=("hardswish", "hard_silu"),
        # z·hard_sigmoid(z) (PyTorch and JAX alike); both return 0 at −3 (left slope) and 1 at 3
        # (right slope)
        formula="hard_swish(z) = z·relu6(z + 3)/6 = 0 for z <= −3, z(z + 3)/6 for −3 < z < 3, "
        "z for z >= 3",
        deriv_formula="hard_swish′(z) = 0 for z < −3, (2z + 3)/6 for −3 < z < 3, 1 for z > 3 "
        "(kinks at ±3)",
        from_output_formula=None,
        g=hard_swish,
        dg=hard_swish_deriv,
        dg_from_a=None,  # a = z(z + 3)/6 takes each value in (−3/8, 0) twice
        output_range=lambda p: (-0.375, math.inf),
        kinks=lambda p: (
            Kink(-3.0, left=0.0, right=-0.5, pytorch="left", jax="left", unique_output=False),
            Kink(3.0, left=1.5, right=1.0, pytorch="right", jax="right", unique_output=True),
        ),
        exact=lambda z, p, mp: _mp_piece(z, mp, -3, 3, lambda x: mp.mpf(0),
                                         lambda x: x * (x + 3) / 6, lambda x: x),
        exact_dg=lambda z, p, mp: _mp_piece(z, mp, -3, 3, lambda x: mp.mpf(0),
                                            lambda x: (2 * x + 3) / 6, lambda x: mp.mpf(1)),
    ),
    Spec(
        name="hard_tanh",
        aliases=("hardtanh",),
        # clip to [min_val, max_val]; PyTorch returns 0 at both kinks, JAX 1 (jax.nn.hard_tanh
        # has no parameters: its side carried over)
        formula="hard_tanh(z) = min(max(z, min_val), max_val)",
        deriv_formula="hard_tanh′(z) = 1 for min_val < z < max_val, 0 for z < min_val or "
        "z > max_val (kinks at min_val and max_val)",
        from_output_formula="1 for min_val < a < max_val, 0 for a = min_val or a = max_val",
        params=(
            Param("min_val", -1.0, "lower bound (PyTorch's default)",
                  allowed="a finite number < max_val"),
            Param("max_val", 1.0, "upper bound (PyTorch's default)",
                  allowed="a finite number > min_val"),
        ),
        g=hard_tanh,
        dg=hard_tanh_deriv,
        dg_from_a=lambda a, p: np.where((a > _num(p, "min_val")) & (a < _num(p, "max_val")),
                                        1.0, 0.0),
        output_range=lambda p: _hard_tanh_bounds(p),
        kinks=_hard_tanh_kinks,
        exact=lambda z, p, mp: min(max(z, mp.mpf(p["min_val"])), mp.mpf(p["max_val"])),
        exact_dg=lambda z, p, mp: mp.mpf(1 if p["min_val"] < z < p["max_val"] else 0),
    ),
    Spec(
        name="softshrink",
        aliases=("soft_shrink",),  # Keras' and MLX's name
        frameworks=("PyTorch",),
        # soft thresholding; PyTorch returns 0 at ±lambd; JAX has no softshrink: the same side
        # (what jnp.where(|z| > lambd, ...) gives). For lambd = 0 it is the identity with g′ = 1
        # and no kink (PyTorch's autograd returns 0 at z = 0 there)
        formula="softshrink(z) = z − lambd for z > lambd, z + lambd for z < −lambd, 0 otherwise",
        deriv_formula="softshrink′(z) = 1 for |z| > lambd, 0 for |z| < lambd (kinks at ±lambd)",
        from_output_formula="1 for a ≠ 0, 0 for a = 0 (1 everywhere for lambd = 0)",
        params=(Param("lambd", 0.5, "half-width of the dead zone (PyTorch's default)",
                      allowed=_NONNEG, valid=_finite_nonneg),),
        g=softshrink,
        dg=_shrink_deriv,
        dg_from_a=_softshrink_from_a,
        kinks=_shrink_kinks,
        exact=_mp_softshrink,
        exact_dg=_mp_shrink_dg,
    ),
    Spec(
        name="hardshrink",
        aliases=("hard_shrink",),  # Keras' and MLX's name
        frameworks=("PyTorch",),
        # hard thresholding, g jumps at ±lambd; PyTorch returns 0 there; JAX has no hardshrink:
        # the same side. For lambd = 0 it is the identity with g′ = 1 and no kink (PyTorch's
        # autograd returns 0 at z = 0 there)
        formula="hardshrink(z) = z for |z| > lambd, 0 otherwise",
        deriv_formula="hardshrink′(z) = 1 for |z| > lambd, 0 for |z| < lambd (g jumps at "
        "±lambd)",
        from_output_formula="1 for a ≠ 0, 0 for a = 0 (1 everywhere for lambd = 0); "
        "0 < |a| <= lambd is no output: nan",
        params=(Param("lambd", 0.5, "half-width of the dead zone (PyTorch's default)",
                      allowed=_NONNEG, valid=_finite_nonneg),),
        g=hardshrink,
        dg=_shrink_deriv,
        dg_from_a=_hardshrink_from_a,
        kinks=_shrink_kinks,
        exact=_mp_hardshrink,
        exact_dg=_mp_shrink_dg,
    ),
    Spec(
        name="threshold",
        frameworks=("PyTorch",),
        # PyTorch's threshold: z above the threshold, a constant value below (PyTorch requires
        # both parameters; 0 and 0 here, which is relu). g′ at the threshold is 0 (z <=
        # threshold is the constant branch); JAX has no threshold: the same side
        formula="threshold(z) = z for z > threshold, value for z <= threshold",
        deriv_formula="threshold′(z) = 1 for z > threshold, 0 for z < threshold (kink at the "
        "threshold, where g also jumps unless value = threshold)",
        from_output_formula="1 for a > threshold, 0 for a = value (value <= threshold); "
        "value < a <= threshold is no output: nan",
        params=(
            Param("threshold", 0.0, "z above it passes (required in PyTorch; 0 here)"),
            Param("value", 0.0, "output for z <= threshold (required in PyTorch; 0 here)"),
        ),
        g=threshold,
        dg=threshold_deriv,
        dg_from_a=_threshold_from_a,
        from_output_unavailable=_threshold_why_not,
        output_range=lambda p: (min(_tv(p)[1], _tv(p)[0]), math.inf),
        kinks=_threshold_kinks,
        exact=lambda z, p, mp: z if z > p["threshold"] else mp.mpf(p["value"]),
        exact_dg=lambda z, p, mp: mp.mpf(1 if z > p["threshold"] else 0),
    ),
    Spec(
        name="sparse_plus",
        frameworks=("JAX",),
        # JAX's sparse twin of softplus, C¹: g′ is continuous, g″ jumps at ±1 (no kinks; the
        # gradient check differentiates one-sided there)
        formula="sparse_plus(z) = 0 for z <= −1, (z + 1)²/4 for −1 < z < 1, z for z >= 1",
        deriv_formula="sparse_plus′(z) = 0 for z <= −1, (z + 1)/2 for −1 < z < 1, 1 for z >= 1",
        from_output_formula="√a for a < 1, 1 for a >= 1",
        g=sparse_plus,
        dg=sparse_plus_deriv,
        dg_from_a=lambda a, p: np.where(a < 1, np.sqrt(np.minimum(a, 1.0)), 1.0),
        output_range=lambda p: (0.0, math.inf),
        breaks=lambda p: (-1.0, 1.0),
        exact=lambda z, p, mp: _mp_piece(z, mp, -1, 1, lambda x: mp.mpf(0),
                                         lambda x: (x + 1) ** 2 / 4, lambda x: x),
        exact_dg=lambda z, p, mp: _mp_piece(z, mp, -1, 1, lambda x: mp.mpf(0),
                                            lambda x: (x + 1) / 2, lambda x: mp.mpf(1)),
    ),
    Spec(
        name="sparse_sigmoid",
        frameworks=("JAX",),
        # JAX's sparse twin of the sigmoid, 0.5·clip(z + 1, 0, 2); JAX's clip splits the
        # gradient at a tie, so it returns the mean 1/4 at ±1; PyTorch has no sparse_sigmoid:
        # the same
        formula="sparse_sigmoid(z) = 0 for z <= −1, (z + 1)/2 for −1 < z < 1, 1 for z >= 1",
        deriv_formula="sparse_sigmoid′(z) = 1/2 for −1 < z < 1, 0 for |z| > 1 (kinks at ±1)",
        from_output_formula="1/2 for 0 < a < 1, 0 for a = 0 or a = 1",
        g=sparse_sigmoid,
        dg=sparse_sigmoid_deriv,
        dg_from_a=lambda a, p: np.where((a > 0) & (a < 1), 0.5, 0.0),
        output_range=lambda p: (0.0, 1.0),
        kinks=lambda p: (
            Kink(-1.0, left=0.0, right=0.5, pytorch="mean", jax="mean", unique_output=False),
            Kink(1.0, left=0.5, right=0.0, pytorch="mean", jax="mean", unique_output=False),
        ),
        exact=lambda z, p, mp: _mp_piece(z, mp, -1, 1, lambda x: mp.mpf(0),
                                         lambda x: (x + 1) / 2, lambda x: mp.mpf(1)),
        exact_dg=lambda z, p, mp: mp.mpf(0.5) if -1 < z < 1 else mp.mpf(0),
    ),
)


# =======================================================================================
# issue 13 (cat13a): relu2, hard_mish, step — the modern catalogue's piecewise entries.
# relu2 = max(0, z)²: z·z and 2z are one rounding each (correctly rounded; overflow to inf
# is the correct rounding). hard_mish = ½·z·clamp(z + 2, 0, 2) (timm): on (−2, 0) the
# parabola z(z + 2)/2 from an exact two-sum and two-product, rounded once; g′ = z + 1 there
# (exact near its root −1 by Sterbenz). step (MLX): 1 for z > threshold, else 0 — MLX's code
# is ``mx.where(x > threshold, 1, 0)`` (its docstring says x >= threshold; the code is what
# users' bits match): g jumps at the threshold, g′ = 0 on both sides.


def relu2(z: Array, p: Params) -> Array:
    """relu2(z) = max(0, z)²"""
    zp = _where(z > 0, z, _where(np.isnan(z), z, 0.0))
    with np.errstate(over="ignore", under="ignore"):
        return zp * zp


def relu2_deriv(z: Array, p: Params) -> Array:
    zp = _where(z > 0, z, 0.0)
    with np.errstate(over="ignore"):
        return 2.0 * zp


@_quiet
def hard_mish(z: Array, p: Params) -> Array:
    """hard_mish(z) = ½·z·clamp(z + 2, 0, 2)"""
    zc = np.clip(z, -2.0, 0.0)  # (the sign of a 0 here: z itself is the value at z = ±0)
    s, e = two_sum(zc, 2.0)  # z + 2 = s + e exactly
    prod, perr = two_prod(zc, s)
    mid = 0.5 * (prod + (perr + zc * e))  # the halving is exact but below 2^-1021
    tiny = np.abs(zc) < _TINY  # |z| < 2^-500: z(z + 2)/2 = z + z²/2
    if tiny.any():
        mid = np.where(tiny, zc + 0.5 * (zc * zc), mid)
    return _where(z <= -2, 0.0, _where(z >= 0, z, mid))


def hard_mish_deriv(z: Array, p: Params) -> Array:
    # clip(z, −2, 0) + 1 (1 at both zeros, 1 above 0), times [z >= −2], + 0 (the +0 of
    # −1·0 below −2): arithmetic, no select (whose integer temporaries cost more than the
    # rest); each step exact but the one rounding of zc + 1 (``in_type``)
    r = np.clip(z, -2.0, 0.0)
    r += 1.0
    r *= z >= -2.0  # (nan: nan·0 is nan)
    r += 0.0
    return r


def _hard_mish_kinks(p: Params) -> tuple[Kink, ...]:
    # PyTorch's clamp backward passes the gradient on the closed interval min <= x <= max,
    # so at z = −2: ½·clamp + ½·z·1 = −1, the right slope; timm's own backward
    # (hard_mish_bwd: where(−2 <= x <= 0, x + 1, ...)) the same. JAX has no hard_mish:
    # the same side. (g′ is continuous at 0: 1 on both sides.)
    return (Kink(-2.0, left=0.0, right=-1.0, pytorch="right", jax="right",
                 unique_output=False),)


def _step_t(p: Params) -> float:
    return _num(p, "threshold")


def step(z: Array, p: Params) -> Array:
    """step(z) = 1 for z > threshold, 0 otherwise (MLX's code)"""
    t = _step_t(p)
    r = (z > t).astype(float_type(z))
    nan = np.isnan(z)
    if nan.any():
        r[nan] = np.nan
    return r


def step_deriv(z: Array, p: Params) -> Array:
    return np.zeros_like(z, dtype=float_type(z))


def _step_kinks(p: Params) -> tuple[Kink, ...]:
    # g jumps, g′ is 0 on both sides: a kink only as a jump of g (``g_jumps``), so that no
    # difference quotient straddles it. Every autograd gives 0 there (where's gradient
    # ignores its condition); what MLX's grad returns at the threshold was not measured
    # (shared/anchors/frameworks.md does not record it): unknown here, 0 by its source
    return (Kink(_step_t(p), left=0.0, right=0.0, pytorch="left", jax="left",
                 unique_output=False, g_jumps=True),)


MODERN_SPECS: tuple[Spec, ...] = (
    Spec(
        name="relu2",
        # haliax's (levanter's) relu_squared, jnp.square(relu(x)); Liger's LigerReLUSquared
        aliases=("relu_squared",),
        frameworks=("PyTorch",),
        # squared ReLU (So et al. 2021, Primer; Nemotron): transformers' relu2 is
        # torch.square(relu(x)) on PyTorch; JAX has none: its side carried over. g′ is
        # continuous (0 at 0), g″ jumps from 0 to 2 there (second.py)
        formula="relu2(z) = max(0, z)² = z² for z > 0, 0 for z <= 0",
        deriv_formula="relu2′(z) = 2z for z > 0, 0 for z <= 0 (continuous; g″ jumps at 0)",
        from_output_formula="2√a",
        g=relu2,
        dg=relu2_deriv,
        dg_from_a=lambda a, p: 2.0 * np.sqrt(np.maximum(a, 0.0)),
        output_range=lambda p: (0.0, math.inf),
        breaks=lambda p: (0.0,),
        exact=lambda z, p, mp: z * z if z > 0 else mp.mpf(0),
        exact_dg=lambda z, p, mp: 2 * z if z > 0 else mp.mpf(0),
        sources=("transformers: ReLUSquaredActivation, ACT2CLS 'relu2' "
                 "(src/transformers/activations.py; NemotronConfig hidden_act='relu2')",
                 "MLX: composed as mx.square(nn.relu(x)) (mlx-lm model code)"),
    ),
    Spec(
        name="hard_mish",
        frameworks=("PyTorch",),
        # timm's hard mish ½·z·clamp(z + 2, 0, 2), on PyTorch: at the kink −2 its clamp
        # passes the gradient (right slope −1); JAX has none: the same side. g″ jumps at −2
        # (0 to 1) and at 0 (1 to 0)
        formula="hard_mish(z) = ½·z·clamp(z + 2, 0, 2) = 0 for z <= −2, z(z + 2)/2 for "
        "−2 < z < 0, z for z >= 0",
        deriv_formula="hard_mish′(z) = 0 for z < −2, z + 1 for −2 < z < 0, 1 for z > 0 "
        "(kink at −2)",
        g=hard_mish,
        dg=hard_mish_deriv,
        dg_from_a=None,  # a = z(z + 2)/2 takes each value in (−1/2, 0) twice
        output_range=lambda p: (-0.5, math.inf),
        kinks=_hard_mish_kinks,
        breaks=lambda p: (0.0,),
        exact=lambda z, p, mp: _mp_piece(z, mp, -2, 0, lambda x: mp.mpf(0),
                                         lambda x: x * (x + 2) / 2, lambda x: x),
        exact_dg=lambda z, p, mp: _mp_piece(z, mp, -2, 0, lambda x: mp.mpf(0),
                                            lambda x: x + 1, lambda x: mp.mpf(1)),
        sources=("timm: hard_mish / HardMish, get_act_fn('hard_mish') "
                 "(timm/layers/activations.py; activations_me.py hard_mish_bwd)",),
    ),
    Spec(
        name="step",
        frameworks=("PyTorch",),
        # MLX's step, mx.where(x > threshold, 1, 0): g jumps from 0 to 1 at the threshold,
        # where g′ is a delta; every autograd returns 0 there (no framework here measured:
        # what MLX's grad returns at the threshold is unknown to this catalogue, its source
        # suggests 0); PyTorch and JAX have no step: 0, the value of both sides
        formula="step(z) = 1 for z > threshold, 0 for z <= threshold",
        deriv_formula="step′(z) = 0 for z ≠ threshold (g jumps by 1 at the threshold)",
        params=(Param("threshold", 0.0, "where g jumps from 0 to 1 (MLX's default)"),),
        g=step,
        dg=step_deriv,
        from_output_formula="0",
        dg_from_a=lambda a, p: np.zeros_like(a, dtype=np.float64),
        output_range=lambda p: (0.0, 1.0),
        kinks=_step_kinks,
        exact=lambda z, p, mp: mp.mpf(1) if z > p["threshold"] else mp.mpf(0),
        exact_dg=lambda z, p, mp: mp.mpf(0),
        sources=("MLX: mlx.nn.step / nn.Step(threshold=0.0), mx.where(x > threshold, 1, 0) "
                 "(python/mlx/nn/layers/activations.py)",),
    ),
)

SPECS = SPECS + MODERN_SPECS


# the forms computed in the input's own float type (base.py: each piece one comparison,
# selection or IEEE operation on z and constants exact in the type)
for _f in (identity, identity_deriv, relu6, relu6_deriv, relu2, relu2_deriv, sparse_sigmoid,
           sparse_sigmoid_deriv, sparse_plus_deriv, hard_mish_deriv):
    _f.in_type = in_type_always  # type: ignore[attr-defined]
hard_tanh.in_type = hard_tanh_deriv.in_type = in_type_when_exact(  # type: ignore[attr-defined]
    "min_val", "max_val")
for _f in (softshrink, hardshrink, _shrink_deriv):
    _f.in_type = in_type_when_exact("lambd")  # type: ignore[attr-defined]
threshold.in_type = in_type_when_exact("threshold", "value")  # type: ignore[attr-defined]
threshold_deriv.in_type = in_type_when_exact("threshold")  # type: ignore[attr-defined]
step.in_type = step_deriv.in_type = in_type_when_exact("threshold")  # type: ignore[attr-defined]
# forms with several temporaries of z's size: faster by chunks that stay in cache than on a
# whole array of 1e6 values (relu2 float64 11 ms against 18, hardshrink 9 against 14,
# threshold 9 against 12; the single-operation forms the other way round)
for _f in (relu2, relu2_deriv, hardshrink, _shrink_deriv, threshold, threshold_deriv):
    _f.chunked = True  # type: ignore[attr-defined]
# hard_sigmoid′ with the defaults: 0 or 1/6 rounded once to the type (the bits of the
# float64 1/6 rounded: 1/6's pattern 0.0010101… lies nowhere near a rounding boundary)
hard_sigmoid_deriv.in_type = lambda p, dtype: _hs_default(p)  # type: ignore[attr-defined]


# (z + 3)/6 and (2z + 3)/6 land exactly on a rounding boundary of float32 (a midpoint of two
# neighbours) only where they are exact, as for z + 3 = 6·m with m of 25 bits: the boundary
# test cannot tell that from an error of a few ULP, but the result is exact where 6·r is
# exactly the numerator (error-free sum and product), and rounding an exact value once is
# correct. The registry's ``exact_where`` hook leaves those out of the rigorous fallback.


def _sixth_exact(num: tuple[Array, Array], r: Array) -> Array:
    p, e = two_prod(np.full_like(r, 6.0), r)
    return (p == num[0]) & (e == num[1])


hard_sigmoid.exact_where = lambda z, r, p: _sixth_exact(  # type: ignore[attr-defined]
    two_sum(_clip(z, -3.0, 3.0), 3.0), r)
hard_swish_deriv.exact_where = lambda z, r, p: _sixth_exact(  # type: ignore[attr-defined]
    two_sum(2.0 * _clip(z, -3.0, 3.0), 3.0), r)


# Cheaper forms for results in float32 and smaller types (the registry's ``small``; ``ulp``:
# the error bound in float64 ULP its boundary test assumes). Their inputs are float64 arrays
# holding values of the small type (at most 24 significant bits, |z| >= 2^-149 or 0): z·6,
# 2z and the clips are exact there, each other operation rounds once (u = 2^-53, below
# one float64 ULP of its result), and no difference cancels: near the roots (z = −3 for
# z + 3, −1.5 for 2z + 3) those sums are exact (Sterbenz). So:
#   hard_sigmoid = (clip(z, −3, 3) + 3)/6: two roundings, < 2 ULP, bound 8.
#   hard_swish   = max(z, −3)·clip(z + 3, 0, 6)/6: three roundings, < 3.01 ULP, bound 8;
#                  z·6/6 = z exactly for z >= 3 (inf too), +0 for z <= −3 (the +0.0).
#   hard_swish′  = (2·clip(z, −3, 3) + 3)/6, 0 below −3, 1 above 3: < 2 ULP, bound 8.
#   hard_mish    = max(z, −2)·clip(z + 2, −0, 2)·½: two roundings, < 2.01 ULP, bound 8;
#                  z·2·½ = z for z >= 0 (−0 too), +0 for z <= −2.
# Results the boundary test flags (near a midpoint of the small type, or below its normal
# range, such as z/2 for the smallest z) get the rigorous value, as from the accurate forms:
# both round the exact value once, so the bits are the same.


def _hard_sigmoid_small(z: Array, p: Params) -> Array:
    if not _hs_default(p):
        return hard_sigmoid(z, p)
    r = np.clip(z, -3.0, 3.0)
    r += 3.0  # +0 at z <= −3
    r /= 6.0
    return r


def _hard_swish_small(z: Array, p: Params) -> Array:
    w = z + 3.0
    np.clip(w, 0.0, 6.0, out=w)
    r = np.clip(z, -3.0, math.inf)
    r *= w
    r /= 6.0
    r += 0.0  # (−3·0 = −0 for z <= −3; z = ±0 gives +0 as the accurate form)
    return r


def _hard_swish_deriv_small(z: Array, p: Params) -> Array:
    # the pieces by arithmetic (a masked copy costs 4x the rest on unsorted z): r·[|z| <= 3]
    # + [z > 3]; outside, ±r·0 + 0 or 1 is +0 or 1, inside r + 0 is r (r = 0 only as +0)
    r = np.clip(z, -3.0, 3.0)
    r *= 2.0
    r += 3.0
    r /= 6.0
    r *= (z >= -3.0) & (z <= 3.0)  # (nan: nan·0 is nan)
    r += z > 3.0
    return r


def _hard_mish_small(z: Array, p: Params) -> Array:
    # w = −(−z − 2) = z + 2 (the same rounding), −0 at z = −2 and clipped to −0 below: there
    # −2·(−0) is the accurate form's +0 (at z = −0, −0·2 stays −0, its value too)
    w = -z
    w -= 2.0
    np.negative(w, out=w)
    np.clip(w, -0.0, 2.0, out=w)
    r = np.clip(z, -2.0, math.inf)
    r *= w
    r *= 0.5
    return r


for _f, _s in ((hard_sigmoid, _hard_sigmoid_small), (hard_swish, _hard_swish_small),
               (hard_swish_deriv, _hard_swish_deriv_small), (hard_mish, _hard_mish_small)):
    _s.ulp = 8.0  # type: ignore[attr-defined]
    _f.small = _s  # type: ignore[attr-defined]
_hard_sigmoid_small.exact_where = hard_sigmoid.exact_where  # type: ignore[attr-defined]
_hard_swish_deriv_small.exact_where = hard_swish_deriv.exact_where  # type: ignore[attr-defined]
