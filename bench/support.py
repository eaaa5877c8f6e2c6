"""What the benchmarks share: the table's rows, where each one's database is, a fresh schema,
the bench-only plugins file, and child processes whose peak memory or output we read."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
# Never the `test` database the test suites share: `createdb bench` once (see README).
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/bench"
BENCH_SECRET_KEY = "bench-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"


@dataclass
class Row:
    """One line of the table: ``ratio`` is ``figure / baseline`` (None when not comparable)."""

    benchmark: str
    measure: str
    figure: str
    baseline: str
    ratio: float | None
    note: str = ""


@dataclass
class Options:
    """What the entry point was asked for; each benchmark reads its sizes from ``quick``."""

    quick: bool = False
    database: str = "sqlite"  # sqlite | postgres
    postgres_url: str = DEFAULT_POSTGRES_URL
    redis_url: str = "redis://127.0.0.1:6379/0"
    # Sizes a caller (the smoke test) may shrink further than --quick; see each benchmark.
    overrides: dict[str, Any] = field(default_factory=dict)
    _workdir: Path | None = None

    @property
    def workdir(self) -> Path:
        """A temporary folder for this benchmark's files, made on first use."""
        if self._workdir is None:
            self._workdir = Path(tempfile.mkdtemp(prefix="bench-"))
        return self._workdir

    def size(self, name: str, full: Any, quick: Any) -> Any:
        if name in self.overrides:
            return self.overrides[name]
        return quick if self.quick else full

    def database_url(self, name: str) -> str:
        """A SQLite file of the benchmark's own, or the PostgreSQL bench database."""
        if self.database == "postgres":
            return self.postgres_url
        return f"sqlite://{self.workdir / name / 'bench.sqlite3'}"


def settings_for(database_url: str, folder: Path, **overrides: Any) -> Any:
    """Settings of a benchmark's gateway: no entry-point plugins, a fixed secret, files in
    ``folder``."""
    from gateway.settings import Settings

    folder.mkdir(parents=True, exist_ok=True)
    values: dict[str, Any] = {
        "env": "production",
        "database_url": database_url,
        "var_dir": folder,
        "secret_key": BENCH_SECRET_KEY,
        "email_url": f"file://{folder / 'outbox'}",
        "plugins_file": ROOT / "plugins.toml",
        "load_plugins": (),
    }
    values.update(overrides)
    return Settings(**values)


async def fresh_database(host: Any) -> None:
    """An empty schema with every enabled plugin's migrations applied.

    PostgreSQL: the bench database's public schema is dropped and made again, so a run never
    sees the previous run's rows (or tables of a model that changed since)."""
    from gateway import db

    url = host.settings.database_url
    if url.startswith(("postgres://", "postgresql://")):
        import asyncpg

        if url.split("?")[0].rstrip("/").rsplit("/", 1)[-1] == "test":
            raise SystemExit("refusing to empty the `test` database the test suites share: "
                             "give the bench a database of its own (createdb bench)")

        conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
        try:
            await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
        finally:
            await conn.close()
    else:
        Path(url.removeprefix("sqlite://")).unlink(missing_ok=True)
    await db.migrate(host)


async def analyze() -> None:
    """PostgreSQL: table statistics for the rows just generated, as autovacuum would have
    gathered by the time a real database holds them (SQLite keeps none unless asked)."""
    from tortoise import connections

    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres":
        await conn.execute_script("ANALYZE")


def write_plugins_file(folder: Path, bench_config: dict[str, Any] | None = None,
                       **clients_config: Any) -> Path:
    """The production plugins.toml plus the bench-only plugin (its endpoints exist only in a
    gateway started with this file), with ``clients_config`` overriding the clients plugin's."""
    with (ROOT / "plugins.toml").open("rb") as fh:
        table = tomllib.load(fh)["plugins"]
    if clients_config:
        table["clients"]["config"] = {**table["clients"].get("config", {}), **clients_config}
    if bench_config is not None:
        table["bench"] = {"module": "bench.plugin", "config": bench_config}
    lines = []
    for name, entry in table.items():
        lines.append(f"[plugins.{name}]")
        for key, value in entry.items():
            lines.append(f"{key} = {_toml(value)}")
        lines.append("")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "plugins.toml"
    path.write_text("\n".join(lines))
    return path


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"no TOML for {value!r}")


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a child process: this checkout importable (``bench`` is not an
    installed package), argon2 at its test cost (creating the bench's users), no third-party
    plugins."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.setdefault("GATEWAY_ARGON2_PROFILE", "test")
    env["GATEWAY_LOAD_PLUGINS"] = ""
    env.update(extra)
    return env


def run_child(module: str, *args: str, timeout: float = 3600, **env: str) -> str:
    """``python -m module args`` in a child process; its stdout, or an error with its stderr."""
    done = subprocess.run([PYTHON, "-m", module, *args], cwd=ROOT, env=child_env(**env),
                          capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"python -m {module} {' '.join(args)} failed "
                           f"({done.returncode}):\n{done.stderr[-4000:]}")
    return done.stdout


def peak_rss_mb() -> float:
    """This process's peak resident memory so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak_rss() -> bool:
    """Start measuring the peak afresh (Linux: ``clear_refs`` resets VmHWM), so what importing
    the stack took does not hide what the measured work takes. False where it cannot."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def peak_rss_since_reset_mb() -> float:
    """VmHWM: the peak resident memory since :func:`reset_peak_rss` (else since start)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return peak_rss_mb()


def current_rss_mb() -> float:
    """This process's resident memory now (Linux; elsewhere the peak so far)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return peak_rss_mb()
    return pages * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_for_port(port: int, process: subprocess.Popen[Any], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port} after {timeout}s")


def gateway_command() -> list[str]:
    """The ``gateway`` command of this interpreter's environment."""
    script = Path(PYTHON).parent / "gateway"
    if script.exists():
        return [str(script)]
    return [PYTHON, "-c", "import sys; from gateway.cli import main; sys.exit(main())"]


class ServeProcess:
    """`gateway serve` as an operator starts it (production settings), in a child process on a
    free port; ``async with`` waits until it listens and stops it (SIGTERM) at the end.
    ``settings``: the database to use; ``extra``: more environment (e.g. ``PUBSUB_URL``)."""

    def __init__(self, settings: Any, folder: Path, plugins_file: Path | None = None,
                 **extra: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = folder / f"serve-{self.port}.log"
        env = child_env(**{
            "GATEWAY_ENV": "production", "SECRET_KEY": BENCH_SECRET_KEY,
            "DATABASE_URL": settings.database_url, "BROKER_URL": "memory://",
            "GATEWAY_VAR_DIR": str(folder),
            "GATEWAY_PLUGINS_FILE": str(plugins_file or ROOT / "plugins.toml"),
            "EMAIL_URL": f"file://{folder / 'outbox'}", "PUBLIC_URL": self.base,
            "HOST": "127.0.0.1", "PORT": str(self.port), **extra})
        with self.log.open("wb") as log:
            self.process = subprocess.Popen([*gateway_command(), "serve"], cwd=ROOT, env=env,
                                            stdout=log, stderr=subprocess.STDOUT)

    async def __aenter__(self) -> Any:
        try:
            await wait_for_port(self.port, self.process)
        except RuntimeError as exc:
            self.stop()
            raise RuntimeError(f"{exc}\n{self.log.read_text()[-3000:]}") from None
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self.stop()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def rate(count: float, seconds: float) -> str:
    return f"{count / seconds:,.0f}/s" if seconds > 0 else "-"




# --- The table and each benchmark's command line ------------------------------------------

HEADER = ("benchmark", "measure", "figure", "baseline", "ratio")


def _ratio(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}×" if value >= 100 else f"{value:.2f}×"


def markdown_table(rows: list[Row]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "| --- | --- | --- | --- | ---: |"]
    for row in rows:
        measure = f"{row.measure} ({row.note})" if row.note else row.measure
        lines.append(f"| {row.benchmark} | {measure} | {row.figure} | {row.baseline} | "
                     f"{_ratio(row.ratio)} |")
    return "\n".join(lines)


def text_table(rows: list[Row]) -> str:
    """The same table aligned for a terminal."""
    cells = [list(HEADER)] + [
        [r.benchmark, f"{r.measure} ({r.note})" if r.note else r.measure, r.figure, r.baseline,
         _ratio(r.ratio)] for r in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(HEADER))]
    out = []
    for n, line in enumerate(cells):
        out.append("  ".join(cell.rjust(w) if i == 4 else cell.ljust(w)
                             for i, (cell, w) in enumerate(zip(line, widths, strict=True))))
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def add_common_arguments(parser: Any) -> None:
    parser.add_argument("--quick", action="store_true", help="small sizes (a minute or so)")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_DATABASE_URL",
                                                                DEFAULT_POSTGRES_URL),
                        help="the PostgreSQL database for --database postgres (emptied!)")
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL",
                                                             "redis://127.0.0.1:6379/0"))
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="override one size, e.g. --set emails=50 (see each benchmark)")


def options_from(args: Any) -> Options:
    overrides: dict[str, Any] = {}
    for item in args.set:
        name, _, value = item.partition("=")
        try:
            overrides[name] = float(value) if "." in value else int(value)
        except ValueError:
            overrides[name] = value
    return Options(quick=args.quick, database=args.database, postgres_url=args.postgres_url,
                   redis_url=args.redis_url, overrides=overrides)


def main_for(name: str, run: Any, description: str, argv: list[str] | None = None) -> None:
    """``python -m bench.<name>``: run one benchmark and print its rows, as a table or as JSON
    lines (``--json``, what the entry point reads)."""
    import argparse
    import json

    parser = argparse.ArgumentParser(prog=f"python -m bench.{name}", description=description)
    add_common_arguments(parser)
    parser.add_argument("--json", action="store_true", help="rows as JSON on stdout")
    parser.add_argument("--keep", action="store_true",
                        help="keep the generated files (databases, exports) and say where")
    args = parser.parse_args(argv)
    options = options_from(args)
    try:
        rows = run(options)
    finally:
        if options._workdir is not None:
            if args.keep:
                note(f"{name}: files kept in {options.workdir}")
            else:
                shutil.rmtree(options.workdir, ignore_errors=True)
    if args.json:
        print(json.dumps([dataclasses.asdict(r) for r in rows]))
    else:
        print(text_table(rows))


def note(message: str) -> None:
    """Progress for the person waiting (stderr: stdout carries the rows)."""
    print(message, file=sys.stderr, flush=True)


async def timed_pair(ours: Callable[[], Awaitable[Any]], hand: Callable[[], Awaitable[Any]],
                     repeat: int) -> tuple[float, float]:
    """Median seconds of each, ours and the baseline alternating (so that a noisy moment of
    the machine hits both), after one warm-up call of each."""
    await ours()
    await hand()
    a: list[float] = []
    b: list[float] = []
    for _ in range(repeat):
        start = time.perf_counter()
        await ours()
        a.append(time.perf_counter() - start)
        start = time.perf_counter()
        await hand()
        b.append(time.perf_counter() - start)
    return statistics.median(a), statistics.median(b)
