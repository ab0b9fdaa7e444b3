"""The adapters the workflow functions use, built lazily from settings (no AWS clients at import time) and
replaceable one by one in tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fivetran_recovery.settings import Settings, get_settings
from fivetran_recovery.workflow.config import RecoveryConfig, get_recovery_config
from fivetran_recovery.workflow.secrets import PowertoolsSecrets, SecretSource


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    settings: Settings = field(default_factory=get_settings)
    config: RecoveryConfig = field(default_factory=get_recovery_config)
    clock: Callable[[], datetime] = utc_now
    _cache: dict[str, Any] = field(default_factory=dict)

    def cached(self, name: str, build: Callable[[], Any]) -> Any:
        """The adapter `name`, built by `build` on first use and kept for the life of the container."""
        if name not in self._cache:
            self._cache[name] = build()
        return self._cache[name]

    _get = cached

    def override(self, **values: Any) -> Services:
        """Replace adapters (fivetran, dispatcher, sfn, warehouse, secrets, dynamodb, ...) for tests."""
        self._cache.update(values)
        return self

    @property
    def dynamodb(self) -> Any:
        import boto3

        return self._get("dynamodb", lambda: boto3.resource("dynamodb"))

    @property
    def dynamodb_client(self) -> Any:
        import boto3

        # A plain client: the resource's meta client would re-serialise the stores' typed items.
        return self._get("dynamodb_client", lambda: boto3.client("dynamodb"))

    def table(self, name: str) -> Any:
        return self._get(f"table:{name}", lambda: self.dynamodb.Table(name))

    @property
    def sfn(self) -> Any:
        import boto3

        return self._get("sfn", lambda: boto3.client("stepfunctions"))

    @property
    def secrets(self) -> SecretSource:
        return self._get("secrets", lambda: PowertoolsSecrets(self.settings.secrets_max_age_seconds))

    @property
    def fivetran(self) -> Any:
        from fivetran_recovery.fivetran import FivetranClient

        return self._get("fivetran", lambda: FivetranClient.from_settings(self.settings))

    @property
    def audit(self) -> Any:
        from fivetran_recovery.audit import AuditLog

        return self._get("audit", lambda: AuditLog(self.table(self.settings.audit_table), clock=self.clock))

    @property
    def approvals(self) -> Any:
        from fivetran_recovery.approvals.store import ApprovalStore

        return self._get(
            "approvals", lambda: ApprovalStore(self.table(self.settings.approvals_table), clock=self.clock)
        )

    @property
    def records(self) -> Any:
        from fivetran_recovery.workflow.records import WorkflowRecords

        return self._get(
            "records",
            lambda: WorkflowRecords(
                self.table(self.settings.incidents_table),
                client=self.dynamodb_client,
                settings=self.settings,
                clock=self.clock,
            ),
        )

    @property
    def ledger(self) -> Any:
        from fivetran_recovery.remediation.ledger import StepLedger

        return self._get("ledger", lambda: StepLedger(self.table(self.settings.idempotency_table), clock=self.clock))

    @property
    def history(self) -> Any:
        from fivetran_recovery.stores.dynamodb_history import DynamoHistoryStore

        return self._get(
            "history", lambda: DynamoHistoryStore(client=self.dynamodb_client, table_name=self.settings.history_table)
        )

    @property
    def dispatcher(self) -> Any:
        from fivetran_recovery.notifiers import Dispatcher, build_notifiers

        return self._get(
            "dispatcher",
            lambda: Dispatcher(
                build_notifiers(self.config, self.secrets, slack_secret_id=self.settings.slack_secret_id)
            ),
        )

    @property
    def warehouse(self) -> Any:
        from fivetran_recovery.recovery_sql import warehouse_from_url

        return self._get("warehouse", lambda: warehouse_from_url(self.config.warehouse_url))

    @property
    def registry(self) -> Any:
        from fivetran_recovery.playbooks.registry import default_registry

        return self._get("registry", default_registry)


class LazyServices:
    """A handler's Services, built on first use (never at import time); tests swap them with `use`."""

    def __init__(self) -> None:
        self._services: Services | None = None

    def use(self, services: Services | None) -> None:
        self._services = services

    def get(self) -> Services:
        if self._services is None:
            self._services = Services()
        return self._services
