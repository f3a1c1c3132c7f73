"""High-precision mpmath references for the accuracy tests.

Everything here is independent of ``actgrad``: the formulas below are written
directly in mpmath at 60 significant digits, and the rounding / ULP helpers
use exact integer arithmetic on mpmath's (sign, mantissa, exponent) triples.

Reference formulas (x is the exact value of the binary floating-point input):

* sigmoid(x)   = 1 / (1 + exp(-x))
* sigmoid'(x)  = e / (1 + e)**2  with e = exp(-|x|)      (no cancellation)
* tanh(x)      = mpmath.tanh(x)
* tanh'(x)     = sech(x)**2                              (no cancellation)
* relu(x)      = max(x, 0),           relu'(x)  = 1 if x > 0 else 0
* leaky(x)     = x if x > 0 else s*x, leaky'(x) = 1 if x > 0 else s
  with s = mpf(0.01), i.e. the exact value of the float64 number 0.01.

The derivatives at the kink x == 0 (relu, leaky_relu) depend on a convention
and are given by :func:`kink_value`.

Rounding helpers
----------------
``float(mpf)`` is *not* guaranteed to be correctly rounded: mpmath first
rounds to 53 bits and then lets ``math.ldexp`` round again, which double-rounds
in the subnormal range (e.g. 2**-1075 * (1 + 2**-60) becomes 0.0 instead of
2**-1074).  :func:`round_to` therefore rounds exactly, with ties-to-even,
gradual underflow and overflow to infinity, for both float64 and float32.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Sequence

import ml_dtypes
import mpmath
import numpy as np
from mpmath import mpf
from mpmath.libmp import fnan, fninf, fzero

DPS = 60

#: The leaky-ReLU default slope, as the exact value of the float64 0.01.
DEFAULT_SLOPE = mpf(0.01)

KINKS = ("pytorch", "jax", "left", "right", "mean")


# --------------------------------------------------------------------------
# Floating-point formats
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Format:
    name: str
    p: int  # significand precision in bits (incl. hidden bit)
    emax: int  # exponent of the largest finite binade
    emin: int  # exponent of the smallest normal binade
    np_type: type
    #: the largest significand at emax, where it is not all ones (float8_e4m3fn: 1.110b,
    #: since S.1111.111 is its NaN); such a type has no inf either: past the top is NaN
    top_significand: int | None = None

    @property
    def qmin(self) -> int:
        """Exponent of the smallest subnormal (= spacing in the subnormal range)."""
        return self.emin - self.p + 1

    @property
    def max_finite(self) -> mpf:
        sig = (1 << self.p) - 1 if self.top_significand is None else self.top_significand
        return mpf(sig) * mpf(2) ** (self.emax - self.p + 1)

    @property
    def has_inf(self) -> bool:
        return self.top_significand is None


FLOAT64 = Format("float64", 53, 1023, -1022, np.float64)
FLOAT32 = Format("float32", 24, 127, -126, np.float32)
FLOAT16 = Format("float16", 11, 15, -14, np.float16)
# ml_dtypes' types (the OCP 8-bit formats and bfloat16), from their definitions: bfloat16 is
# float32's exponent with 8 significand bits; e5m2 is IEEE-like (bias 15, inf and NaN); e4m3fn
# has bias 7, no inf, and one NaN pattern per sign at the top, so its largest is 1.75·2^8
BFLOAT16 = Format("bfloat16", 8, 127, -126, ml_dtypes.bfloat16)
FLOAT8_E5M2 = Format("float8_e5m2", 3, 15, -14, ml_dtypes.float8_e5m2)
FLOAT8_E4M3FN = Format("float8_e4m3fn", 4, 8, -6, ml_dtypes.float8_e4m3fn, top_significand=0b1110)
FORMATS = {f.name: f for f in (FLOAT64, FLOAT32, FLOAT16, BFLOAT16, FLOAT8_E5M2, FLOAT8_E4M3FN)}


def fmt_of(dtype) -> Format:
    dt = np.dtype(dtype)
    if dt.name in FORMATS and np.dtype(FORMATS[dt.name].np_type) == dt:
        return FORMATS[dt.name]
    raise TypeError(f"unsupported dtype {dt}")


# --------------------------------------------------------------------------
# Exact rounding
# --------------------------------------------------------------------------


def as_mpf(x) -> mpf:
    """Exact mpf of x: mpf values are kept as they are (``mpf(x)`` would
    round them to the current precision), binary floats are converted
    exactly, ints with enough precision."""
    if isinstance(x, mpf):
        return x
    if isinstance(x, (float, np.floating)):
        return mpf(float(x))
    if isinstance(x, (int, np.integer)):
        x = int(x)
        with mpmath.workprec(max(53, x.bit_length())):
            return mpf(x)
    return mpf(x)


def _round_int_scaled(x: mpf, fmt: Format) -> tuple[int, int, int] | None:
    """Round finite nonzero x to fmt.  Returns (sign, n, q) with value
    (-1)**sign * n * 2**q, or None on overflow (caller makes it +-inf)."""
    sign, man, exp, bc = x._mpf_
    # |x| = man * 2**exp with man odd, 2**(exp+bc-1) <= |x| < 2**(exp+bc)
    e_top = exp + bc - 1
    q = max(e_top - (fmt.p - 1), fmt.qmin)  # quantum of the target binade
    if exp >= q:
        n = man << (exp - q)
    elif q - exp > bc:
        # |x| < 2**(exp+bc) <= 2**(q-1) = half the smallest quantum: rounds
        # to (signed) zero.  Avoids building 1 << shift for e.g. exp(-1e300).
        n = 0
    else:
        shift = q - exp
        n = man >> shift
        rem = man & ((1 << shift) - 1)
        half = 1 << (shift - 1)
        if rem > half or (rem == half and (n & 1)):
            n += 1
    # overflow: result >= 2**(emax+1)
    if n and n.bit_length() + q - 1 > fmt.emax:
        return None
    return sign, n, q


def round_to(x, dtype) -> float:
    """Correctly round (nearest, ties-to-even) an mpf to ``dtype``.

    Returns a Python float holding the exactly representable rounded value
    (for float32 this is a float64 carrying a float32 value).  Handles
    gradual underflow (subnormals), overflow to +-inf, +-0, inf and nan.
    """
    fmt = fmt_of(dtype)
    x = as_mpf(x)
    over = math.inf if fmt.has_inf else math.nan  # what overflow gives (e4m3fn: NaN)
    if mpmath.isnan(x):
        return math.nan
    if mpmath.isinf(x):
        return (over if x > 0 else -over)
    if x == 0:
        return 0.0
    r = _round_int_scaled(x, fmt)
    if r is None:
        return -over if x < 0 else over
    sign, n, q = r
    v = math.ldexp(n, q)  # exact: n < 2**53 and q >= -1074
    if v > fmt.max_finite:  # (only where the top significand is not all ones)
        return over
    return -v if sign else v


def round_array(xs: Iterable, dtype) -> np.ndarray:
    """Round a sequence of mpf values to a numpy array of ``dtype``."""
    return np.array([round_to(x, dtype) for x in xs], dtype=np.float64).astype(dtype)


def round_f64(x) -> float:
    return round_to(x, np.float64)


def round_f32(x) -> np.float32:
    return np.float32(round_to(x, np.float32))


def ulp_of(v: float, dtype) -> mpf:
    """Unit in the last place of the representable value ``v`` in ``dtype``:
    2**(floor(log2|v|) - p + 1), never below the smallest subnormal.
    ulp(0) is the smallest subnormal."""
    fmt = fmt_of(dtype)
    if v == 0 or not math.isfinite(v):
        e = fmt.qmin
    else:
        _, e2 = math.frexp(abs(v))  # |v| = m * 2**e2, 0.5 <= m < 1
        e = max(e2 - 1 - (fmt.p - 1), fmt.qmin)
    return mpf(2) ** e


# --------------------------------------------------------------------------
# ULP error
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Prepared:
    """Exact values pre-digested for fast, vectorised ULP error evaluation.

    rounded : exact value correctly rounded to dtype (as float64; may be +-inf)
    ulp     : ulp(rounded) in dtype (float64, >= smallest subnormal of dtype)
    frac    : (rounded - exact) / ulp, in [-0.5, 0.5]  (float64)
    nan     : exact is nan
    over    : |exact| > max finite of dtype, or it rounds to +-inf
    exact   : the original mpf values (for messages)
    """

    dtype: np.dtype
    rounded: np.ndarray
    ulp: np.ndarray
    frac: np.ndarray
    nan: np.ndarray
    over: np.ndarray
    exact: tuple

    def __len__(self) -> int:
        return len(self.exact)


def _digest(x: mpf, fmt: Format) -> tuple[float, float, float, bool, bool]:
    """(rounded, ulp(rounded), (rounded - x)/ulp, is_nan, overflows) for one
    exact value, using integer arithmetic on mpmath's (sign, man, exp, bc)."""
    sign, man, exp, bc = x._mpf_
    if not man:  # special values: zero, +-inf, nan
        if x._mpf_ == fzero:
            return 0.0, math.ldexp(1.0, fmt.qmin), 0.0, False, False
        if x._mpf_ == fnan:
            return math.nan, 1.0, 0.0, True, False
        return (-math.inf if x._mpf_ == fninf else math.inf), 1.0, 0.0, False, True
    r = _round_int_scaled(x, fmt)
    e_top = exp + bc - 1
    if r is None or (e_top >= fmt.emax and abs(x) > fmt.max_finite):
        return (-math.inf if sign else math.inf), 1.0, 0.0, False, True
    _, n, q = r
    # ulp of the rounded value n * 2**q
    ue = fmt.qmin if n == 0 else max(n.bit_length() - 1 + q - (fmt.p - 1), fmt.qmin)
    # |rounded| - |x| = n*2**q - man*2**exp, as an exact integer times 2**exp
    # (exp < q whenever rounding happened; otherwise the difference is 0)
    if exp >= q:
        diff, dexp = 0, 0
    else:
        diff, dexp = (n << (q - exp)) - man, exp
    frac = math.ldexp(diff, dexp - ue) if diff else 0.0
    rounded = math.ldexp(n, q)
    if sign:
        rounded, frac = -rounded, -frac
    return rounded, math.ldexp(1.0, ue), frac, False, False


def prepare(exact: Sequence, dtype) -> Prepared:
    """Digest a sequence of mpf references for :func:`ulp_error` (the exact
    work happens here, once; the error evaluation itself is vectorised)."""
    fmt = fmt_of(dtype)
    exact = tuple(as_mpf(x) for x in exact)
    cols = list(zip(*(_digest(x, fmt) for x in exact))) or [(), (), (), (), ()]
    rounded, ulp, frac, nan, over = cols
    return Prepared(
        np.dtype(dtype),
        np.array(rounded, dtype=np.float64),
        np.array(ulp, dtype=np.float64),
        np.array(frac, dtype=np.float64),
        np.array(nan, dtype=bool),
        np.array(over, dtype=bool),
        exact,
    )


def ulp_error(got, exact, dtype=None) -> np.ndarray:
    """Elementwise |got - exact| / ulp(exact rounded to dtype).

    * ``got`` is an array of computed values (any float dtype; values are
      taken exactly), ``exact`` a sequence of mpf (may contain +-inf / nan)
      or a :class:`Prepared` from :func:`prepare`.
    * ulp uses the spacing of ``dtype`` including subnormals
      (2**-1074 for float64, 2**-149 for float32).
    * +-0 compare equal; exact 0 -> ulp is the smallest subnormal, so a
      nonzero result is measured in subnormal spacings.
    * if |exact| exceeds the largest finite value of ``dtype`` (or rounds to
      inf) the result must be the infinity of the same sign (error 0), else
      error inf.
    * exact nan: got must be nan (error 0), else inf; got nan with exact not
      nan -> inf; got +-inf with exact finite (not overflowing) -> inf.
    * errors too large for float64 (e.g. 1.0 vs exact 0) are reported as inf.

    Computation: err = |(got - rounded)/ulp + (rounded - exact)/ulp|.  The
    first term is exact in float64 whenever got is within 2**52 ulps of the
    rounded value (both are dtype numbers on the same grid), the second is
    precomputed in mpmath; so the result is accurate to ~1e-16 relative.
    """
    if isinstance(exact, Prepared):
        prep = exact
        if dtype is not None and np.dtype(dtype) != prep.dtype:
            raise ValueError("dtype does not match the prepared references")
    else:
        prep = prepare(exact, dtype)
    got = np.asarray(got)
    g = got.astype(np.float64).reshape(-1)
    if g.size != len(prep):
        raise ValueError(f"length mismatch: {g.size} vs {len(prep)}")
    with np.errstate(all="ignore"):
        err = np.abs((g - prep.rounded) / prep.ulp + prep.frac)
        gnan = np.isnan(g)
        err = np.where(np.isinf(g) | gnan, math.inf, err)
        err = np.where(prep.over, np.where(g == prep.rounded, 0.0, math.inf), err)
        err = np.where(prep.nan, np.where(gnan, 0.0, math.inf), err)
    return err.reshape(got.shape)


# --------------------------------------------------------------------------
# Reference functions
# --------------------------------------------------------------------------


def _mp(x) -> mpf:
    """Exact mpf of a binary float (python float, np.float32/64)."""
    return mpf(float(x))


def sigmoid(x) -> mpf:
    x = _mp(x)
    if mpmath.isnan(x):
        return mpmath.nan
    with mpmath.workdps(DPS):
        if mpmath.isinf(x):
            return mpf(1) if x > 0 else mpf(0)
        return 1 / (1 + mpmath.exp(-x))


def sigmoid_deriv(x) -> mpf:
    x = _mp(x)
    if mpmath.isnan(x):
        return mpmath.nan
    with mpmath.workdps(DPS):
        if mpmath.isinf(x):
            return mpf(0)
        e = mpmath.exp(-abs(x))
        return e / (1 + e) ** 2


def tanh(x) -> mpf:
    x = _mp(x)
    if mpmath.isnan(x):
        return mpmath.nan
    with mpmath.workdps(DPS):
        if mpmath.isinf(x):
            return mpf(1) if x > 0 else mpf(-1)
        return mpmath.tanh(x)


def tanh_deriv(x) -> mpf:
    x = _mp(x)
    if mpmath.isnan(x):
        return mpmath.nan
    with mpmath.workdps(DPS):
        if mpmath.isinf(x):
            return mpf(0)
        return mpmath.sech(x) ** 2


def relu(x) -> mpf:
    x = _mp(x)
    if mpmath.isnan(x):
        return mpmath.nan
    return x if x > 0 else mpf(0)


def leaky_relu(x, slope=DEFAULT_SLOPE) -> mpf:
    x = _mp(x)
    if mpmath.isnan(x):
        return mpmath.nan
    with mpmath.workdps(DPS):
        # s*x of two 53-bit numbers is exact at 60 digits (~199 bits)
        return x if x > 0 else mpf(slope) * x


def kink_value(name: str, kink: str, slope=DEFAULT_SLOPE) -> mpf:
    """g'(0) under the given convention."""
    s = mpf(slope)
    left = {"relu": mpf(0), "leaky_relu": s}[name]
    right = mpf(1)
    with mpmath.workdps(DPS):
        table = {
            "pytorch": left,
            "jax": mpf(0) if name == "relu" else mpf(1),
            "left": left,
            "right": right,
            "mean": (left + right) / 2,
        }
    return table[kink]


def relu_deriv(x, kink: str = "pytorch") -> mpf:
    x = _mp(x)
    if mpmath.isnan(x):
        return mpmath.nan
    if x == 0:
        return kink_value("relu", kink)
    return mpf(1) if x > 0 else mpf(0)


def leaky_relu_deriv(x, kink: str = "pytorch", slope=DEFAULT_SLOPE) -> mpf:
    x = _mp(x)
    if mpmath.isnan(x):
        return mpmath.nan
    if x == 0:
        return kink_value("leaky_relu", kink, slope)
    return mpf(1) if x > 0 else mpf(slope)


FUNCS = {
    "sigmoid": (sigmoid, sigmoid_deriv),
    "tanh": (tanh, tanh_deriv),
    "relu": (relu, relu_deriv),
    "leaky_relu": (leaky_relu, leaky_relu_deriv),
}


def value(name: str, x) -> mpf:
    return FUNCS[name][0](x)


def deriv(name: str, x, kink: str = "pytorch") -> mpf:
    d = FUNCS[name][1]
    if name in ("relu", "leaky_relu"):
        return d(x, kink)
    return d(x)


# ---- derivative from the output a = g(z), exact in mpmath from the float a


def sigmoid_deriv_from_output(a) -> mpf:
    a = _mp(a)
    if mpmath.isnan(a):
        return mpmath.nan
    with mpmath.workdps(DPS):
        # 1 - a may need up to ~1075 bits for a tiny subnormal a, so this is
        # not bit-exact, but it is accurate to ~1e-60 relative: plenty.
        return a * (1 - a)


def tanh_deriv_from_output(a) -> mpf:
    a = _mp(a)
    if mpmath.isnan(a):
        return mpmath.nan
    with mpmath.workdps(DPS):
        return (1 - a) * (1 + a)  # accurate to ~1e-60 relative, no cancellation


def relu_deriv_from_output(a) -> mpf:
    a = _mp(a)
    if mpmath.isnan(a):
        return mpmath.nan
    return mpf(1) if a > 0 else mpf(0)


def leaky_relu_deriv_from_output(a, slope=DEFAULT_SLOPE) -> mpf:
    a = _mp(a)
    if mpmath.isnan(a):
        return mpmath.nan
    if a == 0:
        raise ValueError("leaky_relu'(from output) at a == 0 is a kink; not specified")
    return mpf(1) if a > 0 else mpf(slope)


FROM_OUTPUT = {
    "sigmoid": sigmoid_deriv_from_output,
    "tanh": tanh_deriv_from_output,
    "relu": relu_deriv_from_output,
    "leaky_relu": leaky_relu_deriv_from_output,
}


# --------------------------------------------------------------------------
# The whole catalogue: (g, g′) for every function of actgrad.activations.CATALOGUE
# --------------------------------------------------------------------------
#
# This is the one place the tests (test_smooth, test_piecewise, test_catalogue) and
# benchmarks/accuracy.py take their references from. Each is written here from the
# function's definition, in mpmath at DPS digits, never from actgrad's code or output.
# Adding an activation: add its reference to CATALOGUE_REFS below (a function
# (x, params) -> (g, g′) of the exact mpf x, params the dict of actgrad's bound parameters;
# g′ away from kinks), and, where it has a form in terms of the output, to
# FROM_OUTPUT_REFS; tests/test_catalogue.py fails until you do.

SELU_L = "1.0507009873554804934193349852946"
SELU_A = "1.6732632423543772848170429916717"


def _lecture(name):
    def pair(x, p):
        if name == "leaky_relu":
            s = mpf(p.get("negative_slope", 0.01))
            return (x if x > 0 else s * x), (mpf(1) if x > 0 else s)
        return value(name, float(x)), deriv(name, float(x))

    return pair


def _sig(v):
    return 1 / (1 + mpmath.exp(-v))


def _sig_neg(v):  # σ(−v), not 1 − σ(v)
    return 1 / (1 + mpmath.exp(v))


def r_elu(x, p):
    a = mpf(p.get("alpha", 1.0))
    if x > 0:
        return x, mpf(1)
    return a * mpmath.expm1(x), a * mpmath.exp(x)


def _selu_constants(p):
    """λ, α: the 32-digit constants for the default floats, else the floats given."""
    lam, al = mpf(SELU_L), mpf(SELU_A)
    if p.get("scale", float(lam)) != float(lam) or p.get("alpha", float(al)) != float(al):
        return mpf(p["scale"]), mpf(p["alpha"])
    return lam, al


def r_selu(x, p):
    lam, al = _selu_constants(p)
    if x > 0:
        return lam * x, lam
    return lam * al * mpmath.expm1(x), lam * al * mpmath.exp(x)


def r_celu(x, p):
    a = mpf(p.get("alpha", 1.0))
    if x > 0:
        return x, mpf(1)
    return a * mpmath.expm1(x / a), mpmath.exp(x / a)


def r_gelu(x, p):
    if p.get("approximate", "none") == "tanh":
        if abs(x) > 1e30:  # σ(v) is 0 or 1 far beyond double precision
            return (x, mpf(1)) if x > 0 else (mpf(0), mpf(0))
        c = mpmath.sqrt(2 / mpmath.pi)
        k = mpf("0.044715")
        v = 2 * c * (x + k * x**3)
        dv = 2 * c * (1 + 3 * k * x**2)
        return x * _sig(v), _sig(v) + x * dv * _sig(v) * _sig_neg(v)
    if x < -1e6:  # |g| < e^(−5e11): rounds to (−)0 (mpmath's erfc overflows out there)
        return mpf(0), mpf(0)
    if x > 1e6:
        return x, mpf(1)
    big_phi = mpmath.erfc(-x / mpmath.sqrt(2)) / 2
    small_phi = mpmath.exp(-x * x / 2) / mpmath.sqrt(2 * mpmath.pi)
    return x * big_phi, big_phi + x * small_phi


def r_silu(x, p):  # z·σ(βz) (TensorFlow's beta; 1 elsewhere)
    t = mpf(p.get("beta", 1.0)) * x
    return x * _sig(t), _sig(t) * (1 + t * _sig_neg(t))


def r_mish(x, p):
    sp = mpmath.log1p(mpmath.exp(x))
    t = mpmath.tanh(sp)
    return x * t, t + x * _sig(x) / mpmath.cosh(sp) ** 2


def r_softplus(x, p):
    beta = float(p.get("beta", 1.0))
    thr = float(p.get("threshold", math.inf))
    if math.isfinite(thr) and beta * float(x) > thr:  # PyTorch's test, on the rounded βz
        return x, mpf(1)
    b = mpf(beta)
    return mpmath.log1p(mpmath.exp(b * x)) / b, _sig(b * x)


def r_softsign(x, p):
    return x / (1 + abs(x)), 1 / (1 + abs(x)) ** 2


def r_log_sigmoid(x, p):
    return -mpmath.log1p(mpmath.exp(-x)), _sig_neg(x)


def r_tanhshrink(x, p):
    if x == 0:
        return mpf(0), mpf(0)
    with mpmath.extraprec(max(0, -2 * mpmath.mag(x)) + 30):  # z − tanh z ≈ z³/3
        g = x - mpmath.tanh(x)
    return +g, mpmath.tanh(x) ** 2


def r_squareplus(x, p):
    b = mpf(p.get("b", 4.0))
    h = mpmath.sqrt(x * x + b)
    if x >= 0:
        return (x + h) / 2, (1 + x / h) / 2
    return b / (2 * (h - x)), b / (2 * h * (h - x))  # no cancellation for x < 0


SMOOTH_REFS = {
    "elu": r_elu, "selu": r_selu, "celu": r_celu, "gelu": r_gelu, "silu": r_silu,
    "mish": r_mish, "softplus": r_softplus, "softsign": r_softsign,
    "log_sigmoid": r_log_sigmoid, "tanhshrink": r_tanhshrink, "squareplus": r_squareplus,
}


M0, M1 = mpf(0), mpf(1)


def _pieces(lo, hi, below, middle, above):
    lo, hi = mpf(lo), mpf(hi)

    def f(x):
        if x <= lo:
            return below(x)
        if x >= hi:
            return above(x)
        return middle(x)

    return f


def _slope_refs(s):
    s = mpf(s)
    g = (lambda x: x if x >= 0 else (M0 if s == 0 else s * x))
    dg = (lambda x: M1 if x > 0 else s)
    return g, dg


def refs(name: str, p: dict) -> tuple[Callable, Callable]:
    """(g, g′) in mpmath for one function and parameters (g′ away from kinks)."""
    if name == "identity":
        return (lambda x: x), (lambda x: M1)
    if name == "relu6":
        return (_pieces(0, 6, lambda x: M0, lambda x: x, lambda x: mpf(6)),
                lambda x: M1 if 0 < x < 6 else M0)
    if name == "prelu":
        return _slope_refs(p.get("weight", 0.25))
    if name == "rrelu":
        lo, up = mpf(p.get("lower", 0.125)), mpf(p.get("upper", 1 / 3))
        return _slope_refs((lo + up) / 2)
    if name == "hard_sigmoid":
        a, b = p.get("alpha", 1 / 6), p.get("beta", 0.5)
        if (a, b) == (1 / 6, 0.5):  # the defaults: relu6(z + 3)/6, α = 1/6 exactly
            return (_pieces(-3, 3, lambda x: M0, lambda x: (x + 3) / 6, lambda x: M1),
                    lambda x: M1 / 6 if -3 < x < 3 else M0)
        # tinygrad's clamp(α·z + β, 0, 1) with the floats as given (exact in mpf; the sign
        # of α·z + β and of α·z + β − 1 survives the rounding at the working precision)
        A, B = mpf(a), mpf(b)
        return ((lambda x: min(max(A * x + B, M0), M1)),
                (lambda x: A if 0 < A * x + B < 1 else M0))
    if name == "hard_swish":
        return (_pieces(-3, 3, lambda x: M0, lambda x: x * (x + 3) / 6, lambda x: x),
                _pieces(-3, 3, lambda x: M0, lambda x: (2 * x + 3) / 6, lambda x: M1))
    if name == "hard_tanh":
        lo, hi = mpf(p.get("min_val", -1.0)), mpf(p.get("max_val", 1.0))
        return (lambda x: min(max(x, lo), hi)), (lambda x: M1 if lo < x < hi else M0)
    if name in ("softshrink", "hardshrink"):
        lam = mpf(p.get("lambd", 0.5))
        if name == "softshrink":
            def g(x):
                return x - lam if x > lam else (x + lam if x < -lam else M0)
        else:
            def g(x):
                return x if abs(x) > lam else M0
        return g, (lambda x: M1 if (lam == 0 or abs(x) > lam) else M0)
    if name == "threshold":
        t, v = mpf(p.get("threshold", 0.0)), mpf(p.get("value", 0.0))
        return (lambda x: x if x > t else v), (lambda x: M1 if x > t else M0)
    if name == "sparse_plus":
        return (_pieces(-1, 1, lambda x: M0, lambda x: (x + 1) ** 2 / 4, lambda x: x),
                _pieces(-1, 1, lambda x: M0, lambda x: (x + 1) / 2, lambda x: M1))
    if name == "sparse_sigmoid":
        return (_pieces(-1, 1, lambda x: M0, lambda x: (x + 1) / 2, lambda x: M1),
                lambda x: M1 / 2 if -1 < x < 1 else M0)
    raise KeyError(name)




PIECEWISE_NAMES = ("identity", "relu6", "prelu", "rrelu", "hard_sigmoid", "hard_swish",
                   "hard_tanh", "softshrink", "hardshrink", "threshold", "sparse_plus",
                   "sparse_sigmoid")


def _piecewise(name):
    def pair(x, p):
        g, dg = refs(name, p)
        return g(x), dg(x)

    return pair


#: name -> (x, params) -> (g, g′), x an exact mpf, at DPS digits
CATALOGUE_REFS = {
    **{n: _lecture(n) for n in FUNCS},
    **SMOOTH_REFS,
    **{n: _piecewise(n) for n in PIECEWISE_NAMES},
}


# -- issue 13 (cat13a): the modern catalogue, from the definitions as their sources write them

def r_relu2(x, p):  # max(0, x)² (transformers' relu2)
    return (x * x, 2 * x) if x > 0 else (M0, M0)


def r_hard_mish(x, p):  # ½·x·clamp(x + 2, 0, 2) (timm)
    c = min(max(x + 2, M0), mpf(2))
    dc = M1 if -2 < x < 0 else M0
    return x * c / 2, c / 2 + x * dc / 2


def r_step(x, p):  # MLX: where(x > threshold, 1, 0)
    return (M1 if x > mpf(p.get("threshold", 0.0)) else M0), M0


def r_exponential(x, p):  # Keras: e^x
    return mpmath.exp(x), mpmath.exp(x)


def r_log1mexp(x, p):  # JAX: log(1 − e^−x), x >= 0; the log of a negative number below
    if x < 0:
        return mpmath.nan, mpmath.nan
    if x == 0:
        return mpmath.ninf, mpmath.inf
    # 1 − e^−x without cancelling (below 1) and its log without losing e^−x (above)
    g = mpmath.log(-mpmath.expm1(-x)) if x < 1 else mpmath.log1p(-mpmath.exp(-x))
    return g, 1 / mpmath.expm1(x)


def r_quick_gelu(x, p):  # CLIP: z·σ(1.702z), the decimal 1.702
    return r_silu(x, {"beta": mpf("1.702")})


def _laplace_u(x, p):
    return (x - mpf(p.get("mu", 0.707107))) / mpf(p.get("sigma", 0.282095))


def r_laplace(x, p):  # transformers (MEGA): ½(1 + erf((x − μ)/(σ√2))), as erfc (no cancelling)
    u = _laplace_u(x, p)
    if abs(u) > 1e6:  # Φ is 0 or 1 and φ 0 to far beyond double precision
        return (M1, M0) if u > 0 else (M0, M0)
    sig = mpf(p.get("sigma", 0.282095))
    return (mpmath.erfc(-u / mpmath.sqrt(2)) / 2,
            mpmath.exp(-u * u / 2) / (sig * mpmath.sqrt(2 * mpmath.pi)))


MODERN_REFS = {"laplace": r_laplace, "quick_gelu": r_quick_gelu, "relu2": r_relu2, "hard_mish": r_hard_mish, "step": r_step,
               "exponential": r_exponential, "log1mexp": r_log1mexp}


def _l1me_z(a):
    """z from a = log(1 − e^−z): z = −log(1 − e^a)."""
    if a < -1:  # 1 − e^a is 1 to many digits: its log as log1p
        return -mpmath.log1p(-mpmath.exp(a))
    return -mpmath.log(-mpmath.expm1(a))
CATALOGUE_REFS.update(MODERN_REFS)


def has_reference(name: str) -> bool:
    return name in CATALOGUE_REFS


def pair(name: str, params: dict):
    """x (a float) -> (g, g′) at the exact value of x, as mpf at DPS digits (nan -> nan)."""
    fn = CATALOGUE_REFS[name]

    def at(x):
        x = float(x)
        if math.isnan(x):
            return mpmath.nan, mpmath.nan
        with mpmath.workdps(DPS):
            return fn(mpf(x), params)

    return at


# g′ written in terms of the output a, exactly in mpmath at the exact float a (a inside the
# output range; for the piecewise functions with gaps, see tests/test_piecewise.py)
FROM_OUTPUT_REFS = {
    "sigmoid": lambda a, p: a * (1 - a),
    "tanh": lambda a, p: (1 - a) * (1 + a),
    "relu": lambda a, p: mpf(1) if a > 0 else mpf(0),
    "leaky_relu": lambda a, p: mpf(1) if a > 0 else mpf(p.get("negative_slope", 0.01)),
    "elu": lambda a, p: mpf(1) if a > 0 else a + mpf(p.get("alpha", 1.0)),
    "selu": lambda a, p: mpf(SELU_L) if a > 0 else a + mpf(SELU_L) * mpf(SELU_A),
    "celu": lambda a, p: mpf(1) if a > 0 else 1 + a / mpf(p.get("alpha", 1.0)),
    "softplus": lambda a, p: -mpmath.expm1(-mpf(p.get("beta", 1.0)) * a),
    "softsign": lambda a, p: (1 - abs(a)) ** 2,
    "log_sigmoid": lambda a, p: -mpmath.expm1(a),
    "squareplus": lambda a, p: (mpf(1) if mpmath.isinf(a) else
                                a * a / (a * a + mpf(p.get("b", 4.0)) / 4)),
    # issue 13 (cat13a)
    "relu2": lambda a, p: 2 * mpmath.sqrt(a),  # z = √a for a > 0, g′ = 2z
    "step": lambda a, p: mpf(0),
    "exponential": lambda a, p: a,
    "log1mexp": lambda a, p: (mpmath.inf if a == mpmath.ninf else
                              (mpf(0) if a == 0 else 1 / mpmath.expm1(_l1me_z(a)))),
}


def from_output(name: str, params: dict):
    """a (a float) -> g′ as a function of the output, exact at the float a (nan -> nan)."""
    fn = FROM_OUTPUT_REFS[name]

    def at(a):
        a = float(a)
        if math.isnan(a):
            return mpmath.nan
        with mpmath.workdps(DPS):
            return fn(mpf(a), params)

    return at


# --------------------------------------------------------------------------
# Second derivatives g″ (issue 11), written from the definitions independently
# of actgrad/activations/second.py: in terms of sech² and tanh of the natural
# argument (the code works with e^−|z| and root identities), evaluated with
# 100 extra digits so that the cancellation next to a root of g″ (at most
# ~16 digits for a float input) or in 2 − x² leaves > 60 digits.
#
#   sigmoid″   = −tanh(x/2)·sech²(x/2)/4
#   tanh″      = −2·tanh(x)·sech²(x);        tanhshrink″ = −tanh″
#   log_sigmoid″ = −sech²(x/2)/4;            softplus″ = β·sech²(βx/2)/4
#   silu″      = sech²(x/2)/4·(2 − x·tanh(x/2))
#   mish″      = sech²(s)·[2σ + x(σ′ − 2·tanh(s)·σ²)], s = log(1 + e^x)
#   gelu″      = φ(x)·(2 − x²)
#   gelu(tanh)″ = sech²(u)·[u′ + x·u″/2 − x·tanh(u)·u′²], u = √(2/π)(x + 0.044715x³)
#   elu″ = α·e^x, selu″ = λα·e^x, celu″ = e^(x/α)/α  (x < 0; 0 for x > 0)
#   softsign″  = −2·sign(x)/(1 + |x|)³;      squareplus″ = b/(2(x² + b)^(3/2))
#   hard_swish″ = 1/3 on (−3, 3), sparse_plus″ = 1/2 on (−1, 1), else 0;
#   every other piecewise unit: 0.
# --------------------------------------------------------------------------

_LAM = "1.0507009873554804934193349852946"
_SELU_ALPHA = "1.6732632423543772848170429916717"


def _lam_alpha() -> mpf:
    """λ·α of the decimal constants, at the current (raised) precision."""
    return mpf(_LAM) * mpf(_SELU_ALPHA)


def second(name: str, x, params: dict | None = None) -> mpf:
    """g″(x) for a catalogue name at its parameters (defaults when omitted), away from the
    jumps of g″ (see :func:`second_jump`). x is taken exactly; nan for nan; ±inf: the
    limit."""
    p = params or {}
    x = _mp(x)
    if mpmath.isnan(x):
        return mpmath.nan
    if mpmath.isinf(x):
        if name == "celu" and p.get("alpha", 1.0) < 0 and x < 0:
            return mpmath.ninf
        if name == "xielu" and x > 0:  # 2α_p, the quadratic's
            with mpmath.workdps(DPS):
                return 2 * _xielu_consts(p)[0]
        if name in ("exponential", "relu2") and x > 0:  # e^z → ∞; relu2″ = 2
            return mpmath.inf if name == "exponential" else mpf(2)
        if name == "log1mexp" and x < 0:  # outside its domain
            return mpmath.nan
        return mpf(0)
    with mpmath.workdps(DPS + 100):
        r = _second(name, x, p)
    with mpmath.workdps(DPS):
        return +r  # 60 digits (not the caller's precision)


def _second(name, x, p):
    sech2 = lambda t: mpmath.sech(t) ** 2  # noqa: E731
    r = _second_13b(name, x, p)
    if r is not None:
        return r
    if name == "sigmoid":
        return -mpmath.tanh(x / 2) * sech2(x / 2) / 4
    if name == "tanh":
        return -2 * mpmath.tanh(x) * sech2(x)
    if name == "tanhshrink":
        return 2 * mpmath.tanh(x) * sech2(x)
    if name == "log_sigmoid":
        return -sech2(x / 2) / 4
    if name == "softplus":
        beta = mpf(p.get("beta", 1.0))
        th = p.get("threshold", math.inf)
        if math.isfinite(th) and x > mpf(th) / beta:  # PyTorch's linear part
            return mpf(0)
        return beta * sech2(beta * x / 2) / 4
    if name in ("silu", "quick_gelu"):  # (z·σ(βz))″ = β·σ′(t)·(2 − t·tanh(t/2)), t = βz
        b = mpf("1.702") if name == "quick_gelu" else mpf(p.get("beta", 1.0))
        t = b * x
        return b * sech2(t / 2) / 4 * (2 - t * mpmath.tanh(t / 2))
    if name == "mish":
        s = mpmath.log1p(mpmath.exp(x))
        sig = 1 / (1 + mpmath.exp(-x))
        dsig = sech2(x / 2) / 4
        return sech2(s) * (2 * sig + x * (dsig - 2 * mpmath.tanh(s) * sig**2))
    if name == "gelu":
        if p.get("approximate", "none") == "tanh":
            c = mpmath.sqrt(2 / mpmath.pi)
            k = mpf("0.044715")
            u = c * (x + k * x**3)
            du = c * (1 + 3 * k * x**2)
            ddu = 6 * c * k * x
            return sech2(u) * (du + x * ddu / 2 - x * mpmath.tanh(u) * du**2)
        return mpmath.exp(-x * x / 2) / mpmath.sqrt(2 * mpmath.pi) * (2 - x * x)
    if name in ("elu", "selu", "celu"):
        if x > 0:
            return mpf(0)
        if name == "elu":
            return mpf(p.get("alpha", 1.0)) * mpmath.exp(x)
        if name == "selu":
            return _lam_alpha() * mpmath.exp(x)
        a = mpf(p.get("alpha", 1.0))
        return mpmath.exp(x / a) / a
    if name == "softsign":
        return (-2 if x > 0 else 2) / (1 + abs(x)) ** 3
    if name == "squareplus":
        b = mpf(p.get("b", 4.0))
        if b == 0:
            return mpf(0)
        return b / (2 * (x * x + b) ** mpf(1.5))
    if name == "hard_swish":
        return mpf(1) / 3 if -3 < x < 3 else mpf(0)
    if name == "sparse_plus":
        return mpf(1) / 2 if -1 < x < 1 else mpf(0)
    if name in MODERN_SECOND:  # issue 13 (cat13a)
        return MODERN_SECOND[name](x, p)
    if name in ("relu", "leaky_relu", "identity", "relu6", "prelu", "rrelu", "hard_sigmoid",
                "hard_tanh", "softshrink", "hardshrink", "threshold", "sparse_sigmoid"):
        return mpf(0)
    raise KeyError(name)


#: where g″ jumps at default parameters (elu, celu and softsign also at other values):
#: x -> (left value, right value, PyTorch's side, JAX's side), the sides read off each
#: framework's double-backward formula (see actgrad/activations/second.py's notes)
#: issue 13 (cat13a): g″ written from the definitions (x away from the jumps of g″)
MODERN_SECOND = {
    "relu2": lambda x, p: mpf(2) if x > 0 else mpf(0),
    "hard_mish": lambda x, p: mpf(1) if -2 < x < 0 else mpf(0),
    "step": lambda x, p: mpf(0),
    # d/dx of e^(−u²/2)/(σ√(2π)) with du/dx = 1/σ
    "laplace": lambda x, p: (-_laplace_u(x, p) * mpmath.exp(-_laplace_u(x, p) ** 2 / 2)
                             / (mpf(p.get("sigma", 0.282095)) ** 2 * mpmath.sqrt(2 * mpmath.pi))),
    "exponential": lambda x, p: mpmath.exp(x),
    # e^x/(e^x − 1)² = 1/(e^(x/2) − e^(−x/2))²
    "log1mexp": lambda x, p: (mpmath.nan if x < 0 else
                              (mpmath.ninf if x == 0 else -1 / (4 * mpmath.sinh(x / 2) ** 2))),
}


def second_jumps(name: str, params: dict | None = None) -> dict:
    p = params or {}
    r = _second_jumps_13b(name, p)
    if r is not None:
        return r
    third = mpf(1) / 3
    if name == "elu":
        a = mpf(p.get("alpha", 1.0))
        return {} if a == 0 else {0.0: (a, mpf(0), "right", "left")}
    if name == "selu":
        with mpmath.workdps(DPS):
            return {0.0: (_lam_alpha(), mpf(0), "right", "left")}
    if name == "celu":  # JAX: max(x, 0) + α·expm1(min(x, 0)/α), each of max/min gets 1/2
        a = mpf(p.get("alpha", 1.0))  # of the tangent at 0: g″(0) = (1/2)²/α
        return {0.0: (1 / a, mpf(0), "right", 1 / (4 * a))}
    if name == "softsign":
        return {0.0: (mpf(2), mpf(-2), "mean", "right")}
    if name == "hard_swish":
        return {-3.0: (mpf(0), third, "left", "left"), 3.0: (third, mpf(0), "right", "right")}
    if name == "sparse_plus":
        return {-1.0: (mpf(0), mpf(0.5), "left", "left"), 1.0: (mpf(0.5), mpf(0), "right", "right")}
    if name == "relu2":  # (x²)″ = 2 above 0; PyTorch: relu's backward masks x > 0
        return {0.0: (mpf(0), mpf(2), "left", "left")}
    if name == "hard_mish":  # PyTorch's clamp backward passes the closed interval
        return {-2.0: (mpf(0), mpf(1), "right", "right"), 0.0: (mpf(1), mpf(0), "left", "left")}
    if name == "softplus" and math.isfinite(p.get("threshold", math.inf)):
        beta = mpf(p.get("beta", 1.0))
        at = p["threshold"] / p.get("beta", 1.0)  # the float switch point
        with mpmath.workdps(DPS):
            left = beta * mpmath.sech(beta * mpf(at) / 2) ** 2 / 4
        # PyTorch's double backward multiplies by (β·z < threshold), measured with 2.13.0
        # (benchmarks/frameworks_second.py): 0 where the float product equals the threshold
        side = "right" if p.get("beta", 1.0) * at == p["threshold"] else "left"
        return {at: (left, mpf(0), side, "left")}
    return {}


def second_jump(name: str, x: float, kink: str, params: dict | None = None) -> mpf:
    left, right, pt, jx = second_jumps(name, params)[x]
    side = {"pytorch": pt, "jax": jx}.get(kink, kink)
    if not isinstance(side, str):  # a framework's own value (JAX's celu)
        return side
    return {"left": left, "right": right, "mean": (left + right) / 2}[side]


def second_from_output(name: str, a, params: dict | None = None) -> mpf:
    """g″ as a function of the output a (exact algebra on the exact a), where it is one:
    σ″ = a(1 − a)(1 − 2a), tanh″ = −2a(1 − a²), softplus″ = β·σ(βz)σ(−βz) with
    σ(βz) = 1 − e^(−βa), log_sigmoid″ = −σ(x)σ(−x) with σ(x) = e^a, elu″ = a + α (a <= 0),
    selu″ = a + λα, celu″ = (a + α)/α², softsign″ = −2·sign(a)(1 − |a|)³, squareplus″ from
    z = a − b/(4a), the piecewise-linear units 0."""
    p = params or {}
    a = _mp(a)
    with mpmath.workdps(DPS + 40):
        if name == "sigmoid":
            r = a * (1 - a) * (1 - 2 * a)
        elif name == "tanh":
            r = -2 * a * (1 - a * a)
        elif name == "softplus":
            beta = mpf(p.get("beta", 1.0))
            r = beta * -mpmath.expm1(-beta * a) * mpmath.exp(-beta * a)  # σ(−βz) = e^(−βa)
        elif name == "log_sigmoid":
            r = mpmath.exp(a) * mpmath.expm1(a)  # −σ(x)·σ(−x), σ(−x) = −expm1(a)
        elif name == "elu":
            r = mpf(0) if a > 0 else a + mpf(p.get("alpha", 1.0))
        elif name == "selu":
            r = mpf(0) if a > 0 else a + _lam_alpha()
        elif name == "celu":
            al = mpf(p.get("alpha", 1.0))
            r = mpf(0) if a > 0 else (1 + a / al) / al
        elif name == "softsign":
            r = (-2 if a > 0 else 2) * (1 - abs(a)) ** 3
        elif name == "squareplus":
            b = mpf(p.get("b", 4.0))
            if a == 0:
                r = mpf(0)
            else:
                z = a - b / (4 * a)
                r = b / (2 * (z * z + b) ** mpf(1.5))
        elif name == "sparse_plus":
            r = mpf(0.5) if 0 < a < 1 else mpf(0)
        elif name == "relu2":
            r = mpf(2) if a > 0 else mpf(0)
        elif name == "exponential":
            r = a
        elif name == "log1mexp":
            if mpmath.isnan(a):  # the output of z < 0
                r = mpmath.nan
            elif a == mpmath.ninf:
                r = mpmath.ninf
            elif a == 0:
                r = mpf(0)
            else:
                r = -1 / (4 * mpmath.sinh(_l1me_z(a) / 2) ** 2)
        else:
            r = mpf(0)
    with mpmath.workdps(DPS):
        return +r


# --------------------------------------------------------------------------
# The named GELU variants and xIELU (issue 13), from their sources' definitions:
#   gelu_fast   = x/2·(1 + tanh(x·0.7978845608·(1 + 0.044715x²)))   (transformers)
#   gelu_approx = x·σ(1.60033·x·(1 + 0.0433603x²))                    (MLX)
#   gelu_10     = clip(x·Φ(x), −10, 10)                               (transformers)
#   xielu       = α_p x² + βx (x > 0), α_n(expm1(min(x, ε)) − x) + βx (x <= 0),
#                 α_p = log(1 + e^alpha_p), α_n = β + log(1 + e^alpha_n)  (transformers)
# The tanh forms use 1 + tanh(u) = e^u/cosh(u) (no cancellation for u < 0); g″ in sech²
# and tanh of u; xielu is evaluated with 200 extra digits (its root cancels).
# --------------------------------------------------------------------------

def _bf16_init(x: float) -> float:
    """transformers' XIELUActivation initial parameter log(exp(x) − 1) with
    dtype=torch.bfloat16: x, exp, − 1 and log each rounded to bfloat16 (ml_dtypes)."""
    bf = ml_dtypes.bfloat16
    t = np.float32(np.array(x, dtype=bf))
    e = np.float32(np.array(np.exp(t), dtype=bf))
    e1 = np.float32(np.array(e - np.float32(1), dtype=bf))
    return float(np.array(np.log(e1), dtype=bf))


# alpha_p_init = 0.8, alpha_n_init − beta = 0.8 − 0.5 (in Python floats, then bfloat16)
_XI_DEFAULTS = {"alpha_p": _bf16_init(0.8), "alpha_n": _bf16_init(0.8 - 0.5),
                "beta": 0.5, "eps": -1e-6}


def _tanh_u(name, x):
    """u, u′, u″ of g = x/2·(1 + tanh(u)) for gelu_fast and gelu_approx."""
    if name == "gelu_fast":
        c, k = mpf("0.7978845608"), mpf("0.044715")
    else:  # σ(v) = (1 + tanh(v/2))/2
        c, k = mpf("1.60033") / 2, mpf("0.0433603")
    return c * x * (1 + k * x * x), c * (1 + 3 * k * x * x), 6 * c * k * x


def _r_tanh_family(name):
    def pair(x, p):
        if abs(x) > 1e30:  # the tanh is ±1 far beyond double precision
            return (x, mpf(1)) if x > 0 else (mpf(0), mpf(0))
        u, du, _ = _tanh_u(name, x)
        half = mpmath.exp(u) / mpmath.cosh(u) / 2  # (1 + tanh u)/2
        return x * half, half + x * du / (2 * mpmath.cosh(u) ** 2)

    return pair


def r_gelu_10(x, p):
    if x > 10:  # a float above 10 is above z* = 10 + 7.6e-23
        return mpf(10), mpf(0)
    g, dg = r_gelu(x, {})
    return min(g, mpf(10)), dg


def _xielu_consts(p):
    q = {**_XI_DEFAULTS, **p}
    ap = mpmath.log1p(mpmath.exp(mpf(q["alpha_p"])))
    b = mpf(q["beta"])
    an = b + mpmath.log1p(mpmath.exp(mpf(q["alpha_n"])))
    return ap, an, b, mpf(q["eps"])


def r_xielu(x, p):
    with mpmath.extradps(200):
        ap, an, b, eps = _xielu_consts(p)
        if x > 0:
            g, dg = ap * x * x + b * x, 2 * ap * x + b
        elif x > eps:
            g, dg = an * (mpmath.expm1(eps) - x) + b * x, b - an
        else:
            g, dg = an * (mpmath.expm1(x) - x) + b * x, an * (mpmath.exp(x) - 1) + b
    return +g, +dg


CATALOGUE_REFS.update({
    "gelu_fast": _r_tanh_family("gelu_fast"),
    "gelu_approx": _r_tanh_family("gelu_approx"),
    "gelu_10": r_gelu_10,
    "xielu": r_xielu,
})


def _second_13b(name, x, p):
    if name in ("gelu_fast", "gelu_approx"):
        u, du, ddu = _tanh_u(name, x)
        return mpmath.sech(u) ** 2 * (du + x * ddu / 2 - x * mpmath.tanh(u) * du**2)
    if name == "gelu_10":
        return mpf(0) if x > 10 else _second("gelu", x, {})
    if name == "xielu":
        ap, an, b, eps = _xielu_consts(p)
        return 2 * ap if x > 0 else (mpf(0) if x > eps else an * mpmath.exp(x))
    return None


def _second_jumps_13b(name, p):
    if name == "gelu_10":
        with mpmath.workdps(DPS):
            return {10.0: (_second("gelu", mpf(10), {}), mpf(0), "left", "left")}
    if name == "xielu":
        with mpmath.workdps(DPS + 40):
            ap, an, b, eps = _xielu_consts(p)
            tie = an * mpmath.exp(eps) / 4  # torch.min's half, squared
            if eps == 0:
                return {0.0: (an, 2 * ap, tie, tie)}
            return {float(eps): (an * mpmath.exp(eps), mpf(0), tie, tie),
                    0.0: (mpf(0), 2 * ap, "left", "left")}
    return None
