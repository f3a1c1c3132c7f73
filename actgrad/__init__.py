"""actgrad: activation functions and their derivatives, accurate over the whole float range.

>>> import actgrad
>>> actgrad.get("sigmoid").deriv(0.0)
0.25
>>> actgrad.get("tanh").deriv_from_output(0.0)
1.0
"""

from ._version import __version__
from .registry import Activation, OutputRangeError, UnknownActivationError, get, names

__all__ = [
    "Activation",
    "OutputRangeError",
    "UnknownActivationError",
    "__version__",
    "get",
    "names",
]
