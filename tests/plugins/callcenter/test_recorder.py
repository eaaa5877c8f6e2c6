"""The call recorder: presets, every search criterion, totals, and recordings behind signed,
expiring URLs that answer HTTP Range requests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from plugins.callcenter import exports
from tests.conftest import Gateway
from tests.plugins.callcenter.factory import call, load
from tests.support.identity_factory import bearer_for, make_account, make_tenant

QUERY = """query R($filter: CallRecorderFilter, $first: Int, $after: String) {
  callRecorder(filter: $filter, first: $first, after: $after) {
    totalCount totalDurationMinutes pageInfo { hasNextPage endCursor }
    nodes { callNumber accountNumber accountName agent station durationMinutes callerId
            quality recordingUrl startedAt } } }"""


def ago(**delta: Any) -> str:
    return (dt.datetime.now(dt.UTC) - dt.timedelta(**delta)).isoformat()


async def recorder(gateway: Gateway, headers: dict[str, str], **filter: Any) -> dict[str, Any]:
    response = await gateway.graphql(QUERY, {"filter": filter}, **headers)
    assert "errors" not in response, response["errors"]
    return response["data"]["callRecorder"]


async def numbers(gateway: Gateway, headers: dict[str, str], **filter: Any) -> list[str]:
    return [n["callNumber"] for n in (await recorder(gateway, headers, **filter))["nodes"]]


async def test_presets_and_every_criterion(gateway: Gateway) -> None:
    tenant = await make_tenant()
    a = tenant.company
    b = await make_account(tenant.reseller, name="Plomberie Lavoie")
    await load([
        call(a, ago(minutes=30), call_id="R1", agent="ELD", station="155", duration=72,
             caller_id="5145550101", quality=90),
        call(a, ago(hours=2), call_id="R2", agent="DOM", station="14", duration=102,
             quality=40),
        call(a, ago(hours=5), call_id="R3", agent="KAL", duration=12),
        call(b, ago(hours=10), call_id="R4", agent="JOH", duration=600),
    ])
    admin = await bearer_for(tenant.admin)
    assert await numbers(gateway, admin) == ["R1"]  # the last hour by default
    assert await numbers(gateway, admin, preset="LAST_3_HOURS") == ["R1", "R2"]
    assert await numbers(gateway, admin, preset="LAST_6_HOURS") == ["R1", "R2", "R3"]
    twelve = await recorder(gateway, admin, preset="LAST_12_HOURS")
    assert [n["callNumber"] for n in twelve["nodes"]] == ["R1", "R2", "R3", "R4"]
    assert twelve["totalDurationMinutes"] == round((72 + 102 + 12 + 600) / 60, 1)
    assert twelve["nodes"][0]["durationMinutes"] == 1.2
    custom = {"preset": "CUSTOM", "start": ago(hours=6), "end": ago(hours=1)}
    assert await numbers(gateway, admin, **custom) == ["R2", "R3"]
    day = {"preset": "LAST_12_HOURS"}
    assert await numbers(gateway, admin, **day, accountNumber=b.id) == ["R4"]
    assert await numbers(gateway, admin, **day, billingNumber=a.can) == ["R1", "R2", "R3"]
    assert await numbers(gateway, admin, **day, agent="dom") == ["R2"]
    assert await numbers(gateway, admin, **day, station="155") == ["R1"]
    assert await numbers(gateway, admin, **day, minDurationMinutes=1.5) == ["R2", "R4"]
    assert await numbers(gateway, admin, **day, maxDurationMinutes=1.2) == ["R1", "R3"]
    assert await numbers(gateway, admin, **day, callerId="0101") == ["R1"]
    assert await numbers(gateway, admin, **day, callNumber="R3") == ["R3"]
    assert await numbers(gateway, admin, **day, accountName="lavoie") == ["R4"]
    assert await numbers(gateway, admin, **day, qualityMin=50) == ["R1", "R3", "R4"]
    assert await numbers(gateway, admin, **day, qualityMax=50) == ["R2"]
    company = await bearer_for(tenant.company_admin)
    assert await numbers(gateway, company, **day) == ["R1", "R2", "R3"]
    # Pages: the next one starts after the cursor.
    page = await gateway.graphql(QUERY, {"filter": day, "first": 2}, **admin)
    connection = page["data"]["callRecorder"]
    assert connection["pageInfo"]["hasNextPage"] and connection["totalCount"] == 4
    rest = await gateway.graphql(QUERY, {"filter": day, "first": 2,
                                         "after": connection["pageInfo"]["endCursor"]}, **admin)
    assert [n["callNumber"] for n in rest["data"]["callRecorder"]["nodes"]] == ["R3", "R4"]


async def test_since_midnight_is_the_accounts_midnight(gateway: Gateway) -> None:
    tenant = await make_tenant()
    zone = dt.datetime.now(dt.UTC).astimezone(__import__("zoneinfo").ZoneInfo("America/Toronto"))
    midnight = zone.replace(hour=0, minute=0, second=0, microsecond=0)
    await load([call(tenant.company, (midnight + dt.timedelta(seconds=1)).isoformat(),
                     call_id="AFTER"),
                call(tenant.company, (midnight - dt.timedelta(seconds=1)).isoformat(),
                     call_id="BEFORE")])
    company = await bearer_for(tenant.company_admin)
    assert await numbers(gateway, company, preset="SINCE_MIDNIGHT") == ["AFTER"]


async def test_a_recording_streams_with_range_behind_an_expiring_url(
        gateway: Gateway, settings: Any) -> None:
    tenant = await make_tenant()
    folder = settings.var_dir / "recordings" / "2026"
    folder.mkdir(parents=True)
    (folder / "R1.wav").write_bytes(b"RIFF0123456789")
    await load([call(tenant.company, ago(minutes=5), call_id="R1", recording="2026/R1.wav"),
                call(tenant.company, ago(minutes=6), call_id="R2"),
                call(tenant.company, ago(minutes=7), call_id="R3",
                     recording="../../../etc/passwd")])
    nodes = (await recorder(gateway, await bearer_for(tenant.company_admin)))["nodes"]
    urls = {n["callNumber"]: n["recordingUrl"] for n in nodes}
    assert urls["R2"] is None
    path = urls["R1"].removeprefix("http://testserver")
    whole = await gateway.client.get(path)
    assert whole.status_code == 200 and whole.content == b"RIFF0123456789"
    assert whole.headers["accept-ranges"] == "bytes"
    part = await gateway.client.get(path, headers={"Range": "bytes=4-7"})
    assert part.status_code == 206 and part.content == b"0123"
    assert part.headers["content-range"] == "bytes 4-7/14"
    outside = await gateway.client.get(urls["R3"].removeprefix("http://testserver"))
    assert outside.status_code == 404
    forged = await gateway.client.get(path[:-3] + "abc")
    assert forged.status_code == 404

    class Earlier(TimestampSigner):
        def get_timestamp(self) -> int:
            return super().get_timestamp() - 3600

    token = path.rsplit("/", 1)[1]
    data = URLSafeTimedSerializer(settings.secret_key, salt="callcenter.recording").loads(token)
    old = URLSafeTimedSerializer(settings.secret_key, salt="callcenter.recording",
                                 signer=Earlier).dumps(data)
    expired = await gateway.client.get(exports.RECORDING_PATH.format(token=old))
    assert expired.status_code == 410


async def test_the_statement_count_does_not_grow_with_the_page(gateway: Gateway) -> None:
    import logging

    from tests.plugins.clients.conftest import StatementLog

    tenant = await make_tenant()
    await load([call(tenant.company, ago(minutes=m + 1), call_id=f"P{m:02d}",
                     recording=f"P{m:02d}.wav") for m in range(40)])
    headers = await bearer_for(tenant.admin)
    logger = logging.getLogger("tortoise.db_client")
    log, level = StatementLog(), logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(log)
    counts = {}
    try:
        for size in (5, 40):
            log.watch(f"recorder-{size}")
            page = await gateway.graphql(QUERY, {"first": size},
                                         **headers, **{"X-Request-ID": f"recorder-{size}"})
            assert len(page["data"]["callRecorder"]["nodes"]) == size
            counts[size] = len([s for s in log.statements if "callcenter_call" in s])
    finally:
        logger.removeHandler(log)
        logger.setLevel(level)
    assert counts[5] == counts[40] == 1  # the page with its totals, in one statement
    # A page past the end still gives the totals (the statement's totals row alone).
    from schema.pagination import encode_cursor

    past = (await gateway.graphql(QUERY, {"first": 5, "after": encode_cursor(60)},
                                  **headers))["data"]["callRecorder"]
    everything = (await gateway.graphql(QUERY, {"first": 40}, **headers))["data"]["callRecorder"]
    assert past["nodes"] == [] and past["pageInfo"]["hasNextPage"] is False
    assert past["totalCount"] == everything["totalCount"] == 40
    assert past["totalDurationMinutes"] == everything["totalDurationMinutes"] > 0


async def test_rows_and_downloads_show_each_accounts_local_time(gateway: Gateway) -> None:
    from zoneinfo import ZoneInfo

    from gateway.identity.models import Account

    tenant = await make_tenant()
    toronto = tenant.company  # America/Toronto, the default
    tokyo = await make_account(tenant.reseller, name="Tokyo")
    await Account.filter(id=tokyo.id).update(time_zone="Asia/Tokyo")
    moment = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)).replace(microsecond=0)
    await load([call(toronto, moment.isoformat(), call_id="TOR"),
                call(tokyo, moment.isoformat(), call_id="TYO"),
                {"message_id": "MTOR", "account_number": toronto.id,
                 "taken_at": moment.isoformat(), "body": "Rappeler"}])
    in_toronto = moment.astimezone(ZoneInfo("America/Toronto")).isoformat()
    in_tokyo = moment.astimezone(ZoneInfo("Asia/Tokyo")).isoformat()
    assert in_tokyo.endswith("+09:00") and in_toronto[-6:] in ("-05:00", "-04:00")
    day = {"preset": "LAST_3_HOURS"}
    # Reseller-wide: each row in its own account's zone, the same instant as the UTC moment.
    nodes = (await recorder(gateway, await bearer_for(tenant.admin), **day))["nodes"]
    shown = {n["callNumber"]: n["startedAt"] for n in nodes}
    assert shown == {"TOR": in_toronto, "TYO": in_tokyo}
    assert {dt.datetime.fromisoformat(v) for v in shown.values()} == {moment}
    company = await bearer_for(tenant.company_admin)
    assert [n["startedAt"] for n in (await recorder(gateway, company, **day))["nodes"]] == [
        in_toronto]
    # The download shows what the screen shows.
    query = """query D($f: CallRecorderFilter) { callCenterReportDownload(report: RECORDER,
      format: CSV, recorder: $f) }"""
    url = (await gateway.graphql(query, {"f": day}, **company))["data"][
        "callCenterReportDownload"]
    lines = (await gateway.client.get(url.removeprefix("http://testserver"))).content.decode(
        "utf-8-sig").splitlines()
    assert lines[1].startswith(in_toronto.replace("T", " ") + ",")
    days = {"from": in_toronto[:10], "to": dt.datetime.now(ZoneInfo("America/Toronto"))
            .date().isoformat()}
    messages = await gateway.graphql(
        "query M($f: TakenMessageFilter) { takenMessages(filter: $f) { nodes { messageId "
        "takenAt } } }", {"f": days}, **company)
    assert messages["data"]["takenMessages"]["nodes"] == [
        {"messageId": "MTOR", "takenAt": in_toronto}]


async def test_an_account_is_picked_among_those_the_caller_may_see(gateway: Gateway) -> None:
    """The account number and billing number (CAN) filters: a system admin picks any account,
    reseller staff their reseller's, a company admin its own; anything else is NOT_FOUND."""
    from gateway.identity.models import UserRole
    from tests.support.identity_factory import make_user

    tenant, other = await make_tenant(), await make_tenant("Autre revendeur")
    b = await make_account(tenant.reseller, name="Plomberie Lavoie")
    await load([call(tenant.company, ago(minutes=5), call_id="A1"),
                call(b, ago(minutes=6), call_id="B1"),
                call(other.company, ago(minutes=7), call_id="O1")])
    system = await bearer_for(await make_user(UserRole.SYSTEM_ADMIN))
    staff, company = await bearer_for(tenant.admin), await bearer_for(tenant.company_admin)
    cases = [
        (system, {"accountNumber": other.company.id}, ["O1"]),
        (system, {"billingNumber": b.can}, ["B1"]),
        (staff, {"accountNumber": b.id}, ["B1"]),
        (staff, {"accountNumber": b.id, "billingNumber": b.can}, ["B1"]),
        (staff, {"accountNumber": b.id, "billingNumber": tenant.company.can}, None),
        (staff, {"accountNumber": other.company.id}, None),
        (staff, {"billingNumber": other.company.can}, None),
        (company, {"accountNumber": tenant.company.id}, ["A1"]),
        (company, {"billingNumber": f"  {tenant.company.can} "}, ["A1"]),
        (company, {"accountNumber": b.id}, None),
        # A blank billing number or a number no account can have: no account, for anyone.
        (system, {"billingNumber": "   "}, None),
        (staff, {"billingNumber": " "}, None),
        (system, {"accountNumber": -5}, None),
        (system, {"accountNumber": 0}, None),
    ]
    for headers, filter, expected in cases:
        response = await gateway.graphql(QUERY, {"filter": filter}, **headers)
        if expected is None:
            assert response["errors"][0]["extensions"]["code"] == "NOT_FOUND", filter
            assert response["data"] is None or response["data"]["callRecorder"] is None
        else:
            assert [n["callNumber"] for n in response["data"]["callRecorder"]["nodes"]] == \
                expected, filter
