"""Mutare: bilingual (English and French) transcription over HTTP, the seed's default method.

    POST <endpoint>?language=fr-CA|en-US&reference=<voicemail reference>
    Authorization: Bearer <key>          Content-Type: the voicemail's type (audio/wav…)
    body: the audio file
    200 {"text": "...", "confidence": 0.93}   (confidence optional, 0 to 1)

429, 5xx, timeouts and refused connections are outages (tried again later); 401/403 is a key
the system administrator must fix; any other answer is a refusal of this voicemail.
"""

from __future__ import annotations

from typing import Any

import httpx

from gateway.api import Account, Audio, Text, Transcript
from plugins.transcription.providers.common import (
    KEY_REFUSED,
    LOCALES,
    REFUSED,
    UNAVAILABLE,
    failure,
    language_refused,
)

NAME = "Mutare"


class MutareProvider:
    name = NAME
    label = Text(en="Mutare: bilingual (English and French) transcription by Mutare.",
                 fr="Mutare : transcription vocale bilingue (anglais et français) fournie par "
                 "Mutare.")
    languages = frozenset({"en", "fr"})

    def __init__(self, endpoint: str, key: str, timeout: float = 60.0) -> None:
        self.endpoint = endpoint
        self._key = key
        self.timeout = timeout

    async def transcribe(self, audio: Audio, language: str, account: Account) -> Transcript:
        if language not in self.languages:
            raise language_refused(NAME, language)
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                response = await client.post(
                    self.endpoint, content=audio.content,
                    params={"language": LOCALES[language], "reference": audio.reference},
                    headers={"Authorization": f"Bearer {self._key}",
                             "Content-Type": audio.content_type,
                             "Accept": "application/json"})
        except httpx.HTTPError as error:  # timeouts, refused connections, broken answers
            raise failure("UNAVAILABLE", UNAVAILABLE, retryable=True, provider=NAME,
                          detail=type(error).__name__) from error
        status = response.status_code
        if status == 429 or status >= 500:
            raise failure("UNAVAILABLE", UNAVAILABLE, retryable=True, provider=NAME,
                          detail=f"HTTP {status}")
        if status in (401, 403):
            raise failure("KEY_REFUSED", KEY_REFUSED, retryable=False, provider=NAME)
        if status != 200:
            raise failure("REFUSED", REFUSED, retryable=False, provider=NAME,
                          detail=f"HTTP {status}")
        return _transcript(response)


def _transcript(response: httpx.Response) -> Transcript:
    try:
        body: Any = response.json()
        text = body["text"]
        confidence = body.get("confidence")
        if not isinstance(text, str):
            raise TypeError("text")
        if confidence is not None:
            confidence = min(max(float(confidence), 0.0), 1.0)
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise failure("UNAVAILABLE", UNAVAILABLE, retryable=True, provider=NAME,
                      detail="unreadable answer") from error
    return Transcript(text=text.strip(), confidence=confidence)
