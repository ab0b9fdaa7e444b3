"""Plain-English summaries for rule-based diagnoses: what broke, where, whether a retry helps, what to do."""

from __future__ import annotations

from fivetran_recovery.models.diagnosis import Category
from fivetran_recovery.rca.history import RecentHistory

WHERE = {
    Category.CREDENTIAL: "The credentials Fivetran uses are invalid, expired or revoked",
    Category.PERMISSION: "Fivetran is authenticated but lacks a grant or privilege it needs",
    Category.SOURCE_API_LIMIT: "The source application is rate-limiting Fivetran or its quota is used up",
    Category.NETWORK: "Fivetran could not keep a network connection (connectivity, DNS, TLS or a timeout)",
    Category.SCHEMA_DRIFT: "The source schema changed in a way that blocks the sync",
    Category.DESTINATION: "The destination warehouse refused or failed the load",
    Category.SOURCE_CONFIG: "The source system's own setup prevents the sync",
    Category.DATA_QUALITY: "Values in the data itself break the load",
    Category.FIVETRAN_INTERNAL: "The fault appears to be on Fivetran's side",
    Category.UNKNOWN: "The cause is not clear from the evidence",
}

ADVICE = {
    Category.CREDENTIAL: "Re-authorize the connection or update its credentials.",
    Category.PERMISSION: "Grant the missing privilege to the Fivetran user or role.",
    Category.SOURCE_API_LIMIT: "Wait out the quota window; lower the sync frequency if it keeps happening.",
    Category.NETWORK: "If it repeats, check the host, port, firewall allow-list and TLS settings.",
    Category.SCHEMA_DRIFT: "Review the schema change; re-sync the affected table if needed.",
    Category.DESTINATION: "Check the warehouse's state, capacity and grants.",
    Category.SOURCE_CONFIG: "Fix the source setting named in the error.",
    Category.DATA_QUALITY: "Fix or deduplicate the offending rows.",
    Category.FIVETRAN_INTERNAL: "Check Fivetran's status page; contact Fivetran support if it persists.",
    Category.UNKNOWN: "An engineer (or the LLM analysis) should look at the evidence.",
}


def summarise(
    category: Category,
    pattern: str,
    retryable: bool,
    explanation: str = "",
    history: RecentHistory | None = None,
) -> str:
    what = pattern.replace("_", " ")
    because = f": {explanation}" if explanation else ""
    retry = (
        "A retry after a short wait is likely to succeed."
        if retryable
        else "A plain retry will not fix it; someone has to act."
    )
    repeats = ""
    if history is not None and history.consecutive_failures >= 2:
        repeats = f" It has already failed {history.consecutive_failures} times in a row."
    return f"{WHERE[category]} ({what}){because}. {retry}{repeats} {ADVICE[category]}"[:2000]
