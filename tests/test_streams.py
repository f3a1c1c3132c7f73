"""Tests for actgrad.io.reader: streaming value parsing with precise errors."""

import io
import itertools
import math
import os
import re
import select
import struct
import subprocess
import sys
import threading
import time
import tracemalloc

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from actgrad.io.reader import InputError, ValueReader, parse_arguments

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEPARATORS = [b" ", b"\t", b"\n", b"\r\n", b"\r", b"\x0c", b"\x0b", b","]


# --------------------------------------------------------------------------
# helpers

class ChunkedRaw:
    """Raw-stream-like object with only read(n): returns the given pieces,
    each cut to at most n bytes, like a pipe delivering writes."""

    def __init__(self, pieces):
        self.pieces = [bytes(p) for p in pieces if p]
        self.consumed = 0

    def read(self, n):
        if not self.pieces:
            return b""
        piece = self.pieces[0]
        out, rest = piece[:n], piece[n:]
        if rest:
            self.pieces[0] = rest
        else:
            self.pieces.pop(0)
        self.consumed += len(out)
        return out


class GeneratedRaw:
    """read1(n)-stream backed by a generator of byte strings (never holds
    more than one generated piece)."""

    def __init__(self, gen):
        self.gen = iter(gen)
        self.buf = b""
        self.consumed = 0

    def read1(self, n):
        if not self.buf:
            self.buf = next(self.gen, b"")
        # a fresh object each time, as a real read would return (slicing may
        # hand out the same object again, hiding memory use from tracemalloc)
        out = bytes(memoryview(self.buf)[:n])
        self.buf = self.buf[n:]
        self.consumed += len(out)
        return out


def repeated(piece, total):
    """Generator of *total* bytes made by repeating *piece* (in 64 KiB lumps)."""
    lump = piece * max(1, 65536 // len(piece))
    sent = 0
    while sent < total:
        out = lump[: total - sent]
        sent += len(out)
        yield out


def collect(source, mode="fail", **kw):
    """(blocks, skipped, error) for reading *source* (bytes or stream)."""
    if isinstance(source, bytes):
        source = io.BytesIO(source)
    reader = ValueReader(source, mode, **kw)
    blocks = []
    error = None
    try:
        for block in reader:
            blocks.append(block)
    except InputError as exc:
        error = exc
    return blocks, reader.skipped, error


def values(source, mode="fail", **kw):
    blocks, skipped, error = collect(source, mode, **kw)
    if error is not None:
        raise error
    return np.concatenate(blocks).tolist() if blocks else []


def bits(x):
    return struct.pack("<d", x)


def same(a, b):
    """Bitwise equality, any NaN equals any NaN."""
    a, b = float(a), float(b)
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return bits(a) == bits(b)


def accepts(token):
    """Reference: is bytes *token* a value (Python float() minus '_')?"""
    if not token.isascii() or b"_" in token:
        return False
    try:
        float(token)
    except ValueError:
        return False
    return True


def reference_tokens(data):
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return [t for t in re.split(rb"[ \t\n\r\x0b\x0c,]+", data) if t]


# --------------------------------------------------------------------------
# separators and syntax

def test_all_separators():
    data = b"1 2\t3\n4\r\n5\r6\x0c7\x0b8,9, 10 ,11,,12 ,, \n13"
    assert values(data) == [float(i) for i in range(1, 14)]


@pytest.mark.parametrize("data", [b"", b" ", b"\n\n", b",", b",,, \r\n\t", b"\xef\xbb\xbf",
                                  b"\xef\xbb\xbf\n"])
def test_empty_input_yields_nothing(data):
    blocks, skipped, error = collect(data)
    assert blocks == [] and skipped == 0 and error is None


def test_leading_trailing_separators_and_blank_lines():
    assert values(b"\n\n  ,1,\n\n\n2  \n\n") == [1.0, 2.0]


def test_blocks_are_float64_1d_nonempty():
    blocks, _, _ = collect(ChunkedRaw([b"1 ", b" ", b"\n", b"2.5\n", b"  ", b"3"]))
    assert blocks
    for b in blocks:
        assert isinstance(b, np.ndarray) and b.dtype == np.float64
        assert b.ndim == 1 and b.size > 0
    assert np.concatenate(blocks).tolist() == [1.0, 2.5, 3.0]


ACCEPTED = {
    b"1e-3": 1e-3, b"+5": 5.0, b".5": 0.5, b"5.": 5.0, b"-0": -0.0, b"0e0": 0.0,
    b"1E5": 1e5, b"1.e5": 1e5, b"00012": 12.0,
    b"inf": math.inf, b"-inf": -math.inf, b"+inf": math.inf, b"Infinity": math.inf,
    b"-INFINITY": -math.inf, b"iNf": math.inf, b"1e999": math.inf, b"-1e999": -math.inf,
    b"1e-999": 0.0, b"nan": math.nan, b"-nan": math.nan, b"NaN": math.nan, b"+NAN": math.nan,
}

REJECTED = [b"1_000", b"1__0", b"_1", b"1_", b"0x10", b"0x1p3", b"nan(1)", b"nan()", b"1e",
            b"1e+", b".", b"+", b"-", b"e5", b".e5", b"infinit", b"infinityy", b"in", b"--1",
            b"+-1", b"1-2", b"1d5", b"5j", b"0b1", b"1L", b"abc", b"\x00", b"1\x00",
            b"\xff", b"\xc3\xa9", b"\xd9\xa1", b"1\x1c", b"\xef\xbb\xbf1", b"'1'", b"1.5.2"]


@pytest.mark.parametrize("token", sorted(ACCEPTED))
def test_accepted_tokens(token):
    (got,) = values(b"\n" + token + b"\n")
    assert same(got, ACCEPTED[token])
    assert same(got, float(token))
    (got,) = values(token)   # also as the final token at EOF
    assert same(got, ACCEPTED[token])


@pytest.mark.parametrize("token", REJECTED)
def test_rejected_tokens(token):
    blocks, _, error = collect(b"7 " + token + b" 8")
    assert np.concatenate(blocks).tolist() == [7.0]
    assert isinstance(error, InputError)
    assert (error.line, error.column) == (1, 3)
    assert error.token == token


def test_signed_nan_and_zero_bits_are_preserved():
    got = next(ValueReader(io.BytesIO(b"-0.0 0.0 -nan nan\n")))
    assert [bits(x) for x in got.tolist()] == [bits(float(t)) for t in
                                                (b"-0.0", b"0.0", b"-nan", b"nan")]


# --------------------------------------------------------------------------
# block boundaries

@pytest.mark.parametrize("block_size", [1, 2, 3, 5, 7, 16])
def test_tokens_split_across_blocks(block_size):
    data = b"12345.678e-3 -inf,\r\n  nan 0.1 -2 1e300\n" * 5 + b"3.25"
    expected = [float(t) for t in reference_tokens(data)]
    got = values(data, block_size=block_size)
    assert len(got) == len(expected)
    assert all(same(a, b) for a, b in zip(got, expected))


@pytest.mark.parametrize("block_size", [1, 2, 4, 9])
def test_read_without_read1(block_size):
    pieces = [b"1", b"0 2", b"0\n3", b"0,", b"4", b"0"]
    assert values(ChunkedRaw(pieces), block_size=block_size) == [10.0, 20.0, 30.0, 40.0]


def test_no_value_split_between_reads():
    # each read delivers a fragment; every value must come out whole
    pieces = [b"1.", b"5 2", b"5", b"0\n", b"-", b"7"]
    blocks, _, _ = collect(ChunkedRaw(pieces))
    assert [b.tolist() for b in blocks] == [[1.5], [250.0], [-7.0]]


def test_file_descriptor_and_fileno_sources():
    r, w = os.pipe()
    try:
        def writer():
            for piece in (b"1 2", b"3\n4", b",5\n", b"6"):
                os.write(w, piece)
                time.sleep(0.01)
            os.close(w)
        thread = threading.Thread(target=writer)
        thread.start()

        class OnlyFileno:
            def fileno(self):
                return r

        assert values(OnlyFileno()) == [1.0, 23.0, 4.0, 5.0, 6.0]
        thread.join()
    finally:
        os.close(r)

    r, w = os.pipe()
    os.write(w, b"7 8\n")
    os.close(w)
    try:
        assert values(r) == [7.0, 8.0]     # a bare file descriptor
    finally:
        os.close(r)


def test_text_stream_uses_its_buffer():
    text = io.TextIOWrapper(io.BytesIO(b"1 2\n3"), encoding="utf-8")
    assert values(text) == [1.0, 2.0, 3.0]


def test_consumer_may_stop_early_on_endless_input():
    reader = ValueReader(GeneratedRaw(itertools.repeat(b"0\n" * 1000)))
    first = list(itertools.islice((v for block in reader for v in block), 3))
    assert first == [0.0, 0.0, 0.0]


# --------------------------------------------------------------------------
# BOM

@pytest.mark.parametrize("block_size", [1, 2, 3, 4, 64])
def test_bom_at_start_is_skipped(block_size):
    assert values(b"\xef\xbb\xbf1 2\n", block_size=block_size) == [1.0, 2.0]
    # the BOM does not count as a column
    _, _, error = collect(b"\xef\xbb\xbf1 x", block_size=block_size)
    assert (error.line, error.column) == (1, 3)


def test_bom_delivered_in_pieces():
    assert values(ChunkedRaw([b"\xef", b"\xbb", b"\xbf", b"5"])) == [5.0]
    assert values(ChunkedRaw([b"\xef\xbb", b"\xbf5 6"])) == [5.0, 6.0]


def test_bom_elsewhere_is_not_a_number():
    _, _, error = collect(b"1\n\xef\xbb\xbf2")
    assert (error.line, error.column) == (2, 1)
    assert str(error) == "line 2, column 1: '\\ufeff2' is not a number"
    _, _, error = collect(b"\xef\xbb\xbf\xef\xbb\xbf1")   # only the first one
    assert (error.line, error.column) == (1, 1)


def test_partial_bom_is_garbage():
    _, _, error = collect(b"\xef\xbb")
    assert str(error) == "line 1, column 1: '\\xef\\xbb' is not a number"
    _, _, error = collect(b"\xef\xbb1")
    assert str(error) == "line 1, column 1: '\\xef\\xbb1' is not a number"


# --------------------------------------------------------------------------
# errors

def test_error_message_format():
    blocks, _, error = collect(b"1 2\n3\n\n  4 abc 5\n")
    assert np.concatenate(blocks).tolist() == [1.0, 2.0, 3.0, 4.0]
    assert str(error) == "line 4, column 5: 'abc' is not a number"
    assert (error.token, error.line, error.column) == (b"abc", 4, 5)
    assert isinstance(error, ValueError)
    assert str(InputError("abc", 3, 5)) == "line 3, column 5: 'abc' is not a number"


def test_error_is_picklable():
    import pickle
    err = pickle.loads(pickle.dumps(InputError(b"x\xff", 2, 7)))
    assert str(err) == "line 2, column 7: 'x\\xff' is not a number"


@pytest.mark.parametrize("data, line, column", [
    (b"x", 1, 1),
    (b"1 2 x", 1, 5),
    (b"1,,x", 1, 4),
    (b"1\nx", 2, 1),
    (b"1\r\nx", 2, 1),
    (b"1\r\n\r\n  x", 3, 3),
    (b"1\rx", 2, 1),
    (b"1\r\rx", 3, 1),
    (b"1\n\rx", 3, 1),
    (b"1\r\n\nx", 3, 1),
    (b"1\x0c2\x0bx", 1, 5),          # \f and \v do not start lines
    (b"\t1\tx", 1, 4),               # a tab is one character
    (b"1 \xc3\xa9", 1, 3),
])
@pytest.mark.parametrize("block_size", [1, 2, 3, 65536])
def test_error_positions(data, line, column, block_size):
    _, _, error = collect(data, "fail", block_size=block_size)
    assert error is not None
    assert error.token == data.split()[-1].split(b",")[-1]
    assert (error.line, error.column) == (line, column)


@pytest.mark.parametrize("data, index, position", [
    (b"\xc3\xa9\xc3\xa9 x", 1, (1, 4)),     # UTF-8 text before: characters counted
    (b"\xe2\x82\xac 1 x", 2, (1, 5)),
    (b"\xf0\x9f\x98\x80,1", 1, (1, 3)),
    (b"\xff\xfe 1 x", 2, (1, 6)),          # invalid UTF-8 before: bytes counted
    (b"\xc3\xa9 \xff 1", 2, (1, 6)),     # 2+1+1+1 bytes before
    (b"\xff\n\xc3\xa9 1 x", 3, (2, 5)),     # only the token's own line matters
    (b"\xef\xbb\xbf\xc3\xa9 1", 1, (1, 3)),  # BOM not counted
])
@pytest.mark.parametrize("block_size", [1, 2, 3, 65536])
def test_columns_with_non_ascii_text(data, index, position, block_size):
    reader = ValueReader(io.BytesIO(data), "nan", block_size=block_size)
    for block in reader:
        if index < block.size:
            assert reader.locate(index)[1:] == position
            return
        index -= block.size
    raise AssertionError("value not found")


@pytest.mark.parametrize("block_size", [1, 3, 7, 64, 65536])
def test_error_after_many_blocks(block_size):
    data = b"0.5 1.5\r\n" * 1000 + b"2 2 oops 3\n"
    blocks, _, error = collect(data, block_size=block_size)
    got = np.concatenate(blocks)
    assert got.size == 2002 and got[-1] == 2.0
    assert str(error) == "line 1001, column 5: 'oops' is not a number"


@pytest.mark.parametrize("block_size", [7, 4096, 65536])
def test_error_position_in_large_mixed_line_endings(block_size):
    import random
    rng = random.Random(block_size)
    pieces = []
    for i in range(30000):
        pieces.append(b"%d" % i)
        pieces.append(rng.choice([b" ", b"\n", b"\r", b"\r\n", b"\n\r", b"\r\r\n", b"\t,"]))
    data = b"".join(pieces) + b"bad"
    blocks, _, error = collect(data, block_size=block_size)
    assert sum(b.size for b in blocks) == 30000
    assert (error.line, error.column) == reference_position(data, len(data) - 3)


def test_values_before_error_yielded_as_block_before_raise():
    reader = ValueReader(io.BytesIO(b"1 2 3 bad 4 5"))
    it = iter(reader)
    assert next(it).tolist() == [1.0, 2.0, 3.0]
    with pytest.raises(InputError) as info:
        next(it)
    assert str(info.value) == "line 1, column 7: 'bad' is not a number"
    with pytest.raises(StopIteration):
        next(it)


def test_error_on_first_token_yields_nothing_first():
    reader = ValueReader(io.BytesIO(b"bad 1"))
    with pytest.raises(InputError):
        next(iter(reader))


def test_long_token_is_truncated_in_message():
    token = b"a" * 100
    _, _, error = collect(b"1 " + token)
    assert str(error) == "line 1, column 3: '" + "a" * 40 + "'\u2026 is not a number"
    _, _, error = collect(b"a" * 40)
    assert str(error) == "line 1, column 1: '" + "a" * 40 + "' is not a number"


@pytest.mark.parametrize("data, shown", [
    (b"\x00", r"'\x00'"),
    (b"\x00\xff", r"'\x00\xff'"),
    (b"1\x00", r"'1\x00'"),
    (b"\x1b[31m", r"'\x1b[31m'"),
    (b"caf\xc3\xa9", "'caf\u00e9'"),
    (b"\xc2\xa0", r"'\xa0'"),           # NBSP: non-printable, escaped
    (b"it's", r"'it\'s'"),
    (b"a\\b", r"'a\\b'"),
    (b"\xed\xa0\x80", r"'\xed\xa0\x80'"),   # encoded surrogate: invalid UTF-8
])
def test_bad_tokens_rendered_escaped(data, shown):
    _, _, error = collect(data)
    assert str(error) == "line 1, column 1: " + shown + " is not a number"


def test_binary_garbage_only_raises_input_error():
    data = bytes(range(256)) * 4 + os.urandom(4096)
    for mode in ("fail", "skip", "nan"):
        for block_size in (1, 7, 65536):
            blocks, skipped, error = collect(data, mode, block_size=block_size)
            assert error is None or (mode == "fail" and isinstance(error, InputError))


def test_nul_bytes():
    blocks, _, error = collect(b"1\n2\x003\n4")
    assert np.concatenate(blocks).tolist() == [1.0]
    assert str(error) == r"line 2, column 1: '2\x003' is not a number"
    assert values(b"1\n2\x003\n4", "skip") == [1.0, 4.0]


# --------------------------------------------------------------------------
# skip / nan

def test_skip_mode_drops_and_counts():
    blocks, skipped, error = collect(b"1 a 2\nb,3,\xff, 1_0 4", "skip")
    assert error is None and skipped == 4
    assert np.concatenate(blocks).tolist() == [1.0, 2.0, 3.0, 4.0]


def test_nan_mode_keeps_alignment():
    blocks, skipped, error = collect(b"1 a 2\nb,3,\xff, 1_0 4", "nan")
    got = np.concatenate(blocks)
    assert error is None and skipped == 4
    assert np.isnan(got).tolist() == [False, True, False, True, False, True, True, False]
    assert got[~np.isnan(got)].tolist() == [1.0, 2.0, 3.0, 4.0]


@pytest.mark.parametrize("mode", ["skip", "nan"])
@pytest.mark.parametrize("block_size", [1, 4, 65536])
def test_bad_modes_match_reference(mode, block_size):
    data = b"1 x 2\n\n,y,3e2 -inf nan(2) 0x1 4\r\n\xef\xbb\xbf5 6_0 .7"
    toks = reference_tokens(data)
    expected = [float(t) if accepts(t) else math.nan for t in toks]
    if mode == "skip":
        expected = [v for t, v in zip(toks, expected) if accepts(t)]
    blocks, skipped, _ = collect(data, mode, block_size=block_size)
    got = np.concatenate(blocks).tolist()
    assert len(got) == len(expected) and all(same(a, b) for a, b in zip(got, expected))
    assert skipped == sum(not accepts(t) for t in toks)


def test_invalid_mode_rejected():
    with pytest.raises(ValueError):
        ValueReader(io.BytesIO(b""), "ignore")


# --------------------------------------------------------------------------
# locate

def test_locate_in_fast_block():
    reader = ValueReader(io.BytesIO(b"0.5 2\r\n\r\n  -1e-3,7\n"))
    block = next(reader)
    assert block.tolist() == [0.5, 2.0, -1e-3, 7.0]
    assert reader.locate(0) == ("0.5", 1, 1)
    assert reader.locate(1) == ("2", 1, 5)
    assert reader.locate(2) == ("-1e-3", 3, 3)
    assert reader.locate(3) == ("7", 3, 9)
    assert reader.locate(-1) == ("7", 3, 9)
    with pytest.raises(IndexError):
        reader.locate(4)


def test_locate_before_any_block():
    with pytest.raises(IndexError):
        ValueReader(io.BytesIO(b"1")).locate(0)


def test_locate_refers_to_most_recent_block():
    reader = ValueReader(ChunkedRaw([b"1 2\n", b"3 4\n", b"5 \xc3\xa9 6 7\n"]))
    seen = []
    with pytest.raises(InputError):
        for block in reader:
            seen.append([reader.locate(i) for i in range(len(block))])
    # the third block goes through the slow path, which stops at the bad token
    assert seen[:2] == [[("1", 1, 1), ("2", 1, 3)], [("3", 2, 1), ("4", 2, 3)]]
    assert seen[2] == [("5", 3, 1)]


def test_locate_skip_mode_maps_to_valid_tokens():
    reader = ValueReader(io.BytesIO(b"a 1\nb c 2 d 3\n"), "skip")
    block = next(reader)
    assert block.tolist() == [1.0, 2.0, 3.0]
    assert [reader.locate(i) for i in range(3)] == [("1", 1, 3), ("2", 2, 5), ("3", 2, 9)]
    assert reader.skipped == 4


def test_locate_nan_mode_maps_to_all_tokens():
    reader = ValueReader(io.BytesIO(b"a 1\nb\n"), "nan")
    block = next(reader)
    assert np.isnan(block).tolist() == [True, False, True]
    assert [reader.locate(i) for i in range(3)] == [("a", 1, 1), ("1", 1, 3), ("b", 2, 1)]


def test_locate_after_many_blocks_small_block_size():
    data = b"".join(b"%d\n" % i for i in range(500))
    reader = ValueReader(io.BytesIO(data), block_size=5)
    for block in reader:
        for i, v in enumerate(block.tolist()):
            token, line, col = reader.locate(i)
            assert float(token) == v and line == int(v) + 1 and col == 1


# --------------------------------------------------------------------------
# bounded memory

def test_huge_token_fails_promptly_with_bounded_memory():
    total = 50 * 1024 * 1024
    raw = GeneratedRaw(repeated(b"1", total))
    tracemalloc.start()
    try:
        blocks, _, error = collect(raw)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert blocks == []
    assert str(error) == ("line 1, column 1: '" + "1" * 20 +
                          "'\u2026 (token of more than 1048576 bytes) is not a number")
    assert error.limit == 1 << 20
    assert raw.consumed < 2 * 1024 * 1024        # stopped reading early
    assert peak < 3 * 1024 * 1024


def test_huge_token_after_values_position():
    raw = GeneratedRaw(itertools.chain([b"1 2\n3 "], repeated(b"9", 5 * 1024 * 1024)))
    blocks, _, error = collect(raw)
    assert np.concatenate(blocks).tolist() == [1.0, 2.0, 3.0]
    assert (error.line, error.column) == (2, 3)
    assert "(token of more than 1048576 bytes)" in str(error)


@pytest.mark.parametrize("mode", ["skip", "nan"])
def test_huge_token_streamed_past_in_skip_and_nan_modes(mode):
    size = 50 * 1024 * 1024
    raw = GeneratedRaw(itertools.chain([b"1 2\n3 "], repeated(b"7", size), [b" 4 x 5\n6"]))
    tracemalloc.start()
    try:
        reader = ValueReader(raw, mode)
        got = []
        for block in reader:
            got.extend(block.tolist())
            if block.size == 1 and math.isnan(block[0]):
                token, line, col = reader.locate(0)
                assert token == "7" * 20 + "\u2026" and (line, col) == (2, 3)
            if 5.0 in block.tolist():
                index = block.tolist().index(5.0)
                assert reader.locate(index)[1:] == (2, 3 + size + 5)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    if mode == "skip":
        assert got == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    else:
        assert np.isnan(got).tolist() == [False] * 3 + [True, False, True, False, False]
    assert reader.skipped == 2
    assert peak < 3 * 1024 * 1024


def test_token_of_exactly_the_limit_is_parsed():
    limit = 1 << 20
    raw = GeneratedRaw(itertools.chain([b"1 "], repeated(b"3", limit), [b"\n2"]))
    tracemalloc.start()
    try:
        got = values(raw)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert got == [1.0, math.inf, 2.0]
    assert peak < 4 * limit


@pytest.mark.parametrize("mode", ["skip", "nan"])
@pytest.mark.parametrize("block_size", [1, 2, 4, 8])
def test_line_counting_around_skipped_long_token(mode, block_size):
    # a too-long token right after '\r' and right before '\n': the '\n' is
    # a line break of its own (the '\r' did not pair with it)
    data = b"1\r" + b"x" * 40 + b"\n2 y\r\n3 z"
    blocks, skipped, error = collect(data, mode, block_size=block_size, max_token=16)
    got = np.concatenate(blocks).tolist()
    assert [v for v in got if not math.isnan(v)] == [1.0, 2.0, 3.0]
    assert skipped == 3
    _, _, error = collect(data + b" bad", block_size=block_size, max_token=64)
    assert (error.line, error.column) == (2, 1)       # the 40 x's: not too long
    reader = ValueReader(io.BytesIO(data + b" 4\n"), mode, block_size=block_size,
                         max_token=16)
    where = {}
    for block in reader:
        for i, v in enumerate(block.tolist()):
            if not math.isnan(v):
                where[v] = reader.locate(i)[1:]
    assert where == {1.0: (1, 1), 2.0: (3, 1), 3.0: (4, 1), 4.0: (4, 5)}


@pytest.mark.parametrize("block_size", [1, 3, 4, 8])
def test_token_length_limit_is_exact(block_size):
    ok = b"1" * 16
    assert values(b"2 " + ok + b" 3", block_size=block_size, max_token=16) == [2.0, float(ok), 3.0]
    assert values(ok, block_size=block_size, max_token=16) == [float(ok)]
    blocks, _, error = collect(b"2 " + ok + b"1 3", block_size=block_size, max_token=16)
    assert np.concatenate(blocks).tolist() == [2.0]
    assert error.limit == 16 and (error.line, error.column) == (1, 3)
    assert str(error) == ("line 1, column 3: '" + "1" * 17 +
                          "'\u2026 (token of more than 16 bytes) is not a number")


def test_long_line_with_separators_is_fine_and_memory_flat():
    total = 5 * 1200000               # one 6 MB line, no newline
    raw = GeneratedRaw(itertools.chain(repeated(b"0.25 ", total), [b"oops"]))
    tracemalloc.start()
    try:
        count = 0
        reader = ValueReader(raw)
        with pytest.raises(InputError) as info:
            for block in reader:
                count += block.size
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == total // 5
    assert (info.value.line, info.value.column) == (1, total + 1)
    assert peak < 3 * 1024 * 1024


def test_many_lines_memory_flat():
    piece = b"-1.5e-3,2\r\n"
    total = len(piece) * 550000           # 6 MB
    raw = GeneratedRaw(repeated(piece, total))
    tracemalloc.start()
    try:
        n = sum(block.size for block in ValueReader(raw))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert n == 2 * 550000
    assert peak < 3 * 1024 * 1024


# --------------------------------------------------------------------------
# command-line arguments

def test_parse_arguments():
    got = parse_arguments(["0", "-2", "1e-3", "inf", "-nan", " 5 "])
    assert got.dtype == np.float64 and got.ndim == 1
    assert got[:5].tolist()[:4] == [0.0, -2.0, 1e-3, math.inf]
    assert math.isnan(got[4]) and got[5] == 5.0
    assert parse_arguments([]).tolist() == []
    assert parse_arguments([b"2", "\t3\n"]).tolist() == [2.0, 3.0]
    # an argument holds values separated as on stdin
    assert parse_arguments(["1,2", "3 4\n5", ",6,,"]).tolist() == [1, 2, 3, 4, 5, 6]


def test_read_arguments_modes():
    from actgrad.io.reader import read_arguments

    got = read_arguments(["1,x", "2", "y z"], "skip")
    assert got.values.tolist() == [1.0, 2.0] and got.argument.tolist() == [1, 2]
    assert got.skipped == 3
    got = read_arguments(["1,x", "2"], "nan")
    assert got.values[[0, 2]].tolist() == [1.0, 2.0] and math.isnan(got.values[1])
    assert got.argument.tolist() == [1, 1, 2] and got.skipped == 1


@pytest.mark.parametrize("args, message", [
    (["1", "abc"], "argument 2: 'abc' is not a number"),
    (["abc"], "argument 1: 'abc' is not a number"),
    (["1", "2", ""], "argument 3: '' is not a number"),
    (["1_000"], "argument 1: '1_000' is not a number"),
    ([","], "argument 1: ',' is not a number"),  # an argument with no value in it
    (["1,2 x"], "argument 1, column 5: 'x' is not a number"),
    (["0", "1e5, 7_0"], "argument 2, column 6: '7_0' is not a number"),
    (["0x10"], "argument 1: '0x10' is not a number"),
    (["\u0661"], "argument 1: '\u0661' is not a number"),      # float() would take it
    (["\udcff1"], "argument 1: '\\xff1' is not a number"),     # undecodable argv byte
    (["\x1c5"], "argument 1: '\\x1c5' is not a number"),       # float(str) strips \x1c
    (["\u00a05"], "argument 1: '\\xa05' is not a number"),     # ... and NBSP
    ([b"1", b"\xff"], "argument 2: '\\xff' is not a number"),
    ([1.5], "argument 1: '1.5' is not a number"),
    (["x" * 50], "argument 1: '" + "x" * 40 + "'\u2026 is not a number"),
])
def test_parse_arguments_errors(args, message):
    with pytest.raises(InputError) as info:
        parse_arguments(args)
    assert str(info.value) == message


# --------------------------------------------------------------------------
# property tests

separators = st.lists(st.sampled_from(SEPARATORS), min_size=1, max_size=3).map(b"".join)
block_sizes = st.sampled_from([1, 2, 3, 5, 8, 13, 64, 65536])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True)), st.data(), block_sizes)
def test_repr_round_trip(xs, data, block_size):
    seps = [data.draw(separators) for _ in range(len(xs) + 1)]
    lead = data.draw(st.booleans())
    text = (seps[0] if lead else b"") + b"".join(
        repr(x).encode() + s for x, s in zip(xs, seps[1:]))
    if data.draw(st.booleans()) and text:
        text = text.rstrip(b" \t\n\r\x0b\x0c,")   # no trailing separator
    got = values(ChunkedRaw([text]), block_size=block_size)
    assert len(got) == len(xs)
    assert all(same(a, b) for a, b in zip(got, xs))
    if got:
        assert all(math.isnan(a) or bits(a) == bits(b) for a, b in zip(got, xs))


token_text = st.text(alphabet="0123456789+-.eEinfatyINFATY_xXp()jd\x00\xe9", max_size=12) \
    .map(lambda s: s.encode("utf-8"))
plausible = st.one_of(
    token_text,
    st.floats().map(lambda x: repr(x).encode()),
    st.from_regex(rb"\A[+-]?(\d{0,3}(\.\d{0,3})?([eE][+-]?\d{1,3})?|inf|infinity|nan)\Z"),
).filter(lambda t: t != b"")


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(plausible, min_size=1, max_size=8), separators, block_sizes)
def test_acceptance_agrees_with_float(tokens, sep, block_size):
    text = sep.join(tokens)
    tokens = reference_tokens(text)
    # nan mode: every token gives exactly one output value
    blocks, skipped, _ = collect(text, "nan", block_size=block_size)
    got = np.concatenate(blocks).tolist() if blocks else []
    expected = [float(t) if accepts(t) else math.nan for t in tokens]
    assert len(got) == len(expected)
    assert all(same(a, b) for a, b in zip(got, expected))
    assert skipped == sum(not accepts(t) for t in tokens)
    # fail mode: stops exactly at the first rejected token
    blocks, _, error = collect(text, "fail", block_size=block_size)
    got = np.concatenate(blocks).tolist() if blocks else []
    bad = [i for i, t in enumerate(tokens) if not accepts(t)]
    if bad:
        assert error is not None and error.token == tokens[bad[0]]
        assert len(got) == bad[0]
    else:
        assert error is None and len(got) == len(tokens)
    # and each token alone, as the last token of the input and as a complete one
    for t in tokens:
        for data in (t, t + b"\n"):
            blocks, _, error = collect(data)
            if accepts(t):
                assert error is None and same(blocks[0][0], float(t))
            else:
                assert blocks == [] and (error.line, error.column) == (1, 1)
        if not any(c in t for c in b" \t\n\r\x0b\x0c,"):  # one token, not several
            assert accepts(t) == (not _raises(parse_arguments, [t.decode("utf-8", "surrogateescape")]))


def _raises(func, *args):
    try:
        func(*args)
    except InputError:
        return True
    return False


def reference_position(data, offset):
    """Line/column of byte *offset*, computed independently (ASCII data)."""
    before = data[:offset].decode("ascii")
    lines = re.split(r"\r\n|\r|\n", before)
    return len(lines), len(lines[-1]) + 1


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(-999, 999), max_size=30), separators, st.data(), block_sizes)
def test_error_position_matches_reference(numbers, sep, data, block_size):
    pieces = [b"%d" % n for n in numbers]
    where = data.draw(st.integers(0, len(pieces)))
    pieces.insert(where, b"bad")
    seps = [data.draw(separators) for _ in pieces]
    text = data.draw(separators) + b"".join(p + s for p, s in zip(pieces, seps))
    offset = re.search(rb"bad", text).start()
    blocks, _, error = collect(text, block_size=block_size)
    got = np.concatenate(blocks).tolist() if blocks else []
    assert got == [float(n) for n in numbers[:where]]
    assert (error.line, error.column) == reference_position(text, offset)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=200), block_sizes, st.sampled_from(["fail", "skip", "nan"]))
def test_arbitrary_bytes_never_raise_anything_else(data, block_size, mode):
    blocks, skipped, error = collect(data, mode, block_size=block_size)
    tokens = reference_tokens(data)
    good = [t for t in tokens if accepts(t)]
    got = np.concatenate(blocks).tolist() if blocks else []
    if mode == "skip":
        assert len(got) == len(good) and skipped == len(tokens) - len(good)
    elif mode == "nan":
        assert len(got) == len(tokens) and skipped == len(tokens) - len(good)
    else:
        assert (error is None) == (len(good) == len(tokens))


# --------------------------------------------------------------------------
# interactive: output before EOF

def _read_line(fd, timeout):
    deadline = time.monotonic() + timeout
    out = b""
    while not out.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError("no output within %ss (got %r)" % (timeout, out))
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            chunk = os.read(fd, 4096)
            if not chunk:
                raise AssertionError("child closed stdout (got %r)" % out)
            out += chunk
    return out


@pytest.mark.skipif(sys.platform == "win32", reason="select on pipes")
def test_values_are_yielded_before_eof():
    code = ("import sys\n"
            "from actgrad.io.reader import ValueReader\n"
            "for block in ValueReader(sys.stdin.buffer):\n"
            "    print(' '.join(map(repr, block.tolist())), flush=True)\n")
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, env=env)
    try:
        fd = proc.stdout.fileno()
        proc.stdin.write(b"1.5\n")
        proc.stdin.flush()
        assert _read_line(fd, 30) == b"1.5\n"
        proc.stdin.write(b"2 3\n")
        proc.stdin.flush()
        assert _read_line(fd, 10) == b"2.0 3.0\n"
        proc.stdin.write(b"4")            # incomplete token: held until EOF
        proc.stdin.flush()
        assert select.select([fd], [], [], 0.3)[0] == []
        proc.stdin.close()
        assert _read_line(fd, 10) == b"4.0\n"
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()


# --------------------------------------------------------------------------
# the compiled parser (fastnumbers, where installed) against float()

def test_compiled_parser_agrees_with_float_on_plain_tokens():
    """On blocks of digits, signs, '.', 'e' and separators the reader may parse with
    fastnumbers: it must accept exactly what float() accepts there, with the same bits, and
    a rejected token is still an error naming its line and column."""
    from actgrad.io import reader as reader_module

    if reader_module._compiled_parser() is None:
        pytest.skip("fastnumbers is not installed (or ACTGRAD_NO_FASTNUMBERS is set)")
    rnd = np.random.default_rng(15)
    alphabet = np.frombuffer(b"0123456789+-.eE", np.uint8)
    tokens = [alphabet[rnd.integers(0, 15, rnd.integers(1, 9))].tobytes() for _ in range(10_000)]
    bits = rnd.integers(0, 2**63, 5_000, dtype=np.uint64).view(np.float64)
    tokens += [repr(v).encode() for v in bits[np.isfinite(bits)].tolist()]
    tokens += [b"1" * 400 + b"e-420", b"2.4703282292062328e-324", b"2.4703282292062327e-324",
               b"1.7976931348623158e308", b"1.7976931348623159e308", b"9" * 30, b"-0"]
    bad = [t for t in tokens if _float_or_none(t) is None]
    assert len(bad) > 1000
    for token in bad:
        with pytest.raises(InputError) as err:
            list(ValueReader(io.BytesIO(b"1\n2 " + token + b" 3\n")))
        assert (err.value.line, err.value.column, err.value.token) == (2, 3, token)
    good = [t for t in tokens if _float_or_none(t) is not None]
    got = np.concatenate(list(ValueReader(io.BytesIO(b"\n".join(good)))))
    want = np.array([float(t) for t in good])
    assert got.tobytes() == want.tobytes()


def _float_or_none(token):
    try:
        return float(token)
    except ValueError:
        return None


# --------------------------------------------------------------------------
# the stream's text, end to end: every field is repr's text of the value the API gives


def _stream_input(n=12_000, seed=15):
    """Values of every kind the repr fix-ups treat apart (one-digit exponents, 1e-5..1e-4,
    tiny, huge, subnormal, specials), shuffled, in more than one 256 KiB block."""
    rng = np.random.default_rng(seed)
    parts = [rng.uniform(-20, 20, n), rng.standard_normal(n // 4),
             10.0 ** rng.uniform(-12, -3, n // 2) * rng.choice([-1, 1], n // 2),
             10.0 ** rng.uniform(-320, 308, n // 4),
             rng.integers(1, 2**52, 200).astype(np.uint64).view(np.float64),
             np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, 1e-5, 1e-4, 1e-9, 1e16])]
    z = np.concatenate(parts)
    rng.shuffle(z)
    return z, ("\n".join(map(repr, z.tolist())) + "\n").encode()


def test_stream_text_is_repr_of_the_api_values():
    """Every format, through the reader thread, the fix-ups on the whole text (sigmoid′:
    most values need one) and on the few values that need one (mish′), against repr."""
    import actgrad

    z, data = _stream_input()
    assert len(data) > 1 << 18  # more than one block, read ahead by the reader thread
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    runs = {fmt: (func, subprocess.Popen(
        [sys.executable, "-m", "actgrad", "deriv", func, "-f", fmt], stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env))
        for fmt, func in [("plain", "sigmoid"), ("csv", "mish"), ("tsv", "sigmoid"),
                          ("json", "mish"), ("jsonl", "sigmoid")]}
    for fmt, (func, proc) in runs.items():
        out, err = proc.communicate(data, timeout=120)
        assert proc.returncode == 0 and err == b""
        _check_stream_text(fmt, z, actgrad.get(func), out.decode())


def _check_stream_text(fmt, z, f, text):
    import json

    with np.errstate(all="ignore"):
        dg = f.deriv(z)
    if fmt == "plain":
        rows = [("", t) for t in text.splitlines()]
    elif fmt in ("csv", "tsv"):
        lines = text.splitlines()
        assert lines[0] == ("z,dg" if fmt == "csv" else "z\tdg")
        rows = [tuple(line.split("," if fmt == "csv" else "\t")) for line in lines[1:]]
    else:
        body = text if fmt == "jsonl" else text[2:-2]  # '[\n' ... '\n]\n'
        assert fmt == "jsonl" or (text.startswith("[\n") and text.endswith("\n]\n"))
        objs = [json.loads(line.lstrip(",")) for line in body.splitlines()]
        assert all(list(o) == ["z", "dg"] for o in objs)
        rows = [tuple(m.group(1) for m in re.finditer(r': ("?[^,}"]+"?)', line))
                for line in body.splitlines()]
    assert len(rows) == len(z)
    want = [repr(v) for v in dg.tolist()]
    if fmt in ("json", "jsonl"):
        want = [w if w not in ("nan", "inf", "-inf") else f'"{w}"' for w in want]
        assert [row[0] for row in rows] == [f'"{w}"' if w in ("nan", "inf", "-inf") else w
                                            for w in map(repr, z.tolist())]
    elif fmt != "plain":
        assert [row[0] for row in rows] == [repr(v) for v in z.tolist()]
    assert [row[-1] for row in rows] == want


def _actgrad(args, data):
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    p = subprocess.run([sys.executable, "-m", "actgrad", *args], input=data,
                       capture_output=True, env=env, timeout=120)
    return p.returncode, p.stdout, p.stderr


@pytest.mark.parametrize("fmt", ["plain", "csv", "tsv", "json", "jsonl"])
def test_blocks_rendered_ahead_are_all_written_before_an_error(fmt):
    """Each block's text is rendered on a worker thread while the next block is computed
    (commands._render_ahead): at an input error, or a value that is not an output, several
    blocks in, every block before it is written, in order, and json's array is closed; the
    bytes are those of the same values with nothing after them."""
    z, data = _stream_input(n=40_000)
    lines = data.split(b"\n")
    cut = len(lines) * 3 // 4  # past the first blocks (256 KiB each)
    head = b"\n".join(lines[:cut]) + b"\n"
    assert len(head) > 3 << 18
    code, good, err = _actgrad(["deriv", "sigmoid", "-f", fmt], head)
    assert code == 0 and err == b""
    code, out, err = _actgrad(["deriv", "sigmoid", "-f", fmt], head + b"abc\n" + data)
    assert code == 2 and f"line {cut + 1}".encode() in err and b"'abc'" in err
    assert out == good
    # --from-output: a value that is not an output of sigmoid (2.0) stops the stream there
    a = np.random.default_rng(5).uniform(0, 1, 60_000)
    text = ("\n".join(map(repr, a.tolist())) + "\n").encode()
    code, good, err = _actgrad(["deriv", "sigmoid", "-a", "-f", fmt], text)
    assert code == 0
    code, out, err = _actgrad(["deriv", "sigmoid", "-a", "-f", fmt], text + b"2.0\n" + text)
    assert code == 2 and b"not an output" in err and err.count(b"\n") == 1
    assert out == good
