"""The gradient check: its numerical derivative is right, and it catches wrong derivatives."""

from __future__ import annotations

import dataclasses

import mpmath
import numpy as np
import pytest

import actgrad
from actgrad.numerics import gradcheck
from actgrad.registry import Activation


def altered(name: str, dg, **params) -> Activation:
    """The registry's function with its g′ replaced."""
    f = actgrad.get(name, **params)
    return Activation(dataclasses.replace(f.spec, dg=dg), dict(f.params))


def test_every_function_passes_on_the_default_grid():
    for name in actgrad.names():
        r = gradcheck.check(actgrad.get(name), gradcheck.default_grid())
        assert r.passed and r.checked + r.left_out == 1001, r


@pytest.mark.parametrize("name,z,reference", [
    ("tanh", [10.0, 20.0, -3.0, 300.0], lambda z: 1 / mpmath.cosh(z) ** 2),
    ("sigmoid", [40.0, -700.0, 0.5], lambda z: mpmath.exp(-z) / (1 + mpmath.exp(-z)) ** 2),
    ("elu", [0.0, 1e-4, -1e-4, -2.0], lambda z: mpmath.mpf(1) if z > 0 else mpmath.exp(z)),
    ("softsign", [0.0, 5e-4, -5e-4], lambda z: 1 / (1 + abs(z)) ** 2),
    ("tanhshrink", [1e-3, 0.5, -7.0], lambda z: mpmath.tanh(z) ** 2),
])
def test_numerical_derivative_matches_mpmath(name, z, reference):
    num = gradcheck.numeric_deriv(actgrad.get(name), np.array(z))
    for zi, ni in zip(z, num):
        with mpmath.workdps(60):
            exact = float(reference(mpmath.mpf(zi)))
        assert abs(ni - exact) <= 1e-12 * abs(exact), (name, zi, ni, exact)


def test_a_plain_float64_central_difference_could_not_pass():
    # the reason for extended precision: beside tanh(10) ≈ 1, tanh′(10) ≈ 8e-9 drowns
    f = actgrad.get("tanh")
    h = 1e-5
    plain = (f(10 + h) - f(10 - h)) / (2 * h)
    assert gradcheck.relative_error(f.deriv(10.0), plain) > 1e-7


def test_catches_a_derivative_off_by_one_part_in_a_million():
    f = altered("sigmoid", lambda z, p: actgrad.activations.lecture.sigmoid_deriv(z, p) * (1 + 1e-6))
    r = gradcheck.check(f, gradcheck.default_grid())
    assert not r.passed and 4e-7 < r.max_rel_error < 6e-7


def test_catches_the_naive_form_in_the_tail():
    naive = altered("tanh", lambda z, p: 1 - np.tanh(z) ** 2)
    r = gradcheck.check(naive, np.array([20.0, 25.0]))
    assert not r.passed and r.max_rel_error > 1e-3


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


def test_kinks_are_left_out_and_counted_nothing_else():
    r = gradcheck.check(actgrad.get("relu6"), np.array([0.0, 6.0, 5e-4, 3.0, 0.002]))
    assert (r.checked, r.left_out) == (2, 3)


def test_error_measure():
    assert gradcheck.relative_error(0.0, 0.0) == 0.0
    assert gradcheck.relative_error(1.0, 3.0) == 0.5
    assert gradcheck.relative_error(np.inf, np.inf) == 0.0
    assert np.isnan(gradcheck.relative_error(np.nan, 1.0))
    assert gradcheck.relative_error(1e-21, 0.0, scale=1e-7) == pytest.approx(1e-14)
    assert gradcheck.relative_error(2.0, 1.0, scale=1e-7) == pytest.approx(1 / 3)


def test_verdicts():
    assert [gradcheck.verdict(e) for e in (0.0, 1e-7, 1e-5, 1e-3, 1.0)] == [
        "good", "good", "suspicious", "wrong", "wrong"]
