"""Correctly rounded values with a proof: `--exact`, `--digits N` and the small dtypes.

Ball arithmetic (python-flint's arb, imported only here and only when a value is asked for):
every operation returns an interval [m − r, m + r] that is guaranteed to contain the exact
result, so the catalogue's exact forms (``Spec.exact``/``Spec.exact_dg``, written against a
small math-module interface that mpmath and the shim ``_Ball`` below both satisfy) give an
enclosure of g(z) or g′(z) with a proven error bound. A value is accepted only when *both
ends* of the ball round to the same result — the same float of the target dtype (and the same
sign of zero), or the same N-significant-digit decimal; since rounding is monotone, every value
in the ball, the exact one included, then rounds to it. Otherwise the precision is doubled
(64 bits first for a float, 3.33·N + 32 bits for N digits, up to 2^17 bits; beyond, an
ArithmeticError: no value is ever returned undecided).

Speed (benchmarks/exact_speed.py): the values go in batches, all at the first precision, then
the undecided ones (about 1 in 100 for a float) at twice it, so the precision is set once per
batch; the float test is quick where it can be (a candidate y, the ball's midpoint rounded,
and the ball test |v − y| < h with h half the narrower gap next to y, in ball arithmetic),
exact otherwise; and gelu, sigmoid, tanh, silu and their derivatives have direct kernels
(``_KERNELS``: arb methods with constants made once per batch; gelu and gelu′ for |z| <= 1 by
their alternating Taylor series with its proven tail bound, no erfc), each a proven enclosure.

Branches of piecewise definitions test z itself, which is an exact float (so a ball of radius
0: every comparison is decided, z exactly at a threshold included); where an exact form
branches on a computed ball only to avoid cancellation (gelu tanh′), both branches are the same
function, so either is right. Special points:

* kinks (``Activation.kinks``): g′ there is the convention's one-sided slope,
  ``Kink.exact_slope(convention)`` (exact; rrelu's (lower + upper)/2, 1/6, selu's λ and λ·α
  are not floats);
* ±inf: the limit: the float64 fast path's value, which is the exact limit for every function
  (0, ±1, ±inf, a float parameter), except the few in ``_LIMITS`` whose limit is irrational
  or a rounded parameter (selu's −λ·α and λ, rrelu's slope); tests/test_rigorous.py checks
  the limits against independent references;
* nan: nan;
* exponentially flat tails where the asymptote is itself a rounding boundary (tanhshrink at
  z = 2050 in float16: z − 1 is a midpoint and the rest is e^−4100; elu/celu with α a
  midpoint): no precision short of ~|z| bits decides, so ``Spec.exact_split`` gives g as
  A + T (A exact, T of known sign) and the side of A is T's (``_tie``). A value still
  undecided at 2^17 bits raises ArithmeticError (e.g. ``values_float`` of silu at a float64 z
  that is a float32 midpoint, |z| > 9e4, with dtype float32; the CLI and the registry round z
  to the dtype first, where z is no midpoint);
* the linear units leaky_relu, prelu, rrelu into float32/float16: slope·z decided
  vectorised in double-double (``_linear``), the ball path only for near-ties;
* an exact zero (relu below 0, tanh at −0, ...): ball arithmetic has no signed zero, so the
  sign is the fast path's (``tanh(−0) = −0.0``); a nonzero value that rounds to zero has the
  sign of the value (the ball must exclude 0 first).

Public API (the CLI calls these):

* ``values_float(f, z, *, deriv, kink="pytorch", dtype=np.float64) -> np.ndarray``: g (or
  g′ with the kink convention; deriv=2: g″, ``Spec.exact_d2g``, the convention's value at
  a jump of g″, ``Activation.kinks2``) at each z, the exact value rounded once to dtype (float64,
  float32 or float16), subnormals and overflow included. ``--exact`` is dtype float64;
  ``--exact --dtype float32`` is dtype float32 (z first converted to float32, as the CLI does).
* deriv=N, 3 <= N <= MAX_ORDER (20), here and in values_text: g⁽ᴺ⁾ from the Taylor series
  of Spec.exact in ball arithmetic (numerics/series.py), the same rounding test and doubling,
  one value at a time (``_taylor_run``); ±inf gives 0 (the limit), a zero by symmetry at
  ±0 has z's sign; at a breakpoint the convention's side (series.convention_side).
  ``taylor_float(value, z, *, order, dtype)`` and ``taylor_text(value, z, *, order,
  digits)`` round any value(m, z0) -> ball of numerics/series.py (expression.exact_values).
* ``values_text(f, z, *, deriv, kink="pytorch", digits) -> list[str]``: exactly `digits`
  significant digits, correctly rounded (ties to even), trailing zeros kept; fixed notation
  for decimal exponents −4 < E < digits, else d.ddd…e±E (mpmath.nstr's layout with
  min_fixed=−4, max_fixed=digits); '-0.0'/'0.0' for zeros, 'inf', '-inf', 'nan'.
* ``from_output_float(f, a, *, kink="pytorch", dtype=np.float64) -> np.ndarray``: g′ from the
  output, exactly: the from-output formula (``_FROM_A``) evaluated on the exact float a and
  rounded once (the registry uses it for float32/float16 results next to a rounding
  boundary); the caller checks that a is an output (Activation.deriv_from_output does).
* ``to_float(mpf) -> float``: correctly rounded mpf -> float64. ``MAX_DIGITS`` (from
  actgrad.numerics): the most digits ``values_text`` gives.
"""

from __future__ import annotations

import contextlib
import math
from typing import Any, Callable

import numpy as np

from ..activations.base import check_kink
from ..activations.piecewise import _hs_mp_slope

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..registry import Activation

from . import FORMATS as _FORMATS, MAX_DIGITS, MAX_ORDER, Format as _Fmt, as_dtype  # noqa: E402
# (MAX_DIGITS re-exported: rigorous.MAX_DIGITS)
_FLOAT_BITS = 64  # first working precision for a float result (53 + guard; 128 if undecided)
_MAX_BITS = 1 << 17

def _format(dtype: Any) -> _Fmt:
    try:
        return _FORMATS[as_dtype(dtype).name]
    except ValueError:
        raise TypeError(f"dtype must be one of {', '.join(_FORMATS)}, got {dtype!r}") from None


def _next_up(v: float, fmt: _Fmt) -> float:
    """The next value of the format above v (a finite value of it); inf past the top."""
    if v == 0:
        return math.ldexp(1.0, fmt.qmin)
    m, e = math.frexp(abs(v))  # |v| = m·2^e, 1/2 <= m < 1
    q = max(e - fmt.p, fmt.qmin)  # |v|'s quantum
    if v < 0 and m == 0.5 and e - 1 - fmt.p >= fmt.qmin:
        q -= 1  # just below a power of 2 the quantum is half as big
    r = v + math.ldexp(1.0, q)  # exact in float64 (the format is no wider)
    return math.inf if r > fmt.top else r


# ----------------------------------------------------------------------------------------
# the ball-arithmetic math module


class _Ball:
    """The part of mpmath's interface the catalogue's exact forms use, in arb balls."""

    ball = True  # the exact forms may ask (gelu's erfc takes arb's directly)

    def __init__(self) -> None:
        import flint

        self._flint = flint
        self._arb = flint.arb
        self._far = flint.arb(2.0**20)
        self._cache: dict[Any, Any] = {}
        self._prec = flint.ctx.prec  # kept in step by the setter of prec (the key of _cache)
        self.mp = self  # mp.mp.prec as in mpmath

    @property
    def prec(self) -> int:
        return self._flint.ctx.prec

    @prec.setter
    def prec(self, bits: int) -> None:
        self._flint.ctx.prec = bits
        self._prec = bits

    def _const(self, x: Any, make: Callable[[], Any] | None = None) -> Any:
        """A Python number as a ball (or make()), cached per precision: the forms ask for
        √2 and the like at every value."""
        key = (x, self._prec)
        c = self._cache.get(key)
        if c is None:
            if len(self._cache) > 4096:
                self._cache.clear()
            c = self._cache[key] = self._arb(x) if make is None else make()
        return c

    def mpf(self, x: Any) -> Any:
        # floats and small ints are converted exactly; a decimal string is enclosed
        return x if type(x) is self._arb else self._const(x)

    @property
    def pi(self) -> Any:
        key = ("pi", self._prec)
        c = self._cache.get(key)
        if c is None:
            c = self._cache[key] = self._arb.pi()
        return c

    @property
    def nan(self) -> Any:
        return self._arb.nan()

    def exp(self, x: Any) -> Any:
        if type(x) is self._arb:
            return x.exp()
        return self._const(("exp", x), lambda: self._arb(x).exp())

    def expm1(self, x: Any) -> Any:
        if type(x) is self._arb:
            return x.expm1()
        return self._const(("expm1", x), lambda: self._arb(x).expm1())

    def log(self, x: Any) -> Any:
        if type(x) is self._arb:
            return x.log()
        return self._const(("log", x), lambda: self._arb(x).log())

    def log1p(self, x: Any) -> Any:
        if type(x) is self._arb:
            return x.log1p()
        return self._const(("log1p", x), lambda: self._arb(x).log1p())

    def sqrt(self, x: Any) -> Any:
        if type(x) is self._arb:
            return x.sqrt()
        return self._const(("sqrt", x), lambda: self._arb(x).sqrt())

    def tanh(self, x: Any) -> Any:
        if type(x) is self._arb:
            return x.tanh()
        return self._const(("tanh", x), lambda: self._arb(x).tanh())

    def cosh(self, x: Any) -> Any:
        if type(x) is self._arb:
            return x.cosh()
        return self._const(("cosh", x), lambda: self._arb(x).cosh())

    def sech(self, x: Any) -> Any:
        if type(x) is self._arb:
            return x.sech()
        return self._const(("sech", x), lambda: self._arb(x).sech())

    def erfc(self, x: Any) -> Any:
        x = self.mpf(x)
        if not x > self._far:
            return x.erfc()
        # arb's erfc loses all digits far out (1e50: [+/- 1e-1889595908...]); there the
        # asymptotic series e^−x²/(x√π)·Σ (−1)^k (2k−1)!!/(2x²)^k, whose remainder for real x
        # is at most the first omitted term (DLMF 7.12.1), taken into the ball
        arb = self._arb
        t = 1 / (2 * x * x)
        total, term, k = arb(1), arb(1), 0
        tiny = arb(2) ** (-self.prec - 10)
        while True:
            k += 1
            term = -term * (2 * k - 1) * t
            if abs(term) < tiny:
                break
            total += term
        total += arb(0, abs(term).abs_upper())
        return (-(x * x)).exp() / (x * arb.pi().sqrt()) * total

    def npdf(self, x: Any) -> Any:
        x = self.mpf(x)
        key = ("sqrt2pi", self._prec)
        c = self._cache.get(key)
        if c is None:
            c = self._cache[key] = (2 * self._arb.pi()).sqrt()
        return (x * x * -0.5).exp() / c

    def mag(self, x: Any) -> int:
        """An e with |x| < 2^e (x exact, as z is)."""
        man, exp = self.mpf(x).mid().man_exp()
        return int(exp) + abs(int(man)).bit_length()

    @contextlib.contextmanager
    def extraprec(self, bits: int):
        old = self.prec
        self.prec = old + int(bits)
        try:
            yield
        finally:
            self.prec = old


_SHIM: _Ball | None = None


def _ball() -> _Ball:
    global _SHIM
    if _SHIM is None:
        _SHIM = _Ball()
    return _SHIM


# ----------------------------------------------------------------------------------------
# exact forms of g′ from the output a (the from-output formulas of the catalogue on the
# exact a), and the limits at ±inf that are not floats


def _slope_from_a(s: Callable[[Any, Any], Any]) -> Callable[[Any, Any, Any], Any]:
    return lambda a, p, mp: mp.mpf(1) if a > 0 else s(p, mp)


def _rrelu_s(p: Any, mp: Any) -> Any:
    return (mp.mpf(p["lower"]) + mp.mpf(p["upper"])) / 2


def _lam(p: Any, mp: Any) -> Any:
    from ..activations.smooth import selu_exact_constants

    return selu_exact_constants(p, mp)[0]


def _lam_alpha(p: Any, mp: Any) -> Any:
    from ..activations.smooth import selu_exact_constants

    lam, alpha = selu_exact_constants(p, mp)
    return lam * alpha


def _in(a: Any, lo: float, hi: float, inside: Any, mp: Any) -> Any:
    return inside if lo < a < hi else mp.mpf(0)


def _shrink_from_a(a: Any, p: Any, mp: Any) -> Any:
    if p["lambd"] == 0:
        return mp.mpf(1)
    return mp.mpf(0) if a == 0 else mp.mpf(1)


def _squareplus_from_a(a: Any, p: Any, mp: Any) -> Any:
    if p["b"] == 0:
        return mp.mpf(1 if a > 0 else 0)
    return a * a / (a * a + mp.mpf(p["b"]) / 4)


#: g′ as a function of the exact output a (a already checked to be an output of g)
_FROM_A: dict[str, Callable[[Any, Any, Any], Any]] = {
    "sigmoid": lambda a, p, mp: a * (1 - a),
    "tanh": lambda a, p, mp: (1 - a) * (1 + a),
    "relu": lambda a, p, mp: mp.mpf(1 if a > 0 else 0),
    "leaky_relu": _slope_from_a(lambda p, mp: mp.mpf(p["negative_slope"])),
    "identity": lambda a, p, mp: mp.mpf(1),
    "relu6": lambda a, p, mp: mp.mpf(1 if 0 < a < 6 else 0),
    "prelu": _slope_from_a(lambda p, mp: mp.mpf(p["weight"])),
    "rrelu": _slope_from_a(_rrelu_s),
    "hard_sigmoid": lambda a, p, mp: _in(a, 0, 1, _hs_mp_slope(p, mp), mp),
    "hard_tanh": lambda a, p, mp: mp.mpf(1 if p["min_val"] < a < p["max_val"] else 0),
    "softshrink": _shrink_from_a,
    "hardshrink": _shrink_from_a,  # the gaps 0 < |a| <= lambd are refused before
    "threshold": lambda a, p, mp: mp.mpf(1 if a > p["threshold"] else 0),
    "sparse_plus": lambda a, p, mp: mp.sqrt(a) if a < 1 else mp.mpf(1),
    "sparse_sigmoid": lambda a, p, mp: _in(a, 0, 1, mp.mpf(1) / 2, mp),
    "elu": lambda a, p, mp: mp.mpf(1) if a > 0 else a + mp.mpf(p["alpha"]),
    "selu": lambda a, p, mp: _lam(p, mp) if a > 0 else a + _lam_alpha(p, mp),
    "celu": lambda a, p, mp: mp.mpf(1) if a > 0 else 1 + a / mp.mpf(p["alpha"]),
    "softplus": lambda a, p, mp: -mp.expm1(-mp.mpf(p["beta"]) * a),
    "softsign": lambda a, p, mp: (1 - abs(a)) ** 2,
    "log_sigmoid": lambda a, p, mp: -mp.expm1(a),
    "squareplus": _squareplus_from_a,
}

def _squareplus_d2_from_a(a: Any, p: Any, mp: Any) -> Any:
    if p["b"] == 0:
        return mp.mpf(0)
    b = mp.mpf(p["b"])
    h = a + b / (4 * a)
    return b / (2 * h**3)


#: g″ as a function of the exact output a (Activation.deriv_from_output(a, order=2))
_FROM_A2: dict[str, Callable[[Any, Any, Any], Any]] = {
    "sigmoid": lambda a, p, mp: a * (1 - a) * (1 - 2 * a),
    "tanh": lambda a, p, mp: -2 * a * (1 - a) * (1 + a),
    "elu": lambda a, p, mp: mp.mpf(0) if a > 0 else a + mp.mpf(p["alpha"]),
    "selu": lambda a, p, mp: mp.mpf(0) if a > 0 else a + _lam_alpha(p, mp),
    "celu": lambda a, p, mp: (mp.mpf(0) if a > 0
                              else (a + mp.mpf(p["alpha"])) / mp.mpf(p["alpha"]) ** 2),
    "softplus": lambda a, p, mp: (mp.mpf(p["beta"]) * -mp.expm1(-mp.mpf(p["beta"]) * a)
                                  * mp.exp(-mp.mpf(p["beta"]) * a)),
    "softsign": lambda a, p, mp: (-2 if a > 0 else 2) * (1 - abs(a)) ** 3,
    "log_sigmoid": lambda a, p, mp: mp.exp(a) * mp.expm1(a),
    "squareplus": _squareplus_d2_from_a,
    "sparse_plus": lambda a, p, mp: mp.mpf(1) / 2 if 0 < a < 1 else mp.mpf(0),
}
for _n in ("relu", "leaky_relu", "identity", "relu6", "prelu", "rrelu", "hard_sigmoid",
           "hard_tanh", "softshrink", "hardshrink", "threshold", "sparse_sigmoid"):
    _FROM_A2[_n] = lambda a, p, mp: mp.mpf(0)

# issue 13 (cat13a): the modern catalogue's from-output forms
_FROM_A.update({
    "relu2": lambda a, p, mp: 2 * mp.sqrt(a),
    "step": lambda a, p, mp: mp.mpf(0),
    "exponential": lambda a, p, mp: a,
    "log1mexp": lambda a, p, mp: mp.expm1(-a),
})
_FROM_A2.update({
    "relu2": lambda a, p, mp: mp.mpf(2 if a > 0 else 0),
    "step": lambda a, p, mp: mp.mpf(0),
    "exponential": lambda a, p, mp: a,
    "log1mexp": lambda a, p, mp: -mp.exp(-a) * mp.expm1(-a),
})

#: (name, deriv, sign of z) -> the limit at ±inf where it is no float64 the fast path holds
_LIMITS: dict[tuple[str, bool, int], Callable[[Any, Any], Any]] = {
    ("selu", False, -1): lambda p, mp: -_lam_alpha(p, mp),
    ("selu", True, 1): lambda p, mp: _lam(p, mp),
    ("rrelu", True, -1): lambda p, mp: _rrelu_s(p, mp),
}


# ----------------------------------------------------------------------------------------
# rounding a ball


class _Undecided(Exception):
    pass


_ZERO = object()  # an exact zero: its sign comes from the fast path
_UNDECIDED = object()  # accept.quiet's answer where accept raises _Undecided


def _endpoints(v: Any) -> tuple[tuple[int, int], tuple[int, int]]:
    """(man, exp) of both ends of a finite ball, exactly."""
    lo, hi = v.lower(), v.upper()
    a, b = lo.man_exp(), hi.man_exp()
    return (int(a[0]), int(a[1])), (int(b[0]), int(b[1]))


def _round_bin(man: int, exp: int, fmt: _Fmt) -> float:
    """man·2^exp (man != 0) rounded to nearest-even in the format, as a Python float (past
    the range: ±inf, or nan for a format without inf)."""
    p, qmin, emax = fmt.p, fmt.qmin, fmt.emax
    neg = man < 0
    over = -fmt.over if neg else fmt.over
    m = -man if neg else man
    bc = m.bit_length()
    top = exp + bc - 1  # 2^top <= |x| < 2^(top+1)
    if top > emax + 1:
        return over
    q = max(top - (p - 1), qmin)
    if exp >= q:
        n = m << (exp - q)
    elif q - exp > bc:  # |x| < 2^(q−1): below half the quantum
        n = 0
    else:
        shift = q - exp
        n = m >> shift
        rem = m & ((1 << shift) - 1)
        half = 1 << (shift - 1)
        if rem > half or (rem == half and n & 1):
            n += 1
    if n and n.bit_length() + q - 1 > emax:
        return over
    r = math.ldexp(n, q)  # exact: n has at most p + 1 bits, q >= qmin
    if r > fmt.top:  # (e4m3fn: past 448, where its NaN pattern would be)
        return over
    return -r if neg else r


def _tie(a: Any, t: Any, fmt: _Fmt) -> float:
    """The rounding of A + T, A exact and T of known sign, when the ball of A + T straddles
    exactly one rounding boundary and that boundary is A itself: A's neighbour on T's side.
    (Otherwise _Undecided.)"""
    from fractions import Fraction

    if not (a.is_exact() and a.is_finite() and t.is_finite()) or not (t > 0 or t < 0):
        raise _Undecided
    v = a + t
    (m1, e1), (m2, e2) = _endpoints(v)
    if m1 == 0 or m2 == 0:
        raise _Undecided
    lo, hi = _round_bin(m1, e1, fmt), _round_bin(m2, e2, fmt)
    if lo == hi or lo == 0 or hi == 0 or math.isinf(lo) or math.isinf(hi):
        raise _Undecided
    if _next_up(lo, fmt) != hi:
        raise _Undecided  # more than one boundary in the ball
    am, ae = (int(x) for x in a.mid().man_exp())
    if abs(ae) > 4000 or Fraction(am) * Fraction(2) ** ae != (Fraction(lo) + Fraction(hi)) / 2:
        raise _Undecided
    return hi if t > 0 else lo


def _accept_float(fmt: _Fmt) -> Callable[[Any], Any]:
    p, qmin = fmt.p, fmt.qmin
    small = math.ldexp(1.0, qmin + p - 1)  # the smallest normal
    lowest = max(small, 2.0**-960)
    big = fmt.top  # the largest finite
    cast = float if p == 53 else as_dtype(fmt.name).type

    frexp, ldexp = math.frexp, math.ldexp
    qlo = qmin  # the exponent of half a quantum is at least qmin − 1

    def quiet(v: Any) -> Any:
        # quick: a candidate y (about the midpoint, rounded perhaps twice: a candidate only)
        # and a test in ball arithmetic that the whole ball lies strictly within y's
        # rounding cell: |v − y| < h, h half the gap to y's nearer neighbour (exact, a power
        # of 2; a quarter of y's quantum at a power of 2, where the gap below is the smaller)
        y = float(v)
        ay = abs(y)
        if lowest <= ay <= big:
            if p != 53:
                y = float(cast(y))
                ay = abs(y)
                if not lowest <= ay <= big:
                    return exact_quiet(v)
            m, e = frexp(ay)
            q = e - p if e - p > qlo else qlo  # y's quantum is 2^q
            if abs(v - y) < ldexp(0.25 if m == 0.5 else 0.5, q):  # (true for the whole ball)
                return y
        return exact_quiet(v)

    def exact_quiet(v: Any) -> Any:
        try:
            return exact(v)
        except _Undecided:
            return _UNDECIDED

    def accept(v: Any) -> Any:
        r = quiet(v)
        if r is _UNDECIDED:
            raise _Undecided
        return r

    accept.quiet = quiet  # type: ignore[attr-defined]  (for _batch)
    accept.fmt = fmt  # type: ignore[attr-defined]  (for _tie)

    def exact(v: Any) -> Any:
        if v.is_zero():
            return _ZERO
        if not v.is_finite():
            raise _Undecided
        (m1, e1), (m2, e2) = _endpoints(v)
        if m1 == 0 or m2 == 0:  # an end at 0: the sign of a zero result is not decided
            raise _Undecided
        a, b = _round_bin(m1, e1, fmt), _round_bin(m2, e2, fmt)
        if a != a and b != b:  # both past the top of a format without inf (e4m3fn)
            return a
        if a != b or math.copysign(1.0, a) != math.copysign(1.0, b):
            raise _Undecided
        return a

    return accept


# -- decimal rounding -------------------------------------------------------------------

_LOG10_2 = math.log10(2.0)


def _pow(base: int, e: int) -> int:
    return base**e if e > 0 else 1


def _round_dec(man: int, exp: int, digits: int) -> tuple[bool, int, int]:
    """man·2^exp (man != 0) to `digits` significant decimals: (negative, D, E) with
    value ≈ D·10^(E − digits + 1), 10^(digits−1) <= D < 10^digits; ties to even."""
    neg = man < 0
    m = -man if neg else man
    if abs(exp) > 60000:
        raise OverflowError  # far out: _round_dec_far does it in balls
    # x = num/den exactly
    num, den = m << max(exp, 0), 1 << max(-exp, 0)
    e = math.floor((math.log10(m) if m.bit_length() < 1000 else
                    (m.bit_length() - 1) * _LOG10_2) + exp * _LOG10_2)
    for _ in range(4):  # the estimate is within 1 of the decimal exponent
        if num * _pow(10, -e) < den * _pow(10, e):  # x < 10^e
            e -= 1
        elif num * _pow(10, -e - 1) >= den * _pow(10, e + 1):  # x >= 10^(e+1)
            e += 1
        else:
            break
    k = digits - 1 - e  # D = round(x·10^k)
    n_num, n_den = num * _pow(10, k), den * _pow(10, -k)
    d, r = divmod(n_num, n_den)
    if 2 * r > n_den or (2 * r == n_den and d & 1):
        d += 1
    if d == 10**digits:
        d, e = d // 10, e + 1
    return neg, d, e


def _round_dec_far(end: Any, digits: int) -> tuple[bool, int, int]:
    """The same for |x| beyond 2^±60000 (exp(−1e308) and such), in balls; no ties there
    (a tie needs x·10^k = n + 1/2 with x dyadic, so 10^k/2 dyadic and x >= 10^(digits−1)/2)."""
    import flint

    arb = flint.arb
    man, exp = (int(t) for t in end.man_exp())
    neg = man < 0
    m = abs(man)
    old = flint.ctx.prec
    try:
        flint.ctx.prec = 64 + 2 * abs(exp).bit_length() + int(digits * 3.33) + 64
        ln2, ln10 = arb(2).log(), arb(10).log()
        lg = (arb(m).log() + arb(exp) * ln2) / ln10
        e = lg.floor().unique_fmpz()
        if e is None:
            raise _Undecided
        e = int(e)
        k = digits - 1 - e
        s = arb(m) * (arb(exp) * ln2 + arb(k) * ln10).exp()
        d = (s + arb(0.5)).floor().unique_fmpz()
        if d is None:
            raise _Undecided
        d = int(d)
    finally:
        flint.ctx.prec = old
    if d == 10**digits:
        d, e = d // 10, e + 1
    if not 10 ** (digits - 1) <= d < 10**digits:
        raise _Undecided
    return neg, d, e


def _dec(end: Any, digits: int) -> tuple[bool, int, int]:
    man, exp = (int(t) for t in end.man_exp())
    if man == 0:
        raise _Undecided
    try:
        return _round_dec(man, exp, digits)
    except OverflowError:
        return _round_dec_far(end, digits)


def _accept_text(digits: int) -> Callable[[Any], Any]:
    def accept(v: Any) -> Any:
        if v.is_zero():
            return _ZERO
        if not v.is_finite():
            raise _Undecided
        a, b = _dec(v.lower(), digits), _dec(v.upper(), digits)
        if a != b:
            raise _Undecided
        return a

    def quiet(v: Any) -> Any:
        try:
            return accept(v)
        except _Undecided:
            return _UNDECIDED

    accept.quiet = quiet  # type: ignore[attr-defined]  (for _batch)
    return accept


def _layout(neg: bool, d: int, e: int, digits: int) -> str:
    s = str(d)
    assert len(s) == digits
    if -4 < e < digits:
        if e < 0:
            body = "0." + "0" * (-e - 1) + s
        elif e + 1 < digits:
            body = s[:e + 1] + "." + s[e + 1:]
        else:
            body = s
    else:
        body = (s[0] + "." + s[1:] if digits > 1 else s) + f"e{e:+d}"
    return ("-" if neg else "") + body


def _float_text(v: float, digits: int) -> str:
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if v == 0:
        return "-0.0" if math.copysign(1.0, v) < 0 else "0.0"
    m, e = v.as_integer_ratio()
    return _layout(*_round_dec(m, -(e.bit_length() - 1), digits), digits)


# ----------------------------------------------------------------------------------------
# evaluation


def _decide(form: Callable[[Any], Any], accept: Callable[[Any], Any], bits: int,
            split: Callable[[Any], Any] | None = None) -> Any:
    """accept(ball of form) at `bits`, doubling the precision until it is decided; with a
    split (Spec.exact_split) a tie at its exact part A is decided by the sign of its tail."""
    shim = _ball()
    old = shim.prec
    try:
        while True:
            shim.prec = bits
            try:
                return accept(shim.mpf(form(shim)))
            except _Undecided:
                pass
            if split is not None and getattr(accept, "fmt", None) is not None:
                parts = split(shim)
                if parts is not None:
                    try:
                        return _tie(parts[0], parts[1], accept.fmt)
                    except _Undecided:
                        pass
            bits *= 2
            if bits > _MAX_BITS:
                raise ArithmeticError("the rounding could not be decided at 2^17 bits")
    finally:
        shim.prec = old


def _as_float64(z: Any) -> np.ndarray:
    arr = np.asarray(z)
    with np.errstate(invalid="ignore"):  # signalling NaN bit patterns are quieted
        x = arr.astype(np.float64)
    return np.where(np.isnan(x), np.nan, x) if x.size else x


def _run(f: Activation, z: Any, deriv: bool, kink: str, from_output: bool,
         accept: Callable[[Any], Any], bits: int, special: Callable[[float], Any],
         zero: Callable[[float], Any]) -> tuple[np.ndarray, list[Any]]:
    """Each value decided: accept's result, special(float) for a value that is that float
    exactly (nan, a limit that is a float), zero(fast value) for an exact zero.

    The finite z off the kinks (almost all) go in batches (``_batch``): all of them at
    `bits`, then the undecided ones at twice the precision, and so on; the precision is set
    once per batch and each value costs one call of the form (a direct kernel, ``_kernel``,
    where there is one) and one of the rounding test. The float64 fast path is computed only
    when a value needs it (an exact zero's sign, a limit at ±inf)."""
    check_kink(kink)
    order = int(deriv)  # False, True or 2 (g″)
    x = _as_float64(z)
    p = dict(f.params)
    flat = x.reshape(-1)
    fast_: list[np.ndarray] = []

    def fast(i: int) -> float:
        if not fast_:
            with np.errstate(all="ignore"):
                if from_output:
                    v = f.deriv_from_output(x, kink=kink, order=order)
                else:
                    v = f.deriv(x, kink=kink, order=order) if order else f(x)
            fast_.append(np.asarray(v, dtype=np.float64).reshape(-1))
        return float(fast_[0][i])

    sides = f.kinks2 if order == 2 else f.kinks
    if from_output:
        fn = (_FROM_A2 if order == 2 else _FROM_A)[f.name]
        kinks = {float(f.spec.g(np.float64(k.at), p)): k for k in sides if k.unique_output}
    else:
        fn = {0: f.spec.exact, 1: f.spec.exact_dg, 2: f.spec.exact_d2g}[order]
        kinks = {k.at: k for k in sides} if order else {}
    sp = None if (deriv or from_output) else f.spec.exact_split

    def mpf_fn(mp: Any, zi: float) -> Any:
        return fn(mp.mpf(zi), p, mp)

    out: list[Any] = [None] * flat.size
    regular = np.isfinite(flat)
    if kinks:
        regular &= ~np.isin(flat, np.array(list(kinks), dtype=np.float64))
    # a function defined on part of the line (log1mexp: z >= 0): nan outside, and at a
    # finite end of the domain its limit, ±inf (0 for log1mexp: −inf, +inf, −inf), which the
    # float64 path gives exactly
    lo, hi = (-math.inf, math.inf) if from_output else f.spec.domain(p)
    edge = {v for v in (lo, hi) if math.isfinite(v)}
    if math.isfinite(lo) or math.isfinite(hi):
        regular &= (flat > lo) & (flat < hi)
    shim = _ball()
    old = shim.prec
    try:
        idx = np.flatnonzero(regular)
        if idx.size:
            # the direct kernels are of g and g′ only
            pieces = [] if from_output or order == 2 else _kernel(f, deriv)
            if pieces:  # piece k takes bound[k−1] < |z| <= bound[k]; beyond: the form
                piece = np.searchsorted([b for b, _ in pieces], np.abs(flat[idx]), "left")
                for k, (_, kern) in enumerate(pieces):
                    _batch(shim, kern, None, idx[piece == k], flat, out, accept, bits, sp, p)
                idx = idx[piece == len(pieces)]
            _batch(shim, None, fn, idx, flat, out, accept, bits, sp, p)
        for i in np.flatnonzero(~regular).tolist():
            zi = float(flat[i])
            if zi != zi or not lo <= zi <= hi:
                r = special(math.nan)
            elif zi in edge and not math.isfinite(fast(i)):
                r = special(fast(i))
            elif zi in edge:
                r = _decide(lambda mp: mpf_fn(mp, zi), accept, bits)
            elif zi in kinks:
                k = kinks[zi]
                r = _decide(lambda mp: k.exact_slope(kink, mp), accept, bits)
            else:  # ±inf
                lim = None if from_output else _LIMITS.get((f.name, deriv, 1 if zi > 0 else -1))
                if lim is None:
                    r = special(fast(i))  # the limit, exactly (module doc)
                else:
                    r = _decide(lambda mp: lim(p, mp), accept, bits)
            out[i] = r
    finally:
        shim.prec = old
    for i in [i for i, r in enumerate(out) if r is _ZERO]:
        out[i] = zero(fast(i))
    return x, out


def _batch(shim: _Ball, kern: Callable[[int], Callable[[Any], Any]] | None,
           fn: Callable[[Any, Any, Any], Any] | None, idx: np.ndarray, flat: np.ndarray,
           out: list[Any], accept: Callable[[Any], Any], bits: int,
           split: Callable[[Any, Any, Any], Any] | None, p: Any) -> None:
    """out[i] for i in idx (finite z = flat[i], no kink): the form's ball at `bits` accepted,
    or the precision doubled for the undecided ones (_decide's loop, a batch at a time)."""
    arb, mpf = shim._arb, shim.mpf
    fmt = getattr(accept, "fmt", None)
    quiet = accept.quiet  # type: ignore[attr-defined]  (_UNDECIDED instead of raising)
    todo_i, todo_z = idx.tolist(), flat[idx].tolist()
    while todo_i:
        shim.prec = bits
        if kern is not None:
            g = kern(bits)
            res = [quiet(g(arb(zi))) for zi in todo_z]
        else:
            res = [quiet(mpf(fn(arb(zi), p, shim))) for zi in todo_z]
        left = []
        for k, (i, r) in enumerate(zip(todo_i, res)):
            if r is _UNDECIDED:
                if split is not None and fmt is not None:
                    parts = split(arb(todo_z[k]), p, shim)
                    if parts is not None:
                        try:
                            out[i] = _tie(parts[0], parts[1], fmt)
                            continue
                        except _Undecided:
                            pass
                left.append(k)
            else:
                out[i] = r
        todo_i, todo_z = [todo_i[k] for k in left], [todo_z[k] for k in left]
        bits *= 2
        if todo_i and bits > _MAX_BITS:
            raise ArithmeticError("the rounding could not be decided at 2^17 bits")


# -- direct kernels ----------------------------------------------------------------------
# For a few functions, g or g′ on a range of |z| written straight in arb methods, with its
# constants made once per precision (per batch), instead of the catalogue's form through the
# shim with its per-call dispatch. Each kernel returns a ball that contains the exact value
# (a proven enclosure, as the form's is; not necessarily the same ball), so the rounding test
# decides as before. tests/test_rigorous.py checks that each kernel encloses the independent
# references (tests/catalogue_reference.py) tightly, and rounds correctly through values_float.
#
# GELU near 0, by its Taylor series (no erfc, no exp: one polynomial in t = z², evaluated by
# arb_poly in C). With u = z²/2, Φ(z) = 1/2 + (z/√(2π)) Σ (−1)^n u^n / (n!·(2n+1)) and
# z·φ(z) = (z/√(2π)) Σ (−1)^n u^n / n!, so
#   g(z)  = z/2 + z²·P(z²),   P(t) = Σ p_n t^n,  p_n = (−1)^n / (√(2π)·(2n+1)·n!·2^n),
#   g′(z) = 1/2 + z·Q(z²),    Q(t) = Σ q_n t^n,  q_n = (−1)^n (2n+2) / (√(2π)·(2n+1)·n!·2^n).
# Both series alternate, and for t <= 2 their terms decrease in magnitude from n = 0 on
# (|c_{n+1}|·t / |c_n| < (t/2)/(n+1) <= 1), so the sum after the terms n < N differs from the
# full sum by at most the first omitted term |c_N|·t^N <= |c_N|·zmax^(2N) (Leibniz). N is the
# smallest with that bound below 2^−(bits+16); the bound goes into the radius of c_0, so the
# polynomial's ball encloses the whole series.


def _gelu_series(zmax: float, deriv: bool) -> Callable[[int], Callable[[Any], Any]]:
    def at(bits: int) -> Callable[[Any], Any]:
        import flint

        arb, fmpq = flint.arb, flint.fmpq
        r = 1 / (2 * arb.pi()).sqrt()
        t_max = fmpq(*zmax.as_integer_ratio()) ** 2
        tiny = fmpq(1, 2 ** (bits + 16))
        coef = []
        n, fac = 0, 1  # fac = n!·2^n
        while True:
            c = fmpq((-1) ** n * ((2 * n + 2) if deriv else 1), (2 * n + 1) * fac)
            bound = abs(c) * t_max**n  # >= |c_N·r|·t^N, the first omitted term (r < 1)
            if bound < tiny:
                coef[0] += arb(0, arb(bound))  # the tail, into c_0's radius
                break
            coef.append(arb(c) * r)
            n += 1
            fac *= 2 * n
        poly = flint.arb_poly(coef)
        if deriv:
            return lambda x: 0.5 + x * poly(x * x)
        return lambda x: x * 0.5 + (x * x) * poly(x * x)

    assert 0 < zmax <= 1
    return at


def _gelu_erfc(deriv: bool) -> Callable[[int], Callable[[Any], Any]]:
    def at(bits: int) -> Callable[[Any], Any]:
        import flint

        arb = flint.arb
        m, r = -1 / arb(2).sqrt(), 1 / (2 * arb.pi()).sqrt()
        if deriv:  # erfc(−z/√2)/2 + z·e^(−z²/2)/√(2π)
            return lambda x: (x * m).erfc() * 0.5 + x * (x * x * -0.5).exp() * r
        return lambda x: x * (x * m).erfc() * 0.5  # z/2·erfc(−z/√2)

    return at


def _plain(form: Callable[[Any], Any]) -> Callable[[int], Callable[[Any], Any]]:
    return lambda bits: form


def _sech2(x: Any) -> Any:
    s = x.sech()
    return s * s


def _silu_dg(x: Any) -> Any:
    e = (-x).exp()
    s = 1 / (1 + e)
    return s * (1 + x * (e * s))


#: (name, deriv) -> ([(the largest |z|, the kernel at a precision), ...] by |z|, the
#: parameters it is for); z beyond the last bound takes the catalogue's form
_KERNELS: dict[tuple[str, bool], tuple[list[tuple[float, Callable[[int], Callable[[Any], Any]]]],
                                       dict[str, Any]]] = {
    # gelu beyond 2^20: the shim's erfc takes the asymptotic series (_Ball.erfc)
    ("gelu", False): ([(0.125, _gelu_series(0.125, False)), (0.5, _gelu_series(0.5, False)),
                       (1.0, _gelu_series(1.0, False)), (2.0**20, _gelu_erfc(False))],
                      {"approximate": "none"}),
    ("gelu", True): ([(0.125, _gelu_series(0.125, True)), (0.5, _gelu_series(0.5, True)),
                      (1.0, _gelu_series(1.0, True)), (2.0**20, _gelu_erfc(True))],
                     {"approximate": "none"}),
    ("sigmoid", False): ([(math.inf, _plain(lambda x: 1 / (1 + (-x).exp())))], {}),
    # sigmoid′ = 1/(4·cosh²(z/2)) = 1/(2·(cosh z + 1)); tanh′ = sech² z; silu′ = s·(1 + z·s̄)
    # with s = σ(z) = 1/(1 + e^−z), s̄ = σ(−z) = e^−z·s (no cancellation: cosh z + 1 >= 2,
    # s̄ is not 1 − s). Fewer operations; up to |z| = 2^10, beyond which e^±z leaves the float
    # range and the catalogue's forms, as before, take over.
    ("sigmoid", True): ([(2.0**10, _plain(lambda x: 0.5 / (x.cosh() + 1))),
                         (math.inf, _plain(lambda x: 1 / (4 * (x * 0.5).cosh() ** 2)))], {}),
    ("tanh", False): ([(math.inf, _plain(lambda x: x.tanh()))], {}),
    ("tanh", True): ([(2.0**10, _plain(_sech2)),
                      (math.inf, _plain(lambda x: 1 / x.cosh() ** 2))], {}),
    ("silu", False): ([(math.inf, _plain(lambda x: x / (1 + (-x).exp())))], {"beta": 1.0}),
    ("silu", True): ([(2.0**10, _plain(_silu_dg)), (math.inf, _plain(
        lambda x: (1 + x / (1 + x.exp())) / (1 + (-x).exp())))], {"beta": 1.0}),
}


def _kernel(f: Activation, deriv: bool
            ) -> list[tuple[float, Callable[[int], Callable[[Any], Any]]]]:
    """The kernels of f (g′ if deriv) by range of |z|, or [] (the shim and the form)."""
    entry = _KERNELS.get((f.name, deriv))
    if entry is None or any(f.params.get(k) != v for k, v in entry[1].items()):
        return []
    return entry[0]


def _slope(f: Activation) -> tuple[float, float] | None:
    """The slope of g for z < 0 as an exact double-double (hi, lo), for the linear units."""
    p = f.params
    if f.name == "leaky_relu":
        return float(p["negative_slope"]), 0.0
    if f.name == "prelu":
        return float(p["weight"]), 0.0
    if f.name == "rrelu":
        lo, hi = float(p["lower"]), float(p["upper"])
        s = lo + hi
        if not math.isfinite(s) or 0 < abs(s) < 2.0**-900:
            return None
        e = hi - (s - lo) if abs(lo) >= abs(hi) else lo - (s - hi)  # lo + hi = s + e exactly
        return s / 2, e / 2  # halving is exact here
    return None


def _linear(f: Activation, x: np.ndarray, dtype: np.dtype) -> np.ndarray | None:
    """slope·z for z < 0 rounded once to float32/float16, vectorised (rrelu's float32 inputs
    are ~5 % near a midpoint: the ball path would cost 30 µs each). The exact product is
    p + e (Dekker) + z·s_lo; where p is within 8 ULP of a midpoint m of dtype, the sign of
    (p − m) + (e + z·s_lo) decides (p − m is exact, the rest is below 2^−100·|p|); where that
    is too close to call, nan: the caller takes the ball path."""
    from .special import two_prod

    s = _slope(f)
    if s is None or dtype == np.float64 or abs(s[0]) > 2.0**60:
        return None
    sh, sl = s
    with np.errstate(all="ignore"):
        neg = (x < 0) & (np.abs(x) > 2.0**-900) & (np.abs(x) < 2.0**900)
        if not neg.all():
            return None  # (mixed or extreme inputs: the general path)
        p, e = two_prod(x, np.float64(sh))
        rest = e + x * sl
        y = p.astype(dtype)
        yf = y.astype(np.float64)
        side = np.where(p > yf, np.inf, -np.inf).astype(dtype)
        nb = np.nextafter(y, side).astype(np.float64)
        m = (yf + nb) / 2  # the midpoint on p's side of y (exact: both in dtype)
        d = (p - m) + rest
        tol = 2.0**-90 * np.abs(p)
        up = np.where(nb > yf, nb, yf)  # the neighbour above m, and the one below
        dn = np.where(nb > yf, yf, nb)
        r = np.where(d > tol, up, np.where(d < -tol, dn, np.nan))
        exact_tie = (d == 0) & (rest == 0)  # p is the exact product, exactly on m
        r = np.where(exact_tie, m.astype(dtype).astype(np.float64), r)
        far = np.abs(p - m) > 16 * np.abs(np.spacing(p))
        r = np.where(far | ~np.isfinite(p), yf, r)  # p's rounding stands
        bad = ~np.isfinite(p) | ~np.isfinite(nb) | ~np.isfinite(yf)
        return np.where(bad, np.nan, r)


def _floats(f: Activation, z: Any, deriv: bool, kink: str, dtype: Any, from_output: bool
            ) -> np.ndarray:
    fmt = _format(dtype)
    if not deriv and not from_output:
        x = _as_float64(z)
        lin = _linear(f, x, as_dtype(dtype)) if x.size else None
        if lin is not None:
            todo = np.isnan(lin)
            if todo.any():
                lin[todo] = _general(f, x[todo], deriv, kink, dtype, from_output, fmt)
            with np.errstate(over="ignore", under="ignore"):
                return lin.astype(as_dtype(dtype))
    return _general(f, z, deriv, kink, dtype, from_output, fmt).astype(as_dtype(dtype))


def _general(f: Activation, z: Any, deriv: bool, kink: str, dtype: Any, from_output: bool,
             fmt: _Fmt) -> np.ndarray:

    def special(v: float) -> float:
        return v if v != v or v in (math.inf, -math.inf) else _round_bin_float(v, fmt)

    def zero(fast: float) -> float:
        return 0.0 if fast != fast else math.copysign(0.0, fast)

    x, out = _run(f, z, deriv, kink, from_output, _accept_float(fmt), _FLOAT_BITS,
                  special, zero)
    with np.errstate(over="ignore", under="ignore"):  # the values are exact in dtype
        return np.array(out, dtype=np.float64).reshape(x.shape)


def _round_bin_float(v: float, fmt: _Fmt) -> float:
    if v == 0:
        return v
    m, d = v.as_integer_ratio()
    return _round_bin(m, -(d.bit_length() - 1), fmt)


def _order(deriv: Any) -> int:
    """deriv as a derivative order 0..MAX_ORDER (False/True are 0 and 1)."""
    if isinstance(deriv, (bool, np.bool_)):
        return int(deriv)
    if not isinstance(deriv, (int, np.integer)) or not 0 <= deriv <= MAX_ORDER:
        raise ValueError(f"deriv must be a derivative order from 0 to {MAX_ORDER},"
                         f" got {deriv!r}")
    return int(deriv)


def _series_run(f: Activation, z: Any, order: int, kink: str, accept: Callable[[Any], Any],
                bits: int, special: Callable[[float], Any],
                zero: Callable[[float], Any] | None = None) -> tuple[np.ndarray, list[Any]]:
    """g⁽ᴺ⁾ (N = order >= 3; 1 and 2 for the cross-check of tests/test_series.py) at each z,
    decided (_taylor_run); ±inf: 0 (the limit of every catalogue function's derivatives of
    order >= 2); a zero by symmetry at z = ±0 (series.vanishes_at_zero) carries z's sign, any
    other exact zero is +0. At a breakpoint the kink convention's side
    (series.convention_side: left, right, the mean of both; for pytorch/jax the side they
    take for g″, else g′ there)."""
    from . import series

    check_kink(kink)
    vanish = series.vanishes_at_zero(f, order)
    lo, hi = f.spec.domain(dict(f.params))

    def value(m: Any, zi: float) -> Any:
        if not lo <= zi <= hi:  # outside the domain (log1mexp below 0): nan, as g there
            return math.nan
        if zi in (lo, hi) and math.isfinite(zi):
            # log1mexp at 0 behaves as log z: g⁽ᴺ⁾ ~ (−1)^(N−1)·(N−1)!/z^N
            return (math.inf if order % 2 else -math.inf) if f.name == "log1mexp" else math.nan
        if zi in (math.inf, -math.inf):
            # e^z's derivatives are e^z; every other function's of order >= 2 tend to 0
            return math.inf if f.name == "exponential" and zi > 0 else 0.0
        if zi == 0 and vanish:
            return math.copysign(0.0, zi)
        return series.value(f, zi, order, series.convention_side(f, zi, kink, order), m)

    return _taylor_run(value, z, order, accept, bits, special, zero or (lambda v: v))


def _taylor_run(value: Callable[[Any, float], Any], z: Any, order: int,
                accept: Callable[[Any], Any], bits: int, special: Callable[[float], Any],
                zero: Callable[[float], Any], nonfinite: bool = False
                ) -> tuple[np.ndarray, list[Any]]:
    """value(m, z) (a ball from numerics/series.py's SeriesMath m, or a float zero decided
    already) at each finite z, accepted, the precision doubled until it is; nan: nan. With
    `nonfinite`, a ball still not finite at 2^12 bits is nan (an expression's pole or log of
    a negative number)."""
    from . import series

    x = _as_float64(z)
    flat = x.reshape(-1).tolist()
    shim = _ball()
    m = series.SeriesMath(shim)
    quiet = accept.quiet  # type: ignore[attr-defined]
    bits += 4 * order  # the series' recurrences lose a few bits per term
    out: list[Any] = []
    old = shim.prec
    try:
        for zi in flat:
            if zi != zi:
                out.append(special(math.nan))
                continue
            b = bits
            while True:
                shim.prec = b
                try:
                    v = value(m, zi)
                except series.NotFinite:
                    if nonfinite and b >= 4096:
                        v = math.nan  # a branch on nan (an expression's log(−1) < 0)
                    else:
                        v = None
                except series.Undecided:
                    v = None
                if isinstance(v, float):
                    r = zero(v) if v == 0 else special(v)
                    break
                r = _UNDECIDED if v is None else quiet(v)
                if r is not _UNDECIDED:
                    r = zero(0.0) if r is _ZERO else r
                    break
                if nonfinite and b >= 4096 and v is not None and not v.is_finite():
                    r = special(math.nan)
                    break
                b *= 2
                if b > _MAX_BITS:
                    raise ArithmeticError("the rounding could not be decided at 2^17 bits")
            out.append(r)
    finally:
        shim.prec = old
    return x, out


def taylor_float(value: Callable[[Any, float], Any], z: Any, *, order: int,
                 dtype: Any = np.float64) -> np.ndarray:
    """The k-th derivative (k = order) of a function given by value(m, z0) -> ball
    (numerics/series.py; e.g. an expression's series, actgrad.expression) at each z,
    correctly rounded once to dtype; a ball not finite at 2^12 bits gives nan."""
    fmt = _format(dtype)
    x, out = _taylor_run(value, z, order, _accept_float(fmt), _FLOAT_BITS,
                         lambda v: v if v != v else _round_bin_float(v, fmt), lambda v: v,
                         nonfinite=True)
    with np.errstate(over="ignore", under="ignore"):  # the values are exact in dtype
        return np.array(out, dtype=np.float64).reshape(x.shape).astype(np.dtype(dtype))


def taylor_text(value: Callable[[Any, float], Any], z: Any, *, order: int,
                digits: int) -> list[str]:
    """taylor_float's values with exactly `digits` significant digits (values_text's
    layout)."""
    if isinstance(digits, bool) or not isinstance(digits, int) or not 1 <= digits <= MAX_DIGITS:
        raise ValueError(f"digits must be between 1 and {MAX_DIGITS}, got {digits!r}")

    def zero(v: float) -> str:
        return "-0.0" if math.copysign(1.0, v) < 0 else "0.0"

    _, out = _taylor_run(value, z, order, _accept_text(digits), int(digits * 3.33) + 32,
                         lambda v: _float_text(v, digits), zero, nonfinite=True)
    return [t if isinstance(t, str) else _layout(*t, digits) for t in out]


def values_float(f: Activation, z: Any, *, deriv: bool | int, kink: str = "pytorch",
                 dtype: Any = np.float64) -> np.ndarray:
    """g(z) (g′(z) if deriv, `kink` at kinks; deriv=N: the N-th derivative, N <= MAX_ORDER)
    exactly, rounded once to dtype (module doc)."""
    if _order(deriv) >= 3:
        fmt = _format(dtype)
        x, out = _series_run(f, z, int(deriv), kink, _accept_float(fmt), _FLOAT_BITS,
                             lambda v: v if v != v else _round_bin_float(v, fmt)
                             if math.isfinite(v) else math.copysign(fmt.over, v))
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):  # (exact in dtype)
            return np.array(out, dtype=np.float64).reshape(x.shape).astype(as_dtype(dtype))
    return _floats(f, z, deriv, kink, dtype, from_output=False)


def from_output_float(f: Activation, a: Any, *, kink: str = "pytorch",
                      dtype: Any = np.float64, order: int = 1) -> np.ndarray:
    """g′ (g″ for order=2) from the output: the from-output formula on the exact float a,
    rounded once."""
    if f.name not in (_FROM_A2 if order == 2 else _FROM_A):
        raise ValueError(f"no exact from-output form for {f.name}")
    return _floats(f, a, 2 if order == 2 else True, kink, dtype, from_output=True)


def values_text(f: Activation, z: Any, *, deriv: bool | int, kink: str = "pytorch",
                digits: int) -> list[str]:
    """g(z) (or g′, or the deriv-th derivative) with exactly `digits` significant digits,
    correctly rounded (module doc)."""
    if isinstance(digits, bool) or not isinstance(digits, int) or not 1 <= digits <= MAX_DIGITS:
        raise ValueError(f"digits must be between 1 and {MAX_DIGITS}, got {digits!r}")

    def zero(fast: float) -> str:
        return "-0.0" if math.copysign(1.0, fast) < 0 else "0.0"

    if _order(deriv) >= 3:
        _, out = _series_run(f, z, int(deriv), kink, _accept_text(digits),
                             int(digits * 3.33) + 32, lambda v: _float_text(v, digits), zero)
        return [t if isinstance(t, str) else _layout(*t, digits) for t in out]
    _, out = _run(f, z, deriv, kink, False, _accept_text(digits), int(digits * 3.33) + 32,
                  lambda v: _float_text(v, digits), zero)
    return [t if isinstance(t, str) else _layout(*t, digits) for t in out]


def to_float(v: Any) -> float:
    """The float64 nearest to an mpf, correctly rounded also in the subnormal range."""
    import mpmath

    if not mpmath.isfinite(v):
        return float(v)
    sign, man, exp, bc = v._mpf_
    if man == 0:
        return -0.0 if sign else 0.0
    return _round_bin(-int(man) if sign else int(man), int(exp), _FORMATS["float64"])
