"""Root cause analysis: the offline classifier, context gathering, redaction, the LLM analyzer (the SDK is
imported lazily inside it), the analysis use case and similar-incident ranking."""

from fivetran_recovery.rca.analyze import RcaOutcome, analyze_event, analyze_incident
from fivetran_recovery.rca.cache import InMemoryLlmCache, LlmCache
from fivetran_recovery.rca.classifier import classify
from fivetran_recovery.rca.context import ContextError, ContextPiece, IncidentContext, gather_context
from fivetran_recovery.rca.fingerprint import incident_signature, normalise_message
from fivetran_recovery.rca.history import RecentHistory
from fivetran_recovery.rca.llm import LlmAnalyzer, LlmFailure, LlmResult, LlmUsage
from fivetran_recovery.rca.redaction import redact
from fivetran_recovery.rca.similar import rank_similar

__all__ = [
    "ContextError",
    "ContextPiece",
    "InMemoryLlmCache",
    "IncidentContext",
    "LlmAnalyzer",
    "LlmCache",
    "LlmFailure",
    "LlmResult",
    "LlmUsage",
    "RcaOutcome",
    "RecentHistory",
    "analyze_event",
    "analyze_incident",
    "classify",
    "gather_context",
    "incident_signature",
    "normalise_message",
    "rank_similar",
    "redact",
]
