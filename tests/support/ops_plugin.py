"""A test plugin for hostile input and operations: a recursive type (to go deep), a resolver
that fails unexpectedly, a mutation, and a principal chosen by a test header."""

from __future__ import annotations

import logging
from typing import Any

import strawberry
from starlette.requests import Request
from starlette.routing import Route

from gateway.contributions import Principal
from gateway.hookimpl import hookimpl
from gateway.i18n import negotiate
from schema.permissions import ANONYMOUS, allow

log = logging.getLogger("tests.support.ops")

ROLE_HEADER = "x-test-role"
echoed: list[str] = []  # what the echo mutation was given, so tests see if it ran


@strawberry.type(description="A folder inside a folder inside a folder: nesting on demand.")
class Folder:
    name: str

    @strawberry.field
    def child(self) -> Folder:
        return Folder(name=self.name + "/child")


@strawberry.type
class OpsQuery:
    @strawberry.field(extensions=allow(ANONYMOUS), description="The root of a folder tree.")
    def folder(self) -> Folder:
        return Folder(name="root")

    @strawberry.field(extensions=allow(ANONYMOUS), description="Fails with an unexpected bug.")
    def boom(self) -> str:
        log.info("about to fail on purpose")
        raise RuntimeError("secret internal detail: database password is hunter2")

    @strawberry.field(extensions=allow(ANONYMOUS), description="Twice a number.")
    def double(self, n: int) -> int:
        log.info("doubling %s", n)
        return 2 * n


@strawberry.type
class OpsMutation:
    @strawberry.mutation(extensions=allow(ANONYMOUS), description="Echo a text back.")
    def echo(self, text: str) -> str:
        echoed.append(text)
        return text


@hookimpl
def gateway_query(gateway: Any) -> Any:
    return OpsQuery


@hookimpl
def gateway_mutation(gateway: Any) -> Any:
    return OpsMutation


@hookimpl
def gateway_principal(gateway: Any, request: Any) -> Any:
    role = request.headers.get(ROLE_HEADER)
    if not role:
        return None
    return Principal(role=role, user_id=1,
                     language=negotiate(request.headers.get("accept-language")))


async def crash(request: Request) -> Any:
    raise RuntimeError("a plugin route's bug")


@hookimpl
def gateway_routes(gateway: Any) -> Any:
    return [Route("/ops/crash", crash)]
