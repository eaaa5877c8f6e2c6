"""Is chat open? ``chatAvailability`` (public) and ``plugins.chat.api.is_open`` on a reseller's
stored schedules, table-driven: priorities, the lunch break, special events across midnight,
each language's own hours, a clock change in the reseller's zone; chat off until permitted and
enabled; anonymous callers see the public answer and nothing else; a constant query count."""

from __future__ import annotations

import datetime as dt
from typing import Any

from strawberry.relay import to_base64

from plugins.chat import api
from plugins.chat.hours import Decider
from tests.conftest import Gateway, QueryLog
from tests.plugins.chat.hours_support import (
    AVAILABILITY,
    CREATE_EVENT,
    CREATE_SCHEDULE,
    UPDATE_SCHEDULE,
    UPDATE_SETTINGS,
    ChatWorld,
    call,
    chat_world,
    schedules_by_name,
)


async def _set_up(gateway: Gateway, world: ChatWorld) -> None:
    """French: weekdays 09:00-17:00 with a 12:00-13:00 lunch break, Saturday mornings open
    (custom), Christmas closed (24th 17:00 to 26th 09:00). English: weekdays 10:00-16:00 only,
    and an open evening on 2026-12-08."""
    french = await schedules_by_name(gateway, world.admin_fr, "fr")
    english = await schedules_by_name(gateway, world.admin, "en")
    steps: list[tuple[str, dict[str, Any]]] = [
        (UPDATE_SCHEDULE, {"id": french["En semaine"]["id"], "addLunchBreak": True}),
        (UPDATE_SCHEDULE, {"id": english["Weekdays"]["id"], "startTime": "10:00",
                           "endTime": "16:00", "days": ["MONDAY", "TUESDAY", "WEDNESDAY",
                                                        "THURSDAY", "FRIDAY"]}),
        (CREATE_SCHEDULE, {"language": "fr", "name": "Samedi matin", "days": ["SATURDAY"],
                           "startTime": "10:00", "endTime": "14:00", "open": True}),
        (CREATE_EVENT, {"language": "fr", "name": "Noël", "open": False,
                        "startsAt": "2026-12-24T22:00:00Z", "endsAt": "2026-12-26T14:00:00Z"}),
        (CREATE_EVENT, {"language": "en", "name": "Late opening", "open": True,
                        "startsAt": "2026-12-08T21:00:00Z", "endsAt": "2026-12-09T02:00:00Z"}),
    ]
    for query, values in steps:
        data = await call(gateway, query, {"i": values}, world.admin)
        assert next(iter(data.values()))["errors"] == [], data


# (what, language, instant (UTC; Toronto is UTC-5 in December), open, decided by, name,
#  next change (UTC) or None)
TABLE = [
    ("fr working hours", "fr", "2026-12-07T15:00:00Z", True, "WORKING_HOURS", "En semaine",
     "2026-12-07T17:00:00Z"),
    ("fr lunch break", "fr", "2026-12-07T17:30:00Z", False, "LUNCH_BREAK", "Pause-repas",
     "2026-12-07T18:00:00Z"),
    ("en has no lunch break", "en", "2026-12-07T17:30:00Z", True, "WORKING_HOURS", "Weekdays",
     "2026-12-07T21:00:00Z"),
    ("en opens later than fr", "en", "2026-12-07T14:30:00Z", False, "OUTSIDE_SCHEDULES", None,
     "2026-12-07T15:00:00Z"),
    ("fr custom Saturday beats the weekend", "fr", "2026-12-05T16:00:00Z", True, "CUSTOM",
     "Samedi matin", "2026-12-05T19:00:00Z"),
    ("en weekend closed", "en", "2026-12-05T16:00:00Z", False, "WEEKEND", "Weekend",
     "2026-12-07T15:00:00Z"),
    ("en open special evening", "en", "2026-12-09T01:00:00Z", True, "SPECIAL_EVENT",
     "Late opening", "2026-12-09T02:00:00Z"),
    ("fr Christmas across midnight", "fr", "2026-12-25T05:30:00Z", False, "SPECIAL_EVENT",
     "Noël", "2026-12-26T15:00:00Z"),  # reopens Saturday 10:00 (custom)
    ("en Christmas is not an English event", "en", "2026-12-24T22:30:00Z", False,
     "OUTSIDE_SCHEDULES", None, "2026-12-25T15:00:00Z"),
]


async def test_availability_table(gateway: Gateway) -> None:
    world = await chat_world(gateway)
    await _set_up(gateway, world)
    for what, language, at, is_open, decider, name, changes in TABLE:
        # Anonymous, as the subscribers' portal asks before sign-in.
        answer = (await call(gateway, AVAILABILITY, {"r": world.reseller_id, "at": at,
                                                     "l": language}))["chatAvailability"]
        assert (answer["open"], answer["decidedBy"], answer["scheduleName"],
                answer["changesAt"]) == (is_open, decider, name, changes), what
        assert answer["scheduleId"] is None  # the schedule itself is for staff
        assert answer["timeZone"] == "America/Toronto"
        # The same answer through the domain API chat-live uses.
        domain = await api.is_open(world.tenant.reseller.id,
                                   dt.datetime.fromisoformat(at), language)
        assert (domain.open, domain.decider.value) == (is_open, decider), what
        assert domain.reopens_at == (None if is_open else domain.changes_at)
    # The reseller's staff also get the deciding schedule's id.
    staff = (await call(gateway, AVAILABILITY, {"at": "2026-12-07T17:30:00Z", "l": "fr"},
                        world.admin))["chatAvailability"]
    assert staff["scheduleId"] is not None and staff["decidedBy"] == "LUNCH_BREAK"


async def test_chat_off_until_permitted_and_enabled(gateway: Gateway) -> None:
    world = await chat_world(gateway, enable=False)
    monday = "2026-12-07T15:00:00Z"
    missing = to_base64("Reseller", 10**9)
    for reseller in (world.reseller_id, world.other_reseller_id, missing):
        answer = (await call(gateway, AVAILABILITY, {"r": reseller, "at": monday}))[
            "chatAvailability"]
        assert (answer["open"], answer["decidedBy"], answer["scheduleName"],
                answer["changesAt"]) == (False, "CHAT_OFF", None, None)
    domain = await api.is_open(world.tenant.reseller.id, dt.datetime.fromisoformat(monday))
    assert (domain.open, domain.decider) == (False, Decider.CHAT_OFF)
    # Permitted but not enabled: still off; enabled: the default weekday hours apply.
    await call(gateway, UPDATE_SETTINGS, {"i": {"resellerId": world.reseller_id}}, world.admin)
    from tests.plugins.chat.hours_support import PERMIT

    await call(gateway, PERMIT, {"i": {"resellerId": world.reseller_id, "permitted": True}},
               world.system)
    off = (await call(gateway, AVAILABILITY, {"r": world.reseller_id, "at": monday}))[
        "chatAvailability"]
    assert off["decidedBy"] == "CHAT_OFF"
    await call(gateway, UPDATE_SETTINGS, {"i": {"enabled": True}}, world.admin)
    on = (await call(gateway, AVAILABILITY, {"r": world.reseller_id, "at": monday, "l": "en"}))[
        "chatAvailability"]
    assert (on["open"], on["decidedBy"], on["scheduleName"], on["changesAt"]) == (
        True, "WORKING_HOURS", "Weekdays", "2026-12-07T22:00:00Z")


async def test_the_callers_reseller_and_language_by_default(gateway: Gateway) -> None:
    world = await chat_world(gateway)
    monday = "2026-12-07T15:00:00Z"
    # A subscriber (company admin, English) asks its own reseller's availability.
    mine = (await call(gateway, AVAILABILITY, {"at": monday}, world.company_admin))[
        "chatAvailability"]
    assert (mine["language"], mine["scheduleName"], mine["scheduleId"]) == (
        "en", "Weekdays", None)
    # The French reseller admin, in French.
    french = (await call(gateway, AVAILABILITY, {"at": monday}, world.admin_fr))[
        "chatAvailability"]
    assert (french["language"], french["scheduleName"]) == ("fr", "En semaine")
    # Anonymous without a reseller, or with a bad language: a coded error, not a 500.
    anonymous = await gateway.graphql(AVAILABILITY, {"at": monday})
    assert anonymous["errors"][0]["extensions"]["code"] == "REQUIRED"
    german = await gateway.graphql(AVAILABILITY, {"r": world.reseller_id, "l": "de"})
    assert german["errors"][0]["extensions"]["code"] == "INVALID_LANGUAGE"
    # Instants the rules do not take: a coded error at the field, never a 500.
    for far in ("9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z"):
        refused = await gateway.graphql(AVAILABILITY, {"r": world.reseller_id, "at": far})
        assert refused["errors"][0]["extensions"]["code"] == "INVALID_TIME", refused
    event = await call(gateway, CREATE_EVENT, {"i": {
        "language": "fr", "name": "Fin des temps", "startsAt": "9999-12-30T00:00:00Z",
        "endsAt": "9999-12-31T00:00:00Z"}}, world.admin)
    assert event["createChatSpecialEvent"]["errors"][0]["field"] == ["input", "startsAt"]
    # Anonymous callers may ask nothing else of chat.
    hidden = await gateway.graphql("{ chatSchedules(first: 5) { totalCount } }")
    assert hidden["errors"][0]["extensions"]["code"] in ("FORBIDDEN", "UNAUTHENTICATED")


async def test_a_clock_change_in_the_resellers_zone(gateway: Gateway) -> None:
    world = await chat_world(gateway)
    await call(gateway, UPDATE_SETTINGS, {"i": {"timeZone": "Europe/Paris"}}, world.admin)
    english = await schedules_by_name(gateway, world.admin, "en")
    # Open every day 02:30-08:00 Paris time; on 2027-03-28 clocks go from 02:00 to 03:00.
    await call(gateway, UPDATE_SCHEDULE, {"i": {
        "id": english["Weekdays"]["id"], "everyDay": True, "startTime": "02:30",
        "endTime": "08:00"}}, world.admin)
    await call(gateway, UPDATE_SCHEDULE, {"i": {"id": english["Weekend"]["id"],
                                                "days": ["MONDAY"], "startTime": "20:00",
                                                "endTime": "21:00"}}, world.admin)
    before = (await call(gateway, AVAILABILITY, {"r": world.reseller_id, "l": "en",
                                                 "at": "2027-03-28T00:30:00Z"}))[
        "chatAvailability"]  # 01:30 CET
    assert (before["open"], before["changesAt"]) == (False, "2027-03-28T01:00:00Z")  # 03:00 CEST
    during = (await call(gateway, AVAILABILITY, {"r": world.reseller_id, "l": "en",
                                                 "at": "2027-03-28T01:00:00Z"}))[
        "chatAvailability"]
    assert (during["open"], during["changesAt"]) == (True, "2027-03-28T06:00:00Z")  # 08:00 CEST


async def test_an_answer_costs_the_same_queries_whatever_the_schedules(
        gateway: Gateway, count_queries: QueryLog) -> None:
    world = await chat_world(gateway)
    at = "2026-12-07T15:00:00Z"
    counts = []
    for extra in range(3):
        if extra:
            await call(gateway, CREATE_SCHEDULE, {"i": {
                "language": "fr", "name": f"Soir {extra}", "days": [["MONDAY", "TUESDAY"][
                    extra - 1]], "startTime": "20:00", "endTime": "22:00"}}, world.admin)
            await call(gateway, CREATE_EVENT, {"i": {
                "language": "fr", "name": f"Fermé {extra}", "startsAt": f"2027-01-0{extra}T00:00Z",
                "endsAt": f"2027-01-0{extra}T12:00Z"}}, world.admin)
        with count_queries() as statements:
            await call(gateway, AVAILABILITY, {"r": world.reseller_id, "at": at, "l": "fr"})
        counts.append(len(statements))
    assert counts[0] == counts[1] == counts[2] <= 3
