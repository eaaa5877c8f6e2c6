"""Request ids, JSON logs and Prometheus metrics (GraphQL operations are counted by
``schema.metrics``)."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
import uuid
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.i18n import Text, negotiate
from gateway.unavailable import CODE as UNAVAILABLE_CODE
from gateway.unavailable import RETRY_AFTER_SECONDS, UNAVAILABLE, is_unavailable

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)
# The X-Request-ID a client sent (when sane): logged beside ours, never instead of it.
client_request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "client_request_id", default=None
)
# Whether the GraphQL caller of this request is signed in (set by the GraphQL view): only
# they may name new operations in the metrics' labels.
caller_signed_in: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "caller_signed_in", default=False
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

# Each label set's series, once asked of prometheus_client (its ``labels`` takes a lock and
# checks the label names on every call); every caller's labels are bounded.
_SERIES: dict[tuple[Any, ...], Any] = {}


def series(metric: Any, *labels: str) -> Any:
    """``metric.labels(*labels)``, remembered."""
    key = (metric, *labels)
    found = _SERIES.get(key)
    if found is None:
        found = _SERIES[key] = metric.labels(*labels)
    return found

# What a client reads instead of an unexpected exception: the id finds the trace in the log.
INTERNAL_ERROR = Text(
    en="Unexpected internal error (request {request_id}).",
    fr="Erreur interne inattendue (requête {request_id}).",
)

_OPERATION_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def current_request_id() -> str | None:
    return request_id_var.get()


class RequestIdMiddleware:
    """Give each request an id of ours and send it back in X-Request-ID. A sane incoming
    X-Request-ID is logged beside it (``client_request_id``), never instead of it: a client
    must not choose the id that logs and audit rows are found by."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers", [])).get(b"x-request-id", b"").decode("latin-1")
        request_id = uuid.uuid4().hex
        client_id = incoming if _REQUEST_ID.match(incoming) else None
        token = request_id_var.set(request_id)
        client_token = client_request_id_var.set(client_id)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status: int | None = None

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k != b"x-request-id"]
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
                series(HTTP_REQUESTS, _route_label(scope), str(status)).inc()
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            # A plugin route that fails: logged with the request id, which the client gets too
            # (Starlette's own 500 page would carry neither). The database down or its disk
            # full is no bug: a 503 with Retry-After the client (an uploader, Twilio) may retry.
            unavailable = is_unavailable(exc)
            if unavailable:
                logging.getLogger("gateway.http").warning(
                    "database unavailable in %s %s (request %s): %r", scope.get("method", "WS"),
                    scope.get("path", ""), request_id, exc, extra={"request_id": request_id})
            else:
                logging.getLogger("gateway.http").exception(
                    "unhandled error in %s %s (request %s)", scope.get("method", "WS"),
                    scope.get("path", ""), request_id, extra={"request_id": request_id},
                )
            if scope["type"] != "http" or status is not None:
                raise
            language = negotiate(
                dict(scope.get("headers", [])).get(b"accept-language", b"").decode("latin-1")
            )
            code, text, answer = "INTERNAL_ERROR", INTERNAL_ERROR, 500
            extensions: dict[str, Any] = {"code": code, "requestId": request_id}
            headers = [(b"content-type", b"application/json")]
            if unavailable:
                code, text, answer = UNAVAILABLE_CODE, UNAVAILABLE, 503
                extensions = {"code": code, "retryAfter": RETRY_AFTER_SECONDS,
                              "requestId": request_id}
                headers.append((b"retry-after", str(RETRY_AFTER_SECONDS).encode()))
            body = json.dumps({"errors": [{
                "message": text.render(language, request_id=request_id),
                "extensions": extensions,
            }]}, ensure_ascii=False).encode()
            await send_with_id({"type": "http.response.start", "status": answer, "headers": [
                *headers, (b"content-length", str(len(body)).encode())]})
            await send_with_id({"type": "http.response.body", "body": body})
        finally:
            path = scope.get("path", "")
            _access_log.log(
                logging.DEBUG if path in _PROBES else logging.INFO,
                "%s %s %s", scope.get("method", "WS"), path, status or "-",
                extra={"status": status or 0,
                       "duration_ms": round((time.perf_counter() - started) * 1000, 2)},
            )
            request_id_var.reset(token)
            client_request_id_var.reset(client_token)


_access_log = logging.getLogger("gateway.http")
# Polled every few seconds by orchestrators and Prometheus: not worth a line each at INFO.
_PROBES = frozenset({"/healthz", "/readyz", "/metrics"})


def _route_label(scope: Scope) -> str:
    # The matched route's template (e.g. /files/{token}), never the raw path: a scanner
    # requesting random paths must not create a time series per path.
    path = getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) and path else "unmatched"


_MAX_OPERATION_LABELS = 500
_operation_labels: set[str] = set()


def operation_label(name: str | None) -> str:
    """The metrics label for an operation name, with bounded cardinality.

    Clients choose operation names, so a hostile one could mint a new time series per request:
    odd names become ``invalid``; a caller who is not signed in only reuses names already
    known (a new one is counted as ``other``), so anonymous requests cannot fill the slots;
    once ``_MAX_OPERATION_LABELS`` names are known, new ones become ``other``."""
    if not name:
        return "anonymous"
    if not _OPERATION_NAME.match(name):
        return "invalid"
    if name not in _operation_labels:
        if not caller_signed_in.get() or len(_operation_labels) >= _MAX_OPERATION_LABELS:
            return "other"
        _operation_labels.add(name)
    return name


class RequestIdFilter(logging.Filter):
    """Stamp each record with the id of the request being served when it was logged, so a
    handler that formats later (a queue, a test's capture) still knows it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id_var.get()
        client_id = client_request_id_var.get()
        if client_id is not None and getattr(record, "client_request_id", None) is None:
            record.client_request_id = client_id
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the request id of the request being served."""

    _SKIP = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}
    converter = staticmethod(time.gmtime)  # the time field says Z: it must be UTC


    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            # Stamped when the record was made (RequestIdFilter), else the current request's.
            "request_id": getattr(record, "request_id", None) or request_id_var.get(),
        }
        client_id = getattr(record, "client_request_id", None) or client_request_id_var.get()
        if client_id:
            entry["client_request_id"] = client_id
        for key, value in record.__dict__.items():
            if key not in self._SKIP and key not in entry and not key.startswith("_"):
                entry[key] = (
                    value if value is None or isinstance(value, str | int | float | bool)
                    else repr(value)
                )
        if record.exc_info:
            entry["trace"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str = "INFO") -> None:
    """JSON lines on stderr for the gateway and the libraries it runs."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
