"""Each reseller's portal settings (issue 20: "a new account in 'Essai gratuit' (or whatever
the reseller's default is)"; seed: Gérer le statut d'un compte, 15 to 90 free days, 30 by
default): staff choose FREE_TRIAL or IN_PRODUCTION and the free days, a system admin names the
reseller, another reseller's settings are not found; a portal sign-up starts as they say."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from strawberry.relay import to_base64

from gateway.identity.models import Account, AuditEntry, BillingStatus, UserRole
from gateway.plugins import PluginHost, read_plugin_specs
from plugins.subscription_portal.models import PortalSettings
from tests.conftest import ROOT, Gateway, make_settings, start_gateway
from tests.plugins.subscription_portal.support import CUSTOMER, link_path, send, sign_up, stock
from tests.support.identity_factory import bearer_for, make_tenant, make_user

SETTINGS = "resellerId signupStatus trialDays customised"
GET = f"""query($resellerId: ID) {{ subscriptionPortalSettings(resellerId: $resellerId) {{
  {SETTINGS} }} }}"""
SET = f"""mutation($input: SetSubscriptionPortalSettingsInput!) {{
  setSubscriptionPortalSettings(input: $input) {{ settings {{ {SETTINGS} }}
  errors {{ code field message }} }} }}"""


async def _get(gateway: Gateway, headers: dict[str, str], **variables: Any) -> dict[str, Any]:
    result = await gateway.graphql(GET, variables, **headers)
    assert "errors" not in result, result
    settings: dict[str, Any] = result["data"]["subscriptionPortalSettings"]
    return settings


async def _set(gateway: Gateway, headers: dict[str, str], **input: Any) -> dict[str, Any]:
    result = await gateway.graphql(SET, {"input": input}, **headers)
    assert "errors" not in result, result
    payload: dict[str, Any] = result["data"]["setSubscriptionPortalSettings"]
    return payload


async def test_staff_choose_the_status_and_free_days_of_portal_sign_ups(
        gateway: Gateway) -> None:
    alpha = await make_tenant("Alpha")
    headers = await bearer_for(alpha.admin)
    alpha_id = to_base64("Reseller", alpha.reseller.id)
    # Nothing saved yet: a free trial of the platform's default length (30 days).
    assert await _get(gateway, headers) == {"resellerId": alpha_id, "signupStatus": "FREE_TRIAL",
                                            "trialDays": 30, "customised": False}

    saved = await _set(gateway, headers, signupStatus="IN_PRODUCTION", trialDays=45)
    assert saved == {"settings": {"resellerId": alpha_id, "signupStatus": "IN_PRODUCTION",
                                  "trialDays": 45, "customised": True}, "errors": []}
    assert (await _get(gateway, headers))["trialDays"] == 45
    # In production without free days: billed from the start.
    saved = await _set(gateway, headers, signupStatus="IN_PRODUCTION")
    assert saved["settings"]["trialDays"] is None
    # A free trial without days: the default length again.
    saved = await _set(gateway, headers, signupStatus="FREE_TRIAL")
    assert saved["settings"]["trialDays"] == 30

    # 15 to 90 days; outside, refused beside the field in the caller's language, nothing saved.
    for days in (14, 91, 0, -5):
        refused = await _set(gateway, headers, signupStatus="FREE_TRIAL", trialDays=days)
        assert refused["settings"] is None
        (error,) = refused["errors"]
        assert (error["code"], error["field"]) == ("OUT_OF_RANGE", ["input", "trialDays"])
    expected = {"en": "The free days must be between 15 and 90.",
                "fr": "Le nombre de jours gratuits doit être compris entre 15 et 90."}
    for language in ("fr", "en"):  # the caller's own language
        alpha.admin.language = language
        await alpha.admin.save()
        said = await gateway.graphql(SET, {"input": {"signupStatus": "FREE_TRIAL",
                                                     "trialDays": 91}},
                                     **await bearer_for(alpha.admin))
        assert (said["data"]["setSubscriptionPortalSettings"]["errors"][0]["message"]
                == expected[language])
    row = await PortalSettings.get(reseller_id=alpha.reseller.id)
    assert (row.signup_status, row.trial_days) == ("FREE_TRIAL", None)

    # Every change is audited by the core.
    fields = [d["field"] for d in await AuditEntry.filter(
        reseller_id=alpha.reseller.id).values_list("detail", flat=True)]
    assert fields.count("setSubscriptionPortalSettings") >= 3


async def test_another_resellers_settings_are_not_found(gateway: Gateway) -> None:
    alpha = await make_tenant("Alpha")
    beta = await make_tenant("Beta")
    beta_id = to_base64("Reseller", beta.reseller.id)
    await _set(gateway, await bearer_for(beta.admin), signupStatus="IN_PRODUCTION",
               trialDays=60)
    alpha_headers = await bearer_for(alpha.admin)
    changed = await _set(gateway, alpha_headers, resellerId=beta_id,
                         signupStatus="FREE_TRIAL", trialDays=15)
    assert changed["settings"] is None
    assert [(e["code"], e["field"]) for e in changed["errors"]] == [
        ("NOT_FOUND", ["input", "resellerId"])]
    seen = await gateway.graphql(GET, {"resellerId": beta_id}, **alpha_headers)
    assert seen["data"] is None and seen["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    row = await PortalSettings.get(reseller_id=beta.reseller.id)
    assert (row.signup_status, row.trial_days) == ("IN_PRODUCTION", 60)  # untouched
    # Subscribers do not see or change any.
    subscriber = await bearer_for(alpha.company_admin)
    assert (await gateway.graphql(GET, {}, **subscriber))["errors"][0]["extensions"][
        "code"] == "FORBIDDEN"
    # A system admin names the reseller (without one: REQUIRED).
    system = await bearer_for(await make_user(UserRole.SYSTEM_ADMIN))
    assert (await gateway.graphql(GET, {}, **system))["errors"][0]["extensions"][
        "code"] == "REQUIRED"
    saved = await _set(gateway, system, resellerId=beta_id, signupStatus="FREE_TRIAL",
                       trialDays=20)
    assert saved["settings"]["trialDays"] == 20
    assert (await _get(gateway, system, resellerId=beta_id))["signupStatus"] == "FREE_TRIAL"


@pytest.fixture
async def roomy(migrated: str, tmp_path: Path) -> AsyncIterator[Gateway]:
    """The app with room for several sign-ups a minute from the test's one address."""
    specs = read_plugin_specs(ROOT / "plugins.toml", ())
    for spec in specs:
        if spec.name == "subscription_portal":
            spec.config = {**spec.config, "per_address_per_minute": 1000}
    settings = make_settings(migrated, tmp_path)
    async for running in start_gateway(settings, host=PluginHost(settings, specs=specs)):
        yield running


def _days_left(account: Account) -> float:
    assert account.trial_ends_at is not None
    return (account.trial_ends_at - dt.datetime.now(dt.UTC)).total_seconds() / 86400


async def test_a_portal_sign_up_starts_as_the_reseller_chose(roomy: Gateway) -> None:
    gateway = roomy
    alpha = await make_tenant("Alpha")
    beta = await make_tenant("Beta")
    await stock(alpha.reseller)
    await stock(beta.reseller, "+1 514 555 0191")
    headers = await bearer_for(alpha.admin)
    await _set(gateway, headers, signupStatus="IN_PRODUCTION", trialDays=45)
    # Beta's choice does not change Alpha's sign-ups (nor the other way round).
    await _set(gateway, await bearer_for(beta.admin), signupStatus="FREE_TRIAL", trialDays=60)

    page = await sign_up(gateway, f"{await link_path(gateway, alpha.reseller)}?lang=fr")
    assert "la facturation débute après 45 jours gratuits" in page.text
    assert (await send(gateway, page, {})).status_code == 200
    account = await Account.get(reseller_id=alpha.reseller.id, name=CUSTOMER["name"])
    assert account.billing_status == BillingStatus.IN_PRODUCTION
    assert 44.9 < _days_left(account) <= 45

    page = await sign_up(gateway, f"{await link_path(gateway, beta.reseller)}?lang=en",
                         customer={**CUSTOMER, "email": "info@beta-client.test"},
                         admin={"firstName": "Ann", "lastName": "Lee",
                                "email": "ann@beta-client.test"})
    assert "starts with a 60-day free trial" in page.text
    assert (await send(gateway, page, {})).status_code == 200
    other = await Account.get(reseller_id=beta.reseller.id, email="info@beta-client.test")
    assert other.billing_status == BillingStatus.FREE_TRIAL
    assert 59.9 < _days_left(other) <= 60

    # Changed after a sign-up started: the account starts as the settings say at the end.
    await stock(alpha.reseller, "+1 514 555 0183")
    page = await sign_up(gateway, await link_path(gateway, alpha.reseller),
                         customer={**CUSTOMER, "email": "info@late-client.test"},
                         admin={"firstName": "Luc", "lastName": "Roy",
                                "email": "luc@late-client.test"})
    await _set(gateway, headers, signupStatus="IN_PRODUCTION")
    assert (await send(gateway, page, {})).status_code == 200
    late = await Account.get(email="info@late-client.test")
    assert late.billing_status == BillingStatus.IN_PRODUCTION and late.trial_ends_at is None
