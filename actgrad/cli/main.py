"""The console script: the fast path, or the full Typer command line.

The commonest call, ``actgrad eval|deriv FUNC [Z ...]`` with no options, runs without
importing Typer at all: shell loops call exactly that, and Typer's import and command building
cost about 25 ms, a third of numpy's import. It calls the same ``commands.values`` as the Typer
command, with the same defaults (``ValueRequest``), so the two cannot drift
(tests/test_fastpath.py compares their bytes and exit codes). Anything else goes to the app.
"""

from __future__ import annotations

import os
import sys

from .. import registry
from ..io.numbers import is_number
from . import commands
from .runtime import guarded, prepare_process


def _simple(argv: list[str]) -> bool:
    """`eval|deriv FUNC [Z ...]` with nothing but numbers after a known function name."""
    if len(argv) < 2 or argv[0] not in ("eval", "deriv") or os.environ.get("ACTGRAD_NO_FASTPATH"):
        return False
    if "_ACTGRAD_COMPLETE" in os.environ or argv[1].startswith("-"):
        return False
    if not registry.is_name(argv[1]):
        return False  # the full command line words the error, with its suggestion
    return all(is_number(a) for a in argv[2:])


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else list(argv)
    prepare_process()
    if _simple(argv):
        request = commands.ValueRequest(argv[0], argv[1], argv[2:])
        sys.exit(guarded(lambda: commands.values(request)))
    from .app import run

    run(argv)
