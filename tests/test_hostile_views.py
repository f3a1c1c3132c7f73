"""Regression tests for the reliability defects a hostile run found in the views and the
command line around them (issue 9): plot sizes and ranges, widths of the rich outputs, bare
`actgrad`, an ASCII output encoding, and installing shell completion."""

from __future__ import annotations

import os
import pathlib
import re
import signal
import subprocess
import sys
from contextlib import contextmanager

import numpy as np
import pytest
from typer.testing import CliRunner

from actgrad import registry
from actgrad.cli.app import app
from actgrad.io.numbers import is_number

ROOT = pathlib.Path(__file__).resolve().parent.parent
runner = CliRunner()


@contextmanager
def deadline(seconds: int):
    """Fail (instead of hanging) when the block takes longer than `seconds`."""
    def expire(signum, frame):
        raise TimeoutError(f"took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def invoke(*args: str, env: dict[str, str] | None = None, seconds: int = 20):
    with deadline(seconds):
        return runner.invoke(app, list(args), env=env)


# -- bare `actgrad` ---------------------------------------------------------------------------


def test_bare_actgrad_prints_its_help_once():
    bare, helped = invoke(), invoke("--help")
    assert bare.exit_code == 0 and helped.exit_code == 0
    assert bare.stdout.count("Usage:") == 1
    assert bare.stdout == helped.stdout


# -- an output encoding without the help's characters -----------------------------------------


_UNDER_ASCII = """
import sys
from actgrad.cli.main import _run
for args in (["--help"], ["deriv", "--help"], ["list", "--help"], ["explain", "relu"]):
    code = _run(args)
    sys.stdout.flush()
    sys.stdout.buffer.write(b"\\n<exit %d>\\n" % code)
    sys.stdout.buffer.flush()
"""


def test_help_and_reports_under_an_ascii_output_encoding():
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "ascii", "COLUMNS": "80"}
    r = subprocess.run([sys.executable, "-c", _UNDER_ASCII], capture_output=True, env=env,
                       timeout=60, cwd=ROOT)
    assert r.returncode == 0 and r.stderr == b"", r.stderr
    parts = r.stdout.split(b"\n<exit ")
    assert len(parts) == 5 and all(p.startswith(b"0>") for p in parts[1:]), r.stdout[-300:]
    helps = [parts[0], *(p[3:] for p in parts[1:3])]
    for text in helps:  # Typer's help: nothing but ASCII reaches the stream
        assert "Usage:" in text.decode("ascii")
    assert "g'(z)" in helps[1].decode("ascii")  # g′ spelled in ASCII, not '?'
    assert "relu" in parts[3].decode("utf-8")  # the lesson: UTF-8, as every report


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
    r = invoke("--install-completion", shell, env=env)
    assert r.exit_code == 0, r.stderr
    assert f"{shell} completion installed" in r.stdout
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
    again = invoke(f"--install-completion={shell}", env=env)
    assert again.exit_code == 0, again.stderr
    assert _files(tmp_path) == before  # a second run appends nothing


def test_show_and_install_completion_errors(tmp_path):
    r = invoke("--show-completion", "fish")
    assert r.exit_code == 0
    assert r.stdout == (ROOT / "completions" / "actgrad.fish").read_text()
    r = invoke("--install-completion", "tcsh", env={"HOME": str(tmp_path)})
    assert r.exit_code == 2
    assert r.stderr.splitlines() == [
        "actgrad: --install-completion: the shells are bash, zsh, fish, got 'tcsh'"]
    assert list(tmp_path.iterdir()) == []


# -- plot: sizes and ranges -------------------------------------------------------------------


def _limited() -> None:  # the child may use at most 4 GB: a runaway loop fails, not the machine
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (4_000_000_000, 4_000_000_000))


def plot(*args: str):
    """`actgrad plot ...` in this process, failing after 20 s."""
    r = invoke("plot", *args, env={"COLUMNS": "80", "LINES": "30"})
    r.returncode = r.exit_code
    return r


def test_plot_of_a_range_of_two_floats_ends_at_once_in_one_line(tmp_path):
    """Once an endless loop eating memory: run where it cannot take the machine down."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("ACTGRAD_DEBUG", None)
    svg = tmp_path / "x.svg"
    r = subprocess.run([sys.executable, "-m", "actgrad", "plot", "relu", "--start", "1",
                        "--stop", "1.0000000000000002", "-o", str(svg)], capture_output=True,
                       text=True, env=env, timeout=20, preexec_fn=_limited, cwd=ROOT)
    assert r.returncode == 2 and r.stdout == "" and not svg.exists()
    assert r.stderr.startswith("actgrad: --start 1 and --stop 1.0000000000000002 are too close")
    assert r.stderr.count("\n") == 1


def _x_labels(out: str) -> list[float]:
    """The numbers under the z axis of a terminal plot."""
    lines = out.splitlines()
    axis = next(i for i, ln in enumerate(lines) if ln.startswith("-" * 11 + "|-"))
    return [float(t) for t in lines[axis + 1].split("|", 1)[1].split()]


@pytest.mark.parametrize("args,word", [
    (["--start", "0", "--stop", "5e-324"], "too close"),
    (["--start", "1e308", "--stop", "inf"], "--start"),
    (["-W", "1000000000"], "--width must be between 40 and 500"),
    (["-H", "1000000000"], "--height must be between 1 and 200"),
    (["-W", "39"], "--width"),
])
def test_plot_sizes_and_ranges_are_bounded(tmp_path, args, word):
    svg = tmp_path / "x.svg"
    r = plot("relu", *args, "-o", str(svg))
    assert r.returncode == 2, (r.returncode, r.stderr[-500:])
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("actgrad: "), r.stderr
    assert word in r.stderr
    assert r.stdout == "" and not svg.exists()


@pytest.mark.parametrize("func,start,stop", [
    ("relu", 1e308, 1.79e308),
    ("relu", 1e300, 1.7e308),
    ("leaky_relu -p negative_slope=1e308", -6.0, 6.0),
    ("sigmoid", 1e6, 1.00001e6),
])
def test_plot_draws_far_out_ranges_with_true_labels(tmp_path, func, start, stop):
    import xml.etree.ElementTree as ET

    svg = tmp_path / "x.svg"
    r = plot(*func.split(), "--start", repr(start), "--stop", repr(stop), "-W", "80", "-H", "30",
             "-o", str(svg))
    assert r.returncode == 0 and r.stderr == "", r.stderr[-500:]
    assert max(len(ln) for ln in r.stdout.splitlines()) <= 80
    labels = _x_labels(r.stdout)
    assert labels == sorted(set(labels)) and len(labels) >= 5  # told apart, in order
    slack = (stop - start) / 1000  # labels are rounded, never by more than this
    assert start - slack <= labels[0] and labels[-1] <= stop + slack
    tree = ET.parse(svg)  # well formed; every tick label a number in its range
    texts = [t.text for t in tree.iter("{http://www.w3.org/2000/svg}text")
             if t.get("text-anchor") == "middle" and t.text and t.text[0] in "−0123456789"]
    ticks = [float(t.replace("−", "-")) for t in texts]
    slack = 1e-9 * max(abs(start), abs(stop))
    assert ticks and all(start - slack <= t <= stop + slack for t in ticks)


def test_plot_of_a_narrow_range_far_from_zero_labels_z_minus_start():
    r = plot("relu", "--start", "1", "--stop", "1.000000000001", "-W", "80", "-H", "30")
    assert r.returncode == 0, r.stderr
    assert "(z − 1)" in r.stdout
    offsets = _x_labels(r.stdout)
    assert offsets[0] == 0 and offsets == sorted(set(offsets))
    axis = next(ln for ln in r.stdout.splitlines() if ln.startswith("-" * 11 + "|-"))
    columns = len(axis.split("-> (")[0]) - 14  # of the canvas: 11 + "|-" + the ticks + "|"
    spacing = (1.000000000001 - 1) * 10 / columns  # plotille: a tick every 10 columns
    for i, v in enumerate(offsets):  # each label within a 20th of the spacing of its tick
        assert abs(v - i * spacing) <= spacing / 20 * (1 + 1e-9)


def test_tick_labels_tell_ticks_apart_and_stay_true():
    from actgrad.views.plot import tick_labels

    for lo, hi, n in [(-6.0, 6.0, 7), (1e6, 1e6 + 1, 11), (-1.7e308, -1.6e308, 31),
                      (2e-310, 3e-310, 7), (0.1, 0.1 + 1e-6, 201), (-1e-300, 1e300, 5)]:
        ticks = [lo + (hi / 2 - lo / 2) * 2 / (n - 1) * i for i in range(n)]
        labels = tick_labels(ticks, 10)
        assert labels is not None and len(labels) == n
        shown = [(t, v) for t, v in zip(labels, ticks) if t]
        assert len(shown) >= 2 and len({t for t, _ in shown}) == len(shown)
        assert all(len(t) <= 10 for t, _ in shown)
        step = abs(ticks[1] - ticks[0]) * (labels.index(shown[1][0]))
        assert all(abs(float(t) - v) <= step / 20 * (1 + 1e-9) for t, v in shown)
    assert tick_labels([1.0, 1.0000000000000002], 10) is None  # 10 characters cannot
    assert tick_labels([0.1, 0.100000001], 10) is None  # (0.10000000 would be off by 1e-9)


# -- every rich output fits the terminal, no number cut -----------------------------------------

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def screen(columns: int, *args: str) -> list[str]:
    r = invoke(*args, env={"COLUMNS": str(columns), "NO_COLOR": ""})
    assert r.exit_code == 0, (r.exit_code, r.stderr)
    return _ANSI.sub("", r.stdout).splitlines()


def cells(line: str) -> int:
    from rich.cells import cell_len

    return cell_len(line)


def numbers(lines: list[str]) -> list[str]:
    """Every token that is a number, split at spaces and table rules; none may be cut short."""
    text = "\n".join(lines)
    assert not re.search(r"[0-9.e+-]…", text), "a number was cut"
    tokens = re.split(r"[\s│┃|=,()]+", text.replace("−", "-"))
    return [t for t in tokens if t and is_number(t)]


@pytest.mark.parametrize("columns", [80, 60])
def test_list_fits_the_terminal(columns):
    lines = screen(columns, "list")
    assert max(cells(ln) for ln in lines) <= columns
    assert "upper=0.3333333333333333" in " ".join(lines)  # a parameter with its number whole
    shown = set(numbers(lines))
    for n in registry.names():
        for k in registry.get(n).kinks:
            assert repr(k.at) in shown
    wide = screen(columns, "list", "--wide")
    if columns == 80:  # 60 columns cannot hold name, parameter and kink words side by side
        assert max(cells(ln) for ln in wide) <= columns
    text = " ".join(wide)
    assert "upper=0.3333333333333333" in text
    # the heading "g′ from a" whole, on one line or wrapped at its spaces (not cut)
    head = " ".join(wide[:next(i for i, ln in enumerate(wide) if ln.startswith("─"))]).split()
    assert {"g′", "from", "a"} <= set(head) and not any("…" in w for w in head), head


@pytest.mark.parametrize("columns", [80, 60])
def test_table_numbers_round_trip_and_fit_where_they_can(columns):
    from actgrad.numerics import gradcheck

    lines = screen(columns, "table", "tanh", "relu", "--num", "5")
    z = np.linspace(-5, 5, 5)
    def plain(ln: str) -> str:  # a kink's row shows — for the numerical g′ and the error
        for mark in ("◆ kink", "◆", "◇"):
            ln = ln.replace(mark, "")
        return ln.replace("—", "nan").replace("│", " ")

    rows = [plain(ln).split() for ln in lines
            if plain(ln).split() and all(is_number(t) for t in plain(ln).split())]
    assert len(rows) == 10  # 5 per function, every number whole
    text = " ".join(" ".join(lines).split())  # the lines under a table may wrap
    for name, part in (("tanh", rows[:5]), ("relu", rows[5:])):
        f = registry.get(name)
        rs = gradcheck.table_rows(f, z)
        assert (np.isnan(rs.dg_numeric) == (rs.kind == "kink")).all()
        columns_shown = [rs.z, rs.g, rs.dg, rs.dg_numeric]
        if len(part[0]) == 4:  # the narrowest form: said so under the table
            assert "numerical g′ left out to fit the terminal" in text
            columns_shown = columns_shown[:3]
        for row, *expected, err in zip(part, *columns_shown, rs.error):
            assert [repr(float(t)) for t in row[:-1]] == [repr(float(v)) for v in expected]
            # the error whole, or (said under the table) to three digits
            assert row[-1] in (repr(float(err)), f"{err:.3g}", "nan")
            if row[-1] not in (repr(float(err)), "nan"):
                assert "rel. error to 3 digits" in text
    widest = max(cells(ln) for ln in lines)
    assert widest <= columns  # every number whole, and no wider than the terminal


@pytest.mark.parametrize("name", ["sigmoid", "gelu", "selu", "quick_gelu", "laplace"])
def test_table_fits_80_columns_with_its_values_whole(name):
    """The widest tables of the catalogue (long values, nonzero errors, kinks) fit 80
    columns: the error shortened and the marks one symbol, each said under the table."""
    from actgrad.numerics import gradcheck

    lines = screen(80, "table", name)
    assert max(cells(ln) for ln in lines) <= 80
    rs = gradcheck.table_rows(registry.get(name), np.linspace(-5, 5, 11))
    shown = " ".join(lines)
    for v in (*rs.g, *rs.dg):  # g and g′ are never shortened
        assert repr(float(v)) in shown


def test_check_fits_and_its_numbers_round_trip():
    from actgrad.numerics import gradcheck

    r = gradcheck.check(registry.get("sigmoid"), gradcheck.default_grid())
    for columns in (80, 60):
        lines = screen(columns, "check", "sigmoid")
        # the longest word of each column (heading or number) and a space between
        assert max(cells(ln) for ln in lines) <= max(columns, 8 + 6 + 5 + 5 + 22 + 5 + 7 + 6 + 7)
        shown = numbers(lines)
        assert repr(r.worst_z) in shown  # the point to look at again, always whole
        text = " ".join(" ".join(lines).split())
        if repr(r.max_rel_error) not in shown:  # an estimate, to 3 digits where it must
            assert f"{r.max_rel_error:.3g}" in shown
            assert "max rel. error to 3 digits to fit the terminal" in text
    # the whole catalogue at 80 columns: each worst z whole, the table within 80
    lines = screen(80, "check")
    assert max(cells(ln) for ln in lines) <= 80
    shown = numbers(lines)
    for name in registry.names():
        z = gradcheck.check(registry.get(name), gradcheck.default_grid()).worst_z
        assert repr(z) in shown


@pytest.mark.parametrize("columns", [80, 60])
@pytest.mark.parametrize("fmt", ["plain", "rich"])
@pytest.mark.parametrize("name,lang", [("sigmoid", "en"), ("elu", "en"), ("threshold", "en"),
                                       ("sigmoid", "hi")])
def test_explain_fits_and_its_numbers_round_trip(columns, fmt, name, lang):
    from actgrad.views.explain import SANITY_Z

    lines = screen(columns, "explain", name, "-f", fmt, "--lang", lang)
    assert max(cells(ln) for ln in lines) <= columns
    shown = numbers(lines)
    f = registry.get(name)
    for z in SANITY_Z:
        for v in (f(z), f.deriv(z)):
            assert repr(float(v)) in shown, (z, v)


@pytest.mark.parametrize("args", [("softmax", "1", "2", "3"), ("swiglu", "1", "2"),
                                  ("swiglu_oai", "7", "-8")])
def test_vector_table_fits_80_columns_with_its_values_whole(args):
    """The vector tables keep y and the derivatives whole at 80 columns: the error goes to 3
    digits, then the numerical columns are left out, each said under the table."""
    import json

    lines = screen(80, "table", *args)
    assert max(cells(ln) for ln in lines) <= 80
    shown = numbers(lines)
    rows = json.loads(invoke("table", *args, "-f", "json").stdout)
    values = [r[k] for r in rows for k in ("y_i", "J_ij", "y", "dy_dg", "dy_du") if k in r]
    assert len(values) >= 3
    for v in values:
        assert repr(float(v)) in shown
    text = " ".join(" ".join(lines).split())
    assert "to fit the terminal (-f csv has every column and digit)" in text
