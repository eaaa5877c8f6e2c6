"""The rules of provisioning ("ravitaillement"): the lifecycle hooks write operations in the
caller's transaction (a transactional outbox), a job delivers each account's operations in
order to every provisioner (the built-in recorder and the plugins implementing
``gateway_provision``), retries them, and records every outcome; staff read it on the account
and retry what failed. No GraphQL here."""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
import logging
import uuid
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from gateway.api import (
    Account,
    OutboxJob,
    PluginHost,
    Principal,
    Problem,
    Reseller,
    Text,
    User,
    account_for,
    enqueue,
)
from plugins.provisioning import errors as e
from plugins.provisioning import recorder
from plugins.provisioning.api import OperationKind, ProvisioningOperation
from plugins.provisioning.config import config_of
from plugins.provisioning.errors import ProvisioningErrorCode as Code
from plugins.provisioning.models import Operation, OperationStatus, Outcome, Record

log = logging.getLogger("gateway.provisioning")

JOB = "provisioning.deliver"
HOOK = "gateway_provision"
MAX_ERROR = 500  # characters of a provisioner's message kept

Provisioner = Callable[[ProvisioningOperation], Awaitable[None]]

# One delivery at a time per account in this process (the jobs of an account's operations may
# run side by side on the worker threads); across processes the operation id de-duplicates.
_account_locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()


def _lock_for(account_id: int) -> asyncio.Lock:
    lock = _account_locks.get(account_id)
    if lock is None:
        lock = _account_locks[account_id] = asyncio.Lock()
    return lock


class DeliveryFailed(Exception):
    """At least one provisioner failed on an operation (it stays pending, or, after the job's
    last attempt, failed)."""

    def __init__(self, text: Text, **values: Any) -> None:
        super().__init__(text.render("en", **values))
        self.text, self.values = text, values


# --- Writing operations (inside the caller's transaction) ----------------------------------

def _account_snapshot(account: Account) -> dict[str, Any]:
    return {"name": account.name, "kind": str(account.kind), "language": account.language,
            "time_zone": account.time_zone, "country": account.country,
            "org_id": account.organization_id or account.id}


async def add_operation(kind: OperationKind, account_id: int, reseller_id: int, *,
                        snapshot: dict[str, Any], number: str | None = None,
                        user_id: int | None = None) -> Operation:
    """Write one operation and its delivery job, committed or rolled back with the caller's
    change: a rolled-back account creation provisions nothing, a committed one always is."""
    reseller = await Reseller.filter(id=reseller_id).values("phone_system", "default_provider")
    system = reseller[0] if reseller else {"phone_system": "", "default_provider": ""}
    async with in_transaction():
        operation = await Operation.create(
            key=uuid.uuid4().hex, reseller_id=reseller_id, account_id=account_id, kind=kind,
            number=number, user_id=user_id, phone_system=system["phone_system"],
            provider=system["default_provider"], snapshot=snapshot)
        await enqueue(JOB, {"operation_id": operation.id})
    return operation


async def account_changed(kind: OperationKind, account: Account) -> Operation:
    """ACCOUNT_CREATED / ACCOUNT_UNSUBSCRIBED / ACCOUNT_REACTIVATED of ``account``."""
    return await add_operation(kind, account.id, account.reseller_id,
                               snapshot=_account_snapshot(account))


async def number_changed(kind: OperationKind, account: Account, number: str,
                         user_id: int | None = None) -> Operation:
    """NUMBER_ASSIGNED (to the account, or to its user ``user_id``) / NUMBER_RELEASED."""
    snapshot = _account_snapshot(account)
    if user_id is not None:
        user = await User.filter(id=user_id).first()
        if user is not None:
            snapshot.update(user_name=f"{user.first_name} {user.last_name}".strip()
                            or user.login, extension=user.extension or "")
    return await add_operation(kind, account.id, account.reseller_id, snapshot=snapshot,
                               number=number, user_id=user_id)


async def account_purged(account_id: int) -> Operation | None:
    """The account is being deleted for good: its delivered operations go with it, but the
    ACCOUNT_PURGED operation (and any not yet delivered before it) must still reach the
    phone system, so they name the account by number only."""
    account = await Account.filter(id=account_id).values("reseller_id")
    if not account:
        return None
    await Operation.filter(account_id=account_id, status=OperationStatus.DONE).delete()
    return await add_operation(OperationKind.ACCOUNT_PURGED, account_id,
                               account[0]["reseller_id"], snapshot={})


# --- Delivering them (the job) --------------------------------------------------------------

def provisioners(host: PluginHost) -> list[tuple[str, Provisioner]]:
    """Every provisioner, by name, in order: the built-in recorder (unless turned off), then
    each plugin implementing ``gateway_provision`` (named after the plugin), in load order."""
    found: list[tuple[str, Provisioner]] = []
    order = host.load_order()
    impls = sorted(getattr(host.pm.hook, HOOK).get_hookimpls(),
                   key=lambda impl: order.get(impl.plugin_name, len(order)))
    for impl in impls:
        def call(operation: ProvisioningOperation, impl: Any = impl) -> Awaitable[None]:
            arguments = {"gateway": host, "operation": operation}
            return _awaited(impl.function(**{n: arguments[n] for n in impl.argnames}))
        found.append((impl.plugin_name, call))
    return found


async def _awaited(value: Any) -> None:
    if inspect.isawaitable(value):
        await value


def operation_of(row: Operation) -> ProvisioningOperation:
    """What the provisioners receive for ``row``."""
    return ProvisioningOperation(
        id=row.key, kind=OperationKind(row.kind), account_number=row.account_id,
        reseller_id=row.reseller_id, phone_system=row.phone_system, provider=row.provider,
        number=row.number, user_id=row.user_id, snapshot=dict(row.snapshot),
        created_at=row.created_at, attempt=max(row.attempts, 1))


def _message(exc: BaseException, timeout: float) -> str:
    """A provisioner's failure as one line for people: never a traceback."""
    if isinstance(exc, TimeoutError):
        return e.TIMED_OUT.render("en", seconds=f"{timeout:g}")
    text = str(exc).strip() or type(exc).__name__
    return " ".join(text.split())[:MAX_ERROR]


async def deliver(host: PluginHost, row: Operation) -> None:
    """Hand ``row`` to every provisioner that has not carried it out yet; DONE when all have,
    else record each failure and raise :class:`DeliveryFailed`."""
    config = config_of(host)
    await Operation.filter(id=row.id).update(attempts=F("attempts") + 1)
    await row.refresh_from_db(fields=["attempts", "status"])
    if row.status == OperationStatus.DONE:  # another delivery finished it meanwhile
        return
    operation = operation_of(row)
    every: list[tuple[str, Provisioner]] = []
    if config.recorder:
        every.append((recorder.NAME, lambda op: recorder.record(row.id, op)))
    every += provisioners(host)
    done = {name for name in await Outcome.filter(
        operation_id=row.id, status=OperationStatus.DONE).values_list("provisioner", flat=True)}
    failures: list[tuple[str, str]] = []
    for name, provision in every:
        if name in done:
            continue
        outcome = await _outcome(row.id, name)
        try:
            await asyncio.wait_for(provision(operation), timeout=config.timeout_seconds)
        except Exception as exc:
            message = _message(exc, config.timeout_seconds)
            log.warning("provisioner %s failed on %s %s of account %s (attempt %s): %s", name,
                        row.kind, row.key, row.account_id, row.attempts, message, exc_info=True)
            await Outcome.filter(id=outcome.id).update(
                status=OperationStatus.FAILED, attempts=F("attempts") + 1, last_error=message)
            failures.append((name, message))
        else:
            await Outcome.filter(id=outcome.id).update(
                status=OperationStatus.DONE, attempts=F("attempts") + 1, last_error="",
                done_at=_now())
    if failures:
        text = Text(en="; ".join(e.PROVISIONER_FAILED.render("en", provisioner=n, error=m)
                                 for n, m in failures),
                    fr="; ".join(e.PROVISIONER_FAILED.render("fr", provisioner=n, error=m)
                                 for n, m in failures))
        await Operation.filter(id=row.id).update(last_error_en=text.en, last_error_fr=text.fr)
        raise DeliveryFailed(text)
    await Operation.filter(id=row.id).update(status=OperationStatus.DONE, done_at=_now(),
                                             last_error_en="", last_error_fr="")
    if row.kind == OperationKind.ACCOUNT_PURGED:
        # Delivered: nothing of the account is kept but this row (no personal data in it).
        await Operation.filter(account_id=row.account_id, id__lt=row.id).delete()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def _outcome(operation_pk: int, provisioner: str) -> Outcome:
    found = await Outcome.filter(operation_id=operation_pk, provisioner=provisioner).first()
    if found is not None:
        return found
    try:
        return await Outcome.create(operation_id=operation_pk, provisioner=provisioner)
    except IntegrityError:  # a concurrent delivery created it
        return await Outcome.get(operation_id=operation_pk, provisioner=provisioner)


async def run_job(host: PluginHost, payload: dict[str, Any]) -> None:
    """Deliver operation ``payload["operation_id"]`` after every earlier one of its account
    that has not gone through (a release never overtakes the assignment before it). Raising
    makes the outbox retry with backoff; on the job's last attempt the operation is FAILED."""
    row = await Operation.filter(id=payload["operation_id"]).first()
    if row is None:
        return  # purged with its account
    async with _lock_for(row.account_id):
        await _run(host, row, payload.get("outbox_id"))


async def _run(host: PluginHost, row: Operation, outbox_id: int | None) -> None:
    await row.refresh_from_db(fields=["status"])
    if row.status == OperationStatus.DONE:
        return  # delivered by a later operation's job meanwhile
    earlier = await Operation.filter(account_id=row.account_id, id__lt=row.id).exclude(
        status=OperationStatus.DONE).order_by("id")
    try:
        for prior in earlier:
            try:
                await deliver(host, prior)
            except DeliveryFailed:
                raise DeliveryFailed(e.WAITING_FOR_EARLIER, kind=prior.kind,
                                     key=prior.key) from None
        await deliver(host, row)
    except DeliveryFailed as failed:
        changes: dict[str, Any] = {"last_error_en": failed.text.render("en", **failed.values),
                                   "last_error_fr": failed.text.render("fr", **failed.values)}
        if await _last_attempt(outbox_id):
            changes["status"] = OperationStatus.FAILED
        await Operation.filter(id=row.id).exclude(status=OperationStatus.DONE).update(**changes)
        raise


async def _last_attempt(outbox_id: int | None) -> bool:
    if outbox_id is None:
        return True
    job = await OutboxJob.filter(id=outbox_id).values("attempts", "max_attempts")
    return not job or job[0]["attempts"] >= job[0]["max_attempts"]


# --- Reading and retrying (staff, the account's admin) --------------------------------------

def operations_of(account_id: int) -> QuerySet[Operation]:
    """The account's operations, newest first."""
    return Operation.filter(account_id=account_id).order_by("-id")


async def state_of(account_id: int) -> OperationStatus | None:
    """FAILED when an operation failed, PENDING when one is on its way, None: up to date."""
    statuses = set(await Operation.filter(account_id=account_id).exclude(
        status=OperationStatus.DONE).distinct().values_list("status", flat=True))
    if OperationStatus.FAILED in statuses:
        return OperationStatus.FAILED
    return OperationStatus.PENDING if statuses else None


async def outcomes_of(operation_pks: list[int]) -> dict[int, list[Outcome]]:
    """Each operation's outcomes, by provisioner name (one query)."""
    found: dict[int, list[Outcome]] = {pk: [] for pk in operation_pks}
    for outcome in await Outcome.filter(operation_id__in=operation_pks).order_by(
            "operation_id", "provisioner"):
        found[outcome.operation_id].append(outcome)
    return found


async def records_of(operation_pks: list[int]) -> dict[int, Record]:
    """What the recorder wrote down for each operation (one query)."""
    return {record.operation_id: record for record in await Record.filter(
        operation_id__in=operation_pks, provisioner=recorder.NAME)}


async def visible_account(principal: Principal | None, account_id: int) -> Account:
    """The account, if the caller may read its provisioning (else NOT_FOUND)."""
    return await account_for(principal, account_id, ["accountId"], e.ACCOUNT_NOT_FOUND)


async def retry_failed(principal: Principal | None, account_id: int) -> Account:
    """Staff: deliver the account's FAILED operations again, with a fresh set of attempts
    (in order, as always). NOTHING_TO_RETRY when none failed."""
    account = await account_for(principal, account_id, ["input", "accountId"],
                                e.ACCOUNT_NOT_FOUND)
    async with in_transaction():
        failed = await Operation.filter(account_id=account.id, status=OperationStatus.FAILED
                                        ).select_for_update().order_by("id")
        if not failed:
            raise Problem(Code.NOTHING_TO_RETRY, e.NOTHING_TO_RETRY, ["input", "accountId"])
        await Operation.filter(id__in=[row.id for row in failed]).update(
            status=OperationStatus.PENDING)
        for row in failed:
            await enqueue(JOB, {"operation_id": row.id})
    return account
