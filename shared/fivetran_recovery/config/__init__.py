"""The ground floor: configuration and secret access, imported by whoever needs them, importing nothing of the
core (only `fivetran_recovery.settings`, its sibling).

- `RecoveryConfig` / `get_recovery_config`: the workflow's settings from the environment (notifiers, approvals,
  policy, warehouse), beside the core `Settings` in `fivetran_recovery.settings`;
- `SecretSource`, `PowertoolsSecrets`, `StaticSecrets`, `field`, `SecretMissing`: JSON secrets by id;
- `resolve_config_dir()`: the folder holding owners.yaml, maintenance.yaml and status_feeds.yaml (this package's own
  files, shipped in the layer, unless TRIAGE_CONFIG_DIR or an explicit path says otherwise).
"""

from fivetran_recovery.config.files import CONFIG_DIR_ENV, PACKAGED_CONFIG_DIR, resolve_config_dir
from fivetran_recovery.config.recovery import (
    WAREHOUSE_DIALECTS,
    ConnectionPolicy,
    RecoveryConfig,
    get_recovery_config,
)
from fivetran_recovery.config.secrets import PowertoolsSecrets, SecretMissing, SecretSource, StaticSecrets, field

__all__ = [
    "CONFIG_DIR_ENV",
    "PACKAGED_CONFIG_DIR",
    "WAREHOUSE_DIALECTS",
    "ConnectionPolicy",
    "PowertoolsSecrets",
    "RecoveryConfig",
    "SecretMissing",
    "SecretSource",
    "StaticSecrets",
    "field",
    "get_recovery_config",
    "resolve_config_dir",
]
