"""Independent mpmath references for every catalogue function at its default parameters:
g, g′ (PyTorch's kink convention) and g′ from the output, written from the definitions
(never from actgrad's exact forms or output), and exact rounding via tests/reference.py.

``value(name, x, deriv)`` works at the current mpmath precision; ``rounded(name, x, deriv,
dtype)`` is the exact value correctly rounded to dtype, computed at increasing precision
until the rounding is decided (the value at 2^-(prec−8) relative on both sides rounds the
same; a value exactly on a boundary is exact in mpmath, e.g. relu, and rounds ties-to-even).
Used by tests/test_rigorous.py, tests/test_dtypes.py and benchmarks/.
"""

from __future__ import annotations

import math
import os
import sys

import mpmath
import numpy as np
from mpmath import mpf

sys.path.insert(0, os.path.dirname(__file__))
import reference  # noqa: E402

LAM = "1.0507009873554804934193349852946"
ALPHA = "1.6732632423543772848170429916717"


def _sig(v, M):
    return 1 / (1 + M.exp(-v))


def _rrelu_slope(M=mpmath):
    return (M.mpf(1.0 / 8.0) + M.mpf(1.0 / 3.0)) / 2  # the floats' exact mean


def _gelu(x, M):
    if x < -1e6:  # mpmath's erfc cannot go there; |g| < e^−5e11 rounds to −0
        return -M.mpf(2) ** (-10**9), -M.mpf(2) ** (-10**9)  # g′ ≈ −|x|φ(x) < 0
    phi = M.exp(-x * x / 2) / M.sqrt(2 * M.pi)
    big = M.erfc(-x / M.sqrt(2)) / 2
    return x * big, big + x * phi


def _gelu_tanh(x, M):
    c = M.sqrt(2 / M.pi)
    k = M.mpf("0.044715")
    v = 2 * c * (x + k * x**3)
    s, sn = _sig(v, M), 1 / (1 + M.exp(v))
    return x * s, s + x * 2 * c * (1 + 3 * k * x * x) * s * sn


def _tanhshrink(x, M):
    if x == 0:
        return M.mpf(0), M.mpf(0)
    with M.extraprec(max(0, -2 * int(M.mag(x))) + 20):
        g = x - M.tanh(x)
    return +g, M.tanh(x) ** 2


def _pieces(x, lo, hi, below, mid, above):
    return below if x <= lo else (above if x >= hi else mid)


def _refs(name, x, M=mpmath):
    """(g, g′) at x (exact mpf, x finite); g′ with PyTorch's convention at kinks."""
    one, zero = M.mpf(1), M.mpf(0)
    if name == "sigmoid":
        return _sig(x, M), _sig(x, M) / (1 + M.exp(x))
    if name == "tanh":
        return M.tanh(x), M.sech(x) ** 2
    if name == "relu":
        return max(x, zero), one if x > 0 else zero
    if name == "leaky_relu":
        s = M.mpf(0.01)
        return (x if x >= 0 else s * x), (one if x > 0 else s)
    if name == "elu":
        return (x, one) if x > 0 else (M.expm1(x), M.exp(x))
    if name == "selu":
        lam, al = M.mpf(LAM), M.mpf(ALPHA)
        return (lam * x, lam) if x > 0 else (lam * al * M.expm1(x), lam * al * M.exp(x))
    if name == "celu":
        return (x, one) if x > 0 else (M.expm1(x), M.exp(x))
    if name == "gelu":
        return _gelu(x, M)
    if name == "gelu_tanh":
        return _gelu_tanh(x, M)
    if name == "silu":
        return x * _sig(x, M), _sig(x, M) * (1 + x / (1 + M.exp(x)))
    if name == "mish":
        sp = M.log1p(M.exp(x))
        return x * M.tanh(sp), M.tanh(sp) + x * _sig(x, M) * M.sech(sp) ** 2
    if name == "softplus":
        return M.log1p(M.exp(x)), _sig(x, M)
    if name == "softsign":
        return x / (1 + abs(x)), 1 / (1 + abs(x)) ** 2
    if name == "log_sigmoid":
        return -M.log1p(M.exp(-x)), 1 / (1 + M.exp(x))
    if name == "tanhshrink":
        return _tanhshrink(x, M)
    if name == "squareplus":
        h = M.sqrt(x * x + 4)
        if x >= 0:
            return (x + h) / 2, (1 + x / h) / 2
        return 4 / (2 * (h - x)), 4 / (2 * h * (h - x))
    if name == "identity":
        return x, one
    if name == "relu6":
        return min(max(x, zero), M.mpf(6)), (one if 0 < x < 6 else zero)
    if name == "prelu":
        return (x if x >= 0 else x / 4), (one if x > 0 else M.mpf(0.25))
    if name == "rrelu":
        s = _rrelu_slope(M)
        return (x if x >= 0 else s * x), (one if x > 0 else s)
    if name == "hard_sigmoid":
        return _pieces(x, -3, 3, zero, (x + 3) / 6, one), (one / 6 if -3 < x < 3 else zero)
    if name == "hard_swish":
        g = _pieces(x, -3, 3, zero, x * (x + 3) / 6, x)
        d = zero if x <= -3 else (one if x >= 3 else (2 * x + 3) / 6)
        return g, d
    if name == "hard_tanh":
        return min(max(x, -one), one), (one if -1 < x < 1 else zero)
    if name == "softshrink":
        h = M.mpf(0.5)
        return (x - h if x > h else (x + h if x < -h else zero)), (one if abs(x) > h else zero)
    if name == "hardshrink":
        return (x if abs(x) > 0.5 else zero), (one if abs(x) > 0.5 else zero)
    if name == "threshold":
        return (x if x > 0 else zero), (one if x > 0 else zero)
    if name == "sparse_plus":
        g = _pieces(x, -1, 1, zero, (x + 1) ** 2 / 4, x)
        return g, zero if x <= -1 else (one if x >= 1 else (x + 1) / 2)
    if name == "sparse_sigmoid":
        g = _pieces(x, -1, 1, zero, (x + 1) / 2, one)
        return g, (M.mpf(0.25) if abs(x) == 1 else (M.mpf(0.5) if -1 < x < 1 else zero))
    if name in MODERN:  # issue 13 (cat13a)
        return MODERN[name](x, M)
    return _refs_13b(name, x, M)


def _relu2(x, M):
    return (x * x, 2 * x) if x > 0 else (M.mpf(0), M.mpf(0))


def _hard_mish(x, M):  # ½·x·clamp(x + 2, 0, 2); PyTorch: the right slope −1 at −2
    zero, one = M.mpf(0), M.mpf(1)
    g = _pieces(x, -2, 0, zero, x * (x + 2) / 2, x)
    return g, zero if x < -2 else (one if x >= 0 else x + 1)


def _step(x, M):  # MLX: 1 for x > 0
    return (M.mpf(1) if x > 0 else M.mpf(0)), M.mpf(0)


def _exponential(x, M):
    return M.exp(x), M.exp(x)


def _log1mexp(x, M):  # x > 0 here (value() takes x <= 0: nan, and −inf/+inf at 0)
    g = M.log(-M.expm1(-x)) if x < 1 else M.log1p(-M.exp(-x))
    return g, 1 / M.expm1(x)


def _quick_gelu(x, M):
    t = M.mpf("1.702") * x
    s = 1 / (1 + M.exp(-t))
    return x * s, s * (1 + t / (1 + M.exp(t)))


def _laplace(x, M):
    u = (x - M.mpf(0.707107)) / M.mpf(0.282095)
    if u > 1e6:
        return M.mpf(1), M.mpf(0)
    if u < -1e6:  # Φ(u) < e^−5e11: rounds to 0 (but is positive)
        return M.mpf(2) ** (-10**9), M.mpf(2) ** (-10**9)
    return (M.erfc(-u / M.sqrt(2)) / 2,
            M.exp(-u * u / 2) / (M.mpf(0.282095) * M.sqrt(2 * M.pi)))


MODERN = {"laplace": _laplace, "quick_gelu": _quick_gelu, "relu2": _relu2, "hard_mish": _hard_mish, "step": _step,
          "exponential": _exponential, "log1mexp": _log1mexp}
#: where g is defined (closed), for those defined on part of the line only
DOMAIN = {"log1mexp": (0.0, math.inf)}


def _outside(name, x):
    lo, hi = DOMAIN.get(name, (-math.inf, math.inf))
    return not lo <= float(x) <= hi


def _from_output(name, a, M=mpmath):
    one, zero = M.mpf(1), M.mpf(0)
    table = {
        "sigmoid": lambda: a * (1 - a),
        "tanh": lambda: 1 - a * a,
        "relu": lambda: one if a > 0 else zero,
        "leaky_relu": lambda: one if a > 0 else M.mpf(0.01),
        "identity": lambda: one,
        "relu6": lambda: one if 0 < a < 6 else zero,
        "prelu": lambda: one if a > 0 else M.mpf(0.25),
        "rrelu": lambda: one if a > 0 else _rrelu_slope(M),
        "hard_sigmoid": lambda: one / 6 if 0 < a < 1 else zero,
        "hard_tanh": lambda: one if -1 < a < 1 else zero,
        "softshrink": lambda: zero if a == 0 else one,
        "hardshrink": lambda: zero if a == 0 else one,
        "threshold": lambda: one if a > 0 else zero,
        "sparse_plus": lambda: M.sqrt(a) if a < 1 else one,
        "sparse_sigmoid": lambda: M.mpf(0.5) if 0 < a < 1 else zero,
        "elu": lambda: one if a > 0 else a + 1,
        "selu": lambda: M.mpf(LAM) if a > 0 else a + M.mpf(LAM) * M.mpf(ALPHA),
        "celu": lambda: one if a > 0 else 1 + a,
        "softplus": lambda: 1 - M.exp(-a),
        "softsign": lambda: (1 - abs(a)) ** 2,
        "log_sigmoid": lambda: 1 - M.exp(a),
        "squareplus": lambda: a * a / (a * a + 1),
        "relu2": lambda: 2 * M.sqrt(a),
        "step": lambda: zero,
        "exponential": lambda: a,
        # z = −log(1 − e^a): 1/(e^z − 1) = (1 − e^a)/e^a = e^−a − 1
        "log1mexp": lambda: M.expm1(-a),
    }
    return table[name]()


FROM_OUTPUT = ("sigmoid", "tanh", "relu", "leaky_relu", "identity", "relu6", "prelu", "rrelu",
               "hard_sigmoid", "hard_tanh", "softshrink", "hardshrink", "threshold",
               "sparse_plus", "sparse_sigmoid", "elu", "selu", "celu", "softplus", "softsign",
               "log_sigmoid", "squareplus", "relu2", "step", "exponential", "log1mexp")

#: the limits at ±inf (g, g′) at the default parameters
LIMITS = {
    "sigmoid": ((0, 0), (1, 0)), "tanh": ((-1, 0), (1, 0)), "relu": ((0, 0), (math.inf, 1)),
    "leaky_relu": ((-math.inf, 0.01), (math.inf, 1)), "elu": ((-1, 0), (math.inf, 1)),
    "selu": (("-lamalpha", 0), (math.inf, "lam")), "celu": ((-1, 0), (math.inf, 1)),
    "gelu": ((0, 0), (math.inf, 1)), "gelu_tanh": ((0, 0), (math.inf, 1)),
    "silu": ((0, 0), (math.inf, 1)), "mish": ((0, 0), (math.inf, 1)),
    "softplus": ((0, 0), (math.inf, 1)), "softsign": ((-1, 0), (1, 0)),
    "log_sigmoid": ((-math.inf, 1), (0, 0)), "tanhshrink": ((-math.inf, 1), (math.inf, 1)),
    "squareplus": ((0, 0), (math.inf, 1)), "identity": ((-math.inf, 1), (math.inf, 1)),
    "relu6": ((0, 0), (6, 0)), "prelu": ((-math.inf, 0.25), (math.inf, 1)),
    "rrelu": ((-math.inf, "rrelu"), (math.inf, 1)), "hard_sigmoid": ((0, 0), (1, 0)),
    "hard_swish": ((0, 0), (math.inf, 1)), "hard_tanh": ((-1, 0), (1, 0)),
    "softshrink": ((-math.inf, 1), (math.inf, 1)), "hardshrink": ((-math.inf, 1), (math.inf, 1)),
    "threshold": ((0, 0), (math.inf, 1)), "sparse_plus": ((0, 0), (math.inf, 1)),
    "sparse_sigmoid": ((0, 0), (1, 0)),
    "quick_gelu": ((0, 0), (math.inf, 1)), "laplace": ((0, 0), (1, 0)), "relu2": ((0, 0), (math.inf, math.inf)), "hard_mish": ((0, 0), (math.inf, 1)),
    "step": ((0, 0), (1, 0)),
    "exponential": ((0, 0), (math.inf, math.inf)), "log1mexp": ((math.nan, math.nan), (0, 0)),
}


def limit(name, sign, deriv):
    v = LIMITS[name][sign > 0][1 if deriv else 0]
    if callable(v):
        return v()
    if v == "lam":
        return mpf(LAM)
    if v == "-lamalpha":
        return -mpf(LAM) * mpf(ALPHA)
    if v == "rrelu":
        return _rrelu_slope()
    return mpf(v)


def value(name, x, deriv=False, from_output=False):
    """The exact value (at the current mpmath precision) at the float x."""
    x = mpf(float(x))
    if from_output:
        return _from_output(name, x)
    if _outside(name, x):
        return mpmath.nan
    if name == "log1mexp" and x == 0:
        return mpmath.inf if deriv else mpmath.ninf
    if mpmath.isinf(x):
        return limit(name, 1 if x > 0 else -1, deriv)
    return _refs(name, x)[1 if deriv else 0]


def rounded(name, x, deriv=False, dtype=np.float64, from_output=False):
    """value(...) correctly rounded to dtype, the rounding checked to be decided."""
    if math.isnan(float(x)):
        return math.nan
    if name == "tanhshrink" and not deriv and not from_output and 50 < abs(float(x)) < math.inf:
        # x − tanh x = (x − s) + s·δ with 0 < δ = 2/(e^(2|x|) + 1) < 2^−144: when x − s is a
        # rounding boundary (x = 2050 in float16) only the side matters, and any nudge far
        # below the grid spacing near x − s (> 2^−60·|x|) gives it
        s = 1 if x > 0 else -1
        with mpmath.workprec(4000):
            return reference.round_to(mpf(float(x)) - s + s * mpf(2) ** -3000, dtype)
    for dps in (40, 80, 160, 320, 640):
        with mpmath.workdps(dps):
            v = value(name, x, deriv, from_output)
            if not mpmath.isfinite(v) or v == 0:
                return reference.round_to(v, dtype)
            eps = mpf(2) ** (-(mpmath.mp.prec - 8))
            lo, hi = v * (1 - eps), v * (1 + eps)
            a, b = reference.round_to(lo, dtype), reference.round_to(hi, dtype)
            if _same(a, b):
                return a
    # on a boundary at 640 digits: exact if it stays there at 2000 (the rational pieces:
    # relu's 0.01·x, hard_swish's x(x + 3)/6 are exact in mpmath)
    with mpmath.workdps(2000):
        w = value(name, x, deriv, from_output)
    if w == v:
        return reference.round_to(v, dtype)
    raise ArithmeticError(f"reference rounding undecided for {name} at {x!r}")


class ArbM:
    """The few functions above in python-flint's arb balls (for a fast reference whose
    rounding is proven: every ball contains the exact value). Written here, independently
    of actgrad's own shim."""

    def __init__(self):
        import flint

        self.flint = flint
        self.arb = flint.arb

    def mpf(self, x):
        return x if isinstance(x, self.arb) else self.arb(x)

    @property
    def pi(self):
        return self.arb.pi()

    def exp(self, x):
        return self.mpf(x).exp()

    def expm1(self, x):
        return self.mpf(x).expm1()

    def log1p(self, x):
        return self.mpf(x).log1p()

    def log(self, x):
        return self.mpf(x).log()

    def tanh(self, x):
        return self.mpf(x).tanh()

    def sech(self, x):
        return self.mpf(x).sech()

    def sqrt(self, x):
        return self.mpf(x).sqrt()

    def erfc(self, x):
        x = self.mpf(x)
        if x > 1e15 or x < -1e15:
            raise OverflowError  # arb's erfc is a wide ball out there: use mpmath
        return x.erfc()

    def mag(self, x):
        return 0

    def extraprec(self, n):
        import contextlib

        return contextlib.nullcontext()


def _same(a, b):
    """Both ends of an enclosure round alike: the same float and sign of zero, or both NaN
    (past float8_e4m3fn's top, which has no inf)."""
    return (a == b and math.copysign(1, a) == math.copysign(1, b)) or (a != a and b != b)


_ARB = None


def rounded_fast(name, x, deriv=False, dtype=np.float64, from_output=False):
    """rounded(...) in arb balls: a ball both of whose ends round alike proves the rounding;
    else more bits, and past 4096 bits (or where arb cannot go) the mpmath `rounded`."""
    global _ARB
    if _ARB is None:
        _ARB = ArbM()
    xf = float(x)
    if math.isnan(xf) or math.isinf(xf) or (name == "tanhshrink" and abs(xf) > 50) or (
            not from_output and (_outside(name, xf) or (name in DOMAIN and xf == 0))):
        return rounded(name, x, deriv, dtype, from_output)
    M, ctx = _ARB, _ARB.flint.ctx
    old = ctx.prec
    try:
        for bits in (64, 128, 256, 1024, 4096):
            ctx.prec = bits
            try:
                xa = M.arb(xf)
                v = _from_output(name, xa, M) if from_output else _refs(name, xa, M)[int(deriv)]
            except OverflowError:
                break
            v = M.mpf(v)
            if v.is_zero():
                return 0.0
            if not v.is_finite():
                continue
            ends = []
            for e in (v.lower(), v.upper()):
                man, ex = e.man_exp()
                man, ex = int(man), int(ex)
                with mpmath.workprec(max(53, abs(man).bit_length() + 1)):  # exactly
                    end = mpmath.ldexp(mpf(man), ex)
                ends.append(reference.round_to(end, dtype) if man else None)
            a, b = ends
            if a is not None and b is not None and _same(a, b):
                return a
    finally:
        ctx.prec = old
    return rounded(name, x, deriv, dtype, from_output)


def activation(name):
    import actgrad

    if name == "gelu_tanh":
        return actgrad.get("gelu", approximate="tanh")
    return actgrad.get(name)


#: every function as the references name it (gelu's tanh variant separately)
NAMES = ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "celu", "gelu", "gelu_tanh",
         "silu", "mish", "softplus", "softsign", "log_sigmoid", "tanhshrink", "squareplus",
         "identity", "relu6", "prelu", "rrelu", "hard_sigmoid", "hard_swish", "hard_tanh",
         "softshrink", "hardshrink", "threshold", "sparse_plus", "sparse_sigmoid",
         "laplace", "quick_gelu", "relu2", "hard_mish", "step", "exponential", "log1mexp")


# -- issue 13: the named GELU variants and xIELU, from their sources' definitions ---------
# gelu_fast = x/2·(1 + tanh(x·0.7978845608·(1 + 0.044715x²))) and gelu_approx =
# x·σ(1.60033·x·(1 + 0.0433603x²)) as x·σ(v) (1 + tanh(v/2) = 2σ(v)); gelu_10 =
# min(x·Φ(x), 10); xielu from transformers' _xielu_python with α_p = log(1 + e^alpha_p),
# α_n = β + log(1 + e^alpha_n) at the initial alpha_p, alpha_n (reference._XI_DEFAULTS).


def _sigma_form(x, M, c2, k):
    v = c2 * x * (1 + k * x * x)
    dv = c2 * (1 + 3 * k * x * x)
    s, sn = _sig(v, M), 1 / (1 + M.exp(v))
    return x * s, s + x * dv * s * sn


def _xielu(x, M):
    q = reference._XI_DEFAULTS
    ap = M.log1p(M.exp(M.mpf(q["alpha_p"])))
    b = M.mpf(q["beta"])
    sn = M.log1p(M.exp(M.mpf(q["alpha_n"])))
    an = b + sn
    eps = M.mpf(q["eps"])
    if x > 0:
        return ap * x * x + b * x, 2 * ap * x + b
    if x == eps:  # PyTorch: torch.min halves the tie's gradient
        return an * (M.expm1(eps) - x) + b * x, an * (M.exp(eps) / 2 - 1) + b
    if x > eps:
        return an * (M.expm1(eps) - x) + b * x, b - an
    return an * (M.expm1(x) - x) + b * x, an * (M.exp(x) - 1) + b


def _refs_13b(name, x, M):
    if name == "gelu_fast":
        return _sigma_form(x, M, 2 * M.mpf("0.7978845608"), M.mpf("0.044715"))
    if name == "gelu_approx":
        return _sigma_form(x, M, M.mpf("1.60033"), M.mpf("0.0433603"))
    if name == "gelu_10":
        if x > 10:  # floats above 10 are above z* = 10 + 7.6e-23
            return M.mpf(10), M.mpf(0)
        return _gelu(x, M)  # at 10 PyTorch's clamp passes gelu′
    if name == "xielu":
        return _xielu(x, M)
    raise KeyError(name)


def _xielu_left_slope():
    return -mpmath.log1p(mpmath.exp(mpf(reference._XI_DEFAULTS["alpha_n"])))


LIMITS.update({
    "gelu_fast": ((0, 0), (math.inf, 1)), "gelu_approx": ((0, 0), (math.inf, 1)),
    "gelu_10": ((0, 0), (10, 0)), "xielu": ((math.inf, _xielu_left_slope), (math.inf, math.inf)),
})
NAMES = (*NAMES, "gelu_fast", "gelu_approx", "gelu_10", "xielu")
