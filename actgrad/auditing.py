"""Judge an implementation of g, g′ or g″ against actgrad's exact values.

``audit(fn, "sigmoid", of="deriv", dtype="float32")`` calls ``fn`` once with a numpy array of
stress points in that dtype and compares what it returns with the exact values, correctly
rounded to the dtype (``numerics/rigorous.values_float``: ball arithmetic, proven). The
points (``stress_grid``):

* core: −8 <= z <= 8, every 0.01 and every 0.25;
* left and right tail: 8 < |z| < 64 every 0.25, then log-spaced (100 points to 1000, 300
  beyond) out to the largest finite float of the dtype, that float and ±inf; the overflow and underflow thresholds of exp (z = ±log(max), log(smallest
  normal), log(smallest subnormal), log(half of it)) and √max (where z·z overflows) with their neighbourhoods;
* near 0: |z| <= 1/16, log-spaced down to the smallest subnormal, ±0, the smallest normal;
* near roots: around each root of g′ and of the judged function found on [−20, 20] (a sign
  change of the catalogue's float64 form, bisected to adjacent floats), within 1/16;
* near kinks: around each kink of the judged function (``Activation.kinks``, ``kinks2`` for
  g″) and each switch point of its formulas (``breaks``, the kinks of the other derivative, a
  ``threshold`` parameter), within 1/16;
* any values given (``values=``), put in the region they fall in.

For an expression (slow exact values, below) the regular parts (core, tails, near 0) have
every 4th point.

A point belongs to the first of near kinks, near roots, near 0, tails, core that it is in.
The kink points themselves are judged apart: which convention the value there follows
(pytorch, jax, left, right, mean: the exact one-sided values of ``Kink``, rounded to the
dtype; a framework is named only where it ships the function), or none.

Error measures, in the dtype: the ULP error is the number of floats of the dtype between the
value given and the exact one (±0 equal), so an exact 0 measures a nonzero value in subnormal
spacings; the relative error is |given − exact|/|exact| (inf for a nonzero value where the
exact is 0). A nan or ±inf where the exact value is finite counts apart and never passes.
``ok``: every point within the tolerance (``ulp=`` ULP, default 4, or ``rel=`` relative) and
every kink following a convention (``kink=``: that one).

For an expression, the conventions at its kinks are those of its float64 forward mode
(``Expression.deriv`` with each ``kink=``), not exact values.

Diagnoses, where the pattern is recognisable: 0 where the exact value is nonzero and
representable (computed from a rounded output, or a cancellation like 1 − a; subnormals
flushed to zero; z·z overflowing beyond √max); wrong signs;
a constant factor; the values of another of g, g′, g″; nan/inf at ±inf or in the tails;
errors only near the roots of g′ (cancellation).

``audit_values(z, given, ...)`` judges values computed elsewhere (a csv from PyTorch) on their
own points. An implementation that raises, or returns something that is not an array of the
input's shape, gives ``AuditError`` with its message in one line.

Expressions (``actgrad.expression``) are judged too: their exact values are the rigorous
path's for expressions (``expression.exact_values``: the graph on Taylor series in ball
arithmetic, each value correctly rounded with a proof); points where none is given (±inf, a
pole, a kink whose one-sided values differ) are left out.
"""

from __future__ import annotations

import contextlib
import math
import sys
import textwrap
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from . import registry
from .activations.base import KINK_CONVENTIONS, check_kink

OFS = ("g", "deriv")
REGIONS = ("core", "left tail", "right tail", "near 0", "near roots", "near kinks")
DEFAULT_ULP = 4.0
#: the core is |z| <= CORE; beyond are the tails
CORE = 8.0
#: the half-width of the neighbourhoods of 0, roots and kinks (times max(1, |point|))
NEAR = 1.0 / 16
#: where roots are looked for
ROOT_RANGE = 20.0
MAX_ROOTS = 8


class AuditError(ValueError):
    """The implementation raised, or returned something that cannot be judged (one line)."""


# -- results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegionResult:
    """The errors over one region: its worst point (by ULP) with the value given there."""

    region: str
    points: int
    max_ulp: float
    max_rel: float
    worst_z: float
    worst_given: float
    worst_exact: float
    above_tol: int  # points above the tolerance (the nan/inf included)
    nonfinite: int  # nan or ±inf where the exact value is finite


@dataclass(frozen=True)
class KinkResult:
    """The value given at a kink and the conventions it follows (() for none)."""

    at: float
    given: float
    left: float  # the exact one-sided values, rounded to the dtype
    right: float
    follows: tuple[str, ...]
    ok: bool

    @property
    def convention(self) -> str:
        return ", ".join(self.follows) if self.follows else "none"


@dataclass(frozen=True)
class AuditReport:
    """What ``audit`` found; ``text()`` (and ``str()``) is the plain-text report."""

    function: str  # "sigmoid′", "gelu", "tanh″", "d/dz z*sigmoid(z)"
    of: str
    order: int
    dtype: str
    tol: float
    tol_kind: str  # "ulp" or "rel"
    regions: tuple[RegionResult, ...]
    kinks: tuple[KinkResult, ...]
    diagnoses: tuple[str, ...]
    notes: tuple[str, ...]
    ok: bool
    kink: str | None = None
    z: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False, compare=False)
    given: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False, compare=False)
    exact: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False, compare=False)
    region: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False, compare=False)

    @property
    def points(self) -> int:
        return sum(r.points for r in self.regions) + len(self.kinks)

    @property
    def tolerance(self) -> str:
        """'4 ULP (float32)' or 'relative error 1e-06'."""
        if self.tol_kind == "ulp":
            return f"{_num(self.tol)} ULP of {self.dtype}"
        return f"relative error {self.tol!r}"

    @property
    def verdict(self) -> str:
        return "passed" if self.ok else "FAILED"

    def headline(self) -> str:
        return (f"{self.function} in {self.dtype} against its exact values: {self.verdict}"
                f" (tolerance {self.tolerance}; {self.points} point{'' if self.points == 1 else 's'})")

    def text(self, width: int = 80) -> str:
        """The report as plain text, lines at most `width` columns (numbers never cut)."""
        out = [_wrap(self.headline(), width)]
        head = ("region", "points", "max ULP", "max rel. error", "above tol", "nan/inf")
        rows = [(r.region, str(r.points), _num(r.max_ulp), repr(r.max_rel), str(r.above_tol),
                 str(r.nonfinite)) for r in self.regions]
        out.append(_columns(head, rows))
        f = self.show
        worst = [r for r in self.regions if r.points]
        if worst:
            out.append("worst point of each region:")
            for r in worst:
                out.append(_wrap(f"{r.region}: z = {f(r.worst_z)} gives {f(r.worst_given)},"
                                 f" exact {f(r.worst_exact)}", width, "  ", "    "))
        if self.kinks:
            out.append("kinks (the value given at the kink, and the convention it follows):")
            for k in self.kinks:
                out.append(_wrap(f"z = {f(k.at)}: {f(k.given)}: {k.convention} (left"
                                 f" {f(k.left)}, right {f(k.right)})"
                                 f"{'' if k.ok else '  FAILED'}", width, "  ", "    "))
        if self.diagnoses:
            out.append("diagnosis:")
            out += [_wrap(d, width, "  - ", "    ") for d in self.diagnoses]
        if self.notes:
            out.append("notes:")
            out += [_wrap(n, width, "  - ", "    ") for n in self.notes]
        return "\n".join(out) + "\n"

    def __str__(self) -> str:
        return self.text()

    def show(self, v: float) -> str:
        """A value of the dtype as its shortest text (float32 0.1 as '0.1')."""
        return str(np.dtype(self.dtype).type(v))


def _num(v: float) -> str:
    """A ULP count: an integer as an integer, else repr."""
    if math.isfinite(v) and v == int(v) and abs(v) < 2**63:
        return str(int(v))
    return repr(float(v))


def _wrap(text: str, width: int, first: str = "", later: str = "  ") -> str:
    return "\n".join(textwrap.wrap(text, width, initial_indent=first, subsequent_indent=later,
                                   break_long_words=False, break_on_hyphens=False)) or first


def _columns(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(c) for c in col) for col in zip(head, *rows)]
    lines = []
    for row in (head, *rows):
        cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:])]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


# -- what is judged ---------------------------------------------------------------------------


@dataclass
class _Kink:
    at: float
    left: float  # exact one-sided values rounded to the dtype
    right: float
    values: dict[str, float]  # convention -> its exact value rounded to the dtype
    named: tuple[str, ...]  # the conventions worth naming here


class _Target:
    """The function judged: its exact values, kinks, switch points and float forms."""

    label: str
    exact_note: str | None = None
    #: whether exact values at ±inf (the limits) are known
    limits: bool = True
    #: 1: the full grid; k: every k-th point of its regular parts (slow exact values)
    thin: int = 1

    def exact(self, z: np.ndarray) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError

    def kinks(self, dt: np.dtype) -> list[_Kink]:
        return []

    def switches(self) -> list[float]:
        return []

    def approx(self) -> Callable[[np.ndarray], np.ndarray]:  # pragma: no cover - interface
        raise NotImplementedError

    def root_forms(self) -> list[Callable[[np.ndarray], np.ndarray]]:
        return [self.approx()]

    def others(self) -> dict[str, Callable[[np.ndarray], np.ndarray]]:
        return {}


_PRIMES = {0: "", 1: "′", 2: "″"}


class _Catalogue(_Target):
    def __init__(self, f: registry.Activation, order: int):
        self.f, self.order = f, order
        args = "".join(f", {k}={v!r}" for k, v in f.params.items()
                       if v != {p.name: p.default for p in f.spec.params}[k])
        self.label = f.name + _PRIMES[order] + (f" ({args[2:]})" if args else "")

    def _deriv(self, order: int) -> Any:
        return {0: False, 1: True, 2: 2}[order]

    def exact(self, z: np.ndarray) -> np.ndarray:
        from .numerics import rigorous

        return np.asarray(rigorous.values_float(self.f, z, deriv=self._deriv(self.order),
                                                dtype=z.dtype), dtype=z.dtype)

    def kinks(self, dt: np.dtype) -> list[_Kink]:
        if self.order == 0:
            return []
        from .numerics import rigorous

        out = []
        frameworks = {fw.lower() for fw in self.f.spec.frameworks}
        for k in (self.f.kinks if self.order == 1 else self.f.kinks2):
            at = dt.type(k.at)
            if float(at) != k.at:
                continue  # not a float of this dtype: no z lands on it
            values = {c: float(rigorous.values_float(self.f, np.array([at]),
                                                      deriv=self._deriv(self.order), kink=c,
                                                      dtype=dt)[0])
                      for c in KINK_CONVENTIONS}
            named = tuple(c for c in KINK_CONVENTIONS if c in ("left", "right", "mean")
                          or c in frameworks)
            out.append(_Kink(k.at, values["left"], values["right"], values, named))
        return out

    def switches(self) -> list[float]:
        f = self.f
        points = [k.at for k in (*f.kinks, *f.kinks2)] + list(f.breaks)
        p = dict(f.params)
        if isinstance(p.get("threshold"), float):
            points.append(p["threshold"])
            if isinstance(p.get("beta"), float) and p["beta"] != 0:
                points.append(p["threshold"] / p["beta"])
        return points

    def _form(self, order: int) -> Callable[[np.ndarray], np.ndarray]:
        f = self.f
        if order == 0:
            return lambda z: np.asarray(f(z), dtype=np.float64)
        if order == 2 and f.spec.d2g is None:
            return None  # type: ignore[return-value]
        return lambda z: np.asarray(f.deriv(z, order=order), dtype=np.float64)

    def approx(self) -> Callable[[np.ndarray], np.ndarray]:
        return self._form(self.order)

    def root_forms(self) -> list[Callable[[np.ndarray], np.ndarray]]:
        forms = [self._form(self.order)]
        if self.order != 1:
            forms.append(self._form(1))
        return forms

    def others(self) -> dict[str, Callable[[np.ndarray], np.ndarray]]:
        names = {0: f"g ({self.f.name} itself)", 1: f"g′ of {self.f.name}",
                 2: f"g″ of {self.f.name}"}
        return {names[o]: form for o in (0, 1, 2)
                if o != self.order and (form := self._form(o)) is not None}


class _Expr(_Target):
    """An expression in z (actgrad.expression): g or g′, exact values from Taylor series in ball arithmetic.
    Its limits at ±inf are not known exactly: ±inf is left out of its grid; its exact values
    cost ~0.3 ms a point, so its grid has every 4th point of the regular parts."""

    limits = False
    thin = 4

    def __init__(self, e: Any, order: int):
        if order == 2:
            raise ValueError("the audit of an expression's g″ is not available (g and g′ are)")
        self.e, self.order = e, order
        self.label = e.name if order == 0 else f"d/dz {e.name}"
        self.exact_note = ("exact values of the expression: its graph on Taylor series in ball"
                           " arithmetic, correctly rounded with a proof; z = ±inf is left out"
                           " (no exact limits)")

    def exact(self, z: np.ndarray) -> np.ndarray:
        return _mp_values(self.e, z, self.order)

    def kinks(self, dt: np.dtype) -> list[_Kink]:
        if self.order == 0:
            return []
        out = []
        for s in self.e.kink_sites:
            if s.z is None or not s.z_exact or float(dt.type(s.z)) != s.z:
                continue
            at = np.array([s.z], dtype=dt)
            values = {c: float(np.asarray(self.e.deriv(at, kink=c))[0]) for c in KINK_CONVENTIONS}
            out.append(_Kink(s.z, values["left"], values["right"], values, KINK_CONVENTIONS))
        return out

    def switches(self) -> list[float]:
        return [s.z for s in self.e.kink_sites if s.z is not None]

    def approx(self) -> Callable[[np.ndarray], np.ndarray]:
        if self.order == 0:
            return lambda z: np.asarray(self.e(z), dtype=np.float64)
        return lambda z: np.asarray(self.e.deriv(z), dtype=np.float64)

    def root_forms(self) -> list[Callable[[np.ndarray], np.ndarray]]:
        return [lambda z: np.asarray(self.e.deriv(z), dtype=np.float64)]


def _target(function: Any, params: dict[str, Any], of: str, order: int) -> _Target:
    if of not in OFS:
        raise ValueError(f"of must be 'g' or 'deriv', got {of!r}")
    if isinstance(order, bool) or order not in (1, 2):
        raise ValueError(f"the audit judges g′ (order 1) or g″ (order 2), got order {order!r}")
    if of == "g" and order != 1:
        raise ValueError("order is for of='deriv' (of='g' judges g itself)")
    o = 0 if of == "g" else order
    from . import expression

    if isinstance(function, expression.Expression):
        if params:
            raise ValueError("an expression takes its parameters in its calls")
        return _Expr(function, o)
    if isinstance(function, registry.Activation):
        if params:
            function = registry.Activation(function.spec, {**function.params, **params})
        f = function
    elif isinstance(function, str):
        got = expression.resolve(function, params)
        if isinstance(got, expression.Expression):
            return _Expr(got, o)
        f = got
    else:
        raise TypeError(f"the function judged is a catalogue name, an Activation or an"
                        f" expression, got {function!r}")
    if o == 2 and f.spec.d2g is None:
        raise ValueError(f"g″ of {f.name} is not available")
    return _Catalogue(f, o)


# -- the stress grid --------------------------------------------------------------------------


#: the dtypes an audit judges in (ml_dtypes' bfloat16 and float8: not yet, see _dtype)
AUDIT_DTYPES = ("float64", "float32", "float16")


def _dtype(dtype: Any) -> np.dtype:
    from .numerics import ML_DTYPES, as_dtype

    try:
        dt = as_dtype(dtype)
    except ValueError:
        dt = None
    if dt is not None and dt.name in ML_DTYPES:
        raise ValueError(f"the audit judges {', '.join(AUDIT_DTYPES)}, not yet {dt.name}")
    if dt is None or dt.name not in AUDIT_DTYPES:
        raise ValueError(f"dtype must be one of {', '.join(AUDIT_DTYPES)}, got {dtype!r}")
    return dt


def _around(p: float, dt: np.dtype, n: int = 40) -> list[np.ndarray]:
    """p, its 4 float neighbours on each side, and p ± log-spaced offsets up to NEAR·max(1,|p|)."""
    t = dt.type
    fi = np.finfo(dt)
    with np.errstate(all="ignore"):
        c = t(p)
        pts = [c]
        up = down = c
        for _ in range(4):
            up, down = np.nextafter(up, t(np.inf)), np.nextafter(down, t(-np.inf))
            pts += [up, down]
        spacing = abs(float(np.spacing(c))) or float(fi.smallest_subnormal)
        top = NEAR * max(1.0, abs(float(p)))
        offsets = np.exp2(np.linspace(math.log2(spacing), math.log2(top), n))
        return [np.array(pts, dtype=dt), (float(p) + offsets).astype(dt),
                (float(p) - offsets).astype(dt)]


def _roots(forms: Sequence[Callable[[np.ndarray], np.ndarray]], avoid: Sequence[float]
           ) -> list[float]:
    """Sign changes of the float64 forms on [−ROOT_RANGE, ROOT_RANGE], bisected to adjacent
    floats, not at a jump (a point of `avoid` in the interval), nearest to 0 first."""
    z = np.linspace(-ROOT_RANGE, ROOT_RANGE, 8001)
    found: set[float] = set()
    bad = np.array(sorted(avoid), dtype=np.float64)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for form in forms:
            v = form(z)
            s = np.sign(v)
            for i in np.flatnonzero(s[:-1] * s[1:] < 0):
                a, b = float(z[i]), float(z[i + 1])
                if bad.size and np.any((bad >= a) & (bad <= b)):
                    continue
                sa = s[i]
                for _ in range(200):
                    m = 0.5 * (a + b)
                    if m in (a, b):
                        break
                    sm = np.sign(form(np.array([m]))[0])
                    if sm == 0:
                        a = b = m
                        break
                    if sm == sa:
                        a = m
                    else:
                        b = m
                va, vb = abs(form(np.array([a]))[0]), abs(form(np.array([b]))[0])
                found.add(a if va <= vb else b)
    return sorted((r for r in found if r != 0), key=abs)[:MAX_ROOTS]


def _unique(z: np.ndarray) -> np.ndarray:
    """Distinct values (−0 and +0 both kept, nan dropped), in increasing order."""
    z = z[~np.isnan(z)]
    bits = np.unique(z.view({8: np.uint64, 4: np.uint32, 2: np.uint16}[z.dtype.itemsize]))
    out = bits.view(z.dtype)
    return out[np.argsort(out, kind="stable")]


@dataclass
class _Grid:
    z: np.ndarray
    roots: list[float]
    kinks: list[_Kink]
    switches: list[float]


def _grid(target: _Target, dt: np.dtype, values: Any = None, stress: bool = True) -> _Grid:
    fi = np.finfo(dt)
    kinks = target.kinks(dt)
    switches = sorted(set(target.switches()))
    roots = _roots([f for f in target.root_forms() if f is not None], switches)
    if not stress:
        z = np.asarray(values, dtype=np.float64).reshape(-1)
        with np.errstate(over="ignore"):
            return _Grid(z.astype(dt), roots, kinks, switches)
    big, tiny, sub = float(fi.max), float(fi.tiny), float(fi.smallest_subnormal)
    k = target.thin  # every k-th point of the regular parts
    parts: list[Any] = [np.linspace(-CORE, CORE, 1600 // k + 1),
                        np.arange(-CORE, CORE + 0.125, 0.25)]
    with np.errstate(over="ignore"):
        tail = np.concatenate([np.arange(CORE, 64.0, 0.25 * k),
                               np.exp2(np.linspace(6.0, math.log2(1000.0), 100 // k)),
                               np.exp2(np.linspace(math.log2(1000.0), math.log2(big), 300 // k))])
    tail = np.append(tail[(tail > CORE) & (tail < big)], [big, math.inf])
    parts += [tail, -tail]
    # exp overflows; exp is subnormal; exp is the smallest subnormal; exp rounds to 0
    thresholds = [math.log(big), math.log(tiny), math.log(sub), math.log(sub) - math.log(2)]
    for t in thresholds:
        parts += [t + np.linspace(-0.5, 0.5, 40 // k + 1), -t + np.linspace(-0.5, 0.5, 40 // k + 1)]
        parts += _around(t, dt, 8) + _around(-t, dt, 8)
    parts += _around(math.sqrt(big), dt, 8) + _around(-math.sqrt(big), dt, 8)
    small = np.exp2(np.linspace(math.log2(sub), math.log2(NEAR), 300 // k))
    small = np.append(small, [tiny, float(fi.eps), math.sqrt(tiny), 0.0])
    parts += [small, -small]
    for p in [*(k.at for k in kinks), *switches, *roots]:
        parts += _around(p, dt)
    if values is not None:
        parts.append(np.asarray(values, dtype=np.float64).reshape(-1))
    with np.errstate(over="ignore", under="ignore"):
        z = np.concatenate([np.asarray(p, dtype=np.float64).reshape(-1) for p in parts])
        z = _unique(z.astype(dt))
    if not target.limits:
        z = z[np.isfinite(z)]
    return _Grid(z, roots, kinks, switches)


def stress_grid(function: Any, *, of: str = "deriv", order: int = 1, dtype: Any = "float64",
                values: Any = None, **params: Any) -> np.ndarray:
    """The points ``audit`` calls an implementation with (module doc), in the dtype."""
    return _grid(_target(function, params, of, order), _dtype(dtype), values).z


def _regions(z: np.ndarray, grid: _Grid) -> np.ndarray:
    """Each point's region (an index into REGIONS); −1 for a kink point itself."""
    x = z.astype(np.float64)
    reg = np.zeros(x.shape, dtype=np.int64)
    reg[x < -CORE] = 1
    reg[x > CORE] = 2
    reg[np.abs(x) <= NEAR] = 3
    for r in grid.roots:
        reg[np.abs(x - r) <= NEAR * max(1.0, abs(r))] = 4
    for p in [*(k.at for k in grid.kinks), *grid.switches]:
        with np.errstate(invalid="ignore"):
            reg[np.abs(x - p) <= NEAR * max(1.0, abs(p))] = 5
    for k in grid.kinks:
        reg[x == k.at] = -1
    return reg


# -- measuring --------------------------------------------------------------------------------


def ulp_error(given: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """|given − exact| / ulp(exact), ulp the spacing of the dtype at |exact| (the smallest
    subnormal at 0), as float64; 0 for equal values (±0 and equal infinities), inf where
    either is nan or infinite and they differ, or the error exceeds float64."""
    with np.errstate(all="ignore"):
        a = np.abs(exact)
        top = np.finfo(exact.dtype).max
        # the spacing at the largest float is the one below it (above it is inf)
        u = np.spacing(np.where(a == top, np.nextafter(top, exact.dtype.type(0)), a)
                       ).astype(np.float64)
        d = np.abs(given.astype(np.float64) - exact.astype(np.float64)) / u
    same = (given == exact) | (np.isnan(given) & np.isnan(exact))
    fin = np.isfinite(given) & np.isfinite(exact)
    return np.where(same, 0.0, np.where(fin & ~np.isnan(d), d, math.inf))


def _rel(g: np.ndarray, e: np.ndarray) -> np.ndarray:
    g64, e64 = g.astype(np.float64), e.astype(np.float64)
    with np.errstate(all="ignore"):
        r = np.abs(g64 - e64) / np.abs(e64)
    r = np.where(e64 == 0, np.where(g64 == 0, 0.0, math.inf), r)
    r = np.where(g64 == e64, 0.0, r)  # equal infinities
    return np.where(np.isnan(r), math.inf, r)


# -- calling the implementation ---------------------------------------------------------------


def _describe(fn: Any) -> str:
    name = getattr(fn, "__qualname__", None)
    if not isinstance(name, str) or "<locals>" in name:
        name = getattr(fn, "__name__", None)
    return name if isinstance(name, str) else type(fn).__name__


def one_line(e: BaseException) -> str:
    """'TypeError: message' on one line (the first line of a multi-line message)."""
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0]}" if text else type(e).__name__


def call(fn: Callable[[np.ndarray], Any], z: np.ndarray) -> Any:
    """fn(z), its floating-point warnings silenced (they are what is judged, as values)."""
    try:  # (what it prints goes to stderr: stdout is the report's)
        with np.errstate(all="ignore"), warnings.catch_warnings(), \
                contextlib.redirect_stdout(sys.stderr):
            warnings.simplefilter("ignore")
            return fn(z.copy())
    except (Exception, SystemExit) as e:
        raise AuditError(f"{_describe(fn)} raised {one_line(e)}") from e


def _as_values(fn: Any, got: Any, z: np.ndarray, notes: list[str]) -> np.ndarray:
    try:
        if hasattr(got, "detach") and hasattr(got, "numpy"):  # a torch tensor
            got = got.detach().cpu().numpy()
        arr = np.asarray(got)
    except Exception as e:
        raise AuditError(f"{_describe(fn)} returned {type(got).__name__}, not an array"
                         f" ({one_line(e)})") from e
    if arr.dtype.kind not in "biuf":
        raise AuditError(f"{_describe(fn)} returned an array of {arr.dtype}, not of real"
                         " numbers")
    if arr.size != z.size:
        raise AuditError(f"{_describe(fn)} returned {arr.size} values for {z.size} inputs"
                         f" (shape {arr.shape}, not {z.shape})")
    arr = arr.reshape(z.shape)
    if arr.dtype != z.dtype:
        notes.append(f"the values were {arr.dtype}; they are judged rounded to {z.dtype}")
        with np.errstate(all="ignore"):
            arr = arr.astype(z.dtype)
    return arr


# -- the audit --------------------------------------------------------------------------------


def _tolerance(ulp: float | None, rel: float | None) -> tuple[float, str]:
    if ulp is not None and rel is not None:
        raise ValueError("give the tolerance in ULP (ulp=) or relative (rel=), not both")
    tol, kind = (rel, "rel") if rel is not None else (DEFAULT_ULP if ulp is None else ulp, "ulp")
    if isinstance(tol, bool) or not isinstance(tol, (int, float)) or not tol >= 0 \
            or math.isinf(tol):
        raise ValueError(f"the tolerance must be a finite number >= 0, got {tol!r}")
    return float(tol), kind


def audit(fn: Callable[[np.ndarray], Any], function: Any, *, of: str = "deriv",
          order: int = 1, dtype: Any = "float64", values: Any = None,
          ulp: float | None = None, rel: float | None = None, kink: str | None = None,
          **params: Any) -> AuditReport:
    """Judge `fn` (numpy array in, array out) as g (of="g"), g′ or g″ (of="deriv", order 1
    or 2) of `function` (a catalogue name with `params`, an Activation, or an expression) in
    `dtype`, on the stress grid plus `values` (module doc)."""
    target = _target(function, params, of, order)
    dt = _dtype(dtype)
    tol = _tolerance(ulp, rel)
    if kink is not None:
        check_kink(kink)
    grid = _grid(target, dt, values)
    notes: list[str] = []
    given = _as_values(fn, call(fn, grid.z), grid.z, notes)
    report = _judge(target, of, order, dt, grid, given, tol, kink, notes)
    from .expression import Expression

    if isinstance(fn, Expression) and of == "deriv" and order == 1:
        import dataclasses

        report = dataclasses.replace(
            report, diagnoses=report.diagnoses + (_as_formula(fn, report),))
    return report


def _as_formula(e: Any, report: AuditReport) -> str:
    """Whether the expression, evaluated exactly (ball arithmetic), is the derivative: compared on
    every 4th core point with the exact derivative."""
    pick = np.flatnonzero(report.region == 0)[::4]
    z, exact = report.z[pick], report.exact[pick]
    mine = _mp_values(e, z, 0)
    err = ulp_error(mine, exact)
    known = ~np.isnan(exact) & ~np.isnan(mine)
    if not known.any():
        return f"{e.name} could not be evaluated exactly at the core points"
    worst = int(np.flatnonzero(known)[np.argmax(err[known])])
    if err[worst] <= 1:
        return (f"as a formula, {e.name} is the derivative: evaluated exactly (ball arithmetic), it"
                f" agrees with the exact derivative within 1 ULP at the {int(known.sum())}"
                " core points compared; the errors above are those of its float64"
                " evaluation")
    return (f"as a formula, {e.name} is not the derivative: evaluated exactly (ball arithmetic), at"
            f" z = {report.show(z[worst])} it is {report.show(mine[worst])}, the exact"
            f" derivative {report.show(exact[worst])}")


def audit_values(z: Any, given: Any, function: Any, *, of: str = "deriv", order: int = 1,
                 dtype: Any = "float64", ulp: float | None = None, rel: float | None = None,
                 kink: str | None = None, **params: Any) -> AuditReport:
    """Judge values computed elsewhere: `given` at the points `z` (both rounded to dtype)."""
    target = _target(function, params, of, order)
    dt = _dtype(dtype)
    tol = _tolerance(ulp, rel)
    if kink is not None:
        check_kink(kink)
    z = np.asarray(z, dtype=np.float64).reshape(-1)
    g = np.asarray(given, dtype=np.float64).reshape(-1)
    if z.size != g.size:
        raise ValueError(f"{z.size} points and {g.size} values")
    notes: list[str] = []
    with np.errstate(over="ignore", under="ignore"):
        zd, gd = z.astype(dt), g.astype(dt)
    moved = (zd.astype(np.float64) != z) & ~np.isnan(z)
    if moved.any():
        notes.append(f"{int(moved.sum())} of the z are not {dt.name} numbers: judged at z"
                     f" rounded to {dt.name} (e.g. {float(z[moved][0])!r})")
    rounded = (gd.astype(np.float64) != g) & ~np.isnan(g)
    if rounded.any():
        notes.append(f"{int(rounded.sum())} of the values are not {dt.name} numbers: judged"
                     f" rounded to {dt.name}")
    keep = ~np.isnan(zd)
    if not keep.all():
        notes.append(f"{int((~keep).sum())} points with z = nan left out")
    grid = _grid(target, dt, zd[keep], stress=False)
    return _judge(target, of, order, dt, grid, gd[keep], tol, kink, notes)


def _judge(target: _Target, of: str, order: int, dt: np.dtype, grid: _Grid, given: np.ndarray,
           tol: tuple[float, str], kink: str | None, notes: list[str]) -> AuditReport:
    z = grid.z
    try:
        exact = target.exact(z)
    except ArithmeticError as e:
        raise ValueError(f"the exact values could not be decided: {e}") from None
    reg = _regions(z, grid)
    ulps = ulp_error(given, exact)
    rels = _rel(given, exact)
    nonfinite = ~np.isfinite(given) & np.isfinite(exact) & (reg != -1)
    known = ~np.isnan(exact)
    err = ulps if tol[1] == "ulp" else rels
    bad = known & ((err > tol[0]) | nonfinite) & (reg != -1)  # kink points: judged apart
    regions = []
    for i, name in enumerate(REGIONS):
        m = (reg == i) & known
        if not m.any():
            continue
        idx = np.flatnonzero(m)
        w = idx[int(np.argmax(np.where(np.isnan(ulps[idx]), math.inf, ulps[idx])))]
        regions.append(RegionResult(
            name, int(m.sum()), float(ulps[idx].max()), float(rels[idx].max()), float(z[w]),
            float(given[w]), float(exact[w]), int(bad[m].sum()), int(nonfinite[m].sum())))
    if (~known).any():
        notes.append(f"{int((~known).sum())} points where the exact value is nan (outside"
                     " the domain) are left out")
    kinks = []
    for k in grid.kinks:
        at = np.flatnonzero((z == k.at) & ~np.signbit(z))  # at 0: +0
        if not at.size:
            at = np.flatnonzero(z == k.at)
        if not at.size:
            continue
        g = given[at[0]]
        follows = tuple(c for c in k.named if _close(g, k.values[c], dt, tol))
        good = (kink in follows) if kink is not None else bool(follows)
        kinks.append(KinkResult(k.at, float(g), k.left, k.right, follows, good))
    if target.exact_note:
        notes.append(target.exact_note)
    diagnoses = _diagnose(target, z, given, exact, reg, bad, grid, dt)
    ok = not bad.any() and all(k.ok for k in kinks)
    return AuditReport(target.label, of, order, dt.name, tol[0], tol[1], tuple(regions),
                       tuple(kinks), tuple(diagnoses), tuple(notes), ok, kink,
                       z, given, exact, reg)


def _close(g: Any, v: float, dt: np.dtype, tol: tuple[float, str]) -> bool:
    a, b = np.array([g], dtype=dt), np.array([v], dtype=dt)
    return bool((ulp_error(a, b) if tol[1] == "ulp" else _rel(a, b))[0] <= tol[0])


def _points(mask: np.ndarray, what: str = "point") -> str:
    n = int(mask.sum())
    return f"{n} {what}{'' if n == 1 else 's'}"


_WHERE = {"core": "in the core", "left tail": "in the left tail",
          "right tail": "in the right tail"}


def _span(z: np.ndarray) -> str:
    lo, hi = str(z.min()), str(z.max())
    return f"z = {lo}" if lo == hi else f"z from {lo} to {hi}"


def _by_region(mask: np.ndarray, z: np.ndarray, reg: np.ndarray) -> str:
    """'39 in the left tail, z from -99.8 to -88.7; 333 in the right tail, ...'."""
    return "; ".join(f"{int((mask & (reg == r)).sum())} {_WHERE.get(name, name)},"
                     f" {_span(z[mask & (reg == r)])}"
                     for r, name in enumerate(REGIONS) if (mask & (reg == r)).any())


def _known_defects(target: _Target, z: np.ndarray, given: np.ndarray, exact: np.ndarray,
                   bad: np.ndarray, dt: np.dtype) -> tuple[list[str], np.ndarray]:
    """A framework's known wrong value (profiles.DEFECTS: tinygrad's elu′(0) = 0) where the
    given values show it: the diagnoses naming it, and the points they explain."""
    out: list[str] = []
    seen = np.zeros(z.shape, dtype=bool)
    if not isinstance(target, _Catalogue) or target.order == 0:
        return out, seen
    from . import profiles

    f = target.f
    for d in profiles.point_defects(f.name, dict(f.params), target.order):
        at = (z == d.at) & bad & (given == d.value)
        if not at.any():
            continue
        p = profiles.BY_NAME[d.framework]
        i = int(np.flatnonzero(at)[0])
        name = f"{f.name}{_PRIMES[target.order]}({_num(d.at)})"
        who = f"{p.title.split()[0]} {p.version.split()[0]}"  # Keras 3.15.1, MLX 0.32.4
        out.append(f"{_num(d.value)} at z = {_num(d.at)} is {who}'s {name}, a known defect"
                   f" of its autograd, not a kink"
                   f" convention: {f.name} is differentiable there and the derivative is"
                   f" {_num(float(exact[i]))} ({d.why})")
        seen |= at
    return out, seen


def _diagnose(target: _Target, z: np.ndarray, given: np.ndarray, exact: np.ndarray,
              reg: np.ndarray, bad: np.ndarray, grid: _Grid, dt: np.dtype) -> list[str]:
    out, seen = _known_defects(target, z, given, exact, bad, dt)
    bad = bad & ~seen  # explained: not for the guesses below
    fin = np.isfinite(given) & np.isfinite(exact)
    # zeros where the exact value is nonzero and representable
    zero = fin & (given == 0) & (exact != 0) & bad & (reg != 4)  # near roots: cancellation
    root_big = math.sqrt(float(np.finfo(dt).max))
    far = np.abs(z.astype(np.float64)) >= root_big * 0.99
    if zero.any() and not (zero & ~far).any():
        out.append(f"0 at {_points(zero)} where the exact value is representable, all where"
                   f" |z| >= √max = {root_big:.3g} ({_by_region(zero, z, reg)}): z·z"
                   " overflows in an intermediate?")
        zero = zero & False
    sub = zero & (np.abs(exact.astype(np.float64)) < float(np.finfo(dt).tiny))
    if sub.any() and not (zero & ~sub).any():
        out.append(f"0 at {_points(sub)} where the exact value is subnormal"
                   f" ({_by_region(sub, z, reg)}): subnormals flushed to zero (FTZ/DAZ, as"
                   " GPUs and fast-math builds do)?")
        zero = zero & False
    if zero.any():
        e = np.abs(exact[fin].astype(np.float64))
        tiny = np.abs(exact.astype(np.float64)) <= math.sqrt(float(np.finfo(dt).eps)) * e.max()
        for mask, what, why in (
                (zero & tiny, "small but representable",
                 ": computed from a rounded output, or a cancellation such as 1 − a,"
                 " 1 − tanh² or 1 + erf?"),
                (zero & ~tiny, "not small", ": a wrong branch?")):
            if mask.any():
                i = np.flatnonzero(mask)[np.argmax(np.abs(exact[mask]))]
                out.append(f"0 at {_points(mask)} where the exact value is {what}"
                           f" ({_by_region(mask, z, reg)}; e.g. z = {str(z[i])}, exact"
                           f" {str(exact[i])}){why}")
    # wrong signs (away from the roots, where a sign is cancellation's business)
    both = fin & (given != 0) & (exact != 0) & (reg != 4) & (reg != -1)
    sign = both & (np.sign(given) != np.sign(exact))
    ratio = None
    if both.any():
        with np.errstate(all="ignore"):
            ratio = given[both].astype(np.float64) / exact[both].astype(np.float64)
    factor = None
    if ratio is not None and ratio.size >= 8:
        lo, med, hi = np.quantile(ratio, [0.05, 0.5, 0.95])
        if med != 0 and abs(hi - lo) <= 1e-6 * abs(med) and abs(med - 1) > 1e-3:
            factor = float(med)
    if factor is not None and factor < 0 and abs(factor + 1) <= 1e-3:
        out.append("the sign is wrong everywhere: the values are −1 × the exact ones")
    elif factor is not None:
        shown = round(factor, 6)
        out.append(f"off by a constant factor: the values are {shown!r} × the exact ones"
                   f" (at {int(np.sum(np.abs(ratio - factor) <= 1e-6 * abs(factor)))}"
                   f" of {ratio.size} points)")
    elif sign.any():
        out.append(f"wrong sign at {_points(sign)} ({_by_region(sign, z, reg)})")
    # another function's values
    if factor is None and bad.any():
        core = (reg == 0) & np.isfinite(given)
        if core.sum() >= 8:
            x = z[core].astype(np.float64)
            for what, form in target.others().items():
                with np.errstate(all="ignore"), warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    v = form(x)
                    r = np.abs(given[core].astype(np.float64) - v) <= 1e-5 * np.abs(v) + 1e-30
                if r.mean() >= 0.95:
                    out.append(f"the values are those of {what} (at {int(r.sum())} of"
                               f" {r.size} core points)")
                    break
    # nan and inf
    nf = np.isfinite(exact) & ~np.isfinite(given) & (reg != -1)
    if nf.any():
        at_inf = nf & np.isinf(z)
        if at_inf.any():
            what = ", ".join(sorted({str(v) for v in given[at_inf]}))
            out.append(f"{what} at z = {', '.join(sorted({str(v) for v in z[at_inf]}))}"
                       " where the exact value is finite: an inf·0 or inf/inf in an"
                       " intermediate?")
        rest = nf & ~np.isinf(z)
        if rest.any():
            kinds = sorted({"nan" if np.isnan(v) else "inf" for v in given[rest]})
            out.append(f"{' and '.join(kinds)} at {_points(rest, 'finite point')}"
                       f" ({_by_region(rest, z, reg)}) where the exact value is finite: an"
                       " intermediate overflows (exp(z), z·z)?")
    # wrong only beyond √max: z·z overflows
    tail_bad = bad & np.isfinite(given) & (given != 0)
    if tail_bad.any():
        if (tail_bad & far).any() and not (tail_bad & ~far).any():
            out.append(f"wrong only where |z| >= √max = {root_big:.3g}: z·z overflows in an"
                       " intermediate?")
    # errors near the roots, where everything else is explained or small
    near = bad & (reg == 4)
    if near.any():
        rel = _rel(given, exact)
        other = bad & (reg != 4) & fin & ~zero
        if (rel[other] < 1e-2).all():
            roots = ", ".join(f"{r:.6g}" for r in grid.roots)
            out.append(f"errors near the roots (z ≈ {roots}; {_points(near)}): a"
                       " cancellation of nearly equal terms where the value is"
                       " ill-conditioned; an accurate form rewrites the sum there")
    return out


# -- loading a user's callable ----------------------------------------------------------------


def load_callable(path: str, name: str) -> Callable[..., Any]:
    """NAME from the Python file at `path`, imported as the user's own code (it runs).

    OSError if the file cannot be read; AuditError if importing it raises, if it has no
    NAME or NAME is not callable (one line each)."""
    import importlib.util
    import os
    import sys

    if os.path.isdir(path):
        raise IsADirectoryError(21, "Is a directory", path)
    with open(path, "rb"):
        pass  # OSError (no such file, permission) before anything runs
    spec = importlib.util.spec_from_file_location("actgrad_user_impl", path)
    if spec is None or spec.loader is None:
        raise AuditError(f"{path!r} cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    folder = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, folder)  # its own imports of modules next to it
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            spec.loader.exec_module(module)
    except (Exception, SystemExit) as e:
        raise AuditError(f"importing {path!r} raised {one_line(e)}") from e
    finally:
        try:
            sys.path.remove(folder)
        except ValueError:
            pass
    if not hasattr(module, name):
        public = [n for n in vars(module) if not n.startswith("_")
                  and callable(getattr(module, n))]
        from .activations.base import suggest

        hint = suggest(name, public) or (f" (it defines: {', '.join(sorted(public))})"
                                         if public else "")
        raise AuditError(f"{path!r} has no {name!r}{hint}")
    fn = getattr(module, name)
    if not callable(fn):
        raise AuditError(f"{name!r} in {path!r} is a {type(fn).__name__}, not a function")
    return fn


# -- exact values of an expression: Taylor series in ball arithmetic -------------------------


def _mp_values(e: Any, z: np.ndarray, order: int) -> np.ndarray:
    """The exact g (order 0) or g′ of the expression at each z, correctly rounded to z's
    dtype with a proof (expression.exact_values: Taylor series in ball arithmetic); nan
    where none is given (±inf, a pole, a kink whose one-sided values differ, a value no
    precision decides): those points are left out."""
    from .expression import exact_values

    out = np.full(z.shape, np.nan)
    x = z.astype(np.float64)
    with np.errstate(all="ignore"):
        try:  # all at once, the common case
            out = np.asarray(exact_values(e, x, order=order, kink="left"),
                             dtype=np.float64).reshape(z.shape)
        except (ArithmeticError, ValueError):
            for i, zi in enumerate(x.tolist()):
                try:
                    out[i] = float(exact_values(e, [zi], order=order, kink="left")[0])
                except (ArithmeticError, ValueError):
                    out[i] = math.nan
        return out.astype(z.dtype)
