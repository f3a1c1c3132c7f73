"""Expressions in z: a whitelist grammar of its own, and g, g′, g″ by forward-mode jets.

``parse("z*sigmoid(1.702*z)")`` returns an :class:`Expression`, which behaves like a
registry ``Activation`` where that makes sense: ``f(z)`` is g(z), ``f.deriv(z, kink=...)`` is
g′(z), ``f.deriv2(z, kink=...)`` is g″(z), vectorised over numpy arrays of any shape.

Grammar (precedence as in Python, loosest first)::

    sum     := product (('+' | '-') product)*
    product := unary (('*' | '/') unary)*
    unary   := ('-' | '+') unary | power               unary minus binds looser than **
    power   := atom ('**' unary)?                      right-associative: 2**3**2 = 2**9
    atom    := NUMBER | 'z' | 'pi' | 'e' | '(' sum ')' | NAME '(' arguments ')'
    arguments := argument (',' argument)* ','?
    argument  := sum | NAME '=' (sum | STRING)         keyword parameters of catalogue calls

NUMBER is decimal ASCII (``12``, ``1.5``, ``.5``, ``1e-3``); STRING is quoted with ' or " and
has no escapes. NAME is a catalogue function or alias (``registry.names()``, any case, one
positional argument and its keyword parameters) or one of the elementary functions exp,
expm1, log, log1p, sqrt, abs, sin, cos, tan, sinh, cosh, tanh, atan, erf, erfc (one
argument) and min, max (two). ``tanh`` is the catalogue's tanh. ``−`` (U+2212) reads as ``-``.

Nothing here is ever given to eval, exec, compile or ast: the text is read by a tokenizer and a
recursive-descent parser that know only the grammar above. The text is at most
``MAX_LENGTH`` characters and nests at most ``MAX_DEPTH`` levels (parentheses, calls, unary
signs and exponents each count one), so parsing is linear and shallow. Numbers are float64
from the start (there are no Python integers anywhere), so ``9**9**9**9`` is the float64
power: +inf, at once.

Derivatives: every node computes its jet (value, first, second derivative in z) from its
children's by the chain rule, all in float64 numpy arrays, in blocks of 64K values. A
subtree without z is a constant: its derivatives are exactly zero and never multiplied in, so
``exp(exp(1000)) + z`` has derivative 1, not inf·0 = nan. Catalogue calls use the catalogue's
accurate g and g′ (``f(u)``, ``f.deriv(u, kink=...)``); their g″ comes from
``f.deriv(u, kink=..., order=2)`` as soon as the registry has it, and until then from an
exact closed form in g and g′ for tanh (g″ = −2·g·g′) and sigmoid (g″ = −g′·tanh(u/2)); any
other catalogue function raises NotImplementedError for g″ (``second_unavailable`` says which,
before any computation). IEEE results of the formulas as written are the answer: overflow to
±inf, nan outside a domain (log of a negative number) are not warnings but values; they are
computed under ``np.errstate(all="ignore")``. No accuracy bound is promised for compositions.

Kinks and ``kink=``: a kinked primitive is a catalogue call whose argument equals one of its
kink points, ``abs`` at argument 0, ``min``/``max`` where their arguments are equal. There the
derivative follows the convention:

* ``pytorch`` / ``jax``: what that framework's autograd gives for the expression written with
  its primitives: each primitive's own subgradient, chained. For catalogue functions that is
  the catalogue's choice. abs: PyTorch 0 (tools/autograd/derivatives.yaml,
  ``abs: grad * self.sgn()``, sgn(0) = 0), JAX +1 (jax/_src/lax/lax.py, ``_abs_jvp_rule``:
  ``select(ge(x, 0), g, neg(g))``, so x = 0 takes +g). min/max at a tie: both frameworks give
  each argument half the gradient: (u′ + v′)/2 (derivatives.yaml ``maximum``/``minimum``:
  ``at::where(self == other, grad / 2, grad)``; lax.py ``max_p``/``min_p`` jvp
  ``_balanced_eq``, 1/2 where both equal the answer). The second derivative at a tie is then
  (u″ + v″)/2, at abs's kink PyTorch's sgn(0)·u″ = 0 and JAX's +u″. The first-order rules
  are read from the frameworks' source (not run here); the second-order ones follow from them,
  the weights being piecewise constant in z.
* ``left`` / ``right``: the one-sided derivative of the whole expression at z (from z − h,
  z + h as h → 0+), for g′ and g″. Forward mode gives it exactly: at each kinked primitive the
  side of its kink that its argument comes from is read off the argument's own one-sided
  jet (below the kink iff ∓u′ < 0, or u′ = 0 and u″ < 0), and that side's slope is chained.
  So ``relu(-z)`` at 0 has left derivative −1, and ``abs(u)`` and ``max(u, -u)`` agree.
* ``mean``: the mean of the left and the right derivative.

g″ also follows ``kink=`` where a catalogue call's argument sits at a jump of that function's
g″ (``Activation.kinks2``: elu at 0, g′ continuous, g″ from 1 to 0): the frameworks take
their primitive's double-backward value (the catalogue's), ``left``/``right`` the side the
argument comes from, ``mean`` the mean of the two (``kink2_sites``; ``at_kink(z, order=2)``).

``at_kink(z)`` is the mask of z where some primitive sits exactly at its kink; ``near_kink(z,
r)`` adds the z whose interval [z − r, z + r] has a primitive's argument cross its kink (a
sign change of argument − kink between z − r, z and z + r; a kink touched and left within
the interval without a sign change is not seen).
"""

from __future__ import annotations

import inspect
import keyword
import math
from dataclasses import asdict, dataclass
from types import MappingProxyType
from typing import Any, Callable, Iterator, Mapping

import numpy as np

from . import registry
from .activations import KINK_CONVENTIONS
from .numerics.special import erf as _erf, erfc as _erfc, exp_split, two_prod

#: the longest expression text accepted, in characters
MAX_LENGTH = 1000
#: the deepest nesting accepted (parentheses, calls, unary signs, exponents)
MAX_DEPTH = 64

#: the elementary functions and how many arguments each takes
ELEMENTARY: Mapping[str, int] = MappingProxyType({
    "exp": 1, "expm1": 1, "log": 1, "log1p": 1, "sqrt": 1, "abs": 1, "sin": 1, "cos": 1,
    "tan": 1, "sinh": 1, "cosh": 1, "tanh": 1, "atan": 1, "erf": 1, "erfc": 1,
    "min": 2, "max": 2,
})
#: the names that are not functions
CONSTANTS = ("z", "pi", "e")

_CHUNK = 1 << 16


class ExpressionError(ValueError):
    """A text that is not an expression of the grammar: ``message`` at 1-based ``column``.

    ``str(error)`` is ``expression column 7: unknown function 'sigmod'; did you mean
    'sigmoid'?``.
    """

    def __init__(self, message: str, column: int):
        super().__init__(f"expression column {column}: {message}")
        self.message = message
        self.column = column


# ---------------------------------------------------------------------------------------
# tokens

@dataclass(frozen=True)
class _Tok:
    kind: str  # num, name, str, op, end
    text: str
    col: int  # 1-based
    value: Any = None


_OPS1 = "+-*/(),="
_DIGITS = "0123456789"
_NAME_START = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_"
_NAME_CHARS = _NAME_START + _DIGITS
_WHITESPACE = " \t\r\n"
_CHAR_HINTS = {
    "[": "; subscripts and lists are not part of an expression",
    "]": "; subscripts and lists are not part of an expression",
    "{": "; sets and dicts are not part of an expression",
    "}": "; sets and dicts are not part of an expression",
    ";": "; one expression only",
    "^": "; a power is written **",
    ":": "; lambdas and slices are not part of an expression",
}


def _show(ch: str) -> str:
    return repr(ch) if ch.isprintable() else f"U+{ord(ch):04X}"


def _number_end(text: str, i: int) -> int:
    """End of the decimal number starting at i (digits [. digits] [e[+-]digits], or .digits)."""
    n = len(text)
    j = i
    while j < n and text[j] in _DIGITS:
        j += 1
    if j < n and text[j] == ".":
        j += 1
        while j < n and text[j] in _DIGITS:
            j += 1
    if j < n and text[j] in "eE":
        k = j + 1
        if k < n and text[k] in "+-":
            k += 1
        if k < n and text[k] in _DIGITS:
            while k < n and text[k] in _DIGITS:
                k += 1
            j = k
    return j


def _tokenize(text: str) -> list[_Tok]:
    """The tokens, ending in an "end" token, or at the first bad character in a "bad" token
    carrying its ExpressionError: the parser raises it only if it gets that far, so that
    errors come in reading order (``lambda z: z`` is rejected at ``lambda``, not at ``:``)."""
    toks: list[_Tok] = []
    try:
        _scan(text, toks)
    except ExpressionError as err:
        toks.append(_Tok("bad", "", err.column, err))
    return toks


def _scan(text: str, toks: list[_Tok]) -> None:
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        col = i + 1
        if ch in _WHITESPACE:
            i += 1
            continue
        if ch in _DIGITS or (ch == "." and i + 1 < n and text[i + 1] in _DIGITS):
            j = _number_end(text, i)
            k = j
            while k < n and (text[k] in _NAME_CHARS or text[k] == "."):
                k += 1
            if k > j:  # 2z, 1e, 1.2.3: not a number
                word = text[i:k]
                hint = ""
                if text[j] in _NAME_START and text[j] not in "eE" and text[j:k].isidentifier():
                    hint = f"; a product is written {text[i:j]}*{text[j:k]}"
                raise ExpressionError(f"bad number {word!r}{hint}", col)
            word = text[i:j]
            value = float(word)  # decimal text to float64, correctly rounded
            if math.isinf(value):
                raise ExpressionError(f"number {word!r} is too large for float64", col)
            toks.append(_Tok("num", word, col, value))
            i = j
            continue
        if ch in _NAME_START:
            j = i + 1
            while j < n and text[j] in _NAME_CHARS:
                j += 1
            if j < n and text[j] in "'\"":
                raise ExpressionError(
                    f"string prefixes ({text[i:j]}{text[j]}...) are not part of an expression",
                    col)
            toks.append(_Tok("name", text[i:j], col))
            i = j
            continue
        if ch in "'\"":
            j = text.find(ch, i + 1)
            if j < 0:
                raise ExpressionError("unterminated string", col)
            toks.append(_Tok("str", text[i:j + 1], col, text[i + 1:j]))
            i = j + 1
            continue
        if text.startswith("**", i):
            toks.append(_Tok("op", "**", col))
            i += 2
            continue
        if ch == "\u2212":  # the minus sign, as the documentation writes it
            toks.append(_Tok("op", "-", col))
            i += 1
            continue
        if ch in _OPS1:
            toks.append(_Tok("op", ch, col))
            i += 1
            continue
        if ch == ".":
            raise ExpressionError("attribute access ('.') is not part of an expression", col)
        raise ExpressionError(f"unexpected character {_show(ch)}{_CHAR_HINTS.get(ch, '')}", col)
    toks.append(_Tok("end", "", n + 1))


# ---------------------------------------------------------------------------------------
# the tree

#: printing precedence: sum 1, product 2, unary 3, power 4, atom 5
_P_SUM, _P_PRODUCT, _P_UNARY, _P_POWER, _P_ATOM = 1, 2, 3, 4, 5


def _num_text(x: float) -> str:
    if x == int(x) and abs(x) < 1e16:
        return str(int(x))
    return repr(float(x))


class _Node:
    prec = _P_ATOM
    const = True  # no z below

    def text(self) -> str:
        raise NotImplementedError

    def wrap(self, prec: int) -> str:
        t = self.text()
        return f"({t})" if self.prec < prec else t

    def children(self) -> tuple["_Node", ...]:
        return ()


class _Num(_Node):
    def __init__(self, value: float, name: str | None = None):
        self.value = float(value)
        self.name = name  # "pi", "e" or None for a literal

    def text(self) -> str:
        return self.name or _num_text(self.value)


class _Z(_Node):
    const = False

    def text(self) -> str:
        return "z"


class _Neg(_Node):
    prec = _P_UNARY

    def __init__(self, arg: _Node):
        self.arg = arg
        self.const = arg.const

    def text(self) -> str:
        return "-" + self.arg.wrap(_P_UNARY)

    def children(self):
        return (self.arg,)


class _Chain(_Node):
    """n-ary sum (ops '+', '-') or product (ops '*', '/'), evaluated left to right."""

    def __init__(self, prec: int, first: _Node, rest: list[tuple[str, _Node]]):
        self.prec = prec
        self.first = first
        self.rest = tuple(rest)
        self.const = first.const and all(x.const for _, x in rest)

    def text(self) -> str:
        out = [self.first.wrap(self.prec)]
        for op, x in self.rest:
            t = x.wrap(self.prec + 1)
            out.append(f" {op} {t}" if self.prec == _P_SUM else f"{op}{t}")
        return "".join(out)

    def children(self):
        return (self.first, *(x for _, x in self.rest))


class _Pow(_Node):
    prec = _P_POWER

    def __init__(self, base: _Node, exp: _Node):
        self.base = base
        self.exp = exp
        self.const = base.const and exp.const

    def text(self) -> str:
        return f"{self.base.wrap(_P_ATOM)}**{self.exp.wrap(_P_UNARY)}"

    def children(self):
        return (self.base, self.exp)


class _Call(_Node):
    def __init__(self, name: str, args: list[_Node], params: dict[str, Any] | None = None,
                 act: registry.Activation | None = None):
        self.name = name
        self.args = tuple(args)
        self.params = dict(params or {})
        self.act = act  # the catalogue function, or None for an elementary one
        self.const = all(a.const for a in args)

    def text(self) -> str:
        parts = [a.text() for a in self.args]
        for k, v in self.params.items():
            parts.append(f'{k}="{v}"' if isinstance(v, str) else f"{k}={_num_text(v)}")
        return f"{self.name}({', '.join(parts)})"

    def children(self):
        return self.args


def _walk(node: _Node) -> Iterator[_Node]:
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.children()))


# ---------------------------------------------------------------------------------------
# the parser

class _Parser:
    def __init__(self, text: str):
        self.toks = _tokenize(text)
        self.i = 0
        self.depth = 0

    @property
    def tok(self) -> _Tok:
        t = self.toks[self.i]
        if t.kind == "bad":
            raise t.value
        return t

    def take(self) -> _Tok:
        t = self.tok
        self.i += 1
        return t

    def is_op(self, *ops: str) -> bool:
        return self.tok.kind == "op" and self.tok.text in ops

    def enter(self, tok: _Tok) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError(f"nested too deeply (more than {MAX_DEPTH} levels)", tok.col)

    def unexpected(self, tok: _Tok | None = None) -> ExpressionError:
        tok = tok or self.tok
        if tok.kind == "end":
            return ExpressionError("unexpected end of expression", tok.col)
        if tok.kind == "op" and tok.text == ")":
            return ExpressionError("unbalanced parentheses: ')' without '('", tok.col)
        if tok.kind == "str":
            return ExpressionError(
                f"unexpected string {tok.text}; strings are only parameter values"
                " (gelu(z, approximate=\"tanh\"))", tok.col)
        what = tok.text
        hint = "; missing operator?" if tok.kind in ("num", "name") or what == "(" else ""
        return ExpressionError(f"unexpected {what!r}{hint}", tok.col)

    def parse(self) -> _Node:
        node = self.sum()
        if self.tok.kind != "end":
            raise self.unexpected()
        return node

    def sum(self) -> _Node:
        first = self.product()
        rest: list[tuple[str, _Node]] = []
        while self.is_op("+", "-"):
            op = self.take().text
            rest.append((op, self.product()))
        if not rest:
            return first
        if isinstance(first, _Chain) and first.prec == _P_SUM:  # (a + b) + c is a + b + c
            return _Chain(_P_SUM, first.first, [*first.rest, *rest])
        return _Chain(_P_SUM, first, rest)

    def product(self) -> _Node:
        first = self.unary()
        rest: list[tuple[str, _Node]] = []
        while self.is_op("*", "/"):
            op = self.take().text
            rest.append((op, self.unary()))
        if not rest:
            return first
        if isinstance(first, _Chain) and first.prec == _P_PRODUCT:
            return _Chain(_P_PRODUCT, first.first, [*first.rest, *rest])
        return _Chain(_P_PRODUCT, first, rest)

    def unary(self) -> _Node:
        if self.is_op("-", "+"):
            tok = self.take()
            self.enter(tok)
            arg = self.unary()
            self.depth -= 1
            return _Neg(arg) if tok.text == "-" else arg
        return self.power()

    def power(self) -> _Node:
        base = self.atom()
        if self.is_op("**"):
            tok = self.take()
            self.enter(tok)
            exp = self.unary()
            self.depth -= 1
            return _Pow(base, exp)
        return base

    def atom(self) -> _Node:
        tok = self.tok
        if tok.kind == "num":
            self.take()
            return _Num(tok.value)
        if tok.kind == "op" and tok.text == "(":
            self.take()
            self.enter(tok)
            node = self.sum()
            self.depth -= 1
            if not self.is_op(")"):
                if self.tok.kind == "end":
                    raise ExpressionError(
                        f"unbalanced parentheses: '(' at column {tok.col} is never closed",
                        tok.col)
                raise self.unexpected()
            self.take()
            return node
        if tok.kind == "name":
            self.take()
            nxt = self.toks[self.i]  # a look without raising a bad token's error: the name
            if nxt.kind == "op" and nxt.text == "(":  # is judged first (lambda z: z)
                return self.call(tok)
            return self.name(tok)
        raise self.unexpected(tok)

    def name(self, tok: _Tok) -> _Node:
        word = tok.text
        if word == "z":
            return _Z()
        if word == "pi":
            return _Num(math.pi, "pi")
        if word == "e":
            return _Num(math.e, "e")
        if word in ELEMENTARY or registry.is_name(word):
            raise ExpressionError(f"{word!r} is a function: call it, e.g. {word}(z)", tok.col)
        if keyword.iskeyword(word) or keyword.issoftkeyword(word):
            raise ExpressionError(f"{word!r} is not part of an expression", tok.col)
        hint = registry.suggest(word.lower(), CONSTANTS)
        if not hint and len(word) == 1:
            hint = " (the variable is z)"
        raise ExpressionError(f"unknown name {word!r}{hint}", tok.col)

    def call(self, tok: _Tok) -> _Node:
        word = tok.text
        elementary = word in ELEMENTARY and word != "tanh"  # tanh is the catalogue's
        if not elementary and not registry.is_name(word):
            if word in CONSTANTS:
                raise ExpressionError(f"{word!r} is not a function", tok.col)
            if keyword.iskeyword(word) or keyword.issoftkeyword(word) or word.startswith("__"):
                raise ExpressionError(f"{word!r} is not part of an expression", tok.col)
            choices = [*ELEMENTARY, *registry.all_names()]
            raise ExpressionError(
                f"unknown function {word!r}{registry.suggest(word.lower(), choices)}", tok.col)
        open_tok = self.take()
        self.enter(open_tok)
        args: list[tuple[_Node, _Tok]] = []
        params: dict[str, tuple[Any, _Tok, _Tok]] = {}
        while not self.is_op(")"):
            if self.tok.kind == "end":
                raise ExpressionError(
                    f"unbalanced parentheses: '(' at column {open_tok.col} is never closed",
                    open_tok.col)
            start = self.tok
            if start.kind == "name" and self.toks[self.i + 1].kind == "op" \
                    and self.toks[self.i + 1].text == "=":
                self.take()
                self.take()
                if start.text in params:
                    raise ExpressionError(f"parameter {start.text!r} given twice", start.col)
                vtok = self.tok
                if vtok.kind == "str":
                    self.take()
                    value: Any = vtok.value
                else:
                    node = self.sum()
                    if not node.const:
                        raise ExpressionError(
                            f"parameter {start.text!r} must be a constant, not depend on z",
                            vtok.col)
                    value = float(_const_value(node))
                params[start.text] = (value, start, vtok)
            else:
                if params:
                    raise ExpressionError("an argument after a parameter", start.col)
                args.append((self.sum(), start))
            if self.is_op(","):
                self.take()
            elif not self.is_op(")"):
                if self.tok.kind == "end":
                    raise ExpressionError(
                        f"unbalanced parentheses: '(' at column {open_tok.col} is never closed",
                        open_tok.col)
                raise self.unexpected()
        self.take()
        self.depth -= 1
        nodes = [a for a, _ in args]
        if elementary:
            want = ELEMENTARY[word]
            if params:
                _, ptok, _ = next(iter(params.values()))
                raise ExpressionError(f"{word} has no parameters", ptok.col)
            if len(nodes) != want:
                raise ExpressionError(
                    f"{word} takes {want} argument{'s' if want > 1 else ''}, got {len(nodes)}",
                    tok.col)
            return _Call(word, nodes)
        return self.catalogue(tok, nodes, params)

    def catalogue(self, tok: _Tok, nodes: list[_Node],
                  params: dict[str, tuple[Any, _Tok, _Tok]]) -> _Node:
        sp = registry.spec(tok.text)
        if len(nodes) != 1:
            raise ExpressionError(
                f"{sp.name} takes 1 argument (and keyword parameters), got {len(nodes)}",
                tok.col)
        known = {p.name: p for p in sp.params}
        for name, (value, ptok, vtok) in params.items():
            p = known.get(name)
            if p is not None and p.choices is None and isinstance(value, str):
                raise ExpressionError(
                    f"parameter {name} of {sp.name} is a number, not a string", vtok.col)
            try:
                registry.get(tok.text, **{name: value})
            except ValueError as err:
                raise ExpressionError(str(err), ptok.col if p is None else vtok.col) from None
        try:
            act = registry.get(tok.text, **{k: v for k, (v, _, _) in params.items()})
        except ValueError as err:  # a constraint between parameters
            raise ExpressionError(str(err), tok.col) from None
        return _Call(sp.name, nodes, registry.with_fixed(
            tok.text, {k: v for k, (v, _, _) in params.items()}), act)


def _const_value(node: _Node) -> np.float64:
    with np.errstate(all="ignore"):
        v, _, _ = _Eval(0, "pytorch").jet(node)
    return np.float64(np.asarray(v, dtype=np.float64).reshape(()))


# ---------------------------------------------------------------------------------------
# jets: (value, first, second derivative); None for an identically zero derivative

Jet = tuple[Any, Any, Any]

_TWO_OVER_SQRT_PI = 1.1283791670955126


def _gauss(u: np.ndarray) -> np.ndarray:
    """2/√π·e^(−u²), with u² carried exactly (a rounded u² would lose ~u² ULP)."""
    au = np.minimum(np.abs(u), 40.0)  # e^(−1600) is 0 in float64; nan stays nan
    p, e = two_prod(au, au)
    m, k = exp_split(-p, -e)
    return np.ldexp(_TWO_OVER_SQRT_PI * m, k)


def _atan_d(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(1/(1 + u²), u/(1 + u²)) without overflow: through w = 1/u for |u| > 1."""
    big = np.abs(u) > 1
    w = np.where(big, 1.0 / np.where(big, u, 1.0), 0.0)
    small_u = np.where(big, 0.0, u)
    d = np.where(big, w * w / (1.0 + w * w), 1.0 / (1.0 + small_u * small_u))
    ud = np.where(big, w / (1.0 + w * w), small_u / (1.0 + small_u * small_u))
    return d, ud


def _elementary(name: str, u: np.ndarray, order: int) -> tuple[Any, Any, Any]:
    """(f(u), f′(u), f″(u)) of a smooth elementary function (f″ only for order 2)."""
    f1 = f2 = None
    if name == "exp":
        v = np.exp(u)
        f1 = f2 = v
    elif name == "expm1":
        v = np.expm1(u)
        if order:
            f1 = f2 = np.exp(u)
    elif name == "log":
        v = np.log(u)
        f1 = 1.0 / u
        f2 = -(f1 * f1)
    elif name == "log1p":
        v = np.log1p(u)
        f1 = 1.0 / (1.0 + u)
        f2 = -(f1 * f1)
    elif name == "sqrt":
        v = np.sqrt(u)
        f1 = 0.5 / v
        f2 = -0.5 * f1 / u  # −1/(4·u^(3/2))
    elif name == "sin":
        v = np.sin(u)
        f1 = np.cos(u)
        f2 = -v
    elif name == "cos":
        v = np.cos(u)
        f1 = -np.sin(u)
        f2 = -v
    elif name == "tan":
        v = np.tan(u)
        f1 = 1.0 + v * v
        f2 = 2.0 * v * f1
    elif name == "sinh":
        v = np.sinh(u)
        f1 = np.cosh(u)
        f2 = v
    elif name == "cosh":
        v = np.cosh(u)
        f1 = np.sinh(u)
        f2 = v
    elif name == "atan":
        v = np.arctan(u)
        f1, uf1 = _atan_d(u)
        f2 = -2.0 * uf1 * f1  # −2u/(1 + u²)²
    elif name == "erf":
        v = _erf(u)
        if order:
            f1 = _gauss(u)
            f2 = -2.0 * u * f1
    elif name == "erfc":
        v = _erfc(u)
        if order:
            f1 = -_gauss(u)
            f2 = -2.0 * u * f1
    else:  # pragma: no cover - the parser admits no other name
        raise AssertionError(name)
    return v, f1, f2


def _deriv_takes_order(act: registry.Activation) -> bool:
    try:
        return "order" in inspect.signature(act.deriv).parameters
    except (TypeError, ValueError):  # pragma: no cover
        return False


#: g″ of catalogue functions in closed form from g and g′ (exact identities), until the
#: catalogue has its own g″; (u, g, g′) -> g″
_SECOND: dict[str, Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]] = {
    "tanh": lambda u, g, d: -2.0 * g * d,  # tanh″ = −2·tanh·tanh′
    "sigmoid": lambda u, g, d: -d * np.tanh(0.5 * u),  # σ″ = σ′·(1 − 2σ) = −σ′·tanh(u/2)
}


#: where an elementary function's domain ends or it has a pole: a value whose zero marks it
_POLES: dict[str, Callable[[Any], Any]] = {
    "sqrt": lambda u: u, "log": lambda u: u, "log1p": lambda u: u + 1.0,
    "tan": lambda u: np.cos(u),
}


def second_available(act: registry.Activation) -> bool:
    return _deriv_takes_order(act) or act.name in _SECOND


def _below(s1: Any, s2: Any) -> np.ndarray:
    """Whether an argument with one-sided jet (s1, s2) along the pass, as a function of the
    step h > 0 (argument − kink ≈ s1·h + s2·h²/2), comes from below its kink."""
    s1 = 0.0 if s1 is None else s1
    s2 = 0.0 if s2 is None else s2
    return np.logical_or(np.less(s1, 0), np.logical_and(np.equal(s1, 0), np.less(s2, 0)))


class _Eval:
    """One evaluation of a tree: derivative order (0, 1, 2), kink mode (pytorch, jax, left,
    right), and an optional list collecting (argument − kink) at every kinked primitive."""

    def __init__(self, order: int, mode: str, sites: list | None = None,
                 second_sites: bool = False):
        self.order = order
        self.mode = mode
        self.sites = sites
        self.second_sites = second_sites  # sites also at the jumps of catalogue calls' g″
        #: when lists: (value − point) where g″ of a catalogue call jumps (its kinks2 and
        #: breaks), and where an elementary operation ends its domain or has a pole (the
        #: argument of sqrt, log, log1p + 1, cos of tan's, a divisor, the base of a power
        #: other than u**n for an integer n >= 0); the numerical derivative keeps its
        #: stencils off both (``Expression.obstacles``)
        self.breaks: list | None = None
        self.poles: list | None = None
        self.sign = -1.0 if mode == "left" else 1.0  # direction of the one-sided pass
        self.z: Any = None

    def jet(self, node: _Node) -> Jet:
        if node.const:  # evaluated once per tree; its derivatives are exactly zero
            v = getattr(node, "_value", None)
            if v is None:
                v, _, _ = _Eval(0, "pytorch")._jet(node)
                v = np.float64(np.asarray(v, dtype=np.float64).reshape(()))
                node._value = v  # type: ignore[attr-defined]
            return v, None, None
        return self._jet(node)

    # the one-sided slope of the argument along this pass: ±u′ (and u″ unchanged)
    def _side_below(self, u1: Any, u2: Any) -> np.ndarray:
        s1 = None if u1 is None else self.sign * u1
        return _below(s1, u2)

    def _jet(self, node: _Node) -> Jet:
        o = self.order
        if isinstance(node, _Num):
            return np.float64(node.value), None, None
        if isinstance(node, _Z):
            return self.z, (1.0 if o >= 1 else None), None  # z″ is exactly 0
        if isinstance(node, _Neg):
            v, d1, d2 = self.jet(node.arg)
            return -v, _neg(d1), _neg(d2)
        if isinstance(node, _Chain):
            acc = self.jet(node.first)
            for op, x in node.rest:
                xj = self.jet(x)
                if op == "/" and self.poles is not None and not x.const:
                    self.poles.append(xj[0])
                acc = _BINARY[op](acc, xj, o)
            return acc
        if isinstance(node, _Pow):
            return self._pow(node)
        if isinstance(node, _Call):
            if node.act is not None:
                return self._catalogue(node)
            if node.name in ("min", "max"):
                return self._minmax(node)
            u = self.jet(node.args[0])
            if node.name == "abs":
                return self._abs(u)
            if self.poles is not None and node.name in _POLES:
                self.poles.append(_POLES[node.name](u[0]))
            f0, f1, f2 = _elementary(node.name, u[0], o)
            return _chain(f0, f1, f2, u, o)
        raise AssertionError(node)  # pragma: no cover

    def _pow(self, node: _Pow) -> Jet:
        o = self.order
        if isinstance(node.base, _Num) and node.base.name == "e":  # e**v is exp(v)
            w = self.jet(node.exp)
            v = np.exp(w[0])
            return _chain(v, v, v, w, o)
        b = self.jet(node.base)
        w = self.jet(node.exp)
        if self.poles is not None and not node.base.const and not (
                node.exp.const and float(w[0]) >= 0 and float(w[0]) == int(float(w[0]))):
            self.poles.append(b[0])
        if node.exp.const:  # u**c
            c = float(w[0])
            u, u1, u2 = b
            if c == 0.0:  # u**0 is 1 (also for u = 0, inf, nan: IEEE pow)
                return np.power(u, 0.0), None, None
            if c == 1.0:
                return b
            if o == 0:
                return np.power(u, c), None, None
            if c == 2.0:
                d2 = 2.0 * _sum(u1 * u1, _m(u, u2)) if o >= 2 else None
                return u * u, 2.0 * u * u1, d2
            v = np.power(u, c)
            p1 = c * np.power(u, c - 1.0)
            p2 = c * (c - 1.0) * np.power(u, c - 2.0) if o >= 2 else None
            return _chain(v, p1, p2, b, o)
        if node.base.const:  # c**v
            c = float(b[0])
            v = np.power(c, w[0])
            if o == 0:
                return v, None, None
            L = math.log(c) if c > 0 else (-math.inf if c == 0 else math.nan)
            d1 = v * L * w[1]
            d2 = v * L * _sum(w[2], L * w[1] * w[1]) if o >= 2 else None
            if c == 0.0:  # 0**v is 0 for every v > 0: its derivatives are 0 there
                d1 = np.where(v == 0, 0.0, d1)
                d2 = None if d2 is None else np.where(v == 0, 0.0, d2)
            return v, d1, d2
        # u**v = e^(v·log u): (u**v)′ = u**v·(v′·log u + v·u′/u)
        u, u1, u2 = b
        x, x1, x2 = w
        v = np.power(u, x)
        if o == 0:
            return v, None, None
        lu = np.log(u)
        q = u1 / u
        L = x1 * lu + x * q
        d1 = v * L
        d2 = None
        if o >= 2:
            t = -(q * q) if u2 is None else u2 / u - q * q
            L1 = _sum(_m(x2, lu), 2.0 * x1 * q + x * t)
            d2 = v * (L * L + L1)
        return v, d1, d2

    def _abs(self, u: Jet) -> Jet:
        o = self.order
        x, u1, u2 = u
        v = np.abs(x)
        if self.sites is not None:
            self.sites.append(x)
        if o == 0:
            return v, None, None
        if self.mode == "jax":  # select(x >= 0, g, -g)
            s = np.where(x >= 0, 1.0, -1.0)
        else:  # pytorch: sgn, 0 at 0
            s = np.sign(x)
        if self.mode in ("left", "right"):
            s = np.where(x == 0, np.where(self._side_below(u1, u2), -1.0, 1.0), s)
        s = np.where(np.isnan(x), np.nan, s)
        return v, s * u1, _m(s, u2)

    def _minmax(self, node: _Call) -> Jet:
        o = self.order
        a = self.jet(node.args[0])
        b = self.jet(node.args[1])
        is_max = node.name == "max"
        v = np.maximum(a[0], b[0]) if is_max else np.minimum(a[0], b[0])
        if self.sites is not None:
            self.sites.append(a[0] - b[0])
        if o == 0:
            return v, None, None
        pick_a = (a[0] > b[0]) if is_max else (a[0] < b[0])
        tie = a[0] == b[0]
        a1, b1 = _full(a[1]), _full(b[1])
        a2, b2 = _full(a[2]), _full(b[2])
        nan = np.isnan(a[0]) | np.isnan(b[0])
        if self.mode in ("left", "right"):
            # a − b along this pass: a comes from below b (a < b) on this side
            d1 = None if a[1] is None and b[1] is None else a1 - b1
            d2 = None if o < 2 else a2 - b2
            a_below = self._side_below(d1, d2)
            a_wins = ~a_below if is_max else a_below
            pick_a = np.where(tie, a_wins, pick_a)
            r1 = np.where(pick_a, a1, b1)
            r2 = np.where(pick_a, a2, b2) if o >= 2 else None
        else:  # both frameworks: half to each at a tie
            r1 = np.where(tie, 0.5 * a1 + 0.5 * b1, np.where(pick_a, a1, b1))
            r2 = (np.where(tie, 0.5 * a2 + 0.5 * b2, np.where(pick_a, a2, b2))
                  if o >= 2 else None)
        r1 = np.where(nan, np.nan, r1)
        r2 = None if r2 is None else np.where(nan, np.nan, r2)
        return v, r1, r2

    def _catalogue(self, node: _Call) -> Jet:
        o = self.order
        act = node.act
        assert act is not None
        u = self.jet(node.args[0])
        x = np.asarray(u[0], dtype=np.float64)
        v = np.asarray(act(x), dtype=np.float64)
        if self.sites is not None:
            for k in (*act.kinks, *(act.kinks2 if self.second_sites else ())):
                self.sites.append(x - k.at)
        if self.breaks is not None:
            for b in sorted({k.at for k in act.kinks2} | set(act.breaks)):
                self.breaks.append(x - b)
        if o == 0:
            return v, None, None
        one_sided = self.mode in ("left", "right")
        f1 = np.asarray(act.deriv(x, kink="left" if one_sided else self.mode), dtype=np.float64)
        below = None
        if one_sided and (act.kinks or (o >= 2 and act.kinks2)):
            below = self._side_below(u[1], u[2])
            for k in act.kinks:
                f1 = np.where((x == k.at) & ~below, k.right, f1)
        f2 = None
        if o >= 2:
            f2 = self._catalogue_second(act, x, v, f1, below)
        return _chain(v, f1, f2, u, o)

    def _catalogue_second(self, act: registry.Activation, x: np.ndarray, g: np.ndarray,
                          d: np.ndarray, below: np.ndarray | None) -> np.ndarray:
        if _deriv_takes_order(act):  # the catalogue's own g″, once the registry has it
            if below is None:
                return np.asarray(act.deriv(x, kink=self.mode, order=2), dtype=np.float64)
            left = np.asarray(act.deriv(x, kink="left", order=2), dtype=np.float64)
            right = np.asarray(act.deriv(x, kink="right", order=2), dtype=np.float64)
            return np.where(below, left, right)
        closed = _SECOND.get(act.name)
        if closed is None:
            raise NotImplementedError(_second_missing(act.name))
        return closed(x, g, d)


def _second_missing(name: str) -> str:
    return (f"g″ of an expression calling {name} needs {name}″, which the catalogue does"
            " not provide yet")


def _neg(d: Any) -> Any:
    return None if d is None else -d


def _full(d: Any) -> Any:
    return 0.0 if d is None else d


def _chain(f0: Any, f1: Any, f2: Any, u: Jet, o: int) -> Jet:
    """The jet of f(u) from f, f′, f″ at u: (f∘u)′ = f′·u′, (f∘u)″ = f″·u′² + f′·u″
    (a term with a zero u″ is left out, not multiplied: f′ may be infinite)."""
    _, u1, u2 = u
    if u1 is None or o == 0:
        return f0, None, None
    d1 = f1 * u1
    d2 = _sum(f2 * (u1 * u1), _m(f1, u2)) if o >= 2 else None
    return f0, d1, d2


def _m(x: Any, y: Any) -> Any:
    """x·y, None (zero) when either is None."""
    return None if x is None or y is None else x * y


def _add(a: Jet, b: Jet, o: int) -> Jet:
    return (a[0] + b[0], _sum(a[1], b[1]), _sum(a[2], b[2]))


def _sub(a: Jet, b: Jet, o: int) -> Jet:
    return (a[0] - b[0], _sum(a[1], _neg(b[1])), _sum(a[2], _neg(b[2])))


def _sum(x: Any, y: Any) -> Any:
    if x is None:
        return y
    if y is None:
        return x
    return x + y


def _mul(a: Jet, b: Jet, o: int) -> Jet:
    """(a·b)′ = a′b + ab′, (a·b)″ = a″b + 2a′b′ + ab″; a constant factor only scales."""
    v = a[0] * b[0]
    if o == 0:
        return v, None, None
    d1 = _sum(_m(a[1], b[0]), _m(a[0], b[1]))
    d2 = None
    if o >= 2:
        d2 = _sum(_sum(_m(a[2], b[0]), _m(2.0, _m(a[1], b[1]))), _m(a[0], b[2]))
    return v, d1, d2


def _div(a: Jet, b: Jet, o: int) -> Jet:
    """q = a/b: q′ = (a′ − q·b′)/b, q″ = (a″ − 2q′b′ − q·b″)/b (from a = q·b)."""
    q = a[0] / b[0]
    if o == 0:
        return q, None, None
    if b[1] is None:  # a constant divisor: divide, do not multiply by a rounded reciprocal
        return q, (None if a[1] is None else a[1] / b[0]), \
            (None if a[2] is None else a[2] / b[0])
    q1 = _sum(a[1], -(q * b[1])) / b[0]
    q2 = None
    if o >= 2:
        q2 = _sum(_sum(a[2], -2.0 * (q1 * b[1])), _neg(_m(q, b[2]))) / b[0]
    return q, q1, q2


_BINARY: dict[str, Callable[[Jet, Jet, int], Jet]] = {"+": _add, "-": _sub, "*": _mul,
                                                      "/": _div}


# ---------------------------------------------------------------------------------------
# the Expression object

@dataclass(frozen=True)
class KinkSite:
    """A kinked primitive in an expression (text-free, for ``explain``).

    ``primitive`` is the function name, ``arguments`` the canonical text of its argument(s);
    for a catalogue function or abs, ``at`` is the kink point of the argument and ``left``/
    ``right`` the primitive's slopes on either side, ``pytorch``/``jax`` the side (``left``,
    ``right`` or ``mean``) whose slope that framework takes; for min/max ``at`` is None (the
    kink is a tie of the two arguments) and both frameworks take the mean.

    ``z`` is where in z the kink lies, when the argument (for min/max: the difference of the
    two) is affine in z, else None (a kink of a nonlinear argument has no closed-form place;
    ``at_kink``/``near_kink`` still find it). ``z_exact`` says whether at that float64 z
    the argument hits the kink exactly, so that ``kink=`` applies there (``max(z, 1 - z/2)``:
    no float z makes the two equal, the kink falls between two floats).
    """

    primitive: str
    arguments: tuple[str, ...]
    at: float | None
    left: float | None
    right: float | None
    pytorch: str
    jax: str
    z: float | None = None
    z_exact: bool = False


def _prepare(z: Any) -> tuple[np.ndarray, np.dtype, tuple[int, ...]]:
    from .numerics import DTYPES

    arr = np.asarray(z)
    small = arr.dtype.name in DTYPES[1:]  # float32, float16 and ml_dtypes' (kind V for some)
    if arr.dtype.kind not in "biuf" and not small:
        raise TypeError(f"expected real numbers, got an array of dtype {arr.dtype}")
    out = arr.dtype if small else np.dtype(np.float64)
    with np.errstate(invalid="ignore"):
        x = arr.astype(np.float64, copy=False)
    return x.reshape(-1), out, arr.shape


def _finish(r: np.ndarray, out: np.dtype, shape: tuple[int, ...]) -> Any:
    with np.errstate(over="ignore", under="ignore"):
        r = r.astype(out, copy=False).reshape(shape)
    if r.ndim:
        return r
    return float(r) if out == np.float64 else r[()]


class Expression:
    """g(z) given as an expression; the interface of a registry ``Activation`` where it
    makes sense (``name``, ``params``, ``f(z)``, ``f.deriv(z, kink=)``, ``near_kink``) plus
    ``deriv2``, ``at_kink``, ``kink_sites``, ``kink2_sites``, ``describe``, ``exact`` (g in
    mpmath), ``ball`` (g in arb balls) and ``obstacles`` (where g is not smooth).

    Results are float64 (float32 or float16 for inputs of those types, rounded once from the
    float64 result), of the input's shape; a nan input gives nan for g, g′ and g″.
    """

    params: Mapping[str, Any] = MappingProxyType({})

    def __init__(self, root: _Node, source: str):
        self._root = root
        self.source = source
        self.name = root.text()
        self.kink_sites: tuple[KinkSite, ...] = tuple(_sites(root))
        #: the jumps of g″ of catalogue calls (``Activation.kinks2``): g′ is continuous
        #: there, g″ follows ``kink=`` as the catalogue's does
        self.kink2_sites: tuple[KinkSite, ...] = tuple(_sites(root, second=True))

    def __repr__(self) -> str:
        return f"actgrad.expression.parse({self.name!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Expression):
            return NotImplemented
        return self.name == other.name

    def __hash__(self) -> int:
        return hash(("expression", self.name))

    @property
    def depends_on_z(self) -> bool:
        return not self._root.const

    # -- values -------------------------------------------------------------------------
    def jets(self, z: Any, order: int = 2, kink: str = "pytorch") -> tuple[Any, ...]:
        """(g, g′, …) up to `order` (0, 1 or 2) at z, in one pass through the graph."""
        if order not in (0, 1, 2):
            raise ValueError(f"order must be 0, 1 or 2, got {order!r}")
        registry.check_kink(kink)
        if order == 2:
            why = self.second_unavailable()
            if why:
                raise NotImplementedError(why)
        flat, out, shape = _prepare(z)
        res = [np.empty(flat.shape) for _ in range(order + 1)]
        # no kink anywhere (nor, for g″, a jump of a catalogue call's g″): every convention
        # is the same pass
        if not self.kink_sites and not (order == 2 and self.kink2_sites):
            modes: tuple[str, ...] = ("pytorch",)
        else:
            modes = ("left", "right") if kink == "mean" else (kink,)
        with np.errstate(all="ignore"):
            for i in range(0, max(flat.size, 1), _CHUNK):
                part = flat[i:i + _CHUNK]
                acc = None
                for mode in modes:
                    ev = _Eval(order, mode)
                    ev.z = part
                    j = ev.jet(self._root)
                    got = [np.broadcast_to(np.asarray(j[k] if j[k] is not None else 0.0,
                                                      dtype=np.float64), part.shape)
                           for k in range(order + 1)]
                    # the mean of the two sides (the value itself where they agree: half a
                    # subnormal would lose its last bit)
                    acc = got if acc is None else [
                        np.where(a == g, a, 0.5 * a + 0.5 * g) if k else a
                        for k, (a, g) in enumerate(zip(acc, got))]
                # nan in, or g undefined (log of a negative number): g′ and g″ are nan too
                nan = np.isnan(part) | np.isnan(acc[0])
                for k in range(order + 1):
                    res[k][i:i + _CHUNK] = np.where(nan, np.nan, acc[k])
        return tuple(_finish(r, out, shape) for r in res)

    def __call__(self, z: Any) -> Any:
        return self.jets(z, 0)[0]

    def deriv(self, z: Any, kink: str = "pytorch", order: int = 1) -> Any:
        """g′(z) (or g″ with order=2) by forward mode through the graph."""
        if order not in (1, 2):
            raise ValueError(f"order must be 1 or 2, got {order!r}")
        return self.jets(z, order, kink)[order]

    def deriv2(self, z: Any, kink: str = "pytorch") -> Any:
        """g″(z); NotImplementedError naming the catalogue function without g″."""
        return self.jets(z, 2, kink)[2]

    def second_unavailable(self) -> str | None:
        """Why g″ cannot be computed (a catalogue call without g″ that depends on z)."""
        for n in _walk(self._root):
            if isinstance(n, _Call) and n.act is not None and not n.const \
                    and not second_available(n.act):
                return _second_missing(n.act.name)
        return None

    # -- kinks --------------------------------------------------------------------------
    def _site_values(self, z: np.ndarray, order: int = 1) -> list[np.ndarray]:
        sites: list = []
        ev = _Eval(0, "pytorch", sites, second_sites=order == 2)
        ev.z = z
        with np.errstate(all="ignore"):
            ev.jet(self._root)
        return [np.broadcast_to(np.asarray(s, dtype=np.float64), z.shape) for s in sites]

    def at_kink(self, z: Any, order: int = 1) -> np.ndarray:
        """Mask of z where some primitive sits exactly at its kink (the convention applies);
        with order=2 also where a catalogue call sits at a jump of its g″."""
        flat, _, shape = _prepare(z)
        mask = np.zeros(flat.shape, dtype=bool)
        for s in self._site_values(flat, order):
            mask |= s == 0
        return mask.reshape(shape)

    def near_kink(self, z: Any, radius: Any) -> np.ndarray:
        """Mask of z within `radius` of a kink: at one, or a primitive's argument − kink
        changes sign between z − radius, z and z + radius."""
        flat, _, shape = _prepare(z)
        r = np.broadcast_to(np.asarray(radius, dtype=np.float64), shape).reshape(-1)
        with np.errstate(all="ignore"):
            lo, hi = flat - r, flat + r
        mid = self._site_values(flat)
        left = self._site_values(lo)
        right = self._site_values(hi)
        mask = np.zeros(flat.shape, dtype=bool)
        for m, a, b in zip(mid, left, right):
            sm, sa, sb = np.sign(m), np.sign(a), np.sign(b)
            mask |= (sa * sm <= 0) | (sb * sm <= 0)  # a sign 0 is a kink on the spot
        return mask.reshape(shape)

    def obstacles(self, z: Any) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
        """At flat float64 z, three lists of values whose sign changes (or zeros) mark the
        points a difference quotient must not reach across: the kinks (``kink_sites``: g′
        jumps), the breaks (g′ continuous, g″ of a catalogue call jumping: its kinks2 and
        breaks) and the poles (the domain of an elementary operation ends, or it has a
        pole: sqrt, log, log1p, tan, a divisor, the base of a power)."""
        flat = np.asarray(z, dtype=np.float64).reshape(-1)
        sites: list = []
        ev = _Eval(0, "pytorch", sites)
        ev.breaks, ev.poles = [], []
        ev.z = flat
        with np.errstate(all="ignore"):
            ev.jet(self._root)

        def full(values: list) -> list[np.ndarray]:
            return [np.broadcast_to(np.asarray(v, dtype=np.float64), flat.shape)
                    for v in values]

        return full(sites), full(ev.breaks), full(ev.poles)

    def ball(self, x: Any, ar: Any) -> Any:
        """g at the python-flint ``arb`` ball x, in ball arithmetic at the current arb
        precision: elementary operations on the balls themselves, catalogue calls through
        their Spec's ``exact`` form with `ar` as its mpmath-like module (the shim of
        ``numerics.gradcheck``). pi and e are the real constants; a literal is its float64
        value, as in the float path. A ball that cannot be bounded (log of a ball reaching
        0, a divisor containing 0) comes out not finite."""
        return _ball_node(self._root, x, ar)

    # -- high precision -----------------------------------------------------------------
    def exact(self, z: Any) -> Any:
        """g(z) in mpmath at the current mpmath precision (z converted exactly; pi and e are
        the real constants; catalogue calls use the catalogue's mpmath forms)."""
        import mpmath

        return _mp_eval(self._root, mpmath.mpf(z), mpmath)

    # -- explain ------------------------------------------------------------------------
    def describe(self) -> dict[str, Any]:
        """A text-free description for ``explain``:

        ``expression``: the canonical text (minimal parentheses); ``tree``: the parsed form as
        nested tuples; ``derivative``: the rule applied at each node, nested dicts
        ``{"node": text, "rule": ..., "parts": [...]}`` (rules: constant, variable,
        negation, sum, product, quotient, power (u**c), exponential (c**v, e**v),
        general_power (u**v), chain (f(u), with ``function``), min_max); ``kinks``: the
        kink sites (``KinkSite`` as dicts); ``second_derivative``: None or why g″ is
        unavailable.
        """
        return {
            "expression": self.name,
            "tree": _tree(self._root),
            "derivative": _rule(self._root),
            "kinks": [asdict(s) for s in self.kink_sites],
            "second_derivative": self.second_unavailable(),
        }


def _tree(n: _Node) -> tuple:
    if isinstance(n, _Num):
        return ("number", n.value, n.text())
    if isinstance(n, _Z):
        return ("z",)
    if isinstance(n, _Neg):
        return ("neg", _tree(n.arg))
    if isinstance(n, _Chain):
        kind = "sum" if n.prec == _P_SUM else "product"
        first = "+" if kind == "sum" else "*"
        return (kind, ((first, _tree(n.first)), *((op, _tree(x)) for op, x in n.rest)))
    if isinstance(n, _Pow):
        return ("power", _tree(n.base), _tree(n.exp))
    if isinstance(n, _Call):
        return ("call", n.name, tuple(n.params.items()), *(_tree(a) for a in n.args))
    raise AssertionError(n)  # pragma: no cover


def _rule(n: _Node) -> dict[str, Any]:
    text = n.text()
    if n.const:
        return {"node": text, "rule": "constant", "parts": []}
    if isinstance(n, _Z):
        return {"node": text, "rule": "variable", "parts": []}
    if isinstance(n, _Neg):
        return {"node": text, "rule": "negation", "parts": [_rule(n.arg)]}
    if isinstance(n, _Chain):
        if n.prec == _P_SUM:
            rule = "sum"
        else:
            rule = "quotient" if any(op == "/" for op, _ in n.rest) else "product"
        return {"node": text, "rule": rule, "ops": ["+" if n.prec == _P_SUM else "*",
                                                    *(op for op, _ in n.rest)],
                "parts": [_rule(c) for c in n.children()]}
    if isinstance(n, _Pow):
        if n.exp.const:
            return {"node": text, "rule": "power", "exponent": n.exp.text(),
                    "parts": [_rule(n.base)]}
        if n.base.const:
            return {"node": text, "rule": "exponential", "base": n.base.text(),
                    "parts": [_rule(n.exp)]}
        return {"node": text, "rule": "general_power", "parts": [_rule(n.base), _rule(n.exp)]}
    if isinstance(n, _Call):
        rule = "min_max" if n.name in ("min", "max") else "chain"
        return {"node": text, "rule": rule, "function": n.name,
                "catalogue": n.act is not None, "parts": [_rule(a) for a in n.args]}
    raise AssertionError(n)  # pragma: no cover


def _sites(root: _Node, second: bool = False) -> Iterator[KinkSite]:
    """The kinked primitives (g′ jumps), or with `second` the catalogue calls at a jump of
    their g″ (``Activation.kinks2``; the slopes are then g″'s one-sided values)."""
    for n in _walk(root):
        if not isinstance(n, _Call) or n.const:
            continue
        args = tuple(a.text() for a in n.args)
        if second:
            if n.act is not None:
                for k in n.act.kinks2:
                    yield KinkSite(n.name, args, k.at, k.left, k.right, k.pytorch, k.jax,
                                   *_kink_z(n.args, k.at))
            continue
        if n.act is not None:
            for k in n.act.kinks:
                yield KinkSite(n.name, args, k.at, k.left, k.right, k.pytorch, k.jax,
                               *_kink_z(n.args, k.at))
        elif n.name == "abs":
            yield KinkSite("abs", args, 0.0, -1.0, 1.0, "mean", "right", *_kink_z(n.args, 0.0))
        elif n.name in ("min", "max"):
            yield KinkSite(n.name, args, None, None, None, "mean", "mean",
                           *_kink_z(n.args, 0.0))


def _affine(n: _Node) -> bool:
    """Whether n is structurally a + b·z (sums, negations, products and quotients by
    constants)."""
    if n.const or isinstance(n, _Z):
        return True
    if isinstance(n, _Neg):
        return _affine(n.arg)
    if isinstance(n, _Chain):
        if n.prec == _P_SUM:
            return all(_affine(c) for c in n.children())
        varying = [(op, x) for op, x in (("*", n.first), *n.rest) if not x.const]
        return len(varying) == 1 and varying[0][0] == "*" and _affine(varying[0][1])
    return False


def _kink_z(args: tuple[_Node, ...], at: float) -> tuple[float | None, bool]:
    """(z, exact) where the argument (or the difference of min/max's two) equals `at`, for
    an affine argument; (None, False) otherwise."""
    if not all(_affine(a) for a in args):
        return None, False

    def arg(z: np.ndarray) -> tuple[np.ndarray, Any]:
        ev = _Eval(1, "pytorch")
        ev.z = z
        jets = [ev.jet(a) for a in args]
        if len(jets) == 1:
            return np.asarray(jets[0][0]) - at, jets[0][1]
        (a, a1, _), (b, b1, _) = jets
        return np.asarray(a) - np.asarray(b), _full(a1) - _full(b1)

    with np.errstate(all="ignore"):
        c, slope = arg(np.zeros(1))
        slope = float(np.asarray(slope).reshape(-1)[0])
        if slope == 0 or not math.isfinite(slope) or not math.isfinite(float(c[0])):
            return None, False
        z0 = -float(c[0]) / slope + 0.0  # no −0
        if not math.isfinite(z0):
            return None, False
        near = [z0]  # the solution, then its float neighbours, nearest first
        lo = hi = z0
        for _ in range(4):
            lo, hi = math.nextafter(lo, -math.inf), math.nextafter(hi, math.inf)
            near += [lo, hi]
        vals, _ = arg(np.array(near))
        vals = np.broadcast_to(vals, (len(near),))
        hits = np.flatnonzero(vals == 0)
        if hits.size:
            return near[int(hits[0])], True
        return z0, False


_MP_NAMES = {"exp": "exp", "expm1": "expm1", "log": "log", "log1p": "log1p", "sqrt": "sqrt",
             "abs": "fabs", "sin": "sin", "cos": "cos", "tan": "tan", "sinh": "sinh",
             "cosh": "cosh", "atan": "atan", "erf": "erf", "erfc": "erfc"}


def _mp_eval(n: _Node, z: Any, mp: Any) -> Any:
    """g in mpmath, real or nan: where float64 gives nan (log or a fractional power of a
    negative number) mpmath's complex result becomes nan; x/0 is ±inf for x ≠ 0 and nan
    for 0/0, as in float64 with a +0 divisor (an exact 0 has no sign)."""
    v = _mp_node(n, z, mp)
    if isinstance(v, mp.mpc):
        return v.real if v.imag == 0 else mp.nan
    return v


def _mp_div(a: Any, b: Any, mp: Any) -> Any:
    if b == 0:
        return mp.nan if a == 0 or mp.isnan(a) else mp.inf * mp.sign(a)
    return a / b


def _mp_node(n: _Node, z: Any, mp: Any) -> Any:
    if isinstance(n, _Num):
        if n.name == "pi":
            return +mp.pi
        if n.name == "e":
            return +mp.e
        return mp.mpf(n.value)
    if isinstance(n, _Z):
        return z
    if isinstance(n, _Neg):
        return -_mp_eval(n.arg, z, mp)
    if isinstance(n, _Chain):
        acc = _mp_eval(n.first, z, mp)
        for op, x in n.rest:
            y = _mp_eval(x, z, mp)
            acc = acc + y if op == "+" else acc - y if op == "-" else acc * y if op == "*" \
                else _mp_div(acc, y, mp)
        return acc
    if isinstance(n, _Pow):
        w = _mp_eval(n.exp, z, mp)
        if isinstance(n.base, _Num) and n.base.name == "e":
            return mp.exp(w)
        b = _mp_eval(n.base, z, mp)
        if b == 0 and w < 0:
            return mp.inf
        return mp.power(b, w)
    if isinstance(n, _Call):
        args = [_mp_eval(a, z, mp) for a in n.args]
        if n.act is not None:
            return n.act.spec.exact(args[0], dict(n.act.params), mp)
        if n.name == "min":
            return min(args)
        if n.name == "max":
            return max(args)
        return getattr(mp, _MP_NAMES[n.name])(args[0])
    raise AssertionError(n)  # pragma: no cover


_BALL_METHODS = ("exp", "expm1", "log", "log1p", "sqrt", "sin", "cos", "tan", "sinh", "cosh",
                 "atan", "erf", "erfc")


def _ball_node(n: _Node, x: Any, ar: Any) -> Any:
    """g at the arb ball x (``Expression.ball``)."""
    arb = type(x)
    if isinstance(n, _Num):
        if n.name == "pi":
            return arb.pi()
        if n.name == "e":
            return arb(1).exp()
        return arb(n.value)
    if isinstance(n, _Z):
        return x
    if isinstance(n, _Neg):
        return -_ball_node(n.arg, x, ar)
    if isinstance(n, _Chain):
        acc = _ball_node(n.first, x, ar)
        for op, c in n.rest:
            y = _ball_node(c, x, ar)
            acc = acc + y if op == "+" else acc - y if op == "-" else acc * y if op == "*" \
                else acc / y
        return acc
    if isinstance(n, _Pow):
        w = _ball_node(n.exp, x, ar)
        if isinstance(n.base, _Num) and n.base.name == "e":
            return w.exp()
        b = _ball_node(n.base, x, ar)
        if n.exp.const:
            c = float(_const_value(n.exp))
            if c == int(c) and abs(c) <= 2.0**53:  # u**n: exact powers, negative u too
                return b ** int(c)
        return b ** w
    if isinstance(n, _Call):
        args = [_ball_node(a, x, ar) for a in n.args]
        if n.act is not None:
            return n.act.spec.exact(args[0], dict(n.act.params), ar)
        if n.name == "abs":
            return abs(args[0])
        if n.name == "min":
            return args[0].min(args[1])
        if n.name == "max":
            return args[0].max(args[1])
        if n.name == "tanh":  # pragma: no cover - the parser makes tanh the catalogue's
            return args[0].tanh()
        assert n.name in _BALL_METHODS, n.name
        return getattr(args[0], n.name)()
    raise AssertionError(n)  # pragma: no cover


# ---------------------------------------------------------------------------------------
# public entry points

def parse(text: str) -> Expression:
    """The expression in `text`; ExpressionError (a ValueError) naming the column if it is
    not one of the grammar."""
    if not isinstance(text, str):
        raise TypeError(f"an expression is a string, got {text!r}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"expression too long ({len(text)} characters, at most {MAX_LENGTH})",
            MAX_LENGTH + 1)
    if not text.strip():
        raise ExpressionError("empty expression", 1)
    root = _Parser(text).parse()
    return Expression(root, text)


_OPERATOR_CHARS = "+-*/()\u2212"


def is_expression(text: str) -> bool:
    """Whether a function argument is an expression: not a catalogue name, and it contains
    '(', an operator (+ - * / **) or the variable z as a word of its own. A single word with
    hyphens and no z ('leaky-rleu') stays a name, so that a misspelt name gets the
    registry's 'did you mean'."""
    if registry.is_name(text):
        return False
    if any(c in text for c in "(*/+"):
        return True
    words = [w for w in _split_words(text)]
    if "z" in words:
        return True
    if "-" in text or "\u2212" in text:
        bare = text.strip().replace("\u2212", "-")
        return not all(c in _NAME_CHARS or c == "-" for c in bare) or not bare[:1].isalpha()
    return False


def _split_words(text: str) -> list[str]:
    words, cur = [], []
    for c in text:
        if c in _NAME_CHARS:
            cur.append(c)
        else:
            if cur:
                words.append("".join(cur))
            cur = []
    if cur:
        words.append("".join(cur))
    return words


def resolve(name_or_expression: str, params: Mapping[str, Any] | None = None
            ) -> registry.Activation | Expression:
    """What a FUNC argument means: the catalogue's Activation (with `params` bound) for a
    name or alias, else an Expression if it is one (parameters then go inside it), else the
    registry's UnknownActivationError with its 'did you mean'."""
    if registry.is_name(name_or_expression) or not is_expression(name_or_expression):
        return registry.get(name_or_expression, **dict(params or {}))
    if params:
        raise ValueError(
            "parameters (-p) belong to a catalogue function; in an expression write them in"
            " the call, e.g. leaky_relu(z, negative_slope=0.2)")
    return parse(name_or_expression)


assert set(KINK_CONVENTIONS) == {"pytorch", "jax", "left", "right", "mean"}


# ---------------------------------------------------------------------------------------
# any order, rigorously: the graph on truncated Taylor series in ball arithmetic


def _series_node(n: _Node, z: Any, m: Any) -> Any:
    """The node's value on numerics/series.py's SeriesMath m (z a Series): catalogue calls
    by their Spec.exact forms, elementary functions by m's, comparisons (abs, min, max, the
    catalogue's branches) on the germ, as series.SeriesMath.sign decides them."""
    if isinstance(n, _Num):
        return m.pi if n.name == "pi" else m.e if n.name == "e" else m.mpf(n.value)
    if isinstance(n, _Z):
        return z
    if isinstance(n, _Neg):
        return -_series_node(n.arg, z, m)
    if isinstance(n, _Chain):
        acc = _series_node(n.first, z, m)
        for op, x in n.rest:
            y = _series_node(x, z, m)
            acc = acc + y if op == "+" else acc - y if op == "-" else acc * y if op == "*" \
                else acc / y
        return acc
    if isinstance(n, _Pow):
        w = _series_node(n.exp, z, m)
        if isinstance(n.base, _Num) and n.base.name == "e":
            return m.exp(w)
        b = _series_node(n.base, z, m)
        if n.exp.const:  # an integer power by products: a negative base is fine
            c = w.coeff(0)
            k = c.unique_fmpz() if c.is_exact() else None
            if k is not None and abs(int(k)) <= 1 << 16:
                return b ** int(k)
        return m.exp(w * m.log(b))
    if isinstance(n, _Call):
        args = [_series_node(a, z, m) for a in n.args]
        if n.act is not None:
            return n.act.spec.exact(args[0], dict(n.act.params), m)
        if n.name == "min":
            return min(args)
        if n.name == "max":
            return max(args)
        if n.name == "abs":
            return abs(args[0])
        return getattr(m, n.name)(args[0])
    raise AssertionError(n)  # pragma: no cover


# Symmetry classes of a subexpression h(z), for the derivatives that vanish at z = 0 (where
# ball arithmetic cannot show an exact 0): K constant, LO a·z, L a·z + c, E even, O odd,
# OC c + odd, EL even + a·z, None unknown. Sums and products combine them as functions do
# (LO·OC = a·z·(c + odd) = a·c·z + even: EL); a function of an even h is even; sin, tan,
# sinh, atan, erf of an odd h are odd, cos and cosh even, erfc c + odd; a catalogue function
# with a symmetry (numerics/series.py ``_PARITY``: g − g(0) odd, or g − a·z even) of an odd
# h, or of a·z, is OC, or EL.
_ADD = {
    ("K", "K"): "K", ("K", "LO"): "L", ("K", "L"): "L", ("K", "E"): "E", ("K", "O"): "OC",
    ("K", "OC"): "OC", ("K", "EL"): "EL", ("LO", "LO"): "LO", ("LO", "L"): "L",
    ("LO", "E"): "EL", ("LO", "O"): "O", ("LO", "OC"): "OC", ("LO", "EL"): "EL",
    ("L", "L"): "L", ("L", "E"): "EL", ("L", "O"): "OC", ("L", "OC"): "OC", ("L", "EL"): "EL",
    ("E", "E"): "E", ("E", "EL"): "EL", ("O", "O"): "O", ("O", "OC"): "OC",
    ("OC", "OC"): "OC", ("EL", "EL"): "EL",
}
_MUL = {
    ("LO", "LO"): "E", ("LO", "E"): "O", ("LO", "O"): "E", ("LO", "OC"): "EL",
    ("E", "E"): "E", ("E", "O"): "O", ("O", "O"): "E",
}
_ODD_FUNCS = ("sin", "tan", "sinh", "atan", "erf")


def _sym_pair(table: dict, a: str | None, b: str | None) -> str | None:
    if a is None or b is None:
        return None
    return table.get((a, b), table.get((b, a)))


def _symmetry(n: _Node) -> str | None:
    """n's symmetry class (above)."""
    from .numerics import series

    if n.const:
        return "K"
    if isinstance(n, _Z):
        return "LO"
    if isinstance(n, _Neg):
        return _symmetry(n.arg)
    if isinstance(n, _Chain):
        acc = _symmetry(n.first)
        for op, x in n.rest:
            c = _symmetry(x)
            if op in "+-":
                acc = _sym_pair(_ADD, acc, c)
            else:
                if op == "/":
                    c = {"K": "K", "E": "E", "O": "O", "LO": "O"}.get(c or "")
                acc = acc if c == "K" else c if acc == "K" else _sym_pair(_MUL, acc, c)
        return acc
    if isinstance(n, _Pow):
        b = _symmetry(n.base)
        if isinstance(n.base, _Num) and n.base.name == "e":
            return "E" if _symmetry(n.exp) == "E" else None
        if not n.exp.const or b not in ("E", "O", "LO"):
            return None
        w = float(_const_value(n.exp))
        if b == "E":
            return "E"
        if math.isfinite(w) and w == int(w) and abs(w) <= 1 << 16:
            return "E" if int(w) % 2 == 0 else "O"
        return None
    if isinstance(n, _Call):
        if len(n.args) != 1:
            return None  # min, max
        u = _symmetry(n.args[0])
        if u == "E":
            return "E"
        odd_arg = u in ("O", "LO")
        if n.act is not None:
            par = series._PARITY.get(n.act.name)
            if par == "odd" and odd_arg:
                return "OC"
            if par == "even" and u == "LO":
                return "EL"
            return None
        if odd_arg:
            if n.name in _ODD_FUNCS:
                return "O"
            if n.name in ("cos", "cosh", "abs"):
                return "E"
            if n.name == "erfc":
                return "OC"
        return None
    return None


def _vanishes_at_zero(e: Expression, order: int) -> bool:
    """Whether the expression's order-th derivative at 0 is 0 by its symmetry (where the
    expression is analytic at 0: the caller checks that no branch met a tie)."""
    sym = _symmetry(e._root)
    if sym in ("K", "LO", "L"):
        return order >= 2
    if sym in ("E", "EL"):
        return order % 2 == 1 and (order >= 3 or sym == "E")
    if sym in ("O", "OC"):
        return order % 2 == 0 and (order >= 2 or sym == "O")
    return False


def _series_value(e: Expression, order: int, kink: str) -> Callable[[Any, float], Any]:
    """value(m, z0) for numerics.rigorous.taylor_float/taylor_text: g⁽ᵏ⁾(z0) as a ball."""
    from .numerics import series

    root = e._root
    vanish = _vanishes_at_zero(e, order)

    def form(z: Any) -> Any:
        return _series_node(root, z, z.m)

    def value(m: Any, z0: float) -> Any:
        if not math.isfinite(z0):
            return math.nan  # (no limits for expressions)
        if order == 0:
            return series.taylor(form, z0, 0, 0, m)
        if z0 == 0 and vanish:
            right = series.taylor(form, z0, order, 1, m)
            if not m.tie and right.is_finite():  # analytic at 0 (no branch, no pole): the
                return math.copysign(0.0, z0)  # symmetry's zero, with z's sign
        if kink in ("left", "right", "mean"):
            return series.one_sided(form, z0, order, kink, m)
        right = series.taylor(form, z0, order, 1, m)
        if not m.tie:
            return right
        left = series.taylor(form, z0, order, -1, m)
        if left.overlaps(right):
            return left.union(right)  # accepted only where both sides round alike
        raise ValueError(f"z = {z0!r} is a kink of {e.name} for this derivative: there the"
                         f" rigorous path gives --kink left, right or mean, not {kink}")

    return value


def exact_values(e: Expression, z: Any, *, order: int = 0, kink: str = "pytorch",
                 dtype: Any = np.float64, digits: int | None = None) -> Any:
    """g (order 0) or g⁽ᴺ⁾ (order N, 1 <= N <= numerics.MAX_ORDER) of the expression at
    each z, with a proof: the graph on Taylor series in ball arithmetic (numerics/series.py;
    catalogue calls by their exact forms, elementary functions by the series shim's),
    correctly rounded once to dtype, or to `digits` significant digits (a list of str).

    Breakpoints (abs at 0, min/max at a tie, a catalogue call at its breakpoint): left,
    right and mean are the one-sided derivatives of the whole expression (and their mean);
    pytorch and jax (the chained subgradients of the fast path, jets) are not rebuilt here:
    the value is given where both one-sided values round alike, else a ValueError names z.
    ±inf gives nan (no limits are taken), as does a ball that stays non-finite (a pole, log
    of a negative number). An ArithmeticError where 2^17 bits do not decide."""
    from .numerics import MAX_ORDER, rigorous

    registry.check_kink(kink)
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)) \
            or not 0 <= order <= MAX_ORDER:
        raise ValueError(f"order must be an integer from 0 to {MAX_ORDER}, got {order!r}")
    value = _series_value(e, int(order), kink)
    if digits is not None:
        return rigorous.taylor_text(value, z, order=int(order), digits=digits)
    return rigorous.taylor_float(value, z, order=int(order), dtype=dtype)
