"""The RCA use case: when to ask the LLM, how answers merge, one call per distinct incident."""

from __future__ import annotations

from fivetran_recovery.models.diagnosis import Category
from fivetran_recovery.rca import InMemoryLlmCache, analyze_incident, classify
from fivetran_recovery.rca.context import context_from_message
from local.fake_anthropic import Behaviour

ALLOWED = ["retry_with_backoff", "reauthorize_credentials", "escalate_unknown"]
UNSURE = "Sync failed: upstream returned an unexpected response"
CONFIDENT = "000608 (57P03): Warehouse 'LOADING' was suspended."


def _tool(category: str, pattern: str, playbook: str = "none") -> Behaviour:
    return Behaviour.tool_use(
        {
            "verdict": "diagnosed",
            "category": category,
            "pattern": pattern,
            "retryable": False,
            "confidence": 0.8,
            "summary": f"It is {pattern}.",
            "claims": [{"claim": "The message says so.", "evidence_ids": ["E1"]}],
            "recommended_playbook": playbook,
        }
    )


def test_given_a_confident_classifier_when_no_summary_wanted_then_no_llm_call(fake_anthropic, make_analyzer):
    outcome = analyze_incident(
        context_from_message(CONFIDENT),
        classifier_diagnosis=classify(CONFIDENT),
        llm=make_analyzer(),
        allowed_playbooks=ALLOWED,
    )

    assert outcome.llm_calls == 0 and not outcome.llm_used
    assert fake_anthropic.requests == []
    assert outcome.diagnosis.category == Category.DESTINATION


def test_given_no_analyzer_when_unsure_then_the_classifier_answer_without_a_call():
    outcome = analyze_incident(
        context_from_message(UNSURE), classifier_diagnosis=classify(UNSURE), llm=None, allowed_playbooks=ALLOWED
    )

    assert outcome.diagnosis.category == Category.UNKNOWN and outcome.llm_calls == 0


def test_given_an_unsure_classifier_when_analyzed_then_the_llm_decides(fake_anthropic, make_analyzer):
    fake_anthropic.enqueue(_tool("credential", "credential_expiry", "reauthorize_credentials"))

    outcome = analyze_incident(
        context_from_message(UNSURE),
        classifier_diagnosis=classify(UNSURE),
        llm=make_analyzer(),
        allowed_playbooks=ALLOWED,
    )

    assert outcome.llm_used and outcome.llm_calls == 1
    assert outcome.diagnosis.category == Category.CREDENTIAL
    assert outcome.diagnosis.playbook == "reauthorize_credentials"
    assert outcome.rules.category == Category.UNKNOWN
    assert outcome.usage.output_tokens > 0


def test_given_a_confident_classifier_and_a_wanted_summary_when_the_llm_agrees_then_its_summary_is_used(
    fake_anthropic, make_analyzer
):
    fake_anthropic.enqueue(_tool("destination", "warehouse_suspended"))

    outcome = analyze_incident(
        context_from_message(CONFIDENT),
        classifier_diagnosis=classify(CONFIDENT),
        llm=make_analyzer(),
        allowed_playbooks=ALLOWED,
        want_summary=True,
    )

    assert outcome.diagnosis.analyzer == "rules"
    assert outcome.diagnosis.pattern == "warehouse_suspended"
    assert outcome.diagnosis.summary == "It is warehouse_suspended."


def test_given_a_confident_classifier_when_the_llm_disagrees_then_the_classifier_stands_with_a_note(
    fake_anthropic, make_analyzer
):
    fake_anthropic.enqueue(_tool("network", "transient_network_blip"))

    outcome = analyze_incident(
        context_from_message(CONFIDENT),
        classifier_diagnosis=classify(CONFIDENT),
        llm=make_analyzer(),
        allowed_playbooks=ALLOWED,
        want_summary=True,
    )

    assert outcome.diagnosis.category == Category.DESTINATION
    assert any(e.source == "llm" and "network" in e.detail for e in outcome.diagnosis.evidence)


def test_given_the_same_incident_twice_when_analyzed_with_a_cache_then_one_llm_call(fake_anthropic, make_analyzer):
    cache = InMemoryLlmCache()
    analyzer = make_analyzer()
    fake_anthropic.enqueue(_tool("credential", "credential_expiry"))

    first = analyze_incident(
        context_from_message(UNSURE),
        classifier_diagnosis=classify(UNSURE),
        llm=analyzer,
        allowed_playbooks=ALLOWED,
        cache=cache,
    )
    second = analyze_incident(
        context_from_message(UNSURE),
        classifier_diagnosis=classify(UNSURE),
        llm=analyzer,
        allowed_playbooks=ALLOWED,
        cache=cache,
    )

    assert first.signature == second.signature
    assert (first.llm_calls, second.llm_calls) == (1, 0)
    assert second.cached and second.diagnosis == first.diagnosis
    assert len(fake_anthropic.requests) == 1


def test_given_the_llm_failing_when_analyzed_then_the_classifier_stands_and_nothing_is_cached(
    fake_anthropic, make_analyzer
):
    cache = InMemoryLlmCache()
    fake_anthropic.enqueue(Behaviour.overloaded())

    outcome = analyze_incident(
        context_from_message(UNSURE),
        classifier_diagnosis=classify(UNSURE),
        llm=make_analyzer(max_retries=0),
        allowed_playbooks=ALLOWED,
        cache=cache,
    )

    assert outcome.llm_failure is not None and outcome.llm_failure.kind == "overloaded"
    assert outcome.diagnosis == outcome.rules
    assert len(cache) == 0
    assert outcome.as_record()["llm_failure"]["kind"] == "overloaded"


def test_given_a_cache_with_a_ttl_when_time_passes_then_entries_expire():
    now = [0.0]
    cache = InMemoryLlmCache(ttl_seconds=60, max_entries=2, clock=lambda: now[0])
    from fivetran_recovery.rca.llm import LlmResult

    result = LlmResult(diagnosis=classify(UNSURE))
    cache.put("a", result)
    cache.put("b", result)
    cache.put("c", result)
    assert cache.get("a") is None and cache.get("c") is result  # bounded: the oldest went
    now[0] = 61
    assert cache.get("c") is None


def test_given_a_failing_event_with_history_when_analyzed_end_to_end_then_rules_context_and_llm_are_combined(
    fake_anthropic, make_analyzer
):
    from fivetran_recovery.models.webhook import WebhookEvent
    from fivetran_recovery.rca import analyze_event

    class Fivetran:
        def get_connection(self, connection_id):
            return {"service": "postgres", "status": {"setup_state": "connected", "tasks": [], "warnings": []}}

        def get_schema_config(self, connection_id):
            raise TimeoutError("schema endpoint timed out")

        def run_setup_tests(self, connection_id):  # pragma: no cover - only for broken setups
            raise AssertionError("setup tests must not run for a connected connection")

    def event(day: int, status: str, reason: str = "") -> dict:
        data = {"status": status, **({"reason": reason} if reason else {})}
        return {"event": "sync_end", "created": f"2026-01-0{day}T00:00:00Z", "connector_id": "c1", "data": data}

    history = [event(1, "SUCCESSFUL"), event(2, "FAILURE", UNSURE), event(3, "FAILURE", UNSURE)]
    current = WebhookEvent.model_validate(event(4, "FAILURE", UNSURE))
    fake_anthropic.enqueue(_tool("network", "source_service_unavailable"))

    outcome = analyze_event(
        current, fivetran=Fivetran(), history_events=history, llm=make_analyzer(), allowed_playbooks=ALLOWED
    )

    assert outcome.rules.category == Category.UNKNOWN
    assert outcome.llm_used and outcome.diagnosis.category == Category.NETWORK
    sent = fake_anthropic.requests[0]["messages"][0]["content"]
    assert 'source="history"' in sent and "2 failures" in sent
    assert 'source="fivetran.connection"' in sent
    assert "could not gather: fivetran.schema_config: TimeoutError" in sent
