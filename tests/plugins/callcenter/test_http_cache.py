"""Issue 23, HTTP caching of the statistics: an ETag made from the calls' change stamp (bumped
by the import), the caller and the request; If-None-Match answers 304 after reading only the
stamp, by POST or by a persisted query over GET; an import landing changes it."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import httpx

from gateway.persisted_queries import sha256
from tests.conftest import Gateway, QueryLog
from tests.plugins.callcenter.factory import call, load
from tests.support.identity_factory import bearer_for, make_tenant

DAY = (dt.date.today() - dt.timedelta(days=2)).isoformat()
SERIES = """query Dashboard($f: CallStatisticsFilter!) {
  callStatisticsSeries(filter: $f, interval: DAY) { start statistics { totalInbound { value } } }
  callStatistics(filter: $f) { answered { value } } }"""
VARIABLES = {"f": {"from": DAY, "to": DAY}}


async def post(gateway: Gateway, headers: dict[str, str], query: str = SERIES,
               **more: str) -> httpx.Response:
    return await gateway.client.post("/graphql", json={"query": query, "variables": VARIABLES},
                                     headers={**headers, **more})


def on(statements: list[str], table: str) -> list[str]:
    return [s for s in statements if table in s]


async def test_a_repeated_request_answers_304_until_an_import_lands(
        gateway: Gateway, count_queries: QueryLog) -> None:
    tenant = await make_tenant()
    at = f"{DAY}T14:00:00+00:00"
    await load([call(tenant.company, at)])
    headers = await bearer_for(tenant.company_admin)
    first = await post(gateway, headers)
    assert first.status_code == 200
    assert first.json()["data"]["callStatistics"]["answered"]["value"] == 1
    tag = first.headers["etag"]
    assert first.headers["cache-control"] == "private, no-cache"
    assert first.headers["vary"] == "Cookie, Authorization"
    with count_queries() as statements:
        cached = await post(gateway, headers, **{"If-None-Match": tag})
    assert cached.status_code == 304 and cached.content == b""
    assert cached.headers["etag"] == tag
    # Not recomputed: the stamp is read, the calls are not.
    assert on(statements, "callcenter_call ") == []
    assert len(on(statements, "callcenter_calls_changed")) == 1
    # Another variable is another answer.
    other = await gateway.client.post("/graphql", json={
        "query": SERIES, "variables": {"f": {"from": DAY, "to": DAY, "agent": "ZZ"}}},
        headers={**headers, "If-None-Match": tag})
    assert other.status_code == 200 and other.headers["etag"] != tag
    # An import lands: the same request is computed again, with the new call.
    await load([call(tenant.company, f"{DAY}T15:00:00+00:00")])
    fresh = await post(gateway, headers, **{"If-None-Match": tag})
    assert fresh.status_code == 200
    assert fresh.json()["data"]["callStatistics"]["answered"]["value"] == 2
    assert fresh.headers["etag"] != tag
    # Another tenant's import does not change this tenant's tag.
    elsewhere = await make_tenant()
    await load([call(elsewhere.company, at)])
    assert (await post(gateway, headers, **{"If-None-Match": fresh.headers["etag"]})
            ).status_code == 304


async def test_the_tag_depends_on_the_caller(gateway: Gateway) -> None:
    tenant = await make_tenant()
    await load([call(tenant.company, f"{DAY}T14:00:00+00:00")])
    company = await post(gateway, await bearer_for(tenant.company_admin))
    staff = await post(gateway, await bearer_for(tenant.admin),
                       **{"If-None-Match": company.headers["etag"]})
    assert staff.status_code == 200 and staff.headers["etag"] != company.headers["etag"]
    # Signed out: refused as usual, never a 304 nor a tag.
    for tag in (company.headers["etag"], "*"):
        anonymous = await post(gateway, {}, **{"If-None-Match": tag})
        assert anonymous.status_code == 200 and "etag" not in anonymous.headers
        assert anonymous.json()["errors"]
    # "*" is no way round the tag for a signed-in caller either.
    assert (await post(gateway, await bearer_for(tenant.employee),
                       **{"If-None-Match": "*"})).status_code == 200


async def test_only_statistics_reads_carry_a_tag(gateway: Gateway) -> None:
    tenant = await make_tenant()
    headers = await bearer_for(tenant.company_admin)
    mixed = "query M($f: CallStatisticsFilter!) { callStatistics(filter: $f) { busy { value } }" \
            " callRecorder { totalCount } }"
    response = await post(gateway, headers, mixed)
    assert "errors" not in response.json() and "etag" not in response.headers
    # An answer with errors is not cached either.
    bad = await gateway.client.post("/graphql", json={
        "query": SERIES, "variables": {"f": {"from": DAY, "to": DAY, "after": "25:00"}}},
        headers=headers)
    assert bad.json()["errors"] and "etag" not in bad.headers


async def test_a_persisted_query_over_get_is_revalidated(gateway: Gateway) -> None:
    tenant = await make_tenant()
    await load([call(tenant.company, f"{DAY}T14:00:00+00:00")])
    headers = await bearer_for(tenant.company_admin)
    digest = sha256(SERIES)
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    await gateway.client.post("/graphql", headers=headers, json={
        "query": SERIES, "variables": VARIABLES, "extensions": extensions})
    params: dict[str, Any] = {"extensions": json.dumps(extensions),
                              "variables": json.dumps(VARIABLES), "operationName": "Dashboard"}
    got = await gateway.client.get("/graphql", params=params, headers=headers)
    assert got.status_code == 200
    assert got.json()["data"]["callStatisticsSeries"][0]["statistics"]["totalInbound"] == {
        "value": 1}
    again = await gateway.client.get("/graphql", params=params, headers={
        **headers, "If-None-Match": got.headers["etag"]})
    assert again.status_code == 304
