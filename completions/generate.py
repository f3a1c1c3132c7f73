"""Regenerate the shell completion scripts from the installed app.

    python completions/generate.py

The scripts only hook the shell up to actgrad itself (completion candidates come from the
running app: commands, options, function names), so they change only when Typer's templates
do; tests/test_completions.py fails when a committed script is stale.
"""

from __future__ import annotations

import pathlib

from typer._completion_shared import get_completion_script

SHELLS = {"bash": "actgrad.bash", "zsh": "_actgrad", "fish": "actgrad.fish"}


def script(shell: str) -> str:
    return get_completion_script(prog_name="actgrad", complete_var="_ACTGRAD_COMPLETE",
                                 shell=shell).rstrip("\n") + "\n"


def main() -> None:
    here = pathlib.Path(__file__).resolve().parent
    for shell, name in SHELLS.items():
        (here / name).write_text(script(shell))
        print(f"wrote completions/{name}")


if __name__ == "__main__":
    main()
