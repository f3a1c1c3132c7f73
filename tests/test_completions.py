"""completions/ holds what the installed app generates, and completion really completes."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "completions"))

from generate import SHELLS, script  # noqa: E402


@pytest.mark.parametrize("shell,name", sorted(SHELLS.items()))
def test_committed_scripts_are_current(shell, name):
    committed = (ROOT / "completions" / name).read_text()
    assert committed == script(shell), (
        f"completions/{name} is stale: run python completions/generate.py")


def complete(words: str, cword: int) -> list[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "_ACTGRAD_COMPLETE": "complete_bash",
           "COMP_WORDS": words, "COMP_CWORD": str(cword)}
    r = subprocess.run([sys.executable, "-m", "actgrad"], capture_output=True, text=True,
                       env=env, timeout=60)
    return r.stdout.split()


def test_completes_commands_functions_options_and_choices():
    assert {"eval", "deriv", "table", "check", "list", "plot", "explain"} <= set(
        complete("actgrad ", 1))
    assert complete("actgrad deriv sig", 2) == ["sigmoid"]
    assert "hard_swish" in complete("actgrad eval hard", 2)
    assert "--kink" in complete("actgrad deriv sigmoid --k", 3)
    assert complete("actgrad deriv sigmoid --kink ", 4) == ["pytorch", "jax", "left", "right", "mean"]


def test_bash_script_is_valid_bash():
    r = subprocess.run(["bash", "-n", str(ROOT / "completions" / "actgrad.bash")])
    assert r.returncode == 0
