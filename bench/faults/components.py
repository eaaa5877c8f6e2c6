"""The matrix's own components, started in a temporary folder on free ports and stopped by it
alone: a PostgreSQL cluster, a Redis, a RabbitMQ node, an SMTP sink, `gateway serve` /
`gateway worker` processes, and a size-limited (tmpfs) folder for the embedded SQLite database.

Nothing here touches the machine's shared PostgreSQL, Redis or RabbitMQ. As root, PostgreSQL
runs as the ``postgres`` system user (``runuser -u postgres``: initdb refuses root) and
RabbitMQ as the ``rabbitmq`` user; the RabbitMQ node has an ``epmd`` of its own on a free port
(``ERL_EPMD_PORT``), never the machine's (4369)."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.support import BENCH_SECRET_KEY, ROOT, child_env, free_port, gateway_command

# A sitecustomize that shifts a process's wall clock (see its docstring).
CLOCK_SHIFT = Path(__file__).resolve().parent / "clockshift"


class ComponentMissing(RuntimeError):
    """A binary the fault needs is not on this machine (the row is skipped, saying which)."""


def _postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise ComponentMissing("no PostgreSQL server binaries (/usr/lib/postgresql/*/bin)")
    return Path(found[-1]).parent


def _as_user(name: str) -> list[str]:
    """As root, run a server as its system user (PostgreSQL and RabbitMQ refuse root)."""
    if os.geteuid() != 0:
        return []
    if shutil.which("runuser") is None:
        raise ComponentMissing(f"running as root without runuser to start it as {name}")
    return ["runuser", "-u", name, "--"]


def _stop(process: subprocess.Popen[bytes] | None, sig: int = signal.SIGTERM) -> None:
    if process is not None and process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class PrivatePostgres:
    """A PostgreSQL cluster of our own in ``folder`` on a free port."""

    def __init__(self, folder: Path) -> None:
        self.bin = _postgres_bin()
        self.prefix = _as_user("postgres")
        self.folder = folder
        self.data = folder / "pgdata"
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/faults"

    def _run(self, *args: str, timeout: float = 120) -> None:
        done = subprocess.run([*self.prefix, *args], capture_output=True, text=True,
                              timeout=timeout, cwd="/")
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:2])} failed: {done.stderr[-2000:]}")

    def create(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if self.prefix:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U",
                  "postgres", "--no-sync", "-E", "UTF8")
        self.start()
        self._run(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                  "-U", "postgres", "faults")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-l",
                  str(self.folder / "postgres.log"), "-w", "-t", "60", "start")

    def stop(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def terminate_connections(self) -> int:
        """``pg_terminate_backend`` on every client connection of the faults database."""
        done = subprocess.run(
            [str(self.bin / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
             "-d", "postgres", "-At", "-c",
             "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
             "WHERE datname = 'faults' AND pid <> pg_backend_pid()"],
            capture_output=True, text=True, timeout=30)
        return int(done.stdout.strip() or 0)

    def destroy(self) -> None:
        if self.running():
            try:
                self.stop()
            except (RuntimeError, subprocess.TimeoutExpired):
                pass


class PrivateRedis:
    """``redis-server`` as our child process, nothing saved to disk."""

    def __init__(self, folder: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise ComponentMissing("no redis-server binary")
        self.binary = binary
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        with (self.folder / "redis.log").open("ab") as log:
            self.process = subprocess.Popen(
                [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--daemonize", "no", "--dir", str(self.folder)],
                stdout=log, stderr=subprocess.STDOUT)
        _wait_port(self.port, self.process, "redis-server")

    def stop(self) -> None:
        _stop(self.process)


RABBITMQ_SERVER = Path("/usr/lib/rabbitmq/bin/rabbitmq-server")


class PrivateRabbitMQ:
    """A RabbitMQ node of our own: its name, AMQP and distribution ports, data, logs and
    configuration in ``folder``, registered with an ``epmd`` we start on a free port (the
    machine's epmd and its RabbitMQ on 5672 are never used). Durable queues and persistent
    messages live in ``folder/mnesia``, kept from one start to the next, as a restart keeps
    them."""

    def __init__(self, folder: Path) -> None:
        # The packaged wrapper (/usr/sbin/rabbitmq-server) switches user with su and its own
        # environment; the script it calls takes ours.
        server = RABBITMQ_SERVER if RABBITMQ_SERVER.exists() else None
        if server is None and shutil.which("rabbitmq-server"):
            server = Path(str(shutil.which("rabbitmq-server")))
        epmd = shutil.which("epmd") or next(iter(glob.glob("/usr/lib/erlang/bin/epmd")), None)
        if server is None or epmd is None:
            raise ComponentMissing("no rabbitmq-server (RabbitMQ is not installed on this "
                                   "machine)")
        self.server, self.epmd = server, epmd
        self.prefix = _as_user("rabbitmq")
        self.folder = folder
        self.port, self.dist_port, self.epmd_port = free_port(), free_port(), free_port()
        self.node = f"faults{self.port}@localhost"
        self.url = f"amqp://guest:guest@127.0.0.1:{self.port}/%2F"
        self.process: subprocess.Popen[bytes] | None = None
        self.epmd_process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def env(self) -> dict[str, str]:
        folder = str(self.folder)
        # HOME again on the command line: runuser sets the user's own (its Erlang cookie).
        return {**os.environ, "HOME": folder, "ERL_EPMD_PORT": str(self.epmd_port),
                "ERL_EPMD_ADDRESS": "127.0.0.1", "RABBITMQ_NODENAME": self.node,
                "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1", "RABBITMQ_NODE_PORT": str(self.port),
                "RABBITMQ_DIST_PORT": str(self.dist_port),
                "RABBITMQ_MNESIA_BASE": f"{folder}/mnesia", "RABBITMQ_LOG_BASE": f"{folder}/log",
                "RABBITMQ_CONFIG_FILE": f"{folder}/rabbitmq.conf",
                "RABBITMQ_ENABLED_PLUGINS_FILE": f"{folder}/enabled_plugins",
                "RABBITMQ_CONF_ENV_FILE": f"{folder}/rabbitmq-env.conf",
                "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS":
                    "-kernel inet_dist_use_interface {127,0,0,1}"}

    def create(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "rabbitmq.conf").write_text(
            f"listeners.tcp.default = 127.0.0.1:{self.port}\n"
            "loopback_users.guest = false\n")
        (self.folder / "enabled_plugins").write_text("[].\n")
        (self.folder / "rabbitmq-env.conf").write_text("")  # not /etc/rabbitmq's NODENAME
        if self.prefix:
            for path in [self.folder, *self.folder.iterdir()]:
                shutil.chown(path, "rabbitmq", "rabbitmq")
        with (self.folder / "epmd.log").open("ab") as log:
            self.epmd_process = subprocess.Popen(
                [self.epmd, "-port", str(self.epmd_port), "-address", "127.0.0.1"],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        _wait_port(self.epmd_port, self.epmd_process, "epmd")
        self.start()

    def start(self) -> None:
        """Start the node; a node that exits at once (on a loaded machine the previous VM may
        still hold the node's name for a moment) is started again, three times at most."""
        deadline = time.monotonic() + 120
        for attempt in range(1, 4):
            self.starts += 1
            log_path = self.folder / f"rabbitmq-{self.starts}.log"
            with log_path.open("ab") as log:
                # Its own session: stopping it signals the script and the Erlang VM together.
                self.process = subprocess.Popen(
                    [*self.prefix, "env", f"HOME={self.folder}", str(self.server)],
                    env=self.env(), cwd=self.folder, stdout=log, stderr=subprocess.STDOUT,
                    start_new_session=True)
            try:
                _wait_port(self.port, self.process, "rabbitmq-server",
                           timeout=max(deadline - time.monotonic(), 1))
                return
            except RuntimeError as exc:
                tail = log_path.read_text(errors="replace").strip().splitlines()[-5:]
                if attempt == 3 or self.process.poll() is None:
                    raise RuntimeError(f"{exc}; its log ends: {' | '.join(tail)}") from None
                print(f"rabbitmq-server exited at once ({' | '.join(tail)[:300]}); "
                      "starting it again", file=sys.stderr)
                time.sleep(2)

    def stop(self) -> None:
        """SIGTERM: the node shuts down cleanly (what `rabbitmqctl stop` and systemd do)."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        _wait_closed(self.port)
        _wait_closed(self.dist_port)  # the VM gone too, not only its AMQP listener

    def destroy(self) -> None:
        self.stop()
        _stop(self.epmd_process)


class SmtpSink:
    """The SMTP server the gateway delivers to; every message lands as a line in a file."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.file = folder / "received.jsonl"
        self.url = f"smtp://127.0.0.1:{self.port}?starttls=0&timeout=5"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.file.touch()
        with (self.folder / "smtp.log").open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bench.faults.smtp_sink", str(self.port), str(self.file)],
                cwd=ROOT, env=child_env(), stdout=log, stderr=subprocess.STDOUT)
        _wait_port(self.port, self.process, "the SMTP sink")

    def stop(self) -> None:
        _stop(self.process)


class TmpfsFolder:
    """A small tmpfs mounted on ``folder`` (root only), unmounted at the end."""

    def __init__(self, folder: Path, megabytes: int) -> None:
        self.folder = folder
        self.megabytes = megabytes
        self.mounted = False

    def mount(self) -> None:
        if os.geteuid() != 0 or shutil.which("mount") is None:
            raise ComponentMissing("a size-limited folder needs root (mount -t tmpfs)")
        self.folder.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={self.megabytes}m", "tmpfs",
                               str(self.folder)], capture_output=True, text=True)
        if done.returncode != 0:
            raise ComponentMissing(f"mount -t tmpfs refused: {done.stderr.strip()}")
        self.mounted = True

    def unmount(self) -> None:
        if self.mounted:
            subprocess.run(["umount", "-l", str(self.folder)], capture_output=True)
            self.mounted = False


@dataclass
class GatewayProcess:
    """One `gateway serve` or `gateway worker`, its output in files of ``folder``."""

    role: str  # serve | worker
    folder: Path
    env: dict[str, str]
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0
    logs: list[Path] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.starts += 1
        if self.role == "serve" and not self.port:
            self.port = free_port()
        args = ["serve", "--port", str(self.port)] if self.role == "serve" else [
            "worker", "--threads", "2"]
        env = dict(self.env)
        if self.role == "serve":
            env.update(PORT=str(self.port))
        log = self.folder / f"{self.role}-{self.port or 'w'}-{self.starts}.log"
        self.logs.append(log)
        with log.open("wb") as out:
            self.process = subprocess.Popen([*gateway_command(), *args], cwd=ROOT, env=env,
                                            stdout=out, stderr=subprocess.STDOUT)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no clean-up, no goodbye."""
        if self.alive():
            assert self.process is not None
            self.process.kill()
            self.process.wait()

    def stop(self) -> None:
        _stop(self.process)

    def errors(self) -> list[str]:
        """Log lines at error level or above (a trace is one)."""
        found = []
        for path in self.logs:
            for line in path.read_text(errors="replace").splitlines():
                if '"level": "error"' in line or '"level": "critical"' in line \
                        or line.startswith("Traceback"):
                    found.append(f"{path.name}: {line[:300]}")
        return found


def gateway_env(database_url: str, broker_url: str, email_url: str, var_dir: Path,
                public_url: str, clock_file: Path, **extra: str) -> dict[str, str]:
    """A production environment, as an operator runs the gateway (every plugin of plugins.toml),
    with the wall clock the matrix may move forward (``clock_file``: see clockshift/)."""
    clock_file.write_text("0")
    env = child_env(
        GATEWAY_ENV="production", SECRET_KEY=BENCH_SECRET_KEY, DATABASE_URL=database_url,
        BROKER_URL=broker_url, EMAIL_URL=email_url, GATEWAY_VAR_DIR=str(var_dir),
        GATEWAY_PLUGINS_FILE=str(ROOT / "plugins.toml"), PUBLIC_URL=public_url,
        HOST="127.0.0.1", LOG_LEVEL="WARNING", FAULTS_CLOCK_FILE=str(clock_file), **extra)
    env["PYTHONPATH"] = os.pathsep.join([str(CLOCK_SHIFT), env["PYTHONPATH"]])
    return env


def _wait_port(port: int, process: subprocess.Popen[bytes], what: str,
               timeout: float = 30) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what}: nothing listens on {port} after {timeout}s")


def _wait_closed(port: int, timeout: float = 30) -> None:
    """Until nothing listens on ``port`` (a stopped server's children may linger a moment)."""
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                pass
        except OSError:
            return
        time.sleep(0.1)
