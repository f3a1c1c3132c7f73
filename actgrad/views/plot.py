"""Pictures of g and g′ (and g″): a terminal plot (braille dots, through plotille) and an SVG
file.

Layout: one panel for g(z) above one panel for g′(z), sharing the z axis (with --order 2 a
third panel for g″(z) below them); every function named
is overlaid in each panel (g and g′ get panels of their own because their scales differ: relu
reaches 5 on [−5, 5] while its g′ never leaves [0, 1]). Curves are told apart by colour on a
terminal and, from the second function on, by a marker character dotted along the curve, so
a plain (piped, NO_COLOR) plot stays readable. Kinks are marked ◆ on both panels, and g′ is
drawn as separate pieces either side of a kink (a jump, not a steep line); g too where g
itself jumps (hardshrink, threshold); g″ either side of a kink and of a jump of g″, whose
points are marked ◆ on the g″ panel and listed with what PyTorch's and JAX's double backward
return there.

Both pictures are drawn from the same sampled points (``sample``), computed through the
public API: ``f(z)``, ``f.deriv(z)``, ``f.deriv(z, order=2)``, ``f.kinks``,
``f.kinks2``. plotille is imported only here, and this module only by the ``plot``
command.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import sys
import textwrap
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from ..registry import Activation
from ..io.numbers import short_exact

#: points sampled on [start, stop] (kinks are added to them)
SAMPLES = 1001
#: terminal colours (plotille's "names" mode) and the matching SVG colours, in turn per function
COLOURS = ("bright_blue", "bright_red", "bright_green", "bright_magenta", "bright_cyan", "yellow")
SVG_COLOURS = ("#1f6fd1", "#d62728", "#2ca02c", "#9b30c8", "#13a3b5", "#b8860b")
#: marker dotted along the curves of the 2nd, 3rd, ... function (the first is a bare line)
MARKERS = ("", "•", "×", "+", "o", "*", "#")
KINK_MARK = "◆"
#: canvas rows of one panel at least, and the narrowest plot; the widest and tallest plot
MIN_ROWS = 3
MIN_WIDTH = 40
MAX_WIDTH = 500
MAX_HEIGHT = 200
#: characters of a tick label: plotille's y labels take 10, its x labels 9
Y_CHARS, X_CHARS = 10, 9
SVG_CHARS = 10  # the SVG's y labels end 6 px left of the panel, 70 px from the picture's edge
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class PlotError(ValueError):
    """A plot that cannot be drawn as asked (too small, nothing finite to draw)."""


@dataclass
class Curve:
    """One curve of one panel: continuous pieces of (z, y) points."""

    label: str
    index: int  # which function (colour, marker)
    pieces: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)


@dataclass
class Panel:
    """g or g′ of every function, with the kink marks that belong on it."""

    name: str  # "g(z)", "g′(z)" or "g″(z)"
    curves: list[Curve]
    marks: list[tuple[float, float, int]]  # (z, y, function index)

    def y_range(self) -> tuple[float, float]:
        ys = [y[np.isfinite(y)] for c in self.curves for _, y in c.pieces]
        ys.append(np.array([y for _, y, _ in self.marks if math.isfinite(y)]))
        allys = np.concatenate(ys) if ys else np.array([])
        if allys.size == 0:
            raise PlotError(f"{self.name} has no finite value on this range")
        lo, hi = float(allys.min()), float(allys.max())
        half = hi / 2 - lo / 2  # (hi − lo)/2 without overflow
        if half <= 0.5e-12 * max(1.0, abs(lo), abs(hi)):
            pad = max(0.5, abs(lo) * 0.1)
        else:
            pad = half * 0.12
        return _finite(lo - pad), _finite(hi + pad)


def _finite(v: float) -> float:
    """v clamped to the finite floats (a padded axis end beyond ±1.8e308)."""
    return max(-_BIG, min(_BIG, v))


_BIG = float(np.finfo(np.float64).max)


def check_size(width: int, height: int) -> None:
    """--width and --height within what a plot can have (the lower bound of the height, which
    depends on the legend, is checked when the plot is drawn)."""
    if not MIN_WIDTH <= width <= MAX_WIDTH:
        raise PlotError(f"--width must be between {MIN_WIDTH} and {MAX_WIDTH}, got {width}")
    if not 1 <= height <= MAX_HEIGHT:
        raise PlotError(f"--height must be between 1 and {MAX_HEIGHT}, got {height}")


def _ordinal(v: float) -> int:
    """The position of v among the float64 numbers (consecutive floats differ by 1)."""
    bits = int(np.float64(v).view(np.int64))
    return bits if bits >= 0 else -(bits & 0x7FFFFFFFFFFFFFFF)


def check_range(start: float, stop: float) -> None:
    """[start, stop] must hold SAMPLES distinct floats, one per sampled point."""
    count = _ordinal(stop) - _ordinal(start) + 1
    if count < SAMPLES:
        def text(v: float) -> str:
            return min(short_exact(v), repr(float(v)), key=len)

        raise PlotError(f"--start {text(start)} and --stop {text(stop)} are too close:"
                        f" [--start, --stop] holds {count} float64 numbers and a plot samples"
                        f" {SAMPLES} distinct points")


def _one_sided(f: Activation, at: float, side: str, deriv: int) -> float:
    """The limit of g, g′ or g″ (deriv 0, 1, 2) at `at` from `side` ('left'/'right'): g′ (g″)
    with that kink convention, g(at) where g is continuous, else g one float beside `at`
    (hardshrink, threshold)."""
    if deriv:
        return float(f.deriv(np.float64(at), kink=side, order=int(deriv)))
    here = float(f(np.float64(at)))
    beside = float(f(np.nextafter(at, -math.inf if side == "left" else math.inf)))
    return here if _close(here, beside) else beside


def _pieces(f: Activation, z: np.ndarray, breaks: Sequence[float], deriv: int
            ) -> list[tuple[np.ndarray, np.ndarray]]:
    """Sample g (or g′, g″: deriv 1, 2) on z, split at `breaks` where it jumps; each piece ends
    at its limits."""
    start, stop = float(z[0]), float(z[-1])
    edges = [start, *breaks, stop]
    out: list[tuple[np.ndarray, np.ndarray]] = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        inner = z[(z > lo) & (z < hi)]
        ys = f.deriv(inner, order=int(deriv)) if deriv else f(inner)
        zz = np.concatenate([[lo], inner, [hi]])
        yy = np.concatenate([[_one_sided(f, lo, "right", deriv)], np.asarray(ys, dtype=np.float64),
                             [_one_sided(f, hi, "left", deriv)]])
        if out:  # join to the previous piece where there is no jump
            pz, py = out[-1]
            if _close(py[-1], yy[0]):
                out[-1] = (np.concatenate([pz, zz[1:]]), np.concatenate([py, yy[1:]]))
                continue
        out.append((zz, yy))
    # pieces also end where values stop being finite (overflow)
    finite: list[tuple[np.ndarray, np.ndarray]] = []
    for zz, yy in out:
        ok = np.isfinite(yy)
        if ok.all():
            finite.append((zz, yy))
            continue
        idx = np.flatnonzero(ok)
        for run in np.split(idx, np.flatnonzero(np.diff(idx) != 1) + 1):
            if run.size:
                finite.append((zz[run], yy[run]))
    return finite


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


_PANEL_NAMES = ("g(z)", "g′(z)", "g″(z)")


def sample(acts: Sequence[Activation], start: float, stop: float, *, value: bool = True,
           deriv: bool = True, second: bool = False, num: int = SAMPLES) -> list[Panel]:
    """The panels to draw: g and/or g′ of each function on [start, stop], and g″ with
    `second`. g″ is split at the kinks (a jump of g′ is a delta in g″, which is not drawn)
    and at the jumps of g″; the jumps are marked."""
    z = np.linspace(start, stop, num)
    panels = []
    for order, show in ((0, value), (1, deriv), (2, second)):
        if not show:
            continue
        curves, marks = [], []
        for i, f in enumerate(acts):
            kinks = [k for k in f.kinks if start <= k.at <= stop]
            splits = {k.at for k in kinks}
            if order == 2:
                kinks = [k for k in f.kinks2 if start <= k.at <= stop]
                splits |= {k.at for k in kinks}
            inner = sorted(at for at in splits if start < at < stop)
            curves.append(Curve(f"{f.name}{_param_text(f)}", i, _pieces(f, z, inner, order)))
            for k in kinks:
                at = np.float64(k.at)
                y = f.deriv(at, order=order) if order else f(at)
                marks.append((k.at, float(y), i))
        panels.append(Panel(_PANEL_NAMES[order], curves, marks))
    return panels


def _param_text(f: Activation) -> str:
    if not f.params:
        return ""
    return " (" + ", ".join(f"{k}={v!r}" if isinstance(v, str) else f"{k}={short_exact(v)}"
                            for k, v in f.params.items()) + ")"


def _formulas(f: Activation, second: bool = False) -> str:
    """'   g   g′' (and g″) of a catalogue function; nothing for an expression in z (its name
    is its formula)."""
    spec = getattr(f, "spec", None)
    if spec is None:
        return ""
    return f"   {spec.formula}   {spec.deriv_formula}" + (f"   {spec.d2_formula}" if second else "")


def kink_notes(acts: Sequence[Activation], start: float, stop: float,
               second: bool = False) -> list[str]:
    """One line per kink in view: where, the jump of g′, what PyTorch and JAX return there;
    with `second` also one per jump of g″ (what their double backward returns there)."""
    notes = []
    for f in acts:
        jumps = [(k, 2) for k in getattr(f, "kinks2", ())] if second else []
        for k, order in [(k, 1) for k in f.kinks] + jumps:
            if start <= k.at <= stop:
                slopes = f.framework_slopes(k) if order == 1 else tuple(
                    (fw, float(f.deriv(np.float64(k.at), kink=fw.lower(), order=2)))
                    for fw in f.spec.frameworks)
                if len(slopes) == 1:
                    (ships, value), = slopes
                    missing = "JAX" if ships == "PyTorch" else "PyTorch"
                    frameworks = f"{ships} gives {_exact_num(value)} ({missing} has no {f.name})"
                else:
                    (_, pt), (_, jx) = slopes
                    frameworks = (f"PyTorch and JAX give {_exact_num(pt)}" if pt == jx
                                  else f"PyTorch gives {_exact_num(pt)}, JAX {_exact_num(jx)}")
                what = "kink" if order == 1 else "jump of g″"
                jumps = (f"{'g′' if order == 1 else 'g″'} jumps from {_exact_num(k.left)} to "
                         f"{_exact_num(k.right)}")
                if getattr(k, "g_jumps", False):  # step: g jumps, g′ is the same both sides
                    jumps = f"g itself jumps, g′ is {_exact_num(k.left)} on both sides"
                notes.append(f"{KINK_MARK} {what} of {f.name} at z = {_exact_num(k.at)}:"
                             f" {jumps}; {frameworks} there")
    return notes


def _exact_num(v: float) -> str:
    """A value stated in words (a kink, a slope): short, but never rounded."""
    return "0" if v == 0 else short_exact(v).replace("-", "−")


def _num(v: float) -> str:
    """A short, readable number for labels: 0.01, 1.0507, −3, 1e+06."""
    if v == 0:
        return "0"
    text = f"{v:.6g}"
    return text.replace("-", "−")


# -- terminal -------------------------------------------------------------------------------


def use_colour(stream: object = None) -> bool:
    """Colour only on a terminal, never with NO_COLOR set (non-empty) or TERM=dumb."""
    stream = sys.stdout if stream is None else stream
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError):
        return False


def terminal_size() -> tuple[int, int]:
    """Default --width and --height: the terminal's (80×24 when not a terminal), capped."""
    cols, lines = shutil.get_terminal_size((80, 24))
    return min(max(cols, MIN_WIDTH), 200), min(max(lines - 1, 12), 60)


def _tick_formatter(span: float, steps: int):
    """The usual tick text: as many decimals as the tick spacing needs, at most 10 chars."""
    step = span / max(steps, 1)
    decimals = (min(max(0, math.ceil(-math.log10(step)) + 1), 8)
                if 0 < step < math.inf else 2)

    def fmt(value: float) -> str:
        text = f"{value:.{decimals}f}"
        if len(text) > 10 or abs(value) >= 1e6 or 0 < step < 1e-8:
            text = f"{value:.3g}"
        if float(text) == 0:
            text = "0"
        return text

    return fmt


def _sig(value: float, digits: int) -> str:
    """value to `digits` significant digits, exponent without padding: 1.5e6, 2e-7, 0.25."""
    text = f"{value:.{digits}g}"
    if "e" in text:
        mant, exp = text.split("e")
        text = f"{mant}e{int(exp)}"
    return "0" if float(text) == 0 else text


def tick_labels(ticks: Sequence[float], chars: int, usual: Any = None) -> list[str] | None:
    """Labels of the ticks, at most `chars` characters each, that tell every labelled tick
    apart: the usual format when it does, else the fewest significant digits that do, on every
    tick or, when that cannot fit, on every 2nd, 5th, 10th, ... tick (the others get '');
    None when not even the two ends can be told apart in `chars` characters."""
    n = len(ticks)
    # evenly spaced: a label may be off its tick by a 20th of the spacing of the labelled ticks
    step = abs(ticks[1] / 2 - ticks[0] / 2) * 2 if n > 1 else math.inf

    def faithful(texts: list[str], every: int) -> bool:
        tol = step * every * (0.05 + 1e-9)
        return all(abs(float(t.replace("−", "-")) - v) <= tol
                   for t, v in zip(texts, ticks[::every]))

    def good(texts: list[str], every: int) -> bool:
        shown = texts[::every]
        return (len(set(shown)) == len(shown) and max(len(t) for t in shown) <= chars
                and faithful(shown, every))

    def spread(texts: list[str], every: int) -> list[str]:
        return [t if i % every == 0 else "" for i, t in enumerate(texts)]

    if usual is not None:
        texts = [usual(t) for t in ticks]
        if good(texts, 1):
            return texts
    everies = [m * 10 ** k for k in range(7) for m in (1, 2, 5)]
    for every in [e for e in everies if e <= max(n - 1, 1)]:
        for digits in range(1, 18):
            texts = [_sig(t, digits) for t in ticks[::every]]
            if len(set(texts)) == len(texts) and faithful(texts, every):
                if max(len(t) for t in texts) <= chars:
                    return spread([_sig(t, digits) for t in ticks], every)
                break  # more digits only make them longer
    return None


@dataclass
class Axis:
    """One axis: its ends, its ticks (tick i at lo + i·spacing·(hi − lo)), the power of two its
    values are divided by for plotille (whose arithmetic then neither overflows nor
    underflows) and the tick labels."""

    lo: float
    hi: float
    count: int  # number of ticks
    spacing: float  # of a tick interval, as a fraction of hi − lo
    offset: bool = False  # labels are the value − lo (the values cannot be told apart)
    labels: list[str] = field(default_factory=list)

    @property
    def exponent(self) -> int:
        return math.frexp(max(abs(self.lo), abs(self.hi)))[1] - 1

    def scaled(self, values: Any) -> Any:
        """Values as plotille gets them: divided by 2**exponent, so within [−2, 2]."""
        return np.ldexp(np.asarray(values, dtype=np.float64), -self.exponent)

    def tick_values(self) -> list[float]:
        u0, u1 = (float(v) for v in self.scaled([self.lo, self.hi]))
        du = (u1 - u0) * self.spacing
        if self.offset:  # hi − lo is finite for z (checked before sampling)
            return [float(np.ldexp(i * du, self.exponent)) for i in range(self.count)]
        vals = np.ldexp(np.array([min(u0 + i * du, u1) for i in range(self.count)]), self.exponent)
        tiny = float(np.ldexp(du, self.exponent)) * 1e-9
        return [0.0 if abs(v) <= tiny else float(v) for v in vals]

    def label(self, u: float) -> str:
        """The label of the tick plotille puts at u (a scaled value)."""
        u0, u1 = (float(v) for v in self.scaled([self.lo, self.hi]))
        du = (u1 - u0) * self.spacing
        i = round((u - u0) / du) if du > 0 else 0
        return self.labels[i] if 0 <= i < len(self.labels) else ""


def _axis(lo: float, hi: float, count: int, spacing: float, steps: int, chars: int, *,
          widen: bool) -> Axis:
    """An axis over [lo, hi] whose labels tell the ticks apart: for z (widen=False) labelled
    as z − lo where the values themselves cannot be; for g and g′ widened about its middle
    until they can (a flat line on a taller axis, every label true). `steps` is what the
    usual format takes the tick spacing to be."""
    for _ in range(2100):
        axis = Axis(lo, hi, count, spacing)
        labels = tick_labels(axis.tick_values(), chars, _tick_formatter(hi - lo, steps))
        if labels is not None:
            axis.labels = labels
            return axis
        if not widen:
            axis.offset = True
            axis.labels = tick_labels(axis.tick_values(), chars) or [""] * count
            return axis
        half, mid = hi / 2 - lo / 2, lo / 2 + hi / 2
        lo, hi = _finite(mid - 2 * half), _finite(mid + 2 * half)
    raise PlotError("cannot label the axes of this plot")  # pragma: no cover


def _axis_title(name: str, axis: Axis) -> str:
    if not axis.offset:
        return name
    return f"{name} − {_exact_num(axis.lo)}" if axis.lo >= 0 else \
        f"{name} + {_exact_num(-axis.lo)}"


def _figure(panel: Panel, z0: float, z1: float, width: int, rows: int, colour: bool,
            with_x_axis: bool):
    """The plotille figure of one panel. plotille gets every value divided by a power of two
    per axis (exact, and never overflowing in its arithmetic); the tick labels give the values
    back, told apart however narrow or far out the range is."""
    import plotille

    lo, hi = panel.y_range()
    xa = _axis(z0, z1, width // 10 + 1, 10 / width, width // 10, X_CHARS, widen=False)
    ya = _axis(lo, hi, rows + 1, 1 / rows, rows, Y_CHARS, widen=True)
    fig = plotille.Figure()
    fig.width, fig.height = width, rows
    fig.with_colors = colour
    fig.set_x_limits(*(float(v) for v in xa.scaled([xa.lo, xa.hi])))
    fig.set_y_limits(*(float(v) for v in ya.scaled([ya.lo, ya.hi])))
    fig.x_label, fig.y_label = _axis_title("z", xa), panel.name.replace("(z)", "")
    fig.with_x_axis = with_x_axis
    fig.x_ticks_fkt = lambda u, _next: xa.label(u)
    fig.y_ticks_fkt = lambda u, _next: ya.label(u)
    for c in panel.curves:
        lc = COLOURS[c.index % len(COLOURS)]
        marker = MARKERS[c.index % len(MARKERS)]
        for zz, yy in c.pieces:
            xs, ys = xa.scaled(zz).tolist(), ya.scaled(yy).tolist()
            fig.plot(xs, ys, lc=lc)
            if marker and zz[-1] > zz[0]:  # every ~6 columns, so plain text tells curves apart
                share = (zz[-1] - zz[0]) / (z1 - z0)  # of the width, this piece's
                every = max(1, round(6 / width * (len(zz) - 1) / share))
                pick = slice((c.index * every // 3) % every, None, every)
                if xs[pick]:
                    fig.scatter(xs[pick], ys[pick], lc=lc, marker=marker)
    for zk, yk, i in panel.marks:
        fig.scatter(xa.scaled([zk]).tolist(), ya.scaled([yk]).tolist(),
                    lc=COLOURS[i % len(COLOURS)], marker=KINK_MARK)
    return fig


def _legend(acts: Sequence[Activation], panels: Sequence[Panel], notes: Sequence[str],
            colour: bool, width: int) -> list[str]:
    """Legend lines: each function's line symbol (with its formulas where they fit on a line),
    what the panels show, then one note per kink in view; nothing wider than `width`."""
    import plotille

    lead = "Legend: "
    avail = width - len(lead)
    items: list[tuple[str, str | None, int]] = []  # (text, colour of its leading symbol, length)
    for i, f in enumerate(acts):
        marker = MARKERS[i % len(MARKERS)]
        sym = f"⠤{marker}⠤" if marker else "⠤⠤"
        name = f"{sym} {f.name}{_param_text(f)}"
        full = f"{name}{_formulas(f)}"
        items.append((full if len(full) <= avail else name, COLOURS[i % len(COLOURS)], len(sym)))
    names = [p.name for p in panels]
    items.append((f"panels: {names[0]} above, {names[1]} below" if len(names) == 2 else
                  f"panels: {', '.join(names)} from the top" if len(names) > 2 else
                  f"panel: {names[0]}", None, 0))
    # pack the items into lines, three spaces apart; an item too long for a line is wrapped
    rows: list[list[tuple[str, str | None, int]]] = []
    row: list[tuple[str, str | None, int]] = []
    used = 0
    for text, lc, n in items:
        parts = (textwrap.wrap(text, avail, subsequent_indent="  ", break_on_hyphens=False)
                 if len(text) > avail else [text])
        if row and (len(parts) > 1 or used + 3 + len(text) > avail):
            rows.append(row)
            row, used = [], 0
        for k, part in enumerate(parts):
            if k:
                rows.append(row)
                row, used = [], 0
            row.append((part, lc if k == 0 else None, n if k == 0 else 0))
            used += (3 if used else 0) + len(part)
        if len(parts) > 1:  # the next item starts a line of its own
            rows.append(row)
            row, used = [], 0
    if row:
        rows.append(row)

    def paint(text: str, lc: str | None, n: int) -> str:
        if lc is None or not n:
            return text
        return plotille.color(text[:n], fg=lc, no_color=not colour) + text[n:]

    lines = [(lead if r == 0 else " " * len(lead)) + "   ".join(paint(*seg) for seg in segs)
             for r, segs in enumerate(rows)]
    for note in notes:
        lines.extend(textwrap.wrap(note, width=width, initial_indent=" " * len(lead),
                                   subsequent_indent=" " * (len(lead) + 2),
                                   break_on_hyphens=False))
    return lines


def terminal_plot(acts: Sequence[Activation], start: float, stop: float, *, width: int,
                  height: int, value: bool = True, deriv: bool = True, second: bool = False,
                  colour: bool = False, panels: Sequence[Panel] | None = None) -> str:
    """The plot as text: at most `width` columns and `height` lines, legend included."""
    if width < MIN_WIDTH:
        raise PlotError(f"--width must be at least {MIN_WIDTH}, got {width}")
    panels = list(panels) if panels is not None else sample(acts, start, stop, value=value,
                                                            deriv=deriv, second=second)
    notes = kink_notes(acts, start, stop, second=any(p.name == "g″(z)" for p in panels))
    legend = _legend(acts, panels, notes, colour, width)
    # per panel: the axis label line and the top tick line; the last panel has 2 x-axis lines
    fixed = 2 * len(panels) + 2 + len(legend)
    rows_total = height - fixed
    need = fixed + MIN_ROWS * len(panels)
    if rows_total < MIN_ROWS * len(panels):
        raise PlotError(f"--height must be at least {need} for this plot, got {height}")
    rows = [rows_total // len(panels) + (1 if i < rows_total % len(panels) else 0)
            for i in range(len(panels))]
    canvas_w = width - 20
    while True:
        parts = []
        for i, (p, r) in enumerate(zip(panels, rows)):
            fig = _figure(p, start, stop, canvas_w, r, colour, with_x_axis=i == len(panels) - 1)
            parts.append(fig.show(legend=False))
        text_lines = [ln.rstrip() for part in parts for ln in part.splitlines()]
        widest = max(len(_ANSI.sub("", ln)) for ln in text_lines)
        if widest <= width or canvas_w <= 10:
            break
        canvas_w -= widest - width
    return "\n".join(text_lines + legend) + "\n"


# -- SVG ------------------------------------------------------------------------------------


def _nice_ticks(lo: float, hi: float, count: int = 6) -> list[float]:
    """About `count` round ticks in [lo, hi] (1, 2, 2.5 or 5 times a power of ten apart),
    worked out on values divided by a power of two so that nothing overflows; at most 2·count+2
    of them however narrow the range."""
    e = math.frexp(max(abs(lo), abs(hi)))[1] - 1
    u0, u1 = math.ldexp(lo, -e), math.ldexp(hi, -e)
    raw = (u1 - u0) / count
    if not raw > 0:
        return [lo]
    mag = 10.0 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.ceil(u0 / step) * step
    ticks = []
    for i in range(2 * count + 2):
        t = first + i * step
        if t > u1 + step * 1e-9:
            break
        ticks.append(0.0 if abs(t) < step * 1e-9 else math.ldexp(max(u0, min(t, u1)), e))
    return ticks


def _dashes(index: int) -> str:
    """A dash pattern per function after the first, so overlapping curves stay visible."""
    patterns = ("", "7 4", "2 3", "10 3 2 3", "4 4")
    pattern = patterns[index % len(patterns)]
    return f' stroke-dasharray="{pattern}"' if pattern else ""


def svg(acts: Sequence[Activation], start: float, stop: float, panels: Sequence[Panel]) -> str:
    """A self-contained SVG picture of the panels: axes with ticks, a polyline per curve piece
    (grouped per curve), kink marks and a legend."""
    from xml.sax.saxutils import escape, quoteattr

    second = any(p.name == "g″(z)" for p in panels)
    notes = kink_notes(acts, start, stop, second=second)
    legend = [f"{f.name}{_param_text(f)}{_formulas(f, second)}" for f in acts]
    longest = max(len(t) for t in [*legend, *notes])
    PH, ML, MR, MT, GAP = 260, 70, 24, 30, 58
    W = max(760, ML + 40 + round(6.5 * longest))
    legend_h = 22 * (len(acts) + len(notes)) + 20
    H = MT + len(panels) * (PH + GAP) + legend_h
    pw = W - ML - MR
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
           f'viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="12">',
           f'<rect width="{W}" height="{H}" fill="white"/>']

    def fx(z: float) -> float:
        return ML + (z - start) / (stop - start) * pw

    x_ticks = _nice_ticks(start, stop)
    x_labels = tick_labels(x_ticks, SVG_CHARS, _num)
    xa = Axis(start, stop, 2, 1.0, offset=x_labels is None)
    if x_labels is None:  # the values cannot be told apart: label z − start
        x_ticks = [start + (stop - start) * i / 6 for i in range(7)]
        x_labels = tick_labels([(stop - start) * i / 6 for i in range(7)],
                               SVG_CHARS) or [""] * 7
    for n, p in enumerate(panels):
        top = MT + n * (PH + GAP)
        lo, hi = p.y_range()
        while (y_labels := tick_labels(y_ticks := _nice_ticks(lo, hi), SVG_CHARS, _num)) is None:
            half, mid = hi / 2 - lo / 2, lo / 2 + hi / 2  # widen g's axis until it can be labelled
            lo, hi = _finite(mid - 2 * half), _finite(mid + 2 * half)

        def fy(y: float, lo: float = lo, hi: float = hi, top: float = top) -> float:
            return top + (hi / 2 - y / 2) / (hi / 2 - lo / 2) * PH  # halves: no overflow

        out.append(f'<g class="panel" data-name={quoteattr(p.name)}>')
        out.append(f'<rect x="{ML}" y="{top}" width="{pw}" height="{PH}" fill="none" '
                   f'stroke="#444"/>')
        out.append(f'<text x="{ML}" y="{top - 8}" font-weight="bold">{escape(p.name)}</text>')
        for t, text in zip(y_ticks, y_labels):
            y = fy(t)
            out.append(f'<line x1="{ML - 4}" y1="{y:.2f}" x2="{ML + pw}" y2="{y:.2f}" '
                       f'stroke="#ddd"/>')
            out.append(f'<text x="{ML - 6}" y="{y + 4:.2f}" text-anchor="end">'
                       f'{escape(text.replace("-", "−"))}</text>')
        for t, text in zip(x_ticks, x_labels):
            x = fx(t)
            out.append(f'<line x1="{x:.2f}" y1="{top}" x2="{x:.2f}" y2="{top + PH + 4}" '
                       f'stroke="#ddd"/>')
            out.append(f'<text x="{x:.2f}" y="{top + PH + 16}" text-anchor="middle">'
                       f'{escape(text.replace("-", "−"))}</text>')
        if lo < 0 < hi:
            out.append(f'<line x1="{ML}" y1="{fy(0):.2f}" x2="{ML + pw}" y2="{fy(0):.2f}" '
                       f'stroke="#888"/>')
        if start < 0 < stop:
            out.append(f'<line x1="{fx(0):.2f}" y1="{top}" x2="{fx(0):.2f}" y2="{top + PH}" '
                       f'stroke="#888"/>')
        out.append(f'<text x="{ML + pw / 2:.2f}" y="{top + PH + 32}" text-anchor="middle" '
                   f'font-style="italic">{escape(_axis_title("z", xa))}</text>')
        for c in p.curves:
            colour = SVG_COLOURS[c.index % len(SVG_COLOURS)]
            out.append(f'<g class="curve" data-label={quoteattr(c.label + " " + p.name)} '
                       f'fill="none" stroke="{colour}" stroke-width="1.8"{_dashes(c.index)}>')
            for zz, yy in c.pieces:
                pts = " ".join(f"{fx(a):.2f},{fy(b):.2f}" for a, b in zip(zz.tolist(), yy.tolist()))
                out.append(f'<polyline points="{pts}"/>')
            out.append("</g>")
        for zk, yk, i in p.marks:
            x, y = fx(zk), fy(yk)
            out.append(f'<path class="kink" d="M{x:.2f},{y - 6:.2f} L{x + 6:.2f},{y:.2f} '
                       f'L{x:.2f},{y + 6:.2f} L{x - 6:.2f},{y:.2f} Z" '
                       f'fill="{SVG_COLOURS[i % len(SVG_COLOURS)]}"/>')
        out.append("</g>")
    y = MT + len(panels) * (PH + GAP) + 4
    out.append('<g class="legend">')
    for i, f in enumerate(acts):
        colour = SVG_COLOURS[i % len(SVG_COLOURS)]
        out.append(f'<line x1="{ML}" y1="{y - 4}" x2="{ML + 24}" y2="{y - 4}" stroke="{colour}" '
                   f'stroke-width="2.5"{_dashes(i)}/>')
        out.append(f'<text x="{ML + 32}" y="{y}" xml:space="preserve">{escape(legend[i])}</text>')
        y += 22
    for note in notes:
        out.append(f'<text x="{ML}" y="{y}">{escape(note)}</text>')
        y += 22
    out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"
