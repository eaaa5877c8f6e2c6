"""Operator endpoints: liveness, readiness, Prometheus metrics."""

from __future__ import annotations

import asyncio
import logging

from prometheus_client import generate_latest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from tortoise import connections

from gateway.observability import REGISTRY

log = logging.getLogger("gateway.operations")


async def healthz(request: Request) -> Response:
    """The process is alive and serving."""
    return JSONResponse({"status": "ok"})


async def _database_ready() -> str | None:
    try:
        await asyncio.wait_for(connections.get("default").execute_query("SELECT 1"), timeout=3)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"[:200]
    return None


async def _broker_ready(request: Request) -> str | None:
    runtime = request.app.state.jobs
    broker = runtime.broker
    try:
        if broker is None:
            return None
        client = getattr(broker, "client", None)
        if client is not None and hasattr(client, "ping"):  # Redis
            await asyncio.wait_for(asyncio.to_thread(client.ping), timeout=3)
        elif hasattr(broker, "connection"):  # RabbitMQ
            await asyncio.wait_for(asyncio.to_thread(lambda: broker.connection), timeout=3)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"[:200]
    return None


async def readyz(request: Request) -> Response:
    """The database and the broker answer; 503 with the reason otherwise."""
    checks = {"database": await _database_ready(), "broker": await _broker_ready(request)}
    ready = all(v is None for v in checks.values())
    if not ready:
        log.warning("not ready: %s", checks)
    return JSONResponse(
        {
            "status": "ready" if ready else "unavailable",
            "checks": {name: error or "ok" for name, error in checks.items()},
        },
        status_code=200 if ready else 503,
    )


async def _outbox_lines() -> list[str]:
    from tortoise.functions import Count

    from gateway.models import OutboxJob

    rows = await OutboxJob.all().group_by("job", "status").annotate(n=Count("id")).values(
        "job", "status", "n"
    )
    lines = [
        "# HELP gateway_outbox_jobs Outbox jobs by actor and status (all processes)",
        "# TYPE gateway_outbox_jobs gauge",
    ]
    for row in rows:
        lines.append(
            f'gateway_outbox_jobs{{actor="{row["job"]}",status="{row["status"]}"}} {row["n"]}'
        )
    return lines


async def metrics(request: Request) -> Response:
    """Prometheus text: this process's counters plus the shared outbox's job counts."""
    body = generate_latest(REGISTRY).decode()
    try:
        body += "\n".join(await _outbox_lines()) + "\n"
    except Exception:
        log.warning("outbox counts unavailable for /metrics", exc_info=True)
    return Response(body, media_type="text/plain; version=0.0.4; charset=utf-8")
