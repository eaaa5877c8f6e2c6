"""The subscription portal's settings, from ``[plugins.subscription_portal] config`` in
plugins.toml, read with ``host.config_for(PLUGIN_NAME, PortalConfig)`` (start-up refuses a bad
value)."""

from __future__ import annotations

from dataclasses import dataclass

PLUGIN_NAME = "subscription_portal"


@dataclass(frozen=True)
class PortalConfig:
    # An abandoned sign-up: its draft (and nothing else) is deleted after this many days.
    draft_days: int = 7
    # Requests to the public pages: per client address a minute, and per link an hour.
    per_address_per_minute: int = 30
    per_link_per_hour: int = 600
    # The proof of work the page solves before a draft is started and before the account is
    # created: leading zero bits of sha256(challenge:nonce). 16 bits is ~65,000 hashes (well
    # under a second in a browser); 0 turns the hurdle off (tests of other things).
    pow_bits: int = 16
    # Without JavaScript: an arithmetic question, answered no sooner than this after the page
    # was served (the slower path a script cannot skip by solving the sum alone).
    fallback_min_seconds: int = 5
    # How often abandoned drafts are looked for.
    cleanup_every_seconds: int = 3600

    def __post_init__(self) -> None:
        if self.draft_days < 1:
            raise ValueError("draft_days must be at least 1")
        if not 0 <= self.pow_bits <= 28:
            raise ValueError("pow_bits must be 0 to 28")
        if min(self.per_address_per_minute, self.per_link_per_hour) < 1:
            raise ValueError("per_address_per_minute and per_link_per_hour must be at least 1")
        if self.fallback_min_seconds < 0:
            raise ValueError("fallback_min_seconds must be 0 or more")
