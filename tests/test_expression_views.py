"""Expressions in z in the views: table, check, plot and explain (numerics/exprcheck.py).

The numerical derivative of an expression is compared with references written here in mpmath
at 50 digits, independently of actgrad (neither expression.py nor the catalogue's forms):
each expression is written again as an mpmath function and differentiated by
``mpmath.diff`` (its own step control at raised precision), or by its closed form. The
numerical derivative is documented good to about 1e-11 of max(|g′|, s), s the size of g′
around z (numerics/gradcheck.py), far better where g is smooth on the scale of the step; the
bound below is that promise.
"""

from __future__ import annotations

import json
import math
import time

import mpmath
import numpy as np
import pytest
from mpmath import mpf

from conftest import fail, invoke, ok

from actgrad.expression import parse
from actgrad.numerics import exprcheck

mp = mpmath.mp


def _sig(x):
    return 1 / (1 + mpmath.exp(-x))


def _softplus(x):
    return mpmath.log1p(mpmath.exp(x))


def _elu(x):
    return x if x > 0 else mpmath.expm1(x)


#: (expression, the same function in mpmath, points: near kinks, breaks and poles too)
REFERENCES = [
    ("z*tanh(softplus(z))", lambda z: z * mpmath.tanh(_softplus(z)),
     [-30.0, -5.0, -1.0, -1e-8, 0.0, 0.3, 2.0, 15.0]),
    ("z*sigmoid(1.702*z)", lambda z: z * _sig(mpf(1.702) * z), [-40.0, -2.5, 0.0, 0.7, 9.0]),
    ("sqrt(z) + log(z)**2/z", lambda z: mpmath.sqrt(z) + mpmath.log(z) ** 2 / z,
     [1e-6, 1e-3, 0.5, 3.0, 1e5]),
    ("relu(z - 1) + abs(z)", lambda z: max(z - 1, 0) + abs(z), [-0.5, -1e-4, 1e-9, 0.9995, 1.0002]),
    ("max(z, 1 - z/2)", lambda z: max(z, 1 - z / 2), [0.6666, 0.66667, 5.0]),
    ("elu(z)*z", lambda z: _elu(z) * z, [-1e-4, -1e-10, 0.0, 3e-4]),  # g″ jumps at 0
    ("1/z", lambda z: 1 / z, [-1e-5, 2e-7, 0.25]),  # a pole at 0
    ("tan(z)", mpmath.tan, [1.5, 1.5707, -1.5708]),  # poles at ±π/2
    ("relu(z**2 - 1)", lambda z: max(z * z - 1, 0), [0.9999, 1.0001, -1.0004]),  # kinks at ±1
    ("z**z", lambda z: z ** z, [1e-3, 0.5, 4.0]),
    ("leaky_relu(z, negative_slope=0.2)*exp(-z**2)",
     lambda z: (z if z > 0 else mpf(0.2) * z) * mpmath.exp(-z * z), [-2.0, -1e-6, 1e-6, 1.0]),
]


@pytest.mark.parametrize("text,fn,zs", REFERENCES, ids=[r[0] for r in REFERENCES])
def test_numerical_derivative_against_independent_mpmath(text, fn, zs):
    e = parse(text)
    z = np.array(zs)
    num, scale, kind, pole = exprcheck.numeric(e, z)
    assert not pole.any() and (kind != "kink").all()
    with mpmath.workdps(50):
        for zi, ni, si in zip(zs, num.tolist(), scale.tolist()):
            want = mpmath.diff(fn, mpf(zi))
            # next to a zero of g′ (elu(z)*z at −1e-10) the promise is relative to s, the
            # size of g′ around z (gradcheck.ERROR_HELP)
            assert abs(ni - want) <= 1e-11 * max(abs(want), si), (text, zi, ni, want)


def test_stencils_stay_off_kinks_breaks_and_poles():
    # a central difference across relu's kink at 1 would give the mean slope 1.5 at 0.9995
    e = parse("relu(z - 1) + abs(z)")
    num, _, kind, _ = exprcheck.numeric(e, np.array([0.9995, 1.0, 0.0, 5.0]))
    assert num[0] == 1.0 and np.isnan(num[1]) and np.isnan(num[2]) and num[3] == 2.0
    assert kind.tolist() == ["near kink", "kink", "kink", ""]
    d = exprcheck.obstacle_distances(parse("relu(z**2 - 1) + 1/(z - 3) + elu(z + 2)"),
                                     np.array([0.999, 2.9995, -2.0]), 0.004)
    kinks, breaks, poles = (d[c] for c in (exprcheck._KINK, exprcheck._BREAK, exprcheck._POLE))
    assert abs(kinks[1][0] - 0.001) < 1e-15 and math.isinf(kinks[0][0])  # 1 is above 0.999
    assert abs(poles[1][1] - 0.0005) < 1e-15
    assert breaks[0][2] == 0.0 and math.isinf(breaks[1][2])  # elu's g″ jumps at z = −2


def test_kinks_in_z_with_slopes_and_framework_values():
    ks = exprcheck.kinks_in(parse("relu(z - 1) + abs(z)/2 + relu(z**2 - 4)"), -6, 6)
    got = [(k.at, k.left, k.right, k.slope("pytorch"), k.slope("jax")) for k in ks]
    assert got == [(-2.0, -4.5, -0.5, -0.5, -0.5), (0.0, -0.5, 0.5, 0.0, 0.5),
                   (1.0, 0.5, 1.5, 0.5, 0.5), (2.0, 1.5, 5.5, 1.5, 1.5)]
    assert exprcheck.kinks_in(parse("relu(z) - relu(z)"), -1, 1) == ()  # slopes agree


# ---------------------------------------------------------------------------------------
# the commands

def _csv(text):
    lines = text.strip().splitlines()
    head = lines[0].split(",")
    return [dict(zip(head, line.split(","))) for line in lines[1:]]


def test_table_of_an_expression():
    rows = _csv(ok("table", "relu(z - 1) + abs(z)", "0", "1", "1.0005", "-3", "-f", "csv"))
    assert [r["kind"] for r in rows] == ["kink", "kink", "near kink", ""]
    assert [r["function"] for r in rows] == ["relu(z - 1) + abs(z)"] * 4
    assert [float(r["dg"]) for r in rows] == [0.0, 1.0, 2.0, -1.0]  # PyTorch: abs′(0) = 0
    assert [r["dg_numeric"] for r in rows[:2]] == ["nan", "nan"]  # a kink is not checked
    assert [float(r["dg_numeric"]) for r in rows[2:]] == [2.0, -1.0]
    jax = _csv(ok("table", "relu(z - 1) + abs(z)", "0", "--kink", "jax", "-f", "csv"))
    assert float(jax[0]["dg"]) == 1.0
    text = ok("table", "z*tanh(softplus(z))", "relu", "--num", "3")
    assert text.startswith("z*tanh(softplus(z))\n") and "relu:" in text
    with mpmath.workdps(50):
        for r in _csv(ok("table", "z*tanh(softplus(z))", "--num", "5", "-f", "csv")):
            want = mpmath.diff(lambda x: x * mpmath.tanh(_softplus(x)), mpf(r["z"]))
            assert abs(float(r["dg_numeric"]) - want) <= 1e-11 * abs(want)
            assert float(r["rel_error"]) < 1e-13


def test_check_of_an_expression_and_its_exit_status():
    out = json.loads(ok("check", "z*tanh(softplus(z))", "relu(z - 1) + abs(z)", "mish",
                        "-f", "json"))
    assert [r["function"] for r in out] == ["z*tanh(softplus(z))", "relu(z - 1) + abs(z)",
                                            "mish"]
    assert all(r["passed"] and r["verdict"] == "good" for r in out)
    assert out[0]["checked"] > 1600 and out[0]["left_out"] == 0
    assert out[1]["left_out"] == 2 and out[1]["near_kink"] > 0  # the kinks at 0 and 1
    r = invoke("check", "z*tanh(softplus(z))", "--tol", "0")  # its error is not 0: fails
    assert r.exit_code == 1 and "FAILED" in r.stdout
    # g nowhere finite: nothing is checked, and that does not pass
    r = invoke("check", "9**9**9**9", "-f", "json")
    assert r.exit_code == 1 and json.loads(r.stdout)[0]["checked"] == 0
    # forward mode overflowing inside (e^e^e^z·e^e^z·e^z) is caught: exit 1, verdict wrong
    r = invoke("check", "exp(exp(exp(z)))*sin(exp(z))", "1.88", "-f", "json")
    assert r.exit_code == 1 and json.loads(r.stdout)[0]["verdict"] == "wrong"


def test_check_leaves_out_points_outside_the_domain():
    (r,) = json.loads(ok("check", "sqrt(z)", "-f", "json"))
    (full,) = json.loads(ok("check", "z*tanh(softplus(z))", "-f", "json"))
    assert r["passed"] and 0 < r["checked"] < full["checked"] / 2 + 10  # z >= 0 only


def test_plot_of_an_expression():
    text = ok("plot", "relu(z - 1) + abs(z)/2", "--width", "80", "--height", "30")
    assert "Legend: ⠤⠤ relu(z - 1) + abs(z)/2   panels" in text
    assert "◆ kink of relu(z - 1) + abs(z)/2 at z = 0: g′ jumps from −0.5 to 0.5;" in text
    assert "PyTorch gives 0, JAX 0.5 there" in text.replace("\n          ", " ")
    assert "at z = 1: g′ jumps from 0.5 to 1.5" in text
    assert text.count("◆") >= 4 + 2  # two kinks on both panels, two notes
    assert max(len(line) for line in text.splitlines()) <= 80


def test_plot_svg_names_the_expression(tmp_path):
    out = tmp_path / "p.svg"
    ok("plot", "z*tanh(softplus(z))", "sigmoid", "--width", "80", "--height", "30",
       "-o", str(out))
    svg = out.read_text()
    assert ">z*tanh(softplus(z))</text>" in svg and "sigmoid   " in svg


def test_explain_of_an_expression():
    text = ok("explain", "z*sigmoid(1.702*z)+relu(z-1)", "--format", "plain")
    assert text.startswith("z*sigmoid(1.702*z) + relu(z - 1) — an expression in z\n")
    assert "g(z) = z*sigmoid(1.702*z) + relu(z - 1)" in text
    assert "As written: z*sigmoid(1.702*z)+relu(z-1)" in text
    assert "    z*sigmoid(1.702*z):  (u·v)′ = u′·v + u·v′" in text
    assert "sigmoid(1.702*z):  (f(u))′ = f′(u)·u′, with the catalogue's sigmoid′" in text
    assert "relu(z - 1): kink where z - 1 = 0.0; slopes 0.0 and 1.0; in z at z = 1.0" in text
    assert "z = 1.0: slope " in text and "PyTorch returns" in text
    assert max(len(line) for line in text.splitlines()) <= 80
    hi = ok("explain", "z*tanh(softplus(z))", "--lang", "hi", "--format", "plain")
    assert "z*tanh(softplus(z)) — z का एक expression" in hi
    assert "tanh(softplus(z)):  (f(u))′ = f′(u)·u′, catalogue के tanh′ के साथ" in hi
    assert "between two floats" in ok("explain", "max(z, 1 - z/2)", "--format", "plain")
    assert "takes its parameters in its calls" in fail(
        "explain", "2*relu(z)", "-p", "negative_slope=0.1")


def test_list_and_completion_stay_catalogue_only():
    from actgrad.cli.options import complete_function

    assert all("(" not in n for n in complete_function(""))
    assert "z*" not in ok("list")


# ---------------------------------------------------------------------------------------
# refusals in every command

COMMANDS = (("table",), ("check",), ("plot", "--width", "80", "--height", "30"),
            ("explain",), ("eval", "--"), ("deriv", "--"))


@pytest.mark.parametrize("cmd", COMMANDS, ids=[c[0] for c in COMMANDS])
def test_a_wrong_expression_is_one_line_with_its_column(cmd):
    args = [*cmd, "2*sigmod(z)"] + (["1"] if cmd[0] in ("eval", "deriv") else [])
    assert fail(*args) == ("actgrad: expression column 3: unknown function 'sigmod';"
                           " did you mean 'sigmoid'?")


HOSTILE = [
    ("__import__('os').system('touch {tmp}/pwned')",
     "actgrad: expression column 1: '__import__' is not part of an expression"),
    ("sigmoid(z).__class__",
     "actgrad: expression column 11: attribute access ('.') is not part of an expression"),
    ("(" * 200 + "z" + ")" * 200,
     "actgrad: expression column 65: nested too deeply (more than 64 levels)"),
    ("tanh(" * 100 + "z" + ")" * 100,
     "actgrad: expression column 325: nested too deeply (more than 64 levels)"),
    ("z+" * 600 + "z", "actgrad: expression column 1001: expression too long (1201 characters,"
                       " at most 1000)"),
]


@pytest.mark.parametrize("cmd", COMMANDS[:4], ids=[c[0] for c in COMMANDS[:4]])
def test_hostile_expressions_are_refused_at_once_in_every_command(cmd, tmp_path):
    for text, message in HOSTILE:
        t0 = time.perf_counter()
        assert fail(*cmd, text.format(tmp=tmp_path)) == message
        assert time.perf_counter() - t0 < 2.0
    assert not (tmp_path / "pwned").exists()


def test_huge_constants_answer_quickly_in_every_command():
    t0 = time.perf_counter()
    assert "inf" in ok("table", "9**9**9**9", "--num", "2", "-f", "csv")
    assert invoke("check", "9**9**9**9").exit_code == 1
    assert fail("plot", "9**9**9**9", "--width", "80", "--height", "30") == (
        "actgrad: g(z) has no finite value on this range")
    assert "g(z) = 9**9**9**9" in ok("explain", "9**9**9**9", "--format", "plain")
    assert time.perf_counter() - t0 < 10.0


def test_a_function_finer_than_every_step_is_unresolved_not_an_error():
    # sin(1e300·z) varies on the scale 1e-300: no step settles; the precision search met a
    # ball radius far above its tiny target (log2 of their ratio overflowed once)
    t0 = time.perf_counter()
    num, _, kind, pole = exprcheck.numeric(parse("sin(1e300*z)"), np.array([0.5]))
    assert np.isnan(num[0]) and kind[0] == "" and not pole[0]
    assert time.perf_counter() - t0 < 10.0
