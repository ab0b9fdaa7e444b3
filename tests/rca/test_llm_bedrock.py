"""Claude on Amazon Bedrock through the real `anthropic.AnthropicBedrock` client, pointed at the loopback fake's
`/model/{model}/invoke` route: SigV4-signed with (fake) AWS credentials, no API key, same answer handling."""

from __future__ import annotations

import pytest

from fivetran_recovery.composition.adapters import Adapters
from fivetran_recovery.composition.diagnose import LlmProvider
from fivetran_recovery.models.diagnosis import Category
from fivetran_recovery.rca import LlmAnalyzer
from fivetran_recovery.settings import Settings
from local.fake_anthropic import Behaviour
from tests.rca.test_llm import _answer, _unsure

ALLOWED = ["retry_with_backoff", "reauthorize_credentials", "warehouse_capacity_wait", "escalate_unknown"]
MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"


@pytest.fixture(autouse=True)
def _fake_aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAFAKEFAKEFAKEFAKE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "fake-secret-not-real")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_BEARER_TOKEN_BEDROCK", raising=False)


def test_given_bedrock_when_analyzing_then_signed_invoke_of_the_model_and_the_llm_diagnosis(fake_anthropic):
    fake_anthropic.enqueue(Behaviour.tool_use(_answer()))
    analyzer = LlmAnalyzer(provider="bedrock", aws_region="eu-west-1", model=MODEL, base_url=fake_anthropic.base_url,
                           timeout=5.0, max_retries=0)
    context, baseline = _unsure()

    result = analyzer.analyze(context, baseline, ALLOWED)

    assert result.ok, result.failure
    assert result.diagnosis.category == Category.CREDENTIAL and result.diagnosis.analyzer == "llm"
    body = fake_anthropic.requests[0]
    assert body["model"] == MODEL  # taken from the /model/{model}/invoke path
    assert body["anthropic_version"]  # the Bedrock body shape: version in the body, model in the path
    assert body["tool_choice"] == {"type": "tool", "name": "record_diagnosis"}
    auth = fake_anthropic.bedrock_auth[0]
    assert auth.startswith("AWS4-HMAC-SHA256 Credential=AKIAFAKEFAKEFAKEFAKE/")
    assert "/eu-west-1/bedrock/aws4_request" in auth
    # priced by the model name inside the Bedrock id (Sonnet 4: $3/M in, $15/M out)
    assert result.usage.cost_usd == round((1200 * 3 + 180 * 15) / 1_000_000, 6)


def test_given_bedrock_overloaded_when_analyzing_then_the_classifier_stands(fake_anthropic):
    fake_anthropic.enqueue(Behaviour.overloaded())
    analyzer = LlmAnalyzer(provider="bedrock", aws_region="eu-west-1", model=MODEL, base_url=fake_anthropic.base_url,
                           timeout=5.0, max_retries=0)
    context, baseline = _unsure()

    result = analyzer.analyze(context, baseline, ALLOWED)

    assert result.failure is not None and result.failure.kind == "overloaded"
    assert result.diagnosis == baseline


def test_given_bedrock_settings_when_wiring_then_no_secret_is_read_and_the_region_is_the_functions():
    class NoSecrets:
        def get(self, *args, **kwargs):
            raise AssertionError("bedrock must not read the Anthropic secret")

    settings = Settings.from_env({"LLM_PROVIDER": "bedrock", "AWS_REGION": "eu-central-1", "ANTHROPIC_MODEL": MODEL,
                                  "LLM_BASE_URL": "https://llm-proxy.internal.example"})
    adapters = Adapters(settings=settings).override(secrets=NoSecrets())

    llm = LlmProvider(adapters)()

    assert llm.provider == "bedrock" and llm.aws_region == "eu-central-1" and llm.model == MODEL
    assert llm.base_url == "https://llm-proxy.internal.example"


def test_given_wrong_provider_arguments_when_building_then_refused():
    from pydantic import SecretStr

    with pytest.raises(ValueError):
        LlmAnalyzer(provider="bedrock", model=MODEL)  # no region
    with pytest.raises(ValueError):
        LlmAnalyzer(provider="bedrock", aws_region="eu-west-1", model=MODEL, api_key=SecretStr("sk-ant-x"))
    with pytest.raises(TypeError):
        LlmAnalyzer(model="claude-sonnet-4-6")  # anthropic needs the key
