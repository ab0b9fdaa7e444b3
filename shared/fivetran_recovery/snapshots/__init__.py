"""Last known-good schema snapshots per connection, and the structured diff against the current schema config.

Fivetran keeps no history of schema configs, so we keep one ourselves: taken after a successful sync that
follows a schema event (or when the connection has none yet), and by the scheduled sweep. The diff between it
and the current config is the only thing allowed to scope a schema-change action on its own.
"""

from fivetran_recovery.snapshots.diff import SchemaDiff, diff_schemas, schema_tables
from fivetran_recovery.snapshots.keeper import SnapshotKeeper
from fivetran_recovery.snapshots.store import DynamoSnapshotStore, MemorySnapshotStore, Snapshot, SnapshotStore

__all__ = [
    "DynamoSnapshotStore",
    "MemorySnapshotStore",
    "SchemaDiff",
    "Snapshot",
    "SnapshotKeeper",
    "SnapshotStore",
    "diff_schemas",
    "schema_tables",
]
