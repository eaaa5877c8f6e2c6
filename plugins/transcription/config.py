"""The transcription plugin's settings, from ``[plugins.transcription] config`` in plugins.toml.

Secrets (the Mutare key, a Google API key) are read from the environment with
``{ "$env" = "NAME" }``; they are never stored in the database nor returned by the API.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gateway.api import PluginHost

PLUGIN_NAME = "transcription"


@dataclass(frozen=True)
class TranscriptionConfig:
    # Providers offered to users until a system admin decides (approveTranscriptionProviders):
    # names as users see them, e.g. ["Mutare", "PocketSphinx"]. Empty: none ("Aucun" only).
    approved: list[str] = field(default_factory=list)
    # Mutare: its HTTP endpoint (POST audio, JSON answer) and key; configured when both are set.
    mutare_endpoint: str = ""
    mutare_key: str = ""
    # Google Speech (google-cloud-speech, the "google" extra): the API endpoint (empty: the
    # library's default), an API key (or, empty, the service account of
    # GOOGLE_APPLICATION_CREDENTIALS); configured when the library is installed and one is set.
    google_endpoint: str = ""
    google_api_key: str = ""
    google_credentials_file: str = ""
    # MyScribbit: the voicemail goes by email to the user's MyScribbit address.
    myscribbit: bool = True
    # The offline engine (pocketsphinx, the "offline-speech" extra): English only.
    offline: bool = True
    # Seconds a provider may take to answer before the attempt counts as an outage.
    timeout_seconds: float = 60.0
    # Attempts of a transcription (outages, timeouts), the first delay between two (doubling).
    max_attempts: int = 4
    backoff_seconds: float = 20.0
    # The largest voicemail sent to a provider.
    max_audio_bytes: int = 20 * 1024 * 1024
    # How often each process re-reads the system admin's approvals (seconds).
    approvals_refresh_seconds: float = 30.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.max_attempts > 20:
            raise ValueError("max_attempts must be between 1 and 20")
        if self.backoff_seconds < 0 or self.timeout_seconds <= 0:
            raise ValueError("backoff_seconds must be >= 0 and timeout_seconds > 0")


def config_of(host: PluginHost) -> TranscriptionConfig:
    """The plugin's settings, parsed once (a bad key or value stops start-up, naming it)."""
    return host.config_for(PLUGIN_NAME, TranscriptionConfig)
