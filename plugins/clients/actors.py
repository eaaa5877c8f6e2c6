"""The clients plugin's jobs: PDF exports, the purge of unsubscribed accounts, old exports."""

from __future__ import annotations

from typing import Any

from gateway.api import Job, PeriodicJob, current_host
from plugins.clients import exports, services
from plugins.clients.config import PLUGIN_NAME, ClientsConfig

PURGE_JOB = "clients.purge"
CLEANUP_JOB = "clients.cleanup_exports"


async def purge(payload: dict[str, Any]) -> None:
    """Archive then delete every account unsubscribed longer than ``purge_after_days``.
    Each account is its own transaction: a failure leaves the others done, and the retry (or
    the next run) picks up what is left."""
    host = current_host()
    assert host is not None, "jobs run in a started gateway"
    await services.purge_due(host, host.config_for(PLUGIN_NAME, ClientsConfig))


def jobs() -> list[Job]:
    return [
        Job(name=exports.PDF_JOB, handler=exports.render_export_pdf, max_attempts=3,
            backoff_seconds=10.0),
        Job(name=PURGE_JOB, handler=purge, max_attempts=5, backoff_seconds=300.0),
        Job(name=CLEANUP_JOB, handler=exports.cleanup_exports, max_attempts=3,
            backoff_seconds=60.0),
    ]


def periodic_jobs(config: ClientsConfig) -> list[PeriodicJob]:
    return [
        PeriodicJob(name="clients.purge", job=PURGE_JOB,
                    every_seconds=config.purge_every_seconds),
        PeriodicJob(name="clients.cleanup_exports", job=CLEANUP_JOB, every_seconds=3600),
    ]
