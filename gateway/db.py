"""Tortoise set-up: one app per plugin plus the core app, one connection from DATABASE_URL."""

from __future__ import annotations

import logging
import os
from typing import Any

from tortoise import Tortoise
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.context import TortoiseContext
from tortoise.migrations.api import migrate as _migrate

from gateway.contributions import ModelApp
from gateway.migration_state import lazy_snapshots
from gateway.plugins import PluginError, PluginHost

# Database drivers log every query's parameters at DEBUG: password hashes, set-password links in
# outbox payloads. They stay at INFO unless an operator asks for SQL on purpose (LOG_SQL=1).
if os.environ.get("LOG_SQL") != "1":
    for _name in ("tortoise.db_client", "aiosqlite", "asyncpg"):
        logging.getLogger(_name).setLevel(logging.INFO)

CORE_APP = ModelApp(
    label="core",
    models=["gateway.models", "gateway.identity.models"],
    migrations="gateway.migrations",
)


def model_apps(gateway: PluginHost) -> list[ModelApp]:
    """The core app first, then each plugin's app in load order (migrations rely on it)."""
    apps = [CORE_APP]
    seen = {CORE_APP.label: "core"}
    for plugin, app in gateway.each("gateway_models"):
        if app.label in seen:
            raise PluginError(
                f"plugin {plugin!r}: Tortoise app {app.label!r} is already defined by "
                f"{seen[app.label]!r}"
            )
        seen[app.label] = plugin
        apps.append(app)
    return apps


def tortoise_config(gateway: PluginHost, database_url: str | None = None) -> dict[str, Any]:
    """The Tortoise config dict for this host's enabled plugins."""
    url = database_url or gateway.settings.database_url
    if url.startswith("sqlite://"):
        path = url.removeprefix("sqlite://")
        if path and path != ":memory:":
            from pathlib import Path

            folder = Path(path).parent
            if not folder.is_dir():
                # Said, not silent (start-up checks refuse a folder outside the working tree).
                logging.getLogger("gateway.db").warning(
                    "creating the folder %s for the SQLite database", folder.resolve())
                folder.mkdir(parents=True, exist_ok=True)
    return {
        "connections": {"default": _connection(url)},
        "apps": {
            app.label: {
                "models": app.models,
                "migrations": app.migrations,
                "default_connection": "default",
            }
            for app in model_apps(gateway)
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def _connection(url: str) -> str | dict[str, Any]:
    """A connection's config: SQLite's with our client (``gateway.sqlite_client``)."""
    if not url.startswith("sqlite://"):
        return url
    return {**expand_db_url(url), "engine": "gateway.sqlite_client"}


async def init_db(gateway: PluginHost) -> None:
    """Open the connection and register the models of every enabled plugin.

    The context is global: uvicorn runs the lifespan in another task than the requests, and
    job actors run coroutines submitted from worker threads."""
    await Tortoise.init(config=tortoise_config(gateway), _enable_global_fallback=True)


async def migrate(gateway: PluginHost) -> None:
    """Apply every pending migration, core first then plugins in load order."""
    lazy_snapshots()
    with TortoiseContext() as ctx:
        try:
            await _migrate(config=tortoise_config(gateway))
        finally:
            await ctx.close_connections()


async def close_db() -> None:
    await Tortoise.close_connections()
