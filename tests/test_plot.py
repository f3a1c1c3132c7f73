"""`actgrad plot`: terminal plots (plain when piped or with NO_COLOR), sizes, legend, kinks,
the SVG file, and errors (one line on stderr, exit 2)."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from conftest import fail, ok
from typer.testing import CliRunner

import actgrad
from actgrad.views import plot as plotting
from actgrad.cli.app import app

runner = CliRunner()
SVG = "{http://www.w3.org/2000/svg}"




def test_piped_output_is_plain_text():
    out = ok("plot", "sigmoid", "tanh", "--width", "70", "--height", "24")
    assert "\x1b[" not in out
    assert any(ch in out for ch in "⣀⠤⠒⠉")  # braille dots were drawn


def test_no_color_is_plain_text(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    out = ok("plot", "relu", "--width", "60", "--height", "20")
    assert "\x1b[" not in out
    assert not plotting.use_colour(_FakeTerminal())


class _FakeTerminal:
    def isatty(self) -> bool:
        return True


def test_colour_only_on_a_terminal(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("TERM", raising=False)
    assert plotting.use_colour(_FakeTerminal())
    with open(__file__) as not_a_terminal:
        assert not plotting.use_colour(not_a_terminal)
    acts = [actgrad.get("sigmoid")]
    # plotille itself also leaves colour out when stdout (here pytest's capture) is not a tty
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert "\x1b[" in plotting.terminal_plot(acts, -6, 6, width=60, height=20, colour=True)
    assert "\x1b[" not in plotting.terminal_plot(acts, -6, 6, width=60, height=20, colour=False)


def test_legend_names_the_function_and_both_panels():
    out = ok("plot", "sigmoid", "--width", "100", "--height", "30")
    legend = out[out.index("Legend:"):]
    assert "sigmoid" in legend and "g(z)" in legend and "g′(z)" in legend
    assert "(g)" in out and "(g′)" in out  # the panels' axis labels
    assert "-> (z)" in out


@pytest.mark.parametrize("funcs,width,height", [
    (["sigmoid"], 60, 15), (["sigmoid"], 40, 30), (["relu", "sigmoid"], 80, 24),
    (["tanh", "relu", "hard_tanh"], 123, 41),
])
def test_width_and_height_are_respected(funcs, width, height):
    out = ok("plot", *funcs, "--width", str(width), "--height", str(height))
    lines = out.splitlines()
    assert len(lines) == height
    assert max(len(line) for line in lines) <= width


def test_value_only_and_deriv_only_draw_one_panel():
    value = ok("plot", "tanh", "--value-only", "-W", "70", "-H", "20")
    assert "(g)" in value and "(g′)" not in value
    deriv = ok("plot", "tanh", "--deriv-only", "-W", "70", "-H", "20")
    assert "(g′)" in deriv and "(g)" not in deriv
    assert len(deriv.splitlines()) == 20


def test_relu_kink_is_marked_with_what_the_frameworks_return():
    out = ok("plot", "relu", "--width", "80", "--height", "24")
    f = actgrad.get("relu")
    canvas = out[:out.index("Legend:")]
    assert canvas.count("◆") >= 2  # on g and on g′
    pt, jx = f.deriv(0.0, kink="pytorch"), f.deriv(0.0, kink="jax")
    assert pt == jx
    assert f"◆ kink of relu at z = 0: g′ jumps from 0 to 1; PyTorch and JAX give {pt:g}" in out


def test_leaky_relu_kink_with_a_parameter():
    out = ok("plot", "leaky_relu", "-p", "negative_slope=0.2", "-W", "90", "-H", "30")
    assert "negative_slope=0.2" in out
    f = actgrad.get("leaky_relu", negative_slope=0.2)
    assert f"PyTorch gives {f.deriv(0.0, kink='pytorch'):g}, JAX {f.deriv(0.0, kink='jax'):g}" in out


def test_no_kink_mark_for_smooth_functions():
    out = ok("plot", "sigmoid", "tanh", "--width", "80", "--height", "24")
    assert "◆" not in out


def test_several_functions_are_told_apart_without_colour():
    out = ok("plot", "sigmoid", "tanh", "relu", "-W", "90", "-H", "30")
    canvas = out[:out.index("Legend:")]
    assert "•" in canvas and "×" in canvas  # the 2nd and 3rd function's markers
    assert "⠤•⠤ tanh" in out and "⠤×⠤ relu" in out


def test_samples_come_from_the_api_and_g_prime_is_split_at_kinks():
    f = actgrad.get("relu")
    g_panel, d_panel = plotting.sample([f], -2.0, 2.0)
    (zz, yy), = g_panel.curves[0].pieces  # g is continuous: one piece
    assert np.array_equal(yy, f(zz))
    left, right = d_panel.curves[0].pieces  # g′ jumps at 0: two pieces
    assert left[0][-1] == 0.0 and left[1][-1] == 0.0  # left slope at the kink
    assert right[0][0] == 0.0 and right[1][0] == 1.0  # right slope at the kink
    assert np.array_equal(left[1][:-1], f.deriv(left[0][:-1]))


def test_svg_is_well_formed_with_a_polyline_per_curve(tmp_path):
    path = tmp_path / "act.svg"
    ok("plot", "sigmoid", "tanh", "--output", str(path), "-W", "80", "-H", "24")
    root = ET.parse(path).getroot()
    assert root.tag == f"{SVG}svg"
    curves = root.findall(f".//{SVG}g[@class='curve']")
    assert len(curves) == 4  # g and g′ of two functions
    for c in curves:
        assert len(c.findall(f"{SVG}polyline")) == 1  # smooth: one piece each
        points = c.find(f"{SVG}polyline").get("points").split()
        assert len(points) >= plotting.SAMPLES
    text = "".join(root.itertext())
    assert "sigmoid" in text and "tanh" in text


def test_svg_of_a_kinked_function_has_pieces_and_marks(tmp_path):
    path = tmp_path / "relu.svg"
    ok("plot", "relu", "--output", str(path), "-W", "80", "-H", "24")
    root = ET.parse(path).getroot()
    curves = root.findall(f".//{SVG}g[@class='curve']")
    assert [len(c.findall(f"{SVG}polyline")) for c in curves] == [1, 2]  # g whole, g′ split
    assert len(root.findall(f".//{SVG}path[@class='kink']")) == 2


def test_only_svg_is_written(tmp_path):
    line = fail("plot", "sigmoid", "--output", str(tmp_path / "x.png"))
    assert ".svg" in line
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize("args,word", [
    (["sigmod"], "did you mean 'sigmoid'"),
    (["sigmoid", "--start", "2", "--stop", "2"], "--start"),
    (["sigmoid", "--start", "3", "--stop", "-3"], "--start"),
    (["sigmoid", "--start", "nan"], "--start"),
    (["sigmoid", "--width", "5"], "--width"),
    (["sigmoid", "--width", "-80"], "--width"),
    (["sigmoid", "--height", "4"], "--height"),
    (["sigmoid", "--deriv-only", "--value-only"], "exclude"),
    (["sigmoid", "-p", "negative_slope=0.1"], "negative_slope"),
])
def test_errors_exit_2_with_one_line(args, word):
    assert word in fail("plot", *args)


def test_help_has_examples():
    r = runner.invoke(app, ["plot", "--help"])
    assert r.exit_code == 0
    assert "Example: actgrad plot sigmoid tanh" in r.stdout
    assert ".svg" in r.stdout


def test_plotille_is_not_imported_by_other_commands():
    code = ("import sys; from actgrad.cli.main import _run\n"
            "_run(['eval', 'sigmoid', '0']); sys.stdout.flush()\n"
            "print('plotille' in sys.modules, file=sys.stderr)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout == "0.5\n"
    assert r.stderr.strip() == "False"


# -- --order 2: a third panel for g″ ----------------------------------------------------------


def test_order_2_draws_three_panels_within_the_size():
    out = ok("plot", "elu", "softsign", "--order", "2", "-W", "80", "-H", "36")
    lines = out.splitlines()
    assert len(lines) == 36 and max(len(line) for line in lines) <= 80
    assert "(g)" in out and "(g′)" in out and "(g″)" in out
    assert "panels: g(z), g′(z), g″(z) from the top" in out
    # the jumps of g″ with the frameworks' double-backward values (elu: PyTorch's
    # (x < 0) factor gives 0, JAX's expm1 branch 1; softsign: 0 and −2)
    assert "jump of g″ of elu at z = 0: g″ jumps from 1 to 0; PyTorch gives 0, JAX" in out
    assert "g″ jumps from 2 to −2; PyTorch gives 0, JAX" in " ".join(out.split())
    assert "(g″)" not in ok("plot", "elu", "-W", "80", "-H", "36")
    deriv = ok("plot", "tanh", "--deriv-only", "-n", "2", "-W", "70", "-H", "24")
    assert "(g)" not in deriv and "(g′)" in deriv and "(g″)" in deriv


def test_order_2_samples_g2_split_at_its_jumps_and_the_kinks():
    elu, relu6 = actgrad.get("elu"), actgrad.get("relu6")
    panels = plotting.sample([elu, relu6], -2.0, 7.0, second=True)
    assert [p.name for p in panels] == ["g(z)", "g′(z)", "g″(z)"]
    left, right = panels[2].curves[0].pieces  # elu″ jumps at 0: two pieces, its sides
    assert left[0][-1] == 0.0 and left[1][-1] == 1.0 and right[1][0] == 0.0
    assert np.array_equal(left[1][:-1], elu.deriv(left[0][:-1], order=2))
    assert np.allclose(left[1][:-1], np.exp(left[0][:-1]), rtol=4e-16)
    assert panels[2].marks == [(0.0, 0.0, 0)]  # the jump (PyTorch's value); relu6″ = 0 has none
    (zz, yy), = panels[2].curves[1].pieces  # relu6″ is 0 on both sides of its kinks
    assert not yy.any()
    assert len(panels[1].curves[1].pieces) == 3  # g′ of relu6 still split at 0 and 6


def test_order_2_svg_has_the_g2_panel(tmp_path):
    path = tmp_path / "elu.svg"
    ok("plot", "elu", "--order", "2", "--output", str(path), "-W", "80", "-H", "36")
    root = ET.parse(path).getroot()
    panels = root.findall(f".//{SVG}g[@class='panel']")
    assert [p.get("data-name") for p in panels] == ["g(z)", "g′(z)", "g″(z)"]
    curves = root.findall(f".//{SVG}g[@class='curve']")
    assert [len(c.findall(f"{SVG}polyline")) for c in curves] == [1, 1, 2]  # g″ split at 0
    assert len(root.findall(f".//{SVG}path[@class='kink']")) == 1
    assert "elu″(z)" in "".join(root.itertext())
