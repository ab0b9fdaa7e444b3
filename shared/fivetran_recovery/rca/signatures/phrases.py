"""Plain-language families that cut across vendors: schema drift, data quality, source configuration and
SaaS application error codes (Salesforce, HubSpot, Google APIs ...)."""

from fivetran_recovery.models.diagnosis import Category as C
from fivetran_recovery.rca.signatures.base import sig

SCHEMA = "schema"
DATA = "data"
SAAS = "saas"
SOURCE = "source"

SIGNATURES = [
    # --- schema drift
    sig(
        "type_change",
        SCHEMA,
        r"(column|field) .{0,80}(changed|changing) (its )?(data )?type|type (change|"
        r"mismatch)|incompatible (column )?types?|cannot (be )?(cast|convert|change type)|is of type \w+ but "
        r"(expression|value) is of type|data ?type mismatch|Unexpected Datatype|unsupported (data ?)?type"
        r"|does not match (the )?(column|existing) type|cannot (change|alter|modify) (the )?column .{0,80}type"
        r"|changing the (data ?)?types? of|changing the column type",
        C.SCHEMA_DRIFT,
        "schema_change_incompatible",
        retryable=False,
        weight=0.8,
    ),
    sig(
        "missing_column",
        SCHEMA,
        r"(column|field) [\"']?[\w.`\[\]%;]+[\"']? (does not exist|not found|is missing)"
        r"|Unknown column|no such column|Invalid column name|No such column|INVALID_FIELD|unrecognized "
        r"(column|field)|missing column|ambiguous column",
        C.SCHEMA_DRIFT,
        "schema_change_incompatible",
        retryable=False,
        weight=0.8,
    ),
    sig(
        "missing_table",
        SCHEMA,
        r"(relation|table|object) \"?[\w.`\[\]\"]+\"? (does not exist|doesn't exist|not "
        r"found)|Invalid object name|Table '[^']+' doesn't exist|INVALID_TYPE|sObject type .{0,40}not supported",
        C.SCHEMA_DRIFT,
        "schema_change_incompatible",
        retryable=False,
        weight=0.72,
    ),
    sig(
        "schema_change_generic",
        SCHEMA,
        r"schema (change|drift|mismatch|evolution)|schema (has )?changed",
        C.SCHEMA_DRIFT,
        "schema_change_incompatible",
        retryable=False,
        weight=0.65,
    ),
    sig(
        "new_column",
        SCHEMA,
        r"new (column|field)s? (was |were |has been |have been )?(added|detected)"
        r"|(column|field)s? added to|ALLOW_COLUMNS",
        C.SCHEMA_DRIFT,
        "schema_change_non_breaking",
        retryable=True,
        weight=0.7,
    ),
    # --- data quality
    sig(
        "duplicate_key",
        DATA,
        r"duplicate key|Duplicate entry|duplicate (primary )?keys?|Violation of "
        r"(PRIMARY|UNIQUE) KEY|Cannot insert duplicate key|unique constraint|UNIQUE constraint failed"
        r"|duplicate rows?|DUPLICATE_VALUE|contains? duplicates|duplicate records?|duplicate data|Duplicate _+\w*id\b",
        C.DATA_QUALITY,
        "duplicate_primary_key",
        retryable=False,
        weight=0.88,
    ),
    sig(
        "not_null",
        DATA,
        r"violates not-null constraint|cannot insert (a )?NULL|Cannot insert the value NULL"
        r"|NOT NULL constraint failed|null value in column",
        C.DATA_QUALITY,
        "invalid_value",
        retryable=False,
        weight=0.85,
    ),
    sig(
        "bad_value",
        DATA,
        r"invalid input syntax for|Incorrect (datetime|date|integer|decimal|string) value"
        r"|Invalid Date/Time|out of range for type|numeric field overflow|value too (long|large)|Data too long"
        r"|invalid byte sequence|malformed (json|utf|record|data)|could not parse|unparseable|"
        r"cannot be parsed|Invalid (date|timestamp|number|character)|invalid escape|(?-i:\bNaN\b)",
        C.DATA_QUALITY,
        "invalid_value",
        retryable=False,
        weight=0.8,
    ),
    # --- generic access wording (weaker than vendor codes)
    sig(
        "access_wording",
        DATA,
        r"unable to access|cannot access|can't access|no access to|not allowed to (access|read|create|write)",
        C.PERMISSION,
        "permission_denied",
        retryable=False,
        weight=0.6,
    ),
    # --- locking and concurrency in any database
    sig(
        "deadlock",
        DATA,
        r"deadlock (detected|found)|was deadlocked|Lock wait timeout exceeded|could not serialize access"
        r"|could not obtain lock|lock timeout|concurrent update",
        C.DESTINATION,
        "concurrent_transaction_conflict",
        retryable=True,
        weight=0.8,
    ),
    # --- source system configuration
    sig(
        "retention",
        SOURCE,
        r"retention (period|window)|log (has been )?(rotated|truncated)|history (is )?no "
        r"longer available|cursor (is )?(too old|expired|no longer valid)|oplog|change streams?",
        C.SOURCE_CONFIG,
        "log_retention_exceeded",
        retryable=False,
        weight=0.7,
    ),
    sig(
        "account_state",
        SOURCE,
        r"account (is )?(suspended|deactivated|disabled|locked|closed|inactive)"
        r"|subscription (has )?(expired|ended|lapsed)|trial (has )?(expired|ended)|plan does not (include|allow)"
        r"|feature (is )?not (enabled|available)",
        C.SOURCE_CONFIG,
        "source_account_unavailable",
        retryable=False,
        weight=0.75,
    ),
    sig(
        "api_access_disabled",
        SOURCE,
        r"API (access )?is (disabled|not enabled) for (this )?user|API_CURRENTLY_DISABLED"
        r"|API_DISABLED_FOR_ORG|API access (is )?(not enabled|disabled)",
        C.PERMISSION,
        "permission_denied",
        retryable=False,
        weight=0.85,
    ),
    sig(
        "unsupported_query",
        SOURCE,
        r"MALFORMED_QUERY|Implementation restriction",
        C.PERMISSION,
        "permission_denied",
        retryable=False,
        weight=0.6,
    ),
    # --- SaaS codes
    sig(
        "salesforce_session",
        SAAS,
        r"INVALID_SESSION_ID|Session expired or invalid|INVALID_AUTH_HEADER"
        r"|INVALID_LOGIN|INVALID_OPERATION_WITH_EXPIRED_PASSWORD",
        C.CREDENTIAL,
        "credential_expiry",
        retryable=False,
        weight=0.85,
    ),
    sig(
        "google_auth",
        SAAS,
        r"Request had invalid authentication credentials|UNAUTHENTICATED|"
        r"Login Required|authError",
        C.CREDENTIAL,
        "invalid_credentials",
        retryable=False,
        weight=0.85,
    ),
    sig(
        "google_permission",
        SAAS,
        r"PERMISSION_DENIED|insufficientPermissions|The caller does not have "
        r"permission|User does not have (sufficient )?permissions?|forbidden",
        C.PERMISSION,
        "permission_denied",
        retryable=False,
        weight=0.85,
    ),
    sig(
        "google_rate",
        SAAS,
        r"RESOURCE_EXHAUSTED|rateLimitExceeded|Quota exceeded for quota metric",
        C.SOURCE_API_LIMIT,
        "rate_limit",
        retryable=True,
        weight=0.88,
    ),
    sig(
        "stripe_lock_timeout",
        SAAS,
        r"\block_timeout\b|another API request or \w+ process is currently accessing it",
        C.SOURCE_API_LIMIT,
        "rate_limit",
        retryable=True,
        weight=0.85,
        explanation="another request holds the object; retry with backoff",
    ),
    sig(
        "google_unavailable",
        SAAS,
        r"(?-i:\bUNAVAILABLE\b)|DEADLINE_EXCEEDED|The service is currently unavailable",
        C.NETWORK,
        "source_service_unavailable",
        retryable=True,
        weight=0.8,
    ),
]
