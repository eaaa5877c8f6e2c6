"""What an anonymous client can send over graphql-transport-ws: documents that do not parse or
exceed the limits get the protocol's ``error`` message with a code (not a silent ``complete``),
messages that are not the protocol's close the socket with 4400, and none of it leaves an
ERROR (a traceback) in the log. A real server on loopback, a real WebSocket client."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from gateway.plugins import PluginHost
from tests.conftest import make_settings, start_gateway
from tests.gateway.test_subscriptions import (
    JOB_STATUS,
    RECEIVE_TIMEOUT,
    Server,
    waiting_job,
    ws_specs,
)
from tests.support.ws_principal_plugin import bearer

MAX_QUERY_LENGTH = 20_000
MAX_MESSAGE = 100_000


@pytest.fixture
async def server(migrated: str, tmp_path: Path) -> AsyncIterator[Server]:
    settings = make_settings(migrated, tmp_path, max_query_length=MAX_QUERY_LENGTH,
                             max_body_bytes=MAX_MESSAGE)
    host = PluginHost(settings, specs=ws_specs())
    async for gateway in start_gateway(settings, host=host, run_jobs=False):
        async with Server(gateway).running() as running:
            yield running


@pytest.fixture
def errors_logged(caplog: pytest.LogCaptureFixture) -> Any:
    """The records at ERROR or above logged meanwhile (uvicorn, strawberry, the gateway)."""
    caplog.set_level(logging.INFO)

    def errors() -> list[str]:
        return [f"{r.name}: {r.getMessage()}" for r in caplog.records
                if r.levelno >= logging.ERROR]

    return errors


DOCUMENTS: dict[str, tuple[Any, str]] = {
    "unterminated subscription": ({"query": "subscription {"}, "GRAPHQL_PARSE_FAILED"),
    "unterminated query": ({"query": "{ __typename"}, "GRAPHQL_PARSE_FAILED"),
    "not GraphQL": ({"query": "SELECT * FROM users"}, "GRAPHQL_PARSE_FAILED"),
    "too many tokens": ({"query": "{ " + "a " * 5000 + "}"}, "GRAPHQL_PARSE_FAILED"),
    "nested too deeply": ({"query": "{ a " * 500 + "}" * 500}, "GRAPHQL_PARSE_FAILED"),
    "too long": ({"query": "{ __typename }" + " " * MAX_QUERY_LENGTH}, "QUERY_TOO_LONG"),
    "too many aliases": ({"query": "{ " + " ".join(f"a{i}: __typename" for i in range(40))
                          + " }"}, "GRAPHQL_VALIDATION_FAILED"),
    "unknown operation": ({"query": "query A { __typename }", "operationName": "B"},
                          "OPERATION_NOT_FOUND"),
    "empty query": ({"query": ""}, "BAD_REQUEST"),
    "no query": ({"variables": {}}, "BAD_REQUEST"),
    "query not a string": ({"query": 42}, "BAD_REQUEST"),
    "variables not an object": ({"query": "{ __typename }", "variables": [1]}, "BAD_REQUEST"),
    "operationName not a string": ({"query": "{ __typename }", "operationName": 1},
                                   "BAD_REQUEST"),
    "payload not an object": ("{ __typename }", "BAD_REQUEST"),
    "lone surrogate": ({"query": "{ __typename }", "variables": {"v": "\ud800"}},
                       "BAD_USER_INPUT"),
}


@pytest.mark.parametrize("payload", [v[0] for v in DOCUMENTS.values()], ids=list(DOCUMENTS))
async def test_a_bad_document_gets_an_error_message_and_the_socket_goes_on(
    server: Server, errors_logged: Any, payload: Any, request: pytest.FixtureRequest
) -> None:
    code = DOCUMENTS[request.node.callspec.id][1]
    async with server.client() as client:  # anonymous
        await client.send({"id": "bad", "type": "subscribe", "payload": payload})
        reply = await client.receive()
        assert reply["type"] == "error" and reply["id"] == "bad", reply
        assert [e["extensions"]["code"] for e in reply["payload"]] == [code], reply
        assert all(e["message"] for e in reply["payload"])
        # Nothing else about this operation (no "complete"), and the socket still works.
        await client.subscribe("ok", "{ __typename }", {})
        assert await client.receive() == {"id": "ok", "type": "next",
                                          "payload": {"data": {"__typename": "Query"}}}
        assert await client.receive() == {"id": "ok", "type": "complete"}
    assert errors_logged() == []


async def test_the_error_is_in_the_callers_language(server: Server, errors_logged: Any) -> None:
    async with server.client(payload={"authorization": bearer("EMPLOYEE", "fr")}) as client:
        for op_id, payload in (("1", {"query": ""}),
                               ("2", {"query": "{ a }" + " " * MAX_QUERY_LENGTH})):
            await client.send({"id": op_id, "type": "subscribe", "payload": payload})
            reply = await client.receive()
            assert reply["type"] == "error", reply
            assert "requête" in reply["payload"][0]["message"], reply
    assert errors_logged() == []


async def _closed(ws: Any) -> tuple[list[Any], int | None]:
    """Every message until the server closes the socket, and its close code."""
    received = []
    try:
        while True:
            received.append(json.loads(await asyncio.wait_for(ws.recv(), RECEIVE_TIMEOUT)))
    except ConnectionClosed:
        pass
    return received, ws.close_code


MESSAGES = {
    "a list": "[1]",
    "a string": '"connection_init"',
    "a number": "5",
    "null": "null",
    "a type that is not a string": '{"type": 5}',
    "a very long type": json.dumps({"type": "x" * 400}),
    "subscribe without id": json.dumps({"type": "subscribe",
                                        "payload": {"query": "{ __typename }"}}),
    "subscribe with an object id": json.dumps({"type": "subscribe", "id": {"a": 1},
                                               "payload": {"query": "{ __typename }"}}),
    "complete with a list id": json.dumps({"type": "complete", "id": [1]}),
    "deeply nested JSON": "[" * 40_000 + "]" * 40_000,
    "not JSON": "{type: subscribe}",
    "not UTF-8 JSON": b"\xff\xfe",
}


@pytest.mark.parametrize("raw", list(MESSAGES.values()), ids=list(MESSAGES))
async def test_a_message_outside_the_protocol_closes_the_socket_with_4400(
    server: Server, errors_logged: Any, raw: str | bytes
) -> None:
    async with server.client() as client:
        await client.ws.send(raw)
        received, code = await _closed(client.ws)
    assert (received, code) == ([], 4400)
    assert errors_logged() == []


async def test_a_message_over_the_size_limit_closes_the_socket_unread(
    server: Server, errors_logged: Any
) -> None:
    """Longer than the request size limit (GRAPHQL_MAX_BODY_BYTES): closed with 1009 (message
    too big) before it is decoded."""
    async with server.client() as client:
        await client.subscribe("1", "{ __typename }", {"v": "x" * MAX_MESSAGE})
        received, code = await _closed(client.ws)
    assert (received, code) == ([], 1009)
    assert errors_logged() == []


async def test_a_connection_runs_at_most_100_operations(
    server: Server, errors_logged: Any
) -> None:
    _, global_id = await waiting_job("test.record", {"n": 2})
    async with server.client(payload={"authorization": bearer("SYSTEM_ADMIN", "fr")}) as client:
        for n in range(100):
            await client.subscribe(str(n), JOB_STATUS, {"id": global_id})
            assert (await client.receive())["type"] == "next"
        await client.subscribe("one too many", JOB_STATUS, {"id": global_id})
        reply = await client.receive()
        assert reply["id"] == "one too many" and reply["type"] == "error", reply
        assert reply["payload"][0]["extensions"]["code"] == "TOO_MANY_OPERATIONS"
        assert "100 opérations" in reply["payload"][0]["message"]
        # One done, another may start.
        await client.send({"id": "0", "type": "complete"})
        await client.subscribe("next one", JOB_STATUS, {"id": global_id})
        assert (await client.receive())["type"] == "next"
    assert errors_logged() == []


async def test_a_reused_long_operation_id_closes_with_4409(
    server: Server, errors_logged: Any
) -> None:
    """The close reason names the id: a long one is cut to what a close frame can carry."""
    _, global_id = await waiting_job("test.record", {"n": 1})
    op_id = "é" * 300
    async with server.client(payload={"authorization": bearer("SYSTEM_ADMIN")}) as client:
        await client.subscribe(op_id, JOB_STATUS, {"id": global_id})
        assert (await client.receive())["type"] == "next"
        await client.subscribe(op_id, JOB_STATUS, {"id": global_id})
        received, code = await _closed(client.ws)
    assert (received, code) == ([], 4409)
    assert errors_logged() == []


async def test_messages_before_connection_init_are_refused_quietly(
    server: Server, errors_logged: Any
) -> None:
    async with connect(server.url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"id": "1", "type": "subscribe",
                                  "payload": {"query": "{ __typename"}}))
        received, code = await _closed(ws)
    assert (received, code) == ([], 4401)
    assert errors_logged() == []
