"""The start-up checks: every setting with a bad value gives exactly one line naming it, what
is wrong and an example of a right value; connections are tried once, with a timeout; the
commands exit 2 without a traceback. Most cases run in-process (the same functions the CLI
calls); a few run the real CLI to prove the exit status and the output."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.checks import Report, check_port, load_settings, run_checks
from gateway.plugins import PluginError, PluginHost
from gateway.settings import Settings
from tests.conftest import ROOT
from tests.gateway.test_cli import gateway_env

TIMEOUT = 0.5


def closed_port() -> int:
    """A TCP port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def silent_server() -> Iterator[int]:
    """A server that accepts connections and never says a word (a firewall black hole, a
    hung service): a client must give up after its timeout."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield int(server.getsockname()[1])
    finally:
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()
        server.close()


def base_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A development environment of the test's own, nothing else from os.environ."""
    return {"GATEWAY_VAR_DIR": str(tmp_path / "var"), "GATEWAY_LOAD_PLUGINS": "", **extra}


def one_line_about(problems: list[str], variable: str) -> str:
    assert len(problems) == 1, problems
    line = problems[0]
    assert "\n" not in line and "Traceback" not in line
    assert line.startswith(variable), line  # names the setting first
    assert f"e.g. {variable}=" in line, line  # and a right value
    return line


# Every setting x a bad value: (variable, bad value, what the line says). Production-only
# rules run with GATEWAY_ENV=production and a good SECRET_KEY unless the case is about it.
MATRIX = [
    ("GATEWAY_ENV", "prod", "must be development, production or test, not 'prod'"),
    ("SECRET_KEY", "changeme", "is too short (8 characters)"),
    ("PORT", "http", "must be a TCP port number (1-65535), not 'http'"),
    ("PORT", "70000", "not '70000'"),
    ("PORT", "-1", "not '-1'"),
    ("HOST", "my host", "must be an IP address or a host name"),
    ("HOST", "http://0.0.0.0", "must be an IP address or a host name"),
    ("PUBLIC_URL", "gateway.example.com", "must be an http:// or https:// address"),
    ("PUBLIC_URL", "https://gateway.example.com:port", "port that is not a number"),
    ("PUBLIC_URL", "https://gateway.example.com/?x=1", "must not have a query"),
    ("DOCS_URL", "docs", "must be an http:// or https:// address"),
    ("DATABASE_URL", "mysql://db/gateway", "must be a sqlite:// or postgres:// URL"),
    ("DATABASE_URL", "/srv/gateway.sqlite3", "must be a sqlite:// or postgres:// URL"),
    ("DATABASE_URL", "postgres://db:five/gateway", "port that is not a number"),
    ("DATABASE_URL", "postgres:///gateway", "names no database server"),
    ("DATABASE_URL", "postgres://gateway:s3cret@db:5432", "names no database after"),
    ("DATABASE_URL", "sqlite://", "needs the path of the database file"),
    ("BROKER_URL", "kafka://broker:9092", "must be a memory:// or redis:// or rediss://"),
    ("BROKER_URL", "redis://", "names no server"),
    ("BROKER_URL", "redis://cache:6379/jobs", "Redis databases are numbers"),
    ("BROKER_URL", "amqp://mq:notaport/", "port that is not a number"),
    ("PUBSUB_URL", "amqp://mq/", "must be a memory:// or redis:// or rediss:// URL"),
    ("EMAIL_URL", "smtp://", "smtp:// needs a host"),
    ("EMAIL_URL", "mailto:ops@example.com", "must be smtp://"),
    ("EMAIL_URL", "smtp://mail?ssl=1", "unknown option(s) ssl"),
    ("EMAIL_URL", "smtp://mail?tls=maybe", "tls='maybe' should be 1 or 0"),
    ("EMAIL_URL", "smtp://mail?tls=1&starttls=1", "exclude each other"),
    ("EMAIL_URL", "smtp://mail:25?timeout=soon", "is not usable"),
    ("EMAIL_URL", "file://", "needs a folder"),
    ("EMAIL_FROM", "gateway", "must be an email address"),
    ("METRICS_TOKEN", "two words", "printable ASCII without spaces"),
    ("LOG_LEVEL", "LOUD", "must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
    ("TRUSTED_PROXIES", "proxy.internal", "'proxy.internal' is not an IP address or CIDR"),
    *[(variable, bad, "must be a whole number of at least 1")
      for variable in ("GRAPHQL_MAX_DEPTH", "GRAPHQL_MAX_ALIASES", "GRAPHQL_MAX_TOKENS",
                       "GRAPHQL_MAX_PAGE_SIZE", "GRAPHQL_MAX_BODY_BYTES",
                       "GRAPHQL_MAX_QUERY_LENGTH", "GRAPHQL_MAX_COST",
                       "GRAPHQL_CACHE_ENTRIES", "GRAPHQL_CACHE_BYTES")
      for bad in ("0", "1MB")],
]


@pytest.mark.parametrize(("variable", "bad", "says"), MATRIX,
                         ids=[f"{v}={b}" for v, b, _ in MATRIX])
def test_a_bad_setting_is_one_clear_line(tmp_path: Path, variable: str, bad: str,
                                         says: str) -> None:
    env = base_env(tmp_path, GATEWAY_ENV="production", SECRET_KEY="k" * 40)
    env[variable] = bad
    settings, report = load_settings(env)
    assert settings is None
    line = one_line_about(report.problems, variable)
    assert says in line, line
    assert "s3cret" not in line  # a password in a URL is never printed


def test_production_without_a_secret_key_says_how_to_make_one(tmp_path: Path) -> None:
    settings, report = load_settings(base_env(tmp_path, GATEWAY_ENV="production"))
    line = one_line_about(report.problems, "SECRET_KEY")
    assert "is not set" in line and "secrets.token_urlsafe" in line
    assert settings is None and not (tmp_path / "var" / "secret_key").exists()


def test_every_bad_setting_is_reported_at_once(tmp_path: Path) -> None:
    _, report = load_settings(base_env(tmp_path, PORT="x", BROKER_URL="kafka://k",
                                       LOG_LEVEL="loud", GRAPHQL_MAX_DEPTH="0"))
    assert [line.split()[0] for line in report.problems] == [
        "PORT", "BROKER_URL", "LOG_LEVEL", "GRAPHQL_MAX_DEPTH"]


def test_the_defaults_and_good_values_pass(tmp_path: Path) -> None:
    settings, report = load_settings(base_env(
        tmp_path, PORT="8080", HOST="0.0.0.0", PUBLIC_URL="https://gw.example.com/",
        DATABASE_URL="postgres://gateway:pw@db:5432/gateway", BROKER_URL="redis://cache:6379/0",
        PUBSUB_URL="redis://cache:6379/1", EMAIL_URL="smtp://u:p@mail:587?starttls=1",
        EMAIL_FROM="Passerelle <no-reply@example.com>", LOG_LEVEL="debug",
        TRUSTED_PROXIES="10.0.0.0/8", METRICS_TOKEN="t0k3n", DOCS_URL="https://d.example/x?y"))
    assert report.problems == [] and settings is not None
    assert (settings.port, settings.log_level, settings.public_url) == (
        8080, "DEBUG", "https://gw.example.com")


def _settings(tmp_path: Path, **extra: str) -> Settings:
    settings, report = load_settings(base_env(tmp_path, **extra))
    assert settings is not None, report.problems
    return settings


def test_a_var_dir_that_cannot_be_written_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    settings, report = load_settings({"GATEWAY_VAR_DIR": str(blocker / "var")})
    assert settings is None
    line = one_line_about(report.problems, "GATEWAY_VAR_DIR")
    assert "cannot be written" in line


def test_sqlite_outside_the_working_tree_is_not_created_silently(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere" / "deep" / "gateway.sqlite3"
    assert Path.cwd().resolve() not in outside.parents
    settings = _settings(tmp_path, DATABASE_URL=f"sqlite://{outside}")
    report = run_checks(settings, plugins=False, connections=False)
    line = one_line_about(report.problems, "DATABASE_URL")
    assert f"mkdir -p {outside.parent}" in line and "does not exist" in line
    assert not outside.parent.exists()
    # Inside the variable folder (or the working tree) the folder is made, as before.
    inside = _settings(tmp_path, DATABASE_URL=f"sqlite://{tmp_path / 'var' / 'db' / 'x.db'}")
    assert run_checks(inside, plugins=False, connections=False).problems == []


def test_a_file_that_is_not_a_sqlite_database_is_named(tmp_path: Path) -> None:
    notes = tmp_path / "var" / "notes.sqlite3"
    notes.parent.mkdir(parents=True)
    notes.write_text("not a database, just notes\n" * 100)
    report = run_checks(_settings(tmp_path, DATABASE_URL=f"sqlite://{notes}"), plugins=False,
                        connections=False)
    assert "is not a SQLite database" in one_line_about(report.problems, "DATABASE_URL")


def test_a_missing_plugins_file_names_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "plugins.toml"
    settings = _settings(tmp_path, GATEWAY_PLUGINS_FILE=str(missing))
    report = run_checks(settings, plugins=True, connections=False)
    assert str(missing) in one_line_about(report.problems, "GATEWAY_PLUGINS_FILE")
    # The host refuses it too: never a gateway silently without its plugins.
    with pytest.raises(PluginError, match="GATEWAY_PLUGINS_FILE names .*does not exist"):
        PluginHost(settings)


def test_a_broken_plugins_file_and_an_unknown_entry_point_are_named(tmp_path: Path) -> None:
    broken = tmp_path / "plugins.toml"
    broken.write_text("[plugins.clients\nmodule = 'x'\n")
    report = run_checks(_settings(tmp_path, GATEWAY_PLUGINS_FILE=str(broken)),
                        connections=False)
    assert [line.split()[0] for line in report.problems] == ["GATEWAY_PLUGINS_FILE"]
    assert "is not valid TOML" in report.problems[0]
    report = run_checks(_settings(tmp_path, GATEWAY_LOAD_PLUGINS="no_such_plugin"),
                        connections=False)
    assert "no_such_plugin" in one_line_about(report.problems, "GATEWAY_LOAD_PLUGINS")


@pytest.mark.parametrize(("variable", "url"), [
    ("DATABASE_URL", "postgres://gateway:pw@127.0.0.1:{port}/gateway"),
    ("BROKER_URL", "redis://127.0.0.1:{port}/0"),
    ("BROKER_URL", "amqp://guest:guest@127.0.0.1:{port}/"),
    ("PUBSUB_URL", "redis://127.0.0.1:{port}/1"),
    ("EMAIL_URL", "smtp://127.0.0.1:{port}"),
])
def test_an_unreachable_server_is_one_line_and_quick(tmp_path: Path, variable: str,
                                                     url: str) -> None:
    settings = _settings(tmp_path, **{variable: url.format(port=closed_port())})
    started = time.monotonic()
    report = run_checks(settings, plugins=False, timeout=TIMEOUT)
    line = one_line_about(report.problems, variable)
    assert "cannot be reached at 127.0.0.1:" in line and "refused" in line, line
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(("variable", "url"), [
    ("DATABASE_URL", "postgres://gateway:pw@127.0.0.1:{port}/gateway"),
    ("BROKER_URL", "redis://127.0.0.1:{port}/0"),
    ("EMAIL_URL", "smtp://127.0.0.1:{port}?timeout=60"),
])
def test_a_server_that_never_answers_is_given_up_after_the_timeout(
    tmp_path: Path, variable: str, url: str
) -> None:
    with silent_server() as port:
        settings = _settings(tmp_path, **{variable: url.format(port=port)})
        started = time.monotonic()
        report = run_checks(settings, plugins=False, timeout=TIMEOUT)
        elapsed = time.monotonic() - started
    line = one_line_about(report.problems, variable)
    assert f"no answer within {TIMEOUT:g} s" in line, line
    assert elapsed < TIMEOUT + 3


def test_the_embedded_defaults_pass_every_check(tmp_path: Path) -> None:
    report = run_checks(_settings(tmp_path), plugins=False, timeout=TIMEOUT)
    assert report.problems == []
    assert any(line.startswith("database: SQLite file") for line in report.passed)


def test_a_busy_port_says_so_and_suggests_a_free_one() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        report = Report()
        check_port("127.0.0.1", port, report)
    [line] = report.problems
    assert line.startswith(f"PORT {port} is already in use on 127.0.0.1")
    suggested = int(line.rsplit("PORT=", 1)[1].split()[0])
    assert suggested > port
    report = Report()
    check_port("192.0.2.1", 8000, report)  # TEST-NET: not an address of this machine
    assert one_line_about(report.problems, "HOST")


# ---- the real command -----------------------------------------------------------------------

def cli(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``python -m gateway.cli`` with this interpreter, as an operator runs ``gateway``."""
    return subprocess.run([sys.executable, "-m", "gateway.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def refused(done: subprocess.CompletedProcess[str], variable: str) -> str:
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"gateway: {variable}"), lines[0]
    return lines[0]


@pytest.mark.parametrize("command", ["check", "migrate"])
def test_every_command_refuses_a_bad_setting_with_one_line_and_status_2(
    tmp_path: Path, command: str
) -> None:
    done = cli(command, env=gateway_env(tmp_path, DATABASE_URL="mysql://db/gateway"))
    assert "e.g. DATABASE_URL=" in refused(done, "DATABASE_URL")


def test_serve_and_worker_check_the_connections_before_starting(tmp_path: Path) -> None:
    # If serve started, it would serve until the subprocess timeout and this test would fail.
    env = gateway_env(tmp_path, DATABASE_URL=f"postgres://gw:pw@127.0.0.1:{closed_port()}/gw")
    line = refused(cli("serve", "--port", "0", env=env, timeout=60), "DATABASE_URL")
    assert "cannot be reached" in line and "pw@" not in line
    env = gateway_env(tmp_path, BROKER_URL=f"redis://127.0.0.1:{closed_port()}/0")
    assert "cannot be reached" in refused(cli("worker", env=env, timeout=60), "BROKER_URL")


def test_serve_on_a_busy_port_suggests_another(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        done = cli("serve", "--port", str(port), env=gateway_env(tmp_path), timeout=60)
    line = refused(done, "PORT")
    assert f"PORT {port} is already in use" in line and "e.g. PORT=" in line


def test_check_with_a_missing_plugins_file_names_it(tmp_path: Path) -> None:
    env = gateway_env(tmp_path, GATEWAY_PLUGINS_FILE=str(tmp_path / "plugins.toml"))
    line = refused(cli("check", env=env), "GATEWAY_PLUGINS_FILE")
    assert str(tmp_path / "plugins.toml") in line


def test_check_passes_on_the_embedded_defaults(tmp_path: Path) -> None:
    done = cli("check", "--listen", env=gateway_env(tmp_path, PORT=str(closed_port())))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "All checks passed."
    assert "ok  plugins:" in done.stdout and "ok  listen:" in done.stdout
    assert os.path.isdir(tmp_path / "var")
