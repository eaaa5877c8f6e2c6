"""A company admin runs the company's users: creates them with an extension of the users'
range (given or the next free one), edits, lists, suspends, resumes and deletes them; nothing
is half-saved and the company always keeps an active admin."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from gateway.identity.models import (
    Account,
    AuditEntry,
    BillingStatus,
    OneTimeToken,
    Session,
    User,
    UserRole,
)
from plugins.account_settings.api import MailboxKind, MailboxMessage, file_of
from plugins.account_settings.models import AccountOptions, PhoneNumber
from plugins.account_settings.options import get_options
from plugins.provisioning.models import Operation
from tests.plugins.clients.conftest import received
from tests.plugins.company_users.conftest import (
    DELETE,
    LIST,
    LOGIN,
    RESUME,
    SUSPEND,
    UPDATE,
    World,
    codes,
    user_id,
)
from tests.support.identity_factory import PASSWORD, bearer_for, make_user

ME = "query { me { user { login } } }"


async def test_create_gives_the_next_free_or_the_given_extension(world: World) -> None:
    auto = await world.create("company admin", firstName="Julie", lastName="Roy",
                              email="  Julie.Roy@Alpha.test ")
    assert auto["errors"] == []
    user = auto["user"]
    assert (user["email"], user["login"], user["extension"], user["role"], user["language"],
            user["active"], user["hasPin"]) == ("julie.roy@alpha.test", "julie.roy@alpha.test",
                                                "100", "EMPLOYEE", "fr", True, False)
    stored = await User.get(email="julie.roy@alpha.test")
    assert stored.account_id == world.tenant.company.id
    assert stored.reseller_id == world.tenant.reseller.id and stored.password_hash is None

    given = await world.create("company admin", firstName="Marc", email="marc@alpha.test",
                               extension="150", role="COMPANY_ADMIN", language="en")
    assert given["errors"] == []
    assert (given["user"]["extension"], given["user"]["role"], given["user"]["language"]) == (
        "150", "COMPANY_ADMIN", "en")
    # The next free one skips nothing taken and fills the lowest gap.
    third = await world.create("staff", lastName="Tremblay", email="t@alpha.test")
    assert third["user"]["extension"] == "101"


async def test_bad_extensions_and_emails_save_nothing(world: World) -> None:
    await world.create("company admin", firstName="A", email="a@alpha.test", extension="150")
    before = await User.all().count()
    cases: list[tuple[dict[str, Any], str, list[str], str]] = [
        ({"extension": "300"}, "OUT_OF_RANGE", ["input", "extension"], "100-299"),
        ({"extension": "150"}, "EXTENSION_TAKEN", ["input", "extension"], "already taken"),
        ({"extension": "15"}, "INVALID", ["input", "extension"], "3 digits"),
        ({"email": "A@Alpha.TEST"}, "EMAIL_TAKEN", ["input", "email"], "already used"),
        # Unique platform-wide: another reseller's person's address too.
        ({"email": world.other.employee.email.upper()}, "EMAIL_TAKEN", ["input", "email"],
         "already used"),
        ({"email": "not-an-address"}, "INVALID_EMAIL", ["input", "email"], "valid email"),
        ({"language": "de"}, "INVALID_LANGUAGE", ["input", "language"], "fr or en"),
        ({"firstName": " ", "lastName": ""}, "REQUIRED", ["input", "firstName"], "name"),
        ({"firstName": "x" * 101}, "TOO_LONG", ["input", "firstName"], "100"),
    ]
    for change, code, field, words in cases:
        values = {"firstName": "B", "email": "b@alpha.test", **change}
        payload = await world.create("company admin", **values)
        assert codes(payload) == [(code, field)], (change, payload)
        assert words in payload["errors"][0]["message"], payload
        assert payload["user"] is None
    assert await User.all().count() == before


async def test_a_full_range_says_to_widen_it_in_the_callers_language(world: World) -> None:
    await get_options(world.tenant.company.id)
    await AccountOptions.filter(account_id=world.tenant.company.id).update(
        user_extensions_first=100, user_extensions_last=101)
    for n in range(2):
        assert (await world.create("company admin", firstName=f"U{n}",
                                   email=f"u{n}@alpha.test"))["errors"] == []
    full = await world.create("company admin", firstName="U2", email="u2@alpha.test")
    assert codes(full) == [("RANGE_FULL", ["input", "extension"])]
    assert "100-101" in full["errors"][0]["message"]
    assert "widen the range" in full["errors"][0]["message"]
    assert not await User.filter(email="u2@alpha.test").exists()

    await User.filter(id=world.tenant.company_admin.id).update(language="fr")
    world.headers["company admin"] = await bearer_for(
        await User.get(id=world.tenant.company_admin.id))
    full = await world.create("company admin", firstName="U2", email="u2@alpha.test")
    assert full["errors"][0]["message"].startswith("Il ne reste aucun poste libre")
    assert "élargir la plage" in full["errors"][0]["message"]


async def test_edit_changes_what_is_given(world: World) -> None:
    created = (await world.create("company admin", firstName="Julie", lastName="Roy",
                                  email="julie@alpha.test"))["user"]
    edited = await world.call("company admin", UPDATE, input={
        "userId": created["id"], "lastName": "Roy-Lavoie", "email": "JRL@alpha.test",
        "language": "en", "role": "COMPANY_ADMIN", "extension": "250"})
    assert edited["errors"] == []
    user = edited["user"]
    assert (user["firstName"], user["lastName"], user["email"], user["login"],
            user["language"], user["role"], user["extension"]) == (
        "Julie", "Roy-Lavoie", "jrl@alpha.test", "jrl@alpha.test", "en", "COMPANY_ADMIN",
        "250")
    # Keeping one's own extension is no clash; another's is.
    same = await world.call("company admin", UPDATE, input={"userId": created["id"],
                                                            "extension": "250"})
    assert same["errors"] == []
    other = (await world.create("company admin", firstName="Marc", email="m@alpha.test"))
    taken = await world.call("company admin", UPDATE, input={
        "userId": other["user"]["id"], "extension": "250", "firstName": "Marcel"})
    assert codes(taken) == [("EXTENSION_TAKEN", ["input", "extension"])]
    assert (await User.get(email="m@alpha.test")).first_name == "Marc"  # nothing half-saved
    dup = await world.call("company admin", UPDATE, input={
        "userId": other["user"]["id"], "email": world.tenant.employee.email})
    assert codes(dup) == [("EMAIL_TAKEN", ["input", "email"])]
    # The previous address (and only it, once) heard of the change, in the user's language;
    # refused changes told nobody.
    (told,) = await received(world.gateway.smtp, 1)  # type: ignore[attr-defined]
    assert told["To"] == "julie@alpha.test"
    assert told["Subject"] == f"Your login address changed ({world.tenant.company.name})"
    assert "replaced by jrl@alpha.test" in told.get_body(preferencelist=("plain",)).get_content()


async def test_the_last_active_admin_stays_one(world: World) -> None:
    admin = user_id(world.tenant.company_admin)
    demote = await world.call("staff", UPDATE, input={"userId": admin, "role": "EMPLOYEE"})
    assert codes(demote) == [("LAST_ADMIN", ["input", "role"])]
    suspend = await world.call("staff", SUSPEND, input={"userId": admin})
    assert codes(suspend) == [("LAST_ADMIN", ["input", "userId"])]
    delete = await world.call("staff", DELETE, input={"userId": admin})
    assert codes(delete) == [("LAST_ADMIN", ["input", "userId"])]
    assert "at least one active company administrator" in delete["errors"][0]["message"]
    # Oneself: never, even with another admin.
    second = await world.create("company admin", firstName="Deux", email="deux@alpha.test",
                                role="COMPANY_ADMIN")
    for query, name in ((DELETE, "delete"), (SUSPEND, "suspend")):
        refused = await world.call("company admin", query, input={"userId": admin})
        assert codes(refused) == [("SELF", ["input", "userId"])], name
    own = await world.call("company admin", UPDATE, input={"userId": admin, "role": "EMPLOYEE"})
    assert codes(own) == [("SELF", ["input", "role"])]
    # Another admin may demote this one now that one stays.
    by_second = await world.call("staff", UPDATE, input={"userId": admin, "role": "EMPLOYEE"})
    assert by_second["errors"] == [] and by_second["user"]["role"] == "EMPLOYEE"
    assert (await User.get(id=world.tenant.company_admin.id)).role == UserRole.EMPLOYEE
    assert second["user"]["role"] == "COMPANY_ADMIN"


async def test_suspend_ends_sessions_and_sign_in_resume_allows_it_again(world: World) -> None:
    employee = world.tenant.employee
    assert (await world.raw("employee", ME))["data"]["me"]["user"]["login"] == employee.login
    suspended = await world.call("company admin", SUSPEND, input={"userId": user_id(employee)})
    assert suspended["errors"] == [] and suspended["user"]["active"] is False
    assert not await Session.filter(user_id=employee.id, ended_at__isnull=True).exists()
    after = await world.raw("employee", ME)
    assert (after.get("data") or {}).get("me") is None, after  # the session has ended
    refused = await world.gateway.graphql(LOGIN, {"i": {"login": employee.login,
                                                        "password": PASSWORD}})
    assert refused["data"]["login"]["errors"] == [{"code": "ACCOUNT_DISABLED"}]

    resumed = await world.call("company admin", RESUME, input={"userId": user_id(employee)})
    assert resumed["errors"] == [] and resumed["user"]["active"] is True
    signed = await world.gateway.graphql(LOGIN, {"i": {"login": employee.login,
                                                       "password": PASSWORD}})
    assert signed["data"]["login"]["errors"] == [] and signed["data"]["login"]["token"]


async def test_delete_removes_the_user_and_what_is_theirs(world: World) -> None:
    host = world.gateway.app.state.host
    employee = world.tenant.employee
    message = await MailboxMessage.create(
        account=world.tenant.company, user=employee, kind=MailboxKind.VOICEMAIL,
        received_at=dt.datetime.now(dt.UTC), content_type="audio/wav", size=4,
        storage_key="company-users-test.wav")
    path = file_of(host, message)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"RIFF")
    await OneTimeToken.create(user=employee, purpose="SET_PASSWORD", token_hash="x" * 64,
                              expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=1))

    deleted = await world.call("company admin", DELETE, input={"userId": user_id(employee)})
    assert deleted == {"deletedId": user_id(employee), "errors": []}
    assert not await User.filter(id=employee.id).exists()
    assert not await Session.filter(user_id=employee.id).exists()
    assert not await MailboxMessage.filter(id=message.id).exists()
    assert not await OneTimeToken.filter(user_id=employee.id).exists()
    assert not path.exists()
    again = await world.call("company admin", DELETE, input={"userId": user_id(employee)})
    assert codes(again) == [("NOT_FOUND", ["input", "userId"])]


async def test_a_deleted_users_numbers_ring_the_account_and_the_pbx_is_told(world: World
                                                                            ) -> None:
    company = world.tenant.company
    employee = world.tenant.employee
    now = dt.datetime.now(dt.UTC)
    theirs = await PhoneNumber.create(reseller=world.tenant.reseller, number="+15145550177",
                                      account=company, user=employee, assigned_at=now)
    others = await PhoneNumber.create(reseller=world.tenant.reseller, number="+15145550178",
                                      account=company, user=world.tenant.admin,
                                      assigned_at=now)
    deleted = await world.call("company admin", DELETE, input={"userId": user_id(employee)})
    assert deleted["errors"] == []
    assert (await PhoneNumber.get(id=theirs.id)).user_id is None  # rings the account now
    assert (await PhoneNumber.get(id=theirs.id)).account_id == company.id
    assert (await PhoneNumber.get(id=others.id)).user_id == world.tenant.admin.id
    told = await Operation.filter(account_id=company.id, kind="NUMBER_ASSIGNED").values(
        "number", "user_id")
    assert told == [{"number": "+15145550177", "user_id": None}]


async def test_a_user_the_audit_log_names_keeps_only_a_nameplate(world: World) -> None:
    employee = await make_user(UserRole.EMPLOYEE, reseller=world.tenant.reseller,
                               account=world.tenant.company)
    await User.filter(id=employee.id).update(first_name="Élodie", last_name="Gone",
                                             extension="150")
    now = dt.datetime.now(dt.UTC)
    await Session.create(user=employee, token_hash="y" * 64, last_seen_at=now,
                         expires_at=now + dt.timedelta(days=1))
    entry = await AuditEntry.create(reseller=world.tenant.reseller, account=world.tenant.company,
                                    actor=world.tenant.admin, acting_as=employee,
                                    action="DIRECT_ACCESS_START")
    deleted = await world.call("staff", DELETE, input={"userId": user_id(employee)})
    assert deleted == {"deletedId": user_id(employee), "errors": []}
    kept = await User.get(id=employee.id)
    assert (kept.account_id, kept.is_active, kept.extension, kept.password_hash) == (
        None, False, None, None)
    assert kept.login == kept.email == f"deleted-{employee.id}@deleted.invalid"
    assert kept.full_name == "Élodie Gone"  # the log still says who
    assert not await Session.filter(user_id=employee.id).exists()
    assert (await AuditEntry.get(id=entry.id)).acting_as_id == employee.id
    listed = await world.call("staff", LIST, accountId=world.company_id)
    assert user_id(employee) not in {n["id"] for n in listed["nodes"]}
    again = await world.call("staff", DELETE, input={"userId": user_id(employee)})
    assert codes(again) == [("NOT_FOUND", ["input", "userId"])]
    # The address is free for a new user of the company.
    await world.create("company admin", firstName="Élodie", lastName="Back",
                       email=employee.email)


async def test_the_list_is_the_companys_users_capped_and_searchable(world: World,
                                                                   count_queries: Any) -> None:
    for n in range(4):
        await world.create("company admin", firstName=f"Prénom{n}", lastName=f"Zed{n}",
                           email=f"z{n}@alpha.test")
    page = await world.call("company admin", LIST, accountId=world.company_id, first=3)
    assert page["totalCount"] == 6  # the admin, the employee and the four new ones
    assert page["pageInfo"]["hasNextPage"] is True and len(page["nodes"]) == 3
    rest = await world.call("company admin", LIST, accountId=world.company_id, first=3,
                            after=page["pageInfo"]["endCursor"])
    emails = {n["email"] for n in page["nodes"] + rest["nodes"]}
    assert emails >= {world.tenant.company_admin.email, world.tenant.employee.email}
    assert world.tenant.admin.email not in emails  # the reseller's staff is no company user
    found = await world.call("staff", LIST, accountId=world.company_id, search="zed2")
    assert [n["email"] for n in found["nodes"]] == ["z2@alpha.test"]
    by_extension = await world.call("staff", LIST, accountId=world.company_id, search="101")
    assert "101" in [n["extension"] for n in by_extension["nodes"]]
    assert all(n["extension"] == "101" or "101" in n["email"] for n in by_extension["nodes"])
    too_many = await world.raw("company admin", LIST, accountId=world.company_id, first=101)
    assert too_many["data"] is None or too_many["data"]["companyUsers"] is None
    assert too_many["errors"]
    # The statements do not grow with the page.
    with count_queries() as small:
        await world.call("company admin", LIST, accountId=world.company_id, first=1)
    with count_queries() as large:
        await world.call("company admin", LIST, accountId=world.company_id, first=6)
    assert len(large) == len(small)


async def test_concurrent_creations_never_share_an_extension(world: World) -> None:
    results = await asyncio.gather(*(
        world.create("staff", firstName=f"C{n}", email=f"c{n}@alpha.test") for n in range(6)))
    assert all(r["errors"] == [] for r in results), results
    assert sorted(r["user"]["extension"] for r in results) == [str(n) for n in range(100, 106)]


async def test_an_unsubscribed_companys_users_do_not_change(world: World) -> None:
    await Account.filter(id=world.tenant.company.id).update(
        billing_status=BillingStatus.UNSUBSCRIBED)
    refused = await world.create("staff", firstName="A", email="a@alpha.test")
    assert codes(refused) == [("ACCOUNT_UNSUBSCRIBED", ["input", "accountId"])]
    suspend = await world.call("staff", SUSPEND,
                               input={"userId": user_id(world.tenant.employee)})
    assert codes(suspend) == [("ACCOUNT_UNSUBSCRIBED", ["input", "userId"])]
    listed = await world.call("staff", LIST, accountId=world.company_id)
    assert listed["totalCount"] == 2  # still readable
