"""Numbers ordered on the portal are provisioned (issue 20; FAQ: "Les clients peuvent commander
des numéros de téléphone sur le portail d'abonnement … le système ravitaille automatiquement le
compte avec les numéros (DID)"): the account gets them from its reseller's pool at the last
step; the numbers step refuses what the pool cannot serve, and a pool emptied meanwhile rolls
the whole sign-up back with the error on the numbers step."""

from __future__ import annotations

from gateway.identity.models import Account, User
from gateway.models import OutboxJob
from plugins.account_settings.models import PhoneNumber
from plugins.clients.models import SignupDraft
from plugins.subscription_portal.models import PortalSignup
from tests.conftest import Gateway
from tests.plugins.subscription_portal.support import (
    ADMIN,
    CUSTOMER,
    action,
    follow,
    link_path,
    send,
    stock,
)
from tests.support.identity_factory import make_tenant

ALPHA_POOL = ("+1 514 555 0101", "+1 514 555 0102", "+1 514 555 0103", "+1 438 555 0100",
              "+1 800 555 0199")


async def _to_numbers_step(gateway: Gateway, path: str) -> object:
    page = await gateway.client.get(f"{path}?lang=fr")
    page = await follow(gateway, await send(gateway, page, CUSTOMER))
    page = await follow(gateway, await send(gateway, page, ADMIN))
    page = await follow(gateway, await send(gateway, page, {"plan": "Forfait Base"}))
    assert "banque de numéros de votre fournisseur" in page.text  # the pool's wording
    return page


async def _to_confirmation(gateway: Gateway, numbers_page: object,
                           numbers: dict[str, str]) -> object:
    page = await follow(gateway, await send(gateway, numbers_page, numbers))  # type: ignore
    return await follow(gateway, await send(gateway, page, {
        "invoiceEmail": "compta@boulangerie-portail.test", "terms": "on"}))


async def test_two_local_numbers_of_514_come_from_the_resellers_pool(gateway: Gateway) -> None:
    alpha = await make_tenant("Alpha Télécom")
    beta = await make_tenant("Beta Réseau")
    await stock(alpha.reseller, *ALPHA_POOL)
    await stock(beta.reseller, "+1 514 555 0201", "+1 514 555 0202")

    page = await _to_numbers_step(gateway, await link_path(gateway, alpha.reseller))
    page = await _to_confirmation(gateway, page, {"type.0": "LOCAL", "areaCode.0": "514",
                                                  "type.1": "LOCAL", "areaCode.1": "514"})
    assert not await PhoneNumber.filter(account_id__not_isnull=True).exists()  # not yet
    done = await send(gateway, page, {})  # type: ignore[arg-type]
    assert done.status_code == 200, done.text

    account = await Account.get(reseller_id=alpha.reseller.id, name=CUSTOMER["name"])
    got = await PhoneNumber.filter(account_id=account.id).order_by("number").values_list(
        "number", "reseller_id", "area_code")
    assert got == [("+15145550101", alpha.reseller.id, "514"),
                   ("+15145550102", alpha.reseller.id, "514")]
    # Beta's pool, and Alpha's other numbers, are untouched.
    assert await PhoneNumber.filter(reseller_id=beta.reseller.id,
                                    account_id__isnull=True).count() == 2
    assert await PhoneNumber.filter(reseller_id=alpha.reseller.id,
                                    account_id__isnull=True).count() == 3
    # The sign-up keeps which number each line got (staff read it on the completed draft).
    draft = await SignupDraft.get(account_id=account.id)
    assert [n["number"] for n in draft.data["numbers"]] == ["+15145550101", "+15145550102"]


async def test_more_than_the_pool_has_is_refused_at_the_step(gateway: Gateway) -> None:
    alpha = await make_tenant("Alpha Télécom")
    await stock(alpha.reseller, "+1 514 555 0101", "+1 438 555 0100")
    page = await _to_numbers_step(gateway, await link_path(gateway, alpha.reseller))
    refused = await send(gateway, page, {  # type: ignore[arg-type]
        "type.0": "LOCAL", "areaCode.0": "514", "type.1": "LOCAL", "areaCode.1": "(514)",
        "type.2": "LOCAL", "areaCode.2": "438"})
    assert refused.status_code == 400
    # The second 514 is the one the pool cannot serve: its error is beside its field.
    assert 'id="areaCode.1-error"' in refused.text
    assert "Pas assez de numéros de ce type" in refused.text and "(1 disponible(s))" in refused.text
    assert 'id="areaCode.0-error"' not in refused.text
    assert 'id="areaCode.2-error"' not in refused.text
    draft = await SignupDraft.get(reseller_id=alpha.reseller.id)
    assert "numbers" not in draft.data  # nothing saved of the step
    # Toll-free numbers: none in the pool.
    refused = await send(gateway, refused, {"type.0": "TOLL_FREE"})
    assert 'id="areaCode.0-error"' in refused.text


async def test_a_pool_emptied_before_the_last_step_creates_nothing(gateway: Gateway) -> None:
    alpha = await make_tenant("Alpha Télécom")
    await stock(alpha.reseller, "+1 514 555 0101", "+1 514 555 0102")
    page = await _to_numbers_step(gateway, await link_path(gateway, alpha.reseller))
    confirm = await _to_confirmation(gateway, page, {"type.0": "LOCAL", "areaCode.0": "514",
                                                     "type.1": "LOCAL", "areaCode.1": "514"})
    # Meanwhile, one of the two numbers goes to another account of the reseller.
    await PhoneNumber.filter(number="+15145550102").update(account_id=alpha.company.id)
    emails_before = await OutboxJob.filter(job="email.send").count()

    refused = await send(gateway, confirm, {})  # type: ignore[arg-type]
    assert refused.status_code == 400
    # Shown on the numbers step, the error beside the line that cannot be served.
    assert 'name="type.0"' in refused.text and 'id="areaCode.1-error"' in refused.text
    assert "Pas assez de numéros" in refused.text
    assert action(refused.text).split("?")[0].endswith("/numbers")
    # Nothing was created: no account, no user, no number taken, no email; the draft is open.
    assert not await Account.filter(name=CUSTOMER["name"]).exists()
    assert not await User.filter(email=ADMIN["email"]).exists()
    assert (await PhoneNumber.get(number="+15145550101")).account_id is None
    assert await OutboxJob.filter(job="email.send").count() == emails_before
    draft = await SignupDraft.get(reseller_id=alpha.reseller.id)
    assert draft.status == "OPEN" and draft.account_id is None
    assert (await PortalSignup.get(draft_id=draft.id)).completed_at is None

    # Asking for what is left, the sign-up completes with it.
    confirm = await _to_confirmation(gateway, refused, {"type.0": "LOCAL",
                                                        "areaCode.0": "514"})
    done = await send(gateway, confirm, {})  # type: ignore[arg-type]
    assert done.status_code == 200, done.text
    account = await Account.get(name=CUSTOMER["name"])
    assert await PhoneNumber.filter(account_id=account.id).values_list(
        "number", flat=True) == ["+15145550101"]
