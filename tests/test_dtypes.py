"""float32 and float16: correctly rounded, for every function, g, g′ and g′ from the output.

The expected value is the exact value rounded once to the small type
(tests/catalogue_reference.py: independent formulas in arb balls with a proven rounding,
cross-checked against mpmath), never the float64 result rounded again (double rounding:
rrelu's slope·z, silu and gelu on float32 subnormals, sigmoid near 1/2 were wrong that way).

In the suite: float16 over a stride through all 63,488 finite values plus, for each function,
the inputs whose float64 result lies near a float16 rounding boundary (where double rounding
bites); float32 over every subnormal binade, a random sample and its near-boundary inputs;
issue 9's cases. The exhaustive float16 sweep (every input, every function, g and g′) is
benchmarks/dtype_rounding.py; all 2^32 float32 inputs of one function:
benchmarks/float32_exhaustive.py.
"""

from __future__ import annotations

import math
import os
import sys
from fractions import Fraction

import ml_dtypes
import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
import catalogue_reference as C  # noqa: E402
import reference  # noqa: E402

import actgrad  # noqa: E402
from actgrad.registry import _near_boundary  # noqa: E402

ALL16 = np.arange(2**16, dtype=np.uint16).view(np.float16)
FINITE16 = ALL16[np.isfinite(ALL16)]
RNG = np.random.default_rng(7)
SAMPLE32 = RNG.integers(0, 2**32, 20_000, dtype=np.uint64).astype(np.uint32).view(np.float32)
SAMPLE32 = SAMPLE32[np.isfinite(SAMPLE32)]


def subnormals32():
    """Two mantissas of every bit length 1..23 (every subnormal binade), both signs."""
    k = [1, 1]
    for bits in range(2, 24):
        k += RNG.integers(1 << (bits - 1), 1 << bits, 2).tolist()
    u = np.array(k, dtype=np.uint32)
    return np.concatenate([u, u | np.uint32(0x80000000)]).view(np.float32)


def quiet(fn, *args, **kwargs):
    with np.errstate(all="raise"):
        return fn(*args, **kwargs)


def near(f, deriv, z, dtype, cap=40):
    """Inputs whose float64 result is near a rounding boundary of dtype (at most cap)."""
    with np.errstate(all="ignore"):
        r = (f.deriv if deriv else f)(z.astype(np.float64))
    return z[_near_boundary(np.asarray(r), np.dtype(dtype))][:cap]


def check(name, deriv, z):
    f = C.activation(name)
    got = quiet(f.deriv if deriv else f, z)
    assert got.dtype == z.dtype and got.shape == z.shape
    want = [C.rounded_fast(name, v, deriv, z.dtype) for v in z.tolist()]
    bad = [(v, g, w) for v, g, w in zip(z.tolist(), got.tolist(), want)
           if not (g == w or (g != g and w != w))]
    assert not bad, f"{name}{'′' if deriv else ''} in {z.dtype}: {len(bad)} mis-rounded, " \
                    f"e.g. z={bad[0][0]!r}: {bad[0][1]!r}, exact rounds to {bad[0][2]!r}"


@pytest.mark.parametrize("name", C.NAMES)
def test_float16_correctly_rounded(name):
    f = C.activation(name)
    for deriv in (False, True):
        z = np.concatenate([FINITE16[::211], np.float16([0, -0.0, 65504, -65504]),
                            near(f, deriv, FINITE16, np.float16)])
        check(name, deriv, z)


@pytest.mark.parametrize("name", C.NAMES)
def test_float32_correctly_rounded(name):
    f = C.activation(name)
    for deriv in (False, True):
        z = np.concatenate([subnormals32(), SAMPLE32[:60],
                            np.float32([1.1754944e-38, -1.1754944e-38, 3.4028235e38]),
                            near(f, deriv, SAMPLE32, np.float32)])
        check(name, deriv, z)


def test_issue_9_cases():
    r = actgrad.get("rrelu")(np.float32(-1.4585387706756592))
    assert r.dtype == np.float32 and r == np.float32(-0.33424845)
    s = actgrad.get("sigmoid")(np.float32(3.5762786865234375e-07))
    assert s == np.float32(0.50000006)
    # rrelu: (1/8 + fl(1/3))/2·z is a hair below the float16 midpoint 599.5·2^−24
    z = np.float16(-0.00015592575073242188)
    assert actgrad.get("rrelu")(z) == np.float16(-599 * 2.0**-24)
    assert C.rounded_fast("rrelu", float(z), False, np.float16) == -599 * 2.0**-24
    for name in ("gelu", "silu", "hard_swish", "gelu_tanh"):
        check(name, False, subnormals32())


@pytest.mark.parametrize("name", C.FROM_OUTPUT)
def test_deriv_from_output_correctly_rounded(name):
    """g′ from a: the exact g′ at the float a (the from-output formula on the exact a)."""
    f = C.activation(name)
    for dtype, z in ((np.float16, FINITE16[::97]), (np.float32, SAMPLE32[::50])):
        with np.errstate(all="ignore"):
            a = np.unique(f(z))
        a = a[np.isfinite(a)]
        if name == "hardshrink":
            a = a[(a == 0) | (np.abs(a) > 0.5)]
        got = quiet(f.deriv_from_output, a)
        assert got.dtype == dtype
        p = dict(f.params)
        for ai, g in zip(a.tolist(), got.tolist()):
            kink = [k for k in f.kinks if k.unique_output and f.spec.g(np.float64(k.at), p) == ai]
            want = (reference.round_to(kink[0].exact_slope("pytorch", __import__("mpmath")), dtype)
                    if kink else C.rounded_fast(name, ai, True, dtype, from_output=True))
            assert g == want, f"{name} from a={ai!r} ({np.dtype(dtype)}): {g!r} vs {want!r}"


def test_boundary_test_is_cheap_and_rare():
    """The exact fallback runs only where the float64 result is near a boundary."""
    f = actgrad.get("sigmoid")
    z = SAMPLE32
    with np.errstate(all="ignore"):
        fire = _near_boundary(f(z.astype(np.float64)), np.dtype(np.float32))
    assert fire.mean() < 1e-3


def test_cli_float16(tmp_path):
    from typer.testing import CliRunner

    from actgrad.cli.app import app

    r = CliRunner().invoke(app, ["deriv", "sigmoid", "0", "3", "100000", "--dtype", "float16"])
    assert r.exit_code == 0
    # 100000 rounds to inf in float16; σ′(3) = 0.04517666… rounds to the float16 0.04517
    assert r.stdout.split() == ["0.25", str(np.float16(0.0451766597309)), "0.0"]


@pytest.mark.parametrize("name", actgrad.names())
def test_any_float64_bit_pattern_is_quiet(name):
    """Random bit patterns, signalling NaNs and all: no floating-point exception escapes."""
    z = np.random.default_rng(11).integers(0, 2**64, 20_000, dtype=np.uint64).view(np.float64)
    z = np.concatenate([z, np.array([0x7FF0000000000001, 0xFFF4000000000000],
                                    dtype=np.uint64).view(np.float64)])  # signalling NaNs
    f = actgrad.get(name)
    lo, hi = f.spec.domain(dict(f.params))  # log1mexp: nan below 0, as JAX's value
    with np.errstate(invalid="ignore"):
        outside = (z < lo) | (z > hi)
    for method in (f, f.deriv):
        out = quiet(method, z)
        assert np.isnan(out[np.isnan(z) | outside]).all()
        assert not np.isnan(out[~np.isnan(z) & ~outside]).any()
    for small in (np.float32, np.float16):  # the exact fallback is quiet too
        with np.errstate(invalid="ignore", over="ignore"):
            zs = z.astype(small)
        for method in (f, f.deriv):
            quiet(method, zs)


# -- ml_dtypes: bfloat16 and the two OCP 8-bit formats ------------------------------------

ML = {name: np.dtype(getattr(ml_dtypes, name)) for name in ("bfloat16", "float8_e4m3fn",
                                                              "float8_e5m2")}


def all_finite(dtype):
    bits = np.arange(2 ** (8 * dtype.itemsize), dtype=np.uint16 if dtype.itemsize == 2
                     else np.uint8)
    v = bits.view(dtype)
    with np.errstate(invalid="ignore"):  # (signalling NaN patterns)
        return v[np.isfinite(v.astype(np.float64))]


@pytest.mark.parametrize("dtype", list(ML.values()), ids=list(ML))
def test_reference_rounding_agrees_with_ml_dtypes(dtype):
    """The references' rounding (tests/reference.py, from the formats' definitions) and
    ml_dtypes' float64 conversion agree: on every midpoint between neighbours, a hair either
    side of it, past the top, and random values; so both are right or both are wrong alike."""
    v = np.unique(all_finite(dtype).astype(np.float64))
    mids = (v[:-1] + v[1:]) / 2
    top = float(v[-1])
    x = np.concatenate([v, mids, np.nextafter(mids, np.inf), np.nextafter(mids, -np.inf),
                        [top * 1.03, top * 1.1, top * 4, 1e300, -1e300, 2.0**-200],
                        RNG.standard_normal(2000) * 10.0 ** RNG.integers(-8, 6, 2000)])
    want = np.array([reference.round_to(float(t), dtype) for t in x])
    with np.errstate(over="ignore", invalid="ignore"):
        got = x.astype(dtype).astype(np.float64)
    same = (got == want) | (np.isnan(got) & np.isnan(want))
    assert same.all(), f"{dtype}: {x[~same][:3]} → {got[~same][:3]} vs {want[~same][:3]}"


def check_ml(name, order, z):
    f = C.activation(name)
    with np.errstate(all="raise"):
        got = f(z) if order == 0 else f.deriv(z, order=order)
    assert got.dtype == z.dtype and got.shape == z.shape
    got = got.astype(np.float64).tolist()
    if order < 2:
        want = [C.rounded_fast(name, v, bool(order), z.dtype) for v in z.astype(np.float64).tolist()]
    else:
        p = dict(f.params)
        jumps = reference.second_jumps(name, p)
        want = [reference.round_to(reference.second_jump(name, v, "pytorch", p) if v in jumps
                                   else reference.second(name, v, p), z.dtype)
                for v in z.astype(np.float64).tolist()]
    bad = [(v, g, w) for v, g, w in zip(z.astype(np.float64).tolist(), got, want)
           if not (g == w or (g != g and w != w))]
    assert not bad, f"{name} order {order} in {z.dtype}: {len(bad)} mis-rounded, e.g. " \
                    f"z={bad[0][0]!r}: {bad[0][1]!r}, exact rounds to {bad[0][2]!r}"


@pytest.mark.parametrize("name", C.NAMES)
def test_float8_every_input_correctly_rounded(name):
    """Every finite float8_e4m3fn and float8_e5m2 input, g and g′: the exact value rounded
    once (past e4m3fn's top, 448, that is NaN: the type has no inf)."""
    for dtype in (ML["float8_e4m3fn"], ML["float8_e5m2"]):
        for order in (0, 1):
            check_ml(name, order, all_finite(dtype))


@pytest.mark.parametrize("name", C.NAMES)
def test_bfloat16_correctly_rounded(name):
    """bfloat16: a stride through all finite inputs (the full sweep is
    benchmarks/dtype_rounding.py) plus the inputs whose float64 result is near a bfloat16
    rounding boundary."""
    f = C.activation(name)
    dt = ML["bfloat16"]
    fin = all_finite(dt)
    for order in (0, 1):
        with np.errstate(all="ignore"):
            r = (f.deriv if order else f)(fin.astype(np.float64))
        close = fin[_near_boundary(np.asarray(r), dt)][:40]
        check_ml(name, order, np.concatenate([fin[::257], close,
                                              np.array([0, -0.0, 3.0e38, -3.0e38], dtype=dt)]))


@pytest.mark.parametrize("dtype", list(ML.values()), ids=list(ML))
def test_ml_dtypes_second_derivative_correctly_rounded(dtype):
    fin = all_finite(dtype)
    z = fin if dtype.itemsize == 1 else fin[::509]
    for name in ("sigmoid", "tanh", "silu", "mish", "gelu", "elu", "softsign", "softplus",
                 "hard_swish", "log_sigmoid", "selu"):
        check_ml(name, 2, z)


def _sig_digits(text):
    m = text.lstrip("-").split("e")[0].replace(".", "").lstrip("0").rstrip("0")
    return max(len(m), 1)


@pytest.mark.parametrize("dtype", list(ML.values()), ids=list(ML))
def test_ml_dtypes_print_shortest_round_trip(dtype):
    """Each value's text (every float8 value; a stride of bfloat16's) is the decimal rounded
    exactly (mpmath, a correct rounding of the decimal itself, not through float64) back to
    the value, and no decimal with one digit fewer does: neither of the two nearest ones."""
    from decimal import ROUND_CEILING, ROUND_FLOOR, Context, Decimal

    from actgrad.io.numbers import format_floats

    vals = all_finite(dtype)
    if dtype.itemsize == 2:
        vals = np.concatenate([vals[::61], vals[:40], vals[-40:]])
    texts = format_floats(vals)
    with reference.mpmath.workprec(400):
        for v, t in zip(vals.astype(np.float64).tolist(), texts):
            if v == 0:  # (mpf has no signed zero)
                assert t == ("-0.0" if math.copysign(1, v) < 0 else "0.0")
                continue
            assert reference.round_to(reference.mpmath.mpf(t), dtype) == v, (v, t)
            k = _sig_digits(t)
            if k == 1:
                continue
            for rounding in (ROUND_FLOOR, ROUND_CEILING):
                d = Context(prec=k - 1, rounding=rounding).create_decimal(Decimal(v))
                assert reference.round_to(reference.mpmath.mpf(str(d)), dtype) != v, (v, t, d)
    assert format_floats(np.array([0.1, 448, -2.5], dtype=ML["bfloat16"])) == \
        ["0.1", "448.0", "-2.5"]
    assert format_floats(np.array([448, -0.0, np.nan], dtype=ML["float8_e4m3fn"])) == \
        ["450.0", "-0.0", "nan"]  # 448's cell is [432, 464]: 450 is its shortest decimal


def test_cli_ml_dtypes():
    """--dtype bfloat16/float8: the inputs rounded to the type, each result the exact value
    rounded once, printed shortest (format_floats, tested above); e4m3fn has no inf."""
    from typer.testing import CliRunner

    from actgrad.cli.app import app
    from actgrad.io.numbers import format_floats

    zs = ["0", "0.1", "3", "40", "-2.5"]
    for name, dt in ML.items():
        r = CliRunner().invoke(app, ["deriv", "sigmoid", *zs, "--dtype", name])
        assert r.exit_code == 0, r.output
        z = np.array([float(t) for t in zs]).astype(dt)
        want = np.array([C.rounded_fast("sigmoid", v, True, dt) for v in
                         z.astype(np.float64).tolist()]).astype(dt)
        assert r.stdout.split() == format_floats(want), name
        exact = CliRunner().invoke(app, ["deriv", "sigmoid", *zs, "--dtype", name, "--exact"])
        assert exact.stdout == r.stdout, name  # (the rigorous path agrees, by proof)
    r = CliRunner().invoke(app, ["eval", "selu", "400", "1e6", "-inf", "--dtype",
                                 "float8_e4m3fn", "--format", "csv"])
    # 400 is an e4m3fn value; selu(400) = 420.28… rounds to 416 (whose shortest text is
    # 420.0: its cell is [400, 432]); 1e6 and -inf are not representable (no inf): nan
    rows = [line.split(",") for line in r.stdout.splitlines()]
    assert rows[0] == ["z", "g"] and len(rows) == 4
    got = np.array([float(g) for _, g in rows[1:]]).astype(ML["float8_e4m3fn"])
    assert float(got[0]) == C.rounded_fast("selu", 400.0, False, ML["float8_e4m3fn"]) == 416.0
    assert np.isnan(got[1:].astype(np.float64)).all()


def test_api_keeps_ml_dtypes():
    for dt in ML.values():
        z = np.array([-1.0, 0.5, 2.0]).astype(dt)
        for name in ("sigmoid", "gelu", "relu"):
            f = actgrad.get(name)
            assert f(z).dtype == dt and f.deriv(z).dtype == dt
            assert f.deriv(z, order=2).dtype == dt
        a = actgrad.get("tanh")(z)
        fo = actgrad.get("tanh").deriv_from_output(a)
        assert fo.dtype == dt
        want = [C.rounded_fast("tanh", v, True, dt, from_output=True)
                for v in a.astype(np.float64).tolist()]
        assert fo.astype(np.float64).tolist() == want


# -- decimal input rounded once to the --dtype (not through float64 first) -------------------

ROUNDED_ONCE = {"float32": np.dtype(np.float32), "float16": np.dtype(np.float16), **ML}
_UINT = {1: np.uint8, 2: np.uint16, 4: np.uint32}


def _value(bits, dt):
    """The value of a non-negative bit pattern; the pattern after the largest finite one (inf,
    or e4m3fn's nan) stands for the next step, top + (top - its neighbour below)."""
    u = _UINT[dt.itemsize]
    v = float(np.array(bits, dtype=u).view(dt).astype(np.float64))
    if math.isfinite(v):
        return Fraction(v)
    top, below = _value(bits - 1, dt), _value(bits - 2, dt)
    return 2 * top - below


def _nearest(x, dt):
    """The nearest value of dt to the rational x, ties to the even bit pattern, by exact
    comparison of the candidates around a first guess (one step either way of it)."""
    u = _UINT[dt.itemsize]
    ax = abs(x)
    with np.errstate(over="ignore", invalid="ignore"):
        guess = np.array(float(ax)).astype(dt)
    b0 = int(guess.view(u)) if np.isfinite(guess.astype(np.float64)) else _top_bits(dt)
    cands = [b for b in (b0 - 1, b0, b0 + 1, b0 + 2) if b >= 0 and b <= _top_bits(dt) + 1]
    best = min(cands, key=lambda b: (abs(_value(b, dt) - ax), b % 2))
    r = np.array(best, dtype=u).view(dt)
    return -r if x < 0 else r


def _top_bits(dt):
    return int(np.array(ml_dtypes.finfo(dt).max, dtype=dt).view(_UINT[dt.itemsize]))


def _midpoint_texts(dt):
    """Decimal texts on, just above and just below midpoints of dt (each parsing to the
    midpoint in float64), of both signs: at the subnormals, the subnormal/normal step, 1,
    the step below 2, and near overflow (the midpoint past the largest finite value)."""
    from decimal import Decimal, localcontext

    one = int(np.array(1.0, dtype=dt).view(_UINT[dt.itemsize]))
    two = int(np.array(2.0, dtype=dt).view(_UINT[dt.itemsize]))
    top = _top_bits(dt)
    pairs = [(0, 1), (2, 3), (3, 4), (one, one + 1), (two - 1, two), (top - 1, top),
             (top, top + 1)]
    texts = []
    with localcontext() as ctx:
        ctx.prec = 400
        for a, b in pairs:
            m = (_value(a, dt) + _value(b, dt)) / 2
            d = Decimal(m.numerator) / Decimal(m.denominator)  # exact: a dyadic rational
            for t in (d, d * (1 + Decimal("1e-22")), d * (1 - Decimal("1e-22"))):
                for s in (t, -t):
                    text = str(s)
                    assert abs(float(text)) == float(m), text  # (a float64 midpoint)
                    texts.append(text)
    return texts


@pytest.mark.parametrize("name", list(ROUNDED_ONCE))
def test_decimal_input_rounded_once(name):
    """`1.00048828125000001 --dtype float16` is 1.0009765625 (the decimal lies above the
    midpoint 1.00048828125, onto which float64 rounds it; float16 would then tie to 1.0):
    each text rounds once to the type, from the arguments and from stdin alike."""
    from typer.testing import CliRunner

    from actgrad.cli.app import app
    from actgrad.io.numbers import format_floats

    dt = ROUNDED_ONCE[name]
    texts = _midpoint_texts(dt)
    want = format_floats(np.array([_nearest(Fraction(t), dt) for t in texts], dtype=dt))
    r = CliRunner().invoke(app, ["eval", "identity", "--dtype", name, *texts])
    assert r.exit_code == 0, r.output
    assert r.stdout.split() == want
    r = CliRunner().invoke(app, ["eval", "identity", "--dtype", name],
                           input=("\n".join(texts) + "\n").encode())
    assert r.exit_code == 0, r.output
    assert r.stdout.split() == want


def test_decimal_input_rounded_once_pipe_and_vectors():
    """Through a real pipe (the reader thread, --on-invalid nan), and the vector functions'
    values and --vjp, which read their texts apart: 1.00048828125000001 is float16's
    1.0009765625."""
    import subprocess

    above = "1.00048828125000001"
    assert float(above) == 1.00048828125  # (the float16 midpoint above 1.0)
    r = subprocess.run([sys.executable, "-m", "actgrad", "eval", "identity", "--dtype",
                        "float16", "--on-invalid", "nan"], input=f"x,{above} -{above}\n",
                       capture_output=True, text=True, timeout=60,
                       cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["nan", "1.001", "-1.001"]
    from typer.testing import CliRunner

    from actgrad.cli.app import app

    def run(*args, input=None):
        r = CliRunner().invoke(app, [*args, "--dtype", "float16"], input=input)
        assert r.exit_code == 0, r.output
        return r.stdout

    exact = run("eval", "softmax", "1.0009765625", "0")
    assert run("eval", "softmax", above, "0") == exact != run("eval", "softmax", "1", "0")
    assert run("eval", "softmax", input=f"{above} 0\n".encode()) == exact
    vjp = run("deriv", "softmax", "0", "0", "--vjp", "1.0009765625,0")
    assert run("deriv", "softmax", "0", "0", "--vjp", f"{above},0") == vjp
