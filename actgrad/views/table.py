"""The view of ``actgrad table``: per function, z, g, g′, the numerical g′ and their error."""

from __future__ import annotations

from typing import IO, Any, Sequence

import numpy as np

from ..io.numbers import format_floats
from ..io.richtext import render
from ..io.writers import Output, write_rows
from ..numerics.gradcheck import TableRows, verdict

#: the machine formats' columns
COLUMNS = ("function", "z", "g", "dg", "dg_numeric", "rel_error", "kind")
_MARKS = {"kink": ("◆ kink", "magenta"), "near kink": ("near kink", "cyan")}


def _error_style(err: float) -> str:
    return {"n/a": "dim", "good": "green", "wrong": "bold red"}.get(verdict(err), "yellow")


def write(fmt: str, rows: Sequence[TableRows], stream: IO[bytes] | None = None) -> None:
    """Each function's rows: a rich table per function, or one csv/tsv/json/jsonl document.

    A point's kind is "kink" (g′ is the convention; no numerical g′, so nan in the machine
    formats and — in the table), "near kink" (checked one-sided) or "".
    """
    if fmt != "table":
        write_rows(fmt, COLUMNS, [(np.full(len(r.z), r.f.name), r.z, r.g, r.dg, r.dg_numeric,
                                   r.error, r.kind) for r in rows], stream)
        return
    from rich.table import Table
    from rich.text import Text

    tables: list[Any] = []
    for r in rows:
        f = r.f
        spec = getattr(f, "spec", None)  # an expression in z has no catalogue formulas
        title = f"{f.name}:  {spec.formula}   {spec.deriv_formula}" if spec else f.name
        if f.params:
            title += "   (" + ", ".join(f"{k}={v!r}" for k, v in f.params.items()) + ")"
        t = Table()
        marks = bool(np.any(r.kind != ""))  # the column of marks only where there is one
        for c in ("z", "g(z)", "g′(z)", "numerical g′", "rel. error", *([""] if marks else [])):
            t.add_column(c, justify="right" if c else "left", no_wrap=True)
        cells = [format_floats(np.asarray(c)) for c in (r.z, r.g, r.dg, r.dg_numeric, r.error)]
        for i, row in enumerate(zip(*cells)):
            kind = str(r.kind[i])
            at_kink = kind == "kink"
            text, style = _MARKS.get(kind, ("", None))
            mark = [Text(text, style=style)] if marks else []
            numeric, error = ("—", "—") if at_kink else row[3:5]
            t.add_row(*row[:3], numeric, Text(error, style=_error_style(float(r.error[i]))),
                      *mark, style="dim" if abs(float(r.dg[i])) < 1e-4 and not at_kink else None)
        tables += [Text(title, style="bold"), t]
    Output(stream).write(render(tables))
