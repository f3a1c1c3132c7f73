"""actgrad: activation functions and their derivatives, accurate over the whole float range.

>>> import actgrad
>>> actgrad.get("sigmoid").deriv(0.0)
0.25
>>> actgrad.get("tanh").deriv_from_output(0.0)
1.0
>>> actgrad.get("softmax").jacobian([0.0, 0.0]).tolist()
[[0.25, -0.25], [-0.25, 0.25]]

The names below are loaded on first use, so that the command line can set up the process
(signals) before numpy is imported.
"""

from ._version import __version__

__all__ = [
    "Activation",
    "AuditReport",
    "OutputRangeError",
    "UnknownActivationError",
    "__version__",
    "audit",
    "get",
    "names",
    "vector",
]

_FROM_REGISTRY = ("Activation", "OutputRangeError", "UnknownActivationError", "names")
_FROM_AUDIT = ("audit", "AuditReport")


def __getattr__(name: str) -> object:
    if name in ("get", "vector"):  # get: also the vector functions (softmax, swiglu, ...)
        from . import vectors

        return getattr(vectors, name)
    if name in _FROM_REGISTRY:
        from . import registry

        return getattr(registry, name)
    if name in _FROM_AUDIT:
        from . import auditing

        return getattr(auditing, name)
    raise AttributeError(f"module 'actgrad' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
