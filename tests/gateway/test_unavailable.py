"""A database that is down or full is a coded refusal to retry (SERVICE_UNAVAILABLE), not an
internal error: what the fault matrix (bench/faults) found the gateway answering with
PostgreSQL restarted, its connections killed, or SQLite's disk full."""

from __future__ import annotations

import errno
import sqlite3

import asyncpg
import httpx
import pytest
import strawberry
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from tortoise.exceptions import DBConnectionError, OperationalError

from gateway.observability import RequestIdMiddleware
from gateway.unavailable import is_unavailable
from schema.masking import masked_errors


def _wrapped(cause: BaseException) -> OperationalError:
    """As Tortoise raises it: its own error, the driver's as the cause."""
    try:
        raise OperationalError(str(cause)) from cause
    except OperationalError as exc:
        return exc


@pytest.mark.parametrize("error", [
    _wrapped(sqlite3.OperationalError("database or disk is full")),
    _wrapped(asyncpg.exceptions.AdminShutdownError("terminating connection due to "
                                                   "administrator command")),
    _wrapped(asyncpg.exceptions.CannotConnectNowError("the database system is starting up")),
    _wrapped(asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed")),
    _wrapped(asyncpg.InterfaceError("connection is closed")),
    ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed"),
    OSError(errno.ENOSPC, "No space left on device"),
    DBConnectionError("can't connect"),
])
def test_an_outage_or_a_full_disk_is_unavailable(error: BaseException) -> None:
    assert is_unavailable(error)


@pytest.mark.parametrize("error", [
    ValueError("bad"),
    _wrapped(sqlite3.OperationalError("no such table: contact")),
    asyncpg.InterfaceError("cannot perform operation: another operation is in progress"),
    OSError(errno.ENOENT, "No such file"),
    None,
])
def test_a_bug_is_not_unavailable(error: BaseException | None) -> None:
    assert not is_unavailable(error)


class _Context:
    principal = None

    def __init__(self, language: str) -> None:
        self.language = language


@strawberry.type
class FullDiskQuery:
    @strawberry.field
    def save(self) -> str:
        raise _wrapped(sqlite3.OperationalError("database or disk is full"))

    @strawberry.field
    def broken(self) -> str:
        raise _wrapped(sqlite3.OperationalError("no such table: contact"))


@pytest.mark.parametrize(("language", "message"), [
    ("en", "The service is briefly unavailable; try again in a few seconds."),
    ("fr", "Le service est momentanément indisponible ; réessayez dans quelques secondes."),
])
async def test_a_full_disk_during_execution_is_a_coded_refusal(language: str,
                                                               message: str) -> None:
    schema = strawberry.Schema(query=FullDiskQuery, extensions=[masked_errors])
    result = await schema.execute("{ save }", context_value=_Context(language))
    assert result.errors is not None
    assert (result.errors[0].message, result.errors[0].extensions) == (
        message, {"code": "SERVICE_UNAVAILABLE", "retryAfter": 5})
    # A real bug stays masked behind the request id.
    result = await schema.execute("{ broken }", context_value=_Context(language))
    assert result.errors is not None
    assert result.errors[0].extensions is not None
    assert result.errors[0].extensions["code"] == "INTERNAL_ERROR"


async def _database_gone(request: Request) -> Response:
    raise _wrapped(asyncpg.exceptions.AdminShutdownError("terminating connection due to "
                                                         "administrator command"))


async def _bug(request: Request) -> Response:
    raise _wrapped(sqlite3.OperationalError("no such table: contact"))


@pytest.mark.parametrize(("language", "message"), [
    ("en", "The service is briefly unavailable; try again in a few seconds."),
    ("fr", "Le service est momentanément indisponible ; réessayez dans quelques secondes."),
])
async def test_a_plugin_route_with_the_database_down_answers_503_with_retry_after(
        language: str, message: str) -> None:
    """A plugin's own route (the call-center upload, a Twilio webhook) outside GraphQL: the
    fault matrix's load found them answering 500 while PostgreSQL restarted."""
    app = Starlette(routes=[Route("/gone", _database_gone, methods=["POST"]),
                            Route("/bug", _bug, methods=["POST"])],
                    middleware=[Middleware(RequestIdMiddleware)])  # as gateway.app has it
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://test") as client:
        answer = await client.post("/gone", headers={"Accept-Language": language})
        assert (answer.status_code, answer.headers["Retry-After"]) == (503, "5")
        error = answer.json()["errors"][0]
        assert error["message"] == message
        assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE"
        assert error["extensions"]["retryAfter"] == 5
        # A real bug stays a 500 with its request id, and no invitation to retry.
        answer = await client.post("/bug", headers={"Accept-Language": language})
        assert answer.status_code == 500 and "Retry-After" not in answer.headers
        assert answer.json()["errors"][0]["extensions"]["code"] == "INTERNAL_ERROR"
