"""Smooth activations (and those smooth but for a kink at 0): ELU family, GELU, SiLU, Mish,
softplus, softsign, log-sigmoid, tanhshrink, squareplus."""

from __future__ import annotations

from .base import Spec

SPECS: tuple[Spec, ...] = ()
