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


# -- the float64 sigmoid′ in place (activations.lecture._sigmoid_deriv_into), the writer in
# place, and the workers' share of the cores (cli.commands._CoreShare)

def _sigmoid_deriv_reference(z):
    """sigmoid′ by the plain form (a new array per step), with the nan convention."""
    from actgrad.activations.lecture import sigmoid_deriv

    x = np.asarray(z, dtype=np.float64).reshape(-1)
    with np.errstate(under="ignore", invalid="ignore"):
        x = np.where(np.isnan(x), np.nan, x)
        d = sigmoid_deriv(x, {})
    d[np.isnan(x)] = np.nan
    return d.reshape(np.shape(z))


def _same_bits(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and np.array_equal(a.view(np.uint64), b.view(np.uint64))


def _stress_values(n, seed=0):
    """Random bit patterns (every exponent, subnormals, infinities, NaNs of any payload)
    among uniform(−40, 40), the far tails and the specials."""
    rng = np.random.default_rng(seed)
    z = np.concatenate([rng.integers(0, 2**64, n // 2, dtype=np.uint64).view(np.float64),
                        rng.uniform(-40, 40, n - n // 2)])
    return z


def test_sigmoid_deriv_in_place_is_the_same_bits():
    from stress import grid

    from actgrad import registry

    f = actgrad.get("sigmoid")
    c = registry._INTO_CHUNK
    rng = np.random.default_rng(9)
    specials = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan, 5e-324, -5e-324, 36.7,
                         -36.7, 708.4, 745.2, -745.2, 1e300, 2.0**-1022])
    stress = grid("sigmoid", {})
    bits = rng.integers(0, 2**64, 3 * c + 5, dtype=np.uint64).view(np.float64)
    for z in (stress, specials, bits, rng.uniform(-40, 40, c - 1), rng.uniform(-40, 40, c),
              rng.uniform(-40, 40, c + 1), np.empty(0), np.zeros((0, 3)), np.float64(0.25),
              np.asfortranarray(rng.uniform(-9, 9, (c // 64 + 3, 67))),
              rng.uniform(-9, 9, (300, 41))[::3, ::2],  # not contiguous
              rng.uniform(-9, 9, 1001).astype(">f8"),  # byte-swapped
              np.arange(-40, 41), rng.uniform(-9, 9, 77).astype(np.float32).astype(np.float64)):
        want = _sigmoid_deriv_reference(z)
        with np.errstate(all="raise"):
            got = f.deriv(z)
        assert _same_bits(got, want), z.dtype
        out = np.full(np.shape(z), 7.0)
        assert f.deriv(z, out=out) is out and _same_bits(out, want)
        if np.ndim(z) == 2:  # out= in Fortran order: a copy of the chunks' results
            out = np.asfortranarray(np.full(np.shape(z), 7.0))
            assert f.deriv(z, out=out) is out and _same_bits(out, want)


def test_sigmoid_deriv_in_place_on_threads_at_once():
    """Each thread has its own scratch arrays: blocks computed at once give the same bits."""
    from concurrent.futures import ThreadPoolExecutor

    f = actgrad.get("sigmoid")
    blocks = [np.random.default_rng(k).uniform(-40, 40, 50_000 + k) for k in range(12)]
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(f.deriv, blocks))
    assert all(_same_bits(g, _sigmoid_deriv_reference(b)) for g, b in zip(got, blocks))


@pytest.mark.parametrize("old_values", [0, 10, 3 * npy.BLOCK + 50])
def test_writer_writes_an_existing_file_in_place(tmp_path, old_values, monkeypatch):
    """An existing output, shorter or longer, is overwritten and cut to the new values;
    only the values written so far are ever counted by its header, and at a failed write
    or an incomplete end the old ones after them are cut off."""
    path = str(tmp_path / "o.npy")
    if old_values:
        np.save(path, np.full(old_values, -1.0))
    elif os.path.exists(path):
        os.unlink(path)
    n = 2 * npy.BLOCK + 3
    w = npy.NpyWriter(path, np.float64, shape=(n,))
    assert np.load(path).shape == (0,)
    first = np.arange(npy.BLOCK, dtype=np.float64)
    w.write(first)
    assert np.array_equal(np.load(path), first)
    if not old_values:  # (a new file grows as it is written: the space reserved is not in its size)
        assert os.path.getsize(path) == npy._HEADER + first.nbytes
    w.write(np.arange(npy.BLOCK, n, dtype=np.float64))
    w.close()
    assert os.path.getsize(path) == npy._HEADER + 8 * n
    assert np.array_equal(np.load(path), np.arange(n, dtype=np.float64))
    # stopped after a block: the old values after it are cut off
    np.save(path, np.full(3 * npy.BLOCK, -1.0))
    w = npy.NpyWriter(path, np.float64, shape=(n,))
    w.write(first)
    w.close(complete=False)
    assert os.path.getsize(path) == npy._HEADER + first.nbytes
    assert np.array_equal(np.load(path), first)
    # a write that fails part-way: cut back to the block before, old values gone
    np.save(path, np.full(3 * npy.BLOCK, -1.0))
    w = npy.NpyWriter(path, np.float64, shape=(n,))
    w.write(first)
    real = os.pwrite

    def full(fd, data, offset):
        if offset > 0:
            real(fd, bytes(data)[:9], offset)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "pwrite", full)
    with pytest.raises(OSError):
        w.write(first)
    monkeypatch.setattr(os, "pwrite", real)
    w.close(complete=False)
    assert os.path.getsize(path) == npy._HEADER + first.nbytes
    assert np.array_equal(np.load(path), first)


def test_writer_without_fallocate(tmp_path, monkeypatch):
    """Where the space cannot be reserved (another system, a file system without it), the
    file is written all the same."""
    monkeypatch.setattr(npy.sys, "platform", "darwin")
    path = str(tmp_path / "o.npy")
    w = npy.NpyWriter(path, np.float32, shape=(2, 2))
    w.write(np.arange(4.0))
    w.close()
    assert np.array_equal(np.load(path), np.arange(4.0, dtype=np.float32).reshape(2, 2))


@pytest.mark.parametrize("n", [0, 1, npy.BLOCK - 1, npy.BLOCK + 1, 2 * npy.BLOCK + 7])
@pytest.mark.parametrize("busy", [0, 1], ids=["free", "busy"])
def test_npy_sizes_in_both_shares_of_the_cores(tmp_path, monkeypatch, n, busy):
    """Any size (empty, below, above and not a multiple of a block), into an existing longer
    file, with two workers computing at once or one (the other core busy): the values of
    the text path and of the API, bit for bit."""
    monkeypatch.setattr(commands, "block_threads", lambda: 2)
    monkeypatch.setattr(commands._CoreShare, "_others", staticmethod(lambda ours: busy))
    z = _stress_values(n, seed=n)
    src, dst = save(tmp_path, "z.npy", z), str(tmp_path / "o.npy")
    np.save(dst, np.full(3 * npy.BLOCK, -1.0))
    assert values("deriv", "sigmoid", f"input_file={src}", f"output_file={dst}") is None
    got = np.load(dst)
    assert got.shape == (n,) and os.path.getsize(dst) == npy._HEADER + 8 * n
    assert _same_bits(got, _sigmoid_deriv_reference(z))
    assert _same_bits(got, actgrad.get("sigmoid").deriv(z))
    if n and busy:
        few = z[np.isfinite(z)][:5]
        text = ok("deriv", "sigmoid", *map(repr, few.tolist()), "-f", "csv")
        again = str(tmp_path / "few.npy")
        ok("deriv", "sigmoid", "-i", save(tmp_path, "few_in.npy", few), "-o", again)
        assert [float(line.split(",")[1]) for line in text.splitlines()[1:]] == \
            np.load(again).tolist()


def test_core_share_permits(monkeypatch):
    """A second worker computes only while no other task keeps a core busy: the least
    count of the last three looks, every RECHECK blocks; at least one worker always."""
    seen = iter([0, 1, 1, 1, 0, 2, 2, 2])
    monkeypatch.setattr(commands._CoreShare, "_others", staticmethod(lambda ours: next(seen)))
    share = commands._CoreShare(2)
    permits = [share.threads - share.held]  # (after the look at the start)
    for _ in range(7 * share.RECHECK):
        share.update()
        permits.append(share.threads - share.held)
    # others 0 1 1 1 0 2 2 2: the least of the last three 0 0 0 1 0 0 0 2
    assert permits[::share.RECHECK] == [2, 2, 2, 1, 2, 2, 2, 1]
    assert len(set(permits[1:share.RECHECK])) == 1  # (no look in between)
    with share:  # a worker computing holds a permit
        assert share.active == 1
    one = commands._CoreShare(1)
    assert one.threads - one.held == 1
    # without /proc/loadavg: the load average at the start, once
    monkeypatch.setattr(commands._CoreShare, "_others", staticmethod(lambda ours: None))
    for load, want in ((0.5, 2), (1.5, 1)):
        monkeypatch.setattr(os, "getloadavg", lambda load=load: (load, load, load))
        share = commands._CoreShare(2)
        assert share.gate.acquire(blocking=False)
        assert share.gate.acquire(blocking=False) == (want == 2)


def test_sigmoid_deriv_in_place_at_the_ties_of_its_split():
    """z where dh = 1 + e^−|z| lies half-way between two multiples of 2^−25 (the split of
    _sigmoid_deriv_into rounds it there, ties to even) or next to it: the same bits."""
    rng = np.random.default_rng(4)
    zs, ties = [], 0
    for j in rng.integers(2**24, 2**25, 300):
        want_dh = 1.0 + (2 * int(j) + 1) * 2.0**-26  # a tie: in [1.5, 2)
        z = -np.log(want_dh - 1.0)
        for _ in range(40):  # the z next to it, until 1 + e^−z is the tie itself
            dh = 1.0 + np.exp(-z)
            if dh == want_dh:
                ties += 1
                break
            z = np.nextafter(z, np.inf if dh > want_dh else -np.inf)
        zs += [z, -z, np.nextafter(z, 0.0), np.nextafter(z, 1.0)]
    assert ties > 200
    z = np.array(zs)
    assert _same_bits(actgrad.get("sigmoid").deriv(z), _sigmoid_deriv_reference(z))
