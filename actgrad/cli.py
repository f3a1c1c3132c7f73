"""The `actgrad` command line: a thin Typer layer over the registry, gradcheck, streams and render.

No math here: this module parses options, wires input to the Python API and the API's results
to a writer, and turns every error into one line on stderr with a documented exit status:
0 success, 1 a failed check or an output that cannot be written, 2 a usage or input error,
130 interrupted; a closed pipe ends actgrad quietly, as it does cat or awk (SIGPIPE).
"""


import os
import sys
from enum import Enum
from typing import Annotated, Any, Callable, Optional

import numpy as np
import typer
from typer.core import TyperCommand, TyperGroup

from . import __version__
from . import registry
from .activations import KINK_CONVENTIONS
from .numerics.gradcheck import DEFAULT_STEP, DEFAULT_TOL
from .pipeline import NUMBER, Fail, activation, exact_compute, guarded, prepare_process, say, stream
from .render import FORMATS, Writer
from .streams import parse_arguments


# -- argument parsing: negative numbers are values, not options ----------------------------

def _numbers_as_positionals(cmd: Any, ctx: Any, args: list[str]) -> list[str]:
    """Move positionals after a '--' when one of them starts with '-' (like -2 or -inf).

    Options keep their values (``--start -5``); the positionals keep their order.
    """
    takes_value: set[str] = set()
    for p in cmd.get_params(ctx):
        if getattr(p, "opts", None) and not getattr(p, "is_flag", False) and p.param_type_name == "option":
            takes_value.update(p.opts)
            takes_value.update(p.secondary_opts)
    options: list[str] = []
    positionals: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            positionals.extend(args[i + 1:])
            break
        if a.startswith("-") and a != "-" and not NUMBER.fullmatch(a):
            options.append(a)
            if a in takes_value and i + 1 < len(args):
                options.append(args[i + 1])
                i += 1
        else:
            positionals.append(a)
        i += 1
    if not any(p.startswith("-") and p != "-" for p in positionals):
        return args
    return options + ["--"] + positionals


class NumberCommand(TyperCommand):
    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, _numbers_as_positionals(self, ctx, args))


class ActgradGroup(TyperGroup):
    """Runs a command and turns every failure into one line on stderr and an exit status."""

    def main(self, args: Any = None, prog_name: Any = None, complete_var: Any = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        code = _run_guarded(lambda: super(ActgradGroup, self).main(
            args=args, prog_name=prog_name or "actgrad", complete_var=complete_var,
            standalone_mode=False, **extra))
        sys.exit(code)


def _run_guarded(run: Callable[[], Any]) -> int:
    """Typer's usage errors as one line; everything else as pipeline.guarded does."""
    from typer._click import exceptions as click_exc

    def typer_errors() -> Any:
        try:
            return run()
        except click_exc.NoArgsIsHelpError as e:
            typer.echo(e.ctx.get_help())
            return 0
        except click_exc.UsageError as e:
            where = f" (see '{e.ctx.command_path} --help')" if e.ctx is not None else ""
            return say(e.format_message().replace("\n", " ") + where, 2)
        except typer.Abort:
            return 130

    return guarded(typer_errors)


# -- choices -------------------------------------------------------------------------------

ValueFormat = Enum("ValueFormat", {f: f for f in FORMATS}, type=str)  # type: ignore[misc]
ReportFormat = Enum("ReportFormat", {f: f for f in FORMATS if f != "plain"}, type=str)  # type: ignore[misc]
KinkConvention = Enum("KinkConvention", {k: k for k in KINK_CONVENTIONS}, type=str)  # type: ignore[misc]


class OnInvalid(str, Enum):
    fail = "fail"
    skip = "skip"
    nan = "nan"


class DType(str, Enum):
    float64 = "float64"
    float32 = "float32"
    float16 = "float16"


def _complete_function(incomplete: str) -> list[str]:
    return [n for n in registry.all_names() if n.startswith(incomplete)]


FuncArg = Annotated[str, typer.Argument(metavar="FUNC", help="Activation name or alias (see 'actgrad list').",
                                        autocompletion=_complete_function, show_default=False)]
ValuesArg = Annotated[Optional[list[str]], typer.Argument(
    metavar="[Z]...", show_default=False,
    help="Values. None, or '-', reads stdin: numbers separated by whitespace, commas or newlines.")]
ParamOpt = Annotated[Optional[list[str]], typer.Option(
    "--param", "-p", metavar="NAME=VALUE", help="Set a parameter, e.g. -p negative_slope=0.2 (repeatable).")]
KinkOpt = Annotated[KinkConvention, typer.Option(
    "--kink", "-k", help="g′ at a kink: as PyTorch's or JAX's autograd, the left or right slope, or their mean.")]
OnInvalidOpt = Annotated[OnInvalid, typer.Option(
    "--on-invalid", help="A token that is not a number: stop (exit 2), skip it, or write nan in its place.")]
DTypeOpt = Annotated[DType, typer.Option(
    "--dtype", help="Compute for this float type: results are the float64 result rounded to it.")]
ExactOpt = Annotated[bool, typer.Option(
    "--exact", help="Compute in high precision (mpmath) and print the correctly rounded float64.")]
DigitsOpt = Annotated[Optional[int], typer.Option(
    "--digits", "-d", metavar="N", show_default=False,
    help="Compute in high precision (mpmath) and print N significant digits (1 to 1000).")]
InputOpt = Annotated[Optional[str], typer.Option(
    "--input", "-i", metavar="FILE", show_default=False,
    help="Read the values from FILE instead of stdin.")]
ProgressOpt = Annotated[bool, typer.Option(
    "--progress/--no-progress",
    help="A progress bar on stderr for long runs over a file (only when stderr is a terminal"
         " and stdout is not; shown after about a second).")]
StepOpt = Annotated[float, typer.Option("--step", help="Step h of the central differences (absolute).")]

_APP_SETTINGS: dict[str, Any] = dict(
    cls=ActgradGroup,
    name="actgrad",
    help="Activation functions g(z) and their derivatives g′(z), accurate over the whole float range.\n\n"
         "Example: actgrad deriv sigmoid 0   prints 0.25",
    no_args_is_help=True,
    rich_markup_mode="markdown",  # docstring paragraphs wrap to the terminal
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app = typer.Typer(**_APP_SETTINGS)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"actgrad {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[Optional[bool], typer.Option(
        "--version", "-V", callback=_version, is_eager=True, help="Print the version and exit.")] = None,
) -> None:
    """Activation functions g(z) and their derivatives g′(z), accurate over the whole float range.

    Example: actgrad deriv sigmoid 0   prints 0.25
    """


# -- commands -----------------------------------------------------------------------------------


def _formulas(deriv: bool) -> str:
    """Help epilog: every function with its formula, as a markdown list."""
    lines = [f"- {sp.name}: {sp.deriv_formula if deriv else sp.formula}"
             for sp in (registry.spec(n) for n in registry.names())]
    return "Functions ('actgrad list' adds aliases and parameters):\n\n" + "\n".join(lines)


@app.command("eval", cls=NumberCommand, epilog=_formulas(deriv=False))
def eval_(
    func: FuncArg,
    values: ValuesArg = None,
    param: ParamOpt = None,
    fmt: Annotated[ValueFormat, typer.Option("--format", "-f", help="Output format.")] = "plain",
    on_invalid: OnInvalidOpt = OnInvalid.fail,
    dtype: DTypeOpt = DType.float64,
    exact: ExactOpt = False,
    digits: DigitsOpt = None,
    input_file: InputOpt = None,
    progress: ProgressOpt = True,
) -> None:
    """Print g(z) for each value, one per line, in shortest round-trip form.

    Example: actgrad eval sigmoid 0 2 -2   prints 0.5, 0.8807970779778824, 0.11920292202211756

    Example: seq -5 5 | actgrad eval tanh -f csv

    Example: actgrad eval tanh 1e-8 --digits 30
    """
    f = activation(func, param)
    writer = Writer(fmt.value, ("z", "g"), title=f"{f.name}: {f.spec.formula}")
    stream(values, on_invalid.value, dtype.value, writer,
            exact_compute(f, False, exact, digits, "pytorch") or f, input_file, progress)


@app.command("deriv", cls=NumberCommand, epilog=_formulas(deriv=True))
def deriv(
    func: FuncArg,
    values: ValuesArg = None,
    param: ParamOpt = None,
    kink: KinkOpt = "pytorch",
    from_output: Annotated[bool, typer.Option(
        "--from-output", "-a",
        help="The values are outputs a = g(z); g′ is computed from a alone (sigmoid a(1−a), tanh 1−a²)."
             " Exact algebra on a, so the result is only as precise as a: where a has rounded"
             " (a = 1.0 for sigmoid beyond z ≈ 36.7) g′ from a is 0. Prefer z when you have it.")] = False,
    fmt: Annotated[ValueFormat, typer.Option("--format", "-f", help="Output format.")] = "plain",
    on_invalid: OnInvalidOpt = OnInvalid.fail,
    dtype: DTypeOpt = DType.float64,
    exact: ExactOpt = False,
    digits: DigitsOpt = None,
    input_file: InputOpt = None,
    progress: ProgressOpt = True,
) -> None:
    """Print g′(z) for each value, computed from z with stable forms.

    Example: actgrad deriv sigmoid 0   prints 0.25

    Example: actgrad deriv sigmoid 40   prints 4.248354255291589e-18 (a(1−a) would give 0.0)

    Example: seq -5 5 | actgrad deriv tanh

    Example: actgrad deriv leaky_relu -1 0 1 -p negative_slope=0.2 --kink jax

    Example: actgrad deriv sigmoid 40 --digits 30
    """
    f = activation(func, param)
    k = kink.value
    high = exact_compute(f, True, exact, digits, k)
    if from_output:
        why = f.from_output_unavailable()
        if why:
            raise Fail(f"--from-output: {why}")
        if high:
            raise Fail("--exact and --digits take z, not --from-output (g′ from a is exact algebra on a)")
        columns, compute = ("a", "dg"), (lambda a: f.deriv_from_output(a, kink=k))
        title = f"{f.name}: g′ = {f.spec.from_output_formula}"
    else:
        columns, compute = ("z", "dg"), high or (lambda z: f.deriv(z, kink=k))
        title = f"{f.name}: {f.spec.deriv_formula}"
    stream(values, on_invalid.value, dtype.value, Writer(fmt.value, columns, title=title), compute,
            input_file, progress)


def _split_functions(items: list[str]) -> tuple[list[str], list[str]]:
    """FUNC [FUNC ...] [Z ...]: names until the first number."""
    for i, item in enumerate(items):
        if NUMBER.fullmatch(item.strip()):
            for later in items[i + 1:]:
                if not NUMBER.fullmatch(later.strip()) and later.strip().lower().replace(
                        "-", "_") in registry.all_names():
                    raise Fail(f"function names come before the values: {later!r} follows {item!r}")
            return items[:i], items[i:]
    return items, []


def _bind_all(funcs: list[str], params: list[str] | None) -> list[registry.Activation]:
    """Each named function with the parameters it has (-p applies to every function that takes it)."""
    try:
        given = dict(registry.parse_param(p) for p in params or ())
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
        return [registry.Activation(s, {k: v for k, v in given.items()
                                        if k in {p.name for p in s.params}}) for s in specs]
    except ValueError as e:
        raise Fail(str(e)) from None


MAX_STEP = 0.1  # a larger step leaves the local behaviour of g the difference should see
MAX_TABLE_POINTS = 100_000  # each point costs a numerical derivative in extended precision


def _check_step(step: float) -> None:
    if not (0 < step <= MAX_STEP):
        raise Fail(f"--step must be a number in (0, {MAX_STEP}], got {step!r}")


@app.command("table", cls=NumberCommand)
def table(
    items: Annotated[list[str], typer.Argument(metavar="FUNC... [Z]...", show_default=False,
                                               autocompletion=_complete_function,
                                               help="One or more functions, then optional values.")],
    start: Annotated[float, typer.Option("--start", help="First z of the grid (without Z values).")] = -5.0,
    stop: Annotated[float, typer.Option("--stop", help="Last z of the grid.")] = 5.0,
    num: Annotated[int, typer.Option("--num", "-n", help="Number of grid points.")] = 11,
    param: ParamOpt = None,
    kink: KinkOpt = "pytorch",
    step: StepOpt = DEFAULT_STEP,
    fmt: Annotated[ReportFormat, typer.Option("--format", "-f", help="Output format.")] = "table",
) -> None:
    """Tabulate z, g(z), g′(z), the numerical g′ and their relative error; kinks are marked.

    The numerical g′ and the relative error are those of 'actgrad check' (see its --help):
    a Richardson-extrapolated difference taken in extended precision, and |a−n|/(|a|+|n|)
    wherever g′ does not vanish, measured against the size of g′ next to z where it does.

    Example: actgrad table sigmoid tanh relu leaky_relu

    Example: actgrad table tanh --start -10 --stop 10 --num 5 -f csv
    """
    from .numerics import gradcheck

    funcs, zs = _split_functions(items)
    if not funcs:
        raise Fail("name at least one function before the values")
    _check_step(step)
    acts = _bind_all(funcs, param)
    if zs:
        z = parse_arguments(zs)
    else:
        if not 1 <= num <= MAX_TABLE_POINTS:
            raise Fail(f"--num must be between 1 and {MAX_TABLE_POINTS}, got {num}")
        if not (np.isfinite(start) and np.isfinite(stop)) or start > stop:
            raise Fail(f"--start and --stop must be finite with --start <= --stop,"
                       f" got {start!r} and {stop!r}")
        if not np.isfinite(stop - start):
            raise Fail(f"--stop − --start must be a finite number, got {start!r} to {stop!r}")
        z = np.linspace(start, stop, num)
    rows = []
    for f in acts:
        dg = f.deriv(z, kink=kink.value)
        num_dg, scale = gradcheck.numeric_with_scale(f, z, step)
        rows.append((f, z, f(z), dg, num_dg, gradcheck.relative_error(dg, num_dg, scale),
                     f.near_kink(z, step)))
    from .render import gradient_tables, write_rows

    if fmt.value == "table":
        gradient_tables(rows)
    else:
        write_rows(fmt.value, ("function", "z", "g", "dg", "dg_numeric", "rel_error", "kink"),
                   [(np.full(len(r[1]), r[0].name), *r[1:]) for r in rows])


@app.command("check", cls=NumberCommand)
def check(
    items: Annotated[Optional[list[str]], typer.Argument(
        metavar="[FUNC]... [Z]...", show_default=False, autocompletion=_complete_function,
        help="Functions to check (all when none is named), then extra values to check at.")] = None,
    tol: Annotated[float, typer.Option("--tol", help="Largest relative error that passes.")] = DEFAULT_TOL,
    step: StepOpt = DEFAULT_STEP,
    param: ParamOpt = None,
    fmt: Annotated[ReportFormat, typer.Option("--format", "-f", help="Output format.")] = "table",
) -> None:
    """Gradient check: compare g′ with a numerical derivative; exit 1 if any function fails.

    Grid: 1,001 points on [−10, 10] (spacing 0.02) plus the Z given.

    Method: central differences D(t) = (g(z+t) − g(z−t))/2t at t = h, h/2, h/4,
    Richardson-extrapolated to (64·D(h/4) − 20·D(h/2) + D(h))/45 (error O(h⁶)), with g
    evaluated in mpmath at a precision that makes rounding negligible (24+ digits, more where g′
    is tiny beside g), then rounded to float64. Across a point where g′ is continuous but g″
    jumps (elu, celu, softsign at 0; sparse_plus at ±1) the differences are one-sided on z's
    side, extrapolated in t², t³, t⁴. Step rule: h = --step, absolute, default 1e-3, at most 0.1.
    Points within h of a kink are left out and counted; no other point is skipped.

    Error: |a−n| / max(|a|+|n|, s), s = the larger mean slope |g(z±h) − g(z)|/h of the
    stencil's halves: the symmetric relative error wherever g′ does not vanish, measured against
    the size of g′ next to z where it does. Verdict: <= 1e-7 good, >= 1e-3 wrong, between:
    suspicious.

    Example: actgrad check

    Example: actgrad check tanh 12.5 -20 --tol 1e-10
    """
    from .numerics import gradcheck

    funcs, zs = _split_functions(items or [])
    _check_step(step)
    if not (tol >= 0):
        raise Fail(f"--tol must be a number >= 0, got {tol!r}")
    acts = _bind_all(funcs or registry.names(), param)
    grid = gradcheck.default_grid()
    if zs:
        extra = parse_arguments(zs)
        if not np.isfinite(extra).all():
            raise Fail("check needs finite values: a difference quotient at ±inf or nan means nothing")
        grid = np.unique(np.concatenate([grid, extra]))  # a point given twice counts once
    results = [gradcheck.check(f, grid, step=step, tol=tol) for f in acts]
    from .render import check_report

    check_report(fmt.value, results)
    if not all(r.passed for r in results):
        raise typer.Exit(1)


@app.command("list")
def list_(
    fmt: Annotated[ReportFormat, typer.Option("--format", "-f", help="Output format.")] = "table",
) -> None:
    """List the activations: names, aliases, parameters with defaults, g, g′ and g′ from a.

    Example: actgrad list -f csv
    """
    from .render import catalogue_listing

    catalogue_listing(fmt.value, [registry.get(n) for n in registry.names()])


@app.command("plot")
def plot(
    funcs: Annotated[list[str], typer.Argument(
        metavar="FUNC...", show_default=False, autocompletion=_complete_function,
        help="One or more functions, drawn overlaid in the same panels.")],
    start: Annotated[float, typer.Option("--start", help="Left end of the z axis.")] = -6.0,
    stop: Annotated[float, typer.Option("--stop", help="Right end of the z axis.")] = 6.0,
    deriv_only: Annotated[bool, typer.Option("--deriv-only", help="Draw only g′(z).")] = False,
    value_only: Annotated[bool, typer.Option("--value-only", help="Draw only g(z).")] = False,
    param: ParamOpt = None,
    width: Annotated[Optional[int], typer.Option(
        "--width", "-W", metavar="COLUMNS", show_default=False,
        help="Width of the whole plot, legend included (default: the terminal's).")] = None,
    height: Annotated[Optional[int], typer.Option(
        "--height", "-H", metavar="LINES", show_default=False,
        help="Height of the whole plot, legend included (default: the terminal's).")] = None,
    output: Annotated[Optional[str], typer.Option(
        "--output", "-o", metavar="FILE.svg", show_default=False,
        help="Also write the picture to an SVG file (only .svg is supported).")] = None,
) -> None:
    """Plot g(z) and g′(z) in the terminal: g above, g′ below, on a shared z axis.

    Several functions are overlaid: told apart by colour on a terminal and by a marker
    (•, ×, +, …) along the 2nd, 3rd, … function's curves, so piped text stays readable.
    Kinks are marked ◆ and listed under the plot with the g′ PyTorch and JAX return there.
    Colour only on a terminal, never with NO_COLOR.

    Example: actgrad plot sigmoid tanh

    Example: actgrad plot relu leaky_relu -p negative_slope=0.1 --start -3 --stop 3

    Example: actgrad plot gelu --deriv-only --width 70 --height 20 -o gelu.svg
    """
    if deriv_only and value_only:
        raise Fail("--deriv-only and --value-only exclude each other")
    if not (np.isfinite(start) and np.isfinite(stop)) or start >= stop:
        raise Fail(f"--start must be finite and below --stop, got {start!r} and {stop!r}")
    if not np.isfinite(stop - start):
        raise Fail(f"--stop − --start must be a finite number, got {start!r} to {stop!r}")
    if output is not None and not output.lower().endswith(".svg"):
        raise Fail(f"--output: only .svg files can be written, got {output!r}")
    acts = _bind_all(funcs, param)
    from . import plot as plotting

    cols, lines = plotting.terminal_size()
    width = cols if width is None else width
    height = lines if height is None else height
    try:
        panels = plotting.sample(acts, start, stop, value=not deriv_only, deriv=not value_only)
        text = plotting.terminal_plot(acts, start, stop, width=width, height=height,
                                      colour=plotting.use_colour(), panels=panels)
        picture = plotting.svg(acts, start, stop, panels) if output is not None else None
    except plotting.PlotError as e:
        raise Fail(str(e)) from None
    if picture is not None:
        try:
            with open(output, "w", encoding="utf-8") as fh:  # type: ignore[arg-type]
                fh.write(picture)
        except OSError as e:
            raise Fail(f"cannot write {output}: {e.strerror or e}", 1) from None
    from .render import _Output

    _Output(sys.stdout.buffer).write(text)


@app.command("explain")
def explain(
    func: FuncArg,
    lang: Annotated[Optional[str], typer.Option(
        "--lang", "-l", metavar="en|hi", show_default=False,
        help="Language: en or hi (default: from LC_ALL, LC_MESSAGES or LANG; hi_IN → hi).")] = None,
    param: ParamOpt = None,
    fmt: Annotated[str, typer.Option(
        "--format", "-f", metavar="auto|plain|rich",
        help="auto: styled on a terminal, plain text when piped or with NO_COLOR.")] = "auto",
) -> None:
    """Explain g and g′: formulas, derivation, g′ from the output a, live sanity values,
    saturation, kinks (PyTorch's and JAX's choice) and floating-point pitfalls.

    Every number shown is computed now from actgrad's registry.

    Example: actgrad explain sigmoid

    Example: actgrad explain relu --lang hi

    Example: LANG=hi_IN.UTF-8 actgrad explain tanh | less
    """
    from . import explain as lessons

    lang = lang.lower() if lang is not None else None
    if lang is not None and lang not in lessons.LANGS:
        raise Fail(f"--lang must be one of {', '.join(lessons.LANGS)}, got {lang!r}")
    if fmt not in ("auto", "plain", "rich"):
        raise Fail(f"--format must be auto, plain or rich, got {fmt!r}"
                   f"{registry.suggest(fmt, ('auto', 'plain', 'rich'))}")
    f = activation(func, param)
    blocks = lessons.lesson(f, lang or lessons.default_lang())
    styled = fmt == "rich" or (fmt == "auto" and sys.stdout.isatty()
                               and not os.environ.get("NO_COLOR"))
    if styled:
        text = lessons.render_rich(blocks, force=fmt == "rich")
    else:
        import shutil

        text = lessons.render_plain(blocks, shutil.get_terminal_size((80, 24)).columns)
    from .render import _Output

    _Output(sys.stdout.buffer).write(text)


def run_app(argv: list[str]) -> None:
    """Run the full command line (after pipeline.main prepared the process)."""
    _app_for(argv)(args=argv, prog_name="actgrad")


def main(argv: list[str] | None = None) -> None:
    """The full Typer command line as an entry point (the console script is pipeline.main)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    prepare_process()
    run_app(argv)


def _app_for(argv: list[str]) -> typer.Typer:
    """The app, cut down to the one command named first on the command line.

    Typer builds a click command from every registered function's signature on each run
    (about 2 ms each); a shell loop calling `actgrad deriv ...` needs only one. Anything
    else (no command, a misspelt one, shell completion) gets the whole app.
    """
    if not argv or "_ACTGRAD_COMPLETE" in os.environ:
        return app
    chosen = [c for c in app.registered_commands if c.name == argv[0]]
    if not chosen:
        return app
    single = typer.Typer(**_APP_SETTINGS)
    single.registered_callback = app.registered_callback
    single.registered_commands = chosen
    return single
