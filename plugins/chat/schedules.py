"""Chat service hours as the reseller and the system admin manage them, with no GraphQL: the
permission and "Activer", the time zone, the weekly schedules (the built-in "En semaine" and
"Weekend" of each language, created with the reseller's chat settings, custom ones, the lunch
break) and the special events. Every change is checked whole (the rules are in ``hours``) and
saved in one transaction, or refused with a ``Problem`` (code, field, message in fr/en)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Subquery
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from gateway.api import (
    LANGUAGES,
    Field,
    Principal,
    Problem,
    resellers_visible,
)

from . import hours
from .availability import EVENT_COLUMNS, WEEKLY_COLUMNS, check_moment, event_of, weekly_of
from .config import ChatConfig
from .errors import (
    BAD_LANGUAGE,
    BAD_TIME,
    BAD_TIME_ZONE,
    BUILT_IN_KEPT,
    EVENT_ENDS_FIRST,
    EVENT_NOT_FOUND,
    EVENT_OVERLAP,
    EVENT_TOO_LONG,
    LUNCH_ONLY_ON_WORKING_HOURS,
    NAME_REQUIRED,
    NAME_TOO_LONG,
    NO_DAYS,
    NOT_PERMITTED,
    RESELLER_NOT_FOUND,
    RESELLER_REQUIRED,
    SAME_TIMES,
    SCHEDULE_NOT_FOUND,
    TIME_REQUIRED,
    TOO_MANY_DAYS,
    TOO_MANY_EVENTS,
    TOO_MANY_SCHEDULES,
    WEEKLY_OVERLAP,
    WHOLE_MINUTES,
    ChatErrorCode,
)
from .models import (
    MAX_NAME,
    MINUTES_PER_DAY,
    ChatSettings,
    ScheduleKind,
    SpecialEvent,
    WeeklySchedule,
)

MAX_EVENT_DAYS = 366
SETTINGS_COLUMNS = ("id", "reseller_id", "permitted", "enabled", "time_zone", "updated_at")
SCHEDULE_COLUMNS = ("reseller_id", "language", *WEEKLY_COLUMNS, "updated_at")
SPECIAL_COLUMNS = ("reseller_id", "language", *EVENT_COLUMNS, "updated_at")
LANGUAGE_NAMES = {"fr": "français / French", "en": "anglais / English"}


# ---- whose hours: tenancy -------------------------------------------------------------------

async def reseller_for(principal: Principal | None, reseller_id: int | None,
                       field: Field = ("input", "resellerId")) -> int:
    """The reseller whose chat the caller manages: the one given (if the caller may see it,
    else NOT_FOUND) or the caller's own (a system admin must name one)."""
    wanted = reseller_id if reseller_id is not None else (
        principal.reseller_id if principal is not None else None)
    if wanted is None:
        raise Problem(ChatErrorCode.REQUIRED, RESELLER_REQUIRED, list(field))
    if not await resellers_visible(principal).filter(id=wanted).exists():
        raise Problem(ChatErrorCode.NOT_FOUND, RESELLER_NOT_FOUND, list(field))
    return int(wanted)


def schedules_visible(principal: Principal | None) -> QuerySet[WeeklySchedule]:
    """The weekly schedules of the resellers the caller may see."""
    return WeeklySchedule.filter(
        reseller_id__in=Subquery(resellers_visible(principal).values("id")))


def events_visible(principal: Principal | None) -> QuerySet[SpecialEvent]:
    """The special events of the resellers the caller may see."""
    return SpecialEvent.filter(
        reseller_id__in=Subquery(resellers_visible(principal).values("id")))


def settings_visible(principal: Principal | None) -> QuerySet[ChatSettings]:
    return ChatSettings.filter(reseller_id__in=Subquery(resellers_visible(principal).values("id")))


# ---- settings, created with the built-in schedules ----------------------------------------

def _default_schedules(reseller_id: int, config: ChatConfig) -> list[WeeklySchedule]:
    return [
        schedule
        for language in LANGUAGES
        for schedule in (
            WeeklySchedule(reseller_id=reseller_id, language=language,
                           kind=ScheduleKind.WORKING_HOURS, days=hours.WEEKDAYS,
                           start_minute=config.minutes("working_hours_start"),
                           end_minute=config.minutes("working_hours_end"), open=True),
            WeeklySchedule(reseller_id=reseller_id, language=language,
                           kind=ScheduleKind.WEEKEND, days=hours.WEEKEND_DAYS, all_day=True,
                           start_minute=0, end_minute=MINUTES_PER_DAY, open=False),
        )
    ]


async def ensure_settings(reseller_id: int, config: ChatConfig) -> ChatSettings:
    """The reseller's chat settings, created on first use with chat off and the built-in
    schedules of each language ("En semaine" open on weekdays, "Weekend" closed); safe when
    two requests race (the settings row is unique per reseller)."""
    existing = await ChatSettings.filter(reseller_id=reseller_id).first()
    if existing is not None:
        return existing
    try:
        async with in_transaction():
            settings = await ChatSettings.create(reseller_id=reseller_id,
                                                 time_zone=config.default_time_zone)
            await WeeklySchedule.bulk_create(_default_schedules(reseller_id, config))
    except IntegrityError:
        return await ChatSettings.get(reseller_id=reseller_id)
    return settings


async def _locked_settings(reseller_id: int, config: ChatConfig) -> ChatSettings:
    """Inside a transaction: the settings row, locked (PostgreSQL) so that two changes of one
    reseller's hours are checked one after the other."""
    await ensure_settings(reseller_id, config)
    return await ChatSettings.filter(reseller_id=reseller_id).select_for_update().get()


async def settings_for(principal: Principal | None, reseller_id: int | None,
                       config: ChatConfig) -> ChatSettings:
    return await ensure_settings(await reseller_for(principal, reseller_id, ["resellerId"]),
                                 config)


def check_time_zone(name: str, field: Field) -> str:
    name = name.strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Problem(ChatErrorCode.INVALID_TIME_ZONE, BAD_TIME_ZONE, list(field),
                      value=name[:64]) from None
    if not name or len(name) > 64:
        raise Problem(ChatErrorCode.INVALID_TIME_ZONE, BAD_TIME_ZONE, list(field),
                      value=name[:64])
    return name


async def set_permitted(principal: Principal | None, reseller_id: int, permitted: bool,
                        config: ChatConfig) -> ChatSettings:
    """The system admin permits chat for a reseller (or withdraws it, which also turns it off;
    the schedules are kept)."""
    wanted = await reseller_for(principal, reseller_id)
    async with in_transaction():
        settings = await _locked_settings(wanted, config)
        settings.permitted = permitted
        if not permitted:
            settings.enabled = False
        await settings.save(update_fields=["permitted", "enabled", "updated_at"])
    return settings


async def update_settings(principal: Principal | None, reseller_id: int | None, *,
                          enabled: bool | None, time_zone: str | None,
                          config: ChatConfig) -> ChatSettings:
    """"Activer" (only once the system admin permitted chat; turning it off keeps the
    schedules) and the zone the schedules are read in."""
    wanted = await reseller_for(principal, reseller_id)
    zone = None if time_zone is None else check_time_zone(time_zone, ["input", "timeZone"])
    async with in_transaction():
        settings = await _locked_settings(wanted, config)
        if enabled and not settings.permitted:
            raise Problem(ChatErrorCode.NOT_PERMITTED, NOT_PERMITTED, ["input", "enabled"])
        if enabled is not None:
            settings.enabled = enabled
        if zone is not None:
            settings.time_zone = zone
        await settings.save(update_fields=["enabled", "time_zone", "updated_at"])
    return settings


# ---- weekly schedules -------------------------------------------------------------------------

@dataclass(frozen=True)
class Hours:
    """A weekly schedule's period as given: days (ISO weekdays, or every day), and all day or a
    start and an end time."""

    days: Sequence[int] = ()
    every_day: bool = False
    all_day: bool = False
    start: str | None = None  # local "HH:MM"
    end: str | None = None  # local "HH:MM"; "00:00" or "24:00": midnight, the day's end


@dataclass(frozen=True)
class HoursChange:
    """What an edit changes of a schedule's period; None keeps the schedule's own."""

    days: Sequence[int] | None = None
    every_day: bool | None = None
    all_day: bool | None = None
    start: str | None = None
    end: str | None = None


def clock_text(minute: int) -> str:
    return "24:00" if minute >= MINUTES_PER_DAY else f"{minute // 60:02d}:{minute % 60:02d}"


def merged_hours(schedule: WeeklySchedule, change: HoursChange) -> Hours:
    """The period after an edit: what is given, else the schedule's own (times given to an
    all-day schedule make it a timed one)."""
    timed = change.start is not None or change.end is not None
    all_day = change.all_day if change.all_day is not None else (
        False if timed else schedule.all_day)
    own_times = not schedule.all_day
    return Hours(
        days=list(change.days) if change.days is not None else (
            [] if change.every_day else hours.mask_days(schedule.days)),
        every_day=bool(change.every_day),
        all_day=all_day,
        start=change.start if change.start is not None else (
            clock_text(schedule.start_minute) if own_times else None),
        end=change.end if change.end is not None else (
            clock_text(schedule.end_minute) if own_times else None))


def check_language(language: str, field: Field) -> str:
    if language not in LANGUAGES:
        raise Problem(ChatErrorCode.INVALID_LANGUAGE, BAD_LANGUAGE, list(field),
                      value=language[:10])
    return language


def check_name(name: str, field: Field, *, required: bool = True) -> str:
    name = " ".join(name.split())
    if not name and required:
        raise Problem(ChatErrorCode.REQUIRED, NAME_REQUIRED, list(field))
    if len(name) > MAX_NAME:
        raise Problem(ChatErrorCode.TOO_LONG, NAME_TOO_LONG, list(field), max=MAX_NAME,
                      length=len(name))
    return name


def parse_clock(value: str, field: Field) -> int:
    """A local time "HH:MM" (or "HH:MM:00") as minutes since midnight; "24:00" is 1440."""
    text = value.strip()
    if text in ("24:00", "24:00:00"):
        return MINUTES_PER_DAY
    try:
        moment = dt.time.fromisoformat(text) if 4 <= len(text) <= 8 else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is not None:
        raise Problem(ChatErrorCode.INVALID_TIME, BAD_TIME, list(field), value=text[:16])
    if moment.second or moment.microsecond:
        raise Problem(ChatErrorCode.INVALID_TIME, WHOLE_MINUTES, list(field))
    return moment.hour * 60 + moment.minute


def check_hours(given: Hours) -> dict[str, Any]:
    """The stored columns of a period (days, all_day, start_minute, end_minute), or the
    problem. An end at midnight (00:00) ends the day; an end before the start runs past
    midnight into the next day."""
    if given.every_day:
        days = hours.EVERY_DAY
    else:
        if not given.days:
            raise Problem(ChatErrorCode.INVALID_DAYS, NO_DAYS, ["input", "days"])
        if len(set(given.days)) != len(given.days) or len(given.days) > hours.DAYS_PER_WEEK:
            raise Problem(ChatErrorCode.INVALID_DAYS, TOO_MANY_DAYS, ["input", "days"])
        days = hours.days_mask(given.days)
    if given.all_day:
        return {"days": days, "all_day": True, "start_minute": 0, "end_minute": MINUTES_PER_DAY}
    if given.start is None or given.end is None:
        raise Problem(ChatErrorCode.REQUIRED, TIME_REQUIRED,
                      ["input", "startTime" if given.start is None else "endTime"])
    start = parse_clock(given.start, ["input", "startTime"])
    if start == MINUTES_PER_DAY:
        raise Problem(ChatErrorCode.INVALID_TIME, BAD_TIME, ["input", "startTime"],
                      value=given.start.strip()[:16])
    end = parse_clock(given.end, ["input", "endTime"]) or MINUTES_PER_DAY
    if start == end % MINUTES_PER_DAY:
        raise Problem(ChatErrorCode.INVALID_PERIOD, SAME_TIMES, ["input", "endTime"])
    return {"days": days, "all_day": False, "start_minute": start, "end_minute": end}


def _weekly_row(schedule: WeeklySchedule) -> hours.Weekly:
    return weekly_of({**{column: getattr(schedule, column) for column in WEEKLY_COLUMNS},
                      "id": schedule.id or 0})


async def _check_weekly_clash(schedule: WeeklySchedule) -> None:
    others = await WeeklySchedule.filter(
        reseller_id=schedule.reseller_id, language=schedule.language, kind=schedule.kind,
    ).exclude(id=schedule.id or 0).values(*WEEKLY_COLUMNS)
    clash = hours.first_weekly_clash(_weekly_row(schedule), [weekly_of(row) for row in others])
    if clash is not None:
        raise Problem(ChatErrorCode.OVERLAP, WEEKLY_OVERLAP, ["input", "days"],
                      other=clash.name.render(schedule.language),
                      service=LANGUAGE_NAMES[schedule.language])


async def create_schedule(principal: Principal | None, reseller_id: int | None, *,
                          language: str, name: str, period: Hours, open: bool,
                          config: ChatConfig) -> WeeklySchedule:
    """A custom weekly schedule ("Nouveau"): a name, days and hours, open or closed; it may not
    overlap another custom schedule of the same language."""
    language = check_language(language, ["input", "language"])
    name = check_name(name, ["input", "name"])
    columns = check_hours(period)
    wanted = await reseller_for(principal, reseller_id)
    async with in_transaction():
        await _locked_settings(wanted, config)
        count = await WeeklySchedule.filter(reseller_id=wanted, language=language,
                                            kind=ScheduleKind.CUSTOM).count()
        if count >= config.max_custom_schedules:
            raise Problem(ChatErrorCode.TOO_MANY, TOO_MANY_SCHEDULES, None,
                          max=config.max_custom_schedules)
        schedule = WeeklySchedule(reseller_id=wanted, language=language,
                                  kind=ScheduleKind.CUSTOM, name=name, open=open, **columns)
        await _check_weekly_clash(schedule)
        await schedule.save()
    return schedule


async def _schedule(principal: Principal | None, schedule_id: int) -> WeeklySchedule:
    schedule = await schedules_visible(principal).filter(id=schedule_id).first()
    if schedule is None:
        raise Problem(ChatErrorCode.NOT_FOUND, SCHEDULE_NOT_FOUND, ["input", "id"])
    return schedule


async def update_schedule(principal: Principal | None, schedule_id: int, *,
                          name: str | None = None, period: HoursChange | None = None,
                          open: bool | None = None, add_lunch_break: bool = False,
                          config: ChatConfig) -> tuple[WeeklySchedule, WeeklySchedule | None]:
    """Change a weekly schedule (any kind): its name (empty: a built-in's default name), its
    days and hours, open or closed. ``add_lunch_break`` on the working-hours schedule ("Ajouter
    un horaire pour la pause-repas") also creates the language's "Pause-repas" (closed, on the
    same days, at the configured hours) when there is none. Returns the schedule and the lunch
    break (created or existing) when asked for."""
    found = await _schedule(principal, schedule_id)
    if add_lunch_break and found.kind != ScheduleKind.WORKING_HOURS:
        raise Problem(ChatErrorCode.BUILT_IN, LUNCH_ONLY_ON_WORKING_HOURS,
                      ["input", "addLunchBreak"])
    new_name = None if name is None else check_name(
        name, ["input", "name"], required=found.kind == ScheduleKind.CUSTOM)
    columns = None if period is None else check_hours(merged_hours(found, period))
    lunch = None
    async with in_transaction():
        await _locked_settings(found.reseller_id, config)
        schedule = await WeeklySchedule.get(id=found.id)
        if new_name is not None:
            schedule.name = new_name
        if columns is not None:
            for key, value in columns.items():
                setattr(schedule, key, value)
        if open is not None:
            schedule.open = open
        await _check_weekly_clash(schedule)
        await schedule.save()
        if add_lunch_break:
            lunch = await WeeklySchedule.filter(
                reseller_id=schedule.reseller_id, language=schedule.language,
                kind=ScheduleKind.LUNCH_BREAK).order_by("id").first()
            if lunch is None:
                lunch = await WeeklySchedule.create(
                    reseller_id=schedule.reseller_id, language=schedule.language,
                    kind=ScheduleKind.LUNCH_BREAK, days=schedule.days,
                    start_minute=config.minutes("lunch_break_start"),
                    end_minute=config.minutes("lunch_break_end"), open=False)
    return schedule, lunch


async def delete_schedule(principal: Principal | None, schedule_id: int) -> int:
    """Remove a custom schedule or the lunch break; the built-in weekday and weekend schedules
    stay (change their hours or close them instead)."""
    schedule = await _schedule(principal, schedule_id)
    if schedule.kind in (ScheduleKind.WORKING_HOURS, ScheduleKind.WEEKEND):
        raise Problem(ChatErrorCode.BUILT_IN, BUILT_IN_KEPT, ["input", "id"])
    await WeeklySchedule.filter(id=schedule.id).delete()
    return schedule.id


async def schedules_page(principal: Principal | None, reseller_id: int | None,
                         language: str | None, offset: int, limit: int, config: ChatConfig
                         ) -> tuple[list[dict[str, Any]], int]:
    """A page of a reseller's weekly schedules, by language, kind (CUSTOM, LUNCH_BREAK,
    WEEKEND, WORKING_HOURS) and creation."""
    wanted = await reseller_for(principal, reseller_id, ["resellerId"])
    await ensure_settings(wanted, config)
    query = WeeklySchedule.filter(reseller_id=wanted)
    if language is not None:
        query = query.filter(language=check_language(language, ["language"]))
    total = await query.count()
    rows = await query.order_by("language", "kind", "id").offset(offset).limit(
        limit + 1).values(*SCHEDULE_COLUMNS)
    return rows, total


# ---- special events ---------------------------------------------------------------------------

def check_period(starts_at: dt.datetime, ends_at: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise Problem(ChatErrorCode.INVALID_PERIOD, EVENT_ENDS_FIRST, ["input", "startsAt"])
    starts, ends = starts_at.astimezone(dt.UTC), ends_at.astimezone(dt.UTC)
    check_moment(starts, ["input", "startsAt"])
    check_moment(ends, ["input", "endsAt"])
    if ends <= starts:
        raise Problem(ChatErrorCode.INVALID_PERIOD, EVENT_ENDS_FIRST, ["input", "endsAt"])
    if ends - starts > dt.timedelta(days=MAX_EVENT_DAYS):
        raise Problem(ChatErrorCode.INVALID_PERIOD, EVENT_TOO_LONG, ["input", "endsAt"],
                      max=MAX_EVENT_DAYS)
    return starts, ends


async def _check_event_clash(event: SpecialEvent) -> None:
    others = await SpecialEvent.filter(
        reseller_id=event.reseller_id, language=event.language,
        starts_at__lt=event.ends_at, ends_at__gt=event.starts_at,
    ).exclude(id=event.id or 0).order_by("starts_at").limit(1).values(*EVENT_COLUMNS)
    if others:
        raise Problem(ChatErrorCode.OVERLAP, EVENT_OVERLAP, ["input", "startsAt"],
                      other=event_of(others[0]).name.en,
                      service=LANGUAGE_NAMES[event.language])


async def create_event(principal: Principal | None, reseller_id: int | None, *,
                       language: str, name: str, starts_at: dt.datetime, ends_at: dt.datetime,
                       open: bool, config: ChatConfig) -> SpecialEvent:
    """A special event (holiday, closure, extended hours): a name, a start and an end, open or
    closed; it may not overlap another special event of the same language."""
    language = check_language(language, ["input", "language"])
    name = check_name(name, ["input", "name"])
    starts, ends = check_period(starts_at, ends_at)
    wanted = await reseller_for(principal, reseller_id)
    async with in_transaction():
        await _locked_settings(wanted, config)
        count = await SpecialEvent.filter(reseller_id=wanted, language=language).count()
        if count >= config.max_special_events:
            raise Problem(ChatErrorCode.TOO_MANY, TOO_MANY_EVENTS, None,
                          max=config.max_special_events)
        event = SpecialEvent(reseller_id=wanted, language=language, name=name,
                             starts_at=starts, ends_at=ends, open=open)
        await _check_event_clash(event)
        await event.save()
    return event


async def _event(principal: Principal | None, event_id: int) -> SpecialEvent:
    event = await events_visible(principal).filter(id=event_id).first()
    if event is None:
        raise Problem(ChatErrorCode.NOT_FOUND, EVENT_NOT_FOUND, ["input", "id"])
    return event


async def update_event(principal: Principal | None, event_id: int, *, name: str | None = None,
                       starts_at: dt.datetime | None = None, ends_at: dt.datetime | None = None,
                       open: bool | None = None, config: ChatConfig) -> SpecialEvent:
    found = await _event(principal, event_id)
    new_name = None if name is None else check_name(name, ["input", "name"])
    starts, ends = check_period(starts_at or found.starts_at, ends_at or found.ends_at)
    async with in_transaction():
        await _locked_settings(found.reseller_id, config)
        event = await SpecialEvent.get(id=found.id)
        if new_name is not None:
            event.name = new_name
        event.starts_at, event.ends_at = starts, ends
        if open is not None:
            event.open = open
        await _check_event_clash(event)
        await event.save()
    return event


async def delete_event(principal: Principal | None, event_id: int) -> int:
    event = await _event(principal, event_id)
    await SpecialEvent.filter(id=event.id).delete()
    return event.id


async def events_page(principal: Principal | None, reseller_id: int | None,
                      language: str | None, ending_after: dt.datetime | None, offset: int,
                      limit: int) -> tuple[list[dict[str, Any]], int]:
    """A page of a reseller's special events in start order (those still to end after
    ``ending_after``, when given)."""
    wanted = await reseller_for(principal, reseller_id, ["resellerId"])
    query = SpecialEvent.filter(reseller_id=wanted)
    if language is not None:
        query = query.filter(language=check_language(language, ["language"]))
    if ending_after is not None:
        query = query.filter(ends_at__gt=ending_after)
    total = await query.count()
    rows = await query.order_by("starts_at", "id").offset(offset).limit(limit + 1).values(
        *SPECIAL_COLUMNS)
    return rows, total

