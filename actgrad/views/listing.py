"""The view of ``actgrad list``: names, aliases, parameters, formulas and kinks."""

from __future__ import annotations

import math
from typing import IO, Any, Sequence

import numpy as np

from ..io.richtext import rich_table
from ..io.writers import Output, write_rows
from ..registry import Activation

COLUMNS = ("name", "aliases", "parameters", "g", "dg", "dg_from_a", "kinks", "sources")
_HEADINGS = ("name", "aliases", "parameters", "g(z)", "g′(z)", "g′ from a", "kinks")
#: the columns of the default (not --wide) table: what fits 80 columns
_COMPACT = (0, 1, 2, 6)
#: the formula columns, which may break inside a word to fit (--wide)
_FORMULAS = (3, 4, 5)


def sources(sp: Any) -> list[str]:
    """Where a function ships: the Spec's sources (framework: name (path)), else the
    frameworks among PyTorch and JAX that have it."""
    return list(sp.sources) if sp.sources else [f"{fw}" for fw in sp.frameworks]


def _json_value(v: Any) -> Any:
    """A parameter's default for JSON: non-finite floats as "inf", "-inf", "nan"."""
    return repr(v) if isinstance(v, float) and not math.isfinite(v) else v


def write(fmt: str, acts: Sequence[Activation], stream: IO[bytes] | None = None,
          wide: bool = False) -> None:
    """The catalogue; as a table, names, aliases, parameters and kinks, with the formulas
    too when `wide` (the other formats always have every column)."""
    rows = []
    for f in acts:
        sp = f.spec
        rows.append((
            sp.name,
            " ".join(sp.aliases),
            " ".join(f"{p.name}={p.default!r}" for p in sp.params),
            sp.formula,
            sp.deriv_formula,
            sp.from_output_formula if f.has_deriv_from_output else "",
            " ".join(repr(k.at) for k in f.kinks),
            "; ".join(sources(sp)),
        ))
    out = Output(stream)
    if fmt == "table":
        if wide:  # the formulas, then where each function ships (a table of its own)
            out.write(rich_table(_HEADINGS, [row[:7] for row in rows], title="activations",
                                 fold=(1, *_FORMULAS)))
            out.write(rich_table(("name", "ships in"), [(row[0], row[7]) for row in rows],
                                 title="sources", fold=(1,)))
        else:
            out.write(rich_table([_HEADINGS[i] for i in _COMPACT],
                                 [[row[i] for i in _COMPACT] for row in rows],
                                 title="activations", fold=(1,),  # (aliases, at 60 columns)
                                 caption="formulas and sources: actgrad list --wide"))
        return
    if fmt in ("json", "jsonl"):  # structured: lists, an object of defaults, numbers
        import orjson

        objs = [orjson.dumps({
            "name": f.spec.name, "aliases": list(f.spec.aliases),
            "parameters": {p.name: _json_value(p.default) for p in f.spec.params},
            "g": f.spec.formula, "dg": f.spec.deriv_formula,
            "dg_from_a": f.spec.from_output_formula if f.has_deriv_from_output else None,
            "kinks": [k.at for k in f.kinks],
            "sources": sources(f.spec),
        }).decode() for f in acts]
        out.write("\n".join(objs) + "\n" if fmt == "jsonl" else
                  "[\n" + "\n,".join(objs) + "\n]\n")
        return
    write_rows(fmt, COLUMNS, [[np.array(c, dtype=object).astype(str)
                               for c in zip(*rows)]],
               stream)
