"""Textbook derivatives, as hand-written backward passes often have them (for
`actgrad check FUNC --impl examples/naive.py:NAME`; README, "Judge your own code").

σ and tanh come from actgrad, correctly rounded in the dtype they are given, as a framework
holds them from its forward pass; the derivatives are then computed from those rounded
outputs, a(1 − a) and 1 − a², with IEEE arithmetic only: the results are the same on every
machine.
"""

import numpy as np

import actgrad

sigmoid = actgrad.get("sigmoid")
tanh = actgrad.get("tanh")


def dsig(z):
    """σ′ from the output: a(1 − a) is 0 once a has rounded to 1."""
    a = sigmoid(z)
    return a * (1 - a)


def dtanh(z):
    """tanh′ from the output: 1 − a² is 0 once a has rounded to ±1."""
    a = tanh(z)
    return 1 - a * a


def drelu(z):
    """relu′: 1 where z > 0, else 0 (also at the kink)."""
    return (z > 0).astype(z.dtype)


def drelu_ge(z):
    """relu′ with z >= 0: 1 at the kink."""
    return np.where(z >= 0, 1, 0).astype(z.dtype)
