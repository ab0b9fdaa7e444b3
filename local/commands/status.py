"""`fivetran-recovery status`: what is running, where, and the URLs (the local stack by default)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from local.commands._output import error, table


def register(app: typer.Typer) -> None:
    app.command("status", help="What is running, where, and the URLs; open incidents and pending approvals.")(status)


def status(
    api_url: Annotated[str | None, typer.Option("--api-url", help="a deployed API (default: the local stack)")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="one JSON document instead of a table")] = False,
) -> int:
    from local.commands._client import ApiClient, ApiError, running_stack

    state = None if api_url else running_stack()
    try:
        client = ApiClient(api_url)
        health = client.get("/health")
        incidents = client.get("/api/incidents", status="open")
        approvals = client.get("/api/approvals", status="pending")
    except ApiError as exc:
        error("status", str(exc))
        return 1
    base = client.base_url
    document: dict[str, Any] = {
        "running": health.get("status") == "ok", "where": "deployed" if client.deployed else "local",
        "pid": (state or {}).get("pid"), "mode": (state or {}).get("mode"),
        "urls": {"api": base, "console": f"{base}/console", "webhook": f"{base}/webhooks/fivetran",
                 "health": f"{base}/health", **({"fivetran_simulator": state["simulator_url"]}
                                                  if state and state.get("simulator_url") else {})},
        "open_incidents": incidents["total"], "pending_approvals": approvals["total"],
    }
    if json_out:
        print(json.dumps(document, indent=2))
        return 0
    where = f"local stack (pid {document['pid']}, {document['mode']} mode)" if state else document["where"]
    print(f"Fivetran Recovery is running: {where}")
    table(["what", "where"], sorted(document["urls"].items()))
    print(f"{document['open_incidents']} open incident(s), {document['pending_approvals']} pending approval(s)")
    return 0
