"""`gateway serve` as an operator runs it behind a Host-rewriting proxy (PUBLIC_URL is the
proxy's, the process listens on loopback), talked to with a real WebSocket client: a browser on
the public URL subscribes, an Origin equal to the Host is refused, bad documents and junk are
answered by the protocol, a session ended elsewhere closes the socket at its next operation,
and the process logs no error for any of it."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from gateway.identity.models import UserRole
from gateway.identity.sessions import end_session, open_session
from tests.conftest import Gateway
from tests.gateway.test_cli import gateway_env
from tests.gateway.test_serve import (  # noqa: F401  (fixtures)
    free_port,
    http_ok,
    relay_free_gateway,
    spawn,
    wait_until,
)
from tests.support.identity_factory import make_user

PUBLIC_URL = "https://portal.example.com"
TIMEOUT = 15.0


async def _receive(ws: Any) -> Any:
    return json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))


async def _close_code(ws: Any) -> int | None:
    try:
        while True:
            await asyncio.wait_for(ws.recv(), TIMEOUT)
    except ConnectionClosed:
        return ws.close_code  # type: ignore[no-any-return]


async def _run(ws: Any, op_id: str, query: str) -> Any:
    await ws.send(json.dumps({"id": op_id, "type": "subscribe", "payload": {"query": query}}))
    return await _receive(ws)


async def test_serve_behind_a_proxy_over_websocket(
    relay_free_gateway: Gateway, migrated: str, tmp_path: Path, spawn: Any  # noqa: F811
) -> None:
    port = free_port()
    env = gateway_env(tmp_path, DATABASE_URL=migrated, BROKER_URL="memory://",
                      PUBLIC_URL=PUBLIC_URL, SECRET_KEY="test-secret-key-not-for-production")
    server = spawn("serve", "--port", str(port), env=env)
    await wait_until(http_ok(f"http://127.0.0.1:{port}/healthz"), server, "serve start")
    url = f"ws://127.0.0.1:{port}/graphql"
    session, token = await open_session(await make_user(UserRole.SYSTEM_ADMIN))
    browser = {"origin": PUBLIC_URL, "additional_headers": {"Cookie": f"gw_session={token}"},
               "subprotocols": ["graphql-transport-ws"]}

    async with connect(url, **browser) as ws:
        await ws.send(json.dumps({"type": "connection_init"}))
        assert (await _receive(ws))["type"] == "connection_ack"
        reply = await _run(ws, "me", "{ me { role } }")
        assert reply["payload"] == {"data": {"me": {"role": "SYSTEM_ADMIN"}}}, reply
        assert (await _receive(ws))["type"] == "complete"

        reply = await _run(ws, "bad", "{ __typename")
        assert reply["type"] == "error", reply
        assert reply["payload"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"

        await end_session(session)  # signed out elsewhere (another tab's logout)
        await ws.send(json.dumps({"id": "after", "type": "subscribe",
                                  "payload": {"query": "{ me { role } }"}}))
        assert await _close_code(ws) == 4401

    async with connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init"}))
        assert (await _receive(ws))["type"] == "connection_ack"
        await ws.send("[1]")
        assert await _close_code(ws) == 4400

    try:
        await connect(url, **{**browser, "origin": f"http://127.0.0.1:{port}"})
        raise AssertionError("an Origin equal to the Host was let in")
    except InvalidStatus as refused:
        assert refused.response.status_code == 403

    assert server.terminate() == 0, server.output()
    records = server.log_records()
    assert not [r for r in records if r["level"] in ("error", "critical")], server.output()
