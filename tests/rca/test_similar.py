"""Similar past incidents: same connection or same signature elsewhere, resolved ones first."""

from __future__ import annotations

from fivetran_recovery.rca import rank_similar

CURRENT = {
    "id": "inc-now",
    "connection_id": "c1",
    "category": "network",
    "pattern": "connection_reset",
    "signature": "s1",
}


def _incident(id_, connection_id, category, pattern, signature, resolution=None, closed_at="2026-01-01T00:00:00Z"):
    return {
        "id": id_,
        "connection_id": connection_id,
        "category": category,
        "pattern": pattern,
        "signature": signature,
        "resolution": resolution,
        "closed_at": closed_at,
    }


def test_given_candidates_when_ranked_then_same_signature_on_this_connection_comes_first():
    candidates = [
        _incident("a", "c9", "network", "connection_reset", "s1", "retried"),
        _incident("b", "c1", "network", "connection_reset", "s1", "retried"),
        _incident("c", "c1", "network", "dns_resolution_failure", "s7", "fixed DNS"),
        _incident("d", "c5", "credential", "credential_expiry", "s3", "re-authorized"),
        _incident("e", "c1", "network", "connection_reset", "s2"),
    ]

    ranked = rank_similar(CURRENT, candidates, limit=3)

    assert [r["id"] for r in ranked] == ["b", "a", "e"]
    assert ranked[0]["why"] == "same failure on this connection"
    assert ranked[0]["resolution"] == "retried"


def test_given_ties_when_ranked_then_resolved_then_most_recent_first():
    candidates = [
        _incident("old", "c1", "network", "connection_reset", "s1", "retried", "2025-01-01T00:00:00Z"),
        _incident("new", "c1", "network", "connection_reset", "s1", "retried", "2026-03-01T00:00:00Z"),
        _incident("open", "c1", "network", "connection_reset", "s1", None, "2026-06-01T00:00:00Z"),
    ]

    assert [r["id"] for r in rank_similar(CURRENT, candidates)] == ["new", "old", "open"]


def test_given_the_current_incident_and_unrelated_ones_when_ranked_then_they_are_left_out():
    candidates = [
        _incident("inc-now", "c1", "network", "connection_reset", "s1"),
        _incident("x", "c2", "credential", "credential_expiry", "s4"),
        _incident("y", "c3", "unknown", "unknown", "s5"),
    ]

    assert rank_similar(CURRENT, candidates) == []
    assert rank_similar(CURRENT, candidates, limit=0) == []


def test_given_an_unknown_current_incident_when_ranked_then_only_exact_signatures_match():
    current = {"connection_id": "c1", "category": "unknown", "pattern": "unknown", "signature": "s9"}
    candidates = [
        _incident("u1", "c2", "unknown", "unknown", "s8"),
        _incident("u2", "c2", "unknown", "unknown", "s9", "escalated"),
    ]

    assert [r["id"] for r in rank_similar(current, candidates)] == ["u2"]
