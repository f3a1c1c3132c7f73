"""The fast API paths of issue 15: ``out=``, ``value_and_deriv``, and the cheaper float64
forms for float32 and smaller types.

The cheaper forms must give the correctly rounded result as the accurate ones do: here they
are compared with exact references (tests/catalogue_reference.py, arb balls with a proven
rounding) rounded once, on inputs
chosen where a cheaper form could go wrong (the clipping points, the windows around the
roots of g′, the tails, ±0, ±inf, nan); tests/test_dtypes.py checks every function's
rounding on its samples. Their error bounds against mpmath: benchmarks/api_speed.py --errors.
"""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
import catalogue_reference as C  # noqa: E402

import actgrad  # noqa: E402
from actgrad import registry  # noqa: E402

CHEAP = ("sigmoid", "silu", "mish", "gelu_tanh", "softplus", "tanh", "softsign", "squareplus",
         "exponential", "gelu_fast", "gelu_approx", "quick_gelu")


def act(name):
    if name == "gelu_tanh":
        return actgrad.get("gelu", approximate="tanh")
    return actgrad.get(name)


def hard_inputs():
    edges = [-1000.0, -200.0, -40.0, -13.0, -12.0, -10.4, -3.0, -2.0, -1.7525, -1.7785,
             -1.6924, -1.2785, -1.1924, -0.7525, -0.7785, -0.6924, -0.2525, -0.2785, 0.0,
             1.0, 39.0, 40.0, 41.0, 88.0, 104.0, 1e30]
    z = np.array(edges, dtype=np.float32)
    near = np.concatenate([np.nextafter(z, np.float32(-np.inf)), z,
                           np.nextafter(z, np.float32(np.inf))])
    roots = []  # the float32 values nearest to the roots of g′ (silu, mish, tanh-gelu)
    for z0 in (-1.2784645427610737, -1.1924312145154952, -0.7524614220710163):
        r = np.float32(z0)
        for _ in range(12):
            r = np.nextafter(r, np.float32(-np.inf))
        for _ in range(25):
            roots.append(r)
            r = np.nextafter(r, np.float32(np.inf))
    rng = np.random.default_rng(15)
    return np.concatenate([near, -near, np.array(roots, dtype=np.float32),
                           rng.uniform(-3, 1, 60).astype(np.float32),
                           np.float32([np.inf, -np.inf, 3.4028235e38, -3.4028235e38,
                                       1e-45, -1e-45, -0.0])])


@pytest.mark.parametrize("name", CHEAP)
def test_cheaper_float32_forms_round_correctly(name):
    f = act(name)
    z = hard_inputs()
    with np.errstate(all="raise"):
        got = (f(z), f.deriv(z))
        acc = (f(z.astype(np.float64)), f.deriv(z.astype(np.float64)))  # the accurate forms
    for deriv in (False, True):
        for zi, gi, ai in zip(z.tolist(), got[deriv].tolist(), acc[deriv].tolist()):
            want = C.rounded_fast(name, zi, deriv, np.float32)
            assert gi == want or (gi != gi and want != want), f"{name} {deriv} at {zi!r}"
            if gi == 0:  # a zero has the sign of the accurate form's (tested elsewhere)
                assert np.signbit(gi) == np.signbit(ai), (name, deriv, zi)


def test_cheaper_forms_stay_within_a_quarter_of_their_bound():
    """Measured against mpmath on a small sample (the full measurement:
    benchmarks/api_speed.py --errors); the bounds themselves are argued in the forms'
    comments, a wrong one could only show on the rare input next to a rounding boundary."""
    import mpmath

    mpmath.mp.dps = 40
    rng = np.random.default_rng(16)
    z = np.concatenate([rng.uniform(-20, 20, 100), rng.uniform(-3, 1, 100)])
    z = np.concatenate([z.astype(np.float32), hard_inputs()]).astype(np.float64)
    for name in CHEAP:
        f = act(name)
        p = dict(f.params)
        for fn, exact in ((f.spec.g, f.spec.exact), (f.spec.dg, f.spec.exact_dg)):
            small = getattr(fn, "small", None)
            if small is None:  # (tanh's g: np.tanh itself)
                continue
            with np.errstate(all="ignore"):
                r = small(z.copy(), p)
            for zi, ri in zip(z.tolist(), r.tolist()):
                if not np.isfinite(zi):
                    continue
                ex = exact(mpmath.mpf(zi), p, mpmath)
                if abs(ex) < mpmath.mpf(2) ** -200:  # both round to a signed 0 (see the forms)
                    continue
                if abs(ex) > 2.0**200 and abs(ri) > 2.0**200 and (ex > 0) == (ri > 0):
                    continue  # both round to the same ±inf in every small type
                ulp = mpmath.mpf(2) ** (mpmath.floor(mpmath.log(abs(ex), 2)) - 52)
                assert abs(ri - ex) / ulp <= small.ulp / 4, (name, zi, ri)


@pytest.mark.parametrize("name", registry.names() + ["gelu_tanh"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_value_and_deriv_is_f_and_deriv(name, dtype):
    f = act(name)
    z = np.concatenate([np.linspace(-9, 9, 301), [0.0, -0.0, np.inf, -np.inf, np.nan]])
    z = z.astype(dtype)
    with np.errstate(all="raise"):
        g, d = f.value_and_deriv(z)
    want_g, want_d = f(z), f.deriv(z)
    assert g.dtype == d.dtype == want_g.dtype
    np.testing.assert_array_equal(g, want_g)
    np.testing.assert_array_equal(d, want_d)
    for kink in ("jax", "left", "right"):
        np.testing.assert_array_equal(f.value_and_deriv(z, kink=kink)[1], f.deriv(z, kink=kink))


def test_value_and_deriv_of_a_scalar_and_a_shape():
    f = actgrad.get("sigmoid")
    assert f.value_and_deriv(0.0) == (0.5, 0.25)
    z = np.linspace(-3, 3, 24).reshape(2, 3, 4)
    g, d = f.value_and_deriv(z)
    assert g.shape == d.shape == (2, 3, 4)
    np.testing.assert_array_equal(d, f.deriv(z))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_out_is_written_and_returned(dtype):
    f = actgrad.get("silu")
    z = np.linspace(-5, 5, 12, dtype=dtype).reshape(3, 4)
    for call, want in ((lambda o: f(z, out=o), f(z)), (lambda o: f.deriv(z, out=o), f.deriv(z)),
                       (lambda o: f.deriv(z, order=2, out=o), f.deriv(z, order=2))):
        o = np.full(z.shape, 7.0, dtype=dtype)
        r = call(o)
        assert r is o
        np.testing.assert_array_equal(o, want)
    g, d = np.empty(z.shape, dtype), np.empty(z.shape, dtype)
    rg, rd = f.value_and_deriv(z, out=(g, d))
    assert rg is g and rd is d
    np.testing.assert_array_equal(g, f(z))
    a = np.empty(z.shape, dtype)
    s = actgrad.get("sigmoid")
    assert s.deriv_from_output(s(z), out=a) is a
    np.testing.assert_array_equal(a, s.deriv_from_output(s(z)))


def test_out_may_be_the_input_and_non_contiguous():
    f = actgrad.get("tanh")
    z = np.linspace(-2, 2, 10)
    want = f(z)
    assert f(z, out=z) is z
    np.testing.assert_array_equal(z, want)
    big = np.zeros((10, 2))
    f(np.linspace(-2, 2, 10), out=big[:, 0])
    np.testing.assert_array_equal(big[:, 0], want)


@pytest.mark.parametrize("bad, err, words", [
    (np.empty(3), ValueError, "shape (4,)"),
    (np.empty(4, np.float32), ValueError, "dtype float64"),
    ([0.0] * 4, TypeError, "numpy array"),
])
def test_a_wrong_out_is_named(bad, err, words):
    with pytest.raises(err, match=None) as e:
        actgrad.get("sigmoid")(np.zeros(4), out=bad)
    assert words in str(e.value)
    ro = np.empty(4)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        actgrad.get("sigmoid").deriv(np.zeros(4), out=ro)
    with pytest.raises(TypeError, match="pair"):
        actgrad.get("sigmoid").value_and_deriv(np.zeros(4), out=np.empty(4))


def test_where_and_ldexp_give_numpys_bits():
    """special.where and special.ldexp (bit operations, one multiplication by 2^k) must be
    np.where and np.ldexp bit for bit, nan payloads, −0, subnormals and overflow included."""
    from actgrad.numerics import special

    rng = np.random.default_rng(7)
    c = rng.random(4000) < 0.5
    for ft, it in ((np.float64, np.int64), (np.float32, np.int32), (np.float16, np.int16)):
        a = rng.integers(np.iinfo(it).min, np.iinfo(it).max, 4000, dtype=it).view(ft)
        b = a[::-1].copy()
        for x, y in ((a, b), (a, 0.0), (0.0, a), (a, -0.0), (1.0, a), (a, np.nan)):
            want, got = np.where(c, x, y), special.where(c, x, y)
            assert got.dtype == want.dtype
            assert (got.view(np.uint8) == want.view(np.uint8)).all(), ft
    m = np.concatenate([rng.uniform(0.5, 1.5, 4000),
                        rng.integers(0, 2**63, 4000, dtype=np.int64).view(np.float64),
                        [0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, -1.5]])
    k = rng.integers(-1200, 1200, m.size)
    with np.errstate(over="ignore"):
        want, got = np.ldexp(m, k), special.ldexp(m, k)
    assert (got.view(np.int64) == want.view(np.int64)).all()


IN_TYPE = ("relu", "identity", "relu6", "hard_tanh", "softshrink", "hardshrink", "threshold",
           "step", "relu2", "sparse_sigmoid")


@pytest.mark.parametrize("name", IN_TYPE)
@pytest.mark.parametrize("dtype", [np.float32, np.float16])  # (float16: the float64 path)
def test_forms_in_the_input_type_round_as_the_float64_path(name, dtype):
    """The forms computed in the input's own type (``in_type``: one IEEE operation on exact
    constants) give what the float64 path gives rounded once (there exact: a float32 or
    float16 z, z ∓ 0.5 and z² are exact in float64), kinks, ±0, ±inf and nan included."""
    f = actgrad.get(name)
    kinks = [k.at for k in f.kinks]
    z = np.concatenate([np.linspace(-8, 8, 321), kinks, np.nextafter(kinks, np.inf),
                        np.nextafter(kinks, -np.inf), [0.0, -0.0, np.inf, -np.inf, np.nan,
                                                       6e-8, -6e-8, 60000.0, 1e-30]])
    with np.errstate(all="ignore"):
        z = z.astype(dtype)
    z64 = z.astype(np.float64)
    with np.errstate(all="raise"):
        got = (f(z), *(f.deriv(z, kink=k) for k in ("pytorch", "jax", "left", "right")))
    with np.errstate(all="ignore"):
        want = (f(z64), *(f.deriv(z64, kink=k) for k in ("pytorch", "jax", "left", "right")))
        want = tuple(w.astype(dtype) for w in want)
    for g, w in zip(got, want):
        assert g.dtype == dtype
        np.testing.assert_array_equal(g, w)
        assert (np.signbit(g) == np.signbit(w)).all(), name
    s = np.array([np.nan], dtype=dtype)  # a signalling NaN comes out as a quiet one
    s.view(np.uint16 if dtype == np.float16 else np.uint32)[0] += 1  # (payload != 0)
    with np.errstate(all="raise"):
        assert np.isnan(f(s)).all() and np.isnan(f.deriv(s)).all()
    out = np.empty_like(z)
    assert f(z, out=out) is out
    np.testing.assert_array_equal(out, got[0])
    assert f(z, out=z) is z  # the input itself as out
    np.testing.assert_array_equal(z, got[0])


def test_exact_sixths_skip_the_rigorous_fallback():
    """(z + 3)/6 landing exactly on a float32 midpoint is exact (checked here in
    fractions): rounded once (ties to even) without the rigorous path."""
    from fractions import Fraction

    import actgrad.numerics.rigorous as rig

    f = actgrad.get("hard_sigmoid")
    z = np.random.default_rng(3).uniform(-3, 3, 20000).astype(np.float32)
    r64 = f(z.astype(np.float64))
    mid = (r64.view(np.int64) & ((1 << 29) - 1)) == 1 << 28  # on a midpoint of float32
    assert mid.sum() >= 10
    z, r64 = z[mid], r64[mid]
    assert all(Fraction(float(r)) * 6 == Fraction(float(x)) + 3 for x, r in zip(z, r64))
    calls = []
    real = rig.values_float
    try:
        rig.values_float = lambda *a, **k: calls.append(a) or real(*a, **k)
        got = f(z)
    finally:
        rig.values_float = real
    assert not calls
    np.testing.assert_array_equal(got, r64.astype(np.float32))


HARD = ("hard_sigmoid", "hard_swish", "hard_mish")


@pytest.mark.parametrize("name", HARD)
def test_cheaper_float32_forms_of_the_hard_family_round_correctly(name):
    """hard_sigmoid, hard_swish(′) and hard_mish's plain float64 forms for float32 (each
    operation rounding once; bound 8 ULP): the exact value rounded once (arb references) on
    the clipping points, the roots of g′, the smallest subnormals (where z/2 is a float32
    midpoint) and random values; a zero with the accurate form's sign; the kink
    conventions' values at the kinks."""
    f = act(name)
    rng = np.random.default_rng(17)
    pts = np.float32([-3.0, 3.0, -2.0, -1.5, -1.0, 0.0, 1e-45, 3e-45, 1.1754944e-38, 2.0])
    z = np.concatenate([pts, -pts, np.nextafter(pts, np.float32(np.inf)),
                        np.nextafter(pts, np.float32(-np.inf)),
                        rng.uniform(-4, 4, 150).astype(np.float32),
                        (rng.uniform(-3, 3, 40) * 2.0**-30).astype(np.float32),
                        np.float32([np.inf, -np.inf, np.nan, -0.0])])
    with np.errstate(all="raise"):
        got = (f(z), f.deriv(z))
        acc = (f(z.astype(np.float64)), f.deriv(z.astype(np.float64)))
        vd = f.value_and_deriv(z)
    for deriv in (False, True):
        assert (vd[deriv].view(np.uint32) == got[deriv].view(np.uint32)).all()
        for zi, gi, ai in zip(z.tolist(), got[deriv].tolist(), acc[deriv].tolist()):
            if deriv and any(zi == k.at for k in f.kinks):
                continue  # (the conventions: below)
            want = C.rounded_fast(name, zi, deriv, np.float32)
            assert gi == want or (gi != gi and want != want), f"{name} {deriv} at {zi!r}"
            if gi == 0:
                assert np.signbit(gi) == np.signbit(ai), (name, deriv, zi)
    for k in f.kinks:
        for conv in ("pytorch", "jax", "left", "right", "mean"):
            for dt in (np.float32, np.float64):
                d = f.deriv(np.full(5, k.at, dtype=dt), kink=conv)
                assert (d == dt(k.slope(conv))).all(), (name, k.at, conv, dt)


@pytest.mark.parametrize("name", ["relu", "relu6", "hard_tanh", "rrelu", "hard_swish",
                                  "hard_mish", "hard_sigmoid", "softshrink", "threshold"])
def test_kink_values_where_the_fix_up_is_left_out(name):
    """The registry skips a kink's fix-up where the form's own value there already is the
    convention's (probed once): every convention's value at every kink, in float32 and
    float64, on a chunked array (2^17 values) and on a short one, with ±0 beside it."""
    f = actgrad.get(name)
    assert f.kinks
    for dt in (np.float32, np.float64):
        for n in (7, 1 << 17):
            for k in f.kinks:
                z = np.full(n, k.at, dtype=dt)
                z[1::3] = 0.0
                z[2::3] = -0.0
                at = z == dt(k.at)
                for conv in ("pytorch", "jax", "left", "right", "mean"):
                    d = f.deriv(z, kink=conv)
                    assert (d[at] == dt(k.slope(conv))).all(), (name, k.at, conv, dt, n)
                    _, d2 = f.value_and_deriv(z, kink=conv)
                    assert (d2.view(np.uint8) == d.view(np.uint8)).all()
