"""Two documented rules: a signed-in user's own language wins over the request's
Accept-Language (anonymous callers get Accept-Language's, else English); and a malformed id
in a list's filter is BAD_USER_INPUT, while a well-formed id of something the caller may not
see finds nothing, as another tenant's id always does."""

from __future__ import annotations

from typing import Any

from gateway.identity.models import User
from schema.node import global_id
from tests.conftest import Gateway
from tests.support.identity_factory import bearer_for, make_tenant

AUDIT = "query($f: AuditLogFilter) { auditLog(filter: $f, first: 5) { totalCount } }"


async def _as(user: User, language: str) -> dict[str, str]:
    await User.filter(id=user.id).update(language=language)
    return await bearer_for(await User.get(id=user.id))


def _error(answer: dict[str, Any]) -> dict[str, Any]:
    assert answer.get("errors"), answer
    return answer["errors"][0]


async def test_the_users_language_wins_over_accept_language(gateway: Gateway) -> None:
    tenant = await make_tenant()
    french = await _as(tenant.admin, "fr")
    answer = await gateway.graphql(AUDIT, {"f": {"accountId": "garbage"}},
                                   **{**french, "Accept-Language": "en-US,en;q=0.9"})
    assert _error(answer)["message"].startswith("'garbage' n'est pas un identifiant de Account")
    english = await _as(tenant.admin, "en")
    answer = await gateway.graphql(AUDIT, {"f": {"accountId": "garbage"}},
                                   **{**english, "Accept-Language": "fr-CA,fr;q=0.9"})
    assert _error(answer)["message"].startswith("'garbage' is not an id of Account")


async def test_anonymous_callers_get_accept_languages_language(gateway: Gateway) -> None:
    query = 'mutation { login(input: {login: "nobody@example.com", password: "Wrong-pass1!"}) '
    query += "{ errors { code message } } }"
    french = await gateway.graphql(query, **{"Accept-Language": "fr-CA,fr;q=0.9,en;q=0.8"})
    english = await gateway.graphql(query, **{"Accept-Language": "de, en;q=0.5"})
    default = await gateway.graphql(query)
    [fr] = french["data"]["login"]["errors"]
    [en] = english["data"]["login"]["errors"]
    [neither] = default["data"]["login"]["errors"]
    assert fr["code"] == en["code"] and fr["message"] != en["message"]
    assert neither["message"] == en["message"]


async def test_a_malformed_id_in_a_filter_is_bad_user_input(gateway: Gateway) -> None:
    tenant = await make_tenant()
    headers = await _as(tenant.admin, "en")
    for bad in ("garbage", "QWNjb3VudDp4", "Account:12", " "):  # "QWNj…" is "Account:x"
        error = _error(await gateway.graphql(AUDIT, {"f": {"accountId": bad}}, **headers))
        assert error["extensions"]["code"] == "BAD_USER_INPUT", error
        assert error["extensions"]["field"] == ["filter", "accountId"]
    # Well-formed: an account of another tenant, an id of another type, a number no row can
    # have find nothing, without saying whether anything exists.
    other = await make_tenant("Beta Telecom")
    for fine in (global_id("Account", other.company.id), global_id("User", tenant.admin.id),
                 "99999999999999999999"):
        answer = await gateway.graphql(AUDIT, {"f": {"accountId": fine}}, **headers)
        assert "errors" not in answer and answer["data"]["auditLog"]["totalCount"] == 0


async def test_the_plugins_lists_refuse_a_malformed_account_id_too(gateway: Gateway) -> None:
    tenant = await make_tenant()
    headers = await _as(tenant.admin, "en")
    queries = [
        'query { callRestrictions(scope: ACCOUNT, accountId: "zzz") { totalCount } }',
        'query { organizationDirectory(accountId: "zzz") { totalCount } }',
    ]
    for query in queries:
        error = _error(await gateway.graphql(query, **headers))
        assert error["extensions"]["code"] == "BAD_USER_INPUT", (query, error)
        assert error["extensions"]["field"] == ["accountId"]
    # A plain account number is still an id, and another tenant's finds nothing.
    other = await make_tenant("Beta Telecom")
    answer = await gateway.graphql(
        f'query {{ organizationDirectory(accountId: "{other.company.id}") {{ totalCount }} }}',
        **headers)
    assert "errors" not in answer and answer["data"]["organizationDirectory"]["totalCount"] == 0
