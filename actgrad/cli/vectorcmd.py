"""`eval` and `deriv` of the vector functions (softmax, log_softmax, softmin, the gated units).

Vectors are rows: the command-line values form one vector; from stdin or ``-i FILE`` each
non-empty line is one vector (numbers separated by spaces or commas). Output, per vector:

* eval: the vector on one line (plain: separated by spaces; csv/tsv: by commas/tabs;
  jsonl: one JSON array per line; json: one array of all the vectors);
* deriv of the softmax family: the n×n Jacobian, row i = ∂y_i/∂z (plain: n lines, a blank
  line between the matrices of successive vectors; csv/tsv: the rows; json/jsonl: arrays);
* ``--vjp V``: vᵀJ, ``--jvp V``: J·v, one line per vector (what a backward / forward pass
  computes); V is one argument of n numbers ('1,0,0' or '1 0 0');
* ``--order 2`` of the softmax family: the Hessian, n matrices (block i: ∂²y_i/∂z∂z; plain:
  each after a label line; csv/tsv: each row after its block's index i; json: nested
  arrays); with ``--vjp V`` the n×n Hessian of vᵀy;
* ``--exact``/``--digits N``/``--dtype T`` (T not float64): the rigorous path
  (numerics/vector_exact.py) for every one of these, the inputs (and V) first rounded to T,
  each value the exact one rounded once to T, printed in T's shortest round-trip form;
* gated units: g and u either as ``G... --up U...`` or as one vector split in halves by the
  ``gate`` parameter (-p gate=first|second|even); deriv prints two lines per vector,
  ∂y/∂g then ∂y/∂u per element (``--order 2``: three, ∂²y/∂g², ∂²y/∂g∂u, ∂²y/∂u²);
  ``--vjp V`` (n numbers) prints the gradient w.r.t. the split vector x (2n numbers, in x's
  layout), or with --up two lines, w.r.t. g and w.r.t. u; ``--jvp T`` (2n numbers, x's layout).

Errors are one line (exit 2), naming the line of a vector that does not fit.
"""

from __future__ import annotations

import contextlib
import math
import re
import sys
from typing import Any, Callable, Iterator

import numpy as np

from .. import registry, vectors
from ..io.numbers import format_floats, is_number
from ..io.writers import Output
from .runtime import Fail

FORMATS = ("plain", "csv", "tsv", "json", "jsonl")
_SEP = {"plain": " ", "csv": ",", "tsv": "\t"}
_TOKENS = re.compile(rb"[^\s,]+")


def _numbers(raw: bytes, where: str, on_invalid: str = "fail", dtype: Any = None
             ) -> np.ndarray:
    """The numbers of one vector; a token that is not one: stop (fail), drop it (skip) or nan
    in its place (nan), as --on-invalid says. dtype (not None): each decimal rounded once
    to it (io.reader.round_to), held as float64."""
    out = []
    texts = []
    for m in _TOKENS.finditer(raw):
        tok = m.group()
        if not is_number(tok):
            if on_invalid == "skip":
                continue
            if on_invalid == "nan":
                out.append(math.nan)
                texts.append(b"nan")
                continue
            shown = tok.decode("utf-8", "backslashreplace")
            raise Fail(f"{where}, column {m.start() + 1}: {shown!r} is not a number")
        out.append(float(tok))
        texts.append(tok)
    z = np.array(out, dtype=np.float64)
    if dtype is None:
        return z
    from ..io.reader import round_to

    return round_to(z, dtype, texts).astype(np.float64)


def vector_option(text: str, option: str, dtype: Any = None) -> np.ndarray:
    """The numbers of --up, --vjp or --jvp (one argument: '1,0,0' or '1 0 0'), rounded to
    the --dtype (as every input is)."""
    v = _numbers(text.encode("utf-8", "surrogateescape"), option, dtype=dtype)
    if v.size == 0:
        raise Fail(f"{option} needs numbers, e.g. {option} 1,0,0")
    return _rounded(v, dtype)


def _dtype(name: Any) -> Any:
    """The numpy dtype of --dtype, None for float64 (the float64 path)."""
    if name is None:
        return None
    from ..numerics import DTYPES, as_dtype

    name = getattr(name, "value", name)
    try:
        dt = as_dtype(name)
    except ValueError:
        raise Fail(f"--dtype {name}: the vector functions take {', '.join(DTYPES)}") from None
    return None if dt == np.float64 else dt


def _rounded(z: np.ndarray, dtype: Any) -> np.ndarray:
    """z rounded to the dtype (held exactly as float64), or z itself for float64."""
    if dtype is None:
        return z
    with np.errstate(over="ignore", invalid="ignore"):  # (e4m3fn: above 464 is nan)
        return z.astype(dtype).astype(np.float64)


def rows(values: Any, input_file: str | None, on_invalid: str = "fail", dtype: Any = None
         ) -> Iterator[tuple[np.ndarray, str]]:
    """(vector, where) per vector: the arguments as one vector, or each non-empty line;
    dtype: each value rounded once to it from its text (held as float64)."""
    values = list(values or ())
    if values and values != ["-"]:
        if input_file is not None:
            raise Fail("give values as arguments or with --input, not both")
        parts = [_numbers(a.encode("utf-8", "surrogateescape"), f"argument {i}", on_invalid,
                          dtype) for i, a in enumerate(values, 1)]
        yield np.concatenate(parts), "the values"
        return
    if input_file not in (None, "-"):
        try:
            source: Any = open(input_file, "rb")
        except OSError as e:
            raise Fail(f"cannot read {input_file!r}: {e.strerror or e}") from None
    else:
        if sys.stdin is None:
            raise Fail("no values given and standard input is closed")
        source = contextlib.nullcontext(sys.stdin.buffer)  # (stdin stays open)
    with source as lines:
        for n, line in enumerate(lines, 1):
            if line.strip(b" \t\r\n,"):
                yield _numbers(line, f"line {n}", on_invalid, dtype), f"line {n}"


class _Out:
    """Vectors, matrices and 3-tensors (the softmax Hessian) in one of FORMATS: floats of
    any dtype (each type's shortest round-trip text) or --digits texts."""

    def __init__(self, fmt: str):
        if fmt not in FORMATS:
            raise Fail(f"--format {fmt}: vector results take {', '.join(FORMATS)}")
        self.fmt, self.out, self.json, self.count = fmt, Output(), [], 0

    def _cells(self, v: Any) -> list[str]:
        if isinstance(v, np.ndarray):
            texts = format_floats(v.reshape(-1))
            if self.fmt in ("json", "jsonl"):
                return [t if t not in ("nan", "inf", "-inf") else f'"{t}"' for t in texts]
            return texts
        return [f'"{t}"' for t in v] if self.fmt in ("json", "jsonl") else list(v)

    def _line(self, v: Any) -> str:
        if self.fmt in ("json", "jsonl"):
            return "[" + ", ".join(self._cells(v)) + "]"
        return _SEP[self.fmt].join(self._cells(v))

    def put(self, block: Any) -> None:
        """A vector (1-d), a matrix (2-d: its rows) or a 3-tensor (n labelled matrices,
        plain; csv/tsv: each row after its block's index i, from 1) for one input vector;
        a numpy array of floats, or nested lists of --digits texts."""
        depth = block.ndim if isinstance(block, np.ndarray) else _depth(block)
        js = self.fmt in ("json", "jsonl")
        if depth == 1:
            text = self._line(block)
        elif js:
            text = "[" + ", ".join(
                self._line(r) if depth == 2 else "[" + ", ".join(self._line(q) for q in r) + "]"
                for r in block) + "]"
        elif depth == 2:
            text = "\n".join(self._line(r) for r in block)
        elif self.fmt == "plain":
            text = "\n\n".join(f"∂²y_{i}/∂z∂z\n" + "\n".join(self._line(r) for r in m)
                               for i, m in enumerate(block, 1))
        else:
            text = "\n".join(_SEP[self.fmt].join([str(i)] + self._cells(r))
                             for i, m in enumerate(block, 1) for r in m)
        if self.fmt == "plain" and self.count and depth > 1:
            text = "\n" + text
        self.count += 1
        if self.fmt == "json":
            self.json.append(text)
        else:
            self.out.write(text + "\n")

    def close(self) -> None:
        if self.fmt == "json":
            self.out.write("[" + ",\n ".join(self.json) + "]\n")


def _depth(block: Any) -> int:
    d = 0
    while isinstance(block, list):
        d += 1
        block = block[0] if block else None
    return d


def _shape(texts: list[str], *dims: int) -> Any:
    """Row-major texts as nested lists of the given dims."""
    if len(dims) == 1:
        return list(texts)
    step = len(texts) // dims[0]
    return [_shape(texts[i * step:(i + 1) * step], *dims[1:]) for i in range(dims[0])]


def _join_lists(dg: list[str], du: list[str], gate: str) -> list[str]:
    """vectors._join for texts: the parts w.r.t. g and u in x's layout."""
    if gate == "even":
        return [t for pair in zip(dg, du) for t in pair]
    return dg + du if gate == "first" else du + dg


def _params(params: Any) -> dict[str, str]:
    """-p NAME=VALUE as a dict (registry.parse_params); a bad one is one line."""
    try:
        return registry.parse_params(params)
    except ValueError as e:
        raise Fail(str(e)) from None


def values(req: Any) -> None:
    """`eval`/`deriv` of a vector function (req: commands.ValueRequest)."""
    deriv = req.command == "deriv"
    try:
        f = vectors.vector(req.func, **_params(req.param))
    except ValueError as e:
        raise Fail(str(e)) from None
    for given, option in ((req.from_output, "--from-output"),
                          (req.output_file is not None, "--output")):
        if given:
            raise Fail(f"{option} is for the elementwise functions, not {f.name}")
    dtype = _dtype(req.dtype)
    vjp = vector_option(req.vjp, "--vjp", dtype) if req.vjp is not None else None
    jvp = vector_option(req.jvp, "--jvp", dtype) if req.jvp is not None else None
    if (vjp is not None or jvp is not None) and not deriv:
        raise Fail("--vjp and --jvp belong to deriv")
    if vjp is not None and jvp is not None:
        raise Fail("give --vjp or --jvp, not both")
    for given, option in ((vjp, "--vjp"), (jvp, "--jvp")):
        if given is not None and (req.exact or req.digits is not None or dtype is not None) \
                and not np.isfinite(given).all():
            raise Fail(f"{option}: --exact, --digits and --dtype need finite entries")
    if req.digits is not None:
        from ..numerics import MAX_DIGITS

        if not 1 <= req.digits <= MAX_DIGITS:
            raise Fail(f"--digits must be between 1 and {MAX_DIGITS}, got {req.digits}")
    # the rigorous path: --exact, --digits, and every dtype but float64 (each value the exact
    # one at the inputs rounded to the dtype, rounded once to it: correctly rounded)
    high = req.exact or req.digits is not None or dtype is not None
    out = _Out(req.fmt)
    if isinstance(f, vectors.Softmax):
        compute = _softmax(f, deriv, req, vjp, jvp, high, dtype, out)
    else:
        compute = _gated(f, deriv, req, vjp, jvp, high, dtype, out)
    try:
        for z, where in rows(req.values, req.input_file, req.on_invalid, dtype):
            if z.size == 0:
                raise Fail(f"{where}: no values")
            compute(_rounded(z, dtype), where)
    finally:
        out.close()


def _exact_error(e: ArithmeticError) -> Fail:
    return Fail(f"cannot decide the rounding: {e}", 1)


def _softmax(f: vectors.Softmax, deriv: bool, req: Any, vjp: Any, jvp: Any, high: bool,
             dtype: Any, out: _Out) -> Callable[[np.ndarray, str], None]:
    if req.up is not None:
        raise Fail(f"--up is for the gated units; {f.name} takes one vector")
    if req.order not in (1, 2):
        raise Fail(f"--order {req.order}: {f.name} gives its Jacobian (order 1) or its Hessian"
                   " (order 2)")
    if req.order == 2 and not deriv:
        raise Fail("--order belongs to deriv")
    if req.order == 2 and jvp is not None:
        raise Fail("--order 2 takes --vjp V (the Hessian of vᵀy), not --jvp")
    what = {(False, 1): "values", (True, 1): "jacobian", (True, 2): "hessian"}[(deriv, req.order)]
    if vjp is not None:
        what = "vjp" if req.order == 1 else "vjp_hessian"
    elif jvp is not None:
        what = "jvp"
    prod = vjp if vjp is not None else jvp

    def compute(z: np.ndarray, where: str) -> None:
        n = z.size
        if prod is not None and prod.size != n:
            raise Fail(f"{where}: {n} values where {'--vjp' if vjp is not None else '--jvp'}"
                       f" has {prod.size}")
        dims = {"values": (n,), "jacobian": (n, n), "vjp": (n,), "jvp": (n,),
                "hessian": (n, n, n), "vjp_hessian": (n, n)}[what]
        if high:
            from ..numerics import vector_exact as X

            try:
                if req.digits is not None:
                    texts = X.values_text(f, z[None, :], what=what, v=prod, digits=req.digits)
                    out.put(_shape(texts[0], *dims))
                    return
                got = X.values_float(f, z[None, :], what=what, v=prod,
                                     dtype=np.float64 if dtype is None else dtype)
            except ArithmeticError as e:
                raise _exact_error(e) from None
            out.put(got[0].reshape(dims))
            return
        with np.errstate(all="ignore"):
            if what == "values":
                out.put(f(z))
            elif prod is not None:
                out.put(getattr(f, what)(z, prod))
            else:
                out.put(getattr(f, what)(z))

    return compute


def _gated(f: vectors.Gated, deriv: bool, req: Any, vjp: Any, jvp: Any, high: bool,
           dtype: Any, out: _Out) -> Callable[[np.ndarray, str], None]:
    if req.order not in (1, 2):
        raise Fail(f"--order must be 1 or 2, got {req.order}")
    if req.order == 2 and not deriv:
        raise Fail("--order belongs to deriv")
    if req.order == 2 and (vjp is not None or jvp is not None):
        raise Fail("--order 2 gives the Hessian blocks; --vjp and --jvp are order 1")
    up = vector_option(req.up, "--up", dtype) if req.up is not None else None
    if up is not None and (not req.values or req.values == ["-"]):
        raise Fail("--up goes with gate values on the command line; on stdin each line is"
                   " one vector g‖u split by -p gate=first|second|even")
    if up is not None and jvp is not None:
        raise Fail("--jvp takes the split vector x (give it in halves, without --up)")
    kink = "pytorch" if req.kink is None else req.kink  # (--like: the gated units follow PyTorch)

    def exact(g: np.ndarray, u: np.ndarray, what: str, v: Any) -> Any:
        """Rows (lists of texts, or float arrays) of the rigorous path."""
        from ..numerics import vector_exact as X

        try:
            if req.digits is not None:
                return X.gated_text(f, g, u, what=what, v=v, kink=kink, digits=req.digits)
            return X.gated_float(f, g, u, what=what, v=v, kink=kink,
                                 dtype=np.float64 if dtype is None else dtype)
        except ArithmeticError as e:
            raise _exact_error(e) from None

    def join(rows: Any) -> Any:
        if isinstance(rows, np.ndarray):
            return vectors._join(rows[0], rows[1], f.gate)
        return _join_lists(rows[0], rows[1], f.gate)

    def compute(x: np.ndarray, where: str) -> None:
        with np.errstate(all="ignore"):
            if up is not None:
                if up.size != x.size:
                    raise Fail(f"{where}: {x.size} gate values where --up has {up.size}")
                g, u = x, up
            else:
                if x.size % 2:
                    raise Fail(f"{where}: {x.size} values cannot be split in halves"
                               " (give --up U... or an even count)")
                g, u = f.split(x)
            if vjp is not None and vjp.size != g.size:
                raise Fail(f"{where}: {g.size} outputs where --vjp has {vjp.size}")
            if jvp is not None and jvp.size != x.size:
                raise Fail(f"{where}: {x.size} values where --jvp has {jvp.size}")
            if high:
                if not deriv:
                    out.put(exact(g, u, "y", None)[0])
                elif vjp is not None:
                    rows = exact(g, u, "vjp", vjp)
                    out.put(rows if up is not None else join(rows))
                elif jvp is not None:
                    out.put(exact(g, u, "jvp", np.stack(vectors._split(jvp, f.gate)))[0])
                else:
                    out.put(exact(g, u, "hessian" if req.order == 2 else "partials", None))
            elif not deriv:
                out.put(f(g, u))
            elif vjp is not None:
                if up is not None:
                    dg, du = f.partials(g, u, kink=kink)
                    out.put(np.stack([vjp * dg, vjp * du]))
                else:
                    out.put(f.vjp(x, vjp, kink=kink))
            elif jvp is not None:
                out.put(f.jvp(x, jvp, kink=kink))
            elif req.order == 2:
                out.put(np.stack(f.hessian(g, u, kink=kink)))
            else:
                out.put(np.stack(f.partials(g, u, kink=kink)))

    return compute


# -- plot ---------------------------------------------------------------------------------------


def plot_views(funcs: Any, param: Any, like: Any) -> list[Any]:
    """The curves `plot` draws for vector functions (vectors.OneZ): softmax's s_1 of (z, 0),
    the gated units' act; -p binds each one's parameters."""
    if like is not None:
        raise Fail("--like is for the elementwise functions, not the vector ones")
    return [vectors.OneZ(f) for f in _bind_vectors(funcs, param, "plot takes")]


# -- table and check ------------------------------------------------------------------------

MAX_CHECK_VECTORS = 200  # each vector costs n + 1 evaluations in mpmath


def _bind_vectors(funcs: Any, param: Any, command: str = "check and table take") -> list[Any]:
    mixed = [f for f in funcs if not vectors.is_vector(f) or registry.is_name(f)]
    if mixed:
        raise Fail(f"{mixed[0]!r}: {command} the vector functions (softmax, swiglu,"
                   " ...) on their own, not with elementwise ones")
    given = _params(param)
    out = []
    for name in funcs:
        f = vectors.vector(name)
        known = dict(f.params)
        mine = {k: v for k, v in given.items() if k in known}
        try:
            out.append(vectors.vector(name, **mine))
        except ValueError as e:
            raise Fail(str(e)) from None
    unused = set(given) - {k for f in out for k in f.params}
    if unused:
        raise Fail(f"no function named here has a parameter {sorted(unused)[0]!r}")
    return out


def _vectors_given(f: Any, zs: Any, input_file: Any) -> list[Any] | None:
    if not zs and input_file is None:
        return None
    got = [(z, where) for z, where in rows(zs, input_file)]
    if len(got) > MAX_CHECK_VECTORS:
        raise Fail(f"at most {MAX_CHECK_VECTORS} vectors can be checked here, got more")
    out: list[Any] = []
    for z, where in got:
        if z.size == 0:
            continue
        if f.kind == "gated":
            if z.size % 2:
                raise Fail(f"{where}: {z.size} values cannot be split in halves g‖u")
            g, u = f.split(z)
            out += list(zip(g.tolist(), u.tolist()))
        else:
            out.append(z.tolist())
    if any(not np.isfinite(v) for p in out for v in (p if f.kind == "gated" else p)
           if f.kind == "gated"):
        raise Fail("check needs finite g and u: a difference quotient at ±inf or nan means"
                   " nothing")
    return out


def _order_one(command: str, order: int) -> None:
    if order != 1:
        raise Fail(f"--order {order}: {command} of the vector functions compares the Jacobian"
                   " (order 1); deriv --order 2 gives the gated units' Hessian blocks")


def check(funcs: Any, zs: Any, *, tol: float, param: Any, fmt: str, input_file: Any,
          order: int) -> int:
    from ..numerics import vector_check
    from ..views import vector_report

    _order_one("check", order)
    results = []
    for f in _bind_vectors(funcs, param):
        results.append(vector_check.check(f, _vectors_given(f, zs, input_file), tol=tol))
    vector_report.write_check(fmt, results)
    return 0 if all(r.passed for r in results) else 1


def table(funcs: Any, zs: Any, *, param: Any, fmt: str, input_file: Any, order: int) -> None:
    from ..numerics import vector_check
    from ..views import vector_report

    _order_one("table", order)
    tables = []
    for f in _bind_vectors(funcs, param):
        given = _vectors_given(f, zs, input_file)
        if given is None:
            given = [(1.0, 2.0, 3.0)] if f.kind == "softmax" else list(
                vector_check.DEFAULT_GATED[:4])
        tables.append(vector_check.table(f, given))
    vector_report.write_table(fmt, tables)
