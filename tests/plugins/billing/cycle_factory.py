"""A realistic billing month for the cycle tests, built through the offer side's services:
a catalogue, a reseller's offer with taxes and a promotion, three subscribers (one with the
promotion, one changing plan mid-cycle, one suspended for part of the cycle) and their calls.

The cycle closed is 2026-10-20 -> 2026-11-19 (31 days, closing on 2026-11-20).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from gateway.api import Account, AccountKind, BillingStatus, Principal, Role, new_can
from plugins.billing import catalogue, offer, promotions, subscriptions
from plugins.billing.catalogue import PriceInput
from plugins.billing.models import (
    ItemKind,
    PromotionKind,
    Recurrence,
    ResellerPromotion,
)
from plugins.clients.models import BillingStatusChange
from tests.plugins.callcenter.factory import call, load
from tests.support.identity_factory import Tenant, make_tenant

TORONTO = zoneinfo.ZoneInfo("America/Toronto")
SETUP_DAY = dt.date(2026, 10, 1)
CLOSE_DAY = dt.date(2026, 11, 20)
CYCLE_START = dt.date(2026, 10, 20)
SYSTEM = Principal(role=Role.SYSTEM_ADMIN)


def local(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=TORONTO)


def worked(account: Account, day: dt.date, talk: int, wrap: int, hour: int = 10) -> dict[str, Any]:
    """A billable call: answered inbound, ``talk`` + ``wrap`` seconds of agent time."""
    return call(account, local(day, hour).astimezone(dt.UTC).isoformat(), agent_seconds=talk,
                wrap_seconds=wrap)


@dataclass
class Month:
    tenant: Tenant
    items: dict[str, int] = field(default_factory=dict)  # code -> catalogue item id
    offers: dict[str, int] = field(default_factory=dict)  # code -> offer item id
    promoted: Account | None = None  # A: BASIC + REC, 20 % off for 6 months
    changing: Account | None = None  # B: BASIC, then PRO + SETUP from Nov 4
    suspended: Account | None = None  # C: BASIC, billing suspended Nov 1 - Nov 10

    @property
    def reseller_admin(self) -> Principal:
        return Principal(role=Role.RESELLER_ADMIN, user_id=self.tenant.admin.id,
                         reseller_id=self.tenant.reseller.id)


async def _item(code: str, kind: ItemKind, recurrence: Recurrence, fr: str, en: str,
                price: str, included: int = 0, overage: str = "0",
                usage_key: str = "") -> int:
    item = await catalogue.create_item(
        SYSTEM, code=code, kind=kind, recurrence=recurrence, name_fr=fr, name_en=en,
        currency="CAD", usage_key=usage_key, now=SETUP_DAY,
        price=PriceInput(list_price=Decimal(price), included_units=included,
                         overage_rate=Decimal(overage), effective_from=SETUP_DAY))
    return item.id


async def account(tenant: Tenant, name: str, language: str = "fr") -> Account:
    created = local(dt.date(2026, 9, 1), 9)
    made = await Account.create(reseller=tenant.reseller, kind=AccountKind.COMPANY, name=name,
                                can=new_can(), language=language, time_zone="America/Toronto",
                                email=f"{name.split()[0].lower()}@abonne.test",
                                billing_status=BillingStatus.IN_PRODUCTION)
    await Account.filter(id=made.id).update(created_at=created)
    change = await BillingStatusChange.create(account_id=made.id, from_status=None,
                                              to_status=BillingStatus.IN_PRODUCTION)
    await BillingStatusChange.filter(id=change.id).update(created_at=created)
    return await Account.get(id=made.id)


async def status_change(target: Account, day: dt.date, hour: int, left: BillingStatus,
                        entered: BillingStatus) -> None:
    change = await BillingStatusChange.create(account_id=target.id, from_status=left,
                                              to_status=entered)
    await BillingStatusChange.filter(id=change.id).update(created_at=local(day, hour))
    await Account.filter(id=target.id).update(billing_status=entered)


async def subscribe(month: Month, target: Account, day: dt.date, **lines: int) -> None:
    await subscriptions.set_subscription(
        month.reseller_admin, target.id,
        [subscriptions.LineInput(month.offers[code], quantity) for code, quantity in lines.items()],
        effective_from=day, now=SETUP_DAY)


async def make_month(name: str = "Télécom Alpha") -> Month:
    """The catalogue, the offer, three subscribers and their calls (see the module doc)."""
    tenant = await make_tenant(name)
    month = Month(tenant)
    reseller = tenant.reseller.id
    month.items = {
        "BASIC": await _item("PLAN-BASIC", ItemKind.PLAN, Recurrence.MONTHLY, "Forfait Base",
                             "Basic plan", "29.95", 100, "0.50", "CALL_MINUTES"),
        "PRO": await _item("PLAN-PRO", ItemKind.PLAN, Recurrence.MONTHLY, "Forfait Pro",
                           "Pro plan", "49.95", 300, "0.40", "CALL_MINUTES"),
        "REC": await _item("OPT-REC", ItemKind.OPTION, Recurrence.MONTHLY,
                           "Enregistreur d'appels", "Call recorder", "5.00"),
        "SETUP": await _item("FEE-SETUP", ItemKind.SERVICE_FEE, Recurrence.ONE_TIME,
                             "Frais d'activation", "Activation fee", "25.00"),
    }
    wholesale = {"BASIC": "20.00", "PRO": "35.00", "REC": "3.00", "SETUP": "10.00"}
    # The platform bills the clients at retail and pays the reseller its revenue.
    await offer.update_settings(SYSTEM, reseller, offer.SettingsInput(
        reseller_bills_clients=False, currency="CAD"))
    for code, item_id in month.items.items():
        made = await offer.make_available(SYSTEM, reseller_id=reseller, item_id=item_id,
                                          wholesale_price=Decimal(wholesale[code]),
                                          effective_from=SETUP_DAY, now=SETUP_DAY)
        month.offers[code] = made.id
        retail = Decimal("54.95") if code == "PRO" else None  # the others: the list price
        await offer.set_retail(month.reseller_admin, made.id, offer.RetailInput(
            selling=True, retail_price=retail, effective_from=SETUP_DAY), now=SETUP_DAY)
    await offer.set_taxes(month.reseller_admin, reseller, [
        offer.TaxInput("TPS", Decimal("5"), "123456789RT0001"),
        offer.TaxInput("TVQ", Decimal("9.975"), "1234567890TQ0001")])

    month.promoted = await account(tenant, "Acmé Plomberie œuvre")
    month.changing = await account(tenant, "Bravo Inc", language="en")
    month.suspended = await account(tenant, "Charlie Ltée")

    promotion = await promotions.create_promotion(
        SYSTEM, code="PROMO-20-6", name_fr="Rabais de 20 % les 6 premiers mois",
        name_en="20% off the first 6 months", kind=PromotionKind.PERCENT_OFF, months=6,
        percent=Decimal("20"))
    await ResellerPromotion.create(reseller_id=reseller, promotion_id=promotion.id,
                                   status="ACTIVE")
    await promotions.apply_active(month.promoted)  # created while the promotion was active
    await ResellerPromotion.filter(reseller_id=reseller).update(status="ENDED")

    await subscribe(month, month.promoted, SETUP_DAY, BASIC=1, REC=1)
    await subscribe(month, month.changing, SETUP_DAY, BASIC=1)
    await subscribe(month, month.changing, dt.date(2026, 11, 4), PRO=1, SETUP=1)
    await subscribe(month, month.suspended, SETUP_DAY, BASIC=1)
    await status_change(month.suspended, dt.date(2026, 11, 1), 12,
                        BillingStatus.IN_PRODUCTION, BillingStatus.BILLING_SUSPENDED)
    await status_change(month.suspended, dt.date(2026, 11, 11), 10,
                        BillingStatus.BILLING_SUSPENDED, BillingStatus.IN_PRODUCTION)

    a, b, c = month.promoted, month.changing, month.suspended
    await load([
        # A: 7830 s = 130.50 minutes
        worked(a, dt.date(2026, 10, 21), 3000, 600), worked(a, dt.date(2026, 11, 2), 2400, 300),
        worked(a, dt.date(2026, 11, 19), 1500, 30, hour=22),
        worked(a, dt.date(2026, 11, 20), 600, 0, hour=1),  # the next cycle
        call(a, local(dt.date(2026, 11, 3)).isoformat(), answered_at=None),  # not answered
        # B: 15000 s = 250 minutes
        worked(b, dt.date(2026, 10, 22), 6000, 0), worked(b, dt.date(2026, 11, 10), 8400, 600),
        # C: 40 minutes in production, 50 suspended, 30 in production again
        worked(c, dt.date(2026, 10, 25), 2400, 0), worked(c, dt.date(2026, 11, 5), 3000, 0),
        worked(c, dt.date(2026, 11, 15), 1800, 0),
    ])
    return month
