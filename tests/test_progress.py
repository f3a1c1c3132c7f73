"""The progress bar: on a terminal's stderr only, never on stdout, off with --no-progress."""

from __future__ import annotations

import os
import pathlib
import pty
import subprocess
import sys
import threading

ROOT = pathlib.Path(__file__).resolve().parent.parent
ACTGRAD = [sys.executable, "-m", "actgrad"]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "ACTGRAD_PROGRESS_DELAY": "0", "COLUMNS": "100"}
ENV.pop("NO_COLOR", None)


def drained(master: int) -> tuple[threading.Thread, list[bytes]]:
    """Read a pty's output in the background (a full pty would block the child)."""
    chunks: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    return reader, chunks


def run_with_terminal_stderr(args: list[str], stdin_path: pathlib.Path | None = None):
    master, slave = pty.openpty()
    reader, chunks = drained(master)
    stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
    try:
        r = subprocess.run(ACTGRAD + args, stdin=stdin, stdout=subprocess.PIPE, stderr=slave,
                           env=ENV, cwd=ROOT, timeout=120)
    finally:
        if stdin_path:
            stdin.close()
        os.close(slave)
    reader.join(10)
    os.close(master)
    return r, b"".join(chunks)


def values_file(tmp_path: pathlib.Path) -> pathlib.Path:
    path = tmp_path / "values.txt"
    path.write_bytes(b"0.5\n-2\n" * 200_000)
    return path


def test_progress_bar_goes_to_the_terminal_not_to_stdout(tmp_path):
    path = values_file(tmp_path)
    r, err = run_with_terminal_stderr(["deriv", "sigmoid"], path)
    assert r.returncode == 0
    quiet = subprocess.run(ACTGRAD + ["deriv", "sigmoid", "-i", str(path), "--no-progress"],
                           capture_output=True, env=ENV, cwd=ROOT, timeout=120)
    assert r.stdout == quiet.stdout and len(r.stdout.splitlines()) == 400_000
    assert b"%" in err and b"Traceback" not in err


def test_input_file_option_shows_progress_too(tmp_path):
    r, err = run_with_terminal_stderr(["eval", "relu", "-i", str(values_file(tmp_path))])
    assert r.returncode == 0 and len(r.stdout.splitlines()) == 400_000
    assert b"%" in err


def test_no_progress_flag(tmp_path):
    r, err = run_with_terminal_stderr(["deriv", "sigmoid", "--no-progress"], values_file(tmp_path))
    assert r.returncode == 0 and err == b""


def test_no_progress_on_a_pipe(tmp_path):
    with open(values_file(tmp_path), "rb") as f:
        r = subprocess.run(ACTGRAD + ["deriv", "sigmoid"], stdin=f, capture_output=True,
                           env=ENV, cwd=ROOT, timeout=120)
    assert r.returncode == 0 and r.stderr == b""


def run_on_terminal(args: list[str], env: dict, typed: bytes = b"") -> tuple[bytes, bytes]:
    """Run with stdout and stdin on a terminal (a pty); return (terminal output, stderr)."""
    master, slave = pty.openpty()
    reader, chunks = drained(master)
    p = subprocess.Popen(ACTGRAD + args, stdin=slave, stdout=slave, stderr=subprocess.PIPE,
                         env=env, cwd=ROOT)
    if typed:
        os.write(master, typed)
    try:
        _, err = p.communicate(timeout=60)
    finally:
        os.close(slave)
    reader.join(5)
    os.close(master)
    return b"".join(chunks), err


def test_table_is_coloured_on_a_terminal_but_not_with_no_color():
    coloured, _ = run_on_terminal(["table", "relu", "sigmoid", "--num", "3"], ENV)
    assert b"\x1b[32m" in coloured or b"\x1b[92m" in coloured  # green: a good error
    plain, _ = run_on_terminal(["table", "relu", "sigmoid", "--num", "3"], {**ENV, "NO_COLOR": "1"})
    assert b"\x1b[" not in plain  # no colour, bold or dim
    assert b"kink" in plain


def test_typed_values_are_answered_with_a_hint_on_stderr():
    # stdin a terminal with no values: a hint on stderr, each typed line answered; Ctrl-D ends
    out, err = run_on_terminal(["deriv", "sigmoid"], ENV, typed=b"0\n0\n\x04")
    assert b"Ctrl-D" in err
    assert out.count(b"0.25") == 2
