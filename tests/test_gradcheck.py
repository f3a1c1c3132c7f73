"""The gradient check: its numerical derivative is right (against mpmath formulas written here,
independently of the catalogue), its grid reaches the tails, it checks next to kinks, its error
measure is the plain relative error, and it catches wrong derivatives."""

from __future__ import annotations

import dataclasses
import math
import os
import sys

import mpmath
import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
import checks  # noqa: E402
import reference as R  # noqa: E402

import actgrad  # noqa: E402
from actgrad.activations import lecture  # noqa: E402
from actgrad.numerics import gradcheck  # noqa: E402
from actgrad.registry import Activation  # noqa: E402

CORE = np.arange(-500, 501) / 50.0  # the old default grid: 1,001 points on [−10, 10]


def altered(name: str, dg, **params) -> Activation:
    """The registry's function with its g′ replaced."""
    f = actgrad.get(name, **params)
    return Activation(dataclasses.replace(f.spec, dg=dg), dict(f.params))


def ref(fn, z: float) -> float:
    """fn at the exact value of z in mpmath (60 digits), rounded to float64."""
    with mpmath.workdps(60):
        v = fn(mpmath.mpf(z))
        return float(v)


# -- the whole catalogue passes ------------------------------------------------------------


def test_every_function_passes_on_its_default_grid():
    results = checks.registry_check()
    assert list(results) == actgrad.names()
    for name, r in results.items():
        f = actgrad.get(name)
        # a few ULP: nothing near the tolerance (laplace's default grid reaches subnormal g′,
        # u = (z − μ)/σ ≈ −38 at z = −10: settled to the last bit there too)
        assert r.passed and r.max_rel_error <= 1e-15, r
        assert r.checked + r.left_out == len(gradcheck.default_grid(f)), r
        assert r.left_out == len(f.kinks), r  # every kink of the catalogue lies on the grid


# -- the grid ------------------------------------------------------------------------------


def test_default_grid_is_what_its_help_says():
    g = gradcheck.default_grid()
    pos = g[g > 0]
    assert g.tolist() == sorted(set(g.tolist())) and np.array_equal(-g[::-1], g)
    assert set(CORE.tolist()) <= set(g.tolist())
    assert ((pos > 10) & (pos <= 1000)).sum() == 80  # 40 per decade
    assert pos.max() == np.finfo(np.float64).max and 1e308 in pos and 1e160 in pos
    assert pos.min() == 5e-324 and 2.0**-1022 in pos and 1e-300 in pos and 1e-20 in pos
    assert ((pos > 1e3) & (pos < 1e160)).sum() == 156  # one per decade
    # exponential tails reach past where g′ underflows: e^−745 < 2^−1074
    assert (pos > 745).sum() > 100 and ((pos > 700) & (pos < 800)).sum() >= 2
    assert "1,001 points" in gradcheck.GRID_HELP and "largest float" in gradcheck.GRID_HELP


def test_default_grid_of_a_function_surrounds_its_kinks():
    f = actgrad.get("relu6")
    g = gradcheck.default_grid(f)
    for d in (10**-3.5, 1e-4, 1e-8, 1e-12):
        assert np.any(np.isclose(g, 6 + d, rtol=0, atol=1e-15))
        assert np.any(np.isclose(g, 6 - d, rtol=0, atol=1e-15))
    assert np.nextafter(6.0, 7.0) in g and np.nextafter(6.0, 5.0) in g
    assert len(g) > len(gradcheck.default_grid())


def test_default_grid_does_not_depend_on_the_machine():
    # decimal powers, not libm or numpy's SIMD pow: the bits are fixed
    g = gradcheck.default_grid()
    assert 10.592537251772889 in g and 31.622776601683793 in g and 0.0031622776601683794 in g


# -- textbook derivatives fail -------------------------------------------------------------


def test_catches_the_textbook_sigmoid_derivative_in_the_tail():
    f = actgrad.get("sigmoid")
    naive = altered("sigmoid", lambda z, p: lecture.sigmoid(z, p) * (1 - lecture.sigmoid(z, p)))
    assert gradcheck.check(naive, CORE).passed  # the old grid could not see it
    r = gradcheck.check(naive)
    assert not r.passed and r.verdict == "wrong" and r.worst_z > 10, r
    assert gradcheck.check(f).passed


def test_catches_the_textbook_tanh_derivative_in_the_tail():
    naive = altered("tanh", lambda z, p: 1 - np.tanh(z) ** 2)
    assert gradcheck.check(naive, CORE).passed
    r = gradcheck.check(naive)
    assert not r.passed and r.verdict == "wrong" and abs(r.worst_z) > 10, r


def test_catches_a_derivative_that_overflows_far_out():
    # squareplus′ = (1 + z/√(z² + b))/2 naively: z² overflows beyond 1.3e154
    def naive(z, p):
        with np.errstate(over="ignore"):
            return (1 + z / np.sqrt(z * z + p["b"])) / 2

    r = gradcheck.check(altered("squareplus", naive))
    assert not r.passed and abs(r.worst_z) > 1e154, r


# -- --tol is the plain relative error -----------------------------------------------------


def test_tolerance_is_the_plain_relative_error():
    f = actgrad.get("sigmoid")
    for factor, passes in ((1 + 2e-7, False), (1 + 0.5e-7, True), (1 - 2e-7, False)):
        off = altered("sigmoid", lambda z, p, c=factor: lecture.sigmoid_deriv(z, p) * c)
        r = gradcheck.check(off, CORE, tol=1e-7)
        assert r.passed is passes, (factor, r)
        assert r.max_rel_error == pytest.approx(abs(factor - 1), rel=1e-6), (factor, r)
    assert gradcheck.check(f, CORE, tol=1e-7).passed


def test_error_measure():
    e = gradcheck.relative_error
    assert e(0.0, 0.0) == 0.0 and e(np.inf, np.inf) == 0.0 and e(-np.inf, -np.inf) == 0.0
    assert e(1.0, 3.0) == 2 / 3 and e(3.0, 1.0) == 2.0  # |a − n|/|n|, not symmetric
    assert e(1 + 2e-7, 1.0) == pytest.approx(2e-7, rel=1e-8)
    assert np.isnan(e(np.nan, 1.0)) and np.isnan(e(1.0, np.nan))
    assert e(np.inf, 1.0) == np.inf and e(1.0, 0.0) == 2.0**1022
    # next to a zero of g′: against half the size s of g′ around z
    assert e(1e-21, 0.0, scale=1e-7) == pytest.approx(2e-14)
    assert e(2.0, 1.0, scale=1e-7) == 1.0 and e(2.0, 1.0, scale=4.0) == 0.5
    # subnormal: one ULP counts 2^−52, as for a normal number
    assert e(5e-324, 1e-323) == 2.0**-52 and e(0.0, 5e-324) == 2.0**-52
    assert e(2.0**-1022 * (1 + 2.0**-52), 2.0**-1022) == 2.0**-52
    assert "max(|n|, s/2, 2^−1022)" in gradcheck.ERROR_HELP


def test_verdicts():
    assert [gradcheck.verdict(e) for e in (0.0, 1e-7, 1e-5, 1e-3, 1.0, math.nan)] == [
        "good", "good", "suspicious", "wrong", "wrong", "n/a"]


def test_catches_a_derivative_off_by_one_part_in_a_million():
    f = altered("sigmoid", lambda z, p: lecture.sigmoid_deriv(z, p) * (1 + 1e-6))
    r = gradcheck.check(f, CORE)
    assert not r.passed and r.max_rel_error == pytest.approx(1e-6, rel=1e-6)


# -- next to kinks -------------------------------------------------------------------------


@pytest.mark.parametrize("name,lo,hi", [
    ("relu", 0.0, 1e-3),  # right of the kink at 0
    ("leaky_relu", -1e-3, 0.0),  # left of it
    ("relu6", 6 - 1e-3, 6.0),  # a kink elsewhere than 0
    ("hardshrink", 0.5, 0.5 + 1e-3),  # beside a jump of g itself
    ("elu", 0.0, 5e-4),  # a break (g′ continuous, g″ jumps), not a kink
])
def test_catches_a_derivative_wrong_only_within_the_step_of_a_kink(name, lo, hi):
    base = actgrad.get(name)

    def wrong(z, p, dg=base.spec.dg):
        d = dg(z, p)
        return np.where((z > lo) & (z < hi), d + 0.5, d)

    assert checks.gradient_check(name).passed
    r = gradcheck.check(altered(name, wrong))
    assert not r.passed and r.verdict == "wrong" and lo < r.worst_z < hi, r


def test_one_sided_differences_give_each_side_its_slope():
    num = gradcheck.numeric_deriv
    assert num(actgrad.get("relu"), [1e-4, -1e-4, 1e-300, -5e-324]).tolist() == [1, 0, 1, 0]
    lrelu = actgrad.get("leaky_relu")
    assert num(lrelu, [-1e-9, 1e-9]).tolist() == [0.01, 1.0]
    hs = actgrad.get("hardshrink")  # g jumps at ±0.5
    assert num(hs, [0.5 + 1e-5, 0.5 - 1e-5, -0.5 - 1e-12]).tolist() == [1, 0, 1]
    # two kinks closer than the step: no stencil reaches across the other one
    ss = actgrad.get("softshrink", lambd=1e-6)
    assert num(ss, [0.0, 1.5e-6, -1.5e-6, 5e-7, 1e-6 + 1e-9]).tolist() == [0, 1, 1, 0, 1]
    # a kink itself: not computed (its g′ is a convention)
    assert np.isnan(num(actgrad.get("relu"), [0.0])).all()


def test_near_kink_values_match_mpmath():
    f = actgrad.get("elu", alpha=2.5)  # a kink at 0: slopes 2.5 and 1
    z = [-1e-4, -3e-7, -1e-300]
    got = gradcheck.numeric_deriv(f, z)
    for zi, gi in zip(z, got):
        exact = ref(lambda x: 2.5 * mpmath.exp(x), zi)
        assert abs(gi - exact) <= 1e-12 * exact, (zi, gi, exact)


def test_kinks_are_left_out_and_counted_nothing_else():
    r = gradcheck.check(actgrad.get("relu6"), np.array([0.0, 6.0, 5e-4, 3.0, 0.002, 6 - 1e-9]))
    assert (r.checked, r.left_out, r.near_kink) == (4, 2, 2) and r.max_rel_error == 0.0


def test_point_kinds():
    kinds = gradcheck.point_kinds(actgrad.get("relu"), [0.0, 5e-4, 1e-3, 2e-3, -1e-3, -1.0])
    assert kinds.tolist() == ["kink", "near kink", "near kink", "", "near kink", ""]
    assert gradcheck.point_kinds(actgrad.get("elu"), [0.0, 1e-4]).tolist() == ["", ""]  # a break
    assert gradcheck.point_kinds(actgrad.get("prelu", weight=1), [0.0]).tolist() == [""]
    k = gradcheck.point_kinds(actgrad.get("hard_tanh"), np.array([[-1.0, 1.0], [0.9995, 0.5]]))
    assert k.tolist() == [["kink", "kink"], ["near kink", ""]]


def test_table_rows():
    rows = gradcheck.table_rows(actgrad.get("relu"), [-1.0, 0.0, 5e-4, 2.0], kink="right")
    assert rows.z.tolist() == [-1.0, 0.0, 5e-4, 2.0]
    assert rows.g.tolist() == [0.0, 0.0, 5e-4, 2.0]
    assert rows.dg.tolist() == [0.0, 1.0, 1.0, 1.0]  # the kink takes the convention asked for
    assert rows.kind.tolist() == ["", "kink", "near kink", ""]
    num, err = rows.dg_numeric.tolist(), rows.error.tolist()
    assert num[0] == 0 and num[2:] == [1.0, 1.0] and math.isnan(num[1])
    assert err[0] == 0 and err[2:] == [0.0, 0.0] and math.isnan(err[1])
    assert rows.f == actgrad.get("relu")


# -- the numerical derivative itself -------------------------------------------------------


@pytest.mark.parametrize("name,z,reference", [
    ("tanh", [10.0, 20.0, -3.0, 300.0, -354.0], lambda z: 1 / mpmath.cosh(z) ** 2),
    ("sigmoid", [40.0, -700.0, 0.5, 708.0, -740.0],
     lambda z: mpmath.exp(-z) / (1 + mpmath.exp(-z)) ** 2),
    ("elu", [0.0, 1e-4, -1e-4, -2.0, -700.0], lambda z: mpmath.mpf(1) if z > 0 else mpmath.exp(z)),
    ("softsign", [0.0, 5e-4, -5e-4, 1e150, -3e153],
     lambda z: 1 / (1 + abs(z)) ** 2),
    ("tanhshrink", [1e-3, 0.5, -7.0, 0.01, -20.0], lambda z: mpmath.tanh(z) ** 2),
    ("gelu", [-30.0, 3.0, -37.5], lambda z: mpmath.ncdf(z) + z * mpmath.npdf(z)),
])
def test_numerical_derivative_matches_mpmath(name, z, reference):
    num = gradcheck.numeric_deriv(actgrad.get(name), np.array(z))
    for zi, ni in zip(z, num):
        exact = ref(reference, zi)
        assert abs(ni - exact) <= max(1e-12 * abs(exact), 2.0**-1074), (name, zi, ni, exact)


def test_far_tails_are_exact_zero_or_constant():
    num = gradcheck.numeric_deriv
    assert num(actgrad.get("sigmoid"), [1e5, -1e300, 1.7e308]).tolist() == [0, 0, 0]
    assert num(actgrad.get("selu"), [1e300]).tolist() == [1.0507009873554805]
    assert num(actgrad.get("softplus"), [1.7e308, -1e200]).tolist() == [1.0, 0.0]


def test_precision_is_raised_when_the_float_path_misleads():
    # the start precision comes from |g|/|g′| of the code under check; a g′ wildly too large
    # starts too low, and the proven error bound of the ball arithmetic raises it
    liar = altered("sigmoid", lambda z, p: np.ones_like(z))
    z = [30.0, 60.0, -45.0]
    for zi, ni in zip(z, gradcheck.numeric_deriv(liar, z)):
        exact = ref(lambda x: mpmath.exp(-x) / (1 + mpmath.exp(-x)) ** 2, zi)
        assert abs(ni - exact) <= 1e-12 * exact, (zi, ni, exact)


def test_a_plain_float64_central_difference_could_not_pass():
    # the reason for extended precision: beside tanh(10) ≈ 1, tanh′(10) ≈ 8e-9 drowns
    f = actgrad.get("tanh")
    h = 1e-5
    plain = (f(10 + h) - f(10 - h)) / (2 * h)
    assert gradcheck.relative_error(f.deriv(10.0), plain) > 1e-7


def test_catches_a_wrong_value_at_a_zero_of_the_derivative():
    base = actgrad.get("tanhshrink")
    wrong = altered("tanhshrink", lambda z, p: np.where(z == 0, 1e-12, base.spec.dg(z, p)))
    assert gradcheck.check(base, np.array([0.0])).passed
    r = gradcheck.check(wrong, np.array([0.0]))
    assert not r.passed and r.worst_z == 0.0


def test_catches_a_wrong_value_where_a_higher_derivative_jumps():
    base = actgrad.get("elu")
    wrong = altered("elu", lambda z, p: np.where(z == 0, 0.999, base.spec.dg(z, p)))
    assert gradcheck.check(base, np.array([0.0, 2e-4, -2e-4])).passed
    assert not gradcheck.check(wrong, np.array([0.0])).passed


# -- processes -----------------------------------------------------------------------------


def test_processes_give_the_same_results():
    acts = [actgrad.get("relu"), actgrad.get("tanh", ), actgrad.get("hard_swish")]
    extra = np.array([0.25, -7.5])
    serial = gradcheck.check_all(acts, extra, workers=1)
    parallel = gradcheck.check_all(acts, extra, workers=2)
    assert serial == parallel
    assert [r.checked + r.left_out for r in serial] == [
        len(gradcheck.check_grid(f, extra)) for f in acts]
    rows = gradcheck.table_rows_all(acts, np.linspace(-4, 4, 801), workers=2)
    for f, r in zip(acts, rows):
        one = gradcheck.table_rows(f, np.linspace(-4, 4, 801))
        assert np.array_equal(r.dg_numeric, one.dg_numeric, equal_nan=True)


def test_a_function_finer_than_the_smallest_step_is_unresolved_not_passed():
    # celu′ = e^(z/α) varies on the scale α: far below step/1024 no estimate settles
    f = actgrad.get("celu", alpha=1e-30)
    r = gradcheck.check(f, [-1e-30, -5e-31, 1.0, -1.0])
    assert r.unresolved == 2 and r.checked == 4 and not r.passed and r.verdict == "unresolved"
    assert np.isnan(gradcheck.numeric_deriv(f, [-1e-30])).all()
    assert gradcheck.check(f, [-1e-30], step=1e-31).passed  # a step on its scale resolves it


# -- order 2: g″ against differences of g′ -------------------------------------------------


def altered2(name: str, d2g, **params) -> Activation:
    """The registry's function with its g″ replaced."""
    f = actgrad.get(name, **params)
    return Activation(dataclasses.replace(f.spec, d2g=d2g), dict(f.params))


def test_every_second_derivative_passes_on_its_default_grid():
    results = checks.registry_check(2)
    assert list(results) == actgrad.names()
    for name, r in results.items():
        f = actgrad.get(name)
        # gelu_10: one-sided differences beside its kink at 10, where g″ = φ·(2 − z²) changes
        # by a factor e^(−10h) over a step h, leave 3.8e-15 at z = 10 − 3.2e-12 (the analytic
        # g″ there is within 1 ULP of mpmath's); every other g″ meets 1e-15
        bound = 1e-14 if name == "gelu_10" else 1e-15
        assert r.order == 2 and r.passed and r.max_rel_error <= bound, r
        assert r.checked + r.left_out == len(gradcheck.default_grid(f, 2)), r
        # left out: each kink of g′ and each jump of g″, once (selu and hard_swish have both
        # at the same points)
        assert r.left_out == len({k.at for k in (*f.kinks, *f.kinks2)}), r
    assert results["elu"].left_out == 1 and checks.registry_check()["elu"].left_out == 0
    assert results["sparse_plus"].left_out == 2 and results["sigmoid"].left_out == 0


def test_catches_the_textbook_second_derivative_of_sigmoid_in_the_tail():
    # σ″ = s(1 − s)(1 − 2s) from the rounded s = σ(z): 0 beyond |z| ≈ 37 where σ″ is not
    naive = altered2("sigmoid", lambda z, p: (lambda s: s * (1 - s) * (1 - 2 * s))(
        lecture.sigmoid(z, p)))
    assert gradcheck.check(naive, CORE[np.abs(CORE) <= 5], order=2).passed  # fine in the middle
    r = gradcheck.check(naive, order=2)
    assert not r.passed and r.verdict == "wrong" and abs(r.worst_z) > 10, r


def test_catches_a_second_derivative_off_by_one_part_in_a_million():
    f = altered2("tanh", lambda z, p, d=actgrad.get("tanh").spec.d2g: d(z, p) * (1 + 1e-6))
    r = gradcheck.check(f, CORE, order=2)
    assert not r.passed and r.max_rel_error == pytest.approx(1e-6, rel=1e-5), r
    assert gradcheck.check(f, CORE).passed  # g′ is untouched: order 1 sees nothing


@pytest.mark.parametrize("name,lo,hi", [
    ("elu", 0.0, 5e-4),  # right of a jump of g″
    ("softsign", -5e-4, 0.0),  # left of one
    ("relu6", 6 - 1e-3, 6.0),  # beside a kink of g′
    ("sparse_plus", 1.0, 1.0 + 1e-3),
])
def test_catches_a_second_derivative_wrong_only_within_the_step_of_a_jump(name, lo, hi):
    base = actgrad.get(name)

    def wrong(z, p, d2g=base.spec.d2g):
        d = d2g(z, p)
        return np.where((z > lo) & (z < hi), d + 0.5, d)

    r = gradcheck.check(altered2(name, wrong), order=2)
    assert not r.passed and r.verdict == "wrong" and lo < r.worst_z < hi, r


@pytest.mark.parametrize("name,params,z", [
    ("sigmoid", {}, [40.0, -700.0, 0.5, 1e-300]),
    ("tanh", {}, [20.0, -3.0, 300.0]),
    ("silu", {}, [40.41, 2.39936, -745.0]),
    ("gelu", {}, [-30.0, 1.4142135623730951, 3.0]),
    ("gelu", {"approximate": "tanh"}, [1.4185, -6.0]),
    ("mish", {}, [-2.25638, 1.49057, 30.0]),
    ("elu", {"alpha": 2.5}, [-1e-4, -3e-7, 1e-9, -1e-300]),  # one-sided next to the jump
    ("softsign", {}, [5e-4, -5e-4, 1e100]),
    ("hard_swish", {}, [2.9999, -2.9999999, 0.5]),
    ("softplus", {"beta": 2.0, "threshold": 20.0}, [10 - 1e-6, 10 + 1e-6, -3.0]),
])
def test_numerical_second_derivative_matches_the_reference(name, params, z):
    # next to a root of g″ (silu, gelu, mish) the error is measured against the size s of g″
    # around z, as ERROR_HELP says
    num, s = gradcheck.numeric_with_scale(actgrad.get(name, **params), np.array(z), order=2)
    for zi, ni, si in zip(z, num, s):
        exact = float(R.second(name, zi, params))
        bound = max(1e-12 * max(abs(exact), si / 2), 2.0**-1074)
        assert abs(ni - exact) <= bound, (name, zi, ni, exact)


def test_point_kinds_of_order_2():
    elu = actgrad.get("elu")
    assert gradcheck.point_kinds(elu, [0.0, 1e-4, 1.0], order=2).tolist() == [
        "kink", "near kink", ""]
    assert gradcheck.point_kinds(elu, [0.0, 1e-4]).tolist() == ["", ""]  # order 1: a break
    relu = actgrad.get("relu")  # a kink of g′ is one of g″ too
    assert gradcheck.point_kinds(relu, [0.0, -5e-4], order=2).tolist() == ["kink", "near kink"]
    with pytest.raises(ValueError, match="order 1"):
        gradcheck.check(relu, [1.0], order=3)
    with pytest.raises(ValueError, match="order 1"):
        gradcheck.numeric_deriv(relu, [1.0], order=0)


def _cubic_spec(breaks):
    """g = max(z, 0)³/6: g″ = max(z, 0) is continuous, g‴ jumps at 0."""
    from actgrad.activations.base import Spec

    return Spec(
        name="cubic", formula="", deriv_formula="",
        g=lambda z, p: np.maximum(z, 0.0) ** 3 / 6, dg=lambda z, p: np.maximum(z, 0.0) ** 2 / 2,
        exact=lambda z, p, mp: z**3 / 6 if z > 0 else mp.mpf(0),
        exact_dg=lambda z, p, mp: z**2 / 2 if z > 0 else mp.mpf(0),
        d2g=lambda z, p: np.maximum(z, 0.0), breaks=lambda p: breaks)


def test_one_sided_differences_where_only_the_third_derivative_jumps():
    # a central difference of g′ straddling 0 is off by (z − u)²/4u; the Spec's break at 0
    # makes the stencils one-sided there, so g″ = z comes out right
    z = np.array([1e-5, -1e-5, 3e-4, 0.0])
    good = Activation(_cubic_spec((0.0,)))
    r = gradcheck.check(good, z, order=2)
    assert r.passed and r.left_out == 0 and r.checked == 4, r
    num = gradcheck.numeric_deriv(good, z, order=2)
    assert np.allclose(num, np.maximum(z, 0), rtol=1e-12, atol=1e-300)
    assert not gradcheck.check(Activation(_cubic_spec(())), z, order=2).passed


def test_table_rows_of_order_2():
    f = actgrad.get("elu")
    rows = gradcheck.table_rows(f, [-1.0, 0.0, 2e-4, 1.0], kink="jax", order=2)
    assert rows.order == 2 and gradcheck.table_rows(f, [1.0]).order == 1
    assert rows.kind2.tolist() == ["kink" if z == 0 else "near kink" if z == 2e-4 else ""
                                   for z in rows.z.tolist()]
    assert rows.kind.tolist() == ["", "", "", ""]  # for g′ elu has no kink
    assert rows.d2g[1] == 1.0 and rows.d2g[3] == 0.0  # JAX's side at 0 is the left one
    assert math.isnan(rows.d2g_numeric[1]) and math.isnan(rows.error2[1])
    assert abs(rows.d2g_numeric[0] - math.exp(-1)) <= 1e-15 and rows.d2g_numeric[2] == 0.0
    assert np.nanmax(rows.error2) <= 2.0**-52
    assert np.array_equal(rows.dg_numeric, gradcheck.table_rows(f, rows.z).dg_numeric)


def test_processes_give_the_same_results_for_order_2():
    acts = [actgrad.get("softsign"), actgrad.get("hard_swish")]
    serial = gradcheck.check_all(acts, workers=1, order=2)
    assert serial == gradcheck.check_all(acts, workers=2, order=2)
    assert serial == [checks.registry_check(2)[f.name] for f in acts]


def test_precision_is_raised_when_the_float_g2_misleads():
    # the start precision of order 2 comes from |g′|/|g″| of the code under check
    f = actgrad.get("sigmoid")
    liar = Activation(dataclasses.replace(f.spec, d2g=lambda z, p: np.ones_like(z)))
    z = [30.0, 60.0, -45.0, 700.0]
    for zi, ni in zip(z, gradcheck.numeric_deriv(liar, z, order=2)):
        exact = float(R.second("sigmoid", zi))
        assert abs(ni - exact) <= 1e-12 * abs(exact), (zi, ni, exact)
