"""The gradient check and the table rows of an expression in z (``actgrad.expression``).

The method is the catalogue's (``numerics.gradcheck``, whose point routine this module
reuses): central differences Richardson-extrapolated, one-sided ones within the step of a
point where g is not smooth, the step shrunk where the estimate has not settled, g evaluated
in ball arithmetic (python-flint arb) at a precision raised until the proven rounding error
is below 2^−60 of the result. What differs is where g comes from and where it is not smooth.

g in ball arithmetic: ``Expression.ball`` walks the parsed graph on arb balls, elementary
operations on the balls themselves, catalogue calls through their Spec's ``exact`` form
(written independently of the float64 code under check). So the numerical derivative is that
of the expression as written, in extended precision, and the float64 forward-mode g′ is
measured against it.

Obstacles: the kinks of the expression (a catalogue call's argument at one of its kinks, abs
at 0, min/max at a tie), its breaks (g′ continuous, a catalogue call's g″ jumping) and its
poles (the domain of sqrt, log, log1p ends, tan's poles, a divisor's zeros, the base of a
power reaching 0) lie where some value inside the graph crosses a point, so they are found
where that value changes sign: on 33 points across [z − 4h, z + 4h], then bisected to the
float64 numbers beside the crossing. No stencil reaches across or touches one (one-sided
differences on z's side, the step at most a quarter of the distance to the next one on that
side). A kink itself is not checked (g′ there is the --kink convention), nor a pole; an
obstacle that is touched without a change of sign (relu(z**2)) is not seen.

The default grid of ``check`` is the catalogue's (``gradcheck.default_grid``) plus, around
each obstacle found on [−10, 10] (sign changes between the points of spacing 0.02) and each
kink of an affine argument anywhere, the points k ± 10^−3.5 … 10^−12 and the floats next to
k; points where the float64 g is not finite (outside the domain, overflow) or that sit on a
pole are left out of it: a difference quotient there means nothing.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..activations import Kink
from ..expression import Expression
from .gradcheck import (DEFAULT_STEP, DEFAULT_TOL, TINY, CheckResult, TableRows, _arb_module,
                        _grids, _point, _start_prec, relative_error)

#: obstacles are looked for on this many intervals either side of z, out to REACH steps
_SAMPLES = 16
_REACH = 4.0
#: and for the default grid, between the points of this grid
_CORE = np.arange(-500, 501, dtype=np.float64) / 50.0

_KINK, _BREAK, _POLE = 0, 1, 2


def _values(e: Expression, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(values, category) of every obstacle value at flat z: shape (sites, z.size)."""
    kinks, breaks, poles = e.obstacles(z)
    rows = [*kinks, *breaks, *poles]
    cats = np.array([_KINK] * len(kinks) + [_BREAK] * len(breaks) + [_POLE] * len(poles),
                    dtype=np.int8)
    if not rows:
        return np.empty((0, z.size)), cats
    return np.stack(rows), cats


def _bisect(e: Expression, lo: np.ndarray, hi: np.ndarray, site: np.ndarray,
            sign_lo: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Shrink each bracket [lo, hi] of a sign change of obstacle value `site` (its sign at
    lo: sign_lo) to two neighbouring floats, or to a float where the value is 0: (lo, hi),
    with lo == hi for an exact zero."""
    lo, hi = lo.copy(), hi.copy()
    active = np.ones(lo.shape, dtype=bool)
    for _ in range(2100):  # every bisection of a float64 interval ends in far fewer steps
        with np.errstate(over="ignore", invalid="ignore"):
            mid = lo + (hi - lo) / 2
        active &= (mid > lo) & (mid < hi)
        if not active.any():
            break
        vals, _ = _values(e, mid)
        s = np.sign(vals[site, np.arange(site.size)])
        zero = active & (s == 0)
        same = active & (s == sign_lo)
        other = active & ~zero & ~same & ~np.isnan(s)
        lo = np.where(zero | same, mid, lo)
        hi = np.where(zero | other, mid, hi)
        active &= ~np.isnan(s)  # nan inside: the bracket stays as it is
    return lo, hi


def obstacle_distances(e: Expression, z: Any, reach: float
                       ) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Per category (kink, break, pole): for each finite z the distance to the nearest
    obstacle at or below z and to the nearest strictly above z, within `reach` (inf beyond
    it). A crossing between two floats lies half-way between them."""
    z = np.asarray(z, dtype=np.float64).reshape(-1)
    n = z.size
    out = {c: (np.full(n, np.inf), np.full(n, np.inf)) for c in (_KINK, _BREAK, _POLE)}
    fin = np.isfinite(z)
    if not n or not fin.any():
        return out
    t = np.linspace(-reach, reach, 2 * _SAMPLES + 1)
    zz = np.where(fin, z, 0.0)
    with np.errstate(over="ignore"):
        grid = zz[:, None] + t[None, :]  # column _SAMPLES is z itself
    grid[:, _SAMPLES] = zz
    vals, cats = _values(e, grid.reshape(-1))
    if not len(cats):
        return out
    vals = vals.reshape(len(cats), n, t.size)
    sgn = np.sign(vals)
    # exact zeros on the sample points
    s_idx, p_idx, j_idx = np.nonzero(sgn == 0)
    zeros = grid[p_idx, j_idx]
    # sign changes between neighbouring sample points: bisect
    change = sgn[:, :, :-1] * sgn[:, :, 1:] < 0
    cs, cp, cj = np.nonzero(change)
    lo, hi = _bisect(e, grid[cp, cj], grid[cp, cj + 1], cs, sgn[cs, cp, cj])
    points = np.concatenate([p_idx, cp])
    sites = np.concatenate([s_idx, cs])
    los = np.concatenate([zeros, lo])
    his = np.concatenate([zeros, hi])
    for c in (_KINK, _BREAK, _POLE):
        below, above = out[c]
        m = (cats[sites] == c) & fin[points]
        p, a, b = points[m], los[m], his[m]
        zp = z[p]
        with np.errstate(over="ignore", invalid="ignore"):
            half = (b - a) / 2
            d_below = np.where(b <= zp, (zp - b) + half, np.inf)
            d_above = np.where(a >= zp, (a - zp) + half, np.inf)
            d_below = np.where((a == b) & (a == zp), 0.0, d_below)
            d_above = np.where((a == b) & (a == zp), np.inf, d_above)
        np.minimum.at(below, p, d_below)
        np.minimum.at(above, p, d_above)
    return out


def _layout(e: Expression, z: np.ndarray, step: float
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(side, h, kind, pole) per point: side 0 central, ±1 one-sided, 2 not computed (a kink, a
    pole, not finite, g not finite); kind "kink", "near kink" or ""; pole: on a pole."""
    dist = obstacle_distances(e, z, _REACH * step)
    kb, ka = dist[_KINK]
    below = np.minimum.reduce([d[0] for d in dist.values()])
    above = np.minimum.reduce([d[1] for d in dist.values()])
    with np.errstate(all="ignore"):
        g = np.asarray(e(z), dtype=np.float64)
    at_kink = np.asarray(e.at_kink(z), dtype=bool) & np.isfinite(z)
    # g varies on the scale of the distance to a pole (1/z at 1e-5): no step beyond a
    # quarter of it, on either side; a pole so close that this step underflows (sqrt(z) at
    # 5e-324) leaves no step at all
    dp = np.minimum(*dist[_POLE])
    pole = dp / 4 < TINY
    fin = np.isfinite(z) & np.isfinite(g)
    side = np.zeros(z.shape, dtype=np.int8)
    h = np.full(z.shape, float(step))
    near = fin & (np.minimum(below, above) <= step)
    right = below <= above  # away from the nearer one (a break itself: forward)
    side[near & right] = 1
    side[near & ~right] = -1
    with np.errstate(invalid="ignore"):
        room = np.where(right, above, below) / 4
    h = np.where(near, np.minimum(step, room), h)
    h = np.minimum(h, dp / 4)
    side[~fin | at_kink | pole] = 2
    h = np.where(side == 2, float(step), h)  # not used there; a finite step for the layout
    kind = np.full(z.shape, "", dtype="<U9")
    kind[np.isfinite(z) & (np.minimum(kb, ka) <= step)] = "near kink"
    kind[at_kink] = "kink"
    return side, h, kind, pole


def numeric(e: Expression, z: Any, step: float = DEFAULT_STEP
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(numerical g′, scale s, kind, pole) at flat z (see the module doc and
    ``gradcheck.ERROR_HELP`` for s); the numerical g′ is nan where it is not computed."""
    from flint import arb, ctx

    z = np.asarray(z, dtype=np.float64).reshape(-1)
    side, hs, kind, pole = _layout(e, z, step)
    ar = _arb_module()
    with np.errstate(all="ignore"):
        g = np.abs(np.asarray(e(z), dtype=np.float64))
        dg = np.abs(np.asarray(e.deriv(z), dtype=np.float64))
        ratio = np.log2(np.where((g > 0) & np.isfinite(g), g, 1.0)) - np.log2(
            np.where(np.isfinite(dg), np.maximum(dg, TINY), 1.0))
    ratio = np.clip(np.nan_to_num(ratio), 0, 1100)
    start = _start_prec(z, hs, ratio)
    out = np.full(z.shape, np.nan)
    scale = np.full(z.shape, np.nan)

    def exact(x: Any, params: Any, module: Any) -> Any:
        return e.ball(x, module)

    saved = ctx.prec
    try:
        for i, (zi, si, hi, pi) in enumerate(zip(z.tolist(), side.tolist(), hs.tolist(),
                                                 start.tolist())):
            if si == 2:
                continue
            out[i], scale[i] = _point(exact, {}, ar, arb, ctx, zi, hi, si, pi)
    finally:
        ctx.prec = saved
    return out, scale, kind, pole


def table_rows(e: Expression, z: Any, *, step: float = DEFAULT_STEP,
               kink: str = "pytorch") -> TableRows:
    """z, g, g′ (forward mode, with the kink convention), the numerical g′, their error and
    each point's kind, for an expression (``TableRows.f`` is the Expression)."""
    z = np.asarray(z, dtype=np.float64).ravel()
    num, scale, kind, _ = numeric(e, z, step)
    dg = np.asarray(e.deriv(z, kink=kink), dtype=np.float64)
    return TableRows(e, z, np.asarray(e(z), dtype=np.float64), dg, num,  # type: ignore[arg-type]
                     relative_error(dg, num, scale), kind)


def _crossings(e: Expression, z: np.ndarray, categories: tuple[int, ...]
               ) -> list[tuple[float, float]]:
    """The obstacles of the given categories found on the sorted grid z: each as the
    (lo, hi) floats beside a sign change, or (k, k) for an exact zero at k."""
    if z.size < 2:
        return []
    vals, cats = _values(e, z)
    if not len(cats):
        return []
    keep = np.isin(cats, categories)
    vals = vals[keep]
    sgn = np.sign(vals)
    found = [(float(v), float(v)) for v in z[np.nonzero(sgn == 0)[1]]]
    cs, cj = np.nonzero(sgn[:, :-1] * sgn[:, 1:] < 0)
    if cs.size:
        rows = np.flatnonzero(keep)  # the kept rows' places among all the values
        a, b = _bisect(e, z[cj], z[cj + 1], rows[cs], sgn[cs, cj])
        found += list(zip(a.tolist(), b.tolist()))
    return sorted(set(found))


def obstacles_on(e: Expression, lo: float = -10.0, hi: float = 10.0) -> list[float]:
    """The kinks, breaks and poles of e found on the core grid of [lo, hi] by sign changes
    between neighbouring points (the floats beside each), and the kinks of affine arguments
    anywhere."""
    z = _CORE[(_CORE >= lo) & (_CORE <= hi)]
    found: set[float] = {float(s.z) for s in (*e.kink_sites, *e.kink2_sites)
                         if s.z is not None}
    for a, b in _crossings(e, z, (_KINK, _BREAK, _POLE)):
        found.update((a, b))
    return sorted(v for v in found if math.isfinite(v))


def kinks_in(e: Expression, start: float, stop: float, num: int = 1001) -> tuple[Kink, ...]:
    """The kinks of e on [start, stop] as catalogue-style ``Kink``s in z, found by sign
    changes on `num` points (and the places of affine arguments): ``at`` the float at the
    kink (for a kink between two floats, the one below it), ``left``/``right`` the
    one-sided slopes of the whole expression there, and what PyTorch and JAX return at
    ``at`` (their values: ``Kink.special``). Points where neither g′ nor g jumps (relu(z) −
    relu(z)) are no kinks."""
    z = np.linspace(start, stop, num)
    places = {float(s.z) for s in e.kink_sites if s.z is not None and start <= s.z <= stop}
    z = np.unique(np.concatenate([z, sorted(places)]))
    out = []
    for a, b in _crossings(e, z, (_KINK,)):
        if not start <= a <= stop:
            continue
        left = float(e.deriv(np.float64(a), kink="left"))
        right = float(e.deriv(np.float64(b), kink="right"))
        with np.errstate(all="ignore"):
            below = float(e(np.nextafter(a, -np.inf)))
            above = float(e(np.nextafter(b, np.inf)))
        jump = abs(below - above) > 1e-9 * max(1.0, abs(below), abs(above))
        if left == right and not jump:
            continue
        pt = float(e.deriv(np.float64(a), kink="pytorch"))
        jx = float(e.deriv(np.float64(a), kink="jax"))
        out.append(Kink(a, left, right, "mean", "mean", special=(
            ("pytorch", pt, lambda mp, v=pt: mp.mpf(v)),
            ("jax", jx, lambda mp, v=jx: mp.mpf(v)))))
    return tuple(out)


class Located:
    """An expression with its kinks on [start, stop] located (``kinks_in``): what the plot
    draws, through the calls it makes of a catalogue Activation (``name``, ``params``,
    ``kinks``, ``f(z)``, ``f.deriv(z, kink=)``, ``framework_slopes``). ``spec`` is None:
    an expression has no catalogue formulas."""

    params: dict[str, Any] = {}
    spec = None
    breaks: tuple[float, ...] = ()

    def __init__(self, e: Expression, start: float, stop: float, num: int = 1001):
        self.expression = e
        self.name = e.name
        self.kinks = kinks_in(e, start, stop, num)

    def __call__(self, z: Any) -> Any:
        return self.expression(z)

    def deriv(self, z: Any, kink: str = "pytorch", order: int = 1) -> Any:
        """g′ (g″ for order 2); at a located kink "left"/"right" give its one-sided slopes
        (also for a kink between two floats, at the float below it)."""
        d = self.expression.deriv(z, kink=kink, order=order)
        if order != 1 or kink not in ("left", "right") or not self.kinks:
            return d
        x = np.asarray(z, dtype=np.float64)
        d = np.array(d, dtype=np.float64)
        for k in self.kinks:
            d = np.where(x == k.at, k.left if kink == "left" else k.right, d)
        return d if d.ndim else float(d)

    def framework_slopes(self, k: Kink) -> tuple[tuple[str, float], ...]:
        return (("PyTorch", k.slope("pytorch")), ("JAX", k.slope("jax")))


def default_grid(e: Expression) -> np.ndarray:
    """The check grid of an expression (see the module doc), sorted, each point once, before
    the points outside its domain are left out."""
    grid, near = _grids()
    extra = []
    with np.errstate(over="ignore"):
        for k in obstacles_on(e):
            extra += [k + near, k - near, [np.nextafter(k, -np.inf), np.nextafter(k, np.inf)]]
    z = np.concatenate([grid, *extra]) if extra else grid.copy()
    return np.unique(z[np.isfinite(z)])


def check(e: Expression, extra: Any = None, *, step: float = DEFAULT_STEP,
          tol: float = DEFAULT_TOL) -> CheckResult:
    """Compare the forward-mode g′ of e with the numerical derivative on its default grid
    plus the finite `extra` values, leaving out the kinks (g′ there is a convention, counted
    in ``left_out``) and, not counted, the points where g is not finite, that sit on a pole,
    or where neither g′ nor the numerical derivative exists (z**z at a negative integer).
    With no point checked the result does not pass."""
    z = default_grid(e)
    if extra is not None:
        x = np.asarray(extra, dtype=np.float64).ravel()
        z = np.unique(np.concatenate([z, x[np.isfinite(x)]]))
    with np.errstate(all="ignore"):
        g = np.asarray(e(z), dtype=np.float64)
    z = z[np.isfinite(g)]
    num, scale, kind, pole = numeric(e, z, step)
    # no derivative either way (z**z at a negative integer: g is real there only)
    with np.errstate(all="ignore"):
        neither = np.isnan(np.asarray(e.deriv(z), dtype=np.float64)) & np.isnan(num)
    keep = ~pole & ~neither
    z, num, scale, kind = z[keep], num[keep], scale[keep], kind[keep]
    at = kind == "kink"
    kept = ~at
    left_out = int(at.sum())
    if not kept.any():  # nothing checked (g nowhere finite: 9**9**9**9): no pass either
        return CheckResult(e.name, 0, left_out, math.nan, math.nan, tol, 0)
    zk, nk, sk = z[kept], num[kept], scale[kept]
    resolved = ~np.isnan(nk)
    near = int((kind[kept] == "near kink").sum())
    unresolved = int((~resolved).sum())
    if not resolved.any():
        return CheckResult(e.name, int(zk.size), left_out, math.nan, math.nan, tol, near,
                           unresolved)
    zr = zk[resolved]
    err = relative_error(e.deriv(zr), nk[resolved], sk[resolved])
    worst = int(np.argmax(err))
    worst_z = float(zr[worst]) if err[worst] != 0 else math.nan
    return CheckResult(e.name, int(zk.size), left_out, float(err[worst]), worst_z, tol, near,
                       unresolved)
