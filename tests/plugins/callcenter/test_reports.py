"""Taken messages, billable calls and their billing cycles, information pages, billing
history, the CSV/XLSX downloads, reports sent by email, and retention."""

from __future__ import annotations

import datetime as dt
import email
import io
from email import policy
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from gateway.identity.models import Reseller
from plugins.callcenter import services
from plugins.callcenter.config import CallCenterConfig
from plugins.callcenter.models import BilledCycle, Call, TakenMessage
from tests.conftest import Gateway
from tests.gateway.test_jobs import wait_for
from tests.plugins.callcenter.factory import call, load
from tests.support.identity_factory import bearer_for, make_account, make_tenant

TODAY = dt.date.today()
YESTERDAY = TODAY - dt.timedelta(days=1)


def at(day: dt.date, hour: int) -> str:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC).isoformat()


async def billed(account: Any, day: dt.date) -> None:
    """The billing cycle holding ``day`` closed for ``account`` (issue 16: "Appels
    facturables" lists only billed calls), as the billing plugin's close records it."""
    first, last = services.billing_cycle(day)
    await BilledCycle.create(account_id=account.id, first_day=first, last_day=last)


MESSAGES = """query M($filter: TakenMessageFilter) { takenMessages(filter: $filter) {
  totalCount nodes { messageId callNumber agent body history { at event } } } }"""


async def test_taken_messages_with_their_history_and_filters(gateway: Gateway) -> None:
    tenant = await make_tenant()
    a = tenant.company
    b = await make_account(tenant.reseller)
    history = [{"at": "09:20:08", "event": "email completed to info@compagnie.ca"},
               {"at": "09:20:08", "event": "Taken"}]
    await load([
        {"message_id": "2598662", "account_number": a.id, "call_id": "13043858", "agent": "ELD",
         "taken_at": at(YESTERDAY, 14), "body": "RENDEZ-VOUS Modèle: XXXXX", "history": history},
        {"message_id": "2598663", "account_number": a.id, "call_id": "13043834", "agent": "DOM",
         "taken_at": at(YESTERDAY, 15), "body": "Rappeler M. Tremblay"},
        {"message_id": "2598664", "account_number": b.id, "call_id": "1", "agent": "DOM",
         "taken_at": at(YESTERDAY, 16), "body": "Autre compte"},
    ])
    admin = await bearer_for(tenant.admin)
    days = {"from": (YESTERDAY - dt.timedelta(days=1)).isoformat(), "to": TODAY.isoformat()}

    async def ids(**filter: Any) -> list[str]:
        response = await gateway.graphql(MESSAGES, {"filter": {**days, **filter}}, **admin)
        assert "errors" not in response, response
        return [n["messageId"] for n in response["data"]["takenMessages"]["nodes"]]

    assert await ids() == ["2598664", "2598663", "2598662"]
    assert await ids(accountNumber=a.id) == ["2598663", "2598662"]
    assert await ids(billingNumber=b.can) == ["2598664"]
    assert await ids(callNumber="13043858") == ["2598662"]
    assert await ids(agent="dom") == ["2598664", "2598663"]
    assert await ids(keyword="rendez") == ["2598662"]
    assert await ids(**{"from": (YESTERDAY - dt.timedelta(days=5)).isoformat(),
                        "to": (YESTERDAY - dt.timedelta(days=3)).isoformat()}) == []
    response = await gateway.graphql(MESSAGES, {"filter": {**days, "callNumber": "13043858"}},
                                     **await bearer_for(tenant.company_admin))
    node = response["data"]["takenMessages"]["nodes"][0]
    assert node["history"] == history and node["body"].startswith("RENDEZ-VOUS")


def test_billing_cycles_run_from_the_20th_to_the_19th() -> None:
    cycle = services.billing_cycle
    assert cycle(dt.date(2026, 3, 19)) == (dt.date(2026, 2, 20), dt.date(2026, 3, 19))
    assert cycle(dt.date(2026, 3, 20)) == (dt.date(2026, 3, 20), dt.date(2026, 4, 19))
    assert cycle(dt.date(2026, 12, 25)) == (dt.date(2026, 12, 20), dt.date(2027, 1, 19))
    assert cycle(dt.date(2026, 1, 5)) == (dt.date(2025, 12, 20), dt.date(2026, 1, 19))


BILLABLE = """query B($filter: BillableCallFilter, $first: Int, $after: String) {
  billableCalls(filter: $filter, first: $first, after: $after) {
  from to totalCalls totalCount totalStatMinutes averageStatMinutes
  pageInfo { hasNextPage endCursor }
  nodes { agent statistic statisticSeconds description } } }"""


async def test_billable_calls_and_their_totals(gateway: Gateway) -> None:
    tenant = await make_tenant()
    a = tenant.company
    await load([
        call(a, at(YESTERDAY, 14), agent="FA1", agent_seconds=90, wrap_seconds=15),
        call(a, at(YESTERDAY, 15), direction="outbound", agent="MF1", agent_seconds=15,
             wrap_seconds=None, queued_at=None, assigned_at=None, answered_at=None),
        call(a, at(YESTERDAY, 16), answered_at=None),  # not answered: not billable
        call(a, at(YESTERDAY, 17), queued_at=None, assigned_at=None, answered_at=None),
    ])
    company = await bearer_for(tenant.company_admin)
    day = YESTERDAY.isoformat()
    unbilled = await gateway.graphql(BILLABLE, {"filter": {"from": day, "to": day}}, **company)
    assert unbilled["data"]["billableCalls"]["totalCalls"] == 0  # only calls already billed
    await billed(a, YESTERDAY)
    response = await gateway.graphql(BILLABLE, {"filter": {"from": day, "to": day}}, **company)
    report = response["data"]["billableCalls"]
    assert [(c["agent"], c["statistic"]) for c in report["nodes"]] == [
        ("FA1", "01:45"), ("MF1", "00:15")]
    assert (report["totalCalls"], report["totalStatMinutes"], report["averageStatMinutes"]) == (
        2, 2.0, 1.0)
    cycle = await gateway.graphql(BILLABLE, {"filter": {"cycle": day}}, **company)
    start, end = services.billing_cycle(YESTERDAY)
    assert (cycle["data"]["billableCalls"]["from"], cycle["data"]["billableCalls"]["to"]) == (
        start.isoformat(), end.isoformat())
    assert cycle["data"]["billableCalls"]["totalCalls"] == 2
    empty = await gateway.graphql(BILLABLE, {"filter": {"from": "2020-01-01", "to": "2020-01-02"}},
                                  **company)
    assert empty["data"]["billableCalls"]["averageStatMinutes"] is None


async def test_downloads_as_csv_and_xlsx(gateway: Gateway) -> None:
    tenant = await make_tenant()
    await load([call(tenant.company, at(YESTERDAY, 14), call_id="D1", agent="ELD",
                     caller_name="=HYPERLINK(1)", duration=90)])
    company = await bearer_for(tenant.company_admin)
    query = """query D($r: CallCenterReport!, $f: ReportFileFormat!, $rec: CallRecorderFilter,
      $s: CallStatisticsFilter) { callCenterReportDownload(report: $r, format: $f,
      recorder: $rec, statistics: $s) }"""
    recorder = {"preset": "CUSTOM", "start": at(YESTERDAY, 0), "end": at(TODAY, 0)}
    response = await gateway.graphql(query, {"r": "RECORDER", "f": "CSV", "rec": recorder},
                                     **company)
    url = response["data"]["callCenterReportDownload"]
    csv_file = await gateway.client.get(url.removeprefix("http://testserver"))
    assert csv_file.status_code == 200
    lines = csv_file.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Date/Time,Account,Account name")
    assert "D1" in lines[1] and "'=HYPERLINK(1)" in lines[1] and lines[1].count(",1.5,") == 1
    assert lines[-1] == "Total Duration,1.5"
    response = await gateway.graphql(query, {"r": "STATISTICS", "f": "XLSX", "s": {
        "from": YESTERDAY.isoformat(), "to": YESTERDAY.isoformat()}}, **company)
    xlsx = await gateway.client.get(
        response["data"]["callCenterReportDownload"].removeprefix("http://testserver"))
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Statistic", "Num.", "%")
    assert rows[1][:3] == ("Total inbound calls", 1, 100)
    assert len(rows) == 17
    tampered = await gateway.client.get(url.removeprefix("http://testserver")[:-2] + "xx")
    assert tampered.status_code == 404


EMAIL = """mutation E($input: EmailCallCenterReportInput!) { emailCallCenterReport(input: $input) {
  queued errors { code field message } } }"""


async def test_a_report_is_emailed_as_an_attachment(gateway: Gateway, settings: Any) -> None:
    tenant = await make_tenant()
    await load([call(tenant.company, at(YESTERDAY, 14), agent="FA1")])
    await billed(tenant.company, YESTERDAY)
    company = await bearer_for(tenant.company_admin)
    day = YESTERDAY.isoformat()
    response = await gateway.graphql(EMAIL, {"input": {
        "report": "BILLABLE_CALLS", "format": "XLSX", "to": ["boss@compagnie.ca"],
        "billableCalls": {"from": day, "to": day}}}, **company)
    assert response["data"]["emailCallCenterReport"] == {"queued": True, "errors": []}
    outbox = Path(settings.var_dir) / "outbox"

    async def sent() -> bool:
        return outbox.exists() and any(outbox.glob("*.eml"))

    await wait_for(sent)
    message = email.message_from_bytes(next(outbox.glob("*.eml")).read_bytes(),
                                       policy=policy.default)
    assert message["To"] == "boss@compagnie.ca"
    attachment = next(message.iter_attachments())
    assert attachment.get_filename().endswith(".xlsx")
    rows = list(load_workbook(io.BytesIO(attachment.get_content())).active.iter_rows(
        values_only=True))
    assert rows[1][4:] == ("FA1", "01:10")
    bad = await gateway.graphql(EMAIL, {"input": {"report": "STATISTICS", "to": ["nope"]}},
                                **company)
    assert bad["data"]["emailCallCenterReport"]["errors"][0]["field"] == ["input", "to", "0"]


async def test_information_pages_and_change_requests(gateway: Gateway, settings: Any) -> None:
    tenant = await make_tenant()
    save = """mutation S($input: SaveAccountInformationPageInput!) {
      saveAccountInformationPage(input: $input) { page { id title } errors { code } } }"""
    pages = """query P($n: Int!) { accountInformationPages(accountNumber: $n) { title body } }"""
    admin = await bearer_for(tenant.admin)
    company = await bearer_for(tenant.company_admin)
    saved = await gateway.graphql(save, {"input": {"accountNumber": tenant.company.id,
                                                   "title": "Accueil", "body": "Répondre..."}},
                                  **admin)
    assert saved["data"]["saveAccountInformationPage"]["errors"] == []
    read = await gateway.graphql(pages, {"n": tenant.company.id}, **company)
    assert read["data"]["accountInformationPages"] == [{"title": "Accueil",
                                                        "body": "Répondre..."}]
    refused = await gateway.graphql(save, {"input": {"accountNumber": tenant.company.id,
                                                     "title": "X"}}, **company)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    request = """mutation R($input: RequestAccountInformationChangeInput!) {
      requestAccountInformationChange(input: $input) { sent errors { code } } }"""
    variables = {"input": {"accountNumber": tenant.company.id, "message": "Nouvel horaire"}}
    no_support = await gateway.graphql(request, variables, **company)
    assert no_support["data"]["requestAccountInformationChange"]["errors"][0]["code"] == \
        "EMAIL_FAILED"
    await Reseller.filter(id=tenant.reseller.id).update(
        branding={"support_email": "service@image-24.com"})
    sent = await gateway.graphql(request, variables, **company)
    assert sent["data"]["requestAccountInformationChange"] == {"sent": True, "errors": []}
    outbox = Path(settings.var_dir) / "outbox"

    async def delivered() -> bool:
        return outbox.exists() and any(outbox.glob("*.eml"))

    await wait_for(delivered)
    message = email.message_from_bytes(next(outbox.glob("*.eml")).read_bytes(),
                                       policy=policy.default)
    assert message["To"] == "service@image-24.com"
    assert "Nouvel horaire" in message.get_body(("plain",)).get_content()


async def test_retention_removes_old_calls_messages_and_recordings(gateway: Gateway,
                                                                   settings: Any) -> None:
    tenant = await make_tenant()
    other = await make_tenant("Longue mémoire")
    folder = Path(settings.var_dir) / "recordings"
    folder.mkdir()
    (folder / "old.wav").write_bytes(b"x")
    now = dt.datetime.now(dt.UTC)
    # Younger than the 60 days of plugins.toml, so the hourly job running meanwhile keeps
    # them all: only the configuration given here decides.
    await load([
        call(tenant.company, (now - dt.timedelta(days=31)).isoformat(), call_id="OLD",
             recording="old.wav"),
        call(tenant.company, (now - dt.timedelta(days=29)).isoformat(), call_id="KEPT"),
        call(other.company, (now - dt.timedelta(days=31)).isoformat(), call_id="OTHER"),
        {"message_id": "OLD-M", "account_number": tenant.company.id,
         "taken_at": (now - dt.timedelta(days=31)).isoformat(), "body": "x"},
    ])
    config = CallCenterConfig(retention_days=30,
                              reseller_retention_days={other.reseller.id: 90})
    removed = await services.purge_expired(gateway.app.state.host, config, now=now)
    assert removed == (1, 1)
    assert sorted(await Call.all().values_list("call_id", flat=True)) == ["KEPT", "OTHER"]
    assert not await TakenMessage.exists()
    assert not (folder / "old.wav").exists()


async def test_an_account_purged_for_good_takes_its_calls_and_recordings(
        gateway: Gateway, settings: Any) -> None:
    tenant = await make_tenant()
    other = await make_account(tenant.reseller)
    folder = Path(settings.var_dir) / "recordings"
    folder.mkdir()
    (folder / "gone.wav").write_bytes(b"x")
    recent = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat()
    await load([call(tenant.company, recent, call_id="GONE", recording="gone.wav"),
                call(other, recent, call_id="STAYS")])
    host = gateway.app.state.host
    await host.call_async("gateway_account_purged", account_id=tenant.company.id)
    assert await Call.all().values_list("call_id", flat=True) == ["STAYS"]
    assert not (folder / "gone.wav").exists()


async def test_filters_no_call_can_match_are_clear_errors_not_crashes(gateway: Gateway) -> None:
    tenant = await make_tenant()
    admin = await bearer_for(tenant.admin)
    cases = [
        ("{ takenMessages(filter: {agent: \"12345678901234567\"}) { totalCount } }",
         "BAD_USER_INPUT", "agent"),
        ("{ callRecorder(filter: {station: \"" + "9" * 17 + "\"}) { totalCount } }",
         "BAD_USER_INPUT", "station"),
        ("{ callStatisticsSeries(filter: {to: \"0001-01-01\"}, interval: HOUR) { start } }",
         "BAD_USER_INPUT", "to"),
        ("{ billableCalls(filter: {cycle: \"9999-12-31\"}) { totalCalls } }",
         "BAD_USER_INPUT", "cycle"),
        # A billing number longer than any CAN is simply no account of the caller's.
        ("{ callRecorder(filter: {billingNumber: \"" + "1" * 21 + "\"}) { totalCount } }",
         "NOT_FOUND", None),
    ]
    for query, code, field in cases:
        response = await gateway.graphql(query, **admin)
        [error] = response["errors"]
        assert error["extensions"]["code"] == code, (query, error)
        assert error["extensions"].get("field") == field, (query, error)


async def test_emailing_a_report_is_not_an_open_relay(gateway: Gateway) -> None:
    """Issue 15, item 4: at most 10 recipients; display names and malformed addresses are
    refused one by one; an employee writes only to its own account's users; rate limits."""
    tenant = await make_tenant()
    company = await bearer_for(tenant.company_admin)
    employee = await bearer_for(tenant.employee)

    async def errors(headers: dict[str, str], to: Any) -> list[tuple[str, list[str]]]:
        response = await gateway.graphql(EMAIL, {"input": {"report": "STATISTICS", "to": to}},
                                         **headers)
        assert "errors" not in response, response
        payload = response["data"]["emailCallCenterReport"]
        return [(e["code"], e["field"]) for e in payload["errors"]]

    many = [f"person{i}@outside.example" for i in range(11)]
    assert await errors(company, many) == [("TOO_MANY", ["input", "to"])]
    assert await errors(company, ["ok@outside.example", '"Boss" <boss@outside.example>',
                                  "a@b.example, c@d.example", "x@y.example\r\nBcc: z@z.example",
                                  "Boss <boss@outside.example>"]) == [
        ("INVALID", ["input", "to", "1"]), ("INVALID", ["input", "to", "2"]),
        ("INVALID", ["input", "to", "3"]), ("INVALID", ["input", "to", "4"])]
    assert await errors(company, []) == [("INVALID", ["input", "to"])]
    # An employee: its account's users only.
    assert await errors(employee, ["someone@outside.example", tenant.company_admin.email]) == [
        ("RECIPIENT_NOT_ALLOWED", ["input", "to", "0"])]
    assert await errors(employee, [tenant.company_admin.email]) == []
    assert await errors(company, ["someone@outside.example"]) == []
    # Rate limit: 100 recipients an hour for a user (10 a request here).
    for _ in range(9):
        assert await errors(company, many[:10]) == []
    assert await errors(company, many[:10]) == [("RATE_LIMITED", ["input", "to"])]


async def test_billable_calls_come_a_page_at_a_time_with_the_totals_of_all(
        gateway: Gateway) -> None:
    """Issue 15, item 2: billableCalls is a connection; `first` is capped (max_page_size), the
    totals cover every billable call of the dates."""
    tenant = await make_tenant()
    await load([call(tenant.company, at(YESTERDAY, 13 + n), agent=f"A{n}", agent_seconds=60,
                     wrap_seconds=0) for n in range(1, 6)])
    await billed(tenant.company, YESTERDAY)
    company = await bearer_for(tenant.company_admin)
    day = YESTERDAY.isoformat()
    first = await gateway.graphql(BILLABLE, {"filter": {"from": day, "to": day}, "first": 2},
                                  **company)
    page = first["data"]["billableCalls"]
    assert [n["agent"] for n in page["nodes"]] == ["A1", "A2"]
    assert (page["totalCalls"], page["totalCount"], page["totalStatMinutes"]) == (5, 5, 5.0)
    assert page["pageInfo"]["hasNextPage"] is True
    second = await gateway.graphql(BILLABLE, {"filter": {"from": day, "to": day}, "first": 10,
                                              "after": page["pageInfo"]["endCursor"]}, **company)
    assert [n["agent"] for n in second["data"]["billableCalls"]["nodes"]] == ["A3", "A4", "A5"]
    too_many = await gateway.graphql(BILLABLE, {"filter": {"from": day, "to": day},
                                                "first": 100_000}, **company)
    assert too_many["data"] is None or too_many["data"]["billableCalls"] is None
    assert too_many["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_list_filters_are_capped_not_sent_as_thousands_of_sql_variables(
        gateway: Gateway) -> None:
    """Issue 15, item 2: group filters longer than 100 values, weekdays beyond 7 and series of
    more than 1000 buckets are BAD_USER_INPUT naming the field."""
    tenant = await make_tenant()
    company = await bearer_for(tenant.company_admin)
    day = YESTERDAY.isoformat()
    query = """query S($filter: CallStatisticsFilter!) { callStatistics(filter: $filter) {
      totalInbound { value } } }"""
    for field, values in (("includeAccountGroups", list(range(40_000))),
                          ("excludeDistributionGroups", list(range(101))),
                          ("weekdays", ["MONDAY"] * 8)):
        response = await gateway.graphql(query, {"filter": {"from": day, "to": day,
                                                            field: values}}, **company)
        error = response["errors"][0]
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}, error
        assert "too many SQL variables" not in error["message"]
    fine = await gateway.graphql(query, {"filter": {"from": day, "to": day,
                                                    "includeAccountGroups": list(range(100))}},
                                 **company)
    assert "errors" not in fine, fine
    series = """query T($filter: CallStatisticsFilter!) { callStatisticsSeries(filter: $filter,
      interval: HOUR) { start } }"""
    long = await gateway.graphql(series, {"filter": {"from": "2020-01-01", "to": day}},
                                 **company)
    assert long["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "interval"}


async def test_a_report_url_is_built_once_served_from_cache_and_rate_limited(
        gateway: Gateway, settings: Any) -> None:
    """Issue 15, item 3: the file of a signed URL is built once (in a worker thread) and kept
    for the URL's lifetime: replays are served from the cache, not rebuilt (a call added since
    does not appear); past downloads_per_url downloads the route answers 429."""
    tenant = await make_tenant()
    await load([call(tenant.company, at(YESTERDAY, 14), call_id="K1")])
    company = await bearer_for(tenant.company_admin)
    query = """query D($rec: CallRecorderFilter) { callCenterReportDownload(report: RECORDER,
      format: XLSX, recorder: $rec) }"""
    recorder = {"preset": "CUSTOM", "start": at(YESTERDAY, 0), "end": at(TODAY, 23)}
    url = (await gateway.graphql(query, {"rec": recorder}, **company))["data"][
        "callCenterReportDownload"].removeprefix("http://testserver")
    first = await gateway.client.get(url)
    assert first.status_code == 200
    assert first.headers["content-disposition"].startswith("attachment;")
    # Item 12: a file from user data is never sniffed nor run as a page.
    assert first.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in first.headers["content-security-policy"]
    await load([call(tenant.company, at(YESTERDAY, 15), call_id="K2")])
    again = await gateway.client.get(url)
    assert again.content == first.content  # the cached file, not a second build
    cached = list((Path(settings.var_dir) / "callcenter-reports").glob("*.file"))
    assert len(cached) == 1
    statuses = [(await gateway.client.get(url)).status_code for _ in range(20)]
    assert statuses.count(429) == 2 and statuses[-1] == 429  # 20 downloads per URL
    limited = await gateway.client.get(url)
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0


async def test_a_caller_name_hiding_a_formula_behind_blanks_stays_text(gateway: Gateway) -> None:
    """Issue 15, item 13: leading spaces and line breaks do not hide a formula (CSV and XLSX)."""
    tenant = await make_tenant()
    await load([call(tenant.company, at(YESTERDAY, 14), caller_name=" =HYPERLINK(1)"),
                call(tenant.company, at(YESTERDAY, 15), caller_name="\n@SUM(1)")])
    company = await bearer_for(tenant.company_admin)
    query = """query D($f: ReportFileFormat!, $rec: CallRecorderFilter) {
      callCenterReportDownload(report: RECORDER, format: $f, recorder: $rec) }"""
    recorder = {"preset": "CUSTOM", "start": at(YESTERDAY, 0), "end": at(TODAY, 0)}
    response = await gateway.graphql(query, {"f": "XLSX", "rec": recorder}, **company)
    xlsx = await gateway.client.get(
        response["data"]["callCenterReportDownload"].removeprefix("http://testserver"))
    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert sorted(row[4] for row in rows[1:3]) == ["'\n@SUM(1)", "' =HYPERLINK(1)"]
