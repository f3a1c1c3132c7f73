"""Derivatives of any order (numerics/series.py through numerics/rigorous.py), against
independent references: mpmath.diff of the mpmath references of tests/reference.py
(CATALOGUE_REFS; sigmoid, tanh, relu and leaky_relu written here, as the lecture references
take floats), at 80+ digits, rounded by reference.round_to. One-sided values at breakpoints
come from one-sided differences (mpmath.diff's direction) from just beside the point."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from mpmath import mpf

import actgrad
import reference as R
from actgrad.numerics import rigorous

from conftest import fail, ok

# (name, params): every catalogue function, some with parameters off their defaults
CASES = [(n, {}) for n in actgrad.names()] + [
    ("elu", {"alpha": 0.5}), ("celu", {"alpha": 2.0}), ("gelu", {"approximate": "tanh"}),
    ("softplus", {"beta": 2.0, "threshold": 20.0}), ("squareplus", {"b": 0.5}),
    ("leaky_relu", {"negative_slope": 0.2}), ("hard_tanh", {"min_val": -2.0, "max_val": 1.5}),
]
SMOOTH10 = ("sigmoid", "tanh", "gelu", "silu", "mish")
CORE = (-2.5, -0.7, 0.3, 1.7)
TAILS = (-30.0, 30.0)


_G_ONLY = {
    "mish": lambda x: x * mpmath.tanh(mpmath.log1p(mpmath.exp(x))),
    "silu": lambda x: x / (1 + mpmath.exp(-x)),
    "log_sigmoid": lambda x: -mpmath.log1p(mpmath.exp(-x)),
}


def _ref_g(name, p):
    if name == "sigmoid":
        return lambda x: 1 / (1 + mpmath.exp(-x))
    if name == "tanh":
        return mpmath.tanh
    if name == "relu":
        return lambda x: x if x > 0 else mpf(0)
    if name == "leaky_relu":
        s = mpf(p.get("negative_slope", 0.01))
        return lambda x: x if x > 0 else s * x
    if name in _G_ONLY:  # CATALOGUE_REFS computes g′ too: twice the cost in the differences
        return _G_ONLY[name]
    fn = R.CATALOGUE_REFS[name]
    full = {q.name: q.default for q in actgrad.get(name).spec.params} | p
    if name == "softplus" and math.isfinite(full["threshold"]):
        # PyTorch's switch fl(β·z) > threshold, at a z_t = threshold/β that is a float with
        # fl(β·z_t) = threshold (so every real z > z_t takes the linear branch)
        zt = full["threshold"] / full["beta"]
        assert zt * full["beta"] == full["threshold"]
        b = mpf(full["beta"])
        return lambda x: x if x > zt else mpmath.log1p(mpmath.exp(b * x)) / b
    return lambda x: fn(x, full)[0]


def _diffs(name, p, x, n, side, dps):
    with mpmath.workdps(dps):
        g = _ref_g(name, p)
        if side:
            at, opt = mpf(x) + side * mpf(10) ** -60, {"direction": side}
        else:
            at, opt = mpf(x), {}
        return list(mpmath.diffs(g, at, n, **opt))


def _gelu_closed(x, n):
    """gelu⁽ⁿ⁾ = z·φ⁽ⁿ⁻¹⁾ + n·φ⁽ⁿ⁻²⁾ (n >= 2), φ⁽ᵏ⁾(z) = (−1)^k·He_k(z)·φ(z) with the
    probabilists' He_k(z) = 2^(−k/2)·H_k(z/√2) (mpmath's hermite is H): no erfc, no
    differences (mpmath's erfc at 80+ digits in the tails costs seconds)."""
    with mpmath.workdps(80):
        z = mpf(x)
        phi = mpmath.npdf(z)

        def d(k):
            return (-1) ** k * mpmath.hermite(k, z / mpmath.sqrt(2)) / mpmath.sqrt(2) ** k * phi

        return z * d(n - 1) + n * d(n - 2)


#: g − (affine) is odd: g⁽ᵏ⁾(0) = 0 for even k >= 2; even: for odd k. There g⁽ᵏ⁾(1e-300)
#: is ~1e-300·g⁽ᵏ⁺¹⁾(0), beyond the differences' noise at 60 digits
PARITY = {"sigmoid": 0, "tanh": 0, "tanhshrink": 0, "gelu": 1, "silu": 1, "log_sigmoid": 1,
          "softplus": 1, "squareplus": 1,
          # issue 13: z·σ(v(z)) with v odd (z/2 + an even function), and gelu_10 near 0
          "gelu_fast": 1, "gelu_approx": 1, "gelu_10": 1, "quick_gelu": 1}


def _tiny(name, p, x, n):
    """[g⁽ᵏ⁾(x)], |x| < 1e-200, from the derivatives at 0: g⁽ᵏ⁾(x) = g⁽ᵏ⁾(0) + x·g⁽ᵏ⁺¹⁾(0)
    + x²/2·g⁽ᵏ⁺²⁾(0) + O(x³), with the zeros the symmetry gives set exactly."""
    zeros = {k for k in range(2, n + 3) if k % 2 == PARITY[name]}
    at0 = refs(name, p, 0.0, n + 2, zeros=zeros)
    for k in zeros:
        assert abs(at0[k]) < mpf(10) ** -40, (name, k, at0[k])
        at0[k] = mpf(0)
    with mpmath.workdps(60):
        e = mpf(x)
        return [None] * 3 + [at0[k] + e * at0[k + 1] + e * e / 2 * at0[k + 2]
                             for k in range(3, n + 1)]


def refs(name, p, x, n, side=0, zeros=frozenset()):
    """[g⁽ᵏ⁾(x) for k = 0..n] in mpmath (mpmath.diffs: central differences, or one-sided
    from x + side·1e-60), at rising precision until two agree to 25 digits in every order
    >= 3 and stand above 10^(−dps/2)·(1 + |g| + |g′|) (the differences' noise, ~|g|·10^−dps/hᵏ,
    hides a tail's e^−60 at 40 digits, and noise can repeat itself); a value that never
    settles while it stays below 10^−400 is a zero (a polynomial piece of degree < k).
    The orders in `zeros` are left out of the test: the caller knows them to be 0."""
    if name == "gelu" and p.get("approximate", "none") == "none" and not side:
        return [None, None] + [_gelu_closed(x, k) for k in range(2, n + 1)]
    if 0 < abs(x) < 1e-200 and name in PARITY and not side:
        return _tiny(name, p, x, n)
    if x == 0 and name in PARITY and not side and not zeros:
        zs = {k for k in range(2, n + 1) if k % 2 == PARITY[name]}
        r = refs(name, p, 0.0, n, zeros=zs)
        for k in zs:
            assert abs(r[k]) < mpf(10) ** -40, (name, k, r[k])
            r[k] = mpf(0)
        return r
    prev = older = None
    for dps in (60, 90, 120, 240, 480):
        r = _diffs(name, p, x, n, side, dps)
        floor = (1 + abs(r[0]) + abs(r[1])) * mpf(10) ** (-dps // 2)  # far above the noise
        if prev is not None and all(abs(r[k] - prev[k]) <= abs(r[k]) * mpf(10) ** -25
                                    and abs(r[k]) > floor
                                    for k in range(3, n + 1) if k not in zeros):
            return r
        older, prev = prev, r
    for k in range(3, n + 1):
        if k in zeros or not (abs(r[k] - older[k]) <= abs(r[k]) * mpf(10) ** -25
                              and abs(r[k]) > floor):
            assert abs(r[k]) < mpf(10) ** -400, (name, x, k, r[k])
            r[k] = mpf(0)
    return r


def ref(name, p, x, n, side=0):
    """g⁽ⁿ⁾(x) (refs)."""
    return refs(name, p, x, n, side)[n]


def breakpoints(f):
    pts = {k.at for k in f.kinks} | {k.at for k in f.kinks2} | set(f.breaks)
    return sorted(pts)


def _points(f):
    """(z, side): z off the breakpoints; side = the direction away from a breakpoint within
    1e-6 (a central difference there would straddle it), else 0. The tails are ±30, ±8
    for gelu tanh (its v = 2c(z + kz³) is 1980 at 30: g⁽ⁿ⁾ ~ e^−1980, beyond the reference's
    480 digits)."""
    tails = (-8.0, 8.0) if f.params.get("approximate") == "tanh" else TAILS
    pts = list(CORE + tails + (1e-300, 0.0))
    for b in breakpoints(f):
        pts += [float(np.nextafter(b, -np.inf)), float(np.nextafter(b, np.inf))]
    lo, hi = f.spec.domain(dict(f.params))
    out = []
    for x in pts:
        near = [b for b in breakpoints(f) if abs(x - b) < 1e-6]
        # (log1mexp: z > 0 only, and not within the differences' reach of its pole at 0)
        if x not in breakpoints(f) and lo + 1e-3 < x < hi:
            out.append((x, (1 if x > near[0] else -1) if near else 0))
    return out


@pytest.mark.parametrize("name,p", CASES, ids=[f"{n}{p or ''}" for n, p in CASES])
def test_orders_3_to_6_correctly_rounded(name, p):
    f = actgrad.get(name, **p)
    pts = _points(f)
    want = {x: refs(name, p, x, 6, side) for x, side in pts}
    xs = [x for x, _ in pts]
    for n in (3, 4, 5, 6):
        got = rigorous.values_float(f, xs, deriv=n)
        assert got.tolist() == [R.round_to(want[x][n], np.float64) for x in xs], (name, n)


@pytest.mark.parametrize("name", SMOOTH10)
def test_order_10_correctly_rounded(name):
    f = actgrad.get(name)
    xs = [-2.5, 0.3, 30.0]
    got = rigorous.values_float(f, xs, deriv=10)
    assert got.tolist() == [R.round_to(ref(name, {}, x, 10), np.float64) for x in xs], name


def test_api_deriv_order_n_and_dtypes():
    f = actgrad.get("gelu")
    want = R.round_to(ref("gelu", {}, 0.7, 5), np.float64)
    assert f.deriv(0.7, order=5) == want
    assert type(f.deriv(0.7, order=5)) is float
    for dt in (np.float32, np.float16):
        x = dt(0.7)
        got = f.deriv(x, order=5)
        assert got.dtype == dt
        assert float(got) == R.round_to(ref("gelu", {}, float(x), 5), dt)
    arr = f.deriv(np.array([[0.5, -1.0]]), order=4)
    assert arr.shape == (1, 2)


def test_digits_any_order():
    f = actgrad.get("sigmoid")
    for n, x in ((3, 1.0), (7, -2.0), (12, 0.5)):
        text = rigorous.values_text(f, [x], deriv=n, digits=30)[0]
        want = ref("sigmoid", {}, x, n)
        with mpmath.workdps(50):
            assert abs(mpf(text) - want) <= abs(want) * mpf(10) ** -29, (n, x)
    assert rigorous.values_text(f, [0.0, -0.0], deriv=4, digits=5) == ["0.0", "-0.0"]


def test_symmetric_zeros_carry_the_sign_of_z():
    # g⁽ᴺ⁾(±0) = 0 where g − affine is odd (even N) or even (odd N)
    assert rigorous.values_float(actgrad.get("tanh"), [0.0, -0.0], deriv=4).tolist() == [0, 0]
    got = rigorous.values_float(actgrad.get("silu"), [0.0, -0.0], deriv=5)
    assert [math.copysign(1, v) for v in got] == [1, -1]
    # not by symmetry: mish⁽⁴⁾(0) is no zero
    assert rigorous.values_float(actgrad.get("mish"), [0.0], deriv=4)[0] == R.round_to(
        ref("mish", {}, 0.0, 4), np.float64)


def test_limits_and_nan():
    got = rigorous.values_float(actgrad.get("sigmoid"), [np.inf, -np.inf, np.nan], deriv=3)
    assert got[0] == 0 and got[1] == 0 and math.isnan(got[2])


ONE_SIDED = [("elu", {}, 0.0), ("elu", {"alpha": 0.5}, 0.0), ("selu", {}, 0.0),
             ("celu", {"alpha": 2.0}, 0.0), ("softsign", {}, 0.0),
             ("softplus", {"beta": 2.0, "threshold": 20.0}, 10.0)]


@pytest.mark.parametrize("name,p,at", ONE_SIDED)
def test_kinks_of_order_3_and_up_one_sided(name, p, at):
    f = actgrad.get(name, **p)
    for n in (3, 4):
        left, right = ref(name, p, at, n, -1), ref(name, p, at, n, 1)
        with mpmath.workdps(80):
            mean = (left + right) / 2
        for kink, want in (("left", left), ("right", right), ("mean", mean)):
            got = rigorous.values_float(f, [at], deriv=n, kink=kink)[0]
            assert got == R.round_to(want, np.float64), (name, n, kink)
        # pytorch/jax: the side their g″ convention takes there
        for kink in ("pytorch", "jax"):
            side = next(k for k in f.kinks2 if k.at == at).side(kink)
            want = {"left": left, "right": right, "mean": mean}[side]
            got = rigorous.values_float(f, [at], deriv=n, kink=kink)[0]
            assert got == R.round_to(want, np.float64), (name, n, kink)


def test_elu_kink_sides_differ_and_pytorch_takes_the_right():
    # elu⁽³⁾(0): α from the left, 0 from the right; PyTorch's elu double backward takes
    # the right side at 0, JAX's where(x > 0, ...) the left
    f = actgrad.get("elu", alpha=0.5)
    assert f.deriv(0.0, order=3, kink="pytorch") == 0.0
    assert f.deriv(0.0, order=3, kink="jax") == 0.5


def test_series_path_agrees_with_orders_1_and_2():
    # the series of Spec.exact, differentiated once or twice, against today's exact forms
    acc = rigorous._accept_float(rigorous._format(np.float64))
    for name, p in CASES:
        f = actgrad.get(name, **p)
        xs = [x for x in (-30.0, -2.5, -0.7, 0.3, 1.7, 30.0, 1e-300) if x not in breakpoints(f)]
        for n in (1, 2):
            _, got = rigorous._series_run(f, xs, n, "pytorch", acc, 64, lambda v: v)
            want = rigorous.values_float(f, xs, deriv=n)
            # (the sign of an exact zero is the fast path's there, +0 here)
            assert np.array_equal([v or 0.0 for v in got], [v or 0.0 for v in want.tolist()],
                                  equal_nan=True), (name, n)


def test_order_checks():
    f = actgrad.get("tanh")
    for bad in (0, 21, True, 2.0, "3", None):
        with pytest.raises(ValueError, match="order must be an integer from 1 to 20"):
            f.deriv(0.5, order=bad)
    with pytest.raises(ValueError, match="g‴ from the output is not offered: use z"):
        f.deriv_from_output(0.5, order=3)
    with pytest.raises(ValueError, match="from 0 to 20"):
        rigorous.values_float(f, [0.5], deriv=21)


def test_cli_any_order():
    want = R.round_to(ref("sigmoid", {}, 1.0, 5), np.float64)
    assert ok("deriv", "sigmoid", "1", "--order", "5").strip() == repr(want)
    assert ok("deriv", "sigmoid", "1", "--order", "5", "--exact").strip() == repr(want)
    text = ok("deriv", "sigmoid", "1", "-n", "5", "--digits", "40").strip()
    with mpmath.workdps(60):
        assert abs(mpf(text) - ref("sigmoid", {}, 1.0, 5)) < abs(want) * mpf(10) ** -39
    w32 = R.round_to(ref("sigmoid", {}, 1.0, 5), np.float32)
    assert np.float32(ok("deriv", "sigmoid", "1", "-n", "5", "--dtype", "float32")) == w32
    csv = ok("deriv", "tanh", "0.5", "-n", "3", "--format", "csv").splitlines()
    assert csv[0] == "z,d3g"
    js = ok("deriv", "tanh", "0.5", "-n", "12", "--format", "json")
    assert '"d12g"' in js


@pytest.mark.parametrize("args,needle", [
    (("--order", "0"), "0"), (("--order", "21"), "21"), (("--order", "x"), "x"),
    (("--order", "3", "-a"), "g‴ from the output"),
])
def test_cli_order_errors(args, needle):
    err = fail("deriv", "sigmoid", "0.5", *args)
    assert needle in err


# -- expressions: the graph on the series (actgrad.expression.exact_values) -------------------

def _mp_gated(x):
    return x / (1 + mpmath.exp(-mpf(1.702) * x))  # z*sigmoid(1.702*z), 1.702 as its float


def test_expression_any_order_correctly_rounded():
    from actgrad import expression

    e = expression.parse("z*sigmoid(1.702*z)")
    xs = [-3.0, -0.4, 1.0, 6.5]
    want = {}
    for x in xs:
        with mpmath.workdps(60):
            want[x] = list(mpmath.diffs(_mp_gated, mpf(x), 6))
    for n in (0, 1, 3, 6):
        got = expression.exact_values(e, xs, order=n)
        assert got.tolist() == [R.round_to(want[x][n], np.float64) for x in xs], n
    e2 = expression.parse("exp(z)*sin(z) + erf(z/2) - atan(z)**2")
    g2 = (lambda x: mpmath.exp(x) * mpmath.sin(x) + mpmath.erf(x / 2) - mpmath.atan(x) ** 2)
    for x in (-1.25, 0.5, 2.0):
        with mpmath.workdps(60):
            w = mpmath.diff(g2, mpf(x), 4)
        assert expression.exact_values(e2, [x], order=4)[0] == R.round_to(w, np.float64)


def test_expression_breakpoints_and_poles():
    from actgrad import expression

    ab = expression.parse("abs(z) + relu(-z)")  # one-sided slopes at 0: −2 and 1
    for kink, want in (("left", -2.0), ("right", 1.0), ("mean", -0.5)):
        assert expression.exact_values(ab, [0.0], order=1, kink=kink)[0] == want
    with pytest.raises(ValueError, match="is a kink of"):
        expression.exact_values(ab, [0.0], order=1, kink="pytorch")
    # order 0 at a jump is the value there, not a one-sided limit
    hs = expression.parse("hardshrink(z) + 0*z")
    assert expression.exact_values(hs, [0.5, 0.75], order=0).tolist() == [0.0, 0.75]
    # a pole and ±inf: nan
    got = expression.exact_values(expression.parse("1/z"), [0.0, 2.0, np.inf], order=3)
    assert math.isnan(got[0]) and got[1] == -0.375 and math.isnan(got[2])
    # a branch on nan (log of a negative number): nan, not an undecided rounding
    got = expression.exact_values(expression.parse("relu(log(z))"), [-1.0, 2.0], order=3)
    assert math.isnan(got[0]) and got[1] == 0.25


def test_cli_expression_exact_any_order():
    with mpmath.workdps(60):
        w3 = mpmath.diff(_mp_gated, mpf(1.0), 3)
    out = ok("deriv", "z*sigmoid(1.702*z)", "1", "--exact", "--order", "3", "-f", "csv")
    assert out.splitlines() == ["z,d3g", f"1.0,{R.round_to(w3, np.float64)!r}"]
    text = ok("eval", "z*sigmoid(1.702*z)", "1", "--digits", "30").strip()
    with mpmath.workdps(60):
        assert abs(mpf(text) - _mp_gated(mpf(1.0))) < mpf(10) ** -29
    assert "is a kink of abs(z)" in fail("deriv", "abs(z)", "0", "--exact")
    assert "--from-output" in fail("deriv", "z*sigmoid(z)", "1", "-n", "3", "-a")


def test_expression_symmetric_zeros_and_quotients():
    from actgrad import expression

    def at0(text, n):
        return expression.exact_values(expression.parse(text), [0.0, -0.0], order=n).tolist()

    # g⁽ⁿ⁾(0) = 0 by the expression's symmetry (a ball alone never shows an exact 0)
    assert [math.copysign(1, v) for v in at0("sigmoid(z)", 4)] == [1, -1]
    assert at0("z*sigmoid(1.702*z)", 3) == [0, 0] and at0("sin(z)*cos(z) + erfc(z)", 4) == [0, 0]
    assert at0("cosh(z) + z", 5) == [0, 0]
    # no symmetry claimed where the expression is not analytic at 0, or has none
    assert all(math.isnan(v) for v in at0("1/z", 2) + at0("tanh(2*z)/z", 3))
    with mpmath.workdps(60):
        w = mpmath.diff(lambda x: mpmath.exp(x) + x**3, mpf(0), 3)
    assert at0("exp(z) + z**3", 3) == [R.round_to(w, np.float64)] * 2
    # a quotient whose common factor flint cancels keeps every term it is asked for
    with mpmath.workdps(60):
        w = mpmath.diff(lambda x: mpmath.tanh(2 * x) / x, mpf(1), 3)
    assert expression.exact_values(expression.parse("tanh(2*z)/z"), [1.0], order=3)[0] == \
        R.round_to(w, np.float64)
