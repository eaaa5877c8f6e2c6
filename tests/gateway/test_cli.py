"""The ``gateway`` console script, run as a newcomer or an operator runs it: in a subprocess."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from gateway.cli import build_parser
from gateway.contributions import Command
from gateway.hookimpl import hookimpl
from gateway.models import OutboxJob, OutboxStatus
from gateway.plugins import PluginError, PluginHost, PluginSpec
from gateway.settings import Settings
from tests.conftest import ROOT, Gateway, make_settings, start_gateway

# The console script installed beside the interpreter running the tests (.venv/bin/gateway).
GATEWAY = shutil.which("gateway", path=str(Path(sys.executable).parent))


def gateway_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A development environment of the test's own: var/ in tmp_path, embedded defaults."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "BROKER_URL", "EMAIL_URL", "PUBLIC_URL", "SECRET_KEY",
                     "GATEWAY_PLUGINS_FILE", "GATEWAY_ENV", "HOST", "PORT")
    }
    env.update(GATEWAY_VAR_DIR=str(tmp_path / "var"), GATEWAY_LOAD_PLUGINS="",
               PYTHONPATH=str(ROOT))
    env.update(extra)
    return env


def run_gateway(
    *args: str, env: dict[str, str], expect: int = 0
) -> subprocess.CompletedProcess[str]:
    assert GATEWAY is not None, f"no `gateway` console script next to {sys.executable}"
    done = subprocess.run(
        [GATEWAY, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == expect, (
        f"gateway {' '.join(args)} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
    )
    return done


def sqlite_tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def test_schema_prints_the_sdl(tmp_path: Path) -> None:
    sdl = run_gateway("schema", env=gateway_env(tmp_path)).stdout
    assert "type Query {" in sdl
    assert "outboxJobs(" in sdl
    assert "  rerunJob(\n" in sdl and "    input: RerunJobInput!\n  ): RerunJobPayload!" in sdl


def test_plugins_lists_origin_state_and_contributions(tmp_path: Path) -> None:
    plugins_file = tmp_path / "plugins.toml"
    plugins_file.write_text(
        '[plugins.testjobs]\nmodule = "tests.support.jobs_plugin"\n\n'
        '[plugins.ops]\nmodule = "tests.support.ops_plugin"\nenabled = false\n'
    )
    out = run_gateway(
        "plugins", env=gateway_env(tmp_path, GATEWAY_PLUGINS_FILE=str(plugins_file))
    ).stdout
    lines = out.splitlines()
    assert "core  [built in, on]" in lines
    assert "    commands: jobs" in lines
    assert "testjobs  [built in, on]" in lines
    assert "    actors: test.record, test.flaky, test.slow" in lines
    assert "    periodic: test.tick (every 3600s)" in lines
    assert "ops  [built in, off]" in lines


def test_migrate_creates_the_tables_and_is_idempotent(tmp_path: Path) -> None:
    database = tmp_path / "fresh.sqlite3"
    env = gateway_env(tmp_path, DATABASE_URL=f"sqlite://{database}")
    assert run_gateway("migrate", env=env).stdout.strip() == "Migrations applied."
    tables = sqlite_tables(database)
    assert {"core_outbox_job", "tortoise_migrations"} <= tables
    with sqlite3.connect(database) as conn:
        applied = conn.execute("SELECT COUNT(*) FROM tortoise_migrations").fetchone()[0]
    run_gateway("migrate", env=env)
    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT COUNT(*) FROM tortoise_migrations").fetchone()[0] == applied


def test_demo_migrates_the_embedded_database_and_can_run_twice(tmp_path: Path) -> None:
    # The newcomer's path: no settings at all, the repository's plugins.toml, var/ for data.
    env = gateway_env(tmp_path)
    first = run_gateway("demo", env=env)
    assert first.stdout.strip(), "gateway demo should say what it did"
    assert "core_outbox_job" in sqlite_tables(tmp_path / "var" / "gateway.sqlite3")
    run_gateway("demo", env=env)


def test_worker_refuses_the_in_process_broker(tmp_path: Path) -> None:
    done = run_gateway("worker", env=gateway_env(tmp_path, BROKER_URL="memory://"), expect=2)
    assert "redis://" in done.stderr and "gateway serve" in done.stderr


def test_production_without_secret_key_refuses_to_start(tmp_path: Path) -> None:
    done = run_gateway("migrate", env=gateway_env(tmp_path, GATEWAY_ENV="production"), expect=2)
    assert "SECRET_KEY is not set" in done.stderr


@pytest.fixture
async def outbox_db(migrated: str, tmp_path: Path) -> AsyncIterator[Gateway]:
    """The session's test database, emptied, with no job runtime: rows stay as written."""
    async for running in start_gateway(make_settings(migrated, tmp_path), run_jobs=False):
        yield running


async def _job(status: OutboxStatus, job: str = "test.record", **fields: object) -> OutboxJob:
    now = dt.datetime.now(dt.UTC)
    values: dict[str, object] = {"job": job, "status": status, "run_after": now}
    values.update(fields)
    return await OutboxJob.create(**values)


async def test_jobs_lists_failed_then_other_statuses_and_reruns(
    outbox_db: Gateway, migrated: str, tmp_path: Path
) -> None:
    finished = dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.UTC)
    failed = await _job(OutboxStatus.FAILED, "email.send", attempts=5, max_attempts=5,
                        last_error="SMTPRecipientsRefused: nobody@example.com\nmore detail",
                        finished_at=finished)
    pending = await _job(OutboxStatus.PENDING, "test.record")
    done = await _job(OutboxStatus.DONE, "test.done", attempts=1, finished_at=finished)
    # A job that cannot succeed does not look merely pending: it is listed, with its error.
    next_attempt = dt.datetime(2026, 3, 4, 6, 0, 0, tzinfo=dt.UTC)
    retrying = await _job(OutboxStatus.PENDING, "email.send", attempts=2, max_attempts=8,
                          last_error="SMTPConnectError: connection refused",
                          run_after=next_attempt)
    env = gateway_env(tmp_path, DATABASE_URL=migrated)

    lines = run_gateway("jobs", env=env).stdout.splitlines()
    assert lines[0].split() == ["ID", "ACTOR", "STATE", "ATTEMPTS", "TIME", "(UTC)", "LAST",
                                "ERROR"]
    assert len(lines) == 4
    assert lines[1].split() == [str(retrying.id), "email.send", "retrying", "2/8",
                                "2026-03-04", "06:00:00", "SMTPConnectError:", "connection",
                                "refused"]
    assert lines[2].split() == [str(failed.id), "email.send", "failed", "5/5", "2026-03-04",
                                "05:06:07", "SMTPRecipientsRefused:", "nobody@example.com"]
    assert "next attempt" in lines[3]

    lines = run_gateway("jobs", "--status", "pending", env=env).stdout.splitlines()
    assert [line.split()[:4] for line in lines[1:3]] == [
        [str(retrying.id), "email.send", "retrying", "2/8"],
        [str(pending.id), "test.record", "pending", "0/5"]]
    lines = run_gateway("jobs", "--status", "retrying", env=env).stdout.splitlines()
    assert [line.split()[0] for line in lines[1:-1]] == [str(retrying.id)]
    assert run_gateway("jobs", "--status", "running", env=env).stdout == "No running jobs.\n"
    await OutboxJob.filter(id=retrying.id).delete()

    rerun = run_gateway("jobs", "rerun", str(failed.id), env=env)
    assert f"Job {failed.id} (email.send) is pending again" in rerun.stdout
    row = await OutboxJob.get(id=failed.id)
    assert (row.status, row.attempts, row.finished_at) == (OutboxStatus.PENDING, 0, None)
    assert run_gateway("jobs", env=env).stdout == "No failed or retrying jobs.\n"

    refused = run_gateway("jobs", "rerun", str(done.id), env=env, expect=1)
    assert f"job {done.id} is done; only a failed job can be re-run" in refused.stderr
    assert (await OutboxJob.get(id=done.id)).status == OutboxStatus.DONE
    missing = run_gateway("jobs", "rerun", str(done.id + 1000), env=env, expect=1)
    assert f"no job {done.id + 1000}" in missing.stderr


def test_jobs_on_an_unmigrated_database_says_to_migrate(tmp_path: Path) -> None:
    done = run_gateway("jobs", env=gateway_env(tmp_path), expect=1)
    assert "gateway migrate` first" in done.stderr


def _probe(host: Any, args: Any) -> int:
    return 0


class ProbeCommandA:
    """A plugin (``tests.gateway.test_cli:ProbeCommandA``) adding the command ``probe``."""

    @hookimpl
    def gateway_commands(gateway: Any) -> Any:
        return [Command(name="probe", help="A probe.", run=_probe)]


class ProbeCommandB:
    @hookimpl
    def gateway_commands(gateway: Any) -> Any:
        return [Command(name="probe", help="Another probe.", run=_probe)]


class JobsCommandTakeover:
    @hookimpl
    def gateway_commands(gateway: Any) -> Any:
        return [Command(name="jobs", help="Not the core's.", run=_probe)]


class ServeCommandTakeover:
    @hookimpl
    def gateway_commands(gateway: Any) -> Any:
        return [Command(name="serve", help="Not the core's.", run=_probe)]


def _host_of(settings: Settings, plugins: dict[str, str]) -> PluginHost:
    specs = [PluginSpec(name=name, module=f"tests.gateway.test_cli:{cls}", source="built in")
             for name, cls in plugins.items()]
    return PluginHost(settings, specs=specs)


@pytest.mark.parametrize(
    ("plugins", "message"),
    [
        ({"a": "ProbeCommandA", "b": "ProbeCommandB"},
         "plugin 'b': command 'probe' is already contributed by plugin 'a'"),
        ({"takeover": "JobsCommandTakeover"},
         "plugin 'takeover': command 'jobs' is already contributed by plugin 'core'"),
        ({"takeover": "ServeCommandTakeover"},
         "plugin 'takeover': command 'serve' is a built-in command"),
    ],
)
def test_two_plugins_may_not_contribute_one_command(
    settings: Settings, plugins: dict[str, str], message: str
) -> None:
    with pytest.raises(PluginError) as raised:
        build_parser(_host_of(settings, plugins))
    assert str(raised.value) == message


def test_a_command_clash_stops_the_cli_with_the_plugins_names(tmp_path: Path) -> None:
    plugins_file = tmp_path / "plugins.toml"
    plugins_file.write_text(
        '[plugins.first]\nmodule = "tests.gateway.test_cli:ProbeCommandA"\n\n'
        '[plugins.second]\nmodule = "tests.gateway.test_cli:ProbeCommandB"\n'
    )
    env = gateway_env(tmp_path, GATEWAY_PLUGINS_FILE=str(plugins_file))
    done = run_gateway("plugins", env=env, expect=2)
    assert done.stderr == (
        "gateway: plugin 'second': command 'probe' is already contributed by plugin 'first'\n"
    )


def _help(parser: Any, *args: str, capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exited:
        parser.parse_args([*args, "--help"])
    assert exited.value.code == 0
    return capsys.readouterr().out


def test_every_command_has_a_real_help(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """What it does, its options (each explained) and an example that works as printed."""
    from gateway.cli import BUILTIN
    from gateway.console import gateway_command

    parser = build_parser(PluginHost(make_settings("sqlite://:memory:", tmp_path)))
    commands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for name in [*BUILTIN, "jobs"]:
        text = _help(parser, name, capsys=capsys)
        usage, _, rest = text.partition("\n\n")
        assert usage.startswith(f"usage: gateway {name} "), usage
        description = rest.split("\n\n", 1)[0]
        assert len(description) > 60, (name, description)  # says what it does
        assert f"\n  {gateway_command(name)}" in text, (name, text)  # an example
        command = commands[name]
        for action in command._actions:  # each option and argument is explained
            assert action.help, (name, action.dest)
    rerun = _help(parser, "jobs", "rerun", capsys=capsys)
    # Was garbled ("gateway jobs [--status …]\n gateway jobs rerun ID rerun [-h] ID").
    assert rerun.startswith("usage: gateway jobs rerun [-h] ID\n"), rerun
    assert gateway_command("jobs", "rerun", "42") in rerun


def _configure_actions(parser: Any) -> None:
    actions = parser.add_subparsers(dest="probe_action", metavar="ACTION", required=True)
    load = actions.add_parser("load", help="Load records from a file.")
    load.add_argument("file", help="the file")
    load.add_argument("--format", required=True, help="its format")
    load.add_argument("--dry-run", action="store_true", help="change nothing")
    actions.add_parser("list", help="List what was loaded.")


class ProbeCommandWithExamples:
    @hookimpl
    def gateway_commands(gateway: Any) -> Any:
        return [Command(name="probe", help="A probe with its examples.", run=_probe,
                        configure=_configure_actions,
                        examples=(("load a day's calls", "probe load calls.csv --format csv"),))]


class ProbeCommandsWithout:
    @hookimpl
    def gateway_commands(gateway: Any) -> Any:
        return [Command(name="probe-actions", help="A probe with actions.", run=_probe,
                        configure=_configure_actions),
                Command(name="probe-plain", help="A probe without options.", run=_probe)]


def test_a_plugin_command_help_shows_examples(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    from gateway.console import gateway_command

    parser = build_parser(_host_of(settings, {"given": "ProbeCommandWithExamples",
                                              "generic": "ProbeCommandsWithout"}))
    given = _help(parser, "probe", capsys=capsys)
    assert given.endswith(f"examples:\n  {gateway_command('probe', 'load', 'calls.csv')} "
                          "--format csv  # load a day's calls\n"), given
    # None given: each action with what it requires, said by the action's help.
    generic = _help(parser, "probe-actions", capsys=capsys)
    load = gateway_command("probe-actions", "load", "FILE", "--format", "FORMAT")
    listing = gateway_command("probe-actions", "list")
    assert generic.endswith(
        f"examples:\n  {load}  # Load records from a file.\n"
        f"  {listing.ljust(len(load))}  # List what was loaded.\n"), generic
    plain = _help(parser, "probe-plain", capsys=capsys)
    assert plain.endswith(f"examples:\n  {gateway_command('probe-plain')}  "
                          "# A probe without options.\n"), plain
    # The repository's plugins' commands, whichever way they give theirs.
    full = build_parser(PluginHost(make_settings("sqlite://:memory:", settings.var_dir)))
    commands = full._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    from gateway.cli import BUILTIN

    for name in sorted(set(commands) - set(BUILTIN)):
        text = _help(full, name, capsys=capsys)
        assert "\nexample" in text and f"\n  {gateway_command(name)} " in text, (name, text)


def test_printed_commands_work_as_shown(tmp_path: Path) -> None:
    """The demo and the help print `gateway …` only when that is this installation's script
    on PATH; else the script's path (.venv/bin/gateway from the checkout)."""
    script = Path(sys.executable).parent / "gateway"
    code = "from gateway.console import gateway_command; print(gateway_command('jobs'))"
    without = {k: v for k, v in os.environ.items() if k != "PATH"}
    shown = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                           text=True, env={**without, "PATH": "/usr/bin:/bin"}).stdout.strip()
    assert shown == f"{os.path.relpath(script, ROOT)} jobs"
    assert (ROOT / shown.split()[0]).resolve() == script.resolve()
    activated = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                               text=True, env={**without, "PATH": f"{script.parent}:/usr/bin"})
    assert activated.stdout.strip() == "gateway jobs"
    elsewhere = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                               text=True, env={**without, "PATH": "/usr/bin:/bin",
                                               "PYTHONPATH": str(ROOT)}).stdout.strip()
    assert elsewhere == f"{script} jobs"  # outside the checkout: the absolute path
