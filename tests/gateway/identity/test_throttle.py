"""Sign-in throttling per login and per client address, shared through the database: a
progressive delay (never a long lock), and the client's address read through trusted proxies
only."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from starlette.requests import Request

from gateway.identity import throttle
from gateway.identity.auth import client_address
from gateway.identity.models import LoginThrottle
from gateway.settings import Settings
from tests.conftest import Gateway, make_settings, start_gateway
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
    assert 0 < refused["retryAfter"] <= 1  # a delay, not a lock
    assert refused["errors"][0]["message"].startswith("Too many attempts. Try again in ")
    assert refused["token"] is None
    row = await LoginThrottle.get(key=f"login:{who}")
    # Refused attempts were not looked at, so not counted.
    assert row.failures == 5 and row.locked_until is not None


async def test_locked_login_refuses_even_the_right_password(gateway: Gateway) -> None:
    tenant = await make_tenant()
    who = tenant.employee.login
    results = await run(gateway, [(who, "Wrong-pass1!")] * 5 + [(who, PASSWORD)])
    assert codes(results) == ["INVALID_CREDENTIALS"] * 5 + ["TOO_MANY_ATTEMPTS"]
    # Other logins are not affected; the typed case does not matter.
    assert (await login(gateway, tenant.company_admin.login, PASSWORD))["errors"] == []
    again = await login(gateway, who.upper(), PASSWORD)
    assert again["errors"][0]["code"] == "TOO_MANY_ATTEMPTS"
    assert "seconds" in again["errors"][0]["message"]


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


async def test_racing_attempts_never_pass_more_than_the_limit(gateway: Gateway) -> None:
    results = await asyncio.gather(*(throttle.hit(throttle.LOGIN, "racer") for _ in range(12)))
    # Each attempt is counted (compare-and-set) before it is judged: racing attempts may be
    # refused, never let through beyond the limit.
    assert 1 <= sum(r is None for r in results) <= throttle.LOGIN.limit
    assert (await LoginThrottle.get(key="login:racer")).failures <= throttle.LOGIN.limit
    assert await throttle.retry_after(throttle.LOGIN, "racer") is not None
    await throttle.clear(throttle.LOGIN, "racer")
    assert await throttle.retry_after(throttle.LOGIN, "racer") is None


async def test_six_anonymous_requests_hold_a_login_back_seconds_not_minutes(
    gateway: Gateway
) -> None:
    tenant = await make_tenant()
    who = tenant.employee.login
    results = await run(gateway, [(who, f"Wrong-pass{n}!") for n in range(6)])
    assert codes(results) == ["INVALID_CREDENTIALS"] * 5 + ["TOO_MANY_ATTEMPTS"]
    assert results[5]["retryAfter"] <= 2
    # Once the delay is over, the person gets in.
    await _delay_over(who)
    assert (await login(gateway, who, PASSWORD))["errors"] == []


async def _delay_over(who: str) -> None:
    await LoginThrottle.filter(key=f"login:{who}").update(
        locked_until=dt.datetime.now(dt.UTC) - dt.timedelta(milliseconds=1))


async def test_the_delay_doubles_up_to_its_cap(gateway: Gateway) -> None:
    waits = []
    for _ in range(14):
        assert await throttle.hit(throttle.LOGIN, "doubling") is None  # each one is looked at
        waits.append(await throttle.retry_after(throttle.LOGIN, "doubling"))
        await LoginThrottle.filter(key="login:doubling").update(
            locked_until=dt.datetime.now(dt.UTC) - dt.timedelta(milliseconds=1))
    cap = int(throttle.LOGIN.max_delay.total_seconds()) if throttle.LOGIN.max_delay else 0
    assert waits[:4] == [None] * 4
    assert waits[4:9] == [1, 2, 4, 8, 16]
    assert waits[-1] == cap == 60 and max(w or 0 for w in waits) == cap


async def test_stale_rows_are_purged(gateway: Gateway) -> None:
    await throttle.hit(throttle.LOGIN, "old")
    await throttle.hit(throttle.LOGIN, "recent")
    await LoginThrottle.filter(key="login:old").update(
        window_started_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=3))
    assert await throttle.purge_stale() == 1
    assert await LoginThrottle.all().values_list("key", flat=True) == ["login:recent"]


# ---- behind a proxy ------------------------------------------------------------------------

@pytest.fixture
async def proxied(migrated: str, tmp_path: Path) -> AsyncIterator[Gateway]:
    """The app behind a load balancer on 127.0.0.1 (the test client's address), trusted."""
    settings = make_settings(migrated, tmp_path, trusted_proxies=("127.0.0.1/32",))
    async for running in start_gateway(settings, job_options={"relay_interval": 0.05,
                                                              "in_process_workers": True}):
        yield running


async def test_behind_a_trusted_proxy_one_client_locks_out_only_itself(proxied: Gateway) -> None:
    tenant = await make_tenant()
    sprayer = {"X-Forwarded-For": "203.0.113.5"}
    limit = throttle.ADDRESS.limit
    attempts = [(f"guess{n}@example.test", "Wrong-pass1!") for n in range(limit + 1)]
    results = await run(proxied, attempts, **sprayer)
    assert codes(results) == ["INVALID_CREDENTIALS"] * limit + ["TOO_MANY_ATTEMPTS"]
    assert await LoginThrottle.filter(key="addr:203.0.113.5").exists()
    assert not await LoginThrottle.filter(key="addr:127.0.0.1").exists()
    # Everyone else behind the same load balancer signs in.
    other = await login(proxied, tenant.employee.login, PASSWORD,
                        **{"X-Forwarded-For": "198.51.100.7"})
    assert other["errors"] == []


async def test_x_forwarded_for_from_an_untrusted_peer_is_ignored(gateway: Gateway) -> None:
    await make_tenant()
    limit = throttle.ADDRESS.limit
    # A client choosing a new X-Forwarded-For each time is still one address.
    results = [await login(gateway, f"guess{n}@example.test", "Wrong-pass1!",
                           **{"X-Forwarded-For": f"192.0.2.{n}"}) for n in range(limit + 1)]
    assert [r["errors"][0]["code"] for r in results] == (
        ["INVALID_CREDENTIALS"] * limit + ["TOO_MANY_ATTEMPTS"])
    assert await LoginThrottle.filter(key__startswith="addr:").values_list("key", flat=True) == [
        "addr:127.0.0.1"]


def _request(peer: str, *forwarded: str) -> Request:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    return Request({"type": "http", "method": "POST", "path": "/graphql", "headers": headers,
                    "client": (peer, 4242), "query_string": b""})


def test_the_client_is_the_nearest_address_no_trusted_proxy_added() -> None:
    trusted = Settings(trusted_proxies=("10.0.0.0/8", "192.0.2.7/32")).trusted_proxies
    # Load balancer 192.0.2.7 -> proxy 10.1.2.3 -> gateway; the client said it was 1.1.1.1.
    chain = _request("10.1.2.3", "1.1.1.1, 203.0.113.5", "192.0.2.7")
    assert client_address(chain, trusted) == "203.0.113.5"
    assert client_address(chain) == "10.1.2.3"  # nothing trusted: the peer
    assert client_address(_request("198.51.100.1", "203.0.113.5"), trusted) == "198.51.100.1"
    assert client_address(_request("10.1.2.3"), trusted) == "10.1.2.3"
    assert client_address(_request("10.1.2.3", "garbage, 10.9.9.9"), trusted) == "10.9.9.9"
    assert client_address(_request("10.1.2.3", "2001:db8::1"), trusted) == "2001:db8::1"


def test_trusted_proxies_come_from_the_environment_and_are_checked() -> None:
    from gateway.settings import SettingsError

    base = {"GATEWAY_ENV": "test", "SECRET_KEY": "x" * 40}
    assert Settings.from_env(base).trusted_proxies == ()
    parsed = Settings.from_env({**base, "TRUSTED_PROXIES": " 10.0.0.0/8, 192.0.2.7 ,::1"})
    assert parsed.trusted_proxies == ("10.0.0.0/8", "192.0.2.7/32", "::1/128")
    with pytest.raises(SettingsError, match="TRUSTED_PROXIES: 'proxy.internal'"):
        Settings.from_env({**base, "TRUSTED_PROXIES": "10.0.0.0/8,proxy.internal"})
