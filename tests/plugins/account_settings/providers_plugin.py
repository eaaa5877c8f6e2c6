"""Test transcription providers, as installed transcription plugins would name them."""

from __future__ import annotations

from typing import Any

from gateway.hookimpl import hookimpl


@hookimpl
def gateway_provider_names(gateway: Any, kind: str) -> Any:
    return ["Mutare", "MyScribbit", "GoogleSpeech"] if kind == "transcription" else None
