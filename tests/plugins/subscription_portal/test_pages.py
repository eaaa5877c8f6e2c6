"""The public sign-up pages (issue 20): the same wizard as staff use, anonymous, through a
reseller's link, in fr or en, branded; nothing but a draft until the last step; the account,
its first user's access email and the reseller's notice at the end; errors next to fields;
CSRF bound to the draft; the hurdle; duplicates by email; abandoned drafts expire."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from gateway.api import sign
from gateway.identity.models import Account, BillingStatus, User, UserRole
from gateway.models import OutboxJob
from gateway.plugins import PluginHost, read_plugin_specs
from plugins.clients.models import AccountProfile, BillingProfile, SignupDraft
from plugins.subscription_portal.models import PortalSignup
from plugins.subscription_portal.wizard import cleanup_abandoned
from tests.conftest import ROOT, Gateway, make_settings, start_gateway
from tests.plugins.subscription_portal.support import (
    ADMIN,
    CUSTOMER,
    action,
    follow,
    hidden,
    link_path,
    send,
    sign_up,
    stock,
)
from tests.support.identity_factory import make_tenant


async def _emails() -> list[dict[str, object]]:
    return [row.payload for row in await OutboxJob.filter(job="email.send").order_by("id")]


async def test_a_company_signs_up_through_its_resellers_link(gateway: Gateway) -> None:
    alpha = await make_tenant("Alpha Télécom")
    path = await link_path(gateway, alpha.reseller)
    before = await Account.filter(reseller_id=alpha.reseller.id).count()

    page = await gateway.client.get(path, headers={"Accept-Language": "fr-CA,fr;q=0.9"})
    assert page.status_code == 200
    assert '<html lang="fr">' in page.text and "Alpha Télécom" in page.text
    star = '<span aria-hidden="true">*</span>'
    assert f'<label for="f-name">Nom du client {star}</label>' in page.text
    assert "<script src" not in page.text and "https://" not in page.text  # no CDN

    # Errors are shown next to their fields, in the page's language; nothing is saved.
    bad = await send(gateway, page, {**CUSTOMER, "name": "", "email": "pas-un-courriel",
                                     "timeZone": "Mars/Olympus"})
    assert bad.status_code == 400
    assert re.search(r'id="f-email"[^>]*aria-invalid="true" aria-describedby="email-error"',
                     bad.text)
    assert '<p class="error" id="email-error">' in bad.text
    assert 'id="timeZone-error"' in bad.text
    assert 'value="pas-un-courriel"' in bad.text  # what was typed stays
    assert await SignupDraft.all().count() == 0

    await stock(alpha.reseller)
    page = await sign_up(gateway, path)
    # Before the last step: a draft, no account, no user, no email.
    assert await Account.filter(reseller_id=alpha.reseller.id).count() == before
    assert not await User.filter(email=ADMIN["email"]).exists()
    draft = await SignupDraft.get(reseller_id=alpha.reseller.id)
    assert draft.status == "OPEN" and draft.created_by_id is None
    assert draft.data["numbers"][0]["area_code"] == "514"
    assert "Forfait Base" in page.text and "Télécopie" in page.text  # the preview
    assert not await _emails()

    done = await send(gateway, page, {})
    assert done.status_code == 200, done.text
    assert "est ouvert" in done.text
    account = await Account.get(reseller_id=alpha.reseller.id, name=CUSTOMER["name"])
    assert account.kind == "COMPANY" and account.billing_status == BillingStatus.FREE_TRIAL
    assert account.trial_ends_at is not None and account.phone_number == "+15145550142"
    assert f"{account.id}" in done.text
    user = await User.get(account_id=account.id)
    assert (user.role, user.login, user.first_name) == (UserRole.COMPANY_ADMIN,
                                                        ADMIN["email"], "Léa")
    assert (await AccountProfile.get(account_id=account.id)).city == "Montréal"
    profile = await BillingProfile.get(account_id=account.id)
    assert profile.invoice_email == "compta@boulangerie-portail.test"
    signup = await PortalSignup.get(draft_id=draft.id)
    assert signup.completed_at is not None and signup.terms_accepted_at is not None

    emails = await _emails()
    by_template = {str(m["template"]): m for m in emails}
    assert by_template["clients_welcome"]["to"] == [ADMIN["email"]]
    notice = by_template["portal_new_signup"]
    assert notice["to"] == [alpha.admin.email]
    assert CUSTOMER["name"] in str(notice["text"]) and str(account.id) in str(notice["text"])

    # The page's key is used up: going back shows nothing of the sign-up.
    again = await gateway.client.get(action(page.text))
    assert again.status_code == 404 and CUSTOMER["email"] not in again.text


async def test_english_a_professional_and_the_resellers_colours(gateway: Gateway) -> None:
    alpha = await make_tenant("Alpha Télécom")
    alpha.reseller.branding = {"primary_color": "#123456", "secondary_color": "#654321",
                               "logo": {"url": "https://cdn.alpha.example/logo.png"}}
    await alpha.reseller.save()
    path = await link_path(gateway, alpha.reseller, "PROFESSIONAL")
    page = await gateway.client.get(f"{path}?lang=en", headers={"Accept-Language": "fr"})
    assert '<html lang="en">' in page.text and "Professional subscription" in page.text
    assert "#123456" in page.text and "#654321" in page.text
    assert '<img src="https://cdn.alpha.example/logo.png" alt="Alpha Télécom"' in page.text
    assert '<label for="f-name">Your name <span aria-hidden="true">*</span></label>' in page.text
    bad = await send(gateway, page, {**CUSTOMER, "email": "nope"})
    assert 'id="email-error"' in bad.text and "email" in bad.text.lower()
    assert '<html lang="en">' in bad.text
    await stock(alpha.reseller)
    page = await sign_up(gateway, f"{path}?lang=en",
                         customer={**CUSTOMER, "email": "dre@cabinet.test", "language": "en"},
                         admin={**ADMIN, "email": ""})
    done = await send(gateway, page, {})
    assert "is open" in done.text
    account = await Account.get(email="dre@cabinet.test")
    assert account.kind == "PROFESSIONAL"
    assert (await User.get(account_id=account.id)).role == UserRole.PROFESSIONAL


async def test_a_duplicate_email_is_refused_with_a_clear_message(gateway: Gateway) -> None:
    alpha = await make_tenant()
    path = await link_path(gateway, alpha.reseller)
    page = await gateway.client.get(f"{path}?lang=fr")
    taken = await send(gateway, page, {**CUSTOMER, "email": alpha.company_admin.email})
    assert taken.status_code == 400
    assert "Un compte existe déjà pour cette adresse courriel" in taken.text
    assert 'id="email-error"' in taken.text
    assert await SignupDraft.all().count() == 0
    # At the administrator step too (the page shown again has a new hurdle to solve).
    page = await follow(gateway, await send(gateway, taken, CUSTOMER))
    taken = await send(gateway, page, {**ADMIN, "email": alpha.employee.login.upper()})
    assert "Un compte existe déjà" in taken.text


async def test_csrf_and_the_hurdle(gateway: Gateway) -> None:
    alpha = await make_tenant()
    path = await link_path(gateway, alpha.reseller)
    page = await gateway.client.get(f"{path}?lang=en")
    form = hidden(page.text)
    # A form without the page's token, or another link's, is refused; nothing is made.
    forged = await gateway.client.post(action(page.text), data={**form, **CUSTOMER,
                                                                "csrf": "0" * 64})
    assert forged.status_code == 400 and "This form has expired" in forged.text
    # Without the proof of work: the question must be answered.
    lazy = await send(gateway, page, CUSTOMER, work=False)
    assert lazy.status_code == 400 and 'id="answer-error"' in lazy.text
    a, b = map(int, re.search(r"what is (\d+) \+ (\d+)\?", page.text).groups())  # type: ignore
    hasty = await send(gateway, page, {**CUSTOMER, "answer": str(a + b)}, work=False)
    assert "take a few more seconds" in hasty.text
    assert await SignupDraft.all().count() == 0
    # The same question answered later (a challenge served 10 s ago): accepted, no script.
    host = gateway.app.state.host
    from gateway.api import unsign
    data = unsign(host.settings.secret_key, "subscription-portal.hurdle", form["challenge"], 60)
    data["t"] -= 10
    older = sign(host.settings.secret_key, "subscription-portal.hurdle", data)
    slow = await gateway.client.post(action(page.text), data={
        **form, **CUSTOMER, "challenge": older, "answer": str(a + b)})
    assert slow.status_code == 303
    # Each step's token is bound to its draft: another draft's token does not work.
    step = await follow(gateway, slow)
    other = await follow(gateway, await send(gateway, page, {**CUSTOMER,
                                                             "email": "autre@autre.test"}))
    stolen = await gateway.client.post(action(step.text), data={
        **hidden(step.text), **ADMIN, "csrf": hidden(other.text)["csrf"]})
    assert stolen.status_code == 400 and "This form has expired" in stolen.text
    draft = await SignupDraft.get(id=(await PortalSignup.filter().order_by("id").first()
                                      ).draft_id)  # type: ignore[union-attr]
    assert "administrator" not in draft.data


async def test_rate_limits_per_address(gateway: Gateway) -> None:
    alpha = await make_tenant()
    path = await link_path(gateway, alpha.reseller)
    statuses = [(await gateway.client.get(path)).status_code for _ in range(31)]
    assert statuses[:30] == [200] * 30
    refused = await gateway.client.get(path, headers={"Accept-Language": "fr"})
    assert refused.status_code == 429 and "Trop de demandes" in refused.text
    assert int(refused.headers["Retry-After"]) >= 1


async def test_an_abandoned_sign_up_leaves_only_a_draft_that_expires(gateway: Gateway) -> None:
    alpha = await make_tenant()
    path = await link_path(gateway, alpha.reseller)
    await stock(alpha.reseller)
    page = await sign_up(gateway, path)  # every step but the last
    signup = await PortalSignup.get()
    assert await cleanup_abandoned() == 0  # not expired yet
    await PortalSignup.filter(id=signup.id).update(
        expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
    gone = await send(gateway, page, {})
    assert gone.status_code == 404  # an expired sign-up cannot be finished
    assert await cleanup_abandoned() == 1
    assert not await SignupDraft.exists() and not await PortalSignup.exists()
    assert not await Account.filter(email=CUSTOMER["email"]).exists()


async def test_rate_limits_per_link(migrated: str, tmp_path: Path) -> None:
    specs = read_plugin_specs(ROOT / "plugins.toml", ())
    for spec in specs:
        if spec.name == "subscription_portal":
            spec.config = {**spec.config, "per_link_per_hour": 3}
    settings = make_settings(migrated, tmp_path)
    async for gateway in start_gateway(settings, host=PluginHost(settings, specs=specs)):
        alpha = await make_tenant()
        company = await link_path(gateway, alpha.reseller)
        professional = await link_path(gateway, alpha.reseller, "PROFESSIONAL")
        statuses = [(await gateway.client.get(company)).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        assert (await gateway.client.get(professional)).status_code == 200  # its own count
