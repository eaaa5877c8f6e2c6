"""Request-level protections that do not depend on who is calling: cross-site requests, and
GraphQL-over-HTTP requests of the wrong shape, refused as GraphQL errors in JSON."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hmac
import json
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any, cast

import orjson
from cross_web import HTTPException
from graphql import GraphQLError, OperationDefinitionNode, parse
from starlette.requests import ClientDisconnect, HTTPConnection, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import MissingQueryError
from strawberry.http import GraphQLRequestData
from strawberry.http.exceptions import (
    NonJsonMessageReceived,
    NonTextMessageReceived,
    WebSocketDisconnected,
)
from strawberry.http.parse_content_type import parse_content_type
from strawberry.http.websocket_origin import normalize_origin
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.types.graphql import OperationType

from gateway.i18n import Text, negotiate
from gateway.observability import INTERNAL_ERROR, current_request_id
from gateway.settings import Settings
from gateway.unavailable import CODE as UNAVAILABLE_CODE
from gateway.unavailable import RETRY_AFTER_SECONDS, UNAVAILABLE, is_unavailable
from schema.masking import with_request_code

log = logging.getLogger("gateway.security")


def _origin_of(url: str) -> str | None:
    """The origin of ``url`` as browsers send it: scheme, host and a port only when it is not
    the scheme's default (``https://x:443`` is ``https://x``)."""
    return normalize_origin(url)


class OriginCheckMiddleware:
    """Refuse a cross-site request that carries cookies (CSRF); token callers are unaffected.
    The one allowed origin is the configured ``PUBLIC_URL``'s."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.allowed = {origin for origin in [_origin_of(settings.public_url)] if origin}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            headers = dict(scope.get("headers", []))
            origin = headers.get(b"origin", b"").decode("latin-1")
            # Compared with PUBLIC_URL only, never with the request's own Host: whoever sends
            # the request chooses its Host (a Host-rewriting proxy, a DNS-rebinding page).
            if origin and b"cookie" in headers and _origin_of(origin) not in self.allowed:
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


def metrics_guard(endpoint: Callable[[Request], Awaitable[Response]], settings: Settings,
                  ) -> Callable[[Request], Awaitable[Response]]:
    """``endpoint`` (/metrics) behind ``METRICS_TOKEN``: with a token set, only a request
    bearing it is answered (401 otherwise); without one it is open in development and test,
    and absent (404) in production: its label values and counts are not for the world."""
    expected = f"Bearer {settings.metrics_token}".encode()

    async def guarded(request: Request) -> Response:
        if not settings.metrics_open:
            if not settings.metrics_token:
                return Response("Not Found", status_code=404, media_type="text/plain")
            given = request.headers.get("authorization", "").encode("latin-1", "replace")
            if not hmac.compare_digest(given, expected):
                return Response("Unauthorized: METRICS_TOKEN bearer required",
                                status_code=401, media_type="text/plain",
                                headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
        return await endpoint(request)

    return guarded


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
_TOO_LARGE = Text(
    en="The request body is larger than {limit} bytes: send a smaller request.",
    fr="Le corps de la requête dépasse {limit} octets : envoyez une requête plus petite.",
)
_BAD_LENGTH = Text(
    en="The Content-Length header is not a number of bytes.",
    fr="L'en-tête Content-Length n'est pas un nombre d'octets.",
)
_QUERY_TOO_LONG = Text(
    en="The GraphQL query is longer than {limit} characters.",
    fr="La requête GraphQL dépasse {limit} caractères.",
)
_GET_OFF = Text(
    en="Queries over GET are turned off here (there are no persisted queries): send them "
    "with POST.",
    fr="Les requêtes en GET sont désactivées ici (il n'y a pas de requêtes persistées) : "
    "envoyez-les en POST.",
)
_SUBSCRIPTION_OVER_HTTP = Text(
    en="Subscriptions run over WebSocket only (graphql-transport-ws on /graphql), not over "
    "HTTP.",
    fr="Les abonnements ne fonctionnent qu'en WebSocket (graphql-transport-ws sur /graphql), "
    "pas en HTTP.",
)
_UNKNOWN_OPERATION = Text(
    en='The document has no operation named "{name}".',
    fr='Le document ne contient pas d\'opération nommée "{name}".',
)
_NOT_ACCEPTABLE = Text(
    en="The Accept header refuses both application/graphql-response+json and "
    "application/json: accept one of them.",
    fr="L'en-tête Accept refuse application/graphql-response+json et application/json : "
    "acceptez l'un des deux.",
)
_UNENCODABLE = Text(
    en="{name} holds text that cannot be encoded (a lone UTF-16 surrogate): send valid "
    "Unicode.",
    fr="{name} contient un texte impossible à encoder (un demi-caractère UTF-16 isolé) : "
    "envoyez de l'Unicode valide.",
)
_NO_IDE = Text(
    en="The GraphQL IDE is turned off here; send queries with POST.",
    fr="L'interface GraphQL est désactivée ici ; envoyez les requêtes en POST.",
)


class RequestRefused(HTTPException):
    """A GraphQL request refused before it runs, answered as a GraphQL error in JSON.

    ``status=None``: a well-formed request whose document cannot run (an unknown
    operationName, a subscription over HTTP), answered as other document errors are: 200
    under ``application/json``, 400 under ``application/graphql-response+json``."""

    def __init__(
        self, status: int | None, code: str, text: Text, headers: dict[str, str] | None = None,
        **values: Any,
    ) -> None:
        super().__init__(status or 400, text.render("en", **values))
        self.document_level = status is None
        self.code = code
        self.text = text
        self.values = values
        self.headers = headers or {}


def _first_unencodable(data: dict[str, Any]) -> str | None:
    """The name of the first member of a request (query, operationName, variables,
    extensions) holding a text that cannot be encoded, such as a lone UTF-16 surrogate."""
    def bad(value: Any) -> bool:
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return True
            return False
        if isinstance(value, dict):
            return any(bad(key) or bad(item) for key, item in value.items())
        if isinstance(value, list):
            return any(bad(item) for item in value)
        return False

    return next((name for name, value in data.items() if bad(value) or bad(name)), None)


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
    unencodable = _first_unencodable(data)
    if unencodable is not None:
        # Refused here, before anything logs or stores it (like NUL, schema.nul_characters).
        name = unencodable.encode("utf-8", "backslashreplace").decode()
        raise RequestRefused(None, "BAD_USER_INPUT", _UNENCODABLE, name=name)


def accept_quality(accept: str | None, media_type: str) -> float:
    """The q-value ``accept`` gives ``media_type``: the most specific matching range wins
    (``type/sub``, then ``type/*``, then ``*/*``); 0 when nothing matches. No header accepts
    everything."""
    if accept is None or not accept.strip():
        return 1.0
    wanted_type = media_type.split("/")[0]
    best: tuple[int, float] = (-1, 0.0)
    for part in accept.split(","):
        pieces = [piece.strip() for piece in part.split(";")]
        candidate = pieces[0].lower()
        quality = 1.0
        for parameter in pieces[1:]:
            key, _, value = parameter.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    quality = 0.0
        if candidate == media_type:
            specificity = 2
        elif candidate == f"{wanted_type}/*":
            specificity = 1
        elif candidate == "*/*":
            specificity = 0
        else:
            continue
        if specificity > best[0]:
            best = (specificity, quality)
    return best[1]


def negotiated_media_type(request: HTTPConnection) -> str | None:
    """The response's media type by the Accept header's q-values: the GraphQL one when the
    client names it and prefers it or ties (GraphQL-over-HTTP; ``*/*`` alone keeps
    ``application/json``, as legacy clients expect), ``application/json`` otherwise, None
    when the header makes both unacceptable (q=0, or not listed)."""
    accept = request.headers.get("accept")
    if accept is None or not accept.strip():
        return "application/json"
    return _negotiated(accept)


@functools.lru_cache(maxsize=128)
def _negotiated(accept: str) -> str | None:
    """:func:`negotiated_media_type` of a non-empty Accept header (clients send the same few,
    and a request asks up to three times)."""
    graphql = accept_quality(accept, GRAPHQL_RESPONSE_JSON)
    json_quality = accept_quality(accept, "application/json")
    named = GRAPHQL_RESPONSE_JSON in accept.lower()
    if named and graphql > 0 and graphql >= json_quality:
        return GRAPHQL_RESPONSE_JSON
    if json_quality > 0:
        return "application/json"
    return None


def wants_graphql_response_json(request: HTTPConnection) -> bool:
    return negotiated_media_type(request) == GRAPHQL_RESPONSE_JSON


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


@functools.lru_cache(maxsize=64)
def _media_type(content_type: str) -> str:
    """A Content-Type's media type (strawberry's parser is the standard library's email
    header parser: slow, and clients send the same few headers)."""
    return parse_content_type(content_type)[0]


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

    def __init__(self, *, settings: Settings | None = None, **kwargs: Any) -> None:
        self.settings = settings or Settings()
        super().__init__(**kwargs)

    def encode_json(self, data: object) -> bytes:
        return encode_json(data)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        limit = self.settings.max_body_bytes
        request = Request(scope, _limited(receive, limit))
        try:
            _check_content_length(request, limit)
            response = await self.run(request)
        except HTTPException as exc:
            response = _refusal(request, exc)
        except ClientDisconnect:
            # The client went away mid-request (a closed tab, a load generator stopping):
            # nobody to answer, nothing wrong here.
            log.info("client disconnected before its GraphQL request was read (request %s)",
                     current_request_id())
            return
        except Exception as exc:
            # Outside execution (e.g. the context's session lookup with the database down);
            # errors inside execution are masked by the schema.
            request_id = current_request_id()
            if is_unavailable(exc):
                log.warning("database unavailable (request %s): %r", request_id, exc)
                response = graphql_error_response(
                    request, 503, UNAVAILABLE.render(request_language(request)),
                    {"code": UNAVAILABLE_CODE, "retryAfter": RETRY_AFTER_SECONDS},
                    {"Retry-After": str(RETRY_AFTER_SECONDS)})
                await response(scope, receive, send)
                return
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
        if negotiated_media_type(request) is None:
            raise RequestRefused(406, "NOT_ACCEPTABLE", _NOT_ACCEPTABLE)
        if request.method == "POST":
            content_type = _media_type(request.content_type or "")
            # JSON only: a form post is what a cross-site page can send without CORS.
            # Media types are case-insensitive (RFC 9110): Application/JSON is JSON.
            if content_type.strip().lower() != "application/json":
                raise RequestRefused(415, "UNSUPPORTED_MEDIA_TYPE", _MEDIA_TYPE)
            body = self.parse_json(await request.get_body())
            check_request_object(body)
            data: Any = GraphQLRequestData(
                query=body.get("query"), variables=body.get("variables"),
                operation_name=body.get("operationName"), extensions=body.get("extensions"),
            )
        elif not self.allow_queries_via_get:
            # No persisted queries exist: GET would only carry query text in URLs.
            raise RequestRefused(405, "METHOD_NOT_ALLOWED", _GET_OFF, {"Allow": "POST"})
        else:
            data = await super().parse_http_body(request)
        if not getattr(data, "query", None):
            raise RequestRefused(400, "BAD_REQUEST", _NO_QUERY)
        limit = self.settings.max_query_length
        if len(data.query) > limit:
            raise RequestRefused(413, "QUERY_TOO_LONG", _QUERY_TOO_LONG, limit=limit)
        return data

    async def execute_single(  # noqa: PLR0913, PLR0917
        self, request: Any, request_adapter: Any, sub_response: Any, context: Any,
        root_value: Any, request_data: Any,
    ) -> Any:
        """Strawberry's, with subscriptions refused: they run over WebSocket only."""
        allowed = OperationType.from_http(request_adapter.method) - {OperationType.SUBSCRIPTION}
        try:
            return await self.schema.execute(
                request_data.query, root_value=root_value,
                variable_values=request_data.variables, context_value=context,
                operation_name=request_data.operation_name, allowed_operation_types=allowed,
                operation_extensions=request_data.extensions,
            )
        except InvalidOperationTypeError as exc:
            if exc.operation_type == OperationType.SUBSCRIPTION:
                raise RequestRefused(
                    None, "SUBSCRIPTION_OVER_HTTP", _SUBSCRIPTION_OVER_HTTP) from exc
            raise RequestRefused(
                405, "METHOD_NOT_ALLOWED", _MUTATION_OVER_GET, {"Allow": "POST"}
            ) from exc
        except CannotGetOperationTypeError as exc:
            name = (request_data.operation_name or "").encode("utf-8", "replace").decode()
            raise RequestRefused(None, "OPERATION_NOT_FOUND", _UNKNOWN_OPERATION,
                                 name=name[:100]) from exc
        except MissingQueryError as exc:
            raise RequestRefused(400, "BAD_REQUEST", _NO_QUERY) from exc

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


def _limited(receive: Receive, limit: int) -> Receive:
    """``receive`` refusing a body (chunked or not) once more than ``limit`` bytes came in:
    the rest is never read."""
    received = 0

    async def receive_at_most() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise RequestRefused(413, "REQUEST_TOO_LARGE", _TOO_LARGE, limit=limit)
        return message

    return receive_at_most


def _check_content_length(request: Request, limit: int) -> None:
    """Refuse a declared body over ``limit`` before reading any of it."""
    declared = request.headers.get("content-length")
    if declared is None:
        return
    if not declared.strip().isdigit():
        raise RequestRefused(400, "BAD_REQUEST", _BAD_LENGTH)
    if int(declared) > limit:
        raise RequestRefused(413, "REQUEST_TOO_LARGE", _TOO_LARGE, limit=limit)


def _refusal(request: HTTPConnection, exc: HTTPException) -> Response:
    language = request_language(request)
    headers: dict[str, str] = {}
    if isinstance(exc, RequestRefused):
        message, code, headers = exc.text.render(language, **exc.values), exc.code, exc.headers
        if exc.document_level:
            status = 400 if wants_graphql_response_json(request) else 200
            return graphql_error_response(request, status, message, {"code": code}, headers)
    elif exc.status_code == 405:
        message, code, headers = _METHOD.render(language), "METHOD_NOT_ALLOWED", {
            "Allow": "GET, POST"}
    elif exc.status_code == 404:  # strawberry's answer to a browser when the IDE is off
        message, code = _NO_IDE.render(language), "NOT_FOUND"
    else:  # strawberry's own refusals (e.g. an unknown operationName), in English
        message, code = exc.reason, "BAD_REQUEST"
    return graphql_error_response(request, exc.status_code, message, {"code": code}, headers)


# ---- WebSocket (graphql-transport-ws) --------------------------------------------------------

# Close code of a socket whose caller signed out (logout, expiry, idle timeout, password change,
# revoked token): graphql-ws clients take it as final and do not reconnect by themselves.
SIGNED_OUT = 4401
# Close code of a message longer than the request size limit (RFC 6455: message too big).
MESSAGE_TOO_BIG = 1009
# A close frame's reason is at most 123 bytes.
_MAX_CLOSE_REASON = 120


_TOO_MANY_OPERATIONS = Text(
    en="This connection already runs {limit} operations: complete one before starting "
    "another.",
    fr="Cette connexion exécute déjà {limit} opérations : terminez-en une avant d'en lancer "
    "une autre.",
)


def websocket_origin_allowed(settings: Settings, origin: str | None) -> bool:
    """Whether a WebSocket handshake may come from ``origin``: the configured ``PUBLIC_URL``'s,
    as for HTTP (:class:`OriginCheckMiddleware`), and never compared with the request's own
    ``Host`` (a proxy may rewrite it, whoever sends the request chooses it). A browser always
    sends ``Origin`` on a handshake; a client that sends none is not a browser and carries no
    cookie a page could abuse."""
    if origin is None:
        return True
    expected = normalize_origin(settings.public_url)
    return expected is not None and normalize_origin(origin) == expected


def encode_json(data: object) -> bytes:
    """A response's JSON, by orjson; what it does not take (an integer beyond 64 bits, a
    non-string key) by the standard library, as strawberry would."""
    try:
        return orjson.dumps(data)
    except TypeError:
        return json.dumps(data, separators=(",", ":")).encode()


class GuardedWebSocket(ASGIWebSocketAdapter):
    """Strawberry's ASGI WebSocket where a message longer than ``max_body_bytes`` characters
    closes the socket (1009) before it is decoded, JSON nested too deeply for the decoder is
    not JSON either (4400), and close reasons (which may quote an operation id or a message
    type a client chose) are cut to what a close frame can carry."""

    async def iter_json(self, *, ignore_parsing_errors: bool = False,
                        ) -> AsyncGenerator[object, None]:
        view: Any = self.view  # a StrictGraphQLHTTP
        limit = view.settings.max_body_bytes
        try:
            while self.ws.application_state != WebSocketState.DISCONNECTED:
                text = await self.ws.receive_text()
                if len(text) > limit:
                    await self.close(MESSAGE_TOO_BIG, f"A message may hold {limit} characters")
                    return
                try:
                    yield view.decode_json(text)
                except (ValueError, RecursionError) as error:  # JSONDecodeError is a ValueError
                    if not ignore_parsing_errors:
                        raise NonJsonMessageReceived from error
        except KeyError as error:  # a binary frame
            raise NonTextMessageReceived from error
        except WebSocketDisconnect:
            pass

    async def send_json(self, message: Any) -> None:
        """Text frames (graphql-transport-ws), though the view encodes to bytes."""
        try:
            await self.ws.send_text(encode_json(message).decode())
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc

    async def close(self, code: int, reason: str) -> None:
        short = reason.encode("utf-8")[:_MAX_CLOSE_REASON].decode("utf-8", "ignore")
        with contextlib.suppress(RuntimeError):  # closed already (the peer went first)
            await super().close(code, short)


class GuardedTransportWS(BaseGraphQLTransportWSHandler[Any, Any]):
    """graphql-transport-ws as strawberry speaks it, with the caller checked again and every
    refusal answered by the protocol:

    - each operation runs with a context of its own, its caller resolved again from the
      socket's credentials (``view.operation_context``), as each HTTP request's is; if the
      socket's caller has signed out since, nothing runs and the socket closes with 4401;
    - every ``view.caller_check_seconds`` the caller of a signed-in socket is checked
      (``view.caller_still_signed_in``, which does not count as activity); once signed out the
      socket closes with 4401 and its running subscriptions end;
    - a subscribe payload of the wrong shape or too long a query, a document that does not
      parse (or has too many tokens), an unknown ``operationName``: the operation's ``error``
      message with a code in the caller's language, where strawberry sends a bare
      ``complete`` (and logs a traceback) or closes the socket;
    - a message that is not a protocol object closes the socket with 4400, quietly."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.watcher: asyncio.Task[None] | None = None
        self.signed_out = False

    async def handle_message(self, message: Any) -> None:
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            await self.handle_invalid_message("A message must be a JSON object with a type")
            return
        kind = message["type"]
        if kind in ("subscribe", "complete") and not isinstance(message.get("id"), str):
            await self.handle_invalid_message(f"A {kind} message needs an id (a string)")
            return
        if not self.signed_out:
            await super().handle_message(cast("Any", message))

    async def handle_connection_init(self, message: Any) -> None:
        await super().handle_connection_init(message)
        signed_in = getattr(self.context, "principal", None) is not None
        if self.connection_acknowledged and signed_in and self.watcher is None:
            self.watcher = asyncio.create_task(self._watch_caller())
            self.watcher.add_done_callback(self._task_done)

    async def handle_subscribe(self, message: Any) -> None:
        if self.connection_acknowledged and message["id"] not in self.operations:
            refusal = self._payload_refusal(message.get("payload"))
            if refusal is not None:
                await self.send_message({"id": message["id"], "type": "error",
                                         "payload": [refusal]})
                return
        await super().handle_subscribe(message)

    @property
    def _settings(self) -> Settings:
        view: Any = self.view  # a StrictGraphQLHTTP
        settings: Settings = view.settings
        return settings

    def _payload_refusal(self, payload: Any) -> dict[str, Any] | None:
        """What is wrong with a subscribe payload, as a GraphQL error, or None."""
        most = self.max_subscriptions_per_connection
        if most is not None and len(self.operations) >= most:
            return self._error("TOO_MANY_OPERATIONS", _TOO_MANY_OPERATIONS, limit=most)
        try:
            check_request_object(payload)
            limit = self._settings.max_query_length
            if len(payload["query"]) > limit:
                raise RequestRefused(413, "QUERY_TOO_LONG", _QUERY_TOO_LONG, limit=limit)
            name = payload.get("operationName")
            if name is not None:
                self._check_operation_name(payload["query"], name)
        except RequestRefused as refused:
            return self._error(refused.code, refused.text, **refused.values)
        except GraphQLError as error:
            return dict(with_request_code(error).formatted)
        return None

    def _check_operation_name(self, query: str, name: str) -> None:
        """Refuse an ``operationName`` the document does not hold (strawberry would close the
        socket, and the error masking log it as unexpected). Parsed within the token limit."""
        document = parse(query, max_tokens=self._settings.max_tokens)
        if not any(isinstance(d, OperationDefinitionNode) and d.name and d.name.value == name
                   for d in document.definitions):
            name = name.encode("utf-8", "replace").decode()[:100]
            raise RequestRefused(None, "OPERATION_NOT_FOUND", _UNKNOWN_OPERATION, name=name)

    def _error(self, code: str, text: Text, **values: Any) -> dict[str, Any]:
        language = getattr(self.context, "language", None) or "en"
        return {"message": text.render(language, **values), "extensions": {"code": code}}

    async def run_operation(self, operation: Operation[Any, Any]) -> None:
        """Strawberry's, with a context of the operation's own (its caller resolved again),
        and errors found outside the schema's extensions answered as the operation's."""
        view: Any = self.view
        try:
            context = await view.operation_context(self.context)
            if context is None:
                await self.close_signed_out()
                return
            result_source = await self.schema.stream(
                operation.query, variable_values=operation.variables, context_value=context,
                root_value=self.root_value, operation_name=operation.operation_name,
            )
            async with contextlib.aclosing(result_source):
                await self._send_result_stream(operation, result_source)
            await operation.send_operation_message({"id": operation.id, "type": "complete"})
        except WebSocketDisconnected:
            return
        except GraphQLError as error:
            # A syntax error raised by the document cache's parser, outside the extensions
            # that give errors their code.
            await operation.send_initial_errors([with_request_code(error)])
        except Exception:
            request_id = current_request_id()
            log.exception("WebSocket operation failed outside execution (request %s)",
                          request_id, extra={"request_id": request_id})
            internal = self._error("INTERNAL_ERROR", INTERNAL_ERROR, request_id=request_id)
            internal["extensions"]["requestId"] = request_id
            message: Any = {"id": operation.id, "type": "error", "payload": [internal]}
            with contextlib.suppress(Exception):
                await operation.send_operation_message(message)

    async def _handle_pre_execution_error(self, operation: Operation[Any, Any],
                                          result: Any) -> None:
        # Strawberry closes the socket for some of these (a syntax error): the operation's
        # error message instead, the socket goes on.
        await operation.send_initial_errors([with_request_code(e) for e in result.errors])

    async def _watch_caller(self) -> None:
        view: Any = self.view
        while not self.signed_out:
            await asyncio.sleep(view.caller_check_seconds)
            try:
                signed_in = await view.caller_still_signed_in(self.context)
            except Exception:
                log.warning("WebSocket: could not check that the caller is still signed in",
                            exc_info=True)
                continue
            if not signed_in:
                await self.close_signed_out()

    async def close_signed_out(self) -> None:
        """The socket's caller signed out: close it (4401) and end its operations."""
        if self.signed_out:
            return
        self.signed_out = True
        log.info("WebSocket closed: its caller signed out (request %s)", current_request_id())
        await self.websocket.close(SIGNED_OUT, "Signed out: sign in again")
        for operation_id in list(self.operations):
            await self.cleanup_operation(operation_id)

    async def send_message(self, message: Any) -> None:
        if not self.signed_out:  # closed: a subscription's last event goes nowhere
            await super().send_message(message)

    async def shutdown(self) -> None:
        if self.watcher is not None:
            self.watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.watcher
        await super().shutdown()
