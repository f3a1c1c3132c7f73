"""From input values to written results, without Typer: the core of `eval` and `deriv`.

Both the Typer commands (cli.py) and the fast entry point use it. The fast entry point
(``main`` here, the console script) runs the commonest call, ``actgrad eval|deriv FUNC
[Z ...]`` with no options, without importing Typer at all: shell loops call exactly that, and
Typer's import and command building cost about 25 ms, a third of numpy's import. Anything
else goes to the full command line, which gives the same results for the same call
(tests/test_fastpath.py runs both).

Errors become one line on stderr and an exit status: 2 for usage and input errors, 1 for an
output that cannot be written, 130 for Ctrl-C; a closed pipe ends the process by SIGPIPE.
"""

import errno
import os
import re
import signal
import sys
from typing import Any, Callable, Iterable, Iterator

import numpy as np

from . import registry
from .render import OutputError, Writer
from .streams import InputError, ValueReader, parse_arguments


class Fail(Exception):
    """An error to report in one line, with its exit status."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code


NUMBER = re.compile(
    r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf(?:inity)?|nan)", re.IGNORECASE
)




#: errors only writing can meet (a full disk, a closed or broken stdout)
_WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EBADF, errno.EPIPE}


def guarded(run: Callable[[], Any]) -> int:
    """Run; turn the errors every path can meet into one line on stderr and a status."""
    try:
        rv = run()
        return rv if isinstance(rv, int) else 0
    except (Fail, InputError) as e:
        return say(str(e), getattr(e, "code", 2))
    except OutputError as e:
        say(f"cannot write output: {e}", 1)
        os._exit(1)  # skip the interpreter's final flush of the failed stream
    except OSError as e:
        if e.errno in _WRITE_ERRNOS:  # from Typer's own output (--help, --version)
            say(f"cannot write output: {e.strerror or e}", 1)
            os._exit(1)
        return say(f"cannot read input: {e.strerror or e}", 2)
    except UnicodeEncodeError as e:
        say(f"cannot write output: the output encoding ({e.encoding}) cannot show"
            f" {e.object[e.start:e.end]!r}; set PYTHONIOENCODING=utf-8", 1)
        os._exit(1)
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # a bug: still one line, no traceback (ACTGRAD_DEBUG=1 shows it)
        if os.environ.get("ACTGRAD_DEBUG"):
            raise
        return say(f"internal error: {type(e).__name__}: {e}", 1)


def say(message: str, code: int) -> int:
    try:
        sys.stderr.write(f"actgrad: {message}\n")
        sys.stderr.flush()
    except (OSError, AttributeError, ValueError):
        pass
    return code


def activation(name: str, params: Iterable[str] | None) -> registry.Activation:
    try:
        given = dict(registry.parse_param(p) for p in params or ())
        return registry.get(name, **given)
    except ValueError as e:
        raise Fail(str(e)) from None


def input_blocks(values: list[str] | None, on_invalid: str, input_file: str | None = None,
                  progress: bool = True) -> tuple[Iterator[np.ndarray], Callable[[int], str]]:
    """Blocks of input values, and a function naming where value i of the last block came from."""
    if input_file is not None:
        if values and values != ["-"]:
            raise Fail("give values as arguments or with --input, not both")
        try:
            source: Any = open(input_file, "rb")  # closed at exit
        except OSError as e:
            raise Fail(f"cannot read {input_file}: {e.strerror or e}") from None
    elif values and values != ["-"]:
        arr = parse_arguments(values)
        return iter([arr]), lambda i: f"argument {i + 1}"
    else:
        if sys.stdin is None:
            raise Fail("no values given and standard input is closed")
        if sys.stdin.isatty():
            sys.stderr.write("actgrad: enter values, one per line or separated by spaces;"
                             " Ctrl-D to finish\n")
        source = sys.stdin.buffer
    reader = ValueReader(source, on_invalid=on_invalid)

    def where(i: int) -> str:
        token, line, col = reader.locate(i)
        return f"line {line}, column {col}"

    def blocks() -> Iterator[np.ndarray]:
        if progress:
            from .render import with_progress

            yield from with_progress(iter(reader), source)
        else:
            yield from reader
        if reader.skipped:
            what = "skipped" if on_invalid == "skip" else "written as nan"
            sys.stderr.write(f"actgrad: {reader.skipped} token(s) that are not numbers {what}\n")

    return blocks(), where


def exact_compute(f: registry.Activation, deriv: bool, exact: bool, digits: int | None,
                   kink: str) -> Callable[[np.ndarray], Any] | None:
    """The high-precision path of --exact/--digits, or None when neither is given."""
    if not exact and digits is None:
        return None
    from .numerics import rigorous as hp

    if digits is not None and not 1 <= digits <= hp.MAX_DIGITS:
        raise Fail(f"--digits must be between 1 and {hp.MAX_DIGITS}, got {digits}")
    from .render import format_mp

    def compute(z: np.ndarray) -> Any:
        values = hp.values(f, z, deriv=deriv, digits=digits, kink=kink)
        if digits is None:  # --exact: the correctly rounded float64
            return np.array([hp.to_float(v) for v in values], dtype=np.float64)
        return format_mp(values, digits)

    return compute


def stream(values: list[str] | None, on_invalid: str, dtype: str, writer: Writer,
            compute: Callable[[np.ndarray], Any], input_file: str | None = None,
            progress: bool = True) -> None:
    blocks, where = input_blocks(values, on_invalid, input_file, progress)
    with writer:
        for block in blocks:
            with np.errstate(over="ignore"):
                x = block.astype(dtype)
            try:
                y = compute(x)
            except registry.OutputRangeError as e:
                if e.index:
                    writer.write(x[:e.index], compute(x[:e.index]))
                raise Fail(f"{where(e.index)}: {e}") from None
            writer.write(x, y)



# -- the entry point -------------------------------------------------------------------------


def prepare_process() -> None:
    """Signals and streams as a command-line tool needs them."""
    # A closed pipe downstream (| head -1) ends us quietly, as it ends cat or awk.
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    if sys.stdout is None or not _fd_open(1):
        say("cannot write output: standard output is closed", 1)
        sys.exit(1)


def _fd_open(fd: int) -> bool:
    try:
        os.fstat(fd)
        return True
    except OSError:
        return False


def _simple(argv: list[str]) -> bool:
    """`eval|deriv FUNC [Z ...]` with nothing but numbers after a known function name."""
    if len(argv) < 2 or argv[0] not in ("eval", "deriv") or os.environ.get("ACTGRAD_NO_FASTPATH"):
        return False
    if "_ACTGRAD_COMPLETE" in os.environ or argv[1].startswith("-"):
        return False
    try:
        registry.spec(argv[1])
    except ValueError:
        return False  # the full command line words the error, with its suggestion
    return all(NUMBER.fullmatch(a) for a in argv[2:])


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: the fast path, or the full Typer command line."""
    argv = sys.argv[1:] if argv is None else list(argv)
    prepare_process()
    if _simple(argv):
        command, name, values = argv[0], argv[1], argv[2:]

        def run() -> None:
            f = activation(name, ())
            columns = ("z", "g") if command == "eval" else ("z", "dg")
            stream(values, "fail", "float64", Writer("plain", columns), f if command == "eval" else f.deriv)

        sys.exit(guarded(run))
    from .cli import run_app

    run_app(argv)
