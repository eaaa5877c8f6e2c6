"""Promotions: the system admin defines them and makes them available per reseller; a reseller
asks for one; the system admin activates it; it applies to the subscribers created while it is
active, for its months, from the day billing starts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from gateway.api import BillingStatus
from gateway.identity.models import Account
from plugins.billing import promotions
from plugins.billing.models import AccountPromotion
from plugins.billing.pricing import add_months
from tests.conftest import Gateway
from tests.plugins.billing.offer_support import SYSTEM, audited, gql, gql_errors, make_world
from tests.plugins.billing.test_offer import gid
from tests.support.identity_factory import make_account

CREATE = """mutation($input: CreatePromotionInput!) { createPromotion(input: $input) {
  promotion { id code kind months percent amount currency } errors { code field message } } }"""
OFFER = """mutation($input: OfferPromotionInput!) { offerPromotion(input: $input) {
  resellerPromotion { id status promotion { code } } errors { code field message } } }"""
MOVES = {name: f"""mutation($input: ResellerPromotionIdInput!) {{ {name}(input: $input) {{
  resellerPromotion {{ id status requestedAt activatedAt endedAt }}
  errors {{ code field message }} }} }}""" for name in (
    "requestPromotion", "activatePromotion", "endPromotion")}
LIST = """query($status: ResellerPromotionStatus) {
  resellerPromotions(status: $status, first: 20) { totalCount
    edges { node { id status promotion { code } } } } }"""


async def _move(gateway: Gateway, headers: dict[str, str], name: str,
                row_id: str) -> dict[str, object]:
    data = await gql(gateway, headers, MOVES[name], input={"id": row_id})
    payload: dict[str, object] = data[name]
    return payload


async def test_a_promotion_from_definition_to_new_subscribers(gateway: Gateway) -> None:
    world = await make_world()
    sysadmin = await world.headers(world.sysadmin, "fr")
    data = await gql(gateway, sysadmin, CREATE, input={
        "code": "first-free", "nameFr": "Premier mois gratuit", "nameEn": "First month free",
        "kind": "FREE_MONTHS", "months": 1})
    promotion = data["createPromotion"]["promotion"]
    assert (promotion["code"], promotion["kind"], promotion["months"]) == (
        "FIRST-FREE", "FREE_MONTHS", 1)
    # Checked: a percent needs its percentage, an amount its currency, months 1-36.
    for change, code, field in (
            ({"kind": "PERCENT_OFF"}, "REQUIRED", ["input", "percent"]),
            ({"kind": "PERCENT_OFF", "percent": "120"}, "OUT_OF_RANGE", ["input", "percent"]),
            ({"kind": "AMOUNT_OFF", "amount": "10"}, "REQUIRED", ["input", "currency"]),
            ({"months": 0}, "OUT_OF_RANGE", ["input", "months"]),
            ({"code": "FIRST-FREE"}, "DUPLICATE", ["input", "code"])):
        data = await gql(gateway, sysadmin, CREATE, input={
            "code": "OTHER", "nameFr": "a", "nameEn": "a", "kind": "FREE_MONTHS", **change})
        [error] = data["createPromotion"]["errors"]
        assert (error["code"], error["field"]) == (code, field), change
    data = await gql(gateway, sysadmin, OFFER, input={
        "promotionId": promotion["id"], "resellerId": gid("Reseller", world.alpha.reseller.id)})
    row = data["offerPromotion"]["resellerPromotion"]
    assert (row["status"], row["promotion"]["code"]) == ("AVAILABLE", "FIRST-FREE")
    # The reseller sees it and asks for it; it cannot activate it itself.
    alpha = await world.headers(world.alpha.admin, "fr")
    data = await gql(gateway, alpha, LIST)
    assert [e["node"]["status"] for e in data["resellerPromotions"]["edges"]] == ["AVAILABLE"]
    errors = await gql_errors(gateway, alpha, MOVES["activatePromotion"],
                              input={"id": row["id"]})
    assert errors and errors[0]["extensions"]["code"] == "FORBIDDEN"
    payload = await _move(gateway, alpha, "requestPromotion", row["id"])
    assert payload["resellerPromotion"]["status"] == "REQUESTED"  # type: ignore[index]
    assert await audited("requestPromotion") == 1
    # Another reseller neither sees nor moves it.
    bravo = await world.headers(world.bravo.admin)
    data = await gql(gateway, bravo, LIST)
    assert data["resellerPromotions"]["totalCount"] == 0
    payload = await _move(gateway, bravo, "endPromotion", row["id"])
    assert payload["errors"][0]["code"] == "NOT_FOUND"  # type: ignore[index]
    # Before activation, a new subscriber gets nothing.
    before = await make_account(world.alpha.reseller)
    await promotions.apply_active(before)
    assert not await AccountPromotion.filter(account_id=before.id).exists()
    payload = await _move(gateway, sysadmin, "activatePromotion", row["id"])
    assert payload["resellerPromotion"]["status"] == "ACTIVE"  # type: ignore[index]
    # A subscriber created now gets it from the day billing starts (after its trial) for its
    # month; Bravo's subscribers do not.
    trial_end = dt.datetime(2027, 1, 31, 15, tzinfo=dt.UTC)
    newcomer = await Account.create(
        reseller=world.alpha.reseller, kind="COMPANY", name="Nouveau", can="CAN-NEW-1",
        billing_status=BillingStatus.FREE_TRIAL, trial_ends_at=trial_end)
    await promotions.apply_active(newcomer)
    [applied] = await AccountPromotion.filter(account_id=newcomer.id)
    assert (applied.starts_on, applied.ends_on) == (dt.date(2027, 1, 31), dt.date(2027, 2, 28))
    elsewhere = await make_account(world.bravo.reseller)
    await promotions.apply_active(elsewhere)
    assert not await AccountPromotion.filter(account_id=elsewhere.id).exists()
    # Not twice: a repeated call (a retried hook) keeps one row.
    await promotions.apply_active(newcomer)
    assert await AccountPromotion.filter(account_id=newcomer.id).count() == 1
    # Ended: new subscribers no longer get it; those who have it keep it.
    payload = await _move(gateway, alpha, "endPromotion", row["id"])
    assert payload["resellerPromotion"]["status"] == "ENDED"  # type: ignore[index]
    later = await make_account(world.alpha.reseller)
    await promotions.apply_active(later)
    assert not await AccountPromotion.filter(account_id=later.id).exists()
    assert await AccountPromotion.filter(account_id=newcomer.id).count() == 1
    # Only the seed's moves: an ended promotion is not activated without a new request.
    payload = await _move(gateway, sysadmin, "activatePromotion", row["id"])
    [error] = payload["errors"]  # type: ignore[misc]
    assert error["code"] == "TRANSITION_NOT_ALLOWED"
    assert "terminée" in error["message"] and "active" in error["message"]


async def test_amount_off_must_be_in_the_reseller_currency(gateway: Gateway) -> None:
    world = await make_world()
    sysadmin = await world.headers(world.sysadmin)
    data = await gql(gateway, sysadmin, CREATE, input={
        "code": "TEN-USD", "nameFr": "10 $ US de rabais", "nameEn": "US$10 off",
        "kind": "AMOUNT_OFF", "months": 3, "amount": "10", "currency": "USD"})
    promotion = data["createPromotion"]["promotion"]
    assert (promotion["amount"], promotion["currency"]) == ("10.0000", "USD")
    data = await gql(gateway, sysadmin, OFFER, input={
        "promotionId": promotion["id"], "resellerId": gid("Reseller", world.alpha.reseller.id)})
    assert data["offerPromotion"]["errors"][0]["code"] == "CURRENCY_MISMATCH"


def test_months_are_calendar_months_clamped_to_the_month_end() -> None:
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2027, 11, 30), 3) == dt.date(2028, 2, 29)
    assert add_months(dt.date(2026, 10, 20), 6) == dt.date(2027, 4, 20)
    assert add_months(dt.date(2026, 12, 1), 12) == dt.date(2027, 12, 1)
    assert Decimal(0) == 0  # (Decimal, never float, everywhere else)
    assert SYSTEM.role == "SYSTEM_ADMIN"
