"""Vectorised special functions and error-free arithmetic for the smooth activations.

numpy has no erf. The options, measured on this machine (x86-64 with AVX-512, numpy 2.4.6;
accuracy on 22,000 float64 points over the ranges where erf is not ±1 and erfc not 0, incl.
tiny x, against mpmath at 40 digits, in ULP of the correctly rounded result; time per 10⁶
points uniform on [−30, 30]):

=========================================  ==========  ==========  =======================
option                                     erf max     erfc max    time, erf / erfc
=========================================  ==========  ==========  =======================
this module (fdlibm s_erf.c in numpy)      0.78        2.3–2.8     57 ms / 62 ms
``np.vectorize(math.erf)`` (a Python loop  0.87        2.8–3.0     95 ms / 104 ms
over glibc's erf, itself fdlibm's)
``scipy.special`` 1.17.1 (Cephes)          2.3         erfc is 0   19 ms / 16 ms
                                                       from x≈26.6
=========================================  ==========  ==========  =======================

erfc's ~2.5 ULP come from the two exponentials of fdlibm's e^(−s² − 0.5625)·e^(…)/x. scipy
is fastest but ~40 MB to install for two functions, and it flushes erfc to 0 where the result
is subnormal (x > 26.6), which is exactly where gelu's tail lives. The port adds no dependency.

But gelu does not use erfc(x) at all in the end, because even a correctly rounded erfc would
not do: z/√2 is itself rounded, and erfc magnifies a relative error of x by 2x² (~1500 at
x = 27); and gelu's tail z·erfc(|z|/√2)/2 is subnormal from z ≈ −37.5 (erfc first rounded to
a subnormal, then multiplied by |z|/2 ≈ 19: ~10 ULP). Instead gelu takes e^(−z²/2) from the
exact double-double z·z, and the smooth factor erfcx(x) = e^(x²)·erfc(x) separately:
for x >= 1.25 from fdlibm's R/S (erfc(x) = e^(−x² − 0.5625 + R/S)/x, so erfcx is
e^(R/S − 0.5625)/x, ``erfcx_big``, ``erfc_rs``), below that from a polynomial fitted in
mpmath (in smooth.py); the product is rounded once, by ``np.ldexp``. erf and erfc stay here
as general vectorised tools (tested in tests/test_smooth.py).

fdlibm's coefficients: Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved.
Developed at SunPro, a Sun Microsystems, Inc. business. Permission to use, copy, modify,
and distribute this software is freely granted, provided that this notice is preserved.

The error-free transformations (Knuth's two-sum, Dekker's two-product with Veltkamp's
splitting) give sums and products of two doubles exactly as an unevaluated pair hi + lo; the
activations use them where a rounding of an argument would be amplified (the 2·x² of erfc,
the |t| of e^t in tails).
"""

from __future__ import annotations

import numpy as np

Array = np.ndarray

# ---------------------------------------------------------------------------------------
# error-free transformations


def two_sum(a: Array, b: Array) -> tuple[Array, Array]:
    """a + b = s + e exactly (Knuth), for finite a, b whose sum does not overflow."""
    s = a + b
    bb = s - a
    e = (a - (s - bb)) + (b - bb)
    return s, e


def fast_two_sum(a: Array, b: Array) -> tuple[Array, Array]:
    """a + b = s + e exactly, when |a| >= |b| (or a == 0)."""
    s = a + b
    return s, b - (s - a)


_SPLITTER = 134217729.0  # 2**27 + 1


def split(a: Array) -> tuple[Array, Array]:
    """a = hi + lo with 26-bit hi and lo (Veltkamp); needs |a| < 2**995."""
    c = _SPLITTER * a
    hi = c - (c - a)
    return hi, a - hi


def two_prod(a: Array, b: Array) -> tuple[Array, Array]:
    """a·b = p + e exactly (Dekker), for |a|, |b| < 2**995, |a·b| < 2**1020 and no
    underflow (below ~2**-969 the low part loses bits: harmless where it is a correction)."""
    p = a * b
    ah, al = split(a)
    bh, bl = split(b)
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    return p, e


# ---------------------------------------------------------------------------------------
# np.where and np.ldexp, the same bits, faster. numpy's where on a mask of mixed values
# branches per element (~4.4 ns a value here, more than np.exp's ~5.5), and its ldexp calls
# libm's per element (~5 ns): these two were a third to half of the double-double forms'
# time. The select below is integer bit operations on the float64 patterns; ldexp is one
# multiplication by 2^k built from its bits where 2^k is a normal float (an exact product,
# or one rounding into the subnormals: the same result as ldexp's), np.ldexp on the rest.

#: the float types the select works on, with the integer type of their bits
_BITS = {np.dtype(np.float64): np.int64, np.dtype(np.float32): np.int32,
         np.dtype(np.float16): np.int16}


def where(cond: Array, a: Array | float, b: Array | float) -> Array:
    """np.where(cond, a, b) bit for bit; a select by bit operations when the result is
    float64, float32 or float16 (numpy's promotion of a and b) and cond a bool array, else
    np.where itself."""
    ft = np.result_type(a, b)
    it = _BITS.get(ft)
    if it is None or getattr(cond, "dtype", None) != np.bool_:
        return np.where(cond, a, b)
    ai = np.asarray(a, dtype=ft).view(it)
    bi = np.asarray(b, dtype=ft).view(it)
    k = cond.astype(it)
    np.negative(k, out=k)  # all ones where cond
    if bi.ndim == 0 and bi == 0:  # where(cond, a, +0.0): the bits of a, masked
        r = np.bitwise_and(ai, k)
    else:
        r = np.bitwise_xor(ai, bi)
        r &= k
        r ^= bi
    return r.view(ft)


def ldexp(m: Array, k: Array) -> Array:
    """np.ldexp(m, k) bit for bit (m float64, k integers)."""
    m = np.asarray(m, dtype=np.float64)
    k = np.asarray(k)
    if m.shape != k.shape or not m.ndim:
        return np.ldexp(m, k)
    k = k.astype(np.int64, copy=False)
    kk = k + 1022
    odd = kk.view(np.uint64) > 2045  # k outside [−1022, 1023]: 2^k not a normal float
    kk += 1  # 2^k's biased exponent
    i = np.flatnonzero(odd) if odd.any() else None
    if i is not None:
        kk.reshape(-1)[i] = 1023  # (2^0 there, replaced below)
    kk <<= 52
    r = m * kk.view(np.float64)
    if i is not None:
        r.reshape(-1)[i] = np.ldexp(m.reshape(-1)[i], k.reshape(-1)[i])
    return r


# ---------------------------------------------------------------------------------------
# e^t as m·2^k

LN2_HI = 6.93147180369123816490e-01  # 0x3FE62E42 FEE00000: 32 bits, k·LN2_HI is exact
LN2_LO = 1.90821492927058770002e-10  # ln 2 − LN2_HI
INV_LN2 = 1.44269504088896338700e00


def exp_split(th: Array, tl: Array | float = 0.0) -> tuple[Array, Array]:
    """e^(th + tl) = m·2^k with m in [0.7, 1.42] accurate to ~0.7 ULP, k an int64 array.

    th + tl is an unevaluated sum (|tl| <= ulp(th)); |th| must be below ~10⁵ (callers
    clip). The reduction th − k·ln 2 is exact in its leading part (Cody and Waite), so
    the argument is not rounded beyond 2^−60 or so: a plain np.exp(t) near t = −745 would
    round e^t to a subnormal; m·2^k keeps 53 bits for a final single rounding.
    """
    k = np.rint(th * INV_LN2)
    bad = ~np.isfinite(k)
    if bad.any():
        k[bad] = 0.0  # nan in: m is nan, k 0 (no invalid cast)
    hi = th - k * LN2_HI  # exact
    r = hi + (tl - k * LN2_LO)
    return np.exp(r), k.astype(np.int64)


# ---------------------------------------------------------------------------------------
# erf, erfc, erfcx after fdlibm's s_erf.c

_ERX = 8.45062911510467529297e-01
_EFX = 1.28379167095512586316e-01
_EFX8 = 1.02703333676410069053e00
_PP = (1.28379167095512558561e-01, -3.25042107247001499370e-01, -2.84817495755985104766e-02,
       -5.77027029648944159157e-03, -2.37630166566501626084e-05)
_QQ = (1.0, 3.97917223959155352819e-01, 6.50222499887672944485e-02,
       5.08130628187576562776e-03, 1.32494738004321644526e-04, -3.96022827877536812320e-06)
_PA = (-2.36211856075265944077e-03, 4.14856118683748331666e-01, -3.72207876035701323847e-01,
       3.18346619901161753674e-01, -1.10894694282396677476e-01, 3.54783043256182359371e-02,
       -2.16637559486879084300e-03)
_QA = (1.0, 1.06420880400844228286e-01, 5.40397917702171048937e-01,
       7.18286544141962662868e-02, 1.26171219808761642112e-01, 1.36370839120290507362e-02,
       1.19844998467991074170e-02)
_RA = (-9.86494403484714822705e-03, -6.93858572707181764372e-01, -1.05586262253232909814e01,
       -6.23753324503260060396e01, -1.62396669462573470355e02, -1.84605092906711035994e02,
       -8.12874355063065934246e01, -9.81432934416914548592e00)
_SA = (1.0, 1.96512716674392571292e01, 1.37657754143519042600e02, 4.34565877475229228821e02,
       6.45387271733267880336e02, 4.29008140027567833386e02, 1.08635005541779435134e02,
       6.57024977031928170135e00, -6.04244152148580987438e-02)
_RB = (-9.86494292470009928597e-03, -7.99283237680523006574e-01, -1.77579549177547519889e01,
       -1.60636384855821916062e02, -6.37566443368389627722e02, -1.02509513161107724954e03,
       -4.83519191608651397019e02)
_SB = (1.0, 3.03380607434824582924e01, 3.25792512996573918826e02, 1.53672958608443695994e03,
       3.19985821950859553908e03, 2.55305040643316442583e03, 4.74528541206955367215e02,
       -2.24409524465858183362e01)


def poly(coeffs: tuple[float, ...], x: Array) -> Array:
    """Σ coeffs[i]·x^i by Horner."""
    r = np.full_like(x, coeffs[-1])
    for c in coeffs[-2::-1]:
        r = r * x + c
    return r


def _small_y(x: Array) -> Array:
    """(erf(x) − x)/x for |x| < 0.84375."""
    z = x * x
    return poly(_PP, z) / poly(_QQ, z)


def _mid_pq(ax: Array) -> Array:
    """erf(|x|) − erx for |x| in [0.84375, 1.25]."""
    s = ax - 1.0
    return poly(_PA, s) / poly(_QA, s)


def erfc_rs(ax: Array) -> Array:
    """fdlibm's R/S for x >= 1.25: erfc(x) = e^(−x² − 0.5625 + R/S)/x (ra/sa below 1/0.35,
    rb/sb above; rb/sb is fitted up to x = 28 and used beyond as well, see erfcx_big)."""
    s = 1.0 / (ax * ax)
    lo = ax < 1.0 / 0.35
    return np.where(lo, poly(_RA, s) / poly(_SA, s), poly(_RB, s) / poly(_SB, s))


def _trunc32(x: Array) -> Array:
    """x with the low 32 bits of its significand cleared (so x² is exact)."""
    return (np.asarray(x, dtype=np.float64).view(np.uint64) & np.uint64(0xFFFFFFFF00000000)
            ).view(np.float64)


def _erfc_big(ax: Array) -> Array:
    """erfc(x) for x in [1.25, 28): e^(−s² − 0.5625)·e^((s − x)(s + x) + R/S)/x, s = x to
    21 bits so that s² and −s² − 0.5625 are exact."""
    s = _trunc32(ax)
    return np.exp(-s * s - 0.5625) * np.exp((s - ax) * (s + ax) + erfc_rs(ax)) / ax


def _pieces(x: Array) -> tuple[Array, ...]:
    x = np.asarray(x, dtype=np.float64)
    ax = np.abs(x)
    small = ax < 0.84375
    mid = (ax >= 0.84375) & (ax < 1.25)
    big = (ax >= 1.25) & (ax < 28.0)
    return x, ax, small, mid, big


def erf(x: Array) -> Array:
    """erf(x), vectorised, < 1 ULP (fdlibm's method)."""
    x, ax, small, mid, big = _pieces(x)
    out = np.where(np.isnan(x), x, np.sign(x))  # |x| >= 28 (and ±inf): ±1
    if small.any():
        xs = x[small]
        tiny = np.abs(xs) < 2.0**-28
        y = _small_y(np.where(tiny, 0.0, xs))
        out[small] = np.where(tiny, 0.125 * (8.0 * xs + _EFX8 * xs), xs + xs * y)
    if mid.any():
        out[mid] = np.copysign(_ERX + _mid_pq(ax[mid]), x[mid])
    if big.any():
        out[big] = np.copysign(1.0 - _erfc_big(ax[big]), x[big])
    return out


def erfc(x: Array) -> Array:
    """erfc(x) = 1 − erf(x), vectorised, ~2.8 ULP at most (fdlibm's method); 0 for x >= 28."""
    x, ax, small, mid, big = _pieces(x)
    out = np.where(np.isnan(x), x, np.where(x > 0, 0.0, 2.0))
    if small.any():
        xs = x[small]
        y = _small_y(xs)
        r = xs * y
        out[small] = np.where(xs < 0.25, 1.0 - (xs + r), 0.5 - (r + (xs - 0.5)))
    if mid.any():
        xm = x[mid]
        pq = _mid_pq(ax[mid])
        out[mid] = np.where(xm > 0, (1.0 - _ERX) - pq, 1.0 + (_ERX + pq))
    if big.any():
        xb = x[big]
        r = _erfc_big(ax[big])
        out[big] = np.where(xb > 0, r, 2.0 - r)
    return out


def erfcx_big(x: Array) -> Array:
    """erfcx(x) = e^(x²)·erfc(x) = e^(R/S − 0.5625)/x for x >= 1.25 (+inf → 0), ~2 ULP."""
    x = np.asarray(x, dtype=np.float64)
    return np.exp(erfc_rs(np.minimum(x, 1e150)) - 0.5625) / x


# ---------------------------------------------------------------------------------------
# double-double arithmetic on (hi, lo) pairs, |lo| <= ulp(hi)/2 (about 2^-104 relative);
# used for the few rational expressions whose chain of roundings would otherwise add up to
# several ULP (e.g. m·F/w² in mish′). Inputs must stay below ~2^995 in size (splitting).


def dd(x: Array | float) -> tuple[Array, Array]:
    x = np.asarray(x, dtype=np.float64)
    return x, np.zeros_like(x)


def dd_add(a: tuple[Array, Array], b: tuple[Array, Array]) -> tuple[Array, Array]:
    s, e = two_sum(a[0], b[0])
    return fast_two_sum(s, e + (a[1] + b[1]))


def dd_mul(a: tuple[Array, Array], b: tuple[Array, Array]) -> tuple[Array, Array]:
    p, e = two_prod(a[0], b[0])
    return fast_two_sum(p, e + (a[0] * b[1] + a[1] * b[0]))


def dd_div(a: tuple[Array, Array], b: tuple[Array, Array]) -> tuple[Array, Array]:
    """a / b (b != 0)."""
    q = a[0] / b[0]
    p, e = two_prod(q, b[0])
    r = (((a[0] - p) - e) + a[1] - q * b[1]) / b[0]
    return fast_two_sum(q, r)


def dd_val(a: tuple[Array, Array]) -> Array:
    return a[0] + a[1]
