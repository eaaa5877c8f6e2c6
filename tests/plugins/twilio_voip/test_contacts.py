"""CRM contacts: several numbers per contact (mobile, work, home), search by part of a name,
calling one of a contact's numbers, a number held by one contact only, and the list's SQL."""

from __future__ import annotations

from typing import Any

from tests.plugins.twilio_voip.conftest import (
    PRESENCE,
    SET_OPERATORS,
    START_CALL,
    UPDATE_NUMBER,
    Voip,
    phone,
)

SAVE = """
mutation ($input: SaveVoipContactInput!) {
  saveVoipContact(input: $input) {
    contact { id name phones { id kind number } } errors { code field message }
  }
}"""
SEARCH = """
query ($search: String, $first: Int) {
  voipContacts(search: $search, first: $first) {
    totalCount edges { node { id name phones { kind number } } }
  }
}"""


async def test_contacts_with_several_numbers_and_calling_one(voip: Voip,
                                                            count_queries: Any) -> None:
    await voip.connect()
    number = await voip.buy(phone())
    await voip.call("admin", SET_OPERATORS, {"number": number["id"],
                                             "users": [voip.user_id("employee")]})
    await voip.call("admin", UPDATE_NUMBER, {"id": number["id"], "out": True})
    await voip.call("employee", PRESENCE, {"online": True})
    saved = await voip.call("employee", SAVE, {"input": {"name": "Marie Tremblay", "phones": [
        {"kind": "MOBILE", "number": "+1 514 555 0142"},
        {"kind": "WORK", "number": "+15145550143"}, {"kind": "HOME", "number": "+15145550144"}]}})
    contact = saved["saveVoipContact"]["contact"]
    assert [p["kind"] for p in contact["phones"]] == ["MOBILE", "WORK", "HOME"]
    assert contact["phones"][0]["number"] == "+15145550142"
    for n in range(4):
        await voip.call("employee", SAVE, {"input": {"name": f"Client {n}", "phones": [
            {"number": f"+1514555080{n}"}]}})
    found = (await voip.call("employee", SEARCH, {"search": "trem"}))["voipContacts"]
    assert [edge["node"]["name"] for edge in found["edges"]] == ["Marie Tremblay"]
    # A number belongs to one contact of the account.
    taken = await voip.call("employee", SAVE, {"input": {"name": "Autre", "phones": [
        {"number": "+15145550143"}]}})
    [error] = taken["saveVoipContact"]["errors"]
    assert error["code"] == "NUMBER_TAKEN" and error["field"] == ["input", "phones", "0",
                                                                  "number"]
    bad = await voip.call("employee", SAVE, {"input": {"name": " ", "phones": []}})
    assert bad["saveVoipContact"]["errors"][0]["code"] == "REQUIRED"
    # Calling the contact's work number: the call is in the contact's history.
    work = contact["phones"][1]["id"]
    started = await voip.call("employee", START_CALL, {"input": {"contactPhoneId": work}})
    call = started["startVoipCall"]
    assert call["errors"] == [] and call["number"] == "+15145550143"
    assert call["call"]["contact"] == {"id": contact["id"], "name": "Marie Tremblay"}
    # A page of contacts costs the same SQL whatever its size.
    counts = {}
    for first in (1, 4):
        with count_queries() as statements:
            await voip.call("employee", SEARCH, {"first": first})
        counts[first] = len(statements)
    assert counts[1] == counts[4]


async def test_another_accounts_contacts_are_not_found(voip: Voip, new_voip: Any) -> None:
    other = await new_voip()
    saved = await other.call("admin", SAVE, {"input": {"name": "Secret", "phones": [
        {"number": "+15145550199"}]}})
    theirs = saved["saveVoipContact"]["contact"]
    data = await voip.call("admin", SAVE, {"input": {"id": theirs["id"], "name": "Mine"}})
    assert data["saveVoipContact"]["errors"][0]["code"] == "NOT_FOUND"
    assert (await voip.call("admin", SEARCH, {"search": "Secret"}))["voipContacts"][
        "totalCount"] == 0
    # The same number may be a contact in each account.
    mine = await voip.call("admin", SAVE, {"input": {"name": "Mine", "phones": [
        {"number": "+15145550199"}]}})
    assert mine["saveVoipContact"]["errors"] == []
