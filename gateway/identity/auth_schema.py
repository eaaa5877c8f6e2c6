"""GraphQL of signing in: login, logout, me, changePassword, password reset links."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any
from urllib.parse import quote

import strawberry

from gateway.contributions import Principal
from gateway.i18n import Text
from gateway.identity import auth, links
from gateway.identity.api_tokens_schema import ApiTokenNode, api_token_node
from gateway.identity.models import OneTimeTokenPurpose
from gateway.identity.principal import PARENT_COOKIE, SESSION_COOKIE, secure_cookies
from gateway.identity.sessions import end_session_of_token
from gateway.identity.types import (
    AccountNode,
    IdentityError,
    ResellerNode,
    UserNode,
    account_node,
    reseller_node,
    user_node,
)
from gateway.roles import ANONYMOUS, SIGNED_IN, Role
from schema.descriptions import describe_enum_values
from schema.mutations import field, mutation
from schema.scalars import DateTime

# "Mémoriser": the login id only, readable by the sign-in page's script; never the password.
LOGIN_COOKIE = "gw_login"
LOGIN_COOKIE_MAX_AGE = 365 * 24 * 3600

_RESET_ANSWER = Text(
    en="If this login id or email is known, a message with a link to choose a new password "
    "is on its way.",
    fr="Si cet identifiant ou ce courriel est connu, un message contenant un lien pour choisir "
    "un nouveau mot de passe vous a été envoyé.",
)


def _secure(context: Any) -> bool:
    return secure_cookies(context.settings.public_url, context.request)


# ---- me ------------------------------------------------------------------------------------

@strawberry.type(name="Me", description="Who is calling: the person, the role in effect, the "
                 "reseller and account, and during direct access who is really there.")
class Me:
    role: Role = strawberry.field(description="The role in effect (during direct access: the "
                                  "account admin's).")
    direct_access: bool = strawberry.field(description="True while a reseller acts inside a "
                                           "subscriber account.")
    language: str = strawberry.field(
        description="The language answers are given in (fr or en): mine, or the request's "
        "Accept-Language.")
    user_id: strawberry.Private[int | None]
    real_user_id: strawberry.Private[int | None]
    reseller_id: strawberry.Private[int | None]
    account_id: strawberry.Private[int | None]
    api_token_id: strawberry.Private[int | None]
    principal: strawberry.Private[Principal]

    @strawberry.field(description="The names of the features the enabled plugins make "
                      "available to me, sorted (e.g. VOIP when I may make and take calls over "
                      "VoIP); empty when none.")
    async def capabilities(self, info: strawberry.Info) -> list[str]:
        return await info.context.host.capabilities(self.principal)

    @strawberry.field(description="The person whose view applies (null for an API token).")
    async def user(self) -> UserNode | None:
        return await user_node(self.user_id)

    @strawberry.field(description="During direct access, the reseller staff member really "
                      "there (the way back); else null.")
    async def real_user(self) -> UserNode | None:
        return await user_node(self.real_user_id)

    @strawberry.field(description="My reseller (revendeur), or the reseller of my account; "
                      "null for a system admin.")
    async def reseller(self) -> ResellerNode | None:
        return await reseller_node(self.reseller_id)

    @strawberry.field(description="The subscriber account (own, or the one accessed directly).")
    async def account(self) -> AccountNode | None:
        return await account_node(self.account_id)

    @strawberry.field(description="For an integrator: the API token in use.")
    async def api_token(self) -> ApiTokenNode | None:
        if self.api_token_id is None:
            return None
        return await api_token_node(self.api_token_id)


strawberry.enum(OneTimeTokenPurpose, name="PasswordLinkPurpose",
                description="Why a set-password link was sent.")
describe_enum_values(OneTimeTokenPurpose, {
    "RESET_PASSWORD": "The person asked for a new password (“Oublié?”).",
    "SET_PASSWORD": "A new person's first password (their account was just created).",
})


@strawberry.enum(name="PasswordLinkStatus", description="Whether a set-password link can "
                 "still be used.")
class PasswordLinkStatus(Enum):
    VALID = strawberry.enum_value("VALID", description="It can be used now.")
    EXPIRED = strawberry.enum_value("EXPIRED", description="Too old: ask for a new one.")
    USED = strawberry.enum_value("USED", description="Already used: ask for a new one.")


@strawberry.type(name="PasswordLink", description="What a set-password link is for, so the "
                 "page it opens can greet the person.")
class PasswordLinkInfo:
    purpose: OneTimeTokenPurpose = strawberry.field(description="Why the link was sent.")
    status: PasswordLinkStatus = strawberry.field(description="Whether it can still be used.")
    login: str = strawberry.field(description="The login id the password is for.")
    expires_at: DateTime = strawberry.field(description="When the link stops working.")


@strawberry.type
class AuthQuery:
    @field(*SIGNED_IN, description="Who I am.")
    def me(self, info: strawberry.Info) -> Me:
        p = info.context.principal
        return Me(
            role=Role(p.role), direct_access=p.direct_access, language=info.context.language,
            user_id=p.user_id, real_user_id=p.real_user_id, reseller_id=p.reseller_id,
            account_id=p.account_id, api_token_id=p.api_token_id, principal=p,
        )

    @field(ANONYMOUS, description="The state of a set-password link (null when it does not "
           "exist).")
    async def password_link(
        self, token: Annotated[str, strawberry.argument(
            description="The `token` of the emailed link.")],
    ) -> PasswordLinkInfo | None:
        state = await links.describe_link(token)
        if state is None:
            return None
        return PasswordLinkInfo(
            purpose=OneTimeTokenPurpose(state.purpose), status=PasswordLinkStatus(state.status),
            login=state.login, expires_at=state.expires_at,
        )


# ---- mutations -----------------------------------------------------------------------------

@strawberry.input(description="A login id (or email) and password.")
class LoginInput:
    login: str = strawberry.field(description="Login id or email (any case).")
    password: str = strawberry.field(description="The password (mot de passe).")
    remember_me: bool = strawberry.field(
        default=False, description="Remember the login id in this browser (never the password)."
    )


@strawberry.type(description="The result of login: the session token and who signed in.")
class LoginPayload:
    token: str | None = strawberry.field(description="The session token, also set as the "
                                         "HttpOnly cookie; send it as `Authorization: Bearer`.")
    user: UserNode | None = strawberry.field(
        description="The person now signed in; null on errors.")
    retry_after: int | None = strawberry.field(default=None, description="After "
                                               "TOO_MANY_ATTEMPTS: seconds to wait before "
                                               "trying again.")
    errors: list[IdentityError] = strawberry.field(default_factory=list)


@strawberry.type(description="The result of logout.")
class LogoutPayload:
    signed_out: bool = strawberry.field(default=False, description="Whether a session was "
                                        "open and is now ended.")
    errors: list[IdentityError] = strawberry.field(default_factory=list)


@strawberry.input(description="My current password and the new one.")
class ChangePasswordInput:
    current_password: str = strawberry.field(description="My password now, to confirm it is me.")
    new_password: str = strawberry.field(
        description="The new password: at least 8 characters, with an uppercase letter, a "
        "digit and a special character.")


@strawberry.type(description="The result of changePassword.")
class ChangePasswordPayload:
    user: UserNode | None = strawberry.field(
        description="Me, with the new password saved; null on errors.")
    errors: list[IdentityError] = strawberry.field(default_factory=list)


@strawberry.input(description="Whose password to reset (“Oublié?”).")
class RequestPasswordResetInput:
    login: str = strawberry.field(description="Login id or email.")


def _reset_answer(info: strawberry.Info) -> str:
    return _RESET_ANSWER.render(info.context.language)


@strawberry.type(description="The result of requestPasswordReset: the same whether or not "
                 "the login exists.")
class RequestPasswordResetPayload:
    # A resolver, so that a refusal (too many requests) still carries it.
    message: str = strawberry.field(resolver=_reset_answer, description="The same answer "
                                    "whether or not the login exists.")
    errors: list[IdentityError] = strawberry.field(default_factory=list)


@strawberry.input(description="An emailed link's token and the password to choose.")
class ResetPasswordInput:
    token: str = strawberry.field(description="The `token` of the emailed link.")
    new_password: str = strawberry.field(
        description="The new password: at least 8 characters, with an uppercase letter, a "
        "digit and a special character.")


@strawberry.type(description="The result of resetPassword.")
class ResetPasswordPayload:
    login: str | None = strawberry.field(description="The login id to sign in with now.")
    errors: list[IdentityError] = strawberry.field(default_factory=list)


@strawberry.type
class AuthMutation:
    # A throttled sign-in also says when to try again: Throttled.details fills retryAfter.
    @mutation(ANONYMOUS, errors=IdentityError, description="Sign in with a login id or email "
              "and a password; opens a session (cookie and token).")
    async def login(self, info: strawberry.Info, input: LoginInput) -> LoginPayload:
        context = info.context
        signed_in = await auth.sign_in(
            input.login, input.password,
            client_address=auth.caller_address(context),
            user_agent=context.request.headers.get("user-agent", ""),
        )
        # Signing in ends the session this browser held (and a direct access waiting in it):
        # one cookie, one session; a token someone else saw before stops working.
        for name in (SESSION_COOKIE, PARENT_COOKIE):
            await end_session_of_token(context.request.cookies.get(name))
        context.response.delete_cookie(PARENT_COOKIE, path="/", httponly=True, samesite="lax",
                                       secure=_secure(context))
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
        return LoginPayload(token=signed_in.token, user=await user_node(signed_in.user.id))

    @mutation(ANONYMOUS, errors=IdentityError, description="End my session (and a direct "
              "access opened from it) and clear the session cookie.")
    async def logout(self, info: strawberry.Info) -> LogoutPayload:
        context = info.context
        principal = context.principal
        ended = await auth.sign_out(principal.session_id if principal else None)
        # The reseller's own session waiting during direct access ended with it: drop both.
        for name in (SESSION_COOKIE, PARENT_COOKIE):
            context.response.delete_cookie(name, path="/", httponly=True, samesite="lax",
                                           secure=_secure(context))
        return LogoutPayload(signed_out=ended)

    @mutation(*auth.PEOPLE, errors=IdentityError, description="Change my password (the "
              "current one is needed); my other sessions end.")
    async def change_password(
        self, info: strawberry.Info, input: ChangePasswordInput
    ) -> ChangePasswordPayload:
        context = info.context
        user = await auth.change_password(
            context.principal, input.current_password, input.new_password,
            client_address=auth.caller_address(context),
        )
        return ChangePasswordPayload(user=await user_node(user.id))

    @mutation(ANONYMOUS, errors=IdentityError, description="“Oublié?”: email a link to choose "
              "a new password. The answer does not tell whether the login exists.")
    async def request_password_reset(
        self, info: strawberry.Info, input: RequestPasswordResetInput
    ) -> RequestPasswordResetPayload:
        context = info.context
        await auth.request_password_reset(
            input.login, client_address=auth.caller_address(context),
            gateway=context.host,
        )
        return RequestPasswordResetPayload()

    @mutation(ANONYMOUS, errors=IdentityError, description="Choose a password with the token "
              "of an emailed link (reset or first password); the link is then spent and every "
              "session of the person ends.")
    async def reset_password(
        self, info: strawberry.Info, input: ResetPasswordInput
    ) -> ResetPasswordPayload:
        user = await auth.reset_password(input.token, input.new_password)
        return ResetPasswordPayload(login=user.login)
