"""The reports as plain data: a filter (a JSON-safe dict, as the GraphQL inputs give it and a
signed download URL or an email job carries it) and the caller's scope in, rows out.

The GraphQL fields, the CSV/XLSX downloads and the emailed reports all go through here, so a
download shows exactly what the screen showed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from gateway.api import Problem, Problems, Text
from plugins.callcenter import series, services, statistics
from plugins.callcenter.errors import (
    BAD_RANGE,
    BAD_TIME,
    DATE_OUT_OF_RANGE,
    TOO_LONG_FILTER,
    TOO_MANY_BUCKETS,
    TOO_MANY_VALUES,
)
from plugins.callcenter.errors import CallCenterErrorCode as Code
from plugins.callcenter.services import Scope

WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
REPORTS = ("RECORDER", "MESSAGES", "BILLABLE_CALLS", "STATISTICS")


def _invalid(text: Text, field_name: str) -> Problem:
    """A filter value that cannot be used, at its field as the GraphQL filter spells it."""
    return Problem(Code.INVALID, text, [field_name])


@contextlib.contextmanager
def fields_under(*path: str) -> Iterator[None]:
    """Problems raised inside name their field under ``path``: where a filter sits in an
    input, e.g. ``["input", "recorder"]``."""
    try:
        yield
    except (Problem, Problems) as exc:
        for problem in exc.problems:
            problem.field = [*path, *(problem.field or [])]
        raise


# Text filters compared to stored columns: a longer value matches nothing and the database
# layer refuses it, so it is refused here, naming the field as the GraphQL input spells it.
TEXT_FILTERS = {"agent": ("agent", 16), "station": ("station", 16),
                "caller_id": ("callerId", 40), "call_number": ("callNumber", 64),
                "account_name": ("accountName", 200), "keyword": ("keyword", 1000)}
EARLIEST_DAY, LATEST_DAY = dt.date(1970, 1, 1), dt.date(9998, 12, 31)
# List filters: at most this many values each (a longer list is refused, never sent to the
# database as thousands of SQL variables).
MAX_FILTER_VALUES = 100
LIST_FILTERS = {"weekdays": ("weekdays", len(WEEKDAYS)),
                "include_account_groups": ("includeAccountGroups", MAX_FILTER_VALUES),
                "exclude_account_groups": ("excludeAccountGroups", MAX_FILTER_VALUES),
                "include_distribution_groups": ("includeDistributionGroups", MAX_FILTER_VALUES),
                "exclude_distribution_groups": ("excludeDistributionGroups", MAX_FILTER_VALUES)}
# The most buckets one time series may have (hours, days, weeks or months of the dates asked).
MAX_SERIES_BUCKETS = 1000


def check_filter(data: dict[str, Any]) -> None:
    """Refuse text filters longer than any stored value and dates no call can have."""
    for name, (field_name, limit) in TEXT_FILTERS.items():
        value = data.get(name)
        if isinstance(value, str) and len(value.strip()) > limit:
            raise _invalid(TOO_LONG_FILTER, field_name)
    for name, (field_name, most) in LIST_FILTERS.items():
        values = data.get(name)
        if isinstance(values, list) and len(values) > most:
            raise Problem(Code.INVALID, TOO_MANY_VALUES, [field_name], max=most)
    for name, field_name in (("date_from", "from"), ("date_to", "to"), ("cycle", "cycle"),
                             ("start", "start"), ("end", "end")):
        value = data.get(name)
        if value is not None:
            moment = _moment(value) if name in ("start", "end") else None
            day = moment.date() if moment is not None else _date(value)
            if day is not None and not EARLIEST_DAY <= day <= LATEST_DAY:
                raise _invalid(DATE_OUT_OF_RANGE, field_name)


def minute_of_day(value: str | None, name: str) -> int | None:
    """"HH:MM" as minutes after midnight (None when not given)."""
    if value is None or value == "":
        return None
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", value)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise _invalid(BAD_TIME, name)
    return int(match[1]) * 60 + int(match[2])


def _date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _moment(value: Any) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value))


def date_range(scope: Scope, data: dict[str, Any]) -> tuple[dt.date, dt.date]:
    """``from``/``to`` (inclusive, account-local), today by default."""
    check_filter(data)
    today = services.today(scope.zone)
    given_from, given_to = _date(data.get("date_from")), _date(data.get("date_to"))
    start = given_from or given_to or today
    end = given_to or (max(start, today) if given_from else start)
    if end < start:
        raise _invalid(BAD_RANGE, "to")
    return start, end


def statistics_filter(scope: Scope, data: dict[str, Any]) -> statistics.CallFilter:
    start, end = date_range(scope, data)
    return services.call_filter(
        scope, date_from=start, date_to=end,
        after_minute=minute_of_day(data.get("after"), "after"),
        before_minute=minute_of_day(data.get("before"), "before"),
        weekdays=sorted({WEEKDAYS.index(w) for w in data.get("weekdays") or []}),
        agent=data.get("agent") or None,
        hold_longer_than=data.get("hold_longer_than"),
        answer_delay_longer_than=data.get("answer_delay_longer_than"),
        include_account_groups=list(data.get("include_account_groups") or []),
        exclude_account_groups=list(data.get("exclude_account_groups") or []),
        include_distribution_groups=list(data.get("include_distribution_groups") or []),
        exclude_distribution_groups=list(data.get("exclude_distribution_groups") or []),
    )


def check_series(f: statistics.CallFilter, interval: str) -> None:
    """Refuse a time series of more than ``MAX_SERIES_BUCKETS`` buckets."""
    start = f.date_from or f.date_to or dt.date.today()
    end = f.date_to or start
    if series.bucket_count(interval, start, end) > MAX_SERIES_BUCKETS:
        raise Problem(Code.INVALID, TOO_MANY_BUCKETS, ["interval"], max=MAX_SERIES_BUCKETS)


def recorder_query(scope: Scope, data: dict[str, Any]) -> services.RecorderQuery:
    check_filter(data)
    preset = data.get("preset") or "LAST_HOUR"
    start, end = _moment(data.get("start")), _moment(data.get("end"))
    if start and end and end < start:
        raise _invalid(BAD_RANGE, "end")
    return services.RecorderQuery(
        scope=scope, preset=preset, start=start, end=end, agent=data.get("agent"),
        station=data.get("station"), min_minutes=data.get("min_duration_minutes"),
        max_minutes=data.get("max_duration_minutes"), caller_id=data.get("caller_id"),
        call_number=data.get("call_number"), account_name=data.get("account_name"),
        quality_min=data.get("quality_min"), quality_max=data.get("quality_max"),
    )


def message_query(scope: Scope, data: dict[str, Any]) -> services.MessageQuery:
    start, end = date_range(scope, data)
    return services.MessageQuery(scope=scope, date_from=start, date_to=end,
                                 call_number=data.get("call_number"), agent=data.get("agent"),
                                 keyword=data.get("keyword"))


def billable_range(scope: Scope, data: dict[str, Any]) -> tuple[dt.date, dt.date]:
    """The dates asked for, or the billing cycle (20th to 19th) holding ``cycle`` (default:
    the current one)."""
    check_filter(data)
    if data.get("date_from") or data.get("date_to"):
        return date_range(scope, data)
    return services.billing_cycle(_date(data.get("cycle")) or services.today(scope.zone))


def check(report: str, scope: Scope, data: dict[str, Any]) -> None:
    """Refuse a bad filter of ``report`` now rather than in its download or its email job."""
    if report == "RECORDER":
        recorder_query(scope, data)
    elif report == "MESSAGES":
        message_query(scope, data)
    elif report == "BILLABLE_CALLS":
        billable_range(scope, data)
    else:
        statistics_filter(scope, data)


# ---- tables for downloads and emails -----------------------------------------------------------

@dataclass
class Table:
    title: Text
    headers: list[Text]
    rows: list[list[Any]] = field(default_factory=list)
    footer: list[tuple[Text, Any]] = field(default_factory=list)


def minutes_seconds(seconds: float) -> str:
    whole = int(round(seconds))
    return f"{whole // 60:02d}:{whole % 60:02d}"


def local_time(moment: dt.datetime) -> str:
    """A localised moment (``services.localise``) as a download shows it: the account's local
    date and time with its UTC offset, e.g. ``2026-11-23 07:00:00-05:00`` (what the screen
    shows, ISO 8601 with a space)."""
    return moment.replace(microsecond=0).isoformat(sep=" ")


async def recorder_table(scope: Scope, data: dict[str, Any], limit: int) -> Table:
    rows, _, seconds = await services.recorder_page(recorder_query(scope, data), 0, limit)
    return Table(
        title=Text(en="Call recorder", fr="Enregistreur d'appels"),
        headers=[Text(en="Date/Time", fr="Date/Heure"), Text(en="Account", fr="Compte"),
                 Text(en="Account name", fr="Nom du compte"),
                 Text(en="Caller ID", fr="Identification de l'appelant"),
                 Text(en="Caller name", fr="Nom de l'appelant"), Text(en="Agent", fr="Agent"),
                 Text(en="Station", fr="Station"), Text(en="Duration", fr="Durée"),
                 Text(en="Call", fr="Appel")],
        rows=[[local_time(r["started_at"]), r["account_id"], r["account_name"],
               r["caller_id"], r["caller_name"], r["agent"], r["station"],
               round(r["duration"] / 60, 1), r["call_id"]] for r in rows[:limit]],
        footer=[(Text(en="Total Duration", fr="Durée totale"), round(seconds / 60, 1))],
    )


async def messages_table(scope: Scope, data: dict[str, Any], limit: int) -> Table:
    query = message_query(scope, data)
    rows = await services.messages(query).order_by("-taken_at", "-id").limit(limit).values(
        *services.MESSAGE_COLUMNS)
    await services.localise(rows, scope, "taken_at")
    return Table(
        title=Text(en="Taken messages", fr="Messages textes"),
        headers=[Text(en="Message ID", fr="Message ID"), Text(en="Taken", fr="Pris le"),
                 Text(en="Account", fr="Compte"), Text(en="Call", fr="Appel"),
                 Text(en="Agent", fr="Agent"), Text(en="Message", fr="Message"),
                 Text(en="Delivery history", fr="Envoi de l'historique")],
        rows=[[r["message_id"], local_time(r["taken_at"]), r["account_id"], r["call_id"],
               r["agent"], r["body"],
               "\n".join(f"{h.get('at', '')} {h.get('event', '')}" for h in r["history"] or [])]
              for r in rows],
    )


async def billable_table(scope: Scope, data: dict[str, Any], limit: int) -> Table:
    start, end = billable_range(scope, data)
    report = await services.billable_report(scope, start, end, limit)
    average = report.average_minutes
    return Table(
        title=Text(en="Billable Call Activity", fr="Appels facturables"),
        headers=[Text(en="Date/Time", fr="Date/Heure"), Text(en="Description", fr="Description"),
                 Text(en="Number", fr="Numéro"), Text(en="Caller Name", fr="Nom de l'appelant"),
                 Text(en="Agent", fr="Agent"), Text(en="Statistic", fr="Statistique")],
        rows=[[local_time(r["started_at"]), r["direction"], r["caller_id"],
               r["caller_name"], r["agent"], minutes_seconds(services.statistic_seconds(r))]
              for r in report.rows],
        footer=[(Text(en="Total Calls", fr="Total des appels"), report.total_calls),
                (Text(en="Total Stats", fr="Total des statistiques"),
                 round(report.total_minutes, 2)),
                (Text(en="Average Stat/Call", fr="Statistique moyenne par appel"),
                 None if average is None else round(average, 2))],
    )


METRIC_LABELS: dict[str, Text] = {
    "total_inbound": Text(en="Total inbound calls", fr="Total des appels entrants"),
    "automated": Text(en="Automated calls", fr="Appels automatisés"),
    "agent_calls": Text(en="Agent calls", fr="Appels agents"),
    "abandoned": Text(en="Calls abandoned by the system", fr="Appels abandonnés par le système"),
    "assigned": Text(en="Calls assigned to an agent", fr="Appels assignés à un agent"),
    "unanswered": Text(en="Unanswered calls", fr="Appels sans réponse"),
    "answered": Text(en="Calls answered by an agent", fr="% des appels répondus par un agent"),
    "assigned_answered": Text(en="% of assigned calls answered by an agent",
                              fr="% des appels attribués répondus par un agent"),
    "average_work_time": Text(en="Average work time per answered call (seconds)",
                              fr="Temps de travail moyen par appel répondu (secondes)"),
    "on_hold": Text(en="Calls on hold", fr="Appels en attente"),
    "average_hold_time": Text(en="Average hold time (seconds)",
                              fr="Temps d'attente moyen (secondes)"),
    "average_answer_wait": Text(en="Average wait before an agent answers (seconds)",
                                fr="Temps d'attente moyen avant la réponse d'un agent (secondes)"),
    "answered_within_30s": Text(en="Calls answered within 30 seconds",
                                fr="Appels répondus dans les 30 secondes"),
    "transfers": Text(en="Transfers", fr="Transferts"),
    "average_transfer_time": Text(en="Average transfer time (minutes)",
                                  fr="Temps moyen des transferts (minutes)"),
    "busy": Text(en="Busy signal", fr="Signal occupé"),
}


async def statistics_table(scope: Scope, data: dict[str, Any], language: str) -> Table:
    values = await statistics.statistics(statistics_filter(scope, data))

    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value, 1)

    return Table(
        title=Text(en="Statistics", fr="Statistiques"),
        headers=[Text(en="Statistic", fr="Statistiques"), Text(en="Num.", fr="Num."),
                 Text(en="%", fr="%"), Text(en="Explanation", fr="Explication")],
        rows=[[METRIC_LABELS[name].render(language), rounded(values[name].value),
               rounded(values[name].percent), values[name].definition(language)]
              for name in statistics.METRICS],
    )


async def table(report: str, scope: Scope, data: dict[str, Any], language: str,
                limit: int) -> Table:
    if report == "RECORDER":
        return await recorder_table(scope, data, limit)
    if report == "MESSAGES":
        return await messages_table(scope, data, limit)
    if report == "BILLABLE_CALLS":
        return await billable_table(scope, data, limit)
    return await statistics_table(scope, data, language)


TITLES: dict[str, Text] = {
    "RECORDER": Text(en="Call recorder", fr="Enregistreur d'appels"),
    "MESSAGES": Text(en="Taken messages", fr="Messages textes"),
    "BILLABLE_CALLS": Text(en="Billable calls", fr="Appels facturables"),
    "STATISTICS": Text(en="Statistics", fr="Statistiques"),
}
