"""Property tests (hypothesis): g′ agrees with central differences away from kinks, and finite
inputs give finite outputs, for every function in the registry."""

from __future__ import annotations

import math

import mpmath
import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import actgrad
from actgrad.numerics import gradcheck

NAMES = st.sampled_from(actgrad.names())


@settings(max_examples=300, deadline=None)
@given(NAMES, st.one_of(st.floats(min_value=-60, max_value=60, allow_nan=False),
                        st.floats(min_value=-1e3, max_value=1e3, allow_nan=False),
                        st.floats(min_value=-1e-3, max_value=1e-3, allow_nan=False)))
def test_derivative_agrees_with_the_numerical_derivative(name, z):
    # next to kinks too (one-sided differences there); only a kink itself has no check
    f = actgrad.get(name)
    assume(gradcheck.point_kinds(f, np.array([z]))[0] != "kink")
    assume(not gradcheck._off_domain(f, np.array([z]))[0])  # log1mexp: z > 0 only
    num, scale = gradcheck.numeric_with_scale(f, np.array([z]))
    err = gradcheck.relative_error(f.deriv(z), num, scale)[0]
    assert err <= 1e-9, (name, z, f.deriv(z), num[0])


@settings(max_examples=500, deadline=None)
@given(NAMES, st.floats(allow_nan=False, allow_infinity=False),
       st.sampled_from(["pytorch", "jax", "left", "right", "mean"]))
def test_finite_inputs_give_finite_outputs(name, z, kink):
    f = actgrad.get(name)
    with np.errstate(all="raise"):
        g, dg = f(z), f.deriv(z, kink=kink)
    lo, hi = f.spec.domain(dict(f.params))
    if not lo <= z <= hi:  # outside the domain (log1mexp below 0): nan, as its framework's
        assert math.isnan(g) and math.isnan(dg), (name, z, g, dg)
        return
    if z in (lo, hi):  # an end of the domain: the limits, ±inf (log1mexp at 0)
        return
    # only where the exact value is beyond the float range: selu's λ·z, exponential past
    # 709.78, relu2's z² and 2z, log1mexp′ = 1/expm1(z) below ~5.6e-309
    for got, exact in ((g, f.spec.exact), (dg, f.spec.exact_dg)):
        if not math.isfinite(got):
            with mpmath.workdps(30):
                v = exact(mpmath.mpf(z), dict(f.params), mpmath)
            assert abs(v) > np.finfo(np.float64).max, (name, z, got, v)


@settings(max_examples=300, deadline=None)
@given(NAMES, st.lists(st.floats(width=32, allow_nan=False, allow_infinity=False),
                       min_size=1, max_size=20))
def test_shapes_and_dtypes_are_kept(name, xs):
    f = actgrad.get(name)
    z = np.array(xs, dtype=np.float32).reshape(-1, 1)
    for out in (f(z), f.deriv(z)):
        assert out.shape == z.shape and out.dtype == np.float32
