"""Lookup by name or alias, parameter validation, and the `Activation` object users hold.

``Activation`` wraps a catalogue ``Spec`` with bound parameters and does what is common to all
functions: dtype handling (float32, float16 and ml_dtypes' bfloat16 and float8 in, same out; anything else float64), nan in → nan
out for g′, the kink conventions, and the output-range check of g′-from-output.
"""

from __future__ import annotations

import math
from types import MappingProxyType
from typing import Any, Iterable, Mapping

import numpy as np

from .activations import CATALOGUE, KINK_CONVENTIONS, Kink, Spec
from .activations.base import OffKink, check_kink, suggest
from .numerics import DTYPES as _DTYPES, MAX_ORDER


class UnknownActivationError(ValueError):
    """No activation by that name; the message suggests the closest one."""


class OutputRangeError(ValueError):
    """A value given as an output a = g(z) that g cannot produce.

    ``index`` is the flat index of the first such value.
    """

    def __init__(self, message: str, index: int):
        super().__init__(message)
        self.index = index


def _key(name: str) -> str:
    return name.strip().lower().replace("-", "_")


_BY_NAME: dict[str, Spec] = {}
#: the parameters a variant name fixes (gelu_new: approximate=tanh), by _key(name)
_FIXED: dict[str, dict[str, Any]] = {}
for _spec in CATALOGUE:
    for _n in (_spec.name, *_spec.aliases, *(v for v, _ in _spec.variants)):
        assert _key(_n) not in _BY_NAME, f"duplicate activation name {_n!r}"
        _BY_NAME[_key(_n)] = _spec
    for _n, _fixed in _spec.variants:
        _FIXED[_key(_n)] = dict(_fixed)


def names() -> list[str]:
    """Canonical names of all activations, in catalogue order."""
    return [s.name for s in CATALOGUE]


def is_name(word: str) -> bool:
    """Whether `word` names an activation (a name or an alias, any case, '-' for '_')."""
    return _key(word) in _BY_NAME


def all_names() -> list[str]:
    """Canonical names, aliases and variant names (for completion and suggestions)."""
    return [n for s in CATALOGUE for n in (s.name, *s.aliases, *(v for v, _ in s.variants))]


def fixed_params(name: str) -> dict[str, Any]:
    """The parameters a variant name fixes ({} for a name or an alias)."""
    return dict(_FIXED.get(_key(name), {})) if isinstance(name, str) else {}


def with_fixed(name: str, given: Mapping[str, Any]) -> dict[str, Any]:
    """`given` with the parameters `name` fixes put in; another value for one is an error."""
    fixed = fixed_params(name)
    for k, v in given.items():
        if k in fixed and str(v) != str(fixed[k]):
            sp = spec(name)
            raise ValueError(f"{name} is {sp.name} with {k}={fixed[k]}: its {k} cannot be"
                             f" {v!r} (use {sp.name} -p {k}={v})")
    return {**given, **fixed}


def spec(name: str) -> Spec:
    if not isinstance(name, str):
        raise TypeError(f"an activation's name is a string, got {name!r}")
    try:
        return _BY_NAME[_key(name)]
    except KeyError:
        hint = suggest(_key(name), _BY_NAME) or f" (known: {', '.join(names())})"
        raise UnknownActivationError(f"unknown activation {name!r}{hint}") from None


def parse_param(text: str) -> tuple[str, str]:
    """Split 'NAME=VALUE' (command-line form)."""
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise ValueError(f"parameter {text!r} is not of the form NAME=VALUE")
    return name.strip(), value.strip()


def parse_params(texts: Iterable[str] | None) -> dict[str, str]:
    """NAME=VALUE texts (-p options) as a dict; a name given twice is an error (ValueError),
    not the last one wins."""
    given: dict[str, str] = {}
    for text in texts or ():
        name, value = parse_param(text)
        if name in given:
            raise ValueError(f"parameter {name} is given twice ({name}={given[name]} and"
                             f" {name}={value})")
        given[name] = value
    return given


def _bind(sp: Spec, given: Mapping[str, Any]) -> dict[str, Any]:
    known = {p.name: p for p in sp.params}
    values: dict[str, Any] = {p.name: p.default for p in sp.params}
    for name, raw in given.items():
        if name not in known:
            allowed = ", ".join(known) if known else "none"
            raise ValueError(
                f"{sp.name} has no parameter {name!r}{suggest(name, known)}"
                f" (its parameters: {allowed})"
            )
        param = known[name]
        if param.choices is not None:
            if str(raw) not in param.choices:
                raise ValueError(
                    f"parameter {name} of {sp.name}: {raw!r} is not allowed"
                    f" (allowed: {', '.join(param.choices)}){suggest(str(raw), param.choices)}"
                )
            values[name] = str(raw)
            continue
        try:
            if isinstance(raw, str) and ("_" in raw or not raw.isascii()):
                raise ValueError  # text reads as values do: no 1_0, no non-ASCII digits
            value = float(raw)
        except (TypeError, ValueError):
            raise ValueError(
                f"parameter {name} of {sp.name}: {raw!r} is not a number"
                f" (allowed: {param.allowed})"
            ) from None
        if not param.valid(value):
            raise ValueError(
                f"parameter {name} of {sp.name}: {raw!r} is out of range"
                f" (allowed: {param.allowed})"
            )
        values[name] = value
    return values


#: the float types results can be computed for (``--dtype``), numerics.DTYPES
DTYPES = _DTYPES
_OUT_DTYPES = frozenset(DTYPES[1:])  # (by name: ml_dtypes' types are numpy's once imported)


def _prepare(z: Any) -> tuple[np.ndarray, np.dtype]:
    x, out = _source(z)
    return _as64(x), out


def _source(z: Any) -> tuple[np.ndarray, np.dtype]:
    """z as an array (not converted yet: _as64 does that, chunk by chunk) and the dtype of
    the results."""
    arr = np.asarray(z)
    small = arr.dtype.name in _OUT_DTYPES
    if arr.dtype.kind not in "biuf" and not small:
        raise TypeError(f"expected real numbers, got an array of dtype {arr.dtype}")
    return arr, arr.dtype if small else np.dtype(np.float64)


def _as64(arr: np.ndarray) -> np.ndarray:
    """arr in float64 (itself if it is), NaNs quieted."""
    with np.errstate(invalid="ignore"):  # a signalling NaN's conversion signals; it is quieted
        x = arr.astype(np.float64, copy=False)
        if _has_nan(x):  # signalling NaNs (any NaN bit pattern may come in) would raise
            x = np.where(np.isnan(x), np.nan, x)  # "invalid"
    return x


_CHUNK = 1 << 16


def _apply(fn: Any, x: np.ndarray, p: dict[str, Any], out: np.ndarray | None = None) -> np.ndarray:
    """fn(x, p) as a float64 array of x's shape (`out`, a float64 array of x's size, when
    given), computed 64K values at a time.

    The accurate forms keep several double-double temporaries the size of their input, and
    compute both branches of a where; on 1e7 values at once that was gigabytes (silu′
    +2.6 GB). In chunks memory stays flat and the temporaries stay in cache. Underflow to
    subnormals and 0 is the correctly rounded result and raises nothing.
    """
    flat = x.reshape(-1)
    res = np.empty(flat.shape, dtype=np.float64) if out is None else out.reshape(-1)
    with np.errstate(under="ignore"):
        for i in range(0, max(flat.size, 1), _CHUNK):
            res[i:i + _CHUNK] = fn(flat[i:i + _CHUNK], p)
    return res.reshape(x.shape)


def _form(fn: Any, out: np.dtype) -> tuple[Any, float]:
    """The float64 form to compute a result of dtype `out` with, and its error bound in
    float64 ULP for the boundary test: for float32 and smaller types, a cheaper form (the
    function's ``small`` attribute) where the function has one, whose bound is its
    ``small.ulp`` (proved in its comment; correct rounding to 24 bits or fewer leaves 29
    bits of float64 to spare, so a bound of hundreds of ULP makes the rigorous fallback run
    on one value in a million); else fn itself, within 4 ULP (FLOAT64_ERROR_ULP)."""
    small = getattr(fn, "small", None) if out != np.float64 else None
    if small is not None:
        return small, small.ulp
    return fn, FLOAT64_ERROR_ULP


def _evaluate(form: tuple[Any, float], x: np.ndarray, p: dict[str, Any], dt: np.dtype,
              posts: tuple[Any, ...],
              intos: tuple[Any, ...]) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """fn(x, p) (a tuple of len(posts) results when that is more than one) in dtype dt, 64K
    values at a time (x, of any real dtype, converted to float64 a chunk at a time: a whole
    new array costs its page faults, as much as the computation here): each float64 chunk
    result goes through its post(x, r) (the kink and
    nan conventions, in place), is rounded to dt, and for a smaller dt tested for a rounding
    boundary (_near_boundary) while it is in cache. Per result: (the dt array of x's shape,
    the boundary mask or None for float64). form: (fn, its error bound) from _form. intos:
    arrays to write to (``out=``), or None."""
    fn, bound = form
    in_type = getattr(fn, "in_type", None)
    if in_type is not None and x.ndim and x.dtype == dt and dt in _NATIVE and in_type(p, dt):
        posts = tuple(_trimmed(post, fn, k, p, dt, True) for k, post in enumerate(posts))
        return _evaluate_in_type(fn, x, p, posts, intos)
    posts = tuple(_trimmed(post, fn, k, p, dt, False) for k, post in enumerate(posts))
    flat = x.reshape(-1)
    res, fires = [], []
    # fn.exact_where(z, r, p): where r is the exact value (one form, len(posts) == 1)
    exact_where = getattr(fn, "exact_where", None) if len(posts) == 1 else None
    for into in intos:
        if into is not None and into.flags.c_contiguous and not np.may_share_memory(into, x):
            res.append(into.reshape(-1))
        else:
            res.append(np.empty(flat.shape, dtype=dt))
        fires.append(None if dt == np.float64 else np.empty(flat.shape, dtype=bool))
    one = len(posts) == 1
    into_fn = getattr(fn, "into", None) if one and dt == np.float64 else None
    if into_fn is not None:  # fn.into(z, p, out, scratch): fn's bits, in place (_into_chunks)
        _into_chunks(into_fn, fn.into_scratch, flat, p, res[0], posts[0])
        return [(res[0].reshape(x.shape), None)]
    for i in range(0, max(flat.size, 1), _CHUNK):
        xc = _as64(flat[i:i + _CHUNK])
        with np.errstate(under="ignore"):
            rs = fn(xc, p)
        for k, r in enumerate((rs,) if one else rs):
            r = np.asarray(r, dtype=np.float64)
            if posts[k] is not None:
                posts[k](xc, r)
            with np.errstate(under="ignore", over="ignore"):
                res[k][i:i + _CHUNK] = r  # rounded once to dt (overflow/underflow: correct)
                fire = fires[k]
                if fire is not None:
                    fc = _near_boundary(r, dt, bound)
                    if exact_where is not None and fc.any():  # exact results: no boundary
                        j = np.flatnonzero(fc)
                        fc[j] = ~exact_where(xc[j], r[j], p)
                    fire[i:i + _CHUNK] = fc
    return [(r.reshape(x.shape), None if f is None else f.reshape(x.shape))
            for r, f in zip(res, fires)]


#: values per chunk of a form's ``into`` (_into_chunks): its half-dozen scratch arrays and
#: the chunk stay in a core's L2 cache (512 KiB here; 16K values measured best, 8K and 64K
#: some 10 % slower on sigmoid′)
_INTO_CHUNK = 1 << 14

_scratch_of: Any = None  # threading.local: each thread's scratch arrays for _into_chunks


def _into_chunks(into: Any, buffers: int, flat: np.ndarray, p: dict[str, Any],
                 res: np.ndarray, post: Any) -> None:
    """res = fn(flat) for a float64 form fn with ``into(z, p, out, scratch)`` (its results
    written to out, its temporaries in the float64 arrays scratch: the same operations as fn,
    so the same bits) and ``into_scratch`` (how many it needs), _INTO_CHUNK values at a
    time, then post(x, r) in place. The scratch arrays are the calling thread's own, kept
    between calls: no new array per operation and chunk (each would cost its page faults
    when the allocator gives the memory back in between), and threads may compute at once."""
    global _scratch_of
    if _scratch_of is None:
        import threading

        _scratch_of = threading.local()
    scratch = getattr(_scratch_of, "arrays", None)
    if scratch is None or len(scratch) < buffers:
        scratch = _scratch_of.arrays = [np.empty(_INTO_CHUNK) for _ in range(buffers)]
    # (_as64 with its NaN test kept for the post: one reduction of each chunk, not two)
    known = getattr(post, "takes_nan", False)
    with np.errstate(under="ignore"):
        for i in range(0, flat.size, _INTO_CHUNK):
            with np.errstate(invalid="ignore"):  # (as in _as64)
                xc = flat[i:i + _INTO_CHUNK].astype(np.float64, copy=False)
                nan = _has_nan(xc)
                if nan:
                    xc = np.where(np.isnan(xc), np.nan, xc)
            rc = res[i:i + _INTO_CHUNK]
            into(xc, p, rc, scratch)
            if post is not None:
                post(xc, rc, nan=nan) if known else post(xc, rc)


#: up to this many values an ``in_type`` form runs on the whole array at once
_WHOLE = 1 << 20

#: the types a form marked ``in_type`` computes in directly (not float16: numpy's float16
#: maximum(−0.0, 0.0) is −0.0, its float32 and float64 kernels' +0.0)
_NATIVE = frozenset(np.dtype(t) for t in (np.float64, np.float32))


def _evaluate_in_type(fn: Any, x: np.ndarray, p: dict[str, Any], posts: tuple[Any, ...],
                      intos: tuple[Any, ...]) -> list[tuple[np.ndarray, None]]:
    """_evaluate for a form whose ``in_type(p, dtype)`` says that on an array of that type
    it gives its correctly rounded results in that type (its pieces are comparisons,
    selections and one IEEE operation on z and constants exact in the type: relu, clips,
    z − lambd, z², ...): computed on x's own values, without a float64 copy or a boundary
    test, 64K values at a time (each new 1e6-value temporary would cost its page faults);
    NaNs come out quiet, as from the float64 path. (Floating-point flags: overflow and
    underflow are the correctly rounded result; "invalid" only from a signalling NaN.)"""
    flat = x.reshape(-1)
    one = len(posts) == 1
    if (flat.size <= _WHOLE and not getattr(fn, "chunked", False)
            and all(into is None for into in intos)):
        # one call on the whole array: no copy of each chunk's result, no per-chunk Python
        # (the temporaries of these forms are a few arrays of x's size; a form marked
        # ``chunked`` makes more, which cost more out of cache than the chunks' Python)
        with np.errstate(invalid="ignore", over="ignore", under="ignore"):
            rs = fn(flat, p)
            out = []
            for k, r in enumerate((rs,) if one else rs):
                r = np.asarray(r)
                if (r.dtype != x.dtype or r.shape != flat.shape or not r.flags.writeable
                        or np.may_share_memory(r, x)):
                    rc = np.empty(flat.shape, dtype=x.dtype)
                    rc[...] = r
                    r = rc
                if posts[k] is not None:
                    posts[k](flat, r)
                elif _has_nan(flat):
                    r[np.isnan(flat)] = np.nan
                out.append((r.reshape(x.shape), None))
        return out
    res = []
    for into in intos:
        if into is not None and into.flags.c_contiguous and not np.may_share_memory(into, x):
            res.append(into.reshape(-1))
        else:
            res.append(np.empty(flat.shape, dtype=x.dtype))
    with np.errstate(invalid="ignore", over="ignore", under="ignore"):
        for i in range(0, flat.size, _CHUNK):
            xc = flat[i:i + _CHUNK]
            rs = fn(xc, p)
            nan = None
            for k, r in enumerate((rs,) if one else rs):
                rc = res[k][i:i + _CHUNK]
                rc[...] = r
                if posts[k] is not None:
                    posts[k](xc, rc)
                else:
                    if nan is None:
                        nan = _has_nan(xc)
                    if nan:
                        rc[np.isnan(xc)] = np.nan
    return [(r.reshape(x.shape), None) for r in res]


def _has_nan(x: np.ndarray) -> bool:
    """Whether x (a float array) holds a NaN: min propagates NaNs, one reduction (cheaper
    than isnan's mask and its any)."""
    return bool(x.size) and bool(np.isnan(np.minimum.reduce(x, axis=None)))


#: (form, result index, dtype, in type, params, kink, slope) -> whether the form's own value
#: at the kink differs from the convention's slope (_trimmed)
_PROBED: dict[tuple, bool] = {}
_PROBE_SIZE = 67  # values at the kink per probe: SIMD bodies and tails of any width <= 32


def _trimmed(post: Any, fn: Any, k: int, p: dict[str, Any], dtype: np.dtype,
             in_type: bool) -> Any:
    """post (a g′ post from _deriv_post) without the kinks where the form fn's k-th result
    already is the convention's value, bit for bit, so that no chunk compares x with them:
    fn is evaluated on an array of the kink's value in the type it computes in (dtype for
    an in_type form, else float64), its result taken through the same conversion as in
    _evaluate (in_type: stored in dtype; else as float64, rounded later, after post).
    A kink no value of dtype equals (in_type) is dropped too; its comparison never fires."""
    slopes = getattr(post, "slopes", None)
    if not slopes:
        return post
    work = dtype if in_type else np.dtype(np.float64)
    try:
        pkey = tuple(sorted(p.items()))
        hash(pkey)
    except TypeError:
        return post
    live = []
    for at, slope in slopes:
        key = (fn, k, work.str, in_type, pkey, at, slope)
        needed = _PROBED.get(key)
        if needed is None:
            needed = _probe(fn, k, p, work, at, slope)
            if len(_PROBED) > 4096:
                _PROBED.clear()
            _PROBED[key] = needed
        if needed:
            live.append((at, slope))
    if len(live) == len(slopes):
        return post
    trimmed = lambda x, d, **nan: post(x, d, tuple(live), **nan)  # noqa: E731
    trimmed.takes_nan = getattr(post, "takes_nan", False)  # type: ignore[attr-defined]
    return trimmed


def _probe(fn: Any, k: int, p: dict[str, Any], work: np.dtype, at: float,
           slope: float) -> bool:
    """Whether the kink's fix-up can change fn's k-th result at `at` (see _trimmed)."""
    if not math.isfinite(at):
        return True
    with np.errstate(over="ignore"):
        if float(work.type(at)) != at:  # (in_type, float32) no value of the type equals it
            return False
    # the kink's value alone, and among values a form might branch on as a whole chunk
    # (tails, tiny, huge, nan): its value must be the slope in both
    mixed = np.resize(np.array(_PROBE_OTHERS, dtype=work), _PROBE_SIZE)
    mixed[::2] = at
    u = np.dtype(f"u{work.itemsize}")
    want = np.asarray(slope, dtype=work).view(u)
    for z, where in ((np.full(_PROBE_SIZE, at, dtype=work), slice(None)), (mixed, slice(0, None, 2))):
        try:
            with np.errstate(all="ignore"):
                rs = fn(z, p)
                r = np.asarray(rs[k] if isinstance(rs, tuple) else rs, dtype=work)
        except Exception:  # (a form that cannot take the probe: keep the fix-up)
            return True
        if r.shape != z.shape or not np.all(r[where].view(u) == want):
            return True
    return False


_PROBE_OTHERS = (0.0, -0.0, 1.0, -1.0, 20.0, -20.0, 1e-30, -1e-30, 1e30, -1e30, 3e38,
                 -3e38, math.inf, -math.inf, math.nan, 0.5)


def _exactly(at: float, dtype: np.dtype) -> Any:
    """`at` to compare an array of `dtype` with exactly: in that type where `at` is one of
    its values (no conversion of the array), else as a float64 (the array converted)."""
    if dtype != np.float64 and dtype in _NATIVE:
        if abs(at) <= float(np.finfo(dtype).max) and float(dtype.type(at)) == at:
            return dtype.type(at)
        return np.float64(at)
    return at


def _done(r: np.ndarray, fire: np.ndarray | None, dt: np.dtype, exact: Any, into: Any) -> Any:
    """The result of _evaluate with the values at the boundary mask from exact(mask), in
    `into` when given (its copy when _evaluate could not write to it directly), a scalar for
    a 0-d input."""
    if fire is not None and fire.any():
        r[fire] = exact(fire)
    if into is not None:
        if not np.may_share_memory(r, into):
            into[...] = r
        return into
    if r.ndim:
        return r
    return float(r) if dt == np.float64 else r[()]


#: the float64 results' error bound assumed by the boundary test, in float64 ULP: the
#: project's accuracy bound is 4 ULP for every g, g′ and g′-from-output; twice that here, so
#: that a result a little over the bound (and the rounding of r ± bound) is still caught.
FLOAT64_ERROR_ULP = 8.0


def _near_boundary(r: np.ndarray, out: np.dtype, bound: float = FLOAT64_ERROR_ULP) -> np.ndarray:
    """Where the float64 result r (within `bound` float64 ULP of the exact value; by default
    FLOAT64_ERROR_ULP) may not give the exact value's rounding to `out`: r ± the bound round
    to different values of `out`.

    Zeros are taken as they are (an exact 0, or a value rounding to a 0 of that sign), nan
    and ±inf too (±inf in float64 is beyond every smaller type's range).

    For float32 and float16 on their normal range this is a test of r's bits: the rounding
    boundaries there are the midpoints between neighbours, the float64 numbers whose low
    52 − p bits (p: the small type's mantissa bits) are 1000…0, so r ± bound·ulp(r) straddles
    one exactly when those bits are within `bound` of 2^(51 − p). (The overflow threshold,
    max + half an ulp, is such a midpoint too.) Below the normal range (the small type's
    subnormals, where the boundaries are spaced evenly) the test is the general one.
    """
    r = np.asarray(r, dtype=np.float64)
    fast = _MIDPOINT_BITS.get(np.dtype(out))
    if fast is None:
        return _near_boundary_any(r, out, bound)
    low_bits, tiny = fast
    shape = r.shape
    r = np.ascontiguousarray(r).reshape(-1)
    # |low bits − 2^(low_bits − 1)| <= b as one unsigned test: (low bits − (2^(low_bits − 1)
    # − b)) mod 2^low_bits <= 2b (the subtraction on all 64 bits, then the mask)
    b = math.ceil(bound)
    t = r.view(np.uint64) - np.uint64((1 << (low_bits - 1)) - b)
    t &= np.uint64((1 << low_bits) - 1)
    fire = t <= np.uint64(2 * b)
    if fire.any():  # (rare) not ±inf or nan: a nan's payload is no boundary
        i = np.flatnonzero(fire)
        fire[i] = np.isfinite(r[i])
    small = np.abs(r) < tiny  # below the normal range of `out` (nan: False) ...
    if small.any():
        small &= r != 0  # ... but not 0
        if small.any():
            fire[small] = _near_boundary_any(r[small], out, bound)
    return fire.reshape(shape)


#: for float32 and float16: (52 − mantissa bits, 2^emin, the smallest normal number of the
#: type), for the test of r's bits in _near_boundary
_MIDPOINT_BITS = {
    np.dtype(np.float32): (52 - 23, 2.0**-126),
    np.dtype(np.float16): (52 - 10, 2.0**-14),
}


def _near_boundary_any(r: np.ndarray, out: np.dtype, bound: float) -> np.ndarray:
    """_near_boundary for any type: r ± the bound rounded to `out` and compared."""
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        err = bound * np.abs(np.spacing(r))
        lo, hi = (r - err).astype(out), (r + err).astype(out)
        differ = (lo != hi) & ~(np.isnan(lo) & np.isnan(hi))  # (both past e4m3fn's top: nan)
        return np.isfinite(r) & (r != 0) & (differ | (np.signbit(lo) != np.signbit(hi)))


def _finish(r: np.ndarray, out: np.dtype, exact: Any = None, into: Any = None) -> Any:
    """r (float64) in the output dtype. For float32/float16, correctly rounded: r rounded,
    except where it lies too close to a rounding boundary of the small type for its error
    bound to decide (_near_boundary): there exact(mask) gives the exact value rounded once
    (numerics.rigorous, ball arithmetic; rare but for linear pieces like rrelu's slope·z).
    `into`: the caller's array (``out=``) to write the result to; it is returned."""
    # rounding to float32/float16 may overflow to ±inf or underflow to 0: that is the
    # correctly rounded result, not an error
    r = np.asarray(r)
    with np.errstate(over="ignore", under="ignore"):
        small = r.astype(out, copy=False)  # r is the caller's own new array
    if exact is not None and out != np.float64 and small.size:
        fire = _near_boundary(r, out)
        if fire.any():
            small[fire] = exact(fire)
    if into is not None:
        if not np.may_share_memory(small, into):
            into[...] = small.reshape(into.shape)
        return into
    if small.ndim:
        return small
    return float(small) if out == np.float64 else small[()]


def _check_out(out: Any, shape: tuple[int, ...], dtype: np.dtype, what: str = "out") -> None:
    """`out` must be a writeable numpy array of the result's shape and dtype."""
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{what} must be a numpy array, got {type(out).__name__}")
    if out.shape != shape or out.dtype != dtype:
        raise ValueError(f"{what} must have shape {shape} and dtype {dtype} (the result's),"
                         f" got shape {out.shape} and dtype {out.dtype}")
    if not out.flags.writeable:
        raise ValueError(f"{what} is read-only")


def _buffer(out: Any, x: np.ndarray, dtype: np.dtype) -> np.ndarray | None:
    """The float64 array to compute into: `out` itself where it is a contiguous float64
    array (no copy), else None (a new one)."""
    if out is None:
        return None
    _check_out(out, x.shape, dtype)
    if dtype == np.float64 and out.flags.c_contiguous and x.ndim and not np.shares_memory(out, x):
        return out
    return None


class Activation:
    """An activation function with bound parameters.

    ``f(z)`` is g(z), ``f.deriv(z, kink=...)`` is g′(z), ``f.deriv_from_output(a)`` is g′
    computed from a = g(z); ``order=2`` gives g″ instead (``f.kinks2``: the jumps of g″,
    where `kink` picks the value; ``f.from_output_unavailable(order=2)``: why g″ is no
    function of a); ``f.deriv(z, order=N)``, 3 <= N <= 20, gives g⁽ᴺ⁾ by the rigorous path
    (Taylor series in ball arithmetic; not from the output). All accept scalars or arrays
    of any shape and return the same shape; float32 (float16) in gives float32 (float16) out, correctly rounded (the exact
    value rounded once: the float64 result rounded, or, where that cannot be trusted to
    decide, the exact value from numerics.rigorous); anything else gives float64.
    ``f.value_and_deriv(z)`` gives (g, g′) at once, sharing the work where g and g′ have
    some in common; every method takes ``out=`` (an array of the result's shape and dtype;
    for value_and_deriv a pair) to write the result to.
    """

    def __init__(self, sp: Spec, params: Mapping[str, Any] | None = None,
                 like: str | None = None):
        self.spec = sp
        #: the framework profile (actgrad/profiles.py) whose defaults and kink conventions
        #: this activation takes, or None
        self.like: str | None = None if like is None else _profiles().profile(like).name
        given = dict(params or {})
        if self.like is not None:
            given = {**_profiles().defaults(self.like, sp.name), **given}
        self.params: Mapping[str, Any] = MappingProxyType(_bind(sp, given))
        #: the kink convention of deriv when none is given: the profile's, else PyTorch's
        self.kink: str = "pytorch" if self.like is None else _profiles().BY_NAME[
            self.like].convention
        # a "kink" whose slopes agree (prelu with weight 1) is none; a break of smoothness at
        # a kink is the kink's business
        self.kinks: tuple[Kink, ...] = tuple(
            _with_framework_sides(sp.name, k, self.params)
            for k in sp.kinks(dict(self.params)) if k.left != k.right or k.g_jumps)
        #: the jumps of g″ (one-sided values of g″, the frameworks' double-backward sides)
        self.kinks2: tuple[Kink, ...] = tuple(
            k for k in sp.d2g_kinks(dict(self.params)) if k.left != k.right)
        self.breaks: tuple[float, ...] = tuple(
            b for b in sp.breaks(dict(self.params)) if all(k.at != b for k in self.kinks))
        #: the kinks at no float (hard_sigmoid with alpha=0.2): exact places, no convention
        self.off_kinks: tuple[OffKink, ...] = sp.off_kinks(dict(self.params))

    @property
    def name(self) -> str:
        return self.spec.name

    def __repr__(self) -> str:
        like = "" if self.like is None else f", like={self.like!r}"
        args = "".join(f", {k}={v!r}" for k, v in self.params.items())
        return f"actgrad.get({self.name!r}{like}{args})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Activation):
            return NotImplemented
        return (self.spec is other.spec and dict(self.params) == dict(other.params)
                and self.kink == other.kink)

    def __hash__(self) -> int:
        return hash((self.name, tuple(sorted(self.params.items())), self.kink))

    def defects(self) -> list[str]:
        """The profile's framework's known wrong values for this function where it is
        smooth (actgrad/profiles.py ``DEFECTS``; actgrad's values stay the true ones)."""
        if self.like is None:
            return []
        return _profiles().defects(self.like, self.name, dict(self.params))

    # -- g ------------------------------------------------------------------------------
    def __call__(self, z: Any, out: np.ndarray | None = None) -> Any:
        """g(z); `out`: an array of the result's shape and dtype to write it to."""
        x, dt = _source(z)
        if out is not None:
            _check_out(out, x.shape, dt)
        ((r, fire),) = _evaluate(_form(self.spec.g, dt), x, dict(self.params), dt, (None,),
                                 (out,))
        return _done(r, fire, dt, self._exact_g(x, dt), out)

    def _exact_g(self, x: np.ndarray, dt: np.dtype) -> Any:
        return lambda m: _rigorous().values_float(self, _as64(x[m]), deriv=False, dtype=dt)

    # -- g′ -----------------------------------------------------------------------------
    def deriv(self, z: Any, kink: str | None = None, order: int = 1,
              out: np.ndarray | None = None) -> Any:
        """g′(z) (order=1) or g″(z) (order=2); `kink` picks the value at a kink of g′ (a jump
        of g″ for order 2: ``self.kinks2``); None: ``self.kink`` (the profile's
        conventions with like=, else PyTorch's); `out`: an array of the result's shape and
        dtype to write it to (orders 1 and 2).

        order=N for 3 <= N <= MAX_ORDER (20): g⁽ᴺ⁾(z) correctly rounded to the dtype, always
        by the rigorous path (Taylor series in ball arithmetic, numerics/series.py): slow,
        some 25 to 100 µs a value for N = 3 to 10 (sigmoid, gelu, mish; 5 to 15 µs for g″;
        benchmarks/series_speed.py), more in far tails and at tiny z, which need more bits.
        At a breakpoint where the one-sided N-th derivatives differ, `kink` picks: left,
        right, their mean; pytorch and jax the side they take for g″ there (else for g′) —
        an extension of the measured conventions, not a measurement of the frameworks'
        nested autograd.
        """
        kink = check_kink(self.kink if kink is None else kink)
        order = check_order(order)
        if order == 2:
            return self._deriv2(z, kink, out)
        if order >= 3:
            if out is not None:
                raise ValueError("out= is for orders 1 and 2 (orders >= 3 take the rigorous"
                                 " path)")
            x, dt = _prepare(z)
            r = _rigorous().values_float(self, x, deriv=order, kink=kink, dtype=dt)
            if r.ndim:
                return r
            return float(r) if dt == np.float64 else r[()]
        x, dt = _source(z)
        if out is not None:
            _check_out(out, x.shape, dt)
        ((r, fire),) = _evaluate(_form(self.spec.dg, dt), x, dict(self.params), dt,
                                 (self._deriv_post(kink),), (out,))
        return _done(r, fire, dt, self._exact_dg(x, dt, kink), out)

    def _deriv_post(self, kink: str) -> Any:
        """The conventions of g′, on a chunk: the kink's value at a kink, nan at nan."""
        slopes = tuple((k.at, k.slope(kink)) for k in self.kinks)

        def post(x: np.ndarray, d: np.ndarray, slopes: tuple = slopes,
                 nan: bool | None = None) -> None:
            """nan: whether x holds a NaN, when the caller knows (None: looked up here)."""
            for at, slope in slopes:
                d[x == _exactly(at, x.dtype)] = slope
            if _has_nan(x) if nan is None else nan:
                d[np.isnan(x)] = np.nan

        post.slopes = slopes  # type: ignore[attr-defined]  (for _trimmed)
        post.takes_nan = True  # type: ignore[attr-defined]  (for _into_chunks)
        return post

    def _exact_dg(self, x: np.ndarray, dt: np.dtype, kink: str) -> Any:
        return lambda m: _rigorous().values_float(self, _as64(x[m]), deriv=True, kink=kink,
                                                  dtype=dt)

    def value_and_deriv(self, z: Any, kink: str | None = None,
                        out: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[Any, Any]:
        """(g(z), g′(z)) in one pass, the same values as ``f(z)`` and ``f.deriv(z, kink)``;
        where g and g′ share work (e^−|z| for sigmoid and σ′) it is done once. `out`: a pair
        of arrays of the result's shape and dtype to write them to."""
        kink = check_kink(self.kink if kink is None else kink)
        if out is not None and (not isinstance(out, tuple) or len(out) != 2):
            raise TypeError("out must be a pair (g's array, g′'s array)")
        x, dt = _source(z)
        outs = (None, None) if out is None else out
        if out is not None:
            _check_out(out[0], x.shape, dt, "out[0]")
            _check_out(out[1], x.shape, dt, "out[1]")
        p = dict(self.params)
        both = getattr(self.spec.g, "with_deriv", None)
        post = self._deriv_post(kink)
        if both is not None:
            (g, gf), (d, df) = _evaluate(_form(both, dt), x, p, dt, (None, post), outs)
        else:
            ((g, gf),) = _evaluate(_form(self.spec.g, dt), x, p, dt, (None,), outs[:1])
            ((d, df),) = _evaluate(_form(self.spec.dg, dt), x, p, dt, (post,), outs[1:])
        return (_done(g, gf, dt, self._exact_g(x, dt), outs[0]),
                _done(d, df, dt, self._exact_dg(x, dt, kink), outs[1]))

    def _deriv2(self, z: Any, kink: str, into: np.ndarray | None = None) -> Any:
        if self.spec.d2g is None:
            raise ValueError(f"g″ of {self.name} is not available")
        x, out = _prepare(z)
        d = _apply(self.spec.d2g, x, dict(self.params), _buffer(into, x, out))
        for k in self.kinks2:
            d[x == k.at] = k.slope(kink)
        d[np.isnan(x)] = np.nan
        return _finish(d, out, lambda m: _rigorous().values_float(self, x[m], deriv=2,
                                                                  kink=kink, dtype=out), into)

    @property
    def has_deriv_from_output(self) -> bool:
        return self.from_output_unavailable() is None

    def from_output_unavailable(self, order: int = 1) -> str | None:
        """Why g′ (g″ for order=2) cannot be computed from a (None when it can)."""
        why = self.spec.from_output_unavailable(dict(self.params))
        if why is None and self.spec.dg_from_a is None:
            why = (f"g′ of {self.name} is not a function of its output a alone"
                   " (two values of z give the same a with different slopes)")
        order = check_order(order)
        if why is None and order == 2 and self.spec.d2g_from_a is None:
            why = f"g″ of {self.name} is not a function of its output a alone"
        if order >= 3:
            why = f"{derivative_symbol(order)} from the output is not offered: use z"
        return why

    def output_range(self) -> tuple[float, float]:
        return self.spec.output_range(dict(self.params))

    def deriv_from_output(self, a: Any, kink: str | None = None, order: int = 1,
                          out: np.ndarray | None = None) -> Any:
        """g′ (order=2: g″) from a = g(z): exact algebra on a, so its precision is a's
        (`kink` as in ``deriv``); `out`: an array of the result's shape and dtype to write
        it to."""
        into = out
        kink = check_kink(self.kink if kink is None else kink)
        check_order(order)
        why = self.from_output_unavailable(order)
        if why:
            raise ValueError(why)
        x, out = _prepare(a)
        if into is not None:
            _check_out(into, x.shape, out)
        lo, hi = self.output_range()
        bad = (x < lo) | (x > hi)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise OutputRangeError(
                f"{float(x.flat[i])!r} is not an output of {self.name}"
                f" (outputs lie in {_interval(lo, hi)})",
                i,
            )
        p = dict(self.params)
        second = check_order(order) == 2
        d = _apply(self.spec.dg_from_a, x, p)  # type: ignore[arg-type]
        gap = np.isnan(d) & ~np.isnan(x)  # within the range but in a gap of it (hardshrink)
        if gap.any():
            i = int(np.flatnonzero(gap)[0])
            raise OutputRangeError(f"{float(x.flat[i])!r} is not an output of {self.name}", i)
        if second:
            d = _apply(self.spec.d2g_from_a, x, p)  # type: ignore[arg-type]
        for k in self.kinks2 if second else self.kinks:
            if k.unique_output:
                d[x == self.spec.g(np.float64(k.at), p)] = k.slope(kink)
        d[np.isnan(x)] = np.nan
        # correct rounding to float32/float16 means: the exact g′ at the exact float a (the
        # from-output formula evaluated exactly on a), rounded once
        return _finish(d, out, lambda m: _rigorous().from_output_float(
            self, x[m], kink=kink, dtype=out, order=2 if second else 1), into)

    def framework_slopes(self, k: Kink) -> tuple[tuple[str, float], ...]:
        """What each framework that ships this function returns at kink k, in the Spec's
        order: (("PyTorch", g′), ("JAX", g′)), or one pair where only one ships it."""
        at = np.float64(k.at)
        return tuple((fw, float(self.deriv(at, kink=fw.lower()))) for fw in self.spec.frameworks)

    def near_kink(self, z: np.ndarray, radius: np.ndarray | float) -> np.ndarray:
        """Mask of points within `radius` of a kink (kinks included)."""
        z = np.asarray(z, dtype=np.float64)
        mask = np.zeros(z.shape, dtype=bool)
        for k in self.kinks:
            mask |= np.abs(z - k.at) <= radius
        return mask

    def exact(self, z: Any) -> Any:
        """g(z) in mpmath at the current mpmath precision (z converted exactly)."""
        import mpmath

        return self.spec.exact(mpmath.mpf(z), dict(self.params), mpmath)


#: the derivative orders of ``deriv`` (orders 1 and 2 also of ``deriv_from_output``)
ORDERS = tuple(range(1, MAX_ORDER + 1))


def check_order(order: Any) -> int:
    """order as an int in ORDERS, else a ValueError that says what is allowed."""
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or order not in ORDERS:
        raise ValueError(f"derivative order must be an integer from 1 to {MAX_ORDER},"
                         f" got {order!r}")
    return int(order)


_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def derivative_symbol(order: int) -> str:
    """g′, g″, g‴, then g⁽⁴⁾, g⁽⁵⁾, ... (order >= 1)."""
    if order <= 3:
        return "g" + "′″‴"[order - 1]
    return f"g⁽{str(order).translate(_SUPERSCRIPT)}⁾"


def _profiles() -> Any:
    from . import profiles  # (profiles imports activations.base only; no cycle at import)

    return profiles


def _with_framework_sides(name: str, k: Kink, params: Mapping[str, Any]) -> Kink:
    """k with the side each framework profile records for it (profiles.KINKS) as a
    ``special`` value of that framework's convention; unrecorded kinks keep Kink.side's
    fallback (PyTorch's side)."""
    extra = []
    for rule in _profiles().kink_rules(name):
        at = params[rule.at] if isinstance(rule.at, str) else rule.at
        if at != k.at:
            continue
        if rule.side == "left":
            exact = k.exact_left or (lambda mp, v=k.left: mp.mpf(v))
            extra.append((rule.framework, k.left, exact))
        else:
            exact = k.exact_right or (lambda mp, v=k.right: mp.mpf(v))
            extra.append((rule.framework, k.right, exact))
    if not extra:
        return k
    import dataclasses

    return dataclasses.replace(k, special=(*k.special, *extra))


def _rigorous() -> Any:
    from .numerics import rigorous  # ball arithmetic: imported only when a result needs it

    return rigorous


def _interval(lo: float, hi: float) -> str:
    def fmt(v: float) -> str:
        if math.isinf(v):
            return "∞" if v > 0 else "−∞"
        short = f"{v:g}"  # 1, 0.01: as short as gives v back exactly
        return short if float(short) == v else repr(float(v))

    left = "(" if math.isinf(lo) else "["
    right = ")" if math.isinf(hi) else "]"
    return f"{left}{fmt(lo)}, {fmt(hi)}{right}"


def get(name: str, like: str | None = None, **params: Any) -> Activation:
    """The activation called `name` (or an alias), with parameters bound; `like` (pytorch,
    jax, keras, tensorflow, mlx, tinygrad) takes that framework's defaults first and its
    kink conventions for ``deriv`` (actgrad/profiles.py).

    >>> get("sigmoid").deriv(0.0)
    0.25
    >>> get("leaky_relu", like="keras").params["negative_slope"]
    0.2
    """
    return Activation(spec(name), with_fixed(name, params), like=like)
