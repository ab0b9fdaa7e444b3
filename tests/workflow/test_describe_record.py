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
