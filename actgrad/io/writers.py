"""Writers: rows of named columns as plain lines, csv, tsv, json, jsonl or a rich table.

In json and jsonl, nan and ±inf are the strings "nan", "inf" and "-inf", so the output is
strict JSON. Writers stream: each ``write`` formats one block and hands it to the output in one
piece, so what has been written is always whole lines; ``close`` ends the document (the closing
bracket of a json array is written even when input stopped at an error, so the output stays
valid). rich is imported only for the table format.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import signal
import stat
import sys
from typing import IO, Any, Iterator, Sequence

import numpy as np

from .numbers import (NumberTexts, float_rows, format_floats, is_float_array, json_floats, json_string,
                      repr_lines)
from .richtext import rich_table

FORMATS = ("plain", "table", "csv", "tsv", "json", "jsonl")


def _column_texts(col: Any, for_json: bool) -> list[str]:
    if isinstance(col, NumberTexts):
        if not for_json:
            return list(col)
        return [f'"{t}"' if t in ("nan", "inf", "-inf") else t for t in col]
    arr = np.asarray(col)
    if is_float_array(arr):
        return json_floats(arr) if for_json else format_floats(arr)
    if arr.dtype.kind in "iu":
        return [str(v) for v in arr.tolist()]
    if arr.dtype.kind == "b":
        return ["true" if v else "false" for v in arr.tolist()]
    # texts (a function's name, a point's kind): each distinct one quoted once
    quoted = json_string if for_json else _csv_field
    if arr.dtype.kind == "U" and arr.size > 64:
        distinct, index = np.unique(arr, return_inverse=True)
        done = [quoted(str(v)) for v in distinct.tolist()]
        return [done[i] for i in index.ravel().tolist()]
    return [quoted(str(v)) for v in arr.tolist()]


def _all_float64(cols: Sequence[Any]) -> bool:
    """Whether every column is a float64 array (not texts): float_rows writes those."""
    return all(isinstance(c, np.ndarray) and not isinstance(c, NumberTexts)
               and c.dtype == np.float64 and c.ndim == 1 for c in cols) and len(cols) < 30


def _csv_field(text: str) -> str:
    """Quote text for csv (RFC 4180) where needed; tsv fields get the same treatment."""
    if any(c in text for c in ',\t"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


class OutputError(Exception):
    """The output could not be written (full disk, closed stdout); str() says why."""


class TooManyRows(ValueError):
    """More rows than the table format draws; str() points to the formats that stream."""


#: signals that wait while a piece of output is written
HELD_SIGNALS = tuple(getattr(signal, n) for n in ("SIGINT", "SIGTERM", "SIGHUP")
                     if hasattr(signal, n))
#: the most rows -f table draws (a rich table is drawn whole, at the end, in memory)
MAX_TABLE_ROWS = 10_000


def _regular_fd(stream: Any) -> int | None:
    try:
        fd = stream.fileno()
        return fd if stat.S_ISREG(os.fstat(fd).st_mode) else None
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return None


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP wait while the body runs; one that arrived is raised again
    once it is done (and the previous handlers are back), so a piece of output is whole."""
    held: list[int] = []
    previous: dict[int, Any] = {}
    try:
        for s in HELD_SIGNALS:
            if signal.getsignal(s) not in (signal.SIG_IGN, None):
                previous[s] = signal.signal(s, lambda signum, frame: held.append(signum))
    except ValueError:  # not in the main thread: signals are not ours to hold
        pass
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    if held:
        signal.raise_signal(held[0])  # now the restored handler acts on it


class Output:
    """Writes whole pieces of text, each ending a line, to a binary stream.

    While a piece is written, SIGINT, SIGTERM and SIGHUP wait (one that arrives is raised
    again as soon as the piece is out), so a signal never tears a line. When writing fails part
    of the way through a piece (a full disk, ``ulimit -f``) and the output is a regular file,
    the file is cut back to the end of its last whole line: what stays written is whole lines.
    """

    def __init__(self, stream: IO[bytes] | None = None):
        self.stream = stream if stream is not None else sys.stdout.buffer
        self._fd = _regular_fd(self.stream)  # a regular file's descriptor: cut back on failure

    def write(self, text: str | bytes) -> None:
        if not text:
            return
        data = text if isinstance(text, bytes) else text.encode("utf-8")
        with signals_held():
            self._write(data)

    def _write(self, data: bytes) -> None:
        fd = self._fd
        start = self._end(fd) if fd is not None else 0
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
            if fd is not None:
                self._cut_back(fd, start, data)
            raise OutputError(getattr(e, "strerror", None) or str(e)) from e

    def _end(self, fd: int) -> int:
        """Where the next byte will land: the file's end when appending, else the offset."""
        if fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_APPEND:
            return os.fstat(fd).st_size
        return os.lseek(fd, 0, os.SEEK_CUR)

    def _cut_back(self, fd: int, start: int, data: bytes) -> None:
        try:
            written = max(0, min(os.fstat(fd).st_size - start, len(data)))
            keep = start + data.rfind(b"\n", 0, written) + 1
            if keep < start + written:
                os.ftruncate(fd, keep)
                if not fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_APPEND:
                    os.lseek(fd, keep, os.SEEK_SET)
            # what the buffer still holds of the failed piece must not be written later
            self.stream = open(fd, "wb", buffering=0, closefd=False)
        except OSError:
            pass


class Writer:
    """Streams rows of named columns in one of FORMATS.

    ``plain`` writes only the last column, one value per line. ``table`` collects the rows
    (at most MAX_TABLE_ROWS) and draws a rich table on close (``title`` above it).

    Nothing is written before the first rows (or a successful close): a command whose input
    fails to open or parse writes nothing at all. Once rows are out, the document is closed
    on every ending (an input error, a signal, and even a failed write where the output still
    takes bytes), so a json array is always closed.
    """

    def __init__(self, fmt: str, columns: Sequence[str], stream: IO[bytes] | None = None,
                 title: str | None = None):
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r} (allowed: {', '.join(FORMATS)})")
        self.fmt = fmt
        self.columns = tuple(columns)
        self.title = title
        self.out = Output(stream)
        self._rows = 0
        self._started = False
        self._table_cols: list[list[str]] = [[] for _ in self.columns]

    def _start(self) -> None:
        if self._started:
            return
        self._started = True
        if self.fmt in ("csv", "tsv"):
            sep = "," if self.fmt == "csv" else "\t"
            self.out.write(sep.join(self.columns) + "\n")
        elif self.fmt == "json":
            self.out.write("[\n")

    def write(self, *cols: Any) -> None:
        text = self.render(*cols)
        if text is not None:
            self.emit(text)

    def render(self, *cols: Any) -> str | bytes | None:
        """The text of one block of rows (None: nothing to write now: no rows, or the table
        format, which keeps them), counted as written: ``emit`` it next, before the next
        block's. Touches no output, so it may run on another thread than ``emit``, one block
        ahead (cli/commands.stream does), as long as the blocks are rendered in order."""
        if len(cols) != len(self.columns):
            raise ValueError("column count does not match the header")
        n = len(np.asarray(cols[0]))
        if n == 0:
            return None
        fmt = self.fmt
        text: str | bytes
        if fmt == "table":  # drawn on close
            if self._rows + n > MAX_TABLE_ROWS:
                raise TooManyRows(
                    f"-f table draws at most {MAX_TABLE_ROWS} rows (it is drawn whole, at the"
                    f" end); use -f csv, tsv, json or jsonl for more, which stream")
            for store, c in zip(self._table_cols, cols):
                store.extend(_column_texts(c, False))
            self._rows += n
            return None
        if fmt == "plain":
            last = cols[-1]
            if isinstance(last, NumberTexts):
                text = "\n".join(last) + "\n"
            else:
                text = repr_lines(last)
        elif _all_float64(cols):  # whole blocks at once (numbers.float_rows)
            text = self._float_rows(cols)
        elif fmt in ("csv", "tsv"):
            sep = "," if fmt == "csv" else "\t"
            texts = [_column_texts(c, False) for c in cols]
            text = "".join(sep.join(row) + "\n" for row in zip(*texts))
        else:  # json, jsonl
            texts = [_column_texts(c, True) for c in cols]
            keys = [json_string(c) for c in self.columns]
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
        self._rows += n
        return text

    def emit(self, text: str | bytes) -> None:
        """Write a block's text from ``render`` (the header or '[' first)."""
        self._start()
        self.out.write(text)

    def _float_rows(self, cols: Sequence[np.ndarray]) -> bytes:
        k = len(cols)
        if self.fmt in ("csv", "tsv"):
            sep = b"," if self.fmt == "csv" else b"\t"
            return float_rows(cols, [sep] * (k - 1))
        keys = [json_string(c).encode() + b": " for c in self.columns]
        begin = b"{" + keys[0]
        seps = [b", " + key for key in keys[1:]]
        join = b"}\n" if self.fmt == "jsonl" else b"}\n,"
        lead = b"" if self.fmt == "jsonl" or self._rows == 0 else b","
        return lead + float_rows(cols, seps, begin, join + begin, b"}\n", quote_specials=True)

    def close(self) -> None:
        """End the document: the header of an empty csv, "]" of json, the table drawn."""
        if self.fmt == "table":
            rows = list(zip(*self._table_cols))
            self.out.write(rich_table(self.columns, rows, title=self.title))
            return
        self._start()
        if self.fmt == "json":
            self.out.write("]\n")

    def __enter__(self) -> "Writer":
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.close()
        elif self.fmt == "table":
            # the rows before an input error are drawn; not on a signal, a failed write or
            # a table too long to draw
            if self._rows and not issubclass(
                    exc_type, (KeyboardInterrupt, OSError, OutputError, TooManyRows)):
                self.close()
        elif self._started and self.fmt == "json":
            try:
                self.out.write("]\n")
            except (OSError, OutputError):
                pass  # the output takes no more bytes; what is written is whole lines


def write_rows(fmt: str, columns: Sequence[str], blocks: Sequence[Sequence[Any]],
               stream: IO[bytes] | None = None) -> None:
    """Machine formats: one header, then each block of columns."""
    with Writer(fmt, columns, stream) as w:
        for cols in blocks:
            w.write(*cols)


