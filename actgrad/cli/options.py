"""The command line's choices and options, each declared once.

The choices come from where they are defined (formats from the writers, kink conventions from
the catalogue, dtypes from the registry, --on-invalid modes from the reader); defaults come
from ``commands``. ``VALUE_OPTIONS`` is the option list `eval` and `deriv` share, applied to
both Typer commands by ``signature``.
"""

from __future__ import annotations

import inspect
from enum import Enum
from typing import Annotated, Any, Callable, Optional

import typer

from .. import profiles, registry
from ..activations import KINK_CONVENTIONS
from ..io.reader import MODES
from ..io.writers import FORMATS
from ..numerics import MAX_DIGITS, MAX_ORDER
from ..numerics.gradcheck import DEFAULT_STEP
from .commands import MAX_STEP, ValueRequest

# -- choices ---------------------------------------------------------------------------------


def _choice(name: str, values: tuple[str, ...]) -> Any:
    return Enum(name, {v: v for v in values}, type=str)  # type: ignore[misc]


ValueFormat = _choice("ValueFormat", FORMATS)
ReportFormat = _choice("ReportFormat", tuple(f for f in FORMATS if f != "plain"))
KinkConvention = _choice("KinkConvention", KINK_CONVENTIONS)
OnInvalid = _choice("OnInvalid", MODES)
DType = _choice("DType", registry.DTYPES)


def complete_function(incomplete: str) -> list[str]:
    from .. import vectors  # (softmax, swiglu, ...: eval, deriv, table, check, explain)

    return [n for n in (*registry.all_names(), *vectors.NAMES) if n.startswith(incomplete)]


# -- declarations ------------------------------------------------------------------------------

FuncArg = Annotated[str, typer.Argument(
    metavar="FUNC", help="Activation name or alias (see 'actgrad list'), or an expression in"
                         " z such as 'z/2 + tanh(softplus(z))'.",
    autocompletion=complete_function, show_default=False)]
ValuesArg = Annotated[Optional[list[str]], typer.Argument(
    metavar="[Z]...", show_default=False,
    help="Values. None, or '-', reads stdin: numbers separated by whitespace, commas or newlines.")]
ParamOpt = Annotated[Optional[list[str]], typer.Option(
    "--param", "-p", metavar="NAME=VALUE",
    help="Set a parameter, e.g. -p negative_slope=0.2 (repeatable).")]
KinkOpt = Annotated[Optional[KinkConvention], typer.Option(
    "--kink", "-k", show_default=False,
    help="g′ at a kink: as PyTorch's or JAX's autograd, the left or right slope, or their mean"
         " (default: the --like framework's conventions, else pytorch).")]


def complete_framework(incomplete: str) -> list[str]:
    return [n for n in profiles.NAMES if n.startswith(incomplete)]


LikeOpt = Annotated[Optional[str], typer.Option(
    "--like", metavar="|".join(profiles.NAMES), show_default=False,
    autocompletion=complete_framework,
    help="As that framework: its defaults for the parameters (leaky_relu's slope, gelu's form,"
         " selu's constants, ...; -p still overrides) and its g′ at the kinks where measured"
         " (--kink overrides). 'actgrad list --like NAME' shows what changes.")]
OnInvalidOpt = Annotated[OnInvalid, typer.Option(
    "--on-invalid",
    help="A token that is not a number: stop (exit 2), skip it, or write nan in its place.")]
DTypeOpt = Annotated[Optional[DType], typer.Option(
    "--dtype", metavar="TYPE", show_default=False,
    help=f"Compute for this float type ({', '.join(registry.DTYPES)}; the last three are"
         " ml_dtypes', and float8_e4m3fn has no inf: from 464 up is nan): inputs are rounded to"
         " it, and each result is the exact value correctly rounded to it. Default: float64,"
         " or the type of a .npy input.")]
ExactOpt = Annotated[bool, typer.Option(
    "--exact", help="Compute with proven error bounds (ball arithmetic, python-flint) and print the"
                    " exact value correctly rounded to the dtype.")]
DigitsOpt = Annotated[Optional[int], typer.Option(
    "--digits", "-d", metavar="N", show_default=False,
    help="Compute with proven error bounds (ball arithmetic) and print N significant digits,"
         f" correctly rounded (1 to {MAX_DIGITS}).")]
InputOpt = Annotated[Optional[str], typer.Option(
    "--input", "-i", metavar="FILE", show_default=False,
    help="Read the values from FILE instead of stdin: text, or a numpy .npy array of any"
         " shape (memory-mapped, read in blocks; its float type is kept).")]
OutputOpt = Annotated[Optional[str], typer.Option(
    "--output", "-o", metavar="FILE.npy", show_default=False,
    help="Write the results to a numpy .npy file instead of stdout (the input's shape for a"
         " .npy input); valid after every block, also when stopped.")]
ProgressOpt = Annotated[bool, typer.Option(
    "--progress/--no-progress",
    help="A progress bar on stderr for long runs over a file (only when stderr is a terminal"
         " and stdout is not; shown after about a second).")]
StepOpt = Annotated[float, typer.Option(
    "--step", help=f"Step h of the central differences (absolute, at most {MAX_STEP}).")]
OrderOpt = Annotated[int, typer.Option(
    "--order", "-n", metavar="N",
    help=f"Which derivative: 1 for g′, 2 for g″, up to {MAX_ORDER}. Orders 3 and up take the"
         " rigorous path (Taylor series in ball arithmetic), correctly rounded as with"
         " --exact, slower (tens of µs a value); not with --from-output.")]
#: --order without -n, for table (whose -n is --num)
OrderLongOpt = Annotated[int, typer.Option(
    "--order", metavar="N", help="Which derivative: 1 for g′, 2 for g″ too.")]
ValueFormatOpt = Annotated[ValueFormat, typer.Option("--format", "-f", help="Output format.")]
ReportFormatOpt = Annotated[ReportFormat, typer.Option("--format", "-f", help="Output format.")]
FromOutputOpt = Annotated[bool, typer.Option(
    "--from-output", "-a",
    help="The values are outputs a = g(z); g′ is computed from a alone (sigmoid a(1−a), tanh 1−a²)."
         " Exact algebra on a, so the result is only as precise as a: where a has rounded"
         " (a = 1.0 for sigmoid beyond z ≈ 36.7) g′ from a is 0. Prefer z when you have it.")]

# -- judging an implementation (check --impl / --values / --deriv)
Of = _choice("Of", ("g", "deriv"))
ImplOpt = Annotated[Optional[str], typer.Option(
    "--impl", metavar="FILE.py:NAME", show_default=False,
    help="Judge your own implementation: the function NAME in the Python file FILE.py, called"
         " with a numpy array of z (in the --dtype) and returning g′ (--of g: g; --order 2:"
         " g″) as an array. The file is imported and run: it is your own code, run because"
         " you ask; give only files you trust.")]
ValuesFileOpt = Annotated[Optional[str], typer.Option(
    "--values", metavar="FILE", show_default=False,
    help="Judge values computed elsewhere (PyTorch, JAX, C): a csv or tsv file whose header"
         " names the z column (z) and the value column (the only other one, or --column).")]
ColumnOpt = Annotated[Optional[str], typer.Option(
    "--column", metavar="NAME", show_default=False,
    help="With --values: the column holding the values (e.g. grad).")]
ZColumnOpt = Annotated[Optional[str], typer.Option(
    "--z-column", metavar="NAME", show_default=False,
    help="With --values: the column holding z (default: z).")]
DerivExprOpt = Annotated[Optional[str], typer.Option(
    "--deriv", metavar="EXPR", show_default=False,
    help="Judge a hand-derived derivative: an expression in z (e.g."
         " 'sigmoid(z)*(1 + z*(1 - sigmoid(z)))'), evaluated in float64, against the exact"
         " derivative of FUNC.")]
OfOpt = Annotated[Optional[Of], typer.Option(
    "--of", show_default=False,
    help="With --impl/--values: what the values are, g or g′ (default: deriv, g′;"
         " --order 2: g″).")]
AuditDTypeOpt = Annotated[Optional[DType], typer.Option(
    "--dtype", show_default=False,
    help="With --impl/--values/--deriv: the float type judged in (default float64): the z"
         " are of it and the exact values are correctly rounded to it.")]
RelOpt = Annotated[bool, typer.Option(
    "--rel", help="With --impl/--values/--deriv: --tol is a relative error, not ULP.")]

UpOpt = Annotated[Optional[str], typer.Option(
    "--up", "-u", metavar="U...", show_default=False,
    help="Gated units (swiglu, geglu, ...): the u values, one argument ('3,4' or '3 4'); the"
         " values given are then the gates g. Without it a vector is split in halves by"
         " -p gate=first|second|even.")]
VjpOpt = Annotated[Optional[str], typer.Option(
    "--vjp", metavar="V", show_default=False,
    help="Vector functions: print vᵀJ for this v, one argument ('1,0,0'), per vector: what"
         " backpropagation computes.")]
JvpOpt = Annotated[Optional[str], typer.Option(
    "--jvp", metavar="V", show_default=False,
    help="Vector functions: print J·v for this v (forward mode), per vector.")]


def _param(name: str, annotation: Any, default: Any = inspect.Parameter.empty) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation,
                             default=default)


_R = ValueRequest
#: the options of `eval` (deriv adds KINK and FROM_OUTPUT), defaults from ValueRequest
VALUE_OPTIONS = (
    _param("param", ParamOpt, _R.param),
    _param("fmt", ValueFormatOpt, _R.fmt),
    _param("on_invalid", OnInvalidOpt, _R.on_invalid),
    _param("dtype", DTypeOpt, _R.dtype),
    _param("exact", ExactOpt, _R.exact),
    _param("digits", DigitsOpt, _R.digits),
    _param("input_file", InputOpt, _R.input_file),
    _param("output_file", OutputOpt, _R.output_file),
    _param("progress", ProgressOpt, _R.progress),
    _param("like", LikeOpt, _R.like),
)
KINK = _param("kink", KinkOpt, _R.kink)
FROM_OUTPUT = _param("from_output", FromOutputOpt, _R.from_output)
ORDER = _param("order", OrderOpt, _R.order)
UP = _param("up", UpOpt, _R.up)
VJP = _param("vjp", VjpOpt, _R.vjp)
JVP = _param("jvp", JvpOpt, _R.jvp)
FUNC = _param("func", FuncArg)
VALUES = _param("values", ValuesArg, _R.values)


def signature(*params: inspect.Parameter) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Give a ``**options`` function these parameters, as Typer reads them."""

    def apply(fn: Callable[..., Any]) -> Callable[..., Any]:
        fn.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [p.replace(kind=inspect.Parameter.POSITIONAL_OR_KEYWORD) for p in params])
        fn.__annotations__ = {p.name: p.annotation for p in params}
        return fn

    return apply


def plain(options: dict[str, Any]) -> dict[str, Any]:
    """Option values as plain values: the choice enums as their strings."""
    return {k: v.value if isinstance(v, Enum) else v for k, v in options.items()}
