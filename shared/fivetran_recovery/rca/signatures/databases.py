"""Source and destination databases: PostgreSQL, MySQL, SQL Server, Oracle messages and vendor codes,
plus SQLSTATE classes (ISO/IEC 9075, PostgreSQL appendix A) and JDBC exception classes."""

from fivetran_recovery.models.diagnosis import Category as C
from fivetran_recovery.rca.signatures.base import sig

PG = "postgres"
MYSQL = "mysql"
MSSQL = "sqlserver"
ORACLE = "oracle"
SQLSTATE = "sqlstate"
JDBC = "jdbc"

_STATE = r"(?:(?:SQLSTATE|SQL ?state|sql_state|state code|state)[\s:=\[(\"']*|\b\d{6} \()"

SIGNATURES = [
    # --- PostgreSQL
    sig(
        "pg_password_failed",
        PG,
        r"password authentication failed|no password supplied|"
        r"role \"[^\"]+\" does not exist|PAM authentication failed|Ident authentication failed",
        C.CREDENTIAL,
        "invalid_credentials",
        retryable=False,
        weight=0.92,
    ),
    sig(
        "pg_permission",
        PG,
        r"permission denied for (table|relation|schema|database|sequence|view|function)"
        r"|must be (the )?owner of|must be superuser|must have (the )?(replication|REPLICATION) (attribute|role)"
        r"|only superusers? can",
        C.PERMISSION,
        "permission_denied",
        retryable=False,
        weight=0.92,
    ),
    sig(
        "pg_slot_missing",
        PG,
        r"replication slot \"?[\w.]+\"? does not exist|slot .{0,40}(has been |was )?"
        r"(invalidated|dropped)|conflicted with recovery|replication slot .{0,60}(lost|invalid)",
        C.SOURCE_CONFIG,
        "replication_slot_lost",
        retryable=False,
        weight=0.92,
    ),
    sig(
        "pg_slot_active",
        PG,
        r"replication slot \"?[\w.]+\"? is active|Replication Slot Concurrency"
        r"|slot .{0,40}is (already )?in use|replication slot .{0,60}already exists|creation of replication slot failed"
        r"|distinct replication slot|replication slots are in use",
        C.SOURCE_CONFIG,
        "replication_slot_in_use",
        retryable=False,
        weight=0.9,
    ),
    sig(
        "pg_wal_removed",
        PG,
        r"requested WAL segment .{0,60}has already been removed|last tracked LSN|"
        r"PostgresLsn|WAL (position|segment).{0,40}(missing|removed|ahead)|LSN .{0,40}ahead of",
        C.SOURCE_CONFIG,
        "wal_position_lost",
        retryable=False,
        weight=0.9,
    ),
    sig(
        "pg_wal_level",
        PG,
        r"wal_level|logical decoding requires|max_replication_slots|max_wal_senders"
        r"|logical replication|pgoutput|test_decoding|publication \"?[\w.]+\"? does not exist|wal2json",
        C.SOURCE_CONFIG,
        "replication_misconfigured",
        retryable=False,
        weight=0.75,
    ),
    sig(
        "pg_xmin",
        PG,
        r"transaction ID (has )?moved backwards|xmin|wraparound",
        C.SOURCE_CONFIG,
        "source_failover_cursor_invalid",
        retryable=False,
        weight=0.8,
    ),
    sig(
        "too_many_connections",
        PG,
        r"too many (connections|clients)|remaining connection slots are reserved"
        r"|connection limit .{0,30}exceeded|max_connections|Too many connections",
        C.SOURCE_CONFIG,
        "connection_limit_exceeded",
        retryable=True,
        weight=0.85,
    ),
    sig(
        "pg_admin_shutdown",
        PG,
        r"terminating connection due to administrator command|the database system is "
        r"(starting up|shutting down|in recovery mode|not yet accepting connections)|server conn crashed"
        r"|canceling statement due to conflict with recovery|\b57P0[123]\b",
        C.NETWORK,
        "database_restarting",
        retryable=True,
        weight=0.85,
    ),
    sig(
        "pg_db_missing",
        PG,
        r"database \"[^\"]+\" does not exist|Unknown database",
        C.SOURCE_CONFIG,
        "broken_setup",
        retryable=False,
        weight=0.85,
    ),
    # --- MySQL / MariaDB (client and server error numbers)
    sig(
        "mysql_access_denied_login",
        MYSQL,
        r"Access denied for user '[^'\n]{0,255}'@'[^'\n]{0,255}' \(using password",
        C.CREDENTIAL,
        "invalid_credentials",
        retryable=False,
        weight=0.93,
    ),
    sig(
        "mysql_access_denied_object",
        MYSQL,
        r"Access denied for user '[^'\n]{0,255}'@'[^'\n]{0,255}' to database|command denied "
        r"to user|Access denied; you need (at least one of )?the .{0,60}privilege|\bREPLICATION (SLAVE|CLIENT)\b",
        C.PERMISSION,
        "permission_denied",
        retryable=False,
        weight=0.92,
    ),
    sig(
        "mysql_binlog_purged",
        MYSQL,
        r"binary logs? (were|was|have been|has been) purged|Could not find first log "
        r"file name in binary log index|binlog (position|file) .{0,40}(not found|no longer|missing|purged)"
        r"|master has purged binary logs|\b1236\b|binlog .{0,160}(is )?no longer available"
        r"|binlog .{0,60}is not available",
        C.SOURCE_CONFIG,
        "binlog_position_lost",
        retryable=False,
        weight=0.92,
    ),
    sig(
        "mysql_binlog_config",
        MYSQL,
        r"binlog_format|binlog_row_image|Binary logging must be enabled|log_bin"
        r"|binary log(ging)? (is )?(not )?(enabled|disabled)|binlog_expire|expire_logs_days|gtid_mode"
        r"|not full mode event|row image",
        C.SOURCE_CONFIG,
        "binlog_misconfigured",
        retryable=False,
        weight=0.85,
    ),
    sig(
        "mysql_gone_away",
        MYSQL,
        r"MySQL server has gone away|Lost connection to MySQL server|Can't connect to "
        r"MySQL server|Lost connection to (\w+ )?server|\b(2003|2006|2013)\b.{0,20}(HY000|MySQL)",
        C.NETWORK,
        "connection_dropped",
        retryable=True,
        weight=0.85,
    ),
    sig(
        "mysql_buffer_pool",
        MYSQL,
        r"innodb_buffer_pool_size|max_allowed_packet|innodb_log_file_size",
        C.DESTINATION,
        "destination_db_misconfigured",
        retryable=False,
        weight=0.6,
    ),
    # --- SQL Server / Azure SQL
    sig(
        "mssql_login_failed",
        MSSQL,
        r"Login failed for user|\b18456\b|Cannot open database .{0,80}requested by "
        r"the login",
        C.CREDENTIAL,
        "invalid_credentials",
        retryable=False,
        weight=0.9,
    ),
    sig(
        "mssql_permission",
        MSSQL,
        r"The (SELECT|INSERT|UPDATE|DELETE|EXECUTE|ALTER|VIEW \w+ STATE|CONTROL) "
        r"permission was denied|VIEW (SERVER|DATABASE) STATE permission|permission was denied on the object",
        C.PERMISSION,
        "permission_denied",
        retryable=False,
        weight=0.92,
    ),
    sig(
        "mssql_change_tracking",
        MSSQL,
        r"change tracking (is )?not enabled|Change Data Capture|CDC (is )?not "
        r"enabled|change tracking .{0,60}(cleaned up|retention|min(imum)? valid version)|CHANGE_TRACKING_MIN_VALID"
        r"|sys\.sp_cdc",
        C.SOURCE_CONFIG,
        "change_tracking_misconfigured",
        retryable=False,
        weight=0.88,
    ),
    sig(
        "mssql_tcp_failed",
        MSSQL,
        r"The TCP/IP connection to the host .{0,120}has failed|\b(40613|40197|40501|"
        r"49918|49919|49920|10928|10929)\b|is not currently available\. Please retry",
        C.NETWORK,
        "transient_network_blip",
        retryable=True,
        weight=0.85,
    ),
    sig(
        "mssql_log_full",
        MSSQL,
        r"transaction log for database .{0,60}is full|\b9002\b",
        C.SOURCE_CONFIG,
        "transaction_log_full",
        retryable=False,
        weight=0.85,
    ),
    # --- Oracle
    sig(
        "ora_bad_login",
        ORACLE,
        r"ORA-01017|ORA-28000|ORA-01005|invalid username/password",
        C.CREDENTIAL,
        "invalid_credentials",
        retryable=False,
        weight=0.93,
    ),
    sig(
        "ora_password_expired",
        ORACLE,
        r"ORA-28001|ORA-28002|password (has )?expired|password will expire",
        C.CREDENTIAL,
        "credential_expiry",
        retryable=False,
        weight=0.93,
    ),
    sig(
        "ora_privileges",
        ORACLE,
        r"ORA-01031|ORA-01749|ORA-00942|ORA-01924|ORA-41\d{3}",
        C.PERMISSION,
        "permission_denied",
        retryable=False,
        weight=0.8,
    ),
    sig(
        "ora_snapshot_too_old",
        ORACLE,
        r"ORA-01555|ORA-22924|snapshot too old",
        C.SOURCE_CONFIG,
        "undo_retention_too_small",
        retryable=False,
        weight=0.9,
    ),
    sig(
        "ora_logminer",
        ORACLE,
        r"ORA-01291|ORA-01292|ORA-01284|ORA-00308|ORA-16\d{3}|ORA-01325|ORA-00257"
        r"|LogMiner|archive ?log|supplement(al)? ?log|ARCHIVELOG|CONTINUOUS_MINE|DBMS?N?S?_LOGMNR|LOGMNR",
        C.SOURCE_CONFIG,
        "archive_log_unavailable",
        retryable=False,
        weight=0.88,
    ),
    sig(
        "ora_network",
        ORACLE,
        r"ORA-12(170|500|505|514|516|518|519|520|521|528|537|541|543|545|547|560|571)"
        r"|ORA-0311[34]|ORA-03135|TNS[: ]|Listener Refused|IO Error: (Got minus one|The Network Adapter)",
        C.NETWORK,
        "transient_network_blip",
        retryable=True,
        weight=0.85,
    ),
    sig(
        "ora_unique",
        ORACLE,
        r"ORA-00001|unique constraint .{0,60}violated",
        C.DATA_QUALITY,
        "duplicate_primary_key",
        retryable=False,
        weight=0.9,
    ),
    sig(
        "ora_invalid_identifier",
        ORACLE,
        r"ORA-00904|invalid identifier",
        C.SCHEMA_DRIFT,
        "schema_change_incompatible",
        retryable=False,
        weight=0.8,
    ),
    sig(
        "ora_data",
        ORACLE,
        r"ORA-01400|ORA-12899|ORA-01722|ORA-01843|ORA-01861|ORA-01438|ORA-01841",
        C.DATA_QUALITY,
        "invalid_value",
        retryable=False,
        weight=0.85,
    ),
    sig(
        "ora_space",
        ORACLE,
        r"ORA-0165[3-9]|ORA-01688|ORA-01536|unable to extend",
        C.SOURCE_CONFIG,
        "storage_exhausted",
        retryable=False,
        weight=0.8,
    ),
    sig(
        "ora_deadlock",
        ORACLE,
        r"ORA-00060|ORA-00054|resource busy and acquire with NOWAIT",
        C.DESTINATION,
        "concurrent_transaction_conflict",
        retryable=True,
        weight=0.85,
    ),
    # --- DB2 for i / Fivetran HVR-style F_J codes
    sig(
        "db2_journal",
        "db2",
        r"Not Journaled|SQL0443|journal(ing)? (is )?not (enabled|active)",
        C.SOURCE_CONFIG,
        "journaling_not_enabled",
        retryable=False,
        weight=0.85,
    ),
    # --- SQLSTATE classes (ISO SQL / PostgreSQL / JDBC)
    sig(
        "sqlstate_08",
        SQLSTATE,
        _STATE + r"08(000|001|003|004|006|007|S01|P01)\b",
        C.NETWORK,
        "transient_network_blip",
        retryable=True,
        weight=0.85,
    ),
    sig(
        "sqlstate_28",
        SQLSTATE,
        _STATE + r"28(000|P01)\b",
        C.CREDENTIAL,
        "invalid_credentials",
        retryable=False,
        weight=0.9,
    ),
    sig(
        "sqlstate_42501", SQLSTATE, _STATE + r"42501\b", C.PERMISSION, "permission_denied", retryable=False, weight=0.92
    ),
    sig(
        "sqlstate_undefined",
        SQLSTATE,
        _STATE + r"42(P01|703|S02|S22|S12)\b|\b42S(02|22)\b",
        C.SCHEMA_DRIFT,
        "schema_change_incompatible",
        retryable=False,
        weight=0.8,
    ),
    sig(
        "sqlstate_datatype",
        SQLSTATE,
        _STATE + r"42804\b",
        C.SCHEMA_DRIFT,
        "schema_change_incompatible",
        retryable=False,
        weight=0.85,
    ),
    sig(
        "sqlstate_23505",
        SQLSTATE,
        _STATE + r"23(505|000)\b|\b23505\b",
        C.DATA_QUALITY,
        "duplicate_primary_key",
        retryable=False,
        weight=0.9,
    ),
    sig(
        "sqlstate_23502",
        SQLSTATE,
        _STATE + r"23502\b",
        C.DATA_QUALITY,
        "missing_primary_key",
        retryable=False,
        weight=0.85,
    ),
    sig(
        "sqlstate_22",
        SQLSTATE,
        _STATE + r"22(001|003|007|008|012|018|021|P02|P05)\b",
        C.DATA_QUALITY,
        "invalid_value",
        retryable=False,
        weight=0.85,
    ),
    sig(
        "sqlstate_40",
        SQLSTATE,
        _STATE + r"40(001|P01)\b|\b40001\b",
        C.DESTINATION,
        "concurrent_transaction_conflict",
        retryable=True,
        weight=0.85,
    ),
    sig(
        "sqlstate_53",
        SQLSTATE,
        _STATE + r"53(000|100|200|300|400)\b",
        C.DESTINATION,
        "out_of_capacity",
        retryable=True,
        weight=0.75,
    ),
    sig(
        "sqlstate_57",
        SQLSTATE,
        _STATE + r"57(P01|P02|P03|014)\b",
        C.NETWORK,
        "database_restarting",
        retryable=True,
        weight=0.75,
    ),
    sig(
        "sqlstate_55",
        SQLSTATE,
        _STATE + r"55000\b",
        C.SOURCE_CONFIG,
        "replication_misconfigured",
        retryable=False,
        weight=0.6,
    ),
    # --- JDBC exception classes that carry meaning on their own
    sig(
        "jdbc_auth_spec",
        JDBC,
        r"SQLInvalidAuthorizationSpecException",
        C.CREDENTIAL,
        "invalid_credentials",
        retryable=False,
        weight=0.85,
    ),
    sig(
        "jdbc_integrity",
        JDBC,
        r"SQLIntegrityConstraintViolationException",
        C.DATA_QUALITY,
        "duplicate_primary_key",
        retryable=False,
        weight=0.7,
    ),
    sig(
        "jdbc_timeout",
        JDBC,
        r"SQLTimeoutException|QueryTimeoutException|statement timeout|canceling statement "
        r"due to (statement|user request|lock) timeout|query (was )?(cancel(l)?ed|aborted) .{0,30}timeout",
        C.NETWORK,
        "query_timeout",
        retryable=True,
        weight=0.7,
    ),
    sig(
        "jvm_oom",
        JDBC,
        r"OutOfMemoryError|GC overhead limit exceeded|Java heap space",
        C.FIVETRAN_INTERNAL,
        "resource_exhausted",
        retryable=True,
        weight=0.7,
    ),
]
