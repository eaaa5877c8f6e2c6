"""Provisioning end to end: the lifecycle hooks write operations in the caller's transaction,
jobs (the outbox, Dramatiq) deliver them in order to the built-in recorder and to a PBX plugin,
retry them, record each outcome once; the account shows its state, staff retry what failed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from strawberry.relay import to_base64
from tortoise.transactions import in_transaction

from gateway.identity.models import Account
from gateway.models import OutboxJob
from plugins.clients.config import PLUGIN_NAME as CLIENTS
from plugins.clients.config import ClientsConfig
from plugins.clients.services import purge_account, unsubscribe
from plugins.provisioning import services
from plugins.provisioning.models import Operation, OperationStatus, Outcome, Record
from tests.conftest import Gateway, make_settings, start_gateway
from tests.plugins.provisioning import pbx_plugin
from tests.plugins.provisioning.conftest import (
    JOB_OPTIONS,
    MAX_ATTEMPTS,
    World,
    make_world,
    provisioning_host,
    settled,
)
from tests.support.identity_factory import make_account

PROVISIONING = """query($accountId: ID!, $first: Int, $after: String) {
  accountProvisioning(accountId: $accountId) { accountId state
    operations(first: $first, after: $after) { totalCount
      nodes { key kind number userId status attempts lastError recorded createdAt doneAt
              outcomes { provisioner status attempts lastError doneAt } } } } }"""
RETRY = """mutation($input: RetryProvisioningInput!) { retryProvisioning(input: $input) {
  provisioning { state operations { nodes { status } } } errors { code field message } } }"""
NUMBER = "+15145550100"


def gid(pk: int) -> str:
    return to_base64("Account", pk)


async def fire(world: World, hook: str, **arguments: Any) -> None:
    """Call a lifecycle hook as the owning plugin does: inside the change's transaction."""
    async with in_transaction():
        await world.host.call_async(hook, **arguments)


async def provisioning(world: World, who: str, account_id: int, **variables: Any
                       ) -> dict[str, Any] | None:
    variables.setdefault("first", 10)  # outcomes count as a page each: keep the cost low
    data = await world.graphql(who, PROVISIONING, accountId=gid(account_id), **variables)
    return data["accountProvisioning"]  # type: ignore[no-any-return]


async def test_a_signed_up_account_is_provisioned_and_recorded(world: World) -> None:
    """completeSignup (the clients plugin's real path) → ACCOUNT_CREATED, delivered by a job to
    the recorder and the PBX, shown to staff and to the account's admin."""
    staff = world.headers["staff"]
    saved = await world.gateway.graphql(
        """mutation($input: SaveSignupDraftInput!) { saveSignupDraft(input: $input) {
             draft { id } errors { code field } } }""",
        {"input": {"kind": "COMPANY", "customer": {
            "name": "Plomberie Laval", "email": "info@plomberie-laval.test",
            "timeZone": "America/Toronto", "country": "CA"},
            "administrator": {"firstName": "Julie", "lastName": "Roy",
                              "email": "julie@plomberie-laval.test"}}}, **staff)
    assert saved["data"]["saveSignupDraft"]["errors"] == [], saved
    completed = await world.gateway.graphql(
        """mutation($input: CompleteSignupInput!) { completeSignup(input: $input) {
             account { accountNumber } errors { code field message } } }""",
        {"input": {"id": saved["data"]["saveSignupDraft"]["draft"]["id"], "trialDays": 30}},
        **staff)
    payload = completed["data"]["completeSignup"]
    assert payload["errors"] == [], payload
    number = payload["account"]["accountNumber"]
    [row] = await settled(number)
    assert (row.kind, row.status, row.attempts) == ("ACCOUNT_CREATED", OperationStatus.DONE, 1)
    assert (row.phone_system, row.provider) == ("Asterisk", "Telus")
    [told] = pbx_plugin.calls
    assert (told.id, told.kind, told.account_number, told.reseller_id) == (
        row.key, "ACCOUNT_CREATED", number, world.tenant.reseller.id)
    assert told.snapshot["name"] == "Plomberie Laval" and told.snapshot["kind"] == "COMPANY"
    assert told.snapshot["time_zone"] == "America/Toronto"

    seen = await provisioning(world, "staff", number)
    assert seen is not None and seen["state"] == "UP_TO_DATE"
    [operation] = seen["operations"]["nodes"]
    assert operation["recorded"] == (f"Create account {number} “Plomberie Laval” (company, "
                                     "language fr, time zone America/Toronto) on Asterisk.")
    assert {o["provisioner"]: o["status"] for o in operation["outcomes"]} == {
        "acme_pbx": "DONE", "recorder": "DONE"}
    assert (operation["key"], operation["lastError"]) == (row.key, "")


async def test_a_rolled_back_change_provisions_nothing(world: World) -> None:
    with pytest.raises(RuntimeError):
        async with in_transaction():
            account = await make_account(world.tenant.reseller, name="Jamais créé")
            await world.host.call_async("gateway_account_created", account=account)
            raise RuntimeError("the sign-up failed after the hook")
    assert not await Account.filter(name="Jamais créé").exists()
    assert await Operation.all().count() == 0
    assert not await OutboxJob.filter(job=services.JOB).exists()


async def test_numbers_are_delivered_in_order_through_outages(world: World) -> None:
    """The PBX fails twice: the assignment is retried and the release, written just after,
    never reaches the PBX before it; each is recorded once."""
    account, user = world.tenant.company, world.tenant.company_admin
    pbx_plugin.reset(fail=2)
    await fire(world, "gateway_phone_number_assigned", account=account, number=NUMBER,
               user_id=user.id)
    await fire(world, "gateway_phone_number_released", account=account, number=NUMBER)
    assigned, released = await settled(account.id)
    assert (assigned.kind, released.kind) == ("NUMBER_ASSIGNED", "NUMBER_RELEASED")
    assert (assigned.status, released.status) == (OperationStatus.DONE, OperationStatus.DONE)
    kinds = [operation.kind for operation in pbx_plugin.calls]
    assert kinds.count("NUMBER_ASSIGNED") >= 3  # two failures, then done
    assert kinds.index("NUMBER_RELEASED") > max(
        i for i, kind in enumerate(kinds) if kind == "NUMBER_ASSIGNED")
    assert set(pbx_plugin.applied) == {assigned.key, released.key}
    # Every retry of the assignment carried the same idempotency key.
    assert {o.id for o in pbx_plugin.calls if o.kind == "NUMBER_ASSIGNED"} == {assigned.key}
    outcome = await Outcome.get(operation_id=assigned.id, provisioner="acme_pbx")
    assert (outcome.status, outcome.last_error) == (OperationStatus.DONE, "")
    assert await Record.filter(operation_id=assigned.id).count() == 1
    seen = await provisioning(world, "company admin", account.id)  # in French
    assert seen is not None
    recorded = [node["recorded"] for node in seen["operations"]["nodes"]]
    name = f"{user.first_name} {user.last_name}"
    assert recorded == [
        f"Ne plus acheminer +1 514-555-0100 vers le compte {account.id} sur Asterisk; "
        "retourner le numéro à Telus.",
        f"Acheminer +1 514-555-0100 vers {name} du compte {account.id} sur Asterisk; "
        "conserver le numéro chez Telus."]
    assert seen["operations"]["nodes"][1]["userId"] == to_base64("User", user.id)


async def test_the_pool_numbers_of_an_account_are_provisioned(world: World) -> None:
    """The account settings plugin's real path: a pool number assigned, then the account
    unsubscribed (its numbers go back to the pool, the account is deactivated)."""
    from gateway.identity.models import BillingStatus
    from plugins.account_settings.models import PhoneNumber
    from plugins.account_settings.numbers import assign_number

    account = world.tenant.company
    await Account.filter(id=account.id).update(billing_status=BillingStatus.IN_PRODUCTION)
    account = await Account.get(id=account.id)
    pooled = await PhoneNumber.create(reseller_id=world.tenant.reseller.id, number=NUMBER,
                                      area_code="514")
    await assign_number(world.host, account, pooled.id)
    await unsubscribe(account, host=world.host, config=world.host.config_for(
        CLIENTS, ClientsConfig))
    rows = await settled(account.id)
    assert [(row.kind, row.number) for row in rows] == [
        ("NUMBER_ASSIGNED", NUMBER), ("NUMBER_RELEASED", NUMBER), ("ACCOUNT_UNSUBSCRIBED", None)]
    assert all(row.status == OperationStatus.DONE for row in rows)
    assert [o.kind for o in pbx_plugin.calls] == [row.kind for row in rows]


async def test_a_long_outage_fails_visibly_and_staff_retry_it(world: World) -> None:
    account = world.tenant.professional_account
    pbx_plugin.reset(fail=1000)
    await fire(world, "gateway_account_unsubscribed", account=account)
    await fire(world, "gateway_account_reactivated", account=account)
    first, second = await settled(account.id)
    assert (first.status, first.attempts) == (OperationStatus.FAILED, MAX_ATTEMPTS + 0) or (
        first.status == OperationStatus.FAILED and first.attempts >= MAX_ATTEMPTS)
    assert second.status == OperationStatus.FAILED  # never delivered before the first

    seen = await provisioning(world, "staff", account.id)
    assert seen is not None and seen["state"] == "FAILED"
    newest, oldest = seen["operations"]["nodes"]
    assert oldest["kind"] == "ACCOUNT_UNSUBSCRIBED" and oldest["status"] == "FAILED"
    assert oldest["lastError"] == ("acme_pbx failed: PBX at 10.0.0.5 unreachable (connection "
                                   "refused)")
    pbx = {o["provisioner"]: o for o in oldest["outcomes"]}
    assert pbx["acme_pbx"]["status"] == "FAILED" and pbx["acme_pbx"]["attempts"] >= MAX_ATTEMPTS
    assert pbx["recorder"]["status"] == "DONE"  # the recorder's part is done, once
    assert "Traceback" not in str(seen) and "File \"" not in str(seen)
    assert newest["kind"] == "ACCOUNT_REACTIVATED"
    assert newest["lastError"].startswith("Waiting for the account's earlier operation "
                                          "ACCOUNT_UNSUBSCRIBED")
    assert newest["recorded"] is None  # nothing delivered before the failed one
    # The professional reads it (in English), may not retry; an employee may not read it.
    mine = await provisioning(world, "professional", account.id)
    assert mine is not None and mine["state"] == "FAILED"
    refused = await world.gateway.graphql(RETRY, {"input": {"accountId": gid(account.id)}},
                                          **world.headers["professional"])
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    denied = await world.gateway.graphql(PROVISIONING, {"accountId": gid(account.id),
                                                       "first": 10},
                                         **world.headers["employee"])
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert not (denied["data"] or {}).get("accountProvisioning")
    # Another reseller's staff: not found (null), and nothing retried.
    assert await provisioning(world, "other staff", account.id) is None
    other = (await world.graphql("other staff", RETRY, input={"accountId": gid(account.id)}))
    assert [(e["code"], e["field"]) for e in other["retryProvisioning"]["errors"]] == [
        ("NOT_FOUND", ["input", "accountId"])]

    pbx_plugin.failures = 0  # the PBX is back
    retried = (await world.graphql("staff", RETRY, input={"accountId": gid(account.id)}))[
        "retryProvisioning"]
    assert retried["errors"] == [] and retried["provisioning"]["state"] in ("PENDING",
                                                                          "UP_TO_DATE")
    first, second = await settled(account.id)
    assert (first.status, second.status) == (OperationStatus.DONE, OperationStatus.DONE)
    seen = await provisioning(world, "staff", account.id)
    assert seen is not None and seen["state"] == "UP_TO_DATE"
    assert [n["lastError"] for n in seen["operations"]["nodes"]] == ["", ""]
    assert await Record.filter(operation_id=first.id).count() == 1
    again = (await world.graphql("staff", RETRY, input={"accountId": gid(account.id)}))[
        "retryProvisioning"]
    assert [(e["code"], e["field"]) for e in again["errors"]] == [
        ("NOTHING_TO_RETRY", ["input", "accountId"])]
    assert again["errors"][0]["message"].startswith("No provisioning operation")


async def test_a_redelivery_changes_nothing(world: World) -> None:
    """A worker killed after the PBX answered but before the outcome was saved: the job runs
    again; the PBX gets the same operation id and the recorder does not write twice."""
    account = world.tenant.company
    await fire(world, "gateway_account_unsubscribed", account=account)
    [row] = await settled(account.id)
    await Operation.filter(id=row.id).update(status=OperationStatus.PENDING)
    await Outcome.filter(operation_id=row.id).update(status=OperationStatus.PENDING)
    await services.run_job(world.host, {"operation_id": row.id})
    await services.run_job(world.host, {"operation_id": row.id})  # already done: nothing
    assert [o.id for o in pbx_plugin.calls] == [row.key, row.key]
    assert list(pbx_plugin.applied) == [row.key]
    assert await Record.filter(operation_id=row.id).count() == 1
    assert (await Operation.get(id=row.id)).status == OperationStatus.DONE


async def test_the_purge_is_delivered_though_the_account_is_gone(world: World) -> None:
    account = await make_account(world.tenant.reseller, name="Boulangerie Partie")
    config = world.host.config_for(CLIENTS, ClientsConfig)
    await unsubscribe(account, host=world.host, config=config)  # the clients plugin's path
    await settled(account.id)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=config.purge_after_days + 1)
    assert await purge_account(account.id, host=world.host, config=config, now=later)
    assert not await Account.filter(id=account.id).exists()
    [row] = await settled(account.id)  # the rest went with the account
    assert (row.kind, row.status) == ("ACCOUNT_PURGED", OperationStatus.DONE)
    assert row.snapshot == {}
    assert [o.kind for o in pbx_plugin.calls] == ["ACCOUNT_UNSUBSCRIBED", "ACCOUNT_PURGED"]
    assert pbx_plugin.calls[-1].account_number == account.id
    record = await Record.get(operation_id=row.id)
    assert record.text_fr == (f"Supprimer pour de bon le compte {account.id} de Asterisk "
                              "(purgé).")


async def test_a_page_of_operations_costs_the_same_queries(world: World,
                                                           count_queries: Any) -> None:
    account = world.tenant.company
    for last in range(6):
        await fire(world, "gateway_phone_number_assigned", account=account,
                   number=f"+1514555010{last}", user_id=None)
    await settled(account.id)
    counts = {}
    for first in (1, 6):
        with count_queries() as statements:
            seen = await provisioning(world, "staff", account.id, first=first)
        assert seen is not None and len(seen["operations"]["nodes"]) == first
        counts[first] = len(statements)
    assert counts[1] == counts[6]
    assert seen["operations"]["nodes"][0]["recorded"] == (
        f"Route +1 514-555-0105 to the receptionist of account {account.id} on Asterisk; "
        "keep the number with Telus.")


async def test_the_recorder_can_be_turned_off(migrated: str, tmp_path: Any) -> None:
    pbx_plugin.reset()
    settings = make_settings(migrated, tmp_path)
    host = provisioning_host(settings, recorder=False)
    running: Gateway
    async for running in start_gateway(settings, host=host, job_options=JOB_OPTIONS):
        world = await make_world(running)
        world.host = host
        await fire(world, "gateway_account_created", account=world.tenant.company)
        [row] = await settled(world.tenant.company.id)
        assert row.status == OperationStatus.DONE
        assert await Outcome.filter(operation_id=row.id).values_list(
            "provisioner", flat=True) == ["acme_pbx"]
        assert not await Record.exists()
