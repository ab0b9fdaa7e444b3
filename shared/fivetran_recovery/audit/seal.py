"""What an insider with write access to the AuditTable cannot forge: a KMS HMAC over each record's hash (writers
may call kms:GenerateMac but never read the key) and the chain heads copied to an S3 bucket under Object Lock
(an anchor cannot be overwritten or deleted during retention). Re-hashing from an edited record to the end fails
the MAC; deleting the newest records leaves an anchor pointing past the end of the chain."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

MAC_ALGORITHM = "HMAC_SHA_256"
ANCHOR_PREFIX = "anchors/"


class _Lazy:
    """Holds a boto3 client factory and builds the client on first use (cold start: no client at import)."""

    def __init__(self, client: Callable[[], Any]):
        self._client_factory = client
        self._client: Any = None

    def _aws(self) -> Any:
        if self._client is None:
            self._client = self._client_factory()
        return self._client


class KmsMac(_Lazy):
    """Signs and checks a record's hash with a KMS HMAC key."""

    def __init__(self, client: Callable[[], Any], key_id: str):
        super().__init__(client)
        self.key_id = key_id

    _kms = _Lazy._aws

    def sign(self, digest: str) -> str:
        answer = self._kms().generate_mac(Message=digest.encode("ascii"), KeyId=self.key_id, MacAlgorithm=MAC_ALGORITHM)
        return base64.b64encode(answer["Mac"]).decode("ascii")

    def verify(self, digest: str, signature: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            mac = base64.b64decode(signature.encode("ascii"), validate=True)
            answer = self._kms().verify_mac(
                Message=digest.encode("ascii"), KeyId=self.key_id, MacAlgorithm=MAC_ALGORITHM, Mac=mac
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "KMSInvalidMacException":
                return False
            raise
        except ValueError:
            return False
        return bool(answer.get("MacValid"))


class S3Anchors(_Lazy):
    """Chain heads in an Object Lock bucket, one object per (chain, seq): anchors/<chain>/<seq:012d>.json."""

    def __init__(self, client: Callable[[], Any], bucket: str):
        super().__init__(client)
        self.bucket = bucket

    _s3 = _Lazy._aws

    def put(self, *, chain_id: str, seq: int, digest: str, signature: str) -> None:
        body = json.dumps({"chain_id": chain_id, "seq": seq, "hash": digest, "signature": signature}, sort_keys=True)
        self._s3().put_object(Bucket=self.bucket, Key=f"{ANCHOR_PREFIX}{chain_id}/{seq:012d}.json",
                              Body=body.encode("utf-8"), ContentType="application/json")

    def latest(self, chain_id: str) -> dict[str, Any] | None:
        """The newest anchor of a chain (highest seq), or None when the chain was never anchored."""
        newest: str | None = None
        paginator = self._s3().get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=f"{ANCHOR_PREFIX}{chain_id}/"):
            for item in page.get("Contents", []):
                if newest is None or item["Key"] > newest:
                    newest = item["Key"]
        if newest is None:
            return None
        return json.loads(self._s3().get_object(Bucket=self.bucket, Key=newest)["Body"].read())
