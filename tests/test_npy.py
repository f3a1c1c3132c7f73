"""-i FILE.npy and -o FILE.npy (actgrad/io/npy.py): any shape and order, float types kept, the
output valid after every block and after a failed write, every bad file one line and exit 2."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import ml_dtypes
import numpy as np
import pytest
from conftest import fail, ok

import actgrad
from actgrad.cli import commands
from actgrad.cli.runtime import Fail
from actgrad.io import npy

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def save(tmp_path, name, arr):
    path = str(tmp_path / name)
    np.save(path, arr)
    return path


@pytest.mark.parametrize("arr", [
    np.linspace(-6, 6, 24).reshape(2, 3, 4),
    np.asfortranarray(np.linspace(-6, 6, 12).reshape(3, 4)),
    np.float64(0.5),  # 0-d
    np.zeros((0, 3)),
    np.linspace(-6, 6, 7).astype(np.float32),
    np.linspace(-6, 6, 7).astype(np.float16),
    np.arange(-3, 4),  # integers: float64
])
def test_npy_in_npy_out_keeps_shape_order_and_type(tmp_path, arr):
    src, dst = save(tmp_path, "z.npy", arr), str(tmp_path / "out.npy")
    assert ok("deriv", "sigmoid", "-i", src, "-o", dst) == ""
    got = np.load(dst)
    x = arr if arr.dtype.kind == "f" else arr.astype(np.float64)
    want = actgrad.get("sigmoid").deriv(x)
    assert got.shape == arr.shape and got.dtype == np.asarray(want).dtype
    assert np.array_equal(got, want)
    # and as text: the values in row (C) order, as the array prints, whatever the file's
    # order; as the same values given as arguments print
    text = ok("deriv", "sigmoid", "-i", src)
    flat = x.reshape(-1)
    if flat.size:
        assert text == ok("deriv", "sigmoid", *map(repr, flat.astype(np.float64).tolist()),
                          "--dtype", flat.dtype.name)


def test_dtype_rounds_a_npy_input(tmp_path):
    src, dst = save(tmp_path, "z.npy", np.array([0.1, 3.0])), str(tmp_path / "o.npy")
    ok("eval", "tanh", "-i", src, "-o", dst, "--dtype", "float32")
    got = np.load(dst)
    assert got.dtype == np.float32
    assert np.array_equal(got, actgrad.get("tanh")(np.array([0.1, 3.0], dtype=np.float32)))


def test_raw_ml_dtypes_bytes_need_dtype(tmp_path):
    z = np.array([0.1, -2.0, 3.0], dtype=ml_dtypes.bfloat16)
    src = save(tmp_path, "b.npy", z)  # numpy saves it as '<V2'
    assert "--dtype" in fail("eval", "sigmoid", "-i", src)
    dst = str(tmp_path / "o.npy")
    ok("eval", "sigmoid", "-i", src, "-o", dst, "--dtype", "bfloat16")
    got = np.load(dst).view(ml_dtypes.bfloat16)
    assert np.array_equal(got.astype(np.float64), actgrad.get("sigmoid")(z).astype(np.float64))


def test_bad_files_one_line(tmp_path):
    s = save(tmp_path, "s.npy", np.array(["a", "b"]))
    assert "<U1" in fail("eval", "tanh", "-i", s)
    full = save(tmp_path, "t.npy", np.arange(12.0))
    cut = str(tmp_path / "cut.npy")
    with open(full, "rb") as f, open(cut, "wb") as g:
        g.write(f.read()[:-20])
    assert "ends after 9 of its 12 values" in fail("eval", "tanh", "-i", cut)
    junk = str(tmp_path / "junk.npy")
    with open(junk, "wb") as g:
        g.write(b"\x93NUMPY\x07\x00garbage")
    assert "not a readable .npy file" in fail("eval", "tanh", "-i", junk)
    assert "FILE.npy" in fail("eval", "tanh", "1", "-o", str(tmp_path / "x.txt"))
    assert "--exact" in fail("eval", "tanh", "1", "-o", str(tmp_path / "x.npy"), "-d", "5")
    assert "cannot write" in fail("eval", "tanh", "1", "-o", str(tmp_path / "no" / "x.npy"))
    line = fail("deriv", "sigmoid", "-a", "-i", save(tmp_path, "a.npy", np.array([[0.5, 2.0]])))
    assert "element [0, 1]" in line and "2.0" in line


def test_output_file_is_safe(tmp_path):
    """-o never destroys what it should not: the input itself, or an existing file when the
    input turns out bad (the file is created with the first block)."""
    src = save(tmp_path, "z.npy", np.arange(5.0))
    assert "is the input file" in fail("eval", "sigmoid", "-i", src, "-o", src)
    os.symlink(src, str(tmp_path / "link.npy"))
    assert "is the input file" in fail("eval", "sigmoid", "-i", src, "-o",
                                       str(tmp_path / "link.npy"))
    assert np.array_equal(np.load(src), np.arange(5.0))
    keep = save(tmp_path, "keep.npy", np.arange(7.0))
    bad = tmp_path / "bad.txt"
    bad.write_text("abc\n")
    assert "'abc'" in fail("eval", "sigmoid", "-i", str(bad), "-o", keep)
    assert np.array_equal(np.load(keep), np.arange(7.0))
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    ok("eval", "sigmoid", "-i", str(empty), "-o", keep)
    assert np.load(keep).shape == (0,)


def test_npz_and_negative_shapes_refused(tmp_path):
    z = str(tmp_path / "a.npz")
    np.savez(z, a=np.arange(3.0))
    assert ".npz archive" in fail("eval", "tanh", "-i", z)
    neg = str(tmp_path / "neg.npy")
    with open(save(tmp_path, "n.npy", np.arange(3.0)), "rb") as f:
        data = f.read().replace(b"(3,)", b"(-3,)".ljust(4)[:5], 1)
    with open(neg, "wb") as g:
        g.write(data)
    assert "negative" in fail("eval", "tanh", "-i", neg)
    b16 = save(tmp_path, "b.npy", np.array([1.0], dtype=ml_dtypes.bfloat16))
    assert "1-byte" in fail("eval", "tanh", "-i", b16, "--dtype", "float8_e5m2")


def test_writer_valid_after_every_block_and_a_failed_write(tmp_path, monkeypatch):
    path = str(tmp_path / "w.npy")
    w = npy.NpyWriter(path, np.float64, shape=(2, 3))
    assert np.load(path).shape == (0,)
    w.write(np.arange(2.0))
    assert np.array_equal(np.load(path), [0.0, 1.0])
    real = os.pwrite
    calls = []

    def half(fd, data, offset):  # the disk fills part-way through the next block
        calls.append(offset)
        if len(calls) == 1:
            return real(fd, bytes(data)[:5], offset)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "pwrite", half)
    with pytest.raises(OSError):
        w.write(np.arange(2.0, 6.0))
    monkeypatch.setattr(os, "pwrite", real)
    w.close(complete=False)
    assert np.array_equal(np.load(path), [0.0, 1.0])  # the half block is cut off
    assert os.path.getsize(path) == npy._HEADER + 16
    w = npy.NpyWriter(path, np.float64, shape=(2, 3))
    w.write(np.arange(3.0))
    w.write(np.arange(3.0, 6.0))
    w.close()
    assert np.array_equal(np.load(path), np.arange(6.0).reshape(2, 3))


def test_stopped_run_leaves_a_valid_npy(tmp_path):
    """SIGINT part-way through a large .npy: exit 130 and a valid .npy of whole blocks."""
    n = 40 * npy.BLOCK
    src = save(tmp_path, "big.npy", np.random.default_rng(0).uniform(-20, 20, n))
    dst = str(tmp_path / "o.npy")
    with subprocess.Popen([sys.executable, "-m", "actgrad", "deriv", "sigmoid", "-i", src,
                           "-o", dst], cwd=HERE, stderr=subprocess.PIPE) as p:
        # wait for the first block to be out, then stop it
        while p.poll() is None and (not os.path.exists(dst) or
                                    os.path.getsize(dst) <= npy._HEADER):
            pass
        p.send_signal(signal.SIGINT)
        err = p.communicate(timeout=60)[1]
    assert b"Traceback" not in err
    out = np.load(dst)
    if p.returncode == 0:  # (it finished first: then it is all there)
        assert out.shape == (n,)
    else:
        assert p.returncode == 130
        assert out.size % npy.BLOCK == 0 and 0 < out.size < n
    x = np.load(src, mmap_mode="r")[:out.size]
    assert np.array_equal(out, actgrad.get("sigmoid").deriv(np.asarray(x)))


@pytest.fixture(params=[0, 2], ids=["serial", "threads"])
def threads(request, monkeypatch):
    """Both loops of a .npy input, whatever the machine's load: the serial one, and blocks
    computed on two threads (cli.commands._pipelined)."""
    monkeypatch.setattr(commands, "block_threads", lambda: request.param)
    return request.param


def values(*args):
    """`actgrad eval|deriv FUNC ...` in this process (so the fixture picks the loop): the
    Fail's message, or None."""
    kw = dict(arg.split("=", 1) for arg in args[2:])
    req = commands.ValueRequest(args[0], args[1], progress=False,
                                from_output=kw.pop("from_output", "") == "1", **kw)
    try:
        commands.values(req)
    except Fail as e:
        return str(e)
    return None


def test_blocks_in_order_and_errors_after_the_blocks_before(tmp_path, threads, capfd):
    """An error in a later block comes after the blocks (and the values of its block) before
    it are written, naming its element; the output is the values in order, as text too."""
    n = 3 * npy.BLOCK + 7
    a = np.random.default_rng(5).uniform(0.01, 0.99, n)
    bad = 2 * npy.BLOCK + 5
    a[bad] = 2.0  # not an output of sigmoid
    src, dst = save(tmp_path, "a.npy", a.reshape(n, 1)), str(tmp_path / "o.npy")
    line = values("deriv", "sigmoid", "from_output=1", f"input_file={src}", f"output_file={dst}")
    assert f"element [{bad}, 0]" in line and "2.0" in line
    got = np.load(dst)
    assert got.shape == (bad,)
    assert np.array_equal(got, actgrad.get("sigmoid").deriv_from_output(a[:bad]))
    a[bad] = 0.5
    src = save(tmp_path, "b.npy", a.reshape(n, 1))
    assert values("deriv", "sigmoid", "from_output=1", f"input_file={src}",
                  f"output_file={dst}") is None
    got = np.load(dst)
    assert got.shape == (n, 1)
    assert np.array_equal(got, actgrad.get("sigmoid").deriv_from_output(a).reshape(n, 1))
    z = np.linspace(-30, 30, n)
    capfd.readouterr()
    assert values("deriv", "sigmoid", f"input_file={save(tmp_path, 'z.npy', z)}",
                  "fmt=csv") is None
    text = capfd.readouterr().out
    assert text.splitlines()[1:] == [f"{x!r},{y!r}" for x, y in
                                     zip(z.tolist(), actgrad.get("sigmoid").deriv(z).tolist())]


def test_a_file_cut_after_some_blocks_leaves_those_blocks(tmp_path, threads):
    n = 3 * npy.BLOCK
    z = np.linspace(-20, 20, n).astype(np.float32)
    full, cut, dst = save(tmp_path, "z.npy", z), str(tmp_path / "cut.npy"), str(tmp_path / "o.npy")
    with open(full, "rb") as f, open(cut, "wb") as g:
        g.write(f.read()[:-(npy.BLOCK * 4 + 12)])  # the last block and 3 values of the one before
    line = values("deriv", "sigmoid", f"input_file={cut}", f"output_file={dst}")
    assert f"ends after {2 * npy.BLOCK - 3} of its {n} values" in line
    got = np.load(dst)
    assert got.dtype == np.float32
    assert np.array_equal(got, actgrad.get("sigmoid").deriv(z[:npy.BLOCK]))
    assert "ends after" in fail("deriv", "sigmoid", "-i", cut, "-o", dst)  # (one line, exit 2)
