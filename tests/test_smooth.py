"""Accuracy and behaviour of the smooth activations (actgrad/activations/smooth.py).

References: the mpmath formulas of tests/reference.py (``SMOOTH_REFS``), at 60 digits, written
from the definitions (never actgrad's ``exact``/``exact_dg`` or any actgrad output); rounding
and ULP measure from there too. Bounds: float64 <= 4 ULP for g and g′ at every point of a stress grid
(dense core, both tails out to ±1.8e308, every binade down to the subnormals, ±0, windows
around the roots of g′ in nextafter steps, the kinks' and the formula switch points'
neighbourhoods); float32 inputs <= 1 ULP against the exact value correctly rounded to
float32. Every call into actgrad runs under ``warnings.simplefilter("error")`` and
``np.errstate(all="raise")`` (the registry itself ignores underflow only).
"""

from __future__ import annotations

import functools
import math
import os
import sys
import warnings

import mpmath
import numpy as np
import pytest
from mpmath import mpf

sys.path.insert(0, os.path.dirname(__file__))
import checks  # noqa: E402
import reference as ref  # noqa: E402
from conftest import call, call32, neighbours  # noqa: E402
from conftest import check_ulp  # noqa: E402

import actgrad  # noqa: E402

TOL64 = 4.0
TOL32 = 1.0
DPS = 60
F64_MAX = float(np.finfo(np.float64).max)
F32_MAX = float(np.finfo(np.float32).max)
TINY = 5e-324
CONVENTIONS = ("pytorch", "jax", "left", "right", "mean")

# independent references: tests/reference.py (CATALOGUE_REFS), written from the definitions
from reference import (  # noqa: E402
    SELU_A, SELU_L, _sig, _sig_neg, r_celu, r_elu, r_gelu, r_log_sigmoid, r_mish, r_selu,
    r_silu, r_softplus, r_softsign, r_squareplus, r_tanhshrink,
)
from reference import SMOOTH_REFS as REFS  # noqa: E402


def reference(name, x, p):
    with mpmath.workdps(DPS):
        return REFS[name](mpf(float(x)), p)


# the roots of g′ (independently found here) and what else needs a close look
def _root(f, x0):
    with mpmath.workdps(DPS):
        return mpmath.findroot(f, mpf(x0))


@functools.lru_cache(maxsize=None)
def roots() -> dict:
    return {
        "silu": _root(lambda z: r_silu(z, {})[1], -1.28),
        "mish": _root(lambda z: r_mish(z, {})[1], -1.19),
        "gelu": _root(lambda z: r_gelu(z, {})[1], -0.75),
        "gelu_tanh": _root(lambda z: r_gelu(z, {"approximate": "tanh"})[1], -0.75),
    }


# (name, params, test id)
CASES = [
    ("elu", {}, "elu"),
    ("elu", {"alpha": 2.5}, "elu-alpha2.5"),
    ("selu", {}, "selu"),
    ("celu", {}, "celu"),
    ("celu", {"alpha": 0.7}, "celu-alpha0.7"),
    ("celu", {"alpha": -1.5}, "celu-alpha-1.5"),
    ("gelu", {}, "gelu"),
    ("gelu", {"approximate": "tanh"}, "gelu-tanh"),
    ("silu", {}, "silu"),
    ("silu", {"beta": 1.702}, "silu-beta1.702"),  # quick_gelu's β, but the float 1.702
    ("silu", {"beta": 0.25}, "silu-beta0.25"),
    ("silu", {"beta": 7.3}, "silu-beta7.3"),
    ("mish", {}, "mish"),
    ("softplus", {}, "softplus"),
    ("softplus", {"beta": 2.0}, "softplus-beta2"),
    ("softplus", {"beta": 0.3}, "softplus-beta0.3"),
    ("softplus", {"threshold": 20.0}, "softplus-threshold20"),
    ("softplus", {"beta": 2.0, "threshold": 20.0}, "softplus-beta2-threshold20"),
    ("softsign", {}, "softsign"),
    ("log_sigmoid", {}, "log_sigmoid"),
    ("tanhshrink", {}, "tanhshrink"),
    ("squareplus", {}, "squareplus"),
    ("squareplus", {"b": 0.5}, "squareplus-b0.5"),
]
CASE_BY_ID = {c[2]: c for c in CASES}


def _window(z0: float, rng) -> list:
    """A root's neighbourhood: 64 steps each side, then ever wider shells."""
    pts = neighbours(z0, 64)
    for w in (1e-13, 1e-10, 1e-7, 1e-4, 1e-2, 0.3):
        pts += list(z0 + rng.uniform(-w, w, 40))
    return pts


@functools.lru_cache(maxsize=None)
def base64() -> np.ndarray:
    rng = np.random.default_rng(20261127)
    mags = np.concatenate([
        10.0 ** rng.uniform(-323.6, 308.25, 700),
        np.ldexp(1.0, np.arange(-1074, 1024, 9)),
        np.ldexp(1.7, np.arange(-1074, 1023, 23)),
        [TINY, 2 * TINY, 3 * TINY, 2.2250738585072014e-308, 1e-300, F64_MAX,
         np.nextafter(F64_MAX, 0), 1e308, 2.0**500, 2.0**1000],
    ])
    parts = [
        np.linspace(-20.0, 20.0, 2001), rng.uniform(-20.0, 20.0, 1500), mags, -mags,
        np.linspace(-800.0, -30.0, 386), rng.uniform(-760.0, -690.0, 150),
        np.linspace(30.0, 800.0, 78), [0.0, -0.0],
    ]
    return np.concatenate([np.asarray(p, dtype=np.float64) for p in parts])


def _specific(name: str, params: dict) -> list:
    rng = np.random.default_rng(len(name) * 1000 + len(params))
    pts: list = []
    for b in (0.0, 1.0, -1.0, 2.0, -2.0, -3.0, 3.0, -40.0, 40.0):  # formula switch points
        pts += neighbours(b, 3)
    if name in ("silu", "mish", "gelu"):
        key = "gelu_tanh" if params.get("approximate") == "tanh" else name
        beta = params.get("beta", 1.0)  # silu's t = βz: its root z0/β
        root = roots()[key] if beta == 1.0 else _root(lambda z: r_silu(z, params)[1], -1.28 / beta)
        pts += _window(float(root), rng)
        if beta != 1.0:
            pts += list(rng.uniform(-760.0, -740.0, 150) / beta)
            pts += list(rng.uniform(-4.0, 0.0, 200) / beta) + list(rng.uniform(-40.0, 40.0, 200) / beta)
    if name == "gelu":
        pts += list(rng.uniform(-40.0, -35.0, 200)) + list(rng.uniform(-25.0, -15.0, 150))
        pts += list(rng.uniform(-2.5, 2.5, 200))
    if name in ("silu", "mish"):
        pts += list(rng.uniform(-760.0, -740.0, 150)) + list(rng.uniform(-4.0, 0.0, 200))
    if name == "softplus":
        beta, thr = params.get("beta", 1.0), params.get("threshold", math.inf)
        pts += list(rng.uniform(-2000.0, -600.0, 150) / beta)
        pts += list(rng.uniform(-60.0, 60.0, 150) / beta)
        if math.isfinite(thr):
            pts += neighbours(thr / beta, 8)
    if name == "tanhshrink":
        pts += list(rng.uniform(-1.5, 1.5, 300)) + list(10.0 ** rng.uniform(-200, 0, 100))
    if name == "squareplus":
        pts += neighbours(2.0**400, 3) + neighbours(-(2.0**400), 3) + list(rng.uniform(-1e3, 1e3, 100))
    if name == "celu":
        a = params.get("alpha", 1.0)
        pts += list(rng.uniform(-1500.0, 0.0, 150) * abs(a)) + neighbours(-50.0 * abs(a), 3)
    return pts


@functools.lru_cache(maxsize=None)
def grid(case_id: str, dtype: str) -> np.ndarray:
    name, params, _ = CASE_BY_ID[case_id]
    with np.errstate(all="ignore"):
        z = np.concatenate([base64(), np.asarray(_specific(name, params), dtype=np.float64)])
        if dtype == "float32":
            z = z[np.abs(z) <= F32_MAX].astype(np.float32)
            z = np.concatenate([z, np.ldexp(np.float32(1.0), np.arange(-149, 128, 3)),
                                -np.ldexp(np.float32(1.0), np.arange(-149, 128, 5)),
                                np.array([1e-45, -1e-45, F32_MAX, -F32_MAX], np.float32)])
            z = z.astype(np.float32)
    z = z[np.isfinite(z)]
    # keep ±0 both, drop other duplicates
    zero = z[z == 0]
    z = np.unique(z[z != 0])
    return np.concatenate([np.array([0.0, -0.0], dtype=z.dtype), z])


@functools.lru_cache(maxsize=None)
def prepared(case_id: str, dtype: str):
    name, params, _ = CASE_BY_ID[case_id]
    z = grid(case_id, dtype)
    exact = [reference(name, x, params) for x in z]
    dt = np.float64 if dtype == "float64" else np.float32
    prep = getattr(ref, "prepare", None)
    gs, ds = [e[0] for e in exact], [e[1] for e in exact]
    if prep is not None:
        return prep(gs, dt), prep(ds, dt)
    return gs, ds


@pytest.mark.parametrize("case_id", [c[2] for c in CASES])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_ulp(case_id, dtype):
    name, params, _ = CASE_BY_ID[case_id]
    f = actgrad.get(name, **params)
    z = grid(case_id, dtype)
    eg, ed = prepared(case_id, dtype)
    c = call if dtype == "float64" else call32
    g = c(f, z)
    d = c(f.deriv, z)
    dt = np.dtype(dtype)
    assert g.dtype == dt and d.dtype == dt and g.shape == z.shape
    tol = TOL64 if dtype == "float64" else TOL32
    check_ulp(f"{case_id} {dtype} g", z, g, eg, dt, tol)
    check_ulp(f"{case_id} {dtype} g'", z, d, ed, dt, tol)


# ----------------------------------------------------------------------------------------
# special values, shapes


def _exact_float(f):
    with mpmath.workdps(DPS):
        return ref.round_to(f(), np.float64)


def _selu_consts():
    return (_exact_float(lambda: mpf(SELU_L)), _exact_float(lambda: mpf(SELU_L) * mpf(SELU_A)))


def _special(name, params):
    """g and g′ at +inf, −inf (limits), written out by hand."""
    a = params.get("alpha", 1.0)
    lam, la = _selu_consts()
    table = {
        "elu": ((math.inf, -a), (1.0, 0.0)),
        "selu": ((math.inf, -la), (lam, 0.0)),
        "celu": ((math.inf, -a if a > 0 else -math.inf), (1.0, 0.0 if a > 0 else math.inf)),
        "gelu": ((math.inf, 0.0), (1.0, 0.0)),
        "silu": ((math.inf, 0.0), (1.0, 0.0)),
        "mish": ((math.inf, 0.0), (1.0, 0.0)),
        "softplus": ((math.inf, 0.0), (1.0, 0.0)),
        "softsign": ((1.0, -1.0), (0.0, 0.0)),
        "log_sigmoid": ((0.0, -math.inf), (0.0, 1.0)),
        "tanhshrink": ((math.inf, -math.inf), (1.0, 1.0)),
        "squareplus": ((math.inf, 0.0), (1.0, 0.0)),
    }
    return table[name]


@pytest.mark.parametrize("case_id", [c[2] for c in CASES])
def test_special_values(case_id):
    name, params, _ = CASE_BY_ID[case_id]
    f = actgrad.get(name, **params)
    (gp, gm), (dp, dm) = _special(name, params)
    z = np.array([np.inf, -np.inf, np.nan])
    g, d = call(f, z), call(f.deriv, z)
    assert g[0] == gp and g[1] == gm, (g, gp, gm)
    assert d[0] == dp and d[1] == dm, (d, dp, dm)
    assert np.isnan(g[2]) and np.isnan(d[2])
    # scalars in, float out; shapes kept
    assert isinstance(call(f, 0.5), float) and isinstance(call(f.deriv, 0.5), float)
    m = np.linspace(-3, 3, 12).reshape(3, 4)
    assert call(f, m).shape == (3, 4) and call(f.deriv, m).shape == (3, 4)
    assert call(f, np.float32(0.5)).dtype == np.float32


# ----------------------------------------------------------------------------------------
# kinks


KINK_CASES = [
    # (name, params, at, left, right, pytorch side, jax side)
    ("elu", {"alpha": 2.5}, 0.0, 2.5, 1.0, "left", "left"),
    ("elu", {"alpha": 0.5}, 0.0, 0.5, 1.0, "left", "left"),
    ("selu", {}, 0.0, _selu_consts()[1], _selu_consts()[0], "left", "left"),
    ("softplus", {"threshold": 20.0}, 20.0, _exact_float(lambda: _sig(mpf(20))), 1.0,
     "left", "left"),
    ("softplus", {"beta": 2.0, "threshold": 20.0}, 10.0, _exact_float(lambda: _sig(mpf(20))),
     1.0, "left", "left"),
    ("squareplus", {"b": 0.0}, 0.0, 0.0, 1.0, "left", "left"),
]


@pytest.mark.parametrize("name,params,at,left,right,pt,jx", KINK_CASES)
def test_kinks(name, params, at, left, right, pt, jx):
    f = actgrad.get(name, **params)
    assert [k.at for k in f.kinks] == [at]
    want = {"left": left, "right": right, "mean": (left + right) / 2}
    want["pytorch"], want["jax"] = want[pt], want[jx]
    for conv in CONVENTIONS:
        got = call(f.deriv, at, kink=conv)
        assert got == pytest.approx(want[conv], rel=1e-15, abs=0), conv
        got = call(f.deriv, np.array([at, at]), kink=conv)
        assert np.allclose(got, want[conv], rtol=1e-15, atol=0)
    below = np.nextafter(at, -math.inf)
    above = np.nextafter(at, math.inf)
    assert call(f.deriv, below) == pytest.approx(left, rel=1e-12)
    assert call(f.deriv, above) == pytest.approx(right, rel=1e-12)
    if f.has_deriv_from_output and f.kinks[0].unique_output:
        a = call(f, at)
        for conv in CONVENTIONS:
            assert call(f.deriv_from_output, a, kink=conv) == pytest.approx(want[conv], rel=1e-15)


@pytest.mark.parametrize("name,params", [
    ("elu", {}), ("celu", {}), ("celu", {"alpha": 0.3}), ("gelu", {}), ("silu", {}),
    ("mish", {}), ("softplus", {}), ("softsign", {}), ("log_sigmoid", {}),
    ("tanhshrink", {}), ("squareplus", {}), ("gelu", {"approximate": "tanh"}),
])
def test_no_kinks(name, params):
    f = actgrad.get(name, **params)
    assert f.kinks == ()
    # every convention gives the same (smooth) derivative at 0
    vals = {call(f.deriv, 0.0, kink=c) for c in CONVENTIONS}
    assert len(vals) == 1


# ----------------------------------------------------------------------------------------
# g′ from the output


FROM_OUTPUT = [
    ("elu", {}), ("elu", {"alpha": 2.5}), ("selu", {}), ("celu", {}), ("celu", {"alpha": 0.7}),
    ("celu", {"alpha": -1.5}), ("softplus", {}), ("softplus", {"beta": 2.0}), ("softsign", {}),
    ("log_sigmoid", {}), ("squareplus", {}), ("squareplus", {"b": 0.5}),
]


@pytest.mark.parametrize("name,params", FROM_OUTPUT)
def test_deriv_from_output(name, params):
    f = actgrad.get(name, **params)
    assert f.has_deriv_from_output
    z = np.linspace(-3.0, 3.0, 601)
    z = z[np.abs(z) > 1e-9]  # away from kinks
    a = call(f, z)
    got = call(f.deriv_from_output, a)
    want = call(f.deriv, z)
    # well conditioned here: the algebra on a loses at most a few digits
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)
    lo, hi = f.output_range()
    assert np.all((a >= lo) & (a <= hi))
    f32 = call(f.deriv_from_output, a.astype(np.float32))
    assert f32.dtype == np.float32


@pytest.mark.parametrize("name,params", [
    ("gelu", {}), ("gelu", {"approximate": "tanh"}), ("silu", {}), ("mish", {}),
    ("tanhshrink", {}), ("softplus", {"threshold": 20.0}), ("elu", {"alpha": -1.0}),
])
def test_deriv_from_output_unavailable(name, params):
    f = actgrad.get(name, **params)
    assert not f.has_deriv_from_output
    assert f.from_output_unavailable()
    with pytest.raises(ValueError):
        f.deriv_from_output(0.5)


def test_output_ranges():
    with mpmath.workdps(DPS):
        assert actgrad.get("silu").output_range()[0] <= r_silu(roots()["silu"], {})[0]
        assert actgrad.get("mish").output_range()[0] <= r_mish(roots()["mish"], {})[0]
        assert actgrad.get("gelu").output_range()[0] <= r_gelu(roots()["gelu"], {})[0]
        gt = actgrad.get("gelu", approximate="tanh")
        assert gt.output_range()[0] <= r_gelu(roots()["gelu_tanh"], {"approximate": "tanh"})[0]
    assert actgrad.get("softsign").output_range() == (-1.0, 1.0)
    assert actgrad.get("log_sigmoid").output_range() == (-math.inf, 0.0)
    assert actgrad.get("elu", alpha=2.0).output_range() == (-2.0, math.inf)
    with pytest.raises(actgrad.registry.OutputRangeError):
        actgrad.get("softsign").deriv_from_output([0.0, 1.5])


# ----------------------------------------------------------------------------------------
# parameters, names


def test_parameter_validation():
    with pytest.raises(ValueError, match="alpha"):
        actgrad.get("celu", alpha=0)
    with pytest.raises(ValueError, match="alpha"):
        actgrad.get("celu", alpha="0.0")
    for beta in (0, -1.0, math.inf, math.nan):
        with pytest.raises(ValueError, match="beta"):
            actgrad.get("softplus", beta=beta)
    with pytest.raises(ValueError, match="threshold"):
        actgrad.get("softplus", threshold=math.nan)
    with pytest.raises(ValueError) as e:
        actgrad.get("gelu", approximate="foo")
    assert "none" in str(e.value) and "tanh" in str(e.value)
    with pytest.raises(ValueError, match="b"):
        actgrad.get("squareplus", b=-1.0)
    for bad in (0.0, -1.0, 1e-101, 1e101, math.inf, math.nan):  # alpha, scale in [1e-100, 1e100]
        with pytest.raises(ValueError, match="alpha"):
            actgrad.get("selu", alpha=bad)
        with pytest.raises(ValueError, match="scale"):
            actgrad.get("selu", scale=bad)
    assert actgrad.get("selu", alpha=1.0).params["alpha"] == 1.0
    assert actgrad.get("gelu", approximate="tanh").params["approximate"] == "tanh"
    assert actgrad.get("softplus").params["threshold"] == math.inf
    assert actgrad.get("softplus", threshold="20").params["threshold"] == 20.0


def test_names_and_aliases():
    for alias, name in (("swish", "silu"), ("soft_sign", "softsign"),
                        ("logsigmoid", "log_sigmoid"), ("log-sigmoid", "log_sigmoid")):
        assert actgrad.get(alias).name == name
    for name in REFS:
        sp = actgrad.registry.spec(name)
        assert sp.formula and sp.deriv_formula
        assert (sp.dg_from_a is None) == (sp.from_output_formula is None)


# ----------------------------------------------------------------------------------------
# the catalogue's constants against independent mpmath values


def test_constants():
    from actgrad.activations import smooth

    r = roots()
    with mpmath.workdps(DPS):
        for mine, key in ((smooth.SILU_Z0, "silu"), (smooth.MISH_Z0, "mish"),
                          (smooth.GELU_Z0, "gelu"), (smooth.GT_Z0, "gelu_tanh")):
            assert abs(mpf(mine[0]) + mpf(mine[1]) - r[key]) < mpf(2) ** -104 * abs(r[key]), key
        assert float(mpf(SELU_L)) == smooth.SELU_SCALE
        assert float(mpf(SELU_A)) == smooth.SELU_ALPHA
        assert smooth.SELU_SCALE + mpf(smooth._SELU_SCALE_LO) - mpf(SELU_L) < mpf(2) ** -104
        la = mpf(SELU_L) * mpf(SELU_A)
        assert abs(mpf(smooth._SELU_SA[0]) + mpf(smooth._SELU_SA[1]) - la) < mpf(2) ** -104


def _erfcx_asymptotic(x):
    """e^(x²)·erfc(x) for x >= 1e4: the asymptotic series, next term ~1e-32 relative."""
    s = 1 / (x * x)
    return (1 - s / 2 + 3 * s**2 / 4 - 15 * s**3 / 8) / (x * mpmath.sqrt(mpmath.pi))


def test_special_functions():
    """actgrad.special's erf, erfc, erfcx (x >= 1.25) against mpmath (bounds: what the
    fdlibm method delivers with numpy's exp; see the table in special.py)."""
    from actgrad.numerics import special

    rng = np.random.default_rng(5)
    x = np.concatenate([rng.uniform(-6.0, 6.0, 1500), rng.uniform(-1.5, 1.5, 500),
                        np.exp(rng.uniform(-700.0, 0.0, 200)), [0.0, -0.0, TINY]])
    xc = np.concatenate([x, rng.uniform(6.0, 27.2, 300)])
    xx = np.concatenate([rng.uniform(1.25, 30.0, 500), np.exp(rng.uniform(3.0, 690.0, 200))])
    with mpmath.workdps(DPS):
        e_erf = [mpmath.erf(mpf(float(v))) for v in x]
        e_erfc = [mpmath.erfc(mpf(float(v))) for v in xc]
        e_x = [mpmath.exp(mpf(float(v)) ** 2) * mpmath.erfc(mpf(float(v))) if v < 1e4
               else _erfcx_asymptotic(mpf(float(v))) for v in xx]
    def run(fn, v):  # as the registry does: underflow (to subnormals) is not an error
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with np.errstate(all="raise", under="ignore"):
                return fn(v)

    assert ref.ulp_error(run(special.erf, x), e_erf, np.float64).max() <= 1.0
    assert ref.ulp_error(run(special.erfc, xc), e_erfc, np.float64).max() <= 3.0
    assert ref.ulp_error(run(special.erfcx_big, xx), e_x, np.float64).max() <= 2.5
    assert run(special.erf, np.array([np.inf, -np.inf])).tolist() == [1.0, -1.0]
    assert np.isnan(run(special.erfc, np.array([np.nan])))[0]


def test_gradcheck_passes_for_every_case():
    """The catalogue's exact forms agree with g′ on each case's whole default grid (next to
    kinks and breaks too: one-sided differences there)."""
    for res in checks.gradient_checks([(name, params) for name, params, _ in CASES]):
        assert res.passed and res.max_rel_error <= 1e-7, res


# ----------------------------------------------------------------------------------------
# regressions (issue 9, float64): parameters at the edges of their domains, g′ from the
# output against its exact value, PyTorch's softplus switch


@pytest.mark.parametrize("b", [2.2250738585072014e-308, 2.2e-308, 1e-320, 5e-324, 1e-300,
                               2.0**-201, 1e-100, 1e60])
def test_squareplus_tiny_and_huge_b(b):
    """Was 4.3 ULP at b = 2.2e-308 and 3e11 ULP at b = 1e-320 (z² + b below the range of the
    exact double-double): b is scaled up by 4^k now, exactly."""
    import stress

    f = actgrad.get("squareplus", b=b)
    z = stress.grid("squareplus", {"b": b}, steps=4, dense=60, per_decade=0.4, windows=0)
    h = math.sqrt(b)  # where z² ≈ b: the cancellation-prone region
    z = np.concatenate([z, h * np.linspace(-3, 3, 61), [-h, h, -2 * h, 1e-3 * h, -1e3 * h]])
    pair = ref.pair("squareplus", {"b": b})
    exact = [pair(x) for x in z.tolist()]
    check_ulp(f"squareplus b={b!r} g", z, call(f, z), [e[0] for e in exact], np.float64, TOL64)
    check_ulp(f"squareplus b={b!r} g′", z, call(f.deriv, z), [e[1] for e in exact], np.float64,
           TOL64)


FROM_OUTPUT_EXACT = [
    ("celu", {"alpha": 2.5}), ("celu", {"alpha": 0.7}), ("celu", {"alpha": 3.0}),
    ("celu", {"alpha": 1e300}), ("celu", {"alpha": 1e-300}), ("celu", {"alpha": -1.5}),
    ("celu", {}), ("squareplus", {"b": 2.0}), ("squareplus", {}), ("squareplus", {"b": 0.5}),
    ("squareplus", {"b": 7.0}), ("squareplus", {"b": 1e-320}), ("squareplus", {"b": 1e60}),
    ("elu", {}), ("elu", {"alpha": 2.5}), ("selu", {}), ("softplus", {}),
    ("softplus", {"beta": 3.0}), ("softsign", {}), ("log_sigmoid", {}),
]


@pytest.mark.parametrize("name,params", FROM_OUTPUT_EXACT)
def test_deriv_from_output_against_its_exact_value(name, params):
    """g′(a) against the exact g′ written in a, at the float a (tests/reference.py's
    FROM_OUTPUT_REFS): celu with α not a power of 2 cancelled (2.2e-16 for 1.8e-16 at
    α = 2.5, a = −2.4999999999999996, 13,000 ULP near a = −α, 3e12 at α = 3) and
    squareplus reached 4.25 ULP at b = 2; both are now one rounding of a double-double
    (or exact) quotient."""
    f = actgrad.get(name, **params)
    rng = np.random.default_rng(9)
    z = np.concatenate([rng.uniform(-8, 8, 400), -(10.0 ** rng.uniform(-300, 2, 100)),
                        10.0 ** rng.uniform(-300, 300, 100)])
    a = call(f, z)
    lo, hi = f.output_range()
    a = np.concatenate([a, rng.uniform(max(lo, -20.0), min(hi, 20.0), 300)])
    if name == "celu" and params.get("alpha", 1.0) > 0:  # a near −α: the cancellation
        al = params.get("alpha", 1.0)
        a = np.concatenate([a, np.array(neighbours(-al, 40))[::2],
                            -al * (1 - 10.0 ** rng.uniform(-16, 0, 200))])
    a = a[np.isfinite(a) & (a >= lo) & (a <= hi)]
    exact = ref.from_output(name, params)
    got = call(f.deriv_from_output, a)
    check_ulp(f"{name} {params} g′ from a", a, got, [exact(v) for v in a.tolist()], np.float64,
           1.0)


def test_celu_from_output_case_of_the_issue():
    f = actgrad.get("celu", alpha=2.5)
    with mpmath.workdps(DPS):
        want = ref.round_to(1 + mpf(-2.4999999999999996) / mpf(2.5), np.float64)
    assert call(f.deriv_from_output, -2.4999999999999996) == want  # 1.7763568394002505e-16


@pytest.mark.parametrize("beta,threshold", [(3.0, 1.0), (1.3, 20.0), (9.397576711507254, 20.0),
                                            (1.0, 20.0), (2.0, 20.0), (1e-300, 5.0),
                                            (1e300, 20.0), (0.3, -5.0)])
def test_softplus_switches_where_pytorch_does(beta, threshold):
    """PyTorch: z where fl(β·z) > threshold. z > fl(threshold/β) differs from it by one
    float for (3, 1) and (1.3, 20) (linear one step too early) and (9.3975…, 20) (too late)."""
    f = actgrad.get("softplus", beta=beta, threshold=threshold)
    exact = actgrad.get("softplus", beta=beta)
    z0 = threshold / beta
    zs = np.array(neighbours(z0, 6))
    lin = np.array([beta * float(z) > threshold for z in zs])
    assert lin.any() and not lin.all()
    g, d = call(f, zs), call(f.deriv, zs)
    np.testing.assert_array_equal(np.where(lin, zs, call(exact, zs)), g)
    np.testing.assert_array_equal(np.where(lin, 1.0, call(exact.deriv, zs)), d)
    (k,) = f.kinks
    assert beta * k.at <= threshold < beta * math.nextafter(k.at, math.inf)


@pytest.mark.parametrize("beta", [1e-305, 1e-308, 1e-310, 1e-320, 5e-324, 1e-300, 1e308])
@pytest.mark.parametrize("threshold", [math.inf, 20.0, -5.0])
def test_softplus_extreme_beta_is_quiet_with_the_right_limits(beta, threshold):
    """β <= 1e-305 gave nan at ±inf (inf − inf in the split of β·z) with RuntimeWarnings."""
    f = actgrad.get("softplus", beta=beta, threshold=threshold)
    z = np.array([np.inf, -np.inf, np.nan])
    all_linear = beta * -F64_MAX > threshold  # fl(β·z) > threshold for every finite z
    np.testing.assert_array_equal(call(f, z), [np.inf, 0.0, np.nan])
    np.testing.assert_array_equal(call(f.deriv, z), [1.0, 0.0, np.nan])
    zz = np.array([0.0, -0.0, 5e-324, -5e-324, 1.0, -1.0, 1e300, -1e300, F64_MAX, -F64_MAX,
                   -1e-300 / beta if beta > 1e-8 else -1e8])
    g, d = call(f, zz), call(f.deriv, zz)
    pair = ref.pair("softplus", {"beta": beta, "threshold": threshold})
    exact = [pair(x) for x in zz.tolist()]
    check_ulp(f"softplus β={beta!r} thr={threshold!r} g", zz, g, [e[0] for e in exact],
           np.float64, TOL64)
    check_ulp(f"softplus β={beta!r} thr={threshold!r} g′", zz, d, [e[1] for e in exact],
           np.float64, TOL64)
    if all_linear:
        np.testing.assert_array_equal(g, zz)
    if f.has_deriv_from_output:
        assert not np.isnan(call(f.deriv_from_output, g)).any()


@pytest.mark.parametrize("beta,threshold", [(1e-320, 1e-30), (5e-324, 5e-324), (1e-310, 1e-5),
                                            (2.0, 0.0), (1e308, -1e300)])
def test_softplus_switch_for_subnormal_and_extreme_beta(beta, threshold):
    """With a subnormal β, fl(β·z) changes only every 2^40 floats or so: stepping from
    fl(threshold/β) to the switch never ended (bisection on the floats now)."""
    f = actgrad.get("softplus", beta=beta, threshold=threshold)
    (k,) = f.kinks
    nxt = math.nextafter(k.at, math.inf)
    assert beta * k.at <= threshold < beta * nxt  # the largest z still on softplus's side
    z = np.array([k.at, nxt])
    assert call(f, z)[1] == nxt and call(f.deriv, z)[1] == 1.0
    assert call(f.deriv, z)[0] == call(actgrad.get("softplus", beta=beta).deriv, z)[0]


# -- issue 13: the constants of gelu_fast, gelu_approx and xielu -------------------------


def _near(pair, x, bits=100):
    return abs(mpf(pair[0]) + mpf(pair[1]) - x) <= mpf(2) ** -bits * abs(x)


@pytest.mark.parametrize("which, a, k", [("GELU_FAST", "1.5957691216", "0.044715"),
                                         ("GELU_APPROX", "1.60033", "0.0433603")])
def test_tanh_family_constants(which, a, k):
    """A, K as decimals; z0 the root of g′ and w1 of g″ (g = z·σ(A·z(1 + K·z²))), with the
    exponentials there, from mpmath's findroot on derivatives written here."""
    from actgrad.activations import smooth

    c = getattr(smooth, which)
    with mpmath.workdps(50):
        A, K = mpf(a), mpf(k)

        def v(z):
            return A * z * (1 + K * z * z)

        def g(z):
            return z / (1 + mpmath.exp(-v(z)))

        z0 = mpmath.findroot(lambda z: mpmath.diff(g, z), -0.75)
        w1 = mpmath.findroot(lambda z: mpmath.diff(g, z, 2), 1.418)
        for got, want in ((c.A, A), (c.K, K), (c.K3, 3 * K), (c.AK6, 6 * A * K), (c.Z0, z0),
                          (c.E0, mpmath.exp(v(z0))), (c.W1, w1), (c.E1, mpmath.exp(-v(w1)))):
            assert _near(got, want), (which, got, want)
        assert c.gmin <= g(z0) < c.gmin + 2 * abs(c.gmin) * 2.0**-53


def test_xielu_constants():
    from actgrad.activations import smooth

    ap, an, beta, eps = 0.2109375, -1.046875, 0.5, -1e-6
    k = smooth.xielu_constants(ap, an, beta, eps)
    with mpmath.workdps(50):
        s = mpmath.log(1 + mpmath.exp(an))
        alpha_n = beta + s
        zr = mpmath.findroot(lambda z: alpha_n * (mpmath.exp(z) - 1 - z) + beta * z, -2.4)
        assert _near(k["ap"], mpmath.log(1 + mpmath.exp(ap)))
        assert _near(k["an"], alpha_n) and _near(k["s"], s)
        assert _near(k["zc"], mpmath.log(s / alpha_n)) and _near(k["zr"], zr)
        assert _near(k["q"], alpha_n * mpmath.exp(zr)) and _near(k["zm"], -alpha_n / s)
        assert _near(k["zl"], alpha_n * (mpmath.exp(eps) - 1) / s, 90)


def test_variant_names():
    f = actgrad.get("gelu_new")
    assert f == actgrad.get("gelu", approximate="tanh") == actgrad.get("gelu_pytorch_tanh")
    assert actgrad.get("gelu_accurate", approximate="tanh") == f
    assert actgrad.get("gelu_tanh") == f  # timm's name of F.gelu(x, approximate='tanh')
    with pytest.raises(ValueError, match="gelu_tanh is gelu with approximate=tanh"):
        actgrad.get("gelu_tanh", approximate="none")
    # the tanh form from its definition in mpmath, not from the code under test
    with mpmath.workdps(40):
        for z in (-3.5, -0.5, 0.75, 2.0):
            u = mpmath.sqrt(2 / mpmath.pi) * (z + mpmath.mpf("0.044715") * z ** 3)
            want = float(z / 2 * (1 + mpmath.tanh(u)))
            assert abs(actgrad.get("gelu_tanh")(z) - want) <= 4 * math.ulp(want), z
    assert actgrad.get("gelu_python") == actgrad.get("gelu")
    with pytest.raises(ValueError, match="gelu_new is gelu with approximate=tanh"):
        actgrad.get("gelu_new", approximate="none")
    assert actgrad.get("gelu_fast")(1.0) != f(1.0)  # 0.7978845608 is not √(2/π)
