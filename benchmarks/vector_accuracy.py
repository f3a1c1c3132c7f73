"""Accuracy of the vector functions (actgrad/vectors.py) against the mpmath references of
tests/vector_reference.py, in float64 ULP of the correctly rounded value: softmax, log_softmax,
softmin values and Jacobian entries, vjp/jvp, Hessian and vjp_hessian entries, on random rows;
the gated units' y, partials and Hessian entries on random (g, u).

    /work/main/.venv/bin/python benchmarks/vector_accuracy.py [ROWS] [SEED]
"""

from __future__ import annotations

import pathlib
import sys

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parent / "tests")]

import reference as R  # noqa: E402
import vector_reference as V  # noqa: E402

import actgrad  # noqa: E402


def rows(rng, count):
    """Rows of length 2..8 with spreads from 1e-3 to 1e3 (and a few dominated ones)."""
    out = []
    for i in range(count):
        n = int(rng.integers(2, 9))
        scale = 10.0 ** rng.uniform(-3, 3)
        z = rng.normal(size=n) * scale
        if i % 7 == 0:
            z[0] += 40 + 60 * rng.random()  # one entry dominates
        out.append(z)
    return out


def worst(got, exact):
    return float(np.max(R.ulp_error(np.asarray(got, dtype=np.float64).reshape(-1),
                                    [e for e in exact], np.float64)))


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    rng = np.random.default_rng(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    zs = rows(rng, count)
    print(f"{count} random rows (n = 2..8, spread 1e-3..1e3, every 7th dominated), T in {{1, 0.7}}")
    for name in ("softmax", "log_softmax", "softmin"):
        for t in (1.0, 0.7):
            f = actgrad.get(name, temperature=t)
            wv = wj = wp = wn = 0.0
            for z in zs:
                ref = V.log_softmax(z, t) if name == "log_softmax" else \
                    V.softmax(z, t, negate=name == "softmin")
                wv = max(wv, worst(f(z), ref))
                J = V.jacobian(name, z, t)
                wj = max(wj, worst(f.jacobian(z), [e for r in J for e in r]))
                v = rng.normal(size=len(z))
                Jf = np.array([[float(e) for e in r] for r in J])
                for got, ex, scale in ((f.vjp(z, v), V.matvec(J, v, transpose=True),
                                        np.abs(v) @ np.abs(Jf)),
                                       (f.jvp(z, v), V.matvec(J, v), np.abs(Jf) @ np.abs(v))):
                    wp = max(wp, worst(got, ex))
                    errs = [float(abs(float(g) - e)) / np.spacing(s)
                            for g, e, s in zip(got, ex, scale) if s]
                    wn = max([wn] + errs)
            print(f"  {name:12} T={t:<4} values {wv:5.2f}  Jacobian {wj:5.2f}  vjp/jvp {wp:9.2f}"
                  f" ULP ({wn:4.2f} ULP of Σ|J_ij v_j|)")
    print("second derivatives (the first 80 rows): Hessian entries and the Hessian of vᵀy, in"
          " ULP of the value\nand in ULP of the sum of the magnitudes of the terms (1 − 2s"
          " cancels where s ≈ 1/2)")
    for name in ("softmax", "log_softmax", "softmin"):
        for t in (1.0, 0.7):
            f = actgrad.get(name, temperature=t)
            wh = wn = wm = wmn = 0.0
            for z in zs[:80]:
                n = len(z)
                H = f.hessian(z)
                ref = V.hessian(name, z, t)
                wh = max(wh, worst(H, [e for b in ref for r in b for e in r]))
                s = np.array([float(x) for x in V.softmax(z, t, negate=name == "softmin")])
                e = np.eye(n)
                si, sj, sk = s[:, None, None], s[None, :, None], s[None, None, :]
                jk = sj * (e[None] + sk)
                scale = (jk + 0 * si if name == "log_softmax" else
                         si * ((e[:, :, None] + sj) * (e[:, None, :] + sk) + jk)) / (t * t)
                err = np.array([[[float(abs(float(H[i, j, k]) - ref[i][j][k]))
                                  for k in range(n)] for j in range(n)] for i in range(n)])
                wn = max(wn, float(np.max(err / np.spacing(scale))))
                v = rng.normal(size=n)
                M = f.vjp_hessian(z, v)
                mref = V.vjp_hessian(name, z, v, t)
                wm = max(wm, worst(M, [x for r in mref for x in r]))
                mscale = np.einsum("i,ijk->jk", np.abs(v), scale)
                merr = np.array([[float(abs(float(M[j, k]) - mref[j][k])) for k in range(n)]
                                 for j in range(n)])
                wmn = max(wmn, float(np.max(merr / np.spacing(mscale))))
            print(f"  {name:12} T={t:<4} hessian {wh:9.2f} ULP ({wn:4.2f} of the terms)"
                  f"  vjp_hessian {wm:9.2f} ULP ({wmn:4.2f} of the terms)")
    g = np.concatenate([rng.normal(size=400) * 3, rng.uniform(-40, 10, 200)])
    u = rng.normal(size=g.size) * 4
    for name in actgrad.vectors.GATED_NAMES + ("geglu-tanh",):
        approx = "tanh" if name.endswith("tanh") else "none"
        base = name.split("-")[0]
        f = actgrad.get(base, **({"approximate": approx} if base == "geglu" else {}))
        ref = [V.gated(base, a, b, approx) for a, b in zip(g, u)]
        y = f(g, u)
        dg, du = f.partials(g, u)
        gg, gu, _ = f.hessian(g, u)
        res = [worst(x, [r[k] for r in ref]) for k, x in enumerate((y, dg, du, gg, gu))]
        print(f"  {name:12} y {res[0]:5.2f}  dy/dg {res[1]:5.2f}  dy/du {res[2]:5.2f}"
              f"  d2y/dg2 {res[3]:7.2f}  d2y/dgdu {res[4]:5.2f} ULP")


if __name__ == "__main__":
    main()
