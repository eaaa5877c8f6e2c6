"""``GET /`` says what answers there; GraphiQL loads everything from the gateway itself, so it
works on a machine with no internet access."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.home import GRAPHIQL_ASSETS, NAME, version
from tests.conftest import Gateway, make_settings, start_gateway

HTML = {"accept": "text/html"}


@pytest.fixture
async def production(migrated: str, tmp_path: Path) -> AsyncIterator[Gateway]:
    settings = make_settings(migrated, tmp_path, env="production", secret_key="k" * 40,
                             docs_url="https://docs.example.com/gateway")
    async for running in start_gateway(settings):
        yield running


async def test_home_page_names_the_gateway_and_links_what_answers(gateway: Gateway) -> None:
    page = await gateway.client.get("/", headers={**HTML, "accept-language": "en"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    text = page.text
    assert f"{NAME} {version()}" in text
    for link in ('href="/graphql"', 'href="/healthz"', 'href="/readyz"'):
        assert link in text
    assert "GraphiQL" in text and "README.md" in text  # development: the IDE, where docs are
    assert "http://testserver/graphql" in text


async def test_home_page_speaks_french_and_answers_json(gateway: Gateway) -> None:
    page = await gateway.client.get("/", headers={**HTML, "accept-language": "fr-CA,fr;q=0.9"})
    assert page.headers["content-language"] == "fr"
    assert "Cette adresse sert une API GraphQL" in page.text
    assert "Santé" in page.text
    data = (await gateway.client.get("/", headers={"accept": "application/json"})).json()
    assert data["name"] == NAME and data["version"] == version()
    assert data["links"] == {"graphql": "/graphql", "health": "/healthz", "ready": "/readyz",
                             "graphiql": "/graphql"}
    assert (await gateway.client.head("/")).status_code == 200


async def test_production_home_has_no_ide_and_links_the_docs(production: Gateway) -> None:
    page = await production.client.get("/", headers=HTML)
    assert page.status_code == 200
    assert "GraphiQL" not in page.text
    assert 'href="https://docs.example.com/gateway"' in page.text
    # The IDE's assets are not served either.
    asset = "/graphiql/graphiql@3.8.3/graphiql.min.js"
    assert (await production.client.get(asset)).status_code == 404


def _assets(page: str) -> list[tuple[str, str]]:
    """(URL, integrity) of every script and stylesheet the page loads."""
    found = []
    for tag in re.findall(r"<(?:script|link)\b[^>]*>", page):
        url = re.search(r'\b(?:src|href)="([^"]+)"', tag)
        integrity = re.search(r'\bintegrity="([^"]+)"', tag)
        if url and not url.group(1).startswith("data:"):
            found.append((url.group(1), integrity.group(1) if integrity else ""))
    return found


async def test_graphiql_loads_every_asset_from_the_gateway(gateway: Gateway) -> None:
    page = await gateway.client.get("/graphql", headers=HTML)
    assert page.status_code == 200
    assert "unpkg.com" not in page.text  # nothing from a CDN
    assets = _assets(page.text)
    # React, ReactDOM, js-cookie, GraphiQL (script and style), the explorer (script, style).
    assert len(assets) == 7
    for url, integrity in assets:
        assert url.startswith("/graphiql/"), url
        served = await gateway.client.get(url)
        assert served.status_code == 200, url
        # The browser checks Subresource Integrity: the pinned copy must be the same file.
        digest = base64.b64encode(hashlib.sha384(served.content).digest()).decode()
        assert integrity == f"sha384-{digest}", url
        kind = "javascript" if url.endswith(".js") else "css"
        assert kind in served.headers["content-type"], url


def test_every_pinned_package_ships_its_licence() -> None:
    packages = [p for p in GRAPHIQL_ASSETS.rglob("*@*") if p.is_dir() and "@" in p.name
                and not p.name.startswith("@")]
    assert {p.name for p in packages} == {
        "react@18.2.0", "react-dom@18.2.0", "js-cookie@3.0.5", "graphiql@3.8.3",
        "plugin-explorer@1.0.2"}
    for package in packages:
        licence = (package / "LICENSE").read_text()
        assert "MIT License" in licence or "Permission is hereby granted" in licence, package
