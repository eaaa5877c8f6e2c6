"""The application factory: Starlette, the composed GraphQL schema, plugins' routes, jobs."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import HTTPConnection
from starlette.routing import BaseRoute, Route, WebSocketRoute
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from gateway import db, pubsub
from gateway.context import build_context
from gateway.jobs.runtime import JobRuntime
from gateway.observability import RequestIdMiddleware
from gateway.operations import healthz, metrics, readyz
from gateway.plugins import PluginError, PluginHost
from gateway.security import OriginCheckMiddleware, StrictGraphQLHTTP
from gateway.settings import Settings
from schema.build import build_schema

log = logging.getLogger("gateway.app")


class GatewayGraphQL(StrictGraphQLHTTP):
    """The strawberry ASGI view with our context; requests of the wrong shape are refused as
    GraphQL errors in JSON (:class:`gateway.security.StrictGraphQLHTTP`)."""

    def __init__(self, gateway: PluginHost, **kwargs: Any) -> None:
        self.gateway = gateway
        super().__init__(**kwargs)

    async def get_context(self, request: HTTPConnection, response: Any) -> Any:
        context: Any = await build_context(self.gateway, request, response)
        request.state.language = context.language  # for refusals answered outside GraphQL
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


def plugin_routes(gateway: PluginHost) -> list[BaseRoute]:
    """Routes from plugins; the same path and method from two plugins is refused."""
    reserved = {("/graphql", "*"): "core", ("/healthz", "*"): "core", ("/readyz", "*"): "core",
                ("/metrics", "*"): "core"}
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


def create_app(
    settings: Settings | None = None,
    host: PluginHost | None = None,
    *,
    run_jobs: bool = True,
    migrate_on_start: bool | None = None,
    job_options: dict[str, Any] | None = None,
) -> Starlette:
    """Build the gateway. The lifespan opens the database, migrates (embedded default) and starts
    the job runtime (relay, scheduler, and workers when the broker is in-process)."""
    settings = settings or Settings.from_env()
    host = host or PluginHost(settings)
    schema = build_schema(host)
    runtime = JobRuntime(host, **(job_options or {}))
    routes_from_plugins = plugin_routes(host)
    if migrate_on_start is None:
        migrate_on_start = settings.database_url.startswith("sqlite")
    graphql = GatewayGraphQL(
        host,
        schema=schema,
        graphql_ide="graphiql" if settings.graphql_ide else None,
        allow_queries_via_get=True,
        subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL],
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if migrate_on_start:
            await db.migrate(host)
        await db.init_db(host)
        app.state.pubsub = await pubsub.start(settings)
        if run_jobs:
            await runtime.start()
        await host.call_async("gateway_startup")
        try:
            yield
        finally:
            await host.call_async("gateway_shutdown")
            if run_jobs:
                await runtime.stop()
            await pubsub.stop(app.state.pubsub)
            await db.close_db()

    app = Starlette(
        routes=[
            Route("/graphql", graphql),  # the view refuses other methods, in JSON
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics),
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
