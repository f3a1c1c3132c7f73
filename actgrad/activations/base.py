"""The building blocks of the catalogue: a parameter, a kink, an activation's full entry."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

Params = dict[str, Any]
Array = np.ndarray

#: kink conventions understood everywhere (``--kink``)
KINK_CONVENTIONS = ("pytorch", "jax", "left", "right", "mean")


@dataclass(frozen=True)
class Param:
    """A parameter of an activation: its default and what values it accepts."""

    name: str
    default: float | str
    doc: str
    allowed: str = "any finite number"
    valid: Callable[[float], bool] = math.isfinite
    #: for a parameter that names a variant (gelu's approximate=none|tanh): the names allowed
    choices: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Kink:
    """A point where g′ jumps: one-sided slopes and the frameworks' subgradient choice.

    ``pytorch`` and ``jax`` name the side ("left" or "right") whose slope that framework's
    autograd returns at ``at``. ``unique_output`` says whether a = g(at) pins z to the kink
    (false for relu: a = 0 for every z <= 0), so g′ from the output can apply the convention.
    """

    at: float
    left: float
    right: float
    pytorch: str
    jax: str
    unique_output: bool = True

    def slope(self, convention: str) -> float:
        side = {"pytorch": self.pytorch, "jax": self.jax}.get(convention, convention)
        if side == "left":
            return self.left
        if side == "right":
            return self.right
        if side == "mean":
            return (self.left + self.right) / 2
        raise ValueError(f"unknown kink convention {convention!r}")


@dataclass(frozen=True)
class Spec:
    """One activation function, everything about it in one place."""

    name: str
    formula: str  # g(z)
    deriv_formula: str  # g′(z)
    g: Callable[[Array, Params], Array]
    dg: Callable[[Array, Params], Array]
    exact: Callable[[Any, Params, Any], Any]  # (mpf z, params, mpmath module) -> mpf
    exact_dg: Callable[[Any, Params, Any], Any]  # g′ in mpmath, away from kinks
    aliases: tuple[str, ...] = ()
    params: tuple[Param, ...] = ()
    kinks: Callable[[Params], tuple[Kink, ...]] = lambda p: ()
    from_output_formula: str | None = None  # g′ in terms of a
    dg_from_a: Callable[[Array, Params], Array] | None = None
    output_range: Callable[[Params], tuple[float, float]] = lambda p: (-math.inf, math.inf)
    #: why g′ cannot be had from a for these parameters (None: it can)
    from_output_unavailable: Callable[[Params], str | None] = lambda p: None
    #: points where g′ is continuous but a higher derivative jumps (elu and softsign at 0,
    #: sparse_plus at ±1): not kinks, but a difference quotient across them is poor, so the
    #: gradient check differentiates one-sided there
    breaks: Callable[[Params], tuple[float, ...]] = lambda p: ()
    summary: str = ""
    #: the frameworks that ship it; for the others, --kink pytorch|jax falls back to the
    #: one that does (the Spec's kinks say which side)
    frameworks: tuple[str, ...] = ("PyTorch", "JAX")
    extra: dict[str, Any] = field(default_factory=dict)
