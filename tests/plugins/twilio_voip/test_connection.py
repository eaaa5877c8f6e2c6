"""Connecting the Twilio account ("Intégration, Service tiers"), through the real SDK against
Prism: credentials verified, the token encrypted and never returned, a trial account limited
to one number, who may connect, and disconnecting."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from gateway.identity.models import AuditEntry
from plugins.twilio_voip.models import TwilioAccount, VoipCall, VoipNumber
from tests.plugins.twilio_voip.conftest import BUY, CONNECT, Voip, phone

SETTINGS = "{ voipSettings { accountSid trial ringSeconds voicemail greeting } }"
DISCONNECT = "mutation { disconnectTwilio { disconnected errors { code message } } }"


async def test_connect_verifies_with_twilio_and_keeps_the_token_encrypted(voip: Voip) -> None:
    settings = await voip.connect()
    assert settings["accountSid"] == voip.twilio.sid
    assert settings["trial"] is False
    # The SDK fetched the account (with these credentials), then made the softphone's key
    # and TwiML app pointing at the gateway's public URL.
    paths = [(method, path) for method, path, _ in voip.fake.requests
             if voip.twilio.sid in path]
    assert ("GET", f"/2010-04-01/Accounts/{voip.twilio.sid}.json") in paths
    assert [a["voice_url"] for a in voip.twilio.applications.values()] == [
        "http://gateway.test/twilio/voice/outgoing"]
    stored = await TwilioAccount.get(account_id=voip.tenant.company.id)
    assert voip.twilio.token not in stored.auth_token  # encrypted at rest
    assert stored.api_key_secret and stored.api_key_secret != stored.api_key_sid
    # Never returned: no field of the schema carries it.
    result = await voip.raw("admin", "{ __type(name: \"VoipSettings\") { fields { name } } }")
    names = {f["name"] for f in result["data"]["__type"]["fields"]}
    assert not names & {"authToken", "apiKeySecret", "token"}
    data = await voip.call("admin", SETTINGS)
    assert voip.twilio.token not in str(data)


async def test_wrong_credentials_are_refused_in_the_callers_language(voip: Voip) -> None:
    for who, word in (("admin", "refused"), ("admin fr", "refusé")):
        data = await voip.call(who, CONNECT, {"sid": voip.twilio.sid, "token": "0" * 32})
        [error] = data["connectTwilio"]["errors"]
        assert error["code"] == "BAD_CREDENTIALS"
        assert word in error["message"]
    data = await voip.call("admin", CONNECT, {"sid": "AC123", "token": "bad token"})
    codes = {(e["code"], tuple(e["field"])) for e in data["connectTwilio"]["errors"]}
    assert codes == {("INVALID", ("input", "accountSid")), ("INVALID", ("input", "authToken"))}
    assert not await TwilioAccount.filter(account_id=voip.tenant.company.id).exists()


async def test_twilio_down_is_a_payload_error_and_nothing_is_saved(voip: Voip) -> None:
    voip.fake.down = True
    try:
        data = await voip.call("admin fr", CONNECT, {"sid": voip.twilio.sid,
                                                     "token": voip.twilio.token})
    finally:
        voip.fake.down = False
    [error] = data["connectTwilio"]["errors"]
    assert error["code"] == "TWILIO_UNAVAILABLE" and "injoignable" in error["message"]
    assert not await TwilioAccount.filter(account_id=voip.tenant.company.id).exists()


async def test_who_may_connect(voip: Voip) -> None:
    # An employee (an operator at most) may not; reseller staff only through direct access.
    data = await voip.call("employee", CONNECT, {"sid": voip.twilio.sid,
                                                 "token": voip.twilio.token})
    assert data["connectTwilio"]["errors"][0]["code"] == "NOT_ALLOWED"
    result = await voip.raw("staff", CONNECT, {"sid": voip.twilio.sid,
                                               "token": voip.twilio.token})
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    settings = await voip.connect("direct")
    assert settings["accountSid"] == voip.twilio.sid
    # Audited as the reseller's, inside direct access, and the token is not in the log.
    [entry] = await AuditEntry.filter(action="MUTATION", account_id=voip.tenant.company.id,
                                      actor_id=voip.tenant.admin.id)
    assert "connectTwilio" in str(entry.detail), entry.detail
    assert voip.twilio.token not in str(entry.detail)
    # The professional connects the own account.
    pro = await voip.call("professional", CONNECT, {"sid": voip.fake.account().sid,
                                                    "token": "1" * 32})
    assert pro["connectTwilio"]["errors"][0]["code"] == "BAD_CREDENTIALS"


async def test_trial_account_holds_one_number(new_voip: Callable[..., Awaitable[Voip]]
                                              ) -> None:
    voip = await new_voip(trial=True)
    assert (await voip.connect())["trial"] is True
    await voip.buy(phone())
    data = await voip.call("admin fr", BUY, {"number": phone()})
    [error] = data["buyVoipNumber"]["errors"]
    assert error["code"] == "TRIAL_LIMIT"
    assert "mettez à niveau" in error["message"]
    assert await VoipNumber.filter(account_id=voip.tenant.company.id).count() == 1


async def test_a_twilio_account_connects_to_one_account_only(
        new_voip: Callable[..., Awaitable[Voip]]) -> None:
    first, second = await new_voip(), await new_voip()
    await first.connect()
    data = await second.call("admin", CONNECT, {"sid": first.twilio.sid,
                                                "token": first.twilio.token})
    assert data["connectTwilio"]["errors"][0]["code"] == "ALREADY_CONNECTED"
    # Without the token, another account's SID tells nothing about whose it is.
    data = await second.call("admin", CONNECT, {"sid": first.twilio.sid,
                                                "token": "f" * 32})
    assert data["connectTwilio"]["errors"][0]["code"] == "BAD_CREDENTIALS"


async def test_disconnect_stops_webhooks_and_keeps_the_call_log(voip: Voip) -> None:
    await voip.connect()
    number = await voip.buy(phone())
    await voip.webhook("/twilio/voice/incoming", {
        "CallSid": "CA" + "1" * 32, "From": "+15145550111", "To": number["phoneNumber"],
        "CallStatus": "ringing", "Direction": "inbound"})
    assert await VoipCall.filter(account_id=voip.tenant.company.id).count() == 1
    data = await voip.call("admin", DISCONNECT)
    assert data["disconnectTwilio"] == {"disconnected": True, "errors": []}
    stored = await TwilioAccount.get(account_id=voip.tenant.company.id)
    assert stored.active is False and stored.auth_token == ""
    response = await voip.webhook("/twilio/voice/incoming", {
        "CallSid": "CA" + "2" * 32, "From": "+15145550111", "To": number["phoneNumber"],
        "CallStatus": "ringing", "Direction": "inbound"})
    assert response.status_code == 403
    assert await VoipCall.filter(account_id=voip.tenant.company.id).count() == 1
    calls = await voip.call("admin", "{ voipCalls { totalCount } }")
    assert calls["voipCalls"]["totalCount"] == 1
    assert (await voip.call("admin", SETTINGS))["voipSettings"] is None
