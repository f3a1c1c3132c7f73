#!/usr/bin/env python3
"""g′ at every kink through Keras 3's and TensorFlow's autograd, beside the one-sided slopes
actgrad records, to read off the side each framework takes.

Usage:  python benchmarks/frameworks_keras_tf.py [--markdown]

Needs tensorflow and keras (neither is a dependency of actgrad: a scratch venv with ``pip
install tensorflow-cpu keras numpy mpmath``). Prints the versions it measured. Keras runs on
its TensorFlow backend (``KERAS_BACKEND=tensorflow``, set here): on the JAX or torch backend
keras.activations takes those frameworks' conventions instead.

* g′: ``tf.GradientTape`` on float64 tensors, ``tape.gradient(f(x), x)`` with x holding the
  kink points; keras.activations.NAME (the keras profile's functions, default parameters
  but those the catalogue gives another value: elu's alpha ≠ 1 to make 0 a kink) and tf.nn.NAME
  (the tensorflow profile's).
* the sides: actgrad's ``Activation.kinks`` for the same function and parameters (the
  one-sided slopes, from the catalogue's definitions); the column "side" is left or right
  where the value is that slope, mean where it is their mean, else "other". Smooth points
  where a framework is known to go wrong elsewhere (elu′(0) with alpha = 1, celu′(0)) are
  measured too; there the true value is printed as both slopes.
"""

from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[:0] = [ROOT]

import numpy as np  # noqa: E402

import actgrad  # noqa: E402

try:
    import tensorflow as tf
    import keras
    from keras import activations as KA
except ImportError as e:  # pragma: no cover - depends on the machine
    print(f"tensorflow/keras missing ({e}): pip install tensorflow-cpu keras", file=sys.stderr)
    raise SystemExit(2)


# (label, framework, actgrad name, actgrad params, the framework's function of x)
CASES = [
    ("relu", "keras", "relu", {}, KA.relu),
    ("leaky_relu", "keras", "leaky_relu", {"negative_slope": 0.2}, KA.leaky_relu),
    ("relu6", "keras", "relu6", {}, KA.relu6),
    ("hard_sigmoid", "keras", "hard_sigmoid", {}, KA.hard_sigmoid),
    ("hard_swish", "keras", "hard_swish", {}, KA.hard_silu),
    ("hard_tanh", "keras", "hard_tanh", {}, KA.hard_tanh),
    ("softshrink", "keras", "softshrink", {}, KA.soft_shrink),
    ("hardshrink", "keras", "hardshrink", {}, KA.hard_shrink),
    ("threshold", "keras", "threshold", {"threshold": 0.0, "value": 0.0},
     lambda x: KA.threshold(x, 0.0, 0.0)),
    ("sparse_plus", "keras", "sparse_plus", {}, KA.sparse_plus),
    ("sparse_sigmoid", "keras", "sparse_sigmoid", {}, KA.sparse_sigmoid),
    ("elu (alpha=0.5)", "keras", "elu", {"alpha": 0.5}, lambda x: KA.elu(x, alpha=0.5)),
    ("elu (alpha=1), smooth", "keras", "elu", {}, KA.elu),
    ("selu", "keras", "selu", {}, KA.selu),
    ("celu, smooth", "keras", "celu", {}, KA.celu),
    ("relu", "tensorflow", "relu", {}, tf.nn.relu),
    ("leaky_relu", "tensorflow", "leaky_relu", {"negative_slope": 0.2}, tf.nn.leaky_relu),
    ("relu6", "tensorflow", "relu6", {}, tf.nn.relu6),
    ("elu (alpha=1), smooth", "tensorflow", "elu", {}, tf.nn.elu),
    ("selu", "tensorflow", "selu", {}, tf.nn.selu),
]

#: smooth points measured as well: (actgrad name, z)
SMOOTH = {"elu (alpha=1), smooth": [0.0], "celu, smooth": [0.0]}


def grad(fn, z: list[float]) -> list[float]:
    x = tf.constant(z, dtype=tf.float64)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = fn(x)
    g = tape.gradient(y, x)
    return [float(v) for v in (np.zeros(len(z)) if g is None else g.numpy())]


def side(v: float, left: float, right: float) -> str:
    def near(a: float, b: float) -> bool:
        return abs(a - b) <= 1e-12 * max(1.0, abs(b))

    names = []
    if near(v, left):
        names.append("left")
    if near(v, right):
        names.append("right")
    if not names and near(v, (left + right) / 2):
        names.append("mean")
    return "/".join(names) or "other"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    rows = []
    for label, fw, name, params, fn in CASES:
        f = actgrad.get(name, **params)
        if label in SMOOTH:
            points = [(z, float(f.deriv(z)), float(f.deriv(z))) for z in SMOOTH[label]]
        else:
            points = [(k.at, k.left, k.right) for k in f.kinks]
        got = grad(fn, [z for z, _, _ in points])
        for (z, left, right), v in zip(points, got):
            rows.append((fw, label, z, v, left, right, side(v, left, right)))
    head = ("framework", "function", "z", "g′ measured", "left", "right", "side")
    print(f"TensorFlow {tf.__version__}, Keras {keras.__version__} (backend"
          f" {keras.backend.backend()}), float64, tf.GradientTape")
    if args.markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for r in rows:
            print("| " + " | ".join(str(c) for c in r) + " |")
    else:
        widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
        for r in [head, *rows]:
            print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
