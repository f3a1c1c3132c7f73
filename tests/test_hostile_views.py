"""Regression tests for the reliability defects a hostile run found in the views and the
command line around them (issue 9): plot sizes and ranges, widths of the rich outputs, bare
`actgrad`, an ASCII output encoding, and installing shell completion."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


def actgrad(*args: str, env: dict[str, str] | None = None, timeout: float = 60,
            input: str | None = None) -> subprocess.CompletedProcess:
    full = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    full.pop("ACTGRAD_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "actgrad", *args], capture_output=True,
                          env=full, timeout=timeout, input=input, cwd=ROOT,
                          text=input is not None)


# -- bare `actgrad` ---------------------------------------------------------------------------


def test_bare_actgrad_prints_its_help_once():
    bare, helped = actgrad(), actgrad("--help")
    assert bare.returncode == 0 and helped.returncode == 0
    assert bare.stdout.count(b"Usage:") == 1
    assert bare.stdout == helped.stdout


# -- an output encoding without the help's characters -----------------------------------------


@pytest.mark.parametrize("args", [("--help",), ("deriv", "--help"), ("list", "--help")])
def test_help_under_an_ascii_output_encoding(args):
    r = actgrad(*args, env={"PYTHONIOENCODING": "ascii", "COLUMNS": "80"})
    assert r.returncode == 0, r.stderr
    assert r.stderr == b""
    text = r.stdout.decode("ascii")  # nothing else than ASCII reaches the stream
    assert "Usage:" in text
    if args == ("deriv", "--help"):
        assert "g'(z)" in text  # g′ spelled in ASCII, not '?'


@pytest.mark.parametrize("args", [("list",), ("explain", "relu")])
def test_reports_under_an_ascii_output_encoding(args):
    r = actgrad(*args, env={"PYTHONIOENCODING": "ascii", "COLUMNS": "80"})
    assert r.returncode == 0 and r.stderr == b"", r.stderr
    assert "relu" in r.stdout.decode("utf-8")


# -- --install-completion SHELL ---------------------------------------------------------------

COMMITTED = {"bash": "actgrad.bash", "zsh": "_actgrad", "fish": "actgrad.fish"}
INSTALLED = {"bash": ".bash_completions/actgrad.sh", "zsh": ".zfunc/_actgrad",
             "fish": ".config/fish/completions/actgrad.fish"}


def _files(home: pathlib.Path) -> dict[str, bytes]:
    return {str(p.relative_to(home)): p.read_bytes() for p in sorted(home.rglob("*"))
            if p.is_file()}


@pytest.mark.parametrize("shell", ["fish", "zsh", "bash"])
def test_install_completion_installs_that_shells_script_once(tmp_path, shell):
    (tmp_path / ".bashrc").write_text("alias ll='ls -l'")  # no final newline
    env = {"HOME": str(tmp_path)}
    r = actgrad("--install-completion", shell, env=env)
    assert r.returncode == 0, r.stderr
    assert shell.encode() in r.stdout
    installed = tmp_path / INSTALLED[shell]
    assert installed.read_text() == (ROOT / "completions" / COMMITTED[shell]).read_text()
    bashrc = (tmp_path / ".bashrc").read_text()
    if shell == "bash":
        assert bashrc == f"alias ll='ls -l'\nsource '{installed}'\n"
    else:
        assert bashrc == "alias ll='ls -l'"  # another shell's rc file is not touched
    if shell == "zsh":
        assert (tmp_path / ".zshrc").read_text() == (
            "fpath+=~/.zfunc; autoload -Uz compinit; compinit\n")
    before = _files(tmp_path)
    again = actgrad(f"--install-completion={shell}", env=env)
    assert again.returncode == 0, again.stderr
    assert _files(tmp_path) == before  # a second run appends nothing


def test_show_and_install_completion_errors(tmp_path):
    r = actgrad("--show-completion", "fish")
    assert r.returncode == 0
    assert r.stdout.decode() == (ROOT / "completions" / "actgrad.fish").read_text()
    r = actgrad("--install-completion", "tcsh", env={"HOME": str(tmp_path)})
    assert r.returncode == 2
    assert r.stderr.decode().splitlines() == [
        "actgrad: --install-completion: the shells are bash, zsh, fish, got 'tcsh'"]
    assert list(tmp_path.iterdir()) == []
