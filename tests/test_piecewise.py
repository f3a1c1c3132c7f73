"""Piecewise activations (actgrad/activations/piecewise.py) against mpmath.

The references (tests/reference.py, ``refs``) are written in mpmath at 60 digits, from the
functions' definitions; nothing of actgrad's (its ``exact``/``exact_dg`` or its output) is
used to make them. ULP errors and exact rounding come from there too.

Bounds: g and g′ within 4 ULP (float64) and 1 ULP (float32, against the exact value at the
float32 input correctly rounded to float32) at every input of a grid with ±0, subnormals,
tails up to ±max, ±inf, nan, floating-point neighbours of every kink and root and a dense
[−10, 10]; g′ away from the kinks, which are checked one by one against hand-derived values
under each convention. Every call into actgrad runs under warnings "error" and
np.errstate(all="raise").
"""

from __future__ import annotations

import functools
import math
import os
import sys
from dataclasses import dataclass, field

import mpmath
import numpy as np
import pytest
from mpmath import mpf

sys.path.insert(0, os.path.dirname(__file__))
import checks  # noqa: E402
import reference as ref  # noqa: E402
from conftest import call, check_ulp, fail, neighbours, ok  # noqa: E402

import actgrad  # noqa: E402
from actgrad.numerics import gradcheck  # noqa: E402

DPS = 60
TOL64 = 4.0
TOL32 = 1.0
CONVENTIONS = ("pytorch", "jax", "left", "right", "mean")
F64_MAX = float(np.finfo(np.float64).max)
F32_MAX = float(np.finfo(np.float32).max)
INF, NAN = math.inf, math.nan

#: worst ULP error seen per (case, "g"/"dg", dtype), for the summary printed with -s


# --------------------------------------------------------------------------
# references in mpmath (x: the exact value of the float input, never nan)

# references in mpmath: tests/reference.py (refs, written from the definitions)
from reference import M0, M1, refs  # noqa: E402,F401


# --------------------------------------------------------------------------
# the cases: function, parameters, hand-derived kinks (z, left, right, pytorch, jax), and
# points (roots, switch points) whose neighbourhoods the grid probes


@dataclass(frozen=True)
class Case:
    name: str
    params: dict = field(default_factory=dict)
    kinks: tuple = ()  # (z, left, right, pytorch, jax)
    points: tuple = ()

    @property
    def id(self) -> str:
        args = ",".join(f"{k}={v:g}" for k, v in self.params.items())
        return f"{self.name}[{args}]" if args else self.name


S6 = 1.0 / 6.0
RRELU_DEFAULT = (0.125 + 1.0 / 3.0) / 2  # exact: 1/8 + fl(1/3) needs no rounding
RRELU_CUSTOM = (0.1 + 0.3) / 2  # only the slope's float64 value is used below

CASES = (
    Case("identity", points=(0.0,)),
    Case("relu6", kinks=((0.0, 0.0, 1.0, 0.0, 0.0), (6.0, 1.0, 0.0, 0.0, 0.0))),
    Case("prelu", kinks=((0.0, 0.25, 1.0, 0.25, 0.25),)),
    Case("prelu", {"weight": -0.5}, kinks=((0.0, -0.5, 1.0, -0.5, -0.5),)),
    Case("prelu", {"weight": 3.0}, kinks=((0.0, 3.0, 1.0, 3.0, 3.0),)),
    Case("prelu", {"weight": 0.0}, kinks=((0.0, 0.0, 1.0, 0.0, 0.0),)),
    Case("rrelu", kinks=((0.0, None, 1.0, None, None),)),  # None: the mean slope, below
    Case("rrelu", {"lower": 0.1, "upper": 0.3}, kinks=((0.0, None, 1.0, None, None),)),
    Case("hard_sigmoid", kinks=((-3.0, 0.0, S6, 0.0, 0.0), (3.0, S6, 0.0, 0.0, 0.0)),
         points=(0.0, -1.5)),
    Case("hard_swish", kinks=((-3.0, 0.0, -0.5, 0.0, 0.0), (3.0, 1.5, 1.0, 1.0, 1.0)),
         points=(-1.5, 0.0, -0.75)),
    Case("hard_tanh", kinks=((-1.0, 0.0, 1.0, 0.0, 1.0), (1.0, 1.0, 0.0, 0.0, 1.0))),
    Case("hard_tanh", {"min_val": -2.0, "max_val": 0.5},
         kinks=((-2.0, 0.0, 1.0, 0.0, 1.0), (0.5, 1.0, 0.0, 0.0, 1.0))),
    Case("softshrink", kinks=((-0.5, 1.0, 0.0, 0.0, 0.0), (0.5, 0.0, 1.0, 0.0, 0.0))),
    Case("softshrink", {"lambd": 1.5},
         kinks=((-1.5, 1.0, 0.0, 0.0, 0.0), (1.5, 0.0, 1.0, 0.0, 0.0))),
    Case("softshrink", {"lambd": 0.0}, points=(0.0,)),  # the identity: no kink
    Case("hardshrink", kinks=((-0.5, 1.0, 0.0, 0.0, 0.0), (0.5, 0.0, 1.0, 0.0, 0.0))),
    Case("hardshrink", {"lambd": 1.5},
         kinks=((-1.5, 1.0, 0.0, 0.0, 0.0), (1.5, 0.0, 1.0, 0.0, 0.0))),
    Case("hardshrink", {"lambd": 0.0}, points=(0.0,)),
    Case("threshold", kinks=((0.0, 0.0, 1.0, 0.0, 0.0),)),
    Case("threshold", {"threshold": 1.0, "value": -3.0}, kinks=((1.0, 0.0, 1.0, 0.0, 0.0),),
         points=(-3.0,)),
    Case("threshold", {"threshold": -2.0, "value": 5.0}, kinks=((-2.0, 0.0, 1.0, 0.0, 0.0),)),
    Case("sparse_plus", points=(0.0, -0.5, -1.0, 1.0)),  # C¹: ±1 are breaks, not kinks
    # JAX: 0.5·clip(z + 1, 0, 2), whose max/min split the gradient at a tie: 1/4 at ±1
    Case("sparse_sigmoid", kinks=((-1.0, 0.0, 0.5, 0.25, 0.25), (1.0, 0.5, 0.0, 0.25, 0.25)),
         points=(0.0,)),
)
CASE_IDS = [c.id for c in CASES]
BY_ID = dict(zip(CASE_IDS, CASES))
DEFAULT_CASES = [c for c in CASES if not c.params]
NEW_NAMES = ("identity", "relu6", "prelu", "rrelu", "hard_sigmoid", "hard_swish", "hard_tanh",
             "softshrink", "hardshrink", "threshold", "sparse_plus", "sparse_sigmoid")


def hand_kinks(case: Case):
    """The case's kinks with the rrelu slope filled in (left, right, pytorch, jax, mean)."""
    out = []
    for z, left, right, pt, jx in case.kinks:
        if left is None:  # rrelu: the slope is (lower + upper)/2, PyTorch's (left) side
            s = RRELU_DEFAULT if not case.params else RRELU_CUSTOM
            left = pt = jx = s
        out.append((z, {"left": left, "right": right, "pytorch": pt, "jax": jx,
                        "mean": (left + right) / 2}))
    return out


def act(case: Case):
    return call(actgrad.get, case.name, **case.params)


# --------------------------------------------------------------------------
# grids


def _probe(points, dtype) -> np.ndarray:
    """Neighbours of each point: ±8 floats, and offsets ±2^-k (relative and absolute)."""
    eps = np.finfo(dtype).eps
    parts = []
    for c in points:
        parts.append(np.array(neighbours(c, 8, dtype), dtype=dtype))
        k = 2.0 ** -np.arange(1, 60, 2)
        with np.errstate(under="ignore"):
            off = np.concatenate([k, k * max(abs(c), 1.0), np.arange(1, 40) * eps * abs(c)])
        parts.append(np.concatenate([c + off, c - off]).astype(dtype))
    return np.concatenate(parts)


@functools.lru_cache(maxsize=None)
def base_grid(dtype_name: str) -> np.ndarray:
    dt = np.dtype(dtype_name).type
    fi = np.finfo(dt)
    rng = np.random.default_rng(31415)
    tiny_sub = float(fi.smallest_subnormal)
    top = math.log10(float(fi.max)) - 1e-9
    mags = np.concatenate([
        np.logspace(-45 if dt == np.float32 else -323, top, 240),
        np.ldexp(1.0, np.arange(int(fi.minexp) - int(fi.nmant), int(fi.maxexp), 7)),
        np.arange(1, 9) * tiny_sub,
        [float(fi.max), float(np.nextafter(fi.max, dt(0))), float(fi.tiny),
         float(np.nextafter(fi.tiny, dt(0))), float(np.nextafter(fi.tiny, dt(1)))],
    ])
    with np.errstate(over="ignore", under="ignore"):
        mags = mags.astype(dt)
    mags = mags[np.isfinite(mags) & (mags > 0)]
    dense = np.concatenate([
        np.arange(-500, 501) / 50.0,  # the gradient check's grid
        np.linspace(-10.0, 10.0, 1601),
        rng.uniform(-10.0, 10.0, 800),
        rng.normal(0.0, 2.0, 300),
    ]).astype(dt)
    common = (0.0, -0.5, 0.5, -1.0, 1.0, -1.5, 1.5, -3.0, 3.0, 6.0, -6.0, -0.75)
    z = np.concatenate([mags, -mags, dense, _probe(common, dt),
                        np.array([0.0, -0.0, INF, -INF, NAN], dtype=dt)])
    return z


@functools.lru_cache(maxsize=None)
def grid(case_id: str, dtype_name: str) -> np.ndarray:
    case = BY_ID[case_id]
    dt = np.dtype(dtype_name).type
    pts = [k[0] for k in case.kinks] + list(case.points)
    z = np.concatenate([base_grid(dtype_name), _probe(pts, dt)]) if pts else base_grid(dtype_name)
    # unique by bit pattern (keeps −0 and one nan)
    bits = np.unique(z.view(np.uint64 if dt == np.float64 else np.uint32))
    return bits.view(dt)


@functools.lru_cache(maxsize=None)
def exact_on_grid(case_id: str, dtype_name: str, kind: str) -> tuple:
    case = BY_ID[case_id]
    g, dg = refs(case.name, case.params)
    f = g if kind == "g" else dg
    out = []
    with mpmath.workdps(DPS):
        for v in grid(case_id, dtype_name).tolist():
            out.append(mpmath.nan if math.isnan(v) else f(mpf(v)))
    return tuple(out)


# --------------------------------------------------------------------------
# accuracy of g and g′ over the grid


@pytest.mark.parametrize("dtype_name", ["float64", "float32"])
@pytest.mark.parametrize("case_id", CASE_IDS)
def test_value_accuracy(case_id, dtype_name):
    case = BY_ID[case_id]
    z = grid(case_id, dtype_name)
    exact = exact_on_grid(case_id, dtype_name, "g")
    got = call(act(case), z)
    tol = TOL64 if dtype_name == "float64" else TOL32
    check_ulp(
        f"{case_id}(z) [{dtype_name}]", z, got, exact, np.dtype(dtype_name), tol)


@pytest.mark.parametrize("dtype_name", ["float64", "float32"])
@pytest.mark.parametrize("case_id", CASE_IDS)
def test_deriv_accuracy_away_from_kinks(case_id, dtype_name):
    case = BY_ID[case_id]
    z = grid(case_id, dtype_name)
    at_kink = np.isin(z, [k[0] for k in case.kinks])
    exact = [e for e, k in zip(exact_on_grid(case_id, dtype_name, "dg"), at_kink) if not k]
    zz = z[~at_kink]
    f = act(case)
    tol = TOL64 if dtype_name == "float64" else TOL32
    got = call(f.deriv, zz)
    check_ulp(
        f"{case_id}′(z) [{dtype_name}]", zz, got, exact, np.dtype(dtype_name), tol)
    for conv in CONVENTIONS:  # away from kinks the convention changes nothing
        np.testing.assert_array_equal(call(f.deriv, zz, kink=conv), got, err_msg=conv)


@pytest.mark.parametrize("case_id", [c.id for c in DEFAULT_CASES])
def test_random_bit_patterns(case_id):
    """Uniformly random float64 bit patterns (every binade alike) and uniform z in [−8, 8]."""
    case = BY_ID[case_id]
    rng = np.random.default_rng(sum(map(ord, case_id)))
    z = rng.integers(0, 2**64, 300, dtype=np.uint64).view(np.float64)
    z = np.concatenate([z[np.isfinite(z)], rng.uniform(-8, 8, 300)])
    f = act(case)
    g, dg = refs(case.name, case.params)
    kinks = [k[0] for k in case.kinks]
    with mpmath.workdps(DPS):
        eg = [g(mpf(v)) for v in z.tolist()]
        edg = [dg(mpf(v)) for v in z.tolist()]
    check_ulp(f"{case_id}(z) random", z, call(f, z), eg, np.float64, TOL64)
    away = ~np.isin(z, kinks)
    check_ulp(f"{case_id}′(z) random", z[away], call(f.deriv, z[away]),
              [e for e, k in zip(edg, away) if k], np.float64, TOL64)


def test_float32_is_the_exact_value_rounded_once():
    """float32 in, float32 out: the exact value rounded once (not the float64 result rounded
    again: rrelu's slope·z double-rounded on ~2 % of float32 inputs)."""
    for case in CASES:
        f = act(case)
        z32 = grid(case.id, "float32")
        away = ~np.isin(z32, [k[0] for k in case.kinks])
        for kind, meth in (("g", f), ("dg", f.deriv)):
            got = call(meth, z32)
            want = np.array([ref.round_to(e, np.float32) for e in
                             exact_on_grid(case.id, "float32", kind)], dtype=np.float32)
            keep = away if kind == "dg" else np.ones_like(away)
            np.testing.assert_array_equal(got[keep], want[keep], err_msg=f"{case.id} {kind}")


def test_float32_result_overflowing_to_inf_is_quiet():
    f = actgrad.get("prelu", weight=3)
    got = call(f, np.array([-3e38], dtype=np.float32))
    assert got[0] == -np.inf


# --------------------------------------------------------------------------
# the kinks, by hand


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_kinks_by_hand(case_id):
    case = BY_ID[case_id]
    f = act(case)
    hand = hand_kinks(case)
    assert [k.at for k in f.kinks] == [z for z, _ in hand], "kink positions"
    for k, (z, want) in zip(f.kinks, hand):
        assert (k.left, k.right) == (want["left"], want["right"]), f"slopes at {z}"
        for dtype in (np.float64, np.float32):
            zs = np.array([z, z], dtype=dtype)
            if z == 0:
                zs[1] = -0.0
            for conv in CONVENTIONS:
                got = call(f.deriv, zs, kink=conv)
                assert got.dtype == dtype
                expect = np.array([want[conv]] * 2, dtype=np.float64).astype(dtype)
                np.testing.assert_array_equal(got, expect, err_msg=f"{case_id} z={z} {conv}")
        # the default convention is PyTorch's
        assert call(f.deriv, z) == want["pytorch"]


def test_kink_table_reads_like_the_anchors():
    """The frameworks' values at the kinks, as measured (accuracy anchors) or read off the
    frameworks' source (sparse_*), with the fallbacks for a function one framework lacks."""
    table = {
        ("relu6", 0.0): (0.0, 0.0), ("relu6", 6.0): (0.0, 0.0),
        ("hard_tanh", -1.0): (0.0, 1.0), ("hard_tanh", 1.0): (0.0, 1.0),
        ("hard_sigmoid", -3.0): (0.0, 0.0), ("hard_sigmoid", 3.0): (0.0, 0.0),
        ("hard_swish", -3.0): (0.0, 0.0), ("hard_swish", 3.0): (1.0, 1.0),
        ("softshrink", -0.5): (0.0, 0.0), ("softshrink", 0.5): (0.0, 0.0),
        ("hardshrink", -0.5): (0.0, 0.0), ("hardshrink", 0.5): (0.0, 0.0),
        ("threshold", 0.0): (0.0, 0.0),
        ("prelu", 0.0): (0.25, 0.25), ("rrelu", 0.0): (RRELU_DEFAULT, RRELU_DEFAULT),
        ("sparse_plus", -1.0): (0.0, 0.0), ("sparse_plus", 1.0): (1.0, 1.0),  # continuous
        ("sparse_sigmoid", -1.0): (0.25, 0.25), ("sparse_sigmoid", 1.0): (0.25, 0.25),
    }
    for (name, z), (pt, jx) in table.items():
        f = actgrad.get(name)
        assert call(f.deriv, z, kink="pytorch") == pt, (name, z)
        assert call(f.deriv, z, kink="jax") == jx, (name, z)


def test_shrinks_with_lambd_zero_are_the_identity():
    for name in ("softshrink", "hardshrink"):
        f = actgrad.get(name, lambd=0)
        assert f.kinks == ()
        z = np.array([0.0, -0.0, 5e-324, -5e-324, 1.0, -2.0])
        for conv in CONVENTIONS:
            np.testing.assert_array_equal(call(f.deriv, z, kink=conv), np.ones(6))
        np.testing.assert_array_equal(call(f, z), z)


# --------------------------------------------------------------------------
# g′ from the output a = g(z)


FROM_OUTPUT_IDS = [c.id for c in CASES if actgrad.get(c.name, **c.params).has_deriv_from_output]


@pytest.mark.parametrize("case_id", FROM_OUTPUT_IDS)
def test_deriv_from_output_matches_deriv(case_id):
    case = BY_ID[case_id]
    f = act(case)
    z = grid(case_id, "float64")
    keep = ~np.isnan(z) & ~np.isin(z, [k[0] for k in case.kinks])
    exact_g = [e for e, k in zip(exact_on_grid(case_id, "float64", "g"), keep) if k]
    z = z[keep]
    a = call(f, z)
    # ambiguous: a rounded onto a kink's output (sparse_sigmoid at 1 − 2^-53 gives a = 1;
    # prelu at a tiny negative z gives a = 0); g′ from a cannot tell those z
    g_ref, _ = refs(case.name, case.params)
    with mpmath.workdps(DPS):
        outs = [ref.round_to(g_ref(mpf(k[0])), np.float64) for k in case.kinks]
    keep = np.array([not (v in outs and mpf(float(v)) != e) for v, e in zip(a, exact_g)])
    z, a = z[keep], a[keep]
    got = call(f.deriv_from_output, a)
    want = call(f.deriv, z)
    if case.name == "sparse_plus":  # √a vs (z + 1)/2, a rounded: within 2 ULP
        exact = [mpf(float(w)) for w in want]
        check_ulp(f"{case_id} from a vs z", z, got, exact, np.float64, 2.0)
    else:
        np.testing.assert_array_equal(got, want)


def test_deriv_from_output_sparse_plus_is_sqrt_a():
    f = actgrad.get("sparse_plus")
    rng = np.random.default_rng(5)
    for dtype, tol in ((np.float64, 0.5), (np.float32, 1.0)):
        a = np.concatenate([rng.uniform(0, 1, 2000), 10.0 ** rng.uniform(-40, 0, 500),
                            [0.0, 1.0, 2.0, 1e30, INF]]).astype(dtype)
        got = call(f.deriv_from_output, a)
        with mpmath.workdps(DPS):
            exact = [mpmath.sqrt(mpf(float(v))) if v < 1 else M1 for v in a]
        check_ulp(f"sparse_plus′ from a [{np.dtype(dtype)}]", a, got, exact, dtype, tol)


def test_deriv_from_output_unique_kinks():
    """Where a = g(kink) pins z to the kink, every convention applies from the output."""
    for case, a0 in ((BY_ID["prelu"], 0.0), (BY_ID["rrelu"], 0.0),
                     (BY_ID["prelu[weight=3]"], 0.0)):
        f = act(case)
        (z, want), *_ = [(z, w) for z, w in hand_kinks(case) if z == (0.0 if a0 == 0 else 1.0)]
        for conv in CONVENTIONS:
            assert call(f.deriv_from_output, np.array([a0]), kink=conv)[0] == want[conv]


def test_deriv_from_output_flat_kinks_and_gaps():
    f = actgrad.get("relu6")
    for conv in CONVENTIONS:  # a = 0 and a = 6 come from flat pieces: g′ = 0 whatever the side
        np.testing.assert_array_equal(call(f.deriv_from_output, np.array([0.0, 6.0, 3.0]),
                                           kink=conv), [0.0, 0.0, 1.0])
    ht = actgrad.get("hard_tanh", min_val=-2, max_val=0.5)
    np.testing.assert_array_equal(call(ht.deriv_from_output, np.array([-2.0, 0.5, 0.0])),
                                  [0.0, 0.0, 1.0])
    hs = actgrad.get("hard_sigmoid")
    np.testing.assert_array_equal(call(hs.deriv_from_output, np.array([0.0, 0.5, 1.0])),
                                  [0.0, 1 / 6, 0.0])
    ss = actgrad.get("sparse_sigmoid")
    np.testing.assert_array_equal(call(ss.deriv_from_output, np.array([0.0, 0.5, 1.0])),
                                  [0.0, 0.5, 0.0])
    # hardshrink: 0 < |a| <= lambd is no output; threshold: value < a <= threshold neither;
    # such an a is an error naming the first of them, as an a outside the range is
    hk = actgrad.get("hardshrink")
    got = call(hk.deriv_from_output, np.array([0.0, 0.75, -2.0, np.nan]))
    np.testing.assert_array_equal(got, [0.0, 1.0, 1.0, NAN])
    for gap in (0.25, -0.5):
        with pytest.raises(actgrad.registry.OutputRangeError) as e:
            call(hk.deriv_from_output, np.array([0.0, gap]))
        assert e.value.index == 1 and "not an output of hardshrink" in str(e.value)
    th = actgrad.get("threshold", threshold=1, value=-3)
    got = call(th.deriv_from_output, np.array([-3.0, 1.5]))
    np.testing.assert_array_equal(got, [0.0, 1.0])
    for gap in (0.0, 1.0):
        with pytest.raises(actgrad.registry.OutputRangeError):
            call(th.deriv_from_output, np.array([gap]))
    with pytest.raises(actgrad.registry.OutputRangeError):
        call(th.deriv_from_output, np.array([-4.0]))
    with pytest.raises(actgrad.registry.OutputRangeError):
        call(actgrad.get("relu6").deriv_from_output, np.array([6.5]))


@pytest.mark.parametrize("name,params,word", [
    ("hard_swish", {}, "not a function"),
    ("prelu", {"weight": -0.5}, "weight < 0"),
    ("threshold", {"threshold": 0, "value": 1}, "value > threshold"),
])
def test_deriv_from_output_unavailable(name, params, word):
    f = actgrad.get(name, **params)
    assert not f.has_deriv_from_output
    assert word in f.from_output_unavailable()
    with pytest.raises(ValueError, match=word):
        f.deriv_from_output(0.5)


# --------------------------------------------------------------------------
# parameters


def test_defaults_and_aliases():
    defaults = {
        "prelu": {"weight": 0.25}, "rrelu": {"lower": 0.125, "upper": 1 / 3},
        "hard_tanh": {"min_val": -1.0, "max_val": 1.0}, "softshrink": {"lambd": 0.5},
        "hardshrink": {"lambd": 0.5}, "threshold": {"threshold": 0.0, "value": 0.0},
        "hard_sigmoid": {"alpha": 1 / 6, "beta": 0.5},
    }
    for name in NEW_NAMES:
        assert name in actgrad.names()
        assert dict(actgrad.get(name).params) == defaults.get(name, {}), name
    for alias, name in (("linear", "identity"), ("hardsigmoid", "hard_sigmoid"),
                        ("hardswish", "hard_swish"), ("hard_silu", "hard_swish"),
                        ("hardtanh", "hard_tanh"), ("relu_squared", "relu2")):
        assert actgrad.get(alias).name == name


@pytest.mark.parametrize("name,params,words", [
    ("softshrink", {"lambd": -0.1}, ("lambd", ">= 0")),
    ("hardshrink", {"lambd": -1}, ("lambd", ">= 0")),
    ("softshrink", {"lambd": "inf"}, ("lambd", "finite")),
    ("hardshrink", {"lambd": "nan"}, ("lambd", "finite")),
    ("hard_tanh", {"min_val": 1, "max_val": 1}, ("min_val", "max_val", "min_val < max_val")),
    ("hard_tanh", {"min_val": 2}, ("min_val", "max_val", "min_val < max_val")),
    ("hard_tanh", {"max_val": -3}, ("min_val", "max_val", "min_val < max_val")),
    ("rrelu", {"lower": 0.5, "upper": 0.25}, ("lower", "upper", "lower <= upper")),
    ("rrelu", {"lower": 0.5}, ("lower", "upper", "lower <= upper")),
    ("rrelu", {"lower": -0.1}, ("lower", ">= 0")),
    ("prelu", {"weight": "inf"}, ("weight", "finite")),
    ("threshold", {"value": "x"}, ("value", "not a number")),
])
def test_parameter_validation(name, params, words):
    with pytest.raises(ValueError) as info:
        actgrad.get(name, **params)
    for w in words:
        assert w in str(info.value), str(info.value)


def test_rrelu_equal_bounds_and_zero():
    f = actgrad.get("rrelu", lower=0.2, upper=0.2)
    assert call(f, -2.0) == -0.4 and call(f.deriv, -1.0) == 0.2
    r = actgrad.get("rrelu", lower=0, upper=0)  # relu: a = 0 does not pin z
    assert r.kinks[0].unique_output is False
    assert call(r, -INF) == 0.0 and call(r.deriv_from_output, np.array([0.0, 2.0])).tolist() == [0, 1]


# --------------------------------------------------------------------------
# specials and the gradient check


def test_specials():
    table = {  # name: g(−inf), g(inf), g′(−inf), g′(inf)
        "identity": (-INF, INF, 1, 1), "relu6": (0, 6, 0, 0), "prelu": (-INF, INF, 0.25, 1),
        "rrelu": (-INF, INF, RRELU_DEFAULT, 1), "hard_sigmoid": (0, 1, 0, 0),
        "hard_swish": (0, INF, 0, 1), "hard_tanh": (-1, 1, 0, 0),
        "softshrink": (-INF, INF, 1, 1), "hardshrink": (-INF, INF, 1, 1),
        "threshold": (0, INF, 0, 1), "sparse_plus": (0, INF, 0, 1),
        "sparse_sigmoid": (0, 1, 0, 0),
    }
    for name, (gm, gp, dm, dp) in table.items():
        f = actgrad.get(name)
        for dtype in (np.float64, np.float32):
            z = np.array([-INF, INF, NAN], dtype=dtype)
            np.testing.assert_array_equal(call(f, z), np.array([gm, gp, NAN], dtype=dtype), name)
            for conv in CONVENTIONS:
                np.testing.assert_array_equal(call(f.deriv, z, kink=conv),
                                              np.array([dm, dp, NAN], dtype=dtype), name)
            if f.has_deriv_from_output:
                assert np.isnan(call(f.deriv_from_output, np.array([NAN], dtype=dtype))[0])
    # huge inputs where a naive form overflows: z·z, z + 3, weight·z
    assert call(actgrad.get("hard_swish"), -F64_MAX) == 0.0
    assert call(actgrad.get("sparse_plus"), F64_MAX) == F64_MAX
    assert call(actgrad.get("prelu", weight=3), -F64_MAX) == -INF
    assert call(actgrad.get("softshrink", lambd=1e308), -F64_MAX) == -F64_MAX + 1e308


def test_roots_exactly():
    """The cancelling spots: hard_swish′ at −1.5 and beside it, (z + 1)² near −1."""
    f = actgrad.get("hard_swish")
    z = np.array(neighbours(-1.5, 3, np.float64))
    with mpmath.workdps(DPS):
        exact = [(2 * mpf(float(v)) + 3) / 6 for v in z]
    got = call(f.deriv, z)
    assert got[0] == 0.0
    assert ref.ulp_error(got, exact, np.float64).max() <= 0.5 + 1e-9
    sp = actgrad.get("sparse_plus")
    z = np.array(neighbours(-1.0, 4, np.float64))[1::2]  # above −1
    with mpmath.workdps(DPS):
        exact = [(mpf(float(v)) + 1) ** 2 / 4 for v in z]
    assert ref.ulp_error(call(sp, z), exact, np.float64).max() <= 0.5 + 1e-9


def test_gradient_check_passes():
    for name in NEW_NAMES:
        r = checks.gradient_check(name)
        assert r.checked > 1500 and r.max_rel_error <= gradcheck.GOOD, r


def test_sparse_plus_is_c1_with_breaks_not_kinks():
    f = actgrad.get("sparse_plus")
    assert f.kinks == () and f.breaks == (-1.0, 1.0)
    for conv in CONVENTIONS:
        assert call(f.deriv, np.array([-1.0, 1.0]), kink=conv).tolist() == [0.0, 1.0]


# -- hard_sigmoid's alpha and beta (tinygrad's hardsigmoid(alpha, beta)) ---------------------
# The reference is exact rational arithmetic: clamp(α·z + β, 0, 1) with α, β, z the floats
# as given (fractions.Fraction), rounded once (Fraction.__float__ is correctly rounded; for
# float32, _round_to below rounds the rational itself to 24 bits, not through float64).

from fractions import Fraction  # noqa: E402


def _hs_exact(a: float, b: float, z: float) -> Fraction:
    u = Fraction(a) * Fraction(z) + Fraction(b)
    return min(max(u, Fraction(0)), Fraction(1))


def _round_to(q: Fraction, bits: int) -> float:
    """q rounded to nearest-even with `bits` significant bits (q normal in that format)."""
    if q == 0:
        return 0.0
    e = math.floor(math.log2(abs(q)))
    if Fraction(2) ** e > abs(q):
        e -= 1
    elif Fraction(2) ** (e + 1) <= abs(q):
        e += 1
    scaled = q / Fraction(2) ** (e - bits + 1)
    n = round(scaled)  # Python's round of a Fraction: half to even
    return float(Fraction(n) * Fraction(2) ** (e - bits + 1))


_HS_PARAMS = [(0.2, 0.5), (0.2, 0.0), (1 / 3, 0.25), (1e-3, -0.7), (7.5, 3.25), (0.1, 1e-9),
              (1e5, 0.1), (0.3, -0.3)]


def _hs_points(a: float, b: float, rng) -> np.ndarray:
    """Random z over the middle piece and beyond, and the floats around each exact kink."""
    z0, z1 = -Fraction(b) / Fraction(a), (1 - Fraction(b)) / Fraction(a)
    lo, hi = float(z0), float(z1)
    pts = [rng.uniform(lo - 1, hi + 1, 300), rng.uniform(lo, hi, 300), np.array([0.0, -0.0])]
    for k in (lo, hi):
        pts.append(np.array([np.nextafter(k, -np.inf), k, np.nextafter(k, np.inf),
                             np.nextafter(np.nextafter(k, np.inf), np.inf)]))
    return np.concatenate(pts)


@pytest.mark.parametrize("a,b", _HS_PARAMS)
def test_hard_sigmoid_alpha_beta_correctly_rounded(a, b):
    rng = np.random.default_rng(13)
    f = actgrad.get("hard_sigmoid", alpha=a, beta=b)
    z = _hs_points(a, b, rng)
    got, dg = f(z), f.deriv(z)
    for zi, gi, di in zip(z.tolist(), got.tolist(), dg.tolist()):
        q = _hs_exact(a, b, zi)
        assert gi == float(q), (a, b, zi, gi, float(q))
        u = Fraction(a) * Fraction(zi) + Fraction(b)
        # g′ = α strictly inside; at a kink that is a float, PyTorch's side: 0
        assert di == (a if 0 < u < 1 else 0.0), (a, b, zi, di)
    z32 = z.astype(np.float32)
    got32 = f(z32)
    assert got32.dtype == np.float32
    for zi, gi in zip(z32.tolist(), got32.tolist()):
        q = _hs_exact(a, b, zi)
        want = 0.0 if q == 0 else _round_to(q, 24)
        assert gi == want, (a, b, zi, gi, want)


def test_hard_sigmoid_kinks_exact_or_off_float():
    # α = 0.2 is 0.2000000000000000111…: −β/α is no float, so no Kink; OffKinks instead
    f = actgrad.get("hard_sigmoid", alpha=0.2, beta=0.5)
    assert f.kinks == ()
    z0 = -Fraction(0.5) / Fraction(0.2)
    assert [k.at for k in f.off_kinks] == [z0, -z0]
    k = f.off_kinks[0]
    assert Fraction(k.below) < z0 < Fraction(k.above)
    assert np.nextafter(k.below, np.inf) == k.above
    assert (k.below, k.above) == (-2.5, -2.4999999999999996)
    assert f.deriv(-2.5) == 0.0 and f.deriv(-2.4999999999999996) == 0.2
    assert f(-2.5) == 0.0 and f(-2.4999999999999996) > 0  # both smooth points
    # the float above each off kink is a break: no difference quotient straddles it
    assert set(f.breaks) == {k.above for k in f.off_kinks}
    assert gradcheck.check(f).passed
    # α = 1/4: both kinks (−2 and 2) are floats; PyTorch's sides (0 at both)
    g = actgrad.get("hard_sigmoid", alpha=0.25, beta=0.5)
    assert [(k.at, k.left, k.right) for k in g.kinks] == [(-2.0, 0.0, 0.25), (2.0, 0.25, 0.0)]
    assert g.off_kinks == () and g.deriv(np.array([-2.0, 2.0])).tolist() == [0.0, 0.0]
    assert g.deriv(np.array([-2.0, 2.0]), kink="right").tolist() == [0.25, 0.0]


def test_hard_sigmoid_defaults_are_relu6_over_6():
    # the default pair is α = 1/6 exactly: (z + 3)/6 rounded once, kinks at ±3
    f = actgrad.get("hard_sigmoid")
    assert dict(f.params) == {"alpha": 1 / 6, "beta": 0.5}
    assert [k.at for k in f.kinks] == [-3.0, 3.0] and f.off_kinks == ()
    rng = np.random.default_rng(6)
    z = np.concatenate([rng.uniform(-3.5, 3.5, 400), [-3.0, 3.0, np.nextafter(3.0, 0)]])
    for zi, gi in zip(z.tolist(), f(z).tolist()):
        q = min(max((Fraction(zi) + 3) / 6, Fraction(0)), Fraction(1))
        assert gi == float(q), zi
    # the float 1/6 with another β is that float exactly: not the same function
    z = 2.0**-40 * 3
    assert actgrad.get("hard_sigmoid", beta=0.25)(z) == float(
        Fraction(1 / 6) * Fraction(z) + Fraction(0.25))


def test_hard_sigmoid_exact_and_from_output():
    z = -2.4999999999999996
    out = ok("eval", "hard_sigmoid", "-p", "alpha=0.2", "--digits", "25", "--", str(z))
    want = Fraction(0.2) * Fraction(z) + Fraction(0.5)
    assert abs(Fraction(out.strip()) - want) <= want * Fraction(1, 10**24)
    assert ok("deriv", "hard_sigmoid", "-p", "alpha=0.2", "--exact", "--", "-2.5",
              str(z)).split() == ["0.0", "0.2"]
    assert ok("eval", "hard_sigmoid", "-p", "alpha=0.2", "--exact", "--", "inf", "-inf",
              "nan").split() == ["1.0", "0.0", "nan"]
    f = actgrad.get("hard_sigmoid", alpha=0.2, beta=0.1)
    assert f.deriv_from_output(np.array([0.0, 0.3, 1.0])).tolist() == [0.0, 0.2, 0.0]
    # the exact forms decide the piece on the exact rational of an mpf or an exact arb ball;
    # an inexact ball (1/3) is not taken for its midpoint
    import flint

    from actgrad.activations.piecewise import _rational
    assert _rational(mpf(-0.3)) == Fraction(-0.3) == _rational(flint.arb(-0.3))
    assert _rational(flint.arb(1) / 3) is None and _rational(mpf("inf")) is None


def test_hard_sigmoid_params_cli_and_errors():
    assert ok("eval", "hard_sigmoid", "-p", "alpha=0.2", "-p", "beta=0.5", "--",
              "-2.4999999999999996", "1").split() == [repr(float(
                  Fraction(0.2) * Fraction(-2.4999999999999996) + Fraction(0.5))), "0.7"]
    for bad, words in (("alpha=0", "alpha"), ("alpha=-0.2", "alpha"), ("beta=1e-200", "beta"),
                       ("alpha=inf", "alpha"), ("beta=1e300", "beta")):
        line = fail("eval", "hard_sigmoid", "-p", bad, "1")
        assert words in line and "hard_sigmoid" in line, line


def test_hard_sigmoid_explain_names_the_off_float_kink():
    z1 = (1 - Fraction(0.5)) / Fraction(0.2)  # 2.4999999999999998612…
    import decimal
    with decimal.localcontext() as ctx:
        ctx.prec, ctx.rounding = 21, decimal.ROUND_DOWN
        text = f"{decimal.Decimal(z1.numerator) / decimal.Decimal(z1.denominator):f}"
    assert text.startswith("2.4999999999999998612")
    for lang in ("en", "hi"):
        out = ok("explain", "hard_sigmoid", "-p", "alpha=0.2", "--lang", lang)
        flat = " ".join(out.split())
        assert f"z = {text}…" in flat and "2.4999999999999996" in flat
        assert "-2.5" in flat
        assert ("None: g′ is continuous" not in flat) and ("कोई kink नहीं" not in flat)
