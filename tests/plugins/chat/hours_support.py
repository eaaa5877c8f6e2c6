"""Helpers of the chat service-hours tests: GraphQL documents and a reseller with chat on."""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass
from typing import Any

from gateway.identity.codes import new_can
from gateway.identity.models import Account, AccountKind, Reseller, User, UserRole
from gateway.identity.secrets import hash_secret
from tests.conftest import Gateway
from tests.support.identity_factory import PASSWORD, bearer_for

_numbers = itertools.count(1)


@functools.cache
def _password_hash() -> str:
    """One argon2 hash for every test person (hashing is the slow part of making people)."""
    return hash_secret(PASSWORD)


async def make_person(role: UserRole, reseller: Reseller | None, account: Account | None = None,
                      language: str = "en") -> User:
    n = next(_numbers)
    login = f"chat-{role.value.lower()}{n}@example.test"
    return await User.create(role=role, reseller=reseller, account=account, login=login,
                             email=login, first_name=role.value.title(), last_name=str(n),
                             language=language, password_hash=_password_hash())


@dataclass
class Tenant:
    reseller: Reseller
    admin: User
    company: Account
    company_admin: User


async def make_tenant(name: str) -> Tenant:
    reseller = await Reseller.create(name=name, can=new_can(), default_language="fr")
    admin = await make_person(UserRole.RESELLER_ADMIN, reseller)
    reseller.primary_admin = admin
    await reseller.save()
    n = next(_numbers)
    company = await Account.create(reseller=reseller, kind=AccountKind.COMPANY,
                                   name=f"Compagnie {n}", can=new_can(),
                                   email=f"chat-account{n}@example.test")
    company_admin = await make_person(UserRole.COMPANY_ADMIN, reseller, company)
    return Tenant(reseller, admin, company, company_admin)

SCHEDULE_FIELDS = "id language kind name builtIn days allDay startTime endTime open"
ERRORS = "errors { code field message }"

SETTINGS = """query($r: ID) { chatSettings(resellerId: $r) { id reseller permitted enabled
  timeZone } }"""
SCHEDULES = f"""query($r: ID, $l: String) {{ chatSchedules(resellerId: $r, language: $l,
  first: 50) {{ totalCount edges {{ node {{ {SCHEDULE_FIELDS} }} }} }} }}"""
EVENTS = """query($r: ID, $l: String, $after: DateTime) { chatSpecialEvents(resellerId: $r,
  language: $l, endingAfter: $after, first: 50) { totalCount edges { node { id language name
  startsAt endsAt open } } } }"""
PERMIT = f"""mutation($i: SetChatPermittedInput!) {{ setChatPermitted(input: $i) {{
  settings {{ id permitted enabled }} {ERRORS} }} }}"""
UPDATE_SETTINGS = f"""mutation($i: UpdateChatSettingsInput!) {{ updateChatSettings(input: $i) {{
  settings {{ id permitted enabled timeZone }} {ERRORS} }} }}"""
CREATE_SCHEDULE = f"""mutation($i: CreateChatScheduleInput!) {{ createChatSchedule(input: $i) {{
  schedule {{ {SCHEDULE_FIELDS} }} {ERRORS} }} }}"""
UPDATE_SCHEDULE = f"""mutation($i: UpdateChatScheduleInput!) {{ updateChatSchedule(input: $i) {{
  schedule {{ {SCHEDULE_FIELDS} }} lunchBreak {{ {SCHEDULE_FIELDS} }} {ERRORS} }} }}"""
DELETE_SCHEDULE = f"""mutation($i: DeleteChatScheduleInput!) {{ deleteChatSchedule(input: $i) {{
  deletedId {ERRORS} }} }}"""
CREATE_EVENT = f"""mutation($i: CreateChatSpecialEventInput!) {{
  createChatSpecialEvent(input: $i) {{ specialEvent {{ id name startsAt endsAt open language }}
  {ERRORS} }} }}"""
UPDATE_EVENT = f"""mutation($i: UpdateChatSpecialEventInput!) {{
  updateChatSpecialEvent(input: $i) {{ specialEvent {{ id name startsAt endsAt open }}
  {ERRORS} }} }}"""
DELETE_EVENT = f"""mutation($i: DeleteChatSpecialEventInput!) {{
  deleteChatSpecialEvent(input: $i) {{ deletedId {ERRORS} }} }}"""
AVAILABILITY = """query($r: ID, $at: DateTime, $l: String) { chatAvailability(resellerId: $r,
  at: $at, language: $l) { at language open decidedBy scheduleName scheduleId changesAt
  timeZone } }"""


@dataclass
class ChatWorld:
    """Two resellers; the first one's chat permitted (by the system admin) and enabled."""

    tenant: Tenant
    other: Tenant
    system_admin: User
    admin: dict[str, str]  # the first reseller's admin (English)
    admin_fr: dict[str, str]  # a French-speaking admin of the first reseller
    other_admin: dict[str, str]
    system: dict[str, str]
    company_admin: dict[str, str]
    reseller_id: str  # global ids
    other_reseller_id: str


async def call(gateway: Gateway, query: str, variables: dict[str, Any] | None = None,
               headers: dict[str, str] | None = None) -> dict[str, Any]:
    body = await gateway.graphql(query, variables or {}, **(headers or {}))
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def chat_world(gateway: Gateway, *, enable: bool = True) -> ChatWorld:
    from strawberry.relay import to_base64

    tenant = await make_tenant("Alpha Télécom")
    other = await make_tenant("Bêta Télécom")
    system_admin = await make_person(UserRole.SYSTEM_ADMIN, None)
    french_admin = await make_person(UserRole.RESELLER_ADMIN, tenant.reseller, language="fr")
    world = ChatWorld(
        tenant=tenant, other=other, system_admin=system_admin,
        admin=await bearer_for(tenant.admin), admin_fr=await bearer_for(french_admin),
        other_admin=await bearer_for(other.admin), system=await bearer_for(system_admin),
        company_admin=await bearer_for(tenant.company_admin),
        reseller_id=to_base64("Reseller", tenant.reseller.id),
        other_reseller_id=to_base64("Reseller", other.reseller.id))
    if enable:
        permitted = await call(gateway, PERMIT, {"i": {"resellerId": world.reseller_id,
                                                       "permitted": True}}, world.system)
        assert permitted["setChatPermitted"]["errors"] == []
        enabled = await call(gateway, UPDATE_SETTINGS, {"i": {"enabled": True}}, world.admin)
        assert enabled["updateChatSettings"]["errors"] == []
    return world


async def schedules_by_name(gateway: Gateway, headers: dict[str, str], language: str,
                            reseller: str | None = None) -> dict[str, dict[str, Any]]:
    data = await call(gateway, SCHEDULES, {"l": language, "r": reseller}, headers)
    return {edge["node"]["name"]: edge["node"] for edge in data["chatSchedules"]["edges"]}
