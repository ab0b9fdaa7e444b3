"""Signed webhook deliveries, queued so that sending never blocks the API request that caused the event.

Body: compact JSON in Fivetran's key order (event, created, connector_type, connector_id, connector_name,
sync_id, destination_group_id, data), no trailing newline. Header `X-Fivetran-Signature-256` = hex
HMAC-SHA256(secret, raw body), lowercase, no prefix (FACTS.md 1.3-1.4). Deliveries are made by a worker thread
(`start_worker`) or synchronously by `flush()` (deterministic tests); each one is recorded.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

SIGNATURE_HEADER = "X-Fivetran-Signature-256"
ENVELOPE_ORDER = (
    "event",
    "created",
    "connector_type",
    "connector_id",
    "connector_name",
    "sync_id",
    "destination_group_id",
    "data",
)

# A target is a URL, or an in-process callable(body, headers) -> HTTP status (for a stack without sockets).
Target = str | Callable[[bytes, dict[str, str]], int]


def encode_envelope(payload: dict[str, Any]) -> bytes:
    ordered = {k: payload[k] for k in ENVELOPE_ORDER if payload.get(k) is not None}
    ordered.update({k: v for k, v in payload.items() if k not in ordered and v is not None})
    return json.dumps(ordered, separators=(",", ":")).encode()


def sign(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass
class Delivery:
    webhook_id: str
    target: str
    event: str
    body: bytes
    headers: dict[str, str]
    status: int | None = None
    error: str | None = None
    delivered_at: float | None = None
    attempt: int = 1
    target_ref: Target | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def payload(self) -> dict[str, Any]:
        return json.loads(self.body)

    def summary(self) -> dict[str, Any]:
        return {
            "webhook_id": self.webhook_id,
            "target": self.target,
            "event": self.event,
            "status": self.status,
            "error": self.error,
            "payload": self.payload,
            "signature": self.headers.get(SIGNATURE_HEADER),
            "attempt": self.attempt,
        }


@dataclass
class _Pending:
    delivery: Delivery
    target: Target = field(repr=False)


class WebhookSender:
    def __init__(self, *, timeout: float = 10.0) -> None:
        self._timeout = timeout
        self._queue: queue.Queue[_Pending | None] = queue.Queue()
        self._records: list[Delivery] = []
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None
        self._http: httpx.Client | None = None
        # Told the result of every queued delivery (the registry retries failures and disables webhooks).
        self.on_result: Callable[[Delivery], None] | None = None

    def enqueue(self, webhook_id: str, target: Target, secret: str | None, event: str, body: bytes) -> Delivery:
        headers = {"Content-Type": "application/json"}
        if secret:
            headers[SIGNATURE_HEADER] = sign(body, secret)
        label = target if isinstance(target, str) else getattr(target, "__name__", "callable")
        delivery = Delivery(webhook_id, label, event, body, headers, target_ref=target)
        self._queue.put(_Pending(delivery, target))
        return delivery

    def redeliver(self, delivery: Delivery, *, target: Target | None = None) -> Delivery:
        """Queue the same bytes and signature again, as Fivetran's retries do (a receiver must dedupe)."""
        target = target or delivery.target_ref
        if target is None:
            raise ValueError("this delivery has no target to send to again")
        again = Delivery(
            delivery.webhook_id,
            delivery.target,
            delivery.event,
            delivery.body,
            dict(delivery.headers),
            attempt=delivery.attempt + 1,
            target_ref=delivery.target_ref,
        )
        self._queue.put(_Pending(again, target))
        return again

    def redeliver_failed(self) -> list[Delivery]:
        """Queue again every recorded delivery that failed and has not been delivered since."""
        with self._lock:
            records = list(self._records)
        delivered = {(d.webhook_id, d.body) for d in records if d.ok}
        latest: dict[tuple[str, bytes], Delivery] = {}
        for record in records:
            latest[(record.webhook_id, record.body)] = record
        return [self.redeliver(d) for key, d in latest.items() if key not in delivered and not d.ok]

    def deliver_now(self, webhook_id: str, target: Target, secret: str | None, event: str, body: bytes) -> Delivery:
        """Synchronous delivery (the API's webhook test does this)."""
        headers = {"Content-Type": "application/json"}
        if secret:
            headers[SIGNATURE_HEADER] = sign(body, secret)
        label = target if isinstance(target, str) else getattr(target, "__name__", "callable")
        delivery = Delivery(webhook_id, label, event, body, headers)
        self._send(_Pending(delivery, target), report=False)
        return delivery

    def _send(self, pending: _Pending, *, report: bool = True) -> None:
        delivery = pending.delivery
        try:
            if isinstance(pending.target, str):
                if self._http is None:
                    self._http = httpx.Client(timeout=self._timeout)
                response = self._http.post(pending.target, content=delivery.body, headers=delivery.headers)
                delivery.status = response.status_code
            else:
                delivery.status = int(pending.target(delivery.body, dict(delivery.headers)))
        except Exception as exc:  # a broken receiver is recorded, never crashes the simulator
            delivery.error = f"{type(exc).__name__}: {exc}"
        delivery.delivered_at = time.time()
        with self._lock:
            self._records.append(delivery)
        if report and self.on_result is not None:
            self.on_result(delivery)

    def flush(self) -> list[Delivery]:
        """Deliver everything queued so far (or wait for the worker to) and return the new records."""
        with self._lock:
            before = len(self._records)
        if self._worker is not None and self._worker.is_alive():
            self._queue.join()
        else:
            while True:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is not None:
                    self._send(item)
                self._queue.task_done()
        with self._lock:
            return list(self._records[before:])

    @property
    def pending(self) -> int:
        return self._queue.qsize()

    @property
    def deliveries(self) -> list[Delivery]:
        with self._lock:
            return list(self._records)

    def start_worker(self) -> None:
        if self._worker is not None and self._worker.is_alive():
            return
        self._worker = threading.Thread(target=self._run, name="sim-webhooks", daemon=True)
        self._worker.start()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                self._send(item)
            finally:
                self._queue.task_done()

    def stop_worker(self) -> None:
        if self._worker is not None and self._worker.is_alive():
            self._queue.put(None)
            self._worker.join(timeout=5)
        self._worker = None

    def close(self) -> None:
        self.stop_worker()
        if self._http is not None:
            self._http.close()
            self._http = None
