"""Affilier un compte à une organisation: the proposal (every clash and a free replacement in
the account's own ranges), cancel (nothing changes), accept (everything in one transaction),
a stale proposal refused, and the refusals."""

from __future__ import annotations

from strawberry.relay import to_base64

from gateway.identity.models import Account, User
from plugins.account_settings.models import ExtensionReservation
from tests.plugins.affiliation.conftest import (
    World,
    emails_queued,
    gid,
    give,
    snapshot,
)
from tests.support.identity_factory import make_account, make_user


async def test_an_account_without_clashes_joins_without_a_token(world: World) -> None:
    pro = world.alpha.professional_account
    await give(world.alpha.professional, "250")
    payload = await world.proposal(pro)
    assert payload["errors"] == []
    assert payload["proposal"]["changes"] == []
    assert payload["proposal"]["token"].startswith("afp1_")
    assert payload["proposal"]["organization"] == {"accountNumber": world.org.id}

    done = await world.affiliate(pro)
    assert done["errors"] == [] and done["changes"] == []
    # ORGID: the organisation's id for the affiliate, its own for the organisation.
    assert done["account"] == {"accountNumber": pro.id, "orgId": world.org.id}
    assert done["organization"] == {"accountNumber": world.org.id, "orgId": world.org.id}
    assert (await Account.get(id=pro.id)).organization_id == world.org.id  # type: ignore[attr-defined]
    assert await User.get(id=world.alpha.professional.id).values_list("extension", flat=True) \
        == "250"
    listed = await world.call("staff", """query($s: String) { accounts(kind: PROFESSIONAL,
        first: 5, filter: {search: $s}) { nodes { accountNumber orgId } } }""", s=pro.name)
    assert listed["accounts"]["nodes"] == [{"accountNumber": pro.id, "orgId": world.org.id}]
    assert await emails_queued() == 0  # notify: false


async def test_the_proposal_names_every_clash_and_replaces_it_in_the_accounts_ranges(
    world: World,
) -> None:
    # A professional affiliated first holds 141: the branch's proposal avoids it too.
    await give(world.alpha.professional, "141")
    assert (await world.affiliate(world.alpha.professional_account))["errors"] == []
    third = await make_user(world.branch_admin.role, reseller=world.alpha.reseller,
                            account=world.branch)
    await give(third, "141")  # clashes with the professional
    before = await snapshot()

    payload = await world.proposal(world.branch)
    assert payload["errors"] == []
    changes = payload["proposal"]["changes"]
    admin, professional = world.alpha.company_admin, world.alpha.professional
    assert [(c["kind"], c["extension"], c["replacement"], c["name"]) for c in changes] == [
        ("USER", "100", "140", world.branch_admin.full_name),
        ("USER", "141", "142", third.full_name),
        ("GROUP", "500", "501", "Accueil"),
    ]
    assert [c["clashesWith"] for c in changes] == [
        {"kind": "USER", "extension": "100", "name": admin.full_name,
         "accountName": "Organisation Mère", "accountNumber": world.org.id},
        {"kind": "USER", "extension": "141", "name": professional.full_name,
         "accountName": world.alpha.professional_account.name,
         "accountNumber": world.alpha.professional_account.id},
        {"kind": "GROUP", "extension": "500", "name": "Ventes",
         "accountName": "Organisation Mère", "accountNumber": world.org.id},
    ]
    assert changes[0]["userId"] and changes[2]["userId"] is None
    # Asking changes nothing, and the same situation gives the same token.
    assert await snapshot() == before
    assert (await world.proposal(world.branch))["proposal"]["token"] == \
        payload["proposal"]["token"]


async def test_cancel_is_not_accepting_nothing_changes(world: World) -> None:
    before = await snapshot()
    payload = await world.proposal(world.branch)
    assert len(payload["proposal"]["changes"]) == 2
    # Saving without accepting the proposal is refused, and changes nothing either.
    refused = await world.affiliate(world.branch, notify=True)
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [
        ("PROPOSAL_REQUIRED", ["input", "proposalToken"])]
    assert refused["account"] is None
    assert await snapshot() == before
    assert await emails_queued() == 0


async def test_accepting_applies_every_change_and_the_link_at_once(world: World) -> None:
    token = (await world.proposal(world.branch))["proposal"]["token"]
    done = await world.affiliate(world.branch, token=token)
    assert done["errors"] == []
    assert [(c["extension"], c["replacement"]) for c in done["changes"]] == [
        ("100", "140"), ("500", "501")]
    assert done["account"]["orgId"] == world.org.id
    assert await User.get(id=world.branch_admin.id).values_list("extension", flat=True) == "140"
    assert await User.get(id=world.branch_employee.id).values_list("extension", flat=True) \
        == "102"
    assert sorted(await ExtensionReservation.filter(account_id=world.branch.id).values_list(
        "kind", "extension")) == [("GROUP", "501"), ("SERVICE", "700")]
    # The organisation's side is never renumbered.
    assert await User.get(id=world.alpha.company_admin.id).values_list(
        "extension", flat=True) == "100"
    # Every extension of the organisation is now unique.
    members = [world.org.id, world.branch.id]
    users = await User.filter(account_id__in=members, extension__isnull=False).values_list(
        "extension", flat=True)
    reserved = await ExtensionReservation.filter(account_id__in=members).values_list(
        "extension", flat=True)
    assert len([*users, *reserved]) == len({*users, *reserved})


async def test_a_stale_proposal_is_refused_and_a_new_one_works(world: World) -> None:
    old = (await world.proposal(world.branch))["proposal"]
    assert old["changes"][0]["replacement"] == "140"
    # Meanwhile the branch's 140 is given to someone: the proposal no longer holds.
    newcomer = await make_user(world.branch_employee.role, reseller=world.alpha.reseller,
                               account=world.branch)
    await give(newcomer, "140")
    before = await snapshot()
    refused = await world.affiliate(world.branch, token=old["token"], notify=True)
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [
        ("PROPOSAL_STALE", ["input", "proposalToken"])]
    assert "new one" in refused["errors"][0]["message"]
    assert await snapshot() == before
    assert await emails_queued() == 0

    new = (await world.proposal(world.branch))["proposal"]
    assert new["token"] != old["token"]
    assert new["changes"][0]["replacement"] == "141"
    assert (await world.affiliate(world.branch, token=new["token"]))["errors"] == []
    assert await User.get(id=world.branch_admin.id).values_list("extension", flat=True) == "141"


async def test_a_full_range_gives_no_token(world: World) -> None:
    from tests.plugins.affiliation.conftest import user_ranges

    await user_ranges(world.branch, 100, 100)  # only 100, which clashes
    payload = await world.proposal(world.branch)
    assert payload["proposal"]["token"] is None
    assert payload["proposal"]["changes"][0]["replacement"] is None
    assert [e["code"] for e in payload["errors"]] == ["RANGE_FULL"]
    assert "100-100" in payload["errors"][0]["message"]
    refused = await world.affiliate(world.branch, token="afp1_whatever")
    assert [e["code"] for e in refused["errors"]] == ["RANGE_FULL"]


async def test_refusals(world: World) -> None:
    pro = world.alpha.professional_account

    async def codes(account: Account, org: Account) -> list[tuple[str, list[str]]]:
        refused = await world.affiliate(account, org)
        assert refused["account"] is None
        asked = await world.proposal(account, org)
        assert asked["proposal"] is None
        assert [e["code"] for e in asked["errors"]] == [e["code"] for e in refused["errors"]]
        return [(e["code"], e["field"]) for e in refused["errors"]]

    before = await snapshot()
    # Only a company account becomes an organisation.
    assert await codes(world.branch, pro) == [("WRONG_ACCOUNT_KIND", ["input", "organizationId"])]
    assert await codes(world.branch, world.branch) == [
        ("SELF_AFFILIATION", ["input", "organizationId"])]
    # Another reseller's account is not found, on either side.
    assert await codes(world.branch, world.beta.company) == [
        ("NOT_FOUND", ["input", "organizationId"])]
    assert await codes(world.beta.company, world.org) == [("NOT_FOUND", ["input", "accountId"])]
    # Ids no row can have, or of another type, are not found either (never a 500).
    for bad in ("99999999999999999999", "²", to_base64("User", world.org.id), "not an id",
                to_base64("Account", "99999999999999999999")):
        refused = await world.call("staff", """mutation($input: AffiliateAccountInput!) {
            affiliateAccount(input: $input) { errors { code field } } }""", input={
            "accountId": gid(world.branch), "organizationId": bad})
        assert refused["affiliateAccount"]["errors"] == [
            {"code": "NOT_FOUND", "field": ["input", "organizationId"]}], bad
    assert await snapshot() == before

    await give(world.alpha.professional, "250")
    assert (await world.affiliate(pro))["errors"] == []
    other_org = await make_account(world.alpha.reseller, name="Autre Organisation")
    assert await codes(pro, other_org) == [("ALREADY_AFFILIATED", ["input", "accountId"])]
    # An affiliated account cannot be an organisation, and an organisation cannot join.
    assert await codes(world.branch, pro) == [
        ("WRONG_ACCOUNT_KIND", ["input", "organizationId"]),
        ("ORGANIZATION_AFFILIATED", ["input", "organizationId"])]
    assert (await world.affiliate(other_org, world.org))["errors"] == []
    assert await codes(world.branch, other_org) == [
        ("ORGANIZATION_AFFILIATED", ["input", "organizationId"])]
    assert await codes(world.org, world.branch) == [
        ("ACCOUNT_IS_ORGANIZATION", ["input", "accountId"])]
    # Unaffiliating an account that is not affiliated.
    assert [e["code"] for e in (await world.unaffiliate(world.branch))["errors"]] == [
        "NOT_AFFILIATED"]


async def test_only_the_resellers_staff_affiliate(world: World) -> None:
    variables = {"input": {"accountId": gid(world.branch), "organizationId": gid(world.org)}}
    for who in ("org admin", "branch employee", "professional"):
        result = await world.gateway.graphql(
            """mutation($input: AffiliateAccountInput!) { affiliateAccount(input: $input) {
            errors { code } } }""", variables, **world.headers[who])
        assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN", who
    result = await world.gateway.graphql(
        "query($a: ID!) { unaffiliationWarnings(accountId: $a) { kind } }",
        {"a": gid(world.branch)}, **world.headers["org admin"])
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # Beta's staff: Alpha's accounts are not found.
    refused = await world.call("beta staff", """mutation($input: AffiliateAccountInput!) {
        affiliateAccount(input: $input) { errors { code field } } }""", **variables)
    assert refused["affiliateAccount"]["errors"] == [
        {"code": "NOT_FOUND", "field": ["input", "accountId"]}]
    assert (await Account.get(id=world.branch.id)).organization_id is None  # type: ignore[attr-defined]


async def test_errors_speak_the_callers_language(world: World) -> None:
    world.headers["staff"] = {**world.headers["staff"]}
    await User.filter(id=world.alpha.admin.id).update(language="fr")
    refused = await world.affiliate(world.branch, world.branch)
    assert refused["errors"][0]["message"] == "Un compte ne peut pas être affilié à lui-même."
