"""The building blocks of the catalogue: a parameter, a kink, an activation's full entry."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import numpy as np

Params = dict[str, Any]
Array = np.ndarray

#: kink conventions understood everywhere (``--kink``)
KINK_CONVENTIONS = ("pytorch", "jax", "left", "right", "mean")
#: the conventions of the framework profiles other than PyTorch and JAX (actgrad/profiles.py):
#: a kink takes the side the profile records there (a ``special`` entry the registry adds),
#: any other kink PyTorch's side
FRAMEWORK_CONVENTIONS = ("keras", "tensorflow", "mlx", "tinygrad")


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

    ``pytorch`` and ``jax`` name the side ("left", "right", or "mean" of the two, as JAX's clip
    splits a tie in sparse_sigmoid) whose slope that framework's autograd returns at ``at``.
    ``unique_output`` says whether a = g(at) pins z to the kink (false for relu: a = 0 for
    every z <= 0), so g′ from the output can apply the convention.
    """

    at: float
    left: float
    right: float
    pytorch: str
    jax: str
    unique_output: bool = True
    #: the exact one-sided slopes, (mp) -> number in mpmath or in ball arithmetic, for a side
    #: whose float ``left``/``right`` is only its rounding (rrelu's (lower + upper)/2, 1/6,
    #: selu's λ and λ·α); None: the float is exact. Used by --exact/--digits and the
    #: correct rounding to float32/float16 (actgrad/numerics/rigorous.py).
    exact_left: Callable[[Any], Any] | None = field(default=None, compare=False, repr=False)
    exact_right: Callable[[Any], Any] | None = field(default=None, compare=False, repr=False)
    #: a framework whose value here is neither one-sided value nor their mean (JAX's
    #: celu″(0) = 1/(4α): jnp.maximum and jnp.minimum split a tie's derivative in halves):
    #: ((convention, float value, exact value (mp) -> number), ...); it overrides the side
    #: for slope() and exact_slope()
    special: tuple[tuple[str, float, Callable[[Any], Any]], ...] = field(
        default=(), compare=False, repr=False)
    #: g itself jumps here while its one-sided slopes agree (step: 0 | 0): a kink all the
    #: same (no difference quotient may straddle it), which the registry keeps
    g_jumps: bool = False

    def side(self, convention: str) -> str:
        """'left', 'right' or 'mean': the side a convention takes here."""
        side = {"pytorch": self.pytorch, "jax": self.jax}.get(convention, convention)
        if side in FRAMEWORK_CONVENTIONS:  # not recorded for this kink: PyTorch's rule
            side = self.pytorch
        if side not in ("left", "right", "mean"):
            raise ValueError(f"unknown kink convention {convention!r}")
        return side

    def slope(self, convention: str) -> float:
        for name, value, _ in self.special:
            if name == convention:
                return value
        side = self.side(convention)
        if side == "left":
            return self.left
        if side == "right":
            return self.right
        return (self.left + self.right) / 2

    def exact_slope(self, convention: str, mp: Any) -> Any:
        """The convention's slope exactly, in `mp` (mpmath or the ball shim of rigorous.py)."""
        for name, _, exact in self.special:
            if name == convention:
                return exact(mp)
        side = self.side(convention)
        left = self.exact_left(mp) if self.exact_left else mp.mpf(self.left)
        right = self.exact_right(mp) if self.exact_right else mp.mpf(self.right)
        if side == "left":
            return left
        if side == "right":
            return right
        return (left + right) / 2


@dataclass(frozen=True)
class OffKink:
    """A kink at no float: g′ jumps at the rational ``at`` (hard_sigmoid with alpha = 0.2 at
    −β/α = −2.49999999999999986122...), strictly between the floats ``below`` and ``above``.
    No float input lands on it, so no convention applies: g′(below) is ``left`` and
    g′(above) is ``right``, both smooth points."""

    at: Any  # fractions.Fraction, exact
    left: float
    right: float
    below: float
    above: float


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
    #: the frameworks that ship it; for the others, --kink pytorch|jax falls back to the
    #: one that does (the Spec's kinks say which side)
    frameworks: tuple[str, ...] = ("PyTorch", "JAX")
    #: where it ships, beyond PyTorch and JAX's own: "framework: name (source path)" each
    #: (shown by ``actgrad list --wide`` and in its JSON)
    sources: tuple[str, ...] = ()
    #: other names of this function with some parameters fixed (transformers' gelu_new is
    #: gelu with approximate=tanh): ((name, ((parameter, value), ...)), ...); the registry
    #: resolves them and refuses another value for a fixed parameter
    variants: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...] = ()
    #: the closed interval of z where g is defined (log1mexp: z >= 0); outside it g, g′ and
    #: g″ are nan, as its framework's value is
    domain: Callable[[Params], tuple[float, float]] = lambda p: (-math.inf, math.inf)
    #: the kinks that lie on no float (``OffKink``), for these parameters; the float just
    #: above each is in ``breaks``, so that no difference quotient straddles it
    off_kinks: Callable[[Params], tuple[OffKink, ...]] = lambda p: ()
    #: g(z) = A + T far out on an exponentially flat tail: (A exact, T with a known sign and
    #: |T| ~ e^−|z|) or None. A correctly rounded g needs the side of A that g lies on when A
    #: is a rounding boundary (tanhshrink at z = 2^24 + 2: A = z − 1, a float32 midpoint),
    #: which no precision short of ~|z| bits shows (actgrad/numerics/rigorous.py)
    exact_split: Callable[[Any, Params, Any], Any] | None = None
    # -- the second derivative (activations/second.py puts these in; None: not known) --
    d2_formula: str = ""  # g″(z)
    #: g″ in float64, vectorised, within 4 ULP away from the jumps of g″
    d2g: Callable[[Array, Params], Array] | None = None
    #: g″ in mpmath (or the ball shim), away from its jumps
    exact_d2g: Callable[[Any, Params, Any], Any] | None = None
    #: the jumps of g″: Kinks whose left/right are g″'s one-sided values and whose
    #: pytorch/jax name the side of the frameworks' double backward
    d2g_kinks: Callable[[Params], tuple[Kink, ...]] = lambda p: ()
    d2_from_output_formula: str | None = None  # g″ in terms of a
    d2g_from_a: Callable[[Array, Params], Array] | None = None


def suggest(word: str, choices: Iterable[str]) -> str:
    """'; did you mean 'x'?' for the closest choice, or '' when none is close."""
    import difflib  # only on the error path: 3.5 ms of start-up otherwise

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def check_kink(convention: str) -> str:
    """`convention` if it is one of KINK_CONVENTIONS or FRAMEWORK_CONVENTIONS, else a
    ValueError naming the allowed ones (--kink's)."""
    if not isinstance(convention, str):
        raise ValueError(f"kink convention must be one of {', '.join(KINK_CONVENTIONS)},"
                         f" got {convention!r}")
    if convention not in KINK_CONVENTIONS and convention not in FRAMEWORK_CONVENTIONS:
        raise ValueError(
            f"unknown kink convention {convention!r}{suggest(convention, KINK_CONVENTIONS)}"
            f" (allowed: {', '.join(KINK_CONVENTIONS)})"
        )
    return convention


# ---------------------------------------------------------------------------------------
# forms that compute in the input's own float type (the registry's ``in_type``): a form f
# with ``f.in_type(p, dtype)`` true gives, on an array of that type (float64, float32,
# float16), its correctly rounded results in that type. That holds where each piece is a
# comparison, a selection, or one IEEE operation on z and constants exact in the type
# (max(z, 0), clips, z − lambd, z², (z + 1)·0.5): one operation rounds the exact result
# once. The constants are the parameters, so the test is that they are exact in the type.
# (The registry uses these forms for float64 and float32 inputs.)

_FLOATS = (np.dtype(np.float64), np.dtype(np.float32), np.dtype(np.float16))


def float_type(z: Array) -> np.dtype:
    """z's dtype if it is float64, float32 or float16, else float64 (the forms' results)."""
    return z.dtype if z.dtype in _FLOATS else np.dtype(np.float64)


def in_type_always(p: Params, dtype: np.dtype) -> bool:
    """``in_type`` of a form whose constants are exact in every float type."""
    return True


def in_type_when_exact(*names: str) -> Callable[[Params, np.dtype], bool]:
    """``in_type`` of a form whose only constants are the parameters `names`: true where
    they are exact in the type."""

    def ok(p: Params, dtype: np.dtype) -> bool:
        with np.errstate(over="ignore"):
            return all(float(dtype.type(p[n])) == float(p[n]) for n in names)

    return ok
