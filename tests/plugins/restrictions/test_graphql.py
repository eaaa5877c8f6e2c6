"""The GraphQL of call restrictions: rules and exceptions at each level, who may manage what,
tenancy (another reseller's ids are not found), checkCall, and query counts."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from strawberry.relay import to_base64

from gateway.identity.models import ResellerDelegate, User, UserRole
from plugins.restrictions.models import CallRestriction
from tests.conftest import Gateway
from tests.support.identity_factory import Tenant, bearer_for, make_tenant, make_user

CREATE = """mutation($input: CreateCallRestrictionInput!) {
  createCallRestriction(input: $input) {
    restriction { id ruleNumber scope action target country areaCode prefixes description
                  account { id } }
    errors { code field message } } }"""
UPDATE = """mutation($input: UpdateCallRestrictionInput!) {
  updateCallRestriction(input: $input) {
    restriction { id action target prefixes } errors { code field message } } }"""
DELETE = """mutation($input: DeleteCallRestrictionInput!) {
  deleteCallRestriction(input: $input) { deletedId errors { code field message } } }"""
EXCEPT = """mutation($input: CreateCallRestrictionExceptionInput!) {
  createCallRestrictionException(input: $input) {
    exception { id account { id } restriction { id } } errors { code field message } } }"""
UNEXCEPT = """mutation($input: DeleteCallRestrictionExceptionInput!) {
  deleteCallRestrictionException(input: $input) { deletedId errors { code field } } }"""
LIST = """query($scope: CallRestrictionScope!, $accountId: ID, $first: Int, $after: String) {
  callRestrictions(scope: $scope, accountId: $accountId, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { id action prefixes description } } }"""
EXCEPTIONS = """query($accountId: ID!) {
  callRestrictionExceptions(accountId: $accountId) {
    totalCount nodes { id restriction { id } } } }"""
CHECK = """query($accountId: ID!, $number: String!) {
  checkCall(accountId: $accountId, number: $number) {
    allowed number reason explanation matchedPrefix rule { id } exception { id } } }"""


def gid(kind: str, pk: int) -> str:
    return to_base64(kind, pk)


async def sysadmin() -> dict[str, str]:
    user = await make_user(UserRole.SYSTEM_ADMIN)
    return await bearer_for(user)


async def create(gateway: Gateway, headers: dict[str, str], **values: Any) -> dict[str, Any]:
    result = await gateway.graphql(CREATE, {"input": values}, **headers)
    return result["data"]["createCallRestriction"]


async def check(gateway: Gateway, headers: dict[str, str], account_id: int,
                number: str) -> dict[str, Any]:
    result = await gateway.graphql(CHECK, {"accountId": gid("Account", account_id),
                                           "number": number}, **headers)
    assert "errors" not in result, result
    return result["data"]["checkCall"]


async def test_a_reseller_manages_its_rules_and_check_call_explains(gateway: Gateway) -> None:
    alpha = await make_tenant("Alpha")
    admin = await bearer_for(alpha.admin)
    account = gid("Account", alpha.company.id)

    created = await create(gateway, admin, scope="RESELLER", action="DENY", country="FR")
    assert created["errors"] == []
    rule = created["restriction"]
    assert (rule["scope"], rule["target"], rule["prefixes"]) == ("RESELLER", "COUNTRY", ["+33"])
    assert rule["description"] == "France (+33)"

    decision = await check(gateway, admin, alpha.company.id, "+33 1 23 45 67 89")
    assert (decision["allowed"], decision["reason"]) == (False, "RESELLER_RULE")
    assert decision["rule"]["id"] == rule["id"] and decision["number"] == "+33123456789"
    assert f"#{rule['ruleNumber']}" in decision["explanation"]
    assert "France (+33)" in decision["explanation"] and decision["matchedPrefix"] == "+33"

    # The account's own rule (the Rest icon) is more specific: Paris is allowed.
    own = await create(gateway, admin, scope="ACCOUNT", accountId=account, action="ALLOW",
                       country="FR", areaCode="01")
    assert own["restriction"]["prefixes"] == ["+331"]
    assert own["restriction"]["account"]["id"] == account
    decision = await check(gateway, admin, alpha.company.id, "0033 1 23 45 67 89")
    assert (decision["allowed"], decision["reason"]) == (True, "ACCOUNT_RULE")

    # Edit: the account rule now denies; the answer changes at once.
    edited = await gateway.graphql(UPDATE, {"input": {"id": own["restriction"]["id"],
                                                      "action": "DENY"}}, **admin)
    assert edited["data"]["updateCallRestriction"]["restriction"]["action"] == "DENY"
    decision = await check(gateway, admin, alpha.company.id, "+33123456789")
    assert (decision["allowed"], decision["reason"]) == (False, "ACCOUNT_RULE")

    # In French for a French reader.
    alpha.admin.language = "fr"
    await alpha.admin.save()
    decision = await check(gateway, await bearer_for(alpha.admin), alpha.company.id,
                           "+33123456789")
    assert decision["explanation"].startswith("Refusé par la règle du compte")

    deleted = await gateway.graphql(DELETE, {"input": {"id": own["restriction"]["id"]}},
                                    **admin)
    assert deleted["data"]["deleteCallRestriction"]["deletedId"] == own["restriction"]["id"]
    listed = await gateway.graphql(LIST, {"scope": "ACCOUNT", "accountId": account}, **admin)
    assert listed["data"]["callRestrictions"]["totalCount"] == 0
    listed = await gateway.graphql(LIST, {"scope": "RESELLER"}, **admin)
    assert [n["id"] for n in listed["data"]["callRestrictions"]["nodes"]] == [rule["id"]]


async def test_exceptions_lift_a_reseller_rule_for_one_account(gateway: Gateway) -> None:
    alpha = await make_tenant("Alpha")
    admin = await bearer_for(alpha.admin)
    rule = (await create(gateway, admin, scope="RESELLER", action="DENY",
                         prefix="+44"))["restriction"]
    account = gid("Account", alpha.company.id)
    made = await gateway.graphql(EXCEPT, {"input": {"accountId": account,
                                                    "restrictionId": rule["id"]}}, **admin)
    exception = made["data"]["createCallRestrictionException"]
    assert exception["errors"] == [] and exception["exception"]["restriction"]["id"] == rule["id"]

    decision = await check(gateway, admin, alpha.company.id, "+44 20 7946 0958")
    assert (decision["allowed"], decision["reason"]) == (True, "EXCEPTION")
    assert decision["exception"]["id"] == exception["exception"]["id"]
    other = await check(gateway, admin, alpha.professional_account.id, "+44 20 7946 0958")
    assert (other["allowed"], other["reason"]) == (False, "RESELLER_RULE")

    again = await gateway.graphql(EXCEPT, {"input": {"accountId": account,
                                                     "restrictionId": rule["id"]}}, **admin)
    assert again["data"]["createCallRestrictionException"]["errors"][0]["code"] == \
        "ALREADY_EXISTS"
    listed = await gateway.graphql(EXCEPTIONS, {"accountId": account}, **admin)
    assert listed["data"]["callRestrictionExceptions"]["totalCount"] == 1

    removed = await gateway.graphql(UNEXCEPT, {"input": {"id": exception["exception"]["id"]}},
                                    **admin)
    assert removed["data"]["deleteCallRestrictionException"]["errors"] == []
    decision = await check(gateway, admin, alpha.company.id, "+442079460958")
    assert decision["allowed"] is False


async def test_an_account_rule_cannot_be_excepted(gateway: Gateway) -> None:
    alpha = await make_tenant("Alpha")
    admin = await bearer_for(alpha.admin)
    account = gid("Account", alpha.company.id)
    rule = (await create(gateway, admin, scope="ACCOUNT", accountId=account, action="DENY",
                         prefix="44"))["restriction"]
    made = await gateway.graphql(EXCEPT, {"input": {"accountId": account,
                                                    "restrictionId": rule["id"]}}, **admin)
    assert made["data"]["createCallRestrictionException"]["errors"][0]["code"] == "NOT_WIDER"


async def test_system_rules_belong_to_system_admins(gateway: Gateway) -> None:
    alpha = await make_tenant("Alpha")
    admin = await bearer_for(alpha.admin)
    root = await sysadmin()
    refused = await create(gateway, admin, scope="SYSTEM", action="DENY", prefix="882")
    assert refused["errors"][0]["code"] == "NOT_ALLOWED"

    rule = (await create(gateway, root, scope="SYSTEM", action="DENY", prefix="882"))
    assert rule["errors"] == []
    rule_id = rule["restriction"]["id"]
    # Reseller staff read the system rules (they apply to their accounts) but cannot change
    # them nor lift them.
    listed = await gateway.graphql(LIST, {"scope": "SYSTEM"}, **admin)
    assert [n["id"] for n in listed["data"]["callRestrictions"]["nodes"]] == [rule_id]
    for query, values in ((UPDATE, {"id": rule_id, "action": "ALLOW"}), (DELETE, {"id": rule_id})):
        result = await gateway.graphql(query, {"input": values}, **admin)
        payload = next(iter(result["data"].values()))
        assert payload["errors"][0]["code"] == "NOT_ALLOWED"
    lifted = await gateway.graphql(EXCEPT, {"input": {"accountId": gid("Account", alpha.company.id),
                                                      "restrictionId": rule_id}}, **admin)
    assert lifted["data"]["createCallRestrictionException"]["errors"][0]["code"] == "NOT_ALLOWED"
    lifted = await gateway.graphql(EXCEPT, {"input": {"accountId": gid("Account", alpha.company.id),
                                                      "restrictionId": rule_id}}, **root)
    assert lifted["data"]["createCallRestrictionException"]["errors"] == []

    # A system admin makes a reseller-wide rule by naming the reseller.
    made = await create(gateway, root, scope="RESELLER", action="DENY", prefix="881",
                        resellerId=gid("Reseller", alpha.reseller.id))
    assert made["errors"] == []
    assert await CallRestriction.filter(reseller_id=alpha.reseller.id).count() == 1


async def test_subscribers_check_their_own_account_only(gateway: Gateway) -> None:
    """The account's users check calls of their own account (test_subscriber.py: their own
    rules); any other account is not found."""
    alpha = await make_tenant("Alpha")
    for user, own, other in ((alpha.company_admin, alpha.company, alpha.professional_account),
                             (alpha.employee, alpha.company, alpha.professional_account),
                             (alpha.professional, alpha.professional_account, alpha.company)):
        headers = await bearer_for(user)
        assert (await check(gateway, headers, own.id, "+33123456789"))["allowed"] is True
        result = await gateway.graphql(CHECK, {"accountId": gid("Account", other.id),
                                               "number": "+33123456789"}, **headers)
        assert result["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_input_errors_are_payload_errors(gateway: Gateway) -> None:
    alpha = await make_tenant("Alpha")
    admin = await bearer_for(alpha.admin)
    cases = [
        ({"country": "FR", "prefix": "33"}, "ONE_TARGET", ["input", "prefix"]),
        ({}, "ONE_TARGET", ["input", "country"]),
        ({"areaCode": "514"}, "REQUIRED", ["input", "country"]),
        ({"country": "XX"}, "INVALID_COUNTRY", ["input", "country"]),
        ({"country": "CA", "areaCode": "5a4"}, "INVALID_AREA_CODE", ["input", "areaCode"]),
        ({"prefix": "+0"}, "INVALID_PREFIX", ["input", "prefix"]),
        ({"prefix": "1234567890123456"}, "INVALID_PREFIX", ["input", "prefix"]),
    ]
    for target, code, path in cases:
        payload = await create(gateway, admin, scope="RESELLER", action="DENY", **target)
        assert payload["restriction"] is None
        assert (payload["errors"][0]["code"], payload["errors"][0]["field"]) == (code, path), \
            target
    missing = await create(gateway, admin, scope="ACCOUNT", action="DENY", prefix="33")
    assert missing["errors"][0]["code"] == "REQUIRED"
    assert await CallRestriction.all().count() == 0


async def test_an_unparseable_number_is_an_error_not_a_denial(gateway: Gateway) -> None:
    alpha = await make_tenant("Alpha")
    admin = await bearer_for(alpha.admin)
    for number in ("not a number", "1-800-FLOWERS", "12", ""):
        result = await gateway.graphql(CHECK, {"accountId": gid("Account", alpha.company.id),
                                               "number": number}, **admin)
        assert result["data"] is None, number
        assert result["errors"][0]["extensions"]["code"] == "INVALID_NUMBER"
        assert "is not a phone number" in result["errors"][0]["message"]


async def test_another_resellers_ids_are_not_found(gateway: Gateway) -> None:
    alpha = await make_tenant("Alpha")
    beta = await make_tenant("Beta")
    admin = await bearer_for(alpha.admin)
    beta_admin = await bearer_for(beta.admin)
    beta_account = gid("Account", beta.company.id)
    beta_rule = (await create(gateway, beta_admin, scope="ACCOUNT", accountId=beta_account,
                              action="DENY", prefix="33"))["restriction"]["id"]
    beta_reseller_rule = (await create(gateway, beta_admin, scope="RESELLER", action="DENY",
                                       prefix="34"))["restriction"]["id"]

    result = await gateway.graphql(CHECK, {"accountId": beta_account, "number": "+33123456789"},
                                   **admin)
    assert result["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    for query, values in (
        (UPDATE, {"id": beta_rule, "action": "ALLOW"}), (DELETE, {"id": beta_rule}),
        (EXCEPT, {"accountId": gid("Account", alpha.company.id),
                  "restrictionId": beta_reseller_rule}),
        (EXCEPT, {"accountId": beta_account, "restrictionId": beta_reseller_rule}),
    ):
        result = await gateway.graphql(query, {"input": values}, **admin)
        payload = next(iter(result["data"].values()))
        assert payload["errors"][0]["code"] == "NOT_FOUND", (query, payload)
    made = await create(gateway, admin, scope="ACCOUNT", accountId=beta_account, action="ALLOW",
                        prefix="33")
    assert made["errors"][0]["code"] == "NOT_FOUND"
    made = await create(gateway, admin, scope="RESELLER", action="ALLOW", prefix="33",
                        resellerId=gid("Reseller", beta.reseller.id))
    assert made["errors"][0]["code"] == "NOT_FOUND"
    for scope in ("ACCOUNT", "RESELLER"):
        listed = await gateway.graphql(LIST, {"scope": scope, "accountId": beta_account},
                                       **admin)
        assert listed["data"]["callRestrictions"]["totalCount"] == 0
    node = await gateway.graphql("query($id: ID!) { node(id: $id) { id } }", {"id": beta_rule},
                                 **admin)
    assert node["data"]["node"] is None
    assert await CallRestriction.filter(reseller_id=beta.reseller.id).count() == 2


async def test_a_delegate_and_an_integrator_act_for_their_reseller(gateway: Gateway) -> None:
    alpha = await make_tenant("Alpha")
    delegate = alpha.company_admin
    await ResellerDelegate.create(reseller=alpha.reseller, user=delegate)
    headers = await bearer_for(await User.get(id=delegate.id))
    made = await create(gateway, headers, scope="RESELLER", action="DENY", prefix="33")
    assert made["errors"] == [], made
    rule = await CallRestriction.get(id=int(made["restriction"]["ruleNumber"]))
    assert rule.reseller_id == alpha.reseller.id


async def test_list_query_count_does_not_grow_with_page_size(
    gateway: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    alpha: Tenant = await make_tenant("Alpha")
    admin = await bearer_for(alpha.admin)
    for prefix in range(31, 39):
        await create(gateway, admin, scope="RESELLER", action="DENY", prefix=str(prefix))

    async def count_queries(first: int) -> int:
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="tortoise.db_client"):
            result = await gateway.graphql(LIST, {"scope": "RESELLER", "first": first}, **admin)
        assert len(result["data"]["callRestrictions"]["nodes"]) == first
        return sum(1 for r in caplog.records if r.name == "tortoise.db_client"
                   and r.getMessage().lstrip().upper().startswith("SELECT")
                   and "restrictions_rule" in r.getMessage())

    assert await count_queries(1) == await count_queries(8) == 2  # the count and the page
