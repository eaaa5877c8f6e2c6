"""Operator endpoints: liveness, readiness, Prometheus metrics."""

from __future__ import annotations

import asyncio
import logging

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from tortoise import connections

from gateway.observability import REGISTRY

log = logging.getLogger("gateway.operations")


async def healthz(request: Request) -> Response:
    """The process is alive and serving."""
    return JSONResponse({"status": "ok"})


CHECK_TIMEOUT = 3.0
# A table of ours rather than SELECT 1: SQLite happily opens an empty file where the database
# used to be (a volume not mounted), and a PostgreSQL database that was never migrated answers.
_DATABASE_CHECK = "SELECT 1 FROM tortoise_migrations LIMIT 1"


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return f"no answer within {CHECK_TIMEOUT:g} s"
    return f"{type(exc).__name__}: {exc}"[:200]


async def _database_ready() -> str | None:
    try:
        await asyncio.wait_for(
            connections.get("default").execute_query(_DATABASE_CHECK), timeout=CHECK_TIMEOUT
        )
    except Exception as exc:
        return _reason(exc)
    return None


async def _broker_ready(request: Request) -> str | None:
    runtime = request.app.state.jobs
    broker = runtime.broker
    try:
        if broker is None:
            return None
        client = getattr(broker, "client", None)
        if client is not None and hasattr(client, "ping"):  # Redis
            await asyncio.wait_for(asyncio.to_thread(client.ping), timeout=CHECK_TIMEOUT)
        elif hasattr(broker, "connection"):  # RabbitMQ
            await asyncio.wait_for(
                asyncio.to_thread(lambda: broker.connection), timeout=CHECK_TIMEOUT
            )
    except Exception as exc:
        return _reason(exc)
    return None


async def readyz(request: Request) -> Response:
    """The database and the broker answer; 503 naming which does not otherwise. The reason
    (a driver's error text: host names, ports) goes to the log only: this page is public."""
    checks = {"database": await _database_ready(), "broker": await _broker_ready(request)}
    ready = all(v is None for v in checks.values())
    if not ready:
        log.warning("not ready: %s", checks)
    return JSONResponse(
        {
            "status": "ready" if ready else "unavailable",
            "checks": {name: "unavailable" if error else "ok" for name, error in checks.items()},
        },
        status_code=200 if ready else 503,
    )


class _Snapshot:
    """A collector of metric families computed for one scrape."""

    def __init__(self, *families: GaugeMetricFamily) -> None:
        self.families = families

    def collect(self) -> tuple[GaugeMetricFamily, ...]:
        return self.families


async def _outbox_text() -> str:
    """The outbox's rows by actor and status: shared by every process, so read from the table."""
    from tortoise.functions import Count

    from gateway.models import OutboxJob

    rows = await OutboxJob.all().group_by("job", "status").annotate(n=Count("id")).values(
        "job", "status", "n"
    )
    family = GaugeMetricFamily(
        "gateway_outbox_jobs", "Outbox jobs by actor and status (all processes)",
        labels=["actor", "status"],
    )
    for row in rows:
        family.add_metric([row["job"], str(row["status"])], row["n"])
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Snapshot(family))
    return generate_latest(registry).decode()


async def metrics(request: Request) -> Response:
    """Prometheus text: this process's counters plus the shared outbox's job counts."""
    body = generate_latest(REGISTRY).decode()
    try:
        body += await _outbox_text()
    except Exception:
        log.warning("outbox counts unavailable for /metrics", exc_info=True)
    return Response(body, media_type="text/plain; version=0.0.4; charset=utf-8")
