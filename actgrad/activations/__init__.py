"""The catalogue: every activation function defined once, read like a table.

Each entry keeps side by side what a user of the function needs to know:

- its formula of g, of g′ and (where it exists) of g′ written in terms of the output a = g(z);
- its parameters with their defaults and allowed values;
- ``g(z, p)`` and ``dg(z, p)``: vectorised numpy, computed in float64 with forms that stay
  accurate over the whole float range (the naive a(1 − a) form loses every digit once a rounds
  to 1), and free of RuntimeWarnings;
- ``dg_from_a(a, p)``: g′ from the output alone, exact algebra on a (so as precise as a is);
- ``exact(z, p, mp)``: the same g in mpmath, used by the gradient check (numerical derivative
  in extended precision);
- its kinks: points where g′ jumps, with the one-sided slopes and the value PyTorch's and
  JAX's autograd return there.

``dg`` only has to be right away from kinks; the registry overrides the kink points with the
chosen convention and maps nan inputs to nan. Adding a function is adding one ``Spec`` in one
of this package's modules, listed in ``CATALOGUE`` below (the registry and the command line
pick it up from there), and three things the suite requires, each named by the test that
fails until it is there: its independent mpmath reference (tests/reference.py,
``CATALOGUE_REFS``) and the switch points of its formulas (tests/stress.py, ``SWITCHES``),
checked by tests/test_catalogue.py to 4 ULP in float64 on its stress grid; its explain
texts in actgrad/texts/en.toml and hi.toml (tests/test_explain.py).
"""

import dataclasses

from .base import KINK_CONVENTIONS, Array, Kink, Param, Params, Spec
from . import lecture, piecewise, second, smooth


def _with_second(spec: Spec) -> Spec:
    """The Spec with its g″ from activations/second.py (kept apart from the tables)."""
    s = second.SECOND.get(spec.name)
    if s is None:
        return spec
    return dataclasses.replace(
        spec, d2_formula=s.formula, d2g=s.d2g, exact_d2g=s.exact_d2g, d2g_kinks=s.kinks,
        d2_from_output_formula=s.from_output_formula, d2g_from_a=s.d2g_from_a)


#: every activation, in the order ``actgrad list`` shows them
CATALOGUE: tuple[Spec, ...] = tuple(
    _with_second(s) for s in (*lecture.SPECS, *smooth.SPECS, *piecewise.SPECS))

__all__ = ["CATALOGUE", "KINK_CONVENTIONS", "Array", "Kink", "Param", "Params", "Spec"]
