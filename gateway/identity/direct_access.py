"""Direct access (seeds: "Accéder directement à un compte"): a reseller admin or delegate acts
inside one of the reseller's subscriber accounts, with the account admin's view, for support.

It is a child session of the staff member's own session: the child names both people (the
principal's ``user_id`` is the account admin, ``real_user_id`` the staff member), ends with
its parent, and the parent's token stays valid to come back. Its start and end are audited
here; every mutation made inside it is audited by :mod:`gateway.identity.audit`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from gateway.contributions import Principal
from gateway.i18n import Text
from gateway.identity import audit
from gateway.identity.errors import DirectAccessErrorCode
from gateway.identity.models import Account, BillingStatus, Session, User
from gateway.identity.scoping import account_for
from gateway.identity.secrets import token_digest
from gateway.identity.sessions import account_admin, end_session, is_alive, open_session, utcnow
from gateway.problems import Problem
from gateway.roles import RESELLER_STAFF

log = logging.getLogger("gateway.identity")

_UNSUBSCRIBED = Text(
    en="This account is unsubscribed: it cannot be accessed directly. A system administrator "
    "can reactivate it.",
    fr="Ce compte est désabonné : il n'est pas possible d'y accéder directement. Un "
    "administrateur-système peut le réactiver.",
)
_NOT_INSIDE = Text(en="You are not accessing an account directly.",
                   fr="Vous n'êtes pas en accès direct à un compte.")
_SESSION_REQUIRED = Text(
    en="Direct access needs a reseller administrator signed in with a session.",
    fr="L'accès direct exige un administrateur-revendeur connecté avec une session.",
)


@dataclass(frozen=True)
class Started:
    """A direct access just opened: the child session, its token (shown once), the account
    and whose view it takes."""

    session: Session
    token: str
    account: Account
    acting_as: User | None


async def start_direct_access(
    principal: Principal,
    account_id: int,
    *,
    client_address: str = "",
    user_agent: str = "",
    request_id: str | None = None,
) -> Started:
    """Open a direct access into one of the principal's reseller's accounts. Another
    reseller's account is not found; an unsubscribed account is refused. Raises
    :class:`Problem`."""
    if (principal.role not in RESELLER_STAFF or principal.direct_access
            or principal.session_id is None or principal.user_id is None):
        raise Problem(DirectAccessErrorCode.SESSION_REQUIRED, _SESSION_REQUIRED)
    field = ["input", "accountId"]
    # Reseller staff outside direct access see exactly their reseller's accounts.
    account = await account_for(principal, account_id, field)
    if account.billing_status == BillingStatus.UNSUBSCRIBED:
        raise Problem(DirectAccessErrorCode.ACCOUNT_UNSUBSCRIBED, _UNSUBSCRIBED, field)
    parent = await Session.get_or_none(id=principal.session_id)
    staff = await User.get_or_none(id=principal.user_id)
    if parent is None or staff is None:
        raise Problem(DirectAccessErrorCode.SESSION_REQUIRED, _SESSION_REQUIRED)
    acting_as = await account_admin(account)
    async with in_transaction():
        session, token = await open_session(
            staff, client_address=client_address, user_agent=user_agent,
            acting_account=account, parent=parent,
        )
        await audit.record(
            audit.AuditAction.DIRECT_ACCESS_START,
            reseller_id=account.reseller_id,
            account_id=account.id,
            actor_id=staff.id,
            acting_as_id=acting_as.id if acting_as else None,
            session_id=session.id,
            request_id=request_id,
            operation="startDirectAccess",
            detail={"parent_session_id": parent.id, "client_address": client_address,
                    "staff_role": str(principal.role)},
        )
    log.info("user %s started direct access to account %s (session %s)", staff.id, account.id,
             session.id)
    return Started(session=session, token=token, account=account, acting_as=acting_as)


async def _end(session: Session, *, reason: str, request_id: str | None) -> None:
    account = await Account.get_or_none(id=session.acting_account_id)
    acting_as = await account_admin(account) if account is not None else None
    async with in_transaction():
        ended = await Session.filter(id=session.id, ended_at__isnull=True).update(
            ended_at=utcnow())
        if not ended:
            return  # ended meanwhile by someone else, who wrote the entry
        await audit.record(
            audit.AuditAction.DIRECT_ACCESS_END,
            reseller_id=account.reseller_id if account else None,
            account_id=account.id if account else None,
            actor_id=session.user_id,
            acting_as_id=acting_as.id if acting_as else None,
            session_id=session.id,
            request_id=request_id,
            operation="endDirectAccess",
            detail={"reason": reason, "parent_session_id": session.parent_id},
        )
    log.info("direct access session %s ended (%s)", session.id, reason)


async def end_direct_access(principal: Principal, *, request_id: str | None = None) -> Session:
    """End the caller's direct access; returns the reseller session it goes back to."""
    session = (await Session.get_or_none(id=principal.session_id)
               if principal.direct_access and principal.session_id else None)
    if session is None or session.parent_id is None:
        raise Problem(DirectAccessErrorCode.NOT_IN_DIRECT_ACCESS, _NOT_INSIDE)
    await _end(session, reason="ENDED", request_id=request_id)
    parent = await Session.get(id=session.parent_id)
    # end_session also ends anything opened from this one (nothing today): keep it the one way.
    await end_session(session)
    return parent


async def end_direct_access_of(user_id: int, *, reason: str, request_id: str | None = None
                               ) -> int:
    """End every open direct access of a person (e.g. whose delegated rights were taken
    back); each end is audited. Returns how many ended."""
    sessions = await Session.filter(user_id=user_id, acting_account_id__isnull=False,
                                    ended_at__isnull=True)
    for session in sessions:
        await _end(session, reason=reason, request_id=request_id)
    return len(sessions)


def can_resume(parent: Session, waiting_token: str) -> bool:
    """Whether a browser's waiting token (its cookie during direct access) is still the live
    reseller session ``parent`` it goes back to."""
    return (bool(waiting_token) and token_digest(waiting_token) == parent.token_hash
            and is_alive(parent))
