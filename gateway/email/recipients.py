"""The one check of addresses a caller types for the gateway to email (a report sent by email,
copies of a message to accounts): every feature that emails typed addresses goes through
``check_recipients``, so the gateway is never an open relay.

- at most ``max_recipients`` addresses (default 10), at least one where ``required``;
- each one a bare address (``a@b.example``): no display name (``"Boss" <a@b.example>``), no
  list, no line break; a bad one is refused at its own index (``["input", "to", 2]``);
- who may write outside the account: staff (system admins, the reseller's admins, delegates
  and API tokens), company admins and professionals (their account's owner); an employee only
  to the addresses of their own account's users;
- a rate limit per user and per account (or reseller), counted in recipients per hour.

Every refusal is a :class:`~gateway.problems.Problem` with one of ``RECIPIENT_CODES`` (an
area's error codes must hold them), its field, and a message in fr and en.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gateway.contributions import Principal
from gateway.email.mime import one_address
from gateway.i18n import Text
from gateway.identity.models import User
from gateway.problems import Field, Problem, raise_all
from gateway.rate_limit import RateLimit, give_back, spend
from gateway.roles import STAFF, Role
from gateway.validation import INVALID_EMAIL, is_email

# The codes check_recipients raises (by name: the calling area's error enum holds them).
INVALID, TOO_MANY, NOT_ALLOWED, RATE_LIMITED = (
    "INVALID", "TOO_MANY", "RECIPIENT_NOT_ALLOWED", "RATE_LIMITED")
RECIPIENT_CODES = (INVALID, TOO_MANY, NOT_ALLOWED, RATE_LIMITED)

# Who may email an address that is not one of their account's users.
OUTSIDE_WRITERS = frozenset({*STAFF, Role.COMPANY_ADMIN, Role.PROFESSIONAL})

NO_RECIPIENT = Text(en="Give at least one email address.",
                    fr="Indiquez au moins une adresse courriel.")
TOO_MANY_RECIPIENTS = Text(en="At most {max} email addresses.",
                           fr="Au plus {max} adresses courriel.")
DISPLAY_NAME = Text(en="Give the address alone (a@b.example), without a name or brackets.",
                    fr="Indiquez l'adresse seule (a@b.example), sans nom ni chevrons.")
OUTSIDE_ACCOUNT = Text(
    en="You may only send to the addresses of your account's users.",
    fr="Vous ne pouvez envoyer qu'aux adresses des utilisateurs de votre compte.")
SLOW_DOWN = Text(en="Too many emails sent: try again in {minutes} minutes.",
                 fr="Trop de courriels envoyés : réessayez dans {minutes} minutes.")


@dataclass(frozen=True)
class RecipientPolicy:
    """The limits of one feature (from its plugin's settings)."""

    max_recipients: int = 10
    per_user_per_hour: int = 100  # recipients
    per_account_per_hour: int = 300  # recipients, for the account (or the reseller's staff)
    name: str = "email"  # the rate limits' name: each feature counts apart


DEFAULT_POLICY = RecipientPolicy()


def _address_problem(item: Any, field: list[str | int]) -> Problem | None:
    if not isinstance(item, str) or not item.strip():
        return Problem(INVALID, INVALID_EMAIL, field)
    text = item.strip()
    parsed = one_address(text) if len(text) <= 320 else None
    if parsed is None:
        return Problem(INVALID, INVALID_EMAIL, field)
    if parsed.display_name or parsed.addr_spec != text:
        return Problem(INVALID, DISPLAY_NAME, field)
    if not is_email(text):
        return Problem(INVALID, INVALID_EMAIL, field)
    return None


def _user_key(principal: Principal) -> str:
    if principal.api_token_id is not None:
        return f"token:{principal.api_token_id}"
    return f"user:{principal.real_user_id or principal.user_id}"


def _account_key(principal: Principal) -> str:
    if principal.account_id is not None:
        return f"account:{principal.account_id}"
    return f"reseller:{principal.reseller_id}"


async def check_recipients(
    principal: Principal | None,
    addresses: Sequence[Any],
    *,
    field: Field = ("input", "to"),
    policy: RecipientPolicy = DEFAULT_POLICY,
    required: bool = True,
    rate_limit: bool = True,
) -> list[str]:
    """The addresses, stripped and without duplicates, once ``principal`` may email them all
    now (and the rate limits counted); else the Problems, each at ``[*field, index]`` (the
    count and the rate limit at ``field``). ``rate_limit=False`` checks without counting: a
    feature that collects every refusal first then calls ``count_recipients`` once all pass."""
    path = list(field)
    items = list(addresses or [])
    if not items:
        if required:
            raise Problem(INVALID, NO_RECIPIENT, path)
        return []
    if len(items) > policy.max_recipients:
        raise Problem(TOO_MANY, TOO_MANY_RECIPIENTS, path, max=policy.max_recipients)
    raise_all([problem for i, item in enumerate(items)
               if (problem := _address_problem(item, [*path, i])) is not None])
    cleaned: list[str] = []
    for item in items:
        if item.strip().lower() not in {a.lower() for a in cleaned}:
            cleaned.append(item.strip())
    if principal is None:
        raise Problem(NOT_ALLOWED, OUTSIDE_ACCOUNT, path)
    if principal.role not in OUTSIDE_WRITERS:
        await _only_own_account(principal, items, path)
    if rate_limit:
        await count_recipients(principal, len(cleaned), policy=policy, field=path)
    return cleaned


async def _only_own_account(principal: Principal, items: list[str],
                            path: list[str | int]) -> None:
    """An employee (or any other role) may write only to its own account's users."""
    known: set[str] = set()
    if principal.account_id is not None:
        emails: list[Any] = await User.filter(account_id=principal.account_id).values_list(
            "email", flat=True)
        known = {str(email).lower() for email in emails if email}
    raise_all([Problem(NOT_ALLOWED, OUTSIDE_ACCOUNT, [*path, i])
               for i, item in enumerate(items) if item.strip().lower() not in known])


async def count_recipients(principal: Principal, count: int, *,
                           policy: RecipientPolicy = DEFAULT_POLICY,
                           field: Field = ("input", "to")) -> None:
    """Count ``count`` emails to typed addresses against ``policy``'s rate limits (per user,
    per account); the ``RATE_LIMITED`` problem at ``field`` when over (nothing counted)."""
    path = list(field)
    if count <= 0:
        return
    hour = dt.timedelta(hours=1)
    per_user = RateLimit(f"{policy.name}:user", policy.per_user_per_hour, hour)
    per_account = RateLimit(f"{policy.name}:account", policy.per_account_per_hour, hour)
    wait = await spend(per_user, _user_key(principal), count)
    if wait is None:
        wait = await spend(per_account, _account_key(principal), count)
        if wait is not None:  # the user's count goes back: nothing is sent
            await give_back(per_user, _user_key(principal), count)
    if wait is not None:
        raise Problem(RATE_LIMITED, SLOW_DOWN, path, minutes=max(1, -(-wait // 60)))
