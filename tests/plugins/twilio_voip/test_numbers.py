"""Virtual numbers and operators: search and buy (webhooks pointed at the gateway), link one
already bought, edit, delete (release or unlink), operators with their own switches, what
`myVoip` tells, and another account's numbers and operators not found."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from plugins.twilio_voip.models import VoipNumber
from tests.plugins.twilio_voip.conftest import (
    BUY,
    PRESENCE,
    SET_OPERATORS,
    UPDATE_NUMBER,
    Voip,
    phone,
    wait_for,
)

SEARCH = """
query ($country: String!, $area: String, $contains: String) {
  availableVoipNumbers(country: $country, areaCode: $area, contains: $contains, first: 5) {
    phoneNumber friendlyName locality region country
  }
}"""
UNLINKED = "{ unlinkedTwilioNumbers { sid phoneNumber } }"
LINK = """
mutation ($sid: String!) {
  linkVoipNumber(input: {sid: $sid, friendlyName: "Support"}) {
    number { id sid phoneNumber friendlyName bought } errors { code field message }
  }
}"""
DELETE = """
mutation ($id: ID!, $mode: VoipNumberDeletion!) {
  deleteVoipNumber(input: {id: $id, mode: $mode}) { deletedId errors { code field message } }
}"""
MY_VOIP = "{ myVoip { available connected online administrator numbers { phoneNumber } } }"
UPDATE_OPERATOR = """
mutation ($id: ID!, $out: Boolean) {
  updateVoipOperator(input: {id: $id, outgoingCalls: $out}) {
    operator { id outgoingCalls recording } errors { code field message }
  }
}"""


async def test_search_buy_and_point_the_webhooks(voip: Voip) -> None:
    await voip.connect()
    found = await voip.call("admin", SEARCH, {"country": "US", "area": "510",
                                              "contains": "555"})
    offered = found["availableVoipNumbers"]
    assert offered and offered[0]["phoneNumber"].startswith("+")
    # The SDK sent the search as Twilio's API describes it (Prism validated the request).
    [query] = [p for m, p, _ in voip.fake.requests if "AvailablePhoneNumbers/US/Local" in p]
    assert query.endswith("Local.json")
    wanted = phone()
    number = await voip.buy(wanted)
    assert number["phoneNumber"] == wanted and number["bought"] is True
    [owned] = [n for n in voip.twilio.owned.values() if n["phone_number"] == wanted]
    assert owned["voice_url"] == "http://gateway.test/twilio/voice/incoming"
    assert owned["status_callback"] == "http://gateway.test/twilio/voice/status"
    # Bad search input is an error with its field, never a 500.
    result = await voip.raw("admin", SEARCH, {"country": "Canada"})
    assert result["errors"][0]["extensions"]["code"] == "INVALID"
    # A number used on the platform cannot be bought twice.
    again = await voip.call("admin", BUY, {"number": wanted})
    assert again["buyVoipNumber"]["errors"][0]["code"] == "NUMBER_TAKEN"


async def test_link_an_already_bought_number(new_voip: Callable[..., Awaitable[Voip]]) -> None:
    existing = phone()
    voip = await new_voip(owned=[existing])
    await voip.connect()
    unlinked = (await voip.call("admin", UNLINKED))["unlinkedTwilioNumbers"]
    assert [n["phoneNumber"] for n in unlinked] == [existing]
    data = await voip.call("admin", LINK, {"sid": unlinked[0]["sid"]})
    number = data["linkVoipNumber"]["number"]
    assert number["bought"] is False and number["friendlyName"] == "Support"
    assert voip.twilio.owned[unlinked[0]["sid"]]["voice_url"].endswith(
        "/twilio/voice/incoming")
    assert (await voip.call("admin", UNLINKED))["unlinkedTwilioNumbers"] == []
    missing = await voip.call("admin", LINK, {"sid": "PN" + "0" * 32})
    assert missing["linkVoipNumber"]["errors"][0]["code"] == "NOT_FOUND"


async def test_delete_releases_or_unlinks(voip: Voip) -> None:
    await voip.connect()
    released, unlinked = await voip.buy(phone()), await voip.buy(phone())
    data = await voip.call("admin", DELETE, {"id": released["id"], "mode": "RELEASE"})
    assert data["deleteVoipNumber"]["errors"] == []
    assert released["sid"] not in voip.twilio.owned  # given back to Twilio
    data = await voip.call("admin", DELETE, {"id": unlinked["id"], "mode": "UNLINK"})
    assert data["deleteVoipNumber"]["errors"] == []
    # Kept in the Twilio account; bought here, it had no webhooks before: they are cleared
    # (Twilio's way: empty URLs), no longer the gateway's.
    owned = voip.twilio.owned[unlinked["sid"]]
    assert (owned["voice_url"], owned["status_callback"]) == ("", "")
    update = [form for method, path, form in voip.fake.requests
              if method == "POST" and path.endswith(f"/IncomingPhoneNumbers/{unlinked['sid']}"
                                                    ".json")][-1]
    assert update["VoiceUrl"] == "" and update["StatusCallback"] == ""
    assert not await VoipNumber.filter(account_id=voip.tenant.company.id).exists()
    # Which one is asked every time: no default.
    result = await voip.raw("admin", "mutation ($id: ID!) { deleteVoipNumber(input: {id: $id})"
                            " { deletedId } }", {"id": released["id"]})
    assert "errors" in result


async def test_unlink_gives_a_linked_number_its_webhooks_back(
        new_voip: Callable[..., Awaitable[Voip]]) -> None:
    first, second = phone(), phone()
    voip = await new_voip(owned=[first, second])
    before = {"voice_url": "https://ivr.example.com/answer", "voice_method": "GET",
              "status_callback": "https://ivr.example.com/status",
              "status_callback_method": "POST"}
    for owned in voip.twilio.owned.values():
        owned.update(before)
    await voip.connect()
    linked = []
    for unlinked in (await voip.call("admin", UNLINKED))["unlinkedTwilioNumbers"]:
        data = await voip.call("admin", LINK, {"sid": unlinked["sid"]})
        linked.append(data["linkVoipNumber"]["number"])
        owned = voip.twilio.owned[unlinked["sid"]]
        assert owned["voice_url"] == "http://gateway.test/twilio/voice/incoming"
        assert owned["voice_method"] == "POST"
    stored = await VoipNumber.get(sid=linked[0]["sid"])
    assert stored.previous_webhooks == before
    # Unlinked by hand: exactly what it had before.
    data = await voip.call("admin", DELETE, {"id": linked[0]["id"], "mode": "UNLINK"})
    assert data["deleteVoipNumber"]["errors"] == []
    assert {key: voip.twilio.owned[linked[0]["sid"]][key] for key in before} == before
    # Unlinked by disconnecting (the clean-up job): the same.
    data = await voip.call("admin", "mutation { disconnectTwilio { disconnected } }")
    assert data["disconnectTwilio"]["disconnected"] is True

    async def restored() -> bool:
        owned = voip.twilio.owned[linked[1]["sid"]]
        return {key: owned[key] for key in before} == before

    await wait_for(restored)


async def test_operators_switches_and_my_voip(voip: Voip) -> None:
    await voip.connect()
    assert (await voip.call("employee", MY_VOIP))["myVoip"]["available"] is False
    number = await voip.buy(phone())
    data = await voip.call("admin", SET_OPERATORS, {
        "number": number["id"], "users": [voip.user_id("employee"), voip.user_id("admin")]})
    operators = data["setVoipNumberOperators"]["number"]["operators"]
    assert len(operators) == 2 and all(o["outgoingCalls"] for o in operators)
    mine = (await voip.call("employee", MY_VOIP))["myVoip"]
    assert mine["available"] is True and mine["administrator"] is False
    assert mine["numbers"] == [{"phoneNumber": number["phoneNumber"]}]
    online = await voip.call("employee", PRESENCE, {"online": True})
    assert online["setVoipPresence"]["voip"]["online"] is True
    operator = [o for o in operators if o["name"].startswith("Employee")][0]
    changed = await voip.call("admin", UPDATE_OPERATOR, {"id": operator["id"], "out": False})
    assert changed["updateVoipOperator"]["operator"]["outgoingCalls"] is False
    # The number's switches.
    switched = await voip.call("admin", UPDATE_NUMBER, {"id": number["id"], "out": True,
                                                        "rec": True})
    assert switched["updateVoipNumber"]["number"] == {
        "id": number["id"], "outgoingCalls": True, "recording": True}
    # An employee does not manage numbers.
    refused = await voip.call("employee", UPDATE_NUMBER, {"id": number["id"], "out": False})
    assert refused["updateVoipNumber"]["errors"][0]["code"] == "NOT_ALLOWED"


async def test_another_accounts_numbers_and_users_are_not_found(
        new_voip: Callable[..., Awaitable[Voip]]) -> None:
    ours, theirs = await new_voip(), await new_voip()
    await ours.connect()
    await theirs.connect()
    their_number = await theirs.buy(phone())
    our_number = await ours.buy(phone())
    data = await ours.call("admin", UPDATE_NUMBER, {"id": their_number["id"], "out": True})
    assert data["updateVoipNumber"]["errors"][0]["code"] == "NOT_FOUND"
    data = await ours.call("admin", SET_OPERATORS, {"number": our_number["id"],
                                                    "users": [theirs.user_id("employee")]})
    [error] = data["setVoipNumberOperators"]["errors"]
    assert error["code"] == "NOT_FOUND" and error["field"] == ["input", "userIds", "0"]
    data = await ours.call("admin", DELETE, {"id": their_number["id"], "mode": "RELEASE"})
    assert data["deleteVoipNumber"]["errors"][0]["code"] == "NOT_FOUND"
    assert their_number["sid"] in theirs.twilio.owned
    node = await ours.call("admin", "query ($id: ID!) { node(id: $id) { id } }",
                           {"id": their_number["id"]})
    assert node["node"] is None
    listed = await ours.call("admin", "{ voipNumbers { totalCount } }")
    assert listed["voipNumbers"]["totalCount"] == 1
