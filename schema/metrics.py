"""GraphQL operations counted and timed, into the metrics of ``gateway.observability``."""

from __future__ import annotations

import time
from collections.abc import Iterator

from strawberry.extensions import SchemaExtension

from gateway.observability import GRAPHQL_LATENCY, GRAPHQL_REQUESTS, operation_label, series


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
        series(GRAPHQL_REQUESTS, name, outcome).inc()
        series(GRAPHQL_LATENCY, name).observe(time.perf_counter() - started)
