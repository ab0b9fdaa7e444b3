"""The alert-storm drill scenario (issue 6): one incident per real problem, nothing lost in the noise.

- 50 connections writing to one BigQuery destination fail three times each (the destination's concurrency limit:
  a shared cause), each on its own 15-minute schedule, so their failures spread out and interleave;
- 3 unrelated connections fail twice each for their own reasons (a lost replication slot on the same
  destination, a column type change, missing privileges on another destination);
- 5 flaky connections fail once and succeed on their next sync (a connection reset, a source rate limit).

Expected: exactly 4 incidents (1 parent with 50 children + 3 separate), no page for the self-healed ones, at most
4 deep diagnoses (LLM calls), and every raw failure event accounted for in an incident or the digest.

`storm_events(seed)` gives the webhook events in delivery order; `storm_scenario(seed)` adds the ground truth
(rules diagnosis per connection, who is who); `replay` plays it through a `Triage`; `check_storm` checks the
outcome from the stores plus what was observed (deep diagnoses, notifications) and reports the numbers.
Error messages are real ones from ../shared/corpus/fivetran_errors_dev.jsonl (ids noted below).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from fivetran_recovery.models.diagnosis import Category, Diagnosis, Evidence
from fivetran_recovery.models.incident import IncidentKind, IncidentStatus
from fivetran_recovery.models.webhook import WebhookEvent
from fivetran_recovery.stores.base import DigestStore, IncidentStore
from fivetran_recovery.triage.decision import Notification, TriageDecision
from fivetran_recovery.triage.engine import Triage

STORM_DESTINATION = "bq_analytics_prod"
OTHER_DESTINATION = "sf_finance_prod"
FLAKY_DESTINATIONS = ("pg_ops_replica", "sf_marketing", STORM_DESTINATION)
START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)

# (message, connector type, diagnosis) from the labelled corpus
STORM_FAILURE = (
    "Error: Exceeded Rate Limits: Too Many Concurrent Queries for This Project and Region",  # ft-066
    Diagnosis(
        category=Category.DESTINATION,
        pattern="warehouse_concurrency_limit",
        retryable=True,
        confidence=0.7,
        summary="BigQuery rejects new queries: the project's concurrent query limit is reached.",
    ),
)
UNRELATED_FAILURES: list[tuple[str, str, str, str, Diagnosis]] = [
    (
        "ops_postgres",
        "postgres",
        STORM_DESTINATION,
        "Error with logical replication. This error occurs when the replication slot conflicted with recovery "
        "(and so is now invalidated)",  # ft-010
        Diagnosis(
            category=Category.SOURCE_CONFIG,
            pattern="replication_slot_lost",
            retryable=False,
            confidence=0.9,
            summary="The PostgreSQL replication slot was invalidated; a re-sync is needed.",
        ),
    ),
    (
        "clickhouse_events",
        "clickhouse",
        STORM_DESTINATION,
        "cause: can't map type UInt64 to Fivetran types",  # ft-041
        Diagnosis(
            category=Category.SCHEMA_DRIFT,
            pattern="column_type_change",
            retryable=False,
            confidence=0.8,
            evidence=[Evidence(source="table", detail="events.page_views")],
            summary="A source column changed to a type Fivetran cannot map.",
        ),
    ),
    (
        "finance_netsuite",
        "netsuite_suiteanalytics",
        OTHER_DESTINATION,
        "Insufficient privileges to operate on database.",  # ft-014
        Diagnosis(
            category=Category.PERMISSION,
            pattern="insufficient_privileges",
            retryable=False,
            confidence=0.9,
            summary="The Fivetran role lost its grants on the destination database.",
        ),
    ),
]
FLAKY_FAILURES: list[tuple[str, Diagnosis]] = [
    (
        "Error: Connection Error - Connection Reset by Peer",  # ft-078
        Diagnosis(
            category=Category.NETWORK,
            pattern="connection_reset",
            retryable=True,
            confidence=0.8,
            summary="The remote end reset the connection mid-request.",
        ),
    ),
    (
        "Retrying after 30 seconds. Error : ErrorResponse{msg='Exceeded rate limit for endpoint: "
        "/api/export/data.csv, project: 8575 ', code='RateLimitExceeded', params='{}'}",  # ft-019
        Diagnosis(
            category=Category.SOURCE_API_LIMIT,
            pattern="rate_limit",
            retryable=True,
            confidence=0.8,
            summary="The source API's rate limit was hit.",
        ),
    ),
]
STORM_CONNECTOR_TYPES = ("postgres", "salesforce", "hubspot", "google_ads", "stripe", "zendesk", "mysql", "netsuite")


@dataclass
class StormScenario:
    seed: int
    events: list[WebhookEvent]
    storm_connections: list[str]
    unrelated_connections: list[str]
    flaky_connections: list[str]
    diagnoses: dict[str, Diagnosis]
    destination: str = STORM_DESTINATION

    def diagnosis_for(self, event: WebhookEvent) -> Diagnosis:
        """The rules diagnosis for a failure (what the fast classifier should say); unknown otherwise."""
        if event.is_failure and event.connection_id in self.diagnoses:
            return self.diagnoses[event.connection_id]
        return Diagnosis.unknown()

    @property
    def raw_failures(self) -> list[WebhookEvent]:
        return [e for e in self.events if e.is_failure]


def storm_events(seed: int = 6) -> list[WebhookEvent]:
    """The storm's webhook events (sync_start and sync_end), in delivery order."""
    return storm_scenario(seed).events


def storm_scenario(seed: int = 6) -> StormScenario:
    rng = random.Random(seed)
    events: list[WebhookEvent] = []
    diagnoses: dict[str, Diagnosis] = {}
    storm = [f"bq_storm_{i:02d}" for i in range(1, 51)]
    message, diagnosis = STORM_FAILURE
    for connection in storm:
        diagnoses[connection] = diagnosis
        offset = rng.uniform(0, 600)  # every connection syncs every 15 minutes from its own starting minute
        kind = rng.choice(STORM_CONNECTOR_TYPES)
        for attempt in range(3):
            at = START + timedelta(seconds=offset + attempt * 900 + rng.uniform(0, 40))
            events += _sync(rng, connection, kind, STORM_DESTINATION, at, "FAILURE", message)
    unrelated = []
    for index, (connection, kind, destination, reason, diag) in enumerate(UNRELATED_FAILURES):
        unrelated.append(connection)
        diagnoses[connection] = diag
        offset = 60 + index * 170 + rng.uniform(0, 60)
        for attempt in range(2):
            at = START + timedelta(seconds=offset + attempt * 900)
            status = "FAILURE_WITH_TASK" if index == 0 else "FAILURE"
            events += _sync(rng, connection, kind, destination, at, status, reason)
    flaky = []
    for index in range(5):
        connection = f"flaky_{index + 1}"
        flaky.append(connection)
        reason, diag = FLAKY_FAILURES[index % len(FLAKY_FAILURES)]
        diagnoses[connection] = diag
        destination = FLAKY_DESTINATIONS[index % len(FLAKY_DESTINATIONS)]
        at = START + timedelta(seconds=rng.uniform(30, 900))
        events += _sync(rng, connection, "iterable", destination, at, "FAILURE", reason)
        events += _sync(rng, connection, "iterable", destination, at + timedelta(seconds=300), "SUCCESSFUL", None)
    events.sort(key=lambda e: (e.created, e.event != "sync_start"))
    return StormScenario(seed, events, storm, unrelated, flaky, diagnoses)


def _sync(
    rng: random.Random, connection: str, kind: str, destination: str, end: datetime, status: str, reason: str | None
) -> list[WebhookEvent]:
    sync_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    common: dict[str, Any] = {
        "connector_type": kind,
        "connector_id": connection,
        "connector_name": connection,
        "sync_id": sync_id,
        "destination_group_id": destination,
    }
    start = end - timedelta(seconds=rng.uniform(20, 120))
    data: dict[str, Any] = {"status": status}
    if reason:
        data["reason"] = reason
    return [
        WebhookEvent.model_validate({"event": "sync_start", "created": _iso(start), **common}),
        WebhookEvent.model_validate({"event": "sync_end", "created": _iso(end), **common, "data": data}),
    ]


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# ---------------------------------------------------------------------- replay through triage
def replay(
    scenario: StormScenario,
    triage: Triage,
    *,
    lag_seconds: float = 1.0,
    sweep_every_seconds: float = 30.0,
    diagnose: Callable[[WebhookEvent], Diagnosis] | None = None,
) -> list[TriageDecision]:
    """Play the events through `triage` in order, sweeping pending incidents as the diagnose function would.

    `diagnose` gives each event's fast diagnosis (default: the scenario's ground truth; pass the rules classifier
    to check the storm with real classifications)."""
    diagnose = diagnose or scenario.diagnosis_for
    decisions: list[TriageDecision] = []
    last_sweep: datetime | None = None
    now = START
    for event in scenario.events:
        now = event.created + timedelta(seconds=lag_seconds)
        if last_sweep is None or (now - last_sweep).total_seconds() >= sweep_every_seconds:
            decisions += triage.sweep(now=now)
            last_sweep = now
        decisions.append(triage.process(event, diagnose(event), now=now))
    horizon = max(triage.policy.self_heal_window_seconds, triage.policy.group_wait_seconds) + 1
    decisions += triage.sweep(now=now + timedelta(seconds=horizon))
    return decisions


@dataclass
class StormObservation:
    """What the stack did: deep diagnoses (LLM calls) and notifications sent (from decisions or from fakes)."""

    deep_diagnoses: int
    notifications: list[Notification]

    @classmethod
    def from_decisions(cls, decisions: Iterable[TriageDecision]) -> StormObservation:
        decisions = list(decisions)
        return cls(
            deep_diagnoses=sum(1 for d in decisions if d.should_diagnose_deeply),
            notifications=[n for d in decisions for n in d.notifications],
        )


@dataclass
class StormOutcome:
    incidents: int
    parents: int
    children_per_parent: list[int]
    separate: int
    self_healed: int
    deep_diagnoses: int
    notifications: int
    pages: int
    pages_for_self_healed: int
    raw_failure_events: int
    accounted_in_incidents: int
    accounted_in_digest: int
    digest_entries: int = 0
    unaccounted: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def noise_reduction(self) -> float:
        """Raw failure events in per notification out."""
        return self.raw_failure_events / max(self.notifications, 1)

    @property
    def passed(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "noise_reduction": round(self.noise_reduction, 1), "passed": self.passed}


def check_storm(
    scenario: StormScenario, *, incidents: IncidentStore, digest: DigestStore, observed: StormObservation
) -> StormOutcome:
    """Check the expected outcome against the stores; every problem is named in `problems`."""
    by_connection = {
        cid: incidents.list_by_connection(cid, limit=100)
        for cid in scenario.storm_connections + scenario.unrelated_connections + scenario.flaky_connections
    }
    records = {i.id: i for found in by_connection.values() for i in found}
    parent_ids = {i.parent_id for i in records.values() if i.parent_id}
    for pid in parent_ids:
        parent = incidents.get(pid)
        if parent is not None:
            records[pid] = parent
    real = [i for i in records.values() if i.is_top_level and i.status not in _NOT_REAL]
    parents = [i for i in real if i.kind is IncidentKind.PARENT]
    separate = [i for i in real if i.kind is IncidentKind.SINGLE]
    healed = [i for i in records.values() if i.status is IncidentStatus.SELF_HEALED]
    flaky_ids = {i.id for c in scenario.flaky_connections for i in by_connection[c]}
    pages = [n for n in observed.notifications if n.pages]
    keys_in_incidents = {k for i in records.values() for k in i.recent_event_keys}
    digest_entries = digest.between(START - timedelta(days=1), START + timedelta(days=2))
    keys_in_digest = {e.event_key for e in digest_entries} | {k for e in digest_entries for k in e.related_event_keys}
    raw = scenario.raw_failures
    unaccounted = [e.event_key for e in raw if e.event_key not in keys_in_incidents | keys_in_digest]
    outcome = StormOutcome(
        incidents=len(real),
        parents=len(parents),
        children_per_parent=sorted(len(incidents.children(p.id)) for p in parents),
        separate=len(separate),
        self_healed=len(healed),
        deep_diagnoses=observed.deep_diagnoses,
        notifications=len(observed.notifications),
        pages=len(pages),
        pages_for_self_healed=sum(1 for n in pages if n.incident_id in flaky_ids),
        raw_failure_events=len(raw),
        accounted_in_incidents=sum(1 for e in raw if e.event_key in keys_in_incidents),
        accounted_in_digest=sum(1 for e in raw if e.event_key in keys_in_digest),
        digest_entries=len(digest_entries),
        unaccounted=unaccounted,
    )
    outcome.problems = _problems(outcome, scenario)
    return outcome


_NOT_REAL = frozenset({IncidentStatus.SELF_HEALED, IncidentStatus.SUPPRESSED})


def _problems(outcome: StormOutcome, scenario: StormScenario) -> list[str]:
    expected_children = len(scenario.storm_connections)
    checks = [
        (outcome.incidents == 4, f"expected 4 incidents, got {outcome.incidents}"),
        (outcome.parents == 1, f"expected 1 parent, got {outcome.parents}"),
        (
            outcome.children_per_parent == [expected_children],
            f"expected one parent with {expected_children} children, got {outcome.children_per_parent}",
        ),
        (outcome.separate == 3, f"expected 3 separate incidents, got {outcome.separate}"),
        (
            outcome.self_healed == len(scenario.flaky_connections),
            f"expected {len(scenario.flaky_connections)} self-healed, got {outcome.self_healed}",
        ),
        (outcome.pages_for_self_healed == 0, f"{outcome.pages_for_self_healed} pages for self-healed failures"),
        (outcome.deep_diagnoses <= 4, f"{outcome.deep_diagnoses} deep diagnoses (LLM calls), at most 4 allowed"),
        (not outcome.unaccounted, f"{len(outcome.unaccounted)} raw failure events not in any incident or digest"),
    ]
    return [message for ok, message in checks if not ok]


def run_in_memory(seed: int = 6, *, config_dir: str | None = None) -> StormOutcome:
    """The storm through a Triage on in-memory stores with the repo's config files (no AWS, no network)."""
    from fivetran_recovery.config import resolve_config_dir
    from fivetran_recovery.stores.memory import InMemoryCorrelationStore, InMemoryDigestStore, InMemoryIncidentStore
    from fivetran_recovery.triage.calendar import MaintenanceCalendar
    from fivetran_recovery.triage.routing import Routing

    directory = resolve_config_dir(config_dir)
    scenario = storm_scenario(seed)
    incidents, digest = InMemoryIncidentStore(), InMemoryDigestStore()
    triage = Triage(
        incidents=incidents,
        correlation=InMemoryCorrelationStore(),
        digest=digest,
        calendar=MaintenanceCalendar.load(directory / "maintenance.yaml"),
        routing=Routing.load(directory / "owners.yaml"),
        clock=lambda: START,
    )
    decisions = replay(scenario, triage)
    return check_storm(
        scenario, incidents=incidents, digest=digest, observed=StormObservation.from_decisions(decisions)
    )


def main(argv: list[str] | None = None) -> int:
    import argparse
    import json

    parser = argparse.ArgumentParser(description="Play the alert-storm scenario through triage (in memory).")
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args(argv)
    outcome = run_in_memory(args.seed)
    print(json.dumps(outcome.as_dict(), indent=2, default=str))
    return 0 if outcome.passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
