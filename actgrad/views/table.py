"""The view of ``actgrad table``: per function, z, g, g′, the numerical g′ and their error;
with --order 2 also g″, the numerical g″ and their error."""

from __future__ import annotations

from typing import IO, Any, Sequence

import numpy as np

from ..io.numbers import format_floats, short_float
from ..io.richtext import render
from ..io.writers import Output, write_rows
from ..numerics.gradcheck import TableRows, verdict

#: the machine formats' columns
COLUMNS = ("function", "z", "g", "dg", "dg_numeric", "rel_error", "kind")
#: and those --order 2 adds after them
COLUMNS2 = ("d2g", "d2g_numeric", "d2g_rel_error", "d2g_kind")
_MARKS = {"kink": ("◆ kink", "magenta"), "near kink": ("near kink", "cyan")}


def _error_style(err: float) -> str:
    return {"n/a": "dim", "good": "green", "wrong": "bold red"}.get(verdict(err), "yellow")


def write(fmt: str, rows: Sequence[TableRows], stream: IO[bytes] | None = None) -> None:
    """Each function's rows: a rich table per function, or one csv/tsv/json/jsonl document.

    A point's kind is "kink" (g′ is the convention; no numerical g′, so nan in the machine
    formats and — in the table), "near kink" (checked one-sided) or "". With order 2 the
    rows also hold g″, the numerical g″, their error and the point's kind for g″ (a kink
    there is a jump of g′ or of g″): further columns in the machine formats, and in the
    terminal a second table under each function's first one (all eight numbers in one row
    would not fit 80 columns).
    """
    second = bool(rows) and rows[0].order == 2
    if fmt != "table":
        columns = COLUMNS + COLUMNS2 if second else COLUMNS
        write_rows(fmt, columns, [(np.full(len(r.z), r.f.name), r.z, r.g, r.dg, r.dg_numeric,
                                   r.error, r.kind,
                                   *((r.d2g, r.d2g_numeric, r.error2, r.kind2) if second
                                     else ())) for r in rows], stream)
        return
    from rich.text import Text

    tables: list[Any] = []
    for r in rows:
        f = r.f
        spec = getattr(f, "spec", None)  # an expression in z has no catalogue formulas
        title = f"{f.name}:  {spec.formula}   {spec.deriv_formula}" if spec else f.name
        if f.params:
            title += "   (" + ", ".join(f"{k}={v!r}" for k, v in f.params.items()) + ")"
        tables += [Text(title, style="bold"),
                   *_table(("z", "g(z)", "g′(z)", "numerical g′", "rel. error"), r.z, (r.g,),
                           r.dg, r.dg_numeric, r.error, r.kind)]
        if second:
            # a jump of g″ where g′ has none is marked as such ("◆ jump"), not as a kink
            jumps = np.isin(r.z, [k.at for k in f.kinks2]) & ~np.isin(r.z, [k.at for k in f.kinks])
            tables += [Text(f.spec.d2_formula, style="bold"),
                       *_table(("z", "g″(z)", "numerical g″", "rel. error"), r.z, (), r.d2g,
                               r.d2g_numeric, r.error2, r.kind2, jumps)]  # type: ignore[arg-type]
    Output(stream).write(render(tables))


def _table(headings: tuple[str, ...], z: np.ndarray, before: tuple[np.ndarray, ...],
           d: np.ndarray, numeric: np.ndarray, error: np.ndarray, kind: np.ndarray,
           jumps: np.ndarray | None = None) -> list[Any]:
    """z, the columns `before`, a derivative d, its numerical value and error, and a column of
    marks where a point is a kink or near one (at the points of `jumps`: a jump of g″).

    Where that is wider than the terminal, the narrow form (level 1): the error to three
    digits and the marks as one symbol; where even that is wider, also without the numerical
    derivative's column (level 2); a line under the table says which (-f csv has every column
    and digit). The values shown are always whole (repr)."""
    from rich.text import Text

    from ..io.richtext import fits

    for level in (0, 1, 2):
        table = _build(headings, z, before, d, numeric, error, kind, jumps, narrow=level)
        if level == 2 or fits(table):
            break
    if not level:
        return [table]
    legend = ["rel. error to 3 digits"
              + (f", {headings[-2]} left out" if level == 2 else "")
              + " to fit the terminal (-f csv has every column and digit)"]
    at = kind == "kink"
    jump = at & jumps if jumps is not None else np.zeros_like(at)
    if (at & ~jump).any():
        legend.append(f"{_SYMBOLS['kink']} kink")
    if jump.any():
        legend.append(f"{_SYMBOLS['jump']} jump of g″")
    if (kind == "near kink").any():
        legend.append(f"{_SYMBOLS['near kink']} near a kink (one-sided differences)")
    return [table, Text("; ".join(legend), style="dim")]


#: the marks of the narrow form
_SYMBOLS = {"kink": "◆", "near kink": "◇", "jump": "◆′"}


def _build(headings: tuple[str, ...], z: np.ndarray, before: tuple[np.ndarray, ...],
           d: np.ndarray, numeric: np.ndarray, error: np.ndarray, kind: np.ndarray,
           jumps: np.ndarray | None, *, narrow: int) -> Any:
    from rich.table import Table
    from rich.text import Text

    t = Table()
    marks = bool(np.any(kind != ""))  # the column of marks only where there is one
    shown = headings[:-2] + headings[-1:] if narrow == 2 else headings
    for c in (*shown, *([""] if marks else [])):
        t.add_column(c, justify="right" if c else "left", no_wrap=True)
    cells = [format_floats(np.asarray(c)) for c in (z, *before, d, numeric, error)]
    n = len(before) + 2  # z, before..., d
    for i, row in enumerate(zip(*cells)):
        at_kink = str(kind[i]) == "kink"
        text, style = _MARKS.get(str(kind[i]), ("", None))
        if narrow and text:
            text = _SYMBOLS[str(kind[i])]
        if at_kink and jumps is not None and jumps[i]:
            text = _SYMBOLS["jump"] if narrow else "◆ jump"
        mark = [Text(text, style=style)] if marks else []
        num, err = ("—", "—") if at_kink else row[n:n + 2]
        if narrow and not at_kink:
            err = short_float(err)
        t.add_row(*row[:n], *([] if narrow == 2 else [num]),
                  Text(err, style=_error_style(float(error[i]))),
                  *mark, style="dim" if abs(float(d[i])) < 1e-4 and not at_kink else None)
    return t
