"""The view of ``actgrad table``: per function, z, g, g′, the numerical g′ and their error."""

from __future__ import annotations

from typing import IO, Any, Sequence

import numpy as np

from ..io.numbers import format_floats
from ..io.richtext import render
from ..io.writers import Output, write_rows
from ..numerics.gradcheck import verdict

#: the machine formats' columns
COLUMNS = ("function", "z", "g", "dg", "dg_numeric", "rel_error", "kink")


def _error_style(err: float) -> str:
    return {"n/a": "dim", "good": "green", "wrong": "bold red"}.get(verdict(err), "yellow")


def write(fmt: str, rows: Sequence[Any], stream: IO[bytes] | None = None) -> None:
    """Each function's rows: a rich table per function, or one csv/tsv/json/jsonl document.

    A row set has ``f`` (the Activation), ``z``, ``g``, ``dg``, ``dg_numeric``, ``error``
    and ``kink`` (a mask of the points at a kink).
    """
    if fmt != "table":
        write_rows(fmt, COLUMNS, [(np.full(len(r.z), r.f.name), r.z, r.g, r.dg, r.dg_numeric,
                                   r.error, r.kink) for r in rows])
        return
    from rich.table import Table
    from rich.text import Text

    tables: list[Any] = []
    for r in rows:
        f = r.f
        title = f"{f.name}:  {f.spec.formula}   {f.spec.deriv_formula}"
        if f.params:
            title += "   (" + ", ".join(f"{k}={v!r}" for k, v in f.params.items()) + ")"
        t = Table()
        kinks = bool(np.any(r.kink))  # the column of kink marks only where there is one
        for c in ("z", "g(z)", "g′(z)", "numerical g′", "rel. error", *([""] if kinks else [])):
            t.add_column(c, justify="right" if c else "left", no_wrap=True)
        cells = [format_floats(np.asarray(c)) for c in (r.z, r.g, r.dg, r.dg_numeric, r.error)]
        for i, row in enumerate(zip(*cells)):
            at_kink = bool(r.kink[i])
            mark = [Text("◆ kink", style="magenta") if at_kink else Text("")] if kinks else []
            t.add_row(*row[:4], Text(row[4], style=_error_style(float(r.error[i]))), *mark,
                      style="dim" if abs(float(r.dg[i])) < 1e-4 and not at_kink else None)
        tables += [Text(title, style="bold"), t]
    Output(stream).write(render(tables))
