"""GraphQL of signing in: login, logout, me, changePassword, password reset links."""

from __future__ import annotations

from enum import Enum
from typing import Any
from urllib.parse import quote

import strawberry

from gateway.i18n import Text
from gateway.identity import auth, links
from gateway.identity.api_tokens import ApiTokenNode, api_token_node
from gateway.identity.errors import IdentityError
from gateway.identity.models import Account, OneTimeTokenPurpose, Reseller, User
from gateway.identity.principal import PARENT_COOKIE, SESSION_COOKIE
from gateway.identity.types import (
    ACCOUNT_COLUMNS,
    RESELLER_COLUMNS,
    USER_COLUMNS,
    AccountNode,
    ResellerNode,
    UserNode,
)
from schema.errors import PayloadError
from schema.permissions import ANONYMOUS, RESELLER_STAFF, SIGNED_IN, SUBSCRIBERS, Role, allow
from schema.scalars import DateTime

# "Mémoriser": the login id only, readable by the sign-in page's script; never the password.
LOGIN_COOKIE = "gw_login"
LOGIN_COOKIE_MAX_AGE = 365 * 24 * 3600
PEOPLE = (Role.SYSTEM_ADMIN, *RESELLER_STAFF, *SUBSCRIBERS)  # signed in with a password

_RESET_ANSWER = Text(
    en="If this login id or email is known, a message with a link to choose a new password "
    "is on its way.",
    fr="Si cet identifiant ou ce courriel est connu, un message contenant un lien pour choisir "
    "un nouveau mot de passe vous a été envoyé.",
)


def _errors(problem: Exception, language: str) -> list[Any]:
    if isinstance(problem, auth.Rejected):
        return [e.to_graphql(IdentityError, language) for e in problem.errors]
    assert isinstance(problem, PayloadError)
    return [problem.to_graphql(IdentityError, language)]


def _secure(context: Any) -> bool:
    """Secure cookies when the gateway is reached over https (directly or per PUBLIC_URL)."""
    return (context.settings.public_url.startswith("https://")
            or context.request.url.scheme == "https")


async def _user_node(user_id: int | None) -> UserNode | None:
    if user_id is None:
        return None
    rows = await User.filter(id=user_id).values(*USER_COLUMNS)
    return UserNode.from_row(rows[0]) if rows else None


# ---- me ------------------------------------------------------------------------------------

@strawberry.type(name="Me", description="Who is calling: the person, the role in effect, the "
                 "reseller and account, and during direct access who is really there.")
class Me:
    role: Role = strawberry.field(description="The role in effect (during direct access: the "
                                  "account admin's).")
    direct_access: bool = strawberry.field(description="True while a reseller acts inside a "
                                           "subscriber account.")
    language: str
    user_id: strawberry.Private[int | None]
    real_user_id: strawberry.Private[int | None]
    reseller_id: strawberry.Private[int | None]
    account_id: strawberry.Private[int | None]
    api_token_id: strawberry.Private[int | None]

    @strawberry.field(description="The person whose view applies (null for an API token).")
    async def user(self) -> UserNode | None:
        return await _user_node(self.user_id)

    @strawberry.field(description="During direct access, the reseller staff member really "
                      "there (the way back); else null.")
    async def real_user(self) -> UserNode | None:
        return await _user_node(self.real_user_id)

    @strawberry.field
    async def reseller(self) -> ResellerNode | None:
        if self.reseller_id is None:
            return None
        rows = await Reseller.filter(id=self.reseller_id).values(*RESELLER_COLUMNS)
        return ResellerNode.from_row(rows[0]) if rows else None

    @strawberry.field(description="The subscriber account (own, or the one accessed directly).")
    async def account(self) -> AccountNode | None:
        if self.account_id is None:
            return None
        rows = await Account.filter(id=self.account_id).values(*ACCOUNT_COLUMNS)
        return AccountNode.from_row(rows[0]) if rows else None

    @strawberry.field(description="For an integrator: the API token in use.")
    async def api_token(self) -> ApiTokenNode | None:
        if self.api_token_id is None:
            return None
        return await api_token_node(self.api_token_id)


@strawberry.enum(name="PasswordLinkPurpose")
class PasswordLinkPurpose(Enum):
    RESET_PASSWORD = "RESET_PASSWORD"
    SET_PASSWORD = "SET_PASSWORD"


@strawberry.enum(name="PasswordLinkStatus")
class PasswordLinkStatus(Enum):
    VALID = "VALID"
    EXPIRED = "EXPIRED"
    USED = "USED"


@strawberry.type(name="PasswordLink", description="What a set-password link is for, so the "
                 "page it opens can greet the person.")
class PasswordLinkInfo:
    purpose: PasswordLinkPurpose
    status: PasswordLinkStatus
    login: str = strawberry.field(description="The login id the password is for.")
    expires_at: DateTime  # type: ignore[valid-type]


@strawberry.type
class AuthQuery:
    @strawberry.field(extensions=allow(*SIGNED_IN), description="Who I am.")
    def me(self, info: strawberry.Info) -> Me:
        p = info.context.principal
        return Me(
            role=Role(p.role), direct_access=p.direct_access, language=info.context.language,
            user_id=p.user_id, real_user_id=p.real_user_id, reseller_id=p.reseller_id,
            account_id=p.account_id, api_token_id=p.api_token_id,
        )

    @strawberry.field(extensions=allow(ANONYMOUS), description="The state of a set-password "
                      "link (null when it does not exist).")
    async def password_link(self, token: str) -> PasswordLinkInfo | None:
        state = await links.describe_link(token)
        if state is None:
            return None
        return PasswordLinkInfo(
            purpose=PasswordLinkPurpose(OneTimeTokenPurpose(state.purpose).value),
            status=PasswordLinkStatus(state.status), login=state.login,
            expires_at=state.expires_at,
        )


# ---- mutations -----------------------------------------------------------------------------

@strawberry.input
class LoginInput:
    login: str = strawberry.field(description="Login id or email (any case).")
    password: str
    remember_me: bool = strawberry.field(
        default=False, description="Remember the login id in this browser (never the password)."
    )


@strawberry.type
class LoginPayload:
    token: str | None = strawberry.field(description="The session token, also set as the "
                                         "HttpOnly cookie; send it as `Authorization: Bearer`.")
    user: UserNode | None
    retry_after: int | None = strawberry.field(description="After TOO_MANY_ATTEMPTS: seconds "
                                               "to wait before trying again.")
    errors: list[IdentityError]  # type: ignore[valid-type]


@strawberry.type
class LogoutPayload:
    signed_out: bool = strawberry.field(description="Whether a session was open and is now "
                                        "ended.")
    errors: list[IdentityError]  # type: ignore[valid-type]


@strawberry.input
class ChangePasswordInput:
    current_password: str
    new_password: str


@strawberry.type
class ChangePasswordPayload:
    user: UserNode | None
    errors: list[IdentityError]  # type: ignore[valid-type]


@strawberry.input
class RequestPasswordResetInput:
    login: str = strawberry.field(description="Login id or email.")


@strawberry.type
class RequestPasswordResetPayload:
    message: str = strawberry.field(description="The same answer whether or not the login "
                                    "exists.")
    errors: list[IdentityError]  # type: ignore[valid-type]


@strawberry.input
class ResetPasswordInput:
    token: str = strawberry.field(description="The `token` of the emailed link.")
    new_password: str


@strawberry.type
class ResetPasswordPayload:
    login: str | None = strawberry.field(description="The login id to sign in with now.")
    errors: list[IdentityError]  # type: ignore[valid-type]


@strawberry.type
class AuthMutation:
    @strawberry.mutation(extensions=allow(ANONYMOUS), description="Sign in with a login id or "
                         "email and a password; opens a session (cookie and token).")
    async def login(self, info: strawberry.Info, input: LoginInput) -> LoginPayload:
        context = info.context
        try:
            signed_in = await auth.sign_in(
                input.login, input.password,
                client_address=auth.client_address(context.request),
                user_agent=context.request.headers.get("user-agent", ""),
            )
        except auth.Throttled as throttled:
            return LoginPayload(token=None, user=None, retry_after=throttled.retry_after,
                                errors=_errors(throttled, context.language))
        except PayloadError as error:
            return LoginPayload(token=None, user=None, retry_after=None,
                                errors=_errors(error, context.language))
        secure = _secure(context)
        context.response.set_cookie(SESSION_COOKIE, signed_in.token, httponly=True,
                                    samesite="lax", secure=secure, path="/")
        if input.remember_me:
            context.response.set_cookie(
                LOGIN_COOKIE, quote(auth.normalize_login(input.login), safe=""),
                max_age=LOGIN_COOKIE_MAX_AGE, httponly=False, samesite="lax", secure=secure,
                path="/",
            )
        else:
            context.response.delete_cookie(LOGIN_COOKIE, path="/", samesite="lax",
                                           secure=secure)
        return LoginPayload(token=signed_in.token, user=await _user_node(signed_in.user.id),
                            retry_after=None, errors=[])

    @strawberry.mutation(extensions=allow(ANONYMOUS), description="End my session (and a "
                         "direct access opened from it) and clear the session cookie.")
    async def logout(self, info: strawberry.Info) -> LogoutPayload:
        context = info.context
        principal = context.principal
        ended = await auth.sign_out(principal.session_id if principal else None)
        # The reseller's own session waiting during direct access ended with it: drop both.
        for name in (SESSION_COOKIE, PARENT_COOKIE):
            context.response.delete_cookie(name, path="/", httponly=True, samesite="lax",
                                           secure=_secure(context))
        return LogoutPayload(signed_out=ended, errors=[])

    @strawberry.mutation(extensions=allow(*PEOPLE), description="Change my password (the "
                         "current one is needed); my other sessions end.")
    async def change_password(
        self, info: strawberry.Info, input: ChangePasswordInput
    ) -> ChangePasswordPayload:
        context = info.context
        try:
            user = await auth.change_password(
                context.principal, input.current_password, input.new_password,
                client_address=auth.client_address(context.request),
            )
        except (auth.Rejected, PayloadError) as problem:
            return ChangePasswordPayload(user=None, errors=_errors(problem, context.language))
        return ChangePasswordPayload(user=await _user_node(user.id), errors=[])

    @strawberry.mutation(extensions=allow(ANONYMOUS), description="“Oublié?”: email a link "
                         "to choose a new password. The answer does not tell whether the login "
                         "exists.")
    async def request_password_reset(
        self, info: strawberry.Info, input: RequestPasswordResetInput
    ) -> RequestPasswordResetPayload:
        context = info.context
        message = _RESET_ANSWER.render(context.language)
        try:
            await auth.request_password_reset(
                input.login, client_address=auth.client_address(context.request),
                gateway=context.host,
            )
        except PayloadError as error:
            return RequestPasswordResetPayload(message=message,
                                               errors=_errors(error, context.language))
        return RequestPasswordResetPayload(message=message, errors=[])

    @strawberry.mutation(extensions=allow(ANONYMOUS), description="Choose a password with the "
                         "token of an emailed link (reset or first password); the link is "
                         "then spent and every session of the person ends.")
    async def reset_password(
        self, info: strawberry.Info, input: ResetPasswordInput
    ) -> ResetPasswordPayload:
        try:
            user = await auth.reset_password(input.token, input.new_password)
        except auth.Rejected as problem:
            return ResetPasswordPayload(login=None, errors=_errors(problem, info.context.language))
        return ResetPasswordPayload(login=user.login, errors=[])
