"""Turning results into text: plain lines, csv, tsv, json, jsonl and rich tables.

Floats are always written in their shortest round-trip form (``repr`` for float64, numpy's
shortest form for float32/float16), never rounded. In json and jsonl, nan and ±inf are the
strings "nan", "inf" and "-inf", so the output is strict JSON.

Writers stream: each ``write`` formats one block and hands it to the output in one piece, so
what has been written is always whole lines; ``close`` ends the document (the closing bracket
of a json array is written even when input stopped at an error, so the output stays valid).
rich is imported only for the table format.
"""

from __future__ import annotations

import os
import re
import signal
import sys
from typing import IO, Any, Callable, Iterator, Sequence

import numpy as np

FORMATS = ("plain", "table", "csv", "tsv", "json", "jsonl")


# orjson formats floats with Ryu (shortest round-trip digits) about 15 times faster than
# Python's repr: 0.07 s against 1.0 s for 1e6 values on this project's 2-core machine
# (benchmarks/run.py has the end-to-end figures). Its text differs from repr only in style,
# which the substitutions below undo, so the bytes are exactly repr's (tests/test_render.py
# checks that on random bit patterns): exponents of one digit ('e-8' → 'e-08'); 1e-5 ≤ |x| <
# 1e-4, written fixed by orjson and in exponent form by repr ('0.000015' → '1.5e-05'); and
# nan/±inf, which JSON writes as null.
_ONE_DIGIT_EXPONENT = re.compile(rb"e-([1-9])$", re.MULTILINE)
_FIXED_E5 = re.compile(rb"^(-?)0\.0000([1-9])(\d*)$", re.MULTILINE)


def _as_e5(m: re.Match) -> bytes:
    sign, lead, rest = m.groups()
    return sign + lead + (b"." + rest if rest else b"") + b"e-05"


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
    if values.dtype != np.float64:
        return ("\n".join(str(v) for v in values.ravel()) + "\n").encode()
    import orjson

    flat = np.ascontiguousarray(values.ravel())
    out = orjson.dumps(flat, option=orjson.OPT_SERIALIZE_NUMPY)[1:-1].replace(b",", b"\n")
    if b"e-" in out:
        out = _ONE_DIGIT_EXPONENT.sub(rb"e-0\1", out)
    if b"0.0000" in out:
        out = _FIXED_E5.sub(_as_e5, out)
    if b"null" in out:
        special = iter([repr(v).encode() for v in flat[~np.isfinite(flat)].tolist()])
        out = re.sub(rb"null", lambda m: next(special), out)
    return out + b"\n"


def format_floats(values: np.ndarray) -> list[str]:
    """Shortest round-trip text of each value: '0.25', '4.248354255291589e-18', 'inf', 'nan'."""
    return repr_lines(values).decode().split("\n")[:-1]


def _json_floats(values: np.ndarray) -> list[str]:
    texts = format_floats(values)
    ok = np.isfinite(values)
    if ok.all():
        return texts
    return [t if good else f'"{t}"' for t, good in zip(texts, ok.tolist())]


def _json_string(text: str) -> str:
    """A JSON string literal (ensure_ascii=False: formulas keep their Unicode)."""
    import orjson

    return orjson.dumps(text).decode()


class NumberTexts(list):
    """Numbers already written as text (high-precision digits): bare numbers in json."""


def format_mp(values: Sequence[Any], digits: int) -> NumberTexts:
    """mpmath values with `digits` significant digits ('inf', 'nan' where not finite)."""
    import mpmath

    def one(v: Any) -> str:
        if not mpmath.isfinite(v):
            return repr(float(v))
        return mpmath.nstr(v, digits, min_fixed=-4, max_fixed=digits)

    return NumberTexts(one(v) for v in values)


def _column_texts(col: Any, for_json: bool) -> list[str]:
    if isinstance(col, NumberTexts):
        if not for_json:
            return list(col)
        return [f'"{t}"' if t in ("nan", "inf", "-inf") else t for t in col]
    arr = np.asarray(col)
    if arr.dtype.kind == "f":
        return _json_floats(arr) if for_json else format_floats(arr)
    if arr.dtype.kind in "iu":
        return [str(v) for v in arr.tolist()]
    if arr.dtype.kind == "b":
        return ["true" if v else "false" for v in arr.tolist()]
    if for_json:
        return [_json_string(str(v)) for v in arr.tolist()]
    return [_csv_field(str(v)) for v in arr.tolist()]


def _csv_field(text: str) -> str:
    """Quote text for csv (RFC 4180) where needed; tsv fields get the same treatment."""
    if any(c in text for c in ',\t"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


class OutputError(Exception):
    """The output could not be written (full disk, closed stdout); str() says why."""


class _Output:
    """Writes whole pieces of text to a binary stream; Ctrl-C waits until a piece is out."""

    def __init__(self, stream: IO[bytes] | None = None):
        self.stream = stream if stream is not None else sys.stdout.buffer
        self._interrupted = False

    def _hold(self, signum: int, frame: Any) -> None:
        self._interrupted = True

    def write(self, text: str | bytes) -> None:
        if not text:
            return
        data = text if isinstance(text, bytes) else text.encode("utf-8")
        previous: Any = None
        try:
            previous = signal.signal(signal.SIGINT, self._hold)
        except ValueError:  # not in the main thread
            previous = None
        try:
            # BufferedWriter.write may return a short count when a signal handler ran during
            # a blocked write (seen with Ctrl-C on a full pipe): write the rest, never lose it
            view = memoryview(data)
            while view:
                n = self.stream.write(view)
                view = view[len(view) if n is None else n:]
            self.stream.flush()
        except BrokenPipeError:
            raise
        except (OSError, ValueError) as e:
            raise OutputError(getattr(e, "strerror", None) or str(e)) from e
        finally:
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
        if self._interrupted:
            raise KeyboardInterrupt


class Writer:
    """Streams rows of named columns in one of FORMATS.

    ``plain`` writes only the last column, one value per line. ``table`` collects the rows
    and draws a rich table on close (``title`` above it).
    """

    def __init__(self, fmt: str, columns: Sequence[str], stream: IO[bytes] | None = None,
                 title: str | None = None):
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r} (allowed: {', '.join(FORMATS)})")
        self.fmt = fmt
        self.columns = tuple(columns)
        self.title = title
        self.out = _Output(stream)
        self._rows = 0
        self._table_cols: list[list[str]] = [[] for _ in self.columns]
        if fmt in ("csv", "tsv"):
            sep = "," if fmt == "csv" else "\t"
            self.out.write(sep.join(self.columns) + "\n")
        elif fmt == "json":
            self.out.write("[\n")

    def write(self, *cols: Any) -> None:
        if len(cols) != len(self.columns):
            raise ValueError("column count does not match the header")
        n = len(np.asarray(cols[0]))
        if n == 0:
            return
        fmt = self.fmt
        text: str | bytes
        if fmt == "plain":
            last = cols[-1]
            if isinstance(last, NumberTexts):
                text = "\n".join(last) + "\n"
            else:
                text = repr_lines(last)
        elif fmt in ("csv", "tsv"):
            sep = "," if fmt == "csv" else "\t"
            texts = [_column_texts(c, False) for c in cols]
            text = "".join(sep.join(row) + "\n" for row in zip(*texts))
        elif fmt in ("json", "jsonl"):
            texts = [_column_texts(c, True) for c in cols]
            keys = [_json_string(c) for c in self.columns]
            objs = [
                "{" + ", ".join(f"{k}: {v}" for k, v in zip(keys, row)) + "}"
                for row in zip(*texts)
            ]
            if fmt == "jsonl":
                text = "\n".join(objs) + "\n"
            else:
                # one object a line, the comma leading: every line is whole as soon as it
                # is written, and the array stays valid JSON once "]" closes it
                text = ("" if self._rows == 0 else ",") + "\n,".join(objs) + "\n"
        else:  # table: drawn on close
            for store, c in zip(self._table_cols, cols):
                store.extend(_column_texts(c, False))
            text = ""
        self._rows += n
        self.out.write(text)

    def close(self) -> None:
        if self.fmt == "json":
            self.out.write("]\n")
        elif self.fmt == "table":
            rows = list(zip(*self._table_cols))
            self.out.write(rich_table(self.columns, rows, title=self.title))

    def __enter__(self) -> "Writer":
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        # Close the document on input errors and Ctrl-C too (valid json stays valid), but
        # not when the output itself failed, nor draw a table the user interrupted.
        if exc_type is None or not (
            issubclass(exc_type, (OSError, OutputError))
            or (issubclass(exc_type, KeyboardInterrupt) and self.fmt == "table")
        ):
            self.close()


def _render(renderables: Sequence[Any]) -> str:
    """Text of rich renderables, never narrower than they need: digits are never cut off.

    Coloured only on a terminal and never with NO_COLOR (rich's own rules).
    """
    import io
    import shutil

    from rich.console import Console
    from rich.measure import Measurement

    try:
        tty = sys.stdout.isatty()
    except (AttributeError, ValueError):
        tty = False
    buffer = io.StringIO()  # rendered here, written by _Output in one piece
    plain = bool(os.environ.get("NO_COLOR"))  # no colour, and no bold or dim either
    console = Console(file=buffer, force_terminal=tty or None, highlight=False, soft_wrap=False,
                      width=shutil.get_terminal_size().columns if tty else None,
                      color_system=None if plain else "auto")
    wide = console.options.update_width(1 << 16)
    need = max((Measurement.get(console, wide, r).maximum for r in renderables), default=0)
    if need > console.width:
        console.width = need
    for r in renderables:
        console.print(r)
    return buffer.getvalue()


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return text == ""


def rich_table(columns: Sequence[str], rows: Sequence[Sequence[str]], *, title: str | None = None,
               styles: Callable[[Sequence[str]], str | None] | None = None,
               caption: str | None = None) -> str:
    """A rich table rendered to text, its title above and caption below as plain lines."""
    from rich.table import Table
    from rich.text import Text

    table = Table()
    for i, c in enumerate(columns):
        numeric = all(_is_number(row[i]) for row in rows)
        table.add_column(c, justify="right" if numeric else "left", no_wrap=True)
    for row in rows:
        table.add_row(*row, style=styles(row) if styles else None)
    parts: list[Any] = [Text(title, style="bold")] if title else []
    parts.append(table)
    if caption:
        parts.append(Text(caption))
    return _render(parts)


# -- reports of the table, check and list commands ------------------------------------------------


def write_rows(fmt: str, columns: Sequence[str], blocks: Sequence[Sequence[Any]]) -> None:
    """Machine formats: one header, then each block of columns."""
    with Writer(fmt, columns) as w:
        for cols in blocks:
            w.write(*cols)


def _error_style(err: float) -> str:
    from .numerics.gradcheck import verdict

    return {"n/a": "dim", "good": "green", "wrong": "bold red"}.get(verdict(err), "yellow")


def gradient_tables(rows: Sequence[Sequence[Any]], stream: IO[bytes] | None = None) -> None:
    """One rich table per function: z, g, g′, numerical g′, relative error, kink mark."""
    from rich.table import Table
    from rich.text import Text

    tables = []
    for f, z, g, dg, num, err, kink in rows:
        title = f"{f.name}:  {f.spec.formula}   {f.spec.deriv_formula}"
        if f.params:
            title += "   (" + ", ".join(f"{k}={v!r}" for k, v in f.params.items()) + ")"
        t = Table()
        for c in ("z", "g(z)", "g′(z)", "numerical g′", "rel. error", ""):
            t.add_column(c, justify="right" if c else "left", no_wrap=True)
        cells = [format_floats(np.asarray(c)) for c in (z, g, dg, num, err)]
        for i, row in enumerate(zip(*cells)):
            mark = Text("◆ kink", style="magenta") if kink[i] else Text("")
            e = float(err[i])
            t.add_row(*row[:4], Text(row[4], style=_error_style(e)), mark,
                      style="dim" if abs(float(dg[i])) < 1e-4 and not kink[i] else None)
        tables += [Text(title, style="bold"), t]
    _Output(stream).write(_render(tables))


def check_report(fmt: str, results: Sequence[Any], stream: IO[bytes] | None = None) -> None:
    """The gradient check's verdict per function."""
    columns = ("function", "checked", "left_out", "max_rel_error", "worst_z", "verdict", "passed")
    cols = (
        np.array([r.function for r in results]),
        np.array([str(r.checked) for r in results]),
        np.array([str(r.left_out) for r in results]),
        np.array([r.max_rel_error for r in results], dtype=np.float64),
        np.array([r.worst_z for r in results], dtype=np.float64),
        np.array([r.verdict for r in results]),
        np.array([r.passed for r in results], dtype=bool),
    )
    if fmt != "table":
        if fmt in ("json", "jsonl"):  # counts are numbers in JSON
            cols = (cols[0], cols[1].astype(np.int64), cols[2].astype(np.int64), *cols[3:])
        write_rows(fmt, columns, [cols])
        return
    failed = [r.function for r in results if not r.passed]
    tol = results[0].tol if results else 0.0
    caption = (f"all {len(results)} within --tol {tol!r}" if not failed
               else f"FAILED (above --tol {tol!r}): {', '.join(failed)}")
    texts = [format_floats(c) if c.dtype.kind == "f" else
             (["yes" if v else "NO" for v in c.tolist()] if c.dtype.kind == "b" else c.tolist())
             for c in cols]
    rows = list(zip(*texts))
    out = _Output(stream)
    out.write(rich_table(("function", "points", "left out (kinks)", "max rel. error", "worst z",
                          "verdict", "passed"), rows, title="gradient check", caption=caption,
                         styles=lambda row: None if row[-1] == "yes" else "red"))


def _json_value(v: Any) -> Any:
    """A parameter's default for JSON: non-finite floats as "inf", "-inf", "nan"."""
    return repr(v) if isinstance(v, float) and not np.isfinite(v) else v


def catalogue_listing(fmt: str, acts: Sequence[Any], stream: IO[bytes] | None = None) -> None:
    """Names, aliases, parameters, formulas."""
    columns = ("name", "aliases", "parameters", "g", "dg", "dg_from_a", "kinks")
    rows = []
    for f in acts:
        sp = f.spec
        rows.append((
            sp.name,
            " ".join(sp.aliases),
            " ".join(f"{p.name}={p.default!r}" for p in sp.params),
            sp.formula,
            sp.deriv_formula,
            sp.from_output_formula if f.has_deriv_from_output else "",
            " ".join(repr(k.at) for k in f.kinks),
        ))
    out = _Output(stream)
    if fmt == "table":
        out.write(rich_table(("name", "aliases", "parameters", "g(z)", "g′(z)", "g′ from a",
                              "kinks"), rows, title="activations"))
        return
    if fmt in ("json", "jsonl"):  # structured: lists, an object of defaults, numbers
        import orjson

        objs = [orjson.dumps({
            "name": f.spec.name, "aliases": list(f.spec.aliases),
            "parameters": {p.name: _json_value(p.default) for p in f.spec.params},
            "g": f.spec.formula, "dg": f.spec.deriv_formula,
            "dg_from_a": f.spec.from_output_formula if f.has_deriv_from_output else None,
            "kinks": [k.at for k in f.kinks],
        }).decode() for f in acts]
        out.write("\n".join(objs) + "\n" if fmt == "jsonl" else
                  "[\n" + "\n,".join(objs) + "\n]\n")
        return
    write_rows(fmt, columns, [[np.array(c, dtype=object).astype(str) for c in zip(*rows)]])


# -- progress on long work ------------------------------------------------------------------------


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def with_progress(blocks: Iterator[Any], source: Any) -> Iterator[Any]:
    """Pass blocks through; after about a second, show a progress bar on stderr.

    Only when the input is a regular file (its size is known), stderr is a terminal and
    stdout is not (results scrolling past would tear the bar). The bar shows bytes done,
    percentage, rate and time left, and disappears when the work ends. rich is imported
    only when the bar is shown. ACTGRAD_PROGRESS_DELAY sets the delay (tests use 0).
    """
    import stat
    import time

    try:
        size = os.fstat(source.fileno()).st_size
        regular = stat.S_ISREG(os.fstat(source.fileno()).st_mode)
    except (AttributeError, OSError, ValueError):
        regular = False
    if not regular or not _isatty(sys.stderr) or _isatty(sys.stdout):
        yield from blocks
        return
    delay = float(os.environ.get("ACTGRAD_PROGRESS_DELAY", "1"))
    start = time.monotonic()
    bar: Any = None
    task: Any = None
    try:
        for block in blocks:
            yield block
            if bar is None and time.monotonic() - start >= delay:
                from rich.console import Console
                from rich.progress import (BarColumn, DownloadColumn, Progress,
                                           TaskProgressColumn, TimeRemainingColumn,
                                           TransferSpeedColumn)

                bar = Progress(BarColumn(), TaskProgressColumn(), DownloadColumn(),
                               TransferSpeedColumn(), TimeRemainingColumn(),
                               console=Console(file=sys.stderr), transient=True,
                               redirect_stdout=False, redirect_stderr=False)
                task = bar.add_task("input", total=size)
                bar.start()
            if bar is not None:
                bar.update(task, completed=source.tell())
    finally:
        if bar is not None:
            bar.stop()
