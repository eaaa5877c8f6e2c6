"""Fixtures of the cycle side's tests: the real app with emails to a real SMTP server on
loopback and the in-process Dramatiq worker, and GraphQL helpers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from gateway.plugins import PluginHost, read_plugin_specs
from tests.conftest import ROOT, Gateway, make_settings, start_gateway
from tests.gateway.test_email import SmtpServer, smtp_server  # noqa: F401  (fixture)
from tests.gateway.test_jobs import wait_for

JOB_OPTIONS = {"relay_interval": 0.05, "scheduler_tick": 0.2, "in_process_workers": True}


def billing_host(settings: Any) -> PluginHost:
    """The plugins of plugins.toml, the call center keeping calls ten years (the month the
    tests close is a fixed one, 2026-10-20 to 2026-11-19: its calls must outlive the purge),
    the billing cycle closed only when a test says so (not by the hourly job, whatever the
    day the tests run)."""
    specs = read_plugin_specs(ROOT / "plugins.toml", ())
    for spec in specs:
        if spec.name == "callcenter":
            spec.config = {**spec.config, "retention_days": 3650}
        if spec.name == "billing":  # the tests close their fixed month themselves
            spec.config = {**spec.config, "close_automatically": False}
    return PluginHost(settings, specs=specs)


@pytest.fixture
async def billing_gateway(
    migrated: str, tmp_path: Path, smtp_server: SmtpServer  # noqa: F811
) -> AsyncIterator[Gateway]:
    settings = make_settings(migrated, tmp_path, email_url=f"smtp://127.0.0.1:{smtp_server.port}")
    async for running in start_gateway(settings, host=billing_host(settings),
                                       job_options=JOB_OPTIONS):
        running.smtp = smtp_server  # type: ignore[attr-defined]
        yield running


async def received(smtp: SmtpServer, count: int) -> list[Any]:
    """Wait until the SMTP server holds ``count`` messages; their parsed form."""

    async def arrived() -> bool:
        return len(smtp.messages) >= count

    await wait_for(arrived, timeout=30.0)
    return [m.message for m in smtp.messages]


async def data(gateway: Gateway, headers: dict[str, str], query: str,
               **variables: Any) -> dict[str, Any]:
    """The data of a GraphQL call that must succeed."""
    body = await gateway.graphql(query, variables, **headers)
    assert not body.get("errors"), body
    result: dict[str, Any] = body["data"]
    return result
