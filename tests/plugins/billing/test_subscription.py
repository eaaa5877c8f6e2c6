"""An account's subscription: items of its reseller's offer only, with quantities and dates;
staff change it, a company admin or professional their own when the reseller allows it; no
option during "Essai gratuit"; the sign-up's "Abonnement" step picks from the offer; the
invoice preview prices it all."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from strawberry import relay

from gateway.api import BillingStatus, sign
from gateway.identity.models import Account
from plugins.billing import offer, promotions, subscriptions
from plugins.billing.models import AccountPromotion, Subscription
from plugins.clients.models import SignupDraft
from tests.conftest import Gateway, QueryLog
from tests.plugins.billing.offer_support import (
    SYSTEM,
    audited,
    gql,
    gql_errors,
    make_world,
    sell,
    staff,
)
from tests.plugins.billing.test_offer import gid

SET = """mutation($input: SetSubscriptionInput!) { setSubscription(input: $input) {
  lines { code kind name quantity startsOn endsOn offerItemId unitPrice { amount currency } }
  errors { code field message } } }"""
LINES = """query($accountId: ID!, $on: Date, $all: Boolean) {
  subscriptionLines(accountId: $accountId, on: $on, all: $all, first: 50) { totalCount
    edges { node { code name kind quantity startsOn endsOn unitPrice { amount } } } } }"""


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


async def _offer(world: object) -> dict[str, int]:
    from tests.plugins.billing.offer_support import World

    assert isinstance(world, World)
    await Account.filter(reseller_id=world.alpha.reseller.id).update(
        billing_status=BillingStatus.IN_PRODUCTION)
    return {
        "PLAN-BASE": await sell(world, world.alpha, "PLAN-BASE", "18", "30"),
        "PLAN-PRO": await sell(world, world.alpha, "PLAN-PRO", "35", "60"),
        "OPT-REC": await sell(world, world.alpha, "OPT-REC", "2", "5"),
        "DEV-PHONE": await sell(world, world.alpha, "DEV-PHONE", "90", "120"),
    }


def line(offer_item_id: int, quantity: int = 1) -> dict[str, object]:
    return {"offerItemId": gid("OfferItem", offer_item_id), "quantity": quantity}


async def test_staff_change_a_subscription_mid_cycle(gateway: Gateway,
                                                     count_queries: QueryLog) -> None:
    world = await make_world()
    offers = await _offer(world)
    account = world.alpha.company
    account_id = gid("Account", account.id)
    alpha = await world.headers(world.alpha.admin)
    data = await gql(gateway, alpha, SET, input={"accountId": account_id, "lines": [
        line(offers["PLAN-BASE"]), line(offers["OPT-REC"], 2)]})
    lines = data["setSubscription"]["lines"]
    assert data["setSubscription"]["errors"] == []
    assert sorted((x["code"], x["quantity"], x["startsOn"], x["endsOn"]) for x in lines) == [
        ("OPT-REC", 2, today().isoformat(), None), ("PLAN-BASE", 1, today().isoformat(), None)]
    assert {x["unitPrice"]["amount"] for x in lines} == {"30.0000", "5.0000"}
    # From the 5th day on: the Pro plan instead, the option unchanged.
    change = today() + dt.timedelta(days=5)
    data = await gql(gateway, alpha, SET, input={
        "accountId": account_id, "effectiveFrom": change.isoformat(),
        "lines": [line(offers["PLAN-PRO"]), line(offers["OPT-REC"], 2)]})
    assert sorted(x["code"] for x in data["setSubscription"]["lines"]) == ["OPT-REC", "PLAN-PRO"]
    rows = await Subscription.filter(account_id=account.id).order_by("id").values(
        "offer_item_id", "starts_on", "ends_on", "quantity")
    assert rows == [
        {"offer_item_id": offers["PLAN-BASE"], "starts_on": today(), "ends_on": change,
         "quantity": 1},
        {"offer_item_id": offers["OPT-REC"], "starts_on": today(), "ends_on": None,
         "quantity": 2},
        {"offer_item_id": offers["PLAN-PRO"], "starts_on": change, "ends_on": None,
         "quantity": 1},
    ]
    data = await gql(gateway, alpha, LINES, accountId=account_id)
    assert {e["node"]["code"] for e in data["subscriptionLines"]["edges"]} == {
        "PLAN-BASE", "OPT-REC"}
    data = await gql(gateway, alpha, LINES, accountId=account_id, on=change.isoformat())
    assert {e["node"]["code"] for e in data["subscriptionLines"]["edges"]} == {
        "PLAN-PRO", "OPT-REC"}
    data = await gql(gateway, alpha, LINES, accountId=account_id, all=True)
    assert data["subscriptionLines"]["totalCount"] == 3
    counts = {}
    for first in (1, 3):
        with count_queries() as statements:
            data = await gql(gateway, alpha, LINES.replace("first: 50", f"first: {first}"),
                             accountId=account_id, all=True)
        counts[first] = len(statements)
    assert len(data["subscriptionLines"]["edges"]) == 3 and counts[1] == counts[3]
    assert await audited("setSubscription") == 2
    # Refusals: each with its code and field, nothing half-saved.
    bravo_offer = await sell(world, world.bravo, "PLAN-BASE", "18")
    await offer.make_available(SYSTEM, reseller_id=world.alpha.reseller.id,
                               item_id=world.items["FEE-SETUP"], wholesale_price=Decimal(1))
    not_sold = await offer.offer_item_for(SYSTEM, (await offer.offer_visible(SYSTEM).filter(
        item_id=world.items["FEE-SETUP"]).first()).id)  # type: ignore[union-attr]
    cases = [
        ([line(bravo_offer)], "NOT_FOUND", ["input", "lines", "0", "offerItemId"]),
        ([line(not_sold.id)], "NOT_IN_OFFER", ["input", "lines", "0", "offerItemId"]),
        ([line(offers["PLAN-BASE"]), line(offers["PLAN-PRO"])], "INVALID",
         ["input", "lines", "1", "offerItemId"]),
        ([line(offers["OPT-REC"], 0)], "OUT_OF_RANGE", ["input", "lines", "0", "quantity"]),
        ([line(offers["OPT-REC"])] * 2, "DUPLICATE", ["input", "lines", "1", "offerItemId"]),
        ([line(offers["OPT-REC"])] * 101, "TOO_MANY", ["input", "lines"]),
    ]
    before = await Subscription.all().count()
    for lines_in, code, field in cases:
        data = await gql(gateway, alpha, SET, input={"accountId": account_id,
                                                     "lines": lines_in})
        [error] = data["setSubscription"]["errors"]
        assert (error["code"], error["field"]) == (code, field), (lines_in[:2], error)
    data = await gql(gateway, alpha, SET, input={
        "accountId": account_id, "lines": [], "effectiveFrom": "2020-01-01"})
    assert data["setSubscription"]["errors"][0]["code"] == "PRICE_IN_PAST"
    assert await Subscription.all().count() == before
    # Another reseller's account is not found, for staff and in the query.
    bravo = await world.headers(world.bravo.admin)
    data = await gql(gateway, bravo, SET, input={"accountId": account_id, "lines": []})
    assert data["setSubscription"]["errors"][0]["code"] == "NOT_FOUND"
    errors = await gql_errors(gateway, bravo, LINES, accountId=account_id)
    assert errors and errors[0]["extensions"]["code"] == "NOT_FOUND"


async def test_free_trial_guard_and_self_service(gateway: Gateway) -> None:
    world = await make_world()
    offers = await _offer(world)
    account = world.alpha.company
    await Account.filter(id=account.id).update(billing_status=BillingStatus.FREE_TRIAL)
    account_id = gid("Account", account.id)
    own = await world.headers(world.alpha.company_admin, "fr")
    # Self-service: the company admin picks a plan during the trial ...
    data = await gql(gateway, own, SET, input={"accountId": account_id,
                                               "lines": [line(offers["PLAN-BASE"])]})
    assert data["setSubscription"]["errors"] == []
    # ... but adds no option nor device until the account is in production (the seed).
    for extra in ("OPT-REC", "DEV-PHONE"):
        data = await gql(gateway, own, SET, input={"accountId": account_id, "lines": [
            line(offers["PLAN-BASE"]), line(offers[extra])]})
        [error] = data["setSubscription"]["errors"]
        assert (error["code"], error["field"]) == ("FREE_TRIAL_RESTRICTION",
                                                   ["input", "lines", "1"])
        assert "essai gratuit" in error["message"].lower()
    await Account.filter(id=account.id).update(billing_status=BillingStatus.IN_PRODUCTION)
    data = await gql(gateway, own, SET, input={"accountId": account_id, "lines": [
        line(offers["PLAN-BASE"]), line(offers["OPT-REC"])]})
    assert data["setSubscription"]["errors"] == []
    # The professional too, on their own account only.
    pro = await world.headers(world.alpha.professional)
    data = await gql(gateway, pro, SET, input={
        "accountId": gid("Account", world.alpha.professional_account.id),
        "lines": [line(offers["PLAN-PRO"])]})
    assert data["setSubscription"]["errors"] == []
    data = await gql(gateway, pro, SET, input={"accountId": account_id, "lines": []})
    assert data["setSubscription"]["errors"][0]["code"] == "NOT_FOUND"
    # An employee never; nobody once the reseller turns self-service off.
    employee = await world.headers(world.alpha.employee)
    errors = await gql_errors(gateway, employee, SET, input={"accountId": account_id,
                                                             "lines": []})
    assert errors and errors[0]["extensions"]["code"] == "FORBIDDEN"
    await offer.update_settings(staff(world.alpha), None,
                                offer.SettingsInput(self_service=False))
    data = await gql(gateway, own, SET, input={"accountId": account_id, "lines": []})
    [error] = data["setSubscription"]["errors"]
    assert error["code"] == "SELF_SERVICE_DISABLED"
    assert "fournisseur" in error["message"]
    assert len(await subscriptions.lines_on(account.id, today())) == 2
    # Unsubscribed: frozen, even for staff.
    await Account.filter(id=account.id).update(billing_status=BillingStatus.UNSUBSCRIBED)
    alpha = await world.headers(world.alpha.admin)
    data = await gql(gateway, alpha, SET, input={"accountId": account_id, "lines": []})
    assert data["setSubscription"]["errors"][0]["code"] == "ACCOUNT_UNSUBSCRIBED"


async def test_restrictions_of_the_account_refuse_its_own_users_not_staff(
        gateway: Gateway) -> None:
    # "Restrictions de gestion du compte": a professional account "géré par l'administrateur"
    # may not change its plans, nor a company whose reseller chose "Interdire la gestion des
    # utilisateurs"; the reseller's staff still may.
    from plugins.account_settings.api import AccountOptions

    world = await make_world()
    offers = await _offer(world)
    pro_account = world.alpha.professional_account
    company = world.alpha.company
    alpha = await world.headers(world.alpha.admin)
    cases = [(pro_account, world.alpha.professional, "admin_managed", "géré par l'administrateur"),
             (company, world.alpha.company_admin, "forbid_user_management", "fournisseur")]
    for account, user, flag, words in cases:
        account_id = gid("Account", account.id)
        own = await world.headers(user, "fr")
        wanted = {"accountId": account_id, "lines": [line(offers["PLAN-BASE"])]}
        assert (await gql(gateway, own, SET, input=wanted))["setSubscription"]["errors"] == []
        # The other flag does not concern this kind of account.
        other = ({"admin_managed", "forbid_user_management"} - {flag}).pop()
        await AccountOptions.update_or_create(account_id=account.id, defaults={other: True})
        wanted["lines"] = [line(offers["PLAN-PRO"])]
        assert (await gql(gateway, own, SET, input=wanted))["setSubscription"]["errors"] == []
        await AccountOptions.filter(account_id=account.id).update(**{flag: True})
        wanted["lines"] = [line(offers["PLAN-BASE"])]
        [error] = (await gql(gateway, own, SET, input=wanted))["setSubscription"]["errors"]
        assert (error["code"], error["field"]) == ("MANAGED_BY_PROVIDER", ["input"])
        assert words in error["message"] and "abonnement" in error["message"]
        english = await world.headers(user, "en")
        [error] = (await gql(gateway, english, SET, input=wanted))["setSubscription"]["errors"]
        assert "ask your provider" in error["message"]
        assert [x.offer_item_id for x in await subscriptions.lines_on(account.id, today())] == [
            offers["PLAN-PRO"]]
        # Staff still change it.
        data = await gql(gateway, alpha, SET, input=wanted)
        assert data["setSubscription"]["errors"] == []
        assert [x.offer_item_id for x in await subscriptions.lines_on(account.id, today())] == [
            offers["PLAN-BASE"]]


SAVE_DRAFT = """mutation($input: SaveSignupDraftInput!) { saveSignupDraft(input: $input) {
  draft { id } errors { code field message } } }"""
COMPLETE = """mutation($input: CompleteSignupInput!) { completeSignup(input: $input) {
  account { id } errors { code field message } } }"""
SIGNUP_OFFER = """query($token: String!) { signupOfferItems(token: $token, first: 20) {
  edges { node { code name prices { retailPrice { amount } wholesalePrice { amount } } } } } }"""
ACCOUNT_PROMOTIONS = """query($id: ID!) { accountPromotions(accountId: $id, first: 5) {
  edges { node { name kind startsOn endsOn } } } }"""
PREVIEW = """query($id: ID!) { invoicePreview(accountId: $id) {
  lines { description quantity amount { amount currency } } total { amount currency } } }"""


async def test_signup_picks_from_the_offer_and_the_preview_prices_it(gateway: Gateway) -> None:
    world = await make_world()
    await _offer(world)
    await offer.set_taxes(staff(world.alpha), None, [
        offer.TaxInput("TPS", Decimal(5), "123456789 RT0001"),
        offer.TaxInput("TVQ", Decimal("9.975"), "1234567890 TQ0001")])
    promotion = await promotions.create_promotion(
        SYSTEM, code="FIRST20", name_fr="20 % les 6 premiers mois",
        name_en="20% off the first 6 months", kind="PERCENT_OFF", months=6,
        percent=Decimal(20))
    at_alpha = await promotions.make_available(SYSTEM, promotion.id, world.alpha.reseller.id)
    await promotions.move(staff(world.alpha), at_alpha.id, "REQUESTED")
    await promotions.move(SYSTEM, at_alpha.id, "ACTIVE")
    alpha = await world.headers(world.alpha.admin, "fr")
    steps = {
        "kind": "COMPANY",
        "customer": {"name": "Œuvres Côté Jardin", "email": "jardin@example.test",
                     "timeZone": "America/Toronto", "language": "fr"},
        "administrator": {"firstName": "Zoé", "lastName": "Lefèvre"},
        "activation": {"billingStatus": "FREE_TRIAL", "trialDays": 30},
    }
    # A code the reseller does not sell, or of the wrong kind, is refused at the step.
    data = await gql(gateway, alpha, SAVE_DRAFT, input={**steps, "subscription": {
        "plan": "PLAN-GOLD", "options": ["PLAN-PRO"]}})
    errors = data["saveSignupDraft"]["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [
        ("INVALID", ["input", "subscription", "plan"]),
        ("INVALID", ["input", "subscription", "options", "0"])]
    assert "PLAN-GOLD" in errors[0]["message"] and "offre" in errors[0]["message"]
    data = await gql(gateway, alpha, SAVE_DRAFT, input={**steps, "subscription": {
        "plan": "plan-base", "options": ["OPT-REC"],
        "devices": [{"model": "DEV-PHONE", "quantity": 2}]}})
    assert data["saveSignupDraft"]["errors"] == []
    # The client following their emailed link sees what the reseller sells, at retail.
    draft_pk = int(relay.from_base64(data["saveSignupDraft"]["draft"]["id"])[1])
    await SignupDraft.filter(id=draft_pk).update(link_nonce="n" * 32)
    token = sign(gateway.app.state.host.settings.secret_key, "clients.signup-link",
                 {"d": draft_pk, "n": "n" * 32})
    offered = await gql(gateway, {}, SIGNUP_OFFER, token=token)
    nodes = [e["node"] for e in offered["signupOfferItems"]["edges"]]
    assert {n["code"] for n in nodes} == {"PLAN-BASE", "PLAN-PRO", "OPT-REC", "DEV-PHONE"}
    assert all(n["prices"]["wholesalePrice"] is None for n in nodes)
    errors = await gql_errors(gateway, {}, SIGNUP_OFFER, token=token + "x")
    assert errors and errors[0]["extensions"]["code"] == "LINK_INVALID"
    data = await gql(gateway, alpha, COMPLETE, input={"id": data["saveSignupDraft"]["draft"][
        "id"]})
    assert data["completeSignup"]["errors"] == []
    account_id = data["completeSignup"]["account"]["id"]
    account = await Account.get(name="Œuvres Côté Jardin")
    lines = await subscriptions.lines_on(account.id, today())
    assert sorted(x.quantity for x in lines) == [1, 1, 2]
    [applied] = await AccountPromotion.filter(account_id=account.id)
    assert account.trial_ends_at is not None
    trial_end = account.trial_ends_at.date()
    assert (applied.starts_on, applied.ends_on.month) == (
        trial_end, (trial_end.month + 5) % 12 + 1)
    mine = await gql(gateway, alpha, ACCOUNT_PROMOTIONS, id=account_id)
    assert [e["node"] for e in mine["accountPromotions"]["edges"]] == [{
        "name": "20 % les 6 premiers mois", "kind": "PERCENT_OFF",
        "startsOn": applied.starts_on.isoformat(), "endsOn": applied.ends_on.isoformat()}]
    bravo = await world.headers(world.bravo.admin)
    errors = await gql_errors(gateway, bravo, ACCOUNT_PROMOTIONS, id=account_id)
    assert errors and errors[0]["extensions"]["code"] == "NOT_FOUND"
    # The preview: priced lines, the trial, the promotion, the taxes, the total (in CAD).
    data = await gql(gateway, alpha, PREVIEW, id=account_id)
    preview = data["invoicePreview"]
    got = [(x["description"], x["quantity"], x["amount"]["amount"]) for x in preview["lines"]]
    monthly = Decimal("30.00") + Decimal("5.00")
    off = (monthly * Decimal("0.20")).quantize(Decimal("0.01"))
    taxable = monthly + 2 * Decimal("120.00") - off
    tps = (taxable * Decimal("0.05")).quantize(Decimal("0.01"))
    tvq = (taxable * Decimal("0.09975")).quantize(Decimal("0.01"))
    assert got[0][0].startswith("Essai gratuit jusqu'au") and got[0][2] == "0.00"
    assert sorted(got[1:4]) == sorted([("Enregistrement des appels", 1, "5.00"),
                                       ("Forfait de base", 1, "30.00"),
                                       ("Téléphone IP", 2, "120.00")])
    assert got[4] == ("Promotion : 20 % les 6 premiers mois", 1, str(-off))
    assert got[5] == ("TPS (5 %) - 123456789 RT0001", 1, str(tps))
    assert got[6] == ("TVQ (9.975 %) - 1234567890 TQ0001", 1, str(tvq))
    assert preview["total"] == {"amount": str(taxable + tps + tvq), "currency": "CAD"}
    assert all(x["amount"]["currency"] == "CAD" for x in preview["lines"])
    # A reseller that never saved billing settings is in the platform's default currency.
    from gateway.plugins import PluginHost, read_plugin_specs
    from plugins.billing.models import BillingSettings

    host = gateway.app.state.host
    specs = read_plugin_specs(host.settings.plugins_file, host.settings.load_plugins)
    for spec in specs:
        if spec.name == "billing":
            spec.config = {**spec.config, "default_currency": "EUR"}
    euro_host = PluginHost(host.settings, specs=specs)
    await BillingSettings.filter(reseller_id=account.reseller_id).delete()
    provider = euro_host.pm.hook.gateway_provider(gateway=euro_host, kind="invoice_preview",
                                                  name="default")
    lines = await provider(account)
    assert lines and {line.currency for line in lines} == {"EUR"}
