"""The sign-up wizard as a draft: saved step by step, finished by the reseller or by the client
through an emailed link, and turned into an account with its first user.

A draft holds one entry per step of the seed's "Ayez les renseignements suivants en main":
``customer`` (name, address, email, phone, languages, time zone), ``subscription`` (plan,
options, devices), ``numbers`` (to port or to order, with their options), ``billing`` (credit
card token or monthly invoice), ``administrator`` (the first user), and ``activation`` (the
billing status the reseller chose; the client cannot set it). Saving a step checks the shape of
every value given and keeps the step as given; what is still missing is listed per step, and
only completing requires it.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from gateway.api import (
    LANGUAGES,
    LINK_LIFETIME,
    RESELLER_SIDE,
    Account,
    AccountKind,
    BadSignature,
    BillingStatus,
    Field,
    OneTimeTokenPurpose,
    PluginHost,
    Principal,
    Problem,
    Problems,
    RecipientPolicy,
    Reseller,
    Role,
    SignatureExpired,
    Text,
    User,
    UserRole,
    check_recipients,
    is_email,
    issue_password_link,
    new_can,
    normalize_phone_number,
    raise_all,
    send_email,
    sign,
    unsign,
)
from plugins.clients import errors as e
from plugins.clients.config import ClientsConfig
from plugins.clients.errors import ClientsErrorCode as Code
from plugins.clients.models import (
    AccountProfile,
    AccountSettings,
    BillingProfile,
    BillingStatusChange,
    PaymentMethod,
    SignupDraft,
    SignupStatus,
)

STEPS = ("customer", "subscription", "numbers", "billing", "administrator", "activation")
CLIENT_STEPS = STEPS[:-1]  # the client never chooses the billing status
SIGNUP_STATUSES = (BillingStatus.FREE_TRIAL, BillingStatus.IN_PRODUCTION,
                   BillingStatus.BILLING_SUSPENDED)
MIN_TRIAL_DAYS, MAX_TRIAL_DAYS = 15, 90
MAX_NUMBERS = 50
MAX_ITEMS = 50


def invitation_policy(config: ClientsConfig) -> RecipientPolicy:
    """Sign-up links emailed to a typed address: one address at a time, rate-limited per user
    and per reseller by the core (gateway.api.check_recipients), as the config says."""
    return RecipientPolicy(max_recipients=1,
                           per_user_per_hour=config.signup_invitations_per_user_hour,
                           per_account_per_hour=config.signup_invitations_per_reseller_hour,
                           name="clients.signup_invitation")
_LINK_SALT = "clients.signup-link"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def valid_email(value: str) -> bool:
    return is_email(value)


def looks_like_card_number(value: str) -> bool:
    """13 to 19 digits passing the Luhn check: a card number, which the gateway never keeps."""
    digits = re.sub(r"[\s-]", "", value or "")
    if not digits.isdigit() or not 13 <= len(digits) <= 19:
        return False
    total = 0
    for i, char in enumerate(reversed(digits)):
        n = int(char)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


class _Checker:
    """Collects problems with their field paths while a step is cleaned."""

    def __init__(self, root: Field) -> None:
        self.root = root
        self.problems: list[Problem] = []

    def add(self, path: Field, code: Code, text: Text, **values: Any) -> None:
        self.problems.append(Problem(code, text, [*self.root, *path], **values))

    def text(self, data: Mapping[str, Any], key: str, path: Field, max_len: int,
             graphql_name: str | None = None) -> str | None:
        value = data.get(key)
        if value is None:
            return None
        value = str(value).strip()
        if len(value) > max_len:
            self.add([*path, graphql_name or key], Code.INVALID, e.TOO_LONG, max=max_len)
            return None
        return value

    def language(self, value: Any, path: Field) -> str | None:
        if value is None:
            return None
        code = str(value).strip().lower()
        if code not in LANGUAGES:
            self.add(path, Code.INVALID, e.INVALID_LANGUAGE)
            return None
        return code

    def email(self, value: Any, path: Field) -> str | None:
        if value is None or not str(value).strip():
            return None
        address = str(value).strip().lower()
        if not valid_email(address):
            self.add(path, Code.INVALID, e.INVALID_EMAIL)
            return None
        return address

    def phone(self, value: Any, path: Field, region: str | None) -> str | None:
        if value is None or not str(value).strip():
            return None
        try:
            return normalize_phone_number(str(value), region)
        except ValueError:
            self.add(path, Code.INVALID, e.INVALID_PHONE)
            return None


def _voice_languages(voices: list[Any], kind: AccountKind, c: _Checker) -> list[str] | None:
    """A company's voice languages (at most MAX_ITEMS, each once); None when refused."""
    if kind != AccountKind.COMPANY:
        c.add(["voiceLanguages"], Code.INVALID, e.WRONG_KIND_FIELD)
        return None
    if len(voices) > MAX_ITEMS:
        c.add(["voiceLanguages"], Code.TOO_MANY, e.TOO_MANY_ITEMS, max=MAX_ITEMS)
        return None
    cleaned = [c.language(v, ["voiceLanguages", i]) for i, v in enumerate(voices)]
    return list(dict.fromkeys(v for v in cleaned if v))


def clean_customer(data: Mapping[str, Any], kind: AccountKind, c: _Checker) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, name, size in (("name", "name", 200), ("address", "address", 200),
                            ("city", "city", 100), ("state", "state", 100),
                            ("postal_code", "postalCode", 20)):
        value = c.text(data, key, [], size, name)
        if value:
            out[key] = value
    country = data.get("country")
    if country is not None:
        country = str(country).strip().upper()
        if not re.fullmatch(r"[A-Z]{2}", country):
            c.add(["country"], Code.INVALID, e.INVALID_COUNTRY)
        else:
            out["country"] = country
    if (email := c.email(data.get("email"), ["email"])) is not None:
        out["email"] = email
    if (phone := c.phone(data.get("phone_number"), ["phoneNumber"],
                         out.get("country") or "CA")) is not None:
        out["phone_number"] = phone
    if (language := c.language(data.get("language"), ["language"])) is not None:
        out["language"] = language
    voices = data.get("voice_languages")
    if voices is not None and (cleaned := _voice_languages(voices, kind, c)) is not None:
        out["voice_languages"] = cleaned
    zone = data.get("time_zone")
    if zone is not None and str(zone).strip():
        if str(zone).strip() not in _time_zones():
            c.add(["timeZone"], Code.INVALID, e.INVALID_TIME_ZONE)
        else:
            out["time_zone"] = str(zone).strip()
    return out


def clean_subscription(data: Mapping[str, Any], c: _Checker) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if (plan := c.text(data, "plan", [], 100)) is not None:
        out["plan"] = plan
    options = data.get("options") or []
    if len(options) > MAX_ITEMS:
        c.add(["options"], Code.TOO_MANY, e.TOO_MANY_ITEMS, max=MAX_ITEMS)
    else:
        out["options"] = [o for o in (c.text({"o": v}, "o", ["options", i], 100)
                                      for i, v in enumerate(options)) if o]
    devices = data.get("devices") or []
    if len(devices) > MAX_ITEMS:
        c.add(["devices"], Code.TOO_MANY, e.TOO_MANY_ITEMS, max=MAX_ITEMS)
        devices = []
    cleaned = []
    for i, device in enumerate(devices):
        model = c.text(device, "model", ["devices", i], 100)
        if not model:
            c.add(["devices", i, "model"], Code.REQUIRED, e.REQUIRED)
        quantity = device.get("quantity", 1)
        if not isinstance(quantity, int) or not 1 <= quantity <= 999:
            c.add(["devices", i, "quantity"], Code.OUT_OF_RANGE, e.QUANTITY)
        elif model:
            cleaned.append({"model": model, "quantity": quantity})
    out["devices"] = cleaned
    return out


NUMBER_ACTIONS = ("PORT", "ORDER")
NUMBER_TYPES = ("LOCAL", "TOLL_FREE", "INTERNATIONAL")


def clean_numbers(items: list[Mapping[str, Any]], c: _Checker) -> list[dict[str, Any]]:
    if len(items) > MAX_NUMBERS:
        c.add([], Code.TOO_MANY, e.TOO_MANY_ITEMS, max=MAX_NUMBERS)
        return []
    out = []
    for i, item in enumerate(items):
        action = str(item.get("action") or "ORDER")
        if action not in NUMBER_ACTIONS:
            c.add([i, "action"], Code.INVALID, e.NUMBER_ACTION)
        if str(item.get("type") or "LOCAL") not in NUMBER_TYPES:
            c.add([i, "type"], Code.INVALID, e.NUMBER_TYPE)
        known = len(c.problems)
        number = c.phone(item.get("number"), [i, "number"], "CA")
        if action == "PORT" and number is None and len(c.problems) == known:
            c.add([i, "number"], Code.REQUIRED, e.PORT_NEEDS_NUMBER)
        area = c.text(item, "area_code", [i], 10, "areaCode")
        out.append({
            "action": action,
            "type": str(item.get("type") or "LOCAL"),
            "number": number,
            "area_code": area or None,
            "fax": bool(item.get("fax")),
            "sms": bool(item.get("sms")),
            "e911": bool(item.get("e911")),
        })
    return out


def clean_billing(data: Mapping[str, Any], c: _Checker) -> dict[str, Any]:
    out: dict[str, Any] = {}
    method = data.get("payment_method")
    if method is not None:
        out["payment_method"] = str(method)
    card = data.get("card")
    if card is not None:
        cleaned: dict[str, Any] = {}
        for key, name in (("token", "token"), ("holder_name", "holderName"), ("brand", "brand")):
            value = card.get(key)
            if value is not None and looks_like_card_number(str(value)):
                c.add(["card", name], Code.CARD_NUMBER_REFUSED, e.CARD_NUMBER)
                continue
            if (text := c.text(card, key, ["card"], 200, name)) is not None:
                cleaned[key] = text
        last4 = card.get("last4")
        if last4 is not None:
            if not re.fullmatch(r"\d{4}", str(last4)):
                c.add(["card", "last4"], Code.INVALID, e.CARD_LAST4)
            else:
                cleaned["last4"] = str(last4)
        expiry = card.get("expiry")
        if expiry is not None:
            match = re.fullmatch(r"(\d{2})/(\d{4})", str(expiry).strip())
            today = utcnow().date()
            if (match is None or not 1 <= int(match[1]) <= 12
                    or (int(match[2]), int(match[1])) < (today.year, today.month)):
                c.add(["card", "expiry"], Code.INVALID, e.CARD_EXPIRY)
            else:
                cleaned["expiry"] = str(expiry).strip()
        out["card"] = cleaned
    if (contact := c.text(data, "invoice_contact", [], 200, "invoiceContact")) is not None:
        out["invoice_contact"] = contact
    if (email := c.email(data.get("invoice_email"), ["invoiceEmail"])) is not None:
        out["invoice_email"] = email
    return out


def clean_administrator(data: Mapping[str, Any], c: _Checker) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, name in (("first_name", "firstName"), ("last_name", "lastName")):
        if value := c.text(data, key, [], 100, name):
            out[key] = value
    if (email := c.email(data.get("email"), ["email"])) is not None:
        out["email"] = email
    if (language := c.language(data.get("language"), ["language"])) is not None:
        out["language"] = language
    return out


def clean_activation(data: Mapping[str, Any], c: _Checker, default_days: int) -> dict[str, Any]:
    status = str(data.get("billing_status") or BillingStatus.FREE_TRIAL)
    if status not in SIGNUP_STATUSES:
        c.add(["billingStatus"], Code.INVALID, e.SIGNUP_STATUS)
    days = data.get("trial_days")
    if days is None and status == BillingStatus.FREE_TRIAL:
        days = default_days
    if days is not None and not MIN_TRIAL_DAYS <= int(days) <= MAX_TRIAL_DAYS:
        c.add(["trialDays"], Code.OUT_OF_RANGE, e.TRIAL_DAYS)
    return {"billing_status": status, "trial_days": days}


def clean_steps(
    steps: Mapping[str, Any], kind: AccountKind, config: ClientsConfig
) -> dict[str, Any]:
    """Every step given, cleaned; raises every problem found (``Problems`` when several)."""
    cleaned: dict[str, Any] = {}
    problems: list[Problem] = []
    for step, value in steps.items():
        checker = _Checker(["input", step])
        if step == "customer":
            cleaned[step] = clean_customer(value, kind, checker)
        elif step == "subscription":
            cleaned[step] = clean_subscription(value, checker)
        elif step == "numbers":
            cleaned[step] = clean_numbers(list(value), checker)
        elif step == "billing":
            cleaned[step] = clean_billing(value, checker)
        elif step == "administrator":
            cleaned[step] = clean_administrator(value, checker)
        elif step == "activation":
            cleaned[step] = clean_activation(value, checker, config.trial_days_default)
        problems += checker.problems
    raise_all(problems)
    return cleaned


@dataclass(frozen=True)
class StepState:
    step: str
    complete: bool
    missing: list[str]


def missing_fields(draft_data: Mapping[str, Any], kind: AccountKind) -> dict[str, list[str]]:
    """Per step, the fields completing the sign-up still needs (GraphQL names)."""
    customer = draft_data.get("customer") or {}
    admin = draft_data.get("administrator") or {}
    billing = draft_data.get("billing") or {}
    activation = draft_data.get("activation") or {}
    missing: dict[str, list[str]] = {step: [] for step in STEPS}
    for key, name in (("name", "name"), ("email", "email"), ("time_zone", "timeZone")):
        if not customer.get(key):
            missing["customer"].append(name)
    for key, name in (("first_name", "firstName"), ("last_name", "lastName")):
        if not admin.get(key):
            missing["administrator"].append(name)
    if not admin.get("email") and not customer.get("email"):
        missing["administrator"].append("email")
    if activation.get("billing_status") == BillingStatus.IN_PRODUCTION:
        missing["billing"] += billing_missing(billing)
    elif billing.get("payment_method"):
        missing["billing"] += billing_missing(billing)
    return missing


def billing_missing(billing: Mapping[str, Any]) -> list[str]:
    method = billing.get("payment_method")
    if not method:
        return ["paymentMethod"]
    if method == PaymentMethod.CREDIT_CARD:
        card = billing.get("card") or {}
        return [f"card.{k}" for k in ("token", "last4") if not card.get(k)]
    return [] if billing.get("invoice_email") else ["invoiceEmail"]


def step_states(draft_data: Mapping[str, Any], kind: AccountKind) -> list[StepState]:
    missing = missing_fields(draft_data, kind)
    return [StepState(step, not missing[step], missing[step]) for step in STEPS]


# --- Drafts -------------------------------------------------------------------------------

def drafts_visible(principal: Principal | None) -> QuerySet[SignupDraft]:
    """Sign-ups the caller may see: their reseller's (all for system admins); nobody else's,
    not even staff working inside an account (direct access)."""
    if principal is None:
        return SignupDraft.filter(id=-1)
    if principal.role == Role.SYSTEM_ADMIN:
        return SignupDraft.all()
    if principal.role in RESELLER_SIDE and not principal.direct_access:
        return SignupDraft.filter(reseller_id=principal.reseller_id or -1)
    return SignupDraft.filter(id=-1)


async def draft_for(principal: Principal, draft_id: int) -> SignupDraft:
    """A draft of the caller's reseller; another reseller's is not found."""
    draft = await SignupDraft.filter(id=draft_id, reseller_id=principal.reseller_id or -1).first()
    if draft is None:
        raise Problem(Code.NOT_FOUND, e.DRAFT_NOT_FOUND, ["input", "id"])
    return draft


async def check_subscription_choice(host: PluginHost | None, reseller_id: int,
                                    cleaned: Mapping[str, Any]) -> None:
    """With a billing plugin (an ``invoice_preview``-like provider of kind
    ``signup_subscription``: ``async (reseller_id, subscription) -> None`` raising problems),
    the "Abonnement" step picks from the reseller's offer; without one it stays free text."""
    if host is None or "subscription" not in cleaned:
        return
    check = host.pm.hook.gateway_provider(gateway=host, kind="signup_subscription",
                                          name="default")
    if check is not None:
        await check(reseller_id, cleaned["subscription"])


# --- Numbers ordered from the reseller's pool ----------------------------------------------
# With the account settings plugin, the "numbers" step's ORDER lines are served from the
# reseller's pool of numbers (its ``gateway_provider(kind="number_pool")``): refused at the
# step when the pool cannot serve them now, taken and assigned to the account at completion
# (in its transaction). PORT lines stay requests on the draft (staff read them on the
# completed sign-up, ``signupDrafts``). Without the provider the step is only kept.

def number_pool(host: PluginHost | None) -> Any | None:
    """The pool provider: ``available(reseller_id, number_type, area_code) -> int`` and
    ``order(account, orders, field) -> list[str]``; None without account settings."""
    if host is None:
        return None
    return host.pm.hook.gateway_provider(gateway=host, kind="number_pool", name="default")


def number_orders(numbers: Sequence[Mapping[str, Any]]) -> list[tuple[int, dict[str, Any]]]:
    """The step's ORDER lines with their place in the step: one number each."""
    return [(i, {"type": line.get("type") or "LOCAL", "area_code": line.get("area_code")})
            for i, line in enumerate(numbers) if line.get("action", "ORDER") == "ORDER"]


async def check_numbers_available(host: PluginHost | None, reseller_id: int,
                                  cleaned: Mapping[str, Any]) -> None:
    """Refuse the ORDER lines the reseller's pool cannot serve right now: the lines asking for
    the same type and area code are counted together, those past what is free are refused,
    each beside its area code."""
    pool = number_pool(host)
    if pool is None or not cleaned.get("numbers"):
        return
    wanted: dict[tuple[str, str], list[int]] = {}
    for i, order in number_orders(cleaned["numbers"]):
        digits = "".join(c for c in order["area_code"] or "" if c.isdigit())  # "(514)": 514
        wanted.setdefault((order["type"], digits), []).append(i)
    problems = []
    for (number_type, area_code), lines in wanted.items():
        free = int(await pool.available(reseller_id, number_type, area_code or None))
        problems += [Problem(Code.NO_NUMBER_AVAILABLE, e.NUMBERS_UNAVAILABLE,
                             ["input", "numbers", i, "areaCode"], available=max(free, 0))
                     for i in lines[max(free, 0):]]
    raise_all(problems)


async def order_numbers(host: PluginHost, account: Account,
                        numbers: list[dict[str, Any]]) -> None:
    """Take the ORDER lines' numbers from the pool for the new account (in the caller's
    transaction); each line keeps the number it got. A line the pool cannot serve any more
    raises its problem beside that line's area code (the sign-up rolls back)."""
    pool = number_pool(host)
    orders = number_orders(numbers)
    if pool is None or not orders:
        return
    try:
        got = await pool.order(account, [order for _, order in orders], ["input", "numbers"])
    except (Problem, Problems) as exc:
        for problem in exc.problems:  # the pool counts the orders: back to the step's lines
            path = problem.field or []
            if len(path) > 2 and isinstance(path[2], int) and path[2] < len(orders):
                problem.field = [*path[:2], orders[path[2]][0], *path[3:]]
        raise
    for (i, _), number in zip(orders, got, strict=False):
        numbers[i] = {**numbers[i], "number": number}


async def check_with_reseller(host: PluginHost | None, reseller_id: int,
                              cleaned: Mapping[str, Any]) -> None:
    """What a saved step must fit of the reseller: its offer, its pool of numbers."""
    await check_subscription_choice(host, reseller_id, cleaned)
    await check_numbers_available(host, reseller_id, cleaned)


async def create_draft(principal: Principal, kind: AccountKind, steps: Mapping[str, Any],
                       config: ClientsConfig, host: PluginHost | None = None) -> SignupDraft:
    """A new draft for the caller's reseller, with whatever steps are already known."""
    cleaned = clean_steps(steps, kind, config)
    await check_with_reseller(host, principal.reseller_id or -1, cleaned)
    return await SignupDraft.create(
        reseller_id=principal.reseller_id, kind=kind, data=cleaned,
        created_by_id=principal.user_id if not principal.direct_access else None,
    )


async def save_draft(principal: Principal, draft_id: int | None, kind: AccountKind | None,
                     steps: Mapping[str, Any], config: ClientsConfig,
                     host: PluginHost | None = None) -> SignupDraft:
    """The wizard's Suivant / Précédent: a new draft (its ``kind`` is then required), or the
    given steps saved on the caller's draft ``draft_id``."""
    if draft_id is None:
        if kind is None:
            raise Problem(Code.REQUIRED, e.REQUIRED, ["input", "kind"])
        return await create_draft(principal, kind, steps, config, host)
    return await save_steps(await draft_for(principal, draft_id), steps, config, host)


async def save_steps(draft: SignupDraft, steps: Mapping[str, Any],
                     config: ClientsConfig, host: PluginHost | None = None) -> SignupDraft:
    """Replace the given steps of a draft (each step is saved whole, as the wizard sends it)."""
    if draft.status == SignupStatus.COMPLETED:
        raise Problem(Code.DRAFT_COMPLETED, e.DRAFT_COMPLETED, ["input"])
    cleaned = clean_steps(steps, draft.kind, config)
    await check_with_reseller(host, draft.reseller_id, cleaned)
    draft.data = {**(draft.data or {}), **cleaned}
    await draft.save(update_fields=["data", "updated_at"])
    return draft


# --- The client's link ------------------------------------------------------------------

def signup_link(host: PluginHost, draft: SignupDraft, config: ClientsConfig) -> str:
    token = sign(host.settings.secret_key, _LINK_SALT, {"d": draft.id, "n": draft.link_nonce})
    base = config.signup_url or f"{host.settings.public_url.rstrip('/')}/signup"
    return f"{base}?token={token}"


async def send_to_client(draft: SignupDraft, *, email: str | None, language: str | None,
                         host: PluginHost, config: ClientsConfig,
                         principal: Principal) -> SignupDraft:
    """Email the client a link to read and finish this draft; an earlier link stops working.
    The address (``email``, else the customer's of the draft) is a typed one: it goes through
    the core's check (``check_recipients``: one bare address, rate-limited per user and
    reseller, see :func:`invitation_policy`) as ``principal``, the caller."""
    if language is not None and language not in LANGUAGES:
        raise Problem(Code.INVALID, e.INVALID_LANGUAGE, ["input", "language"])
    if draft.status == SignupStatus.COMPLETED:
        raise Problem(Code.DRAFT_COMPLETED, e.DRAFT_COMPLETED, ["input", "id"])
    customer = (draft.data or {}).get("customer") or {}
    checker = _Checker(["input"])
    address = checker.email(email, ["email"]) if email else customer.get("email")
    raise_all(checker.problems)
    if not address:
        raise Problem(Code.REQUIRED, e.REQUIRED, ["input", "email"])
    (address,) = await check_recipients(principal, [address], field=["input", "email"],
                                        policy=invitation_policy(config))
    reseller = await Reseller.get(id=draft.reseller_id)
    language = language or customer.get("language") or reseller.default_language
    async with in_transaction():
        draft.link_nonce = secrets.token_hex(16)
        draft.status = SignupStatus.SENT
        draft.sent_to = address
        draft.sent_at = utcnow()
        await draft.save(update_fields=["link_nonce", "status", "sent_to", "sent_at",
                                        "updated_at"])
        await send_email(
            to=address, template="clients_signup_invitation",
            language=language if language in LANGUAGES else "fr",
            values={"reseller": reseller.name, "name": customer.get("name") or address,
                    "link": signup_link(host, draft, config), "days": config.signup_link_days},
            gateway=host,
        )
    return draft


async def draft_for_token(token: str, host: PluginHost, config: ClientsConfig) -> SignupDraft:
    """The draft a client link opens; refused when forged, expired, replaced or used up."""
    field = ["input", "token"]
    try:
        data = unsign(host.settings.secret_key, _LINK_SALT, token,
                      config.signup_link_days * 86400)
    except SignatureExpired:
        raise Problem(Code.LINK_EXPIRED, e.LINK_EXPIRED, field) from None
    except BadSignature:
        raise Problem(Code.LINK_INVALID, e.LINK_INVALID, field) from None
    if not isinstance(data, dict) or not data.get("n"):
        raise Problem(Code.LINK_INVALID, e.LINK_INVALID, field)
    draft = await SignupDraft.filter(id=data.get("d"), link_nonce=data["n"]).first()
    if draft is None or draft.status == SignupStatus.COMPLETED:
        raise Problem(Code.LINK_INVALID, e.LINK_INVALID, field)
    return draft


# --- Completing -------------------------------------------------------------------------

def _activation(draft: SignupDraft, billing_status: BillingStatus | None,
                trial_days: int | None) -> dict[str, Any] | None:
    """The draft's activation step with the reseller's last-minute choice, if any: a new
    billing status drops the trial length chosen with the old one."""
    if billing_status is None and trial_days is None:
        return None
    activation = {**((draft.data or {}).get("activation") or {})}
    if billing_status is not None:
        activation["billing_status"] = BillingStatus(billing_status).value
        activation.pop("trial_days", None)
    if trial_days is not None:
        activation["trial_days"] = trial_days
    return activation


async def complete(draft: SignupDraft, *, host: PluginHost, config: ClientsConfig,
                   billing_status: BillingStatus | None = None, trial_days: int | None = None,
                   actor_user_id: int | None = None) -> Account:
    """Create the account, its profile and its first user from a complete draft, tell the
    other plugins (``gateway_account_created``, in the transaction) and email the first user
    their login id and a link to set their password. The reseller may choose the billing
    status (and the trial's length) at the last step."""
    if draft.status == SignupStatus.COMPLETED:
        raise Problem(Code.DRAFT_COMPLETED, e.DRAFT_COMPLETED, ["input", "id"])
    data = dict(draft.data or {})
    activation = _activation(draft, billing_status, trial_days)
    if activation is not None:
        data["activation"] = clean_steps({"activation": activation}, draft.kind,
                                         config)["activation"]
    data.setdefault("activation", clean_activation({}, _Checker([]), config.trial_days_default))
    raise_all([
        Problem(Code.REQUIRED, e.REQUIRED, ["input", step, *name.split(".")])
        for step, names in missing_fields(data, draft.kind).items() for name in names
    ])
    await check_subscription_choice(host, draft.reseller_id, data)
    reseller = await Reseller.get(id=draft.reseller_id)
    customer, admin = data["customer"], data.get("administrator") or {}
    login = admin.get("email") or customer["email"]
    login_field = ["input", "administrator" if admin.get("email") else "customer", "email"]
    if await User.filter(login=login).exists() or await User.filter(email=login).exists():
        raise Problem(Code.LOGIN_TAKEN, e.LOGIN_TAKEN, login_field)
    choice = data["activation"]
    status = BillingStatus(choice["billing_status"])
    days = choice.get("trial_days")
    now = utcnow()
    language = customer.get("language") or reseller.default_language
    async with in_transaction():
        can = new_can()
        while await Account.filter(can=can).exists():
            can = new_can()
        account = await Account.create(
            reseller=reseller, kind=draft.kind, name=customer["name"], can=can,
            language=language, time_zone=customer["time_zone"],
            country=customer.get("country") or reseller.country or "CA",
            email=customer["email"], phone_number=customer.get("phone_number"),
            billing_status=status,
            trial_ends_at=now + dt.timedelta(days=int(days)) if days else None,
        )
        await AccountProfile.create(
            account=account, address=customer.get("address", ""),
            city=customer.get("city", ""), state=customer.get("state", ""),
            postal_code=customer.get("postal_code", ""),
            voice_languages=customer.get("voice_languages")
            or ([language] if draft.kind == AccountKind.COMPANY else []),
        )
        await AccountSettings.create(account=account)
        billing = data.get("billing") or {}
        if billing.get("payment_method"):
            await save_billing_profile(account.id, billing)
        await BillingStatusChange.create(account=account, from_status=None, to_status=status,
                                         trial_days=days, changed_by_id=actor_user_id)
        try:
            user = await User.create(
                role=UserRole.COMPANY_ADMIN if draft.kind == AccountKind.COMPANY
                else UserRole.PROFESSIONAL,
                reseller=reseller, account=account, login=login, email=login,
                first_name=admin.get("first_name", ""), last_name=admin.get("last_name", ""),
                language=admin.get("language") or language,
                phone=customer.get("phone_number"),
            )
        except IntegrityError:
            # Taken between the check above and now: the whole sign-up rolls back.
            raise Problem(Code.LOGIN_TAKEN, e.LOGIN_TAKEN, login_field) from None
        draft.status = SignupStatus.COMPLETED
        draft.account_id = account.id
        draft.completed_at = now
        draft.link_nonce = None
        draft.data = data
        await draft.save(update_fields=["status", "account_id", "completed_at", "link_nonce",
                                        "data", "updated_at"])
        await host.call_async("gateway_account_created", account=account)
        if data.get("numbers"):  # after the account exists for the other plugins
            draft.data = {**data, "numbers": [dict(line) for line in data["numbers"]]}
            await order_numbers(host, account, draft.data["numbers"])
            await draft.save(update_fields=["data", "updated_at"])
        await send_welcome(user, account, reseller, host)
    return account


async def save_billing_profile(account_id: int, billing: Mapping[str, Any],
                               *, accepted_by: int | None = None) -> BillingProfile:
    """Keep how the account pays (the card as the processor's token, never its number)."""
    card = billing.get("card") or {}
    method = PaymentMethod(billing["payment_method"])
    values = {
        "payment_method": method,
        "card_token": card.get("token") if method == PaymentMethod.CREDIT_CARD else None,
        "card_brand": card.get("brand") if method == PaymentMethod.CREDIT_CARD else None,
        "card_last4": card.get("last4") if method == PaymentMethod.CREDIT_CARD else None,
        "card_expiry": card.get("expiry") if method == PaymentMethod.CREDIT_CARD else None,
        "invoice_contact": billing.get("invoice_contact", ""),
        "invoice_email": billing.get("invoice_email", ""),
    }
    if accepted_by is not None or billing.get("terms_accepted"):
        values["terms_accepted_at"] = utcnow()
        values["terms_accepted_by_id"] = accepted_by
    profile = await BillingProfile.filter(account_id=account_id).first()
    if profile is None:
        return await BillingProfile.create(account_id=account_id, **values)
    await BillingProfile.filter(id=profile.id).update(**values)
    return profile


async def send_welcome(user: User, account: Account, reseller: Reseller, host: PluginHost) -> None:
    """The first user's access codes: the login id and a link to set the password."""
    link = await issue_password_link(user, OneTimeTokenPurpose.SET_PASSWORD, gateway=host)
    await send_email(
        to=user.email, template="clients_welcome",
        language=user.language if user.language in LANGUAGES else "fr",
        values={"name": user.full_name, "login": user.login, "link": link,
                "reseller": reseller.name, "account_number": account.id,
                "days": LINK_LIFETIME[OneTimeTokenPurpose.SET_PASSWORD].days},
        gateway=host,
    )
