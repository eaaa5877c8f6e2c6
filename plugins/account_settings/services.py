"""The Options page of an account, callable without GraphQL: finding the account, its
settings with the seed's defaults, their validation and saving, the IP phone provisioning
codes, and the encryption of the secrets kept here."""

from __future__ import annotations

import base64
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from gateway.contributions import Principal
from gateway.identity import scoping
from gateway.identity.models import Account, AccountKind, User, UserRole
from gateway.identity.secrets import hash_secret
from plugins.account_settings import errors as e
from plugins.account_settings.errors import AccountSettingsErrorCode as Code
from plugins.account_settings.errors import problem, raise_all
from plugins.account_settings.models import (
    AccountOptions,
    Contact,
    Device,
    ExtensionReservation,
    PhoneNumber,
)
from plugins.clients import services as clients
from schema.errors import PayloadError
from schema.permissions import Role
from schema.validation import is_email

STAFF = (Role.SYSTEM_ADMIN, Role.RESELLER_ADMIN, Role.RESELLER_DELEGATE, Role.INTEGRATOR)

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
RANGES = ("users", "groups", "services")
_RANGE_COLUMNS = {"users": "user", "groups": "group", "services": "service"}
MAX_URL = 500
CALLER_ID_NAME_MAX = 15  # what caller ID displays show
NO_TRANSCRIPTION = "NONE"
DEFAULT_TRANSCRIPTION = "mutare"  # seeds: Mutare, the default method
EMAIL_TRANSCRIPTION = "myscribbit"  # seeds: MyScribbit needs the user's address
_SIP_USERNAME = re.compile(r"^\S{1,100}$")
_PIN = re.compile(r"^\d{4,10}$")

# Keys of update_settings by the kind of account that has them.
COMPANY_KEYS = {"custom_urls", "extensions", "shared_contacts_limit", "restrictions"}
PROFESSIONAL_KEYS = {"limits", "assistant", "transcription", "admin_managed", "pin",
                     "sip_credentials", "caller_id"}


# --- Finding accounts, who may change them ----------------------------------------------------

async def account_for(principal: Principal | None, account_id: int,
                      field: list[str | int] | None = None) -> Account:
    """An account the caller may see; any other id (another reseller's) is "not found"."""
    account = await scoping.accounts_visible(principal).filter(id=account_id).first()
    if account is None:
        raise problem(Code.NOT_FOUND, e.NOT_FOUND, field or ["input", "accountId"])
    return account


def is_staff(principal: Principal | None) -> bool:
    return principal is not None and principal.role in STAFF


def acts_for_reseller(principal: Principal | None) -> bool:
    """Reseller staff, also while in an account through direct access (the reseller's
    restrictions on an account bind its subscribers, never the reseller)."""
    return is_staff(principal) or (principal is not None and principal.direct_access)


async def ensure_may_manage(principal: Principal, account: Account) -> None:
    """Reseller staff manage every account they see; a company admin manages the own account
    unless the reseller forbade user management (Interdire la gestion des utilisateurs)."""
    if acts_for_reseller(principal):
        return
    if principal.role == Role.COMPANY_ADMIN and principal.account_id == account.id:
        options = await get_options(account.id)
        if options.forbid_user_management:
            raise problem(Code.NOT_ALLOWED, e.USER_MANAGEMENT_FORBIDDEN)
        return
    raise problem(Code.NOT_ALLOWED, e.NOT_ALLOWED)


async def ensure_self_service(principal: Principal, account: Account) -> None:
    """A subscriber changing the configuration of the own account: refused when the reseller
    made it an admin-managed account (Compte géré par l'administrateur). Other plugins whose
    subscribers change their own account's configuration call this too."""
    if acts_for_reseller(principal):
        return
    if principal.account_id != account.id:
        raise problem(Code.NOT_ALLOWED, e.NOT_ALLOWED)
    options = await get_options(account.id)
    if options.admin_managed and account.kind == AccountKind.PROFESSIONAL:
        raise problem(Code.NOT_ALLOWED, e.ADMIN_MANAGED)


def as_own_problem(error: PayloadError, field: list[str | int] | None = None) -> PayloadError:
    """A clients plugin error (the free-trial guard) as one of this area."""
    return problem(Code(error.code.value) if error.code.value in Code.__members__ else
                   Code.INVALID, error.text, field or error.field, **error.values)


# --- Secrets at rest ----------------------------------------------------------------------

def _fernet(host: Any) -> Fernet:
    # A key of its own, derived from the gateway's secret: rotating the secret key makes
    # the stored SIP secrets unreadable, so they must be entered again.
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
               info=b"gateway.account_settings.secrets.v1").derive(
        host.settings.secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(host: Any, value: str) -> str:
    return _fernet(host).encrypt(value.encode()).decode()


def decrypt(host: Any, token: str) -> str | None:
    """The clear value, or None when it was encrypted under another secret key."""
    if not token:
        return None
    try:
        return _fernet(host).decrypt(token.encode()).decode()
    except InvalidToken:
        return None


# --- Reading ------------------------------------------------------------------------------

async def get_options(account_id: int) -> AccountOptions:
    """The account's settings row, created with the seed's defaults on first use."""
    options = await AccountOptions.filter(account_id=account_id).first()
    if options is not None:
        return options
    try:
        async with in_transaction():
            return await AccountOptions.create(account_id=account_id)
    except IntegrityError:  # created meanwhile by a concurrent request
        return await AccountOptions.get(account_id=account_id)


async def _locked_options(account_id: int) -> AccountOptions:
    """The row, locked until the caller's transaction ends (serialises per-account checks)."""
    await get_options(account_id)
    return await AccountOptions.filter(account_id=account_id).select_for_update().get()


async def is_test_mode(account_id: int) -> bool:
    """Compte en mode test, as the clients plugin keeps it (the single source of truth)."""
    return await clients.is_test_mode(account_id)


def transcription_choices(host: Any) -> list[str]:
    """The installed transcription providers' names, then NONE (Aucun)."""
    names: list[str] = []
    for found in host.collect("gateway_provider_names", kind="transcription"):
        names += [found] if isinstance(found, str) else list(found or [])
    return [*sorted(set(names), key=str.lower), NO_TRANSCRIPTION]


def effective_transcription(options: AccountOptions, host: Any) -> str:
    """The stored method if still installed, else the system default (Mutare when installed,
    else the first installed provider, else NONE)."""
    choices = transcription_choices(host)
    lowered = {c.lower(): c for c in choices}
    if options.transcription_method and options.transcription_method.lower() in lowered:
        return lowered[options.transcription_method.lower()]
    return lowered.get(DEFAULT_TRANSCRIPTION, choices[0])


@dataclass(frozen=True)
class Provisioning:
    """Configuration de démarrage des téléphones IP: FTP site, user = CAN, password = the
    account's security code (None for whoever may not see it)."""

    ftp_site: str
    user: str
    password: str | None


async def provisioning(account: Account, principal: Principal, host: Any,
                       ftp_site: str) -> Provisioning:
    """The provisioning codes; the password only for reseller staff and the account's own
    company admin (unless user management is forbidden to it)."""
    options = await get_options(account.id)
    shown = is_staff(principal) or (
        principal.role == Role.COMPANY_ADMIN and principal.account_id == account.id
        and not options.forbid_user_management)
    password = None
    if shown:
        password = decrypt(host, options.security_code)
        if password is None:
            password = await _new_security_code(account.id, host)
    return Provisioning(ftp_site=ftp_site, user=account.can, password=password)


async def _new_security_code(account_id: int, host: Any) -> str:
    code = "".join(secrets.choice("0123456789") for _ in range(8))
    async with in_transaction():
        options = await _locked_options(account_id)
        current = decrypt(host, options.security_code)
        if current is not None:  # another request made one first
            return current
        await AccountOptions.filter(id=options.id).update(security_code=encrypt(host, code))
    return code


# --- Saving ---------------------------------------------------------------------------------

def clean_url(value: str | None, field: list[str | int], problems: list[PayloadError]) -> str:
    text = (value or "").strip()
    if not text:
        return ""
    if len(text) > MAX_URL:
        problems.append(problem(Code.INVALID, e.TOO_LONG, field, max=MAX_URL))
        return text
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or " " in text:
        problems.append(problem(Code.INVALID, e.INVALID_URL, field))
    return text


def _bounded(value: Any, low: int, high: int, field: list[str | int],
             problems: list[PayloadError]) -> int | None:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        problems.append(problem(Code.OUT_OF_RANGE, e.RANGE_BOUNDS, field, min=low, max=high))
        return None
    return value


def check_ranges(length: int, ranges: Mapping[str, tuple[int, int]],
                 field: list[str | int]) -> list[PayloadError]:
    """Every range within the extension length, first <= last, and no two overlapping."""
    problems: list[PayloadError] = []
    low, high = 10 ** (length - 1), 10 ** length - 1
    for name in RANGES:
        first, last = ranges[name]
        if first > last:
            problems.append(problem(Code.INVALID, e.RANGE_ORDER, [*field, name]))
        elif not (low <= first <= high and low <= last <= high):
            problems.append(problem(Code.OUT_OF_RANGE, e.RANGE_LENGTH, [*field, name],
                                    length=length))
    if problems:
        return problems
    for i, name in enumerate(RANGES):
        for other in RANGES[:i]:
            a, b = ranges[name], ranges[other]
            if a[0] <= b[1] and b[0] <= a[1]:
                problems.append(problem(Code.RANGES_OVERLAP, _range_text(other), [*field, name]))
    return problems


def _range_text(other: str) -> e.Text:
    names = e.RANGE_NAMES[other]
    return e.Text(en=e.RANGES_OVERLAP.en.format(other=names.en),
                  fr=e.RANGES_OVERLAP.fr.format(other=names.fr))


def current_ranges(options: AccountOptions) -> dict[str, tuple[int, int]]:
    return {name: (getattr(options, f"{col}_extensions_first"),
                   getattr(options, f"{col}_extensions_last"))
            for name, col in _RANGE_COLUMNS.items()}


async def update_settings(account: Account, changes: Mapping[str, Any], *, host: Any,
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
        raise problem(Code.NOT_ALLOWED, e.NOT_ALLOWED)
    problems: list[PayloadError] = []
    kind = AccountKind(account.kind)
    for key in changes:
        if kind == AccountKind.COMPANY and key in PROFESSIONAL_KEYS:
            problems.append(problem(Code.WRONG_ACCOUNT_KIND, e.PROFESSIONAL_ONLY,
                                    ["input", _camel(key)]))
        elif kind == AccountKind.PROFESSIONAL and key in COMPANY_KEYS:
            problems.append(problem(Code.WRONG_ACCOUNT_KIND, e.COMPANY_ONLY,
                                    ["input", _camel(key)]))
    raise_all(problems)
    options = await get_options(account.id)
    updates: dict[str, Any] = {}
    test_mode: bool | None = None
    pin_hash: str | None = None

    urls = changes.get("custom_urls") or {}
    for name in URL_FIELDS:
        if name in urls:
            updates[name] = clean_url(urls[name], ["input", "customUrls", _camel(name)], problems)

    if "extensions" in changes:
        ext = changes["extensions"]
        field: list[str | int] = ["input", "extensions"]
        length = options.extension_length
        if "length" in ext:
            length = _bounded(ext["length"], *EXTENSION_LENGTHS, [*field, "length"],
                              problems) or length
        ranges = current_ranges(options)
        for name in RANGES:
            if name in ext:
                ranges[name] = (int(ext[name][0]), int(ext[name][1]))
        found = check_ranges(length, ranges, field)
        problems += found
        updates["extension_length"] = length
        for name, (first, last) in ranges.items():
            updates[f"{_RANGE_COLUMNS[name]}_extensions_first"] = first
            updates[f"{_RANGE_COLUMNS[name]}_extensions_last"] = last

    if "shared_contacts_limit" in changes:
        updates["shared_contacts_limit"] = _bounded(
            changes["shared_contacts_limit"], 1, LIMITS["shared_contacts_limit"][1],
            ["input", "sharedContactsLimit"], problems)

    restrictions = changes.get("restrictions") or {}
    if "forbid_user_management" in restrictions:
        updates["forbid_user_management"] = bool(restrictions["forbid_user_management"])
    if "test_mode" in restrictions:
        test_mode = bool(restrictions["test_mode"])

    limits = changes.get("limits") or {}
    for name in ("contacts_limit", "directory_contacts_limit", "downloaded_messages_limit",
                 "voicemails_on_disk", "faxes_on_disk"):
        if name in limits:
            updates[name] = _bounded(limits[name], 1, LIMITS[name][1],
                                     ["input", "limits", _camel(name)], problems)

    assistant = changes.get("assistant") or {}
    for name in ("stays_on_outgoing", "stays_on_incoming"):
        if name in assistant:
            updates[f"assistant_{name}"] = bool(assistant[name])
    if "always_refresh_contacts" in assistant:
        updates["always_refresh_contacts"] = bool(assistant["always_refresh_contacts"])

    if "transcription" in changes:
        updates |= _clean_transcription(changes["transcription"], host, problems)

    if "admin_managed" in changes:
        updates["admin_managed"] = bool(changes["admin_managed"])

    pin_user: User | None = None
    if "pin" in changes:
        pin, confirmation = changes["pin"].get("pin", ""), changes["pin"].get("confirmation", "")
        if not _PIN.match(pin or ""):
            problems.append(problem(Code.INVALID, e.PIN_SHAPE, ["input", "pin", "pin"]))
        elif pin != confirmation:
            problems.append(problem(Code.INVALID, e.PIN_MISMATCH,
                                    ["input", "pin", "confirmation"]))
        else:
            pin_user = await User.filter(account_id=account.id,
                                         role=UserRole.PROFESSIONAL).order_by("id").first()
            if pin_user is None:
                problems.append(problem(Code.NOT_FOUND, e.NO_PIN_HOLDER, ["input", "pin"]))
            else:
                pin_hash = hash_secret(pin)

    if "sip_credentials" in changes:
        updates |= _clean_sip(changes["sip_credentials"], options, host, problems)

    if "caller_id" in changes:
        updates |= await _clean_caller_id(account, changes["caller_id"], problems)

    raise_all(problems)
    async with in_transaction():
        await _locked_options(account.id)
        if updates:
            await AccountOptions.filter(account_id=account.id).update(**updates)
        if test_mode is not None:
            await clients.set_test_mode(account.id, test_mode)
        if pin_user is not None and pin_hash is not None:
            await User.filter(id=pin_user.id).update(pin_hash=pin_hash)
    return await AccountOptions.get(account_id=account.id)


def _clean_transcription(data: Mapping[str, Any], host: Any,
                         problems: list[PayloadError]) -> dict[str, Any]:
    choices = transcription_choices(host)
    lowered = {c.lower(): c for c in choices}
    method = str(data.get("method") or "").strip()
    field: list[str | int] = ["input", "transcription"]
    if method.lower() not in lowered:
        problems.append(problem(Code.INVALID, e.TRANSCRIPTION_METHOD, [*field, "method"],
                                choices=", ".join(choices)))
        return {}
    method = lowered[method.lower()]
    email = str(data.get("email") or "").strip().lower()
    if method.lower() == EMAIL_TRANSCRIPTION:
        if not email:
            problems.append(problem(Code.REQUIRED, e.TRANSCRIPTION_EMAIL, [*field, "email"]))
        elif not is_email(email):
            problems.append(problem(Code.INVALID, e.INVALID_EMAIL, [*field, "email"]))
    else:
        email = ""  # only MyScribbit keeps an address
    return {"transcription_method": method, "transcription_email": email}


def _clean_sip(data: Mapping[str, Any], options: AccountOptions, host: Any,
               problems: list[PayloadError]) -> dict[str, Any]:
    field: list[str | int] = ["input", "sipCredentials"]
    username = str(data.get("username") or "").strip()
    secret = data.get("secret")
    if not username:
        if secret:
            problems.append(problem(Code.REQUIRED, e.SIP_USERNAME, [*field, "username"]))
        return {"sip_username": "", "sip_secret": ""}  # cleared
    if not _SIP_USERNAME.match(username):
        problems.append(problem(Code.INVALID, e.SIP_USERNAME, [*field, "username"]))
    if secret is None:
        if not options.sip_secret:
            problems.append(problem(Code.REQUIRED, e.SIP_SECRET, [*field, "secret"]))
        return {"sip_username": username}  # the stored secret stays
    if not 8 <= len(secret) <= 128:
        problems.append(problem(Code.INVALID, e.SIP_SECRET, [*field, "secret"]))
        return {}
    return {"sip_username": username, "sip_secret": encrypt(host, secret)}


async def _clean_caller_id(account: Account, data: Mapping[str, Any],
                           problems: list[PayloadError]) -> dict[str, Any]:
    field: list[str | int] = ["input", "callerId"]
    updates: dict[str, Any] = {}
    if "display_name" in data:
        name = str(data["display_name"] or "").strip()
        if len(name) > CALLER_ID_NAME_MAX:
            problems.append(problem(Code.INVALID, e.TOO_LONG, [*field, "displayName"],
                                    max=CALLER_ID_NAME_MAX))
        updates["caller_id_name"] = name
    if "number" in data:
        number = data["number"]
        if number and not await PhoneNumber.filter(account_id=account.id,
                                                   number=number).exists():
            problems.append(problem(Code.INVALID, e.CALLER_ID_NUMBER, [*field, "number"]))
        updates["caller_id_number"] = number or None
    return updates


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


async def forget_account(account_id: int) -> None:
    """What the purge removes: settings, reservations, devices, contacts; numbers stay in the
    reseller's pool (they were returned when the account was unsubscribed)."""
    for model in (Contact, Device, ExtensionReservation, AccountOptions):
        await model.filter(account_id=account_id).delete()
    await PhoneNumber.filter(account_id=account_id).update(
        account_id=None, fax_reception=False, sms=False, emergency_911=False, assigned_at=None)
