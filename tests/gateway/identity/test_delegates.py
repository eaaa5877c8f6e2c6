"""Administrators of a reseller: exactly one primary admin, delegates chosen among the company
admins of its accounts; only the reseller admin adds or removes them."""

from __future__ import annotations

from typing import Any

from strawberry.relay import to_base64

from gateway.identity.models import BillingStatus, ResellerDelegate, Session, UserRole
from gateway.identity.sessions import open_session
from tests.conftest import Gateway
from tests.gateway.identity.test_auth import ME, bearer
from tests.support.identity_factory import bearer_for, make_account, make_tenant, make_user

ADMINISTRATORS = """{ resellerAdministrators { userCode label isPrimary grantedAt
  user { id login } account { name } } }"""
CANDIDATES = """query($search: String, $first: Int) {
  delegateCandidates(search: $search, first: $first) {
    totalCount nodes { userCode label user { id login } account { name } }
  }
}"""
ADD = """mutation($id: ID!) { addResellerDelegate(input: {userId: $id}) {
  administrator { label isPrimary user { login } account { name } }
  errors { code field message } } }"""
REMOVE = """mutation($id: ID!) { removeResellerDelegate(input: {userId: $id}) {
  removedUserId errors { code field message } } }"""
START = """mutation($id: ID!) { startDirectAccess(input: {accountId: $id}) {
  token errors { code } } }"""


def user_id(user: Any) -> str:
    return to_base64("User", user.id)


async def test_candidates_are_the_company_admins_of_my_live_accounts(gateway: Gateway) -> None:
    alpha = await make_tenant("Alpha")
    beta = await make_tenant("Beta")
    gone = await make_account(alpha.reseller, name="Fermée inc.")
    gone.billing_status = BillingStatus.UNSUBSCRIBED
    await gone.save()
    await make_user(UserRole.COMPANY_ADMIN, reseller=alpha.reseller, account=gone)
    second = await make_account(alpha.reseller, name="Deuxième inc.")
    second_admin = await make_user(UserRole.COMPANY_ADMIN, reseller=alpha.reseller,
                                   account=second)
    headers = await bearer_for(alpha.admin)
    listed = (await gateway.graphql(CANDIDATES, **headers))["data"]["delegateCandidates"]
    # Not employees, professionals, another reseller's admins, nor an unsubscribed account's.
    assert {n["user"]["login"] for n in listed["nodes"]} == {
        alpha.company_admin.login, second_admin.login}
    assert listed["totalCount"] == 2
    entry = next(n for n in listed["nodes"] if n["user"]["login"] == second_admin.login)
    assert entry["account"] == {"name": "Deuxième inc."}
    name = f"{second_admin.first_name} {second_admin.last_name}"
    assert entry["label"] == f"{second_admin.id} - {name}"
    searched = await gateway.graphql(CANDIDATES, {"search": "deuxième"}, **headers)
    assert [n["user"]["login"] for n in searched["data"]["delegateCandidates"]["nodes"]] == [
        second_admin.login]
    await gateway.graphql(ADD, {"id": user_id(second_admin)}, **headers)
    after = (await gateway.graphql(CANDIDATES, **headers))["data"]["delegateCandidates"]
    assert [n["user"]["login"] for n in after["nodes"]] == [alpha.company_admin.login]
    assert beta.company_admin.login not in str(after)


async def test_add_delegate_lists_primary_first_and_gives_the_delegate_role(
    gateway: Gateway
) -> None:
    alpha = await make_tenant("Alpha")
    headers = await bearer_for(alpha.admin)
    added = await gateway.graphql(ADD, {"id": user_id(alpha.company_admin)}, **headers)
    admin = alpha.company_admin
    assert added["data"]["addResellerDelegate"] == {
        "administrator": {"label": f"{admin.id} - {admin.first_name} {admin.last_name}",
                          "isPrimary": False, "user": {"login": admin.login},
                          "account": {"name": alpha.company.name}},
        "errors": []}
    listed = (await gateway.graphql(ADMINISTRATORS, **headers))["data"]["resellerAdministrators"]
    assert [(a["user"]["login"], a["isPrimary"]) for a in listed] == [
        (alpha.admin.login, True), (admin.login, False)]
    primary = listed[0]
    assert primary["userCode"] == str(alpha.admin.id) and primary["account"] is None
    assert primary["label"].startswith(f"{alpha.admin.id} - ")
    assert listed[1]["grantedAt"] is not None

    me = await gateway.graphql(ME, **await bearer_for(admin))
    assert me["data"]["me"]["role"] == "RESELLER_DELEGATE"
    # The delegate sees the same administrators and manages the reseller's settings...
    as_delegate = await bearer_for(admin)
    seen = await gateway.graphql(ADMINISTRATORS, **as_delegate)
    assert len(seen["data"]["resellerAdministrators"]) == 2
    renamed = await gateway.graphql(
        """mutation { updateResellerGeneralInfo(input: {city: "Laval"}) {
           reseller { city } errors { code } } }""", **as_delegate)
    assert renamed["data"]["updateResellerGeneralInfo"]["reseller"] == {"city": "Laval"}


async def test_a_delegate_cannot_add_or_remove_administrators(gateway: Gateway) -> None:
    alpha = await make_tenant("Alpha")
    other = await make_account(alpha.reseller)
    other_admin = await make_user(UserRole.COMPANY_ADMIN, reseller=alpha.reseller, account=other)
    await ResellerDelegate.create(reseller=alpha.reseller, user=alpha.company_admin)
    await ResellerDelegate.create(reseller=alpha.reseller, user=other_admin)
    delegate = await bearer_for(alpha.company_admin)
    for query, target in ((ADD, alpha.company_admin), (REMOVE, other_admin)):
        result = await gateway.graphql(query, {"id": user_id(target)}, **delegate)
        assert result["data"] is None
        assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    candidates = await gateway.graphql(CANDIDATES, **delegate)
    assert candidates["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await ResellerDelegate.filter(reseller=alpha.reseller).count() == 2


async def test_add_delegate_refuses_whoever_is_not_a_candidate(gateway: Gateway) -> None:
    alpha = await make_tenant("Alpha")
    beta = await make_tenant("Beta")
    headers = await bearer_for(alpha.admin)
    for target, code in (
        (beta.company_admin, "NOT_FOUND"),   # another reseller's: not found, never forbidden
        (alpha.employee, "NOT_FOUND"),
        (alpha.professional, "NOT_FOUND"),
        (alpha.admin, "NOT_FOUND"),          # the primary admin stays the only primary
    ):
        result = await gateway.graphql(ADD, {"id": user_id(target)}, **headers)
        [error] = result["data"]["addResellerDelegate"]["errors"]
        assert (error["code"], error["field"]) == (code, ["input", "userId"]), target.login
    malformed = await gateway.graphql(ADD, {"id": to_base64("Account", alpha.company.id)},
                                      **headers)
    assert malformed["data"]["addResellerDelegate"]["errors"][0]["code"] == "NOT_FOUND"
    await gateway.graphql(ADD, {"id": user_id(alpha.company_admin)}, **headers)
    again = await gateway.graphql(ADD, {"id": user_id(alpha.company_admin)}, **headers)
    assert again["data"]["addResellerDelegate"]["errors"][0]["code"] == "ALREADY_DELEGATE"
    assert not await ResellerDelegate.filter(reseller=beta.reseller).exists()


async def test_removing_a_delegate_takes_effect_at_once(gateway: Gateway) -> None:
    alpha = await make_tenant("Alpha")
    beta = await make_tenant("Beta")
    await ResellerDelegate.create(reseller=alpha.reseller, user=alpha.company_admin)
    _, delegate_token = await open_session(alpha.company_admin)
    started = await gateway.graphql(
        START, {"id": to_base64("Account", alpha.professional_account.id)},
        **bearer(delegate_token))
    inside = started["data"]["startDirectAccess"]["token"]
    assert inside

    headers = await bearer_for(alpha.admin)
    other_reseller = await gateway.graphql(REMOVE, {"id": user_id(alpha.company_admin)},
                                           **await bearer_for(beta.admin))
    assert other_reseller["data"]["removeResellerDelegate"]["errors"][0]["code"] == "NOT_FOUND"
    removed = await gateway.graphql(REMOVE, {"id": user_id(alpha.company_admin)}, **headers)
    assert removed["data"]["removeResellerDelegate"] == {
        "removedUserId": user_id(alpha.company_admin), "errors": []}
    me = await gateway.graphql(ME, **bearer(delegate_token))
    assert me["data"]["me"]["role"] == "COMPANY_ADMIN"
    # The direct access the delegate had open ended with the rights, and says why.
    gone = await gateway.graphql(ME, **bearer(inside))
    assert gone["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await Session.filter(user_id=alpha.company_admin.id, acting_account_id__isnull=False,
                                ended_at__isnull=True).count() == 0
    log = await gateway.graphql(
        '{ auditLog(filter: {action: DIRECT_ACCESS_END}) { nodes { detail actor { login } } } }',
        **headers)
    [entry] = log["data"]["auditLog"]["nodes"]
    assert entry["detail"]["reason"] == "DELEGATION_REVOKED"
    assert entry["actor"]["login"] == alpha.company_admin.login
    again = await gateway.graphql(REMOVE, {"id": user_id(alpha.company_admin)}, **headers)
    assert again["data"]["removeResellerDelegate"]["errors"][0]["code"] == "NOT_FOUND"


async def test_system_admin_reads_any_resellers_administrators(gateway: Gateway) -> None:
    alpha = await make_tenant("Alpha")
    beta = await make_tenant("Beta")
    query = """query($id: ID) { resellerAdministrators(resellerId: $id) { user { login } } }"""
    sysadmin = await bearer_for(await make_user(UserRole.SYSTEM_ADMIN))
    seen = await gateway.graphql(query, {"id": to_base64("Reseller", beta.reseller.id)},
                                 **sysadmin)
    assert seen["data"]["resellerAdministrators"] == [{"user": {"login": beta.admin.login}}]
    other = await gateway.graphql(query, {"id": to_base64("Reseller", beta.reseller.id)},
                                  **await bearer_for(alpha.admin))
    assert other["data"]["resellerAdministrators"] == []
