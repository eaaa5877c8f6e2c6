"""The subscriber tier (issue 20): an account's company admin or professional manage the
account's own rules (SUBSCRIBER), which only narrow what the staff levels allow; employees read
and check them; staff see and manage them too; the reseller's "Interdire la gestion des
utilisateurs" / "Compte géré par l'administrateur" refuse the account's own users, not staff."""

from __future__ import annotations

from typing import Any

from gateway.identity.models import User
from plugins.account_settings.models import AccountOptions
from plugins.restrictions import services
from plugins.restrictions.models import (
    CallRestriction,
    RestrictionAction,
    RestrictionScope,
    RestrictionTarget,
)
from tests.conftest import Gateway
from tests.support.identity_factory import bearer_for, make_tenant

from .test_graphql import CHECK, CREATE, DELETE, LIST, UPDATE, check, create, gid

OWN_CHECK = """query($accountId: ID!, $number: String!) {
  checkCall(accountId: $accountId, number: $number) {
    allowed reason explanation rule { id scope } overruledRule { id } } }"""
OWN_LIST = """query($scope: CallRestrictionScope!, $accountId: ID) {
  callRestrictions(scope: $scope, accountId: $accountId) { totalCount nodes { id scope
    action prefixes account { id } } } }"""
NODE = "query($id: ID!) { node(id: $id) { id } }"
AUDIT = """query { auditLog(first: 50) { nodes { fieldName outcome via actor { login }
  account { name } } } }"""
PARIS = "+33 1 23 45 67 89"
LYON = "+33 4 72 00 00 00"


async def own_check(gateway: Gateway, headers: dict[str, str], account_id: int,
                    number: str) -> dict[str, Any]:
    result = await gateway.graphql(OWN_CHECK, {"accountId": gid("Account", account_id),
                                               "number": number}, **headers)
    assert "errors" not in result, result
    return result["data"]["checkCall"]


async def listed(gateway: Gateway, headers: dict[str, str], scope: str,
                 account_id: int | None = None) -> dict[str, Any]:
    variables: dict[str, Any] = {"scope": scope}
    if account_id is not None:
        variables["accountId"] = gid("Account", account_id)
    result = await gateway.graphql(OWN_LIST, variables, **headers)
    assert "errors" not in result, result
    return result["data"]["callRestrictions"]


async def payload_of(gateway: Gateway, query: str, headers: dict[str, str],
                     **values: Any) -> dict[str, Any]:
    result = await gateway.graphql(query, {"input": values}, **headers)
    assert "errors" not in result, result
    return next(iter(result["data"].values()))


async def test_a_company_admin_manages_the_own_rules_and_staff_see_them(
        gateway: Gateway) -> None:
    alpha = await make_tenant("Alpha")
    own = await bearer_for(alpha.company_admin)
    employee = await bearer_for(alpha.employee)
    staff = await bearer_for(alpha.admin)

    made = await create(gateway, own, scope="SUBSCRIBER", action="DENY", prefix="+44")
    assert made["errors"] == []
    rule = made["restriction"]
    assert (rule["scope"], rule["prefixes"]) == ("SUBSCRIBER", ["+44"])
    assert rule["account"]["id"] == gid("Account", alpha.company.id)
    stored = await CallRestriction.get(id=rule["ruleNumber"])
    assert (stored.reseller_id, stored.created_by_id) == (alpha.reseller.id,
                                                          alpha.company_admin.id)

    # The account's users and the reseller's staff all see it; the employee checks a call.
    for headers, account in ((own, None), (employee, None), (staff, alpha.company.id),
                             (staff, None)):
        seen = await listed(gateway, headers, "SUBSCRIBER", account)
        assert [n["id"] for n in seen["nodes"]] == [rule["id"]], headers
    decision = await own_check(gateway, employee, alpha.company.id, "+44 20 7946 0958")
    assert (decision["allowed"], decision["reason"]) == (False, "SUBSCRIBER_RULE")
    assert decision["rule"] == {"id": rule["id"], "scope": "SUBSCRIBER"}
    assert decision["explanation"].startswith(
        f"Denied by your company's rule #{rule['ruleNumber']} (deny +44)")

    changed = await payload_of(gateway, UPDATE, own, id=rule["id"], prefix="+44 20")
    assert changed["errors"] == [] and changed["restriction"]["prefixes"] == ["+4420"]
    assert (await own_check(gateway, own, alpha.company.id, "+44 161 496 0000"))["allowed"]
    assert not (await own_check(gateway, own, alpha.company.id, "+44 20 7946 0958"))["allowed"]

    deleted = await payload_of(gateway, DELETE, own, id=rule["id"])
    assert deleted == {"deletedId": rule["id"], "errors": []}
    assert (await own_check(gateway, own, alpha.company.id, "+442079460958"))["reason"] == (
        "NO_RULE")

    # Reseller staff see what the company admin did, in the audit log.
    entries = (await gateway.graphql(AUDIT, None, **staff))["data"]["auditLog"]["nodes"]
    done = [(e["fieldName"], e["outcome"], e["via"]) for e in entries
            if e["actor"] == {"login": alpha.company_admin.login}]
    assert sorted(done) == [("createCallRestriction", "OK", "COMPANY_ADMIN"),
                            ("deleteCallRestriction", "OK", "COMPANY_ADMIN"),
                            ("updateCallRestriction", "OK", "COMPANY_ADMIN")]
    assert all(e["account"] == {"name": alpha.company.name} for e in entries
               if e["actor"] == {"login": alpha.company_admin.login})


async def test_staff_manage_an_accounts_own_rules_too(gateway: Gateway) -> None:
    alpha = await make_tenant("Alpha")
    staff = await bearer_for(alpha.admin)
    account = gid("Account", alpha.company.id)
    missing = await create(gateway, staff, scope="SUBSCRIBER", action="DENY", prefix="44")
    assert missing["errors"][0]["code"] == "REQUIRED"
    made = await create(gateway, staff, scope="SUBSCRIBER", action="DENY", prefix="44",
                        accountId=account)
    assert made["errors"] == []
    seen = await listed(gateway, await bearer_for(alpha.company_admin), "SUBSCRIBER")
    assert [n["id"] for n in seen["nodes"]] == [made["restriction"]["id"]]
    # An account's own rule is not a wider rule: there is no exception to it.
    lifted = await gateway.graphql(
        """mutation($input: CreateCallRestrictionExceptionInput!) {
             createCallRestrictionException(input: $input) { errors { code } } }""",
        {"input": {"accountId": account, "restrictionId": made["restriction"]["id"]}}, **staff)
    assert lifted["data"]["createCallRestrictionException"]["errors"] == [{"code": "NOT_WIDER"}]
    changed = await payload_of(gateway, UPDATE, staff, id=made["restriction"]["id"],
                               action="ALLOW")
    assert changed["errors"] == []
    assert (await payload_of(gateway, DELETE, staff, id=made["restriction"]["id"]))[
        "errors"] == []


async def test_employees_read_and_check_only_and_staff_levels_stay_staffs(
        gateway: Gateway) -> None:
    alpha = await make_tenant("Alpha")
    staff = await bearer_for(alpha.admin)
    own = await bearer_for(alpha.company_admin)
    employee = await bearer_for(alpha.employee)
    reseller_rule = (await create(gateway, staff, scope="RESELLER", action="DENY",
                                  prefix="882"))["restriction"]
    own_rule = (await create(gateway, own, scope="SUBSCRIBER", action="DENY",
                             prefix="44"))["restriction"]

    for query, values in ((CREATE, {"scope": "SUBSCRIBER", "action": "DENY", "prefix": "34"}),
                          (UPDATE, {"id": own_rule["id"], "action": "ALLOW"}),
                          (DELETE, {"id": own_rule["id"]})):
        refused = await gateway.graphql(query, {"input": values}, **employee)
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN", query
    # The account's users create the own level only, and never see nor touch the staff ones.
    for scope in ("SYSTEM", "RESELLER", "ACCOUNT"):
        made = await create(gateway, own, scope=scope, action="ALLOW", prefix="882")
        assert (made["errors"][0]["code"], made["errors"][0]["field"]) == (
            "NOT_ALLOWED", ["input", "scope"])
        assert (await listed(gateway, own, scope, alpha.company.id))["totalCount"] == 0
    for query, values in ((UPDATE, {"id": reseller_rule["id"], "action": "ALLOW"}),
                          (DELETE, {"id": reseller_rule["id"]})):
        assert (await payload_of(gateway, query, own, **values))["errors"][0]["code"] == (
            "NOT_FOUND")
    node = await gateway.graphql(NODE, {"id": reseller_rule["id"]}, **own)
    assert node["data"]["node"] is None
    node = await gateway.graphql(NODE, {"id": own_rule["id"]}, **employee)
    assert node["data"]["node"] == {"id": own_rule["id"]}
    assert await CallRestriction.filter(scope="SUBSCRIBER").count() == 1
    assert await CallRestriction.get(id=reseller_rule["ruleNumber"]).values_list(
        "action", flat=True) == "DENY"


async def test_another_accounts_and_tenants_ids_are_not_found(gateway: Gateway) -> None:
    alpha = await make_tenant("Alpha")
    beta = await make_tenant("Beta")
    own = await bearer_for(alpha.company_admin)
    neighbour = alpha.professional_account  # same reseller, another account
    pro_rule = (await create(gateway, await bearer_for(alpha.professional), scope="SUBSCRIBER",
                             action="DENY", prefix="33"))["restriction"]
    beta_rule = (await create(gateway, await bearer_for(beta.company_admin),
                              scope="SUBSCRIBER", action="DENY", prefix="33"))["restriction"]
    for account in (neighbour, beta.company):
        made = await create(gateway, own, scope="SUBSCRIBER", action="DENY", prefix="34",
                            accountId=gid("Account", account.id))
        assert (made["errors"][0]["code"], made["errors"][0]["field"]) == (
            "NOT_FOUND", ["input", "accountId"])
        assert (await listed(gateway, own, "SUBSCRIBER", account.id))["totalCount"] == 0
        result = await gateway.graphql(CHECK, {"accountId": gid("Account", account.id),
                                               "number": PARIS}, **own)
        assert result["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    for rule in (pro_rule, beta_rule):
        for query, values in ((UPDATE, {"id": rule["id"], "action": "ALLOW"}),
                              (DELETE, {"id": rule["id"]})):
            payload = await payload_of(gateway, query, own, **values)
            assert payload["errors"][0]["code"] == "NOT_FOUND", (query, rule)
    # Another reseller's staff do not see an account's own rules either.
    beta_staff = await bearer_for(beta.admin)
    assert (await listed(gateway, beta_staff, "SUBSCRIBER"))["nodes"] == [
        {"id": beta_rule["id"], "scope": "SUBSCRIBER", "action": "DENY", "prefixes": ["+33"],
         "account": {"id": gid("Account", beta.company.id)}}]
    payload = await payload_of(gateway, DELETE, beta_staff, id=pro_rule["id"])
    assert payload["errors"][0]["code"] == "NOT_FOUND"
    assert await CallRestriction.filter(scope="SUBSCRIBER", action="DENY").count() == 2


async def test_a_staff_deny_stays_denied_whatever_the_account_allows(gateway: Gateway) -> None:
    alpha = await make_tenant("Alpha")
    staff = await bearer_for(alpha.admin)
    denied = (await create(gateway, staff, scope="RESELLER", action="DENY",
                           country="FR"))["restriction"]
    # A subscriber ALLOW can be created (it carves inside the account's own DENYs), but it
    # never opens what staff closed.
    opened = (await create(gateway, await bearer_for(alpha.company_admin), scope="SUBSCRIBER",
                           action="ALLOW", country="FR", areaCode="01"))["restriction"]
    for language, words in (("en", "cannot open it"), ("fr", "ne peut l'ouvrir")):
        alpha.employee.language = language
        await alpha.employee.save()
        headers = await bearer_for(await User.get(id=alpha.employee.id))
        decision = await own_check(gateway, headers, alpha.company.id, PARIS)
        assert (decision["allowed"], decision["reason"]) == (False, "RESELLER_RULE")
        assert decision["rule"]["id"] == denied["id"]
        assert decision["overruledRule"] == {"id": opened["id"]}
        assert words in decision["explanation"]
        assert f"#{opened['ruleNumber']}" in decision["explanation"] or (
            f"no {opened['ruleNumber']}" in decision["explanation"])
    assert (await own_check(gateway, staff, alpha.company.id, LYON))["overruledRule"] is None


async def test_a_staff_allow_is_narrowed_by_the_accounts_own_rules(gateway: Gateway) -> None:
    alpha = await make_tenant("Alpha")
    staff = await bearer_for(alpha.admin)
    own = await bearer_for(alpha.company_admin)
    allowed = (await create(gateway, staff, scope="RESELLER", action="ALLOW",
                            prefix="33"))["restriction"]
    deny = (await create(gateway, own, scope="SUBSCRIBER", action="DENY", prefix="33"))[
        "restriction"]
    carve = (await create(gateway, own, scope="SUBSCRIBER", action="ALLOW", prefix="331"))[
        "restriction"]

    lyon = await own_check(gateway, own, alpha.company.id, LYON)
    assert (lyon["allowed"], lyon["reason"], lyon["rule"]["id"]) == (
        False, "SUBSCRIBER_RULE", deny["id"])
    paris = await own_check(gateway, own, alpha.company.id, PARIS)
    assert (paris["allowed"], paris["reason"], paris["rule"]["id"]) == (
        True, "SUBSCRIBER_RULE", carve["id"])
    assert "within what your reseller allows" in paris["explanation"]
    # Unrelated numbers: the staff rule (or none) decides as before.
    assert (await own_check(gateway, own, alpha.company.id, "+34 912 345 678"))["reason"] == (
        "NO_RULE")
    staff_view = await check(gateway, staff, alpha.company.id, LYON)
    assert (staff_view["allowed"], staff_view["rule"]["id"]) == (False, deny["id"])

    # Other accounts of the reseller keep the reseller's allow.
    pro = await own_check(gateway, await bearer_for(alpha.professional),
                          alpha.professional_account.id, LYON)
    assert (pro["allowed"], pro["rule"]["id"]) == (True, allowed["id"])

    alpha.company_admin.language = "fr"
    await alpha.company_admin.save()
    french = await own_check(gateway, await bearer_for(await User.get(id=alpha.company_admin.id)),
                             alpha.company.id, LYON)
    assert french["explanation"].startswith(
        f"Refusé par la règle de votre entreprise no {deny['ruleNumber']}")
    professional = await bearer_for(alpha.professional)
    await create(gateway, professional, scope="SUBSCRIBER", action="DENY", prefix="33")
    pro = await own_check(gateway, professional, alpha.professional_account.id, LYON)
    assert pro["explanation"].startswith("Denied by your own rule #")


async def test_the_resellers_management_restrictions_refuse_the_accounts_own_users(
        gateway: Gateway) -> None:
    alpha = await make_tenant("Alpha")
    staff = await bearer_for(alpha.admin)
    cases = [(alpha.company, alpha.company_admin, "forbid_user_management",
              "Votre fournisseur ne permet pas"),
             (alpha.professional_account, alpha.professional, "admin_managed",
              "géré par l'administrateur")]
    for account, user, flag, words in cases:
        own = await bearer_for(user)
        rule = (await create(gateway, own, scope="SUBSCRIBER", action="DENY", prefix="44"))[
            "restriction"]
        await AccountOptions.update_or_create(account_id=account.id, defaults={flag: True})
        user.language = "fr"
        await user.save()
        own = await bearer_for(await User.get(id=user.id))
        for query, values in ((CREATE, {"scope": "SUBSCRIBER", "action": "DENY",
                                         "prefix": "34"}),
                              (UPDATE, {"id": rule["id"], "action": "ALLOW"}),
                              (DELETE, {"id": rule["id"]})):
            [error] = (await payload_of(gateway, query, own, **values))["errors"]
            assert error["code"] == "MANAGED_BY_PROVIDER", (flag, query)
            assert words in error["message"] and "restrictions d'appels" in error["message"]
        assert await CallRestriction.filter(account_id=account.id).values_list(
            "action", flat=True) == ["DENY"]
        # The account's users still read and check; the reseller's staff still manage.
        assert (await listed(gateway, own, "SUBSCRIBER"))["totalCount"] == 1
        assert not (await own_check(gateway, own, account.id, "+442079460958"))["allowed"]
        made = await create(gateway, staff, scope="SUBSCRIBER", action="DENY", prefix="34",
                            accountId=gid("Account", account.id))
        assert made["errors"] == []
        assert (await payload_of(gateway, DELETE, staff, id=rule["id"]))["errors"] == []


async def test_an_account_has_at_most_so_many_own_rules(gateway: Gateway) -> None:
    alpha = await make_tenant("Alpha")
    own = await bearer_for(alpha.company_admin)
    await CallRestriction.bulk_create([
        CallRestriction(scope=RestrictionScope.SUBSCRIBER, reseller_id=alpha.reseller.id,
                        account_id=alpha.company.id, action=RestrictionAction.DENY,
                        target=RestrictionTarget.PREFIX, prefix=str(1000 + n))
        for n in range(services.MAX_SUBSCRIBER_RULES - 1)])
    assert (await create(gateway, own, scope="SUBSCRIBER", action="DENY", prefix="33"))[
        "errors"] == []
    refused = await create(gateway, own, scope="SUBSCRIBER", action="DENY", prefix="34")
    [error] = refused["errors"]
    assert (error["code"], error["field"]) == ("LIMIT_REACHED", ["input", "scope"])
    assert "at most 200" in error["message"]
    staff = await create(gateway, await bearer_for(alpha.admin), scope="SUBSCRIBER",
                         action="DENY", prefix="34", accountId=gid("Account", alpha.company.id))
    assert staff["errors"][0]["code"] == "LIMIT_REACHED"
    assert await CallRestriction.filter(account_id=alpha.company.id).count() == (
        services.MAX_SUBSCRIBER_RULES)
    # Other accounts and the staff levels are not counted.
    assert (await create(gateway, await bearer_for(alpha.professional), scope="SUBSCRIBER",
                         action="DENY", prefix="34"))["errors"] == []
    # The list is paginated like the other levels' (the page size is capped).
    page = await gateway.graphql(LIST, {"scope": "SUBSCRIBER", "first": 100}, **own)
    connection = page["data"]["callRestrictions"]
    assert connection["totalCount"] == services.MAX_SUBSCRIBER_RULES
    assert len(connection["nodes"]) == 100 and connection["pageInfo"]["hasNextPage"]
    too_big = await gateway.graphql(LIST, {"scope": "SUBSCRIBER", "first": 500}, **own)
    assert too_big["data"] is None
