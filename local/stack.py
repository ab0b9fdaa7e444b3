"""The whole system on one machine: moto AWS from template.yaml, the handlers in-process, the Fivetran
simulator, the HTTP gateway and the SQS poller. `make run` serves it; the drill and the end-to-end tests
drive it headless.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3

from local.aws import FAKE_CREDENTIALS, MOTO_CONFIG, REGION, LocalResources, create_resources
from local.defaults import LOCAL_FIVETRAN_KEY, LOCAL_FIVETRAN_SECRET, local_secrets
from local.lambda_runtime import InProcessLambdas, route_moto_lambda, serialized_moto
from local.template import cached_template

# Template parameters that make the local workflow take seconds instead of minutes.
LOCAL_PARAMETERS = {"VerifyWaitSeconds": "1", "VerifyMaxAttempts": "20", "ApprovalTimeoutSeconds": "3600",
                    "LlmEnabled": "false", "Stage": "local", "LogLevel": "WARNING"}


@dataclass
class StackOptions:
    port: int = 0
    webhook_secret: str | None = None
    rollout_mode: str = "auto"
    parameters: dict[str, str] = field(default_factory=dict)
    sim_time_scale: float = 60.0  # simulated seconds per real second when the simulator ticks on its own
    background: bool = True  # poller thread and simulator ticker; False = the caller steps everything
    sweep_interval: float = 1.0  # seconds between local runs of the diagnose sweep schedule
    # seconds between reconciliation runs (15 min in AWS; 5 s here is 5 min of Fivetran's time at 60x)
    reconcile_interval: float = 5.0
    fake_llm: bool = False  # answer LLM calls from the loopback fake of the Messages API (local.fake_anthropic)
    extra_environment: dict[str, str] = field(default_factory=dict)
    # moto's whole-table work per Query/transaction patched out (local/moto_fast.py: same answers, linear time)
    fast_moto: bool = True


def http_routes(template: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(method, path, function logical id) for every HttpApi event in the template."""
    routes = []
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        for event in resource["Properties"].get("Events", {}).values():
            if event["Type"] == "HttpApi":
                routes.append((event["Properties"]["Method"].upper(), event["Properties"]["Path"], logical_id))
    return routes


class Sweeper:
    """A local stand-in for an EventBridge schedule: calls `tick` every `interval` seconds on a thread."""

    def __init__(self, tick: Any, *, interval: float):
        import threading

        self._tick = tick
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sweep-schedule", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        import logging

        while not self._stop.wait(self._interval):
            try:
                self._tick()
            except Exception:  # a failed run is logged; the schedule fires again, as in AWS
                logging.getLogger(__name__).exception("scheduled sweep failed")

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


class LocalStack:
    """Start with `with LocalStack(options) as stack:`; everything stops on exit."""

    def __init__(self, options: StackOptions | None = None):
        self.options = options or StackOptions()
        self._exit = ExitStack()
        self._saved_env: dict[str, str | None] = {}
        self.resources: LocalResources
        self.lambdas: InProcessLambdas
        self.simulator: Any = None
        self.gateway: Any = None
        self.poller: Any = None
        self.base_url = ""
        self.simulator_url = ""

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> LocalStack:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _setenv(self, values: dict[str, str]) -> None:
        for key, value in values.items():
            self._saved_env.setdefault(key, os.environ.get(key))
            os.environ[key] = value

    def _start_simulator(self) -> None:
        from local.simulator import FivetranSimulator
        from local.simulator.options import STRICT

        self.simulator = FivetranSimulator(api_key=LOCAL_FIVETRAN_KEY, api_secret=LOCAL_FIVETRAN_SECRET,
                                           start=datetime.now(UTC),  # strict, latencies at the ticker's pace:
                                           fidelity=STRICT.but(time_factor=self.options.sim_time_scale))
        self.simulator.start(host="127.0.0.1", port=0)
        self.simulator_url = self.simulator.root_url
        self._exit.callback(self.simulator.stop)

    def start(self) -> None:
        from aws_lambda_powertools.utilities import parameters
        from moto import mock_aws

        from fivetran_recovery.config import get_recovery_config
        from fivetran_recovery.settings import get_settings
        from local.botocore_cache import share_botocore_loader
        from local.defaults import webhook_secret
        from local.gateway import LocalGateway
        from local.poller import SqsPoller

        share_botocore_loader()  # mock_aws resets boto3's session: the service models are parsed once a process
        secret = self.options.webhook_secret or webhook_secret()
        self._setenv(FAKE_CREDENTIALS)
        self._exit.enter_context(mock_aws(config=MOTO_CONFIG))
        if self.options.fast_moto:
            from local.moto_fast import fast_dynamodb

            self._exit.enter_context(fast_dynamodb())
        self._exit.enter_context(serialized_moto())
        params = {**LOCAL_PARAMETERS, "RolloutMode": self.options.rollout_mode, **self.options.parameters}
        secrets = local_secrets(webhook=secret)
        llm_env: dict[str, str] = {}
        self.fake_llm = None
        if self.options.fake_llm:
            from local.fake_anthropic import FakeAnthropic

            self.fake_llm = FakeAnthropic().start()
            self._exit.callback(self.fake_llm.stop)
            secrets["AnthropicSecret"] = {"api_key": "local-fake-anthropic-key"}
            params["LlmEnabled"] = "true"
            llm_env = {"ANTHROPIC_BASE_URL": self.fake_llm.base_url}
        self.resources = create_resources(parameters=params, secrets=secrets)

        self._start_simulator()

        self._setenv(self.resources.environment())
        self.workdir = Path(tempfile.mkdtemp(prefix="fivetran-recovery-local-"))
        self._exit.callback(shutil.rmtree, self.workdir, True)
        self.warehouse = self._destination_tables(self.workdir / "warehouse.duckdb")
        self._setenv({"FIVETRAN_API_URL": f"{self.simulator_url}/v1", "LOCAL_STACK": "true",
                      "CONSOLE_SECURE_COOKIE": "false",  # plain http on loopback; Secure when deployed
                      "STATUS_FEED_URLS": f"{self.simulator_url}/__sim/status/summary.json",
                      "NOTIFIERS": "outbox", "NOTIFY_OUTBOX_PATH": str(self.workdir / "outbox.jsonl"),
                      "POWERTOOLS_METRICS_DISABLED": "true", "WAREHOUSE_DIALECT": "duckdb",
                      "PAGERDUTY_SECRET_ID": "",  # no PagerDuty locally: pages are decided and recorded, not sent
                      "WAREHOUSE_URL": f"duckdb:///{self.warehouse.path}",
                      # Fivetran runs at sim_time_scale here, so playbook waits (back-off) shrink by the same factor.
                      "STEP_WAIT_SCALE": f"{min(1.0, 1 / self.options.sim_time_scale):.4f}",
                      # the simulator's clock runs sim_time_scale times faster, so its events are dated ahead
                      "WEBHOOK_MAX_FUTURE_SECONDS": str(30 * 24 * 3600),
                      # every drill runs on a fresh stack: playbooks start at auto there so each auto path shows
                      # (deployed they start at recommend; the earned_autonomy drill starts them there too)
                      "PLAYBOOK_INITIAL_STAGE": "auto",
                      # Triage holds run on our clock: the same factor keeps them as long in Fivetran's time.
                      "SELF_HEAL_WINDOW_SECONDS": str(round(900 / self.options.sim_time_scale)),
                      "GROUP_WAIT_SECONDS": str(round(120 / self.options.sim_time_scale)),
                      "WORKFLOW_RESUME_AFTER_SECONDS": "5",
                      # ... and its event times run ahead of ours: order them while within 30 days ahead.
                      "MAX_EVENT_SKEW_SECONDS": str(30 * 24 * 3600),
                      "FIVETRAN_TIMEOUT_SCALE": f"{min(1.0, 1 / self.options.sim_time_scale):.6f}",
                      **llm_env, **self.options.extra_environment})
        get_settings.cache_clear()
        get_recovery_config.cache_clear()
        parameters.clear_caches()

        self.lambdas = InProcessLambdas(specs=self.resources.functions)
        self._exit.enter_context(route_moto_lambda(self.lambdas))
        self.gateway = LocalGateway(self._routes(), host="127.0.0.1", port=self.options.port)
        self.base_url = self.gateway.start()
        self._exit.callback(self.gateway.stop)
        self.simulator.configure_webhook(f"{self.base_url}/webhooks/fivetran", secret)

        self.poller = SqsPoller(self.resources.queues["EventsQueue"], self._invoke_diagnose)
        self._invoke_sweep()  # the schedule's first run: known-good schema snapshots exist before any failure
        if self.options.background:
            self.poller.start()
            self._exit.callback(self.poller.stop)
            self.simulator.start_ticker(scale=self.options.sim_time_scale)
            self._start_schedules()

    def _routes(self) -> dict[tuple[str, str], Any]:
        """The template's HttpApi routes, and the control routes `dlq` and `stuck` use from another process."""
        from local.control import control_routes

        routes = {(method, path): self._http_handler(logical_id)
                  for method, path, logical_id in http_routes(cached_template())}
        return {**routes, **control_routes(self.resources)}

    def _start_schedules(self) -> None:
        """The template's EventBridge schedules of the diagnose function: the sweep and the reconciliation."""
        for tick, interval in ((self._invoke_sweep, self.options.sweep_interval),
                               (self.reconcile, self.options.reconcile_interval)):
            schedule = Sweeper(tick, interval=interval)
            schedule.start()
            self._exit.callback(schedule.stop)

    def _destination_tables(self, path: Path) -> Any:
        """The embedded warehouse, holding a Fivetran-shaped table for every table of every simulated
        connection (destination names from the schema config)."""
        from local.warehouse import EmbeddedWarehouse

        warehouse = EmbeddedWarehouse(str(path))
        self._exit.callback(warehouse.close)
        for connection_id in self.simulator.connection_ids:
            warehouse.create_from_schema_config(self.simulator.source_schema_config(connection_id))
        warehouse.create_query_times()  # the predict function's read times (recovery_sql/query_history.py)
        return warehouse

    def stop(self) -> None:
        try:
            self._exit.close()
        finally:
            for key, value in self._saved_env.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            self._saved_env.clear()

    def _http_handler(self, logical_id: str):
        def handle(event: dict[str, Any], context: Any) -> Any:
            return self.lambdas.invoke(logical_id, event)

        return handle

    def _invoke_diagnose(self, event: dict[str, Any]) -> Any:
        return self.lambdas.invoke("DiagnoseFunction", event)

    def _invoke_sweep(self) -> Any:
        """What the template's EventBridge schedule sends the diagnose function (every minute in AWS)."""
        return self.lambdas.invoke("DiagnoseFunction", {"source": "fivetran-recovery.sweep"})

    def sweep(self) -> Any:
        return self._invoke_sweep()

    def reconcile(self) -> Any:
        """What the template's reconciliation schedule sends the diagnose function (every 15 minutes in AWS)."""
        return self.lambdas.invoke("DiagnoseFunction", {"source": "fivetran-recovery.reconcile"})

    # ------------------------------------------------------------------ observation
    @property
    def state_machine_arn(self) -> str:
        return self.resources.state_machines["RecoveryStateMachine"]

    def executions(self) -> list[dict[str, Any]]:
        sfn = boto3.client("stepfunctions", region_name=REGION)
        return sfn.list_executions(stateMachineArn=self.state_machine_arn)["executions"]

    def describe(self, execution_arn: str) -> dict[str, Any]:
        return boto3.client("stepfunctions", region_name=REGION).describe_execution(executionArn=execution_arn)

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        sfn = boto3.client("stepfunctions", region_name=REGION)
        return sfn.get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]

    def wait_for_executions(self, *, timeout: float = 60.0, until: tuple[str, ...] = ("SUCCEEDED", "FAILED",
                            "TIMED_OUT", "ABORTED")) -> list[dict[str, Any]]:
        """Wait until every execution has reached one of `until` and the queue is empty."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.options.background:
                self.poller.poll_once(wait_seconds=0)
            executions = self.executions()
            if all(e["status"] in until for e in executions) and self._queue_empty():
                return executions
            time.sleep(0.2)
        raise TimeoutError(f"executions still running after {timeout} s: "
                           f"{[e['name'] for e in self.executions() if e['status'] not in until]}")

    def _queue_empty(self) -> bool:
        sqs = boto3.client("sqs", region_name=REGION)
        attributes = sqs.get_queue_attributes(
            QueueUrl=self.resources.queues["EventsQueue"],
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return attributes["ApproximateNumberOfMessages"] == "0" and attributes[
            "ApproximateNumberOfMessagesNotVisible"] == "0"

    def table_items(self, logical_id: str) -> list[dict[str, Any]]:
        table = boto3.resource("dynamodb", region_name=REGION).Table(self.resources.tables[logical_id])
        items, kwargs = [], {}
        while True:
            page = table.scan(**kwargs)
            items += page["Items"]
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    @property
    def llm_calls(self) -> int:
        """Requests the fake Messages API received (0 when the stack runs on the rules alone)."""
        return len(self.fake_llm.requests) if self.fake_llm else 0

    def urls(self) -> dict[str, str]:
        return {
            "console": f"{self.base_url}/console",
            "health": f"{self.base_url}/health",
            "api": f"{self.base_url}/api",
            "webhook": f"{self.base_url}/webhooks/fivetran",
            "approvals": f"{self.base_url}/approvals/{{approval_id}}",
            "decision": f"{self.base_url}/approvals/{{approval_id}}/decision",
            "slack_interactions": f"{self.base_url}/slack/interactions",
            "fivetran_simulator": f"{self.simulator_url}/v1",
            "simulator_control": f"{self.simulator_url}/__sim",
        }


def dumps(value: Any) -> str:
    return json.dumps(value, default=str, indent=2)
