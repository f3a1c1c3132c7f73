"""`actgrad explain`: a short lesson on one activation, in English or Hindi.

The words live in ``actgrad/texts/<lang>.toml`` (read with tomllib): ``[headings]`` and
``[shared]`` hold what every function uses (section titles, the paragraphs on backpropagation,
saturation, kinks and floating point, with ``{placeholders}``), ``[functions.<name>]`` what is
particular to one function (title, idea, derivation, what to expect, saturation, floating
point, and the g″ texts: its derivation and its stable form). Everything numeric is computed
here, at run time, from the registry: the formulas, the sanity values at z = −10, 0, 10, the
region where g′ is small, the kinks with the value PyTorch and JAX return, a live example of
the cancellation in g′-from-a, and for g″ its values at z = 0, ±10 and ±40 (from z and from
a), its jumps and the deltas at the kinks of g′ with what the frameworks' double backward
returns there, and the same live example for g″-from-a. No number shown as a result is typed
into a text file.
"""

from __future__ import annotations

import os
import shutil
import textwrap
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Mapping

import numpy as np

from ..registry import Activation

LANGS = ("en", "hi")
#: the sanity-check points
SANITY_Z = (-10.0, 0.0, 10.0)
#: g′ counts as near 0 below this, looked for on a grid of step 0.01 over [−20, 20]
SMALL_SLOPE = 0.01
GRID = np.arange(-2000, 2001) / 100.0
#: where the live example of cancellation in g′-from-a is looked for
DEMO_Z = (40.0, 20.0, 10.0, -10.0, -20.0, -40.0)
#: the keys each function's entry must have (tests hold both languages to them)
ENTRY_KEYS = ("title", "idea", "derivation", "expect", "saturation", "precision")
#: the g″ texts of each function's entry: its derivation (kept as written, like
#: "derivation") and its stable form, with what a naive form loses
SECOND_KEYS = ("second_derivation", "second_precision")
OPTIONAL_KEYS = ("why_not_from_a",)
#: where g″ is shown: z = 0, the sanity points and a tail point on each side
SECOND_Z = (-40.0, -10.0, 0.0, 10.0, 40.0)


def default_lang(environ: Mapping[str, str] | None = None) -> str:
    """Hindi when the first of LC_ALL, LC_MESSAGES, LANG that is set and not empty starts
    with 'hi' (hi_IN.UTF-8); English otherwise."""
    env = os.environ if environ is None else environ
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var)
        if value:
            return "hi" if value.lower().startswith("hi") else "en"
    return "en"


@lru_cache(maxsize=None)
def load(lang: str) -> dict[str, Any]:
    """The text catalogue of one language (packaged as actgrad/texts/<lang>.toml)."""
    import tomllib

    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r} (allowed: {', '.join(LANGS)})")
    data = (resources.files("actgrad") / "texts" / f"{lang}.toml").read_text(encoding="utf-8")
    return tomllib.loads(data)


# -- what to say -------------------------------------------------------------------------------


def _para(text: str) -> str:
    """A paragraph as one line (the catalogues wrap their source lines); renderers rewrap it."""
    return " ".join(text.split())


@dataclass(frozen=True)
class Block:
    """One piece of the lesson: kind is title, heading, para (a paragraph), math (lines kept
    as written), formula or items (lines, each wrapped with a hanging indent) or table."""

    kind: str
    text: str = ""
    rows: tuple[tuple[str, ...], ...] = ()


def _num(v: float) -> str:
    return repr(float(v))


def _z(v: float) -> str:
    """A grid point for prose: −4.6, 0, 12.35 (shortest decimal, Unicode minus)."""
    text = f"{v:.2f}".rstrip("0").rstrip(".")
    text = "0" if text in ("-0", "") else text
    return text.replace("-", "−")


def small_slope_regions(f: Activation) -> list[tuple[float, float, bool]]:
    """Runs of the grid where |g′| < SMALL_SLOPE: (first z, last z, g′ exactly 0 on the run)."""
    d = np.abs(np.asarray(f.deriv(GRID), dtype=np.float64))
    small = d < SMALL_SLOPE
    idx = np.flatnonzero(small)
    if idx.size == 0:
        return []
    runs = np.split(idx, np.flatnonzero(np.diff(idx) != 1) + 1)
    return [(float(GRID[r[0]]), float(GRID[r[-1]]), bool((d[r] == 0).all())) for r in runs]


def _region_text(lo: float, hi: float, zero: bool, shared: Mapping[str, str]) -> str:
    first, last = float(GRID[0]), float(GRID[-1])
    if lo == first and hi == last:
        text = f"{_z(first)} ≤ z ≤ {_z(last)}"
    elif lo == first:
        text = f"z ≤ {_z(hi)}"
    elif hi == last:
        text = f"z ≥ {_z(lo)}"
    elif lo == hi:
        text = f"z = {_z(lo)}"
    else:
        text = f"{_z(lo)} ≤ z ≤ {_z(hi)}"
    return shared["region_zero" if zero else "region"].format(region=text)


def _from_a(f: Activation, z: float) -> float | None:
    try:
        return float(f.deriv_from_output(f(np.float64(z))))
    except ValueError:  # an output g cannot produce after rounding, or no formula
        return None


def _from_a2(f: Activation, z: float) -> float | None:
    """g″ from the rounded output a = g(z), None where g″ is no function of a."""
    if f.from_output_unavailable(order=2) is not None:
        return None
    try:
        return float(f.deriv_from_output(f(np.float64(z)), order=2))
    except ValueError:  # an output g cannot produce after rounding
        return None


@dataclass(frozen=True)
class Point:
    """Where g′ has a kink (``dg``: its one-sided slopes) or g″ jumps (``d2g``: its one-sided
    values), or both, and what each framework that ships the function returns there for g″
    (``frameworks``: (("PyTorch", value), ("JAX", value)), the Spec's order)."""

    at: float
    dg: tuple[float, float] | None
    d2g: tuple[float, float] | None
    frameworks: tuple[tuple[str, float], ...]


def second_points(f: Activation) -> list[Point]:
    """The kinks of g′ and the jumps of g″, in order of z, with the double backward's values
    (the registry's kinks2 conventions; at a kink of g′ alone, the derivative of the branch
    taken, which the registry's g″ gives there)."""
    kinks = {k.at: (k.left, k.right) for k in f.kinks  # (a jump of g alone (step),
             if not (k.g_jumps and k.left == k.right)}  # slopes equal: no delta in g″)
    jumps = {k.at: (k.left, k.right) for k in f.kinks2}
    return [Point(at, kinks.get(at), jumps.get(at),
                  tuple((fw, float(f.deriv(np.float64(at), kink=fw.lower(), order=2)))
                        for fw in f.spec.frameworks))
            for at in sorted(set(kinks) | set(jumps))]


def _rel(x: float, y: float) -> float:
    if x == y:
        return 0.0
    return abs(x - y) / (abs(x) + abs(y))


@dataclass(frozen=True)
class _Lesson:
    """What every section of a lesson reads: the function and the texts of its language."""

    f: Activation
    entry: Mapping[str, Any] | None  # the function's own texts (None: missing)
    head: Mapping[str, str]
    shared: Mapping[str, str]

    def para(self, key: str, **values: Any) -> Block:
        return Block("para", _para(self.shared[key].format(**values)))


def lesson(f: Activation, lang: str) -> list[Block]:
    """The explanation of f as blocks, every number computed from the registry now."""
    cat = load(lang)
    t = _Lesson(f, cat["functions"].get(f.name), cat["headings"], cat["shared"])
    out: list[Block] = []
    for section in (_intro, _formula, _derivation, _from_output, _sanity, _saturation, _kinks,
                    _profile, _precision, _second_derivation, _second_values):
        out += section(t)
    return out


def _intro(t: _Lesson) -> list[Block]:
    f, entry = t.f, t.entry
    if not entry:
        return [Block("title", f.name), t.para("missing", name=f.name)]
    return [Block("title", f"{f.name} — {entry['title']}"), Block("para", _para(entry["idea"]))]


def _formula(t: _Lesson) -> list[Block]:
    f, sp = t.f, t.f.spec
    out = [Block("heading", t.head["formula"]),
           Block("formula", f"g(z)  : {sp.formula}\ng′(z) : {sp.deriv_formula}")]
    if f.params:
        out.append(t.para("params", params=", ".join(f"{k} = {v!r}" for k, v in f.params.items())))
        defaults = {p.name: p.default for p in sp.params}
        if dict(f.params) != defaults:  # the prose is written for the defaults; numbers are live
            out.append(t.para("params_not_default",
                              defaults=", ".join(f"{k} = {v!r}" for k, v in defaults.items())))
    return out


def _derivation(t: _Lesson) -> list[Block]:
    if not t.entry:
        return []
    return [Block("heading", t.head["derivation"]), Block("math", t.entry["derivation"].strip())]


def _from_output(t: _Lesson) -> list[Block]:
    out = [Block("heading", t.head["from_output"])]
    if t.f.has_deriv_from_output:
        out += [Block("math", f"g′ = {t.f.spec.from_output_formula}"), t.para("from_output")]
    else:
        out.append(t.para("no_from_output"))
        if t.entry and t.entry.get("why_not_from_a"):
            out.append(Block("para", _para(t.entry["why_not_from_a"])))
    return out


def _sanity(t: _Lesson) -> list[Block]:
    f = t.f
    out = [Block("heading", t.head["sanity"]), t.para("sanity_intro")]
    columns = list(t.shared["sanity_columns"])
    with_a = f.has_deriv_from_output
    if not with_a:
        columns = columns[:3]
    rows = [tuple(columns)]
    for z in SANITY_Z:
        row = [_num(z), _num(f(z)), _num(f.deriv(z))]
        if with_a:
            from_a = _from_a(f, z)
            row.append("" if from_a is None else _num(from_a))
        rows.append(tuple(row))
    out.append(Block("table", rows=tuple(rows)))
    at_kinks = [z for z in SANITY_Z if any(k.at == z for k in f.kinks)]
    if f.kink == "pytorch":
        out += [t.para("sanity_kink", z=_z(z)) for z in at_kinks]
    else:  # --like another framework: its value there (the profile's section says which)
        from ..profiles import BY_NAME

        name = BY_NAME[f.like].title.split(" (")[0] if f.like else f.kink
        out += [t.para("sanity_kink_like", z=_z(z), framework=name) for z in at_kinks]
    if t.entry:
        out.append(Block("para", _para(t.entry["expect"])))
    return out


def _saturation(t: _Lesson) -> list[Block]:
    out = [Block("heading", t.head["saturation"])]
    if t.entry:
        out.append(Block("para", _para(t.entry["saturation"])))
    regions = small_slope_regions(t.f)
    if regions:
        text = t.shared["and"].join(_region_text(lo, hi, zero, t.shared)
                                    for lo, hi, zero in regions)
        out.append(t.para("saturation_found", regions=text))
    else:
        out.append(t.para("saturation_none"))
    return out + [t.para("saturation_why")]


def exact_decimal(q: Any, digits: int = 21) -> str:
    """A rational as a decimal: all of it if it ends within `digits` significant digits, else
    `digits` of them (truncated) and '…'."""
    import decimal

    with decimal.localcontext() as ctx:
        ctx.prec = digits + 5
        ctx.rounding = decimal.ROUND_DOWN
        d = decimal.Decimal(q.numerator) / decimal.Decimal(q.denominator)
        ctx.prec = digits
        cut = +d
    exact = decimal.Decimal(cut).as_integer_ratio() == (q.numerator, q.denominator)
    text = f"{cut:f}" if abs(cut.adjusted()) < 16 else f"{cut:e}"
    return text if exact else text + "…"


def _off_kink_lines(t: _Lesson) -> list[str]:
    f = t.f
    return [t.shared["off_kink_line"].format(
        exact=exact_decimal(k.at), below=_num(k.below), above=_num(k.above),
        left=_num(k.left), right=_num(k.right),
        g_below=_num(float(f.deriv(np.float64(k.below)))),
        g_above=_num(float(f.deriv(np.float64(k.above))))) for k in f.off_kinks]


def _kinks(t: _Lesson) -> list[Block]:
    f = t.f
    out = [Block("heading", t.head["kinks"])]
    if not f.kinks and f.off_kinks:
        return out + [t.para("off_kinks_intro"), Block("items", "\n".join(_off_kink_lines(t)))]
    if not f.kinks:
        return out + [t.para("no_kinks")]
    lines = []
    for k in f.kinks:
        slopes = dict(at=_num(k.at), left=_num(k.left), right=_num(k.right))
        given = f.framework_slopes(k)
        if len(given) == 2:
            (_, pt), (_, jx) = given
            lines.append(t.shared["kink_line"].format(**slopes, pytorch=_num(pt), jax=_num(jx)))
        else:  # one framework ships it: say only what that one returns
            (framework, value), = given
            lines.append(t.shared["kink_line_one"].format(
                **slopes, framework=framework, value=_num(value)))
        if k.g_jumps:  # step: the slopes agree, g itself jumps
            at = np.float64(k.at)
            jump = float(f(np.nextafter(at, np.inf))) - float(f(np.nextafter(at, -np.inf)))
            lines[-1] += t.shared["kink_g_jumps"].format(jump=_num(jump))
    out += [t.para("kinks_intro"), Block("items", "\n".join(lines))]
    if f.off_kinks:
        out += [t.para("off_kinks_intro"), Block("items", "\n".join(_off_kink_lines(t)))]
    ships = f.spec.frameworks
    if len(ships) == 1:
        missing = "JAX" if ships[0] == "PyTorch" else "PyTorch"
        out.append(t.para("kink_fallback", missing=missing, name=f.name,
                          missing_key=missing.lower(), framework=ships[0]))
    return out + [t.para("kink_note")]


def _profile(t: _Lesson) -> list[Block]:
    """With --like: the framework's defaults used, its g′ at each kink, its known defects."""
    f = t.f
    if f.like is None:
        return []
    from .. import profiles

    p = profiles.BY_NAME[f.like]
    out = [Block("heading", t.head["profile"].format(framework=p.title, version=p.version))]
    if profiles.ships(f.like, f.name) is False:
        out.append(t.para("profile_not_shipped", framework=p.title, name=f.name))
    own = profiles.defaults(f.like, f.name)
    if own:
        out.append(t.para("profile_params", framework=p.title, params=", ".join(
            f"{k} = {f.params[k]!r}" for k in own), notes="; ".join(
            profiles.default_notes(f.like, f.name))))
    lines = []
    for k in f.kinks:
        value = _num(float(f.deriv(np.float64(k.at))))
        if p.convention in ("pytorch", "jax"):
            continue  # the Kinks section gives it
        recorded = any(name == p.convention for name, _, _ in k.special)
        lines.append(t.shared["profile_kink" if recorded else "profile_kink_fallback"].format(
            at=_num(k.at), framework=p.title.split(" (")[0], value=value, version=p.version))
    if lines:
        out.append(Block("items", "\n".join(lines)))
    for text in profiles.notes(f.like, f.name):
        out.append(Block("para", _para(text)))
    for text in f.defects():
        out.append(t.para("profile_defect", text=text))
    return out + [t.para("profile_note", like=f.like)]


def _precision(t: _Lesson) -> list[Block]:
    f = t.f
    out = [Block("heading", t.head["precision"])]
    if t.entry:
        out.append(Block("para", _para(t.entry["precision"])))
    if not f.has_deriv_from_output:
        return out
    tries = [(_rel(float(f.deriv(z)), a), z, a) for z in DEMO_Z
             if (a := _from_a(f, z)) is not None]
    worst = max(tries, key=lambda x: x[0], default=None)  # the first of equals
    if worst is not None and worst[0] > 1e-12:
        _, z, from_a = worst
        out.append(t.para("precision_from_a"))
        out.append(Block("items", t.shared["precision_demo"].format(
            z=_num(z), a=_num(f(z)), from_z=_num(f.deriv(z)), from_a=_num(from_a))))
    else:
        out.append(t.para("precision_from_a_fine", points=", ".join(_z(z) for z in DEMO_Z)))
    return out


def _second_derivation(t: _Lesson) -> list[Block]:
    f, sp = t.f, t.f.spec
    if sp.d2g is None:
        return []
    out = [Block("heading", t.head["second"]), Block("formula", f"g″(z) : {sp.d2_formula}")]
    text = t.entry.get("second_derivation", "").strip() if t.entry else ""
    out.append(Block("math", text) if text else t.para("second_missing", name=f.name))
    if f.from_output_unavailable(order=2) is None:
        out += [Block("math", f"g″ = {sp.d2_from_output_formula}"), t.para("second_from_output")]
    else:
        out.append(t.para("second_no_from_output_same" if not f.has_deriv_from_output
                          else "second_no_from_output"))
    return out


def _point_line(t: _Lesson, p: Point) -> str:
    if p.dg is not None:
        text = t.shared["second_delta_line"].format(at=_num(p.at), jump=_num(p.dg[1] - p.dg[0]))
        if p.d2g is not None:
            text += t.shared["second_beside"].format(left=_num(p.d2g[0]), right=_num(p.d2g[1]))
    else:
        assert p.d2g is not None
        text = t.shared["second_jump_line"].format(
            at=_num(p.at), left=_num(p.d2g[0]), right=_num(p.d2g[1]))
    if len(p.frameworks) == 2:
        (_, pt), (_, jx) = p.frameworks
        return text + t.shared["second_returns"].format(pytorch=_num(pt), jax=_num(jx))
    (framework, value), = p.frameworks
    return text + t.shared["second_returns_one"].format(framework=framework, value=_num(value))


def _second_values(t: _Lesson) -> list[Block]:
    f = t.f
    if f.spec.d2g is None:
        return []
    out = [Block("heading", t.head["second_values"]), t.para("second_intro")]
    with_a = f.from_output_unavailable(order=2) is None
    rows = [tuple(t.shared["second_columns"][:3 if with_a else 2])]
    for z in SECOND_Z:
        row = [_num(z), _num(f.deriv(z, order=2))]
        if with_a:
            from_a = _from_a2(f, z)
            row.append("" if from_a is None else _num(from_a))
        rows.append(tuple(row))
    out.append(Block("table", rows=tuple(rows)))
    points = second_points(f)
    out += [t.para("second_table_kink", z=_z(z)) for z in SECOND_Z
            if any(p.at == z for p in points)]
    if points:
        if any(p.d2g is not None for p in points):
            out.append(t.para("second_jumps_intro"))
        if any(p.dg is not None for p in points):
            out.append(t.para("second_delta_intro"))
        out += [Block("items", "\n".join(_point_line(t, p) for p in points)),
                t.para("second_kink_note")]
    elif not f.off_kinks:
        out.append(t.para("second_no_jumps"))
    if f.off_kinks:  # g′ jumps, but at no float
        out.append(Block("items", "\n".join(t.shared["second_off_kink_line"].format(
            exact=exact_decimal(k.at), jump=_num(k.right - k.left)) for k in f.off_kinks)))
    if t.entry and t.entry.get("second_precision", "").strip():
        out.append(Block("para", _para(t.entry["second_precision"])))
    if with_a:
        tries = [(_rel(float(f.deriv(z, order=2)), a), z, a) for z in DEMO_Z
                 if (a := _from_a2(f, z)) is not None]
        worst = max(tries, key=lambda x: x[0], default=None)  # the first of equals
        if worst is not None and worst[0] > 1e-12:
            _, z, from_a = worst
            out.append(Block("items", t.shared["second_demo"].format(
                z=_num(z), a=_num(f(z)), from_z=_num(f.deriv(z, order=2)), from_a=_num(from_a))))
        elif any(a != 0 for _, _, a in tries):  # all 0 (piecewise linear): nothing to compare
            out.append(t.para("second_from_a_fine", points=", ".join(_z(z) for z in DEMO_Z)))
    return out


# -- how to show it ----------------------------------------------------------------------------

_BODY = ("para", "math", "formula", "items", "table")


def _cells(text: str) -> int:
    """Terminal columns of text, roughly: combining marks (Devanagari's nukta, virama, most
    vowel signs below or above) take none."""
    return sum(unicodedata.category(c) not in ("Mn", "Me", "Cf") for c in text)


def _wrap(text: str, width: int, first: str = "", rest: str = "") -> list[str]:
    """Lines of at most `width` columns, broken at spaces only: a word (a number) is never cut,
    one longer than the line stands on a line of its own."""
    return textwrap.wrap(text, width=width, initial_indent=first, subsequent_indent=rest,
                         break_on_hyphens=False, break_long_words=False) or [""]


def _rjust(text: str, cells: int) -> str:
    return " " * max(0, cells - _cells(text)) + text


def table_lines(rows: tuple[tuple[str, ...], ...], width: int, indent: int = 2) -> list[str]:
    """The sanity table as lines of at most `width` columns where the numbers allow: a row per
    z, columns 3 or 2 spaces apart; where even that is too wide, a block per z with a line per
    value (never a cut number)."""
    head, body = rows[0], rows[1:]
    widths = [max(_cells(r[i]) for r in rows) for i in range(len(head))]
    for gap in (3, 2):
        if indent + sum(widths) + gap * (len(widths) - 1) <= width:
            return [" " * indent + (" " * gap).join(_rjust(c, w) for c, w in zip(r, widths)).rstrip()
                    for r in rows]
    label = max(_cells(h) for h in head[1:])
    out: list[str] = []
    for r in body:
        out.append(f"{' ' * indent}{head[0]} = {r[0]}")
        for h, v in zip(head[1:], r[1:]):
            out.append(f"{' ' * (indent + 2)}{h}{' ' * (label - _cells(h))}  {v}".rstrip())
    return out


def render_plain(blocks: list[Block], width: int = 80) -> str:
    """Plain text of at most `width` columns (40 to 100): headings underlined, paragraphs,
    math and lists wrapped, the table fitted; numbers are never cut."""
    width = max(40, min(width, 100))
    out: list[str] = []
    previous = ""
    for b in blocks:
        if previous in _BODY and b.kind in _BODY:
            out.append("")  # a blank line between the pieces of a section
        previous = b.kind
        if b.kind == "title":
            out += _wrap(b.text, width) + ["═" * min(_cells(b.text), width)]
        elif b.kind == "heading":
            out += [""] + _wrap(b.text, width) + ["─" * min(_cells(b.text), width)]
        elif b.kind == "para":
            out += _wrap(b.text, width)
        elif b.kind == "math":
            for line in b.text.splitlines():
                out += _wrap(line, width, "  ", "      ") if line.strip() else [""]
        elif b.kind in ("items", "formula"):
            hang = " " * (10 if b.kind == "formula" else 4)
            for line in b.text.splitlines():
                out += _wrap(line, width, "  ", hang)
        elif b.kind == "table":
            out += table_lines(b.rows, width)
    return "\n".join(out) + "\n"


def render_rich(blocks: list[Block], force: bool = False) -> str:
    """Styled text for a terminal (rich): coloured headings, bold math, a table of values.

    ``force`` styles it even when stdout is not a terminal (``--format rich``, for less -R).
    """
    from rich.console import Console, Group
    from rich.padding import Padding
    from rich.text import Text

    width = max(40, shutil.get_terminal_size((80, 24)).columns)
    parts: list[Any] = []
    previous = ""
    for b in blocks:
        if previous in _BODY and b.kind in _BODY:
            parts.append(Text(""))
        previous = b.kind
        if b.kind == "title":
            parts.append(Text(b.text, style="bold underline"))
        elif b.kind == "heading":
            parts += [Text(""), Text(b.text, style="bold cyan")]
        elif b.kind == "para":
            parts.append(Text(b.text))
        elif b.kind in ("math", "formula"):
            parts.append(Padding(Text(b.text, style="bold"), (0, 0, 0, 2)))
        elif b.kind == "items":
            parts.append(Padding(Text(b.text), (0, 0, 0, 2)))
        elif b.kind == "table":
            lines = table_lines(b.rows, width)
            if len(lines) == len(b.rows):  # a row per z: the headings bold
                parts += [Text(lines[0], style="bold"), *(Text(ln) for ln in lines[1:])]
            else:
                parts += [Text(ln, style="bold" if not ln.startswith("    ") else "")
                          for ln in lines]
    console = Console(highlight=False, force_terminal=True if force else None, width=width)
    with console.capture() as cap:
        console.print(Group(*parts))
    return cap.get()


# -- an expression in z ------------------------------------------------------------------------

#: where the kinks of an expression are looked for in z
EXPRESSION_KINK_RANGE = (-10.0, 10.0)


def expression_lesson(e: Any, lang: str) -> list[Block]:
    """``explain`` of an expression in z (``actgrad.expression.Expression``): its parsed
    form, the derivative rule at each node of it (``Expression.describe``), its kinks: the
    kinked primitives and the kinks in z on [−10, 10] with the slopes either side and what
    PyTorch and JAX return (``numerics.exprcheck.kinks_in``)."""
    from ..numerics.exprcheck import kinks_in

    texts = load(lang)
    t, shared = texts["expression"], texts["shared"]
    d = e.describe()
    out = [Block("title", t["title"].format(expression=d["expression"])),
           Block("heading", t["parsed"]), Block("para", _para(t["parsed_intro"])),
           Block("formula", f"g(z) = {d['expression']}")]
    if " ".join(e.source.split()) != d["expression"]:
        out.append(Block("para", t["as_written"].format(source=" ".join(e.source.split()))))
    lines: list[str] = []

    def walk(rule: dict[str, Any], depth: int) -> None:
        lines.append(f"{'  ' * depth}{rule['node']}:  {_rule_text(rule, t)}")
        for part in rule["parts"]:
            walk(part, depth + 1)

    walk(d["derivative"], 0)
    out += [Block("heading", t["derivative"]), Block("para", _para(t["derivative_intro"])),
            Block("math", "\n".join(lines))]
    why = d["second_derivative"]
    out.append(Block("para", t["second_missing"].format(why=why) if why else t["second"]))
    out.append(Block("heading", texts["headings"]["kinks"]))
    if not d["kinks"]:
        return out + [Block("para", t["no_kinks"])]
    sites = []
    for s in d["kinks"]:
        call = f"{s['primitive']}({', '.join(s['arguments'])})"
        if s["z"] is None:
            place = t["place_unknown"]
        else:
            place = t["place_exact" if s["z_exact"] else "place_between"].format(z=_num(s["z"]))
        if s["at"] is None:
            sites.append(t["site_tie"].format(call=call, place=place))
        else:
            sites.append(t["site"].format(call=call, argument=", ".join(s["arguments"]),
                                          at=_num(s["at"]), left=_num(s["left"]),
                                          right=_num(s["right"]), place=place))
    out += [Block("para", _para(t["kinks_intro"])), Block("items", "\n".join(sites))]
    found = kinks_in(e, *EXPRESSION_KINK_RANGE)
    if not found:
        return out + [Block("para", t["no_kinks_in_z"]), Block("para", shared["kink_note"])]
    lines = [shared["kink_line"].format(at=_num(k.at), left=_num(k.left), right=_num(k.right),
                                        pytorch=_num(k.slope("pytorch")),
                                        jax=_num(k.slope("jax"))) for k in found]
    return out + [Block("para", t["in_z"]), Block("items", "\n".join(lines)),
                  Block("para", shared["kink_note"])]


def _rule_text(rule: dict[str, Any], t: Mapping[str, str]) -> str:
    name = rule["rule"]
    if name == "chain":
        key = "rule_chain_catalogue" if rule["catalogue"] else "rule_chain"
        return t[key].format(function=rule["function"])
    if name == "min_max":
        return t["rule_min_max"].format(which=t["larger" if rule["function"] == "max"
                                                 else "smaller"])
    return t[f"rule_{name}"]
