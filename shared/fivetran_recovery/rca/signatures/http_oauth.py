"""HTTP status codes and OAuth 2.0 error responses (RFC 6749 section 5.2, RFC 6750 section 3.1)."""

from fivetran_recovery.models.diagnosis import Category as C
from fivetran_recovery.rca.signatures.base import sig

HTTP = "http"
OAUTH = "oauth"

SIGNATURES = [
    # OAuth token endpoint / resource server errors.
    sig(
        "oauth_invalid_grant",
        OAUTH,
        r"invalid_grant|Token has been (expired or )?revoked|refresh token (is )?"
        r"(invalid|expired|revoked|not found)|(refresh|access)[ _]token (has )?expired|expired_token"
        r"|token (has )?(expired|been revoked)|(bad|invalid|expired) refresh[_ ]token",
        C.CREDENTIAL,
        "credential_expiry",
        retryable=False,
        weight=0.92,
        explanation="the OAuth grant or token is expired or revoked; the user must re-authorize",
    ),
    sig(
        "oauth_invalid_client",
        OAUTH,
        r"invalid_client|unauthorized_client|client (secret|credentials?) "
        r"(is )?(invalid|expired)|invalid client (id|secret)",
        C.CREDENTIAL,
        "invalid_client_credentials",
        retryable=False,
        weight=0.9,
        explanation="the OAuth client id or secret is rejected",
    ),
    sig(
        "oauth_invalid_token",
        OAUTH,
        r"invalid_token|invalid (access|auth(entication)?|bearer|oauth) token"
        r"|token is invalid|InvalidAuthenticationToken|the access token provided is invalid",
        C.CREDENTIAL,
        "credential_expiry",
        retryable=False,
        weight=0.85,
        explanation="the access token is not accepted",
    ),
    sig(
        "oauth_redirect_mismatch",
        OAUTH,
        r"redirect_uri_mismatch|invalid_request.{0,40}redirect",
        C.CREDENTIAL,
        "oauth_misconfigured",
        retryable=False,
        weight=0.8,
        explanation="the OAuth app configuration does not match the authorization request",
    ),
    sig(
        "oauth_consent",
        OAUTH,
        r"consent_required|interaction_required|login_required|AADSTS\d{4,6}",
        C.CREDENTIAL,
        "credential_expiry",
        retryable=False,
        weight=0.8,
        explanation="the identity provider requires the user to sign in or consent again",
    ),
    sig(
        "oauth_scope",
        OAUTH,
        r"insufficient_scope|insufficient (authentication )?scopes?|scope.{0,30}(missing|"
        r"not granted|insufficient)|ACCESS_TOKEN_SCOPE_INSUFFICIENT|missing (the )?(required )?scopes?",
        C.PERMISSION,
        "permission_denied",
        retryable=False,
        weight=0.85,
        explanation="the token lacks a scope the API requires",
    ),
    # HTTP statuses (as printed by clients: "HTTP 401", "status code 429", "401 Unauthorized", ...).
    sig(
        "http_429",
        HTTP,
        r"\b429\b|too many requests|rate[ _-]?limit(ed|s)?\b|RateLimitExceeded|throttl"
        r"|REQUEST_LIMIT_EXCEEDED|TotalRequests Limit exceeded|API (call |request )?(limit|quota)"
        r"|request limit(ed)? reached|\b(calls|requests) per (second|minute|hour|day)\b|reduce (the )?request rate"
        r"|(request|call|api) quota|limit exceeded for endpoint|retry[- ]after",
        C.SOURCE_API_LIMIT,
        "rate_limit",
        retryable=True,
        weight=0.8,
        explanation="the source API is throttling; waiting out the window fixes it",
    ),
    sig(
        "daily_quota",
        HTTP,
        r"daily (api )?(limit|quota)|quota (exceeded|exhausted)|exceeded (your|the) quota"
        r"|usage limit|dailyLimitExceeded|userRateLimitExceeded|exceeded_?quota|quota ?error"
        r"|resource has been exhausted"
        r"|rate_?exceeded|RateExceeded|quota .{0,30}(exceeded|exhausted|reached)",
        C.SOURCE_API_LIMIT,
        "api_quota_exhausted",
        retryable=True,
        weight=0.8,
        explanation="the API quota for the period is used up; it resets on the provider's schedule",
    ),
    sig(
        "http_401",
        HTTP,
        r"\b401\b|\bunauthori[sz]ed\b|authentication (failed|failure|error|required)"
        r"|invalid (api|access)[ _-]?key|api[ _-]?key (is )?(invalid|expired|revoked|not valid)|bad credentials"
        r"|invalid credentials|credentials (are )?(invalid|incorrect|expired)"
        r"|not authenticated|could not authenticate|authentication_error|invalid (login|username or password)"
        r"|incorrect (username|user name|login|password)|wrong password|Invalid login credentials",
        C.CREDENTIAL,
        "invalid_credentials",
        retryable=False,
        weight=0.8,
        explanation="the source rejects the credentials Fivetran presents",
    ),
    sig(
        "http_403",
        HTTP,
        r"\b403\b|\bforbidden\b|permission[_ ]denied|access[_ ]denied|not authori[sz]ed to"
        r"|insufficient (privileges?|permissions?|access|rights)|does not have (the )?(required )?"
        r"(permission|access|privileges?|rights?)|doesn't have (permission|access)|lacks? (the )?"
        r"(required )?(permission|privilege|access)|INSUFFICIENT_ACCESS|AccessDenied|missing (the )?(required )?"
        r"(grants?|permissions?|privileges?)|not permitted|permission to access",
        C.PERMISSION,
        "permission_denied",
        retryable=False,
        weight=0.75,
        explanation="authenticated, but lacking a grant or privilege",
    ),
    sig(
        "http_404",
        HTTP,
        r"\b404\b|\bnot found\b|does not exist|no longer exists|ResourceNotFound",
        C.SOURCE_CONFIG,
        "resource_not_found",
        retryable=False,
        weight=0.45,
        explanation="something the sync expects is missing at the source",
    ),
    sig(
        "http_500",
        HTTP,
        r"\b500\b.{0,30}internal server error|internal server error|HTTP(/\d(\.\d)?)? 500\b",
        C.NETWORK,
        "source_service_unavailable",
        retryable=True,
        weight=0.55,
        explanation="the remote service failed on its side; usually transient",
    ),
]
