"""The rules of chat service hours, with no database and no GraphQL: what a weekly schedule
covers, which schedules clash, which one decides at an instant, and when the answer next
changes. Local times are read in the reseller's zone:

- a weekly schedule's period on a local day runs from its start time to its end time (an end
  before the start runs past midnight into the next day; "all day" is midnight to midnight);
- a local time that does not exist (the hour skipped when clocks go forward) means the first
  moment that exists after it, so a schedule starting or ending in the gap starts or ends when
  the clocks jump; a local time that occurs twice (the hour repeated when clocks go back) means
  its first occurrence, so a period is one stretch of time and never reopens;
- priority: special events > custom weekly > weekend > lunch break > working hours; outside
  every schedule the service is closed.
"""

from __future__ import annotations

import datetime as dt
import functools
import heapq
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

from gateway.api import Text

from .errors import LUNCH_BREAK_NAME, WEEKEND_NAME, WORKING_HOURS_NAME
from .models import MINUTES_PER_DAY, ScheduleKind

UTC = dt.UTC
DAYS_PER_WEEK = 7
MINUTES_PER_WEEK = DAYS_PER_WEEK * MINUTES_PER_DAY
EVERY_DAY = (1 << DAYS_PER_WEEK) - 1  # Monday = bit 0 ... Sunday = bit 6
WEEKDAYS = 0b0011111
WEEKEND_DAYS = 0b1100000


class Decider(StrEnum):
    """What decided an availability answer, highest priority first."""

    SPECIAL_EVENT = "SPECIAL_EVENT"
    CUSTOM = "CUSTOM"
    WEEKEND = "WEEKEND"
    LUNCH_BREAK = "LUNCH_BREAK"
    WORKING_HOURS = "WORKING_HOURS"
    OUTSIDE_SCHEDULES = "OUTSIDE_SCHEDULES"  # no schedule covers the moment: closed
    CHAT_OFF = "CHAT_OFF"  # chat not permitted, not enabled (or no such reseller): closed


# Weekly kinds, highest priority first (special events rank above all of them).
WEEKLY_ORDER = (ScheduleKind.CUSTOM, ScheduleKind.WEEKEND, ScheduleKind.LUNCH_BREAK,
                ScheduleKind.WORKING_HOURS)
RANK = {Decider.SPECIAL_EVENT: 5, Decider.CUSTOM: 4, Decider.WEEKEND: 3,
        Decider.LUNCH_BREAK: 2, Decider.WORKING_HOURS: 1}
DEFAULT_NAMES = {ScheduleKind.WORKING_HOURS: WORKING_HOURS_NAME,
                 ScheduleKind.WEEKEND: WEEKEND_NAME, ScheduleKind.LUNCH_BREAK: LUNCH_BREAK_NAME}


def schedule_name(kind: ScheduleKind | str, name: str) -> Text:
    """A schedule's name to show: the one given, else the built-in default in both languages."""
    if name:
        return Text(en=name, fr=name)
    return DEFAULT_NAMES.get(ScheduleKind(kind), Text(en="", fr=""))


@dataclass(frozen=True)
class Weekly:
    """A weekly schedule as the rules see it."""

    id: int
    kind: ScheduleKind
    name: Text
    days: int  # bits, Monday = 1
    all_day: bool
    start_minute: int  # local minutes since midnight
    end_minute: int  # 1..1440; before start_minute: ends the next day
    open: bool

    def runs_on(self, day: dt.date) -> bool:
        return bool(self.days & (1 << day.weekday()))


@dataclass(frozen=True)
class Event:
    """A special event as the rules see it: [starts_at, ends_at) in UTC."""

    id: int
    name: Text
    starts_at: dt.datetime
    ends_at: dt.datetime
    open: bool


@dataclass(frozen=True)
class Decision:
    """Open or closed at an instant, and the schedule that decided (None outside them all)."""

    open: bool
    decider: Decider
    schedule_id: int | None = None
    name: Text | None = None


CLOSED_OUTSIDE = Decision(open=False, decider=Decider.OUTSIDE_SCHEDULES)

# The instants the rules take (far from datetime's limits, with room for the look-ahead).
EARLIEST = dt.datetime(1971, 1, 1, tzinfo=UTC)
LATEST = dt.datetime(9000, 1, 1, tzinfo=UTC)


def in_range(moment: dt.datetime) -> bool:
    return EARLIEST <= moment < LATEST


# ---- checking input ----------------------------------------------------------------------

def days_mask(days: Iterable[int]) -> int:
    """ISO weekdays (Monday = 1 ... Sunday = 7) as the stored bits."""
    mask = 0
    for day in days:
        mask |= 1 << (day - 1)
    return mask


def mask_days(mask: int) -> list[int]:
    """The stored bits as ISO weekdays, Monday first."""
    return [day + 1 for day in range(DAYS_PER_WEEK) if mask & (1 << day)]


def week_spans(weekly: Weekly) -> list[tuple[int, int]]:
    """The minutes of a week (Monday 00:00 = 0) a schedule covers on the wall clock, as
    half-open spans; Sunday's overnight hours wrap into Monday."""
    spans: list[tuple[int, int]] = []
    for day in range(DAYS_PER_WEEK):
        if not weekly.days & (1 << day):
            continue
        base = day * MINUTES_PER_DAY
        if weekly.all_day:
            start, end = base, base + MINUTES_PER_DAY
        elif weekly.end_minute > weekly.start_minute:
            start, end = base + weekly.start_minute, base + weekly.end_minute
        else:
            start, end = base + weekly.start_minute, base + MINUTES_PER_DAY + weekly.end_minute
        if end > MINUTES_PER_WEEK:
            spans += [(start, MINUTES_PER_WEEK), (0, end - MINUTES_PER_WEEK)]
        else:
            spans.append((start, end))
    return spans


def weekly_overlap(a: Weekly, b: Weekly) -> bool:
    """Whether two weekly schedules share a minute of the week."""
    return any(s1 < e2 and s2 < e1 for s1, e1 in week_spans(a) for s2, e2 in week_spans(b))


def first_weekly_clash(candidate: Weekly, others: Iterable[Weekly]) -> Weekly | None:
    """The first schedule of the same rank as ``candidate`` (another one) it overlaps."""
    for other in others:
        if other.id != candidate.id and other.kind == candidate.kind and weekly_overlap(
                candidate, other):
            return other
    return None


def first_event_clash(candidate: Event, others: Iterable[Event]) -> Event | None:
    """The first other special event whose period meets ``candidate``'s."""
    for other in others:
        if (other.id != candidate.id and other.starts_at < candidate.ends_at
                and candidate.starts_at < other.ends_at):
            return other
    return None


# ---- local wall-clock times to instants ----------------------------------------------------

def _wall(moment: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    return moment.astimezone(zone).replace(tzinfo=None)


@functools.lru_cache(maxsize=8192)
def instant(day: dt.date, minute: int, zone: ZoneInfo) -> dt.datetime:
    """The UTC instant of local ``day`` at ``minute`` past midnight (1440: the next midnight).
    Repeated local time: its first occurrence. Skipped local time: the first moment that exists
    after it (when the clocks jump)."""
    wall = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=minute)
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if _wall(first, zone) == wall:
        return first
    # ``wall`` falls in a gap: the transition lies between its two readings (whole seconds).
    low, high = sorted((int(wall.replace(tzinfo=zone, fold=1).timestamp()),
                        int(first.timestamp())))
    while high - low > 1:
        middle = (low + high) // 2
        if _wall(dt.datetime.fromtimestamp(middle, UTC), zone) >= wall:
            high = middle
        else:
            low = middle
    return dt.datetime.fromtimestamp(high, UTC)


@functools.lru_cache(maxsize=8192)
def periods(weekly: Weekly, day: dt.date, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime] | None:
    """The UTC period ``weekly`` covers for local ``day`` (None if it does not run that day
    or the period vanishes in a clock change)."""
    if not weekly.runs_on(day):
        return None
    if weekly.all_day:
        start, end = instant(day, 0, zone), instant(day, MINUTES_PER_DAY, zone)
    elif weekly.end_minute > weekly.start_minute:
        start, end = instant(day, weekly.start_minute, zone), instant(day, weekly.end_minute, zone)
    else:
        start = instant(day, weekly.start_minute, zone)
        end = instant(day, MINUTES_PER_DAY + weekly.end_minute, zone)
    return (start, end) if start < end else None


# ---- deciding -------------------------------------------------------------------------------

def decide(at: dt.datetime, zone: ZoneInfo, weekly: Sequence[Weekly],
           events: Sequence[Event]) -> Decision:
    """Open or closed at ``at`` (aware), and which schedule decided."""
    at = at.astimezone(UTC)
    current = [event for event in events if event.starts_at <= at < event.ends_at]
    if current:  # events of one language never overlap; should they, the latest start wins
        event = max(current, key=lambda e: (e.starts_at, e.id))
        return Decision(event.open, Decider.SPECIAL_EVENT, event.id, event.name)
    today = _wall(at, zone).date()
    for kind in WEEKLY_ORDER:
        for schedule in weekly:
            if schedule.kind != kind:
                continue
            for day in (today - dt.timedelta(days=1), today):
                period = periods(schedule, day, zone)
                if period is not None and period[0] <= at < period[1]:
                    return Decision(schedule.open, Decider(kind.value), schedule.id,
                                    schedule.name)
    return CLOSED_OUTSIDE


def day_start(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return instant(day, 0, zone)


class _Edges:
    """The instants after ``at`` where the answer may change, in time order, one local day at a
    time: the weekly periods' starts and ends, and the special events' starts and ends."""

    def __init__(self, at: dt.datetime, zone: ZoneInfo, weekly: Sequence[Weekly],
                 events: Sequence[Event]) -> None:
        self.at, self.zone, self.weekly = at, zone, weekly
        self.event_edges = sorted({edge for event in events
                                   for edge in (event.starts_at, event.ends_at) if edge > at})
        self.next_event = 0  # index of the first event edge not pushed yet
        self.pending: list[dt.datetime] = []
        self.seen: set[dt.datetime] = set()

    def push(self, moment: dt.datetime) -> None:
        if moment > self.at and moment not in self.seen:
            self.seen.add(moment)
            heapq.heappush(self.pending, moment)

    def push_day(self, day: dt.date) -> None:
        for schedule in self.weekly:
            period = periods(schedule, day, self.zone)
            if period is not None:
                self.push(period[0])
                self.push(period[1])

    def push_events_before(self, end: dt.datetime) -> bool:
        """Push the event edges before ``end``; whether there was one."""
        pushed = False
        while (self.next_event < len(self.event_edges)
               and self.event_edges[self.next_event] < end):
            self.push(self.event_edges[self.next_event])
            self.next_event += 1
            pushed = True
        return pushed

    def pop_before(self, end: dt.datetime) -> Iterator[dt.datetime]:
        while self.pending and self.pending[0] < end:
            yield heapq.heappop(self.pending)

    def day_before_next_event(self) -> dt.date | None:
        if self.next_event >= len(self.event_edges):
            return None
        return _wall(self.event_edges[self.next_event], self.zone).date() - dt.timedelta(days=1)

    def restart_on(self, day: dt.date) -> None:
        """Forget the edges before local ``day`` (nothing changes there) and push the overnight
        periods of the day before it."""
        self.pending.clear()
        self.push_day(day - dt.timedelta(days=1))
        floor = day_start(day, self.zone)
        self.pending[:] = [moment for moment in self.pending if moment >= floor]
        heapq.heapify(self.pending)


def next_change(at: dt.datetime, zone: ZoneInfo, weekly: Sequence[Weekly],
                events: Sequence[Event], lookahead_days: int = 400) -> dt.datetime | None:
    """The first instant after ``at`` when the service opens (if closed at ``at``) or closes
    (if open), within ``lookahead_days`` local days; None if it does not change in that time.
    A week of weekly edges that changed nothing means only a special event can: the walk jumps
    to the day before the next one."""
    at = at.astimezone(UTC)
    now_open = decide(at, zone, weekly, events).open
    edges = _Edges(at, zone, weekly, events)
    day = _wall(at, zone).date()
    last_day = day + dt.timedelta(days=lookahead_days)
    edges.push_day(day - dt.timedelta(days=1))
    quiet_since = day  # the first day of the current run without event edges
    while day <= last_day:
        edges.push_day(day)
        window_end = day_start(day + dt.timedelta(days=1), zone)
        if edges.push_events_before(window_end):
            quiet_since = day + dt.timedelta(days=1)
        for moment in edges.pop_before(window_end):
            if decide(moment, zone, weekly, events).open != now_open:
                return moment
        day += dt.timedelta(days=1)
        if (day - quiet_since).days > DAYS_PER_WEEK + 1:
            jump = edges.day_before_next_event()
            if jump is None:
                return None
            if jump > day:
                day = jump
                edges.restart_on(day)
            quiet_since = day
    return None
