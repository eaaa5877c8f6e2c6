"""The statistics report: the sixteen definitions on a data set worked out by hand (with the
6 s, 10 s and 30 s boundaries and empty denominators), every filter, time zones across
midnight, the time series, and who may read what."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from gateway.identity.models import Account, User
from tests.conftest import Gateway
from tests.plugins.callcenter.factory import call, load
from tests.support.identity_factory import bearer_for, make_account, make_tenant

METRICS = ("totalInbound automated agentCalls abandoned assigned unanswered answered "
           "assignedAnswered averageWorkTime onHold averageHoldTime averageAnswerWait "
           "answeredWithin30s transfers averageTransferTime busy").split()
QUERY = ("query S($filter: CallStatisticsFilter!) { callStatistics(filter: $filter) { "
         + " ".join(f"{m} {{ value percent definition }}" for m in METRICS) + " } }")
# A recent Tuesday (the retention job removes calls older than 60 days while tests run).
_TUESDAY = dt.date.today() - dt.timedelta(days=7 + (dt.date.today().weekday() - 1) % 7)
DAY = _TUESDAY.isoformat()
WED = (_TUESDAY + dt.timedelta(days=1)).isoformat()
MONDAY = (_TUESDAY - dt.timedelta(days=1)).isoformat()
TORONTO = ZoneInfo("America/Toronto")


def local(day: str, time: str, zone: ZoneInfo = TORONTO) -> str:
    """An ISO 8601 moment with the offset ``zone`` has then (DST included)."""
    moment = dt.datetime.combine(dt.date.fromisoformat(day), dt.time.fromisoformat(time),
                                 tzinfo=zone)
    return moment.isoformat()


def utc(day: str, time: str) -> str:
    return dt.datetime.fromisoformat(local(day, time)).astimezone(dt.UTC).isoformat()


async def statistics(gateway: Gateway, headers: dict[str, str], **filter: Any) -> dict[str, Any]:
    response = await gateway.graphql(QUERY, {"filter": filter}, **headers)
    assert "errors" not in response, response["errors"]
    return response["data"]["callStatistics"]


def figures(result: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    def rounded(x: Any) -> Any:
        return None if x is None else round(x, 2)

    return {name: (rounded(m["value"]), rounded(m["percent"])) for name, m in result.items()}


async def test_the_sixteen_definitions_on_a_hand_worked_data_set(gateway: Gateway) -> None:
    tenant = await make_tenant()
    a = tenant.company
    at = local(DAY, "14:00")
    await load([
        call(a, at, duration=6, queued_at=None),  # 6 s: not an inbound call of the report
        call(a, at, duration=7, queued_at=None, assigned_at=None, answered_at=None),  # automated
        call(a, at, duration=40, queued_at=30.5, assigned_at=None, answered_at=None),  # 9.5 s
        call(a, at, duration=40, queued_at=30, assigned_at=None, answered_at=None),  # abandoned
        call(a, at, queued_at=10, assigned_at=15, answered_at=None, agent_seconds=None,
             wrap_seconds=None),  # unanswered
        call(a, at, queued_at=10, assigned_at=12, answered_at=40, agent_seconds=50,
             wrap_seconds=10, holds=[10, 5]),  # answered in 30 s; a 10 s hold is not "on hold"
        call(a, at, duration=200, queued_at=10, assigned_at=12, answered_at=41,
             agent_seconds=100, wrap_seconds=20, holds=[11, 4], transfers=[60, 120]),
        call(a, at, direction="outbound", duration=50, queued_at=None, assigned_at=None,
             answered_at=None, agent_seconds=30, wrap_seconds=0),
        call(a, at, duration=3, busy=True, queued_at=None, assigned_at=None, answered_at=None),
    ])
    headers = await bearer_for(tenant.company_admin)
    result = await statistics(gateway, headers, **{"from": DAY, "to": DAY})
    # As a person reads them (the seed's report: "8.2%"): percentages to a tenth.
    assert figures(result) == {
        "totalInbound": (6, 100.0),
        "automated": (2, 33.3),
        "agentCalls": (4, 66.7),
        "abandoned": (1, 25.0),  # of agent calls
        "assigned": (3, 50.0),
        "unanswered": (1, 33.3),  # of assigned calls
        "answered": (2, 33.3),
        "assignedAnswered": (2, 66.7),  # answered / assigned
        "averageWorkTime": (105.0, None),  # (60 + 120 + outbound 30) / 2 answered
        "onHold": (1, 16.7),
        "averageHoldTime": (15.0, None),
        "averageAnswerWait": (30.5, None),
        "answeredWithin30s": (1, 50.0),
        "transfers": (1, None),
        "averageTransferTime": (1.5, None),  # (60 + 120) / 2 transfers, in minutes
        "busy": (1, None),
    }
    assert result["totalInbound"]["definition"].startswith("Inbound calls of the account")
    # Units and rounding are part of the definitions, in both languages.
    assert result["averageAnswerWait"]["definition"].endswith(
        "Value: seconds, rounded to a tenth of a second.")
    assert result["automated"]["definition"].endswith("percent: 0-100, rounded to a tenth.")
    await User.filter(id=tenant.company_admin.id).update(language="fr")
    french = await statistics(gateway, await bearer_for(await User.get(id=tenant.company_admin.id)),
                              **{"from": DAY, "to": DAY})
    assert french["totalInbound"]["definition"].startswith("Appels entrants du compte client")
    assert french["automated"]["value"] == 2
    assert french["averageTransferTime"]["definition"].endswith(
        "Valeur : en minutes, arrondie au dixième de minute.")


async def test_empty_denominators_are_null_not_zero(gateway: Gateway) -> None:
    tenant = await make_tenant()
    headers = await bearer_for(tenant.company_admin)
    nothing = figures(await statistics(gateway, headers, **{"from": DAY, "to": DAY}))
    assert nothing["totalInbound"] == (0, None)
    assert nothing["averageWorkTime"] == (None, None)
    assert nothing["averageTransferTime"] == (None, None)
    # One automated call: agent and answered denominators are empty, total inbound is not.
    await load([call(tenant.company, local(DAY, "09:00"), queued_at=None)])
    one = figures(await statistics(gateway, headers, **{"from": DAY, "to": DAY}))
    assert one["automated"] == (1, 100.0)
    assert one["abandoned"] == (0, None)
    assert one["unanswered"] == (0, None)
    assert one["assignedAnswered"] == (0, None)
    assert one["answeredWithin30s"] == (0, None)
    assert one["averageAnswerWait"] == (None, None)
    assert one["averageHoldTime"] == (None, None)


@pytest.fixture
async def filtered(gateway: Gateway) -> dict[str, Any]:
    """Four answered calls: three of account A (one late on Wednesday night, local time, that
    is Thursday in UTC) and one of account B, same reseller."""
    tenant = await make_tenant()
    a = tenant.company
    b = await make_account(tenant.reseller, name="Compte B")
    await load([
        call(a, local(DAY, "09:00"), agent="AB", account_group=1, distribution_group=0,
             holds=[20], queued_at=5, answered_at=50),
        call(a, local(DAY, "13:00"), agent="CD", account_group=2, distribution_group=1,
             queued_at=5, answered_at=10),
        call(a, utc(WED, "23:30"), agent="AB", distribution_group=2, holds=[5]),
        call(b, local(DAY, "10:00"), agent="EF", account_group=3),
    ])
    return {"tenant": tenant, "a": a, "b": b,
            "admin": await bearer_for(tenant.admin),
            "company": await bearer_for(tenant.company_admin)}


async def total(gateway: Gateway, headers: dict[str, str], **filter: Any) -> Any:
    return (await statistics(gateway, headers, **filter))["totalInbound"]["value"]


async def test_every_filter(gateway: Gateway, filtered: dict[str, Any]) -> None:
    admin, a = filtered["admin"], filtered["a"]
    days = {"from": DAY, "to": WED, "accountNumber": a.id}
    assert await total(gateway, admin) == 0  # today by default
    assert await total(gateway, admin, **days) == 3
    assert await total(gateway, admin, **{**days, "accountNumber": None,
                                          "billingNumber": a.can}) == 3
    assert await total(gateway, admin, **{"from": DAY, "to": WED}) == 4  # reseller-wide
    assert await total(gateway, admin, **{**days, "to": DAY}) == 2
    # 23:30 on Wednesday in Toronto, though Thursday in UTC.
    assert await total(gateway, admin, **{**days, "from": WED}) == 1
    assert await total(gateway, admin, **days, after="12:00") == 2
    assert await total(gateway, admin, **days, before="12:59") == 1
    assert await total(gateway, admin, **days, after="13:00", before="13:00") == 1  # inclusive
    assert await total(gateway, admin, **days, after="23:30") == 1
    assert await total(gateway, admin, **days, weekdays=["WEDNESDAY"]) == 1
    assert await total(gateway, admin, **days, weekdays=["TUESDAY", "WEDNESDAY"]) == 3
    assert await total(gateway, admin, **days, agent="ab") == 2
    assert await total(gateway, admin, **days, holdLongerThan=10) == 1
    assert await total(gateway, admin, **days, holdLongerThan=20) == 0  # strictly longer
    assert await total(gateway, admin, **days, answerDelayLongerThan=30) == 1
    assert await total(gateway, admin, **days, answerDelayLongerThan=45) == 0
    assert await total(gateway, admin, **days, includeAccountGroups=[1, 2]) == 2
    assert await total(gateway, admin, **days, excludeAccountGroups=[1]) == 2  # no group kept
    assert await total(gateway, admin, **days, includeDistributionGroups=[1, 2]) == 2
    assert await total(gateway, admin, **days, excludeDistributionGroups=[0]) == 2
    assert await total(gateway, admin, **days, includeAccountGroups=[1, 2],
                       excludeAccountGroups=[2], agent="AB") == 1


async def test_a_subscriber_reads_only_its_own_account(gateway: Gateway,
                                                        filtered: dict[str, Any]) -> None:
    company, b = filtered["company"], filtered["b"]
    assert await total(gateway, company, **{"from": DAY, "to": WED}) == 3
    response = await gateway.graphql(QUERY, {"filter": {"from": DAY, "accountNumber": b.id}},
                                     **company)
    assert response["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    other = await make_tenant("Autre revendeur")
    response = await gateway.graphql(QUERY, {"filter": {"from": DAY, "accountNumber": b.id}},
                                     **await bearer_for(other.admin))
    assert response["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert await total(gateway, await bearer_for(other.admin),
                       **{"from": DAY, "to": WED}) == 0


async def test_a_bad_time_of_day_is_refused(gateway: Gateway, filtered: dict[str, Any]) -> None:
    response = await gateway.graphql(QUERY, {"filter": {"after": "25:00"}}, **filtered["admin"])
    assert response["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    response = await gateway.graphql(QUERY, {"filter": {"from": WED, "to": DAY}},
                                     **filtered["admin"])
    assert response["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_the_time_series_by_hour_day_and_week(gateway: Gateway,
                                                   filtered: dict[str, Any]) -> None:
    query = """query S($f: CallStatisticsFilter!, $i: StatisticsInterval!) {
      callStatisticsSeries(filter: $f, interval: $i) { start statistics {
        totalInbound { value } answered { value percent } } } }"""
    f = {"from": DAY, "to": WED, "accountNumber": filtered["a"].id}

    async def series(interval: str) -> list[tuple[str, float]]:
        response = await gateway.graphql(query, {"f": f, "i": interval}, **filtered["admin"])
        assert "errors" not in response, response
        return [(b["start"], b["statistics"]["totalInbound"]["value"])
                for b in response["data"]["callStatisticsSeries"]]

    hours = await series("HOUR")
    assert len(hours) == 48  # every hour of both days, empty ones with zeros
    assert [h for h in hours if h[1]] == [(f"{DAY}T09:00", 1), (f"{DAY}T13:00", 1),
                                          (f"{WED}T23:00", 1)]
    assert await series("DAY") == [(f"{DAY}T00:00", 2), (f"{WED}T00:00", 1)]
    assert await series("WEEK") == [(f"{MONDAY}T00:00", 3)]


async def test_local_days_follow_each_accounts_time_zone(gateway: Gateway) -> None:
    tenant = await make_tenant()
    await Account.filter(id=tenant.company.id).update(time_zone="Asia/Tokyo")
    # 20:00 UTC on Tuesday is 05:00 on Wednesday in Tokyo.
    await load([call(tenant.company, f"{DAY}T20:00:00+00:00")])
    headers = await bearer_for(tenant.company_admin)
    assert await total(gateway, headers, **{"from": DAY, "to": DAY}) == 0
    assert await total(gateway, headers, **{"from": WED, "to": WED},
                       after="05:00", before="05:00", weekdays=["WEDNESDAY"]) == 1


async def test_transfers_count_only_among_the_total_inbound_calls(gateway: Gateway) -> None:
    """Issue 15, item 21: items 14 and 15 count the transferred calls of the total inbound
    calls (inbound, longer than 6 s); an outbound call or a 6 s call with a transfer does not
    count, nor do its transfers' durations."""
    tenant = await make_tenant()
    a = tenant.company
    at = local(DAY, "10:00")
    await load([
        call(a, at, transfers=[60]),  # counts
        call(a, at, direction="outbound", queued_at=None, assigned_at=None, answered_at=None,
             transfers=[600, 600]),  # outbound: not counted
        call(a, at, duration=6, queued_at=None, assigned_at=None, answered_at=None,
             transfers=[300]),  # 6 s: not an inbound call of the report
    ])
    result = figures(await statistics(gateway, await bearer_for(tenant.company_admin),
                                      **{"from": DAY, "to": DAY}))
    assert result["totalInbound"] == (1, 100.0)
    assert result["transfers"] == (1, None)
    assert result["averageTransferTime"] == (1.0, None)
    english = await statistics(gateway, await bearer_for(tenant.company_admin),
                               **{"from": DAY, "to": DAY})
    assert "total inbound calls" in english["transfers"]["definition"]


def test_figures_are_rounded_half_up_as_a_person_reads_them() -> None:
    from plugins.callcenter.statistics import metrics, rounded

    assert rounded(31.05, 1) == 31.1 and rounded(110.5, 0) == 111.0 and rounded(None, 1) is None
    figures = metrics({"total_inbound": 3, "automated": 1, "answer_wait_seconds": 100,
                       "transfer_seconds": 100, "transfer_count": 3})
    assert (figures["automated"].value, figures["automated"].percent) == (1.0, 33.3)
    assert figures["average_transfer_time"].value == 0.6  # 100 s / 3 = 0.5555 min
