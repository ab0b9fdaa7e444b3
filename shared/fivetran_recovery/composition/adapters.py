"""The real adapters of one process (one Lambda container, the local stack, a test), each built on first use
(no AWS client at import time: cold start) and kept for the life of the container.

Only the composition root reads this: each function's wiring module (`composition/<function>.py`) takes the
adapters its use case needs from here and passes them to the use case's constructor. Nothing below the
composition floor imports it. Tests and the local stack replace one adapter with `override(name=...)`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fivetran_recovery.config import PowertoolsSecrets, RecoveryConfig, SecretSource, get_recovery_config
from fivetran_recovery.settings import Settings, get_settings


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Adapters:
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

    def override(self, **values: Any) -> Adapters:
        """Replace adapters (fivetran, dispatcher, sfn, warehouse, secrets, dynamodb, ...): one line per swap."""
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
        return self._get("audit", self._build_audit)

    def _build_audit(self) -> Any:
        import boto3

        from fivetran_recovery.audit import AuditLog
        from fivetran_recovery.audit.seal import KmsMac, S3Anchors

        key, bucket = self.settings.audit_key_id, self.settings.audit_anchor_bucket
        return AuditLog(
            self.table(self.settings.audit_table),
            clock=self.clock,
            signer=KmsMac(lambda: boto3.client("kms"), key) if key else None,
            anchors=S3Anchors(lambda: boto3.client("s3"), bucket) if bucket else None,
        )

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

        return self._get("ledger", lambda: StepLedger(self.table(self.settings.idempotency_table), clock=self.clock,
                                                      lease_seconds=self.settings.step_lease_seconds))

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
            # Lazy: the channels' secrets are read on the first notice, not when a use case is wired.
            lambda: Dispatcher.lazy(
                lambda: build_notifiers(self.config, self.secrets, slack_secret_id=self.settings.slack_secret_id),
                owner_email=self._owner_email,
            ),
        )

    def _owner_email(self, connection_id: str, connection: Any = None) -> str | None:
        from fivetran_recovery.config import resolve_config_dir
        from fivetran_recovery.triage.routing import Routing, owner_email_lookup

        lookup = self._get(
            "owner_email", lambda: owner_email_lookup(Routing.load(resolve_config_dir() / "owners.yaml"))
        )
        return lookup(connection_id, connection)

    @property
    def warehouse(self) -> Any:
        from fivetran_recovery.recovery_sql.adapters import configured_warehouse

        return self._get("warehouse", lambda: configured_warehouse(self.config, self.secrets))

    @property
    def registry(self) -> Any:
        from fivetran_recovery.playbooks.registry import default_registry

        return self._get("registry", default_registry)

    @property
    def autonomy(self) -> Any:
        """Each playbook's earned stage (PLAYBOOK#<id> items in the incidents table)."""
        from fivetran_recovery.autonomy import DynamoStandingStore, EarnedAutonomy

        return self._get("autonomy", lambda: EarnedAutonomy(
            store=DynamoStandingStore(client=self.dynamodb_client, table_name=self.settings.incidents_table),
            audit=self.audit, clock=self.clock, promote_after=self.config.playbook_promote_after,
            initial_stage=self.config.playbook_initial_stage))


    @property
    def incidents(self) -> Any:
        from fivetran_recovery.stores.dynamodb_incidents import DynamoIncidentStore

        return self._get(
            "incidents",
            lambda: DynamoIncidentStore(client=self.dynamodb_client, table_name=self.settings.incidents_table),
        )


    @property
    def overrides(self) -> Any:
        """Operators' stops of automation per connection (the policy gate reads them; the console writes)."""
        from fivetran_recovery.policy.overrides import AutomationOverrides

        return self._get("overrides", lambda: AutomationOverrides(
            self.table(self.settings.incidents_table), audit=self.audit, clock=self.clock))


class LazyAdapters:
    """A handler's Adapters, built on first use (never at import time); tests and the local stack install their
    own with `use`."""

    def __init__(self) -> None:
        self._adapters: Adapters | None = None

    def use(self, adapters: Adapters | None) -> None:
        self._adapters = adapters

    def get(self) -> Adapters:
        if self._adapters is None:
            self._adapters = Adapters()
        return self._adapters
