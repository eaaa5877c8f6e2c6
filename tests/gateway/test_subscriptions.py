"""GraphQL subscriptions over graphql-transport-ws: a real server on loopback, a real
WebSocket client, jobs run by the real runtime, events carried by the configured pub/sub
(in-process, or Redis with TEST_BROKER_URL=redis://…)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from strawberry.relay import to_base64
from websockets.asyncio.client import ClientConnection, connect

from gateway import pubsub
from gateway.identity.models import UserRole
from gateway.jobs import enqueue, outbox
from gateway.jobs.relay import wake_relay
from gateway.jobs.status import MESSAGE_COLUMNS, job_channel, job_message
from gateway.models import OutboxJob, OutboxStatus
from gateway.plugins import PluginHost, PluginSpec
from tests.conftest import ROOT, Gateway, make_settings, start_gateway
from tests.support import jobs_plugin
from tests.support.browser import uvicorn_serving
from tests.support.identity_factory import bearer_for, make_user
from tests.support.ws_principal_plugin import bearer, cookie

# A guard against a hung test, not a measure: every awaited message normally comes at once.
RECEIVE_TIMEOUT = 15.0

JOB_STATUS = """
subscription ($id: ID!) {
  jobStatusChanged(id: $id) { id job status attempts lastError finishedAt }
}
"""
RERUN = """
mutation ($id: ID!) { rerunJob(input: {id: $id}) { job { status } errors { code } } }
"""

REDIS_URL = os.environ.get("TEST_BROKER_URL", "")
WITH_REDIS = REDIS_URL.startswith("redis://")


def ws_specs() -> list[PluginSpec]:
    return [
        PluginSpec(name="testjobs", module="tests.support.jobs_plugin", source="built in"),
        PluginSpec(name="wsprincipal", module="tests.support.ws_principal_plugin",
                   source="built in"),
    ]


class Server:
    """The app served by uvicorn on a free loopback port, in this test's event loop."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.app = gateway.app
        self.url = ""

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Server]:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.url = f"ws://127.0.0.1:{sock.getsockname()[1]}/graphql"
        # The lifespan is already running (start_gateway): uvicorn only serves.
        try:
            async with uvicorn_serving(self.app, sock, ws="websockets-sansio"):
                yield self
        finally:
            sock.close()

    @contextlib.asynccontextmanager
    async def client(
        self, *, payload: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> AsyncIterator[Client]:
        async with connect(self.url, subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                           additional_headers=headers or {}) as ws:
            assert ws.subprotocol == "graphql-transport-ws"
            client = Client(ws)
            await client.send({"type": "connection_init", "payload": payload or {}})
            assert (await client.receive())["type"] == "connection_ack"
            yield client


class Client:
    """The client side of graphql-transport-ws."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(message))

    async def receive(self) -> dict[str, Any]:
        message = json.loads(await asyncio.wait_for(self.ws.recv(), RECEIVE_TIMEOUT))
        assert isinstance(message, dict)
        return message

    async def subscribe(self, op_id: str, query: str, variables: dict[str, Any]) -> None:
        await self.send({"id": op_id, "type": "subscribe",
                         "payload": {"query": query, "variables": variables}})

    async def next_job(self, op_id: str) -> dict[str, Any] | None:
        """The job of the next ``next`` message, or None when the operation completed."""
        message = await self.receive()
        assert message.get("id") == op_id, message
        if message["type"] == "complete":
            return None
        assert message["type"] == "next", message
        assert "errors" not in message["payload"], message
        job = message["payload"]["data"]["jobStatusChanged"]
        assert isinstance(job, dict)
        return job

    async def jobs_until(self, op_id: str, *statuses: str) -> list[dict[str, Any]]:
        """Every job state received until one has one of ``statuses`` (inclusive)."""
        jobs: list[dict[str, Any]] = []
        while True:
            job = await self.next_job(op_id)
            assert job is not None, f"completed before {statuses}: {jobs}"
            jobs.append(job)
            if job["status"] in statuses:
                return jobs


@pytest.fixture
async def server(migrated: str, tmp_path: Path) -> AsyncIterator[Server]:
    jobs_plugin.effects.clear()
    jobs_plugin.failures_left.clear()
    settings = make_settings(migrated, tmp_path)
    host = PluginHost(settings, specs=ws_specs())
    async for gateway in start_gateway(
        settings, host=host,
        job_options={"relay_interval": 0.05, "scheduler_tick": 0.2, "in_process_workers": True},
    ):
        async with Server(gateway).running() as running:
            yield running


async def waiting_job(job: str, payload: dict[str, Any]) -> tuple[int, str]:
    """A job not due for an hour, so a test subscribes before anything happens to it."""
    row = await enqueue(job, payload, run_after=outbox.utcnow() + dt.timedelta(hours=1))
    assert row is not None
    return row.id, to_base64("OutboxJob", row.id)


async def _make_due(job_id: int) -> None:
    await OutboxJob.filter(id=job_id).update(run_after=outbox.utcnow())
    wake_relay()


@pytest.mark.parametrize("how", ["connection_init payload", "header", "cookie"])
async def test_system_admin_follows_a_job_until_it_is_done(server: Server, how: str) -> None:
    admin = {
        "connection_init payload": {"payload": {"authorization": bearer("SYSTEM_ADMIN")}},
        "header": {"headers": {"Authorization": bearer("SYSTEM_ADMIN")}},
        "cookie": {"headers": {"Cookie": cookie("SYSTEM_ADMIN")}},
    }[how]
    job_id, global_id = await waiting_job("test.record", {"n": 1})
    async with server.client(**admin) as client:
        await client.subscribe("1", JOB_STATUS, {"id": global_id})
        first = await client.next_job("1")
        assert first is not None
        assert (first["id"], first["job"], first["status"]) == (global_id, "test.record",
                                                                "PENDING")

        await _make_due(job_id)
        jobs = await client.jobs_until("1", "DONE", "FAILED")
        assert [j["status"] for j in jobs] == ["QUEUED", "RUNNING", "DONE"]
        assert jobs[-1]["attempts"] == 1 and jobs[-1]["finishedAt"] is not None
        # A done job changes no more: the server ends the operation.
        assert await client.next_job("1") is None
    assert [e["n"] for e in jobs_plugin.effects if "n" in e] == [1]


async def test_failed_job_is_announced_then_its_rerun(server: Server) -> None:
    jobs_plugin.failures_left["ws"] = 10
    job_id, global_id = await waiting_job("test.flaky", {"key": "ws"})
    async with server.client(payload={"authorization": bearer("SYSTEM_ADMIN")}) as client:
        await client.subscribe("job", JOB_STATUS, {"id": global_id})
        first = await client.next_job("job")
        assert first is not None and first["status"] == "PENDING"

        await _make_due(job_id)
        jobs = await client.jobs_until("job", "FAILED", "DONE")
        # Retries go back to PENDING between attempts; the relay may pick a retry up before
        # its PENDING is announced, so only the other states' order is certain.
        assert [j["status"] for j in jobs if j["status"] != "PENDING"] == [
            "QUEUED", "RUNNING", "QUEUED", "RUNNING", "QUEUED", "RUNNING", "FAILED"
        ]
        assert jobs[-1]["attempts"] == 3 and "flaky failure for ws" in jobs[-1]["lastError"]

        # An operator re-runs it (over HTTP, as a real person: staff mutations are audited);
        # the subscriber sees it start again and finish.
        jobs_plugin.failures_left["ws"] = 0
        operator = await bearer_for(await make_user(UserRole.SYSTEM_ADMIN))
        rerun = await server.gateway.graphql(RERUN, {"id": global_id}, **operator)
        # The relay may already have picked it up when the mutation answers.
        assert rerun["data"]["rerunJob"]["errors"] == []
        assert rerun["data"]["rerunJob"]["job"]["status"] in ("PENDING", "QUEUED")
        jobs = await client.jobs_until("job", "DONE")
        assert [j["status"] for j in jobs if j["status"] != "PENDING"] == [
            "QUEUED", "RUNNING", "DONE"
        ]
        assert jobs[-1]["lastError"] is None
        assert await client.next_job("job") is None
    assert [e["key"] for e in jobs_plugin.effects if "key" in e] == ["ws"]


async def test_changes_lost_by_the_pubsub_are_read_from_the_job(server: Server) -> None:
    """The pub/sub loses its connection while the job runs to the end (Redis restarting): once
    it is back, the subscriber gets the job as it now is, read from its row, and the operation
    ends; it does not wait for an announcement that will never come."""
    from tests.support.pubsub_gap import events_lost

    bus = pubsub.current()
    assert bus is not None
    job_id, global_id = await waiting_job("test.record", {"n": 7})
    async with server.client(payload={"authorization": bearer("SYSTEM_ADMIN")}) as client:
        await client.subscribe("1", JOB_STATUS, {"id": global_id})
        first = await client.next_job("1")
        assert first is not None and first["status"] == "PENDING"
        async with events_lost(bus, job_channel(job_id)):
            await _make_due(job_id)
            deadline = asyncio.get_running_loop().time() + RECEIVE_TIMEOUT
            while (await OutboxJob.get(id=job_id)).status != OutboxStatus.DONE:
                assert asyncio.get_running_loop().time() < deadline, "the job did not run"
                await asyncio.sleep(0.02)
        done = await client.next_job("1")
        assert done is not None and (done["status"], done["attempts"]) == ("DONE", 1)
        assert await client.next_job("1") is None


@pytest.mark.parametrize(
    ("connection", "code", "message"),
    [
        ({}, "UNAUTHENTICATED", "You are not signed in."),
        ({"payload": {"authorization": bearer("RESELLER_ADMIN")}}, "FORBIDDEN",
         "You are not allowed to do this."),
        ({"headers": {"Cookie": cookie("EMPLOYEE", "fr")}}, "FORBIDDEN",
         "Vous n'êtes pas autorisé à faire ceci."),
        # The connection_init payload names the caller even over the handshake's cookie.
        ({"headers": {"Cookie": cookie("SYSTEM_ADMIN")},
          "payload": {"authorization": bearer("COMPANY_ADMIN")}}, "FORBIDDEN",
         "You are not allowed to do this."),
    ],
    ids=["anonymous", "reseller admin", "employee in French", "payload over cookie"],
)
async def test_only_system_admins_may_follow_jobs(
    server: Server, connection: dict[str, Any], code: str, message: str
) -> None:
    job_id, global_id = await waiting_job("test.record", {"n": 2})
    async with server.client(**connection) as client:
        await client.subscribe("1", JOB_STATUS, {"id": global_id})
        reply = await client.receive()
        assert reply["type"] == "error" and reply["id"] == "1", reply
        assert [(e["message"], e["extensions"]["code"]) for e in reply["payload"]] == [
            (message, code)
        ]
        # The refused caller is not subscribed: the job running later sends nothing here, and
        # the connection still answers.
        await _make_due(job_id)
        await client.send({"type": "ping"})
        assert (await client.receive())["type"] == "pong"
    bus = pubsub.current()
    assert bus is not None and bus.subscriber_count(job_channel(job_id)) == 0


async def test_unknown_job_is_not_found(server: Server) -> None:
    async with server.client(payload={"authorization": bearer("SYSTEM_ADMIN")}) as client:
        for op_id, raw in (("a", to_base64("OutboxJob", 999_999)), ("b", "not-an-id"),
                           ("c", to_base64("User", 1))):
            await client.subscribe(op_id, JOB_STATUS, {"id": raw})
            reply = await client.receive()
            assert reply["type"] == "error" and reply["id"] == op_id, reply
            assert [e["extensions"]["code"] for e in reply["payload"]] == ["NOT_FOUND"]
    bus = pubsub.current()
    assert bus is not None and bus.subscriber_count(job_channel(999_999)) == 0


@pytest.mark.parametrize("how", ["complete", "disconnect"])
async def test_a_client_that_stops_listening_is_unsubscribed(server: Server, how: str) -> None:
    job_id, global_id = await waiting_job("test.record", {"n": 3})
    bus = pubsub.current()
    assert bus is not None
    async with server.client(payload={"authorization": bearer("SYSTEM_ADMIN")}) as client:
        await client.subscribe("1", JOB_STATUS, {"id": global_id})
        assert (await client.next_job("1")) is not None
        assert bus.subscriber_count(job_channel(job_id)) == 1
        if how == "complete":
            await client.send({"id": "1", "type": "complete"})
            await client.send({"type": "ping"})
            assert (await client.receive())["type"] == "pong"
    # Left the block: a "disconnect" closes the WebSocket with the operation still running.

    async def released() -> bool:
        return bus.subscriber_count(job_channel(job_id)) == 0

    await _wait_for(released)


async def test_jobs_still_run_when_the_pubsub_is_down(migrated: str, tmp_path: Path) -> None:
    """Publishing never fails the job: with Redis unreachable the job is done all the same,
    and a subscriber is told live updates are unavailable."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"redis://127.0.0.1:{sock.getsockname()[1]}/0"
    settings = make_settings(migrated, tmp_path, pubsub_url=dead)
    host = PluginHost(settings, specs=ws_specs())
    # aclosing: a failed assertion still runs the lifespan's shutdown (closes the database).
    running = start_gateway(
        settings, host=host, job_options={"relay_interval": 0.05, "in_process_workers": True}
    )
    async with contextlib.aclosing(running):  # type: ignore[type-var]
        gateway = await anext(running)
        assert isinstance(gateway.app.state.pubsub, pubsub.RedisPubSub)
        job_id, global_id = await waiting_job("test.record", {"n": 4})
        async with Server(gateway).running() as server:
            async with server.client(payload={"authorization": bearer("SYSTEM_ADMIN")}) as client:
                await client.subscribe("1", JOB_STATUS, {"id": global_id})
                reply = await client.receive()
                assert reply["type"] == "next", reply
                assert [e["extensions"]["code"] for e in reply["payload"]["errors"]] == [
                    "UNAVAILABLE"
                ]
                assert await client.next_job("1") is None
        await _make_due(job_id)

        async def done() -> bool:
            return (await OutboxJob.get(id=job_id)).status == OutboxStatus.DONE

        await _wait_for(done)
    assert [e["n"] for e in jobs_plugin.effects if "n" in e] == [4]


async def _wait_for(predicate: Any, timeout: float = RECEIVE_TIMEOUT) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


_PUBLISHER = """
import asyncio, json, sys
from gateway.pubsub import RedisPubSub

async def main():
    url, prefix, channel = sys.argv[1:4]
    bus = RedisPubSub(url, prefix=prefix)
    for line in sys.stdin:
        await bus.publish(channel, json.loads(line))
    await bus.close()

asyncio.run(main())
"""


async def _publish_elsewhere(bus: pubsub.PubSub, channel: str,
                             messages: list[dict[str, Any]]) -> None:
    """Publish as a worker would: another process through Redis, else another thread (the
    in-process broker's worker threads) with an event loop of its own."""
    if isinstance(bus, pubsub.RedisPubSub):
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", _PUBLISHER, bus.url, bus.prefix, channel,
            stdin=asyncio.subprocess.PIPE, cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        lines = "".join(json.dumps(m) + "\n" for m in messages)
        await process.communicate(lines.encode())
        assert process.returncode == 0
        return

    async def publish_all() -> None:
        for message in messages:
            await bus.publish(channel, message)

    await asyncio.to_thread(asyncio.run, publish_all())


async def test_a_change_published_elsewhere_reaches_the_subscriber(server: Server) -> None:
    """A worker elsewhere changes the job and announces it; this process's subscriber hears it.
    With TEST_BROKER_URL=redis://… the pub/sub is Redis and the publisher another process."""
    bus = server.app.state.pubsub
    assert isinstance(bus, pubsub.RedisPubSub if WITH_REDIS else pubsub.InProcessPubSub)
    job_id, global_id = await waiting_job("test.record", {"n": 5})
    async with server.client(payload={"authorization": bearer("SYSTEM_ADMIN")}) as client:
        await client.subscribe("1", JOB_STATUS, {"id": global_id})
        first = await client.next_job("1")
        assert first is not None and first["status"] == "PENDING"

        messages = []
        for status in (OutboxStatus.RUNNING, OutboxStatus.DONE):
            now = outbox.utcnow()
            await OutboxJob.filter(id=job_id).update(
                status=status, attempts=1, updated_at=now,
                finished_at=now if status == OutboxStatus.DONE else None,
            )
            row = (await OutboxJob.filter(id=job_id).values(*MESSAGE_COLUMNS))[0]
            messages.append(job_message(row))
        await _publish_elsewhere(bus, job_channel(job_id), messages)

        jobs = await client.jobs_until("1", "DONE")
        assert [j["status"] for j in jobs] == ["RUNNING", "DONE"]
        assert await client.next_job("1") is None
