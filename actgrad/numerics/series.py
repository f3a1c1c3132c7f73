"""Derivatives of any order: truncated Taylor series in ball arithmetic.

The catalogue's exact forms (``Spec.exact(z, p, mp)``) are written against a small
math-module interface (mpf, pi, exp, expm1, log, log1p, sqrt, tanh, cosh, sech, erfc, npdf,
mag, extraprec, comparisons, abs, min/max, if branches). ``SeriesMath`` satisfies it with
numbers that are truncated Taylor series in t, ``Series`` (python-flint's ``arb_series``,
n = N + 1 terms, arb balls as coefficients): fed z = z0 + t, a form gives the series of g
around z0, and coefficient k times k! encloses g⁽ᵏ⁾(z0). ``taylor(form, z0, k, side, m)``
does that for any form on a Series (``one_sided`` adds the sides at a breakpoint),
``coefficient``/``value`` for a catalogue function (``convention_side``: the kink rule),
and actgrad.expression walks an expression's graph on it; numerics/rigorous.py rounds the
ball, with its Ziv loop.

Accuracy of the coefficients (not only their correctness, which ball arithmetic proves):
each function's series is formed so that no coefficient cancels where the value does not.

* exp, log, sqrt: arb's series (the constant term arb's own function, the others from the
  recurrences, relative to it). exp of a large argument is taken with log2|u0| extra bits
  (arb reduces the argument by log 2 at the working precision, so exp(1e300) needs ~1000 bits).
* expm1, log1p: the series of exp(u), log(1 + u) with coefficient 0 replaced by arb's
  expm1(u0), log1p(u0) (the naive constant term would cancel).
* log1p(exp(x)) (softplus, mish, log_sigmoid): for x0 > 0 as x + log1p(exp(−x)): exp(x) is
  a tagged series (``Series.exp_of``) so log1p sees its argument. Otherwise the series of
  log(1 + e^x) for large x cancels in every coefficient (1 − 1/(1 + e^−x) ...).
* tanh(u) = 2/(1 + e^−2u) − 1 (u0 >= 0) or 1 − 2/(1 + e^2u), coefficient 0 arb's tanh(u0):
  the coefficients k >= 1 come from the reciprocal, which has no cancellation.
* cosh, sinh: the recurrences C′ = S·u′, S′ = C·u′ from arb's cosh(u0), sinh(u0) (not
  (e^u ± e^−u)/2, whose odd terms cancel near 0); sech = 1/cosh.
* erfc(u): coefficient 0 from the rigorous shim's erfc (its asymptotic series far out), the
  others by integrating −2/√π·e^(−u²)·u′.
* squareplus: g″ = (b/2)·(z² + b)^(−3/2) as exp(−3/2·log(z² + b)) (``_BASE``): the series
  of (z + √(z² + b))/2 cancels at large |z| (√ of z² + b is z + O(b/z)).

Branches. A comparison of two series decides on their difference as a germ at z0 + side·ε
(ε an infinitesimal): the first coefficient of the difference that is not an exact zero
gives the sign, times side^k. The constant term decides almost always (z0 is an exact float,
so z − threshold is an exact ball); at a breakpoint (z0 == threshold) the t-coefficient
decides, and ``SeriesMath.tie`` records that it was so: the value is then one-sided, the
side given. Side 0 decides on the constant term alone (g itself at a jump: its own
value). A ball straddling 0 raises ``Undecided`` (the caller raises the precision). A pole
(division by a series whose constant term is an exact 0) gives nan coefficients.

Exact zeros. The coefficient a symmetry makes 0 at z0 = 0 (odd N for g − z/2 even: gelu,
silu, softplus, ...; even N for g − g(0) odd: sigmoid, tanh, tanhshrink) is a ball around 0
that no precision decides; ``vanishes_at_zero`` says which (``_PARITY``), and the caller
returns the zero itself. Pieces of degree < N give exact zero balls as they are.
"""

from __future__ import annotations

import math
from typing import Any, Callable

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..registry import Activation


#: the largest log2 |u| for which exp(u) is evaluated (|u| < 2^65536: e^u is then far past
#: any float's range, and a later exp(−…) of it is 0)
_MAX_EXP_BITS = 1 << 16


class Undecided(ArithmeticError):
    """A comparison on a ball that straddles 0: more precision decides it."""


class NotFinite(Undecided):
    """A comparison on a ball that is not finite (nan: log of a negative number inside an
    expression), which more precision may or may not make finite."""


class Series:
    """A truncated Taylor series in t with arb coefficients (an arb_series of m.n terms)."""

    __slots__ = ("s", "m", "exp_of")
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, s: Any, m: "SeriesMath", exp_of: "Series | None" = None) -> None:
        self.s = s
        self.m = m
        self.exp_of = exp_of  # set when this is exp(exp_of) (for log1p)

    # -- arithmetic ------------------------------------------------------------------------
    def _lift(self, x: Any) -> Any:
        if type(x) is Series:
            return x.s
        if isinstance(x, (int, float)) or type(x) is self.m._arb:
            return x
        return NotImplemented

    def __add__(self, x: Any) -> Any:
        y = self._lift(x)
        return NotImplemented if y is NotImplemented else Series(self.s + y, self.m)

    __radd__ = __add__

    def __sub__(self, x: Any) -> Any:
        y = self._lift(x)
        return NotImplemented if y is NotImplemented else Series(self.s - y, self.m)

    def __rsub__(self, x: Any) -> Any:
        y = self._lift(x)
        return NotImplemented if y is NotImplemented else Series(y - self.s, self.m)

    def __mul__(self, x: Any) -> Any:
        y = self._lift(x)
        return NotImplemented if y is NotImplemented else Series(self.s * y, self.m)

    __rmul__ = __mul__

    def __truediv__(self, x: Any) -> Any:
        y = self._lift(x)
        return NotImplemented if y is NotImplemented else self.m.divide(self.s, y)

    def __rtruediv__(self, x: Any) -> Any:
        y = self._lift(x)
        return NotImplemented if y is NotImplemented else self.m.divide(y, self.s)

    def __neg__(self) -> "Series":
        return Series(-self.s, self.m)

    def __pos__(self) -> "Series":
        return self

    def __pow__(self, k: Any) -> "Series":
        if isinstance(k, int) and not isinstance(k, bool):
            if k < 0:
                return 1 / (self ** -k)
            r, b = None, self.s
            while k:
                if k & 1:
                    r = b if r is None else r * b
                k >>= 1
                if k:
                    b = b * b
            return Series(r, self.m) if r is not None else self.m.mpf(1)
        return self.m.exp(self.m.log(self) * k)

    def __abs__(self) -> "Series":
        return -self if self.m.sign(self) < 0 else self

    # -- comparisons on the germ at z0 + side·ε --------------------------------------------
    def _cmp(self, x: Any) -> int:
        y = self._lift(x)
        if y is NotImplemented:
            raise TypeError(f"cannot compare a series with {type(x).__name__}")
        return self.m.sign(Series(self.s - y, self.m))

    def __lt__(self, x: Any) -> bool:
        return self._cmp(x) < 0

    def __le__(self, x: Any) -> bool:
        return self._cmp(x) <= 0

    def __gt__(self, x: Any) -> bool:
        return self._cmp(x) > 0

    def __ge__(self, x: Any) -> bool:
        return self._cmp(x) >= 0

    def __eq__(self, x: Any) -> bool:  # type: ignore[override]
        return self._cmp(x) == 0

    def __ne__(self, x: Any) -> bool:  # type: ignore[override]
        return self._cmp(x) != 0

    def __bool__(self) -> bool:
        return self.m.sign(self) != 0

    def coeff(self, k: int) -> Any:
        c = self.s.coeffs()
        return c[k] if k < len(c) else self.m._arb(0)

    def __repr__(self) -> str:
        return f"Series({self.s})"


class SeriesMath:
    """The math-module interface of the exact forms, on Series (module doc)."""

    ball = True  # the forms may ask (gelu's erfc takes the shim's directly)

    def __init__(self, shim: Any) -> None:
        import flint

        self._flint = flint
        self._arb = flint.arb
        self._series = flint.arb_series
        self.b = shim  # the ball shim of numerics/rigorous.py (constants, erfc far out)
        self.mp = self
        self.n = 1
        self.side = 1
        self.tie = False

    # state of one evaluation
    def begin(self, n: int, side: int) -> None:
        self.n, self.side, self.tie = n, side, False
        if self._flint.ctx.cap < n:  # flint truncates every series to ctx.cap terms (10)
            self._flint.ctx.cap = n

    @property
    def prec(self) -> int:
        return self.b.prec

    @prec.setter
    def prec(self, bits: int) -> None:
        self.b.prec = bits

    def extraprec(self, bits: int) -> Any:
        return self.b.extraprec(bits)

    def _wrap(self, c: Any) -> Series:
        return Series(self._series([c], prec=self.n), self)

    def _with_const(self, s: Any, c0: Any) -> Series:
        cs = s.coeffs()
        cs = list(cs) + [self._arb(0)] * (self.n - len(cs))
        cs[0] = c0
        return Series(self._series(cs, prec=self.n), self)

    def _s(self, x: Any) -> Series:
        return x if type(x) is Series else self.mpf(x)

    def mpf(self, x: Any) -> Series:
        if type(x) is Series:
            return x
        if type(x) is self._arb:
            return self._wrap(x)
        return self._wrap(self.b.mpf(x))

    @property
    def pi(self) -> Series:
        return self._wrap(self.b.pi)

    @property
    def e(self) -> Series:
        return self._wrap(self._arb(1).exp())

    @property
    def nan(self) -> Series:
        return self._wrap(self._arb.nan())

    def divide(self, a: Any, b: Any) -> Series:
        """a/b; where b's constant term is an exact 0 (a pole, 1/z at 0, or 0/0, sin(z)/z
        at 0) every coefficient is nan: flint refuses the quotient, or cancels the common
        factor t and returns fewer terms than asked (their last ones would read as 0)."""
        try:
            q = a / b
            if getattr(q, "prec", self.n) >= self.n:
                return Series(q, self)
        except (ValueError, ZeroDivisionError):
            pass
        return Series(self._series([self._arb.nan()] * self.n, prec=self.n), self)

    def sign(self, d: Series) -> int:
        """The sign of the germ d at z0 + side·ε (module doc); records a tie. Side 0: the
        sign of d(z0) itself (for g at z0: a jump's own value, not a one-sided limit)."""
        for k, c in enumerate(d.s.coeffs()):
            if k and not self.side:
                break
            if c.is_zero():
                continue
            if c > 0:
                s = 1
            elif c < 0:
                s = -1
            elif not c.is_finite():
                raise NotFinite("a comparison on a ball that is not finite")
            else:
                raise Undecided("a comparison on a ball that straddles 0")
            if k:
                self.tie = True
                if self.side < 0 and k & 1:
                    s = -s
            return s
        return 0

    def mag(self, x: Any) -> int:
        return self.b.mag(self._s(x).coeff(0))

    # -- elementary functions -----------------------------------------------------------
    def exp(self, x: Any) -> Series:
        u = self._s(x)
        c0 = u.coeff(0)
        extra = 0
        if c0.is_finite() and not c0.is_zero():
            extra = max(0, self.b.mag(c0.mid()))  # log2 |u0|: the bits the reduction needs
        if extra > _MAX_EXP_BITS:  # (9**9**9**9: a billion bits of reduction, never done)
            raise ArithmeticError(f"an intermediate value is e to a power near 2^{extra},"
                                  " beyond what any float result can come back from")
        if extra > 8:
            with self.b.extraprec(extra + 8):
                s = u.s.exp()
        else:
            s = u.s.exp()
        return Series(s, self, exp_of=u)

    def expm1(self, x: Any) -> Series:
        u = self._s(x)
        return self._with_const(self.exp(u).s, u.coeff(0).expm1())

    def log(self, x: Any) -> Series:
        return Series(self._s(x).s.log(), self)

    def log1p(self, x: Any) -> Series:
        u = self._s(x)
        a = u.exp_of
        if a is not None and a.coeff(0) > 0:
            return a + self.log1p(self.exp(-a))  # log(1 + e^a) = a + log(1 + e^−a)
        return self._with_const((1 + u.s).log(), u.coeff(0).log1p())

    def sqrt(self, x: Any) -> Series:
        return Series(self._s(x).s.sqrt(), self)

    def tanh(self, x: Any) -> Series:
        u = self._s(x)
        c0 = u.coeff(0)
        if c0.mid() >= 0:
            r = 2 / (1 + self.exp(-2 * u).s) - 1
        else:
            r = 1 - 2 / (1 + self.exp(2 * u).s)
        return self._with_const(r, c0.tanh())

    def _cosh_sinh(self, u: Series) -> tuple[list[Any], list[Any]]:
        a = list(u.s.coeffs()) + [self._arb(0)] * self.n
        c0 = a[0]
        if c0.is_finite() and not c0.is_zero() and self.b.mag(c0.mid()) > 8:
            with self.b.extraprec(self.b.mag(c0.mid()) + 8):
                C, S = [c0.cosh()], [c0.sinh()]
        else:
            C, S = [c0.cosh()], [c0.sinh()]
        for k in range(1, self.n):
            sc = sum((j * a[j] * S[k - j] for j in range(1, k + 1)), self._arb(0))
            ss = sum((j * a[j] * C[k - j] for j in range(1, k + 1)), self._arb(0))
            C.append(sc / k)
            S.append(ss / k)
        return C, S

    def cosh(self, x: Any) -> Series:
        C, _ = self._cosh_sinh(self._s(x))
        return Series(self._series(C, prec=self.n), self)

    def sinh(self, x: Any) -> Series:
        _, S = self._cosh_sinh(self._s(x))
        return Series(self._series(S, prec=self.n), self)

    def sech(self, x: Any) -> Series:
        return 1 / self.cosh(x)

    def erfc(self, x: Any) -> Series:
        u = self._s(x)
        c0 = self.b.erfc(u.coeff(0))
        if self.n == 1:
            return self._wrap(c0)
        du = u.s.derivative()  # n − 1 terms
        w = self.exp(-(u * u)).s * du * (-2 / self._arb.pi().sqrt())
        cs = [c0] + [c / (k + 1) for k, c in enumerate(_padded(w, self.n - 1, self._arb))]
        return Series(self._series(cs, prec=self.n), self)

    def erf(self, x: Any) -> Series:
        u = self._s(x)
        return self._with_const(-self.erfc(u).s, u.coeff(0).erf())

    def sin(self, x: Any) -> Series:
        return Series(self._s(x).s.sin(), self)

    def cos(self, x: Any) -> Series:
        return Series(self._s(x).s.cos(), self)

    def tan(self, x: Any) -> Series:
        return Series(self._s(x).s.tan(), self)

    def atan(self, x: Any) -> Series:
        return Series(self._s(x).s.atan(), self)

    def npdf(self, x: Any) -> Series:
        u = self._s(x)
        return self.exp(u * u * -0.5) / self._wrap((2 * self._arb.pi()).sqrt())


def _padded(s: Any, n: int, arb: Any) -> list[Any]:
    cs = list(s.coeffs())[:n]
    return cs + [arb(0)] * (n - len(cs))


# -- forms ---------------------------------------------------------------------------------


def _squareplus_d2(z: Any, p: Any, mp: Any) -> Any:
    if p["b"] == 0:
        return mp.mpf(0)
    b = mp.mpf(p["b"])
    return b / 2 * mp.exp(mp.log(z * z + b) * -1.5)


#: name -> (m, form): the form gives g⁽ᵐ⁾ (instead of Spec.exact's g), used for orders >= m
_BASE: dict[str, tuple[int, Callable[[Any, Any, Any], Any]]] = {
    "squareplus": (2, _squareplus_d2),
}

#: g − (affine) is odd ("odd": g⁽ᴺ⁾(0) = 0 for even N >= 2) or even ("even": for odd N),
#: for every parameter value and on both sides of 0 (the branches met at 0 included)
_PARITY: dict[str, str] = {
    "sigmoid": "odd", "tanh": "odd", "tanhshrink": "odd",
    "gelu": "even", "silu": "even", "log_sigmoid": "even", "softplus": "even",
    "squareplus": "even",
    # issue 13: z·σ(v) with v odd, and gelu_10 (gelu's near 0)
    "gelu_fast": "even", "gelu_approx": "even", "gelu_10": "even", "quick_gelu": "even",
}


def vanishes_at_zero(f: Activation, order: int) -> bool:
    """Whether g⁽ᴺ⁾(0) is 0 by a symmetry of g (N = order >= 2)."""
    par = _PARITY.get(f.name)
    if par is None or order < 2:
        return False
    return (order % 2 == 0) == (par == "odd")


def taylor(form: Callable[[Series], Any], z0: float, k: int, side: int, m: SeriesMath) -> Any:
    """A ball enclosing the k-th derivative at z0 of the function form gives on z = z0 + t
    (a Series), from the side (+1 right, −1 left; the same on both sides unless m.tie is set
    afterwards; 0: comparisons on the value at z0 itself), at the current precision."""
    m.begin(k + 1, side)
    arb = m._arb
    z = Series(m._series([arb(z0), arb(1)], prec=k + 1), m)
    r = form(z)
    c = r.coeff(k) if type(r) is Series else (arb(r) if k == 0 else arb(0))
    return c * math.factorial(k)


def one_sided(form: Callable[[Series], Any], z0: float, k: int, side: str,
              m: SeriesMath) -> Any:
    """taylor's ball, two-sided where z0 is inside every branch, else from the given side
    ('left', 'right', or the 'mean' of the two one-sided values; any other side is a
    ValueError there, where one-sided values differ from a framework's convention)."""
    right = taylor(form, z0, k, 1, m)
    if not m.tie or side == "right":
        return right
    if side not in ("left", "mean"):
        raise ValueError(side)
    left = taylor(form, z0, k, -1, m)
    return left if side == "left" else (left + right) / 2


def coefficient(f: Activation, z0: float, order: int, side: int, m: SeriesMath) -> Any:
    """A ball enclosing g⁽ᴺ⁾(z0) (N = order >= 1) from the side (+1 right, −1 left; the same
    on both sides unless m.tie is set afterwards), at the current precision."""
    base, form = _BASE.get(f.name, (0, f.spec.exact))
    if order < base:
        base, form = 0, f.spec.exact
    p = dict(f.params)
    return taylor(lambda z: form(z, p, m), z0, order - base, side, m)


def convention_side(f: Activation, z0: float, kink: str, order: int = 3) -> str:
    """'left', 'right' or 'mean': the side of a kink convention at z0.

    left/right/mean are themselves. For orders >= 3, pytorch/jax take the side that
    convention takes at z0 for g″ (``Activation.kinks2``), else for g′ (``Activation.kinks``),
    else 'right' (no jump of g′ or g″ there: every catalogue function is then smooth at z0
    and both sides agree). This extends the measured order-1/2 conventions; what the
    frameworks' nested autograd returns at order >= 3 is not measured (a ``Kink.special``
    value, JAX's celu″(0) = 1/(4α), is not extended: its side, the mean, is taken). Order 1
    (2) looks at the kinks of g′ (g″) only, as numerics/rigorous does.
    """
    if kink in ("left", "right", "mean"):
        return kink
    sets = {1: (f.kinks,), 2: (f.kinks2,)}.get(order, (f.kinks2, f.kinks))
    for ks in sets:
        for k in ks:
            if k.at == z0:
                return k.side(kink)
    return "right"


def value(f: Activation, z0: float, order: int, side: str, m: SeriesMath) -> Any:
    """g⁽ᴺ⁾(z0) as a ball: two-sided where z0 is inside a branch, else the given side
    ('left', 'right', or the 'mean' of the two one-sided values)."""
    right = coefficient(f, z0, order, 1, m)
    if not m.tie or side == "right":
        return right
    left = coefficient(f, z0, order, -1, m)
    return left if side == "left" else (left + right) / 2
