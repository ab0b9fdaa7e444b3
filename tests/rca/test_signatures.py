"""Signature tables: well-formed, and the literal prefilter never skips a regex that would have matched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fivetran_recovery.models.diagnosis import Diagnosis
from fivetran_recovery.rca.signatures import ALL_SIGNATURES
from fivetran_recovery.rca.signatures.prefilter import required_literals

CORPUS = Path(__file__).resolve().parents[1] / "data" / "corpus"


def _corpus_messages() -> list[str]:
    return [json.loads(line)["message"] for path in sorted(CORPUS.glob("*.jsonl")) for line in path.open()]


def test_given_every_signature_when_loaded_then_names_are_unique_and_fields_valid():
    names = [s.name for s in ALL_SIGNATURES]
    assert len(names) == len(set(names))
    for signature in ALL_SIGNATURES:
        assert 0.4 <= signature.weight <= 0.95, signature.name
        Diagnosis(category=signature.category, pattern=signature.pattern, retryable=signature.retryable, confidence=0.5)


def test_given_the_corpus_when_prefiltered_then_no_signature_that_matches_is_skipped():
    messages = _corpus_messages()
    assert len(messages) > 150
    for message in messages:
        lowered = message.lower()
        for signature in ALL_SIGNATURES:
            if signature.regex.search(message):
                assert signature.could_match(lowered), (signature.name, message[:120])


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"warehouse '?[^']{0,9}'? suspended|\b000608\b", {"warehouse ", "000608"}),
        (r"connection reset( by peer)?|ECONNRESET", {"connection reset", "econnreset"}),
        (r"colou?r", {"colo"}),  # the optional 'u' ends the mandatory run
        (r"\d{5}|timeout", None),  # a branch without a literal: no prefilter
        (r"ab|timeout", None),  # too short to be useful
        (r"(?-i:NaN)", None),
        (r"Lost connection to (\w+ )?server", {"lost connection to "}),
        (r"\b(bq|warehouse)\b.{0,40}\b(limit|quota) exceeded", {" exceeded"}),  # {0,40} is a quantifier
        (r"quota.{0,400}reached", {"reached"}),
    ],
)
def test_given_a_pattern_when_its_literals_are_derived_then_only_mandatory_runs_are_used(pattern, expected):
    assert required_literals(pattern) == (frozenset(expected) if expected is not None else None)
