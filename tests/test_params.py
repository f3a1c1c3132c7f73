"""Parameters at the edges of their domains: quiet, finite where the math is, or refused."""

from __future__ import annotations

import math
import os
import pathlib
import subprocess
import sys
import warnings

import numpy as np
import pytest

import actgrad
from actgrad.numerics import gradcheck
from actgrad.registry import spec

sys.path.insert(0, os.path.dirname(__file__))
import checks  # noqa: E402

# subnormal and tiny values too: softplus with β <= 1e-305 gave nan at ±inf and warned
VALUES = [0.0, -0.0, 5e-324, -5e-324, 1e-320, 2.2e-308, 1e-305, 1e-300, -1e-300, 1e-30, 0.001,
          0.5, 1.0, 2.0, 2.5, -2.0, 1e30, 1e100, 1e200, 1e300, 1.7e308, -1.7e308, -1e300,
          math.inf, math.nan]
Z = np.array([0.0, -0.0, 5e-324, -5e-324, 1e-310, -1e-310, 1e-8, -1e-8, 0.3, -0.3, 1, -1, 3, -3,
              30, -30, 1e10, -1e10, 1e300, -1e300, 1.7e308, -1.7e308, np.inf, -np.inf, np.nan])


def numeric_params():
    for name in actgrad.names():
        for p in spec(name).params:
            if p.choices is None:
                yield name, p.name


@pytest.mark.parametrize("name,param", list(numeric_params()))
def test_every_accepted_value_is_quiet_and_nan_only_for_nan(name, param):
    for v in VALUES:
        try:
            f = actgrad.get(name, **{param: v})
        except ValueError as e:
            assert param in str(e) and "allowed" in str(e)
            continue
        with warnings.catch_warnings(), np.errstate(all="raise"):
            warnings.simplefilter("error")
            g, dg = f(Z), f.deriv(Z)
            lo, hi = f.spec.domain(dict(f.params))
            inside = ~np.isnan(Z) & (Z >= lo) & (Z <= hi)
            assert not np.isnan(g[inside]).any(), (name, param, v)
            assert not np.isnan(dg[inside]).any(), (name, param, v)
            if f.has_deriv_from_output:
                a = g[~np.isnan(g)]
                assert not np.isnan(f.deriv_from_output(a)).any(), (name, param, v)


def test_non_finite_parameters_are_refused():
    for name, param in numeric_params():
        if name == "softplus" and param == "threshold":
            continue  # inf is its default: the true softplus
        for v in (math.nan, math.inf):
            with pytest.raises(ValueError):
                actgrad.get(name, **{param: v})


def test_relu_in_disguise_has_g_prime_from_the_output():
    for f in (actgrad.get("leaky_relu", negative_slope=0), actgrad.get("elu", alpha=0)):
        for kink in ("pytorch", "right"):  # a = 0 comes from every z <= 0: the slope there is 0
            assert f.deriv_from_output(np.array([2.0, 0.0]), kink=kink).tolist() == [1.0, 0.0]


def test_reasons_g_prime_from_the_output_cannot_be_had():
    assert "no closed form" in actgrad.get("tanhshrink").from_output_unavailable()
    assert "two values of z" in actgrad.get("silu").from_output_unavailable()
    assert "negative_slope < 0" in actgrad.get("lrelu", negative_slope=-1).from_output_unavailable()


def test_log_sigmoid_from_output_at_zero_is_plus_zero():
    d = actgrad.get("log_sigmoid").deriv_from_output(0.0)
    assert d == 0.0 and math.copysign(1, d) == 1


@pytest.mark.parametrize("name,params", [("celu", {"alpha": 0.001}), ("softplus", {"beta": 1000}),
                                         ("elu", {"alpha": 1e-3})])
def test_check_passes_for_sharp_parameters(name, params):
    r = checks.gradient_check(name, **params)
    grid = gradcheck.default_grid(actgrad.get(name, **params))
    assert r.passed and r.checked + r.left_out == len(grid), r


def test_help_under_an_ascii_output_encoding_is_spelled_in_ascii():
    root = pathlib.Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root), "PYTHONIOENCODING": "ascii"}
    r = subprocess.run([sys.executable, "-m", "actgrad", "deriv", "--help"], capture_output=True,
                       env=env, timeout=60)
    assert r.returncode == 0 and r.stderr == b""
    text = r.stdout.decode("ascii")  # nothing but ASCII reached the stream
    assert "Usage:" in text and "g'(z)" in text


def test_api_errors_and_equality():
    with pytest.raises(TypeError, match="string"):
        actgrad.get(1)
    with pytest.raises(ValueError, match="kink convention"):
        actgrad.get("relu").deriv(0.0, kink=1)
    # kink=None is the activation's own convention: PyTorch's, or its like= framework's
    assert actgrad.get("leaky_relu").deriv(0.0, kink=None) == 0.01
    assert actgrad.get("leaky_relu", like="jax").deriv(0.0, kink=None) == 1.0
    assert actgrad.get("lrelu", negative_slope=0.2) == actgrad.get("leaky_relu", negative_slope=0.2)
    assert actgrad.get("lrelu") != actgrad.get("lrelu", negative_slope=0.2)
    assert len({actgrad.get("relu"), actgrad.get("relu")}) == 1


def test_large_arrays_are_computed_in_chunks_with_flat_memory():
    code = ("import resource, numpy as np, actgrad\n"
            "z = np.linspace(-30, 30, 4_000_000)\n"
            "base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
            "for n in ('silu', 'mish', 'gelu', 'sigmoid'):\n"
            "    d = actgrad.get(n).deriv(z); del d\n"
            "print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) // 1024)\n")
    root = pathlib.Path(__file__).resolve().parent.parent
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       env={**os.environ, "PYTHONPATH": str(root)}, timeout=120)
    grown_mib = int(r.stdout)
    assert grown_mib < 150  # the 32 MB result and a few 64K-value temporaries, not GBs


def test_explain_says_which_framework_lacks_a_function_and_when_prose_is_for_defaults():
    from typer.testing import CliRunner

    from actgrad.cli.app import app

    out = CliRunner().invoke(app, ["explain", "sparse_sigmoid"]).stdout
    assert "PyTorch has no sparse_sigmoid" in out and "PyTorch returns" not in out
    out = CliRunner().invoke(app, ["explain", "hard_tanh", "-p", "max_val=3"]).stdout
    assert "written for the default parameters" in out
    out = CliRunner().invoke(app, ["explain", "rrelu"]).stdout
    assert "upper = 0.3333333333333333" in out
