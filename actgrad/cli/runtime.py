"""The process around a command: signals and streams set up as a command-line tool needs
them, every error turned into one line on stderr, and the exit status.

Exit status: 0 success, 1 a failed check or an output that cannot be written, 2 a usage or
input error, 128 + the signal's number when SIGINT (130), SIGTERM (143) or SIGHUP (129) ended
the run; a closed pipe downstream ends actgrad quietly by SIGPIPE, as it ends cat or awk.

Signals: ``install_signal_handlers`` runs before numpy or anything else is imported. SIGINT,
SIGTERM and SIGHUP raise ``Interrupted`` (a KeyboardInterrupt), so writers close their
documents and only whole lines are written (``io.writers.Output`` holds the signals while a
piece is written); a signal that arrives while a module is being imported waits until the
import is done (an interrupted import of a C extension can crash the interpreter, or make
numpy report a broken installation). A signal inherited as ignored stays ignored.

BLAS threads: ``one_blas_thread`` (before numpy is imported) keeps OpenBLAS, which numpy's
import loads, to one thread unless the user set a thread count. Its worker threads spin
waiting for work after the library starts: on a busy 2-core machine that took 34 ms of CPU
of numpy's 154 ms import (median of 30, benchmarks/run.py's start-up section), and the
command line never calls BLAS beyond tiny softmax Jacobians.

Only the standard library is imported at module level: this module runs first.
"""

from __future__ import annotations

import errno
import os
import signal
import stat
import sys

TYPE_CHECKING = False  # typing itself is not imported: this module runs first
if TYPE_CHECKING:
    from typing import Any, Callable, NoReturn

#: the signals that end a run the way Ctrl-C does
STOP_SIGNALS = tuple(getattr(signal, n) for n in ("SIGINT", "SIGTERM", "SIGHUP")
                     if hasattr(signal, n))
_RETRY_SECONDS = 0.002  # how soon a signal that came during an import is looked at again


class Interrupted(KeyboardInterrupt):
    """A stop signal arrived; ``signum`` says which."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


#: the first stop signal received, if any
received: int | None = None
_waiting: int | None = None  # a signal not yet raised: it came during an import, or too early
_armed = False  # signals are raised only inside `armed()`, where they are caught


def _importing(frame: Any) -> bool:
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            return True
        frame = frame.f_back
    return False


def _on_stop(signum: int, frame: Any) -> None:
    global received, _waiting
    if received is None:
        received = signum
    if not _armed or _importing(frame):
        _waiting = signum
        if _armed and hasattr(signal, "setitimer"):
            signal.setitimer(signal.ITIMER_REAL, _RETRY_SECONDS)
        return
    _waiting = None
    raise Interrupted(signum)


def _retry(signum: int, frame: Any) -> None:
    if _waiting is not None:
        _on_stop(_waiting, frame)


class armed:
    """The region where stop signals are raised (a signal that came earlier is raised on
    entry); outside it they wait, so none can strike between the launcher and main's
    handlers."""

    def __enter__(self) -> None:
        global _armed
        _armed = True
        if _waiting is not None:
            _on_stop(_waiting, None)

    def __exit__(self, *exc: Any) -> None:
        global _armed
        _armed = False


class held:
    """Inside ``armed()``, a region where stop signals wait; one that came is raised when it
    ends, so that what it guards (a piece of output) is whole."""

    def __enter__(self) -> None:
        global _armed
        self._was, _armed = _armed, False

    def __exit__(self, *exc: Any) -> None:
        global _armed
        _armed = self._was
        if _armed and _waiting is not None:
            _on_stop(_waiting, None)


def write_whole(data: bytes) -> int:
    """Write `data` (whole lines) to stdout with the stop signals held, as io.writers.Output
    writes a piece: 0, or after a failed write 'cannot write output: ...' and exit 1, a
    regular file cut back to its last whole line. For the scalar path of cli/main, which
    does not import io.writers (numpy)."""
    stream = sys.stdout.buffer
    fd, start = None, 0
    try:
        fd = stream.fileno()
        if stat.S_ISREG(os.fstat(fd).st_mode):
            import fcntl

            start = os.fstat(fd).st_size if fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_APPEND \
                else os.lseek(fd, 0, os.SEEK_CUR)
        else:
            fd = None
    except (AttributeError, OSError, ValueError):
        fd = None
    with held():
        try:
            view = memoryview(data)
            while view:
                n = stream.write(view)
                view = view[len(view) if n is None else n:]
            stream.flush()
        except (OSError, ValueError) as e:
            if fd is not None:
                try:
                    written = max(0, min(os.fstat(fd).st_size - start, len(data)))
                    keep = start + data.rfind(b"\n", 0, written) + 1
                    if keep < start + written:
                        os.ftruncate(fd, keep)
                except OSError:
                    pass
            say(f"cannot write output: {getattr(e, 'strerror', None) or e}", 1)
            os._exit(1)  # skip the interpreter's final flush of the failed stream
    return 0


def install_signal_handlers() -> None:
    """Stop signals as described above; those inherited as ignored are left ignored."""
    for s in STOP_SIGNALS:
        if signal.getsignal(s) is not signal.SIG_IGN:
            signal.signal(s, _on_stop)
    if hasattr(signal, "SIGALRM"):
        signal.signal(signal.SIGALRM, _retry)


#: the thread counts OpenBLAS reads when it starts (numpy's wheels ship OpenBLAS)
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS")


def one_blas_thread() -> None:
    """OPENBLAS_NUM_THREADS=1 unless one of BLAS_THREAD_VARIABLES is set (the user's count
    stands); only before numpy is imported does it take effect. Inherited by child processes
    (check's workers), which need no BLAS threads either."""
    if not any(v in os.environ for v in BLAS_THREAD_VARIABLES):
        os.environ["OPENBLAS_NUM_THREADS"] = "1"


#: glibc's mallopt parameters (malloc.h): M_TRIM_THRESHOLD, M_MMAP_THRESHOLD
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_heap_kept = False


def keep_freed_memory() -> None:
    """Let glibc's malloc keep the memory numpy's temporaries free for the next ones, for the
    rest of the process (a long stream calls this once its first block is out).

    By default glibc hands every freed block above 128 KiB back to the kernel (munmap, or a
    trim of the heap's top), and the next block's temporaries fault the same pages in again,
    each zeroed by the kernel: streaming 1e6 values spent 0.31-0.54 s of system time in those
    faults (68-98 thousand of them), against 0.08 s once freed blocks stay in the heap.
    Blocks up to 32 MiB now come from the heap and freed memory stays there up to 256 MiB; the
    peak stays what the blocks need at once (the stream's peak RSS was 42 MiB either way), as
    the same sizes come back block after block. Does nothing where there is no glibc
    (ctypes is imported only here: a few milliseconds, after the first block).
    """
    global _heap_kept
    if _heap_kept:
        return
    _heap_kept = True
    try:
        import ctypes

        mallopt = ctypes.CDLL(None).mallopt
    except (ImportError, OSError, AttributeError):
        return
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt(_M_MMAP_THRESHOLD, 32 << 20)  # (glibc's largest: HEAP_MAX_SIZE / 2 on 64 bits)
    mallopt(_M_TRIM_THRESHOLD, 256 << 20)


def exit_status(code: int) -> int:
    """`code`, or 128 + the signal's number when a stop signal ended the run."""
    if received is not None and code == 128 + signal.SIGINT:
        return 128 + received
    return code


def finish(code: int) -> NoReturn:
    """Flush the output and end the process now, with no signal able to intervene.

    A stop signal that came while the last module was imported and found the work done
    before it could be raised still ends the run as interrupted: 128 + its number."""
    if code == 0 and _waiting is not None:
        code = 128 + _waiting
    for s in STOP_SIGNALS:
        if signal.getsignal(s) is not signal.SIG_IGN:
            signal.signal(s, signal.SIG_IGN)
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            if stream is sys.stdout and code == 0:
                code = 1
    os._exit(code)


class Fail(Exception):
    """An error to report in one line, with its exit status."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code


#: errors only writing can meet (a full disk, a closed or broken stdout)
_WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EBADF, errno.EPIPE}


def guarded(run: Callable[[], Any]) -> int:
    """Run; turn the errors every path can meet into one line on stderr and a status."""
    from ..io.reader import InputError
    from ..io.writers import OutputError, TooManyRows

    try:
        rv = run()
        return rv if isinstance(rv, int) else 0
    except (Fail, InputError, TooManyRows) as e:
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
    except KeyboardInterrupt as e:
        return 128 + getattr(e, "signum", signal.SIGINT)
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
