"""GraphQL of the call-center reports: statistics (and their time series), the call recorder,
taken messages, billable calls, information pages, billing history, downloads and emails.

Resolvers turn inputs into plain data and call ``reports``/``services``; who sees what is
``services.scope_for`` (an account number the caller cannot see is "not found").
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from enum import Enum
from typing import Any, NewType

import strawberry
from strawberry.exceptions import StrawberryGraphQLError
from tortoise.transactions import in_transaction

from gateway.email.templates import EmailError
from gateway.identity import scoping
from gateway.identity.models import Account, Reseller
from gateway.jobs import enqueue
from plugins.callcenter import exports, reports, services
from plugins.callcenter import statistics as stats
from plugins.callcenter.actors import EMAIL_REPORT_JOB
from plugins.callcenter.config import CallCenterConfig
from plugins.callcenter.errors import (
    NO_SUPPORT_EMAIL,
    CallCenterError,
    CallCenterErrorCode,
    errors_of,
    problem,
)
from plugins.callcenter.models import AccountInfoPage
from schema.errors import PayloadError
from schema.pagination import Connection, build_connection, page_window
from schema.permissions import SIGNED_IN, SUBSCRIBERS, Role, allow
from schema.scalars import DateTime

STAFF = (Role.SYSTEM_ADMIN, Role.RESELLER_ADMIN, Role.RESELLER_DELEGATE)
READERS = SIGNED_IN


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
OffsetDateTime = strawberry.scalar(
    NewType("OffsetDateTime", dt.datetime),
    name="OffsetDateTime",
    description="An instant, ISO 8601, written in the account's local time with its UTC "
    "offset (e.g. 2026-11-23T07:00:00-05:00): the report's local time, and still one exact "
    "instant for any ISO 8601 parser.",
    serialize=_serialize_offset,
    parse_value=_parse_offset,
)


# ---- enums ----------------------------------------------------------------------------------

@strawberry.enum(description="A day of the week (account-local).")
class Weekday(Enum):
    MONDAY = "MONDAY"
    TUESDAY = "TUESDAY"
    WEDNESDAY = "WEDNESDAY"
    THURSDAY = "THURSDAY"
    FRIDAY = "FRIDAY"
    SATURDAY = "SATURDAY"
    SUNDAY = "SUNDAY"


@strawberry.enum(description="The buckets of a statistics time series (account-local).")
class StatisticsInterval(Enum):
    HOUR = "HOUR"
    DAY = "DAY"
    WEEK = "WEEK"


@strawberry.enum(description="Choisir laps de temps: the recorder's time presets.")
class RecorderPreset(Enum):
    LAST_HOUR = "LAST_HOUR"
    LAST_3_HOURS = "LAST_3_HOURS"
    LAST_6_HOURS = "LAST_6_HOURS"
    LAST_12_HOURS = "LAST_12_HOURS"
    SINCE_MIDNIGHT = "SINCE_MIDNIGHT"
    CUSTOM = "CUSTOM"


@strawberry.enum(description="The call-center reports that can be downloaded or emailed.")
class CallCenterReport(Enum):
    RECORDER = "RECORDER"
    MESSAGES = "MESSAGES"
    BILLABLE_CALLS = "BILLABLE_CALLS"
    STATISTICS = "STATISTICS"


@strawberry.enum(description="Open in Excel: XLSX, or CSV.")
class ReportFileFormat(Enum):
    XLSX = "XLSX"
    CSV = "CSV"


# ---- inputs ---------------------------------------------------------------------------------

@strawberry.input(description="The statistics report's filters, all optional and combinable.")
class CallStatisticsFilter:
    account_number: int | None = strawberry.field(default=None, description="CID / UID.")
    billing_number: str | None = strawberry.field(default=None, description="CAN.")
    date_from: dt.date | None = strawberry.field(
        default=None, name="from", description="First day (account-local, inclusive); today "
        "by default.")
    date_to: dt.date | None = strawberry.field(
        default=None, name="to", description="Last day (account-local, inclusive).")
    after: str | None = strawberry.field(
        default=None, description="Calls at or after this account-local time, \"HH:MM\".")
    before: str | None = strawberry.field(
        default=None, description="Calls at or before this account-local time, \"HH:MM\".")
    weekdays: list[Weekday] | None = strawberry.field(
        default=None, description="Only these account-local days of the week.")
    agent: str | None = strawberry.field(default=None, description="Agent initials.")
    hold_longer_than: float | None = strawberry.field(
        default=None, description="Keep only calls with a hold longer than this (seconds).")
    answer_delay_longer_than: float | None = strawberry.field(
        default=None, description="Keep only calls whose wait before an agent answered is "
        "longer than this (seconds).")
    include_account_groups: list[int] | None = None
    exclude_account_groups: list[int] | None = None
    include_distribution_groups: list[int] | None = None
    exclude_distribution_groups: list[int] | None = None


@strawberry.input(description="The call recorder's search: a preset or dates/times, and the "
                  "other optional criteria.")
class CallRecorderFilter:
    preset: RecorderPreset = RecorderPreset.LAST_HOUR
    start: DateTime | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="CUSTOM: from this moment.")
    end: DateTime | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="CUSTOM: until this moment.")
    account_number: int | None = None
    billing_number: str | None = None
    agent: str | None = None
    station: str | None = None
    min_duration_minutes: float | None = None
    max_duration_minutes: float | None = None
    caller_id: str | None = None
    call_number: str | None = None
    account_name: str | None = strawberry.field(default=None, description="Any part of it.")
    quality_min: int | None = None
    quality_max: int | None = None


@strawberry.input(description="The taken messages' search.")
class TakenMessageFilter:
    date_from: dt.date | None = strawberry.field(default=None, name="from")
    date_to: dt.date | None = strawberry.field(default=None, name="to")
    account_number: int | None = None
    billing_number: str | None = None
    call_number: str | None = None
    agent: str | None = None
    keyword: str | None = strawberry.field(default=None, description="A word in the body.")


@strawberry.input(description="Billable calls: dates, or the billing cycle (20th to 19th) "
                  "holding a day (the current one by default).")
class BillableCallFilter:
    date_from: dt.date | None = strawberry.field(default=None, name="from")
    date_to: dt.date | None = strawberry.field(default=None, name="to")
    cycle: dt.date | None = strawberry.field(
        default=None, description="Any day of the wanted billing cycle.")
    account_number: int | None = None
    billing_number: str | None = None


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _data(filter: Any) -> dict[str, Any]:
    """An input as JSON-safe data (what a download URL or an email job carries)."""
    if filter is None:
        return {}
    return {f.name: _plain(getattr(filter, f.name)) for f in dataclasses.fields(filter)
            if getattr(filter, f.name) not in (None, strawberry.UNSET)}


def _bad_input(info: strawberry.Info, exc: reports.InputError) -> StrawberryGraphQLError:
    return StrawberryGraphQLError(exc.text.render(info.context.language),
                                  extensions={"code": "BAD_USER_INPUT", "field": exc.field})


def _not_found(info: strawberry.Info) -> StrawberryGraphQLError:
    return StrawberryGraphQLError(services.NotFound.text.render(info.context.language),
                                  extensions={"code": "NOT_FOUND"})


async def _scope(info: strawberry.Info, data: dict[str, Any]) -> services.Scope:
    try:
        return await services.scope_for(info.context.principal, data.get("account_number"),
                                         data.get("billing_number"))
    except services.NotFound:
        raise _not_found(info) from None


def _config(info: strawberry.Info) -> CallCenterConfig:
    return CallCenterConfig.from_host(info.context.host)


# ---- statistics -----------------------------------------------------------------------------

@strawberry.type(description="One statistic: its count or average, its percentage where it "
                 "has one, and its definition in the caller's language.")
class CallMetric:
    value: float | None = strawberry.field(
        description="The count, or the average; null when its denominator is empty.")
    percent: float | None = strawberry.field(
        description="0-100 where the metric has one; null when its denominator is empty.")
    definition: str


def _metric(metric: stats.Metric, language: str) -> CallMetric:
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


def _statistics(metrics: dict[str, stats.Metric], language: str) -> CallStatistics:
    return CallStatistics(**{name: _metric(metrics[name], language) for name in stats.METRICS})


@strawberry.type(description="The statistics of one hour, day or week (account-local).")
class CallStatisticsBucket:
    start: str = strawberry.field(description="Account-local start, \"YYYY-MM-DDTHH:MM\".")
    statistics: CallStatistics


async def _statistics_filter(info: strawberry.Info, filter: Any) -> stats.CallFilter:
    data = _data(filter)
    scope = await _scope(info, data)
    try:
        return reports.statistics_filter(scope, data)
    except reports.InputError as exc:
        raise _bad_input(info, exc) from None


# ---- recorder, messages, billable calls ------------------------------------------------------

@strawberry.type(description="A row of the call recorder.")
class RecordedCall:
    call_number: str = strawberry.field(description="Appel: the platform's call id.")
    started_at: OffsetDateTime = strawberry.field(  # type: ignore[valid-type]
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
    taken_at: OffsetDateTime = strawberry.field(  # type: ignore[valid-type]
        description="In the account's time zone.")
    account_number: int
    call_number: str
    agent: str
    body: str
    history: list[MessageEvent]


@strawberry.type(description="A billable call: an agent worked on it.")
class BillableCall:
    started_at: OffsetDateTime = strawberry.field(  # type: ignore[valid-type]
        description="In the account's time zone.")
    description: str
    number: str
    caller_name: str
    agent: str
    statistic_seconds: float
    statistic: str = strawberry.field(description="mm:ss, as the seed shows it.")


@strawberry.type(description="Appels facturables: the calls and the seed's totals.")
class BillableCalls:
    date_from: dt.date = strawberry.field(name="from")
    date_to: dt.date = strawberry.field(name="to")
    calls: list[BillableCall]
    total_calls: int
    total_stat_minutes: float
    average_stat_minutes: float | None


@strawberry.type(description="An information page the agents read for the account.")
class AccountInformationPage:
    id: int
    title: str
    body: str
    position: int
    updated_at: DateTime  # type: ignore[valid-type]


@strawberry.type(description="A line of the account's billing history.")
class BillingHistoryEntry:
    date: dt.date
    description: str
    amount: str = strawberry.field(description="Decimal string.")
    currency: str


def _recorded(row: dict[str, Any], host: Any) -> RecordedCall:
    return RecordedCall(
        call_number=row["call_id"], started_at=row["started_at"], account_number=row["account_id"],
        account_name=row["account_name"], caller_id=row["caller_id"],
        caller_name=row["caller_name"], agent=row["agent"], station=row["station"],
        direction=row["direction"], duration_seconds=row["duration"], quality=row["quality"],
        recording_url=exports.recording_url(host, row["id"], row["reseller_id"])
        if row["recording"] else None,
    )


def _message(row: dict[str, Any]) -> TakenMessage:
    return TakenMessage(message_id=row["message_id"], taken_at=row["taken_at"],
                        account_number=row["account_id"], call_number=row["call_id"],
                        agent=row["agent"], body=row["body"],
                        history=[MessageEvent(at=h.get("at", ""), event=h.get("event", ""))
                                 for h in row["history"] or []])


async def _visible_account(info: strawberry.Info, account_number: int) -> Account:
    account = await scoping.accounts_visible(info.context.principal).get_or_none(
        id=account_number)
    if account is None:
        raise _not_found(info)
    return account


@strawberry.type
class CallCenterQuery:
    @strawberry.field(extensions=allow(*READERS), description=(
        "Statistiques: the sixteen metrics over the calls matching the filter, computed in one "
        "query. Days, hours and weekdays are the account's local time."))
    async def call_statistics(self, info: strawberry.Info,
                              filter: CallStatisticsFilter) -> CallStatistics:
        metrics = await stats.statistics(await _statistics_filter(info, filter))
        return _statistics(metrics, info.context.language)

    @strawberry.field(extensions=allow(*READERS), description=(
        "The statistics by hour, day or week (account-local), for dashboards; empty buckets "
        "are left out."))
    async def call_statistics_series(self, info: strawberry.Info, filter: CallStatisticsFilter,
                                     interval: StatisticsInterval) -> list[CallStatisticsBucket]:
        buckets = await stats.series(await _statistics_filter(info, filter), interval.value)
        return [CallStatisticsBucket(start=b.start.strftime("%Y-%m-%dT%H:%M"),
                                     statistics=_statistics(b.metrics, info.context.language))
                for b in buckets]

    @strawberry.field(extensions=allow(*READERS), description=(
        "Enregistreur d'appels: the calls of the last hour by default, newest first."))
    async def call_recorder(self, info: strawberry.Info,
                            filter: CallRecorderFilter | None = None, first: int | None = None,
                            after: str | None = None) -> CallRecorderConnection:
        data = _data(filter)
        scope = await _scope(info, data)
        try:
            query = reports.recorder_query(scope, data)
        except reports.InputError as exc:
            raise _bad_input(info, exc) from None
        offset, limit = page_window(first, after, _config(info).max_page_size)
        rows, total, seconds = await services.recorder_page(query, offset, limit)
        host = info.context.host
        page = build_connection(rows, offset, limit, total,
                                lambda row: _recorded(row, host))
        return CallRecorderConnection(edges=page.edges, page_info=page.page_info,
                                      total_count=page.total_count,
                                      total_duration_minutes=round(seconds / 60, 1))

    @strawberry.field(extensions=allow(*READERS), description=(
        "Messages textes: taken messages (today by default), newest first, with their "
        "delivery history."))
    async def taken_messages(self, info: strawberry.Info,
                             filter: TakenMessageFilter | None = None, first: int | None = None,
                             after: str | None = None) -> Connection[TakenMessage]:
        data = _data(filter)
        scope = await _scope(info, data)
        try:
            query = services.messages(reports.message_query(scope, data))
        except reports.InputError as exc:
            raise _bad_input(info, exc) from None
        offset, limit = page_window(first, after, _config(info).max_page_size)
        rows = await query.order_by("-taken_at", "-id").offset(offset).limit(limit + 1).values(
            *services.MESSAGE_COLUMNS)
        await services.localise(rows, scope, "taken_at")
        return build_connection(rows, offset, limit, await query.count(), _message)

    @strawberry.field(extensions=allow(*READERS), description=(
        "Appels facturables: the billable calls of the current billing cycle (20th to 19th) "
        "by default, with the totals."))
    async def billable_calls(self, info: strawberry.Info,
                             filter: BillableCallFilter | None = None) -> BillableCalls:
        data = _data(filter)
        scope = await _scope(info, data)
        try:
            start, end = reports.billable_range(scope, data)
        except reports.InputError as exc:
            raise _bad_input(info, exc) from None
        report = await services.billable_report(scope, start, end, _config(info).export_max_rows)
        return BillableCalls(
            date_from=start, date_to=end, total_calls=report.total_calls,
            total_stat_minutes=round(report.total_minutes, 2),
            average_stat_minutes=None if report.average_minutes is None
            else round(report.average_minutes, 2),
            calls=[BillableCall(started_at=r["started_at"], description=r["direction"],
                                number=r["caller_id"], caller_name=r["caller_name"],
                                agent=r["agent"],
                                statistic_seconds=services.statistic_seconds(r),
                                statistic=reports.minutes_seconds(services.statistic_seconds(r)))
                   for r in report.rows])

    @strawberry.field(extensions=allow(*READERS), description=(
        "A signed, short-lived URL of a report as XLSX or CSV (Ouvrir dans Excel); give the "
        "filter of that report."))
    async def call_center_report_download(
        self, info: strawberry.Info, report: CallCenterReport, format: ReportFileFormat,
        recorder: CallRecorderFilter | None = None, messages: TakenMessageFilter | None = None,
        billable_calls: BillableCallFilter | None = None,
        statistics: CallStatisticsFilter | None = None,
    ) -> str:
        data = _data({"RECORDER": recorder, "MESSAGES": messages,
                      "BILLABLE_CALLS": billable_calls, "STATISTICS": statistics}[report.value])
        scope = await _scope(info, data)
        try:
            await _check(scope, report.value, data)
        except reports.InputError as exc:
            raise _bad_input(info, exc) from None
        return exports.report_url(info.context.host, report.value, format.value, scope, data,
                                  info.context.language)

    @strawberry.field(extensions=allow(*READERS), description=(
        "Informations générales du compte client: the pages the agents read."))
    async def account_information_pages(self, info: strawberry.Info,
                                        account_number: int) -> list[AccountInformationPage]:
        account = await _visible_account(info, account_number)
        return [AccountInformationPage(id=p.id, title=p.title, body=p.body, position=p.position,
                                       updated_at=p.updated_at)
                for p in await services.info_pages(account.id)]

    @strawberry.field(extensions=allow(*READERS), description=(
        "Historique de facturation: what billing plugins report for the account."))
    async def billing_history(self, info: strawberry.Info,
                              account_number: int) -> list[BillingHistoryEntry]:
        account = await _visible_account(info, account_number)
        entries = await services.billing_history(info.context.host, account)
        return [BillingHistoryEntry(date=e["date"], description=e["description"],
                                    amount=str(e["amount"]), currency=e.get("currency", "CAD"))
                for e in entries]


async def _check(scope: services.Scope, report: str, data: dict[str, Any]) -> None:
    """Refuse a bad filter now rather than in the download or the job."""
    if report == "RECORDER":
        reports.recorder_query(scope, data)
    elif report == "MESSAGES":
        reports.message_query(scope, data)
    elif report == "BILLABLE_CALLS":
        reports.billable_range(scope, data)
    else:
        reports.statistics_filter(scope, data)


# ---- mutations ------------------------------------------------------------------------------

@strawberry.input(description="Envoyer le rapport par e-mail: the report, as an attachment.")
class EmailCallCenterReportInput:
    report: CallCenterReport
    format: ReportFileFormat = ReportFileFormat.XLSX
    to: list[str] = strawberry.field(description="Recipients' addresses.")
    recorder: CallRecorderFilter | None = None
    messages: TakenMessageFilter | None = None
    billable_calls: BillableCallFilter | None = None
    statistics: CallStatisticsFilter | None = None


@strawberry.type
class EmailCallCenterReportPayload:
    queued: bool
    errors: list[CallCenterError]  # type: ignore[valid-type]


@strawberry.input(description="Add (no id) or change an information page of an account.")
class SaveAccountInformationPageInput:
    account_number: int
    id: int | None = None
    title: str
    body: str = ""
    position: int = 0


@strawberry.type
class SaveAccountInformationPagePayload:
    page: AccountInformationPage | None
    errors: list[CallCenterError]  # type: ignore[valid-type]


@strawberry.input(description="Ask the reseller's support to change the information pages.")
class RequestAccountInformationChangeInput:
    account_number: int
    message: str


@strawberry.type
class RequestAccountInformationChangePayload:
    sent: bool
    errors: list[CallCenterError]  # type: ignore[valid-type]


def _not_found_problem(field: list[str]) -> PayloadError:
    return problem(CallCenterErrorCode.NOT_FOUND, services.NotFound.text, field)


@strawberry.type
class CallCenterMutation:
    @strawberry.mutation(extensions=allow(*READERS))
    async def email_call_center_report(
        self, info: strawberry.Info, input: EmailCallCenterReportInput
    ) -> EmailCallCenterReportPayload:
        language = info.context.language
        section = {"RECORDER": "recorder", "MESSAGES": "messages",
                   "BILLABLE_CALLS": "billableCalls", "STATISTICS": "statistics"}
        data = _data(getattr(input, {"billableCalls": "billable_calls"}.get(
            section[input.report.value], section[input.report.value])))
        try:
            scope = await services.scope_for(info.context.principal,
                                             data.get("account_number"),
                                             data.get("billing_number"))
        except services.NotFound:
            return EmailCallCenterReportPayload(queued=False, errors=errors_of(
                _not_found_problem(["input", section[input.report.value], "accountNumber"]),
                language))
        try:
            await _check(scope, input.report.value, data)
        except reports.InputError as exc:
            return EmailCallCenterReportPayload(queued=False, errors=errors_of(problem(
                CallCenterErrorCode.INVALID, exc.text,
                ["input", section[input.report.value], exc.field]), language))
        from gateway.email.service import _addresses

        try:
            recipients = _addresses("to", input.to)
            if not recipients:
                raise EmailError("no recipient")
        except EmailError:
            return EmailCallCenterReportPayload(queued=False, errors=errors_of(problem(
                CallCenterErrorCode.INVALID, _BAD_EMAIL, ["input", "to"]), language))
        principal = info.context.principal
        await enqueue(EMAIL_REPORT_JOB, {
            "report": input.report.value, "format": input.format.value,
            "scope": exports.scope_data(scope), "filter": data, "language": language,
            "to": recipients, "reseller_id": principal.reseller_id,
        })
        return EmailCallCenterReportPayload(queued=True, errors=[])

    @strawberry.mutation(extensions=allow(*STAFF))
    async def save_account_information_page(
        self, info: strawberry.Info, input: SaveAccountInformationPageInput
    ) -> SaveAccountInformationPagePayload:
        language = info.context.language
        account = await scoping.accounts_visible(info.context.principal).get_or_none(
            id=input.account_number)
        if account is None:
            return SaveAccountInformationPagePayload(page=None, errors=errors_of(
                _not_found_problem(["input", "accountNumber"]), language))
        if not input.title.strip():
            return SaveAccountInformationPagePayload(page=None, errors=errors_of(problem(
                CallCenterErrorCode.INVALID, _TITLE_REQUIRED, ["input", "title"]), language))
        if input.id is not None:
            page = await AccountInfoPage.get_or_none(id=input.id, account_id=account.id)
            if page is None:
                return SaveAccountInformationPagePayload(page=None, errors=errors_of(
                    _not_found_problem(["input", "id"]), language))
            page.title, page.body, page.position = input.title.strip(), input.body, input.position
            await page.save()
        else:
            page = await AccountInfoPage.create(account_id=account.id, title=input.title.strip(),
                                                body=input.body, position=input.position)
        return SaveAccountInformationPagePayload(page=AccountInformationPage(
            id=page.id, title=page.title, body=page.body, position=page.position,
            updated_at=page.updated_at), errors=[])

    @strawberry.mutation(extensions=allow(*SUBSCRIBERS, *STAFF))
    async def request_account_information_change(
        self, info: strawberry.Info, input: RequestAccountInformationChangeInput
    ) -> RequestAccountInformationChangePayload:
        from gateway.email.service import send_email
        from gateway.identity.models import User

        language = info.context.language
        principal = info.context.principal
        account = await scoping.accounts_visible(principal).get_or_none(id=input.account_number)
        if account is None:
            return RequestAccountInformationChangePayload(sent=False, errors=errors_of(
                _not_found_problem(["input", "accountNumber"]), language))
        reseller = await Reseller.get(id=account.reseller_id)  # type: ignore[attr-defined]
        support = (reseller.branding or {}).get("support_email")
        if not support:
            return RequestAccountInformationChangePayload(sent=False, errors=errors_of(problem(
                CallCenterErrorCode.EMAIL_FAILED, NO_SUPPORT_EMAIL, None), language))
        user = await User.get_or_none(id=principal.user_id or -1)
        async with in_transaction():
            await send_email(
                to=support, template="callcenter_info_change", language=reseller.default_language,
                values={"requester": user.full_name if user else "API", "account": account.id,
                        "account_name": account.name, "message": input.message},
                reply_to=user.email if user else None, gateway=info.context.host)
        return RequestAccountInformationChangePayload(sent=True, errors=[])


_BAD_EMAIL = reports.Text(en="Give one or more valid email addresses.",
                          fr="Indiquez une ou plusieurs adresses courriel valides.")
_TITLE_REQUIRED = reports.Text(en="A page needs a title.", fr="Une page doit avoir un titre.")
