"""The relay with the broker down (found by the fault matrix's RabbitMQ restart, bench/faults):
it stops its pass at the first refusal, leaves every row pending, and waits longer each time
instead of trying each row again on every new row (thousands of connection attempts a
second); with RabbitMQ, a row is queued once the node confirmed its message."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import dramatiq
import pytest
from dramatiq.brokers.stub import StubBroker

from gateway.clock import utcnow
from gateway.jobs.broker import make_broker
from gateway.jobs.relay import BROKER_RETRY_CAP, BrokerRefused, broker_retry_delay, relay_once
from gateway.models import OutboxJob, OutboxStatus
from tests.conftest import Gateway, make_settings, start_gateway


class DownBroker(StubBroker):
    """A broker that cannot be reached: every enqueue fails, as pika's does."""

    def __init__(self) -> None:
        super().__init__()
        self.attempts = 0

    def enqueue(self, message: Any, *, delay: int | None = None) -> Any:
        self.attempts += 1
        raise ConnectionRefusedError(111, "Connection refused")


@pytest.fixture
async def quiet_relay(migrated: str, tmp_path: Path) -> AsyncIterator[Gateway]:
    """A gateway without its job runtime: this test drives the relay itself."""
    async for running in start_gateway(make_settings(migrated, tmp_path), run_jobs=False):
        yield running


async def test_the_broker_down_stops_the_pass_and_leaves_every_row_pending(
        quiet_relay: Gateway) -> None:
    broker = DownBroker()

    def handler(job_id: int) -> None:  # never runs: the broker takes nothing
        raise AssertionError(job_id)

    actor: dramatiq.Actor[Any, Any] = dramatiq.Actor(handler, broker=broker,
                                                      actor_name="test.down",
                                                      queue_name="default", priority=0,
                                                      options={})
    rows = [await OutboxJob.create(job="test.down", payload={"n": n}, run_after=utcnow())
            for n in range(5)]
    with pytest.raises(BrokerRefused) as refused:
        await relay_once({"test.down": actor})
    assert refused.value.job_id == rows[0].id
    assert broker.attempts == 1  # not once per row
    statuses = await OutboxJob.filter(id__in=[r.id for r in rows]).values_list("status",
                                                                                flat=True)
    assert set(statuses) == {OutboxStatus.PENDING}


def test_the_wait_after_refusals_doubles_up_to_its_cap() -> None:
    delays = [broker_retry_delay(n, 1.0) for n in range(1, 8)]
    assert delays == [1.0, 2.0, 4.0, 8.0, 16.0, BROKER_RETRY_CAP, BROKER_RETRY_CAP]
    # A relay that passes often still waits half a second after a refusal.
    assert broker_retry_delay(1, 0.05) == 0.5


def test_the_rabbitmq_broker_waits_for_the_nodes_confirmation() -> None:
    """The relay marks a row queued once ``send`` returns: with RabbitMQ that must mean the
    node has the message (publisher confirms), not that it sits in a socket's buffer."""
    broker = make_broker("amqp://guest:guest@127.0.0.1:1/")  # no connection until used
    assert getattr(broker, "confirm_delivery", False) is True


class FlakyBroker(StubBroker):
    """A broker that refuses while ``down``, then takes messages (and remembers which)."""

    def __init__(self) -> None:
        super().__init__()
        self.down = True
        self.sent: list[int] = []

    def enqueue(self, message: Any, *, delay: int | None = None) -> Any:
        if self.down:
            raise ConnectionRefusedError(111, "Connection refused")
        self.sent.append(message.args[0])
        return message


async def test_rows_queued_before_the_broker_went_are_handed_again_when_it_is_back(
        quiet_relay: Gateway) -> None:
    """Redis restarted empty loses the messages it held: once the broker takes jobs again,
    the rows queued before it went are due again at once, not after their 300 s lease."""
    import asyncio
    import datetime as dt

    from gateway.jobs.relay import run_relay

    broker = FlakyBroker()
    actor: dramatiq.Actor[Any, Any] = dramatiq.Actor(lambda job_id: None, broker=broker,
                                                      actor_name="test.flaky_broker",
                                                      queue_name="default", priority=0,
                                                      options={})
    earlier = utcnow() - dt.timedelta(seconds=20)
    lost = [await OutboxJob.create(job="test.flaky_broker", payload={"n": n},
                                   status=OutboxStatus.QUEUED, run_after=earlier)
            for n in range(3)]
    await OutboxJob.filter(id__in=[r.id for r in lost]).update(updated_at=earlier)
    done = await OutboxJob.create(job="test.flaky_broker", payload={}, run_after=earlier,
                                  status=OutboxStatus.DONE)
    fresh = await OutboxJob.create(job="test.flaky_broker", payload={"n": 9},
                                   run_after=utcnow())  # refused while the broker is down
    stop = asyncio.Event()
    relay = asyncio.create_task(run_relay({"test.flaky_broker": actor}, 0.05, stop))
    try:
        await asyncio.sleep(0.6)  # a refused pass or two
        assert broker.sent == []
        assert (await OutboxJob.get(id=fresh.id)).status == OutboxStatus.PENDING
        broker.down = False
        deadline = asyncio.get_running_loop().time() + 10
        while len(broker.sent) < 4:
            assert asyncio.get_running_loop().time() < deadline, broker.sent
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await relay
    assert sorted(broker.sent) == sorted([*(r.id for r in lost), fresh.id])
    assert (await OutboxJob.get(id=done.id)).status == OutboxStatus.DONE  # untouched
