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

from .base import KINK_CONVENTIONS, Array, Kink, Param, Params, Spec
from . import lecture, piecewise, smooth

#: every activation, in the order ``actgrad list`` shows them
CATALOGUE: tuple[Spec, ...] = (*lecture.SPECS, *smooth.SPECS, *piecewise.SPECS)

__all__ = ["CATALOGUE", "KINK_CONVENTIONS", "Array", "Kink", "Param", "Params", "Spec"]
