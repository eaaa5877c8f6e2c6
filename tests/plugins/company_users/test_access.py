"""Who manages a company's users: its company admin unless the reseller forbids it (the
reseller's staff never bound), never an employee nor another tenant; the access codes email
with a working set-password link; the PIN, kept hashed; credentials never change inside
direct access."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from gateway.identity.models import AuditEntry, User, UserRole
from gateway.identity.secrets import verify_secret
from plugins.account_settings.models import AccountOptions
from plugins.account_settings.options import get_options
from plugins.clients.services import set_test_mode
from tests.gateway.identity.test_direct_access import START
from tests.plugins.clients.conftest import received
from tests.plugins.company_users.conftest import (
    DELETE,
    LIST,
    LOGIN,
    SEND,
    SET_PIN,
    SUSPEND,
    UPDATE,
    World,
    codes,
    user_id,
)
from tests.support.identity_factory import bearer_for, make_user


async def _forbid(world: World, forbidden: bool = True) -> None:
    await get_options(world.tenant.company.id)
    await AccountOptions.filter(account_id=world.tenant.company.id).update(
        forbid_user_management=forbidden)


async def test_forbidden_user_management_refuses_the_company_admin_not_the_reseller(
        world: World) -> None:
    await _forbid(world)
    employee = user_id(world.tenant.employee)
    refused = [
        await world.create("company admin", firstName="A", email="a@alpha.test"),
        await world.call("company admin", UPDATE, input={"userId": employee, "firstName": "X"}),
        await world.call("company admin", SUSPEND, input={"userId": employee}),
        await world.call("company admin", DELETE, input={"userId": employee}),
        await world.call("company admin", SEND, input={"userId": employee}),
        await world.call("company admin", SET_PIN, input={"userId": employee, "pin": "1234",
                                                          "pinConfirmation": "1234"}),
    ]
    for payload in refused:
        assert [error["code"] for error in payload["errors"]] == ["MANAGEMENT_FORBIDDEN"]
        assert "forbids user management" in payload["errors"][0]["message"]
    assert (await User.get(id=world.tenant.employee.id)).first_name != "X"
    assert not await User.filter(email="a@alpha.test").exists()
    # The list still shows (nothing changes by reading it).
    listed = await world.call("company admin", LIST, accountId=world.company_id)
    assert listed["totalCount"] == 2

    # In French for a French-speaking admin.
    await User.filter(id=world.tenant.company_admin.id).update(language="fr")
    world.headers["company admin"] = await bearer_for(
        await User.get(id=world.tenant.company_admin.id))
    french = await world.create("company admin", firstName="A", email="a@alpha.test")
    assert french["errors"][0]["message"].startswith(
        "Votre fournisseur interdit la gestion des utilisateurs")

    # The reseller's staff still manage them, directly and inside the account.
    assert (await world.create("staff", firstName="A", email="a@alpha.test"))["errors"] == []
    entered = await world.raw("staff", START, id=world.company_id)
    token = entered["data"]["startDirectAccess"]["token"]
    inside = await world.gateway.graphql(UPDATE, {"input": {"userId": employee,
                                                            "firstName": "Inside"}},
                                         Authorization=f"Bearer {token}")
    assert inside["data"]["updateCompanyUser"]["errors"] == []
    assert inside["data"]["updateCompanyUser"]["user"]["firstName"] == "Inside"


async def test_credentials_do_not_change_inside_direct_access(world: World) -> None:
    entered = await world.raw("staff", START, id=world.company_id)
    headers = {"Authorization": f"Bearer {entered['data']['startDirectAccess']['token']}"}
    employee = user_id(world.tenant.employee)
    pin = await world.gateway.graphql(SET_PIN, {"input": {
        "userId": employee, "pin": "1234", "pinConfirmation": "1234"}}, **headers)
    assert codes(pin["data"]["setCompanyUserPin"]) == [("DIRECT_ACCESS_FORBIDDEN",
                                                        ["input", "pin"])]
    email = await world.gateway.graphql(UPDATE, {"input": {
        "userId": employee, "email": "moved@alpha.test"}}, **headers)
    assert codes(email["data"]["updateCompanyUser"]) == [("DIRECT_ACCESS_FORBIDDEN",
                                                          ["input", "email"])]
    stored = await User.get(id=world.tenant.employee.id)
    assert stored.pin_hash is None and stored.email == world.tenant.employee.email


async def test_employees_and_other_tenants_manage_nothing(world: World) -> None:
    employee = user_id(world.tenant.employee)
    as_employee = await world.raw("employee", LIST, accountId=world.company_id)
    assert as_employee["data"] is None
    assert as_employee["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    mutation = await world.raw("employee", SUSPEND, input={"userId": employee})
    assert mutation["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await User.get(id=world.tenant.employee.id)).is_active

    # Another reseller's staff and another company's admin: not found, never forbidden.
    for who in ("other staff", "other company admin"):
        listed = await world.raw(who, LIST, accountId=world.company_id)
        assert listed["errors"][0]["extensions"]["code"] == "NOT_FOUND", listed
        created = await world.create(who, firstName="Intrus", email="intrus@beta.test")
        assert codes(created) == [("NOT_FOUND", ["input", "accountId"])]
        for query in (UPDATE, SUSPEND, DELETE, SEND):
            variables: dict[str, Any] = {"userId": employee}
            if query is UPDATE:
                variables["firstName"] = "Intrus"
            payload = await world.call(who, query, input=variables)
            assert codes(payload) == [("NOT_FOUND", ["input", "userId"])], (who, payload)
    # The reseller's own staff are no company users, even in the admin's eyes.
    staff_user = await world.call("company admin", SUSPEND,
                                  input={"userId": user_id(world.tenant.admin)})
    assert codes(staff_user) == [("NOT_FOUND", ["input", "userId"])]
    assert (await User.get(id=world.tenant.employee.id)).first_name != "Intrus"
    assert not await User.filter(email="intrus@beta.test").exists()

    # A professional account has no employees.
    professional = await world.call("staff", "mutation($input: CreateCompanyUserInput!) { "
                                    "createCompanyUser(input: $input) { errors { code field "
                                    "message } } }", input={
                                        "accountId": world.professional_id, "firstName": "P",
                                        "email": "p@alpha.test"})
    assert codes(professional) == [("WRONG_ACCOUNT_KIND", ["input", "accountId"])]


def _link(message: Any) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"https?://\S+", text).group(0)  # type: ignore[union-attr]


async def test_access_codes_email_a_working_set_password_link(world: World) -> None:
    created = await world.create("company admin", firstName="Julie", lastName="Roy",
                                 email="julie@alpha.test", language="en")
    julie = created["user"]["id"]
    sent = await world.call("company admin", SEND, input={"userId": julie})
    assert sent["errors"] == [] and sent["sentTo"] == "julie@alpha.test"
    (message,) = await received(world.gateway.smtp, 1)  # type: ignore[attr-defined]
    assert message["To"] == "julie@alpha.test"
    assert message["Subject"] == f"Your access codes ({world.tenant.company.name})"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "Your login id: julie@alpha.test" in text
    link = _link(message)
    assert urlsplit(link).path == "/set-password"
    token = parse_qs(urlsplit(link).query)["token"][0]
    reset = await world.gateway.graphql(
        "mutation($i: ResetPasswordInput!) { resetPassword(input: $i) { login errors { code } } }",
        {"i": {"token": token, "newPassword": "Nouveau-pass1"}})
    assert reset["data"]["resetPassword"] == {"login": "julie@alpha.test", "errors": []}
    login = await world.gateway.graphql(LOGIN, {"i": {"login": "Julie@Alpha.test",
                                                      "password": "Nouveau-pass1"}})
    assert login["data"]["login"]["errors"] == [] and login["data"]["login"]["token"]

    # In the user's language; refused for a suspended user and in test mode.
    french = await world.create("staff", firstName="Luc", email="luc@alpha.test",
                                language="fr")
    assert (await world.call("staff", SEND, input={"userId": french["user"]["id"]}))[
        "errors"] == []
    messages = await received(world.gateway.smtp, 2)  # type: ignore[attr-defined]
    assert messages[1]["Subject"].startswith("Vos codes d'accès")
    assert "Votre identifiant : luc@alpha.test" in messages[1].get_body(
        preferencelist=("plain",)).get_content()
    await world.call("company admin", SUSPEND, input={"userId": julie})
    suspended = await world.call("company admin", SEND, input={"userId": julie})
    assert codes(suspended) == [("USER_SUSPENDED", ["input", "userId"])]
    await set_test_mode(world.tenant.company.id, True)
    test_mode = await world.call("staff", SEND, input={"userId": french["user"]["id"]})
    assert codes(test_mode) == [("TEST_MODE", ["input", "userId"])]


async def test_the_pin_is_checked_typed_twice_and_kept_hashed(world: World) -> None:
    employee = user_id(world.tenant.employee)
    cases = [("12a4", "12a4", "INVALID", "pin"), ("123", "123", "INVALID", "pin"),
             ("12345678901", "12345678901", "INVALID", "pin"),
             ("1234", "1235", "PIN_MISMATCH", "pinConfirmation")]
    for pin, confirmation, code, field in cases:
        payload = await world.call("company admin", SET_PIN, input={
            "userId": employee, "pin": pin, "pinConfirmation": confirmation})
        assert codes(payload) == [(code, ["input", field])], pin
    assert (await User.get(id=world.tenant.employee.id)).pin_hash is None

    done = await world.call("company admin", SET_PIN, input={
        "userId": employee, "pin": "482915", "pinConfirmation": "482915"})
    assert done["errors"] == [] and done["user"]["hasPin"] is True
    stored = await User.get(id=world.tenant.employee.id)
    assert stored.pin_hash and "482915" not in stored.pin_hash
    assert verify_secret(stored.pin_hash, "482915")
    listed = await world.raw("company admin", LIST, accountId=world.company_id)
    assert "482915" not in str(listed) and stored.pin_hash not in str(listed)
    # The audit log keeps the change, never the PIN nor its confirmation.
    logged = await AuditEntry.all().values_list("detail", flat=True)
    pin_changes = [d for d in logged if (d or {}).get("field") == "setCompanyUserPin"]
    assert pin_changes and "482915" not in str(pin_changes)


async def test_a_company_admin_does_not_manage_a_resellers_delegate(world: World) -> None:
    from gateway.identity.models import ResellerDelegate

    delegate = await make_user(UserRole.COMPANY_ADMIN, reseller=world.tenant.reseller,
                               account=world.tenant.company)
    await ResellerDelegate.create(reseller=world.tenant.reseller, user=delegate)
    refused = await world.call("company admin", SUSPEND, input={"userId": user_id(delegate)})
    assert codes(refused) == [("NOT_ALLOWED", ["input", "userId"])]
    assert "provider's administrators" in refused["errors"][0]["message"]
    assert (await world.call("staff", SUSPEND, input={"userId": user_id(delegate)}))[
        "errors"] == []
