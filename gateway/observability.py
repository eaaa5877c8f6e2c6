"""Request ids, JSON logs and Prometheus metrics."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)

REGISTRY = CollectorRegistry(auto_describe=True)
GRAPHQL_REQUESTS = Counter(
    "gateway_graphql_requests",
    "GraphQL operations by operation name and outcome",
    ["operation", "outcome"],
    registry=REGISTRY,
)
GRAPHQL_LATENCY = Histogram(
    "gateway_graphql_latency_seconds",
    "GraphQL operation latency by operation name",
    ["operation"],
    registry=REGISTRY,
)
HTTP_REQUESTS = Counter(
    "gateway_http_requests", "HTTP requests by route and status", ["route", "status"],
    registry=REGISTRY,
)
JOB_OUTCOMES = Counter(
    "gateway_job_runs", "Job deliveries run in this process by actor and outcome",
    ["actor", "outcome"], registry=REGISTRY,
)

_OPERATION_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def current_request_id() -> str | None:
    return request_id_var.get()


class RequestIdMiddleware:
    """Give each request an id (or keep a sane incoming X-Request-ID) and echo it back."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers", [])).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        route = scope.get("path", "")
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
                HTTP_REQUESTS.labels(_route_label(route), str(message["status"])).inc()
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            logging.getLogger("gateway.http").debug(
                "%s %s", scope.get("method", "WS"), route,
                extra={"duration_ms": round((time.perf_counter() - started) * 1000, 2)},
            )
            request_id_var.reset(token)


def _route_label(path: str) -> str:
    # Keep label cardinality bounded: first path segment only.
    parts = [p for p in path.split("/") if p]
    return "/" + parts[0] if parts else "/"


class OperationMetrics(SchemaExtension):
    """Count and time GraphQL operations by (bounded) operation name."""

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        context = self.execution_context
        name = context.operation_name or "anonymous"
        if not _OPERATION_NAME.match(name):
            name = "invalid"
        result = context.result
        errors = getattr(result, "errors", None) if result is not None else None
        outcome = "error" if errors or context.pre_execution_errors else "ok"
        GRAPHQL_REQUESTS.labels(name, outcome).inc()
        GRAPHQL_LATENCY.labels(name).observe(time.perf_counter() - started)


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the request id of the request being served."""

    _SKIP = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id_var.get(),
        }
        for key, value in record.__dict__.items():
            if key not in self._SKIP and not key.startswith("_"):
                entry[key] = value if isinstance(value, str | int | float | bool) else repr(value)
        if record.exc_info:
            entry["trace"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str = "INFO") -> None:
    """JSON lines on stderr for the gateway and the libraries it runs."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.formatter.converter = time.gmtime  # type: ignore[union-attr]
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
