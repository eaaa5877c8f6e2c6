"""A reseller's offer ("Forfaits"): the system admin makes items available at a wholesale
price, the reseller sells them at its retail price; nobody sees another reseller's wholesale
prices; billing settings ("Facturation CAN", currency, self-service) and taxes."""

from __future__ import annotations

from decimal import Decimal

from plugins.billing import offer
from plugins.billing.models import OfferItem
from tests.conftest import Gateway, QueryLog
from tests.plugins.billing.offer_support import (
    SYSTEM,
    audited,
    gql,
    gql_errors,
    make_world,
    sell,
)

OFFER_CATALOGUE_ITEM = """mutation($input: OfferCatalogueItemInput!) {
  offerCatalogueItem(input: $input) {
    offerItem { id code available selling prices { wholesalePrice { amount currency }
                retailPrice { amount } } }
    errors { code field message } } }"""
SET_RETAIL = """mutation($input: SetOfferItemRetailInput!) { setOfferItemRetail(input: $input) {
  offerItem { id selling prices { retailPrice { amount currency } listPrice { amount }
              wholesalePrice { amount } overageRate { amount } includedUnits } }
  errors { code field message } } }"""
OFFER = """query($first: Int, $selling: Boolean, $resellerId: ID) {
  offerItems(first: $first, selling: $selling, resellerId: $resellerId) { totalCount
    edges { node { id code name kind recurrence selling
      prices { retailPrice { amount currency } wholesalePrice { amount }
               wholesaleOverageRate { amount } } } } } }"""
SETTINGS = """query($resellerId: ID) { billingSettings(resellerId: $resellerId) {
  resellerBillsClients currency selfService taxes { name rate registrationNumber } } }"""
UPDATE_SETTINGS = """mutation($input: UpdateBillingSettingsInput!) {
  updateBillingSettings(input: $input) { settings { resellerBillsClients currency selfService }
  errors { code field message } } }"""
SET_TAXES = """mutation($input: SetTaxesInput!) { setBillingTaxes(input: $input) {
  settings { taxes { name rate registrationNumber } } errors { code field message } } }"""


def gid(type_name: str, pk: int) -> str:
    from strawberry import relay

    return relay.to_base64(type_name, pk)


async def test_offer_wholesale_and_retail_stay_with_their_reseller(
        gateway: Gateway, count_queries: QueryLog) -> None:
    world = await make_world()
    sysadmin = await world.headers(world.sysadmin)
    data = await gql(gateway, sysadmin, OFFER_CATALOGUE_ITEM, input={
        "resellerId": gid("Reseller", world.alpha.reseller.id),
        "itemId": gid("CatalogueItem", world.items["PLAN-BASE"]), "wholesalePrice": "18.00"})
    created = data["offerCatalogueItem"]["offerItem"]
    assert created["available"] is True and created["selling"] is False
    assert created["prices"]["wholesalePrice"] == {"amount": "18.0000", "currency": "CAD"}
    assert created["prices"]["retailPrice"]["amount"] == "30.0000"  # the list price
    alpha = await world.headers(world.alpha.admin)
    data = await gql(gateway, alpha, SET_RETAIL, input={
        "offerItemId": created["id"], "selling": True, "retailPrice": "34.95",
        "retailOverageRate": "0.55"})
    sold = data["setOfferItemRetail"]["offerItem"]
    assert sold["selling"] is True
    assert sold["prices"]["retailPrice"] == {"amount": "34.9500", "currency": "CAD"}
    assert sold["prices"]["wholesalePrice"] == {"amount": "18.0000"}  # the reseller's own
    assert sold["prices"]["overageRate"] == {"amount": "0.5500"}
    assert sold["prices"]["includedUnits"] == 100
    assert await audited("setOfferItemRetail") == 1
    # Bravo: Alpha's offer item is not found, its list is empty, it cannot name Alpha.
    bravo = await world.headers(world.bravo.admin, "fr")
    data = await gql(gateway, bravo, SET_RETAIL, input={
        "offerItemId": created["id"], "selling": False})
    [error] = data["setOfferItemRetail"]["errors"]
    assert (error["code"], error["field"]) == ("NOT_FOUND", ["input", "offerItemId"])
    assert error["message"] == "Cet article n'existe pas dans l'offre."
    data = await gql(gateway, bravo, OFFER, first=10)
    assert data["offerItems"]["totalCount"] == 0
    node = "query($id: ID!) { node(id: $id) { ... on OfferItem { code } } }"
    assert (await gql(gateway, bravo, node, id=created["id"]))["node"] is None
    assert (await gql(gateway, alpha, node, id=created["id"]))["node"] == {"code": "PLAN-BASE"}
    errors = await gql_errors(gateway, bravo, OFFER, first=10,
                              resellerId=gid("Reseller", world.alpha.reseller.id))
    assert errors and errors[0]["extensions"]["code"] == "NOT_FOUND"
    # Alpha's subscribers see what Alpha sells, without any wholesale price.
    for i, code in enumerate(("OPT-REC", "DEV-PHONE", "FEE-SETUP")):
        await sell(world, world.alpha, code, "2.00", None if i else "6.50")
    await offer.make_available(SYSTEM, reseller_id=world.alpha.reseller.id,
                               item_id=world.items["PLAN-PRO"], wholesale_price=Decimal(40))
    for user in (world.alpha.company_admin, world.alpha.employee, world.alpha.professional):
        headers = await world.headers(user, "fr")
        data = await gql(gateway, headers, OFFER, first=20)
        nodes = [edge["node"] for edge in data["offerItems"]["edges"]]
        assert {n["code"] for n in nodes} == {"PLAN-BASE", "OPT-REC", "DEV-PHONE", "FEE-SETUP"}
        assert all(n["prices"]["wholesalePrice"] is None for n in nodes)
        assert all(n["prices"]["wholesaleOverageRate"] is None for n in nodes)
        assert {n["name"] for n in nodes} >= {"Forfait de base", "Téléphone IP"}
    # Alpha's staff see the item it does not sell yet, with wholesale; one page costs the
    # same SQL whatever its size.
    counts = {}
    for first in (1, 5):
        with count_queries() as statements:
            data = await gql(gateway, alpha, OFFER, first=first)
        counts[first] = len(statements)
    assert data["offerItems"]["totalCount"] == 5
    assert all(e["node"]["prices"]["wholesalePrice"] for e in data["offerItems"]["edges"])
    assert counts[1] == counts[5]


async def test_a_foreign_currency_item_needs_its_own_retail_price(gateway: Gateway) -> None:
    world = await make_world()
    from plugins.billing import catalogue
    from plugins.billing.catalogue import PriceInput

    usd = await catalogue.create_item(SYSTEM, code="DEV-US", kind="DEVICE",
                                      recurrence="ONE_TIME", name_fr="Casque",
                                      name_en="Headset", currency="USD",
                                      price=PriceInput(Decimal("80")))
    row = await offer.make_available(SYSTEM, reseller_id=world.alpha.reseller.id,
                                     item_id=usd.id, wholesale_price=Decimal("90"))
    alpha = await world.headers(world.alpha.admin)
    data = await gql(gateway, alpha, SET_RETAIL, input={
        "offerItemId": gid("OfferItem", row.id), "selling": True})
    [error] = data["setOfferItemRetail"]["errors"]
    assert error["code"] == "CURRENCY_MISMATCH"
    assert "USD" in error["message"] and "CAD" in error["message"]
    assert not (await OfferItem.get(id=row.id)).selling  # nothing half-saved
    data = await gql(gateway, alpha, SET_RETAIL, input={
        "offerItemId": gid("OfferItem", row.id), "selling": True, "retailPrice": "109.99"})
    assert data["setOfferItemRetail"]["offerItem"]["prices"]["retailPrice"] == {
        "amount": "109.9900", "currency": "CAD"}


async def test_billing_settings_and_taxes(gateway: Gateway) -> None:
    world = await make_world()
    alpha = await world.headers(world.alpha.admin, "fr")
    data = await gql(gateway, alpha, SETTINGS)
    assert data["billingSettings"] == {"resellerBillsClients": True, "currency": "CAD",
                                       "selfService": True, "taxes": []}  # none by default
    # The reseller decides self-service; who bills and the currency are the platform's.
    data = await gql(gateway, alpha, UPDATE_SETTINGS, input={"selfService": False})
    assert data["updateBillingSettings"]["settings"]["selfService"] is False
    data = await gql(gateway, alpha, UPDATE_SETTINGS, input={"resellerBillsClients": False})
    [error] = data["updateBillingSettings"]["errors"]
    assert (error["code"], error["field"]) == ("INVALID", ["input", "resellerBillsClients"])
    assert "administrateur-système" in error["message"]
    sysadmin = await world.headers(world.sysadmin)
    alpha_id = gid("Reseller", world.alpha.reseller.id)
    data = await gql(gateway, sysadmin, UPDATE_SETTINGS, input={
        "resellerId": alpha_id, "resellerBillsClients": False, "currency": "usd"})
    assert data["updateBillingSettings"]["settings"] == {
        "resellerBillsClients": False, "currency": "USD", "selfService": False}
    # Once the reseller has an offer, its currency is fixed (its prices are in it).
    await sell(world, world.alpha, "PLAN-BASE", "18", "30")
    data = await gql(gateway, sysadmin, UPDATE_SETTINGS, input={
        "resellerId": alpha_id, "currency": "EUR"})
    assert data["updateBillingSettings"]["errors"][0]["code"] == "INVALID"
    # Taxes: name, rate, registration number, in order; checked; replaced whole.
    taxes = [{"name": "TPS", "rate": "5", "registrationNumber": "123456789 RT0001"},
             {"name": "TVQ", "rate": "9.975", "registrationNumber": "1234567890 TQ0001"}]
    data = await gql(gateway, alpha, SET_TAXES, input={"taxes": taxes})
    assert data["setBillingTaxes"]["settings"]["taxes"] == [
        {"name": "TPS", "rate": "5.0000", "registrationNumber": "123456789 RT0001"},
        {"name": "TVQ", "rate": "9.9750", "registrationNumber": "1234567890 TQ0001"}]
    data = await gql(gateway, alpha, SET_TAXES, input={"taxes": [
        taxes[0], {"name": "TVQ", "rate": "101"}]})
    [error] = data["setBillingTaxes"]["errors"]
    assert (error["code"], error["field"]) == ("OUT_OF_RANGE", ["input", "taxes", "1", "rate"])
    assert "pourcentage" in error["message"]
    data = await gql(gateway, alpha, SET_TAXES, input={"taxes": [taxes[0]] * 11})
    assert data["setBillingTaxes"]["errors"][0]["code"] == "TOO_MANY"
    data = await gql(gateway, alpha, SETTINGS)
    assert len(data["billingSettings"]["taxes"]) == 2  # nothing half-saved
    # Bravo cannot read or change Alpha's settings.
    bravo = await world.headers(world.bravo.admin)
    errors = await gql_errors(gateway, bravo, SETTINGS, resellerId=alpha_id)
    assert errors and errors[0]["extensions"]["code"] == "NOT_FOUND"
    data = await gql(gateway, bravo, SET_TAXES, input={"resellerId": alpha_id, "taxes": []})
    assert data["setBillingTaxes"]["errors"][0]["code"] == "NOT_FOUND"
    # Subscribers have no access to billing settings.
    company = await world.headers(world.alpha.company_admin)
    errors = await gql_errors(gateway, company, SETTINGS)
    assert errors and errors[0]["extensions"]["code"] == "FORBIDDEN"
