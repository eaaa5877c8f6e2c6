"""Sessions and credentials (issue 15, item 14): an idle session is ended when seen, signing in
ends the cookie's previous session, a direct access has a short lifetime of its own, changing a
staff login email asks for the current password."""

from __future__ import annotations

import datetime as dt
from typing import Any

from strawberry.relay import to_base64

from gateway.identity import secrets
from gateway.identity.models import ResellerDelegate, Session, User
from gateway.identity.principal import PARENT_COOKIE, SESSION_COOKIE, principal_from_token
from gateway.identity.sessions import (
    ABSOLUTE_MAX,
    DIRECT_ACCESS_MAX,
    IDLE_TIMEOUT,
    open_session,
    principal_for_session,
    resolve_session,
)
from gateway.roles import Role
from tests.conftest import Gateway
from tests.gateway.identity.test_auth import LOGIN, ME, bearer
from tests.gateway.identity.test_direct_access import START
from tests.gateway.identity.test_resellers import ADMINISTRATOR
from tests.support.identity_factory import PASSWORD, bearer_for, make_tenant


async def test_a_session_past_its_idle_limit_is_ended_when_seen(gateway: Gateway) -> None:
    tenant = await make_tenant()
    session, token = await open_session(tenant.employee)
    await Session.filter(id=session.id).update(
        last_seen_at=dt.datetime.now(dt.UTC) - IDLE_TIMEOUT - dt.timedelta(seconds=1))
    idle = await gateway.graphql(ME, **bearer(token))
    assert idle["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert (await Session.get(id=session.id)).ended_at is not None
    # Ended for good: even made fresh again, it stays refused.
    await Session.filter(id=session.id).update(last_seen_at=dt.datetime.now(dt.UTC))
    again = await gateway.graphql(ME, **bearer(token))
    assert again["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_signing_in_ends_the_cookies_previous_session(gateway: Gateway) -> None:
    tenant = await make_tenant()
    variables = {"login": tenant.employee.login, "password": PASSWORD}
    first = (await gateway.graphql(LOGIN, variables))["data"]["login"]["token"]
    assert gateway.client.cookies.get(SESSION_COOKIE) == first
    second = (await gateway.graphql(LOGIN, variables))["data"]["login"]["token"]
    assert second and second != first
    gateway.client.cookies.clear()
    stale = await gateway.graphql(ME, **bearer(first))
    assert stale["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert (await Session.get(token_hash=secrets.token_digest(first))).ended_at is not None
    assert (await gateway.graphql(ME, **bearer(second)))["data"]["me"]["role"] == "EMPLOYEE"
    # A session held by another client (a bearer token) is not the cookie's: it goes on.
    _, phone = await open_session(tenant.employee)
    await gateway.graphql(LOGIN, variables, **bearer(phone))
    gateway.client.cookies.clear()
    assert (await gateway.graphql(ME, **bearer(phone)))["data"]["me"]["role"] == "EMPLOYEE"


async def test_signing_in_ends_a_direct_access_waiting_in_the_browser(gateway: Gateway) -> None:
    tenant = await make_tenant()
    parent, parent_token = await open_session(tenant.admin)
    child, child_token = await open_session(tenant.admin, acting_account=tenant.company,
                                            parent=parent)
    gateway.client.cookies.set(SESSION_COOKIE, child_token)
    gateway.client.cookies.set(PARENT_COOKIE, parent_token)
    signed = await gateway.graphql(LOGIN, {"login": tenant.employee.login, "password": PASSWORD})
    assert signed["data"]["login"]["errors"] == []
    gateway.client.cookies.clear()
    for session in (parent, child):
        assert (await Session.get(id=session.id)).ended_at is not None


async def test_a_direct_access_has_a_short_lifetime_of_its_own(gateway: Gateway) -> None:
    tenant = await make_tenant()
    headers = await bearer_for(tenant.admin)
    started = await gateway.graphql(START, {"id": to_base64("Account", tenant.company.id)},
                                    **headers)
    token = started["data"]["startDirectAccess"]["token"]
    child = await Session.get(token_hash=secrets.token_digest(token))
    parent = await Session.get(id=child.parent_id)
    assert DIRECT_ACCESS_MAX < ABSOLUTE_MAX
    assert child.expires_at - child.created_at <= DIRECT_ACCESS_MAX + dt.timedelta(seconds=5)
    assert parent.expires_at - parent.created_at > DIRECT_ACCESS_MAX
    # Past it, the direct access is over (and ended) while the reseller's session goes on.
    await Session.filter(id=child.id).update(
        expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
    over = await gateway.graphql(ME, **bearer(token))
    assert over["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert (await Session.get(id=child.id)).ended_at is not None
    assert (await gateway.graphql(ME, **headers))["data"]["me"]["role"] == "RESELLER_ADMIN"


async def test_changing_a_staff_login_email_asks_for_the_current_password(
    gateway: Gateway
) -> None:
    alpha = await make_tenant("Alpha")
    headers = await bearer_for(alpha.admin)
    new = "nouvelle@alpha.example"
    cases = [({}, "CURRENT_PASSWORD_REQUIRED"), ({"currentPassword": ""},
                                                 "CURRENT_PASSWORD_REQUIRED"),
             ({"currentPassword": "Wrong-pass1!"}, "WRONG_CURRENT_PASSWORD")]
    for extra, code in cases:
        result = await gateway.graphql(ADMINISTRATOR, {"input": {"email": new, **extra}},
                                       **headers)
        [error] = result["data"]["updateAccountAdministrator"]["errors"]
        assert (error["code"], error["field"]) == (code, ["input", "currentPassword"])
        assert error["message"]
    assert (await User.get(id=alpha.admin.id)).email == alpha.admin.email
    # Other details change without it; the email with it.
    phone = await gateway.graphql(ADMINISTRATOR, {"input": {"phone": "514 555 0100"}}, **headers)
    assert phone["data"]["updateAccountAdministrator"]["errors"] == []
    done = await gateway.graphql(ADMINISTRATOR, {"input": {"email": new,
                                                           "currentPassword": PASSWORD}},
                                 **headers)
    assert done["data"]["updateAccountAdministrator"]["errors"] == []
    assert (await User.get(id=alpha.admin.id)).login == new


async def test_a_signed_in_request_reads_its_session_in_one_statement(
        gateway: Gateway, count_queries: Any) -> None:
    """Every signed-in request pays for its session: one statement gives the principal (the
    person and a delegation with it), the same principal the ORM's way gives, for each role."""
    tenant = await make_tenant()
    beta = await make_tenant("Beta")
    await ResellerDelegate.create(reseller=beta.reseller, user=tenant.company_admin)
    people = [tenant.admin, tenant.company_admin, tenant.employee, tenant.professional]
    for person in people:
        session, token = await open_session(person)
        with count_queries() as statements:
            fast = await principal_from_token(token)
        assert len(statements) == 1, statements
        slow_session = await resolve_session(token)
        assert slow_session is not None
        assert fast == await principal_for_session(slow_session)
    delegated = await principal_from_token((await open_session(tenant.company_admin))[1])
    assert delegated is not None
    assert (delegated.role, delegated.reseller_id) == (Role.RESELLER_DELEGATE, beta.reseller.id)
    # Suspended: refused and ended, as the ORM's way does.
    session, token = await open_session(tenant.employee)
    await User.filter(id=tenant.employee.id).update(is_active=False)
    assert await principal_from_token(token) is None
    assert (await Session.get(id=session.id)).ended_at is not None
