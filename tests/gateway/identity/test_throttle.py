"""Sign-in throttling per login and per client address, shared through the database."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from gateway.identity import throttle
from gateway.identity.models import LoginThrottle
from tests.conftest import Gateway
from tests.gateway.identity.test_auth import login
from tests.support.identity_factory import PASSWORD, make_tenant


def aliased_logins(attempts: list[tuple[str, str]]) -> str:
    """One document with one aliased ``login`` mutation per attempt (run in order)."""
    fields = "\n".join(
        f'a{n}: login(input: {{login: "{who}", password: "{password}"}}) '
        "{ token retryAfter errors { code message } }"
        for n, (who, password) in enumerate(attempts)
    )
    return f"mutation {{\n{fields}\n}}"


async def run(gateway: Gateway, attempts: list[tuple[str, str]],
              **headers: str) -> list[dict[str, Any]]:
    result = await gateway.graphql(aliased_logins(attempts), **headers)
    assert "errors" not in result, result
    gateway.client.cookies.clear()
    return [result["data"][f"a{n}"] for n in range(len(attempts))]


def codes(results: list[dict[str, Any]]) -> list[str]:
    return [r["errors"][0]["code"] if r["errors"] else "OK" for r in results]


async def test_aliases_in_one_request_count_one_by_one(gateway: Gateway) -> None:
    tenant = await make_tenant()
    who = tenant.employee.login
    results = await run(gateway, [(who, f"Wrong-pass{n}!") for n in range(10)])
    assert codes(results) == ["INVALID_CREDENTIALS"] * 5 + ["TOO_MANY_ATTEMPTS"] * 5
    refused = results[5]
    assert 0 < refused["retryAfter"] <= 15 * 60
    assert refused["errors"][0]["message"].startswith("Too many attempts. Try again in ")
    assert refused["token"] is None
    row = await LoginThrottle.get(key=f"login:{who}")
    assert row.failures == 10 and row.locked_until is not None


async def test_locked_login_refuses_even_the_right_password(gateway: Gateway) -> None:
    tenant = await make_tenant()
    who = tenant.employee.login
    results = await run(gateway, [(who, "Wrong-pass1!")] * 5 + [(who, PASSWORD)])
    assert codes(results) == ["INVALID_CREDENTIALS"] * 5 + ["TOO_MANY_ATTEMPTS"]
    # Other logins are not affected; the typed case does not matter.
    assert (await login(gateway, tenant.company_admin.login, PASSWORD))["errors"] == []
    again = await login(gateway, who.upper(), PASSWORD)
    assert again["errors"][0]["code"] == "TOO_MANY_ATTEMPTS"
    assert "minutes" in again["errors"][0]["message"]


async def test_a_success_resets_the_logins_counter(gateway: Gateway) -> None:
    tenant = await make_tenant()
    who = tenant.employee.login
    first = await run(gateway, [(who, "Wrong-pass1!")] * 4 + [(who, PASSWORD)])
    assert codes(first) == ["INVALID_CREDENTIALS"] * 4 + ["OK"]
    assert not await LoginThrottle.filter(key=f"login:{who}").exists()
    # Five fresh failures are allowed again before the lock.
    second = await run(gateway, [(who, "Wrong-pass1!")] * 6)
    assert codes(second) == ["INVALID_CREDENTIALS"] * 5 + ["TOO_MANY_ATTEMPTS"]


async def test_the_lock_ends_with_the_window(gateway: Gateway) -> None:
    tenant = await make_tenant()
    who = tenant.employee.login
    await run(gateway, [(who, "Wrong-pass1!")] * 6)
    await LoginThrottle.filter(key=f"login:{who}").update(
        window_started_at=dt.datetime.now(dt.UTC) - throttle.LOGIN.window - dt.timedelta(seconds=1)
    )
    assert (await login(gateway, who, PASSWORD))["errors"] == []


async def test_unknown_logins_are_throttled_alike(gateway: Gateway) -> None:
    await make_tenant()
    results = await run(gateway, [("ghost@example.test", "Wrong-pass1!")] * 6)
    assert codes(results) == ["INVALID_CREDENTIALS"] * 5 + ["TOO_MANY_ATTEMPTS"]


async def test_one_address_trying_many_logins_is_throttled(gateway: Gateway) -> None:
    tenant = await make_tenant()
    limit = throttle.ADDRESS.limit
    attempts = [(f"guess{n}@example.test", "Wrong-pass1!") for n in range(limit)]
    results = await run(gateway, attempts + [(tenant.employee.login, PASSWORD)])
    assert codes(results) == ["INVALID_CREDENTIALS"] * limit + ["TOO_MANY_ATTEMPTS"]
    # Successes from a shared address (an office) do not use up its allowance.
    await LoginThrottle.all().delete()
    ok = await run(gateway, [(tenant.employee.login, PASSWORD)] * 3)
    assert codes(ok) == ["OK"] * 3
    row = await LoginThrottle.get_or_none(key="addr:127.0.0.1")
    assert row is None or row.failures == 0


async def test_a_locked_login_does_not_use_up_the_address(gateway: Gateway) -> None:
    tenant = await make_tenant()
    who = tenant.employee.login
    await run(gateway, [(who, "Wrong-pass1!")] * 12)
    row = await LoginThrottle.get(key="addr:127.0.0.1")
    assert row.failures == 5  # the refused attempts were never checked, so not counted


async def test_counts_are_not_lost_when_processes_race(gateway: Gateway) -> None:
    results = await asyncio.gather(*(throttle.hit(throttle.LOGIN, "racer") for _ in range(12)))
    # Each attempt is counted before it is judged: racing attempts may all see the others'
    # counts, so fewer may pass, never more.
    assert 1 <= sum(r is None for r in results) <= throttle.LOGIN.limit
    assert (await LoginThrottle.get(key="login:racer")).failures == 12
    assert await throttle.retry_after(throttle.LOGIN, "racer") is not None
    await throttle.clear(throttle.LOGIN, "racer")
    assert await throttle.retry_after(throttle.LOGIN, "racer") is None


async def test_stale_rows_are_purged(gateway: Gateway) -> None:
    await throttle.hit(throttle.LOGIN, "old")
    await throttle.hit(throttle.LOGIN, "recent")
    await LoginThrottle.filter(key="login:old").update(
        window_started_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=3))
    assert await throttle.purge_stale() == 1
    assert await LoginThrottle.all().values_list("key", flat=True) == ["login:recent"]
