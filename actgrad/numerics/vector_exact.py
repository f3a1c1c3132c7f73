"""`--exact`, `--digits` and the small dtypes for the vector functions: every value correctly
rounded, with a proof.

Softmax, log_softmax and softmin: each row is evaluated in arb balls (python-flint) straight
from the definitions: x = z/T (z and T exact floats), e_j = exp(x_j − x_m) (m the first
maximum; the shift changes nothing mathematically, it keeps the balls' exponents moderate),
S = Σ e_j, s_j = e_j/S, 1 − s_i = (Σ_{j≠i} e_j)/S (summed directly, never as 1 − s_i),
log_softmax_i = (x_i − x_m) − log1p(Σ_{j≠m} e_j) (log S of a ball 1 ± 2^−p could not decide a
log S below 2^−p); the Jacobian, vjp, jvp, Hessian (n×n×n) and vjp_hessian (n×n) entries
from them (``vectors`` module doc; ``WHATS``). The sums that cancel, v_j − ⟨v, s⟩, 1 − 2s_i and
the like, are formed as Σ_l C_l e_l with the rational coefficients of equal z_l summed
exactly first (``_Exps.lin``): by Lindemann–Weierstrass such a sum is 0 only when every
grouped coefficient is, and then it is an exact 0 (J·1 = 0, equal entries), never a ball
about 0 that no precision decides.

The gated units (``gated_float``, ``gated_text``; ``GATED_WHATS``): act, act′, act″ at each g
from the catalogue's exact forms (``Spec.exact``, ``exact_dg``, ``exact_d2g``; relu's kink:
the convention's slope), swiglu_oai's g′σ(αg′) written out (α the float 1.702, g′ = min(g, 7),
act′ = act″ = 0 above 7 and the interior values at 7 itself, as the float64 path and
torch.clamp; u clipped to [−7, 7], ∂y/∂u = 0 outside, act(g′) at ±7); then y, the partials, the
Hessian blocks, v·∂y and ∂y·t. Where g or u is ±inf or nan: the float64 path's (IEEE) value
(swiglu_oai: only for g = −inf or a nan; its clamps make g = +inf and u = ±inf ordinary).

Every entry is accepted only when both ends of its ball round to the same float of the dtype
or the same N-digit decimal: ``rigorous``'s own tests (``_accept_float``, ``_accept_text``),
so every value in the ball, the exact one included, rounds to it. A row (an element) with an
undecided entry is evaluated again at twice the precision (64 bits first for floats, 3.33·N +
32 for N digits, plus for softmax the bits of the largest |z|/T, which exp of a large argument
needs; up to 2^17 bits; beyond, ArithmeticError).

Exact zeros take the sign of the float64 path's zero; the rows the float64 path makes nan
(all −inf, a +inf, a nan) are nan, and a masked entry's log_softmax is −inf, exactly. The
vector v of vjp/jvp must be finite (ValueError).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np

from . import MAX_DIGITS
from .rigorous import (_MAX_BITS, _UNDECIDED, _ZERO, _accept_float, _accept_text, _ball,
                       _format, _layout)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..vectors import Gated, Softmax


#: what can be asked of a softmax row: its values, Jacobian (n×n), vjp, jvp (n), Hessian
#: (n×n×n), vjp_hessian (n×n), all flattened row-major
WHATS = ("values", "jacobian", "vjp", "jvp", "hessian", "vjp_hessian")


class _Exps:
    """One row's e_j = exp(d_j), d_j = (z_j − z_m)/T (softmin: of −z), at the current
    precision, with the sums that cancel formed without cancelling (``lin``)."""

    def __init__(self, f: "Softmax", z: list[float]):
        arb = self.arb = _ball()._arb
        self.t = arb(f.temperature)
        sign = -1.0 if f.name == "softmin" else 1.0
        zz = self.zz = [sign * v for v in z]
        self.live = live = [v != -math.inf for v in zz]
        n = self.n = len(z)
        k = self.k = max((i for i in range(n) if live[i]), key=lambda i: (zz[i], -i))
        xm = arb(zz[k]) / self.t
        self.d = [(arb(v) / self.t - xm) if live[i] else None for i, v in enumerate(zz)]
        self.e = [di.exp() if di is not None else arb(0) for di in self.d]
        self.total = sum(self.e[1:], self.e[0])
        self.s = [ei / self.total for ei in self.e]

    def lin(self, coef: list[Fraction]) -> Any:
        """Σ_l coef_l·e_l with the coefficients of equal z_l (equal e_l) summed exactly
        first: Σ_g C_g e^(d_g), the d_g distinct rationals. By Lindemann–Weierstrass the
        e^(d_g) are linearly independent over the rationals, so the sum is 0 exactly when
        every C_g is, and then it is an exact 0 ball (not a ball about 0 no precision could
        decide); otherwise it is not 0 and a high enough precision separates it from 0."""
        groups: dict[float, Fraction] = {}
        first: dict[float, int] = {}
        for l, c in enumerate(coef):
            if self.live[l]:
                groups[self.zz[l]] = groups.get(self.zz[l], Fraction(0)) + c
                first.setdefault(self.zz[l], l)
        arb = self.arb
        out = arb(0)
        for key, c in groups.items():
            if c:
                out += self.e[first[key]] * _rational(c)
        return out

    def c(self, i: int) -> Any:
        """1 − s_i = (Σ_{j≠i} e_j)/S."""
        return sum((self.e[j] for j in range(self.n) if j != i), self.arb(0)) / self.total

    def w(self, i: int) -> Any:
        """1 − 2 s_i = (Σ_{j≠i} e_j − e_i)/S."""
        return self.lin([Fraction(-1 if j == i else 1) for j in range(self.n)]) / self.total


def _rational(c: Fraction) -> Any:
    import flint

    return flint.arb(flint.fmpq(c.numerator, c.denominator))


def _row(f: "Softmax", z: list[float], what: str, v: list[float] | None = None) -> list[Any]:
    """The balls of one row's `what` (WHATS), row-major, at the shim's current precision;
    None where the entry is −inf exactly (masked log_softmax)."""
    x = _Exps(f, z)
    arb, n, t, s, e = x.arb, x.n, x.t, x.s, x.e
    log = f.name == "log_softmax"
    if what == "values":
        if log:
            lg = sum((e[j] for j in range(n) if j != x.k), arb(0)).log1p()  # log S, S = 1 + R
            return [(di - lg) if di is not None else None for di in x.d]
        return s
    if what == "jacobian":
        c = [x.c(i) for i in range(n)]
        out: list[Any] = []
        for i in range(n):
            for j in range(n):
                if log:
                    val = c[i] if i == j else -s[j]
                else:
                    val = s[i] * c[i] if i == j else -(s[i] * s[j])
                    if f.name == "softmin":
                        val = -val
                out.append(val / t)
        return out
    q = [Fraction(vi) for vi in v or ()]
    sign = -1 if f.name == "softmin" else 1
    if what in ("vjp", "jvp"):
        if not log:  # J is symmetric: s_j (v_j − ⟨v, s⟩) = e_j Σ_l e_l (v_j − v_l)/S²
            return [sign * e[j] * x.lin([q[j] - ql for ql in q]) / (x.total * x.total) / t
                    for j in range(n)]
        if what == "jvp":  # u_i − ⟨u, s⟩ = Σ_l e_l (u_i − u_l)/S
            return [x.lin([q[i] - ql for ql in q]) / x.total / t for i in range(n)]
        total_v = sum(q, Fraction(0))  # v_j − s_j Σ v_i = Σ_l e_l (v_j − δ_lj Σ v_i)/S
        return [x.lin([q[j] - (total_v if l == j else 0) for l in range(n)]) / x.total / t
                for j in range(n)]
    tt = t * t
    if what == "hessian":
        out = []
        if log:  # −s_j(δ_jk − s_k), every i
            c = [x.c(j) for j in range(n)]
            block = [(-(s[j] * c[j]) if j == k else s[j] * s[k]) / tt
                     for j in range(n) for k in range(n)]
            return block * n
        w = [x.w(i) for i in range(n)]
        c = [x.c(i) for i in range(n)]
        for i in range(n):
            for j in range(n):
                for k in range(n):
                    if i == j == k:
                        val = s[i] * c[i] * w[i]
                    elif j == k:
                        val = -(s[i] * s[j] * w[j])
                    elif i == j:
                        val = -(s[i] * s[k] * w[i])
                    elif i == k:
                        val = -(s[i] * s[j] * w[i])
                    else:
                        val = 2 * s[i] * s[j] * s[k]
                    out.append(val / tt)
        return out
    assert what == "vjp_hessian"
    if log:  # −(Σ v_i)(diag(s) − s sᵀ)
        total_v = _rational(sum(q, Fraction(0)))
        c = [x.c(j) for j in range(n)]
        return [-total_v * ((s[j] * c[j]) if j == k else -(s[j] * s[k])) / tt
                for j in range(n) for k in range(n)]
    sq = x.total * x.total
    out = []
    for j in range(n):
        for k in range(n):
            if j == k:  # s_j a_j (1 − 2 s_j), a_j = v_j − ⟨v, s⟩
                val = e[j] * x.lin([q[j] - ql for ql in q]) / sq * x.w(j)
            else:  # −s_j s_k (a_j + a_k)
                val = -(s[j] * e[k] * x.lin([q[j] + q[k] - 2 * ql for ql in q]) / sq)
            out.append(val / tt)
    return out


def _decide(make: Any, accept: Any, bits: int, fast: list[float]) -> list[Any]:
    """accept() of every ball make() gives (a list, at the shim's precision), the precision
    doubled from `bits` until every one is decided (up to 2^17 bits; beyond, ArithmeticError);
    an exact zero takes the sign of the float64 path's value, None is −inf."""
    shim = _ball()
    old = shim.prec
    quiet = accept.quiet
    try:
        b = bits
        while True:
            shim.prec = b
            got = [(-math.inf if v is None else v if isinstance(v, float) else quiet(v))
                   for v in make()]
            if not any(g is _UNDECIDED for g in got):
                break
            b *= 2
            if b > _MAX_BITS:
                raise ArithmeticError("the rounding could not be decided at 2^17 bits")
    finally:
        shim.prec = old
    return [math.copysign(0.0, fast[i]) if g is _ZERO else g for i, g in enumerate(got)]


def _decide_rows(f: "Softmax", z: np.ndarray, what: str, accept: Any, bits: int,
                 fast: np.ndarray, v: np.ndarray | None = None) -> list[list[Any]]:
    rows: list[list[Any]] = []
    flat = z.reshape(-1, z.shape[-1])
    fr_all = fast.reshape(len(flat), -1)
    vv = None if v is None else np.broadcast_to(v, z.shape).reshape(-1, z.shape[-1])
    for r, row in enumerate(flat.tolist()):
        fr = fr_all[r]
        if np.isnan(fr).all():
            rows.append([math.nan] * fr.size)
            continue
        # arb's exp(d) keeps `prec` bits only when prec exceeds d's exponent too
        big = max((abs(x) for x in row if abs(x) != math.inf), default=0.0)
        b = bits + max(math.frexp(big / min(f.temperature, 1.0) or 1.0)[1], 0) + 8 \
            if big else bits
        vr = None if vv is None else vv[r].tolist()
        rows.append(_decide(lambda: _row(f, row, what, vr), accept, b, fr.tolist()))
    return rows


def _fast(f: "Softmax", z: np.ndarray, what: str, v: Any = None) -> np.ndarray:
    with np.errstate(all="ignore"):
        if what == "values":
            out = f(z)
        elif what in ("vjp", "jvp", "vjp_hessian"):
            out = getattr(f, what)(z, v)
        else:
            out = getattr(f, what)(z)
        return np.asarray(out, dtype=np.float64)


def _what(jacobian: bool, what: str | None, v: Any) -> str:
    w = what or ("jacobian" if jacobian else "values")
    if w not in WHATS:
        raise ValueError(f"what must be one of {', '.join(WHATS)}, got {w!r}")
    if (v is None) == (w in ("vjp", "jvp", "vjp_hessian")):
        raise ValueError(f"{w} needs a vector v" if v is None else f"{w} takes no vector v")
    if v is not None and not np.isfinite(v).all():
        raise ValueError("the vector v must be finite for --exact and --digits")
    return w


def values_float(f: "Softmax", z: Any, *, jacobian: bool = False, what: str | None = None,
                 v: Any = None, dtype: Any = np.float64) -> np.ndarray:
    """The values (jacobian: the Jacobian entries, shape (..., n, n); what: any of WHATS,
    vjp/jvp/vjp_hessian with the vector v) of f at the rows of z, each the exact value
    rounded once to dtype."""
    z = np.asarray(z, dtype=np.float64)
    v = None if v is None else np.asarray(v, dtype=np.float64)
    w = _what(jacobian, what, v)
    fast = _fast(f, z, w, v)
    rows = _decide_rows(f, z, w, _accept_float(_format(dtype)), 64, fast, v)
    with np.errstate(over="ignore", under="ignore"):
        return np.array(rows, dtype=np.float64).reshape(fast.shape).astype(dtype)


def values_text(f: "Softmax", z: Any, *, jacobian: bool = False, what: str | None = None,
                v: Any = None, digits: int) -> list[list[str]]:
    """Each row's values (or Jacobian entries, or `what`, row-major) with exactly `digits`
    significant digits, correctly rounded ('-inf', 'nan', '0.0'/'-0.0' as they are)."""
    if isinstance(digits, bool) or not isinstance(digits, int) or not 1 <= digits <= MAX_DIGITS:
        raise ValueError(f"digits must be between 1 and {MAX_DIGITS}, got {digits!r}")
    return [[_text(x, digits) for x in row]
            for row in _text_rows(f, z, jacobian, what, v, digits)]


def _text_rows(f: "Softmax", z: Any, jacobian: bool, what: str | None, v: Any, digits: int
               ) -> list[list[Any]]:
    z = np.asarray(z, dtype=np.float64)
    v = None if v is None else np.asarray(v, dtype=np.float64)
    w = _what(jacobian, what, v)
    fast = _fast(f, z, w, v)
    return _decide_rows(f, z, w, _accept_text(digits), _digit_bits(digits), fast, v)


def _digit_bits(digits: int) -> int:
    return int(digits * 3.33) + 32


def _text(v: Any, digits: int) -> str:
    if isinstance(v, tuple):
        return _layout(*v, digits)
    if v != v:
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return "-0.0" if math.copysign(1.0, v) < 0 else "0.0"



# -- the gated units ---------------------------------------------------------------------------

#: what can be asked of the gated units, per element: y; the partials (∂y/∂g, ∂y/∂u); the
#: Hessian blocks (∂²y/∂g², ∂²y/∂g∂u, ∂²y/∂u²); vjp (v·∂y/∂g, v·∂y/∂u); jvp
#: (∂y/∂g·t_g + ∂y/∂u·t_u)
GATED_WHATS = {"y": 1, "partials": 2, "hessian": 3, "vjp": 2, "jvp": 1}


def _acts(f: "Gated", g: float, order: int, kink: str) -> list[Any]:
    """Balls of act(g), act′(g) (and act″(g)) at the shim's precision; swiglu_oai at
    g′ = min(g, 7) with act′ = act″ = 0 where g > 7 (at g = 7 exactly: the interior ones,
    as the float64 path and PyTorch's clamp, which passes the gradient at its end)."""
    shim = _ball()
    arb = shim._arb
    if f.act is None:  # swiglu_oai: g′σ(αg′), α the float 1.702
        from ..vectors import ALPHA, LIMIT

        gc = arb(min(g, LIMIT))
        x = arb(ALPHA) * gc
        sp, sm = 1 / (1 + (-x).exp()), 1 / (1 + x.exp())
        ds = sp * sm
        out = [gc * sp, sp + x * ds]
        if order == 2:
            out.append(arb(ALPHA) * (2 * ds + x * ds * (sm - sp)))
        if g > LIMIT:
            out[1:] = [arb(0)] * (len(out) - 1)
        return out
    spec, p = f.act.spec, dict(f.act.params)
    zb = shim.mpf(g)
    out = [shim.mpf(spec.exact(zb, p, shim))]
    kinks = {k.at: k for k in f.act.kinks}
    out.append(shim.mpf(kinks[g].exact_slope(kink, shim) if g in kinks
                        else spec.exact_dg(zb, p, shim)))
    if order == 2:
        kinks2 = {k.at: k for k in f.act.kinks2}
        out.append(shim.mpf(kinks2[g].exact_slope(kink, shim) if g in kinks2
                            else spec.exact_d2g(zb, p, shim)))
    return out


def _gated_balls(f: "Gated", g: float, u: float, what: str, v: Any, kink: str) -> list[Any]:
    from ..vectors import LIMIT

    arb = _ball()._arb
    acts = _acts(f, g, 2 if what == "hessian" else 1, kink)
    a, d = acts[0], acts[1]
    if f.name == "swiglu_oai":
        uc = arb(max(min(u, LIMIT), -LIMIT)) + 1
        inside = -LIMIT <= u <= LIMIT
        dy = [d * uc, a if inside else arb(0)]
    else:
        uc = arb(u)
        dy = [d * uc, a]
    if what == "y":
        return [a * uc]
    if what == "partials":
        return dy
    if what == "hessian":
        inside = f.name != "swiglu_oai" or -LIMIT <= u <= LIMIT
        return [acts[2] * uc, d if inside else arb(0), arb(0)]
    if what == "vjp":
        return [arb(v) * dy[0], arb(v) * dy[1]]
    return [dy[0] * arb(v[0]) + dy[1] * arb(v[1])]  # jvp


def _gated_fast(f: "Gated", g: np.ndarray, u: np.ndarray, what: str, v: Any, kink: str
                ) -> np.ndarray:
    with np.errstate(all="ignore"):
        if what == "y":
            return np.asarray(f(g, u))[None]
        if what == "hessian":
            return np.stack(f.hessian(g, u, kink=kink))
        dg, du = f.partials(g, u, kink=kink)
        if what == "partials":
            return np.stack([dg, du])
        if what == "vjp":
            return np.stack([v * dg, v * du])
        return (dg * v[0] + du * v[1])[None]


def _gated_run(f: "Gated", g: Any, u: Any, what: str, v: Any, kink: str, accept: Any,
               bits: int) -> tuple[np.ndarray, list[list[Any]]]:
    if what not in GATED_WHATS:
        raise ValueError(f"what must be one of {', '.join(GATED_WHATS)}, got {what!r}")
    g, u = (np.asarray(a, dtype=np.float64).reshape(-1) for a in np.broadcast_arrays(g, u))
    if what in ("vjp", "jvp"):
        if v is None:
            raise ValueError(f"{what} needs a vector v")
        v = np.asarray(v, dtype=np.float64)
        v = np.broadcast_to(v, ((2,) if what == "jvp" else ()) + g.shape)
        if not np.isfinite(v).all():
            raise ValueError("the vector v must be finite for --exact and --digits")
    fast = _gated_fast(f, g, u, what, v, kink)
    oai = f.name == "swiglu_oai"
    cols: list[list[Any]] = []
    for i, (gi, ui) in enumerate(zip(g.tolist(), u.tolist())):
        fi = fast[:, i].tolist()
        # swiglu_oai's clamps make g = +inf and u = ±inf ordinary inputs (min(g, 7) = 7)
        fine = (math.isfinite(gi) or (oai and gi == math.inf)) and (
            math.isfinite(ui) or (oai and ui == ui))
        if not fine:
            cols.append(fi)  # the float64 path's (IEEE) value: the limit, or nan
            continue
        vi = None if v is None else (v[..., i].tolist())
        cols.append(_decide(lambda: _gated_balls(f, gi, ui, what, vi, kink), accept, bits, fi))
    return fast, [list(r) for r in zip(*cols)] if cols else [[] for _ in range(len(fast))]


def gated_float(f: "Gated", g: Any, u: Any, *, what: str = "partials", v: Any = None,
                kink: str = "pytorch", dtype: Any = np.float64) -> np.ndarray:
    """A gated unit's `what` (GATED_WHATS) at each (g, u), shape (k, n) (k the number of
    results per element), each the exact value rounded once to dtype; vjp takes v (one
    number per element), jvp v = (t_g, t_u). Where g or u is ±inf or nan: the float64
    path's value (the IEEE result: the limit where there is one)."""
    fast, rows = _gated_run(f, g, u, what, v, kink, _accept_float(_format(dtype)), 64)
    with np.errstate(over="ignore", under="ignore"):
        return np.array(rows, dtype=np.float64).reshape(fast.shape).astype(dtype)


def gated_text(f: "Gated", g: Any, u: Any, *, what: str = "partials", v: Any = None,
               kink: str = "pytorch", digits: int) -> list[list[str]]:
    """As gated_float, with exactly `digits` significant digits, correctly rounded."""
    if isinstance(digits, bool) or not isinstance(digits, int) or not 1 <= digits <= MAX_DIGITS:
        raise ValueError(f"digits must be between 1 and {MAX_DIGITS}, got {digits!r}")
    _, rows = _gated_run(f, g, u, what, v, kink, _accept_text(digits), _digit_bits(digits))
    return [[_text(x, digits) for x in row] for row in rows]
