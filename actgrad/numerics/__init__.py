"""The numerics of the core: special functions and error-free arithmetic (``special``), the
rigorous high-precision path (``rigorous``) and the gradient check (``gradcheck``).

Nothing here knows of text or terminals.
"""

from __future__ import annotations

import math
from typing import NamedTuple

#: the most significant digits --digits asks for (numerics/rigorous.py)
MAX_DIGITS = 1000

#: the gradient check's default step h and tolerance (numerics/gradcheck.py, whose GOOD the
#: tolerance is): here so that the command line's defaults do not import the check
DEFAULT_STEP = 1e-3
DEFAULT_TOL = 1e-7

#: the highest derivative order (numerics/series.py: Taylor series of N + 1 terms)
MAX_ORDER = 20

#: the float types results can be computed in (``--dtype``, the API's input dtypes): numpy's
#: own and, through ml_dtypes (the JAX team's numpy dtype package, imported only when one of
#: them is asked for), bfloat16 and the two OCP 8-bit formats
DTYPES = ("float64", "float32", "float16", "bfloat16", "float8_e4m3fn", "float8_e5m2")
ML_DTYPES = DTYPES[3:]


def available_cores() -> int:
    """The cores this process may run on (its affinity mask), else the machine's."""
    import os

    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def as_dtype(dtype: object):
    """The numpy dtype of a DTYPES name (or of a dtype, type or array dtype given as such);
    ValueError for anything else. ml_dtypes is imported for its three names only."""
    import numpy as np

    if isinstance(dtype, str) and dtype in ML_DTYPES:
        import ml_dtypes  # noqa: F401  (registers its types with numpy)

        return np.dtype(getattr(ml_dtypes, dtype))
    try:
        dt = np.dtype(dtype)  # type: ignore[call-overload]
    except TypeError:
        dt = None
    if dt is None or dt.name not in DTYPES:
        raise ValueError(f"dtype must be one of {', '.join(DTYPES)}; got {dtype!r}")
    return dt


class Format(NamedTuple):
    """A binary floating-point format, for rounding exactly into it."""
    p: int  # significand bits
    qmin: int  # exponent of the smallest subnormal's unit
    emax: int  # largest exponent
    top: float  # the largest finite value
    over: float  # what a value past the range rounds to: inf, or nan where the type has none
    name: str


def _fmt(name: str, p: int, qmin: int, emax: int, top: float | None = None,
         has_inf: bool = True) -> Format:
    if top is None:
        top = math.ldexp(2.0 - math.ldexp(1.0, 1 - p), emax)
    return Format(p, qmin, emax, top, math.inf if has_inf else math.nan, name)


#: the binary format of each of DTYPES, by name
FORMATS = {f.name: f for f in (
    _fmt("float64", 53, -1074, 1023),
    _fmt("float32", 24, -149, 127),
    _fmt("float16", 11, -24, 15),
    # ml_dtypes'
    _fmt("bfloat16", 8, -133, 127),
    _fmt("float8_e5m2", 3, -16, 15),
    # e4m3fn: the pattern S.1111.111 is NaN, so 448 = 1.75·2^8 is the top and there is no
    # inf: a value that rounds past 448 (above 464, the midpoint to the 480 that would be
    # next; 464 itself goes to 448 by ties to even) is NaN, as ml_dtypes converts and the
    # OCP 8-bit spec's non-saturating mode says
    _fmt("float8_e4m3fn", 4, -9, 8, top=448.0, has_inf=False),
)}
