"""The command line through Typer's CliRunner: output forms, options, errors and exit codes.

Expected numbers here are either exact by hand (sigmoid′(0) = 1/4, relu slopes, kink
conventions) or computed in mpmath inside the test; none is copied from actgrad's output.
"""

from __future__ import annotations

import csv
import io
import json
import math

import conftest
import mpmath
import pytest

import actgrad
from actgrad.numerics import gradcheck
from conftest import fail


run = conftest.invoke


def ok(*args: str, input: str | None = None) -> str:
    return conftest.ok(*args, input=input, note="token(s)")  # skipped input is noted


def within_4_ulp(got: float, exact: float) -> bool:
    """got within 4 ULP of the (correctly rounded) exact value."""
    return abs(got - exact) <= 4 * math.ulp(exact)


def mp_sigmoid_deriv(z: float) -> float:
    with mpmath.workdps(50):
        s = 1 / (1 + mpmath.exp(-mpmath.mpf(z)))
        return float(s * (1 - s))


def mp_tanh_deriv(z: float) -> float:
    with mpmath.workdps(50):
        return float(1 - mpmath.tanh(mpmath.mpf(z)) ** 2)


# -- the lecture's numbers ---------------------------------------------------------------


def test_sigmoid_deriv_at_zero_is_a_quarter():
    assert ok("deriv", "sigmoid", "0") == "0.25\n"


def test_sigmoid_deriv_at_40_keeps_its_digits():
    expected = mp_sigmoid_deriv(40.0)
    assert expected != 0.0
    assert ok("deriv", "sigmoid", "40") == repr(expected) + "\n"
    assert repr(expected) == "4.248354255291589e-18"


def test_tanh_deriv_tail_is_not_zero():
    out = ok("deriv", "tanh", "20", "-10", "0")
    got = [float(x) for x in out.split()]
    assert within_4_ulp(got[0], mp_tanh_deriv(20.0)) and 1e-17 < got[0] < 2e-17
    assert within_4_ulp(got[1], mp_tanh_deriv(-10.0)) and 0 < got[1] < 1e-8
    assert got[2] == 1.0


@pytest.mark.parametrize("fn,expected", [("relu", ["0.0", "0.0", "1.0"]),
                                         ("leaky_relu", ["0.01", "0.01", "1.0"])])
def test_relu_family_either_side_and_at_zero(fn, expected):
    assert ok("deriv", fn, "-3", "0", "2").split() == expected


@pytest.mark.parametrize("kink,relu,leaky", [
    ("pytorch", 0.0, 0.2), ("jax", 0.0, 1.0), ("left", 0.0, 0.2), ("right", 1.0, 1.0),
    ("mean", 0.5, 0.6),
])
def test_kink_conventions(kink, relu, leaky):
    assert float(ok("deriv", "relu", "0", "--kink", kink)) == relu
    assert float(ok("deriv", "lrelu", "0", "-p", "negative_slope=0.2", "--kink", kink)) == leaky


def test_from_output():
    # a = 0.5 is sigmoid(0): a(1 - a) = 0.25; tanh: a = 0 gives 1, a = 0.5 gives 0.75 exactly
    assert ok("deriv", "sigmoid", "-a", "0.5") == "0.25\n"
    assert ok("deriv", "tanh", "--from-output", "0", "0.5", "-0.5").split() == ["1.0", "0.75", "0.75"]
    assert ok("deriv", "relu", "-a", "0", "3").split() == ["0.0", "1.0"]
    assert ok("deriv", "lrelu", "-a", "-0.03", "0", "3").split() == ["0.01", "0.01", "1.0"]


def test_from_output_rejects_impossible_outputs():
    line = fail(2, "deriv", "sigmoid", "-a", "0.5", "1.5")
    assert "argument 2" in line and "1.5" in line and "[0, 1]" in line


def test_from_output_unavailable_for_negative_slope():
    line = fail(2, "deriv", "lrelu", "-a", "1", "-p", "negative_slope=-0.5")
    assert "negative_slope" in line


# -- values: arguments and stdin ------------------------------------------------------------


def test_negative_numbers_as_arguments():
    assert within_4_ulp(float(ok("deriv", "tanh", "-2")), mp_tanh_deriv(-2.0))
    assert ok("deriv", "tanh", "--", "-2") == ok("deriv", "tanh", "-2")
    out = ok("eval", "relu", "-inf", "-1e-3", "-nan", "-.5", "-5.", "-f", "csv")
    assert out.splitlines()[1:] == ["-inf,0.0", "-0.001,0.0", "nan,nan", "-0.5,0.0", "-5.0,0.0"]


def test_options_keep_negative_values():
    out = ok("table", "relu", "--start", "-2", "--stop", "-1", "--num", "2", "-f", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["z"] for r in rows] == ["-2.0", "-1.0"]


def test_stdin_mixed_separators():
    out = ok("eval", "relu", input="1, 2\t-3\n\n4,,5 \r\n+6 .5 inf\n")
    assert out.split() == ["1.0", "2.0", "0.0", "4.0", "5.0", "6.0", "0.5", "inf"]


def test_dash_reads_stdin():
    assert ok("deriv", "sigmoid", "-", input="0\n") == "0.25\n"


def test_empty_stdin_gives_empty_output():
    assert ok("deriv", "sigmoid", input="") == ""
    assert ok("deriv", "sigmoid", input="\n \n") == ""


def test_overflowing_value_is_inf():
    assert ok("eval", "relu", "1e999") == "inf\n"


# -- output formats ------------------------------------------------------------------------


def test_plain_is_shortest_round_trip():
    out = ok("eval", "sigmoid", "0.1", "-745", "1000")
    for line, z in zip(out.split(), [0.1, -745.0, 1000.0]):
        with mpmath.workdps(50):
            exact = float(1 / (1 + mpmath.exp(-mpmath.mpf(z))))
        assert within_4_ulp(float(line), exact) and line == repr(float(line))


def test_csv_and_tsv_headers():
    assert ok("eval", "relu", "1", "-f", "csv") == "z,g\n1.0,1.0\n"
    assert ok("deriv", "relu", "1", "-f", "tsv") == "z\tdg\n1.0\t1.0\n"
    assert ok("deriv", "relu", "-a", "1", "-f", "csv") == "a,dg\n1.0,1.0\n"


def test_json_is_strict_and_complete():
    out = ok("eval", "relu", "nan", "inf", "-inf", "2", "-f", "json")
    data = json.loads(out, parse_constant=lambda c: pytest.fail(f"bare {c} in JSON"))
    assert data == [{"z": "nan", "g": "nan"}, {"z": "inf", "g": "inf"},
                    {"z": "-inf", "g": 0.0}, {"z": 2.0, "g": 2.0}]
    assert json.loads(ok("eval", "relu", "-f", "json", input="")) == []


def test_jsonl_one_object_per_line():
    out = ok("deriv", "sigmoid", "0", "nan", "-f", "jsonl")
    lines = out.splitlines()
    assert [json.loads(x) for x in lines] == [{"z": 0.0, "dg": 0.25}, {"z": "nan", "dg": "nan"}]


def test_json_stays_valid_when_input_stops_at_an_error():
    r = run("eval", "relu", "-f", "json", input="1\n2\nabc\n")
    assert r.exit_code == 2
    assert json.loads(r.stdout) == [{"z": 1.0, "g": 1.0}, {"z": 2.0, "g": 2.0}]
    assert "line 3" in r.stderr and "'abc'" in r.stderr


def test_rich_table_format_shows_every_digit():
    out = ok("eval", "sigmoid", "2", "-f", "table")
    plain = ok("eval", "sigmoid", "2").strip()
    with mpmath.workdps(50):
        exact = float(1 / (1 + mpmath.exp(-2)))
    assert within_4_ulp(float(plain), exact) and len(plain) >= 17
    assert plain in out


def test_float32_dtype_prints_float32_shortest():
    out = ok("eval", "sigmoid", "0", "1", "--dtype", "float32").split()
    with mpmath.workdps(50):
        exact = 1 / (1 + mpmath.exp(-1))
    import numpy as np

    assert out == ["0.5", str(np.float32(float(exact)))]


# -- high precision ---------------------------------------------------------------------------


def test_digits_prints_many_correct_digits():
    out = ok("deriv", "sigmoid", "40", "--digits", "30").strip()
    with mpmath.workdps(60):
        s = 1 / (1 + mpmath.exp(-40))
        exact = s * (1 - s)
        assert abs(mpmath.mpf(out) - exact) / exact < mpmath.mpf(10) ** -29
    assert len(out.split("e")[0].replace(".", "").lstrip("0")) == 30


def test_exact_is_correctly_rounded_float64():
    out = ok("eval", "tanh", "0.5", "--exact").strip()
    with mpmath.workdps(50):
        assert out == repr(float(mpmath.tanh(mpmath.mpf(0.5))))


# -- table, check, list ---------------------------------------------------------------------


def test_table_machine_format_has_one_header_and_a_row_per_function_and_z():
    out = ok("table", "sigmoid", "relu", "-f", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert out.count("function,z,g,dg,dg_numeric,rel_error,kind") == 1
    assert len(rows) == 22
    assert [r["z"] for r in rows[:11]] == [repr(float(z)) for z in range(-5, 6)]
    kinks = [(r["function"], r["z"]) for r in rows if r["kind"] == "kink"]
    assert kinks == [("relu", "0.0")]
    assert all(r["kind"] in ("", "kink") for r in rows)  # no grid point is within h of 0 but 0
    for r in rows:
        if r["kind"] == "kink":  # a convention: not compared
            assert r["dg_numeric"] == r["rel_error"] == "nan"
        else:
            assert float(r["rel_error"]) <= 1e-12


def test_table_values_after_functions():
    out = ok("table", "tanh", "lrelu", "0.5", "-1", "-f", "jsonl")
    rows = [json.loads(x) for x in out.splitlines()]
    assert [(r["function"], r["z"]) for r in rows] == [
        ("tanh", 0.5), ("tanh", -1.0), ("leaky_relu", 0.5), ("leaky_relu", -1.0)]
    assert within_4_ulp(rows[0]["dg"], mp_tanh_deriv(0.5))


def test_table_terminal_output_has_formulas_and_kink_marks():
    out = ok("table", "relu", "sigmoid")
    assert "max(0, z)" in out and "σ(z)" in out and "kink" in out


def test_check_passes_for_every_function():
    out = ok("check", "-f", "json")
    results = json.loads(out)
    import actgrad

    assert [r["function"] for r in results] == actgrad.names()
    for r in results:
        assert r["passed"] is True and r["max_rel_error"] <= 1e-7
        # the README's claim: every error within a few roundings of float64
        assert r["max_rel_error"] < 4 * 2.0 ** -52
        # (log1mexp is defined for z >= 0 only: its check covers the grid's positive half)
        half = math.isfinite(actgrad.get(r["function"]).spec.domain({})[0])
        assert r["checked"] + r["left_out"] >= (1001 // 2 if half else 1001)
    by_name = {r["function"]: r for r in results}
    assert by_name["relu"]["left_out"] == 1 and by_name["sigmoid"]["left_out"] == 0


def test_check_fails_with_exit_1_when_tolerance_is_impossible():
    r = run("check", "tanh", "--tol", "0", "-f", "csv")
    assert r.exit_code == 1
    assert "false" in r.stdout


def test_check_extra_values_are_included():
    out = ok("check", "sigmoid", "12.5", "-20", "-f", "json")
    grid = gradcheck.check_grid(actgrad.get("sigmoid"), [12.5, -20.0])
    assert json.loads(out)[0]["checked"] == len(grid) == len(gradcheck.default_grid()) + 2


def test_list_names_aliases_and_parameters():
    out = ok("list", "-f", "csv")
    rows = {r["name"]: r for r in csv.DictReader(io.StringIO(out))}
    assert set(rows) >= {"sigmoid", "tanh", "relu", "leaky_relu"}
    assert rows["sigmoid"]["aliases"] == "logistic"
    assert rows["leaky_relu"]["parameters"] == "negative_slope=0.01"
    assert rows["tanh"]["dg_from_a"]


def test_version_and_help():
    import actgrad

    assert ok("--version") == f"actgrad {actgrad.__version__}\n"
    for cmd in ("eval", "deriv", "table", "check", "list"):
        assert "Example" in ok(cmd, "--help")
    assert "Richardson" in ok("check", "--help")
    assert "precise" in ok("deriv", "--help")


# -- errors -------------------------------------------------------------------------------------


def test_unknown_function_suggests():
    assert "did you mean 'sigmoid'" in fail(2, "deriv", "sigmod", "1")


def test_unknown_parameter_names_it():
    line = fail(2, "deriv", "lrelu", "1", "-p", "negative_slop=2")
    assert "negative_slop" in line and "negative_slope" in line


def test_bad_parameter_value():
    assert "'abc' is not a number" in fail(2, "deriv", "lrelu", "1", "-p", "negative_slope=abc")
    assert "NAME=VALUE" in fail(2, "deriv", "lrelu", "1", "-p", "negative_slope")


def test_token_not_a_number_names_line_and_column_and_keeps_earlier_output():
    r = run("deriv", "sigmoid", input="0\n0 abc\n")
    assert r.exit_code == 2
    assert r.stdout == "0.25\n0.25\n"
    assert r.stderr == "actgrad: line 2, column 3: 'abc' is not a number\n"


def test_bad_argument_value():
    assert "argument 2: 'x' is not a number" in fail(2, "eval", "relu", "1", "x")


def test_unknown_option_and_command_and_choice():
    assert "--format" in fail(2, "deriv", "relu", "1", "--formt", "csv")
    assert "deriv" in fail(2, "deriv2", "relu", "1")
    assert "xml" in fail(2, "deriv", "relu", "1", "-f", "xml")
    assert "pytoch" in fail(2, "deriv", "relu", "1", "--kink", "pytoch")


@pytest.mark.parametrize("args,word", [
    (("table", "relu", "--num", "0"), "--num"),
    (("table", "relu", "--start", "3", "--stop", "1"), "--start"),
    (("table", "relu", "--step", "0"), "--step"),
    (("table", "relu", "--step", "1"), "--step"),
    (("table", "relu", "--num", "100000000"), "--num"),
    (("table", "relu", "--start", "-1e308", "--stop", "1e308"), "finite"),
    (("check", "relu", "--step", "-1"), "--step"),
    (("check", "relu", "inf"), "finite"),
    (("deriv", "relu", "1", "--digits", "1001"), "--digits"),
    (("table", "1", "2"), "function"),
    (("check", "relu", "-p", "alpha=2"), "alpha"),
])
def test_option_errors(args, word):
    assert word in fail(2, *args)


def test_no_arguments_prints_help():
    assert "Usage" in ok()


def test_on_invalid_skip_and_nan():
    r = run("eval", "relu", "--on-invalid", "skip", input="1 x 2\n")
    assert r.exit_code == 0 and r.stdout.split() == ["1.0", "2.0"]
    assert "1 token" in r.stderr
    r = run("eval", "relu", "--on-invalid", "nan", input="1 x 2\n")
    assert r.exit_code == 0 and r.stdout.split() == ["1.0", "nan", "2.0"]


def test_nan_and_inf_inputs_everywhere():
    out = ok("deriv", "sigmoid", "nan", "inf", "-inf").split()
    assert out[0] == "nan" and out[1:] == ["0.0", "0.0"]
    assert math.isnan(float(ok("deriv", "relu", "nan")))


def test_table_at_the_ends_of_the_float_range():
    out = ok("table", "sigmoid", "gelu", "tanh", "--start", "-1e307", "--stop", "1e307",
             "--num", "3", "-f", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 9
    assert all(r["rel_error"] == "0.0" for r in rows)
    assert [r["g"] for r in rows if r["function"] == "gelu"] == ["-0.0", "0.0", "1e+307"]


def test_digits_far_out_in_the_tails():
    out = ok("eval", "gelu", "-30", "1e300", "--digits", "20").split()
    with mpmath.workdps(60):
        z = mpmath.mpf(-30)
        exact = z * mpmath.ncdf(z)
        assert abs(mpmath.mpf(out[0]) / exact - 1) < mpmath.mpf(10) ** -19
    assert out[1] == "1.0000000000000000525e+300"  # the float 1e300, exactly, to 20 digits


def test_list_json_is_structured():
    rows = {r["name"]: r for r in json.loads(ok("list", "-f", "json"))}
    assert rows["hard_swish"]["aliases"] == ["hardswish", "hard_silu"]
    assert rows["leaky_relu"]["parameters"] == {"negative_slope": 0.01}
    assert rows["softplus"]["parameters"]["threshold"] == "inf"
    assert rows["relu6"]["kinks"] == [0.0, 6.0]
    assert rows["silu"]["dg_from_a"] is None


def test_names_after_values_are_an_error_saying_so():
    assert "function names come before the values" in fail(2, "table", "relu", "0", "sigmoid", "1")
    assert "function names come before the values" in fail(2, "check", "elu", "0.5", "tanh")


def test_table_parameter_typo_gets_a_suggestion():
    assert "did you mean 'negative_slope'" in fail(2, "table", "lrelu", "-p", "negative_slop=0.2", "0")


def test_check_counts_a_repeated_point_once():
    out = json.loads(ok("check", "relu", "-1", "0", "0", "-f", "json"))[0]
    grid = gradcheck.check_grid(actgrad.get("relu"), [-1.0, 0.0, 0.0])
    assert (out["checked"], out["left_out"]) == (len(grid) - 1, 1)


@pytest.mark.parametrize("args", [("leaky_relu", "-p", "negative_slope=1"), ("prelu", "-p", "weight=1")])
def test_equal_slopes_are_no_kink_anywhere(args):
    rows = list(csv.DictReader(io.StringIO(ok("table", *args[:1], "0", *args[1:], "-f", "csv"))))
    assert rows[0]["kind"] == ""
    assert json.loads(ok("check", *args, "-f", "json"))[0]["left_out"] == 0
    assert "None" in ok("explain", *args)


# -- table, check --order 2 -------------------------------------------------------------------


def test_table_order_2_adds_the_g2_columns_with_values_from_the_reference():
    import reference as R
    from actgrad.views import table as view

    out = ok("table", "tanh", "sigmoid", "elu", "0.5", "-1", "40", "0", "2e-4", "--order", "2",
             "-f", "csv")
    assert out.splitlines()[0] == ",".join(view.COLUMNS + view.COLUMNS2) == (
        "function,z,g,dg,dg_numeric,rel_error,kind,d2g,d2g_numeric,d2g_rel_error,d2g_kind")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 15
    for r in rows:
        z = float(r["z"])
        if r["function"] == "elu" and z == 0:  # a jump of g″: the convention, not compared
            assert r["d2g_kind"] == "kink" and r["kind"] == ""
            assert r["d2g_numeric"] == r["d2g_rel_error"] == "nan" and float(r["d2g"]) == 0.0
            continue
        exact = float(R.second(r["function"], z))
        assert abs(float(r["d2g"]) - exact) <= 4 * math.ulp(exact), r
        assert abs(float(r["d2g_numeric"]) - exact) <= 1e-12 * abs(exact) + 1e-300, r
        assert float(r["d2g_rel_error"]) <= 4 * 2.0**-52, r
        assert r["d2g_kind"] == ("near kink" if r["function"] == "elu" and z == 2e-4 else "")
    # order 1: the columns of today, and the same g′ values
    one = list(csv.DictReader(io.StringIO(ok("table", "tanh", "sigmoid", "elu", "0.5", "-1",
                                              "40", "0", "2e-4", "-f", "csv"))))
    assert list(one[0]) == list(view.COLUMNS)
    assert [[r[c] for c in view.COLUMNS] for r in rows] == [list(r.values()) for r in one]


def test_table_order_2_in_the_terminal_fits_80_columns():
    out = conftest.ok("table", "sigmoid", "elu", "--order", "2", env={"COLUMNS": "80"})
    assert out.count("numerical g″") == 2 and "σ″(z)" in out and "elu″(z)" in out
    assert "◆ jump" in out  # elu″ jumps at 0 (g′ has no kink there)
    second = out[out.index("σ″(z)"):out.index("elu:")]
    assert max(len(line) for line in second.splitlines()) <= 80
    assert "numerical g″" not in ok("table", "sigmoid")


def test_check_table_fits_80_columns_with_the_longest_worst_z(monkeypatch):
    """A worst z of 23 characters (repr of -3.1622776601683795e-09, as gelu's g″ can have)
    made the check table 81 wide: the passed column gives way, the caption names failures."""
    from actgrad.views import check as view

    monkeypatch.setenv("COLUMNS", "80")
    rows = [gradcheck.CheckResult("gelu", 1683, 0, 2.78e-16, -3.1622776601683795e-09, 1e-7,
                                  order=2),
            gradcheck.CheckResult("hard_sigmoid", 1682, 130, 3e-7, -2.9999999999999996, 1e-7,
                                  near_kink=1, order=2)]
    buf = io.BytesIO()
    view.write("table", rows, buf)
    text = buf.getvalue().decode()
    assert max(len(line) for line in text.splitlines()) <= 80, text
    assert "-3.1622776601683795e-09" in text and "-2.9999999999999996" in text  # repr, whole
    assert "passed left out to fit the terminal" in text
    assert "FAILED (above --tol 1e-07): hard_sigmoid" in text
    monkeypatch.setenv("COLUMNS", "120")
    buf = io.BytesIO()
    view.write("table", rows, buf)
    assert " passed" in buf.getvalue().decode() and "left out" not in buf.getvalue().decode()


def test_check_order_2_reports_per_function_and_exits_1_on_a_failure():
    results = json.loads(ok("check", "sigmoid", "elu", "relu6", "softsign", "--order", "2",
                            "-f", "json"))
    assert [r["function"] for r in results] == ["sigmoid", "elu", "relu6", "softsign"]
    assert all(r["passed"] and r["max_rel_error"] < 4 * 2.0**-52 for r in results)
    assert [r["left_out"] for r in results] == [0, 1, 2, 1]  # kinks of g′ and jumps of g″
    assert "g″ against differences of g′" in ok("check", "relu", "-n", "2")
    r = run("check", "tanh", "--tol", "0", "--order", "2", "-f", "csv")
    assert r.exit_code == 1 and "false" in r.stdout


@pytest.mark.parametrize("args", [
    ("table", "relu", "--order", "3"), ("table", "relu", "--order", "0"),
    ("check", "relu", "--order", "3"), ("check", "-n", "-1"), ("plot", "relu", "--order", "3"),
])
def test_order_other_than_1_or_2_is_one_line_exit_2(args):
    line = fail(*args)
    assert "--order" in line and "1 (g′) or 2 (g″)" in line and args[0] in line


def test_table_format_is_bounded_before_anything_is_computed():
    """-f table is drawn whole in memory: more than MAX_TABLE_ROWS rows in all is refused
    at once (100000 points took minutes), pointing to the formats that stream."""
    from actgrad.io.writers import MAX_TABLE_ROWS

    msg = fail("table", "sigmoid", "--num", "100000")
    assert f"at most {MAX_TABLE_ROWS} rows" in msg and "-f csv" in msg
    half = str(MAX_TABLE_ROWS // 2 + 1)
    assert "2 functions" in fail("table", "sigmoid", "tanh", "--num", half)
    assert "2 functions" in fail("table", "sigmoid", "z*z", "--num", half)
