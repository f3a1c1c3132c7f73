"""Every function of the catalogue (actgrad.activations.CATALOGUE) has an independent
reference and stays within the float64 bound on its stress grid.

What adding an activation takes is exactly what fails here until it is done: an mpmath
reference in tests/reference.py (CATALOGUE_REFS), the switch points of its formulas in
tests/stress.py (SWITCHES), and g, g′ within 4 ULP (float64, default parameters) at every
point of the stress grid: ±0, subnormals, every binade to ±1.8e308, a dense [−20, 20], and
±8 nextafter steps and small windows around every switch point, kink, break and root of g′
(found from the reference). The wide version of this sweep (±48 steps, 60,000 random points,
hill climbing) is benchmarks/accuracy.py.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pytest

import reference as ref
import stress
from conftest import call

import actgrad
from actgrad.activations import CATALOGUE, lecture, piecewise, smooth

BOUND64 = 4.0
NAMES = [s.name for s in CATALOGUE]


def module_of(name: str) -> str:
    for mod in (lecture, smooth, piecewise):
        if any(s.name == name for s in mod.SPECS):
            return f"actgrad/activations/{mod.__name__.rsplit('.', 1)[1]}.py"
    return "actgrad/activations/"


def test_every_catalogue_function_has_a_reference_and_switch_points():
    no_ref = [n for n in NAMES if not ref.has_reference(n)]
    no_sw = [n for n in NAMES if n not in stress.SWITCHES]
    msg = []
    if no_ref:
        msg.append(
            f"no independent reference for {', '.join(no_ref)}: add to CATALOGUE_REFS in "
            "tests/reference.py an mpmath function (x, params) -> (g(x), g′(x)) for each, "
            "written from the definition (not from actgrad's code), e.g. "
            "'quick_gelu': lambda x, p: (x * _sig(1.702 * x), ...)")
    if no_sw:
        msg.append(
            f"no switch points for {', '.join(no_sw)}: add to SWITCHES in tests/stress.py a "
            "function params -> [z, ...] listing every threshold of its code (np.where "
            "conditions, clipping bounds, fitted ranges; [0.0] if there is only the sign)")
    if msg:
        pytest.fail("\n".join(msg), pytrace=False)


@functools.lru_cache(maxsize=None)
def _prepared(name: str):
    f = actgrad.get(name)
    z = stress.grid(name, {})
    kinks = [k.at for k in f.kinks]
    at_kink = np.isin(z, kinks)
    pair = ref.pair(name, {})
    exact = [pair(x) for x in z.tolist()]
    eg = ref.prepare([e[0] for e in exact], np.float64)
    ed = ref.prepare([e[1] for e, k in zip(exact, at_kink) if not k], np.float64)
    return z, z[~at_kink], eg, ed


def _eval(fn, z):
    """(fn(z), None), or where it warns, (its result with warnings off, the warning)."""
    try:
        return call(fn, z), None
    except (FloatingPointError, RuntimeWarning) as e:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with np.errstate(all="ignore"):
                return fn(z), f"{type(e).__name__}: {e}"


def _problems(name: str, what: str, z, got, prep, warned) -> list[str]:
    out = []
    if warned:
        out.append(f"{name} {what} warns on its stress grid ({warned}); no input may warn: "
                   f"keep every intermediate finite in {module_of(name)}")
    err = ref.ulp_error(got, prep, np.float64)
    i = int(np.argmax(err))
    worst = float(err[i])
    if not worst <= BOUND64:
        out.append(
            f"{name} {what}: {worst:.4g} ULP > {BOUND64:g} at z={float(z[i])!r} (got "
            f"{float(got[i])!r}, correctly rounded {float(prep.rounded[i])!r}); "
            f"{int(np.sum(err > BOUND64))}/{err.size} points of the stress grid over. Make "
            f"{name}'s {what} accurate in {module_of(name)} (the float64 bound holds at every "
            "input; see the forms used in actgrad/activations/smooth.py)")
    return out


@pytest.mark.parametrize("name", NAMES)
def test_float64_accuracy_on_the_stress_grid(name):
    if not ref.has_reference(name) or name not in stress.SWITCHES:
        pytest.fail(f"{name}: no reference or switch points; see "
                    "test_every_catalogue_function_has_a_reference_and_switch_points",
                    pytrace=False)
    f = actgrad.get(name)
    z, zd, eg, ed = _prepared(name)
    g, gw = _eval(f, z)
    d, dw = _eval(f.deriv, zd)
    assert g.dtype == np.float64 and g.shape == z.shape
    bad = _problems(name, "g", z, g, eg, gw) + _problems(name, "g′", zd, d, ed, dw)
    if bad:
        pytest.fail("\n".join(bad), pytrace=False)


def test_stress_grid_has_the_switch_points_and_their_neighbours():
    z = stress.grid("squareplus", {"b": 1e-320})
    k = (2 - np.frexp(1e-320)[1]) // 2
    c = -(2.0 ** (400 - int(k)))
    for x in (c, np.nextafter(c, 0.0), np.nextafter(c, -np.inf), 0.0, -0.0, 5e-324):
        assert np.any(z.view(np.uint64) == np.float64(x).view(np.uint64)), x
    assert stress.roots("silu", {}) and abs(stress.roots("silu", {})[0] + 1.2784645) < 1e-6


def test_the_catalogue_test_knows_every_spec_module():
    assert all(module_of(n).endswith(".py") for n in NAMES)
