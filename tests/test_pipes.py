"""Real processes: pipes, signals, full disks, closed streams, binary input, exit statuses."""

from __future__ import annotations

import os
import pathlib
import re
import select
import signal
import subprocess
import sys
import time

import pytest
from conftest import one_error_line

ROOT = pathlib.Path(__file__).resolve().parent.parent
ACTGRAD = [sys.executable, "-m", "actgrad"]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}


def sh(script: str, timeout: float = 60, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run a shell pipeline where `actgrad` means this checkout's actgrad."""
    cmd = " ".join(ACTGRAD)
    return subprocess.run(["bash", "-c", f'actgrad() {{ {cmd} "$@"; }}\n{script}'],
                          capture_output=True, timeout=timeout, env=env or ENV, cwd=ROOT)




def test_readme_lecture_numbers_in_a_real_process():
    r = sh("actgrad deriv sigmoid 0; echo rc=$?")
    assert r.stdout == b"0.25\nrc=0\n" and r.stderr == b""


def test_seq_pipe():
    r = sh("seq -5 5 | actgrad deriv tanh | wc -l")
    assert r.stdout.strip() == b"11" and r.stderr == b""


@pytest.mark.parametrize("unbuffered", [False, True])
def test_endless_input_into_head_ends_quietly(unbuffered):
    env = {**ENV, "PYTHONUNBUFFERED": "1"} if unbuffered else ENV
    r = sh("set -o pipefail; yes 0 | actgrad deriv sigmoid | head -3; echo \"rc=${PIPESTATUS[1]}\"",
           timeout=60, env=env)
    assert r.stdout == b"0.25\n0.25\n0.25\nrc=141\n", r.stdout
    assert r.stderr == b""


def test_millions_queued_into_head_ends_quietly(tmp_path):
    big = tmp_path / "big.txt"
    big.write_bytes(b"0.5\n-1.25\n" * 1_000_000)
    r = sh(f"actgrad eval sigmoid < {big} | head -1", timeout=60)
    assert r.stdout.count(b"\n") == 1 and r.stderr == b""


def test_output_appears_before_end_of_input():
    with subprocess.Popen(ACTGRAD + ["deriv", "sigmoid"], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV, cwd=ROOT) as p:
        try:
            p.stdin.write(b"0\n")
            p.stdin.flush()
            ready, _, _ = select.select([p.stdout], [], [], 20)
            assert ready, "no answer before end of input"
            assert p.stdout.readline() == b"0.25\n"
            p.stdin.write(b"0 0\n")
            p.stdin.flush()
            assert p.stdout.readline() == b"0.25\n"
        finally:
            p.stdin.close()
            p.wait(20)
    assert p.returncode == 0


def test_ctrl_c_exits_130_without_traceback_and_with_whole_lines():
    with subprocess.Popen(ACTGRAD + ["deriv", "tanh"], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV, cwd=ROOT) as p:
        p.stdin.write(b"1 2 3\n")
        p.stdin.flush()
        ready, _, _ = select.select([p.stdout], [], [], 20)
        assert ready
        time.sleep(0.2)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=20)
    assert p.returncode == 130
    assert b"Traceback" not in err and b"KeyboardInterrupt" not in err
    assert out.endswith(b"\n") and len(out.splitlines()) == 3


def test_ctrl_c_during_a_long_run_leaves_whole_lines(tmp_path):
    big = tmp_path / "big.txt"
    big.write_bytes(b"0.123456789\n" * 3_000_000)
    with open(big, "rb") as source, subprocess.Popen(
            ACTGRAD + ["deriv", "sigmoid"], stdin=source, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=ENV, cwd=ROOT) as p:
        first = os.read(p.stdout.fileno(), 100)  # it is producing output (unbuffered read)
        assert first
        p.send_signal(signal.SIGINT)
        rest, err = p.communicate(timeout=60)
    out = first + rest
    assert p.returncode in (0, 130)
    assert b"Traceback" not in err
    assert out.endswith(b"\n")
    expected = sh("actgrad deriv sigmoid 0.123456789").stdout.strip()
    assert set(out.splitlines()) == {expected}  # every line whole: no torn last line


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("args", [
    "deriv sigmoid 0",
    "eval relu 1 -f table",  # the only write happens at the end
    "eval relu -f json </dev/null",
    "table relu --num 3",
    "list",
])
def test_full_disk_is_one_clear_error_and_exit_1(args):
    r = sh(f"actgrad {args} >/dev/full")
    assert r.returncode == 1
    assert "No space left" in one_error_line(r.stderr)


def test_closed_stdout_is_one_clear_error_and_exit_1():
    r = sh("actgrad deriv sigmoid 0 >&-")
    assert r.returncode == 1
    assert "closed" in one_error_line(r.stderr)


def test_binary_input_is_a_clear_error():
    r = sh("printf '1\\n\\x00\\xff\\xfe garbage\\n' | actgrad eval relu")
    assert r.returncode == 2
    assert r.stdout == b"1.0\n"
    assert re.match(r"actgrad: line 2, column 1: .* is not a number", one_error_line(r.stderr))


def test_random_bytes_never_crash():
    r = sh("head -c 200000 /dev/urandom | actgrad eval relu --on-invalid skip | wc -l")
    assert r.returncode == 0
    assert b"Traceback" not in r.stderr


def test_huge_token_errors_with_bounded_memory():
    code = (
        "import os, subprocess, sys\n"
        f"p = subprocess.Popen({ACTGRAD!r} + ['eval', 'relu'], stdin=subprocess.PIPE,"
        " stdout=subprocess.PIPE, stderr=subprocess.PIPE)\n"
        "chunk = b'1' * (1 << 20)\n"
        "try:\n"
        "    for _ in range(200):\n"
        "        p.stdin.write(chunk)\n"
        "    p.stdin.close()\n"
        "except BrokenPipeError:\n"
        "    pass\n"
        "err = p.stderr.read()\n"
        "_, status, usage = os.wait4(p.pid, 0)\n"
        "print(os.waitstatus_to_exitcode(status), usage.ru_maxrss, err.decode().strip())\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120, env=ENV)
    code_, rss_kib, message = r.stdout.decode().split(" ", 2)
    assert code_ == "2"
    assert "line 1, column 1" in message and "not a number" in message
    assert int(rss_kib) < 150 * 1024  # 200 MB went in; memory stayed at the interpreter's size


def test_check_exit_status_for_scripts():
    assert sh("actgrad check relu sigmoid >/dev/null").returncode == 0
    assert sh("actgrad check tanh --tol 0 >/dev/null").returncode == 1


def test_no_eval_or_exec_in_the_package():
    pattern = re.compile(r"(^|[^.\w])(eval|exec)\s*\(")
    for path in (ROOT / "actgrad").rglob("*.py"):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if pattern.search(line) and not re.search(r"def (eval|exec)\w*\s*\(", line):
                pytest.fail(f"{path}:{n} calls eval/exec: {line.strip()}")


def test_ctrl_c_leaves_valid_json(tmp_path):
    import json

    big = tmp_path / "big.txt"
    big.write_bytes(b"0.5\n" * 3_000_000)
    with open(big, "rb") as source, subprocess.Popen(
            ACTGRAD + ["deriv", "sigmoid", "-f", "json"], stdin=source, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=ENV, cwd=ROOT) as p:
        first = b""
        while len(first) < 200:  # some objects are out
            first += os.read(p.stdout.fileno(), 200)
        p.send_signal(signal.SIGINT)
        rest, err = p.communicate(timeout=60)
    assert p.returncode == 130 and b"Traceback" not in err
    out = first + rest
    assert out.endswith(b"]\n")
    data = json.loads(out)
    assert data and all(row == {"z": 0.5, "dg": data[0]["dg"]} for row in data)


def test_help_and_version_on_a_full_disk():
    for args in ("--version", "deriv --help", ""):
        r = sh(f"actgrad {args} >/dev/full")
        assert r.returncode == 1, args
        assert "No space left" in one_error_line(r.stderr)
