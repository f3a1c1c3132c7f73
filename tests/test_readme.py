"""Every `$ command` in the README's console blocks prints exactly what the README shows.

`UPDATE_README=1 python tests/test_readme.py` (as a script, not under pytest) rewrites the outputs
in README.md from today's code; then read the diff: the README must show real output, and a
change in it is a change in behaviour.
"""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BLOCK = re.compile(r"```console\n(.*?)```", re.DOTALL)
ENV = {
    **os.environ,
    "NO_COLOR": "1",
    "COLUMNS": "100",
    "TERM": "dumb",
    "PYTHONPATH": str(ROOT),
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
}
ENV.pop("LC_MESSAGES", None)


def _examples(text: str) -> list[tuple[str, str]]:
    out = []
    for block in BLOCK.findall(text):
        parts = re.split(r"^\$ ", block, flags=re.MULTILINE)
        for part in parts[1:]:
            command, _, expected = part.partition("\n")
            out.append((command, expected))
    return out


def _run(command: str) -> str:
    shim = f'actgrad() {{ "{sys.executable}" -m actgrad "$@"; }}\n'
    r = subprocess.run(["bash", "-c", shim + "{ " + command + "\n} 2>&1"], capture_output=True, text=True,
                       env=ENV, cwd=ROOT, timeout=300)
    return r.stdout


EXAMPLES = _examples(README.read_text(encoding="utf-8"))


def test_readme_has_examples():
    assert len(EXAMPLES) >= 15


@pytest.mark.parametrize("command,expected", EXAMPLES, ids=[c for c, _ in EXAMPLES])
def test_readme_example(command, expected):
    assert _run(command) == expected


def test_quick_start_is_two_commands():
    text = README.read_text(encoding="utf-8")
    block = text.split("## Quick start", 1)[1].split("```", 2)[1]
    lines = [x for x in block.splitlines()[1:] if x.strip()]
    assert len(lines) == 2
    assert "pip install" in lines[0] and "actgrad" in lines[0]
    assert "pytest" in lines[1]


def update() -> None:
    text = README.read_text(encoding="utf-8")

    def fill(match: re.Match) -> str:
        parts = re.split(r"^\$ ", match.group(1), flags=re.MULTILINE)
        body = parts[0]
        for part in parts[1:]:
            command = part.partition("\n")[0]
            body += f"$ {command}\n{_run(command)}"
        return f"```console\n{body}```"

    README.write_text(BLOCK.sub(fill, text), encoding="utf-8")


if __name__ == "__main__" and os.environ.get("UPDATE_README"):
    update()


def test_readme_python_examples():
    import doctest

    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.DOTALL)
    assert blocks
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    for i, block in enumerate(blocks):
        test = parser.get_doctest(block, {}, f"README python block {i}", str(README), 0)
        runner.run(test)
    assert runner.failures == 0
