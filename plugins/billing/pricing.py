"""Prices as they stand on a date: the catalogue and offer versions resolved, the reseller's
settings and taxes, subscriptions and promotions over a period. Read only, a few queries per
call whatever the number of items or accounts (the cycle and the invoice preview both use it).

Periods are half-open: ``start`` included, ``end`` excluded.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from operator import itemgetter
from typing import Any

from tortoise.expressions import Q

from gateway.api import current_host

from .config import PLUGIN_NAME, BillingConfig
from .cycle import version_on
from .models import (
    AccountPromotion,
    BillingSettings,
    CatalogueItem,
    CataloguePrice,
    ItemKind,
    OfferItem,
    OfferPrice,
    Promotion,
    Recurrence,
    Subscription,
    TaxRate,
)

CENT = Decimal("0.01")
DEFAULT_CURRENCY = "CAD"


def to_cents(amount: Decimal) -> Decimal:
    """An amount rounded to the cent, half up (what a statement prints)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Price:
    """An offer item's prices on a date, both versions resolved, in the reseller's currency."""

    offer_item_id: int
    reseller_id: int
    item_id: int
    code: str
    kind: ItemKind
    recurrence: Recurrence
    usage_key: str
    name_fr: str
    name_en: str
    currency: str  # the reseller's
    list_price: Decimal  # the catalogue's, in the catalogue item's currency
    list_currency: str
    wholesale_price: Decimal  # what the reseller pays the platform
    retail_price: Decimal  # what the client pays: the offer's, else the list price
    included_units: int
    overage_rate: Decimal  # per unit beyond the included ones, for the client
    wholesale_overage_rate: Decimal  # the catalogue's overage rate
    effective_from: dt.date  # the later of the two versions in force

    def name(self, language: str) -> str:
        return self.name_fr if language == "fr" else self.name_en


@dataclass(frozen=True)
class Segment:
    """A part of a period during which one set of prices is in force (``end`` excluded)."""

    start: dt.date
    end: dt.date
    price: Price

    @property
    def days(self) -> int:
        return (self.end - self.start).days


@dataclass(frozen=True)
class Settings:
    """A reseller's billing settings (the defaults when it never saved any)."""

    reseller_id: int
    reseller_bills_clients: bool = True
    currency: str = DEFAULT_CURRENCY
    self_service: bool = True


def configured_currency() -> str:
    """The plugin's ``default_currency`` (the running host's setting; CAD without a host)."""
    host = current_host()
    if host is None:
        return DEFAULT_CURRENCY
    return host.config_for(PLUGIN_NAME, BillingConfig).default_currency


async def settings_for(reseller_ids: Iterable[int],
                       default_currency: str | None = None) -> dict[int, Settings]:
    """Each reseller's settings; one that never saved any gets the defaults, in
    ``default_currency`` (None: the plugin's configured one)."""
    default_currency = default_currency or configured_currency()
    ids = set(reseller_ids)
    rows = await BillingSettings.filter(reseller_id__in=ids).values(
        "reseller_id", "reseller_bills_clients", "currency", "self_service")
    found = {row["reseller_id"]: Settings(**row) for row in rows}
    return {rid: found.get(rid) or Settings(rid, currency=default_currency) for rid in ids}


async def taxes_for(reseller_ids: Iterable[int]) -> dict[int, list[TaxRate]]:
    """Each reseller's taxes in statement order (an empty list: no tax, the default)."""
    ids = set(reseller_ids)
    out: dict[int, list[TaxRate]] = {rid: [] for rid in ids}
    for tax in await TaxRate.filter(reseller_id__in=ids).order_by("position", "id"):
        out[tax.reseller_id].append(tax)
    return out


def _versions_by(rows: Iterable[dict[str, Any]], key: str) -> dict[int, list[dict[str, Any]]]:
    by: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by[row[key]].append(row)
    for versions in by.values():
        versions.sort(key=lambda v: v["effective_from"])
    return by


def _in_force(versions: list[dict[str, Any]], on: dt.date) -> dict[str, Any] | None:
    """The version in force on ``on`` (versions oldest first), None before the first."""
    return version_on(versions, on, itemgetter("effective_from"))


class _Book:
    """Every version of some offer items, loaded once; resolves a date to a ``Price``."""

    def __init__(self, offers: list[dict[str, Any]], items: dict[int, dict[str, Any]],
                 catalogue: dict[int, list[dict[str, Any]]],
                 offer_versions: dict[int, list[dict[str, Any]]],
                 settings: dict[int, Settings]) -> None:
        self.offers = {offer["id"]: offer for offer in offers}
        self.items = items
        self.catalogue = catalogue
        self.offer_versions = offer_versions
        self.settings = settings

    @classmethod
    async def load(cls, offer_item_ids: Iterable[int]) -> _Book:
        ids = set(offer_item_ids)
        offers = await OfferItem.filter(id__in=ids).values("id", "reseller_id", "item_id")
        item_ids = {offer["item_id"] for offer in offers}
        items = {row["id"]: row for row in await CatalogueItem.filter(id__in=item_ids).values(
            "id", "code", "kind", "recurrence", "usage_key", "name_fr", "name_en", "currency")}
        catalogue = _versions_by(await CataloguePrice.filter(item_id__in=item_ids).values(
            "item_id", "effective_from", "list_price", "included_units", "overage_rate"),
            "item_id")
        offer_versions = _versions_by(await OfferPrice.filter(offer_item_id__in=ids).values(
            "offer_item_id", "effective_from", "wholesale_price", "retail_price",
            "retail_overage_rate"), "offer_item_id")
        settings = await settings_for({offer["reseller_id"] for offer in offers})
        return cls(offers, items, catalogue, offer_versions, settings)

    def change_dates(self, offer_item_id: int) -> list[dt.date]:
        offer = self.offers.get(offer_item_id)
        if offer is None:
            return []
        return sorted({v["effective_from"] for v in self.catalogue.get(offer["item_id"], [])}
                      | {v["effective_from"] for v in self.offer_versions.get(offer_item_id, [])})

    def price(self, offer_item_id: int, on: dt.date) -> Price | None:
        offer = self.offers.get(offer_item_id)
        if offer is None:
            return None
        item = self.items[offer["item_id"]]
        listed = _in_force(self.catalogue.get(item["id"], []), on)
        sold = _in_force(self.offer_versions.get(offer_item_id, []), on)
        if listed is None or sold is None:
            return None  # not priced yet on that day: nothing to bill
        catalogue_overage = Decimal(listed["overage_rate"] or 0)
        retail = sold["retail_price"]
        retail_overage = sold["retail_overage_rate"]
        return Price(
            offer_item_id=offer_item_id, reseller_id=offer["reseller_id"], item_id=item["id"],
            code=item["code"], kind=ItemKind(item["kind"]),
            recurrence=Recurrence(item["recurrence"]), usage_key=item["usage_key"],
            name_fr=item["name_fr"], name_en=item["name_en"],
            currency=self.settings[offer["reseller_id"]].currency,
            list_price=Decimal(listed["list_price"]), list_currency=item["currency"],
            wholesale_price=Decimal(sold["wholesale_price"]),
            retail_price=Decimal(retail if retail is not None else listed["list_price"]),
            included_units=int(listed["included_units"] or 0),
            overage_rate=Decimal(retail_overage if retail_overage is not None
                                 else catalogue_overage),
            wholesale_overage_rate=catalogue_overage,
            effective_from=max(listed["effective_from"], sold["effective_from"]),
        )


async def prices_on(offer_item_ids: Iterable[int], on: dt.date) -> dict[int, Price]:
    """The prices in force on ``on`` of each offer item that has one (three queries)."""
    ids = set(offer_item_ids)
    book = await _Book.load(ids)
    out = {}
    for offer_item_id in ids:
        price = book.price(offer_item_id, on)
        if price is not None:
            out[offer_item_id] = price
    return out


async def price_segments(offer_item_ids: Iterable[int], start: dt.date,
                         end: dt.date) -> dict[int, list[Segment]]:
    """For each offer item, the parts of [start, end) with the prices in force, cut where a
    catalogue or offer version takes effect; days before the first price are left out."""
    ids = set(offer_item_ids)
    book = await _Book.load(ids)
    out: dict[int, list[Segment]] = {}
    for offer_item_id in ids:
        cuts = [start, *(d for d in book.change_dates(offer_item_id) if start < d < end), end]
        segments = []
        for seg_start, seg_end in zip(cuts, cuts[1:], strict=False):
            price = book.price(offer_item_id, seg_start)
            if price is not None:
                segments.append(Segment(seg_start, seg_end, price))
        out[offer_item_id] = segments
    return out


async def subscriptions_between(account_ids: Iterable[int], start: dt.date,
                                end: dt.date) -> list[Subscription]:
    """The subscription lines of the accounts overlapping [start, end), by account then start."""
    return await Subscription.filter(
        Q(ends_on__isnull=True) | Q(ends_on__gt=start),
        account_id__in=set(account_ids), starts_on__lt=end,
    ).order_by("account_id", "starts_on", "id")


@dataclass(frozen=True)
class AppliedPromotion:
    """A promotion an account has, with its window (``ends_on`` excluded)."""

    account_id: int
    promotion: Promotion
    starts_on: dt.date
    ends_on: dt.date


async def promotions_between(account_ids: Iterable[int], start: dt.date,
                             end: dt.date) -> list[AppliedPromotion]:
    """The promotions of the accounts whose window overlaps [start, end), in id order."""
    rows = await AccountPromotion.filter(account_id__in=set(account_ids), starts_on__lt=end,
                                         ends_on__gt=start).order_by("id")
    promotions = {p.id: p for p in await Promotion.filter(
        id__in={row.promotion_id for row in rows})}
    return [AppliedPromotion(row.account_id, promotions[row.promotion_id], row.starts_on,
                             row.ends_on) for row in rows]


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus calendar months, clamped to the month's last day (Jan 31 + 1 = Feb 28)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")
