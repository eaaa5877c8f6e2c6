"""Jobs: emails delivered per second through the outbox (``send_email`` writes a row in the
caller's transaction; the relay hands it to Dramatiq; the ``email.send`` actor builds the
message and sends it by SMTP), on the embedded broker and on Redis, to an SMTP sink on
loopback (aiosmtpd) that this benchmark starts.

Baseline of the same run: the same message sent by plain ``aiosmtplib.send`` calls to the same
sink, as many at a time as there are worker threads.

The figure is end to end: from the first ``send_email`` (each in its own transaction, as a
service would) to the last message received. Both brokers run in this process with the same
job runtime as ``gateway serve`` (relay, scheduler, 2 worker threads); on Redis the messages
go through the Redis server (``--redis-url``; skipped when it does not answer).

    .venv/bin/python -m bench.jobs [--quick] [--database postgres] [--set emails=N]
        [--set brokers=memory]

Sizes: emails (2,000; quick 300), threads (2).
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from bench.support import Options, Row, free_port, main_for, note, settings_for

BENCHMARK = "Jobs"
TIMEOUT = 600.0


@dataclass
class Sink:
    """An SMTP server on loopback that counts what it accepts (in its own thread)."""

    port: int = field(default_factory=free_port)
    received: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.received += 1
        return "250 Message accepted for delivery"

    async def wait_for(self, count: int, timeout: float = TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while self.received < count:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the SMTP sink received {self.received} of {count} "
                                   f"emails within {timeout}s")
            await asyncio.sleep(0.005)


def _values(i: int) -> dict[str, Any]:
    return {"name": f"Client {i}", "login": f"client{i}@bench.example",
            "link": f"https://gateway.example/set-password?token=bench-{i}", "days": 14}


async def through_outbox(options: Options, broker_url: str, sink: Sink, emails: int,
                         threads: int, fresh: bool) -> tuple[float, float, dict[str, Any]]:
    """Seconds to deliver ``emails`` through the outbox (on a ``fresh`` database, or the one
    the previous broker used), the seconds spent enqueueing them, and one job's payload."""
    from tortoise.transactions import in_transaction

    from bench.support import fresh_database
    from gateway.app import create_app
    from gateway.email import send_email
    from gateway.models import OutboxJob
    from gateway.plugins import PluginHost

    folder = options.workdir / "jobs"
    # env=test: a Redis namespace of this run's own, so two runs (or a test suite) sharing a
    # Redis server never take each other's messages.
    settings = settings_for(options.database_url("jobs"), folder, broker_url=broker_url,
                            email_url=f"smtp://127.0.0.1:{sink.port}", env="test")
    host = PluginHost(settings)
    if fresh:
        await fresh_database(host)
    app = create_app(settings, host=host, migrate_on_start=False,
                     job_options={"in_process_workers": True, "worker_threads": threads})
    start_count = sink.received
    async with app.router.lifespan_context(app):
        started = time.perf_counter()
        rows = []
        for i in range(emails):
            async with in_transaction():
                rows.append(await send_email(to=f"Client {i} <client{i}@bench.example>",
                                             template="set_password", language="fr",
                                             values=_values(i), gateway=host))
        enqueued = time.perf_counter() - started
        await sink.wait_for(start_count + emails)
        seconds = time.perf_counter() - started
        # As written (a finished job's row may keep less of it: set-password links).
        assert rows[0] is not None
        payload = {**rows[0].payload, "outbox_id": rows[0].id}
        # The last rows are marked done just after their message reached the sink.
        ids = [r.id for r in rows if r]
        deadline = time.monotonic() + 30
        while (done := await OutboxJob.filter(id__in=ids, status="done").count()) < emails:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{done} of {emails} email jobs done")
            await asyncio.sleep(0.01)
    note(f"jobs: {broker_url.split(':')[0]}: {emails} emails in {seconds:.2f} s "
         f"(enqueued in {enqueued:.2f} s)")
    return seconds, enqueued, payload


async def raw_sends(message: EmailMessage, sender: str, recipients: list[str], sink: Sink,
                    emails: int, concurrency: int) -> float:
    """Seconds for plain aiosmtplib to send ``emails`` copies, ``concurrency`` at a time."""
    import aiosmtplib

    queue = list(range(emails))
    start_count = sink.received

    async def sender_task() -> None:
        while queue:
            queue.pop()
            await aiosmtplib.send(message, sender=sender, recipients=recipients,
                                  hostname="127.0.0.1", port=sink.port, timeout=30)

    started = time.perf_counter()
    await asyncio.gather(*(sender_task() for _ in range(concurrency)))
    await sink.wait_for(start_count + emails)
    return time.perf_counter() - started


def redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


async def _run(options: Options) -> list[Row]:
    from aiosmtpd.controller import Controller

    from gateway.email.mime import compose
    from gateway.email.service import envelope

    emails = int(options.size("emails", 2000, 300))
    threads = int(options.size("threads", 2, 2))
    brokers = str(options.size("brokers", "memory,redis", "memory,redis")).split(",")
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    results: dict[str, tuple[float, float]] = {}
    skipped: list[str] = []
    try:
        payload: dict[str, Any] = {}
        for broker in brokers:
            if broker == "memory":
                seconds, enqueued, payload = await through_outbox(
                    options, "memory://", sink, emails, threads, fresh=not results)
                results[broker] = (seconds, enqueued)
            elif broker == "redis":
                if not redis_answers(options.redis_url):
                    skipped.append(f"Redis at {options.redis_url} does not answer")
                    continue
                seconds, enqueued, payload = await through_outbox(
                    options, options.redis_url, sink, emails, threads, fresh=not results)
                results[broker] = (seconds, enqueued)
            else:
                raise ValueError(f"unknown broker {broker!r} (memory, redis)")
        # The same message, as an EmailMessage (what aiosmtplib.send takes and flattens).
        message = message_from_bytes(compose(payload, str(payload["outbox_id"])).data,
                                     policy=policy.default)
        sender, recipients = envelope(payload)
        baseline = await raw_sends(message, sender, recipients, sink, emails, threads)
        note(f"jobs: raw aiosmtplib: {emails} emails in {baseline:.2f} s")
    finally:
        controller.stop()
    raw = f"raw aiosmtplib {emails / baseline:,.0f}/s"
    labels = {"memory": "embedded broker (memory://)", "redis": "Redis broker"}
    rows = [
        Row(BENCHMARK, f"emails/s through the outbox, {labels[broker]}",
            f"{emails / seconds:,.0f}/s ({emails:,} emails in {seconds:.1f} s; "
            f"send_email {emails / enqueued:,.0f}/s)", raw,
            baseline / seconds, f"{options.database}, {threads} worker threads")
        for broker, (seconds, enqueued) in results.items()
    ]
    rows += [Row(BENCHMARK, "emails/s through the outbox, Redis broker", "skipped", why, None)
             for why in skipped]
    return rows


def run(options: Options) -> list[Row]:
    return asyncio.run(_run(options))


if __name__ == "__main__":
    main_for("jobs", run, __doc__.splitlines()[0])
