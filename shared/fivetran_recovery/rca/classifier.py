"""The built-in classifier: signatures by error family plus context, no network, well under 50 ms.

How a verdict is reached:
1. every signature is matched against the text; each hit votes for its category with its weight;
2. the category with the strongest vote wins, its strongest hit names the pattern and retryability;
   a close runner-up from another category lowers the confidence (the evidence disagrees);
3. context adjusts it: a Fivetran `taskType` (a user action is required, so not retryable), a `RESCHEDULED`
   status (Fivetran resumes by itself), and the recent history (the same failure repeated is not a blip);
4. with no hit, or only weak ones, the answer is `unknown` with low confidence, never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass

from fivetran_recovery.models.diagnosis import Category, Diagnosis, Evidence
from fivetran_recovery.rca.history import RecentHistory
from fivetran_recovery.rca.redaction import redact
from fivetran_recovery.rca.signatures import ALL_SIGNATURES, TASK_TYPES, Signature
from fivetran_recovery.rca.summaries import summarise
from fivetran_recovery.redaction import clip

HEAD_CHARS = 2_500  # long inputs (stack traces): scan the head, the tail and the lines that name errors
TAIL_CHARS = 1_500
KEY_LINE_CHARS = 2_000
KEY_WORDS = ("exception", "error", "caused by", "fatal", "failed", "denied", "ora-", "sqlstate")
KEY_LINE_MAX = 400
MIN_CONFIDENCE = 0.45  # below this the honest answer is `unknown`
TASK_TYPE_WEIGHT = 0.6
CONFLICT_MARGIN = 0.12
REPEAT_THRESHOLD = 3  # this many identical failures in a row: not a blip any more
TRANSIENT_CATEGORIES = frozenset({Category.NETWORK, Category.DESTINATION, Category.FIVETRAN_INTERNAL})


@dataclass(frozen=True)
class Hit:
    signature: Signature
    matched: str

    def evidence(self, source: str) -> Evidence:
        detail = f"{self.signature.family}/{self.signature.name}: '{redact(self.matched)[:160]}'"
        return Evidence(source=source, detail=detail)


def scan_window(text: str) -> str:
    """What the signatures are matched against: all of a short text; for a long one (a stack trace) the head,
    the tail and the lines that name an error, so the cost per diagnosis stays bounded."""
    if len(text) <= HEAD_CHARS + TAIL_CHARS + KEY_LINE_CHARS:
        return text
    middle = text[HEAD_CHARS:-TAIL_CHARS]
    return "\n".join([text[:HEAD_CHARS], *_key_lines(middle), text[-TAIL_CHARS:]])


def _key_lines(middle: str) -> list[str]:
    """The lines of `middle` that name an error, each cut to KEY_LINE_MAX characters, KEY_LINE_CHARS in all.

    Found with plain substring searches for the key words, widened to the line around them: linear and fast even
    on a single half-megabyte line (a regex scan for `^.*word.*$` costs tens of milliseconds there)."""
    lowered = middle.lower()
    lines: list[str] = []
    budget, position = KEY_LINE_CHARS, 0
    upcoming = {word: lowered.find(word) for word in KEY_WORDS}  # next index of each word; -1 once none is left
    while budget > 0:
        for word, index in upcoming.items():
            if 0 <= index < position:
                upcoming[word] = lowered.find(word, position)
        found = [(index, word) for word, index in upcoming.items() if index >= 0]
        if not found:
            break
        index, word = min(found)
        start = max(middle.rfind("\n", 0, index) + 1, index - KEY_LINE_MAX // 2)
        end = middle.find("\n", index + len(word))
        end = min(end if end >= 0 else len(middle), start + KEY_LINE_MAX)
        line = middle[start:end]
        if len(line) > budget:
            break
        lines.append(line)
        budget -= len(line) + 1
        position = max(end, index + len(word))
    return lines


def find_hits(text: str) -> list[Hit]:
    """Every signature that matches `text`, strongest first."""
    scanned = scan_window(text)
    lowered = scanned.lower()
    hits = []
    for signature in ALL_SIGNATURES:
        if not signature.could_match(lowered):
            continue
        match = signature.regex.search(scanned)
        if match:
            hits.append(Hit(signature, match.group(0)))
    return hits


def _vote(hits: list[Hit]) -> list[tuple[Category, float, Hit]]:
    """Per category: (category, score, strongest hit), best first. Extra agreeing hits add a little."""
    best: dict[Category, tuple[float, Hit, int]] = {}
    for hit in hits:  # hits come strongest first, so the first hit of a category is its strongest
        category = hit.signature.category
        if category in best:
            weight, strongest, count = best[category]
            best[category] = (weight, strongest, count + 1)
        else:
            best[category] = (hit.signature.weight, hit, 1)
    ranked = [(cat, min(0.97, w + 0.03 * (n - 1)), h) for cat, (w, h, n) in best.items()]
    return sorted(ranked, key=lambda item: -item[1])


def classify(
    message: str,
    *,
    status: str | None = None,
    task_type: str | None = None,
    history: RecentHistory | None = None,
    source: str = "message",
) -> Diagnosis:
    """Diagnose one failure from its text and context. Returns `unknown` with low confidence when unsure."""
    text = message or ""
    hits = find_hits(text)
    ranked = _vote(hits)
    task = TASK_TYPES.get((task_type or "").strip().lower())
    status_upper = (status or "").strip().upper()

    if ranked:
        category, confidence, top = ranked[0]
        pattern, retryable = top.signature.pattern, top.signature.retryable
        explanation = top.signature.explanation
        evidence = [h.evidence(source) for h in _top_hits(hits, category)]
        runner_up = next((score for cat, score, _ in ranked[1:] if cat != category), 0.0)
        if confidence - runner_up < CONFLICT_MARGIN:
            confidence -= CONFLICT_MARGIN - (confidence - runner_up)
            evidence.extend(h.evidence(source) for h in _top_hits(hits, ranked[1][0])[:1])
        if task is not None:
            evidence.append(Evidence(source="webhook.taskType", detail=f"{task_type}: {task[2]}"))
            if task[0] == category:
                confidence = min(0.97, confidence + 0.05)
    elif task is not None:
        category, pattern = task[0], task[1]
        confidence, retryable = TASK_TYPE_WEIGHT, False
        explanation = task[2]
        evidence = [Evidence(source="webhook.taskType", detail=f"{task_type}: {task[2]}")]
    else:
        return _unknown(text, status_upper, source)

    if confidence < MIN_CONFIDENCE:
        return _unknown(text, status_upper, source, weak=evidence)

    # Context: what Fivetran's status and the recent history say about retrying.
    if task is not None or status_upper == "FAILURE_WITH_TASK":
        retryable = False
    if status_upper == "RESCHEDULED":
        retryable = True
        evidence.append(Evidence(source="webhook.status", detail="RESCHEDULED: Fivetran resumes the sync itself"))
    retryable, confidence = _apply_history(history, category, retryable, confidence, evidence)

    return Diagnosis(
        category=category,
        pattern=pattern,
        retryable=retryable,
        confidence=round(max(0.0, min(confidence, 0.97)), 2),
        evidence=evidence[:6],
        summary=summarise(category, pattern, retryable, explanation, history),
        analyzer="rules",
    )


def _top_hits(hits: list[Hit], category: Category) -> list[Hit]:
    return [h for h in hits if h.signature.category == category][:3]


def _apply_history(
    history: RecentHistory | None,
    category: Category,
    retryable: bool,
    confidence: float,
    evidence: list[Evidence],
) -> tuple[bool, float]:
    if history is None:
        return retryable, confidence
    repeats = max(history.repeated, history.consecutive_failures)
    if retryable and repeats >= REPEAT_THRESHOLD:
        evidence.append(
            Evidence(source="history", detail=f"{repeats} failures in a row before this one: not a single blip")
        )
        return False, confidence
    if retryable and history.previous_succeeded and category in TRANSIENT_CATEGORIES:
        evidence.append(Evidence(source="history", detail="the previous sync succeeded: a single blip so far"))
        return True, min(0.97, confidence + 0.03)
    return retryable, confidence


def _unknown(text: str, status: str, source: str, weak: list[Evidence] | None = None) -> Diagnosis:
    if status == "RESCHEDULED":
        evidence = [Evidence(source="webhook.status", detail="RESCHEDULED: waiting for source API capacity")]
        return Diagnosis(
            category=Category.SOURCE_API_LIMIT,
            pattern="rate_limit",
            retryable=True,
            confidence=0.5,
            evidence=evidence,
            summary=summarise(Category.SOURCE_API_LIMIT, "rate_limit", True, "Fivetran rescheduled the sync"),
        )
    snippet = clip(" ".join(text.split()), 160)
    evidence = [*(weak or []), Evidence(source=source, detail=f"no known error family in: '{snippet}'")]
    return Diagnosis(
        category=Category.UNKNOWN,
        pattern="unknown",
        retryable=False,
        confidence=0.15 if weak else 0.1,
        evidence=evidence[:4],
        summary=summarise(Category.UNKNOWN, "unknown", False, "no known error family matched"),
    )
