"""rich renderables as text: tables whose numbers are never cut, coloured only on a terminal.

rich is imported only when a table is drawn.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Callable, Sequence

from .numbers import is_number


def render(renderables: Sequence[Any]) -> str:
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


def rich_table(columns: Sequence[str], rows: Sequence[Sequence[str]], *, title: str | None = None,
               styles: Callable[[Sequence[str]], str | None] | None = None,
               caption: str | None = None) -> str:
    """A rich table rendered to text, its title above and caption below as plain lines."""
    from rich.table import Table
    from rich.text import Text

    table = Table()
    for i, c in enumerate(columns):
        numeric = all(row[i] == "" or is_number(row[i]) for row in rows)
        table.add_column(c, justify="right" if numeric else "left", no_wrap=True)
    for row in rows:
        table.add_row(*row, style=styles(row) if styles else None)
    parts: list[Any] = [Text(title, style="bold")] if title else []
    parts.append(table)
    if caption:
        parts.append(Text(caption))
    return render(parts)
