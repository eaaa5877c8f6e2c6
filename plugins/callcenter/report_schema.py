"""GraphQL of the call-center reports' answers: the output types (statistics, recorder rows,
taken messages, billable calls, information pages, billing history) and their construction
from the rows ``services`` and ``reports`` return."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, NewType

import strawberry

from gateway.api import Connection, DateTime, PluginHost, build_connection
from plugins.callcenter import exports, reports, services
from plugins.callcenter import statistics as stats
from plugins.callcenter.models import AccountInfoPage


def _serialize_offset(value: dt.datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.isoformat()


def _parse_offset(value: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(str(value))
    if parsed.tzinfo is None:
        raise ValueError("an OffsetDateTime has a UTC offset, e.g. 2026-11-23T07:00:00-05:00")
    return parsed


# Report rows show when a call happened where the account is: the same instant as a UTC
# DateTime, written in the account's time zone with its offset (downloads show the same).
_OffsetDateTime = strawberry.scalar(
    NewType("OffsetDateTime", dt.datetime),
    name="OffsetDateTime",
    description="An instant, ISO 8601, written in the account's local time with its UTC "
    "offset (e.g. 2026-11-23T07:00:00-05:00): the report's local time, and still one exact "
    "instant for any ISO 8601 parser.",
    serialize=_serialize_offset,
    parse_value=_parse_offset,
)

# The Python type to type checkers, the GraphQL scalar to strawberry.
if TYPE_CHECKING:
    OffsetDateTime = dt.datetime
else:
    OffsetDateTime = _OffsetDateTime


# ---- statistics -----------------------------------------------------------------------------

@strawberry.type(description="One statistic: its count or average, its percentage where it "
                 "has one, and its definition in the caller's language.")
class CallMetric:
    value: float | None = strawberry.field(
        description="The count, or the average rounded as its definition says (seconds to "
        "the second or the tenth, minutes to the tenth); null when its denominator is empty.")
    percent: float | None = strawberry.field(
        description="0-100, rounded to a tenth, where the metric has one; null when its "
        "denominator is empty.")
    definition: str


def metric(metric: stats.Metric, language: str) -> CallMetric:
    return CallMetric(value=metric.value, percent=metric.percent,
                      definition=metric.definition(language))


@strawberry.type(description="Statistiques: the sixteen metrics, in the seed's order.")
class CallStatistics:
    total_inbound: CallMetric
    automated: CallMetric
    agent_calls: CallMetric
    abandoned: CallMetric
    assigned: CallMetric
    unanswered: CallMetric
    answered: CallMetric
    assigned_answered: CallMetric
    average_work_time: CallMetric
    on_hold: CallMetric
    average_hold_time: CallMetric
    average_answer_wait: CallMetric
    answered_within_30s: CallMetric = strawberry.field(name="answeredWithin30s")
    transfers: CallMetric
    average_transfer_time: CallMetric
    busy: CallMetric


def call_statistics(metrics: dict[str, stats.Metric], language: str) -> CallStatistics:
    return CallStatistics(**{name: metric(metrics[name], language) for name in stats.METRICS})


@strawberry.type(description="The statistics of one hour, day or week (account-local).")
class CallStatisticsBucket:
    start: str = strawberry.field(description="Account-local start, \"YYYY-MM-DDTHH:MM\".")
    statistics: CallStatistics


# ---- recorder, messages, billable calls ------------------------------------------------------

@strawberry.type(description="A row of the call recorder.")
class RecordedCall:
    call_number: str = strawberry.field(description="Appel: the platform's call id.")
    started_at: OffsetDateTime = strawberry.field(
        description="Date/Heure, in the account's time zone.")
    account_number: int
    account_name: str
    caller_id: str
    caller_name: str
    agent: str
    station: str
    direction: str
    duration_seconds: float
    quality: int | None
    recording_url: str | None = strawberry.field(
        description="Signed, expiring URL of the audio (HTTP Range supported); null without one.")

    @strawberry.field(description="Durée, in minutes with one decimal as the seed shows it.")
    def duration_minutes(self) -> float:
        return round(self.duration_seconds / 60, 1)


@strawberry.type(description="The recorder's page of calls, newest first, and its totals.")
class CallRecorderConnection(Connection[RecordedCall]):
    total_duration_minutes: float = strawberry.field(
        description="Total Duration of every matching call, in minutes.")


@strawberry.type
class MessageEvent:
    at: str
    event: str


@strawberry.type(description="A message taken by an agent, with its delivery history.")
class TakenMessage:
    message_id: str
    taken_at: OffsetDateTime = strawberry.field(
        description="In the account's time zone.")
    account_number: int
    call_number: str
    agent: str
    body: str
    history: list[MessageEvent]


@strawberry.type(description="A billable call: an agent worked on it.")
class BillableCall:
    started_at: OffsetDateTime = strawberry.field(
        description="In the account's time zone.")
    description: str
    number: str
    caller_name: str
    agent: str
    statistic_seconds: float
    statistic: str = strawberry.field(description="mm:ss, as the seed shows it.")


@strawberry.type(description="Appels facturables: a page of the billable calls, oldest "
                 "first (nodes, edges, pageInfo; `first` at most the page cap), and the seed's "
                 "totals over every one of them.")
class BillableCalls(Connection[BillableCall]):
    date_from: dt.date = strawberry.field(name="from")
    date_to: dt.date = strawberry.field(name="to")
    total_calls: int = strawberry.field(description="Total Calls: every billable call of the "
                                        "dates, not only this page's.")
    total_stat_minutes: float
    average_stat_minutes: float | None


@strawberry.type(description="An information page the agents read for the account.")
class AccountInformationPage:
    id: int
    title: str
    body: str
    position: int
    updated_at: DateTime


@strawberry.type(description="A line of the account's billing history.")
class BillingHistoryEntry:
    date: dt.date
    description: str
    amount: str = strawberry.field(description="Decimal string.")
    currency: str


def recorded_call(row: dict[str, Any], host: PluginHost) -> RecordedCall:
    return RecordedCall(
        call_number=row["call_id"], started_at=row["started_at"], account_number=row["account_id"],
        account_name=row["account_name"], caller_id=row["caller_id"],
        caller_name=row["caller_name"], agent=row["agent"], station=row["station"],
        direction=row["direction"], duration_seconds=row["duration"], quality=row["quality"],
        recording_url=exports.recording_url(host, row["id"], row["reseller_id"])
        if row["recording"] else None,
    )


def taken_message(row: dict[str, Any]) -> TakenMessage:
    return TakenMessage(message_id=row["message_id"], taken_at=row["taken_at"],
                        account_number=row["account_id"], call_number=row["call_id"],
                        agent=row["agent"], body=row["body"],
                        history=[MessageEvent(at=h.get("at", ""), event=h.get("event", ""))
                                 for h in row["history"] or []])


def billable_call(row: dict[str, Any]) -> BillableCall:
    seconds = services.statistic_seconds(row)
    return BillableCall(started_at=row["started_at"], description=row["direction"],
                        number=row["caller_id"], caller_name=row["caller_name"],
                        agent=row["agent"], statistic_seconds=seconds,
                        statistic=reports.minutes_seconds(seconds))


def billable_calls(start: dt.date, end: dt.date, report: services.BillableReport, offset: int,
                   limit: int) -> BillableCalls:
    """The page (``report.rows``: ``limit`` + 1 rows from ``offset``) and the totals."""
    page = build_connection(report.rows, offset, limit, report.total_calls, billable_call)
    return BillableCalls(
        edges=page.edges, page_info=page.page_info, total_count=page.total_count,
        date_from=start, date_to=end, total_calls=report.total_calls,
        total_stat_minutes=round(report.total_minutes, 2),
        average_stat_minutes=None if report.average_minutes is None
        else round(report.average_minutes, 2))


def information_page(page: AccountInfoPage) -> AccountInformationPage:
    return AccountInformationPage(id=page.id, title=page.title, body=page.body,
                                  position=page.position, updated_at=page.updated_at)


def billing_entry(entry: dict[str, Any]) -> BillingHistoryEntry:
    return BillingHistoryEntry(date=entry["date"], description=entry["description"],
                               amount=str(entry["amount"]),
                               currency=entry.get("currency", "CAD"))
