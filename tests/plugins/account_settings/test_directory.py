"""Extensions from the account's ranges, IP phones, and personal and shared contacts within
the account's limits."""

from __future__ import annotations

from typing import Any

from strawberry.relay import to_base64

from gateway.identity.models import User
from plugins.account_settings import contacts as contact_rules
from plugins.account_settings.devices import normalize_mac
from plugins.account_settings.models import AccountOptions
from tests.plugins.account_settings.conftest import World

NEXT = """query($id: ID!, $kind: ExtensionKind!) {
  nextFreeExtension(accountId: $id, kind: $kind) }"""
ASSIGN = """mutation($input: AssignUserExtensionInput!) { assignUserExtension(input: $input) {
  extension errors { code field message } } }"""
RESERVE = """mutation($input: ReserveExtensionInput!) { reserveExtension(input: $input) {
  extension errors { code field message } } }"""
SETTINGS = """mutation($input: UpdateAccountOptionsInput!) { updateAccountOptions(input: $input)
  { errors { code } } }"""
ADD_DEVICE = """mutation($input: AddDeviceInput!) { addDevice(input: $input) {
  device { id name macAddress } errors { code field } } }"""
REMOVE_DEVICE = """mutation($input: RemoveDeviceInput!) { removeDevice(input: $input) {
  device { name } errors { code } } }"""
DEVICES = """query($id: ID!) { devices(accountId: $id) { name macAddress } }"""
ADD_CONTACT = """mutation($input: AddContactInput!) { addContact(input: $input) {
  contact { id name phoneNumber shared } errors { code field message } } }"""
UPDATE_CONTACT = """mutation($input: UpdateContactInput!) { updateContact(input: $input) {
  contact { name phoneNumber } errors { code field } } }"""
REMOVE_CONTACT = """mutation($input: RemoveContactInput!) { removeContact(input: $input) {
  contact { name } errors { code } } }"""
CONTACTS = """query($id: ID!, $shared: Boolean, $search: String, $userId: ID) {
  contacts(accountId: $id, shared: $shared, search: $search, userId: $userId) {
    totalCount nodes { name phoneNumber } } }"""


async def _assign(world: World, user: User, extension: str | None = None,
                  who: str = "staff") -> dict[str, Any]:
    data = await world.call(who, ASSIGN, {"input": {
        "accountId": world.company_id, "userId": to_base64("User", user.id),
        "extension": extension}})
    return data["assignUserExtension"]  # type: ignore[no-any-return]


async def test_extensions_from_the_ranges(world: World) -> None:
    tenant = world.tenant
    assert (await world.call("staff", NEXT, {"id": world.company_id, "kind": "USER"})
            )["nextFreeExtension"] == "100"
    assert (await _assign(world, tenant.company_admin))["extension"] == "100"
    taken = await _assign(world, tenant.employee, "100")
    assert [(e["code"], e["field"]) for e in taken["errors"]] == [
        ("EXTENSION_TAKEN", ["input", "extension"])]
    outside = await _assign(world, tenant.employee, "300")
    assert [e["code"] for e in outside["errors"]] == ["OUT_OF_RANGE"]
    assert "100-299" in outside["errors"][0]["message"]
    shape = await _assign(world, tenant.employee, "12")
    assert [e["code"] for e in shape["errors"]] == ["INVALID"]
    # The company admin may give extensions in its own account; the next free is 101.
    assert (await _assign(world, tenant.employee, who="company admin"))["extension"] == "101"
    # A user of another account is not found.
    foreign = await _assign(world, world.other.employee)
    assert [e["code"] for e in foreign["errors"]] == ["NOT_FOUND"]

    group = (await world.call("staff", RESERVE, {"input": {
        "accountId": world.company_id, "kind": "GROUP", "label": "Ventes"}}))["reserveExtension"]
    assert group["extension"] == "500"
    in_users = (await world.call("staff", RESERVE, {"input": {
        "accountId": world.company_id, "kind": "SERVICE", "extension": "150"}})
    )["reserveExtension"]
    assert [e["code"] for e in in_users["errors"]] == ["OUT_OF_RANGE"]

    # New ranges apply to new extensions only: existing ones stay.
    changed = await world.call("staff", SETTINGS, {"input": {
        "accountId": world.company_id, "extensions": {"users": {"first": 200, "last": 201}}}})
    assert changed["updateAccountOptions"]["errors"] == []
    assert (await User.get(id=tenant.company_admin.id)).extension == "100"
    third = await world.call("staff", ASSIGN, {"input": {
        "accountId": world.company_id, "userId": to_base64("User", tenant.company_admin.id)}})
    assert third["assignUserExtension"]["extension"] == "200"
    await _assign(world, tenant.employee)  # 201: the range is now full
    extra = await User.create(role="EMPLOYEE", reseller=tenant.reseller, account=tenant.company,
                              login="extra@example.test", email="extra@example.test")
    full = await _assign(world, extra)
    assert [e["code"] for e in full["errors"]] == ["RANGE_FULL"]
    assert (await world.call("staff", NEXT, {"id": world.company_id, "kind": "USER"})
            )["nextFreeExtension"] is None
    assert (await world.call("other staff", NEXT, {"id": world.company_id, "kind": "USER"})
            )["nextFreeExtension"] is None


async def test_devices(world: World) -> None:
    assert normalize_mac("00-04-f2-ab-cd-ef") == "0004F2ABCDEF"
    assert normalize_mac("0004.f2ab.cdef") == "0004F2ABCDEF"
    assert normalize_mac("01:00:5E:00:00:01") is None  # multicast
    assert normalize_mac("FF:FF:FF:FF:FF:FF") is None
    assert normalize_mac("00:04:F2:AB:CD") is None
    added = (await world.call("staff", ADD_DEVICE, {"input": {
        "accountId": world.company_id, "name": "Réception", "macAddress": "00:04:f2:ab:cd:ef"}})
    )["addDevice"]
    assert added["errors"] == []
    assert added["device"]["macAddress"] == "00:04:F2:AB:CD:EF"
    again = (await world.call("company admin", ADD_DEVICE, {"input": {
        "accountId": world.company_id, "name": "", "macAddress": "0004F2ABCDEF"}}))["addDevice"]
    assert sorted((e["code"], e["field"][-1]) for e in again["errors"]) == [
        ("DUPLICATE", "macAddress"), ("REQUIRED", "name")]
    bad = (await world.call("staff", ADD_DEVICE, {"input": {
        "accountId": world.company_id, "name": "Salle", "macAddress": "00:04:F2:ZZ:CD:EF"}})
    )["addDevice"]
    assert [(e["code"], e["field"][-1]) for e in bad["errors"]] == [("INVALID", "macAddress")]
    listed = await world.call("company admin", DEVICES, {"id": world.company_id})
    assert listed["devices"] == [{"name": "Réception", "macAddress": "00:04:F2:AB:CD:EF"}]
    assert (await world.call("other staff", DEVICES, {"id": world.company_id}))["devices"] == []
    # Forbidden user management stops the company admin, not the reseller.
    await AccountOptions.filter(account_id=world.tenant.company.id).update(
        forbid_user_management=True)
    stopped = (await world.call("company admin", REMOVE_DEVICE, {"input": {
        "accountId": world.company_id, "id": added["device"]["id"]}}))["removeDevice"]
    assert [e["code"] for e in stopped["errors"]] == ["NOT_ALLOWED"]
    foreign = (await world.call("other staff", REMOVE_DEVICE, {"input": {
        "accountId": world.company_id, "id": added["device"]["id"]}}))["removeDevice"]
    assert [e["code"] for e in foreign["errors"]] == ["NOT_FOUND"]
    removed = (await world.call("staff", REMOVE_DEVICE, {"input": {
        "accountId": world.company_id, "id": added["device"]["id"]}}))["removeDevice"]
    assert removed["device"] == {"name": "Réception"}
    assert (await world.call("staff", DEVICES, {"id": world.company_id}))["devices"] == []


async def _contact(world: World, who: str, **input: Any) -> dict[str, Any]:
    data = await world.call(who, ADD_CONTACT, {"input": {"accountId": world.company_id,
                                                         **input}})
    return data["addContact"]  # type: ignore[no-any-return]


async def test_contacts_personal_and_shared_within_limits(world: World) -> None:
    mine = await _contact(world, "employee", name="Marie Côté", phoneNumber="+1 514 555 0123")
    assert mine["errors"] == [] and mine["contact"]["shared"] is False
    assert mine["contact"]["phoneNumber"] == "+15145550123"
    bad = await _contact(world, "employee", name="", phoneNumber="555")
    assert sorted((e["code"], e["field"][-1]) for e in bad["errors"]) == [
        ("INVALID", "phoneNumber"), ("REQUIRED", "name")]
    # An employee does not write the shared directory; the company admin does.
    refused = await _contact(world, "employee", shared=True, name="Fournisseur",
                             email="ventes@fournisseur.example.com")
    assert [e["code"] for e in refused["errors"]] == ["NOT_ALLOWED"]
    shared = await _contact(world, "company admin", shared=True, name="Fournisseur Inc",
                            phoneNumber="+1 438 555 0199")
    assert shared["contact"]["shared"] is True

    # Personal contacts are their owner's only.
    admin_view = await world.call("company admin", CONTACTS, {"id": world.company_id})
    assert admin_view["contacts"]["totalCount"] == 0
    own = await world.call("employee", CONTACTS, {"id": world.company_id, "search": "côté"})
    assert own["contacts"]["nodes"] == [{"name": "Marie Côté", "phoneNumber": "+15145550123"}]
    by_number = await world.call("employee", CONTACTS, {"id": world.company_id, "shared": True,
                                                        "search": "438 555"})
    assert by_number["contacts"]["nodes"] == [{"name": "Fournisseur Inc",
                                               "phoneNumber": "+14385550199"}]
    staff_view = await world.call("staff", CONTACTS, {
        "id": world.company_id, "userId": to_base64("User", world.tenant.employee.id)})
    assert staff_view["contacts"]["totalCount"] == 1
    assert (await world.call("other staff", CONTACTS, {"id": world.company_id, "shared": True})
            )["contacts"]["totalCount"] == 0

    # Naming a caller: the user's own contact first, then the shared directory.
    found = await contact_rules.find_by_number(world.tenant.company.id, "+1 (438) 555-0199",
                                               world.tenant.employee.id)
    assert found is not None and found.name == "Fournisseur Inc"

    # The shared limit counts the company's people (3 users) and its shared contacts.
    await AccountOptions.filter(account_id=world.tenant.company.id).update(
        shared_contacts_limit=3, contacts_limit=1)
    full = await _contact(world, "staff", shared=True, name="Un de trop",
                          phoneNumber="+1 438 555 0198")
    assert [e["code"] for e in full["errors"]] == ["LIMIT_REACHED"]
    assert "3" in full["errors"][0]["message"]
    personal_full = await _contact(world, "employee", name="Encore",
                                   phoneNumber="+1 438 555 0197")
    assert [e["code"] for e in personal_full["errors"]] == ["LIMIT_REACHED"]

    # Changing: checked like a new one; a shared one by whoever manages the directory.
    changed = await world.call("employee", UPDATE_CONTACT, {"input": {
        "id": mine["contact"]["id"], "name": "Marie Côté-Roy", "phoneNumber": "+1 514 555 0124"}})
    assert changed["updateContact"]["contact"] == {"name": "Marie Côté-Roy",
                                                   "phoneNumber": "+15145550124"}
    invalid = await world.call("employee", UPDATE_CONTACT, {"input": {
        "id": mine["contact"]["id"], "name": "Marie", "phoneNumber": "not a number"}})
    assert [(e["code"], e["field"][-1]) for e in invalid["updateContact"]["errors"]] == [
        ("INVALID", "phoneNumber")]
    not_shared_writer = await world.call("employee", UPDATE_CONTACT, {"input": {
        "id": shared["contact"]["id"], "name": "Renamed", "phoneNumber": "+1 438 555 0199"}})
    assert [e["code"] for e in not_shared_writer["updateContact"]["errors"]] == ["NOT_ALLOWED"]

    # Removing: the owner's own, not someone else's.
    stranger = await world.call("company admin", REMOVE_CONTACT,
                                {"input": {"id": mine["contact"]["id"]}})
    assert [e["code"] for e in stranger["removeContact"]["errors"]] == ["NOT_FOUND"]
    removed = await world.call("employee", REMOVE_CONTACT, {"input": {"id": mine["contact"]["id"]}})
    assert removed["removeContact"]["contact"] == {"name": "Marie Côté-Roy"}
