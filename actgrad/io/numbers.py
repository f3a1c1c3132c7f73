"""Numbers as text, both ways: the one notion of what a value token is, and the shortest
round-trip text of a float.

Floats are written in their shortest round-trip form (``repr`` for float64, numpy's shortest
form for float32/float16, and for ml_dtypes' bfloat16 and float8 the shortest decimal that
rounds back to the value, in repr's layout), never rounded. High-precision results arrive already as text
(``NumberTexts``).
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import Sequence

import numpy as np

from ..numerics import FORMATS, ML_DTYPES, Format


def is_number(token: bytes | str) -> bool:
    """Whether a token is a value: what ``float()`` accepts, ASCII only, without underscores.

    The one rule for every place values come from (stdin, files, arguments, the fast path's
    choice): ``1e-3``, ``+5``, ``.5``, ``inf``, ``-Infinity`` and ``nan`` are values;
    ``1_000`` (which float() takes), non-ASCII digits and hex floats are not. Surrounding
    ASCII whitespace is ignored, as float() ignores it.
    """
    if isinstance(token, str):
        token = token.encode("utf-8", "surrogateescape")
    if b"_" in token or not token.isascii():
        return False
    try:
        float(token)
    except (ValueError, TypeError, OverflowError):
        return False
    return True


_SEPARATORS = bytes.maketrans(b",", b" ")


def holds_numbers(arg: bytes | str) -> bool:
    """Whether a command-line argument holds only values (``-2``, ``1,2``, ``'3 4'``).

    An argument may hold several values separated as on stdin (whitespace and commas).
    """
    if isinstance(arg, str):
        arg = arg.encode("utf-8", "surrogateescape")
    tokens = arg.translate(_SEPARATORS).split()
    return bool(tokens) and all(is_number(t) for t in tokens)


# orjson formats floats with Ryu (shortest round-trip digits) about 15 times faster than
# Python's repr: 0.07 s against 1.0 s for 1e6 values on this project's 2-core machine
# (benchmarks/run.py has the end-to-end figures). Its text differs from repr only in style,
# which repr_lines undoes with vectorised byte edits, so the bytes are exactly repr's
# (tests/test_render.py checks that on random bit patterns): exponents of one digit ('e-8' →
# 'e-08', for 1e-9 ≤ |x| < 1e-5); 1e-5 ≤ |x| < 1e-4, written fixed by orjson and in exponent
# form by repr ('0.000015' → '1.5e-05'); and nan/±inf, which JSON writes as null. Which values
# need which edit follows from the value alone: the shortest decimal of a float x has the
# decimal exponent k exactly when float(10^k) ≤ |x| < float(10^(k+1)) (rounding is monotonic,
# and float(10^k) is the nearest float to 10^k).
_E05 = np.frombuffer(b"e-05", np.uint8)
_COMMA, _ZERO, _DOT = ord(","), ord("0"), ord(".")
_FEW = 64  # values that repr writes faster than orjson is imported


def _orjson_text(flat: np.ndarray, quote_specials: bool = False) -> np.ndarray:
    """orjson's text of float64 values, each followed by a ',' (the last by ']'), with
    nan/±inf as repr writes them (quoted: '"nan"', with quote_specials): a read-only view of
    orjson's bytes after its '[' (no copy)."""
    import orjson

    text = orjson.dumps(flat, option=orjson.OPT_SERIALIZE_NUMPY)
    if b"null" in text:
        quote = '"%s"' if quote_specials else "%s"
        special = iter([(quote % repr(v)).encode() for v in flat[~np.isfinite(flat)].tolist()])
        text = re.sub(rb"null", lambda m: next(special), text)
    return np.frombuffer(text, np.uint8, offset=1)


def _value_ends(buf: np.ndarray) -> np.ndarray:
    """Where each value of _orjson_text's text ends (its ',', or the last byte)."""
    is_end = buf == _COMMA
    is_end[-1] = True
    return np.flatnonzero(is_end)


def _edit_masks(flat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(invalid="ignore"):  # (nan)
        a = np.abs(flat)
        return (a >= 1e-9) & (a < 1e-5), (a >= 1e-5) & (a < 1e-4)  # one digit, fixed


_PLACEHOLDERS: np.ndarray | None = None
_THRESHOLD = 0.15


def _placeholders() -> np.ndarray:
    """A float for each text length 3-23 whose orjson text has that many bytes and needs no
    edit (the lengths 5-23 of an edited value's repr, '1e-05' to '-1.2345678901234567e-06',
    are the ones used)."""
    global _PLACEHOLDERS
    if _PLACEHOLDERS is None:
        import orjson

        table = np.zeros(24)
        for v in [1.0, 1.5] + (1 + np.arange(1, 200) * (np.pi / 7)).tolist():
            for x in (v, v * 1e20, -v, -v * 1e20):  # ('1.0' ... '-4.0362481528434716e+20')
                for d in range(1, 18):
                    y = float(f"{x:.{d}g}")
                    n = len(orjson.dumps(y))
                    if n < 24 and not table[n]:
                        table[n] = y
        assert table[5:].all()  # every length an edited value's repr can have
        _PLACEHOLDERS = table
    return _PLACEHOLDERS


def _repr_text(flat: np.ndarray, quote_specials: bool = False
               ) -> tuple[np.ndarray, np.ndarray | None]:
    """The text of *flat* in repr's style: the bytes, each value followed by a ',', and where
    those commas are (None when no value needed an edit: find them).

    Only the values that need an edit go through _repr_edits' byte edits (on their own,
    shorter text); the others are written by orjson as they are, with each edited value's
    place held by a placeholder of its new length, whose bytes are then overwritten. So the
    bytes of the values that need nothing (most of csv's z column, most of any N(0, 1)
    data) cost orjson's pass and a compare, not the rebuild's mask copies. Where more than
    15 % of the values need an edit (deriv sigmoid on uniform(−20, 20): 57 %), the whole text
    is rebuilt instead, which costs less there (1e6 values, 256 KiB blocks, CPU: deriv gelu's
    text 0.18 → 0.11 s, csv of z and deriv gelu 0.34 → 0.19 s; sigmoid's as before).
    """
    one_digit, fixed = _edit_masks(flat)
    edit = one_digit | fixed
    if not edit.any():
        return _orjson_text(flat, quote_specials), None
    which = np.flatnonzero(edit)
    if len(which) > _THRESHOLD * len(flat):  # (where the rebuild of the whole text costs less)
        return _repr_edits(_orjson_text(flat, quote_specials), flat)
    sub = flat[which]
    new, sub_ends = _repr_edits(_orjson_text(sub), sub)
    if sub_ends is None:  # (not reached: every value of sub needs an edit)
        sub_ends = _value_ends(new)
    size = np.diff(sub_ends, prepend=-1)  # each edited value's length, with its ','
    work = flat.copy()
    work[which] = _placeholders()[size - 1]
    buf = _orjson_text(work, quote_specials).copy()
    ends = _value_ends(buf)
    # each edited value's new bytes (with its ',') over its placeholder's
    first = ends[which] - (size - 1)
    index = np.int32 if len(buf) < 2**31 else np.intp  # (half the bytes to move)
    at = np.arange(len(new), dtype=index) + np.repeat(
        (first - (sub_ends + 1 - size)).astype(index), size)
    buf[at] = new
    return buf, ends


def _repr_edits(buf: np.ndarray, flat: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """_orjson_text's text of *flat* in repr's style: the bytes, each value followed by a
    ',' (the last by ']'), and where those end (None when no value needed an edit: find them
    with _value_ends).

    The edits are bytes that go (the '0.0000' of 1e-5 ≤ |x| < 1e-4) and bytes that go in:
    where each lands follows from per-value counts (exclusive sums over the values, not over
    the bytes), so the text is rebuilt with two boolean-mask copies, a byte each, instead of
    a repeat count (8 bytes) per byte: ~4x faster on deriv sigmoid's output.
    """
    # one_digit: 'd.ddde-6' → 'd.ddde-06'; fixed: '0.0000ddd' → 'd.dde-05'
    one_digit, fixed = _edit_masks(flat)
    any_fixed = bool(fixed.any())
    if not (any_fixed or one_digit.any()):
        return buf, None
    ends = _value_ends(buf)
    n = len(ends)
    # bytes that go in, per value: 1 ('0') for one_digit, 4 ('e-05') + 1 ('.' when more
    # than one digit) for fixed; bytes that go: 6 for fixed
    grow = one_digit.astype(np.intp)
    if any_fixed:
        f_end = ends[fixed]
        starts = np.concatenate(([0], ends[:-1] + 1))[fixed]
        lead = starts + (flat[fixed] < 0)  # where '0.0000' begins, after a sign
        has_dot = f_end > lead + 7  # more digits after the first: a '.' after it
        grow[fixed] = 4 + has_dot
        gone = np.zeros(n, np.intp)
        gone[fixed] = 6
        gone_to = np.cumsum(gone)  # bytes gone up to and including each value
    grown = np.cumsum(grow)  # bytes gone in up to and including each value
    before = grown - grow  # ... before each value
    size = len(buf) + int(grown[-1]) - (int(gone_to[-1]) if any_fixed else 0)
    at_parts, byte_parts = [], []
    shift = before if not any_fixed else before - gone_to  # source → output, per value
    e_digit = np.flatnonzero(one_digit)
    at_parts.append(ends[e_digit] - 1 + shift[e_digit])  # the '0' before the digit
    byte_parts.append(np.full(len(e_digit), _ZERO, np.uint8))
    if any_fixed:
        where = np.flatnonzero(fixed)
        dot = where[has_dot]
        at_parts.append(lead[has_dot] + 7 + shift[dot])
        byte_parts.append(np.full(len(dot), _DOT, np.uint8))
        e05 = (f_end + shift[where] + has_dot)[:, None] + np.arange(4)
        at_parts.append(e05.ravel())
        byte_parts.append(np.tile(_E05, len(where)))
        keep = np.ones(len(buf), bool)
        keep[lead[:, None] + np.arange(6)] = False
        source = buf[keep]
    else:
        source = buf
    at = np.concatenate(at_parts) if len(at_parts) > 1 else at_parts[0]
    old = np.ones(size, bool)
    old[at] = False
    out = np.empty(size, np.uint8)
    out[old] = source
    out[at] = np.concatenate(byte_parts) if len(byte_parts) > 1 else byte_parts[0]
    return out, ends + shift + grow


def short_exact(v: float) -> str:
    """The shorter of '%g' and repr that still gives v back exactly: 1, 0.01, 0.123456789."""
    text = f"{v:g}"
    return text if float(text) == v else repr(float(v))


def repr_lines(values: np.ndarray) -> bytes:
    """Each value's shortest round-trip text followed by a newline, as bytes.

    float64: exactly ``repr(float(v))`` ('0.25', '4.248354255291589e-18', 'inf', 'nan');
    float32 and float16: numpy's shortest text for that type ('0.1', not 0.10000000149011612).
    """
    values = np.asarray(values)
    if values.size == 0:
        return b""
    if values.dtype.name in ML_DTYPES:
        return ("\n".join(shortest_small(values)) + "\n").encode()
    if values.dtype != np.float64:
        return ("\n".join(str(v) for v in values.ravel()) + "\n").encode()
    flat = np.ascontiguousarray(values.ravel())
    if flat.size <= _FEW:  # a few values (command-line arguments): not worth orjson's import
        return "".join([repr(v) + "\n" for v in flat.tolist()]).encode()
    buf, ends = _repr_text(flat)
    if ends is None:
        return buf[:-1].tobytes().replace(b",", b"\n") + b"\n"
    buf[ends] = ord("\n")
    return buf.tobytes()


_MINUS0 = 0x1F  # the '-' of a one-digit exponent in _marked_text's text, to become '-0'


def _marked_text(flat: np.ndarray, quote_specials: bool = False
                 ) -> tuple[np.ndarray, np.ndarray, bool]:
    """orjson's text of *flat* ('[' v ',' v ... ']', writable) in repr's style but for one
    byte: the '-' of each one-digit exponent ('e-7') is _MINUS0, which a bytes.replace by
    '-0' then makes repr's ('e-07'); where each value ends (its ',', the last one's ']'); and
    whether any byte is _MINUS0.

    No byte moves in this array, so no pass of boolean-mask copies over the whole text (what
    _repr_edits costs): the values whose text changes length otherwise, 1e-5 <= |x| < 1e-4
    ('0.000015' -> '1.5e-05') and nan/±inf ('null' -> 'nan', or '"nan"' with quote_specials),
    are written by _repr_edits on their own, a placeholder of their new length stands in
    their place in orjson's call, and their bytes go over the placeholder's; the one-digit
    exponents, one byte longer, grow in the one bytes.replace (a memchr per '-0', far cheaper
    than a mask copy of every byte). Rows of deriv sigmoid on uniform(-20, 20), csv: 57 % of
    the dg column needs an edit, 11 % a placement.
    """
    import orjson

    with np.errstate(invalid="ignore"):  # (nan)
        a = np.abs(flat)
        one_digit = (a >= 1e-9) & (a < 1e-5)
        placed = ((a >= 1e-5) & (a < 1e-4)) | ~(a <= 1.7976931348623157e308)  # (and nan)
    work, which = flat, None
    if placed.any():
        which = np.flatnonzero(placed)
        sub = flat[which]
        new, sub_ends = _repr_edits(_orjson_text(sub, quote_specials), sub)
        if sub_ends is None:  # (not reached: every value of sub needs an edit)
            sub_ends = _value_ends(new)
        size = np.diff(sub_ends, prepend=-1)  # each one's length, with its ','
        work = flat.copy()
        work[which] = _placeholders()[size - 1]
    buf = np.frombuffer(orjson.dumps(work, option=orjson.OPT_SERIALIZE_NUMPY), np.uint8).copy()
    is_end = buf == _COMMA
    is_end[-1] = True
    ends = np.flatnonzero(is_end)
    if which is not None:  # each placed value's bytes (with its ',') over its placeholder's
        first = ends[which] - (size - 1)
        index = np.int32 if len(buf) < 2**31 else np.intp
        at = np.arange(len(new), dtype=index) + np.repeat(
            (first - (sub_ends + 1 - size)).astype(index), size)
        buf[at] = new
    marked = bool(one_digit.any())
    if marked:
        buf[ends[one_digit] - 2] = _MINUS0  # ('e-7,': the '-' two bytes before the end)
    return buf, ends, marked


def float_rows(cols: Sequence[np.ndarray], seps: Sequence[bytes], begin: bytes = b"",
               between: bytes = b"\n", last: bytes = b"\n", quote_specials: bool = False) -> bytes:
    """Rows of float64 columns as bytes, each value in repr's text: ``begin`` c0 ``seps[0]``
    c1 ... c(k-1), rows joined by ``between``, ``last`` after the last row (csv: seps ",",
    between and last "\n"). nan/±inf are written '"nan"' etc. with quote_specials (json).

    One orjson call for all columns (the values row by row: 'a,b,c,d'), _marked_text's
    edits in place, the separators set by position, then one bytes.replace for the
    one-digit exponents and one for each separator longer than a byte (json's keys): no
    Python loop over rows, and no pass of mask copies over the whole text.
    """
    k = len(cols)
    stack = np.column_stack(cols) if k > 1 else np.asarray(cols[0]).reshape(-1, 1)
    if stack.size == 0:
        return b""
    buf, ends, marked = _marked_text(stack.ravel(), quote_specials)
    marks = list(seps) + [between]
    simple = all(len(m) == 1 for m in marks)
    for j, mark in enumerate(marks):
        buf[ends[j::k]] = mark[0] if simple else j + 1  # bytes 1..k never occur in text
    out = buf[1:-1].tobytes()  # (after '['; the last row's end is *last*)
    if marked:
        out = out.replace(bytes([_MINUS0]), b"-0")
    if not simple:
        for j, mark in enumerate(marks):
            out = out.replace(bytes([j + 1]), mark)
    return begin + out + last


def is_float_array(arr: np.ndarray) -> bool:
    """numpy's floats and ml_dtypes' (whose dtype kind is not always 'f')."""
    return arr.dtype.kind == "f" or arr.dtype.name in ML_DTYPES


def shortest_small(values: np.ndarray) -> list[str]:
    """The shortest round-trip text of each value of an ml_dtypes array (bfloat16, float8).

    ml_dtypes' own str is '%g' (six digits: bfloat16's 0.1 prints as 0.100098). Here, per
    distinct value v: the first k-digit decimal d (k = 1, 2, ...) nearest to v that lies in
    v's rounding cell (between the midpoints to its neighbours, a midpoint included where v's
    significand is even, as ties go to even) and that also comes back to v through float64,
    as the reader takes it (the nearest k-digit decimal, or next to a power of 2, where the
    cell is lopsided, its neighbour); written as repr(float(d)), which has d's digits (k <= 5
    here, and float64 keeps any 15 digits)."""
    fmt = FORMATS[values.dtype.name]
    flat = values.reshape(-1)
    with np.errstate(invalid="ignore"):  # (signalling NaN patterns)
        x = flat.astype(np.float64)
    u, inv = np.unique(x.view(np.uint64), return_inverse=True)
    texts = [_shortest(v, fmt, values.dtype.type) for v in u.view(np.float64).tolist()]
    return [texts[i] for i in inv.reshape(-1).tolist()]


def _shortest(v: float, fmt: Format, cast: type) -> str:
    if v != v or v in (math.inf, -math.inf) or v == 0:
        return repr(v)
    a = abs(v)
    m, e = math.frexp(a)  # a = m·2^e, 1/2 <= m < 1
    q = max(e - fmt.p, fmt.qmin)  # a's quantum is 2^q
    below = q - 1 if m == 0.5 and e - 1 - fmt.p >= fmt.qmin else q  # (smaller under 2^k)
    lo, hi = a - math.ldexp(0.5, below), a + math.ldexp(0.5, q)  # exact in float64
    even = int(math.ldexp(a, -q)) % 2 == 0

    def inside(text: str) -> bool:
        # float() rounds monotonically and lo, hi are floats, so lo < float(t) < hi decides
        # lo < t < hi; only float(t) at lo or hi needs the exact decimal
        t = float(text)
        if lo < t < hi:
            return float(cast(t)) == a
        if t in (lo, hi):
            x = Fraction(text)
            return (lo < x < hi or (even and x in (lo, hi))) and float(cast(t)) == a
        return False

    for k in range(1, 18):
        digits, _, exp = f"{a:.{k - 1}e}".partition("e")  # the nearest k-digit decimal
        mant, e10 = int(digits.replace(".", "")), int(exp) - (k - 1)
        # it (the nearest, so the best if inside), else the neighbour on the other side of a
        # where the cell is lopsided (just above a power of 2); the cell is an interval
        # around a, so at most one of them can be inside when the nearest is not
        for n in (mant, mant - 1, mant + 1):
            text = f"{n}e{e10}"
            if n > 0 and inside(text):
                t = float(text)
                return repr(-t if v < 0 else t)
    return repr(v)  # (not reached: 17 digits give a itself)


def format_floats(values: np.ndarray) -> list[str]:
    """Shortest round-trip text of each value: '0.25', '4.248354255291589e-18', 'inf', 'nan'."""
    return repr_lines(values).decode().split("\n")[:-1]


def short_float(text: str) -> str:
    """A number's text to three significant digits, for an error estimate in a view too narrow
    for its every digit ('1.964278242562212e-16' -> '1.96e-16'); zeros, inf, nan and anything
    not a number stay as they are."""
    try:
        v = float(text)
    except ValueError:
        return text
    return text if v == 0 or v != v or v in (float("inf"), float("-inf")) else f"{v:.3g}"


def json_floats(values: np.ndarray) -> list[str]:
    texts = format_floats(values)
    ok = np.isfinite(values)
    if ok.all():
        return texts
    return [t if good else f'"{t}"' for t, good in zip(texts, ok.tolist())]


def json_string(text: str) -> str:
    """A JSON string literal (ensure_ascii=False: formulas keep their Unicode)."""
    import orjson

    return orjson.dumps(text).decode()


class NumberTexts(list):
    """Numbers already written as text (high-precision digits): bare numbers in json."""
