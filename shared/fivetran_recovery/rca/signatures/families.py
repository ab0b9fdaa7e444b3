"""The family tier: generic but meaningful phrasings of each error family, for messages that carry no vendor code
and none of the tool-specific wording the other tables know.

Every weight here is below the vendor-code and wording tiers (0.48-0.62 against 0.7-0.93), so a code or a specific
phrase always decides when present; the family tier only speaks when nothing stronger matched. Within the tier,
phrases that name the failure ("access denied", "rate limit exceeded") weigh more than bare topic words
("permission", "timeout"), and the phrases that most often appear as a *consequence* of another failure (a
timeout after a refused login, an internal error wrapping a permission error) weigh least, so the cause wins.
Words that say nothing about a cause ("error", "failed", "exception") are deliberately absent: with only those,
the answer stays `unknown`.

Retryable per family: network blips, source API limits and transient destination capacity are retryable;
credentials, permissions, schema, source configuration and data are not (someone has to change something).
"""

from fivetran_recovery.models.diagnosis import Category as C
from fivetran_recovery.rca.signatures.base import sig

FAMILY = "family"

# Weights of the tier, named so the precedence is explicit.
NAMED = 0.62  # a phrase that names the failure
TOPICAL = 0.55  # a phrase that names the area and a failure verb
CONSEQUENCE = 0.5  # a phrase that is often only the symptom of another failure

SIGNATURES = [
    # --- network: connectivity, DNS, TLS, resets
    sig(
        "net_socket",
        FAMILY,
        r"\bsocket (is )?(closed|error|exception|hang ?up)|SocketException|\bsocket\b.{0,40}\b(closed|reset|failed)"
        r"|\bEOF\b|end of (file|stream) (reached|while reading)|unexpected end of (stream|input)"
        r"|\bconnection (was )?(lost|dropped|interrupted|terminated|reset|aborted|refused)"
        r"|\bdisconnected\b|\bnetwork (error|failure|issue|problem)|\bconnection error\b|communication (error|failure)"
        r"|error (while )?communicating with|(lost|lose) (the )?connection"
        r"|\bConnectionError\b|\bConnectError\b|\bProtocolError\b|IncompleteRead|ChunkedEncodingError",
        C.NETWORK,
        "transient_network_blip",
        retryable=True,
        weight=NAMED,
        explanation="the network connection broke; a retry usually succeeds",
    ),
    sig(
        "net_unknown_host",
        FAMILY,
        r"unknown host|host(name)? (not found|could not be resolved|cannot be resolved|unknown)"
        r"|(could not|cannot|failed to|unable to) resolve|\bDNS\b.{0,40}(fail|error|resolv)|\bNXDOMAIN\b",
        C.NETWORK,
        "dns_resolution_failure",
        retryable=False,
        weight=NAMED,
        explanation="the host name does not resolve; check the host configured for the connection",
    ),
    sig(
        "net_tls",
        FAMILY,
        r"\b(ssl|tls)\b.{0,60}\b(error|fail\w*|handshake|alert|closed|certificate|verify|protocol)"
        r"|handshake (failed|failure|error|timed out)|\bcertificate\b.{0,40}\b(invalid|untrusted|expired|unknown)",
        C.NETWORK,
        "tls_handshake_failure",
        retryable=True,
        weight=TOPICAL,
        explanation="the TLS session could not be established",
    ),
    sig(
        "net_timeout",
        FAMILY,
        r"\btime(d)?[ -]?out\b|\btimeout\b|deadline (exceeded|expired)|took too long to respond",
        C.NETWORK,
        "transient_network_blip",
        retryable=True,
        weight=CONSEQUENCE,
        explanation="an operation timed out; usually transient",
    ),
    sig(
        "net_unreachable",
        FAMILY,
        r"\bunreachable\b|(could not|couldn't|cannot|can't|unable to|failed to) (connect|reach|establish)"
        r"|\bproxy\b.{0,40}\b(error|fail\w*|refused)|\btunnel\b.{0,40}\b(error|fail\w*|closed|down)"
        r"|\bfirewall\b|\bport \d+\b.{0,40}(closed|blocked|refused)",
        C.NETWORK,
        "host_unreachable",
        retryable=True,
        weight=CONSEQUENCE,
        explanation="the pipeline could not reach the host",
    ),
    sig(
        "net_remote_unavailable",
        FAMILY,
        r"\b50[0234]\b|\bunavailable\b|\boverloaded\b|server (is )?busy|upstream (error|connect)",
        C.NETWORK,
        "source_service_unavailable",
        retryable=True,
        weight=CONSEQUENCE,
        explanation="the remote service was unavailable or failed on its side",
    ),
    # --- credentials
    sig(
        "cred_auth_failed",
        FAMILY,
        r"\bauthenticat\w* (failed|failure|error|denied|rejected|unsuccessful|is required|was rejected)"
        r"|(failed|unable|could not|cannot) (to )?authenticate|\bunauthenticated\b|\bnot authenticated\b"
        r"|\blogin (failed|failure|denied|incorrect|error)|\blog ?in (failed|unsuccessful)|sign in (again|failed)"
        r"|re-?authori[sz]e|re-?authenticate|reconnect (your|the) account"
        r"|\bauthenticat\w* .{0,40}\b(is |are |has been )?(deprecated|no longer supported|not allowed|disabled)"
        r"|\bexpired[ _](auth(orization)?[ _]code|grant|login)\b|\bauth(orization)?[ _]code (has )?expired",
        C.CREDENTIAL,
        "invalid_credentials",
        retryable=False,
        weight=NAMED,
        explanation="the source rejected the login; check or renew the credentials",
    ),
    sig(
        "cred_token_state",
        FAMILY,
        r"\b(token|session|credentials?|password|api[ _-]?key|secret|certificate|key pair|private key)\b"
        r".{0,40}\b(expired|revoked|invalid|incorrect|wrong|rejected|not valid|no longer valid|malformed)"
        r"|\b(expired|revoked|invalid|incorrect|wrong|bad|malformed|missing)[ _](access |refresh |auth |api |bearer )?"
        r"(token|session|credentials?|password|api[ _-]?key|secret|signature|private key)\b|\b401\b"
        r"|\bsession (has )?expired\b|\binvalid[ _]?(\w+ )?api[ _-]?key|\bapi[ _-]?key (is )?(missing|required|not set)"
        r"|\b(must|need to) (set|provide|supply|pass) (an? |the |your )?(api[ _-]?key|token|password|credentials?)\b",
        C.CREDENTIAL,
        "credential_expiry",
        retryable=False,
        weight=NAMED,
        explanation="a token, key or password is invalid, expired or revoked",
    ),
    sig(
        "cred_exception_class",
        FAMILY,
        r"\b\w*(AuthenticationException|AuthenticationError|AuthFailureError|UnauthorizedException"
        r"|UnauthorizedError|InvalidCredentials\w*|LoginException)\b",
        C.CREDENTIAL,
        "invalid_credentials",
        retryable=False,
        weight=CONSEQUENCE,
        explanation="the client raised an authentication exception; its message may say more",
    ),
    # --- permissions
    sig(
        "perm_denied",
        FAMILY,
        r"\b(access|permission|privilege|authori[sz]ation)s? (is |was |has been )?(denied|refused|rejected)"
        r"|\bdenied\b.{0,30}\b(access|permission|privilege)|not (authori[sz]ed|allowed|permitted) to"
        r"|\binsufficient\b.{0,30}\b(privilege|permission|rights|access|scope|role)"
        r"|\b(lacks?|missing|without|no) (the )?(required |necessary |sufficient )?(privileges?|permissions?|grants?)\b"
        r"|\bunauthori[sz]ed (access|operation|request)|\b403\b|\bforbidden\b",
        C.PERMISSION,
        "permission_denied",
        retryable=False,
        weight=NAMED,
        explanation="authenticated, but lacking a grant or privilege the sync needs",
    ),
    sig(
        "perm_topic",
        FAMILY,
        r"\b(privileges?|permissions?|grants?)\b.{0,40}\b(required|needed|missing|to (read|write|select|create|use))"
        r"|\b(role|user|account|service account|principal)\b.{0,60}\b(does not|doesn't|cannot|can't|has no) "
        r"(have|access|read|write|see|use)\b|\bread[- ]only (user|role|access)\b|\bgrant (usage|select)",
        C.PERMISSION,
        "permission_denied",
        retryable=False,
        weight=TOPICAL,
        explanation="a permission the sync needs seems to be missing",
    ),
    # --- source API limits
    sig(
        "limit_named",
        FAMILY,
        r"\brate[ -]?limit|\bquota\b|too many (requests|calls|api)|\bthrottl|\bapi (call |request )?limits?\b"
        r"|\brequest limit|limit(ed)? (has been |was )?(exceeded|reached|hit)|(exceeded|reached|hit) (the |your |its )?"
        r"(\w+ )?limit\b|\bslow down\b|\bbackoff\b|\bback off\b|reduce the (amount of data|number of requests)"
        r"|\bexceeded \d+ (calls|requests)\b",
        C.SOURCE_API_LIMIT,
        "rate_limit",
        retryable=True,
        weight=TOPICAL,
        explanation="the source is limiting the rate or volume of requests; waiting fixes it",
    ),
    # --- destination: the warehouse's capacity, state and time limits
    sig(
        "dest_capacity_words",
        FAMILY,
        r"\b(warehouse|cluster|compute|instance|database)\b.{0,40}\b(suspended|paused|stopped|not running|resizing"
        r"|starting|overloaded|is down)\b|\bdisk (is )?full|\bno space\b|\bout of (memory|space|disk)|\bOOM\b"
        r"|\bmemory limit|\bresources? (exceeded|exhausted)|exceeded (the )?(memory|storage|resource)"
        r"|\bstatement timeout|\bquery (timeout|timed out|was cancell?ed)|canceling statement due to"
        r"|query execution was interrupted|max_(statement|execution)_time|statement time ?out"
        r"|\block (timeout|wait)|\bdeadlock|\bserializ(able|ation) (isolation|failure|error)",
        C.DESTINATION,
        "warehouse_capacity",
        retryable=True,
        weight=NAMED,
        explanation="the destination is out of capacity, suspended or timing out; a retry after it recovers helps",
    ),
    sig(
        "dest_quota",
        FAMILY,
        r"\b(bigquery|BQ|snowflake|redshift|databricks|synapse|warehouse)\b.{0,40}\b(limit|quota)s? "
        r"(exceeded|reached|exhausted)",
        C.DESTINATION,
        "warehouse_quota_exceeded",
        retryable=True,
        weight=0.82,
        explanation="the warehouse's own limit or quota is reached; it resets on the warehouse's schedule",
    ),
    sig(
        "dest_named_words",
        FAMILY,
        r"\b(snowflake|bigquery|redshift|databricks|synapse|destination|warehouse)\b.{0,60}\b(error|fail\w*|rejected|"
        r"exceeded)\b",
        C.DESTINATION,
        "destination_error",
        retryable=False,
        weight=0.48,
        explanation="the destination reported an error",
    ),
    # --- schema drift
    sig(
        "schema_column",
        FAMILY,
        r"\b(column|field|attribute|property)s?\b.{0,60}\b(does not exist|doesn't exist|not found|not exist|missing"
        r"|unknown|renamed|dropped|removed|deleted|no longer (exists|present)|not present|was added|were added"
        r"|changed|mismatch)|\b(unknown|missing|unrecognized|unexpected|new|extra) (column|field)s?\b",
        C.SCHEMA_DRIFT,
        "schema_change_incompatible",
        retryable=False,
        weight=TOPICAL,
        explanation="a column the sync expects changed or is missing",
    ),
    sig(
        "schema_type",
        FAMILY,
        r"\b(cannot|can't|could not|unable to|failed to) (cast|convert|coerce)|\btype (mismatch|error|conflict)"
        r"|\bincompatible\b.{0,30}\b(types?|schema|column|field)|\b(expected|got) (type )?\w+,? (but |got |found )"
        r"|\bschema\b.{0,40}\b(mismatch|changed|change|incompatible|differs|drift|out of date|outdated|conflict)"
        r"|\bdata ?type\b.{0,40}\b(changed|change|mismatch|not supported|unsupported)"
        r"|(doesn't|does not|don't|do not) have a mapping|\bno mapping (for|to)\b|\bInvalidSchema\b|\binvalid schema\b"
        r"|(match|matches|matching) the schema of",
        C.SCHEMA_DRIFT,
        "schema_change_incompatible",
        retryable=False,
        weight=TOPICAL,
        explanation="the source schema no longer matches what the destination expects",
    ),
    # --- source configuration: replication, logs, retention
    sig(
        "config_replication",
        FAMILY,
        r"\breplication slot|\bbinlog|\bbinary log|\bWAL\b|\bwrite-ahead log|\bredo log|\barchive log"
        r"|\bretention\b|\blog (position|sequence|file)|\bLSN\b|\bSCN\b|\bGTID\b|\boplog\b|\bchange ?stream"
        r"|\b(CDC|change tracking|change data capture)\b.{0,40}\b(disabled|not enabled|off|missing|failed|error)"
        r"|\bpublication\b|\bsupplemental logging|\breplica(tion)? (lag|set|config\w*)|\bsnapshot\b.{0,40}"
        r"\b(invalid|expired|too old|no longer)|\boffset\b.{0,40}\b(invalid|expired|out of range|no longer)"
        r"|\blog sequence number|\bnot logged\b|(does not|doesn't|do not|cannot) support (change )?capture"
        r"|\brestart (token|information|position|point)\b.{0,40}\b(invalid|not valid|does not match)",
        C.SOURCE_CONFIG,
        "replication_misconfigured",
        retryable=False,
        weight=TOPICAL,
        explanation="the source's replication or log settings do not support the sync",
    ),
    sig(
        "config_object_missing",
        FAMILY,
        r"\b(database|schema|dataset|bucket|project|account|tenant|workspace|site|instance)\b.{0,60}"
        r"\b(does not exist|doesn't exist|not found|was deleted|no longer exists)",
        C.SOURCE_CONFIG,
        "resource_not_found",
        retryable=False,
        weight=CONSEQUENCE,
        explanation="something the connection is configured to read does not exist",
    ),
    # --- data quality: the values themselves
    sig(
        "data_values",
        FAMILY,
        r"\bduplicate\b|\bnull\b.{0,40}\b(primary key|key|not[- ]null|non[- ]null|required)"
        r"|\binvalid (value|format|date|time|timestamp|number|json|utf-?8|character|encoding|byte)"
        r"|\bmalformed\b|\b(cannot|can't|could not|unable to|failed to) (parse|decode|deserialize)"
        r"|\bparse error|\bparsing (error|failed)|\bvalue\b.{0,40}\b(too (long|large|big)|out of range|overflow)"
        r"|\b(numeric|arithmetic|integer|decimal|bigint|smallint|date|timestamp) (value )?(overflow|out of range)"
        r"|\boverflow (for|in|error)\b|\bDataException\b|\bDataError\b"
        r"|encountered too many errors|too many errors, giving up"
        r"|\bIntegrityError\b|integrity constraint|\bSQLIntegrityConstraint\w*"
        r"|\btruncat(ed|ion)\b|\bencoding error|\bdecode error"
        r"|\bnot a valid (hex|number|integer|decimal|date|time|timestamp|json|uuid|base64|utf-?8|boolean)\b",
        C.DATA_QUALITY,
        "invalid_value",
        retryable=False,
        weight=TOPICAL,
        explanation="values in the data are invalid, duplicated or do not fit",
    ),
    # --- exception class names: the family word inside a CamelCase class name (Java, Python, .NET, Ruby clients)
    sig(
        "class_timeout",
        FAMILY,
        r"\b\w*Timeout\w*(Exception|Error)\b",
        C.NETWORK,
        "transient_network_blip",
        retryable=True,
        weight=CONSEQUENCE,
        explanation="a client timed out",
    ),
    sig(
        "class_connection",
        FAMILY,
        r"\b\w*(Connection|Connect|Socket|Network|Transport|Channel)\w*(Exception|Error|Failure)\b",
        C.NETWORK,
        "host_unreachable",
        retryable=True,
        weight=CONSEQUENCE,
        explanation="the client's connection failed",
    ),
    sig(
        "class_permission",
        FAMILY,
        r"\b\w*(AccessDenied|Forbidden|PermissionDenied|NotAuthorized|Authorization|InsufficientPrivilege)\w*"
        r"(Exception|Error)\b",
        C.PERMISSION,
        "permission_denied",
        retryable=False,
        weight=CONSEQUENCE,
        explanation="the client raised an authorization exception",
    ),
    sig(
        "class_rate_limit",
        FAMILY,
        r"\b\w*(RateLimit|Throttl|TooManyRequests|QuotaExceeded|LimitExceeded)\w*(Exception|Error)?\b",
        C.SOURCE_API_LIMIT,
        "rate_limit",
        retryable=True,
        weight=TOPICAL,
        explanation="the client raised a rate-limit exception",
    ),
    sig(
        "class_schema",
        FAMILY,
        r"\b\w*(Schema|Column|Field|Mapping)\w*(Exception|Error|Mismatch)\b",
        C.SCHEMA_DRIFT,
        "schema_change_incompatible",
        retryable=False,
        weight=CONSEQUENCE,
        explanation="the client raised a schema exception",
    ),
    sig(
        "class_data",
        FAMILY,
        r"\b\w*(Parse|NumberFormat|DateTimeParse|Conversion|Serializ|Deserializ|Decod|Encod|Validation)\w*"
        r"(Exception|Error)\b",
        C.DATA_QUALITY,
        "invalid_value",
        retryable=False,
        weight=CONSEQUENCE,
        explanation="the client could not parse or convert a value",
    ),
    # --- the pipeline platform's own faults
    sig(
        "internal_error",
        FAMILY,
        r"\binternal (error|failure|exception)|\bunexpected (error|exception|failure)|contact (\w+ )?support",
        C.FIVETRAN_INTERNAL,
        "platform_error",
        retryable=True,
        weight=CONSEQUENCE,
        explanation="the pipeline platform failed internally; a retry often helps, support if it repeats",
    ),
    sig(
        "connector_bug",
        FAMILY,
        r"\bunhandled (error|exception)|\bpanic:|\bNullPointerException|\bIndexOutOfBounds|\bAssertionError"
        r"|\bassertion failed|\bnil pointer|\bsegmentation fault|\bstack overflow|\bthis is a bug|\bnot (yet )?"
        r"(supported|implemented)\b|\bout of bounds\b|\bindex out of range|\bIndexError\b|\bKeyError\b"
        r"|\bAttributeError\b|object has no attribute|\bNoMethodError\b|undefined method|\bNoSuchMethodError\b"
        r"|\bClassCastException\b|\bnot (yet )?"
        r"(supported|implemented)\b|\bunsupported\b",
        C.FIVETRAN_INTERNAL,
        "connector_bug",
        retryable=False,
        weight=CONSEQUENCE,
        explanation="the connector hit a bug or an unsupported case; a retry will not change it",
    ),
]
