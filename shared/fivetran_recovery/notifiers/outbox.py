"""Local channels: an outbox file (JSON lines the local dashboard and the drill read) and the console."""

from __future__ import annotations

import hashlib
import json
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from fivetran_recovery.notifiers.base import Notice, mask_email


class OutboxNotifier:
    """Appends every notice (and update) as one JSON line; also keeps them in memory for tests."""

    name = "outbox"

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path else None
        self.messages: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def _write(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self.messages.append(entry)
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a", encoding="utf-8") as out:
                    out.write(json.dumps(entry, sort_keys=True) + "\n")

    def post(self, notice: Notice) -> dict[str, Any]:
        ref = {"outbox_id": f"{notice.incident_id}:{len(self.messages)}"}
        self._write({"op": "post", "at": datetime.now(UTC).isoformat(), **ref,
                     "notice": notice.model_dump(exclude={"link"})})
        return ref

    def find(self, notice: Notice) -> dict[str, Any] | None:
        """The post already made for this notice's dedupe key (from the file when there is one: it outlives the
        process), or None."""
        entries: list[dict[str, Any]] = list(self.messages)
        if self.path is not None and self.path.exists():
            with self._lock:
                entries = [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line]
        for entry in entries:
            if entry.get("op") == "post" and (entry.get("notice") or {}).get("dedupe_key") == notice.dedupe_key:
                return {"outbox_id": entry.get("outbox_id")}
        return None

    def post_direct(self, notice: Notice, *, email: str) -> dict[str, Any]:
        """The local stand-in for a direct message: kept without the link itself (only its fingerprint), since
        the outbox is a store other people read."""
        ref = {"outbox_id": f"{notice.incident_id}:{len(self.messages)}", "via": "local direct outbox"}
        digest = hashlib.sha256((notice.link or "").encode()).hexdigest()[:16]
        body = notice.model_dump(exclude={"link"})
        self._write({"op": "direct", "at": datetime.now(UTC).isoformat(), **ref, "to": mask_email(email),
                     "link_sha256": digest, "notice": body})
        return ref

    def update(self, ref: dict[str, Any], notice: Notice, *, decided: str | None = None) -> None:
        self._write(
            {
                "op": "update",
                "at": datetime.now(UTC).isoformat(),
                **ref,
                "decided": decided,
                "notice": notice.model_dump(),
            }
        )


class ConsoleNotifier:
    name = "console"

    def __init__(self, stream: TextIO | None = None):
        self._stream = stream

    def post(self, notice: Notice) -> dict[str, Any]:
        stream = self._stream or sys.stderr
        text = notice.plain_text()
        if notice.link:
            text += "\n(owner link sent separately)"
        stream.write(f"--- {notice.kind} ---\n{text}\n")
        return {}

    def update(self, ref: dict[str, Any], notice: Notice, *, decided: str | None = None) -> None:
        (self._stream or sys.stderr).write(f"--- update {notice.incident_id}: {decided or notice.title}\n")
