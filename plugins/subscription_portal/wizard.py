"""The public sign-up, step by step, on the clients plugin's wizard (its cleaning, its draft,
its completion): the steps' order, the forms' keys (a signed key per draft, a CSRF token
bound to the draft), the anti-abuse hurdle, duplicates by email, the reseller's notice and
the cleanup of abandoned drafts.

Nothing but a draft exists before the last step succeeds; an abandoned draft is deleted
``draft_days`` after it was started.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import random
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from gateway.api import (
    Account,
    AccountKind,
    BadSignature,
    PluginHost,
    Problem,
    Reseller,
    SignatureExpired,
    User,
    is_email,
    send_email,
    sign,
    unsign,
)
from plugins.clients.api import (
    SignupDraft,
    complete_signup,
    new_signup_draft,
    save_signup_steps,
    signup_missing,
)
from plugins.subscription_portal import errors as e
from plugins.subscription_portal.config import PLUGIN_NAME, PortalConfig
from plugins.subscription_portal.errors import PortalErrorCode as Code
from plugins.subscription_portal.links import keyed_digest, utcnow
from plugins.subscription_portal.models import PortalSignup, SpentChallenge, SubscriptionLink
from plugins.subscription_portal.settings import defaults_of

log = logging.getLogger(__name__)

# The pages, in order; each but the last saves the clients wizard's step of the same name.
STEPS = ("customer", "administrator", "subscription", "numbers", "billing", "confirm")
CLEANUP_JOB = "subscription_portal.cleanup"
_DRAFT_SALT = "subscription-portal.draft"
_HURDLE_SALT = "subscription-portal.hurdle"
HURDLE_LIFETIME = 3600


def config_of(host: PluginHost) -> PortalConfig:
    config: PortalConfig = host.config_for(PLUGIN_NAME, PortalConfig)
    return config


# --- Keys ---------------------------------------------------------------------------------

def draft_key(host: PluginHost, signup: PortalSignup) -> str:
    return sign(host.settings.secret_key, _DRAFT_SALT, {"d": signup.draft_id, "n": signup.nonce})


async def signup_for_key(host: PluginHost, link: SubscriptionLink, key: str
                         ) -> tuple[PortalSignup, SignupDraft] | None:
    """The open sign-up a page's key names, of that link; None when forged, expired or done."""
    try:
        data = unsign(host.settings.secret_key, _DRAFT_SALT, key,
                      config_of(host).draft_days * 86400)
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(data, dict):
        return None
    signup = await PortalSignup.filter(draft_id=data.get("d"), link_id=link.id).first()
    if (signup is None or signup.completed_at is not None or signup.expires_at <= utcnow()
            or not hmac.compare_digest(signup.nonce, str(data.get("n")))):
        return None
    draft = await SignupDraft.filter(id=signup.draft_id).first()
    if draft is None or str(draft.status) == "COMPLETED":
        return None
    return signup, draft


def csrf_token(host: PluginHost, scope: str) -> str:
    """The form's token bound to ``scope`` (the draft, or the link before a draft exists)."""
    return keyed_digest(host.settings.secret_key, "portal-csrf", scope)


def csrf_ok(host: PluginHost, scope: str, given: str | None) -> bool:
    return hmac.compare_digest(csrf_token(host, scope), given or "")


def draft_scope(signup: PortalSignup) -> str:
    return f"draft:{signup.draft_id}:{signup.nonce}"


def link_scope(link: SubscriptionLink) -> str:
    return f"link:{link.id}:{link.nonce}"


# --- The hurdle: proof of work, or an arithmetic question answered without haste -----------

@dataclass(frozen=True)
class Hurdle:
    challenge: str  # signed: bits, the sum's terms, when it was served, a random salt
    bits: int
    question: tuple[int, int]


def new_hurdle(host: PluginHost, scope: str) -> Hurdle:
    bits = config_of(host).pow_bits
    a, b = random.randint(2, 9), random.randint(2, 9)
    challenge = sign(host.settings.secret_key, _HURDLE_SALT,
                     {"s": scope, "b": bits, "q": [a, b], "t": int(utcnow().timestamp()),
                      "r": secrets.token_hex(8)})
    return Hurdle(challenge, bits, (a, b))


def leading_zero_bits(digest: bytes) -> int:
    bits = 0
    for byte in digest:
        if byte == 0:
            bits += 8
            continue
        bits += 8 - byte.bit_length()
        break
    return bits


def work_bits(challenge: str, nonce: str) -> int:
    """The leading zero bits of SHA-256(``challenge:nonce``), as the page's script counts."""
    return leading_zero_bits(hashlib.sha256(f"{challenge}:{nonce}".encode()).digest())


def solve(challenge: str, bits: int) -> str:
    """What the page's script does (tests and tools use it): the first nonce that works."""
    nonce = 0
    while work_bits(challenge, str(nonce)) < bits:
        nonce += 1
    return str(nonce)


async def check_hurdle(host: PluginHost, scope: str, form: Mapping[str, Any]
                       ) -> Problem | None:
    """None when the form's proof of work is right (or, without JavaScript, the sum is right
    and was answered no sooner than ``fallback_min_seconds``) and its challenge was not used
    before: a solved challenge is spent (kept until it expires), a replay is refused as a
    wrong answer. Else the problem to show."""
    problem, bits = _hurdle_problem(host, scope, form)
    if problem is None and bits > 0 and not await spend_challenge(form):
        return Problem(Code.INVALID, e.HURDLE_FAILED, ["answer"])
    return problem


async def spend_challenge(form: Mapping[str, Any]) -> bool:
    """Keep the (checked) challenge as used; False when it already was (a replay). It is kept
    an hour, as long as any challenge is accepted after it was served."""
    digest = hashlib.sha256(str(form.get("challenge") or "").encode()).hexdigest()
    expires = utcnow() + dt.timedelta(seconds=HURDLE_LIFETIME)
    try:
        await SpentChallenge.create(digest=digest, expires_at=expires)
    except IntegrityError:
        return False
    return True


async def forget_spent_challenges() -> int:
    """Drop the spent challenges past their expiry (they are refused as expired anyway)."""
    return await SpentChallenge.filter(expires_at__lte=utcnow()).delete()


def _hurdle_problem(host: PluginHost, scope: str, form: Mapping[str, Any]
                    ) -> tuple[Problem | None, int]:
    """The problem of the form's hurdle (None: passed) and the challenge's bits."""
    config = config_of(host)
    try:
        data = unsign(host.settings.secret_key, _HURDLE_SALT, str(form.get("challenge") or ""),
                      HURDLE_LIFETIME)
    except (BadSignature, SignatureExpired):
        return Problem(Code.INVALID, e.FORM_EXPIRED, ["hurdle"]), 0
    if not isinstance(data, dict) or data.get("s") != scope:
        return Problem(Code.INVALID, e.FORM_EXPIRED, ["hurdle"]), 0
    bits = int(data.get("b") or 0)
    if bits <= 0:
        return None, 0
    nonce = str(form.get("pow") or "")[:32]
    challenge = str(form.get("challenge"))
    if nonce and work_bits(challenge, nonce) >= bits:
        return None, bits
    answer = str(form.get("answer") or "").strip()
    a, b = data.get("q") or [0, 0]
    if not answer.isdigit() or int(answer) != a + b:
        return Problem(Code.INVALID, e.HURDLE_FAILED, ["answer"]), bits
    if utcnow().timestamp() - int(data.get("t") or 0) < config.fallback_min_seconds:
        return Problem(Code.INVALID, e.TOO_FAST, ["answer"]), bits
    return None, bits


# --- Duplicates ---------------------------------------------------------------------------

async def email_taken(address: str | None) -> bool:
    """Whether an account or a user already has this email (the sign-up would be a second)."""
    if not address:
        return False
    address = address.strip().lower()
    return (await User.filter(login__iexact=address).exists()
            or await User.filter(email__iexact=address).exists()
            or await Account.filter(email__iexact=address, unsubscribed_at__isnull=True).exists())


async def check_duplicates(steps: Mapping[str, Any]) -> None:
    problems = []
    for step in ("customer", "administrator"):
        address = (steps.get(step) or {}).get("email")
        if address and await email_taken(str(address)):
            problems.append(Problem(Code.INVALID, e.DUPLICATE_EMAIL, ["input", step, "email"]))
    if problems:
        raise problems[0]


# --- Steps --------------------------------------------------------------------------------

async def start(host: PluginHost, link: SubscriptionLink, customer: dict[str, Any],
                language: str) -> PortalSignup:
    """The first page sent: the draft is made (cleaned as the staff wizard cleans it)."""
    await check_duplicates({"customer": customer})
    defaults = await defaults_of(host, link.reseller_id)
    async with in_transaction():
        draft = await new_signup_draft(link.reseller_id, AccountKind(link.kind),
                                       {"customer": customer,
                                        "activation": defaults.activation()}, host)
        return await PortalSignup.create(
            draft_id=draft.id, link_id=link.id, nonce=secrets.token_urlsafe(24),
            language=language,
            expires_at=utcnow() + dt.timedelta(days=config_of(host).draft_days))


async def save(host: PluginHost, signup: PortalSignup, draft: SignupDraft, step: str,
               value: Any, *, terms_accepted: bool = False) -> SignupDraft:
    if step in ("customer", "administrator"):
        await check_duplicates({step: value})
    if step == "billing" and not terms_accepted:
        raise Problem(Code.REQUIRED, e.TERMS_REQUIRED, ["input", "billing", "terms"])
    draft = await save_signup_steps(draft, {step: value}, host)
    if step == "billing":
        signup.terms_accepted_at = utcnow()
        await signup.save(update_fields=["terms_accepted_at"])
    return draft


def first_missing_step(signup: PortalSignup, draft: SignupDraft) -> str | None:
    """The first page that still lacks what completing needs (None: ready)."""
    missing = signup_missing(draft)
    data = draft.data or {}
    for step in STEPS[:-1]:
        if missing.get(step) or step not in data and step != "numbers":
            return step
        if step == "billing" and signup.terms_accepted_at is None:
            return step
    return None


async def finish(host: PluginHost, signup: PortalSignup, draft: SignupDraft) -> Account:
    """The last page: the account, its first user, its numbers and the access email (the
    clients plugin's completion) with the billing status and free days the reseller's portal
    settings give now, then the reseller's notice; the page's key stops working. A refusal
    rolls everything back."""
    data = draft.data or {}
    await check_duplicates(data)
    defaults = await defaults_of(host, draft.reseller_id)
    async with in_transaction():
        draft = await save_signup_steps(draft, {"activation": defaults.activation()}, host)
        account = await complete_signup(draft, host)
    signup.completed_at = utcnow()
    signup.nonce = secrets.token_urlsafe(24)
    await signup.save(update_fields=["completed_at", "nonce"])
    await notify_reseller(host, account)
    return account


async def reseller_contact(reseller: Reseller) -> str | None:
    """Where the reseller hears of a new sign-up: its primary admin, else its support email."""
    if reseller.primary_admin_id is not None:
        rows = await User.filter(id=reseller.primary_admin_id, is_active=True).values("email")
        if rows and rows[0]["email"] and is_email(str(rows[0]["email"])):
            return str(rows[0]["email"])
    support = (reseller.branding or {}).get("support_email")
    return str(support) if support and is_email(str(support)) else None


_KINDS = {("COMPANY", "fr"): "compte d'entreprise", ("COMPANY", "en"): "company account",
          ("PROFESSIONAL", "fr"): "compte de professionnel",
          ("PROFESSIONAL", "en"): "professional account"}
_STATUSES = {"fr": {"FREE_TRIAL": "Essai gratuit", "IN_PRODUCTION": "En production",
                    "BILLING_SUSPENDED": "Facturation interrompue"},
             "en": {"FREE_TRIAL": "Free trial", "IN_PRODUCTION": "In production",
                    "BILLING_SUSPENDED": "Billing suspended"}}


async def notify_reseller(host: PluginHost, account: Account) -> None:
    reseller = await Reseller.get(id=account.reseller_id)
    to = await reseller_contact(reseller)
    if to is None:
        log.warning("portal sign-up of account %s: reseller %s has no contact email",
                    account.id, reseller.id)
        return
    language = reseller.default_language if reseller.default_language in ("fr", "en") else "fr"
    status = str(getattr(account.billing_status, "value", account.billing_status))
    await send_email(
        to=to, template="portal_new_signup", language=language,
        values={"account_number": account.id, "account_name": account.name,
                "email": account.email, "kind": _KINDS[(str(account.kind.value), language)],
                "status": _STATUSES[language].get(status, status)},
        dedupe_key=f"portal-new-signup-{account.id}", gateway=host)


# --- Abandoned sign-ups ---------------------------------------------------------------------

async def cleanup_abandoned(payload: dict[str, Any] | None = None) -> int:
    """Delete the drafts of portal sign-ups past their expiry that never completed."""
    ids = await PortalSignup.filter(completed_at__isnull=True,
                                    expires_at__lte=utcnow()).values_list("draft_id", flat=True)
    if not ids:
        return 0
    abandoned = await SignupDraft.filter(id__in=list(ids)).exclude(
        status="COMPLETED").values_list("id", flat=True)
    await SignupDraft.filter(id__in=list(abandoned)).delete()  # their PortalSignup with them
    log.info("subscription portal: %s abandoned sign-up draft(s) deleted", len(abandoned))
    return len(abandoned)


async def cleanup_job(payload: dict[str, Any]) -> None:
    """The ``subscription_portal.cleanup`` job (periodic): abandoned drafts, and the spent
    proof-of-work challenges past their expiry."""
    await cleanup_abandoned(payload)
    await forget_spent_challenges()
