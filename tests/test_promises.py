"""Regression tests for the promises a hostile run broke (issue 9): signals at any moment,
write failures part-way, nothing written before the input is known good, values read the
same way by every command, one-line errors for every bad input.
"""

from __future__ import annotations

import json
import os
import pathlib
import select
import signal
import subprocess
import sys
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
ACTGRAD = [sys.executable, "-m", "actgrad"]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
ENV.pop("ACTGRAD_NO_FASTPATH", None)


def run(*args: str, stdin: bytes | None = b"", env: dict | None = None, timeout: float = 60,
        shell: str | None = None) -> subprocess.CompletedProcess:
    if shell is not None:
        cmd = " ".join(ACTGRAD)
        return subprocess.run(["bash", "-c", f'actgrad() {{ {cmd} "$@"; }}\n{shell}'],
                              capture_output=True, timeout=timeout, env=env or ENV, cwd=ROOT,
                              input=stdin)
    return subprocess.run(ACTGRAD + list(args), input=stdin, capture_output=True,
                          timeout=timeout, env=env or ENV, cwd=ROOT)


def one_error_line(stderr: bytes) -> str:
    text = stderr.decode()
    assert "Traceback" not in text and "Exception ignored" not in text, text
    lines = text.splitlines()
    assert len(lines) == 1, text
    assert lines[0].startswith("actgrad: ")
    return lines[0]


def whole_lines(out: bytes) -> list[bytes]:
    assert out == b"" or out.endswith(b"\n"), out[-80:]
    return out.splitlines()


# -- signals ------------------------------------------------------------------------------------

# A child that tells the test when actgrad's own code has started (the interpreter's start-up,
# before any code of actgrad runs, is CPython's), then runs the console script's main.
_CHILD = ("import os, sys\n"
          "from actgrad.cli import main as m\n"  # installs the handlers, imports nothing else
          "os.write(2, b'R')\n"
          "sys.argv = ['actgrad'] + sys.argv[1:]\n"
          "m.main()\n")


def _signal_early(args: list[str], signum: int, delay: float) -> tuple[int, bytes, bytes]:
    p = subprocess.Popen([sys.executable, "-c", _CHILD, *args], stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV, cwd=ROOT)
    assert os.read(p.stderr.fileno(), 1) == b"R"
    time.sleep(delay)
    if signum:
        p.send_signal(signum)
    out, err = p.communicate(timeout=60)
    return p.returncode, out, err


@pytest.mark.parametrize("args", [["deriv", "sigmoid", "0.5", "2"],
                                  ["eval", "tanh", "1", "-f", "json"],
                                  ["deriv", "gelu", "1", "--exact"]])
def test_a_signal_at_any_moment_of_start_up_ends_cleanly(args):
    """Ctrl-C during the imports (numpy, orjson, mpmath) used to segfault, print a traceback
    or numpy's "bad install" message. Now: exit 130 (or 0 if the work was done), nothing on
    stderr, whole lines on stdout, valid JSON."""
    # how long the run takes once actgrad's code has started: the signals fall across it
    t0 = time.perf_counter()
    assert _signal_early(args, 0, 0.0)[0] == 0  # signal 0: none is sent, the run completes
    span = time.perf_counter() - t0
    codes = set()
    for i in range(8):
        code, out, err = _signal_early(args, signal.SIGINT, span * i / 8)
        codes.add(code)
        assert code in (0, 130), (code, err)
        assert err == b"", err
        lines = whole_lines(out)
        if "json" in args and out:
            assert code == 0 or lines[-1] == b"]"
            json.loads(out)
    assert 130 in codes


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_stop_signals_mid_stream_leave_whole_lines_and_closed_json(tmp_path, signum):
    big = tmp_path / "big.txt"
    big.write_bytes(b"0.123456789\n" * 2_000_000)
    with open(big, "rb") as source, subprocess.Popen(
            ACTGRAD + ["deriv", "sigmoid", "-f", "json"], stdin=source, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=ENV, cwd=ROOT) as p:
        first = os.read(p.stdout.fileno(), 100)
        assert first
        p.send_signal(signum)
        rest, err = p.communicate(timeout=60)
    assert p.returncode in (0, 128 + signum)
    assert err == b""
    rows = json.loads(first + rest)  # the array is closed
    assert isinstance(rows, list) and all(r == {"z": 0.123456789, "dg": rows[0]["dg"]} for r in rows)


def test_an_inherited_ignored_sigint_stays_ignored():
    code = ("import signal, subprocess, sys\n"
            "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
            f"p = subprocess.Popen({ACTGRAD!r} + ['eval', 'relu'], stdin=subprocess.PIPE,"
            " stdout=subprocess.PIPE)\n"
            "p.stdin.write(b'1\\n'); p.stdin.flush()\n"
            "import time; time.sleep(1.0); p.send_signal(signal.SIGINT); time.sleep(0.3)\n"
            "out, _ = p.communicate(b'2\\n', timeout=30)\n"
            "print(p.returncode, out)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV,
                       cwd=ROOT, timeout=60)
    assert r.stdout.strip() == "0 b'1.0\\n2.0\\n'", r.stderr


# -- write failures part-way --------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["plain", "csv", "json"])
def test_a_file_size_limit_leaves_whole_lines_and_closed_json(tmp_path, fmt):
    big = tmp_path / "big.txt"
    big.write_bytes(b"0.5\n" * 300_000)
    out = tmp_path / f"out.{fmt}"
    r = run(shell=f"ulimit -f 64; actgrad eval sigmoid -f {fmt} < {big} > {out}")
    assert r.returncode == 1
    assert "cannot write output" in one_error_line(r.stderr)
    data = out.read_bytes()
    assert 0 < len(data) <= 64 * 1024
    lines = whole_lines(data)
    if fmt == "json":
        assert len(json.loads(data)) == len(lines) - 2
    elif fmt == "csv":
        assert lines[0] == b"z,g" and set(lines[1:]) == {b"0.5,0.6224593312018546"}
    else:
        assert set(lines) == {b"0.6224593312018546"}


def test_a_size_limit_on_an_appended_file_keeps_what_was_there(tmp_path):
    out = tmp_path / "out.txt"
    out.write_bytes(b"kept\n")
    big = tmp_path / "big.txt"
    big.write_bytes(b"-2\n" * 300_000)
    r = run(shell=f"ulimit -f 64; actgrad eval relu < {big} >> {out}")
    assert r.returncode == 1
    lines = whole_lines(out.read_bytes())
    assert lines[0] == b"kept" and set(lines[1:]) == {b"0.0"}


# -- nothing written before the input is known to open and parse ---------------------------------


@pytest.mark.parametrize("args", [
    ["eval", "relu", "1", "x", "-f", "json"],
    ["eval", "relu", "1", "x", "-f", "csv"],
    ["eval", "relu", "-i", "/nonexistent/values", "-f", "csv"],
    ["eval", "relu", "-i", "/nonexistent/values", "-f", "json"],
    ["deriv", "tanh", "-i", "/", "-f", "tsv"],
])
def test_nothing_is_written_before_the_input_is_known_good(args):
    r = run(*args)
    assert r.returncode == 2 and r.stdout == b""
    one_error_line(r.stderr)


def test_an_error_after_good_values_keeps_a_valid_document():
    r = run("eval", "relu", "-f", "json", stdin=b"1\n2\nx\n")
    assert r.returncode == 2
    assert json.loads(r.stdout) == [{"z": 1.0, "g": 1.0}, {"z": 2.0, "g": 2.0}]
    assert one_error_line(r.stderr) == "actgrad: line 3, column 1: 'x' is not a number"


def test_empty_input_is_an_empty_document():
    assert json.loads(run("eval", "relu", "-f", "json").stdout) == []
    assert run("eval", "relu", "-f", "csv").stdout == b"z,g\n"


def test_the_table_format_is_bounded():
    from actgrad.io.writers import MAX_TABLE_ROWS

    values = b"1\n" * (MAX_TABLE_ROWS + 1)
    r = run("eval", "relu", "-f", "table", stdin=values)
    assert r.returncode == 2 and r.stdout == b""
    assert "-f csv" in one_error_line(r.stderr)
    r = run("eval", "relu", "-f", "csv", stdin=values)
    assert r.returncode == 0 and len(r.stdout.splitlines()) == MAX_TABLE_ROWS + 2


# -- g′ from the output: the first value that is not an output is named ----------------------


def test_from_output_names_the_first_bad_value_of_either_kind():
    # threshold=5: outputs are 0 (z <= 5) and (5, ∞); 1 lies in the gap, -1 below the range
    r = run("deriv", "threshold", "-a", "6", "1", "-1", "-p", "threshold=5")
    assert r.returncode == 2
    assert r.stdout == b"1.0\n"
    assert one_error_line(r.stderr) == "actgrad: argument 2: 1.0 is not an output of threshold"


# -- values work the same way everywhere --------------------------------------------------------


def test_arguments_take_separators_and_on_invalid_like_stdin():
    assert run("eval", "relu", "1,2", "-3 4").stdout == b"1.0\n2.0\n0.0\n4.0\n"
    r = run("eval", "relu", "1", "x,2", "--on-invalid", "skip")
    assert r.returncode == 0 and r.stdout == b"1.0\n2.0\n"
    assert "1 token(s) that are not numbers skipped" in one_error_line(r.stderr)
    r = run("eval", "relu", "1", "x", "--on-invalid", "nan")
    assert r.stdout == b"1.0\nnan\n"
    r = run("eval", "relu", "1", "2 x")
    assert one_error_line(r.stderr) == "actgrad: argument 2, column 3: 'x' is not a number"


def test_dash_and_input_dash_mean_stdin_in_every_command():
    assert run("eval", "relu", "-", stdin=b"-1 2\n").stdout == b"0.0\n2.0\n"
    assert run("eval", "relu", "-i", "-", stdin=b"-1 2\n").stdout == b"0.0\n2.0\n"
    r = run("table", "relu", "-", "-f", "csv", stdin=b"2\n-3\n")
    assert r.stdout.splitlines()[1:] == [b"relu,2.0,2.0,1.0,1.0,0.0,",
                                         b"relu,-3.0,0.0,0.0,0.0,0.0,"]
    r = run("check", "tanh", "-i", "-", "-f", "csv", stdin=b"12.5\n")
    assert r.returncode == 0 and r.stdout.splitlines()[1].startswith(b"tanh,")


def test_table_and_check_read_files_with_the_same_errors(tmp_path):
    values = tmp_path / "z.txt"
    values.write_bytes(b"1\n2\noops\n")
    r = run("table", "tanh", "-i", str(values))
    assert r.returncode == 2 and r.stdout == b""
    assert one_error_line(r.stderr) == "actgrad: line 3, column 1: 'oops' is not a number"
    r = run("check", "tanh", "-i", str(values), "--on-invalid", "skip", "-f", "csv")
    assert r.returncode == 0


# -- other bad inputs: one line each ------------------------------------------------------------


def test_file_names_in_errors_are_escaped():
    r = run("eval", "relu", "-i", "no\nsuch\x1b[31mfile")
    line = one_error_line(r.stderr)
    assert "\x1b" not in line and line == (
        "actgrad: cannot read 'no\\nsuch\\x1b[31mfile': No such file or directory")


def test_a_bad_progress_delay_is_said_and_ignored():
    from actgrad.io import progress

    env = {"ACTGRAD_PROGRESS_DELAY": "soon"}
    old = os.environ.copy()
    try:
        os.environ.update(env)
        import io
        import contextlib

        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            assert progress._delay() == progress.DEFAULT_DELAY
        assert "ACTGRAD_PROGRESS_DELAY='soon' is not a number" in err.getvalue()
    finally:
        os.environ.clear()
        os.environ.update(old)


@pytest.mark.parametrize("params, message", [
    (["negative_slope=1_0"], "'1_0' is not a number"),
    (["negative_slope=\u0661"], "'\u0661' is not a number"),
    (["negative_slope=0.1", "negative_slope=0.2"], "parameter negative_slope is given twice"),
])
def test_parameters_read_like_values_and_once(params, message):
    args = [a for p in params for a in ("-p", p)]
    for command in (["eval", "leaky_relu", "-1"], ["table", "leaky_relu", "-1"]):
        r = run(*command, *args)
        assert r.returncode == 2 and r.stdout == b""
        assert message in one_error_line(r.stderr)
