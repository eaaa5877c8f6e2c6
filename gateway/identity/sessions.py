"""Server-side sessions and API tokens, and the Principal they stand for."""

from __future__ import annotations

import datetime as dt

from tortoise.expressions import Q

from gateway.contributions import Principal
from gateway.db_values import moment_converter
from gateway.identity.models import (
    Account,
    AccountKind,
    ApiToken,
    ResellerDelegate,
    Session,
    User,
    UserRole,
)
from gateway.identity.secrets import SESSION_PREFIX, new_token, token_digest
from gateway.roles import Role
from gateway.sqlite_client import short_read

IDLE_TIMEOUT = dt.timedelta(minutes=10)  # seeds: the portal ends a session after 10 idle minutes
ABSOLUTE_MAX = dt.timedelta(hours=12)
# A direct access (staff inside a subscriber's account) is for support: short, whatever the
# staff member's own session has left.
DIRECT_ACCESS_MAX = dt.timedelta(hours=1)
_TOUCH_EVERY = dt.timedelta(seconds=30)  # spare a write on every request


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def open_session(
    user: User,
    *,
    client_address: str = "",
    user_agent: str = "",
    acting_account: Account | None = None,
    parent: Session | None = None,
) -> tuple[Session, str]:
    """A new session for ``user``; returns it and the token the client keeps (shown once)."""
    token = new_token(SESSION_PREFIX)
    now = utcnow()
    expires = now + (DIRECT_ACCESS_MAX if acting_account is not None else ABSOLUTE_MAX)
    if parent is not None:
        expires = min(expires, parent.expires_at)
    session = await Session.create(
        token_hash=token_digest(token),
        user=user,
        acting_account=acting_account,
        parent=parent,
        client_address=client_address[:64],
        user_agent=user_agent[:300],
        last_seen_at=now,
        expires_at=expires,
    )
    return session, token


def is_alive(session: Session, now: dt.datetime | None = None) -> bool:
    """Not ended, not past its absolute cap, and not idle too long."""
    now = now or utcnow()
    return (
        session.ended_at is None
        and session.expires_at > now
        and session.last_seen_at + IDLE_TIMEOUT > now
    )


async def resolve_session(token: str) -> Session | None:
    """The live session for ``token`` (idle and absolute limits applied), touched as seen."""
    if not token.startswith(SESSION_PREFIX):
        return None
    session = (
        await Session.filter(token_hash=token_digest(token))
        .select_related("user", "acting_account")
        .first()
    )
    now = utcnow()
    if session is None or session.ended_at is not None:
        return None
    if not is_alive(session, now) or not session.user.is_active:
        # Past its idle or absolute limit: ended now, not merely ignored (nothing brings an
        # idle session back, and it disappears from the open ones).
        await end_session(session)
        return None
    if session.parent_id is not None:
        parent = await Session.get_or_none(id=session.parent_id)
        if parent is None or not is_alive(parent, now):
            await end_session(session)
            return None
    if now - session.last_seen_at > _TOUCH_EVERY:
        session.last_seen_at = now
        await Session.filter(id=session.id).update(last_seen_at=now)
        if session.parent_id is not None:
            # Working inside an account keeps the reseller's own session alive too.
            await Session.filter(id=session.parent_id).update(last_seen_at=now)
    return session


async def end_session(session: Session) -> None:
    """End a session and any direct-access session opened from it."""
    await _end_session_id(session.id)


async def _end_session_id(session_id: int) -> None:
    now = utcnow()
    await Session.filter(id=session_id, ended_at__isnull=True).update(ended_at=now)
    await Session.filter(parent_id=session_id, ended_at__isnull=True).update(ended_at=now)


# Every signed-in request reads its session: one statement with the person and a delegation,
# written once (building it through the ORM's query builder cost more than running it).
_SESSION_PRINCIPAL = """
SELECT s.id, s.acting_account_id, s.parent_id, s.last_seen_at, s.expires_at, s.ended_at,
       u.id AS user_id, u.role, u.reseller_id, u.account_id, u.language, u.is_active,
       (SELECT d.reseller_id FROM core_reseller_delegate d WHERE d.user_id = u.id
        ORDER BY d.id LIMIT 1) AS delegated_reseller_id
FROM core_session s JOIN core_user u ON u.id = s.user_id
WHERE s.token_hash = {mark}
"""


_MOMENTS = {column: moment_converter(Session._meta.fields_map[column])
            for column in ("last_seen_at", "expires_at")}


def _when(column: str, value: object) -> dt.datetime | None:
    """A datetime column as the ORM gives it (SQLite hands back text)."""
    return None if value is None else _MOMENTS[column](value)


async def principal_for_session_token(token: str) -> Principal | None:
    """The principal of the live session for ``token`` (what ``resolve_session`` then
    ``principal_for_session`` give, the same limits applied and the session touched as seen),
    in one statement; a direct-access session takes that longer way."""
    if not token.startswith(SESSION_PREFIX):
        return None
    db = Session._meta.db
    mark = "$1" if db.capabilities.dialect == "postgres" else "?"
    # An indexed lookup of one row: on SQLite, run inline, not through the driver's thread.
    rows = await short_read(db, _SESSION_PRINCIPAL.format(mark=mark), [token_digest(token)])
    if not rows or rows[0]["ended_at"] is not None:
        return None
    row = rows[0]
    if row["acting_account_id"] is not None or row["parent_id"] is not None:
        session = await resolve_session(token)
        return await principal_for_session(session) if session else None
    now = utcnow()
    last_seen = _when("last_seen_at", row["last_seen_at"])
    expires = _when("expires_at", row["expires_at"])
    assert last_seen is not None and expires is not None  # noqa: S101 - NOT NULL columns
    if not (expires > now and last_seen + IDLE_TIMEOUT > now and bool(row["is_active"])):
        await _end_session_id(row["id"])  # as resolve_session: ended, not merely ignored
        return None
    if now - last_seen > _TOUCH_EVERY:
        await Session.filter(id=row["id"]).update(last_seen_at=now)
    user_role = UserRole(row["role"])
    role, reseller_id = _ROLE_OF[user_role], row["reseller_id"]
    if user_role == UserRole.COMPANY_ADMIN and row["delegated_reseller_id"] is not None:
        role, reseller_id = Role.RESELLER_DELEGATE, row["delegated_reseller_id"]
    return Principal(role=role, user_id=row["user_id"], reseller_id=reseller_id,
                     account_id=row["account_id"], language=row["language"],
                     session_id=row["id"])


async def end_session_of_token(token: str | None) -> bool:
    """End the session a client still holds (e.g. the cookie's, when it signs in again) and
    what was opened from it. Returns whether one was open."""
    if not token or not token.startswith(SESSION_PREFIX):
        return False
    session = await Session.filter(token_hash=token_digest(token), ended_at__isnull=True).first()
    if session is None:
        return False
    await end_session(session)
    return True


async def end_other_sessions(user_id: int, keep_session_id: int | None) -> int:
    """After a password change: every other session of the person ends."""
    query = Session.filter(user_id=user_id, ended_at__isnull=True)
    if keep_session_id is not None:
        # Not ``.exclude(parent_id=...)``: SQL's NOT (NULL = x) is not true, so that would also
        # keep every session without a parent, i.e. nearly all of them.
        query = query.exclude(id=keep_session_id).filter(
            Q(parent_id__isnull=True) | Q(parent_id__not=keep_session_id)
        )
    return await query.update(ended_at=utcnow())


async def resolve_api_token(token: str) -> ApiToken | None:
    """The live token (not revoked, not expired) for ``token``, touched as used."""
    now = utcnow()
    token_row = await ApiToken.filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now),
        token_hash=token_digest(token), revoked_at__isnull=True,
    ).first()
    if token_row is None:
        return None
    if token_row.last_used_at is None or now - token_row.last_used_at > _TOUCH_EVERY:
        await ApiToken.filter(id=token_row.id).update(last_used_at=now)
    return token_row


_ROLE_OF = {
    UserRole.SYSTEM_ADMIN: Role.SYSTEM_ADMIN,
    UserRole.RESELLER_ADMIN: Role.RESELLER_ADMIN,
    UserRole.COMPANY_ADMIN: Role.COMPANY_ADMIN,
    UserRole.EMPLOYEE: Role.EMPLOYEE,
    UserRole.PROFESSIONAL: Role.PROFESSIONAL,
}


async def account_admin(account: Account) -> User | None:
    """Whose view direct access takes: the company's first admin, or the professional."""
    role = UserRole.COMPANY_ADMIN if account.kind == AccountKind.COMPANY else UserRole.PROFESSIONAL
    return await User.filter(account_id=account.id, role=role).order_by("id").first()


async def principal_for_session(session: Session) -> Principal:
    user = session.user
    account = session.acting_account if session.acting_account_id is not None else None
    if account is not None:
        admin = await account_admin(account)
        return Principal(
            role=Role.COMPANY_ADMIN if account.kind == AccountKind.COMPANY else Role.PROFESSIONAL,
            user_id=admin.id if admin else None,
            reseller_id=account.reseller_id,
            account_id=account.id,
            language=user.language,
            session_id=session.id,
            real_user_id=user.id,
        )
    role = _ROLE_OF[user.role]
    reseller_id = user.reseller_id
    if user.role == UserRole.COMPANY_ADMIN:
        delegation = await ResellerDelegate.filter(user_id=user.id).first()
        if delegation is not None:
            role = Role.RESELLER_DELEGATE
            reseller_id = delegation.reseller_id
    return Principal(
        role=role,
        user_id=user.id,
        reseller_id=reseller_id,
        account_id=user.account_id,
        language=user.language,
        session_id=session.id,
    )


def principal_for_api_token(token: ApiToken) -> Principal:
    """An integrator of the token's reseller; ``extra["scopes"]`` bounds what it may call."""
    return Principal(
        role=Role.INTEGRATOR,
        reseller_id=token.reseller_id,
        api_token_id=token.id,
        language="en",
        extra={"scopes": tuple(token.scopes or ())},
    )


async def still_signed_in(principal: Principal) -> bool:
    """Whether the session or API token behind ``principal`` still stands (not ended, revoked
    or expired, not idle too long, its person still active), without counting as activity:
    for a long-lived connection (a WebSocket) checking now and then that its caller has not
    signed out. A principal of neither kind stands."""
    now = utcnow()
    if principal.session_id is not None:
        session = await Session.filter(id=principal.session_id).select_related("user").first()
        if session is None or not is_alive(session, now) or not session.user.is_active:
            return False
        if session.parent_id is not None:
            parent = await Session.get_or_none(id=session.parent_id)
            return parent is not None and is_alive(parent, now)
        return True
    if principal.api_token_id is not None:
        return await ApiToken.filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now),
            id=principal.api_token_id, revoked_at__isnull=True,
        ).exists()
    return True
