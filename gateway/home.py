"""``GET /``: a small page saying what answers here, and GraphiQL served from the package.

GraphiQL's page is strawberry's own, its scripts and styles pointed at the pinned copies under
``gateway/static/graphiql/`` (same files, same Subresource Integrity hashes as the CDN's), so
the IDE works on a machine with no internet access.
"""

from __future__ import annotations

import functools
import html
import re
from importlib import metadata
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from gateway.i18n import Text, negotiate

STATIC = Path(__file__).parent / "static"
GRAPHIQL_ASSETS = STATIC / "graphiql"
# Where the copies are served; strawberry's page loads them from https://unpkg.com/.
GRAPHIQL_PATH = "/graphiql"
_CDN = "https://unpkg.com/"
PACKAGE = "reseller-gateway"
NAME = "Reseller GraphQL gateway"


@functools.cache
def version() -> str:
    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:  # a checkout on PYTHONPATH, not installed
        return "unknown"


@functools.cache
def graphiql_html() -> str:
    """Strawberry's GraphiQL page with every asset served by the gateway itself."""
    from strawberry.http.ides import get_graphql_ide_html

    page = get_graphql_ide_html("graphiql").replace(_CDN, f"{GRAPHIQL_PATH}/")
    page = page.replace("<title>Strawberry GraphiQL</title>", f"<title>{NAME} · GraphiQL</title>")
    if re.search(r'\b(?:src|href)="https?://', page):
        # A newer strawberry loads something this package does not ship: say so loudly rather
        # than serve a page that waits on "Loading..." offline.
        raise RuntimeError("strawberry's GraphiQL page loads assets from the internet that "
                           "gateway/static/graphiql/ does not have: update them")
    return page


_TITLE = Text(en="{name} {version}", fr="{name} {version}")
_LEAD = Text(en="This address serves a GraphQL API. Send queries with POST to {graphql}.",
             fr="Cette adresse sert une API GraphQL. Envoyez les requêtes en POST à {graphql}.")
_IDE = Text(en="GraphiQL (explore the API and its documentation in a browser)",
            fr="GraphiQL (explorer l'API et sa documentation dans un navigateur)")
_HEALTH = Text(en="Health: the process answers", fr="Santé : le processus répond")
_READY = Text(en="Readiness: the database and the broker answer",
              fr="Disponibilité : la base de données et le courtier répondent")
_DOCS = Text(en="Documentation", fr="Documentation")
_DOCS_BUNDLED = Text(
    en="Documentation: README.md in the gateway's source (the curl walk, the settings, running "
       "it in production), and `gateway --help`.",
    fr="Documentation : README.md dans les sources de la passerelle (la visite avec curl, les "
       "réglages, la mise en production), et `gateway --help`.")


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


async def home(request: Request) -> Response:
    """What answers here: the gateway's name and version, and links (GraphiQL in
    development, health, readiness, documentation); JSON for clients that ask for it."""
    settings = request.app.state.settings
    language = negotiate(request.headers.get("accept-language"))
    links: dict[str, str] = {"graphql": "/graphql", "health": "/healthz", "ready": "/readyz"}
    if settings.graphql_ide:
        links["graphiql"] = "/graphql"
    if settings.docs_url:
        links["docs"] = settings.docs_url
    if _wants_json(request):
        return JSONResponse({"name": NAME, "version": version(), "env": settings.env,
                             "links": links})
    esc = html.escape
    items = []
    if settings.graphql_ide:
        items.append(f'<li><a href="/graphql">{esc(_IDE.render(language))}</a></li>')
    items.append(f'<li><a href="/healthz">{esc(_HEALTH.render(language))}</a></li>')
    items.append(f'<li><a href="/readyz">{esc(_READY.render(language))}</a></li>')
    if settings.docs_url:
        items.append(f'<li><a href="{esc(settings.docs_url)}">'
                     f'{esc(_DOCS.render(language))}</a></li>')
    else:
        items.append(f"<li>{esc(_DOCS_BUNDLED.render(language))}</li>")
    title = esc(_TITLE.render(language, name=NAME, version=version()))
    body = (
        f'<!doctype html>\n<html lang="{language}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title></head>\n<body><h1>{title}</h1>\n"
        f"<p>{esc(_LEAD.render(language, graphql=settings.public_url + '/graphql'))}</p>\n"
        f"<ul>\n{chr(10).join(items)}\n</ul>\n</body></html>\n"
    )
    return HTMLResponse(body, headers={"Content-Language": language, "Vary": "Accept, "
                                       "Accept-Language"})
