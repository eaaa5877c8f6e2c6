"""Pieces the clients plugin's GraphQL modules share: roles, ids, inputs as plain data, errors."""

from __future__ import annotations

import dataclasses
from enum import Enum
from typing import Any

import strawberry
from strawberry.types.base import has_object_definition

from gateway.identity.types import AccountNode
from plugins.clients import errors as e
from plugins.clients.config import ClientsConfig
from plugins.clients.errors import ClientsError, InputProblems, problem
from schema.errors import PayloadError
from schema.node import object_pk
from schema.permissions import Role

# Who works on the Clients page: the reseller's staff and its API tokens, and system admins.
STAFF = (Role.SYSTEM_ADMIN, Role.RESELLER_ADMIN, Role.RESELLER_DELEGATE, Role.INTEGRATOR)
# Who acts for one reseller (a sign-up belongs to the caller's reseller).
RESELLER_SIDE = (Role.RESELLER_ADMIN, Role.RESELLER_DELEGATE, Role.INTEGRATOR)


def config(info: strawberry.Info) -> ClientsConfig:
    return ClientsConfig.from_host(info.context.host)


def object_id(raw: Any, type_name: str, field: list[str | int],
              not_found: Any = e.NOT_FOUND) -> int:
    """The database id behind a global id of ``type_name`` (or a plain number, as the seeds
    show CIDs and UIDs); anything else is "not found" at ``field``."""
    number = object_pk(raw, type_name)
    if number is None:
        raise problem(e.ClientsErrorCode.NOT_FOUND, not_found, field)
    return number


def as_data(value: Any) -> Any:
    """A strawberry input as plain data: dicts with Python field names, enum values, and no
    entry for what the client left out (UNSET) or sent as null."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [as_data(item) for item in value]
    if has_object_definition(value) and dataclasses.is_dataclass(value):
        return {
            f.name: as_data(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if getattr(value, f.name) is not None and getattr(value, f.name) is not strawberry.UNSET
        }
    return value


def given(value: Any) -> bool:
    return value is not None and value is not strawberry.UNSET


def errors_of(exc: PayloadError | InputProblems, language: str) -> list[Any]:
    problems = exc.problems if isinstance(exc, InputProblems) else [exc]
    return [p.to_graphql(ClientsError, language) for p in problems]


async def account_nodes(info: strawberry.Info, ids: list[int]) -> list[AccountNode | None]:
    """Accounts by id through the request's DataLoader (scoped like every read)."""
    return list(await info.context.loaders["clients.account"].load_many(ids))
