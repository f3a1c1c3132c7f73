"""Framework profiles (actgrad/profiles.py, --like): defaults and kink values against the
facts docs/profiles.md records from the frameworks' sources and measurements (MLX 0.32.4,
tinygrad 0.14.0 measured in float32 autograd; PyTorch 2.13.0, JAX 0.10.2), written here as
those facts, never read back from the profile tables."""

from __future__ import annotations

import json
import math

import mpmath
import numpy as np
import pytest

import actgrad
from actgrad import profiles
from actgrad.registry import spec
from conftest import fail, ok

FRAMEWORKS = ("pytorch", "jax", "keras", "tensorflow", "mlx", "tinygrad")

# selu's constants: PyTorch and JAX to 32 digits, MLX and tinygrad to 6 and 5
with mpmath.workdps(50):
    LAM, ALPHA = mpmath.mpf("1.0507009873554804934193349852946"), \
        mpmath.mpf("1.6732632423543772848170429916717")
    LAM_T, ALPHA_T = mpmath.mpf(1.0507), mpmath.mpf(1.67326)  # the floats the frameworks hold
    LAM_ALPHA, LAM_ALPHA_T = float(LAM * ALPHA), float(LAM_T * ALPHA_T)


def d(name, z, like, **params):
    return float(actgrad.get(name, like=like, **params).deriv(np.float64(z)))


# -- kink values: (function, z) -> g′ each framework's autograd returns there ------------------

KINK_FACTS = {
    # PyTorch 2.13.0 and JAX 0.10.2 (docs/frameworks.md's kink table)
    "pytorch": {("relu", 0): 0.0, ("leaky_relu", 0): 0.01, ("relu6", 6): 0.0,
                ("hard_tanh", -1): 0.0, ("hard_tanh", 1): 0.0, ("hard_swish", -3): 0.0,
                ("hard_swish", 3): 1.0, ("selu", 0): LAM_ALPHA},
    "jax": {("relu", 0): 0.0, ("leaky_relu", 0): 1.0, ("relu6", 6): 0.0,
            ("hard_tanh", -1): 1.0, ("hard_tanh", 1): 1.0, ("hard_swish", -3): 0.0,
            ("hard_swish", 3): 1.0},
    # measured: MLX 0.32.4
    "mlx": {("relu", 0): 0.0, ("leaky_relu", 0): 1.0, ("relu6", 6): 0.0,
            ("hard_tanh", -1): 0.0, ("hard_tanh", 1): 0.0, ("hard_swish", -3): 0.0,
            ("hard_swish", 3): 1.0, ("selu", 0): LAM_ALPHA_T},
    # measured (benchmarks/frameworks_keras_tf.py, float64): Keras 3.15.1 on TensorFlow,
    # TensorFlow 2.21.0
    "keras": {("relu", 0): 0.0, ("leaky_relu", 0): 0.2, ("relu6", 0): 0.0, ("relu6", 6): 0.0,
              ("hard_sigmoid", -3): 0.0, ("hard_sigmoid", 3): 0.0, ("hard_swish", -3): 0.0,
              ("hard_swish", 3): 1.0, ("hard_tanh", -1): 1.0, ("hard_tanh", 1): 1.0,
              ("softshrink", -0.5): 0.0, ("softshrink", 0.5): 0.0, ("hardshrink", -0.5): 0.0,
              ("hardshrink", 0.5): 0.0, ("threshold", 0): 0.0, ("sparse_sigmoid", -1): 0.0,
              ("sparse_sigmoid", 1): 0.0, ("selu", 0): float(LAM)},
    "tensorflow": {("relu", 0): 0.0, ("leaky_relu", 0): 0.2, ("relu6", 0): 0.0,
                   ("relu6", 6): 0.0, ("selu", 0): float(LAM)},
    # measured: tinygrad 0.14.0
    "tinygrad": {("relu", 0): 0.0, ("leaky_relu", 0): 1.0, ("relu6", 6): 1.0,
                 ("hard_tanh", -1): 1.0, ("hard_tanh", 1): 1.0, ("hard_sigmoid", -3): 0.0,
                 ("hard_sigmoid", 3): 0.0, ("hard_swish", -3): 0.0, ("hard_swish", 3): 1.5,
                 ("selu", 0): 1.0507},
}


@pytest.mark.parametrize("like", sorted(KINK_FACTS))
def test_kink_values_are_the_frameworks(like):
    for (name, z), want in KINK_FACTS[like].items():
        assert d(name, z, like) == want, (like, name, z)


def test_kink_values_also_in_float32_and_exactly():
    f = actgrad.get("hard_swish", like="tinygrad")
    assert f.deriv(np.float32(3)) == np.float32(1.5)
    assert ok("deriv", "hard_swish", "3", "-3", "--like", "tinygrad", "--digits", "5") \
        == "1.5000\n0.0\n"
    g = actgrad.get("selu", like="tinygrad")
    assert ok("deriv", "selu", "0", "--like", "tinygrad", "--exact") == "1.0507\n"
    assert g.deriv(np.float32(0)) == np.float32(1.0507)


def test_unmeasured_kinks_follow_pytorchs_rule():
    # tinygrad's relu6 at 0 is not recorded: PyTorch takes the left slope, 0; tf.nn has no
    # hard_tanh: the tensorflow profile takes PyTorch's side there (0), not Keras' (1)
    assert d("relu6", 0, "tinygrad") == 0.0
    assert d("hard_tanh", 1, "tensorflow") == 0.0
    # elu with alpha != 1: Keras measured (alpha = 0.5) the left side, PyTorch's rule too
    assert d("elu", 0, "keras", alpha=0.5) == 0.5


def test_kink_option_overrides_the_profile():
    assert d("leaky_relu", 0, "tinygrad") == 1.0
    f = actgrad.get("leaky_relu", like="tinygrad")
    assert float(f.deriv(0.0, kink="left")) == 0.01
    assert float(f.deriv(0.0, kink="pytorch")) == 0.01
    assert ok("deriv", "leaky_relu", "0", "--like", "tinygrad") == "1.0\n"
    assert ok("deriv", "leaky_relu", "0", "--like", "tinygrad", "--kink", "pytorch") == "0.01\n"
    assert ok("deriv", "leaky_relu", "0", "--like", "keras", "--kink", "right") == "1.0\n"


def test_defects_are_not_copied():
    # tinygrad's elu′(0) = 0 and MLX's celu′(0) = 0 are wrong: g′(0) = 1 for both
    assert d("elu", 0, "tinygrad") == 1.0
    assert d("celu", 0, "mlx") == 1.0
    assert d("celu", 0, "keras") == 1.0  # Keras 3.15.1 (TensorFlow backend) returns 2
    assert actgrad.get("celu", like="keras").defects()
    assert d("hard_sigmoid", 2.5, "tinygrad", alpha=0.2) == 0.0  # tinygrad's float64: 0.2
    assert actgrad.get("elu", like="tinygrad").defects()
    assert actgrad.get("celu", like="mlx").defects()
    assert not actgrad.get("elu", like="tinygrad", alpha=2.0).defects()  # measured at α = 1
    assert not actgrad.get("elu", like="mlx").defects()
    text = ok("explain", "elu", "--like", "tinygrad", "-f", "plain", env={"COLUMNS": "80"})
    assert "defect, not a convention" in text and "elu′(0) = 0" in text


# -- defaults --------------------------------------------------------------------------------

def test_leaky_relu_slope():
    want = {"pytorch": 0.01, "jax": 0.01, "mlx": 0.01, "tinygrad": 0.01,
            "keras": 0.2, "tensorflow": 0.2}
    for like, s in want.items():
        assert float(actgrad.get("leaky_relu", like=like)(-1.0)) == -s, like
    # explicit parameters override the profile (keras.layers.LeakyReLU's 0.3)
    assert float(actgrad.get("leaky_relu", like="keras", negative_slope=0.3)(-1.0)) == -0.3
    assert ok("eval", "leaky_relu", "-1", "--like", "keras", "-p", "negative_slope=0.3") \
        == "-0.3\n"


def test_gelu_form():
    with mpmath.workdps(50):
        exact = float(mpmath.mpf(1) / 2 * (1 + mpmath.erf(1 / mpmath.sqrt(2))))
        c = mpmath.sqrt(2 / mpmath.pi)
        tanh_form = float((1 + mpmath.tanh(c * (1 + mpmath.mpf("0.044715")))) / 2)
    want = {"pytorch": exact, "tensorflow": exact, "keras": exact, "mlx": exact,
            "jax": tanh_form, "tinygrad": tanh_form}
    for like, v in want.items():
        got = float(actgrad.get("gelu", like=like)(1.0))
        assert abs(got - v) <= 4 * math.ulp(v), (like, got, v)
    assert abs(exact - tanh_form) > 1e-5  # the two forms are told apart


def test_softplus_threshold_in_pytorch_only():
    # PyTorch: z itself above β·z > 20; the others: log(1 + e^z) = 30.5 + 5.6e-14
    assert float(actgrad.get("softplus", like="pytorch")(30.5)) == 30.5
    with mpmath.workdps(50):
        true = float(mpmath.log1p(mpmath.exp(mpmath.mpf(30.5))))
    assert true != 30.5
    for like in ("jax", "mlx", "tinygrad", "keras", "tensorflow"):
        assert float(actgrad.get("softplus", like=like)(30.5)) == true, like


def test_selu_constants():
    with mpmath.workdps(50):
        full = float(LAM * ALPHA * mpmath.expm1(-1))
        short = float(LAM_T * ALPHA_T * mpmath.expm1(-1))
    for like in ("pytorch", "jax"):
        assert float(actgrad.get("selu", like=like)(-1.0)) == full
    for like in ("mlx", "tinygrad"):
        assert float(actgrad.get("selu", like=like)(-1.0)) == short
    # MLX's selu(−1) measured in float32: −1.1113275 (exact constants: −1.1113307)
    assert actgrad.get("selu", like="mlx")(np.float32(-1)) == np.float32(-1.1113275)
    assert actgrad.get("selu")(np.float32(-1)) == np.float32(-1.1113307)
    # the default float stands for the 32-digit constant: selu's defaults are today's
    assert actgrad.get("selu") == actgrad.get("selu", alpha=1.6732632423543772,
                                               scale=1.0507009873554805)
    assert float(actgrad.get("selu").deriv(0.0)) == LAM_ALPHA


def test_prelu_initial_weight():
    want = {"pytorch": 0.25, "mlx": 0.25, "jax": 0.01, "keras": 0.0}
    for like, w in want.items():
        assert float(actgrad.get("prelu", like=like)(-1.0)) == -w, like


def test_the_tables_name_real_parameters_and_kinks():
    for line in profiles.DEFAULTS:
        names = {p.name for p in spec(line.function).params}
        assert {k for k, _ in line.params} <= names, line
    for rule in profiles.KINKS:  # a rule matching no kink would silently never apply
        f = actgrad.get(rule.function)
        at = f.params[rule.at] if isinstance(rule.at, str) else rule.at
        assert any(k.at == at for k in f.kinks), rule
    assert set(profiles.NAMES) == set(FRAMEWORKS)
    assert set(profiles.SHIPS) <= set(actgrad.names())
    for p in profiles.PROFILES:
        assert p.version and p.source


def test_unknown_framework():
    with pytest.raises(ValueError, match="did you mean 'pytorch'"):
        actgrad.get("relu", like="pytroch")


# -- the command line ------------------------------------------------------------------------

@pytest.mark.parametrize("argv", [
    ("eval", "relu", "1"), ("deriv", "relu", "1"), ("table", "relu"), ("check", "relu"),
    ("plot", "relu"), ("explain", "relu"), ("list",)])
def test_bad_like_is_one_line_with_a_suggestion(argv):
    line = fail(*argv, "--like", "pytroch")
    assert "--like" in line and "'pytroch'" in line and "did you mean 'pytorch'" in line


def test_like_with_an_expression_is_refused():
    line = fail("deriv", "z*tanh(z)", "1", "--like", "jax")
    assert "--like" in line


def test_like_on_table_check_plot():
    out = ok("table", "relu6", "6", "--like", "tinygrad", "-f", "csv")
    row = out.splitlines()[1].split(",")
    assert row[1] == "6.0" and row[3] == "1.0"  # g′(6) = 1 in tinygrad
    ok("check", "selu", "leaky_relu", "--like", "mlx")
    ok("plot", "hard_tanh", "--like", "tinygrad", "--width", "60", "--height", "20")


def test_list_like_shows_what_changes_in_80_columns():
    for like in FRAMEWORKS:
        out = ok("list", "--like", like, env={"COLUMNS": "80"})
        assert max(len(line) for line in out.splitlines()) <= 80, like
    keras = ok("list", "--like", "keras", env={"COLUMNS": "80"})
    assert "negative_slope" in keras and "0.2" in keras and "not in keras: rrelu" in keras
    rows = json.loads(ok("list", "--like", "tinygrad", "-f", "json"))
    got = {(r["name"], r["change"]): r["framework"] for r in rows}
    assert got[("relu6", "g′(6)")] == "1"
    assert got[("hard_swish", "g′(3)")] == "1.5"
    assert got[("gelu", "approximate")] == "tanh"
    assert got[("selu", "scale")] == "1.0507"
    assert got[("prelu", "not shipped")] == "—"
    assert ("relu", "g′(0)") not in got  # 0 as in PyTorch: nothing changes
    assert fail("list", "--like", "jax", "--wide").startswith("actgrad: --wide")


def test_selu_with_other_constants_within_4_ulp():
    f = actgrad.get("selu", like="tinygrad")
    for z in (-700.0, -30.0, -1.0, -1e-5, -5e-324, 1e-300, 1e-5, 2.0, 1e300, 1.7e308):
        with mpmath.workdps(60):
            x = mpmath.mpf(z)
            g = LAM_T * x if z > 0 else LAM_T * ALPHA_T * mpmath.expm1(x)
            dg = LAM_T if z > 0 else LAM_T * ALPHA_T * mpmath.exp(x)
            g, dg = float(g), float(dg)
        for got, want in ((float(f(z)), g), (float(f.deriv(z)), dg)):
            assert got == want or abs(got - want) <= 4 * math.ulp(want), (z, got, want)
        if z > -2:  # (further left a + λ·α cancels: g′ from a is only as precise as a)
            assert float(f.deriv_from_output(f(z))) == pytest.approx(dg, rel=1e-12)
