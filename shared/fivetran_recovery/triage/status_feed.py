"""External status: vendor status pages in Atlassian Statuspage v2 `summary.json` shape.

Fivetran's and the warehouse cloud's status pages say when a failure is theirs. A confirmed incident whose
category a feed covers gets the feed's active incidents (and degraded components, and maintenance in progress)
as evidence. A feed that cannot be read is reported, never fatal: triage must not depend on a vendor's page.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import httpx
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from fivetran_recovery.models.diagnosis import Category
from fivetran_recovery.models.incident import ExternalStatusRef

logger = logging.getLogger(__name__)

RESOLVED_INCIDENT_STATES = frozenset({"resolved", "postmortem", "completed"})
DEGRADED_COMPONENT_STATES = frozenset({"degraded_performance", "partial_outage", "major_outage"})
ACTIVE_MAINTENANCE_STATES = frozenset({"in_progress", "verifying"})


class StatusFeedConfigError(ValueError):
    pass


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore")


class SpComponent(_Loose):
    id: str = ""
    name: str
    status: str = "operational"


class SpIncident(_Loose):
    id: str = ""
    name: str
    status: str
    impact: str = "none"
    shortlink: str | None = None
    components: list[SpComponent] = Field(default_factory=list)


class SpMaintenance(_Loose):
    id: str = ""
    name: str
    status: str
    shortlink: str | None = None
    components: list[SpComponent] = Field(default_factory=list)


class SpPage(_Loose):
    name: str = ""
    url: str | None = None


class SpStatus(_Loose):
    indicator: str = "none"
    description: str = ""


class StatuspageSummary(_Loose):
    """GET /api/v2/summary.json of an Atlassian Statuspage."""

    page: SpPage = Field(default_factory=SpPage)
    status: SpStatus = Field(default_factory=SpStatus)
    components: list[SpComponent] = Field(default_factory=list)
    incidents: list[SpIncident] = Field(default_factory=list)
    scheduled_maintenances: list[SpMaintenance] = Field(default_factory=list)


class StatusFeed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    url: str = Field(pattern=r"^https?://")
    categories: frozenset[Category] = Field(
        default_factory=lambda: frozenset(Category), description="failure categories this feed may explain"
    )
    components: list[str] = Field(
        default_factory=list, description="component names to watch (case-insensitive substrings); empty = all"
    )


class StatusFeedsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1] = 1
    cache_seconds: int = Field(60, ge=0)
    timeout_seconds: float = Field(2.0, gt=0, le=10)
    feeds: list[StatusFeed] = Field(default_factory=list)


def load_status_feeds(path: str | Path, *, urls: Sequence[str] | None = None) -> StatusFeedsConfig:
    """The feeds file; `urls`, when given, replaces its feeds (explicit argument > file)."""
    path = Path(path)
    try:
        config = StatusFeedsConfig.model_validate(yaml.safe_load(path.read_text()) or {})
    except FileNotFoundError:
        raise StatusFeedConfigError(f"{path}: file not found") from None
    except (yaml.YAMLError, ValidationError) as error:
        raise StatusFeedConfigError(f"{path}: invalid: {error}") from None
    if urls is not None:
        config = config.model_copy(update={"feeds": feeds_from_urls(urls).feeds})
    return config


def feeds_from_urls(urls: Sequence[str]) -> StatusFeedsConfig:
    """Feeds for a plain URL list (e.g. the simulator's), each covering every category."""
    return StatusFeedsConfig(feeds=[StatusFeed(name=f"feed{i + 1}", url=url) for i, url in enumerate(urls)])


class StatusFeedReader:
    """Reads every configured feed (cached), and answers: which external problems are active for a category?"""

    def __init__(
        self,
        config: StatusFeedsConfig,
        *,
        client: httpx.Client | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.config = config
        self._client = client
        self._clock = clock or (lambda: datetime.now(UTC))
        self._cache: dict[str, tuple[datetime, StatuspageSummary | None]] = {}
        self._lock = threading.Lock()
        self.errors: list[str] = []

    def active(self, category: Category) -> list[ExternalStatusRef]:
        refs: list[ExternalStatusRef] = []
        for feed in self.config.feeds:
            if category not in feed.categories:
                continue
            summary = self._summary(feed)
            if summary is not None:
                refs.extend(_active_refs(feed, summary))
        return refs

    def _summary(self, feed: StatusFeed) -> StatuspageSummary | None:
        now = self._clock()
        with self._lock:
            cached = self._cache.get(feed.url)
            if cached and (now - cached[0]).total_seconds() < self.config.cache_seconds:
                return cached[1]
        summary = self._fetch(feed)
        with self._lock:
            self._cache[feed.url] = (now, summary)
        return summary

    def _fetch(self, feed: StatusFeed) -> StatuspageSummary | None:
        client = self._client or httpx.Client()
        try:
            response = client.get(feed.url, timeout=self.config.timeout_seconds)
            response.raise_for_status()
            return StatuspageSummary.model_validate(response.json())
        except (httpx.HTTPError, ValueError, ValidationError) as error:
            message = f"status feed {feed.name} unreadable: {type(error).__name__}"
            self.errors.append(message)
            logger.warning(message, extra={"feed": feed.name, "url": feed.url})
            return None
        finally:
            if self._client is None:
                client.close()


def _watched(feed: StatusFeed, components: Sequence[SpComponent]) -> bool:
    if not feed.components:
        return True
    names = [c.name.lower() for c in components]
    return any(w.lower() in name for w in feed.components for name in names)


def _active_refs(feed: StatusFeed, summary: StatuspageSummary) -> list[ExternalStatusRef]:
    source = summary.page.name or feed.name
    refs = [
        ExternalStatusRef(source=source, name=i.name, status=i.status, impact=i.impact, url=i.shortlink)
        for i in summary.incidents
        if i.status not in RESOLVED_INCIDENT_STATES and (not i.components or _watched(feed, i.components))
    ]
    refs += [
        ExternalStatusRef(source=source, name=m.name, status=f"maintenance_{m.status}", url=m.shortlink)
        for m in summary.scheduled_maintenances
        if m.status in ACTIVE_MAINTENANCE_STATES and (not m.components or _watched(feed, m.components))
    ]
    if not refs:  # no incident posted yet, but a watched component may already show the outage
        refs += [
            ExternalStatusRef(source=source, name=f"component {c.name}", status=c.status)
            for c in summary.components
            if c.status in DEGRADED_COMPONENT_STATES and _watched(feed, [c])
        ]
    return refs
