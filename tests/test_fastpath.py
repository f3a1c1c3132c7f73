"""The fast entry point: `eval|deriv FUNC [Z ...]` without Typer, same results as the full CLI."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
ENV.pop("ACTGRAD_NO_FASTPATH", None)


def run(args: list[str], stdin: bytes = b"", full: bool = False) -> tuple[int, bytes, bytes]:
    env = {**ENV, "ACTGRAD_NO_FASTPATH": "1"} if full else ENV
    r = subprocess.run([sys.executable, "-m", "actgrad", *args], input=stdin, capture_output=True,
                       env=env, cwd=ROOT, timeout=60)
    return r.returncode, r.stdout, r.stderr


@pytest.mark.parametrize("args,stdin", [
    (["deriv", "sigmoid", "0"], b""),
    (["eval", "tanh", "-2", "1e-3", "+5", ".5", "inf", "-inf", "nan", "1e999"], b""),
    (["deriv", "logistic", "40", "-745.5"], b""),
    (["deriv", "LReLU", "-1", "0", "1"], b""),
    (["deriv", "gelu"], b"-0.75, 0.5\n1e-300\t-38\n"),
    (["eval", "relu"], b"1\n2 abc\n"),  # an input error after good values
    (["eval", "relu"], b"\x00\xff\n"),
    (["deriv", "sigmoid"], b""),
    (["eval", "hard_swish", "-3", "3", "-1.5"], b""),
])
def test_fast_path_matches_the_full_command_line(args, stdin):
    assert run(args, stdin) == run(args, stdin, full=True)


@pytest.mark.parametrize("args", [
    ["deriv", "sigmod", "1"],         # unknown function: the full CLI words the suggestion
    ["deriv", "sigmoid", "-p", "x=1"],  # an option
    ["deriv", "sigmoid", "abc"],      # not a number
    ["deriv", "sigmoid", "-"],
    ["deriv", "lrelu", "-1", "-k", "jax"],
])
def test_everything_else_goes_to_the_full_command_line(args):
    assert run(args, b"0\n") == run(args, b"0\n", full=True)


def test_fast_path_does_not_import_typer_or_rich():
    code = ("import sys\nfrom actgrad.cli.main import _run\n"
            "code = _run(['deriv', 'sigmoid', '0'])\nsys.stdout.flush()\n"
            "print(code, 'typer' in sys.modules, 'rich' in sys.modules, 'mpmath' in sys.modules,"
            " file=sys.stderr)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV,
                       timeout=60)
    assert r.stdout == "0.25\n"
    assert r.stderr.split() == ["0", "False", "False", "False"]


def test_full_path_imports_no_rich_for_plain_output():
    code = ("import sys\nfrom actgrad.cli.main import _run\n"
            "_run(['deriv', 'sigmoid', '0', '-k', 'jax'])\nsys.stdout.flush()\n"
            "print('rich' in sys.modules, 'mpmath' in sys.modules, file=sys.stderr)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV,
                       timeout=60)
    assert r.stdout == "0.25\n"
    assert r.stderr.split() == ["False", "False"]
