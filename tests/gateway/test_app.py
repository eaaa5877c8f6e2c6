from __future__ import annotations

from typing import Any

import pytest

from gateway.app import create_app
from tests.conftest import Gateway, start_gateway


async def test_healthz_and_readyz(gateway: Gateway) -> None:
    assert (await gateway.client.get("/healthz")).json() == {"status": "ok"}
    ready = await gateway.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "broker": "ok"}


async def test_graphql_typename(gateway: Gateway) -> None:
    result = await gateway.graphql("{ __typename }")
    assert result == {"data": {"__typename": "Query"}}


async def test_a_start_up_cut_short_stops_what_it_started(
        migrated: str, settings: Any, monkeypatch: Any) -> None:
    """A plugin's start-up failing leaves no open database, worker thread or relay behind:
    the next app of the process starts (it could not while Tortoise's context stayed set)."""
    app = create_app(settings, migrate_on_start=False,
                     job_options={"in_process_workers": True, "worker_timeout_ms": 20})
    host = app.state.host
    real = host.call_async

    async def failing(name: str, **kwargs: Any) -> Any:
        if name == "gateway_startup":
            raise RuntimeError("a plugin's start-up failed")
        return await real(name, **kwargs)

    monkeypatch.setattr(host, "call_async", failing)
    with pytest.raises(RuntimeError, match="start-up failed"):
        async with app.router.lifespan_context(app):
            pass
    assert app.state.jobs.worker is None  # its threads stopped
    async for running in start_gateway(settings):
        assert (await running.graphql("{ __typename }"))["data"] == {"__typename": "Query"}
