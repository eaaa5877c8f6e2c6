"""GraphQL operations counted and timed, into the metrics of ``gateway.observability``."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from strawberry.extensions import SchemaExtension

from gateway.observability import GRAPHQL_LATENCY, GRAPHQL_REQUESTS, operation_label

# Each label set's series, once asked of prometheus_client (whose ``labels`` takes a lock and
# checks the names every time); the labels are bounded (``operation_label``).
_COUNTERS: dict[tuple[str, str], Any] = {}
_LATENCIES: dict[str, Any] = {}


def _counter(name: str, outcome: str) -> Any:
    counter = _COUNTERS.get((name, outcome))
    if counter is None:
        counter = _COUNTERS[(name, outcome)] = GRAPHQL_REQUESTS.labels(name, outcome)
    return counter


def _latency(name: str) -> Any:
    latency = _LATENCIES.get(name)
    if latency is None:
        latency = _LATENCIES[name] = GRAPHQL_LATENCY.labels(name)
    return latency


class OperationMetrics(SchemaExtension):
    """Count and time GraphQL operations by (bounded) operation name."""

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        context = self.execution_context
        name = operation_label(context.operation_name)
        result = context.result
        errors = getattr(result, "errors", None) if result is not None else None
        outcome = "error" if errors or context.pre_execution_errors else "ok"
        _counter(name, outcome).inc()
        _latency(name).observe(time.perf_counter() - started)
