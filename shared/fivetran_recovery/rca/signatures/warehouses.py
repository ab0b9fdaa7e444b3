"""Destinations: Snowflake, BigQuery, Redshift, Databricks, ClickHouse messages and vendor codes."""

from fivetran_recovery.models.diagnosis import Category as C
from fivetran_recovery.rca.signatures.base import sig

SNOWFLAKE = "snowflake"
BIGQUERY = "bigquery"
REDSHIFT = "redshift"
DATABRICKS = "databricks"
CLICKHOUSE = "clickhouse"

SIGNATURES = [
    # --- Snowflake (error codes as printed by the JDBC/Python connectors: "000608 (57P03): ...")
    sig(
        "sf_warehouse_suspended",
        SNOWFLAKE,
        r"Warehouse '?[^'\n]{0,255}'? (is|was|has been) suspended|\b000608\b"
        r"|warehouse_suspended|suspended (due to|by) (a )?resource monitor|resource monitor .{0,60}(quota|limit)",
        C.DESTINATION,
        "warehouse_suspended",
        retryable=False,
        weight=0.93,
        explanation="the destination warehouse is suspended and does not auto-resume",
    ),
    sig(
        "sf_no_warehouse",
        SNOWFLAKE,
        r"No active warehouse selected|\b000606\b|does not have a current "
        r"(database|warehouse)|\b090105\b",
        C.DESTINATION,
        "destination_misconfigured",
        retryable=False,
        weight=0.9,
    ),
    sig(
        "sf_bad_login",
        SNOWFLAKE,
        r"Incorrect username or password (was )?specified|\b390100\b|\b390101\b"
        r"|JWT token is invalid|\b390144\b|\b390318\b|user .{0,40}(is )?(disabled|locked)|\b390102\b",
        C.CREDENTIAL,
        "invalid_credentials",
        retryable=False,
        weight=0.93,
    ),
    sig(
        "sf_token_expired",
        SNOWFLAKE,
        r"Authentication token has expired|\b390114\b|\b390195\b|session no longer exists|\b390112\b",
        C.CREDENTIAL,
        "credential_expiry",
        retryable=True,
        weight=0.85,
        explanation="a Snowflake session token expired; the client logs in again on retry",
    ),
    sig(
        "sf_role_not_granted",
        SNOWFLAKE,
        r"Role '?[^'\n]{0,255}'? specified in the connect string is not granted"
        r"|\b390189\b|Insufficient privileges to operate on|\b003001\b|does not exist or not authorized"
        r"|is not assigned to the executing user|SQL access control error|\b003013\b"
        r"|\b002003\b|requires (the )?\w+ privilege",
        C.PERMISSION,
        "permission_denied",
        retryable=False,
        weight=0.9,
    ),
    sig(
        "sf_network_policy",
        SNOWFLAKE,
        r"IP .{0,40} is not allowed to access Snowflake|\b390422\b",
        C.NETWORK,
        "ip_not_allowlisted",
        retryable=False,
        weight=0.93,
    ),
    sig(
        "sf_backend",
        SNOWFLAKE,
        r"Could not connect to Snowflake backend|\b250003\b",
        C.NETWORK,
        "transient_network_blip",
        retryable=True,
        weight=0.85,
    ),
    sig(
        "sf_statement_timeout",
        SNOWFLAKE,
        r"Statement reached its statement or warehouse timeout|\b000630\b"
        r"|\b000625\b|queued .{0,40}(too long|timeout)",
        C.DESTINATION,
        "warehouse_timeout",
        retryable=True,
        weight=0.85,
    ),
    sig(
        "sf_numeric",
        SNOWFLAKE,
        r"Numeric value '?[^'\n]{0,255}'? is not recognized|\b100038\b|\b100035\b"
        r"|Timestamp '?[^'\n]{0,255}'? is not recognized|\b100040\b|String '.{0,80}' is too long|\b100078\b",
        C.DATA_QUALITY,
        "invalid_value",
        retryable=False,
        weight=0.9,
    ),
    sig(
        "sf_duplicate_merge",
        SNOWFLAKE,
        r"Duplicate row detected during DML action|\b100090\b",
        C.DATA_QUALITY,
        "duplicate_primary_key",
        retryable=False,
        weight=0.92,
    ),
    sig(
        "sf_invalid_identifier",
        SNOWFLAKE,
        r"invalid identifier '[^']+'|\b000904\b",
        C.SCHEMA_DRIFT,
        "schema_change_incompatible",
        retryable=False,
        weight=0.85,
    ),
    # --- BigQuery (reason codes from the REST error payload, and the messages around them)
    sig(
        "bq_concurrency",
        BIGQUERY,
        r"too many concurrent queries|Exceeded rate limits:|too many table "
        r"(update|dml) operations|concurrent (DML|update)",
        C.DESTINATION,
        "warehouse_concurrency_limit",
        retryable=True,
        weight=0.9,
    ),
    sig(
        "bq_concurrent_update",
        BIGQUERY,
        r"Could not serialize access to table .{0,80}concurrent update"
        r"|Transaction is aborted due to concurrent update|aborted due to concurrent",
        C.DESTINATION,
        "concurrent_transaction_conflict",
        retryable=True,
        weight=0.92,
    ),
    sig(
        "bq_quota",
        BIGQUERY,
        r"quotaExceeded|Quota exceeded: Your (project|table|user)|exceeded quota for"
        r"|resourcesExceeded|Resources exceeded during query execution",
        C.DESTINATION,
        "warehouse_quota_exceeded",
        retryable=True,
        weight=0.88,
    ),
    sig(
        "bq_billing",
        BIGQUERY,
        r"billingNotEnabled|billing (is |has )?not (been )?enabled|billing account|accountDisabled"
        r"|has not enabled BigQuery|BigQuery API has "
        r"not been used",
        C.DESTINATION,
        "destination_misconfigured",
        retryable=False,
        weight=0.85,
    ),
    sig(
        "bq_access_denied",
        BIGQUERY,
        r"Access Denied: (BigQuery|Table|Dataset|Project)|bigquery\.\w+\.\w+ "
        r"permission|Permission \w+\.\w+\.\w+ denied|Fine-Grained Reader|Masked Get|Policy Tag"
        r"|row access polic",
        C.PERMISSION,
        "permission_denied",
        retryable=False,
        weight=0.9,
    ),
    sig(
        "bq_location",
        BIGQUERY,
        r"Cross-region|was not found in location|Dataset .{0,80} location"
        r"|cannot (read|write) .{0,40} different location",
        C.DESTINATION,
        "dataset_location_changed",
        retryable=False,
        weight=0.85,
    ),
    sig(
        "bq_schema",
        BIGQUERY,
        r"Provided Schema does not match|Field \S+ has changed (type|mode)|Cannot add "
        r"fields|Invalid schema update|schema .{0,30}(does not match|mismatch)",
        C.SCHEMA_DRIFT,
        "schema_change_incompatible",
        retryable=False,
        weight=0.88,
    ),
    sig(
        "bq_backend",
        BIGQUERY,
        r"backendError|\bbackend error\b|internalError|Retrying the job may solve the problem",
        C.DESTINATION,
        "warehouse_transient_error",
        retryable=True,
        weight=0.85,
    ),
    sig(
        "bq_response_too_large",
        BIGQUERY,
        r"Response too large to return|responseTooLarge",
        C.SOURCE_CONFIG,
        "query_result_too_large",
        retryable=False,
        weight=0.88,
    ),
    # --- Redshift (XX000 with internal codes; "Amazon](500310) Invalid operation")
    sig(
        "rs_serializable",
        REDSHIFT,
        r"Serializable isolation violation|\b1023\b.{0,40}isolation",
        C.DESTINATION,
        "concurrent_transaction_conflict",
        retryable=True,
        weight=0.93,
    ),
    sig(
        "rs_disk_full",
        REDSHIFT,
        r"Disk Full|\b1016\b.{0,40}disk|out of (disk|storage) space|no space left on "
        r"device|storage (quota|limit) (exceeded|reached)|DiskFull",
        C.DESTINATION,
        "out_of_capacity",
        retryable=False,
        weight=0.9,
    ),
    sig(
        "rs_resize",
        REDSHIFT,
        r"resize mode|cluster .{0,40}(is )?(resizing|being resized)|ClusterResizing",
        C.DESTINATION,
        "warehouse_resizing",
        retryable=True,
        weight=0.85,
    ),
    sig(
        "rs_cluster_state",
        REDSHIFT,
        r"cluster .{0,40}(is )?(paused|being (modified|rebooted))"
        r"|ClusterPaused|InvalidClusterState",
        C.DESTINATION,
        "warehouse_suspended",
        retryable=False,
        weight=0.85,
    ),
    sig(
        "rs_value",
        REDSHIFT,
        r"Value too long for (character )?type|Invalid digit, Value|Overflow for "
        r"(NUMERIC|integer)|Invalid timestamp format|Load into table .{0,60} failed\. {2}Check 'stl_load_errors'",
        C.DATA_QUALITY,
        "invalid_value",
        retryable=False,
        weight=0.88,
    ),
    # --- Databricks / Delta
    sig(
        "delta_concurrent",
        DATABRICKS,
        r"ConcurrentAppendException|ConcurrentDeleteReadException"
        r"|ConcurrentDeleteDeleteException|ConcurrentTransactionException|MetadataChangedException",
        C.DESTINATION,
        "concurrent_transaction_conflict",
        retryable=True,
        weight=0.9,
    ),
    sig(
        "delta_schema",
        DATABRICKS,
        r"DELTA_FAILED_TO_MERGE_FIELDS|Failed to merge (incompatible )?"
        r"(data types|fields)|A schema mismatch detected when writing to the Delta table",
        C.SCHEMA_DRIFT,
        "schema_change_incompatible",
        retryable=False,
        weight=0.9,
    ),
    sig(
        "dbx_cluster",
        DATABRICKS,
        r"cluster .{0,40}(terminated|is not running|does not exist)|SQL warehouse "
        r"(is )?(stopped|not running)",
        C.DESTINATION,
        "warehouse_suspended",
        retryable=True,
        weight=0.8,
    ),
    # --- ClickHouse
    sig(
        "ch_ast",
        CLICKHOUSE,
        r"AST is too big|Max query size exceeded|TOO_BIG_AST|\bcode: 168\b",
        C.DESTINATION,
        "query_too_complex",
        retryable=False,
        weight=0.9,
    ),
    sig(
        "ch_unfinished",
        CLICKHOUSE,
        r"\bUnfinished\b.{0,40}mutation|code: 341|waiting for (all )?mutations",
        C.DESTINATION,
        "warehouse_timeout",
        retryable=True,
        weight=0.85,
    ),
    sig(
        "ch_type_map",
        CLICKHOUSE,
        r"can't map type \w+|cannot map type",
        C.SCHEMA_DRIFT,
        "column_type_change",
        retryable=False,
        weight=0.85,
    ),
    sig(
        "ch_memory_query",
        CLICKHOUSE,
        r"Memory limit \(for query\) exceeded",
        C.DESTINATION,
        "out_of_capacity",
        retryable=False,
        weight=0.9,
        explanation="one query needs more memory than its limit allows; the same query fails again",
    ),
    sig(
        "ch_memory_shared",
        CLICKHOUSE,
        r"Memory limit \((total|for user)\) exceeded|MEMORY_LIMIT_EXCEEDED|\bcode: 241\b",
        C.DESTINATION,
        "out_of_capacity",
        retryable=True,
        weight=0.88,
        explanation="the server or user memory is taken by other queries; it frees up as they finish",
    ),
    sig(
        "ch_admission",
        CLICKHOUSE,
        r"Too many (simultaneous|concurrent) queries|TOO_MANY_SIMULTANEOUS_QUERIES|\bcode: 202\b"
        r"|Too many parts \(\d+\)|TOO_MANY_PARTS|Merges are processing significantly slower",
        C.DESTINATION,
        "warehouse_concurrency_limit",
        retryable=True,
        weight=0.88,
        explanation="the server rejects work until running queries or merges catch up; retry with backoff",
    ),
    sig(
        "ch_parse",
        CLICKHOUSE,
        r"Cannot parse (input|text)|CANNOT_PARSE_\w+|text \\?\"[^\"\n]{0,200}\\?\" is not like "
        r"(U?Int|Float|Decimal|Date|DateTime|UUID|IPv)\w*",
        C.DATA_QUALITY,
        "invalid_value",
        retryable=False,
        weight=0.88,
        explanation="rows in the load do not parse as the column types",
    ),
    # --- generic destination capacity words
    sig(
        "dest_capacity",
        "destination",
        r"warehouse .{0,40}(capacity|overloaded|queue (is )?full)|"
        r"(storage|disk) quota|out of (capacity|resources)|too many (pending|queued) (queries|jobs)",
        C.DESTINATION,
        "out_of_capacity",
        retryable=True,
        weight=0.75,
    ),
]
