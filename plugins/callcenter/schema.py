"""GraphQL of the call-center reports: statistics (and their time series), the call recorder,
taken messages, billable calls, information pages, billing history, downloads and emails.

Resolvers turn inputs into plain data (``filter_schema``), call ``reports``/``services``/
``exports`` and wrap the answer (``report_schema``); who sees what is ``services.scope_for``
(an account number the caller cannot see is "not found").
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from strawberry.exceptions import StrawberryGraphQLError
from strawberry.extensions import FieldExtension

from gateway.api import (
    RESELLER_STAFF,
    SIGNED_IN,
    SUBSCRIBERS,
    Connection,
    Error,
    Problem,
    Role,
    allow,
    build_connection,
    error_type,
    mutation,
    page_window,
)
from plugins.callcenter import exports, reports, services
from plugins.callcenter import report_schema as out
from plugins.callcenter import statistics as stats
from plugins.callcenter.config import PLUGIN_NAME, CallCenterConfig
from plugins.callcenter.errors import CallCenterErrorCode
from plugins.callcenter.filter_schema import (
    BillableCallFilter,
    CallCenterReport,
    CallRecorderFilter,
    CallStatisticsFilter,
    ReportFileFormat,
    StatisticsInterval,
    TakenMessageFilter,
    filter_data,
)


@error_type("CallCenter", CallCenterErrorCode)
class CallCenterError(Error):
    """A refusal of the call-center area."""

READERS = SIGNED_IN
# Who edits the information pages agents read: no API token.
PAGE_EDITORS = (Role.SYSTEM_ADMIN, *RESELLER_STAFF)
# The argument (or input field) holding each report's filter.
REPORT_FILTERS = {"RECORDER": "recorder", "MESSAGES": "messages",
                  "BILLABLE_CALLS": "billable_calls", "STATISTICS": "statistics"}


class _RefusalsAsErrors(FieldExtension):
    """A report query's refusal as the GraphQL error its clients read: an account the caller
    cannot see is ``NOT_FOUND``; a filter value it cannot use is ``BAD_USER_INPUT`` with the
    filter field's name in ``field``."""

    async def resolve_async(self, next_: Callable[..., Awaitable[Any]], source: Any,
                            info: strawberry.Info, **kwargs: Any) -> Any:
        try:
            return await next_(source, info, **kwargs)
        except Problem as problem:
            extensions: dict[str, Any] = {"code": "NOT_FOUND"}
            if problem.code_name != "NOT_FOUND":
                extensions = {"code": "BAD_USER_INPUT",
                              "field": problem.field[-1] if problem.field else None}
            raise StrawberryGraphQLError(problem.message(info.context.language),
                                         extensions=extensions) from None


def _report_field(description: str) -> Any:
    """A report query every signed-in caller may ask (within its scope)."""
    return strawberry.field(extensions=[_RefusalsAsErrors(), *allow(*READERS)],
                            description=description)


def _config(info: strawberry.Info) -> CallCenterConfig:
    return info.context.host.config_for(PLUGIN_NAME, CallCenterConfig)


async def _scope(info: strawberry.Info, data: dict[str, Any]) -> services.Scope:
    return await services.scope_for(info.context.principal, data.get("account_number"),
                                    data.get("billing_number"))


async def _statistics_filter(info: strawberry.Info,
                             filter: CallStatisticsFilter) -> stats.CallFilter:
    data = filter_data(filter)
    return reports.statistics_filter(await _scope(info, data), data)


@strawberry.type
class CallCenterQuery:
    @_report_field("Statistiques: the sixteen metrics over the calls matching the filter, "
                   "computed in one query. Days, hours and weekdays are the account's local "
                   "time.")
    async def call_statistics(self, info: strawberry.Info,
                              filter: CallStatisticsFilter) -> out.CallStatistics:
        metrics = await stats.statistics(await _statistics_filter(info, filter))
        return out.call_statistics(metrics, info.context.language)

    @_report_field("The statistics by hour, day or week (account-local), for dashboards; empty "
                   "buckets are left out.")
    async def call_statistics_series(
        self, info: strawberry.Info, filter: CallStatisticsFilter, interval: StatisticsInterval
    ) -> list[out.CallStatisticsBucket]:
        call_filter = await _statistics_filter(info, filter)
        reports.check_series(call_filter, interval.value)
        buckets = await stats.series(call_filter, interval.value)
        return [out.CallStatisticsBucket(
            start=b.start.strftime("%Y-%m-%dT%H:%M"),
            statistics=out.call_statistics(b.metrics, info.context.language))
            for b in buckets]

    @_report_field("Enregistreur d'appels: the calls of the last hour by default, newest "
                   "first.")
    async def call_recorder(self, info: strawberry.Info,
                            filter: CallRecorderFilter | None = None, first: int | None = None,
                            after: str | None = None) -> out.CallRecorderConnection:
        data = filter_data(filter)
        query = reports.recorder_query(await _scope(info, data), data)
        offset, limit = page_window(first, after, _config(info).max_page_size)
        rows, total, seconds = await services.recorder_page(query, offset, limit)
        host = info.context.host
        page = build_connection(rows, offset, limit, total,
                                lambda row: out.recorded_call(row, host))
        return out.CallRecorderConnection(edges=page.edges, page_info=page.page_info,
                                          total_count=page.total_count,
                                          total_duration_minutes=round(seconds / 60, 1))

    @_report_field("Messages textes: taken messages (today by default), newest first, with "
                   "their delivery history.")
    async def taken_messages(self, info: strawberry.Info,
                             filter: TakenMessageFilter | None = None, first: int | None = None,
                             after: str | None = None) -> Connection[out.TakenMessage]:
        data = filter_data(filter)
        scope = await _scope(info, data)
        query = services.messages(reports.message_query(scope, data))
        offset, limit = page_window(first, after, _config(info).max_page_size)
        rows = await query.order_by("-taken_at", "-id").offset(offset).limit(limit + 1).values(
            *services.MESSAGE_COLUMNS)
        await services.localise(rows, scope, "taken_at")
        return build_connection(rows, offset, limit, await query.count(), out.taken_message)

    @_report_field("Appels facturables: the billable calls of the current billing cycle (20th "
                   "to 19th) by default, a page at a time (oldest first), with the totals of "
                   "all of them.")
    async def billable_calls(self, info: strawberry.Info,
                             filter: BillableCallFilter | None = None, first: int | None = None,
                             after: str | None = None) -> out.BillableCalls:
        data = filter_data(filter)
        scope = await _scope(info, data)
        start, end = reports.billable_range(scope, data)
        offset, limit = page_window(first, after, _config(info).max_page_size)
        report = await services.billable_report(scope, start, end, limit + 1, offset)
        return out.billable_calls(start, end, report, offset, limit)

    @_report_field("A signed, short-lived URL of a report as XLSX or CSV (Ouvrir dans Excel); "
                   "give the filter of that report.")
    async def call_center_report_download(
        self, info: strawberry.Info, report: CallCenterReport, format: ReportFileFormat,
        recorder: CallRecorderFilter | None = None, messages: TakenMessageFilter | None = None,
        billable_calls: BillableCallFilter | None = None,
        statistics: CallStatisticsFilter | None = None,
    ) -> str:
        filters = {"recorder": recorder, "messages": messages, "billable_calls": billable_calls,
                   "statistics": statistics}
        data = filter_data(filters[REPORT_FILTERS[report.value]])
        scope = await _scope(info, data)
        reports.check(report.value, scope, data)
        return exports.report_url(info.context.host, report.value, format.value, scope, data,
                                  info.context.language)

    @_report_field("Informations générales du compte client: the pages the agents read.")
    async def account_information_pages(
        self, info: strawberry.Info, account_number: int
    ) -> list[out.AccountInformationPage]:
        account = await services.visible_account(info.context.principal, account_number)
        return [out.information_page(p) for p in await services.info_pages(account.id)]

    @_report_field("Historique de facturation: what billing plugins report for the account.")
    async def billing_history(self, info: strawberry.Info,
                              account_number: int) -> list[out.BillingHistoryEntry]:
        account = await services.visible_account(info.context.principal, account_number)
        entries = await services.billing_history(info.context.host, account)
        return [out.billing_entry(entry) for entry in entries]


# ---- mutations ------------------------------------------------------------------------------

def _nothing_refused(root: Any) -> bool:
    return not root.errors


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
    queued: bool = strawberry.field(resolver=_nothing_refused)
    errors: list[CallCenterError] = strawberry.field(default_factory=list)


@strawberry.input(description="Add (no id) or change an information page of an account.")
class SaveAccountInformationPageInput:
    account_number: int
    id: int | None = None
    title: str
    body: str = ""
    position: int = 0


@strawberry.type
class SaveAccountInformationPagePayload:
    page: out.AccountInformationPage | None
    errors: list[CallCenterError] = strawberry.field(default_factory=list)


@strawberry.input(description="Ask the reseller's support to change the information pages.")
class RequestAccountInformationChangeInput:
    account_number: int
    message: str


@strawberry.type
class RequestAccountInformationChangePayload:
    sent: bool = strawberry.field(resolver=_nothing_refused)
    errors: list[CallCenterError] = strawberry.field(default_factory=list)


@strawberry.type
class CallCenterMutation:
    @mutation(*READERS, errors=CallCenterError)
    async def email_call_center_report(
        self, info: strawberry.Info, input: EmailCallCenterReportInput
    ) -> EmailCallCenterReportPayload:
        report = input.report.value
        await exports.queue_report_email(
            info.context.principal, report, input.format.value,
            filter_data(getattr(input, REPORT_FILTERS[report])), input.to,
            info.context.language, _config(info).recipient_policy)
        return EmailCallCenterReportPayload()

    @mutation(*PAGE_EDITORS, errors=CallCenterError)
    async def save_account_information_page(
        self, info: strawberry.Info, input: SaveAccountInformationPageInput
    ) -> SaveAccountInformationPagePayload:
        page = await services.save_info_page(
            info.context.principal, input.account_number, input.id, title=input.title,
            body=input.body, position=input.position)
        return SaveAccountInformationPagePayload(page=out.information_page(page))

    @mutation(*SUBSCRIBERS, *PAGE_EDITORS, errors=CallCenterError)
    async def request_account_information_change(
        self, info: strawberry.Info, input: RequestAccountInformationChangeInput
    ) -> RequestAccountInformationChangePayload:
        await services.request_info_change(info.context.host, info.context.principal,
                                           input.account_number, input.message)
        return RequestAccountInformationChangePayload()
