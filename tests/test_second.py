"""g″ (issue 11): every catalogue function's second derivative within 4 ULP of an independent
mpmath reference (tests/reference.py: sech²/tanh forms, not the code's e^−|z| and root
identities) on a stress grid: ±0, subnormals, the code's switch points and the roots of g″
and g′ with their float neighbours, the tails; the frameworks' values at the jumps of g″;
g″ from the output; float32/float16 correctly rounded; the refusals."""

from __future__ import annotations

import math
import os
import sys

import numpy as np
import pytest

import actgrad
from actgrad.activations import CATALOGUE

sys.path.insert(0, os.path.dirname(__file__))
import reference as R  # noqa: E402

BOUND = 4.0

#: the catalogue at its defaults, plus the parameter values with their own code paths
CASES = [(s.name, {}) for s in CATALOGUE] + [
    ("gelu", {"approximate": "tanh"}),
    ("elu", {"alpha": 0.5}),
    ("elu", {"alpha": 2.0}),
    ("celu", {"alpha": 2.0}),
    ("celu", {"alpha": 0.25}),
    ("celu", {"alpha": -1.5}),
    ("softplus", {"beta": 2.0}),
    ("softplus", {"beta": 0.3, "threshold": 20.0}),
    ("squareplus", {"b": 1.0}),
    ("squareplus", {"b": 0.0}),
    ("silu", {"beta": 1.702}),
    ("silu", {"beta": 0.1}),
]

# points where the code switches form, the roots of g″ (silu ±2.39936, mish −2.25638 and
# 1.49057, gelu ±√2, gelu tanh ±1.41850) and of g′, and the range limits
_SWITCH = [
    0.5, 0.9, 1.0, 1.2, 1.5, 2.0, 2.4, 3.0, 3.5, 6.0, 20.0, 40.0, 1000.0, 2000.0,
    2.0**-300, 2.0**300, 2.0**500, 0.7517915246935645, 1.2784645427610737,
    1.1924312145154952, 0.7524614220710163,
    2.3993572805154675, 2.256376396360793, 1.4905711794854284, 1.4142135623730951,
    1.4185040087908283,
    # quick_gelu (t = 1.702z): the roots of g′ and g″, and the window ends 1.5, 3.5 of g″
    0.7511542554412889, 1.4097281319127306, 0.8813160987074031, 2.056404230317274,
]
_TAILS = [
    5e-324, 1e-320, 2.2250738585072014e-308, 1e-300, 1e-150, 1e-30, 1e-16, 1e-8, 1e-3,
    0.1, 0.25, 4.0, 10.0, 17.0, 30.0, 36.7, 38.6, 100.0, 354.0, 360.0, 700.0, 708.4, 709.8,
    744.0, 745.2, 750.0, 1e4, 1e20, 1e150, 1e300, 1.7976931348623157e308,
    # where g″ becomes subnormal: gelu tanh, gelu, mish (z > 0), tanh, silu, softplus β = 0.3
    20.53, 21.5, 37.26, 351.38, 355.9, 707.45, 708.84, 2480.0, 5.5e102,
]


def _grid() -> np.ndarray:
    pts = {0.0, -0.0}
    for b in _SWITCH:
        for s in (1.0, -1.0):
            x = np.float64(s * b)
            pts.add(float(x))
            up = dn = x
            for _ in range(3):
                up, dn = np.nextafter(up, np.inf), np.nextafter(dn, -np.inf)
                pts.update((float(up), float(dn)))
    for b in _TAILS:
        pts.update((b, -b))
    rng = np.random.default_rng(11)
    pts.update((rng.standard_normal(60) * 3.0).tolist())
    pts.update((rng.choice([-1.0, 1.0], 30) * np.exp(rng.uniform(-40.0, 7.0, 30))).tolist())
    return np.array(sorted(pts))


GRID = _grid()


def _label(case):
    name, params = case
    return name + "".join(f"-{k}={v}" for k, v in params.items())


@pytest.mark.parametrize("case", CASES, ids=_label)
def test_second_derivative_within_4_ulp(case):
    name, params = case
    f = actgrad.get(name, **params)
    p = dict(f.params)
    jumps = set(R.second_jumps(name, p))
    z = np.array([x for x in GRID if x not in jumps])
    got = f.deriv(z, order=2)
    exact = [R.second(name, x, p) for x in z]
    err = R.ulp_error(got, exact, np.float64)
    i = int(np.argmax(err))
    assert err[i] <= BOUND, (f"{_label(case)}″({z[i]!r}) = {got[i]!r}, exact "
                             f"{R.mpmath.nstr(exact[i], 20)}: {err[i]:.3g} ULP")


def test_every_function_has_a_second_derivative_and_a_reference():
    for s in CATALOGUE:
        assert s.d2g is not None and s.exact_d2g is not None and s.d2_formula, s.name
        R.second(s.name, 0.5)  # KeyError if the reference lacks it


@pytest.mark.parametrize("case", [c for c in CASES if R.second_jumps(c[0], c[1])], ids=_label)
def test_jumps_of_g2_take_each_conventions_side(case):
    name, params = case
    f = actgrad.get(name, **params)
    p = dict(f.params)
    for at in R.second_jumps(name, p):
        for kink in R.KINKS:
            got = f.deriv(at, kink=kink, order=2)
            want = R.second_jump(name, at, kink, p)
            assert R.ulp_error(np.array([got]), [want], np.float64)[0] <= BOUND, (name, at, kink)
        if at == 0:  # −0.0 is the same point
            assert f.deriv(-0.0, kink="jax", order=2) == f.deriv(0.0, kink="jax", order=2)


def test_softplus_threshold_jump_takes_pytorchs_measured_side():
    # measured with PyTorch 2.13.0 (benchmarks/frameworks_second.py): softplus's double
    # backward multiplies by (β·z < threshold), so at z = 20 (threshold 20) it returns 0.0,
    # while its g′ there still takes the softplus branch, σ(20)
    f = actgrad.get("softplus", threshold=20.0)
    assert f.deriv(20.0, order=2) == 0.0
    left = float(R.second("softplus", 20.0, {"threshold": math.inf}))
    assert f.deriv(20.0, kink="jax", order=2) == pytest.approx(left, rel=1e-15)
    assert f.deriv(20.0) == pytest.approx(float(R.pair("softplus", dict(f.params))(20.0)[1]),
                                          rel=1e-15)
    # where fl(β·z_t) stays below the threshold, PyTorch gives the softplus side:
    # 2.0056574012150296e-12 (its a(1 − a) loses 4 digits; the exact value is 2.00521e-12)
    beta, th = 5.094572997602054, 28.563447193452124
    g = actgrad.get("softplus", beta=beta, threshold=th)
    (k,) = g.kinks2
    assert k.at == 5.606642049666684 and beta * k.at < th
    got = g.deriv(k.at, order=2)
    assert got == pytest.approx(2.0056574012150296e-12, rel=1e-3)
    want = R.second("softplus", k.at, {"beta": beta, "threshold": math.inf})
    assert R.ulp_error(np.array([got]), [want], np.float64)[0] <= BOUND


def test_the_frameworks_tail_failures_are_not_repeated():
    # rebuilt from the rounded output, sigmoid″(40) = a(1 − a)(1 − 2a) is 0 and tanh″(20)
    # = −2a(1 − a²) is 0; the true values are −4.2e-18 and −3.4e-17
    for name, x in (("sigmoid", 40.0), ("tanh", 20.0), ("silu", 40.41), ("log_sigmoid", 40.0),
                    ("log_sigmoid", -40.0), ("sigmoid", -745.0), ("tanh", -370.0)):
        got = actgrad.get(name).deriv(x, order=2)
        exact = R.second(name, x)
        assert got != 0 and R.ulp_error(np.array([got]), [exact], np.float64)[0] <= BOUND


def test_odd_and_even_at_signed_zero_and_symmetric():
    z = np.concatenate([GRID[GRID > 0], -GRID[GRID > 0]])
    for name, parity in (("sigmoid", -1), ("tanh", -1), ("tanhshrink", -1), ("silu", 1),
                         ("gelu", 1), ("softsign", -1), ("squareplus", 1)):
        d = actgrad.get(name).deriv(z, order=2)
        n = z.size // 2
        assert np.array_equal(d[:n], parity * d[n:]), name


def test_nan_gives_nan_and_infinities_their_limits():
    # g″ → 0 at ±∞ but for exponential (e^z → ∞), relu2 (2) and log1mexp (nan below 0)
    limits = {"exponential": (np.inf, 0.0), "relu2": (2.0, 0.0), "log1mexp": (0.0, np.nan)}
    for s in CATALOGUE:
        f = actgrad.get(s.name)
        d = f.deriv(np.array([np.nan, np.inf, -np.inf]), order=2)
        # (xielu″ → 2α_p at +∞: the independent reference's value)
        want = limits.get(s.name, (float(R.second(s.name, np.inf)), 0.0))
        assert np.isnan(d[0]) and np.array_equal(d[1:], want, equal_nan=True), s.name
    assert actgrad.get("celu", alpha=-1.5).deriv(-np.inf, order=2) == -np.inf


# -- g″ from the output -----------------------------------------------------------------

FROM_OUTPUT = [("sigmoid", {}), ("tanh", {}), ("softplus", {}), ("softplus", {"beta": 3.0}),
               ("log_sigmoid", {}), ("elu", {}), ("elu", {"alpha": 0.5}), ("selu", {}),
               ("celu", {}), ("celu", {"alpha": 2.0}), ("softsign", {}), ("squareplus", {}),
               ("squareplus", {"b": 1e-300}), ("relu", {}), ("relu6", {}), ("sparse_plus", {}),
               ("relu2", {}), ("step", {}), ("exponential", {}), ("log1mexp", {})]


@pytest.mark.parametrize("case", FROM_OUTPUT, ids=_label)
def test_second_from_output_within_4_ulp(case):
    name, params = case
    f = actgrad.get(name, **params)
    p = dict(f.params)
    z = GRID[np.abs(GRID) < 1e5]
    jumps = {float(f(np.float64(at))) for at in R.second_jumps(name, p)}
    a = np.unique(np.asarray(f(z), dtype=np.float64))
    a = a[~np.isin(a, list(jumps))]
    got = f.deriv_from_output(a, order=2)
    exact = [R.second_from_output(name, x, p) for x in a]
    err = R.ulp_error(got, exact, np.float64)
    i = int(np.argmax(err))
    assert err[i] <= BOUND, f"{_label(case)}: a = {a[i]!r}: {got[i]!r}, {err[i]:.3g} ULP"


def test_second_from_output_refusals_and_conventions():
    for name in ("silu", "gelu", "mish", "tanhshrink", "hard_swish"):
        with pytest.raises(ValueError, match="not a function of its output|no closed form"):
            actgrad.get(name).deriv_from_output(0.5, order=2)
        assert actgrad.get(name).from_output_unavailable(order=2)
    with pytest.raises(actgrad.registry.OutputRangeError):
        actgrad.get("sigmoid").deriv_from_output(1.5, order=2)
    with pytest.raises(actgrad.registry.OutputRangeError):
        actgrad.get("hardshrink").deriv_from_output(0.3, order=2)  # a gap of the range
    elu = actgrad.get("elu", alpha=0.5)
    assert elu.deriv_from_output(0.0, kink="pytorch", order=2) == 0.0
    assert elu.deriv_from_output(0.0, kink="jax", order=2) == 0.5
    assert actgrad.get("softsign").deriv_from_output(0.0, kink="jax", order=2) == -2.0


# -- dtypes and refusals ------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_small_dtypes_correctly_rounded(dtype):
    rng = np.random.default_rng(3)
    z = np.unique(np.concatenate([rng.standard_normal(40) * 4, [0.0, 1e-5, -7.0, 30.0]])
                  ).astype(dtype)
    for name in ("sigmoid", "tanh", "silu", "mish", "gelu", "elu", "softsign", "softplus",
                 "hard_swish"):
        f = actgrad.get(name)
        got = f.deriv(z, order=2)
        assert got.dtype == np.dtype(dtype)
        p = dict(f.params)
        jumps = R.second_jumps(name, p)
        want = [R.round_to(R.second_jump(name, float(x), "pytorch", p) if float(x) in jumps
                           else R.second(name, float(x), p), dtype) for x in z]
        assert np.array_equal(got.astype(np.float64), np.array(want)), name
        a = np.asarray(f(z))
        if f.from_output_unavailable(order=2) is None:
            fo = f.deriv_from_output(a, order=2)
            assert fo.dtype == np.dtype(dtype)


def test_order_refused_unless_1_to_20():
    # (orders 3 to 20: tests/test_series.py)
    f = actgrad.get("tanh")
    assert f.deriv(0.5, order=1) == f.deriv(0.5)
    for bad in (0, 21, True, 2.0, "2", None):
        with pytest.raises(ValueError, match="order must be an integer from 1 to 20"):
            f.deriv(0.5, order=bad)
        with pytest.raises(ValueError, match="order must be an integer from 1 to 20"):
            f.deriv_from_output(0.5, order=bad)


def test_rigorous_path_gives_g2_digits_and_float64():
    # --exact / --digits for order 2: numerics.rigorous with deriv=2 (ball arithmetic on
    # Spec.exact_d2g), checked against the independent reference
    from actgrad.numerics import rigorous

    cases = [("sigmoid", 40.0), ("tanh", -0.75), ("silu", 2.3993572805154675),
             ("mish", -2.256376396360793), ("gelu", 1.4142135623730951), ("softsign", 0.0),
             ("celu", 0.0), ("hard_swish", 3.0), ("softplus", -30.0)]
    for name, x in cases:
        f = actgrad.get(name)
        p = dict(f.params)
        jumps = R.second_jumps(name, p)
        want = R.second_jump(name, x, "jax", p) if x in jumps else R.second(name, x, p)
        text = rigorous.values_text(f, [x], deriv=2, kink="jax", digits=25)[0]
        with R.mpmath.workdps(40):
            assert abs(R.mpmath.mpf(text) - want) <= abs(want) * R.mpmath.mpf(10) ** -24, name
        assert rigorous.values_float(f, [x], deriv=2, kink="jax")[0] == R.round_to(want,
                                                                                  np.float64)


def test_second_from_output_small_dtypes_correctly_rounded():
    z = np.linspace(-6.0, 6.0, 97).astype(np.float32)
    for name in ("sigmoid", "tanh", "softplus", "elu", "softsign", "log_sigmoid", "squareplus"):
        f = actgrad.get(name)
        p = dict(f.params)
        a = np.unique(np.asarray(f(z)))
        a = a[a != f(np.float32(0.0))] if R.second_jumps(name, p) else a
        got = f.deriv_from_output(a, order=2)
        assert got.dtype == np.float32
        want = [R.round_to(R.second_from_output(name, float(v), p), np.float32) for v in a]
        assert np.array_equal(got.astype(np.float64), np.array(want)), name
