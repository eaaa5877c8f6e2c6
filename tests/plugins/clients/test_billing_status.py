"""Billing status changes exactly as the seed allows them, and the free-trial guard."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from strawberry.relay import to_base64

from gateway.api import Problem
from gateway.identity.models import Account, BillingStatus
from plugins.clients import services
from plugins.clients.models import BillingProfile, BillingStatusChange, PaymentMethod
from tests.conftest import Gateway
from tests.support.identity_factory import bearer_for, make_tenant

CHANGE = """mutation($input: ChangeBillingStatusInput!) {
  changeBillingStatus(input: $input) {
    account { billingStatus trialEndsAt } errors { code field message }
  }
}"""
PREVIEW = """query($id: ID!) {
  invoicePreview(accountId: $id) { token lines { description quantity amount { amount } }
                                   total { amount currency } }
}"""
CARD = {"paymentMethod": "CREDIT_CARD",
        "card": {"token": "tok_mastercard", "brand": "Mastercard", "last4": "5454"}}


async def _change(gateway: Gateway, headers: dict[str, str], account: Account,
                  **input: Any) -> dict[str, Any]:
    result = await gateway.graphql(
        CHANGE, {"input": {"id": to_base64("Account", account.id), **input}}, **headers)
    assert "errors" not in result, result
    return result["data"]["changeBillingStatus"]


async def _with_status(account: Account, status: BillingStatus) -> Account:
    await Account.filter(id=account.id).update(billing_status=status)
    return await Account.get(id=account.id)


@pytest.mark.parametrize(("current", "wanted"), [
    (BillingStatus.FREE_TRIAL, BillingStatus.BILLING_SUSPENDED),
    (BillingStatus.IN_PRODUCTION, BillingStatus.FREE_TRIAL),
    (BillingStatus.FREE_TRIAL, BillingStatus.UNSUBSCRIBED),
    (BillingStatus.IN_PRODUCTION, BillingStatus.UNSUBSCRIBED),
])
async def test_changes_the_seed_does_not_list_are_refused(
    gateway: Gateway, current: BillingStatus, wanted: BillingStatus
) -> None:
    tenant = await make_tenant()
    account = await _with_status(tenant.company, current)
    payload = await _change(gateway, await bearer_for(tenant.admin), account,
                            billingStatus=wanted.value, acceptTerms=True, paymentMethod=CARD)
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("TRANSITION_NOT_ALLOWED", ["input", "billingStatus"])]
    assert (await Account.get(id=account.id)).billing_status == current
    assert not await BillingStatusChange.filter(account_id=account.id).exists()


async def test_refusals_name_the_statuses_in_the_callers_language(gateway: Gateway) -> None:
    tenant = await make_tenant()
    payload = await _change(gateway, await bearer_for(tenant.admin), tenant.company,
                            billingStatus="BILLING_SUSPENDED")
    assert payload["errors"][0]["message"] == (
        "The billing status cannot go from Free trial to Billing suspended. Allowed from Free "
        "trial: In production.")
    tenant.admin.language = "fr"
    await tenant.admin.save()
    same = await _change(gateway, await bearer_for(tenant.admin), tenant.company,
                         billingStatus="FREE_TRIAL")
    assert same["errors"][0]["code"] == "STATUS_UNCHANGED"
    assert same["errors"][0]["message"] == "Le compte est déjà Essai gratuit."


async def test_free_trial_to_production_needs_preview_terms_and_payment(gateway: Gateway) -> None:
    tenant = await make_tenant()
    headers = await bearer_for(tenant.admin)
    account = tenant.company
    account_id = to_base64("Account", account.id)

    no_preview = await _change(gateway, headers, account, billingStatus="IN_PRODUCTION",
                               acceptTerms=True, paymentMethod=CARD)
    assert [e["code"] for e in no_preview["errors"]] == ["INVOICE_PREVIEW_REQUIRED"]

    preview = (await gateway.graphql(PREVIEW, {"id": account_id}, **headers))["data"]
    token = preview["invoicePreview"]["token"]
    forged = await _change(gateway, headers, account, billingStatus="IN_PRODUCTION",
                           invoicePreviewToken=token + "x", acceptTerms=True,
                           paymentMethod=CARD)
    assert [e["code"] for e in forged["errors"]] == ["INVOICE_PREVIEW_REQUIRED"]
    # A preview of another account does not count for this one.
    other = (await gateway.graphql(PREVIEW, {"id": to_base64(
        "Account", tenant.professional_account.id)}, **headers))["data"]["invoicePreview"]
    borrowed = await _change(gateway, headers, account, billingStatus="IN_PRODUCTION",
                             invoicePreviewToken=other["token"], acceptTerms=True,
                             paymentMethod=CARD)
    assert [e["code"] for e in borrowed["errors"]] == ["INVOICE_PREVIEW_REQUIRED"]

    no_terms = await _change(gateway, headers, account, billingStatus="IN_PRODUCTION",
                             invoicePreviewToken=token, paymentMethod=CARD)
    assert [(e["code"], e["field"]) for e in no_terms["errors"]] == [
        ("TERMS_NOT_ACCEPTED", ["input", "acceptTerms"])]
    no_payment = await _change(gateway, headers, account, billingStatus="IN_PRODUCTION",
                               invoicePreviewToken=token, acceptTerms=True)
    assert [(e["code"], e["field"]) for e in no_payment["errors"]] == [
        ("PAYMENT_METHOD_REQUIRED", ["input", "paymentMethod"])]
    half_card = await _change(gateway, headers, account, billingStatus="IN_PRODUCTION",
                              invoicePreviewToken=token, acceptTerms=True,
                              paymentMethod={"paymentMethod": "CREDIT_CARD"})
    assert {tuple(e["field"]) for e in half_card["errors"]} == {
        ("input", "paymentMethod", "card", "token"), ("input", "paymentMethod", "card", "last4")}
    assert (await Account.get(id=account.id)).billing_status == BillingStatus.FREE_TRIAL

    done = await _change(gateway, headers, account, billingStatus="IN_PRODUCTION",
                         invoicePreviewToken=token, acceptTerms=True, paymentMethod=CARD)
    assert done == {"account": {"billingStatus": "IN_PRODUCTION", "trialEndsAt": None},
                    "errors": []}
    profile = await BillingProfile.get(account_id=account.id)
    assert profile.payment_method == PaymentMethod.CREDIT_CARD and profile.card_last4 == "5454"
    assert profile.terms_accepted_at is not None
    assert profile.terms_accepted_by_id == tenant.admin.id
    change = await BillingStatusChange.get(account_id=account.id)
    assert (change.from_status, change.to_status, change.terms_accepted) == (
        BillingStatus.FREE_TRIAL, BillingStatus.IN_PRODUCTION, True)
    # Back in a free trial later, the old preview does not count again.
    await _change(gateway, headers, account, billingStatus="BILLING_SUSPENDED")
    await _change(gateway, headers, account, billingStatus="FREE_TRIAL")
    replay = await _change(gateway, headers, account, billingStatus="IN_PRODUCTION",
                           invoicePreviewToken=token, acceptTerms=True)
    assert [e["code"] for e in replay["errors"]] == ["INVOICE_PREVIEW_REQUIRED"]


async def test_suspended_production_and_back(gateway: Gateway) -> None:
    tenant = await make_tenant()
    headers = await bearer_for(tenant.admin)
    account = await _with_status(tenant.company, BillingStatus.IN_PRODUCTION)

    suspended = await _change(gateway, headers, account, billingStatus="BILLING_SUSPENDED")
    assert suspended["account"]["billingStatus"] == "BILLING_SUSPENDED"

    out_of_range = await _change(gateway, headers, account, billingStatus="FREE_TRIAL",
                                 trialDays=91)
    assert [e["code"] for e in out_of_range["errors"]] == ["OUT_OF_RANGE"]
    trial = await _change(gateway, headers, account, billingStatus="FREE_TRIAL")
    ends = dt.datetime.fromisoformat(trial["account"]["trialEndsAt"].replace("Z", "+00:00"))
    assert 29 < (ends - dt.datetime.now(dt.UTC)).total_seconds() / 86400 <= 30  # default 30

    account = await _with_status(account, BillingStatus.BILLING_SUSPENDED)
    no_payment = await _change(gateway, headers, account, billingStatus="IN_PRODUCTION")
    assert [e["code"] for e in no_payment["errors"]] == ["PAYMENT_METHOD_REQUIRED"]
    production = await _change(gateway, headers, account, billingStatus="IN_PRODUCTION",
                               paymentMethod={"paymentMethod": "MONTHLY_INVOICE",
                                              "invoiceEmail": "compta@acme.test"})
    assert production["account"]["billingStatus"] == "IN_PRODUCTION"
    history = await BillingStatusChange.filter(account_id=account.id).order_by("id").values_list(
        "from_status", "to_status")
    assert [(str(a), str(b)) for a, b in history] == [
        ("IN_PRODUCTION", "BILLING_SUSPENDED"), ("BILLING_SUSPENDED", "FREE_TRIAL"),
        ("BILLING_SUSPENDED", "IN_PRODUCTION")]


async def test_another_resellers_account_is_not_found(gateway: Gateway) -> None:
    alpha, beta = await make_tenant("Alpha"), await make_tenant("Beta")
    headers = await bearer_for(beta.admin)
    payload = await _change(gateway, headers, alpha.company, billingStatus="IN_PRODUCTION")
    assert [e["code"] for e in payload["errors"]] == ["NOT_FOUND"]
    preview = await gateway.graphql(PREVIEW, {"id": to_base64("Account", alpha.company.id)},
                                    **headers)
    assert preview["data"]["invoicePreview"] is None


async def test_no_numbers_or_options_during_a_free_trial(gateway: Gateway) -> None:
    from tests.support.identity_factory import make_account as make
    from tests.support.identity_factory import make_reseller

    reseller = await make_reseller()
    account = await make(reseller)  # a new account starts in free trial
    with pytest.raises(Problem) as refused:
        await services.ensure_can_add_numbers_and_options(account)
    assert refused.value.code.value == "FREE_TRIAL_RESTRICTION"
    assert "essai gratuit" in refused.value.text.fr
    with pytest.raises(Problem):
        await services.ensure_can_add_numbers_and_options(account.id)
    await Account.filter(id=account.id).update(billing_status=BillingStatus.BILLING_SUSPENDED)
    await services.ensure_can_add_numbers_and_options(account.id)
    await Account.filter(id=account.id).update(billing_status=BillingStatus.IN_PRODUCTION)
    await services.ensure_can_add_numbers_and_options(await Account.get(id=account.id))
    await Account.filter(id=account.id).update(billing_status=BillingStatus.UNSUBSCRIBED)
    with pytest.raises(Problem) as gone:
        await services.ensure_can_add_numbers_and_options(account.id)
    assert gone.value.code.value == "ACCOUNT_UNSUBSCRIBED"
