"""End to end: two real ``gateway serve`` processes sharing one database and one Redis, real
WebSocket clients. A subscriber (a browser on the public URL, signed in with its session
cookie) on one process and a support agent (a bearer token) on the other converse; a third
tenant's clients, subscribed meanwhile, receive nothing; the subscriber's connection is killed,
messages are written meanwhile, and it catches up on the other process with ``afterMessage``."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from tests.conftest import Gateway, make_settings, start_gateway
from tests.gateway.test_cli import gateway_env
from tests.gateway.test_serve import (  # noqa: F401  (fixtures)
    free_port,
    http_ok,
    spawn,
    wait_until,
)
from tests.hostile.test_worker_killed import _redis_url
from tests.plugins.chat.live_support import (
    DUTY,
    EVENTS,
    MESSAGES,
    OPEN,
    QUEUE_EVENTS,
    SEND,
    TAKE,
    make_chat,
)

PUBLIC_URL = "https://portal.example.com"
TIMEOUT = 15.0
QUIET = 0.3

pytestmark = pytest.mark.redis


@pytest.fixture
async def here(migrated: str, tmp_path: Path) -> Any:
    """This test's own app, no job runtime: it only writes the people and their sessions."""
    async for running in start_gateway(make_settings(migrated, tmp_path), run_jobs=False):
        yield running


class Process:
    def __init__(self, port: int) -> None:
        self.http = f"http://127.0.0.1:{port}/graphql"
        self.ws = f"ws://127.0.0.1:{port}/graphql"

    async def graphql(self, headers: dict[str, str], query: str, **variables: Any
                      ) -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=TIMEOUT) as client:
            response = await client.post(self.http, headers=headers,
                                         json={"query": query, "variables": variables})
        body = response.json()
        assert "errors" not in body, body
        (payload,) = body["data"].values()
        assert not payload.get("errors"), payload
        return payload  # type: ignore[no-any-return]

    async def socket(self, headers: dict[str, str], origin: str | None = None
                     ) -> ClientConnection:
        ws = await connect(self.ws, subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                           additional_headers=headers, origin=origin)  # type: ignore[arg-type]
        await ws.send(json.dumps({"type": "connection_init"}))
        assert (await receive(ws))["type"] == "connection_ack"
        return ws


async def receive(ws: ClientConnection) -> dict[str, Any]:
    message = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
    assert isinstance(message, dict)
    return message


async def subscribe(ws: ClientConnection, op_id: str, query: str, **variables: Any) -> None:
    await ws.send(json.dumps({"id": op_id, "type": "subscribe",
                              "payload": {"query": query, "variables": variables}}))
    await quiet(ws)  # subscribed once a later ping is answered with nothing before it


async def quiet(ws: ClientConnection) -> None:
    await ws.send(json.dumps({"type": "ping"}))
    assert (await receive(ws))["type"] == "pong"
    try:
        extra = await asyncio.wait_for(ws.recv(), QUIET)
    except TimeoutError:
        return
    raise AssertionError(f"unexpected message: {extra!r}")


async def data(ws: ClientConnection, op_id: str) -> dict[str, Any]:
    message = await receive(ws)
    assert message.get("id") == op_id and message["type"] == "next", message
    (value,) = message["payload"]["data"].values()
    assert isinstance(value, dict)
    return value


def cookie(headers: dict[str, str]) -> dict[str, str]:
    return {"Cookie": "gw_session=" + headers["Authorization"].removeprefix("Bearer ")}


async def test_two_processes_share_the_conversation_through_redis(
    here: Gateway, migrated: str, tmp_path: Path, spawn: Any  # noqa: F811
) -> None:
    redis_url = _redis_url()
    if redis_url is None:
        pytest.skip("no Redis answers (set TEST_BROKER_URL=redis://…)")
    processes = []
    for _ in range(2):  # started together (neither has a migration to apply)
        port = free_port()
        # Not GATEWAY_ENV=test: both processes must use the same Redis channels.
        env = gateway_env(tmp_path, DATABASE_URL=migrated, BROKER_URL="memory://",
                          PUBSUB_URL=redis_url, PUBLIC_URL=PUBLIC_URL,
                          SECRET_KEY="test-secret-key-not-for-production")
        processes.append((spawn("serve", "--port", str(port), env=env), Process(port)))
    # The people and their sessions are written while the processes start.
    alpha = await make_chat("Alpha Deux Processus")
    beta = await make_chat("Beta Third Tenant")
    for running, process in processes:
        await wait_until(http_ok(process.http.replace("/graphql", "/healthz")), running,
                         "serve start")
    (serve_a, a), (serve_b, b) = processes
    agent, subscriber = alpha.headers["staff"], alpha.headers["employee"]

    # A browser on another origin is refused even with the session cookie.
    with pytest.raises(InvalidStatus) as foreign:
        await a.socket(cookie(subscriber), origin="https://evil.example")
    assert foreign.value.response.status_code == 403

    await b.graphql(agent, DUTY, input={"onDuty": True})
    await a.graphql(beta.headers["staff"], DUTY, input={"onDuty": True})
    agent_ws = await b.socket(agent)
    third_queue = await a.socket(beta.headers["staff"])
    await subscribe(agent_ws, "queue", QUEUE_EVENTS)
    await subscribe(third_queue, "queue", QUEUE_EVENTS)

    opened = await a.graphql(subscriber, OPEN, input={"text": "Allô?", "language": "fr"})
    cid = opened["conversation"]["id"]
    assert (await data(agent_ws, "queue"))["conversation"]["id"] == cid  # from A through Redis

    browser = await a.socket(cookie(subscriber), origin=PUBLIC_URL)
    await subscribe(browser, "c", EVENTS, c=cid)
    third_ws = await b.socket(beta.headers["employee"])
    await third_ws.send(json.dumps({"id": "spy", "type": "subscribe", "payload": {
        "query": EVENTS, "variables": {"c": cid}}}))
    spy = await receive(third_ws)
    assert spy["type"] == "error" and spy["payload"][0]["extensions"]["code"] == "NOT_FOUND"

    await b.graphql(agent, TAKE, input={"conversationId": cid})
    assert (await data(agent_ws, "queue"))["kind"] == "TAKEN"
    assert (await data(browser, "c"))["message"]["kind"] == "TAKEN"
    await subscribe(agent_ws, "c", EVENTS, c=cid)

    hello = await b.graphql(agent, SEND, input={"conversationId": cid, "text": "Bonjour!"})
    got = await data(browser, "c")
    assert (got["message"]["id"], got["message"]["text"]) == (hello["message"]["id"], "Bonjour!")
    assert (await data(agent_ws, "c"))["message"]["id"] == hello["message"]["id"]
    reply = await a.graphql(subscriber, SEND, input={"conversationId": cid, "text": "Merci"})
    assert (await data(agent_ws, "c"))["message"]["id"] == reply["message"]["id"]
    assert (await data(browser, "c"))["message"]["id"] == reply["message"]["id"]

    # The subscriber's connection dies (no close handshake); the agent writes twice meanwhile.
    browser.transport.abort()
    missed = [await b.graphql(agent, SEND, input={"conversationId": cid, "text": text})
              for text in ("Êtes-vous là?", "Je reste en ligne.")]
    for _ in missed:
        await data(agent_ws, "c")
    # It catches up by query on either process, or by resubscribing after its last message.
    async with httpx.AsyncClient() as client:
        page = (await client.post(b.http, headers=subscriber, json={
            "query": MESSAGES, "variables": {"c": cid, "after": reply["message"]["id"]}})).json()
    assert [m["text"] for m in page["data"]["chatMessages"]["nodes"]] == [
        "Êtes-vous là?", "Je reste en ligne."]
    resumed = await b.socket(cookie(subscriber), origin=PUBLIC_URL)
    await resumed.send(json.dumps({"id": "c", "type": "subscribe", "payload": {
        "query": EVENTS, "variables": {"c": cid, "after": reply["message"]["id"]}}}))
    assert [(await data(resumed, "c"))["message"]["id"] for _ in missed] == [
        m["message"]["id"] for m in missed]
    last = await b.graphql(agent, SEND, input={"conversationId": cid, "text": "Voilà."})
    assert (await data(resumed, "c"))["message"]["id"] == last["message"]["id"]

    # The third tenant heard nothing of it all.
    await quiet(third_queue)
    await quiet(third_ws)
    for ws in (agent_ws, third_queue, third_ws, resumed):
        await ws.close()
    for running in (serve_a, serve_b):
        assert running.terminate() == 0, running.output()
        errors = [r for r in running.log_records() if r["level"] in ("error", "critical")]
        assert not errors, running.output()
