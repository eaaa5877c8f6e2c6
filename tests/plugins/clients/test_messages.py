"""Envoi Msg: access codes or a custom message to the selected accounts, from one of the
reseller's admins, with copies; nothing leaves for an account in test mode."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from strawberry.relay import to_base64

from gateway.identity.models import Account, BillingStatus, OneTimeToken, ResellerDelegate
from plugins.clients import services
from plugins.clients.models import AccountMessage, MessageStatus
from tests.conftest import Gateway
from tests.plugins.clients.conftest import received
from tests.support.identity_factory import bearer_for, make_tenant

SEND = """mutation($input: SendAccountMessageInput!) {
  sendAccountMessage(input: $input) {
    messages { id kind status toAddress cc bcc subject account { accountNumber } }
    errors { code field message }
  }
}"""


def _input(accounts: list[Account], sender: Any, **more: Any) -> dict[str, Any]:
    return {"input": {"accountIds": [to_base64("Account", a.id) for a in accounts],
                      "fromId": to_base64("User", sender.id), **more}}


async def test_access_codes_to_two_accounts_with_copies(clients_gateway: Gateway) -> None:
    gateway = clients_gateway
    tenant = await make_tenant()
    headers = await bearer_for(tenant.admin)
    accounts = [tenant.company, tenant.professional_account]
    result = await gateway.graphql(SEND, _input(
        accounts, tenant.admin, kind="ACCESS_CODES", cc=["support@alpha.test"],
        bcc=["archive@alpha.test"], body="Voici vos codes, comme demandé."), **headers)
    payload = result["data"]["sendAccountMessage"]
    assert payload["errors"] == []
    assert [(m["status"], m["toAddress"], m["account"]["accountNumber"])
            for m in payload["messages"]] == [
        ("SENT", tenant.company.email, tenant.company.id),
        ("SENT", tenant.professional_account.email, tenant.professional_account.id)]

    messages = await received(gateway.smtp, 2)  # type: ignore[attr-defined]
    by_to = {m["To"]: m for m in messages}
    company = by_to[tenant.company.email]
    assert company["Cc"] == "support@alpha.test"
    assert "Bcc" not in company
    envelope = next(r for r in gateway.smtp.messages  # type: ignore[attr-defined]
                    if r.message["To"] == tenant.company.email)
    assert set(envelope.rcpt_tos) == {tenant.company.email, "support@alpha.test",
                                      "archive@alpha.test"}
    assert company["Reply-To"] == tenant.admin.email
    text = company.get_body(preferencelist=("plain",)).get_content()
    # The login id of the account's admin and a set-password link; never a password.
    assert tenant.company_admin.login in text
    assert "Voici vos codes, comme demandé." in text
    link = re.search(r"https?://\S+", text).group(0)  # type: ignore[union-attr]
    token = parse_qs(urlsplit(link).query)["token"][0]
    assert token.startswith("gwl_")
    assert await OneTimeToken.filter(user_id=tenant.company_admin.id).count() == 1
    assert "Secret-pass1" not in text  # the factory's password
    # The subject defaults to the access codes one, in the person's language.
    assert company["Subject"] == "Your access codes"


async def test_a_custom_message_and_an_account_in_test_mode(clients_gateway: Gateway) -> None:
    gateway = clients_gateway
    tenant = await make_tenant()
    await services.set_test_mode(tenant.professional_account.id, True)
    result = await gateway.graphql(SEND, _input(
        [tenant.company, tenant.professional_account], tenant.admin, kind="CUSTOM",
        subject="Maintenance <samedi>", body="Le service sera interrompu.\nMerci & à bientôt."),
        **await bearer_for(tenant.admin))
    payload = result["data"]["sendAccountMessage"]
    assert [m["status"] for m in payload["messages"]] == ["SENT", "SUPPRESSED"]
    (message,) = await received(gateway.smtp, 1)  # type: ignore[attr-defined]
    assert message["To"] == tenant.company.email
    assert message["Subject"] == "Maintenance <samedi>"
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Le service sera interrompu.<br>Merci &amp; à bientôt." in html
    suppressed = await AccountMessage.get(account_id=tenant.professional_account.id)
    assert suppressed.status == MessageStatus.SUPPRESSED and suppressed.outbox_job_id is None
    history = await gateway.graphql(
        "query($id: ID!) { accountMessages(accountId: $id) { totalCount nodes { status subject "
        "} } }", {"id": tenant.professional_account.id}, **await bearer_for(tenant.admin))
    assert history["data"]["accountMessages"] == {
        "totalCount": 1, "nodes": [{"status": "SUPPRESSED", "subject": "Maintenance <samedi>"}]}
    # As a node: seen by its reseller, not found by another.
    message_id = payload["messages"][1]["id"]
    node = "query($id: ID!) { node(id: $id) { ... on AccountMessage { status } } }"
    mine = await gateway.graphql(node, {"id": message_id}, **await bearer_for(tenant.admin))
    assert mine["data"]["node"] == {"status": "SUPPRESSED"}
    other = await make_tenant("Autre")
    theirs = await gateway.graphql(node, {"id": message_id}, **await bearer_for(other.admin))
    assert theirs["data"]["node"] is None


async def test_nothing_is_sent_when_anything_is_wrong(clients_gateway: Gateway) -> None:
    gateway = clients_gateway
    alpha, beta = await make_tenant("Alpha"), await make_tenant("Beta")
    await Account.filter(id=alpha.professional_account.id).update(
        billing_status=BillingStatus.UNSUBSCRIBED)
    headers = await bearer_for(alpha.admin)
    result = await gateway.graphql(SEND, {"input": {
        "accountIds": [to_base64("Account", alpha.company.id),
                       to_base64("Account", beta.company.id),
                       to_base64("Account", alpha.professional_account.id)],
        "fromId": to_base64("User", alpha.admin.id), "kind": "CUSTOM",
        "subject": "Bonjour", "body": "", "cc": ["pas une adresse"]}}, **headers)
    errors = result["data"]["sendAccountMessage"]["errors"]
    assert {(e["code"], tuple(e["field"])) for e in errors} == {
        ("NOT_FOUND", ("input", "accountIds", "1")),
        ("ACCOUNT_UNSUBSCRIBED", ("input", "accountIds", "2")),
        ("INVALID", ("input", "cc", "0")),
        ("REQUIRED", ("input", "body")),
    }
    assert not await AccountMessage.all().exists()

    # The sender must be an admin of the account's reseller (or a delegate of it).
    for sender in (beta.admin, alpha.company_admin):
        wrong = await gateway.graphql(SEND, _input([alpha.company], sender, kind="ACCESS_CODES"),
                                      **headers)
        assert [e["code"] for e in wrong["data"]["sendAccountMessage"]["errors"]] == [
            "SENDER_NOT_ADMIN"]
    await ResellerDelegate.create(reseller=alpha.reseller, user=alpha.company_admin)
    delegated = await gateway.graphql(SEND, _input([alpha.company], alpha.company_admin,
                                                   kind="ACCESS_CODES"), **headers)
    assert delegated["data"]["sendAccountMessage"]["errors"] == []
    await received(gateway.smtp, 1)  # type: ignore[attr-defined]


async def test_copies_go_through_the_core_recipient_check(clients_gateway: Gateway) -> None:
    """Issue 15, item 4: copies are typed addresses: at most 10 each, bare addresses only
    (a display name is refused at its index), and nothing is sent when one is refused."""
    gateway = clients_gateway
    tenant = await make_tenant()
    headers = await bearer_for(tenant.admin)
    result = await gateway.graphql(SEND, _input(
        [tenant.company], tenant.admin, kind="CUSTOM", subject="Bonjour", body="Texte",
        cc=["ok@alpha.test", '"Anyone" <victim@outside.test>'],
        bcc=[f"b{i}@alpha.test" for i in range(11)]), **headers)
    errors = result["data"]["sendAccountMessage"]["errors"]
    assert {(e["code"], tuple(e["field"])) for e in errors} == {
        ("INVALID", ("input", "cc", "1")), ("TOO_MANY", ("input", "bcc"))}
    assert not await AccountMessage.all().exists()
