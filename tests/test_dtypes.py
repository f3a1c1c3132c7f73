"""float32 and float16: correctly rounded, for every function, g, g′ and g′ from the output.

The expected value is the exact value rounded once to the small type
(tests/catalogue_reference.py: independent formulas in arb balls with a proven rounding,
cross-checked against mpmath), never the float64 result rounded again (double rounding:
rrelu's slope·z, silu and gelu on float32 subnormals, sigmoid near 1/2 were wrong that way).

In the suite: float16 over a stride through all 63,488 finite values plus, for each function,
the inputs whose float64 result lies near a float16 rounding boundary (where double rounding
bites); float32 over every subnormal binade, a random sample and its near-boundary inputs;
issue 9's cases. The exhaustive float16 sweep (every input, every function, g and g′) is
benchmarks/dtype_rounding.py; all 2^32 float32 inputs of one function:
benchmarks/float32_exhaustive.py.
"""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
import catalogue_reference as C  # noqa: E402
import reference  # noqa: E402

import actgrad  # noqa: E402
from actgrad.registry import _near_boundary  # noqa: E402

ALL16 = np.arange(2**16, dtype=np.uint16).view(np.float16)
FINITE16 = ALL16[np.isfinite(ALL16)]
RNG = np.random.default_rng(7)
SAMPLE32 = RNG.integers(0, 2**32, 20_000, dtype=np.uint64).astype(np.uint32).view(np.float32)
SAMPLE32 = SAMPLE32[np.isfinite(SAMPLE32)]


def subnormals32():
    """Two mantissas of every bit length 1..23 (every subnormal binade), both signs."""
    k = [1, 1]
    for bits in range(2, 24):
        k += RNG.integers(1 << (bits - 1), 1 << bits, 2).tolist()
    u = np.array(k, dtype=np.uint32)
    return np.concatenate([u, u | np.uint32(0x80000000)]).view(np.float32)


def quiet(fn, *args, **kwargs):
    with np.errstate(all="raise"):
        return fn(*args, **kwargs)


def near(f, deriv, z, dtype, cap=40):
    """Inputs whose float64 result is near a rounding boundary of dtype (at most cap)."""
    with np.errstate(all="ignore"):
        r = (f.deriv if deriv else f)(z.astype(np.float64))
    return z[_near_boundary(np.asarray(r), np.dtype(dtype))][:cap]


def check(name, deriv, z):
    f = C.activation(name)
    got = quiet(f.deriv if deriv else f, z)
    assert got.dtype == z.dtype and got.shape == z.shape
    want = [C.rounded_fast(name, v, deriv, z.dtype) for v in z.tolist()]
    bad = [(v, g, w) for v, g, w in zip(z.tolist(), got.tolist(), want)
           if not (g == w or (g != g and w != w))]
    assert not bad, f"{name}{'′' if deriv else ''} in {z.dtype}: {len(bad)} mis-rounded, " \
                    f"e.g. z={bad[0][0]!r}: {bad[0][1]!r}, exact rounds to {bad[0][2]!r}"


@pytest.mark.parametrize("name", C.NAMES)
def test_float16_correctly_rounded(name):
    f = C.activation(name)
    for deriv in (False, True):
        z = np.concatenate([FINITE16[::211], np.float16([0, -0.0, 65504, -65504]),
                            near(f, deriv, FINITE16, np.float16)])
        check(name, deriv, z)


@pytest.mark.parametrize("name", C.NAMES)
def test_float32_correctly_rounded(name):
    f = C.activation(name)
    for deriv in (False, True):
        z = np.concatenate([subnormals32(), SAMPLE32[:60],
                            np.float32([1.1754944e-38, -1.1754944e-38, 3.4028235e38]),
                            near(f, deriv, SAMPLE32, np.float32)])
        check(name, deriv, z)


def test_issue_9_cases():
    r = actgrad.get("rrelu")(np.float32(-1.4585387706756592))
    assert r.dtype == np.float32 and r == np.float32(-0.33424845)
    s = actgrad.get("sigmoid")(np.float32(3.5762786865234375e-07))
    assert s == np.float32(0.50000006)
    # rrelu: (1/8 + fl(1/3))/2·z is a hair below the float16 midpoint 599.5·2^−24
    z = np.float16(-0.00015592575073242188)
    assert actgrad.get("rrelu")(z) == np.float16(-599 * 2.0**-24)
    assert C.rounded_fast("rrelu", float(z), False, np.float16) == -599 * 2.0**-24
    for name in ("gelu", "silu", "hard_swish", "gelu_tanh"):
        check(name, False, subnormals32())


@pytest.mark.parametrize("name", C.FROM_OUTPUT)
def test_deriv_from_output_correctly_rounded(name):
    """g′ from a: the exact g′ at the float a (the from-output formula on the exact a)."""
    f = C.activation(name)
    for dtype, z in ((np.float16, FINITE16[::97]), (np.float32, SAMPLE32[::50])):
        with np.errstate(all="ignore"):
            a = np.unique(f(z))
        a = a[np.isfinite(a)]
        if name == "hardshrink":
            a = a[(a == 0) | (np.abs(a) > 0.5)]
        got = quiet(f.deriv_from_output, a)
        assert got.dtype == dtype
        p = dict(f.params)
        for ai, g in zip(a.tolist(), got.tolist()):
            kink = [k for k in f.kinks if k.unique_output and f.spec.g(np.float64(k.at), p) == ai]
            want = (reference.round_to(kink[0].exact_slope("pytorch", __import__("mpmath")), dtype)
                    if kink else C.rounded_fast(name, ai, True, dtype, from_output=True))
            assert g == want, f"{name} from a={ai!r} ({np.dtype(dtype)}): {g!r} vs {want!r}"


def test_boundary_test_is_cheap_and_rare():
    """The exact fallback runs only where the float64 result is near a boundary."""
    f = actgrad.get("sigmoid")
    z = SAMPLE32
    with np.errstate(all="ignore"):
        fire = _near_boundary(f(z.astype(np.float64)), np.dtype(np.float32))
    assert fire.mean() < 1e-3


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
    for small in (np.float32, np.float16):  # the exact fallback is quiet too
        with np.errstate(invalid="ignore", over="ignore"):
            zs = z.astype(small)
        for method in (f, f.deriv):
            quiet(method, zs)
