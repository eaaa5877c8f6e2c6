"""The clients plugin's settings, from ``[plugins.clients] config`` in plugins.toml, read once
with ``host.config_for(PLUGIN_NAME, ClientsConfig)`` (start-up refuses a bad value)."""

from __future__ import annotations

from dataclasses import dataclass

PLUGIN_NAME = "clients"


@dataclass(frozen=True)
class ClientsConfig:
    # Seeds: an unsubscribed account is kept 90 days, then archived and deleted.
    purge_after_days: int = 90
    # Seeds: a free trial lasts 15 to 90 days, 30 by default.
    trial_days_default: int = 30
    # How long the sign-up link emailed to a client works.
    signup_link_days: int = 14
    # The page of the web client that opens a sign-up link; default {PUBLIC_URL}/signup.
    signup_url: str = ""
    # A PDF export is drawn in a job at about 3,000 rows a second (python -m bench.exports):
    # beyond this, CSV.
    pdf_max_rows: int = 100_000
    # How long a download URL of an export works, and how long export files are kept.
    download_url_minutes: int = 15
    export_retention_hours: int = 24
    # How often the purge looks for accounts past their retention.
    purge_every_seconds: int = 3600
    # Sign-up links emailed to a typed address (the core's recipient check and rate limits):
    # at most this many an hour per user (or API token), and per reseller.
    signup_invitations_per_user_hour: int = 30
    signup_invitations_per_reseller_hour: int = 200

    def __post_init__(self) -> None:
        if not 15 <= self.trial_days_default <= 90:
            raise ValueError("trial_days_default must be 15 to 90 (seeds)")
        if self.purge_after_days < 1:
            raise ValueError("purge_after_days must be at least 1")
        if min(self.signup_invitations_per_user_hour,
               self.signup_invitations_per_reseller_hour) < 1:
            raise ValueError("signup_invitations_per_user_hour and "
                             "signup_invitations_per_reseller_hour must be at least 1")
