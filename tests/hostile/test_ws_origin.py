"""The WebSocket handshake's Origin is checked against the configured PUBLIC_URL, as HTTP
requests are: behind a proxy that rewrites Host (the gateway listens on 127.0.0.1, browsers
reach https://portal.example.com) browser subscriptions work as HTTP does, and an Origin that
merely matches the request's own Host is not trusted. A real server on loopback, a real
WebSocket client sending what a browser sends."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from gateway.plugins import PluginHost
from tests.conftest import make_settings, start_gateway
from tests.gateway.test_subscriptions import JOB_STATUS, Client, Server, waiting_job, ws_specs
from tests.support.ws_principal_plugin import cookie

PUBLIC_URL = "https://portal.example.com"


@pytest.fixture
async def server(migrated: str, tmp_path: Path) -> AsyncIterator[Server]:
    # The gateway is reached through a proxy: PUBLIC_URL is the proxy's, and the Host the
    # gateway sees is its own loopback address and port.
    settings = make_settings(migrated, tmp_path, public_url=f"{PUBLIC_URL}/")
    host = PluginHost(settings, specs=ws_specs())
    async for gateway in start_gateway(settings, host=host, run_jobs=False):
        async with Server(gateway).running() as running:
            yield running


async def _handshake(server: Server, origin: str | None, *, with_cookie: bool = True) -> Any:
    """Open the socket as a browser would (Origin, cookies); the open connection, or the HTTP
    status the handshake was refused with."""
    headers = {"Cookie": cookie("SYSTEM_ADMIN")} if with_cookie else {}
    try:
        return await connect(server.url, subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                             origin=origin, additional_headers=headers)  # type: ignore[arg-type]
    except InvalidStatus as refused:
        return refused.response.status_code


async def _http_status(server: Server, origin: str) -> int:
    response = await server.gateway.client.post(
        "/graphql", json={"query": "{ __typename }"},
        headers={"Origin": origin, "Cookie": cookie("SYSTEM_ADMIN"),
                 "Host": server.url.split("/")[2]})
    return response.status_code


async def test_a_browser_on_the_public_url_subscribes_behind_a_host_rewriting_proxy(
    server: Server
) -> None:
    origin = PUBLIC_URL
    assert await _http_status(server, origin) == 200
    ws = await _handshake(server, origin)
    assert not isinstance(ws, int), f"handshake refused with {ws}"
    async with ws:
        client = Client(ws)
        await client.send({"type": "connection_init", "payload": {}})
        assert (await client.receive())["type"] == "connection_ack"
        _, job_id = await waiting_job("test.record", {"n": 1})
        await client.subscribe("1", JOB_STATUS, {"id": job_id})
        job = await client.next_job("1")
        assert job is not None and job["status"] == "PENDING"


async def test_an_origin_matching_only_the_host_is_refused(server: Server) -> None:
    """The request's own Host is whatever the sender (or a DNS-rebinding page) chose: an
    Origin equal to it proves nothing, over WebSocket as over HTTP."""
    same_as_host = "http://" + server.url.split("/")[2]
    assert await _http_status(server, same_as_host) == 403
    assert await _handshake(server, same_as_host) == 403
    assert await _handshake(server, same_as_host, with_cookie=False) == 403


@pytest.mark.parametrize("with_cookie", [True, False], ids=["with cookie", "without cookie"])
@pytest.mark.parametrize("origin", ["https://evil.example", "http://portal.example.com",
                                    "https://portal.example.com.evil.example", "null"])
async def test_a_foreign_origin_is_refused(server: Server, origin: str,
                                           with_cookie: bool) -> None:
    assert await _handshake(server, origin, with_cookie=with_cookie) == 403


async def test_a_client_that_sends_no_origin_is_not_a_browser(server: Server) -> None:
    ws = await _handshake(server, None)
    assert not isinstance(ws, int), f"handshake refused with {ws}"
    async with ws:
        await ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
