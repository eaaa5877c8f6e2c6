"""Issue 15, what another tenant could do here: squat a MAC address or a phone number of
another reseller (items 5 and 6), show a number it does not own as caller ID (6), hand over a
"voicemail" that is a web page and have it served as one (12), and send lists too long for
one SQL statement (2)."""

from __future__ import annotations

from typing import Any

import pytest
from strawberry.relay import to_base64
from tortoise.exceptions import IntegrityError

from gateway.identity.models import Account, BillingStatus
from plugins.account_settings.models import Device, MailboxMessage, PhoneNumber
from tests.plugins.account_settings.conftest import World
from tests.plugins.account_settings.test_mailbox import WAV, files, upload

ADD_DEVICE = """mutation($input: AddDeviceInput!) { addDevice(input: $input) {
  device { macAddress } errors { code field message } } }"""
ADD_NUMBER = """mutation($input: AddPhoneNumberInput!) { addPhoneNumber(input: $input) {
  phoneNumber { id number } errors { code field message } } }"""
IMPORT = """mutation($input: ImportPhoneNumbersInput!) { importPhoneNumbers(input: $input) {
  added { number } rejected { line code message } errors { code field } } }"""
ASSIGN = """mutation($input: AssignPhoneNumberInput!) { assignPhoneNumber(input: $input) {
  errors { code } } }"""
CALLER_ID = """mutation($input: UpdateAccountOptionsInput!) { updateAccountOptions(
  input: $input) { options { callerId { number } } errors { code field message } } }"""
MESSAGES = """query($id: ID!, $kind: MailboxKind!) { mailboxMessages(accountId: $id,
  kind: $kind) { nodes { downloadUrl } } }"""


async def _device(world: World, who: str, account_id: str, mac: str) -> dict[str, Any]:
    data = await world.call(who, ADD_DEVICE, {"input": {
        "accountId": account_id, "name": "Poste", "macAddress": mac}})
    return data["addDevice"]  # type: ignore[no-any-return]


async def test_a_mac_address_is_unique_within_the_reseller_only(world: World) -> None:
    """Another reseller's account registered the MAC address first (a squat, or a probe):
    the owner still registers it, and learns nothing; within a reseller it stays unique."""
    squat = await _device(world, "other staff", world.other_company_id, "00:04:F2:AB:CD:EF")
    assert squat["errors"] == []
    mine = await _device(world, "staff", world.company_id, "0004f2abcdef")
    assert mine["errors"] == [] and mine["device"]["macAddress"] == "00:04:F2:AB:CD:EF"
    assert await Device.filter(mac_address="0004F2ABCDEF").count() == 2
    # Within the reseller: another of its accounts cannot have it too.
    twice = await _device(world, "staff", world.professional_id, "00-04-F2-AB-CD-EF")
    assert [(e["code"], e["field"]) for e in twice["errors"]] == [
        ("DUPLICATE", ["input", "macAddress"])]
    # The database holds it, whatever the code does.
    with pytest.raises(IntegrityError):
        await Device.create(account_id=world.tenant.professional_account.id,
                            reseller_id=world.tenant.reseller.id, name="x",
                            mac_address="0004F2ABCDEF")


async def _number(world: World, who: str, number: str) -> dict[str, Any]:
    return (await world.call(who, ADD_NUMBER, {"input": {"number": number}}))["addPhoneNumber"]


async def test_a_number_is_in_one_pool_on_the_platform(world: World) -> None:
    assert (await _number(world, "staff", "+1 514 555 1212"))["errors"] == []
    other_name = world.tenant.reseller.name
    taken = await _number(world, "other staff", "+1 (514) 555-1212")
    assert [(e["code"], e["field"]) for e in taken["errors"]] == [
        ("NUMBER_UNAVAILABLE", ["input", "number"])]
    assert other_name not in taken["errors"][0]["message"]  # whose pool is never said
    assert "+15145551212" in taken["errors"][0]["message"]
    # Its own pool says DUPLICATE, as before.
    again = await _number(world, "staff", "+15145551212")
    assert [e["code"] for e in again["errors"]] == ["DUPLICATE"]
    # The import refuses it by line too; the rest goes in.
    report = (await world.call("other staff", IMPORT, {"input": {
        "content": "+1 438 555 0100\n+1 514 555 1212\n"}}))["importPhoneNumbers"]
    assert [a["number"] for a in report["added"]] == ["+14385550100"]
    assert [(r["line"], r["code"]) for r in report["rejected"]] == [(2, "NUMBER_UNAVAILABLE")]
    assert other_name not in report["rejected"][0]["message"]
    assert await PhoneNumber.filter(number="+15145551212").count() == 1
    with pytest.raises(IntegrityError):  # the database holds it
        await PhoneNumber.create(reseller_id=world.other.reseller.id, number="+15145551212")


async def test_caller_id_is_a_number_the_account_owns(world: World) -> None:
    owned = (await _number(world, "staff", "+1 514 555 0171"))["phoneNumber"]
    free = (await _number(world, "staff", "+1 514 555 0172"))["phoneNumber"]
    assert (await world.call("staff", ASSIGN, {"input": {
        "accountId": world.professional_id, "numberId": owned["id"]}}))[
        "assignPhoneNumber"]["errors"] == []
    other_pro = to_base64("Account", world.other.professional_account.id)
    await Account.filter(id=world.other.professional_account.id).update(
        billing_status=BillingStatus.IN_PRODUCTION)

    async def caller_id(who: str, account_id: str, number: str) -> dict[str, Any]:
        data = await world.call(who, CALLER_ID, {"input": {
            "accountId": account_id, "callerId": {"number": number}}})
        return data["updateAccountOptions"]  # type: ignore[no-any-return]

    for who, account_id, number in (
            ("other staff", other_pro, "+15145550171"),  # another reseller's account's
            ("staff", world.professional_id, free["number"]),  # free in the pool
            ("staff", world.professional_id, "not a number")):
        refused = await caller_id(who, account_id, number)
        assert [(e["code"], e["field"]) for e in refused["errors"]] == [
            ("INVALID", ["input", "callerId", "number"])], (who, number)
    # The account's own number, in any format, is kept in E.164.
    done = await caller_id("staff", world.professional_id, "+1 (514) 555-0171")
    assert done["errors"] == [] and done["options"]["callerId"]["number"] == "+15145550171"


# --- Item 12: voicemails and faxes are what they say -------------------------------------------

async def test_an_upload_must_be_of_its_declared_type(world: World) -> None:
    tenant = world.tenant
    target = {"account": tenant.professional_account, "user": tenant.professional.id}
    page = b"<html><script>fetch('/graphql')</script></html>"
    for kind, media, body in (("VOICEMAIL", "audio/wav", page),
                              ("VOICEMAIL", "audio/mpeg", b"%PDF-1.4 not audio"),
                              ("VOICEMAIL", "audio/ogg", WAV),
                              ("FAX", "application/pdf", page),
                              ("FAX", "image/tiff", b"%PDF-1.4 not a tiff")):
        refused = await upload(world, "staff", kind=kind, media=media, body=body, **target)
        assert refused.status_code == 415, (media, refused.text)
        error = refused.json()["errors"][0]
        assert (error["code"], error["field"]) == ("INVALID", "body")
        assert media in error["message"]
    assert await MailboxMessage.all().count() == 0
    assert files(world.gateway.app.state.host.settings.var_dir) == []
    for kind, media, body in (("VOICEMAIL", "audio/wav", WAV + b"data"),
                              ("VOICEMAIL", "audio/x-wav", WAV + b"data"),
                              ("VOICEMAIL", "audio/mpeg", b"ID3\x04\x00" + b"\x00" * 20),
                              ("VOICEMAIL", "audio/mpeg", b"\xff\xfb\x90\x64" + b"\x00" * 20),
                              ("VOICEMAIL", "audio/ogg", b"OggS\x00\x02" + b"\x00" * 20),
                              ("FAX", "application/pdf", b"%PDF-1.7\n"),
                              ("FAX", "image/tiff", b"II*\x00\x08\x00\x00\x00"),
                              ("FAX", "image/tiff", b"MM\x00*\x00\x00\x00\x08")):
        accepted = await upload(world, "staff", kind=kind, media=media, body=body, **target)
        assert accepted.status_code == 201, (media, body, accepted.text)


async def test_a_mailbox_file_is_served_with_the_safe_headers(world: World) -> None:
    tenant = world.tenant
    response = await upload(world, "staff", account=tenant.professional_account,
                            user=tenant.professional.id, kind="FAX", media="application/pdf",
                            body=b"%PDF-1.4 fax")
    assert response.status_code == 201
    (node,) = (await world.call("professional", MESSAGES, {
        "id": world.professional_id, "kind": "FAX"}))["mailboxMessages"]["nodes"]
    served = await world.gateway.client.get(node["downloadUrl"])
    assert served.status_code == 200 and served.content == b"%PDF-1.4 fax"
    assert served.headers["x-content-type-options"] == "nosniff"
    policy = served.headers["content-security-policy"]
    assert "sandbox" in policy and "default-src 'none'" in policy
    assert served.headers["cache-control"] == "private, no-store"
    ranged = await world.gateway.client.get(node["downloadUrl"], headers={"Range": "bytes=0-3"})
    assert ranged.status_code == 206 and ranged.headers["x-content-type-options"] == "nosniff"


# --- Item 2: list inputs ------------------------------------------------------------------------

async def test_an_import_is_capped_and_read_in_bounded_statements(
        world: World, count_queries: Any) -> None:
    from plugins.account_settings.numbers import LOOKUP_CHUNK, MAX_IMPORT_LINES

    too_many = (await world.call("staff", IMPORT, {"input": {
        "content": "\n" * MAX_IMPORT_LINES + "+1 514 555 0100"}}))["importPhoneNumbers"]
    assert [(e["code"], e["field"]) for e in too_many["errors"]] == [
        ("TOO_MANY", ["input", "content"])]
    # 2,000 numbers: every statement holds at most LOOKUP_CHUNK of them.
    content = "\n".join(f"+1 514 55{n // 10000}{n % 10000:04d}" for n in range(2000))
    with count_queries() as statements:
        report = (await world.call("staff", IMPORT, {"input": {"content": content}})
                  )["importPhoneNumbers"]
    assert report["errors"] == [] and report["rejected"] == []
    assert len(report["added"]) == 2000
    numbered = [s for s in statements if "account_settings_phone_number" in s]
    assert numbered and all(s.count("?") + s.count("$") <= 2 * LOOKUP_CHUNK + 10
                            for s in numbered)
    again = (await world.call("other staff", IMPORT, {"input": {"content": content}})
             )["importPhoneNumbers"]
    assert again["added"] == [] and {r["code"] for r in again["rejected"]} == {
        "NUMBER_UNAVAILABLE"} and len(again["rejected"]) == 2000


RELEASE_EXTENSION = """mutation($input: ReleaseExtensionInput!) { releaseExtension(
  input: $input) { extension errors { code field } } }"""


async def test_releasing_text_no_extension_can_be_is_not_found(world: World) -> None:
    """Found by schemathesis: text longer than the extension column reached the database
    filter, whose validation failed as an INTERNAL_ERROR."""
    for text in ("1" * 11, "È0Ü×W£Ы'ÛVî'^àÆF" * 2):
        data = await world.call("staff", RELEASE_EXTENSION, {"input": {
            "accountId": world.company_id, "extension": text}})
        assert data["releaseExtension"] == {"extension": None, "errors": [
            {"code": "NOT_FOUND", "field": ["input", "extension"]}]}
