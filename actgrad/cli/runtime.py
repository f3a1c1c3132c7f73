"""The process around a command: signals and streams set up as a command-line tool needs
them, every error turned into one line on stderr, and the exit status.

Exit status: 0 success, 1 a failed check or an output that cannot be written, 2 a usage or
input error, 130 interrupted; a closed pipe downstream ends actgrad quietly by SIGPIPE, as it
ends cat or awk.
"""

from __future__ import annotations

import errno
import os
import signal
import sys
from typing import Any, Callable

from ..io.reader import InputError
from ..io.writers import OutputError


class Fail(Exception):
    """An error to report in one line, with its exit status."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code


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
    """Write 'actgrad: MESSAGE' on stderr; return the exit status `code`."""
    try:
        sys.stderr.write(f"actgrad: {message}\n")
        sys.stderr.flush()
    except (OSError, AttributeError, ValueError):
        pass
    return code


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
