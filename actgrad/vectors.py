"""Vector-valued activations: softmax, log_softmax, softmin and the gated units (GLU family).

Not in the elementwise catalogue (``activations.CATALOGUE``): their derivative is a Jacobian,
not one number per z, so the elementwise machinery (check, table, explain over every catalogue
function) never sees them. ``actgrad.get(name)`` returns one of these objects for their names
(``get`` below, the package's ``get``), an ``Activation`` for every other name; ``actgrad.vector``
takes only these names.

Inputs of any real dtype are taken as float64 and every result is float64; correctly rounded
results in the small dtypes (and --exact/--digits) are numerics/vector_exact.py's.

Softmax family (over the last axis of an array of any shape; temperature T > 0):

* softmax(z)_i = e^(x_i)/Σ_j e^(x_j), x = z/T; softmin(z) = softmax(−z);
  log_softmax(z)_i = x_i − log Σ_j e^(x_j).
* No overflow for any finite z: the differences d_j = (z_j − max z)/T are formed from z/2 − m/2
  (never overflows) in double-double, e^(d_j) as m·2^k (``special.exp_split``, ~0.7 ULP) and
  each s_j rounded once (m_j/S, then ldexp). S = 1 + R, R = Σ_{j≠k} e^(d_j) summed with error-free
  transformations (k the first maximum); log_softmax_i = d_i − log1p(R): accurate where one entry
  dominates (log of the rounded sum 1 + R would lose all of R).
* 1 − s_k = R/S for the maximum (no cancellation), 1 − s_j for the others (s_j <= 1/2).
* Masked entries (−inf): probability 0, log-probability −inf, zero rows and columns of the
  softmax Jacobian (as PyTorch, JAX, TensorFlow). A row with every entry −inf, a +inf or a nan:
  nan throughout (0/0; what PyTorch, JAX and TensorFlow return; PyTorch's internal
  ``_safe_softmax`` of scaled-dot-product attention returns 0 for fully masked rows instead).
* Jacobian ∂s_i/∂z_j = (s_i δ_ij − s_i s_j)/T (softmin: the negative, at s = softmin(z));
  log_softmax: (δ_ij − s_j)/T. ``vjp(z, v)`` = vᵀJ, ``jvp(z, u)`` = J u, both O(n) and
  without the cancellation of v − ⟨v, s⟩ at a dominant entry (shifted by v_k, and 1 − s_k = R/S).
* Second derivatives: ``hessian(z)`` (..., n, n, n), ∂²s_i/∂z_j∂z_k = s_i[(δ_ij − s_j)(δ_ik −
  s_k) − s_j(δ_jk − s_k)]/T² (softmin: the same at s = softmin(z); log_softmax:
  −s_j(δ_jk − s_k)/T² for every i), and ``vjp_hessian(z, v)`` (..., n, n) = Σ_i v_i ∂²y_i/∂z∂z,
  the Hessian of vᵀy (what double backward differentiates), O(n²); both from s, 1 − s and
  1 − 2s, never e^z.

Gated units y = act(g)·u (per element; g the gate, u the "up" or linear half):
glu (act = sigmoid), reglu (relu), geglu (gelu, exact or tanh), swiglu (silu), bilinear
(identity) and swiglu_oai, GPT-OSS's clamped form: g ← min(g, 7), u ← clip(u, −7, 7),
y = (u + 1)·g·σ(αg), α = 1.702 (the float64 nearest). ``__call__(g, u)`` or ``__call__(x)``
with x split along the last axis by the parameter ``gate``: first (act(x1)·x2: timm's
SwiGLUPacked, Megatron's swiglu), second (x1·act(x2): PyTorch F.glu, jax.nn.glu, timm
gate_last=True) or even (gate at even positions, up at odd: GPT-OSS's gate_up[..., ::2],
gate_up[..., 1::2]). Defaults: glu second (as PyTorch and JAX), swiglu_oai even (as GPT-OSS),
the others first.
``partials(g, u)`` = (∂y/∂g, ∂y/∂u) = (act′(g)·u, act(g)); ``hessian(g, u)`` = the 2×2 blocks
(act″(g)·u, act′(g), 0); act, act′, act″ from the catalogue's accurate forms.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, Mapping

import numpy as np

from . import registry
from .activations.base import check_kink, suggest
from .numerics.special import exp_split, fast_two_sum, two_prod, two_sum

# -- names and parameters ---------------------------------------------------------------------

SOFTMAX_NAMES = ("softmax", "log_softmax", "softmin")
GATED_NAMES = ("glu", "reglu", "geglu", "swiglu", "bilinear", "swiglu_oai")
NAMES = SOFTMAX_NAMES + GATED_NAMES
ALIASES = {"logsoftmax": "log_softmax", "swigluoai": "swiglu_oai",
           "gpt_oss_swiglu": "swiglu_oai", "clamped_swiglu": "swiglu_oai"}
GATES = ("first", "second", "even")
#: the element-wise act of each gated unit: (catalogue name, its parameters)
ACTS = {"glu": "sigmoid", "reglu": "relu", "geglu": "gelu", "swiglu": "silu",
        "bilinear": "identity", "swiglu_oai": "g·σ(1.702g)"}
ALPHA = 1.702  # GPT-OSS's α (the float64 nearest to 1.702)
LIMIT = 7.0  # GPT-OSS's clamp
T_RANGE = (1e-300, 1e300)

FORMULAS = {
    "softmax": "s_i = e^(z_i/T) / Σ_j e^(z_j/T)",
    "log_softmax": "z_i/T − log Σ_j e^(z_j/T)",
    "softmin": "s_i = e^(−z_i/T) / Σ_j e^(−z_j/T)",
    "glu": "y = u·σ(g)  (PyTorch: a·σ(b), gate = second half)",
    "reglu": "y = relu(g)·u",
    "geglu": "y = gelu(g)·u",
    "swiglu": "y = silu(g)·u",
    "bilinear": "y = g·u",
    "swiglu_oai": "y = (clip(u, −7, 7) + 1)·g′σ(1.702g′), g′ = min(g, 7)",
}
DERIV_FORMULAS = {
    "softmax": "J = (diag(s) − s sᵀ)/T",
    "log_softmax": "J = (I − 1 sᵀ)/T",
    "softmin": "J = −(diag(s) − s sᵀ)/T",
}


class _Formulas:
    """The formula fields the plot's legend reads (as an elementwise Spec's)."""

    def __init__(self, formula: str, deriv_formula: str, d2_formula: str,
                 frameworks: tuple[str, ...] = ("PyTorch", "JAX")):
        self.formula, self.deriv_formula, self.d2_formula = formula, deriv_formula, d2_formula
        self.frameworks = frameworks


_PLOT_FORMULAS = {  # (short: the legend drops formulas that do not fit in its line)
    "softmax": ("s_1 of (z, 0) = σ(z)", "∂s_1/∂z = σ(z)σ(−z)", "σ(z)σ(−z)(σ(−z) − σ(z))"),
    "log_softmax": ("y_1 of (z, 0) = log σ(z)", "∂y_1/∂z = σ(−z)", "−σ(z)σ(−z)"),
    "softmin": ("s_1 of (z, 0) = σ(−z)", "∂s_1/∂z = −σ(z)σ(−z)", "σ(z)σ(−z)(σ(z) − σ(−z))"),
}


class OneZ:
    """What ``actgrad plot`` draws for a vector function, as a function of one z with the
    interface of an elementwise ``Activation`` that the plot uses (name, params, kinks,
    kinks2, __call__, deriv(z, kink=, order=), framework_slopes, spec's formulas):

    * softmax family: the first entry of f at the vector (z, 0) (softmax: σ(z/T), log_softmax:
      log σ(z/T), softmin: σ(−z/T)) and its derivatives ∂/∂z, ∂²/∂z², computed through f
      itself (``f``, ``jacobian``, ``hessian``), not through sigmoid;
    * gated units: the act of y = act(g)·u (``Gated.acts``), swiglu_oai's with its kink at the
      clamp g = 7 (act′ jumps from act′(7) to 0; PyTorch's clamp, as GPT-OSS uses it, gives
      the inside value at 7 itself)."""

    def __init__(self, f: "Softmax | Gated"):
        self.vector = f
        if isinstance(f, Softmax):
            self.name = f.name
            self.params: Mapping[str, Any] = {} if f.temperature == 1.0 else f.params
            self.spec = _Formulas(*_PLOT_FORMULAS[f.name])
            self.kinks: tuple[Any, ...] = ()
        else:
            self.name = f"{f.name}'s act {f.act_name}"
            self.params = {k: v for k, v in f.params.items() if k == "approximate"}
            if f.act is not None:
                self.spec = _Formulas(f.act.spec.formula, f.act.spec.deriv_formula,
                                      f.act.spec.d2_formula, tuple(f.act.spec.frameworks))
                self.kinks = tuple(f.act.kinks)
            else:
                from .activations.base import Kink

                self.spec = _Formulas("g′σ(1.702g′), g′ = min(g, 7)",
                                      "σ(x) + xσ(x)σ(−x), x = 1.702g (0 above 7)",
                                      "act″ (0 above 7)", ("PyTorch",))
                inside = float(_oai_acts(np.array([LIMIT]), 1)[1][0])
                self.kinks = (Kink(at=LIMIT, left=inside, right=0.0, pytorch="left",
                                   jax="left", unique_output=False),)
        self.kinks2: tuple[Any, ...] = ()

    def _pair(self, z: Any) -> tuple[np.ndarray, np.ndarray]:
        z = np.asarray(z, dtype=np.float64)
        return z, np.stack([z, np.zeros_like(z)], axis=-1)

    def __call__(self, z: Any) -> np.ndarray:
        f = self.vector
        if isinstance(f, Softmax):
            z, x = self._pair(z)
            return f(x)[..., 0]
        return f.acts(np.asarray(z, dtype=np.float64))[0]

    def deriv(self, z: Any, kink: str = "pytorch", order: int = 1) -> np.ndarray:
        f = self.vector
        if isinstance(f, Softmax):
            z, x = self._pair(z)
            return f.jacobian(x)[..., 0, 0] if order == 1 else f.hessian(x)[..., 0, 0, 0]
        g = np.asarray(z, dtype=np.float64)
        if f.act is not None:
            return f.acts(g, order=order, kink=kink)[order]
        out = f.acts(g, order=order)[order]
        if kink == "right":  # the one-sided limit from above the clamp
            out = np.where(g == LIMIT, 0.0, out)
        return out

    def framework_slopes(self, k: Any) -> tuple[tuple[str, float], ...]:
        return tuple((fw, float(self.deriv(np.float64(k.at), kink=fw.lower())))
                     for fw in self.spec.frameworks)


class VectorError(ValueError):
    """A vector argument that does not fit (lengths, an odd split, a bad parameter)."""


def _key(name: str) -> str:
    return name.strip().lower().replace("-", "_")


def canonical(name: str) -> str | None:
    """The vector function's canonical name for `name` (an alias, any case), or None."""
    if not isinstance(name, str):
        return None
    k = _key(name)
    k = ALIASES.get(k, k)
    return k if k in NAMES else None


def is_vector(name: str) -> bool:
    return canonical(name) is not None


def _bind(name: str, given: Mapping[str, Any], known: dict[str, Any]) -> dict[str, Any]:
    out = dict(known)
    for k, raw in given.items():
        if k not in known:
            raise VectorError(f"{name} has no parameter {k!r}{suggest(k, known)}"
                              f" (its parameters: {', '.join(known) or 'none'})")
        default = known[k]
        if isinstance(default, str):
            allowed = _CHOICES[k]
            if str(raw) not in allowed:
                raise VectorError(f"parameter {k} of {name}: {raw!r} is not allowed"
                                  f" (allowed: {', '.join(allowed)}){suggest(str(raw), allowed)}")
            out[k] = str(raw)
            continue
        try:
            if isinstance(raw, str) and ("_" in raw or not raw.isascii()):
                raise ValueError
            v = float(raw)
        except (TypeError, ValueError):
            raise VectorError(f"parameter {k} of {name}: {raw!r} is not a number") from None
        if not T_RANGE[0] <= v <= T_RANGE[1]:
            raise VectorError(f"parameter {k} of {name}: {raw!r} is out of range"
                              f" (allowed: {T_RANGE[0]:g} <= {k} <= {T_RANGE[1]:g})")
        out[k] = v
    return out


_CHOICES = {"gate": GATES, "approximate": ("none", "tanh")}


def vector(name: str, **params: Any) -> "Softmax | Gated":
    """The vector function `name` (softmax, log_softmax, softmin, glu, reglu, geglu, swiglu,
    bilinear, swiglu_oai) with its parameters bound."""
    c = canonical(name)
    if c is None:
        hint = suggest(_key(str(name)), NAMES) or f" (known: {', '.join(NAMES)})"
        raise registry.UnknownActivationError(f"unknown vector function {name!r}{hint}")
    if c in SOFTMAX_NAMES:
        return Softmax(c, params)
    return Gated(c, params)


def get(name: str, **params: Any) -> Any:
    """``actgrad.get``: a vector function for the names above, else the catalogue's
    ``Activation`` (``registry.get``)."""
    if is_vector(name) and not registry.is_name(name):
        return vector(name, **params)
    return registry.get(name, **params)


# -- arrays ----------------------------------------------------------------------------------


def _array(z: Any, what: str = "z") -> np.ndarray:
    arr = np.asarray(z)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"expected real numbers for {what}, got an array of dtype {arr.dtype}")
    x = arr.astype(np.float64)
    if x.ndim == 0:
        raise VectorError(f"{what} must be a vector (or an array of vectors), got a scalar")
    return x


def _sum_dd(h: np.ndarray, lo: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Σ over the last axis of h (+ lo) as a double-double (hi, lo): pairwise two-sums, level
    by level (log2 n vectorised steps, so a row of 10⁵ entries costs 17 of them), the rounding
    errors of every level collected in the low part (their own sum's error is ~n·2^−106)."""
    err = np.zeros(h.shape[:-1]) if lo is None else np.sum(lo, axis=-1)
    x = h
    while x.shape[-1] > 1:
        if x.shape[-1] % 2:
            x = np.concatenate([x, np.zeros(x.shape[:-1] + (1,))], axis=-1)
        x, e = two_sum(x[..., 0::2], x[..., 1::2])
        err = err + np.sum(e, axis=-1)
    return fast_two_sum(x[..., 0], err)


_BIG = 2.0**990  # two_prod's splitting needs operands below 2^995


def _prod_dd(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """a·b = p + e (e = 0 where the operands are too large to split, or not finite)."""
    safe = (np.abs(a) < _BIG) & (np.abs(b) < _BIG)
    p, e = two_prod(np.where(safe, a, 0.0), np.where(safe, b, 0.0))
    p = np.where(safe, p, a * b)
    e = np.where(safe & np.isfinite(p), e, 0.0)
    return p, e


# -- softmax ---------------------------------------------------------------------------------


def _div(a: np.ndarray, bh: np.ndarray, bl: np.ndarray, al: Any = 0.0) -> np.ndarray:
    """(a + al)/(bh + bl), rounded about once (a double-double quotient's leading part)."""
    q = a / bh
    p, e = two_prod(q, np.broadcast_to(bh, q.shape))
    return q + (((a - p) - e) + al - q * bl) / bh


class _Parts:
    """The pieces of one softmax evaluation over the last axis (see the module doc)."""

    def __init__(self, z: np.ndarray, temperature: float, negate: bool):
        with np.errstate(all="ignore"):
            x = -z if negate else z
            n = x.shape[-1]
            self.shape = x.shape
            if n == 0:
                raise VectorError("softmax of an empty vector is not defined")
            bad = np.isnan(x).any(axis=-1) | (x == np.inf).any(axis=-1) | \
                (x == -np.inf).all(axis=-1)
            self.bad = bad
            masked = x == -np.inf
            self.masked = masked
            xs = np.where(bad[..., None], 0.0, x)
            k = np.argmax(xs, axis=-1)  # the first maximum (finite: the row is not bad)
            self.k = k
            m = np.take_along_axis(xs, k[..., None], axis=-1)
            xs = np.where(masked, m, xs)  # (d = 0 there, replaced by −inf below)
            # d = (x − m)/T from halves: x/2 − m/2 never overflows; exact as a double-double
            hh, hl = two_sum(xs * 0.5, -(m * 0.5))
            t2 = temperature * 0.5
            if t2 == 0.5:
                dh, dl = hh * 2.0, hl * 2.0
            else:
                qh = hh / t2
                fine = np.abs(qh) < _BIG
                ph, pe = two_prod(np.where(fine, qh, 0.0), np.full(qh.shape, t2))
                r = (((hh - ph) - pe) + hl) / t2
                dh, dl = qh, np.where(fine & np.isfinite(qh), r, 0.0)
                dh, dl = fast_two_sum(dh, dl)
                dl = np.where(np.isfinite(dh), dl, 0.0)
            dh = np.where(masked, -np.inf, dh)
            dl = np.where(masked, 0.0, dl)
            self.dh, self.dl = dh, dl
            # e^d = mant·2^ex, |d| clipped (beyond −1e5 the value is 0 anyway)
            clip = np.maximum(dh, -1e5)
            mant, ex = exp_split(clip, np.where(dh < -1e5, 0.0, dl))
            mant = np.where(dh < -1e5, 0.0, mant)
            e = np.ldexp(mant, ex)
            first = np.arange(n) == k[..., None]
            e = np.where(first, 0.0, e)  # e_k = 1 exactly, kept out of R
            self.first = first
            rh, rl = _sum_dd(e)
            self.rh, self.rl = rh, rl
            sh, sl = two_sum(np.ones_like(rh), rh)
            sh, sl = fast_two_sum(sh, sl + rl)
            self.sh, self.sl = sh, sl
            # s_j = e_j/S, rounded once: mant/S in double-double, then ·2^ex
            mant = np.where(first, 1.0, mant)
            ex = np.where(first, 0, ex)
            s = np.ldexp(_div(mant, sh[..., None], sl[..., None]), ex)
            # 1 − s: R/S at the maximum, 1 − s_j elsewhere (s_j <= 1/2 there)
            ck = _div(rh, sh, sl, rl)
            c = np.where(first, ck[..., None], 1.0 - s)
            nan = bad[..., None]
            self.s = np.where(nan, np.nan, s)
            self.c = np.where(nan, np.nan, c)

    def log(self) -> np.ndarray:
        """d_i − log1p(R)."""
        with np.errstate(all="ignore"):
            lh = np.log1p(self.rh)
            lh = lh + self.rl / (1.0 + self.rh)
            a, b = two_sum(self.dh, -lh[..., None])
            out = a + (b + self.dl)
            out = np.where(self.masked, -np.inf, np.where(np.isfinite(a), out, a))
            return np.where(self.bad[..., None], np.nan, out)


class Softmax:
    """softmax, log_softmax or softmin over the last axis (module doc)."""

    kind = "softmax"

    def __init__(self, name: str, params: Mapping[str, Any] | None = None):
        self.name = name
        self.params: Mapping[str, Any] = MappingProxyType(
            _bind(name, params or {}, {"temperature": 1.0}))
        self.temperature = float(self.params["temperature"])
        self.formula = FORMULAS[name]
        self.deriv_formula = DERIV_FORMULAS[name]

    def __repr__(self) -> str:
        t = "" if self.temperature == 1.0 else f", temperature={self.temperature!r}"
        return f"actgrad.get({self.name!r}{t})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Softmax) and (self.name, self.temperature) == (
            other.name, other.temperature)

    def __hash__(self) -> int:
        return hash((self.name, self.temperature))

    def _parts(self, z: Any) -> _Parts:
        return _Parts(_array(z), self.temperature, self.name == "softmin")

    def __call__(self, z: Any) -> np.ndarray:
        p = self._parts(z)
        return p.log() if self.name == "log_softmax" else p.s

    def probabilities(self, z: Any) -> np.ndarray:
        """s = softmax(z/T) (softmin: softmax(−z/T)), for every one of the three."""
        return self._parts(z).s

    def jacobian(self, z: Any) -> np.ndarray:
        """∂y_i/∂z_j as an array of shape (..., n, n) (row i: output i)."""
        p = self._parts(z)
        s, c, t = p.s, p.c, self.temperature
        n = s.shape[-1]
        eye = np.eye(n, dtype=bool)
        with np.errstate(under="ignore", invalid="ignore"):
            if self.name == "log_softmax":
                j = np.where(eye, c[..., None], -s[..., None, :])
                j = np.broadcast_to(j, s.shape[:-1] + (n, n)).copy()
            else:
                j = np.where(eye, (s * c)[..., None], -(s[..., :, None] * s[..., None, :]))
                if self.name == "softmin":
                    j = -j
            if t != 1.0:
                j = j / t
        return j

    def jvp(self, z: Any, u: Any) -> np.ndarray:
        """J·u (forward mode), over the last axis; u broadcasts against z."""
        return self._product(z, u, transpose=False)

    def vjp(self, z: Any, v: Any) -> np.ndarray:
        """vᵀ·J (what backpropagation computes), over the last axis."""
        return self._product(z, v, transpose=True)

    def _product(self, z: Any, v: Any, transpose: bool) -> np.ndarray:
        p = self._parts(z)
        w = _array(v, "the vector")
        try:
            w = np.broadcast_to(w, p.s.shape)
        except ValueError:
            raise VectorError(f"the vector has {w.shape[-1]} entries where z has"
                              f" {p.s.shape[-1]}") from None
        s, c = p.s, p.c
        with np.errstate(all="ignore"):
            if self.name == "log_softmax" and transpose:
                # (vᵀJ)_j = v_j − s_j Σ_i v_i = v_j c_j − s_j Σ_{i≠j} v_i
                vh, vl = _sum_dd(w)
                oh, ol = two_sum(vh[..., None], -w)
                ol = ol + vl[..., None]
                ah, al = _prod_dd(w, c)
                bh, bl = _prod_dd(s, oh)
                bl = bl + s * ol
                rh, rl = two_sum(ah, -bh)
                out = rh + (rl + al - bl)
            else:
                # J u ∝ s ⊙ (w − ⟨w, s⟩) (log_softmax: w − ⟨w, s⟩)
                gh, gl = _centred(p, w)
                if self.name == "log_softmax":
                    out = gh + gl
                else:
                    qh, ql = _prod_dd(s, gh)
                    out = qh + (ql + s * gl)
                    out = np.where(p.masked, 0.0 * w, out)
                    if self.name == "softmin":
                        out = -out
            out = np.where(p.bad[..., None], np.nan, out)
            if self.temperature != 1.0:
                out = out / self.temperature
        return out

    def hessian(self, z: Any) -> np.ndarray:
        """∂²y_i/∂z_j∂z_k as an array of shape (..., n, n, n) (block i: output i's Hessian).

        softmax: s_i[(δ_ij − s_j)(δ_ik − s_k) − s_j(δ_jk − s_k)]/T², entry by entry in s,
        1 − s and 1 − 2s (never e^z): 2 s_i s_j s_k off every diagonal, −s_i s_j (1 − 2s_j)
        at j = k ≠ i, −s_i s_k (1 − 2s_i) at i = j ≠ k (and i = k ≠ j), s_i (1 − s_i)(1 − 2s_i)
        at i = j = k; softmin: the same at s = softmin(z) (the two factors −1 cancel);
        log_softmax: −s_j(δ_jk − s_k)/T², the same block for every i. O(n³) memory."""
        p = self._parts(z)
        s, c = p.s, p.c
        n = s.shape[-1]
        with np.errstate(under="ignore", invalid="ignore"):
            if self.name == "log_softmax":
                h = -_softmax_jacobian(s, c)
                h = np.broadcast_to(h[..., None, :, :], s.shape[:-1] + (n, n, n)).copy()
            else:
                w = _one_minus_2s(p)
                si, sj, sk = s[..., :, None, None], s[..., None, :, None], s[..., None, None, :]
                i, j, k = np.ogrid[:n, :n, :n]
                h = 2.0 * si * (sj * sk)  # (sj·sk first: symmetric in j, k)
                h = np.where((j == k) & (i != j), -(si * sj) * w[..., None, :, None], h)
                wi = w[..., :, None, None]
                h = np.where((i == j) & (i != k), -(si * sk) * wi, h)
                h = np.where((i == k) & (i != j), -(si * sj) * wi, h)
                h = np.where((i == j) & (j == k), (si * c[..., :, None, None]) * wi, h)
            t = self.temperature
            if t != 1.0:
                h = h / t / t
        return h

    def vjp_hessian(self, z: Any, v: Any) -> np.ndarray:
        """Σ_i v_i ∂²y_i/∂z∂z, shape (..., n, n): the Hessian of vᵀy, what double backward
        (the gradient of a vjp) works with. softmax: M_jj = s_j a_j (1 − 2s_j), M_jk =
        −s_j s_k (a_j + a_k), a = v − ⟨v, s⟩ (formed shifted, as vjp's); log_softmax:
        −(Σ v_i)(diag(s) − s sᵀ); /T²; softmin: at s = softmin(z). O(n²)."""
        p = self._parts(z)
        w = self._vector(p, v)
        s, c = p.s, p.c
        n = s.shape[-1]
        eye = np.eye(n, dtype=bool)
        with np.errstate(all="ignore"):
            if self.name == "log_softmax":
                vh, vl = _sum_dd(w)
                m = -(vh + vl)[..., None, None] * _softmax_jacobian(s, c)
            else:
                gh, gl = _centred(p, w)
                a = gh + gl
                ph, pl = two_sum(gh[..., :, None], gh[..., None, :])
                pair = ph + (pl + (gl[..., :, None] + gl[..., None, :]))
                ss = s[..., :, None] * s[..., None, :]
                diag = (s * a) * _one_minus_2s(p)
                m = np.where(eye, diag[..., None], -ss * pair)
                m = np.where(p.masked[..., :, None] | p.masked[..., None, :], 0.0, m)
            m = np.where(p.bad[..., None, None], np.nan, m)
            t = self.temperature
            if t != 1.0:
                m = m / t / t
        return m

    def _vector(self, p: "_Parts", v: Any) -> np.ndarray:
        w = _array(v, "the vector")
        try:
            return np.broadcast_to(w, p.s.shape)
        except ValueError:
            raise VectorError(f"the vector has {w.shape[-1]} entries where z has"
                              f" {p.s.shape[-1]}") from None

    def row_sums(self, z: Any) -> np.ndarray:
        """Σ_j J_ij per row i (0 for softmax and softmin: Σ_i s_i = 1 whatever z)."""
        with np.errstate(all="ignore"):
            return self.jacobian(z).sum(axis=-1)


def _centred(p: _Parts, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """w − ⟨w, s⟩ as a double-double, formed from w − w_k (k the first maximum, whose s_k
    may be ~1: no cancellation of w_k against ⟨w, s⟩ there)."""
    wk = np.take_along_axis(w, p.k[..., None], axis=-1)
    wh, wl = two_sum(w, -wk)
    wh = np.where(p.first, 0.0, wh)
    wl = np.where(p.first | ~np.isfinite(wh), 0.0, wl)
    ph, pl = _prod_dd(p.s, wh)
    pl = pl + p.s * wl
    pl = np.where(p.masked | ~np.isfinite(pl), 0.0, pl)
    dh, dl = _sum_dd(ph, pl)
    gh, gl = two_sum(wh, -dh[..., None])
    return gh, gl + (wl - dl[..., None])


def _softmax_jacobian(s: np.ndarray, c: np.ndarray) -> np.ndarray:
    """diag(s) − s sᵀ with the diagonal as s(1 − s) from the accurate 1 − s."""
    n = s.shape[-1]
    return np.where(np.eye(n, dtype=bool), (s * c)[..., None], -(s[..., :, None] * s[..., None, :]))


def _one_minus_2s(p: _Parts) -> np.ndarray:
    """1 − 2s_j: exactly 1 − 2s_j rounded once where s_j <= 1/2 (every entry but the first
    maximum), (1 − s_k) − s_k at the maximum (1 − s_k = R/S, accurate; this difference
    cancels where s_k ≈ 1/2, leaving an absolute error of ~1e-16)."""
    return np.where(p.first, p.c - p.s, 1.0 - 2.0 * p.s)


# -- gated units -----------------------------------------------------------------------------


def _split(x: np.ndarray, gate: str) -> tuple[np.ndarray, np.ndarray]:
    n = x.shape[-1]
    if n % 2:
        raise VectorError(f"a gated unit splits its vector in halves: {n} entries is odd")
    if gate == "even":
        return x[..., 0::2], x[..., 1::2]
    a, b = x[..., : n // 2], x[..., n // 2:]
    return (a, b) if gate == "first" else (b, a)


#: the gate half when a vector x is split: glu as PyTorch's F.glu and jax.nn.glu, swiglu_oai
#: as GPT-OSS's GptOssExperts (gate_up[..., ::2], gate_up[..., 1::2]), the others as timm's
#: SwiGLUPacked and Megatron's swiglu
_DEFAULT_GATE = {"glu": "second", "swiglu_oai": "even"}


def _join(dg: np.ndarray, du: np.ndarray, gate: str) -> np.ndarray:
    """The gradient w.r.t. the split vector x from the parts w.r.t. g and u."""
    if gate == "even":
        out = np.empty(dg.shape[:-1] + (2 * dg.shape[-1],))
        out[..., 0::2], out[..., 1::2] = dg, du
        return out
    return np.concatenate((dg, du) if gate == "first" else (du, dg), axis=-1)


class Gated:
    """A gated unit y = act(g)·u (module doc)."""

    kind = "gated"

    def __init__(self, name: str, params: Mapping[str, Any] | None = None):
        self.name = name
        known: dict[str, Any] = {"gate": _DEFAULT_GATE.get(name, "first")}
        if name == "geglu":
            known["approximate"] = "none"
        self.params: Mapping[str, Any] = MappingProxyType(_bind(name, params or {}, known))
        self.gate = self.params["gate"]
        self.formula = FORMULAS[name]
        if name == "swiglu_oai":
            self.act = None
            self.act_name = "g·σ(1.702g)"
        else:
            extra = {"approximate": self.params["approximate"]} if name == "geglu" else {}
            self.act = registry.get(ACTS[name], **extra)
            self.act_name = ACTS[name] + ("(tanh)" if extra.get("approximate") == "tanh" else "")

    def __repr__(self) -> str:
        args = "".join(f", {k}={v!r}" for k, v in self.params.items())
        return f"actgrad.get({self.name!r}{args})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Gated) and (self.name, dict(self.params)) == (
            other.name, dict(other.params))

    def __hash__(self) -> int:
        return hash((self.name, tuple(sorted(self.params.items()))))

    def split(self, x: Any) -> tuple[np.ndarray, np.ndarray]:
        """(g, u) from a vector x by the `gate` parameter."""
        return _split(_array(x, "x"), self.gate)

    def _gu(self, g: Any, u: Any) -> tuple[np.ndarray, np.ndarray]:
        if u is None:
            return self.split(g)
        gg, uu = np.asarray(g, dtype=np.float64), np.asarray(u, dtype=np.float64)
        if gg.shape != uu.shape:
            try:
                gg, uu = np.broadcast_arrays(gg, uu)
            except ValueError:
                raise VectorError(f"gate and up differ in shape: {np.shape(g)} and"
                                  f" {np.shape(u)}") from None
        return gg, uu

    # act, act′, act″ at g (for swiglu_oai at the clamped g; 0 beyond the clamp for the
    # derivatives)
    def acts(self, g: np.ndarray, order: int = 1, kink: str = "pytorch"
             ) -> tuple[np.ndarray, ...]:
        check_kink(kink)
        if self.act is not None:
            out = [np.asarray(self.act(g), dtype=np.float64),
                   np.asarray(self.act.deriv(g, kink=kink), dtype=np.float64)]
            if order == 2:
                out.append(np.asarray(self.act.deriv(g, kink=kink, order=2), dtype=np.float64))
            return tuple(out)
        return _oai_acts(g, order)

    def __call__(self, g: Any, u: Any = None) -> np.ndarray:
        g, u = self._gu(g, u)
        a = self.acts(g)[0]
        with np.errstate(all="ignore"):
            if self.name == "swiglu_oai":
                uh, ul = _oai_up(u)
                ph, pl = _prod_dd(a, uh)
                return ph + (pl + a * ul)
            return a * u

    def partials(self, g: Any, u: Any = None, kink: str = "pytorch"
                 ) -> tuple[np.ndarray, np.ndarray]:
        """(∂y/∂g, ∂y/∂u) per element: (act′(g)·u, act(g)); swiglu_oai: (u′ + 1)·act′(g′)
        and act(g′)·[|u| <= 7], zero past the clamps (the clamps pass the gradient at
        their ends, as PyTorch's clamp)."""
        g, u = self._gu(g, u)
        a, d = self.acts(g, kink=kink)[:2]
        with np.errstate(all="ignore"):
            if self.name == "swiglu_oai":
                return _oai_pair(d, a, u)
            return d * u, a.copy()

    def hessian(self, g: Any, u: Any = None, kink: str = "pytorch"
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The 2×2 blocks per element: (∂²y/∂g², ∂²y/∂g∂u, ∂²y/∂u²) = (act″(g)·u, act′(g), 0)."""
        g, u = self._gu(g, u)
        a, d, d2 = self.acts(g, order=2, kink=kink)
        with np.errstate(all="ignore"):
            if self.name == "swiglu_oai":
                gg, gu = _oai_pair(d2, d, u)
            else:
                gg, gu = d2 * u, d.copy()
            uu = np.where(np.isnan(g) | np.isnan(u), np.nan, 0.0)
        return gg, gu, uu

    def jacobian(self, x: Any, kink: str = "pytorch") -> np.ndarray:
        """∂y/∂x for the split vector x: shape (..., n, 2n), diagonal blocks."""
        x = _array(x, "x")
        dg, du = self.partials(x, kink=kink)
        n = dg.shape[-1]
        eye = np.eye(n)
        return _join(dg[..., :, None] * eye, du[..., :, None] * eye, self.gate) \
            if self.gate != "even" else _join_even_matrix(dg, du)

    def vjp(self, x: Any, v: Any, kink: str = "pytorch") -> np.ndarray:
        """vᵀ·∂y/∂x (length 2n) for the split vector x and v of length n."""
        x = _array(x, "x")
        dg, du = self.partials(x, kink=kink)
        v = _array(v, "the vector")
        try:
            v = np.broadcast_to(v, dg.shape)
        except ValueError:
            raise VectorError(f"the vector has {v.shape[-1]} entries where y has"
                              f" {dg.shape[-1]}") from None
        with np.errstate(all="ignore"):
            return _join(v * dg, v * du, self.gate)

    def jvp(self, x: Any, t: Any, kink: str = "pytorch") -> np.ndarray:
        """∂y/∂x · t (length n) for the split vector x and t of length 2n."""
        x = _array(x, "x")
        dg, du = self.partials(x, kink=kink)
        t = _array(t, "the vector")
        if t.shape[-1] != x.shape[-1]:
            raise VectorError(f"the vector has {t.shape[-1]} entries where x has"
                              f" {x.shape[-1]}")
        tg, tu = _split(np.broadcast_to(t, x.shape), self.gate)
        with np.errstate(all="ignore"):
            ah, al = _prod_dd(dg, tg)
            bh, bl = _prod_dd(du, tu)
            h, e = two_sum(ah, bh)
            return h + (e + al + bl)


def _join_even_matrix(dg: np.ndarray, du: np.ndarray) -> np.ndarray:
    n = dg.shape[-1]
    out = np.zeros(dg.shape[:-1] + (n, 2 * n))
    i = np.arange(n)
    out[..., i, 2 * i] = dg
    out[..., i, 2 * i + 1] = du
    return out


def _oai_pair(of_g: np.ndarray, of_u: np.ndarray, u: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray]:
    """swiglu_oai's pair of derivatives from act's derivative `of_g` (times the clamped u + 1,
    rounded once) and `of_u` (where |u| <= 7, else 0 past the clamp; nan stays nan)."""
    uh, ul = _oai_up(u)
    ph, pl = _prod_dd(of_g, uh)
    return (ph + (pl + of_g * ul),
            np.where(np.abs(u) <= LIMIT, of_u, np.where(np.isnan(u), np.nan, 0.0)))


def _oai_up(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """clip(u, −7, 7) + 1 as a double-double."""
    uc = np.where(np.isnan(u), u, np.clip(u, -LIMIT, LIMIT))
    return two_sum(uc, np.ones_like(uc))


def _oai_acts(g: np.ndarray, order: int) -> tuple[np.ndarray, ...]:
    """act(g′) = g′·σ(αg′) at g′ = min(g, 7) and its derivatives w.r.t. g (0 where g > 7):
    x = αg′ as an exact double-double xh + xl, σ(x) = σ(xh) + σ′(xh)·xl, act′ = silu′(x),
    act″ = α·silu″(x), each with its first-order correction in xl."""
    sig = registry.get("sigmoid")
    silu = registry.get("silu")
    with np.errstate(all="ignore"):
        gc = np.where(np.isnan(g), g, np.minimum(g, LIMIT))
        xh, xl = _prod_dd(np.full(gc.shape, ALPHA), gc)
        xl = np.where(np.isfinite(xh), xl, 0.0)
        s = np.asarray(sig(xh), dtype=np.float64)
        ds = np.asarray(sig.deriv(xh), dtype=np.float64)
        a = np.where(gc == -np.inf, -0.0, gc * (s + ds * xl))  # (the limit, not −inf·0)
        d1 = np.asarray(silu.deriv(xh), dtype=np.float64)
        d2 = np.asarray(silu.deriv(xh, order=2), dtype=np.float64)
        d = d1 + d2 * xl
        live = ~(g > LIMIT)
        d = np.where(live, d, 0.0)
        out: list[np.ndarray] = [a, d]
        if order == 2:
            sm = np.asarray(sig(-xh), dtype=np.float64)
            d3 = ds * (3 * (sm - s) + xh * ((sm - s) ** 2 - 2 * ds))  # silu‴(xh)
            out.append(np.where(live, ALPHA * (d2 + d3 * xl), 0.0))
        return tuple(out)
