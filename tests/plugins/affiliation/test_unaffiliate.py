"""Désaffilier un compte: the account leaves the shared directory, and the plugins that keep
groups and call-forwarding schedules warn about what pointed at the extensions that leave
(``gateway_extension_references``, implemented here by ``references_plugin``)."""

from __future__ import annotations

from gateway.identity.models import Account
from tests.plugins.affiliation import references_plugin
from tests.plugins.affiliation.conftest import World, emails_queued, gid, snapshot


async def _affiliated(world: World) -> None:
    token = (await world.proposal(world.branch))["proposal"]["token"]
    assert (await world.affiliate(world.branch, token=token))["errors"] == []  # admin → 140


def _names(page: dict) -> set[int]:  # type: ignore[type-arg]
    return {node["accountNumber"] for node in page["nodes"]}


async def test_unaffiliating_shrinks_the_directory_and_warns(world: World) -> None:
    await _affiliated(world)
    org, branch = world.org, world.branch
    # The organisation's night schedule and sales group send calls to the branch's 102 and
    # 140 (and to its own 101); the branch's reception group to the organisation's 100.
    references_plugin.GROUPS[org.id] = {("GROUP", "Ventes"): ["140", "101"],
                                        ("CALL_FORWARDING", "Horaire de nuit"): ["102"]}
    references_plugin.GROUPS[branch.id] = {("GROUP", "Accueil"): ["100"]}
    assert _names(await world.directory(org, "org employee")) == {org.id, branch.id}

    expected = [
        {"account": {"accountNumber": org.id}, "extension": "102", "kind": "CALL_FORWARDING",
         "message": "Horaire de nuit sends calls to 102."},
        {"account": {"accountNumber": org.id}, "extension": "140", "kind": "GROUP",
         "message": "Ventes sends calls to 140."},
        {"account": {"accountNumber": branch.id}, "extension": "100", "kind": "GROUP",
         "message": "Accueil sends calls to 100."},
    ]
    # Beforehand, the same warnings, and nothing changes.
    before = await snapshot()
    preview = await world.call("staff", """query($a: ID!) { unaffiliationWarnings(accountId: $a) {
        account { accountNumber } extension kind message } }""", a=gid(branch))
    assert preview["unaffiliationWarnings"] == expected
    assert await snapshot() == before

    done = await world.unaffiliate(branch)
    assert done["errors"] == []
    assert done["account"] == {"accountNumber": branch.id, "orgId": branch.id}
    assert done["formerOrganization"] == {"accountNumber": org.id}
    assert done["warnings"] == expected
    # The hook got the remaining accounts with the leaving extensions, then the reverse.
    assert references_plugin.calls[-2:] == [([org.id], ["102", "140", "501", "700"]),
                                            ([branch.id], ["100", "101", "500"])]
    assert (await Account.get(id=branch.id)).organization_id is None  # type: ignore[attr-defined]
    # Extensions stay as they are; only the directory is no longer shared.
    assert _names(await world.directory(org, "org employee")) == {org.id}
    assert _names(await world.directory(branch, "branch employee")) == {branch.id}
    assert (await world.directory(org, "branch employee"))["totalCount"] == 0
    assert await emails_queued() == 0  # notify: false

    again = await world.unaffiliate(branch)
    assert [e["code"] for e in again["errors"]] == ["NOT_AFFILIATED"]


async def test_a_failing_plugin_is_named_and_the_unaffiliation_done(world: World) -> None:
    await _affiliated(world)
    references_plugin.FAIL[0] = True
    done = await world.unaffiliate(world.branch)
    assert done["errors"] == []
    assert {(w["kind"], w["message"]) for w in done["warnings"]} == {
        ("CHECK_FAILED", "The references of plugin references could not be checked.")}
    assert (await Account.get(id=world.branch.id)).organization_id is None  # type: ignore[attr-defined]


async def test_only_staff_unaffiliate_and_another_resellers_id_is_not_found(
    world: World,
) -> None:
    await _affiliated(world)
    result = await world.gateway.graphql(
        """mutation($input: UnaffiliateAccountInput!) { unaffiliateAccount(input: $input) {
        errors { code } } }""", {"input": {"accountId": gid(world.branch)}},
        **world.headers["org admin"])
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    refused = await world.unaffiliate(world.branch, who="beta staff")
    assert refused["errors"] == [{"code": "NOT_FOUND", "field": ["input", "accountId"],
                                  "message": "No such account."}]
    assert await world.call("beta staff", """query($a: ID!) { unaffiliationWarnings(
        accountId: $a) { kind } }""", a=gid(world.branch)) == {"unaffiliationWarnings": []}
    assert (await Account.get(id=world.branch.id)).organization_id == world.org.id  # type: ignore[attr-defined]
