"""The ``callsImported`` subscription (graphql-transport-ws over WebSocket): an event each time
an import lands calls of the accounts the caller may see (``live``), so a dashboard refetches
its statistics then (their ETag has changed), not on a timer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import strawberry
from strawberry.exceptions import StrawberryGraphQLError

from gateway.api import (
    SIGNED_IN,
    Account,
    DateTime,
    Problem,
    PubSub,
    Role,
    Text,
    allow,
    current_pubsub,
)
from plugins.callcenter import live, services

_UNAVAILABLE = Text(en="Live imports are unavailable right now; try again later.",
                    fr="Les importations en direct sont indisponibles pour le moment; "
                       "réessayez plus tard.")


@strawberry.type(name="CallsImported", description="Calls of accounts you may see were "
                 "imported: refetch their statistics.")
class CallsImportedEvent:
    account_numbers: list[int] = strawberry.field(description="The accounts (CID/UID) that got "
                                                  "calls, among those you may see (at most 100).")
    more: bool = strawberry.field(description="True when more accounts got calls than listed "
                                  "(with no account listed: live events were interrupted and "
                                  "imports may have landed meanwhile; refetch everything).")
    at: DateTime = strawberry.field(description="When the import landed (as heard here).")


@strawberry.type
class CallCenterSubscription:
    @strawberry.subscription(extensions=allow(*SIGNED_IN), description=(
        "Imports of calls, live: an event each time calls of an account you may see are "
        "imported (of `accountNumber` only, when given). Any signed-in user, over the accounts "
        "it may see; another tenant's account is not found."))
    async def calls_imported(
        self, info: strawberry.Info,
        account_number: Annotated[int | None, strawberry.argument(
            description="Only this account (CID/UID), one you may see; every account you may "
            "see by default.")] = None,
    ) -> AsyncIterator[CallsImportedEvent]:
        principal = info.context.principal
        language = info.context.language
        try:
            scope = await services.scope_for(principal, account_number)
        except Problem as problem:
            raise StrawberryGraphQLError(problem.message(language),
                                         extensions={"code": "NOT_FOUND"}) from None
        reseller_id = getattr(principal, "reseller_id", None)
        if account_number is not None:
            rows = await Account.filter(id=account_number).values_list("reseller_id", flat=True)
            reseller_id = rows[0] if rows else None
        elif principal is not None and principal.role == Role.SYSTEM_ADMIN:
            reseller_id = None  # every reseller's imports
        bus = current_pubsub()
        if bus is None:
            raise StrawberryGraphQLError(_UNAVAILABLE.render(language),
                                         extensions={"code": "UNAVAILABLE"})
        return _events(bus, scope, reseller_id)


async def _events(bus: PubSub, scope: services.Scope, reseller_id: int | None
                  ) -> AsyncIterator[CallsImportedEvent]:
    async for event in live.imported(bus, scope, reseller_id):
        yield CallsImportedEvent(account_numbers=event.account_numbers, more=event.more,
                                 at=event.at)
