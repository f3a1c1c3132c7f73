"""The views of `check` and `table` for the vector functions (numerics/vector_check): the
verdict per function, and per function its Jacobian entries (or gated partials) against the
numerical ones."""

from __future__ import annotations

from typing import IO, Sequence

import numpy as np

from ..io.numbers import format_floats
from ..io.richtext import rich_table
from ..io.writers import Output, write_rows
from ..numerics.vector_check import VectorCheck, VectorTable

CHECK_COLUMNS = ("function", "vectors", "entries", "max_rel_error", "max_row_sum", "worst",
                 "verdict", "passed")
_CHECK_HEADINGS = ("function", "vectors", "entries", "max rel. error", "row sums",
                   "worst at", "verdict", "passed")


def write_check(fmt: str, results: Sequence[VectorCheck], stream: IO[bytes] | None = None
                ) -> None:
    cols = (np.array([r.function for r in results]),
            np.array([r.vectors for r in results], dtype=np.int64),
            np.array([r.entries for r in results], dtype=np.int64),
            np.array([r.max_rel_error for r in results], dtype=np.float64),
            np.array([r.row_sum for r in results], dtype=np.float64),
            np.array([r.worst for r in results]),
            np.array([r.verdict for r in results]),
            np.array([r.passed for r in results], dtype=bool))
    if fmt != "table":
        write_rows(fmt, CHECK_COLUMNS, [cols], stream)
        return
    failed = [r.function for r in results if not r.passed]
    tol = results[0].tol if results else 0.0
    caption = ("row sums: max |Σ_j J_ij| / max |J| (0 in exact arithmetic); "
               + (f"all {len(results)} within --tol {tol!r}" if not failed
                  else f"FAILED: {', '.join(failed)}"))
    texts = [[f"{v:.3g}" for v in c.tolist()] if c.dtype.kind == "f" else
             [str(v) for v in c.tolist()] if c.dtype.kind == "i" else
             (["yes" if v else "NO" for v in c.tolist()] if c.dtype.kind == "b" else c.tolist())
             for c in cols]
    texts[4] = ["—" if t == "nan" else t for t in texts[4]]
    del texts[5]  # (the worst vector: in the machine formats; too wide here)
    Output(stream).write(rich_table(
        _CHECK_HEADINGS[:5] + _CHECK_HEADINGS[6:], list(zip(*texts)),
        title="Jacobian check: analytic against central differences in mpmath (120 digits)",
        caption=caption, styles=lambda row: None if row[-1] == "yes" else "red"))


def write_table(fmt: str, tables: Sequence[VectorTable], stream: IO[bytes] | None = None
                ) -> None:
    if fmt != "table":
        for t in tables:  # (one document per function: the columns differ by kind)
            cols = list(zip(*t.rows)) if t.rows else [[] for _ in t.columns]
            arrays = [np.full(len(t.rows), t.f.name)] + [
                np.array(c, dtype=np.int64 if isinstance(c[0], int) else np.float64)
                if len(c) else np.array([]) for c in cols]
            write_rows(fmt, ("function",) + t.columns, [arrays], stream)
        return
    out = []
    for t in tables:
        heads = {"vector": "#", "y_i": "y_i", "J_ij": "J_ij", "J_ij_numeric": "numerical",
                 "rel_error": "rel. error", "dy_dg": "∂y/∂g", "dy_dg_numeric": "numerical",
                 "dy_du": "∂y/∂u", "dy_du_numeric": "numerical"}
        rows = [[str(v) if isinstance(v, int) else format_floats(np.array([v]))[0] for v in r]
                for r in t.rows]
        title = f"{t.f.name}:  {t.f.formula}"
        if getattr(t.f, "deriv_formula", None):
            title += f"   {t.f.deriv_formula}"
        out.append(rich_table([heads.get(c, c) for c in t.columns], rows, title=title,
                              errors=[i for i, c in enumerate(t.columns) if c == "rel_error"],
                              optional=[i for i, c in enumerate(t.columns)
                                        if c.endswith("_numeric")]))
    Output(stream).write("\n".join(out))
