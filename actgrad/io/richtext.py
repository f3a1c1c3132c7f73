"""rich renderables as text: fitted to the terminal's width, numbers never cut, coloured only on
a terminal.

The width is the terminal's (COLUMNS, else the real width; 80 when not a terminal and COLUMNS is
not set). Text wraps to it; a table that does not fit first loses its box (columns two, then one
space apart), then its foldable text columns (formulas) fold; numbers are never wrapped, folded
or cut, so only where the numbers alone are wider than the terminal is the output wider too.

rich is imported only when a table is drawn.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Callable, Sequence

from .numbers import is_number, short_float

#: the narrowest a foldable text column is folded to
MIN_FOLD = 6


def width() -> int:
    """The width output is fitted to: COLUMNS, else the terminal's, else 80."""
    import shutil

    return max(1, shutil.get_terminal_size((80, 24)).columns)


def _compact(table: Any, level: int) -> None:
    """A narrower layout of the same table: no box and columns 2 apart (1), or 1 apart (2)."""
    from rich import box

    table.box = box.SIMPLE_HEAD
    table.show_edge = False
    table.pad_edge = False
    table.padding = (0, 0, 0, 1) if level == 1 else (0, 0, 0, 0)


def _span(console: Any, options: Any, cell: Any) -> tuple[int, int]:
    """(longest word, longest line) of a cell, in terminal columns."""
    from rich.measure import Measurement

    renderable = console.render_str(cell) if isinstance(cell, str) else cell
    m = Measurement.get(console, options, renderable)
    return m.minimum, m.maximum


def _spans(table: Any, console: Any, options: Any) -> list[tuple[int, int]]:
    """(narrowest, widest) of each column of `table`, in terminal columns."""
    spans = []
    for c in table.columns:
        head = _span(console, options, c.header)
        cells = [_span(console, options, x) for x in c.cells] or [(0, 0)]
        widest = max(head[1], max(mx for _, mx in cells))
        if c.no_wrap:  # numbers: as wide as the widest; only the heading may wrap
            least = max(head[0], max(mx for _, mx in cells))
        elif c.overflow == "fold":
            least = min(widest, MIN_FOLD)
        else:
            least = max(head[0], max(mn for mn, _ in cells))
        spans.append((least, widest))
    return spans


def fits(table: Any) -> bool:
    """Whether `table` fits the terminal's width() in its narrowest layout (the one fit()
    takes last) without cutting a number. The table is left as it was."""
    import copy
    import io

    from rich.console import Console

    console = Console(file=io.StringIO(), width=width())
    trial = copy.copy(table)
    _compact(trial, 2)
    overhead = trial._extra_width + sum(trial._get_padding_width(i)
                                        for i in range(len(trial.columns)))
    spans = _spans(trial, console, console.options.update_width(1 << 16))
    return overhead + sum(mn for mn, _ in spans) <= console.width


def fit(table: Any, limit: int, console: Any, options: Any) -> int:
    """Give each column of `table` a width so that the table is at most `limit` columns wide
    where it can be without cutting a number: text columns wrap at spaces (and those whose
    overflow is 'fold', free text, break words down to MIN_FOLD), columns that do not wrap keep
    their width; failing that a compact layout, then the narrowest one. Returns its width."""
    spans = _spans(table, console, options)
    for level in (0, 1, 2):
        if level:
            _compact(table, level)
        overhead = table._extra_width + sum(table._get_padding_width(i)
                                            for i in range(len(table.columns)))
        room = limit - overhead
        if sum(mx for _, mx in spans) <= room:
            return overhead + sum(mx for _, mx in spans)  # as it is
        if sum(mn for mn, _ in spans) <= room or level == 2:
            break
    widths = [mx for _, mx in spans]
    # shrink the widest shrinkable column by one until the table fits (or nothing shrinks)
    while sum(widths) > room:
        shrinkable = [i for i, (mn, _) in enumerate(spans) if widths[i] > mn]
        if not shrinkable:
            break
        i = max(shrinkable, key=lambda i: widths[i])
        widths[i] -= 1
    for c, w in zip(table.columns, widths):
        c.width = w
        c.no_wrap = False  # its cells fit in w (a heading may wrap)
    return overhead + sum(widths)


def render(renderables: Sequence[Any]) -> str:
    """Text of rich renderables, fitted to the terminal's width (see the module's docstring).

    Coloured only on a terminal and never with NO_COLOR (rich's own rules).
    """
    import io

    from rich.console import Console
    from rich.measure import Measurement
    from rich.table import Table

    try:
        tty = sys.stdout.isatty()
    except (AttributeError, ValueError):
        tty = False
    buffer = io.StringIO()  # rendered here, written by _Output in one piece
    plain = bool(os.environ.get("NO_COLOR"))  # no colour, and no bold or dim either
    console = Console(file=buffer, force_terminal=tty or None, highlight=False, soft_wrap=False,
                      width=width(), color_system=None if plain else "auto")
    wide = console.options.update_width(1 << 16)
    need = 0
    for r in renderables:
        need = max(need, fit(r, console.width, console, wide) if isinstance(r, Table)
                   else Measurement.get(console, wide, r).minimum)
    if need > console.width:  # only numbers are left that do not fit: widen, never cut
        console.width = need
    for r in renderables:
        console.print(r)
    return buffer.getvalue()


def rich_table(columns: Sequence[str], rows: Sequence[Sequence[str]], *, title: str | None = None,
               styles: Callable[[Sequence[str]], str | None] | None = None,
               caption: str | None = None, fold: Sequence[int] = (),
               errors: Sequence[int] = (), optional: Sequence[int] = ()) -> str:
    """A rich table rendered to text, its title above and caption below as plain lines.

    Columns of numbers never wrap; other columns wrap at spaces, and those in `fold` (free text
    such as formulas) may also break a word where the table cannot fit otherwise. Where the
    whole table would be wider than the terminal, the columns in `errors` (error estimates)
    are shown to three digits, and if it is still wider, the columns in `optional` are left
    out; a line under the table says which.
    """
    from rich.text import Text

    table = _table(columns, rows, styles, fold)
    said = []
    if errors and not fits(table):
        short = [[short_float(c) if i in errors else c for i, c in enumerate(row)]
                 for row in rows]
        if short != [list(r) for r in rows]:
            rows = short
            table = _table(columns, rows, styles, fold)
            said.append(", ".join(columns[i] for i in errors) + " to 3 digits")
    if optional and not fits(table):
        keep = [i for i in range(len(columns)) if i not in optional]
        table = _table([columns[i] for i in keep], [[r[i] for i in keep] for r in rows],
                       styles, [keep.index(i) for i in fold if i in keep])
        said.append(", ".join(dict.fromkeys(columns[i] for i in optional)) + " left out")
    note = (", ".join(said) + " to fit the terminal (-f csv has every column and digit)"
            if said else None)
    parts: list[Any] = [Text(title, style="bold")] if title else []
    parts.append(table)
    parts += [Text(t) for t in (caption, note) if t]
    return render(parts)


def _table(columns: Sequence[str], rows: Sequence[Sequence[str]],
           styles: Callable[[Sequence[str]], str | None] | None, fold: Sequence[int]) -> Any:
    from rich.table import Table

    table = Table()
    for i, c in enumerate(columns):
        numeric = all(row[i] == "" or is_number(row[i]) for row in rows)
        table.add_column(c, justify="right" if numeric else "left", no_wrap=numeric,
                         overflow="fold" if i in fold else "ellipsis")
    for row in rows:
        table.add_row(*row, style=styles(row) if styles else None)
    return table
