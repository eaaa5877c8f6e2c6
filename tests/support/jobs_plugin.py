"""A test plugin whose jobs record their effects, so tests can count them."""

from __future__ import annotations

import asyncio
from typing import Any

from gateway.contributions import Job, PeriodicJob
from gateway.hookimpl import hookimpl

effects: list[dict[str, Any]] = []
failures_left: dict[str, int] = {}


async def record(payload: dict[str, Any]) -> None:
    effects.append(payload)


async def flaky(payload: dict[str, Any]) -> None:
    key = payload["key"]
    if failures_left.get(key, 0) > 0:
        failures_left[key] -= 1
        raise RuntimeError(f"flaky failure for {key}")
    effects.append(payload)


async def slow(payload: dict[str, Any]) -> None:
    await asyncio.sleep(payload.get("seconds", 0.2))
    effects.append(payload)


@hookimpl
def gateway_jobs(gateway: Any) -> Any:
    return [
        Job(name="test.record", handler=record),
        Job(name="test.flaky", handler=flaky, max_attempts=3, backoff_seconds=0.05),
        Job(name="test.slow", handler=slow),
    ]


@hookimpl
def gateway_periodic_jobs(gateway: Any) -> Any:
    return [PeriodicJob(name="test.tick", job="test.record", every_seconds=3600,
                        payload={"periodic": True})]
