"""Why a webhook was refused. Each error carries a stable `code` and a `detail` safe to show the sender.

Details never contain the secret, the signature or any part of the body. HTTP statuses live in `http.py`.
"""

from __future__ import annotations


class IngestError(Exception):
    """Base of every refusal; `code` is the machine name, `detail` the human sentence."""

    code = "ingest_error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class PayloadTooLarge(IngestError):
    code = "payload_too_large"


class InvalidBodyEncoding(IngestError):
    """The body could not be turned into the exact bytes Fivetran sent (bad base64, not UTF-8...)."""

    code = "invalid_body_encoding"


class MissingSignature(IngestError):
    code = "missing_signature"


class InvalidSignature(IngestError):
    code = "invalid_signature"


class MalformedJson(IngestError):
    code = "malformed_json"


class NotAnObject(IngestError):
    code = "not_an_object"


class InvalidPayload(IngestError):
    """Valid JSON object, but not a Fivetran webhook event (missing or ill-typed fields)."""

    code = "invalid_payload"


class QueueUnavailable(IngestError):
    """The event could not be put on the queue: the sender must retry, nothing is lost."""

    code = "queue_unavailable"


class SecretUnavailable(IngestError):
    """The signing secret could not be read, so nothing can be verified: the sender must retry."""

    code = "secret_unavailable"


class CreatedOutOfWindow(IngestError):
    """`created` is older than Fivetran's retry horizon or too far in the future to be a real delivery."""

    code = "created_out_of_window"
