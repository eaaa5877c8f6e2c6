"""Request-level protections that do not depend on who is calling: cross-site requests, and
GraphQL-over-HTTP requests of the wrong shape, refused as GraphQL errors in JSON."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlsplit

from cross_web import HTTPException
from starlette.requests import ClientDisconnect, HTTPConnection, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.exceptions import MissingQueryError
from strawberry.http.parse_content_type import parse_content_type
from strawberry.schema.exceptions import InvalidOperationTypeError

from gateway.i18n import Text, negotiate
from gateway.observability import INTERNAL_ERROR, current_request_id
from gateway.settings import Settings
from schema.masking import with_request_code

log = logging.getLogger("gateway.security")


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


class OriginCheckMiddleware:
    """Refuse a cross-site request that carries cookies (CSRF); token callers are unaffected."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.allowed = {_origin_of(settings.public_url)}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            headers = dict(scope.get("headers", []))
            origin = headers.get(b"origin", b"").decode("latin-1").lower()
            host = headers.get(b"host", b"").decode("latin-1").lower()
            same_host = {f"http://{host}", f"https://{host}"}
            if origin and b"cookie" in headers and origin not in self.allowed | same_host:
                await _refuse(scope, send)
                return
        await self.app(scope, receive, send)


async def _refuse(scope: Scope, send: Send) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 4403})
        return
    body = json.dumps(
        {"errors": [{"message": "Cross-site request refused (Origin not allowed).",
                     "extensions": {"code": "FORBIDDEN_ORIGIN"}}]}
    ).encode()
    await send({"type": "http.response.start", "status": 403,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})


GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"

_NOT_JSON = Text(
    en="The request is not valid JSON (the body of a POST; variables and extensions of a GET).",
    fr="La requête n'est pas du JSON valide (le corps d'un POST ; variables et extensions "
    "d'un GET).",
)
_NOT_AN_OBJECT = Text(
    en='The request body must be a JSON object, e.g. {"query": "{ __typename }"}.',
    fr='Le corps de la requête doit être un objet JSON, par exemple '
    '{"query": "{ __typename }"}.',
)
_BATCH = Text(
    en="Batched requests (a JSON array) are not accepted: send one operation per request.",
    fr="Les requêtes groupées (un tableau JSON) ne sont pas acceptées : envoyez une opération "
    "par requête.",
)
_NO_QUERY = Text(
    en='The request has no GraphQL query: send {"query": "..."}.',
    fr='La requête ne contient pas de requête GraphQL : envoyez {"query": "..."}.',
)
_NOT_A_STRING = Text(en="{name} must be a string.", fr="{name} doit être une chaîne de caractères.")
_NOT_A_MAP = Text(en="{name} must be a JSON object.", fr="{name} doit être un objet JSON.")
_MEDIA_TYPE = Text(
    en="Send GraphQL requests as JSON (Content-Type: application/json); form posts are refused.",
    fr="Envoyez les requêtes GraphQL en JSON (Content-Type: application/json) ; les formulaires "
    "sont refusés.",
)
_MUTATION_OVER_GET = Text(
    en="Mutations must be sent with POST; GET only runs queries.",
    fr="Les mutations doivent être envoyées en POST ; GET n'exécute que des lectures.",
)
_METHOD = Text(
    en="GraphQL is served over GET and POST only.",
    fr="GraphQL n'est servi qu'en GET et en POST.",
)
_NO_IDE = Text(
    en="The GraphQL IDE is turned off here; send queries with POST.",
    fr="L'interface GraphQL est désactivée ici ; envoyez les requêtes en POST.",
)


class RequestRefused(HTTPException):
    """A GraphQL request refused before it runs, answered as a GraphQL error in JSON."""

    def __init__(
        self, status: int, code: str, text: Text, headers: dict[str, str] | None = None,
        **values: Any,
    ) -> None:
        super().__init__(status, text.render("en", **values))
        self.code = code
        self.text = text
        self.values = values
        self.headers = headers or {}


def check_request_object(data: Any) -> None:
    """Refuse a decoded GraphQL-over-HTTP body of the wrong shape, saying what is wrong."""
    if isinstance(data, list):
        raise RequestRefused(400, "BATCH_NOT_SUPPORTED", _BATCH)
    if not isinstance(data, dict):
        raise RequestRefused(400, "BAD_REQUEST", _NOT_AN_OBJECT)
    for name in ("query", "operationName"):
        if data.get(name) is not None and not isinstance(data[name], str):
            raise RequestRefused(400, "BAD_REQUEST", _NOT_A_STRING, name=name)
    for name in ("variables", "extensions"):
        if data.get(name) is not None and not isinstance(data[name], dict):
            raise RequestRefused(400, "BAD_REQUEST", _NOT_A_MAP, name=name)
    if not data.get("query"):
        raise RequestRefused(400, "BAD_REQUEST", _NO_QUERY)


def wants_graphql_response_json(request: HTTPConnection) -> bool:
    return GRAPHQL_RESPONSE_JSON in request.headers.get("accept", "")


def graphql_error_response(
    request: HTTPConnection, status: int, message: str, extensions: dict[str, Any],
    headers: dict[str, str] | None = None,
) -> Response:
    """A GraphQL response with one error and no data, in the media type the client accepts."""
    media_type = (
        GRAPHQL_RESPONSE_JSON if wants_graphql_response_json(request) else "application/json"
    )
    body = json.dumps({"errors": [{"message": message, "extensions": extensions}]},
                      ensure_ascii=False)
    return Response(body, status_code=status, media_type=media_type, headers=headers)


def request_language(request: HTTPConnection) -> str:
    """The caller's language: the context's (set once it is built), else Accept-Language."""
    return getattr(request.state, "language", None) or negotiate(
        request.headers.get("accept-language")
    )


class StrictGraphQLHTTP(GraphQL[Any, Any]):
    """Strawberry's ASGI view where every refusal is a GraphQL error in JSON (strawberry
    answers them in plain text, a JSON body that is not an object with a 500, and takes forms).

    Status codes follow GraphQL-over-HTTP: with ``application/json`` a well-formed request gets
    200 even when its document is refused; a client that accepts
    ``application/graphql-response+json`` gets 400 for a document that could not run."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            response = await self.run(request)
        except HTTPException as exc:
            response = _refusal(request, exc)
        except ClientDisconnect:
            # The client went away mid-request (a closed tab, a load generator stopping):
            # nobody to answer, nothing wrong here.
            log.info("client disconnected before its GraphQL request was read (request %s)",
                     current_request_id())
            return
        except Exception:
            # Outside execution (e.g. the context's session lookup with the database down);
            # errors inside execution are masked by the schema.
            request_id = current_request_id()
            log.exception("GraphQL request failed outside execution (request %s)", request_id,
                          extra={"request_id": request_id})
            response = graphql_error_response(
                request, 500 if wants_graphql_response_json(request) else 200,
                INTERNAL_ERROR.render(request_language(request), request_id=request_id),
                {"code": "INTERNAL_ERROR", "requestId": request_id},
            )
        await response(scope, receive, send)

    def parse_json(self, data: str | bytes) -> Any:
        try:
            return json.loads(data)
        except ValueError:  # also bytes that are not UTF-8
            raise RequestRefused(400, "BAD_REQUEST", _NOT_JSON) from None

    async def parse_http_body(self, request: Any) -> Any:
        if request.method == "POST":
            content_type, _ = parse_content_type(request.content_type or "")
            # JSON only: a form post is what a cross-site page can send without CORS.
            if content_type != "application/json":
                raise RequestRefused(415, "UNSUPPORTED_MEDIA_TYPE", _MEDIA_TYPE)
            check_request_object(self.parse_json(await request.get_body()))
        data = await super().parse_http_body(request)
        if not getattr(data, "query", None):
            raise RequestRefused(400, "BAD_REQUEST", _NO_QUERY)
        return data

    async def execute_single(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await super().execute_single(*args, **kwargs)
        except HTTPException as exc:
            if isinstance(exc.__cause__, InvalidOperationTypeError):
                raise RequestRefused(
                    405, "METHOD_NOT_ALLOWED", _MUTATION_OVER_GET, {"Allow": "POST"}
                ) from exc
            if isinstance(exc.__cause__, MissingQueryError):
                raise RequestRefused(400, "BAD_REQUEST", _NO_QUERY) from exc
            raise

    async def get_sub_response(self, request: Any) -> Response:
        sub_response: Response = await super().get_sub_response(request)
        request.state.graphql_sub_response = sub_response
        # create_response does not see the request: carry the negotiated media type.
        sub_response.graphql_media_type = (  # type: ignore[attr-defined]
            GRAPHQL_RESPONSE_JSON if wants_graphql_response_json(request) else None
        )
        return sub_response

    async def process_result(self, request: Any, result: Any) -> Any:
        if result.errors:
            result.errors = [with_request_code(error) for error in result.errors]
        data = await super().process_result(request, result)
        if wants_graphql_response_json(request):
            # A document that could not run at all (syntax, validation, variables) has no
            # "data" and a 400; field errors keep 200.
            could_not_run = bool(result.errors) and result.data is None and all(
                error.path is None for error in result.errors
            )
            if could_not_run:
                data.pop("data", None)
                request.state.graphql_sub_response.status_code = 400
        return data

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        response: Response = super().create_response(
            response_data, sub_response
        )
        media_type = getattr(sub_response, "graphql_media_type", None)
        if media_type:
            response.headers["content-type"] = media_type
        return response


def _refusal(request: HTTPConnection, exc: HTTPException) -> Response:
    language = request_language(request)
    headers: dict[str, str] = {}
    if isinstance(exc, RequestRefused):
        message, code, headers = exc.text.render(language, **exc.values), exc.code, exc.headers
    elif exc.status_code == 405:
        message, code, headers = _METHOD.render(language), "METHOD_NOT_ALLOWED", {
            "Allow": "GET, POST"}
    elif exc.status_code == 404:  # strawberry's answer to a browser when the IDE is off
        message, code = _NO_IDE.render(language), "NOT_FOUND"
    else:  # strawberry's own refusals (e.g. an unknown operationName), in English
        message, code = exc.reason, "BAD_REQUEST"
    return graphql_error_response(request, exc.status_code, message, {"code": code}, headers)
