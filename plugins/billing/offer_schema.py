"""GraphQL of billing's offer side: the catalogue (system admin), resellers' offers, billing
settings and taxes, accounts' subscriptions, promotions. Resolvers stay thin: decode the ids,
call one service, wrap its result; a service's ``Problem`` becomes the payload's ``errors``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, ClassVar

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader
from tortoise.queryset import QuerySet

from gateway.api import (
    ACCOUNT_NOT_FOUND,
    ANONYMOUS,
    RESELLER_SIDE,
    SIGNED_IN,
    STAFF,
    Connection,
    Context,
    DateTime,
    Decimal_,
    Error,
    Money,
    Principal,
    Role,
    RowNode,
    build_connection,
    describe_enum_values,
    error_type,
    field,
    given,
    global_id,
    mutation,
    node_pk,
    page_window,
)

from . import catalogue, offer, promotions, subscriptions
from . import errors as e
from .config import PLUGIN_NAME, BillingConfig
from .errors import BillingErrorCode
from .models import (
    CatalogueItem,
    ItemKind,
    OfferItem,
    Promotion,
    PromotionKind,
    Recurrence,
    ResellerPromotionStatus,
)
from .pricing import Price, prices_on, taxes_for

strawberry.enum(ItemKind, name="CatalogueItemKind",
                description="Plan (forfait), option, device (appareil) or service fee.")
describe_enum_values(ItemKind, {
    "PLAN": "A plan (forfait): a monthly price, units of usage included and an overage rate; "
    "an account has one plan at most.",
    "OPTION": "An option added to a plan (e.g. the call recorder).",
    "DEVICE": "A device (appareil), e.g. an IP phone, usually charged once per unit.",
    "SERVICE_FEE": "A service fee (frais de service), e.g. activation; the sign-up lists it "
    "with the options.",
})
strawberry.enum(Recurrence, name="BillingRecurrence",
                description="Charged each month (prorated by day), once, or per unit of usage.")
describe_enum_values(Recurrence, {
    "MONTHLY": "Each cycle (20th to 19th), prorated by the days billed.",
    "ONE_TIME": "Once, in the cycle of the subscription line's first day.",
    "PER_UNIT": "Per unit of usage reported for its usage key (e.g. each call minute).",
})
strawberry.enum(PromotionKind, name="PromotionKind",
                description="First months free, a percentage off, or an amount off each month.")
describe_enum_values(PromotionKind, {
    "FREE_MONTHS": "The monthly charges are free for the promotion's months (premier mois "
    "gratuit).",
    "PERCENT_OFF": "`percent` % off the monthly charges for the promotion's months.",
    "AMOUNT_OFF": "`amount` (in `currency`) off the monthly charges each month, prorated by "
    "the days covered, never below zero.",
})
strawberry.enum(ResellerPromotionStatus, name="ResellerPromotionStatus",
                description="A promotion at one reseller: available, requested, active, ended.")
describe_enum_values(ResellerPromotionStatus, {
    "AVAILABLE": "Made available by the system admin; the reseller may ask for it.",
    "REQUESTED": "Asked for by the reseller; waits for the system admin to activate it.",
    "ACTIVE": "Active: subscribers created now get it, for its months.",
    "ENDED": "Ended or withdrawn: new subscribers no longer get it (those who have it keep "
    "it); the reseller may ask again.",
})


@error_type("Billing", BillingErrorCode)
class BillingError(Error):
    """A refusal of the billing area: what was wrong, where, and why."""


describe_enum_values(BillingErrorCode, {
    "REQUIRED": "A required value is missing or blank (e.g. the usage key of a per-unit item).",
    "INVALID": "A value has the wrong shape or is not accepted: a code, a currency, a setting "
    "only the system admin may change, a currency fixed once the reseller has an offer.",
    "OUT_OF_RANGE": "A number is outside its bounds: amounts, percentages (0 to 100), "
    "included units, quantities (1 to 999), months (1 to 36).",
    "TOO_LONG": "A text is longer than allowed; the message gives the maximum.",
    "TOO_MANY": "Too many items in one list (e.g. 100 subscription lines, 10 taxes).",
    "NOT_FOUND": "No such object, or not one the caller may see (another reseller's ids are not "
    "found either).",
    "DUPLICATE": "The same code or item twice (a catalogue code already used, an item twice in "
    "one subscription).",
    "PRICE_IN_PAST": "A price or subscription change dated before today: a closed cycle is "
    "never rewritten.",
    "CURRENCY_MISMATCH": "The item is priced in another currency than the reseller's: give the "
    "reseller's own retail price.",
    "NOT_IN_OFFER": "The item is not sold by the account's reseller (or not of the right kind "
    "for the sign-up step), or a second plan.",
    "RETIRED": "The catalogue item or promotion is retired: it can no longer be sold or "
    "offered.",
    "FREE_TRIAL_RESTRICTION": "During Essai gratuit no option, device or fee may be added or "
    "increased: move the account to production first.",
    "ACCOUNT_UNSUBSCRIBED": "The account is unsubscribed (Désabonné): its subscription is "
    "frozen.",
    "SELF_SERVICE_DISABLED": "The reseller does not let its clients change their own "
    "subscription (or the caller is not the account's company admin or professional).",
    "MANAGED_BY_PROVIDER": "The account's own users may not change its plans: a professional "
    "account managed by the administrator (Compte géré par l'administrateur) or a company "
    "whose reseller forbids user management (Interdire la gestion des utilisateurs); its "
    "reseller's staff may.",
    "TRANSITION_NOT_ALLOWED": "The promotion cannot move to that state from its current one "
    "(e.g. activating one that was never requested).",
})

# Arguments repeated across the area's root fields.
ResellerArg = Annotated[strawberry.ID | None, strawberry.argument(
    description="Global ID of a reseller (Reseller): the system admin names one; reseller "
    "staff may leave it out (their own) and get \"not found\" for another.")]
AccountArg = Annotated[strawberry.ID, strawberry.argument(
    description="Global ID of the account (Account); another tenant's is \"not found\".")]


OFFER_PRICES = "billing.offer_prices"
CATALOGUE_PRICES = "billing.catalogue_prices"
OFFER_INFO = "billing.offer_info"
OFFER_VERSIONS = "billing.offer_versions"
PROMOTIONS = "billing.promotions"
MAX_VERSIONS = 50  # the newest price versions shown per item


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


async def _offer_prices(keys: list[int]) -> list[Price | None]:
    found = await prices_on(keys, _today())
    return [found.get(key) for key in keys]


async def _catalogue_prices(keys: list[int]) -> list[list[Any]]:
    found = await catalogue.price_history(list(set(keys)))
    return [found.get(key, []) for key in keys]


async def _offer_info(keys: list[int]) -> list[dict[str, Any] | None]:
    offers = {row["id"]: row for row in await OfferItem.filter(id__in=set(keys)).values(
        "id", "item_id", "reseller_id")}
    items = {row["id"]: row for row in await CatalogueItem.filter(
        id__in={o["item_id"] for o in offers.values()}).values(
        "id", "code", "kind", "recurrence", "name_fr", "name_en")}
    return [{**items[offers[key]["item_id"]], "offer_item_id": key} if key in offers else None
            for key in keys]


async def _offer_versions(keys: list[int]) -> list[list[Any]]:
    found = await offer.price_versions(list(set(keys)))
    return [found.get(key, [])[-MAX_VERSIONS:] for key in keys]


async def _promotions(keys: list[int]) -> list[Promotion | None]:
    found = {p.id: p for p in await Promotion.filter(id__in=set(keys))}
    return [found.get(key) for key in keys]


def loaders(context: Context) -> dict[str, DataLoader[Any, Any]]:
    """The offer side's per-request DataLoaders (``gateway_loaders``)."""
    return {OFFER_PRICES: DataLoader(load_fn=_offer_prices),
            PROMOTIONS: DataLoader(load_fn=_promotions),
            OFFER_VERSIONS: DataLoader(load_fn=_offer_versions),
            CATALOGUE_PRICES: DataLoader(load_fn=_catalogue_prices),
            OFFER_INFO: DataLoader(load_fn=_offer_info)}


def _loader(info: strawberry.Info, name: str) -> DataLoader[Any, Any]:
    loader: DataLoader[Any, Any] = info.context.loaders[name]
    return loader


def _money(amount: Decimal | None, currency: str) -> Money | None:
    return None if amount is None else Money(amount=Decimal(amount), currency=currency)


def _language(info: strawberry.Info) -> str:
    return str(getattr(info.context, "language", "en"))


def _config(info: strawberry.Info) -> BillingConfig:
    config: BillingConfig = info.context.host.config_for(PLUGIN_NAME, BillingConfig)
    return config


# --- Catalogue -----------------------------------------------------------------------------

@strawberry.type(description="A price version of a catalogue item, in force from a date "
                 "until the next one.")
class CataloguePriceVersion:
    effective_from: dt.date = strawberry.field(description="The first day this version is in "
                                               "force (ISO date).")
    list_price: Money = strawberry.field(description="The list price (per month, once or per "
                                         "unit, by the item's recurrence), in the item's "
                                         "currency.")
    included_units: int = strawberry.field(description="Plans: units of usage included each "
                                           "cycle (e.g. minutes).")
    overage_rate: Money = strawberry.field(description="Plans: the price of each unit beyond.")


@strawberry.type(name="CatalogueItem", description="A plan, option, device or service fee of "
                 "the platform catalogue (system admin only).")
class CatalogueItemNode(RowNode):
    COLUMNS: ClassVar[tuple[str, ...]] = catalogue.ITEM_COLUMNS

    id: relay.NodeID[int]
    code: str = strawberry.field(description="Unique code, e.g. PLAN-PRO (letters, digits, "
                                 "dashes, underscores).")
    kind: ItemKind = strawberry.field(description="Plan, option, device or service fee.")
    recurrence: Recurrence = strawberry.field(description="Monthly, one-time or per unit of "
                                              "usage.")
    name_fr: str = strawberry.field(description="Its name in French, as statements and the "
                                    "portals show it.")
    name_en: str = strawberry.field(description="Its name in English.")
    usage_key: str = strawberry.field(description="The usage unit it includes or prices "
                                      "(e.g. CALL_MINUTES); empty: none.")
    currency: str = strawberry.field(description="ISO 4217 currency of its list prices "
                                     "(e.g. CAD).")
    created_at: DateTime = strawberry.field(description="When the system admin created it.")
    retired_at: DateTime | None = strawberry.field(description="When it was retired (no new "
                                                   "subscription); null: current.")

    @classmethod
    def visible(cls, principal: Principal | None) -> QuerySet[Any]:
        return catalogue.items_visible(principal)

    @strawberry.field(description="Every price version, oldest first.")
    async def prices(self, info: strawberry.Info) -> list[CataloguePriceVersion]:
        versions = await _loader(info, CATALOGUE_PRICES).load(self.id)
        return [CataloguePriceVersion(
            effective_from=v.effective_from, list_price=Money(amount=v.list_price,
                                                              currency=self.currency),
            included_units=v.included_units,
            overage_rate=Money(amount=v.overage_rate, currency=self.currency))
            for v in versions]


# --- Offer ---------------------------------------------------------------------------------

@strawberry.type(description="An offer item's prices in force today, in the reseller's "
                 "currency; the wholesale price only for the system admin and the reseller.")
class OfferPrices:
    effective_from: dt.date = strawberry.field(description="Since when these prices are in "
                                               "force (the later of the catalogue's and the "
                                               "offer's versions).")
    retail_price: Money = strawberry.field(description="What the client pays (the reseller's "
                                           "price, else the list price).")
    list_price: Money = strawberry.field(description="The catalogue's list price, in the "
                                         "item's currency.")
    wholesale_price: Money | None = strawberry.field(description="What the reseller pays the "
                                                     "platform; null for other callers.")
    included_units: int = strawberry.field(description="Plans: units of usage included each "
                                           "cycle (e.g. minutes).")
    overage_rate: Money = strawberry.field(description="Plans: what the client pays per unit "
                                           "beyond those included.")
    wholesale_overage_rate: Money | None = strawberry.field(
        description="Plans: what the reseller pays per unit beyond; null for other callers.")


@strawberry.type(description="A version of an offer item's prices, in force from a date "
                 "until the next one (null retail: the list price in force).")
class OfferPriceVersion:
    effective_from: dt.date = strawberry.field(description="The first day this version is in "
                                               "force (ISO date; later than today: planned).")
    retail_price: Decimal_ | None = strawberry.field(description="The reseller's retail price; "
                                                     "null: the catalogue list price.")
    retail_overage_rate: Decimal_ | None = strawberry.field(
        description="The reseller's overage rate per unit; null: the catalogue's.")
    wholesale_price: Decimal_ | None = strawberry.field(description="The system admin and "
                                                        "the reseller only.")


@strawberry.type(name="OfferItem", description="A catalogue item made available to a "
                 "reseller (\"Forfaits\"), and whether the reseller sells it.")
class OfferItemNode(RowNode):
    COLUMNS: ClassVar[tuple[str, ...]] = offer.OFFER_COLUMNS

    id: relay.NodeID[int]
    available: bool = strawberry.field(description="Made available by the system admin.")
    selling: bool = strawberry.field(description="Sold by the reseller to its clients.")
    reseller_id: strawberry.Private[int]
    item_id: strawberry.Private[int]

    @classmethod
    def visible(cls, principal: Principal | None) -> QuerySet[Any]:
        return offer.offer_visible(principal)

    async def _info(self, info: strawberry.Info) -> dict[str, Any]:
        found: dict[str, Any] = await _loader(info, OFFER_INFO).load(self.id)
        return found

    @strawberry.field(description="The catalogue item's code, e.g. PLAN-PRO.")
    async def code(self, info: strawberry.Info) -> str:
        return str((await self._info(info))["code"])

    @strawberry.field(description="Plan, option, device or service fee.")
    async def kind(self, info: strawberry.Info) -> ItemKind:
        return ItemKind((await self._info(info))["kind"])

    @strawberry.field(description="Monthly, one-time or per unit of usage.")
    async def recurrence(self, info: strawberry.Info) -> Recurrence:
        return Recurrence((await self._info(info))["recurrence"])

    @strawberry.field(description="The item's name in the caller's language.")
    async def name(self, info: strawberry.Info) -> str:
        found = await self._info(info)
        return str(found["name_fr"] if _language(info) == "fr" else found["name_en"])

    @strawberry.field(description="The price versions (the newest 50), oldest first, "
                      "planned changes included; amounts in the reseller's currency.")
    async def price_versions(self, info: strawberry.Info) -> list[OfferPriceVersion]:
        wholesale = offer.sees_wholesale(info.context.principal, self.reseller_id)
        versions = await _loader(info, OFFER_VERSIONS).load(self.id)
        return [OfferPriceVersion(
            effective_from=v.effective_from, retail_price=v.retail_price,
            retail_overage_rate=v.retail_overage_rate,
            wholesale_price=v.wholesale_price if wholesale else None) for v in versions]

    @strawberry.field(description="Prices in force today; null before the first one.")
    async def prices(self, info: strawberry.Info) -> OfferPrices | None:
        price: Price | None = await _loader(info, OFFER_PRICES).load(self.id)
        if price is None:
            return None
        wholesale = offer.sees_wholesale(info.context.principal, self.reseller_id)
        currency = price.currency
        return OfferPrices(
            effective_from=price.effective_from,
            retail_price=Money(amount=price.retail_price, currency=currency),
            list_price=Money(amount=price.list_price, currency=price.list_currency),
            wholesale_price=_money(price.wholesale_price, currency) if wholesale else None,
            included_units=price.included_units,
            overage_rate=Money(amount=price.overage_rate, currency=currency),
            wholesale_overage_rate=(_money(price.wholesale_overage_rate, currency)
                                    if wholesale else None))


@strawberry.type(description="A tax line applied on the reseller's statements.")
class TaxLine:
    name: str = strawberry.field(description="As printed on statements, e.g. TPS.")
    rate: Decimal_ = strawberry.field(description="A percentage, e.g. 9.975.")
    registration_number: str = strawberry.field(description="The reseller's registration "
                                                "number for this tax; empty: none printed.")


@strawberry.type(description="A reseller's billing settings (\"Facturation CAN\").")
class BillingSettingsType:
    reseller_bills_clients: bool = strawberry.field(description=(
        "True: the reseller bills its clients and the platform bills it the wholesale cost on "
        "its CAN. False: the platform bills the clients and pays the reseller its revenue."))
    currency: str = strawberry.field(description="ISO 4217 currency of the reseller's prices "
                                     "and statements (the platform's default until set).")
    self_service: bool = strawberry.field(description="Clients may change their own "
                                          "subscription.")
    taxes: list[TaxLine] = strawberry.field(description="The tax lines applied on its "
                                            "statements, in order; empty: no tax.")


async def _settings(reseller_id: int, config: BillingConfig) -> BillingSettingsType:
    settings = await offer.settings_of(reseller_id, config.default_currency)
    taxes = (await taxes_for([reseller_id]))[reseller_id]
    return BillingSettingsType(
        reseller_bills_clients=settings.reseller_bills_clients, currency=settings.currency,
        self_service=settings.self_service,
        taxes=[TaxLine(name=t.name, rate=Decimal(t.rate),
                       registration_number=t.registration_number) for t in taxes])


# --- Subscriptions -------------------------------------------------------------------------

@strawberry.type(name="SubscriptionLine", description="An item of its reseller's offer an "
                 "account subscribes to, with a quantity and the days it is billed.")
class SubscriptionLineNode(RowNode):
    COLUMNS: ClassVar[tuple[str, ...]] = subscriptions.LINE_COLUMNS

    id: relay.NodeID[int]
    quantity: int = strawberry.field(description="How many (1 to 999).")
    starts_on: dt.date = strawberry.field(description="The first day billed.")
    ends_on: dt.date | None = strawberry.field(description="The first day no longer billed; "
                                               "null: open-ended.")
    created_at: DateTime = strawberry.field(description="When the line was written.")
    account_id: strawberry.Private[int]
    offer_item_id: strawberry.Private[int]

    @classmethod
    def visible(cls, principal: Principal | None) -> QuerySet[Any]:
        return subscriptions.lines_visible(principal)

    @strawberry.field(description="The offer item's code.")
    async def code(self, info: strawberry.Info) -> str:
        found = await _loader(info, OFFER_INFO).load(self.offer_item_id)
        return str(found["code"]) if found else ""

    @strawberry.field(description="Plan, option, device or service fee; null if the item is "
                      "gone.")
    async def kind(self, info: strawberry.Info) -> ItemKind | None:
        found = await _loader(info, OFFER_INFO).load(self.offer_item_id)
        return ItemKind(found["kind"]) if found else None

    @strawberry.field(description="The item's name in the caller's language.")
    async def name(self, info: strawberry.Info) -> str:
        found = await _loader(info, OFFER_INFO).load(self.offer_item_id)
        if not found:
            return ""
        return str(found["name_fr"] if _language(info) == "fr" else found["name_en"])

    @strawberry.field(name="offerItemId", description="The offer item's id (to keep the "
                      "line when changing the subscription).")
    def offer_item_global_id(self) -> strawberry.ID:
        return strawberry.ID(global_id("OfferItem", self.offer_item_id))

    @strawberry.field(description="Today's retail unit price, in the reseller's currency.")
    async def unit_price(self, info: strawberry.Info) -> Money | None:
        price: Price | None = await _loader(info, OFFER_PRICES).load(self.offer_item_id)
        return None if price is None else Money(amount=price.retail_price,
                                                currency=price.currency)


# --- Promotions ----------------------------------------------------------------------------

@strawberry.type(name="Promotion", description="A promotion defined by the system admin.")
class PromotionNode(RowNode):
    COLUMNS: ClassVar[tuple[str, ...]] = ("id", "code", "name_fr", "name_en", "kind", "months",
                                          "percent", "amount", "currency", "retired_at")

    id: relay.NodeID[int]
    code: str = strawberry.field(description="Unique code, e.g. PROMO-20-6.")
    name_fr: str = strawberry.field(description="Its name in French, as statements show it.")
    name_en: str = strawberry.field(description="Its name in English.")
    kind: PromotionKind = strawberry.field(description="Free months, percent off or amount off.")
    months: int = strawberry.field(description="How many months it lasts from the day billing "
                                   "starts (1 to 36).")
    percent: Decimal_ | None = strawberry.field(description="PERCENT_OFF: the percentage off; "
                                                "null otherwise.")
    amount: Decimal_ | None = strawberry.field(description="AMOUNT_OFF: the amount off each "
                                               "month; null otherwise.")
    currency: str | None = strawberry.field(description="AMOUNT_OFF: the amount's ISO 4217 "
                                            "currency; null otherwise.")
    retired_at: DateTime | None = strawberry.field(description="When it was retired; null: "
                                                   "current.")

    @classmethod
    def visible(cls, principal: Principal | None) -> QuerySet[Any]:
        return promotions.promotions_visible(principal)


@strawberry.type(name="ResellerPromotion", description="A promotion at one reseller.")
class ResellerPromotionNode(RowNode):
    COLUMNS: ClassVar[tuple[str, ...]] = ("id", "reseller_id", "promotion_id", "status",
                                          "requested_at", "activated_at", "ended_at")

    id: relay.NodeID[int]
    status: ResellerPromotionStatus = strawberry.field(description="Available, requested, "
                                                       "active or ended.")
    requested_at: DateTime | None = strawberry.field(description="When the reseller last asked "
                                                     "for it; null: never.")
    activated_at: DateTime | None = strawberry.field(description="When the system admin last "
                                                     "activated it; null: never.")
    ended_at: DateTime | None = strawberry.field(description="When it last ended; null: never.")
    reseller_id: strawberry.Private[int]
    promotion_id: strawberry.Private[int]

    @classmethod
    def visible(cls, principal: Principal | None) -> QuerySet[Any]:
        return promotions.reseller_promotions_visible(principal)

    @strawberry.field(description="The promotion (null if the caller may no longer see it).")
    async def promotion(self, info: strawberry.Info) -> PromotionNode | None:
        [node] = await PromotionNode.load(info.context.principal, [self.promotion_id])
        return node


@strawberry.type(name="AccountPromotion", description="A promotion an account got when it "
                 "was created, and the days it covers (endsOn excluded).")
class AccountPromotionNode(RowNode):
    COLUMNS: ClassVar[tuple[str, ...]] = ("id", "account_id", "promotion_id", "starts_on",
                                          "ends_on")

    id: relay.NodeID[int]
    starts_on: dt.date = strawberry.field(description="The first day it covers (the day "
                                          "billing starts).")
    ends_on: dt.date = strawberry.field(description="The first day it no longer covers.")
    account_id: strawberry.Private[int]
    promotion_id: strawberry.Private[int]

    @classmethod
    def visible(cls, principal: Principal | None) -> QuerySet[Any]:
        return promotions.account_promotions_visible(principal)

    @strawberry.field(description="Its name in the caller's language.")
    async def name(self, info: strawberry.Info) -> str:
        promotion: Promotion = await _loader(info, PROMOTIONS).load(self.promotion_id)
        return promotion.name_fr if _language(info) == "fr" else promotion.name_en

    @strawberry.field(description="Free months, percent off or amount off.")
    async def kind(self, info: strawberry.Info) -> PromotionKind:
        promotion: Promotion = await _loader(info, PROMOTIONS).load(self.promotion_id)
        return PromotionKind(promotion.kind)


# --- Queries -------------------------------------------------------------------------------

def _pk(raw: strawberry.ID, type_name: str, path: list[str | int]) -> int:
    return node_pk(raw, type_name, path, e.NOT_FOUND)


def _reseller_pk(raw: strawberry.ID | None) -> int | None:
    return _pk(raw, "Reseller", ["resellerId"]) if given(raw) and raw is not None else None


@strawberry.type
class OfferQuery:
    @field(Role.SYSTEM_ADMIN, description="The platform catalogue, by code; kind narrows it.")
    async def catalogue_items(
        self, info: strawberry.Info,
        kind: Annotated[ItemKind | None, strawberry.argument(
            description="Only items of this kind; every kind when left out.")] = None,
        first: int | None = None, after: str | None = None,
    ) -> Connection[CatalogueItemNode]:
        offset, limit = page_window(first, after, info.context.settings.max_page_size)
        items = catalogue.items_visible(info.context.principal)
        if kind is not None:
            items = items.filter(kind=kind)
        total = await items.count()
        rows = await items.order_by("code").offset(offset).limit(limit + 1).values(
            *CatalogueItemNode.COLUMNS)
        return build_connection(rows, offset, limit, total, CatalogueItemNode.from_row)

    @field(*SIGNED_IN, description="A reseller's offer (\"Forfaits\"): what the system admin "
           "made available and what the reseller sells. Subscribers see what their reseller "
           "sells, without wholesale prices; a system admin names the reseller.")
    async def offer_items(
        self, info: strawberry.Info, reseller_id: ResellerArg = None,
        selling: Annotated[bool | None, strawberry.argument(
            description="true: only what the reseller sells; false: only what it does not; "
            "both when left out.")] = None,
        first: int | None = None, after: str | None = None,
    ) -> Connection[OfferItemNode]:
        principal = info.context.principal
        offset, limit = page_window(first, after, info.context.settings.max_page_size)
        rows_query = offer.offer_visible(principal)
        wanted = _reseller_pk(reseller_id)
        if wanted is not None:
            reseller = await offer.reseller_for(principal, wanted, ["resellerId"])
            rows_query = rows_query.filter(reseller_id=reseller.id)
        if selling is not None:
            rows_query = rows_query.filter(selling=selling)
        total = await rows_query.count()
        rows = await rows_query.order_by("id").offset(offset).limit(limit + 1).values(
            *OfferItemNode.COLUMNS)
        return build_connection(rows, offset, limit, total, OfferItemNode.from_row)

    @field(ANONYMOUS, description="What the reseller of a sign-up sells, for the client "
           "finishing the sign-up they were sent (token: their link's); retail prices only.")
    async def signup_offer_items(
        self, info: strawberry.Info,
        token: Annotated[str, strawberry.argument(
            description="The sign-up token of the link the client was emailed.")],
        first: int | None = None, after: str | None = None,
    ) -> Connection[OfferItemNode]:
        from plugins.clients.api import signup_reseller

        reseller_id = await signup_reseller(token, info.context.host)
        offset, limit = page_window(first, after, info.context.settings.max_page_size)
        query = OfferItem.filter(reseller_id=reseller_id, available=True, selling=True)
        total = await query.count()
        rows = await query.order_by("id").offset(offset).limit(limit + 1).values(
            *OfferItemNode.COLUMNS)
        return build_connection(rows, offset, limit, total, OfferItemNode.from_row)

    @field(Role.SYSTEM_ADMIN, *RESELLER_SIDE, description="A reseller's billing settings and "
           "taxes (the caller's own reseller unless a system admin names one).")
    async def billing_settings(self, info: strawberry.Info,
                               reseller_id: ResellerArg = None) -> BillingSettingsType:
        reseller = await offer.reseller_for(info.context.principal, _reseller_pk(reseller_id),
                                            ["resellerId"])
        return await _settings(reseller.id, _config(info))

    @field(*SIGNED_IN, description="An account's subscription lines billed on a day (today "
           "by default), or every line ever (all: true).")
    async def subscription_lines(
        self, info: strawberry.Info, account_id: AccountArg,
        on: Annotated[dt.date | None, strawberry.argument(
            description="The day whose lines are wanted (ISO date); today when left "
            "out.")] = None,
        all: Annotated[bool, strawberry.argument(
            description="true: every line ever, ended and planned ones included (on is "
            "ignored).")] = False,
        first: int | None = None, after: str | None = None,
    ) -> Connection[SubscriptionLineNode]:
        from gateway.api import account_for

        principal = info.context.principal
        offset, limit = page_window(first, after, info.context.settings.max_page_size)
        account = await account_for(principal, node_pk(account_id, "Account", ["accountId"],
                                                       ACCOUNT_NOT_FOUND), ["accountId"])
        lines = subscriptions.lines_visible(principal).filter(account_id=account.id)
        if not all:
            lines = subscriptions.in_force(lines, on or _today())
        total = await lines.count()
        rows = await lines.order_by("starts_on", "id").offset(offset).limit(limit + 1).values(
            *SubscriptionLineNode.COLUMNS)
        return build_connection(rows, offset, limit, total, SubscriptionLineNode.from_row)

    @field(*SIGNED_IN, description="The promotions an account has (its own users and its "
           "reseller's staff).")
    async def account_promotions(
        self, info: strawberry.Info, account_id: AccountArg, first: int | None = None,
        after: str | None = None,
    ) -> Connection[AccountPromotionNode]:
        from gateway.api import account_for

        principal = info.context.principal
        offset, limit = page_window(first, after, info.context.settings.max_page_size)
        account = await account_for(principal, node_pk(account_id, "Account", ["accountId"],
                                                       ACCOUNT_NOT_FOUND), ["accountId"])
        query = promotions.account_promotions_visible(principal).filter(account_id=account.id)
        total = await query.count()
        rows = await query.order_by("id").offset(offset).limit(limit + 1).values(
            *AccountPromotionNode.COLUMNS)
        return build_connection(rows, offset, limit, total, AccountPromotionNode.from_row)

    @field(Role.SYSTEM_ADMIN, *RESELLER_SIDE, description="Promotions: all of them for the "
           "system admin, those made available to the caller's reseller otherwise.")
    async def promotions(self, info: strawberry.Info, first: int | None = None,
                         after: str | None = None) -> Connection[PromotionNode]:
        offset, limit = page_window(first, after, info.context.settings.max_page_size)
        query = promotions.promotions_visible(info.context.principal)
        total = await query.count()
        rows = await query.order_by("code").offset(offset).limit(limit + 1).values(
            *PromotionNode.COLUMNS)
        return build_connection(rows, offset, limit, total, PromotionNode.from_row)

    @field(Role.SYSTEM_ADMIN, *RESELLER_SIDE, description="Promotions at resellers, with their "
           "state; a system admin may name a reseller, status narrows the list.")
    async def reseller_promotions(
        self, info: strawberry.Info, reseller_id: ResellerArg = None,
        status: Annotated[ResellerPromotionStatus | None, strawberry.argument(
            description="Only promotions in this state; every state when left out.")] = None,
        first: int | None = None, after: str | None = None,
    ) -> Connection[ResellerPromotionNode]:
        principal = info.context.principal
        offset, limit = page_window(first, after, info.context.settings.max_page_size)
        query = promotions.reseller_promotions_visible(principal)
        wanted = _reseller_pk(reseller_id)
        if wanted is not None:
            query = query.filter(reseller_id=(await offer.reseller_for(
                principal, wanted, ["resellerId"])).id)
        if status is not None:
            query = query.filter(status=status)
        total = await query.count()
        rows = await query.order_by("id").offset(offset).limit(limit + 1).values(
            *ResellerPromotionNode.COLUMNS)
        return build_connection(rows, offset, limit, total, ResellerPromotionNode.from_row)


# --- Mutations -----------------------------------------------------------------------------

@strawberry.input(description="A new catalogue item and its first price version.")
class CreateCatalogueItemInput:
    code: str = strawberry.field(description="Unique code: 1 to 64 letters, digits, dashes or "
                                 "underscores, e.g. PLAN-PRO.")
    kind: ItemKind = strawberry.field(description="Plan, option, device or service fee.")
    recurrence: Recurrence = strawberry.field(description="Monthly, one-time or per unit of "
                                              "usage.")
    name_fr: str = strawberry.field(description="Its name in French (statements, portals).")
    name_en: str = strawberry.field(description="Its name in English.")
    list_price: Decimal_ = strawberry.field(description="The list price, in `currency` (per "
                                            "month, once or per unit, by the recurrence).")
    currency: str = strawberry.field(default="CAD", description="ISO 4217 currency of its "
                                     "prices (CAD by default).")
    usage_key: str = strawberry.field(default="", description="The usage unit (e.g. "
                                      "CALL_MINUTES) a plan includes or a per-unit item prices.")
    included_units: int = strawberry.field(default=0, description="Plans: units of usage "
                                           "included each cycle (e.g. minutes).")
    overage_rate: Decimal_ = strawberry.field(default=Decimal(0), description="Plans: the "
                                              "price of each unit beyond those included.")
    effective_from: dt.date | None = strawberry.field(default=None, description="The first "
                                                      "price's first day: today or later "
                                                      "(default today).")


@strawberry.input(description="A new price version of a catalogue item.")
class SetCataloguePriceInput:
    item_id: strawberry.ID = strawberry.field(description="Global ID of the catalogue item "
                                              "(CatalogueItem).")
    list_price: Decimal_ = strawberry.field(description="The list price, in the item's "
                                            "currency.")
    included_units: int = strawberry.field(default=0, description="Plans: units of usage "
                                           "included each cycle.")
    overage_rate: Decimal_ = strawberry.field(default=Decimal(0), description="Plans: the "
                                              "price of each unit beyond those included.")
    effective_from: dt.date | None = strawberry.field(default=None, description="Today or "
                                                      "later (default today).")


@strawberry.input(description="Names one catalogue item.")
class CatalogueItemIdInput:
    item_id: strawberry.ID = strawberry.field(description="Global ID of the catalogue item "
                                              "(CatalogueItem).")


@strawberry.type(description="The catalogue item as it is now, or why nothing was done.")
class CatalogueItemPayload:
    item: CatalogueItemNode | None = strawberry.field(default=None, description="The item; "
                                                      "null when refused.")
    errors: list[BillingError] = strawberry.field(default_factory=list)


@strawberry.input(description="A catalogue item made available to a reseller, at a "
                  "wholesale price.")
class OfferCatalogueItemInput:
    reseller_id: strawberry.ID = strawberry.field(description="Global ID of the reseller "
                                                  "(Reseller).")
    item_id: strawberry.ID = strawberry.field(description="Global ID of the catalogue item "
                                              "(CatalogueItem).")
    wholesale_price: Decimal_ = strawberry.field(description="In the reseller's currency.")
    effective_from: dt.date | None = strawberry.field(default=None, description="The "
                                                      "wholesale price's first day: today or "
                                                      "later (default today).")


@strawberry.input(description="Names one item of a reseller's offer.")
class OfferItemIdInput:
    offer_item_id: strawberry.ID = strawberry.field(description="Global ID of the offer item "
                                                    "(OfferItem).")


@strawberry.input(description="Whether the reseller sells an item of its offer, and at "
                  "what retail prices from a date.")
class SetOfferItemRetailInput:
    offer_item_id: strawberry.ID = strawberry.field(description="Global ID of the offer item "
                                                    "(OfferItem).")
    selling: bool = strawberry.field(description="true: sold to the reseller's clients; false: "
                                     "no longer sold (accounts that have it keep it).")
    retail_price: Decimal_ | None = strawberry.field(default=None, description="Null: the "
                                                     "catalogue list price.")
    retail_overage_rate: Decimal_ | None = strawberry.field(
        default=None, description="Plans: the client's price per unit beyond those included; "
        "null: the catalogue's overage rate.")
    effective_from: dt.date | None = strawberry.field(default=None, description="The prices' "
                                                      "first day: today or later (default "
                                                      "today).")


@strawberry.type(description="The offer item as it is now, or why nothing was done.")
class OfferItemPayload:
    offer_item: OfferItemNode | None = strawberry.field(default=None, description="The offer "
                                                        "item; null when refused.")
    errors: list[BillingError] = strawberry.field(default_factory=list)


@strawberry.input(description="Changes to a reseller's billing settings; a field left out "
                  "keeps its value.")
class UpdateBillingSettingsInput:
    reseller_id: strawberry.ID | None = strawberry.field(
        default=None, description="Global ID of the reseller (Reseller): the system admin "
        "names one; reseller staff leave it out (their own).")
    reseller_bills_clients: bool | None = strawberry.field(default=None, description="System "
                                                           "admin only.")
    currency: str | None = strawberry.field(default=None, description="System admin only; "
                                            "fixed once the reseller has an offer.")
    self_service: bool | None = strawberry.field(default=None, description="Whether its "
                                                 "clients may change their own subscription.")


@strawberry.input(description="A tax line of a reseller's statements.")
class TaxLineInput:
    name: str = strawberry.field(description="As printed on statements, e.g. TPS (at most 100 "
                                 "characters).")
    rate: Decimal_ = strawberry.field(description="A percentage, 0 to 100, e.g. 9.975.")
    registration_number: str = strawberry.field(default="", description="The reseller's "
                                                "registration number for the tax; empty: none.")


@strawberry.input(description="A reseller's whole list of tax lines.")
class SetTaxesInput:
    taxes: list[TaxLineInput] = strawberry.field(description="Every tax line, in statement "
                                                 "order (at most 10); empty: no tax.")
    reseller_id: strawberry.ID | None = strawberry.field(
        default=None, description="Global ID of the reseller (Reseller): the system admin "
        "names one; reseller staff leave it out (their own).")


@strawberry.type(description="A reseller's billing settings as they are now, or why nothing "
                 "was done.")
class BillingSettingsPayload:
    settings: BillingSettingsType | None = strawberry.field(default=None, description="The "
                                                            "settings; null when refused.")
    errors: list[BillingError] = strawberry.field(default_factory=list)


@strawberry.input(description="One line of a subscription: an item of the reseller's "
                  "offer and a quantity.")
class SubscriptionLineInput:
    offer_item_id: strawberry.ID = strawberry.field(description="Global ID of the offer item "
                                                    "(OfferItem) of the account's reseller.")
    quantity: int = strawberry.field(default=1, description="How many, 1 to 999.")


@strawberry.input(description="An account's whole subscription from a date.")
class SetSubscriptionInput:
    account_id: strawberry.ID = strawberry.field(description="Global ID of the account "
                                                 "(Account).")
    lines: list[SubscriptionLineInput] = strawberry.field(description="The whole subscription "
                                                          "from effectiveFrom (at most 100).")
    effective_from: dt.date | None = strawberry.field(
        default=None, description="The first day of the new subscription: today or later "
        "(default today); changed or removed lines end that day.")


@strawberry.type(description="The account's subscription lines in force from the change, or "
                 "why nothing was done.")
class SubscriptionPayload:
    lines: list[SubscriptionLineNode] | None = strawberry.field(
        default=None, description="The lines in force on the change's first day; null when "
        "refused.")
    errors: list[BillingError] = strawberry.field(default_factory=list)


@strawberry.input(description="A new promotion (system admin).")
class CreatePromotionInput:
    code: str = strawberry.field(description="Unique code: letters, digits, dashes or "
                                 "underscores, e.g. PROMO-20-6.")
    name_fr: str = strawberry.field(description="Its name in French, as statements show it.")
    name_en: str = strawberry.field(description="Its name in English.")
    kind: PromotionKind = strawberry.field(description="Free months, percent off or amount "
                                           "off.")
    months: int = strawberry.field(default=1, description="How many months it lasts from the "
                                   "day billing starts, 1 to 36.")
    percent: Decimal_ | None = strawberry.field(default=None, description="PERCENT_OFF "
                                                "(required): the percentage off, 0 to 100.")
    amount: Decimal_ | None = strawberry.field(default=None, description="AMOUNT_OFF "
                                               "(required): the amount off each month.")
    currency: str | None = strawberry.field(default=None, description="AMOUNT_OFF: the "
                                            "amount's ISO 4217 currency.")


@strawberry.type(description="The promotion as it is now, or why nothing was done.")
class PromotionPayload:
    promotion: PromotionNode | None = strawberry.field(default=None, description="The "
                                                       "promotion; null when refused.")
    errors: list[BillingError] = strawberry.field(default_factory=list)


@strawberry.input(description="A promotion made available to a reseller.")
class OfferPromotionInput:
    promotion_id: strawberry.ID = strawberry.field(description="Global ID of the promotion "
                                                   "(Promotion).")
    reseller_id: strawberry.ID = strawberry.field(description="Global ID of the reseller "
                                                  "(Reseller).")


@strawberry.input(description="Names one promotion at one reseller.")
class ResellerPromotionIdInput:
    id: strawberry.ID = strawberry.field(description="Global ID of the reseller's promotion "
                                         "(ResellerPromotion).")


@strawberry.input(description="Names one promotion.")
class PromotionIdInput:
    promotion_id: strawberry.ID = strawberry.field(description="Global ID of the promotion "
                                                   "(Promotion).")


@strawberry.type(description="The promotion at the reseller as it is now, or why nothing was "
                 "done.")
class ResellerPromotionPayload:
    reseller_promotion: ResellerPromotionNode | None = strawberry.field(
        default=None, description="The promotion at the reseller; null when refused.")
    errors: list[BillingError] = strawberry.field(default_factory=list)


async def _item_payload(principal: Principal | None, item_id: int) -> CatalogueItemPayload:
    [node] = await CatalogueItemNode.load(principal, [item_id])
    return CatalogueItemPayload(item=node)


async def _offer_payload(principal: Principal | None, offer_item_id: int) -> OfferItemPayload:
    [node] = await OfferItemNode.load(principal, [offer_item_id])
    return OfferItemPayload(offer_item=node)


async def _move(info: strawberry.Info, input: ResellerPromotionIdInput,
                status: ResellerPromotionStatus) -> ResellerPromotionPayload:
    principal = info.context.principal
    row = await promotions.move(principal, _pk(input.id, "ResellerPromotion", ["input", "id"]),
                                status)
    return await _reseller_promotion_payload(principal, row.id)


async def _reseller_promotion_payload(principal: Principal | None,
                                      row_id: int) -> ResellerPromotionPayload:
    [node] = await ResellerPromotionNode.load(principal, [row_id])
    return ResellerPromotionPayload(reseller_promotion=node)


@strawberry.type
class OfferMutation:
    @mutation(Role.SYSTEM_ADMIN, errors=BillingError,
              description="Add a plan, option, device or service fee to the catalogue, with "
              "its first price.")
    async def create_catalogue_item(self, info: strawberry.Info,
                                    input: CreateCatalogueItemInput) -> CatalogueItemPayload:
        principal = info.context.principal
        item = await catalogue.create_item(
            principal, code=input.code, kind=input.kind, recurrence=input.recurrence,
            name_fr=input.name_fr, name_en=input.name_en, currency=input.currency,
            usage_key=input.usage_key, price=catalogue.PriceInput(
                input.list_price, input.included_units, input.overage_rate,
                input.effective_from))
        return await _item_payload(principal, item.id)

    @mutation(Role.SYSTEM_ADMIN, errors=BillingError,
              description="A new price of a catalogue item from a date (today or later); a "
              "closed cycle is never rewritten.")
    async def set_catalogue_price(self, info: strawberry.Info,
                                  input: SetCataloguePriceInput) -> CatalogueItemPayload:
        principal = info.context.principal
        item_id = _pk(input.item_id, "CatalogueItem", ["input", "itemId"])
        await catalogue.set_price(principal, item_id, catalogue.PriceInput(
            input.list_price, input.included_units, input.overage_rate, input.effective_from))
        return await _item_payload(principal, item_id)

    @mutation(Role.SYSTEM_ADMIN, errors=BillingError,
              description="Retire a catalogue item: no new subscription; running ones go on.")
    async def retire_catalogue_item(self, info: strawberry.Info,
                                    input: CatalogueItemIdInput) -> CatalogueItemPayload:
        principal = info.context.principal
        item_id = _pk(input.item_id, "CatalogueItem", ["input", "itemId"])
        await catalogue.retire_item(principal, item_id)
        return await _item_payload(principal, item_id)

    @mutation(Role.SYSTEM_ADMIN, errors=BillingError,
              description="Make a catalogue item available to a reseller at a wholesale price "
              "(again: a new wholesale price from a date).")
    async def offer_catalogue_item(self, info: strawberry.Info,
                                   input: OfferCatalogueItemInput) -> OfferItemPayload:
        principal = info.context.principal
        row = await offer.make_available(
            principal, reseller_id=_pk(input.reseller_id, "Reseller", ["input", "resellerId"]),
            item_id=_pk(input.item_id, "CatalogueItem", ["input", "itemId"]),
            wholesale_price=input.wholesale_price, effective_from=input.effective_from)
        return await _offer_payload(principal, row.id)

    @mutation(Role.SYSTEM_ADMIN, errors=BillingError,
              description="Withdraw an item from a reseller's offer; running subscriptions "
              "go on.")
    async def withdraw_offer_item(self, info: strawberry.Info,
                                  input: OfferItemIdInput) -> OfferItemPayload:
        principal = info.context.principal
        offer_item_id = _pk(input.offer_item_id, "OfferItem", ["input", "offerItemId"])
        await offer.withdraw(principal, offer_item_id)
        return await _offer_payload(principal, offer_item_id)

    @mutation(Role.SYSTEM_ADMIN, *RESELLER_SIDE, errors=BillingError,
              description="Sell (or stop selling) an item of the offer, at a retail price "
              "(default: the list price) from a date.")
    async def set_offer_item_retail(self, info: strawberry.Info,
                                    input: SetOfferItemRetailInput) -> OfferItemPayload:
        principal = info.context.principal
        offer_item_id = _pk(input.offer_item_id, "OfferItem", ["input", "offerItemId"])
        await offer.set_retail(principal, offer_item_id, offer.RetailInput(
            input.selling, input.retail_price, input.retail_overage_rate,
            input.effective_from))
        return await _offer_payload(principal, offer_item_id)

    @mutation(Role.SYSTEM_ADMIN, *RESELLER_SIDE, errors=BillingError,
              description="Change a reseller's billing settings: who bills the clients and "
              "the currency (system admin), self-service (the reseller).")
    async def update_billing_settings(self, info: strawberry.Info,
                                      input: UpdateBillingSettingsInput
                                      ) -> BillingSettingsPayload:
        config = _config(info)
        reseller_id = (_pk(input.reseller_id, "Reseller", ["input", "resellerId"])
                       if given(input.reseller_id) and input.reseller_id is not None else None)
        settings = await offer.update_settings(
            info.context.principal, reseller_id, offer.SettingsInput(
                input.reseller_bills_clients, input.currency, input.self_service),
            config.default_currency)
        return BillingSettingsPayload(settings=await _settings(settings.reseller_id, config))

    @mutation(Role.SYSTEM_ADMIN, *RESELLER_SIDE, errors=BillingError,
              description="Replace the reseller's tax lines (name, rate %, registration "
              "number), applied on its statements; an empty list: no tax.")
    async def set_billing_taxes(self, info: strawberry.Info,
                                input: SetTaxesInput) -> BillingSettingsPayload:
        reseller_id = (_pk(input.reseller_id, "Reseller", ["input", "resellerId"])
                       if given(input.reseller_id) and input.reseller_id is not None else None)
        reseller = await offer.reseller_for(info.context.principal, reseller_id)
        await offer.set_taxes(info.context.principal, reseller.id, [
            offer.TaxInput(t.name, t.rate, t.registration_number) for t in input.taxes])
        return BillingSettingsPayload(settings=await _settings(reseller.id, _config(info)))

    @mutation(*STAFF, Role.COMPANY_ADMIN, Role.PROFESSIONAL, errors=BillingError,
              description="Set an account's subscription from a date (today by default): "
              "items of its reseller's offer with quantities. A company admin or professional "
              "may change their own when the reseller allows it and the account's management "
              "restrictions do not forbid it; no option during a free trial.")
    async def set_subscription(self, info: strawberry.Info,
                               input: SetSubscriptionInput) -> SubscriptionPayload:
        principal = info.context.principal
        account_id = node_pk(input.account_id, "Account", ["input", "accountId"],
                             ACCOUNT_NOT_FOUND)
        lines = [subscriptions.LineInput(
            _pk(line.offer_item_id, "OfferItem", ["input", "lines", i, "offerItemId"]),
            line.quantity) for i, line in enumerate(input.lines[:subscriptions.MAX_LINES + 1])]
        result = await subscriptions.set_subscription(principal, account_id, lines,
                                                      effective_from=input.effective_from,
                                                      host=info.context.host)
        nodes = await SubscriptionLineNode.load(principal, [line.id for line in result])
        return SubscriptionPayload(lines=[node for node in nodes if node is not None])

    @mutation(Role.SYSTEM_ADMIN, errors=BillingError,
              description="Define a promotion (first months free, percent off, amount off).")
    async def create_promotion(self, info: strawberry.Info,
                               input: CreatePromotionInput) -> PromotionPayload:
        principal = info.context.principal
        row = await promotions.create_promotion(
            principal, code=input.code, name_fr=input.name_fr, name_en=input.name_en,
            kind=input.kind, months=input.months, percent=input.percent, amount=input.amount,
            currency=input.currency)
        [node] = await PromotionNode.load(principal, [row.id])
        return PromotionPayload(promotion=node)

    @mutation(Role.SYSTEM_ADMIN, errors=BillingError,
              description="Retire a promotion: it ends wherever it is active.")
    async def retire_promotion(self, info: strawberry.Info,
                               input: PromotionIdInput) -> PromotionPayload:
        principal = info.context.principal
        row = await promotions.retire(principal, _pk(input.promotion_id, "Promotion",
                                                     ["input", "promotionId"]))
        [node] = await PromotionNode.load(principal, [row.id])
        return PromotionPayload(promotion=node)

    @mutation(Role.SYSTEM_ADMIN, errors=BillingError,
              description="Make a promotion available to a reseller, which may then ask for "
              "it.")
    async def offer_promotion(self, info: strawberry.Info,
                              input: OfferPromotionInput) -> ResellerPromotionPayload:
        principal = info.context.principal
        row = await promotions.make_available(
            principal, _pk(input.promotion_id, "Promotion", ["input", "promotionId"]),
            _pk(input.reseller_id, "Reseller", ["input", "resellerId"]))
        return await _reseller_promotion_payload(principal, row.id)

    @mutation(*RESELLER_SIDE, errors=BillingError,
              description="Ask the system admin to activate a promotion for your new "
              "subscribers.")
    async def request_promotion(self, info: strawberry.Info,
                                input: ResellerPromotionIdInput) -> ResellerPromotionPayload:
        return await _move(info, input, ResellerPromotionStatus.REQUESTED)

    @mutation(Role.SYSTEM_ADMIN, errors=BillingError,
              description="Activate a promotion at a reseller: subscribers created from now on "
              "get it.")
    async def activate_promotion(self, info: strawberry.Info,
                                 input: ResellerPromotionIdInput) -> ResellerPromotionPayload:
        return await _move(info, input, ResellerPromotionStatus.ACTIVE)

    @mutation(Role.SYSTEM_ADMIN, *RESELLER_SIDE, errors=BillingError,
              description="End a promotion (or withdraw the request): new subscribers no "
              "longer get it; those who have it keep it.")
    async def end_promotion(self, info: strawberry.Info,
                            input: ResellerPromotionIdInput) -> ResellerPromotionPayload:
        return await _move(info, input, ResellerPromotionStatus.ENDED)

