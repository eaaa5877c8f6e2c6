"""The portal in a real headless Chromium (Debian's ``chromium`` driven by Playwright): the
wizard filled end to end by its labels, the page's own script solving the proof of work, and
the account checked in the database. Skips, saying why, only when chromium or playwright is
missing (``.ci/portal-setup`` installs both)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.identity.models import Account, BillingStatus, User, UserRole
from gateway.models import OutboxJob
from plugins.account_settings.models import PhoneNumber
from plugins.subscription_portal import links
from tests.plugins.subscription_portal.support import stock
from tests.support.browser import CHROMIUM, NEEDS_BROWSER, async_playwright, served, submit
from tests.support.identity_factory import make_tenant

pytestmark: list[pytest.MarkDecorator] = NEEDS_BROWSER


async def test_a_client_signs_up_in_a_real_browser(migrated: str, tmp_path: Path) -> None:
    assert async_playwright is not None and CHROMIUM is not None
    async with served(migrated, tmp_path) as (gateway, url):
        alpha = await make_tenant("Alpha Navigateur")
        await stock(alpha.reseller, "+1 418 555 0150", "+1 514 555 0150")
        (company, _) = await links.links_of(alpha.reseller)
        link = links.url_of(gateway.app.state.host, company)
        assert link.startswith(url)
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM,
                                                       args=["--no-sandbox"])
            try:
                page = await browser.new_page(locale="fr-CA")
                page.set_default_timeout(60_000)
                await page.goto(link)
                assert await page.get_attribute("html", "lang") == "fr"
                # The first step: labels name every field; the script does the proof of work
                # (the arithmetic question is hidden once it runs).
                await page.get_by_label("Nom du client").fill("Café Navigateur")
                await page.get_by_label("Adresse courriel").fill("info@cafe-navigateur.test")
                await page.get_by_label("Numéro de téléphone").fill("514 555 0199")
                await page.get_by_label("Ville").fill("Québec")
                await page.get_by_label("Fuseau horaire").select_option("America/Toronto")
                assert await page.locator("#hurdle-q").is_hidden()
                await submit(page, "Suivant", "**/administrator?lang=fr")
                await page.get_by_label("Prénom").fill("Marc")
                await page.get_by_role("textbox", name="Nom", exact=True).fill("Gagnon")
                await page.get_by_label("Courriel de l'administrateur").fill(
                    "marc@cafe-navigateur.test")
                await submit(page, "Suivant", "**/subscription?lang=fr")
                await page.get_by_label("Forfait").fill("Forfait Café")
                await submit(page, "Suivant", "**/numbers?lang=fr")
                await page.get_by_label("Type de numéro").first.select_option("LOCAL")
                await page.get_by_label("Indicatif régional souhaité").first.fill("418")
                await submit(page, "Suivant", "**/billing?lang=fr")
                # Terms not accepted: the error is shown next to the box, in French.
                await page.get_by_label("Courriel de facturation").fill(
                    "compta@cafe-navigateur.test")
                await page.get_by_role("button", name="Suivant").click()
                await page.wait_for_selector("#terms-error")
                assert "Acceptez les conditions" in await page.inner_text("#terms-error")
                await page.get_by_label("J'accepte les conditions").check()
                await submit(page, "Suivant", "**/confirm?lang=fr")
                assert "Forfait Café" in await page.inner_text("main")
                assert not await Account.filter(name="Café Navigateur").exists()
                await page.get_by_role("button", name="Créer mon compte").click()
                await page.wait_for_selector("[role=status]")
                status = await page.inner_text("[role=status]")
            finally:
                await browser.close()
        account = await Account.get(name="Café Navigateur")
        assert str(account.id) in status
        assert account.billing_status == BillingStatus.FREE_TRIAL
        # The number ordered (a local one of area code 418) came from the reseller's pool.
        assert await PhoneNumber.filter(account_id=account.id).values_list(
            "number", flat=True) == ["+14185550150"]
        admin = await User.get(account_id=account.id)
        assert (admin.role, admin.login) == (UserRole.COMPANY_ADMIN, "marc@cafe-navigateur.test")
        templates = {row.payload["template"] for row in await OutboxJob.filter(job="email.send")}
        assert {"clients_welcome", "portal_new_signup"} <= templates
