"""Smooth activations (and those smooth but for a kink at 0): ELU family, GELU, SiLU, Mish,
softplus, softsign, log-sigmoid, tanhshrink, squareplus.

Every g and g′ here is meant to be within a few ULP (float64) of the true value at every
float64 input: ±0, subnormals, the tails out to ±1.8e308, ±inf; nan gives nan. The hard
spots and what is done about them:

- exponential tails: e^t is formed as m·2^k (``special.exp_split``, Cody–Waite reduction of
  an argument kept as an unevaluated sum hi + lo) and the product with the other factors is
  rounded once, by ldexp (``special.ldexp``: np.ldexp's bits), at the end. So silu(−745) = −745·e^−745 is not lost when
  e^−745 alone rounds to a subnormal, and an argument such as β·z, −z²/2 or the tanh-GELU's
  2√(2/π)(z + 0.044715z³) (up to ~745 in size, where one rounding of it would cost hundreds
  of ULP after exponentiation) is carried to ~2^−100 with error-free products.
- roots of g′ (silu ≈ −1.278, mish ≈ −1.192, gelu ≈ −0.7518, tanh-gelu ≈ −0.7525), where g′
  is a difference of two nearly equal terms: g′ is rewritten around the root z0 with
  δ = z − z0 (z − z0_hi is exact by Sterbenz's lemma near the root, then − z0_lo) so that
  every term has the sign of δ. For silu, 1 + z + e^z = δ + e^z0·expm1(δ) since
  e^z0 = −1 − z0; mish and tanh-gelu have analogous identities (see their sections).
  The exact gelu has none (Φ is not elementary): there (Φ(z)/φ(z) + z)/(z − z0) is a
  polynomial fitted in mpmath (Chebyshev interpolation, error < 1e-19), so g′ =
  e^(−z²/2)·δ·H(z).
- cancellations elsewhere: erfc instead of 1 + erf, log1p(e^−|z|), σ(z)σ(−z), expm1,
  z − tanh z as z³·P(z²) for |z| < 1 (fitted polynomial), squareplus's z + √(z²+b) as
  b/(√(z²+b) − z) for z < 0.

The constants below (roots and values there as double-double pairs hi, lo, the fitted
polynomials) were computed with mpmath at 60 digits; the polynomials are in t ∈ [−1, 1]
(Chebyshev interpolation converted to monomials; "condition" = max Σ|c_k t^k| / |Σ c_k t^k|).
"""

from __future__ import annotations

import functools
import math
import struct
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from ..numerics import special
from ..numerics.special import dd, dd_add, dd_div, dd_mul, dd_val, exp_split, split, two_prod, two_sum
from ..numerics.special import ldexp as _ldexp, where as _where
from .base import Array, Kink, Param, Params, Spec

INF = math.inf


def _vec(f):
    """Run f on a flat float64 copy of z and give the result z's shape."""

    def wrapper(z: Array, p: Params) -> Array:
        z = np.asarray(z, dtype=np.float64)
        return np.asarray(f(z.ravel(), p), dtype=np.float64).reshape(z.shape)

    wrapper.__name__ = f.__name__
    wrapper.__doc__ = f.__doc__
    wrapper.__dict__.update(f.__dict__)  # the registry's small and with_deriv forms
    return wrapper


def _poly_dd(coeffs: tuple[float, ...], t: Array) -> tuple[Array, Array]:
    """Σ coeffs[i]·t^i as a double-double: Horner for the tail, the last step c0 + t·R
    error-free (for polynomials dominated by c0, this leaves ~0.3 ULP)."""
    r = special.poly(coeffs[1:], t)
    p, e = two_prod(r, t)
    s, e2 = two_sum(np.full_like(t, coeffs[0]), p)
    return special.fast_two_sum(s, e + e2)


def _ldexp_inf(y: Array, k: Array) -> Array:
    """y·2^k rounded once, ±inf where that overflows, without a warning."""
    f, e = np.frexp(y)
    ee = e.astype(np.int64) + k
    big = (ee > 1024) & ~np.isnan(y)  # nan's frexp exponent is meaningless
    return _where(big, np.copysign(INF, y), _ldexp(f, np.minimum(ee, 1024)))


def _one_plus_sq(e: Array, s: Array | None = None) -> Array:
    """(1 + e)² for e >= 0 with one rounding (1 + e is split exactly first); `s`: 1 + e,
    if computed already. Knuth's two-sum and Dekker's product of s with itself written
    out, the same operations in the same order (so the same bits) with one split of s
    and without an array of ones."""
    if s is None:
        s = 1.0 + e
    bb = s - 1.0
    t = (1.0 - (s - bb)) + (e - bb)
    sh, sl = special.split(s)
    p = s * s
    x = sh * sl
    q = (((sh * sh - p) + x) + x) + sl * sl
    return p + (q + 2.0 * s * t + t * t)


# ---------------------------------------------------------------------------------------
# ELU, SELU, CELU
# For z <= 0 these are c·expm1(z/α): expm1 is accurate to 0.5 ULP, the one product adds
# 0.5. g′ = c·e^(z/α) is subnormal below z ≈ −708α, where e^z would be rounded before the
# multiplication: there it is ldexp(c·m, k) with e^z = m·2^k. CELU divides by α: q = z/α
# is rounded, and e^q would carry that error times |q| (up to ~350 ULP); the exact remainder
# z − q·α (an error-free product) gives the correction d = (z − q·α)/α, e^(q + d).


def _exp_tail_scaled(c: float, z: Array) -> Array:
    """c·e^z for z <= 0 (|c| finite), rounded once; z clipped to >= −2000 here."""
    m, k = exp_split(np.maximum(z, -2000.0))
    return _ldexp((0.5 * c) * m, k + 1)


def elu(z: Array, p: Params) -> Array:
    """elu(z) = z for z > 0, α·(e^z − 1) for z <= 0"""
    a = p["alpha"]
    neg = a * np.expm1(np.minimum(z, 0.0))
    return _where(z > 0, z, neg)


def elu_deriv(z: Array, p: Params) -> Array:
    """elu′(z) = 1 for z > 0, α·e^z for z < 0"""
    a = p["alpha"]
    return _where(z > 0, 1.0, _exp_tail_scaled(a, np.minimum(z, 0.0)))


def _elu_from_a(a: Array, p: Params) -> Array:
    return _where(a > 0, 1.0, _where(a > 0, 0.0, a) + p["alpha"])


def _elu_why_not(p: Params) -> str | None:
    if p["alpha"] >= 0:  # alpha = 0 is relu: a = 0 for every z <= 0, where g′ = 0
        return None
    return ("with alpha < 0 an output a > 0 comes from both sides of 0, "
            "so g′ is not a function of a")


def _elu_kinks(p: Params) -> tuple[Kink, ...]:
    a = p["alpha"]
    if a == 1.0:
        return ()
    return (Kink(0.0, left=a, right=1.0, pytorch="left", jax="left", unique_output=a > 0),)


# SELU: scale λ and α as PyTorch (and JAX) write them; λ·α is kept as a double-double.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
SELU_ALPHA_STR = "1.6732632423543772848170429916717"
SELU_SCALE_STR = "1.0507009873554804934193349852946"
_SELU_SCALE_LO = 3.9874847667154144e-17  # decimal λ − float λ (checked by the tests)
_SELU_SA = (1.7580993408473768, 1.41535193800845e-17)  # λ·α of the decimal constants


def _scale_big(c: tuple[float, float], z: Array) -> Array:
    """(c_hi + c_lo)·z with c ≈ 1, rounded once, ±inf on overflow, no warning."""
    half = 0.5 * z  # exact for |z| >= 2^-1021, where it is used
    y = c[0] * half + c[1] * half
    big = np.abs(y) >= 2.0**1023
    return _where(big, np.copysign(INF, y), 2.0 * _where(big, 0.0, y))


def _selu_range(v: float) -> bool:
    return 1e-100 <= v <= 1e100


def _selu_default(p: Params) -> bool:
    return (p.get("alpha", SELU_ALPHA) == SELU_ALPHA
            and p.get("scale", SELU_SCALE) == SELU_SCALE)


def selu_constants(p: Params) -> tuple[tuple[float, float], tuple[float, float]]:
    """(λ, λ·α), each as a double-double (hi, lo): the 32-digit constants for the default
    parameters (the floats nearest them stand for them), else the floats given exactly."""
    if _selu_default(p):
        return (SELU_SCALE, _SELU_SCALE_LO), _SELU_SA
    hi, lo = two_prod(np.float64(p["scale"]), np.float64(p["alpha"]))
    return (float(p["scale"]), 0.0), (float(hi), float(lo))


def selu_exact_constants(p: Params, mp: Any) -> tuple[Any, Any]:
    """(λ, α) exactly, in mp (mpmath or the ball shim)."""
    if _selu_default(p):
        return mp.mpf(SELU_SCALE_STR), mp.mpf(SELU_ALPHA_STR)
    return mp.mpf(p["scale"]), mp.mpf(p["alpha"])


def selu(z: Array, p: Params) -> Array:
    """selu(z) = λ·z for z > 0, λ·α·(e^z − 1) for z <= 0"""
    lam, sa = selu_constants(p)
    e = np.expm1(np.minimum(z, 0.0))
    neg = sa[0] * e + sa[1] * e
    if lam[1] == 0.0:  # a float λ: one rounding (inf past the top is that rounding)
        with np.errstate(over="ignore"):
            pos = lam[0] * np.maximum(z, 0.0)
        return _where(z > 0, pos, neg)
    small = np.abs(z) < 2.0**1000
    zs = _where(small, z, 0.0)
    pos = _where(small, lam[0] * zs + lam[1] * zs, _scale_big(lam, _where(small, 1.0, z)))
    return _where(z > 0, pos, neg)


def selu_deriv(z: Array, p: Params) -> Array:
    """selu′(z) = λ for z > 0, λ·α·e^z for z < 0"""
    lam, sa = selu_constants(p)
    zc = np.maximum(np.minimum(z, 0.0), -2000.0)
    m, k = exp_split(zc)
    neg = _ldexp(sa[0] * m + sa[1] * m, k)
    return _where(z > 0, lam[0], neg)


def _selu_from_a(a: Array, p: Params) -> Array:
    lam, sa = selu_constants(p)
    return _where(a > 0, lam[0], (a + sa[0]) + sa[1])


def _selu_kinks(p: Params) -> tuple[Kink, ...]:
    lam, sa = selu_constants(p)
    return (Kink(0.0, left=sa[0], right=lam[0], pytorch="left", jax="left",
                 exact_left=lambda mp: _prod(selu_exact_constants(p, mp)),
                 exact_right=lambda mp: selu_exact_constants(p, mp)[0]),)


def _prod(c: tuple[Any, Any]) -> Any:
    return c[0] * c[1]


def _celu_q(z: Array, alpha: float) -> tuple[Array, Array]:
    """q + d = z/α to ~2^-100 relative, for z <= 0 clipped so that |q| <= 1500."""
    q = z / alpha
    fa, ea = math.frexp(alpha)  # α = fa·2^ea, |fa| in [0.5, 1)
    zs = _ldexp(z, -ea)  # z/2^ea: |zs| <= 1500·|fa|·... no overflow
    ph, pl = two_prod(q, fa)
    d = ((zs - ph) - pl) / fa
    return q, d


def _celu_clip(z: Array, alpha: float) -> Array:
    lim = -1500.0 * abs(alpha)  # may be −inf for a huge α: no clipping needed then
    return np.maximum(np.minimum(z, 0.0), lim)


def celu(z: Array, p: Params) -> Array:
    """celu(z) = z for z > 0, α·(e^(z/α) − 1) for z <= 0"""
    a = p["alpha"]
    if a == 1.0:  # (the default) elu itself: z/α = z exactly, the correction d is 0
        return elu(z, p)
    zc = _celu_clip(z, a)
    q, d = _celu_q(zc, a)
    if a > 0:
        neg = a * (np.expm1(q) + d * np.exp(q))
    else:  # q >= 0: α·expm1(q) → −∞ as z → −∞ (and overflows already for q <= 50 if |α|
        # is huge)
        qs = np.minimum(q, 50.0)
        fa, ea = math.frexp(a)
        near = _ldexp_inf(fa * (np.expm1(qs) + d * np.exp(qs)), np.full(q.shape, ea))
        m, k = exp_split(np.maximum(q, 50.0), d)
        far = -_ldexp_inf(abs(a) * 0.5 * m, k + 1)
        neg = _where(q <= 50.0, near, far)
        # z beyond the clipping point: certainly an overflow (|α|·e^1500 > max)
        neg = _where(z < zc, -INF, neg)
    tiny = np.abs(q) < 2.0**-60  # α·expm1(z/α) rounds to z
    neg = _where(tiny, zc, neg)
    return _where(z > 0, z, neg)


def celu_deriv(z: Array, p: Params) -> Array:
    """celu′(z) = 1 for z > 0, e^(z/α) for z < 0"""
    a = p["alpha"]
    if a == 1.0:  # elu′ itself (as in celu)
        return elu_deriv(z, p)
    zc = _celu_clip(z, a)
    q, d = _celu_q(zc, a)
    m, k = exp_split(q, d)
    neg = _ldexp_inf(m, k) if a < 0 else _ldexp(m, k)
    if a < 0:
        neg = _where(z < zc, INF, neg)
    return _where(z > 0, 1.0, neg)


def _celu_from_a(a: Array, p: Params) -> Array:
    # 1 + a/α; a/α = ((a/2)/f_α)·2^(1 − e_α) so that a huge quotient is inf without a warning.
    # For α > 0 and a <= −α/2, 1 + a/α cancels the rounding of a/α (2.2e-16 for 1.8e-16 at
    # α = 2.5, a = −2.4999999999999996): there it is (α + a)/α, α + a exact (Sterbenz).
    alpha = p["alpha"]
    fa, ea = math.frexp(alpha)
    an = _where(a > 0, 0.0, a)
    q = _ldexp_inf((0.5 * an) / fa, np.full(an.shape, 1 - ea))
    r = 1.0 + q
    if alpha > 0:
        near = an <= -0.5 * alpha  # a >= −α on the output range: α + a in [0, α/2]
        r = _where(near, (alpha + _where(near, an, 0.0)) / alpha, r)
    return _where(a > 0, 1.0, r)


def _celu_range(p: Params) -> tuple[float, float]:
    a = p["alpha"]
    return (-a, INF) if a > 0 else (-INF, INF)


# ---------------------------------------------------------------------------------------
# GELU (exact): g = z·Φ(z), g′ = Φ(z) + z·φ(z), Φ(z) = erfc(−z/√2)/2, φ(z) = e^(−z²/2)/√(2π).
# e^(−z²/2) is always formed from z·z as an exact double-double (the rounding of z/√2
# would be amplified 2x² times by erfc). Three regions:
#   |z| < 2:  Φ(z) = e^(−z²/2)·F(|z|)/2 (z <= 0) or 1 − that (z > 0), with
#             F(w) = erfcx(w/√2) a fitted polynomial;
#             g′ = e^(−z²/2)·(z − z0)·H(z) for z < 0, H fitted (the root z0 ≈ −0.7518 is
#             a factor, so there is no cancellation), Φ + zφ (both positive) for z >= 0;
#   z <= −2:  g = −e^(−z²/2 + L − ln √2) with L = log(x·erfcx(x)) (fdlibm's R/S − 0.5625),
#             one exponential of an argument kept to ~2^-100, rounded once (subnormal
#             from z ≈ −37.5, 0 below −38.6); g′ = −|z|·φ(z)·(1 − √π·e^L/z²);
#   z >= 2:   Φ = 1 − e^(−z²/2)·erfcx(x)/2, g′ = Φ + zφ.
_GELU_F_LO = (
    0.6992376694407961, -0.22413286304123364, 0.05938810079994531,
    -0.013728730186774027, 0.002853710663323205, -0.000543750976172563,
    9.624832029794662e-05, -1.5982237709632462e-05, 2.508315080861101e-06,
    -3.742756293369303e-07, 5.33509863861869e-08, -7.2937399498103065e-09,
    9.595257256894643e-10, -1.2181479095441914e-10, 1.4959487045958242e-11,
    -1.7781970287895958e-12, 2.0563151893993587e-13, -2.4488795796935727e-14,
    2.676635443632435e-15,
)
_GELU_F_HI = (
    0.4115613339547894, -0.09027127993534065, 0.01759343676859593,
    -0.003124247469129404, 0.0005137933975754844, -7.914336382014798e-05,
    1.1515137754774094e-05, -1.5927839484184531e-06, 2.1052455977156388e-07,
    -2.6700285270558757e-08, 3.2605923125590515e-09, -3.8451150626822167e-10,
    4.389752364947147e-11, -4.861976874785875e-12, 5.229401943149436e-13,
    -5.4816152023288845e-14, 5.858106407856197e-15, -5.833974687387384e-16,
)
_GELU_H = (
    0.5534218296402699, 0.06895639111999385, 0.027594704198278554, 0.010108808349701867,
    0.0034383334622438764, 0.0010970131961427676, 0.00033086422092117295,
    9.490521405340612e-05, 2.601631677379119e-05, 6.843106008834174e-06,
    1.7328643118292594e-06, 4.236550095691345e-07, 1.0024361209842261e-07,
    2.3004727770882146e-08, 5.129583970667149e-09, 1.1132892777163556e-09,
    2.357851854503235e-10, 4.8673999661032346e-11, 9.612627881904693e-12,
    1.900123258068227e-12, 4.543735007257338e-13, 8.542372618221952e-14,
)
# _GELU_F_LO: F(w) = erfcx(w/√2) on w ∈ [0, 1], t = 2w − 1, degree 18, fit error 1.9e-21,
#   condition 1.9; _GELU_F_HI: the same on [1, 2], t = 2w − 3, degree 17, 1.2e-21, 1.6;
# _GELU_H: H(z) = (Φ(z)/φ(z) + z)/((z − z0)·√(2π)) on z ∈ [−2, 0], t = z + 1, degree 21,
#   fit error 1.4e-20, condition 1.3.
GELU_Z0 = (-0.7517915246935645, 1.4956759177009883e-17)
_LN_SQRT_2PI = (0.9189385332046728, -3.8782941580672414e-17)
_C_TAIL = (-0.9090735902799727, 4.391591716202633e-17)  # −0.5625 − ln √2
_C_Q = (0.009864942924700087, -7.119484657650817e-20)  # −0.5625 + ln √π
_INV_SQRT2 = 0.7071067811865476
GELU_MIN = -0.16997120747990369  # g(z0) = −0.169971207479903661…, rounded down
GELU_TANH_MIN = -0.1700407505712541  # rounded down


def _exp_half_sq(z: Array, c: tuple[float, float] = (0.0, 0.0), extra: Array | float = 0.0):
    """e^(−z²/2 + c + extra) = m·2^k, the argument carried as a double-double
    (|z| <= 40 here; `extra` is an O(1) addend)."""
    pz, ez = two_prod(z, z)
    a, b = two_sum(-0.5 * pz, np.full_like(z, c[0]))
    a, b2 = two_sum(a, np.asarray(extra, dtype=np.float64) + 0.0 * z)
    return exp_split(a, b + b2 + (c[1] - 0.5 * ez))


def _gelu_F(w: Array) -> tuple[Array, Array]:
    """erfcx(w/√2) for 0 <= w < 2, as a double-double."""
    lo = w < 1.0
    a = _poly_dd(_GELU_F_LO, 2.0 * w - 1.0)
    b = _poly_dd(_GELU_F_HI, 2.0 * w - 3.0)
    return _where(lo, a[0], b[0]), _where(lo, a[1], b[1])


def _gelu_exact(z: Array, want_g: bool) -> Array:
    out = np.full(z.shape, np.nan)
    mid = np.abs(z) < 2.0
    hi = z >= 2.0
    lo = z <= -2.0
    if mid.any():
        zm = z[mid]
        m, k = _exp_half_sq(zm)
        # Φ(−|z|) = e^(−z²/2)·F(|z|)/2 in [0.02, 0.5], as a double-double (k is 0..−3)
        sc = _ldexp(0.5, k)
        q = dd_mul(dd(m * sc), _gelu_F(np.abs(zm)))
        one_minus = dd_add(dd(np.ones_like(zm)), (-q[0], -q[1]))
        phi = (_where(zm > 0, one_minus[0], q[0]), _where(zm > 0, one_minus[1], q[1]))
        if want_g:
            out[mid] = dd_val(dd_mul(dd(zm), phi))
        else:
            m2, k2 = _exp_half_sq(zm, (-_LN_SQRT_2PI[0], -_LN_SQRT_2PI[1]))
            pos = dd_val(dd_add(phi, two_prod(zm, _ldexp(m2, k2))))
            delta = special.two_sum(zm - GELU_Z0[0], np.full_like(zm, -GELU_Z0[1]))
            hz = _poly_dd(_GELU_H, zm + 1.0)
            neg = _ldexp(dd_val(dd_mul(dd(m), dd_mul(delta, hz))), k)
            out[mid] = _where(zm >= 0, pos, neg)
    if hi.any():
        zh = np.minimum(z[hi], 40.0)
        m, k = _exp_half_sq(zh)
        q = _ldexp(m * special.erfcx_big(zh * _INV_SQRT2), k - 1)
        phi = 1.0 - q
        if want_g:
            out[hi] = z[hi] * phi
        else:
            m2, k2 = _exp_half_sq(zh, (-_LN_SQRT_2PI[0], -_LN_SQRT_2PI[1]))
            out[hi] = phi + zh * _ldexp(m2, k2)
    if lo.any():
        zl = np.maximum(z[lo], -40.0)
        rs = special.erfc_rs(-zl * _INV_SQRT2)  # R/S of fdlibm: L = R/S − 0.5625
        if want_g:
            m, k = _exp_half_sq(zl, _C_TAIL, rs)
            out[lo] = -_ldexp(m, k)
        else:
            mq, kq = exp_split(rs + _C_Q[0], _C_Q[1] + 0.0 * rs)
            qq = _ldexp(mq, kq) / (zl * zl)  # √π·e^L/z²
            m2, k2 = _exp_half_sq(zl, (-_LN_SQRT_2PI[0], -_LN_SQRT_2PI[1]))
            b = dd_add(dd(np.ones_like(zl)), (-qq, np.zeros_like(qq)))
            out[lo] = _ldexp(dd_val(dd_mul(two_prod(zl, m2), b)), k2)
    return out


# ---------------------------------------------------------------------------------------
# GELU, tanh approximation: g = z/2·(1 + tanh(u)), u = √(2/π)·(z + 0.044715z³), written
# as g = z·σ(v) with v = 2u (1 + tanh(u) = 2σ(2u) does not cancel for u < 0), and
# g′ = σ(v) + z·v′·σ(v)σ(−v), v′ = 2√(2/π)(1 + 3·0.044715z²). v is carried as a
# double-double (|v| reaches ~745 before g underflows: one rounding of v would cost
# hundreds of ULP); for |z| > 40, σ(v) is 0 or 1 exactly, and v is not formed (z³ would
# overflow for huge z, and v′·σσ′ would be inf·0). For z < 0, g′ = e^v·H/(1 + e^v)² with
# H = 1 + e^v + z·v′, which vanishes at z0 ≈ −0.7525; with δ = z − z0 and
# Q = z² + z·z0 + z0², H = e^v0·expm1(2cδ(1 + kQ)) + 2cδ(1 + 3kQ): both terms have the sign
# of δ (c = √(2/π), k = 0.044715 exactly as decimals, v0 = v(z0)).
# The same code serves every member of the family z·σ(A·z·(1 + K·z²)) (``TanhGelu``): the
# tanh form (A = 2√(2/π), K = 0.044715), transformers' gelu_fast (A = 2·0.7978845608) and
# MLX's gelu_approx (A = 1.60033, K = 0.0433603), each with its own roots.
GT_Z0 = (-0.7524614220710163, 3.635560509207687e-17)


@dataclass(frozen=True)
class TanhGelu:
    """The constants of one member of the family z·σ(v), v = A·z·(1 + K·z²), as double-doubles
    (hi, lo): A and K as their source writes them, 3K, 6AK, the root z0 of g′ with e^v(z0),
    the root w1 of g″ (in |z|) with e^−v(w1), and g(z0) rounded down (computed with mpmath
    at 60 digits; tests/test_smooth.py checks them)."""

    A: tuple[float, float]
    K: tuple[float, float]
    K3: tuple[float, float]
    AK6: tuple[float, float]
    Z0: tuple[float, float]
    E0: tuple[float, float]
    W1: tuple[float, float]
    E1: tuple[float, float]
    gmin: float


#: 2u = 2√(2/π)(z + 0.044715z³): PyTorch's and JAX's tanh approximation
GT = TanhGelu(
    A=(1.5957691216057308, -9.96930880911092e-17), K=(0.044715, 2.1960211427085595e-18),
    K3=(0.134145, 1.3526957332032908e-17), AK6=(0.42812889763560147, 2.4050485664735725e-17),
    Z0=GT_Z0, E0=(0.29195521191476714, -8.582607951729513e-18),
    W1=(1.4185040087908283, 8.089265124388305e-17), E1=(0.0848161559251803, 2.7168377369761026e-18),
    gmin=GELU_TANH_MIN)


def _gt_v(z: Array, c: TanhGelu) -> tuple[Array, Array]:
    """v = A·z·(1 + K·z²) as hi + lo, for |z| <= 40."""
    return _gt_v_zz(z, c)[0]


def _gt_v_zz(z: Array, c: TanhGelu) -> tuple[tuple[Array, Array], tuple[Array, Array]]:
    """v as _gt_v, and the exact z² (hi, lo) it is formed from."""
    pz, ez = two_prod(z, z)
    q, qe = two_prod(np.full_like(z, c.K[0]), pz)
    qe = qe + (c.K[0] * ez + c.K[1] * pz)
    w, we = two_sum(np.ones_like(z), q)
    we = we + qe
    s, se = two_prod(z, w)
    se = se + z * we
    v, ve = two_prod(np.full_like(z, c.A[0]), s)
    ve = ve + (c.A[0] * se + c.A[1] * s)
    return special.fast_two_sum(v, ve), (pz, ez)


def _gelu_tanh(z: Array, want_g: bool, c: TanhGelu = GT) -> Array:
    # each branch on its own values only (_by_sign: z < 0 is zc < 0, nan goes to z >= 0);
    # beyond the tails' bounds (_gt_tails) the tail forms of _gelu_tanh_pair
    return _by_sign(z, lambda x: _gelu_tanh_neg(x, want_g, c),
                    lambda x: _gelu_tanh_pos(x, want_g, c))


def _gelu_tanh_neg(z: Array, want_g: bool, c: TanhGelu) -> Array:
    """g or g′ for z < 0: _gelu_tanh_neg_tail below z_n, else _gelu_tanh_part."""
    return _by_mask(z < _gt_tails(c)[0], lambda x: _gelu_tanh_neg_tail(x, c, not want_g)[not want_g],
                    lambda x: _gelu_tanh_part(x, want_g, True, c), z)


def _gelu_tanh_pos(z: Array, want_g: bool, c: TanhGelu) -> Array:
    """g or g′ for z >= 0 or nan: z and 1 above z_p (_gelu_tanh_pair_pos), else
    _gelu_tanh_part."""
    far = z > _gt_tails(c)[1]
    i = np.flatnonzero(~far)
    if i.size == z.size:
        return _gelu_tanh_part(z, want_g, False, c)
    r = z.copy() if want_g else np.ones_like(z)
    if i.size:
        r[i] = _gelu_tanh_part(z.take(i), want_g, False, c)
    return r


def _gelu_tanh_part(z: Array, want_g: bool, negative: bool, c: TanhGelu = GT) -> Array:
    """g (want_g) or g′ on values z all < 0 (negative) or all >= 0 or nan."""
    zc = np.clip(z, -40.0, 40.0)
    vh, vl = _gt_v(zc, c)
    # e^(−|v|) = m·2^k
    m, k = exp_split(vh, vl) if negative else exp_split(-vh, -vl)
    e = _ldexp(m, k)
    one_e = two_sum(np.ones_like(e), e)
    if want_g:
        q = dd_div(dd(zc), one_e)
        if negative:
            return _ldexp(dd_val(dd_mul(dd(m), q)), k)
        return _where(z > 40.0, z, dd_val(q))
    d2 = dd_mul(one_e, one_e)
    # v′ = A(1 + 3K·z²), z·v′
    zz = two_prod(zc, zc)
    vp = dd_mul(c.A, dd_add(dd(np.ones_like(zc)), dd_mul(c.K3, zz)))
    zvp = dd_mul(dd(zc), vp)
    if not negative:
        return dd_val(dd_div(dd_add(one_e, dd_mul(zvp, dd(e))), d2))
    # z < 0: H = 1 + e^v + z·v′
    h = dd_add(one_e, zvp)
    z0 = c.Z0
    win = (zc >= 2.0 * z0[0]) & (zc <= 0.5 * z0[0])  # z − z0_hi exact (Sterbenz)
    if win.any():  # the identity near the root, on the window's values only
        h_win = _gt_h_window(zc[win], c)
        h[0][win], h[1][win] = h_win
    return _ldexp(dd_val(dd_mul(dd(m), dd_div(h, d2))), k)


def _gelu_tanh_pair(z: Array, c: TanhGelu = GT) -> tuple[Array, Array]:
    """(g, g′) with the split by sign, v, e^(−|v|) = m·2^k, 1 + e and (g′) z² computed once
    per value: the same numbers as _gelu_tanh(z, True, c) and _gelu_tanh(z, False, c), but
    in the negative tail (_gelu_tanh_neg_tail, within 1/32 ULP before the final rounding)."""
    return _by_mask(z < 0, lambda x: _gelu_tanh_pair_neg(x, c),
                    lambda x: _gelu_tanh_pair_pos(x, c), z, pair=True)


@functools.lru_cache(maxsize=None)
def _gt_tails(c: TanhGelu) -> tuple[float, float]:
    """(z_n, z_p): v(z) < −43 for z < z_n and v(z) > 46 for z > z_p (bisection on the float
    v, whose rounding is far below the margins of 1 kept by the tests of the callers)."""
    def v(z: float) -> float:
        return c.A[0] * z * (1.0 + c.K[0] * z * z)

    def root(target: float) -> float:
        lo, hi = 0.0, 60.0  # v(0) = 0 < target <= v(60)
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if v(mid) < target else (lo, mid)
        return hi

    return -root(43.0), root(46.0)


def _gelu_tanh_pair_pos(z: Array, c: TanhGelu) -> tuple[Array, Array]:
    """z >= 0 (or nan). Beyond z_p (v > 46, e = e^−v < 2^−66), g = z/(1 + e) is within
    z·2^−66 of z and g′ = (1 + e + z·v′·e)/(1 + e)² within (3v + 1)·e < 2^−58 of 1 (z·v′ <
    3v): both round to z and 1, and so do the accurate forms (their double-double results
    are within 2^−100 of the exact values): the same bits, without computing them."""
    far = z > _gt_tails(c)[1]
    i = np.flatnonzero(~far)
    if i.size == z.size:
        return _gelu_tanh_pair_part(z, False, c)
    g = z.copy()
    d = np.ones_like(z)
    if i.size:
        g[i], d[i] = _gelu_tanh_pair_part(z.take(i), False, c)
    return g, d


def _gelu_tanh_pair_neg(z: Array, c: TanhGelu) -> tuple[Array, Array]:
    """z < 0: below z_n (v < −43) the tail form, else the accurate forms."""
    far = z < _gt_tails(c)[0]
    i = np.flatnonzero(far)
    if i.size == 0:
        return _gelu_tanh_pair_part(z, True, c)
    if i.size == z.size:
        return _gelu_tanh_neg_tail(z, c)
    j = np.flatnonzero(~far)
    g = np.empty(z.size, dtype=np.float64)
    d = np.empty(z.size, dtype=np.float64)
    g[i], d[i] = _gelu_tanh_neg_tail(z.take(i), c)
    g[j], d[j] = _gelu_tanh_pair_part(z.take(j), True, c)
    return g, d


def _gelu_tanh_neg_tail(z: Array, c: TanhGelu = GT,
                        want_d: bool = True) -> tuple[Array, Array | None]:
    """g and g′ for z < z_n (v < −43; e = e^v < 2^−62): the accurate forms are
    g = m·(z/(1 + e))·2^k and g′ = m·(H/(1 + e)²)·2^k, H = 1 + e + z·v′, each a
    double-double rounded once before the ldexp. Here 1 + e is taken as 1 and H as
    1 + z·v′ (still a double-double): z/(1 + e) = z·(1 − ε) with 0 < ε < e, and
    H/(1 + e)² = (1 + z·v′)·(1 + δ) with |δ| < 3e (|1 + z·v′| > 100 here: z·v′ ≈ 3v), so
    each result before its rounding moves by less than 3·2^−62 relative, below 1/32 ULP
    (2^−58 = 2^−5·2^−53): the error bound is the accurate forms' plus 1/32 ULP, and every
    bit is theirs but where the exact value lies that close to a rounding boundary.
    g = fl(m·z)·2^k is then one product (fl(m·z(1 − ε)) of the accurate form, with ε
    dropped), g′ = fl(m·(1 + z·v′))·2^k one double-double product. f(z), f.deriv(z) and
    f.value_and_deriv(z) all take these forms here (want_d False: g alone, None for g′)."""
    zc = np.clip(z, -40.0, 40.0)
    vh, vl, pz, ez, spz, sz = _gt_v_split(zc, c)
    m, k = exp_split(vh, vl)
    scale = _pow2(k)
    g = m * zc
    if not want_d:
        return (_ldexp(g, k) if scale is None else g * scale), None
    kz = _dmul(c.K3, (pz, ez), split(c.K3[0]), spz)
    s1, e1 = two_sum(1.0, kz[0])
    vp = _dmul(c.A, special.fast_two_sum(s1, e1 + (0.0 + kz[1])), split(c.A[0]))
    zvp = _dmul((zc, 0.0), vp, sz)
    s2, e2 = two_sum(1.0, zvp[0])
    h = special.fast_two_sum(s2, e2 + zvp[1])
    dq = _dmul((m, 0.0), h)
    d = dq[0] + dq[1]
    if scale is None:
        return _ldexp(g, k), _ldexp(d, k)
    return g * scale, d * scale


def _gt_v_split(zc: Array, c: TanhGelu) -> tuple[Array, ...]:
    """v = A·z·(1 + K·z²) as vh + vl (_gt_v's operations), with z² = pz + ez exact and the
    splits of z² and z, which the callers use again."""
    sz = split(zc)
    pz, ez = _tp(zc, sz, zc, sz)
    spz = split(pz)
    q, qe = _tp(c.K[0], split(c.K[0]), pz, spz)
    qe = qe + (c.K[0] * ez + c.K[1] * pz)
    w, we = two_sum(1.0, q)
    we = we + qe
    sv, se = _tp(zc, sz, w, split(w))
    se = se + zc * we
    v, ve = _tp(c.A[0], split(c.A[0]), sv, split(sv))
    ve = ve + (c.A[0] * se + c.A[1] * sv)
    vh, vl = special.fast_two_sum(v, ve)
    return vh, vl, pz, ez, spz, sz


def _gelu_tanh_pair_part(z: Array, negative: bool, c: TanhGelu) -> tuple[Array, Array]:
    """_gelu_tanh_part's g and g′ of the same values, their common steps done once: the
    same operations (_gt_v, dd_div, dd_mul, ...) written out with each operand's Veltkamp
    split made once (z's serves z², z·w and z·v′; 1 + e's serves (1 + e)² and z/(1 + e);
    m's both tails) and the zero low parts of dd(x) as the scalar 0.0 (the same IEEE
    operations, so the same bits)."""
    zc = np.clip(z, -40.0, 40.0)
    vh, vl, pz, ez, spz, sz = _gt_v_split(zc, c)
    m, k = exp_split(vh, vl) if negative else exp_split(-vh, -vl)
    scale = _pow2(k)  # 2^k, or None where some k has no normal 2^k (then ldexp)
    e = _ldexp(m, k) if scale is None else m * scale
    one_e = two_sum(1.0, e)
    soe = split(one_e[0])
    qz = _ddiv((zc, 0.0), one_e, soe)  # z/(1 + e)
    d2 = _dmul(one_e, one_e, soe, soe)
    sd2 = split(d2[0])
    # v′ = A(1 + 3K·z²), z·v′
    kz = _dmul(c.K3, (pz, ez), split(c.K3[0]), spz)
    s1, e1 = two_sum(1.0, kz[0])
    vp = _dmul(c.A, special.fast_two_sum(s1, e1 + (0.0 + kz[1])), split(c.A[0]))
    zvp = _dmul((zc, 0.0), vp, sz)
    if not negative:
        g = _where(z > 40.0, z, qz[0] + qz[1])
        t = _dmul(zvp, (e, 0.0))
        s2, e2 = two_sum(one_e[0], t[0])
        num = special.fast_two_sum(s2, e2 + (one_e[1] + t[1]))
        r = _ddiv(num, d2, sd2)
        return g, r[0] + r[1]
    sm = split(m)
    gq = _dmul((m, 0.0), qz, sm)
    g = gq[0] + gq[1]
    s2, e2 = two_sum(one_e[0], zvp[0])
    h = special.fast_two_sum(s2, e2 + (one_e[1] + zvp[1]))
    z0 = c.Z0
    win = (zc >= 2.0 * z0[0]) & (zc <= 0.5 * z0[0])  # z − z0_hi exact (Sterbenz)
    if win.any():
        h_win = _gt_h_window(zc[win], c)
        h[0][win], h[1][win] = h_win
    dq = _dmul((m, 0.0), _ddiv(h, d2, sd2), sm)
    d = dq[0] + dq[1]
    if scale is None:
        return _ldexp(g, k), _ldexp(d, k)
    return g * scale, d * scale


def _tp(a: Any, sa: tuple[Any, Any], b: Any, sb: tuple[Any, Any]) -> tuple[Array, Array]:
    """two_prod(a, b) from the splits sa = split(a), sb = split(b) (the same bits)."""
    p = a * b
    return p, ((sa[0] * sb[0] - p) + sa[0] * sb[1] + sa[1] * sb[0]) + sa[1] * sb[1]


def _dmul(a: tuple[Any, Any], b: tuple[Any, Any], sa: Any = None,
          sb: Any = None) -> tuple[Array, Array]:
    """dd_mul(a, b), with the splits of a[0] and b[0] when given (the same bits)."""
    p, e = _tp(a[0], split(a[0]) if sa is None else sa, b[0], split(b[0]) if sb is None else sb)
    return special.fast_two_sum(p, e + (a[0] * b[1] + a[1] * b[0]))


def _ddiv(a: tuple[Any, Any], b: tuple[Array, Array], sb: Any = None) -> tuple[Array, Array]:
    """dd_div(a, b), with the split of b[0] when given (the same bits)."""
    q = a[0] / b[0]
    p, e = _tp(q, split(q), b[0], split(b[0]) if sb is None else sb)
    r = (((a[0] - p) - e) + a[1] - q * b[1]) / b[0]
    return special.fast_two_sum(q, r)


def _pow2(k: Array) -> Array | None:
    """2^k as float64 where every k of the array is in [−1022, 1023] (2^k normal: m·2^k is
    then an exact product or one rounding into the subnormals, np.ldexp(m, k)'s bits, as in
    special.ldexp), else None."""
    if k.size == 0:
        return None
    kk = k + 1023
    if kk.min() < 1 or kk.max() > 2046:
        return None
    kk <<= 52
    return kk.view(np.float64)


def _gt_h_window(zc: Array, c: TanhGelu) -> tuple[Array, Array]:
    """H = e^v0·expm1(2cδ(1 + kQ)) + 2cδ(1 + 3kQ) for z near the root (see above)."""
    z0 = c.Z0
    zw = np.clip(zc, -3.0, 0.0)
    delta = special.two_sum(zw - z0[0], np.full_like(zw, -z0[1]))
    u = dd_mul(c.A, delta)  # Aδ
    qz = zw * zw + zw * z0[0] + z0[0] * z0[0]
    kq = c.K[0] * qz
    a = dd_val(u) * (1.0 + kq)
    em = np.expm1(a)
    return dd_add(dd_mul(c.E0, dd(em)), dd_mul(u, special.two_sum(np.ones_like(zw), 3.0 * kq)))


# ---------------------------------------------------------------------------------------
# SiLU (swish) and Mish. With e = e^z for z < 0 (as m·2^k, so the tails, subnormal from
# z ≈ −708 while g is so only from z ≈ −745 − log|z|, are rounded once) and e = e^−z for
# z >= 0, nothing overflows and:
#   silu  = z·e/(1 + e) (z < 0),  z/(1 + e) (z >= 0)
#   silu′ = e·(1 + z + e)/(1 + e)² (z < 0),  (1 + e + z·e)/(1 + e)² (z >= 0)
#   mish  = z·e(e + 2)/(e(e + 2) + 2) (z < 0),  z·(1 + 2e)/(1 + 2e + 2e²) (z >= 0)
#   mish′ = e·F/w² with w = e² + 2e + 2, F = 4(1 + z)(1 + e) + e(e² + 4e + 2) (z < 0),
#           ((1 + 2e)·D + 4z·e²(1 + e))/D² with D = 1 + 2e + 2e² (z >= 0).
# Near the roots of g′ (1 + z + e^z = 0, F = 0) write z = z0 + δ, M = expm1(δ), e0 = e^z0:
#   1 + z + e^z = δ + e0·M   (as e0 = −1 − z0)
#   F = 4δ(1 + e) + M·(C + M·(3e0³ + 4e0² + e0³M)),  C = 4(1 + z0)e0 + 3e0³ + 8e0² + 2e0
# where every term has the sign of δ; used on −3 <= z < 0.
SILU_Z0 = (-1.2784645427610737, -1.0946994183093437e-16)
_SILU_E0 = (0.2784645427610738, -1.5523606315812798e-18)
SILU_MIN = -0.27846454276107385  # = 1 + z0, rounded down
MISH_Z0 = (-1.1924312145154952, -4.8484829848031044e-17)
_MISH_E0 = 0.3034825352815289
_MISH_C = (1.194033938963939, -1.9850981051751388e-17)
_MISH_C2 = 3.0 * _MISH_E0**3 + 4.0 * _MISH_E0**2
_MISH_C3 = _MISH_E0**3
MISH_MIN = -0.30884341301725049  # rounded down


def _neg_exp(z: Array) -> tuple[Array, Array, Array, Array]:
    """For the z < 0 branch: zc = max(z, −2000) clipped to <= 0, e^zc = m·2^k, and e."""
    zc = np.clip(z, -2000.0, 0.0)
    m, k = exp_split(zc)
    return zc, m, k, _ldexp(m, k)


def _delta_dd(z: Array, z0: tuple[float, float]) -> tuple[Array, Array]:
    """z − z0 as a double-double (z − z0_hi is exact near the root)."""
    return special.two_sum(z - z0[0], np.full_like(z, -z0[1]))


def _by_sign(z: Array, neg: Any, pos: Any) -> Array:
    """neg(z) where z < 0, pos(z) elsewhere (nan too), each form evaluated only on its own
    values: the same numbers as _where(z < 0, neg(z), pos(z)) at half the work."""
    return _by_mask(z < 0, neg, pos, z)


def _tail(m: Array, k: Array, num: tuple[Array, Array], den: tuple[Array, Array]) -> Array:
    """m·num/den·2^k with one rounding of the double-double quotient, then ldexp."""
    return _ldexp(dd_val(dd_mul(dd(m), dd_div(num, den))), k)


def silu_t(z: Array, beta: tuple[float, float]) -> tuple[Array, Array]:
    """t = β·z as an exact-enough double-double (β = hi + lo: the decimal 1.702 of
    quick_gelu, or a float parameter with lo = 0), z clipped to |t| <= 2000 (beyond, σ(t)
    is 0 or 1 to far below an ULP); β = 1 gives (z, 0) exactly."""
    bh, bl = beta
    if bh == 1.0 and bl == 0.0:
        return z, np.zeros_like(z)
    lim = 2000.0 / bh
    zc = np.clip(z, -lim, lim)
    th, tl = _tp(zc, split(zc), bh, split(bh))  # two_prod(zc, β_hi): the same bits
    return special.fast_two_sum(th, tl + zc * bl)


def silu_beta(p: Params) -> tuple[float, float]:
    return (float(p.get("beta", 1.0)), 0.0)


def _by_mask(below: Array, neg: Any, pos: Any, *arrays: Array, pair: bool = False) -> Any:
    """neg(*arrays) where `below`, pos(*arrays) elsewhere, each form evaluated only on its
    own values (the arrays indexed by the mask): the same numbers as _where(below,
    neg(*arrays), pos(*arrays)) with each branch's work done once per value. pair: the forms
    give two results each (g, g′), and so does this."""
    # (indices, take and an indexed store: a boolean index of mixed values costs ~5x that)
    i = np.flatnonzero(below)
    if i.size == 0:
        return pos(*arrays)
    if i.size == below.size:
        return neg(*arrays)
    j = np.flatnonzero(~below)
    outs = [np.empty(below.size, dtype=np.float64) for _ in range(2 if pair else 1)]
    for idx, form in ((i, neg), (j, pos)):
        r = form(*(a.take(idx) for a in arrays))
        for out, v in zip(outs, r if pair else (r,)):
            out[idx] = v
    shaped = tuple(out.reshape(below.shape) for out in outs)
    return shaped if pair else shaped[0]


def silu_g(z: Array, beta: tuple[float, float]) -> Array:
    """z·σ(βz) = z·e^t/(1 + e^t) (t < 0), z/(1 + e^−t) (t >= 0), t = βz; each branch on
    its own values (_by_mask)."""
    th, tl = silu_t(z, beta)
    return _by_mask(th < 0, _silu_g_neg, _silu_g_pos, z, th, tl)


def _silu_g_neg(z: Array, th: Array, tl: Array) -> Array:
    tn = np.maximum(th, -2000.0)
    m, k = exp_split(np.minimum(tn, 0.0), _where(th > -2000.0, tl, 0.0))
    e = _ldexp(m, k)
    zn = np.clip(z, -2.0**60, 0.0)  # z·e^t: beyond |t| = 2000 it underflows for any finite z
    return _tail(m, k, dd(zn), two_sum(np.ones_like(e), e))


def _silu_g_pos(z: Array, th: Array, tl: Array) -> Array:
    tp = np.clip(th, 0.0, 40.0)
    mp_, kp = exp_split(-tp, _where(th < 40.0, -tl, 0.0))
    ep = _ldexp(mp_, kp)
    big = th > 40.0  # σ(t) = 1 − e^−t rounds z·σ(t) to z (e^−40 < 2^−57)
    zp = _where(big, 0.0, z)
    pos = dd_val(dd_div(dd(zp), two_sum(np.ones_like(ep), ep)))
    return _where(big, z, pos)


def silu_dg(z: Array, beta: tuple[float, float]) -> Array:
    """σ(t)·(1 + t·(1 − σ(t))), t = βz: the derivative z·σ(βz) has, = silu′(t); each
    branch on its own values (_by_mask)."""
    th, tl = silu_t(z, beta)
    return _by_mask(th < 0, _silu_dg_neg, _silu_dg_pos, th, tl)


def _silu_dg_neg(th: Array, tl: Array) -> Array:
    tcl = np.maximum(th, -2000.0)
    tc = (np.minimum(tcl, 0.0), _where(th > -2000.0, tl, 0.0))
    m, k = exp_split(tc[0], tc[1])
    e = _ldexp(m, k)
    one_e = two_sum(np.ones_like(e), e)
    d2 = dd_mul(one_e, one_e)
    win = tc[0] >= -3.0
    tw = (_where(win, tc[0], -1.0), _where(win, tc[1], 0.0))
    delta = two_sum(tw[0] - SILU_Z0[0], tw[1] - SILU_Z0[1])  # t − z0 (exact near the root)
    mm = np.expm1(delta[0]) + delta[1] * np.exp(delta[0])
    v_win = dd_add(delta, dd_mul(_SILU_E0, dd(mm)))
    v_far = dd_add(dd_add(two_sum(np.ones_like(e), tc[0]), dd(tc[1])), dd(e))  # 1 + t + e^t
    v = (_where(win, v_win[0], v_far[0]), _where(win, v_win[1], v_far[1]))
    return _tail(m, k, v, d2)


def _silu_dg_pos(th: Array, tl: Array) -> Array:
    return _silu_dg_pos_parts(th, tl)[0]


def _silu_dg_pos_parts(th: Array, tl: Array) -> tuple[Array, tuple[Array, Array]]:
    """silu′ for t >= 0, and the 1 + e^−t (double-double) it divides by, which g shares."""
    tp = (np.clip(th, 0.0, 2000.0), _where(th < 2000.0, tl, 0.0))
    mp_, kp = exp_split(-tp[0], -tp[1])
    ep = _ldexp(mp_, kp)
    one_ep = two_sum(np.ones_like(ep), ep)
    one_t = dd_add(two_sum(np.ones_like(ep), tp[0]), dd(tp[1]))
    num = dd_add(dd(np.ones_like(ep)), dd_mul(dd(ep), one_t))
    return dd_val(dd_div(num, dd_mul(one_ep, one_ep))), one_ep


def silu(z: Array, p: Params) -> Array:
    """silu(z) = z·σ(βz) = z / (1 + e^−βz)"""
    return silu_g(z, silu_beta(p))


def silu_deriv(z: Array, p: Params) -> Array:
    """silu′(z) = σ(βz)·(1 + βz·(1 − σ(βz)))"""
    return silu_dg(z, silu_beta(p))


def mish(z: Array, p: Params) -> Array:
    """mish(z) = z·tanh(softplus(z))"""
    return _by_sign(z, _mish_neg, _mish_pos)


def _mish_neg(z: Array) -> Array:
    zc, m, k, e = _neg_exp(z)
    e2 = two_sum(e, np.full_like(e, 2.0))
    den = dd_add(dd_mul(dd(e), e2), dd(np.full_like(e, 2.0)))
    return _tail(m, k, dd_mul(dd(zc), e2), den)


def _mish_pos(z: Array) -> Array:
    zp = np.minimum(np.maximum(z, 0.0), 1000.0)
    ep = np.exp(-zp)
    t = 2.0 * ep
    one_t = two_sum(np.ones_like(t), t)
    dd_ = dd_add(one_t, two_prod(t, ep))
    pos = dd_val(dd_div(dd_mul(dd(zp), one_t), dd_))
    return _where(z > 1000.0, z, pos)


def mish_deriv(z: Array, p: Params) -> Array:
    """mish′(z) = tanh(sp(z)) + z·σ(z)·sech²(sp(z)), sp = softplus"""
    return _by_sign(z, _mish_deriv_neg, _mish_deriv_pos)


def _mish_deriv_neg(z: Array) -> Array:
    zc, m, k, e = _neg_exp(z)
    e2 = two_sum(e, np.full_like(e, 2.0))
    w = dd_add(dd_mul(dd(e), e2), dd(np.full_like(e, 2.0)))
    one_e = two_sum(np.ones_like(e), e)
    f = dd_add(dd_mul(dd(4.0 * (1.0 + zc)), one_e), dd(e * (e * (e + 4.0) + 2.0)))
    win = zc >= -3.0
    if win.any():  # near the root (see above), on the window's values only
        delta = _delta_dd(zc[win], MISH_Z0)
        mm = np.expm1(delta[0]) + delta[1] * np.exp(delta[0])
        inner = dd_add(_MISH_C, dd(mm * (_MISH_C2 + _MISH_C3 * mm)))
        ow = (one_e[0][win], one_e[1][win])
        f[0][win], f[1][win] = dd_add(dd_mul(dd_mul(delta, ow), dd(np.full_like(mm, 4.0))),
                                      dd_mul(dd(mm), inner))
    return _tail(m, k, f, dd_mul(w, w))


def _mish_deriv_pos(z: Array) -> Array:
    zp = np.clip(z, 0.0, 1000.0)
    ep = np.exp(-zp)
    t = 2.0 * ep
    one_t = two_sum(np.ones_like(t), t)
    big_d = dd_add(one_t, two_prod(t, ep))
    one_ep = two_sum(np.ones_like(ep), ep)
    extra = dd_mul(dd_mul(two_prod(2.0 * zp, t), dd(ep)), one_ep)  # 4z·e²(1 + e)
    num = dd_add(dd_mul(one_t, big_d), extra)
    return dd_val(dd_div(num, dd_mul(big_d, big_d)))


# Cheaper forms for results in float32 and smaller types (the registry's ``small``; ``ulp``:
# the error bound in float64 ULP its boundary test assumes). u = 2^−53; e^x within 1 ULP
# (2u; numpy's exp is within 0.65 ULP); each operation u. Near the roots of g′, where a
# plain form cancels, the accurate form above is used (|z − z0| < 0.5 for silu′ and mish′);
# outside, the cancellation factor |terms|/|g′| is below 8 (silu′) and 10 (mish′)
# (benchmarks/api_speed.py --errors measures these forms against mpmath). Far out, z is
# clipped where the exact value and the form's both lie below 2^−200 with the same sign
# (both round to that signed 0 in every small type) or both round to the same value.
#   silu  = z/(1 + e^−z): e^−z 2u, 1 + e^−z at most 2u + u, the quotient u: < 5u, ulp 16.
#   silu′ = s·(1 + z·(e^−z·s)), s = 1/(1 + e^−z): s < 4u, e^−z·s < 7u, 1 + z(…) < 8u·8 + u
#           (the cancellation), the product: < 70u, ulp 256.
#   mish  = z·n/(n + 2), n = e(e + 2), e = e^z: n < 5u, n/(n + 2) < 10u, the product: < 12u,
#           ulp 64.
#   mish′ = n/(n + 2) + 4z·e(1 + e)/(n + 2)²: each term < 16u, their sum < 16u·10 + u,
#           ulp 512.


def _silu_small(z: Array, p: Params) -> Array:
    if p.get("beta", 1.0) != 1.0:  # (the cheap forms are silu's at β = 1)
        return silu(z, p)
    zc = np.maximum(z, -1000.0) + 0.0  # below −1000 silu and this are −0; (+0 at z = −0)
    with np.errstate(over="ignore"):  # e^1000 = inf: zc/inf = −0
        return zc / (1.0 + np.exp(-zc))


def _silu_deriv_small(z: Array, p: Params) -> Array:
    if p.get("beta", 1.0) != 1.0:
        return silu_deriv(z, p)
    zc = np.clip(z, -200.0, 1e30)  # below −200 both are in (−2^−200, 0); above 1e30 both 1
    e = np.exp(-zc)
    s = 1.0 / (1.0 + e)
    r = s * (1.0 + zc * (e * s))
    return _near_root(r, z, SILU_Z0[0], silu_deriv)


def _silu_pair_small(z: Array, p: Params) -> tuple[Array, Array]:
    if p.get("beta", 1.0) != 1.0:
        return silu(z, p), silu_deriv(z, p)
    zc = np.clip(z, -200.0, 1e30)
    e = np.exp(-zc)
    s = 1.0 / (1.0 + e)
    # below −200 silu(z) and −200·s are in (−2^−200, 0); above 1e30, s = 1
    g = (np.maximum(z, -200.0) + 0.0) * s
    return g, _near_root(s * (1.0 + zc * (e * s)), z, SILU_Z0[0], silu_deriv)


def _near_root(r: Array, z: Array, z0: float, accurate: Any) -> Array:
    """r with the values at |z − z0| < 0.5 from the accurate form."""
    win = np.abs(z - z0) < 0.5
    if win.any():
        r[win] = accurate(z[win], {})
    return r


def _mish_small(z: Array, p: Params) -> Array:
    zc = np.clip(z, -1000.0, 40.0)  # beyond 40, tanh(softplus(z)) rounds to 1
    e = np.exp(zc)
    n = e * (e + 2.0)
    return (np.maximum(z, -1000.0) + 0.0) * (n / (n + 2.0))


def _mish_deriv_small(z: Array, p: Params) -> Array:
    zc = np.clip(z, -200.0, 40.0)  # below −200 both are in (−2^−200, 0); above 40 both 1
    e = np.exp(zc)
    n = e * (e + 2.0)
    q = n + 2.0
    r = n / q + (4.0 * zc) * (e * (1.0 + e)) / (q * q)
    return _near_root(r, z, MISH_Z0[0], mish_deriv)


def _silu_with_deriv(z: Array, p: Params) -> tuple[Array, Array]:
    """(g, g′) of silu with β = p's beta (_silu_pair)."""
    return _silu_pair(z, silu_beta(p))


def _silu_pair(z: Array, beta: tuple[float, float]) -> tuple[Array, Array]:
    """(g, g′) with t = βz, its split by sign and each branch's e^t (= m·2^k), 1 + e^t and
    2^k computed once: the same numbers as silu_g and silu_dg. The same operations as
    theirs, written out with each operand's Veltkamp split made once (1 + e's serves
    (1 + e)² and z/(1 + e); m's both tails) and the zero low parts of dd(x) (and of t for
    β = 1) as the scalar 0.0: the same IEEE operations, so the same bits."""
    if beta == (1.0, 0.0):  # t = z exactly (silu_t)
        return _by_mask(z < 0, lambda x: _silu_pair_neg(x, x, None),
                        lambda x: _silu_pair_pos(x, x, None), z, pair=True)
    th, tl = silu_t(z, beta)
    return _by_mask(th < 0, _silu_pair_neg, _silu_pair_pos, z, th, tl, pair=True)


def _silu_pair_neg(z: Array, th: Array, tl: Array | None) -> tuple[Array, Array]:
    # _silu_g_neg's and _silu_dg_neg's e^t: the same arguments (tl None: t's low part is 0)
    tc0 = np.minimum(np.maximum(th, -2000.0), 0.0)
    if tl is None:
        tc1 = 0.0
    else:  # (the select only where some t is clipped)
        tc1 = tl if th.size and th.min() > -2000.0 else _where(th > -2000.0, tl, 0.0)
    m, k = exp_split(tc0, tc1)
    scale = _pow2(k)
    e = _ldexp(m, k) if scale is None else m * scale
    one_e = two_sum(1.0, e)
    soe = split(one_e[0])
    sm = split(m)
    zn = np.clip(z, -2.0**60, 0.0)
    gq = _dmul((m, 0.0), _ddiv((zn, 0.0), one_e, soe), sm)
    g = gq[0] + gq[1]
    d2 = _dmul(one_e, one_e, soe, soe)
    one_t = two_sum(1.0, tc0)
    if tl is not None:  # (adding t's low part 0 changes at most the sign of a zero low part)
        one_t = dd_add(one_t, (tc1, 0.0))
    v = dd_add(one_t, (e, 0.0))  # 1 + t + e^t
    win = np.flatnonzero(tc0 >= -3.0)
    if win.size:  # near the root: t − z0 (exact there) and the identity, on these only
        tw0 = tc0.take(win)
        tw1 = 0.0 if tl is None else tc1.take(win)
        delta = two_sum(tw0 - SILU_Z0[0], tw1 - SILU_Z0[1])
        mm = np.expm1(delta[0]) + delta[1] * np.exp(delta[0])
        v_win = dd_add(delta, dd_mul(_SILU_E0, (mm, 0.0)))
        v[0][win], v[1][win] = v_win
    dq = _dmul((m, 0.0), _ddiv(v, d2), sm)
    d = dq[0] + dq[1]
    if scale is None:
        return _ldexp(g, k), _ldexp(d, k)
    return g * scale, d * scale


def _silu_pair_pos(z: Array, th: Array, tl: Array | None) -> tuple[Array, Array]:
    # _silu_dg_pos's e^−t, and g's for t < 40 (the same arguments); g is z itself above 40,
    # and _silu_g_pos's at t = 40 exactly (whose low part of t is dropped there)
    tp0 = np.clip(th, 0.0, 2000.0)
    if tl is None:
        tp1 = 0.0
    else:  # (the select only where some t is clipped; nan: th.max() is nan, the select)
        tp1 = tl if th.size and th.max() < 2000.0 else _where(th < 2000.0, tl, 0.0)
    mp_, kp = exp_split(-tp0, -tp1)
    scale = _pow2(kp)
    ep = _ldexp(mp_, kp) if scale is None else mp_ * scale
    one_ep = two_sum(1.0, ep)
    sop = split(one_ep[0])
    one_t = two_sum(1.0, tp0)
    if tl is not None:
        one_t = dd_add(one_t, (tp1, 0.0))
    num = dd_add((1.0, 0.0), _dmul((ep, 0.0), one_t))
    r = _ddiv(num, _dmul(one_ep, one_ep, sop, sop))
    big = th > 40.0
    if big.any():
        zp = _where(big, 0.0, z)
        q = _ddiv((zp, 0.0), one_ep, sop)
        g = _where(big, z, q[0] + q[1])
    else:
        q = _ddiv((z, 0.0), one_ep, sop)
        g = q[0] + q[1]
    at40 = np.flatnonzero(th == 40.0)
    if at40.size:
        g[at40] = _silu_g_pos(z.take(at40), th.take(at40),
                              np.zeros(at40.size) if tl is None else tl.take(at40))
    return g, r[0] + r[1]


_silu_small.ulp = 16.0  # type: ignore[attr-defined]
_silu_deriv_small.ulp = _silu_pair_small.ulp = 256.0  # type: ignore[attr-defined]
_mish_small.ulp = 64.0  # type: ignore[attr-defined]
_mish_deriv_small.ulp = 512.0  # type: ignore[attr-defined]
silu.small = _silu_small  # type: ignore[attr-defined]
silu_deriv.small = _silu_deriv_small  # type: ignore[attr-defined]
_silu_with_deriv.small = _silu_pair_small  # type: ignore[attr-defined]
silu.with_deriv = _silu_with_deriv  # type: ignore[attr-defined]
mish.small = _mish_small  # type: ignore[attr-defined]
mish_deriv.small = _mish_deriv_small  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------------------
# softplus with beta and threshold (PyTorch's parameters): the true function
# (1/β)·log(1 + e^(βz)) = max(z, 0) + log1p(e^(−β|z|))/β, except that with a finite
# threshold, z itself where fl(β·z) > threshold: PyTorch's test, on the rounded product. As
# fl(β·z) is nondecreasing in z, that is z > z_t for one float z_t (``softplus_switch``,
# the largest z with fl(β·z) <= threshold), which is also where g jumps, by
# log1p(e^−threshold)/β.
# t = β·z is an exact double-double (β = f·2^e with z·2^e scaled exactly), so e^t carries no
# rounding of βz; below t = −40 (where log1p(e^t) = e^t to double precision) g = e^t/β is
# ldexp'd once: with β < 1 it stays above the subnormals after e^t has underflowed. z is
# clipped to |β·z| <= 2000 (and to the finite range, for a tiny β), so ±inf take their
# limits explicitly.

F64_MAX = float(np.finfo(np.float64).max)


def _sp_t(z: Array, beta: float) -> tuple[Array, Array]:
    fb, eb = math.frexp(beta)
    lim = min(2000.0 / beta, F64_MAX)  # 2000/β is inf for a tiny β
    zs = _ldexp(np.clip(z, -lim, lim), eb)
    return two_prod(zs, np.full_like(z, fb))


def _f64_ord(x: float) -> int:
    """x's position on the float64 line: consecutive floats differ by 1 (±0 -> 0)."""
    b = struct.unpack("<q", struct.pack("<d", x))[0]
    return b if b >= 0 else -(b & 0x7FFF_FFFF_FFFF_FFFF)


def _f64_from_ord(o: int) -> float:
    return struct.unpack("<d", struct.pack("<Q", o if o >= 0 else (-o) | (1 << 63)))[0]


def softplus_switch(beta: float, threshold: float) -> float | None:
    """The largest finite z with fl(β·z) <= threshold: softplus is z itself exactly for the
    z above it (PyTorch's ``β·z > threshold`` on the rounded product). None when no z
    switches (threshold inf, or fl(β·z) <= threshold for every finite z); −inf when every
    finite z does (fl(−max·β) > threshold). Found by bisection on the floats (fl(β·z) is
    nondecreasing in z): stepping from fl(threshold/β) could take 2^40 steps for a
    subnormal β, whose products change only every 2^(53 − bits of β) floats."""
    if not math.isfinite(threshold) or beta * F64_MAX <= threshold:
        return None
    if beta * -F64_MAX > threshold:
        return -INF
    lo, hi = _f64_ord(-F64_MAX), _f64_ord(F64_MAX)  # fl(β·lo) <= threshold < fl(β·hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if beta * _f64_from_ord(mid) <= threshold:
            lo = mid
        else:
            hi = mid
    return _f64_from_ord(lo)


def _sp_threshold(p: Params) -> float | None:
    return softplus_switch(p["beta"], p["threshold"])


def softplus(z: Array, p: Params) -> Array:
    """softplus(z) = log(1 + e^(βz))/β (= z where βz > threshold)"""
    beta = p["beta"]
    fb, eb = math.frexp(beta)
    th, tl = _sp_t(z, beta)
    a = -np.abs(th)
    al = _where(th > 0, -tl, tl)  # −|t| = a + al
    m, k = exp_split(a, al)
    e = _ldexp(m, k)
    # log1p(e^(a + al)) ≈ log1p(e^a·(1 + al)) = log1p(e) + al·e/(1 + e): e here is already
    # e^(a + al), so log1p(e) is right to its own rounding.
    lp = np.log1p(e)
    small = a < -40.0
    body = _where(small, _ldexp_inf(m / fb, k - eb), _ldexp_inf(lp / fb, np.full(z.shape, -eb)))
    with np.errstate(over="ignore"):  # z + body beyond max is inf, correctly rounded
        r = _where(z > 0, np.maximum(z, 0.0) + body, body)  # not z + body: −inf + inf
    r = _where(z == -INF, 0.0, r)
    at = _sp_threshold(p)
    if at is not None:
        r = _where(z > at, z, r)
    return r


def softplus_deriv(z: Array, p: Params) -> Array:
    """softplus′(z) = σ(βz) (= 1 where βz > threshold)"""
    beta = p["beta"]
    th, tl = _sp_t(z, beta)
    a = -np.abs(th)
    al = _where(th > 0, -tl, tl)
    m, k = exp_split(a, al)
    e = _ldexp(m, k)
    r = _where(th > 0, 1.0 / (1.0 + e), _ldexp(m / (1.0 + e), k))
    r = _where(z == INF, 1.0, _where(z == -INF, 0.0, r))
    at = _sp_threshold(p)
    if at is not None:
        r = _where(z > at, 1.0, r)
    return r


def _softplus_with_deriv(z: Array, p: Params) -> tuple[Array, Array]:
    """(g, g′) with t = βz, e^(−|t|) = m·2^k and 2^k computed once: the same numbers as
    softplus and softplus_deriv. For β = 1, t = z clipped to ±2000 with a low part of 0 (the
    frexp/ldexp scalings of _sp_t are exact by 2 and 1/2), and g's m/f_β·2^(k − e_β) and
    log1p(e)/f_β·2^−e_β are e and log1p(e) exactly (f_β = 1/2, e_β = 1; log1p(e) is normal
    where it is taken, e^−40 < e <= 1): the same bits without frexp and ldexp."""
    beta = p["beta"]
    if beta == 1.0:
        th = np.clip(z, -2000.0, 2000.0)
        a = -np.abs(th)
        m, k = exp_split(a)
    else:
        th, tl = _sp_t(z, beta)
        a = -np.abs(th)
        m, k = exp_split(a, _where(th > 0, -tl, tl))
    scale = _pow2(k)
    e = _ldexp(m, k) if scale is None else m * scale
    lp = np.log1p(e)
    small = a < -40.0
    if beta == 1.0:
        body = _where(small, e, lp)
    else:
        fb, eb = math.frexp(beta)
        body = _where(small, _ldexp_inf(m / fb, k - eb),
                      _ldexp_inf(lp / fb, np.full(z.shape, -eb)))
    pos = z > 0
    with np.errstate(over="ignore"):  # z + body beyond max is inf, correctly rounded
        g = _where(pos, np.maximum(z, 0.0) + body, body)  # not z + body: −inf + inf
    one_e = 1.0 + e
    tail = m / one_e
    tail = _ldexp(tail, k) if scale is None else tail * scale
    d = _where(th > 0, 1.0 / one_e, tail)
    lo = float(np.minimum.reduce(z, axis=None)) if z.size else 0.0
    hi = float(np.maximum.reduce(z, axis=None)) if z.size else 0.0
    if lo == -INF or hi == INF or math.isnan(lo):  # (nan: min and max are nan)
        g = _where(z == -INF, 0.0, g)
        d = _where(z == INF, 1.0, _where(z == -INF, 0.0, d))
    at = _sp_threshold(p)
    if at is not None:
        above = z > at
        g = _where(above, z, g)
        d = _where(above, 1.0, d)
    return g, d


def _softplus_pair_small(z: Array, p: Params) -> tuple[Array, Array]:
    return _softplus_small(z, p), _softplus_deriv_small(z, p)


# Cheaper forms for float32 and smaller results (see silu's), for beta = 1 and no threshold
# (PyTorch's beta, the true function; other parameters take the accurate forms):
# softplus = max(z, 0) + log1p(e), e = e^−|z| within 2u: log1p within 1 ULP (2u) and e's
# error carried at most once (e/((1 + e)·log1p(e)) <= 1), the sum of two terms >= 0: < 5u,
# ulp 32; softplus′ = σ(z) = num/(1 + e): < 4u, ulp 16. For |z| > 708 (e subnormal or 0),
# the exact log1p(e) and σ(−|z|) are below 2^−1000 and so are the forms': the small types
# round them to +0 (and max(z, 0) + them to max(z, 0)'s rounding).


def _softplus_small(z: Array, p: Params) -> Array:
    if p["beta"] != 1.0 or p["threshold"] != INF:
        return softplus(z, p)
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))


def _softplus_deriv_small(z: Array, p: Params) -> Array:
    if p["beta"] != 1.0 or p["threshold"] != INF:
        return softplus_deriv(z, p)
    e = np.exp(-np.abs(z))
    return np.maximum(e, z >= 0) / (1.0 + e)


_softplus_small.ulp = 32.0  # type: ignore[attr-defined]
_softplus_deriv_small.ulp = 16.0  # type: ignore[attr-defined]
softplus.small = _softplus_small  # type: ignore[attr-defined]
_softplus_pair_small.ulp = 32.0  # type: ignore[attr-defined]  (the larger of the two)
_softplus_with_deriv.small = _softplus_pair_small  # type: ignore[attr-defined]
softplus.with_deriv = _softplus_with_deriv  # type: ignore[attr-defined]
softplus_deriv.small = _softplus_deriv_small  # type: ignore[attr-defined]


def _softplus_from_a(a: Array, p: Params) -> Array:
    beta = p["beta"]
    lim = 2000.0 / beta
    return -np.expm1(-beta * np.minimum(a, lim))


def _softplus_why_not(p: Params) -> str | None:
    if _sp_threshold(p) is not None:
        return ("with a finite threshold, outputs just above threshold/beta come from both "
                "branches, so g′ is not a function of a (use threshold=inf)")
    return None


def _softplus_range(p: Params) -> tuple[float, float]:
    at = _sp_threshold(p)
    return (0.0 if at is None else min(0.0, at), INF)


def _softplus_kinks(p: Params) -> tuple[Kink, ...]:
    at = _sp_threshold(p)
    if at is None or at == -INF:
        return ()
    left = float(softplus_deriv(np.array([at]), {**p, "threshold": INF})[0])
    # PyTorch tests β·z > threshold: at z_t it takes the softplus side. JAX's softplus has
    # no threshold; "jax" takes the same side.
    return (Kink(at, left=left, right=1.0, pytorch="left", jax="left", unique_output=False,
                 exact_left=lambda mp: _mp_softplus_dg(mp.mpf(at), {**p, "threshold": INF}, mp)),)


# ---------------------------------------------------------------------------------------
# softsign z/(1 + |z|): 1 + |z| is split exactly (two-sum) so the square in g′ is
# rounded once; for |z| >= 2^500, g′ = (1/|z|)/|z| (the 1 is negligible, the square would
# overflow).


def softsign(z: Array, p: Params) -> Array:
    """softsign(z) = z / (1 + |z|)"""
    return _softsign_pair(z, False)[0]


_SOFTSIGN_BIG = 2.0**500


def _softsign_pair(z: Array, want_dg: bool = True) -> tuple[Array, Array | None]:
    """(g, g′ if want_dg) sharing |z| and 1 + |z|.

    g = copysign(m/(1 + m), z) with m = min(|z|, 2^500): the division is symmetric in
    sign, so for |z| < 2^500 these are the bits of z/(1 + |z|); beyond 2^54, 1 + m = m and
    the quotient is 1 exactly, softsign's ±1 (±inf too; nan stays nan, −0 gives −0).
    g′ = 1/(1 + m)², the square rounded once (_one_plus_sq), and (1/|z|)/|z| for
    |z| >= 2^500 (the 1 is negligible there, the square would overflow)."""
    z = np.asarray(z, dtype=np.float64)
    if z.ndim != 1:
        g, d = _softsign_pair(z.reshape(-1), want_dg)
        return g.reshape(z.shape), None if d is None else d.reshape(z.shape)
    m = np.abs(z)
    np.minimum(m, _SOFTSIGN_BIG, out=m)
    s = 1.0 + m
    g = np.divide(m, s)
    np.copysign(g, z, out=g)
    if not want_dg:
        return g, None
    d = _one_plus_sq(m, s)
    np.divide(1.0, d, out=d)
    if not np.max(m, initial=0.0) < _SOFTSIGN_BIG:  # |z| >= 2^500 somewhere, or a nan
        i = np.flatnonzero(m == _SOFTSIGN_BIG)
        bz = np.abs(z.take(i))
        d[i] = (1.0 / bz) / bz
    return g, d


def _softsign_from_a(a: Array, p: Params) -> Array:
    """(1 − |a|)² with 1 − |a| split exactly (two-sum) and the square rounded once."""
    s, t = two_sum(np.ones_like(a), -np.abs(a))
    q, qe = two_prod(s, s)
    return q + (qe + 2.0 * s * t)


def softsign_deriv(z: Array, p: Params) -> Array:
    """softsign′(z) = 1 / (1 + |z|)²"""
    # (g′ of _softsign_pair without g: its division is the one pass g adds)
    z = np.asarray(z, dtype=np.float64)
    if z.ndim != 1:
        return softsign_deriv(z.reshape(-1), p).reshape(z.shape)
    m = np.abs(z)
    np.minimum(m, _SOFTSIGN_BIG, out=m)
    d = _one_plus_sq(m)
    np.divide(1.0, d, out=d)
    if not np.max(m, initial=0.0) < _SOFTSIGN_BIG:
        i = np.flatnonzero(m == _SOFTSIGN_BIG)
        bz = np.abs(z.take(i))
        d[i] = (1.0 / bz) / bz
    return d


def _softsign_small(z: Array, p: Params) -> Array:
    # for float32 and smaller results (see silu's): z/(1 + |z|), two roundings (< 2u), ulp
    # 16; ±inf is clipped to ±1e300, where the form is ±1 exactly as softsign(±inf)
    zc = np.clip(z, -1e300, 1e300)
    return zc / (1.0 + np.abs(zc))


def _softsign_deriv_small(z: Array, p: Params) -> Array:
    # 1/(1 + |z|)²: 1 + |z| (u), squared (2u + u), the quotient (u): < 4u, ulp 16; no
    # overflow below |z| = 1e154 (the small types end at 3.4e38; ±inf gives 1/inf = 0)
    d = 1.0 + np.abs(z)
    return 1.0 / (d * d)


def _softsign_with_deriv(z: Array, p: Params) -> tuple[Array, Array]:
    return _softsign_pair(z)


def _softsign_pair_small(z: Array, p: Params) -> tuple[Array, Array]:
    # the two forms above with 1 + |z| once, on z clipped to ±1e30: beyond, g is ±1 and g′
    # below 1e−60, which rounds to 0 in every small type, as g′ there does
    zc = np.clip(z, -1e30, 1e30)
    d = 1.0 + np.abs(zc)
    return zc / d, 1.0 / (d * d)


_softsign_small.ulp = _softsign_deriv_small.ulp = 16.0  # type: ignore[attr-defined]
_softsign_pair_small.ulp = 16.0  # type: ignore[attr-defined]
_softsign_with_deriv.small = _softsign_pair_small  # type: ignore[attr-defined]
softsign.with_deriv = _softsign_with_deriv  # type: ignore[attr-defined]
softsign.small = _softsign_small  # type: ignore[attr-defined]
softsign_deriv.small = _softsign_deriv_small  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------------------
# log-sigmoid log σ(z) = min(z, 0) − log1p(e^−|z|): the two terms have the same sign.


def log_sigmoid(z: Array, p: Params) -> Array:
    """log_sigmoid(z) = log σ(z) = −softplus(−z)"""
    return np.minimum(z, 0.0) - np.log1p(np.exp(-np.abs(z)))


def log_sigmoid_deriv(z: Array, p: Params) -> Array:
    """log_sigmoid′(z) = σ(−z) = 1 − σ(z)"""
    e = np.exp(-np.abs(z))
    return _where(z > 0, e, 1.0) / (1.0 + e)


# ---------------------------------------------------------------------------------------
# tanhshrink z − tanh z: for |z| < 1 it is z³·P(z²) (P fitted; z − tanh z would cancel
# all digits as z → 0), else sign(z)·((|z| − 1) + 2e/(1 + e)), e = e^(−2|z|): |z| − 1 is
# exact and both terms are positive. g′ = tanh²(z) = z²·S(z²) for |z| < 1 (S fitted),
# 1 − 4e/(1 + e)² beyond (the subtracted term is below 0.42).
_TS_P = (
    0.2778856568389047, -0.04611875889321074, 0.007757311213734247,
    -0.0013068008522786815, 0.00022018657484163234, -3.710077515925965e-05,
    6.2513890164786405e-06, -1.053344055913803e-06, 1.7748595684628815e-07,
    -2.9905961582947186e-08, 5.039083118221783e-09, -8.490692031187539e-10,
    1.4306613336478067e-10, -2.4112871470648402e-11, 4.0629612674259646e-12,
    -6.78592777093512e-13, 1.143412626340322e-13, -2.226947731311485e-14,
    3.752353753436133e-15,
)
_TS_S = (
    0.7414194527302926, -0.1995645496111167, 0.04646037338246762, -0.009999715071775,
    0.0020510445716658307, -0.0004072934088737785, 7.902401845915966e-05,
    -1.506707363312343e-05, 2.833925900456962e-06, -5.272435593213737e-07,
    9.721930009788249e-08, -1.779308491614191e-08, 3.2360119860158923e-09,
    -5.855772742827627e-10, 1.0542509649803572e-10, -1.8693832857970266e-11,
    3.3400162662657858e-12, -6.990926142119139e-13, 1.2403561845139703e-13,
)
# _TS_P: (z − tanh z)/z³ in w = z² ∈ [0, 1], t = 2w − 1, degree 18, fit error 8.7e-21,
#   condition 1.4; _TS_S: (tanh(z)/z)² likewise, degree 18, 1.2e-19, 1.7.


def tanhshrink(z: Array, p: Params) -> Array:
    """tanhshrink(z) = z − tanh(z)"""
    return _by_mask(np.abs(z) < 1.0, _ts_near, _ts_far, z)


def _ts_near(zs: Array) -> Array:
    """|z| < 1: z³·P(z²)"""
    w = zs * zs
    w2 = two_prod(zs, zs)
    return dd_val(dd_mul(dd_mul(w2, _poly_dd(_TS_P, 2.0 * w - 1.0)), dd(zs)))


def _ts_far(z: Array) -> Array:
    az = np.abs(z)
    e = np.exp(-2.0 * np.minimum(az, 1000.0))
    return np.copysign((az - 1.0) + 2.0 * e / (1.0 + e), z)


def tanhshrink_deriv(z: Array, p: Params) -> Array:
    """tanhshrink′(z) = tanh²(z)"""
    return _by_mask(np.abs(z) < 1.0, _ts_d_near, _ts_d_far, z)


def _ts_d_near(zs: Array) -> Array:
    w = zs * zs
    return dd_val(dd_mul(two_prod(zs, zs), _poly_dd(_TS_S, 2.0 * w - 1.0)))


def _ts_d_far(z: Array) -> Array:
    e = np.exp(-2.0 * np.minimum(np.abs(z), 1000.0))
    return 1.0 - 4.0 * e / _one_plus_sq(e)


def _tanhshrink_with_deriv(z: Array, p: Params) -> tuple[Array, Array]:
    """(g, g′), each piece on its own values, e^−2|z| once for both beyond |z| = 1."""
    near = np.abs(z) < 1.0
    i = np.flatnonzero(near)
    j = np.flatnonzero(~near)
    g = np.empty(z.shape, dtype=np.float64)
    d = np.empty(z.shape, dtype=np.float64)
    if i.size:
        zi = z.take(i)
        g[i], d[i] = _ts_near(zi), _ts_d_near(zi)
    if j.size:
        zj = z.take(j)
        az = np.abs(zj)
        e = np.exp(-2.0 * np.minimum(az, 1000.0))
        g[j] = np.copysign((az - 1.0) + 2.0 * e / (1.0 + e), zj)
        d[j] = 1.0 - 4.0 * e / _one_plus_sq(e)
    return g, d


tanhshrink.with_deriv = _tanhshrink_with_deriv  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------------------
# squareplus (z + √(z² + b))/2 (Barron 2021; JAX's jax.nn.squareplus): h = √(z² + b) as a
# double-double (z² + b exact, one Newton correction of √); for z < 0, g = b/(2(h + |z|)) and
# g′ = b/(2h(h + |z|)) avoid the cancellation of z + h. Beyond |z| = 2^400, h = |z| to far
# below an ULP (and z² would overflow). b = 0 is relu (kink at 0).


def _sq_h_dd(z: Array, b: float) -> tuple[Array, Array]:
    """√(z² + b) as a double-double, for |z| <= 2^400 and b > 0."""
    t = dd_add(two_prod(z, z), dd(np.full_like(z, b)))
    h0 = np.sqrt(t[0])
    ph, pl = two_prod(h0, h0)
    r = dd_add(t, (-ph, -pl))
    return special.fast_two_sum(h0, dd_val(r) / (2.0 * h0))


def _sq_scale(b: float) -> int:
    """k >= 0 with b·4^k in [1, 4) for a tiny b (k = 0 for b >= 2^-200 or b = 0).

    squareplus is homogeneous: g(z; b) = g(2^k·z; 4^k·b)/2^k and g′(z; b) = g′(2^k·z; 4^k·b),
    and scaling up by a power of 2 is exact. Without it z² and b fall below the range where
    the double-double z² + b is exact (and 0.25·b into the subnormals): 3e11 ULP at b = 1e-320.
    """
    if b == 0 or b >= 2.0**-200:
        return 0
    e = math.frexp(b)[1]  # b = m·2^e, m in [0.5, 1)
    return (2 - e) // 2  # e + 2k in {1, 2}: b·4^k = m·2^(e + 2k) in [1, 4)


def _sq_parts(z: Array, b: float) -> tuple[int, float, Array, Array, tuple[Array, Array]]:
    """(k, 4^k·b, huge, 2^k·z (0 where huge), √((2^k·z)² + 4^k·b) as a double-double)."""
    k = _sq_scale(b)
    bs = math.ldexp(b, 2 * k)
    huge = ~(np.abs(z) <= 2.0 ** (400 - k))  # |2^k·z| > 2^400 (nan too)
    zs = _ldexp(_where(huge, 0.0, z), k)
    return k, bs, huge, zs, _sq_h_dd(zs, bs)


def squareplus(z: Array, p: Params) -> Array:
    """squareplus(z) = (z + √(z² + b)) / 2"""
    b = p["b"]
    if b == 0:
        return np.maximum(z, 0.0)
    if _sq_small_ok(p):
        return _sq_fast(z, b, True, False)[0]
    return _sq_g(z, *_sq_parts(z, b))


# The float64 forms for 2^−100 <= b <= 2^100 and |z| <= 2^400 (the rest, nan and ±inf by
# the double-double forms above, on those values only). With a = |z|, h = √(z² + b) and
# S = h + a, both pieces of g and of g′ are one expression each:
#   g  = S/2 for z >= 0, c/S for z < 0 (c = b/2; b/(2(h − z)) without the cancellation);
#   g′ = 1/2 + a/(2h) for z >= 0, c/(h·S) for z < 0.
# h is a double-double h0 + hl: z² = p + e exactly (Dekker, one split of a), T = z² + b as
# th + tl (Knuth's sum; below a = 2^−480 z² is under 2^−860·b and its lost bits do not
# matter), h0 = fl(√th) and hl = ((th − h0²) + tl)/(2h0) with h0² exact (th − h0² is exact
# by Sterbenz): |h − (h0 + hl)| < 2^−100·h. S = h0 + a by Knuth's sum plus hl, renormalized
# to Sh + Sl (|Sl| <= ulp(Sh)/2, error < 2^−100·S). Then (u = 2^−53; "+ tiny" is below
# 2^−45 ULP):
#   g, z >= 0: Sh/2 = fl(S)/2: <= 0.5 ULP + tiny.
#   g, z < 0:  q0 = fl(c/Sh) (0.5 ULP of the exact c/Sh), times (1 − Sl/Sh) rounded once
#              (the correction's own error ~u² relative): <= 1.0 ULP + tiny.
#   g′, z >= 0: v0 = fl(a/(2h0)) < 1/2, off by <= 2^−55 (a quarter ULP of g′ in [1/2, 1));
#              0.5 + v0 = s + t exactly (fast two-sum), g′ = s + (t − v0·hl/h0) rounded
#              once: <= 0.75 ULP + tiny.
#   g′, z < 0: h0·Sh = P + Pe exactly (Dekker), q0 = fl(c/P), times (1 − (Pe/P + hl/h0 +
#              Sl/Sh)) rounded once: <= 1.0 ULP + tiny.
# Within the accuracy table's 1.47 (g) and 1.11 (g′) ULP of the double-double forms, in
# about 90 array operations instead of about 300.


def _sq_fast(z: Array, b: float, want_g: bool, want_dg: bool) -> tuple[Any, Any]:
    """(g or None, g′ or None) by the float64 forms above, for 2^−100 <= b <= 2^100."""
    z = np.asarray(z, dtype=np.float64)
    if z.ndim != 1:
        g, d = _sq_fast(z.reshape(-1), b, want_g, want_dg)
        return (None if g is None else g.reshape(z.shape),
                None if d is None else d.reshape(z.shape))
    a = np.abs(z)
    anyfar = not np.max(a, initial=0.0) <= 2.0**400  # (one reduction; nan propagates)
    if anyfar:
        far = ~(a <= 2.0**400)  # (nan too)
        a[far] = 1.0
    ah, al = special.split(a)
    p = a * a
    x = ah * al
    e = (((ah * ah - p) + x) + x) + al * al
    th = p + b
    bb = th - p
    tl = ((p - (th - bb)) + (b - bb)) + e
    h0 = np.sqrt(th)
    hh, hl = special.split(h0)
    q2 = h0 * h0
    x = hh * hl
    e2 = (((hh * hh - q2) + x) + x) + hl * hl
    h2 = h0 + h0
    hl = (((th - q2) - e2) + tl) / h2
    sh = h0 + a
    bb = sh - h0
    sl = ((h0 - (sh - bb)) + (a - bb)) + hl
    s_hi = sh + sl
    sl -= s_hi - sh
    sigma = sl / s_hi
    pos = z >= 0
    c = 0.5 * b
    g = dg = None
    if want_g:
        q0 = c / s_hi
        q0 -= q0 * sigma
        g = _where(pos, 0.5 * s_hi, q0)
    if want_dg:
        rel = hl / h0
        v0 = a / h2
        s1 = 0.5 + v0
        t1 = v0 - (s1 - 0.5)
        t1 -= v0 * rel
        s1 += t1
        P, Pe = two_prod(h0, s_hi)
        q1 = c / P
        rel += Pe / P
        rel += sigma
        q1 -= q1 * rel
        dg = _where(pos, s1, q1)
    if anyfar:
        i = np.flatnonzero(far)
        zf = z.take(i)
        parts = _sq_parts(zf, b)
        if want_g:
            g[i] = _sq_g(zf, *parts)
        if want_dg:
            dg[i] = _sq_dg(zf, *parts)
    return g, dg


def _sq_g(z: Array, k: int, bs: float, huge: Array, zs: Array, h: tuple[Array, Array]) -> Array:
    pos = dd_val(dd_add(h, dd(zs))) / 2.0
    neg = bs / (2.0 * dd_val(dd_add(h, dd(np.abs(zs)))))
    near = _where(z >= 0, pos, neg)
    if k:
        near = _ldexp(near, -k)
    # |z| > 2^400 (scaled): √(z² + b) = |z|(1 + b/(2z²)) to far below an ULP
    zb = _where(huge, z, 1.0)
    far = _where(zb > 0, zb, _ldexp((0.25 * bs) / np.abs(zb), -2 * k))
    return _where(huge, _where(np.isnan(z), z, far), near)


def squareplus_deriv(z: Array, p: Params) -> Array:
    """squareplus′(z) = (1 + z/√(z² + b)) / 2"""
    b = p["b"]
    if b == 0:
        return _where(z > 0, 1.0, 0.0)
    if _sq_small_ok(p):
        return _sq_fast(z, b, False, True)[1]
    return _sq_dg(z, *_sq_parts(z, b))


def _sq_dg(z: Array, k: int, bs: float, huge: Array, zs: Array, h: tuple[Array, Array]) -> Array:
    pos = (1.0 + dd_val(dd_div(dd(zs), h))) / 2.0
    den = dd_mul(h, dd_add(h, dd(np.abs(zs))))
    neg = dd_val(dd_div(dd(np.full_like(zs, 0.5 * bs)), den))
    zb = _where(huge, np.abs(z), 1.0)
    far = _where(z > 0, 1.0, _ldexp((0.25 * bs / zb) / zb, -2 * k))
    return _where(huge, _where(np.isnan(z), z, far), _where(z >= 0, pos, neg))


def _squareplus_with_deriv(z: Array, p: Params) -> tuple[Array, Array]:
    """(g, g′) with √(z² + b) as a double-double computed once."""
    b = p["b"]
    if b == 0:
        return squareplus(z, p), squareplus_deriv(z, p)
    if _sq_small_ok(p):
        return _sq_fast(z, b, True, True)
    parts = _sq_parts(z, b)
    return _sq_g(z, *parts), _sq_dg(z, *parts)


# squareplus's cheaper forms for float32 and smaller types (see silu's; inputs there are
# values of the small type, within ±3.5e38, or ±inf), for 2^−100 <= b <= 2^100 (else the
# accurate form), as the float64 forms above in plain float64: a = min(|z|, 1e150) (±inf
# becomes 1e150, where g is 1e150 or 1e−150 and g′ 1 or 1e−300: ±inf, +0, 1 and +0 in every
# small type, as at ±inf), h = √(a² + b) within 2u relative (a² + b within 2u, the root
# halves that, then its own rounding u; u = 2^−53), S = h + a (3u), g = S/2 for z >= 0
# (3u) and (b/2)/S below (4u), g′ = g/h for both (g′ = S/(2h) = 1/2 + z/(2h) for z >= 0,
# (b/2)/(h·S) below: 7u): < 7 ULP. Bounds 32 (the measured errors: benchmarks/api_speed.py
# --errors).
_SQ_SMALL_ULP = 32.0


def _sq_small_ok(p: Params) -> bool:
    return 2.0**-100 <= p["b"] <= 2.0**100


def _sq_small(z: Array, b: float, want_dg: bool) -> tuple[Array, Array | None]:
    z = np.asarray(z, dtype=np.float64)
    if z.ndim != 1:
        g, d = _sq_small(z.reshape(-1), b, want_dg)
        return g.reshape(z.shape), (None if d is None else d.reshape(z.shape))
    a = np.abs(z)
    np.minimum(a, 1e150, out=a)
    h = a * a
    h += b
    np.sqrt(h, out=h)
    s = h + a
    neg = np.divide(0.5 * b, s)
    s *= 0.5
    g = _where(z >= 0, s, neg)
    return g, (g / h if want_dg else None)


def _squareplus_small(z: Array, p: Params) -> Array:
    if not _sq_small_ok(p):
        return squareplus(z, p)
    return _sq_small(z, p["b"], False)[0]


def _squareplus_deriv_small(z: Array, p: Params) -> Array:
    if not _sq_small_ok(p):
        return squareplus_deriv(z, p)
    return _sq_small(z, p["b"], True)[1]


def _squareplus_pair_small(z: Array, p: Params) -> tuple[Array, Array]:
    if not _sq_small_ok(p):
        return _squareplus_with_deriv(z, p)
    return _sq_small(z, p["b"], True)


_squareplus_small.ulp = _squareplus_deriv_small.ulp = _SQ_SMALL_ULP  # type: ignore[attr-defined]
_squareplus_pair_small.ulp = _SQ_SMALL_ULP  # type: ignore[attr-defined]
squareplus.small = _squareplus_small  # type: ignore[attr-defined]
squareplus_deriv.small = _squareplus_deriv_small  # type: ignore[attr-defined]
_squareplus_with_deriv.small = _squareplus_pair_small  # type: ignore[attr-defined]
squareplus.with_deriv = _squareplus_with_deriv  # type: ignore[attr-defined]


def _squareplus_from_a(a: Array, p: Params) -> Array:
    """a²/(a² + c), c = b/4, as a double-double quotient (one rounding at the end). The
    ratio is homogeneous in (a, √c), so a and c are first scaled by 2^j, 4^j to c in
    [1, 4); then a² + c is exact for 2^-400 <= a <= 2^400, and beyond the result is 1 or
    a²/c to far below an ULP."""
    b = p["b"]
    if b == 0:
        return _where(a > 0, 1.0, 0.0)
    e = math.frexp(b)[1]  # c = b/4 = m·2^(e − 2)
    j = (4 - e) // 2  # e − 2 + 2j in {1, 2}
    c = math.ldexp(b, 2 * j - 2)
    x = _ldexp(np.minimum(a, 2.0 ** (401 - j)), j)  # no overflow; beyond is 1
    big = x > 2.0**400
    small = x < 2.0**-400
    xm = _where(big | small | np.isnan(x), 1.0, x)
    num = two_prod(xm, xm)
    mid = dd_val(dd_div(num, dd_add(num, dd(np.full_like(xm, c)))))
    xs = _ldexp(_where(small, x, 0.0), 400)
    tiny = _ldexp(dd_val(dd_div(two_prod(xs, xs), dd(np.full_like(xs, c)))), -800)
    r = _where(big, 1.0, _where(small, tiny, mid))
    return _where(np.isnan(a), a, r)


# ---------------------------------------------------------------------------------------
# exact forms in mpmath (for the gradient check and --exact): written so that mpmath does
# not cancel either (z·σ(2u) rather than z/2·(1 + tanh u), b/(2(√(z² + b) − z)), ...).


def _gelu_dispatch(want_g: bool):
    def f(z: Array, p: Params) -> Array:
        if p["approximate"] == "tanh":
            return _gelu_tanh(z, want_g)
        return _gelu_exact(z, want_g)

    def small(z: Array, p: Params) -> Array:
        if p["approximate"] == "tanh":
            return (_gelu_tanh_small if want_g else _gelu_tanh_deriv_small)(z)
        return _gelu_exact(z, want_g)

    # the bound of the tanh forms (the exact gelu has no cheaper form: it is within 4 ULP)
    small.ulp = _GT_SMALL_ULP if want_g else _GT_DERIV_SMALL_ULP  # type: ignore[attr-defined]
    f.small = small  # type: ignore[attr-defined]
    if want_g:
        f.with_deriv = _gelu_with_deriv  # type: ignore[attr-defined]
    return _vec(f)


def _gelu_with_deriv(z: Array, p: Params) -> tuple[Array, Array]:
    """(g, g′): for the tanh form with their common work done once (_gelu_tanh_pair)."""
    if p["approximate"] == "tanh":
        return _gelu_tanh_pair(z)
    return _gelu_exact(z, True), _gelu_exact(z, False)


def _gelu_pair_small(z: Array, p: Params) -> tuple[Array, Array]:
    if p["approximate"] == "tanh":
        return _gelu_tanh_small(z), _gelu_tanh_deriv_small(z)
    return _gelu_exact(z, True), _gelu_exact(z, False)


# The tanh-GELU's cheaper forms for results in float32 and smaller types (see silu's): v =
# 2√(2/π)·z·(1 + 0.044715z²) in plain float64 is within 6u of itself relative (four
# roundings and the two constants' 0.5u), so e^−v within 6u·|v| + 2u. g = z/(1 + e^−v):
# < 6u·|v| + 5u, that is < 700u where |v| <= 110, and beyond (z < −10.4) g and the form lie
# in (−2^−150, 0): both round to −0; ulp 2048. g′ = σ(v) + z·v′·e/(1 + e)², e = e^−|v|: each
# term < 3·(6u·|v| + 2u) + 4u, their sum cancels by less than 3 outside |z − z0| < 0.5
# (there the accurate form): ulp 8192 (benchmarks/api_speed.py --errors: the measured
# errors). z is clipped to [−13, 40] for g′ (beyond, g′ and the form lie in (−2^−200, 0),
# resp. both round to 1) and to [−40, 40] inside v for g. The same forms and bounds serve
# the family's gelu_fast and gelu_approx (their A and K within 0.3% and 3% of these; the
# argument holds as written: where v < −110, |g| < 40·e^−110 < 2^−150 for both, and at
# z = −13, |g′| < 2^−200; measured: benchmarks/api_speed.py --errors).
_GT_SMALL_ULP = 2048.0
_GT_DERIV_SMALL_ULP = 8192.0
_GT_C2 = 2.0 * math.sqrt(2.0 / math.pi)
_gelu_pair_small.ulp = _GT_DERIV_SMALL_ULP  # type: ignore[attr-defined]  (the larger of the two)
_gelu_with_deriv.small = _gelu_pair_small  # type: ignore[attr-defined]


def _gelu_tanh_small(z: Array, c: TanhGelu = GT) -> Array:
    zc = np.clip(z, -40.0, 40.0)
    v = c.A[0] * (zc * (1.0 + c.K[0] * (zc * zc)))
    with np.errstate(over="ignore"):  # e^4630 = inf: −40/inf = −0
        return (np.maximum(z, -40.0) + 0.0) / (1.0 + np.exp(-v))


def _gelu_tanh_deriv_small(z: Array, c: TanhGelu = GT) -> Array:
    zc = np.clip(z, -13.0, 40.0)
    w = zc * zc
    v = c.A[0] * (zc * (1.0 + c.K[0] * w))
    vp = c.A[0] * (1.0 + c.K3[0] * w)
    e = np.exp(-np.abs(v))
    d = 1.0 + e
    r = np.maximum(e, v >= 0) / d + (zc * vp) * (e / (d * d))
    win = np.abs(z - c.Z0[0]) < 0.5
    if win.any():
        r[win] = _gelu_tanh(z[win], False, c)
    return r


def _mp_erfc(x: Any, mp: Any) -> Any:
    """erfc in mpmath for any x: mpmath's own fails for |x| beyond ~1e150 (a float overflow
    in its series test), so far out it is the asymptotic series, which converges there in a
    handful of terms: erfc(x) = e^−x²/(x√π)·Σ (−1)^k (2k−1)!!/(2x²)^k."""
    if getattr(mp, "ball", False) or abs(x) < 10**4:  # the ball shim's erfc: everywhere
        return mp.erfc(x)
    if x < 0:
        return 2 - _mp_erfc(-x, mp)
    total, term, k, tiny = mp.mpf(1), mp.mpf(1), 0, mp.mpf(2) ** (-mp.mp.prec - 10)
    while abs(term) > tiny:
        k += 1
        term *= -(2 * k - 1) / (2 * x * x)
        total += term
    return mp.exp(-x * x) / (x * mp.sqrt(mp.pi)) * total


def _mp_gelu(z: Any, p: Params, mp: Any) -> Any:
    if p["approximate"] == "tanh":
        c = mp.sqrt(2 / mp.pi)
        v = 2 * c * (z + mp.mpf("0.044715") * z**3)
        return z / (1 + mp.exp(-v))
    return z / 2 * _mp_erfc(-z / mp.sqrt(2), mp)


def _mp_gelu_dg(z: Any, p: Params, mp: Any) -> Any:
    if p["approximate"] == "tanh":
        c = mp.sqrt(2 / mp.pi)
        k = mp.mpf("0.044715")
        v = 2 * c * (z + k * z**3)
        s = 1 / (1 + mp.exp(-v))
        return s + z * 2 * c * (1 + 3 * k * z**2) * s * (1 - s) if v < 0 else (
            s + z * 2 * c * (1 + 3 * k * z**2) * s / (1 + mp.exp(v)))
    return _mp_erfc(-z / mp.sqrt(2), mp) / 2 + z * mp.npdf(z)


def _mp_tanhshrink(z: Any, p: Params, mp: Any) -> Any:
    if z == 0:
        return z
    extra = max(0, -2 * int(mp.mag(z))) + 10  # z − tanh z ≈ z³/3 cancels 2·|log2 z| bits
    with mp.extraprec(extra):
        r = z - mp.tanh(z)
    return +r


def _mp_squareplus(z: Any, p: Params, mp: Any) -> Any:
    b = mp.mpf(p["b"])
    h = mp.sqrt(z * z + b)
    return (z + h) / 2 if z >= 0 else b / (2 * (h - z))


def _mp_squareplus_dg(z: Any, p: Params, mp: Any) -> Any:
    b = mp.mpf(p["b"])
    h = mp.sqrt(z * z + b)
    if z >= 0:
        return (1 + z / h) / 2 if h else mp.mpf(1)
    return b / (2 * h * (h - z))


def _mp_softplus(z: Any, p: Params, mp: Any) -> Any:
    beta = mp.mpf(p["beta"])
    at = _sp_threshold(p)
    if at is not None and z > at:
        return z
    return mp.log1p(mp.exp(beta * z)) / beta


def _mp_softplus_dg(z: Any, p: Params, mp: Any) -> Any:
    beta = mp.mpf(p["beta"])
    at = _sp_threshold(p)
    if at is not None and z > at:
        return mp.mpf(1)
    return 1 / (1 + mp.exp(-beta * z))


def _mp_selu(z: Any, p: Params, mp: Any) -> Any:
    lam, alpha = selu_exact_constants(p, mp)
    return lam * z if z > 0 else lam * alpha * mp.expm1(z)


def _mp_selu_dg(z: Any, p: Params, mp: Any) -> Any:
    lam, alpha = selu_exact_constants(p, mp)
    return lam if z > 0 else lam * alpha * mp.exp(z)


def _split_tanhshrink(z: Any, p: Params, mp: Any) -> Any:
    if abs(z) <= 32:
        return None
    s = 1 if z > 0 else -1  # z − tanh z = (z − s) + s·2/(e^(2|z|) + 1)
    return z - s, s * 2 / (mp.exp(2 * abs(z)) + 1)


def _split_elu(z: Any, p: Params, mp: Any) -> Any:
    a = mp.mpf(p["alpha"])
    if z >= -32 or p["alpha"] == 0:
        return None
    return -a, a * mp.exp(z)  # α(e^z − 1) = −α + α·e^z


def _split_celu(z: Any, p: Params, mp: Any) -> Any:
    a = mp.mpf(p["alpha"])
    if p["alpha"] < 0 or z >= -32 * p["alpha"]:
        return None
    return -a, a * mp.exp(z / a)


def _mp_silu(z: Any, beta: Any, mp: Any) -> Any:
    return z / (1 + mp.exp(-beta * z))


def _mp_silu_dg(z: Any, beta: Any, mp: Any) -> Any:
    t = beta * z
    return (1 + t / (1 + mp.exp(t))) / (1 + mp.exp(-t))


def _silu_min(beta: float) -> float:
    """min z·σ(βz) = silu's minimum / β, rounded down."""
    return SILU_MIN if beta == 1.0 else float(np.nextafter(SILU_MIN / beta, -INF))


def _positive(v: float) -> bool:
    return math.isfinite(v) and v > 0


def _nonzero(v: float) -> bool:
    return math.isfinite(v) and v != 0


_TF_SRC_GELU = "src/transformers/activations.py"
_GELU_APPROX = Param(
    "approximate", "none",
    "none: the exact z·Φ(z) (PyTorch's default); tanh: the tanh approximation (JAX's default)",
    allowed="none or tanh", choices=("none", "tanh"),
)


def _sq_kinks(p: Params) -> tuple[Kink, ...]:
    if p["b"] != 0:
        return ()
    # b = 0 is relu; PyTorch has no squareplus and JAX's autograd gives nan at 0 there
    # (0·∞ in d√(z²)/dz): both are given relu's choice, the left side.
    return (Kink(0.0, left=0.0, right=1.0, pytorch="left", jax="left", unique_output=False),)


# Points where g′ is continuous but g″ jumps (elu and celu at 0 for every α, softsign at
# 0): a central difference straddling them has an O(h) error that Richardson extrapolation
# in even powers does not remove (~2e-5 relative at h = 1e-3), so the gradient check takes
# one-sided differences there (Spec.breaks).
_AT_0 = (0.0,)


SPECS: tuple[Spec, ...] = (
    Spec(
        name="elu",
        # exponential linear unit: z for z > 0, α(e^z − 1) below
        formula="elu(z) = z for z > 0, α·(e^z − 1) for z <= 0",
        deriv_formula="elu′(z) = 1 for z > 0, α·e^z for z < 0 (kink at 0 unless α = 1)",
        from_output_formula="1 for a > 0, a + α for a <= 0",
        params=(Param("alpha", 1.0, "scale of the negative part (PyTorch's and JAX's default)"),),
        g=_vec(elu),
        dg=_vec(elu_deriv),
        dg_from_a=_elu_from_a,
        from_output_unavailable=_elu_why_not,
        output_range=lambda p: (-p["alpha"], INF) if p["alpha"] > 0 else (0.0, INF),
        kinks=_elu_kinks,
        exact=lambda z, p, mp: z if z > 0 else mp.mpf(p["alpha"]) * mp.expm1(z),
        exact_dg=lambda z, p, mp: mp.mpf(1) if z > 0 else mp.mpf(p["alpha"]) * mp.exp(z),
        breaks=lambda p: _AT_0,
        exact_split=_split_elu,
    ),
    Spec(
        name="selu",
        # scaled ELU with the self-normalising constants λ ≈ 1.0507, α ≈ 1.6733
        formula="selu(z) = λ·z for z > 0, λ·α·(e^z − 1) for z <= 0 "
                f"(λ = {SELU_SCALE_STR}, α = {SELU_ALPHA_STR})",
        deriv_formula="selu′(z) = λ for z > 0, λ·α·e^z for z < 0 (kink at 0)",
        from_output_formula="λ for a > 0, a + λ·α for a <= 0",
        params=(
            Param("alpha", SELU_ALPHA, "α (this float stands for the 32-digit constant;"
                  " MLX and tinygrad use 1.67326)", allowed="a number in [1e-100, 1e100]",
                  valid=_selu_range),
            Param("scale", SELU_SCALE, "λ (this float stands for the 32-digit constant;"
                  " MLX and tinygrad use 1.0507)", allowed="a number in [1e-100, 1e100]",
                  valid=_selu_range),
        ),
        g=_vec(selu),
        dg=_vec(selu_deriv),
        dg_from_a=_selu_from_a,
        output_range=lambda p: (-selu_constants(p)[1][0], INF),
        kinks=_selu_kinks,
        exact=_mp_selu,
        exact_dg=_mp_selu_dg,
    ),
    Spec(
        name="celu",
        # continuously differentiable ELU: z for z > 0, α(e^(z/α) − 1) below
        formula="celu(z) = z for z > 0, α·(e^(z/α) − 1) for z <= 0",
        deriv_formula="celu′(z) = 1 for z > 0, e^(z/α) for z < 0 "
                      "(no kink: both sides are 1 at 0)",
        from_output_formula="1 for a > 0, 1 + a/α for a <= 0",
        params=(Param("alpha", 1.0, "scale of the negative part (PyTorch's and JAX's default)",
                      allowed="a number with 0 < |alpha| <= 1e300 (it divides; beyond, "
                      "-1500·|alpha| overflows)",
                      valid=lambda v: _nonzero(v) and abs(v) <= 1e300),),
        g=_vec(celu),
        dg=_vec(celu_deriv),
        dg_from_a=_celu_from_a,
        output_range=_celu_range,
        exact=lambda z, p, mp: (z if z > 0
                                else mp.mpf(p["alpha"]) * mp.expm1(z / mp.mpf(p["alpha"]))),
        exact_dg=lambda z, p, mp: mp.mpf(1) if z > 0 else mp.exp(z / mp.mpf(p["alpha"])),
        breaks=lambda p: _AT_0,
        exact_split=_split_celu,
    ),
    Spec(
        name="gelu",
        # transformers' gelu_python is z·(1 + erf(z/√2))/2: the exact gelu
        aliases=("gelu_python",),
        # transformers' names of the tanh form, the same function in exact arithmetic, and
        # timm's gelu_tanh (F.gelu(x, approximate='tanh'); timm/layers/create_act.py)
        variants=tuple((n, (("approximate", "tanh"),))
                       for n in ("gelu_new", "gelu_accurate", "gelu_pytorch_tanh",
                                 "gelu_tanh")),
        sources=("transformers: gelu, gelu_python; gelu_new, gelu_accurate, "
                 f"gelu_pytorch_tanh are approximate=tanh ({_TF_SRC_GELU})",
                 "timm: gelu_tanh is approximate=tanh (timm/layers/create_act.py)"),
        # Gaussian error linear unit z·Φ(z) (or its tanh approximation)
        formula="gelu(z) = z·Φ(z) = z/2·erfc(−z/√2); approximate=tanh: "
                "z/2·(1 + tanh(√(2/π)·(z + 0.044715z³)))",
        deriv_formula="gelu′(z) = Φ(z) + z·φ(z), φ(z) = e^(−z²/2)/√(2π); approximate=tanh: "
                      "σ(2u) + z·2u′·σ(2u)σ(−2u), u = √(2/π)(z + 0.044715z³)",
        params=(_GELU_APPROX,),
        g=_gelu_dispatch(True),
        dg=_gelu_dispatch(False),
        output_range=lambda p: (GELU_TANH_MIN if p["approximate"] == "tanh" else GELU_MIN, INF),
        exact=_mp_gelu,
        exact_dg=_mp_gelu_dg,
    ),
    Spec(
        name="silu",
        aliases=("swish",),
        # sigmoid-weighted linear unit z·σ(βz); beta is TensorFlow's tf.nn.silu(features,
        # beta=1.0) (Ramachandran et al.'s swish-β); PyTorch and JAX have β = 1 only
        formula="silu(z) = z·σ(βz) = z / (1 + e^(−β·z))",
        deriv_formula="silu′(z) = σ(βz)·(1 + βz·(1 − σ(βz)))",
        params=(Param("beta", 1.0, "β of swish-β, z·σ(βz) (TensorFlow's silu(features, beta); "
                      "1: PyTorch's and JAX's silu)",
                      allowed="a number with 1e-10 <= beta <= 1e10",
                      valid=lambda v: 1e-10 <= v <= 1e10),),
        g=_vec(silu),
        dg=_vec(silu_deriv),
        output_range=lambda p: (_silu_min(p["beta"]), INF),
        exact=lambda z, p, mp: _mp_silu(z, mp.mpf(p["beta"]), mp),
        exact_dg=lambda z, p, mp: _mp_silu_dg(z, mp.mpf(p["beta"]), mp),
        sources=("TensorFlow: tf.nn.silu(features, beta=1.0) / tf.nn.swish "
                 "(tensorflow/python/ops/nn_impl.py)",
                 "Keras: keras.activations.silu / swish (β = 1)",
                 "MLX: mlx.nn.silu; tinygrad: Tensor.silu / swish; timm: 'silu', 'swish'; "
                 "transformers: 'silu', 'swish'"),
    ),
    Spec(
        name="mish",
        # z·tanh(softplus(z))
        formula="mish(z) = z·tanh(softplus(z)) = z·tanh(log(1 + e^z))",
        deriv_formula="mish′(z) = tanh(sp(z)) + z·σ(z)·sech²(sp(z)), sp = softplus",
        g=_vec(mish),
        dg=_vec(mish_deriv),
        output_range=lambda p: (MISH_MIN, INF),
        exact=lambda z, p, mp: z * mp.tanh(mp.log1p(mp.exp(z))),
        exact_dg=lambda z, p, mp: (mp.tanh(mp.log1p(mp.exp(z)))
                                   + z / (1 + mp.exp(-z)) * mp.sech(mp.log1p(mp.exp(z))) ** 2),
    ),
    Spec(
        name="softplus",
        # smooth relu log(1 + e^(βz))/β
        formula="softplus(z) = log(1 + e^(β·z))/β; z itself where β·z > threshold",
        deriv_formula="softplus′(z) = σ(β·z); 1 where β·z > threshold",
        from_output_formula="1 − e^(−β·a)",
        params=(
            Param("beta", 1.0, "sharpness β (PyTorch's default)", allowed="a number > 0",
                  valid=_positive),
            Param("threshold", INF,
                  "linear above β·z > threshold (PyTorch's default is 20; inf = the true function)",
                  allowed="a number, or inf", valid=lambda v: not math.isnan(v) and v > -INF),
        ),
        g=_vec(softplus),
        dg=_vec(softplus_deriv),
        dg_from_a=_softplus_from_a,
        from_output_unavailable=_softplus_why_not,
        output_range=_softplus_range,
        kinks=_softplus_kinks,
        exact=_mp_softplus,
        exact_dg=_mp_softplus_dg,
    ),
    Spec(
        name="softsign",
        aliases=("soft_sign",),
        # z/(1 + |z|); squashes to (−1, 1) polynomially
        formula="softsign(z) = z / (1 + |z|)",
        deriv_formula="softsign′(z) = 1 / (1 + |z|)²",
        from_output_formula="(1 − |a|)²",
        g=_vec(softsign),
        dg=_vec(softsign_deriv),
        dg_from_a=_softsign_from_a,
        output_range=lambda p: (-1.0, 1.0),
        exact=lambda z, p, mp: z / (1 + abs(z)),
        exact_dg=lambda z, p, mp: 1 / (1 + abs(z)) ** 2,
        breaks=lambda p: _AT_0,
    ),
    Spec(
        name="log_sigmoid",
        aliases=("logsigmoid",),
        # log σ(z) = −softplus(−z)
        formula="log_sigmoid(z) = log σ(z) = −log(1 + e^−z)",
        deriv_formula="log_sigmoid′(z) = σ(−z) = 1 − σ(z)",
        from_output_formula="1 − e^a",
        g=_vec(log_sigmoid),
        dg=_vec(log_sigmoid_deriv),
        dg_from_a=lambda a, p: 0.0 - np.expm1(a),  # 0.0 −: a = 0 gives 0.0, not −0.0
        output_range=lambda p: (-INF, 0.0),
        exact=lambda z, p, mp: -mp.log1p(mp.exp(-z)),
        exact_dg=lambda z, p, mp: 1 / (1 + mp.exp(z)),
    ),
    Spec(
        name="tanhshrink",
        aliases=("tanh_shrink",),  # Keras' name
        frameworks=("PyTorch",),
        # z − tanh(z)
        formula="tanhshrink(z) = z − tanh(z)",
        deriv_formula="tanhshrink′(z) = tanh²(z) = 1 − sech²(z)",
        g=_vec(tanhshrink),
        dg=_vec(tanhshrink_deriv),
        exact=_mp_tanhshrink,
        exact_dg=lambda z, p, mp: mp.tanh(z) ** 2,
        from_output_unavailable=lambda p: (
            "tanhshrink is increasing, so a determines z and g′, but z = tanhshrink⁻¹(a) "
            "has no closed form: give z instead"),
        exact_split=_split_tanhshrink,
    ),
    Spec(
        name="squareplus",
        frameworks=("JAX",),
        # (z + √(z² + b))/2, an algebraic softplus
        formula="squareplus(z) = (z + √(z² + b)) / 2",
        deriv_formula="squareplus′(z) = (1 + z/√(z² + b)) / 2 (kink at 0 when b = 0)",
        from_output_formula="a² / (a² + b/4)",
        params=(Param("b", 4.0, "smoothness b (JAX's default)",
                      allowed="a number with 0 <= b <= 1e60 (beyond |z| = 2^400, √(z² + b) is "
                      "taken as |z|(1 + b/2z²), which needs b far below z²)",
                      valid=lambda v: 0 <= v <= 1e60),),
        g=_vec(squareplus),
        dg=_vec(squareplus_deriv),
        dg_from_a=_squareplus_from_a,
        output_range=lambda p: (0.0, INF),
        kinks=_sq_kinks,
        exact=_mp_squareplus,
        exact_dg=_mp_squareplus_dg,
    ),
)


# =======================================================================================
# The named GELU variants users must match when loading checkpoints (issue 13), and xIELU.
#
# - transformers' gelu_new, gelu_accurate and gelu_pytorch_tanh compute
#   0.5·z·(1 + tanh(√(2/π)·(z + 0.044715z³))) (√(2/π) as math.sqrt(2/π) or PyTorch's
#   M_SQRT2·M_2_SQRTPI/2): in exact arithmetic gelu(approximate=tanh), so they are names of
#   that variant (``Spec.variants`` of gelu), as gelu_python (z·(1 + erf(z/√2))/2) is a name
#   of the exact gelu. Their bits differ from PyTorch's fused kernel only by roundings.
# - gelu_fast (transformers' FastGELUActivation) writes tanh(z·0.7978845608·(1 + 0.044715z²)):
#   the decimal 0.7978845608 is not √(2/π) (it is 2.87e-12 smaller), so it is a function of
#   its own: z·σ(A·z·(1 + K·z²)) with A = 2·0.7978845608, K = 0.044715 (the association
#   z·c·(1 + k·z²) against c·(z + k·z³) changes roundings only).
# - gelu_approx (MLX) is z·σ(1.60033·z·(1 + 0.0433603·z²)): A = 1.60033, K = 0.0433603.
#   Both run the tanh form's code (``_gelu_tanh``) with their own constants and roots.
# - gelu_10 (transformers' ClippedGELUActivation(−10, 10)): min(max(gelu(z), −10), 10) with
#   the exact gelu. gelu >= −0.17 never reaches −10, so only the upper clip acts: its kink
#   z* = 10.0000000000000000000000762 (z·Φ(z) = 10) lies between the float64 10 and its
#   successor. Every float format rounds gelu(10) to 10, where clip ties, so the kink is
#   recorded at z = 10; its left slope gelu′(10) = 1 + 7.6e-22 is also the exact value
#   there, and PyTorch's clamp (inclusive bounds) passes it; above 10, g = 10 and g′ = 0.


def _tg(a: str, k: str, a_scale: int, z0: tuple[float, float], e0: tuple[float, float],
        w1: tuple[float, float], e1: tuple[float, float], gmin: float) -> TanhGelu:
    """A member of the tanh-GELU family from its decimal constants (A = a_scale·a)."""
    def pair(x: Fraction) -> tuple[float, float]:
        hi = float(x)
        return hi, float(x - Fraction(hi))

    fa, fk = Fraction(a) * a_scale, Fraction(k)
    return TanhGelu(A=pair(fa), K=pair(fk), K3=pair(3 * fk), AK6=pair(6 * fa * fk), Z0=z0,
                    E0=e0, W1=w1, E1=e1, gmin=gmin)


#: transformers' gelu_fast: A = 2·0.7978845608, K = 0.044715
GELU_FAST = _tg("0.7978845608", "0.044715", 2, z0=(-0.7524614220734264, -1.356318469532527e-17),
                e0=(0.2919552119148498, 1.7082182394846955e-17),
                w1=(1.4185040087952434, 4.5885554085525085e-17),
                e1=(0.08481615592517294, -9.9394478461292e-19), gmin=-0.17004075057183599)
#: MLX's gelu_approx: A = 1.60033, K = 0.0433603
GELU_APPROX = _tg("1.60033", "0.0433603", 1, z0=(-0.7517775815235958, 8.33932389253859e-18),
                  e0=(0.2915408635770136, -1.3180278471657374e-17),
                  w1=(1.4178441492405398, 6.174345055662388e-17),
                  e1=(0.08485589819976445, -3.877390909309724e-19),
                  gmin=-0.16969953604736152)


def _family(c: TanhGelu):
    def g(z: Array, p: Params) -> Array:
        return _gelu_tanh(z, True, c)

    def dg(z: Array, p: Params) -> Array:
        return _gelu_tanh(z, False, c)

    def g_small(z: Array, p: Params) -> Array:
        return _gelu_tanh_small(z, c)

    def dg_small(z: Array, p: Params) -> Array:
        return _gelu_tanh_deriv_small(z, c)

    def pair(z: Array, p: Params) -> tuple[Array, Array]:
        return _gelu_tanh_pair(z, c)

    def pair_small(z: Array, p: Params) -> tuple[Array, Array]:
        return _gelu_tanh_small(z, c), _gelu_tanh_deriv_small(z, c)

    g_small.ulp, dg_small.ulp = _GT_SMALL_ULP, _GT_DERIV_SMALL_ULP  # type: ignore[attr-defined]
    pair_small.ulp = _GT_DERIV_SMALL_ULP  # type: ignore[attr-defined]
    g.small, dg.small, pair.small = g_small, dg_small, pair_small  # type: ignore[attr-defined]
    g.with_deriv = pair  # type: ignore[attr-defined]
    return _vec(g), _vec(dg)


def _mp_family(a: str, k: str, a_scale: int):
    """g and g′ of z·σ(v), v = A·z·(1 + K·z²), in mpmath (or the ball shim), A and K exact."""

    def v_of(z: Any, mp: Any) -> tuple[Any, Any]:
        big_a, big_k = a_scale * mp.mpf(a), mp.mpf(k)
        return big_a * z * (1 + big_k * z * z), big_a * (1 + 3 * big_k * z * z)

    def g(z: Any, p: Params, mp: Any) -> Any:
        v, _ = v_of(z, mp)
        return z / (1 + mp.exp(-v))

    def dg(z: Any, p: Params, mp: Any) -> Any:
        v, vp = v_of(z, mp)
        s = 1 / (1 + mp.exp(-v))
        return s + z * vp * s / (1 + mp.exp(v))  # σ(−v) = 1/(1 + e^v): no 1 − σ

    return g, dg


_MP_GELU_FAST = _mp_family("0.7978845608", "0.044715", 2)
_MP_GELU_APPROX = _mp_family("1.60033", "0.0433603", 1)

GELU10_ZSTAR = "10.00000000000000000000007619853024160526"  # z·Φ(z) = 10 (mpmath, 40 digits)
_GELU10_DG_LEFT = 1.0  # gelu′(10) = 1.00000000000000000000076184… rounded


def gelu_10(z: Array, p: Params) -> Array:
    """gelu_10(z) = min(gelu(z), 10) (the clip at −10 never acts)"""
    return _where(z > 10.0, 10.0, _gelu_exact(z, True))


def gelu_10_deriv(z: Array, p: Params) -> Array:
    """gelu_10′(z) = gelu′(z) for z <= 10, 0 above"""
    return _where(z > 10.0, 0.0, _gelu_exact(z, False))


def _mp_gelu_10(z: Any, p: Params, mp: Any) -> Any:
    if z <= 10:
        return _mp_gelu(z, {"approximate": "none"}, mp)
    if z >= mp.mpf("10.00000000000000000001"):  # beyond z*
        return mp.mpf(10)
    return min(_mp_gelu(z, {"approximate": "none"}, mp), mp.mpf(10))  # (10, 10 + 1e-20)


def _mp_gelu_10_dg(z: Any, p: Params, mp: Any) -> Any:
    if z <= 10:
        return _mp_gelu_dg(z, {"approximate": "none"}, mp)
    return mp.mpf(0)


def _gelu_10_kinks(p: Params) -> tuple[Kink, ...]:
    return (Kink(10.0, left=_GELU10_DG_LEFT, right=0.0, pytorch="left", jax="left",
                 unique_output=False,
                 exact_left=lambda mp: _mp_gelu_dg(mp.mpf(10), {"approximate": "none"}, mp)),)


# ---------------------------------------------------------------------------------------
# xIELU (transformers' XIELUActivation, Apertus): with α_p = softplus(alpha_p),
# α_n = β + softplus(alpha_n) (alpha_p, alpha_n: the module's parameters as stored in a
# checkpoint), s = softplus(alpha_n) = α_n − β and E(z) = expm1(z) − z >= 0:
#   z > 0:       g = α_p z² + βz = z·(α_p z + β),            g′ = 2α_p z + β,  g″ = 2α_p
#   ε < z <= 0:  g = α_n(expm1(ε) − z) + βz = −s·(z − z_l),   g′ = −s,          g″ = 0
#   z <= ε:      g = α_n·E(z) + βz = α_n·expm1(z) − s·z,      g′ = α_n e^z − s, g″ = α_n e^z
# where z_l = α_n·expm1(ε)/s. g jumps at 0 (from α_n·expm1(ε) ≈ −8e-7 to 0: torch.where
# takes the z <= 0 branch there) and g′ at ε and 0; PyTorch's autograd gives at 0 the left
# slope −s, at ε the mean of the two (torch.min splits a tie's gradient in halves).
# The float64 forms: the parameters' constants (α_p, α_n, s, z_l, the root z_c = ln(s/α_n) of
# g′, the root z_r of α_n·E(z) + βz and α_n·e^z_r) come from mpmath once per parameter set,
# as double-doubles; e^x for the z <= ε branch is a double-double (``_exp_dd``), so E(z) and
# g′ = s·expm1(z − z_c) keep ~100 bits before their one rounding. Near z_r (|z − z_r| <=
# |z_r|/2), g = α_n e^z_r·expm1(δ) − s·δ, δ = z − z_r: no cancellation at the root.

_LN2 = (0.6931471805599453, 2.3190468138462996e-17)


def _inv_fact(k: int) -> tuple[float, float]:
    x = Fraction(1, math.factorial(k))
    return float(x), float(x - Fraction(float(x)))


_INV_FACT = tuple(_inv_fact(k) for k in range(25))


def _series_dd(r: tuple[Array, Array], first: int) -> tuple[Array, Array]:
    """Σ_{k>=first} r^(k−first)/k! for |r| <= 0.35 as a double-double: the terms from
    r^8/(first + 8)! on (below 2^-28 of the sum) in float Horner, the rest in double-double."""
    # dd_mul(acc, r) and dd_add(·, 1/k!) written out, the same operations in the same
    # order (so the same bits), with r's Veltkamp split done once instead of once a term
    # and the constants as scalars instead of arrays
    rh, rl = r
    lo_start = first + 8
    tail = np.zeros_like(rh)
    for k in range(24, lo_start - 1, -1):
        tail = tail * rh + _INV_FACT[k][0]
    ah, al = tail, np.zeros_like(tail)
    bh, bl = special.split(rh)
    for k in range(lo_start - 1, first - 1, -1):
        p = ah * rh  # two_prod(ah, rh)
        xh, xl = special.split(ah)
        e = ((xh * bh - p) + xh * bl + xl * bh) + xl * bl
        e += ah * rl + al * rh
        m = p + e  # fast_two_sum(p, e)
        e -= m - p
        c, cl = _INV_FACT[k]
        sh = m + c  # two_sum(m, c)
        bb = sh - m
        t = (m - (sh - bb)) + (c - bb)
        t += e + cl
        ah = sh + t  # fast_two_sum(sh, t)
        al = t - (ah - sh)
    return ah, al


def _exp_dd(x: tuple[Array, Array]) -> tuple[tuple[Array, Array], Array]:
    """e^x = (mh + ml)·2^n for |x| <= 2100 (x a double-double), mh + ml in [0.7, 1.42]."""
    n = np.rint(x[0] / _LN2[0])
    nl = dd_mul(dd(n), _LN2)
    r = dd_add(x, (-nl[0], -nl[1]))
    return _series_dd(r, 0), n.astype(np.int64)


def _dd_split(mask: Array, near: Any, far: Any, *arrays: Array) -> tuple[Array, Array]:
    """near(*arrays) where mask, far(*arrays) elsewhere, for forms giving double-doubles,
    each on its own values (the same numbers as a where of both over all)."""
    i = np.flatnonzero(mask)
    if i.size == mask.size:
        return near(*arrays)
    if i.size == 0:
        return far(*arrays)
    j = np.flatnonzero(~mask)
    hi = np.empty(mask.shape, dtype=np.float64)
    lo = np.empty(mask.shape, dtype=np.float64)
    hi[i], lo[i] = near(*(a.take(i) for a in arrays))
    hi[j], lo[j] = far(*(a.take(j) for a in arrays))
    return hi, lo


def _expm1_dd(x: tuple[Array, Array]) -> tuple[Array, Array]:
    """e^x − 1 for −2000 <= x <= 700 (a double-double), as a double-double (the series
    near 0, e^x − 1 beyond, each on its own values)."""
    return _dd_split(np.abs(x[0]) <= 0.34, _expm1_near, _expm1_far, x[0], x[1])


def _expm1_near(xh: Array, xl: Array) -> tuple[Array, Array]:
    return dd_mul((xh, xl), _series_dd((xh, xl), 1))


def _expm1_far(xh: Array, xl: Array) -> tuple[Array, Array]:
    m, n = _exp_dd((xh, xl))
    ef = (_ldexp(m[0], n), _ldexp(m[1], n))
    return dd_add(ef, (np.float64(-1.0), np.float64(0.0)))


def _e_of(z: Array) -> tuple[Array, Array]:
    """E(z) = expm1(z) − z >= 0 for −40 <= z <= 0, as a double-double."""
    return _dd_split(z >= -0.34, _e_near, _e_far, z)


def _e_near(zs: Array) -> tuple[Array, Array]:
    return dd_mul(two_prod(zs, zs), _series_dd(dd(zs), 2))


def _e_far(zf: Array) -> tuple[Array, Array]:
    return dd_add(_expm1_dd(dd(zf)), dd(-zf))


@functools.lru_cache(maxsize=64)
def xielu_constants(ap: float, an: float, beta: float, eps: float) -> dict[str, Any]:
    """xIELU's constants for one parameter set, as double-doubles (mpmath at 160 bits):
    α_p, α_n, s, s·… (see above), z_l, z_c, z_r, α_n·e^z_r and z_m = −α_n/s."""
    import mpmath

    with mpmath.workprec(160):
        def pair(x: Any) -> tuple[float, float]:
            hi = float(x)
            return hi, float(x - mpmath.mpf(hi))

        s = mpmath.log1p(mpmath.exp(an))
        b = mpmath.mpf(beta)
        alpha_n = b + s

        def h(z: Any) -> Any:  # α_n·E(z) + βz on z < 0: one root (none for β = 0)
            return alpha_n * mpmath.expm1(z) - s * z

        lo, hi = -(alpha_n / s) - 1, -b / alpha_n  # h(lo) > 0 >= h(hi)
        for _ in range(400):
            mid = (lo + hi) / 2
            if h(mid) > 0:
                lo = mid
            else:
                hi = mid
        z_r = (lo + hi) / 2
        return {"ap": pair(mpmath.log1p(mpmath.exp(ap))), "an": pair(alpha_n), "s": pair(s),
                "zl": pair(alpha_n * mpmath.expm1(eps) / s), "zc": pair(mpmath.log(s / alpha_n)),
                "zr": pair(z_r), "q": pair(alpha_n * mpmath.exp(z_r)), "zm": pair(-alpha_n / s)}


def _xk(p: Params) -> dict[str, Any]:
    return xielu_constants(p["alpha_p"], p["alpha_n"], p["beta"], p["eps"])


def _dd_sub(a: tuple[Array, Array], b: tuple[float, float]) -> tuple[Array, Array]:
    """a − b for a double-double array a and a constant double-double b."""
    s = two_sum(a[0], np.float64(-b[0]))
    return special.fast_two_sum(s[0], s[1] + (a[1] - b[1]))


def _cd(x: Array, c: tuple[float, float]) -> tuple[Array, Array]:
    # the constant c as scalars: the double-double operations broadcast them, the same bits
    # as arrays of x's shape without filling two of them
    return np.float64(c[0]), np.float64(c[1])


def _neg_dd(a: tuple[Array, Array]) -> tuple[Array, Array]:
    return -a[0], -a[1]


def _scaled(c: tuple[float, float], z: Array, power: int, extra: int = 0) -> Array:
    """c·z^power (power 1 or 2) ·2^extra for huge |z|, rounded once, ±inf on overflow."""
    f, e = np.frexp(z)
    m = dd(f) if power == 1 else two_prod(f, f)
    return _ldexp_inf(dd_val(dd_mul(_cd(f, c), m)), power * e.astype(np.int64) + extra)


_XI_BIG = 2.0**400  # |z| beyond: g = α_p z² (z > 0), −s·z (z < 0) to far below an ULP


def _regions(out: Array, x: Array, parts: tuple[tuple[Array, Any], ...]) -> None:
    """out[i] = form(x[i]) for each (mask, form) of parts, every form on its own values."""
    for mask, form in parts:
        i = np.flatnonzero(mask)
        if i.size:
            out[i] = form(x.take(i))


def xielu(z: Array, p: Params) -> Array:
    """xielu(z) = α_p z² + βz for z > 0, α_n(expm1(min(z, ε)) − z) + βz for z <= 0; each
    piece on its own values (_regions: the same numbers as a nest of wheres over all)"""
    k = _xk(p)
    beta, eps = p["beta"], p["eps"]
    big = np.abs(z) > _XI_BIG
    nan = np.isnan(z)
    zm = _where(big | nan, 1.0, z)
    out = np.empty(zm.shape, dtype=np.float64)
    pos = zm > 0
    lin = ~pos & (zm > eps)
    rest = ~(pos | lin)
    left = rest & (zm < -40.0)
    _regions(out, zm, ((pos, lambda x: _xielu_pos(x, k, beta)), (lin, lambda x: _xielu_lin(x, k)),
                       (rest & ~left, lambda x: _xielu_mid(x, k, beta, eps)),
                       (left, lambda x: _xielu_left(x, k))))
    i = np.flatnonzero(big)
    if i.size:
        zb = z.take(i)
        out[i] = _xielu_far(zb, _where(np.isfinite(zb), zb, 1.0), k)
    i = np.flatnonzero(nan)
    if i.size:
        out[i] = z.take(i)
    return out


def _xielu_far(z: Array, zb: Array, k: dict[str, Any]) -> Array:
    """|z| > 2^400 (zb: z, 1 at ±inf)."""
    far = _where(z > 0, _scaled(k["ap"], np.abs(zb), 2), -_scaled(k["s"], zb, 1))
    return _where(np.isinf(z), _where(z > 0, z, -z), far)


def _xielu_pos(zm: Array, k: dict[str, Any], beta: float) -> Array:
    """z > 0: z·(α_p z + β)"""
    zp = _where(zm > 0, zm, 0.0)
    return dd_val(dd_mul(dd(zp), dd_add(dd_mul(_cd(zp, k["ap"]), dd(zp)), _cd(zp, (beta, 0.0)))))


def _xielu_lin(zm: Array, k: dict[str, Any]) -> Array:
    """ε < z <= 0: −s·(z − z_l)"""
    return -dd_val(dd_mul(_cd(zm, k["s"]), _dd_sub(dd(zm), k["zl"])))


def _xielu_mid(zm: Array, k: dict[str, Any], beta: float, eps: float) -> Array:
    """−40 <= z <= ε: α_n·E(z) + βz, or α_n e^z_r·expm1(δ) − s·δ (δ = z − z_r) next to z_r"""
    zn = np.clip(zm, -40.0, min(eps, 0.0))
    zr = k["zr"][0]
    win = np.abs(zn - zr) <= min(0.5 * abs(zr), 1.0)
    out = np.empty(zn.shape, dtype=np.float64)
    _regions(out, zn, ((win, lambda x: _xielu_root(x, k)), (~win, lambda x: dd_val(dd_add(
        dd_mul(_cd(x, k["an"]), _e_of(x)), two_prod(x, np.float64(beta)))))))
    return out


def _xielu_root(zn: Array, k: dict[str, Any]) -> Array:
    """next to the root z_r: α_n e^z_r·expm1(δ) − s·δ"""
    d = _dd_sub(dd(zn), k["zr"])
    return dd_val(dd_add(dd_mul(_cd(zn, k["q"]), _expm1_dd(d)), dd_mul(_cd(zn, k["s"]),
                                                                     _neg_dd(d))))


def _xielu_left(zm: Array, k: dict[str, Any]) -> Array:
    """z < −40: −s·(z − z_m) + α_n·e^z (z_m = −α_n/s; e^z is below 2^-57)"""
    zl = np.minimum(zm, -40.0)
    m, n = exp_split(np.maximum(zl, -2000.0))
    tail = _ldexp(m * k["an"][0], n)
    return dd_val(dd_add(dd_mul(_cd(zl, k["s"]), _neg_dd(_dd_sub(dd(zl), k["zm"]))), dd(tail)))


def xielu_deriv(z: Array, p: Params) -> Array:
    """xielu′(z) = 2α_p z + β for z > 0, −s on (ε, 0], α_n·e^z − s below ε (each piece on
    its own values)"""
    k = _xk(p)
    beta, eps = p["beta"], p["eps"]
    big = z > _XI_BIG
    nan = np.isnan(z)
    zm = _where(big | nan, 1.0, z)
    out = np.empty(zm.shape, dtype=np.float64)
    pos = zm > 0
    lin = ~pos & (zm > eps)
    _regions(out, zm, ((pos, lambda x: _xielu_dpos(x, k, beta)),
                       (~(pos | lin), lambda x: _xielu_dneg(x, k, eps))))
    i = np.flatnonzero(lin)
    if i.size:
        out[i] = -k["s"][0]
    i = np.flatnonzero(big)
    if i.size:
        zb = z.take(i)
        out[i] = _where(np.isinf(zb), zb, _scaled(k["ap"], _where(np.isfinite(zb), zb, 1.0), 1, 1))
    i = np.flatnonzero(nan)
    if i.size:
        out[i] = z.take(i)
    return out


def _xielu_dpos(zm: Array, k: dict[str, Any], beta: float) -> Array:
    zp = _where(zm > 0, zm, 0.0)
    return dd_val(dd_add(dd_mul(_cd(zp, k["ap"]), two_prod(zp, np.float64(2.0))),
                         _cd(zp, (beta, 0.0))))


def _xielu_dneg(zm: Array, k: dict[str, Any], eps: float) -> Array:
    """z <= ε: s·expm1(z − z_c); −s far left (e^z below 2^-57 of it... exactly: s·expm1 → −s)"""
    zn = np.clip(zm, -2000.0, min(eps, 0.0))
    return dd_val(dd_mul(_cd(zn, k["s"]), _expm1_dd(_dd_sub(dd(zn), k["zc"]))))


# xIELU's cheaper forms for float32 and smaller types (the registry's ``small``; see
# silu's), for the default parameters only (the bounds below rest on their constants; any
# other set takes the accurate forms). Inputs are values of the small type (or ±inf, nan);
# u = 2^−53, each constant's low part (α_p, α_n, s: below 0.6u of it) left out, numpy's
# expm1 within 1 ULP (2u):
#   z > 0:      g = (α_p·z + β)·z (sums of positive terms): < 3.1u; g′ = 2α_p·z + β: < 2.1u.
#   ε < z <= 0: g = −s·((z − z_l,hi) − z_l,lo) (z_l,lo below 1e−17 of z − z_l): < 2.6u;
#               g′ = −s (the accurate form's value).
#   z <= ε:     g = α_n·expm1(z) − s·z: the terms within 3.5u, and outside the window
#               |z − z_r| <= 1 the sum of their magnitudes is at most 7.05 times |g|
#               (measured on a 2e6-point grid of [−60, ε]; 1 at −∞): < 25u; in the window
#               g = q·expm1(δ) − s·δ, δ = (z − z_r,hi) − z_r,lo (the first difference exact
#               by Sterbenz): terms within 5.1u, magnitudes at most 2.36 times |g|: < 13u;
#               g′ = s·expm1((z − z_c,hi) − z_c,lo) (the argument within 2u, expm1's
#               condition below 1.6 there): < 6.7u.
# So < 25 ULP everywhere; bound 64. z is clipped to [0, 1e100] and [−1e100, ε] for the two
# sides (no inf − inf, no overflow; ±inf gives ±1e200 and +3e99 for g, 1.6e100 and −s for
# g′, the values at ±inf in every small type).
_XI_DEFAULTS = {"alpha_p": 0.2109375, "alpha_n": -1.046875, "beta": 0.5, "eps": -1e-6}


def _xi_small_ok(p: Params) -> bool:
    return all(p[n] == v for n, v in _XI_DEFAULTS.items())


def _xielu_small(z: Array, p: Params) -> Array:
    if not _xi_small_ok(p):
        return xielu(z, p)
    k = _xk(p)
    beta, eps = p["beta"], p["eps"]
    zp = np.clip(z, 0.0, 1e100)
    gp = k["ap"][0] * zp
    gp += beta
    gp *= zp
    zn = np.clip(z, -1e100, eps)
    gn = np.expm1(zn)
    gn *= k["an"][0]
    gn -= k["s"][0] * zn
    zr = k["zr"]
    i = np.flatnonzero(np.abs(zn - zr[0]) <= 1.0)
    if i.size:
        d = zn.take(i) - zr[0]
        d -= zr[1]
        gn[i] = k["q"][0] * np.expm1(d) - k["s"][0] * d
    lin = z - k["zl"][0]
    lin -= k["zl"][1]
    lin *= -k["s"][0]
    return _where(z > 0, gp, _where(z > eps, lin, gn))


def _xielu_deriv_small(z: Array, p: Params) -> Array:
    if not _xi_small_ok(p):
        return xielu_deriv(z, p)
    k = _xk(p)
    beta, eps = p["beta"], p["eps"]
    dp = np.clip(z, 0.0, 1e100)
    dp *= 2.0 * k["ap"][0]
    dp += beta
    dn = np.clip(z, -1e100, eps)
    dn -= k["zc"][0]
    dn -= k["zc"][1]
    np.expm1(dn, out=dn)
    dn *= k["s"][0]
    return _where(z > 0, dp, _where(z > eps, -k["s"][0], dn))


_xielu_small.ulp = _xielu_deriv_small.ulp = 64.0  # type: ignore[attr-defined]
xielu.small = _xielu_small  # type: ignore[attr-defined]
xielu_deriv.small = _xielu_deriv_small  # type: ignore[attr-defined]


def _mp_xielu_parts(p: Params, mp: Any) -> tuple[Any, Any, Any, Any]:
    ap = mp.log1p(mp.exp(mp.mpf(p["alpha_p"])))
    s = mp.log1p(mp.exp(mp.mpf(p["alpha_n"])))
    return ap, s, mp.mpf(p["beta"]), mp.mpf(p["eps"])


def _mp_xielu(z: Any, p: Params, mp: Any) -> Any:
    ap, s, b, eps = _mp_xielu_parts(p, mp)
    if z > 0:
        return ap * z * z + b * z
    an = b + s
    with mp.extraprec(80):  # the root of g cancels
        r = an * (mp.expm1(z if z < eps else eps) - z) + b * z
    return +r


def _mp_xielu_dg(z: Any, p: Params, mp: Any) -> Any:
    ap, s, b, eps = _mp_xielu_parts(p, mp)
    if z > 0:
        return 2 * ap * z + b
    if z > eps:
        return -s
    with mp.extraprec(80):
        r = (b + s) * mp.exp(z) - s
    return +r


def _xielu_kinks(p: Params) -> tuple[Kink, ...]:
    k = _xk(p)
    beta, eps = p["beta"], p["eps"]
    s = -k["s"][0]
    at_eps = float(xielu_deriv(np.array([eps]), p)[0]) if eps < 0 else beta
    out = []
    if eps < 0:
        # torch.min(z, ε) at the tie passes half the gradient: the mean of the two sides
        out.append(Kink(eps, left=at_eps, right=s, pytorch="mean", jax="mean",
                        exact_left=lambda mp: _mp_xielu_dg(mp.mpf(eps), p, mp),
                        exact_right=lambda mp: -_mp_xielu_parts(p, mp)[1]))
    # at 0: torch.where(z > 0, ...) takes the z <= 0 branch
    out.append(Kink(0.0, left=s if eps < 0 else beta, right=beta, pytorch="left", jax="left",
                    exact_left=(lambda mp: -_mp_xielu_parts(p, mp)[1]) if eps < 0 else None,
                    g_jumps=eps < 0))
    return tuple(out)


def _xielu_param(name: str, default: float, doc: str) -> Param:
    return Param(name, default, doc, allowed="a number with |value| <= 100",
                 valid=lambda v: math.isfinite(v) and abs(v) <= 100)


_TF_SRC = "src/transformers/activations.py"
_G_FAST, _DG_FAST = _family(GELU_FAST)
_G_APPROX, _DG_APPROX = _family(GELU_APPROX)

#: the named GELU variants and xIELU (see the section above); CATALOGUE lists them after the
#: rest of this module
SPECS_VARIANTS: tuple[Spec, ...] = (
    Spec(
        name="gelu_fast",
        frameworks=("PyTorch",),
        sources=(f"transformers: gelu_fast, FastGELUActivation ({_TF_SRC})",),
        # transformers' tanh GELU with the decimal 0.7978845608 for √(2/π)
        formula="gelu_fast(z) = z/2·(1 + tanh(z·0.7978845608·(1 + 0.044715z²)))",
        deriv_formula="gelu_fast′(z) = σ(v) + z·v′·σ(v)σ(−v), v = 2·0.7978845608·z"
                      "·(1 + 0.044715z²)",
        g=_G_FAST,
        dg=_DG_FAST,
        output_range=lambda p: (GELU_FAST.gmin, INF),
        exact=_MP_GELU_FAST[0],
        exact_dg=_MP_GELU_FAST[1],
    ),
    Spec(
        name="gelu_approx",
        frameworks=(),
        sources=("MLX: mlx.nn.gelu_approx, GELU(approx='precise') "
                 "(python/mlx/nn/layers/activations.py)",),
        # MLX's sigmoid form of the tanh GELU, with its own constants
        formula="gelu_approx(z) = z·σ(1.60033·z·(1 + 0.0433603z²))",
        deriv_formula="gelu_approx′(z) = σ(v) + z·v′·σ(v)σ(−v), v = 1.60033·z·(1 + 0.0433603z²)",
        g=_G_APPROX,
        dg=_DG_APPROX,
        output_range=lambda p: (GELU_APPROX.gmin, INF),
        exact=_MP_GELU_APPROX[0],
        exact_dg=_MP_GELU_APPROX[1],
    ),
    Spec(
        name="gelu_10",
        frameworks=("PyTorch",),
        sources=(f"transformers: gelu_10, ClippedGELUActivation(-10, 10) ({_TF_SRC})",),
        # the exact gelu clipped to [−10, 10] (for quantization)
        formula="gelu_10(z) = clip(z·Φ(z), −10, 10) = min(z·Φ(z), 10)",
        deriv_formula="gelu_10′(z) = Φ(z) + z·φ(z) for z <= 10, 0 above (kink at 10)",
        g=_vec(gelu_10),
        dg=_vec(gelu_10_deriv),
        output_range=lambda p: (GELU_MIN, 10.0),
        kinks=_gelu_10_kinks,
        exact=_mp_gelu_10,
        exact_dg=_mp_gelu_10_dg,
    ),
    Spec(
        name="xielu",
        frameworks=("PyTorch",),
        sources=(f"transformers: xielu, XIELUActivation ({_TF_SRC}; Apertus)",),
        # expanded integral of the ELU: quadratic above 0, ELU-like with a linear term below
        formula="xielu(z) = α_p·z² + β·z for z > 0, α_n·(expm1(min(z, ε)) − z) + β·z for "
                "z <= 0; α_p = softplus(alpha_p), α_n = β + softplus(alpha_n)",
        deriv_formula="xielu′(z) = 2α_p·z + β for z > 0, β − α_n on (ε, 0), α_n·e^z − α_n + β "
                      "for z < ε (kinks at ε and 0, where g jumps too)",
        params=(
            _xielu_param("alpha_p", 0.2109375,
                         "the stored parameter alpha_p; default: transformers' initial "
                         "log(e^0.8 − 1) in its default dtype bfloat16, so α_p = 0.80417"),
            _xielu_param("alpha_n", -1.046875,
                         "the stored parameter alpha_n; default: transformers' initial "
                         "log(e^0.3 − 1) in bfloat16, so α_n = β + 0.30087 = 0.80087"),
            Param("beta", 0.5, "β (transformers' default)", allowed="a number with "
                  "0 <= beta <= 100", valid=lambda v: 0 <= v <= 100),
            Param("eps", -1e-6, "ε (transformers' default; its bfloat16 buffer holds "
                  "-9.98377799987793e-07)", allowed="a number with -1 <= eps <= 0",
                  valid=lambda v: -1 <= v <= 0),
        ),
        g=_vec(xielu),
        dg=_vec(xielu_deriv),
        kinks=_xielu_kinks,
        exact=_mp_xielu,
        exact_dg=_mp_xielu_dg,
        from_output_unavailable=lambda p: (
            "xielu is not monotonic below 0 (its minimum is at z = ln(s/α_n)), so an "
            "output a < 0 comes from two z with different slopes: give z instead"),
    ),
)
SPECS = (*SPECS, *SPECS_VARIANTS)
# issue 13 (cat13a): exponential (Keras), log1mexp (JAX), quick_gelu, laplace; silu's beta.
#
# exponential e^z: m·2^k (exp_split) rounded once by ldexp, so the subnormal tail is one
# rounding of a 53-bit m (±inf past 709.78 without a warning); g′ = g″ = g.
#
# log1mexp log(1 − e^−z) (jax.nn.log1mexp: where(x < ln 2, log(−expm1(−x)),
# log1p(−exp(−x)))): defined for z >= 0 (−inf at 0); z < 0 gives nan, as JAX's value (the
# log of a negative number); Spec.domain says so. g′ = 1/expm1(z) = e/(1 − e) and
# g″ = −e^z/expm1(z)² = −e/(1 − e)², e = e^−z: for z >= 1, e = m·2^k and 1 − e an exact
# two-sum; below, q = expm1(z), e^z = 1 + q exactly as a two-sum, and g″ = −(1 + q)/q² in
# double-double (−(1/z)/z below 1e-150, where the relative correction is under 2^-400,
# overflowing to −inf below z ≈ 7.5e-155 as the exact value does).


def _quiet_over(f):
    """f with overflow to ±inf (the correctly rounded result) and underflow silenced."""

    def wrapper(z: Array, p: Params) -> Array:
        with np.errstate(over="ignore", under="ignore", divide="ignore"):
            return f(z, p)

    wrapper.__name__ = f.__name__
    wrapper.__doc__ = f.__doc__
    return wrapper


def exponential(z: Array, p: Params) -> Array:
    """exponential(z) = e^z"""
    m, k = exp_split(np.clip(z, -2000.0, 2000.0))
    # (= _ldexp_inf(m, k) for m in [0.7, 1.42] or nan: ±inf past the top, rounded once
    # below; overflow is silenced by _quiet_over)
    return _ldexp(m, k)


_LN2_F = 0.6931471805599453  # ln 2 rounded (log1mexp's switch point)


def log1mexp(z: Array, p: Params) -> Array:
    """log1mexp(z) = log(1 − e^−z) for z >= 0"""
    zc = np.clip(z, 0.0, 2000.0)
    # log(−expm1(−z)) up to ln 2, log1p(−e^−z) beyond, each on its own values
    r = _by_mask(zc <= _LN2_F, lambda x: np.log(-np.expm1(-np.maximum(x, 5e-324))),
                 lambda x: np.log1p(-np.exp(-np.maximum(x, _LN2_F))), zc)
    r = _where(z == 0, -INF, r)
    return _where(z < 0, np.nan, _where(z > 2000.0, -0.0, r))


def _l1me_e(z: Array) -> tuple[Array, Array, tuple[Array, Array]]:
    """For z >= 1 (clipped): e^−z = m·2^k and 1 − e^−z as an exact double-double."""
    zb = np.clip(z, 1.0, 2000.0)
    m, k = exp_split(-zb)
    e = _ldexp(m, k)
    return m, k, two_sum(np.ones_like(e), -e)


def _l1me_big(z: Array) -> Array:
    m, k, om = _l1me_e(z)
    return _ldexp(dd_val(dd_div(dd(m), om)), k)


def log1mexp_deriv(z: Array, p: Params) -> Array:
    """log1mexp′(z) = 1/expm1(z) = e^−z/(1 − e^−z)"""
    # 1/expm1(z) below 1, e^−z/(1 − e^−z) in double-double beyond, each on its own values
    r = _by_mask(z < 1.0, lambda x: 1.0 / np.expm1(np.clip(x, 5e-324, 1.0)), _l1me_big, z)
    r = _where(z == 0, INF, r)
    return _where(z < 0, np.nan, r)


def log1mexp_from_a(a: Array, p: Params) -> Array:
    """g′ = e^−a − 1 = expm1(−a) (a <= 0)"""
    return np.expm1(np.abs(a))


_EXP_WHY = None  # exponential: g′ = a
_EXPONENTIAL = _quiet_over(exponential)


def _exponential_with_deriv(z: Array, p: Params) -> tuple[Array, Array]:
    r = _EXPONENTIAL(z, p)
    return r, r.copy()  # g′ = g


# exponential's cheaper form for float32 and smaller types: numpy's own exp, within 1 ULP
# (glibc's and numpy's SIMD kernels alike; the boundary test assumes 4), z clipped to
# [−1000, 700]: beyond, e^z rounds to 0, resp. inf, in every small type (float32's range
# ends at e^88.7 and its subnormals at e^−103.98).
def _exponential_small(z: Array, p: Params) -> Array:
    return np.exp(np.clip(z, -1000.0, 700.0))


def _exponential_pair_small(z: Array, p: Params) -> tuple[Array, Array]:
    r = _exponential_small(z, p)
    return r, r.copy()


_exponential_small.ulp = _exponential_pair_small.ulp = 4.0  # type: ignore[attr-defined]
_EXPONENTIAL.with_deriv = _exponential_with_deriv  # type: ignore[attr-defined]
_EXPONENTIAL.small = _exponential_small  # type: ignore[attr-defined]
_exponential_with_deriv.small = _exponential_pair_small  # type: ignore[attr-defined]


def _mp_log1mexp(z: Any, p: Params, mp: Any) -> Any:
    if z < 0:
        return mp.nan
    if z == 0:
        return -mp.inf if not getattr(mp, "ball", False) else mp.mpf(-INF)
    if z < 1:
        return mp.log(-mp.expm1(-z))  # 1 − e^−z without cancelling
    return mp.log1p(-mp.exp(-z))  # and log(1 − e) ≈ −e kept for a tiny e


def _mp_log1mexp_dg(z: Any, p: Params, mp: Any) -> Any:
    if z < 0:
        return mp.nan
    return 1 / mp.expm1(z)


SPECS = SPECS + (
    Spec(
        name="exponential",
        frameworks=("PyTorch",),
        # Keras' activations.exponential, e^z (PyTorch and JAX have no such activation: no
        # kink either way)
        formula="exponential(z) = e^z",
        deriv_formula="exponential′(z) = e^z",
        from_output_formula="a",
        g=_EXPONENTIAL,
        dg=_EXPONENTIAL,
        dg_from_a=lambda a, p: np.array(a, dtype=np.float64, copy=True),
        output_range=lambda p: (0.0, INF),
        exact=lambda z, p, mp: mp.exp(z),
        exact_dg=lambda z, p, mp: mp.exp(z),
        sources=("Keras: keras.activations.exponential (keras/src/activations/activations.py)",),
    ),
    Spec(
        name="log1mexp",
        frameworks=("JAX",),
        # JAX's jax.nn.log1mexp, log(1 − e^−z), defined for z >= 0 (−inf at 0): below 0 its
        # value is the log of a negative number, nan, here too
        formula="log1mexp(z) = log(1 − e^−z) for z >= 0 (−inf at 0; nan for z < 0)",
        deriv_formula="log1mexp′(z) = 1/(e^z − 1) = 1/expm1(z) (+inf at 0)",
        from_output_formula="e^−a − 1 = expm1(−a)",
        g=_quiet_over(log1mexp),
        dg=_quiet_over(log1mexp_deriv),
        dg_from_a=_quiet_over(log1mexp_from_a),
        output_range=lambda p: (-INF, 0.0),
        domain=lambda p: (0.0, INF),
        exact=_mp_log1mexp,
        exact_dg=_mp_log1mexp_dg,
        sources=("JAX: jax.nn.log1mexp (jax/_src/nn/functions.py)",),
    ),
)


# quick_gelu z·σ(1.702z) (CLIP): silu's forms with β = the decimal 1.702 as a double-double,
# so t = 1.702·z is carried to ~2^−100 (one rounding of it would cost up to ~700·2^−53
# relative in the tail e^t).
QUICK_GELU_BETA = (1.702, 4.263256414560601e-17)  # the decimal 1.702 = hi + lo


def _mp_quick_beta(mp: Any) -> Any:
    return mp.mpf("1.702")


# quick_gelu's cheaper float32 forms: silu's of β = 1 on t = fl(β_hi·z) (β = 1.702), within
# 2u of βz relative, so e^−t within (2|t| + 2)u. g = z/(1 + e^−t): < (2|t| + 5)u; where g
# can round to a nonzero value of a small type, t >= −120 (z is clipped to >= −1000/β, and
# below t = −120, |g| < 588·e^−120 < 2^−150: both round to −0), so < 250u: bound 2048.
# g′ = s(1 + t·(e·s)): the β = 1 terms with (2|t| + 2)u more in e, below (85 + 34|t|)u for
# the relevant t >= −120 (cancellation < 8 outside |t − t0| < 0.5, there the accurate form):
# bound 8192 (below t = −200 both are in (−2^−200, 0)). z is clipped as for β = 1, in t.
def _beta_small(b: tuple[float, float]):
    bh = b[0]

    def g(z: Array, p: Params) -> Array:
        zc = np.maximum(z, -1000.0 / bh) + 0.0
        with np.errstate(over="ignore"):  # e^1000 = inf: zc/inf = −0
            return zc / (1.0 + np.exp(-(bh * zc)))

    def dg(z: Array, p: Params) -> Array:
        t = bh * np.clip(z, -200.0 / bh, 1e30 / bh)
        e = np.exp(-t)
        s = 1.0 / (1.0 + e)
        r = s * (1.0 + t * (e * s))
        win = np.abs(t - SILU_Z0[0]) < 0.5
        if win.any():
            r[win] = silu_dg(z[win], b)
        return r

    g.ulp, dg.ulp = 2048.0, 8192.0  # type: ignore[attr-defined]
    return g, dg


_QG_SMALL = _beta_small(QUICK_GELU_BETA)


def _quick_g(z: Array, p: Params) -> Array:
    return silu_g(z, QUICK_GELU_BETA)


def _quick_dg(z: Array, p: Params) -> Array:
    return silu_dg(z, QUICK_GELU_BETA)


def _quick_pair(z: Array, p: Params) -> tuple[Array, Array]:
    return _silu_pair(z, QUICK_GELU_BETA)


def _quick_pair_small(z: Array, p: Params) -> tuple[Array, Array]:
    return _QG_SMALL[0](z, p), _QG_SMALL[1](z, p)


_quick_g.small, _quick_dg.small = _QG_SMALL  # type: ignore[attr-defined]
_quick_pair_small.ulp = _QG_SMALL[1].ulp  # type: ignore[attr-defined]  (the larger)
_quick_pair.small = _quick_pair_small  # type: ignore[attr-defined]
_quick_g.with_deriv = _quick_pair  # type: ignore[attr-defined]


SPECS = SPECS + (
    Spec(
        name="quick_gelu",
        aliases=("gelu_fast_approx",),  # MLX's name
        frameworks=("PyTorch",),
        # CLIP's approximation of gelu, z·σ(1.702z): transformers' QuickGELUActivation on
        # PyTorch (JAX has none; no kink either way)
        formula="quick_gelu(z) = z·σ(1.702·z) = z / (1 + e^(−1.702·z))",
        deriv_formula="quick_gelu′(z) = σ(t)·(1 + t·(1 − σ(t))), t = 1.702·z",
        g=_vec(_quick_g),
        dg=_vec(_quick_dg),
        output_range=lambda p: (float(np.nextafter(SILU_MIN / 1.702, -INF)), INF),
        exact=lambda z, p, mp: _mp_silu(z, _mp_quick_beta(mp), mp),
        exact_dg=lambda z, p, mp: _mp_silu_dg(z, _mp_quick_beta(mp), mp),
        sources=("transformers: QuickGELUActivation, ACT2CLS 'quick_gelu' "
                 "(src/transformers/activations.py; CLIPTextConfig hidden_act='quick_gelu')",
                 "MLX: mlx.nn.gelu_fast_approx, nn.GELU(approx='fast') (1.702; an older MLX "
                 "used 1.773)", "tinygrad: Tensor.quick_gelu", "timm: 'quick_gelu'"),
    ),
)


# laplace (transformers' LaplaceActivation, from MEGA): ½(1 + erf((z − μ)/(σ√2))) = Φ(u),
# u = (z − μ)/σ, the normal CDF. u is a double-double (z − μ an exact two-sum, then the
# double-double quotient by σ): erfc would amplify a rounding of u by u² in the tail. With
# w = |u|, as for the exact gelu: Φ(−w) = e^(−u²/2)·F(w)/2 for w < 2 (F = erfcx(w/√2), the
# fitted polynomials, with a first-order correction for u's low part); below u = −2,
# Φ(u) = e^(−u²/2 − 0.5625 + R/S − ln √2)/w (fdlibm's R/S), one exponential of a
# double-double argument; above u = 2, 1 − e^(−u²/2)·erfcx(w/√2)/2. g′ = φ(u)/σ and
# g″ = −u·φ(u)/σ², φ(u) = e^(−u²/2 − ln √(2π)) as m·2^k, the divisions in double-double.
# Beyond |u| = 40, Φ is 0 or 1 and φ/σ underflows (σ >= 1e-6).
LAPLACE_MU = 0.707107
LAPLACE_SIGMA = 0.282095
_SQRT_2_OVER_PI = 0.7978845608028654  # 2/√(2π) = √(2/π), for F′
_INV_SQRT_PI_2 = 1.1283791670955126  # 2/√π


def _laplace_u(z: Array, p: Params) -> tuple[Array, Array]:
    """u = (z − μ)/σ as a double-double, clipped to [−41, 41] (low part 0 there)."""
    mu, sig = float(p["mu"]), float(p["sigma"])
    zc = np.clip(z, -1e300, 1e300)
    s, e = two_sum(zc, np.full_like(zc, -mu))
    far = ~(np.abs(s) <= 41.0 * sig)  # |u| > 41 (nan too: nan out)
    s, e = _where(far, np.clip(s, -42.0 * sig, 42.0 * sig), s), _where(far, 0.0, e)
    uh, ul = dd_div((s, e), dd(np.full_like(s, sig)))
    far |= ~(np.abs(uh) <= 41.0)
    return _where(far, np.sign(uh) * 41.0, uh), _where(far, 0.0, ul)


def _exp_half_sq_dd(uh: Array, ul: Array, c: tuple[float, float],
                    extra: Array | float = 0.0) -> tuple[Array, Array]:
    """e^(−u²/2 + c + extra) = m·2^k for the double-double u (|u| <= 41)."""
    pz, ez = two_prod(uh, uh)
    a, b = two_sum(-0.5 * pz, np.full_like(uh, c[0]))
    a, b2 = two_sum(a, np.asarray(extra, dtype=np.float64) + 0.0 * uh)
    return exp_split(a, b + b2 + (c[1] - 0.5 * ez - uh * ul))


def _laplace_g(z: Array, p: Params) -> Array:
    uh, ul = _laplace_u(z, p)
    w = np.abs(uh)
    wl = _where(uh < 0, -ul, ul)  # |u| = w + wl
    mid = w < 2.0
    out = np.full(z.shape, np.nan)
    if mid.any():
        hm, lm, wm, wlm = uh[mid], ul[mid], w[mid], wl[mid]
        m, k = _exp_half_sq_dd(hm, lm, (0.0, 0.0))
        f = _gelu_F(wm)
        fp = _INV_SQRT2 * (2.0 * (wm * _INV_SQRT2) * f[0] - _INV_SQRT_PI_2)  # F′(w)
        f = dd_add(f, dd(fp * wlm))
        q = dd_mul(dd(m * _ldexp(0.5, k)), f)  # Φ(−w), k is 0..−3 here
        one_minus = dd_add(dd(np.ones_like(wm)), (-q[0], -q[1]))
        out[mid] = _where(hm > 0, dd_val(one_minus), dd_val(q))
    lo = (uh <= -2.0)
    if lo.any():
        hl, ll = uh[lo], ul[lo]
        rs = special.erfc_rs(-hl * _INV_SQRT2)
        m, k = _exp_half_sq_dd(hl, ll, _C_TAIL, rs)
        out[lo] = _ldexp(dd_val(dd_div(dd(m), (-hl, -ll))), k)
    hi = uh >= 2.0
    if hi.any():
        hh, lh = uh[hi], ul[hi]
        m, k = _exp_half_sq_dd(hh, lh, (0.0, 0.0))
        q = _ldexp(m * special.erfcx_big(hh * _INV_SQRT2), k - 1)
        out[hi] = 1.0 - q
    out = _where(uh <= -41.0, 0.0, _where(uh >= 41.0, 1.0, out))
    return _where(np.isnan(z), z, out)


def _laplace_phi(z: Array, p: Params) -> tuple[tuple[Array, Array], Array, Array]:
    uh, ul = _laplace_u(z, p)
    m, k = _exp_half_sq_dd(uh, ul, (-_LN_SQRT_2PI[0], -_LN_SQRT_2PI[1]))
    return (uh, ul), m, k


def _laplace_dg(z: Array, p: Params) -> Array:
    u, m, k = _laplace_phi(z, p)
    sig = float(p["sigma"])
    r = _ldexp(dd_val(dd_div(dd(m), dd(np.full_like(m, sig)))), k)
    return _where(np.abs(u[0]) >= 41.0, 0.0, r)


def laplace_d2(z: Array, p: Params) -> Array:
    """laplace″(z) = −u·φ(u)/σ², u = (z − μ)/σ"""
    z = np.asarray(z, dtype=np.float64)
    u, m, k = _laplace_phi(z, p)
    sig = float(p["sigma"])
    s2 = two_prod(np.full_like(m, sig), np.full_like(m, sig))
    r = -_ldexp(dd_val(dd_div(dd_mul(u, dd(m)), s2)), k)
    r = _where(u[0] == 0, 0.0, r)  # g″(μ) = +0
    return _where(np.abs(u[0]) >= 41.0, 0.0 * -np.sign(u[0]), r)


def _mp_laplace_u(z: Any, p: Params, mp: Any) -> Any:
    return (z - mp.mpf(p["mu"])) / mp.mpf(p["sigma"])


def _mp_laplace(z: Any, p: Params, mp: Any) -> Any:
    return _mp_erfc(-_mp_laplace_u(z, p, mp) / mp.sqrt(2), mp) / 2


def _mp_laplace_dg(z: Any, p: Params, mp: Any) -> Any:
    return mp.npdf(_mp_laplace_u(z, p, mp)) / mp.mpf(p["sigma"])


def mp_laplace_d2(z: Any, p: Params, mp: Any) -> Any:
    u = _mp_laplace_u(z, p, mp)
    return -u * mp.npdf(u) / mp.mpf(p["sigma"]) ** 2


SPECS = SPECS + (
    Spec(
        name="laplace",
        frameworks=("PyTorch",),
        # transformers' LaplaceActivation (MEGA's attention): the normal CDF of (z − μ)/σ,
        # on PyTorch; JAX has none (no kink either way)
        formula="laplace(z) = ½·(1 + erf((z − μ)/(σ√2))) = Φ((z − μ)/σ)",
        deriv_formula="laplace′(z) = φ((z − μ)/σ)/σ = e^(−(z − μ)²/(2σ²))/(σ√(2π))",
        params=(
            Param("mu", LAPLACE_MU, "centre μ (transformers' default 0.707107 ≈ 1/√2)",
                  allowed="a number with |mu| <= 1e300", valid=lambda v: abs(v) <= 1e300),
            Param("sigma", LAPLACE_SIGMA, "width σ (transformers' default 0.282095 ≈ "
                  "1/(2√π))", allowed="a number with 1e-6 <= sigma <= 1e6",
                  valid=lambda v: 1e-6 <= v <= 1e6),
        ),
        g=_vec(_laplace_g),
        dg=_vec(_laplace_dg),
        output_range=lambda p: (0.0, 1.0),
        from_output_unavailable=lambda p: (
            "laplace is increasing, so a determines z and g′, but z = μ + σ·Φ⁻¹(a) has no "
            "closed form: give z instead"),
        exact=_mp_laplace,
        exact_dg=_mp_laplace_dg,
        sources=("transformers: LaplaceActivation, ACT2CLS 'laplace' "
                 "(src/transformers/activations.py; MEGA)",),
    ),
)
