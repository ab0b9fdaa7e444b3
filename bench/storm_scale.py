"""Storm scale: how diagnose + triage grow with the size of an alert storm (issue 13).

    .venv/bin/python bench/storm_scale.py          # memory + patched moto at 100/500/1,000/2,000, moto-exact at 100,
                                                   # and 10,000 webhooks on memory and moto
    .venv/bin/python bench/storm_scale.py --sizes 100 500 --moto-sizes 100 --moto-exact-sizes --webhooks 0
    .venv/bin/python bench/storm_scale.py --json

The storm (seeded): connections spread over 5 destinations; 40 % fail on a warehouse concurrency limit of
destination 0 (one parent), 30 % fail on a network reset across every destination (one shared cause), 10 % fail
alone on a schema change (one incident each), 10 % fail once on a source rate limit and succeed on the next sync
(self-heal: no real incident), 10 % only succeed. Every failing connection fails 2-3 syncs, 5 minutes apart.
Delivery: 10 % of the webhooks are delivered twice, 5 % out of order (a few positions late). The fixed run has
10,000 webhooks (about 3,800 connections).

Each event goes through the real DiagnoseService (history, ordering, the rules classifier, triage) with a fake deep
diagnosis and workflow start. Backends: `memory` (the in-memory stores: our own code's speed), `moto` (the DynamoDB
stores on moto with local/moto_fast.py's patches, as the local stack runs: the AWS calls per webhook that
bench/cost_per_incident.py prices) and `moto-exact` (unpatched moto, for comparison). Each size runs in its own
process so peak RSS is that size's. Columns: p50/p95 = time from a webhook handed to diagnose to its triage decision
(the incident opened, counted or closed; no queue wait); `ratio` = our time / the floor's, the floor timed in the
same run chunk by chunk just before each chunk is handled (parsing and classifying the same events, no triage, no
store), so a machine busy with other work slows both; `growth` = time per webhook / the smallest run's of the same
backend (1.0 = linear); `growth/floor` = the same from `ratio` (less sensitive to a shared machine's load); RSS
+MB/1k = peak RSS gained during the storm per 1,000 webhooks; `lost` = distinct failure deliveries in no incident,
no digest entry and no stale outcome; `drift` = sum over parents of |parent failures - its children's failures|;
calls/webhook = DynamoDB requests per webhook.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from collections import Counter
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "shared"), str(REPO)]

START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
DESTINATIONS = [f"dest_{i}" for i in range(5)]
CONCURRENCY = "Error: Exceeded Rate Limits: Too Many Concurrent Queries for This Project and Region"  # ft-066
NETWORK = "Error: Connection Error - Connection Reset by Peer"  # ft-078
SCHEMA = ("Failed to sync endpoint(s) with error: {CONTACT=java.lang.NullPointerException, "
          "DEAL=java.lang.NullPointerException}")  # ft-004
RATE_LIMIT = ("Retrying after 30 seconds. Error : ErrorResponse{msg='Exceeded rate limit for endpoint: "
              "/api/v1/export, method: GET, org: 1234', code='TooManyRequests'}")
KINDS = [("concurrency", 0.4), ("network", 0.3), ("schema", 0.1), ("self_heal", 0.1), ("healthy", 0.1)]


def storm(n: int, seed: int = 13) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Webhook payloads in delivery order, and what a correct triage makes of them."""
    rng = random.Random(seed)
    kinds: list[str] = []
    for kind, share in KINDS:
        kinds += [kind] * round(n * share)
    kinds = (kinds + ["healthy"] * n)[:n]
    rng.shuffle(kinds)
    events = []
    for i, kind in enumerate(kinds):
        dest = DESTINATIONS[0] if kind == "concurrency" else DESTINATIONS[i % len(DESTINATIONS)]
        conn = f"conn_{i:05d}"
        offset = rng.uniform(0, 300)
        plan = {"concurrency": [CONCURRENCY] * rng.choice((2, 3)), "network": [NETWORK] * rng.choice((2, 3)),
                "schema": [SCHEMA] * rng.choice((2, 3)), "self_heal": [RATE_LIMIT, None], "healthy": [None, None]}
        for k, reason in enumerate(plan[kind]):
            at = START + timedelta(seconds=offset + 300 * k)
            data = {"status": "FAILURE", "reason": reason} if reason else {"status": "SUCCESSFUL"}
            events.append({"event": "sync_end", "created": at.isoformat(), "connector_id": conn,
                           "connector_type": "postgres", "sync_id": f"{conn}-{k}", "destination_group_id": dest,
                           "data": data})
    events.sort(key=lambda e: e["created"])
    delivered = _deliver(events, rng)
    truth = {"connections": n, "webhooks": len(delivered), "distinct_events": len(events),
             "expected_real_incidents": 1 + 1 + kinds.count("schema"),
             "expected": {"concurrency parents": 1, "network parents": 1, "schema singles": kinds.count("schema"),
                          "self-healed connections": kinds.count("self_heal")}}
    return delivered, truth


def _deliver(events: list[dict[str, Any]], rng: random.Random) -> list[dict[str, Any]]:
    out = list(events)
    for i in range(len(out) - 1):  # 5 % late by a few positions
        if rng.random() < 0.05:
            j = min(len(out) - 1, i + rng.randint(1, 4))
            out[i], out[j] = out[j], out[i]
    for event in rng.sample(events, len(events) // 10):  # 10 % delivered twice
        out.insert(min(len(out), out.index(event) + rng.randint(1, 50)), event)
    return out


def _service(backend: str, clock: dict[str, datetime]) -> tuple[Any, Any, dict[str, int]]:
    from fivetran_recovery.diagnose.service import DiagnoseService
    from fivetran_recovery.triage.calendar import MaintenanceCalendar, MaintenanceConfig
    from fivetran_recovery.triage.engine import Triage
    from fivetran_recovery.triage.policy import TriagePolicy
    from fivetran_recovery.triage.routing import OwnersConfig, Routing

    stores = _stores(backend)
    triage = Triage(
        incidents=stores["incidents"], correlation=stores["correlation"], digest=stores["digest"],
        calendar=MaintenanceCalendar(MaintenanceConfig.model_validate({})),
        routing=Routing(OwnersConfig.model_validate({"version": 1, "default": {"owner": "data"},
                                                     "teams": {"data": {"channel": "#data"}}})),
        policy=TriagePolicy(), clock=lambda: clock["now"])
    seen = {"deep": 0, "started": 0, "notifications": 0}

    def deep(event, incident, quick):
        seen["deep"] += 1
        return quick, {}

    def start(*, name, payload):
        seen["started"] += 1
        return name

    def notify(decision):
        seen["notifications"] += len(decision.notifications)
        return len(decision.notifications), 0

    service = DiagnoseService(history=stores["history"], triage=triage, deep_diagnose=deep,
                              plan_workflow=lambda *a, **k: {}, start_workflow=start, notify=notify,
                              clock=lambda: clock["now"], workflow_exists=lambda name: True)
    return service, stores, seen


def _stores(backend: str) -> dict[str, Any]:
    if backend == "memory":
        from fivetran_recovery.stores import memory

        return {"incidents": memory.InMemoryIncidentStore(), "correlation": memory.InMemoryCorrelationStore(),
                "digest": memory.InMemoryDigestStore(), "history": memory.InMemoryHistoryStore()}
    import boto3

    from fivetran_recovery.stores.dynamodb_history import DynamoHistoryStore
    from fivetran_recovery.stores.dynamodb_incidents import (
        DynamoCorrelationStore,
        DynamoDigestStore,
        DynamoIncidentStore,
    )
    from local.template import load_template

    client = boto3.client("dynamodb", region_name="us-east-1")
    client.meta.events.register("before-parameter-build.dynamodb", _count_call)
    client.meta.events.register("after-call.dynamodb", _count_read)
    resources = load_template()["Resources"]
    for logical, name in (("IncidentsTable", "incidents"), ("ConnectionHistoryTable", "history")):
        props = resources[logical]["Properties"]
        args = {k: props[k] for k in ("AttributeDefinitions", "KeySchema", "BillingMode")}
        if props.get("GlobalSecondaryIndexes"):
            args["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
        client.create_table(TableName=name, **args)
    CALLS.clear()
    return {"incidents": DynamoIncidentStore(client=client, table_name="incidents"),
            "correlation": DynamoCorrelationStore(client=client, table_name="incidents"),
            "digest": DynamoDigestStore(client=client, table_name="incidents"),
            "history": DynamoHistoryStore(client=client, table_name="history")}


CALLS: Counter[str] = Counter()
FLOOR_CHUNK = 250
_PATCHES = ExitStack()


def _units(item: Any, unit: int) -> int:
    return max(1, -(-len(json.dumps(item, default=str)) // unit)) if item else 1


def _count_call(model: Any, params: dict[str, Any], **_: Any) -> None:
    """Requests, and write request units from item sizes (1 KB units, doubled in a transaction)."""
    name = model.name
    CALLS[name] += 1
    if name == "TransactWriteItems":
        for entry in params.get("TransactItems", []):
            body = next(iter(entry.values()))
            CALLS["wru"] += 2 * _units(body.get("Item") or body.get("Key"), 1024)
    elif name in ("PutItem", "UpdateItem", "DeleteItem"):
        CALLS["wru"] += _units(params.get("Item") or params.get("Key"), 1024)
    elif name == "BatchGetItem":  # strongly consistent: at least one read unit per key (lock items are < 4 KB)
        CALLS["rru"] += sum(len(table["Keys"]) for table in params.get("RequestItems", {}).values())


def _count_read(model: Any, parsed: dict[str, Any], **_: Any) -> None:
    """Read request units: strongly consistent, 4 KB units over what came back."""
    if model.name in ("GetItem", "Query"):
        items = [parsed["Item"]] if parsed.get("Item") else parsed.get("Items", [])
        CALLS["rru"] += max(1, -(-sum(len(json.dumps(i, default=str)) for i in items) // 4096))


def run_one(n: int, backend: str, webhooks: int | None = None) -> dict[str, Any]:
    if backend.startswith("moto"):
        from moto import mock_aws

        from local.moto_fast import fast_dynamodb

        _PATCHES.enter_context(mock_aws())  # until the process ends (each size runs in its own)
        if backend == "moto":  # "moto-exact": moto's own whole-table paths, for comparison
            _PATCHES.enter_context(fast_dynamodb())
    payloads, truth = storm(n)
    if webhooks:  # the fixed-webhook-count run: as many connections as make that many deliveries
        payloads, truth = storm(max(10, round(n * webhooks / max(1, len(payloads)))))
    clock = {"now": START}
    service, stores, seen = _service(backend, clock)
    rss_before = _rss_mb()
    latencies, stale, elapsed, floor = _drive(service, payloads, clock)
    rss = _rss_mb()
    calls = Counter(CALLS)  # the storm's own requests, not the checks' reads below
    requests = sum(v for k, v in calls.items() if k not in ("wru", "rru"))
    every = _every(stores["incidents"], backend)
    return {"backend": backend, **truth, **_outcome(stores["incidents"], every),
            "lost": _lost(payloads, every, stores["digest"], stale), "seconds": round(elapsed, 2),
            "events_per_s": round(len(payloads) / elapsed, 1), "p50_ms": _pct(latencies, 50),
            "p95_ms": _pct(latencies, 95), "floor_us_per_event": round(floor * 1e6 / len(payloads), 1),
            "ratio": round(elapsed / floor, 2),
            "peak_rss_mb": round(rss, 1), "rss_growth_mb": round(rss - rss_before, 1),
            "deep_diagnoses": seen["deep"], "workflows": seen["started"], "notifications": seen["notifications"],
            "aws_calls": {k: v for k, v in calls.items() if k not in ("wru", "rru")} if backend != "memory" else None,
            "calls_per_webhook": round(requests / len(payloads), 2) if backend != "memory" else None,
            "wru": calls.get("wru"), "rru": calls.get("rru")}


def _drive(service: Any, payloads: list[dict[str, Any]],
           clock: dict[str, datetime]) -> tuple[list[float], set[str], float, float]:
    """Every webhook through diagnose in delivery order, the sweep every 30 s of event time, then an hour on.

    The floor is timed chunk by chunk just before each chunk is handled, so a machine shared with other work slows
    both alike: (latencies, stale event keys, seconds handling, seconds of floor)."""
    from fivetran_recovery.diagnose.service import STALE
    from fivetran_recovery.models.webhook import WebhookEvent

    latencies: list[float] = []
    stale: set[str] = set()
    last_sweep, floor = START, 0.0
    for start in range(0, len(payloads), FLOOR_CHUNK):
        chunk = payloads[start:start + FLOOR_CHUNK]
        floor += _floor(chunk)
        for payload in chunk:
            t0 = time.perf_counter()
            event = WebhookEvent.model_validate(payload)
            clock["now"] = max(clock["now"], event.created + timedelta(seconds=1))
            if (clock["now"] - last_sweep).total_seconds() >= 30:
                service.sweep()
                last_sweep = clock["now"]
            outcome = service.handle(event)
            latencies.append(time.perf_counter() - t0)
            if outcome.action == STALE:
                stale.add(event.event_key)
    t0 = time.perf_counter()
    clock["now"] += timedelta(hours=1)
    service.sweep()
    return latencies, stale, sum(latencies) + time.perf_counter() - t0, floor


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _lost(payloads: list[dict[str, Any]], every: list[Any], digest: Any, stale: set[str]) -> int:
    """Distinct failure deliveries found in no incident, no digest entry and no stale outcome."""
    from fivetran_recovery.models.webhook import WebhookEvent

    failures = {e.event_key for e in (WebhookEvent.model_validate(p) for p in payloads) if e.is_failure}
    seen = {k for i in every for k in i.recent_event_keys}
    entries = digest.between(START - timedelta(days=1), START + timedelta(days=2))
    seen |= {e.event_key for e in entries} | {k for e in entries for k in e.related_event_keys}
    return len(failures - seen - stale)


def _floor(payloads: list[dict[str, Any]]) -> float:
    """Parse and classify each event, nothing else (the part no store or triage can avoid)."""
    from fivetran_recovery.models.webhook import WebhookEvent
    from fivetran_recovery.rca import classify

    t0 = time.perf_counter()
    for payload in payloads:
        event = WebhookEvent.model_validate(payload)
        if event.status == "FAILURE":
            classify(str((event.data or {}).get("reason")), status=event.status)
    return time.perf_counter() - t0


def _outcome(incidents: Any, every: list[Any]) -> dict[str, Any]:
    from fivetran_recovery.models.incident import IncidentKind, IncidentStatus

    top = [i for i in every if i.kind is not IncidentKind.CHILD]
    real = [i for i in top if i.status not in (IncidentStatus.SELF_HEALED, IncidentStatus.SUPPRESSED)]
    parents = [i for i in top if i.kind is IncidentKind.PARENT]
    by_id = {i.id: i for i in every}
    members = {p.id: incidents.children(p.id) for p in parents}
    drift = sum(abs(p.counts.failures - sum(by_id[c.incident_id].counts.failures for c in members[p.id]
                                            if c.incident_id in by_id)) for p in parents)
    return {"real_incidents": len(real), "parents": len(parents),
            "real_by_pattern": dict(Counter(f"{i.kind.value}:{i.pattern}" for i in real)),
            "parents_by_pattern": dict(Counter(p.pattern for p in parents
                                               if p.status is not IncidentStatus.SELF_HEALED)),
            "children": sum(len(m) for m in members.values()), "counter_drift": drift,
            "largest_parent_kb": round(max((len(p.document()) for p in parents), default=0) / 1024, 1)}


def _every(incidents: Any, backend: str) -> list[Any]:
    if backend == "memory":
        return incidents.all()
    client = incidents._client
    items = [i for page in client.get_paginator("scan").paginate(TableName="incidents") for i in page["Items"]]
    ids = [i["pk"]["S"][4:] for i in items if i["pk"]["S"].startswith("INC#") and i["sk"]["S"] == "META"]
    return [incidents.get(i) for i in ids]


def _pct(values: list[float], q: int) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * q / 100))] * 1000, 2) if ordered else 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[100, 500, 1000, 2000], help="memory backend")
    parser.add_argument("--moto-sizes", type=int, nargs="*", default=[100, 500, 1000, 2000], help="patched moto")
    parser.add_argument("--moto-exact-sizes", type=int, nargs="*", default=[100], help="unpatched moto")
    parser.add_argument("--webhooks", type=int, default=10_000, help="fixed-webhook run on memory and moto (0: none)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--json-out", type=Path, help="also write every row (with its DynamoDB calls) there")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--backend", default="memory", help=argparse.SUPPRESS)
    parser.add_argument("--one-webhooks", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(run_one(args.one, args.backend, args.one_webhooks or None)))
        return 0
    runs = [(n, backend, 0) for backend, sizes in (("memory", args.sizes), ("moto", args.moto_sizes),
                                                   ("moto-exact", args.moto_exact_sizes)) for n in sizes]
    if args.webhooks:
        runs += [(1000, backend, args.webhooks) for backend in ("memory", "moto")]
    rows = []
    if not args.json:
        print(" | ".join(HEAD), flush=True)
    for n, backend, webhooks in runs:
        out = subprocess.run([sys.executable, __file__, "--one", str(n), "--backend", backend,
                              "--one-webhooks", str(webhooks)], capture_output=True, text=True, check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        _growth(rows)
        if not args.json:
            print(_line(rows[-1]), flush=True)
        if args.json_out:
            args.json_out.write_text(json.dumps(rows, indent=2))
    if args.json:
        print(json.dumps(rows, indent=2))
    return 0


def _growth(rows: list[dict[str, Any]]) -> None:
    """Time and memory per webhook relative to the smallest run of the same backend (1.0 = linear growth)."""
    for backend in {r["backend"] for r in rows}:
        same = [r for r in rows if r["backend"] == backend]
        base = min(same, key=lambda r: r["webhooks"])
        for row in same:
            row["growth"] = round((row["seconds"] / row["webhooks"]) / (base["seconds"] / base["webhooks"]), 2)
            row["growth_vs_floor"] = round(row["ratio"] / base["ratio"], 2)
            row["rss_per_1k_webhooks_mb"] = round(1000 * row["rss_growth_mb"] / row["webhooks"], 1)


HEAD = ("backend", "connections", "webhooks", "events/s", "p50 ms", "p95 ms", "ratio", "growth", "growth/floor",
        "RSS MB",
        "RSS +MB/1k webhooks", "real/expected", "lost", "drift", "calls/webhook", "largest parent KB")


def _line(r: dict[str, Any]) -> str:
    return " | ".join(str(v) for v in (
        r["backend"], r["connections"], r["webhooks"], r["events_per_s"], r["p50_ms"], r["p95_ms"], r["ratio"],
        r["growth"], r["growth_vs_floor"], r["peak_rss_mb"], r["rss_per_1k_webhooks_mb"],
        f"{r['real_incidents']}/{r['expected_real_incidents']}", r["lost"], r["counter_drift"],
        r["calls_per_webhook"] or "-", r["largest_parent_kb"]))


if __name__ == "__main__":
    sys.exit(main())
