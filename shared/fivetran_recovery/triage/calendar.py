"""Maintenance windows and the business calendar (shared/fivetran_recovery/config/maintenance.yaml), validated at load.

A failure inside an active window is *suppressed*: it opens no incident and pages nobody, but it is written to
the digest with the window that applied, so a planned migration never hides an unrelated failure silently.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class CalendarConfigError(ValueError):
    """The maintenance file is missing or invalid; the message names the file and the problem."""


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Scope(_Strict):
    """Who a window applies to: any listed connection, connection group or destination (group id)."""

    connections: list[str] = Field(default_factory=list)
    groups: list[str] = Field(default_factory=list, description="names from the file's `groups` section")
    destinations: list[str] = Field(default_factory=list, description="Fivetran destination group ids")
    everything: bool = False

    @model_validator(mode="after")
    def _not_empty(self) -> Scope:
        if not (self.connections or self.groups or self.destinations or self.everything):
            raise ValueError("scope is empty: list connections, groups or destinations (or everything: true)")
        return self


class WeeklySlot(_Strict):
    days: list[Weekday] = Field(min_length=1)
    start: time
    end: time
    timezone: str | None = None

    @model_validator(mode="after")
    def _not_zero_length(self) -> WeeklySlot:
        if self.start == self.end:
            raise ValueError("weekly slot start and end are equal")
        return self


class MaintenanceWindow(_Strict):
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    reason: str = Field(min_length=1)
    scope: Scope
    start: datetime | None = None
    end: datetime | None = None
    weekly: WeeklySlot | None = None
    outside_business_hours: bool = Field(False, description="active whenever the business calendar is closed")

    @model_validator(mode="after")
    def _one_schedule(self) -> MaintenanceWindow:
        kinds = [self.start is not None or self.end is not None, self.weekly is not None, self.outside_business_hours]
        if sum(kinds) != 1:
            raise ValueError(f"window {self.name}: give exactly one of start/end, weekly, outside_business_hours")
        if kinds[0]:
            if self.start is None or self.end is None:
                raise ValueError(f"window {self.name}: needs both start and end")
            if self.start.tzinfo is None or self.end.tzinfo is None:
                raise ValueError(f"window {self.name}: start and end need a UTC offset (e.g. 2026-12-05T22:00:00Z)")
            if self.end <= self.start:
                raise ValueError(f"window {self.name}: end is not after start")
        return self


class BusinessCalendar(_Strict):
    timezone: str = "UTC"
    days: list[Weekday] = Field(default_factory=lambda: ["mon", "tue", "wed", "thu", "fri"])
    start: time = time(9, 0)
    end: time = time(18, 0)
    holidays: list[date] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _valid_zone(cls, value: str) -> str:
        _zone(value)
        return value

    @model_validator(mode="after")
    def _ordered(self) -> BusinessCalendar:
        if self.end <= self.start:
            raise ValueError("business hours: end is not after start")
        return self

    def is_open(self, at: datetime) -> bool:
        local = at.astimezone(_zone(self.timezone))
        if local.date() in self.holidays or WEEKDAYS[local.weekday()] not in self.days:
            return False
        return self.start <= local.time() < self.end


class MaintenanceConfig(_Strict):
    version: Literal[1] = 1
    timezone: str = Field("UTC", description="default zone of weekly slots")
    business_calendar: BusinessCalendar = Field(default_factory=BusinessCalendar)
    groups: dict[str, list[str]] = Field(default_factory=dict)
    windows: list[MaintenanceWindow] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _valid_zone(cls, value: str) -> str:
        _zone(value)
        return value

    @model_validator(mode="after")
    def _references(self) -> MaintenanceConfig:
        names = [w.name for w in self.windows]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"duplicate window names: {', '.join(duplicates)}")
        for window in self.windows:
            missing = [g for g in window.scope.groups if g not in self.groups]
            if missing:
                raise ValueError(f"window {window.name}: unknown groups {', '.join(missing)}")
            if window.weekly and window.weekly.timezone:
                _zone(window.weekly.timezone)
        return self


class MaintenanceCalendar:
    """Answers "is this connection in maintenance at this time?" and "is the business open?"."""

    def __init__(self, config: MaintenanceConfig | None = None) -> None:
        self.config = config or MaintenanceConfig()

    @classmethod
    def load(cls, path: str | Path) -> MaintenanceCalendar:
        return cls(load_maintenance_config(path))

    def is_business_time(self, at: datetime) -> bool:
        return self.config.business_calendar.is_open(at)

    def active_window(
        self, *, connection_id: str | None, destination_group_id: str | None, at: datetime
    ) -> MaintenanceWindow | None:
        for window in self.config.windows:
            if self._in_scope(window.scope, connection_id, destination_group_id) and self._active(window, at):
                return window
        return None

    def _in_scope(self, scope: Scope, connection_id: str | None, destination_group_id: str | None) -> bool:
        if scope.everything:
            return True
        if connection_id and connection_id in scope.connections:
            return True
        if destination_group_id and destination_group_id in scope.destinations:
            return True
        return bool(connection_id) and any(connection_id in self.config.groups[g] for g in scope.groups)

    def _active(self, window: MaintenanceWindow, at: datetime) -> bool:
        if window.start is not None and window.end is not None:
            return window.start <= at < window.end
        if window.weekly is not None:
            return _in_weekly_slot(window.weekly, at, window.weekly.timezone or self.config.timezone)
        return window.outside_business_hours and not self.is_business_time(at)


def _in_weekly_slot(slot: WeeklySlot, at: datetime, zone: str) -> bool:
    local = at.astimezone(_zone(zone))
    now, today = local.time(), WEEKDAYS[local.weekday()]
    yesterday = WEEKDAYS[(local - timedelta(days=1)).weekday()]
    if slot.start < slot.end:
        return today in slot.days and slot.start <= now < slot.end
    # The slot crosses midnight: it is active late on a listed day or early on the day after.
    return (today in slot.days and now >= slot.start) or (yesterday in slot.days and now < slot.end)


def load_maintenance_config(path: str | Path) -> MaintenanceConfig:
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except FileNotFoundError:
        raise CalendarConfigError(f"{path}: file not found") from None
    except yaml.YAMLError as error:
        raise CalendarConfigError(f"{path}: not valid YAML: {error}") from None
    try:
        return MaintenanceConfig.model_validate(raw)
    except ValidationError as error:
        raise CalendarConfigError(f"{path}: {_problems(error)}") from None


def _problems(error: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'file'}: {e['msg']}" for e in error.errors())
