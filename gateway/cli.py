"""The ``gateway`` command: serve, worker, migrate, demo, schema, plugins and plugins' commands."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any

from gateway.plugins import PluginError, PluginHost
from gateway.settings import Settings, SettingsError


def _gateway() -> PluginHost:
    """The host of the gateway core and the configured plugins."""
    return PluginHost(Settings.from_env())


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from gateway.app import create_app
    from gateway.observability import configure_logging

    configure_logging(os.environ.get("LOG_LEVEL", "INFO"))
    settings = Settings.from_env()
    host, port = args.host or settings.host, args.port or settings.port
    if not os.environ.get("PUBLIC_URL") and (host, port) != (settings.host, settings.port):
        # Links in emails and downloads (and the URL printed below) follow --host/--port.
        settings = dataclasses.replace(settings, host=host, port=port,
                                       public_url=f"http://{host}:{port}")
    app = create_app(settings)
    print(f"Gateway: {settings.public_url}/graphql  (env={settings.env}, "
          f"database={settings.database_url.split('://')[0]}, broker={settings.broker_url})",
          flush=True)
    # uvicorn stops gracefully on SIGTERM, then raises it again under the handler it found:
    # this one makes a graceful stop end with status 0, as `gateway worker` does.
    signal.signal(signal.SIGTERM, _exit_cleanly)
    # A WebSocket message is refused at the GraphQL body limit before uvicorn buffers more.
    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False,
                workers=None, lifespan="on", ws_max_size=settings.max_body_bytes)
    return 0


def _exit_cleanly(signum: int, frame: Any) -> None:
    raise SystemExit(0)


def cmd_worker(args: argparse.Namespace) -> int:
    """Dramatiq worker threads fed by redis:// or amqp://; relay and scheduler run here too."""
    from gateway import db
    from gateway.jobs.runtime import JobRuntime
    from gateway.observability import configure_logging

    configure_logging(os.environ.get("LOG_LEVEL", "INFO"))
    gateway = _gateway()
    if gateway.settings.embedded_broker:
        print("gateway worker needs BROKER_URL=redis://… or amqp://…; with memory:// "
              "`gateway serve` runs the workers itself.", file=sys.stderr)
        return 2
    runtime = JobRuntime(gateway, in_process_workers=True, worker_threads=args.threads)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())

    async def main() -> None:
        await db.init_db(gateway)
        await runtime.start()
        await gateway.call_async("gateway_startup")
        print(f"Worker: {args.threads} threads on {gateway.settings.broker_url}", flush=True)
        while not stop.is_set():
            await asyncio.sleep(0.2)
        await gateway.call_async("gateway_shutdown")
        await runtime.stop()
        await db.close_db()

    asyncio.run(main())
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from gateway import db

    gateway = _gateway()

    async def main() -> None:
        await db.migrate(gateway)
        await db.close_db()

    asyncio.run(main())
    print("Migrations applied.")
    return 0


def cmd_makemigrations(args: argparse.Namespace) -> int:
    """Write new migrations for model changes (developers), through Tortoise's own autodetector."""
    from tortoise.cli import cli as tortoise_cli

    os.environ.setdefault("DATABASE_URL", "sqlite://:memory:")
    ctx = tortoise_cli.CLIContext(config="gateway.tortoise_orm.TORTOISE_ORM", config_file=None)
    asyncio.run(tortoise_cli.makemigrations(ctx, tuple(args.apps), False, args.name))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from gateway import db

    gateway = _gateway()

    async def main() -> list[Any]:
        await db.migrate(gateway)
        await db.init_db(gateway)
        try:
            return await gateway.call_async("gateway_demo_data", size=args.size)
        finally:
            await db.close_db()

    results = [lines for lines in asyncio.run(main()) if lines]
    for lines in results:
        for line in lines if isinstance(lines, list | tuple) else [lines]:
            print(line)
    if not results:
        # Say so, rather than leave a newcomer wondering whether anything happened.
        print("Database migrated; no enabled plugin contributes demo data yet.")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from schema.build import build_schema

    sys.stdout.write(build_schema(_gateway()).as_str() + "\n")
    return 0


def cmd_plugins(args: argparse.Namespace) -> int:
    from gateway.introspection import describe_plugins

    for line in describe_plugins(_gateway()):
        print(line)
    return 0


BUILTIN: dict[str, tuple[str, Any]] = {
    "serve": ("Serve GraphQL (and, on the embedded default, run the jobs).", cmd_serve),
    "worker": ("Run job workers for a redis:// or amqp:// broker.", cmd_worker),
    "migrate": ("Apply every enabled plugin's pending migrations.", cmd_migrate),
    "makemigrations": ("Write migrations for changed models (developers).", cmd_makemigrations),
    "demo": ("Load the demo data set (idempotent).", cmd_demo),
    "schema": ("Print the GraphQL schema (SDL).", cmd_schema),
    "plugins": ("List plugins, their origin, state and contributions.", cmd_plugins),
}


def build_parser(gateway: PluginHost | None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gateway", description="The reseller GraphQL gateway.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (help_text, func) in BUILTIN.items():
        command = sub.add_parser(name, help=help_text)
        command.set_defaults(func=func)
        if name == "serve":
            command.add_argument("--host")
            command.add_argument("--port", type=int)
        elif name == "worker":
            command.add_argument("--threads", type=int, default=4)
        elif name == "makemigrations":
            command.add_argument("apps", nargs="*")
            command.add_argument("--name")
        elif name == "demo":
            command.add_argument("--size", choices=["small", "large"], default="small")
    if gateway is not None:
        owners: dict[str, str] = {}
        for plugin, contributed in gateway.each("gateway_commands"):
            if contributed.name in BUILTIN:
                raise PluginError(
                    f"plugin {plugin!r}: command {contributed.name!r} is a built-in command"
                )
            if contributed.name in owners:
                raise PluginError(
                    f"plugin {plugin!r}: command {contributed.name!r} is already contributed by "
                    f"plugin {owners[contributed.name]!r}"
                )
            owners[contributed.name] = plugin
            command = sub.add_parser(contributed.name, help=contributed.help)
            if contributed.configure:
                contributed.configure(command)
            command.set_defaults(
                func=lambda a, c=contributed: c.run(gateway, a) or 0, plugin=plugin
            )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        gateway = _gateway()
    except (SettingsError, PluginError) as exc:
        print(f"gateway: {exc}", file=sys.stderr)
        return 2
    try:
        args = build_parser(gateway).parse_args(argv)
        return int(args.func(args) or 0)
    except (SettingsError, PluginError) as exc:
        print(f"gateway: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
