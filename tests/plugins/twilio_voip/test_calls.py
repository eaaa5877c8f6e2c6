"""Calls through Twilio's webhooks, signed exactly as Twilio signs them: the incoming call
ringing the online operators, a realistic callback sequence (ringing, answered, completed,
recording, price) checked in the call log and the contact history, missed calls and
voicemail, outgoing calls checked before dialling, refused webhooks, and tenancy."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import jwt
import pytest
from strawberry.relay import to_base64

from gateway.api import Principal, current_pubsub
from plugins.clients.api import set_test_mode
from plugins.twilio_voip.calls import billable_usage
from plugins.twilio_voip.downloads import recording_url
from plugins.twilio_voip.models import CallStatus, VoipCall, VoipContact
from plugins.twilio_voip.schema import call_events
from tests.gateway.test_subscriptions import Server
from tests.plugins.twilio_voip.conftest import (
    CALLS,
    PRESENCE,
    SET_OPERATORS,
    START_CALL,
    UPDATE_NUMBER,
    Voip,
    phone,
    wait_for,
)
from tests.support.pubsub_gap import events_lost

INCOMING = "/twilio/voice/incoming"
STATUS = "/twilio/voice/status"
DIAL = "/twilio/voice/dial-result"
RECORDING = "/twilio/voice/recording"
OUTGOING = "/twilio/voice/outgoing"
NOTE = """
mutation ($call: ID!, $text: String!) {
  addVoipCallNote(input: {callId: $call, text: $text}) {
    call { notes { text authorName } } errors { code field message }
  }
}"""
CONTACTS = """
query ($search: String) {
  voipContacts(search: $search, first: 5) {
    totalCount
    edges { node { id name createdByCall phones { id kind number }
                   calls(first: 5) { totalCount edges { node { direction status } } } } }
  }
}"""
SETTINGS = """
mutation { updateVoipSettings(input: {voicemail: true, ringSeconds: 15}) {
  settings { voicemail ringSeconds } errors { code } } }"""
MISSED = "{ voipMissedCalls { id otherNumber status voicemail } }"


def sid(prefix: str, seed: int) -> str:
    return f"{prefix}{seed:032x}"


async def ready(voip: Voip) -> dict[str, Any]:
    """Connected, one number operated by the employee and the admin, both online."""
    await voip.connect()
    number = await voip.buy(phone())
    await voip.call("admin", SET_OPERATORS, {"number": number["id"], "users": [
        voip.user_id("employee"), voip.user_id("admin"), voip.user_id("admin fr")]})
    for who in ("employee", "admin"):
        await voip.call(who, PRESENCE, {"online": True})
    return number


async def test_unsigned_badly_signed_and_replayed_webhooks_are_refused(
        voip: Voip, new_voip: Callable[..., Awaitable[Voip]],
        caplog: pytest.LogCaptureFixture) -> None:
    number = await ready(voip)
    params = {"CallSid": sid("CA", 101), "From": "+15145550101",
              "To": number["phoneNumber"], "CallStatus": "ringing"}
    with caplog.at_level(logging.WARNING, "gateway.twilio_voip"):
        assert (await voip.webhook(INCOMING, params, signature="")).status_code == 403
        assert (await voip.webhook(INCOMING, params, signature="bm9wZQ==")).status_code == 403
        other = await new_voip()  # signed with another Twilio account's token
        assert (await voip.webhook(INCOMING, params, token=other.twilio.token)
                ).status_code == 403
        # Signed for another URL than the one Twilio was given.
        assert (await voip.webhook(INCOMING, params, sign_url="http://evil.test" + INCOMING)
                ).status_code == 403
    assert sum("refused" in r.getMessage() for r in caplog.records) >= 4
    assert not await VoipCall.filter(call_sid=sid("CA", 101)).exists()
    first = await voip.webhook(INCOMING, params)
    assert first.status_code == 200 and "<Dial" in first.text
    replay = await voip.webhook(INCOMING, params)
    assert replay.status_code == 409
    assert await VoipCall.filter(call_sid=sid("CA", 101)).count() == 1
    assert await VoipContact.filter(account_id=voip.tenant.company.id).count() == 1


async def test_incoming_call_end_to_end(voip: Voip) -> None:
    number = await ready(voip)
    employee = voip.tenant.employee.id
    caller, call_sid, leg = "+15145550199", sid("CA", 201), sid("CA", 202)
    recording_sid = sid("RE", 203)
    voip.fake.prices[call_sid] = None  # Twilio prices a call some time after it ended
    voip.fake.children[call_sid] = [leg]
    voip.fake.prices[leg] = None
    voip.fake.recordings[recording_sid] = b"ID3" + bytes(range(256)) * 8

    ringing = await voip.webhook(INCOMING, {"CallSid": call_sid, "From": caller,
                                            "To": number["phoneNumber"],
                                            "CallStatus": "ringing", "Direction": "inbound"})
    assert ringing.status_code == 200
    assert ringing.headers["content-type"].startswith("application/xml")
    assert f"<Client statusCallback=\"http://gateway.test{STATUS}\"" in ringing.text
    assert f">gw-user-{employee}</Client>" in ringing.text
    assert f">gw-user-{voip.tenant.company_admin.id}</Client>" in ringing.text
    assert f'action="http://gateway.test{DIAL}"' in ringing.text
    answered = await voip.webhook(STATUS, {"CallSid": leg, "ParentCallSid": call_sid,
                                           "CallStatus": "in-progress",
                                           "To": f"client:gw-user-{employee}"})
    assert answered.status_code == 200
    call = await VoipCall.get(call_sid=call_sid)
    assert call.status == CallStatus.IN_PROGRESS and call.operator_id == employee
    dialled = await voip.webhook(DIAL, {"CallSid": call_sid, "DialCallStatus": "completed",
                                        "DialCallDuration": "42"})
    assert "<Hangup" in dialled.text
    completed = await voip.webhook(STATUS, {"CallSid": call_sid, "CallStatus": "completed",
                                            "CallDuration": "42"})
    assert completed.status_code == 200
    recorded = await voip.webhook(RECORDING, {
        "CallSid": call_sid, "RecordingSid": recording_sid, "RecordingStatus": "completed",
        "RecordingDuration": "40",
        "RecordingUrl": f"https://api.twilio.com/2010-04-01/Accounts/{voip.twilio.sid}/"
                        f"Recordings/{recording_sid}"})
    assert recorded.status_code == 200

    async def recording_kept() -> bool:
        return bool((await VoipCall.get(id=call.id)).recording_file)
    await wait_for(recording_kept)
    # The price is not there yet: the job keeps asking until Twilio has it.
    assert (await VoipCall.get(id=call.id)).price is None
    voip.fake.prices[call_sid] = "-0.00850"
    voip.fake.prices[leg] = "-0.00400"

    async def priced() -> bool:
        return (await VoipCall.get(id=call.id)).price is not None
    await wait_for(priced)

    log = (await voip.call("admin", CALLS))["voipCalls"]
    assert log["totalCount"] == 1
    [row] = [edge["node"] for edge in log["edges"]]
    assert row["direction"] == "INBOUND" and row["status"] == "COMPLETED"
    assert row["duration"] == 42 and row["otherNumber"] == caller
    assert row["operatorName"] == f"Employee {voip.tenant.employee.last_name}"
    assert Decimal(row["price"]["amount"]) == Decimal("0.0125")
    assert row["price"]["currency"] == "USD"
    assert row["contact"]["name"] == caller  # the unknown number became a contact
    # The recording, streamed with Range support behind a signed URL.
    url = row["recordingUrl"].removeprefix("http://gateway.test")
    part = await voip.gateway.client.get(url, headers={"Range": "bytes=0-9"})
    assert part.status_code == 206 and part.content == b"ID3" + bytes(range(7))
    assert part.headers["content-type"] == "audio/mpeg"
    assert (await voip.gateway.client.get(url[:-3] + "xyz")).status_code == 404
    # The contact and its history.
    contacts = (await voip.call("employee", CONTACTS, {"search": "5550199"}))["voipContacts"]
    [contact] = [edge["node"] for edge in contacts["edges"]]
    assert contact["createdByCall"] is True and contact["phones"][0]["number"] == caller
    assert contact["calls"]["totalCount"] == 1
    assert contact["id"] == row["contact"]["id"]
    # A note on the call.
    noted = await voip.call("employee", NOTE, {"call": row["id"], "text": "Rappeler demain"})
    assert noted["addVoipCallNote"]["call"]["notes"][0]["text"] == "Rappeler demain"
    # Replays of the callbacks change nothing.
    assert (await voip.webhook(STATUS, {"CallSid": call_sid, "CallStatus": "completed",
                                        "CallDuration": "42"})).status_code == 409
    # The call log as CSV, in the reader's language.
    csv_url = (await voip.call("admin fr", "{ voipCallsCsvUrl }"))["voipCallsCsvUrl"]
    csv = await voip.gateway.client.get(csv_url.removeprefix("http://gateway.test"))
    assert csv.status_code == 200
    lines = csv.text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("Date et heure (America/Toronto),Direction,Statut,Agent,Client")
    assert "Entrant" in lines[1] and "0.0125" in lines[1] and caller in lines[1]
    # Billing's usage: minutes rounded up, charges in their currency.
    today = call.started_at.astimezone(ZoneInfo("America/Toronto")).date()  # the account's
    usage = {item["unit"]: item["quantity"] for item in await billable_usage(
        [voip.tenant.company.id], today, today)}
    assert usage == {"VOIP_MINUTES": Decimal(1), "VOIP_CHARGES_USD": Decimal("0.0125")}


async def test_missed_call_voicemail_and_call_back(voip: Voip) -> None:
    number = await ready(voip)
    await voip.call("admin", SETTINGS)
    await voip.call("admin", UPDATE_NUMBER, {"id": number["id"], "out": True})
    call_sid = sid("CA", 301)
    await voip.webhook(INCOMING, {"CallSid": call_sid, "From": "+15145550177",
                                  "To": number["phoneNumber"], "CallStatus": "ringing"})
    nobody = await voip.webhook(DIAL, {"CallSid": call_sid, "DialCallStatus": "no-answer"})
    assert "<Record" in nobody.text and "<Say" in nobody.text
    assert (await VoipCall.get(call_sid=call_sid)).status == CallStatus.MISSED
    missed = (await voip.call("employee", MISSED))["voipMissedCalls"]
    assert [m["otherNumber"] for m in missed] == ["+15145550177"]
    assert missed[0]["voicemail"] is True
    back = await voip.call("employee", START_CALL, {"input": {"callBackId": missed[0]["id"]}})
    assert back["startVoipCall"]["errors"] == []
    assert back["startVoipCall"]["number"] == "+15145550177"
    # A new session (offline, online) starts with no missed calls.
    await voip.call("employee", PRESENCE, {"online": False})
    await voip.call("employee", PRESENCE, {"online": True})
    assert (await voip.call("employee", MISSED))["voipMissedCalls"] == []
    # Nobody online: missed at once.
    for who in ("employee", "admin"):
        await voip.call(who, PRESENCE, {"online": False})
    alone = await voip.webhook(INCOMING, {"CallSid": sid("CA", 302), "From": "+15145550178",
                                          "To": number["phoneNumber"],
                                          "CallStatus": "ringing"})
    assert "<Dial" not in alone.text and "<Record" in alone.text


async def test_outgoing_call_is_checked_before_dialling(voip: Voip) -> None:
    number = await ready(voip)
    target = {"input": {"numberId": number["id"], "to": "+33 1 42 68 53 00"}}
    off = await voip.call("employee", START_CALL, target)
    assert off["startVoipCall"]["errors"][0]["code"] == "OUTGOING_DISABLED"
    await voip.call("admin", UPDATE_NUMBER, {"id": number["id"], "out": True})
    await set_test_mode(voip.tenant.company.id, True)
    refused = await voip.call("admin fr", START_CALL, target)
    [error] = refused["startVoipCall"]["errors"]
    assert error["code"] == "CALL_REFUSED" and "mode test" in error["message"]
    assert not await VoipCall.filter(account_id=voip.tenant.company.id).exists()
    await set_test_mode(voip.tenant.company.id, False)
    bad = await voip.call("employee", START_CALL, {"input": {"numberId": number["id"],
                                                             "to": "call me"}})
    assert bad["startVoipCall"]["errors"][0]["code"] == "INVALID_NUMBER"
    started = (await voip.call("employee", START_CALL, target))["startVoipCall"]
    assert started["errors"] == [] and started["number"] == "+33142685300"
    assert started["call"]["contact"]["name"] == "+33142685300"  # a new contact
    token, employee = started["callToken"], voip.tenant.employee.id
    params = {"CallSid": sid("CA", 401), "From": f"client:gw-user-{employee}",
              "CallToken": token}
    # Another operator cannot use this call's token.
    stolen = await voip.webhook(OUTGOING, {**params, "From": "client:gw-user-999999"})
    assert "<Dial" not in stolen.text
    dialled = await voip.webhook(OUTGOING, params)
    assert f'callerId="{number["phoneNumber"]}"' in dialled.text
    assert ">+33142685300</Number>" in dialled.text
    again = await voip.webhook(OUTGOING, {**params, "CallSid": sid("CA", 402)})
    assert "<Dial" not in again.text and "<Hangup" in again.text  # one use
    # An operator whose own switch is off may not call.
    operator = await voip.call("admin", "{ voipNumbers { edges { node { operators { id name "
                               "} } } } }")
    mine = [o for o in operator["voipNumbers"]["edges"][0]["node"]["operators"]
            if o["name"].startswith("Employee")][0]
    await voip.call("admin", "mutation ($id: ID!) { updateVoipOperator(input: {id: $id, "
                    "outgoingCalls: false}) { errors { code } } }", {"id": mine["id"]})
    off = await voip.call("employee", START_CALL, target)
    assert off["startVoipCall"]["errors"][0]["code"] == "OUTGOING_DISABLED"


async def test_access_token_for_the_browser(voip: Voip) -> None:
    await ready(voip)
    data = await voip.call("employee", "mutation { createVoipAccessToken { token identity "
                           "expiresAt errors { code } } }")
    payload = data["createVoipAccessToken"]
    claims = jwt.decode(payload["token"], options={"verify_signature": False})
    assert claims["sub"] == voip.twilio.sid
    assert claims["grants"]["identity"] == f"gw-user-{voip.tenant.employee.id}"
    assert claims["grants"]["voice"]["incoming"] == {"allow": True}
    assert claims["exp"] - claims["nbf"] == 900
    # Not an operator: no token.
    refused = await voip.call("professional", "mutation { createVoipAccessToken { token errors "
                              "{ code } } }")
    assert refused["createVoipAccessToken"]["token"] is None


async def test_another_accounts_calls_and_recordings_are_not_found(
        voip: Voip, new_voip: Callable[..., Awaitable[Voip]], count_queries: Any) -> None:
    number = await ready(voip)
    for n in range(3):
        await voip.webhook(INCOMING, {"CallSid": sid("CA", 500 + n), "From": f"+1514555060{n}",
                                      "To": number["phoneNumber"], "CallStatus": "ringing"})
    other = await new_voip()
    await other.connect()
    assert (await other.call("admin", CALLS))["voipCalls"]["totalCount"] == 0
    call = await VoipCall.get(call_sid=sid("CA", 500))
    global_id = to_base64("VoipCall", call.id)
    node = await other.call("admin", "query ($id: ID!) { node(id: $id) { id } }",
                            {"id": global_id})
    assert node["node"] is None
    noted = await other.call("admin", NOTE, {"call": global_id, "text": "x"})
    assert noted["addVoipCallNote"]["errors"][0]["code"] == "NOT_FOUND"
    # A recording URL is signed for its own account's call only.
    url = recording_url(voip.gateway.app.state.host, call.id, other.tenant.company.id)
    assert (await voip.gateway.client.get(url.removeprefix("http://gateway.test"))
            ).status_code == 404
    # The log's page costs the same SQL whatever its size.
    counts = {}
    for first in (1, 3):
        with count_queries() as statements:
            await voip.call("admin", CALLS, {"first": first})
        counts[first] = len(statements)
    assert counts[1] == counts[3]


async def test_events_reach_the_numbers_online_operators(voip: Voip) -> None:
    number = await ready(voip)
    bus = current_pubsub()
    assert bus is not None
    admin = Principal(role="COMPANY_ADMIN", user_id=voip.tenant.company_admin.id,
                      account_id=voip.tenant.company.id)
    stream = call_events(admin, bus)
    first = stream.__anext__()
    waiting = asyncio.ensure_future(first)
    await asyncio.sleep(0)
    call_sid = sid("CA", 601)
    while not bus.subscriber_count(f"twilio_voip.account.{voip.tenant.company.id}"):
        await asyncio.sleep(0.01)
    await voip.webhook(INCOMING, {"CallSid": call_sid, "From": "+15145550161",
                                  "To": number["phoneNumber"], "CallStatus": "ringing"})
    event = await asyncio.wait_for(waiting, 10)
    assert event.kind.value == "RINGING" and event.call.other_number == "+15145550161"
    assert event.call.contact is not None  # identified: the contact's name and id
    await voip.webhook(STATUS, {"CallSid": sid("CA", 602), "ParentCallSid": call_sid,
                                "CallStatus": "in-progress",
                                "To": f"client:gw-user-{voip.tenant.employee.id}"})
    event = await asyncio.wait_for(stream.__anext__(), 10)
    assert event.kind.value == "ANSWERED_ELSEWHERE"
    await voip.webhook(STATUS, {"CallSid": call_sid, "CallStatus": "completed",
                                "CallDuration": "5"})
    event = await asyncio.wait_for(stream.__anext__(), 10)
    assert event.kind.value == "ENDED"
    await stream.aclose()


async def test_events_over_websocket(voip: Voip) -> None:
    """The subscription as a browser uses it: graphql-transport-ws, signed in by bearer."""
    number = await ready(voip)
    async with Server(voip.gateway).running() as server, server.client(
            headers=voip.headers["employee"]) as client:
        await client.subscribe("1", "subscription { voipCallEvents { kind call { otherNumber "
                               "contact { name } } } }", {})
        channel = f"twilio_voip.account.{voip.tenant.company.id}"
        bus = current_pubsub()
        assert bus is not None
        while not bus.subscriber_count(channel):
            await asyncio.sleep(0.01)
        await voip.webhook(INCOMING, {"CallSid": sid("CA", 701), "From": "+15145550171",
                                      "To": number["phoneNumber"], "CallStatus": "ringing"})
        message = await client.receive()
        assert message["type"] == "next", message
        event = message["payload"]["data"]["voipCallEvents"]
        assert event == {"kind": "RINGING", "call": {"otherNumber": "+15145550171",
                                                     "contact": {"name": "+15145550171"}}}
        # The pub/sub loses its connection for a moment: the ringing it missed is past (the
        # calls list has it); the subscription goes on with the next call.
        async with events_lost(bus, channel):
            await voip.webhook(INCOMING, {"CallSid": sid("CA", 702), "From": "+15145550172",
                                          "To": number["phoneNumber"], "CallStatus": "ringing"})
        await voip.webhook(INCOMING, {"CallSid": sid("CA", 703), "From": "+15145550173",
                                      "To": number["phoneNumber"], "CallStatus": "ringing"})
        message = await client.receive()
        assert message["type"] == "next", message
        assert message["payload"]["data"]["voipCallEvents"]["call"]["otherNumber"] == (
            "+15145550173")
    # Reseller staff outside direct access may not subscribe.
    async with Server(voip.gateway).running() as server, server.client(
            headers=voip.headers["staff"]) as client:
        await client.subscribe("2", "subscription { voipCallEvents { kind } }", {})
        refused = await client.receive()
        assert refused["type"] == "error" and "FORBIDDEN" in str(refused["payload"]), refused
