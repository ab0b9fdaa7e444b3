"""An insider who can write the AuditTable but cannot read the KMS HMAC key nor rewrite the Object Lock bucket:
an edit, a re-hash from a record to the end, and a deleted newest record are each reported by verify."""

from __future__ import annotations

from decimal import Decimal

import boto3
import pytest

from fivetran_recovery.audit import AuditLog
from fivetran_recovery.audit.seal import KmsMac, S3Anchors
from local.cli import main as cli

from .test_audit_chain import TickingClock

BUCKET = "audit-anchors-test"


@pytest.fixture
def sealed(aws_stack, monkeypatch):
    key_id = boto3.client("kms").create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
    boto3.client("s3").create_bucket(Bucket=BUCKET, ObjectLockEnabledForBucket=True)
    monkeypatch.setenv("AUDIT_KEY_ID", key_id)
    monkeypatch.setenv("AUDIT_ANCHOR_BUCKET", BUCKET)
    table = boto3.resource("dynamodb").Table(aws_stack.tables["AuditTable"])
    log = AuditLog(table, clock=TickingClock(), signer=KmsMac(lambda: boto3.client("kms"), key_id),
                   anchors=S3Anchors(lambda: boto3.client("s3"), BUCKET))
    for n in range(3):
        log.append(chain_id="conn_a", incident_id="inc-1", kind="action", actor="remediate", detail={"step": n})
    return log, table


def test_given_signed_anchored_appends_then_verify_passes_and_each_head_is_anchored(sealed) -> None:
    log, _ = sealed
    chain = log.chain("conn_a")
    assert all(r.signature for r in chain)
    assert log.verify_chain("conn_a").ok
    anchor = S3Anchors(lambda: boto3.client("s3"), BUCKET).latest("conn_a")
    assert anchor["seq"] == 3 and anchor["hash"] == chain[-1].hash


def test_given_an_edited_record_then_verify_names_it(sealed) -> None:
    log, table = sealed
    item = table.get_item(Key={"chain_id": "conn_a", "seq": 2})["Item"]
    table.put_item(Item={**item, "actor": "someone-else"})
    check = log.verify_chain("conn_a")
    assert not check.ok and check.broken_seq == 2 and "edited" in check.reason


def test_given_a_rehash_from_a_record_to_the_end_without_the_key_then_the_signature_fails(sealed) -> None:
    log, table = sealed
    chain = log.chain("conn_a")
    previous = chain[0].hash
    for record in chain[1:]:  # sha256 re-chained from seq 2 to the end, old signatures kept (no key to redo them)
        forged = record.model_copy(update={"actor": "someone-else", "prev_hash": previous}).sealed()
        item = table.get_item(Key={"chain_id": "conn_a", "seq": record.seq})["Item"]
        table.put_item(Item={**item, "actor": forged.actor, "prev_hash": forged.prev_hash, "hash": forged.hash})
        previous = forged.hash
    check = log.verify_chain("conn_a")
    assert not check.ok and check.broken_seq == 2 and "signature" in check.reason
    unsigned = AuditLog(table, anchors=S3Anchors(lambda: boto3.client("s3"), BUCKET)).verify_chain("conn_a")
    assert not unsigned.ok and unsigned.broken_seq == 3 and "anchored head" in unsigned.reason  # anchor alone too


def test_given_the_newest_record_deleted_then_verify_reports_a_truncation(sealed, capsys) -> None:
    log, table = sealed
    table.delete_item(Key={"chain_id": "conn_a", "seq": Decimal(3)})
    check = log.verify_chain("conn_a")
    assert not check.ok and check.broken_seq == 3 and "truncated" in check.reason
    assert cli(["audit", "verify", "--table", table.name]) == 1  # key and bucket from AUDIT_KEY_ID/_ANCHOR_BUCKET
    assert "truncated" in capsys.readouterr().out


def test_given_a_bad_signature_then_verify_mac_says_false_not_an_error(sealed) -> None:
    signer = KmsMac(lambda: boto3.client("kms"), sealed[0]._signer.key_id)
    assert signer.verify("a" * 64, signer.sign("a" * 64))
    assert not signer.verify("b" * 64, signer.sign("a" * 64))
    assert not signer.verify("a" * 64, "not base64!")
