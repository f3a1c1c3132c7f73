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
