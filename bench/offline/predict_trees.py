"""Fit the predictor's gradient-boosted trees offline with scikit-learn and export them as plain JSON.

Run:  .venv/bin/pip install -c requirements.lock -e '.[offline]'     # scikit-learn, here only
      .venv/bin/python bench/offline/predict_trees.py [--seeds 7-20] [--validate 7-12] [--cache DIR] [--write]
      (--write replaces shared/fivetran_recovery/prediction/model.json and tests/data/prediction/model_check.json)

Generates fleets with local/predict_fleet.py for the given seeds (never 1-3: bench/predict_backtest.py reports
those), takes every (healthy connection, cut time) case exactly as the backtest does, and computes the model's
inputs (prediction/inputs.py). --validate: for each of those seeds, fits on every other seed and scores that one,
beside the shipped logistic (coefficients.json, fitted on 7-12, so in-sample there) and the hand-made noisy-OR of
the same cases: model choices are made on these numbers. --write: fits on all the seeds and writes the trees
(prediction/trees.py evaluates them in plain Python) and a check file: inputs of sampled cases with scikit-learn's
probabilities, which tests/prediction compare with the plain-Python scores. Not part of `make bench`.
"""

from __future__ import annotations

import argparse
import json
import pickle
import statistics
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO_ROOT / "shared"), str(REPO_ROOT), str(REPO_ROOT / "bench")]

from predict_backtest import REPORTED_SEEDS, average_precision, cases, roc_auc  # noqa: E402

from fivetran_recovery.prediction.features import profile  # noqa: E402
from fivetran_recovery.prediction.inputs import model_inputs  # noqa: E402
from fivetran_recovery.prediction.risk import MODEL, combine, load_coefficients, parts_of  # noqa: E402
from fivetran_recovery.prediction.trees import FORMAT  # noqa: E402
from local.predict_fleet import generate_fleet  # noqa: E402

CHECK = REPO_ROOT / "tests" / "data" / "prediction" / "model_check.json"
PARAMS = {"max_iter": 200, "max_depth": 3, "learning_rate": 0.05, "min_samples_leaf": 50, "early_stopping": False,
          "random_state": 0}  # chosen by --validate 7-12 (see README, Backtest)
# inputs the risk may only rise with (monotonic constraints): more retries, reschedules or failures, a larger
# stated lag, a credential warning never lower it; chosen by --validate 7-12 (it cost 0.001 of AUC there)
RISING = ["reschedule", "retry_surprise", "failures_", "failure_rate", "failure_chance", "failure_runs",
          "retries_recent", "retries_24h", "retries_6h", "retries_last3", "retry_share_24h", "lag_mb",
          "credential_warning"]


def _seeds(text: str) -> list[int]:
    out: list[int] = []
    for part in text.split(","):
        low, _, high = part.partition("-")
        out += range(int(low), int(high or low) + 1)
    return out


def seed_cases(seed: int, step: float, cache: Path | None) -> list[tuple[dict[str, float], int, float, float]]:
    """(inputs, label, shipped logistic risk, hand noisy-OR risk) for every case of a seed."""
    path = cache / f"cases_{seed}_{step:g}.pickle" if cache else None
    if path and path.exists():
        return pickle.loads(path.read_bytes())
    coefficients = load_coefficients()
    out = []
    for _, cut, _, seen, label, _, _ in cases(generate_fleet(seed), step):
        pr = profile(seen, cut)
        parts = parts_of(pr, cut)
        out.append((model_inputs(pr, cut), int(label), combine(parts, coefficients)[0], combine(parts, None)[0]))
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pickle.dumps(out))
    return out


def _matrix(rows, names):
    import numpy as np
    return np.array([[r[0][n] for n in names] for r in rows]), np.array([r[1] for r in rows])


def fit(rows, names):
    from sklearn.ensemble import HistGradientBoostingClassifier
    x, y = _matrix(rows, names)
    rising = [int(any(n.startswith(p) for p in RISING)) for n in names]
    return HistGradientBoostingClassifier(**PARAMS, monotonic_cst=rising).fit(x, y)


def export(model, names: list[str], fitted_on: str) -> dict:
    """The fitted trees as flat arrays. A leaf keeps its fitted value (shrinkage included); an inner node gets
    the count-weighted mean of its children, so path attribution sums exactly to the score."""
    trees = []
    for [predictor] in model._predictors:  # one tree per iteration for a binary classifier
        nodes = predictor.nodes
        value = [float(v) for v in nodes["value"]]
        for i in reversed(range(len(nodes))):  # children come after their parent
            if not nodes["is_leaf"][i]:
                left, right = int(nodes["left"][i]), int(nodes["right"][i])
                cl, cr = int(nodes["count"][left]), int(nodes["count"][right])
                value[i] = (cl * value[left] + cr * value[right]) / (cl + cr)
        leaf = [bool(v) for v in nodes["is_leaf"]]
        trees.append({
            "feature": [-1 if leaf[i] else int(f) for i, f in enumerate(nodes["feature_idx"])],
            "threshold": [0.0 if leaf[i] else float(t) for i, t in enumerate(nodes["num_threshold"])],
            "left": [-1 if leaf[i] else int(c) for i, c in enumerate(nodes["left"])],
            "right": [-1 if leaf[i] else int(c) for i, c in enumerate(nodes["right"])],
            "value": value})
    return {"format": FORMAT, "features": names, "base": float(model._baseline_prediction.ravel()[0]),
            "fitted_on": fitted_on, "params": dict(PARAMS), "rising": RISING, "trees": trees}


def validate(by_seed: dict[int, list], names: list[str], folds: list[int]) -> None:
    print("seed  trees AUC / AP     logistic AUC / AP   hand AUC / AP   (trees fitted without that seed)")
    scores: dict[str, list[tuple[float, float]]] = {"trees": [], "logistic": [], "hand": []}
    for seed in folds:
        model = fit([r for s, rows in by_seed.items() if s != seed for r in rows], names)
        x, y = _matrix(by_seed[seed], names)
        labels = [bool(v) for v in y]
        for name, risk in (("trees", model.predict_proba(x)[:, 1].tolist()),
                           ("logistic", [r[2] for r in by_seed[seed]]), ("hand", [r[3] for r in by_seed[seed]])):
            pairs = list(zip(risk, labels, strict=True))
            scores[name].append((roc_auc(pairs), average_precision(pairs)))
        print(f"{seed:4d}  " + "   ".join(f"{a:.4f} / {p:.4f}" for a, p in (s[-1] for s in scores.values())),
              flush=True)
    print("mean  " + "   ".join(f"{statistics.fmean(a for a, _ in s):.4f} / {statistics.fmean(p for _, p in s):.4f}"
                                for s in scores.values()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="7-20", help="fleets to fit on (never the backtest's 1-3)")
    parser.add_argument("--validate", default="", help="leave-one-seed-out over these, e.g. 7-12")
    parser.add_argument("--step", type=float, default=6.0)
    parser.add_argument("--cache", type=Path, help="keep each seed's cases here between runs")
    parser.add_argument("--params", type=json.loads, default={}, help='override PARAMS, e.g. {"max_depth": 4}')
    parser.add_argument("--rising", help="comma-separated input prefixes the risk may only rise with")
    parser.add_argument("--write", action="store_true", help=f"write {MODEL.name} and {CHECK.name}")
    args = parser.parse_args()
    PARAMS.update(args.params)
    if args.rising is not None:
        RISING[:] = [p for p in args.rising.split(",") if p]
    seeds, folds = _seeds(args.seeds), _seeds(args.validate) if args.validate else []
    if set(seeds) & set(REPORTED_SEEDS):
        parser.error(f"seeds {REPORTED_SEEDS} are the backtest's held-out seeds: never fit on them")
    by_seed = {}
    for seed in seeds:
        by_seed[seed] = seed_cases(seed, args.step, args.cache)
        print(f"seed {seed}: {len(by_seed[seed])} cases, {sum(r[1] for r in by_seed[seed])} positives", flush=True)
    names = sorted(by_seed[seeds[0]][0][0])
    if folds:
        validate(by_seed, names, folds)
    if args.write:
        rows = [r for s in seeds for r in by_seed[s]]
        model = fit(rows, names)
        document = export(model, names, f"bench/offline/predict_trees.py --seeds {args.seeds} --step {args.step:g}: "
                                        f"{len(rows)} cases, {sum(r[1] for r in rows)} positives")
        MODEL.write_text(json.dumps(document, separators=(",", ":")) + "\n")
        positives = [r for r in rows if r[1]]
        sample = [({k: round(v, 6) for k, v in r[0].items()}, r[1]) for r in  # 6 decimals: a small file
                  rows[:: max(len(rows) // 100, 1)] + positives[:: max(len(positives) // 50, 1)]]
        x, _ = _matrix(sample, names)
        CHECK.write_text(json.dumps({"note": "inputs of sampled training cases and scikit-learn's predict_proba for "
                                             "them (bench/offline/predict_trees.py --write)",
                                     "cases": [{"inputs": r[0], "probability": float(p)} for r, p in
                                               zip(sample, model.predict_proba(x)[:, 1], strict=True)]}) + "\n")
        print(f"written {MODEL} ({len(document['trees'])} trees, {len(names)} inputs) and {CHECK}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
