"""Expensive checks the test files share, computed once per session (import this module).

The full-registry gradient check on the default grids takes a few seconds; every test file that
needs it asks ``gradient_check(name, **params)`` and gets the cached result.
"""

from __future__ import annotations

import functools

import actgrad
from actgrad.numerics import gradcheck


@functools.lru_cache(maxsize=None)
def registry_check() -> dict[str, gradcheck.CheckResult]:
    """``gradcheck.check`` of every function of the registry (default parameters) on its
    default grid, by name."""
    acts = [actgrad.get(n) for n in actgrad.names()]
    return {r.function: r for r in gradcheck.check_all(acts)}


@functools.lru_cache(maxsize=None)
def _with_params(name: str, params: tuple[tuple[str, object], ...]) -> gradcheck.CheckResult:
    return gradcheck.check(actgrad.get(name, **dict(params)))


def gradient_check(name: str, **params: object) -> gradcheck.CheckResult:
    """The gradient check of one function on its default grid (cached); with default
    parameters, from the one full-registry run."""
    f = actgrad.get(name, **params)
    if f == actgrad.get(name):
        return registry_check()[f.name]
    return _with_params(f.name, tuple(sorted(f.params.items())))
