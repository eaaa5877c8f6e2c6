"""The emails, really delivered to an SMTP server on loopback: the organisation's admin gets
the new extensions; on un-affiliation every user of both sides is told; unticked, or for an
account in test mode, nothing leaves."""

from __future__ import annotations

from typing import Any

from gateway.identity.models import User
from plugins.clients.services import set_test_mode
from tests.plugins.affiliation.conftest import World, emails_queued, received


def _text(message: Any) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[no-any-return]


async def test_the_organisations_admin_gets_the_new_extensions(world: World) -> None:
    await User.filter(id=world.alpha.company_admin.id).update(language="fr")
    token = (await world.proposal(world.branch))["proposal"]["token"]
    assert (await world.affiliate(world.branch, token=token, notify=True))["errors"] == []

    (message,) = await received(world.gateway.smtp, 1)  # type: ignore[attr-defined]
    assert message["To"] == world.alpha.company_admin.email  # the admin, not the employee
    assert message["Subject"] == "Nouveau compte affilié à Organisation Mère : Succursale Nord"
    text = _text(message)
    listed = [line for line in text.splitlines() if line.startswith("  ")]
    assert listed == [
        f"  102  {world.branch_employee.full_name} (utilisateur)",
        f"  140  {world.branch_admin.full_name} (utilisateur) (auparavant 100)",
        "  501  Accueil (groupe) (auparavant 500)",
        "  700  Boîte vocale (service)",
    ]
    assert "Postes modifiés pour éviter un conflit : 2." in text
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "<td>140</td>" in html and "auparavant 100" in html


async def test_unticked_or_in_test_mode_nothing_is_sent(world: World) -> None:
    await set_test_mode(world.org.id, True)
    token = (await world.proposal(world.branch))["proposal"]["token"]
    assert (await world.affiliate(world.branch, token=token, notify=True))["errors"] == []
    assert await emails_queued() == 0
    await set_test_mode(world.org.id, False)
    assert (await world.unaffiliate(world.branch, notify=False))["errors"] == []
    assert await emails_queued() == 0
    assert world.gateway.smtp.messages == []  # type: ignore[attr-defined]


async def test_unaffiliation_tells_every_user_of_both_sides(world: World) -> None:
    await world.call("staff", """mutation($input: AffiliateAccountInput!) {
        affiliateAccount(input: $input) { errors { code } } }""", input={
        "accountId": str(world.alpha.professional_account.id),  # a plain UID works too
        "organizationId": str(world.org.id), "notify": False})
    token = (await world.proposal(world.branch))["proposal"]["token"]
    assert (await world.affiliate(world.branch, token=token))["errors"] == []
    assert await emails_queued() == 0

    assert (await world.unaffiliate(world.branch, notify=True))["errors"] == []
    messages = await received(world.gateway.smtp, 5)  # type: ignore[attr-defined]
    subjects = {m["To"]: m["Subject"] for m in messages}
    left = "Succursale Nord has left the organisation Organisation Mère"
    member = "Succursale Nord has left your organisation Organisation Mère"
    assert subjects == {
        world.branch_admin.email: left, world.branch_employee.email: left,
        world.alpha.company_admin.email: member, world.alpha.employee.email: member,
        world.alpha.professional.email: member}
    text = _text(next(m for m in messages if m["To"] == world.alpha.employee.email))
    assert "Check the groups and call-forwarding schedules" in text
