"""`check` and `table` of the vector functions: the analytic Jacobian (partials, for the gated
units) against a numerical one in extended precision, and the row sums of the softmax family.

The numerical derivative is a central difference in mpmath at 120 significant digits with step
h = 1e-50·max(1, |z_j|): its truncation error is O(h²) ≈ 1e-100 and its rounding ~1e-70, far
below float64's resolution, so the comparison measures the float64 Jacobian's own error
(entries below FLOOR/T = 1e-60/T are measured against FLOOR/T: there the differences' noise
would be the reference). The function
differenced is written here from the definitions, in mpmath (softmax: e^(x_i)/Σ e^(x_j) with
no max shift; the gated units act(g)·u with the catalogue's mpmath form of act,
``Activation.exact``), never the float64 code under test.

The error of one vector is normwise, max |J − N| / max |N| over its entries (one number per
matrix; entries that are exactly 0, the masked ones, are then measured against the largest);
a function's error is the largest over its vectors. The row-sum check of softmax, softmin and
log_softmax (Σ_j J_ij = 0: Σ_i s_i = 1 whatever z) reports max_i |Σ_j J_ij| / max |J| and
passes when it is at most n·2^−50 (the float64 sum of n entries, each a few ULP off).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from .gradcheck import DEFAULT_TOL, verdict

DIGITS = 120
STEP = 1e-50  # relative to max(1, |z_j|)
FLOOR = 1e-60  # (·1/T) below it a numerical entry is the differences' noise

#: the vectors checked when none is given: equal entries, a spread, one dominant entry, a
#: masked entry, large magnitudes
DEFAULT_VECTORS = ((0.0, 0.0), (1.0, 2.0, 3.0), (3.0, -1.0, 0.5, 2.0), (50.0, 0.0, 1.0),
                   (0.0, -math.inf, 0.0, 2.0), (-300.0, -301.5, -299.0))
#: the (g, u) pairs of the gated units when none is given (no kink of act, no clamp end)
DEFAULT_GATED = ((-6.0, 0.5), (-2.5, -1.0), (-0.75, 2.0), (0.3, -3.0), (1.5, 1.25),
                 (4.0, -0.5), (9.0, 8.0), (-20.0, 3.0))


@dataclass
class VectorCheck:
    function: str
    vectors: int
    entries: int
    max_rel_error: float
    row_sum: float  # nan for the gated units
    tol: float
    worst: str = ""  # the vector (or g, u) where the error is largest
    row_sum_bound: float = field(default=math.nan)

    @property
    def row_sums_ok(self) -> bool:
        return math.isnan(self.row_sum) or self.row_sum <= self.row_sum_bound

    @property
    def passed(self) -> bool:
        return self.max_rel_error <= self.tol and self.row_sums_ok

    @property
    def verdict(self) -> str:
        if not self.row_sums_ok:
            return "wrong"
        return verdict(self.max_rel_error)


def _mp() -> Any:
    import mpmath

    return mpmath


def _softmax_mp(name: str, z: Sequence[Any], t: float) -> list[Any]:
    mp = _mp()
    sign = -1 if name == "softmin" else 1
    x = [sign * v / mp.mpf(t) for v in z]
    e = [mp.exp(v) if v != -mp.inf else mp.mpf(0) for v in x]
    s = mp.fsum(e)
    if name == "log_softmax":
        return [v - mp.log(s) for v in x]
    return [v / s for v in e]


def numerical_jacobian(f: Any, z: Sequence[float]) -> np.ndarray:
    """∂y_i/∂z_j by central differences in mpmath (module doc); columns of masked (±inf)
    entries are 0 (nothing moves there); rows of a masked log-probability (−inf, constant)
    are nan: not compared (the frameworks' backward uses δ_ij − s_j there too)."""
    mp = _mp()
    n = len(z)
    out = np.zeros((n, n))
    with mp.workdps(DIGITS):
        base = [mp.mpf(v) for v in z]
        for j in range(n):
            if not math.isfinite(z[j]):
                continue
            h = mp.mpf(STEP) * max(1, abs(z[j]))
            up, down = list(base), list(base)
            up[j] += h
            down[j] -= h
            a = _softmax_mp(f.name, up, f.temperature)
            b = _softmax_mp(f.name, down, f.temperature)
            for i in range(n):
                if a[i] == -mp.inf:  # a masked log-probability stays −inf
                    out[i, j] = math.nan
                    continue
                out[i, j] = float((a[i] - b[i]) / (2 * h))
        y = _softmax_mp(f.name, base, f.temperature)
        out[[i for i in range(n) if y[i] == -mp.inf], :] = math.nan
    return out


def _y_mp(f: Any, g: Any, u: Any) -> Any:
    mp = _mp()
    if f.name == "swiglu_oai":
        gc = min(g, mp.mpf(7))
        uc = max(min(u, mp.mpf(7)), mp.mpf(-7))
        x = mp.mpf(1.702) * gc
        return (uc + 1) * gc / (1 + mp.exp(-x))
    return f.act.exact(g) * u


def numerical_partials(f: Any, g: float, u: float) -> tuple[float, float]:
    mp = _mp()
    with mp.workdps(DIGITS):
        G, U = mp.mpf(g), mp.mpf(u)
        hg = mp.mpf(STEP) * max(1, abs(g))
        hu = mp.mpf(STEP) * max(1, abs(u))
        dg = (_y_mp(f, G + hg, U) - _y_mp(f, G - hg, U)) / (2 * hg)
        du = (_y_mp(f, G, U + hu) - _y_mp(f, G, U - hu)) / (2 * hu)
        return float(dg), float(du)


def _rel(a: np.ndarray, n: np.ndarray, floor: float = 0.0) -> float:
    """max |a − n| / max |n| (at least `floor`: a numerical Jacobian that is zero but for
    the differences' noise is measured against FLOOR/T)."""
    keep = ~np.isnan(n)
    a, n = a[keep], n[keep]
    scale = max(float(np.max(np.abs(n))), floor) if n.size else 0.0
    diff = float(np.max(np.abs(a - n))) if n.size else 0.0
    if scale == 0:
        return 0.0 if diff == 0 else math.inf
    return diff / scale


def _text(v: Sequence[float]) -> str:
    return "(" + ", ".join(repr(float(x)) for x in v) + ")"


def check(f: Any, vectors: Sequence[Sequence[float]] | None = None, tol: float = DEFAULT_TOL
          ) -> VectorCheck:
    """The check of one vector function over `vectors` (softmax family: vectors z; gated
    units: (g, u) pairs), the defaults above when None."""
    if f.kind == "gated":
        pairs = list(vectors) if vectors is not None else list(DEFAULT_GATED)
        worst, where = 0.0, ""
        for g, u in pairs:
            a = np.array([float(x[0]) for x in f.partials(np.array([g]), np.array([u]))])
            n = np.array(numerical_partials(f, g, u))
            e = _rel(a, n)
            if e > worst or not where:
                worst, where = max(worst, e), _text((g, u))
        return VectorCheck(f.name, len(pairs), 2 * len(pairs), worst, math.nan, tol, where)
    if vectors is None:  # (softmin's masked entries are +inf: softmin(z) = softmax(−z))
        flip = -1.0 if f.name == "softmin" else 1.0
        vectors = [tuple(flip * v if math.isinf(v) else v for v in z) for z in DEFAULT_VECTORS]
    zs = [tuple(v) for v in vectors]
    worst, where, rows, entries, bound = 0.0, "", 0.0, 0, 0.0
    for z in zs:
        with np.errstate(all="ignore"):
            J = f.jacobian(np.array(z, dtype=np.float64))
        N = numerical_jacobian(f, z)
        e = _rel(J, N, FLOOR / f.temperature)
        entries += J.size
        if e > worst or not where:
            worst, where = max(worst, e), _text(z)
        scale = float(np.max(np.abs(J)))
        if scale:
            rows = max(rows, float(np.max(np.abs(J.sum(axis=1)))) / scale)
        bound = max(bound, len(z) * 2.0**-50)
    return VectorCheck(f.name, len(zs), entries, worst, rows, tol, where, bound)


@dataclass(frozen=True)
class VectorTable:
    """One vector function's table: per vector, its entries (softmax family: i, j, y_i,
    J_ij, the numerical J_ij; gated units: g, u, y, ∂y/∂g, ∂y/∂u and their numerical values)."""

    f: Any
    rows: list[tuple[Any, ...]]
    columns: tuple[str, ...]


def table(f: Any, vectors: Sequence[Sequence[float]]) -> VectorTable:
    out: list[tuple[Any, ...]] = []
    if f.kind == "gated":
        for g, u in vectors:
            y = float(f(np.array([g]), np.array([u]))[0])
            dg, du = (float(x[0]) for x in f.partials(np.array([g]), np.array([u])))
            ng, nu = numerical_partials(f, g, u)
            out.append((g, u, y, dg, ng, du, nu, _rel(np.array([dg, du]), np.array([ng, nu]))))
        return VectorTable(f, out, ("g", "u", "y", "dy_dg", "dy_dg_numeric", "dy_du",
                                    "dy_du_numeric", "rel_error"))
    for k, z in enumerate(vectors):
        zz = np.array(z, dtype=np.float64)
        with np.errstate(all="ignore"):
            y, J = f(zz), f.jacobian(zz)
        N = numerical_jacobian(f, list(z))
        for i in range(len(z)):
            for j in range(len(z)):
                a, n = float(J[i, j]), float(N[i, j])
                err = math.nan if n != n else abs(a - n) / max(abs(n), FLOOR / f.temperature)
                out.append((k + 1, i, j, float(y[i]), a, n, err))
    return VectorTable(f, out, ("vector", "i", "j", "y_i", "J_ij", "J_ij_numeric",
                                "rel_error"))
