"""Expressions in z (actgrad/expression.py): the grammar, its refusals, g, g′, g″, kinks.

References are written here in mpmath at 50 digits, independently of actgrad: closed forms
where they are short, else ``mpmath.diff`` of the function written in mpmath (mpmath
differentiates at raised precision with its own step control). ULP measure and exact rounding
come from tests/reference.py. Where a composition cancels (near roots of g′ or g″) the error is
measured against the sum of the absolute values of the formula's terms, the scale a float64
evaluation of that formula can be held to; no bound is promised for compositions in general.
"""

from __future__ import annotations

import ast
import builtins
import math
import os
import pathlib
import sys
import time

import mpmath
import numpy as np
import pytest
from mpmath import mpf

sys.path.insert(0, os.path.dirname(__file__))
import reference as ref  # noqa: E402

import actgrad  # noqa: E402
from actgrad import expression as ex  # noqa: E402
from actgrad.expression import ExpressionError, is_expression, parse, resolve  # noqa: E402

EPS = 2.0**-52
SOURCE = pathlib.Path(ex.__file__)


@pytest.fixture(autouse=True)
def _precision():
    with mpmath.workdps(50):
        yield


# ---------------------------------------------------------------------------------------
# refusals: message, column, time, no side effect

DEEP_PARENS = "(" * 100 + "z" + ")" * 100
DEEP_POWER = "2**" * 100 + "2"

HOSTILE = [
    # (text, message fragment, column)
    ("__import__('os')", "'__import__' is not part of an expression", 1),
    ("__import__('os').system('echo hi')", "'__import__' is not part of an expression", 1),
    ("z.real", "attribute access ('.') is not part of an expression", 2),
    ("sigmoid(z).__class__", "attribute access ('.') is not part of an expression", 11),
    ("z[0]", "unexpected character '['; subscripts and lists", 2),
    ("[z]", "unexpected character '['", 1),
    ("{z}", "unexpected character '{'; sets and dicts", 1),
    ("lambda z: z", "'lambda' is not part of an expression", 1),
    ("(lambda: 0)()", "'lambda' is not part of an expression", 2),
    ("[z for z in (1, 2)]", "unexpected character '['", 1),
    ('f"{z}"', "string prefixes", 1),
    ("z; z", "unexpected character ';'; one expression only", 2),
    ("z if z else 0", "unexpected 'if'", 3),
    ("z == 1", "unexpected '='", 3),
    ("z = 1", "unexpected '='", 3),
    ("z $ 1", "unexpected character '$'", 3),
    ("é", "unexpected character 'é'", 1),
    ("z\x00", "unexpected character U+0000", 2),
    (DEEP_PARENS, "nested too deeply (more than 64 levels)", 65),
    ("-" * 100 + "z", "nested too deeply (more than 64 levels)", 65),
    (DEEP_POWER, "nested too deeply (more than 64 levels)", 3 * 64 + 2),
    ("sigmoid(" * 70 + "z" + ")" * 70, "nested too deeply (more than 64 levels)", 8 * 64 + 8),
    ("z+" * 50_000, "expression too long (100000 characters, at most 1000)", 1001),
    ("", "empty expression", 1),
    ("   ", "empty expression", 1),
    ("sigmod(z)", "unknown function 'sigmod'; did you mean 'sigmoid'?", 1),
    ("2*sigmod(z)", "unknown function 'sigmod'; did you mean 'sigmoid'?", 3),
    ("EXP(z)", "unknown function 'EXP'; did you mean 'exp'?", 1),
    ("open('x')", "unknown function 'open'", 1),
    ("x", "unknown name 'x' (the variable is z)", 1),
    ("Z + 1", "unknown name 'Z'; did you mean 'z'?", 1),
    ("nan", "unknown name 'nan'", 1),
    ("sigmoid", "'sigmoid' is a function: call it, e.g. sigmoid(z)", 1),
    ("z(1)", "'z' is not a function", 1),
    ("'abc'", "unexpected string 'abc'; strings are only parameter values", 1),
    ("z +", "unexpected end of expression", 4),
    ("z z", "unexpected 'z'; missing operator?", 3),
    ("sigmoid(z", "unbalanced parentheses: '(' at column 8 is never closed", 8),
    ("(z + 1", "unbalanced parentheses: '(' at column 1 is never closed", 1),
    ("z)", "unbalanced parentheses: ')' without '('", 2),
    ("z^2", "unexpected character '^'; a power is written **", 2),
    ("2z", "bad number '2z'; a product is written 2*z", 1),
    ("1e", "bad number '1e'", 1),
    ("1.2.3", "bad number '1.2.3'", 1),
    ("0x10", "bad number '0x10'", 1),
    ("1_000*z", "bad number '1_000'", 1),
    ("1e999*z", "number '1e999' is too large for float64", 1),
    ("'unterminated", "unterminated string", 1),
    ("min(z)", "min takes 2 arguments, got 1", 1),
    ("exp()", "exp takes 1 argument, got 0", 1),
    ("exp(z, z)", "exp takes 1 argument, got 2", 1),
    ("exp(z, base=2)", "exp has no parameters", 8),
    ("sigmoid(z, z)", "sigmoid takes 1 argument (and keyword parameters), got 2", 1),
    ("relu(z, negative_slope=0.1)",
     "relu has no parameter 'negative_slope' (its parameters: none)", 9),
    ("leaky_relu(z, slope=0.1)",
     "leaky_relu has no parameter 'slope'", 15),
    ("leaky_relu(z, negative_slope=z)",
     "parameter 'negative_slope' must be a constant, not depend on z", 30),
    ("leaky_relu(z, negative_slope='0.2')",
     "parameter negative_slope of leaky_relu is a number, not a string", 30),
    ("leaky_relu(z, negative_slope=1e308*10)",
     "parameter negative_slope of leaky_relu: inf is out of range", 30),
    ("gelu(z, approximate='tan')",
     "parameter approximate of gelu: 'tan' is not allowed (allowed: none, tanh);"
     " did you mean 'tanh'?", 21),
    ("leaky_relu(z, negative_slope=0.1, negative_slope=0.2)",
     "parameter 'negative_slope' given twice", 35),
    ("leaky_relu(negative_slope=0.1, z)", "an argument after a parameter", 32),
]


@pytest.mark.parametrize("text,message,column", HOSTILE,
                         ids=[repr(t[:30]) for t, _, _ in HOSTILE])
def test_hostile_and_malformed_input_is_refused_quickly_with_its_column(text, message, column):
    start = time.perf_counter()
    with pytest.raises(ExpressionError) as info:
        parse(text)
    elapsed = time.perf_counter() - start
    assert elapsed < 0.25, f"{elapsed:.3f} s to refuse {text[:40]!r}"
    err = info.value
    assert isinstance(err, ValueError)
    assert message in err.message, err.message
    assert err.column == column
    assert str(err) == f"expression column {column}: {err.message}"


def test_nothing_is_evaluated_executed_or_compiled(monkeypatch, tmp_path):
    """With eval, exec, compile and __import__ made to fail, every refusal is still the
    parser's own, and a would-be shell command leaves no file."""
    import difflib  # noqa: F401  (suggestions import it on first use)

    target = tmp_path / "pwned"
    attacks = [f"__import__('os').system('touch {target}')", f"open('{target}', 'w')",
               f"exec('open({target!r}, \"w\")')", f"eval('1')"]

    def refuse(*args, **kwargs):
        raise AssertionError("the expression parser called eval/exec/compile/__import__")

    real_import = builtins.__import__
    for name in ("eval", "exec", "compile"):
        monkeypatch.setattr(builtins, name, refuse)
    monkeypatch.setattr(builtins, "__import__",
                        lambda name, *a, **k: refuse() if name == "os" else real_import(
                            name, *a, **k))
    for text in attacks:
        with pytest.raises(ExpressionError):
            parse(text)
    monkeypatch.undo()
    assert not target.exists()


def test_the_module_uses_no_eval_exec_compile_or_ast():
    tree = ast.parse(SOURCE.read_text(encoding="utf-8"))
    called = {n.func.id for n in ast.walk(tree)
              if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    assert not called & {"eval", "exec", "compile", "__import__"}
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import)
                for a in n.names}
    imported |= {(n.module or "").split(".")[0] for n in ast.walk(tree)
                 if isinstance(n, ast.ImportFrom) and not n.level}
    assert "ast" not in imported


def test_huge_constants_overflow_quickly_to_inf():
    z = np.array([-2.0, 0.0, 3.0])
    for text in ("9**9**9**9", "exp(exp(exp(1000)))", "10**400 - 10**400 + z"):
        start = time.perf_counter()
        f = parse(text)
        g, d, d2 = f.jets(z, 2)
        assert time.perf_counter() - start < 0.25
        assert np.all(np.isinf(g) | np.isnan(g))
    assert parse("9**9**9**9")(1.0) == math.inf
    assert parse("9**9**9**9").deriv(1.0) == 0.0  # a constant: its derivative is exactly 0
    # a constant's derivative is exactly 0 and never multiplied in: no inf·0 = nan
    assert parse("exp(exp(exp(1000))) + z").deriv(2.0) == 1.0
    assert parse("z*exp(-exp(1000))").deriv(2.0) == 0.0
    # z to an infinite power: 0 inside (−1, 1), inf beyond, computed at once
    assert list(parse("z**9**9**9")(np.array([0.5, 2.0]))) == [0.0, math.inf]


# ---------------------------------------------------------------------------------------
# the grammar

@pytest.mark.parametrize("text,canonical,z,value", [
    ("1 + 2*3", "1 + 2*3", 0.0, 7.0),
    ("-2**2", "-2**2", 0.0, -4.0),  # unary minus binds looser than **
    ("(-2)**2", "(-2)**2", 0.0, 4.0),
    ("2**-1", "2**-1", 0.0, 0.5),  # the exponent may be signed
    ("2**3**2", "2**3**2", 0.0, 512.0),  # right-associative
    ("(2**3)**2", "(2**3)**2", 0.0, 64.0),
    ("2*3**2", "2*3**2", 0.0, 18.0),
    ("1 - 2 - 3", "1 - 2 - 3", 0.0, -4.0),  # left-associative
    ("1 - (2 - 3)", "1 - (2 - 3)", 0.0, 2.0),
    ("8/4/2", "8/4/2", 0.0, 1.0),
    ("8/(4/2)", "8/(4/2)", 0.0, 4.0),
    ("-z**2", "-z**2", 3.0, -9.0),
    ("(-z)**2", "(-z)**2", 3.0, 9.0),
    ("--z", "--z", 3.0, 3.0),
    ("+z", "z", 3.0, 3.0),
    ("((z))", "z", 3.0, 3.0),
    ("(z*2)*3", "z*2*3", 1.0, 6.0),
    ("z*(2*3)", "z*(2*3)", 1.0, 6.0),
    ("-(z*2)", "-(z*2)", 1.0, -2.0),
    ("z*-2", "z*-2", 1.0, -2.0),
    ("2 ** -z", "2**-z", 1.0, 0.5),
    ("1 − z", "1 - z", 3.0, -2.0),  # U+2212, the minus sign
    ("1.5e1 + .5 + 2.", "15 + 0.5 + 2", 0.0, 17.5),
    ("pi", "pi", 0.0, math.pi),
    ("e", "e", 0.0, math.e),
    ("e**z", "e**z", 1.0, math.e),
    ("max( z ,0 )", "max(z, 0)", -1.0, 0.0),
])
def test_grammar_precedence_and_canonical_form(text, canonical, z, value):
    f = parse(text)
    assert f.name == canonical
    assert f(z) == value
    assert parse(f.name).name == f.name  # the canonical form reads back as itself


def test_keyword_and_string_parameters_and_aliases():
    f = parse("leaky_relu(z, negative_slope=0.2)")
    assert f.name == "leaky_relu(z, negative_slope=0.2)"
    assert f(-1.0) == -0.2 and f.deriv(-1.0) == 0.2
    assert parse("leaky_relu(z, negative_slope=1/5)")(-1.0) == -0.2  # a constant expression
    z = np.linspace(-5, 5, 41)
    want = actgrad.get("gelu", approximate="tanh")
    for text in ('gelu(z, approximate="tanh")', "gelu(z, approximate='tanh')"):
        f = parse(text)
        assert f.name == 'gelu(z, approximate="tanh")'
        assert np.array_equal(f(z), want(z)) and np.array_equal(f.deriv(z), want.deriv(z))
    assert parse("swish(z)").name == "silu(z)"
    assert parse("Logistic(z)").name == "sigmoid(z)"
    assert np.array_equal(parse("swish(z)").deriv(z), actgrad.get("silu").deriv(z))
    # tanh is both an elementary and a catalogue name: the same (catalogue) function
    assert np.array_equal(parse("tanh(z)")(z), actgrad.get("tanh")(z))
    assert np.array_equal(parse("tanh(z)").deriv(z), actgrad.get("tanh").deriv(z))


@pytest.mark.parametrize("text,expected", [
    ("sigmoid", False), ("Leaky-ReLU", False), ("leaky_relu", False), ("swish", False),
    ("sigmod", False), ("leaky-rleu", False), ("gelz", False),
    ("z", True), ("z*sigmoid(z)", True), ("2*z", True), ("sigmoid(z)", True),
    ("1-z", True), ("z**2", True), ("exp(1)", True), ("1 − z", True),
])
def test_is_expression(text, expected):
    assert is_expression(text) is expected


def test_resolve_names_and_expressions():
    assert resolve("sigmoid") == actgrad.get("sigmoid")
    assert resolve("leaky-relu", {"negative_slope": "0.2"}) == actgrad.get(
        "leaky_relu", negative_slope=0.2)
    assert isinstance(resolve("z*sigmoid(z)"), ex.Expression)
    with pytest.raises(actgrad.registry.UnknownActivationError, match="did you mean 'sigmoid'"):
        resolve("sigmod")
    with pytest.raises(ExpressionError, match="column 1: unknown function 'sigmod'"):
        resolve("sigmod(z)")
    with pytest.raises(ValueError, match="in an expression write them in the call"):
        resolve("leaky_relu(z)", {"negative_slope": "0.2"})


# ---------------------------------------------------------------------------------------
# g, g′, g″ against independent references

def _rel_err(got, exact, scale=None):
    """|got − exact| / scale (scale defaults to |exact|), in mpmath."""
    out = []
    for i, (g, e) in enumerate(zip(np.asarray(got, dtype=np.float64).ravel(), exact)):
        s = abs(e) if scale is None else scale[i]
        out.append(float(abs(mpf(float(g)) - e) / s) if s else float(abs(mpf(float(g)) - e)))
    return np.array(out)


def test_quick_gelu_against_its_closed_form():
    """z*sigmoid(1.702*z): g = z·σ(cz), g′ = σ + cz·σ(1 − σ), g″ = cσ(1 − σ)(2 + cz(1 − 2σ)),
    c = the float 1.702. 1.702*z is rounded before σ (the expression says so), which costs up
    to |cz| relative ULPs of σ's argument: the bound is (16 + 2|cz|)·ε of each formula's
    scale."""
    c = mpf(1.702)
    zs = np.concatenate([np.linspace(-30, 30, 121), [-1e-300, 1e-300, 5e-324, 0.0]])
    f = parse("z*sigmoid(1.702*z)")
    g, d1, d2 = f.jets(zs, 2)
    ex_g, ex_d1, ex_d2, sc_d1, sc_d2 = [], [], [], [], []
    for x in zs:
        x = mpf(float(x))
        s = 1 / (1 + mpmath.exp(-c * x))
        ex_g.append(x * s)
        ex_d1.append(s + c * x * s * (1 - s))
        sc_d1.append(abs(s) + abs(c * x * s * (1 - s)))
        ex_d2.append(c * s * (1 - s) * (2 + c * x * (1 - 2 * s)))
        sc_d2.append(c * s * (1 - s) * (2 + abs(c * x * (1 - 2 * s))))
    bound = (16 + 2 * np.abs(1.702 * zs)) * EPS
    assert np.all(ref.ulp_error(g, ex_g) <= bound / EPS / 2)  # in ULP: also subnormal results
    assert np.all(_rel_err(d1, ex_d1, sc_d1) <= bound)
    assert np.all(_rel_err(d2, ex_d2, sc_d2) <= bound)
    assert f.deriv(0.0) == 0.5 and f.deriv2(0.0) == 1.702 / 2  # g″(0) = 2c·σ(0)·(1 − σ(0))


def _mp_funcs():
    m = mpmath
    return {
        "exp(-z**2/2)*sin(3*z) + log1p(z**2)":
            lambda x: m.exp(-x**2 / 2) * m.sin(3 * x) + m.log1p(x**2),
        "z**z": lambda x: x**x,
        "2**z - z**3 + 1/(1 + z**2)": lambda x: 2**x - x**3 + 1 / (1 + x**2),
        "atan(z)*erf(z) - sqrt(1 + z*z)": lambda x: m.atan(x) * m.erf(x) - m.sqrt(1 + x * x),
        "cosh(z)/sinh(z + 10) + tan(z/4)": lambda x: m.cosh(x) / m.sinh(x + 10) + m.tan(x / 4),
        "expm1(z)/z - log(z)": lambda x: m.expm1(x) / x - m.log(x),
        "erfc(z)*cos(z) + min(z, 2) - max(z**2, 1)":
            lambda x: m.erfc(x) * m.cos(x) + min(x, 2) - max(x**2, 1),
        "e**(z/3)*pi + abs(z - 5)": lambda x: m.exp(x / 3) * m.pi + abs(x - 5),
        "tanh(z)**2*sigmoid(z) - (z + 1)**-0.5":
            lambda x: m.tanh(x)**2 / (1 + m.exp(-x)) - (x + 1) ** mpf(-0.5),
    }


@pytest.mark.parametrize("text", list(_mp_funcs()))
def test_derivatives_against_mpmath_diff(text):
    """g, g′, g″ at 23 points of (0.1, 4.5) (away from every kink of min/max/abs) against
    mpmath's own differentiation of the same function written in mpmath, to 1e-11 relative
    (points where the exact value is below 1e-6 are roots: measured absolutely)."""
    fn = _mp_funcs()[text]
    zs = np.linspace(0.13, 4.43, 23)
    zs = zs[(np.abs(zs - 1) > 0.05) & (np.abs(zs - 2) > 0.05) & (np.abs(zs - 5) > 0.05)]
    got = parse(text).jets(zs, 2)
    for order in range(3):
        exact = [mpmath.diff(fn, mpf(float(x)), order) for x in zs]
        err = _rel_err(got[order], exact, [max(abs(e), mpf(1e-6)) for e in exact])
        assert err.max() <= 1e-11, (order, zs[err.argmax()], err.max())


def test_sigmoid_and_tanh_second_derivatives_to_a_few_ulp():
    """σ″ = σ(1 − σ)(1 − 2σ) and tanh″ = −2 tanh sech² (written here with e = e^−|z|, free
    of cancellation), inside expressions, within 4 ULP from z = −700 to 700 (both tails
    included, their values down to 1e-304)."""
    zs = np.concatenate([np.linspace(-700, 700, 141), np.linspace(-3, 3, 61),
                         [1e-300, -1e-300, 1e-10]])
    sig, th = [], []
    for x in zs:
        x = mpf(float(x))
        t = mpmath.exp(-abs(x))
        s1 = t / (1 + t) ** 2  # σ′
        sig.append(mpmath.sign(x) * s1 * mpmath.expm1(-abs(x)) / (1 + t))  # σ′·(1 − 2σ)
        th.append(-2 * mpmath.tanh(x) / mpmath.cosh(x) ** 2)
    assert ref.ulp_error(parse("sigmoid(z)").deriv2(zs), sig).max() <= 4
    assert ref.ulp_error(parse("tanh(z)").deriv2(zs), th).max() <= 4


def test_erf_and_erfc_derivatives_keep_their_tails():
    """erf′ = 2/√π·e^(−z²) from the exact z², within 2 ULP out to where it underflows."""
    zs = np.append(np.linspace(0.3, 26.6, 97) * np.array([1, -1] * 48 + [1]), [27.2, -27.2])
    exact = [2 / mpmath.sqrt(mpmath.pi) * mpmath.exp(-mpf(float(x)) ** 2) for x in zs]
    assert ref.ulp_error(parse("erf(z)").deriv(zs), exact).max() <= 2
    assert ref.ulp_error(parse("erfc(z)").deriv(zs), [-x for x in exact]).max() <= 2


def test_mish_written_out_agrees_with_the_catalogue_mish():
    """z*tanh(softplus(z)) is mish: g within 3 ULP of the exact value and of the registry's
    mish (4 ULP) wherever the result is a normal number (below that, softplus(z) ≈ e^z is
    itself subnormal and the product keeps its few bits); g′ within 8ε of the scale
    |tanh(sp)| + |z·σ·sech²(sp)| (it cancels around its root z ≈ −1.19)."""
    zs = np.concatenate([np.linspace(-40, 40, 321), -np.logspace(-300, 2.6, 40),
                         np.logspace(-300, 2.6, 40)])
    f, mish = parse("z*tanh(softplus(z))"), actgrad.get("mish")
    exact, ex_d, sc_d = [], [], []
    for x in zs:
        x = mpf(float(x))
        sp = mpmath.log1p(mpmath.exp(x))
        s = 1 / (1 + mpmath.exp(-x))
        exact.append(x * mpmath.tanh(sp))
        ex_d.append(mpmath.tanh(sp) + x * s / mpmath.cosh(sp) ** 2)
        sc_d.append(abs(mpmath.tanh(sp)) + abs(x * s / mpmath.cosh(sp) ** 2))
    normal = np.array([abs(e) > mpf(2) ** -1022 for e in exact])
    g = f(zs)
    assert ref.ulp_error(g, exact)[normal].max() <= 3
    assert ref.ulp_error(g, [mpf(float(v)) for v in mish(zs)])[normal].max() <= 4
    assert _rel_err(f.deriv(zs), ex_d, sc_d).max() <= 8 * EPS
    ulp_d = ref.ulp_error(f.deriv(zs), ex_d)
    assert ulp_d[np.abs(zs) >= 5].max() <= 4


def test_exact_values_in_mpmath():
    f = parse("z*sigmoid(1.702*z) + pi*e**z")
    x = mpf(0.75)
    want = x / (1 + mpmath.exp(-mpf(1.702) * x)) + mpmath.pi * mpmath.exp(x)
    assert abs(f.exact(0.75) - want) < mpf(10) ** -45


# ---------------------------------------------------------------------------------------
# kinks

KINDS = ("pytorch", "jax", "left", "right", "mean")


@pytest.mark.parametrize("text,z,slopes", [
    # slopes: pytorch, jax, left, right, mean (left/right: one-sided derivatives of g at z)
    ("relu(z)", 0.0, (0, 0, 0, 1, 0.5)),
    ("relu(-z)", 0.0, (0, 0, -1, 0, -0.5)),  # the frameworks chain relu′(0) = 0
    ("relu(z - 1)", 1.0, (0, 0, 0, 1, 0.5)),
    ("2*leaky_relu(3*z, negative_slope=0.5)", 0.0, (3, 6, 3, 6, 4.5)),
    ("abs(z)", 0.0, (0, 1, -1, 1, 0)),  # torch sgn(0) = 0; jax select(x >= 0, g, -g)
    ("abs(-z)", 0.0, (0, -1, -1, 1, 0)),
    ("abs(z**2 - 1)", 1.0, (0, 2, -2, 2, 0)),
    ("max(z, 0)", 0.0, (0.5, 0.5, 0, 1, 0.5)),  # both frameworks: half to each at a tie
    ("max(0, z)", 0.0, (0.5, 0.5, 0, 1, 0.5)),
    ("min(z, 0)", 0.0, (0.5, 0.5, 1, 0, 0.5)),
    ("max(z, 2*z)", 0.0, (1.5, 1.5, 1, 2, 1.5)),
    ("max(z, -z)", 0.0, (0, 0, -1, 1, 0)),  # = abs(z): the same one-sided derivatives
    ("relu(abs(z))", 0.0, (0, 0, -1, 1, 0)),  # = abs(z), two kinks at the same z
])
def test_kink_conventions(text, z, slopes):
    f = parse(text)
    for kind, want in zip(KINDS, slopes):
        assert f.deriv(z, kink=kind) == want, kind
    assert f.at_kink(z)
    h = 1e-7  # away from the kink the conventions agree and left/right are the limits
    left, right = f.deriv(z - h), f.deriv(z + h)
    assert abs(left - f.deriv(z, kink="left")) < 1e-5
    assert abs(right - f.deriv(z, kink="right")) < 1e-5
    assert all(f.deriv(z + h, kink=k) == right for k in KINDS)


def test_one_sided_second_derivatives_at_a_tie():
    f = parse("max(z**2, z)")  # z² for z < 0 (g″ = 2), z on (0, 1) (g″ = 0)
    assert [f.deriv(0.0, kink=k) for k in KINDS] == [0.5, 0.5, 0.0, 1.0, 0.5]
    assert [f.deriv2(0.0, kink=k) for k in KINDS] == [1.0, 1.0, 2.0, 0.0, 1.0]
    f = parse("abs(z**3 - z**2)")  # touches 0 at z = 0 with u′ = 0, u″ = −2: g = z² − z³
    assert [f.deriv2(0.0, kink=k) for k in KINDS] == [0.0, -2.0, 2.0, 2.0, 2.0]


def test_catalogue_kink_matches_the_registry():
    for name in ("relu", "leaky_relu", "relu6", "hard_tanh", "threshold"):
        act = actgrad.get(name)
        f = parse(f"{name}(z)")
        pts = np.array([k.at for k in act.kinks])
        for kind in ("pytorch", "jax", "left", "right", "mean"):
            assert np.array_equal(f.deriv(pts, kink=kind), act.deriv(pts, kink=kind)), name
        assert f.at_kink(pts).all()


KINKS2 = [name for name in actgrad.names() if actgrad.get(name).kinks2]


@pytest.mark.parametrize("name", KINKS2)
def test_second_derivative_at_a_jump_of_g2_follows_the_kink_convention(name):
    # at a jump of a catalogue call's g″ (elu at 0: g″ goes from 1 to 0) the expression's g″
    # takes the convention as the catalogue's own g″ does (Activation.kinks2), not PyTorch's
    # value whatever --kink says; through −z the one-sided sides swap, through 2z g″ scales
    # by 4, and the frameworks keep their own primitive's value
    act = actgrad.get(name)
    swap = {"left": "right", "right": "left"}
    for k in act.kinks2:
        at = np.float64(k.at)
        for kind in ("pytorch", "jax", "left", "right", "mean"):
            want = act.deriv(at, kink=kind, order=2)
            assert parse(f"{name}(z)").deriv(at, kink=kind, order=2) == want, (name, kind)
            assert parse(f"{name}(-z)").deriv(-at, kink=swap.get(kind, kind), order=2) == want
            assert parse(f"{name}(2*z)").deriv(at / 2, kink=kind, order=2) == 4 * want
        assert parse(f"{name}(z)").at_kink(at, order=2)
    assert len({act.deriv(np.float64(k.at), kink=c, order=2)
                for k in act.kinks2 for c in ("left", "right")}) > 1  # the test can fail


def test_kink_masks_and_sites():
    f = parse("relu(z - 1) + abs(z + 2) + max(z, 3)")
    assert list(f.at_kink([1.0, -2.0, 3.0, 0.0, np.nan])) == [True, True, True, False, False]
    near = f.near_kink(np.array([0.95, 1.2, -2.05, 2.99, 0.0]), 0.1)
    assert list(near) == [True, False, True, True, False]
    sites = f.describe()["kinks"]
    assert [(s["primitive"], s["arguments"], s["at"]) for s in sites] == [
        ("relu", ("z - 1",), 0.0), ("abs", ("z + 2",), 0.0), ("max", ("z", "3"), None)]
    assert sites[1]["pytorch"] == "mean" and sites[1]["jax"] == "right"
    assert parse("abs(2) + z").kink_sites == ()  # a constant argument never moves


@pytest.mark.parametrize("text,z,exact", [
    ("relu(z - 1)", 1.0, True), ("relu(2 - z/3)", 6.0, True), ("abs(-z)", 0.0, True),
    ("leaky_relu(4*z + 1)", -0.25, True), ("max(z, 3)", 3.0, True),
    ("max(z, 1 - z/2)", 2 / 3, False),  # z = 2/3 is between floats: no exact tie
    ("relu(z**2 - 1)", None, False), ("min(2*z, 2*z)", None, False),  # not affine; no place
])
def test_kink_places_of_affine_arguments(text, z, exact):
    f = parse(text)
    (site,) = f.kink_sites
    assert site.z == z and site.z_exact is exact
    if z is not None:
        assert bool(f.at_kink(z)) is exact
        assert f.near_kink(z, 1e-12)


# ---------------------------------------------------------------------------------------
# interface, shapes, warnings

def test_shapes_dtypes_scalars_and_nan():
    f = parse("z*sigmoid(z)")
    assert isinstance(f(1.0), float) and isinstance(f.deriv(1), float)
    z = np.linspace(-3, 3, 12).reshape(3, 4)
    for fn in (f, f.deriv, f.deriv2):
        assert fn(z).shape == (3, 4)
    assert f(np.float32(1.5)).dtype == np.float32
    assert f.deriv(np.zeros((2, 0))).shape == (2, 0)
    assert np.isnan(parse("0*z").deriv(np.nan)) and np.isnan(parse("3").deriv2(np.nan))
    assert parse("3").deriv(np.array([1.0, 2.0])).tolist() == [0.0, 0.0]
    assert np.isnan(parse("log(z)").deriv(-2.0))  # outside the domain of g: no g′ either
    big = np.linspace(-1, 1, 200_001)  # several blocks of 64K
    assert np.array_equal(f.deriv(big), np.concatenate(
        [f.deriv(big[:70_000]), f.deriv(big[70_000:])]))


@pytest.mark.parametrize("text", ["log(z)", "sqrt(z)", "1/z", "z**z", "(-2)**z", "0**z",
                                  "exp(z)*exp(-z)", "z**-3", "tan(z)", "atan(z)",
                                  "expm1(z)/z", "max(log(z), 0)", "abs(z)", "sinh(z)/cosh(z)",
                                  "erfc(z)/erf(z)", "z*sigmoid(z)", "log1p(z)"])
def test_no_runtime_warnings_anywhere(text):
    z = np.array([-np.inf, -1e308, -2.0, -1.0, -0.0, 0.0, 5e-324, 1.0, 1e308, np.inf, np.nan])
    f = parse(text)
    with np.errstate(all="raise"):  # pytest turns any warning into an error as well
        g, d1, d2 = f.jets(z, 2)
    assert g.shape == d1.shape == d2.shape == z.shape


def test_second_derivative_of_catalogue_calls_is_the_catalogues():
    # every catalogue function has g″ now (actgrad/activations/second.py), so expressions
    # calling any of them have g″; a lone call gives exactly the catalogue's g″
    f = parse("z*relu(z)")
    assert f.second_unavailable() is None
    assert f.deriv2(np.array([-1.0, 1.0])).tolist() == [0.0, 2.0]  # 2·relu′ + z·relu″
    assert f.deriv(2.0) == 4.0
    assert parse("z + relu(2)").deriv2(1.0) == 0.0
    z = np.array([-40.0, -2.3993572805154675, -1.0, 0.5, 40.41])
    for name in ("silu", "mish", "gelu", "softsign", "elu"):
        assert np.array_equal(parse(f"{name}(z)").deriv2(z), actgrad.get(name).deriv(z, order=2))


def test_describe_is_structured():
    d = parse("z*sigmoid(1.702*z)").describe()
    assert d["expression"] == "z*sigmoid(1.702*z)"
    inner_product = ("product", (("*", ("number", 1.702, "1.702")), ("*", ("z",))))
    assert d["tree"] == ("product", (("*", ("z",)),
                                     ("*", ("call", "sigmoid", (), inner_product))))
    rule = d["derivative"]
    assert rule["rule"] == "product"
    assert [p["rule"] for p in rule["parts"]] == ["variable", "chain"]
    inner = rule["parts"][1]
    assert inner["function"] == "sigmoid" and inner["catalogue"] is True
    assert [p["rule"] for p in inner["parts"][0]["parts"]] == ["constant", "variable"]
    assert d["kinks"] == [] and d["second_derivative"] is None
    rules = {t: parse(t).describe()["derivative"]["rule"] for t in
             ("z**3", "2**z", "z**z", "z/2", "-z", "z + 1", "max(z, 1)", "7")}
    assert rules == {"z**3": "power", "2**z": "exponential", "z**z": "general_power",
                     "z/2": "quotient", "-z": "negation", "z + 1": "sum",
                     "max(z, 1)": "min_max", "7": "constant"}
