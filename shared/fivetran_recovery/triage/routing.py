"""Who owns a connection, how critical it is, and where its incidents go (owners.yaml + connection tags).

Precedence: connection tags (`owner:<team>`, `criticality:<level>`, `slack:<#channel>`) > the first matching rule
in the file (rules are checked in order) > the file's default.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from fivetran_recovery.models.incident import Criticality

CHANNEL_PATTERN = r"^(#[a-z0-9][a-z0-9_-]{0,79}|[CG][A-Z0-9]{8,})$"


class RoutingConfigError(ValueError):
    """The owners file is missing or invalid; the message names the file and the problem."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Team(_Strict):
    channel: str = Field(pattern=CHANNEL_PATTERN)
    owner_email: str | None = Field(
        None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
        description="who gets owner-only links (a Connect Card) directly: Slack DM by this e-mail, or a ticket",
    )
    pagerduty_service: str | None = Field(
        None, description="name of the PagerDuty routing key in the PagerDuty secret (never the key itself)"
    )


class Match(_Strict):
    connections: list[str] = Field(default_factory=list)
    destinations: list[str] = Field(default_factory=list)
    connector_types: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _not_empty(self) -> Match:
        if not (self.connections or self.destinations or self.connector_types):
            raise ValueError("match is empty: list connections, destinations or connector_types")
        return self


class Rule(_Strict):
    match: Match
    owner: str
    criticality: Criticality | None = None
    channel: str | None = Field(None, pattern=CHANNEL_PATTERN)


class Default(_Strict):
    owner: str
    criticality: Criticality = Criticality.MEDIUM


class TagPrefixes(_Strict):
    owner: str = "owner:"
    criticality: str = "criticality:"
    channel: str = "slack:"


class OwnersConfig(_Strict):
    version: Literal[1] = 1
    default: Default
    teams: dict[str, Team] = Field(min_length=1)
    rules: list[Rule] = Field(default_factory=list)
    tags: TagPrefixes = Field(default_factory=TagPrefixes)

    @model_validator(mode="after")
    def _known_teams(self) -> OwnersConfig:
        owners = [self.default.owner, *(r.owner for r in self.rules)]
        unknown = sorted({o for o in owners if o not in self.teams})
        if unknown:
            raise ValueError(f"owners not listed under teams: {', '.join(unknown)}")
        return self


class Route(BaseModel):
    model_config = ConfigDict(frozen=True)

    owner: str
    channel: str
    criticality: Criticality
    pagerduty_service: str | None = None
    owner_email: str | None = None
    source: str = Field(description="tag, rule:<index> or default: why this route was chosen")


class Routing:
    def __init__(self, config: OwnersConfig) -> None:
        self.config = config

    @classmethod
    def load(cls, path: str | Path) -> Routing:
        return cls(load_owners_config(path))

    def resolve(
        self,
        *,
        connection_id: str | None,
        destination_group_id: str | None = None,
        connector_type: str | None = None,
        tags: Sequence[str] = (),
    ) -> Route:
        owner, criticality = self.config.default.owner, self.config.default.criticality
        channel, source = None, "default"
        for index, rule in enumerate(self.config.rules):
            if _matches(rule.match, connection_id, destination_group_id, connector_type):
                owner, source = rule.owner, f"rule:{index}"
                criticality = rule.criticality or criticality
                channel = rule.channel
                break
        tagged_owner, tagged_criticality, tagged_channel = self._from_tags(tags)
        if tagged_owner or tagged_criticality or tagged_channel:
            source = "tag"
        owner = tagged_owner or owner
        criticality = tagged_criticality or criticality
        team = self.config.teams[owner]
        return Route(
            owner=owner,
            channel=tagged_channel or channel or team.channel,
            criticality=criticality,
            pagerduty_service=team.pagerduty_service,
            owner_email=team.owner_email,
            source=source,
        )

    def _from_tags(self, tags: Sequence[str]) -> tuple[str | None, Criticality | None, str | None]:
        prefixes = self.config.tags
        owner = criticality = channel = None
        for tag in tags:
            if tag.startswith(prefixes.owner) and tag[len(prefixes.owner) :] in self.config.teams:
                owner = tag[len(prefixes.owner) :]
            elif tag.startswith(prefixes.criticality):
                value = tag[len(prefixes.criticality) :].lower()
                if value in Criticality.__members__.values():
                    criticality = Criticality(value)
            elif tag.startswith(prefixes.channel):
                value = tag[len(prefixes.channel) :]
                channel = value if re.fullmatch(CHANNEL_PATTERN, value) else channel
        return owner, criticality, channel


def owner_email_lookup(routing: Routing) -> Callable[[str, Any], str | None]:
    """`(connection_id, connection) -> e-mail` of the owning team's `owner_email` (the connection's destination,
    service and owner tags route it as for alerts)."""

    def lookup(connection_id: str, connection: Any = None) -> str | None:
        def get(name: str) -> Any:
            return connection.get(name) if isinstance(connection, dict) else getattr(connection, name, None)

        route = routing.resolve(connection_id=connection_id, destination_group_id=get("group_id") if connection
                                else None, connector_type=get("service") if connection else None,
                                tags=list(get("tags") or []) if connection else [])
        return route.owner_email

    return lookup


def _matches(match: Match, connection_id: str | None, destination: str | None, connector_type: str | None) -> bool:
    return bool(
        (connection_id and connection_id in match.connections)
        or (destination and destination in match.destinations)
        or (connector_type and connector_type in match.connector_types)
    )


def load_owners_config(path: str | Path) -> OwnersConfig:
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except FileNotFoundError:
        raise RoutingConfigError(f"{path}: file not found") from None
    except yaml.YAMLError as error:
        raise RoutingConfigError(f"{path}: not valid YAML: {error}") from None
    try:
        return OwnersConfig.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'file'}: {e['msg']}" for e in error.errors())
        raise RoutingConfigError(f"{path}: {problems}") from None
