"""LLM root cause analysis through the Anthropic Messages API, with the classifier as the safety net.

- Forced tool use: the model must answer by calling `record_diagnosis`, whose JSON schema carries the taxonomy,
  the allowed playbooks (the only actions it may recommend) and the evidence ids it may cite.
- The answer is validated by `LlmAnswer` and then by the same pydantic `Diagnosis` the rules produce; every claim
  must cite an evidence id present in the context; "inconclusive" maps to category `unknown`.
- Source text is redacted (in `gather_context`) and delimited as untrusted data in the prompt.
- The fixed system prompt carries `cache_control` so the tools + system prefix is cached by the API.
- Any failure (timeout, 529 overloaded, API error, malformed output, validation error) returns the classifier's
  diagnosis unchanged, with the failure recorded. The SDK is imported lazily: it costs seconds to import.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import cache
from pathlib import Path
from string import Template
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError

from fivetran_recovery.models.diagnosis import Category, Diagnosis, Evidence
from fivetran_recovery.rca.context import IncidentContext
from fivetran_recovery.rca.redaction import redact

logger = logging.getLogger(__name__)

TOOL_NAME = "record_diagnosis"
PROMPTS = Path(__file__).with_name("prompts")
NO_PLAYBOOK = "none"
DEFAULT_MAX_TOKENS = 1024
UNTRUSTED_TAG = "untrusted_incident_data"

# USD per million tokens (input, output, cache read, cache write 5 min) from Anthropic's public price list,
# matched by model-name prefix, most specific first; a model not listed is priced as Sonnet.
PRICING: dict[str, tuple[float, float, float, float]] = {
    "claude-opus-4-0": (15.0, 75.0, 1.50, 18.75),
    "claude-opus-4-1": (15.0, 75.0, 1.50, 18.75),
    "claude-opus-4-2025": (15.0, 75.0, 1.50, 18.75),
    "claude-opus-4": (5.0, 25.0, 0.50, 6.25),
    "claude-sonnet-4": (3.0, 15.0, 0.30, 3.75),
    "claude-haiku-4": (1.0, 5.0, 0.10, 1.25),
    "claude-3-5-haiku": (0.8, 4.0, 0.08, 1.0),
}
DEFAULT_PRICE = PRICING["claude-sonnet-4"]


class LlmUsage(BaseModel):
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_input_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cost_usd: float = 0.0

    def __add__(self, other: LlmUsage) -> LlmUsage:
        return LlmUsage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cache_read_input_tokens=self.cache_read_input_tokens + other.cache_read_input_tokens,
            cache_creation_input_tokens=self.cache_creation_input_tokens + other.cache_creation_input_tokens,
            cost_usd=round(self.cost_usd + other.cost_usd, 6),
        )


FailureKind = Literal["timeout", "overloaded", "rate_limited", "api_error", "connection", "malformed", "validation"]


class LlmFailure(BaseModel):
    kind: FailureKind
    detail: str = Field(max_length=600)


class LlmResult(BaseModel):
    """What one analysis produced. On failure `diagnosis` is the classifier's, unchanged."""

    diagnosis: Diagnosis
    usage: LlmUsage = Field(default_factory=LlmUsage)
    calls: int = 0
    failure: LlmFailure | None = None
    model: str = ""

    @property
    def ok(self) -> bool:
        return self.failure is None


class Claim(BaseModel):
    claim: str = Field(min_length=1, max_length=400)
    evidence_ids: list[str] = Field(min_length=1)


class LlmAnswer(BaseModel):
    """The tool input, as the model must send it."""

    verdict: Literal["diagnosed", "inconclusive"]
    category: Category
    pattern: str
    retryable: bool
    confidence: float = Field(ge=0.0, le=1.0)
    summary: str = Field(min_length=1, max_length=1200)
    claims: list[Claim] = Field(min_length=1, max_length=8)
    recommended_playbook: str


class LlmOutputError(ValueError):
    """The model answered, but not with a usable `record_diagnosis` call."""


def price(model: str, usage: LlmUsage) -> float:
    name = model.split("anthropic.")[-1]  # Bedrock ids: [us.|eu.|global.]anthropic.claude-...
    rates = next((r for prefix, r in PRICING.items() if name.startswith(prefix)), DEFAULT_PRICE)
    cost = (
        usage.input_tokens * rates[0]
        + usage.output_tokens * rates[1]
        + usage.cache_read_input_tokens * rates[2]
        + usage.cache_creation_input_tokens * rates[3]
    ) / 1_000_000
    return round(cost, 6)


@cache
def _prompt(name: str) -> str:
    return (PROMPTS / name).read_text(encoding="utf-8")


def build_tool(allowed_playbooks: list[str], evidence_ids: list[str]) -> dict[str, Any]:
    return {
        "name": TOOL_NAME,
        "description": "Record the root-cause diagnosis of the incident. Every claim cites evidence ids.",
        "input_schema": {
            "type": "object",
            "properties": {
                "verdict": {"type": "string", "enum": ["diagnosed", "inconclusive"]},
                "category": {"type": "string", "enum": [c.value for c in Category]},
                "pattern": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$", "maxLength": 80},
                "retryable": {"type": "boolean"},
                "confidence": {"type": "number", "minimum": 0, "maximum": 1},
                "summary": {"type": "string", "maxLength": 1200},
                "claims": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 8,
                    "items": {
                        "type": "object",
                        "properties": {
                            "claim": {"type": "string", "maxLength": 400},
                            "evidence_ids": {
                                "type": "array",
                                "minItems": 1,
                                "items": {"type": "string", "enum": evidence_ids},
                            },
                        },
                        "required": ["claim", "evidence_ids"],
                        "additionalProperties": False,
                    },
                },
                "recommended_playbook": {"type": "string", "enum": [*allowed_playbooks, NO_PLAYBOOK]},
            },
            "required": [
                "verdict",
                "category",
                "pattern",
                "retryable",
                "confidence",
                "summary",
                "claims",
                "recommended_playbook",
            ],
            "additionalProperties": False,
        },
    }


def _neutralise(text: str) -> str:
    """Untrusted text cannot open or close any tag of the prompt (the data delimiter, a `<piece>` that would forge
    evidence with another source, a `<note>`): angle brackets become look-alikes that mark nothing."""
    return text.replace("<", "\u2039").replace(">", "\u203a")


def render_user_prompt(context: IncidentContext, baseline: Diagnosis, allowed_playbooks: list[str]) -> str:
    hypothesis = json.dumps(
        {
            "category": baseline.category.value,
            "pattern": baseline.pattern,
            "retryable": baseline.retryable,
            "confidence": baseline.confidence,
        }
    )
    blocks = [
        f'<piece id="{p.id}" source="{p.source}">\n{_neutralise(redact(p.content))}\n</piece>' for p in context.pieces
    ]
    if context.errors:
        failed = "; ".join(f"{e.source}: {e.error}" for e in context.errors)
        blocks.append(f'<note source="context">could not gather: {_neutralise(redact(failed))}</note>')
    return Template(_prompt("user.md")).substitute(
        baseline=hypothesis, playbooks=", ".join(allowed_playbooks) or NO_PLAYBOOK, data="\n".join(blocks)
    )


def build_request(
    context: IncidentContext, baseline: Diagnosis, allowed_playbooks: list[str], *, model: str, max_tokens: int
) -> dict[str, Any]:
    evidence_ids = [p.id for p in context.pieces] or ["E1"]
    return {
        "model": model,
        "max_tokens": max_tokens,
        "system": [{"type": "text", "text": _prompt("system.md"), "cache_control": {"type": "ephemeral"}}],
        "tools": [build_tool(allowed_playbooks, evidence_ids)],
        "tool_choice": {"type": "tool", "name": TOOL_NAME},
        "messages": [{"role": "user", "content": render_user_prompt(context, baseline, allowed_playbooks)}],
    }


def parse_answer(message: Any, context: IncidentContext, allowed_playbooks: list[str]) -> Diagnosis:
    """The Diagnosis in the model's tool call; raises LlmOutputError or pydantic.ValidationError."""
    blocks = getattr(message, "content", None) or []
    call = next((b for b in blocks if getattr(b, "type", None) == "tool_use"), None)
    if call is None or getattr(call, "name", None) != TOOL_NAME:
        raise LlmOutputError(f"no {TOOL_NAME} tool call in the response")
    raw = call.input
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise LlmOutputError("tool input is not JSON") from None
    answer = LlmAnswer.model_validate(raw)
    known = {p.id: p for p in context.pieces}
    cited = {i for claim in answer.claims for i in claim.evidence_ids}
    if unknown := sorted(cited - known.keys()):
        raise LlmOutputError(f"claims cite evidence that does not exist: {', '.join(unknown)}")
    playbook = answer.recommended_playbook
    if playbook != NO_PLAYBOOK and playbook not in allowed_playbooks:
        raise LlmOutputError(f"recommended playbook {playbook!r} is not an allowed playbook")
    evidence = [
        Evidence(source=f"llm:{'+'.join(known[i].source for i in claim.evidence_ids)}", detail=redact(claim.claim))
        for claim in answer.claims
    ]
    if answer.verdict == "inconclusive" or answer.category is Category.UNKNOWN:
        return Diagnosis(
            category=Category.UNKNOWN,
            pattern="unknown",
            retryable=False,
            confidence=min(answer.confidence, 0.3),
            evidence=evidence,
            summary=redact(answer.summary),
            playbook=playbook if playbook != NO_PLAYBOOK else None,
            analyzer="llm",
        )
    return Diagnosis(
        category=answer.category,
        pattern=answer.pattern,
        retryable=answer.retryable,
        confidence=answer.confidence,
        evidence=evidence,
        summary=redact(answer.summary),
        playbook=playbook if playbook != NO_PLAYBOOK else None,
        analyzer="llm",
    )


def _usage_of(message: Any, model: str) -> LlmUsage:
    raw = getattr(message, "usage", None)
    usage = LlmUsage(
        input_tokens=getattr(raw, "input_tokens", 0) or 0,
        output_tokens=getattr(raw, "output_tokens", 0) or 0,
        cache_read_input_tokens=getattr(raw, "cache_read_input_tokens", 0) or 0,
        cache_creation_input_tokens=getattr(raw, "cache_creation_input_tokens", 0) or 0,
    )
    return usage.model_copy(update={"cost_usd": price(model, usage)})


Provider = Literal["anthropic", "bedrock"]


def _anthropic_client(**kwargs: Any) -> Any:
    import anthropic  # lazy: importing the SDK costs seconds on a cold start

    return anthropic.Anthropic(**kwargs)


def _bedrock_client(**kwargs: Any) -> Any:
    """Claude on Amazon Bedrock: the same Messages API, SigV4-signed with the function's own AWS credentials
    (botocore's chain), so prompts stay inside the account and region; no API key."""
    from anthropic import AnthropicBedrock  # lazy, as above

    return AnthropicBedrock(**kwargs)


class LlmAnalyzer:
    """Calls the Messages API for one incident; the classifier's diagnosis stands on any failure."""

    def __init__(
        self,
        *,
        api_key: SecretStr | None = None,
        model: str,
        base_url: str | None = None,
        provider: Provider = "anthropic",
        aws_region: str | None = None,
        timeout: float = 20.0,
        max_retries: int = 2,
        client_factory: Callable[..., Any] | None = None,
        max_tokens: int = DEFAULT_MAX_TOKENS,
    ):
        if provider == "anthropic":
            if not isinstance(api_key, SecretStr):
                raise TypeError("api_key must be a pydantic SecretStr")
            if not api_key.get_secret_value():
                raise ValueError("api_key is empty")
        elif provider == "bedrock":
            if api_key is not None:
                raise ValueError("bedrock signs with AWS credentials: no api_key")
            if not aws_region:
                raise ValueError("bedrock needs aws_region")
        else:
            raise ValueError(f"unknown LLM provider {provider!r}")
        self.provider = provider
        self.aws_region = aws_region
        if timeout <= 0 or max_retries < 0:
            raise ValueError("timeout must be positive and max_retries non-negative")
        self._api_key = api_key
        self.model = model
        self.base_url = base_url
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_tokens = max_tokens
        self._client_factory = client_factory or (_bedrock_client if provider == "bedrock" else _anthropic_client)
        self._client: Any = None

    def __repr__(self) -> str:
        key = "None" if self._api_key is None else "SecretStr('**********')"
        return (f"LlmAnalyzer(provider={self.provider!r}, model={self.model!r}, base_url={self.base_url!r}, "
                f"api_key={key})")

    def _get_client(self) -> Any:
        if self._client is None:
            kwargs: dict[str, Any] = {"timeout": self.timeout, "max_retries": self.max_retries}
            if self.provider == "bedrock":
                kwargs["aws_region"] = self.aws_region
            else:
                kwargs["api_key"] = self._api_key.get_secret_value()  # type: ignore[union-attr]
            if self.base_url:
                kwargs["base_url"] = self.base_url
            self._client = self._client_factory(**kwargs)
        return self._client

    def analyze(self, context: IncidentContext, baseline: Diagnosis, allowed_playbooks: list[str]) -> LlmResult:
        request = build_request(context, baseline, allowed_playbooks, model=self.model, max_tokens=self.max_tokens)
        try:
            message = self._get_client().messages.create(**request)
        except Exception as exc:  # any API failure: the classifier's answer stands
            return self._failed(baseline, _classify_error(exc), calls=1)
        usage = _usage_of(message, self.model)
        try:
            diagnosis = parse_answer(message, context, allowed_playbooks)
        except LlmOutputError as exc:
            return self._failed(baseline, LlmFailure(kind="malformed", detail=redact(str(exc))[:600]), 1, usage)
        except ValidationError as exc:
            detail = redact("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5]))
            return self._failed(baseline, LlmFailure(kind="validation", detail=detail[:600]), 1, usage)
        return LlmResult(diagnosis=diagnosis, usage=usage, calls=1, model=self.model)

    def _failed(self, baseline: Diagnosis, failure: LlmFailure, calls: int, usage: LlmUsage | None = None) -> LlmResult:
        logger.warning("llm analysis failed, the classifier's diagnosis stands: %s: %s", failure.kind, failure.detail)
        return LlmResult(diagnosis=baseline, usage=usage or LlmUsage(), calls=calls, failure=failure, model=self.model)


def _classify_error(exc: Exception) -> LlmFailure:
    """Map an SDK exception to a failure kind without importing the SDK (names and status codes only)."""
    name = type(exc).__name__
    status = getattr(exc, "status_code", None)
    detail = redact(f"{name}: {exc}")[:600]
    if name == "APITimeoutError" or isinstance(exc, TimeoutError):
        return LlmFailure(kind="timeout", detail=detail)
    if status == 529 or name == "OverloadedError":
        return LlmFailure(kind="overloaded", detail=detail)
    if status == 429:
        return LlmFailure(kind="rate_limited", detail=detail)
    if status is not None:
        return LlmFailure(kind="api_error", detail=detail)
    if name == "APIConnectionError" or isinstance(exc, ConnectionError):
        return LlmFailure(kind="connection", detail=detail)
    return LlmFailure(kind="malformed", detail=detail)
