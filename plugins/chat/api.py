"""What other code (the chat's conversations, other plugins that require ``chat``) may use of
the chat's service hours, with no GraphQL: is the service open, and when it next changes."""

from __future__ import annotations

import datetime as dt

from .availability import Availability
from .availability import availability as _availability
from .hours import Decider

__all__ = ["Availability", "Decider", "is_open"]


async def is_open(reseller_id: int, at: dt.datetime | None = None,
                  language: str = "fr") -> Availability:
    """Whether ``reseller_id``'s chat service in ``language`` (fr or en) is open at ``at`` (an
    aware datetime; now by default): ``.open``, ``.decider`` and ``.schedule_name`` (what
    decided), ``.changes_at`` / ``.reopens_at`` (UTC; None if no change within the look-ahead).
    Chat not permitted by the system admin, not enabled by the reseller, or an unknown reseller:
    closed, ``Decider.CHAT_OFF``. No tenancy check: the answer is public."""
    return await _availability(reseller_id, at, language)
