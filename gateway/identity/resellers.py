"""Resellers and their own settings (seeds: Paramètres), without GraphQL.

- A system admin creates a reseller with its primary admin, who gets their login id and a
  set-password link by email, in the same transaction (outbox); the phone system and default
  provider are set by a system admin only.
- The reseller's staff edit its general information (the CAN never changes) and their own
  account-administrator details (email = login id).

The branding its subscribers see is in :mod:`gateway.identity.branding`; its administrators
and delegates in :mod:`gateway.identity.delegates`. The checks of this module are theirs too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ParamSpec

import phonenumbers
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from gateway.contributions import Principal
from gateway.i18n import LANGUAGES, Text
from gateway.identity import auth, scoping
from gateway.identity.codes import new_can
from gateway.identity.errors import RESELLER_NOT_FOUND, USER_NOT_FOUND, ResellerErrorCode
from gateway.identity.models import OneTimeTokenPurpose, Reseller, User, UserRole
from gateway.problems import Field, Problem, raise_all
from gateway.roles import RESELLER_STAFF
from gateway.validation import (
    INVALID_COUNTRY,
    INVALID_EMAIL,
    INVALID_LANGUAGE,
    INVALID_PHONE,
    REQUIRED,
    TOO_LONG,
    is_email,
    normalize_phone_number,
)

log = logging.getLogger("gateway.identity")

DEFAULT_LANGUAGE = "fr"

_EMAIL_TAKEN = Text(
    en="This email address is already the login id or email of another person.",
    fr="Cette adresse courriel est déjà l'identifiant ou le courriel d'une autre personne.",
)
_PASSWORD_FOR_EMAIL = Text(
    en="Enter your current password to change your login email.",
    fr="Entrez votre mot de passe actuel pour changer votre courriel de connexion.",
)
_WRONG_CURRENT = Text(en="The current password is incorrect.",
                      fr="Le mot de passe actuel est incorrect.")
_IN_DIRECT_ACCESS = Text(
    en="Access codes cannot be changed while accessing an account directly. End the direct "
    "access first.",
    fr="Les codes d'accès ne peuvent pas être modifiés pendant un accès direct à un compte. "
    "Terminez d'abord l'accès direct.",
)
NOT_STAFF = Text(en="Only the reseller's administrators can do this.",
                 fr="Seuls les administrateurs du revendeur peuvent faire ceci.")


# ---- checks --------------------------------------------------------------------------------

_P = ParamSpec("_P")


class Checks:
    """Runs the checks of one input and keeps every problem, so that a form shows them all at
    once: ``value = check(rule, ...)`` is None when the rule refused, and :meth:`done` then
    refuses the whole input."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def __call__(self, rule: Callable[_P, Any], *args: _P.args, **kwargs: _P.kwargs) -> Any:
        try:
            return rule(*args, **kwargs)
        except Problem as problem:
            self.problems.append(problem)
            return None

    def add(self, problem: Problem) -> None:
        self.problems.append(problem)

    def done(self) -> None:
        """Raise what was found (nothing is saved), if anything."""
        raise_all(self.problems)


def clean_text(value: str | None, field: Field, *, max_length: int, required: bool = False
               ) -> str:
    cleaned = " ".join((value or "").split())
    if required and not cleaned:
        raise Problem(ResellerErrorCode.REQUIRED, REQUIRED, field)
    if len(cleaned) > max_length:
        raise Problem(ResellerErrorCode.TOO_LONG, TOO_LONG, field, max=max_length)
    return cleaned


def _language(value: str | None, field: Field) -> str:
    code = (value or "").strip().lower()
    if code not in LANGUAGES:
        raise Problem(ResellerErrorCode.INVALID_LANGUAGE, INVALID_LANGUAGE, field)
    return code


def _country(value: str | None, field: Field) -> str:
    code = (value or "").strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise Problem(ResellerErrorCode.INVALID_COUNTRY, INVALID_COUNTRY, field)
    return code


def normalize_email(value: str | None, field: Field) -> str:
    """An email address, lower-case (logins and emails are stored so); else INVALID_EMAIL."""
    address = (value or "").strip().lower()
    if not address:
        raise Problem(ResellerErrorCode.REQUIRED, REQUIRED, field)
    if not is_email(address):
        raise Problem(ResellerErrorCode.INVALID_EMAIL, INVALID_EMAIL, field)
    return address


def clean_phone(value: str | None, field: Field, region: str | None) -> str | None:
    """A phone number in E.164 (national forms read in ``region``); None when left empty."""
    if value is None or not value.strip():
        return None
    try:
        return normalize_phone_number(value, region or "CA")
    except ValueError:
        raise Problem(ResellerErrorCode.INVALID_PHONE, INVALID_PHONE, field) from None


async def _email_taken(address: str, except_user_id: int | None = None) -> bool:
    query = User.filter(Q(login=address) | Q(email=address))
    if except_user_id is not None:
        query = query.exclude(id=except_user_id)
    return await query.exists()


def default_language_for(reseller: Reseller) -> str:
    """The language a new subscriber of ``reseller`` gets (seeds: Informations générales >
    Langue): the reseller's default language."""
    language = (reseller.default_language or "").lower()
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def resellers_matching(principal: Principal | None, search: str | None) -> QuerySet[Reseller]:
    """The resellers the caller sees whose name, CAN or SPID contains ``search``."""
    query = scoping.resellers_visible(principal)
    term = " ".join((search or "").split())
    if term:
        query = query.filter(Q(name__icontains=term) | Q(can__icontains=term)
                             | Q(spid__icontains=term))
    return query


# ---- creation and the phone system (system admins) -----------------------------------------

@dataclass(frozen=True)
class NewAdmin:
    email: str
    first_name: str
    last_name: str
    language: str
    phone: str | None = None


@dataclass(frozen=True)
class NewReseller:
    name: str
    default_language: str
    admin: NewAdmin
    spid: str | None = None
    address: str = ""
    city: str = ""
    country: str = "CA"
    state: str = ""
    postal_code: str = ""
    phone_system: str = ""
    default_provider: str = ""


async def _fresh_can() -> str:
    """A CAN no reseller has yet (the unique index still has the last word)."""
    while True:
        can = new_can()
        if not await Reseller.filter(can=can).exists():
            return can


async def create_reseller(new: NewReseller, *, gateway: Any = None) -> Reseller:
    """Create the reseller and its primary admin (role RESELLER_ADMIN, login = email) and email
    the admin their login id with a set-password link, all in one transaction. Raises
    :class:`Problems` with every problem of the input."""
    from gateway.email import send_email
    from gateway.identity.links import LIFETIME, issue_password_link

    check = Checks()
    name = check(clean_text, new.name, ["input", "name"], max_length=200, required=True)
    language = check(_language, new.default_language, ["input", "defaultLanguage"])
    country = check(_country, new.country or "CA", ["input", "country"])
    general = _general_values(check, {
        "spid": new.spid, "address": new.address, "city": new.city, "state": new.state,
        "postal_code": new.postal_code,
    })
    phone_system = check(clean_text, new.phone_system, ["input", "phoneSystem"], max_length=100)
    provider = check(clean_text, new.default_provider, ["input", "defaultProvider"],
                     max_length=100)
    admin_field = ["input", "primaryAdmin"]
    email = check(normalize_email, new.admin.email, [*admin_field, "email"])
    first_name = check(clean_text, new.admin.first_name, [*admin_field, "firstName"],
                       max_length=100, required=True)
    last_name = check(clean_text, new.admin.last_name, [*admin_field, "lastName"],
                      max_length=100, required=True)
    admin_language = check(_language, new.admin.language, [*admin_field, "language"])
    phone = check(clean_phone, new.admin.phone, [*admin_field, "phone"], country)
    if email and await _email_taken(email):
        check.add(Problem(ResellerErrorCode.EMAIL_TAKEN, _EMAIL_TAKEN, [*admin_field, "email"]))
    check.done()
    try:
        async with in_transaction():
            reseller = await Reseller.create(
                name=name, can=await _fresh_can(), default_language=language, country=country,
                phone_system=phone_system, default_provider=provider, **general,
            )
            admin = await User.create(
                role=UserRole.RESELLER_ADMIN, reseller=reseller, login=email, email=email,
                first_name=first_name, last_name=last_name, language=admin_language,
                phone=phone,
            )
            reseller.primary_admin = admin
            await reseller.save(update_fields=["primary_admin_id"])
            link = await issue_password_link(admin, OneTimeTokenPurpose.SET_PASSWORD,
                                             gateway=gateway)
            await send_email(
                to=admin.email, template="reseller_created", language=admin_language,
                values={"name": admin.full_name, "reseller_name": reseller.name,
                        "can": reseller.can, "login": admin.login, "link": link,
                        "days": LIFETIME[OneTimeTokenPurpose.SET_PASSWORD].days},
                gateway=gateway,
            )
    except IntegrityError:
        # Another request took the same email between the check and the insert.
        raise Problem(ResellerErrorCode.EMAIL_TAKEN, _EMAIL_TAKEN,
                      [*admin_field, "email"]) from None
    log.info("reseller %s created with primary admin user %s", reseller.id, admin.id)
    return reseller


async def set_phone_system(reseller_id: int, phone_system: str, default_provider: str
                           ) -> Reseller:
    """A system admin sets the phone system (PBX) and default provider of a reseller (read-only
    for the reseller, seeds: Système téléphonique et fournisseur par défaut)."""
    reseller = await Reseller.get_or_none(id=reseller_id)
    if reseller is None:
        raise Problem(ResellerErrorCode.NOT_FOUND, RESELLER_NOT_FOUND, ["input", "resellerId"])
    check = Checks()
    system = check(clean_text, phone_system, ["input", "phoneSystem"], max_length=100)
    provider = check(clean_text, default_provider, ["input", "defaultProvider"], max_length=100)
    check.done()
    reseller.phone_system, reseller.default_provider = system, provider
    await reseller.save(update_fields=["phone_system", "default_provider", "updated_at"])
    return reseller


# ---- the reseller's own settings (reseller admin and delegates) -----------------------------

def require_staff(principal: Principal) -> int:
    """The reseller whose settings the caller manages; anyone else is refused (not found)."""
    if (principal.role not in RESELLER_STAFF or principal.direct_access
            or not principal.reseller_id):
        raise Problem(ResellerErrorCode.NOT_FOUND, NOT_STAFF)
    return principal.reseller_id


async def reseller_of(principal: Principal | None) -> Reseller | None:
    """The reseller whose settings the caller manages (reseller admin or delegate), or None."""
    if (principal is None or principal.role not in RESELLER_STAFF or principal.direct_access
            or not principal.reseller_id):
        return None
    return await Reseller.get_or_none(id=principal.reseller_id)


_GENERAL_LIMITS = {"spid": 64, "address": 200, "city": 100, "state": 100, "postal_code": 20}
_GENERAL_FIELDS = {"spid": "spid", "address": "address", "city": "city", "state": "state",
                   "postal_code": "postalCode"}


def _general_values(check: Checks, values: Mapping[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for key, value in values.items():
        text = check(clean_text, value, ["input", _GENERAL_FIELDS[key]],
                     max_length=_GENERAL_LIMITS[key])
        cleaned[key] = (text or None) if key == "spid" else (text or "")
    return cleaned


async def update_general_info(principal: Principal, changes: Mapping[str, Any]) -> Reseller:
    """Informations générales: SPID, name, default language for new subscribers and address.
    ``changes`` holds only the fields given (python names); the CAN is not one of them."""
    reseller_id = require_staff(principal)
    check = Checks()
    values = _general_values(check, {k: v for k, v in changes.items() if k in _GENERAL_LIMITS})
    if "name" in changes:
        values["name"] = check(clean_text, changes["name"], ["input", "name"], max_length=200,
                               required=True)
    if "default_language" in changes:
        values["default_language"] = check(_language, changes["default_language"],
                                           ["input", "defaultLanguage"])
    if "country" in changes:
        values["country"] = check(_country, changes["country"], ["input", "country"])
    check.done()
    reseller = await Reseller.get(id=reseller_id)
    if values:
        for key, value in values.items():
            setattr(reseller, key, value)
        await reseller.save(update_fields=[*values, "updated_at"])
    return reseller


async def update_account_administrator(
    principal: Principal, changes: Mapping[str, Any], *, gateway: Any = None,
    client_address: str = "",
) -> User:
    """Administrateur du compte: the signed-in reseller admin (or delegate) changes their own
    interface language, email (which is also their login id) and phone. Refused inside
    direct access: the login id is a credential; changing it needs the current password
    (``changes["current_password"]``), so a stolen session cannot move the login away."""
    if principal.direct_access:
        raise Problem(ResellerErrorCode.DIRECT_ACCESS_FORBIDDEN, _IN_DIRECT_ACCESS)
    reseller_id = require_staff(principal)
    user = await User.get_or_none(id=principal.user_id) if principal.user_id else None
    if user is None:
        raise Problem(ResellerErrorCode.NOT_FOUND, USER_NOT_FOUND)
    reseller = await Reseller.get(id=reseller_id)
    values = await _administrator_values(user, changes, reseller.country)
    old_email = user.email
    if not values:
        return user
    if "email" in values:
        await _confirm_password(user, changes.get("current_password"), client_address)
    try:
        async with in_transaction():
            for key, value in values.items():
                setattr(user, key, value)
            await user.save(update_fields=[*values, "updated_at"])
            if "email" in values:
                await _tell_old_address(user, old_email, gateway)
    except IntegrityError:
        raise Problem(ResellerErrorCode.EMAIL_TAKEN, _EMAIL_TAKEN, ["input", "email"]) from None
    if "email" in values:
        log.info("user %s changed their login email", user.id)
    return user


async def _confirm_password(user: User, password: str | None, client_address: str) -> None:
    field = ["input", "currentPassword"]
    if not password:
        raise Problem(ResellerErrorCode.CURRENT_PASSWORD_REQUIRED, _PASSWORD_FOR_EMAIL, field)
    try:
        ok = await auth.password_matches(user, password, client_address=client_address)
    except auth.Throttled as throttled:
        raise Problem(ResellerErrorCode.TOO_MANY_ATTEMPTS, throttled.text, field,
                      **throttled.values) from None
    if not ok:
        raise Problem(ResellerErrorCode.WRONG_CURRENT_PASSWORD, _WRONG_CURRENT, field)


async def _administrator_values(user: User, changes: Mapping[str, Any], country: str
                                ) -> dict[str, Any]:
    """The checked new values of an administrator's own details."""
    check = Checks()
    values: dict[str, Any] = {}
    if "language" in changes:
        values["language"] = check(_language, changes["language"], ["input", "language"])
    if "phone" in changes:
        values["phone"] = check(clean_phone, changes["phone"], ["input", "phone"], country)
    email = None
    if "email" in changes:
        email = check(normalize_email, changes["email"], ["input", "email"])
        if email and email != user.email and await _email_taken(email, user.id):
            check.add(Problem(ResellerErrorCode.EMAIL_TAKEN, _EMAIL_TAKEN, ["input", "email"]))
    check.done()
    if email and email != user.email:
        # Seeds: the new address becomes the login id.
        values["email"] = values["login"] = email
    return values


async def _tell_old_address(user: User, old_email: str, gateway: Any) -> None:
    """A hijacked session must not quietly move the login elsewhere: the previous address
    hears of the change."""
    from gateway.email import send_email

    await send_email(
        to=old_email, template="login_email_changed",
        language=user.language if user.language in LANGUAGES else DEFAULT_LANGUAGE,
        values={"name": user.full_name, "new_email": user.email}, gateway=gateway,
    )


