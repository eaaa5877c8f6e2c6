"""What an operator sees: /healthz, /readyz through a database outage, /metrics, JSON logs."""

from __future__ import annotations

import io
import json
import logging
import os
import sqlite3
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from tortoise import connections

from gateway.jobs import enqueue
from gateway.models import OutboxJob, OutboxStatus
from gateway.observability import (
    JsonFormatter,
    RequestIdFilter,
    configure_logging,
    request_id_var,
)
from gateway.plugins import PluginHost, PluginSpec
from tests.conftest import Gateway, _base_database_url, make_settings, start_gateway
from tests.gateway.test_jobs import wait_for
from tests.support import jobs_plugin, ops_plugin

ADMIN = {ops_plugin.ROLE_HEADER: "SYSTEM_ADMIN"}


def specs() -> list[PluginSpec]:
    return [
        PluginSpec(name="ops", module="tests.support.ops_plugin", source="built in"),
        PluginSpec(name="testjobs", module="tests.support.jobs_plugin", source="built in"),
    ]


async def ops_gateway(database_url: str, tmp_path: Path) -> AsyncIterator[Gateway]:
    settings = make_settings(database_url, tmp_path)
    async for running in start_gateway(
        settings, host=PluginHost(settings, specs=specs()),
        job_options={"relay_interval": 0.05, "scheduler_tick": 0.2, "in_process_workers": True},
    ):
        yield running


@pytest.fixture
async def ops(migrated: str, tmp_path: Path) -> AsyncIterator[Gateway]:
    jobs_plugin.effects.clear()
    jobs_plugin.failures_left.clear()
    async for running in ops_gateway(migrated, tmp_path):
        yield running


async def test_healthz_answers_without_the_database(ops: Gateway) -> None:
    response = await ops.client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


async def test_a_failing_route_answers_500_with_the_request_id_and_logs_the_trace(
    ops: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    response = await ops.client.get("/ops/crash", headers={"accept-language": "fr"})
    assert response.status_code == 500
    request_id = response.headers["x-request-id"]
    assert response.json() == {"errors": [{
        "message": f"Erreur interne inattendue (requête {request_id}).",
        "extensions": {"code": "INTERNAL_ERROR", "requestId": request_id},
    }]}
    [record] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert getattr(record, "request_id") == request_id and record.exc_info is not None
    assert "a plugin route's bug" in str(record.exc_info[1])


# ---- /metrics ---------------------------------------------------------------------------


async def scrape(gateway: Gateway) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of /metrics, parsed as Prometheus does, keyed by (name, labels)."""
    response = await gateway.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str,
          **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def test_metrics_count_named_operations_and_their_latency(ops: Gateway) -> None:
    before = await scrape(ops)
    signed_in = {ops_plugin.ROLE_HEADER: "SYSTEM_ADMIN"}
    for _ in range(2):
        assert await ops.graphql("query MyOp { double(n: 1) }", **signed_in) == {
            "data": {"double": 2}}
    await ops.client.post("/graphql", json={"query": "query MyOp { nope }"}, headers=signed_in)
    await ops.graphql("{ boom }")
    after = await scrape(ops)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("gateway_graphql_requests_total", operation="MyOp", outcome="ok") == 2
    assert grew("gateway_graphql_requests_total", operation="MyOp", outcome="error") == 1
    assert grew("gateway_graphql_requests_total", operation="anonymous", outcome="error") == 1
    assert grew("gateway_graphql_latency_seconds_count", operation="MyOp") == 3
    assert grew("gateway_graphql_latency_seconds_bucket", operation="MyOp", le="+Inf") == 3
    assert value(after, "gateway_graphql_latency_seconds_sum", operation="MyOp") > 0
    # HTTP requests are labelled by route template, whatever path was asked for.
    await ops.client.get("/no/such/page-1")
    await ops.client.get("/no/such/page-2")
    final = await scrape(ops)
    assert value(final, "gateway_http_requests_total", route="unmatched", status="404") - value(
        after, "gateway_http_requests_total", route="unmatched", status="404") == 2
    assert value(final, "gateway_http_requests_total", route="/graphql", status="200") >= 4
    assert not any("page-1" in str(labels) for _, labels in final)


async def test_operation_names_cannot_flood_the_metrics(ops: Gateway, monkeypatch: Any) -> None:
    from gateway import observability

    monkeypatch.setattr(observability, "_MAX_OPERATION_LABELS", 0)
    monkeypatch.setattr(observability, "_operation_labels", set())
    before = await scrape(ops)
    for n in range(3):
        await ops.graphql(f"query Flood{n} {{ double(n: 1) }}")
    after = await scrape(ops)
    assert value(after, "gateway_graphql_requests_total", operation="other", outcome="ok") - value(
        before, "gateway_graphql_requests_total", operation="other", outcome="ok") == 3
    assert not any(("operation", "Flood0") in labels for _, labels in after)
    assert observability.operation_label("not a name!") == "invalid"
    assert observability.operation_label(None) == "anonymous"


async def test_metrics_count_job_runs_and_the_outbox(ops: Gateway) -> None:
    before = await scrape(ops)
    jobs_plugin.failures_left["m"] = 10  # more than its 3 attempts: it ends failed
    done = await enqueue("test.slow", {"seconds": 0})  # test.record also runs periodically
    failed = await enqueue("test.flaky", {"key": "m"})
    assert done is not None and failed is not None

    async def settled() -> bool:
        statuses = {(await OutboxJob.get(id=row.id)).status for row in (done, failed)}
        return statuses == {OutboxStatus.DONE, OutboxStatus.FAILED}

    await wait_for(settled)
    after: Any = None

    def runs(actor: str, outcome: str) -> float:
        return value(after, "gateway_job_runs_total", actor=actor, outcome=outcome) - value(
            before, "gateway_job_runs_total", actor=actor, outcome=outcome)

    async def counted() -> bool:
        # The worker thread counts a run just after it stores the outcome the test polled.
        nonlocal after
        after = await scrape(ops)
        return runs("test.flaky", "failed") >= 1 and runs("test.slow", "done") >= 1

    await wait_for(counted)

    assert runs("test.slow", "done") == 1
    assert (runs("test.flaky", "retry"), runs("test.flaky", "failed")) == (2, 1)
    # The outbox gauge is read from the table: what every process did, as it stands.
    assert value(after, "gateway_outbox_jobs", actor="test.slow", status="done") == 1
    assert value(after, "gateway_outbox_jobs", actor="test.flaky", status="failed") == 1
    assert value(after, "gateway_outbox_jobs", actor="test.flaky", status="pending") == 0


# ---- /readyz through a database outage ----------------------------------------------------


class Outage:
    """Takes the gateway's database away for real, then brings it back."""

    async def begin(self) -> None:
        raise NotImplementedError

    async def end(self) -> None:
        raise NotImplementedError


class SqliteOutage(Outage):
    """The file the gateway opens is no longer its database (a volume that did not mount):
    SQLite opens an empty file in its place. The gateway reconnects after we close its
    connection, as it would after a restart."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.away = path.with_name(path.name + ".away")

    async def begin(self) -> None:
        os.replace(self.path, self.away)
        await connections.get("default").close()

    async def end(self) -> None:
        os.replace(self.away, self.path)  # atomically, over the empty file SQLite made
        await connections.get("default").close()


class PostgresOutage(Outage):
    """The server stops accepting connections to the database and drops the open ones."""

    def __init__(self, database_url: str) -> None:
        self.admin_url = _base_database_url().replace("postgres://", "postgresql://", 1)
        self.name = database_url.rsplit("/", 1)[1]

    async def _run(self, *statements: str) -> None:
        import asyncpg

        conn = await asyncpg.connect(self.admin_url)
        try:
            for statement in statements:
                await conn.execute(statement)
        finally:
            await conn.close()

    async def begin(self) -> None:
        await self._run(
            f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS false',
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE datname = '{self.name}' AND pid <> pg_backend_pid()",
        )

    async def end(self) -> None:
        await self._run(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS true')


@pytest.fixture
async def outage_gateway(
    migrated: str, tmp_path: Path
) -> AsyncIterator[tuple[Gateway, Outage]]:
    if migrated.startswith("sqlite://"):
        # A copy of its own: this test takes the file away.
        path = tmp_path / "outage.sqlite3"
        with sqlite3.connect(migrated.removeprefix("sqlite://")) as source, \
                sqlite3.connect(path) as copy:
            source.backup(copy)
        database_url, outage = f"sqlite://{path}", SqliteOutage(path)
    else:
        database_url, outage = migrated, PostgresOutage(migrated)
    try:
        async for running in ops_gateway(database_url, tmp_path):
            yield running, outage
    finally:
        if isinstance(outage, PostgresOutage):  # the session's database: always give it back
            await outage.end()


async def test_readyz_reports_a_database_outage_and_the_recovery(
    outage_gateway: tuple[Gateway, Outage], caplog: pytest.LogCaptureFixture
) -> None:
    gateway, outage = outage_gateway
    ready = await gateway.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"database": "ok", "broker": "ok"}}

    await outage.begin()
    down = await gateway.client.get("/readyz")
    assert down.status_code == 503, down.text
    assert down.json()["status"] == "unavailable"
    assert down.json()["checks"]["broker"] == "ok"
    assert down.json()["checks"]["database"] == "unavailable"  # the driver's text: logs only

    # GraphQL during the outage, never a 500 with a trace. PostgreSQL refusing connections is
    # a refusal to retry (gateway/unavailable.py); SQLite opening an empty file where the
    # database was is a misconfiguration, masked behind the request id.
    response = await gateway.client.post(
        "/graphql", json={"query": "{ outboxJobs { totalCount } }"}, headers=ADMIN
    )
    assert response.status_code == 200, response.text
    [error] = response.json()["errors"]
    request_id = response.headers["x-request-id"]
    if isinstance(outage, PostgresOutage):
        assert error["extensions"] == {"code": "SERVICE_UNAVAILABLE", "retryAfter": 5}
        assert error["message"] == ("The service is briefly unavailable; try again in a few "
                                    "seconds.")
    else:
        assert error["extensions"] == {"code": "INTERNAL_ERROR", "requestId": request_id}
        assert error["message"] == f"Unexpected internal error (request {request_id})."
    # Even when finding out who calls needs the database (a session token).
    signed_in = await gateway.client.post(
        "/graphql", json={"query": "{ double(n: 1) }"},
        headers={"authorization": "Bearer gws_not-checkable-now"},
    )
    if isinstance(outage, PostgresOutage):
        assert signed_in.status_code == 503, signed_in.text
        assert signed_in.headers["retry-after"] == "5"
        assert signed_in.json()["errors"][0]["extensions"] == {
            "code": "SERVICE_UNAVAILABLE", "retryAfter": 5}
    else:
        assert signed_in.status_code == 200, signed_in.text
        assert signed_in.json()["errors"][0]["extensions"]["code"] == "INTERNAL_ERROR"
        assert signed_in.json()["errors"][0]["extensions"]["requestId"] == signed_in.headers[
            "x-request-id"]
    assert all(r.exc_info for r in caplog.records if r.levelno >= logging.ERROR
               and r.name.startswith("gateway.") and "request" in r.getMessage())

    await outage.end()

    async def ready_again() -> bool:
        return (await gateway.client.get("/readyz")).status_code == 200

    await wait_for(ready_again)
    assert (await gateway.client.get("/readyz")).json()["checks"]["database"] == "ok"
    back = await gateway.client.post(
        "/graphql", json={"query": "{ outboxJobs { totalCount } }"}, headers=ADMIN
    )
    assert back.json() == {"data": {"outboxJobs": {"totalCount": await OutboxJob.all().count()}}}


# ---- JSON logs ---------------------------------------------------------------------------


def test_the_json_formatter_writes_one_object_per_line_with_the_request_id() -> None:
    formatter = JsonFormatter()
    token = request_id_var.set("req-12345678")
    try:
        record = logging.LogRecord("gateway.test", logging.WARNING, __file__, 1,
                                   "account %s\nsuspended", ("CID-1",), None)
        record.account_id = 7
        record.detail = {"why": "billing"}
        line = formatter.format(record)
    finally:
        request_id_var.reset(token)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "account CID-1\nsuspended"
    assert entry["request_id"] == "req-12345678"
    assert (entry["level"], entry["logger"]) == ("warning", "gateway.test")
    assert entry["account_id"] == 7 and entry["detail"] == "{'why': 'billing'}"
    assert entry["time"].endswith("Z")

    try:
        raise ValueError("bad thing")
    except ValueError:
        failed = logging.LogRecord("gateway.test", logging.ERROR, __file__, 1, "failed", (),
                                   sys.exc_info())
    entry = json.loads(JsonFormatter().format(failed))
    assert entry["request_id"] is None
    assert "Traceback" in entry["trace"] and "ValueError: bad thing" in entry["trace"]


def test_a_record_formatted_after_its_request_keeps_the_request_id() -> None:
    # A queue handler or a test capture formats later, outside the request.
    record = logging.LogRecord("gateway.test", logging.INFO, __file__, 1, "queued", (), None)
    token = request_id_var.set("req-queued-1")
    try:
        assert RequestIdFilter().filter(record)
    finally:
        request_id_var.reset(token)
    assert json.loads(JsonFormatter().format(record))["request_id"] == "req-queued-1"


@pytest.fixture
def json_log(monkeypatch: pytest.MonkeyPatch) -> Any:
    """configure_logging as `gateway serve` runs it, its stderr captured; restored after."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    configure_logging("INFO")
    try:
        yield stream
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)


async def test_a_requests_log_lines_carry_its_request_id(ops: Gateway, json_log: Any) -> None:
    response = await ops.client.post(
        "/graphql", json={"query": "{ double(n: 21) }"}, headers={"x-request-id": "trace-me-123"}
    )
    # Our id is the request's; the client's is logged beside it, never instead of it.
    ours = response.headers["x-request-id"]
    assert ours != "trace-me-123"
    other = await ops.client.post("/graphql", json={"query": "{ boom }"})
    entries = [json.loads(line) for line in json_log.getvalue().splitlines()]
    mine = [e for e in entries if e["request_id"] == ours]
    assert mine and all(e["client_request_id"] == "trace-me-123" for e in mine)
    assert not any(e["request_id"] == "trace-me-123" for e in entries)
    assert any(e["message"] == "doubling 21" and e["logger"] == "tests.support.ops"
               for e in mine)
    [access] = [e for e in mine if e["logger"] == "gateway.http"]
    assert access["message"] == "POST /graphql 200" and access["status"] == 200
    assert access["duration_ms"] >= 0
    failed = [e for e in entries if e["request_id"] == other.headers["x-request-id"]
              and e["level"] == "error"]
    assert len(failed) == 1 and "RuntimeError: secret internal detail" in failed[0]["trace"]
