"""Helpers shared by the test modules (import them: ``from conftest import call, ok``).

pytest puts this directory on sys.path (rootdir-less tests/, "prepend" import mode), which
is also how the modules find ``reference`` (tests/reference.py, the mpmath references)
and ``stress`` (tests/stress.py, the stress grids); benchmarks/accuracy.py puts it there
itself.

- ``neighbours(x, n, dtype)``: x and its n floating-point neighbours on each side;
- ``call(fn, ...)``: a call into actgrad where any floating-point warning is an error;
- ``call32(fn, ...)``: the same, allowing only the over/underflow of the final rounding
  to float32 (the registry casts its float64 result outside its own errstate);
- ``ok(*argv)`` / ``fail(*argv)``: run the command line in-process (typer's CliRunner) and
  assert success with nothing on stderr, or exit 2 (or the code given first) with exactly
  one ``actgrad: ...`` line on stderr and no traceback (``one_error_line`` checks the
  stderr of a real process the same way).
"""

from __future__ import annotations

import warnings

import numpy as np


def neighbours(x, n: int, dtype=np.float64) -> list:
    """[x, up1, down1, up2, down2, ...]: x and n nextafter steps each side, in dtype
    (stepping past ±max gives ±inf, quietly)."""
    t = np.dtype(dtype).type
    out, up, down = [t(x)], t(x), t(x)
    with np.errstate(all="ignore"):
        for _ in range(n):
            up, down = np.nextafter(up, t(np.inf)), np.nextafter(down, t(-np.inf))
            out += [up, down]
    return out


def call(fn, *args, **kwargs):
    """Call into actgrad; any floating-point warning or RuntimeWarning is an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            return fn(*args, **kwargs)


def call32(fn, *args, **kwargs):
    """As call, for float32 inputs: the registry casts the float64 result to float32 outside
    its own errstate, and that cast raises the underflow / overflow flags for results beyond
    float32's range (correctly: they round to 0 or inf). Those two flags are allowed here;
    the float64 computation itself is checked strictly on the same inputs."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise", under="ignore", over="ignore"):
            return fn(*args, **kwargs)


# -- the command line, in-process ------------------------------------------------------------

_RUNNER = None


def invoke(*args: str, input=None, env=None):
    """typer's CliRunner on actgrad's app (imported on first use)."""
    global _RUNNER
    from typer.testing import CliRunner

    from actgrad.cli.app import app

    if _RUNNER is None:
        _RUNNER = CliRunner()
    return _RUNNER.invoke(app, list(args), input=input, env=env)


def ok(*args: str, input=None, env=None, note: str | None = None) -> str:
    """stdout of a successful run; stderr must be empty (or contain ``note``, a notice the
    caller expects, such as test_cli's "token(s)" for skipped input)."""
    r = invoke(*args, input=input, env=env)
    assert r.exit_code == 0, (r.exit_code, r.stdout, r.stderr)
    assert r.stderr == "" or (note is not None and note in r.stderr), r.stderr
    return r.stdout


def fail(*args, input=None, env=None) -> str:
    """The one stderr line of a failing run: exit 2, or the exit code given as the first
    argument (``fail(1, "check", ...)``); no traceback anywhere."""
    code = 2
    if args and isinstance(args[0], int):
        code, args = args[0], args[1:]
    r = invoke(*args, input=input, env=env)
    assert r.exit_code == code, (r.exit_code, r.stdout, r.stderr)
    assert "Traceback" not in r.stdout
    return one_error_line(r.stderr)


def one_error_line(stderr: str | bytes) -> str:
    """stderr (text, or a subprocess's bytes) is exactly one ``actgrad: ...`` line, with no
    traceback or "Exception ignored" note."""
    text = stderr.decode() if isinstance(stderr, bytes) else stderr
    assert "Traceback" not in text and "Exception ignored" not in text, text
    lines = text.splitlines()
    assert len(lines) == 1, text
    assert lines[0].startswith("actgrad: "), text
    return lines[0]


def check_ulp(label, z, got, exact, dtype, tol):
    """Fail (one line, no traceback) when `got` is more than `tol` ULP of `dtype` from the
    exact values, naming the worst z, what was got there and the correctly rounded value;
    return the largest error. `got` must have `dtype` and z's shape."""
    import pytest
    import reference as ref

    got, z = np.asarray(got), np.asarray(z)
    assert got.dtype == np.dtype(dtype), f"{label}: dtype {got.dtype}"
    assert got.shape == z.shape, f"{label}: shape {got.shape}, not {z.shape}"
    err = ref.ulp_error(got, exact, dtype).reshape(-1)
    i = int(np.argmax(err))
    worst = float(err[i])
    if not worst <= tol:
        pytest.fail(
            f"{label}: max ULP error {worst:.4g} > {tol} at z={float(z.reshape(-1)[i])!r} (got "
            f"{float(got.reshape(-1)[i])!r}, correctly rounded "
            f"{ref.round_to(list(exact)[i], dtype)!r}); "
            f"{int(np.sum(err > tol))}/{err.size} points over", pytrace=False)
    return worst

