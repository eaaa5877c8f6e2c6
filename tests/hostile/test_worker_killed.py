"""A worker killed mid-job (SIGKILL: no clean-up, no goodbye): the job is not run again while
its lease may still belong to a live worker, then a new worker picks it up once the lease has
run out and it completes, with its effect exactly once.

The workers are real processes started as an operator starts them: on the embedded broker
(memory://) `gateway serve` runs the jobs itself, so that is the process killed; on Redis and
RabbitMQ a `gateway worker`. Redis runs where it answers (TEST_BROKER_URL, or the local one);
RabbitMQ where TEST_AMQP_URL (or TEST_BROKER_URL) names one: a virtual host of the run's own,
since its queues are not namespaced (.ci/run makes one)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from gateway.jobs import enqueue, outbox
from gateway.models import OutboxJob, OutboxStatus
from gateway.plugins import PluginHost, PluginSpec
from tests.conftest import Gateway, make_settings, start_gateway
from tests.gateway.test_cli import gateway_env
from tests.gateway.test_serve import (  # noqa: F401  (spawn is a fixture)
    Running,
    free_port,
    http_ok,
    spawn,
    wait_until,
)
from tests.support.blocking_jobs_plugin import lines


def _redis_url() -> str | None:
    """TEST_BROKER_URL when it is Redis; else the local Redis when it answers; else None."""
    configured = os.environ.get("TEST_BROKER_URL", "")
    if configured.startswith("redis://"):
        return configured
    if configured:
        return None
    import redis

    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_connect_timeout=1).ping()
    except redis.RedisError:
        return None
    return "redis://127.0.0.1:6379/0"


def _amqp_url() -> str | None:
    """TEST_AMQP_URL, else TEST_BROKER_URL when it is RabbitMQ; else None."""
    for name in ("TEST_AMQP_URL", "TEST_BROKER_URL"):
        configured = os.environ.get(name, "")
        if configured.startswith(("amqp://", "amqps://")):
            return configured
    return None


BROKERS = {"memory": lambda: "memory://", "redis": _redis_url, "rabbitmq": _amqp_url}
MISSING = {"redis": "no Redis answers (set TEST_BROKER_URL=redis://…)",
           "rabbitmq": "no RabbitMQ named (set TEST_AMQP_URL=amqp://…/<a vhost of its own>; "
                       ".ci/run does)"}


@pytest.fixture
async def here(migrated: str, tmp_path: Path) -> AsyncIterator[Gateway]:
    """This test's own app with no job runtime: its jobs can only run in the spawned workers."""
    settings = make_settings(migrated, tmp_path)
    host = PluginHost(settings, specs=[PluginSpec(
        name="blocking", module="tests.support.blocking_jobs_plugin", source="built in")])
    async for running in start_gateway(settings, host=host, run_jobs=False):
        yield running


@pytest.mark.parametrize("broker", list(BROKERS))
async def test_a_job_whose_worker_is_killed_completes_once_after_restart(
    here: Gateway, migrated: str, tmp_path: Path, spawn: Any, broker: str  # noqa: F811
) -> None:
    broker_url = BROKERS[broker]()
    if broker_url is None:
        pytest.skip(MISSING[broker])
    plugins_file = tmp_path / "plugins.toml"
    plugins_file.write_text('[plugins.blocking]\nmodule = "tests.support.blocking_jobs_plugin"\n')
    # GATEWAY_ENV=test: each worker uses a Redis namespace of its own, so the killed worker's
    # message is lost with it: only the outbox can bring the job back. RabbitMQ hands the
    # killed worker's unacknowledged message to the next one at once: the job's lease in the
    # database must make it leave the job alone all the same.
    env = gateway_env(tmp_path, DATABASE_URL=migrated, BROKER_URL=broker_url,
                      GATEWAY_PLUGINS_FILE=str(plugins_file), GATEWAY_ENV="test",
                      SECRET_KEY="test-secret-key-not-for-production")

    async def start_worker() -> Running:
        if broker == "memory":
            port = free_port()
            runner: Running = spawn("serve", "--port", str(port), env=env)
            await wait_until(http_ok(f"http://127.0.0.1:{port}/healthz"), runner, "serve start")
        else:
            runner = spawn("worker", "--threads", "2", env=env)
            await wait_until(lambda: "Worker: 2 threads on" in runner.stdout.read_text(),
                             runner, "worker start")
        return runner

    marks = tmp_path / "marks"
    marks.mkdir()
    first = await start_worker()
    row = await enqueue("test.blocking", {"dir": str(marks)})
    assert row is not None
    await wait_until(lambda: lines(marks / "started"), first, "the job starting")
    assert (await OutboxJob.get(id=row.id)).status == OutboxStatus.RUNNING

    first.process.kill()  # SIGKILL, mid-job
    first.process.wait()
    killed = await OutboxJob.get(id=row.id)
    assert (killed.status, killed.attempts, killed.finished_at) == (OutboxStatus.RUNNING, 1, None)
    assert lines(marks / "effects") == []

    # A new worker, while the killed one's lease still runs: it must leave that job alone (its
    # worker could be alive and slow). A job enqueued now shows the new worker is at work.
    second = await start_worker()
    (marks / "release").touch()
    probe = await enqueue("test.blocking", {"dir": str(marks)})
    assert probe is not None

    async def probe_done() -> bool:
        return (await OutboxJob.get(id=probe.id)).status == OutboxStatus.DONE

    await wait_until(probe_done, second, "the probe job done")
    assert (await OutboxJob.get(id=row.id)).status == OutboxStatus.RUNNING
    assert [line.split()[0] for line in lines(marks / "started")] == [str(row.id), str(probe.id)]

    # The lease runs out (as LEASE_SECONDS after the worker last touched the row): the new
    # worker's relay hands the job out again and it completes.
    await OutboxJob.filter(id=row.id).update(
        updated_at=outbox.utcnow() - dt.timedelta(seconds=outbox.LEASE_SECONDS + 1))

    async def job_done() -> OutboxJob | None:
        job = await OutboxJob.get(id=row.id)
        return job if job.status in (OutboxStatus.DONE, OutboxStatus.FAILED) else None

    done = await wait_until(job_done, second, f"job {row.id} done after the restart")
    assert (done.status, done.attempts, done.last_error) == (OutboxStatus.DONE, 2, None)
    assert done.finished_at is not None

    first_pid, second_pid = str(first.process.pid), str(second.process.pid)
    starts = [line.split() for line in lines(marks / "started") if line.startswith(f"{row.id} ")]
    assert [pid for _, pid in starts] == [first_pid, second_pid]
    effects = [line.split() for line in lines(marks / "effects")]
    assert sorted(effects) == sorted([[str(row.id), second_pid], [str(probe.id), second_pid]])

    assert second.terminate() == 0, second.output()
    records = second.log_records()
    assert not [r for r in records if r["level"] in ("error", "critical")], second.output()
