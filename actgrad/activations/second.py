"""Second derivatives g″ of the catalogue, in float64 and in mpmath.

Kept apart from the catalogue modules so that their entries stay as they are: ``SECOND``
maps a name to its :class:`Second` (g″, its mpmath form, the jumps of g″ with the
frameworks' double-backward values there, g″ from the output a where it is a function of a),
and ``activations/__init__`` puts them into the Specs (``Spec.d2g`` and friends).

Every float64 g″ here is meant to be within 4 ULP of the true value at every float64 input
(±0, subnormals, tails, next to the roots of g″), free of RuntimeWarnings; the registry sets
the convention's value at the jumps and nan for nan. The forms, with w = |z|:

- sigmoid:  σ″ = σ′·(1 − 2σ) = −sign(z)·e(1 − e)/(1 + e)³, e = e^−w, 1 − e = −expm1(−w)
  (the factor 1 − 2σ(z) = −tanh(z/2) is computed, never 1 − 2σ).
- tanh:     tanh″ = −2·tanh·tanh′ = −8·sign(z)·e(1 − e)/(1 + e)³, e = e^−2w; tanhshrink″ =
  −tanh″; log_sigmoid″ = −σ′; softplus″ = β·σ′(βz) (βz an exact double-double).
- silu:     g″ = σ′·(2 − z·tanh(z/2)) = e·N/(1 + e)³, N = (2 − w) + e·(2 + w), e = e^−w.
  N vanishes at w1 ≈ 2.39936; there, with δ = w − w1, e1 = e^−w1 and M = expm1(−δ),
  N = −δ(1 − e1) + e1(2 + w1 + δ)·M: both terms have the sign of −δ.
- mish:     g″ = 4e·R/W³ for z < 0 (e = e^z, W = e² + 2e + 2,
  R = 2(1 + e)W + z·(2 + 2e − 3e² − 2e³)); for z >= 0, f = e^−z, D = 1 + 2f + 2f²,
  g″ = 4f²·R̃/D³, R̃ = 2(1 + f)D + z·(2f³ + 2f² − 3f − 2). R and R̃ vanish at z_a ≈ −2.25638
  and z_b ≈ 1.49057; there R − R(z_a) = Δ·[2q + 6s + 8 + z(2 − 3s − 2q)] + δ·S(e0) with
  Δ = e − e0 = e0·expm1(δ), s = e + e0, q = e² + e·e0 + e0² (and the analogue in f), all
  terms of one sign on the windows used.
- gelu:     g″ = φ(z)·(2 − z²) = φ(z)·(√2 − w)(√2 + w), φ from the exact double-double z·z.
- gelu tanh: v = 2c(z + kz³), e = e^−|v|: g″ = e·N/(1 + e)³, N = P + e·Q with
  P, Q = 2v′ + wv″ ∓ wv′²; N vanishes at w1 ≈ 1.41850, where N = δ·[24ck·(w + w1)(1 + e1)
  − 4c²·G·(1 − e1)] + e1·Q·expm1(−(v − v1)), G = (g(w) − g(w1))/δ for g = w(1 + 3kw²)².
- elu, selu, celu: c·e^(z/α) below 0 (one rounding, ldexp), 0 above.
- softsign: −2·sign(z)/(1 + w)³; squareplus: b/(2h³) = (b/h²)/(2h), h = √(z² + b).
- the piecewise units: 0, but hard_swish (1/3 on (−3, 3)) and sparse_plus (1/2 on (−1, 1)).

Jumps of g″ (``Second.kinks``, a :class:`Kink` whose left/right are g″'s one-sided values).
The frameworks' values there are read off their double-backward formulas (module
``CONVENTION_NOTES`` says what each rests on) and were measured with PyTorch 2.13.0 and JAX
0.10.2 at every one of them (benchmarks/frameworks_second.py; docs/frameworks.md): they agree,
but for signed zeros (PyTorch's softsign″(0) is −0.0) and JAX's selu″(0), λ·α rounded twice:

- PyTorch's ELU family (elu, selu, celu all go through ``elu_backward``):
  ``elu_double_backward`` multiplies by ``(x < 0)``, so at 0 it gives 0: the right side.
  JAX's elu (and selu = λ·elu) writes ``where(x > 0, x, α·expm1(where(x > 0, 0, x)))``:
  at 0 the expm1 branch, the left side. JAX's celu is ``maximum(x, 0) + α·expm1(minimum(x,
  0)/α)``: at the tie both max and min pass half the tangent, so celu″(0) = (1/2)²/α =
  1/(4α), neither side nor the mean (``Kink.special``).
- softsign: PyTorch's ``x / (1 + |x|)`` differentiates |x| with sgn(0) = 0, which gives
  g″(0) = 0, the mean of ±2; JAX's ``jnp.abs`` has derivative +1 at 0: −2, the right side.
- hard_swish at ±3: PyTorch's double backward of ``hardswish_backward`` is
  ``where(−3 < x < 3, 1/3, 0)``: 0 at both (left at −3, right at 3); JAX's relu6 has a
  custom JVP that is 0 at the ends of (0, 6), so the same.
- sparse_plus at ±1 (JAX only): ``where(x <= −1, 0, where(x >= 1, x, (x + 1)²/4))``: the
  outer branches, 0 at both (left at −1, right at 1).
- softplus with a finite threshold: PyTorch's g′ tests β·z > threshold, but its double
  backward (``softplus_double_backward``) multiplies by ``(β·z < threshold)``: at z_t (the
  last z on the softplus branch) that is 0, the right side, where fl(β·z_t) equals the
  threshold, and β·σ′(β·z_t), the left side, where it falls short (measured with PyTorch
  2.13.0, benchmarks/frameworks_second.py). JAX has no threshold: the softplus side, left.
- a jump of g′ (relu, relu6, ...) is a delta in g″, which no framework returns: their
  double backward gives the derivative of the branch they take for g′, which is 0 for
  every piecewise-linear unit; g″ there is that 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from ..numerics import special
from ..numerics.special import dd, dd_add, dd_div, dd_mul, dd_val, exp_split, two_prod, two_sum
from .base import Array, Kink, Params
from .smooth import (GELU_APPROX, GELU_FAST, GT, TanhGelu, _sp_t, _vec, selu_constants,
                     selu_exact_constants, softplus_switch, xielu_constants)
from .smooth import (QUICK_GELU_BETA, _sp_t, _vec, laplace_d2, mp_laplace_d2, silu_beta,
                     silu_t, softplus_switch)

INF = math.inf

#: what each framework convention at a jump of g″ rests on
CONVENTION_NOTES = {
    "elu": "PyTorch: elu_double_backward's (x < 0) factor (derivatives.yaml / "
           "FunctionsManual.cpp); JAX: jax.nn.elu's where(x > 0, ...) takes the expm1 branch",
    "selu": "as elu (PyTorch's selu is elu_backward with scale; JAX's selu is scale·elu)",
    "celu": "PyTorch: as elu (celu's backward is elu_backward with input_scale = 1/α); JAX: "
            "maximum(x, 0) + α·expm1(minimum(x, 0)/α), max/min halve a tie's tangent: 1/(4α)",
    "softsign": "PyTorch: x/(1 + |x|) with abs′(0) = sgn(0) = 0, giving 0; JAX: jnp.abs′(0) = 1, "
                "giving −2",
    "hard_swish": "PyTorch: hardswish_backward's double backward where(−3 < x < 3, 1/3, 0); "
                  "JAX: relu6's custom JVP is 0 at 0 and 6",
    "sparse_plus": "JAX: the nested where takes the outer branches at ±1",
    "softplus": "PyTorch (measured, 2.13.0): the double backward's factor (β·z < threshold) is 0 "
                "at z_t where fl(β·z_t) = threshold (right), else the softplus branch (left)",
}


@dataclass(frozen=True)
class Second:
    """g″ of one activation (see the module doc)."""

    formula: str
    d2g: Callable[[Array, Params], Array]
    exact_d2g: Callable[[Any, Params, Any], Any]
    kinks: Callable[[Params], tuple[Kink, ...]] = lambda p: ()
    from_output_formula: str | None = None
    d2g_from_a: Callable[[Array, Params], Array] | None = None


def _ldexp_inf(y: Array, k: Array) -> Array:
    """y·2^k rounded once, ±inf where that overflows, without a warning."""
    f, e = np.frexp(y)
    ee = e.astype(np.int64) + k
    big = ee > 1024
    return np.where(big, np.copysign(INF, y), np.ldexp(f, np.minimum(ee, 1024)))


def _cube(s: tuple[Array, Array]) -> tuple[Array, Array]:
    return dd_mul(dd_mul(s, s), s)


def _ones(x: Array) -> Array:
    return np.ones_like(x)


def _e_over_cube(m: Array, k: Array, num: tuple[Array, Array], e: Array) -> Array:
    """m·num/(1 + e)³·2^k, the double-double quotient rounded once, then ldexp'd."""
    s = two_sum(_ones(e), e)
    return np.ldexp(dd_val(dd_mul(dd(m), dd_div(num, _cube(s)))), k)


# ---------------------------------------------------------------------------------------
# sigmoid, tanh, tanhshrink, log_sigmoid, softplus


def _sig_like(z: Array, scale: float, factor: float) -> Array:
    """−sign(z)·factor·e(1 − e)/(1 + e)³ with e = e^(−scale·|z|)."""
    t = scale * np.minimum(np.abs(z), 1000.0)
    m, k = exp_split(-t)
    e = np.ldexp(m, k)
    om = -np.expm1(-t)
    r = _e_over_cube(factor * m, k, dd(om), e)
    # |z| < 2^-300: g″ = −(factor·scale/8)·z (the z³ term is far below an ULP); exact but for
    # the one rounding of a subnormal (the products above lose bits there)
    tiny = np.abs(z) < 2.0**-300
    r = np.where(tiny, (0.125 * factor * scale) * np.where(tiny, np.abs(z), 0.0), r)
    return -np.copysign(r, z)


def sigmoid_d2(z: Array, p: Params) -> Array:
    """σ″(z) = σ′(z)·(1 − 2σ(z)) = −σ′(z)·tanh(z/2)"""
    return _sig_like(np.asarray(z, dtype=np.float64), 1.0, 1.0)


def tanh_d2(z: Array, p: Params) -> Array:
    """tanh″(z) = −2·tanh(z)·tanh′(z)"""
    return _sig_like(np.asarray(z, dtype=np.float64), 2.0, 8.0)


def tanhshrink_d2(z: Array, p: Params) -> Array:
    """tanhshrink″(z) = 2·tanh(z)·tanh′(z)"""
    return -tanh_d2(z, p)


def _sig_prime(th: Array, tl: Array) -> tuple[Array, Array]:
    """σ′(t) = e/(1 + e)², e = e^−|t| = m·2^k: (the quotient before ldexp, k)."""
    a = -np.abs(th)
    al = np.where(th > 0, -tl, tl)
    m, k = exp_split(a, al)
    e = np.ldexp(m, k)
    s = two_sum(_ones(e), e)
    return dd_val(dd_div(dd(m), dd_mul(s, s))), k


def log_sigmoid_d2(z: Array, p: Params) -> Array:
    """log_sigmoid″(z) = −σ′(z)"""
    z = np.asarray(z, dtype=np.float64)
    q, k = _sig_prime(np.clip(z, -2000.0, 2000.0), np.zeros_like(z))
    return -np.ldexp(q, k)


def softplus_d2(z: Array, p: Params) -> Array:
    """softplus″(z) = β·σ′(β·z) (0 where β·z > threshold)"""
    z = np.asarray(z, dtype=np.float64)
    beta = p["beta"]
    fb, eb = math.frexp(beta)
    th, tl = _sp_t(z, beta)
    a = -np.abs(th)
    al = np.where(th > 0, -tl, tl)
    m, k = exp_split(a, al)
    e = np.ldexp(m, k)
    s = two_sum(_ones(e), e)
    q = dd_val(dd_div(dd_mul(dd(m), dd(np.full_like(m, fb))), dd_mul(s, s)))
    r = _ldexp_inf(q, k + eb)
    at = softplus_switch(beta, p["threshold"])  # linear above, exactly where softplus is
    if at is not None:
        r = np.where(z > at, 0.0, r)
    return r


def _softplus_kinks(p: Params) -> tuple[Kink, ...]:
    at = softplus_switch(p["beta"], p["threshold"])
    if at is None or at == -INF:
        return ()
    left = float(softplus_d2(np.array([at]), {**p, "threshold": INF})[0])
    side = "right" if p["beta"] * at == p["threshold"] else "left"  # fl(β·z_t) = threshold
    return (Kink(at, left=left, right=0.0, pytorch=side, jax="left", unique_output=False,
                 exact_left=lambda mp: _mp_softplus_d2(mp.mpf(at), {**p, "threshold": INF},
                                                       mp)),)


# ---------------------------------------------------------------------------------------
# silu

SILU_W1 = (2.3993572805154675, 1.8464872855353363e-16)  # root of g″ (at ±w1)
_SILU_E1 = (0.0907762782268676, -4.307281675237286e-18)  # e^−w1


def silu_d2_beta(z: Array, beta: tuple[float, float]) -> Array:
    """β·silu″(t), t = βz as a double-double (smooth.silu_t): z·σ(βz)″ = β·σ′(t)·(2 −
    t·tanh(t/2)); β = 1 is silu″ itself."""
    z = np.asarray(z, dtype=np.float64)
    th, tl = silu_t(z, beta)
    wh = np.minimum(np.abs(th), 2000.0)
    wl = np.where(np.abs(th) < 2000.0, np.where(th < 0, -tl, tl), 0.0)  # w = |t|
    m, k = exp_split(-wh, -wl)
    e = np.ldexp(m, k)
    w = (wh, wl)
    far = dd_add(dd_add(two_sum(np.full_like(wh, 2.0), -wh), dd(-wl)),
                 dd_mul(dd(e), dd_add(two_sum(np.full_like(wh, 2.0), wh), dd(wl))))
    win = (wh >= 1.5) & (wh <= 3.5)

    def near(i: Array) -> tuple[Array, Array]:  # 1.5 <= w <= 3.5: w − w1_hi is exact
        ww, wwl = w[0][i], w[1][i]
        delta = two_sum(ww - SILU_W1[0], wwl - SILU_W1[1])
        mm = np.expm1(-delta[0]) - delta[1] * np.exp(-delta[0])
        t1 = dd_mul(delta, (-(1.0 - _SILU_E1[0]), _SILU_E1[1]))
        c = dd_add(two_sum(np.full_like(ww, 2.0 + SILU_W1[0]), delta[0]),
                   (np.full_like(ww, SILU_W1[1]), delta[1]))
        return dd_add(t1, dd_mul(dd_mul(_SILU_E1, c), dd(mm)))

    n = _put(far, win, near, np.arange(wh.size).reshape(wh.shape))
    s_ = two_sum(_ones(e), e)
    q = dd_mul(dd(m), dd_div(n, _cube(s_)))
    if beta != (1.0, 0.0):
        q = dd_mul(q, (np.full_like(wh, beta[0]), np.full_like(wh, beta[1])))
    return _ldexp_inf(dd_val(q), k)


def silu_d2(z: Array, p: Params) -> Array:
    """silu″(z) = β·σ′(βz)·(2 − βz·tanh(βz/2))"""
    return silu_d2_beta(z, silu_beta(p))


# ---------------------------------------------------------------------------------------
# mish

MISH_ZA = (-2.256376396360793, -1.0703174875019247e-16)
_MISH_EA = (0.10472929546651437, -2.895805580494293e-18)  # e^z_a
_MISH_SA = (2.1742565259238615, -1.6681082422079213e-16)  # S(e^z_a)
MISH_ZB = (1.4905711794854284, 7.126036715834263e-17)
_MISH_FB = (0.22524396405848376, -8.488085797901126e-18)  # e^−z_b
_MISH_SB = (-2.5514067710241637, 1.1011801948508771e-16)  # S̃(e^−z_b)


def _c(x: Array, v: float) -> tuple[Array, Array]:
    return dd(np.full_like(x, v))


def _dsum(*terms: tuple[Array, Array]) -> tuple[Array, Array]:
    r = terms[0]
    for t in terms[1:]:
        r = dd_add(r, t)
    return r


def _dscale(a: tuple[Array, Array], s: float) -> tuple[Array, Array]:
    return dd_mul(a, (np.full_like(a[0], s), np.zeros_like(a[0])))


def _mish_root(zz: Array, x: tuple[Array, Array], z0: tuple[float, float],
               x0: tuple[float, float], s0: tuple[float, float], sign: float,
               cq: tuple[float, float, float], cz: tuple[float, float, float]):
    """R − R(z0) by the root identity (module doc), x = e^(sign·z), x0 = its value at z0:
    Δ·[cq0·q + cq1·s + cq2 + z·(cz0·q + cz1·s + cz2)] + δ·S0."""
    delta = two_sum(zz - z0[0], np.full_like(zz, -z0[1]))
    mm = np.expm1(sign * delta[0]) + sign * delta[1] * np.exp(sign * delta[0])
    big_d = dd_mul(x0, dd(mm))  # Δ = x − x0
    s = dd_add(x, x0)
    q = _dsum(dd_mul(x, x), dd_mul(x, x0), dd_mul(x0, x0))
    lin = _dsum(_dscale(q, cq[0]), _dscale(s, cq[1]), _c(zz, cq[2]))
    zt = _dsum(_dscale(q, cz[0]), _dscale(s, cz[1]), _c(zz, cz[2]))
    br = dd_add(lin, dd_mul(dd(zz), zt))
    return dd_add(dd_mul(big_d, br), dd_mul(delta, s0))


def _put(base: tuple[Array, Array], mask: Array, part: Callable[[Array], tuple[Array, Array]],
         x: Array) -> tuple[Array, Array]:
    """base with part(x[mask]) at mask (the window forms only where they apply)."""
    if not mask.any():
        return base
    hi, lo = base[0].copy(), base[1].copy()
    ph, pl = part(x[mask])
    hi[mask], lo[mask] = ph, pl
    return hi, lo


def _mish_neg(zn: Array) -> Array:
    """mish″ for z < 0 (zn clipped to [−2000, 0]): 4e·R/W³, e = e^z."""
    m, k = exp_split(zn)
    e = np.ldexp(m, k)
    ed = dd(e)
    ee = dd_mul(ed, ed)
    big_w = _dsum(ee, _dscale(ed, 2.0), _c(e, 2.0))
    s_e = _dsum(_c(e, 2.0), _dscale(ed, 2.0), _dscale(ee, -3.0), _dscale(dd_mul(ee, ed), -2.0))
    r = dd_add(dd_mul(_dscale(two_sum(_ones(e), e), 2.0), big_w), dd_mul(dd(zn), s_e))

    def near(zw: Array) -> tuple[Array, Array]:
        ma, ka = exp_split(zw)
        return _mish_root(zw, dd(np.ldexp(ma, ka)), MISH_ZA, _MISH_EA, _MISH_SA, 1.0,
                          (2.0, 6.0, 8.0), (-2.0, -3.0, 2.0))

    r = _put(r, (zn >= -3.5) & (zn <= -1.2), near, zn)
    return np.ldexp(dd_val(dd_mul(dd(4.0 * m), dd_div(r, _cube(big_w)))), k)


def _mish_pos(zp: Array) -> Array:
    """mish″ for z >= 0 (zp clipped to [0, 1000]): 4f²·R̃/D³, f = e^−z."""
    mf, kf = exp_split(-zp)
    f = np.ldexp(mf, kf)
    fd = dd(f)
    ff = dd_mul(fd, fd)
    big_d = _dsum(_c(f, 1.0), _dscale(fd, 2.0), _dscale(ff, 2.0))
    s_f = _dsum(_dscale(dd_mul(ff, fd), 2.0), _dscale(ff, 2.0), _dscale(fd, -3.0), _c(f, -2.0))
    rt = dd_add(dd_mul(_dscale(two_sum(_ones(f), f), 2.0), big_d), dd_mul(dd(zp), s_f))

    def near(zw: Array) -> tuple[Array, Array]:
        mb, kb = exp_split(-zw)
        return _mish_root(zw, dd(np.ldexp(mb, kb)), MISH_ZB, _MISH_FB, _MISH_SB, -1.0,
                          (4.0, 8.0, 6.0), (2.0, 2.0, -3.0))

    rt = _put(rt, (zp >= 1.0) & (zp <= 2.4), near, zp)
    m2 = dd_mul(dd(mf), dd(mf))
    return np.ldexp(dd_val(dd_mul(_dscale(m2, 4.0), dd_div(rt, _cube(big_d)))), 2 * kf)


def mish_d2(z: Array, p: Params) -> Array:
    """mish″(z) = 2T′ + z·T″, T = tanh(softplus(z))"""
    z = np.asarray(z, dtype=np.float64)
    out = np.empty_like(z)
    neg = z < 0
    if neg.any():
        out[neg] = _mish_neg(np.maximum(z[neg], -2000.0))
    pos = ~neg  # nan too: nan out
    if pos.any():
        out[pos] = _mish_pos(np.minimum(z[pos], 1000.0))
    return out


# ---------------------------------------------------------------------------------------
# GELU, exact and tanh

_SQRT2 = (1.4142135623730951, -9.667293313452913e-17)
_LN_SQRT_2PI = (0.9189385332046728, -3.8782941580672414e-17)


def _exp_half_sq(z: Array, c: tuple[float, float]) -> tuple[Array, Array]:
    """e^(−z²/2 + c) = m·2^k, the argument carried as a double-double (|z| <= 40)."""
    pz, ez = two_prod(z, z)
    a, b = two_sum(-0.5 * pz, np.full_like(z, c[0]))
    return exp_split(a, b + (c[1] - 0.5 * ez))


def _gelu_exact_d2(z: Array) -> Array:
    w = np.minimum(np.abs(z), 40.0)
    m, k = _exp_half_sq(w, (-_LN_SQRT_2PI[0], -_LN_SQRT_2PI[1]))
    a = two_sum(_SQRT2[0] - w, np.full_like(w, _SQRT2[1]))  # √2 − w (exact near √2)
    b = dd_add(two_sum(np.full_like(w, _SQRT2[0]), w), _c(w, _SQRT2[1]))
    return np.ldexp(dd_val(dd_mul(dd(m), dd_mul(a, b))), k)


def _gt_near(w: Array, big_q: tuple[Array, Array], c: TanhGelu) -> tuple[Array, Array]:
    """N next to the root w1: δ·[12AK·(w + w1)(1 + e1) − A²·G·(1 − e1)] + e1·Q·expm1(−(v − v1))
    with G = (g(w) − g(w1))/δ, g = w(1 + 3Kw²)², as a sum of divided powers (no cancellation)."""
    wd = dd(w)
    ww = two_prod(w, w)
    delta = two_sum(w - c.W1[0], np.full_like(w, -c.W1[1]))
    t1 = c.W1[0]
    s = dd_add(two_sum(w, np.full_like(w, t1)), _c(w, c.W1[1]))
    w1 = _c(w, t1)
    w1d = (w1[0], np.full_like(w, c.W1[1]))
    q2 = _dsum(ww, dd_mul(wd, w1d), dd_mul(w1d, w1d))  # w² + w·w1 + w1²
    w3 = dd_mul(ww, wd)
    w13 = dd_mul(dd_mul(w1d, w1d), w1d)
    q4 = _dsum(dd_mul(ww, ww), dd_mul(w3, w1d), dd_mul(ww, dd_mul(w1d, w1d)),
               dd_mul(wd, w13), dd_mul(w13, w1d))
    kk = dd_mul(c.K, c.K)
    g = _dsum(_c(w, 1.0), _dscale(dd_mul(c.K, q2), 6.0), _dscale(dd_mul(kk, q4), 9.0))
    aa = dd_mul(c.A, c.A)
    br1 = dd_mul(_dscale(dd_mul(c.AK6, s), 2.0), dd_add(_c(w, 1.0), c.E1))
    br2 = dd_mul(dd_mul(aa, g), dd_add(_c(w, 1.0), (-c.E1[0], -c.E1[1])))
    br = dd_add(br1, (-br2[0], -br2[1]))
    x = dd_val(dd_mul(c.A, dd_mul(delta, dd_add(_c(w, 1.0), dd_mul(c.K, q2)))))
    mm = np.expm1(-x)
    return dd_add(dd_mul(delta, br), dd_mul(dd_mul(c.E1, big_q), dd(mm)))


def _gelu_tanh_d2(z: Array, c: TanhGelu = GT) -> Array:
    w = np.minimum(np.abs(z), 40.0)
    wd = dd(w)
    ww = two_prod(w, w)
    # v = A·w·(1 + K·w²), v′ = A(1 + 3K·w²), w·v″ = 6AK·w², w·v′²
    v = dd_mul(c.A, dd_mul(wd, dd_add(_c(w, 1.0), dd_mul(c.K, ww))))
    vp = dd_mul(c.A, dd_add(_c(w, 1.0), dd_mul(c.K3, ww)))
    wvpp = dd_mul(c.AK6, ww)
    wvp2 = dd_mul(wd, dd_mul(vp, vp))
    base = dd_add(_dscale(vp, 2.0), wvpp)
    big_p = dd_add(base, (-wvp2[0], -wvp2[1]))
    big_q = dd_add(base, wvp2)
    m, k = exp_split(-v[0], -v[1])
    e = np.ldexp(m, k)
    far = dd_add(big_p, dd_mul(dd(e), big_q))
    win = (w >= 0.9) & (w <= 2.0)  # w − w1_hi exact (Sterbenz; w1 is 1.418 or 1.4178)
    n = far
    if win.any():
        nh, nl = _gt_near(w[win], (big_q[0][win], big_q[1][win]), c)
        n = (far[0].copy(), far[1].copy())
        n[0][win], n[1][win] = nh, nl
    return _e_over_cube(m, k, n, e)


def gelu_d2(z: Array, p: Params) -> Array:
    """gelu″(z) = φ(z)·(2 − z²); tanh: σ′(v)·(2v′ + z·v″ + z·v′²·(1 − 2σ(v)))"""
    z = np.asarray(z, dtype=np.float64)
    if p["approximate"] == "tanh":
        return _gelu_tanh_d2(z)
    return _gelu_exact_d2(z)


# ---------------------------------------------------------------------------------------
# ELU, SELU, CELU



def elu_d2(z: Array, p: Params) -> Array:
    """elu″(z) = α·e^z for z < 0, 0 for z > 0"""
    z = np.asarray(z, dtype=np.float64)
    m, k = exp_split(np.clip(z, -2000.0, 0.0))
    neg = np.ldexp((0.5 * p["alpha"]) * m, k + 1)
    return np.where(z > 0, 0.0, neg)


def selu_d2(z: Array, p: Params) -> Array:
    """selu″(z) = λ·α·e^z for z < 0, 0 for z > 0"""
    z = np.asarray(z, dtype=np.float64)
    sa = selu_constants(p)[1]
    m, k = exp_split(np.clip(z, -2000.0, 0.0))
    neg = np.ldexp(sa[0] * m + sa[1] * m, k)
    return np.where(z > 0, 0.0, neg)


def celu_d2(z: Array, p: Params) -> Array:
    """celu″(z) = e^(z/α)/α for z < 0, 0 for z > 0"""
    z = np.asarray(z, dtype=np.float64)
    a = p["alpha"]
    lim = -1500.0 * abs(a)
    zc = np.maximum(np.minimum(z, 0.0), lim)
    q = zc / a
    fa, ea = math.frexp(a)
    zs = np.ldexp(zc, -ea)
    ph, pl = two_prod(q, np.full_like(q, fa))
    d = ((zs - ph) - pl) / fa  # q + d = z/α to ~2^-100
    m, k = exp_split(q, d)
    neg = _ldexp_inf(dd_val(dd_div(dd(m), _c(m, fa))), k - ea)
    if a < 0:
        neg = np.where(z < zc, -INF, neg)
    return np.where(z > 0, 0.0, neg)


def _elu_kinks(p: Params) -> tuple[Kink, ...]:
    a = p["alpha"]
    return (Kink(0.0, left=a, right=0.0, pytorch="right", jax="left", unique_output=a > 0),)


def _celu_kinks(p: Params) -> tuple[Kink, ...]:
    # JAX: maximum(x, 0) + α·expm1(minimum(x, 0)/α); at the tie x = 0 each of max and min
    # passes half the tangent, so g′(0) = 1/2 + 1/2 and g″(0) = (1/2)²·e^0/α = 1/(4α)
    a = p["alpha"]
    return (Kink(0.0, left=1.0 / a, right=0.0, pytorch="right", jax="mean",
                 unique_output=True, exact_left=lambda mp: 1 / mp.mpf(a),
                 special=(("jax", 0.25 / a, lambda mp: 1 / (4 * mp.mpf(a))),)),)


def _selu_kinks(p: Params) -> tuple[Kink, ...]:
    def exact_left(mp: Any) -> Any:
        lam, alpha = selu_exact_constants(p, mp)
        return lam * alpha

    return (Kink(0.0, left=selu_constants(p)[1][0], right=0.0, pytorch="right", jax="left",
                 exact_left=exact_left),)


# ---------------------------------------------------------------------------------------
# softsign, squareplus


def softsign_d2(z: Array, p: Params) -> Array:
    """softsign″(z) = −2·sign(z)/(1 + |z|)³"""
    z = np.asarray(z, dtype=np.float64)
    w = np.abs(z)
    big = ~(w < 2.0**300)
    ws = np.where(big, 0.0, w)
    near = dd_val(dd_div(_c(w, 2.0), _cube(two_sum(_ones(ws), ws))))
    fw, ew = np.frexp(np.where(big & np.isfinite(w), w, 1.0))
    far = np.ldexp(dd_val(dd_div(_c(w, 2.0), _cube(dd(fw)))), -3 * ew.astype(np.int64))
    far = np.where(np.isinf(w), 0.0, far)
    return -np.copysign(np.where(big, far, near), z)


def squareplus_d2(z: Array, p: Params) -> Array:
    """squareplus″(z) = b / (2·(z² + b)^(3/2))"""
    z = np.asarray(z, dtype=np.float64)
    b = p["b"]
    if b == 0:
        return np.zeros_like(z)
    w = np.abs(z)
    # b below 2^-110·z²: g″ = b/(2w³) to far below an ULP
    wc = np.minimum(w, 2.0**500)
    far_m = ~(wc * wc <= b * 2.0**110)
    ws = np.where(far_m, 0.0, w)
    hh = dd_add(two_prod(ws, ws), _c(ws, b))
    h0 = np.sqrt(hh[0])
    ph, pl = two_prod(h0, h0)
    h = special.fast_two_sum(h0, dd_val(dd_add(hh, (-ph, -pl))) / (2.0 * h0))
    near = dd_val(dd_div(dd_div(_c(ws, b), hh), _dscale(h, 2.0)))
    fw, ew = np.frexp(np.where(far_m & np.isfinite(w), w, 1.0))
    far = np.ldexp(dd_val(dd_div(_c(w, 0.5 * b), _cube(dd(fw)))), -3 * ew.astype(np.int64))
    far = np.where(np.isinf(w), 0.0, far)
    return np.where(far_m, far, near)


# ---------------------------------------------------------------------------------------
# piecewise units


def zero_d2(z: Array, p: Params) -> Array:
    """g″ = 0 (piecewise linear)"""
    return np.zeros(np.shape(z))


def hard_swish_d2(z: Array, p: Params) -> Array:
    """hard_swish″(z) = 1/3 for −3 < z < 3, 0 beyond"""
    z = np.asarray(z, dtype=np.float64)
    return np.where((z > -3.0) & (z < 3.0), 1.0 / 3.0, 0.0)


def sparse_plus_d2(z: Array, p: Params) -> Array:
    """sparse_plus″(z) = 1/2 for −1 < z < 1, 0 beyond"""
    z = np.asarray(z, dtype=np.float64)
    return np.where((z > -1.0) & (z < 1.0), 0.5, 0.0)


# ---------------------------------------------------------------------------------------
# mpmath forms (also run in ball arithmetic: only exp, expm1, sqrt, tanh, npdf, comparisons
# of the exact z), written so that they do not cancel


def _mp_sig1(z: Any, mp: Any) -> Any:
    """σ′(z) = e/(1 + e)², e = e^−|z|."""
    e = mp.exp(-abs(z))
    return e / (1 + e) ** 2


def _mp_sigmoid_d2(z: Any, p: Params, mp: Any) -> Any:
    return -_mp_sig1(z, mp) * mp.tanh(z / 2)


def _mp_tanh_d2(z: Any, p: Params, mp: Any) -> Any:
    return -8 * _mp_sig1(2 * z, mp) * mp.tanh(z)  # tanh′ = 4σ′(2z)


def _mp_softplus_d2(z: Any, p: Params, mp: Any) -> Any:
    beta = mp.mpf(p["beta"])
    if math.isfinite(p["threshold"]) and z > p["threshold"] / p["beta"]:
        return mp.mpf(0)
    return beta * _mp_sig1(beta * z, mp)


def _mp_silu_d2(z: Any, p: Params, mp: Any) -> Any:
    beta = mp.mpf(p["beta"])
    return beta * _mp_silu_d2_t(beta * z, mp)


def _mp_silu_d2_t(z: Any, mp: Any) -> Any:
    # σ′·(2 − z·tanh(z/2)) cancels at the root; (2 − w) + e(2 + w) over (1 + e) too, so
    # extra precision (the root's δ is >= 2^-52: 60 bits more suffice)
    with mp.extraprec(80):
        w = abs(z)
        e = mp.exp(-w)
        r = e * ((2 - w) + e * (2 + w)) / (1 + e) ** 3
    return +r


def _mp_mish_d2(z: Any, p: Params, mp: Any) -> Any:
    with mp.extraprec(80):
        if z < 0:
            e = mp.exp(z)
            big_w = e * e + 2 * e + 2
            r = 2 * (1 + e) * big_w + z * (2 + 2 * e - 3 * e**2 - 2 * e**3)
            out = 4 * e * r / big_w**3
        else:
            f = mp.exp(-z)
            big_d = 1 + 2 * f + 2 * f * f
            r = 2 * (1 + f) * big_d + z * (2 * f**3 + 2 * f**2 - 3 * f - 2)
            out = 4 * f * f * r / big_d**3
    return +out


def _mp_gelu_d2(z: Any, p: Params, mp: Any) -> Any:
    if p["approximate"] == "tanh":
        with mp.extraprec(80):
            c = mp.sqrt(2 / mp.pi)
            k = mp.mpf("0.044715")
            w = abs(z)
            v = 2 * c * (w + k * w**3)
            vp = 2 * c * (1 + 3 * k * w * w)
            wvpp = 12 * c * k * w * w
            e = mp.exp(-v)
            n = (2 * vp + wvpp - w * vp**2) + e * (2 * vp + wvpp + w * vp**2)
            r = e * n / (1 + e) ** 3
        return +r
    return mp.npdf(z) * (2 - z * z)


def _mp_elu_d2(z: Any, p: Params, mp: Any) -> Any:
    return mp.mpf(0) if z > 0 else mp.mpf(p["alpha"]) * mp.exp(z)


def _mp_selu_d2(z: Any, p: Params, mp: Any) -> Any:
    if z > 0:
        return mp.mpf(0)
    lam, alpha = selu_exact_constants(p, mp)
    return lam * alpha * mp.exp(z)


def _mp_celu_d2(z: Any, p: Params, mp: Any) -> Any:
    a = mp.mpf(p["alpha"])
    return mp.mpf(0) if z > 0 else mp.exp(z / a) / a


def _mp_softsign_d2(z: Any, p: Params, mp: Any) -> Any:
    s = -2 if z > 0 else 2
    return s / (1 + abs(z)) ** 3


def _mp_squareplus_d2(z: Any, p: Params, mp: Any) -> Any:
    b = mp.mpf(p["b"])
    if p["b"] == 0:
        return mp.mpf(0)
    h = mp.sqrt(z * z + b)
    return b / (2 * h**3)


def _mp_zero(z: Any, p: Params, mp: Any) -> Any:
    return mp.mpf(0)


def _mp_hard_swish_d2(z: Any, p: Params, mp: Any) -> Any:
    return mp.mpf(1) / 3 if -3 < z < 3 else mp.mpf(0)


def _mp_sparse_plus_d2(z: Any, p: Params, mp: Any) -> Any:
    return mp.mpf(1) / 2 if -1 < z < 1 else mp.mpf(0)


# ---------------------------------------------------------------------------------------
# g″ from the output a


def _elu_d2_from_a(a: Array, p: Params) -> Array:
    return np.where(a > 0, 0.0, np.where(a > 0, 0.0, a) + p["alpha"])


def _selu_d2_from_a(a: Array, p: Params) -> Array:
    sa = selu_constants(p)[1]
    return np.where(a > 0, 0.0, (a + sa[0]) + sa[1])


def _celu_d2_from_a(a: Array, p: Params) -> Array:
    # (a + α)/α²: a + α is exact where it would cancel (Sterbenz); two roundings after it
    al = p["alpha"]
    an = np.where(a > 0, 0.0, a)
    fa, ea = math.frexp(al)
    q = ((an + al) / fa) / fa  # (a + α)/α² = q·2^(−2·e_α), huge or tiny α without a warning
    return np.where(a > 0, 0.0, _ldexp_inf(q, np.full(q.shape, -2 * ea)))


def _softplus_d2_from_a(a: Array, p: Params) -> Array:
    # β·(1 − e)·e with e = e^(−β·a): β·a exact (two-product), e as m·2^k
    beta = p["beta"]
    fb, eb = math.frexp(beta)
    ac = np.clip(a, 0.0, 2000.0 / beta)
    th, tl = two_prod(np.ldexp(ac, eb), np.full_like(ac, fb))
    m, k = exp_split(-th, -tl)
    om = -np.expm1(-th) + tl * np.exp(-th)
    return _ldexp_inf(dd_val(dd_mul(dd_mul(dd(m), dd(om)), _c(m, fb))), k + eb)


def _log_sigmoid_d2_from_a(a: Array, p: Params) -> Array:
    m, k = exp_split(np.maximum(a, -2000.0))
    return np.ldexp(dd_val(dd_mul(dd(m), dd(np.expm1(a)))), k)


def _softsign_d2_from_a(a: Array, p: Params) -> Array:
    r = 1.0 - np.abs(a)
    return -np.copysign(2.0 * (r * r * r), a)


def _squareplus_d2_from_a(a: Array, p: Params) -> Array:
    b = p["b"]
    if b == 0:
        return np.zeros_like(a)
    # h = a + b/(4a), g″ = b/(2h³). For a >= √b/2 (z >= 0): (b/h²)/(2h), 0 beyond
    # a = 2^500 (below 2^-1300); below (z < 0): 32a³/b²/(1 + t)³, t = 4a²/b < 1, with a and b
    # scaled by powers of 2 so that tiny a or b neither underflows nor overflows
    big = a >= math.sqrt(b) / 2.0
    huge = big & ~(a <= 2.0**300)  # b/(4a²) < 2^-400: h = a, g″ = b/(2a³), scaled
    ab = np.where(big & ~huge, a, 1.0)
    h = dd_add(dd(ab), dd_div(_c(ab, 0.25 * b), dd(ab)))
    hi = dd_val(dd_div(dd_div(_c(ab, 0.5 * b), dd_mul(h, h)), h))
    fh, eh = np.frexp(np.where(huge & np.isfinite(a), a, 1.0))
    far = np.ldexp(dd_val(dd_div(_c(fh, 0.5 * b), _cube(dd(fh)))), -3 * eh.astype(np.int64))
    hi = np.where(huge, np.where(np.isinf(a), 0.0, far), hi)
    asm = np.where(big | ~(a > 0), 0.5 * math.sqrt(b), a)
    fa, ea = np.frexp(asm)
    fb, eb = math.frexp(b)
    fa3 = dd_mul(dd_mul(dd(fa), dd(fa)), dd(fa))
    num = dd_div(dd_div(_dscale(fa3, 32.0), _c(fa, fb)), _c(fa, fb))
    t = 4.0 * (asm / b) * asm
    scale = 3 * ea.astype(np.int64) - 2 * eb
    lo = np.ldexp(dd_val(dd_div(num, _cube(two_sum(_ones(t), t)))), scale)
    return np.where(big, hi, np.where(a > 0, lo, 0.0))


def _zero_from_a(a: Array, p: Params) -> Array:
    return np.zeros_like(a)


_ZERO = Second("g″(z) = 0 (piecewise linear; a jump of g′ is a kink, see its conventions)",
               _vec(zero_d2), _mp_zero, from_output_formula="0", d2g_from_a=_zero_from_a)

SECOND: dict[str, Second] = {
    "sigmoid": Second("σ″(z) = σ′(z)·(1 − 2σ(z)) = −σ′(z)·tanh(z/2)", _vec(sigmoid_d2),
                      _mp_sigmoid_d2, from_output_formula="a·(1 − a)·(1 − 2a)",
                      d2g_from_a=lambda a, p: (a * (1.0 - a)) * (1.0 - 2.0 * a)),
    "tanh": Second("tanh″(z) = −2·tanh(z)·tanh′(z)", _vec(tanh_d2), _mp_tanh_d2,
                   from_output_formula="−2a·(1 − a)·(1 + a)",
                   d2g_from_a=lambda a, p: (-2.0 * a) * ((1.0 - a) * (1.0 + a))),
    "relu": _ZERO,
    "leaky_relu": _ZERO,
    "elu": Second("elu″(z) = α·e^z for z < 0, 0 for z > 0 (jumps at 0)", _vec(elu_d2),
                  _mp_elu_d2, kinks=_elu_kinks, from_output_formula="0 for a > 0, a + α below",
                  d2g_from_a=_elu_d2_from_a),
    "selu": Second("selu″(z) = λ·α·e^z for z < 0, 0 for z > 0 (jumps at 0)", _vec(selu_d2),
                   _mp_selu_d2, kinks=_selu_kinks,
                   from_output_formula="0 for a > 0, a + λ·α below", d2g_from_a=_selu_d2_from_a),
    "celu": Second("celu″(z) = e^(z/α)/α for z < 0, 0 for z > 0 (jumps at 0)", _vec(celu_d2),
                   _mp_celu_d2, kinks=_celu_kinks,
                   from_output_formula="0 for a > 0, (1 + a/α)/α below",
                   d2g_from_a=_celu_d2_from_a),
    "gelu": Second("gelu″(z) = φ(z)·(2 − z²); tanh: σ′(v)·(2v′ + z·v″ − z·v′²·tanh(v/2)), "
                   "v = 2√(2/π)(z + 0.044715z³)", _vec(gelu_d2), _mp_gelu_d2),
    "silu": Second("silu″(z) = β·σ′(βz)·(2 − βz·tanh(βz/2))", _vec(silu_d2), _mp_silu_d2),
    "mish": Second("mish″(z) = 2T′(z) + z·T″(z), T = tanh(softplus(z))", _vec(mish_d2),
                   _mp_mish_d2),
    "softplus": Second("softplus″(z) = β·σ′(β·z); 0 where β·z > threshold", _vec(softplus_d2),
                       _mp_softplus_d2, kinks=_softplus_kinks,
                       from_output_formula="β·(1 − e^(−β·a))·e^(−β·a)",
                       d2g_from_a=_softplus_d2_from_a),
    "softsign": Second("softsign″(z) = −2·sign(z)/(1 + |z|)³ (jumps at 0)", _vec(softsign_d2),
                       _mp_softsign_d2,
                       kinks=lambda p: (Kink(0.0, left=2.0, right=-2.0, pytorch="mean",
                                             jax="right"),),
                       from_output_formula="−2·sign(a)·(1 − |a|)³",
                       d2g_from_a=_softsign_d2_from_a),
    "log_sigmoid": Second("log_sigmoid″(z) = −σ′(z) = −σ(z)·σ(−z)", _vec(log_sigmoid_d2),
                          lambda z, p, mp: -_mp_sig1(z, mp),
                          from_output_formula="e^a·(e^a − 1)",
                          d2g_from_a=_log_sigmoid_d2_from_a),
    "tanhshrink": Second("tanhshrink″(z) = 2·tanh(z)·tanh′(z)", _vec(tanhshrink_d2),
                         lambda z, p, mp: -_mp_tanh_d2(z, p, mp)),
    "squareplus": Second("squareplus″(z) = b/(2·(z² + b)^(3/2))", _vec(squareplus_d2),
                         _mp_squareplus_d2, from_output_formula="b/(2h³), h = a + b/(4a)",
                         d2g_from_a=_squareplus_d2_from_a),
    "identity": _ZERO,
    "relu6": _ZERO,
    "prelu": _ZERO,
    "rrelu": _ZERO,
    "hard_sigmoid": _ZERO,
    "hard_swish": Second("hard_swish″(z) = 1/3 for −3 < z < 3, 0 beyond (jumps at ±3)",
                         _vec(hard_swish_d2), _mp_hard_swish_d2,
                         kinks=lambda p: (
                             Kink(-3.0, left=0.0, right=1.0 / 3.0, pytorch="left", jax="left",
                                  exact_right=lambda mp: mp.mpf(1) / 3),
                             Kink(3.0, left=1.0 / 3.0, right=0.0, pytorch="right", jax="right",
                                  exact_left=lambda mp: mp.mpf(1) / 3))),
    "hard_tanh": _ZERO,
    "softshrink": _ZERO,
    "hardshrink": _ZERO,
    "threshold": _ZERO,
    "sparse_plus": Second("sparse_plus″(z) = 1/2 for −1 < z < 1, 0 beyond (jumps at ±1)",
                          _vec(sparse_plus_d2), _mp_sparse_plus_d2,
                          kinks=lambda p: (
                              Kink(-1.0, left=0.0, right=0.5, pytorch="left", jax="left",
                                   unique_output=False),
                              Kink(1.0, left=0.5, right=0.0, pytorch="right", jax="right")),
                          from_output_formula="1/2 for 0 < a < 1, else 0",
                          d2g_from_a=lambda a, p: np.where((a > 0) & (a < 1), 0.5, 0.0)),
    "sparse_sigmoid": _ZERO,
}


# =======================================================================================
# The named GELU variants and xIELU (issue 13; activations/smooth.py has their g and g′):
# - gelu_fast, gelu_approx: the tanh form's g″ (``_gelu_tanh_d2``) with their constants.
# - gelu_10: gelu″ for z <= 10, 0 above; at the kink z = 10 (see smooth.py) PyTorch's
#   double backward differentiates the branch clamp passed, gelu's: the left value.
# - xielu: 2α_p for z > 0, 0 on (ε, 0), α_n·e^z below ε (rounded once: α_n·m, then ldexp).
#   At ε, torch.min passes half of a tie's gradient, and the double backward the square of
#   that half: α_n·e^ε/4 (``Kink.special``, as JAX's celu″(0)); at 0, torch.where takes the
#   z <= 0 branch, where min(z, ε) = ε: 0, the left value.


def _tanh_family_d2(c: TanhGelu):
    def d2(z: Array, p: Params) -> Array:
        return _gelu_tanh_d2(np.asarray(z, dtype=np.float64), c)

    return _vec(d2)


def _mp_family_d2(a: str, k: str, a_scale: int):
    def f(z: Any, p: Params, mp: Any) -> Any:
        with mp.extraprec(80):
            big_a, big_k = a_scale * mp.mpf(a), mp.mpf(k)
            w = abs(z)
            v = big_a * (w + big_k * w**3)
            vp = big_a * (1 + 3 * big_k * w * w)
            wvpp = 6 * big_a * big_k * w * w
            e = mp.exp(-v)
            n = (2 * vp + wvpp - w * vp**2) + e * (2 * vp + wvpp + w * vp**2)
            r = e * n / (1 + e) ** 3
        return +r

    return f


_GELU10_D2_LEFT = -7.540706654172292e-21  # gelu″(10) = −98·φ(10), rounded


def gelu_10_d2(z: Array, p: Params) -> Array:
    """gelu_10″(z) = φ(z)·(2 − z²) for z <= 10, 0 above"""
    return np.where(z > 10.0, 0.0, _gelu_exact_d2(z))


def _mp_gelu_10_d2(z: Any, p: Params, mp: Any) -> Any:
    return mp.mpf(0) if z > 10 else _mp_gelu_d2(z, {"approximate": "none"}, mp)


def xielu_d2(z: Array, p: Params) -> Array:
    """xielu″(z) = 2α_p for z > 0, 0 on (ε, 0), α_n·e^z for z < ε"""
    k = xielu_constants(p["alpha_p"], p["alpha_n"], p["beta"], p["eps"])
    eps = p["eps"]
    m, n = exp_split(np.clip(z, -2000.0, 0.0))
    neg = np.ldexp(dd_val(dd_mul(dd(m), (np.full_like(m, k["an"][0]),
                                         np.full_like(m, k["an"][1])))), n)
    out = np.where(z > 0, 2.0 * k["ap"][0], np.where(z > eps, 0.0, neg))
    return np.where(np.isnan(z), z, out)


def _mp_xielu_d2(z: Any, p: Params, mp: Any) -> Any:
    if z > 0:
        return 2 * mp.log1p(mp.exp(mp.mpf(p["alpha_p"])))
    if z > p["eps"]:
        return mp.mpf(0)
    return (mp.mpf(p["beta"]) + mp.log1p(mp.exp(mp.mpf(p["alpha_n"])))) * mp.exp(z)


def _xielu_d2_kinks(p: Params) -> tuple[Kink, ...]:
    eps = p["eps"]
    k = xielu_constants(p["alpha_p"], p["alpha_n"], p["beta"], eps)
    left = float(xielu_d2(np.array([eps]), p)[0])

    def an(mp: Any) -> Any:
        return mp.mpf(p["beta"]) + mp.log1p(mp.exp(mp.mpf(p["alpha_n"])))

    def quarter(mp: Any) -> Any:
        return an(mp) * mp.exp(mp.mpf(eps)) / 4

    tie = tuple((c, left / 4.0, quarter) for c in ("pytorch", "jax"))
    ap2 = lambda mp: 2 * mp.log1p(mp.exp(mp.mpf(p["alpha_p"])))  # noqa: E731
    if eps == 0:  # ε and 0 coincide: α_n | 2α_p, and the tie's quarter
        return (Kink(0.0, left=left, right=2.0 * k["ap"][0], pytorch="left", jax="left",
                     exact_left=an, exact_right=ap2, special=tie),)
    return (Kink(eps, left=left, right=0.0, pytorch="mean", jax="mean",
                 exact_left=lambda mp: an(mp) * mp.exp(mp.mpf(eps)), special=tie),
            Kink(0.0, left=0.0, right=2.0 * k["ap"][0], pytorch="left", jax="left",
                 exact_right=ap2))


CONVENTION_NOTES.update({
    "gelu_10": "PyTorch: clamp's backward passes the gradient at the bound (inclusive), so "
               "at z = 10 the double backward is gelu″'s",
    "xielu": "PyTorch: torch.min(x, eps) halves a tie's gradient, the double backward "
             "squares the half (α_n·e^ε/4); torch.where(x > 0) takes the z <= 0 branch at 0",
})

SECOND.update({
    "gelu_fast": Second("gelu_fast″(z) = σ′(v)·(2v′ + z·v″ − z·v′²·tanh(v/2)), "
                        "v = 2·0.7978845608·z·(1 + 0.044715z²)", _tanh_family_d2(GELU_FAST),
                        _mp_family_d2("0.7978845608", "0.044715", 2)),
    "gelu_approx": Second("gelu_approx″(z) = σ′(v)·(2v′ + z·v″ − z·v′²·tanh(v/2)), "
                          "v = 1.60033·z·(1 + 0.0433603z²)", _tanh_family_d2(GELU_APPROX),
                          _mp_family_d2("1.60033", "0.0433603", 1)),
    "gelu_10": Second("gelu_10″(z) = φ(z)·(2 − z²) for z <= 10, 0 above", _vec(gelu_10_d2),
                      _mp_gelu_10_d2,
                      kinks=lambda p: (Kink(10.0, left=_GELU10_D2_LEFT, right=0.0,
                                            pytorch="left", jax="left", unique_output=False,
                                            exact_left=lambda mp: _mp_gelu_d2(
                                                mp.mpf(10), {"approximate": "none"}, mp)),)),
    "xielu": Second("xielu″(z) = 2α_p for z > 0, 0 on (ε, 0), α_n·e^z for z < ε "
                    "(jumps at ε and 0)", _vec(xielu_d2), _mp_xielu_d2, kinks=_xielu_d2_kinks),
})
# issue 13 (cat13a): g″ of relu2, hard_mish, step (and, below them as they come, of the
# smooth entries). The double-backward sides at the jumps of g″ are read off the sources
# (not measured): transformers' relu2 is torch.square(relu(x)), whose g′ = 2·relu(x)·[x > 0]
# (threshold_backward) gives g″(0) = 2·[0 > 0]² = 0, the left side; timm's hard_mish
# ½·x·clamp(x + 2, 0, 2) on PyTorch: clamp's backward passes on the closed interval
# (FunctionsManual.cpp clamp_backward: where(self >= min & self <= max, grad, 0)), so
# g″ = that mask = 1 at both ends: the right side at −2, the left side at 0.
CONVENTION_NOTES.update({
    "relu2": "PyTorch (transformers' torch.square(relu(x))): relu's backward masks x > 0, "
             "so g″(0) = 0, the left side (read off the source, not measured)",
    "hard_mish": "PyTorch (timm's 0.5·x·clamp(x + 2, 0, 2)): clamp_backward passes the "
                 "closed interval, g″ = 1 at −2 (right) and at 0 (left) (read off the "
                 "source, not measured)",
})


def relu2_d2(z: Array, p: Params) -> Array:
    """relu2″(z) = 2 for z > 0, 0 for z < 0"""
    z = np.asarray(z, dtype=np.float64)
    return np.where(z > 0, 2.0, 0.0)


def hard_mish_d2(z: Array, p: Params) -> Array:
    """hard_mish″(z) = 1 for −2 < z < 0, 0 beyond"""
    z = np.asarray(z, dtype=np.float64)
    return np.where((z > -2.0) & (z < 0.0), 1.0, 0.0)


SECOND.update({
    "relu2": Second("relu2″(z) = 2 for z > 0, 0 for z < 0 (jumps at 0)", _vec(relu2_d2),
                    lambda z, p, mp: mp.mpf(2) if z > 0 else mp.mpf(0),
                    kinks=lambda p: (Kink(0.0, left=0.0, right=2.0, pytorch="left",
                                          jax="left", unique_output=False),),
                    from_output_formula="2 for a > 0, 0 for a = 0",
                    d2g_from_a=lambda a, p: np.where(a > 0, 2.0, 0.0)),
    "hard_mish": Second("hard_mish″(z) = 1 for −2 < z < 0, 0 beyond (jumps at −2 and 0)",
                        _vec(hard_mish_d2),
                        lambda z, p, mp: mp.mpf(1) if -2 < z < 0 else mp.mpf(0),
                        kinks=lambda p: (
                            Kink(-2.0, left=0.0, right=1.0, pytorch="right", jax="right",
                                 unique_output=False),
                            Kink(0.0, left=1.0, right=0.0, pytorch="left", jax="left"))),
    "step": Second("step″(z) = 0 for z ≠ threshold (g itself jumps there)", _vec(zero_d2),
                   _mp_zero, from_output_formula="0", d2g_from_a=_zero_from_a),
})


def _l1me_d2(z: Array, p: Params) -> Array:
    """log1mexp″(z) = −e^z/expm1(z)² = −e^−z/(1 − e^−z)²"""
    z = np.asarray(z, dtype=np.float64)
    with np.errstate(over="ignore", divide="ignore", under="ignore"):
        tiny = z < 1e-150
        zt = np.where(tiny & (z > 0), z, 1.0)
        r_tiny = -((1.0 / zt) / zt)
        zs = np.clip(z, 1e-150, 1.0)
        q = np.expm1(zs)
        qd = dd(q)
        r_small = -dd_val(dd_div(two_sum(_ones(q), q), dd_mul(qd, qd)))
        zb = np.clip(z, 1.0, 2000.0)
        m, k = exp_split(-zb)
        e = np.ldexp(m, k)
        om = two_sum(_ones(e), -e)
        r_big = -np.ldexp(dd_val(dd_div(dd(m), dd_mul(om, om))), k)
        r = np.where(tiny, r_tiny, np.where(z < 1.0, r_small, r_big))
        r = np.where(z == 0, -INF, r)
        return np.where(z < 0, np.nan, r)


def _l1me_d2_from_a(a: Array, p: Params) -> Array:
    """g″ = −e^−a·expm1(−a) (a <= 0)"""
    with np.errstate(over="ignore"):
        w = np.abs(a)
        return -(np.exp(np.minimum(w, 800.0)) * np.expm1(w))


def _mp_l1me_d2(z: Any, p: Params, mp: Any) -> Any:
    if z < 0:
        return mp.nan
    q = mp.expm1(z)
    return -(1 + q) / (q * q)


def _exponential_d2(z: Array, p: Params) -> Array:
    """exponential″(z) = e^z"""
    z = np.asarray(z, dtype=np.float64)
    m, k = exp_split(np.clip(z, -2000.0, 2000.0))
    return _ldexp_inf(m, k)


SECOND.update({
    "exponential": Second("exponential″(z) = e^z", _vec(_exponential_d2),
                          lambda z, p, mp: mp.exp(z), from_output_formula="a",
                          d2g_from_a=lambda a, p: np.array(a, dtype=np.float64, copy=True)),
    "log1mexp": Second("log1mexp″(z) = −e^z/expm1(z)² (−inf at 0; nan for z < 0)",
                       _vec(_l1me_d2), _mp_l1me_d2,
                       from_output_formula="−e^−a·expm1(−a)", d2g_from_a=_l1me_d2_from_a),
})


# quick_gelu″ = 1.702·silu″(1.702z), t = 1.702z carried as a double-double (smooth.py)
SECOND["quick_gelu"] = Second(
    "quick_gelu″(z) = 1.702·σ′(t)·(2 − t·tanh(t/2)), t = 1.702·z",
    _vec(lambda z, p: silu_d2_beta(z, QUICK_GELU_BETA)),
    lambda z, p, mp: mp.mpf("1.702") * _mp_silu_d2_t(mp.mpf("1.702") * z, mp))

SECOND["laplace"] = Second("laplace″(z) = −u·φ(u)/σ², u = (z − μ)/σ", _vec(laplace_d2),
                           mp_laplace_d2)
