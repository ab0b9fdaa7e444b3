"""The recovery workflow end to end in one process: moto resources from template.yaml, the repo's ASL run by
moto's Step Functions interpreter, the four handlers in-process (local.lambda_runtime), the Fivetran simulator
behind the real FivetranClient, and an in-memory outbox instead of Slack.

Virtual time: every verify invocation first advances the simulator by `verify_advance` seconds (the wait the
deployed state machine does in real time), so a scenario that needs an hour of Fivetran time runs in
milliseconds and deterministically.
"""

from __future__ import annotations

import inspect
import json
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

import boto3
import httpx

from fivetran_recovery.composition import Adapters
from fivetran_recovery.config import RecoveryConfig
from fivetran_recovery.fivetran import FivetranClient
from fivetran_recovery.models.diagnosis import Diagnosis
from fivetran_recovery.notifiers import Dispatcher, OutboxNotifier
from fivetran_recovery.playbooks.registry import default_registry
from fivetran_recovery.settings import Settings
from fivetran_recovery.workflow import build_workflow_input
from local.lambda_runtime import InProcessLambdas
from local.simulator import FivetranSimulator

OWNER_EMAIL = "owner@example.org"  # who gets owner-only links (the Connect Card) directly
WORKFLOW_FUNCTIONS = ("notify", "approve", "remediate", "verify")


@dataclass
class Harness:
    resources: Any
    sim: FivetranSimulator
    adapters: Adapters  # the harness's composition root: every handler is wired from it
    lambdas: InProcessLambdas
    outbox: OutboxNotifier
    verify_advance: float = 900.0
    started: dict[str, float] = field(default_factory=dict)
    handler_errors: list[str] = field(default_factory=list)
    write_times: list[tuple[float, str, str]] = field(default_factory=list)  # (monotonic, method, path)
    snapshots: dict[str, dict[str, Any]] = field(default_factory=dict)  # known-good schema per connection
    before_verify: Any = None  # called with the attempt number before each verify (e.g. the owner re-auths)
    after_sql: Any = None  # called after a recovery SQL step (the simulator learns the data was repaired)
    verify_attempts: int = 0

    @property
    def sfn(self) -> Any:
        return boto3.client("stepfunctions")

    @property
    def state_machine_arn(self) -> str:
        return next(iter(self.resources.state_machines.values()))

    def fail(self, connection_id: str, scenario: str, **options: Any) -> dict[str, Any]:
        """Inject a scenario, run the connection's next sync, and return the sync_end webhook it produced.

        The schema config before the injection is kept as the connection's known-good snapshot."""
        self.snapshots.setdefault(connection_id, self._schema_config(connection_id))
        self.sim.inject(connection_id, scenario, **options)
        self.sim.sync(connection_id)
        before = len(self.sim.log_rows(connection_id))
        for _ in range(100):
            self.sim.advance(30)
            rows = self.sim.log_rows(connection_id)[before:]
            ends = [r for r in rows if r.get("message_event") == "sync_end"]
            if ends:
                data = json.loads(ends[-1]["message_data"]) if isinstance(ends[-1]["message_data"], str) else {}
                return {
                    "event": "sync_end",
                    "created": ends[-1]["time_stamp"],
                    "connector_id": connection_id,
                    "connector_type": self.sim.connection(connection_id).get("service"),
                    "data": data,
                }
        raise AssertionError(f"{scenario} on {connection_id} produced no sync_end")

    def start(
        self,
        *,
        incident_id: str,
        connection_id: str,
        diagnosis: Diagnosis,
        event: dict[str, Any],
        mode: str = "auto",
        criticality: str = "normal",
        playbook_id: str | None = None,
    ) -> dict[str, Any]:
        registry = default_registry()
        playbook = registry.get(playbook_id) if playbook_id else registry.match(diagnosis)
        connection = self.sim.connection(connection_id)
        workflow = build_workflow_input(
            incident_id=incident_id,
            connection_id=connection_id,
            diagnosis=diagnosis,
            playbook=playbook,
            mode=mode,
            criticality=criticality,
            connection=connection,
            event=event,
            settings=self.adapters.settings,
            config=self.adapters.config,
            schema_config=self._schema_config(connection_id),
            snapshot=self.snapshots.get(connection_id),
        )
        self.started[incident_id] = time.monotonic()
        self.sfn.start_execution(stateMachineArn=self.state_machine_arn, name=incident_id, input=json.dumps(workflow))
        return workflow

    def _schema_config(self, connection_id: str) -> dict[str, Any]:
        """As diagnose and the snapshot keeper read it: with every column (the columns endpoint)."""
        return self.adapters.fivetran.full_schema_config(connection_id).model_dump(mode="json")

    def execution_arn(self, incident_id: str) -> str:
        return self.state_machine_arn.replace(":stateMachine:", ":execution:") + f":{incident_id}"

    def wait(self, incident_id: str, timeout: float = 20.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            described = self.sfn.describe_execution(executionArn=self.execution_arn(incident_id))
            if described["status"] != "RUNNING":
                output = json.loads(described.get("output") or "{}")
                return {"status": described["status"], "output": output}
            time.sleep(0.02)
        raise AssertionError(f"execution {incident_id} still running after {timeout} s")

    def errors(self, incident_id: str) -> list[str]:
        """Failure details from the execution history (for assertion messages)."""
        events = self.sfn.get_execution_history(executionArn=self.execution_arn(incident_id))["events"]
        found = list(self.handler_errors)
        for event in events:
            for key, value in event.items():
                if key.endswith("EventDetails") and isinstance(value, dict) and "error" in value:
                    found.append(f"{event['type']}: {value.get('error')}: {str(value.get('cause'))[-1500:]}")
        return found

    def wait_for_approval(self, incident_id: str, timeout: float = 10.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.outbox.messages:
                notice = message["notice"]
                if notice["kind"] == "approval_request" and notice["incident_id"] == incident_id:
                    return notice["approval_id"]
            time.sleep(0.02)
        raise AssertionError(f"no approval requested for {incident_id}")

    def http(
        self, function: str, method: str, path: str, *, headers: dict[str, str] | None = None, body: str = ""
    ) -> dict[str, Any]:
        event = {
            "version": "2.0",
            "rawPath": path,
            "headers": headers or {},
            "body": body,
            "isBase64Encoded": False,
            "requestContext": {"http": {"method": method, "path": path}, "stage": "$default"},
        }
        return self.lambdas.invoke(function, event)

    def seconds_to_first_write(self, incident_id: str) -> float | None:
        start = self.started[incident_id]
        after = [t for t, _m, _p in self.write_times if t >= start]
        return round(after[0] - start, 3) if after else None

    def write_calls(self, connection_id: str) -> list[dict[str, Any]]:
        return [c for c in self.sim.write_calls(connection_id) if c["path"].startswith("/v1/")]

    def notices(self, incident_id: str, kind: str | None = None, op: str = "post") -> list[dict[str, Any]]:
        return [
            {**m["notice"], **({"to": m["to"], "link_sha256": m["link_sha256"]} if op == "direct" else {})}
            for m in self.outbox.messages
            if m["op"] == op
            and m["notice"]["incident_id"] == incident_id
            and (kind is None or m["notice"]["kind"] == kind)
        ]


class _Timed(httpx.BaseTransport):
    """Notes the wall-clock time of every write call (time from start to first remediation call)."""

    def __init__(self, inner: httpx.BaseTransport, times: list[tuple[float, str, str]]):
        self._inner = inner
        self._times = times

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method != "GET":
            self._times.append((time.monotonic(), request.method, request.url.path))
        return self._inner.handle_request(request)


def build_harness(resources: Any, sim: FivetranSimulator, *, warehouse: Any = None) -> Harness:
    settings = Settings.from_env()
    # workflow mechanics, not the precision gate (tests/workflow/test_policy.py and the drill test that)
    config = RecoveryConfig.from_env(notifiers="outbox", step_wait_scale=0, approval_base_url="http://local",
                                     auto_min_precision=0)
    outbox = OutboxNotifier()
    write_times: list[tuple[float, str, str]] = []
    client = FivetranClient(
        api_key=sim.api_key,
        api_secret=sim.api_secret,
        base_url="http://sim.local/v1",
        http_client=httpx.Client(transport=_Timed(sim.transport(), write_times)),
        sleep=lambda _s: None,
    )
    adapters = Adapters(settings=settings, config=config, clock=sim.now).override(
        fivetran=client, dispatcher=Dispatcher([outbox], owner_email=lambda connection_id, connection: OWNER_EMAIL), warehouse=warehouse
    )
    lambdas = InProcessLambdas(specs=resources.functions)
    harness = Harness(
        resources=resources, sim=sim, adapters=adapters, lambdas=lambdas, outbox=outbox, write_times=write_times
    )
    for name in WORKFLOW_FUNCTIONS:
        inspect.unwrap(lambdas.handler(name)).__globals__["use_adapters"](adapters)
    for name in WORKFLOW_FUNCTIONS:
        lambdas._handlers[lambdas._spec(name).name] = _recording(harness, name, lambdas.handler(name))
    return harness


def _recording(harness: Harness, name: str, handler: Any) -> Any:
    """Keep each handler failure's traceback (assertion messages), and, for verify, advance the simulator first
    (the state machine's Wait, in Fivetran's virtual time)."""

    def call(event: Any, context: Any) -> Any:
        if name == "verify":
            harness.verify_attempts += 1
            if harness.before_verify is not None:
                harness.before_verify(harness.verify_attempts)
            harness.sim.advance(harness.verify_advance)
        try:
            result = handler(event, context)
        except Exception:
            harness.handler_errors.append(f"{name}: {traceback.format_exc()}")
            raise
        is_step = name == "remediate" and isinstance(result, dict)
        if is_step and result.get("action") == "run_recovery_sql" and harness.after_sql is not None:
            harness.after_sql()
        if name == "remediate" and isinstance(result, dict) and result.get("planned_wait_seconds"):
            harness.sim.advance(result["planned_wait_seconds"])  # the Wait after the step, in Fivetran time
        return result

    return call
