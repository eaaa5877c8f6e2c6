"""Saving the Options page of an account (Réglages d'un compte client), callable without
GraphQL: one cleaner per section checks what is given and returns the columns it changes; all
sections are checked before anything is saved, then saved in one transaction, or nothing."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from tortoise.transactions import in_transaction

from gateway.api import (
    Account,
    AccountKind,
    PluginHost,
    Principal,
    Problem,
    User,
    UserRole,
    hash_secret,
    is_email,
    normalize_phone_number,
    raise_all,
)
from plugins.account_settings import errors as e
from plugins.account_settings.errors import AccountSettingsErrorCode as Code
from plugins.account_settings.mailbox import trim_account
from plugins.account_settings.models import AccountOptions, PhoneNumber
from plugins.account_settings.options import get_options, locked_options
from plugins.account_settings.services import encrypt, is_staff, transcription_choices
from plugins.clients import api as clients

# Seeds, "Limites du compte d'utilisateur" and "Limite des contacts partagés": (default, max).
# The seed gives a maximum only for contacts (3000); the others are this gateway's bounds.
LIMITS: dict[str, tuple[int, int]] = {
    "contacts_limit": (500, 3000),
    "directory_contacts_limit": (500, 3000),
    "downloaded_messages_limit": (50, 500),
    "voicemails_on_disk": (25, 1000),
    "faxes_on_disk": (25, 1000),
    "shared_contacts_limit": (500, 3000),
}
EXTENSION_LENGTHS = (2, 6)
URL_FIELDS = ("portal_url", "voice_assistant_url", "voice_receptionist_url", "voice_alerts_url",
              "logout_url")
PROFESSIONAL_LIMITS = ("contacts_limit", "directory_contacts_limit", "downloaded_messages_limit",
                       "voicemails_on_disk", "faxes_on_disk")
RANGES = ("users", "groups", "services")
_RANGE_COLUMNS = {"users": "user", "groups": "group", "services": "service"}
MAX_URL = 500
CALLER_ID_NAME_MAX = 15  # what caller ID displays show
EMAIL_TRANSCRIPTION = "myscribbit"  # seeds: MyScribbit needs the user's address
_SIP_USERNAME = re.compile(r"^\S{1,100}$")
_PIN = re.compile(r"^\d{4,10}$")

# Keys of update_settings by the kind of account that has them.
COMPANY_KEYS = {"custom_urls", "extensions", "shared_contacts_limit", "restrictions"}
PROFESSIONAL_KEYS = {"limits", "assistant", "transcription", "admin_managed", "pin",
                     "sip_credentials", "caller_id"}


@dataclass
class _Check:
    """What every section's cleaner needs: the account, its settings now, the host, and the
    problems found so far (every section is checked before anything is saved)."""

    account: Account
    options: AccountOptions
    host: PluginHost
    problems: list[Problem] = dataclasses.field(default_factory=list)

    def refuse(self, code: Code, text: e.Text, where: list[str | int], **values: Any) -> None:
        self.problems.append(Problem(code, text, where, **values))


# What a cleaner returns besides columns of the settings row: kept elsewhere.
_TEST_MODE = "test_mode"  # the clients plugin's flag
_PIN_HOLDER = "pin_holder"  # (the professional's user id, the PIN's hash)


def clean_url(value: str | None, field: list[str | int], problems: list[Problem]) -> str:
    text = (value or "").strip()
    if not text:
        return ""
    if len(text) > MAX_URL:
        problems.append(Problem(Code.INVALID, e.TOO_LONG, field, max=MAX_URL))
        return text
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or " " in text:
        problems.append(Problem(Code.INVALID, e.INVALID_URL, field))
    return text


def _bounded(value: Any, low: int, high: int, field: list[str | int],
             problems: list[Problem]) -> int | None:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        problems.append(Problem(Code.OUT_OF_RANGE, e.RANGE_BOUNDS, field, min=low, max=high))
        return None
    return value


def check_ranges(length: int, ranges: Mapping[str, tuple[int, int]],
                 field: list[str | int]) -> list[Problem]:
    """Every range within the extension length, first <= last, and no two overlapping."""
    problems: list[Problem] = []
    low, high = 10 ** (length - 1), 10 ** length - 1
    for name in RANGES:
        first, last = ranges[name]
        if first > last:
            problems.append(Problem(Code.INVALID, e.RANGE_ORDER, [*field, name]))
        elif not (low <= first <= high and low <= last <= high):
            problems.append(Problem(Code.OUT_OF_RANGE, e.RANGE_LENGTH, [*field, name],
                                    length=length))
    if problems:
        return problems
    for i, name in enumerate(RANGES):
        for other in RANGES[:i]:
            a, b = ranges[name], ranges[other]
            if a[0] <= b[1] and b[0] <= a[1]:
                problems.append(Problem(Code.RANGES_OVERLAP, _range_text(other), [*field, name]))
    return problems


def _range_text(other: str) -> e.Text:
    names = e.RANGE_NAMES[other]
    return e.Text(en=e.RANGES_OVERLAP.en.format(other=names.en),
                  fr=e.RANGES_OVERLAP.fr.format(other=names.fr))


def current_ranges(options: AccountOptions) -> dict[str, tuple[int, int]]:
    return {name: (getattr(options, f"{col}_extensions_first"),
                   getattr(options, f"{col}_extensions_last"))
            for name, col in _RANGE_COLUMNS.items()}


async def _clean_urls(data: Mapping[str, Any] | None, check: _Check) -> dict[str, Any]:
    urls = data or {}
    return {name: clean_url(urls[name], ["input", "customUrls", _camel(name)], check.problems)
            for name in URL_FIELDS if name in urls}


async def _clean_extensions(ext: Mapping[str, Any], check: _Check) -> dict[str, Any]:
    field: list[str | int] = ["input", "extensions"]
    length = check.options.extension_length
    if "length" in ext:
        length = _bounded(ext["length"], *EXTENSION_LENGTHS, [*field, "length"],
                          check.problems) or length
    ranges = current_ranges(check.options)
    for name in RANGES:
        if name in ext:
            ranges[name] = (int(ext[name][0]), int(ext[name][1]))
    check.problems += check_ranges(length, ranges, field)
    updates: dict[str, Any] = {"extension_length": length}
    for name, (first, last) in ranges.items():
        updates[f"{_RANGE_COLUMNS[name]}_extensions_first"] = first
        updates[f"{_RANGE_COLUMNS[name]}_extensions_last"] = last
    return updates


async def _clean_shared_contacts_limit(value: Any, check: _Check) -> dict[str, Any]:
    return {"shared_contacts_limit": _bounded(value, 1, LIMITS["shared_contacts_limit"][1],
                                              ["input", "sharedContactsLimit"], check.problems)}


async def _clean_restrictions(data: Mapping[str, Any] | None, check: _Check) -> dict[str, Any]:
    restrictions = data or {}
    updates: dict[str, Any] = {}
    if "forbid_user_management" in restrictions:
        updates["forbid_user_management"] = bool(restrictions["forbid_user_management"])
    if "test_mode" in restrictions:
        updates[_TEST_MODE] = bool(restrictions["test_mode"])
    return updates


async def _clean_limits(data: Mapping[str, Any] | None, check: _Check) -> dict[str, Any]:
    limits = data or {}
    return {name: _bounded(limits[name], 1, LIMITS[name][1], ["input", "limits", _camel(name)],
                           check.problems)
            for name in PROFESSIONAL_LIMITS if name in limits}


async def _clean_assistant(data: Mapping[str, Any] | None, check: _Check) -> dict[str, Any]:
    assistant = data or {}
    updates = {f"assistant_{name}": bool(assistant[name])
               for name in ("stays_on_outgoing", "stays_on_incoming") if name in assistant}
    if "always_refresh_contacts" in assistant:
        updates["always_refresh_contacts"] = bool(assistant["always_refresh_contacts"])
    return updates


async def _clean_transcription(data: Mapping[str, Any], check: _Check) -> dict[str, Any]:
    choices = transcription_choices(check.host)
    lowered = {c.lower(): c for c in choices}
    method = str(data.get("method") or "").strip()
    field: list[str | int] = ["input", "transcription"]
    if method.lower() not in lowered:
        check.refuse(Code.INVALID, e.TRANSCRIPTION_METHOD, [*field, "method"],
                     choices=", ".join(choices))
        return {}
    method = lowered[method.lower()]
    email = str(data.get("email") or "").strip().lower()
    if method.lower() == EMAIL_TRANSCRIPTION:
        if not email:
            check.refuse(Code.REQUIRED, e.TRANSCRIPTION_EMAIL, [*field, "email"])
        elif not is_email(email):
            check.refuse(Code.INVALID, e.INVALID_EMAIL, [*field, "email"])
    else:
        email = ""  # only MyScribbit keeps an address
    return {"transcription_method": method, "transcription_email": email}


async def _clean_admin_managed(value: Any, check: _Check) -> dict[str, Any]:
    return {"admin_managed": bool(value)}


async def _clean_pin(data: Mapping[str, Any], check: _Check) -> dict[str, Any]:
    """The PIN is the professional's (its first user's), kept hashed on the user."""
    pin, confirmation = data.get("pin", ""), data.get("confirmation", "")
    if not _PIN.match(pin or ""):
        check.refuse(Code.INVALID, e.PIN_SHAPE, ["input", "pin", "pin"])
    elif pin != confirmation:
        check.refuse(Code.INVALID, e.PIN_MISMATCH, ["input", "pin", "confirmation"])
    else:
        holder = await User.filter(account_id=check.account.id,
                                   role=UserRole.PROFESSIONAL).order_by("id").first()
        if holder is None:
            check.refuse(Code.NOT_FOUND, e.NO_PIN_HOLDER, ["input", "pin"])
        else:
            return {_PIN_HOLDER: (holder.id, hash_secret(pin))}
    return {}


async def _clean_sip(data: Mapping[str, Any], check: _Check) -> dict[str, Any]:
    field: list[str | int] = ["input", "sipCredentials"]
    username = str(data.get("username") or "").strip()
    secret = data.get("secret")
    if not username:
        if secret:
            check.refuse(Code.REQUIRED, e.SIP_USERNAME, [*field, "username"])
        return {"sip_username": "", "sip_secret": ""}  # cleared
    if not _SIP_USERNAME.match(username):
        check.refuse(Code.INVALID, e.SIP_USERNAME, [*field, "username"])
    if secret is None:
        if not check.options.sip_secret:
            check.refuse(Code.REQUIRED, e.SIP_SECRET, [*field, "secret"])
        return {"sip_username": username}  # the stored secret stays
    if not 8 <= len(secret) <= 128:
        check.refuse(Code.INVALID, e.SIP_SECRET, [*field, "secret"])
        return {}
    return {"sip_username": username, "sip_secret": encrypt(check.host, secret)}


async def _clean_caller_id(data: Mapping[str, Any], check: _Check) -> dict[str, Any]:
    field: list[str | int] = ["input", "callerId"]
    updates: dict[str, Any] = {}
    if "display_name" in data:
        name = str(data["display_name"] or "").strip()
        if len(name) > CALLER_ID_NAME_MAX:
            check.refuse(Code.INVALID, e.TOO_LONG, [*field, "displayName"],
                         max=CALLER_ID_NAME_MAX)
        updates["caller_id_name"] = name
    if "number" in data:
        number = str(data["number"] or "").strip() or None
        if number is not None:
            try:
                number = normalize_phone_number(number)
            except ValueError:
                check.refuse(Code.INVALID, e.CALLER_ID_NUMBER, [*field, "number"])
                return updates
            if not await _owned(check.account.id, number):
                check.refuse(Code.INVALID, e.CALLER_ID_NUMBER, [*field, "number"])
        updates["caller_id_number"] = number
    return updates


async def _owned(account_id: int, number: str, *, lock: bool = False) -> bool:
    """Whether ``number`` is one of the account's own numbers (assigned to it from its
    reseller's pool: a number is in one pool on the whole platform). ``lock``: the number's
    row stays locked until the transaction ends, so that it cannot be released meanwhile."""
    query = PhoneNumber.filter(account_id=account_id, number=number)
    if lock:
        return await query.select_for_update().only("id").first() is not None
    return await query.exists()


# The sections of update_settings, in the order they are checked (and their problems listed).
SECTIONS: dict[str, Callable[[Any, _Check], Awaitable[dict[str, Any]]]] = {
    "custom_urls": _clean_urls,
    "extensions": _clean_extensions,
    "shared_contacts_limit": _clean_shared_contacts_limit,
    "restrictions": _clean_restrictions,
    "limits": _clean_limits,
    "assistant": _clean_assistant,
    "transcription": _clean_transcription,
    "admin_managed": _clean_admin_managed,
    "pin": _clean_pin,
    "sip_credentials": _clean_sip,
    "caller_id": _clean_caller_id,
}


def _check_kind(account: Account, changes: Mapping[str, Any]) -> None:
    """Every section given that the account's kind does not have."""
    if AccountKind(account.kind) == AccountKind.COMPANY:
        wrong, text = PROFESSIONAL_KEYS, e.PROFESSIONAL_ONLY
    else:
        wrong, text = COMPANY_KEYS, e.COMPANY_ONLY
    raise_all([Problem(Code.WRONG_ACCOUNT_KIND, text, ["input", _camel(key)])
               for key in changes if key in wrong])


async def update_settings(account: Account, changes: Mapping[str, Any], *, host: PluginHost,
                          principal: Principal) -> AccountOptions:
    """Check every given section, then save them all in one transaction, or nothing.

    ``changes`` holds, each optional: ``custom_urls`` {portal_url, voice_assistant_url,
    voice_receptionist_url, voice_alerts_url, logout_url}, ``extensions`` {length, users,
    groups, services: (first, last)}, ``shared_contacts_limit``, ``restrictions``
    {forbid_user_management, test_mode} (company); ``limits`` {contacts_limit, ...},
    ``assistant`` {stays_on_outgoing, stays_on_incoming, always_refresh_contacts},
    ``transcription`` {method, email}, ``admin_managed``, ``pin`` {pin, confirmation},
    ``sip_credentials`` {username, secret}, ``caller_id`` {display_name, number}
    (professional)."""
    if not is_staff(principal):
        raise Problem(Code.NOT_ALLOWED, e.NOT_ALLOWED)
    _check_kind(account, changes)
    check = _Check(account, await get_options(account.id), host)
    updates: dict[str, Any] = {}
    for key, clean in SECTIONS.items():
        if key in changes:
            updates |= await clean(changes[key], check)
    raise_all(check.problems)
    test_mode: bool | None = updates.pop(_TEST_MODE, None)
    pin_holder: tuple[int, str] | None = updates.pop(_PIN_HOLDER, None)
    async with in_transaction():
        await locked_options(account.id)
        caller_number = updates.get("caller_id_number")
        if caller_number and not await _owned(account.id, caller_number, lock=True):
            raise Problem(Code.INVALID, e.CALLER_ID_NUMBER, ["input", "callerId", "number"])
        if updates:
            await AccountOptions.filter(account_id=account.id).update(**updates)
        if test_mode is not None:
            await clients.set_test_mode(account.id, test_mode)
        if pin_holder is not None:
            await User.filter(id=pin_holder[0]).update(pin_hash=pin_holder[1])
    if "limits" in changes:  # a lower limit removes the oldest messages right away
        await trim_account(host, account.id)
    return await AccountOptions.get(account_id=account.id)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
