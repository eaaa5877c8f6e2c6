"""The organisation's shared directory: the users of every account of the organisation,
searchable by name and extension, seen by the users of any of its accounts and by the
reseller's staff; two SQL statements a page, whatever its size."""

from __future__ import annotations

from gateway.identity.models import Account, BillingStatus, User, UserRole
from tests.conftest import QueryLog
from tests.plugins.affiliation.conftest import DIRECTORY, World, gid, give
from tests.support.identity_factory import bearer_for, make_account, make_user


async def _organisation(world: World) -> None:
    """Org (Lavoie 100, Gauthier 101), branch (Tremblay Marc 100 → 140, Tremblay Julie 102),
    the professional (Fortin, 250)."""
    names = {world.alpha.company_admin.id: ("Jean", "Lavoie"),
             world.alpha.employee.id: ("Sophie", "Gauthier"),
             world.branch_admin.id: ("Marc", "Tremblay"),
             world.branch_employee.id: ("Julie", "Tremblay"),
             world.alpha.professional.id: ("Caroline", "Fortin")}
    for user_id, (first, last) in names.items():
        await User.filter(id=user_id).update(first_name=first, last_name=last)
    await give(world.alpha.professional, "250")
    assert (await world.affiliate(world.alpha.professional_account))["errors"] == []
    token = (await world.proposal(world.branch))["proposal"]["token"]
    assert (await world.affiliate(world.branch, token=token))["errors"] == []


def _people(page: dict) -> list[tuple[str, str | None]]:  # type: ignore[type-arg]
    return [(node["name"], node["extension"]) for node in page["nodes"]]


EVERYONE = [("Caroline Fortin", "250"), ("Sophie Gauthier", "101"), ("Jean Lavoie", "100"),
            ("Julie Tremblay", "102"), ("Marc Tremblay", "140")]


async def test_every_account_of_the_organisation_is_listed_and_searchable(
    world: World,
) -> None:
    await _organisation(world)
    page = await world.directory(world.org, "org employee")
    assert page["totalCount"] == 5
    assert _people(page) == EVERYONE
    marc = page["nodes"][4]
    assert (marc["firstName"], marc["lastName"], marc["accountName"], marc["accountNumber"]) \
        == ("Marc", "Tremblay", "Succursale Nord", world.branch.id)

    async def search(text: str) -> list[tuple[str, str | None]]:
        return _people(await world.directory(world.org, "org employee", search=text))

    assert await search("tremblay") == EVERYONE[3:]
    assert await search("JULIE trem") == [("Julie Tremblay", "102")]
    assert await search("14") == [("Marc Tremblay", "140")]  # an extension's beginning
    assert await search("10") == [("Sophie Gauthier", "101"), ("Jean Lavoie", "100"),
                                  ("Julie Tremblay", "102")]
    assert await search("nobody") == []

    # Pages: cursors, and the total.
    first = await world.directory(world.org, "org employee", first=2)
    assert _people(first) == EVERYONE[:2] and first["pageInfo"]["hasNextPage"]
    rest = await world.directory(world.org, "org employee", first=5,
                                 after=first["pageInfo"]["endCursor"])
    assert _people(rest) == EVERYONE[2:] and not rest["pageInfo"]["hasNextPage"]

    # Inactive people and unsubscribed accounts are not in it.
    await User.filter(id=world.alpha.employee.id).update(is_active=False)
    await Account.filter(id=world.alpha.professional_account.id).update(
        billing_status=BillingStatus.UNSUBSCRIBED)
    assert _people(await world.directory(world.org, "staff")) == [
        ("Jean Lavoie", "100"), ("Julie Tremblay", "102"), ("Marc Tremblay", "140")]


async def test_who_sees_the_directory(world: World) -> None:
    await _organisation(world)
    # Users of any account of the organisation, through any of its accounts' ids.
    for who in ("org admin", "org employee", "branch employee", "professional"):
        for account in (world.org, world.branch, world.alpha.professional_account):
            assert (await world.directory(account, who))["totalCount"] == 5, (who, account)
    assert (await world.directory(world.branch, "staff"))["totalCount"] == 5
    # An account of the same reseller outside the organisation: only its own people.
    outsider = await make_account(world.alpha.reseller, name="Indépendante")
    stranger = await give(await make_user(UserRole.EMPLOYEE, reseller=world.alpha.reseller,
                                          account=outsider), "100")
    world.headers["outsider"] = await bearer_for(stranger)
    assert (await world.directory(world.org, "outsider"))["totalCount"] == 0
    assert _people(await world.directory(outsider, "outsider")) == [(stranger.full_name, "100")]
    assert (await world.directory(outsider, "org employee"))["totalCount"] == 0
    # Another reseller: not found, for its staff and its users.
    for who in ("beta staff", "beta employee"):
        page = await world.directory(world.org, who)
        assert page == {"totalCount": 0, "nodes": [],
                        "pageInfo": {"hasNextPage": False, "endCursor": None}}, who
    assert (await world.directory(world.beta.company, "staff"))["totalCount"] == 0
    anonymous = await world.gateway.graphql(DIRECTORY, {"a": gid(world.org)})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_page_is_two_statements_whatever_its_size(
    world: World, count_queries: QueryLog
) -> None:
    await _organisation(world)
    await User.bulk_create([
        User(role=UserRole.EMPLOYEE, reseller=world.alpha.reseller, account=world.branch,
             login=f"filler{n}@example.test", email=f"filler{n}@example.test",
             first_name="Filler", last_name=f"{n:02d}") for n in range(30)])
    headers = world.headers["branch employee"]
    counts = {}
    for size in (2, 30):
        with count_queries() as statements:
            result = await world.gateway.graphql(DIRECTORY, {"a": gid(world.org),
                                                             "first": size}, **headers)
        assert len(result["data"]["organizationDirectory"]["nodes"]) == size
        reading = [s for s in statements if "core_user" in s and "SELECT" in s
                   and "core_session" not in s]
        assert len(reading) == 2, reading  # the total, then the page with account names
        counts[size] = len(statements)
    # With the session check and the caller's scope: the same few statements.
    assert counts[2] == counts[30] <= 5
