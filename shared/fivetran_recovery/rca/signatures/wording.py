"""Plain-language wording of the same families, for sources that print no vendor code (SaaS APIs, pipeline
tools' own messages): weaker weights than the code-based signatures, so a code always wins when present."""

from fivetran_recovery.models.diagnosis import Category as C
from fivetran_recovery.rca.signatures.base import sig

FAMILY = "wording"

SIGNATURES = [
    # --- permission
    sig(
        "role_restrictions",
        FAMILY,
        r"permission violation|restrictions on your role|not authori[sz]ed (on|to|for)"
        r"|do(es)? not have (the )?[\w.]+ (permission|access|privileges?)|does not have [\w.]+ (permission|access)"
        r"|do not have permission|have no permission|View All Data|requires? (the )?\w+ (role|privilege)",
        C.PERMISSION,
        "permission_denied",
        retryable=False,
        weight=0.75,
        explanation="the user or role lacks a permission the sync needs",
    ),
    sig(
        "cannot_list_or_create",
        FAMILY,
        r"(could not|unable to|cannot) (list|enumerate) (the )?(databases|tables|schemas)"
        r"|error while attempting to create (a |new )?(schema|table|dataset|database)"
        r"|(could not|unable to|cannot) create (the )?(schema|dataset|database)\b",
        C.PERMISSION,
        "permission_denied",
        retryable=False,
        weight=0.55,
        explanation="listing or creating objects failed, usually for lack of privileges",
    ),
    # --- credentials
    sig(
        "token_wording",
        FAMILY,
        r"(access|refresh|auth(entication)?|oauth|api) token (is )?(missing|invalid|expired|revoked)"
        r"(?! the required scope)"
        r"|token .{0,30}(invalid, expired|expired or revoked|missing, invalid)",
        C.CREDENTIAL,
        "credential_expiry",
        retryable=False,
        weight=0.85,
        explanation="the token is missing, expired or revoked; re-authorize",
    ),
    sig(
        "missing_password",
        FAMILY,
        r"password (is )?(empty|missing|blank|required|not (set|provided))|no password (given|set)"
        r"|credentials? (are |is )?(missing|not (set|provided|configured))|Authentication failed"
        r"|credential being missing|missing credentials?",
        C.CREDENTIAL,
        "invalid_credentials",
        retryable=False,
        weight=0.75,
        explanation="no usable credentials were presented",
    ),
    # --- source API limits
    sig(
        "concurrency_limit",
        FAMILY,
        r"concurrent (request|requests|session|sessions|connection|connections) "
        r"(limit|exceeded)|maximum number of concurrent|too many (concurrent|simultaneous|parallel) (?!quer)"
        r"|simultaneous requests|concurrency limit",
        C.SOURCE_API_LIMIT,
        "rate_limit",
        retryable=True,
        weight=0.75,
        explanation="the source allows only so many concurrent requests; waiting frees a slot",
    ),
    # --- network / TLS / availability
    sig(
        "client_certificate",
        FAMILY,
        r"valid client certificate|client certificate|SSL (is |connection is )?required"
        r"|requires? (an )?SSL|prematurely reached end of (file|stream)|SSL (mode|configuration)",
        C.NETWORK,
        "tls_misconfigured",
        retryable=False,
        weight=0.75,
        explanation="the TLS/SSL settings of the connection do not match what the server requires",
    ),
    sig(
        "ip_rules",
        FAMILY,
        r"ip ?address rules|does not match any of the ip|ip (allow|white|safe)list|not whitelisted",
        C.NETWORK,
        "ip_not_allowlisted",
        retryable=False,
        weight=0.85,
        explanation="the source refuses the pipeline's IP address; allow-list it",
    ),
    sig(
        "maintenance",
        FAMILY,
        r"(scheduled |planned )?maintenance|temporarily unavailable|currently unavailable"
        r"|service (is )?down|try again later",
        C.NETWORK,
        "source_service_unavailable",
        retryable=True,
        weight=0.7,
        explanation="the source service is temporarily unavailable",
    ),
    # --- source configuration (replication logs, server settings)
    sig(
        "binlog_wording",
        FAMILY,
        r"binary log\(?s?\)? .{0,60}no longer exist|requested position .{0,120}greater than (the )?"
        r"current position|log file .{0,40}(no longer exists|was removed|has been removed)",
        C.SOURCE_CONFIG,
        "binlog_position_lost",
        retryable=False,
        weight=0.85,
        explanation="the replication log position is gone from the server; a re-sync is needed",
    ),
    sig(
        "server_identity",
        FAMILY,
        r"server[_ ]?(uuid|id)\b|Misconfigured master|same server",
        C.SOURCE_CONFIG,
        "binlog_misconfigured",
        retryable=False,
        weight=0.7,
        explanation="the server's replication identity is misconfigured",
    ),
    sig(
        "replica_recovery",
        FAMILY,
        r"recovery is in progress|cannot be executed during recovery|read[- ]only (replica|standby)"
        r"|hot[_ ]standby|is a (read )?replica",
        C.SOURCE_CONFIG,
        "replication_misconfigured",
        retryable=False,
        weight=0.7,
        explanation="log-based replication needs a primary, not a read replica in recovery",
    ),
    sig(
        "read_only_source",
        FAMILY,
        r"shared database|read-only (database|transaction)|database is read[- ]only"
        r"|in a read-only transaction",
        C.SOURCE_CONFIG,
        "read_only_database",
        retryable=False,
        weight=0.7,
        explanation="the database is read-only where the sync needs to write working tables",
    ),
    sig(
        "feature_disabled",
        FAMILY,
        r"(have|has) not enabled .{0,60}(feature|for (your|this) account)|feature .{0,40}"
        r"(is )?not enabled|not enabled for (your|this) (account|organization|org)",
        C.SOURCE_CONFIG,
        "feature_not_enabled",
        retryable=False,
        weight=0.7,
        explanation="a feature the sync needs is not enabled on the source account",
    ),
    # --- schema drift
    sig(
        "schema_conformance",
        FAMILY,
        r"(did|does) not conform to (the )?schema|schema violation|multiple data ?types"
        r"|primary keys? .{0,40}do(es)? not match|keys for table do not match|valid output schema",
        C.SCHEMA_DRIFT,
        "schema_change_incompatible",
        retryable=False,
        weight=0.75,
        explanation="the data no longer fits the table's schema after a source change",
    ),
    # --- data quality
    sig(
        "non_nullable",
        FAMILY,
        r"non-nullable column|NULL result in a non|null value in (a )?not[- ]null",
        C.DATA_QUALITY,
        "missing_primary_key",
        retryable=False,
        weight=0.8,
        explanation="a null arrived where the destination requires a value (often a primary key)",
    ),
    sig(
        "out_of_order",
        FAMILY,
        r"out of order data|bookmark value .{0,40}less than",
        C.DATA_QUALITY,
        "invalid_value",
        retryable=False,
        weight=0.6,
        explanation="replication-key values went backwards",
    ),
    # --- destination limits and constraints
    sig(
        "destination_limits",
        FAMILY,
        r"can have at most \d+ columns|too many (total )?(leaf )?(fields|columns)"
        r"|maximum (number of )?(tables|columns|fields)|(tables|columns|objects?) limit exceeded"
        r"|soft limit of object|max(imum)? tables limit|exceeds? the maximum (number|row size|size)",
        C.DESTINATION,
        "destination_limit",
        retryable=False,
        weight=0.75,
        explanation="the destination's limit on tables, columns or objects is reached",
    ),
    sig(
        "destination_settings",
        FAMILY,
        r"temp_file_limit|work_mem|statement_mem|max_locks_per_transaction",
        C.DESTINATION,
        "destination_misconfigured",
        retryable=False,
        weight=0.7,
        explanation="a destination database setting is too small for the load",
    ),
    sig(
        "destination_constraints",
        FAMILY,
        r"violates foreign key constraint|other objects depend on it|DROP \.\.\. CASCADE"
        r"|depend(s|ent objects?) on (it|table|column)",
        C.DESTINATION,
        "destination_constraint",
        retryable=False,
        weight=0.8,
        explanation="objects or constraints added in the destination block the load",
    ),
    sig(
        "maintenance_job",
        FAMILY,
        r"VACUUM is running|re-execute after|another (operation|job) is (running|in progress)",
        C.DESTINATION,
        "concurrent_transaction_conflict",
        retryable=True,
        weight=0.75,
        explanation="a maintenance job holds the table; retry after it finishes",
    ),
    sig(
        "plain_oom",
        FAMILY,
        r"\bout of memory\b",
        C.DESTINATION,
        "out_of_capacity",
        retryable=False,
        weight=0.55,
        explanation="the database ran out of memory",
    ),
    sig(
        "warehouse_load_failed",
        FAMILY,
        r"(bigquery|snowflake|redshift|databricks|warehouse|destination) .{0,20}load "
        r"(job )?failed|load job failed",
        C.DESTINATION,
        "load_job_failed",
        retryable=False,
        weight=0.55,
        explanation="the destination rejected a load job",
    ),
    # --- SQL Server / generic database wording without codes
    sig(
        "sql_server_unreachable",
        FAMILY,
        r"server was not found or was not accessible|network-related or instance-specific error"
        r"|isn't allowed to access the server|is not allowed to access the server",
        C.NETWORK,
        "host_unreachable",
        retryable=False,
        weight=0.8,
        explanation="the database server is not reachable from the pipeline (endpoint, firewall or instance name)",
    ),
    sig(
        "conversion_failed",
        FAMILY,
        r"conversion failed when converting|string or binary data (would be |is )?truncated"
        r"|invalid column length|rows? rejected|reject threshold|un-?representable (date|time)",
        C.DATA_QUALITY,
        "invalid_value",
        retryable=False,
        weight=0.8,
        explanation="values in the data cannot be converted or do not fit the destination column",
    ),
    sig(
        "type_mapping",
        FAMILY,
        r"cannot be mapped to a type|type .{0,40} cannot be mapped|no (supported )?type mapping",
        C.SCHEMA_DRIFT,
        "schema_change_incompatible",
        retryable=False,
        weight=0.7,
        explanation="a source type has no mapping in the destination",
    ),
    sig(
        "write_timeout",
        FAMILY,
        r"timeouts? in .{0,30}write|write (operation )?time(d )?out|batch write timeout",
        C.DESTINATION,
        "warehouse_timeout",
        retryable=True,
        weight=0.7,
        explanation="writes to the destination timed out",
    ),
    sig(
        "connection_open_timeout",
        FAMILY,
        r"(open|opening) connection .{0,40}timeout|connection timeout|timeout after \S+ seconds",
        C.NETWORK,
        "transient_network_blip",
        retryable=True,
        weight=0.7,
        explanation="opening the connection timed out",
    ),
    sig(
        "token_endpoint",
        FAMILY,
        r"failed to (get|obtain|refresh|acquire) (an |the )?(access |oauth2? )?token",
        C.CREDENTIAL,
        "invalid_client_credentials",
        retryable=False,
        weight=0.75,
        explanation="the token endpoint refused to issue a token",
    ),
    # --- terse credential wording (SaaS connectors, SDKs)
    sig(
        "terse_credentials",
        FAMILY,
        r"\btoken (is|has) expired|expired token|invalid client ?secret|invalid client ?id"
        r"|(access|refresh) token should not be (null|empty)|error while generating (an )?access token"
        r"|invalid user ?name or password|(user ?name|login) or password (is )?(invalid|incorrect)",
        C.CREDENTIAL,
        "invalid_credentials",
        retryable=False,
        weight=0.8,
        explanation="the credentials or tokens the connection uses are invalid or expired",
    ),
    # --- change-stream / CDC positions that aged out
    sig(
        "cdc_position_lost",
        FAMILY,
        r"resume token|saved offset is not valid|change stream position"
        r"|too long since the last incremental|oplog .{0,40}(aged out|retention|expired)|cursor .{0,30}expired",
        C.SOURCE_CONFIG,
        "log_retention_exceeded",
        retryable=False,
        weight=0.75,
        explanation="the saved change-log position is gone from the source; retention is too short",
    ),
    sig(
        "document_validation",
        FAMILY,
        r"document failed validation|failed (schema )?validation|does not match the validator",
        C.DATA_QUALITY,
        "invalid_value",
        retryable=False,
        weight=0.65,
        explanation="records fail the target's validation rules",
    ),
    sig(
        "destination_not_empty",
        FAMILY,
        r"destination .{0,40}contains existing data|only (migrate|load|write) to empty",
        C.DESTINATION,
        "destination_misconfigured",
        retryable=False,
        weight=0.7,
        explanation="the destination is not in the state the load requires",
    ),
    sig(
        "cant_connect",
        FAMILY,
        r"can(no|')t connect to (the )?(database|server|host|source)"
        r"|unable to reach (the )?(database|server|source)",
        C.NETWORK,
        "host_unreachable",
        retryable=True,
        weight=0.6,
        explanation="the pipeline cannot reach the database",
    ),
    sig(
        "server_error_words",
        FAMILY,
        r"internal ?server ?error|ServerError\b|server error occurred",
        C.NETWORK,
        "source_service_unavailable",
        retryable=True,
        weight=0.55,
        explanation="the remote service failed on its side",
    ),
    sig(
        "operation_timeout",
        FAMILY,
        r"did not complete within the allowed time|operation timed out|timed out waiting for",
        C.NETWORK,
        "transient_network_blip",
        retryable=True,
        weight=0.55,
        explanation="an operation timed out; often transient",
    ),
    # --- the pipeline platform itself
    sig(
        "job_limits",
        FAMILY,
        r"exceeded its allotted runtime|exceeded (the )?(maximum )?(runtime|run time|time limit)"
        r"|process was terminated",
        C.FIVETRAN_INTERNAL,
        "job_time_limit",
        retryable=True,
        weight=0.65,
        explanation="the sync job hit the platform's runtime limit; the next run continues",
    ),
]
