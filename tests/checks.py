"""Expensive checks the test files share, computed once per session (import this module).

The full-registry gradient check on the default grids takes a few seconds; every test file that
needs it asks ``gradient_check(name, **params)`` (or ``gradient_checks`` for several) and gets
the cached result; ``registry_check(2)`` and ``order=2`` are the same for g″.
"""

from __future__ import annotations

import functools
from typing import Any, Iterable

import actgrad
from actgrad.numerics import gradcheck

_Key = tuple[str, tuple[tuple[str, Any], ...], int]
_CACHE: dict[_Key, gradcheck.CheckResult] = {}


def _key(f: actgrad.Activation, order: int) -> _Key:
    return f.name, tuple(sorted(f.params.items())), order


@functools.lru_cache(maxsize=None)
def registry_check(order: int = 1) -> dict[str, gradcheck.CheckResult]:
    """``gradcheck.check`` of every function of the registry (default parameters) on its
    default grid, by name (of g″ with order 2)."""
    acts = [actgrad.get(n) for n in actgrad.names()]
    results = gradcheck.check_all(acts, order=order)
    for f, r in zip(acts, results):
        _CACHE[_key(f, order)] = r
    return {r.function: r for r in results}


def gradient_checks(cases: Iterable[tuple[str, dict[str, Any]]],
                    order: int = 1) -> list[gradcheck.CheckResult]:
    """The gradient check of each (name, params) on its default grid: cached, the missing ones
    computed together (in processes); default parameters come from the full-registry run."""
    acts = [actgrad.get(name, **params) for name, params in cases]
    if any(f == actgrad.get(f.name) for f in acts):
        registry_check(order)
    missing = list({_key(f, order): f for f in acts if _key(f, order) not in _CACHE}.values())
    for f, r in zip(missing, gradcheck.check_all(missing, order=order)):
        _CACHE[_key(f, order)] = r
    return [_CACHE[_key(f, order)] for f in acts]


def gradient_check(name: str, order: int = 1, **params: Any) -> gradcheck.CheckResult:
    """The gradient check of one function on its default grid (cached)."""
    return gradient_checks([(name, params)], order)[0]
