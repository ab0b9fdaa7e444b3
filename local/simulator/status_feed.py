"""A Fivetran status page in the Atlassian Statuspage v2 `summary.json` shape, with a control to set an outage.

Shape: {page{id,name,url,time_zone,updated_at}, status{indicator: none|minor|major|critical, description},
components[{id,name,status,...}], incidents[{id,name,status,impact,incident_updates[...]...}],
scheduled_maintenances[]}. The default outage text is a real status.fivetran.com incident (corpus ft-032).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

INDICATORS = ("none", "minor", "major", "critical")
COMPONENT_STATUSES = ("operational", "degraded_performance", "partial_outage", "major_outage", "under_maintenance")
INCIDENT_STATUSES = ("investigating", "identified", "monitoring", "resolved", "postmortem")
DESCRIPTIONS = {
    "none": "All Systems Operational",
    "minor": "Minor Service Outage",
    "major": "Partial System Outage",
    "critical": "Major System Outage",
}
COMPONENTS = ("Connectors", "REST API", "Webhooks", "Dashboard", "Transformations")
DEFAULT_INCIDENT = (
    "Some connectors are experiencing delays or intermittent failures. Additionally, some users may "
    "intermittently be unable to create or edit connectors."
)  # corpus ft-032, https://stspg.io/rcxrslg7z6m2
IMPACT_FOR = {"none": "none", "minor": "minor", "major": "major", "critical": "critical"}


class StatusFeed:
    def __init__(self, now: Callable[[], datetime]) -> None:
        self._now = now
        self._lock = threading.Lock()
        self._indicator = "none"
        self._components = {name: "operational" for name in COMPONENTS}
        self._incidents: list[dict[str, Any]] = []
        self._seq = 0

    def set_outage(
        self,
        indicator: str = "major",
        *,
        components: dict[str, str] | None = None,
        incident: str | None = DEFAULT_INCIDENT,
        incident_status: str = "investigating",
    ) -> None:
        if indicator not in INDICATORS:
            raise ValueError(f"indicator must be one of {INDICATORS}")
        if incident_status not in INCIDENT_STATUSES:
            raise ValueError(f"incident_status must be one of {INCIDENT_STATUSES}")
        wanted = components if components is not None else {"Connectors": "partial_outage"}
        for name, status in wanted.items():
            if name not in self._components:
                raise ValueError(f"unknown component {name!r}; known: {list(COMPONENTS)}")
            if status not in COMPONENT_STATUSES:
                raise ValueError(f"component status must be one of {COMPONENT_STATUSES}")
        with self._lock:
            self._indicator = indicator
            self._components.update(wanted)
            if incident and indicator != "none":
                self._seq += 1
                stamp = self._now().isoformat()
                self._incidents.append(
                    {
                        "id": f"sim-incident-{self._seq}",
                        "name": incident,
                        "status": incident_status,
                        "impact": IMPACT_FOR[indicator],
                        "created_at": stamp,
                        "updated_at": stamp,
                        "started_at": stamp,
                        "monitoring_at": None,
                        "resolved_at": None,
                        "shortlink": f"https://stspg.io/sim{self._seq}",
                        "page_id": "sim-fivetran",
                        "components": [{"name": n, "status": s} for n, s in wanted.items()],
                        "incident_updates": [
                            {
                                "id": f"sim-update-{self._seq}",
                                "status": incident_status,
                                "body": incident,
                                "created_at": stamp,
                                "updated_at": stamp,
                                "display_at": stamp,
                            }
                        ],
                    }
                )

    def clear(self) -> None:
        with self._lock:
            self._indicator = "none"
            self._components = {name: "operational" for name in COMPONENTS}
            self._incidents = []

    def summary(self) -> dict[str, Any]:
        with self._lock:
            stamp = self._now().isoformat()
            return {
                "page": {
                    "id": "sim-fivetran",
                    "name": "Fivetran (simulated)",
                    "url": "https://status.fivetran.com",
                    "time_zone": "Etc/UTC",
                    "updated_at": stamp,
                },
                "status": {"indicator": self._indicator, "description": DESCRIPTIONS[self._indicator]},
                "components": [
                    {
                        "id": f"sim-component-{i}",
                        "name": name,
                        "status": status,
                        "created_at": stamp,
                        "updated_at": stamp,
                        "position": i + 1,
                        "description": None,
                        "showcase": True,
                        "group_id": None,
                        "page_id": "sim-fivetran",
                        "group": False,
                        "only_show_if_degraded": False,
                    }
                    for i, (name, status) in enumerate(self._components.items())
                ],
                "incidents": [dict(incident) for incident in self._incidents],
                "scheduled_maintenances": [],
            }
