"""Pieces this plugin's GraphQL modules share: roles, ids, errors, the account lookup."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry import relay

from gateway.identity.models import Account
from gateway.identity.types import AccountNode
from plugins.account_settings import errors as e
from plugins.account_settings import services
from plugins.account_settings.errors import AccountSettingsError, InputProblems, problem
from plugins.clients.graphql_common import as_data, given  # noqa: F401  (shared helpers)
from schema.errors import PayloadError
from schema.node import object_pk
from schema.permissions import Role

STAFF = services.STAFF
# Who reads an account's Options page: the reseller's staff, and the account's own admin.
READERS = (*STAFF, Role.COMPANY_ADMIN, Role.PROFESSIONAL)
# Who manages devices and extensions: staff, and a company admin unless it is forbidden.
MANAGERS = (*STAFF, Role.COMPANY_ADMIN)
# Everyone signed in to an account or a reseller (contacts).
ANYONE = (*STAFF, Role.COMPANY_ADMIN, Role.EMPLOYEE, Role.PROFESSIONAL)


def object_id(raw: Any, type_name: str, field: list[str | int],
              not_found: Any = e.NO_SUCH_ITEM) -> int:
    """The database id behind a global id of ``type_name`` (or a plain number); anything
    else is "not found" at ``field``."""
    number = object_pk(raw, type_name)
    if number is None:
        raise problem(e.AccountSettingsErrorCode.NOT_FOUND, not_found, field)
    return number


def global_id(type_name: str, value: int) -> strawberry.ID:
    return strawberry.ID(relay.to_base64(type_name, value))


async def account(info: strawberry.Info, raw: Any,
                  field: list[str | int] | None = None) -> Account:
    field = field or ["input", "accountId"]
    return await services.account_for(info.context.principal,
                                      object_id(raw, "Account", field, e.NOT_FOUND), field)


def errors_of(exc: PayloadError | InputProblems, language: str) -> list[Any]:
    problems = exc.problems if isinstance(exc, InputProblems) else [exc]
    return [p.to_graphql(AccountSettingsError, language) for p in problems]


async def account_node(info: strawberry.Info, account_id: int | None) -> AccountNode | None:
    if account_id is None:
        return None
    return await info.context.loaders["clients.account"].load(account_id)  # type: ignore[no-any-return]


def host(info: strawberry.Info) -> Any:
    return info.context.host
