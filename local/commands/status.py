"""`fivetran-recovery status`: what is running, where, and the URLs (the local stack by default)."""

from __future__ import annotations

from typing import Any

import typer

from local.commands._client import ApiClient, ApiUrlOption, JsonOption, run_command, running_stack
from local.commands._output import table


def register(app: typer.Typer) -> None:
    app.command("status", help="What is running, where, and the URLs; open incidents and pending approvals.")(status)


def status(api_url: ApiUrlOption = None, json_out: JsonOption = False) -> int:
    state = None if api_url else running_stack()

    def call() -> dict[str, Any]:
        client = ApiClient(api_url)
        health = client.get("/health")
        incidents = client.get("/api/incidents", status="open")
        approvals = client.get("/api/approvals", status="pending")
        base = client.base_url
        return {
            "running": health.get("status") == "ok", "where": "deployed" if client.deployed else "local",
            "pid": (state or {}).get("pid"), "mode": (state or {}).get("mode"),
            "urls": {"api": base, "console": f"{base}/console", "webhook": f"{base}/webhooks/fivetran",
                     "health": f"{base}/health", **({"fivetran_simulator": state["simulator_url"]}
                                                      if state and state.get("simulator_url") else {})},
            "open_incidents": incidents["total"], "pending_approvals": approvals["total"],
        }

    def show(document: dict[str, Any]) -> None:
        where = f"local stack (pid {document['pid']}, {document['mode']} mode)" if state else document["where"]
        print(f"Fivetran Recovery is running: {where}")
        table(["what", "where"], sorted(document["urls"].items()))
        print(f"{document['open_incidents']} open incident(s), {document['pending_approvals']} pending approval(s)")

    return run_command("status", call, show, json_out=json_out)
