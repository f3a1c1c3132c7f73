"""The console script: the fast path, or the full Typer command line.

The commonest call, ``actgrad eval|deriv FUNC [Z ...]`` with no options, runs without
importing Typer at all: shell loops call exactly that, and Typer's import and command building
cost about 25 ms, a third of numpy's import. It calls the same ``commands.values`` as the Typer
command, with the same defaults (``ValueRequest``), so the two cannot drift
(tests/test_fastpath.py compares their bytes and exit codes). Anything else goes to the app.

A piecewise function (relu, leaky_relu, hard_swish, ...: actgrad/scalar.py) with up to
SCALAR_VALUES values given as arguments does not even import numpy, nor do sigmoid and
tanh′ where numpy's float64 exp is the C library's (scalar.exp_is_libm: no AVX512F):
actgrad/scalar.py computes the same bits on Python floats (its docstring says why they are
the same, and for which functions and machines they cannot be), and they are written as
repr, as io.numbers writes a few values.

The signal handlers are installed, and OpenBLAS held to one thread, before anything else is
imported (runtime's docstring). The garbage collector is off while the modules are imported
(numpy's import and the catalogue's ran 45 collections: 6 ms of CPU of 116, 40 runs) and on
again before the command computes.
"""

from __future__ import annotations

from . import runtime

runtime.install_signal_handlers()
runtime.one_blas_thread()

import gc  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402


def _value_call(argv: list[str]) -> bool:
    """`eval|deriv FUNC ...` that may take a fast path (imports nothing)."""
    return (len(argv) >= 2 and argv[0] in ("eval", "deriv") and not argv[1].startswith("-")
            and not os.environ.get("ACTGRAD_NO_FASTPATH") and "_ACTGRAD_COMPLETE" not in os.environ)


def _simple(argv: list[str]) -> bool:
    """`eval|deriv FUNC [Z ...]` with nothing but numbers after a known function name."""
    if not _value_call(argv):
        return False
    from .. import registry
    from ..io.numbers import holds_numbers

    if not registry.is_name(argv[1]):
        return False  # the full command line words the error, with its suggestion
    return all(holds_numbers(a) for a in argv[2:])


#: at most this many values take the scalar path: io.numbers.repr_lines writes up to 64
#: values with repr (beyond, orjson's text made repr's), and numpy's import pays off
SCALAR_VALUES = 64


def _arguments(args: list[str]) -> list[float] | None:
    """The values of the arguments as io/reader.read_arguments reads them (tokens between
    ASCII whitespace and commas, each a value by io.numbers.is_number's rule: float()'s
    syntax, ASCII, no '_'), when every argument holds values and there are 1 to
    SCALAR_VALUES of them; else None (stdin, or an error the full path words)."""
    zs: list[float] = []
    for arg in args:
        tokens = arg.encode("utf-8", "surrogateescape").replace(b",", b" ").split()
        if not tokens:
            return None
        for token in tokens:
            if b"_" in token or not token.isascii():
                return None
            try:
                zs.append(float(token))
            except ValueError:
                return None
    return zs if 0 < len(zs) <= SCALAR_VALUES else None


def _scalar(argv: list[str]) -> int | None:
    """`eval|deriv FUNC Z ...` of a function actgrad/scalar.py computes (scalar.resolve) on
    Python floats, without numpy: the same bytes as the numpy path (tests/test_fastpath.py);
    None when it does not apply."""
    if not _value_call(argv):
        return None
    from .. import scalar

    name = scalar.resolve(argv[1], argv[0] == "deriv")
    zs = _arguments(argv[2:]) if name is not None else None
    if zs is None:
        return None
    try:
        out = scalar.evaluate(name, argv[0] == "deriv", zs)  # type: ignore[arg-type]
    except Exception:  # a bug here: the numpy path, the reference, answers (no traceback)
        if os.environ.get("ACTGRAD_DEBUG"):
            raise
        return None
    return runtime.write_whole("".join([repr(v) + "\n" for v in out]).encode())


def _imported() -> None:
    """The collector back on once a command's modules are in (``_run`` turned it off)."""
    gc.enable()


def _run(argv: list[str]) -> int:
    collecting = gc.isenabled()
    gc.disable()  # while the modules are imported: numpy's and the catalogue's ran 45 collections
    try:
        return _command(argv)
    finally:
        if collecting:
            gc.enable()


def _command(argv: list[str]) -> int:
    runtime.prepare_process()
    code = _scalar(argv)
    if code is not None:
        return code
    if _simple(argv):
        from . import commands

        _imported()
        request = commands.ValueRequest(argv[0], argv[1], argv[2:])
        return runtime.guarded(lambda: commands.values(request))
    from .app import run

    _imported()

    try:
        run(argv)
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    return 0


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        with runtime.armed():
            code = _run(argv)
    except KeyboardInterrupt as e:  # between the guarded parts: still no traceback
        code = 128 + getattr(e, "signum", 2)
    runtime.finish(code)
