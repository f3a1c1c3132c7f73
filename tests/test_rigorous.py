"""--exact/--digits (actgrad/numerics/rigorous.py): correctly rounded, proven by rounding tests.

Expected values come from tests/catalogue_reference.py (independent mpmath formulas, exact
rounding from tests/reference.py) or from exact decimal arithmetic (Python's decimal), never
from actgrad. Issue 9's known wrong cases are regression tests here.
"""

from __future__ import annotations

import math
import os
import sys
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

import ml_dtypes
import mpmath
import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
import catalogue_reference as C  # noqa: E402

import actgrad  # noqa: E402
from actgrad.numerics import rigorous  # noqa: E402

TINY = 5e-324


def same(got, want):
    """Equal floats, the sign of zero included, nan equal to nan."""
    got, want = float(got), float(want)
    if math.isnan(want):
        return math.isnan(got)
    return got == want and math.copysign(1, got) == math.copysign(1, want)


def check_floats(name, zs, deriv, dtype=np.float64):
    f = C.activation(name)
    got = rigorous.values_float(f, np.asarray(zs, dtype=np.float64), deriv=deriv, dtype=dtype)
    assert got.dtype == np.dtype(dtype)
    for z, g in zip(zs, got.tolist()):
        want = C.rounded(name, z, deriv, dtype)
        if want == 0 and exact_zero(name, z, deriv):
            g = abs(g)  # the sign of an exact zero is a convention (the fast path's), not exact
        assert same(g, want), f"{name}{'′' if deriv else ''}({z!r}) in {np.dtype(dtype)}: {g!r}, exact rounds to {want!r}"


def exact_zero(name, z, deriv):
    with mpmath.workdps(30):
        return C.value(name, z, deriv) == 0


# -- issue 9's wrong cases ---------------------------------------------------------------

def test_silu_smallest_subnormal():
    assert rigorous.values_float(actgrad.get("silu"), [TINY], deriv=False)[0] == TINY
    check_floats("silu", [TINY, -TINY, 3 * TINY], False)


@pytest.mark.parametrize("name", ["gelu", "gelu_tanh", "hard_swish"])
def test_odd_multiples_of_the_smallest_subnormal(name):
    zs = [k * TINY for k in (1, 3, 5, 7, 9, 101, 1001)] + [-k * TINY for k in (1, 3, 5)]
    check_floats(name, zs, False)


def test_elu_alpha_2_5():
    f = actgrad.get("elu", alpha=2.5)
    z = -4.727516346944223e-71
    got = float(rigorous.values_float(f, [z], deriv=False)[0])
    with mpmath.workdps(200):  # 2.5·z lies 1e-71 relative from a midpoint: z²'s term decides
        want = C.reference.round_to(mpmath.mpf(2.5) * mpmath.expm1(mpmath.mpf(z)), np.float64)
    assert got == want and repr(got).split("e")[0].endswith("57")


def test_sparse_plus_one_digit():
    assert rigorous.values_text(actgrad.get("sparse_plus"), [8.271806125530277e-25],
                                deriv=False, digits=1) == ["0.3"]


def test_sign_of_zero_kept():
    f = actgrad.get("tanh")
    assert same(rigorous.values_float(f, [-0.0], deriv=False)[0], -0.0)
    assert same(rigorous.values_float(f, [0.0], deriv=False)[0], 0.0)
    assert rigorous.values_text(f, [-0.0, 0.0], deriv=False, digits=5) == ["-0.0", "0.0"]
    # a nonzero value that rounds to zero has its own sign
    assert same(rigorous.values_float(actgrad.get("silu"), [-TINY], deriv=False)[0], -0.0)


def test_exact_with_dtype_is_rounded_once():
    f = actgrad.get("sigmoid")
    z = np.float32(3.5762786865234375e-07)
    got = rigorous.values_float(f, [z], deriv=False, dtype=np.float32)
    assert got.dtype == np.float32 and got[0] == np.float32(0.50000006)
    check_floats("sigmoid", [float(z)], False, np.float32)
    got = rigorous.values_float(actgrad.get("rrelu"), [np.float32(-1.4585387706756592)],
                                deriv=False, dtype=np.float32)
    assert got[0] == np.float32(-0.33424845)


# -- digits ------------------------------------------------------------------------------

def decimal_round(name, z, deriv, digits):
    """The exact value rounded to `digits` significant digits, in decimal arithmetic."""
    with mpmath.workdps(digits + 40):
        v = C.value(name, z, deriv)
        text = mpmath.nstr(v, digits + 30, strip_zeros=False, min_fixed=1, max_fixed=0)
    with localcontext() as ctx:
        ctx.prec = digits
        ctx.rounding = ROUND_HALF_EVEN
        return +Decimal(text)


def significant(text):
    mant = text.lstrip("-").split("e")[0].replace(".", "").lstrip("0")
    return len(mant)


@pytest.mark.parametrize("digits", [1, 2, 5, 17, 30, 60])
def test_digits_are_correctly_rounded(digits):
    cases = [("sigmoid", 0.3, False), ("tanh", 1e-8, False), ("gelu", -0.75, True),
             ("tanhshrink", 1e-5, False), ("softplus", 40.0, False), ("silu", -1.2784645, True),
             ("mish", -30.0, False), ("elu", -1e-300, False), ("squareplus", -1e6, False),
             ("relu", 123.0, False), ("hard_sigmoid", 0.5, False), ("sparse_plus", 0.0, True)]
    names = {n for n, _, _ in cases}
    for name in names:
        zs = [z for n, z, _ in cases if n == name]
        ds = [d for n, _, d in cases if n == name]
        f = C.activation(name)
        for z, d in zip(zs, ds):
            (got,) = rigorous.values_text(f, [z], deriv=d, digits=digits)
            want = decimal_round(name, z, d, digits)
            assert Decimal(got) == want, f"{name} {z} digits={digits}: {got} vs {want}"
            assert significant(got) == digits, got


def test_digits_keep_trailing_zeros_and_layout():
    f = actgrad.get("identity")
    got = rigorous.values_text(f, [1.0, 0.25, 100.0, 1e-5, 1.5e20, -2.0], deriv=False, digits=30)
    assert got[0] == "1." + "0" * 29
    assert got[1] == "0.25" + "0" * 28
    assert got[2] == "100." + "0" * 27
    with localcontext() as ctx:
        ctx.prec = 30
        exact = +Decimal(1e-5)  # Decimal(float) is exact; + rounds to 30 digits, ties to even
    assert got[3] == f"{exact:.29e}".replace("e-05", "e-5") and got[3].endswith("e-5")
    assert got[4] == "150000000000000000000." + "0" * 9  # fixed below 10^digits
    assert got[5] == "-2." + "0" * 29
    # ties go to even: 0.25 is exact
    assert rigorous.values_text(f, [0.25, 0.75, 2.5], deriv=False, digits=1) == ["0.2", "0.8", "2"]
    assert rigorous.values_text(f, [math.inf, -math.inf, math.nan], deriv=False, digits=3) == [
        "inf", "-inf", "nan"]


def test_digits_far_below_the_float_range():
    # e^(−1e308): no float, but a decimal with a 308-digit exponent
    (got,) = rigorous.values_text(actgrad.get("sigmoid"), [-1e6], deriv=False, digits=8)
    with mpmath.workdps(30):
        want = mpmath.nstr(1 / (1 + mpmath.exp(mpmath.mpf(1e6))), 8, min_fixed=1, max_fixed=0)
    assert Decimal(got) == Decimal(want)


# -- every function: kinks, limits, branches, subnormals, hard tails -----------------------

SPECIAL = [0.0, -0.0, 1.0, -1.0, 3.0, -3.0, 6.0, 0.5, -0.5, TINY, -TINY, 2.2250738585072014e-308,
           1e-300, -1e-300, 1e-8, -1e-8, 0.1, -0.1, 2.5, -2.5, 20.0, -20.0, 1e5, -1e5, 1e300,
           -1e300, 1.7976931348623157e308, -1.7976931348623157e308, math.inf, -math.inf,
           math.nan]


@pytest.mark.parametrize("name", C.NAMES)
def test_every_function_at_special_points(name):
    for dtype in (np.float64, np.float32, np.float16):
        for deriv in (False, True):
            zs = [z for z in SPECIAL if not (name == "gelu" and abs(z) > 1e6 and abs(z) < math.inf)]
            check_floats(name, zs, deriv, dtype)


@mpmath.workdps(50)
def test_kink_conventions_are_exact():
    # rrelu's slope (1/8 + 1/3)/2 is no float; nor 1/6; selu's λ·α; each rounded once
    for name, f, z, slopes in [
        ("rrelu", actgrad.get("rrelu"), 0.0, (C._rrelu_slope(), mpmath.mpf(1))),
        ("hard_sigmoid", actgrad.get("hard_sigmoid"), -3.0, (mpmath.mpf(0), mpmath.mpf(1) / 6)),
        ("selu", actgrad.get("selu"), 0.0, (mpmath.mpf(C.LAM) * mpmath.mpf(C.ALPHA),
                                             mpmath.mpf(C.LAM))),  # (at 50 digits)
        ("hard_swish", actgrad.get("hard_swish"), 3.0, (mpmath.mpf(1.5), mpmath.mpf(1))),
    ]:
        left, right = slopes
        for conv, want in (("left", left), ("right", right), ("mean", (left + right) / 2)):
            for dtype in (np.float64, np.float32, np.float16):
                got = rigorous.values_float(f, [z], deriv=True, kink=conv, dtype=dtype)[0]
                assert same(got, C.reference.round_to(want, dtype)), (name, conv, dtype)


def test_tail_ties_are_decided():
    # tanhshrink(z) = z − 1 + 2/(e^(2z) + 1): at z = 2^24 + 2, z − 1 is a float32 midpoint
    # and the tail e^−33554436 decides; no precision would (Spec.exact_split)
    f = actgrad.get("tanhshrink")
    z = np.float32([2.0**24 + 2, -(2.0**24 + 2), 2050.0, -2050.0])
    got32 = rigorous.values_float(f, z, deriv=False, dtype=np.float32)
    got16 = rigorous.values_float(f, z[2:], deriv=False, dtype=np.float16)
    for zi, g in zip(z.tolist(), got32.tolist()):
        assert same(g, C.rounded("tanhshrink", zi, False, np.float32))
    for zi, g in zip(z[2:].tolist(), got16.tolist()):
        assert same(g, C.rounded("tanhshrink", zi, False, np.float16))
    assert got32[0] == 2.0**24 + 2  # just above the midpoint: away from z − 2
    # elu with α a float16 midpoint: −α + α·e^z lies just above −α
    e = actgrad.get("elu", alpha=1 + 2.0**-11)
    assert rigorous.values_float(e, [-60000.0], deriv=False, dtype=np.float16)[0] == -1.0


@pytest.mark.parametrize("name", C.FROM_OUTPUT)
def test_from_output_exact(name):
    f = C.activation(name)
    z = np.float16(np.linspace(-7, 7, 57))
    a = np.unique(f(z))  # outputs, as float16
    got = rigorous.from_output_float(f, a, dtype=np.float16)
    for ai, g in zip(a.tolist(), got.tolist()):
        if any(k.unique_output and f.spec.g(np.float64(k.at), dict(f.params)) == ai
               for k in f.kinks):
            continue  # the kink's convention: tested with the registry
        assert same(g, C.rounded(name, ai, True, np.float16, from_output=True)), (name, ai)


def test_api_contract():
    f = actgrad.get("relu")
    with pytest.raises(ValueError):
        rigorous.values_text(f, [1.0], deriv=False, digits=0)
    with pytest.raises(ValueError):
        rigorous.values_text(f, [1.0], deriv=False, digits=rigorous.MAX_DIGITS + 1)
    with pytest.raises(ValueError):
        rigorous.values_float(f, [1.0], deriv=True, kink="sideways")
    with pytest.raises(TypeError):
        rigorous.values_float(f, [1.0], deriv=False, dtype=np.int32)
    out = rigorous.values_float(f, np.zeros((2, 3)), deriv=False, dtype=np.float32)
    assert out.shape == (2, 3) and out.dtype == np.float32
    assert rigorous.values_text(f, [], deriv=False, digits=3) == []
    assert len(rigorous.values_text(f, [1.0], deriv=False, digits=1000)[0]) == 1001


# -- the fast paths: direct kernels and the quick rounding test ----------------------------

def _near(b):
    return [b, math.nextafter(b, 0), math.nextafter(b, math.inf)]


#: each kernel's range ends (0.125, 0.5, 1 for gelu's series) from both sides, tiny and
#: subnormal z, g′'s zero of gelu (−0.7517916...), the tails (gelu's reference stops at 1e6)
KERNEL_POINTS = sorted({s * z for s in (1.0, -1.0) for z in (
    [0.0, TINY, 3 * TINY, 1e-300, 2.0**-30, 1e-8, 0.01, 0.3, 0.7517916243, 2.0, 5.0, 8.5,
     30.0, 38.0, 1000.0, 3000.0] + _near(0.125) + _near(1024.0) + _near(0.5) + _near(1.0))})


@pytest.mark.parametrize("name,deriv", sorted(rigorous._KERNELS))
def test_kernels_enclose_the_exact_value(name, deriv):
    """Each piece's ball contains the independent reference (at 64, 128 and 512 bits) and,
    for |z| <= 10, is tight (radius near 2^−bits relative), on its range and at its ends."""
    import flint

    f = C.activation(name)
    pieces = rigorous._kernel(f, deriv)
    assert pieces, (name, deriv)
    old = flint.ctx.prec
    try:
        lo = 0.0
        for bound, kern in pieces:
            zs = [z for z in KERNEL_POINTS if lo < abs(z) <= bound or (lo == 0 and z == 0)]
            assert zs
            for bits in (64, 128, 512):
                flint.ctx.prec = bits
                g = kern(bits)
                with mpmath.workprec(bits + 80):
                    refs = [C.value(name, z, deriv) for z in zs]
                for z, ref in zip(zs, refs):
                    ball = g(flint.arb(z))
                    with mpmath.workprec(bits + 80):
                        tol = abs(ref) * mpmath.mpf(2) ** -(bits + 60)
                        inside = flint.arb(ref, flint.arb(tol))
                    assert ball.overlaps(inside), (name, deriv, bound, bits, z, ball, ref)
                    if abs(z) <= 10:  # (far out arb's erfc loses bits: a retry's business)
                        tight = abs(flint.arb(ref)) * flint.arb(2) ** (12 - bits) + (
                            2.0 ** -(bits - 4) if deriv else 0)  # (g′ near its zero: absolute)
                        assert ball.rad() <= tight, (name, deriv, bound, bits, z, ball, ref)
            lo = bound
    finally:
        flint.ctx.prec = old


@pytest.mark.parametrize("name,deriv", sorted(rigorous._KERNELS))
def test_kernels_round_correctly(name, deriv):
    """Through values_float, on the kernels' points and a random sample of each range."""
    rng = np.random.default_rng(9)
    zs = KERNEL_POINTS + (rng.choice([-1.0, 1.0], 40) * 10.0 ** rng.uniform(-4, 1.5, 40)).tolist()
    for dtype in (np.float64, np.float32):
        check_floats(name, zs, deriv, dtype)


def test_quick_rounding_test_never_accepts_a_ball_over_a_boundary():
    """A point just inside y's rounding cell is accepted as y, one just beyond the cell's
    edge (the midpoint to a neighbour; the narrower gap below a power of 2; the overflow
    threshold) as its exact rounding (tests/reference.py), and a ball around the edge is
    undecided."""
    import flint
    from fractions import Fraction

    old = flint.ctx.prec
    flint.ctx.prec = 200
    try:
        for dtype, ys in [
            (np.float64, [1.0, 1.5, 0.75, 2.0**-960, 2.0**-1022, 3.0 * 2.0**-1000,
                          float(np.finfo(np.float64).max), -1.0, -0.1]),
            (np.float32, [1.0, 1.5, float(np.float32(0.1)), 2.0**-126, 2.0**-140, -4.0,
                          float(np.finfo(np.float32).max)]),
            (np.float16, [1.0, 1.5, 2.0**-14, 2.0**-20, -2.0, 65504.0]),
            (ml_dtypes.bfloat16, [1.0, 1.5, 2.0**-126, 2.0**-130, -0.099609375,
                                 3.3895313892515355e38]),
            (ml_dtypes.float8_e5m2, [1.0, 1.5, 2.0**-14, 2.0**-16, -3.0, 57344.0]),
            (ml_dtypes.float8_e4m3fn, [1.0, 1.5, 2.0**-6, 2.0**-9, -0.75, 416.0, 448.0]),
        ]:
            accept = rigorous._accept_float(rigorous._FORMATS[np.dtype(dtype).name])
            t = np.dtype(dtype).type
            for y in ys:
                if np.dtype(dtype).itemsize <= 2:  # neighbours from the list of all values
                    every = np.arange(2 ** (8 * np.dtype(dtype).itemsize), dtype=np.uint16 if
                                      np.dtype(dtype).itemsize == 2 else np.uint8).view(dtype)
                    with np.errstate(invalid="ignore"):
                        every = np.unique(every.astype(np.float64))
                    every = every[np.isfinite(every)]
                    i = int(np.searchsorted(every, y))
                    up = float(every[i + 1]) if i + 1 < every.size else math.inf
                    dn = float(every[i - 1])
                else:
                    with np.errstate(over="ignore"):
                        up = float(np.nextafter(t(y), t(math.inf)))
                        dn = float(np.nextafter(t(y), t(-math.inf)))
                for nb, other in ((up, dn), (dn, up)):
                    if math.isinf(nb):
                        edge = Fraction(y) + (Fraction(y) - Fraction(other)) / 2  # overflow
                    else:
                        edge = (Fraction(y) + Fraction(nb)) / 2
                    for k in (Fraction(999, 1000), Fraction(1001, 1000)):
                        c = Fraction(y) + (edge - Fraction(y)) * k
                        with mpmath.workprec(2000):
                            want = C.reference.round_to(
                                mpmath.mpf(c.numerator) / c.denominator, dtype)
                        assert (want == y) == (k < 1), (dtype, y, k)  # (the cell as said)
                        got = accept(flint.arb(flint.fmpq(c.numerator, c.denominator)))
                        assert got == want or (got != got and want != want), \
                            (dtype, y, nb, k, got, want)  # (past e4m3fn's top: nan)
                    ball = flint.arb(flint.fmpq(edge.numerator, edge.denominator),
                                     flint.arb(2) ** -190 * abs(y))
                    with pytest.raises(rigorous._Undecided):
                        accept(ball)
    finally:
        flint.ctx.prec = old
