"""Accuracy tests: actgrad (float64 / float32) versus mpmath at 60 digits.

All references come from ``tests/reference.py`` (independent mpmath formulas,
exact rounding and ULP helpers); no actgrad code is used to compute them.

Tolerances
* float64: max error <= 4 ULP for g and g' (every kink convention).
* float32 inputs: <= 1 ULP against the exact value (at the exact float32
  input) correctly rounded to float32.
* deriv_from_output: <= 2 ULP (float64), <= 1 ULP (float32) against the
  exact a*(1-a) / (1-a)*(1+a) of the float a.

Every call into actgrad goes through :func:`call`, which runs it under
``np.errstate(all="raise")`` and ``warnings.simplefilter("error")`` so any
floating-point warning (overflow, underflow, invalid, divide) fails the test.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
import sys

import mpmath
import numpy as np
import pytest
from mpmath import mpf

sys.path.insert(0, os.path.dirname(__file__))
import reference as ref  # noqa: E402
from conftest import call, neighbours  # noqa: E402

import actgrad  # noqa: E402

NAMES = ("sigmoid", "tanh", "relu", "leaky_relu")
SMOOTH = ("sigmoid", "tanh")
PIECEWISE = ("relu", "leaky_relu")
KINKS = ref.KINKS

TOL64 = 4.0
TOL32 = 1.0
TOL64_FROM_OUTPUT = 2.0
TOL32_FROM_OUTPUT = 1.0

DTYPES = {"float64": np.float64, "float32": np.float32}
TOLS = {"float64": TOL64, "float32": TOL32}

F64_MAX = np.finfo(np.float64).max
F32_MAX = float(np.finfo(np.float32).max)
F64_TINY = 2.0**-1074
F32_TINY = 2.0**-149


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def act(name, **params):
    return actgrad.get(name, **params)


def check_ulp(label, z, got, exact, dtype, tol, var="z"):
    """Assert max ULP error <= tol; on failure report the worst point."""
    z = np.asarray(z)
    got = np.asarray(got)
    assert got.shape == z.shape, f"{label}: shape {got.shape} != input shape {z.shape}"
    assert got.dtype == np.dtype(dtype), f"{label}: dtype {got.dtype} != {np.dtype(dtype)}"
    if not isinstance(exact, ref.Prepared):
        exact = ref.prepare(exact, dtype)
    err = ref.ulp_error(got, exact, dtype).reshape(-1)
    i = int(np.argmax(err))
    worst = float(err[i])
    if not worst <= tol:
        nbad = int(np.sum(err > tol))
        with mpmath.workdps(25):
            ex = mpmath.nstr(exact.exact[i], 20)
        pytest.fail(
            f"{label}: max ULP error {worst:.4g} > {tol} at {var}={float(z.reshape(-1)[i])!r} "
            f"(got {float(got.reshape(-1)[i])!r}, correctly rounded {float(exact.rounded[i])!r}, "
            f"exact {ex}); {nbad}/{err.size} points over tolerance",
            pytrace=False,
        )
    return worst


# --------------------------------------------------------------------------
# grids (deterministic, cached)
# --------------------------------------------------------------------------

# Points where implementations typically switch formulas or lose accuracy:
# sigmoid's 1-a rounding to 0 (~36.7), exp over/underflow (709.78, 745.13),
# tanh rounding to 1 (~19.06), tanh' underflow (~372.5), typical cutoffs.
LANDMARKS64 = [
    1.0, 2.0, 10.0, 15.0, 17.0, 18.0, 18.5, 19.0, 19.06, 20.0, 22.0, 30.0,
    33.27, 36.0, 36.04, 36.74, 37.0, 40.0, 44.0, 50.0, 88.72, 100.0, 350.0,
    354.89, 372.5, 372.55, 700.0, 708.39, 709.0, 709.78, 709.7827128933840,
    710.0, 744.44, 745.0, 745.13, 745.1332191019412, 746.0, 1e308,
    2.2250738585072014e-308,
]
LANDMARKS32 = [
    1.0, 2.0, 8.0, 9.0, 9.01, 10.0, 15.0, 16.6, 17.33, 20.0, 43.0, 44.0,
    51.0, 52.0, 52.68, 87.0, 87.34, 88.0, 88.72, 100.0, 103.28, 103.97,
    104.0, 1e38, 3.4e38, 1.1754943508222875e-38,
]


@functools.lru_cache(maxsize=None)
def grid64() -> np.ndarray:
    with np.errstate(all="ignore"):
        return _grid64()


def _grid64() -> np.ndarray:
    rng = np.random.default_rng(20240917)
    parts = [
        # dense core
        np.linspace(-20.0, 20.0, 4001),
        rng.uniform(-20.0, 20.0, 6000),
        rng.normal(0.0, 3.0, 1000),
        # magnitudes from subnormal to huge (both signs added below)
        np.logspace(-320, 300, 621),
        10.0 ** rng.uniform(-323.0, 307.0, 1500),
        # sigmoid' = a(1-a) breaks: 1-a -> 0 near 36.7, exp limits 709.78/745.13
        np.linspace(30.0, 45.0, 1001),
        np.linspace(700.0, 760.0, 1201),
        rng.uniform(700.0, 750.0, 500),
        # tanh' tail: 1 - tanh^2 breaks from ~18, underflow at ~372.5
        np.linspace(15.0, 25.0, 501),
        np.geomspace(18.0, 380.0, 1000),
        np.linspace(350.0, 380.0, 301),
        # powers of two, every binade incl. all subnormal ones
        np.ldexp(1.0, np.arange(-1074, 1024)),
        np.ldexp(1.5, np.arange(-1074, 1023)),
        # extremes and zero neighbours (kink at 0)
        np.array([F64_MAX, np.nextafter(F64_MAX, 0.0)]),
        np.arange(1, 17) * F64_TINY,
        np.array(neighbours(2.2250738585072014e-308, 4, np.float64)),
    ]
    for x in LANDMARKS64:
        parts.append(np.array(neighbours(x, 3, np.float64)))
    z = np.concatenate(parts)
    z = np.abs(z[np.isfinite(z)])
    z = np.unique(z[z > 0])
    return np.concatenate([[0.0, -0.0], z, -z]).astype(np.float64)


@functools.lru_cache(maxsize=None)
def grid32() -> np.ndarray:
    with np.errstate(all="ignore"):
        return _grid32()


def _grid32() -> np.ndarray:
    rng = np.random.default_rng(17092024)
    z64 = grid64()
    z64 = z64[np.abs(z64) <= F32_MAX]
    parts = [
        np.abs(z64).astype(np.float32),
        rng.uniform(-20.0, 20.0, 3000).astype(np.float32),
        np.logspace(-45, 38, 400).astype(np.float32),
        (10.0 ** rng.uniform(-45.0, 38.5, 800)).astype(np.float32),
        # float32 breaks: sigmoid' subnormal from ~87.3, 0 at ~103.9;
        # tanh -> 1 at ~9.01, tanh' underflow ~52
        np.linspace(80.0, 110.0, 601).astype(np.float32),
        np.linspace(5.0, 60.0, 1101).astype(np.float32),
        np.ldexp(np.float32(1.0), np.arange(-149, 128)).astype(np.float32),
        np.ldexp(np.float32(1.5), np.arange(-149, 127)).astype(np.float32),
        np.array([F32_MAX, np.nextafter(np.float32(F32_MAX), np.float32(0))], dtype=np.float32),
        (np.arange(1, 17) * F32_TINY).astype(np.float32),
    ]
    for x in LANDMARKS32:
        parts.append(np.array(neighbours(x, 3, np.float32), dtype=np.float32))
    z = np.concatenate(parts).astype(np.float32)
    z = np.abs(z[np.isfinite(z)])
    z = np.unique(z[z > 0])
    return np.concatenate([np.array([0.0, -0.0], dtype=np.float32), z, -z]).astype(np.float32)


GRIDS = {"float64": grid64, "float32": grid32}


@functools.lru_cache(maxsize=None)
def exact_values(name: str, dtype_name: str, kind: str, kink: str = "pytorch") -> tuple:
    """mpmath references on the grid (kind: 'value' or 'deriv')."""
    z = GRIDS[dtype_name]()
    if kind == "value":
        return tuple(ref.value(name, x) for x in z)
    if kink != "pytorch" and name in PIECEWISE:
        # conventions differ only at z == 0: reuse the cached default
        base = list(exact_values(name, dtype_name, kind, "pytorch"))
        for i in np.flatnonzero(z == 0):
            base[i] = ref.deriv(name, z[i], kink)
        return tuple(base)
    return tuple(ref.deriv(name, x, kink) for x in z)


@functools.lru_cache(maxsize=None)
def prepared(name: str, dtype_name: str, kind: str, kink: str = "pytorch") -> ref.Prepared:
    exact = exact_values(name, dtype_name, kind, kink)
    dtype = DTYPES[dtype_name]
    if kind == "deriv" and kink != "pytorch" and name in PIECEWISE:
        # only the z == 0 entries differ from the default convention
        base = prepared(name, dtype_name, kind, "pytorch")
        idx = np.flatnonzero(GRIDS[dtype_name]() == 0)
        sub = ref.prepare([exact[i] for i in idx], dtype)
        fields = {}
        for f in ("rounded", "ulp", "frac", "nan", "over"):
            arr = getattr(base, f).copy()
            arr[idx] = getattr(sub, f)
            fields[f] = arr
        return dataclasses.replace(base, exact=exact, **fields)
    return ref.prepare(exact, dtype)


# --------------------------------------------------------------------------
# self-tests of the reference / ULP helpers (independent of actgrad)
# --------------------------------------------------------------------------


def _random_f64_bits(rng, n):
    bits = rng.integers(0, 2**63, n, dtype=np.uint64) | (
        rng.integers(0, 2, n, dtype=np.uint64) << np.uint64(63)
    )
    x = bits.view(np.float64)
    return x[np.isfinite(x)]


def test_round_to_float32_matches_numpy_cast():
    """numpy's float64 -> float32 cast is correctly rounded; ours must agree,
    including ties (low 29 bits == 0x10000000), subnormals and overflow."""
    rng = np.random.default_rng(1)
    x = _random_f64_bits(rng, 4000)
    # bring into / around the float32 exponent range
    x = np.ldexp(np.frexp(x)[0], rng.integers(-160, 135, x.size))
    ties = (x.view(np.uint64) & ~np.uint64(0x1FFFFFFF)) | np.uint64(0x10000000)
    x = np.concatenate([x, ties.view(np.float64), [3.4028235677973366e38, 3.4028235e38, 1.401298464324817e-45 / 2]])
    with np.errstate(all="ignore"):
        want = x.astype(np.float32)
    got = np.array([ref.round_to(mpf(float(v)), np.float32) for v in x], dtype=np.float64)
    mismatch = np.flatnonzero(got.astype(np.float32).view(np.uint32) != want.view(np.uint32))
    assert mismatch.size == 0, f"first mismatch at x={x[mismatch[0]]!r}"


def test_round_to_float64():
    rng = np.random.default_rng(2)
    x = _random_f64_bits(rng, 3000)
    x = np.concatenate([x, np.arange(1, 20) * F64_TINY, [F64_MAX, 2.2250738585072014e-308]])
    with mpmath.workdps(80):
        for v in x:
            v = float(v)
            assert ref.round_to(mpf(v), np.float64) == v
            up, down = math.nextafter(v, math.inf), math.nextafter(v, -math.inf)
            if math.isfinite(up) and math.isfinite(down):
                # points a quarter / three quarters of the way to the neighbours
                q_up = mpf(v) + (mpf(float(up)) - mpf(v)) / 4
                q_dn = mpf(v) + (mpf(float(down)) - mpf(v)) * 3 / 4
                assert ref.round_to(q_up, np.float64) == v
                assert ref.round_to(q_dn, np.float64) == float(down)
        # a 60-digit value just above a float32 tie: pre-rounding it to 53 bits
        # would create a tie and round down (double rounding)
        with mpmath.workdps(60):
            above_tie = 1 + mpf(2) ** -24 + mpf(2) ** -60
        assert ref.round_to(above_tie, np.float32) == 1 + 2.0**-23
        assert ref.round_to(-above_tie, np.float32) == -(1 + 2.0**-23)
        # double-rounding trap of float(mpf) in the subnormal range
        t = mpf(2) ** -1075 * (1 + mpf(2) ** -60)
        assert ref.round_to(t, np.float64) == F64_TINY
        assert ref.round_to(-t, np.float64) == -F64_TINY
        assert ref.round_to(mpf(2) ** -1075, np.float64) == 0.0  # tie -> even (0)
        assert ref.round_to(mpf(3) * mpf(2) ** -1075, np.float64) == 2 * F64_TINY
        # overflow threshold: max + half ulp rounds to inf, just below does not
        half_ulp = mpf(2) ** (1023 - 53)
        assert ref.round_to(mpf(F64_MAX) + half_ulp, np.float64) == math.inf
        assert ref.round_to(mpf(F64_MAX) + half_ulp * (1 - mpf(2) ** -100), np.float64) == F64_MAX
        assert ref.round_to(-mpf(10) ** 400, np.float64) == -math.inf
        assert ref.round_to(mpf(10) ** 39, np.float32) == math.inf


def test_ulp_error_helper_basics():
    f64, f32 = np.float64, np.float32
    e = ref.ulp_error
    assert e(np.array([1.0]), [mpf(1)], f64)[0] == 0
    assert e(np.array([np.nextafter(1.0, 2.0)]), [mpf(1)], f64)[0] == 1  # ulp(1) = 2**-52
    assert e(np.array([1.5 + 2**-52]), [mpf(1.5)], f64)[0] == 1
    assert e(np.array([np.float32(1.5) + np.float32(2**-23)]), [mpf(1.5)], f32)[0] == 1
    # +-0 equal; zero exact measured in subnormal spacings
    assert e(np.array([-0.0]), [mpf(0)], f64)[0] == 0
    assert e(np.array([3 * F64_TINY]), [mpf(0)], f64)[0] == 3
    assert e(np.array([np.float32(2 * F32_TINY)]), [mpf(0)], f32)[0] == 2
    # subnormal spacing
    assert e(np.array([5 * F64_TINY]), [mpf(4) * mpf(2) ** -1074], f64)[0] == 1
    # overflow of the exact value
    assert e(np.array([np.inf]), [mpf(10) ** 400], f64)[0] == 0
    assert e(np.array([-np.inf]), [mpf(10) ** 400], f64)[0] == math.inf
    assert e(np.array([F64_MAX]), [mpf(10) ** 400], f64)[0] == math.inf
    assert e(np.array([np.float32(np.inf)]), [mpf(10) ** 39], f32)[0] == 0
    # got inf / nan for a finite exact value
    assert e(np.array([np.inf]), [mpf(1)], f64)[0] == math.inf
    assert e(np.array([np.nan]), [mpf(1)], f64)[0] == math.inf
    assert e(np.array([np.nan]), [mpmath.nan], f64)[0] == 0
    assert e(np.array([1.0]), [mpmath.nan], f64)[0] == math.inf
    # a half-way exact value is 0.5 ULP from both neighbours
    with mpmath.workdps(60):
        half = 1 + mpf(2) ** -53
    assert e(np.array([1.0]), [half], f64)[0] == 0.5
    assert e(np.array([1.0 + 2**-52]), [half], f64)[0] == 0.5


def _naive_sigmoid_deriv(z):
    with np.errstate(all="ignore"):
        a = 1.0 / (1.0 + np.exp(-z))
        return a * (1.0 - a)


def _naive_tanh_deriv(z):
    with np.errstate(all="ignore"):
        return 1.0 - np.tanh(z) ** 2


@pytest.mark.parametrize(
    "name,naive", [("sigmoid", _naive_sigmoid_deriv), ("tanh", _naive_tanh_deriv)]
)
def test_naive_derivatives_are_detected(name, naive):
    """The helper must flag the textbook forms a(1-a) and 1-tanh^2 as badly
    inaccurate (in float64 and in float32 arithmetic)."""
    z = grid64()
    err = ref.ulp_error(naive(z), prepared(name, "float64", "deriv"))
    assert err.max() > 1e6
    with pytest.raises(pytest.fail.Exception, match=r"max ULP error .* at z="):
        check_ulp(f"naive {name}'", z, naive(z), prepared(name, "float64", "deriv"), np.float64, TOL64)

    z32 = grid32()
    got32 = naive(z32)  # float32 arithmetic throughout
    assert got32.dtype == np.float32
    err32 = ref.ulp_error(got32, prepared(name, "float32", "deriv"))
    assert err32.max() > TOL32


# --------------------------------------------------------------------------
# float64 / float32 grid accuracy
# --------------------------------------------------------------------------


@pytest.mark.parametrize("dtype_name", ["float64", "float32"])
@pytest.mark.parametrize("name", NAMES)
def test_value_accuracy(name, dtype_name):
    z = GRIDS[dtype_name]()
    got = call(act(name), z)
    check_ulp(f"{name}(z) [{dtype_name}]", z, got, prepared(name, dtype_name, "value"),
              DTYPES[dtype_name], TOLS[dtype_name])


@pytest.mark.parametrize("dtype_name", ["float64", "float32"])
@pytest.mark.parametrize("name", NAMES)
def test_deriv_accuracy_default_kink(name, dtype_name):
    z = GRIDS[dtype_name]()
    got = call(act(name).deriv, z)  # default kink == "pytorch"
    check_ulp(f"{name}'(z) [{dtype_name}]", z, got, prepared(name, dtype_name, "deriv", "pytorch"),
              DTYPES[dtype_name], TOLS[dtype_name])


@pytest.mark.parametrize("dtype_name", ["float64", "float32"])
@pytest.mark.parametrize("kink", KINKS)
@pytest.mark.parametrize("name", PIECEWISE)
def test_deriv_accuracy_each_kink(name, kink, dtype_name):
    """Whole grid (incl. +-0) under each convention: agrees with the
    reference everywhere, the convention only matters at z == 0."""
    z = GRIDS[dtype_name]()
    got = call(act(name).deriv, z, kink=kink)
    check_ulp(f"{name}'(z, kink={kink}) [{dtype_name}]", z, got,
              prepared(name, dtype_name, "deriv", kink), DTYPES[dtype_name], TOLS[dtype_name])


@pytest.mark.parametrize("kink", KINKS)
@pytest.mark.parametrize("name", SMOOTH)
def test_smooth_deriv_ignores_kink(name, kink):
    for dtype_name in ("float64", "float32"):
        z = GRIDS[dtype_name]()
        a = call(act(name).deriv, z)
        b = call(act(name).deriv, z, kink=kink)
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kink", KINKS)
@pytest.mark.parametrize("name", PIECEWISE)
def test_kink_exactly_at_zero(name, kink, dtype):
    z = np.array([0.0, -0.0], dtype=dtype)
    got = call(act(name).deriv, z, kink=kink)
    k = ref.kink_value(name, kink)
    check_ulp(f"{name}'(+-0, kink={kink}) [{np.dtype(dtype)}]", z, got, [k, k], dtype,
              TOL64 if dtype == np.float64 else TOL32)
    expected = {
        ("relu", "pytorch"): 0.0, ("relu", "jax"): 0.0, ("relu", "left"): 0.0,
        ("relu", "right"): 1.0, ("relu", "mean"): 0.5,
        ("leaky_relu", "pytorch"): 0.01, ("leaky_relu", "jax"): 1.0,
        ("leaky_relu", "left"): 0.01, ("leaky_relu", "right"): 1.0,
        ("leaky_relu", "mean"): (0.01 + 1.0) / 2,
    }[(name, kink)]
    # hand-derived expectations: exact (0.505 within 1 ULP of the float formula)
    np.testing.assert_allclose(got.astype(np.float64), np.float64(dtype(expected)),
                               rtol=2.0**-52, atol=0)


CUSTOM_SLOPE = 0.2


@functools.lru_cache(maxsize=None)
def custom_slope_refs(dtype_name: str, kind: str, kink: str = "pytorch"):
    """(z, Prepared) for leaky_relu with negative_slope=0.2 on a subgrid."""
    z = GRIDS[dtype_name]()[::5]
    s = mpf(CUSTOM_SLOPE)
    if kind == "value":
        exact = [ref.leaky_relu(x, s) for x in z]
    else:
        exact = [ref.leaky_relu_deriv(x, kink, s) for x in z]
    return z, ref.prepare(exact, DTYPES[dtype_name])


@pytest.mark.parametrize("dtype_name", ["float64", "float32"])
@pytest.mark.parametrize("kink", KINKS)
def test_leaky_relu_custom_slope(kink, dtype_name):
    f = act("leaky_relu", negative_slope=CUSTOM_SLOPE)
    dtype, tol = DTYPES[dtype_name], TOLS[dtype_name]
    z, exact = custom_slope_refs(dtype_name, "value")
    check_ulp(f"leaky_relu(z; s={CUSTOM_SLOPE}) [{dtype_name}]", z, call(f, z), exact, dtype, tol)
    z, exact = custom_slope_refs(dtype_name, "deriv", kink)
    check_ulp(f"leaky_relu'(z; s={CUSTOM_SLOPE}, kink={kink}) [{dtype_name}]", z,
              call(f.deriv, z, kink=kink), exact, dtype, tol)


@pytest.mark.parametrize("name", NAMES)
def test_float32_is_the_exact_value_rounded_once(name):
    """Spec: float32 in -> float32 out, the exact value correctly rounded (once). Where the
    float64 result (within 4 ULP, tested above) is more than 8 ULP from a float32 rounding
    boundary, its rounding is the exact value's; elsewhere the mpmath reference decides."""
    from actgrad.registry import _near_boundary

    z32 = grid32()
    f = act(name)
    for kind, meth in (("g", f), ("dg", f.deriv)):
        got = call(meth, z32)
        assert got.dtype == np.float32
        r = call(meth, z32.astype(np.float64))
        want = r.astype(np.float32)
        for i in np.flatnonzero(_near_boundary(r, np.dtype(np.float32))):
            x = float(z32[i])
            exact = ref.value(name, x) if kind == "g" else ref.deriv(name, x)
            want[i] = ref.round_to(exact, np.float32)
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("name", NAMES)
def test_vectorised_shape(name):
    z = grid64()[: 6 * 500].reshape(6, 50, 10)
    f = act(name)
    for meth in (f, f.deriv):
        got = call(meth, z)
        assert got.shape == z.shape
        np.testing.assert_array_equal(got.reshape(-1), call(meth, z.reshape(-1)))


# --------------------------------------------------------------------------
# lecture checks with hand-derived expectations
# --------------------------------------------------------------------------


def test_lecture_derivatives_at_zero():
    z = np.array([0.0, -0.0])
    assert np.all(call(act("sigmoid").deriv, z) == 0.25)
    assert np.all(call(act("tanh").deriv, z) == 1.0)
    assert np.all(call(act("sigmoid"), z) == 0.5)
    assert np.all(call(act("tanh"), z) == 0.0)


@pytest.mark.parametrize("name", SMOOTH)
def test_lecture_derivative_at_pm10(name):
    z = np.array([10.0, -10.0])
    got = call(act(name).deriv, z)
    exact = [ref.deriv(name, x) for x in z]
    check_ulp(f"{name}'(+-10)", z, got, exact, np.float64, TOL64)
    assert np.all(got > 0) and np.all(got < 1e-4)


def test_lecture_sigmoid_deriv_at_40_repr():
    expected_repr = "4.248354255291589e-18"
    # first confirm the quoted number really is mpmath's correctly rounded value
    exact = ref.sigmoid_deriv(40.0)
    assert repr(ref.round_f64(exact)) == expected_repr
    got = call(act("sigmoid").deriv, np.array([40.0]))
    assert repr(float(got[0])) == expected_repr
    # and the naive a(1-a) form is catastrophically wrong there (a rounds to ~1)
    assert abs(_naive_sigmoid_deriv(np.array([40.0]))[0] - float(exact)) > 1e-18


# --------------------------------------------------------------------------
# deriv_from_output
# --------------------------------------------------------------------------


@functools.lru_cache(maxsize=None)
def outputs(name: str, dtype_name: str) -> np.ndarray:
    """Float outputs a to feed deriv_from_output."""
    rng = np.random.default_rng(99)
    dt = DTYPES[dtype_name]
    eps = np.finfo(dt).eps / 2  # spacing just below 1
    tiny = F64_TINY if dt == np.float64 else F32_TINY
    k = np.arange(1, 3001, dtype=np.float64)
    near_one = np.concatenate([1.0 - k * eps, 1.0 - np.unique(np.round(np.geomspace(1, 2**20, 400))) * eps])
    small = np.concatenate([np.logspace(np.log10(tiny), -1, 600), np.arange(1, 17) * tiny])
    # also exactly the (correctly rounded) outputs of g on the z grid
    from_g = prepared(name, dtype_name, "value").rounded[::3]
    if name == "sigmoid":
        a = np.concatenate([rng.uniform(0, 1, 3000), near_one, small, 1 - small, [0.0, 0.5, 1.0], from_g])
    else:
        base = np.concatenate([rng.uniform(0, 1, 2000), near_one, small, [0.5, 1.0]])
        a = np.concatenate([base, -base, [0.0, -0.0], from_g])
    a = a.astype(dt)
    return a[(a >= -1) & (a <= 1)] if name == "tanh" else a[(a >= 0) & (a <= 1)]


@pytest.mark.parametrize("dtype_name", ["float64", "float32"])
@pytest.mark.parametrize("name", SMOOTH)
def test_deriv_from_output_accuracy(name, dtype_name):
    a = outputs(name, dtype_name)
    got = call(act(name).deriv_from_output, a)
    exact = [ref.FROM_OUTPUT[name](x) for x in a]
    tol = TOL64_FROM_OUTPUT if dtype_name == "float64" else TOL32_FROM_OUTPUT
    check_ulp(f"{name}.deriv_from_output(a) [{dtype_name}]", a, got, exact, DTYPES[dtype_name], tol, var="a")


def test_naive_tanh_from_output_is_detected():
    a = outputs("tanh", "float64")
    naive = 1.0 - a * a
    err = ref.ulp_error(naive, [ref.tanh_deriv_from_output(x) for x in a], np.float64)
    assert err.max() > TOL64_FROM_OUTPUT


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_deriv_from_output_piecewise(dtype):
    pos = np.array([F64_TINY, F32_TINY, 1e-30, 0.5, 1.0, 3.0, 1e30, np.inf], dtype=dtype)
    pos = pos[pos > 0]
    relu = act("relu")
    got = call(relu.deriv_from_output, np.concatenate([pos, np.array([0.0, -0.0], dtype=dtype)]))
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, np.concatenate([np.ones(pos.size), [0.0, 0.0]]).astype(dtype))
    for s in (0.01, 0.2):
        leaky = act("leaky_relu", negative_slope=s) if s != 0.01 else act("leaky_relu")
        got = call(leaky.deriv_from_output, np.concatenate([pos, -pos]))
        assert got.dtype == dtype
        want = np.array([ref.round_to(ref.leaky_relu_deriv_from_output(x, mpf(s)), dtype)
                         for x in np.concatenate([pos, -pos])]).astype(dtype)
        np.testing.assert_array_equal(got, want)


# --------------------------------------------------------------------------
# specials: +-inf, nan
# --------------------------------------------------------------------------

INF, NAN = math.inf, math.nan
S = 0.01
SPECIALS = {
    # name: (g(inf), g(-inf), g'(inf), g'(-inf))
    "sigmoid": (1.0, 0.0, 0.0, 0.0),
    "tanh": (1.0, -1.0, 0.0, 0.0),
    "relu": (INF, 0.0, 1.0, 0.0),
    "leaky_relu": (INF, -INF, 1.0, S),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", NAMES)
def test_specials(name, dtype):
    z = np.array([INF, -INF, NAN], dtype=dtype)
    f = act(name)
    gi, gni, di, dni = SPECIALS[name]
    got = call(f, z)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, np.array([gi, gni, NAN], dtype=dtype))
    # the mpmath reference agrees with the hand table
    assert [ref.round_to(ref.value(name, x), dtype) for x in z[:2]] == [gi, gni]
    for kink in (None,) + KINKS:
        got = call(f.deriv, z) if kink is None else call(f.deriv, z, kink=kink)
        assert got.dtype == dtype
        np.testing.assert_array_equal(got, np.array([di, dni, NAN], dtype=dtype), err_msg=f"kink={kink}")
        k = kink or "pytorch"
        assert np.array_equal(
            np.array([ref.round_to(ref.deriv(name, x, k), dtype) for x in z], dtype=dtype),
            np.array([di, dni, NAN], dtype=dtype), equal_nan=True)
    got = call(f.deriv_from_output, np.array([NAN], dtype=dtype))
    assert got.dtype == dtype and np.isnan(got[0])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_specials_from_output(dtype):
    sig, th = act("sigmoid"), act("tanh")
    np.testing.assert_array_equal(call(sig.deriv_from_output, np.array([0.0, 1.0], dtype=dtype)), [0.0, 0.0])
    np.testing.assert_array_equal(call(th.deriv_from_output, np.array([1.0, -1.0, 0.0], dtype=dtype)), [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(call(act("relu").deriv_from_output, np.array([INF], dtype=dtype)), [1.0])
    got = call(act("leaky_relu").deriv_from_output, np.array([INF, -INF], dtype=dtype))
    np.testing.assert_array_equal(got, np.array([1.0, S], dtype=dtype))
