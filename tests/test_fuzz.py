"""Fuzzing the command line: random arguments and random stdin never crash it.

Asserted for every run: exit status 0, 1 or 2; no traceback; on an error, exactly one line on
stderr; and for numeric input that is valid, exactly one output line per value.
"""

from __future__ import annotations

import math
import os
import pathlib
import subprocess
import sys

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import actgrad
from actgrad.cli.app import app

runner = CliRunner()
ROOT = pathlib.Path(__file__).resolve().parent.parent

NAMES = actgrad.names()
WORDS = st.sampled_from(
    ["eval", "deriv", "table", "list", "explain", "plot", "check", "derive", "-", "--", "",
     "-p", "negative_slope=0.2", "alpha=0", "lambd=-1", "beta=abc", "approximate=tanh", "x",
     "-f", "csv", "json", "jsonl", "tsv", "table", "plain", "xml", "--kink", "jax", "mean",
     "pytoch", "-a", "--from-output", "--on-invalid", "skip", "nan", "--dtype", "float32",
     "float16", "--digits", "5", "0", "--exact", "--num", "3", "-1", "--start", "--stop",
     "--step", "1e-3", "--tol", "--lang", "hi", "--width", "50", "--height", "12", "-h",
     "--version", "1e999", "-inf", "nan", "0.5", "-0.0", "1_0", "0x10", "é", "\x00", "sigmod"]
    + NAMES
)
ARGS = st.lists(st.one_of(WORDS, st.text(max_size=6)), max_size=8)
NUMBERS = st.floats(allow_nan=True, allow_infinity=True)


def assert_well_behaved(code: int, out: str, err: str) -> None:
    assert code in (0, 1, 2), (code, err)
    assert "Traceback" not in out + err, err
    if code == 2:
        assert len(err.splitlines()) == 1, err
        assert err.startswith("actgrad: ")


def cheap(args: list[str]) -> bool:
    """Leave out runs that are merely slow (every function checked, thousands of digits)."""
    if "check" in args and not any(n in args for n in NAMES):
        return False
    return True


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ARGS, st.binary(max_size=200))
def test_random_arguments_and_stdin(args, data):
    if not cheap(args):
        return
    r = runner.invoke(app, args, input=data)
    assert_well_behaved(r.exit_code, r.stdout, r.stderr)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(NAMES), st.sampled_from(["eval", "deriv"]), st.lists(NUMBERS, max_size=30),
       st.sampled_from([" ", "\n", ",", "\t", " ,\r\n"]))
@example("identity", "eval", [math.nan, -0.0, math.inf, 1.5], "\n")  # nan is not == nan
def test_valid_numbers_give_one_line_each(name, command, values, sep):
    text = sep.join(repr(v) for v in values)
    r = runner.invoke(app, [command, name], input=text)
    assert_well_behaved(r.exit_code, r.stdout, r.stderr)
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == len(values)
    for line in lines:
        float(line)  # every line is a number
    if command == "eval" and name == "identity":
        # compared value by value: nan == nan is false, so a list == would fail on any nan
        for v, line in zip(values, lines):
            got = float(line)
            if math.isnan(v):
                assert math.isnan(got), (v, line)
            else:
                assert got == v and math.copysign(1.0, got) == math.copysign(1.0, v), (v, line)


@settings(max_examples=30, deadline=None)
@given(st.binary(max_size=300), st.sampled_from(["eval", "deriv"]), st.sampled_from(NAMES))
def test_real_process_with_random_bytes(data, command, name):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-m", "actgrad", command, name], input=data,
                       capture_output=True, env=env, timeout=60)
    assert_well_behaved(r.returncode, r.stdout.decode(errors="replace"),
                        r.stderr.decode(errors="replace"))
