"""The application factory: Starlette, the composed GraphQL schema, plugins' routes, jobs."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import HTTPConnection
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UNSET

from gateway import db, persisted_queries, pubsub
from gateway.context import build_context
from gateway.contributions import Principal
from gateway.email import smtp_pool
from gateway.home import GRAPHIQL_ASSETS, GRAPHIQL_PATH, graphiql_html, home
from gateway.identity import audit_spool
from gateway.identity.sessions import still_signed_in
from gateway.jobs.runtime import JobRuntime
from gateway.observability import RequestIdMiddleware, caller_signed_in
from gateway.operations import healthz, metrics, readyz
from gateway.persisted_queries import PersistedQueries
from gateway.plugins import PluginError, PluginHost
from gateway.security import (
    GuardedTransportWS,
    GuardedWebSocket,
    OriginCheckMiddleware,
    StrictGraphQLHTTP,
    metrics_guard,
    websocket_origin_allowed,
)
from gateway.settings import Settings
from gateway.subscription_check import install as install_subscription_check
from schema.build import build_schema

log = logging.getLogger("gateway.app")
# strawberry's view checks every result against a Protocol: once per class instead.
install_subscription_check()

# How often a signed-in WebSocket checks that its caller has not signed out meanwhile (logout,
# expiry, idle timeout, password change, revoked token); each operation checks anyway.
CALLER_CHECK_SECONDS = 30.0


class GatewayGraphQL(StrictGraphQLHTTP):
    """The strawberry ASGI view with our context; requests of the wrong shape are refused as
    GraphQL errors in JSON (:class:`gateway.security.StrictGraphQLHTTP`).

    Over WebSocket (:class:`gateway.security.GuardedTransportWS`) each operation resolves its
    caller again, and a signed-in socket's caller is checked every ``caller_check_seconds``:
    a socket whose session ended or whose token was revoked is closed (4401)."""

    graphql_transport_ws_handler_class = GuardedTransportWS
    websocket_adapter_class = GuardedWebSocket

    def __init__(self, gateway: PluginHost, *,
                 caller_check_seconds: float = CALLER_CHECK_SECONDS, **kwargs: Any) -> None:
        self.gateway = gateway
        self.caller_check_seconds = caller_check_seconds
        super().__init__(**kwargs)
        self.persisted = PersistedQueries(self.settings)

    # ---- persisted queries and HTTP caching (gateway.persisted_queries) --------------------

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        try:
            return await super().run(request, context, root_value)
        except _NotModified as not_modified:
            return Response(status_code=304,
                            headers={"ETag": not_modified.tag, **persisted_queries.CACHE_HEADERS})

    async def parse_http_body(self, request: Any) -> Any:
        token = _parsing_body.set(request.method == "POST")
        try:
            data = await super().parse_http_body(request)
        finally:
            _parsing_body.reset(token)
        await self.persisted.resolve(data)
        return data

    def parse_json(self, data: str | bytes) -> Any:
        parsed = super().parse_json(data)
        if _parsing_body.get():  # the POST body itself, not a GET's variables
            _parsing_body.set(False)
            return persisted_queries.mark(parsed, self.settings, via_get=False)
        return parsed

    def should_render_graphql_ide(self, request: Any) -> bool:
        """A GET naming a persisted query is a query, whatever its Accept header says."""
        return (super().should_render_graphql_ide(request)
                and request.query_params.get("extensions") is None)

    def parse_query_params(self, params: Any) -> dict[str, Any]:
        data: dict[str, Any] = persisted_queries.mark(
            super().parse_query_params(params), self.settings, via_get=True)
        return data

    async def execute_single(  # noqa: PLR0913, PLR0917
        self, request: Any, request_adapter: Any, sub_response: Any, context: Any,
        root_value: Any, request_data: Any,
    ) -> Any:
        """A query reading only fields with a change stamp gets an ETag; a request whose
        If-None-Match holds it is answered 304 without resolving anything."""
        stamps = persisted_queries.cache_stamps(self.schema, request_data.query,
                                                request_data.operation_name)
        tag = None
        if stamps:
            tag = await persisted_queries.etag(stamps, context, request_data.query,
                                               request_data.variables,
                                               request_data.operation_name)
            if persisted_queries.matches(request.headers.get("if-none-match"), tag):
                raise _NotModified(tag)
        result = await super().execute_single(request, request_adapter, sub_response, context,
                                              root_value, request_data)
        if tag is not None and not result.errors:
            sub_response.headers["ETag"] = tag
            sub_response.headers.update(persisted_queries.CACHE_HEADERS)
        return result

    async def get_context(self, request: HTTPConnection, response: Any) -> Any:
        context: Any = await build_context(self.gateway, request, response)
        request.state.language = context.language  # for refusals answered outside GraphQL
        # Only signed-in callers may name new operations in the metrics' labels.
        caller_signed_in.set(context.principal is not None)
        if request.scope["type"] == "websocket":
            # Strawberry keeps the connection_init payload where this attribute exists.
            context.connection_params = None
        return context

    async def on_ws_connect(self, context: Any) -> Any:
        """A WebSocket's caller comes from its handshake (cookies, headers), or from the
        connection_init payload ``{"authorization": "Bearer …"}`` of clients that cannot set
        headers on a WebSocket; the payload wins, read as an Authorization header would be."""
        params = getattr(context, "connection_params", None) or {}
        authorization = params.get("authorization")
        if isinstance(authorization, str) and authorization.strip():
            scope = context.request.scope
            try:
                value = authorization.strip().encode("latin-1")
            except UnicodeEncodeError:
                raise ConnectionRejectionError() from None
            headers = [(k, v) for k, v in scope["headers"] if k != b"authorization"]
            request = HTTPConnection({**scope, "headers": [*headers, (b"authorization", value)]})
            fresh = await build_context(self.gateway, request, context.response)
            context.request, context.principal = fresh.request, fresh.principal
            context.language = fresh.language
        return await super().on_ws_connect(context)

    @property
    def graphql_ide_html(self) -> str:
        """Strawberry's GraphiQL, its assets served from the package (works offline)."""
        return graphiql_html()

    def _check_websocket_origin(self, request: Any) -> bool:
        """Strawberry's check also lets in an Origin equal to the request's Host: here the
        configured PUBLIC_URL decides, as for HTTP, so a Host-rewriting proxy keeps working
        and a page cannot pass by choosing the Host."""
        origin = self.get_websocket_headers(request).get("origin")
        if websocket_origin_allowed(self.settings, origin):
            return True
        log.info("WebSocket handshake refused: Origin %r is not PUBLIC_URL's",
                 (origin or "")[:200])
        return False

    async def operation_context(self, connection: Any) -> Any | None:
        """The context of one operation on a socket, its caller resolved again from the
        socket's credentials (the handshake's cookie or header, or the connection_init
        payload's token) as each HTTP request's is; None when the socket's caller has signed
        out since (the socket then closes). Its response is never sent: a socket sets no
        cookie."""
        fresh: Any = await build_context(self.gateway, connection.request, Response())
        if connection.principal is not None and (
                _caller_key(fresh.principal) != _caller_key(connection.principal)):
            return None
        caller_signed_in.set(fresh.principal is not None)
        return fresh

    async def caller_still_signed_in(self, connection: Any) -> bool:
        """Whether a socket's caller is still signed in, checked without counting as the
        session's activity (an open socket does not keep a session from idling out)."""
        principal = connection.principal
        if principal is None:
            return True
        if principal.session_id is not None or principal.api_token_id is not None:
            return await still_signed_in(principal)
        # A caller named by another plugin's gateway_principal: ask the plugins again.
        fresh = await build_context(self.gateway, connection.request, Response())
        return _caller_key(fresh.principal) == _caller_key(principal)


class _NotModified(Exception):  # noqa: N818 - a response, not an error
    def __init__(self, tag: str) -> None:
        super().__init__(tag)
        self.tag = tag


# Set while the view reads a POST body: parse_json then marks persisted queries in it.
_parsing_body: contextvars.ContextVar[bool] = contextvars.ContextVar("parsing_body",
                                                                    default=False)


def _caller_key(principal: Principal | None) -> tuple[Any, ...] | None:
    """Who a principal is, for telling the same caller from another or from nobody."""
    if principal is None:
        return None
    return (principal.session_id, principal.api_token_id,
            principal.real_user_id or principal.user_id, principal.role)


def plugin_routes(gateway: PluginHost) -> list[BaseRoute]:
    """Routes from plugins; the same path and method from two plugins is refused."""
    reserved = {("/graphql", "*"): "core", ("/healthz", "*"): "core", ("/readyz", "*"): "core",
                ("/metrics", "*"): "core", ("/", "*"): "core", (GRAPHIQL_PATH, "*"): "core"}
    owners = dict(reserved)
    routes: list[BaseRoute] = []
    for plugin, route in gateway.each("gateway_routes"):
        path = getattr(route, "path", "")
        methods = sorted(getattr(route, "methods", None) or {"*"})
        for method in methods:
            # "*" (a Mount, a WebSocket route) takes the path for every method, either way round.
            taken = [owner for (p, m), owner in owners.items()
                     if p == path and (m == method or "*" in (m, method))]
            if taken:
                raise PluginError(
                    f"plugin {plugin!r}: route {method} {path} is already contributed by "
                    f"{taken[0]!r}"
                )
            owners[(path, method)] = plugin
        routes.append(route)
    return routes


async def _cancelled(task: asyncio.Task[Any]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def create_app(
    settings: Settings | None = None,
    host: PluginHost | None = None,
    *,
    run_jobs: bool = True,
    migrate_on_start: bool | None = None,
    job_options: dict[str, Any] | None = None,
    caller_check_seconds: float = CALLER_CHECK_SECONDS,
) -> Starlette:
    """Build the gateway. The lifespan opens the database, migrates (embedded default) and starts
    the job runtime (relay, scheduler, and workers when the broker is in-process).
    ``caller_check_seconds``: how often a signed-in WebSocket checks its caller."""
    settings = settings or Settings.from_env()
    host = host or PluginHost(settings)
    schema = build_schema(host)
    runtime = JobRuntime(host, **(job_options or {}))
    routes_from_plugins = plugin_routes(host)
    if migrate_on_start is None:
        migrate_on_start = settings.database_url.startswith("sqlite")
    graphql = GatewayGraphQL(
        host,
        settings=settings,
        schema=schema,
        graphql_ide="graphiql" if settings.graphql_ide else None,
        # In production GET carries persisted queries' hashes only (query text in URLs, logs
        # and caches is refused); with persisted queries off it is refused altogether.
        allow_queries_via_get=not settings.production or settings.persisted_queries != "off",
        subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL],
        caller_check_seconds=caller_check_seconds,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Each part started is stopped, in reverse order, whatever fails after it (a start-up
        # cut short, a stop that raises): no connection or worker thread outlives the app.
        async with contextlib.AsyncExitStack() as started:
            if migrate_on_start:
                await db.migrate(host)
            await db.init_db(host)
            started.push_async_callback(db.close_db)
            app.state.pubsub = await pubsub.start(settings)
            started.push_async_callback(pubsub.stop, app.state.pubsub)
            if run_jobs:
                # The SMTP connections its email jobs kept open, closed once they stopped.
                started.push_async_callback(smtp_pool.close_all)
                await runtime.start()
                started.push_async_callback(runtime.stop)
            audit_spool.configure(settings.var_dir)
            await host.call_async("gateway_startup")
            started.push_async_callback(host.call_async, "gateway_shutdown")
            drainer = asyncio.create_task(audit_spool.run_drainer(), name="gateway-audit-spool")
            started.push_async_callback(_cancelled, drainer)
            yield

    # GraphiQL's scripts and styles, pinned in the package, where its page loads them.
    ide_assets: list[BaseRoute] = [
        Mount(GRAPHIQL_PATH, app=StaticFiles(directory=GRAPHIQL_ASSETS), name="graphiql")
    ] if settings.graphql_ide else []
    app = Starlette(
        routes=[
            Route("/", home, methods=["GET", "HEAD"]),
            *ide_assets,
            Route("/graphql", graphql),  # the view refuses other methods, in JSON
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics_guard(metrics, settings)),
            *routes_from_plugins,
        ],
        middleware=[
            Middleware(RequestIdMiddleware),
            Middleware(OriginCheckMiddleware, settings=settings),
        ],
        lifespan=lifespan,
    )
    app.state.host = host
    app.state.settings = settings
    app.state.schema = schema
    app.state.jobs = runtime
    return app
