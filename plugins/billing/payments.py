"""Payments and credits, as ledger entries (issue 16): cheque, card through a payment
processor's token, against the monthly invoice. No card number or security code is ever
stored, nor accepted where a reference is typed.

A payment processor is a provider (``gateway_provider(kind="payment_processor", name=...)``):
an object with an async ``collect(request) -> PaymentResult``. The built-in ``manual`` one
records a payment received outside the platform (a cheque, a transfer, a card charged on a
terminal); an integrator's plugin plugs a real processor under its own name, and the card
payment goes through it with the processor's token, never the card.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from gateway.api import STAFF, PluginHost, Principal, Problem, Text, account_for

from . import cycle_errors as e
from .closing import zone
from .config import BillingConfig
from .cycle_errors import BillingCycleErrorCode as Code
from .ledger_models import EntryKind, LedgerEntry, PaymentMethod, Statement
from .models import BillingSettings

PROCESSOR_KIND = "payment_processor"
MANUAL = "manual"
MAX_AMOUNT = Decimal("1000000")
MAX_REFERENCE = 200
MAX_DESCRIPTION = 300
# Who records payments and grants credits: the system admin, the reseller's staff and its
# API tokens (an integrator's billing system).
PAYMENT_ROLES = STAFF


@dataclass(frozen=True)
class PaymentRequest:
    """What a processor is asked to collect (``token``: its own token for the card)."""

    account_id: int
    amount: Decimal
    currency: str
    method: PaymentMethod
    token: str
    reference: str
    idempotency_key: str


@dataclass(frozen=True)
class PaymentResult:
    accepted: bool
    reference: str = ""  # the processor's transaction reference
    reason: str = ""  # why it refused


class PaymentProcessor(Protocol):
    async def collect(self, request: PaymentRequest) -> PaymentResult: ...


class ManualProcessor:
    """Records a payment received outside the platform: nothing to collect."""

    async def collect(self, request: PaymentRequest) -> PaymentResult:
        return PaymentResult(True, request.reference)


def builtin_processor(name: str) -> PaymentProcessor | None:
    return ManualProcessor() if name == MANUAL else None


def _luhn(digits: str) -> bool:
    total = 0
    for n, char in enumerate(reversed(digits)):
        value = int(char)
        if n % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def looks_like_card(text: str) -> bool:
    """A run of 13 to 19 digits (spaces and dashes allowed) passing the Luhn check."""
    for run in re.findall(r"(?:\d[ -]?){13,19}", text):
        digits = re.sub(r"\D", "", run)
        if 13 <= len(digits) <= 19 and _luhn(digits):
            return True
    return False


def clean_amount(value: Any, field: list[str | int]) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise Problem(Code.INVALID, e.AMOUNT, field, max=MAX_AMOUNT) from None
    if not amount.is_finite() or amount <= 0 or amount > MAX_AMOUNT \
            or amount != amount.quantize(Decimal("0.01")):
        raise Problem(Code.INVALID, e.AMOUNT, field, max=MAX_AMOUNT)
    return amount.quantize(Decimal("0.01"))


def _clean_text(value: str | None, field: list[str | int], maximum: int) -> str:
    text = (value or "").strip()
    if len(text) > maximum:
        raise Problem(Code.TOO_LONG, e.REFERENCE_TOO_LONG, field, max=maximum)
    if looks_like_card(text):
        raise Problem(Code.CARD_NUMBER_REFUSED, e.CARD_NUMBER, field)
    return text


async def _staff_account(principal: Principal | None, account_id: int) -> Any:
    """The account, if the caller is staff who may see it; else "not found"."""
    if principal is None or principal.role not in PAYMENT_ROLES or principal.direct_access:
        raise Problem(Code.NOT_FOUND, e.ACCOUNT_NOT_FOUND, ["input", "accountNumber"])
    return await account_for(principal, account_id, ["input", "accountNumber"])


async def _entry_date(account: Any, value: dt.date | None) -> dt.date:
    """The day money was received: today by default, never in the future, never inside a
    closed cycle (its statement is immutable)."""
    today = dt.datetime.now(zone(account.time_zone)).date()
    day = value or today
    if day > today:
        raise Problem(Code.INVALID, e.FUTURE_DATE, ["input", "date"])
    closed = await Statement.filter(account_id=account.id).order_by("-ends_on").limit(1).values(
        "ends_on")
    if closed and day < closed[0]["ends_on"]:
        raise Problem(Code.CLOSED_PERIOD, e.CLOSED_PERIOD, ["input", "date"],
                      day=closed[0]["ends_on"].isoformat())
    return day


async def currency_of(reseller_id: int, config: BillingConfig) -> str:
    rows = await BillingSettings.filter(reseller_id=reseller_id).values("currency")
    return str(rows[0]["currency"]) if rows else config.default_currency


async def record_payment(host: PluginHost, principal: Principal | None, config: BillingConfig,
                         *, account_id: int, amount: Any, method: PaymentMethod,
                         day: dt.date | None = None, reference: str | None = None,
                         processor: str = MANUAL, token: str | None = None,
                         idempotency_key: str | None = None) -> LedgerEntry:
    """Record a payment of the account (a negative ledger entry), collected through the
    processor named ``processor`` (``manual`` by default). The same ``idempotency_key``
    again returns the entry already written."""
    account = await _staff_account(principal, account_id)
    method = PaymentMethod(method)
    value = clean_amount(amount, ["input", "amount"])
    reference = _clean_text(reference, ["input", "reference"], MAX_REFERENCE)
    token = _clean_text(token, ["input", "processorToken"], MAX_REFERENCE)
    key = _clean_text(idempotency_key, ["input", "idempotencyKey"], 80) or uuid.uuid4().hex
    if method == PaymentMethod.CARD and processor != MANUAL and not token:
        raise Problem(Code.REQUIRED, e.TOKEN_REQUIRED, ["input", "processorToken"])
    found = await LedgerEntry.filter(account_id=account.id,
                                     idempotency_key=f"payment:{key}").first()
    if found is not None:
        return found
    day = await _entry_date(account, day)
    collector = host.pm.hook.gateway_provider(gateway=host, kind=PROCESSOR_KIND, name=processor)
    if collector is None:
        raise Problem(Code.UNKNOWN_PROCESSOR, e.UNKNOWN_PROCESSOR, ["input", "processor"],
                      name=processor[:64])
    currency = await currency_of(account.reseller_id, config)
    result = await collector.collect(PaymentRequest(account.id, value, currency, method, token,
                                                    reference, key))
    if not result.accepted:
        raise Problem(Code.PAYMENT_REFUSED, e.PAYMENT_REFUSED, ["input", "amount"],
                      reason=result.reason[:200])
    label = e.PAYMENT_LABEL
    method_label = e.METHOD_LABELS[method.value]
    try:
        async with in_transaction():
            return await LedgerEntry.create(
                account_id=account.id, reseller_id=account.reseller_id, kind=EntryKind.PAYMENT,
                entry_date=day, description_en=label.render("en", method=method_label.en),
                description_fr=label.render("fr", method=method_label.fr), amount=-value,
                currency=currency, method=method, processor=processor[:64],
                reference=(result.reference or reference)[:MAX_REFERENCE],
                idempotency_key=f"payment:{key}", created_by_id=principal.user_id
                if principal else None)
    except IntegrityError:  # the same key at the same moment: the other one won
        return await LedgerEntry.get(account_id=account.id, idempotency_key=f"payment:{key}")


async def grant_credit(principal: Principal | None, config: BillingConfig, *,
                       account_id: int, amount: Any, description: str,
                       day: dt.date | None = None) -> LedgerEntry:
    """A credit granted by staff (a negative ledger entry, with its reason)."""
    account = await _staff_account(principal, account_id)
    value = clean_amount(amount, ["input", "amount"])
    reason = _clean_text(description, ["input", "description"], MAX_DESCRIPTION)
    if not reason:
        raise Problem(Code.REQUIRED, e.DESCRIPTION_REQUIRED, ["input", "description"])
    day = await _entry_date(account, day)
    text = Text(en=f"Credit: {reason}", fr=f"Crédit : {reason}")
    return await LedgerEntry.create(
        account_id=account.id, reseller_id=account.reseller_id, kind=EntryKind.CREDIT,
        entry_date=day, description_en=text.en[:300], description_fr=text.fr[:300],
        amount=-value, currency=await currency_of(account.reseller_id, config),
        idempotency_key=f"credit:{uuid.uuid4().hex}",
        created_by_id=principal.user_id if principal else None)
