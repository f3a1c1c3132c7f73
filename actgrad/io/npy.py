"""numpy's .npy files, for inputs and outputs too large for text: ``-i FILE.npy``, ``-o FILE.npy``.

Reading: the file is read in blocks of ``BLOCK`` values in C (row) order, as the array
prints (a Fortran-order file through a memory map, a slab of rows at a time), so memory stays
flat whatever its size; any shape; a float type
of ``numerics.DTYPES`` is kept (the results are in that type, as in the Python API), integers
and booleans are read as float64, anything else is refused with the reason. ``block_reader``
reads block k of a C-order file on demand into a buffer the caller reuses (os.preadv at its
offset, from any thread): the command line computes several blocks at once that way.

Writing: ``NpyWriter`` streams blocks into a .npy file whose header always matches the data
written so far: each block's bytes go out first, then the header is rewritten in place with
the new length (its text is padded to a fixed size, so it never moves the data). A run that
stops anywhere (a signal, a full disk) leaves a valid .npy of the values written before
(1-D: the input's shape goes into the header at the end);
bytes of a block that did not get out whole are cut off. At the end the header takes the
input's shape when the input was a .npy of that many values.

When the number of values is known (a .npy input's), an existing file is written in place,
not truncated first, and the disk space of the rest is reserved up front (NpyWriter._fit):
freeing an old file's pages and blocks and allocating them anew cost more system time than
the writes. Its old values past the ones written (and the space reserved) are cut off at
the end, at a signal or an error, as a half block is; only a run killed outright (SIGKILL,
power loss) leaves them after the values its header counts, which readers of .npy ignore.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Callable, Iterator

import numpy as np

from ..numerics import DTYPES, as_dtype
from .writers import signals_held

#: values per block: 2 MiB of float64. Several blocks are in flight at once (a .npy input's
#: blocks are computed on threads, cli.commands._pipelined), and 2^18 values take
#: milliseconds, so the per-block costs (a header rewrite, a hand-over) stay below 1 %
BLOCK = 1 << 18
MAGIC = b"\x93NUMPY"
_HEADER = 128  # bytes of the header we write (magic, version, length, text padded)


class NpyError(Exception):
    """A .npy file that cannot be read or written (the message says why)."""


def is_npy(path: str) -> bool:
    """Whether a path is to be read as .npy: by its name, or by its first bytes."""
    if path.lower().endswith((".npy", ".npz")):
        return True
    try:
        with open(path, "rb") as f:
            return f.read(len(MAGIC)) == MAGIC
    except OSError:
        return False


class NpyReader:
    """The values of a .npy file, in blocks (``blocks()``), with its ``shape``, ``dtype`` and
    ``order`` ('C' or 'F': the order of the values in the file, which the blocks follow)."""

    def __init__(self, path: str, raw_as: str | None = None):
        """raw_as: the ml_dtypes type to take raw 1- or 2-byte values as ('|V2': numpy's .npy
        does not record ml_dtypes' types, so a saved bfloat16 array reads back as bytes)."""
        fmt = np.lib.format
        try:
            f = open(path, "rb")
        except OSError as e:
            raise NpyError(e.strerror or str(e)) from None
        try:
            if f.read(4) == b"PK\x03\x04":
                raise NpyError("a .npz archive, not a .npy array: save the array alone with"
                               " numpy.save")
            f.seek(0)
            version = fmt.read_magic(f)
            read = {(1, 0): fmt.read_array_header_1_0, (2, 0): fmt.read_array_header_2_0}
            if version not in read:
                raise ValueError(f"version {version} of the format")
            shape, fortran, dt = read[version](f)
            offset = f.tell()
        except (OSError, ValueError, EOFError, SyntaxError) as e:
            raise NpyError(f"not a readable .npy file ({e})") from None
        except NpyError:
            raise
        finally:
            f.close()  # (blocks() opens it again: a reader never iterated holds no file)
        if dt.kind == "V" and dt.names is None and raw_as is not None and \
                as_dtype(raw_as).itemsize == dt.itemsize:
            dt = as_dtype(raw_as)
        if any(int(n) < 0 for n in shape):
            raise NpyError(f"not a readable .npy file (its header's shape {tuple(shape)} is"
                           " negative)")
        if dt.hasobject:
            raise NpyError("holds Python objects; actgrad reads numbers")
        if dt.name in DTYPES:
            self.dtype = dt
        elif dt.kind == "V" and dt.names is None and dt.itemsize in (1, 2):
            if raw_as is not None:
                raise NpyError(f"holds raw {dt.itemsize}-byte values ({dt.str}); --dtype"
                               f" {raw_as} is {as_dtype(raw_as).itemsize}-byte")
            raise NpyError(f"holds raw {dt.itemsize}-byte values ({dt.str}), as numpy saves"
                           " ml_dtypes' arrays: say which type they are with --dtype"
                           " (bfloat16, float8_e4m3fn or float8_e5m2)")
        elif dt.kind in "biu":
            self.dtype = np.dtype(np.float64)
        else:
            raise NpyError(f"holds {dt} values; actgrad reads floats ({', '.join(DTYPES)}),"
                           " integers or booleans")
        self.shape = tuple(int(n) for n in shape)
        self.size = int(np.prod(shape, dtype=np.int64))
        # the blocks come in C (row) order, as the array is printed; a Fortran-order file is
        # read through a map, a slab of rows at a time
        self.order = "C"
        self._fortran = bool(fortran) and len(self.shape) > 1
        self.path = path
        self._path, self._offset, self._stored = path, offset, dt

    def blocks(self) -> Iterator[np.ndarray]:
        """The values in C order, BLOCK at a time (read, not mapped: memory stays flat)."""
        if self._fortran:
            yield from self._fortran_blocks()
            return
        dt, left = self._stored, self.size
        try:
            f = open(self._path, "rb")
            f.seek(self._offset)
        except OSError as e:
            raise NpyError(e.strerror or str(e)) from None
        try:
            while left > 0:
                n = min(BLOCK, left)
                raw = f.read(n * dt.itemsize)
                if len(raw) < n * dt.itemsize:
                    raise NpyError(f"ends after {self.size - left + len(raw) // dt.itemsize}"
                                   f" of its {self.size} values")
                part = np.frombuffer(raw, dtype=dt)
                if part.dtype != self.dtype:
                    part = part.astype(self.dtype)
                left -= n
                yield part
        finally:
            f.close()


    @property
    def block_count(self) -> int:
        """The number of blocks of ``blocks()`` (of a C-order file's: ``block_reader``)."""
        return -(-self.size // BLOCK)

    @property
    def random_access(self) -> bool:
        """Whether ``block_reader`` reads this file (C order: block k is at an offset)."""
        return not self._fortran

    def block_reader(self) -> "BlockReader":
        """Block k of the C-order values on demand, read into a given buffer (from any
        thread: os.preadv at the block's offset); a context manager holding the file."""
        return BlockReader(self)

    @property
    def buffer_bytes(self) -> int:
        """The size of a buffer for ``BlockReader.read``: a block of the stored values."""
        return BLOCK * self._stored.itemsize

    def _fortran_blocks(self) -> Iterator[np.ndarray]:
        need = self._offset + self.size * self._stored.itemsize
        try:
            if os.path.getsize(self._path) < need:
                raise NpyError(f"ends before its {self.size} values")
            m = np.memmap(self._path, dtype=self._stored, mode="r", offset=self._offset,
                          shape=self.shape, order="F")
        except (OSError, ValueError) as e:
            raise NpyError(getattr(e, "strerror", None) or str(e)) from None
        row = self.size // self.shape[0] if self.shape[0] else 1
        step = max(1, BLOCK // max(row, 1))
        for i in range(0, self.shape[0], step):
            part = np.ascontiguousarray(m[i:i + step]).reshape(-1)
            yield part if part.dtype == self.dtype else part.astype(self.dtype)


class BlockReader:
    """``NpyReader.block_reader``: ``read(k, buffer)`` gives block k of ``blocks()`` (C-order
    files), a view of the buffer (``buffer_bytes`` bytes) in the reader's dtype."""

    def __init__(self, reader: NpyReader):
        if reader._fortran:
            raise ValueError("a Fortran-order file is read through its map, in order")
        self._r = reader
        self._fd: int | None = None

    def __enter__(self) -> "BlockReader":
        try:
            self._fd = os.open(self._r._path, os.O_RDONLY)
        except OSError as e:
            raise NpyError(e.strerror or str(e)) from None
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def read(self, k: int, buffer: np.ndarray) -> np.ndarray:
        r, dt = self._r, self._r._stored
        first = k * BLOCK
        n = min(BLOCK, r.size - first)
        size = n * dt.itemsize
        view = memoryview(buffer).cast("B")[:size]
        got, offset = 0, r._offset + first * dt.itemsize
        try:
            while got < size:
                m = os.preadv(self._fd, [view[got:]], offset + got)  # type: ignore[arg-type]
                if not m:
                    break
                got += m
        except OSError as e:
            raise NpyError(e.strerror or str(e)) from None
        if got < size:
            raise NpyError(f"ends after {first + got // dt.itemsize} of its {r.size} values")
        part = np.frombuffer(view, dtype=dt)
        return part if part.dtype == r.dtype else part.astype(r.dtype)


_FALLOC_FL_KEEP_SIZE = 1


def _reserve(fd: int, offset: int, length: int) -> None:
    """The disk space of bytes [offset, offset + length) of a file allocated without changing
    its size (Linux's fallocate with FALLOC_FL_KEEP_SIZE: the file still grows a block at a
    time, as the values are written); nothing where the call or the file system lacks it,
    or the disk has not the room (the writes then fail where they would have)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        fallocate = libc.fallocate64
        fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]
        fallocate.restype = ctypes.c_int
        fallocate(fd, _FALLOC_FL_KEEP_SIZE, offset, length)
    except (OSError, AttributeError):
        pass


def _header(dtype: np.dtype, shape: tuple[int, ...], fortran: bool = False) -> bytes:
    text = repr({"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": fortran,
                 "shape": tuple(shape)}).encode("latin1")
    room = _HEADER - 10 - 1  # magic + version (8), length (2), the final newline
    if len(text) > room:
        raise NpyError("shape too long for the header")
    return MAGIC + b"\x01\x00" + (room + 1).to_bytes(2, "little") + text.ljust(room) + b"\n"


class NpyWriter:
    """Blocks of results into a .npy file, valid after every block (module doc)."""

    def __init__(self, path: str, dtype: Any, shape: tuple[int, ...] | None = None,
                 order: str = "C"):
        """shape, order: the array's at the end (the values come in that order)."""
        self.path = path
        self.dtype = np.dtype(dtype)
        self.final_shape = shape
        self.fortran = order == "F"
        self.count = 0
        # the file's size at the end, when the shape is known (module doc: in place)
        size = None if shape is None else \
            _HEADER + int(np.prod(shape, dtype=np.int64)) * self.dtype.itemsize
        self._fitted = False  # whether close() must cut the file to the values written
        try:
            if os.path.isdir(path):
                raise IsADirectoryError(21, "Is a directory")
            self._fd = os.open(path, os.O_WRONLY | os.O_CREAT |
                               (os.O_TRUNC if size is None else 0), 0o666)
            if size is not None:
                self._fit(size)
        except OSError as e:
            if getattr(self, "_fd", None) is not None:
                os.close(self._fd)
                self._fd = None
            raise NpyError(e.strerror or str(e)) from None
        self._write_at(0, _header(self.dtype, (0,)))

    def _fit(self, size: int) -> None:
        """A regular file made ready for `size` bytes: cut to them when longer, the disk
        space of the rest reserved (fallocate, the size kept: _reserve), so that no write
        frees or allocates a page's blocks on the way (an 800 MB file truncated and written
        anew: 0.9 s of system time here, in place 0.15, reserved 0.2)."""
        import stat

        st = os.fstat(self._fd)
        if not stat.S_ISREG(st.st_mode):
            return
        if st.st_size > size:
            os.ftruncate(self._fd, size)
        elif st.st_size < size:
            _reserve(self._fd, st.st_size, size - st.st_size)
        self._fitted = True

    def _write_at(self, offset: int, data: bytes | memoryview) -> None:
        view = memoryview(data)
        while view:
            n = os.pwrite(self._fd, view, offset)
            view, offset = view[n:], offset + n

    def write(self, values: Any) -> None:
        arr = np.ascontiguousarray(np.asarray(values), dtype=self.dtype)
        if arr.size == 0:
            return
        start = _HEADER + self.count * self.dtype.itemsize
        with signals_held():  # (the data and its header together)
            try:
                self._write_at(start, arr.reshape(-1).view(np.uint8))
                self._write_at(0, _header(self.dtype, (self.count + arr.size,)))
            except OSError:
                self._cut_back()  # to the values before this block
                raise
            self.count += arr.size

    def _cut_back(self) -> None:
        """Back to the last whole block and its header (a write failed part-way)."""
        try:
            os.ftruncate(self._fd, _HEADER + self.count * self.dtype.itemsize)
            self._write_at(0, _header(self.dtype, (self.count,)))
        except OSError:
            pass

    def close(self, complete: bool = True) -> None:
        """The input's shape in the header when all of it was written; then close."""
        if getattr(self, "_fd", None) is None:
            return
        try:
            if self._fitted:  # (old values past the end, or space reserved past it)
                os.ftruncate(self._fd, _HEADER + self.count * self.dtype.itemsize)
            shape = self.final_shape
            if complete and shape is not None and int(np.prod(shape)) == self.count:
                self._write_at(0, _header(self.dtype, shape, self.fortran))
        finally:
            os.close(self._fd)
            self._fd = None
