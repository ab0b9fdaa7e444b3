"""Fit the predictor's logistic combination weights offline, in plain Python, and write them as plain numbers.

The shipped risk is the tree model (bench/offline/predict_trees.py); this logistic scores the connections the
trees were not fitted on (under a week of history, no row counts) and is the backtest's `predictor_logistic`.

Run:  .venv/bin/python bench/offline/predict_fit.py [--seeds 7,8] [--write]
      (--write replaces shared/fivetran_recovery/prediction/coefficients.json)

Generates fleets with local/predict_fleet.py for the given seeds (NOT the seeds bench/predict_backtest.py reports),
takes every (healthy connection, cut time) case exactly as the backtest does, and fits a logistic regression of
"a sync fails in the next 24 h" on the evidence of each mechanism (prediction.risk.features: each part's
log-odds above the floor) by Newton's method with a small ridge penalty. Weights that come out negative are
dropped and the fit repeated, so evidence can only raise the risk. No numpy or scikit-learn: the Lambda layer needs
nothing new and the fit is reproducible from this file. Not part of `make bench` (it takes a minute and only
confirms or replaces the shipped weights).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO_ROOT / "shared"), str(REPO_ROOT), str(REPO_ROOT / "bench")]

from predict_backtest import cases  # noqa: E402

from fivetran_recovery.prediction.features import profile  # noqa: E402
from fivetran_recovery.prediction.risk import COEFFICIENTS, features, parts_of  # noqa: E402
from local.predict_fleet import generate_fleet  # noqa: E402

RIDGE = 1.0


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting (the system is small and positive definite)."""
    n = len(b)
    m = [[*row, b[i]] for i, row in enumerate(a)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(m[r][col]))
        m[col], m[pivot] = m[pivot], m[col]
        for r in range(col + 1, n):
            factor = m[r][col] / m[col][col]
            for c in range(col, n + 1):
                m[r][c] -= factor * m[col][c]
    x = [0.0] * n
    for r in range(n - 1, -1, -1):
        x[r] = (m[r][n] - sum(m[r][c] * x[c] for c in range(r + 1, n))) / m[r][r]
    return x


def fit(rows: list[list[float]], labels: list[int], iterations: int = 25) -> list[float]:
    """Logistic regression by Newton's method; rows start with the constant 1 (the intercept is not penalised)."""
    n = len(rows[0])
    w = [0.0] * n
    for _ in range(iterations):
        grad = [0.0] * n
        hess = [[0.0] * n for _ in range(n)]
        for x, y in zip(rows, labels, strict=True):
            z = sum(wi * xi for wi, xi in zip(w, x, strict=True))
            p = 1 / (1 + math.exp(-max(min(z, 30), -30)))
            g, h = y - p, p * (1 - p)
            for i in range(n):
                grad[i] += g * x[i]
                hx = h * x[i]
                for j in range(i, n):
                    hess[i][j] += hx * x[j]
        for i in range(n):
            for j in range(i):
                hess[i][j] = hess[j][i]
            if i:
                grad[i] -= RIDGE * w[i]
                hess[i][i] += RIDGE
        step = _solve(hess, grad)
        w = [wi + si for wi, si in zip(w, step, strict=True)]
        if max(abs(s) for s in step) < 1e-6:
            break
    return w


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="7,8")
    parser.add_argument("--step", type=float, default=6.0)
    parser.add_argument("--write", action="store_true", help=f"write the weights to {COEFFICIENTS.name}")
    args = parser.parse_args()
    samples: list[tuple[dict[str, float], int]] = []
    for seed in (int(s) for s in args.seeds.split(",")):
        for _, cut, _, seen, label, _, _ in cases(generate_fleet(seed), args.step):
            samples.append((features(parts_of(profile(seen, cut), cut)), int(label)))
    kinds = sorted({k for f, _ in samples for k in f})
    while True:
        rows = [[1.0] + [f.get(k, 0.0) for k in kinds] for f, _ in samples]
        w = fit(rows, [y for _, y in samples])
        negative = [k for k, wk in zip(kinds, w[1:], strict=True) if wk < 0]
        if not negative:
            break
        kinds = [k for k in kinds if k not in negative]
    document = {
        "intercept": round(w[0], 4), "weights": {k: round(wk, 4) for k, wk in zip(kinds, w[1:], strict=True)},
        "fitted_on": f"bench/offline/predict_fit.py --seeds {args.seeds} --step {args.step:g}: {len(samples)} cases, "
                     f"{sum(y for _, y in samples)} positives",
    }
    print(json.dumps(document, indent=2))
    shipped = json.loads(COEFFICIENTS.read_text()) if COEFFICIENTS.exists() else None
    if args.write:
        COEFFICIENTS.write_text(json.dumps(document, indent=2) + "\n")
        print(f"written to {COEFFICIENTS}")
    else:
        print("same as the shipped coefficients.json" if shipped == document else
              "differs from the shipped coefficients.json (run with --write to replace it)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
