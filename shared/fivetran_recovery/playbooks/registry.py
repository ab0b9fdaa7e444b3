"""The playbook registry: look up by id, and match a diagnosis to the most specific playbook."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from fivetran_recovery.models.diagnosis import Category, Diagnosis
from fivetran_recovery.playbooks.loader import PlaybookError, load_playbooks
from fivetran_recovery.playbooks.schema import Playbook

FALLBACK_ID = "escalate_unknown"
_STATUS_CODE = re.compile(r"\b(?:http|status(?:\s*code)?|error)\W{0,3}([45]\d\d)\b", re.IGNORECASE)

# Specificity of each kind of match: a Fivetran taskType is the most precise signal, then the pattern.
_TASK_TYPE_SCORE = 8
_PATTERN_SCORE = 4
_STATUS_CODE_SCORE = 2
_CATEGORY_SCORE = 1


def status_codes_in(diagnosis: Diagnosis) -> set[int]:
    """HTTP status codes named in the diagnosis' evidence or summary (e.g. "HTTP 429", "status code: 503")."""
    texts = [e.detail for e in diagnosis.evidence] + [diagnosis.summary]
    return {int(m.group(1)) for text in texts for m in _STATUS_CODE.finditer(text)}


class Registry:
    def __init__(self, playbooks: Iterable[Playbook]):
        self._by_id: dict[str, Playbook] = {}
        for playbook in playbooks:
            if playbook.id in self._by_id:
                raise PlaybookError(f"duplicate playbook id {playbook.id!r}")
            self._by_id[playbook.id] = playbook
        if FALLBACK_ID not in self._by_id:
            raise PlaybookError(f"the registry needs the fallback playbook {FALLBACK_ID!r}")

    def ids(self) -> list[str]:
        return sorted(self._by_id)

    def get(self, playbook_id: str) -> Playbook:
        try:
            return self._by_id[playbook_id]
        except KeyError:
            raise KeyError(f"no playbook {playbook_id!r}; known: {', '.join(self.ids())}") from None

    def __iter__(self):
        return iter(self._by_id[i] for i in self.ids())

    def __len__(self) -> int:
        return len(self._by_id)

    def score(self, playbook: Playbook, diagnosis: Diagnosis, *, task_type: str | None, codes: set[int]) -> int:
        """How specifically `playbook` fits; 0 means it does not apply."""
        match = playbook.match
        if match.is_empty or diagnosis.confidence < match.min_confidence:
            return 0
        if task_type and task_type in match.task_types:
            return _TASK_TYPE_SCORE + (_PATTERN_SCORE if diagnosis.pattern in match.patterns else 0)
        if match.categories and diagnosis.category not in match.categories:
            return 0
        score = 0
        if diagnosis.pattern in match.patterns:
            score += _PATTERN_SCORE
        if codes & set(match.status_codes):
            score += _STATUS_CODE_SCORE
        if score == 0 and not match.patterns and match.categories:
            score = _CATEGORY_SCORE  # a category-wide playbook with no pattern list
        return score

    def for_prediction(self, kind: str | None) -> Playbook | None:
        """The preemptive playbook for a predicted failure kind (highest priority first), or None."""
        fits = [p for p in self._by_id.values() if kind and kind in p.match.predicted]
        return max(fits, key=lambda p: (p.priority, p.id)) if fits else None

    def _best(self, diagnosis: Diagnosis, *, task_type: str | None, status_code: int | None) -> Playbook:
        """The most specific playbook by category, pattern, task type and status codes; never by a name."""
        if diagnosis.category is Category.UNKNOWN:
            return self._by_id[FALLBACK_ID]
        codes = status_codes_in(diagnosis) | ({status_code} if status_code else set())
        best: tuple[int, int, str] | None = None
        for playbook in self._by_id.values():
            if playbook.id == FALLBACK_ID:
                continue
            score = self.score(playbook, diagnosis, task_type=task_type, codes=codes)
            if score and (best is None or (score, playbook.priority, playbook.id) > best):
                best = (score, playbook.priority, playbook.id)
        return self._by_id[best[2] if best else FALLBACK_ID]

    def _named_fits(self, playbook: Playbook, diagnosis: Diagnosis) -> bool:
        """An LLM-named playbook counts only for a real diagnosis of a category the playbook matches."""
        return (diagnosis.category is not Category.UNKNOWN and diagnosis.category in playbook.match.categories
                and diagnosis.confidence >= playbook.match.min_confidence)

    def select(self, diagnosis: Diagnosis, *, rules: Diagnosis | None = None, task_type: str | None = None,
               status_code: int | None = None) -> Selection:
        """The playbook for this diagnosis, and the holds that keep it from running without approval.

        A playbook the diagnosis names (the LLM's recommendation) is taken only when the diagnosis is not
        unknown/inconclusive and its category is one the playbook matches. When the chosen playbook is not the one
        the rules' own diagnosis (`rules`, the classifier's answer) leads to, it never runs without approval.
        """
        rules = rules if rules is not None else diagnosis
        if rules.analyzer != "rules":  # only the classifier's own answer counts as the rules' choice
            rules = Diagnosis.unknown()
        rules_choice = self._best(rules.model_copy(update={"playbook": None}), task_type=task_type,
                                  status_code=status_code)
        chosen = self._best(diagnosis, task_type=task_type, status_code=status_code)
        named = self._by_id.get(diagnosis.playbook or "")
        if named is not None and named.id != chosen.id and self._named_fits(named, diagnosis):
            chosen = named
        holds = []
        if chosen.id not in (rules_choice.id, FALLBACK_ID):
            holds.append(f"playbook {chosen.id} was chosen by the {diagnosis.analyzer} analysis, not by the rules "
                         f"(they chose {rules_choice.id}): it runs only with approval")
        return Selection(playbook=chosen, rules_choice=rules_choice.id, holds=holds)

    def match(self, diagnosis: Diagnosis, *, task_type: str | None = None, status_code: int | None = None) -> Playbook:
        """The most specific playbook for this diagnosis, or the escalation fallback (see `select`)."""
        return self.select(diagnosis, task_type=task_type, status_code=status_code).playbook

@dataclass(frozen=True)
class Selection:
    playbook: Playbook
    rules_choice: str
    holds: list[str] = field(default_factory=list)


def is_schema_change(playbook: Playbook) -> bool:
    """Whether the playbook acts on a schema change (its scope then needs a schema diff)."""
    return Category.SCHEMA_DRIFT in playbook.match.categories and playbook.writes


def load_registry(directory: str | os.PathLike[str] | None = None) -> Registry:
    return Registry(load_playbooks(directory))


@lru_cache(maxsize=1)
def default_registry() -> Registry:
    """The registry from PLAYBOOKS_DIR or the packaged copy, loaded once per process."""
    return load_registry()
