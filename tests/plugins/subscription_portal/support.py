"""Helpers of the portal's tests: a reseller's link, the page's forms read and sent as a
browser without JavaScript would (plus the proof of work the inline script solves)."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urlsplit

import httpx

from gateway.identity.models import Reseller
from plugins.account_settings import numbers as pool_numbers
from plugins.subscription_portal import links
from plugins.subscription_portal.models import SubscriptionLink
from plugins.subscription_portal.wizard import solve
from tests.conftest import Gateway

CUSTOMER = {"name": "Boulangerie Portail", "email": "info@boulangerie-portail.test",
            "phoneNumber": "(514) 555-0142", "address": "12 rue Principale",
            "city": "Montréal", "state": "QC", "postalCode": "H2X 1Y4", "country": "CA",
            "language": "fr", "timeZone": "America/Toronto"}
ADMIN = {"firstName": "Léa", "lastName": "Roy", "email": "lea@boulangerie-portail.test",
         "language": "fr"}


async def link_path(gateway: Gateway, reseller: Reseller, kind: str = "COMPANY") -> str:
    """The path of the reseller's link of ``kind`` (made as the staff's list makes it)."""
    (link,) = [x for x in await links.links_of(reseller) if x.kind == kind]
    host = gateway.app.state.host
    return urlsplit(links.url_of(host, link)).path


async def stock(reseller: Reseller, *numbers: str) -> None:
    """Put ``numbers`` in the reseller's pool (as staff import them); by default two local
    numbers of area code 514, for the sign-ups that order one."""
    content = "\n".join(numbers or ("+1 514 555 0181", "+1 514 555 0182"))
    report = await pool_numbers.import_numbers(reseller.id, content)
    assert not report.rejected, report.rejected


def hidden(page: str) -> dict[str, str]:
    return {m[1]: html.unescape(m[2]) for m in
            re.finditer(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page)}


def action(page: str) -> str:
    match = re.search(r'<form method="post" action="([^"]+)"', page)
    assert match, page
    return html.unescape(match[1])


def bits(page: str) -> int:
    match = re.search(r"[ ,]bits=(\d+),", page)
    return int(match[1]) if match else 0


async def send(gateway: Gateway, response: httpx.Response, values: dict[str, Any], *,
               work: bool = True, **headers: str) -> httpx.Response:
    """Fill the page's form with ``values`` (its hidden fields kept) and send it; ``work``:
    the proof of work done, as the inline script does."""
    page = response.text
    data = {**hidden(page), **{k: v for k, v in values.items() if v is not None}}
    if work and "challenge" in data and bits(page):
        data["pow"] = solve(data["challenge"], bits(page))
    return await gateway.client.post(action(page), data=data, headers=headers)


async def follow(gateway: Gateway, response: httpx.Response, **headers: str) -> httpx.Response:
    assert response.status_code == 303, (response.status_code, response.text[:3000])
    return await gateway.client.get(response.headers["location"], headers=headers)


async def sign_up(gateway: Gateway, path: str, customer: dict[str, Any] | None = None,
                  admin: dict[str, Any] | None = None, **headers: str) -> httpx.Response:
    """Every step filled in; the confirmation page (not sent yet)."""
    page = await gateway.client.get(path, headers=headers)
    assert page.status_code == 200, page.text
    page = await follow(gateway, await send(gateway, page, customer or CUSTOMER, **headers),
                        **headers)
    page = await follow(gateway, await send(gateway, page, admin or ADMIN, **headers), **headers)
    page = await follow(gateway, await send(gateway, page, {"plan": "Forfait Base",
                                                             "options": "Télécopie"},
                                            **headers), **headers)
    page = await follow(gateway, await send(gateway, page, {"type.0": "LOCAL",
                                                             "areaCode.0": "514"},
                                            **headers), **headers)
    page = await follow(gateway, await send(gateway, page, {
        "invoiceEmail": "compta@boulangerie-portail.test", "terms": "on"}, **headers),
        **headers)
    assert page.status_code == 200
    return page


def token_of(path: str) -> str:
    return path.rsplit("/", 1)[1]


async def the_link(path: str) -> SubscriptionLink:
    link_id = int(token_of(path).split("-", 1)[0])
    return await SubscriptionLink.get(id=link_id)
