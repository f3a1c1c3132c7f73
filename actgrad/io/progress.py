"""A progress bar on stderr for long runs over a file (rich, imported only when shown)."""

from __future__ import annotations

import os
import sys
from typing import Any, Iterator


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


DEFAULT_DELAY = 1.0  # seconds before the bar shows


def _delay() -> float:
    """ACTGRAD_PROGRESS_DELAY in seconds; a value that is not one is ignored, and said so."""
    text = os.environ.get("ACTGRAD_PROGRESS_DELAY")
    if text is None:
        return DEFAULT_DELAY
    try:
        delay = float(text)
        if delay >= 0 and delay != float("inf"):
            return delay
    except ValueError:
        pass
    sys.stderr.write(f"actgrad: ACTGRAD_PROGRESS_DELAY={text!r} is not a number of seconds >= 0;"
                     f" using {DEFAULT_DELAY:g}\n")
    return DEFAULT_DELAY


def with_progress(blocks: Iterator[Any], source: Any) -> Iterator[Any]:
    """Pass blocks through; after about a second, show a progress bar on stderr.

    Only when the input is a regular file (its size is known), stderr is a terminal and
    stdout is not (results scrolling past would tear the bar). The bar shows bytes done,
    percentage, rate and time left, and disappears when the work ends. rich is imported
    only when the bar is shown. ACTGRAD_PROGRESS_DELAY sets the delay (tests use 0).
    """
    import stat
    import time

    try:
        size = os.fstat(source.fileno()).st_size
        regular = stat.S_ISREG(os.fstat(source.fileno()).st_mode)
    except (AttributeError, OSError, ValueError):
        regular = False
    if not regular or not _isatty(sys.stderr) or _isatty(sys.stdout):
        yield from blocks
        return
    delay = _delay()
    start = time.monotonic()
    bar: Any = None
    task: Any = None
    try:
        for block in blocks:
            yield block
            if bar is None and time.monotonic() - start >= delay:
                from rich.console import Console
                from rich.progress import (BarColumn, DownloadColumn, Progress,
                                           TaskProgressColumn, TimeRemainingColumn,
                                           TransferSpeedColumn)

                bar = Progress(BarColumn(), TaskProgressColumn(), DownloadColumn(),
                               TransferSpeedColumn(), TimeRemainingColumn(),
                               console=Console(file=sys.stderr), transient=True,
                               redirect_stdout=False, redirect_stderr=False)
                task = bar.add_task("input", total=size)
                bar.start()
            if bar is not None:
                bar.update(task, completed=source.tell())
    finally:
        if bar is not None:
            bar.stop()
