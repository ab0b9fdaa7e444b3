"""Fivetran's own vocabulary: sync statuses, task types, warning codes, setup states and platform errors."""

from fivetran_recovery.models.diagnosis import Category as C
from fivetran_recovery.rca.signatures.base import sig

FAMILY = "fivetran"

SIGNATURES = [
    sig(
        "ft_message_position",
        FAMILY,
        r"message position is .{0,40}when expected|pipeline queue",
        C.FIVETRAN_INTERNAL,
        "concurrent_sync_conflict",
        retryable=False,
        weight=0.9,
    ),
    sig(
        "ft_concurrent_sync",
        FAMILY,
        r"sync (is )?already (running|in progress)|Failed to stop in-progress sync"
        r"|concurrent syncs?",
        C.FIVETRAN_INTERNAL,
        "concurrent_sync_conflict",
        retryable=True,
        weight=0.75,
    ),
    sig(
        "ft_platform",
        FAMILY,
        r"connectors are experiencing (delays|intermittent)|Fivetran (is )?"
        r"(experiencing|investigating)|(internal|unexpected) (server )?error (occurred|on our side|in fivetran)"
        r"|contact (fivetran )?support|an internal error|teleport sync error|Fivetran Incident",
        C.FIVETRAN_INTERNAL,
        "platform_outage",
        retryable=True,
        weight=0.75,
    ),
    sig(
        "ft_paused",
        FAMILY,
        r"cannot be synced as it is currently paused|connect(or|ion) (is )?(currently )?"
        r"paused|paused_connector",
        C.SOURCE_CONFIG,
        "connector_paused",
        retryable=False,
        weight=0.9,
    ),
    sig(
        "ft_setup_incomplete",
        FAMILY,
        r"setup (tests? )?(is )?(incomplete|failed|broken)|setup_state|"
        r"connection (setup )?is broken|Test grants failed|setup test",
        C.SOURCE_CONFIG,
        "broken_setup",
        retryable=False,
        weight=0.6,
    ),
    sig(
        "ft_excluded",
        FAMILY,
        r"Excluded by system|table_excluded_by_system|Not queryable|not supported by "
        r"the (api|connector)",
        C.SOURCE_CONFIG,
        "table_excluded_not_queryable",
        retryable=False,
        weight=0.85,
    ),
    sig(
        "ft_null_primary_key",
        FAMILY,
        r"null_primary_key|null (value in )?primary key|primary key .{0,30}"
        r"(is )?null|no primary keys? (for|defined|in)|missing primary key",
        C.DATA_QUALITY,
        "missing_primary_key",
        retryable=False,
        weight=0.85,
    ),
    sig(
        "ft_schema_reset",
        FAMILY,
        r"schema definition changes|fivetran reset|schema changes? (made )?during "
        r"(the )?sync|Failed to sync endpoint\(s\)",
        C.SCHEMA_DRIFT,
        "schema_change_during_sync",
        retryable=False,
        weight=0.75,
    ),
    sig(
        "ft_rescheduled",
        FAMILY,
        r"rescheduled|waiting until more API calls are available",
        C.SOURCE_API_LIMIT,
        "rate_limit",
        retryable=True,
        weight=0.55,
    ),
    sig(
        "ft_intended_reschedule",
        FAMILY,
        r"force flush data|This is intended behavior",
        C.FIVETRAN_INTERNAL,
        "intended_reschedule",
        retryable=True,
        weight=0.9,
    ),
    sig(
        "ft_user_cancel",
        FAMILY,
        r"cancell?ed because of a user action|Standard Config updated",
        C.SOURCE_CONFIG,
        "canceled_by_user",
        retryable=True,
        weight=0.85,
    ),
    sig(
        "ft_sdk_oom",
        FAMILY,
        r"Syncs Are Repeatedly Rescheduled|exceeded (the )?memory|memory limit",
        C.FIVETRAN_INTERNAL,
        "resource_exhausted",
        retryable=True,
        weight=0.7,
    ),
    sig(
        "ft_dbt_project",
        FAMILY,
        r"dbt_project\.yml|packages\.yml|dbt deps",
        C.SOURCE_CONFIG,
        "project_config_missing",
        retryable=False,
        weight=0.75,
    ),
    sig(
        "ft_dependency",
        FAMILY,
        r"dtype size changed|binary incompatibility|ModuleNotFoundError|ImportError"
        r"|No module named|package incompatib",
        C.SOURCE_CONFIG,
        "dependency_incompatibility",
        retryable=False,
        weight=0.8,
    ),
]

# Fivetran `taskType` / `tasks[].code` (the user action Fivetran asks for) -> what it says about the cause.
TASK_TYPES: dict[str, tuple[C, str, str]] = {
    "reconnect": (C.CREDENTIAL, "credential_expiry", "Fivetran asks for the connection to be re-authorized"),
    "reauthorize": (C.CREDENTIAL, "credential_expiry", "Fivetran asks for the connection to be re-authorized"),
    "update_credentials": (C.CREDENTIAL, "invalid_credentials", "Fivetran asks for new credentials"),
    "reconnect_warehouse": (C.DESTINATION, "destination_misconfigured", "Fivetran asks to reconnect the destination"),
    "update_service_account": (C.PERMISSION, "permission_denied", "Fivetran asks for the service account's grants"),
    "resync_table_warning": (C.SCHEMA_DRIFT, "schema_change_incompatible", "a table needs a re-sync"),
    "enable_binlog": (C.SOURCE_CONFIG, "binlog_misconfigured", "binary logging must be enabled"),
    "fix_setup": (C.SOURCE_CONFIG, "broken_setup", "the connection setup must be fixed"),
}
