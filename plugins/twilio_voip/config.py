"""The plugin's name and its settings (plugins.toml ``[plugins.twilio_voip] config``)."""

from __future__ import annotations

from dataclasses import dataclass

PLUGIN_NAME = "twilio_voip"


@dataclass(frozen=True)
class TwilioVoipConfig:
    """Read once with ``gateway.config_for(PLUGIN_NAME, TwilioVoipConfig)``."""

    # Where the SDK's requests go: Twilio itself, or a Prism serving Twilio's OpenAPI
    # description (tests, development).
    api_base_url: str = "https://api.twilio.com"
    api_timeout_seconds: float = 15.0
    # The browser softphone's Access Token lifetime (the client asks for a new one before).
    token_seconds: int = 900
    # A call's price arrives after it ended: the price job retries this often, this many times.
    price_retry_seconds: float = 60.0
    price_attempts: int = 20
    # How long a signed recording or CSV URL works.
    download_url_minutes: int = 15
    # Where recordings fetched from Twilio are kept ("" = <var>/twilio_voip/recordings).
    recordings_dir: str = ""
    # An outgoing call allowed by startVoipCall must be dialled within this many seconds.
    outgoing_window_seconds: int = 300

    def __post_init__(self) -> None:
        if not self.api_base_url.startswith(("http://", "https://")):
            raise ValueError(f"api_base_url must be an http(s) URL, not {self.api_base_url!r}")
        if not 60 <= self.token_seconds <= 86400:
            raise ValueError("token_seconds must be between 60 and 86400")
        if self.price_attempts < 1 or self.price_retry_seconds < 0:
            raise ValueError("price_attempts must be at least 1, price_retry_seconds >= 0")
        if not 1 <= self.download_url_minutes <= 1440:
            raise ValueError("download_url_minutes must be between 1 and 1440")
        if not 10 <= self.outgoing_window_seconds <= 3600:
            raise ValueError("outgoing_window_seconds must be between 10 and 3600")
