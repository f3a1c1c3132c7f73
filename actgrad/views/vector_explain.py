"""`actgrad explain softmax` (log_softmax, softmin: the same lesson) and of the gated units:
the words from ``[vector.*]`` of ``actgrad/texts/<lang>.toml``, every number computed now
from ``actgrad.vectors`` (the Jacobian at z = (1, 2, 3), its row sums, what the diagonal-only
s(1 − s) gives instead, the log_softmax Jacobian, the softmax + cross-entropy gradient s − y,
a dominated log_softmax, the Hessian of s_1, the gated units' partials). Rendered by views/explain."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import vectors
from .explain import Block, _para, load

#: the vector of the live examples
Z = (1.0, 2.0, 3.0)
#: the dominated row of the floating-point paragraph
DOMINATED = (0.0, -40.0)


def _v(values: Any) -> str:
    return "(" + ", ".join(repr(float(v)) for v in np.asarray(values).reshape(-1)) + ")"


def _matrix(m: np.ndarray, rows: str = "i", cols: str = "j") -> tuple[tuple[str, ...], ...]:
    n = m.shape[0]
    head = ("",) + tuple(f"{cols} = {j + 1}" for j in range(n))
    return (head,) + tuple((f"{rows} = {i + 1}",) + tuple(repr(float(x)) for x in m[i])
                           for i in range(n))


def lesson(f: Any, lang: str) -> list[Block]:
    texts = load(lang)["vector"]
    if f.kind == "gated":
        return _gated(f, texts["gated"], texts["headings"])
    t, head = texts["softmax"], texts["headings"]
    sm, ls = vectors.vector("softmax"), vectors.vector("log_softmax")
    z = np.array(Z)
    s, J, JL = sm(z), sm.jacobian(z), ls.jacobian(z)
    wrong = np.diag(s * (1 - s))
    v = np.array([1.0, 0.0, 0.0])
    y = np.array([0.0, 0.0, 1.0])
    out = [Block("title", f"{f.name} — {t['title']}")]
    if f.name != "softmax":
        out.append(Block("para", _para(t[f"note_{f.name}"])))
    out += [Block("para", _para(t["idea"])),
            Block("heading", head["formula"]),
            Block("formula", "\n".join(f"{n}: {vectors.FORMULAS[n]}   {vectors.DERIV_FORMULAS[n]}"
                                       for n in vectors.SOFTMAX_NAMES)),
            Block("heading", head["derivation"]), Block("math", t["derivation"].strip()),
            Block("heading", head["live"]),
            Block("para", _para(t["live"].format(z=_v(z), s=_v(s)))),
            Block("table", rows=_matrix(J)),
            Block("para", _para(t["row_sums"].format(sums=_v(J.sum(axis=1))))),
            Block("heading", head["tutorial"]),
            Block("para", _para(t["tutorial"])),
            Block("para", _para(t["tutorial_live"].format(
                v=_v(v), right=_v(sm.vjp(z, v)), wrong=_v(v @ wrong)))),
            Block("heading", head["log_softmax"]), Block("math", t["log_softmax"].strip()),
            Block("para", _para(t["log_softmax_live"].format(z=_v(z)))),
            Block("table", rows=_matrix(JL)),
            Block("heading", head["cross_entropy"]), Block("math", t["cross_entropy"].strip()),
            Block("para", _para(t["cross_entropy_live"].format(
                z=_v(z), y=_v(y), grad=_v(ls.vjp(z, -y)), direct=_v(s - y)))),
            Block("heading", head["second"]), Block("math", t["second"].strip()),
            Block("para", _para(t["second_live"].format(z=_v(z)))),
            Block("table", rows=_matrix(sm.vjp_hessian(z, v), "j", "k")),
            Block("heading", head["masks"]), Block("para", _para(t["masks"].format(
                masked=_v(sm([0.0, -np.inf, 0.0])), all_masked=_v(sm([-np.inf, -np.inf]))))),
            Block("heading", head["precision"]),
            Block("para", _para(t["precision"].format(
                z=_v(DOMINATED), value=repr(float(ls(np.array(DOMINATED))[0])),
                big=_v(sm([1e308, -1e308])))))]
    return out


def _gated(f: Any, t: Any, head: Any) -> list[Block]:
    g, u = np.array([-1.0, 0.5, 2.0]), np.array([2.0, -3.0, 0.25])
    dg, du = f.partials(g, u)
    gg, gu, uu = f.hessian(g, u)
    rows = (("g", "u", "y", "∂y/∂g", "∂y/∂u", "∂²y/∂g²", "∂²y/∂g∂u"),) + tuple(
        tuple(repr(float(x)) for x in r) for r in zip(g, u, f(g, u), dg, du, gg, gu))
    return [Block("title", f"{f.name} — {t['title']}"),
            Block("para", _para(t["idea"])),
            Block("heading", head["formula"]),
            Block("formula", f"{f.name}: {f.formula}   (act = {f.act_name}, gate = {f.gate})"),
            Block("heading", head["derivation"]), Block("math", t["derivation"].strip()),
            Block("heading", head["live"]), Block("table", rows=rows),
            Block("heading", head["gate"]), Block("para", _para(t["gate"]))]
