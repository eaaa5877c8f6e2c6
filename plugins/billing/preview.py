"""The invoice preview shown before "Essai gratuit -> En production" (the clients plugin asks
for it through ``gateway_provider(kind="invoice_preview")``): the first month's priced lines
at the reseller's retail prices, the free trial, the promotion, the taxes, in the reseller's
currency, in the account's language. The clients plugin adds the lines up (amount x quantity)
into the total, so promotion lines are negative and tax lines are amounts of their own.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from gateway.api import Account, BillingStatus
from plugins.clients.api import InvoiceLine, signup_subscription

from . import errors as e
from .models import OfferItem, PromotionKind, Recurrence
from .pricing import CENT, DEFAULT_CURRENCY, prices_on, settings_for, taxes_for, to_cents
from .promotions import account_promotions, billing_starts_on
from .subscriptions import lines_on


def _rate_text(rate: Decimal) -> str:
    text = format(rate.normalize(), "f")
    return text


async def preview_lines(account: Account, today: dt.date | None = None, *,
                        default_currency: str = DEFAULT_CURRENCY) -> list[InvoiceLine]:
    """What the first invoice after the trial will hold (a handful of queries), in the
    reseller's currency (``default_currency``, the plugin's setting, if it never chose one)."""
    language = account.language if account.language in ("fr", "en") else "fr"
    settings = (await settings_for([account.reseller_id], default_currency))[account.reseller_id]
    if not await OfferItem.filter(reseller_id=account.reseller_id).exists():
        return await _unpriced_signup_lines(account, settings.currency)
    today = today or dt.datetime.now(dt.UTC).date()
    start = max(billing_starts_on(account), today)
    currency = settings.currency
    subscription = await lines_on(account.id, start)
    prices = await prices_on([line.offer_item_id for line in subscription], start)
    lines: list[InvoiceLine] = []
    if account.billing_status == BillingStatus.FREE_TRIAL and account.trial_ends_at:
        lines.append(InvoiceLine(
            e.FREE_TRIAL_LINE.render(language, date=account.trial_ends_at.date().isoformat()),
            1, Decimal("0.00"), currency))
    monthly = Decimal(0)
    subtotal = Decimal(0)
    for line in subscription:
        price = prices.get(line.offer_item_id)
        if price is None or price.recurrence == Recurrence.PER_UNIT:
            continue
        unit = to_cents(price.retail_price)
        lines.append(InvoiceLine(price.name(language), line.quantity, unit, currency))
        subtotal += unit * line.quantity
        if price.recurrence == Recurrence.MONTHLY:
            monthly += unit * line.quantity
    left = monthly
    for applied, promotion in await account_promotions(account.id):
        if not applied.starts_on <= start < applied.ends_on or left <= 0:
            continue
        if promotion.kind == PromotionKind.FREE_MONTHS:
            off = left
        elif promotion.kind == PromotionKind.PERCENT_OFF:
            off = to_cents(left * Decimal(promotion.percent or 0) / 100)
        else:
            off = min(left, to_cents(Decimal(promotion.amount or 0)))
        left -= off
        subtotal -= off
        name = promotion.name_fr if language == "fr" else promotion.name_en
        lines.append(InvoiceLine(e.PROMOTION_LINE.render(language, name=name), 1, -off,
                                 currency))
    for tax in (await taxes_for([account.reseller_id]))[account.reseller_id]:
        registration = f" - {tax.registration_number}" if tax.registration_number else ""
        amount = to_cents(subtotal * Decimal(tax.rate) / 100) if subtotal > 0 else CENT * 0
        lines.append(InvoiceLine(
            e.TAX_LINE.render(language, name=tax.name, rate=_rate_text(Decimal(tax.rate)),
                              registration=registration), 1, amount, currency))
    return lines


async def _unpriced_signup_lines(account: Account, currency: str) -> list[InvoiceLine]:
    """A reseller billing does not price yet (no offer at all): what the sign-up asked for,
    unpriced, as the clients plugin shows it on its own (in the reseller's currency)."""
    choice = await signup_subscription(account.id) or {}
    lines = []
    if choice.get("plan"):
        lines.append(InvoiceLine(str(choice["plan"]), 1, None, currency))
    lines += [InvoiceLine(str(option), 1, None, currency) for option in choice.get("options", [])]
    lines += [InvoiceLine(str(d["model"]), int(d["quantity"]), None, currency)
              for d in choice.get("devices", [])]
    return lines
