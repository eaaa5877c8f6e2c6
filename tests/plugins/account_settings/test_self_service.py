"""What subscribers may change on their own account: an admin-managed professional account is
the reseller's to change only, "forbid user management" binds the company admin but never the
reseller in direct access; and concurrent extension allocations never hand out one twice."""

from __future__ import annotations

import asyncio
from typing import Any

from strawberry.relay import to_base64

from gateway.identity.models import Account, User, UserRole
from tests.gateway.identity.test_direct_access import START
from tests.plugins.account_settings.conftest import World
from tests.support.identity_factory import make_user

SETTINGS = """mutation($input: UpdateAccountOptionsInput!) { updateAccountOptions(input: $input)
  { options { adminManaged } errors { code field } } }"""
ADD_CONTACT = """mutation($input: AddContactInput!) { addContact(input: $input) {
  contact { id } errors { code field message } } }"""
UPDATE_CONTACT = """mutation($input: UpdateContactInput!) { updateContact(input: $input) {
  contact { name } errors { code message } } }"""
ADD_DEVICE = """mutation($input: AddDeviceInput!) { addDevice(input: $input) {
  device { name } errors { code message } } }"""
ASSIGN = """mutation($input: AssignUserExtensionInput!) { assignUserExtension(input: $input) {
  extension errors { code } } }"""


async def _shared(world: World, headers: dict[str, str], name: str) -> dict[str, Any]:
    result = await world.gateway.graphql(ADD_CONTACT, {"input": {
        "accountId": world.professional_id, "shared": True, "name": name,
        "phoneNumber": "+1 514 555 0100"}}, **headers)
    return result["data"]["addContact"]  # type: ignore[no-any-return]


async def test_an_admin_managed_account_is_changed_by_the_reseller_only(world: World) -> None:
    professional = world.headers["professional"]
    before = await _shared(world, professional, "Comptable")
    assert before["errors"] == []

    managed = await world.call("staff", SETTINGS, {"input": {
        "accountId": world.professional_id, "adminManaged": True}})
    assert managed["updateAccountOptions"] == {"options": {"adminManaged": True}, "errors": []}

    refused = await _shared(world, professional, "Notaire")
    assert [e["code"] for e in refused["errors"]] == ["NOT_ALLOWED"]
    assert "managed by your provider's administrator" in refused["errors"][0]["message"]
    renamed = await world.call("professional", UPDATE_CONTACT, {"input": {
        "id": before["contact"]["id"], "name": "Autre", "phoneNumber": "+1 514 555 0100"}})
    assert [e["code"] for e in renamed["updateContact"]["errors"]] == ["NOT_ALLOWED"]
    # Personal contacts are the user's own data, not the account's configuration.
    personal = await world.gateway.graphql(ADD_CONTACT, {"input": {
        "accountId": world.professional_id, "name": "Maman",
        "phoneNumber": "+1 514 555 0111"}}, **professional)
    assert personal["data"]["addContact"]["errors"] == []
    # The reseller still changes it.
    assert (await _shared(world, world.headers["staff"], "Notaire"))["errors"] == []

    await world.call("staff", SETTINGS, {"input": {"accountId": world.professional_id,
                                                   "adminManaged": False}})
    assert (await _shared(world, professional, "Dentiste"))["errors"] == []


async def test_forbidden_user_management_binds_the_subscriber_not_the_reseller(
        world: World) -> None:
    await world.call("staff", SETTINGS.replace("adminManaged", "restrictions { "
                                               "forbidUserManagement }"), {"input": {
        "accountId": world.company_id, "restrictions": {"forbidUserManagement": True}}})
    device = {"input": {"accountId": world.company_id, "name": "Accueil",
                        "macAddress": "00:04:f2:ab:cd:01"}}
    refused = await world.call("company admin", ADD_DEVICE, device)
    assert [e["code"] for e in refused["addDevice"]["errors"]] == ["NOT_ALLOWED"]

    # The reseller in direct access acts as the company admin, with the reseller's rights.
    entered = await world.gateway.graphql(START, {"id": world.company_id},
                                          **world.headers["staff"])
    token = entered["data"]["startDirectAccess"]["token"]
    assert token, entered
    added = await world.gateway.graphql(ADD_DEVICE, device, Authorization=f"Bearer {token}")
    assert added["data"]["addDevice"] == {"device": {"name": "Accueil"}, "errors": []}


async def test_concurrent_allocations_never_share_an_extension(world: World) -> None:
    company = world.tenant.company
    users = [await make_user(UserRole.EMPLOYEE, reseller=world.tenant.reseller,
                             account=company) for _ in range(8)]
    results = await asyncio.gather(*(world.call("staff", ASSIGN, {"input": {
        "accountId": world.company_id, "userId": to_base64("User", user.id)}})
        for user in users))
    given = [r["assignUserExtension"]["extension"] for r in results]
    assert all(r["assignUserExtension"]["errors"] == [] for r in results)
    assert sorted(given) == [str(n) for n in range(100, 108)]
    stored = await User.filter(account_id=company.id, extension__isnull=False).values_list(
        "extension", flat=True)
    assert sorted(stored) == sorted(given)


async def test_affiliated_accounts_share_one_numbering(world: World) -> None:
    tenant = world.tenant
    await User.filter(id=tenant.company_admin.id).update(extension="100")
    professional = world.professional_id
    next_free = """query($id: ID!) { nextFreeExtension(accountId: $id, kind: USER) }"""
    assert (await world.call("staff", next_free, {"id": professional}))["nextFreeExtension"] \
        == "100"  # alone, 100 is free in the professional's own numbering
    await Account.filter(id=tenant.professional_account.id).update(
        organization_id=tenant.company.id)
    assert (await world.call("staff", next_free, {"id": professional}))["nextFreeExtension"] \
        == "101"
    taken = await world.call("staff", ASSIGN, {"input": {
        "accountId": professional, "userId": to_base64("User", tenant.professional.id),
        "extension": "100"}})
    assert [e["code"] for e in taken["assignUserExtension"]["errors"]] == ["EXTENSION_TAKEN"]
    # And the other way round: the organisation does not take its affiliate's numbers.
    given = await world.call("staff", ASSIGN, {"input": {
        "accountId": professional, "userId": to_base64("User", tenant.professional.id)}})
    assert given["assignUserExtension"]["extension"] == "101"
    again = await world.call("staff", ASSIGN, {"input": {
        "accountId": world.company_id, "userId": to_base64("User", tenant.employee.id),
        "extension": "101"}})
    assert [e["code"] for e in again["assignUserExtension"]["errors"]] == ["EXTENSION_TAKEN"]
