"""Is chat open? The answer for a reseller, a service language and an instant: open or closed,
the schedule that decided, and when that next changes, read from the database and decided by
``hours`` in the reseller's time zone. No GraphQL."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gateway.api import Field, Problem, Text

from . import hours
from .errors import OUT_OF_RANGE, ChatErrorCode
from .hours import Decider
from .models import ChatSettings, SpecialEvent, WeeklySchedule

WEEKLY_COLUMNS = ("id", "kind", "name", "days", "all_day", "start_minute", "end_minute", "open")
EVENT_COLUMNS = ("id", "name", "starts_at", "ends_at", "open")


@dataclass(frozen=True)
class Availability:
    """Whether a reseller's chat service in ``language`` is open at ``at``.

    ``decider`` says what decided (a schedule's kind, ``OUTSIDE_SCHEDULES`` or ``CHAT_OFF``),
    ``schedule_id`` / ``schedule_name`` the schedule (a weekly one or a special event, by
    ``decider``); ``changes_at`` is when it next opens (if closed) or closes (if open), None when
    it does not change within the look-ahead (or chat is off)."""

    reseller_id: int
    language: str
    at: dt.datetime
    open: bool
    decider: Decider
    schedule_id: int | None
    schedule_name: Text | None
    changes_at: dt.datetime | None
    time_zone: str

    @property
    def reopens_at(self) -> dt.datetime | None:
        """When a closed service opens again (None if open, or not within the look-ahead)."""
        return None if self.open else self.changes_at


def check_moment(moment: dt.datetime, field: Field) -> None:
    """Refuse an instant the rules do not take (``INVALID_TIME`` at ``field``)."""
    if not hours.in_range(moment):
        raise Problem(ChatErrorCode.INVALID_TIME, OUT_OF_RANGE, field,
                      first=hours.EARLIEST.year, last=hours.LATEST.year - 1)


def zone_of(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def weekly_of(row: dict[str, Any]) -> hours.Weekly:
    kind = hours.ScheduleKind(str(row["kind"]))
    return hours.Weekly(
        id=int(row["id"]), kind=kind, name=hours.schedule_name(kind, str(row["name"])),
        days=int(row["days"]), all_day=bool(row["all_day"]),
        start_minute=int(row["start_minute"]), end_minute=int(row["end_minute"]),
        open=bool(row["open"]))


def event_of(row: dict[str, Any]) -> hours.Event:
    starts, ends = row["starts_at"], row["ends_at"]
    assert isinstance(starts, dt.datetime) and isinstance(ends, dt.datetime)
    name = str(row["name"])
    return hours.Event(id=int(row["id"]), name=Text(en=name, fr=name),
                       starts_at=starts.astimezone(dt.UTC), ends_at=ends.astimezone(dt.UTC),
                       open=bool(row["open"]))


async def rules_for(reseller_id: int, language: str, since: dt.datetime, until: dt.datetime
                    ) -> tuple[list[hours.Weekly], list[hours.Event]]:
    """The weekly schedules of a reseller's service in ``language`` and its special events
    that meet [since, until): two queries."""
    weekly = await WeeklySchedule.filter(reseller_id=reseller_id, language=language).order_by(
        "id").values(*WEEKLY_COLUMNS)
    events = await SpecialEvent.filter(
        reseller_id=reseller_id, language=language, ends_at__gt=since, starts_at__lt=until,
    ).order_by("starts_at", "id").values(*EVENT_COLUMNS)
    return [weekly_of(row) for row in weekly], [event_of(row) for row in events]


async def availability(reseller_id: int, at: dt.datetime | None = None, language: str = "fr",
                       *, lookahead_days: int = 400) -> Availability:
    """The availability of a reseller's chat in ``language`` at ``at`` (now by default). An
    unknown reseller, or one whose chat is not permitted or not enabled, is closed
    (``CHAT_OFF``) with no next change. At most three queries."""
    at = (at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    check_moment(at, ["at"])
    settings = await ChatSettings.filter(reseller_id=reseller_id).values(
        "permitted", "enabled", "time_zone")
    time_zone = str(settings[0]["time_zone"]) if settings else "UTC"
    if not settings or not (settings[0]["permitted"] and settings[0]["enabled"]):
        return Availability(reseller_id, language, at, False, Decider.CHAT_OFF, None, None, None,
                            time_zone)
    zone = zone_of(time_zone)
    # One day of margin each way: a special event decides from its start, and a look-ahead
    # day is a local day.
    weekly, events = await rules_for(reseller_id, language, at,
                                     at + dt.timedelta(days=lookahead_days + 2))
    decision = hours.decide(at, zone, weekly, events)
    changes_at = hours.next_change(at, zone, weekly, events, lookahead_days)
    return Availability(reseller_id, language, at, decision.open, decision.decider,
                        decision.schedule_id, decision.name, changes_at, time_zone)
