"""Two resellers full of data whose every name and email carries a marker word, so a test can
tell from a response alone whose data it holds.

- ``Alphonse``: my reseller, its admin, its company ``Alphonse Plomberie`` (company admin and
  employee) and a professional;
- ``Quokka``: another company of the same reseller (its company admin must never see it);
- ``Zorglub``: another reseller with the same kinds of objects (nobody of Alphonse may see it).

The objects are made through the GraphQL API where it can make them (drafts, contacts, devices,
numbers, restrictions, tokens, messages), so they are what the API itself stores."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from strawberry.relay import to_base64
from tortoise import Tortoise

from gateway.identity.codes import new_can
from gateway.identity.models import Account, AccountKind, BillingStatus, Reseller, User, UserRole
from plugins.callcenter.importer import import_text
from tests.conftest import Gateway
from tests.support.identity_factory import bearer_for, make_user

MINE, SIBLING, OTHER = "Alphonse", "Quokka", "Zorglub"


@dataclass
class Side:
    """One reseller's (or one account's) objects, named with ``marker``."""

    marker: str
    reseller: Reseller
    admin: User | None = None
    company: Account | None = None
    company_admin: User | None = None
    employee: User | None = None
    professional_account: Account | None = None
    professional: User | None = None
    accounts: list[Account] = field(default_factory=list)

    def users(self) -> list[User]:
        return [u for u in (self.admin, self.company_admin, self.employee, self.professional)
                if u is not None]


@dataclass
class World:
    gateway: Gateway
    mine: Side
    sibling: Side
    other: Side

    def sides_hidden_from(self, caller: str) -> tuple[Side, ...]:
        return {"anonymous": (self.mine, self.sibling, self.other), "reseller": (self.other,),
                "company admin": (self.other, self.sibling)}[caller]

    async def hidden_from(self, caller: str) -> Hidden:
        """What ``caller`` may not see: the hidden sides' marker words, and their rows (those
        that name a hidden side's marker, reseller, accounts or users)."""
        sides = self.sides_hidden_from(caller)
        markers = tuple(side.marker.lower() for side in sides)
        resellers = {side.reseller.id for side in sides if side is not self.sibling}
        accounts = {a.id for side in sides for a in side.accounts}
        users = {u.id for side in sides for u in side.users()}
        owned = {"Reseller": resellers, "Account": accounts, "User": users}
        hidden = Hidden(markers)
        for app in Tortoise.apps.values():
            for model in app.values():
                pk = model._meta.pk_attr
                for row in await model.all().order_by(pk).values():
                    text = repr(row).lower()
                    if (row[pk] in owned.get(model.__name__, ()) or any(
                            marker in text for marker in markers)
                            or row.get("reseller_id") in resellers
                            or row.get("account_id") in accounts
                            or row.get("user_id") in users):
                        hidden.keys.setdefault(model.__name__, []).append(row[pk])
                        hidden.values.add(to_base64(model.__name__, row[pk]))
                        hidden.values.update(str(row[name]) for name in _DISTINCT_COLUMNS
                                             if row.get(name))
        return hidden


# Columns whose values are distinct enough to be recognised alone in an answer.
_DISTINCT_COLUMNS = ("can", "phone_number", "number", "login", "email")


@dataclass
class Hidden:
    markers: tuple[str, ...]  # lower case words no answer may contain anywhere
    keys: dict[str, list[int]] = field(default_factory=dict)  # model name -> primary keys
    values: set[str] = field(default_factory=set)  # global ids, CANs, numbers, emails


async def _account(reseller: Reseller, kind: AccountKind, name: str, phone: str) -> Account:
    slug = name.lower().replace(" ", "-")
    return await Account.create(
        reseller=reseller, kind=kind, name=name, can=new_can(), email=f"info@{slug}.test",
        phone_number=phone, billing_status=BillingStatus.IN_PRODUCTION,
    )


async def _person(role: UserRole, reseller: Reseller, account: Account | None, marker: str,
                  what: str) -> User:
    user = await make_user(role, reseller=reseller, account=account,
                           login=f"{what}@{marker.lower()}.test")
    user.first_name, user.last_name, user.phone = f"{marker}", f"{what.title()} {marker}", None
    await user.save()
    return user


async def _tenant(marker: str, phones: tuple[str, str, str]) -> Side:
    reseller = await Reseller.create(
        name=f"{marker} Télécom", can=new_can(), default_language="fr",
        address=f"1 rue {marker}", city=f"{marker}ville",
        branding={"supportEmail": f"support@{marker.lower()}.test",
                  "supportPhone": phones[0]},
    )
    side = Side(marker, reseller)
    side.admin = await _person(UserRole.RESELLER_ADMIN, reseller, None, marker, "admin")
    reseller.primary_admin = side.admin
    await reseller.save()
    side.company = await _account(reseller, AccountKind.COMPANY, f"{marker} Plomberie", phones[1])
    side.company_admin = await _person(UserRole.COMPANY_ADMIN, reseller, side.company, marker,
                                       "boss")
    side.employee = await _person(UserRole.EMPLOYEE, reseller, side.company, marker, "clerk")
    side.professional_account = await _account(reseller, AccountKind.PROFESSIONAL,
                                                f"Dre {marker}", phones[2])
    side.professional = await _person(UserRole.PROFESSIONAL, reseller, side.professional_account,
                                      marker, "doctor")
    side.accounts = [side.company, side.professional_account]
    return side


async def _sibling(mine: Side) -> Side:
    reseller = mine.reseller
    side = Side(SIBLING, reseller)
    side.company = await _account(reseller, AccountKind.COMPANY, f"{SIBLING} Inc", "+15145550142")
    side.company_admin = await _person(UserRole.COMPANY_ADMIN, reseller, side.company, SIBLING,
                                       "boss")
    side.employee = await _person(UserRole.EMPLOYEE, reseller, side.company, SIBLING, "clerk")
    side.accounts = [side.company]
    return side


async def _call(gateway: Gateway, headers: dict[str, str], query: str,
                variables: dict[str, Any]) -> dict[str, Any]:
    result = await gateway.graphql(query, variables, **headers)
    assert "errors" not in result, result
    [payload] = result["data"].values()
    assert payload.get("errors") in (None, []), payload
    return payload  # type: ignore[no-any-return]


async def _fill(gateway: Gateway, side: Side, staff: dict[str, str], number: str,
                mac: str) -> None:
    """Objects made through the API: a draft, contacts, a device, a pool number given to the
    company, call restrictions, an API token, a message; and call-center records."""
    marker, slug = side.marker, side.marker.lower()
    assert side.company is not None and side.company_admin is not None
    company = to_base64("Account", side.company.id)
    await _call(gateway, staff, """mutation($input: SaveSignupDraftInput!) {
        saveSignupDraft(input: $input) { errors { code } } }""", {"input": {
        "kind": "COMPANY", "customer": {"name": f"{marker} Brouillon",
                                        "email": f"draft@{slug}.test"},
        "administrator": {"firstName": marker, "lastName": "Brouillon",
                          "email": f"draftadmin@{slug}.test"}}})
    for shared in (False, True):
        await _call(gateway, staff, """mutation($input: AddContactInput!) {
            addContact(input: $input) { errors { code } } }""", {"input": {
            "accountId": company, "shared": shared,
            "userId": None if shared else to_base64("User", side.company_admin.id),
            "name": f"{marker} Contact {'partagé' if shared else 'perso'}",
            "email": f"contact{int(shared)}@{slug}.test"}})
    await _call(gateway, staff, """mutation($input: AddDeviceInput!) {
        addDevice(input: $input) { errors { code } } }""", {"input": {
        "accountId": company, "name": f"{marker} Polycom", "macAddress": mac}})
    added = await _call(gateway, staff, """mutation($input: AddPhoneNumberInput!) {
        addPhoneNumber(input: $input) { phoneNumber { id } errors { code } } }""",
        {"input": {"number": number}})
    await _call(gateway, staff, """mutation($input: AssignPhoneNumberInput!) {
        assignPhoneNumber(input: $input) { errors { code } } }""", {"input": {
        "accountId": company, "numberId": added["phoneNumber"]["id"], "sms": True}})
    for scope, target in (("RESELLER", {"country": "FR"}), ("ACCOUNT", {"prefix": "+4420"})):
        await _call(gateway, staff, """mutation($input: CreateCallRestrictionInput!) {
            createCallRestriction(input: $input) { errors { code } } }""", {"input": {
            "scope": scope, "action": "DENY",
            "accountId": company if scope == "ACCOUNT" else None, **target}})
    await _call(gateway, staff, """mutation($input: CreateApiTokenInput!) {
        createApiToken(input: $input) { errors { code } } }""",
        {"input": {"name": f"{marker} intégrateur"}})
    assert side.admin is not None
    await _call(gateway, staff, """mutation($input: SendAccountMessageInput!) {
        sendAccountMessage(input: $input) { errors { code } } }""", {"input": {
        "accountIds": [company], "fromId": to_base64("User", side.admin.id), "kind": "CUSTOM",
        "subject": f"{marker} avis", "body": f"Bonjour {marker}"}})
    await _records(side.company, marker)


async def _records(account: Account, marker: str) -> None:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    records: list[dict[str, Any]] = []
    for n in range(3):
        at = (now - dt.timedelta(minutes=20 + n)).isoformat()
        records.append({
            "call_id": f"{marker}-C{n}", "account_number": account.id,
            "billing_number": account.can, "account_name": account.name,
            "direction": "inbound", "started_at": at, "duration": 90, "caller_id": "5145550100",
            "caller_name": f"{marker} Appelant", "agent": "ELD", "station": "10",
            "queued_at": 5, "assigned_at": 6, "answered_at": 10, "agent_seconds": 60,
            "wrap_seconds": 10, "holds": [], "transfers": [], "busy": False, "quality": 80,
            "recording": None})
        records.append({
            "message_id": f"{marker}-M{n}", "account_number": account.id,
            "call_id": f"{marker}-C{n}", "agent": "ELD", "taken_at": at,
            "body": f"Rappeler {marker}", "history": [{"at": at, "event": "Taken"}]})
    report = await import_text("".join(json.dumps(r) + "\n" for r in records), "jsonl")
    assert not report.errors, report.errors


async def build_world(gateway: Gateway) -> World:
    mine = await _tenant(MINE, ("+15145550110", "+15145550111", "+15145550112"))
    sibling = await _sibling(mine)
    other = await _tenant(OTHER, ("+18195550177", "+18195550178", "+18195550179"))
    assert mine.admin is not None and other.admin is not None
    await _fill(gateway, mine, await bearer_for(mine.admin), "+15145550120",
                "00:04:f2:aa:bb:01")
    await _fill(gateway, other, await bearer_for(other.admin), "+18195550180",
                "00:04:f2:aa:bb:02")
    await _records(sibling.company, SIBLING)  # type: ignore[arg-type]
    return World(gateway, mine, sibling, other)


async def table_rows() -> dict[str, list[dict[str, Any]]]:
    """Every row of every table of every app, keyed by table name."""
    rows: dict[str, list[dict[str, Any]]] = {}
    for app in Tortoise.apps.values():
        for model in app.values():
            rows[model._meta.db_table] = await model.all().order_by(model._meta.pk_attr).values()
    return rows


async def keys_by_model() -> dict[str, list[int]]:
    """The primary keys of every model's rows, by model class name (a node type's name)."""
    keys: dict[str, list[int]] = {}
    for app in Tortoise.apps.values():
        for model in app.values():
            keys[model.__name__] = await model.all().order_by(model._meta.pk_attr).values_list(
                model._meta.pk_attr, flat=True)
    return keys
