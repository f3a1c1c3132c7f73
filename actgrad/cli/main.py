"""The console script: the fast path, or the full Typer command line.

The commonest call, ``actgrad eval|deriv FUNC [Z ...]`` with no options, runs without
importing Typer at all: shell loops call exactly that, and Typer's import and command building
cost about 25 ms, a third of numpy's import. It calls the same ``commands.values`` as the Typer
command, with the same defaults (``ValueRequest``), so the two cannot drift
(tests/test_fastpath.py compares their bytes and exit codes). Anything else goes to the app.

The signal handlers are installed, and OpenBLAS held to one thread, before anything else is
imported (runtime's docstring).
"""

from __future__ import annotations

from . import runtime

runtime.install_signal_handlers()
runtime.one_blas_thread()

import os  # noqa: E402
import sys  # noqa: E402


def _simple(argv: list[str]) -> bool:
    """`eval|deriv FUNC [Z ...]` with nothing but numbers after a known function name."""
    from .. import registry
    from ..io.numbers import holds_numbers

    if len(argv) < 2 or argv[0] not in ("eval", "deriv") or os.environ.get("ACTGRAD_NO_FASTPATH"):
        return False
    if "_ACTGRAD_COMPLETE" in os.environ or argv[1].startswith("-"):
        return False
    if not registry.is_name(argv[1]):
        return False  # the full command line words the error, with its suggestion
    return all(holds_numbers(a) for a in argv[2:])


def _run(argv: list[str]) -> int:
    runtime.prepare_process()
    if _simple(argv):
        from . import commands

        request = commands.ValueRequest(argv[0], argv[1], argv[2:])
        return runtime.guarded(lambda: commands.values(request))
    from .app import run

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
