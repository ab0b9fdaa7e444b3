"""The digest: what was kept out of the pager on purpose (suppressed, self-healed, unattributed cancels),
counted and listed so nothing disappears in the noise."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from pydantic import BaseModel, Field

from fivetran_recovery.stores.base import DigestEntry, DigestStore


class DigestReport(BaseModel):
    since: datetime
    until: datetime
    total: int
    by_kind: dict[str, int] = Field(default_factory=dict)
    by_rule: dict[str, int] = Field(default_factory=dict)
    by_connection: dict[str, int] = Field(default_factory=dict)
    entries: list[DigestEntry] = Field(default_factory=list)

    def render_text(self, *, max_lines: int = 50) -> str:
        lines = [f"Digest {self.since:%Y-%m-%d %H:%M} to {self.until:%Y-%m-%d %H:%M} UTC: {self.total} events"]
        lines += [f"  {kind}: {count}" for kind, count in sorted(self.by_kind.items())]
        if self.by_rule:
            lines.append("Maintenance windows:")
            lines += [f"  {rule}: {count}" for rule, count in sorted(self.by_rule.items())]
        lines.append("Events:")
        for entry in self.entries[:max_lines]:
            what = entry.rule or entry.pattern or entry.status or ""
            lines.append(f"  {entry.at:%m-%d %H:%M} {entry.kind.value:<22} {entry.connection_id or '-'} {what}")
        if len(self.entries) > max_lines:
            lines.append(f"  ... and {len(self.entries) - max_lines} more")
        return "\n".join(lines)


def build_digest(store: DigestStore, *, since: datetime, until: datetime) -> DigestReport:
    entries = store.between(since, until)
    return DigestReport(
        since=since,
        until=until,
        total=len(entries),
        by_kind=dict(Counter(e.kind.value for e in entries)),
        by_rule=dict(Counter(e.rule for e in entries if e.rule)),
        by_connection=dict(Counter(e.connection_id or "-" for e in entries)),
        entries=entries,
    )
