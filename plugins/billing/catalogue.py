"""The platform catalogue (system admin only): plans, options, devices and service fees, each
with versioned prices. A price change applies from a date (today or later) and never rewrites
a closed cycle; a reseller never creates catalogue items (the FAQ)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from gateway.api import Principal, Problem

from . import errors as e
from . import inputs
from .errors import BillingErrorCode as Code
from .models import CatalogueItem, CataloguePrice, ItemKind, Recurrence

ITEM_COLUMNS = ("id", "code", "kind", "recurrence", "name_fr", "name_en", "usage_key",
                "currency", "created_at", "retired_at")


def items_visible(principal: Principal | None) -> QuerySet[CatalogueItem]:
    """The catalogue is the system admin's; everybody else sees items through an offer."""
    if inputs.is_system_admin(principal):
        return CatalogueItem.all()
    return CatalogueItem.filter(id=-1)


async def item_for(principal: Principal | None, item_id: int,
                   field: list[str | int] | None = None) -> CatalogueItem:
    item = await items_visible(principal).filter(id=item_id).first()
    if item is None:
        raise Problem(Code.NOT_FOUND, e.ITEM_NOT_FOUND, field or ["input", "itemId"])
    return item


@dataclass(frozen=True)
class PriceInput:
    """A price version as typed: the list price, and for plans the included usage."""

    list_price: Decimal
    included_units: int = 0
    overage_rate: Decimal = Decimal(0)
    effective_from: dt.date | None = None


def _clean_price(price: PriceInput, kind: ItemKind, now: dt.date | None) -> dict[str, Any]:
    return {
        "list_price": inputs.amount(price.list_price, ["input", "listPrice"]),
        "included_units": inputs.units(price.included_units if kind == ItemKind.PLAN else 0,
                                       ["input", "includedUnits"]),
        "overage_rate": inputs.amount(price.overage_rate, ["input", "overageRate"]),
        "effective_from": inputs.from_today(price.effective_from, ["input", "effectiveFrom"],
                                            now),
    }


async def create_item(principal: Principal | None, *, code: str, kind: ItemKind,
                      recurrence: Recurrence, name_fr: str, name_en: str, currency: str,
                      price: PriceInput, usage_key: str = "",
                      now: dt.date | None = None) -> CatalogueItem:
    """A new catalogue item and its first price (system admin)."""
    if not inputs.is_system_admin(principal):
        raise Problem(Code.NOT_FOUND, e.ITEM_NOT_FOUND, ["input"])
    kind, recurrence = ItemKind(kind), Recurrence(recurrence)
    values: dict[str, Any] = {
        "code": inputs.code(code, ["input", "code"]),
        "kind": kind, "recurrence": recurrence,
        "name_fr": inputs.name(name_fr, ["input", "nameFr"]),
        "name_en": inputs.name(name_en, ["input", "nameEn"]),
        "currency": inputs.currency(currency, ["input", "currency"]),
        "usage_key": (usage_key or "").strip().upper()[:64],
    }
    if recurrence == Recurrence.PER_UNIT and not values["usage_key"]:
        raise Problem(Code.REQUIRED, e.REQUIRED, ["input", "usageKey"])
    cleaned = _clean_price(price, kind, now)
    if await CatalogueItem.filter(code=values["code"]).exists():
        raise Problem(Code.DUPLICATE, e.CODE_TAKEN, ["input", "code"],
                      item_code=values["code"])
    try:
        async with in_transaction():
            item = await CatalogueItem.create(**values)
            await CataloguePrice.create(item=item, **cleaned)
    except IntegrityError:
        raise Problem(Code.DUPLICATE, e.CODE_TAKEN, ["input", "code"],
                      item_code=values["code"]) from None
    return item


async def set_price(principal: Principal | None, item_id: int, price: PriceInput,
                    now: dt.date | None = None) -> CataloguePrice:
    """A new price version of an item, in force from ``effective_from`` (today or later);
    a version already planned for that very day is replaced."""
    item = await item_for(principal, item_id)
    cleaned = _clean_price(price, ItemKind(item.kind), now)
    async with in_transaction():
        existing = await CataloguePrice.filter(
            item_id=item.id, effective_from=cleaned["effective_from"]).first()
        if existing is not None:
            await CataloguePrice.filter(id=existing.id).update(**cleaned)
            await existing.refresh_from_db()
            return existing
        return await CataloguePrice.create(item_id=item.id, **cleaned)


async def rename_item(principal: Principal | None, item_id: int, *, name_fr: str | None,
                      name_en: str | None) -> CatalogueItem:
    item = await item_for(principal, item_id)
    if name_fr is not None:
        item.name_fr = inputs.name(name_fr, ["input", "nameFr"])
    if name_en is not None:
        item.name_en = inputs.name(name_en, ["input", "nameEn"])
    await item.save(update_fields=["name_fr", "name_en", "updated_at"])
    return item


async def retire_item(principal: Principal | None, item_id: int) -> CatalogueItem:
    """No new subscription to the item; running ones keep billing until they end."""
    item = await item_for(principal, item_id)
    if item.retired_at is None:
        item.retired_at = dt.datetime.now(dt.UTC)
        await item.save(update_fields=["retired_at", "updated_at"])
    return item


async def price_history(item_ids: list[int]) -> dict[int, list[CataloguePrice]]:
    """Every price version of the items, oldest first (one query)."""
    out: dict[int, list[CataloguePrice]] = {item_id: [] for item_id in item_ids}
    for version in await CataloguePrice.filter(item_id__in=item_ids).order_by(
            "effective_from"):
        out[version.item_id].append(version)
    return out
