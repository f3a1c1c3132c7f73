"""The numerics of the core: special functions and error-free arithmetic (``special``), the
rigorous high-precision path (``rigorous``) and the gradient check (``gradcheck``).

Nothing here knows of text or terminals.
"""

#: the most significant digits --digits asks for (numerics/rigorous.py)
MAX_DIGITS = 1000

#: the highest derivative order (numerics/series.py: Taylor series of N + 1 terms)
MAX_ORDER = 20
