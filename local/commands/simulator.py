"""`fivetran-recovery simulator serve|inject|list|complete-reauth|clear`: run or drive the Fivetran simulator."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime
from typing import Any

DEFAULT_PORT = 8765
URL_ENV = "FIVETRAN_SIMULATOR_URL"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("simulator", help="run or drive the Fivetran simulator", description=__doc__)
    commands = parser.add_subparsers(dest="simulator_command", metavar="ACTION", required=True)

    serve = commands.add_parser("serve", help="serve the simulated Fivetran API with a ticking virtual clock")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT)
    serve.add_argument("--scale", type=float, default=60.0, help="simulated seconds per real second (default 60)")
    serve.add_argument("--seed", type=int, default=0)
    serve.add_argument("--webhook-url", help="where to send signed webhooks")
    serve.add_argument(
        "--webhook-secret", help="HMAC secret for the webhooks (default: $FIVETRAN_WEBHOOK_SECRET, else unsigned)"
    )
    serve.add_argument("--api-key", default="sim-api-key")
    serve.add_argument("--api-secret", default="sim-api-secret")
    serve.add_argument("--fixed-start", action="store_true", help="start the clock at the fixed default time")
    serve.add_argument("--duration", type=float, help="stop after this many real seconds (default: until Ctrl-C)")
    serve.set_defaults(handler=_serve)

    inject = commands.add_parser("inject", help="inject a failure scenario into a running simulator")
    inject.add_argument("connection_id")
    inject.add_argument("scenario")
    inject.add_argument("--option", "-o", action="append", default=[], metavar="KEY=VALUE")
    _add_url(inject)
    inject.set_defaults(handler=_inject)

    for name, help_text in (
        ("complete-reauth", "complete the connect card of a connection (the user re-authorised it)"),
        ("clear", "clear a connection's scenario (e.g. after the recovery SQL ran)"),
    ):
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument("connection_id")
        _add_url(sub)
        sub.set_defaults(handler=_control, action=name.replace("-", "_"))

    listing = commands.add_parser("list", help="list the scenarios (and, with a running simulator, its fleet)")
    listing.add_argument("--url", default=os.environ.get(URL_ENV), help=f"simulator root URL (default ${URL_ENV})")
    listing.add_argument("--json", action="store_true", help="one JSON document instead of text")
    listing.set_defaults(handler=_list)


def _add_url(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--url",
        default=os.environ.get(URL_ENV, f"http://127.0.0.1:{DEFAULT_PORT}"),
        help=f"simulator root URL (default ${URL_ENV} or http://127.0.0.1:{DEFAULT_PORT})",
    )


def _serve(args: argparse.Namespace) -> int:
    from local.simulator import DEFAULT_START, FivetranSimulator

    secret = args.webhook_secret or os.environ.get("FIVETRAN_WEBHOOK_SECRET")
    start = DEFAULT_START if args.fixed_start else datetime.now(UTC).replace(microsecond=0)
    sim = FivetranSimulator(
        start=start,
        seed=args.seed,
        api_key=args.api_key,
        api_secret=args.api_secret,
        webhook_url=args.webhook_url,
        webhook_secret=secret,
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


def _inject(args: argparse.Namespace) -> int:
    url = f"{args.url.rstrip('/')}/__sim/connections/{args.connection_id}/inject"
    status, body = _post(url, {"scenario": args.scenario, "options": _parse_options(args.option)})
    print(json.dumps(body, indent=2) if body is not None else "", file=sys.stdout if status == 200 else sys.stderr)
    return 0 if status == 200 else 1


def _control(args: argparse.Namespace) -> int:
    url = f"{args.url.rstrip('/')}/__sim/connections/{args.connection_id}/{args.action}"
    status, body = _post(url, {})
    print(json.dumps(body, indent=2) if body is not None else "", file=sys.stdout if status == 200 else sys.stderr)
    return 0 if status == 200 else 1


def _list(args: argparse.Namespace) -> int:
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
    for item in scenarios:
        print(f"{item['scenario']:<28} on {item['home']:<14} {item['description']}")
    for conn in fleet or []:
        scenario = (conn.get("scenario") or {}).get("scenario") or "-"
        status = conn["status"]
        print(
            f"{conn['id']:<14} {conn['service']:<14} {conn['group_id']:<22} "
            f"{status['setup_state']:<10} {status['sync_state']:<12} {scenario}"
        )
    return 0
