"""The real processes: `gateway serve` and `gateway worker` started as an operator starts them,
talked to over the network, and stopped with SIGTERM."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.jobs import enqueue
from gateway.models import OutboxJob, OutboxStatus
from tests.conftest import ROOT, Gateway, make_settings, start_gateway
from tests.gateway.test_cli import GATEWAY, gateway_env, sqlite_tables

START_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Running:
    """A gateway process whose output goes to files (a pipe would fill up and block it)."""

    process: subprocess.Popen[bytes]
    stdout: Path
    stderr: Path

    def output(self) -> str:
        stderr = self.stderr.read_text()[-4000:]
        return f"stdout:\n{self.stdout.read_text()}\nstderr (end):\n{stderr}"

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            raise AssertionError(f"the process exited with {self.process.returncode}\n"
                                 + self.output())

    def terminate(self, timeout: float = 30.0) -> int:
        """SIGTERM, then the exit code; a process that hangs is killed and the test fails."""
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"no exit within {timeout}s of SIGTERM\n" + self.output())

    def log_records(self) -> list[dict[str, Any]]:
        """Every line on stderr, each of which must be one JSON object."""
        records = []
        for line in self.stderr.read_text().splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                raise AssertionError(f"a log line is not JSON: {line!r}") from None
            assert isinstance(record, dict), line
            records.append(record)
        return records


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Any]:
    """Start `gateway <args>`; whatever is still running at the end of the test is killed."""
    started: list[Running] = []

    def start(*args: str, env: dict[str, str]) -> Running:
        assert GATEWAY is not None
        name = f"{args[0]}-{len(started)}"
        out, err = tmp_path / f"{name}.out", tmp_path / f"{name}.err"
        with out.open("wb") as stdout, err.open("wb") as stderr:
            process = subprocess.Popen([GATEWAY, *args], cwd=ROOT, env=env,
                                       stdout=stdout, stderr=stderr)
        running = Running(process, out, err)
        started.append(running)
        return running

    yield start
    for running in started:
        if running.process.poll() is None:
            running.process.kill()
            running.process.wait()


async def wait_until(check: Any, running: Running, what: str,
                     timeout: float = START_TIMEOUT) -> Any:
    """Poll ``check`` (sync or async) until it returns a truthy value; fail if the process dies."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        running.check_alive()
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if loop.time() > deadline:
            raise AssertionError(f"{what}: not within {timeout}s\n" + running.output())
        await asyncio.sleep(0.1)


def http_ok(url: str) -> Any:
    def check() -> bool:
        try:
            return httpx.get(url, timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    return check


async def test_serve_migrates_serves_graphql_logs_json_and_stops_on_sigterm(
    tmp_path: Path, spawn: Any
) -> None:
    port = free_port()
    var = tmp_path / "var"
    database = var / "gateway.sqlite3"
    assert not database.exists()
    server = spawn("serve", "--port", str(port), env=gateway_env(tmp_path, BROKER_URL="memory://"))
    base = f"http://127.0.0.1:{port}"
    await wait_until(http_ok(f"{base}/healthz"), server, "GET /healthz answering 200")

    # Migrations were applied by the start itself, on the embedded SQLite default.
    assert "core_outbox_job" in sqlite_tables(database)
    assert httpx.get(f"{base}/readyz").json()["checks"] == {"database": "ok", "broker": "ok"}

    request_id = f"serve-test-{uuid.uuid4().hex[:12]}"
    response = httpx.post(
        f"{base}/graphql",
        json={"query": "query Probe { __typename }", "operationName": "Probe"},
        headers={"X-Request-ID": request_id},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"__typename": "Query"}}
    # The server's own id answers; the client's is logged beside it, never instead of it.
    assert response.headers["x-request-id"] not in ("", request_id)

    assert server.terminate() == 0, server.output()
    assert f"Gateway: {base}/graphql" in server.stdout.read_text()
    records = server.log_records()
    assert all("request_id" in r and "level" in r and "message" in r for r in records)
    ours = response.headers["x-request-id"]
    mine = [r for r in records if r.get("client_request_id") == request_id]
    assert mine and all(r["request_id"] == ours for r in mine), server.output()
    assert any(r["logger"] == "gateway.http" and r["message"].startswith("POST /graphql")
               for r in mine), server.output()
    assert not [r for r in records if r["level"] in ("error", "critical")], server.output()
    assert records[-1]["message"].startswith("Finished server process")


async def test_serve_on_port_0_prints_the_port_it_bound(tmp_path: Path, spawn: Any) -> None:
    import re

    def printed(running: Running) -> re.Match[str] | None:
        return re.search(r"^Gateway: (\S+)/graphql  \((.*)\)$", running.stdout.read_text(),
                         re.MULTILINE)

    server = spawn("serve", "--port", "0", env=gateway_env(tmp_path, BROKER_URL="memory://"))
    shown = await wait_until(lambda: printed(server), server, "the URL printed")
    url = shown.group(1)
    port = int(url.rpartition(":")[2])
    assert url == f"http://127.0.0.1:{port}" and port > 0, server.output()
    # The printed URL is the server's (links in emails follow it too).
    await wait_until(http_ok(f"{url}/healthz"), server, "GET /healthz on the printed port")
    assert server.terminate() == 0, server.output()

    # Behind a proxy (PUBLIC_URL), the port really bound is said beside it.
    proxied = spawn("serve", "--port", "0", env=gateway_env(
        tmp_path, BROKER_URL="memory://", PUBLIC_URL="https://gateway.example.com"))
    shown = await wait_until(lambda: printed(proxied), proxied, "the URL printed")
    assert shown.group(1) == "https://gateway.example.com", proxied.output()
    listening = re.match(r"listening on 127\.0\.0\.1:(\d+), env=", shown.group(2))
    assert listening and int(listening.group(1)) > 0, proxied.output()
    await wait_until(http_ok(f"http://127.0.0.1:{listening.group(1)}/healthz"), proxied,
                     "GET /healthz on the port printed")
    assert proxied.terminate() == 0, proxied.output()


def _broker_for_worker_test() -> str:
    """TEST_BROKER_URL when given; else the local Redis when it answers; else memory://."""
    configured = os.environ.get("TEST_BROKER_URL")
    if configured:
        return configured
    import redis

    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_connect_timeout=1).ping()
    except redis.RedisError:
        return "memory://"
    return "redis://127.0.0.1:6379/0"


@pytest.fixture
async def relay_free_gateway(migrated: str, tmp_path: Path) -> AsyncIterator[Gateway]:
    """The test's own app with no job runtime: what it enqueues can only run elsewhere."""
    async for running in start_gateway(make_settings(migrated, tmp_path), run_jobs=False):
        yield running


async def test_a_job_enqueued_here_is_run_by_another_gateway_process(
    relay_free_gateway: Gateway, migrated: str, tmp_path: Path, spawn: Any
) -> None:
    """With redis:// (or amqp://) a `gateway worker` runs it; with memory:// the one-process
    `gateway serve` does, workers included."""
    broker_url = _broker_for_worker_test()
    plugins_file = tmp_path / "plugins.toml"
    plugins_file.write_text('[plugins.testjobs]\nmodule = "tests.support.jobs_plugin"\n')
    # GATEWAY_ENV=test: the worker picks a Redis namespace of its own, so no other worker
    # sharing this Redis can take the job.
    env = gateway_env(tmp_path, DATABASE_URL=migrated, BROKER_URL=broker_url,
                      GATEWAY_PLUGINS_FILE=str(plugins_file), GATEWAY_ENV="test",
                      SECRET_KEY="test-secret-key-not-for-production")
    if broker_url.startswith("memory://"):
        port = free_port()
        runner = spawn("serve", "--port", str(port), env=env)
        await wait_until(http_ok(f"http://127.0.0.1:{port}/healthz"), runner, "serve start")
    else:
        runner = spawn("worker", "--threads", "2", env=env)
        await wait_until(lambda: "Worker: 2 threads on" in runner.stdout.read_text(),
                         runner, "worker start")

    row = await enqueue("test.record", {"from": "the test process"})
    assert row is not None

    async def finished() -> OutboxJob | None:
        job = await OutboxJob.get(id=row.id)
        return job if job.status in (OutboxStatus.DONE, OutboxStatus.FAILED) else None

    job = await wait_until(finished, runner, f"job {row.id} done")
    assert (job.status, job.attempts, job.last_error) == (OutboxStatus.DONE, 1, None)

    assert runner.terminate() == 0, runner.output()
    records = runner.log_records()
    assert not [r for r in records if r["level"] in ("error", "critical")], runner.output()
