"""Piecewise-linear and hard activations: identity, relu6, prelu, rrelu, the hard_* family, the
shrinks, threshold, sparse_plus and sparse_sigmoid."""

from __future__ import annotations

from .base import Spec

SPECS: tuple[Spec, ...] = ()
