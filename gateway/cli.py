"""The ``gateway`` command: serve, worker, check, migrate, demo, schema, plugins and plugins'
commands; ``gateway <command> --help`` says what each does, with examples."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any

from gateway.console import HelpFormatter, gateway_command
from gateway.plugins import PluginError, PluginHost
from gateway.settings import SettingsError, redacted


def _refused(problems: list[str]) -> int:
    """Print one line per problem, no traceback; the status of a configuration error."""
    for line in problems:
        print(f"gateway: {line}", file=sys.stderr)
    return 2


def _checked(gateway: PluginHost, *, only: tuple[str, ...] | None = None,
             listen: tuple[str, int] | None = None) -> list[str]:
    """The start-up checks' problems (files, connections tried once, the port)."""
    from gateway.checks import run_checks

    return run_checks(gateway.settings, plugins=False, only=only, listen=listen).problems


def cmd_serve(args: argparse.Namespace) -> int:
    from gateway.observability import configure_logging

    gateway: PluginHost = args.gateway
    settings = gateway.settings
    host, port = args.host or settings.host, settings.port if args.port is None else args.port
    problems = _checked(gateway, listen=(host, port))
    if problems:
        return _refused(problems)
    import uvicorn

    from gateway.app import create_app

    configure_logging(settings.log_level)
    # Bound here, before the app is made: with --port 0 the system picks the port, and the
    # printed URL and the links in emails must name the port really bound, never ":0".
    try:
        listening = _listen(host, port)
    except OSError as exc:
        return _refused([f"cannot listen on {host}:{port}: {exc.strerror or exc}"])
    port = listening.getsockname()[1]
    if not os.environ.get("PUBLIC_URL") and (host, port) != (settings.host, settings.port):
        # Links in emails and downloads (and the URL printed below) follow --host/--port.
        settings = dataclasses.replace(settings, host=host, port=port,
                                       public_url=f"http://{_url_host(host)}:{port}")
    app = create_app(settings, gateway if settings is gateway.settings else None)
    # The schema, plugins and modules live as long as the process: out of the cyclic garbage
    # collector's sight, its full collections no longer walk them (pauses of tens of ms
    # under load, seen as the GraphQL pages' p99).
    gc.collect()
    gc.freeze()
    # With PUBLIC_URL set (a proxy in front), where this process listens is said too.
    bound = "" if settings.public_url == f"http://{_url_host(host)}:{port}" else (
        f"listening on {_url_host(host)}:{port}, ")
    print(f"Gateway: {settings.public_url}/graphql  ({bound}env={settings.env}, "
          f"database={settings.database_url.split('://')[0]}, broker={settings.broker_url})",
          flush=True)
    # uvicorn stops gracefully on SIGTERM, then raises it again under the handler it found:
    # this one makes a graceful stop end with status 0, as `gateway worker` does.
    signal.signal(signal.SIGTERM, _exit_cleanly)
    # A WebSocket message is refused at the GraphQL body limit before uvicorn buffers more.
    config = uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False,
                            workers=None, lifespan="on", ws_max_size=settings.max_body_bytes)
    server = uvicorn.Server(config)
    with listening:
        server.run(sockets=[listening])
    # As uvicorn.run does: a start-up that failed (the lifespan refused) is not a success.
    return 0 if server.started else 3


def _listen(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host``:``port`` (0: a free port the system picks), as uvicorn
    binds its own."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listening = socket.socket(family, socket.SOCK_STREAM)
    try:
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.bind((host, port))
    except OSError:
        listening.close()
        raise
    listening.set_inheritable(True)
    return listening


def _url_host(host: str) -> str:
    """``host`` as a URL names it (an IPv6 address in brackets)."""
    return f"[{host}]" if ":" in host else host


def _exit_cleanly(signum: int, frame: Any) -> None:
    raise SystemExit(0)


def cmd_worker(args: argparse.Namespace) -> int:
    """Dramatiq worker threads fed by redis:// or amqp://; relay and scheduler run here too."""
    from gateway import db
    from gateway.email import smtp_pool
    from gateway.jobs.runtime import JobRuntime
    from gateway.observability import configure_logging

    gateway: PluginHost = args.gateway
    if gateway.settings.embedded_broker:
        return _refused([
            "BROKER_URL is memory:// (in-process), which a separate worker cannot share: with "
            "it `gateway serve` runs the workers itself; e.g. BROKER_URL=redis://127.0.0.1:6379/0"
        ])
    problems = _checked(gateway)
    if problems:
        return _refused(problems)
    configure_logging(gateway.settings.log_level)
    runtime = JobRuntime(gateway, in_process_workers=True, worker_threads=args.threads)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())

    async def main() -> None:
        await db.init_db(gateway)
        await runtime.start()
        await gateway.call_async("gateway_startup")
        print(f"Worker: {args.threads} threads on {redacted(gateway.settings.broker_url)}",
              flush=True)
        while not stop.is_set():
            await asyncio.sleep(0.2)
        await gateway.call_async("gateway_shutdown")
        await runtime.stop()
        await smtp_pool.close_all()  # what its email jobs kept open
        await db.close_db()

    asyncio.run(main())
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Every setting, the files, the plugins and the connections; exit 2 on any problem."""
    from gateway.checks import run_checks

    gateway: PluginHost = args.gateway
    settings = gateway.settings
    listen = (settings.host, settings.port) if args.listen else None
    report = run_checks(settings, plugins=False, connections=not args.offline, listen=listen,
                        timeout=args.timeout)
    names = [spec.name for spec in gateway.enabled]
    print(f"ok  settings: env={settings.env}")
    print(f"ok  plugins: {len(names)} on ({', '.join(names) or 'none'})")
    for line in report.passed:
        print(f"ok  {line}")
    if report.problems:
        return _refused(report.problems)
    print("All checks passed.")
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from gateway import db

    gateway: PluginHost = args.gateway
    problems = _checked(gateway, only=("database",))
    if problems:
        return _refused(problems)

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

    gateway: PluginHost = args.gateway
    problems = _checked(gateway, only=("database",))
    if problems:
        return _refused(problems)

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
    print(f"Serve it:  {gateway_command('serve')}")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from schema.build import build_schema

    sys.stdout.write(build_schema(args.gateway).as_str() + "\n")
    return 0


def cmd_plugins(args: argparse.Namespace) -> int:
    from gateway.introspection import describe_plugins

    for line in describe_plugins(args.gateway):
        print(line)
    return 0


def cmd_persisted_queries(args: argparse.Namespace) -> int:
    """Register documents on the persisted queries' allowlist (one GraphQL document per
    file, stored under the SHA-256 of its exact text, which clients send as sha256Hash)."""
    from pathlib import Path

    from graphql import parse
    from graphql.error import GraphQLError

    from gateway import db
    from gateway.persisted_queries import sha256, store

    gateway: PluginHost = args.gateway
    documents: list[tuple[str, str]] = []
    problems: list[str] = []
    for name in args.files:
        try:
            text = Path(name).read_text(encoding="utf-8")
            parse(text)
        except (OSError, UnicodeDecodeError, GraphQLError) as exc:
            problems.append(f"{name}: not a readable GraphQL document ({str(exc).strip()})")
            continue
        if len(text) > gateway.settings.max_query_length:
            problems.append(f"{name}: longer than GRAPHQL_MAX_QUERY_LENGTH "
                            f"({gateway.settings.max_query_length} characters)")
            continue
        documents.append((name, text))
    problems += [] if problems else _checked(gateway, only=("database",))
    if problems:
        return _refused(problems)

    async def main() -> list[bool]:
        await db.init_db(gateway)
        try:
            return [await store(sha256(text), text, allowlisted=True) for _, text in documents]
        finally:
            await db.close_db()

    for (name, text), new in zip(documents, asyncio.run(main()), strict=True):
        print(f"{sha256(text)}  {name}{'' if new else '  (already registered)'}")
    return 0


def _persisted_queries_options(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION",
                                help="add: register documents on the allowlist")
    add = sub.add_parser("add", help="register the documents of these files",
                         formatter_class=HelpFormatter)
    add.add_argument("files", nargs="+", metavar="FILE",
                     help="a file holding one GraphQL document (e.g. dashboard.graphql)")


@dataclasses.dataclass(frozen=True)
class Builtin:
    """A built-in command: its one-line summary, what it does, its examples, its options."""

    summary: str
    description: str
    examples: tuple[tuple[str, str], ...]
    run: Callable[[argparse.Namespace], int]
    options: Callable[[argparse.ArgumentParser], None] | None = None


def _serve_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="address to listen on (default: HOST, else 127.0.0.1; "
                        "0.0.0.0 for every interface)")
    parser.add_argument("--port", type=int, help="TCP port (default: PORT, else 8000; 0: any "
                        "free port)")


def _worker_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--threads", type=int, default=4,
                        help="worker threads running jobs at the same time (default: 4)")


def _check_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--listen", action="store_true",
                        help="also check that `gateway serve` can listen on HOST:PORT")
    parser.add_argument("--offline", action="store_true",
                        help="check the settings and files only, not the connections")
    parser.add_argument("--timeout", type=float, default=3.0, metavar="SECONDS",
                        help="how long each connection may take to answer (default: 3)")


def _makemigrations_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("apps", nargs="*", metavar="APP",
                        help="the model apps to look at (default: every enabled one)")
    parser.add_argument("--name", help="a name for the migration file")


def _demo_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--size", choices=["small", "large"], default="small",
                        help="small: a few accounts per reseller (default); large: about 60")


BUILTIN: dict[str, Builtin] = {
    "serve": Builtin(
        "Serve GraphQL (and, on the embedded default, run the jobs).",
        "Check the settings and connections, then serve GraphQL on HOST:PORT with uvicorn: "
        "POST /graphql, subscriptions over WebSocket, GraphiQL in a browser in development, "
        "/healthz, /readyz, /metrics. On SQLite it applies pending migrations first; with "
        "BROKER_URL=memory:// it also runs the job workers. Stops gracefully on Ctrl-C or "
        "SIGTERM.",
        (("serve on 127.0.0.1:8000", "serve"),
         ("every interface, another port", "serve --host 0.0.0.0 --port 8080")),
        cmd_serve, _serve_options),
    "worker": Builtin(
        "Run job workers for a redis:// or amqp:// broker.",
        "Run background jobs (email, PDFs, providers) from BROKER_URL's queues, with a relay "
        "and the scheduler; for scale-out beside `serve` processes. Refuses memory://, where "
        "`serve` runs the jobs itself.",
        (("8 threads on Redis", "worker --threads 8"),),
        cmd_worker, _worker_options),
    "check": Builtin(
        "Check every setting, file, plugin and connection, then exit.",
        "What `serve` and `worker` check before starting: every setting of the environment, "
        "the folders and files it needs, the plugins file, and the database, broker, pub/sub "
        "and SMTP connections (each tried once). Prints what is fine; each problem is one line "
        "naming the setting, what is wrong and an example of a right value. Exit status: 0 "
        "when all is fine, 2 otherwise.",
        (("before starting a deployment", "check"),
         ("also that the port is free", "check --listen"),
         ("no network", "check --offline")),
        cmd_check, _check_options),
    "migrate": Builtin(
        "Apply every enabled plugin's pending migrations.",
        "Apply pending database migrations: the core first, then each enabled plugin in "
        "plugins.toml's order. Safe to run again. Run it once per deployment on PostgreSQL "
        "(`serve` migrates SQLite by itself).",
        (("", "migrate"),),
        cmd_migrate),
    "makemigrations": Builtin(
        "Write migrations for changed models (developers).",
        "Write new migration files for changed models with Tortoise's autodetector "
        "(developers; plugins that reference core tables hand-write theirs).",
        (("the core app", "makemigrations models --name add_column"),),
        cmd_makemigrations, _makemigrations_options),
    "demo": Builtin(
        "Load the demo data set (idempotent).",
        "Migrate, then load the demo data set every plugin contributes (two resellers, their "
        "accounts and people); prints the demo logins, their password and the ids the "
        "README's walk needs. Running it again creates nothing new.",
        (("", "demo"), ("about 60 accounts per reseller", "demo --size large")),
        cmd_demo, _demo_options),
    "schema": Builtin(
        "Print the GraphQL schema (SDL).",
        "Print the composed GraphQL schema (core and enabled plugins) as SDL, for client code "
        "generators and reviews.",
        (("into a file", "schema > schema.graphql"),),
        cmd_schema),
    "persisted-queries": Builtin(
        "Register documents on the persisted queries' allowlist.",
        "Store each FILE's GraphQL document under the SHA-256 of its exact text (printed), "
        "for every process serving the database. With PERSISTED_QUERIES=allowlist only "
        "registered documents run; clients send {\"extensions\": {\"persistedQuery\": "
        "{\"version\": 1, \"sha256Hash\": ...}}} instead of the text.",
        (("register a dashboard's queries", "persisted-queries add dashboard.graphql"),),
        cmd_persisted_queries, _persisted_queries_options),
    "plugins": Builtin(
        "List plugins, their origin, state and contributions.",
        "List the plugins: built in or installed (entry point), on or off, and what each "
        "contributes (fields, types, jobs, routes, commands, models).",
        (("", "plugins"),),
        cmd_plugins),
}


def _epilog(examples: Sequence[tuple[str, str]]) -> str:
    shown = [(f"{gateway_command()} {command}", what) for what, command in examples]
    width = max(len(command) for command, _ in shown)
    return "\n".join(["examples:"] + [
        f"  {command.ljust(width)}  # {what}" if what else f"  {command}"
        for command, what in shown])


def _usage_examples(name: str, parser: argparse.ArgumentParser) -> tuple[tuple[str, str], ...]:
    """Examples for a plugin's command that gives none: each action (sub-command) with what
    it requires, described by its help; or the command itself with what it requires."""
    actions = [action for action in parser._actions
               if isinstance(action, argparse._SubParsersAction)]
    if not actions:
        return ((parser.description or "", " ".join([name, *_required(parser)])),)
    helps = {choice.dest: choice.help for choice in actions[0]._choices_actions}
    return tuple(
        (helps.get(action) or sub.description or "", " ".join([name, action, *_required(sub)]))
        for action, sub in actions[0].choices.items()
    )


def _required(parser: argparse.ArgumentParser) -> list[str]:
    """What an invocation must give: positional arguments and required options."""
    words: list[str] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction | argparse._HelpAction):
            continue
        metavar = action.metavar if isinstance(action.metavar, str) else None
        if not action.option_strings:
            words.append(metavar or action.dest.upper())
        elif action.required:
            value = "" if action.nargs == 0 else f" {metavar or action.dest.upper()}"
            words.append(f"{action.option_strings[-1]}{value}")
    return words


def build_parser(gateway: PluginHost | None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gateway", formatter_class=HelpFormatter,
        description="The reseller GraphQL gateway. Settings come from the environment "
        "(GATEWAY_ENV, DATABASE_URL, BROKER_URL, EMAIL_URL, SECRET_KEY, PUBLIC_URL, HOST, "
        "PORT, ...); `gateway check` tells whether they work.",
        epilog=_epilog((("try it", "demo"), ("", "serve"), ("more about a command",
                                                            "serve --help"))))
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, builtin in BUILTIN.items():
        command = sub.add_parser(name, help=builtin.summary, description=builtin.description,
                                 epilog=_epilog(builtin.examples),
                                 formatter_class=HelpFormatter)
        command.set_defaults(func=builtin.run)
        if builtin.options:
            builtin.options(command)
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
            command = sub.add_parser(contributed.name, help=contributed.help,
                                     description=contributed.help,
                                     formatter_class=HelpFormatter)
            if contributed.configure:
                contributed.configure(command)
            examples = contributed.examples or _usage_examples(contributed.name, command)
            if examples and not command.epilog:  # a plugin writing its own epilog keeps it
                command.epilog = _epilog(examples)
            command.set_defaults(
                func=lambda a, c=contributed: c.run(gateway, a) or 0, plugin=plugin
            )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from gateway.checks import load_settings

    settings, report = load_settings()
    if settings is None:
        return _refused(report.problems)
    try:
        gateway = PluginHost(settings)
    except PluginError as exc:
        return _refused(str(exc).splitlines())
    try:
        args = build_parser(gateway).parse_args(argv)
        args.gateway = gateway
        return int(args.func(args) or 0)
    except (SettingsError, PluginError) as exc:
        return _refused(str(exc).splitlines())


if __name__ == "__main__":
    sys.exit(main())
