"""Issue 23, the dashboard page over HTTP (no JavaScript: what a browser without it shows):
who may open it and whose accounts, the sign-in path, fr/en, the server-rendered tables
matching GraphQL's answers for the same filter, refused filters, the CSRF/origin rule, and the
``callsImported`` subscription it refreshes from (a real server and WebSocket client)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from websockets.asyncio.client import connect

from gateway.api import current_pubsub
from gateway.identity.models import Reseller, User, UserRole
from gateway.identity.principal import SESSION_COOKIE
from gateway.identity.sessions import open_session
from plugins.callcenter import dashboard, live
from tests.conftest import Gateway, QueryLog
from tests.plugins.callcenter.dashboard_support import (
    HOURS,
    SERIES,
    STATISTICS,
    answer,
    table,
)
from tests.plugins.callcenter.factory import call, load
from tests.support.browser import served
from tests.support.identity_factory import Tenant, bearer_for, make_tenant, make_user
from tests.support.pubsub_gap import events_lost

PAGE = "/callcenter/dashboard"
LIVE = "subscription($a: Int) { callsImported(accountNumber: $a) { accountNumbers more } }"


async def cookie_of(user: User) -> dict[str, str]:
    _, token = await open_session(user)
    return {"Cookie": f"{SESSION_COOKIE}={token}"}


def days_ago(n: int, hour: int) -> str:
    """A moment ``n`` days before today, at ``hour`` o'clock Toronto time (-05:00 or -04:00:
    the account's default zone; the moment is written with its own offset)."""
    day = dt.date.today() - dt.timedelta(days=n)
    return dt.datetime.combine(day, dt.time(hour, 15), ZoneInfo("America/Toronto")).isoformat()


async def some_calls(tenant: Tenant) -> None:
    """Calls of the company over the last days: answered at various waits, abandoned, by
    several agents, at several hours."""
    account = tenant.company
    records = []
    for n, (wait, agent, hour) in enumerate([(3, "ELD", 9), (14, "ELD", 9), (25, "DOM", 10),
                                             (45, "DOM", 14), (90, "KAL", 14), (150, "KAL", 16),
                                             (30, "ELD", 16)]):
        records.append(call(account, days_ago(n % 3 + 1, hour), agent=agent, queued_at=5,
                            assigned_at=6, answered_at=5 + wait, duration=300))
    records.append(call(account, days_ago(2, 11), agent="DOM", queued_at=5, assigned_at=None,
                        answered_at=None, duration=60))  # abandoned
    records.append(call(account, days_ago(1, 11), duration=5))  # 6 s or less: not counted
    await load(records)


def period() -> dict[str, str]:
    today = dt.date.today()
    return {"from": (today - dt.timedelta(days=6)).isoformat(), "to": today.isoformat()}


async def test_unsigned_is_sent_to_sign_in_which_uses_the_login_mutation(
        gateway: Gateway) -> None:
    response = await gateway.client.get(PAGE, params={"accountNumber": "7"})
    assert response.status_code == 303
    target = urlsplit(response.headers["location"])
    assert target.path == "/callcenter/sign-in"
    assert parse_qs(target.query)["next"] == [f"{PAGE}?accountNumber=7"]
    page = await gateway.client.get(response.headers["location"],
                                    headers={"Accept-Language": "fr-CA,fr;q=0.9"})
    assert page.status_code == 200 and '<html lang="fr">' in page.text
    assert '<label for="f-login">Identifiant ou courriel</label>' in page.text
    assert f'data-next="{PAGE}?accountNumber=7"' in page.text
    assert "/callcenter/static/sign-in.js" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    # Only the dashboard is a place to go back to.
    elsewhere = await gateway.client.get("/callcenter/sign-in",
                                         params={"next": "https://evil.example/x"})
    assert f'data-next="{PAGE}"' in elsewhere.text
    # The script's path: the login mutation sets the cookie the dashboard then reads.
    tenant = await make_tenant()
    signed = await gateway.client.post("/graphql", json={
        "query": "mutation($i: LoginInput!) { login(input: $i) { errors { code } } }",
        "variables": {"i": {"login": tenant.company_admin.login, "password": "Secret-pass1"}}},
        headers={"Origin": "http://testserver"})
    assert signed.json()["data"]["login"]["errors"] == []
    opened = await gateway.client.get(PAGE)  # the client keeps the cookie
    assert opened.status_code == 200, opened.text
    # Signed in, the sign-in page goes straight to the dashboard.
    again = await gateway.client.get("/callcenter/sign-in")
    assert again.status_code == 303 and again.headers["location"] == PAGE
    # The static files it needs are served, uPlot with its licence.
    for path in ("sign-in.js", "dashboard.js", "dashboard.css",
                 "vendor/uplot-1.6.32/uPlot.iife.min.js", "vendor/uplot-1.6.32/LICENSE"):
        assert (await gateway.client.get(f"/callcenter/static/{path}")).status_code == 200
    licence = await gateway.client.get("/callcenter/static/vendor/uplot-1.6.32/LICENSE")
    assert "MIT License" in licence.text


async def test_the_tables_match_graphql_for_the_same_filter(gateway: Gateway) -> None:
    tenant = await make_tenant()
    await some_calls(tenant)
    headers = await bearer_for(tenant.company_admin)
    account = tenant.company.id
    for filters in ({}, {"agent": "DOM"}, {"after": "10:00", "before": "15:59"},
                    {"weekdays": ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"]}):
        params: dict[str, Any] = {**period(), **filters}
        page = await gateway.client.get(PAGE, params=params,
                                        headers=await cookie_of(tenant.company_admin))
        assert page.status_code == 200, page.text
        text = page.text
        graphql_filter = {"accountNumber": account, **params}
        totals = await answer(gateway, STATISTICS, headers, **graphql_filter)
        summary = {name: values for name, values in table(text, "summary")}
        assert summary["Total inbound calls"][0] == totals["totalInbound"]["value"]
        assert summary["Calls answered by an agent"][0] == totals["answered"]["value"]
        # Calls by hour of day: GraphQL's hourly series, added up by hour of day.
        by_hour = [0.0] * 24
        for bucket in await answer(gateway, HOURS, headers, **graphql_filter):
            by_hour[dt.datetime.fromisoformat(bucket["start"]).hour] += bucket["statistics"][
                "totalInbound"]["value"]
        assert [values[0] for _, values in table(text, "by_hour")] == by_hour
        # Answer times: the classes add up to answered, the first three to "within 30 s".
        classes = [values[0] or 0 for _, values in table(text, "answer_times")]
        assert sum(classes) == totals["answered"]["value"]
        assert sum(classes[:3]) == totals["answeredWithin30s"]["value"]
        # Abandon rate by day: GraphQL's daily series.
        days = await answer(gateway, SERIES, headers, **graphql_filter)
        assert [(label, values[1], values[2]) for label, values in table(text, "abandon_rate")] \
            == [(d["start"][:10], d["statistics"]["abandoned"]["value"],
                 d["statistics"]["abandoned"]["percent"]) for d in days]
        # Per agent: callStatistics with that agent.
        for agent, values in table(text, "agents"):
            mine = await answer(gateway, STATISTICS, headers, **{**graphql_filter, "agent": agent})
            assert values[:3] == [mine["totalInbound"]["value"], mine["answered"]["value"],
                                  mine["answeredWithin30s"]["percent"]]
            assert values[3] == mine["averageAnswerWait"]["value"]
    # The answer classes against answerDelayLongerThan at their edges.
    page = await gateway.client.get(PAGE, params=period(),
                                    headers=await cookie_of(tenant.company_admin))
    classes = [values[0] for _, values in table(page.text, "answer_times")]
    edges = [0, *dashboard.ANSWER_EDGES]
    for n, low in enumerate(edges[1:], start=1):
        over = await answer(gateway, STATISTICS, headers, accountNumber=account, **period(),
                            answerDelayLongerThan=low)
        assert sum(c or 0 for c in classes[n:]) == over["answered"]["value"]
    assert sum(c or 0 for c in classes) == 7  # the seven answered calls


async def test_who_may_open_which_account(gateway: Gateway) -> None:
    alpha, beta = await make_tenant("Alpha Tableau"), await make_tenant("Beta Tableau")
    await Reseller.filter(id=alpha.reseller.id).update(branding={
        "primary_color": "#123456", "logo": {"url": "https://alpha.example/logo.png"}})
    # A company admin and a professional: their own account, never another's.
    own = await gateway.client.get(PAGE, headers=await cookie_of(alpha.company_admin))
    assert own.status_code == 200 and alpha.company.name in own.text
    assert 'id="f-accountNumber"' not in own.text  # nothing to choose
    assert "--primary:#123456" in own.text and "https://alpha.example/logo.png" in own.text
    assert "Alpha Tableau" in own.text
    pro = await gateway.client.get(PAGE, headers=await cookie_of(alpha.professional))
    assert pro.status_code == 200 and alpha.professional_account.name in pro.text
    for user in (alpha.company_admin, alpha.professional, alpha.admin):
        for other in (beta.company.id, beta.professional_account.id):
            refused = await gateway.client.get(PAGE, params={"accountNumber": other},
                                               headers=await cookie_of(user))
            assert refused.status_code == 404, (user.role, other)
            assert beta.company.name not in refused.text
    sideways = await gateway.client.get(
        PAGE, params={"accountNumber": alpha.professional_account.id},
        headers=await cookie_of(alpha.company_admin))
    assert sideways.status_code == 404
    # Staff: choose among their reseller's accounts, then see any of them.
    chooser = await gateway.client.get(PAGE, headers=await cookie_of(alpha.admin))
    assert chooser.status_code == 200
    assert f'<option value="{alpha.company.id}">' in chooser.text
    assert f'value="{beta.company.id}"' not in chooser.text
    seen = await gateway.client.get(PAGE, params={"accountNumber": alpha.company.id},
                                    headers=await cookie_of(alpha.admin))
    assert seen.status_code == 200 and 'id="t-agents"' in seen.text
    sysadmin = await make_user(UserRole.SYSTEM_ADMIN)
    assert (await gateway.client.get(PAGE, params={"accountNumber": beta.company.id},
                                     headers=await cookie_of(sysadmin))).status_code == 200
    # Employees read GraphQL's statistics but the page is not theirs.
    employee = await gateway.client.get(PAGE, headers=await cookie_of(alpha.employee))
    assert employee.status_code == 403 and "reseller staff" in employee.text
    assert 'id="t-summary"' not in employee.text
    # Not a number: not found either.
    bad = await gateway.client.get(PAGE, params={"accountNumber": "x"},
                                   headers=await cookie_of(alpha.admin))
    assert bad.status_code == 404
    # Nor a number no account can have, for anyone (the database would refuse it).
    for number in ("99999999999999999999999", "-3", "0"):
        for user in (alpha.admin, sysadmin):
            huge = await gateway.client.get(PAGE, params={"accountNumber": number},
                                            headers=await cookie_of(user))
            assert huge.status_code == 404, (number, user.role)


async def test_french_and_english(gateway: Gateway) -> None:
    tenant = await make_tenant()
    french = await make_user(UserRole.COMPANY_ADMIN, reseller=tenant.reseller,
                             account=tenant.company, language="fr")
    page = await gateway.client.get(PAGE, headers=await cookie_of(french))
    assert '<html lang="fr">' in page.text
    assert "Appels par heure de la journée" in page.text
    assert "Total des appels entrants" in page.text
    assert 'href="?lang=en"' in page.text and ">English</a>" in page.text
    switched = await gateway.client.get(PAGE, params={"lang": "en", "agent": "ELD"},
                                        headers=await cookie_of(french))
    assert '<html lang="en">' in switched.text and "Calls by hour of day" in switched.text
    assert 'href="?agent=ELD&amp;lang=fr"' in switched.text  # the filters stay
    assert 'name="lang" value="en"' in switched.text  # and the form keeps the language


async def test_refused_filters_are_named_beside_their_field(gateway: Gateway) -> None:
    tenant = await make_tenant()
    cookie = await cookie_of(tenant.company_admin)
    for params, field in (({"from": "2026-13-40"}, "from"), ({"after": "25:00"}, "after"),
                          ({"from": "2026-02-01", "to": "2026-01-01"}, "to"),
                          ({"holdLongerThan": "long"}, "holdLongerThan"),
                          ({"includeAccountGroups": "1, two"}, "includeAccountGroups"),
                          ({"from": "1990-01-01", "to": "2026-01-01"}, "from")):
        response = await gateway.client.get(PAGE, params=params, headers=cookie)
        assert response.status_code == 400, params
        assert f'id="f-{field}" name="{field}"' in response.text
        assert f'aria-describedby="e-{field}"' in response.text, (params, response.text)
        assert 'role="alert"' in response.text and 'id="t-summary"' not in response.text


async def test_a_cross_site_page_cannot_use_the_cookie(gateway: Gateway) -> None:
    tenant = await make_tenant()
    cookie = await cookie_of(tenant.company_admin)
    refused = await gateway.client.get(PAGE, headers={**cookie, "Origin": "https://evil.example"})
    assert refused.status_code == 403
    login = await gateway.client.post("/graphql", headers={
        **cookie, "Origin": "https://evil.example"}, json={"query": "{ __typename }"})
    assert login.status_code == 403
    # The sign-in script's request is JSON; a form post (what another site can send) is not.
    form = await gateway.client.post("/graphql", content="query=%7B__typename%7D", headers={
        "Content-Type": "application/x-www-form-urlencoded"})
    assert form.status_code == 415


async def receive(ws: Any) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 15))
    return message


async def test_calls_imported_is_heard_by_whoever_sees_the_account(
        migrated: str, tmp_path: Path) -> None:
    async with served(migrated, tmp_path) as (_, url):
        alpha, beta = await make_tenant("Alpha Direct"), await make_tenant("Beta Direct")
        ws_url = url.replace("http://", "ws://") + "/graphql"

        async def subscribe(user: User, account: int | None) -> Any:
            ws = await connect(ws_url, subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                               additional_headers={**await cookie_of(user), "Origin": url})
            await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
            assert (await receive(ws))["type"] == "connection_ack"
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
                "query": LIVE, "variables": {"a": account}}}))
            return ws

        # Another tenant's account: not found, at once.
        foreign = await subscribe(alpha.company_admin, beta.company.id)
        refusal = await receive(foreign)
        assert refusal["type"] == "error" and refusal["payload"][0]["extensions"]["code"] == (
            "NOT_FOUND")
        await foreign.close()
        mine = await subscribe(alpha.company_admin, alpha.company.id)
        staff = await subscribe(alpha.admin, None)
        other = await subscribe(beta.admin, None)
        await asyncio.sleep(0.3)  # the subscriptions are registered before the import
        await load([call(beta.company, days_ago(1, 9))])
        await load([call(alpha.company, days_ago(1, 9)),
                    call(alpha.professional_account, days_ago(1, 10))])
        heard = await receive(mine)
        assert heard["payload"]["data"]["callsImported"] == {
            "accountNumbers": [alpha.company.id], "more": False}
        staff_heard = await receive(staff)
        assert staff_heard["payload"]["data"]["callsImported"]["accountNumbers"] == sorted(
            [alpha.company.id, alpha.professional_account.id])
        other_heard = await receive(other)  # Beta's own import only
        assert other_heard["payload"]["data"]["callsImported"]["accountNumbers"] == [
            beta.company.id]
        for ws in (mine, staff, other):
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(ws.recv(), 0.5)
        # The pub/sub loses its connection while an import lands (Redis restarting): once it
        # is back, each subscriber is told to refetch everything (no account, ``more``).
        bus = current_pubsub()
        assert bus is not None
        async with events_lost(bus, live.channel(alpha.reseller.id),
                               live.channel(beta.reseller.id)):
            await load([call(alpha.company, days_ago(1, 11))])
        for ws in (mine, staff, other):
            told = await receive(ws)
            assert told["payload"]["data"]["callsImported"] == {"accountNumbers": [],
                                                                "more": True}
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(ws.recv(), 0.5)
            await ws.close()
        # From another origin, the handshake with the cookie is refused.
        with pytest.raises(Exception):
            async with connect(ws_url, subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                               additional_headers={**await cookie_of(alpha.admin),
                                                   "Origin": "https://evil.example"}) as ws:
                await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
                await receive(ws)


async def test_the_figures_cost_the_same_few_statements_whatever_the_period(
        gateway: Gateway, count_queries: QueryLog) -> None:
    tenant = await make_tenant()
    await some_calls(tenant)
    cookie = await cookie_of(tenant.company_admin)
    counts = []
    for days in (1, 30, 365):
        today = dt.date.today()
        params = {"from": (today - dt.timedelta(days=days - 1)).isoformat(),
                  "to": today.isoformat()}
        with count_queries() as statements:
            page = await gateway.client.get(PAGE, params=params, headers=cookie)
        assert page.status_code == 200
        figures = [s for s in statements if "callcenter_call" in s]
        assert len(figures) == 5, figures  # the period, hours, answer times, days, agents
        counts.append(len(statements))
    assert counts[0] == counts[1] == counts[2], counts
