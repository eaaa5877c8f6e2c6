"""Google Speech: bilingual transcription (fr-CA or en-US, from the user's language) through the
official ``google-cloud-speech`` client (the ``google`` extra), on its REST transport, with an
endpoint of the configuration's choosing (Google's by default).

The synchronous ``recognize`` call takes voicemails of at most one minute; it runs in a worker
thread so the event loop goes on. The library is imported on first use: a gateway without the
extra installed simply does not offer this provider.
"""

from __future__ import annotations

import asyncio
import importlib.util
import io
import wave
from typing import Any

from gateway.api import Account, Audio, Text, Transcript
from plugins.transcription.providers.common import (
    FORMAT,
    KEY_REFUSED,
    LOCALES,
    REFUSED,
    TOO_LONG,
    UNAVAILABLE,
    failure,
    language_refused,
)

NAME = "GoogleSpeech"
MAX_SECONDS = 60  # Google's limit for a synchronous recognize
WAV_TYPES = {"audio/wav", "audio/x-wav", "audio/wave"}


def installed() -> bool:
    """Whether the google extra is installed."""
    return importlib.util.find_spec("google.cloud.speech_v1") is not None


class GoogleSpeechProvider:
    name = NAME
    label = Text(en="Google Speech: bilingual (English and French) transcription by Google.",
                 fr="Google Speech : transcription vocale bilingue (anglais et français) "
                 "fournie par Google.")
    languages = frozenset({"en", "fr"})

    def __init__(self, endpoint: str = "", api_key: str = "", credentials_file: str = "",
                 timeout: float = 60.0) -> None:
        self.endpoint = endpoint
        self._api_key = api_key
        self._credentials_file = credentials_file
        self.timeout = timeout
        self._client: Any = None

    def _speech_client(self) -> Any:
        if self._client is None:
            from google.cloud import speech_v1

            options: dict[str, Any] = {}
            if self.endpoint:
                options["api_endpoint"] = self.endpoint
            if self._api_key:
                options["api_key"] = self._api_key
            elif self._credentials_file:
                options["credentials_file"] = self._credentials_file
            self._client = speech_v1.SpeechClient(transport="rest", client_options=options)
        return self._client

    async def transcribe(self, audio: Audio, language: str, account: Account) -> Transcript:
        if language not in self.languages:
            raise language_refused(NAME, language)
        if audio.content_type not in WAV_TYPES:
            raise failure("FORMAT_NOT_SUPPORTED", FORMAT, retryable=False, provider=NAME,
                          type=audio.content_type)
        if _seconds(audio) > MAX_SECONDS:
            raise failure("TOO_LONG", TOO_LONG, retryable=False, provider=NAME,
                          max=str(MAX_SECONDS))
        return await asyncio.to_thread(self._recognize, audio.content, LOCALES[language])

    def _recognize(self, content: bytes, locale: str) -> Transcript:
        from google.api_core import exceptions
        from google.cloud import speech_v1

        client = self._speech_client()
        config = speech_v1.RecognitionConfig(language_code=locale,
                                             enable_automatic_punctuation=True)
        try:
            response = client.recognize(config=config,
                                        audio=speech_v1.RecognitionAudio(content=content),
                                        retry=None, timeout=self.timeout)
        except (exceptions.Unauthorized, exceptions.Forbidden) as error:  # 401, 403
            raise failure("KEY_REFUSED", KEY_REFUSED, retryable=False,
                          provider=NAME) from error
        except exceptions.TooManyRequests as error:  # 429: a quota, try again later
            raise failure("UNAVAILABLE", UNAVAILABLE, retryable=True, provider=NAME,
                          detail=type(error).__name__) from error
        except exceptions.ClientError as error:  # another 4xx: this voicemail is refused
            raise failure("REFUSED", REFUSED, retryable=False, provider=NAME,
                          detail=type(error).__name__) from error
        except Exception as error:  # 5xx, timeouts, refused connections, bad answers
            raise failure("UNAVAILABLE", UNAVAILABLE, retryable=True, provider=NAME,
                          detail=type(error).__name__) from error
        texts: list[str] = []
        confidences: list[float] = []
        for result in response.results:
            if result.alternatives:
                best = result.alternatives[0]
                texts.append(best.transcript.strip())
                if best.confidence:
                    confidences.append(float(best.confidence))
        confidence = sum(confidences) / len(confidences) if confidences else None
        return Transcript(text=" ".join(t for t in texts if t), confidence=confidence)


def _seconds(audio: Audio) -> float:
    try:
        with wave.open(io.BytesIO(audio.content)) as reader:
            return reader.getnframes() / max(reader.getframerate(), 1)
    except (wave.Error, EOFError):
        return float(audio.duration_seconds or 0)
