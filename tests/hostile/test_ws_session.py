"""A signed-out caller gets nothing more from a WebSocket opened while signed in: each operation
resolves its caller again (a socket whose session ended closes with 4401 before anything
runs), and a signed-in socket checks its caller every few seconds (running subscriptions end
with the socket). Real sessions and tokens, a real server on loopback, a real WebSocket client
speaking graphql-transport-ws."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

from gateway import pubsub
from gateway.identity.models import ApiToken, Reseller, Session, User, UserRole
from gateway.identity.secrets import API_TOKEN_PREFIX, new_token, token_digest
from gateway.identity.sessions import IDLE_TIMEOUT, utcnow
from gateway.jobs.status import job_channel
from gateway.plugins import PluginHost
from tests.conftest import Gateway, make_settings, start_gateway
from tests.gateway.test_subscriptions import (
    JOB_STATUS,
    RECEIVE_TIMEOUT,
    Client,
    Server,
    waiting_job,
    ws_specs,
)
from tests.support.identity_factory import PASSWORD, make_reseller, make_user

LOGIN = """
mutation ($login: String!, $password: String!) {
  login(input: {login: $login, password: $password}) { token errors { code } }
}
"""
LOGOUT = "mutation { logout { signedOut errors { code } } }"
CHANGE_PASSWORD = """
mutation ($current: String!, $new: String!) {
  changePassword(input: {currentPassword: $current, newPassword: $new}) { errors { code } }
}
"""
ME = "{ me { role } }"
NEW_PASSWORD = "Another-pass2"
# Long enough that only the check made by each operation can close the socket.
NEVER = 3600.0
# Short, so that a test sees the periodic check close a socket at once.
OFTEN = 0.1


def _server(caller_check_seconds: float) -> Any:
    @pytest.fixture
    async def fixture(migrated: str, tmp_path: Path) -> AsyncIterator[Server]:
        settings = make_settings(migrated, tmp_path)
        host = PluginHost(settings, specs=ws_specs())
        async for gateway in start_gateway(settings, host=host, run_jobs=False,
                                           caller_check_seconds=caller_check_seconds):
            async with Server(gateway).running() as running:
                yield running

    return fixture


per_operation = _server(NEVER)
watching = _server(OFTEN)


async def _sign_in(gateway: Gateway, user: User) -> str:
    answer = await gateway.graphql(LOGIN, {"login": user.login, "password": PASSWORD})
    assert answer["data"]["login"]["errors"] == [], answer
    token: str = answer["data"]["login"]["token"]
    return token


def _connection(how: str, token: str) -> dict[str, Any]:
    """How the socket carries the session: the handshake's cookie or header, or the
    connection_init payload."""
    return {
        "cookie": {"headers": {"Cookie": f"gw_session={token}"}},
        "header": {"headers": {"Authorization": f"Bearer {token}"}},
        "payload": {"payload": {"authorization": f"Bearer {token}"}},
    }[how]


async def _closed(client: Client) -> tuple[list[Any], int | None]:
    """Every message until the server closes the socket, and its close code."""
    received = []
    try:
        while True:
            received.append(json.loads(await asyncio.wait_for(client.ws.recv(),
                                                              RECEIVE_TIMEOUT)))
    except ConnectionClosed:
        pass
    return received, client.ws.close_code


async def _me(client: Client, op_id: str = "me") -> Any:
    await client.subscribe(op_id, ME, {})
    reply = await client.receive()
    assert reply["type"] == "next", reply
    assert (await client.receive())["type"] == "complete"
    return reply["payload"]["data"]["me"]["role"]


async def _session_of(token: str) -> Session:
    return await Session.get(token_hash=token_digest(token))


async def _logout(gateway: Gateway, token: str) -> None:
    answer = await gateway.graphql(LOGOUT, Authorization=f"Bearer {token}")
    assert answer["data"]["logout"]["signedOut"] is True, answer


async def _password_changed_elsewhere(gateway: Gateway, token: str) -> None:
    """The person changes the password from another session: every other one ends."""
    session = await _session_of(token)
    user = await User.get(id=session.user_id)  # type: ignore[attr-defined]
    other = await _sign_in(gateway, user)
    answer = await gateway.graphql(CHANGE_PASSWORD, {"current": PASSWORD, "new": NEW_PASSWORD},
                                   Authorization=f"Bearer {other}")
    assert answer["data"]["changePassword"]["errors"] == [], answer


async def _expired(gateway: Gateway, token: str) -> None:
    await Session.filter(token_hash=token_digest(token)).update(
        expires_at=utcnow() - dt.timedelta(seconds=1))


async def _idle(gateway: Gateway, token: str) -> None:
    await Session.filter(token_hash=token_digest(token)).update(
        last_seen_at=utcnow() - IDLE_TIMEOUT - dt.timedelta(seconds=1))


async def _deactivated(gateway: Gateway, token: str) -> None:
    session = await _session_of(token)
    await User.filter(id=session.user_id).update(is_active=False)  # type: ignore[attr-defined]


SESSION_ENDS: dict[str, Callable[[Gateway, str], Awaitable[None]]] = {
    "logout": _logout,
    "password changed elsewhere": _password_changed_elsewhere,
    "expiry": _expired,
    "idle timeout": _idle,
    "person deactivated": _deactivated,
}


# ---- each operation checks its caller --------------------------------------------------------

@pytest.mark.parametrize("how", ["cookie", "header", "payload"])
@pytest.mark.parametrize("operation", ["query", "mutation", "subscription"])
async def test_after_logout_the_socket_runs_no_operation(
    per_operation: Server, how: str, operation: str
) -> None:
    admin = await make_user(UserRole.SYSTEM_ADMIN)
    token = await _sign_in(per_operation.gateway, admin)
    _, job_id = await waiting_job("test.record", {"n": 1})
    async with per_operation.client(**_connection(how, token)) as client:
        assert await _me(client) == "SYSTEM_ADMIN"
        await _logout(per_operation.gateway, token)

        query, variables = {
            "query": (ME, {}),
            "mutation": (CHANGE_PASSWORD, {"current": PASSWORD, "new": NEW_PASSWORD}),
            "subscription": (JOB_STATUS, {"id": job_id}),
        }[operation]
        await client.subscribe("after", query, variables)
        assert await _closed(client) == ([], 4401)
    # The mutation did not run: the password is the one it was.
    assert (await per_operation.gateway.graphql(
        LOGIN, {"login": admin.login, "password": PASSWORD}))["data"]["login"]["token"]


@pytest.mark.parametrize("end", list(SESSION_ENDS))
async def test_each_way_a_session_ends_closes_the_socket_at_the_next_operation(
    per_operation: Server, end: str
) -> None:
    employee = await make_user(UserRole.SYSTEM_ADMIN)
    token = await _sign_in(per_operation.gateway, employee)
    async with per_operation.client(**_connection("cookie", token)) as client:
        assert await _me(client) == "SYSTEM_ADMIN"
        await SESSION_ENDS[end](per_operation.gateway, token)
        await client.subscribe("after", ME, {})
        assert await _closed(client) == ([], 4401)


async def test_logout_over_the_socket_itself(per_operation: Server) -> None:
    """Sent over the socket, logout ends the session (no cookie to clear there), and the
    socket then runs nothing more."""
    admin = await make_user(UserRole.SYSTEM_ADMIN)
    token = await _sign_in(per_operation.gateway, admin)
    async with per_operation.client(**_connection("cookie", token)) as client:
        await client.subscribe("out", LOGOUT, {})
        assert await client.receive() == {
            "id": "out", "type": "next",
            "payload": {"data": {"logout": {"signedOut": True, "errors": []}}}}
        assert (await client.receive())["type"] == "complete"
        await client.subscribe("after", ME, {})
        assert await _closed(client) == ([], 4401)
    assert (await _session_of(token)).ended_at is not None


async def test_an_anonymous_socket_stays_anonymous(per_operation: Server) -> None:
    async with per_operation.client() as client:
        await client.subscribe("1", ME, {})
        reply = await client.receive()
        assert reply["type"] == "next", reply
        assert [e["extensions"]["code"] for e in reply["payload"]["errors"]] == [
            "UNAUTHENTICATED"]


# ---- a running subscription ends with the session --------------------------------------------

@pytest.mark.parametrize("end", list(SESSION_ENDS))
async def test_a_running_subscription_ends_when_the_session_does(
    watching: Server, end: str
) -> None:
    admin = await make_user(UserRole.SYSTEM_ADMIN)
    token = await _sign_in(watching.gateway, admin)
    job_pk, job_id = await waiting_job("test.record", {"n": 2})
    bus = pubsub.current()
    assert bus is not None
    async with watching.client(**_connection("payload", token)) as client:
        await client.subscribe("job", JOB_STATUS, {"id": job_id})
        first = await client.next_job("job")
        assert first is not None and first["status"] == "PENDING"
        assert bus.subscriber_count(job_channel(job_pk)) == 1

        await SESSION_ENDS[end](watching.gateway, token)
        # Nothing sent by the client: the socket's own check closes it.
        assert await _closed(client) == ([], 4401)

    async def released() -> bool:
        return bus.subscriber_count(job_channel(job_pk)) == 0

    deadline = asyncio.get_running_loop().time() + RECEIVE_TIMEOUT
    while not await released():
        assert asyncio.get_running_loop().time() < deadline, "still subscribed"
        await asyncio.sleep(0.02)


async def test_an_open_socket_does_not_keep_its_session_from_idling_out(
    watching: Server
) -> None:
    """The periodic check does not count as activity: a socket left open with a running
    subscription ends when the session idles out, as the portal's session would."""
    admin = await make_user(UserRole.SYSTEM_ADMIN)
    token = await _sign_in(watching.gateway, admin)
    _, job_id = await waiting_job("test.record", {"n": 3})
    async with watching.client(**_connection("cookie", token)) as client:
        await client.subscribe("job", JOB_STATUS, {"id": job_id})
        assert await client.next_job("job") is not None
        almost = utcnow() - IDLE_TIMEOUT + dt.timedelta(minutes=1)
        await Session.filter(token_hash=token_digest(token)).update(last_seen_at=almost)
        await asyncio.sleep(20 * OFTEN)  # a score of checks
        assert (await _session_of(token)).last_seen_at == almost
        await client.send({"type": "ping"})
        assert (await client.receive())["type"] == "pong"  # still signed in, still open

        await _idle(watching.gateway, token)
        assert await _closed(client) == ([], 4401)


# ---- API tokens --------------------------------------------------------------------------


async def _api_token(reseller: Reseller) -> tuple[ApiToken, str]:
    token = new_token(API_TOKEN_PREFIX)
    row = await ApiToken.create(reseller=reseller, name="ws test", prefix=token[:12],
                                token_hash=token_digest(token), scopes=["*:read"],
                                expires_at=utcnow() + dt.timedelta(days=30))
    return row, token


async def _revoke(row: ApiToken) -> None:
    await ApiToken.filter(id=row.id).update(revoked_at=utcnow())


async def test_a_revoked_token_runs_no_operation(per_operation: Server) -> None:
    row, token = await _api_token(await make_reseller())
    async with per_operation.client(payload={"authorization": f"Bearer {token}"}) as client:
        await client.subscribe("1", "{ __typename }", {})
        assert (await client.receive())["type"] == "next"
        assert (await client.receive())["type"] == "complete"
        await _revoke(row)
        await client.subscribe("2", "{ __typename }", {})
        assert await _closed(client) == ([], 4401)


async def test_a_socket_whose_token_is_revoked_is_closed(watching: Server) -> None:
    row, token = await _api_token(await make_reseller())
    async with watching.client(headers={"Authorization": f"Bearer {token}"}) as client:
        await client.send({"type": "ping"})
        assert (await client.receive())["type"] == "pong"
        await _revoke(row)
        assert await _closed(client) == ([], 4401)
