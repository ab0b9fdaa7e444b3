"""Calibrated confidence and measured precision per signature, fitted on the labelled corpora.

The classifier's raw confidence is a score, not a probability. Here it is mapped to the accuracy observed in its
score bucket (fitted with k-fold cross-validation, so every answer is judged by a mapping that did not see it),
and each signature (`category/pattern`) carries the precision measured over the corpus: how often an answer with
that signature named the right category. Both live in `signatures/calibration.json`, written and checked by
`bench/rca_eval.py` (and by `make test`, which fails when the file is stale). The auto path requires a
signature's measured precision >= AUTO_PRECISION; below it a playbook is recommended, not run.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from fivetran_recovery.models.diagnosis import Diagnosis

CALIBRATION_FILE = Path(__file__).with_name("signatures") / "calibration.json"
AUTO_PRECISION = 0.95
MIN_SUPPORT = 2  # answers a signature needs in the corpus before its precision counts as measured
EDGES = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0001)
FOLDS = 5
PRIOR = 1.0  # Laplace-style pseudo-counts toward 50% in a sparse bucket


def signature_key(diagnosis: Diagnosis) -> str:
    return f"{diagnosis.category.value}/{diagnosis.pattern}"


def bucket_of(confidence: float) -> int:
    return next(i for i in range(len(EDGES) - 1) if EDGES[i] <= confidence < EDGES[i + 1])


def bucket_label(index: int) -> str:
    return f"[{EDGES[index]:.1f}, {min(EDGES[index + 1], 1.0):.1f}{']' if index == len(EDGES) - 2 else ')'}"


@dataclass(frozen=True)
class Answer:
    """One classifier answer on a labelled message: its raw confidence, signature and whether it was right."""

    id: str
    confidence: float
    key: str
    correct: bool
    unknown: bool


def answers(records: Iterable[Any], classify: Callable[[str], Diagnosis]) -> list[Answer]:
    out = []
    for record in records:
        diagnosis = classify(record.message)
        out.append(Answer(record.id, diagnosis.confidence, signature_key(diagnosis),
                          diagnosis.category == record.category, diagnosis.is_unknown))
    return out


@dataclass
class Calibration:
    buckets: list[dict[str, Any]] = field(default_factory=list)  # {bucket, n, correct, precision}
    signatures: dict[str, dict[str, Any]] = field(default_factory=dict)  # key -> {n, correct, precision}

    def calibrated(self, confidence: float) -> float:
        """The accuracy observed for answers of this raw confidence (the raw value when nothing was observed)."""
        row = self.buckets[bucket_of(confidence)] if self.buckets else None
        return round(row["precision"], 3) if row and row["n"] else confidence

    def precision(self, key: str) -> tuple[float | None, int]:
        """(measured precision or None when fewer than MIN_SUPPORT answers had this signature, answers)."""
        row = self.signatures.get(key)
        if not row or row["n"] < MIN_SUPPORT:
            return None, row["n"] if row else 0
        return row["precision"], row["n"]

    def as_json(self) -> dict[str, Any]:
        return {"_comment": "written by `python bench/rca_eval.py --write` from the tuned corpus; do not edit",
                "auto_precision": AUTO_PRECISION, "min_support": MIN_SUPPORT, "buckets": self.buckets,
                "signatures": dict(sorted(self.signatures.items()))}


def fit(items: list[Answer]) -> Calibration:
    """Bucket accuracy (smoothed) and per-signature precision over these answers (`unknown` answers excluded)."""
    answered = [a for a in items if not a.unknown]
    buckets = []
    for index in range(len(EDGES) - 1):
        inside = [a for a in answered if bucket_of(a.confidence) == index]
        right = sum(a.correct for a in inside)
        precision = (right + PRIOR * 0.5) / (len(inside) + PRIOR) if inside else 0.0
        buckets.append({"bucket": bucket_label(index), "n": len(inside), "correct": right,
                        "precision": round(precision, 4)})
    signatures: dict[str, dict[str, Any]] = {}
    for a in answered:
        row = signatures.setdefault(a.key, {"n": 0, "correct": 0})
        row["n"] += 1
        row["correct"] += a.correct
    for row in signatures.values():
        row["precision"] = round(row["correct"] / row["n"], 4)
    return Calibration(buckets=buckets, signatures=signatures)


def _fold(answer_id: str) -> int:
    return int(hashlib.sha256(answer_id.encode()).hexdigest(), 16) % FOLDS


def cross_validated(items: list[Answer]) -> list[tuple[Answer, float]]:
    """Each answered item with the calibrated confidence from a mapping fitted on the other folds."""
    out = []
    for fold in range(FOLDS):
        mapping = fit([a for a in items if _fold(a.id) != fold])
        out += [(a, mapping.calibrated(a.confidence)) for a in items if _fold(a.id) == fold and not a.unknown]
    return out


def reliability(scored: list[tuple[Answer, float]]) -> tuple[list[dict[str, Any]], float]:
    """Per bucket of *stated* confidence: answers, mean stated, observed accuracy; and the expected calibration
    error (the answer-weighted mean gap between stated and observed)."""
    rows, total, gap = [], len(scored), 0.0
    for index in range(len(EDGES) - 1):
        inside = [(a, c) for a, c in scored if bucket_of(c) == index]
        if not inside:
            continue
        stated = sum(c for _, c in inside) / len(inside)
        observed = sum(a.correct for a, _ in inside) / len(inside)
        gap += len(inside) * abs(stated - observed)
        rows.append({"bucket": bucket_label(index), "n": len(inside), "stated": round(stated, 3),
                     "observed": round(observed, 3)})
    return rows, round(gap / total, 4) if total else 0.0


@lru_cache(maxsize=1)
def load_calibration(path: str | None = None) -> Calibration:
    """The stored calibration (empty, so nothing is measured and nothing may act alone, when the file is gone)."""
    file = Path(path) if path else CALIBRATION_FILE
    if not file.is_file():
        return Calibration()
    raw = json.loads(file.read_text(encoding="utf-8"))
    return Calibration(buckets=raw.get("buckets", []), signatures=raw.get("signatures", {}))


def auto_hold(diagnosis: Diagnosis, calibration: Calibration | None = None,
              threshold: float = AUTO_PRECISION) -> str | None:
    """Why a classifier's diagnosis may not act alone (None when its signature's precision is measured high)."""
    if threshold <= 0:
        return None
    calibration = calibration or load_calibration()
    precision, n = calibration.precision(signature_key(diagnosis))
    if precision is None:
        return (f"signature {signature_key(diagnosis)} has no measured precision ({n} answer(s) in the labelled "
                f"corpus, {MIN_SUPPORT} needed): recommended, not run")
    if precision < threshold:
        return (f"signature {signature_key(diagnosis)} is right {precision:.0%} of the time in the labelled corpus "
                f"({n} answers), below {threshold:.0%}: recommended, not run")
    return None
