"""What VoIP tells ``me`` (``Me.capabilities``), what happens to the Twilio connection when the
account is unsubscribed and reactivated, and the days of billing's usage and of the call log's
CSV, which are the account's (its time zone), not UTC's."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from decimal import Decimal
from zoneinfo import ZoneInfo

from strawberry.relay import to_base64

from gateway.identity.models import Account, UserRole
from plugins.twilio_voip.calls import billable_usage
from plugins.twilio_voip.models import CallStatus, Direction, TwilioAccount, VoipCall, VoipNumber
from tests.plugins.twilio_voip.conftest import SET_OPERATORS, Voip, phone, wait_for
from tests.support.identity_factory import bearer_for, make_user

ME = "{ me { capabilities } }"
MY_VOIP = "{ myVoip { available } }"
DISCONNECT = "mutation { disconnectTwilio { disconnected errors { code } } }"
UNSUBSCRIBE = """mutation ($id: ID!) {
  deleteAccount(input: {id: $id}) { account { billingStatus } errors { code } } }"""
REACTIVATE = """mutation ($id: ID!) {
  reactivateAccount(input: {id: $id}) { account { billingStatus } errors { code } } }"""
INCOMING = "/twilio/voice/incoming"


async def capabilities(voip: Voip, who: str) -> list[str]:
    return (await voip.call(who, ME))["me"]["capabilities"]  # type: ignore[no-any-return]


async def test_me_tells_operators_that_voip_is_available(
        voip: Voip, new_voip: Callable[..., Awaitable[Voip]]) -> None:
    await voip.connect()
    assert "VOIP" not in await capabilities(voip, "employee")  # connected, no number yet
    number = await voip.buy(phone())
    assert "VOIP" not in await capabilities(voip, "employee")  # a number, not its operator
    await voip.call("admin", SET_OPERATORS, {"number": number["id"],
                                             "users": [voip.user_id("employee")]})
    # The operator sees the VoIP icon; the account's admin (not an operator), reseller staff
    # and another account's operator do not.
    assert "VOIP" in await capabilities(voip, "employee")
    assert (await voip.call("employee", MY_VOIP))["myVoip"]["available"] is True
    assert "VOIP" not in await capabilities(voip, "admin")
    assert "VOIP" not in await capabilities(voip, "staff")
    other = await new_voip()
    await other.connect()
    other_number = await other.buy(phone())
    await other.call("admin", SET_OPERATORS, {"number": other_number["id"],
                                              "users": [other.user_id("admin")]})
    assert "VOIP" in await capabilities(other, "admin")
    assert "VOIP" not in await capabilities(voip, "admin")
    # Disconnected: nobody's any more.
    assert (await voip.call("admin", DISCONNECT))["disconnectTwilio"]["disconnected"] is True
    assert "VOIP" not in await capabilities(voip, "employee")
    assert (await voip.call("employee", MY_VOIP))["myVoip"]["available"] is False
    assert "VOIP" in await capabilities(other, "admin")


async def test_unsubscribing_disconnects_and_reactivating_does_not_reconnect(
        voip: Voip) -> None:
    await voip.connect()
    number = await voip.buy(phone())
    await voip.call("admin", SET_OPERATORS, {"number": number["id"],
                                             "users": [voip.user_id("employee")]})
    call = {"CallSid": "CA" + "7" * 32, "From": "+15145550177", "To": number["phoneNumber"],
            "CallStatus": "ringing", "Direction": "inbound"}
    assert (await voip.webhook(INCOMING, call)).status_code == 200
    account_id = to_base64("Account", voip.tenant.company.id)
    data = await voip.call("staff", UNSUBSCRIBE, {"id": account_id})
    assert data["deleteAccount"] == {"account": {"billingStatus": "UNSUBSCRIBED"},
                                     "errors": []}
    # As "Déconnecter": credentials forgotten, numbers unlinked (their webhooks cleared at
    # Twilio by the clean-up job), webhooks refused, the call log kept.
    stored = await TwilioAccount.get(account_id=voip.tenant.company.id)
    assert stored.active is False and stored.auth_token == "" and stored.api_key_secret == ""
    assert not await VoipNumber.filter(account_id=voip.tenant.company.id).exists()

    async def unpointed() -> bool:
        return voip.twilio.owned[number["sid"]]["voice_url"] == ""

    await wait_for(unpointed)
    again = await voip.webhook(INCOMING, {**call, "CallSid": "CA" + "8" * 32})
    assert again.status_code == 403
    assert await VoipCall.filter(account_id=voip.tenant.company.id).count() == 1
    # Reactivated: the account is back, its Twilio connection is not (the admin reconnects).
    sysadmin = await bearer_for(await make_user(UserRole.SYSTEM_ADMIN))
    back = await voip.gateway.graphql(REACTIVATE, {"id": account_id}, **sysadmin)
    assert back["data"]["reactivateAccount"]["errors"] == [], back
    for who, user in (("admin", voip.tenant.company_admin), ("employee", voip.tenant.employee)):
        voip.headers[who] = await bearer_for(user)  # unsubscribing ended their sessions
    assert (await voip.call("admin", "{ voipSettings { accountSid } }"))["voipSettings"] is None
    assert "VOIP" not in await capabilities(voip, "employee")
    assert (await voip.webhook(INCOMING, {**call, "CallSid": "CA" + "9" * 32})
            ).status_code == 403
    calls = await voip.call("admin", "{ voipCalls { totalCount } }")
    assert calls["voipCalls"]["totalCount"] == 1
    settings = await voip.connect()
    assert settings["accountSid"] == voip.twilio.sid


async def _call(account_id: int, started: dt.datetime, seconds: int, price: str) -> None:
    await VoipCall.create(
        account_id=account_id, direction=Direction.INBOUND, status=CallStatus.COMPLETED,
        our_number=phone(), other_number="+15145550100", started_at=started,
        answered_at=started, ended_at=started + dt.timedelta(seconds=seconds),
        duration=seconds, price=Decimal(price), currency="USD")


async def test_usage_and_csv_days_are_the_accounts(
        voip: Voip, new_voip: Callable[..., Awaitable[Voip]]) -> None:
    toronto, paris = ZoneInfo("America/Toronto"), ZoneInfo("Europe/Paris")
    montreal_id = voip.tenant.company.id
    other = await new_voip()
    paris_id = other.tenant.company.id
    await Account.filter(id=montreal_id).update(time_zone="America/Toronto")
    await Account.filter(id=paris_id).update(time_zone="Europe/Paris")
    # Toronto, around its midnight between January 14 and 15 (UTC-5): 23:30 on the 14th is
    # already the 15th in UTC; 00:30 on the 15th is the 15th in both.
    late = dt.datetime(2027, 1, 14, 23, 30, tzinfo=toronto)
    early = dt.datetime(2027, 1, 15, 0, 30, tzinfo=toronto)
    await _call(montreal_id, late, 61, "0.0200")  # 2 minutes
    await _call(montreal_id, early, 30, "0.0100")  # 1 minute
    # Paris (UTC+1): 00:30 on the 15th is still the 14th in UTC.
    await _call(paris_id, dt.datetime(2027, 1, 15, 0, 30, tzinfo=paris), 120, "0.0300")
    ids = [montreal_id, paris_id]

    def usage(items: list[dict[str, object]]) -> dict[tuple[object, object], object]:
        return {(item["account_id"], item["unit"]): item["quantity"] for item in items}

    day_14 = usage(await billable_usage(ids, dt.date(2027, 1, 14), dt.date(2027, 1, 14)))
    assert day_14 == {(montreal_id, "VOIP_MINUTES"): Decimal(2),
                      (montreal_id, "VOIP_CHARGES_USD"): Decimal("0.0200")}
    day_15 = usage(await billable_usage(ids, dt.date(2027, 1, 15), dt.date(2027, 1, 15)))
    assert day_15 == {(montreal_id, "VOIP_MINUTES"): Decimal(1),
                      (montreal_id, "VOIP_CHARGES_USD"): Decimal("0.0100"),
                      (paris_id, "VOIP_MINUTES"): Decimal(2),
                      (paris_id, "VOIP_CHARGES_USD"): Decimal("0.0300")}
    both = usage(await billable_usage([montreal_id], dt.date(2027, 1, 14),
                                      dt.date(2027, 1, 15)))
    assert both[(montreal_id, "VOIP_MINUTES")] == Decimal(3)
    # The call log's CSV shows the account's dates and times, and says in which zone.
    for who, title in (("admin", "Date and time (America/Toronto)"),
                       ("admin fr", "Date et heure (America/Toronto)")):
        url = (await voip.call(who, "{ voipCallsCsvUrl }"))["voipCallsCsvUrl"]
        csv = await voip.gateway.client.get(url.removeprefix("http://gateway.test"))
        lines = csv.text.lstrip("\ufeff").splitlines()
        assert lines[0].startswith(title + ",")
        assert [line[:19] for line in lines[1:]] == ["2027-01-15 00:30:00",
                                                     "2027-01-14 23:30:00"]
