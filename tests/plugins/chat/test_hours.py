"""Managing chat service hours over GraphQL: the system admin permits chat, the reseller ticks
"Activer"; the built-in weekly schedules of each language, custom ones, the lunch break and
special events; refusals with a code, the field and a message in fr and en (an overlap names
the other schedule); another reseller's ids are not found; every change is audited."""

from __future__ import annotations

from gateway.identity.models import AuditEntry
from plugins.chat.models import ChatSettings, SpecialEvent, WeeklySchedule
from tests.conftest import Gateway, QueryLog
from tests.plugins.chat.hours_support import (
    CREATE_EVENT,
    CREATE_SCHEDULE,
    DELETE_EVENT,
    DELETE_SCHEDULE,
    EVENTS,
    PERMIT,
    SCHEDULES,
    SETTINGS,
    UPDATE_EVENT,
    UPDATE_SCHEDULE,
    UPDATE_SETTINGS,
    call,
    chat_world,
    schedules_by_name,
)


async def test_chat_is_off_until_the_system_admin_permits_it(gateway: Gateway) -> None:
    world = await chat_world(gateway, enable=False)
    settings = (await call(gateway, SETTINGS, {}, world.admin))["chatSettings"]
    assert (settings["permitted"], settings["enabled"], settings["timeZone"]) == (
        False, False, "America/Toronto")
    assert settings["reseller"] == world.reseller_id

    # The reseller cannot tick "Activer" yet: the message says whom to contact, in its language.
    refused = await call(gateway, UPDATE_SETTINGS, {"i": {"enabled": True}}, world.admin)
    assert refused["updateChatSettings"]["settings"] is None
    [error] = refused["updateChatSettings"]["errors"]
    assert (error["code"], error["field"]) == ("NOT_PERMITTED", ["input", "enabled"])
    assert "system administrator" in error["message"]
    refused_fr = await call(gateway, UPDATE_SETTINGS, {"i": {"enabled": True}}, world.admin_fr)
    assert "administrateur-système" in refused_fr["updateChatSettings"]["errors"][0]["message"]

    # Only a system admin permits (the reseller's own admin may not even call it).
    denied = await gateway.graphql(PERMIT, {"i": {"resellerId": world.reseller_id,
                                                  "permitted": True}}, **world.admin)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    await call(gateway, PERMIT, {"i": {"resellerId": world.reseller_id, "permitted": True}},
               world.system)
    enabled = await call(gateway, UPDATE_SETTINGS, {"i": {"enabled": True,
                                                          "timeZone": "America/Vancouver"}},
                         world.admin)
    assert enabled["updateChatSettings"]["settings"]["enabled"] is True
    assert enabled["updateChatSettings"]["settings"]["timeZone"] == "America/Vancouver"

    # Turning it off keeps the schedules; withdrawing the permission turns it off.
    await call(gateway, UPDATE_SETTINGS, {"i": {"enabled": False}}, world.admin)
    assert await WeeklySchedule.filter(reseller_id=world.tenant.reseller.id).count() == 4
    await call(gateway, UPDATE_SETTINGS, {"i": {"enabled": True}}, world.admin)
    await call(gateway, PERMIT, {"i": {"resellerId": world.reseller_id, "permitted": False}},
               world.system)
    row = await ChatSettings.get(reseller_id=world.tenant.reseller.id)
    assert (row.permitted, row.enabled) == (False, False)
    assert await WeeklySchedule.filter(reseller_id=world.tenant.reseller.id).count() == 4

    bad_zone = await call(gateway, UPDATE_SETTINGS, {"i": {"timeZone": "Mars/Olympus"}},
                          world.admin)
    assert bad_zone["updateChatSettings"]["errors"][0]["code"] == "INVALID_TIME_ZONE"
    assert bad_zone["updateChatSettings"]["errors"][0]["field"] == ["input", "timeZone"]
    # Every change by staff is audited by the kit.
    audited = [(entry.actor_id, entry.detail["field"], entry.detail["outcome"])
               for entry in await AuditEntry.all().order_by("id")]
    assert (world.system_admin.id, "setChatPermitted", "OK") in audited
    assert (world.tenant.admin.id, "updateChatSettings", "OK") in audited
    assert (world.tenant.admin.id, "updateChatSettings", "REFUSED") in audited


async def test_each_language_gets_the_built_in_schedules(gateway: Gateway) -> None:
    world = await chat_world(gateway)
    english = await schedules_by_name(gateway, world.admin, "en")
    assert set(english) == {"Weekdays", "Weekend"}
    weekdays = english["Weekdays"]
    assert (weekdays["kind"], weekdays["days"], weekdays["startTime"], weekdays["endTime"],
            weekdays["open"], weekdays["builtIn"]) == (
        "WORKING_HOURS", ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"], "09:00",
        "17:00", True, True)
    weekend = english["Weekend"]
    assert (weekend["days"], weekend["allDay"], weekend["open"], weekend["startTime"]) == (
        ["SATURDAY", "SUNDAY"], True, False, None)
    # Names in the reader's language; the French service has its own schedules.
    french = await schedules_by_name(gateway, world.admin_fr, "fr")
    assert set(french) == {"En semaine", "Weekend"}
    assert french["En semaine"]["id"] != weekdays["id"]
    everything = await call(gateway, SCHEDULES, {}, world.admin)
    assert everything["chatSchedules"]["totalCount"] == 4
    # A subscriber does not manage the reseller's chat.
    denied = await gateway.graphql(SCHEDULES, {}, **world.company_admin)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_custom_schedules_and_overlaps_within_one_rank(gateway: Gateway) -> None:
    world = await chat_world(gateway)
    training = {"language": "fr", "name": "Formation", "days": ["WEDNESDAY"],
                "startTime": "13:30", "endTime": "17:00", "open": False}
    created = (await call(gateway, CREATE_SCHEDULE, {"i": training}, world.admin))
    schedule = created["createChatSchedule"]["schedule"]
    assert (schedule["kind"], schedule["name"], schedule["days"], schedule["open"]) == (
        "CUSTOM", "Formation", ["WEDNESDAY"], False)

    # Overlapping another custom schedule of the language: refused, naming it, fr and en.
    clash = {**training, "name": "Réunion", "days": ["MONDAY", "WEDNESDAY"],
             "startTime": "16:00", "endTime": "18:00"}
    for headers, words in ((world.admin, "overlap the schedule “Formation”"),
                           (world.admin_fr, "chevauchent l'horaire « Formation »")):
        refused = await call(gateway, CREATE_SCHEDULE, {"i": clash}, headers)
        [error] = refused["createChatSchedule"]["errors"]
        assert error["code"] == "OVERLAP" and words in error["message"], error
    # The same hours in the other language, or over the (lower-ranked) working hours: fine.
    english = await call(gateway, CREATE_SCHEDULE, {"i": {**clash, "language": "en"}},
                         world.admin)
    assert english["createChatSchedule"]["errors"] == []
    every_day = await call(gateway, CREATE_SCHEDULE, {"i": {
        "language": "fr", "name": "Soirée", "everyDay": True, "startTime": "20:00",
        "endTime": "00:00", "open": True}}, world.admin)
    evening = every_day["createChatSchedule"]["schedule"]
    assert len(evening["days"]) == 7 and evening["endTime"] == "24:00"
    assert await WeeklySchedule.filter(name="Réunion", language="fr").count() == 0

    # Editing into an overlap is refused too, and leaves the schedule as it was.
    moved = await call(gateway, UPDATE_SCHEDULE, {"i": {
        "id": evening["id"], "days": ["WEDNESDAY"], "startTime": "15:00", "endTime": "21:00"}},
        world.admin)
    assert moved["updateChatSchedule"]["errors"][0]["code"] == "OVERLAP"
    assert (await WeeklySchedule.get(name="Soirée")).days == 127

    deleted = await call(gateway, DELETE_SCHEDULE, {"i": {"id": evening["id"]}}, world.admin)
    assert deleted["deleteChatSchedule"]["deletedId"] == evening["id"]


async def test_bad_hours_are_refused_field_by_field(gateway: Gateway) -> None:
    world = await chat_world(gateway)
    base = {"language": "fr", "name": "X", "days": ["MONDAY"], "startTime": "09:00",
            "endTime": "10:00"}
    cases = [
        ({"language": "de"}, "INVALID_LANGUAGE", ["input", "language"]),
        ({"name": "  "}, "REQUIRED", ["input", "name"]),
        ({"name": "x" * 101}, "TOO_LONG", ["input", "name"]),
        ({"days": []}, "INVALID_DAYS", ["input", "days"]),
        ({"days": ["MONDAY", "MONDAY"]}, "INVALID_DAYS", ["input", "days"]),
        ({"startTime": "25:00"}, "INVALID_TIME", ["input", "startTime"]),
        ({"startTime": "9h"}, "INVALID_TIME", ["input", "startTime"]),
        ({"endTime": "10:00:30"}, "INVALID_TIME", ["input", "endTime"]),
        ({"startTime": None}, "REQUIRED", ["input", "startTime"]),
        ({"endTime": "09:00"}, "INVALID_PERIOD", ["input", "endTime"]),
    ]
    for change, code, where in cases:
        answer = await call(gateway, CREATE_SCHEDULE, {"i": {**base, **change}}, world.admin_fr)
        [error] = answer["createChatSchedule"]["errors"]
        assert (error["code"], error["field"]) == (code, where), (change, error)
        assert error["message"]
    assert await WeeklySchedule.filter(kind="CUSTOM").count() == 0


async def test_the_lunch_break_is_added_from_the_working_hours(gateway: Gateway) -> None:
    world = await chat_world(gateway)
    french = await schedules_by_name(gateway, world.admin_fr, "fr")
    working = french["En semaine"]
    added = await call(gateway, UPDATE_SCHEDULE, {"i": {
        "id": working["id"], "addLunchBreak": True, "days": ["MONDAY", "TUESDAY", "WEDNESDAY",
                                                             "THURSDAY"],
        "startTime": "08:30", "endTime": "16:30"}}, world.admin_fr)
    payload = added["updateChatSchedule"]
    assert payload["errors"] == []
    assert (payload["schedule"]["startTime"], payload["schedule"]["endTime"]) == (
        "08:30", "16:30")
    lunch = payload["lunchBreak"]
    assert (lunch["name"], lunch["kind"], lunch["open"], lunch["startTime"], lunch["endTime"],
            lunch["days"]) == ("Pause-repas", "LUNCH_BREAK", False, "12:00", "13:00",
                               ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY"])
    # Ticking it again creates no second one; the lunch break is then edited like any other.
    again = await call(gateway, UPDATE_SCHEDULE, {"i": {"id": working["id"],
                                                        "addLunchBreak": True}}, world.admin)
    assert again["updateChatSchedule"]["lunchBreak"]["id"] == lunch["id"]
    # An edit keeps what it does not give: only the end time here.
    only_end = (await call(gateway, UPDATE_SCHEDULE, {"i": {"id": working["id"],
                                                            "endTime": "18:00"}}, world.admin))
    kept_days = only_end["updateChatSchedule"]["schedule"]
    assert (kept_days["days"], kept_days["startTime"], kept_days["endTime"]) == (
        ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY"], "08:30", "18:00")
    timed = (await call(gateway, UPDATE_SCHEDULE, {"i": {
        "id": french["Weekend"]["id"], "startTime": "10:00", "endTime": "12:00"}},
        world.admin))["updateChatSchedule"]["schedule"]
    assert (timed["days"], timed["allDay"], timed["startTime"]) == (
        ["SATURDAY", "SUNDAY"], False, "10:00")
    edited = await call(gateway, UPDATE_SCHEDULE, {"i": {
        "id": lunch["id"], "days": ["MONDAY"], "startTime": "11:45", "endTime": "12:45"}},
        world.admin)
    assert edited["updateChatSchedule"]["schedule"]["startTime"] == "11:45"
    # Only from the working hours; built-ins are kept, the lunch break may go.
    weekend = french["Weekend"]
    wrong = await call(gateway, UPDATE_SCHEDULE, {"i": {"id": weekend["id"],
                                                        "addLunchBreak": True}}, world.admin)
    assert wrong["updateChatSchedule"]["errors"][0]["code"] == "BUILT_IN"
    kept = await call(gateway, DELETE_SCHEDULE, {"i": {"id": working["id"]}}, world.admin)
    assert kept["deleteChatSchedule"]["errors"][0]["code"] == "BUILT_IN"
    gone = await call(gateway, DELETE_SCHEDULE, {"i": {"id": lunch["id"]}}, world.admin)
    assert gone["deleteChatSchedule"]["errors"] == []
    # A built-in renamed, then back to its default name (shown in the reader's language).
    renamed = await call(gateway, UPDATE_SCHEDULE, {"i": {"id": working["id"],
                                                          "name": "Heures de bureau"}},
                         world.admin)
    assert renamed["updateChatSchedule"]["schedule"]["name"] == "Heures de bureau"
    reset = await call(gateway, UPDATE_SCHEDULE, {"i": {"id": working["id"], "name": ""}},
                       world.admin)
    assert reset["updateChatSchedule"]["schedule"]["name"] == "Weekdays"


async def test_special_events(gateway: Gateway) -> None:
    world = await chat_world(gateway)
    christmas = {"language": "fr", "name": "Noël", "startsAt": "2026-12-24T22:00:00Z",
                 "endsAt": "2026-12-26T14:00:00Z", "open": False}
    created = await call(gateway, CREATE_EVENT, {"i": christmas}, world.admin)
    event = created["createChatSpecialEvent"]["specialEvent"]
    assert (event["name"], event["startsAt"], event["endsAt"], event["open"]) == (
        "Noël", "2026-12-24T22:00:00Z", "2026-12-26T14:00:00Z", False)

    overlapping = {**christmas, "name": "Inventaire", "startsAt": "2026-12-26T13:00:00Z",
                   "endsAt": "2026-12-27T00:00:00Z"}
    refused = await call(gateway, CREATE_EVENT, {"i": overlapping}, world.admin_fr)
    [error] = refused["createChatSpecialEvent"]["errors"]
    assert error["code"] == "OVERLAP" and "« Noël »" in error["message"]
    touching = {**overlapping, "startsAt": "2026-12-26T14:00:00Z"}
    assert (await call(gateway, CREATE_EVENT, {"i": touching}, world.admin))[
        "createChatSpecialEvent"]["errors"] == []
    english = {**overlapping, "language": "en"}
    assert (await call(gateway, CREATE_EVENT, {"i": english}, world.admin))[
        "createChatSpecialEvent"]["errors"] == []

    backwards = {**christmas, "name": "À l'envers", "startsAt": "2027-01-02T00:00:00Z",
                 "endsAt": "2027-01-01T00:00:00Z"}
    wrong = await call(gateway, CREATE_EVENT, {"i": backwards}, world.admin)
    assert wrong["createChatSpecialEvent"]["errors"][0]["field"] == ["input", "endsAt"]

    moved = await call(gateway, UPDATE_EVENT, {"i": {"id": event["id"],
                                                     "endsAt": "2026-12-26T05:00:00Z",
                                                     "open": True}}, world.admin)
    assert moved["updateChatSpecialEvent"]["specialEvent"]["open"] is True
    coming = await call(gateway, EVENTS, {"l": "fr", "after": "2026-12-26T10:00:00Z"},
                        world.admin)
    assert [edge["node"]["name"] for edge in coming["chatSpecialEvents"]["edges"]] == [
        "Inventaire"]
    deleted = await call(gateway, DELETE_EVENT, {"i": {"id": event["id"]}}, world.admin)
    assert deleted["deleteChatSpecialEvent"]["deletedId"] == event["id"]
    assert await SpecialEvent.filter(reseller_id=world.tenant.reseller.id).count() == 2


async def test_another_resellers_hours_are_not_found(gateway: Gateway) -> None:
    world = await chat_world(gateway)
    theirs = await schedules_by_name(gateway, world.other_admin, "fr")  # read in English
    their_event = (await call(gateway, CREATE_EVENT, {"i": {
        "language": "fr", "name": "Fermé", "startsAt": "2026-12-24T22:00:00Z",
        "endsAt": "2026-12-26T14:00:00Z"}}, world.other_admin))[
        "createChatSpecialEvent"]["specialEvent"]
    for query, variables, root in (
        (UPDATE_SCHEDULE, {"i": {"id": theirs["Weekdays"]["id"], "open": False}},
         "updateChatSchedule"),
        (DELETE_SCHEDULE, {"i": {"id": theirs["Weekend"]["id"]}}, "deleteChatSchedule"),
        (UPDATE_EVENT, {"i": {"id": their_event["id"], "open": True}}, "updateChatSpecialEvent"),
        (DELETE_EVENT, {"i": {"id": their_event["id"]}}, "deleteChatSpecialEvent"),
        (CREATE_EVENT, {"i": {"resellerId": world.other_reseller_id, "language": "fr",
                              "name": "Intrus", "startsAt": "2027-01-01T00:00:00Z",
                              "endsAt": "2027-01-02T00:00:00Z"}}, "createChatSpecialEvent"),
        (UPDATE_SETTINGS, {"i": {"resellerId": world.other_reseller_id, "enabled": False}},
         "updateChatSettings"),
    ):
        answer = await call(gateway, query, variables, world.admin)
        assert [e["code"] for e in answer[root]["errors"]] == ["NOT_FOUND"], (root, answer)
    listed = await gateway.graphql(SCHEDULES, {"r": world.other_reseller_id}, **world.admin)
    assert listed["data"] is None and listed["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert (await WeeklySchedule.get(id=_pk(theirs["Weekdays"]["id"]))).open is True
    # A system admin manages any reseller's hours (naming it).
    theirs_by_system = await schedules_by_name(gateway, world.system, "fr",
                                               world.other_reseller_id)
    assert set(theirs_by_system) == {"Weekdays", "Weekend"}


def _pk(global_id: str) -> int:
    from strawberry.relay import from_base64

    return int(from_base64(global_id)[1])


async def test_a_page_costs_the_same_queries_whatever_its_size(
        gateway: Gateway, count_queries: QueryLog) -> None:
    world = await chat_world(gateway)
    for n in range(3):
        await call(gateway, CREATE_SCHEDULE, {"i": {
            "language": "en", "name": f"Evening {n}", "days": [["MONDAY", "TUESDAY",
                                                               "FRIDAY"][n]],
            "startTime": "18:00", "endTime": "20:00"}}, world.admin)
        await call(gateway, CREATE_EVENT, {"i": {
            "language": "en", "name": f"Closed {n}", "startsAt": f"2027-02-0{n + 1}T00:00:00Z",
            "endsAt": f"2027-02-0{n + 1}T10:00:00Z"}}, world.admin)
    counts: dict[tuple[str, int], int] = {}
    for query, root in ((SCHEDULES, "chatSchedules"), (EVENTS, "chatSpecialEvents")):
        for first in (1, 6):
            paged = query.replace("first: 50", f"first: {first}")
            with count_queries() as statements:
                data = await call(gateway, paged, {}, world.admin)
            assert len(data[root]["edges"]) == min(first, 7 if root == "chatSchedules" else 3)
            counts[(root, first)] = len(statements)
        assert counts[(root, 1)] == counts[(root, 6)], counts
