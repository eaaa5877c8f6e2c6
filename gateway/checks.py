"""Start-up checks: what `gateway serve`, `gateway worker` and `gateway check` verify before
doing anything else.

Every problem is one line that names the setting, says what is wrong and gives an example of a
right value (see :func:`gateway.settings.problem`); the command prints them all and exits 2.
The settings' shapes are checked by :meth:`Settings.from_env`; here come the files (the
variable folder, the SQLite file's folder, the plugins file), the plugins, and the connections
(database, broker, pub/sub, SMTP), each tried once with a short timeout.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import socket
import sqlite3
import urllib.parse
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gateway.settings import (
    DATABASE_EXAMPLE,
    Settings,
    SettingsError,
    plugins_file_problem,
    problem,
)

# How long one connection attempt may take before it is reported as unreachable.
CONNECT_TIMEOUT = 3.0
REDIS_EXAMPLE = "redis://127.0.0.1:6379/0"
SMTP_EXAMPLE = "smtp://user:secret@smtp.example.com:587?starttls=1"


@dataclass
class Report:
    """What the checks found: ``problems`` (one line each, exit 2) and ``passed`` (what was
    checked and is fine, for `gateway check` to print)."""

    problems: list[str] = field(default_factory=list)
    passed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def load_settings(environ: dict[str, str] | None = None) -> tuple[Settings | None, Report]:
    """The settings, or None and one line per unusable setting."""
    report = Report()
    try:
        settings = Settings.from_env(environ)
    except SettingsError as exc:
        report.problems += exc.problems
        return None, report
    report.passed.append(f"settings: env={settings.env}")
    return settings, report


# ---- files ----------------------------------------------------------------------------------

def working_tree() -> Path:
    return Path.cwd().resolve()


def _inside(path: Path, *folders: Path) -> bool:
    return any(path == folder or folder in path.parents for folder in folders)


def _writable_folder(variable: str, folder: Path, example: str, *,
                     may_create: bool = True) -> str | None:
    """A problem line unless ``folder`` is (or, when ``may_create``, can be made) writable."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if existing != folder and not may_create:
        return problem(variable, f"names {folder}, whose folder does not exist (the gateway "
                       f"creates folders only inside its working directory {working_tree()}); "
                       f"create it with mkdir -p {folder}, or", example)
    if not existing.is_dir():
        return problem(variable, f"needs the folder {existing}, which is a file", example)
    if not os.access(existing, os.W_OK | os.X_OK):
        return problem(variable, f"needs to write in {existing}, which this user "
                       f"(uid {os.getuid()}) may not", example)
    return None


def sqlite_path(database_url: str) -> Path | None:
    """The file a sqlite:// URL names (relative to the working directory), None for memory."""
    if not database_url.startswith("sqlite://"):
        return None
    raw = urllib.parse.unquote(database_url.removeprefix("sqlite://").split("?", 1)[0])
    if raw in ("", ":memory:"):
        return None
    return (Path.cwd() / raw).resolve()


def check_files(settings: Settings, report: Report) -> None:
    """The variable folder, the SQLite file and the plugins file."""
    var_problem = _writable_folder("GATEWAY_VAR_DIR", settings.var_dir, "/var/lib/gateway")
    if var_problem:
        report.problems.append(var_problem)
    path = sqlite_path(settings.database_url)
    if path is not None:
        allowed = _inside(path.parent, working_tree(), settings.var_dir.resolve())
        example = f"sqlite://{settings.var_dir / 'gateway.sqlite3'}"
        found = _writable_folder("DATABASE_URL", path.parent, example, may_create=allowed)
        if found is None and path.exists():
            found = _sqlite_file_problem(path, example)
        if found:
            report.problems.append(found)
        else:
            report.passed.append(f"database: SQLite file {path}")
    plugins_file = settings.plugins_file
    if not plugins_file.is_file():
        report.problems.append(plugins_file_problem(plugins_file))
    else:
        report.passed.append(f"plugins file: {plugins_file.resolve()}")


def _sqlite_file_problem(path: Path, example: str) -> str | None:
    if not os.access(path, os.R_OK | os.W_OK):
        return problem("DATABASE_URL", f"names {path}, which this user may not read and write",
                       example)
    try:
        with sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=1) as conn:
            conn.execute("PRAGMA schema_version").fetchone()
        conn.close()
    except sqlite3.DatabaseError as exc:
        return problem("DATABASE_URL", f"names {path}, which is not a SQLite database ({exc})",
                       example)
    return None


# ---- plugins --------------------------------------------------------------------------------

def check_plugins(settings: Settings, report: Report) -> Any:
    """Load the plugins as the command will; the host, or None with the problem reported."""
    from gateway.entry_points import installed
    from gateway.plugins import ENTRY_POINT_GROUP, PluginError, PluginHost

    if settings.load_plugins:
        found = {ep.name for ep in installed(ENTRY_POINT_GROUP)}
        unknown = sorted(set(settings.load_plugins) - found)
        if unknown:
            report.problems.append(problem(
                "GATEWAY_LOAD_PLUGINS", f"names {', '.join(unknown)}, which no installed "
                f"package provides (installed: {', '.join(sorted(found)) or 'none'})",
                ",".join(sorted(found)) or "''"))
            return None
    if not settings.plugins_file.is_file():
        return None  # reported by check_files
    try:
        host = PluginHost(settings)
    except (PluginError, KeyError, ValueError, TypeError) as exc:
        message = f"plugin environment variable {exc} is not set" if isinstance(
            exc, KeyError) else str(exc)
        report.problems.append(problem(
            "GATEWAY_PLUGINS_FILE", f"({settings.plugins_file}) cannot be loaded: {message};",
            str(settings.plugins_file)).replace("; e.g.", " fix it, e.g.", 1))
        return None
    names = [spec.name for spec in host.enabled]
    report.passed.append(f"plugins: {len(names)} on ({', '.join(names) or 'none'})")
    return host


# ---- connections ----------------------------------------------------------------------------

def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _reason(exc: BaseException, timeout: float) -> str:
    """Why a connection failed, in a few words (drivers wrap the OS error differently)."""
    for cause in _chain(exc):
        text = str(cause)
        if isinstance(cause, TimeoutError | asyncio.TimeoutError) or "Timeout" in type(
                cause).__name__:
            return f"no answer within {timeout:g} s"
        if isinstance(cause, ConnectionRefusedError) or getattr(
                cause, "errno", None) == errno.ECONNREFUSED or "Error 111 " in text:
            return "connection refused: nothing listens there"
        if isinstance(cause, socket.gaierror) or "Name or service not known" in text:
            return "unknown host name"
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]


def _where(url: str, default_port: int) -> str:
    parts = urllib.parse.urlsplit(url)
    try:
        port = parts.port or default_port
    except ValueError:
        port = default_port
    return f"{parts.hostname}:{port}"


async def _database(settings: Settings, timeout: float) -> str | None:
    url = settings.database_url
    if url.startswith("sqlite://"):
        return None  # a file, checked by check_files
    import asyncpg

    dsn = "postgresql://" + url.split("://", 1)[1]
    try:
        conn = await asyncio.wait_for(asyncpg.connect(dsn, timeout=timeout), timeout + 0.5)
    except Exception as exc:  # noqa: BLE001 - every failure is reported the same way
        return problem("DATABASE_URL", f"cannot be reached at {_where(url, 5432)} "
                       f"({_reason(exc, timeout)})", DATABASE_EXAMPLE)
    try:
        await conn.fetchval("SELECT 1")
    finally:
        await conn.close()
    return None


async def _redis(variable: str, url: str, timeout: float) -> str | None:
    import redis.asyncio as aioredis
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff

    # Tried once: the client's own retries would multiply the timeout.
    client = aioredis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout,
                               retry_on_timeout=False, retry=Retry(NoBackoff(), 0))
    try:
        await asyncio.wait_for(client.ping(), timeout + 0.5)
    except Exception as exc:  # noqa: BLE001
        return problem(variable, f"cannot be reached at {_where(url, 6379)} "
                       f"({_reason(exc, timeout)})", REDIS_EXAMPLE)
    finally:
        await client.aclose()
    return None


async def _amqp(variable: str, url: str, timeout: float) -> str | None:
    import pika  # type: ignore[import-untyped]

    def connect() -> None:
        parameters = pika.URLParameters(url)
        parameters.socket_timeout = timeout
        parameters.connection_attempts = 1
        parameters.blocked_connection_timeout = timeout
        pika.BlockingConnection(parameters).close()

    example = "amqp://gateway:secret@127.0.0.1:5672/"
    parts = urllib.parse.urlsplit(url)
    where = _where(url, 5671 if url.startswith("amqps") else 5672)
    try:
        # The socket first, for a plain answer (pika reports a workflow of wrapped errors).
        _, writer = await asyncio.wait_for(asyncio.open_connection(
            parts.hostname, parts.port or (5671 if url.startswith("amqps") else 5672)), timeout)
        writer.close()
        await asyncio.to_thread(connect)
    except Exception as exc:  # noqa: BLE001
        reason = _reason(exc, timeout)
        if reason == type(exc).__name__:
            reason = "the server refused the AMQP handshake: user, password or virtual host"
        return problem(variable, f"cannot be reached at {where} ({reason})", example)
    return None


async def _broker(settings: Settings, timeout: float) -> str | None:
    url = settings.broker_url
    if url.startswith(("redis://", "rediss://")):
        return await _redis("BROKER_URL", url, timeout)
    if url.startswith(("amqp://", "amqps://")):
        return await _amqp("BROKER_URL", url, timeout)
    return None


async def _pubsub(settings: Settings, timeout: float) -> str | None:
    if not settings.pubsub_url or settings.pubsub_url == settings.broker_url:
        return None  # memory://, or the broker's Redis (checked as BROKER_URL)
    if settings.pubsub_url.startswith(("redis://", "rediss://")):
        return await _redis("PUBSUB_URL", settings.pubsub_url, timeout)
    return None


async def _email(settings: Settings, timeout: float) -> str | None:
    from gateway.email.transport import FileTarget, parse_email_url

    target = parse_email_url(settings.email_url)
    if isinstance(target, FileTarget):
        return _writable_folder("EMAIL_URL", target.folder.resolve(),
                                f"file://{settings.var_dir / 'outbox'}")
    import aiosmtplib

    client = aiosmtplib.SMTP(hostname=target.host, port=target.port, use_tls=target.use_tls,
                             start_tls=target.start_tls, timeout=timeout)
    where = f"{target.host}:{target.port}"
    try:
        await asyncio.wait_for(client.connect(), timeout + 0.5)
    except Exception as exc:  # noqa: BLE001
        return problem("EMAIL_URL", f"cannot be reached at {where} ({_reason(exc, timeout)})",
                       SMTP_EXAMPLE)
    try:
        if target.username:
            await asyncio.wait_for(client.login(target.username, target.password or ""),
                                   timeout + 0.5)
    except aiosmtplib.SMTPAuthenticationError as exc:
        return problem("EMAIL_URL", f"is refused by {where}: the user name or password is "
                       f"wrong ({exc.code} {' '.join(exc.message.split())[:120]})",
                       SMTP_EXAMPLE)
    except Exception as exc:  # noqa: BLE001
        return problem("EMAIL_URL", f"cannot sign in at {where} ({_reason(exc, timeout)})",
                       SMTP_EXAMPLE)
    finally:
        try:
            await asyncio.wait_for(client.quit(), timeout)
        except Exception:  # noqa: BLE001,S110 - the answer that mattered came already
            client.close()
    return None


CONNECTIONS: dict[str, Callable[[Settings, float], Awaitable[str | None]]] = {
    "database": _database,
    "broker": _broker,
    "pub/sub": _pubsub,
    "email": _email,
}


async def check_connections(settings: Settings, report: Report, *,
                            only: tuple[str, ...] | None = None,
                            timeout: float = CONNECT_TIMEOUT) -> None:
    """Try each connection once, all at the same time, at most ``timeout`` seconds each."""
    names = [name for name in CONNECTIONS if only is None or name in only]
    # The drivers log their failures (pika, with tracebacks) before the command configured
    # its logging: the one line per problem below says it all.
    previous = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        found = await asyncio.gather(*(CONNECTIONS[name](settings, timeout) for name in names))
    finally:
        logging.disable(previous)
    for name, line in zip(names, found, strict=True):
        if line:
            report.problems.append(line)
        elif (said := _describe(name, settings)) is not None:
            report.passed.append(said)


def _describe(name: str, settings: Settings) -> str | None:
    """What a passed connection check says; None when another line said it already."""
    from gateway.settings import redacted

    if name == "database":
        url = settings.database_url
        return None if url.startswith("sqlite://") and sqlite_path(url) else (
            f"database: {redacted(url)} reachable")
    if name == "broker":
        url = settings.broker_url
        return ("broker: memory:// (jobs run in the serve process)" if settings.embedded_broker
                else f"broker: {redacted(url)} reachable")
    if name == "pub/sub":
        url = settings.effective_pubsub_url
        if url == "memory://":
            return "pub/sub: memory:// (events stay in each process)"
        return None if url == settings.broker_url else f"pub/sub: {redacted(url)} reachable"
    url = settings.email_url
    if url.startswith("file://"):
        return f"email: written as .eml files in {url.removeprefix('file://')}"
    return f"email: {redacted(url)} reachable"


# ---- the port -------------------------------------------------------------------------------

def check_port(host: str, port: int, report: Report) -> None:
    """Whether `gateway serve` can listen on host:port; a busy port suggests a free one."""
    if port == 0:
        return
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
            sock.bind((host, port))
    except socket.gaierror:
        report.problems.append(problem("HOST", f"{host!r} is not a known host name", "0.0.0.0"))
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            free = _free_port(host, port)
            report.problems.append(
                f"PORT {port} is already in use on {host} (another gateway or program listens "
                f"there); choose a free one, e.g. PORT={free} gateway serve")
        elif exc.errno == errno.EACCES:
            report.problems.append(problem(
                "PORT", f"{port} needs administrator rights (ports below 1024); use a higher "
                "one behind a proxy,", "8000"))
        elif exc.errno == errno.EADDRNOTAVAIL:
            report.problems.append(problem(
                "HOST", f"{host} is not an address of this machine", "0.0.0.0"))
        else:
            report.problems.append(problem(
                "PORT", f"{port} on {host} cannot be listened on ({exc.strerror})", "8000"))
    else:
        report.passed.append(f"listen: {host}:{port} is free")


def _free_port(host: str, busy: int) -> int:
    for candidate in range(busy + 1, min(busy + 50, 65536)):
        try:
            with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
                sock.bind((host, candidate))
            return candidate
        except OSError:
            continue
    return busy + 1


# ---- all of them ----------------------------------------------------------------------------

def run_checks(settings: Settings, *, plugins: bool = True, connections: bool = True,
               only: tuple[str, ...] | None = None, listen: tuple[str, int] | None = None,
               timeout: float = CONNECT_TIMEOUT) -> Report:
    """Files, plugins, connections and (``listen``) the port, for settings already read."""
    report = Report()
    check_files(settings, report)
    if plugins:
        check_plugins(settings, report)
    if connections:
        asyncio.run(check_connections(settings, report, only=only, timeout=timeout))
    if listen is not None:
        check_port(*listen, report)
    return report
