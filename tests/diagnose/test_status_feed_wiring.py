"""The status-feed URLs the environment names reach diagnose's triage (issue 13, defect 6): the local stack's
simulator feed, never the vendors' real pages over the network."""

from __future__ import annotations

from fivetran_recovery.composition import Adapters
from fivetran_recovery.composition.diagnose import build_service
from fivetran_recovery.settings import get_settings


def test_given_status_feed_urls_in_the_environment_then_diagnose_reads_those(aws_stack, monkeypatch):
    monkeypatch.setenv("STATUS_FEED_URLS", "http://127.0.0.1:9/a.json, http://127.0.0.1:9/b.json")
    get_settings.cache_clear()
    service = build_service(Adapters())
    feeds = service.triage.status_feed.config.feeds
    assert [f.url for f in feeds] == ["http://127.0.0.1:9/a.json", "http://127.0.0.1:9/b.json"]
    get_settings.cache_clear()
