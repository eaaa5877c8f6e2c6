"""GraphQL of the call-center reports: statistics (and their time series), the call recorder,
taken messages, billable calls, information pages, billing history, downloads and emails.

Resolvers turn inputs into plain data (``filter_schema``), call ``reports``/``services``/
``exports`` and wrap the answer (``report_schema``); who sees what is ``services.scope_for``
(an account number the caller cannot see is "not found").
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import strawberry
from strawberry.exceptions import StrawberryGraphQLError
from strawberry.extensions import FieldExtension
from strawberry.types.nodes import SelectedField

from gateway.api import (
    RESELLER_STAFF,
    SIGNED_IN,
    STAFF,
    SUBSCRIBERS,
    Connection,
    Error,
    Problem,
    Role,
    allow,
    build_connection,
    describe_enum_values,
    error_type,
    mutation,
    page_window,
)
from plugins.callcenter import exports, freshness, reports, series, services
from plugins.callcenter import report_schema as out
from plugins.callcenter import statistics as stats
from plugins.callcenter.config import PLUGIN_NAME, CallCenterConfig
from plugins.callcenter.errors import GROUP_BY_ACCOUNT_STAFF, TOO_MANY_GROUPS, CallCenterErrorCode
from plugins.callcenter.filter_schema import (
    BillableCallFilter,
    CallCenterReport,
    CallRecorderFilter,
    CallStatisticsFilter,
    ReportFileFormat,
    StatisticsGroupBy,
    StatisticsInterval,
    TakenMessageFilter,
    filter_data,
)


@error_type("CallCenter", CallCenterErrorCode)
class CallCenterError(Error):
    """A refusal of the call-center area."""


describe_enum_values(CallCenterErrorCode, {
    "INVALID": "A value cannot be used (a time not HH:MM, a date outside 1970-9998, an end "
               "before its start, too many values in a list, a malformed email address, a "
               "blank title); `field` names it.",
    "NOT_FOUND": "No such account or page among those you may see (another tenant's is not "
                 "found either).",
    "TOO_MANY_ROWS": "Reserved for a report too large to export; exports currently keep its "
                     "first 100,000 rows (export_max_rows).",
    "EMAIL_FAILED": "The email cannot be sent: the reseller has no support address.",
    "TOO_MANY": "Over a limit: more recipients than one email allows (10 by default), or more "
                "than 200 information pages for an account.",
    "RECIPIENT_NOT_ALLOWED": "An employee may email a report only to its own account's users.",
    "RATE_LIMITED": "Too many report recipients this hour, for you or for the account; try "
                    "again later (the message says when).",
}, description="Why a call-center report, email or information page request was refused.")

# The arguments giving an account by its number.
AccountNumberArg = Annotated[int, strawberry.argument(
    description="Numéro de compte client: the account's CID/UID, one you may see (any other "
    "is not found).")]
StatisticsFilterArg = Annotated[CallStatisticsFilter, strawberry.argument(
    description="Which calls: dates, times of day, weekdays, agent, thresholds and groups.")]

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


def _report_field(description: str, cached: bool = False) -> Any:
    """A report query every signed-in caller may ask (within its scope). ``cached``: its
    answer depends only on the imported calls, so the core's HTTP cache may validate it by
    the calls' change stamp (an ETag)."""
    return strawberry.field(extensions=[_RefusalsAsErrors(), *allow(*READERS)],
                            metadata={"http_cache": freshness.stamp} if cached else None,
                            description=f"{description} Any signed-in user, over the accounts "
                            "it may see.")


def _config(info: strawberry.Info) -> CallCenterConfig:
    return info.context.host.config_for(PLUGIN_NAME, CallCenterConfig)


async def _scope(info: strawberry.Info, data: dict[str, Any]) -> services.Scope:
    return await services.scope_for(info.context.principal, data.get("account_number"),
                                    data.get("billing_number"))


async def _statistics_filter(info: strawberry.Info,
                             filter: CallStatisticsFilter) -> stats.CallFilter:
    data = filter_data(filter)
    return reports.statistics_filter(await _scope(info, data), data)


_METRIC_FIELDS = {"".join(w if i == 0 else w.capitalize() for i, w in
                          enumerate(name.split("_"))): name for name in stats.METRICS}


def _metrics_asked(info: strawberry.Info) -> set[str] | None:
    """The metrics a series query reads in its buckets' statistics and previous; None (all
    of them) when it reads them through fragments."""
    asked: set[str] = set()
    for bucket_field in info.selected_fields[0].selections:
        if not isinstance(bucket_field, SelectedField):
            return None
        if bucket_field.name not in ("statistics", "previous"):
            continue
        for metric_field in bucket_field.selections:
            if not isinstance(metric_field, SelectedField):
                return None
            if metric_field.name in _METRIC_FIELDS:
                asked.add(_METRIC_FIELDS[metric_field.name])
    return asked


@strawberry.type
class CallCenterQuery:
    @_report_field("Statistiques: the sixteen metrics over the calls matching the filter, "
                   "computed in one query. Days, hours and weekdays are the account's local "
                   "time. Answers carry an ETag (If-None-Match gives 304).", cached=True)
    async def call_statistics(self, info: strawberry.Info,
                              filter: StatisticsFilterArg) -> out.CallStatistics:
        metrics = await stats.statistics(await _statistics_filter(info, filter))
        return out.call_statistics(metrics, info.context.language)

    @_report_field("The statistics by hour, day, week or month (account-local), for "
                   "dashboards: every bucket of the dates, zeros included; optionally one series "
                   "per account or agent, and the previous period beside each bucket. One SQL "
                   "aggregation; answers carry an ETag (If-None-Match gives 304).",
                   cached=True)
    async def call_statistics_series(
        self, info: strawberry.Info, filter: StatisticsFilterArg,
        interval: Annotated[StatisticsInterval, strawberry.argument(
            description="The bucket size: HOUR, DAY, WEEK or MONTH (at most 1,000 buckets).")],
        group_by: Annotated[StatisticsGroupBy | None, strawberry.argument(
            description="One series per ACCOUNT (staff only) or per AGENT, each with every "
            "bucket; at most 50 series and 5,000 buckets in all. One series by default.")]
        = None,
        compare_previous: Annotated[bool, strawberry.argument(
            description="Also give each bucket the matching bucket of the previous period (the "
            "dates shifted back by their own length).")] = False,
    ) -> list[out.CallStatisticsBucket]:
        data = filter_data(filter)
        scope = await _scope(info, data)
        call_filter = reports.statistics_filter(scope, data)
        reports.check_series(call_filter, interval.value)
        grouping = group_by.value if group_by else None
        principal = info.context.principal
        if grouping == "ACCOUNT" and (principal is None or principal.role not in STAFF
                                      or principal.direct_access):
            raise Problem(CallCenterErrorCode.INVALID, GROUP_BY_ACCOUNT_STAFF, ["groupBy"])
        try:
            buckets = await series.series(call_filter, interval.value, scope.zone,
                                          group_by=grouping, compare_previous=compare_previous,
                                          metrics=_metrics_asked(info))
        except series.TooManyGroups as exc:
            raise Problem(CallCenterErrorCode.INVALID, TOO_MANY_GROUPS, ["groupBy"],
                          max=exc.most) from None
        return [out.series_bucket(b, info.context.language) for b in buckets]

    @_report_field("Enregistreur d'appels: the calls of the last hour by default, newest "
                   "first.")
    async def call_recorder(
        self, info: strawberry.Info,
        filter: Annotated[CallRecorderFilter | None, strawberry.argument(
            description="The search; the last hour of every account you may see when left "
            "out.")] = None,
        first: int | None = None, after: str | None = None,
    ) -> out.CallRecorderConnection:
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
    async def taken_messages(
        self, info: strawberry.Info,
        filter: Annotated[TakenMessageFilter | None, strawberry.argument(
            description="The search; today's messages of every account you may see when left "
            "out.")] = None,
        first: int | None = None, after: str | None = None,
    ) -> Connection[out.TakenMessage]:
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
    async def billable_calls(
        self, info: strawberry.Info,
        filter: Annotated[BillableCallFilter | None, strawberry.argument(
            description="The dates or billing cycle, and the account; the current cycle of "
            "every account you may see when left out.")] = None,
        first: int | None = None, after: str | None = None,
    ) -> out.BillableCalls:
        data = filter_data(filter)
        scope = await _scope(info, data)
        start, end = reports.billable_range(scope, data)
        offset, limit = page_window(first, after, _config(info).max_page_size)
        report = await services.billable_report(scope, start, end, limit + 1, offset)
        return out.billable_calls(start, end, report, offset, limit)

    @_report_field("A signed, short-lived URL of a report as XLSX or CSV (Ouvrir dans Excel); "
                   "give the filter of that report.")
    async def call_center_report_download(
        self, info: strawberry.Info,
        report: Annotated[CallCenterReport, strawberry.argument(
            description="Which report to export.")],
        format: Annotated[ReportFileFormat, strawberry.argument(
            description="The file's format: XLSX or CSV.")],
        recorder: Annotated[CallRecorderFilter | None, strawberry.argument(
            description="The recorder's filter, for report RECORDER (ignored otherwise).")] = None,
        messages: Annotated[TakenMessageFilter | None, strawberry.argument(
            description="The messages' filter, for report MESSAGES (ignored otherwise).")] = None,
        billable_calls: Annotated[BillableCallFilter | None, strawberry.argument(
            description="The billable calls' filter, for report BILLABLE_CALLS (ignored "
            "otherwise).")] = None,
        statistics: Annotated[CallStatisticsFilter | None, strawberry.argument(
            description="The statistics' filter, for report STATISTICS (ignored "
            "otherwise).")] = None,
    ) -> str:
        filters = {"recorder": recorder, "messages": messages, "billable_calls": billable_calls,
                   "statistics": statistics}
        data = filter_data(filters[REPORT_FILTERS[report.value]])
        scope = await _scope(info, data)
        reports.check(report.value, scope, data)
        return exports.report_url(info.context.host, report.value, format.value, scope, data,
                                  info.context.language)

    @_report_field("Informations générales du compte client: the account's information pages "
                   "that agents read, by position (at most 200).")
    async def account_information_pages(
        self, info: strawberry.Info, account_number: AccountNumberArg
    ) -> list[out.AccountInformationPage]:
        account = await services.visible_account(info.context.principal, account_number)
        return [out.information_page(p) for p in await services.info_pages(account.id)]

    @_report_field("Historique de facturation: the account's billing and payment lines as the "
                   "billing plugins report them, newest first (at most 500).")
    async def billing_history(self, info: strawberry.Info,
                              account_number: AccountNumberArg) -> list[out.BillingHistoryEntry]:
        account = await services.visible_account(info.context.principal, account_number)
        entries = await services.billing_history(info.context.host, account)
        return [out.billing_entry(entry) for entry in entries]


# ---- mutations ------------------------------------------------------------------------------

def _nothing_refused(root: Any) -> bool:
    return not root.errors


_ERRORS = ("Why it was refused, each with its field and a message in your language; empty on "
           "success.")


@strawberry.input(description="Envoyer le rapport par e-mail: the report, as an attachment.")
class EmailCallCenterReportInput:
    report: CallCenterReport = strawberry.field(description="Which report to send.")
    format: ReportFileFormat = strawberry.field(
        default=ReportFileFormat.XLSX, description="The attachment's format; XLSX by default.")
    to: list[str] = strawberry.field(
        description="Recipients: bare email addresses (no display name), at most 10 by "
        "default; an employee may write only to its account's users.")
    recorder: CallRecorderFilter | None = strawberry.field(
        default=None, description="The recorder's filter, for report RECORDER.")
    messages: TakenMessageFilter | None = strawberry.field(
        default=None, description="The messages' filter, for report MESSAGES.")
    billable_calls: BillableCallFilter | None = strawberry.field(
        default=None, description="The billable calls' filter, for report BILLABLE_CALLS.")
    statistics: CallStatisticsFilter | None = strawberry.field(
        default=None, description="The statistics' filter, for report STATISTICS.")


@strawberry.type(description="What emailCallCenterReport answers: the email was queued, or why "
                 "not.")
class EmailCallCenterReportPayload:
    queued: bool = strawberry.field(
        resolver=_nothing_refused, description="True when the email was queued (a job builds "
        "the file and sends it shortly); false with errors.")
    errors: list[CallCenterError] = strawberry.field(default_factory=list, description=_ERRORS)


@strawberry.input(description="Add (no id) or change an information page of an account.")
class SaveAccountInformationPageInput:
    account_number: int = strawberry.field(
        description="Numéro de compte client: the CID/UID of the account the page belongs to.")
    id: int | None = strawberry.field(
        default=None, description="The page to change; leave out to add a page.")
    title: str = strawberry.field(description="The page's title (required; not blank).")
    body: str = strawberry.field(default="", description="The page's text (plain text); empty "
                                 "by default.")
    position: int = strawberry.field(
        default=0, description="Display order among the account's pages (lower first); 0 by "
        "default.")


@strawberry.type(description="What saveAccountInformationPage answers: the saved page, or why "
                 "not.")
class SaveAccountInformationPagePayload:
    page: out.AccountInformationPage | None = strawberry.field(
        description="The page as saved; null when refused.")
    errors: list[CallCenterError] = strawberry.field(default_factory=list, description=_ERRORS)


@strawberry.input(description="Ask the reseller's support to change the information pages.")
class RequestAccountInformationChangeInput:
    account_number: int = strawberry.field(
        description="Numéro de compte client: the CID/UID of the account whose pages should "
        "change.")
    message: str = strawberry.field(
        description="What to change, in your words (the email's text).")


@strawberry.type(description="What requestAccountInformationChange answers: the request was "
                 "emailed, or why not.")
class RequestAccountInformationChangePayload:
    sent: bool = strawberry.field(
        resolver=_nothing_refused, description="True when the email to the reseller's support "
        "was queued; false with errors.")
    errors: list[CallCenterError] = strawberry.field(default_factory=list, description=_ERRORS)


@strawberry.type
class CallCenterMutation:
    @mutation(*READERS, errors=CallCenterError,
              description="Envoyer le rapport par e-mail: email a report (XLSX or CSV) as an "
              "attachment, built by a job. Any signed-in user, within the accounts it may see; "
              "recipients are limited per email and per hour.")
    async def email_call_center_report(
        self, info: strawberry.Info,
        input: Annotated[EmailCallCenterReportInput, strawberry.argument(
            description="The report, its filter, the format and the recipients.")],
    ) -> EmailCallCenterReportPayload:
        report = input.report.value
        await exports.queue_report_email(
            info.context.principal, report, input.format.value,
            filter_data(getattr(input, REPORT_FILTERS[report])), input.to,
            info.context.language, _config(info).recipient_policy)
        return EmailCallCenterReportPayload()

    @mutation(*PAGE_EDITORS, errors=CallCenterError,
              description="Add or change an information page that agents read for an account "
              "(at most 200 an account). System admins and the reseller's staff; not API "
              "tokens.")
    async def save_account_information_page(
        self, info: strawberry.Info,
        input: Annotated[SaveAccountInformationPageInput, strawberry.argument(
            description="The account, the page (no id to add one) and its content.")],
    ) -> SaveAccountInformationPagePayload:
        page = await services.save_info_page(
            info.context.principal, input.account_number, input.id, title=input.title,
            body=input.body, position=input.position)
        return SaveAccountInformationPagePayload(page=out.information_page(page))

    @mutation(*SUBSCRIBERS, *PAGE_EDITORS, errors=CallCenterError,
              description="Ask the reseller's support, by email, to change an account's "
              "information pages (the seed's \"demandes de modifications\"); replies go to "
              "you. Subscribers' users, the reseller's staff and system admins.")
    async def request_account_information_change(
        self, info: strawberry.Info,
        input: Annotated[RequestAccountInformationChangeInput, strawberry.argument(
            description="The account and what to change.")],
    ) -> RequestAccountInformationChangePayload:
        await services.request_info_change(info.context.host, info.context.principal,
                                           input.account_number, input.message)
        return RequestAccountInformationChangePayload()
