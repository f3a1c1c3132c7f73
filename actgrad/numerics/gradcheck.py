"""Numerical derivatives and the gradient check.

Grid (``GRID_HELP``, ``default_grid``). 1,001 points on [−10, 10] (spacing 0.02, 0 on it);
the tails, log-spaced on both sides out to the largest float: 40 points per decade on
10 < |z| <= 1000 (exponential tails: g′ of gelu, tanh, sigmoid, silu, … becomes subnormal,
then 0, between |z| ≈ 38 and 745; the textbook a(1−a) and 1−a² keep no digit beyond
|z| ≈ 37 and 19), then |z| = 1e4, 1e5, …, 1e160 (algebraic tails: softsign′ and squareplus′
underflow near 1e154), 1e164, 1e168, …, 1e308 and 1.7976931348623157e308; towards 0,
|z| = 10^−2.5, 10^−3, …, 1e-20 (two per decade), 1e-30, 1e-40, …, 1e-300, 2^−1022 and
5e-324; and, on the grid of one function, around each of its kinks and breaks k:
k ± 10^−3.5, k ± 1e-4, …, k ± 1e-12 (two per decade) and the two floats next to k. The
points are decimal powers rounded once (``decimal``), the same on every machine.

Method (``METHOD_HELP``). At a point farther than h from every kink and break, central
differences D(u) = (g(z+u) − g(z−u))/2u at u = h, h/2, h/4, Richardson-extrapolated to
R = (64·D(h/4) − 20·D(h/2) + D(h))/45, error O(h⁶). Within h of a kink (a jump of g′; of g
too for hardshrink and threshold) or of a break (g′ continuous, g″ jumping: elu, celu and
softsign at 0, sparse_plus at ±1), and at a break itself, the differences are one-sided, on
z's side, away from the nearest such point: F(u) = ±(−3g(z) + 4g(z±u) − g(z±2u))/2u at
u = h′, h′/2, h′/4, h′/8, extrapolated to remove u², u³ and u⁴ (error O(h′⁵)), where h′ = h, or
a quarter of the distance to the next kink or break on that side when that is smaller: no
stencil reaches across a kink or touches one. Only a kink itself is not checked (g′ there is
a convention). Where the last extrapolation changed the estimate by more than 1e-11 of
max(|R|, s, 2^−1074/2e-11) (g varying on a finer scale than h, as celu with alpha = 0.001
does; the floor: half a subnormal ULP of truncation error), the
step is divided by 4 and the estimate taken again, down to h/1024; a point where it has not
settled even there is "unresolved": it has no numerical derivative (nan), is counted, and the
check does not pass (a smaller step resolves it). So the numerical derivative is good to about
1e-11 of g′, and far better where g is smooth on the scale of h: the check resolves errors far
below the default tolerance. (What no difference quotient can see is a feature of g narrower
than the smallest step that looks the same at every step, such as the corner of softplus with
beta = 1e30 next to 0: keep parameters to scales the step resolves, or give a smaller step.)

g is evaluated in ball arithmetic (python-flint's arb, on the catalogue's ``exact`` form of
the function, written independently of the float64 code under check), z ± u exactly. The
precision starts from the float path's |g|/|g′| and 1/h, and the estimate is accepted only
when the proven bound on its rounding error (the radius of the ball R) is below 2^−60 of
max(|R|, s, 2^−1022); otherwise the precision is raised by the bits missing. So rounding in
the differences cannot matter (a plain float64 central difference cannot resolve
tanh′(10) ≈ 8e-9 beside tanh(10) ≈ 1 to better than about 1e-7), also where a wrong g′ makes
the start too low. The result is the float64 nearest to the midpoint of R; beyond the float
range it is ±inf. Step rule: h = step, absolute, 1e-3 by default (a step relative to |z| would
be too coarse in the exponential tails).

Second derivatives (``ORDER2_HELP``; ``order=2`` of ``check``, ``check_all``, ``table_rows``,
``numeric_deriv``, …). g″ is checked the same way against the differences of g′: the same
stencils, extrapolation, step refinement and precision search, with g′ in place of g,
evaluated in ball arithmetic on the catalogue's high-precision g′ (``Spec.exact_dg``, written
independently of the float64 g″ under check; the precision starts from |g′|/|g″|), and the
same error measure, s being the size of g″ around z (the same slopes, of g′). Left out, as
kinks are for g′: the kinks of f (g′ jumps: g″ is a delta there, of which the frameworks
return the branch's derivative) and the jumps of g″ (``Activation.kinks2``: elu, selu, celu
and softsign at 0, hard_swish at ±3, sparse_plus at ±1, softplus at a finite threshold),
where g″ is a convention; they are the "kinks" of order 2. The differences are one-sided
within h of those and of every other point where the definition of f changes form (the
Spec's kinks, breaks and jumps of g″ as written, for any parameters), so that no stencil
straddles a jump of g‴ either. (No jump of g‴ falls where g″ is continuous in the
catalogue: at every seam of a piecewise g, g′ or g″ itself jumps, or the parameters make the
pieces one function, as prelu with weight 1.)

Error (``ERROR_HELP``, ``relative_error``). The error of a derivative a = g′(z) against the
numerical n is

    |a − n| / max(|n|, s/2, 2^−1022);   0 where a = n (±inf = ±inf too); nan if either is nan,

which is the plain relative error |a − n|/|n| wherever |n| >= s/2 and |n| >= 2^−1022. s is
the size of g′ around z, at the final step h: for central differences the larger mean slope
2|g(z ± h) − g(z ± h/2)|/h over the stencil's outer quarters, for one-sided ones
|g(z ± h) − g(z)|/h. So s/2 > |n| only where |g′| reaches twice |g′(z)| within h of z: next
to a zero of g′ (silu, mish, gelu, tanhshrink at 0), where the error is measured against the
size g′ has around z rather than against ~0.
Below 2^−1022 float64 has only absolute resolution, so there the error is measured against
2^−1022: one ULP of a subnormal counts 2^−52, as for a normal number. ``--tol`` bounds this
number: 1 + 2e-7 times the true g′ fails at 1e-7.
"""

from __future__ import annotations

import functools
import math
import signal
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from ..registry import Activation
from . import DEFAULT_STEP, DEFAULT_TOL, available_cores

GOOD = DEFAULT_TOL  # at most this: the derivative is right (1e-7)
WRONG = 1e-3  # at least this: the derivative is wrong; in between: suspicious
#: the derivatives the check takes: g′ (differences of g) and g″ (differences of g′)
CHECK_ORDERS = (1, 2)
TINY = 2.0**-1022  # the smallest normal float64: below it, resolution is absolute
_SHRINK = 4  # where the extrapolation has not converged, the step is divided by this
_MAX_SHRINKS = 5  # at most: h down to step/1024
_CONVERGED = 1e-11  # estimated truncation error, relative to max(|R|, s, _TARGET_FLOOR)
_ROUNDING_BITS = 60  # proven rounding error at most 2^-60 of max(|R|, s, TINY)
#: the floor of what the truncation error is compared with: _CONVERGED times it is half the
#: subnormal spacing, so that a subnormal g′ (laplace's near z = −10) is settled to its last
#: bit, not only to 1e-11 of the smallest normal (tens of subnormal ULPs)
_TARGET_FLOOR = 2.0**-1074 / (2 * _CONVERGED)
_MAX_PREC = 1 << 16  # bits; beyond this a point's numerical derivative is nan (never seen)

GRID_HELP = (
    "Grid: 1,001 points on [−10, 10] (spacing 0.02); the tails, log-spaced on both sides out"
    " to the largest float: 40 per decade on 10 < |z| <= 1000 (where the exponential tails of"
    " g′ underflow), then |z| = 1e4, 1e5, …, 1e160 (one per decade), 1e164, 1e168, …, 1e308"
    " and 1.7976931348623157e308; towards 0, |z| = 10^−2.5, 10^−3, …, 1e-20 (two per decade),"
    " 1e-30, 1e-40, …, 1e-300, 2^−1022 and 5e-324; around each kink and break k of the"
    " function, k ± 10^−3.5, k ± 1e-4, …, k ± 1e-12 (two per decade) and the floats next to k;"
    " plus the Z given."
)

METHOD_HELP = (
    "Method: central differences D(u) = (g(z+u) − g(z−u))/2u at u = h, h/2, h/4,"
    " Richardson-extrapolated to (64·D(h/4) − 20·D(h/2) + D(h))/45 (error O(h⁶)). Within h of"
    " a kink, or of a point where g′ is continuous but g″ jumps (elu, celu, softsign at 0;"
    " sparse_plus at ±1), one-sided differences on z's side, away from that point, at"
    " u = h′, h′/2, h′/4, h′/8 (h′ = h, or a quarter of the distance to the next such point"
    " beyond if smaller), extrapolated in u², u³, u⁴: no stencil crosses or touches a kink."
    " Only a kink itself is left out (g′ there is a convention) and counted. Where the"
    " extrapolation has not settled to 1e-11, h is divided by 4, down to h/1024; a point"
    " still unsettled there is counted as unresolved and fails the check. g is"
    " evaluated in ball arithmetic (python-flint arb) from the catalogue's high-precision"
    " form, written independently of the float64 code, at a precision raised until the"
    " proven rounding error is below 2^−60 of the result, then rounded to float64. Step rule:"
    " h = --step, absolute, default 1e-3."
)

ERROR_HELP = (
    "Error: |a−n| / max(|n|, s/2, 2^−1022) for the derivative a and the numerical n (0 where"
    " a = n): the plain relative error |a−n|/|n|, except next to a zero of g′, where"
    " |n| < s/2 with s the size of g′ around z (the larger mean slope of the stencil's outer"
    " quarters, 2|g(z±h) − g(z±h/2)|/h; one-sided: |g(z±h) − g(z)|/h), and for subnormal n,"
    " measured against 2^−1022 (one ULP counts 2^−52 there as everywhere). Verdict: <= 1e-7"
    " good, >= 1e-3 wrong, between: suspicious."
)

ORDER2_HELP = (
    "--order 2: g″ is checked the same way against the differences of g′ (ball arithmetic on"
    " the catalogue's high-precision g′, independent of the float64 g″), s being the size of"
    " g″ around z. Left out, as kinks: the kinks of g (g′ jumps) and the jumps of g″ (elu,"
    " selu, celu, softsign at 0; hard_swish at ±3; sparse_plus at ±1), where g″ is a"
    " convention; one-sided differences within h of them and of every other point where g"
    " changes form."
)

KIND_HELP = (
    "Kind: \"kink\" where z is a kink of the function (g′ is the --kink convention there; no"
    " numerical g′, no error); \"near kink\" within --step of one (checked with one-sided"
    " differences). With --order 2 the same for g″ (d2g_kind), a kink being a jump of g′ or"
    " of g″."
)


# ------------------------------------------------------------------------------------------
# the grid


def _pow10(num: int, den: int) -> float:
    """10^(num/den) correctly rounded, the same on every machine (decimal, not libm or
    numpy's SIMD pow, which may differ in the last bit)."""
    import decimal

    with decimal.localcontext() as c:
        c.prec = 40
        return float(decimal.Decimal(10) ** (decimal.Decimal(num) / decimal.Decimal(den)))


def _universal_grid() -> np.ndarray:
    core = np.arange(-500, 501, dtype=np.float64) / 50.0
    tails = [_pow10(40 + j, 40) for j in range(1, 81)]  # 10 < |z| <= 1000, 40 per decade
    tails += [float(f"1e{k}") for k in range(4, 161)]  # 1e4 … 1e160, one per decade
    tails += [float(f"1e{k}") for k in range(164, 309, 4)]  # 1e164 … 1e308
    tails += [float(np.finfo(np.float64).max)]
    small = [_pow10(-j, 2) for j in range(5, 41)]  # 10^-2.5 … 1e-20, two per decade
    small += [float(f"1e-{k}") for k in range(30, 301, 10)]  # 1e-30 … 1e-300
    small += [TINY, 5e-324]
    pos = np.array(tails + small)
    return np.unique(np.concatenate([core, pos, -pos]))


@functools.lru_cache(maxsize=None)
def _grids() -> tuple[np.ndarray, np.ndarray]:
    """The grid of every function, and the offsets around kinks, 10^-3.5 … 10^-12 (made on
    first use: not on the start-up path of the commands that only import the defaults)."""
    grid = _universal_grid()
    near = np.array([_pow10(-j, 2) for j in range(7, 25)])
    grid.setflags(write=False)
    near.setflags(write=False)
    return grid, near


def default_grid(f: Activation | None = None, order: int = 1) -> np.ndarray:
    """The default grid (see the module doc, ``GRID_HELP``): with a function, including the
    points around each of its kinks and breaks (for `order` 2: of g′, ``_singular``), and
    only those inside its domain (``_off_domain``: log1mexp's z > 2^-1064); sorted, each
    point once."""
    grid, near = _grids()
    if f is None:
        return grid.copy()
    z = _default_grid(f, order, grid, near)
    return z[~_off_domain(f, z)]


def _default_grid(f: Activation, order: int, grid: np.ndarray, near: np.ndarray) -> np.ndarray:
    extra = []
    with np.errstate(over="ignore"):
        for k in _singular(f, check_order(order)):
            extra.append(k + near)
            extra.append(k - near)
            extra.append([np.nextafter(k, -np.inf), np.nextafter(k, np.inf)])
    if not extra:
        return grid.copy()
    z = np.concatenate([grid, *extra])
    return np.unique(z[np.isfinite(z)])


def check_order(order: Any) -> int:
    """order as an int in ``CHECK_ORDERS``, else a ValueError saying what is allowed."""
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or (
            order not in CHECK_ORDERS):
        raise ValueError(f"the gradient check takes order 1 (g′) or 2 (g″), got {order!r}")
    return int(order)


def _excluded(f: Activation, order: int) -> list[float]:
    """The points left out at `order`: where that derivative is a convention. Order 1: the
    kinks of f (jumps of g′); order 2: those and the jumps of g″ (kinks of g′)."""
    at = {float(k.at) for k in f.kinks}
    if order == 2:
        at |= {float(k.at) for k in f.kinks2}
    return sorted(at)


def _singular(f: Activation, order: int = 1) -> list[float]:
    """The points no stencil may straddle, sorted. Order 1: the kinks and breaks of f.
    Order 2: every point where the catalogue's definition of f changes form, the kinks and
    breaks of the Spec as written (those whose sides agree too, as prelu's with weight 1)
    and the points where g″ jumps: a difference quotient of g′ across a jump of g‴ has the
    O(h) error a jump of g″ gives order 1 (the catalogue has no jump of g‴ where g″ is
    continuous, but a parameter may make one of these points such a point)."""
    ends = {float(v) for v in f.spec.domain(dict(f.params)) if math.isfinite(v)}  # log1mexp
    if order == 1:
        return sorted({float(k.at) for k in f.kinks} | {float(b) for b in f.breaks} | ends)
    p = dict(f.params)
    sp = f.spec
    return sorted({float(k.at) for k in (*sp.kinks(p), *sp.d2g_kinks(p), *f.kinks, *f.kinks2)}
                  | {float(b) for b in sp.breaks(p)} | ends)


# ------------------------------------------------------------------------------------------
# classification of points


def point_kinds(f: Activation, z: Any, step: float = DEFAULT_STEP, order: int = 1) -> np.ndarray:
    """Per point: "kink" at a kink of f (not checked: g′ there is a convention), "near kink"
    within `step` of one (checked with one-sided differences), "" otherwise. For order 2 a
    kink is a jump of g′ or of g″ (a kink of g′: g″ there is a convention).

    (Points within `step` of a break, where g′ is continuous, are differentiated one-sided
    too but are no kink: "".)
    """
    z = np.asarray(z, dtype=np.float64)
    kinds = np.full(z.shape, "", dtype="<U9")
    at = np.zeros(z.shape, dtype=bool)
    near = np.zeros(z.shape, dtype=bool)
    with np.errstate(invalid="ignore", over="ignore"):
        for k in _excluded(f, check_order(order)):
            at |= z == k
            near |= np.abs(z - k) <= step
    kinds[near] = "near kink"
    kinds[at] = "kink"
    return kinds


def _stencils(f: Activation, z: np.ndarray, step: float,
              order: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Per point: the side (0 central, +1 forward, −1 backward; 2 not checked: a kink, or
    not finite) and the step h′ to use."""
    side = np.zeros(z.shape, dtype=np.int8)
    h = np.full(z.shape, float(step))
    side[~np.isfinite(z)] = 2
    s = np.array(_singular(f, order), dtype=np.float64)
    if s.size == 0:
        return side, h
    fin = np.isfinite(z)
    zf = np.where(fin, z, 0.0)
    # nearest singular point at or below z, and strictly above it
    i = np.searchsorted(s, zf, side="right")
    with np.errstate(invalid="ignore", over="ignore"):
        below = np.where(i > 0, zf - s[np.maximum(i - 1, 0)], np.inf)
        above = np.where(i < s.size, s[np.minimum(i, s.size - 1)] - zf, np.inf)
    near = fin & (np.minimum(below, above) <= step)
    right = below <= above  # away from the nearer one (a break itself: forward)
    side[near & right] = 1
    side[near & ~right] = -1
    with np.errstate(invalid="ignore"):
        room = np.where(right, above, below) / 4
    h = np.where(near, np.minimum(step, room), h)
    kinks = np.array(_excluded(f, order), dtype=np.float64)
    side[fin & np.isin(z, kinks)] = 2
    lo, hi = f.spec.domain(dict(f.params))  # outside the domain and at its ends: not checked
    side[fin & ~((z > lo) & (z < hi))] = 2
    # next to an end of the domain g is singular (log1mexp ~ log z): a step of 1/1024 of the
    # distance, so that the one-sided differences converge
    for end in (lo, hi):
        if math.isfinite(end):
            with np.errstate(invalid="ignore", over="ignore", under="ignore"):
                dist = np.abs(zf - end)
                h = np.where(fin, np.minimum(h, dist / 1024), h)
            side[fin & (dist < _EDGE)] = 2  # no float step that small: not checked
            h = np.where(side == 2, float(step), h)  # (unused there, but a float step)
    return side, h


#: within this of an end of the domain no step dist/1024 is a float: those points are not
#: checked, nor counted (``_off_domain``)
_EDGE = 2.0**-1064


def _off_domain(f: Activation, z: np.ndarray) -> np.ndarray:
    """Points the check leaves out and does not count: outside f's domain, at its ends and
    within _EDGE of them (log1mexp: z < 2^-1064)."""
    lo, hi = f.spec.domain(dict(f.params))
    with np.errstate(invalid="ignore", over="ignore"):
        out = ~((z > lo) & (z < hi))
        for end in (lo, hi):
            if math.isfinite(end):
                out |= np.abs(z - end) < _EDGE
    return out


# ------------------------------------------------------------------------------------------
# ball arithmetic in the shape of the mpmath module the catalogue's exact forms expect


class _Prec:
    def __init__(self, ctx: Any):
        self._ctx = ctx

    @property
    def prec(self) -> int:
        return self._ctx.prec


class _ExtraPrec:
    def __init__(self, ctx: Any, n: int):
        self._ctx, self._n = ctx, int(n)

    def __enter__(self) -> None:
        self._ctx.prec += self._n

    def __exit__(self, *exc: Any) -> None:
        self._ctx.prec -= self._n


class _ArbModule:
    """What the ``exact`` forms use of mpmath, on python-flint arb balls: mpf, exp, expm1,
    log1p, tanh, cosh, sech, sqrt, erfc, npdf, pi, mag, extraprec, mp.prec. Comparisons of
    balls are certain or False; the forms compare exact z ± t with exact constants."""

    def __init__(self) -> None:
        from flint import arb, ctx

        self._arb, self._ctx = arb, ctx
        self.mp = _Prec(ctx)
        self._consts: dict[tuple[Any, int], Any] = {}  # decimal constants and π, per precision

    def mpf(self, x: Any) -> Any:
        if type(x) is str:  # a decimal constant of a form: parsed once per precision
            key = (x, self._ctx.prec)
            v = self._consts.get(key)
            if v is None:
                if len(self._consts) > 4096:
                    self._consts.clear()
                v = self._consts[key] = self._arb(x)
            return v
        return self._arb(x)

    def _a(self, x: Any) -> Any:
        return x if isinstance(x, self._arb) else self._arb(x)

    def exp(self, x: Any) -> Any:
        try:
            return x.exp()
        except AttributeError:
            return self._arb(x).exp()

    def expm1(self, x: Any) -> Any:
        try:
            return x.expm1()
        except AttributeError:
            return self._arb(x).expm1()

    def log1p(self, x: Any) -> Any:
        try:
            return x.log1p()
        except AttributeError:
            return self._arb(x).log1p()

    def log(self, x: Any) -> Any:
        return self._a(x).log()

    @property
    def nan(self) -> Any:
        return self._arb.nan()

    def tanh(self, x: Any) -> Any:
        try:
            return x.tanh()
        except AttributeError:
            return self._arb(x).tanh()

    def cosh(self, x: Any) -> Any:
        return self._a(x).cosh()

    def sech(self, x: Any) -> Any:
        return self._a(x).sech()

    def sqrt(self, x: Any) -> Any:
        try:
            return x.sqrt()
        except AttributeError:
            return self._arb(x).sqrt()

    def erfc(self, x: Any) -> Any:
        return self._a(x).erfc()

    def npdf(self, x: Any) -> Any:
        x = self._a(x)
        return (-x * x / 2).exp() / (2 * self._arb.pi()).sqrt()

    @property
    def pi(self) -> Any:
        key = (None, self._ctx.prec)
        v = self._consts.get(key)
        if v is None:
            v = self._consts[key] = self._arb.pi()
        return v

    def mag(self, x: Any) -> int:
        man, exp = self._a(x).mid().man_exp()
        man = int(man)
        return int(exp) + man.bit_length() if man else -(1 << 62)

    def extraprec(self, n: int) -> _ExtraPrec:
        return _ExtraPrec(self._ctx, n)


_ARB: _ArbModule | None = None


def _arb_module() -> _ArbModule:
    global _ARB
    if _ARB is None:
        _ARB = _ArbModule()
    return _ARB


# ------------------------------------------------------------------------------------------
# the numerical derivative


def numeric_deriv(f: Activation, z: Any, step: float = DEFAULT_STEP,
                  order: int = 1) -> np.ndarray:
    """The numerical derivative of g (order 2: of g′, the numerical g″) at each z (see the
    module doc); nan at ±inf, nan and at the kinks of f (order 2: of g′ too), whose
    derivative is a convention."""
    return numeric_with_scale(f, z, step, order)[0]


def numeric_with_scale(f: Activation, z: Any, step: float = DEFAULT_STEP,
                       order: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """The numerical derivative, and s, the size of g′ (order 2: g″) around each z (see
    ``ERROR_HELP``); both nan where nothing is computed (±inf, nan, a kink)."""
    z = np.asarray(z, dtype=np.float64)
    flat = z.ravel()
    num, scale = _numeric_flat(f, flat, step, check_order(order))
    return num.reshape(z.shape), scale.reshape(z.shape)


def _numeric_flat(f: Activation, flat: np.ndarray, step: float,
                  order: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """The differences of g (order 1) or of g′ (order 2) at each point of `flat`."""
    ar = _arb_module()
    from flint import arb, ctx

    side, hs = _stencils(f, flat, step, order)
    with np.errstate(all="ignore"):
        # |g| and |g′| (order 2: |g′| and |g″|) from the float path
        g = np.abs(np.asarray(f(flat) if order == 1 else f.deriv(flat), dtype=np.float64))
        dg = np.abs(np.asarray(f.deriv(flat, order=order), dtype=np.float64))
        # bits by which g′ is smaller than g, the start of the precision search
        ratio = np.log2(np.where((g > 0) & np.isfinite(g), g, 1.0)) - np.log2(
            np.where(np.isfinite(dg), np.maximum(dg, TINY), 1.0))
    ratio = np.clip(np.nan_to_num(ratio), 0, 1100)
    start = _start_prec(flat, hs, ratio)
    out = np.full(flat.shape, np.nan)
    scale = np.full(flat.shape, np.nan)
    exact = f.spec.exact if order == 1 else f.spec.exact_dg
    params = dict(f.params)
    saved = ctx.prec
    try:
        for i, (zi, si, hi, pi) in enumerate(zip(flat.tolist(), side.tolist(), hs.tolist(),
                                                 start.tolist())):
            if si == 2:
                continue
            out[i], scale[i] = _point(exact, params, ar, arb, ctx, zi, hi, si, pi)
    finally:
        ctx.prec = saved
    return out, scale


def _start_prec(z: np.ndarray, h: np.ndarray, ratio: np.ndarray) -> np.ndarray:
    """The precision (bits) to start each point at: enough that z ± t is exact for every step
    t = h·2^−k used (k <= 14), and that rounding errors of |g| size, divided by the smallest
    step h/8, stay below 2^−(60+12) of |g′| (``ratio`` = log2 |g|/|g′| from the float path)."""
    fin = np.isfinite(z)
    ez = np.frexp(np.where(fin, z, 0.0))[1].astype(np.int64)
    eh = np.frexp(h)[1].astype(np.int64)
    lsb = np.minimum(np.where(z == 0, eh, ez) - 53, eh - 53 - 14)
    msb = np.maximum(ez, eh + 1) + 1
    with np.errstate(divide="ignore"):
        steps = np.ceil(-np.log2(h / 8))
    rounding = _ROUNDING_BITS + 12 + np.ceil(ratio) + steps
    return np.maximum(msb - lsb + 2, rounding).astype(np.int64)


_OFFSETS: dict[float, Any] = {}  # exact steps ±h·2^−k as arb balls (exact at any precision)


def _offset(arb: Any, h: float, k: float) -> Any:
    u = h * k
    v = _OFFSETS.get(u)
    if v is None:
        if u / k != h:  # h·k underflowed: not exact as a float
            return arb(h) * k
        if len(_OFFSETS) > 4096:
            _OFFSETS.clear()
        v = _OFFSETS[u] = arb(u)
    return v


def _point(exact: Callable[..., Any], params: dict[str, Any], ar: _ArbModule, arb: Any,
           ctx: Any, z: float, h: float, side: int, prec: int) -> tuple[float, float]:
    """(numerical g′, scale s) at one point, starting at `prec` bits."""
    while prec <= _MAX_PREC:
        ctx.prec = prec
        x = arb(z)
        cache: dict[float, Any] = {}

        def at(k: float) -> Any:
            v = cache.get(k)
            if v is None:
                v = cache[k] = exact(x + _offset(arb, h, k) if k else x, params, ar)
            return v

        deficit = 0
        vals: Any = None
        for j in range(_MAX_SHRINKS + 1):
            k = 1.0 / _SHRINK**j
            if side == 0 and j == 0:
                # the first stencil, without the cache's bookkeeping (most points need only
                # it): the same six values as at(±1), at(±1/2), at(±1/4)
                t, t2, t4 = _offset(arb, h, 1.0), _offset(arb, h, 0.5), _offset(arb, h, 0.25)
                vals = (exact(x + t, params, ar), exact(x - t, params, ar),
                        exact(x + t2, params, ar), exact(x - t2, params, ar),
                        exact(x + t4, params, ar), exact(x - t4, params, ar))
                r, est, sf = _central_of(vals, h, 1.0, t)
            elif side == 0:
                if vals is not None:  # (the next stencil reuses g(z ± h/4))
                    cache.update(zip((1.0, -1.0, 0.5, -0.5, 0.25, -0.25), vals))
                    vals = None
                r, est, sf = _central(at, h, k, _offset(arb, h, k))
            else:
                r, est, sf = _one_sided(at, h, k, _offset(arb, h, k), side)
            if not r.is_finite():  # nan, or an unbounded ball
                deficit = prec  # double it
                break
            rf = float(r)  # the midpoint, rounded to nearest (subnormals too)
            if math.isinf(rf):  # beyond the float range: ±inf, if the whole ball is
                if math.isinf(float(r.abs_lower())):
                    return rf, math.inf
                deficit = 32
                break
            rad = float(r.rad()) * 2.0**_ROUNDING_BITS
            if not math.isfinite(rad):
                deficit = prec
                break
            target = max(abs(rf), sf if sf == sf else math.inf, _TARGET_FLOOR)
            if not rad <= target:
                deficit = max(32, math.ceil(math.log2(rad) - math.log2(target)) + 16)  # no overflow
                break
            if est <= _CONVERGED * target:
                break
        else:  # not settled even at h/1024: g varies on a finer scale; no estimate
            return math.nan, sf
        if deficit:
            prec += deficit
            continue
        return rf, sf
    return math.nan, math.nan


def _central(at: Callable[[float], Any], h: float, k: float, t: Any) -> tuple[Any, float, float]:
    """R = (64·D(h/4) − 20·D(h/2) + D(h))/45, D(u) = (g(z+u) − g(z−u))/2u, at the step h·k
    (the ball t): error O(h⁶); the change the last extrapolation made, from
    (4·D(h/4) − D(h/2))/3 to R, an estimate of the error left; and s, the larger mean slope
    of the stencil's outer quarters [z−h, z−h/2] and [z+h/2, z+h].

    With Δ(u) = g(z+u) − g(z−u): R = (128·Δ(h/4) − 20·Δ(h/2) + Δ(h)/2)/45h and
    R − (4·D(h/4) − D(h/2))/3 = (8·Δ(h/4) − 5·Δ(h/2) + Δ(h)/2)/45h. The differences are taken
    in ball arithmetic, and so is the estimate (its leading terms cancel to ~1e-15 of R,
    which from floats would be a whole ULP where the differences are subnormal); s, which
    needs a few digits only, from their floats."""
    return _central_of((at(k), at(-k), at(k / 2), at(-k / 2), at(k / 4), at(-k / 4)), h, k, t)


def _central_of(vals: tuple[Any, ...], h: float, k: float, t: Any) -> tuple[Any, float, float]:
    """_central from the six values g(z ± t), g(z ± t/2), g(z ± t/4), t = h·k."""
    gp, gm, gp2, gm2, gp4, gm4 = vals
    d1 = gp - gm
    d2 = gp2 - gm2
    d4 = gp4 - gm4
    half = d1 * 0.5  # (exact, as is t·45 at every precision used, >= 72 bits: each once)
    t45 = t * 45
    r = (d4 * 128 - d2 * 20 + half) / t45
    u = h * k
    if not u:  # h·k underflowed (kinks closer than 1e-300): no estimate
        return r, math.inf, math.inf
    # in the balls: from the floats of subnormal differences (laplace near z = −10) the
    # cancellation left a residue of a subnormal ULP, above what is asked there
    est = float(abs((d4 * 8 - d2 * 5 + half) / t45))
    s = 2 * max(abs(float(gp - gp2)), abs(float(gm2 - gm))) / u
    return r, (est if est == est else math.inf), s


def _one_sided(at: Callable[[float], Any], h: float, k: float, t: Any,
               side: int) -> tuple[Any, float, float]:
    """F(u) = ±(−3g(z) + 4g(z±u) − g(z±2u))/2u, error c₂u² + c₃u³ + …, at u = h·k … h·k/8
    (the first the ball t), extrapolated (Neville, ratio 2) to remove u², u³ and u⁴: error
    O(h⁵); the change the last extrapolation made; and s, the mean slope |g(z±h) − g(z)|/h."""
    g0 = at(0.0)
    g3 = g0 * 3
    row = [(at(side * m * 2) - at(side * m) * 4 + g3) / (t * (-2 * side * m / k))
           for m in (k, k / 2, k / 4, k / 8)]  # h, h/2, h/4, h/8
    previous = row[-1]
    for power in (2, 3, 4):
        factor = 2**power - 1
        previous = row[-1]
        row = [row[j + 1] + (row[j + 1] - row[j]) / factor for j in range(len(row) - 1)]
    est = float(abs(row[0] - previous))
    u = h * k
    s = abs(float(at(side * k) - g0)) / u if u else math.inf
    return row[0], (est if est == est else math.inf), s


# ------------------------------------------------------------------------------------------
# the error measure


def relative_error(a: Any, n: Any, scale: Any = 0.0) -> np.ndarray:
    """|a − n| / max(|n|, scale/2, 2^−1022); 0 where a == n; nan if either is nan (see
    ``ERROR_HELP``).

    Without a scale this is the plain relative error |a − n|/|n| (for normal n). With the
    scale of ``numeric_with_scale`` it stays meaningful where g′ vanishes: at
    tanhshrink′(0) = 0 a difference quotient is ~1e-21, which the bare formula calls a
    complete disagreement.
    """
    a = np.asarray(a, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    s = np.nan_to_num(np.asarray(scale, dtype=np.float64))
    with np.errstate(invalid="ignore", over="ignore"):
        den = np.maximum(np.maximum(np.abs(n), s / 2), TINY)
        r = np.abs(a - n) / den
    return np.where(a == n, 0.0, r)


def verdict(err: float) -> str:
    """The usual gradient-checking reading of a relative error."""
    if math.isnan(err):
        return "n/a"
    if err <= GOOD:
        return "good"
    if err >= WRONG:
        return "wrong"
    return "suspicious"


# ------------------------------------------------------------------------------------------
# check and table


@dataclass(frozen=True)
class CheckResult:
    function: str
    checked: int  # points compared, the near-kink ones included
    left_out: int  # points at a kink (g′ there is a convention)
    max_rel_error: float
    worst_z: float  # where the error is largest; nan where every error is 0
    tol: float
    near_kink: int = 0  # of the checked: within the step of a kink (one-sided differences)
    #: of the checked: points without a numerical derivative (g varies on a finer scale than
    #: step/1024, as celu with alpha = 1e-30 does; a smaller step resolves them); not in the
    #: maximum, and the check does not pass
    unresolved: int = 0
    #: the derivative checked: 1 for g′, 2 for g″ (kinks then are jumps of g′ or of g″)
    order: int = 1

    @property
    def passed(self) -> bool:
        return self.max_rel_error <= self.tol and not self.unresolved

    @property
    def verdict(self) -> str:
        if not self.checked:
            return "n/a"
        v = verdict(self.max_rel_error)
        return "unresolved" if self.unresolved and v != "wrong" else v


@dataclass(frozen=True)
class TableRows:
    """Everything the rows of one function's table need, one entry per z."""

    f: Activation
    z: np.ndarray
    g: np.ndarray
    dg: np.ndarray  # g′ with the kink convention asked for
    dg_numeric: np.ndarray  # nan at a kink (not checked), ±inf, nan, and where unresolved
    error: np.ndarray  # ``relative_error``; nan where dg_numeric is
    kind: np.ndarray  # "kink", "near kink" or "" (``point_kinds``)
    #: order 2 only (None for order 1): g″ with the kink convention, the numerical g″ (the
    #: differences of g′), their error and each point's kind for g″ (``point_kinds`` order 2)
    d2g: np.ndarray | None = None
    d2g_numeric: np.ndarray | None = None
    error2: np.ndarray | None = None
    kind2: np.ndarray | None = None

    @property
    def order(self) -> int:
        return 1 if self.d2g is None else 2


def _summarise(f: Activation, z: np.ndarray, num: np.ndarray, scale: np.ndarray,
               step: float, tol: float, order: int = 1) -> CheckResult:
    kinds = point_kinds(f, z, step, order)
    outside = _off_domain(f, z)  # off the domain (log1mexp: z <= 0): not counted
    at = (kinds == "kink") & ~outside
    kept = ~at & ~outside
    if not kept.any():
        return CheckResult(f.name, 0, int(at.sum()), 0.0, math.nan, tol, 0, order=order)
    zk, nk = z[kept], num[kept]
    resolved = ~np.isnan(nk)
    near = int((kinds[kept] == "near kink").sum())
    unresolved = int((~resolved).sum())
    if not resolved.any():
        return CheckResult(f.name, int(zk.size), int(at.sum()), math.nan, math.nan, tol, near,
                           unresolved, order)
    zr = zk[resolved]
    err = relative_error(f.deriv(zr, order=order), nk[resolved], scale[kept][resolved])
    worst = int(np.argmax(err))  # the first nan, if any (g′ nan where g is not): a failure
    # where every error is 0 no point is the worst: worst_z is nan
    worst_z = float(zr[worst]) if err[worst] != 0 else math.nan
    return CheckResult(f.name, int(zk.size), int(at.sum()), float(err[worst]), worst_z,
                       tol, near, unresolved, order)


def _finite_points(z: Any) -> np.ndarray:
    z = np.asarray(z, dtype=np.float64).ravel()
    return z[np.isfinite(z)]


def check(f: Activation, z: Any = None, *, step: float = DEFAULT_STEP,
          tol: float = DEFAULT_TOL, order: int = 1) -> CheckResult:
    """Compare f.deriv (order 2: g″) with the numerical derivative at every finite z (the
    default grid of f when z is None) but the kinks themselves (whose g′ is a convention;
    order 2: the kinks of g and of g′, where g″ is)."""
    order = check_order(order)
    z = default_grid(f, order) if z is None else _finite_points(z)
    num, scale = _numeric_flat(f, z, step, order)
    return _summarise(f, z, num, scale, step, tol, order)


def check_grid(f: Activation, extra: Any = None, order: int = 1) -> np.ndarray:
    """The default grid of f (for `order`) with the extra points, sorted, each point once."""
    z = default_grid(f, order)
    if extra is not None:
        z = np.unique(np.concatenate([z, _finite_points(extra)]))
    return z


def check_all(acts: Sequence[Activation], extra: Any = None, *, step: float = DEFAULT_STEP,
              tol: float = DEFAULT_TOL, workers: int | None = None,
              order: int = 1) -> list[CheckResult]:
    """``check`` of each function on its default grid plus `extra` (finite values), the work
    spread over `workers` processes (None: one per available core, at most 8)."""
    order = check_order(order)
    grids = [check_grid(f, extra, order) for f in acts]
    parts = _numeric_many([(f, z, order) for f, z in zip(acts, grids)], step, workers)
    return [_summarise(f, z, num, scale, step, tol, order)
            for f, z, (num, scale) in zip(acts, grids, parts)]


def table_rows(f: Activation, z: Any, *, step: float = DEFAULT_STEP,
               kink: str = "pytorch", order: int = 1) -> TableRows:
    """z, g, g′ (with the kink convention), the numerical g′, their error and each point's
    kind, for one function; with order 2 g″, the numerical g″, their error and kind too."""
    return table_rows_all([f], z, step=step, kink=kink, workers=1, order=order)[0]


def table_rows_all(acts: Sequence[Activation], z: Any, *, step: float = DEFAULT_STEP,
                   kink: str = "pytorch", workers: int | None = None,
                   order: int = 1) -> list[TableRows]:
    """``table_rows`` for each function (the numerical derivatives spread over processes)."""
    order = check_order(order)
    z = np.asarray(z, dtype=np.float64).ravel()
    tasks = [(f, z, o) for o in range(1, order + 1) for f in acts]
    parts = _numeric_many(tasks, step, workers)
    rows = []
    for i, f in enumerate(acts):
        num, scale = parts[i]
        dg = np.asarray(f.deriv(z, kink=kink), dtype=np.float64)
        second: dict[str, Any] = {}
        if order == 2:
            num2, scale2 = parts[len(acts) + i]
            d2g = np.asarray(f.deriv(z, kink=kink, order=2), dtype=np.float64)
            second = dict(d2g=d2g, d2g_numeric=num2, error2=relative_error(d2g, num2, scale2),
                          kind2=point_kinds(f, z, step, 2))
        rows.append(TableRows(f, z, np.asarray(f(z), dtype=np.float64), dg, num,
                              relative_error(dg, num, scale), point_kinds(f, z, step),
                              **second))
    return rows


# ------------------------------------------------------------------------------------------
# processes

_CHUNK = 200  # points per job
_MIN_PARALLEL = 2000  # points: below this a pool costs more than it saves
_MAX_WORKERS = 8
_JOBS: list[tuple[Activation, np.ndarray, float, int]] = []


def _worker_init() -> None:
    # Ctrl-C is the parent's business (it terminates the pool); no handler of the parent's
    # (which may write to the stream they share) runs here; and a worker dies with the parent
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in ("SIGTERM", "SIGHUP", "SIGPIPE", "SIGXFSZ"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG (Linux)
    except Exception:  # noqa: BLE001 - not Linux: the pool still ends with the parent
        pass


def _run_job(i: int) -> tuple[np.ndarray, np.ndarray]:
    f, z, step, order = _JOBS[i]
    return _numeric_flat(f, z, step, order)


def _numeric_many(tasks: list[tuple[Activation, np.ndarray, int]], step: float,
                  workers: int | None) -> list[tuple[np.ndarray, np.ndarray]]:
    """(numerical derivative, scale) of each (function, grid, order), in processes where
    that pays."""
    global _JOBS
    total = sum(z.size for _, z, _ in tasks)
    n = min(available_cores(), _MAX_WORKERS) if workers is None else max(1, int(workers))
    if n > 1 and total >= _MIN_PARALLEL and _can_fork():
        import multiprocessing

        jobs, owner = [], []
        for j, (f, z, order) in enumerate(tasks):
            for a in range(0, z.size, _CHUNK):
                jobs.append((f, z[a:a + _CHUNK], step, order))
                owner.append(j)
        _JOBS = jobs  # inherited by the forked workers
        try:
            ctx = multiprocessing.get_context("fork")
            with ctx.Pool(min(n, len(jobs)), initializer=_worker_init) as pool:
                results = pool.map(_run_job, range(len(jobs)), chunksize=1)
        finally:
            _JOBS = []
        out: list[tuple[list[np.ndarray], list[np.ndarray]]] = [([], []) for _ in tasks]
        for j, (num, scale) in zip(owner, results):
            out[j][0].append(num)
            out[j][1].append(scale)
        return [(np.concatenate(a) if a else np.empty(0), np.concatenate(b) if b else np.empty(0))
                for a, b in out]
    return [_numeric_flat(f, z, step, order) for f, z, order in tasks]


def _can_fork() -> bool:
    """fork only where it is safe: Linux, and no other thread running."""
    import sys
    import threading

    if not sys.platform.startswith("linux"):
        return False

    try:
        import multiprocessing

        multiprocessing.get_context("fork")
    except ValueError:
        return False
    return threading.active_count() == 1
