"""Writers: rows of named columns as plain lines, csv, tsv, json, jsonl or a rich table.

In json and jsonl, nan and ±inf are the strings "nan", "inf" and "-inf", so the output is
strict JSON. Writers stream: each ``write`` formats one block and hands it to the output in one
piece, so what has been written is always whole lines; ``close`` ends the document (the closing
bracket of a json array is written even when input stopped at an error, so the output stays
valid). rich is imported only for the table format.
"""

from __future__ import annotations

import signal
import sys
from typing import IO, Any, Sequence

import numpy as np

from .numbers import NumberTexts, format_floats, json_floats, json_string, repr_lines
from .richtext import rich_table

FORMATS = ("plain", "table", "csv", "tsv", "json", "jsonl")


def _column_texts(col: Any, for_json: bool) -> list[str]:
    if isinstance(col, NumberTexts):
        if not for_json:
            return list(col)
        return [f'"{t}"' if t in ("nan", "inf", "-inf") else t for t in col]
    arr = np.asarray(col)
    if arr.dtype.kind == "f":
        return json_floats(arr) if for_json else format_floats(arr)
    if arr.dtype.kind in "iu":
        return [str(v) for v in arr.tolist()]
    if arr.dtype.kind == "b":
        return ["true" if v else "false" for v in arr.tolist()]
    if for_json:
        return [json_string(str(v)) for v in arr.tolist()]
    return [_csv_field(str(v)) for v in arr.tolist()]


def _csv_field(text: str) -> str:
    """Quote text for csv (RFC 4180) where needed; tsv fields get the same treatment."""
    if any(c in text for c in ',\t"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


class OutputError(Exception):
    """The output could not be written (full disk, closed stdout); str() says why."""


class Output:
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
        self.out = Output(stream)
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


def write_rows(fmt: str, columns: Sequence[str], blocks: Sequence[Sequence[Any]],
               stream: IO[bytes] | None = None) -> None:
    """Machine formats: one header, then each block of columns."""
    with Writer(fmt, columns, stream) as w:
        for cols in blocks:
            w.write(*cols)


