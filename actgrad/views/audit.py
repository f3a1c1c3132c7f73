"""The view of ``actgrad check FUNC --impl/--values/--deriv``: an implementation's audit.

The table format: the verdict, the errors per region, the worst point of each region (the
value given there and the exact one), the kinks with the convention the values follow, and
the diagnoses; csv/tsv/json/jsonl: one row per region, kink and diagnosis (``kind``).
"""

from __future__ import annotations

from typing import IO, Any

import numpy as np

from ..auditing import AuditReport
from ..io.numbers import format_floats
from ..io.richtext import render
from ..io.writers import Output, write_rows

#: the machine formats' columns
COLUMNS = ("function", "dtype", "kind", "region", "points", "max_ulp", "max_rel_error",
           "worst_z", "given", "exact", "above_tol", "nan_inf", "note", "passed")


def _rows(r: AuditReport) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    for g in r.regions:
        rows.append(("region", g.region, g.points, g.max_ulp, g.max_rel, g.worst_z,
                     g.worst_given, g.worst_exact, g.above_tol, g.nonfinite, "",
                     g.above_tol == 0))
    for k in r.kinks:
        rows.append(("kink", f"z = {r.show(k.at)}", 1, np.nan, np.nan, k.at, k.given,
                     np.nan, 0 if k.ok else 1, 0, k.convention, k.ok))
    for d in r.diagnoses:
        rows.append(("diagnosis", "", 0, np.nan, np.nan, np.nan, np.nan, np.nan, 0, 0, d,
                     False))
    for n in r.notes:
        rows.append(("note", "", 0, np.nan, np.nan, np.nan, np.nan, np.nan, 0, 0, n, True))
    return rows


def write(fmt: str, report: AuditReport, stream: IO[bytes] | None = None) -> None:
    if fmt != "table":
        rows = _rows(report)
        dt = np.dtype(report.dtype)
        cols = list(zip(*rows)) if rows else [()] * 12
        n = len(rows)
        block = (
            np.full(n, report.function), np.full(n, report.dtype), np.array(cols[0]),
            np.array(cols[1]), np.array(cols[2], dtype=np.int64),
            np.array(cols[3], dtype=np.float64), np.array(cols[4], dtype=np.float64),
            np.array(cols[5], dtype=dt), np.array(cols[6], dtype=dt),
            np.array(cols[7], dtype=dt), np.array(cols[8], dtype=np.int64),
            np.array(cols[9], dtype=np.int64), np.array(cols[10]),
            np.array(cols[11], dtype=bool))
        write_rows(fmt, COLUMNS, [block], stream)
        return
    Output(stream).write(render(renderables(report)))


def _table(headings: tuple[str, ...], numeric: tuple[bool, ...], rows: list[list[str]],
           styles: list[str | None] | None = None) -> Any:
    from rich.table import Table

    t = Table()
    for h, num in zip(headings, numeric):
        t.add_column(h, justify="right" if num else "left", no_wrap=True)
    for i, row in enumerate(rows):
        t.add_row(*row, style=styles[i] if styles else None)
    return t


def renderables(r: AuditReport) -> list[Any]:
    from rich.text import Text

    dt = np.dtype(r.dtype)
    out: list[Any] = [Text(r.headline(), style="bold" if r.ok else "bold red")]
    ulp = [_ulp(g.max_ulp) for g in r.regions]
    rel = format_floats(np.array([g.max_rel for g in r.regions], dtype=np.float64))
    out.append(_table(
        ("region", "points", "max ULP", "max rel. error", "above tol", "nan/inf"),
        (False, True, True, True, True, True),
        [[g.region, str(g.points), u, e, str(g.above_tol), str(g.nonfinite)]
         for g, u, e in zip(r.regions, ulp, rel)],
        [None if g.above_tol == 0 else "red" for g in r.regions]))
    if r.regions:
        texts = [format_floats(np.array(c, dtype=dt)) for c in zip(
            *[(g.worst_z, g.worst_given, g.worst_exact) for g in r.regions])]
        out.append(Text("worst point of each region:"))
        out.append(_table(("region", "z", "given", "exact"), (False, True, True, True),
                          [[g.region, *row] for g, row in zip(r.regions, zip(*texts))]))
    if r.kinks:
        texts = [format_floats(np.array(c, dtype=dt)) for c in zip(
            *[(k.at, k.given, k.left, k.right) for k in r.kinks])]
        out.append(Text("kinks: the value given there and the convention it follows:"))
        out.append(_table(("z", "given", "follows", "left", "right"),
                          (True, True, False, True, True),
                          [[z, g, k.convention, lft, rgt]
                           for k, (z, g, lft, rgt) in zip(r.kinks, zip(*texts))],
                          [None if k.ok else "red" for k in r.kinks]))
    if r.diagnoses:
        out.append(Text("diagnosis:"))
        out += [Text("- " + d) for d in r.diagnoses]
    if r.notes:
        out.append(Text("notes:"))
        out += [Text("- " + n, style="dim") for n in r.notes]
    return out


def _ulp(v: float) -> str:
    if np.isfinite(v) and v == int(v) and abs(v) < 2**63:
        return str(int(v))
    return format_floats(np.array([v]))[0]
