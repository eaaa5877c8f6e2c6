"""The job runtime of one process: broker, actors, relay, scheduler, in-process workers."""

from __future__ import annotations

import asyncio
import logging
import traceback
import uuid
from typing import Any

import dramatiq

from gateway import pubsub
from gateway.contributions import Job, PeriodicJob
from gateway.jobs import outbox, registry
from gateway.jobs.broker import declare_actors, job_definitions, loop_runner, make_broker
from gateway.jobs.relay import run_relay, wake_relay
from gateway.jobs.scheduler import run_scheduler
from gateway.jobs.status import publish_job_status
from gateway.observability import JOB_OUTCOMES, request_id_var, series
from gateway.plugins import PluginHost

log = logging.getLogger("gateway.jobs")


async def run_job(definition: Job, outbox_id: int) -> str:
    """Run one delivery of an outbox row: at most once at a time, never after it is done."""
    row = await outbox.claim(outbox_id)
    if row is None:
        series(JOB_OUTCOMES, definition.name, "duplicate").inc()
        return "duplicate"
    token = request_id_var.set(row.request_id or f"job-{outbox_id}")
    try:
        await definition.handler({**row.payload, "outbox_id": row.id})
    except Exception as exc:
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        status = await outbox.fail(row, detail, definition.backoff_seconds)
        series(JOB_OUTCOMES, definition.name, "failed" if status == "failed" else "retry").inc()
        if status == "failed":
            log.error("job %s #%s failed for good after %s attempts (`gateway jobs rerun %s` "
                      "tries again): %s", definition.name, row.id, row.attempts, row.id, detail,
                      exc_info=True)
        else:
            delay = outbox.backoff_delay(definition.backoff_seconds, row.attempts)
            log.warning("job %s #%s attempt %s of %s failed, retrying in %.0f s: %s",
                        definition.name, row.id, row.attempts, row.max_attempts, delay, detail,
                        exc_info=True)
        return str(status)
    finally:
        request_id_var.reset(token)
    await outbox.finish(row, definition.done_payload)
    series(JOB_OUTCOMES, definition.name, "done").inc()
    return "done"


def connect_outbox() -> None:
    """What the outbox sets off in a running process: a row written wakes the relay, a status
    change is published to subscribers (in every process the pub/sub reaches)."""
    outbox.on_enqueue(wake_relay)
    outbox.on_status_change(publish_job_status)


class JobRuntime:
    """Started by ``serve`` and ``worker``; the embedded broker also gets worker threads here."""

    def __init__(
        self,
        gateway: PluginHost,
        *,
        broker_url: str | None = None,
        in_process_workers: bool | None = None,
        relay_interval: float = 1.0,
        scheduler_tick: float = 5.0,
        worker_threads: int = 2,
        worker_timeout_ms: int = 100,
    ) -> None:
        connect_outbox()
        self.gateway = gateway
        self.broker_url = broker_url or gateway.settings.broker_url
        self.in_process_workers = (
            self.broker_url.startswith("memory://")
            if in_process_workers is None
            else in_process_workers
        )
        self.relay_interval = relay_interval
        self.scheduler_tick = scheduler_tick
        self.worker_threads = worker_threads
        # How long an idle worker or consumer thread waits before looking whether it must stop:
        # stopping the runtime waits about that long.
        self.worker_timeout_ms = worker_timeout_ms
        self.definitions = job_definitions(gateway)
        self.periodic: list[PeriodicJob] = gateway.collect("gateway_periodic_jobs")
        self.broker: dramatiq.Broker | None = None
        self.actors: dict[str, dramatiq.Actor[Any, Any]] = {}
        self.worker: dramatiq.Worker | None = None
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._own_pubsub: pubsub.PubSub | None = None

    def declare(self, loop: asyncio.AbstractEventLoop) -> None:
        """Create the broker and the actors, whose work runs on ``loop``."""
        registry.set_definitions(self.definitions)
        registry.set_host(self.gateway)
        namespace = f"gateway-{uuid.uuid4().hex[:8]}" if self.gateway.settings.env == "test" else (
            "gateway"
        )
        self.broker = make_broker(self.broker_url, namespace=namespace)
        self.actors = declare_actors(self.broker, self.definitions, run_job, loop_runner(loop))

    async def start(self, *, relay: bool = True, scheduler: bool = True) -> None:
        if pubsub.current() is None:
            # A worker process: its jobs' status changes must reach the web's subscribers.
            self._own_pubsub = await pubsub.start(self.gateway.settings)
        loop = asyncio.get_running_loop()
        self.declare(loop)
        self._stop = asyncio.Event()
        if relay:
            self._tasks.append(
                asyncio.create_task(run_relay(self.actors, self.relay_interval, self._stop))
            )
        if scheduler and self.periodic:
            self._tasks.append(
                asyncio.create_task(run_scheduler(self.periodic, self.scheduler_tick, self._stop))
            )
        if self.in_process_workers:
            self.start_worker()

    def start_worker(self) -> None:
        assert self.broker is not None
        self.worker = dramatiq.Worker(self.broker, worker_threads=self.worker_threads,
                                      worker_timeout=self.worker_timeout_ms)
        self.worker.start()

    async def stop(self) -> None:
        self._stop.set()
        for task in self._tasks:
            try:
                await asyncio.wait_for(task, timeout=5)
            except (TimeoutError, asyncio.CancelledError):
                task.cancel()
        self._tasks.clear()
        if self.worker is not None:
            # Worker threads wait on this loop; stop them from a thread so the loop keeps going.
            await asyncio.to_thread(self.worker.stop, 10_000)
            self.worker = None
        if self.broker is not None:
            await asyncio.to_thread(self.broker.close)
        if self._own_pubsub is not None:
            await pubsub.stop(self._own_pubsub)
            self._own_pubsub = None
