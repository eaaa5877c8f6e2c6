"""Chat service hours: "is chat open, and when does that change?" answers per second of the
rules (``plugins.chat.hours``: special events, priorities, clock changes in the reseller's zone)
against the fastest hand-written answer, a precomputed minute-of-the-week table (open, and
minutes to the next change) read at the caller's local minute, in the same process.

    .venv/bin/python -m bench.chat_hours [--quick] [--set events=50] [--set seconds=2]

No database: what ``availability`` adds is three indexed reads (settings, weekly schedules,
events). The table is the ceiling, not an equal: it knows nothing of special events, and reads
a skipped or repeated local hour as the wall clock says, which the rules do not.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable
from zoneinfo import ZoneInfo

from bench.support import Options, Row, main_for, note
from gateway.i18n import Text
from plugins.chat import hours
from plugins.chat.hours import Event, Weekly
from plugins.chat.models import MINUTES_PER_DAY, ScheduleKind

ZONE = ZoneInfo("America/Toronto")
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
WEEK = hours.MINUTES_PER_WEEK


def make_rules(events: int, rng: random.Random) -> tuple[list[Weekly], list[Event]]:
    """A busy reseller's service in one language: the built-ins, a lunch break, five custom
    schedules (evenings, a training afternoon, Saturday mornings) and ``events`` special events
    spread over the year (one to three days, mostly closed)."""
    def weekly(id_: int, kind: ScheduleKind, days: int, start: int, end: int, open_: bool,
               all_day: bool = False) -> Weekly:
        return Weekly(id_, kind, hours.schedule_name(kind, f"S{id_}"), days, all_day, start,
                      end, open_)

    rules = [
        weekly(1, ScheduleKind.WORKING_HOURS, hours.WEEKDAYS, 9 * 60, 17 * 60, True),
        weekly(2, ScheduleKind.WEEKEND, hours.WEEKEND_DAYS, 0, MINUTES_PER_DAY, False, True),
        weekly(3, ScheduleKind.LUNCH_BREAK, hours.WEEKDAYS, 12 * 60, 13 * 60, False),
        weekly(4, ScheduleKind.CUSTOM, 1 << 0, 18 * 60, 21 * 60, True),
        weekly(5, ScheduleKind.CUSTOM, 1 << 2, 13 * 60 + 30, 17 * 60, False),
        weekly(6, ScheduleKind.CUSTOM, 1 << 5, 10 * 60, 14 * 60, True),
        weekly(7, ScheduleKind.CUSTOM, 1 << 4, 20 * 60, 2 * 60, True),
        weekly(8, ScheduleKind.CUSTOM, 1 << 3, 19 * 60, 22 * 60, True),
    ]
    spread = []
    for n in range(events):
        starts = START + dt.timedelta(days=365 * n / max(events, 1),
                                      hours=rng.choice((0, 5, 13, 22)))
        spread.append(Event(100 + n, Text(en=f"E{n}", fr=f"E{n}"), starts,
                            starts + dt.timedelta(days=rng.randint(1, 3)), rng.random() < 0.2))
    return rules, spread


def minute_table(rules: list[Weekly]) -> tuple[list[bool], list[int]]:
    """Open per minute of the week (Monday 00:00 = 0), by the weekly priority read on the wall
    clock, and the minutes from each to the next change (0: never)."""
    table = [False] * WEEK
    for kind in reversed(hours.WEEKLY_ORDER):  # lowest rank first, higher ones overwrite
        for rule in rules:
            if rule.kind == kind:
                for start, end in hours.week_spans(rule):
                    table[start:end] = [rule.open] * (end - start)
    following = [0] * WEEK
    if len(set(table)) > 1:  # two backward passes round the circular week
        distance = 0
        for step in range(2 * WEEK - 1, -1, -1):
            minute, after = step % WEEK, (step + 1) % WEEK
            distance = 1 if table[after] != table[minute] else distance + 1
            following[minute] = distance
    return table, following


def rate(step: Callable[[int], object], seconds: float) -> tuple[float, int]:
    done = 0
    started = time.perf_counter()
    while True:
        for i in range(done, done + 50):
            step(i)
        done += 50
        elapsed = time.perf_counter() - started
        if elapsed >= seconds:
            return done / elapsed, done


def run(options: Options) -> list[Row]:
    events = int(options.size("events", 50, 20))
    seconds = float(options.size("seconds", 2.0, 0.5))
    rng = random.Random(17)
    rules, spread = make_rules(events, rng)
    instants = [START + dt.timedelta(minutes=rng.randrange(365 * MINUTES_PER_DAY))
                for _ in range(2000)]
    table, following = minute_table(rules)

    def ours(i: int) -> object:
        at = instants[i % len(instants)]
        return hours.decide(at, ZONE, rules, spread).open, hours.next_change(
            at, ZONE, rules, spread)

    def baseline(i: int) -> object:
        at = instants[i % len(instants)]
        local = at.astimezone(ZONE)
        minute = local.weekday() * MINUTES_PER_DAY + local.hour * 60 + local.minute
        ahead = following[minute]
        return table[minute], (at + dt.timedelta(minutes=ahead)) if ahead else None

    note(f"chat_hours: {len(rules)} weekly schedules, {events} special events, "
         f"{seconds:g} s per side")
    ours_rate, ours_done = rate(ours, seconds)
    base_rate, base_done = rate(baseline, seconds)
    return [Row(
        benchmark="chat hours", measure=f"answers/s (open + next change), {len(rules)} weekly "
        f"+ {events} events", figure=f"{ours_rate:,.0f}/s", baseline=f"{base_rate:,.0f}/s",
        ratio=round(ours_rate / base_rate, 3),
        note=f"baseline: a precomputed minute-of-week table (no events, wall-clock DST); "
             f"{ours_done:,} and {base_done:,} answers")]


if __name__ == "__main__":
    main_for("chat_hours", run, __doc__ or "")
