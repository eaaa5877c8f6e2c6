"""The Options page of an account, callable without GraphQL: who may change an account, the
transcription choices, the IP phone provisioning codes, the encryption of the secrets kept
here, and what the purge forgets (saving the page is in ``settings``)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from gateway.api import (
    STAFF,
    Account,
    AccountKind,
    PluginHost,
    Principal,
    Problem,
    Role,
)
from gateway.api import decrypt as decrypt
from gateway.api import encrypt as encrypt
from plugins.account_settings import errors as e
from plugins.account_settings.errors import AccountSettingsErrorCode as Code
from plugins.account_settings.models import (
    AccountOptions,
    Contact,
    Device,
    ExtensionReservation,
    PhoneNumber,
)
from plugins.account_settings.options import get_options, locked_options

NO_TRANSCRIPTION = "NONE"
DEFAULT_TRANSCRIPTION = "mutare"  # seeds: Mutare, the default method


# --- Who may change an account -------------------------------------------------------------

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
            raise Problem(Code.NOT_ALLOWED, e.USER_MANAGEMENT_FORBIDDEN)
        return
    raise Problem(Code.NOT_ALLOWED, e.NOT_ALLOWED)


async def management_restricted(account: Account) -> bool:
    """Whether the reseller's "Restrictions de gestion du compte" keep the account's own users
    from changing its configuration: admin-managed (professional), user management forbidden
    (company)."""
    options = await get_options(account.id)
    if account.kind == AccountKind.PROFESSIONAL:
        return bool(options.admin_managed)
    return bool(options.forbid_user_management)


async def ensure_self_service(principal: Principal, account: Account) -> None:
    """A subscriber changing the configuration of the own account: refused when the reseller
    made it an admin-managed account (Compte géré par l'administrateur). Other plugins whose
    subscribers change their own account's configuration call this too."""
    if acts_for_reseller(principal):
        return
    if principal.account_id != account.id:
        raise Problem(Code.NOT_ALLOWED, e.NOT_ALLOWED)
    options = await get_options(account.id)
    if options.admin_managed and account.kind == AccountKind.PROFESSIONAL:
        raise Problem(Code.NOT_ALLOWED, e.ADMIN_MANAGED)


async def ensure_may_change_numbers(principal: Principal, account: Account,
                                    field: list[str | int]) -> None:
    """Ordering, moving and releasing an account's numbers: reseller staff for every account
    they see; the account's own company admin or professional unless the reseller restricted
    its management (Interdire la gestion des utilisateurs, Compte géré par l'administrateur)."""
    if acts_for_reseller(principal):
        return
    if principal.account_id != account.id or principal.role not in (Role.COMPANY_ADMIN,
                                                                   Role.PROFESSIONAL):
        raise Problem(Code.NOT_ALLOWED, e.NOT_ALLOWED, field)
    if await management_restricted(account):
        text = (e.ADMIN_MANAGED if account.kind == AccountKind.PROFESSIONAL
                else e.USER_MANAGEMENT_FORBIDDEN)
        raise Problem(Code.NOT_ALLOWED, text, field)


def as_own_problem(error: Problem, field: list[str | int] | None = None) -> Problem:
    """A clients plugin problem (the free-trial guard) as one of this area."""
    code = Code[error.code_name] if error.code_name in Code.__members__ else Code.INVALID
    return Problem(code, error.text, field or error.field, **error.values)


# --- Secrets at rest ----------------------------------------------------------------------

# encrypt(host, value) / decrypt(host, token) moved to the core (gateway.api, same key); they
# are still importable from here.


# --- Reading ------------------------------------------------------------------------------

def transcription_choices(host: PluginHost) -> list[str]:
    """The installed transcription providers' names, then NONE (Aucun)."""
    names: list[str] = []
    for found in host.collect("gateway_provider_names", kind="transcription"):
        names += [found] if isinstance(found, str) else list(found or [])
    return [*sorted(set(names), key=str.lower), NO_TRANSCRIPTION]


def effective_transcription(options: AccountOptions, host: PluginHost) -> str:
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


async def provisioning(account: Account, principal: Principal, host: PluginHost,
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


async def _new_security_code(account_id: int, host: PluginHost) -> str:
    code = "".join(secrets.choice("0123456789") for _ in range(8))
    async with in_transaction():
        options = await locked_options(account_id)
        current = decrypt(host, options.security_code)
        if current is not None:  # another request made one first
            return current
        await AccountOptions.filter(id=options.id).update(security_code=encrypt(host, code))
    return code

async def forget_account(account_id: int) -> None:
    """What the purge removes: settings, reservations, devices, contacts; numbers stay in the
    reseller's pool (they were returned when the account was unsubscribed)."""
    for model in (Contact, Device, ExtensionReservation, AccountOptions):
        await model.filter(account_id=account_id).delete()
    await PhoneNumber.filter(account_id=account_id).update(
        account_id=None, fax_reception=False, sms=False, emergency_911=False, assigned_at=None)
