from __future__ import annotations

import hashlib
import hmac

import pytest

from fivetran_recovery.ingest import sign, signature_matches

KEY = b"k3y"
BODY = b'{"event":"sync_end"}'


def test_given_body_when_signed_then_hmac_sha256_hex_of_raw_bytes() -> None:
    assert sign(KEY, BODY) == hmac.new(KEY, BODY, hashlib.sha256).hexdigest()
    assert sign("k3y", BODY) == sign(KEY, BODY)


@pytest.mark.parametrize("transform", [str.lower, str.upper, lambda s: f"  {s}\t"])
def test_given_signature_in_any_case_or_padded_when_verified_then_matches(transform) -> None:
    assert signature_matches(BODY, transform(sign(KEY, BODY)), [KEY])


@pytest.mark.parametrize(
    "provided",
    [
        "",
        "sha256=" + hmac.new(KEY, BODY, hashlib.sha256).hexdigest(),  # Fivetran sends no prefix
        "0" * 64,
        "g" * 64,
        "é" * 64,
        hmac.new(KEY, BODY + b"\n", hashlib.sha256).hexdigest(),  # a trailing newline breaks the HMAC
        hmac.new(KEY, BODY, hashlib.sha256).hexdigest()[:-1],
    ],
)
def test_given_wrong_signature_when_verified_then_rejected(provided: str) -> None:
    assert not signature_matches(BODY, provided, [KEY])


def test_given_two_keys_when_either_signed_then_matches_and_no_key_means_no_match() -> None:
    old, new = b"old", b"new"
    assert signature_matches(BODY, sign(old, BODY), [new, old])
    assert signature_matches(BODY, sign(new, BODY), [new, old])
    assert not signature_matches(BODY, sign(b"other", BODY), [new, old])
    assert not signature_matches(BODY, sign(new, BODY), [])
