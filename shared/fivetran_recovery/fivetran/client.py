"""A small, typed client of the Fivetran REST API (https://api.fivetran.com/v1, FACTS.md section 2).

- Basic auth with the API key and secret (the secret is a `SecretStr`, never logged or put in an error),
  `Accept: application/json;version=2`, the `{code, message, data}` envelope, cursor pagination
  (`next_cursor`, and `nextCursor` as the webhooks list spells it).
- Typed errors per status (errors.py); bounded retries with jitter that never repeat a call which could act
  twice (retry.py explains which failure is retried for which call).
- The documented gotcha: a PATCH while a sync runs can fail with "Failed to stop in-progress sync after trying
  for 60 seconds". `update_with_pause` does the documented fix (pause, wait for `sync_state == "paused"`,
  change, resume). `update_connection` (and everything built on it: `update_schedule`) falls back to it
  automatically when that error comes back, unless the client was built with `auto_pause_on_sync_conflict=False`.

Per-call idempotency (see retry.py for what it changes):
  SAFE:    every GET; reload_schema (PRESERVE keeps selections); run_setup_tests; sync_now(force=False) (a no-op
           while a sync runs); PATCH webhook; DELETE webhook.
  CONFIRM: pause, resume, PATCH of settings that read back, PATCH schema config: after a timeout or 5xx the state
           is read first, and the write repeated only if it did not happen.
  UNSAFE:  sync_now(force=True), resync, resync_tables, create_connect_card, create_*_webhook, test_webhook, and
           PATCHes of fields that do not read back (config, auth...).
Timeouts per endpoint class (timeouts.py): source calls (reload, setup tests, columns) and stop-sync PATCHes get
long ones; the rest 10 s.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

import httpx
from pydantic import SecretStr

from fivetran_recovery.fivetran.client_schemas import SchemaMethods
from fivetran_recovery.fivetran.client_webhooks import WebhookMethods
from fivetran_recovery.fivetran.errors import (
    FivetranConnectionError,
    FivetranError,
    FivetranTimeoutError,
    error_from_response,
)
from fivetran_recovery.fivetran.models import (
    SCHEDULE_TYPES,
    SYNC_FREQUENCIES,
    ActionResult,
    ConnectCard,
    Connection,
    SyncHistoryRecord,
)
from fivetran_recovery.fivetran.paths import segment as _segment
from fivetran_recovery.fivetran.retry import Idempotency, RetryPolicy, parse_retry_after
from fivetran_recovery.fivetran.timeouts import DEFAULT, SOURCE, STOP_SYNC, Timeouts

if TYPE_CHECKING:
    import random

    from fivetran_recovery.settings import Settings

DEFAULT_BASE_URL = "https://api.fivetran.com/v1"
ACCEPT = "application/json;version=2"
USER_AGENT = "fivetran-recovery/0.1"
PAGE_LIMIT = 100

# Exceptions raised before any byte of the request left: repeating them cannot act twice.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)

CredentialsProvider = Callable[[], tuple[str, SecretStr]]

logger = logging.getLogger(__name__)


def credentials_from_secret(value: Any, secret_id: str) -> tuple[str, SecretStr]:
    """Validate the Secrets Manager JSON `{"api_key", "api_secret"}` (the error names the secret, not values)."""
    if not isinstance(value, dict):
        raise FivetranError(f"secret {secret_id!r} must be a JSON object with api_key and api_secret")
    key, secret = value.get("api_key"), value.get("api_secret")
    if not isinstance(key, str) or not key or not isinstance(secret, str) or not secret:
        raise FivetranError(f"secret {secret_id!r} must hold non-empty strings api_key and api_secret")
    return key, SecretStr(secret)


class FivetranClient(SchemaMethods, WebhookMethods):
    """Keyword-only constructor; `http_client`, `sleep`, `clock` and `rng` are injectable for tests."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        api_secret: SecretStr | str | None = None,
        base_url: str = DEFAULT_BASE_URL,
        http_client: httpx.Client | None = None,
        max_attempts: int = 4,
        max_total_seconds: float = 30.0,
        sleep: Callable[[float], Any] = time.sleep,
        timeout: float | None = None,
        timeouts: Timeouts | None = None,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        credentials: CredentialsProvider | None = None,
        auto_pause_on_sync_conflict: bool = True,
        page_size: int = PAGE_LIMIT,
    ) -> None:
        if credentials is None:
            if (
                not api_key
                or api_secret is None
                or not str(api_secret.get_secret_value() if isinstance(api_secret, SecretStr) else api_secret)
            ):
                raise ValueError("FivetranClient needs api_key and api_secret (or a credentials provider)")
            secret = api_secret if isinstance(api_secret, SecretStr) else SecretStr(api_secret)
            fixed = (api_key, secret)
            credentials = lambda: fixed  # noqa: E731
        if not 1 <= page_size <= 1000:
            raise ValueError("page_size must be within 1..1000")
        if not base_url.startswith(("https://", "http://")):
            raise ValueError("base_url must be an http(s) URL")
        self._credentials = credentials
        self.base_url = base_url.rstrip("/")
        # `timeout` (one number, as before) sets the default class; `timeouts` sets every class.
        self.timeouts = timeouts or (Timeouts(default=timeout) if timeout is not None else Timeouts())
        self._http = http_client or httpx.Client(timeout=self.timeouts.default)
        self._owns_http = http_client is None
        self._sleep = sleep
        self._clock = clock
        self._policy = RetryPolicy(max_attempts=max_attempts, max_total_seconds=max_total_seconds)
        if rng is not None:
            self._policy.rng = rng
        self.auto_pause_on_sync_conflict = auto_pause_on_sync_conflict
        self.page_size = page_size
        self._server_date: datetime | None = None

    def server_time(self) -> datetime | None:
        """Fivetran's clock as its latest answer's Date header gave it (None before any): its sync times are on
        that clock, so "ended N minutes ago" is measured against it (the local simulator's runs faster)."""
        return self._server_date

    @classmethod
    def from_settings(cls, settings: Settings | None = None, **kwargs: Any) -> FivetranClient:
        """Client for `settings.fivetran_api_url`; key and secret read lazily (first call) from Secrets Manager
        secret `settings.fivetran_secret_id`, cached by Powertools for `secrets_max_age_seconds`."""
        if settings is None:
            from fivetran_recovery.settings import get_settings

            settings = get_settings()
        secret_id = settings.fivetran_secret_id
        max_age = settings.secrets_max_age_seconds

        def load() -> tuple[str, SecretStr]:
            from aws_lambda_powertools.utilities import parameters

            try:
                value = parameters.get_secret(secret_id, transform="json", max_age=max_age)
            except Exception as exc:  # powertools/botocore errors name the secret, never its value
                raise FivetranError(f"could not read secret {secret_id!r}: {type(exc).__name__}") from exc
            return credentials_from_secret(value, secret_id)

        kwargs.setdefault("timeouts", Timeouts().scaled(settings.fivetran_timeout_scale))
        return cls(credentials=load, base_url=settings.fivetran_api_url, **kwargs)

    # -- lifecycle ------------------------------------------------------------------------------------------
    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> FivetranClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"FivetranClient(base_url={self.base_url!r})"

    # -- transport ------------------------------------------------------------------------------------------
    def _request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        idempotency: Idempotency = Idempotency.SAFE,
        confirm: Callable[[], dict[str, Any] | None] | None = None,
        timeout_class: str = DEFAULT,
    ) -> dict[str, Any]:
        """One API call with retries; returns the decoded envelope (`{}` for an empty body).

        CONFIRM writes: after an answer that leaves it unknown whether the write happened (read timeout, dropped
        connection, 5xx), `confirm()` reads the state first; if it shows the write, that state is the answer
        (`{"data": ...}`), else the write is repeated. The in-progress-sync error is never repeated (the
        callers make the change through pause-change-resume)."""
        url = f"{self.base_url}/{path.lstrip('/')}"
        api_key, api_secret = self._credentials()
        auth = httpx.BasicAuth(api_key, api_secret.get_secret_value())
        headers = {"Accept": ACCEPT, "User-Agent": USER_AGENT}
        read = self.timeouts.for_class(timeout_class)
        timeout = httpx.Timeout(read, connect=min(read, self.timeouts.connect))
        started = self._clock()
        attempt = 0
        while True:
            attempt += 1
            retry_after: float | None = None
            try:
                response = self._http.request(
                    method, url, json=json, params=params, headers=headers, auth=auth, timeout=timeout
                )
            except httpx.TransportError as exc:
                sent = not isinstance(exc, _NOT_SENT)
                error: FivetranError = FivetranConnectionError(f"{type(exc).__name__}: {exc}", method=method, path=path)
                ambiguous, retryable = sent, idempotency is Idempotency.SAFE or not sent
            else:
                self._note_date(response)
                if response.status_code < 400:
                    return self._decode(response, method, path)
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                error = error_from_response(
                    response.status_code, _body(response), method=method, path=path, retry_after=retry_after
                )
                status = response.status_code
                ambiguous = status >= 500 and not error.is_sync_stop_timeout
                retryable = status == 429 or (ambiguous and idempotency is Idempotency.SAFE)
            if ambiguous and idempotency is Idempotency.CONFIRM and confirm is not None:
                state = confirm()
                if state is not None:
                    logger.info("fivetran %s %s: the write took effect (read back)", method, path)
                    return {"code": "Success", "message": "confirmed by reading the state back", "data": state}
                retryable = True  # read back: it did not happen, so one more attempt cannot act twice
            if not retryable or attempt >= self._policy.max_attempts:
                raise error
            self._wait_before_retry(method, path, error, attempt, started, retry_after)

    def _wait_before_retry(
        self, method: str, path: str, error: FivetranError, attempt: int, started: float, retry_after: float | None
    ) -> None:
        delay = self._policy.backoff(attempt, retry_after)
        if self._clock() - started + delay > self._policy.max_total_seconds:
            raise error
        logger.warning(
            "fivetran %s %s failed (%s), attempt %d, retrying in %.2f s",
            method,
            path,
            error.status if error.status is not None else type(error).__name__,
            attempt,
            delay,
            extra={"method": method, "path": path, "status": error.status, "attempt": attempt, "delay": delay},
        )
        self._sleep(delay)

    def _note_date(self, response: httpx.Response) -> None:
        with contextlib.suppress(KeyError, TypeError, ValueError, IndexError):  # no usable Date: the last one stands
            self._server_date = parsedate_to_datetime(response.headers["date"]).astimezone(UTC)

    @staticmethod
    def _decode(response: httpx.Response, method: str, path: str) -> dict[str, Any]:
        if not response.content:
            return {}
        try:
            body = response.json()
        except ValueError:
            raise FivetranError("answer is not JSON", status=response.status_code, method=method, path=path) from None
        if not isinstance(body, dict):
            raise FivetranError("answer is not a JSON object", status=response.status_code, method=method, path=path)
        return body

    def _data(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        body = self._request(method, path, **kwargs)
        data = body.get("data")
        if not isinstance(data, dict):
            raise FivetranError("answer has no data object", method=method, path=path)
        return data

    def _paginate(self, path: str, params: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        cursor: str | None = None
        seen: set[str] = set()
        while True:
            query = {**(params or {}), "limit": self.page_size}
            if cursor:
                query["cursor"] = cursor
            data = self._data("GET", path, params=query)
            items = data.get("items") or []
            if not isinstance(items, list):
                raise FivetranError("page has no items list", method="GET", path=path)
            yield from items
            cursor = data.get("next_cursor") or data.get("nextCursor")
            if not cursor:
                return
            if cursor in seen:
                raise FivetranError(f"pagination returned cursor {cursor!r} twice", method="GET", path=path)
            seen.add(cursor)

    # -- connections ----------------------------------------------------------------------------------------
    def iter_connections(self, group_id: str | None = None) -> Iterator[Connection]:
        path = f"groups/{_segment(group_id, 'group_id')}/connections" if group_id else "connections"
        for item in self._paginate(path):
            yield Connection.model_validate(item)

    def list_connections(self, group_id: str | None = None) -> list[Connection]:
        """Every connection of the account (or of one destination group), all pages."""
        return list(self.iter_connections(group_id))

    def get_connection(self, connection_id: str) -> Connection:
        return Connection.model_validate(self._data("GET", f"connections/{_segment(connection_id, 'connection_id')}"))

    def _patch_connection(self, connection_id: str, body: dict[str, Any]) -> Connection:
        """PATCH with the stop-sync timeout class; an ambiguous failure is checked by reading the connection
        back when every field can be compared (pause: the documented 500 after ~60 s although it paused)."""
        path = f"connections/{_segment(connection_id, 'connection_id')}"
        comparable = set(body) <= _READ_BACK

        def confirm() -> dict[str, Any] | None:
            current = self._data("GET", path)
            return current if all(current.get(k) == v for k, v in body.items()) else None

        idempotency = Idempotency.CONFIRM if comparable else Idempotency.UNSAFE
        data = self._data(
            "PATCH", path, json=body, idempotency=idempotency, confirm=confirm, timeout_class=STOP_SYNC
        )
        return Connection.model_validate(data)

    def pause(self, connection_id: str) -> Connection:
        return self._patch_connection(connection_id, {"paused": True})

    def resume(self, connection_id: str) -> Connection:
        return self._patch_connection(connection_id, {"paused": False})

    def update_connection(self, connection_id: str, **fields: Any) -> Connection:
        """PATCH the connection. On "Failed to stop in-progress sync..." it retries through `update_with_pause`
        (when `auto_pause_on_sync_conflict` and the change is not itself a pause/resume)."""
        if not fields:
            raise ValueError("update_connection needs at least one field")
        try:
            return self._patch_connection(connection_id, fields)
        except FivetranError as exc:
            if not (exc.is_sync_stop_timeout and self.auto_pause_on_sync_conflict and "paused" not in fields):
                raise
            logger.info("in-progress sync blocked the update; pausing first", extra={"path": exc.path})
            return self.update_with_pause(connection_id, fields)

    def update_schedule(
        self,
        connection_id: str,
        *,
        sync_frequency: int | None = None,
        schedule_type: str | None = None,
        daily_sync_time: str | None = None,
    ) -> Connection:
        fields: dict[str, Any] = {}
        if sync_frequency is not None:
            if sync_frequency not in SYNC_FREQUENCIES:
                raise ValueError(f"sync_frequency must be one of {SYNC_FREQUENCIES} minutes")
            fields["sync_frequency"] = sync_frequency
        if schedule_type is not None:
            if schedule_type not in SCHEDULE_TYPES:
                raise ValueError(f"schedule_type must be one of {SCHEDULE_TYPES}")
            fields["schedule_type"] = schedule_type
        if daily_sync_time is not None:
            if sync_frequency not in (None, 1440):
                raise ValueError("daily_sync_time only applies with sync_frequency 1440")
            if not _is_hour(daily_sync_time):
                raise ValueError('daily_sync_time must be a whole hour "HH:00"')
            fields["daily_sync_time"] = daily_sync_time
        if not fields:
            raise ValueError("update_schedule needs sync_frequency, schedule_type or daily_sync_time")
        return self.update_connection(connection_id, **fields)

    def wait_for_sync_state(
        self, connection_id: str, state: str, *, poll_interval: float = 2.0, timeout: float = 120.0
    ) -> Connection:
        """Poll the connection until `status.sync_state == state`; bounded by `timeout` seconds of waiting."""
        if poll_interval <= 0 or timeout < 0:
            raise ValueError("poll_interval must be positive and timeout not negative")
        started, waited = self._clock(), 0.0
        while True:
            connection = self.get_connection(connection_id)
            if connection.status.sync_state == state:
                return connection
            if waited >= timeout or self._clock() - started >= timeout:
                raise FivetranTimeoutError(
                    f"sync_state is still {connection.status.sync_state!r}, not {state!r}, after {timeout:g} s",
                    method="GET",
                    path=f"connections/{connection_id}",
                )
            self._sleep(poll_interval)
            waited += poll_interval

    def update_with_pause(
        self, connection_id: str, change: dict[str, Any], *, poll_interval: float = 2.0, timeout: float = 120.0
    ) -> Connection:
        """The documented fix for "Failed to stop in-progress sync after trying for 60 seconds": pause, wait
        until `sync_state` is `paused`, PATCH the change, then resume (always, unless it was paused before)."""
        if not change:
            raise ValueError("update_with_pause needs a change")
        if "paused" in change:
            raise ValueError("the change must not set 'paused'; use pause() or resume()")
        updated, resumed = self.with_pause(
            connection_id,
            lambda: self._patch_connection(connection_id, dict(change)),
            poll_interval=poll_interval,
            timeout=timeout,
        )
        return resumed or updated

    def with_pause(
        self, connection_id: str, apply: Callable[[], Any], *, poll_interval: float = 2.0, timeout: float = 120.0
    ) -> tuple[Any, Connection | None]:
        """Pause, wait until the sync has stopped, `apply()`, resume (unless it was paused before); for any
        change Fivetran refuses while a sync runs (connection or schema PATCH). Returns (applied, resumed)."""
        was_paused = bool(self.get_connection(connection_id).paused)
        if not was_paused:
            self.pause(connection_id)
        resumed: Connection | None = None
        try:
            self.wait_for_sync_state(connection_id, "paused", poll_interval=poll_interval, timeout=timeout)
            applied = apply()
        finally:
            if not was_paused:
                resumed = self.resume(connection_id)
        return applied, resumed

    def iter_sync_history(
        self, connection_id: str, *, start_time: datetime | None = None, end_time: datetime | None = None
    ) -> Iterator[SyncHistoryRecord]:
        """Syncs of one connection, newest first (Fivetran: at most 7 days per window, one hour by default)."""
        params = {k: _utc(v) for k, v in (("start_time", start_time), ("end_time", end_time)) if v is not None}
        path = f"connections/{_segment(connection_id, 'connection_id')}/sync-history"
        for item in self._paginate(path, params):
            yield SyncHistoryRecord.model_validate(item)

    def sync_now(self, connection_id: str, *, force: bool = False) -> ActionResult:
        """Trigger a sync. `force=True` stops a running sync and re-runs it, so it is never retried blindly."""
        path = f"connections/{_segment(connection_id, 'connection_id')}/sync"
        body = self._request(
            "POST", path, json={"force": force}, idempotency=Idempotency.UNSAFE if force else Idempotency.SAFE
        )
        return ActionResult.model_validate(body)

    def resync(self, connection_id: str, *, scope: dict[str, list[str]] | None = None) -> ActionResult:
        """Historical re-sync of the whole connection, or of `scope` = {schema: [tables]}."""
        body: dict[str, Any] = {}
        if scope is not None:
            _check_tables(scope, "scope")
            body["scope"] = scope
        path = f"connections/{_segment(connection_id, 'connection_id')}/resync"
        return ActionResult.model_validate(self._request("POST", path, json=body, idempotency=Idempotency.UNSAFE))

    def resync_tables(self, connection_id: str, tables: dict[str, list[str]]) -> ActionResult:
        _check_tables(tables, "tables")
        path = f"connections/{_segment(connection_id, 'connection_id')}/schemas/tables/resync"
        return ActionResult.model_validate(self._request("POST", path, json=tables, idempotency=Idempotency.UNSAFE))

    def run_setup_tests(
        self,
        connection_id: str,
        *,
        trust_certificates: bool | None = None,
        trust_fingerprints: bool | None = None,
    ) -> Connection:
        body = {
            k: v
            for k, v in (("trust_certificates", trust_certificates), ("trust_fingerprints", trust_fingerprints))
            if v is not None
        }
        path = f"connections/{_segment(connection_id, 'connection_id')}/test"
        return Connection.model_validate(self._data("POST", path, json=body, timeout_class=SOURCE))

    # -- re-authorisation -----------------------------------------------------------------------------------
    def create_connect_card(
        self, connection_id: str, *, redirect_uri: str | None = None, hide_setup_guide: bool | None = None
    ) -> ConnectCard:
        config = {
            k: v for k, v in (("redirect_uri", redirect_uri), ("hide_setup_guide", hide_setup_guide)) if v is not None
        }
        path = f"connections/{_segment(connection_id, 'connection_id')}/connect-card"
        data = self._data("POST", path, json={"connect_card_config": config}, idempotency=Idempotency.UNSAFE)
        card = data.get("connect_card")
        if not isinstance(card, dict):
            raise FivetranError("answer has no connect_card", method="POST", path=path)
        return ConnectCard.model_validate({**card, "connection_id": data.get("connector_id", connection_id)})


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


# Connection fields whose new value reads back from GET /connections/{id} (so a write of them can be confirmed).
_READ_BACK = frozenset({"paused", "sync_frequency", "schedule_type", "daily_sync_time", "data_delay_sensitivity"})


def _utc(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("sync-history times must be timezone-aware")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _is_hour(value: str) -> bool:
    parts = value.split(":") if isinstance(value, str) else []
    return len(parts) == 2 and parts[1] == "00" and parts[0].isdigit() and len(parts[0]) == 2 and int(parts[0]) < 24


def _check_tables(tables: dict[str, list[str]], what: str) -> None:
    """Fivetran answers 400 to an empty scope or table list; say so before sending."""
    if not isinstance(tables, dict) or not tables:
        raise ValueError(f"{what} must map at least one schema to its tables")
    for schema, names in tables.items():
        if not isinstance(schema, str) or not schema:
            raise ValueError(f"{what}: schema names must be non-empty strings")
        if not isinstance(names, list) or not names or not all(isinstance(n, str) and n for n in names):
            raise ValueError(f"{what}[{schema!r}] must be a non-empty list of table names")
