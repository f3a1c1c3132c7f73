"""One implementation of each command, shared by the Typer app and the fast start-up path.

No Typer here: each function takes plain values (the defaults are declared once, in
``ValueRequest`` and the constants below, and the Typer options take them from here), wires
the input to the core and the core's results to a view or a writer, and raises ``Fail`` for
anything the user must fix. ``runtime.guarded`` turns that into one line and an exit status.
"""

from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import dataclass
from typing import Any, Callable, Generator, Iterable, Iterator, NamedTuple, Sequence

import numpy as np

from .. import registry
from ..io.numbers import holds_numbers
from ..io.reader import ValueReader, read_arguments, round_to
from ..io.writers import MAX_TABLE_ROWS, Output, OutputError, Writer
from ..numerics import ML_DTYPES, as_dtype
from ..numerics import DEFAULT_STEP, DEFAULT_TOL
from . import runtime
from .runtime import Fail



class _OnFirstUse:
    """A module imported when one of its names is first looked up: `eval|deriv NAME Z` (the
    fast path) never needs the expression parser."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        import importlib

        return getattr(importlib.import_module(self._name), attr)


expression: Any = _OnFirstUse("actgrad.expression")
vectors: Any = _OnFirstUse("actgrad.vectors")  # (a catalogue name never needs it)

# -- shared pieces ----------------------------------------------------------------------------


def parse_params(params: Iterable[str] | None) -> dict[str, str]:
    """-p NAME=VALUE options as a dict (registry.parse_params); a bad one is one line."""
    try:
        return registry.parse_params(params)
    except ValueError as e:
        raise Fail(str(e)) from None


def check_like(like: str | None, funcs: Sequence[str] = ()) -> str | None:
    """--like's framework (None: none given), or a Fail naming the allowed ones; an
    expression among `funcs` cannot take it."""
    if like is None:
        return None
    from .. import profiles

    try:
        name = profiles.profile(like).name
    except ValueError as e:
        raise Fail(f"--like: {e}") from None
    if any(expression.is_expression(f) for f in funcs):
        raise Fail("--like takes catalogue functions; an expression takes its parameters in"
                   " its calls")
    return name


def kink_of(kink: str | None, like: str | None) -> str:
    """--kink, else the --like framework's conventions, else pytorch."""
    if kink is not None:
        return kink
    if not like:
        return "pytorch"
    from .. import profiles

    return profiles.BY_NAME[like].convention


def activation(name: str, params: Iterable[str] | None,
               like: str | None = None) -> registry.Activation:
    """The activation `name` with -p NAME=VALUE parameters bound (over --like's defaults)."""
    given = parse_params(params)
    like = check_like(like, [name])
    try:
        return registry.get(name, like=like, **given)
    except ValueError as e:
        raise Fail(str(e)) from None


def expression_of(text: str, params: Iterable[str] | None) -> expression.Expression:
    """An expression in z given where a function name goes (its parameters are in its calls)."""
    if parse_params(params):
        raise Fail("an expression takes its parameters in its calls, e.g."
                   " leaky_relu(z, negative_slope=0.2), not with -p")
    try:
        return expression.parse(text)
    except expression.ExpressionError as e:
        raise Fail(str(e)) from None


def bind_all(funcs: Sequence[str], params: Iterable[str] | None,
             like: str | None = None) -> list[registry.Activation]:
    """Each named function with the parameters it has (-p applies to every function that takes it)."""
    for name in funcs:
        if expression.is_expression(name):
            raise Fail(f"{name!r}: this command takes catalogue names; expressions in z work"
                       " with eval, deriv, table, check, plot and explain")
    given = parse_params(params)
    try:
        specs = [registry.spec(n) for n in funcs]
    except ValueError as e:
        raise Fail(str(e)) from None
    known = sorted({p.name for s in specs for p in s.params})
    for name in given:
        if name not in known:
            raise Fail(f"no function named here has a parameter {name!r}"
                       f"{registry.suggest(name, known)}"
                       f" (their parameters: {', '.join(known) or 'none'})")
    try:
        return [registry.get(n, like=check_like(like),
                             **{k: v for k, v in given.items() if k in {p.name for p in s.params}})
                for n, s in zip(funcs, specs)]
    except ValueError as e:
        raise Fail(str(e)) from None


def bind_any(funcs: Sequence[str], params: Iterable[str] | None
             ) -> list[registry.Activation | expression.Expression]:
    """Catalogue names and expressions in z, in their order: -p binds the names (as in
    ``bind_all``); an expression takes its parameters in its calls."""
    exprs = {i: expression_of(f, None) for i, f in enumerate(funcs)
             if expression.is_expression(f)}
    names = [f for i, f in enumerate(funcs) if i not in exprs]
    if not names and parse_params(params):
        raise Fail("an expression takes its parameters in its calls, e.g."
                   " leaky_relu(z, negative_slope=0.2), not with -p")
    acts = iter(bind_all(names, params) if names else [])
    return [exprs[i] if i in exprs else next(acts) for i in range(len(funcs))]


def split_functions(items: Sequence[str]) -> tuple[list[str], list[str]]:
    """FUNC [FUNC ...] [Z ...]: names until the first number."""
    items = list(items)
    for i, item in enumerate(items):
        if item == "-" or holds_numbers(item):
            for later in items[i + 1:]:
                if not holds_numbers(later) and registry.is_name(later):
                    raise Fail(f"function names come before the values: {later!r} follows {item!r}")
            return items[:i], items[i:]
    return items, []


# -- eval and deriv ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ValueRequest:
    """Everything `eval` and `deriv` take; the field defaults are the commands' defaults."""

    command: str  # "eval" or "deriv"
    func: str
    values: Sequence[str] | None = None
    param: Sequence[str] | None = None
    fmt: str = "plain"
    on_invalid: str = "fail"
    dtype: str | None = None  # float64, or a .npy input's own float type
    exact: bool = False
    digits: int | None = None
    input_file: str | None = None
    output_file: str | None = None  # -o FILE.npy
    progress: bool = True
    like: str | None = None  # --like: a framework profile's defaults and kink conventions
    kink: str | None = None  # deriv only; None: the --like framework's, else pytorch
    from_output: bool = False  # deriv only
    order: int = 1  # deriv only: 1 for g′, 2 for g″
    up: str | None = None  # gated units: the u values (cli/vectorcmd)
    vjp: str | None = None  # deriv of a vector function: vᵀJ
    jvp: str | None = None  # deriv of a vector function: J·v


def values(req: ValueRequest) -> None:
    """`eval` and `deriv`: stream the input values through g or g′ to the writer."""
    deriv = req.command == "deriv"
    order = check_order(req.order)
    if req.output_file is not None:
        if not req.output_file.lower().endswith(".npy"):
            raise Fail(f"--output writes numpy .npy files: give FILE.npy, not"
                       f" {shown(req.output_file)} (for text, redirect stdout)")
        if req.digits is not None:
            raise Fail("--digits gives text; --output FILE.npy takes floats (use --exact)")
        if req.fmt != "plain":
            raise Fail("--format is for standard output; --output writes a .npy file")
    if not registry.is_name(req.func) and vectors.is_vector(req.func):
        from . import vectorcmd

        return vectorcmd.values(req)
    for given, option in ((req.up, "--up"), (req.vjp, "--vjp"), (req.jvp, "--jvp")):
        if given is not None:
            raise Fail(f"{option} is for the vector functions (softmax, swiglu, ...),"
                       f" not {req.func}")
    if not registry.is_name(req.func) and expression.is_expression(req.func):
        return expression_values(req)
    f = activation(req.func, req.param, req.like)
    kink = kink_of(req.kink, f.like)
    # orders >= 3 have no float64 fast path: always the rigorous one (as --exact)
    high = exact_compute(f, order if deriv else 0, req.exact or (deriv and order >= 3),
                         req.digits, kink)
    name = column_name(order)
    if req.from_output:
        why = f.from_output_unavailable(order=order)
        if why:
            raise Fail(f"--from-output: {why}")
        if high:
            raise Fail("--exact and --digits take z, not --from-output"
                       " (g′ from a is exact algebra on a)")
        columns = ("a", name)
        compute: Callable[[np.ndarray], Any] = (
            lambda a: f.deriv_from_output(a, kink=kink, order=order))
        into: Any = lambda a, out: f.deriv_from_output(a, kink=kink, order=order, out=out)
        formula = f.spec.from_output_formula if order == 1 else f.spec.d2_from_output_formula
        title = f"{f.name}: {'g′' if order == 1 else 'g″'} = {formula}"
    elif deriv:
        formula = {1: f.spec.deriv_formula, 2: f.spec.d2_formula}.get(
            order, f"{registry.derivative_symbol(order)}(z), derivative of order {order}")
        columns, title = ("z", name), f"{f.name}: {formula}"
        compute = high or (lambda z: f.deriv(z, kink=kink, order=order))
        into = lambda z, out: f.deriv(z, kink=kink, order=order, out=out)  # noqa: E731
    else:
        columns, title = ("z", "g"), f"{f.name}: {f.spec.formula}"
        compute, into = high or f, f
    stream(req.values, req.on_invalid, req.dtype, Writer(req.fmt, columns, title=title),
           compute, req.input_file, req.progress, req.output_file,
           threads=0 if high else block_threads(), into=None if high else into)


#: at most this many blocks of a .npy input are computed at once (each holds its values
#: and results: 2 × 2 MiB of float64, io.npy.BLOCK values)
MAX_BLOCK_THREADS = 4


def block_threads() -> int:
    """The most threads the float path of a .npy input computes on: one per available core
    (at most MAX_BLOCK_THREADS). _pipelined computes on more than one of them at once only
    while a core is free for it (_CoreShare)."""
    from ..numerics import available_cores

    return max(1, min(available_cores(), MAX_BLOCK_THREADS))


class _CoreShare:
    """How many of _pipelined's workers compute at once: the cores no other process is
    running on, and at least one. A second worker on a core that another process keeps
    busy gains nothing (the two share it) and costs its hand-overs and caches, some 15 %
    more CPU time measured; on a free core it nearly halves the time. So the workers pass a
    gate of `threads` permits, of which this one holds those of the busy cores.

    Busy: the runnable tasks of /proc/loadavg (its fourth field: now, not the one-minute
    average, which still counts the runs just before this one) less this process's own
    running threads, looked at every RECHECK blocks, the least of the last three (a task
    that runs for a moment does not count). Without /proc/loadavg: the load average at the
    start, as before (a core is free when it is at most the cores less one)."""

    RECHECK = 4

    def __init__(self, threads: int):
        import threading

        self.threads, self.gate, self.held = threads, threading.Semaphore(threads), 0
        self.lock, self.active = threading.Lock(), 0  # (the workers computing now)
        self.seen: list[int] = []
        self.blocks = 0
        if threads > 1:
            self._look()
            if not self.seen:  # no /proc: the load average, once
                try:
                    busy = os.getloadavg()[0]
                except (AttributeError, OSError):
                    busy = 0.0
                self._allow(threads if busy <= threads - 1 else 1)
                self.threads = 1  # (decided: no more looks)

    def __enter__(self) -> None:
        """A worker's computation of a block: once a permit is free."""
        self.gate.acquire()
        with self.lock:
            self.active += 1

    def __exit__(self, *exc: Any) -> None:
        with self.lock:
            self.active -= 1
        self.gate.release()

    @staticmethod
    def _others(ours: int) -> int | None:
        try:
            with open("/proc/loadavg", "rb") as f:
                running = int(f.read().split()[3].split(b"/")[0])
        except (OSError, ValueError, IndexError):
            return None
        return max(0, running - ours)

    def update(self) -> None:
        """Called by the main thread before each block is handed over."""
        self.blocks += 1
        if self.threads > 1 and not self.blocks % self.RECHECK:
            self._look()

    def _look(self) -> None:
        others = self._others(1 + self.active)  # (this thread and the workers computing)
        if others is not None:
            self.seen = (self.seen + [others])[-3:]
            self._allow(max(1, self.threads - min(self.seen)))

    def _allow(self, n: int) -> None:
        while self.held > self.threads - n:
            self.gate.release()
            self.held -= 1
        while self.held < self.threads - n and self.gate.acquire(blocking=False):
            self.held += 1  # (a permit a worker holds now is taken at a later look)


def column_name(order: int) -> str:
    """The column of the N-th derivative: dg, d2g, d3g, ..."""
    return "dg" if order == 1 else f"d{order}g"


def shown(name: str) -> str:
    """A file name for a message: quoted, with control characters escaped."""
    return repr(name) if name.isprintable() else repr(name.encode("utf-8", "surrogateescape"))[1:]


def expression_values(req: ValueRequest) -> None:
    """`eval` and `deriv` of an expression in z: g and g′ by forward-mode derivatives, or
    (--exact, --digits, orders >= 3) rigorously on Taylor series in ball arithmetic."""
    check_like(req.like, [req.func])
    e = expression_of(req.func, req.param)
    if req.from_output:
        raise Fail("--from-output takes a catalogue function, not an expression")
    order = req.order if req.command == "deriv" else 0
    high = None
    if req.exact or req.digits is not None or order >= 3:
        high = expression_exact(e, order, kink_of(req.kink, None), req.digits)
    if req.command == "deriv":
        why = e.second_unavailable() if order == 2 and high is None else None
        if why:
            raise Fail(f"--order 2: {why}")
        columns = ("z", column_name(order))
        compute = high or (lambda z: e.deriv(z, kink=kink_of(req.kink, None), order=order))
        sup = "" if order == 1 else str(order).translate(str.maketrans("0123456789",
                                                                        "⁰¹²³⁴⁵⁶⁷⁸⁹"))
        title = f"d{sup}/dz{sup} " + e.name
    else:
        columns, compute, title = ("z", "g"), high or e, e.name
    stream(req.values, req.on_invalid, req.dtype, Writer(req.fmt, columns, title=title),
           compute, req.input_file, req.progress, req.output_file)


class Input(NamedTuple):
    """Where a command's values come from: the blocks, a function naming where value i of
    the last block came from, and the .npy file's reader when they come from one."""

    blocks: Iterator[np.ndarray]
    where: Callable[[int], str]
    npy: Any = None  # io.npy.NpyReader
    #: a .npy input: where value k of the whole input (in the blocks' order) is
    place: Callable[[int], str] | None = None
    #: a `where` pinned to the last block, still right once the blocks have moved on (for a
    #: consumer that reads ahead); None: there is nothing to read ahead (arguments)
    pinned: Callable[[], Callable[[int], str]] | None = None
    #: what the reading found, to say once the output is written (tokens skipped or written
    #: as nan): called by the consumer after the last block, on the main thread
    report: Callable[[], None] | None = None


def expression_exact(e: expression.Expression, order: int, kink: str,
                     digits: int | None) -> Callable[[np.ndarray], Any]:
    """The rigorous path of an expression (expression.exact_values): floats correctly
    rounded to the values' dtype, or `digits` significant digits."""
    from ..io.numbers import NumberTexts
    from ..numerics import MAX_DIGITS

    if digits is not None and not 1 <= digits <= MAX_DIGITS:
        raise Fail(f"--digits must be between 1 and {MAX_DIGITS}, got {digits}")

    def compute(z: np.ndarray) -> Any:
        try:
            r = expression.exact_values(e, z, order=order, kink=kink, dtype=z.dtype,
                                        digits=digits)
        except ArithmeticError as err:
            raise Fail(f"cannot decide the rounding: {err}", 1) from None
        except ValueError as err:
            raise Fail(str(err)) from None
        return r if digits is None else NumberTexts(r)

    return compute


def input_blocks(values: Sequence[str] | None, on_invalid: str, input_file: str | None = None,
                 progress: bool = True) -> tuple[Iterator[np.ndarray], Callable[[int], str]]:
    """Blocks of input values, and a function naming where value i of the last block came from."""
    got = open_input(values, on_invalid, input_file, progress)

    def blocks() -> Iterator[np.ndarray]:
        yield from got.blocks
        if got.report is not None:
            got.report()

    return blocks(), got.where


def open_input(values: Sequence[str] | None, on_invalid: str, input_file: str | None = None,
               progress: bool = True, raw_as: str | None = None, dtype: Any = None) -> Input:
    """The values come from the arguments, from ``-i FILE``, or from stdin (no values, ``-``
    or ``-i -``); every source follows the same rules and --on-invalid. A .npy file
    (io.npy) is read memory-mapped in blocks; raw_as: the --dtype to take its raw ml_dtypes
    bytes as. dtype: text values come in that type, each decimal rounded once to it
    (io.reader.round_to), not through float64 first."""
    values = list(values or ())
    stdin = values == ["-"] or (not values and input_file in (None, "-"))
    if input_file is not None and values and values != ["-"]:
        raise Fail("give values as arguments or with --input, not both")
    if not stdin and input_file is None:
        got = read_arguments(values, on_invalid)
        _report_skipped(got.skipped, on_invalid)
        first = got.values if dtype is None else round_to(got.values, dtype, got.tokens)
        return Input(iter([first]), lambda i: f"argument {got.argument[i]}")
    if not stdin:
        from ..io import npy

        if not os.path.isdir(input_file) and npy.is_npy(input_file):  # type: ignore[arg-type]
            return _npy_input(input_file, raw_as)  # type: ignore[arg-type]
        try:
            source: Any = open(input_file, "rb")  # type: ignore[arg-type]  # closed by blocks()
            if os.path.isdir(input_file):  # type: ignore[arg-type]
                raise IsADirectoryError(21, "Is a directory")
        except OSError as e:
            raise Fail(f"cannot read {shown(input_file)}: {e.strerror or e}") from None  # type: ignore[arg-type]
    else:
        if sys.stdin is None:
            raise Fail("no values given and standard input is closed")
        if sys.stdin.isatty():
            sys.stderr.write("actgrad: enter values, one per line or separated by spaces;"
                             " Ctrl-D to finish\n")
        source = sys.stdin.buffer
    reader = ValueReader(source, on_invalid=on_invalid, dtype=dtype)

    def where(i: int, at: Any = None) -> str:
        token, line, col = reader.locate(i, at)
        return f"line {line}, column {col}"

    def pinned() -> Callable[[int], str]:
        at = reader.position
        return lambda i: where(i, at)

    def blocks() -> Iterator[np.ndarray]:
        try:
            if progress:
                from ..io.progress import with_progress

                yield from with_progress(iter(reader), source)
            else:
                yield from reader
        finally:
            if not stdin:
                source.close()

    return Input(blocks(), where, pinned=pinned,
                 report=lambda: _report_skipped(reader.skipped, on_invalid))


def _npy_input(path: str, raw_as: str | None) -> Input:
    from ..io.npy import NpyError, NpyReader

    try:
        reader = NpyReader(path, raw_as=raw_as)
    except NpyError as e:
        raise Fail(f"cannot read {shown(path)}: {e}") from None
    start = [0, 0]  # the first index of the last block, and of the one after it

    def blocks() -> Iterator[np.ndarray]:
        try:
            for block in reader.blocks():
                start[:] = [start[1], start[1] + block.size]
                yield block
        except NpyError as e:
            raise Fail(f"cannot read {shown(path)}: {e}") from None

    def pinned() -> Callable[[int], str]:
        first = start[0]
        return lambda i: _npy_place(path, reader, first + i)

    return Input(blocks(), lambda i: _npy_place(path, reader, start[0] + i), reader,
                 lambda k: _npy_place(path, reader, k), pinned)


def _npy_place(path: str, reader: Any, index: int) -> str:
    """Where value `index` (in the blocks' order) of a .npy input is: its element."""
    at = np.unravel_index(index, reader.shape, order=reader.order) if reader.shape else ()
    return f"{shown(path)} element {list(map(int, at))}"


def _report_skipped(count: int, on_invalid: str) -> None:
    if count:
        what = "skipped" if on_invalid == "skip" else "written as nan"
        sys.stderr.write(f"actgrad: {count} token(s) that are not numbers {what}\n")


def read_values(values: Sequence[str], on_invalid: str, input_file: str | None,
                limit: int) -> np.ndarray:
    """All the values of a command that needs them at once (table, check), at most `limit`."""
    blocks, _ = input_blocks(values, on_invalid, input_file, progress=False)
    parts: list[np.ndarray] = []
    count = 0
    for block in blocks:
        parts.append(block)
        count += len(block)
        if count > limit:
            raise Fail(f"at most {limit} values can be given here, got more")
    return np.concatenate(parts) if parts else np.empty(0)


def check_order(order: int) -> int:
    try:
        return registry.check_order(order)
    except ValueError as e:
        raise Fail(f"--order: {e}") from None


def exact_compute(f: registry.Activation, deriv: int, exact: bool, digits: int | None,
                  kink: str) -> Callable[[np.ndarray], Any] | None:
    """The rigorous path of --exact/--digits (ball arithmetic), or None when neither is given.

    --exact: the exact value correctly rounded once to the values' dtype (float64, or the
    --dtype); --digits N: N significant digits, correctly rounded, trailing zeros kept.
    """
    if not exact and digits is None:
        return None
    from ..io.numbers import NumberTexts
    from ..numerics import rigorous

    if digits is not None and not 1 <= digits <= rigorous.MAX_DIGITS:
        raise Fail(f"--digits must be between 1 and {rigorous.MAX_DIGITS}, got {digits}")

    def compute(z: np.ndarray) -> Any:
        try:
            if digits is None:
                return rigorous.values_float(f, z, deriv=deriv, kink=kink, dtype=z.dtype)
            return NumberTexts(rigorous.values_text(f, z, deriv=deriv, kink=kink, digits=digits))
        except ArithmeticError as e:
            raise Fail(f"cannot decide the rounding: {e}", 1) from None

    return compute


def stream(values: Sequence[str] | None, on_invalid: str, dtype: str | None, writer: Writer,
           compute: Callable[[np.ndarray], Any], input_file: str | None = None,
           progress: bool = True, output_file: str | None = None, threads: int = 0,
           into: Callable[[np.ndarray, np.ndarray], Any] | None = None) -> None:
    """Read blocks of values, compute, write; values before an error are written first.

    dtype None: float64, or a .npy input's own float type. output_file: the results go to
    that .npy file (io.npy.NpyWriter, of the input's shape for a .npy input), not stdout.
    threads: compute may run on that many threads at once (it is numpy's float path, with
    no global state; 0: not threadsafe), which a .npy input does (_pipelined); into:
    compute(x) written to a given array, into(x, out) (out=), for a .npy input and output."""
    raw_as = dtype if dtype in ML_DTYPES else None
    got = open_input(values, on_invalid, input_file, progress, raw_as,
                     as_dtype(dtype) if dtype else None)
    to = as_dtype(dtype or (got.npy.dtype if got.npy is not None else "float64"))
    sink: Any = writer
    if output_file is not None:
        sink = _NpySink(output_file, to, got.npy, input_file)
    if threads and got.place is not None:
        with sink:
            return _pipelined(got, to, sink, compute, threads if to == np.float64 else 1, into)
    idle: list[Callable[[], None]] = []  # what to do while the next block is not parsed yet
    blocks: Generator[tuple[np.ndarray, Callable[[int], str]], None, None] = (
        ((block, got.where) for block in got.blocks) if got.pinned is None
        else _read_ahead(got.blocks, got.pinned, idle))
    try:
        with sink, _render_ahead(sink, got.pinned is not None) as write:
            idle.append(lambda: write(None))  # (typed input: each answer at once)
            for i, (block, where) in enumerate(blocks):
                if i == 1:  # a second block: a long stream (runtime.keep_freed_memory)
                    runtime.keep_freed_memory()
                with np.errstate(over="ignore", invalid="ignore"):  # (e4m3fn: above 464: nan)
                    x = block.astype(to, copy=False)
                try:
                    y = compute(x)
                except registry.OutputRangeError as e:
                    write(None)  # (the blocks before it first)
                    _write_before(sink, compute, x, e, where)
                write(x, y)
    finally:
        blocks.close()  # (the reader thread stops; the input file is closed)
    if got.report is not None:  # (here, after the output: the reader thread may be done first)
        got.report()


@contextlib.contextmanager
def _render_ahead(writer: Any, ahead: bool) -> Iterator[Callable[..., None]]:
    """stream's ``write(x, y)`` for a stream of blocks: each block's text is rendered
    (Writer.render: the formatting, most of the main thread's time in csv or json) on a
    worker thread while this thread computes the next block, and written here, in order,
    once that next block is computed. Three threads then share the two cores (the reader
    parses the block after), so the formats' extra work costs wall time in proportion to
    CPU time, not all on the one thread that both computed and formatted (deriv sigmoid,
    1e7 values: that thread took 62 % of the CPU time with plain output, 72 % with csv).
    ``write(None)`` writes the block rendered so far; at the end, or at an error (an input
    error, a value out of range: the blocks before it are written first), it is written
    too; not on a signal or a failed write. Values given as arguments (not ``ahead``: one
    block), the table format and a .npy output (not a Writer) write as they come."""
    if not ahead or not isinstance(writer, Writer) or writer.fmt == "table":
        def direct(x: Any, y: Any = None) -> None:
            if x is not None:
                writer.write(x, y)

        yield direct
        return
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(1, thread_name_prefix="actgrad-render")
    pending: list[Any] = []

    def flush() -> None:
        while pending:
            text = pending.pop().result()
            if text is not None:
                writer.emit(text)

    def write(x: Any, y: Any = None) -> None:
        if x is None:
            flush()
            return
        job = pool.submit(writer.render, x, y)
        flush()
        pending.append(job)

    try:
        yield write
        flush()
    except (KeyboardInterrupt, OSError, OutputError):
        raise
    except BaseException:
        flush()  # (the blocks before an input error are written)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


_AHEAD = 2  # blocks read ahead: parsed, waiting for the computation


def _read_ahead(blocks: Iterator[np.ndarray], pinned: Callable[[], Callable[[int], str]],
                idle: Sequence[Callable[[], None]] = ()
                ) -> Generator[tuple[np.ndarray, Callable[[int], str]], None, None]:
    """The blocks, each with its `where`, read and parsed by a second thread while this one
    computes and writes the blocks before them: numpy's loops release the GIL, so parsing
    runs beside the computation where a second core is free (deriv gelu on 1e6 values, 6
    paired runs on the shared 2-core machine: 2.84 s against 3.41 s wall; sigmoid, whose
    computation is small, about the same).

    Everything else stays as it was: the blocks come in order, an input error comes where
    its block would have, after every block before it is written; signals are handled
    here, in the main thread (the reader is a daemon thread that never holds up the exit),
    and typed input still comes out at once (the reader hands each block over as soon as it
    is parsed). The reader stops at the next block once this generator is closed. Each of
    `idle` is called before waiting for a block that is not parsed yet."""
    import queue
    import threading

    handoff: queue.Queue[Any] = queue.Queue(maxsize=_AHEAD)
    stop = threading.Event()

    def read() -> None:
        try:
            for block in blocks:
                handoff.put((block, pinned()))
                if stop.is_set():
                    break
        except BaseException as e:  # (an input error: raised in the main thread, in turn)
            handoff.put((None, e))
        else:
            handoff.put((None, None))
        finally:
            close = getattr(blocks, "close", None)
            if close is not None:
                close()

    reader = threading.Thread(target=read, name="actgrad-reader", daemon=True)
    reader.start()
    try:
        while True:
            if handoff.empty():
                for then in idle:  # (stream's rendered block written while we wait)
                    then()
            block, where = handoff.get()
            if block is None:
                if where is not None:
                    raise where
                return
            yield block, where
    finally:
        stop.set()
        try:  # room for the reader's last put, so that it sees stop and ends
            while True:
                handoff.get_nowait()
        except queue.Empty:
            pass


def _pipelined(got: Input, to: np.dtype, sink: Any, compute: Callable[[np.ndarray], Any],
               threads: int, into: Callable[[np.ndarray, np.ndarray], Any] | None) -> None:
    """stream's loop for a .npy input, on threads: up to `threads` blocks are computed at
    once on worker threads (numpy's loops release the GIL; as many as there are free cores,
    _CoreShare, at least one), one more waits, and this thread
    writes the results in order, so the output is the serial loop's, block for block, and
    so are the errors (a value that is not an output, or a failed read, comes after every
    block before it is written). Only float64 results go on more than one thread: a
    smaller type's rare rounding-boundary values take the rigorous path, whose ball
    arithmetic's precision is global to the process.

    Into a .npy file (which takes a block's bytes at once and keeps no reference) from a
    C-order one, each worker reads its own block (at its offset) and computes it in place
    (`into`: compute with out=), in threads + 1 pairs of buffers used in turn: memory stays
    those few blocks, no block costs new pages, and a block is read and computed on one
    core. Otherwise this thread reads the blocks in order and the workers compute them."""
    from collections import deque

    from ..io.npy import BLOCK, NpyError

    reader = got.npy
    runtime.keep_freed_memory()  # (a block's temporaries cost no new pages each time)
    share = _CoreShare(threads)
    direct = into is not None and isinstance(sink, _NpySink) and reader.random_access
    free: deque[Any] = deque(
        (np.empty(reader.buffer_bytes, dtype=np.uint8), np.empty(BLOCK, dtype=to))
        if direct else None for _ in range(threads + 1))

    def as_to(block: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore", invalid="ignore"):  # (e4m3fn: above 464 is nan)
            return block.astype(to, copy=False)

    def work(block: np.ndarray) -> tuple[np.ndarray, Any, Any]:
        with share:
            x = as_to(block)
            try:
                return x, compute(x), None
            except registry.OutputRangeError as e:
                return x, None, e

    def work_at(blocks: Any, k: int, slot: Any) -> tuple[np.ndarray, Any, Any]:
        with share:
            x = as_to(blocks.read(k, slot[0]))
            try:
                return x, into(x, slot[1][:x.size]), None  # type: ignore[misc]
            except registry.OutputRangeError as e:
                return x, None, e

    def emit(start: int, slot: Any, job: Any) -> None:
        try:
            x, y, error = job.result()
        except NpyError as e:
            raise Fail(f"cannot read {shown(reader.path)}: {e}") from None
        if error is not None:
            _write_before(sink, compute, x, error, lambda i: got.place(start + i))  # type: ignore[misc]
        sink.write(x, y)
        free.append(slot)

    pending: deque[tuple[int, Any, Any]] = deque()
    if direct:
        with reader.block_reader() as blocks, _block_pool(threads) as pool:
            for k in range(reader.block_count):
                share.update()
                slot = free.popleft()
                pending.append((k * BLOCK, slot, pool.submit(work_at, blocks, k, slot)))
                while len(pending) > threads:
                    emit(*pending.popleft())
            while pending:
                emit(*pending.popleft())
        return
    with _block_pool(threads) as pool:
        start, source = 0, iter(got.blocks)
        while True:
            try:
                block = next(source)
            except StopIteration:
                break
            except Fail:  # the input ends or fails here: the blocks before it first
                while pending:
                    emit(*pending.popleft())
                raise
            share.update()
            pending.append((start, None, pool.submit(work, block)))
            start += block.size
            while len(pending) > threads:
                emit(*pending.popleft())
        while pending:
            emit(*pending.popleft())


@contextlib.contextmanager
def _block_pool(threads: int) -> Iterator[Any]:
    """_pipelined's worker threads. At the end, or at an error or a signal, the blocks not
    started are dropped and those computing finish (a few milliseconds) before the input
    file closes: no worker outlives its buffers or its file."""
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(threads, thread_name_prefix="actgrad-block")
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


class _NpySink:
    """The results (the last column) into a .npy file, in the results' type. The file is
    created with the first block (or, when there were no values, at a clean end: an empty
    array), so an input that fails to open or parse leaves an existing file as it was."""

    def __init__(self, path: str, dtype: np.dtype, source: Any, input_file: str | None):
        self.path, self.dtype = path, dtype
        self.shape, self.order = (source.shape, source.order) if source is not None \
            else (None, "C")
        self.out: Any = None
        if os.path.isdir(path):
            raise Fail(f"cannot write {shown(path)}: Is a directory")
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise Fail(f"cannot write {shown(path)}: No such file or directory")
        if not os.access(folder, os.W_OK) or (os.path.exists(path) and
                                                not os.access(path, os.W_OK)):
            raise Fail(f"cannot write {shown(path)}: Permission denied")
        if input_file not in (None, "-") and os.path.exists(path) and \
                os.path.samefile(path, input_file):  # type: ignore[arg-type]
            raise Fail(f"--output {shown(path)} is the input file: write the results elsewhere")

    def _open(self, dtype: np.dtype) -> None:
        from ..io.npy import NpyError, NpyWriter

        try:
            self.out = NpyWriter(self.path, dtype, self.shape, self.order)
        except NpyError as e:
            raise Fail(f"cannot write {shown(self.path)}: {e}") from None

    def write(self, x: np.ndarray, y: Any) -> None:
        if isinstance(y, list):
            raise Fail("--digits gives text; -o FILE.npy takes floats (use --exact)")
        y = np.asarray(y)
        if self.out is None:
            self._open(y.dtype)
        try:
            self.out.write(y)
        except OSError as e:
            raise Fail(f"cannot write {shown(self.path)}: {e.strerror or e}") from None

    def __enter__(self) -> "_NpySink":
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if self.out is None and exc_type is None:
            self._open(self.dtype)  # no values: an empty array
        if self.out is not None:
            self.out.close(complete=exc_type is None)


def _write_before(writer: Writer, compute: Callable[[np.ndarray], Any], x: np.ndarray,
                  error: registry.OutputRangeError, where: Callable[[int], str]) -> None:
    """Write the values before the first one that is not an output, then fail naming it.

    The error names the first value of one kind (out of range, or in a gap of the range);
    the values before it may still hold one of the other kind, so look again.
    """
    while error.index:
        try:
            y = compute(x[:error.index])
        except registry.OutputRangeError as earlier:
            error = earlier
            continue
        writer.write(x[:error.index], y)
        break
    raise Fail(f"{where(error.index)}: {error}") from None


# -- table and check ----------------------------------------------------------------------------

MAX_STEP = 0.1  # a larger step leaves the local behaviour of g the difference should see
MAX_TABLE_POINTS = 100_000  # each point costs a numerical derivative in extended precision
TABLE_RANGE = (-5.0, 5.0, 11)  # --start, --stop, --num
PLOT_RANGE = (-6.0, 6.0)


#: the --order of table, check and plot: g′, or g′ and g″
CHECK_ORDERS = (1, 2)


def check_order_of(command: str, order: int) -> int:
    """--order of table, check and plot: 1 or 2 (one line naming what is allowed otherwise)."""
    if isinstance(order, bool) or order not in CHECK_ORDERS:
        raise Fail(f"--order: {command} takes 1 (g′) or 2 (g″), got {order!r}")
    return int(order)


def _first_order_only(command: str, order: int) -> None:
    if order != 1:
        raise Fail(f"--order {order}: {command} takes an expression in z at order 1 only"
                   " (deriv --order 2 gives its g″)")


def table_points(zs: Sequence[str], on_invalid: str, input_file: str | None, start: float,
                 stop: float, num: int) -> np.ndarray:
    """table's z: the values given, else --num points from --start to --stop."""
    if zs or input_file is not None:
        return read_values(zs, on_invalid, input_file, MAX_TABLE_POINTS)
    if not 1 <= num <= MAX_TABLE_POINTS:
        raise Fail(f"--num must be between 1 and {MAX_TABLE_POINTS}, got {num}")
    check_range(start, stop, allow_equal=True)
    return np.linspace(start, stop, num)


def check_step(step: float) -> None:
    if not (0 < step <= MAX_STEP):
        raise Fail(f"--step must be a number in (0, {MAX_STEP}], got {step!r}")


def check_range(start: float, stop: float, *, allow_equal: bool) -> None:
    """--start and --stop: finite, ordered, with a finite width."""
    if not (np.isfinite(start) and np.isfinite(stop)) or start > stop or (
            start == stop and not allow_equal):
        order = "<=" if allow_equal else "<"
        raise Fail(f"--start and --stop must be finite with --start {order} --stop,"
                   f" got {start!r} and {stop!r}")
    if not np.isfinite(stop - start):
        raise Fail(f"--stop − --start must be a finite number, got {start!r} to {stop!r}")


def table_fits(fmt: str, points: int, funcs: int) -> None:
    """-f table is drawn whole, in memory: at most MAX_TABLE_ROWS rows in all, refused before
    any point is computed (100000 rows took minutes and half a gigabyte)."""
    if fmt == "table" and points * funcs > MAX_TABLE_ROWS:
        raise Fail(f"-f table draws at most {MAX_TABLE_ROWS} rows, not {points * funcs}"
                   f" ({funcs} function{'s' if funcs > 1 else ''} × {points} points);"
                   " use -f csv, tsv, json or jsonl for more, which stream")


def table(items: Sequence[str], *, start: float = TABLE_RANGE[0], stop: float = TABLE_RANGE[1],
          num: int = TABLE_RANGE[2], param: Sequence[str] | None = None,
          kink: str | None = None, step: float = DEFAULT_STEP, fmt: str = "table",
          input_file: str | None = None, on_invalid: str = "fail", order: int = 1,
          like: str | None = None) -> None:
    from ..numerics import gradcheck
    from ..views import table as view

    order = check_order_of("table", order)
    funcs, zs = split_functions(items)
    if not funcs:
        raise Fail("name at least one function before the values")
    if any(vectors.is_vector(f) and not registry.is_name(f) for f in funcs):
        from . import vectorcmd

        return vectorcmd.table(funcs, zs, param=param, fmt=fmt, input_file=input_file,
                               order=order)
    check_step(step)
    like = check_like(like, funcs)
    kink = kink_of(kink, like)
    if any(expression.is_expression(f) for f in funcs):
        _first_order_only("table", order)
        return expression_table(funcs, zs, start=start, stop=stop, num=num, param=param,
                                kink=kink, step=step, fmt=fmt, input_file=input_file,
                                on_invalid=on_invalid)
    acts = bind_all(funcs, param, like)
    z = table_points(zs, on_invalid, input_file, start, stop, num)
    table_fits(fmt, len(z), len(acts))
    view.write(fmt, gradcheck.table_rows_all(acts, z, step=step, kink=kink, order=order))


def check(items: Sequence[str] | None, *, tol: float | None = None, step: float = DEFAULT_STEP,
          param: Sequence[str] | None = None, fmt: str = "table", input_file: str | None = None,
          on_invalid: str = "fail", order: int = 1, like: str | None = None,
          **judge: Any) -> int:
    """The gradient check (of g″ with order 2); returns 1 when a function fails. With
    --impl, --values or --deriv (`judge`: the options of ``audit``), the audit of an
    implementation instead."""
    from ..numerics import gradcheck
    from ..views import check as view

    if any(judge.get(k) is not None for k in AUDIT_SOURCES):
        return audit(items, tol=tol, param=param, fmt=fmt, input_file=input_file,
                     on_invalid=on_invalid, order=order, **judge)
    for name, value in judge.items():
        if value not in (None, False):
            raise Fail(f"--{name.replace('_', '-')} goes with --impl, --values or --deriv")
    tol = DEFAULT_TOL if tol is None else tol
    order = check_order_of("check", order)
    funcs, zs = split_functions(items or [])
    check_step(step)
    like = check_like(like, funcs)
    if not (tol >= 0):
        raise Fail(f"--tol must be a number >= 0, got {tol!r}")
    if any(vectors.is_vector(f) and not registry.is_name(f) for f in funcs):
        from . import vectorcmd

        return vectorcmd.check(funcs, zs, tol=tol, param=param, fmt=fmt,
                               input_file=input_file, order=order)
    if any(expression.is_expression(f) for f in funcs):
        _first_order_only("check", order)
        return expression_check(funcs, zs, tol=tol, step=step, param=param, fmt=fmt,
                                input_file=input_file, on_invalid=on_invalid)
    acts = bind_all(funcs or registry.names(), param, like)
    extra = None
    if zs or input_file is not None:
        extra = read_values(zs, on_invalid, input_file, MAX_TABLE_POINTS)
        if not np.isfinite(extra).all():
            raise Fail("check needs finite values: a difference quotient at ±inf or nan means nothing")
    results = gradcheck.check_all(acts, extra, step=step, tol=tol, order=order)
    view.write(fmt, results)
    return 0 if all(r.passed for r in results) else 1


def expression_table(funcs: Sequence[str], zs: Sequence[str], *, start: float, stop: float,
                     num: int, param: Sequence[str] | None, kink: str, step: float, fmt: str,
                     input_file: str | None, on_invalid: str) -> None:
    """`table` with expressions in z among the functions (``numerics.exprcheck``)."""
    from ..numerics import exprcheck, gradcheck
    from ..views import table as view

    funcs_bound = bind_any(funcs, param)
    z = table_points(zs, on_invalid, input_file, start, stop, num)
    table_fits(fmt, len(z), len(funcs_bound))
    acts = [f for f in funcs_bound if isinstance(f, registry.Activation)]
    rows = iter(gradcheck.table_rows_all(acts, z, step=step, kink=kink) if acts else [])
    view.write(fmt, [next(rows) if isinstance(f, registry.Activation)
                     else exprcheck.table_rows(f, z, step=step, kink=kink)
                     for f in funcs_bound])


def expression_check(funcs: Sequence[str], zs: Sequence[str], *, tol: float, step: float,
                     param: Sequence[str] | None, fmt: str, input_file: str | None,
                     on_invalid: str) -> int:
    """`check` with expressions in z among the functions; 1 when one fails."""
    from ..numerics import exprcheck, gradcheck
    from ..views import check as view

    if not (tol >= 0):
        raise Fail(f"--tol must be a number >= 0, got {tol!r}")
    funcs_bound = bind_any(funcs, param)
    extra = None
    if zs or input_file is not None:
        extra = read_values(zs, on_invalid, input_file, MAX_TABLE_POINTS)
        if not np.isfinite(extra).all():
            raise Fail("check needs finite values: a difference quotient at ±inf or nan means nothing")
    acts = [f for f in funcs_bound if isinstance(f, registry.Activation)]
    done = iter(gradcheck.check_all(acts, extra, step=step, tol=tol) if acts else [])
    results = [next(done) if isinstance(f, registry.Activation)
               else exprcheck.check(f, extra, step=step, tol=tol) for f in funcs_bound]
    view.write(fmt, results)
    return 0 if all(r.passed for r in results) else 1


# -- judging an implementation: check FUNC --impl / --values / --deriv -------------------------

#: the options that make `check` an audit (each names what is judged)
AUDIT_SOURCES = ("impl", "values_file", "deriv_expr")
MAX_EXTRA_POINTS = 100_000


def _judged(name: str, param: Sequence[str] | None) -> Any:
    """FUNC of an audit: a catalogue function with -p parameters, or an expression."""
    if expression.is_expression(name):
        return expression_of(name, param)
    return activation(name, param)


def audit(items: Sequence[str] | None, *, impl: str | None = None,
          values_file: str | None = None, deriv_expr: str | None = None,
          column: str | None = None, z_column: str | None = None, of: str | None = None,
          order: int = 1, dtype: str | None = None, tol: float | None = None,
          rel: bool = False, param: Sequence[str] | None = None, fmt: str = "table",
          input_file: str | None = None, on_invalid: str = "fail") -> int:
    """Judge an implementation against the exact values: a Python callable (--impl
    FILE.py:NAME), values from a csv/tsv file (--values FILE), or a hand-derived derivative
    (--deriv EXPR); 0 when within the tolerance, 1 when not."""
    from .. import auditing
    from ..views import audit as view

    sources = [f"--{k.replace('_file', '').replace('_expr', '')}" for k, v in
               (("impl", impl), ("values_file", values_file), ("deriv_expr", deriv_expr))
               if v is not None]
    if len(sources) > 1:
        raise Fail(f"{' and '.join(sources)} exclude each other: judge one thing at a time")
    funcs, zs = split_functions(items or [])
    if len(funcs) != 1:
        raise Fail(f"{sources[0]} judges one function: name it first, e.g. actgrad check"
                   f" sigmoid {sources[0]} {'naive.py:dsig' if impl else 'FILE'}"
                   + (f" (got {len(funcs)}: {', '.join(funcs)})" if funcs else ""))
    if values_file is None and (column is not None or z_column is not None):
        raise Fail("--column and --z-column name the columns of a --values file")
    if deriv_expr is not None and (of == "g" or order != 1):
        raise Fail("--deriv judges g′: it takes neither --of g nor --order 2")
    if not (tol is None or (tol >= 0 and np.isfinite(tol))):
        raise Fail(f"--tol must be a finite number >= 0, got {tol!r}")
    if rel and tol is None:
        raise Fail("--rel says --tol is a relative error: give --tol too")
    target = _judged(funcs[0], param)
    options: dict[str, Any] = dict(of=of or "deriv", order=check_order_of("check --impl", order),
                                   dtype=dtype or "float64")
    options["rel" if rel else "ulp"] = tol
    try:
        if values_file is not None:
            if zs or input_file is not None:
                raise Fail("--values reads z from its file: give no other values")
            z, given = _read_judged_values(values_file, z_column, column)
            with np.errstate(all="ignore"):  # (the values judged may be anything)
                report = auditing.audit_values(z, given, target, **options)
        else:
            extra = None
            if zs or input_file is not None:
                extra = read_values(zs, on_invalid, input_file, MAX_EXTRA_POINTS)
            if impl is not None:
                fn = _load_impl(impl)
            else:
                derivative = expression_of(deriv_expr, None)  # type: ignore[arg-type]
                fn = derivative
            with np.errstate(all="ignore"):
                report = auditing.audit(fn, target, values=extra, **options)
    except auditing.AuditError as e:
        raise Fail(str(e)) from None
    except ValueError as e:
        raise Fail(str(e)) from None
    view.write(fmt, report)
    return 0 if report.ok else 1


def _load_impl(impl: str) -> Any:
    from .. import auditing

    path, sep, name = impl.rpartition(":")
    if not sep or not path or not name.isidentifier():
        raise Fail(f"--impl takes FILE.py:NAME (the file and the function in it), got"
                   f" {shown(impl)}")
    try:
        return auditing.load_callable(path, name)
    except OSError as e:
        raise Fail(f"--impl: cannot read {shown(path)}: {e.strerror or e}") from None
    except auditing.AuditError as e:
        raise Fail(f"--impl: {e}") from None


def _read_judged_values(path: str, z_column: str | None, column: str | None
                        ) -> tuple[np.ndarray, np.ndarray]:
    from ..io.columns import ColumnsError, read_columns
    from ..io.reader import InputError

    try:
        if os.path.isdir(path):
            raise IsADirectoryError(21, "Is a directory")
        with open(path, "rb") as fh:
            z, given, _, _ = read_columns(fh, z_column, column)
    except OSError as e:
        raise Fail(f"--values: cannot read {shown(path)}: {e.strerror or e}") from None
    except (ColumnsError, InputError) as e:
        raise Fail(f"--values {shown(path)}: {e}") from None
    return z, given


# -- list, plot, explain ------------------------------------------------------------------------


def listing(fmt: str = "table", wide: bool = False, like: str | None = None) -> None:
    from ..views import listing as view

    like = check_like(like)
    if like is not None:
        if wide:
            raise Fail("--wide shows the formulas; with --like the list shows what the"
                       " framework changes")
        return view.write_like(fmt, like)
    view.write(fmt, [registry.get(n) for n in registry.names()], wide=wide)


def plot(funcs: Sequence[str], *, start: float = PLOT_RANGE[0], stop: float = PLOT_RANGE[1],
         deriv_only: bool = False, value_only: bool = False, param: Sequence[str] | None = None,
         width: int | None = None, height: int | None = None, output: str | None = None,
         order: int = 1, like: str | None = None) -> None:
    second = check_order_of("plot", order) == 2
    vector_views = None
    if any(vectors.is_vector(name) and not registry.is_name(name) for name in funcs):
        from . import vectorcmd

        vector_views = vectorcmd.plot_views(funcs, param, like)
    if deriv_only and value_only:
        raise Fail("--deriv-only and --value-only exclude each other")
    check_range(start, stop, allow_equal=False)
    if output is not None and not output.lower().endswith(".svg"):
        raise Fail(f"--output: only .svg files can be written, got {output!r}")
    if vector_views is not None:
        acts: list[Any] = vector_views
    else:
        like = check_like(like, funcs)
    if vector_views is not None:
        pass
    elif any(expression.is_expression(f) for f in funcs):
        _first_order_only("plot", order)
        from ..numerics.exprcheck import Located

        acts = [Located(f, start, stop) if isinstance(f, expression.Expression)
                else f for f in bind_any(funcs, param)]
    else:
        acts = bind_all(funcs, param, like)
    from ..views import plot as plotting

    cols, lines = plotting.terminal_size()
    width = cols if width is None else width
    height = lines if height is None else height
    try:
        plotting.check_size(width, height)
        plotting.check_range(start, stop)
        panels = plotting.sample(acts, start, stop, value=not deriv_only, deriv=not value_only,
                                 second=second)
        text = plotting.terminal_plot(acts, start, stop, width=width, height=height,
                                      colour=plotting.use_colour(), panels=panels)
        picture = plotting.svg(acts, start, stop, panels) if output is not None else None
    except plotting.PlotError as e:
        raise Fail(str(e)) from None
    if picture is not None and output is not None:
        try:
            with open(output, "w", encoding="utf-8") as fh:
                fh.write(picture)
        except OSError as e:
            raise Fail(f"cannot write {output}: {e.strerror or e}", 1) from None
    Output().write(text)


EXPLAIN_FORMATS = ("auto", "plain", "rich")


def explain(func: str, *, lang: str | None = None, param: Sequence[str] | None = None,
            fmt: str = "auto", like: str | None = None) -> None:
    from ..views import explain as lessons

    lang = lang.lower() if lang is not None else None
    if lang is not None and lang not in lessons.LANGS:
        raise Fail(f"--lang must be one of {', '.join(lessons.LANGS)}, got {lang!r}")
    if fmt not in EXPLAIN_FORMATS:
        raise Fail(f"--format must be auto, plain or rich, got {fmt!r}"
                   f"{registry.suggest(fmt, EXPLAIN_FORMATS)}")
    check_like(like, [func])
    if vectors.is_vector(func) and not registry.is_name(func):
        from ..views import vector_explain

        try:
            f: Any = vectors.vector(func, **parse_params(param))
        except ValueError as e:
            raise Fail(str(e)) from None
        blocks = vector_explain.lesson(f, lang or lessons.default_lang())
    elif expression.is_expression(func):
        blocks = lessons.expression_lesson(expression_of(func, param),
                                           lang or lessons.default_lang())
    else:
        blocks = lessons.lesson(activation(func, param, like), lang or lessons.default_lang())
    styled = fmt == "rich" or (fmt == "auto" and sys.stdout.isatty()
                               and not os.environ.get("NO_COLOR"))
    if styled:
        text = lessons.render_rich(blocks, force=fmt == "rich")
    else:
        import shutil

        text = lessons.render_plain(blocks, shutil.get_terminal_size((80, 24)).columns)
    Output().write(text)
