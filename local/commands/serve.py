"""`fivetran-recovery serve` (what `make run` runs): the whole stack on 127.0.0.1, one failure played through
it so a newcomer sees the flow, then serving until Ctrl-C."""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from enum import StrEnum
from types import SimpleNamespace
from typing import Annotated, Any

import typer


class Mode(StrEnum):
    monitor = "monitor"
    recommend = "recommend"
    auto = "auto"


def register(app: typer.Typer) -> None:
    app.command(
        "serve",
        help="Start moto AWS (from template.yaml), the Lambda handlers in-process, the Fivetran simulator and the "
        "HTTP gateway on 127.0.0.1:$PORT (default 3000); play one failure through it; serve until Ctrl-C.",
        short_help="Start the local stack (what `make run` runs).",
    )(serve)


def serve(
    mode: Annotated[Mode, typer.Option(help="rollout mode of the local deployment")] = Mode.auto,
    no_demo: Annotated[bool, typer.Option("--no-demo", help="do not play the demo failure at start")] = False,
    exit_after_demo: Annotated[
        bool, typer.Option("--exit-after-demo", help="stop after the demo (for scripts)")
    ] = False,
) -> int:
    return run(SimpleNamespace(mode=mode.value, no_demo=no_demo, exit_after_demo=exit_after_demo))


def run(args: Any) -> int:
    from local.commands._client import clear_state, write_state
    from local.defaults import LOCAL_APPROVER_TOKEN, port
    from local.demo import play_demo
    from local.narrator import Narrator
    from local.stack import LocalStack, StackOptions

    options = StackOptions(port=port(), rollout_mode=args.mode, parameters={"LogLevel": "WARNING"},
                           extra_environment={"POWERTOOLS_METRICS_DISABLED": "true"})
    print("Starting the local stack (moto AWS from template.yaml, Fivetran simulator, gateway)...", flush=True)
    stack = LocalStack(options)
    try:
        stack.start()
    except OSError as exc:
        stack.stop()
        print(f"serve: cannot listen on 127.0.0.1:{options.port}: {exc.strerror}. Set PORT to a free port.",
              file=sys.stderr)
        return 2
    try:
        _banner(stack, args.mode)
        write_state({"base_url": stack.base_url, "simulator_url": stack.simulator_url, "mode": args.mode})
        if not args.no_demo:
            print("\nPlaying one failure through the stack:", flush=True)
            ok = play_demo(stack, out=sys.stdout)
            if args.exit_after_demo:
                return 0 if ok else 1
        narrator = Narrator(stack, sys.stdout).start()
        print(f"\nServing, and telling what happens to every webhook from now on. Open the console:\n"
              f"  {stack.urls()['console']}   sign in with the approver token: {LOCAL_APPROVER_TOKEN}\n"
              f"Try a failure that needs you: fivetran-recovery simulator inject lunar_pebble "
              f"schema_change_breaking, then approve it in the console. Ctrl-C stops.", flush=True)
        stopped = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stopped.set())
        with contextlib.suppress(KeyboardInterrupt):
            stopped.wait()
        narrator.stop()
        return 0
    finally:
        print("\nStopping.", flush=True)
        clear_state()
        stack.stop()


def _banner(stack: Any, mode: str) -> None:
    from local.defaults import DEFAULT_WEBHOOK_SECRET, LOCAL_APPROVER_TOKEN, webhook_secret

    urls = stack.urls()
    secret = (f"{DEFAULT_WEBHOOK_SECRET} (the local default; set FIVETRAN_WEBHOOK_SECRET)"
              if webhook_secret() == DEFAULT_WEBHOOK_SECRET else "from FIVETRAN_WEBHOOK_SECRET (not shown)")
    bearer = f"Authorization: Bearer {LOCAL_APPROVER_TOKEN}"
    print(f"\nFivetran Recovery is running ({mode} mode):")
    print(f"  console            {urls['console']}  (sign in with the approver token {LOCAL_APPROVER_TOKEN})")
    print(f"  webhook endpoint   POST {urls['webhook']}")
    print(f"  webhook secret     {secret}")
    print(f"  approval API       GET {urls['approvals']}  ({bearer})")
    print(f"                     POST {urls['decision']}  "
          '{"decision": "approve"|"reject", "comment": "..."}')
    print(f"  console API        GET {urls['health']} (no auth); GET {urls['api']}/incidents, "
          f"{urls['api']}/approvals?status=pending, {urls['api']}/connections ({bearer}); "
          "OpenAPI: docs/openapi/console.json")
    print(f"  slack interactions POST {urls['slack_interactions']}")
    print(f"  fivetran simulator {urls['fivetran_simulator']} (Fivetran's REST API); control "
          f"{urls['simulator_control']}: fivetran-recovery simulator list|inject finds it")
