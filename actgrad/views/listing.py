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


def _aliases(sp: Any) -> str:
    """The aliases, then the variant names, each group after the parameters it fixes:
    'gelu_python approximate=tanh: gelu_new gelu_accurate'."""
    groups: dict[Any, list[str]] = {}
    for name, fixed in sp.variants:
        groups.setdefault(tuple(fixed), []).append(name)
    parts = list(sp.aliases)
    for fixed, group in groups.items():
        parts += [f"{','.join(f'{k}={v}' for k, v in fixed)}:", *group]
    return " ".join(parts)


def write(fmt: str, acts: Sequence[Activation], stream: IO[bytes] | None = None,
          wide: bool = False) -> None:
    """The catalogue; as a table, names, aliases, parameters and kinks, with the formulas
    too when `wide` (the other formats always have every column)."""
    rows = []
    for f in acts:
        sp = f.spec
        rows.append((
            sp.name,
            _aliases(sp),
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
            "variants": {n: dict(fixed) for n, fixed in f.spec.variants},
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


LIKE_COLUMNS = ("name", "change", "catalogue", "framework")


def like_rows(like: str) -> list[tuple[str, str, str, str]]:
    """What --like `like` changes against the catalogue's defaults (PyTorch's kink rule):
    (function, what, catalogue's, the framework's) per parameter default and per kink
    value that differ, and a row for each function the framework does not ship."""
    from .. import profiles, registry

    rows = []
    for n in registry.names():
        plain, as_fw = registry.get(n), registry.get(n, like=like)
        shipped = profiles.ships(like, n)
        if shipped is False:
            rows.append((n, "not shipped", "", "—"))
            continue
        for key, v in as_fw.params.items():
            if v != plain.params[key]:
                rows.append((n, key, _short(plain.params[key]), _short(v)))
        for k in as_fw.kinks:
            old = float(plain.deriv(np.float64(k.at)))
            new = float(as_fw.deriv(np.float64(k.at)))
            if old != new:
                rows.append((n, f"g′({_short(k.at)})", _short(old), _short(new)))
    return rows


def _short(v: Any) -> str:
    if isinstance(v, float):
        return "0" if v == 0 else repr(v) if not v.is_integer() else repr(int(v))
    return str(v)


def write_like(fmt: str, like: str, stream: IO[bytes] | None = None) -> None:
    """`actgrad list --like NAME`: the framework, its source and version, and what it
    changes (parameter defaults, g′ at kinks, functions it lacks), then its known defects."""
    from .. import profiles

    p = profiles.BY_NAME[like]
    rows = like_rows(like)
    out = Output(stream)
    if fmt == "table":
        shown = [r for r in rows if r[1] != "not shipped"]
        missing = [r[0] for r in rows if r[1] == "not shipped"]
        notes = ["catalogue: actgrad's defaults, g′ at kinks as PyTorch's autograd"]
        notes += [f"not in {like}: {', '.join(missing)}"] if missing else []
        notes += ["kinks not measured: PyTorch's rule"] if not any(
            r.framework == like for r in profiles.KINKS) and p.convention not in (
            "pytorch", "jax") else []
        notes += [f"known defect: {d.text}" for d in profiles.DEFECTS if d.framework == like]
        notes += [f"note: {text}" for fw, _, text in profiles.NOTES if fw == like]
        notes.append(f"source: {p.source}")
        out.write(rich_table(("name", "change", "catalogue", like), shown or [("—", "", "", "")],
                             title=f"as {p.title} {p.version}",
                             caption="\n".join(_wrap(n) for n in notes)))
        return
    if fmt in ("json", "jsonl"):
        import orjson

        objs = [orjson.dumps(dict(zip(LIKE_COLUMNS, r))).decode() for r in rows]
        out.write("\n".join(objs) + "\n" if fmt == "jsonl" and objs else
                  "" if fmt == "jsonl" else "[\n" + "\n,".join(objs) + "\n]\n")
        return
    write_rows(fmt, LIKE_COLUMNS, [[np.array(c, dtype=object).astype(str) for c in zip(*rows)]]
               if rows else [], stream)


def _wrap(text: str, width: int = 79) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width, subsequent_indent="  "))
