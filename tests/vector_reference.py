"""Independent mpmath references for the vector functions (actgrad/vectors.py), written from
the definitions alone: softmax s_i = e^(x_i)/Σ e^(x_j), x = z/T, with every z taken exactly
and no max shift (mpmath's exponent range is unbounded); log_softmax x_i − log Σ e^(x_j);
the Jacobians from ∂s_i/∂z_j = s_i(δ_ij − s_j)/T, ∂ log s_i/∂z_j = (δ_ij − s_j)/T; the gated
units from act, act′, act″ written out in mpmath (not the catalogue's forms)."""

from __future__ import annotations

import mpmath
from mpmath import mpf

PREC = 200


def _prec(z, t=1.0):
    """Enough bits that 1 + e^(min − max) keeps its small part: 1 − s_i and log Σ e^x
    are then exact to ~100 bits even where one entry dominates by hundreds of e-folds."""
    fin = [abs(float(v)) for v in z if abs(float(v)) != float("inf")]
    spread = 2 * max(fin, default=0.0) / float(t)
    return PREC + int(min(spread, 40000.0) * 1.4427)


def _out(values):
    """The values rounded to 160 bits (plenty for float64 ULP; reference.ulp_error wants
    mantissas of modest size)."""
    with mpmath.workprec(160):
        return [+v for v in values]


def _x(z, t, negate):
    return [(-mpf(v) if negate else mpf(v)) / mpf(t) for v in z]


def _softmax(z, t, negate):
    x = _x(z, t, negate)
    e = [mpmath.exp(v) if v != -mpmath.inf else mpf(0) for v in x]
    s = mpmath.fsum(e)
    return [v / s for v in e]


def softmax(z, t=1.0, negate=False):
    with mpmath.workprec(_prec(z, t)):
        return _out(_softmax(z, t, negate))


def log_softmax(z, t=1.0):
    with mpmath.workprec(_prec(z, t)):
        x = _x(z, t, False)
        lse = mpmath.log(mpmath.fsum(mpmath.exp(v) for v in x if v != -mpmath.inf))
        return _out([v - lse for v in x])


def jacobian(name, z, t=1.0):
    with mpmath.workprec(_prec(z, t)):
        s = _softmax(z, t, negate=name == "softmin")
        n = len(z)
        T = mpf(t)
        if name == "log_softmax":
            return [_out([((1 if i == j else 0) - s[j]) / T for j in range(n)]) for i in range(n)]
        sign = -1 if name == "softmin" else 1
        return [_out([sign * (s[i] * ((1 if i == j else 0) - s[j])) / T for j in range(n)])
                for i in range(n)]


def matvec(J, v, transpose=False):
    with mpmath.workprec(max(mpmath.mp.prec, 2 * PREC)):
        n = len(J)
        if transpose:
            return [mpmath.fsum(mpf(v[i]) * J[i][j] for i in range(n)) for j in range(n)]
        return [mpmath.fsum(J[i][j] * mpf(v[j]) for j in range(n)) for i in range(n)]


# -- gated units: act, act′, act″ in mpmath -----------------------------------------------------

ALPHA = mpf(1.702)  # GPT-OSS's α, the float64 1.702


def _sig(x):
    return 1 / (1 + mpmath.exp(-x))


def act(name, g, approximate="none"):
    """(act, act′, act″) at g (mpf)."""
    g = mpf(g)
    if name == "glu":  # (1 − 2σ(g) = −tanh(g/2): no cancellation at tiny g)
        s = _sig(g)
        return s, s * _sig(-g), -s * _sig(-g) * mpmath.tanh(g / 2)
    if name == "reglu":
        return (g if g > 0 else mpf(0)), mpf(1 if g > 0 else 0), mpf(0)
    if name == "bilinear":
        return g, mpf(1), mpf(0)
    if name == "swiglu":
        s = _sig(g)
        ds = s * (1 - s)
        return g * s, s + g * ds, 2 * ds + g * ds * (1 - 2 * s)
    if name == "swiglu_oai":
        gc = min(g, mpf(7))
        x = ALPHA * gc
        s = _sig(x)
        ds = s * (1 - s)
        a, d, d2 = gc * s, s + x * ds, ALPHA * (2 * ds + x * ds * (1 - 2 * s))
        return (a, d, d2) if g <= 7 else (a, mpf(0), mpf(0))
    if name == "geglu" and approximate == "none":
        cdf = mpmath.ncdf(g)
        pdf = mpmath.npdf(g)
        return g * cdf, cdf + g * pdf, (2 - g * g) * pdf
    if name == "geglu":  # tanh form g/2·(1 + tanh(a/2)) = g·σ(a), a = 2√(2/π)(g + k g³)
        c, k = mpmath.sqrt(2 / mpmath.pi), mpf("0.044715")
        a, a1, a2 = 2 * c * (g + k * g ** 3), 2 * c * (1 + 3 * k * g * g), 12 * c * k * g
        s = _sig(a)
        ds = s * (1 - s)
        return g * s, s + g * ds * a1, 2 * ds * a1 + g * (ds * (1 - 2 * s) * a1 * a1 + ds * a2)
    raise KeyError(name)


def gated(name, g, u, approximate="none"):
    """(y, ∂y/∂g, ∂y/∂u, ∂²y/∂g², ∂²y/∂g∂u) at (g, u), exactly from the definitions."""
    # tiny g or u: enough bits that σ(αg) = 1/2 + ~g and u + 1 keep their small parts (a
    # product with them may sit on a rounding midpoint that only that part decides)
    extra = sum(max(0, -mpmath.mag(mpf(x))) for x in (g, u) if x)
    with mpmath.workprec(PREC + extra):
        a, d, d2 = act(name, g, approximate)
        u = mpf(u)
        if name == "swiglu_oai":
            inside = -7 <= u <= 7
            uc = max(min(u, mpf(7)), mpf(-7)) + 1
            return a * uc, d * uc, (a if inside else mpf(0)), d2 * uc, (d if inside else mpf(0))
        return a * u, d * u, a, d2 * u, d


# -- second derivatives of the softmax family ----------------------------------------------------


def hessian(name, z, t=1.0):
    """∂²y_i/∂z_j∂z_k as nested lists [i][j][k]: softmax s_i[(δ_ij − s_j)(δ_ik − s_k) −
    s_j(δ_jk − s_k)]/T² (differentiating s_i(δ_ij − s_j) once more; tests/test_vector.py
    checks it against mpmath's numerical derivatives), softmin the same at s = softmin(z)
    (the chain rule's two factors −1 cancel), log_softmax −s_j(δ_jk − s_k)/T² for every i."""
    with mpmath.workprec(_prec(z, t)):
        s = _softmax(z, t, negate=name == "softmin")
        n = len(z)
        T2 = mpf(t) ** 2

        def d(a, b):
            return 1 if a == b else 0

        if name == "log_softmax":
            return [[_out([-s[j] * (d(j, k) - s[k]) / T2 for k in range(n)]) for j in range(n)]
                    for _ in range(n)]
        return [[_out([s[i] * ((d(i, j) - s[j]) * (d(i, k) - s[k]) - s[j] * (d(j, k) - s[k]))
                       / T2 for k in range(n)]) for j in range(n)] for i in range(n)]


def vjp_hessian(name, z, v, t=1.0):
    """Σ_i v_i ∂²y_i/∂z_j∂z_k, [j][k]."""
    H = hessian(name, z, t)
    n = len(z)
    with mpmath.workprec(2 * PREC):
        return [[mpmath.fsum(mpf(v[i]) * H[i][j][k] for i in range(n)) for k in range(n)]
                for j in range(n)]


def numeric_hessian(name, z, t=1.0):
    """The same by mpmath's numerical differentiation of the definitions (for checking the
    formula above; not rigorous, ~40 digits)."""
    n = len(z)
    out = []
    with mpmath.workprec(300):
        def y(i):
            def fn(*x):
                if name == "log_softmax":
                    xs = [mpf(a) / t for a in x]
                    return xs[i] - mpmath.log(mpmath.fsum(mpmath.exp(a) for a in xs))
                xs = [(-mpf(a) if name == "softmin" else mpf(a)) / t for a in x]
                e = [mpmath.exp(a) for a in xs]
                return e[i] / mpmath.fsum(e)
            return fn

        for i in range(n):
            block = []
            for j in range(n):
                row = []
                for k in range(n):
                    o = [0] * n
                    o[j] += 1
                    o[k] += 1
                    row.append(mpmath.diff(y(i), [mpf(a) for a in z], tuple(o)))
                block.append(row)
            out.append(block)
    return out
