"""How terminal commands reach a running stack: the local one `make run` started (found through the state file it
writes, else http://127.0.0.1:$PORT), or a deployed API with `--api-url` and a token from the environment.

Token: $FIVETRAN_RECOVERY_TOKEN; for the local stack the local approver token is the default.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from local.commands._output import error

TOKEN_ENV = "FIVETRAN_RECOVERY_TOKEN"
URL_ENV = "FIVETRAN_RECOVERY_API_URL"


ApiUrlOption = Annotated[str | None, typer.Option("--api-url", help="a deployed API (default: the local stack)")]
JsonOption = Annotated[bool, typer.Option("--json", help="one JSON document instead of a table")]


class ApiError(Exception):
    """One line for the user: what failed and why."""


def state_path() -> Path:
    default = Path(tempfile.gettempdir()) / "fivetran-recovery-local.json"
    return Path(os.environ.get("FIVETRAN_RECOVERY_STATE") or default)


def write_state(document: dict[str, Any]) -> Path:
    path = state_path()
    path.write_text(json.dumps({**document, "pid": os.getpid()}, indent=2), encoding="utf-8")
    return path


def clear_state() -> None:
    path = state_path()
    try:
        if json.loads(path.read_text(encoding="utf-8")).get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError):
        pass


def running_stack() -> dict[str, Any] | None:
    """The state of the local stack that `serve` is running, if its process is alive."""
    try:
        state = json.loads(state_path().read_text(encoding="utf-8"))
        os.kill(int(state["pid"]), 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return state


def local_stack_client() -> ApiClient | None:
    """The running `make run` stack (from its state file) with the local token; None when none is running."""
    state = running_stack()
    if not state or not state.get("base_url"):
        return None
    from local.defaults import LOCAL_APPROVER_TOKEN

    client = ApiClient(api_url=str(state["base_url"]), token=LOCAL_APPROVER_TOKEN)
    client.deployed = False
    return client


def local_base_url() -> str:
    state = running_stack()
    if state and state.get("base_url"):
        return str(state["base_url"])
    return f"http://127.0.0.1:{os.environ.get('PORT') or 3000}"


class ApiClient:
    def __init__(self, api_url: str | None = None, *, token: str | None = None):
        self.deployed = bool(api_url or os.environ.get(URL_ENV))
        self.base_url = (api_url or os.environ.get(URL_ENV) or local_base_url()).rstrip("/")
        token = token or os.environ.get(TOKEN_ENV)
        if not token and not self.deployed:
            from local.defaults import LOCAL_APPROVER_TOKEN

            token = LOCAL_APPROVER_TOKEN
        if not token:
            raise ApiError(f"set {TOKEN_ENV} to your approver token to reach {self.base_url}")
        self._headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str, **params: Any) -> Any:
        return self._call("GET", path, params={k: v for k, v in params.items() if v is not None})

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self._call("POST", path, json=body)

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        import httpx

        url = f"{self.base_url}{path}"
        try:
            response = httpx.request(method, url, headers=self._headers, timeout=30.0, **kwargs)
        except httpx.HTTPError as exc:
            where = "the deployed API" if self.deployed else "the local stack (is `make run` running?)"
            raise ApiError(f"cannot reach {where} at {self.base_url}: {type(exc).__name__}") from None
        try:
            body = response.json()
        except ValueError:
            body = {"error": response.text[:200]}
        if response.status_code >= 400:
            message = body.get("error") if isinstance(body, dict) else None
            raise ApiError(f"{method} {path} answered {response.status_code}: {message or body}")
        return body


def run_command(command: str, call: Callable[[], Any], show: Callable[[Any], None], *, json_out: bool,
                failed: int = 1, refusals: tuple[type[Exception], ...] = (ApiError,)) -> int:
    """The steps of a command that asks the stack something: `call` (which builds its `ApiClient(api_url)`, the
    local stack or `--api-url`), then one JSON document with `--json` or `show(answer)`. A refusal (ApiError:
    unreachable, no token, an error answer) is one line on stderr and exit `failed`."""
    try:
        answer = call()
    except refusals as exc:
        error(command, str(exc))
        return failed
    if json_out:
        print(json.dumps(answer, indent=2))
    else:
        show(answer)
    return 0


def list_when_bare(list_command: Callable[..., int]) -> Callable[..., None]:
    """A command group's callback: with no subcommand, `list_command` (with the group's --api-url and --json)."""

    def default(ctx: typer.Context, api_url: ApiUrlOption = None, json_out: JsonOption = False) -> None:
        """With no subcommand: the list (`--json` and `--api-url` work here too)."""
        if ctx.invoked_subcommand is None:
            raise typer.Exit(list_command(api_url=api_url, json_out=json_out))

    return default
