"""The catalogue (system admin only): items with versioned prices; a price change applies from
a date and never rewrites a closed cycle; a reseller never creates catalogue items."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from plugins.billing import catalogue, offer, pricing
from plugins.billing.catalogue import PriceInput
from plugins.billing.models import CataloguePrice
from tests.conftest import Gateway
from tests.plugins.billing.offer_support import (
    SYSTEM,
    audited,
    gql,
    gql_errors,
    make_world,
    staff,
)

CREATE = """mutation($input: CreateCatalogueItemInput!) { createCatalogueItem(input: $input) {
  item { id code kind recurrence nameFr nameEn usageKey currency
         prices { effectiveFrom listPrice { amount currency } includedUnits
                  overageRate { amount } } }
  errors { code field message } } }"""
SET_PRICE = """mutation($input: SetCataloguePriceInput!) { setCataloguePrice(input: $input) {
  item { prices { effectiveFrom listPrice { amount } } } errors { code field message } } }"""
LIST = """query($first: Int, $kind: CatalogueItemKind) {
  catalogueItems(first: $first, kind: $kind) {
  totalCount edges { node { code kind prices { listPrice { amount } } } } } }"""


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


async def test_system_admin_builds_the_catalogue_and_prices_are_versioned(
        gateway: Gateway) -> None:
    world = await make_world()
    admin = await world.headers(world.sysadmin)
    data = await gql(gateway, admin, CREATE, input={
        "code": "plan-max", "kind": "PLAN", "recurrence": "MONTHLY", "nameFr": "Forfait Max",
        "nameEn": "Max plan", "listPrice": "99.95", "currency": "CAD", "usageKey": "minute",
        "includedUnits": 2000, "overageRate": "0.035"})
    payload = data["createCatalogueItem"]
    assert payload["errors"] == []
    item = payload["item"]
    assert (item["code"], item["kind"], item["usageKey"]) == ("PLAN-MAX", "PLAN", "MINUTE")
    assert item["prices"] == [{"effectiveFrom": today().isoformat(),
                               "listPrice": {"amount": "99.9500", "currency": "CAD"},
                               "includedUnits": 2000, "overageRate": {"amount": "0.0350"}}]
    later = today() + dt.timedelta(days=10)
    data = await gql(gateway, admin, SET_PRICE, input={
        "itemId": item["id"], "listPrice": "109.95", "includedUnits": 2000,
        "overageRate": "0.035", "effectiveFrom": later.isoformat()})
    assert [p["listPrice"]["amount"] for p in data["setCataloguePrice"]["item"]["prices"]] == [
        "99.9500", "109.9500"]
    # A price in the past would rewrite a closed cycle: refused, in the caller's language.
    past = (today() - dt.timedelta(days=1)).isoformat()
    fr = await world.headers(world.sysadmin, "fr")
    data = await gql(gateway, fr, SET_PRICE, input={
        "itemId": item["id"], "listPrice": "1", "effectiveFrom": past})
    [error] = data["setCataloguePrice"]["errors"]
    assert error["code"] == "PRICE_IN_PAST"
    assert error["field"] == ["input", "effectiveFrom"]
    assert "cycle fermé" in error["message"]
    # Staff mutations are audited by the kit.
    assert await audited("createCatalogueItem") == 1
    assert await audited("setCataloguePrice") == 2
    # Listed, by code, capped.
    data = await gql(gateway, admin, LIST, first=2)
    assert data["catalogueItems"]["totalCount"] == 6
    assert len(data["catalogueItems"]["edges"]) == 2
    data = await gql(gateway, admin, LIST, first=10, kind="DEVICE")
    assert [e["node"]["code"] for e in data["catalogueItems"]["edges"]] == ["DEV-PHONE"]


async def test_bad_input_is_a_payload_error_and_nothing_is_saved(gateway: Gateway) -> None:
    world = await make_world()
    admin = await world.headers(world.sysadmin, "fr")
    base = {"code": "OPT-X", "kind": "OPTION", "recurrence": "MONTHLY", "nameFr": "X",
            "nameEn": "X", "listPrice": "5", "currency": "CAD"}
    cases = [
        ({"code": "PLAN-BASE"}, "DUPLICATE", ["input", "code"]),
        ({"code": "bad code!"}, "INVALID", ["input", "code"]),
        ({"currency": "dollars"}, "INVALID", ["input", "currency"]),
        ({"listPrice": "-1"}, "OUT_OF_RANGE", ["input", "listPrice"]),
        ({"listPrice": "1.00001"}, "OUT_OF_RANGE", ["input", "listPrice"]),
        ({"listPrice": "1e30"}, "OUT_OF_RANGE", ["input", "listPrice"]),
        ({"nameFr": "  "}, "REQUIRED", ["input", "nameFr"]),
        ({"nameEn": "x" * 201}, "TOO_LONG", ["input", "nameEn"]),
        ({"recurrence": "PER_UNIT"}, "REQUIRED", ["input", "usageKey"]),
    ]
    for change, code, field in cases:
        data = await gql(gateway, admin, CREATE, input={**base, **change})
        [error] = data["createCatalogueItem"]["errors"]
        assert (error["code"], error["field"]) == (code, field), (change, error)
        assert error["message"]
        assert data["createCatalogueItem"]["item"] is None
    assert await CataloguePrice.all().count() == 5  # only the world's


async def test_resellers_and_subscribers_never_touch_the_catalogue(gateway: Gateway) -> None:
    world = await make_world()
    for user in (world.alpha.admin, world.alpha.company_admin):
        headers = await world.headers(user)
        errors = await gql_errors(gateway, headers, CREATE, input={
            "code": "MINE", "kind": "PLAN", "recurrence": "MONTHLY", "nameFr": "a",
            "nameEn": "a", "listPrice": "1"})
        assert errors and errors[0]["extensions"]["code"] == "FORBIDDEN"
        errors = await gql_errors(gateway, headers, LIST, first=5)
        assert errors and errors[0]["extensions"]["code"] == "FORBIDDEN"
    # The services refuse too, whoever calls them.
    try:
        await catalogue.create_item(staff(world.alpha), code="MINE", kind="PLAN",
                                    recurrence="MONTHLY", name_fr="a", name_en="a",
                                    currency="CAD", price=PriceInput(Decimal(1)))
    except Exception as exc:  # noqa: BLE001
        assert getattr(exc, "code_name", "") == "NOT_FOUND"
    else:
        raise AssertionError("a reseller created a catalogue item")


async def test_prices_resolve_by_date_and_cut_periods(gateway: Gateway) -> None:
    world = await make_world()
    start = today()
    change = start + dt.timedelta(days=12)
    offer_row = await offer.make_available(SYSTEM, reseller_id=world.alpha.reseller.id,
                                           item_id=world.items["PLAN-BASE"],
                                           wholesale_price=Decimal("18"))
    await offer.set_retail(staff(world.alpha), offer_row.id, offer.RetailInput(True))
    await catalogue.set_price(SYSTEM, world.items["PLAN-BASE"],
                              PriceInput(Decimal("33"), 150, Decimal("0.45"), change))
    # The reseller keeps the list price (retail null): it follows the catalogue's change.
    before = (await pricing.prices_on([offer_row.id], start))[offer_row.id]
    after = (await pricing.prices_on([offer_row.id], change))[offer_row.id]
    assert (before.retail_price, before.included_units) == (Decimal("30"), 100)
    assert (after.retail_price, after.included_units, after.overage_rate) == (
        Decimal("33"), 150, Decimal("0.45"))
    assert before.wholesale_price == after.wholesale_price == Decimal("18")
    # The reseller's page lists the versions, planned ones included, with its wholesale.
    from tests.plugins.billing.test_offer import gid

    versions_query = """query($id: ID!) { node(id: $id) { ... on OfferItem {
      priceVersions { effectiveFrom retailPrice wholesalePrice } } } }"""
    alpha = await world.headers(world.alpha.admin)
    data = await gql(gateway, alpha, versions_query, id=gid("OfferItem", offer_row.id))
    assert data["node"]["priceVersions"] == [{"effectiveFrom": start.isoformat(),
                                              "retailPrice": None,
                                              "wholesalePrice": "18.0000"}]
    # Nothing is priced before the first version.
    assert await pricing.prices_on([offer_row.id], start - dt.timedelta(days=1)) == {}
    end = start + dt.timedelta(days=31)
    [first, second] = (await pricing.price_segments([offer_row.id], start, end))[offer_row.id]
    assert (first.start, first.end, first.days, first.price.retail_price) == (
        start, change, 12, Decimal("30"))
    assert (second.start, second.end, second.days, second.price.retail_price) == (
        change, end, 19, Decimal("33"))
