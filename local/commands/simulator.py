"""`fivetran-recovery simulator serve|inject|list|complete-reauth|clear`: run or drive the Fivetran simulator."""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Annotated, Any

import typer

DEFAULT_PORT = 8765
URL_ENV = "FIVETRAN_SIMULATOR_URL"
DEFAULT_URL = f"http://127.0.0.1:{DEFAULT_PORT}"


def register(app: typer.Typer) -> None:
    group = typer.Typer(name="simulator", help="Run or drive the Fivetran simulator.", no_args_is_help=True)
    group.command("serve", help="Serve the simulated Fivetran API with a ticking virtual clock.")(serve)
    group.command("inject", help="Inject a failure scenario into a running simulator.")(inject)
    group.command("complete-reauth", help="Complete the connect card of a connection (the user re-authorised it).")(
        complete_reauth
    )
    group.command("clear", help="Clear a connection's scenario (e.g. after the recovery SQL ran).")(clear)
    group.command("list", help="List the scenarios (and, with a running simulator, its fleet).")(list_command)
    app.add_typer(group, name="simulator")


UrlOpt = Annotated[
    str | None,
    typer.Option("--url", envvar=URL_ENV, help=f"simulator URL (default ${URL_ENV}, else the simulator of the "
                 f"local stack `make run` started, else {DEFAULT_URL}); its /v1 URL works too"),
]


def simulator_root(url: str | None, *, fallback: str | None = DEFAULT_URL) -> str | None:
    """The simulator's root URL: the one given (a `/v1` API URL is accepted), else the running local stack's."""
    if not url:
        from local.commands._client import running_stack

        url = (running_stack() or {}).get("simulator_url") or fallback
    if url is None:
        return None
    url = url.rstrip("/")
    return url[: -len("/v1")] if url.endswith("/v1") else url


def serve(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = DEFAULT_PORT,
    scale: Annotated[float, typer.Option(help="simulated seconds per real second")] = 60.0,
    seed: Annotated[int, typer.Option()] = 0,
    webhook_url: Annotated[str | None, typer.Option(help="where to send signed webhooks")] = None,
    webhook_secret: Annotated[
        str | None, typer.Option(help="HMAC secret for the webhooks (default: $FIVETRAN_WEBHOOK_SECRET, else unsigned)")
    ] = None,
    api_key: Annotated[str, typer.Option()] = "sim-api-key",
    api_secret: Annotated[str, typer.Option()] = "sim-api-secret",
    fixed_start: Annotated[
        bool, typer.Option("--fixed-start", help="start the clock at the fixed default time")
    ] = False,
    duration: Annotated[
        float | None, typer.Option(help="stop after this many real seconds (default: until Ctrl-C)")
    ] = None,
) -> int:
    return _serve(SimpleNamespace(host=host, port=port, scale=scale, seed=seed, webhook_url=webhook_url,
                                  webhook_secret=webhook_secret, api_key=api_key, api_secret=api_secret,
                                  fixed_start=fixed_start, duration=duration))


def inject(
    connection_id: Annotated[str, typer.Argument()],
    scenario: Annotated[str, typer.Argument()],
    option: Annotated[list[str] | None, typer.Option("--option", "-o", metavar="KEY=VALUE")] = None,
    url: UrlOpt = None,
) -> int:
    return _inject(SimpleNamespace(connection_id=connection_id, scenario=scenario, option=option or [],
                                   url=simulator_root(url)))


def complete_reauth(connection_id: Annotated[str, typer.Argument()], url: UrlOpt = None) -> int:
    return _control(SimpleNamespace(connection_id=connection_id, url=simulator_root(url), action="complete_reauth"))


def clear(connection_id: Annotated[str, typer.Argument()], url: UrlOpt = None) -> int:
    return _control(SimpleNamespace(connection_id=connection_id, url=simulator_root(url), action="clear"))


def list_command(
    url: Annotated[
        str | None, typer.Option("--url", envvar=URL_ENV, help=f"simulator root URL (default ${URL_ENV})")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="one JSON document instead of text")] = False,
) -> int:
    return _list(SimpleNamespace(url=simulator_root(url, fallback=None), json=json_out))


def _serve(args: Any) -> int:
    from local.simulator import DEFAULT_START, FivetranSimulator
    from local.simulator.options import STRICT

    secret = args.webhook_secret or os.environ.get("FIVETRAN_WEBHOOK_SECRET")
    start = DEFAULT_START if args.fixed_start else datetime.now(UTC).replace(microsecond=0)
    sim = FivetranSimulator(
        start=start,
        seed=args.seed,
        api_key=args.api_key,
        api_secret=args.api_secret,
        webhook_url=args.webhook_url,
        webhook_secret=secret,
        fidelity=STRICT.but(time_factor=args.scale),  # latencies at the ticker's pace
    )
    base_url = sim.start(args.host, args.port)
    sim.start_ticker(scale=args.scale)
    print(f"Fivetran simulator: {base_url} (Basic auth key {args.api_key!r}, secret from --api-secret)", flush=True)
    print(f"control plane: {sim.root_url}/__sim  (1 s = {args.scale:g} simulated s)", flush=True)
    if args.webhook_url:
        print(f"webhooks -> {args.webhook_url} ({'signed' if secret else 'unsigned'})", flush=True)
    try:
        deadline = None if args.duration is None else time.monotonic() + args.duration
        while deadline is None or time.monotonic() < deadline:
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
    return 0


def _post(url: str, payload: dict[str, Any]) -> tuple[int, Any]:
    import httpx

    try:
        response = httpx.post(url, json=payload, timeout=10.0)
    except httpx.HTTPError as exc:
        print(f"simulator not reachable at {url}: {exc}", file=sys.stderr)
        return 0, None
    try:
        return response.status_code, response.json()
    except ValueError:
        return response.status_code, response.text


def _parse_options(pairs: list[str]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"--option must be KEY=VALUE, got {pair!r}")
        try:
            options[key] = json.loads(value)
        except ValueError:
            options[key] = value
    return options


def _inject(args: Any) -> int:
    url = f"{args.url.rstrip('/')}/__sim/connections/{args.connection_id}/inject"
    status, body = _post(url, {"scenario": args.scenario, "options": _parse_options(args.option)})
    print(json.dumps(body, indent=2) if body is not None else "", file=sys.stdout if status == 200 else sys.stderr)
    return 0 if status == 200 else 1


def _control(args: Any) -> int:
    url = f"{args.url.rstrip('/')}/__sim/connections/{args.connection_id}/{args.action}"
    status, body = _post(url, {})
    print(json.dumps(body, indent=2) if body is not None else "", file=sys.stdout if status == 200 else sys.stderr)
    return 0 if status == 200 else 1


def _list(args: Any) -> int:
    from local.simulator import SCENARIO_HOMES, SCENARIOS

    scenarios = [
        {
            "scenario": name,
            "home": SCENARIO_HOMES.get(name),
            "options": sorted(cls.options),
            "description": cls.description,
            "error": cls.error.text if cls.error else None,
            "source": cls.error.source if cls.error else None,
        }
        for name, cls in SCENARIOS.items()
    ]
    fleet = None
    if args.url:
        import httpx

        try:
            fleet = httpx.get(f"{args.url.rstrip('/')}/__sim/connections", timeout=10.0).json()["items"]
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            print(f"simulator not reachable at {args.url}: {exc}", file=sys.stderr)
            return 1
    if args.json:
        print(json.dumps({"scenarios": scenarios, "connections": fleet}, indent=2))
        return 0
    from local.commands._output import table

    table(["scenario", "on", "description"], [(i["scenario"], i["home"], i["description"]) for i in scenarios],
          title="scenarios")
    if fleet:
        table(["connection", "service", "group", "setup", "sync", "scenario"],
              [(c["id"], c["service"], c["group_id"], c["status"]["setup_state"], c["status"]["sync_state"],
                (c.get("scenario") or {}).get("scenario")) for c in fleet], title="connections")
    return 0
