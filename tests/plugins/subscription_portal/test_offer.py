"""The portal's plan and options come from the reseller's billing offer when it has one
(issue 20: "a plan and options from the reseller's offer with the priced preview"): a plan
list and option boxes at retail prices, in the page's language, a monthly total, and the
account subscribed to what was chosen."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from gateway.api import Principal, Role
from gateway.identity.models import Account
from plugins.billing import catalogue, offer
from plugins.billing.catalogue import PriceInput
from plugins.billing.models import CatalogueItem, ItemKind, OfferItem, Recurrence, Subscription
from tests.conftest import Gateway
from tests.plugins.subscription_portal.support import (
    ADMIN,
    CUSTOMER,
    follow,
    link_path,
    send,
    stock,
)
from tests.support.identity_factory import Tenant, make_tenant

SYSTEM = Principal(role=Role.SYSTEM_ADMIN)


async def _sell(tenant: Tenant, code: str, kind: ItemKind, fr: str, en: str, price: str,
                retail: str | None = None, selling: bool = True) -> None:
    day = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    item = await catalogue.create_item(
        SYSTEM, code=code, kind=kind, recurrence=Recurrence.MONTHLY, name_fr=fr, name_en=en,
        currency="CAD", usage_key="", now=day,
        price=PriceInput(list_price=Decimal(price), included_units=0,
                         overage_rate=Decimal("0"), effective_from=day))
    made = await offer.make_available(SYSTEM, reseller_id=tenant.reseller.id, item_id=item.id,
                                      wholesale_price=Decimal("1.00"), effective_from=day,
                                      now=day)
    staff = Principal(role=Role.RESELLER_ADMIN, user_id=tenant.admin.id,
                      reseller_id=tenant.reseller.id)
    await offer.set_retail(staff, made.id, offer.RetailInput(
        selling=selling, retail_price=Decimal(retail) if retail else None, effective_from=day),
        now=day)


async def test_the_plan_step_offers_the_resellers_priced_items(gateway: Gateway) -> None:
    alpha = await make_tenant("Alpha Télécom")
    await _sell(alpha, "PLAN-BASE", ItemKind.PLAN, "Forfait Base", "Basic plan", "29.95")
    await _sell(alpha, "PLAN-PRO", ItemKind.PLAN, "Forfait Pro", "Pro plan", "49.95", "54.95")
    await _sell(alpha, "OPT-FAX", ItemKind.OPTION, "Télécopie", "Fax", "5.00")
    await _sell(alpha, "OPT-HIDDEN", ItemKind.OPTION, "Caché", "Hidden", "9.00", selling=False)
    beta = await make_tenant("Beta Réseau")
    await _sell(beta, "PLAN-BETA", ItemKind.PLAN, "Forfait Bêta", "Beta plan", "19.00")

    await stock(alpha.reseller)
    path = await link_path(gateway, alpha.reseller)
    page = await gateway.client.get(path, headers={"Accept-Language": "fr"})
    page = await follow(gateway, await send(gateway, page, CUSTOMER))
    page = await follow(gateway, await send(gateway, page, ADMIN))
    # A plan list and option boxes at the reseller's retail prices (fr: decimal comma).
    assert '<select id="f-plan" name="plan"' in page.text
    assert "Forfait Pro - 54,95 CAD" in page.text and "Forfait Base - 29,95 CAD" in page.text
    assert 'name="option.OPT-FAX"' in page.text and "Télécopie - 5,00 CAD" in page.text
    assert "OPT-HIDDEN" not in page.text and "Caché" not in page.text  # not sold
    assert "PLAN-BETA" not in page.text and "Bêta" not in page.text  # another reseller's

    # A code the reseller does not sell is refused next to the field, nothing chosen saved.
    bad = await send(gateway, page, {"plan": "PLAN-BETA"})
    assert bad.status_code == 400 and 'id="plan-error"' in bad.text

    page = await follow(gateway, await send(gateway, page, {"plan": "PLAN-PRO",
                                                            "option.OPT-FAX": "OPT-FAX"}))
    page = await follow(gateway, await send(gateway, page, {"type.0": "LOCAL",
                                                            "areaCode.0": "514"}))
    page = await follow(gateway, await send(gateway, page, {
        "invoiceEmail": "compta@boulangerie-portail.test", "terms": "on"}))
    # The confirmation's priced preview: the chosen items and their monthly total, to the cent.
    preview = re.sub(r"\s+", " ", page.text)
    assert "<td>Forfait Pro</td><td>54,95 CAD</td>" in preview
    assert "<td>Télécopie</td><td>5,00 CAD</td>" in preview
    assert "59,95 CAD</th>" in preview  # 54.95 + 5.00
    done = await send(gateway, page, {})
    assert done.status_code == 200, done.text
    account = await Account.get(reseller_id=alpha.reseller.id, name=CUSTOMER["name"])
    offer_items = await Subscription.filter(account_id=account.id).values_list(
        "offer_item_id", flat=True)
    item_ids = await OfferItem.filter(id__in=offer_items).values_list("item_id", flat=True)
    codes = await CatalogueItem.filter(id__in=item_ids).order_by("code").values_list(
        "code", flat=True)
    assert codes == ["OPT-FAX", "PLAN-PRO"]


async def test_english_names_and_prices(gateway: Gateway) -> None:
    alpha = await make_tenant("Alpha Télécom")
    await _sell(alpha, "PLAN-BASE", ItemKind.PLAN, "Forfait Base", "Basic plan", "1234.5")
    path = await link_path(gateway, alpha.reseller)
    page = await gateway.client.get(f"{path}?lang=en")
    page = await follow(gateway, await send(gateway, page, {**CUSTOMER, "language": "en"}))
    page = await follow(gateway, await send(gateway, page, ADMIN))
    assert "Basic plan - 1 234.50 CAD" in page.text and "Forfait" not in page.text


async def test_a_reseller_selling_nothing_yet_keeps_typed_choices(gateway: Gateway) -> None:
    gamma = await make_tenant("Gamma Voix")
    path = await link_path(gateway, gamma.reseller)
    page = await gateway.client.get(path, headers={"Accept-Language": "fr"})
    page = await follow(gateway, await send(gateway, page, CUSTOMER))
    page = await follow(gateway, await send(gateway, page, ADMIN))
    assert '<input type="text" id="f-plan" name="plan"' in page.text
    assert '<select id="f-plan"' not in page.text
