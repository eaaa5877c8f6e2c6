"""A dependency that is down, told apart from a bug: the database refusing or dropping the
connection (restarted, connections killed, starting up, shutting down) or its disk full.

Such a failure is a clean, coded refusal that the client may retry (``SERVICE_UNAVAILABLE``:
503 with ``Retry-After`` when the request failed outside execution, a coded GraphQL error
inside it), never an ``INTERNAL_ERROR`` with a trace. Found by the fault matrix
(``bench/faults``)."""

from __future__ import annotations

import errno
import sqlite3

from gateway.i18n import Text

CODE = "SERVICE_UNAVAILABLE"
RETRY_AFTER_SECONDS = 5
UNAVAILABLE = Text(
    en="The service is briefly unavailable; try again in a few seconds.",
    fr="Le service est momentanément indisponible ; réessayez dans quelques secondes.",
)

# SQLite's words for a full disk or a file it cannot write right now.
_SQLITE_UNAVAILABLE = ("database or disk is full", "disk i/o error", "database is locked",
                       "unable to open database file")
_NO_SPACE = {errno.ENOSPC, errno.EDQUOT}


def _is_driver_outage(exc: BaseException) -> bool:
    try:
        import asyncpg
    except ImportError:  # pragma: no cover - asyncpg is a dependency
        return False
    if isinstance(exc, asyncpg.InterfaceError):  # only "connection is closed": others are bugs
        return "closed" in str(exc)
    if isinstance(exc, asyncpg.InternalClientError):
        # What asyncpg raises when it releases a connection the server terminated under it
        # ("cannot switch to state …; another operation is in progress").
        return "another operation" in str(exc)
    if isinstance(exc, asyncpg.exceptions.ObjectNotInPrerequisiteStateError):
        # ALTER DATABASE … ALLOW_CONNECTIONS false (maintenance)
        return "not currently accepting connections" in str(exc)
    return isinstance(exc, asyncpg.PostgresConnectionError
                      | asyncpg.exceptions.OperatorInterventionError)


def _one(exc: BaseException) -> bool:
    from tortoise.exceptions import DBConnectionError

    if isinstance(exc, DBConnectionError | ConnectionError) or _is_driver_outage(exc):
        return True
    if isinstance(exc, OSError) and exc.errno in _NO_SPACE:
        return True
    if isinstance(exc, sqlite3.OperationalError) or type(exc).__name__ == "OperationalError":
        text = str(exc).lower()
        return any(words in text for words in _SQLITE_UNAVAILABLE)
    return False


def is_unavailable(exc: BaseException | None) -> bool:
    """Whether ``exc`` (or what caused it: drivers' errors are wrapped) says the database is
    unreachable or out of space, rather than that the code is wrong."""
    seen = 0
    while exc is not None and seen < 8:
        if _one(exc):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False
