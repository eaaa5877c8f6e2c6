"""Subscription links (issue 20, the public portal): per reseller one link for companies and
one for professionals, unguessable, listed with their URL, the portal's and an HTML snippet,
regenerated (the old URL stops working), revoked, given an expiry; audited; another
reseller's link is not found."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from strawberry.relay import to_base64

from gateway.identity.models import AuditEntry, ResellerDelegate, UserRole
from plugins.subscription_portal.models import SubscriptionLink
from tests.conftest import Gateway
from tests.support.identity_factory import bearer_for, make_tenant, make_user

LINK = "id kind url portalUrl snippet active revokedAt expiresAt regeneratedAt"
LIST = f"""query($resellerId: ID) {{ subscriptionLinks(resellerId: $resellerId) {{ {LINK} }} }}"""
REGENERATE = f"""mutation($id: ID!) {{ regenerateSubscriptionLink(input: {{id: $id}}) {{
  link {{ {LINK} }} errors {{ code field message }} }} }}"""
REVOKE = f"""mutation($id: ID!) {{ revokeSubscriptionLink(input: {{id: $id}}) {{
  link {{ {LINK} }} errors {{ code field message }} }} }}"""
EXPIRE = f"""mutation($id: ID!, $at: DateTime) {{ setSubscriptionLinkExpiry(
  input: {{id: $id, expiresAt: $at}}) {{ link {{ {LINK} }} errors {{ code field message }} }} }}"""


async def _links(gateway: Gateway, headers: dict[str, str], **variables: Any
                 ) -> list[dict[str, Any]]:
    result = await gateway.graphql(LIST, variables, **headers)
    assert "errors" not in result, result
    links: list[dict[str, Any]] = result["data"]["subscriptionLinks"]
    return links


async def _opens(gateway: Gateway, url: str) -> int:
    response = await gateway.client.get(url.replace("http://testserver", ""))
    return response.status_code


async def test_each_reseller_has_a_company_and_a_professional_link(gateway: Gateway) -> None:
    alpha = await make_tenant("Alpha")
    beta = await make_tenant("Beta")
    headers = await bearer_for(alpha.admin)
    first = await _links(gateway, headers)
    assert [link["kind"] for link in first] == ["COMPANY", "PROFESSIONAL"]
    assert await _links(gateway, headers) == first  # made once, listed again unchanged
    for link in first:
        assert link["active"] is True
        assert re.fullmatch(r"http://testserver/subscribe/\d+-[A-Za-z0-9_-]{43}", link["url"])
        assert link["portalUrl"] == "http://testserver/subscribe"
        assert link["snippet"].startswith(f'<a href="{link["url"]}"')
        assert await _opens(gateway, link["url"]) == 200
    assert first[0]["url"] != first[1]["url"]
    # The token is not stored: a database dump does not give the URL away.
    rows = await SubscriptionLink.filter(reseller_id=alpha.reseller.id).values()
    token = first[0]["url"].rsplit("/", 1)[1].split("-", 1)[1]  # "<id>-<token>"; tokens hold "-"
    for row in rows:
        assert all(token not in str(v) for v in row.values())
    # A delegate of the same reseller sees the same links; another reseller its own.
    delegate = await make_user(UserRole.COMPANY_ADMIN, reseller=alpha.reseller,
                               account=alpha.company)
    await ResellerDelegate.create(reseller=alpha.reseller, user=delegate)
    assert await _links(gateway, await bearer_for(delegate)) == first
    theirs = await _links(gateway, await bearer_for(beta.admin))
    assert {link["url"] for link in theirs}.isdisjoint({link["url"] for link in first})


async def test_a_forged_or_guessed_token_opens_nothing(gateway: Gateway) -> None:
    alpha = await make_tenant()
    (company, _) = await _links(gateway, await bearer_for(alpha.admin))
    link_id, mac = company["url"].rsplit("/", 1)[1].split("-", 1)
    for token in (f"{link_id}-{'A' * 43}", f"{int(link_id) + 1}-{mac}", link_id, "x" * 200):
        assert await _opens(gateway, f"/subscribe/{token}") == 404


async def test_regenerate_revoke_and_expire(gateway: Gateway) -> None:
    alpha = await make_tenant()
    headers = await bearer_for(alpha.admin)
    company, professional = await _links(gateway, headers)

    result = await gateway.graphql(REGENERATE, {"id": company["id"]}, **headers)
    renewed = result["data"]["regenerateSubscriptionLink"]["link"]
    assert renewed["url"] != company["url"] and renewed["regeneratedAt"]
    assert await _opens(gateway, company["url"]) == 404  # the old URL stops at once
    assert await _opens(gateway, renewed["url"]) == 200

    result = await gateway.graphql(REVOKE, {"id": company["id"]}, **headers)
    revoked = result["data"]["revokeSubscriptionLink"]["link"]
    assert revoked["active"] is False and revoked["revokedAt"]
    assert await _opens(gateway, renewed["url"]) == 404
    assert await _opens(gateway, professional["url"]) == 200  # the other link still works
    result = await gateway.graphql(REGENERATE, {"id": company["id"]}, **headers)
    reopened = result["data"]["regenerateSubscriptionLink"]["link"]
    assert reopened["active"] is True and await _opens(gateway, reopened["url"]) == 200

    soon = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).isoformat()
    result = await gateway.graphql(EXPIRE, {"id": professional["id"], "at": soon}, **headers)
    assert result["data"]["setSubscriptionLinkExpiry"]["link"]["expiresAt"]
    assert await _opens(gateway, professional["url"]) == 200
    await SubscriptionLink.filter(kind="PROFESSIONAL").update(
        expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
    assert await _opens(gateway, professional["url"]) == 404
    result = await gateway.graphql(EXPIRE, {"id": professional["id"], "at": None}, **headers)
    assert result["data"]["setSubscriptionLinkExpiry"]["link"]["active"] is True

    past = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).isoformat()
    result = await gateway.graphql(EXPIRE, {"id": professional["id"], "at": past}, **headers)
    payload = result["data"]["setSubscriptionLinkExpiry"]
    assert payload["link"] is None
    (error,) = payload["errors"]
    assert (error["code"], error["field"]) == ("INVALID", ["input", "expiresAt"])
    assert error["message"] in ("The expiry must be in the future.",
                                "L'expiration doit être dans le futur.")

    # Every change is in the audit log, naming the link.
    details = await AuditEntry.filter(reseller_id=alpha.reseller.id).values_list(
        "detail", flat=True)
    audited = {(d["field"], d["outcome"]) for d in details}
    for name in ("regenerateSubscriptionLink", "revokeSubscriptionLink",
                 "setSubscriptionLinkExpiry"):
        assert any(field == name for field, _ in audited), audited
    assert all(company["id"] in d["objects"] or professional["id"] in d["objects"]
               for d in details), details


async def test_another_resellers_link_is_not_found(gateway: Gateway) -> None:
    alpha = await make_tenant("Alpha")
    beta = await make_tenant("Beta")
    (beta_company, _) = await _links(gateway, await bearer_for(beta.admin))
    alpha_headers = await bearer_for(alpha.admin)
    for query, name in ((REGENERATE, "regenerateSubscriptionLink"),
                        (REVOKE, "revokeSubscriptionLink"),
                        (EXPIRE, "setSubscriptionLinkExpiry")):
        result = await gateway.graphql(query, {"id": beta_company["id"]}, **alpha_headers)
        payload = result["data"][name]
        assert payload["link"] is None
        assert payload["errors"][0]["code"] == "NOT_FOUND"
    assert await _opens(gateway, beta_company["url"]) == 200  # untouched
    result = await gateway.graphql(LIST, {"resellerId": to_base64("Reseller", beta.reseller.id)},
                                   **alpha_headers)
    assert result["data"] is None or not result["data"]["subscriptionLinks"]
    assert beta_company["url"] not in str(result)
    node = await gateway.graphql("query($id: ID!) { node(id: $id) { id } }",
                                 {"id": beta_company["id"]}, **alpha_headers)
    assert node["data"]["node"] is None
    # Subscribers cannot list links at all.
    result = await gateway.graphql(LIST, {}, **await bearer_for(alpha.company_admin))
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_system_admin_names_the_reseller(gateway: Gateway) -> None:
    alpha = await make_tenant()
    admin = await make_user(UserRole.SYSTEM_ADMIN)
    headers = await bearer_for(admin)
    result = await gateway.graphql(LIST, {}, **headers)
    assert result["errors"][0]["extensions"]["code"] == "REQUIRED"
    links = await _links(gateway, headers,
                         resellerId=to_base64("Reseller", alpha.reseller.id))
    assert len(links) == 2
    result = await gateway.graphql(REVOKE, {"id": links[0]["id"]}, **headers)
    assert result["data"]["revokeSubscriptionLink"]["link"]["active"] is False
    assert await _opens(gateway, links[0]["url"]) == 404
