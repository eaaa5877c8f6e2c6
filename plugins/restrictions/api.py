"""What other plugins may use of the restrictions plugin (``requires = ["restrictions"]``): the
one decision every caller of a phone asks before dialling (test mode included), with its
explanation in the reader's language, and the normalisation of a dialled number to E.164."""

from __future__ import annotations

from plugins.restrictions.services import Decision, Reason, decide, normalize_dialled

__all__ = ["Decision", "Reason", "decide", "normalize_dialled"]
