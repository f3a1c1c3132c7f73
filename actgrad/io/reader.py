"""Turn input bytes (stdin) or command-line tokens into float64 numpy arrays.

Streaming parser used by the actgrad CLI::

    reader = ValueReader(sys.stdin.buffer, on_invalid="fail")  # or "skip" / "nan"
    for block in reader:          # 1-D float64 arrays, never empty
        ...
    reader.skipped                # bad tokens dropped ("skip") / replaced ("nan")
    token, line, col = reader.locate(i)   # origin of value i of the last block
    parse_arguments(["0", "-2", "1e-3"])  # command-line values

Input format
------------
* Values are separated by any mix of ASCII whitespace (space, ``\\t``,
  ``\\n``, ``\\r\\n``, ``\\r``, ``\\f``, ``\\v``) and commas.  Runs of
  separators -- including consecutive commas such as ``1,,2`` -- are one
  separator: there are no empty values.  Leading/trailing separators, blank
  lines and empty input are fine (empty input yields no block).
* A token is a value iff Python's ``float()`` accepts it (``1e-3``, ``+5``,
  ``.5``, ``5.``, ``inf``, ``-Infinity``, ``nan``, ``-nan``, any case;
  ``1e999`` overflows to ``inf`` as in Python), **except** that underscores
  (``1_000``, accepted by ``float()``) are rejected: for a data tool they are
  far more likely garbage than digit grouping.  Hex floats are not accepted
  (``float()`` rejects them too).  Only ASCII tokens can be numbers; a token
  with non-ASCII or NUL bytes is simply "not a number".
* A UTF-8 byte order mark at the very start of the input is skipped.
* A token longer than ``max_token`` bytes (default 1 MiB) is not a number.
  It is never held in memory in full: reading stops (``fail``) or the rest of
  it is streamed past (``skip``/``nan``) once the limit is exceeded.

Positions (errors and ``locate``)
---------------------------------
Lines and columns are 1-based.  ``\\n``, ``\\r\\n`` and a lone ``\\r`` end a
line (universal newlines); ``\\f`` and ``\\v`` separate values but do not
start a line.  The column counts characters of the line decoded as UTF-8; if
the part of the line before the token is not valid UTF-8, it counts bytes
instead.  A skipped leading BOM is not counted.

Reading
-------
The source is read with a ``read1()``/``os.read()`` call per block, which
returns whatever is available (never waits to fill a block), followed, for a
source with a file descriptor, by more reads while more is ready at once (a
pipe gives at most 64 KiB a read; a block is up to 256 KiB), so values typed
interactively are yielded as soon as their line is entered.  A value
is never split: the trailing partial token of a read is carried over to the
next one (so a last value without a following separator is yielded at EOF).
Memory use does not grow with the input: it is bounded by a small multiple of
``block_size`` plus, for a token just under the limit, two or three copies of
it while it is converted.  A too-long token costs at most ~``max_token +
block_size``.

Errors
------
``fail`` mode yields the values before a bad token as a block, then raises
InputError, e.g. ``line 3, column 5: 'abc' is not a number``.  The token is
shown repr()-style in single quotes (non-printable characters and invalid
UTF-8 bytes escaped, e.g. ``'\\x00\\xff'``), cut to 40 characters with '…'
after the closing quote; a too-long token shows 20 characters:
``line 1, column 1: '11111111111111111111'… (token of more than 1048576
bytes) is not a number``.  No other exception than InputError leaves the
iterator, except OSError from reading.

Parse speed (measured, numpy 2.4.6 / CPython 3.11, 2-CPU VM; 1e7 values in
64 KiB blocks, best of 5, CPU time, million values/s; "repr" = 17-digit
``repr(float)`` text, "%.3f" = short decimals, "ints" = ``seq 0 9999999``,
"crlf" = the %.3f file with CRLF line ends)::

                                            repr   %.3f   ints   crlf
    bytes.split() alone (upper bound)       47     54     73
    np.array(b.split(), dtype=float64)       5.6   16.9   20.3   15.9  <- used
    np.fromstring(b, sep=' ')                6.0   16.9   17.0
    np.fromiter(map(float, b.split()))       5.4   15.5   18.5
    np.array(list(map(float, b.split())))    5.4   14.0   16.2
    np.loadtxt(BytesIO(block))               5.1   14.7   16.0
    np.array(b.split()).astype(float64) [S]  4.0    7.8   10.3
    np.array(s.split()).astype(float64) [U]  2.7    4.2    5.5
    StringDType array .astype(float64)       2.8 (incl. building the array)
    ValueReader end to end (BytesIO)         5.4   16.0   19.1   14.7

For 17-digit input every candidate is bound by the correctly rounded
decimal->binary conversion (~180 ns/value), so the choice is made on short
input and on exactness.  ``np.array(tokens, dtype=float64)`` on bytes tokens
is the fastest or tied, includes the tokenisation, and converts each token
with exactly the rules of ``float(bytes)``.  ``np.fromstring`` is no faster
once a token count is added for validation, and it is unsafe as a validator:
it accepts ``nan(1)``, returns -1.0 for ``'\\v'``, reads ``1-2`` as two
values and silently stops at garbage.  So the fast path is: split the block,
convert it in one call; only if that raises (or the block contains ``_``)
does a per-token loop pinpoint the bad tokens.  Line counting uses numpy
compares (10x ``bytes.count``); the reader runs at ~95% of the bare parse.

Where fastnumbers is installed (a dependency on CPython), its ``try_array``
converts a block made only of digits, signs, '.', 'e'/'E' and separators:
0.12 s against np.array's 0.80 s for 1e6 17-digit tokens (same 2-CPU VM).
It is more lenient than float() outside that alphabet (``nan(1)``), so every
other block, and any block it rejects, takes the np.array path above.
"""

import io
import math
import os

from .numbers import is_number

__all__ = ["InputError", "ValueReader", "parse_arguments", "round_to",
           "DEFAULT_BLOCK_SIZE", "DEFAULT_MAX_TOKEN"]

DEFAULT_BLOCK_SIZE = 1 << 18
DEFAULT_MAX_TOKEN = 1 << 20

_BOM = b"\xef\xbb\xbf"
_SEPARATORS = b" \t\n\r\x0b\x0c,"
_SEPARATOR_CODES = frozenset(_SEPARATORS)
_COMMA_TO_SPACE = bytes.maketrans(b",", b" ")
_TOKEN_PATTERN = rb"[^ \t\n\r\x0b\x0c,]+"
_SHOWN_CHARS = 40          # characters of a bad token shown in messages
_SHOWN_CHARS_LONG = 20     # ... of a token that exceeded max_token
_ELLIPSIS = "\u2026"
MODES = ("fail", "skip", "nan")


# --------------------------------------------------------------------------
# errors

def _render(token, limit, more=False):
    """repr()-like single-quoted rendering of a (bytes or str) token.

    Invalid UTF-8 bytes are shown as ``\\xNN``, non-printable characters
    escaped.  Longer than *limit* characters (or *more*: the token is known
    to continue): truncated, followed by '…' (outside the quotes, so the
    quoted part is always literal token text).
    """
    if isinstance(token, (bytes, bytearray)):
        text = bytes(token).decode("utf-8", "surrogateescape")
    else:
        text = str(token)
    truncated = more or len(text) > limit
    if len(text) > limit:
        text = text[:limit]
    out = []
    for ch in text:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:           # undecodable byte (or lone
            out.append("\\x%02x" % (code - 0xDC00))   # surrogate from argv)
        elif ch == "'":
            out.append("\\'")
        elif ch == "\\":
            out.append("\\\\")
        elif ch.isprintable():
            out.append(ch)
        else:
            out.append(repr(ch)[1:-1])
    return "'" + "".join(out) + "'" + (_ELLIPSIS if truncated else "")


class InputError(ValueError):
    """A token that is not a number.

    ``str(err)`` is e.g. ``line 3, column 5: 'abc' is not a number`` or,
    for command-line values, ``argument 2: 'abc' is not a number``.

    Attributes: ``token`` (bytes from a stream, str from arguments; for a
    too-long token only its first bytes), ``line``, ``column``, ``argument``
    (1-based, or None) and ``limit`` (the byte limit for a too-long token,
    else None).
    """

    def __init__(self, token, line=None, column=None, argument=None, limit=None):
        self.token = token
        self.line = line
        self.column = column
        self.argument = argument
        self.limit = limit
        super().__init__(self._message())

    def _message(self):
        if self.line is not None:
            where = "line %d, column %d: " % (self.line, self.column)
        elif self.argument is not None and self.column is not None:
            where = "argument %d, column %d: " % (self.argument, self.column)
        elif self.argument is not None:
            where = "argument %d: " % self.argument
        else:
            where = ""
        if self.limit is not None:
            return "%s%s (token of more than %d bytes) is not a number" % (
                where, _render(self.token, _SHOWN_CHARS_LONG, True), self.limit)
        return "%s%s is not a number" % (where, _render(self.token, _SHOWN_CHARS))

    def __str__(self):
        return self._message()

    def __reduce__(self):
        return (type(self),
                (self.token, self.line, self.column, self.argument, self.limit))


def parse_arguments(args):
    """Parse command-line values to a float64 array (``fail`` mode of read_arguments)."""
    return read_arguments(args).values


class ArgumentValues:
    """Values from command-line arguments: ``values`` (float64), ``argument`` (the 1-based
    argument each value came from), ``skipped`` (tokens dropped or written as nan) and
    ``tokens`` (the text of each value, for round_to)."""

    __slots__ = ("values", "argument", "skipped", "tokens")

    def __init__(self, values, argument, skipped, tokens=()):
        self.values, self.argument, self.skipped = values, argument, skipped
        self.tokens = tokens


def read_arguments(args, on_invalid="fail"):
    """Values from command-line arguments, read with the stream's rules.

    Each argument may hold several values, separated as on stdin (``1,2`` and ``'1 2'`` are
    two values); a token is a value by the same rule (``float()`` syntax, ASCII only, no
    underscores). *args* are str (undecodable argv bytes arrive as surrogate escapes) or
    bytes. A bad token raises InputError naming the 1-based argument
    (``argument 2: 'abc' is not a number``) in ``fail`` mode; ``skip`` drops it and ``nan``
    writes nan in its place.
    """
    import numpy as np
    if on_invalid not in MODES:
        raise ValueError("on_invalid must be one of %s, got %r"
                         % (", ".join(MODES), on_invalid))
    import re
    values, argument, skipped, texts = [], [], 0, []
    for index, arg in enumerate(args, 1):
        raw = arg.encode("utf-8", "surrogateescape") if isinstance(arg, str) else arg
        if not isinstance(raw, bytes):
            raise InputError(arg, argument=index)
        spans = [(m.start(), m.group()) for m in re.finditer(_TOKEN_PATTERN, raw)]
        whole = len(spans) <= 1  # an argument of one token (or none) is shown whole
        for start, token in spans or [(0, raw)]:
            if spans and is_number(token):
                values.append(float(token))
            elif on_invalid == "fail":
                if whole:
                    raise InputError(arg, argument=index)
                column = _column(_advance_column(_FRESH_LINE, raw[:start]))
                raise InputError(token, argument=index, column=column)
            elif on_invalid == "skip":
                skipped += 1
                continue
            else:
                skipped += 1
                values.append(float("nan"))
            argument.append(index)
            texts.append(token)
    return ArgumentValues(np.array(values, dtype=np.float64),
                          np.array(argument, dtype=np.int64), skipped, texts)


# --------------------------------------------------------------------------
# positions

_FRESH_LINE = (0, 0, True)   # (characters, bytes, prefix is valid UTF-8)


def _advance_column(state, piece):
    """Column state after the line prefix grows by *piece* (whole chars)."""
    chars, nbytes, valid = state
    n = len(piece)
    if piece.isascii():
        return (chars + n, nbytes + n, valid)
    if valid:
        try:
            chars += len(piece.decode("utf-8"))
        except UnicodeDecodeError:
            valid = False
    return (chars, nbytes + n, valid)


def _column(state):
    chars, nbytes, valid = state
    return 1 + (chars if valid else nbytes)


def _advance(buf, end, line, col, cr):
    """Position state after buf[:end], starting from (line, col, cr).

    *cr* tells whether the bytes before buf ended with '\\r' (so that a
    leading '\\n' completes a '\\r\\n' line break instead of starting a line).
    """
    if end <= 0:
        return line, col, cr
    last = buf.rfind(b"\n", 0, end)
    last_cr = buf.rfind(b"\r", 0, end)
    if last_cr > last:
        last = last_cr
    if last < 0:
        return line, _advance_column(col, buf[:end]), False
    if end > 2048:      # numpy's vectorised compares are ~10x bytes.count
        import numpy as np
        codes = np.frombuffer(buf, np.uint8, end)
        breaks = int(np.count_nonzero(codes == 10))
        if last_cr >= 0:
            is_cr = codes == 13
            breaks += int(np.count_nonzero(is_cr)) - int(
                np.count_nonzero(is_cr[:-1] & (codes[1:] == 10)))
    else:
        breaks = buf.count(b"\n", 0, end)
        if last_cr >= 0:
            breaks += buf.count(b"\r", 0, end) - buf.count(b"\r\n", 0, end)
    if cr and buf[0] == 0x0A:
        breaks -= 1
    line += breaks
    col = _advance_column(_FRESH_LINE, buf[last + 1:end]) if last + 1 < end else _FRESH_LINE
    return line, col, buf[end - 1] == 0x0D


class _Segment:
    """What locate() needs about the most recently yielded block."""
    __slots__ = ("buf", "end", "line", "col", "cr", "valid_only", "token")

    def __init__(self, buf, end, line, col, cr, valid_only=False, token=None):
        self.buf = buf              # bytes the block was parsed from
        self.end = end              # tokens lie in buf[:end]
        self.line, self.col, self.cr = line, col, cr   # state at buf[0]
        self.valid_only = valid_only    # value i = i-th *valid* token (skip)
        self.token = token          # set for a one-value too-long-token block


def _token_spans(buf, end):
    import re
    return re.compile(_TOKEN_PATTERN).finditer(buf, 0, end)


# --------------------------------------------------------------------------
# reader

#: the bytes of a block that fastnumbers may parse: digits, signs, '.', 'e', separators
_PLAIN_BYTES = b"0123456789+-.eE" + _SEPARATORS


def _compiled_parser():
    """fastnumbers' ``try_array`` (6x ``np.array`` on 17-digit tokens), or None.

    It gives float()'s correctly rounded values, but it is more lenient than float()
    (``nan(1)``, and who knows what else beyond the plain syntax), so it is used only on
    blocks made of digits, signs, '.', 'e'/'E' and separators, where it rejects exactly what
    float() rejects (tests/test_streams.py checks both on such tokens); any other block, and
    any block it rejects, goes through ``np.array`` and the per-token checks as before.
    ``ACTGRAD_NO_FASTNUMBERS`` set in the environment turns it off.
    """
    if os.environ.get("ACTGRAD_NO_FASTNUMBERS"):
        return None
    try:
        from fastnumbers import try_array
    except ImportError:
        return None
    return try_array

def _ready(fd):
    """Whether reading *fd* would not wait (a regular file, a pipe with data in it)."""
    import select
    try:
        return bool(select.select([fd], [], [], 0)[0])
    except (OSError, ValueError):   # (a descriptor select cannot watch)
        return False


def _gathering(read, fd, block_size):
    """*read* (one call: what is available, up to n bytes), but a short read is followed by
    more reads while the descriptor has more ready, up to *block_size* bytes: a pipe gives at
    most its 64 KiB buffer per read, and bigger blocks save a per-block cost in every stage
    (gelu's double-double work costs ~1.8 ms a call whatever the size). Interactive input is
    yielded as soon as it is typed, as before: nothing more is ready then. An end of input
    met while gathering is returned by the next call."""
    at_end = False

    def gather():
        nonlocal at_end
        if at_end:
            return b""
        chunk = read(block_size)
        if not chunk or len(chunk) >= block_size or not _ready(fd):
            return chunk
        parts, size = [chunk], len(chunk)
        while size < block_size and _ready(fd):
            more = read(block_size - size)
            if not more:
                at_end = True
                break
            parts.append(more)
            size += len(more)
        return b"".join(parts)

    return gather


def _fd_of(source):
    fileno = getattr(source, "fileno", None)
    if callable(fileno):
        try:
            return fileno()
        except (OSError, ValueError, io.UnsupportedOperation):
            pass
    return None


def _read_function(source, block_size):
    if isinstance(source, int):
        fd = source
        return _gathering(lambda n: os.read(fd, n), fd, block_size)
    if isinstance(source, io.TextIOBase) and hasattr(source, "buffer"):
        source = source.buffer
    read1 = getattr(source, "read1", None)
    if callable(read1):
        fd = _fd_of(source)
        if fd is None:
            return lambda: read1(block_size)
        return _gathering(read1, fd, block_size)
    fd = _fd_of(source)
    if fd is not None:
        return _gathering(lambda n: os.read(fd, n), fd, block_size)
    read = getattr(source, "read", None)
    if callable(read):
        return lambda: read(block_size)
    raise TypeError("ValueReader needs a file descriptor or an object with "
                    "read1(), fileno() or read(), not %r" % type(source).__name__)


def _first_separator(data):
    """Index of the first separator byte in *data*, or -1."""
    best = -1
    for sep in (b" ", b"\n", b"\r", b"\t", b",", b"\x0b", b"\x0c"):
        i = data.find(sep, 0, best if best >= 0 else len(data))
        if i >= 0:
            best = i
    return best


def _head(parts, rest):
    """The first bytes of the token made of *parts* + *rest* (for messages)."""
    want = 4 * _SHOWN_CHARS_LONG
    head = b""
    for piece in parts + [rest]:
        head += piece[:want - len(head)]
        if len(head) >= want:
            break
    return head


class _LongToken:
    """Column bookkeeping for a too-long token being streamed past."""

    def __init__(self):
        import codecs
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.chars = 0
        self.nbytes = 0
        self.valid = True

    def feed(self, data, final=False):
        self.nbytes += len(data)
        if self.valid:
            try:
                self.chars += len(self.decoder.decode(data, final))
            except UnicodeDecodeError:
                self.valid = False

    def column_after(self, col):
        chars, nbytes, valid = col
        return (chars + self.chars, nbytes + self.nbytes, valid and self.valid)


class ValueReader:
    """Iterate over the values of a byte stream as float64 blocks.

    *source*: a file descriptor, or an object with ``read1()`` (preferred,
    e.g. ``sys.stdin.buffer``, ``io.BytesIO``), ``fileno()`` (read with
    ``os.read``) or ``read()`` (must return what is available, up to n
    bytes).  A text stream is replaced by its ``.buffer``.

    *on_invalid*: ``"fail"`` -- the values before the first bad token are
    yielded, then InputError is raised; ``"skip"`` -- bad tokens are dropped;
    ``"nan"`` -- bad tokens become NaN (output stays aligned with input).
    ``skipped`` counts the dropped/replaced tokens.

    Iterating yields non-empty 1-D float64 arrays; only InputError (or an
    OSError from reading) is raised.  See the module docstring for syntax.
    *dtype*: the blocks come in that float type instead, each value its decimal rounded
    once to it (round_to); None or float64: float64, as parsed.
    """

    def __init__(self, source, on_invalid="fail", *, block_size=DEFAULT_BLOCK_SIZE,
                 max_token=DEFAULT_MAX_TOKEN, dtype=None):
        if on_invalid not in MODES:
            raise ValueError("on_invalid must be one of %s, not %r"
                             % (", ".join(MODES), on_invalid))
        if int(block_size) < 1 or int(max_token) < 1:
            raise ValueError("block_size and max_token must be positive")
        self.on_invalid = on_invalid
        self.max_token = int(max_token)
        # A block never exceeds max_token/2, so a token can exceed the limit
        # only by growing over several reads, where it is checked.
        self.block_size = max(1, min(int(block_size), self.max_token // 2))
        self.skipped = 0
        self._read = _read_function(source, self.block_size)
        self._segment = None
        self._blocks = self._generate()
        if dtype is not None and dtype != "float64":
            self._blocks = self._rounded(self._blocks, dtype)

    def __iter__(self):
        return self

    def __next__(self):
        return next(self._blocks)

    # ------------------------------------------------------------------
    @property
    def position(self):
        """Where the last yielded block came from, for ``locate(i, at=...)`` once the reader
        has moved on (a consumer that reads ahead)."""
        return self._segment

    def locate(self, index, at=None):
        """(token, line, column) of value *index* of the last yielded block (or of the block
        whose ``position`` was *at*).

        Recomputed from the block's bytes, so it is slow-ish (linear in the
        block); meant for error reporting.  Negative indexes count from the
        end.  Raises IndexError when out of range / before the first block.
        """
        seg = self._segment if at is None else at
        if seg is None:
            raise IndexError("no block has been yielded yet")
        if seg.token is not None:       # a too-long token replaced by NaN
            if index not in (0, -1):
                raise IndexError("value index out of range")
            token = seg.token.decode("utf-8", "backslashreplace")
            return token[:_SHOWN_CHARS_LONG] + _ELLIPSIS, seg.line, _column(seg.col)
        if index < 0:
            index += self._count_values(seg)
            if index < 0:
                raise IndexError("value index out of range")
        n = 0
        for match in _token_spans(seg.buf, seg.end):
            if seg.valid_only and not is_number(match.group()):
                continue
            if n == index:
                line, col, _ = _advance(seg.buf, match.start(), seg.line,
                                        seg.col, seg.cr)
                token = match.group().decode("utf-8", "backslashreplace")
                return token, line, _column(col)
            n += 1
        raise IndexError("value index out of range")

    def _rounded(self, blocks, dtype):
        for block in blocks:
            yield round_to(block, dtype, self._tokens)

    def _tokens(self):
        """The texts of the last yielded block's values, in order (for round_to)."""
        seg = self._segment
        if seg.token is not None:       # a too-long token written as nan
            return [b"nan"]
        tokens = seg.buf[:seg.end].split()
        return [t for t in tokens if is_number(t)] if seg.valid_only else tokens

    @staticmethod
    def _count_values(seg):
        n = 0
        for match in _token_spans(seg.buf, seg.end):
            if not seg.valid_only or is_number(match.group()):
                n += 1
        return n

    # ------------------------------------------------------------------
    def _generate(self):
        import numpy as np
        float64 = np.float64
        to_array = np.array
        read = self._read
        block_size = self.block_size
        max_token = self.max_token
        mode = self.on_invalid
        fail = mode == "fail"
        fast = _compiled_parser()

        parts = []          # the pending partial token, in pieces
        pending = 0         # its length
        line, col, cr = 1, _FRESH_LINE, False   # position of pending[0]
        bom = True          # still looking for a BOM
        long_token = None   # a too-long token being skipped
        eof = False

        while not eof:
            chunk = read()
            if chunk is None:
                raise BlockingIOError("non-blocking input has no data available")
            if type(chunk) is not bytes:
                if isinstance(chunk, str):
                    chunk = chunk.encode("utf-8", "surrogateescape")
                else:
                    chunk = bytes(chunk)
            if not chunk:
                eof = True
                if long_token is not None:
                    long_token.feed(b"", True)
                    break
                if not parts:
                    break
                buf = b"".join(parts)
                parts = []
                pending = 0
            else:
                if bom:
                    if parts:
                        chunk = b"".join(parts) + chunk
                        parts = []
                        pending = 0
                    if len(chunk) < 3 and _BOM.startswith(chunk):
                        parts = [chunk]
                        pending = len(chunk)
                        continue
                    bom = False
                    if chunk.startswith(_BOM):
                        chunk = chunk[3:]
                        if not chunk:
                            continue

                if pending >= block_size:       # a long token in progress
                    cut = _first_separator(chunk)
                    size = pending + (len(chunk) if cut < 0 else cut)
                    if size > max_token:        # too long: stream past it (below)
                        head = _head(parts, chunk if cut < 0 else chunk[:cut])
                        if fail:
                            raise InputError(head, line, _column(col), limit=max_token)
                        self.skipped += 1
                        long_token = _LongToken()
                        for part in parts:
                            long_token.feed(part)
                        parts = []
                        pending = 0
                        if mode == "nan":
                            self._segment = _Segment(b"", 0, line, col, cr, token=head)
                            yield to_array([np.nan], dtype=float64)
                    elif cut < 0:
                        parts.append(chunk)
                        pending += len(chunk)
                        continue

                if long_token is not None:      # streaming past a huge token
                    cut = _first_separator(chunk)
                    if cut < 0:
                        long_token.feed(chunk)
                        continue
                    long_token.feed(chunk[:cut], True)
                    col = long_token.column_after(col)
                    cr = False
                    long_token = None
                    chunk = chunk[cut:]

                if parts:
                    parts.append(chunk)
                    buf = b"".join(parts)
                    parts = []
                    pending = 0
                else:
                    buf = chunk

            if b"," in buf:
                buf = buf.translate(_COMMA_TO_SPACE)
            tokens = buf.split()
            end = len(buf)
            if not eof and buf[-1] not in _SEPARATOR_CODES:
                carry = tokens.pop()
                parts = [carry]
                pending = len(carry)
                end -= pending
            start_line, start_col, start_cr = line, col, cr
            line, col, cr = _advance(buf, end, line, col, cr)
            if not tokens:
                continue

            if b"_" not in buf:
                try:
                    if fast is not None and not buf.translate(None, _PLAIN_BYTES):
                        values = fast(tokens, dtype=float64)
                    else:
                        values = to_array(tokens, dtype=float64)
                except (ValueError, TypeError, OverflowError):
                    pass
                else:
                    self._segment = _Segment(buf, end, start_line, start_col, start_cr)
                    yield values
                    continue

            # slow path: the block holds at least one bad token
            if fail:
                for bad, token in enumerate(tokens):
                    if not is_number(token):
                        break
                else:       # only a '_' in the carried partial token
                    bad = len(tokens)
                if bad:
                    self._segment = _Segment(buf, end, start_line, start_col, start_cr)
                    yield to_array(tokens[:bad], dtype=float64)
                if bad < len(tokens):
                    for i, match in enumerate(_token_spans(buf, end)):
                        if i == bad:
                            break
                    at_line, at_col, _ = _advance(buf, match.start(), start_line,
                                                  start_col, start_cr)
                    raise InputError(tokens[bad], at_line, _column(at_col))
                continue

            values = []
            append = values.append
            nan = float("nan")
            bad = 0
            for token in tokens:
                if is_number(token):
                    append(float(token))
                else:
                    bad += 1
                    if mode == "nan":
                        append(nan)
            self.skipped += bad
            if values:
                self._segment = _Segment(buf, end, start_line, start_col, start_cr,
                                         valid_only=(mode == "skip"))
                yield to_array(values, dtype=float64)


# --------------------------------------------------------------------------
# rounding to a small float type once

def round_to(values, dtype, tokens):
    """*values* (float64, each parsed from its decimal text) rounded to *dtype*, as the
    decimals themselves round to it: once, to nearest, ties to even.

    Rounding a decimal to float64 and then to a type of p <= 24 bits (53 >= 2p + 2) gives the
    decimal's own nearest value except where the float64 value lies exactly on a midpoint
    between two neighbours of the type (``1.00048828125000001`` is 1.00048828125 in float64,
    the float16 midpoint above 1.0; it rounds to 1.0009765625, not to 1.0 by ties to even).
    Those few values are found by a vectorised test and decided from their text
    (``decimal.Decimal`` reads any float() decimal exactly, of any length): above the
    midpoint, the neighbour above; below, the one below; on it, ties to even (numpy's
    astype).  *tokens*: the texts (bytes or str) aligned with *values*, or a function that
    gives them (called only when a midpoint is found).  float64: ``values`` as they are."""
    import numpy as np
    from ..numerics import FORMATS

    values = np.asarray(values, dtype=np.float64)
    dtype = np.dtype(dtype)
    with np.errstate(over="ignore", invalid="ignore"):  # (e4m3fn: past 464 is nan)
        out = values.astype(dtype)
    fmt = FORMATS.get(dtype.name)
    if fmt is None or fmt.p >= 53 or values.size == 0:
        return out
    half = _midpoints(values, fmt)
    where = np.flatnonzero(half)
    if where.size == 0:
        return out
    from decimal import Decimal, InvalidOperation

    texts = tokens() if callable(tokens) else tokens
    for i in where.tolist():
        text = texts[i]
        if isinstance(text, bytes):
            text = text.decode("ascii", "replace")
        v = float(values[i])
        try:
            exact = Decimal(text).copy_abs()  # (exact: abs() would round to 28 digits)
            away = exact > Decimal(abs(v))
            toward = exact < Decimal(abs(v))
        except (InvalidOperation, ValueError):
            continue
        if away or toward:  # (by magnitude, the sign put back: -0.0 stays negative)
            step = float(half[i])
            r = math.copysign(abs(v) + step if away else abs(v) - step, v)
            with np.errstate(over="ignore", invalid="ignore"):
                out[i] = np.float64(r).astype(dtype)
    return out


def _midpoints(values, fmt):
    """Half the type's spacing at each value that is a midpoint between two neighbours of the
    type (the threshold between its largest finite value and the next step included), 0
    elsewhere: v = (2k + 1)·2^(q - 1) with 2^q the type's spacing at v."""
    import numpy as np

    _, e = np.frexp(values)                       # |v| in [2^(e-1), 2^e)
    q = np.maximum(e - fmt.p, fmt.qmin)          # the type's spacing there: 2^q
    unit = np.ldexp(1.0, q - 1)
    with np.errstate(invalid="ignore"):          # (inf, nan: never a midpoint)
        odd = np.abs(np.fmod(values / unit, 2.0)) == 1.0
    odd &= np.abs(values) <= fmt.top + math.ldexp(1.0, fmt.emax - fmt.p)
    return np.where(odd, unit, 0.0)
