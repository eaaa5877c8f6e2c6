"""The Dramatiq broker picked by BROKER_URL, and one actor per job definition."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable, Coroutine
from typing import Any

import dramatiq
from dramatiq.brokers.stub import StubBroker

from gateway.contributions import Job
from gateway.plugins import PluginError, PluginHost


def make_broker(url: str, namespace: str = "gateway") -> dramatiq.Broker:
    """memory:// is an in-process broker; redis:// and amqp:// reach worker processes."""
    if url.startswith("memory://"):
        broker: dramatiq.Broker = StubBroker()
        broker.emit_after("process_boot")
    elif url.startswith(("redis://", "rediss://")):
        from dramatiq.brokers.redis import RedisBroker

        broker = RedisBroker(url=url, namespace=namespace)
    elif url.startswith(("amqp://", "amqps://")):
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        # Publisher confirms: a row is marked queued only once the node has its message (else
        # a message lost with a stopping node would wait for the row's lease).
        broker = RabbitmqBroker(url=url, confirm_delivery=True)
    else:
        raise ValueError(f"BROKER_URL {url!r}: use memory://, redis://… or amqp://…")
    return broker


def job_definitions(gateway: PluginHost) -> dict[str, Job]:
    """Every plugin's jobs by name; two plugins may not define the same actor name."""
    owners: dict[str, str] = {}
    definitions: dict[str, Job] = {}
    for plugin, job in gateway.each("gateway_jobs"):
        if job.name in owners:
            raise PluginError(
                f"plugin {plugin!r}: actor {job.name!r} is already contributed by plugin "
                f"{owners[job.name]!r}"
            )
        owners[job.name] = plugin
        definitions[job.name] = job
    return definitions


RunOnLoop = Callable[[Coroutine[Any, Any, Any]], Any]


def loop_runner(loop: asyncio.AbstractEventLoop, timeout: float = 3600) -> RunOnLoop:
    """Run a coroutine on ``loop`` (where the database lives) from a Dramatiq worker thread."""

    def run(coro: Coroutine[Any, Any, Any]) -> Any:
        future = asyncio.run_coroutine_threadsafe(coro, loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise

    return run


def declare_actors(
    broker: dramatiq.Broker,
    definitions: dict[str, Job],
    run_job: Callable[[Job, int], Coroutine[Any, Any, Any]],
    run_on_loop: RunOnLoop,
) -> dict[str, dramatiq.Actor[Any, Any]]:
    """One Dramatiq actor per job; the outbox does retries, so Dramatiq's are off."""
    actors: dict[str, dramatiq.Actor[Any, Any]] = {}
    for name, definition in definitions.items():

        def perform(outbox_id: int, _definition: Job = definition) -> None:
            run_on_loop(run_job(_definition, outbox_id))

        perform.__name__ = name
        actors[name] = dramatiq.actor(
            actor_name=name,
            queue_name=definition.queue,
            broker=broker,
            max_retries=0,
        )(perform)
    return actors
