"""Direct access: a reseller admin or delegate acts inside one of its accounts with the account
admin's view, comes back, cannot change credentials inside; cookie and bearer clients."""

from __future__ import annotations

from typing import Any

import pytest
from strawberry.relay import to_base64

from gateway.contributions import Principal
from gateway.identity.models import AuditEntry, BillingStatus, ResellerDelegate, Session, User
from gateway.identity.resellers import update_account_administrator
from gateway.identity.sessions import open_session
from gateway.problems import Problem
from schema.permissions import Role
from tests.conftest import Gateway
from tests.gateway.identity.test_auth import LOGIN, ME, bearer, set_cookies
from tests.support.identity_factory import PASSWORD, bearer_for, make_tenant

START = """mutation($id: ID!) { startDirectAccess(input: {accountId: $id}) {
  token account { name accountNumber } actingAs { login } errors { code field message } } }"""
END = """mutation { endDirectAccess { user { login } errors { code message } } }"""
NODE = """query($id: ID!) { node(id: $id) { id } }"""


def account_id(account: Any) -> str:
    return to_base64("Account", account.id)


async def start(gateway: Gateway, account: Any, **headers: str) -> dict[str, Any]:
    result = await gateway.graphql(START, {"id": account_id(account)}, **headers)
    return result["data"]["startDirectAccess"]  # type: ignore[no-any-return]


async def test_bearer_client_acts_inside_an_account_and_comes_back(gateway: Gateway) -> None:
    alpha = await make_tenant("Alpha")
    _, own_token = await open_session(alpha.admin)
    started = await start(gateway, alpha.company, **bearer(own_token))
    assert started["errors"] == []
    assert started["account"] == {"name": alpha.company.name,
                                  "accountNumber": alpha.company.id}
    assert started["actingAs"] == {"login": alpha.company_admin.login}
    inside = started["token"]
    assert inside.startswith("gws_") and inside != own_token

    me = (await gateway.graphql(ME, **bearer(inside)))["data"]["me"]
    assert me["role"] == "COMPANY_ADMIN" and me["directAccess"] is True
    assert me["user"] == {"login": alpha.company_admin.login}
    assert me["realUser"] == {"login": alpha.admin.login}
    assert me["account"] == {"name": alpha.company.name}
    assert me["language"] == alpha.admin.language  # the reader is the reseller admin
    # The reseller's own token stays valid all along.
    own = (await gateway.graphql(ME, **bearer(own_token)))["data"]["me"]
    assert own["role"] == "RESELLER_ADMIN" and own["directAccess"] is False

    ended = await gateway.graphql(END, **bearer(inside))
    assert ended["data"]["endDirectAccess"] == {"user": {"login": alpha.admin.login},
                                                "errors": []}
    after = await gateway.graphql(ME, **bearer(inside))
    assert after["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert (await gateway.graphql(ME, **bearer(own_token)))["data"]["me"]["role"] == \
        "RESELLER_ADMIN"


async def test_browser_cookie_switches_and_is_given_back(gateway: Gateway) -> None:
    alpha = await make_tenant("Alpha")
    signed_in = await gateway.graphql(LOGIN, {"login": alpha.admin.login, "password": PASSWORD})
    own_token = signed_in["data"]["login"]["token"]
    assert gateway.client.cookies.get("gw_session") == own_token
    variables = {"id": account_id(alpha.professional_account)}
    response = await gateway.client.post("/graphql",
                                         json={"query": START, "variables": variables})
    token = response.json()["data"]["startDirectAccess"]["token"]
    cookies = set_cookies(response)
    assert cookies["gw_session"].startswith(f"gw_session={token};")
    assert cookies["gw_session_parent"].startswith(f"gw_session_parent={own_token};")
    for header in cookies.values():
        assert "httponly" in header.lower() and "samesite=lax" in header.lower()
    me = (await gateway.graphql(ME))["data"]["me"]
    assert me["role"] == "PROFESSIONAL" and me["realUser"] == {"login": alpha.admin.login}

    response = await gateway.client.post("/graphql", json={"query": END})
    assert response.json()["data"]["endDirectAccess"]["errors"] == []
    assert gateway.client.cookies.get("gw_session") == own_token
    assert "gw_session_parent" not in gateway.client.cookies
    me = (await gateway.graphql(ME))["data"]["me"]
    assert me["role"] == "RESELLER_ADMIN" and me["directAccess"] is False


async def test_a_delegate_may_access_directly_too(gateway: Gateway) -> None:
    alpha = await make_tenant("Alpha")
    await ResellerDelegate.create(reseller=alpha.reseller, user=alpha.company_admin)
    started = await start(gateway, alpha.professional_account,
                          **await bearer_for(alpha.company_admin))
    assert started["errors"] == [] and started["actingAs"] == {"login": alpha.professional.login}
    me = (await gateway.graphql(ME, **bearer(started["token"])))["data"]["me"]
    assert me["realUser"] == {"login": alpha.company_admin.login}


async def test_another_resellers_or_an_unsubscribed_account_is_refused(gateway: Gateway) -> None:
    alpha = await make_tenant("Alpha")
    beta = await make_tenant("Beta")
    headers = await bearer_for(alpha.admin)
    other = await start(gateway, beta.company, **headers, **{"Accept-Language": "fr"})
    assert other["token"] is None
    [error] = other["errors"]
    assert (error["code"], error["field"]) == ("NOT_FOUND", ["input", "accountId"])
    assert error["message"] == "No such account."  # the admin's own language (en) wins
    malformed = await gateway.graphql(START, {"id": "not-a-global-id"}, **headers)
    assert malformed["data"]["startDirectAccess"]["errors"][0]["code"] == "NOT_FOUND"
    not_an_account = await gateway.graphql(START, {"id": to_base64("User", alpha.employee.id)},
                                           **headers)
    assert not_an_account["data"]["startDirectAccess"]["errors"][0]["code"] == "NOT_FOUND"

    alpha.company.billing_status = BillingStatus.UNSUBSCRIBED
    await alpha.company.save()
    await User.filter(id=alpha.admin.id).update(language="fr")
    gone = await start(gateway, alpha.company, **await bearer_for(alpha.admin))
    [error] = gone["errors"]
    assert error["code"] == "ACCOUNT_UNSUBSCRIBED" and "désabonné" in error["message"]
    assert not await Session.filter(acting_account_id__isnull=False).exists()
    # Every refused attempt is audited (issue 15), none as a start.
    refusals = await AuditEntry.all().order_by("id").values_list("action", "detail")
    assert [(action, detail["errors"]) for action, detail in refusals] == [
        ("DIRECT_ACCESS_REFUSED", ["NOT_FOUND"])] * 3 + [
        ("DIRECT_ACCESS_REFUSED", ["ACCOUNT_UNSUBSCRIBED"])]


async def test_only_reseller_staff_with_a_session_may_start(gateway: Gateway) -> None:
    alpha = await make_tenant("Alpha")
    for user in (alpha.company_admin, alpha.employee, alpha.professional):
        refused = await gateway.graphql(START, {"id": account_id(alpha.company)},
                                        **await bearer_for(user))
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    anonymous = await gateway.graphql(START, {"id": account_id(alpha.company)})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # No nesting: inside direct access the caller is the account admin.
    inside = (await start(gateway, alpha.company, **await bearer_for(alpha.admin)))["token"]
    nested = await gateway.graphql(START, {"id": account_id(alpha.professional_account)},
                                   **bearer(inside))
    assert nested["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_inside_direct_access_the_view_is_one_account(gateway: Gateway) -> None:
    alpha = await make_tenant("Alpha")
    inside = (await start(gateway, alpha.company, **await bearer_for(alpha.admin)))["token"]
    own = await gateway.graphql(NODE, {"id": account_id(alpha.company)}, **bearer(inside))
    assert own["data"]["node"] == {"id": account_id(alpha.company)}
    sibling = await gateway.graphql(NODE, {"id": account_id(alpha.professional_account)},
                                    **bearer(inside))
    assert sibling["data"]["node"] is None
    settings = await gateway.graphql("{ myReseller { name } }", **bearer(inside))
    assert settings["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_credentials_cannot_change_inside_direct_access(gateway: Gateway) -> None:
    alpha = await make_tenant("Alpha")
    inside = (await start(gateway, alpha.company, **await bearer_for(alpha.admin)))["token"]
    headers = bearer(inside)
    email = await gateway.graphql(
        'mutation { updateAccountAdministrator(input: {email: "x@y.example"}) '
        '{ errors { code } } }', **headers)
    assert email["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    password = await gateway.graphql(
        """mutation($c: String!) { changePassword(input: {currentPassword: $c,
           newPassword: "Another-pass2"}) { errors { code } } }""", {"c": PASSWORD}, **headers)
    assert password["data"]["changePassword"]["errors"] == [{"code": "NOT_IN_DIRECT_ACCESS"}]
    for user in (alpha.admin, alpha.company_admin):
        fresh = await User.get(id=user.id)
        assert fresh.login == user.login and fresh.password_hash == user.password_hash
    # The rule holds in the service too, whatever role a caller would claim.
    principal = Principal(role=Role.RESELLER_ADMIN, user_id=alpha.company_admin.id,
                          reseller_id=alpha.reseller.id, real_user_id=alpha.admin.id)
    with pytest.raises(Problem) as refused:
        await update_account_administrator(principal, {"email": "x@y.example"})
    assert refused.value.problems[0].code.value == "DIRECT_ACCESS_FORBIDDEN"


async def test_end_outside_direct_access_says_so(gateway: Gateway) -> None:
    alpha = await make_tenant("Alpha")
    result = await gateway.graphql(END, **await bearer_for(alpha.admin))
    assert result["data"]["endDirectAccess"]["errors"][0]["code"] == "NOT_IN_DIRECT_ACCESS"


async def test_signing_out_of_the_reseller_session_ends_the_direct_access(
    gateway: Gateway
) -> None:
    alpha = await make_tenant("Alpha")
    _, own_token = await open_session(alpha.admin)
    inside = (await start(gateway, alpha.company, **bearer(own_token)))["token"]
    await gateway.graphql("mutation { logout { signedOut } }", **bearer(own_token))
    after = await gateway.graphql(ME, **bearer(inside))
    assert after["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
