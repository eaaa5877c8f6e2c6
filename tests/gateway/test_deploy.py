"""The deployment examples of deploy/ start the gateway as written: the systemd units' commands
(run here as systemd would run them, paths mapped to this checkout), the environment file's
settings (refused only for the secret the operator must make), and the container image when
a container engine is available."""

from __future__ import annotations

import configparser
import shlex
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.checks import load_settings
from tests.conftest import ROOT
from tests.gateway.test_cli import GATEWAY, gateway_env
from tests.gateway.test_serve import free_port, http_ok, spawn, wait_until  # noqa: F401

DEPLOY = ROOT / "deploy"
INSTALLED = "/opt/gateway/.venv/bin/gateway"


def unit(name: str) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys keep their case
    parser.read_string((DEPLOY / name).read_text())
    return parser["Service"]


def command(line: str) -> list[str]:
    """A unit's Exec line as this checkout runs it: the installed script is this one."""
    words = shlex.split(line)
    assert words[0] == INSTALLED, words
    return words[1:]


@pytest.mark.parametrize("name", ["gateway.service", "gateway-worker.service"])
def test_the_units_run_the_installed_gateway_and_do_not_loop_on_bad_settings(name: str) -> None:
    service = unit(name)
    assert service["WorkingDirectory"] == "/opt/gateway"
    assert service["EnvironmentFile"] == "/etc/gateway/gateway.env"
    # A misconfiguration exits 2 (one line in the journal): systemd must not restart it.
    assert service["RestartPreventExitStatus"] == "2"
    assert command(service["ExecStart"])[0] in ("serve", "worker")


async def test_the_systemd_unit_starts_the_gateway(tmp_path: Path, spawn: Any) -> None:  # noqa: F811
    service = unit("gateway.service")
    port = free_port()
    env = gateway_env(tmp_path, PORT=str(port))
    for assignment in shlex.split(service["Environment"]):
        key, _, value = assignment.partition("=")
        env[key] = value
    env["GATEWAY_VAR_DIR"] = str(tmp_path / "var-lib-gateway")  # the unit's StateDirectory
    pre = subprocess.run([str(GATEWAY), *command(service["ExecStartPre"])], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert pre.returncode == 0, pre.stderr
    running = spawn(*command(service["ExecStart"]), env=env)
    await wait_until(http_ok(f"http://127.0.0.1:{port}/healthz"), running, "/healthz")
    home = httpx.get(f"http://127.0.0.1:{port}/", headers={"accept": "application/json"})
    assert home.json()["links"]["health"] == "/healthz"
    assert running.terminate(float(service["TimeoutStopSec"])) == 0  # KillSignal=SIGTERM


def test_the_environment_file_needs_only_its_secrets(tmp_path: Path) -> None:
    env = {}
    for line in (DEPLOY / "gateway.env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            env[key] = value
    env["GATEWAY_VAR_DIR"] = str(tmp_path)
    settings, report = load_settings(env)
    # As shipped, it refuses to start: the operator must make a secret key.
    assert settings is None and len(report.problems) == 1
    assert report.problems[0].startswith("SECRET_KEY is not set")
    settings, report = load_settings({**env, "SECRET_KEY": "s" * 48})
    assert report.problems == [] and settings is not None and settings.production
    assert settings.trusted_proxies == ("127.0.0.1/32",)


def _container_engine() -> str:
    for engine in ("docker", "podman"):
        path = shutil.which(engine)
        if path is None:
            continue
        probe = subprocess.run([path, "info"], capture_output=True, text=True, timeout=30)
        if probe.returncode == 0:
            return path
    pytest.skip("no usable container engine (docker or podman with a running daemon): the "
                "container file was not built")


def test_the_container_builds_and_serves() -> None:
    engine = _container_engine()
    tag = f"reseller-gateway-test:{uuid.uuid4().hex[:8]}"
    built = subprocess.run([engine, "build", "-f", str(DEPLOY / "Containerfile"), "-t", tag,
                            str(ROOT)], capture_output=True, text=True, timeout=1200)
    assert built.returncode == 0, built.stderr[-4000:]
    port = free_port()
    name = f"gateway-test-{uuid.uuid4().hex[:8]}"
    try:
        subprocess.run([engine, "run", "-d", "--name", name, "-p", f"127.0.0.1:{port}:8000",
                        tag], check=True, capture_output=True, timeout=60)
        check = http_ok(f"http://127.0.0.1:{port}/healthz")
        for _ in range(600):
            if check():
                break
            subprocess.run(["sleep", "0.1"], check=True)
        else:
            logs = subprocess.run([engine, "logs", name], capture_output=True, text=True)
            raise AssertionError(f"the container did not serve /healthz\n{logs.stderr[-4000:]}")
    finally:
        subprocess.run([engine, "rm", "-f", name], capture_output=True, timeout=60)
        subprocess.run([engine, "rmi", "-f", tag], capture_output=True, timeout=60)
