"""The RCA use case: the classifier's answer, completed by the LLM when it is unsure or a summary is wanted.

Decision:
- no analyzer, or the classifier is confident and no summary is wanted: the classifier's answer, no call;
- otherwise one LLM call per distinct incident signature (a cached analysis is reused, no call);
- the classifier confident: its category, pattern and retryability stand; an agreeing LLM contributes the
  summary and evidence, a disagreeing one is recorded as evidence only;
- the classifier unsure: the LLM's diagnosis (an "inconclusive" answer is `unknown`);
- the LLM failing: the classifier's answer stands and the failure is recorded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from fivetran_recovery.models.diagnosis import Diagnosis, Evidence
from fivetran_recovery.models.webhook import WebhookEvent
from fivetran_recovery.rca.cache import LlmCache
from fivetran_recovery.rca.classifier import classify
from fivetran_recovery.rca.context import IncidentContext, event_reason, gather_context
from fivetran_recovery.rca.fingerprint import incident_signature
from fivetran_recovery.rca.history import RecentHistory
from fivetran_recovery.rca.llm import LlmAnalyzer, LlmFailure, LlmResult, LlmUsage

DEFAULT_THRESHOLD = 0.7


@dataclass
class RcaOutcome:
    diagnosis: Diagnosis
    rules: Diagnosis
    signature: str
    usage: LlmUsage = field(default_factory=LlmUsage)
    llm_calls: int = 0
    llm_used: bool = False
    cached: bool = False
    llm_failure: LlmFailure | None = None

    def as_record(self) -> dict:
        """JSON-safe summary for the incident store and the audit trail."""
        return {
            "diagnosis": self.diagnosis.model_dump(mode="json"),
            "rules": self.rules.model_dump(mode="json"),
            "signature": self.signature,
            "usage": self.usage.model_dump(),
            "llm_calls": self.llm_calls,
            "llm_used": self.llm_used,
            "cached": self.cached,
            "llm_failure": self.llm_failure.model_dump() if self.llm_failure else None,
        }


def wants_llm(classifier_diagnosis: Diagnosis, *, threshold: float, want_summary: bool) -> bool:
    return classifier_diagnosis.confidence < threshold or want_summary


def analyze_incident(
    context: IncidentContext,
    *,
    classifier_diagnosis: Diagnosis,
    llm: LlmAnalyzer | None,
    allowed_playbooks: list[str],
    threshold: float = DEFAULT_THRESHOLD,
    want_summary: bool = False,
    cache: LlmCache | None = None,
) -> RcaOutcome:
    if not 0.0 <= threshold <= 1.0:
        raise ValueError("threshold must be within 0..1")
    signature = incident_signature(
        context.reason,
        category=classifier_diagnosis.category.value,
        pattern=classifier_diagnosis.pattern,
        connector_type=context.connector_type or "",
    )
    outcome = RcaOutcome(diagnosis=classifier_diagnosis, rules=classifier_diagnosis, signature=signature)
    if llm is None or not wants_llm(classifier_diagnosis, threshold=threshold, want_summary=want_summary):
        return outcome

    result = cache.get(signature) if cache is not None else None
    if result is not None:
        outcome.cached = True
    else:
        result = llm.analyze(context, classifier_diagnosis, allowed_playbooks)
        outcome.llm_calls = result.calls
        outcome.usage = result.usage
        if result.ok and cache is not None:
            cache.put(signature, result)
    outcome.llm_failure = result.failure
    if not result.ok:
        return outcome
    outcome.llm_used = True
    outcome.diagnosis = merge(classifier_diagnosis, result, threshold=threshold)
    return outcome


def merge(rules: Diagnosis, result: LlmResult, *, threshold: float) -> Diagnosis:
    llm = result.diagnosis
    if rules.confidence < threshold:
        return llm
    if llm.category == rules.category:
        evidence = [*rules.evidence, *llm.evidence][:8]
        return rules.model_copy(update={"summary": llm.summary or rules.summary, "evidence": evidence})
    disagreement = Evidence(
        source="llm",
        detail=f"the LLM suggested {llm.category.value}/{llm.pattern} ({llm.confidence:.2f}); the confident "
        f"classifier's answer stands",
    )
    return rules.model_copy(update={"evidence": [*rules.evidence, disagreement][:8]})


def analyze_event(
    event: WebhookEvent,
    *,
    fivetran: Any = None,
    history_events: Iterable[Any] | None = None,
    previous_schema: Any = None,
    llm: LlmAnalyzer | None = None,
    allowed_playbooks: Iterable[str] = (),
    cache: LlmCache | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    want_summary: bool = False,
) -> RcaOutcome:
    """The whole RCA for one failing webhook event: rules (with the recent history), context from the Fivetran
    API, then the LLM when the rules are unsure. `history_events` are earlier sync_end events, oldest first."""
    events = list(history_events or [])
    data = event.data if isinstance(event.data, dict) else {}
    message = event_reason(data)
    task_type = data.get("taskType") or data.get("task_type")
    history = RecentHistory.from_events(events, current_message=message)
    rules = classify(message, status=event.status, task_type=task_type, history=history, source="webhook.reason")
    context = gather_context(event, fivetran=fivetran, history=events, previous_schema=previous_schema)
    return analyze_incident(
        context,
        classifier_diagnosis=rules,
        llm=llm,
        allowed_playbooks=list(allowed_playbooks),
        threshold=threshold,
        want_summary=want_summary,
        cache=cache,
    )
