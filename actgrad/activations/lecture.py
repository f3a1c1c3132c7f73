"""The lecture's four activations: sigmoid, tanh, ReLU and leaky ReLU."""

from __future__ import annotations

import math

import numpy as np

from ..numerics.special import fast_two_sum, split
from .base import Array, Kink, Param, Params, Spec, float_type, in_type_always

# ---------------------------------------------------------------------------------------
# sigmoid
# With e = exp(−|z|) in (0, 1] nothing overflows: σ(z) = 1/(1+e) for z >= 0, e/(1+e) for
# z < 0, and σ′(z) = σ(z)σ(−z) = e/(1+e)², accurate even where σ(z) rounds to 1
# (z > 36.7), where a(1 − a) would give 0. The denominator 1 + e is kept exactly as a
# double-double (dh + dl), so that besides exp's own error (< 0.65 ULP for numpy's) only
# the final division rounds: about 1.2 ULP at worst instead of 3.6 for e/((1+e)·(1+e)).


def _over_square(num: Array, e: Array) -> Array:
    """num / (1 + e)² with 1 + e and its square carried exactly to first order."""
    dh, dl = fast_two_sum(np.ones_like(e), e)
    p, pe = _two_square(dh)
    r = num / p
    return r - r * ((pe + 2.0 * dh * dl) / p)


def _two_square(a: Array) -> tuple[Array, Array]:
    """a² = p + e exactly (Dekker's product of a with itself: one splitting, not two)."""
    p = a * a
    ah, al = split(a)
    return p, ((ah * ah - p) + 2.0 * ah * al) + al * al


def sigmoid(z: Array, p: Params) -> Array:
    """σ(z) = 1 / (1 + e^−z)"""
    return _sigmoid_from_e(z, np.exp(-np.abs(z)))


def _sigmoid_from_e(z: Array, e: Array) -> Array:
    dh, dl = fast_two_sum(np.ones_like(e), e)
    # the numerator, 1 for z >= 0 and e for z < 0: e <= 1, so the larger of e and (z >= 0)
    # (nan stays nan); a where() costs ten times as much on unsorted z
    r = np.maximum(e, z >= 0) / dh
    return r - r * (dl / dh)


def sigmoid_deriv(z: Array, p: Params) -> Array:
    """σ′(z) = σ(z)·σ(−z) = e^−|z| / (1 + e^−|z|)²"""
    e = np.exp(-np.abs(z))
    return _over_square(e, e)


#: constants of _sigmoid_deriv_into as 0-d arrays: a Python float operand costs a ufunc call
#: its conversion, some 0.7 µs, as much as a 16K-value chunk's add
_ONE, _TWO = np.array(1.0), np.array(2.0)
#: dh + _ROUND − _ROUND rounds dh in [1, 2] to a multiple of 2^−25 (the ULP of 1.5·2^27)
_ROUND = np.array(1.5 * 2.0**27)


def _sigmoid_deriv_into(z: Array, p: Params, out: Array, s: list[Array]) -> None:
    """sigmoid_deriv(z) written to `out` (float64, z's size, not z's memory), with the
    float64 scratch arrays `s` (at least 6, of z's size or more) for its temporaries, the
    same bits as sigmoid_deriv without a new array per step (each new one costs its page
    faults; the registry runs this on chunks that stay in cache: 1.6x sigmoid_deriv).

    The same IEEE operations on the same operands in the same order as sigmoid_deriv and
    _over_square (1.0 + e for ones + e: one rounding of the same exact sum), but for the
    split of dh = 1 + e in [1, 2] inside _two_square, which only serves to compute
    x = dh² − sq exactly (sq = dh·dh rounded): here ah is dh rounded to a multiple of 2^−25
    by adding and taking off 1.5·2^27 (two operations, not Veltkamp's three), al = dh − ah,
    |al| <= 2^−26. Any such split gives every step of ((ah·ah − sq) + 2·ah·al) + al·al
    exactly (ah·ah, 2·ah·al and al·al fit in 53 bits; ah·ah − sq is a multiple of 2^−52
    below 2^−23; adding 2·ah·al, a multiple of 2^−76, gives dh² − sq − al·al, below 2^−50;
    adding al·al, a multiple of 2^−104, gives dh² − sq, at most 2^−52), so x is the one real
    number dh² − sq whichever split gave it, and the result is sigmoid_deriv's bit for bit
    (tests/test_npy.py compares them, ties of the rounding included)."""
    n = z.size
    e, dh, dl, ah, al, x = (b[:n] for b in s[:6])
    np.abs(z, e)
    np.negative(e, e)
    np.exp(e, e)  # e = e^−|z|
    np.add(e, _ONE, dh)  # fast_two_sum(1, e): dh + dl = 1 + e
    np.subtract(dh, _ONE, dl)
    np.subtract(e, dl, dl)
    sq = out  # _two_square(dh): sq + x = dh² (out holds sq until the last step)
    np.multiply(dh, dh, sq)
    np.add(dh, _ROUND, ah)  # the split: ah = (dh + 1.5·2^27) − 1.5·2^27, al = dh − ah
    np.subtract(ah, _ROUND, ah)
    np.subtract(dh, ah, al)
    np.multiply(ah, ah, x)  # x = ((ah·ah − sq) + 2·ah·al) + al·al
    np.subtract(x, sq, x)
    np.multiply(ah, _TWO, ah)
    np.multiply(ah, al, ah)
    np.add(x, ah, x)
    np.multiply(al, al, al)
    np.add(x, al, x)
    np.divide(e, sq, e)  # r = e / sq
    np.multiply(dh, _TWO, dh)  # r − r·((x + 2·dh·dl) / sq)
    np.multiply(dh, dl, dh)
    np.add(x, dh, x)
    np.divide(x, sq, x)
    np.multiply(e, x, x)
    np.subtract(e, x, out)


sigmoid_deriv.into = _sigmoid_deriv_into  # type: ignore[attr-defined]
sigmoid_deriv.into_scratch = 6  # type: ignore[attr-defined]


def sigmoid_with_deriv(z: Array, p: Params) -> tuple[Array, Array]:
    """(σ(z), σ′(z)) from one e^−|z|: the same values as sigmoid and sigmoid_deriv."""
    e = np.exp(-np.abs(z))
    return _sigmoid_from_e(z, e), _over_square(e, e)


sigmoid.with_deriv = sigmoid_with_deriv  # type: ignore[attr-defined]

# Cheaper forms for results in float32 and smaller types (the registry's ``small``; ``ulp``
# is the error bound in float64 ULP that its boundary test then assumes). Error: e = e^−|z|
# within 1 ULP (2u relative, u = 2^−53; numpy's exp is within 0.65), then each operation
# 0.5 ULP (u); 1 + e and (1 + e)² carry e's error at most once and twice. σ = num/(1 + e):
# 2u + u + u < 4u, 4 ULP; σ′ = e/(1 + e)²: 2u + 2·(2u + u) + u + u < 10u. Bounds of 16 and
# 32 leave that factor 3-4 to spare. Where e is subnormal or 0 (|z| > 708), the exact σ′ and
# σ(z < 0) and these forms lie below 2^−1000, both round to +0 in every small type.


def _sigmoid_small(z: Array, p: Params) -> Array:
    e = np.exp(-np.abs(z))
    return np.maximum(e, z >= 0) / (1.0 + e)


def _sigmoid_deriv_small(z: Array, p: Params) -> Array:
    e = np.exp(-np.abs(z))
    d = 1.0 + e
    return e / (d * d)


def _sigmoid_pair_small(z: Array, p: Params) -> tuple[Array, Array]:
    e = np.exp(-np.abs(z))
    d = 1.0 + e
    return np.maximum(e, z >= 0) / d, e / (d * d)


_sigmoid_small.ulp = 16.0  # type: ignore[attr-defined]
_sigmoid_deriv_small.ulp = _sigmoid_pair_small.ulp = 32.0  # type: ignore[attr-defined]
sigmoid.small = _sigmoid_small  # type: ignore[attr-defined]
sigmoid_deriv.small = _sigmoid_deriv_small  # type: ignore[attr-defined]
sigmoid_with_deriv.small = _sigmoid_pair_small  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------------------
# tanh
# tanh′(z) = 1 − tanh²(z) = 1/cosh²(z) = 4e/(1+e)² with e = exp(−2|z|). For |z| > 350 the
# result is near or below the subnormal range, where 4·e would multiply e's rounding error
# by 4; there (2·exp(−|z|))² rounds once, at the end.


def tanh(z: Array, p: Params) -> Array:
    """tanh(z) = (e^z − e^−z) / (e^z + e^−z)"""
    return np.tanh(z)


def tanh_deriv(z: Array, p: Params) -> Array:
    """tanh′(z) = 1 − tanh²(z) = 4e^−2|z| / (1 + e^−2|z|)²"""
    az = np.minimum(np.abs(z), 800.0)  # beyond, the result is 0 anyway; 2·|z| could overflow
    e = np.exp(-2.0 * az)
    near = _over_square(4.0 * e, e)
    t = 2.0 * np.exp(-az)
    return np.where(az < 350.0, near, t * t)


def _tanh_deriv_small(z: Array, p: Params) -> Array:
    """tanh′ for results in float32 and smaller types (see sigmoid's): 4e/(1 + e)², e =
    e^−2|z| within 2u (2|z| is exact), 4e exact, (1 + e)² < 2·2u + u: < 8u, ulp 32. Beyond
    |z| = 354 (e subnormal or 0) tanh′ and this lie below 2^−1000: both round to +0."""
    e = np.exp(-2.0 * np.abs(z))
    d = 1.0 + e
    return (4.0 * e) / (d * d)


_tanh_deriv_small.ulp = 32.0  # type: ignore[attr-defined]
tanh_deriv.small = _tanh_deriv_small  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------------------
# ReLU and leaky ReLU: piecewise linear, exact in floating point.


def relu(z: Array, p: Params) -> Array:
    """relu(z) = max(0, z)"""
    return np.maximum(z, 0.0) + 0.0  # (+0 at z = −0 whatever maximum's kernel returns)


def relu_deriv(z: Array, p: Params) -> Array:
    """relu′(z) = 0 for z < 0, 1 for z > 0"""
    return (z > 0).astype(float_type(z))  # where(z > 0, 1.0, 0.0): a where() is 10x slower


relu.in_type = relu_deriv.in_type = in_type_always  # type: ignore[attr-defined]


# leaky_relu, and prelu and rrelu (evaluation mode) in piecewise.py: z for z >= 0, s·z below


def slope_linear(z: Array, s: float) -> Array:
    if s == 0:  # 0·(−inf) would be nan; the function is relu then
        return np.maximum(z, 0.0)
    with np.errstate(over="ignore"):  # |s| > 1: s·z may round to ±inf, correctly
        return np.where(z >= 0, z, s * np.minimum(z, 0.0))


def slope_linear_deriv(z: Array, s: float) -> Array:
    return np.where(z > 0, 1.0, s)


def slope_from_a(a: Array, s: float) -> Array:
    # with s >= 0, a > 0 exactly when z > 0; a = 0 is the kink (s > 0) or z <= 0 (s = 0)
    return np.where(a > 0, 1.0, s)


def slope_why_not(s: float, what: str) -> str | None:
    if s >= 0:
        return None
    return (
        f"with {what} < 0 the output a does not tell the sign of z "
        "(a > 0 on both sides of 0), so g′ is not a function of a"
    )


def slope_range(s: float) -> tuple[float, float]:
    return (-math.inf, math.inf) if s > 0 else (0.0, math.inf)


SPECS: tuple[Spec, ...] = (
    Spec(
        name="sigmoid",
        aliases=("logistic",),
        # the logistic function; squashes to (0, 1)
        formula="σ(z) = 1 / (1 + e^−z)",
        deriv_formula="σ′(z) = σ(z)·(1 − σ(z)) = σ(z)·σ(−z)",
        from_output_formula="a·(1 − a)",
        g=sigmoid,
        dg=sigmoid_deriv,
        dg_from_a=lambda a, p: a * (1.0 - a),
        output_range=lambda p: (0.0, 1.0),
        exact=lambda z, p, mp: 1 / (1 + mp.exp(-z)),
        exact_dg=lambda z, p, mp: 1 / (4 * mp.cosh(z / 2) ** 2),
    ),
    Spec(
        name="tanh",
        # hyperbolic tangent; squashes to (−1, 1)
        formula="tanh(z) = (e^z − e^−z) / (e^z + e^−z)",
        deriv_formula="tanh′(z) = 1 − tanh²(z) = 1 / cosh²(z)",
        from_output_formula="1 − a² = (1 − a)·(1 + a)",
        g=tanh,
        dg=tanh_deriv,
        dg_from_a=lambda a, p: (1.0 - a) * (1.0 + a),
        output_range=lambda p: (-1.0, 1.0),
        exact=lambda z, p, mp: mp.tanh(z),
        exact_dg=lambda z, p, mp: 1 / mp.cosh(z) ** 2,
    ),
    Spec(
        name="relu",
        # rectified linear unit
        formula="relu(z) = max(0, z)",
        deriv_formula="relu′(z) = 0 for z < 0, 1 for z > 0 (kink at 0)",
        from_output_formula="1 for a > 0, 0 for a = 0",
        g=relu,
        dg=relu_deriv,
        dg_from_a=lambda a, p: np.where(a > 0, 1.0, 0.0),
        output_range=lambda p: (0.0, math.inf),
        kinks=lambda p: (Kink(0.0, left=0.0, right=1.0, pytorch="left", jax="left",
                              unique_output=False),),
        exact=lambda z, p, mp: z if z > 0 else mp.mpf(0),
        exact_dg=lambda z, p, mp: mp.mpf(1 if z > 0 else 0),
    ),
    Spec(
        name="leaky_relu",
        aliases=("lrelu",),
        # ReLU with a small slope for z < 0
        formula="leaky_relu(z) = z for z >= 0, negative_slope·z for z < 0",
        deriv_formula="leaky_relu′(z) = negative_slope for z < 0, 1 for z > 0 (kink at 0)",
        from_output_formula="1 for a > 0, negative_slope for a < 0 (negative_slope >= 0)",
        params=(
            Param("negative_slope", 0.01, "slope for z < 0 (PyTorch's and JAX's default)"),
        ),
        g=lambda z, p: slope_linear(z, p["negative_slope"]),
        dg=lambda z, p: slope_linear_deriv(z, p["negative_slope"]),
        dg_from_a=lambda a, p: slope_from_a(a, p["negative_slope"]),
        from_output_unavailable=lambda p: slope_why_not(p["negative_slope"], "negative_slope"),
        output_range=lambda p: slope_range(p["negative_slope"]),
        kinks=lambda p: (Kink(0.0, left=p["negative_slope"], right=1.0,
                              pytorch="left", jax="right",
                              unique_output=p["negative_slope"] != 0),),
        exact=lambda z, p, mp: z if z >= 0 else mp.mpf(p["negative_slope"]) * z,
        exact_dg=lambda z, p, mp: mp.mpf(1) if z > 0 else mp.mpf(p["negative_slope"]),
    ),
)
