"""The playbook registry check (part of `make test`): every YAML validates, the packaged copy matches the repo's
playbooks/ folder, and diagnoses match the playbook a human would pick."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from fivetran_recovery.models.diagnosis import Category, Diagnosis, Evidence
from fivetran_recovery.playbooks.loader import PACKAGED_DIR, PlaybookError, load_playbook, load_playbooks
from fivetran_recovery.playbooks.registry import FALLBACK_ID, Registry, default_registry, load_registry
from fivetran_recovery.playbooks.schema import Action, Playbook, Risk

REPO_PLAYBOOKS = Path(__file__).resolve().parents[2] / "playbooks"
REQUIRED_IDS = {
    "retry_with_backoff",
    "wait_out_rate_limit",
    "reauthorize_credentials",
    "schema_change_non_breaking",
    "schema_change_breaking",
    "warehouse_capacity_wait",
    "duplicate_keys_recovery_sql",
    "broken_setup_retest",
    "escalate_unknown",
}


def diagnosis(category: str, pattern: str, confidence: float = 0.9, **kwargs) -> Diagnosis:
    return Diagnosis(category=category, pattern=pattern, retryable=False, confidence=confidence, **kwargs)


@pytest.mark.parametrize("path", sorted(REPO_PLAYBOOKS.glob("*.yaml")), ids=lambda p: p.stem)
def test_given_repo_playbook_when_loaded_then_it_validates(path: Path) -> None:
    playbook = load_playbook(path)
    assert playbook.id == path.stem
    assert playbook.steps or playbook.id == FALLBACK_ID


def test_given_repo_folder_when_compared_with_packaged_copy_then_identical() -> None:
    repo = {p.name: p.read_bytes() for p in REPO_PLAYBOOKS.glob("*.yaml")}
    packaged = {p.name: p.read_bytes() for p in PACKAGED_DIR.glob("*.yaml")}
    assert repo == packaged, (
        "the Lambda layer ships shared/fivetran_recovery/playbooks/definitions/: copy the repo's playbooks into it "
        "(cp playbooks/*.yaml shared/fivetran_recovery/playbooks/definitions/)"
    )


def test_given_default_registry_when_listed_then_every_required_playbook_is_there() -> None:
    assert set(default_registry().ids()) >= REQUIRED_IDS


def test_given_every_high_risk_playbook_then_it_requires_approval() -> None:
    for playbook in load_registry(REPO_PLAYBOOKS):
        if playbook.risk is Risk.HIGH or any(s.traits.risk is Risk.HIGH for s in playbook.steps):
            assert playbook.requires_approval, playbook.id


@pytest.mark.parametrize(
    ("category", "pattern", "task_type", "expected"),
    [
        ("network", "transient_network_blip", None, "retry_with_backoff"),
        ("source_api_limit", "rate_limit", None, "wait_out_rate_limit"),
        ("credential", "oauth_token_expired", None, "reauthorize_credentials"),
        ("credential", "something_new", "reconnect", "reauthorize_credentials"),
        ("schema_drift", "schema_change_during_sync", None, "schema_change_non_breaking"),
        ("schema_drift", "column_type_change", None, "schema_change_breaking"),
        ("destination", "warehouse_suspended", None, "warehouse_capacity_wait"),
        ("destination", "anything", "reconnect_warehouse", "warehouse_capacity_wait"),
        ("data_quality", "duplicate_primary_key", None, "duplicate_keys_recovery_sql"),
        ("source_config", "setup_broken", None, "broken_setup_retest"),
        ("unknown", "unknown", None, "escalate_unknown"),
        ("permission", "insufficient_privileges", None, "escalate_unknown"),
    ],
)
def test_given_diagnosis_when_matched_then_expected_playbook(category, pattern, task_type, expected) -> None:
    assert default_registry().match(diagnosis(category, pattern), task_type=task_type).id == expected


def test_given_low_confidence_when_matched_then_escalates() -> None:
    assert default_registry().match(diagnosis("network", "transient_network_blip", 0.2)).id == FALLBACK_ID


def test_given_status_code_in_evidence_when_category_matches_then_status_code_counts() -> None:
    found = diagnosis("network", "unlisted_pattern", evidence=[Evidence(source="reason", detail="HTTP 503 from API")])
    assert default_registry().match(found).id == "retry_with_backoff"
    unlisted = diagnosis("network", "unlisted_pattern")
    assert default_registry().match(unlisted).id == FALLBACK_ID


def test_given_diagnosis_naming_a_playbook_of_its_category_then_taken_but_held_when_the_rules_disagree() -> None:
    named = diagnosis("network", "transient_network_blip", playbook="broken_setup_retest", analyzer="llm")
    rules = diagnosis("network", "transient_network_blip")
    selection = default_registry().select(named, rules=rules)
    assert selection.playbook.id == "broken_setup_retest" and selection.rules_choice == "retry_with_backoff"
    assert selection.holds and "only with approval" in selection.holds[0]
    agreeing = default_registry().select(named.model_copy(update={"playbook": "retry_with_backoff"}), rules=rules)
    assert agreeing.playbook.id == "retry_with_backoff" and agreeing.holds == []


def test_given_named_playbook_outside_the_category_or_an_unknown_verdict_then_ignored() -> None:
    registry = default_registry()
    other = diagnosis("network", "transient_network_blip", playbook="warehouse_capacity_wait")
    assert registry.match(other).id == "retry_with_backoff"
    # the scripted answer: inconclusive (-> unknown) but naming the non-breaking schema playbook
    inconclusive = Diagnosis(category="unknown", pattern="unknown", retryable=False, confidence=0.3,
                             playbook="schema_change_non_breaking", analyzer="llm")
    selection = registry.select(inconclusive, rules=Diagnosis.unknown())
    assert selection.playbook.id == FALLBACK_ID and selection.holds == []


def test_given_llm_diagnosis_when_rules_were_unsure_then_its_playbook_is_held() -> None:
    llm = diagnosis("schema_drift", "schema_change_during_sync", analyzer="llm")
    selection = default_registry().select(llm, rules=Diagnosis.unknown())
    assert selection.playbook.id == "schema_change_non_breaking" and selection.holds


def test_given_unknown_id_when_get_then_key_error_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="retry_with_backoff"):
        default_registry().get("nope")


def _write(tmp_path: Path, name: str, document: dict) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def _minimal(**overrides) -> dict:
    doc = {
        "id": "sample",
        "version": 1,
        "title": "Sample",
        "match": {"categories": ["network"]},
        "risk": "low",
        "steps": [{"action": "sync_now"}],
    }
    doc.update(overrides)
    return doc


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"steps": [{"action": "drop_database"}]}, "steps.0.action"),
        ({"steps": [{"action": "sync_now", "params": {"nuke": True}}]}, "unknown params"),
        ({"steps": [{"action": "resync"}]}, "high-risk step"),
        ({"risk": "high"}, "requires_approval"),
        ({"on_failure": [{"action": "pause"}]}, "on_failure may only"),
        ({"steps": [{"action": "update_schedule", "params": {"sync_frequency": 7}}]}, "sync_frequency"),
        ({"match": {"patterns": ["Not Snake"]}}, "snake_case"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_given_invalid_playbook_when_loaded_then_clear_error(tmp_path: Path, overrides, message) -> None:
    path = _write(tmp_path, "sample", _minimal(**overrides))
    with pytest.raises(PlaybookError, match=message):
        load_playbook(path)


def test_given_file_name_not_matching_id_when_loaded_then_refused(tmp_path: Path) -> None:
    with pytest.raises(PlaybookError, match="must equal the file name"):
        load_playbook(_write(tmp_path, "other", _minimal()))


def test_given_registry_without_fallback_then_refused(tmp_path: Path) -> None:
    _write(tmp_path, "sample", _minimal())
    with pytest.raises(PlaybookError, match="escalate_unknown"):
        load_registry(tmp_path)


def test_given_duplicate_ids_then_refused() -> None:
    fallback = default_registry().get(FALLBACK_ID)
    with pytest.raises(PlaybookError, match="duplicate"):
        Registry([fallback, fallback])


def test_given_playbooks_dir_env_when_loading_then_it_is_used(tmp_path: Path, monkeypatch) -> None:
    _write(tmp_path, "sample", _minimal())
    monkeypatch.setenv("PLAYBOOKS_DIR", str(tmp_path))
    assert [p.id for p in load_playbooks()] == ["sample"]


def test_given_missing_directory_then_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PlaybookError, match="does not exist"):
        load_playbooks(tmp_path / "nowhere")


def test_every_action_has_traits() -> None:
    from fivetran_recovery.playbooks.schema import ACTION_TRAITS

    assert set(ACTION_TRAITS) == set(Action)
    assert Playbook.model_json_schema()["title"] == "Playbook"
    assert Category.UNKNOWN in default_registry().get(FALLBACK_ID).match.categories
