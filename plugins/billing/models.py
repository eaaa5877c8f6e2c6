"""Billing's offer side (app ``billing``): the catalogue and its versioned prices, what the
system admin makes available to each reseller (wholesale) and what the reseller sells (retail),
the reseller's billing settings and taxes, the accounts' subscriptions, and promotions.

Money is ``Decimal`` (``DecimalField``, four decimal places so per-minute rates such as 0.0350
are exact; statements round to the cent) with an ISO 4217 currency, never a float.

Dates are local calendar dates. Periods are half-open: an item billed from ``starts_on``
(included) until ``ends_on`` (excluded; null: open-ended). A plan changed on the 5th ends the
old subscription line on the 5th and starts the new one on the 5th, so each day is billed once.

Docstrings become table comments: no quote, no semicolon. Only add fields from here on (the
cycle side, ``ledger_models``, builds on these tables); every change needs a migration.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

if TYPE_CHECKING:
    from gateway.api import Account, Reseller, User

MONEY_DIGITS = 14  # max_digits of every money column
MONEY_PLACES = 4  # decimal_places of every money column (rates below the cent are exact)
RATE_DIGITS = 7  # a tax or discount percentage, e.g. 9.9750
RATE_PLACES = 4
MAX_CODE = 40
MAX_NAME = 200


class ItemKind(StrEnum):
    """What a catalogue item is (the seed's "forfaits, options, appareils et frais de service")."""

    PLAN = "PLAN"  # forfait: may include usage (minutes) and price the overage
    OPTION = "OPTION"
    DEVICE = "DEVICE"  # appareil
    SERVICE_FEE = "SERVICE_FEE"  # frais de service


class Recurrence(StrEnum):
    """How a catalogue item is charged."""

    MONTHLY = "MONTHLY"  # each cycle, prorated by day for partial cycles
    ONE_TIME = "ONE_TIME"  # once, in the cycle containing the subscription's starts_on
    PER_UNIT = "PER_UNIT"  # per unit of usage reported by the usage hook (usage_key)


class PromotionKind(StrEnum):
    """What a promotion takes off the recurring (MONTHLY) charges during its months."""

    FREE_MONTHS = "FREE_MONTHS"  # the first ``months`` months free (100 %)
    PERCENT_OFF = "PERCENT_OFF"  # ``percent`` % off for ``months`` months
    AMOUNT_OFF = "AMOUNT_OFF"  # ``amount`` off each month for ``months`` months, never below 0


class ResellerPromotionStatus(StrEnum):
    """A promotion's life at one reseller: offered, asked for, running, over."""

    AVAILABLE = "AVAILABLE"  # the system admin made it available; the reseller may ask for it
    REQUESTED = "REQUESTED"  # the reseller asked; the system admin activates it
    ACTIVE = "ACTIVE"  # applies to the reseller's subscribers created while it is active
    ENDED = "ENDED"  # no longer applied to new subscribers (running ones keep it)


class CatalogueItem(Model):
    """A plan, option, device or service fee of the platform catalogue (system admin only)"""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=MAX_CODE, unique=True)  # e.g. PLAN-PRO-500
    kind = fields.CharEnumField(ItemKind, max_length=16)
    recurrence = fields.CharEnumField(Recurrence, max_length=16)
    name_fr = fields.CharField(max_length=MAX_NAME)
    name_en = fields.CharField(max_length=MAX_NAME)
    # The usage this item includes (plans) or prices (PER_UNIT items), as reported by the
    # usage hook, e.g. "call_minutes". Empty: no usage.
    usage_key = fields.CharField(max_length=64, default="")
    currency = fields.CharField(max_length=3, default="CAD")  # of every price version
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    retired_at = fields.DatetimeField(null=True)  # no longer offered to new subscriptions

    class Meta:
        table = "billing_catalogue_item"
        table_description = "A plan, option, device or service fee of the platform catalogue"


class CataloguePrice(Model):
    """A version of a catalogue item price, in force from effective_from until the next one"""

    id = fields.IntField(primary_key=True)
    item: fields.ForeignKeyRelation[CatalogueItem] = fields.ForeignKeyField(
        "billing.CatalogueItem", related_name="prices", on_delete=fields.CASCADE)
    item_id: int
    effective_from = fields.DateField()
    # The list price per month (MONTHLY), once (ONE_TIME) or per unit (PER_UNIT).
    list_price = fields.DecimalField(max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES)
    # Plans: the units of usage_key included each cycle, and the price of each unit beyond.
    included_units = fields.IntField(default=0)
    overage_rate = fields.DecimalField(max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES,
                                       default=0)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "billing_catalogue_price"
        table_description = "A version of a catalogue item price in force from a date"
        unique_together = (("item_id", "effective_from"),)


class OfferItem(Model):
    """A catalogue item the system admin made available to a reseller, and whether it sells it"""

    id = fields.IntField(primary_key=True)
    reseller: fields.ForeignKeyRelation[Reseller] = fields.ForeignKeyField(
        "core.Reseller", related_name=False, on_delete=fields.CASCADE)
    reseller_id: int
    item: fields.ForeignKeyRelation[CatalogueItem] = fields.ForeignKeyField(
        "billing.CatalogueItem", related_name=False, on_delete=fields.RESTRICT)
    item_id: int
    # Set by the system admin: false once withdrawn (existing subscriptions keep billing).
    available = fields.BooleanField(default=True)
    # Set by the reseller: whether it sells this item to its clients (sign-up, changes).
    selling = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "billing_offer_item"
        table_description = "A catalogue item made available to a reseller"
        unique_together = (("reseller_id", "item_id"),)


class OfferPrice(Model):
    """A version of a reseller offer prices, in force from effective_from until the next one"""

    id = fields.IntField(primary_key=True)
    offer_item: fields.ForeignKeyRelation[OfferItem] = fields.ForeignKeyField(
        "billing.OfferItem", related_name="prices", on_delete=fields.CASCADE)
    offer_item_id: int
    effective_from = fields.DateField()
    # What the reseller pays the platform (set by the system admin; seen by that reseller and
    # the system admin only), in the reseller's currency.
    wholesale_price = fields.DecimalField(max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES)
    # What the client pays (set by the reseller); null: the catalogue list price in force.
    retail_price = fields.DecimalField(max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES,
                                       null=True)
    # Plans: the overage rate the client pays per unit beyond the included units; null: the
    # catalogue overage rate. The wholesale overage is the catalogue overage rate.
    retail_overage_rate = fields.DecimalField(max_digits=MONEY_DIGITS,
                                              decimal_places=MONEY_PLACES, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "billing_offer_price"
        table_description = "A version of a reseller offer prices in force from a date"
        unique_together = (("offer_item_id", "effective_from"),)


class BillingSettings(Model):
    """A reseller billing settings - who bills the clients, currency, self-service"""

    id = fields.IntField(primary_key=True)
    reseller: fields.OneToOneRelation[Reseller] = fields.OneToOneField(
        "core.Reseller", related_name=False, on_delete=fields.CASCADE)
    reseller_id: int
    # Facturation CAN: true, the reseller bills its clients and the platform bills the
    # reseller the wholesale cost on its CAN; false, the platform bills the clients at retail
    # and pays the reseller its revenue (retail - wholesale) on its CAN.
    reseller_bills_clients = fields.BooleanField(default=True)
    currency = fields.CharField(max_length=3, default="CAD")
    # A company admin or professional may change their own subscription.
    self_service = fields.BooleanField(default=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "billing_settings"
        table_description = "A reseller billing settings"


class TaxRate(Model):
    """A tax a reseller applies on its statements (none by default)"""

    id = fields.IntField(primary_key=True)
    reseller: fields.ForeignKeyRelation[Reseller] = fields.ForeignKeyField(
        "core.Reseller", related_name=False, on_delete=fields.CASCADE)
    reseller_id: int
    name = fields.CharField(max_length=100)  # e.g. TPS / GST
    # A percentage of the taxable subtotal (each tax on the same subtotal), e.g. 9.9750.
    rate = fields.DecimalField(max_digits=RATE_DIGITS, decimal_places=RATE_PLACES)
    registration_number = fields.CharField(max_length=50, default="")
    position = fields.IntField(default=0)  # the order on statements

    class Meta:
        table = "billing_tax_rate"
        table_description = "A tax a reseller applies on its statements"
        indexes = [Index(fields=("reseller_id", "position"))]


class Subscription(Model):
    """An item of its reseller offer an account subscribes to, with a quantity and dates"""

    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "core.Account", related_name=False, on_delete=fields.CASCADE)
    account_id: int
    offer_item: fields.ForeignKeyRelation[OfferItem] = fields.ForeignKeyField(
        "billing.OfferItem", related_name=False, on_delete=fields.RESTRICT)
    offer_item_id: int
    quantity = fields.IntField(default=1)
    starts_on = fields.DateField()  # first day billed
    ends_on = fields.DateField(null=True)  # first day no longer billed; null: open-ended
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "core.User", related_name=False, null=True, on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "billing_subscription"
        table_description = "An offer item an account subscribes to"
        indexes = [Index(fields=("account_id", "starts_on"))]


class Promotion(Model):
    """A promotion the system admin defines, made available to resellers"""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=MAX_CODE, unique=True)
    name_fr = fields.CharField(max_length=MAX_NAME)
    name_en = fields.CharField(max_length=MAX_NAME)
    kind = fields.CharEnumField(PromotionKind, max_length=16)
    months = fields.IntField(default=1)  # how long it lasts for a subscriber
    percent = fields.DecimalField(max_digits=RATE_DIGITS, decimal_places=RATE_PLACES,
                                  null=True)  # PERCENT_OFF
    amount = fields.DecimalField(max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES,
                                 null=True)  # AMOUNT_OFF, per month
    currency = fields.CharField(max_length=3, null=True)  # AMOUNT_OFF
    created_at = fields.DatetimeField(auto_now_add=True)
    retired_at = fields.DatetimeField(null=True)

    class Meta:
        table = "billing_promotion"
        table_description = "A promotion defined by the system admin"


class ResellerPromotion(Model):
    """A promotion at one reseller - available, requested, active or ended"""

    id = fields.IntField(primary_key=True)
    reseller: fields.ForeignKeyRelation[Reseller] = fields.ForeignKeyField(
        "core.Reseller", related_name=False, on_delete=fields.CASCADE)
    reseller_id: int
    promotion: fields.ForeignKeyRelation[Promotion] = fields.ForeignKeyField(
        "billing.Promotion", related_name=False, on_delete=fields.CASCADE)
    promotion_id: int
    status = fields.CharEnumField(ResellerPromotionStatus, max_length=16,
                                  default=ResellerPromotionStatus.AVAILABLE)
    requested_at = fields.DatetimeField(null=True)
    activated_at = fields.DatetimeField(null=True)
    ended_at = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "billing_reseller_promotion"
        table_description = "A promotion at one reseller"
        unique_together = (("reseller_id", "promotion_id"),)


class AccountPromotion(Model):
    """A promotion applied to an account created while it was active at its reseller"""

    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "core.Account", related_name=False, on_delete=fields.CASCADE)
    account_id: int
    promotion: fields.ForeignKeyRelation[Promotion] = fields.ForeignKeyField(
        "billing.Promotion", related_name=False, on_delete=fields.RESTRICT)
    promotion_id: int
    # The months it covers: from the day billing starts (the trial end, if any) for
    # ``months`` calendar months; half-open like every billing period.
    starts_on = fields.DateField()
    ends_on = fields.DateField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "billing_account_promotion"
        table_description = "A promotion applied to an account"
        unique_together = (("account_id", "promotion_id"),)
