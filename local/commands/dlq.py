"""`fivetran-recovery dlq list|show|redrive`: the webhook events diagnose could not process after 5 receives.

Reads the dead-letter queue (`--dlq-url`, env EVENTS_DLQ_URL: the stack output EventsDeadLetterQueueUrl) of the
deployed stack with AWS credentials, or of any SQS endpoint such as a moto server (`--endpoint-url`); without a
queue URL, the running local stack's (`make run`), through its control routes (local/control.py). Listing does
not consume: messages are received with a zero visibility timeout and left in place. `redrive` moves messages back
to the events queue (`--queue-url`, env EVENTS_QUEUE_URL) in their connection's message group, with a fresh
deduplication id, and deletes each from the DLQ only after it was sent: diagnose is idempotent per event key, so
a message redriven twice is processed once.
"""

from __future__ import annotations

import json
import os
from typing import Annotated, Any

import typer

from local.commands._output import emit_json, error, line, table

MAX_LIST = 1000  # bound on one listing (the DLQ's retention is 14 days)


def register(app: typer.Typer) -> None:
    group = typer.Typer(name="dlq", help="List, show and redrive dead-lettered webhook events.", no_args_is_help=True)
    group.command("list", help="One line per dead-lettered event (not consumed).")(list_command)
    group.command("show", help="Print one dead-lettered event in full.")(show_command)
    group.command("redrive", help="Send dead-lettered events back to the events queue.")(redrive_command)
    app.add_typer(group, name="dlq")


DlqOpt = Annotated[str | None, typer.Option("--dlq-url", envvar="EVENTS_DLQ_URL", help="the dead-letter queue URL")]
EndpointOpt = Annotated[str | None, typer.Option("--endpoint-url", envvar="AWS_ENDPOINT_URL_SQS",
                                                 help="SQS endpoint (e.g. a moto server); default: AWS")]
JsonOpt = Annotated[bool, typer.Option("--json", help="one JSON document instead of text")]


def _sqs(endpoint_url: str | None) -> Any:
    import boto3

    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    return boto3.client("sqs", endpoint_url=endpoint_url, region_name=region)


def peek(sqs: Any, dlq_url: str, *, limit: int = MAX_LIST) -> list[dict[str, Any]]:
    """Every message in the queue (up to `limit`), left in place."""
    seen: dict[str, dict[str, Any]] = {}
    for _ in range(max(1, limit // 10) + 2):
        answer = sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10, VisibilityTimeout=0,
                                     WaitTimeSeconds=0, AttributeNames=["All"], MessageAttributeNames=["All"])
        fresh = [m for m in answer.get("Messages", []) if m["MessageId"] not in seen]
        if not fresh:
            break
        seen.update({m["MessageId"]: m for m in fresh})
        if len(seen) >= limit:
            break
    return list(seen.values())[:limit]


def summary(message: dict[str, Any]) -> dict[str, Any]:
    """What an operator needs to decide: which event, which connection, how often it was tried."""
    attributes = message.get("Attributes", {})
    try:
        body = json.loads(message.get("Body") or "{}")
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    data = body.get("data") if isinstance(body.get("data"), dict) else {}
    return {"id": message["MessageId"], "event": body.get("event"), "connection_id": body.get("connection_id"),
            "created": body.get("created"), "status": data.get("status"),
            "receives": int(attributes.get("ApproximateReceiveCount", 0)),
            "group": attributes.get("MessageGroupId"), "sent": attributes.get("SentTimestamp")}


def shown(message: dict[str, Any]) -> dict[str, Any]:
    """One message in full: its summary and its body."""
    return {**summary(message), "body": json.loads(message["Body"]) if message.get("Body") else None}


def redrive(sqs: Any, dlq_url: str, queue_url: str, *, ids: set[str] | None = None) -> list[str]:
    """Move the chosen messages (default: all) back to the events queue; returns the moved message ids."""
    moved: list[str] = []
    for _ in range(MAX_LIST // 10 + 2):
        answer = sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10, VisibilityTimeout=30,
                                     WaitTimeSeconds=0, AttributeNames=["All"], MessageAttributeNames=["All"])
        batch = answer.get("Messages", [])
        chosen = [m for m in batch if ids is None or m["MessageId"] in ids]
        for message in batch:
            if message not in chosen:  # not ours to move: visible again at once
                sqs.change_message_visibility(QueueUrl=dlq_url, ReceiptHandle=message["ReceiptHandle"],
                                              VisibilityTimeout=0)
        for message in chosen:
            group = message.get("Attributes", {}).get("MessageGroupId") or "redrive"
            extra = {"MessageAttributes": message["MessageAttributes"]} if message.get("MessageAttributes") else {}
            sqs.send_message(QueueUrl=queue_url, MessageBody=message["Body"], MessageGroupId=group,
                             MessageDeduplicationId=f"redrive-{message['MessageId']}"[:128], **extra)
            sqs.delete_message(QueueUrl=dlq_url, ReceiptHandle=message["ReceiptHandle"])
            moved.append(message["MessageId"])
        if not batch or (ids is not None and ids <= set(moved)):
            break
    return moved


NO_QUEUE = ("give --dlq-url (or set EVENTS_DLQ_URL: the stack output EventsDeadLetterQueueUrl), or start the local "
            "stack (`make run`)")


def _local(call: Any) -> Any:
    """`call(client)` on the running local stack's control API (local/control.py); None when none runs."""
    from local.commands._client import ApiError, local_stack_client

    client = local_stack_client()
    if client is None:
        return None
    try:
        return call(client)
    except ApiError as exc:
        return exc


def _failed(answer: Any) -> bool:
    if isinstance(answer, Exception):
        error("dlq", str(answer))
        return True
    return False


def list_command(dlq_url: DlqOpt = None, endpoint_url: EndpointOpt = None, json_out: JsonOpt = False) -> int:
    if dlq_url:
        rows = [summary(m) for m in peek(_sqs(endpoint_url), dlq_url)]
    else:
        answer = _local(lambda client: client.get("/__local/dlq"))
        if answer is None:
            error("dlq", NO_QUEUE)
            return 2
        if _failed(answer):
            return 1
        rows = answer["messages"]
    if json_out:
        emit_json({"messages": rows})
        return 0
    table(["id", "event", "connection", "created", "status", "receives"],
          [(r["id"], r["event"], r["connection_id"], r["created"], r["status"], r["receives"]) for r in rows])
    line(f"{len(rows)} dead-lettered event(s)")
    return 0


def show_command(message_id: Annotated[str, typer.Argument(help="the message id (from `dlq list`)")],
                 dlq_url: DlqOpt = None, endpoint_url: EndpointOpt = None) -> int:
    if dlq_url:
        found = next((m for m in peek(_sqs(endpoint_url), dlq_url) if m["MessageId"] == message_id), None)
        document = shown(found) if found else None
    else:
        from urllib.parse import quote

        answer = _local(lambda client: client.get(f"/__local/dlq/{quote(message_id, safe='')}"))
        if answer is None:
            error("dlq", NO_QUEUE)
            return 2
        if isinstance(answer, Exception) and "answered 404" not in str(answer):
            return int(_failed(answer))
        document = None if isinstance(answer, Exception) else answer
    if document is None:
        error("dlq", f"no message {message_id} in the dead-letter queue")
        return 1
    emit_json(document, indent=2)
    return 0


def redrive_command(
    message_ids: Annotated[list[str] | None, typer.Argument(help="message ids to move (default: --all)")] = None,
    move_all: Annotated[bool, typer.Option("--all", help="move every dead-lettered event")] = False,
    queue_url: Annotated[str | None, typer.Option("--queue-url", envvar="EVENTS_QUEUE_URL",
                                                  help="the events queue URL")] = None,
    dlq_url: DlqOpt = None, endpoint_url: EndpointOpt = None,
) -> int:
    if not message_ids and not move_all:
        error("dlq", "name the message ids to redrive, or give --all")
        return 2
    ids = None if move_all else set(message_ids or [])
    if dlq_url or queue_url:
        if not dlq_url or not queue_url:
            error("dlq", "give --dlq-url and --queue-url (or EVENTS_DLQ_URL and EVENTS_QUEUE_URL)")
            return 2
        moved = redrive(_sqs(endpoint_url), dlq_url, queue_url, ids=ids)
    else:
        body = {"all": True} if ids is None else {"ids": sorted(ids)}
        answer = _local(lambda client: client.post("/__local/dlq/redrive", body))
        if answer is None:
            error("dlq", "give --dlq-url and --queue-url (or EVENTS_DLQ_URL and EVENTS_QUEUE_URL), or start the "
                         "local stack (`make run`)")
            return 2
        if _failed(answer):
            return 1
        moved = answer["moved"]
    missing = sorted(set(message_ids or []) - set(moved))
    line(f"redrove {len(moved)} event(s)" + (f"; not found: {', '.join(missing)}" if missing else ""))
    return 1 if missing else 0
