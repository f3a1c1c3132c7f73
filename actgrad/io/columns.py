"""Two columns of numbers from a csv or tsv file with a header: the z and the values to judge.

The first line that is not blank is the header; a leading ``#`` (numpy's savetxt writes
``# z,grad`` unless told ``comments=""``) is dropped from it, and later lines starting with
``#`` are comments. The separator is a tab if the header has one, else a comma. Names and
fields may be quoted with ``"`` (without a separator inside) and are stripped of spaces. The z column is named ``z`` (or
``z_column``); the value column is ``column``, or, when not given, the only other named
column (pandas' unnamed index column is not one). Only those two columns are read; each
of their fields must be a number as everywhere in actgrad (``io/numbers.is_number``: what
``float()`` reads, no underscores), ``nan`` and ``inf`` included.

Errors are one line: a field that is not a number is ``InputError`` (``line 3, column 5:
'abc' is not a number``, the column counted in characters); a missing column, a row with too
few fields or an empty file is ``ColumnsError``.
"""

from __future__ import annotations

from typing import IO

import numpy as np

from .numbers import is_number
from .reader import InputError

#: the most rows read (each costs an exact value)
MAX_ROWS = 1_000_000


class ColumnsError(ValueError):
    """The file does not hold the two columns asked for; str() says why in one line."""


def _fields(line: str, sep: str) -> list[tuple[str, int]]:
    """(field, 1-based column of its first character) for each field of the line."""
    out, start = [], 0
    while True:
        end = line.find(sep, start)
        raw = line[start:] if end < 0 else line[start:end]
        lead = len(raw) - len(raw.lstrip())
        text = raw.strip()
        if len(text) >= 2 and text[0] == text[-1] == '"':
            text, lead = text[1:-1].strip(), lead + 1
        out.append((text, start + lead + 1))
        if end < 0:
            return out
        start = end + 1


def _pick(names: list[str], z_column: str | None, column: str | None) -> tuple[int, int]:
    shown = ", ".join(n for n in names if n) or "none"

    def find(name: str, what: str) -> int:
        if name in names:
            return names.index(name)
        folded = [n.lower() for n in names]
        if name.lower() in folded and folded.count(name.lower()) == 1:
            return folded.index(name.lower())
        from ..activations.base import suggest

        raise ColumnsError(f"no column {name!r} in the header{suggest(name, names)}"
                           f" (columns: {shown}); {what}")

    zi = find(z_column or "z", "name the z column with --z-column")
    if column is not None:
        vi = find(column, "name the value column with --column")
    else:
        rest = [i for i, n in enumerate(names) if i != zi and n and not n.startswith("Unnamed:")]
        if len(rest) != 1:
            raise ColumnsError(f"which column holds the values? name it with --column"
                               f" (columns: {shown})")
        vi = rest[0]
    if vi == zi:
        raise ColumnsError(f"the z column and the value column are both {names[zi]!r}")
    return zi, vi


def read_columns(stream: IO[bytes], z_column: str | None = None, column: str | None = None
                 ) -> tuple[np.ndarray, np.ndarray, str, str]:
    """(z, values, z column's name, value column's name) from a csv/tsv stream (module doc)."""
    header: list[str] | None = None
    zi = vi = 0
    sep = ","
    zs: list[float] = []
    vs: list[float] = []
    for number, raw in enumerate(stream, 1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ColumnsError(f"line {number} is not UTF-8 text") from None
        if number == 1 and line.startswith("\ufeff"):
            line = line[1:]
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        if header is None:
            text = line.lstrip()
            if text.startswith("#"):
                text = text[1:]
            sep = "\t" if "\t" in text else ","
            header = [name for name, _ in _fields(text, sep)]
            zi, vi = _pick(header, z_column, column)
            continue
        if line.lstrip().startswith("#"):
            continue
        fields = _fields(line, sep)
        if len(fields) <= max(zi, vi):
            raise ColumnsError(f"line {number}: {len(fields)} field(s), the header has"
                               f" {len(header)} ({', '.join(n for n in header if n)})")
        row = []
        for i in (zi, vi):
            token, col = fields[i]
            if not token:
                raise ColumnsError(f"line {number}, column {col}: the {header[i]!r} field is"
                                   " empty")
            if not is_number(token):
                raise InputError(token, line=number, column=col)
            row.append(float(token))
        zs.append(row[0])
        vs.append(row[1])
        if len(zs) > MAX_ROWS:
            raise ColumnsError(f"more than {MAX_ROWS} rows")
    if header is None:
        raise ColumnsError("the file is empty: it needs a header such as z,grad and rows")
    if not zs:
        raise ColumnsError("no rows of values after the header")
    return np.array(zs), np.array(vs), header[zi], header[vi]
