"""What `make run` prints after the demo: one line per thing that happens to a webhook as it moves through the
stack (queued → incident opened / attached / held / self-healed / suppressed → workflow → each Fivetran call →
verified or escalated), so the terminal never goes silent while the stack works.

It watches what the stack records, never the handlers' logs: webhooks the simulator delivered, the incidents
table (incidents and triage's digest), Step Functions executions, the simulator's write calls and the audit trail.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any, TextIO

from local.stack import LocalStack

POLL_SECONDS = 0.5


class Narrator:
    def __init__(self, stack: LocalStack, out: TextIO, *, clock: Callable[[], float] = time.monotonic):
        self.stack = stack
        self.out = out
        self._clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._deliveries = 0
        self._incidents: dict[str, str] = {}
        self._notes: dict[str, int] = {}
        self._open_connections: set[str] = set()
        self._digest: set[str] = set()
        self._executions: dict[str, str] = {}
        self._calls = 0
        self._audit: set[tuple[str, int]] = set()

    def mark_seen(self) -> None:
        """Start from now: what the demo already told is not told again."""
        self.poll(say=False)

    def start(self) -> Narrator:
        self.mark_seen()
        self._thread = threading.Thread(target=self._run, name="narrator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            try:
                self.poll()
            except Exception as exc:  # the story is best effort; the stack goes on
                self._say("narrator", f"could not read the stack: {type(exc).__name__}")

    def _say(self, who: str, text: str) -> None:
        self.out.write(f"  {time.strftime('%H:%M:%S')}  {who:<16} {text}\n")
        self.out.flush()

    def poll(self, *, say: bool = True) -> None:
        lines: list[tuple[str, str]] = []
        incident_lines = self._new_incident_states()
        lines += self._new_deliveries()
        lines += incident_lines
        lines += self._new_executions()
        lines += self._new_calls()
        lines += self._new_audit()
        if say:
            for who, text in lines:
                self._say(who, text)

    def _new_deliveries(self) -> list[tuple[str, str]]:
        deliveries = list(self.stack.simulator.deliveries)
        out = []
        for delivery in deliveries[self._deliveries:]:
            try:
                body = json.loads(delivery.body)
            except ValueError:
                continue
            status = (body.get("data") or {}).get("status")
            connection = body.get("connector_id") or "-"
            if not self._worth_telling(body.get("event"), status, connection, delivery.status):
                continue
            verdict = "queued" if delivery.status == 200 else f"refused ({delivery.status})"
            out.append((connection, f"webhook {body.get('event')}{' ' + status if status else ''}: {verdict}"))
        self._deliveries = len(deliveries)
        return out

    def _worth_telling(self, event: str | None, status: str | None, connection: str, http_status: int) -> bool:
        """Every failure, refusal and non-sync event; a routine sync only when its connection has an open incident
        (its success is what recovery waits for). Routine traffic would drown the story."""
        if http_status != 200 or event not in ("sync_start", "sync_end") or status not in (None, "SUCCESSFUL"):
            return True
        return event == "sync_end" and connection in self._open_connections

    def _new_incident_states(self) -> list[tuple[str, str]]:
        out = []
        for item in self.stack.table_items("IncidentsTable"):
            pk, sk = str(item.get("pk", "")), str(item.get("sk", ""))
            if pk.startswith("INC#") and sk == "META":
                body = json.loads(item["doc"])
                status, previous = body["status"], self._incidents.get(body["id"])
                where = body.get("connection_id") or body.get("destination_group_id") or "-"
                if status != previous:
                    self._incidents[body["id"]] = status
                    out.append((where, _incident_line(body, previous)))
                if body.get("connection_id"):
                    if status in ("recovered", "closed", "self_healed", "suppressed", "escalated"):
                        self._open_connections.discard(body["connection_id"])
                    else:
                        self._open_connections.add(body["connection_id"])
                notes = body.get("timeline") or []
                for note in notes[self._notes.get(body["id"], len(notes) if previous is None else 0):]:
                    if note.get("kind") in ("attached", "child_added", "confirmed", "self_healed"):
                        out.append((where, f"incident {body['id']}: {note['kind']} {note.get('note', '')[:100]}"))
                self._notes[body["id"]] = len(notes)
            elif pk.startswith("DIGEST#") and f"{pk}/{sk}" not in self._digest:
                self._digest.add(f"{pk}/{sk}")
                entry = json.loads(item["doc"]) if "doc" in item else item
                reason = str(entry.get("reason", ""))[:100]
                out.append((str(entry.get("connection_id") or "-"),
                            f"{entry.get('kind', 'digest')}: kept out of incidents ({reason})"))
        return out

    def _new_executions(self) -> list[tuple[str, str]]:
        out = []
        for execution in self.stack.executions():
            name, status = execution["name"], execution["status"]
            if self._executions.get(name) == status:
                continue
            previous = self._executions.get(name)
            self._executions[name] = status
            if previous is None:
                out.append(("workflow", f"{name} started"))
            if status != "RUNNING":
                described = self.stack.describe(execution["executionArn"])
                outcome = json.loads(described.get("output") or "{}").get("outcome") or status
                out.append(("workflow", f"{name} {status.lower()}: {outcome}"))
        return out

    def _new_calls(self) -> list[tuple[str, str]]:
        from local.drill import steps

        calls = steps.write_calls(self.stack)
        out = [(str(c.get("path", "")).split("/")[3] if str(c.get("path", "")).count("/") >= 3 else "-",
                f"Fivetran API: {c['method']} {c['path']} ({c['status']})") for c in calls[self._calls:]]
        self._calls = len(calls)
        return out

    def _new_audit(self) -> list[tuple[str, str]]:
        from fivetran_recovery.audit import record_from_item
        from fivetran_recovery.workflow.summary import describe_record

        out = []
        for item in sorted(self.stack.table_items("AuditTable"), key=lambda i: (i["chain_id"], int(i["seq"]))):
            key = (item["chain_id"], int(item["seq"]))
            if key in self._audit:
                continue
            self._audit.add(key)
            record = record_from_item(item)
            if record.kind in ("verification", "approval_requested", "approval", "summary", "automation_stopped",
                               "automation_resumed", "escalation", "recommendation", "action_unknown",
                               "rollback_proposed"):
                out.append((record.chain_id, describe_record(record)))
        return out


def _incident_line(body: dict[str, Any], previous: str | None) -> str:
    status = body["status"]
    if previous is None:
        held = " (held: waiting for Fivetran's own retry)" if body.get("hold_until") else ""
        parent = f", attached to {body['parent_id']}" if body.get("parent_id") else ""
        return f"incident {body['id']} opened: {body['category']}/{body['pattern']}{parent}{held}"
    return f"incident {body['id']} {previous} -> {status}"
