"""Expensive checks the test files share, computed once per session (import this module).

The full-registry gradient check on the default grids takes a few seconds; every test file that
needs it asks ``gradient_check(name, **params)`` (or ``gradient_checks`` for several) and gets
the cached result.
"""

from __future__ import annotations

import functools
from typing import Any, Iterable

import actgrad
from actgrad.numerics import gradcheck

_CACHE: dict[tuple[str, tuple[tuple[str, Any], ...]], gradcheck.CheckResult] = {}


def _key(f: actgrad.Activation) -> tuple[str, tuple[tuple[str, Any], ...]]:
    return f.name, tuple(sorted(f.params.items()))


@functools.lru_cache(maxsize=None)
def registry_check() -> dict[str, gradcheck.CheckResult]:
    """``gradcheck.check`` of every function of the registry (default parameters) on its
    default grid, by name."""
    acts = [actgrad.get(n) for n in actgrad.names()]
    results = gradcheck.check_all(acts)
    for f, r in zip(acts, results):
        _CACHE[_key(f)] = r
    return {r.function: r for r in results}


def gradient_checks(cases: Iterable[tuple[str, dict[str, Any]]]) -> list[gradcheck.CheckResult]:
    """The gradient check of each (name, params) on its default grid: cached, the missing ones
    computed together (in processes); default parameters come from the full-registry run."""
    acts = [actgrad.get(name, **params) for name, params in cases]
    if any(f == actgrad.get(f.name) for f in acts):
        registry_check()
    missing = list({_key(f): f for f in acts if _key(f) not in _CACHE}.values())
    for f, r in zip(missing, gradcheck.check_all(missing)):
        _CACHE[_key(f)] = r
    return [_CACHE[_key(f)] for f in acts]


def gradient_check(name: str, **params: Any) -> gradcheck.CheckResult:
    """The gradient check of one function on its default grid (cached)."""
    return gradient_checks([(name, params)])[0]
