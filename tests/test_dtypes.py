"""float32 and float16: the float64 result correctly rounded, for every function.

Exhaustive over the 63,488 finite float16 values (and a float32 sample): the result in the
small type must be the float64 result rounded to it. Since the float64 result is within a few
ULP of the exact value (tests/test_accuracy.py, test_smooth.py, test_piecewise.py), that puts
it within 1 ULP of the small type; for the lecture's functions the 1 ULP bound is also checked
directly against mpmath.
"""

from __future__ import annotations

import numpy as np
import pytest

import actgrad
import reference

ALL16 = np.arange(2**16, dtype=np.uint16).view(np.float16)
FINITE16 = ALL16[np.isfinite(ALL16)]
SAMPLE32 = np.concatenate([
    np.random.default_rng(7).integers(0, 2**32, 50_000, dtype=np.uint64).astype(np.uint32).view(np.float32),
    np.float32([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, 3.4028235e38]),
])


def quiet(fn, *args, **kwargs):
    with np.errstate(all="raise"):
        return fn(*args, **kwargs)


@pytest.mark.parametrize("name", actgrad.names())
@pytest.mark.parametrize("z", [ALL16, SAMPLE32], ids=["float16-all", "float32-sample"])
def test_small_types_are_the_float64_result_rounded(name, z):
    f = actgrad.get(name)
    for method in (f, f.deriv):
        got = quiet(method, z)
        assert got.dtype == z.dtype and got.shape == z.shape
        with np.errstate(invalid="ignore"):  # the sample holds signalling NaN bit patterns
            z64 = z.astype(np.float64)
        with np.errstate(over="ignore", under="ignore"):
            want = quiet(method, z64).astype(z.dtype)
        np.testing.assert_array_equal(got, want, err_msg=f"{name} {method}")


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "leaky_relu"])
def test_float16_within_one_ulp_of_exact(name):
    f = actgrad.get(name)
    z = FINITE16[::7]  # 9,070 values spread over every binade
    for kind, method in (("g", f), ("dg", f.deriv)):
        got = quiet(method, z)
        exact = [reference.value(name, float(v)) if kind == "g" else
                 reference.deriv(name, float(v)) for v in z.tolist()]
        err = reference.ulp_error(got, exact, np.float16)
        worst = int(np.nanargmax(err))
        assert err[worst] <= 1.0, f"{name} {kind}: {err[worst]} ULP at z={z[worst]}"


def test_cli_float16(tmp_path):
    from typer.testing import CliRunner

    from actgrad.cli.app import app

    r = CliRunner().invoke(app, ["deriv", "sigmoid", "0", "3", "100000", "--dtype", "float16"])
    assert r.exit_code == 0
    # 100000 rounds to inf in float16; σ′(3) = 0.04517666… rounds to the float16 0.04517
    assert r.stdout.split() == ["0.25", str(np.float16(0.0451766597309)), "0.0"]


@pytest.mark.parametrize("name", actgrad.names())
def test_any_float64_bit_pattern_is_quiet(name):
    """Random bit patterns, signalling NaNs and all: no floating-point exception escapes."""
    z = np.random.default_rng(11).integers(0, 2**64, 20_000, dtype=np.uint64).view(np.float64)
    z = np.concatenate([z, np.array([0x7FF0000000000001, 0xFFF4000000000000],
                                    dtype=np.uint64).view(np.float64)])  # signalling NaNs
    f = actgrad.get(name)
    for method in (f, f.deriv):
        out = quiet(method, z)
        assert np.isnan(out[np.isnan(z)]).all()
        assert not np.isnan(out[~np.isnan(z)]).any()
