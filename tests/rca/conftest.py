"""Fixtures for the RCA tests: the loopback fake of the Anthropic Messages API and analyzers pointed at it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from local.fake_anthropic import FakeAnthropic

DATA = Path(__file__).parent / "data"
FIVETRAN_FIXTURES = Path(__file__).resolve().parents[1] / "data" / "fivetran" / "fixtures"
ALLOWED = ["retry_with_backoff", "reauthorize_credentials", "warehouse_capacity_wait", "escalate_unknown"]


@pytest.fixture(autouse=True)
def _no_llm_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """The diagnose CLI asks the LLM when a key is in the environment: tests opt in explicitly."""
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)


@pytest.fixture
def fake_anthropic() -> Iterator[FakeAnthropic]:
    with FakeAnthropic() as fake:
        yield fake


@pytest.fixture
def make_analyzer(fake_anthropic: FakeAnthropic) -> Callable[..., object]:
    from fivetran_recovery.rca import LlmAnalyzer

    def make(*, timeout: float = 2.0, max_retries: int = 0, model: str = "claude-sonnet-4-6") -> LlmAnalyzer:
        return LlmAnalyzer(
            api_key=SecretStr("sk-ant-test-key-not-real-0000000000"),
            model=model,
            base_url=fake_anthropic.base_url,
            timeout=timeout,
            max_retries=max_retries,
        )

    return make


def load_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))
