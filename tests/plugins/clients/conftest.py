"""Fixtures of the clients plugin's tests: the real app with a real SMTP server on loopback,
a test plugin that records the account lifecycle hooks, and SQL statement counting."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.observability import client_request_id_var, current_request_id
from gateway.plugins import PluginHost, PluginSpec, read_plugin_specs
from tests.conftest import ROOT, Gateway, make_settings, start_gateway
from tests.gateway.test_email import SmtpServer, smtp_server  # noqa: F401  (fixture)
from tests.gateway.test_jobs import wait_for
from tests.plugins.clients import lifecycle_plugin

JOB_OPTIONS = {"relay_interval": 0.05, "scheduler_tick": 0.2, "in_process_workers": True}


def clients_host(settings: Any, extra: tuple[PluginSpec, ...] = (), **config: Any) -> PluginHost:
    """The plugins of plugins.toml (clients among them), the clients config overridden by
    ``config``, plus the lifecycle recorder and ``extra`` plugins."""
    specs = read_plugin_specs(ROOT / "plugins.toml", ())
    for spec in specs:
        if spec.name == "clients":
            spec.config = {**spec.config, **config}
    specs.append(PluginSpec(name="lifecycle", module="tests.plugins.clients.lifecycle_plugin",
                            source="built in"))
    return PluginHost(settings, specs=[*specs, *extra])


@pytest.fixture
async def clients_gateway(
    migrated: str, tmp_path: Path, smtp_server: SmtpServer  # noqa: F811
) -> AsyncIterator[Gateway]:
    """The app with emails going to a real SMTP server, and the lifecycle hooks recorded."""
    lifecycle_plugin.reset()
    settings = make_settings(migrated, tmp_path, email_url=f"smtp://127.0.0.1:{smtp_server.port}")
    async for running in start_gateway(settings, host=clients_host(settings),
                                       job_options=JOB_OPTIONS):
        running.smtp = smtp_server  # type: ignore[attr-defined]
        await _initial_purge_done()
        yield running


async def received(smtp: SmtpServer, count: int) -> list[Any]:
    """Wait until the SMTP server holds ``count`` messages; their parsed form."""

    async def arrived() -> bool:
        return len(smtp.messages) >= count

    await wait_for(arrived)
    return [m.message for m in smtp.messages]


class StatementLog(logging.Handler):
    """The SQL statements Tortoise sends for one request id (its db_client logger names every
    statement; the relay and the scheduler, polling meanwhile, have other ids or none)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.request_id = ""
        self.statements: list[str] = []

    def watch(self, request_id: str) -> None:
        self.request_id = request_id
        self.statements.clear()

    def emit(self, record: logging.LogRecord) -> None:
        # Over HTTP the client's X-Request-ID is logged beside the server's own id (issue 15,
        # item 15); in-process, the test sets the request id itself.
        if self.request_id in (current_request_id(), client_request_id_var.get()):
            self.statements.append(str(record.args[0]) if record.args else record.getMessage())


@pytest.fixture
def sql_log() -> Iterator[StatementLog]:
    logger = logging.getLogger("tortoise.db_client")
    handler = StatementLog()
    level = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


async def _initial_purge_done() -> None:
    """The scheduler enqueues the periodic purge as the app starts; let that run end before a
    test makes accounts due, so the test's own purge is the only one that finds them."""
    from gateway.models import OutboxJob, OutboxStatus
    from plugins.clients.actors import PURGE_JOB
    from tests.gateway.test_jobs import wait_for

    async def settled() -> bool:
        rows = await OutboxJob.filter(job=PURGE_JOB).values_list("status", flat=True)
        return bool(rows) and all(status == OutboxStatus.DONE for status in rows)

    await wait_for(settled)
