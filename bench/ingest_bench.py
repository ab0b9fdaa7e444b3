"""Ingest benchmark: what the webhook front door costs, against floors measured in the same run.

Run:  .venv/bin/python bench/ingest_bench.py [--events 1000] [--iterations 20000] [--imports 7]

Prints four results, each with its target:
1. per-event cost of functions/ingest/app.py's `lambda_handler` (API Gateway v2 event in, response out, Powertools
   Logger and Metrics on, the queue replaced by an in-memory FIFO) against the floor of the same essential work done
   bare (HMAC-SHA256 over the 287-byte live-captured body, constant-time compare, `json.loads`): a ratio, target
   <= 10x. Also shown: the cost with a Powertools metric flushed for every accepted event (`count_accepted=True`).
2. cold import of functions/ingest/app.py in a fresh interpreter against a bare `import boto3` plus one SQS client
   in a fresh interpreter (medians): a ratio, target <= 1.5x. Also shown: the cost of importing Powertools Logger,
   and of the first event's lazy SQS client.
3. sustained events/s through local.gateway (real HTTP on 127.0.0.1, 4 client threads) into the SQS FIFO queue
   emulated by moto, created from template.yaml by local.aws, with the webhook secret in emulated Secrets Manager.
4. correctness of that same run: N events of which 10% are redeliveries and 10% carry a bad signature must leave
   exactly the 80% distinct good events in the queue, none lost or duplicated.
The process exits 1 when the correctness check fails (timings are reported, not enforced).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO_ROOT / "shared"), str(REPO_ROOT)]
LIVE_BODY = REPO_ROOT / "tests" / "data" / "webhook_sync_end_successful_live_capture.json"
INGEST_APP = REPO_ROOT / "functions" / "ingest" / "app.py"
SECRET = "bench-webhook-secret"


@contextmanager
def stdout_to_devnull() -> Iterator[None]:
    """Powertools writes logs and EMF metrics to stdout: keep them (they are part of the cost), hide them."""
    sys.stdout.flush()
    saved, devnull = os.dup(1), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(devnull)
        os.close(saved)


def best_per_call(function: Callable[[], Any], iterations: int, repeats: int = 5) -> float:
    """Seconds per call, best of `repeats` runs (the least disturbed by the other processes on the machine)."""
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(iterations):
            function()
        best = min(best, (time.perf_counter() - started) / iterations)
    return best


def load_app() -> ModuleType:
    import importlib.util

    spec = importlib.util.spec_from_file_location("ingest_app_bench", INGEST_APP)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def lambda_context() -> Any:
    from local.lambda_runtime import LambdaContext

    return LambdaContext("fivetran-recovery-ingest", "arn:aws:lambda:us-east-1:123456789012:function:ingest")


# -- 1. per-event cost ------------------------------------------------------------------------------------------
def per_event(iterations: int) -> dict[str, float]:
    from fivetran_recovery.ingest import IngestTelemetry, IngestWebhook, InMemoryFifoQueue, StaticWebhookSecretProvider

    # The live capture with its `created` moved to now (same length): ingest refuses events past the retry horizon.
    body = LIVE_BODY.read_bytes().replace(b"2026-05-22T00:06:08.638Z", _iso_z(datetime.now(UTC)).encode())
    key = SECRET.encode()
    provided = hmac.new(key, body, hashlib.sha256).hexdigest().upper()

    def floor() -> None:
        expected = hmac.new(key, body, hashlib.sha256).hexdigest()
        hmac.compare_digest(expected, provided.lower())
        json.loads(body)

    app, context = load_app(), lambda_context()
    event = {
        "version": "2.0",
        "routeKey": "POST /webhooks/fivetran",
        "rawPath": "/webhooks/fivetran",
        "headers": {"content-type": "application/json", "x-fivetran-signature-256": provided},
        "body": base64.b64encode(body).decode(),
        "isBase64Encoded": True,
    }
    results = {}
    for label, count_accepted in (("handler", False), ("handler_with_metric", True)):
        telemetry = IngestTelemetry(app.logger, app.metrics, count_accepted=count_accepted)
        queue = InMemoryFifoQueue()
        app.use_ingest(IngestWebhook(secrets=StaticWebhookSecretProvider(SECRET), queue=queue, telemetry=telemetry))
        with stdout_to_devnull():
            response = app.lambda_handler(event, context)
            results[label] = best_per_call(lambda: app.lambda_handler(event, context), iterations)
        assert response["statusCode"] == 200 and len(queue.messages) == 1, response
    app.use_ingest(None)
    results["floor"] = best_per_call(floor, iterations)
    return results


# -- 2. cold import ---------------------------------------------------------------------------------------------
_TIMED = "import time, sys\nsys.path[:0] = {paths!r}\nt = time.perf_counter()\n{code}\nprint(time.perf_counter() - t)\n"
_SNIPPETS = {
    "boto3_sqs": "import boto3\nboto3.client('sqs', region_name='us-east-1')",
    "ingest_app": (
        "import importlib.util\n"
        f"spec = importlib.util.spec_from_file_location('app', {str(INGEST_APP)!r})\n"
        "app = importlib.util.module_from_spec(spec)\nspec.loader.exec_module(app)"
    ),
    "powertools_logger": "from aws_lambda_powertools import Logger\nLogger(service='bench')",
}
_SNIPPETS["ingest_app_first_client"] = (
    _SNIPPETS["ingest_app"] + "\nfrom fivetran_recovery.ingest.queue import _default_sqs_client\n_default_sqs_client()"
)


def cold_imports(runs: int) -> dict[str, float]:
    env = {
        **os.environ,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
    }
    paths = [str(REPO_ROOT / "shared"), str(REPO_ROOT)]
    samples: dict[str, list[float]] = {name: [] for name in _SNIPPETS}
    for _ in range(runs):  # interleaved, so machine noise hits every snippet alike
        for name, code in _SNIPPETS.items():
            script = _TIMED.format(paths=paths, code=code)
            out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
            samples[name].append(float(out.stdout.strip().splitlines()[-1]))
    return {name: statistics.median(values) for name, values in samples.items()}


# -- 3 and 4. sustained throughput and exactly-once through the gateway ---------------------------------------
def _iso_z(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def workload(total: int, secret: str, seed: int = 2026) -> tuple[list[tuple[bytes, str]], set[str]]:
    """80% distinct good events, 10% redeliveries of some of them, 10% with a bad signature; shuffled."""
    rng = random.Random(seed)
    good_count, extra = total * 8 // 10, total // 10
    good = []
    start = datetime.now(UTC) - timedelta(hours=1)
    for index in range(good_count):
        body = {
            "event": "sync_end",
            # Within ingest's accepted window (an hour ago, one millisecond apart): ingest refuses stale events.
            "created": _iso_z(start + timedelta(milliseconds=index)),
            "connector_type": "postgres",
            "connector_id": f"connection_{index % 37}",
            "connector_name": f"pg_{index % 37}",
            "sync_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "destination_group_id": "warehouse_main",
            "data": rng.choice(
                [
                    {"status": "SUCCESSFUL"},
                    {"status": "FAILURE", "reason": "java.net.SocketTimeoutException: Read timed out"},
                    {"status": "FAILURE_WITH_TASK", "reason": "Invalid credentials", "taskType": "reconnect"},
                ]
            ),
        }
        raw = json.dumps(body, separators=(",", ":")).encode()
        good.append((raw, hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()))
    redelivered = rng.sample(good, extra)
    forged = [(raw.replace(b"warehouse_main", b"warehouse_evil"), sig) for raw, sig in rng.sample(good, extra)]
    requests = good + redelivered + forged
    rng.shuffle(requests)
    return requests, {json.loads(raw)["sync_id"] for raw, _ in good}


def _create_queue_and_secret(secret: str) -> str:
    """Resources from template.yaml via local.aws when it exists; else the FIFO queue and secret by hand."""
    try:
        from local.aws import MOTO_CONFIG, create_resources  # noqa: F401
    except ImportError:
        import boto3

        sqs, secrets = boto3.client("sqs"), boto3.client("secretsmanager")
        url = sqs.create_queue(QueueName="events.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        arn = secrets.create_secret(Name="webhook", SecretString=json.dumps({"current": secret}))["ARN"]
        os.environ.update(EVENTS_QUEUE_URL=url, WEBHOOK_SECRET_ID=arn)
        return url
    from local.defaults import local_secrets

    resources = create_resources(secrets=local_secrets(webhook=secret))
    os.environ.update(resources.environment())
    return resources.queues["EventsQueue"]


def _drain(queue_url: str) -> list[str]:
    import boto3

    sqs, bodies = boto3.client("sqs"), []
    while True:
        batch = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=300).get(
            "Messages", []
        )
        if not batch:
            return bodies
        bodies.extend(message["Body"] for message in batch)
        entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)]
        sqs.delete_message_batch(QueueUrl=queue_url, Entries=entries)


def _post_all(app: ModuleType, requests: list[tuple[bytes, str]], threads: int) -> tuple[float, list[int]]:
    """POST every request through local.gateway over loopback HTTP; returns (seconds, statuses)."""
    import httpx

    from local.gateway import LocalGateway

    with (
        stdout_to_devnull(),
        LocalGateway({("POST", "/webhooks/fivetran"): app.lambda_handler}) as gateway,
        httpx.Client(base_url=gateway.base_url) as client,
        ThreadPoolExecutor(threads) as pool,
    ):

        def post(request: tuple[bytes, str]) -> int:
            raw, signature = request
            headers = {"content-type": "application/json", "x-fivetran-signature-256": signature}
            return client.post("/webhooks/fivetran", content=raw, headers=headers).status_code

        post(requests[0])  # warm: first secret read and client creation; re-sent below (a redelivery)
        started = time.perf_counter()
        statuses = list(pool.map(post, requests))
        return time.perf_counter() - started, statuses


def _report(total: int, seconds: float, statuses: list[int], queued: list[str], expected: set[str]) -> dict[str, Any]:
    return {
        "events": total,
        "seconds": seconds,
        "statuses": {code: statuses.count(code) for code in sorted(set(statuses))},
        "queued": len(queued),
        "distinct_queued": len(set(queued)),
        "expected": len(expected),
        "exact": sorted(queued) == sorted(expected),
    }


def through_gateway_into_moto(total: int, threads: int = 4) -> dict[str, Any]:
    from aws_lambda_powertools.utilities import parameters
    from moto import mock_aws

    from fivetran_recovery.settings import get_settings

    fake = {"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}
    for name, value in fake.items():
        os.environ.setdefault(name, value)
    try:
        from local.aws import MOTO_CONFIG as moto_config
    except ImportError:
        moto_config = None
    with mock_aws(config=moto_config) if moto_config else mock_aws():
        queue_url = _create_queue_and_secret(SECRET)
        get_settings.cache_clear()
        parameters.clear_caches()
        app = load_app()
        app.use_ingest(None)  # wired from settings: Secrets Manager + SQS, as deployed
        requests, expected = workload(total, SECRET)
        seconds, statuses = _post_all(app, requests, threads)
        queued = [json.loads(body)["sync_id"] for body in _drain(queue_url)]
        app.use_ingest(None)
        get_settings.cache_clear()
        parameters.clear_caches()
    return _report(total, seconds, statuses, queued, expected)


def through_gateway_into_memory(total: int, threads: int = 4) -> dict[str, Any]:
    """The same path with the in-memory FIFO: what the gateway and the handler sustain without moto's cost."""
    from fivetran_recovery.ingest import IngestTelemetry, IngestWebhook, InMemoryFifoQueue, StaticWebhookSecretProvider

    app, queue = load_app(), InMemoryFifoQueue()
    telemetry = IngestTelemetry(app.logger, app.metrics)
    app.use_ingest(IngestWebhook(secrets=StaticWebhookSecretProvider(SECRET), queue=queue, telemetry=telemetry))
    requests, expected = workload(total, SECRET)
    seconds, statuses = _post_all(app, requests, threads)
    app.use_ingest(None)
    return _report(total, seconds, statuses, [json.loads(m.body)["sync_id"] for m in queue.messages], expected)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000, help="events sent through the gateway (default 1000)")
    parser.add_argument("--iterations", type=int, default=20000, help="handler calls per timing run")
    parser.add_argument("--imports", type=int, default=7, help="fresh interpreters per cold-import measurement")
    args = parser.parse_args(argv)
    if args.events < 10:
        parser.error("--events must be at least 10")

    cost = per_event(args.iterations)
    ratio = cost["handler"] / cost["floor"]
    print("ingest benchmark (per-event: best of 5 runs; cold import: median of fresh interpreters)")
    print(
        f"1. per-event   floor {cost['floor'] * 1e6:6.2f} us  handler {cost['handler'] * 1e6:6.2f} us  "
        f"ratio {ratio:5.1f}x  (target <= 10x) {verdict(ratio <= 10)}"
    )
    print(
        f"               with a metric flushed per accepted event: {cost['handler_with_metric'] * 1e6:6.2f} us  "
        f"ratio {cost['handler_with_metric'] / cost['floor']:5.1f}x"
    )

    cold = cold_imports(args.imports)
    cold_ratio = cold["ingest_app"] / cold["boto3_sqs"]
    print(
        f"2. cold import boto3+SQS client {cold['boto3_sqs'] * 1e3:6.1f} ms  "
        f"ingest app {cold['ingest_app'] * 1e3:6.1f} ms  ratio {cold_ratio:4.2f}x  (target <= 1.5x) "
        f"{verdict(cold_ratio <= 1.5)}"
    )
    print(
        f"               Powertools Logger import+init alone {cold['powertools_logger'] * 1e3:6.1f} ms; "
        f"app + the first event's lazy SQS client {cold['ingest_app_first_client'] * 1e3:6.1f} ms"
    )

    runs = {
        "moto SQS FIFO": through_gateway_into_moto(args.events),
        "in-memory FIFO": through_gateway_into_memory(args.events),
    }
    for label, run in runs.items():
        print(
            f"3. sustained   {run['events'] / run['seconds']:7.0f} events/s through local.gateway into the {label} "
            f"({run['events']} events in {run['seconds']:.2f} s, answers {run['statuses']})"
        )
    print("               (moto's SendMessage recomputes queue attributes over every stored message: O(queue length))")
    all_exact = True
    for label, run in runs.items():
        exact = run["exact"] and run["queued"] == run["distinct_queued"] == run["expected"]
        all_exact = all_exact and exact
        print(
            f"4. exactly-once {label}: {run['events']} events (10% redelivered, 10% bad signature): "
            f"queued {run['queued']}, distinct {run['distinct_queued']}, expected {run['expected']}  {verdict(exact)}"
        )
    return 0 if all_exact else 1


if __name__ == "__main__":
    sys.exit(main())
