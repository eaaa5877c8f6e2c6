"""Small plugins that break start-up on purpose, each a class named as ``module:Class``.

Pairs of them contribute the same thing (a field, a type, an actor, a route, a Tortoise app)
so tests can check that start-up stops and names the plugin.
"""

from __future__ import annotations

from typing import Any

import strawberry
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route

from gateway.contributions import Job, ModelApp
from gateway.hookimpl import hookimpl
from schema.permissions import ANONYMOUS, allow


@strawberry.type
class _QueryA:
    @strawberry.field(extensions=allow(ANONYMOUS))
    def shared_value(self) -> int:
        return 1


@strawberry.type
class _QueryB:
    # Another Python name, the same GraphQL name: still the same field for clients.
    @strawberry.field(name="sharedValue", extensions=allow(ANONYMOUS))
    def other_value(self) -> int:
        return 2


@strawberry.type
class _NodeTakeover:
    @strawberry.field(extensions=allow(ANONYMOUS))
    def node(self, id: strawberry.ID) -> str:
        return str(id)


class CoreField:
    """Takes a core root field's name (node)."""

    @staticmethod
    @hookimpl
    def gateway_query(gateway: Any) -> Any:
        return _NodeTakeover


class FieldA:
    @staticmethod
    @hookimpl
    def gateway_query(gateway: Any) -> Any:
        return _QueryA


class FieldB:
    @staticmethod
    @hookimpl
    def gateway_query(gateway: Any) -> Any:
        return _QueryB


@strawberry.type(name="ClashThing")
class _ThingA:
    a: int


@strawberry.type(name="ClashThing")
class _ThingB:
    b: str


class TypeA:
    @staticmethod
    @hookimpl
    def gateway_types(gateway: Any) -> Any:
        return [_ThingA]


class TypeB:
    @staticmethod
    @hookimpl
    def gateway_types(gateway: Any) -> Any:
        return [_ThingB]


class CoreTypeName:
    """A type named like one of the core's (OutboxJob)."""

    @staticmethod
    @hookimpl
    def gateway_types(gateway: Any) -> Any:
        return [strawberry.type(type("OutboxJob", (), {"__annotations__": {"x": int}}))]


@strawberry.type(name="ClashReached")
class _ReachedA:
    a: int


@strawberry.type(name="ClashReached")
class _ReachedB:
    b: int


@strawberry.type
class _ReachQueryA:
    @strawberry.field(extensions=allow(ANONYMOUS))
    def reached_a(self) -> _ReachedA:
        return _ReachedA(a=1)


@strawberry.type
class _ReachQueryB:
    @strawberry.field(extensions=allow(ANONYMOUS))
    def reached_b(self) -> list[_ReachedB]:
        return []


class ReachA:
    """Its type is only reached through its field (not given to gateway_types)."""

    @staticmethod
    @hookimpl
    def gateway_query(gateway: Any) -> Any:
        return _ReachQueryA


class ReachB:
    @staticmethod
    @hookimpl
    def gateway_query(gateway: Any) -> Any:
        return _ReachQueryB


async def _nothing(payload: dict[str, Any]) -> None:
    return None


class ActorA:
    @staticmethod
    @hookimpl
    def gateway_jobs(gateway: Any) -> Any:
        return [Job(name="clash.job", handler=_nothing)]


class ActorB:
    @staticmethod
    @hookimpl
    def gateway_jobs(gateway: Any) -> Any:
        return [Job(name="clash.job", handler=_nothing)]


async def _ok(request: Any) -> PlainTextResponse:
    return PlainTextResponse("ok")


class RouteA:
    @staticmethod
    @hookimpl
    def gateway_routes(gateway: Any) -> Any:
        return [Route("/clash", _ok, methods=["GET"])]


class RouteB:
    @staticmethod
    @hookimpl
    def gateway_routes(gateway: Any) -> Any:
        return [Route("/clash", _ok, methods=["GET", "POST"])]


class RoutePost:
    """The same path with another method: allowed."""

    @staticmethod
    @hookimpl
    def gateway_routes(gateway: Any) -> Any:
        return [Route("/clash", _ok, methods=["DELETE"])]


class RouteMount:
    """A mount takes its path for every method."""

    @staticmethod
    @hookimpl
    def gateway_routes(gateway: Any) -> Any:
        return [Mount("/clash", routes=[Route("/", _ok)])]


class RouteGraphql:
    @staticmethod
    @hookimpl
    def gateway_routes(gateway: Any) -> Any:
        return [Route("/graphql", _ok, methods=["PUT"])]


class ModelsA:
    @staticmethod
    @hookimpl
    def gateway_models(gateway: Any) -> Any:
        return ModelApp(label="clash", models=["tests.support.probe_models"])


class ModelsB:
    @staticmethod
    @hookimpl
    def gateway_models(gateway: Any) -> Any:
        return ModelApp(label="clash", models=["tests.support.probe_models"])


class ModelsCore:
    @staticmethod
    @hookimpl
    def gateway_models(gateway: Any) -> Any:
        return ModelApp(label="core", models=["tests.support.probe_models"])


class UnknownHook:
    """A misspelt hook name: pluggy's check_pending must catch it."""

    @staticmethod
    @hookimpl
    def gateway_querry(gateway: Any) -> Any:
        return _QueryA


class UnknownArgument:
    """A hook implementation asking for an argument its hookspec does not offer."""

    @staticmethod
    @hookimpl
    def gateway_query(gateway: Any, tenant: Any) -> Any:
        return _QueryA


class Configured:
    """Reads its configuration, so tests can see ``$env`` values resolved."""

    seen: dict[str, Any] = {}

    @staticmethod
    @hookimpl
    def gateway_startup(gateway: Any) -> None:
        Configured.seen = gateway.config_for("configured")
