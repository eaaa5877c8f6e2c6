"""Voicemails and faxes on disk within the account's limits (the oldest removed beyond them),
their upload by the platform and download through signed URLs, and who may see them."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

import httpx

from gateway.identity.models import User
from plugins.account_settings.models import MailboxMessage
from plugins.clients.services import set_test_mode
from tests.plugins.account_settings.conftest import World
from tests.plugins.clients.conftest import received

MESSAGES = """query($id: ID!, $kind: MailboxKind!, $userId: ID) {
  mailboxMessages(accountId: $id, kind: $kind, userId: $userId) {
    totalCount nodes { id kind receivedAt callerNumber durationSeconds pages size downloadUrl }
  } }"""
DELETE = """mutation($id: ID!) { deleteMailboxMessage(id: $id) {
  message { callerNumber } errors { code field message } } }"""
LIMITS = """mutation($input: UpdateAccountOptionsInput!) { updateAccountOptions(input: $input)
  { errors { code field } } }"""
T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt "  # a WAV file's first bytes (its type is checked)


async def upload(world: World, who: str, *, account: Any, kind: str = "VOICEMAIL",
                 body: bytes = WAV, media: str = "audio/wav",
                 **params: Any) -> httpx.Response:
    query = {"account": account.id, "kind": kind, **params}
    return await world.gateway.client.post("/mailbox/messages", params=query, content=body,
                                           headers={**world.headers[who],
                                                    "Content-Type": media})


async def voicemail(world: World, minutes: int, who: str = "staff", **params: Any) -> Any:
    tenant = world.tenant
    response = await upload(world, who, account=tenant.professional_account,
                            user=tenant.professional.id, caller=f"+1514555{minutes:04d}",
                            receivedAt=(T0 + dt.timedelta(minutes=minutes)).isoformat(),
                            duration=minutes, body=WAV + f"audio-{minutes}".encode() * 50,
                            **params)
    assert response.status_code == 201, response.text
    return response.json()


def files(root: Path) -> list[Path]:
    return sorted(p for p in (root / "mailbox").rglob("*") if p.is_file())


async def set_limits(world: World, **limits: int) -> None:
    data = await world.call("staff", LIMITS, {"input": {"accountId": world.professional_id,
                                                        "limits": limits}})
    assert data["updateAccountOptions"]["errors"] == []


async def listing(world: World, who: str = "professional", kind: str = "VOICEMAIL",
                  **variables: Any) -> dict[str, Any]:
    data = await world.call(who, MESSAGES, {"id": world.professional_id, "kind": kind,
                                            **variables})
    return data["mailboxMessages"]  # type: ignore[no-any-return]


async def test_the_oldest_voicemails_go_beyond_the_limit(world: World) -> None:
    root = world.gateway.app.state.host.settings.var_dir
    await set_limits(world, voicemailsOnDisk=3)
    # Arrival order differs from the time received: "oldest" is by the time received.
    removed = [(await voicemail(world, m))["removed"] for m in (10, 30, 20, 40, 5)]
    assert removed == [0, 0, 0, 1, 1]  # 40 pushed out 10; 5 arrived already the oldest
    page = await listing(world)
    assert page["totalCount"] == 3
    assert [n["durationSeconds"] for n in page["nodes"]] == [40, 30, 20]
    assert len(files(root)) == 3  # the removed messages' files are gone too
    assert page["nodes"][0]["size"] == len(WAV + b"audio-40" * 50)

    # The file itself, whole and by range, through the signed URL.
    url = page["nodes"][0]["downloadUrl"]
    assert url.startswith("http://testserver/mailbox/files/")
    whole = await world.gateway.client.get(url)
    assert whole.status_code == 200 and whole.content == WAV + b"audio-40" * 50
    assert whole.headers["content-type"] == "audio/wav"
    part = await world.gateway.client.get(url, headers={"Range": "bytes=16-23"})
    assert part.status_code == 206 and part.content == b"audio-40"
    forged = await world.gateway.client.get(url[:-3] + "xyz")
    assert forged.status_code == 404


async def test_a_lower_limit_trims_right_away_and_faxes_count_apart(world: World) -> None:
    tenant = world.tenant
    for n in range(3):
        response = await upload(world, "staff", account=tenant.professional_account,
                                kind="FAX", user=tenant.professional.id, pages=n + 1,
                                media="application/pdf", body=b"%PDF-1.4 fax",
                                receivedAt=(T0 + dt.timedelta(hours=n)).isoformat())
        assert response.status_code == 201, response.text
    await voicemail(world, 1)
    assert (await listing(world, kind="FAX"))["totalCount"] == 3
    await set_limits(world, faxesOnDisk=1)
    faxes = await listing(world, kind="FAX")
    assert [n["pages"] for n in faxes["nodes"]] == [3]
    assert (await listing(world))["totalCount"] == 1  # voicemails untouched
    assert len(files(world.gateway.app.state.host.settings.var_dir)) == 2


async def test_concurrent_arrivals_never_leave_more_than_the_limit(world: World) -> None:
    await set_limits(world, voicemailsOnDisk=2)
    results = await asyncio.gather(*(voicemail(world, m) for m in range(1, 9)))
    assert sum(r["removed"] for r in results) == 6
    page = await listing(world)
    assert [n["durationSeconds"] for n in page["nodes"]] == [8, 7]
    assert len(files(world.gateway.app.state.host.settings.var_dir)) == 2


async def test_uploads_are_refused_with_the_reason_and_nothing_kept(world: World) -> None:
    tenant, other = world.tenant, world.other
    professional = tenant.professional_account
    # Subscribers never hand messages over; another reseller's account is not found.
    assert (await upload(world, "professional", account=professional,
                         user=tenant.professional.id)).status_code == 403
    foreign = await upload(world, "other staff", account=professional,
                           user=tenant.professional.id)
    assert foreign.status_code == 404
    assert foreign.json()["errors"][0]["field"] == "account"
    wrong_type = await upload(world, "staff", account=professional, user=tenant.professional.id,
                              media="text/plain")
    assert wrong_type.status_code == 415
    assert wrong_type.json()["errors"][0]["code"] == "INVALID"
    assert "audio/wav" in wrong_type.json()["errors"][0]["message"]
    french = await world.gateway.client.post(
        "/mailbox/messages", params={"account": professional.id, "kind": "SMS"},
        content=b"x", headers={**world.headers["staff"], "Accept-Language": "fr"})
    assert french.status_code == 400
    assert french.json()["errors"][0] == {"code": "INVALID", "field": "kind",
                                          "message": "Valeur non valide."}
    # A user of another account, or an unknown extension: not found.
    assert (await upload(world, "staff", account=professional,
                         user=tenant.employee.id)).status_code == 404
    assert (await upload(world, "staff", account=tenant.company,
                         extension="999")).status_code == 404
    bad_time = await upload(world, "staff", account=professional, user=tenant.professional.id,
                            receivedAt="2026-11-02T09:00:00")  # no offset
    assert bad_time.json()["errors"][0]["field"] == "receivedAt"
    assert await MailboxMessage.all().count() == 0
    assert files(world.gateway.app.state.host.settings.var_dir) == []
    assert other.company.id != professional.id


async def test_by_extension_and_each_user_sees_only_the_own(world: World) -> None:
    tenant = world.tenant
    await User.filter(id=tenant.employee.id).update(extension="101")
    company = tenant.company
    response = await upload(world, "staff", account=company, extension="101",
                            caller="+15145550101")
    assert response.status_code == 201, response.text
    query = {"id": world.company_id, "kind": "VOICEMAIL"}
    mine = (await world.call("employee", MESSAGES, query))["mailboxMessages"]
    assert [n["callerNumber"] for n in mine["nodes"]] == ["+15145550101"]
    # The company admin does not read an employee's voicemail; staff do.
    admin = (await world.call("company admin", MESSAGES, query))["mailboxMessages"]
    assert admin["totalCount"] == 0
    staff = (await world.call("staff", MESSAGES, query))["mailboxMessages"]
    assert staff["totalCount"] == 1
    message_id = mine["nodes"][0]["id"]
    for who in ("company admin", "other staff"):
        refused = (await world.call(who, DELETE, {"id": message_id}))["deleteMailboxMessage"]
        assert [e["code"] for e in refused["errors"]] == ["NOT_FOUND"]
    done = (await world.call("employee", DELETE, {"id": message_id}))["deleteMailboxMessage"]
    assert done == {"message": {"callerNumber": "+15145550101"}, "errors": []}
    assert await MailboxMessage.all().count() == 0
    assert files(world.gateway.app.state.host.settings.var_dir) == []


async def test_the_user_gets_a_copy_by_email_except_in_test_mode(world: World) -> None:
    tenant = world.tenant
    await User.filter(id=tenant.professional.id).update(language="fr")
    await voicemail(world, 7, callerName="Jean Tremblay")
    (copy,) = await received(world.gateway.smtp, 1)  # type: ignore[attr-defined]
    assert copy["To"] == tenant.professional.email
    assert copy["Subject"] == "Nouveau message vocal de Jean Tremblay +15145550007"
    text = copy.get_body(("plain",)).get_content()
    assert "le 2026-11-02 04:07" in text  # the account's time zone (America/Toronto)
    assert "25 au plus" in text and "Le fichier est joint" in text
    (attached,) = list(copy.iter_attachments())
    assert attached.get_content_type() == "audio/wav"
    assert attached.get_payload(decode=True) == WAV + b"audio-7" * 50

    await set_test_mode(tenant.professional_account.id, True)
    await voicemail(world, 8)
    await asyncio.sleep(0.5)  # the relay would have sent it by now
    assert len(world.gateway.smtp.messages) == 1  # type: ignore[attr-defined]
    assert (await listing(world))["totalCount"] == 2  # kept all the same
