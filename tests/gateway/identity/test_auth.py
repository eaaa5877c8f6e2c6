"""Signing in and out, sessions (cookie and bearer), and `me` for every kind of caller."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import httpx
from argon2 import PasswordHasher

from gateway.contributions import Principal
from gateway.identity import secrets
from gateway.identity.api_tokens import create_api_token
from gateway.identity.models import ResellerDelegate, Session, User, UserRole
from gateway.identity.sessions import IDLE_TIMEOUT, open_session
from schema.permissions import Role
from tests.conftest import Gateway, make_settings, start_gateway
from tests.support.identity_factory import PASSWORD, make_tenant, make_user

LOGIN = """mutation($login: String!, $password: String!, $remember: Boolean! = false) {
  login(input: {login: $login, password: $password, rememberMe: $remember}) {
    token retryAfter user { login role } errors { code field message }
  }
}"""

ME = """{ me { role directAccess language user { login } realUser { login }
  reseller { name } account { name } apiToken { name } } }"""


async def login(gateway: Gateway, login: str, password: str, **headers: str) -> dict[str, Any]:
    """The login payload; the client's cookie jar is left as it was."""
    saved = httpx.Cookies(gateway.client.cookies)
    result = await gateway.graphql(LOGIN, {"login": login, "password": password}, **headers)
    gateway.client.cookies = saved
    return result["data"]["login"]


async def post(gateway: Gateway, query: str, variables: dict[str, Any] | None = None,
               **headers: str) -> httpx.Response:
    return await gateway.client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def set_cookies(response: httpx.Response) -> dict[str, str]:
    """Set-Cookie headers by cookie name."""
    found = {}
    for header in response.headers.get_list("set-cookie"):
        found[header.split("=", 1)[0]] = header
    return found


async def test_login_by_login_id_or_email_in_any_case(gateway: Gateway) -> None:
    tenant = await make_tenant()
    await User.filter(id=tenant.admin.id).update(login="alpha-admin")
    by_login = await login(gateway, "  ALPHA-Admin ", PASSWORD)
    assert by_login["errors"] == []
    assert by_login["user"] == {"login": "alpha-admin", "role": "RESELLER_ADMIN"}
    by_email = await login(gateway, tenant.admin.email.upper(), PASSWORD)
    assert by_email["user"]["login"] == "alpha-admin"
    assert by_login["token"] != by_email["token"]
    assert by_login["token"].startswith("gws_")

    me = await gateway.graphql(ME, **bearer(by_email["token"]))
    assert me["data"]["me"]["user"] == {"login": "alpha-admin"}
    assert me["data"]["me"]["role"] == "RESELLER_ADMIN"


async def test_wrong_password_and_unknown_login_get_the_same_answer_and_work(
    gateway: Gateway, monkeypatch: Any
) -> None:
    tenant = await make_tenant()
    verified: list[str] = []
    real_verify = PasswordHasher.verify

    def counting_verify(self: PasswordHasher, stored: Any, candidate: Any) -> bool:
        verified.append("verify")
        return real_verify(self, stored, candidate)

    monkeypatch.setattr(PasswordHasher, "verify", counting_verify)

    wrong = await login(gateway, tenant.employee.login, "Wrong-pass1")
    assert len(verified) == 1
    unknown = await login(gateway, "nobody@example.test", "Wrong-pass1")
    assert len(verified) == 2  # an argon2 verification even though nobody has that login

    assert wrong == unknown
    assert wrong["token"] is None and wrong["user"] is None
    assert [e["code"] for e in wrong["errors"]] == ["INVALID_CREDENTIALS"]
    assert wrong["errors"][0]["message"] == "The login id or the password is incorrect."


async def test_messages_follow_the_callers_language(gateway: Gateway) -> None:
    await make_tenant()
    result = await gateway.graphql(
        LOGIN, {"login": "x@example.test", "password": "nope"}, **{"Accept-Language": "fr-CA"}
    )
    message = result["data"]["login"]["errors"][0]["message"]
    assert message == "L'identifiant ou le mot de passe est incorrect."


async def test_missing_values_are_payload_errors(gateway: Gateway) -> None:
    result = await login(gateway, "  ", "")
    assert result["errors"][0]["code"] == "REQUIRED"
    assert result["errors"][0]["field"] == ["input", "login"]
    result = await login(gateway, "someone", "")
    assert result["errors"][0]["field"] == ["input", "password"]


async def test_disabled_person_cannot_sign_in(gateway: Gateway) -> None:
    tenant = await make_tenant()
    await User.filter(id=tenant.employee.id).update(is_active=False)
    result = await login(gateway, tenant.employee.login, PASSWORD)
    assert result["token"] is None
    assert result["errors"][0]["code"] == "ACCOUNT_DISABLED"


async def test_session_cookie_is_http_only_lax_and_works_alone(gateway: Gateway) -> None:
    tenant = await make_tenant()
    response = await post(gateway, LOGIN, {"login": tenant.company_admin.login,
                                           "password": PASSWORD})
    token = response.json()["data"]["login"]["token"]
    cookie = set_cookies(response)["gw_session"]
    assert cookie.startswith(f"gw_session={token};")
    attributes = [part.strip().lower() for part in cookie.split(";")]
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    assert "path=/" in attributes
    assert "secure" not in attributes  # http://testserver: a Secure cookie would never return
    assert "gw_login" not in gateway.client.cookies  # remember me was not asked for

    # The browser sends the cookie back; no Authorization header needed.
    me = await gateway.graphql(ME)
    assert me["data"]["me"]["user"]["login"] == tenant.company_admin.login
    assert me["data"]["me"]["account"]["name"] == tenant.company.name


async def test_session_cookie_is_secure_behind_https(migrated: str, tmp_path: Path) -> None:
    settings = make_settings(migrated, tmp_path, public_url="https://gateway.example")
    async for gateway in start_gateway(settings, run_jobs=False):
        tenant = await make_tenant()
        response = await post(gateway, LOGIN, {"login": tenant.admin.login,
                                               "password": PASSWORD, "remember": True})
        cookies = set_cookies(response)
        assert "secure" in [p.strip().lower() for p in cookies["gw_session"].split(";")]
        assert "secure" in [p.strip().lower() for p in cookies["gw_login"].split(";")]


async def test_remember_me_keeps_the_login_id_only(gateway: Gateway) -> None:
    tenant = await make_tenant()
    response = await post(gateway, LOGIN, {"login": tenant.admin.login.upper(),
                                           "password": PASSWORD, "remember": True})
    cookie = set_cookies(response)["gw_login"]
    attributes = [part.strip().lower() for part in cookie.split(";")]
    assert "httponly" not in attributes  # the sign-in page's script fills the field with it
    assert "max-age=31536000" in attributes
    value = cookie.split(";", 1)[0].split("=", 1)[1]
    assert httpx.URL(f"http://x/?v={value}").params["v"] == tenant.admin.login
    assert PASSWORD not in response.headers.get("set-cookie", "")

    # Signing in again without "remember me" forgets it.
    response = await post(gateway, LOGIN, {"login": tenant.admin.login, "password": PASSWORD})
    forget = set_cookies(response)["gw_login"]
    assert 'gw_login="";' in forget or "gw_login=;" in forget
    assert "max-age=0" in forget.lower()


async def test_logout_ends_the_session_and_clears_the_cookie(gateway: Gateway) -> None:
    tenant = await make_tenant()
    response = await post(gateway, LOGIN, {"login": tenant.employee.login, "password": PASSWORD})
    token = response.json()["data"]["login"]["token"]
    _, other = await open_session(tenant.employee)  # another device

    response = await post(gateway, "mutation { logout { signedOut errors { code } } }")
    assert response.json()["data"]["logout"] == {"signedOut": True, "errors": []}
    cleared = set_cookies(response)["gw_session"]
    assert "max-age=0" in cleared.lower()
    assert "gw_session" not in gateway.client.cookies

    ended = await gateway.graphql(ME, **bearer(token))
    assert ended["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # Signing out of one device leaves the others signed in.
    still = await gateway.graphql(ME, **bearer(other))
    assert still["data"]["me"]["user"]["login"] == tenant.employee.login

    # Again, signed out: harmless, and it still clears a stale cookie.
    again = await post(gateway, "mutation { logout { signedOut } }", **bearer(token))
    assert again.json()["data"]["logout"] == {"signedOut": False}


async def test_logout_from_direct_access_ends_both_sessions(gateway: Gateway) -> None:
    tenant = await make_tenant()
    parent, _ = await open_session(tenant.admin)
    child, child_token = await open_session(tenant.admin, acting_account=tenant.company,
                                            parent=parent)
    response = await post(gateway, "mutation { logout { signedOut } }", **bearer(child_token))
    assert response.json()["data"]["logout"]["signedOut"] is True
    assert await Session.filter(id__in=[parent.id, child.id], ended_at__isnull=True).count() == 0
    # The browser's waiting reseller cookie goes too: its session has ended.
    assert "max-age=0" in set_cookies(response)["gw_session_parent"].lower()


async def test_anonymous_me_is_unauthenticated(gateway: Gateway) -> None:
    result = await gateway.graphql(ME)
    assert result["data"] is None
    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_me_for_each_kind_of_caller(gateway: Gateway) -> None:
    tenant = await make_tenant("Alpha")
    sysadmin = await make_user(UserRole.SYSTEM_ADMIN)

    async def me(user: User) -> dict[str, Any]:
        _, token = await open_session(user)
        return (await gateway.graphql(ME, **bearer(token)))["data"]["me"]

    assert await me(sysadmin) == {
        "role": "SYSTEM_ADMIN", "directAccess": False, "language": "en",
        "user": {"login": sysadmin.login}, "realUser": None, "reseller": None, "account": None,
        "apiToken": None,
    }
    admin = await me(tenant.admin)
    assert (admin["role"], admin["reseller"], admin["account"]) == (
        "RESELLER_ADMIN", {"name": "Alpha"}, None)
    employee = await me(tenant.employee)
    assert (employee["role"], employee["account"]) == ("EMPLOYEE", {"name": tenant.company.name})
    professional = await me(tenant.professional)
    assert professional["role"] == "PROFESSIONAL"

    # A company admin granted delegated reseller rights acts as a reseller delegate.
    await ResellerDelegate.create(reseller=tenant.reseller, user=tenant.company_admin)
    delegate = await me(tenant.company_admin)
    assert (delegate["role"], delegate["reseller"]) == ("RESELLER_DELEGATE", {"name": "Alpha"})


async def test_me_during_direct_access_names_both_people(gateway: Gateway) -> None:
    tenant = await make_tenant("Alpha")
    parent, _ = await open_session(tenant.admin)
    _, token = await open_session(tenant.admin, acting_account=tenant.company, parent=parent)
    me = (await gateway.graphql(ME, **bearer(token)))["data"]["me"]
    assert me["directAccess"] is True
    assert me["role"] == "COMPANY_ADMIN"
    assert me["user"] == {"login": tenant.company_admin.login}  # whose view applies
    assert me["realUser"] == {"login": tenant.admin.login}  # who is really there
    assert me["account"] == {"name": tenant.company.name}
    assert me["reseller"] == {"name": "Alpha"}


async def test_me_for_an_integrator_token(gateway: Gateway) -> None:
    tenant = await make_tenant("Alpha")
    principal = Principal(role=Role.RESELLER_ADMIN, user_id=tenant.admin.id,
                          reseller_id=tenant.reseller.id)
    created = await create_api_token(principal, "CRM sync")
    me = (await gateway.graphql(ME, **bearer(created.token)))["data"]["me"]
    assert me["role"] == "INTEGRATOR"
    assert me["reseller"] == {"name": "Alpha"}
    assert me["user"] is None
    assert me["apiToken"] == {"name": "CRM sync"}


async def test_session_ends_after_ten_idle_minutes(gateway: Gateway) -> None:
    tenant = await make_tenant()
    token = (await login(gateway, tenant.employee.login, PASSWORD))["token"]
    session = await Session.get(token_hash=secrets.token_digest(token))
    now = dt.datetime.now(dt.UTC)

    await Session.filter(id=session.id).update(last_seen_at=now - IDLE_TIMEOUT + dt.timedelta(
        seconds=30))
    alive = await gateway.graphql(ME, **bearer(token))
    assert alive["data"]["me"]["user"]["login"] == tenant.employee.login
    # That request counted as activity: the idle clock starts again.
    assert (await Session.get(id=session.id)).last_seen_at > now - dt.timedelta(seconds=5)

    await Session.filter(id=session.id).update(last_seen_at=now - IDLE_TIMEOUT
                                               - dt.timedelta(seconds=1))
    idle = await gateway.graphql(ME, **bearer(token))
    assert idle["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_session_ends_at_its_absolute_cap_even_when_active(gateway: Gateway) -> None:
    tenant = await make_tenant()
    token = (await login(gateway, tenant.employee.login, PASSWORD))["token"]
    now = dt.datetime.now(dt.UTC)
    await Session.filter(token_hash=secrets.token_digest(token)).update(
        last_seen_at=now, expires_at=now - dt.timedelta(seconds=1)
    )
    capped = await gateway.graphql(ME, **bearer(token))
    assert capped["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_sessions_are_stored_hashed(gateway: Gateway) -> None:
    tenant = await make_tenant()
    token = (await login(gateway, tenant.employee.login, PASSWORD))["token"]
    rows = await Session.all().values("token_hash")
    assert all(token not in row["token_hash"] for row in rows)
    assert await Session.filter(token_hash=secrets.token_digest(token)).exists()
