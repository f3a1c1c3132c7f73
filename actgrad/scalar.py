"""g and g′ of the piecewise catalogue functions (and softsign) on Python floats, without numpy.

Why: ``actgrad eval|deriv FUNC Z ...`` with a handful of values spends most of its time in
numpy's import. For the functions below the command line (cli/main.py) computes on Python
floats instead and prints the same bits.

Why the bits are the same: every function here is made only of operations IEEE 754 rounds
correctly (+, −, ×, ÷ by 6, comparisons, min/max, abs): numpy's ufuncs and Python's floats
both give the one correctly rounded double for each of them, on every machine, and each
function below performs the operations of its numpy kernel (activations/lecture.py and
activations/piecewise.py, softsign's in activations/smooth.py) in the same order, with the same constants: a port line for line
at the default parameters, with the registry's conventions added (at a kink of g′ the
PyTorch side's slope, nan where z is nan). The command line takes this path only for a call
without options, so no other parameters, kink conventions or --like profiles arise here. Python evaluates float expressions left to right
without fused multiply-adds, as numpy's separate ufunc calls do. The rest is numpy's
semantics written out: ``np.maximum(a, b)`` and ``np.minimum`` are nan when either is, and of
two equal values give the second (``_max``, ``_min``; x86's maxsd, which numpy's loops use).
Of the zeros: the only tie of opposite zeros these kernels meet is relu's and relu6's
max(−0.0, +0.0), which is +0.0 under that rule and under IEEE 754-2019's maximum (aarch64's
fmax) alike; hard_mish's min(−0.0, +0.0) (its clip at 0) is never used for z = −0.0, where
both of its wheres take another branch.

The functions built on exp, log, log1p, expm1, tanh or erf are another matter: those are not
correctly rounded, and numpy's are not the C library's on every machine. np.tanh is numpy's
own SIMD code on every x86-64 CPU (part of the baseline, which NPY_DISABLE_CPU_FEATURES does
not turn off): on the 2-core AVX2 machine of this project (numpy 2.4.6) it differed from
math.tanh on 145,208 of 800,000 values. So tanh's g, gelu, silu, mish and the rest stay on
numpy.

Two exceptions, whose numpy kernels use no transcendental function but np.exp on float64
(besides the correctly rounded operations above): sigmoid's g and g′, and tanh's g′
(activations/lecture.py). numpy's float64 exp loop (DOUBLE_exp in
numpy/_core/src/umath/loops_exponent_log.dispatch.c.src) runs numpy's own AVX512F code, or
SVML's with AVX512_SKX, and otherwise calls npy_exp, the C library's exp, value by value;
math.exp calls the C library's exp too (through another symbol version where glibc has two,
exp@GLIBC_2.2.5 for numpy's wheels and exp@GLIBC_2.29 for CPython: one routine, the older
entry adding only errno's handling). So where the CPU has no AVX512F, np.exp(x) and
math.exp(x) are one routine's result, and the port below gives the numpy path's bits. ``exp_is_libm`` decides that without importing numpy: Linux on x86-64,
no avx512f among /proc/cpuinfo's flags (the kernel lists what CPUID and the OS's saved
register state both allow; without it numpy's dispatch cannot choose AVX512F, and a numpy
built with AVX512F as its baseline refuses to import), and an installed numpy whose version
is one of those whose DOUBLE_exp was read to be this (1.26 to 2.4: a newer numpy could add
a SIMD exp for other CPUs). Anything else (an AVX512F CPU, macOS, an unknown numpy) keeps
these on the numpy path. tests/test_fastpath.py compares both paths over the stress grids
wherever the gate opens, and CI runs it with numpy's dispatch switched off as well.

tests/test_fastpath.py proves the equality: for every function here, g and g′ against
``registry.get(name)`` over its stress grid (tests/stress.py) plus ±0, ±inf, nan and the
extremes, bit for bit (signed zeros included), and the defaults and names against the
catalogue's. A change to one of the kernels that is not made here fails it.
"""

from __future__ import annotations

import math

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable

    Fn = Callable[[float], float]

_SIXTH = 1.0 / 6.0
_TINY = 2.0**-500  # below this |z|, Dekker's splitting would underflow (piecewise._TINY)
_SPLITTER = 134217729.0  # 2**27 + 1 (numerics/special.py)


# -- numpy's semantics and the error-free transformations of numerics/special.py ------------


def _max(a: float, b: float) -> float:
    """np.maximum(a, b): nan if either is nan; of equal values the second."""
    return a if a != a or a > b else b


def _min(a: float, b: float) -> float:
    """np.minimum(a, b): nan if either is nan; of equal values the second."""
    return a if a != a or a < b else b


def _clip(z: float, lo: float, hi: float) -> float:
    return _min(_max(z, lo), hi)


def _two_sum(a: float, b: float) -> tuple[float, float]:
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _split(a: float) -> tuple[float, float]:
    c = _SPLITTER * a
    hi = c - (c - a)
    return hi, a - hi


def _two_prod(a: float, b: float) -> tuple[float, float]:
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _div6(hi: float, lo: float) -> float:
    q = hi / 6.0
    qh, ql = _split(q)
    r = (hi - 6.0 * qh) - 6.0 * ql
    return q + (r + lo) / 6.0


# -- the functions, at their default parameters ---------------------------------------------


def _slope_linear(s: float) -> tuple[Fn, Fn]:
    """leaky_relu, prelu, rrelu: z for z >= 0, s·z below (lecture.slope_linear, s != 0)."""
    return (lambda z: z if z >= 0 else s * _min(z, 0.0)), (lambda z: 1.0 if z > 0 else s)


def _hard_sigmoid(z: float) -> float:
    s, e = _two_sum(_clip(z, -3.0, 3.0), 3.0)
    return _div6(s, e)


def _hard_swish(z: float) -> float:
    zc = _clip(z, -3.0, 3.0)
    s, e = _two_sum(zc, 3.0)
    prod, perr = _two_prod(zc, s)
    mid = _div6(prod, perr + zc * e)
    small = 0.5 * zc + zc * zc * _SIXTH
    if abs(zc) < _TINY:
        mid = small
    return 0.0 if z <= -3 else (z if z >= 3 else mid)


def _hard_swish_deriv(z: float) -> float:
    s, e = _two_sum(2.0 * _clip(z, -3.0, 3.0), 3.0)
    mid = _div6(s, e)
    return 0.0 if z < -3 else (1.0 if z > 3 else mid)


def _sparse_plus(z: float) -> float:
    s, e = _two_sum(_clip(z, -1.0, 1.0), 1.0)
    sq, sqe = _two_prod(s, s)
    mid = (sq + (sqe + 2.0 * s * e)) * 0.25
    return z if z >= 1 else mid


def _hard_mish(z: float) -> float:
    zc = _clip(z, -2.0, 0.0)
    s, e = _two_sum(zc, 2.0)
    prod, perr = _two_prod(zc, s)
    mid = 0.5 * (prod + (perr + zc * e))
    small = zc + 0.5 * (zc * zc)
    if abs(zc) < _TINY:
        mid = small
    return 0.0 if z <= -2 else (z if z >= 0 else mid)


def _relu2(z: float) -> float:
    zp = z if z > 0 else (z if z != z else 0.0)
    return zp * zp


def _softsign(z: float) -> float:
    if z in (_INF, -_INF):
        return 1.0 if z > 0 else -1.0  # np.sign(±inf)
    return z / (1.0 + abs(z))


def _one_plus_sq(e: float) -> float:
    s, t = _two_sum(1.0, e)
    p, q = _two_prod(s, s)
    return p + (q + 2.0 * s * t + t * t)


def _softsign_deriv(z: float) -> float:
    az = abs(z)
    if az >= 2.0**500:
        return (1.0 / az) / az
    return 1.0 / _one_plus_sq(az)  # (nan: nan)


# -- sigmoid and tanh′: np.exp, where it is the C library's exp (exp_is_libm) ----------------


def _fast_two_sum(a: float, b: float) -> tuple[float, float]:
    s = a + b
    return s, b - (s - a)


def _over_square(num: float, e: float) -> float:
    """lecture._over_square: num / (1 + e)², 1 + e and its square carried to first order.
    Its _two_square(dh) is _two_prod(dh, dh) here: both give dh² = p + pe exactly (dh in
    [1, 2]), so pe is the one real number dh² − p either way (lecture._sigmoid_deriv_into's
    docstring), whichever splits and order of sums produce it."""
    dh, dl = _fast_two_sum(1.0, e)
    p, pe = _two_prod(dh, dh)
    r = num / p
    return r - r * ((pe + 2.0 * dh * dl) / p)


def _sigmoid(z: float) -> float:
    e = math.exp(-abs(z))  # −|z| <= 0: no OverflowError; nan gives nan, −inf 0
    dh, dl = _fast_two_sum(1.0, e)
    r = _max(e, 1.0 if z >= 0 else 0.0) / dh
    return r - r * (dl / dh)


def _sigmoid_deriv(z: float) -> float:
    e = math.exp(-abs(z))
    return _over_square(e, e)


def _tanh_deriv(z: float) -> float:
    az = _min(abs(z), 800.0)
    if az < 350.0:
        e = math.exp(-2.0 * az)
        return _over_square(4.0 * e, e)
    t = 2.0 * math.exp(-az)
    return t * t  # (nan: nan)


#: name -> (aliases, default parameters, g or None (numpy's g is not exp's), g′); no kinks
EXP_FUNCTIONS: dict[str, tuple[tuple[str, ...], dict[str, float], Fn | None, Fn]] = {
    "sigmoid": (("logistic",), {}, _sigmoid, _sigmoid_deriv),
    "tanh": ((), {}, None, _tanh_deriv),
}

#: numpy versions whose float64 exp loop was read to call the C library's exp wherever the
#: CPU lacks AVX512F (the module's docstring)
EXP_NUMPY = ((1, 26), (2, 4))
_exp_is_libm: bool | None = None


def exp_is_libm() -> bool:
    """Whether np.exp on float64 here is the C library's exp, value by value, as math.exp is
    (the module's docstring says why these tests tell); found without importing numpy."""
    global _exp_is_libm
    if _exp_is_libm is None:
        _exp_is_libm = _cpu_without_avx512f() and _numpy_version_in(*EXP_NUMPY)
    return _exp_is_libm


def _cpu_without_avx512f() -> bool:
    import os
    import sys

    if not sys.platform.startswith("linux") or os.uname().machine != "x86_64":
        return False
    return _no_avx512f_in("/proc/cpuinfo")


def _no_avx512f_in(path: str) -> bool:
    """Whether the cpuinfo file `path` has flags lines and none lists avx512f: every CPU's
    (the whole file, about 1.5 KB a CPU; a machine's CPUs need not all list the same)."""
    seen = False
    try:
        with open(path, "rb") as f:
            for line in f:
                if line.startswith(b"flags") and b":" in line:
                    if b"avx512f" in line.split(b":", 1)[1].split():
                        return False
                    seen = True
    except OSError:
        return False
    return seen  # (no flags: not known)


def _numpy_version_in(lo: tuple[int, int], hi: tuple[int, int]) -> bool:
    """The numpy that ``import numpy`` would load has a version from lo to hi (major.minor,
    both included), read from its numpy/version.py."""
    import importlib.util
    import os

    try:
        spec = importlib.util.find_spec("numpy")
        where = list(spec.submodule_search_locations or ()) if spec else []
        with open(os.path.join(where[0], "version.py"), encoding="utf-8") as f:
            text = f.read(4096)
    except (OSError, IndexError, ImportError, ValueError):
        return False
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key.strip() in ("version", "version: str"):
            parts = value.strip().strip("\"'").split(".")
            try:
                return lo <= (int(parts[0]), int(parts[1])) <= hi
            except (IndexError, ValueError):
                return False
    return False


_INF = float("inf")
_RRELU_SLOPE = (1.0 / 8.0 + 1.0 / 3.0) / 2.0  # piecewise._rrelu_slope at the defaults
_LAMBD = 0.5

#: name -> (aliases, default parameters, g, g′ away from kinks, ((kink, PyTorch's g′), ...))
FUNCTIONS: dict[str, tuple[tuple[str, ...], dict[str, float], Fn, Fn,
                           tuple[tuple[float, float], ...]]] = {
    "relu": ((), {}, lambda z: _max(z, 0.0), lambda z: 1.0 if z > 0 else 0.0, ((0.0, 0.0),)),
    "leaky_relu": (("lrelu",), {"negative_slope": 0.01}, *_slope_linear(0.01), ((0.0, 0.01),)),
    "identity": (("linear",), {}, lambda z: z, lambda z: 1.0, ()),
    "relu6": ((), {}, lambda z: _clip(z, 0.0, 6.0),
              lambda z: 1.0 if z > 0 and z < 6 else 0.0, ((0.0, 0.0), (6.0, 0.0))),
    "prelu": ((), {"weight": 0.25}, *_slope_linear(0.25), ((0.0, 0.25),)),
    "rrelu": ((), {"lower": 1.0 / 8.0, "upper": 1.0 / 3.0}, *_slope_linear(_RRELU_SLOPE),
              ((0.0, _RRELU_SLOPE),)),
    "hard_sigmoid": (("hardsigmoid",), {"alpha": _SIXTH, "beta": 0.5}, _hard_sigmoid,
                     lambda z: _SIXTH if z > -3 and z < 3 else 0.0, ((-3.0, 0.0), (3.0, 0.0))),
    "hard_swish": (("hardswish", "hard_silu"), {}, _hard_swish, _hard_swish_deriv,
                   ((-3.0, 0.0), (3.0, 1.0))),
    "hard_tanh": (("hardtanh",), {"min_val": -1.0, "max_val": 1.0},
                  lambda z: _clip(z, -1.0, 1.0), lambda z: 1.0 if z > -1 and z < 1 else 0.0,
                  ((-1.0, 0.0), (1.0, 0.0))),
    "softshrink": (("soft_shrink",), {"lambd": _LAMBD},
                   lambda z: (_max(z, _LAMBD) - _LAMBD) + (_min(z, -_LAMBD) + _LAMBD),
                   lambda z: 1.0 if abs(z) > _LAMBD else 0.0, ((-_LAMBD, 0.0), (_LAMBD, 0.0))),
    "hardshrink": (("hard_shrink",), {"lambd": _LAMBD},
                   lambda z: z if abs(z) > _LAMBD else (z if z != z else 0.0),
                   lambda z: 1.0 if abs(z) > _LAMBD else 0.0, ((-_LAMBD, 0.0), (_LAMBD, 0.0))),
    "threshold": ((), {"threshold": 0.0, "value": 0.0},
                  lambda z: z if z > 0.0 else (z if z != z else 0.0),
                  lambda z: 1.0 if z > 0.0 else 0.0, ((0.0, 0.0),)),
    "sparse_plus": ((), {}, _sparse_plus, lambda z: (_clip(z, -1.0, 1.0) + 1.0) * 0.5, ()),
    "sparse_sigmoid": ((), {}, lambda z: (_clip(z, -1.0, 1.0) + 1.0) * 0.5,
                       lambda z: 0.5 if z > -1 and z < 1 else 0.0,
                       ((-1.0, (0.0 + 0.5) / 2), (1.0, (0.5 + 0.0) / 2))),  # the mean
    "relu2": (("relu_squared",), {}, _relu2, lambda z: 2.0 * (z if z > 0 else 0.0), ()),
    "hard_mish": ((), {}, _hard_mish,
                  lambda z: 0.0 if z < -2 else (1.0 if z > 0 else _clip(z, -2.0, 0.0) + 1.0),
                  ((-2.0, -1.0),)),
    "softsign": (("soft_sign",), {}, _softsign, _softsign_deriv, ()),
    "step": ((), {"threshold": 0.0}, lambda z: 1.0 if z > 0.0 else (z if z != z else 0.0),
             lambda z: 0.0, ((0.0, 0.0),)),
}


def _key(name: str) -> str:
    return name.strip().lower().replace("-", "_")  # registry._key


_BY_KEY = {_key(n): name for name, entry in FUNCTIONS.items() for n in (name, *entry[0])}


_EXP_BY_KEY = {_key(n): name for name, entry in EXP_FUNCTIONS.items() for n in (name, *entry[0])}


def canonical(name: str) -> str | None:
    """The piecewise function `name` (a name or an alias, any case, '-' for '_') names here,
    or None."""
    return _BY_KEY.get(_key(name))


def resolve(name: str, deriv: bool) -> str | None:
    """The function `name` names, if this module computes its g (deriv: g′) on this machine
    with the numpy path's bits: a piecewise one, or sigmoid's g and g′ and tanh's g′ where
    exp_is_libm(); else None."""
    found = canonical(name)
    if found is not None:
        return found
    found = _EXP_BY_KEY.get(_key(name))
    if found is None or (not deriv and EXP_FUNCTIONS[found][2] is None):
        return None
    return found if exp_is_libm() else None


def evaluate(name: str, deriv: bool, zs: list[float]) -> list[float]:
    """g(z) (deriv: g′(z) at PyTorch's side of a kink) for each z, as ``registry.get(name)``
    and its ``deriv`` give them in float64; `name` as ``canonical`` or ``resolve`` takes it
    (KeyError otherwise; an exp function's g or g′ only where ``resolve`` gives it)."""
    key = _key(name)
    if key in _EXP_BY_KEY:
        _, _, g_exp, dg_exp = EXP_FUNCTIONS[_EXP_BY_KEY[key]]
        f = dg_exp if deriv else g_exp
        if f is None:
            raise KeyError(name)
        return [f(z) for z in zs]
    _, _, g, dg, kinks = FUNCTIONS[_BY_KEY[key]]
    if not deriv:
        return [g(z) for z in zs]
    out = []
    for z in zs:
        d = dg(z)
        for at, slope in kinks:
            if z == at:
                d = slope
        out.append(z if z != z else d)  # nan at nan (the printed text is 'nan' for any nan)
    return out
