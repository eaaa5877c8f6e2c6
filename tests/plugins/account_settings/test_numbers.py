"""Phone numbers: the reseller's pool, one number or a text file, assignment with options
(refused during a free trial), release, and the numbers of an unsubscribed account back in
the pool."""

from __future__ import annotations

from typing import Any

from strawberry.relay import to_base64

from gateway.identity.models import Account, BillingStatus
from plugins.account_settings.models import AccountOptions, PhoneNumber
from plugins.clients import services as clients
from plugins.clients.config import ClientsConfig
from tests.plugins.account_settings.conftest import World

ADD = """mutation($input: AddPhoneNumberInput!) { addPhoneNumber(input: $input) {
  phoneNumber { id number account { id } } errors { code field message } } }"""
IMPORT = """mutation($input: ImportPhoneNumbersInput!) { importPhoneNumbers(input: $input) {
  added { number } rejected { line code message } errors { code field } } }"""
ASSIGN = """mutation($input: AssignPhoneNumberInput!) { assignPhoneNumber(input: $input) {
  phoneNumber { number faxReception sms emergency911 assignedAt account { id } }
  errors { code field message } } }"""
OPTIONS = """mutation($input: PhoneNumberOptionsInput!) { setPhoneNumberOptions(input: $input) {
  phoneNumber { faxReception sms emergency911 } errors { code } } }"""
RELEASE = """mutation($input: ReleasePhoneNumberInput!) { releasePhoneNumber(input: $input) {
  phoneNumber { number account { id } faxReception } errors { code } } }"""
POOL = """query($available: Boolean, $search: String) {
  phoneNumberPool(available: $available, search: $search) { totalCount nodes { number } } }"""
ACCOUNT_NUMBERS = """query($id: ID!) { accountPhoneNumbers(accountId: $id) { number sms } }"""


async def _add(world: World, number: str, who: str = "staff") -> dict[str, Any]:
    data = await world.call(who, ADD, {"input": {"number": number}})
    return data["addPhoneNumber"]  # type: ignore[no-any-return]


async def test_pool_add_and_import(world: World) -> None:
    added = await _add(world, "+1 (514) 555-1212")
    assert added["errors"] == [] and added["phoneNumber"]["number"] == "+15145551212"
    assert added["phoneNumber"]["account"] is None
    again = await _add(world, "1-514-555-1212 ")
    assert [(e["code"], e["field"]) for e in again["errors"]] == [
        ("INVALID", ["input", "number"])]  # no country code: not E.164
    duplicate = await _add(world, "+1 514 555 1212")
    assert [e["code"] for e in duplicate["errors"]] == ["DUPLICATE"]
    letters = await _add(world, "1-800-COMPAGN")
    assert [e["code"] for e in letters["errors"]] == ["IGNORED"]

    content = "\n".join([
        "+44 7979-123456",       # 1 added
        "+1 (514) 555-1212",     # 2 already in the pool
        "1-800-COMPAGN",         # 3 letters: ignored
        "",                      # 4 blank: skipped
        "+1 438 555 0100",       # 5 added
        "+44 7979 123456",       # 6 same as line 1
        "12345",                 # 7 invalid
    ])
    report = (await world.call("staff", IMPORT, {"input": {"content": content}})
              )["importPhoneNumbers"]
    assert [a["number"] for a in report["added"]] == ["+447979123456", "+14385550100"]
    assert [(r["line"], r["code"]) for r in report["rejected"]] == [
        (2, "DUPLICATE"), (3, "IGNORED"), (6, "DUPLICATE"), (7, "INVALID")]
    assert "1" in report["rejected"][2]["message"]  # names the line it repeats
    pool = (await world.call("staff", POOL, {}))["phoneNumberPool"]
    assert pool["totalCount"] == 3
    assert (await world.call("staff", POOL, {"search": "514"}))["phoneNumberPool"][
        "totalCount"] == 1
    # Another reseller's pool is its own: empty; a number is in one pool on the whole
    # platform (issue 15, item 6): see test_a_number_is_in_one_pool_on_the_platform.
    assert (await world.call("other staff", POOL, {}))["phoneNumberPool"]["totalCount"] == 0


async def test_assign_options_release(world: World) -> None:
    row = await _add(world, "+1 514 555 0142")
    number_id = row["phoneNumber"]["id"]
    base = {"accountId": world.company_id, "numberId": number_id}

    # Not during a free trial: the clients plugin's guard says so.
    await Account.filter(id=world.tenant.company.id).update(
        billing_status=BillingStatus.FREE_TRIAL)
    trial = (await world.call("staff", ASSIGN, {"input": {**base, "sms": True}})
             )["assignPhoneNumber"]
    assert [e["code"] for e in trial["errors"]] == ["FREE_TRIAL_RESTRICTION"]
    assert await PhoneNumber.filter(account_id__isnull=False).count() == 0
    await Account.filter(id=world.tenant.company.id).update(
        billing_status=BillingStatus.IN_PRODUCTION)

    # Another reseller cannot assign it (its account is not found) nor use it.
    foreign = (await world.call("other staff", ASSIGN, {"input": {
        "accountId": world.other_company_id, "numberId": number_id}}))["assignPhoneNumber"]
    assert [e["code"] for e in foreign["errors"]] == ["NOT_FOUND"]

    done = (await world.call("staff", ASSIGN, {"input": {**base, "sms": True,
                                                         "emergency911": True}})
            )["assignPhoneNumber"]
    assert done["errors"] == []
    assert done["phoneNumber"]["account"]["id"] == world.company_id
    assert (done["phoneNumber"]["sms"], done["phoneNumber"]["emergency911"],
            done["phoneNumber"]["faxReception"]) == (True, True, False)
    twice = (await world.call("staff", ASSIGN, {"input": {
        **base, "accountId": world.professional_id}}))["assignPhoneNumber"]
    assert [e["code"] for e in twice["errors"]] == ["NOT_FOUND"]  # no longer free

    # The company admin sees its numbers but does not manage the pool.
    mine = await world.call("company admin", ACCOUNT_NUMBERS, {"id": world.company_id})
    assert mine["accountPhoneNumbers"] == [{"number": "+15145550142", "sms": True}]
    refused = await world.gateway.graphql(ASSIGN, {"input": base},
                                          **world.headers["company admin"])
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    # Turning an option on during a free trial is refused; turning one off is not.
    await Account.filter(id=world.tenant.company.id).update(
        billing_status=BillingStatus.FREE_TRIAL)
    on = (await world.call("staff", OPTIONS, {"input": {**base, "faxReception": True}})
          )["setPhoneNumberOptions"]
    assert [e["code"] for e in on["errors"]] == ["FREE_TRIAL_RESTRICTION"]
    off = (await world.call("staff", OPTIONS, {"input": {**base, "sms": False}})
           )["setPhoneNumberOptions"]
    assert off["errors"] == [] and off["phoneNumber"]["sms"] is False

    released = (await world.call("staff", RELEASE, {"input": base}))["releasePhoneNumber"]
    assert released["errors"] == []
    assert released["phoneNumber"]["account"] is None
    assert (await world.call("staff", POOL, {"available": True}))["phoneNumberPool"][
        "totalCount"] == 1
    again = (await world.call("staff", RELEASE, {"input": base}))["releasePhoneNumber"]
    assert [e["code"] for e in again["errors"]] == ["NOT_FOUND"]


async def test_unsubscribed_accounts_numbers_return_to_the_pool(world: World) -> None:
    host = world.gateway.app.state.host
    account = world.tenant.professional_account
    ids = []
    for number in ("+1 514 555 0171", "+1 514 555 0172"):
        ids.append((await _add(world, number))["phoneNumber"]["id"])
    for number_id in ids:
        result = (await world.call("staff", ASSIGN, {"input": {
            "accountId": world.professional_id, "numberId": number_id, "faxReception": True}})
        )["assignPhoneNumber"]
        assert result["errors"] == []
    settings = """mutation($input: UpdateAccountOptionsInput!) { updateAccountOptions(
      input: $input) { options { callerId { number } } errors { code } } }"""
    chosen = await world.call("staff", settings, {"input": {
        "accountId": world.professional_id, "callerId": {"number": "+15145550171"}}})
    assert chosen["updateAccountOptions"]["options"]["callerId"]["number"] == "+15145550171"

    await clients.unsubscribe(await Account.get(id=account.id), host=host,
                              config=host.config_for("clients", ClientsConfig))

    assert await PhoneNumber.filter(account_id=account.id).count() == 0
    free = await PhoneNumber.filter(reseller_id=world.tenant.reseller.id,
                                    account_id__isnull=True).values("number", "fax_reception")
    assert sorted(r["number"] for r in free) == ["+15145550171", "+15145550172"]
    assert not any(r["fax_reception"] for r in free)
    assert (await AccountOptions.get(account_id=account.id)).caller_id_number is None
    assert to_base64("Account", account.id) == world.professional_id


async def test_the_purge_forgets_the_accounts_rows_but_keeps_the_pools(world: World) -> None:
    import datetime as dt

    from plugins.account_settings.models import Contact, Device

    host = world.gateway.app.state.host
    account = world.tenant.professional_account
    number_id = (await _add(world, "+1 514 555 0181"))["phoneNumber"]["id"]
    assert (await world.call("staff", ASSIGN, {"input": {
        "accountId": world.professional_id, "numberId": number_id}}))["assignPhoneNumber"][
        "errors"] == []
    await Device.create(account_id=account.id, reseller_id=account.reseller_id, name="Bureau",
                        mac_address="0004F2000181")
    await Contact.create(account_id=account.id, name="Client", phone_number="+15145550182")
    await AccountOptions.create(account_id=account.id, contacts_limit=42)
    config = host.config_for("clients", ClientsConfig)
    await clients.unsubscribe(await Account.get(id=account.id), host=host, config=config)

    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=config.purge_after_days + 1)
    assert await clients.purge_account(account.id, host=host, config=config, now=later)

    for model in (Device, Contact, AccountOptions):
        assert not await model.filter(account_id=account.id).exists()
    assert await PhoneNumber.filter(number="+15145550181", account_id__isnull=True).exists()
