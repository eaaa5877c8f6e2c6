"""A stand-in PBX provisioner, as an integrator would write one: it keeps what it was told
by operation id (so a redelivery changes nothing, as a real PBX must ensure), and fails the
next ``failures`` calls, to test retries, FAILED visibility and the retry mutation."""

from __future__ import annotations

from typing import Any

from gateway.hookimpl import hookimpl

PLUGIN_NAME = "acme_pbx"

calls: list[Any] = []  # every operation received, in order, retries included
applied: dict[str, Any] = {}  # operation id -> operation, once each
failures = 0


def reset(fail: int = 0) -> None:
    global failures
    calls.clear()
    applied.clear()
    failures = fail


@hookimpl
async def gateway_provision(operation: Any) -> None:
    global failures
    calls.append(operation)
    if failures > 0:
        failures -= 1
        raise ConnectionError("PBX at 10.0.0.5 unreachable (connection refused)")
    applied.setdefault(operation.id, operation)
