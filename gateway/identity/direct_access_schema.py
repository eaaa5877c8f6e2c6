"""GraphQL of direct access: start it (reseller staff), end it (from inside).

Browsers: the session cookie switches to the direct-access session, and the reseller's own
token waits in a second HttpOnly cookie until ``endDirectAccess`` puts it back. Bearer
clients keep both tokens themselves: the reseller's stays valid the whole time.
"""

from __future__ import annotations

from typing import Any

import strawberry

from gateway.identity import direct_access
from gateway.identity.auth import Rejected, client_address
from gateway.identity.direct_access import DirectAccessErrorCode
from gateway.identity.models import Account
from gateway.identity.principal import PARENT_COOKIE, SESSION_COOKIE, request_token
from gateway.identity.reseller_schema import decode_id, user_node
from gateway.identity.secrets import token_digest
from gateway.identity.sessions import IDLE_TIMEOUT, utcnow
from gateway.identity.types import ACCOUNT_COLUMNS, AccountNode, UserNode
from schema.errors import PayloadError, error_type
from schema.permissions import RESELLER_STAFF, SUBSCRIBERS, Role, allow

DirectAccessError = error_type("DirectAccess", DirectAccessErrorCode)

# Where a browser's own reseller session waits during direct access.
PEOPLE = (Role.SYSTEM_ADMIN, *RESELLER_STAFF, *SUBSCRIBERS)


def _errors(problem: Rejected, language: str) -> list[Any]:
    return [e.to_graphql(DirectAccessError, language) for e in problem.errors]


def _secure(context: Any) -> bool:
    return (context.settings.public_url.startswith("https://")
            or context.request.url.scheme == "https")


def _uses_cookie(context: Any) -> bool:
    """Whether this request was authenticated by the session cookie (not a bearer token)."""
    token = request_token(context.request)
    return bool(token) and token == context.request.cookies.get(SESSION_COOKIE)


def _set_cookie(context: Any, name: str, value: str) -> None:
    context.response.set_cookie(name, value, httponly=True, samesite="lax",
                                secure=_secure(context), path="/")


def _delete_cookie(context: Any, name: str) -> None:
    context.response.delete_cookie(name, path="/", httponly=True, samesite="lax",
                                   secure=_secure(context))


@strawberry.input
class StartDirectAccessInput:
    account_id: strawberry.ID


@strawberry.type
class StartDirectAccessPayload:
    token: str | None = strawberry.field(description="The direct-access session's token (also "
                                         "set as the session cookie when the cookie was used). "
                                         "My own token stays valid, to come back.")
    account: AccountNode | None
    acting_as: UserNode | None = strawberry.field(description="The account administrator "
                                                  "whose view I take.")
    errors: list[DirectAccessError]  # type: ignore[valid-type]


@strawberry.type
class EndDirectAccessPayload:
    user: UserNode | None = strawberry.field(description="Me, back in my own session.")
    errors: list[DirectAccessError]  # type: ignore[valid-type]


@strawberry.type
class DirectAccessMutation:
    @strawberry.mutation(extensions=allow(*RESELLER_STAFF), description="Act inside one of my "
                         "subscriber accounts with its administrator's view, for support "
                         "(seeds: Accéder directement à un compte). Audited; credentials "
                         "cannot change inside.")
    async def start_direct_access(
        self, info: strawberry.Info, input: StartDirectAccessInput
    ) -> StartDirectAccessPayload:
        context = info.context
        try:
            account_id = decode_id(input.account_id, "Account")
            if account_id is None:
                raise Rejected([PayloadError(DirectAccessErrorCode.NOT_FOUND,
                                             direct_access.ACCOUNT_NOT_FOUND,
                                             ["input", "accountId"])])
            started = await direct_access.start_direct_access(
                context.principal, account_id,
                client_address=client_address(context.request),
                user_agent=context.request.headers.get("user-agent", ""),
                request_id=context.request_id,
            )
        except Rejected as problem:
            return StartDirectAccessPayload(token=None, account=None, acting_as=None,
                                            errors=_errors(problem, context.language))
        if context.response is not None and _uses_cookie(context):
            _set_cookie(context, PARENT_COOKIE, context.request.cookies[SESSION_COOKIE])
            _set_cookie(context, SESSION_COOKIE, started.token)
        rows = await Account.filter(id=started.account.id).values(*ACCOUNT_COLUMNS)
        return StartDirectAccessPayload(
            token=started.token,
            account=AccountNode.from_row(rows[0]),
            acting_as=await user_node(started.acting_as.id) if started.acting_as else None,
            errors=[],
        )

    @strawberry.mutation(extensions=allow(*PEOPLE), description="End my direct access and go "
                         "back to my reseller session. Audited.")
    async def end_direct_access(self, info: strawberry.Info) -> EndDirectAccessPayload:
        context = info.context
        cookie_mode = context.response is not None and _uses_cookie(context)
        try:
            parent = await direct_access.end_direct_access(context.principal,
                                                           request_id=context.request_id)
        except Rejected as problem:
            return EndDirectAccessPayload(user=None, errors=_errors(problem, context.language))
        if cookie_mode:
            waiting = context.request.cookies.get(PARENT_COOKIE, "")
            now = utcnow()
            parent_alive = (parent.ended_at is None and parent.expires_at > now
                            and parent.last_seen_at + IDLE_TIMEOUT > now)
            if waiting and token_digest(waiting) == parent.token_hash and parent_alive:
                _set_cookie(context, SESSION_COOKIE, waiting)
            else:
                _delete_cookie(context, SESSION_COOKIE)
            _delete_cookie(context, PARENT_COOKIE)
        return EndDirectAccessPayload(
            user=await user_node(parent.user_id),  # type: ignore[attr-defined]
            errors=[],
        )
