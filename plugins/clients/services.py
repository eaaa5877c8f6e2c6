"""The rules of the Clients page, callable without GraphQL (tests, jobs, the CLI, other plugins):
billing status changes, unsubscribing and reactivating, the purge, messages to subscribers,
and the free-trial guard other plugins call before adding numbers or options.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import logging
import os
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from tortoise.expressions import Subquery
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from gateway.api import (
    LANGUAGES,
    LINK_LIFETIME,
    STAFF,
    Account,
    AccountKind,
    AuditEntry,
    BadSignature,
    BillingStatus,
    OneTimeTokenPurpose,
    PluginHost,
    Principal,
    Problem,
    Problems,
    RecipientPolicy,
    Reseller,
    ResellerDelegate,
    SafeHtml,
    Session,
    SignatureExpired,
    Text,
    User,
    UserRole,
    account_admin,
    accounts_visible,
    check_recipients,
    count_recipients,
    issue_password_link,
    raise_all,
    send_email,
    sign,
    unsign,
)
from plugins.clients import errors as e
from plugins.clients.config import ClientsConfig
from plugins.clients.errors import ClientsErrorCode as Code
from plugins.clients.models import (
    AccountMessage,
    AccountProfile,
    AccountSettings,
    BillingProfile,
    BillingStatusChange,
    MessageKind,
    MessageStatus,
    SignupDraft,
)
from plugins.clients.signup import (
    MAX_TRIAL_DAYS,
    MIN_TRIAL_DAYS,
    billing_missing,
    clean_steps,
    save_billing_profile,
)

log = logging.getLogger("gateway.clients")

MAX_MESSAGE_ACCOUNTS = 100
MAX_COPIES = 10
# Copies (cc, bcc) are typed addresses: the core's check (gateway.api.check_recipients), at
# most MAX_COPIES each, counted per hour in emails (copies x accounts) per user and reseller.
COPIES_POLICY = RecipientPolicy(max_recipients=MAX_COPIES, per_user_per_hour=2000,
                                per_account_per_hour=5000, name="clients.messages")
_PREVIEW_SALT = "clients.invoice-preview"
PREVIEW_LIFETIME = dt.timedelta(hours=1)

# Seeds, "Gérer le statut d'un compte": the only changes a reseller admin can make.
TRANSITIONS: dict[BillingStatus, tuple[BillingStatus, ...]] = {
    BillingStatus.FREE_TRIAL: (BillingStatus.IN_PRODUCTION,),
    BillingStatus.BILLING_SUSPENDED: (BillingStatus.FREE_TRIAL, BillingStatus.IN_PRODUCTION),
    BillingStatus.IN_PRODUCTION: (BillingStatus.BILLING_SUSPENDED,),
    BillingStatus.UNSUBSCRIBED: (),
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# --- Finding accounts ------------------------------------------------------------------

async def visible_account(principal: Principal | None, account_id: int | None) -> Account | None:
    """The account if the caller may see it; None for any other id (or none)."""
    if account_id is None:
        return None
    return await accounts_visible(principal).filter(id=account_id).first()


def actor_id(principal: Principal) -> int | None:
    """Who a change is recorded as: the real person behind a direct access."""
    return principal.real_user_id if principal.direct_access else principal.user_id


def messages_visible(principal: Principal | None) -> QuerySet[AccountMessage]:
    """Messages of the accounts the caller may see, for the staff who send them."""
    if principal is None or principal.role not in STAFF:
        return AccountMessage.filter(id=-1)
    return AccountMessage.filter(
        account_id__in=Subquery(accounts_visible(principal).values("id")))


async def is_test_mode(account_id: int) -> bool:
    """Compte en mode test: no email leaves for this account (and, in issue 5, no call)."""
    flags = await AccountSettings.filter(account_id=account_id).values("test_mode")
    return bool(flags and flags[0]["test_mode"])


async def set_test_mode(account_id: int, on: bool) -> None:
    """Switch test mode (the account settings screen of issue 5 calls this)."""
    updated = await AccountSettings.filter(account_id=account_id).update(test_mode=on)
    if not updated:
        await AccountSettings.create(account_id=account_id, test_mode=on)


# --- The free-trial guard ----------------------------------------------------------------

async def ensure_can_add_numbers_and_options(account: Account | int) -> None:
    """Refuse adding phone numbers and options to an account in free trial (seeds: "tant qu'ils
    ne seront pas passés à un compte payant") or unsubscribed. Raises a ``Problem`` whose
    code is ``FREE_TRIAL_RESTRICTION`` or ``ACCOUNT_UNSUBSCRIBED``; callers turn it into their
    own payload error (its ``text`` is in both languages)."""
    if isinstance(account, int):
        rows = await Account.filter(id=account).values("billing_status")
        if not rows:
            raise Problem(Code.NOT_FOUND, e.NOT_FOUND)
        status = BillingStatus(rows[0]["billing_status"])
    else:
        status = BillingStatus(account.billing_status)
    if status == BillingStatus.FREE_TRIAL:
        raise Problem(Code.FREE_TRIAL_RESTRICTION, e.FREE_TRIAL_RESTRICTION)
    if status == BillingStatus.UNSUBSCRIBED:
        raise Problem(Code.ACCOUNT_UNSUBSCRIBED, e.ACCOUNT_UNSUBSCRIBED)


# --- Invoice preview and billing status --------------------------------------------------

@dataclass(frozen=True)
class InvoiceLine:
    description: str
    quantity: int
    amount: Decimal | None  # None: priced by the billing system, not known here
    currency: str


@dataclass(frozen=True)
class InvoicePreview:
    account_id: int
    lines: list[InvoiceLine]
    token: str
    expires_at: dt.datetime

    @property
    def total(self) -> Decimal | None:
        amounts = [line.amount * line.quantity for line in self.lines if line.amount is not None]
        if not amounts or len(amounts) != len(self.lines):
            return None
        return sum(amounts, Decimal(0))


async def invoice_preview(account: Account, host: PluginHost) -> InvoicePreview:
    """What the first invoice will hold, shown before a free trial goes to production.

    The lines come from an ``invoice_preview`` provider (``gateway_provider(kind=
    "invoice_preview", name="default")``, a callable ``async (account) -> [InvoiceLine]``) when
    a billing plugin offers one; else from the plan, options and devices of the sign-up,
    unpriced. The token proves the preview was shown; ``changeBillingStatus`` asks for it."""
    provider = host.pm.hook.gateway_provider(gateway=host, kind="invoice_preview",
                                             name="default")
    if provider is not None:
        lines = list(await provider(account))
    else:
        lines = await _signup_lines(account)
    token = sign(host.settings.secret_key, _PREVIEW_SALT, await _preview_claims(account))
    return InvoicePreview(account.id, lines, token, utcnow() + PREVIEW_LIFETIME)


async def _preview_claims(account: Account) -> dict[str, Any]:
    """What a preview token vouches for: this account, in this status, before any later
    change (so a preview cannot be replayed after the status moved and came back)."""
    last = await BillingStatusChange.filter(account_id=account.id).order_by("-id").limit(
        1).values("id")
    return {"a": account.id, "s": str(account.billing_status), "c": last[0]["id"] if last else 0}


async def _signup_lines(account: Account) -> list[InvoiceLine]:
    draft = await SignupDraft.filter(account_id=account.id).order_by("-id").first()
    subscription = ((draft.data or {}).get("subscription") or {}) if draft else {}
    lines = []
    if subscription.get("plan"):
        lines.append(InvoiceLine(subscription["plan"], 1, None, "CAD"))
    lines += [InvoiceLine(option, 1, None, "CAD") for option in subscription.get("options", [])]
    lines += [InvoiceLine(d["model"], d["quantity"], None, "CAD")
              for d in subscription.get("devices", [])]
    return lines


async def _check_preview(host: PluginHost, token: str | None, account: Account) -> None:
    field = ["input", "invoicePreviewToken"]
    if not token:
        raise Problem(Code.INVOICE_PREVIEW_REQUIRED, e.PREVIEW_REQUIRED, field)
    try:
        data = unsign(host.settings.secret_key, _PREVIEW_SALT, token,
                      int(PREVIEW_LIFETIME.total_seconds()))
    except SignatureExpired:
        raise Problem(Code.INVOICE_PREVIEW_REQUIRED, e.PREVIEW_STALE, field) from None
    except BadSignature:
        raise Problem(Code.INVOICE_PREVIEW_REQUIRED, e.PREVIEW_REQUIRED, field) from None
    if data != await _preview_claims(account):
        raise Problem(Code.INVOICE_PREVIEW_REQUIRED, e.PREVIEW_STALE, field)


def status_text(text: Text, current: BillingStatus, wanted: BillingStatus | None = None) -> Text:
    """``text`` with the statuses named as the seeds name them, in each language."""

    def fill(language: str) -> str:
        allowed = TRANSITIONS.get(current, ())
        return getattr(text, language).format(
            current=e.status_label(current, language),
            wanted=e.status_label(wanted, language) if wanted else "",
            allowed=", ".join(e.status_label(s, language) for s in allowed) or "-",
        )

    return Text(en=fill("en"), fr=fill("fr"))


def _not_allowed(current: BillingStatus, wanted: BillingStatus) -> Problem:
    return Problem(Code.TRANSITION_NOT_ALLOWED,
                   status_text(e.TRANSITION_NOT_ALLOWED, current, wanted),
                   ["input", "billingStatus"])


def _check_transition(current: BillingStatus, wanted: BillingStatus) -> None:
    """Only the seed's transitions, and never from unsubscribed (reactivate does that)."""
    if current == BillingStatus.UNSUBSCRIBED:
        raise Problem(Code.ACCOUNT_UNSUBSCRIBED, e.ACCOUNT_UNSUBSCRIBED, ["input", "id"])
    if wanted == current:
        raise Problem(Code.STATUS_UNCHANGED, status_text(e.STATUS_UNCHANGED, current),
                      ["input", "billingStatus"])
    if wanted not in TRANSITIONS[current]:
        raise _not_allowed(current, wanted)


def _clean_payment(payment: Mapping[str, Any] | None, kind: AccountKind,
                   config: ClientsConfig) -> dict[str, Any] | None:
    """The payment method given with the change, cleaned like the wizard's billing step and
    complete; None when none was given."""
    if payment is None:
        return None
    billing: dict[str, Any] = clean_steps({"billing": payment}, kind, config)["billing"]
    raise_all([Problem(Code.REQUIRED, e.REQUIRED, ["input", "paymentMethod", *m.split(".")])
               for m in billing_missing(billing)])
    return billing


@dataclass(frozen=True)
class _Change:
    """What the change writes: the account's new columns and, back to a free trial, its
    length."""

    updates: dict[str, Any]
    trial_days: int | None = None


async def _change_for(account: Account, current: BillingStatus, wanted: BillingStatus, *,
                      host: PluginHost, config: ClientsConfig, has_payment: bool,
                      trial_days: int | None, invoice_preview_token: str | None,
                      accept_terms: bool) -> _Change:
    """What each allowed transition requires, checked; what it writes."""
    if wanted == BillingStatus.FREE_TRIAL:
        days = config.trial_days_default if trial_days is None else trial_days
        if not MIN_TRIAL_DAYS <= days <= MAX_TRIAL_DAYS:
            raise Problem(Code.OUT_OF_RANGE, e.TRIAL_DAYS, ["input", "trialDays"])
        return _Change({"billing_status": wanted,
                        "trial_ends_at": utcnow() + dt.timedelta(days=days)}, days)
    if current == BillingStatus.FREE_TRIAL and wanted == BillingStatus.IN_PRODUCTION:
        await _check_preview(host, invoice_preview_token, account)
        if not accept_terms:
            raise Problem(Code.TERMS_NOT_ACCEPTED, e.TERMS, ["input", "acceptTerms"])
    if wanted == BillingStatus.IN_PRODUCTION:
        if not has_payment:
            raise Problem(Code.PAYMENT_METHOD_REQUIRED, e.PAYMENT_METHOD,
                          ["input", "paymentMethod"])
        return _Change({"billing_status": wanted, "trial_ends_at": None})  # billing starts
    return _Change({"billing_status": wanted})


async def change_billing_status(
    account: Account,
    wanted: BillingStatus,
    *,
    host: PluginHost,
    config: ClientsConfig,
    actor_user_id: int | None = None,
    trial_days: int | None = None,
    invoice_preview_token: str | None = None,
    accept_terms: bool = False,
    payment: Mapping[str, Any] | None = None,
) -> Account:
    """Move an account to another billing status, only along the seed's transitions:
    free trial → in production (after the invoice preview, with the terms accepted and a
    payment method), billing suspended → free trial (15-90 days) or in production (with a
    payment method), in production → billing suspended."""
    current = BillingStatus(account.billing_status)
    wanted = BillingStatus(wanted)
    _check_transition(current, wanted)
    billing = _clean_payment(payment, AccountKind(account.kind), config)
    has_payment = billing is not None or await BillingProfile.filter(
        account_id=account.id).exists()
    change = await _change_for(account, current, wanted, host=host, config=config,
                               has_payment=has_payment, trial_days=trial_days,
                               invoice_preview_token=invoice_preview_token,
                               accept_terms=accept_terms)
    async with in_transaction():
        # Only from the status read above: two admins changing it at once cannot both win.
        if not await Account.filter(id=account.id, billing_status=current).update(
                **change.updates):
            raise _not_allowed(current, wanted)
        await _save_terms_and_payment(account.id, billing, accept_terms, actor_user_id)
        await BillingStatusChange.create(
            account_id=account.id, from_status=current, to_status=wanted,
            trial_days=change.trial_days, terms_accepted=accept_terms,
            changed_by_id=actor_user_id,
        )
    return await Account.get(id=account.id)


async def _save_terms_and_payment(account_id: int, billing: dict[str, Any] | None,
                                  accept_terms: bool, actor_user_id: int | None) -> None:
    if billing is not None:
        await save_billing_profile(account_id, {**billing, "terms_accepted": accept_terms},
                                   accepted_by=actor_user_id if accept_terms else None)
    elif accept_terms:
        await BillingProfile.filter(account_id=account_id).update(
            terms_accepted_at=utcnow(), terms_accepted_by_id=actor_user_id)


# --- Unsubscribing, reactivating -----------------------------------------------------------

async def unsubscribe(account: Account, *, host: PluginHost, config: ClientsConfig,
                      actor_user_id: int | None = None) -> Account:
    """Delete = unsubscribe (seeds, "Supprimer un compte"): the account and its users become
    unsubscribed and inactive, their sessions end, the other plugins are told
    (``gateway_account_unsubscribed``: billing stops, numbers go back to the reseller's pool,
    the phone system deprovisions), and the company admin gets a confirmation email. The
    account is kept ``purge_after_days`` before the purge archives and deletes it."""
    current = BillingStatus(account.billing_status)
    if current == BillingStatus.UNSUBSCRIBED:
        raise Problem(Code.ACCOUNT_UNSUBSCRIBED, e.ACCOUNT_UNSUBSCRIBED, ["input", "id"])
    now = utcnow()
    async with in_transaction():
        changed = await Account.filter(id=account.id, billing_status=current).update(
            billing_status=BillingStatus.UNSUBSCRIBED, unsubscribed_at=now)
        if not changed:
            raise Problem(Code.ACCOUNT_UNSUBSCRIBED, e.ACCOUNT_UNSUBSCRIBED, ["input", "id"])
        if not await AccountProfile.filter(account_id=account.id).update(
                status_before_unsubscribe=current):
            await AccountProfile.create(account_id=account.id, status_before_unsubscribe=current)
        await User.filter(account_id=account.id).update(is_active=False)
        await Session.filter(user_id__in=Subquery(User.filter(account_id=account.id).values(
            "id")), ended_at__isnull=True).update(ended_at=now)
        # Reseller staff working inside the account (direct access) are sent back out too.
        await Session.filter(acting_account_id=account.id, ended_at__isnull=True).update(
            ended_at=now)
        await BillingStatusChange.create(account_id=account.id, from_status=current,
                                         to_status=BillingStatus.UNSUBSCRIBED,
                                         changed_by_id=actor_user_id)
        account = await Account.get(id=account.id)
        await host.call_async("gateway_account_unsubscribed", account=account)
        await _confirm_unsubscription(account, host, config)
    return account


async def _confirm_unsubscription(account: Account, host: PluginHost,
                                  config: ClientsConfig) -> None:
    admin = await account_admin(account)
    address = admin.email if admin else account.email
    if not address:
        return
    if await is_test_mode(account.id):
        log.info("account %s is in test mode: unsubscription email suppressed", account.id)
        return
    reseller = await Reseller.get(id=account.reseller_id)
    language = (admin.language if admin else account.language)
    await send_email(
        to=address, template="clients_unsubscribed",
        language=language if language in LANGUAGES else "fr",
        values={"name": admin.full_name if admin else account.name,
                "account_name": account.name, "account_number": account.id,
                "reseller": reseller.name, "days": config.purge_after_days},
        gateway=host,
    )


async def reactivate(account: Account, *, host: PluginHost, actor_user_id: int | None = None,
                     billing_status: BillingStatus | None = None) -> Account:
    """Undo an unsubscription before the purge (system admins): the account gets back the
    status it had (or ``billing_status``), its users can sign in again, and the other plugins
    are told (``gateway_account_reactivated``)."""
    if account.billing_status != BillingStatus.UNSUBSCRIBED:
        raise Problem(Code.NOT_UNSUBSCRIBED, e.NOT_UNSUBSCRIBED, ["input", "id"])
    if billing_status is None:
        before = await AccountProfile.filter(account_id=account.id).values(
            "status_before_unsubscribe")
        billing_status = BillingStatus(before[0]["status_before_unsubscribe"]) if (
            before and before[0]["status_before_unsubscribe"]) else BillingStatus.BILLING_SUSPENDED
    if billing_status == BillingStatus.UNSUBSCRIBED:
        raise Problem(Code.INVALID, e.NOT_UNSUBSCRIBED, ["input", "billingStatus"])
    async with in_transaction():
        changed = await Account.filter(
            id=account.id, billing_status=BillingStatus.UNSUBSCRIBED
        ).update(billing_status=billing_status, unsubscribed_at=None)
        if not changed:
            raise Problem(Code.NOT_UNSUBSCRIBED, e.NOT_UNSUBSCRIBED, ["input", "id"])
        await User.filter(account_id=account.id).update(is_active=True)
        await BillingStatusChange.create(account_id=account.id,
                                         from_status=BillingStatus.UNSUBSCRIBED,
                                         to_status=billing_status, changed_by_id=actor_user_id)
        account = await Account.get(id=account.id)
        await host.call_async("gateway_account_reactivated", account=account)
    return account


# --- The purge ---------------------------------------------------------------------------

def purge_cutoff(config: ClientsConfig, now: dt.datetime | None = None) -> dt.datetime:
    return (now or utcnow()) - dt.timedelta(days=config.purge_after_days)


def due_for_purge(config: ClientsConfig, now: dt.datetime | None = None) -> QuerySet[Account]:
    """Accounts unsubscribed longer than ``purge_after_days`` ago (a queryset), except those
    already purged down to what the audit log needs."""
    scrubbed = AccountProfile.filter(purged_at__isnull=False).values("account_id")
    return Account.filter(
        billing_status=BillingStatus.UNSUBSCRIBED,
        unsubscribed_at__lte=purge_cutoff(config, now),
    ).exclude(id__in=Subquery(scrubbed))


_USER_ARCHIVED = ("id", "role", "reseller_id", "account_id", "login", "email", "first_name",
                  "last_name", "language", "phone", "extension", "is_active", "created_at")


async def archive_account(account_id: int, var_dir: Path) -> Path:
    """Write everything the gateway keeps of an account to one JSON file under
    ``<var_dir>/archive/accounts/`` (readable by the operator only), before the purge deletes
    it. No password or PIN hash, no card token."""
    account = (await Account.filter(id=account_id).values())[0]
    user_ids = await _user_ids(account_id)
    document = {
        "archived_at": utcnow().isoformat(),
        "account": account,
        "users": await User.filter(account_id=account_id).values(*_USER_ARCHIVED),
        "profile": await AccountProfile.filter(account_id=account_id).values(),
        "settings": await AccountSettings.filter(account_id=account_id).values(),
        "billing": await BillingProfile.filter(account_id=account_id).values(
            "payment_method", "card_brand", "card_last4", "card_expiry", "invoice_contact",
            "invoice_email", "terms_accepted_at", "terms_accepted_by_id"),
        "billing_status_changes": await BillingStatusChange.filter(
            account_id=account_id).order_by("id").values(),
        "messages": await AccountMessage.filter(account_id=account_id).order_by("id").values(),
        "signups": await SignupDraft.filter(account_id=account_id).values(
            "id", "kind", "status", "created_at", "completed_at"),
        "audit": await AuditEntry.filter(account_id=account_id).order_by("id").values()
        + await AuditEntry.filter(acting_as_id__in=user_ids).exclude(
            account_id=account_id).order_by("id").values(),
    }
    folder = var_dir / "archive" / "accounts"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = utcnow().strftime("%Y%m%dT%H%M%S")
    # Unique per attempt: a purge that loses a race removes its own file, not the winner's.
    path = folder / f"account-{account_id}-{stamp}-{secrets.token_hex(4)}.json"
    temporary = path.with_suffix(".json.tmp")
    # Personal data: only the operator reads it; a crash leaves no half-written archive.
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(document, fh, ensure_ascii=False, indent=1, default=_json_value)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(temporary, path)
    return path


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


async def purge_account(account_id: int, *, host: PluginHost, config: ClientsConfig,
                        now: dt.datetime | None = None) -> Path | None:
    """Archive, then delete for good, one account past its retention; None when it is no
    longer due (reactivated meanwhile, or already gone). Other plugins remove their rows in
    ``gateway_account_purged``, inside the deleting transaction.

    The audit log is append-only and its entries keep pointing at the account and the people
    they name: an account that appears in it cannot lose its rows, so those are scrubbed of
    every personal detail instead (the archive keeps them) and leave every list for good."""
    if not await due_for_purge(config, now).filter(id=account_id).exists():
        return None
    async with in_transaction():
        # Two purges of one account (the periodic job, the CLI) queue here: the second one
        # finds it no longer due once the first has committed, and writes no archive.
        # (values_list() would drop FOR UPDATE in Tortoise 1.1.9: fetch the row.)
        await Account.filter(id=account_id).select_for_update().first()
        if not await due_for_purge(config, now).filter(id=account_id).exists():
            return None
        path = await archive_account(account_id, host.settings.var_dir)
        try:
            await host.call_async("gateway_account_purged", account_id=account_id)
            user_ids = await _user_ids(account_id)
            await SignupDraft.filter(account_id=account_id).delete()
            for model in (AccountMessage, BillingStatusChange, BillingProfile, AccountSettings):
                await model.filter(account_id=account_id).delete()
            if await _in_audit_log(account_id, user_ids):
                await _scrub(account_id, user_ids)
            else:
                await AccountProfile.filter(account_id=account_id).delete()
                await User.filter(account_id=account_id).delete()
                await Account.filter(id=account_id).delete()
        except BaseException:
            path.unlink(missing_ok=True)  # the rows stay: so must no archive claiming otherwise
            raise
    log.info("account %s purged; archive %s", account_id, path)
    return path


async def _user_ids(account_id: int) -> list[int]:
    return [row["id"] for row in await User.filter(account_id=account_id).values("id")]


async def _in_audit_log(account_id: int, user_ids: list[int]) -> bool:
    from tortoise.expressions import Q

    condition = Q(account_id=account_id)
    if user_ids:
        condition |= Q(actor_id__in=user_ids) | Q(acting_as_id__in=user_ids)
    return await AuditEntry.filter(condition).exists()


async def _scrub(account_id: int, user_ids: list[int]) -> None:
    """Keep only what the audit log's references need: ids, kind, reseller, dates."""
    await Account.filter(id=account_id).update(
        name=f"#{account_id}", email="", phone_number=None, organization_id=None)
    await Account.filter(organization_id=account_id).update(organization_id=None)
    for user_id in user_ids:
        # Logins are unique: the purged person's address becomes free for a new account.
        placeholder = f"purged-{user_id}@purged.invalid"
        await User.filter(id=user_id).update(
            login=placeholder, email=placeholder, first_name="", last_name="", phone=None,
            extension=None, password_hash=None, pin_hash=None, is_active=False)
    if not await AccountProfile.filter(account_id=account_id).update(
            address="", city="", state="", postal_code="", voice_languages=[],
            purged_at=utcnow()):
        await AccountProfile.create(account_id=account_id, purged_at=utcnow())


async def purge_due(host: PluginHost, config: ClientsConfig, *, now: dt.datetime | None = None,
                    progress: Callable[[int], None] | None = None) -> list[int]:
    """Purge every account past its retention, one transaction each; returns their ids."""
    ids = [row["id"] for row in await due_for_purge(config, now).order_by("id").values("id")]
    purged = []
    for account_id in ids:
        if await purge_account(account_id, host=host, config=config, now=now) is not None:
            purged.append(account_id)
        if progress is not None:
            progress(1)
    return purged


# --- Messages (Envoi Msg) ---------------------------------------------------------------
# --- Messages (Envoi Msg) ---------------------------------------------------------------

async def _is_reseller_admin(user_id: int, reseller_id: int) -> User | None:
    user = await User.filter(id=user_id, is_active=True).first()
    if user is None:
        return None
    if user.role == UserRole.RESELLER_ADMIN and user.reseller_id == reseller_id:
        return user
    if await ResellerDelegate.filter(user_id=user_id, reseller_id=reseller_id).exists():
        return user
    return None


ACCESS_CODES_SUBJECT = Text(en="Your access codes", fr="Vos codes d'accès")


async def _copies(principal: Principal, cc: Sequence[str], bcc: Sequence[str]
                  ) -> tuple[dict[str, list[str]], list[Problem]]:
    """The copies checked by the core (shape, count, who may write where), not counted yet;
    and what is wrong with them."""
    copies: dict[str, list[str]] = {}
    problems: list[Problem] = []
    for name, addresses in (("cc", cc), ("bcc", bcc)):
        try:
            copies[name] = await check_recipients(principal, addresses, field=["input", name],
                                                  policy=COPIES_POLICY, required=False,
                                                  rate_limit=False)
        except (Problem, Problems) as exc:
            problems += exc.problems
    return copies, problems


async def _recipients(principal: Principal, account_ids: Sequence[int]
                      ) -> tuple[list[Account], list[Problem]]:
    """The selected accounts the caller may see (in order), and what is wrong with each."""
    visible = {a.id: a for a in await accounts_visible(principal).filter(
        id__in=set(account_ids))}
    accounts: list[Account] = []
    problems = []
    for i, account_id in enumerate(account_ids):
        field: list[str | int] = ["input", "accountIds", i]
        account = visible.get(account_id)
        if account is None:
            problems.append(Problem(Code.NOT_FOUND, e.NOT_FOUND, field))
            continue
        if account.billing_status == BillingStatus.UNSUBSCRIBED:
            problems.append(Problem(Code.ACCOUNT_UNSUBSCRIBED, e.ACCOUNT_UNSUBSCRIBED, field))
        elif not account.email:
            problems.append(Problem(Code.NO_ADDRESS, e.NO_ADDRESS, field))
        accounts.append(account)
    return accounts, problems


async def _senders(sender_id: int, accounts: list[Account]
                   ) -> tuple[dict[int, User], list[Problem]]:
    """The sender, per reseller of the accounts: one of its admins or delegates."""
    senders: dict[int, User] = {}
    for reseller_id in {a.reseller_id for a in accounts}:
        sender = await _is_reseller_admin(sender_id, reseller_id)
        if sender is None:
            return senders, [Problem(Code.SENDER_NOT_ADMIN, e.SENDER_NOT_ADMIN,
                                     ["input", "fromId"])]
        senders[reseller_id] = sender
    return senders, []


async def _admins(kind: MessageKind, accounts: list[Account]
                  ) -> tuple[dict[int, User], list[Problem]]:
    """Access codes go to each account's admin (or its professional)."""
    admins: dict[int, User] = {}
    problems = []
    if kind == MessageKind.ACCESS_CODES:
        for i, account in enumerate(accounts):
            admin = await account_admin(account)
            if admin is None:
                problems.append(Problem(Code.NOT_FOUND, e.NO_USER, ["input", "accountIds", i]))
            else:
                admins[account.id] = admin
    return admins, problems


async def send_messages(
    principal: Principal,
    account_ids: Sequence[int],
    *,
    sender_id: int,
    kind: MessageKind,
    subject: str | None,
    body: str | None,
    cc: Sequence[str] = (),
    bcc: Sequence[str] = (),
    host: PluginHost,
) -> list[AccountMessage]:
    """Envoi Msg: one email per selected account, to the account's own address (fixed), with
    copies, from one of the reseller's admins (the reply-to; the From stays the gateway's so
    the mail is deliverable). ``ACCESS_CODES`` sends the login id of the account's admin and a
    link to set a password, never a password. An account in test mode gets no email: its
    message is recorded as ``SUPPRESSED``. Every check passes before anything is sent."""
    if len(account_ids) > MAX_MESSAGE_ACCOUNTS:
        raise Problem(Code.TOO_MANY, e.TOO_MANY_IDS, ["input", "accountIds"],
                      max=MAX_MESSAGE_ACCOUNTS)
    problems = [] if account_ids else [Problem(Code.REQUIRED, e.REQUIRED,
                                               ["input", "accountIds"])]
    copies, copy_problems = await _copies(principal, cc, bcc)
    problems += copy_problems
    subject = (subject or "").strip()[:200]
    body = (body or "").strip()
    if kind == MessageKind.CUSTOM and (not subject or not body):
        problems.append(Problem(Code.REQUIRED, e.SUBJECT_REQUIRED,
                                ["input", "subject" if not subject else "body"]))
    accounts, found = await _recipients(principal, account_ids)
    senders, refused = await _senders(sender_id, accounts)
    admins, missing = await _admins(kind, accounts)
    raise_all([*problems, *found, *refused, *missing])
    await count_recipients(principal, (len(copies["cc"]) + len(copies["bcc"])) * len(accounts),
                           policy=COPIES_POLICY, field=["input", "cc"])
    messages = []
    async with in_transaction():
        for account in accounts:
            sender = senders[account.reseller_id]
            messages.append(await _send_one(account, sender, admins.get(account.id), kind,
                                            subject, body, copies, host))
    return messages


def _paragraphs(text: str) -> SafeHtml:
    """The reseller's text for the HTML part: escaped, its line breaks kept."""
    return SafeHtml("<br>".join(html.escape(line) for line in text.splitlines()))


async def _send_one(account: Account, sender: User, admin: User | None, kind: MessageKind,
                    subject: str, body: str, copies: dict[str, list[str]],
                    host: PluginHost) -> AccountMessage:
    language = account.language if account.language in LANGUAGES else "fr"
    if kind == MessageKind.ACCESS_CODES:
        assert admin is not None
        language = admin.language if admin.language in LANGUAGES else language
        subject = subject or ACCESS_CODES_SUBJECT.render(language)
    suppressed = await is_test_mode(account.id)
    job_id = None
    if not suppressed:
        reseller = await Reseller.get(id=account.reseller_id)
        values: dict[str, Any] = {"subject": subject, "message": body,
                                  "message_html": _paragraphs(body),
                                  "sender": sender.full_name, "reseller": reseller.name,
                                  "account_name": account.name}
        if kind == MessageKind.ACCESS_CODES:
            assert admin is not None
            values |= {
                "name": admin.full_name, "login": admin.login,
                "link": await issue_password_link(admin, OneTimeTokenPurpose.SET_PASSWORD,
                                                  gateway=host),
                "days": LINK_LIFETIME[OneTimeTokenPurpose.SET_PASSWORD].days,
            }
        row = await send_email(
            to=account.email, cc=copies["cc"], bcc=copies["bcc"], reply_to=sender.email,
            template="clients_access_codes" if kind == MessageKind.ACCESS_CODES
            else "clients_message",
            language=language, values=values, gateway=host,
        )
        job_id = row.id if row is not None else None
    else:
        log.info("account %s is in test mode: message suppressed", account.id)
    return await AccountMessage.create(
        reseller_id=account.reseller_id, account_id=account.id,
        sender_id=sender.id, kind=kind,
        status=MessageStatus.SUPPRESSED if suppressed else MessageStatus.SENT,
        to_address=account.email, cc=copies["cc"], bcc=copies["bcc"], subject=subject,
        body=body, outbox_job_id=job_id,
    )


async def purge_preview(config: ClientsConfig, offset: int, limit: int,
                        now: dt.datetime | None = None) -> tuple[list[dict[str, Any]], int]:
    """The purge's dry run: accounts it would remove now, oldest first (``limit + 1`` rows)."""
    from tortoise.functions import Count

    query = due_for_purge(config, now)
    total = await query.count()
    rows = await query.annotate(user_count=Count("users")).order_by(
        "unsubscribed_at", "id").offset(offset).limit(limit + 1).values(
        "id", "kind", "name", "can", "reseller_id", "unsubscribed_at", "user_count")
    return rows, total
