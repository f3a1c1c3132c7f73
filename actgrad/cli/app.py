"""The Typer app: each command's options and help, calling its one implementation in
``commands``. No logic of its own beyond Typer's: argument parsing (negative numbers are
values, not options), help, completion, and usage errors as one line.
"""

import os
import sys
from typing import Annotated, Any, Callable, Optional

import typer
from typer.core import TyperCommand, TyperGroup

from .. import __version__, registry
from ..io.numbers import holds_numbers
from ..numerics.gradcheck import (DEFAULT_STEP, DEFAULT_TOL, ERROR_HELP, GRID_HELP, KIND_HELP,
                                  METHOD_HELP, ORDER2_HELP)
from . import commands
from .commands import PLOT_RANGE, TABLE_RANGE, ValueRequest
from .options import (FROM_OUTPUT, FUNC, JVP, KINK, ORDER, UP, VJP,  # (UP..: vector functions)
                      FuncArg, VALUE_OPTIONS, VALUES, InputOpt, KinkOpt,
                      LikeOpt,
                      OnInvalidOpt, OrderLongOpt, OrderOpt, ParamOpt,
                      ReportFormatOpt, StepOpt, complete_function, plain, signature)
from .options import (AuditDTypeOpt, ColumnOpt, DerivExprOpt, ImplOpt, OfOpt, RelOpt,
                      ValuesFileOpt, ZColumnOpt)
from .runtime import exit_status, guarded, say

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
        if a.startswith("-") and a != "-" and not holds_numbers(a):
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

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        # --install-completion and --show-completion take an optional shell name, which
        # Typer's flags cannot (it would detect the shell and take 'fish' for a command)
        if args and args[0].split("=", 1)[0] in _COMPLETION_OPTIONS:
            option, _, shell = args[0].partition("=")
            if not shell and len(args) > 1 and not args[1].startswith("-"):
                shell = args[1]
            _completion(option, shell or None)
            raise typer.Exit(0)
        return super().parse_args(ctx, args)

    def get_params(self, ctx: Any) -> list[Any]:
        params = super().get_params(ctx)
        for p in params:
            if p.name in _COMPLETION_HELP:
                p.help = _COMPLETION_HELP[p.name]
        return params

    def main(self, args: Any = None, prog_name: Any = None, complete_var: Any = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        code = exit_status(_run_guarded(lambda: super(ActgradGroup, self).main(
            args=args, prog_name=prog_name or "actgrad", complete_var=complete_var,
            standalone_mode=False, **extra)))
        sys.exit(code)


def _run_guarded(run: Callable[[], Any]) -> int:
    """Typer's usage errors as one line; everything else as runtime.guarded does."""
    from typer._click import exceptions as click_exc

    def typer_errors() -> Any:
        try:
            return run()
        except click_exc.NoArgsIsHelpError as e:
            # the error's constructor rendered the help already (rich prints it there and
            # returns ""): echo what it returned, as --help does, without rendering it again
            typer.echo(e.format_message())
            return 0
        except click_exc.UsageError as e:
            where = f" (see '{e.ctx.command_path} --help')" if e.ctx is not None else ""
            return say(e.format_message().replace("\n", " ") + where, 2)
        except typer.Abort:
            return 130

    return guarded(typer_errors)


# -- shell completion: the script of the shell asked for, installed once ---------------------

_COMPLETION_OPTIONS = ("--install-completion", "--show-completion")
_COMPLETION_HELP = {
    "install_completion": "Install completion: --install-completion [bash|zsh|fish] (default: the"
                          " current shell). Running it again changes nothing.",
    "show_completion": "Print the completion script: --show-completion [bash|zsh|fish] (default:"
                       " the current shell).",
}
SHELLS = ("bash", "zsh", "fish")


def completion_script(shell: str) -> str:
    """The script hooking `shell` up to actgrad (what completions/ holds)."""
    from typer._completion_shared import get_completion_script

    return get_completion_script(prog_name="actgrad", complete_var="_ACTGRAD_COMPLETE",
                                 shell=shell).rstrip("\n") + "\n"


def _add_line(rc: Any, line: str) -> None:
    """Append `line` to the file `rc` unless it has it; nothing else of the file changes."""
    text = rc.read_text(encoding="utf-8", errors="surrogateescape") if rc.is_file() else ""
    if line in text.splitlines():
        return
    rc.parent.mkdir(parents=True, exist_ok=True)
    with open(rc, "a", encoding="utf-8", errors="surrogateescape") as fh:
        fh.write(("\n" if text and not text.endswith("\n") else "") + line + "\n")


def install_completion(shell: str) -> Any:
    """Write `shell`'s script where that shell looks for it (and, for bash and zsh, the one
    line of ~/.bashrc or ~/.zshrc that loads it, once); returns the script's path."""
    from pathlib import Path

    home = Path.home()
    path = {"bash": home / ".bash_completions" / "actgrad.sh",
            "zsh": home / ".zfunc" / "_actgrad",
            "fish": home / ".config" / "fish" / "completions" / "actgrad.fish"}[shell]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(completion_script(shell), encoding="utf-8")
    if shell == "bash":
        _add_line(home / ".bashrc", f"source '{path}'")
    elif shell == "zsh":
        _add_line(home / ".zshrc", "fpath+=~/.zfunc; autoload -Uz compinit; compinit")
    return path


def _completion(option: str, shell: str | None) -> None:
    from .runtime import Fail

    if shell is None:
        from typer._completion_shared import _get_shell_name

        shell = _get_shell_name()
        if shell is None:
            raise Fail(f"{option}: cannot tell which shell this is; name it: {option} bash|zsh|fish")
    if shell not in SHELLS:
        raise Fail(f"{option}: the shells are {', '.join(SHELLS)}, got {shell!r}"
                   f"{registry.suggest(shell, SHELLS)}")
    if option == "--show-completion":
        sys.stdout.write(completion_script(shell))
        return
    try:
        path = install_completion(shell)
    except OSError as e:
        raise Fail(f"cannot install {shell} completion: {e.strerror or e}"
                   f"{f' ({e.filename})' if e.filename else ''}", 1) from None
    sys.stdout.write(f"{shell} completion installed in {path}\n"
                     "It takes effect in a new shell.\n")


_APP_SETTINGS: dict[str, Any] = dict(
    cls=ActgradGroup,
    name="actgrad",
    help="Activation functions g(z) and their derivatives g′(z), accurate over the whole float range.\n\n"
         "Example: actgrad deriv sigmoid 0   prints 0.25",
    no_args_is_help=True,
    # click's plain help, not rich's: typer's rich help imports markdown_it and pygments
    # (rich.markdown, rich.traceback), which doubled the time of `--help` (benchmarks/run.py)
    rich_markup_mode=None,
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
    """Help epilog: every function with its formula, one item each, wrapped to 80 columns
    (click's '\\b' keeps the lines as they are)."""
    import textwrap

    lines = [textwrap.fill(f"- {sp.name}: {sp.deriv_formula if deriv else sp.formula}", 76,
                           subsequent_indent="    ", break_on_hyphens=False)
             for sp in (registry.spec(n) for n in registry.names())]
    return "Functions ('actgrad list' adds aliases and parameters):\n\n\b\n" + "\n".join(lines)


@app.command("eval", cls=NumberCommand, epilog=_formulas(deriv=False))
@signature(FUNC, VALUES, *VALUE_OPTIONS, UP)
def eval_(**options: Any) -> None:
    """Print g(z) for each value, one per line, in shortest round-trip form.

    Example: actgrad eval sigmoid 0 2 -2   prints 0.5, 0.8807970779778824, 0.11920292202211756

    Example: seq -5 5 | actgrad eval tanh -f csv

    Example: actgrad eval tanh 1e-8 --digits 30

    Example: actgrad eval softmax 1 2 3   prints the vector (one vector per input line)
    """
    commands.values(ValueRequest("eval", **plain(options)))


@app.command("deriv", cls=NumberCommand, epilog=_formulas(deriv=True))
@signature(FUNC, VALUES, *VALUE_OPTIONS[:1], ORDER, KINK, FROM_OUTPUT, *VALUE_OPTIONS[1:],
           UP, VJP, JVP)
def deriv(**options: Any) -> None:
    """Print g′(z) for each value, computed from z with stable forms.

    Example: actgrad deriv sigmoid 0   prints 0.25

    Example: actgrad deriv sigmoid 40   prints 4.248354255291589e-18 (a(1−a) would give 0.0)

    Example: seq -5 5 | actgrad deriv tanh

    Example: actgrad deriv leaky_relu -1 0 1 -p negative_slope=0.2 --kink jax

    Example: actgrad deriv sigmoid 40 --digits 30

    Example: actgrad deriv tanh 20 --order 2   prints g″(20)

    Example: actgrad deriv softmax 1 2 3 --vjp 1,0,0   (deriv softmax 1 2 3: the Jacobian)

    Example: actgrad deriv swiglu 1 2 --up 3,4   prints ∂y/∂g, then ∂y/∂u
    """
    commands.values(ValueRequest("deriv", **plain(options)))


@app.command("table", cls=NumberCommand,
             epilog="\n\n".join((METHOD_HELP, ERROR_HELP, ORDER2_HELP, KIND_HELP)))
def table(
    items: Annotated[list[str], typer.Argument(metavar="FUNC... [Z]...", show_default=False,
                                               autocompletion=complete_function,
                                               help="One or more functions, then optional values.")],
    start: Annotated[float, typer.Option("--start", help="First z of the grid (without Z values).")] = TABLE_RANGE[0],
    stop: Annotated[float, typer.Option("--stop", help="Last z of the grid.")] = TABLE_RANGE[1],
    num: Annotated[int, typer.Option("--num", "-n", help="Number of grid points.")] = TABLE_RANGE[2],
    order: OrderLongOpt = 1,
    param: ParamOpt = None,
    kink: KinkOpt = None,
    like: LikeOpt = None,
    step: StepOpt = DEFAULT_STEP,
    fmt: ReportFormatOpt = "table",
    input_file: InputOpt = None,
    on_invalid: OnInvalidOpt = "fail",
) -> None:
    """Tabulate z, g(z), g′(z), the numerical g′, their error and each point's kind.

    The numerical g′ and the error are those of 'actgrad check' (see its --help). With
    --order 2 also g″(z), the numerical g″ (differences of g′) and their error.

    Example: actgrad table sigmoid tanh relu leaky_relu

    Example: actgrad table tanh --start -10 --stop 10 --num 5 -f csv

    Example: actgrad table sigmoid 40 -40 --order 2
    """
    commands.table(items, **plain(dict(start=start, stop=stop, num=num, param=param, kink=kink,
                                       step=step, fmt=fmt, input_file=input_file,
                                       on_invalid=on_invalid, order=order, like=like)))


@app.command("check", cls=NumberCommand,
             epilog="\n\n".join((GRID_HELP, METHOD_HELP, ERROR_HELP, ORDER2_HELP)))
def check(
    items: Annotated[Optional[list[str]], typer.Argument(
        metavar="[FUNC]... [Z]...", show_default=False, autocompletion=complete_function,
        help="Functions to check (all when none is named), then extra values to check at.")] = None,
    tol: Annotated[Optional[float], typer.Option(
        "--tol", show_default=False,
        help="Largest error that passes: the plain relative error |a−n|/|n| away from"
             f" zeros of g′ (see Error below; default {DEFAULT_TOL!r}). With --impl, --values"
             " or --deriv: ULP of the --dtype (default 4), or relative with"
             " --rel.")] = None,
    step: StepOpt = DEFAULT_STEP,
    order: OrderOpt = 1,
    param: ParamOpt = None,
    like: LikeOpt = None,
    fmt: ReportFormatOpt = "table",
    input_file: InputOpt = None,
    on_invalid: OnInvalidOpt = "fail",
    impl: ImplOpt = None,
    values_file: ValuesFileOpt = None,
    column: ColumnOpt = None,
    z_column: ZColumnOpt = None,
    deriv_expr: DerivExprOpt = None,
    of: OfOpt = None,
    dtype: AuditDTypeOpt = None,
    rel: RelOpt = False,
) -> None:
    """Gradient check: compare g′ (--order 2: g″) with a numerical derivative; exit 1 if any
    function fails.

    With --impl, --values or --deriv, judge an implementation instead: yours (a Python
    function), values from a file, or a derivative derived by hand, against actgrad's exact
    values on a stress grid (core, tails out to the largest float, subnormals, roots of g′,
    kinks): the errors per region, the kink convention followed, a diagnosis. Exit 0 within
    --tol, 1 otherwise, 2 if it cannot be judged (the function raises, a file is wrong).

    Example: actgrad check

    Example: actgrad check tanh 12.5 -20 --tol 1e-10

    Example: actgrad check --order 2

    Example: actgrad check sigmoid --impl naive.py:dsig --dtype float32

    Example: actgrad check sigmoid --values grad.csv --column grad

    Example: actgrad check softsign --deriv '1/(1 + abs(z))/(1 + abs(z))'
    """
    code = commands.check(items, **plain(dict(
        tol=tol, step=step, param=param, fmt=fmt, input_file=input_file, on_invalid=on_invalid,
        impl=impl, values_file=values_file, column=column, z_column=z_column,
        deriv_expr=deriv_expr, of=of, order=order, dtype=dtype, rel=rel, like=like)))
    if code:
        raise typer.Exit(code)


@app.command("list")
def list_(
    fmt: ReportFormatOpt = "table",
    wide: Annotated[bool, typer.Option(
        "--wide", "-w", help="The table with the formulas too: g, g′ and g′ from a"
                             " (the other formats always have them).")] = False,
    like: LikeOpt = None,
) -> None:
    """List the activations: names, aliases, parameters with defaults, g, g′ and g′ from a.

    Example: actgrad list --wide

    Example: actgrad list -f csv
    """
    commands.listing(plain(dict(fmt=fmt))["fmt"], wide=wide, like=like)


@app.command("plot")
def plot(
    funcs: Annotated[list[str], typer.Argument(
        metavar="FUNC...", show_default=False, autocompletion=complete_function,
        help="One or more functions, drawn overlaid in the same panels.")],
    start: Annotated[float, typer.Option("--start", help="Left end of the z axis.")] = PLOT_RANGE[0],
    stop: Annotated[float, typer.Option("--stop", help="Right end of the z axis.")] = PLOT_RANGE[1],
    deriv_only: Annotated[bool, typer.Option("--deriv-only", help="Draw only g′(z).")] = False,
    value_only: Annotated[bool, typer.Option("--value-only", help="Draw only g(z).")] = False,
    order: OrderOpt = 1,
    param: ParamOpt = None,
    like: LikeOpt = None,
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
    """Plot g(z) and g′(z) in the terminal: g above, g′ below, on a shared z axis; with
    --order 2 a third panel, g″(z), below them (--deriv-only and --value-only keep it).

    Several functions are overlaid: told apart by colour on a terminal and by a marker
    (•, ×, +, …) along the 2nd, 3rd, … function's curves, so piped text stays readable.
    Kinks are marked ◆ and listed under the plot with the g′ PyTorch and JAX return there.
    Colour only on a terminal, never with NO_COLOR.

    Example: actgrad plot sigmoid tanh

    Example: actgrad plot relu leaky_relu -p negative_slope=0.1 --start -3 --stop 3

    Example: actgrad plot gelu --deriv-only --width 70 --height 20 -o gelu.svg

    Example: actgrad plot elu softsign --order 2 --height 40
    """
    commands.plot(funcs, start=start, stop=stop, deriv_only=deriv_only, value_only=value_only,
                  param=param, width=width, height=height, output=output, order=order,
                  like=like)


@app.command("explain")
def explain(
    func: FuncArg,
    lang: Annotated[Optional[str], typer.Option(
        "--lang", "-l", metavar="en|hi", show_default=False,
        help="Language: en or hi (default: from LC_ALL, LC_MESSAGES or LANG; hi_IN → hi).")] = None,
    param: ParamOpt = None,
    like: LikeOpt = None,
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

    An expression in z gets its parsed form, the rule giving g′ at each node, and its kinks.

    Example: actgrad explain 'z*tanh(softplus(z))'
    """
    commands.explain(func, lang=lang, param=param, fmt=fmt, like=like)


#: what the help's characters become where the output encoding lacks them (PYTHONIOENCODING=ascii)
_ASCII = {"′": "'", "″": "''", "−": "-", "–": "-", "—": "--", "…": "...", "•": "*", "·": "*",
          "×": "x", "±": "+-", "≈": "~", "≤": "<=", "≥": ">=", "→": "->", "√": "sqrt",
          "²": "^2", "³": "^3", "⁴": "^4", "⁶": "^6", "◆": "*", "Φ": "Phi", "φ": "phi",
          "α": "alpha", "β": "beta", "λ": "lambda", "π": "pi", "σ": "sigma", "∞": "inf",
          "─": "-", "│": "|", "╭": "+", "╮": "+", "╯": "+", "╰": "+"}


def _ascii_fallback(error: UnicodeError) -> tuple[str, int]:
    """An encoding error handler: a character the encoding lacks as its ASCII spelling, '?' when
    it has none (so --help works under any output encoding)."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    bad = error.object[error.start:error.end]
    return "".join(_ASCII.get(c, "?") for c in bad), error.end


def _help_survives_any_encoding() -> bool:
    """Typer writes help, usage and messages through sys.stdout's text layer: where its encoding
    cannot show all of them, spell the missing characters in ASCII instead of failing.

    Returns whether it had to: then help goes through rich, which writes to sys.stdout (click's
    plain help would write UTF-8 to the stream's buffer behind the encoding's back)."""
    import codecs

    try:
        codecs.lookup_error("actgrad-ascii")
    except LookupError:
        codecs.register_error("actgrad-ascii", _ascii_fallback)
    stream = sys.stdout
    try:
        "′−│".encode(stream.encoding or "ascii")
        return False
    except (UnicodeEncodeError, LookupError):
        pass
    except AttributeError:
        return False
    try:
        stream.reconfigure(errors="actgrad-ascii")  # type: ignore[union-attr]
    except (AttributeError, ValueError, TypeError):
        pass
    return True


def run(argv: list[str]) -> None:
    """Run the full command line (after runtime.prepare_process)."""
    narrow = _help_survives_any_encoding()
    target = _app_for(argv)
    if narrow:
        target.rich_markup_mode = "rich"
    target(args=argv, prog_name="actgrad")


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
