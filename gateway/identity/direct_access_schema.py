"""GraphQL of direct access: start it (reseller staff), end it (from inside).

Browsers: the session cookie switches to the direct-access session, and the reseller's own
token waits in a second HttpOnly cookie until ``endDirectAccess`` puts it back. Bearer
clients keep both tokens themselves: the reseller's stays valid the whole time.
"""

from __future__ import annotations

from typing import Any

import strawberry

from gateway.identity import direct_access
from gateway.identity.auth import PEOPLE, caller_address
from gateway.identity.errors import DirectAccessErrorCode
from gateway.identity.principal import (
    PARENT_COOKIE,
    SESSION_COOKIE,
    request_token,
    secure_cookies,
)
from gateway.identity.types import AccountNode, UserNode, account_node, user_node
from gateway.problems import ACCOUNT_NOT_FOUND
from gateway.roles import RESELLER_STAFF
from schema.descriptions import describe_enum_values
from schema.errors import Error, error_type
from schema.mutations import mutation
from schema.node import node_pk


@error_type("DirectAccess", DirectAccessErrorCode)
class DirectAccessError(Error):
    """A refusal of direct access."""


describe_enum_values(DirectAccessErrorCode, {
    "ACCOUNT_UNSUBSCRIBED": "The account is unsubscribed: it cannot be accessed directly.",
    "NOT_IN_DIRECT_ACCESS": "I am not accessing an account directly: there is nothing to end.",
    "SESSION_REQUIRED": "Direct access needs reseller staff signed in with a session (not an "
    "API token, not already inside an account).",
})


def _uses_cookie(context: Any) -> bool:
    """Whether this request was authenticated by the session cookie (not a bearer token)."""
    token = request_token(context.request)
    return bool(token) and token == context.request.cookies.get(SESSION_COOKIE)


def _set_cookie(context: Any, name: str, value: str) -> None:
    context.response.set_cookie(name, value, httponly=True, samesite="lax", path="/",
                                secure=secure_cookies(context.settings.public_url,
                                                      context.request))


def _delete_cookie(context: Any, name: str) -> None:
    context.response.delete_cookie(name, path="/", httponly=True, samesite="lax",
                                   secure=secure_cookies(context.settings.public_url,
                                                         context.request))


@strawberry.input(description="Which subscriber account to enter.")
class StartDirectAccessInput:
    account_id: strawberry.ID = strawberry.field(
        description="The Account's global ID: one of my reseller's accounts.")


@strawberry.type(description="The result of startDirectAccess: the direct-access session.")
class StartDirectAccessPayload:
    token: str | None = strawberry.field(description="The direct-access session's token (also "
                                         "set as the session cookie when the cookie was used). "
                                         "My own token stays valid, to come back.")
    account: AccountNode | None = strawberry.field(
        description="The account I am now inside; null on errors.")
    acting_as: UserNode | None = strawberry.field(description="The account administrator "
                                                  "whose view I take.")
    errors: list[DirectAccessError] = strawberry.field(default_factory=list)


@strawberry.type(description="The result of endDirectAccess.")
class EndDirectAccessPayload:
    user: UserNode | None = strawberry.field(description="Me, back in my own session.")
    errors: list[DirectAccessError] = strawberry.field(default_factory=list)


@strawberry.type
class DirectAccessMutation:
    @mutation(*RESELLER_STAFF, errors=DirectAccessError, description="Act inside one of my "
              "subscriber accounts with its administrator's view, for support (seeds: Accéder "
              "directement à un compte). Audited; credentials cannot change inside.")
    async def start_direct_access(
        self, info: strawberry.Info, input: StartDirectAccessInput
    ) -> StartDirectAccessPayload:
        context = info.context
        started = await direct_access.start_direct_access(
            context.principal,
            node_pk(input.account_id, "Account", ["input", "accountId"], ACCOUNT_NOT_FOUND,
                    plain=False),
            client_address=caller_address(context),
            user_agent=context.request.headers.get("user-agent", ""),
            request_id=context.request_id,
        )
        if context.response is not None and _uses_cookie(context):
            _set_cookie(context, PARENT_COOKIE, context.request.cookies[SESSION_COOKIE])
            _set_cookie(context, SESSION_COOKIE, started.token)
        return StartDirectAccessPayload(
            token=started.token,
            account=await account_node(started.account.id),
            acting_as=await user_node(started.acting_as.id if started.acting_as else None),
        )

    @mutation(*PEOPLE, errors=DirectAccessError, description="End my direct access and go back "
              "to my reseller session. Audited.")
    async def end_direct_access(self, info: strawberry.Info) -> EndDirectAccessPayload:
        context = info.context
        cookie_mode = context.response is not None and _uses_cookie(context)
        parent = await direct_access.end_direct_access(context.principal,
                                                       request_id=context.request_id)
        if cookie_mode:
            waiting = context.request.cookies.get(PARENT_COOKIE, "")
            if direct_access.can_resume(parent, waiting):
                _set_cookie(context, SESSION_COOKIE, waiting)
            else:
                _delete_cookie(context, SESSION_COOKIE)
            _delete_cookie(context, PARENT_COOKIE)
        return EndDirectAccessPayload(user=await user_node(parent.user_id))
