"""A reseller's offer ("Forfaits"): the catalogue items the system admin made available to it
with the wholesale price it pays, which of them it sells and at what retail price (the list
price by default); its billing settings ("Facturation CAN": who bills the clients, currency,
self-service) and its taxes.

Who sees what: the system admin every reseller's offer; a reseller's staff and tokens their
own (wholesale included); subscribers the items their reseller sells, never a wholesale price.
Another reseller's offer item is "not found".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from gateway.api import (
    RESELLER_SIDE,
    SUBSCRIBERS,
    Account,
    Principal,
    Problem,
    Reseller,
    resellers_visible,
)

from . import errors as e
from . import inputs
from .catalogue import item_for
from .errors import BillingErrorCode as Code
from .models import BillingSettings, CatalogueItem, OfferItem, OfferPrice, TaxRate
from .pricing import Settings, settings_for

MAX_TAXES = 10
OFFER_COLUMNS = ("id", "reseller_id", "item_id", "available", "selling")


def reseller_side(principal: Principal | None) -> bool:
    return (principal is not None and principal.role in RESELLER_SIDE
            and not principal.direct_access)


def sees_wholesale(principal: Principal | None, reseller_id: int) -> bool:
    """The system admin, and the reseller's own staff and tokens: nobody else."""
    if principal is None:
        return False
    if inputs.is_system_admin(principal):
        return True
    return reseller_side(principal) and principal.reseller_id == reseller_id


def offer_visible(principal: Principal | None) -> QuerySet[OfferItem]:
    if principal is None:
        return OfferItem.filter(id=-1)
    if inputs.is_system_admin(principal):
        return OfferItem.all()
    if principal.role in RESELLER_SIDE:
        return OfferItem.filter(reseller_id=principal.reseller_id or -1, available=True)
    if principal.role in SUBSCRIBERS or principal.direct_access:
        return OfferItem.filter(reseller_id=principal.reseller_id or -1, available=True,
                                selling=True)
    return OfferItem.filter(id=-1)


async def offer_item_for(principal: Principal | None, offer_item_id: int,
                         field: list[str | int] | None = None) -> OfferItem:
    offer = await offer_visible(principal).filter(id=offer_item_id).first()
    if offer is None:
        raise Problem(Code.NOT_FOUND, e.OFFER_ITEM_NOT_FOUND, field or ["input", "offerItemId"])
    return offer


async def reseller_for(principal: Principal | None, reseller_id: int | None,
                       field: list[str | int] | None = None) -> Reseller:
    """The reseller named (a system admin must name one) or the caller's own."""
    if reseller_id is None and principal is not None and not inputs.is_system_admin(principal):
        reseller_id = principal.reseller_id
    reseller = (await resellers_visible(principal).filter(id=reseller_id).first()
                if reseller_id is not None else None)
    if reseller is None:
        raise Problem(Code.NOT_FOUND, e.RESELLER_NOT_FOUND, field or ["input", "resellerId"])
    return reseller


async def settings_of(reseller_id: int, default_currency: str | None = None) -> Settings:
    return (await settings_for([reseller_id], default_currency))[reseller_id]


def _price_version_at(versions: Sequence[OfferPrice], day: dt.date) -> OfferPrice | None:
    found = None
    for version in sorted(versions, key=lambda v: v.effective_from):
        if version.effective_from <= day:
            found = version
    return found


async def _write_version(offer: OfferItem, day: dt.date, **values: Any) -> OfferPrice:
    """A new offer price version from ``day``: the given columns, the others as in force on
    that day (or, before the first version, as the first one says)."""
    versions = await OfferPrice.filter(offer_item_id=offer.id)
    base = _price_version_at(versions, day) or (min(versions, key=lambda v: v.effective_from)
                                                if versions else None)
    merged = {
        "wholesale_price": base.wholesale_price if base else Decimal(0),
        "retail_price": base.retail_price if base else None,
        "retail_overage_rate": base.retail_overage_rate if base else None,
        **values,
    }
    same_day = next((v for v in versions if v.effective_from == day), None)
    if same_day is not None:
        await OfferPrice.filter(id=same_day.id).update(**merged)
        await same_day.refresh_from_db()
        return same_day
    return await OfferPrice.create(offer_item_id=offer.id, effective_from=day, **merged)


async def make_available(principal: Principal | None, *, reseller_id: int, item_id: int,
                         wholesale_price: Decimal, effective_from: dt.date | None = None,
                         now: dt.date | None = None) -> OfferItem:
    """The system admin offers a catalogue item to a reseller at a wholesale price (in the
    reseller's currency), from a date; offering it again changes the wholesale price from
    that date."""
    if not inputs.is_system_admin(principal):
        raise Problem(Code.NOT_FOUND, e.ITEM_NOT_FOUND, ["input", "itemId"])
    reseller = await reseller_for(principal, reseller_id)
    item = await item_for(principal, item_id)
    if item.retired_at is not None:
        raise Problem(Code.RETIRED, e.ITEM_RETIRED, ["input", "itemId"])
    wholesale = inputs.amount(wholesale_price, ["input", "wholesalePrice"])
    day = inputs.from_today(effective_from, ["input", "effectiveFrom"], now)
    async with in_transaction():
        offer, _ = await OfferItem.get_or_create(reseller_id=reseller.id, item_id=item.id)
        if not offer.available:
            offer.available = True
            await offer.save(update_fields=["available", "updated_at"])
        await _write_version(offer, day, wholesale_price=wholesale)
    return offer


async def withdraw(principal: Principal | None, offer_item_id: int) -> OfferItem:
    """The system admin withdraws an item from a reseller's offer: it is no longer sold;
    running subscriptions keep billing until they end."""
    if not inputs.is_system_admin(principal):
        raise Problem(Code.NOT_FOUND, e.OFFER_ITEM_NOT_FOUND, ["input", "offerItemId"])
    offer = await offer_item_for(principal, offer_item_id)
    offer.available = False
    offer.selling = False
    await offer.save(update_fields=["available", "selling", "updated_at"])
    return offer


@dataclass(frozen=True)
class RetailInput:
    selling: bool
    retail_price: Decimal | None = None  # None: the list price
    retail_overage_rate: Decimal | None = None  # None: the catalogue overage rate
    effective_from: dt.date | None = None


async def set_retail(principal: Principal | None, offer_item_id: int, retail: RetailInput,
                     now: dt.date | None = None) -> OfferItem:
    """The reseller chooses whether it sells an item of its offer and at what retail price,
    from a date. An item priced in another currency than the reseller's needs its own
    retail price (the list price cannot be used as is)."""
    offer = await offer_item_for(principal, offer_item_id)
    if not inputs.is_system_admin(principal) and not reseller_side(principal):
        raise Problem(Code.NOT_FOUND, e.OFFER_ITEM_NOT_FOUND, ["input", "offerItemId"])
    price = (inputs.amount(retail.retail_price, ["input", "retailPrice"])
             if retail.retail_price is not None else None)
    overage = (inputs.amount(retail.retail_overage_rate, ["input", "retailOverageRate"])
               if retail.retail_overage_rate is not None else None)
    day = inputs.from_today(retail.effective_from, ["input", "effectiveFrom"], now)
    item = await CatalogueItem.get(id=offer.item_id)
    settings = await settings_of(offer.reseller_id)
    if retail.selling and price is None and item.currency != settings.currency:
        raise Problem(Code.CURRENCY_MISMATCH, e.CURRENCY_MISMATCH, ["input", "retailPrice"],
                      item=item.currency, reseller=settings.currency)
    if retail.selling and item.retired_at is not None:
        raise Problem(Code.RETIRED, e.ITEM_RETIRED, ["input", "selling"])
    async with in_transaction():
        offer.selling = retail.selling
        await offer.save(update_fields=["selling", "updated_at"])
        await _write_version(offer, day, retail_price=price, retail_overage_rate=overage)
    return offer


async def price_versions(offer_item_ids: Sequence[int]) -> dict[int, list[OfferPrice]]:
    out: dict[int, list[OfferPrice]] = {offer_id: [] for offer_id in offer_item_ids}
    for version in await OfferPrice.filter(offer_item_id__in=list(offer_item_ids)).order_by(
            "effective_from"):
        out[version.offer_item_id].append(version)
    return out


# --- Billing settings and taxes -----------------------------------------------------------

@dataclass(frozen=True)
class SettingsInput:
    reseller_bills_clients: bool | None = None  # system admin only
    currency: str | None = None  # system admin only
    self_service: bool | None = None


async def update_settings(principal: Principal | None, reseller_id: int | None,
                          changes: SettingsInput,
                          default_currency: str | None = None) -> Settings:
    """"Facturation CAN" and the currency are agreed with the platform (system admin); the
    reseller decides whether its clients may change their own subscription."""
    reseller = await reseller_for(principal, reseller_id)
    admin = inputs.is_system_admin(principal)
    values: dict[str, Any] = {}
    for name, value in (("reseller_bills_clients", changes.reseller_bills_clients),
                        ("currency", changes.currency)):
        if value is not None and not admin:
            field = "resellerBillsClients" if name == "reseller_bills_clients" else "currency"
            raise Problem(Code.INVALID, e.PLATFORM_ONLY, ["input", field])
    current = await settings_of(reseller.id, default_currency)
    if changes.currency is not None:
        wanted = inputs.currency(changes.currency, ["input", "currency"])
        if wanted != current.currency and await OfferItem.filter(
                reseller_id=reseller.id).exists():
            raise Problem(Code.INVALID, e.CURRENCY_LOCKED, ["input", "currency"])
        values["currency"] = wanted
    if changes.reseller_bills_clients is not None:
        values["reseller_bills_clients"] = changes.reseller_bills_clients
    if changes.self_service is not None:
        values["self_service"] = changes.self_service
    async with in_transaction():
        row = await BillingSettings.filter(reseller_id=reseller.id).first()
        if row is None:
            await BillingSettings.create(
                reseller_id=reseller.id,
                **{"reseller_bills_clients": current.reseller_bills_clients,
                   "currency": current.currency, "self_service": current.self_service,
                   **values})
        elif values:
            await BillingSettings.filter(id=row.id).update(**values)
    return await settings_of(reseller.id, default_currency)


@dataclass(frozen=True)
class TaxInput:
    name: str
    rate: Decimal
    registration_number: str = ""


async def set_taxes(principal: Principal | None, reseller_id: int | None,
                    taxes: Sequence[TaxInput]) -> list[TaxRate]:
    """Replace the reseller's tax lines (in the order given; none: no tax)."""
    reseller = await reseller_for(principal, reseller_id)
    inputs.capped(list(taxes), ["input", "taxes"], MAX_TAXES)
    cleaned: list[dict[str, Any]] = []
    for i, tax in enumerate(taxes):
        field: list[str | int] = ["input", "taxes", i]
        name = (tax.name or "").strip()
        if not name or len(name) > 100:
            raise Problem(Code.INVALID if name else Code.REQUIRED, e.TAX_NAME, [*field, "name"])
        registration = (tax.registration_number or "").strip()
        if len(registration) > 50:
            raise Problem(Code.TOO_LONG, e.NAME_TOO_LONG, [*field, "registrationNumber"],
                          max=50)
        cleaned.append({"name": name, "rate": inputs.percent(tax.rate, [*field, "rate"]),
                        "registration_number": registration, "position": i})
    async with in_transaction():
        await TaxRate.filter(reseller_id=reseller.id).delete()
        for values in cleaned:
            await TaxRate.create(reseller_id=reseller.id, **values)
    return await TaxRate.filter(reseller_id=reseller.id).order_by("position")


async def selling_items(reseller_id: int) -> list[tuple[OfferItem, CatalogueItem]]:
    """What a reseller sells today (the sign-up's and the self-service choices)."""
    offers = await OfferItem.filter(reseller_id=reseller_id, available=True, selling=True)
    items = {i.id: i for i in await CatalogueItem.filter(id__in=[o.item_id for o in offers],
                                                         retired_at__isnull=True)}
    return [(o, items[o.item_id]) for o in offers if o.item_id in items]


async def account_reseller(account_id: int) -> int:
    rows = await Account.filter(id=account_id).values("reseller_id")
    return int(rows[0]["reseller_id"]) if rows else -1

