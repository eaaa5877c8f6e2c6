"""Ordering numbers from the reseller's pool (issue 20): type and area code of each pool
number, the number_pool provider the sign-up uses, subscribers ordering, moving and releasing
numbers, the provisioning hooks and the account's virtual receptionist number."""

from __future__ import annotations

import asyncio

import pytest
from strawberry.relay import to_base64
from tortoise.transactions import in_transaction

from gateway.api import Problem
from gateway.identity.models import Account, BillingStatus
from plugins.account_settings import numbers, ordering
from plugins.account_settings.models import NumberType, PhoneNumber
from plugins.account_settings.ordering import NumberPool
from plugins.clients import services as clients
from plugins.clients.config import ClientsConfig
from tests.plugins.account_settings import provisioning_plugin
from tests.plugins.account_settings.conftest import World

POOL = "\n".join([
    "+1 514 555 0103", "+1 514 555 0101", "+1 514 555 0102",  # local, 514
    "+1 438 555 0100",                                          # local, 438
    "+1 800 555 0199",                                          # toll free
    "+44 20 7946 0000",                                         # international (CA reseller)
])


async def fill_pool(world: World, content: str = POOL) -> None:
    report = await numbers.import_numbers(world.tenant.reseller.id, content)
    assert not report.rejected, report.rejected


def host_of(world: World):  # type: ignore[no-untyped-def]
    return world.gateway.app.state.host


async def test_pool_numbers_get_their_type_and_area_code(world: World) -> None:
    await fill_pool(world)
    rows = {r.number: (r.number_type, r.area_code)
            for r in await PhoneNumber.filter(reseller_id=world.tenant.reseller.id)}
    assert rows == {
        "+15145550101": (NumberType.LOCAL, "514"), "+15145550102": (NumberType.LOCAL, "514"),
        "+15145550103": (NumberType.LOCAL, "514"), "+14385550100": (NumberType.LOCAL, "438"),
        "+18005550199": (NumberType.TOLL_FREE, "800"),
        "+442079460000": (NumberType.INTERNATIONAL, "20"),
    }
    added = await numbers.add_number(world.tenant.reseller.id, "+1 212 555 0100")
    assert (added.number_type, added.area_code) == (NumberType.INTERNATIONAL, "212")  # US


async def test_number_pool_provider_counts_and_orders_in_the_callers_transaction(
        world: World) -> None:
    await fill_pool(world)
    host = host_of(world)
    pool = host.pm.hook.gateway_provider(gateway=host, kind="number_pool", name="default")
    assert isinstance(pool, NumberPool)
    reseller_id = world.tenant.reseller.id
    assert await pool.available(reseller_id, "LOCAL", "514") == 3
    assert await pool.available(reseller_id, "LOCAL", None) == 4
    assert await pool.available(reseller_id, "TOLL_FREE", None) == 1
    assert await pool.available(world.other.reseller.id, "LOCAL", None) == 0

    # A sign-up's numbers are part of the subscription: no free-trial refusal.
    account = world.tenant.company
    await Account.filter(id=account.id).update(billing_status=BillingStatus.FREE_TRIAL)
    provisioning_plugin.calls.clear()
    async with in_transaction():
        taken = await pool.order(account, [{"type": "LOCAL", "area_code": "514"},
                                           {"type": "TOLL_FREE", "area_code": None}],
                                 ["input", "numbers"])
    assert taken == ["+15145550101", "+18005550199"]  # the lowest free one of each
    assert provisioning_plugin.calls == [("assigned", account.id, "+15145550101", None),
                                         ("assigned", account.id, "+18005550199", None)]
    assert await pool.available(reseller_id, "LOCAL", "514") == 2
    assert (await Account.get(id=account.id)).receptionist_number == "+15145550101"

    # One order that cannot be served: the problem names it; the caller's rollback gives
    # back what the same call took before.
    with pytest.raises(Problem) as refused:
        async with in_transaction():
            await pool.order(account, [{"type": "LOCAL", "area_code": "438"},
                                       {"type": "TOLL_FREE", "area_code": None}],
                             ["input", "numbers"])
    assert refused.value.code_name == "NO_NUMBER_AVAILABLE"
    assert refused.value.message("en").startswith(
        "Not enough free numbers of this type and area code in the pool: 1 asked, 0 free")
    assert refused.value.field == ["input", "numbers", 1, "areaCode"]
    assert "libres" in refused.value.message("fr")
    assert await pool.available(reseller_id, "LOCAL", "438") == 1
    # A caller going on after the refusal keeps nothing of that call either.
    async with in_transaction():
        with pytest.raises(Problem):
            await pool.order(account, [{"type": "LOCAL", "area_code": "438"},
                                       {"type": "LOCAL", "area_code": "438"}], ["numbers"])
        assert await pool.available(reseller_id, "LOCAL", "438") == 1
    with pytest.raises(Problem) as bad_type:
        await pool.order(account, [{"type": "MOBILE", "area_code": None}], ["numbers"])
    assert (bad_type.value.code_name, bad_type.value.field) == ("INVALID", ["numbers", 0, "type"])


AVAILABLE = """query($id: ID!, $type: PoolNumberType!, $area: String, $first: Int) {
  availablePhoneNumbers(accountId: $id, type: $type, areaCode: $area, first: $first) {
    totalCount numbers { number numberType areaCode } areaCodes { areaCode free } } }"""
ORDER = """mutation($input: OrderPhoneNumbersInput!) { orderPhoneNumbers(input: $input) {
  phoneNumbers { id number numberType areaCode userId account { id } }
  errors { code field message } } }"""
TO_USER = """mutation($input: AssignPhoneNumberToUserInput!) {
  assignPhoneNumberToUser(input: $input) { phoneNumber { number userId }
  errors { code field } } }"""
RELEASE = """mutation($input: ReleasePhoneNumberInput!) { releasePhoneNumber(input: $input) {
  phoneNumber { number account { id } } errors { code field message } } }"""
ACCOUNTS = """query($filter: AccountFilter, $order: AccountOrder) {
  accounts(kind: COMPANY, filter: $filter, orderBy: $order, first: 50) {
    nodes { name phoneNumber receptionistNumber } } }"""


async def _order(world: World, who: str, account_id: str, quantity: int = 1,
                 area: str | None = "514", type: str = "LOCAL") -> dict:  # type: ignore[type-arg]
    data = await world.call(who, ORDER, {"input": {
        "accountId": account_id, "type": type, "areaCode": area, "quantity": quantity}})
    return data["orderPhoneNumbers"]  # type: ignore[no-any-return]


def _codes(payload: dict) -> list[tuple[str, list]]:  # type: ignore[type-arg]
    return [(e["code"], e["field"]) for e in payload["errors"]]


async def test_subscriber_orders_by_type_and_area_code(world: World) -> None:
    await fill_pool(world)
    seen = (await world.call("company admin", AVAILABLE, {
        "id": world.company_id, "type": "LOCAL", "area": "(514)", "first": 2}))[
        "availablePhoneNumbers"]
    assert seen["totalCount"] == 3
    assert [n["number"] for n in seen["numbers"]] == ["+15145550101", "+15145550102"]
    assert seen["areaCodes"] == [{"areaCode": "438", "free": 1}, {"areaCode": "514", "free": 3}]
    # Another reseller's account: nothing.
    assert (await world.call("company admin", AVAILABLE, {
        "id": world.other_company_id, "type": "LOCAL"}))["availablePhoneNumbers"] is None

    ordered = await _order(world, "company admin", world.company_id, quantity=2)
    assert ordered["errors"] == []
    assert [(n["number"], n["numberType"], n["areaCode"], n["account"]["id"], n["userId"])
            for n in ordered["phoneNumbers"]] == [
        ("+15145550101", "LOCAL", "514", world.company_id, None),
        ("+15145550102", "LOCAL", "514", world.company_id, None)]
    left = (await world.call("company admin", AVAILABLE, {
        "id": world.company_id, "type": "LOCAL", "area": "514"}))["availablePhoneNumbers"]
    assert left["totalCount"] == 1

    # Not enough: a clear error, nothing taken.
    short = await _order(world, "company admin", world.company_id, quantity=2)
    assert _codes(short) == [("NO_NUMBER_AVAILABLE", ["input", "quantity"])]
    assert "2" in short["errors"][0]["message"] and "1" in short["errors"][0]["message"]
    assert await PhoneNumber.filter(number="+15145550103", account_id__isnull=True).exists()
    too_many = await _order(world, "company admin", world.company_id, quantity=11)
    assert _codes(too_many) == [("OUT_OF_RANGE", ["input", "quantity"])]
    toll_free = await _order(world, "professional", world.professional_id, area=None,
                             type="TOLL_FREE")
    assert [n["number"] for n in toll_free["phoneNumbers"]] == ["+18005550199"]
    # Another reseller's staff: the account is not found.
    foreign = await _order(world, "other staff", world.company_id)
    assert [e["code"] for e in foreign["errors"]] == ["NOT_FOUND"]


async def test_free_trial_and_the_management_switch_refuse_orders(world: World) -> None:
    await fill_pool(world)
    company = world.tenant.company
    for status, code in ((BillingStatus.FREE_TRIAL, "FREE_TRIAL_RESTRICTION"),
                         (BillingStatus.UNSUBSCRIBED, "ACCOUNT_UNSUBSCRIBED")):
        await Account.filter(id=company.id).update(billing_status=status)
        for who in ("company admin", "staff"):
            refused = await _order(world, who, world.company_id)
            assert _codes(refused) == [(code, ["input", "accountId"])], who
    assert not await PhoneNumber.filter(account_id__isnull=False).exists()
    await Account.filter(id=company.id).update(billing_status=BillingStatus.IN_PRODUCTION)

    # "Interdire la gestion des utilisateurs" binds the company admin, not the reseller.
    from plugins.account_settings.models import AccountOptions
    from plugins.account_settings.options import get_options

    await get_options(company.id)
    await AccountOptions.filter(account_id=company.id).update(forbid_user_management=True)
    refused = await _order(world, "company admin", world.company_id)
    assert _codes(refused) == [("NOT_ALLOWED", ["input", "accountId"])]
    assert "User management is forbidden" in refused["errors"][0]["message"]
    assert (await _order(world, "staff", world.company_id))["errors"] == []

    # "Compte géré par l'administrateur" binds the professional.
    await get_options(world.tenant.professional_account.id)
    await AccountOptions.filter(account_id=world.tenant.professional_account.id).update(
        admin_managed=True)
    managed = await _order(world, "professional", world.professional_id)
    assert _codes(managed) == [("NOT_ALLOWED", ["input", "accountId"])]
    assert "administrat" in managed["errors"][0]["message"]
    # An employee does not order numbers at all.
    employee = await world.gateway.graphql(ORDER, {"input": {
        "accountId": world.company_id, "type": "LOCAL"}}, **world.headers["employee"])
    assert employee["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_users_release_receptionist_and_hooks(world: World) -> None:
    await fill_pool(world)
    company = world.tenant.company
    await Account.filter(id=company.id).update(phone_number="+14505550123")  # contact phone
    provisioning_plugin.calls.clear()
    ordered = await _order(world, "company admin", world.company_id, quantity=3, area=None)
    first, second, third = ordered["phoneNumbers"]
    assert [n["number"] for n in (first, second, third)] == [
        "+14385550100", "+15145550101", "+15145550102"]
    assert (await Account.get(id=company.id)).receptionist_number == "+14385550100"

    employee_id = to_base64("User", world.tenant.employee.id)
    to_user = (await world.call("company admin", TO_USER, {"input": {
        "accountId": world.company_id, "numberId": second["id"], "userId": employee_id}}))[
        "assignPhoneNumberToUser"]
    assert to_user == {"phoneNumber": {"number": "+15145550101", "userId": employee_id},
                       "errors": []}
    for stranger in (world.tenant.professional, world.other.company_admin):
        refused = (await world.call("company admin", TO_USER, {"input": {
            "accountId": world.company_id, "numberId": second["id"],
            "userId": to_base64("User", stranger.id)}}))["assignPhoneNumberToUser"]
        assert _codes(refused) == [("NOT_FOUND", ["input", "userId"])]
    back = (await world.call("staff", TO_USER, {"input": {
        "accountId": world.company_id, "numberId": second["id"], "userId": None}}))[
        "assignPhoneNumberToUser"]
    assert back["phoneNumber"]["userId"] is None
    assert (await PhoneNumber.get(number="+15145550101")).user_id is None

    # Releasing the receptionist number: back in the pool, the next one takes its place.
    released = (await world.call("company admin", RELEASE, {"input": {
        "accountId": world.company_id, "numberId": first["id"]}}))["releasePhoneNumber"]
    assert released["errors"] == [] and released["phoneNumber"]["account"] is None
    assert await PhoneNumber.filter(number="+14385550100", account_id__isnull=True).exists()
    assert (await Account.get(id=company.id)).receptionist_number == "+15145550101"

    # The list's "Numéro de téléphone" is the receptionist number, not the contact phone:
    # shown, searched and sorted on.
    rows = {r["name"]: r for r in (await world.call("staff", ACCOUNTS, {}))["accounts"]["nodes"]}
    assert rows[company.name] == {"name": company.name, "phoneNumber": "+14505550123",
                                  "receptionistNumber": "+15145550101"}
    found = (await world.call("staff", ACCOUNTS, {"filter": {"phoneNumber": "(514) 555-0101"}}))
    assert [r["name"] for r in found["accounts"]["nodes"]] == [company.name]
    contact = await world.call("staff", ACCOUNTS, {"filter": {"phoneNumber": "450 555"}})
    assert contact["accounts"]["nodes"] == []
    ordered_rows = (await world.call("staff", ACCOUNTS, {"order": {
        "field": "PHONE_NUMBER", "direction": "DESC"}}))["accounts"]["nodes"]
    assert ordered_rows[0]["name"] == company.name  # the only one with a number

    # The numbers of an unsubscribed account go back, each released; no receptionist left.
    host = host_of(world)
    await clients.unsubscribe(await Account.get(id=company.id), host=host,
                              config=host.config_for("clients", ClientsConfig))
    assert (await Account.get(id=company.id)).receptionist_number is None
    user_id = world.tenant.employee.id
    assert provisioning_plugin.calls == [
        ("assigned", company.id, "+14385550100", None),
        ("assigned", company.id, "+15145550101", None),
        ("assigned", company.id, "+15145550102", None),
        ("assigned", company.id, "+15145550101", user_id),
        ("assigned", company.id, "+15145550101", None),
        ("released", company.id, "+14385550100", None),
        ("released", company.id, "+15145550101", None),
        ("released", company.id, "+15145550102", None),
    ]


async def test_two_orders_for_the_last_number_one_wins(world: World) -> None:
    await fill_pool(world, "+1 438 555 0100")
    host = host_of(world)
    accounts = [await Account.get(id=world.tenant.company.id),
                await Account.get(id=world.tenant.professional_account.id)]
    results = await asyncio.gather(*(
        ordering.order_numbers(host, account, NumberType.LOCAL, "438", 1)
        for account in accounts), return_exceptions=True)
    won = [r for r in results if isinstance(r, list)]
    lost = [r for r in results if isinstance(r, Problem)]
    assert len(won) == 1 and len(lost) == 1, results
    assert lost[0].code_name == "NO_NUMBER_AVAILABLE"
    assert await PhoneNumber.filter(account_id__isnull=False).count() == 1
    winner = (await PhoneNumber.get(number="+14385550100")).account_id
    assert [(await Account.get(id=a.id)).receptionist_number for a in accounts] == [
        "+14385550100" if a.id == winner else None for a in accounts]


async def test_many_concurrent_orders_never_share_a_number(world: World) -> None:
    await fill_pool(world, "\n".join(f"+1 514 555 02{n:02d}" for n in range(12)))
    host = host_of(world)
    accounts = [await Account.get(id=world.tenant.company.id),
                await Account.get(id=world.tenant.professional_account.id)] * 3
    results = await asyncio.gather(*(
        ordering.order_numbers(host, account, NumberType.LOCAL, "514", 3)
        for account in accounts), return_exceptions=True)
    won = [r for r in results if isinstance(r, list)]
    assert len(won) == 4 and all(isinstance(r, Problem) for r in results if r not in won)
    numbers_taken = [row.number for rows in won for row in rows]
    assert len(numbers_taken) == len(set(numbers_taken)) == 12


async def test_the_migration_fills_the_numbers_already_in_the_pools(world: World) -> None:
    """Migration 0005 computes type and area code of the numbers added before it, and the
    receptionist number of the accounts already holding some."""
    import importlib
    from types import SimpleNamespace

    from tortoise import connections

    migration = importlib.import_module(
        "plugins.account_settings.migrations.0005_number_type_area_user")
    await fill_pool(world)
    company = world.tenant.company
    host = host_of(world)
    for number in ("+15145550102", "+15145550101"):  # 0102 first: the receptionist
        row = await PhoneNumber.get(number=number)
        await numbers.assign_number(host, await Account.get(id=company.id), row.id)
    # As the rows were before the migration: no type, no area code, no receptionist.
    await PhoneNumber.all().update(number_type=NumberType.LOCAL, area_code="")
    await Account.filter(id=company.id).update(receptionist_number=None)

    await migration._classify_numbers(None, SimpleNamespace(client=connections.get("default")))

    rows = {r.number: (r.number_type, r.area_code) for r in await PhoneNumber.all()}
    assert rows["+18005550199"] == (NumberType.TOLL_FREE, "800")
    assert rows["+442079460000"] == (NumberType.INTERNATIONAL, "20")
    assert rows["+14385550100"] == (NumberType.LOCAL, "438")
    assert (await Account.get(id=company.id)).receptionist_number == "+15145550102"
