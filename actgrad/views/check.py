"""The view of ``actgrad check``: the gradient check's verdict per function (of g′, or with
--order 2 of g″; the columns are the same, a kink of order 2 being a jump of g′ or of g″)."""

from __future__ import annotations

from typing import IO, Sequence

import numpy as np

from ..io.numbers import format_floats
from ..io.richtext import rich_table
from ..io.writers import Output, write_rows
from ..numerics.gradcheck import CheckResult

#: the machine formats' columns
COLUMNS = ("function", "checked", "near_kink", "left_out", "unresolved", "max_rel_error",
           "worst_z", "verdict", "passed")
_HEADINGS = ("function", "points", "near kinks", "kinks (left out)", "unresolved",
             "max rel. error", "worst z", "verdict", "passed")


def write(fmt: str, results: Sequence[CheckResult], stream: IO[bytes] | None = None) -> None:
    cols = (
        np.array([r.function for r in results]),
        np.array([r.checked for r in results], dtype=np.int64),
        np.array([r.near_kink for r in results], dtype=np.int64),
        np.array([r.left_out for r in results], dtype=np.int64),
        np.array([r.unresolved for r in results], dtype=np.int64),
        np.array([r.max_rel_error for r in results], dtype=np.float64),
        np.array([r.worst_z for r in results], dtype=np.float64),
        np.array([r.verdict for r in results]),
        np.array([r.passed for r in results], dtype=bool),
    )
    if fmt != "table":
        write_rows(fmt, COLUMNS, [cols], stream)
        return
    failed = [r.function for r in results if not r.passed]
    tol = results[0].tol if results else 0.0
    caption = (f"all {len(results)} within --tol {tol!r}" if not failed
               else f"FAILED (above --tol {tol!r}): {', '.join(failed)}")
    if not any(r.unresolved for r in results):  # the column only where there is one
        cols = cols[:4] + cols[5:]
        headings = _HEADINGS[:4] + _HEADINGS[5:]
    else:
        headings = _HEADINGS
    texts = [format_floats(c) if c.dtype.kind == "f" else
             [str(v) for v in c.tolist()] if c.dtype.kind == "i" else
             (["yes" if v else "NO" for v in c.tolist()] if c.dtype.kind == "b" else c.tolist())
             for c in cols]
    second = bool(results) and results[0].order == 2
    title = "second-derivative check: g″ against differences of g′" if second else "gradient check"
    Output(stream).write(rich_table(headings, list(zip(*texts)), title=title,
                                    caption=caption, errors=(headings.index("max rel. error"),),
                                    # the caption names every failure, and a failing row is red
                                    optional=(headings.index("passed"),),
                                    styles=lambda row: None if row[-1] == "yes" else "red"))
