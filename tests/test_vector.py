"""The vector functions (actgrad/vectors.py): softmax, log_softmax, softmin and the gated
units, against the independent mpmath references of tests/vector_reference.py (written from
the definitions), their command line (cli/vectorcmd.py) and their rigorous path
(numerics/vector_exact.py)."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

import reference as R
import vector_reference as V
from conftest import call, fail, ok

import actgrad
from actgrad import vectors

SOFTMAX = ("softmax", "log_softmax", "softmin")
#: the float64 bounds, in ULP of the correctly rounded value (benchmarks/vector_accuracy.py
#: measures ~1.3 for values, ~2.8 for Jacobian entries, ~2.7 for the gated partials)
VALUE_ULP, JAC_ULP, GATED_ULP = 2.0, 4.0, 4.0


def _rows(seed=7, count=24):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(count):
        n = 2 + i % 5
        z = rng.normal(size=n) * 10.0 ** rng.uniform(-2, 2.5)
        if i % 4 == 0:
            z[i % n] += 50.0  # one entry dominates
        out.append(z)
    return out


def ulp(got, exact):
    return float(np.max(R.ulp_error(np.asarray(got, dtype=np.float64).reshape(-1),
                                    list(exact), np.float64)))


def _ref_values(name, z, t=1.0):
    return V.log_softmax(z, t) if name == "log_softmax" else V.softmax(
        z, t, negate=name == "softmin")


@pytest.mark.parametrize("t", [1.0, 0.3])
@pytest.mark.parametrize("name", SOFTMAX)
def test_values_and_jacobian_entries_within_a_few_ulp(name, t):
    f = actgrad.get(name, temperature=t)
    for z in _rows():
        assert ulp(call(f, z), _ref_values(name, z, t)) <= VALUE_ULP, (name, z)
        J = V.jacobian(name, z, t)
        assert ulp(call(f.jacobian, z), [e for r in J for e in r]) <= JAC_ULP, (name, z)


@pytest.mark.parametrize("name", SOFTMAX)
def test_vjp_and_jvp_are_the_products_with_the_jacobian(name):
    """Against J·v and vᵀJ of the exact Jacobian, normwise: within a few ULP of Σ|J_ij v_j|
    (the products cancel where ⟨v, s⟩ ≈ v_i; no float method does better than that there)."""
    f = actgrad.get(name)
    rng = np.random.default_rng(3)
    for z in _rows(11, 16):
        v = rng.normal(size=z.size)
        J = V.jacobian(name, z)
        Jf = np.array([[float(e) for e in r] for r in J])
        for got, exact, scale in ((call(f.jvp, z, v), V.matvec(J, v), np.abs(Jf) @ np.abs(v)),
                                  (call(f.vjp, z, v), V.matvec(J, v, transpose=True),
                                   np.abs(v) @ np.abs(Jf))):
            err = [abs(mpmath.mpf(float(g)) - e) for g, e in zip(got, exact)]
            assert all(float(e) <= 4 * np.spacing(s) for e, s in zip(err, scale)), (name, z)


def test_the_softmax_cross_entropy_gradient_keeps_its_small_entry():
    """vjp of log_softmax with v = −y (y one-hot at the dominant entry) is s − y; its entry
    s_k − 1 = −(1 − s_k) is ~1e-22 here and comes out to a few ULP, not 0 or rounding noise."""
    z = [50.0, 0.0, 1.0]
    got = call(actgrad.get("log_softmax").vjp, z, [-1.0, 0.0, 0.0])
    s = V.softmax(z)
    assert ulp(got, [s[0] - 1, s[1], s[2]]) <= 4


def test_rows_sum_to_zero_and_the_jacobian_is_symmetric():
    f = actgrad.get("softmax")
    z = np.array([3.0, -1.0, 0.5, 2.0])
    J = f.jacobian(z)
    assert np.array_equal(J, J.T)
    assert np.max(np.abs(J.sum(axis=1))) <= 4 * np.spacing(np.max(np.abs(J)))


def test_no_overflow_at_the_ends_of_the_float_range():
    sm, ls = actgrad.get("softmax"), actgrad.get("log_softmax")
    big = 1e308
    assert call(sm, [big, -big]).tolist() == [1.0, 0.0]
    assert call(sm, [big, big]).tolist() == [0.5, 0.5]
    assert call(sm, [-big, -big, -big]).tolist() == [1 / 3] * 3
    assert call(ls, [big, big]).tolist() == [-math.log(2)] * 2
    # −2e308 is beyond the range: its correct rounding is −inf
    assert call(ls, [big, -big]).tolist() == [0.0, -math.inf]
    assert call(ls, [big, -big / 2]).tolist() == [0.0, -1.5e308]
    assert np.isfinite(call(sm.jacobian, [big, -big, 0.0])).all()
    f = actgrad.get("softmax", temperature=4.0)
    assert call(f, [big, -big]).tolist() == [1.0, 0.0]
    assert call(actgrad.get("log_softmax", temperature=4.0), [big, -big]).tolist() == [
        0.0, -5e307]


def test_log_softmax_where_one_entry_dominates():
    """log_softmax(0, −40)_0 = −log1p(e^−40) ≈ −4.2e-18; the log of the rounded sum 1 + e^−40
    (= 1.0) would give 0."""
    ls = actgrad.get("log_softmax")
    for z in ([0.0, -40.0], [700.0, 0.0, -5.0], [1.0, -36.0, -37.0, -80.0]):
        got = call(ls, z)
        assert got[0] != 0.0
        assert ulp(got, V.log_softmax(z)) <= VALUE_ULP, z


def test_masked_entries_as_the_frameworks():
    sm, ls = actgrad.get("softmax"), actgrad.get("log_softmax")
    z = [0.0, -math.inf, 0.0]
    assert call(sm, z).tolist() == [0.5, 0.0, 0.5]
    assert call(ls, z)[1] == -math.inf
    J = call(sm.jacobian, z)
    assert not J[1].any() and not J[:, 1].any()
    assert call(sm.vjp, z, [1.0, 2.0, 3.0]).tolist() == [-0.5, 0.0, 0.5]
    assert call(ls.vjp, z, [1.0, 2.0, 3.0]).tolist() == [-2.0, 2.0, 0.0]


def test_rows_with_no_finite_maximum_are_nan():
    """All −inf (0/0), a +inf or a nan: nan throughout, as PyTorch, JAX and TensorFlow."""
    for name in SOFTMAX:
        f = actgrad.get(name)
        for z in ([-math.inf] * 3, [math.inf, 1.0], [math.nan, 1.0]):
            if name == "softmin":
                z = [-v for v in z]
            assert np.isnan(call(f, z)).all(), (name, z)
            assert np.isnan(call(f.jacobian, z)).all(), (name, z)


def test_batched_over_the_last_axis():
    f = actgrad.get("log_softmax", temperature=2.0)
    z = np.random.default_rng(5).normal(size=(2, 3, 4))
    got = call(f, z)
    assert got.shape == z.shape and f.jacobian(z).shape == (2, 3, 4, 4)
    for idx in np.ndindex(2, 3):
        assert got[idx].tolist() == f(z[idx]).tolist()
    v = np.ones(4)
    assert f.vjp(z, v).shape == z.shape


def test_softmin_is_softmax_of_minus_z():
    z = [0.3, -2.0, 5.0]
    assert actgrad.get("softmin")(z).tolist() == actgrad.get("softmax")(
        [-v for v in z]).tolist()
    assert (actgrad.get("softmin").jacobian(z) == -actgrad.get("softmax").jacobian(
        [-v for v in z])).all()


# -- gated units -----------------------------------------------------------------------------

GATED = [("glu", "none"), ("reglu", "none"), ("geglu", "none"), ("geglu", "tanh"),
         ("swiglu", "none"), ("bilinear", "none"), ("swiglu_oai", "none")]


@pytest.mark.parametrize("name,approx", GATED)
def test_gated_values_partials_and_hessian_blocks(name, approx):
    rng = np.random.default_rng(9)
    g = np.concatenate([rng.normal(size=60) * 3, rng.uniform(-40, 12, 30), [0.0, 7.0, -7.0]])
    u = np.concatenate([rng.normal(size=g.size - 3) * 4, [8.0, 7.0, -7.0]])
    kw = {"approximate": approx} if name == "geglu" else {}
    f = actgrad.get(name, **kw)
    ref = [V.gated(name, a, b, approx) for a, b in zip(g, u)]
    got = (call(f, g, u), *call(f.partials, g, u), *call(f.hessian, g, u)[:2])
    for k, (label, x) in enumerate(zip(("y", "dy/dg", "dy/du", "d2y/dg2", "d2y/dgdu"), got)):
        assert ulp(x, [r[k] for r in ref]) <= GATED_ULP, (name, label)
    assert not call(f.hessian, g, u)[2].any()


def test_the_gate_half_conventions():
    x = np.array([1.0, -2.0, 3.0, 0.5])
    sig = actgrad.get("sigmoid")
    # PyTorch F.glu / jax.nn.glu: a ⊙ σ(b), b the second half
    assert actgrad.get("glu")(x).tolist() == (x[:2] * sig(x[2:])).tolist()
    silu = actgrad.get("silu")
    assert actgrad.get("swiglu")(x).tolist() == (silu(x[:2]) * x[2:]).tolist()
    assert actgrad.get("swiglu", gate="second")(x).tolist() == (silu(x[2:]) * x[:2]).tolist()
    assert actgrad.get("swiglu", gate="even")(x).tolist() == (silu(x[0::2]) * x[1::2]).tolist()
    f = actgrad.get("swiglu", gate="even")
    J = f.jacobian(x)
    t = np.array([0.1, 0.2, -0.3, 0.4])
    assert np.allclose(f.jvp(x, t), J @ t, rtol=1e-15, atol=0)
    v = np.array([1.0, -1.0])
    assert np.allclose(f.vjp(x, v), v @ J, rtol=1e-15, atol=0)


def test_gpt_oss_clamps():
    f = actgrad.get("swiglu_oai")
    dg, du = f.partials([8.0, 1.0, 1.0], [1.0, 7.5, -7.5])
    assert dg[0] == 0.0 and du[1] == 0.0 and du[2] == 0.0 and dg[1] != 0.0
    # y = (clip(u) + 1)·act(min(g, 7))
    assert f([8.0], [9.0])[0] == f([7.0], [7.0])[0]


def test_bad_arguments():
    with pytest.raises(ValueError, match="odd"):
        actgrad.get("swiglu")([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="gate"):
        actgrad.get("glu", gate="middle")
    with pytest.raises(ValueError, match="temperature"):
        actgrad.get("softmax", temperature=-1)
    with pytest.raises(ValueError, match="entries"):
        actgrad.get("softmax").vjp([1.0, 2.0], [1.0, 2.0, 3.0])
    assert isinstance(actgrad.get("sigmoid"), actgrad.Activation)


# -- rigorous --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SOFTMAX)
def test_exact_is_correctly_rounded(name):
    from actgrad.numerics import vector_exact as X

    f = actgrad.get(name, temperature=0.7)
    for z in _rows(13, 6) + [np.array([0.0, -40.0]), np.array([0.0, -math.inf, 1.0])]:
        if name == "softmin":
            z = np.where(np.isinf(z), -z, z)
        got = X.values_float(f, z[None, :])[0]
        want = [R.round_to(e, np.float64) for e in _ref_values(name, z, 0.7)]
        assert got.tolist() == want, (name, z)
        J = X.values_float(f, z[None, :], jacobian=True)[0]
        want = [R.round_to(e, np.float64) for r in V.jacobian(name, z, 0.7) for e in r]
        assert [abs(v) for v in J.reshape(-1).tolist()] == [abs(v) for v in want], (name, z)


def test_digits_are_correctly_rounded():
    from actgrad.numerics import vector_exact as X

    z = [0.0, -40.0, 2.5]
    texts = X.values_text(actgrad.get("log_softmax"), [z], digits=25)[0]
    for t, e in zip(texts, V.log_softmax(z)):
        assert len(t.lstrip("-").replace(".", "").split("e")[0].lstrip("0")) == 25
        with mpmath.workprec(200):
            assert abs(mpmath.mpf(t) - e) <= abs(e) * mpmath.mpf(10) ** -24 / 2


def _exact_rows():
    """Hard rows: one entry dominating (1 − s_k ~ 1e-22), a masked entry, equal entries
    (exact zeros in the products), a large spread, and a few plain ones."""
    return [np.array(r) for r in ([1.0, 2.0, 3.0], [50.0, 0.0, 1.0], [0.0, -math.inf, 1.5],
                                  [0.25, 0.25, -1.0], [300.0, -200.0, 299.5], [-3.5, 4.0])]


def _round(xs, dtype=np.float64):
    return [R.round_to(e, dtype) for e in xs]


@pytest.mark.parametrize("name", SOFTMAX)
def test_exact_products_and_hessians_are_correctly_rounded(name):
    """--exact of --vjp, --jvp, the Hessian and the Hessian of vᵀy: each entry the
    reference (tests/vector_reference.py, from the definitions in mpmath) rounded once."""
    from actgrad.numerics import vector_exact as X

    f = actgrad.get(name, temperature=0.7)
    rng = np.random.default_rng(5)
    for z in _exact_rows():
        if name == "softmin":
            z = np.where(np.isinf(z), -z, z)
        v = np.round(rng.normal(size=z.size), 3)
        J = V.jacobian(name, z, 0.7)
        for what, want in (("vjp", V.matvec(J, v, transpose=True)), ("jvp", V.matvec(J, v))):
            got = X.values_float(f, z[None, :], what=what, v=v)[0]
            assert got.tolist() == _round(want), (name, what, z)
        H = V.hessian(name, z, 0.7)
        got = X.values_float(f, z[None, :], what="hessian")[0]
        assert [abs(x) for x in got.reshape(-1).tolist()] == [
            abs(x) for x in _round(e for b in H for r in b for e in r)], (name, z)
        got = X.values_float(f, z[None, :], what="vjp_hessian", v=v)[0]
        want = _round(e for r in V.vjp_hessian(name, z, v, 0.7) for e in r)
        assert [abs(x) for x in got.reshape(-1).tolist()] == [abs(x) for x in want], (name, z)


def test_exact_zeros_of_the_products_are_exact():
    """Where a product vanishes exactly (v constant: J·1 = 0 for softmax; equal z with
    v_3 the mean of the others) the rigorous path says 0 (equal z give equal e^d, whose
    coefficients are summed exactly first), not 'undecided'."""
    from actgrad.numerics import vector_exact as X

    f = actgrad.get("softmax")
    assert X.values_float(f, [[1.0, 2.0, 3.0]], what="jvp", v=[5.0, 5.0, 5.0])[0].tolist() == \
        [0.0, 0.0, 0.0]
    got = X.values_float(f, [[0.0, 0.0, 0.0]], what="vjp", v=[1.0, 3.0, 2.0])[0]
    assert got.tolist() == [R.round_to(mpmath.mpf(-1) / 3, np.float64),
                            R.round_to(mpmath.mpf(1) / 3, np.float64), 0.0]
    got = X.values_text(actgrad.get("log_softmax"), [[7.0, 7.0]], what="jvp", v=[2.0, 2.0],
                        digits=10)[0]
    assert got == ["0.0", "0.0"]


def test_the_hessian_formula_against_numerical_derivatives():
    for name in SOFTMAX:
        z = [0.5, -1.0, 2.0]
        a, b = V.hessian(name, z, 0.7), V.numeric_hessian(name, z, 0.7)
        assert max(abs(a[i][j][k] - b[i][j][k]) for i in range(3) for j in range(3)
                   for k in range(3)) < 1e-30


@pytest.mark.parametrize("name", SOFTMAX)
def test_float64_hessians(name):
    """hessian and vjp_hessian against the references: entries within a few ULP of
    Σ of the magnitudes of their terms (1 − 2s cancels where s ≈ 1/2; measured in
    benchmarks/vector_accuracy.py), symmetric in j, k, and Σ_k H_ijk = 0 (rows of J sum to 0)."""
    f = actgrad.get(name, temperature=0.7)
    rng = np.random.default_rng(17)
    for z in _rows(19, 12) + [np.array([0.0, -math.inf, 1.5])]:
        n = z.size
        if name == "softmin":
            z = np.where(np.isinf(z), -z, z)  # (softmin's masked entries are +inf)
        H = call(f.hessian, z)
        ref = V.hessian(name, z, 0.7)
        s = np.array([float(x) for x in (V.softmax(z, 0.7, negate=name == "softmin"))])
        # Σ of the magnitudes of the formula's terms: s_i[(δ_ij + s_j)(δ_ik + s_k) +
        # s_j(δ_jk + s_k)] (log_softmax: s_j(δ_jk + s_k)), /T²
        e = np.eye(n)
        si, sj, sk = s[:, None, None], s[None, :, None], s[None, None, :]
        jk = sj * (e[None] + sk)
        scale = (jk + 0 * si if name == "log_softmax" else
                 si * ((e[:, :, None] + sj) * (e[:, None, :] + sk) + jk)) / 0.49
        err = np.array([[[float(abs(mpmath.mpf(float(H[i, j, k])) - ref[i][j][k]))
                          for k in range(n)] for j in range(n)] for i in range(n)])
        assert (err <= 8 * np.spacing(scale)).all(), (name, z)
        assert (H == np.swapaxes(H, -1, -2)).all()
        if name != "log_softmax":
            assert np.abs(H.sum(axis=-1)).max() <= 1e-15 * max(1.0, np.abs(H).max())
        v = rng.normal(size=n)
        M = call(f.vjp_hessian, z, v)
        want = np.einsum("i,ijk->jk", v, np.array([[[float(e) for e in r] for r in b]
                                                     for b in ref]))
        assert np.allclose(M, want, rtol=1e-13, atol=1e-15 * np.abs(v).sum() * np.abs(want).max()
                           + 1e-300), (name, z)
    B = np.stack([np.array([1.0, 2.0, 3.0]), np.array([0.0, 5.0, -5.0])])
    assert call(f.hessian, B).shape == (2, 3, 3, 3)
    assert np.array_equal(call(f.vjp_hessian, B, [1.0, 0.0, 2.0])[1],
                          call(f.vjp_hessian, B[1], [1.0, 0.0, 2.0]))


GATED_HARD = (
    # (g, u): the clamp of swiglu_oai at g = 7 (its partials there are the interior ones:
    # the float64 path's and PyTorch's clamp convention), u at ±7 and past, relu's kink
    # at 0, far tails, tiny values
    [7.0, 7.0, 7.0000000000000009, 6.999999999999999, 0.0, -0.0, -30.0, 40.0, 1e-300, -2.5, 0.5],
    [7.0, -7.0, 1.0, 7.0000000000000009, 3.0, -2.0, 1.5, -0.25, 4.0, -7.5, 0.0])


@pytest.mark.parametrize("name,approx", GATED)
def test_exact_gated_units_are_correctly_rounded(name, approx):
    from actgrad.numerics import vector_exact as X

    kw = {"approximate": approx} if name == "geglu" else {}
    f = actgrad.get(name, **kw)
    rng = np.random.default_rng(23)
    g = np.concatenate([GATED_HARD[0], rng.normal(size=6) * 4])
    u = np.concatenate([GATED_HARD[1], rng.normal(size=6) * 4])
    ref = [V.gated(name, a, b, approx) for a, b in zip(g, u)]
    y = X.gated_float(f, g, u, what="y")[0]
    assert y.tolist() == _round(r[0] for r in ref), name
    dg, du = X.gated_float(f, g, u, what="partials")
    assert dg.tolist() == _round(r[1] for r in ref), name
    assert du.tolist() == _round(r[2] for r in ref), name
    gg, gu, uu = X.gated_float(f, g, u, what="hessian")
    assert [abs(x) for x in gg.tolist()] == [abs(x) for x in _round(r[3] for r in ref)], name
    assert gu.tolist() == _round(r[4] for r in ref) and not uu.any(), name
    v = rng.normal(size=g.size)
    a, b = X.gated_float(f, g, u, what="vjp", v=v)
    with mpmath.workprec(2000):  # (g = 1e-300: the products keep σ(αg) − 1/2)
        assert a.tolist() == _round(mpmath.mpf(x) * r[1] for x, r in zip(v, ref))
        assert b.tolist() == _round(mpmath.mpf(x) * r[2] for x, r in zip(v, ref))
        tg, tu = rng.normal(size=g.size), rng.normal(size=g.size)
        got = X.gated_float(f, g, u, what="jvp", v=[tg, tu])[0]
        assert got.tolist() == _round(r[1] * x + r[2] * w for x, w, r in zip(tg, tu, ref))
    t = X.gated_text(f, g[:3], u[:3], what="partials", digits=30)
    for row, k in zip(t, (1, 2)):
        for text, r in zip(row, ref):
            with mpmath.workprec(200):
                assert abs(mpmath.mpf(text) - r[k]) <= abs(r[k]) * mpmath.mpf(10) ** -29 / 2


def test_gpt_oss_partials_at_the_clamp():
    """At g = 7 exactly, ∂y/∂g is act′(7)·(u + 1), not 0 (clamp passes the gradient at its
    end, as torch.clamp); just above 7 it is 0; ∂y/∂u at |u| = 7 is act(g)."""
    f = actgrad.get("swiglu_oai")
    dg, du = f.partials([7.0, 7.0000000000000009, 1.0], [0.0, 0.0, -7.0])
    assert ulp(dg[:1], [V.gated("swiglu_oai", 7.0, 0.0)[1]]) <= GATED_ULP
    assert dg[0] > 1.0 and dg[1] == 0.0
    assert ulp(du[2:], [V.gated("swiglu_oai", 1.0, -7.0)[2]]) <= GATED_ULP


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16", "float8_e4m3fn",
                                   "float8_e5m2"])
def test_small_dtypes_are_correctly_rounded(dtype):
    """--dtype: inputs rounded to the type, every printed value the exact one at them
    rounded once (the rigorous path): compared with the references rounded to the type,
    through the CLI's text (each type's shortest round-trip form)."""
    from actgrad.numerics import as_dtype

    dt = as_dtype(dtype)

    def back(texts):  # each printed text read back as the type (it is that type's shortest)
        return [float(np.array(float(t)).astype(dt)) for t in texts]

    rng = np.random.default_rng(31)
    for k in range(4):
        z = (rng.normal(size=3) * 3).astype(dt).astype(np.float64)
        args = [repr(float(x)) for x in z]
        for name in SOFTMAX:
            got = ok("eval", name, *args, "--dtype", dtype).split()
            assert back(got) == _round(_ref_values(name, z), dtype), (name, z)
            got = ok("deriv", name, *args, "--dtype", dtype).split()
            assert [abs(x) for x in back(got)] == [
                abs(x) for x in _round((e for r in V.jacobian(name, z) for e in r), dtype)]
        g, u = z[:2], z[1:]
        ref = [V.gated("swiglu", a, b) for a, b in zip(g, u)]
        got = ok("deriv", "swiglu", *args[:2], "--up", ",".join(args[1:]), "--dtype",
                 dtype).split()
        assert back(got) == _round([r[1] for r in ref] + [r[2] for r in ref], dtype)
    # each type's shortest form, not float64's digits of the value (0.333984375 in bfloat16)
    got = ok("eval", "softmax", "0", "0", "0", "--dtype", dtype).split()
    assert back(got) == [R.round_to(mpmath.mpf(1) / 3, dtype)] * 3
    assert len(got[0]) == {"float32": 10, "float16": 6, "bfloat16": 5, "float8_e4m3fn": 4,
                           "float8_e5m2": 3}[dtype]


def test_cli_hessian_and_exact_products():
    out = ok("deriv", "softmax", "0", "0", "0", "--order", "2").split("\n\n")
    assert len(out) == 3 and out[0].startswith("∂²y_1/∂z∂z\n")
    # at z = 0: H_111 = s(1 − s)(1 − 2s) = 2/27, H_123 = 2 s³ = 2/27, H_122 = −s²(1 − 2s)
    first = [[float(t) for t in line.split()] for line in out[0].splitlines()[1:]]
    assert first[0][0] == pytest.approx(2 / 27, rel=1e-15)
    assert first[1][2] == pytest.approx(2 / 27, rel=1e-15)
    assert first[1][1] == pytest.approx(-1 / 27, rel=1e-15)
    csv = ok("deriv", "softmax", "0", "0", "--order", "2", "-f", "csv").splitlines()
    assert [line.split(",")[0] for line in csv] == ["1", "1", "2", "2"]
    js = ok("deriv", "softmax", "1", "2", "--order", "2", "-f", "json")
    assert __import__("json").loads(js)[0][1][0][1] == float(
        actgrad.get("softmax").hessian([1.0, 2.0])[1, 0, 1])
    m = ok("deriv", "softmax", "1", "2", "3", "--order", "2", "--vjp", "1,0,0", "--exact")
    want = _round(e for r in V.vjp_hessian("softmax", [1.0, 2.0, 3.0], [1, 0, 0]) for e in r)
    assert [float(t) for t in m.split()] == want
    got = ok("deriv", "log_softmax", "50", "0", "1", "--vjp", "-1,0,0", "--digits", "6")
    want = V.matvec(V.jacobian("log_softmax", [50.0, 0.0, 1.0]), [-1, 0, 0], transpose=True)
    for text, e in zip(got.split(), want):  # s − y: its first entry is −7.17…e-22, not 0
        assert len(text.lstrip("-").split("e")[0].replace(".", "")) == 6
        with mpmath.workprec(200):
            assert abs(mpmath.mpf(text) - e) <= abs(e) * mpmath.mpf(10) ** -5 / 2
    got = ok("deriv", "swiglu", "1", "2", "3", "4", "--vjp", "1,-1", "--exact", "-p", "gate=even")
    ref = [V.gated("swiglu", 1.0, 2.0), V.gated("swiglu", 3.0, 4.0)]
    with mpmath.workprec(300):
        assert [float(t) for t in got.split()] == _round(
            [ref[0][1], ref[0][2], -ref[1][1], -ref[1][2]])
    got = ok("deriv", "swiglu_oai", "7", "8", "--up", "1,1", "--exact", "--order", "2")
    assert got.splitlines()[1] == " ".join(
        repr(R.round_to(V.gated("swiglu_oai", g, 1.0)[4], np.float64)) for g in (7.0, 8.0))


# -- command line ------------------------------------------------------------------------------


def test_cli_values_and_jacobian():
    assert ok("eval", "softmax", "0", "0") == "0.5 0.5\n"
    assert ok("deriv", "softmax", "0", "0") == "0.25 -0.25\n-0.25 0.25\n"
    assert ok("deriv", "softmax", "0", "0", "-f", "csv") == "0.25,-0.25\n-0.25,0.25\n"
    assert ok("deriv", "softmax", "0", "0", "-f", "json") == "[[[0.25, -0.25], [-0.25, 0.25]]]\n"
    assert ok("eval", "softmax", "0,-inf", "0", "-f", "jsonl") == "[0.5, 0.0, 0.5]\n"
    assert ok("deriv", "log_softmax", "0", "0", "--vjp", "1,0") == "0.5 -0.5\n"
    assert ok("deriv", "softmax", "0", "0", "--jvp", "1 0") == "0.25 -0.25\n"
    assert ok("eval", "log_softmax", "0", "-40", "--digits", "5") == "-4.2484e-18 -40.000\n"
    out = ok("eval", "softmax", input="0 0\n\n1,1,1,1\n")
    assert out == "0.5 0.5\n0.25 0.25 0.25 0.25\n"
    assert ok("deriv", "softmax", input="0 0\n0 0\n") == (
        "0.25 -0.25\n-0.25 0.25\n\n0.25 -0.25\n-0.25 0.25\n")


def test_cli_gated():
    assert ok("eval", "bilinear", "2", "3", "--up", "0.5,4") == "1.0 12.0\n"
    assert ok("eval", "bilinear", "2", "3", "0.5", "4") == "1.0 12.0\n"
    assert ok("eval", "glu", "2", "0", "-p", "gate=second") == "1.0\n"
    assert ok("deriv", "bilinear", "2", "3", "--up", "0.5,4") == "0.5 4.0\n2.0 3.0\n"
    assert ok("deriv", "reglu", "2", "-3", "--up", "5,4", "--order", "2") == (
        "0.0 0.0\n1.0 0.0\n0.0 0.0\n")
    assert ok("deriv", "bilinear", "2", "3", "0.5", "4", "--vjp", "1,1") == (
        "0.5 4.0 2.0 3.0\n")


def test_cli_errors_are_one_line():
    assert "line 2" in fail("deriv", "softmax", "--vjp", "1,0", input="0 0\n1 2 3\n")
    assert "argument 2" in fail("eval", "softmax", "1", "x")
    assert "halves" in fail("eval", "swiglu", "1", "2", "3")
    assert "--up has 1" in fail("eval", "swiglu", "1", "2", "--up", "3")
    assert "temperature" in fail("eval", "softmax", "1", "-p", "temperature=0")
    assert "--vjp" in fail("deriv", "sigmoid", "1", "--vjp", "1")
    assert "--order 3" in fail("deriv", "softmax", "1", "2", "--order", "3")
    assert "--jvp" in fail("deriv", "softmax", "1", "2", "--order", "2", "--jvp", "1,0")
    assert "--vjp has 3" in fail("deriv", "softmax", "1", "2", "--order", "2", "--vjp", "1,2,3")
    assert "--vjp has 3" in fail("deriv", "softmax", "1", "2", "--exact", "--vjp", "1,2,3")
    assert "finite" in fail("deriv", "softmax", "1", "2", "--exact", "--vjp", "1,inf")
    assert "--dtype" in fail("eval", "softmax", "1", "2", "--dtype", "float128")
    assert "--order" in fail("eval", "softmax", "1", "2", "--order", "2")
    assert "--order" in fail("deriv", "swiglu", "1", "2", "--order", "3")
    assert "line 1" in fail("eval", "softmax", input="1 abc\n")


# -- check and table -----------------------------------------------------------------------------


def test_check_passes_and_its_exit_codes():
    out = ok("check", "softmax", "log_softmax", "softmin", "swiglu", "swiglu_oai", "-f", "csv")
    lines = out.splitlines()
    assert lines[0].startswith("function,vectors,entries,max_rel_error,max_row_sum")
    assert all(line.endswith(",good,true") for line in lines[1:]) and len(lines) == 6
    r = __import__("conftest").invoke("check", "softmax", "--tol", "0")
    assert r.exit_code == 1  # its ~1e-16 is above a tolerance of 0
    assert "sigmoid" in fail("check", "softmax", "sigmoid")


def test_check_catches_the_diagonal_only_derivative(monkeypatch):
    """The tutorials' s(1 − s) on the diagonal, zeros elsewhere: the check says wrong (its
    rows no longer sum to 0 either)."""
    from actgrad.numerics import vector_check

    def diagonal_only(self, z):
        s = self.probabilities(z)
        return np.diag(s * (1 - s))

    monkeypatch.setattr(vectors.Softmax, "jacobian", diagonal_only)
    r = vector_check.check(actgrad.get("softmax"))
    assert r.verdict == "wrong" and not r.passed and not r.row_sums_ok


def test_table_lists_the_entries_with_their_numerical_values():
    out = ok("table", "softmax", "0", "0", "-f", "csv").splitlines()
    assert out[0] == "function,vector,i,j,y_i,J_ij,J_ij_numeric,rel_error"
    assert out[1] == "softmax,1,0,0,0.5,0.25,0.25,0.0"
    assert out[2] == "softmax,1,0,1,0.5,-0.25,-0.25,0.0"
    out = ok("table", "bilinear", "2", "0.5", "-f", "csv").splitlines()
    assert out[1] == "bilinear,2.0,0.5,1.0,0.5,0.5,2.0,2.0,0.0"


# -- explain ---------------------------------------------------------------------------------------


def test_explain_texts_match_across_languages():
    import string

    from actgrad.views import explain as lessons

    en, hi = lessons.load("en")["vector"], lessons.load("hi")["vector"]
    assert en.keys() == hi.keys()
    for table in en:
        assert en[table].keys() == hi[table].keys(), table
        for key, text in en[table].items():
            names = {f for _, f, _, _ in string.Formatter().parse(text) if f}
            assert names == {f for _, f, _, _ in string.Formatter().parse(hi[table][key]) if f}
            if table != "headings" and key != "title":
                assert any("\u0900" <= c <= "\u097f" for c in hi[table][key]), (table, key)


@pytest.mark.parametrize("lang", ["en", "hi"])
@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin", "swiglu", "swiglu_oai"])
def test_explain_shows_live_numbers(name, lang):
    out = ok("explain", name, "--lang", lang, "-f", "plain")
    if name in SOFTMAX:
        J = actgrad.get("softmax").jacobian([1.0, 2.0, 3.0])
        for v in (J[0, 1], J[2, 2]):  # the off-diagonal entries the tutorials leave out
            assert repr(float(v)) in out
        assert "diag(s) − s sᵀ" in out and "I − 1 sᵀ" in out and "s − y" in out
        assert repr(float(actgrad.get("log_softmax")([0.0, -40.0])[0])) in out
        H = actgrad.get("softmax").hessian([1.0, 2.0, 3.0])[0]  # the Hessian of s_1
        assert repr(float(H[0, 0])) in out and repr(float(H[1, 2])) in out
    else:
        dg, _ = actgrad.get(name).partials([0.5], [-3.0])
        assert repr(float(dg[0])) in out


def test_extreme_inputs_raise_no_floating_point_warning():
    """Every pair from the ends of the float range, subnormals, ±inf and nan, for every
    function and a few temperatures: no over/underflow or invalid flag escapes (call)."""
    import itertools

    vals = [0.0, -0.0, 1e308, -1e308, 5e-324, np.inf, -np.inf, np.nan, 700.0, -745.0]
    pairs = np.array(list(itertools.product(vals, repeat=2)))  # one row per pair: batched
    for name in SOFTMAX:
        for t in (1.0, 0.5, 1e300, 1e-300):
            f = actgrad.get(name, temperature=t)
            call(f, pairs), call(f.jacobian, pairs), call(f.vjp, pairs, [1.0, -2.0])
            call(f.jvp, pairs, [1e308, -1e308])
    g, u = pairs[:, 0], pairs[:, 1]
    for name in vectors.GATED_NAMES:
        f = actgrad.get(name)
        call(f, g, u), call(f.partials, g, u), call(f.hessian, g, u)
        call(f.vjp, pairs, [1.0]), call(f.jvp, pairs, [1.0, 1.0])


def _sig(x):
    with mpmath.workprec(200):
        return 1 / (1 + mpmath.exp(-mpmath.mpf(x)))


@pytest.mark.parametrize("name", SOFTMAX)
def test_plot_draws_the_first_entry_of_z_and_0(name):
    """plot softmax: s_1 of (z, 0), which is σ(z) (log_softmax: log σ(z), softmin: σ(−z)),
    and its derivatives, computed through the vector function; the curves' ends and middle
    against mpmath's σ."""
    from actgrad.views import plot as plotting

    view = vectors.OneZ(actgrad.get(name))
    g, d, d2 = plotting.sample([view], -6.0, 6.0, second=True)
    (zz, yy), = g.curves[0].pieces
    (_, dy), = d.curves[0].pieces
    (_, d2y), = d2.curves[0].pieces
    sign = -1 if name == "softmin" else 1
    with mpmath.workprec(200):
        def val(x):
            s = _sig(sign * x)
            return mpmath.log(s) if name == "log_softmax" else s

        def der(x):
            s, c = _sig(x), _sig(-x)
            return c if name == "log_softmax" else sign * s * c

        def der2(x):
            s, c = _sig(x), _sig(-x)
            return -s * c if name == "log_softmax" else s * c * (c - s) * sign

        for k in (0, len(zz) // 2, -1):
            assert zz[k] in (-6.0, 0.0, 6.0)
            for got, ref in ((yy[k], val(zz[k])), (dy[k], der(zz[k])), (d2y[k], der2(zz[k]))):
                assert abs(got - ref) <= 4 * np.spacing(abs(float(ref))) + 1e-300, (name, zz[k])
    out = ok("plot", name, "--width", "80", "--height", "30")
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "σ(" in out[out.index("Legend:"):]


def test_plot_gated_units_draw_their_act():
    from actgrad.views import plot as plotting

    for name in vectors.GATED_NAMES:
        out = ok("plot", name, "--width", "80", "--height", "30")
        assert max(len(line) for line in out.splitlines()) <= 80, name
        assert f"{name}'s act" in out
    # swiglu_oai: act(g) = g·σ(1.702g) up to the clamp, its constant value above; act′ jumps
    # to 0 at g = 7 (a kink, marked and noted)
    view = vectors.OneZ(actgrad.get("swiglu_oai"))
    g, d = plotting.sample([view], 0.0, 10.0)
    (zz, yy), = g.curves[0].pieces
    assert [p[0][-1] for p in d.curves[0].pieces] == [7.0, 10.0]
    ref7 = V.act("swiglu_oai", 7.0)
    assert abs(yy[-1] - float(ref7[0])) <= 4 * np.spacing(float(ref7[0]))
    assert abs(d.curves[0].pieces[0][1][-1] - float(ref7[1])) <= 4 * np.spacing(1.0)
    assert not d.curves[0].pieces[1][1].any()
    out = ok("plot", "swiglu_oai", "--start", "0", "--stop", "10", "-W", "80", "-H", "30")
    assert "kink of swiglu_oai's act" in out and "z = 7" in out
    assert "'sigmoid'" in fail("plot", "softmax", "sigmoid")


def test_a_wide_row():
    """A vocabulary-sized row goes through the pairwise sums: the values stay within bound."""
    z = np.random.default_rng(21).normal(size=1000) * 4
    for name in ("softmax", "log_softmax"):
        assert ulp(call(actgrad.get(name), z), _ref_values(name, z)) <= VALUE_ULP, name


def test_gpt_oss_at_infinite_inputs():
    """The clamps make g = +inf and u = ±inf ordinary inputs (min(g, 7) = 7): the rigorous
    path decides them like any other; at g = −inf, act → 0 (not −inf·0 = nan)."""
    from actgrad.numerics import vector_exact as X

    f = actgrad.get("swiglu_oai")
    y = X.gated_float(f, [math.inf, 7.0, -math.inf], [3.0, math.inf, 2.0], what="y")[0]
    assert y.tolist() == [R.round_to(V.gated("swiglu_oai", 7.0, 3.0)[0], np.float64),
                          R.round_to(V.gated("swiglu_oai", 7.0, 7.0)[0], np.float64), 0.0]
    dg, du = call(f.partials, [-math.inf], [2.0])
    assert dg.tolist() == [0.0] and du.tolist() == [0.0]
