"""Evaluation of a classifier over a labelled corpus: accuracies, confusion matrix, unknown share, latency."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from fivetran_recovery.models.diagnosis import Category, Diagnosis

REQUIRED_FIELDS = ("id", "message", "category", "retryable")


@dataclass(frozen=True)
class LabelledMessage:
    id: str
    message: str
    category: Category
    retryable: bool
    pattern: str = ""
    source: str = ""
    low_confidence: bool = False


@dataclass
class Miss:
    id: str
    expected: str
    got: str
    pattern: str
    message: str


@dataclass
class EvalReport:
    name: str
    total: int = 0
    category_correct: int = 0
    retryable_correct: int = 0
    unknown_answers: int = 0
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)
    misses: list[Miss] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)

    @property
    def category_accuracy(self) -> float:
        return self.category_correct / self.total if self.total else 0.0

    @property
    def retryable_accuracy(self) -> float:
        return self.retryable_correct / self.total if self.total else 0.0

    @property
    def unknown_share(self) -> float:
        return self.unknown_answers / self.total if self.total else 0.0

    @property
    def answered_accuracy(self) -> float:
        """Category accuracy over the messages not answered `unknown` (precision when the classifier commits)."""
        answered = self.total - self.unknown_answers
        right = self.category_correct - self.confusion.get((Category.UNKNOWN.value, Category.UNKNOWN.value), 0)
        return right / answered if answered else 0.0

    @property
    def p95_ms(self) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[max(0, round(0.95 * len(ordered)) - 1)] if ordered else 0.0

    @property
    def max_ms(self) -> float:
        return max(self.latencies_ms, default=0.0)

    def summary_line(self) -> str:
        return (
            f"{self.name}: n={self.total} category={self.category_accuracy:.1%} "
            f"retryable={self.retryable_accuracy:.1%} unknown={self.unknown_share:.1%} "
            f"answered_accuracy={self.answered_accuracy:.1%} "
            f"p95={self.p95_ms:.2f}ms max={self.max_ms:.2f}ms"
        )

    def confusion_table(self) -> str:
        """Rows: expected category; columns: predicted category (only those that occur)."""
        labels = [c.value for c in Category if any(c.value in pair for pair in self.confusion)]
        short = {label: label[:8] for label in labels}
        header = "expected \\ got".ljust(18) + " ".join(short[label].rjust(8) for label in labels)
        lines = [header]
        for expected in labels:
            cells = " ".join(str(self.confusion.get((expected, got), 0) or ".").rjust(8) for got in labels)
            lines.append(expected[:17].ljust(18) + cells)
        return "\n".join(lines)


def load_corpus(path: str | Path) -> list[LabelledMessage]:
    """Read a JSONL corpus; a malformed line raises ValueError naming the file and line."""
    records = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            missing = [name for name in REQUIRED_FIELDS if name not in raw]
            if missing:
                raise ValueError(f"missing {', '.join(missing)}")
            records.append(
                LabelledMessage(
                    id=str(raw["id"]),
                    message=str(raw["message"]),
                    category=Category(raw["category"]),
                    retryable=bool(raw["retryable"]),
                    pattern=str(raw.get("pattern", "")),
                    source=str(raw.get("source", "")),
                    low_confidence=raw.get("confidence") == "low",
                )
            )
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: {exc}") from None
    return records


def evaluate(name: str, records: Iterable[LabelledMessage], classify: Callable[[str], Diagnosis]) -> EvalReport:
    report = EvalReport(name=name)
    for record in records:
        started = time.perf_counter()
        diagnosis = classify(record.message)
        report.latencies_ms.append((time.perf_counter() - started) * 1000)
        report.total += 1
        got = diagnosis.category.value
        report.confusion[(record.category.value, got)] += 1
        if diagnosis.category == record.category:
            report.category_correct += 1
        else:
            report.misses.append(Miss(record.id, record.category.value, got, diagnosis.pattern, record.message[:140]))
        if diagnosis.retryable == record.retryable:
            report.retryable_correct += 1
        if diagnosis.category == Category.UNKNOWN:
            report.unknown_answers += 1
    return report
