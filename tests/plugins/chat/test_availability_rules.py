"""The service-hours rules without a database, table-driven: priorities, all-day schedules,
the lunch break, overnight hours, special events across midnight, and clock changes in the
reseller's zone (times skipped when clocks go forward, repeated when they go back)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from gateway.api import Text
from plugins.chat import hours
from plugins.chat.hours import Decider, Event, Weekly
from plugins.chat.models import ScheduleKind

TORONTO = ZoneInfo("America/Toronto")
SANTIAGO = ZoneInfo("America/Santiago")  # its clocks go forward at midnight
UTC = dt.UTC
K = ScheduleKind


def weekly(id_: int, kind: ScheduleKind, days: int, start: str | None, end: str | None,
           open_: bool, name: str = "") -> Weekly:
    def minute(value: str) -> int:
        hour, minutes = value.split(":")
        return int(hour) * 60 + int(minutes)

    all_day = start is None
    return Weekly(id=id_, kind=kind, name=hours.schedule_name(kind, name), days=days,
                  all_day=all_day, start_minute=0 if all_day else minute(start or "0:0"),
                  end_minute=1440 if all_day else minute(end or "0:0"), open=open_)


def event(id_: int, name: str, start: str, end: str, open_: bool) -> Event:
    return Event(id=id_, name=Text(en=name, fr=name), starts_at=utc(start), ends_at=utc(end),
                 open=open_)


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).astimezone(UTC)


def local(text: str, zone: ZoneInfo = TORONTO, fold: int = 0) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=zone, fold=fold).astimezone(UTC)


WORK = weekly(1, K.WORKING_HOURS, hours.WEEKDAYS, "09:00", "17:00", True)
WEEKEND = weekly(2, K.WEEKEND, hours.WEEKEND_DAYS, None, None, False)
LUNCH = weekly(3, K.LUNCH_BREAK, hours.WEEKDAYS, "12:00", "13:00", False)
# Custom: open on Saturdays 10:00-14:00 (over the closed weekend), closed Wednesday
# afternoons (over the working hours), open Fridays 20:00 to Saturday 02:00 (overnight).
SATURDAY_MORNING = weekly(4, K.CUSTOM, 1 << 5, "10:00", "14:00", True, "Samedi matin")
WEDNESDAY_PM = weekly(5, K.CUSTOM, 1 << 2, "13:30", "17:00", False, "Formation")
FRIDAY_NIGHT = weekly(6, K.CUSTOM, 1 << 4, "20:00", "02:00", True, "Vendredi soir")
DEFAULTS = [WORK, WEEKEND, LUNCH]
ALL = [*DEFAULTS, SATURDAY_MORNING, WEDNESDAY_PM, FRIDAY_NIGHT]

# 2026-12-07 is a Monday. Christmas Eve afternoon to Boxing Day morning, closed, across
# midnights; an open evening event on Tuesday 2026-12-08 beyond the working hours.
CHRISTMAS = event(7, "Noël", "2026-12-24T17:00:00-05:00", "2026-12-26T09:00:00-05:00", False)
LATE_TUESDAY = event(8, "Soirée prolongée", "2026-12-08T17:00:00-05:00",
                     "2026-12-08T21:00:00-05:00", True)
EVENTS = [CHRISTMAS, LATE_TUESDAY]

DECISIONS = [
    # (what, local time in Toronto, schedules, events, open, decider, schedule id)
    ("working hours", "2026-12-07T10:00", DEFAULTS, [], True, Decider.WORKING_HOURS, 1),
    ("working hours start is included", "2026-12-07T09:00", DEFAULTS, [], True,
     Decider.WORKING_HOURS, 1),
    ("working hours end is excluded", "2026-12-07T17:00", DEFAULTS, [], False,
     Decider.OUTSIDE_SCHEDULES, None),
    ("before opening", "2026-12-07T08:59", DEFAULTS, [], False, Decider.OUTSIDE_SCHEDULES, None),
    ("lunch break beats working hours", "2026-12-07T12:30", DEFAULTS, [], False,
     Decider.LUNCH_BREAK, 3),
    ("after lunch", "2026-12-07T13:00", DEFAULTS, [], True, Decider.WORKING_HOURS, 1),
    ("weekend all day", "2026-12-05T00:00", DEFAULTS, [], False, Decider.WEEKEND, 2),
    ("weekend all day, last minute", "2026-12-06T23:59", DEFAULTS, [], False,
     Decider.WEEKEND, 2),
    ("custom beats weekend", "2026-12-05T11:00", ALL, [], True, Decider.CUSTOM, 4),
    ("custom beats working hours", "2026-12-09T15:00", ALL, [], False, Decider.CUSTOM, 5),
    ("custom beats lunch break? not where it is not", "2026-12-09T12:15", ALL, [], False,
     Decider.LUNCH_BREAK, 3),
    ("custom overnight, evening", "2026-12-11T23:00", ALL, [], True, Decider.CUSTOM, 6),
    ("custom overnight, past midnight beats the weekend", "2026-12-12T01:30", ALL, [], True,
     Decider.CUSTOM, 6),
    ("custom overnight ended", "2026-12-12T02:00", ALL, [], False, Decider.WEEKEND, 2),
    ("special event beats everything (closed)", "2026-12-24T17:00", ALL, EVENTS, False,
     Decider.SPECIAL_EVENT, 7),
    ("special event across midnight", "2026-12-25T00:30", ALL, EVENTS, False,
     Decider.SPECIAL_EVENT, 7),
    ("special event, second midnight", "2026-12-26T08:59", ALL, EVENTS, False,
     Decider.SPECIAL_EVENT, 7),
    ("special event over, weekend again", "2026-12-26T09:00", ALL, EVENTS, False,
     Decider.WEEKEND, 2),
    ("open special event beats closed outside", "2026-12-08T19:00", ALL, EVENTS, True,
     Decider.SPECIAL_EVENT, 8),
    ("nothing at all", "2026-12-07T10:00", [], [], False, Decider.OUTSIDE_SCHEDULES, None),
]


@pytest.mark.parametrize(("what", "moment", "rules", "events", "is_open", "decider", "pk"),
                         DECISIONS, ids=[row[0] for row in DECISIONS])
def test_who_decides(what: str, moment: str, rules: list[Weekly], events: list[Event],
                     is_open: bool, decider: Decider, pk: int | None) -> None:
    decision = hours.decide(local(moment), TORONTO, rules, events)
    assert (decision.open, decision.decider, decision.schedule_id) == (is_open, decider, pk)


CHANGES = [
    # (what, local time, schedules, events, next change (local, Toronto) or None)
    ("open: closes at the lunch break", "2026-12-07T10:00", DEFAULTS, [], "2026-12-07T12:00"),
    ("at lunch: reopens at 13:00", "2026-12-07T12:10", DEFAULTS, [], "2026-12-07T13:00"),
    ("evening: opens the next morning", "2026-12-07T18:00", DEFAULTS, [], "2026-12-08T09:00"),
    ("friday evening: opens on monday", "2026-12-11T18:00", DEFAULTS, [], "2026-12-14T09:00"),
    ("friday evening with the overnight custom", "2026-12-11T18:00", ALL, [],
     "2026-12-11T20:00"),
    ("overnight custom: closes at 02:00", "2026-12-11T22:00", ALL, [], "2026-12-12T02:00"),
    ("the open event extends the day", "2026-12-08T16:00", ALL, EVENTS, "2026-12-08T21:00"),
    ("Christmas Eve: reopens after the holidays", "2026-12-24T10:00", ALL, EVENTS,
     "2026-12-24T12:00"),
    ("during Christmas: reopens Saturday morning (custom)", "2026-12-25T10:00", ALL, EVENTS,
     "2026-12-26T10:00"),
    ("during Christmas, defaults only: reopens on Monday", "2026-12-25T10:00", DEFAULTS,
     EVENTS, "2026-12-28T09:00"),
    ("never open", "2026-12-07T10:00", [WEEKEND], [], None),
    ("never open until a far event", "2026-12-07T10:00", [WEEKEND],
     [event(9, "Portes ouvertes", "2027-06-01T10:00:00-04:00", "2027-06-01T12:00:00-04:00",
            True)], "2027-06-01T10:00"),
    ("always open", "2026-12-07T10:00",
     [weekly(10, K.WORKING_HOURS, hours.EVERY_DAY, None, None, True)], [], None),
]


@pytest.mark.parametrize(("what", "moment", "rules", "events", "expected"), CHANGES,
                         ids=[row[0] for row in CHANGES])
def test_when_it_next_changes(what: str, moment: str, rules: list[Weekly],
                              events: list[Event], expected: str | None) -> None:
    changes = hours.next_change(local(moment), TORONTO, rules, events)
    assert changes == (local(expected) if expected else None)


# ---- clock changes ---------------------------------------------------------------------------
# Toronto: 2026-03-08 02:00 EST -> 03:00 EDT (02:00-02:59 never happen); 2026-11-01 02:00 EDT ->
# 01:00 EST (01:00-01:59 happen twice). Santiago: 2026-09-06 00:00 -> 01:00 (midnight skipped).

EVERY = hours.EVERY_DAY
NIGHT = weekly(20, K.WORKING_HOURS, EVERY, "22:00", "06:00", True)  # overnight, every day
EARLY = weekly(21, K.WORKING_HOURS, EVERY, "02:30", "08:00", True)  # starts in the gap
SHORT = weekly(22, K.WORKING_HOURS, EVERY, "01:00", "01:45", True)  # inside the repeat
ALL_DAY_SUNDAY = weekly(23, K.WORKING_HOURS, 1 << 6, None, None, True)
CLOSED_TO_130 = weekly(24, K.WORKING_HOURS, EVERY, "00:00", "01:30", False)
OPEN_FROM_130 = weekly(25, K.LUNCH_BREAK, EVERY, "01:30", "04:00", True)

DST = [
    # (what, instant (UTC), zone, schedules, open, next change (UTC) or None)
    ("spring: an overnight period keeps running through the gap", "2026-03-08T07:30:00Z",
     TORONTO, [NIGHT], True, "2026-03-08T10:00:00Z"),  # 03:30 EDT; closes 06:00 EDT
    ("spring: a start in the gap starts when the clocks jump", "2026-03-08T06:59:00Z",
     TORONTO, [EARLY], False, "2026-03-08T07:00:00Z"),  # 01:59 EST; 03:00 EDT
    ("spring: open from the jump", "2026-03-08T07:00:00Z", TORONTO, [EARLY], True,
     "2026-03-08T12:00:00Z"),  # 03:00 EDT until 08:00 EDT
    ("spring: the day before, a normal start", "2026-03-07T07:29:00Z", TORONTO, [EARLY],
     False, "2026-03-07T07:30:00Z"),  # 02:29 EST; opens 02:30 EST
    ("spring: an all-day Sunday lasts 23 hours", "2026-03-09T03:59:00Z", TORONTO,
     [ALL_DAY_SUNDAY], True, "2026-03-09T04:00:00Z"),  # 23:59 EDT; Monday 00:00 EDT
    ("fall: a period in the repeated hour runs once, the first time", "2026-11-01T05:00:00Z",
     TORONTO, [SHORT], True, "2026-11-01T05:45:00Z"),  # 01:00 EDT .. 01:45 EDT
    ("fall: the repeated 01:00 does not reopen it", "2026-11-01T06:10:00Z", TORONTO, [SHORT],
     False, "2026-11-02T06:00:00Z"),  # 01:10 EST; next: Monday 01:00 EST
    ("fall: an all-day Sunday lasts 25 hours", "2026-11-02T04:30:00Z", TORONTO,
     [ALL_DAY_SUNDAY], True, "2026-11-02T05:00:00Z"),  # 23:30 EST; Monday 00:00 EST
    ("fall: a boundary in the repeated hour is its first occurrence", "2026-11-01T05:20:00Z",
     TORONTO, [CLOSED_TO_130, OPEN_FROM_130], False, "2026-11-01T05:30:00Z"),
    ("fall: after the first 01:30 it stays open through the repeat", "2026-11-01T06:20:00Z",
     TORONTO, [CLOSED_TO_130, OPEN_FROM_130], True, "2026-11-01T09:00:00Z"),  # 04:00 EST
    ("midnight skipped: the day starts at 01:00", "2026-09-06T03:59:00Z", SANTIAGO,
     [ALL_DAY_SUNDAY], False, "2026-09-06T04:00:00Z"),  # Sat 23:59 -04; Sun 01:00 -03
]


@pytest.mark.parametrize(("what", "moment", "zone", "rules", "is_open", "expected"), DST,
                         ids=[row[0] for row in DST])
def test_clock_changes(what: str, moment: str, zone: ZoneInfo, rules: list[Weekly],
                       is_open: bool, expected: str | None) -> None:
    at = utc(moment)
    assert hours.decide(at, zone, rules, []).open is is_open
    assert hours.next_change(at, zone, rules, []) == (utc(expected) if expected else None)


def test_a_skipped_time_is_the_moment_the_clocks_jump() -> None:
    assert hours.instant(dt.date(2026, 3, 8), 150, TORONTO) == utc("2026-03-08T07:00:00Z")
    assert hours.instant(dt.date(2026, 3, 8), 180, TORONTO) == utc("2026-03-08T07:00:00Z")
    assert hours.instant(dt.date(2026, 11, 1), 90, TORONTO) == utc("2026-11-01T05:30:00Z")
    assert hours.instant(dt.date(2026, 9, 6), 0, SANTIAGO) == utc("2026-09-06T04:00:00Z")


# ---- overlaps within one rank ------------------------------------------------------------------

OVERLAPS = [
    # (what, a, b, overlap)
    ("same day, crossing hours", weekly(1, K.CUSTOM, 1, "09:00", "12:00", True),
     weekly(2, K.CUSTOM, 1, "11:00", "13:00", False), True),
    ("same day, touching hours", weekly(1, K.CUSTOM, 1, "09:00", "12:00", True),
     weekly(2, K.CUSTOM, 1, "12:00", "13:00", False), False),
    ("different days", weekly(1, K.CUSTOM, 1, "09:00", "17:00", True),
     weekly(2, K.CUSTOM, 2, "09:00", "17:00", True), False),
    ("all day and any hour that day", weekly(1, K.CUSTOM, 1 << 3, None, None, True),
     weekly(2, K.CUSTOM, 1 << 3, "23:00", "23:30", True), True),
    ("overnight into the next day's morning", weekly(1, K.CUSTOM, 1, "22:00", "02:00", True),
     weekly(2, K.CUSTOM, 2, "01:00", "03:00", True), True),
    ("overnight, the next day starting after it", weekly(1, K.CUSTOM, 1, "22:00", "02:00", True),
     weekly(2, K.CUSTOM, 2, "02:00", "03:00", True), False),
    ("Sunday overnight wraps into Monday", weekly(1, K.CUSTOM, 1 << 6, "23:00", "01:00", True),
     weekly(2, K.CUSTOM, 1, "00:30", "08:00", True), True),
    ("every day against one day", weekly(1, K.CUSTOM, EVERY, "10:00", "11:00", True),
     weekly(2, K.CUSTOM, 1 << 4, "10:30", "10:45", True), True),
]


@pytest.mark.parametrize(("what", "a", "b", "overlap"), OVERLAPS, ids=[r[0] for r in OVERLAPS])
def test_weekly_overlaps(what: str, a: Weekly, b: Weekly, overlap: bool) -> None:
    assert hours.weekly_overlap(a, b) is overlap
    assert hours.weekly_overlap(b, a) is overlap


def test_a_clash_is_looked_for_within_one_rank_and_names_the_other() -> None:
    candidate = weekly(0, K.CUSTOM, 1, "11:00", "12:00", True)
    # The working hours cover it too, but they rank lower: not a clash.
    others = [WORK, weekly(9, K.CUSTOM, 1, "08:00", "11:30", False, "Réunion")]
    clash = hours.first_weekly_clash(candidate, others)
    assert clash is not None and clash.name.fr == "Réunion"
    assert hours.first_weekly_clash(candidate, [WORK]) is None
    meeting = event(1, "Inventaire", "2026-12-24T00:00:00Z", "2026-12-25T00:00:00Z", False)
    touching = event(2, "Après", "2026-12-25T00:00:00Z", "2026-12-26T00:00:00Z", False)
    inside = event(3, "Pendant", "2026-12-24T10:00:00Z", "2026-12-24T11:00:00Z", True)
    assert hours.first_event_clash(touching, [meeting]) is None
    assert hours.first_event_clash(inside, [meeting, touching]) == meeting


def test_built_in_names_are_in_both_languages() -> None:
    assert hours.schedule_name(K.WORKING_HOURS, "").render("fr") == "En semaine"
    assert hours.schedule_name(K.WORKING_HOURS, "").render("en") == "Weekdays"
    assert hours.schedule_name(K.LUNCH_BREAK, "").render("fr") == "Pause-repas"
    assert hours.schedule_name(K.CUSTOM, "Soirée").render("en") == "Soirée"


def test_the_benchmark_runs_and_agrees_with_its_baseline_on_weekly_hours() -> None:
    from bench import chat_hours
    from bench.support import Options

    [row] = chat_hours.run(Options(overrides={"events": 3, "seconds": 0.01}))
    assert row.ratio is not None and row.ratio > 0
    rules, _ = chat_hours.make_rules(0, __import__("random").Random(1))
    table, following = chat_hours.minute_table(rules)
    for minute in range(0, hours.MINUTES_PER_WEEK, 97):  # no events, no clock change in June
        at = local("2026-06-01T00:00") + dt.timedelta(minutes=minute)  # a Monday
        assert hours.decide(at, TORONTO, rules, []).open is table[minute]
        assert hours.next_change(at, TORONTO, rules, []) == at + dt.timedelta(
            minutes=following[minute])
