"""Cost per incident in dollars (issue 13): the AWS requests each incident causes, priced at public on-demand prices.

    .venv/bin/python bench/cost_per_incident.py                    # the drill scenarios below + the storm numbers
    .venv/bin/python bench/cost_per_incident.py --only transient_network_blip --json

Drill part: each scenario plays on a fresh local stack (bench runs the drill's own scenario functions) while every
AWS request made by our code (a frame under fivetran_recovery/ or functions/ on the stack) is counted, with the
DynamoDB request units computed from item sizes (writes: 1 KB units, x2 in a transaction; strongly consistent
reads and queries: 4 KB units), plus: Lambda invocations and their duration (measured in-process, so including
moto's own time: an upper bound), Step Functions state transitions (from each execution's history), the SQS
requests of the event source mapping (one receive and one delete per batch), the API Gateway request per webhook,
and the LLM cost the diagnosis records (`usage.cost_usd`). The diagnose sweep's schedule (one invocation a minute)
is a fixed monthly cost, reported apart, not per incident.

Storm part: bench/storm_scale.py's moto run counts the DynamoDB requests of diagnose + triage for a storm; priced
here per real incident and per 1,000 webhooks (DynamoDB + SQS + ingest/diagnose Lambda + API Gateway).
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import threading
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "shared"), str(REPO)]

# us-east-1 on-demand list prices (USD), as published on the AWS pricing pages; checked 2026-12-01.
PRICES = {
    "dynamodb_wru": 0.625 / 1e6,  # per write request unit (on-demand, after the 2024-11-01 reduction)
    "dynamodb_rru": 0.125 / 1e6,  # per read request unit
    "sqs_fifo_request": 0.50 / 1e6,
    "sfn_transition": 0.025 / 1e3,  # standard workflows
    "lambda_request": 0.20 / 1e6,
    "lambda_gb_second_arm": 0.0000133334,
    "apigw_http_request": 1.00 / 1e6,
    "secrets_request": 0.05 / 1e4,
    "kms_request": 0.03 / 1e4,
}
LAMBDA_GB = 0.5  # template Globals MemorySize 512
SCENARIOS = ["transient_network_blip", "schema_change_non_breaking", "schema_change_breaking", "oauth_expired",
             "monitor_only", "unknown_error_llm", "late_failure_replay"]


class Meter:
    """Counts AWS requests made by our code, with DynamoDB request units."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: Counter[str] = Counter()
        self.wru = 0.0
        self.rru = 0.0
        self.on = False

    def install(self) -> None:
        """Wrap every botocore client's API call (moto resets boto3's default session, so no session hook)."""
        from botocore.client import BaseClient

        real = BaseClient._make_api_call
        meter = self

        def counted(client: Any, operation: str, params: dict[str, Any]) -> Any:
            if not meter.on or not meter._ours():
                return real(client, operation, params)
            service = client.meta.service_model.service_name
            meter._before(service, operation, params)
            parsed = real(client, operation, params)
            meter._after(service, operation, parsed)
            return parsed

        BaseClient._make_api_call = counted

    @staticmethod
    def _ours() -> bool:
        frame = sys._getframe(2)
        while frame is not None:
            name = frame.f_code.co_filename
            if "/fivetran_recovery/" in name or "/functions/" in name:
                return True
            frame = frame.f_back
        return False

    def _before(self, service: str, operation: str, params: dict[str, Any]) -> None:
        with self.lock:
            self.requests[f"{service}.{operation}"] += 1
            if service != "dynamodb":
                return
            if operation == "TransactWriteItems":
                for item in params.get("TransactItems", []):
                    body = next(iter(item.values()))
                    self.wru += 2 * max(1, math.ceil(_size(body.get("Item") or body.get("Key")) / 1024))
            elif operation in ("PutItem", "UpdateItem", "DeleteItem"):
                self.wru += max(1, math.ceil(_size(params.get("Item") or params.get("Key")) / 1024))
            elif operation == "BatchGetItem":  # strongly consistent: at least one unit per key (ours are < 4 KB)
                self.rru += sum(len(table["Keys"]) for table in params.get("RequestItems", {}).values())

    def _after(self, service: str, operation: str, parsed: dict[str, Any]) -> None:
        if service == "dynamodb" and operation in ("GetItem", "Query", "Scan"):
            items = [parsed["Item"]] if parsed.get("Item") else parsed.get("Items", [])
            with self.lock:
                self.rru += max(1, math.ceil(sum(_size(i) for i in items) / 4096))


def _size(item: Any) -> int:
    return len(json.dumps(item, default=str)) if item else 0


def run_drill(names: list[str]) -> list[dict[str, Any]]:
    from local.drill.all import all_scenarios
    from local.drill.runner import ScenarioResult
    from local.lambda_runtime import InProcessLambdas
    from local.stack import LocalStack, StackOptions

    meter = Meter()
    meter.install()
    durations: list[tuple[str, float]] = []
    real_invoke = InProcessLambdas.invoke

    def timed(self: Any, name_or_arn: str, event: Any) -> Any:
        started = time.perf_counter()
        try:
            return real_invoke(self, name_or_arn, event)
        finally:
            if meter.on:
                durations.append((self._spec(name_or_arn).short_name, time.perf_counter() - started))

    InProcessLambdas.invoke = timed
    rows = []
    by_name = {s.name: s for s in all_scenarios()}
    for name in names:
        scenario = by_name[name]
        meter.requests.clear()
        meter.wru = meter.rru = 0.0
        durations.clear()
        result = ScenarioResult(scenario=name, expected=scenario.expected, outcome="", passed=False)
        options = StackOptions(rollout_mode=scenario.rollout_mode, parameters=scenario.parameters,
                               extra_environment=scenario.environment, background=scenario.background,
                               fake_llm=scenario.fake_llm)
        try:
            with LocalStack(options) as stack:
                meter.on = True
                scenario.play(stack, result)
                meter.on = False
                rows.append(_price_drill(name, stack, meter, durations, result))
        except Exception:  # report, go on
            meter.on = False
            rows.append({"scenario": name, "error": traceback.format_exc(limit=2)[-300:]})
    return rows


def _price_drill(name: str, stack: Any, meter: Meter, durations: list[tuple[str, float]],
                 result: Any) -> dict[str, Any]:
    from local.drill import steps

    transitions = sum(1 for e in stack.executions() for h in stack.history(e["executionArn"])
                      if h["type"].endswith("StateEntered"))
    webhooks = sum(1 for d in stack.simulator.deliveries if d.ok)
    diagnose_batches = sum(1 for n, _ in durations if n == "diagnose")
    llm = sum(_costs(r.get("detail_json") or r.get("detail")) for r in steps.audit_records(stack)
              if r.get("kind") == "diagnosis")
    per_op = dict(meter.requests)
    sqs = sum(v for k, v in per_op.items() if k.startswith("sqs.")) + 2 * diagnose_batches
    lines = {
        "dynamodb": meter.wru * PRICES["dynamodb_wru"] + meter.rru * PRICES["dynamodb_rru"],
        "sqs": sqs * PRICES["sqs_fifo_request"],
        "step_functions": transitions * PRICES["sfn_transition"] + 0,
        "lambda": len(durations) * PRICES["lambda_request"]
        + sum(d for _, d in durations) * LAMBDA_GB * PRICES["lambda_gb_second_arm"],
        "api_gateway": webhooks * PRICES["apigw_http_request"],
        "secrets_manager": sum(v for k, v in per_op.items() if k.startswith("secretsmanager."))
        * PRICES["secrets_request"],
        "kms": sum(v for k, v in per_op.items() if k.startswith("kms.")) * PRICES["kms_request"],
    }
    aws = sum(lines.values())
    incidents = max(1, result.incidents)
    return {"scenario": name, "incidents": result.incidents, "webhooks": webhooks, "wru": round(meter.wru),
            "rru": round(meter.rru), "transitions": transitions, "lambda_invocations": len(durations),
            "lambda_seconds": round(sum(d for _, d in durations), 2), "requests": per_op,
            "usd": {k: round(v, 6) for k, v in lines.items()}, "aws_usd_per_incident": round(aws / incidents, 5),
            "llm_usd_per_incident": round(llm / incidents, 5),
            "usd_per_1000_webhooks": round(1000 * aws / max(1, webhooks), 4)}


def _costs(detail: Any) -> float:
    if isinstance(detail, str) and detail.startswith("{"):  # the table keeps a record's detail as JSON text
        try:
            detail = json.loads(detail)
        except ValueError:
            return 0.0
    if isinstance(detail, dict):
        return float(detail.get("cost_usd") or 0) + sum(_costs(v) for k, v in detail.items() if k != "cost_usd")
    if isinstance(detail, list):
        return sum(_costs(v) for v in detail)
    return 0.0


def storm_cost(n: int) -> dict[str, Any]:
    """Price bench/storm_scale.py's moto run: DynamoDB requests counted there, units estimated per request."""
    out = subprocess.run([sys.executable, str(REPO / "bench" / "storm_scale.py"), "--one", str(n), "--backend",
                          "moto"], capture_output=True, text=True, check=True)
    row = json.loads(out.stdout.strip().splitlines()[-1])
    calls = row["aws_calls"]
    wru, rru = row.get("wru") or 0, row.get("rru") or 0
    webhooks = row["webhooks"]
    batches = math.ceil(webhooks / 10)
    lines = {"dynamodb": wru * PRICES["dynamodb_wru"] + rru * PRICES["dynamodb_rru"],
             "sqs": (webhooks + 2 * batches) * PRICES["sqs_fifo_request"],
             "lambda": (webhooks + batches) * PRICES["lambda_request"]
             + row["seconds"] * LAMBDA_GB * PRICES["lambda_gb_second_arm"],
             "api_gateway": webhooks * PRICES["apigw_http_request"]}
    total = sum(lines.values())
    return {"connections": n, "webhooks": webhooks, "real_incidents": row["real_incidents"], "dynamodb_calls": calls,
            "wru": wru, "rru": rru, "usd": {k: round(v, 6) for k, v in lines.items()},
            "usd_per_incident": round(total / max(1, row["real_incidents"]), 5),
            "usd_per_1000_webhooks": round(1000 * total / webhooks, 4)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="+", default=SCENARIOS)
    parser.add_argument("--storm", type=int, nargs="*", default=[100, 500])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    drill = run_drill(args.only)
    storms = [storm_cost(n) for n in args.storm]
    fixed = 43_200 * (PRICES["lambda_request"] + 0.5 * LAMBDA_GB * PRICES["lambda_gb_second_arm"])
    report = {"prices": PRICES, "drill": drill, "storm": storms,
              "fixed_monthly_usd": {"diagnose sweep (1/min, ~0.5 s)": round(fixed, 4)}}
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print("scenario | incidents | webhooks | WRU | RRU | SFN transitions | λ calls | λ s | AWS $/incident | "
          "LLM $/incident | $/1k webhooks")
    for r in drill:
        if "error" in r:
            print(f"{r['scenario']} | error: {r['error']}")
            continue
        print(" | ".join(str(v) for v in (r["scenario"], r["incidents"], r["webhooks"], r["wru"], r["rru"],
                                          r["transitions"], r["lambda_invocations"], r["lambda_seconds"],
                                          r["aws_usd_per_incident"], r["llm_usd_per_incident"],
                                          r["usd_per_1000_webhooks"])))
    print("storm connections | webhooks | real incidents | WRU | RRU | $/incident | $/1k webhooks")
    for s in storms:
        print(" | ".join(str(v) for v in (s["connections"], s["webhooks"], s["real_incidents"], s["wru"], s["rru"],
                                          s["usd_per_incident"], s["usd_per_1000_webhooks"])))
    print(f"fixed: {report['fixed_monthly_usd']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
