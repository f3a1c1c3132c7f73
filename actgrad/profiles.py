"""Framework profiles: what each framework's own activation functions default to, and what
its autograd returns at the kinks.

``actgrad.get("leaky_relu", like="keras")`` binds Keras's defaults (negative_slope 0.2),
explicit parameters still override, and ``deriv`` at a kink then returns what that
framework's autograd returns there (where that was measured; elsewhere PyTorch's rule,
``FALLBACK``). The facts, with their sources, are in docs/profiles.md; each is one line
of the tables below (``DEFAULTS``, ``KINKS``, ``DEFECTS``), so a new function or framework
is a line, not code. A profile never reproduces a framework's *error* at a point where g is
differentiable (tinygrad's elu′(0) = 0): those are ``DEFECTS``, reported by explain and
by ``defects``, while actgrad's value stays the true one.

The kink conventions of pytorch and jax are the catalogue's own (``Kink.pytorch``,
``Kink.jax``); those of the other profiles are the conventions named like them
(``activations.base.FRAMEWORK_CONVENTIONS``): a kink of ``KINKS`` takes the side recorded
there, any other kink PyTorch's side.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .activations.base import FRAMEWORK_CONVENTIONS, suggest


@dataclass(frozen=True)
class Profile:
    """One framework as a profile: its name on the command line, what it is, where its
    facts come from, and the kink convention its derivatives take."""

    name: str  # --like NAME
    title: str  # the framework and its API, as the docs name it
    version: str  # the version its facts were read or measured in
    source: str  # where in its code the definitions are
    convention: str  # the kink convention of deriv for an Activation made with like=name


PROFILES: tuple[Profile, ...] = (
    Profile("pytorch", "PyTorch (torch.nn.functional)", "2.13.0",
            "pytorch/pytorch torch/nn/functional.py, tools/autograd/derivatives.yaml",
            "pytorch"),
    Profile("jax", "JAX (jax.nn; prelu: Flax's PReLU)", "0.10.2",
            "jax-ml/jax jax/_src/nn/functions.py; google/flax flax/linen/activation.py",
            "jax"),
    Profile("keras", "Keras 3 (keras.activations; prelu: keras.layers.PReLU)",
            "3.15.1 (TensorFlow backend)",
            "keras-team/keras keras/src/activations/activations.py", "keras"),
    Profile("tensorflow", "TensorFlow (tf.nn)", "2.21.0",
            "tensorflow/tensorflow tensorflow/python/ops/nn_ops.py", "tensorflow"),
    Profile("mlx", "MLX (mlx.nn)", "0.32.4",
            "ml-explore/mlx python/mlx/nn/layers/activations.py, mlx/primitives.cpp", "mlx"),
    Profile("tinygrad", "tinygrad (Tensor methods)", "0.14.0",
            "tinygrad/tinygrad tinygrad/tensor.py", "tinygrad"),
)

#: the profiles by name
BY_NAME: dict[str, Profile] = {p.name: p for p in PROFILES}
NAMES: tuple[str, ...] = tuple(BY_NAME)

#: the convention a profile's kinks follow where KINKS records nothing
FALLBACK = "pytorch"


@dataclass(frozen=True)
class Default:
    """A framework's default for a catalogue function's parameters (only those the
    framework has; the others keep the catalogue's)."""

    framework: str
    function: str
    params: tuple[tuple[str, Any], ...]
    note: str


def _d(framework: str, function: str, note: str, **params: Any) -> Default:
    return Default(framework, function, tuple(params.items()), note)


#: selu's constants to 32 digits (PyTorch, JAX): the catalogue's default
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946

#: one line per framework and function (docs/profiles.md gives the sources)
DEFAULTS: tuple[Default, ...] = (
    # leaky_relu's slope below 0
    _d("pytorch", "leaky_relu", "F.leaky_relu(negative_slope=0.01)", negative_slope=0.01),
    _d("jax", "leaky_relu", "jax.nn.leaky_relu(negative_slope=0.01)", negative_slope=0.01),
    _d("keras", "leaky_relu", "keras.activations.leaky_relu(negative_slope=0.2);"
       " keras.layers.LeakyReLU has 0.3", negative_slope=0.2),
    _d("tensorflow", "leaky_relu", "tf.nn.leaky_relu(alpha=0.2)", negative_slope=0.2),
    _d("mlx", "leaky_relu", "nn.leaky_relu(negative_slope=0.01)", negative_slope=0.01),
    _d("tinygrad", "leaky_relu", "Tensor.leaky_relu(neg_slope=0.01)", negative_slope=0.01),
    # gelu: exact or the tanh approximation
    _d("pytorch", "gelu", "F.gelu(approximate='none')", approximate="none"),
    _d("jax", "gelu", "jax.nn.gelu(approximate=True)", approximate="tanh"),
    _d("keras", "gelu", "keras.activations.gelu(approximate=False);"
       " keras.ops.gelu has True", approximate="none"),
    _d("tensorflow", "gelu", "tf.nn.gelu(approximate=False)", approximate="none"),
    _d("mlx", "gelu", "nn.gelu (erf); nn.gelu_approx is the tanh form", approximate="none"),
    _d("tinygrad", "gelu", "Tensor.gelu: the tanh form", approximate="tanh"),
    # softplus: PyTorch alone is linear above threshold 20
    _d("pytorch", "softplus", "F.softplus(beta=1, threshold=20)", beta=1.0, threshold=20.0),
    _d("jax", "softplus", "jax.nn.softplus: no threshold", beta=1.0, threshold=float("inf")),
    _d("mlx", "softplus", "nn.softplus: no threshold", beta=1.0, threshold=float("inf")),
    _d("tinygrad", "softplus", "Tensor.softplus(beta=1): no threshold", beta=1.0,
       threshold=float("inf")),
    # selu: MLX and tinygrad write the constants to 6 and 5 digits
    _d("pytorch", "selu", "32-digit constants", alpha=_SELU_ALPHA, scale=_SELU_SCALE),
    _d("jax", "selu", "32-digit constants", alpha=_SELU_ALPHA, scale=_SELU_SCALE),
    _d("mlx", "selu", "nn.selu: 1.67326, 1.0507", alpha=1.67326, scale=1.0507),
    _d("tinygrad", "selu", "Tensor.selu(alpha=1.67326, gamma=1.0507)", alpha=1.67326,
       scale=1.0507),
    # prelu's initial weight (a layer's learned slope)
    _d("pytorch", "prelu", "nn.PReLU(init=0.25)", weight=0.25),
    _d("jax", "prelu", "flax.linen.PReLU(negative_slope_init=0.01)", weight=0.01),
    _d("keras", "prelu", "keras.layers.PReLU(alpha_initializer='zeros')", weight=0.0),
    _d("mlx", "prelu", "nn.PReLU(init=0.25)", weight=0.25),
)


@dataclass(frozen=True)
class KinkRule:
    """The side a framework's autograd takes at one kink of a catalogue function: the kink
    at ``at`` (a number, or the name of the parameter that places it), side "left" or
    "right"; ``fact`` is the measured value as recorded."""

    framework: str
    function: str
    at: float | str
    side: str
    fact: str


#: measured in float32 autograd (docs/profiles.md): MLX 0.32.4, tinygrad 0.14.0; in float64
#: tf.GradientTape (benchmarks/frameworks_keras_tf.py): Keras 3.15.1 on its TensorFlow
#: backend, TensorFlow 2.21.0
KINKS: tuple[KinkRule, ...] = (
    KinkRule("keras", "relu", 0.0, "left", "relu′(0) = 0"),
    KinkRule("keras", "leaky_relu", 0.0, "left", "leaky_relu′(0) = negative_slope"),
    KinkRule("keras", "relu6", 0.0, "left", "relu6′(0) = 0"),
    KinkRule("keras", "relu6", 6.0, "right", "relu6′(6) = 0"),
    KinkRule("keras", "hard_sigmoid", -3.0, "left", "hard_sigmoid′(−3) = 0"),
    KinkRule("keras", "hard_sigmoid", 3.0, "right", "hard_sigmoid′(3) = 0"),
    KinkRule("keras", "hard_swish", -3.0, "left", "hard_silu′(−3) = 0"),
    KinkRule("keras", "hard_swish", 3.0, "right", "hard_silu′(3) = 1"),
    KinkRule("keras", "hard_tanh", "min_val", "right", "hard_tanh′(−1) = 1"),
    KinkRule("keras", "hard_tanh", "max_val", "left", "hard_tanh′(1) = 1"),
    KinkRule("keras", "softshrink", -0.5, "right", "soft_shrink′(−0.5) = 0"),
    KinkRule("keras", "softshrink", 0.5, "left", "soft_shrink′(0.5) = 0"),
    KinkRule("keras", "hardshrink", -0.5, "right", "hard_shrink′(−0.5) = 0"),
    KinkRule("keras", "hardshrink", 0.5, "left", "hard_shrink′(0.5) = 0"),
    KinkRule("keras", "threshold", "threshold", "left", "threshold′(0) = 0"),
    KinkRule("keras", "sparse_sigmoid", -1.0, "left", "sparse_sigmoid′(−1) = 0"),
    KinkRule("keras", "sparse_sigmoid", 1.0, "right", "sparse_sigmoid′(1) = 0"),
    KinkRule("keras", "selu", 0.0, "right", "selu′(0) = λ"),
    KinkRule("tensorflow", "relu", 0.0, "left", "relu′(0) = 0"),
    KinkRule("tensorflow", "leaky_relu", 0.0, "left", "leaky_relu′(0) = alpha"),
    KinkRule("tensorflow", "relu6", 0.0, "left", "relu6′(0) = 0"),
    KinkRule("tensorflow", "relu6", 6.0, "right", "relu6′(6) = 0"),
    KinkRule("tensorflow", "selu", 0.0, "right", "selu′(0) = λ"),
    KinkRule("mlx", "relu", 0.0, "left", "relu′(0) = 0"),
    KinkRule("mlx", "leaky_relu", 0.0, "right", "leaky_relu′(0) = 1"),
    KinkRule("mlx", "relu6", 6.0, "right", "relu6′(6) = 0"),
    KinkRule("mlx", "hard_tanh", "min_val", "left", "hard_tanh′(−1) = 0"),
    KinkRule("mlx", "hard_tanh", "max_val", "right", "hard_tanh′(1) = 0"),
    KinkRule("mlx", "hard_swish", -3.0, "left", "hard_swish′(−3) = 0"),
    KinkRule("mlx", "hard_swish", 3.0, "right", "hard_swish′(3) = 1"),
    KinkRule("mlx", "selu", 0.0, "left", "selu′(0) = λ·α"),
    KinkRule("tinygrad", "relu", 0.0, "left", "relu′(0) = 0"),
    KinkRule("tinygrad", "leaky_relu", 0.0, "right", "leaky_relu′(0) = 1"),
    KinkRule("tinygrad", "relu6", 6.0, "left", "relu6′(6) = 1"),
    KinkRule("tinygrad", "hard_tanh", "min_val", "right", "hard_tanh′(−1) = 1"),
    KinkRule("tinygrad", "hard_tanh", "max_val", "left", "hard_tanh′(1) = 1"),
    KinkRule("tinygrad", "hard_sigmoid", -3.0, "left", "hard_sigmoid′(−3) = 0"),
    KinkRule("tinygrad", "hard_sigmoid", 3.0, "right", "hard_sigmoid′(3) = 0"),
    KinkRule("tinygrad", "hard_swish", -3.0, "left", "hard_swish′(−3) = 0"),
    KinkRule("tinygrad", "hard_swish", 3.0, "left", "hard_swish′(3) = 1.5"),
    KinkRule("tinygrad", "selu", 0.0, "right", "selu′(0) = λ"),
)


@dataclass(frozen=True)
class Defect:
    """A framework's wrong value where g is smooth: not a convention, actgrad does not
    copy it. ``when`` names the parameters it was measured with ((), or (("alpha", 1.0),)).
    A wrong value at one point also says which: g′ (``order``) at ``at`` is ``value`` in
    that framework, while the true derivative is what ``why`` derives; ``check --values``
    names the defect where a user's values show it (auditing.py)."""

    framework: str
    function: str
    when: tuple[tuple[str, Any], ...]
    text: str
    at: float | None = None
    value: float | None = None
    order: int = 1
    why: str = ""


DEFECTS: tuple[Defect, ...] = (
    Defect("tinygrad", "elu", (("alpha", 1.0),),
           "tinygrad 0.14.0's autograd gives elu′(0) = 0; elu with alpha = 1 is"
           " differentiable at 0 with g′(0) = 1 (measured, float32)",
           at=0.0, value=0.0, why="α·e^0 = α from the left, 1 from the right, for α = 1"),
    Defect("mlx", "celu", (),
           "MLX 0.32.4's autograd gives celu′(0) = 0; celu is differentiable at 0 with"
           " g′(0) = 1 for every alpha (measured, float32)",
           at=0.0, value=0.0, why="e^(0/α) = 1 from the left, 1 from the right, for every α"),
    Defect("keras", "celu", (),
           "Keras 3.15.1's keras.activations.celu (TensorFlow backend) has celu′(0) = 2;"
           " celu is differentiable at 0 with g′(0) = 1 for every alpha (measured, float64"
           " and float32)",
           at=0.0, value=2.0, why="e^(0/α) = 1 from the left, 1 from the right, for every α"),
    Defect("tinygrad", "hard_sigmoid", (("alpha", 0.2), ("beta", 0.5)),
           "tinygrad 0.14.0's hardsigmoid(alpha=0.2) has g′(2.5) = 0.2 in float64; the exact"
           " α·2.5 + β is 1.0000000000000000278 > 1 there, on the flat piece, so g′(2.5) = 0"
           " (measured, DEV=PYTHON)",
           at=2.5, value=0.2, why="α·z + β = 1.0000000000000000278… > 1 at z = 2.5: the flat"
           " piece, where g = 1; the kink is at 2.49999999999999986…, on no float"),
    Defect("tensorflow", "leaky_relu", (),
           "TensorFlow 2.21.0's LeakyRelu holds alpha as a float32: in float64 its slope"
           " below 0 is alpha rounded to float32 (tf.nn.leaky_relu(−1) ="
           " −0.20000000298023224 for alpha = 0.2, relative error 1.5e-8), in g and g′"
           " (measured)"),
    Defect("keras", "leaky_relu", (),
           "Keras 3.15.1's leaky_relu on the TensorFlow backend is tf.nn.leaky_relu: in"
           " float64 its slope below 0 is negative_slope rounded to float32"
           " (0.20000000298023224 for 0.2) (measured)"),
    Defect("tinygrad", "tanh", (),
           "tinygrad 0.14.0 computes tanh as 2σ(2z) − 1: tanh(1e-4) off by 1.7e-4"
           " relative and tanh(1e-8) = 0 in float32 (measured)"),
)


_CODES = {"PT": "pytorch", "JX": "jax", "KS": "keras", "TF": "tensorflow", "MX": "mlx",
          "TG": "tinygrad"}

#: which frameworks ship each catalogue function (docs/profiles.md, from the union table of
#: the frameworks' sources; JX for prelu is Flax's layer, KS for prelu keras.layers.PReLU);
#: one line per function
SHIPS: dict[str, str] = {
    "sigmoid": "PT JX KS TF MX TG", "tanh": "PT JX KS TF MX TG", "relu": "PT JX KS TF MX TG",
    "leaky_relu": "PT JX KS TF MX TG", "elu": "PT JX KS TF MX TG",
    "selu": "PT JX KS TF MX TG", "celu": "PT JX KS MX TG", "gelu": "PT JX KS TF MX TG",
    "silu": "PT JX KS TF MX TG", "mish": "PT JX KS MX TG", "softplus": "PT JX KS TF MX TG",
    "softsign": "PT JX KS TF MX TG", "log_sigmoid": "PT JX KS MX TG", "tanhshrink": "PT KS",
    "squareplus": "JX KS", "identity": "JX KS", "relu6": "PT JX KS TF MX TG",
    "prelu": "PT JX KS MX", "rrelu": "PT", "hard_sigmoid": "PT JX KS TG",
    "hard_swish": "PT JX KS MX TG", "hard_tanh": "PT JX KS MX TG", "softshrink": "PT KS MX",
    "hardshrink": "PT KS MX", "threshold": "PT KS", "sparse_plus": "JX KS",
    "sparse_sigmoid": "JX KS",
}


def ships(name: str, function: str) -> bool | None:
    """Whether framework `name` ships `function` (None: not recorded)."""
    codes = SHIPS.get(function)
    if codes is None:
        return None
    return name in {_CODES[c] for c in codes.split()}


#: what a version changed or a reader should know, per framework and function
NOTES: tuple[tuple[str, str, str], ...] = (
    ("pytorch", "hard_swish", "PyTorch 2.6.0 returned hard_swish′(−3) = −0.5 and"
     " hard_swish′(3) = 1.5 (pytorch/pytorch#147801); 2.13.0, followed here, returns 0 and 1."),
    ("keras", "leaky_relu", "keras.layers.LeakyReLU defaults to 0.3; the profile follows"
     " keras.activations (0.2), which activation=\"leaky_relu\" uses."),
    ("keras", "gelu", "keras.ops.gelu defaults to the tanh form; the profile follows"
     " keras.activations.gelu (exact)."),
    ("jax", "prelu", "jax.nn has no prelu: the weight is Flax's PReLU's initial value."),
    ("keras", "hard_sigmoid", "Keras 3's hard_sigmoid is relu6(x + 3)/6; Keras 2's (and"
     " TF1's) was clip(0.2x + 0.5, 0, 1): -p alpha=0.2."),
    ("tinygrad", "hard_sigmoid", "tinygrad 0.14.0's hard_sigmoid′(3) is 0 in float32 (the"
     " side recorded here) but 1/6 in float64 (DEV=PYTHON): α·x + β − 1 rounds to a"
     " positive number in one and to 0 in the other."),
)


def notes(name: str, function: str) -> list[str]:
    return [text for fw, fn, text in NOTES if fw == name and fn == function]


class UnknownProfileError(ValueError):
    """No framework profile by that name; the message suggests the closest one."""


def profile(name: str) -> Profile:
    """The profile called `name` (pytorch, jax, keras, tensorflow, mlx, tinygrad)."""
    key = name.strip().lower() if isinstance(name, str) else name
    if key not in BY_NAME:
        raise UnknownProfileError(
            f"unknown framework {name!r}{suggest(str(key), NAMES)}"
            f" (allowed: {', '.join(NAMES)})")
    return BY_NAME[key]


def defaults(name: str, function: str) -> dict[str, Any]:
    """The framework's parameter defaults for `function` (empty: the catalogue's)."""
    out: dict[str, Any] = {}
    for d in DEFAULTS:
        if d.framework == name and d.function == function:
            out.update(d.params)
    return out


def default_notes(name: str, function: str) -> list[str]:
    return [d.note for d in DEFAULTS if d.framework == name and d.function == function]


def kink_rules(function: str) -> list[KinkRule]:
    return [r for r in KINKS if r.function == function]


def defects(name: str, function: str, params: dict[str, Any]) -> list[str]:
    """The framework's known defects for `function` with these parameters."""
    return [d.text for d in DEFECTS if d.framework == name and d.function == function
            and all(params.get(k) == v for k, v in d.when)]


def point_defects(function: str, params: dict[str, Any], order: int = 1) -> list[Defect]:
    """Every framework's known wrong values of `function`'s derivative of this order at a
    point (``Defect.at``), for these parameters."""
    return [d for d in DEFECTS if d.function == function and d.at is not None
            and d.order == order and all(params.get(k) == v for k, v in d.when)]


assert set(NAMES) - {"pytorch", "jax"} == set(FRAMEWORK_CONVENTIONS)
