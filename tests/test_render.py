"""The fast float formatter writes exactly Python's repr, for every kind of float64."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from actgrad.io.numbers import format_floats, repr_lines


def expected(values: np.ndarray) -> bytes:
    return b"".join(repr(float(v)).encode() + b"\n" for v in values.tolist())


def test_random_bit_patterns_match_repr():
    rng = np.random.default_rng(20261127)
    values = rng.integers(0, 2**64, 300_000, dtype=np.uint64).view(np.float64)
    assert repr_lines(values) == expected(values)


def test_every_decade_and_the_style_boundaries():
    decades = 10.0 ** np.arange(-325, 308, dtype=np.float64)
    mantissas = np.array([1.0, 1.5, 1.7976931348623157, 1.2345678901234567, -3.0, -0.1])
    values = np.concatenate([
        (decades[:, None] * mantissas[None, :]).ravel(),
        [0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan, 5e-324, 2.2250738585072014e-308,
         1.7976931348623157e308, 1e-5, 1e-4, 9.999999999999999e-05, 1e16, 9999999999999998.0],
        np.random.default_rng(1).uniform(1e-6, 1e-3, 20_000),
        -np.random.default_rng(2).uniform(1e-6, 1e-3, 20_000),
    ])
    assert repr_lines(values) == expected(values)


@settings(max_examples=300)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True, width=64), max_size=50))
def test_hypothesis_floats_match_repr(xs):
    values = np.array(xs, dtype=np.float64)
    assert repr_lines(values) == expected(values)
    assert format_floats(values) == [repr(x) for x in values.tolist()]
    many = np.tile(values, 65)  # past the few values repr_lines writes with repr itself
    assert repr_lines(many) == expected(many)


def test_orjson_does_not_overrun_its_buffer():
    """Values whose text takes 24 bytes, the longest a float64 has, written through orjson
    (past repr_lines' few values), in a child process: orjson 3.12 and 3.13 wrote past
    their buffer there, corrupting the heap (glibc aborted the process), which pyproject's
    pin keeps out."""
    import pathlib
    import subprocess
    import sys

    code = ("import numpy as np\nfrom actgrad.io.numbers import repr_lines\n"
            "x = [-3.0549354387214247e-148, -2.4514097357349016e-230, -1.7976931348623157e+308]\n"
            "for n in range(1, 300):\n"
            "    v = np.resize(np.array(x), n * 3)\n"
            "    assert repr_lines(v) == ''.join(repr(t) + '\\n' for t in v.tolist()).encode()\n"
            "print('ok')\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                       cwd=pathlib.Path(__file__).resolve().parent.parent)
    assert (r.returncode, r.stdout) == (0, "ok\n"), r.stderr[-500:]


def test_float32_uses_its_own_shortest_form():
    assert repr_lines(np.array([0.1, 1e-45, 3.4e38], dtype=np.float32)) == b"0.1\n1e-45\n3.4e+38\n"
    for text in repr_lines(np.random.default_rng(3).standard_normal(1000).astype(np.float32)).split():
        assert np.float32(text.decode()) == np.float32(float(text))


def test_empty():
    assert repr_lines(np.array([], dtype=np.float64)) == b""
    assert format_floats(np.array([])) == []


def test_float_rows_match_the_per_row_writer(monkeypatch):
    """csv, tsv, json and jsonl of float64 columns (numbers.float_rows, whole blocks) give the
    bytes of the per-row path, specials and the repr edits included, over several blocks."""
    import io

    from actgrad.io import writers

    rng = np.random.default_rng(15)
    x = np.concatenate([rng.integers(0, 2**64, 20_000, dtype=np.uint64).view(np.float64),
                        [np.nan, -np.inf, np.inf, 0.0, -0.0, 1e-5, -1.5e-5, 1e-7, 1e-4]])
    y = rng.uniform(-20, 20, len(x)) * 10.0 ** rng.integers(-12, 3, len(x))

    def written(fmt, cols, names):
        out = io.BytesIO()
        with writers.Writer(fmt, names, out) as w:
            w.write(*cols)
            w.write(*[c[:7] for c in cols])
        return out.getvalue()

    cases = [((x, y), ("z", "dg")), ((y,), ("a",)), ((y, x, y), ("z", "g", "dé"))]
    for fmt in ("csv", "tsv", "json", "jsonl"):
        for cols, names in cases:
            fast = written(fmt, cols, names)
            with monkeypatch.context() as m:
                m.setattr(writers, "_all_float64", lambda cols: False)
                slow = written(fmt, cols, names)
            assert fast == slow, (fmt, names)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([0.0, -0.0, 1e-5, -1.5e-5, 9.999999999999999e-05, 1e-7,
                                 -3e-9, 1e-9, 9.99e-10, np.nan, np.inf, -np.inf, 5e-324,
                                 1e16, 1.7976931348623157e308, 0.25, -20.0])
                | st.floats(allow_nan=True, allow_infinity=True, width=64), min_size=1,
                max_size=40), st.integers(1, 3))
def test_float_rows_of_every_kind_match_repr(xs, k):
    """numbers.float_rows (values placed over placeholders, one-digit exponents grown by a
    bytes.replace) against repr row by row, csv and json alike, blocks that end on any kind."""
    from actgrad.io.numbers import float_rows

    cols = [np.array(xs[j:] + xs[:j], dtype=np.float64) for j in range(k)]
    rows = list(zip(*[[repr(v) for v in c.tolist()] for c in cols]))
    assert float_rows(cols, [b","] * (k - 1)) == "".join(
        ",".join(r) + "\n" for r in rows).encode()
    q = lambda t: f'"{t}"' if t in ("nan", "inf", "-inf") else t  # noqa: E731
    keys = [f'"c{j}": ' for j in range(k)]
    want = "}\n,{".join(", ".join(key + q(t) for key, t in zip(keys, r)) for r in rows)
    got = float_rows(cols, [b", " + key.encode() for key in keys[1:]], b"{" + keys[0].encode(),
                     b"}\n,{" + keys[0].encode(), b"}\n", quote_specials=True)
    assert got == ("{" + want + "}\n").encode()
