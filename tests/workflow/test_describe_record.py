"""Issue 11 item 7: a post-incident summary said `diagnosed None/None (confidence None)` for every incident,
because the diagnosis audit record holds the RCA outcome with the answer under "diagnosis"."""

from __future__ import annotations

from fivetran_recovery.audit.chain import AuditRecord
from fivetran_recovery.workflow.summary import describe_record


def record(detail: dict) -> AuditRecord:
    return AuditRecord(chain_id="c", seq=1, incident_id="i", recorded_at="t", kind="diagnosis", actor="diagnose",
                       detail=detail, prev_hash="0" * 64)


def test_given_a_diagnosis_record_when_described_then_its_category_pattern_confidence_and_who_answered():
    text = describe_record(record({"diagnosis": {"category": "schema_drift", "pattern": "column_type_change",
                                                 "confidence": 0.85}, "llm_used": False}))
    assert text == "diagnosed schema_drift/column_type_change (confidence 0.85, by the rules)"
    assert "None" not in text
    llm = describe_record(record({"diagnosis": {"category": "unknown", "pattern": "p", "confidence": 0.4},
                                  "llm_used": True}))
    assert llm.endswith("by the LLM)")


def journal(kind: str, outcome: str, **extra) -> AuditRecord:
    detail = {"step": 1, "action": "pause", "idempotency_key": "k", "attempt": 2, "outcome": outcome,
              "calls": [{"kind": "fivetran_api", "method": "PATCH", "path": "/v1/connections/quiet_harbor",
                         "body": {"paused": True}}], **extra}
    return AuditRecord(chain_id="quiet_harbor", seq=3, incident_id="i", recorded_at="t", kind=kind,
                       actor="remediate", detail=detail, prev_hash="0" * 64)


def test_given_write_ahead_records_when_described_then_they_name_the_call_its_target_and_the_outcome():
    intent = describe_record(journal("action_intent", "intended", before={"paused": False}))
    assert intent == "step 1 intends to pause connection quiet_harbor (attempt 2): PATCH /v1/connections/quiet_harbor"
    sql = journal("action_intent", "intended")
    sql.detail.update(action="run_recovery_sql", calls=[{"kind": "sql", "dialect": "snowflake", "sql": "DELETE ..."}])
    assert describe_record(sql) == ("step 1 intends to run recovery SQL in the destination of connection quiet_harbor"
                                    " (attempt 2): SQL (snowflake)")
    cause = "ReadTimeout: timed out"
    texts = {
        outcome: describe_record(journal(kind, outcome, error=cause, evidence="paused is True"))
        for kind, outcome in (("action", "verified_applied"), ("action_unknown", "unknown"),
                              ("action_failed", "verified_not_applied"), ("action_failed", "unknown_safe_to_repeat"))
    }
    assert texts["verified_applied"] == ("step 1 (pause, attempt 2) verified applied after ReadTimeout: timed out; "
                                         "read back: paused is True")
    assert texts["unknown"].endswith("may or may not have happened after ReadTimeout: timed out; read back: "
                                     "paused is True: check Fivetran before repeating it")
    assert texts["verified_not_applied"].endswith("did not happen after ReadTimeout: timed out; read back: paused is "
                                                  "True; safe to retry")
    assert "outcome unknown" in texts["unknown_safe_to_repeat"] and "harmless" in texts["unknown_safe_to_repeat"]
    refused = describe_record(journal("action_failed", "refused", error="FivetranError: 409 conflict"))
    assert refused == "step 1 (pause, attempt 2) refused by Fivetran, nothing changed after FivetranError: 409 conflict"
    assert "intended" not in intent and all("None" not in t for t in texts.values())
    proposed = AuditRecord(chain_id="c", seq=5, incident_id="i", recorded_at="t", kind="rollback_proposed",
                           actor="ana", detail={"rollback_incident_id": "i-rollback-3",
                                                "plan": ["[0] resume [needs approval]: PATCH /v1/connections/c"]},
                           prev_hash="0" * 64)
    assert describe_record(proposed) == ("rollback i-rollback-3 proposed by ana: waits for an approver "
                                         "([0] resume [needs approval]: PATCH /v1/connections/c)")
    plain = journal("action", "applied", result={"detail": "paused"})
    assert describe_record(plain) == "step 1 pause: paused"  # an applied step reads as before


def test_given_verifications_when_time_to_recover_then_first_failure_to_the_verified_sync_or_why_not():
    from datetime import UTC, datetime

    from fivetran_recovery.workflow.summary import time_to_recover

    failed_at = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    def verification(status: str, **detail) -> AuditRecord:
        return AuditRecord(chain_id="c", seq=9, incident_id="i", recorded_at="2026-03-01T11:00:00+00:00",
                           kind="verification", actor="verify", detail={"status": status, **detail},
                           prev_hash="0" * 64)

    assert time_to_recover(failed_at, []) == (None, "not recovered yet: no verification has run")
    assert time_to_recover(failed_at, [verification("failed")]) == (None, "not recovered: the verification failed")
    seconds, reason = time_to_recover(failed_at, [verification("verified", succeeded_at="2026-03-01T12:07:30Z")])
    assert seconds == 450.0 and "12:07:30" in reason  # the verified sync, on Fivetran's clock like the failure
    seconds, reason = time_to_recover(failed_at, [verification("verified")])  # no sync named: recorded_at, earlier
    assert seconds is None and reason.startswith("unknown")
