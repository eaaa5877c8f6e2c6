"""Issue 23, series a dashboard can use as they are: months, every bucket present, grouped by
account (staff) or agent, the previous period beside each bucket, local days and hours across
DST, and one SQL aggregation per request whatever the number of buckets."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from gateway.identity.models import Account
from gateway.settings import Settings
from plugins.callcenter import series
from tests.conftest import Gateway, QueryLog, start_gateway
from tests.plugins.callcenter.factory import call, load
from tests.support.identity_factory import bearer_for, make_account, make_tenant

TORONTO = ZoneInfo("America/Toronto")
SERIES = """query S($f: CallStatisticsFilter!, $i: StatisticsInterval!, $g: StatisticsGroupBy,
  $p: Boolean! = false) {
  callStatisticsSeries(filter: $f, interval: $i, groupBy: $g, comparePrevious: $p) {
    start startsAt accountNumber agent previousStart
    statistics { totalInbound { value } answered { value } }
    previous { totalInbound { value } } } }"""


@pytest.fixture
async def quiet(migrated: str, settings: Settings) -> AsyncIterator[Gateway]:
    """The real app without its job runtime: the hourly retention job would remove the calls
    of past DST changes (older than 60 days) while the test reads them."""
    async for running in start_gateway(settings, run_jobs=False):
        yield running


def at(day: str, time: str, zone: ZoneInfo = TORONTO, fold: int = 0) -> str:
    moment = dt.datetime.combine(dt.date.fromisoformat(day), dt.time.fromisoformat(time),
                                 tzinfo=zone).replace(fold=fold)
    return moment.isoformat()


async def ask(gateway: Gateway, headers: dict[str, str], interval: str,
              **variables: Any) -> list[dict[str, Any]]:
    response = await gateway.graphql(SERIES, {"i": interval, **variables}, **headers)
    assert "errors" not in response, response["errors"]
    buckets: list[dict[str, Any]] = response["data"]["callStatisticsSeries"]
    return buckets


def on_calls(statements: list[str]) -> list[str]:
    return [s for s in statements if "callcenter_call " in s + " "]


def totals(buckets: list[dict[str, Any]]) -> list[tuple[str, float]]:
    return [(b["start"], b["statistics"]["totalInbound"]["value"]) for b in buckets]


async def toronto_tenant() -> Any:
    tenant = await make_tenant()
    await Account.filter(id=tenant.company.id).update(time_zone="America/Toronto")
    tenant.company = await Account.get(id=tenant.company.id)
    return tenant


def test_the_buckets_of_a_range_across_dst_changes() -> None:
    # Fall back (2026-11-01): 25 local hours, 01:00 twice with its own offset.
    fall = series.frame("HOUR", dt.date(2026, 11, 1), dt.date(2026, 11, 1), TORONTO)
    assert len(fall.keys) == 25
    ones = [s.isoformat() for s in fall.starts if s.hour == 1]
    assert ones == ["2026-11-01T01:00:00-04:00", "2026-11-01T01:00:00-05:00"]
    # Spring forward (2026-03-08): 23 hours, no 02:00.
    spring = series.frame("HOUR", dt.date(2026, 3, 8), dt.date(2026, 3, 8), TORONTO)
    assert [s.hour for s in spring.starts] == [0, 1, *range(3, 24)]
    months = series.frame("MONTH", dt.date(2026, 1, 15), dt.date(2026, 3, 2), TORONTO)
    assert [s.date().isoformat() for s in months.starts] == [
        "2026-01-01", "2026-02-01", "2026-03-01"]
    assert series.previous_range("MONTH", dt.date(2026, 1, 15), dt.date(2026, 3, 31), 3)[:2] == (
        dt.date(2025, 10, 15), dt.date(2025, 12, 31))
    assert series.previous_range("DAY", dt.date(2026, 3, 1), dt.date(2026, 3, 7), 7)[:2] == (
        dt.date(2026, 2, 22), dt.date(2026, 2, 28))
    assert series.previous_range("WEEK", dt.date(2026, 3, 4), dt.date(2026, 3, 10), 2)[:2] == (
        dt.date(2026, 2, 18), dt.date(2026, 2, 24))


async def test_hours_and_days_across_the_fall_back_change(quiet: Gateway) -> None:
    tenant = await toronto_tenant()
    a = tenant.company
    await load([
        call(a, at("2026-11-01", "01:30", fold=0)),  # EDT, -04:00
        call(a, at("2026-11-01", "01:30", fold=1)),  # EST, -05:00, an hour later
        call(a, at("2026-11-01", "01:45", fold=1)),
        call(a, at("2026-11-01", "23:30")),
        call(a, at("2026-10-31", "23:59")),
    ])
    headers = await bearer_for(tenant.company_admin)
    f = {"from": "2026-11-01", "to": "2026-11-01"}
    hours = await ask(quiet, headers, "HOUR", f=f)
    assert len(hours) == 25
    ones = [(b["startsAt"], b["statistics"]["totalInbound"]["value"]) for b in hours
            if b["start"] == "2026-11-01T01:00"]
    assert ones == [("2026-11-01T01:00:00-04:00", 1), ("2026-11-01T01:00:00-05:00", 2)]
    assert hours[-1]["start"] == "2026-11-01T23:00"
    assert hours[-1]["statistics"]["totalInbound"]["value"] == 1
    # A local day of 25 hours: the calls of that local day, not of 24 UTC hours.
    days = await ask(quiet, headers, "DAY", f={"from": "2026-10-31", "to": "2026-11-01"})
    assert totals(days) == [("2026-10-31T00:00", 1), ("2026-11-01T00:00", 4)]
    assert days[1]["startsAt"] == "2026-11-01T00:00:00-04:00"


async def test_months_with_every_bucket_and_the_previous_period(
        quiet: Gateway, count_queries: QueryLog) -> None:
    tenant = await toronto_tenant()
    a = tenant.company
    await load([
        call(a, at("2026-01-20", "10:00")),
        call(a, at("2026-03-02", "10:00")),
        call(a, at("2026-03-02", "11:00"), agent="XY"),
        call(a, at("2025-10-05", "10:00")),  # the previous period's first month
        call(a, at("2025-12-31", "10:00")),
        call(a, at("2025-09-30", "10:00")),  # before both periods
    ])
    headers = await bearer_for(tenant.company_admin)
    f = {"from": "2026-01-01", "to": "2026-03-31"}
    with count_queries() as statements:
        months = await ask(quiet, headers, "MONTH", f=f, p=True)
    assert len([s for s in statements if "callcenter_call " in s + " "]) == 1
    assert totals(months) == [("2026-01-01T00:00", 1), ("2026-02-01T00:00", 0),
                              ("2026-03-01T00:00", 2)]
    assert [(b["previousStart"], b["previous"]["totalInbound"]["value"]) for b in months] == [
        ("2025-10-01T00:00", 1), ("2025-11-01T00:00", 0), ("2025-12-01T00:00", 1)]
    # Days: 31 buckets present, zeros included; the same length beside them.
    days = await ask(quiet, headers, "DAY", f={"from": "2026-03-01", "to": "2026-03-31"},
                     p=True)
    assert len(days) == 31 and sum(b["statistics"]["totalInbound"]["value"] for b in days) == 2
    assert days[0]["previousStart"] == "2026-01-29T00:00"
    assert sum(b["previous"]["totalInbound"]["value"] for b in days) == 0
    # Without comparePrevious there is no previous bucket.
    assert (await ask(quiet, headers, "DAY", f=f))[0]["previous"] is None


async def test_one_statement_whatever_the_number_of_buckets(
        quiet: Gateway, count_queries: QueryLog) -> None:
    tenant = await toronto_tenant()
    await load([call(tenant.company, at("2026-11-20", f"{h:02d}:10")) for h in range(24)])
    headers = await bearer_for(tenant.company_admin)
    counts = []
    for days in (1, 40):
        start = dt.date(2026, 11, 20) - dt.timedelta(days=days - 1)
        f = {"from": start.isoformat(), "to": "2026-11-20"}
        with count_queries() as statements:
            hours = await ask(quiet, headers, "HOUR", f=f, p=True)
        # 40 days back from 2026-11-20 include the fall-back change: one hour more.
        assert len(hours) == days * 24 + (days > 20)
        assert sum(b["statistics"]["totalInbound"]["value"] for b in hours) == 24
        counts.append([s for s in statements if "callcenter_call " in s + " "])
    assert [len(c) for c in counts] == [1, 1]
    assert "GROUP BY" in counts[1][0]
    # Only the sums the asked metrics need (totalInbound, answered, previous totalInbound):
    # the answered calls summed as such, not as assigned minus unanswered.
    assert " AS answered" in counts[1][0]
    assert " AS unanswered " not in counts[1][0] and " AS busy" not in counts[1][0]
    # Through a fragment every sum is computed, and the figures are the same.
    fragment = """query F($f: CallStatisticsFilter!) { callStatisticsSeries(filter: $f,
      interval: DAY) { statistics { ...Figures } } }
      fragment Figures on CallStatistics { totalInbound { value } busy { value } }"""
    f = {"from": "2026-11-20", "to": "2026-11-20"}
    with count_queries() as statements:
        response = await quiet.graphql(fragment, {"f": f}, **headers)
    assert response["data"]["callStatisticsSeries"] == [
        {"statistics": {"totalInbound": {"value": 24}, "busy": {"value": 0}}}]
    assert " AS busy" in on_calls(statements)[0]


async def test_grouped_by_account_for_staff_and_by_agent(quiet: Gateway) -> None:
    tenant = await toronto_tenant()
    a = tenant.company
    b = await make_account(tenant.reseller, name="Compte B")
    other = await make_tenant()  # another reseller's calls never appear
    await load([
        call(a, at("2026-11-20", "10:00"), agent="AB"),
        call(a, at("2026-11-21", "10:00"), agent="CD"),
        call(b, at("2026-11-21", "10:00"), agent="AB"),
        call(other.company, at("2026-11-21", "10:00"), agent="AB"),
    ])
    f = {"from": "2026-11-20", "to": "2026-11-21"}
    staff = await bearer_for(tenant.admin)
    # All of the reseller's accounts at once.
    assert [v for _, v in totals(await ask(quiet, staff, "DAY", f=f))] == [1, 2]
    grouped = await ask(quiet, staff, "DAY", f=f, g="ACCOUNT")
    assert [(x["accountNumber"], x["agent"], x["statistics"]["totalInbound"]["value"])
            for x in grouped] == [(a.id, None, 1), (a.id, None, 1), (b.id, None, 0),
                                  (b.id, None, 1)]
    agents = await ask(quiet, staff, "DAY", f=f, g="AGENT")
    assert [(x["agent"], x["statistics"]["totalInbound"]["value"]) for x in agents] == [
        ("AB", 1), ("AB", 1), ("CD", 0), ("CD", 1)]
    # A subscriber may group by agent (its own calls) but not by account.
    company = await bearer_for(tenant.company_admin)
    mine = await ask(quiet, company, "DAY", f=f, g="AGENT")
    assert [(x["agent"], x["statistics"]["totalInbound"]["value"]) for x in mine] == [
        ("AB", 1), ("AB", 0), ("CD", 0), ("CD", 1)]
    refused = await quiet.graphql(SERIES, {"i": "DAY", "f": f, "g": "ACCOUNT"}, **company)
    assert refused["data"] is None
    assert refused["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "groupBy"}
    assert "reseller staff" in refused["errors"][0]["message"]
    # Another tenant's account number is not found.
    hidden = await quiet.graphql(SERIES, {"i": "DAY", "f": {**f, "accountNumber":
                                                             other.company.id}}, **staff)
    assert hidden["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_grouped_output_is_capped(quiet: Gateway) -> None:
    tenant = await toronto_tenant()
    await load([call(tenant.company, at("2026-11-20", "10:00"), agent=f"A{n:02d}")
                for n in range(series.MAX_SERIES_GROUPS + 1)])
    staff = await bearer_for(tenant.admin)
    f = {"from": "2026-11-20", "to": "2026-11-20"}
    response = await quiet.graphql(SERIES, {"i": "DAY", "f": f, "g": "AGENT"}, **staff)
    assert response["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "groupBy"}
    assert "At most 50" in response["errors"][0]["message"]
    # 1,000 buckets at most, grouped or not (MONTH covers long ranges).
    long = {"from": "2020-01-01", "to": "2026-11-20"}
    response = await quiet.graphql(SERIES, {"i": "DAY", "f": long}, **staff)
    assert response["errors"][0]["extensions"]["field"] == "interval"
    assert len(await ask(quiet, staff, "MONTH", f=long)) == 6 * 12 + 11
