"""actgrad in a project's own test suite: ``assert_matches`` fails a test with the audit's report.

>>> import numpy as np, actgrad.testing
>>> def dsigmoid(z):
...     e = np.exp(-np.abs(z))
...     return e / (1 + e) ** 2
>>> report = actgrad.testing.assert_matches(dsigmoid, "sigmoid", of="deriv", ulp=16)

(numpy's exp is within a few ULP, and which few depends on the CPU: 16 leaves room.)
"""

from __future__ import annotations

from typing import Any, Callable

from .auditing import AuditReport, audit

__all__ = ["assert_matches"]


def assert_matches(fn: Callable[[Any], Any], function: Any, *, of: str = "deriv",
                   order: int = 1, dtype: Any = "float64", values: Any = None,
                   ulp: float | None = None, rel: float | None = None,
                   kink: str | None = None, **params: Any) -> AuditReport:
    """Audit `fn` (``actgrad.audit``, same arguments) and raise AssertionError with the
    report's text as its message unless it passes; returns the report when it does."""
    report = audit(fn, function, of=of, order=order, dtype=dtype, values=values, ulp=ulp,
                   rel=rel, kink=kink, **params)
    if not report.ok:
        raise AssertionError("\n" + report.text())
    return report
