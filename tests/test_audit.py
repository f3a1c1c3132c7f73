"""Judging implementations: actgrad.audit, actgrad.testing.assert_matches and
`check FUNC --impl/--values/--deriv`.

The naive implementations are the textbook ones whose failures are known from their
algebra, not from actgrad: a(1−a) is 0 where a = σ(z) has rounded to 1 (z > 36.7 in float64,
z > 16.6 in float32) although σ′ is representable far beyond; 0.5·z·(1 + erf(z/√2)) is 0
where erf(z/√2) has rounded to −1 (z < −8.3); 1 − tanh² is 0 where tanh rounds to ±1
(|z| > 18.7). The exact values the audit uses are compared here with the independent mpmath
references of tests/reference.py.
"""

from __future__ import annotations

import json
import math

import mpmath
import numpy as np
import pytest
import reference as ref
from conftest import fail, invoke, ok

import actgrad
import actgrad.testing
from actgrad import expression
from actgrad import auditing
from actgrad.auditing import AuditError, audit, audit_values, stress_grid


def naive_dsigmoid(z):
    a = 1 / (1 + np.exp(-z))
    return a * (1 - a)


def careful_dsigmoid(z):
    e = np.exp(-np.abs(z))
    return e / (1 + e) ** 2


def naive_gelu(z):
    erf = np.vectorize(math.erf, otypes=[z.dtype])
    return 0.5 * z * (1 + erf(z / math.sqrt(2)))


def naive_dtanh(z):
    return 1 - np.tanh(z) ** 2


def careful_dtanh(z):
    return (1 / np.cosh(z)) ** 2  # not 1/cosh², whose cosh² overflows beyond |z| ≈ 355


#: a careful numpy form is a few roundings of libm results away from the exact value; its
#: error depends on the CPU's exp/cosh (numpy's SIMD dispatch), so it is judged with room
CAREFUL_ULP = 16


def zeros_where_exact_is_not(report):
    """The z where 0 was given and the exact value is a normal float (not a subnormal,
    whose rounding to 0 may be within the tolerance)."""
    tiny = np.finfo(report.exact.dtype).tiny
    return report.z[(report.given == 0) & (np.abs(report.exact) >= tiny)].astype(np.float64)


# -- the naive forms are rejected with the right diagnosis -------------------------------------

def test_naive_sigmoid_deriv_is_rejected_for_its_zeros():
    r = audit(naive_dsigmoid, "sigmoid")
    assert not r.ok
    zeros = zeros_where_exact_is_not(r)
    # a = 1.0 beyond z ≈ 36.7 (1 + e^−z rounds to 1); below z ≈ −709.8, e^−z overflows
    assert zeros.size and np.all((zeros > 36) | (zeros < -709))
    assert (zeros > 36).any()
    right = {g.region: g for g in r.regions}["right tail"]
    assert right.above_tol > 0 and right.max_rel == 1.0
    assert any("0 at" in d and "rounded output" in d for d in r.diagnoses), r.diagnoses
    # σ′(40) is representable: the exact value the audit holds is the reference's
    i = int(np.flatnonzero(r.z == 40.0)[0])
    assert r.given[i] == 0.0
    assert r.exact[i] == ref.round_to(ref.sigmoid_deriv(40.0), np.float64) != 0


def test_naive_gelu_loses_its_negative_tail():
    r = audit(naive_gelu, "gelu", of="g")
    assert not r.ok
    zeros = zeros_where_exact_is_not(r)
    assert zeros.size and np.all(zeros < -8)  # 1 + erf(z/√2) = 0 for z < −8.3
    regions = {g.region: g for g in r.regions}
    assert regions["left tail"].above_tol > 0
    assert regions["right tail"].above_tol == 0  # z·1 for large z: exact
    assert any("0 at" in d and "left tail" in d for d in r.diagnoses), r.diagnoses


def test_naive_tanh_deriv_zeros_both_tails_careful_one_passes():
    r = audit(naive_dtanh, "tanh")
    assert not r.ok
    zeros = zeros_where_exact_is_not(r)
    assert (zeros > 19).any() and (zeros < -19).any() and np.all(np.abs(zeros) > 18)
    assert any("0 at" in d for d in r.diagnoses)
    good = audit(careful_dtanh, "tanh", ulp=CAREFUL_ULP)
    assert good.ok, good.text()
    assert not any("0 at" in d for d in good.diagnoses)


def test_careful_and_catalogue_implementations_are_accepted():
    assert audit(careful_dsigmoid, "sigmoid", ulp=CAREFUL_ULP).ok
    f = actgrad.get("gelu")
    r = audit(f.deriv, "gelu")  # the catalogue promises 4 ULP in float64
    assert r.ok, r.text()
    assert {g.region for g in r.regions} >= {"core", "left tail", "right tail", "near 0",
                                              "near roots"}
    assert audit(f, "gelu", of="g").ok
    assert audit(lambda z: f.deriv(z, order=2), "gelu", order=2).ok


def test_float32_implementations_are_judged_in_float32():
    seen = []

    def dsig32(z):
        seen.append(z.dtype)
        return naive_dsigmoid(z)

    r = audit(dsig32, "sigmoid", dtype="float32")
    assert seen == [np.float32] and r.dtype == "float32" and r.exact.dtype == np.float32
    zeros = zeros_where_exact_is_not(r)
    # in float32 a rounds to 1 from z ≈ 16.6 on: zeros there, though σ′(17) ≈ 4e-8
    assert ((zeros > 16) & (zeros < 20)).any() and not (np.abs(zeros) < 16).any()
    # the catalogue's float32 values are correctly rounded: no error at all
    exact32 = audit(actgrad.get("sigmoid").deriv, "sigmoid", dtype="float32")
    assert exact32.ok and max(g.max_ulp for g in exact32.regions) == 0


def test_float64_values_for_float32_are_rounded_and_said_so():
    r = audit(lambda z: naive_dsigmoid(z.astype(np.float64)), "sigmoid", dtype="float32")
    assert any("were float64" in n for n in r.notes)


# -- diagnoses of other mistakes -------------------------------------------------------------


def test_constant_factor_sign_and_wrong_function():
    twice = audit(lambda z: 2 * careful_dsigmoid(z), "sigmoid")
    assert any("constant factor" in d and "2.0" in d for d in twice.diagnoses), twice.diagnoses
    negated = audit(lambda z: -careful_dsigmoid(z), "sigmoid")
    assert any("sign is wrong everywhere" in d for d in negated.diagnoses)
    g_not_dg = audit(actgrad.get("sigmoid"), "sigmoid")
    assert any("those of g" in d for d in g_not_dg.diagnoses), g_not_dg.diagnoses


def test_nan_at_infinity_is_named():
    def dgelu(z):  # Φ + zφ: inf·0 at ±inf
        erf = np.vectorize(math.erf, otypes=[float])
        return 0.5 * (1 + erf(z / math.sqrt(2))) + z * np.exp(-z * z / 2) / math.sqrt(2 * math.pi)

    r = audit(dgelu, "gelu")
    assert sum(g.nonfinite for g in r.regions) == 2
    assert any("nan at z = -inf, inf" in d for d in r.diagnoses), r.diagnoses


# -- kinks -------------------------------------------------------------------------------------

@pytest.mark.parametrize("fn,follows", [
    (lambda z: (z > 0).astype(z.dtype), ("pytorch", "jax", "left")),
    (lambda z: (z >= 0).astype(z.dtype), ("right",)),
    (lambda z: np.where(z > 0, 1.0, np.where(z < 0, 0.0, 0.5)), ("mean",)),
    (lambda z: np.where(z == 0, np.nan, (z > 0).astype(float)), ()),
])
def test_relu_kink_convention(fn, follows):
    r = audit(fn, "relu")
    (k,) = r.kinks
    assert k.at == 0.0 and k.follows == follows
    assert k.ok == bool(follows) == r.ok  # away from the kink all of these are exact
    assert r.region[r.z == 0].tolist() == [-1, -1]  # ±0 judged at the kink, not in a region


def test_kink_convention_asked_for_and_frameworks_named_only_where_they_ship_it():
    right = lambda z: (z >= 0).astype(z.dtype)  # noqa: E731
    assert audit(right, "relu", kink="right").ok
    assert not audit(right, "relu", kink="pytorch").ok
    leaky = audit(lambda z: np.where(z >= 0, 1.0, 0.01), "leaky_relu")
    assert leaky.kinks[0].follows == ("jax", "right")  # JAX takes the right slope at 0
    prelu = audit(lambda z: np.where(z > 0, 1.0, 0.25), "prelu")  # PyTorch only
    assert prelu.kinks[0].follows == ("pytorch", "left")
    six = audit(lambda z: ((z > 0) & (z < 6)).astype(float), "relu6")
    assert [k.at for k in six.kinks] == [0.0, 6.0] and six.ok


# -- the grid ------------------------------------------------------------------------------


def test_the_stress_grid_reaches_every_corner():
    z = stress_grid("gelu")
    fi = np.finfo(np.float64)
    # exp overflows beyond 709.78; exp(z) rounds to 0 below −745.13
    for v in (0.0, fi.smallest_subnormal, fi.tiny, fi.max, math.inf, 709.782712893384,
              745.1332191019411):
        assert np.any(z == v) and np.any(z == -v), v
    assert np.any(np.signbit(z) & (z == 0)) and np.any(~np.signbit(z) & (z == 0))
    # the root of gelu′ (z ≈ −0.7517916): its float neighbours are in the grid
    root = float(mpmath.findroot(lambda x: mpmath.ncdf(x) + x * mpmath.npdf(x), -0.75))
    near = z[np.abs(z - root) < 1e-15]
    assert near.size >= 3
    assert np.any(stress_grid("relu6") == np.nextafter(6.0, 7.0))
    z16 = stress_grid("sigmoid", dtype="float16")
    assert z16.dtype == np.float16 and np.any(z16 == np.finfo(np.float16).smallest_subnormal)
    extra = stress_grid("sigmoid", values=[1234.5])
    assert np.any(extra == 1234.5)


# -- the Python API's errors -----------------------------------------------------------------


def test_a_raising_or_bad_implementation_is_one_clear_error():
    def boom(z):
        raise ValueError("bad things\nsecond line")

    with pytest.raises(AuditError, match=r"^boom raised ValueError: bad things$"):
        audit(boom, "sigmoid")
    with pytest.raises(AuditError, match="returned 1 values for"):
        audit(lambda z: 0.0, "sigmoid")
    with pytest.raises(AuditError, match="not of real numbers"):
        audit(lambda z: z.astype(str), "sigmoid")
    with pytest.raises(ValueError, match="dtype must be one of"):
        audit(careful_dsigmoid, "sigmoid", dtype="int8")
    with pytest.raises(ValueError, match="not both"):
        audit(careful_dsigmoid, "sigmoid", ulp=1, rel=1e-9)


def test_assert_matches_fails_with_the_report():
    with pytest.raises(AssertionError) as info:
        actgrad.testing.assert_matches(naive_dsigmoid, "sigmoid", of="deriv", ulp=4)
    text = str(info.value)
    assert "FAILED" in text and "right tail" in text and "rounded output" in text
    report = actgrad.testing.assert_matches(actgrad.get("tanh").deriv, "tanh", ulp=4)
    assert report.ok and actgrad.audit is auditing.audit


def test_audit_values_judges_given_points():
    z = np.array([-10.0, 0.0, 40.0])
    r = audit_values(z, naive_dsigmoid(z), "sigmoid")
    assert r.points == 3 and not r.ok
    assert r.exact[2] == ref.round_to(ref.sigmoid_deriv(40.0), np.float64)


# -- the command line ----------------------------------------------------------------------


IMPL = '''
import numpy as np

def dsig(z):
    a = 1 / (1 + np.exp(-z))
    return a * (1 - a)

def drelu(z):
    return (z > 0).astype(z.dtype)

def boom(z):
    raise ZeroDivisionError("my own bug")

NOT_A_FUNCTION = 3
'''


@pytest.fixture
def impl(tmp_path):
    path = tmp_path / "naive.py"
    path.write_text(IMPL)
    return str(path)


def test_check_impl_exit_status(impl):
    r = invoke("check", "sigmoid", "--impl", f"{impl}:dsig")
    assert r.exit_code == 1 and "FAILED" in r.stdout and "rounded output" in r.stdout
    assert r.stderr == ""
    out = ok("check", "relu", "--impl", f"{impl}:drelu")
    assert "pytorch, jax, left" in out and "passed" in out
    for line in (out + r.stdout).splitlines():  # 80 columns, float64 reprs included
        assert len(line) <= 80, line


def test_check_impl_options(impl):
    r = invoke("check", "sigmoid", "--impl", f"{impl}:dsig", "--dtype", "float32", "-f",
               "json")
    rows = json.loads(r.stdout)
    assert r.exit_code == 1 and {row["dtype"] for row in rows} == {"float32"}
    assert {row["kind"] for row in rows} >= {"region", "diagnosis"}
    # relative tolerance: 1.0 (100 %) lets every value through except nan/inf
    ok("check", "sigmoid", "--impl", f"{impl}:dsig", "--tol", "1", "--rel")
    r = invoke("check", "relu", "--impl", f"{impl}:drelu", "--of", "g")
    assert r.exit_code == 1


@pytest.mark.parametrize("spec,message", [
    ("{impl}:boom", "boom raised ZeroDivisionError: my own bug"),
    ("{impl}:dsg", "has no 'dsg'; did you mean 'dsig'?"),
    ("{impl}:NOT_A_FUNCTION", "is a int, not a function"),
    ("{dir}/missing.py:f", "cannot read"),
    ("{impl}", "takes FILE.py:NAME"),
])
def test_check_impl_errors_are_one_line_exit_2(impl, tmp_path, spec, message):
    line = fail("check", "sigmoid", "--impl", spec.format(impl=impl, dir=tmp_path))
    assert message in line, line


def test_an_impl_that_fails_to_import(tmp_path):
    path = tmp_path / "broken.py"
    path.write_text("import numpy\nraise RuntimeError('no GPU')\n")
    line = fail("check", "sigmoid", "--impl", f"{path}:f")
    assert "raised RuntimeError: no GPU" in line


def test_audit_options_need_a_source():
    assert "--of goes with" in fail("check", "sigmoid", "--of", "g")
    assert "one function" in fail("check", "--impl", "x.py:f")


def pytorch_csv(path, dtype=np.float32, header="z,grad", sep=","):
    """Values as a PyTorch user exports them: sigmoid's backward from its output,
    grad = a(1 − a), in float32, written with numpy.savetxt."""
    z = np.linspace(-20, 40, 121).astype(dtype)
    a = (1 / (1 + np.exp(-z))).astype(dtype)
    np.savetxt(path, np.c_[z, a * (1 - a)], delimiter=sep, header=header, comments="",
               fmt="%.9g")
    return z


def test_check_values_from_a_pytorch_export(tmp_path):
    path = tmp_path / "grad.csv"
    pytorch_csv(path)
    r = invoke("check", "sigmoid", "--values", str(path), "--dtype", "float32")
    assert r.exit_code == 1 and "0 at" in r.stdout and "right tail" in r.stdout, r.stdout
    tsv = tmp_path / "grad.tsv"
    pytorch_csv(tsv, header="# z\tsigmoid_grad", sep="\t")
    r2 = invoke("check", "sigmoid", "--values", str(tsv), "--dtype", "float32",
                "--column", "sigmoid_grad", "-f", "csv")
    assert r2.exit_code == 1 and r2.stdout.startswith("function,dtype,kind,region")


def test_check_values_of_exact_values_passes(tmp_path):
    path = tmp_path / "exact.csv"
    z = np.array([-30.0, -1.5, 0.0, 2.0, 40.0])
    exact = [ref.round_to(ref.sigmoid_deriv(v), np.float64) for v in z]
    path.write_text("Unnamed: 0,z,dg\n" + "".join(f"{i},{a!r},{b!r}\n"
                                                  for i, (a, b) in enumerate(zip(z.tolist(), exact))))
    out = ok("check", "sigmoid", "--values", str(path))
    assert "passed" in out and "5 points" in out


@pytest.mark.parametrize("text,message", [
    ("z,grad\n1,0.19\n2,abc\n", "line 3, column 3: 'abc' is not a number"),
    ("z,grad\n1\n", "line 2: 1 field(s), the header has 2"),
    ("z,grad,other\n1,2,3\n", "which column holds the values?"),
    ("x,grad\n1,2\n", "no column 'z'"),
    ("", "the file is empty"),
    ("z,grad\n", "no rows"),
    ("z,grad\n1,\n", "line 2, column 3: the 'grad' field is empty"),
])
def test_check_values_bad_files(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    line = fail("check", "sigmoid", "--values", str(path))
    assert message in line and "bad.csv" in line, line


def test_check_values_missing_file_and_column(tmp_path):
    assert "cannot read" in fail("check", "sigmoid", "--values", str(tmp_path / "no.csv"))
    path = tmp_path / "g.csv"
    path.write_text("z,grad\n1,0.19\n")
    assert "no column 'dg'" in fail("check", "sigmoid", "--values", str(path), "--column", "dg")


# -- hand-derived derivatives ------------------------------------------------------------------


def test_check_deriv_of_an_expression():
    right = "sigmoid(z)*(1 + z*(1 - sigmoid(z)))"
    r = invoke("check", "z*sigmoid(z)", "--deriv", right, "-f", "json")
    rows = json.loads(r.stdout)
    notes = [row["note"] for row in rows if row["kind"] == "diagnosis"]
    assert any("is the derivative" in n for n in notes), notes
    wrong = invoke("check", "z*sigmoid(z)", "--deriv", "sigmoid(z)*(1 + z*sigmoid(z))")
    assert wrong.exit_code == 1 and "is not the derivative" in wrong.stdout
    # against the catalogue's silu, whose exact derivative is the rigorous one
    silu = invoke("check", "silu", "--deriv", right, "-f", "json")
    assert any("is the derivative" in row["note"] for row in json.loads(silu.stdout))


def test_expression_exact_derivative_against_an_independent_reference():
    e = expression.parse("z*sigmoid(z) + abs(z)**1.5")
    z = np.array([-3.25, -0.5, 0.125, 2.0, 17.0])
    got = auditing._mp_values(e, z, 1)
    with mpmath.workdps(50):
        for zi, gi in zip(z, got):
            x = mpmath.mpf(float(zi))
            s = 1 / (1 + mpmath.exp(-x))
            want = s * (1 + x * (1 - s)) + 1.5 * mpmath.sign(x) * abs(x) ** 0.5
            assert gi == ref.round_to(want, np.float64), zi


def test_expression_exact_derivative_keeps_terms_of_far_smaller_size():
    """d/dz z/(1 + |z|) = 1/(1 + |z|)²: its forward-mode form (1 + |z| − |z|)/(1 + |z|)²
    cancels; at z = 7.5e97 the 1 is 325 bits below |z|, which 160 and 320 bits both lose
    (agreeing on 0)."""
    e = expression.parse("z/(1 + abs(z))")
    z = np.array([7.524292101400892e97, -3.0e150, 2.5])
    got = auditing._mp_values(e, z, 1)
    with mpmath.workdps(400):
        want = [ref.round_to(1 / (1 + abs(mpmath.mpf(float(v)))) ** 2, np.float64) for v in z]
    assert got.tolist() == want


def test_check_impl_second_derivative_float16_and_extra_points(tmp_path):
    path = tmp_path / "more.py"
    path.write_text("import numpy as np\n"
                    "def d2tanh(z):\n    t = np.tanh(z)\n    return -2 * t * (1 - t * t)\n"
                    "def relu(z):\n    return np.maximum(z, 0)\n"
                    "def seen(z):\n    assert np.any(z == 1234.5), 'extra point missing'\n"
                    "    return (z > 0).astype(z.dtype)\n")
    r = invoke("check", "tanh", "--impl", f"{path}:d2tanh", "--order", "2", "-f", "json")
    rows = json.loads(r.stdout)
    assert r.exit_code == 1 and rows[0]["function"] == "tanh″"
    assert any("0 at" in row["note"] for row in rows)  # 1 − t² is 0 where t rounds to ±1
    r16 = invoke("check", "relu", "--impl", f"{path}:relu", "--of", "g", "--dtype", "float16")
    assert r16.exit_code == 0 and "float16" in r16.stdout
    ok("check", "relu", "1234.5", "--impl", f"{path}:seen")
    shown = " ".join(ok("check", "--help").replace("│", " ").split())
    assert "your own code" in shown
    # the help states the default tolerance without importing the audit at start-up
    assert f"ULP of the --dtype (default {auditing.DEFAULT_ULP:g})" in shown


def test_flushed_subnormals_are_named():
    f = actgrad.get("sigmoid")

    def ftz(z):  # the catalogue's float32 σ′ with subnormal results flushed to 0, as on a GPU
        d = f.deriv(z)
        return np.where(np.abs(d) < np.finfo(np.float32).tiny, 0, d).astype(z.dtype)

    r = audit(ftz, "sigmoid", dtype="float32")
    assert not r.ok
    assert len(r.diagnoses) == 1 and "subnormals flushed to zero" in r.diagnoses[0]


# -- a framework's known defect at a smooth point, named (profiles.DEFECTS) ---------------------

def _defect_csv(path, alpha, celu):
    """g′ of elu (celu) written from its definition in mpmath, with 0 at z = 0, as tinygrad's
    elu′(0) (MLX's celu′(0)) is; float32 values, as those frameworks were measured in."""
    z = [-3.0, -1.25, -0.5, -0.125, 0.0, 0.125, 0.5, 2.0]
    a = mpmath.mpf(alpha)
    g = [1.0 if v > 0 else float(mpmath.exp(v / a) if celu else a * mpmath.exp(v)) for v in z]
    g[z.index(0.0)] = 0.0
    g = np.array(g, dtype=np.float32).tolist()
    path.write_text("z,grad\n" + "".join(f"{x!r},{y!r}\n" for x, y in zip(z, g)))


@pytest.mark.parametrize("name,framework,alpha", [
    ("elu", "tinygrad 0.14.0", 1.0), ("celu", "MLX 0.32.4", 1.0), ("celu", "MLX 0.32.4", 2.5)])
def test_check_values_names_a_known_defect(tmp_path, name, framework, alpha):
    path = tmp_path / "grad.csv"
    _defect_csv(path, alpha, name == "celu")
    r = invoke("check", name, "-p", f"alpha={alpha}", "--values", str(path), "--dtype",
               "float32")
    assert r.exit_code == 1, r.stdout
    text = " ".join(r.stdout.split())
    assert f"0 at z = 0 is {framework}'s {name}′(0), a known defect" in text, text
    assert "the derivative is 1 (" in text and "a wrong branch" not in text, text
    rep = audit_values([-1.0, 0.0, 1.0], [math.exp(-1.0 / alpha) if name == "celu"
                                           else alpha * math.exp(-1.0), 0.0, 1.0],
                       name, alpha=alpha)
    assert any(framework in d for d in rep.diagnoses), rep.diagnoses


def test_known_defect_only_where_it_applies(tmp_path):
    # elu with alpha = 2 has a kink at 0 (slopes 2 | 1): 0 there is no recorded defect
    rep = audit_values([-1.0, 0.0, 1.0], [2 * math.exp(-1.0), 0.0, 1.0], "elu", alpha=2.0)
    assert not any("tinygrad" in d for d in rep.diagnoses), rep.diagnoses
    # the true value at 0 is no defect
    rep = audit_values([-1.0, 0.0, 1.0], [math.exp(-1.0), 1.0, 1.0], "elu")
    assert rep.ok and not rep.diagnoses


def test_check_values_names_keras_celu_at_0():
    # Keras 3.15.1 (TensorFlow backend) returns celu′(0) = 2: both branches count the tie
    rep = audit_values([-1.0, 0.0, 1.0], [math.exp(-1.0), 2.0, 1.0], "celu")
    assert any("2 at z = 0 is Keras 3.15.1's celu′(0)" in d for d in rep.diagnoses), \
        rep.diagnoses
    # and tinygrad's hard_sigmoid with alpha = 0.2: 0.2 at 2.5, on the flat piece
    rep = audit_values([0.0, 2.5], [0.2, 0.2], "hard_sigmoid", alpha=0.2)
    assert any("tinygrad 0.14.0's hard_sigmoid′(2.5)" in d for d in rep.diagnoses), \
        rep.diagnoses
