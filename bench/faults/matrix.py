"""The fault matrix: each fault injected while the load runs, then the database and the SMTP
server compared with what the clients were told.

Three stacks, each started once for its rows: ``scale-out`` (a private PostgreSQL, Redis and SMTP
server, two `gateway serve` and one `gateway worker`), ``scale-out-rabbitmq`` (the same with a
private RabbitMQ node as the broker, Redis for the pub/sub only) and ``embedded`` (SQLite in a
small tmpfs, the in-process broker: `gateway serve` runs the jobs, an SMTP server)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import shutil
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.faults.components import (
    ComponentMissing,
    GatewayProcess,
    PrivatePostgres,
    PrivateRabbitMQ,
    PrivateRedis,
    SmtpSink,
    TmpfsFolder,
    gateway_env,
)
from bench.faults.load import Areas, Load, Record, Target, events
from bench.support import note, settings_for

PASSWORD = "Faults-pass-1"
LOGIN_NAME = "faults-admin@faults.test"
SYSADMIN_LOGIN = "faults-sysadmin@faults.test"
TWILIO_NUMBER = "+15145550199"
PUBLIC_URL = "http://127.0.0.1:8000"  # what the gateway is told, and Twilio signs


@dataclass
class Sizes:
    clients: int
    baseline: float  # seconds of load before the fault
    hold: float  # seconds the dependency stays down
    recover_bound: float  # the dependency back: clients served again within this
    drain_bound: float  # every queued email sent within this (else reported pending)
    refusal_bound: float  # no refused request takes longer (the load's REQUEST_BOUND is wider)


QUICK = Sizes(clients=3, baseline=1.5, hold=3, recover_bound=45, drain_bound=15,
              refusal_bound=10)
FULL = Sizes(clients=6, baseline=5, hold=15, recover_bound=60, drain_bound=420,
             refusal_bound=10)


@dataclass
class Result:
    """One line of the table, and what failed."""

    fault: str
    stack: str
    skipped: str = ""
    requests: int = 0
    refused: int = 0
    bad: int = 0
    unknown: int = 0
    max_refusal_s: float = 0.0
    slowest_refusal_s: float = 0.0
    recover_s: float = 0.0
    writes_acked: int = 0
    writes_found: int = 0
    emails_queued: int = 0
    emails_sent: int = 0
    emails_pending: int = 0
    duplicates: int = 0
    closes_acked: int = 0  # billing cycle closes acknowledged, and of those closed
    closes_done: int = 0
    # Writes acknowledged and found, by kind (contact, import, chat, webhook).
    areas: dict[str, tuple[int, int]] = field(default_factory=dict)
    chat_live: tuple[int, int] = (0, 0)  # chat messages heard live by the subscriber / stored
    seconds: float = 0.0  # the row's wall time (load, fault, recovery, comparison)
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    samples: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.skipped and not self.failures


# --- The stacks -------------------------------------------------------------------------------

class Stack:
    """Components, gateway processes and the seeded reseller, for a series of faults."""

    name = ""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.smtp = SmtpSink(folder / "smtp")
        self.serves: list[GatewayProcess] = []
        self.workers: list[GatewayProcess] = []
        self.database_url = ""
        self.target: Target | None = None
        self.session: dict[str, str] = {}
        self.clock_file = folder / "clock-offset-seconds"
        self.notes: list[str] = []
        self.chat_cursor: str | None = None  # the conversation's last message seen resumed

    @property
    def processes(self) -> list[GatewayProcess]:
        return [*self.serves, *self.workers]

    async def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        for process in self.processes:
            process.stop()
        self.smtp.stop()

    def host(self) -> Any:
        from gateway.plugins import PluginHost

        return PluginHost(settings_for(self.database_url, self.folder / "bench",
                                       load_plugins=()))

    async def seed(self) -> None:
        """A fresh schema, a reseller with its admin, a directory account (calls are imported
        for it) and an account that receives the messages (both in production: no test mode)
        with a chat conversation the admin took and a connected Twilio account and number;
        a system admin (billing cycle closes)."""
        import datetime as dt

        from strawberry.relay import to_base64

        from bench.support import fresh_database
        from gateway import db
        from gateway.identity.codes import new_can
        from gateway.identity.models import (
            Account,
            AccountKind,
            BillingStatus,
            Reseller,
            User,
            UserRole,
        )
        from gateway.identity.secrets import hash_secret
        from plugins.chat.conversation_models import (
            Conversation,
            ConversationStatus,
            Message,
            Side,
        )
        from plugins.twilio_voip.access import seal
        from plugins.twilio_voip.models import TwilioAccount, VoipNumber

        host = self.host()
        await fresh_database(host)
        await db.init_db(host)
        try:
            reseller = await Reseller.create(name="Faults Télécom", can=new_can(),
                                             default_language="en")
            admin = await User.create(role=UserRole.RESELLER_ADMIN, reseller=reseller,
                                      login=LOGIN_NAME, email=LOGIN_NAME, first_name="Fault",
                                      last_name="Matrix", language="en",
                                      password_hash=hash_secret(PASSWORD))
            reseller.primary_admin = admin
            await reseller.save()
            accounts = []
            for name in ("Faults Annuaire", "Faults Courriel"):
                accounts.append(await Account.create(
                    reseller=reseller, kind=AccountKind.COMPANY, name=name, can=new_can(),
                    email=f"{name.split()[1].lower()}@faults.test",
                    billing_status=BillingStatus.IN_PRODUCTION))
            await User.create(role=UserRole.SYSTEM_ADMIN, login=SYSADMIN_LOGIN,
                              email=SYSADMIN_LOGIN, first_name="Fault", last_name="Système",
                              language="en", password_hash=hash_secret(PASSWORD))
            mail = accounts[1]
            conversation = await Conversation.create(
                reseller=reseller, account=mail, opened_by_name="Faults", language="en",
                status=ConversationStatus.ACTIVE, assigned_to=admin,
                assigned_to_name="Fault Matrix", taken_at=dt.datetime.now(dt.UTC))
            first = await Message.create(conversation=conversation, sender=admin,
                                         side=Side.STAFF, sender_name="Fault Matrix",
                                         body="Faults: the conversation starts.")
            twilio_token = secrets.token_hex(16)
            twilio = await TwilioAccount.create(
                account=mail, account_sid="AC" + secrets.token_hex(16),
                auth_token=seal(host, twilio_token), friendly_name="Faults")
            await VoipNumber.create(account=mail, sid="PN" + secrets.token_hex(16),
                                    phone_number=TWILIO_NUMBER)
        finally:
            await db.close_db()
        areas = Areas(import_account=accounts[0].id, import_can=accounts[0].can,
                      conversation_gid=to_base64("ChatConversation", conversation.id),
                      twilio_sid=twilio.account_sid, twilio_token=twilio_token,
                      twilio_number=TWILIO_NUMBER, public_url=PUBLIC_URL,
                      sysadmin_login=SYSADMIN_LOGIN, sysadmin_password=PASSWORD)
        self.chat_cursor = to_base64("ChatMessage", first.id)
        self.target = Target(LOGIN_NAME, PASSWORD, to_base64("User", admin.id),
                             to_base64("Account", accounts[0].id),
                             to_base64("Account", accounts[1].id), "", areas)

    async def start_gateways(self) -> None:
        for process in self.processes:
            process.start()
        for process in self.processes:
            await wait_ready(process)

    def bases(self) -> list[str]:
        return [s.base for s in self.serves if s.alive()]


class ScaleOutStack(Stack):
    name = "scale-out"

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.pg = PrivatePostgres(folder / "pg")
        self.redis = PrivateRedis(folder / "redis")

    def broker(self) -> tuple[str, dict[str, str]]:
        """BROKER_URL, and what else the gateway is told about it."""
        return self.redis.url, {}

    async def start_broker(self) -> None:
        return None

    async def start(self) -> None:
        await asyncio.gather(asyncio.to_thread(self.pg.create), self.start_broker())
        self.redis.start()
        self.smtp.start()
        self.database_url = self.pg.url
        await self.seed()
        broker_url, extra = self.broker()
        env = gateway_env(self.database_url, broker_url, self.smtp.url,
                          self.folder / "var", PUBLIC_URL, self.clock_file, **extra)
        self.serves = [GatewayProcess("serve", self.folder, env) for _ in range(2)]
        self.workers = [GatewayProcess("worker", self.folder, env)]
        await self.start_gateways()

    def stop(self) -> None:
        super().stop()
        self.redis.stop()
        self.pg.destroy()


class RabbitStack(ScaleOutStack):
    """The scale-out stack with RabbitMQ as the broker (`BROKER_URL=amqp://…`); the pub/sub,
    which RabbitMQ does not provide, stays on the private Redis (`PUBSUB_URL`)."""

    name = "scale-out-rabbitmq"

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.rabbitmq = PrivateRabbitMQ(folder / "rabbitmq")

    def broker(self) -> tuple[str, dict[str, str]]:
        return self.rabbitmq.url, {"PUBSUB_URL": self.redis.url}

    async def start_broker(self) -> None:
        await asyncio.to_thread(self.rabbitmq.create)

    def stop(self) -> None:
        super().stop()
        self.rabbitmq.destroy()


class EmbeddedStack(Stack):
    """The default an operator gets without configuring anything: SQLite, jobs in `serve`."""

    name = "embedded"

    def __init__(self, folder: Path, megabytes: int = 48) -> None:
        super().__init__(folder)
        self.disk = TmpfsFolder(folder / "disk", megabytes)
        self.filler = self.disk.folder / "filler"

    async def start(self) -> None:
        self.disk.mount()
        self.smtp.start()
        self.database_url = f"sqlite://{self.disk.folder / 'gateway.sqlite3'}"
        await self.seed()
        env = gateway_env(self.database_url, "memory://", self.smtp.url, self.folder / "var",
                          PUBLIC_URL, self.clock_file)
        self.serves = [GatewayProcess("serve", self.folder, env)]
        await self.start_gateways()

    def stop(self) -> None:
        super().stop()
        self.disk.unmount()

    def fill(self) -> None:
        """Write until the folder is full (ENOSPC)."""
        chunk = b"\0" * (1 << 20)
        with self.filler.open("wb") as out:
            try:
                while True:
                    out.write(chunk)
                    out.flush()
            except OSError:
                pass
        # The last bytes too: SQLite's journal needs only a page.
        with contextlib.suppress(OSError), self.filler.open("ab") as out:
            while True:
                out.write(b"\0" * 512)
                out.flush()

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)


async def wait_ready(process: GatewayProcess, timeout: float = 90) -> None:
    """A serve answers /healthz; a worker printed its start line. A process that gave up at
    start because a dependency did not answer its check within 3 s (a loaded machine) is
    started again, twice at most, as a supervisor (systemd's Restart=on-failure) does."""
    deadline = time.monotonic() + timeout
    retries = 2
    while time.monotonic() < deadline:
        if not process.alive():
            output = process.logs[-1].read_text(errors="replace")
            if retries and "cannot be reached" in output:
                retries -= 1
                note(f"  {process.role} gave up at start (a check timed out); started again")
                process.start()
                continue
            raise RuntimeError(f"{process.role} exited:\n" + output[-3000:])
        if process.role == "serve":
            try:
                async with httpx.AsyncClient(timeout=2) as http:
                    if (await http.get(f"{process.base}/healthz")).status_code == 200:
                        return
            except httpx.HTTPError:
                pass
        elif "threads on" in process.logs[-1].read_text(errors="replace"):
            return
        await asyncio.sleep(0.2)
    raise RuntimeError(f"{process.role} not ready within {timeout}s")


# --- The faults -------------------------------------------------------------------------------

Action = Callable[[Any], Awaitable[None]]


@dataclass
class Fault:
    name: str
    stack: str  # scale-out | embedded
    what: str
    inject: Action
    restore: Action
    needs: Callable[[], str] = lambda: ""  # a reason to skip, when the machine lacks something
    # Which API processes the clients use: all, or only the first (one API process killed).
    first_serve_only: bool = False
    expect_refusals: bool = True


async def _pg_stop(stack: Any) -> None:
    await asyncio.to_thread(stack.pg.stop)


async def _pg_start(stack: Any) -> None:
    await asyncio.to_thread(stack.pg.start)


async def _pg_kill_connections(stack: Any) -> None:
    killed = await asyncio.to_thread(stack.pg.terminate_connections)
    stack.notes.append(f"{killed} connections terminated")


async def _pg_kill_again(stack: Any) -> None:
    killed = await asyncio.to_thread(stack.pg.terminate_connections)
    stack.notes.append(f"then {killed} more")


async def _redis_stop(stack: Any) -> None:
    stack.redis.stop()


async def _redis_start(stack: Any) -> None:
    stack.redis.start()


async def _smtp_stop(stack: Any) -> None:
    stack.smtp.stop()


async def _smtp_start(stack: Any) -> None:
    stack.smtp.start()


async def _kill_worker(stack: Any) -> None:
    stack.workers[0].kill()


async def _start_worker(stack: Any) -> None:
    stack.workers[0].start()
    await wait_ready(stack.workers[0])


async def _kill_first_serve(stack: Any) -> None:
    stack.serves[0].kill()


async def _start_first_serve(stack: Any) -> None:
    stack.serves[0].start()
    await wait_ready(stack.serves[0])


async def _kill_second_serve(stack: Any) -> None:
    stack.serves[1].kill()


async def _start_second_serve(stack: Any) -> None:
    stack.serves[1].start()
    await wait_ready(stack.serves[1])


async def _clock_jump(stack: Any) -> None:
    """Every running gateway process's wall clock one hour ahead at once (clockshift/)."""
    stack.clock_file.write_text("3600")


async def _nothing(stack: Any) -> None:
    return None


async def _fill_disk(stack: Any) -> None:
    await asyncio.to_thread(stack.fill)


async def _free_disk(stack: Any) -> None:
    stack.free()


async def _rabbitmq_stop(stack: Any) -> None:
    await asyncio.to_thread(stack.rabbitmq.stop)


async def _rabbitmq_start(stack: Any) -> None:
    await asyncio.to_thread(stack.rabbitmq.start)


FAULTS = [
    Fault("postgres-restart", "scale-out", "PostgreSQL stopped (fast), then started",
          _pg_stop, _pg_start),
    Fault("postgres-connections-killed", "scale-out",
          "pg_terminate_backend on every gateway connection, twice", _pg_kill_connections,
          _pg_kill_again),
    Fault("redis-restart", "scale-out", "Redis (broker and pub/sub) stopped, then started empty",
          _redis_stop, _redis_start),
    Fault("rabbitmq-restart", "scale-out-rabbitmq",
          "RabbitMQ (the broker) stopped (SIGTERM), then started with its queues",
          _rabbitmq_stop, _rabbitmq_start, expect_refusals=False),
    Fault("smtp-down", "scale-out", "the SMTP server stopped, then started",
          _smtp_stop, _smtp_start, expect_refusals=False),
    Fault("worker-killed", "scale-out", "`gateway worker` SIGKILLed, then started",
          _kill_worker, _start_worker, expect_refusals=False),
    Fault("serve-killed", "scale-out", "the only API process SIGKILLed, then started",
          _kill_first_serve, _start_first_serve, first_serve_only=True),
    Fault("one-of-two-api-killed", "scale-out",
          "one of two API processes SIGKILLed (clients fail over), then started",
          _kill_second_serve, _start_second_serve),
    Fault("disk-full", "embedded", "the SQLite database's disk (tmpfs) filled, then freed",
          _fill_disk, _free_disk),
    # Last of its stack: the clock stays an hour ahead afterwards.
    Fault("clock-jump", "scale-out", "the wall clock of every running process one hour ahead",
          _clock_jump, _nothing),
]


# --- Running one fault ------------------------------------------------------------------------

async def run_fault(fault: Fault, stack: Stack, sizes: Sizes, number: int) -> Result:
    began = time.monotonic()
    result = Result(fault.name, stack.name)
    assert stack.target is not None
    tag = f"F{number}{secrets.token_hex(2)}"
    target = Target(**{**stack.target.__dict__, "run_tag": tag, "close_months": number * 24})
    serves = stack.serves[:1] if fault.first_serve_only else stack.serves
    load = Load(lambda: [s.base for s in serves if s.alive()], target, clients=sizes.clients,
                session=stack.session)
    stack.notes = result.notes
    load.chat_cursor = stack.chat_cursor
    running = asyncio.create_task(load.run())
    try:
        try:
            await asyncio.sleep(sizes.baseline)
            note(f"  {fault.name}: {fault.what}")
            injected = time.monotonic()
            await fault.inject(stack)
            await asyncio.sleep(sizes.hold)
            await fault.restore(stack)
            restored = time.monotonic()
            await _until_recovered(load, restored, sizes.recover_bound)
            await asyncio.sleep(1)
        finally:
            load.stop()
        # Every request under way answered and recorded before the comparison.
        await asyncio.wait_for(asyncio.shield(load.clients_done.wait()), 60)
        await _judge(result, load.records, injected, restored, sizes, fault)
        stored_chat = await _compare(result, stack, load.records, tag, sizes)
        await _check_subscription(result, stack, load, set(stored_chat))
    finally:
        load.stop()
        load.stop_listening()
        await asyncio.wait_for(running, 60)
    result.seconds = time.monotonic() - began
    return result


async def _check_subscription(result: Result, stack: Stack, load: Load,
                              stored: set[str]) -> None:
    """The chat subscription through the fault: what the live subscriber (subscribing again
    by itself from its last message whenever its socket dropped) heard, and what a client
    resuming from the last message it had before the fault gets: every message stored since,
    once, in order."""
    assert stack.target is not None and stack.target.areas is not None
    deadline = time.monotonic() + 10
    while not stored <= set(load.heard) and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    unheard = sorted(stored - set(load.heard))
    if unheard:
        # Live delivery catches up by itself (a dropped socket resubscribes from its cursor; a
        # pub/sub that lost its connection replays from the database): none may be missing.
        result.failures.append(f"the live subscription never delivered {len(unheard)} stored "
                               f"messages: {unheard[:3]}")
    twice = sorted(text for text in stored if load.heard[text] > 1)
    if twice:
        result.failures.append(f"the live subscription delivered {len(twice)} messages twice: "
                               f"{twice[:3]}")
    token, bases = await load.sign_in(), stack.bases()
    if token is None or not bases:
        result.notes.append("chat subscription: not resumed (no session or API process)")
        return
    replayed: list[tuple[str, str]] = [pair async for pair in events(
        bases[0], token, stack.target.areas.conversation_gid, stack.chat_cursor, quiet=2.0)]
    texts = Counter(text for _, text in replayed)
    if stored - set(texts):
        result.failures.append(f"resuming the chat subscription from the last message before "
                               f"the fault missed {len(stored - set(texts))} stored messages")
    if any(texts[text] > 1 for text in stored):
        result.failures.append("resuming the chat subscription replayed a message twice")
    if replayed:
        stack.chat_cursor = replayed[-1][0]
    result.chat_live = (len(stored & set(load.heard)), len(stored))
    result.notes.append(
        f"chat subscription: {len(stored & set(load.heard))} of {len(stored)} messages heard "
        f"live ({load.resubscribed} subscriptions again by itself); resumed from its cursor: "
        f"{len(stored & set(texts))} of {len(stored)}")


def _writes_ok_since(records: list[Record], since: float) -> int:
    return sum(1 for r in records if r.kind == "contact" and r.outcome == "ok"
               and r.started >= since)


async def _until_recovered(load: Load, restored: float, bound: float) -> None:
    """Until three writes started after the restore succeeded and nothing failed for 1 s."""
    deadline = restored + bound
    while time.monotonic() < deadline:
        now = time.monotonic()
        recent_failures = [r for r in load.records if r.started >= now - 1.0
                           and r.kind != "health" and r.outcome != "ok"]
        if _writes_ok_since(load.records, restored) >= 3 and not recent_failures:
            return
        await asyncio.sleep(0.2)


async def _judge(result: Result, records: list[Record], injected: float, restored: float,
                 sizes: Sizes, fault: Fault) -> None:
    calls = [r for r in records if r.kind != "health"]
    result.requests = len(calls)
    refused = [r for r in calls if r.outcome == "refused"]
    bad = [r for r in records if r.outcome == "bad"]
    result.refused, result.bad = len(refused), len(bad)
    result.unknown = sum(1 for r in calls if r.outcome == "unknown")
    result.slowest_refusal_s = max((r.ended - r.started for r in refused), default=0.0)
    # The longest stretch during which the clients were refused: from a refusal's start to the
    # end of the last refusal before the next success.
    stretch_start: float | None = None
    last_end = 0.0
    for r in sorted(calls, key=lambda r: r.started):
        if r.outcome in ("refused", "bad", "unknown"):
            stretch_start = r.started if stretch_start is None else stretch_start
            last_end = max(last_end, r.ended)
        elif r.outcome == "ok" and stretch_start is not None and r.started > last_end:
            result.max_refusal_s = max(result.max_refusal_s, last_end - stretch_start)
            stretch_start = None
    if stretch_start is not None:
        result.max_refusal_s = max(result.max_refusal_s, last_end - stretch_start)
    failed_after = [r for r in calls if r.outcome != "ok" and r.ended >= restored]
    result.recover_s = max(0.0, max((r.ended for r in failed_after), default=restored)
                           - restored)
    if bad:
        result.failures.append(f"{len(bad)} requests answered badly (5xx, INTERNAL_ERROR, "
                               "uncoded, or over the bound)")
        result.samples += sorted({f"{r.kind}: {r.detail}"[:300] for r in bad})[:5]
    if result.slowest_refusal_s > sizes.refusal_bound:
        result.failures.append(f"a refusal took {result.slowest_refusal_s:.1f} s "
                               f"(bound {sizes.refusal_bound:g} s)")
    if result.recover_s >= sizes.recover_bound or _writes_ok_since(records, restored) < 3:
        result.failures.append(f"not recovered within {sizes.recover_bound:g} s of the restore")
    if refused:
        result.samples += [f"refused: {k} ×{n}" for k, n in Counter(
            f"{r.kind} " + re.sub(r"\d+", "N", r.detail)[:120] for r in refused).most_common(6)]


# The writes compared row for row, each kind with the column holding its marker.
WRITES = ("contact", "import", "chat", "webhook")


async def _stored(tag: str) -> dict[str, Counter[str]]:
    """The markers of this fault's rows, by kind of write (a marker twice: a duplicate)."""
    from plugins.account_settings.models import Contact
    from plugins.callcenter.models import Call
    from plugins.chat.conversation_models import Message
    from plugins.twilio_voip.models import VoipCall

    prefix = f"{tag}-"
    columns = {"contact": (Contact, "name"), "import": (Call, "call_id"),
               "chat": (Message, "body"), "webhook": (VoipCall, "call_sid")}
    found: dict[str, Counter[str]] = {}
    for kind, (model, column) in columns.items():
        rows = await model.filter(**{f"{column}__startswith": prefix}).values_list(
            column, flat=True)
        found[kind] = Counter(str(value) for value in rows)
    return found


async def _compare(result: Result, stack: Stack, records: list[Record], tag: str,
                   sizes: Sizes) -> Counter[str]:
    """The database and the SMTP server against what the clients were told; returns the chat
    messages stored."""
    from gateway import db
    from gateway.email.service import JOB_NAME
    from gateway.models import OutboxJob, OutboxStatus
    from plugins.billing.cycle_jobs import CLOSE_JOB
    from plugins.billing.ledger_models import CycleRun, CycleRunStatus

    marker = re.compile(rf"\b({re.escape(tag)}-\d+)\b")
    told: dict[str, set[str]] = {}
    for r in records:
        if r.kind in (*WRITES, "email", "close"):
            outcome = r.outcome
            if outcome == "refused" and r.detail.startswith("200 SERVICE_UNAVAILABLE"):
                # Refused during execution: the mutation's transaction may have committed
                # before the database went (its audit entry is written after it).
                outcome = "unknown"
            told.setdefault(f"{r.kind}:{outcome}", set()).add(r.marker)
    close_days = {r.marker for r in records if r.kind == "close"}
    done = (OutboxStatus.DONE, OutboxStatus.FAILED)
    await db.init_db(stack.host())
    try:
        stored = await _stored(tag)
        deadline = time.monotonic() + sizes.drain_bound
        while True:  # until every email and close of this fault is done (or the drain bound)
            jobs = [{**j, "marker": found.group(1)} for j in await OutboxJob.filter(
                job=JOB_NAME).values("id", "status", "payload", "attempts", "run_after")
                if (found := marker.search(str(j["payload"].get("subject", ""))))]
            closes = [{**j, "marker": str(j["payload"].get("today"))} for j in
                      await OutboxJob.filter(job=CLOSE_JOB).values(
                          "id", "status", "payload", "attempts", "run_after")
                      if str(j["payload"].get("today")) in close_days]
            if not [j for j in jobs + closes if j["status"] not in done] \
                    or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        runs = Counter(str(day) for day in await CycleRun.filter(
            status=CycleRunStatus.DONE).values_list("ends_on", flat=True))
    finally:
        await db.close_db()
    for kind in WRITES:
        _compare_writes(result, kind, told, stored[kind])
    result.writes_acked = sum(acked for acked, _ in result.areas.values())
    result.writes_found = sum(found for _, found in result.areas.values())
    received = Counter(m.group(1) for line in stack.smtp.file.read_text().splitlines()
                       if (m := marker.search(line)))
    _compare_emails(result, told, jobs, received)
    _compare_closes(result, told, closes, runs)
    result.duplicates += sum(c - 1 for counts in stored.values() for c in counts.values())
    if result.duplicates:
        result.failures.append(f"{result.duplicates} duplicates")
        result.samples += duplicated_markers(stored, received, jobs + closes)
    result.notes.append("acknowledged / found by area: " + ", ".join(
        f"{kind} {acked} / {found}" for kind, (acked, found) in result.areas.items())
        + f"; billing closes acknowledged / closed {result.closes_acked} / "
        f"{result.closes_done}")
    return stored["chat"]


def _compare_writes(result: Result, kind: str, told: dict[str, set[str]],
                    names: Counter[str]) -> None:
    """Every acknowledged write of ``kind`` stored; none a client was refused cleanly; nothing
    else (a request whose answer was lost or bad may or may not have written)."""
    acked = told.get(f"{kind}:ok", set())
    maybe = told.get(f"{kind}:unknown", set()) | told.get(f"{kind}:bad", set())
    refused = told.get(f"{kind}:refused", set())
    found = set(names)
    result.areas[kind] = (len(acked), len(found & acked))
    lost = acked - found
    if lost:
        result.failures.append(f"{len(lost)} acknowledged {kind} writes missing: "
                               f"{sorted(lost)[:3]}")
    if found & refused:
        result.failures.append(f"{len(found & refused)} {kind} writes refused to the client "
                               f"stored anyway: {sorted(found & refused)[:3]}")
    phantoms = found - acked - maybe - refused
    if phantoms:
        result.failures.append(f"{len(phantoms)} {kind} rows nobody was told about")
    if found & maybe:
        result.notes.append(f"{len(found & maybe)} of {len(maybe)} {kind} writes whose outcome "
                            "the client could not know (answer lost, or SERVICE_UNAVAILABLE "
                            "during execution) were stored")


def _compare_closes(result: Result, told: dict[str, set[str]], jobs: list[dict[str, Any]],
                    runs: Counter[str]) -> None:
    """One close job per acknowledged close, none for a refused one; each job done with its
    cycle closed (one run); none failed."""
    from gateway.models import OutboxStatus

    queued, waiting = _compare_jobs(result, "close", "billing close", told, jobs)
    acked = told.get("close:ok", set())
    closed = {j["marker"] for j in jobs if j["status"] == OutboxStatus.DONE}
    result.closes_acked, result.closes_done = len(acked), len(closed & acked)
    result.duplicates += sum(c - 1 for c in queued.values())
    unclosed = sorted(day for day in closed if not runs.get(day))
    if unclosed:
        result.failures.append(f"{len(unclosed)} billing close jobs done without their cycle "
                               f"closed: {unclosed[:3]}")
    if waiting:
        result.notes.append(f"{len(waiting)} billing closes waiting for their retry (attempts "
                            f"{sorted({j['attempts'] for j in waiting})}): not lost")


def duplicated_markers(stored: dict[str, Counter[str]], received: Counter[str],
                jobs: list[dict[str, Any]]) -> list[str]:
    """Which markers were found more than once, and where (the table says only how many)."""
    found = [f"{kind} row {marker} ×{n}" for kind, counts in stored.items()
             for marker, n in counts.items() if n > 1]
    found += [f"email {marker} received ×{n}" for marker, n in received.items() if n > 1]
    found += [f"outbox job {marker} queued ×{n}"
              for marker, n in Counter(j["marker"] for j in jobs).items() if n > 1]
    return sorted(found)[:5]


def _compare_jobs(result: Result, kind: str, what: str, told: dict[str, set[str]],
                  jobs: list[dict[str, Any]]) -> tuple[Counter[str], list[dict[str, Any]]]:
    """One outbox job per acknowledged request of ``kind``, none for a refused one, none
    failed for good; the jobs by marker, and those still waiting."""
    from gateway.models import OutboxStatus

    queued = Counter(j["marker"] for j in jobs)
    acked = told.get(f"{kind}:ok", set())
    refused = told.get(f"{kind}:refused", set())
    if acked - set(queued):
        result.failures.append(f"{len(acked - set(queued))} acknowledged {what}s not queued")
    if refused & set(queued):
        result.failures.append(f"{len(refused & set(queued))} {what}s refused to the client "
                               "were queued anyway")
    failed = [j for j in jobs if j["status"] == OutboxStatus.FAILED]
    if failed:
        result.failures.append(f"{len(failed)} {what} jobs failed for good")
    return queued, [j for j in jobs if j["status"] not in (OutboxStatus.DONE,
                                                           OutboxStatus.FAILED)]


def _compare_emails(result: Result, told: dict[str, set[str]], jobs: list[dict[str, Any]],
                    received: Counter[str]) -> None:
    """One outbox row per acknowledged message, none for a refused one; each row sent once."""
    from gateway.models import OutboxStatus

    queued, open_jobs = _compare_jobs(result, "email", "email", told, jobs)
    result.emails_queued, result.emails_sent = len(queued), len(received)
    result.emails_pending = len(open_jobs)
    result.duplicates = sum(c - 1 for c in received.values()) + sum(
        c - 1 for c in queued.values())
    unsent = {j["marker"] for j in jobs if j["status"] == OutboxStatus.DONE} - set(received)
    if unsent:
        result.failures.append(f"{len(unsent)} emails marked sent never arrived")
    if open_jobs:
        due = max(j["run_after"] for j in open_jobs)
        result.notes.append(f"{len(open_jobs)} emails waiting for their retry (the last due "
                            f"{due:%H:%M:%S} UTC, attempts "
                            f"{sorted({j['attempts'] for j in open_jobs})}): not lost")


# --- The whole matrix -------------------------------------------------------------------------

STACKS: dict[str, Callable[[Path], Stack]] = {"scale-out": ScaleOutStack,
                                               "scale-out-rabbitmq": RabbitStack,
                                               "embedded": EmbeddedStack}


async def run_matrix(names: list[str], sizes: Sizes, folder: Path) -> list[Result]:
    results: list[Result] = []
    chosen = [f for f in FAULTS if f.name in names]
    for stack_name, make in STACKS.items():
        faults = [f for f in chosen if f.stack == stack_name]
        runnable = []
        for fault in faults:
            reason = fault.needs()
            if reason:
                results.append(Result(fault.name, stack_name, skipped=reason))
            else:
                runnable.append(fault)
        if not runnable:
            continue
        note(f"{stack_name}: starting its components")
        try:
            stack = make(folder / stack_name)
        except ComponentMissing as exc:
            results += [Result(f.name, stack_name, skipped=str(exc)) for f in runnable]
            continue
        began = time.monotonic()
        try:
            try:
                await stack.start()
            except ComponentMissing as exc:
                results += [Result(f.name, stack_name, skipped=str(exc)) for f in runnable]
                continue
            note(f"{stack_name}: started in {time.monotonic() - began:.1f} s")
            for fault in runnable:
                result = await run_fault(fault, stack, sizes, len(results) + 1)
                note(f"  {fault.name}: {'ok' if result.passed else 'FAILED'} in "
                     f"{result.seconds:.1f} s " + "; ".join(result.failures))
                results.append(result)
                for process in stack.processes:
                    if not process.alive():
                        process.start()
                        await wait_ready(process)
            errors = [e for p in stack.processes for e in p.errors()]
            if errors:
                note(f"  {stack_name}: {len(errors)} error lines in the gateway logs, e.g. "
                     + errors[0])
        finally:
            stack.stop()
            note(f"{stack_name}: {time.monotonic() - began:.1f} s in all")
    order = [f.name for f in FAULTS]
    return sorted(results, key=lambda r: order.index(r.fault))


def keep_or_remove(folder: Path, keep: bool) -> None:
    if keep:
        note(f"files kept in {folder}")
    else:
        shutil.rmtree(folder, ignore_errors=True)


def default_folder() -> Path:
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="faults-", dir=os.environ.get("FAULTS_TMP")))
    folder.chmod(0o755)  # PostgreSQL runs as its own user below it
    return folder
