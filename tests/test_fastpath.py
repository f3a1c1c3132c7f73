"""The fast entry point: `eval|deriv FUNC [Z ...]` without Typer, same results as the full CLI;
and its scalar path (actgrad/scalar.py: piecewise functions on Python floats, no numpy),
bitwise the numpy path's."""

from __future__ import annotations

import math
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
ENV.pop("ACTGRAD_NO_FASTPATH", None)


def run(args: list[str], stdin: bytes = b"", full: bool = False) -> tuple[int, bytes, bytes]:
    env = {**ENV, "ACTGRAD_NO_FASTPATH": "1"} if full else ENV
    r = subprocess.run([sys.executable, "-m", "actgrad", *args], input=stdin, capture_output=True,
                       env=env, cwd=ROOT, timeout=60)
    return r.returncode, r.stdout, r.stderr


@pytest.mark.parametrize("args,stdin", [
    (["deriv", "sigmoid", "0"], b""),
    (["eval", "tanh", "-2", "1e-3", "+5", ".5", "inf", "-inf", "nan", "1e999"], b""),
    (["deriv", "logistic", "40", "-745.5"], b""),
    (["deriv", "LReLU", "-1", "0", "1"], b""),
    (["deriv", "gelu"], b"-0.75, 0.5\n1e-300\t-38\n"),
    (["eval", "relu"], b"1\n2 abc\n"),  # an input error after good values
    (["eval", "relu"], b"\x00\xff\n"),
    (["deriv", "sigmoid"], b""),
    (["eval", "hard_swish", "-3", "3", "-1.5"], b""),
    # the scalar path (no numpy): signed zeros, specials, kinks, aliases, several per argument
    (["deriv", "relu", "1", "2", "-3", "0", "-0.0", "nan", "-inf", "1e999"], b""),
    (["eval", "leaky_relu", "-1", "0", "1", "-0.0", "-1e-320", "+5", ".5", "-Infinity"], b""),
    (["eval", "HARD-SWISH", "-3,3", "-1.5 1e-300", "2.5e-5"], b""),
    (["deriv", "relu", *map(str, range(-32, 33))], b""),  # 65 values: the numpy path
    # sigmoid and tanh′ on math.exp where it is numpy's exp (scalar.exp_is_libm); tanh's g not
    (["deriv", "tanh", "0", "1", "-0.0", "-400", "349.9", "350", "1e999", "nan", "-19.06"], b""),
    (["eval", "SIGMOID", "-745.5,-745.1", "-708.4 -37 36.7 37.5 1e-17 -1e-320 nan -inf"], b""),
    (["deriv", "Logistic", "-745.5", "-710", "0.5", "1e308", "-2.5e-8"], b""),
])
def test_fast_path_matches_the_full_command_line(args, stdin):
    assert run(args, stdin) == run(args, stdin, full=True)


@pytest.mark.parametrize("args", [
    ["deriv", "sigmod", "1"],         # unknown function: the full CLI words the suggestion
    ["deriv", "sigmoid", "-p", "x=1"],  # an option
    ["deriv", "sigmoid", "abc"],      # not a number
    ["deriv", "sigmoid", "-"],
    ["deriv", "lrelu", "-1", "-k", "jax"],
    ["eval", "relu", ""],             # the scalar path's errors are the full path's
    ["eval", "relu", "1", "1_0"],
    ["deriv", "relu", "1", "x\udcff"],
])
def test_everything_else_goes_to_the_full_command_line(args):
    assert run(args, b"0\n") == run(args, b"0\n", full=True)


def test_fast_path_does_not_import_typer_or_rich():
    code = ("import sys\nfrom actgrad.cli.main import _run\n"
            "code = _run(['deriv', 'sigmoid', '0'])\nsys.stdout.flush()\n"
            "print(code, 'typer' in sys.modules, 'rich' in sys.modules, 'mpmath' in sys.modules,"
            " file=sys.stderr)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV,
                       timeout=60)
    assert r.stdout == "0.25\n"
    assert r.stderr.split() == ["0", "False", "False", "False"]


def test_full_path_imports_no_rich_for_plain_output():
    code = ("import sys\nfrom actgrad.cli.main import _run\n"
            "_run(['deriv', 'sigmoid', '0', '-k', 'jax'])\nsys.stdout.flush()\n"
            "print('rich' in sys.modules, 'mpmath' in sys.modules, file=sys.stderr)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV,
                       timeout=60)
    assert r.stdout == "0.25\n"
    assert r.stderr.split() == ["False", "False"]


def test_scalar_path_imports_no_numpy():
    code = ("import sys\nfrom actgrad.cli.main import _run\n"
            "code = _run(['deriv', 'hard_swish', '1', '-3'])\nsys.stdout.flush()\n"
            "print(code, 'numpy' in sys.modules, file=sys.stderr)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV,
                       timeout=60)
    assert r.stdout == f"{5 / 6!r}\n0.0\n"  # (2·1 + 3)/6 rounded once; PyTorch's 0 at −3
    assert r.stderr.split() == ["0", "False"]


def test_scalar_path_write_error_is_the_full_paths():
    def full_disk(full):
        with open("/dev/full", "wb") as out:
            env = {**ENV, "ACTGRAD_NO_FASTPATH": "1"} if full else ENV
            r = subprocess.run([sys.executable, "-m", "actgrad", "eval", "relu", "1", "2"],
                               stdout=out, stderr=subprocess.PIPE, env=env, cwd=ROOT, timeout=60)
        return r.returncode, r.stderr

    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")
    assert full_disk(False) == full_disk(True) == (
        1, b"actgrad: cannot write output: No space left on device\n")


def test_scalar_path_takes_sigmoid_only_where_exp_is_libm():
    """sigmoid's g′ takes the scalar path (no numpy) exactly where scalar.exp_is_libm() says
    numpy's float64 exp is the C library's; tanh's g (numpy's own SIMD tanh) never does."""
    from actgrad import scalar

    code = ("import sys\nfrom actgrad.cli.main import _run\n"
            "_run([sys.argv[1], sys.argv[2], '0'])\nsys.stdout.flush()\n"
            "print('numpy' in sys.modules, file=sys.stderr)")
    for op, name, want, scalar_ok in (("deriv", "sigmoid", "0.25", True),
                                      ("deriv", "tanh", "1.0", True),
                                      ("eval", "tanh", "0.0", False)):
        r = subprocess.run([sys.executable, "-c", code, op, name], capture_output=True,
                           text=True, env=ENV, timeout=60)
        assert r.stdout == want + "\n"
        assert r.stderr.split() == [str(not (scalar_ok and scalar.exp_is_libm()))], (op, name)


def test_exp_gate_agrees_with_numpys_own_dispatch():
    """Where scalar.exp_is_libm() opens, numpy itself reports no AVX512F and runs no AVX512
    target for float64 exp; the version it reads is numpy's own."""
    import numpy as np

    from actgrad import scalar

    major, minor = (int(p) for p in np.__version__.split(".")[:2])
    assert scalar._numpy_version_in((major, minor), (major, minor))
    assert not scalar._numpy_version_in((major, minor + 1), (major + 1, 0))
    assert not scalar._numpy_version_in((0, 0), (major, minor - 1))
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as features
    except ImportError:  # numpy 1.26
        from numpy.core._multiarray_umath import __cpu_features__ as features
    if scalar._cpu_without_avx512f():
        assert not features.get("AVX512F") and not features.get("AVX512_SKX")
    if not scalar.exp_is_libm():
        return
    introspect = getattr(np.lib, "introspect", None)
    if introspect is not None and hasattr(introspect, "opt_func_info"):
        current = introspect.opt_func_info(func_name="^exp$", signature="float64")
        targets = [t["current"] for t in current["exp"].values()]
        assert targets and not any("512" in t or "V4" in t for t in targets), targets
    z = np.linspace(-745.5, 0.0, 200_001)  # every exponent sigmoid and tanh′ pass to exp
    want = np.exp(z)
    assert _bits_equal(want, [math.exp(v) for v in z.tolist()]).all()


def test_exp_gate_reads_every_cpus_flags(tmp_path):
    """A cpuinfo of 64 CPUs (115 KB) whose last 16 list avx512f keeps the gate closed; the
    same without them opens it; no flags lines, or no file, keep it closed."""
    from actgrad import scalar

    def cpuinfo(avx512_from):
        return b"".join(
            b"processor\t: %d\nmodel name\t: test\nflags\t\t: fpu sse2 avx2 fma%s %s\n"
            b"bugs\t\t: none\n\n" % (i, b" avx512f" if i >= avx512_from else b"",
                                          b"x" * 1700) for i in range(64))

    for name, text, want in (("mixed", cpuinfo(48), False), ("none", cpuinfo(64), True),
                             ("first", cpuinfo(0), False), ("noflags", b"processor\t: 0\n", False)):
        path = tmp_path / name
        path.write_bytes(text)
        assert len(text) < 1000 or len(text) > 65536
        assert scalar._no_avx512f_in(str(path)) is want, name
    assert scalar._no_avx512f_in(str(tmp_path / "missing")) is False


def _bits_equal(want, got):
    """Bit for bit (signed zeros apart), or both nan (every nan prints as 'nan')."""
    import numpy as np

    want, got = np.asarray(want, np.float64), np.asarray(got, np.float64)
    return (want.view(np.int64) == got.view(np.int64)) | (np.isnan(want) & np.isnan(got))


def test_scalar_functions_are_the_registrys_bit_for_bit():
    """g and g′ of every function of the scalar path against registry.get(name) (its numpy
    kernels) over the stress grid, the specials and random bit patterns: the proof the
    scalar path relies on (actgrad/scalar.py); any change to a kernel shows here."""
    import numpy as np

    import stress
    from actgrad import registry, scalar

    specials = [0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan, 5e-324, -5e-324, 2.0**-1022,
                -(2.0**-1022), 1.7976931348623157e308, -1.7976931348623157e308, 2.0**-500,
                -(2.0**-500), 2.0**-501, 1e-160, -1e-160]
    rng = np.random.default_rng(15)
    random = np.concatenate([rng.integers(-2**63, 2**63 - 1, 2000, dtype=np.int64).view(
        np.float64), rng.uniform(-8, 8, 2000)])
    tables = [scalar.FUNCTIONS.items()]
    if scalar.exp_is_libm():
        tables.append(scalar.EXP_FUNCTIONS.items())
    else:  # the gate closed: none of these may take the scalar path
        assert not any(scalar.resolve(name, d) for name in scalar.EXP_FUNCTIONS
                       for d in (False, True))
    for name, (_, defaults, g, *_) in (item for table in tables for item in table):
        f = registry.get(name)
        assert dict(f.params) == defaults, name
        z = np.concatenate([stress.grid(name, dict(f.params)), specials, random])
        zs = z.tolist()
        for deriv, want in ((False, f(z)), (True, f.deriv(z))):
            if not deriv and g is None:
                assert scalar.resolve(name, False) is None
                continue
            assert scalar.resolve(name, deriv) == name
            same = _bits_equal(want, scalar.evaluate(name, deriv, zs))
            bad = np.flatnonzero(~same)
            assert not bad.size, (name, "g′" if deriv else "g", z[bad[:5]].tolist())


def test_scalar_names_are_the_catalogues():
    """Each name and alias of a scalar function resolves to it, as in the registry; no other
    name resolves (a variant name with fixed parameters would need them)."""
    from actgrad import registry, scalar

    for name in registry.all_names():
        got = scalar.canonical(name)
        sp = registry.spec(name)
        if sp.name in scalar.FUNCTIONS:
            assert got == sp.name and not registry.fixed_params(name), name
        else:
            assert got is None, name
    for name in scalar.FUNCTIONS:
        assert registry.spec(name).name == name
        assert scalar.canonical(" " + name.upper().replace("_", "-")) == name
    for name, (aliases, *_) in scalar.EXP_FUNCTIONS.items():
        sp = registry.spec(name)
        assert sp.name == name and set(aliases) == set(sp.aliases) and not sp.params, name
        assert scalar.canonical(name) is None


def test_scalar_path_cuts_a_file_back_to_whole_lines_as_the_full_path(tmp_path):
    """A file size limit (ulimit -f 1: 1024 bytes) stops the write part of the way through:
    both paths leave the same whole lines and say so in one line, exit 1."""
    import shlex
    import shutil

    if shutil.which("bash") is None:
        pytest.skip("no bash")
    values = [f"-1.234567890123456{i % 10}e-300" for i in range(60)]  # 1500 bytes of output
    got = []
    for full in (False, True):
        out = tmp_path / f"out{full}.txt"
        env = {**ENV, "ACTGRAD_NO_FASTPATH": "1"} if full else ENV
        cmd = shlex.join([sys.executable, "-m", "actgrad", "eval", "identity", *values])
        r = subprocess.run(["bash", "-c", f"ulimit -f 1; {cmd} > {shlex.quote(str(out))}"],
                           capture_output=True, env=env, cwd=ROOT, timeout=60)
        got.append((r.returncode, r.stderr, out.read_bytes()))
    assert got[0] == got[1]
    code, err, text = got[0]
    assert code == 1 and err == b"actgrad: cannot write output: File too large\n"
    assert 0 < len(text) <= 1024 and text.endswith(b"\n")
    lines = text.decode().split()
    assert [float(t) for t in lines] == [float(v) for v in values[:len(lines)]]
