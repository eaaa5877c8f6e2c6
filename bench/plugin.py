"""The bench-only plugin: the API benchmark's reference endpoints, and an SQL statement counter.

Loaded only by the plugins file the benchmark writes for its own `gateway serve` (see
``bench.support.write_plugins_file``), never by plugins.toml: a production gateway has none of
these routes.

- ``GET /bench/raw``: the accounts page's JSON, computed once at start-up and serialised on
  every request: what Starlette and uvicorn alone cost (the ceiling).
- ``GET /bench/accounts``: the same page by one hand-written SQL statement into JSON (the
  physical limit for that payload); ``?filtered=1``: the filtered page (name contains
  "alpha", in production).
- ``POST /bench/sql-count`` ``{"on": true|false}`` starts (from zero) or stops counting the SQL
  statements each request sends; ``GET`` answers ``{"<request id>": n, ...}`` (send an
  ``X-Request-ID`` to find yours).

Config (``[plugins.bench] config``): ``reseller_id``, whose companies the pages list.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.hookimpl import hookimpl
from gateway.observability import client_request_id_var, request_id_var

# Tortoise's clients log every statement at DEBUG on this logger (before running it).
SQL_LOGGER = "tortoise.db_client"


class _StatementCounter(logging.Handler):
    """Statements per request, by the request's id (the relay's and the scheduler's own
    statements, which run outside any request, are not counted)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.by_request: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        # The client's X-Request-ID (the server logs its own id beside it).
        request_id = client_request_id_var.get() or request_id_var.get()
        # Connection-pool chatter is not a statement.
        if request_id and not str(record.msg).startswith(("Created connection", "Closed")):
            self.by_request[request_id] += 1


_counter = _StatementCounter()
_state: dict[str, Any] = {}


def _reseller(request: Request) -> int:
    return int(request.app.state.host.config_for("bench")["reseller_id"])


async def raw_page(request: Request) -> Response:
    return JSONResponse(_state["page"])


async def hand_written_page(request: Request) -> Response:
    from bench.accounts_page import hand_written_body

    filtered = request.query_params.get("filtered") == "1"
    body = await hand_written_body(_reseller(request), filtered)
    return Response(json.dumps(body), media_type="application/json")


async def sql_count(request: Request) -> Response:
    logger = logging.getLogger(SQL_LOGGER)
    if request.method == "POST":
        on = bool((await request.json()).get("on"))
        if on:
            _counter.by_request.clear()
            if _counter not in logger.handlers:
                logger.addHandler(_counter)
            # Counted here, not written to the log: the statements' values may be secrets.
            logger.propagate = False
            logger.setLevel(logging.DEBUG)
        else:
            logger.setLevel(logging.INFO)
            logger.removeHandler(_counter)
            logger.propagate = True
    return JSONResponse(dict(_counter.by_request))


@hookimpl
def gateway_routes(gateway: Any) -> Any:
    return [
        Route("/bench/raw", raw_page, methods=["GET"]),
        Route("/bench/accounts", hand_written_page, methods=["GET"]),
        Route("/bench/sql-count", sql_count, methods=["GET", "POST"]),
    ]


@hookimpl
def gateway_startup(gateway: Any) -> Any:
    async def load_page() -> None:
        from bench.accounts_page import hand_written_body

        _state["page"] = await hand_written_body(int(gateway.config_for("bench")["reseller_id"]))

    return load_page()
