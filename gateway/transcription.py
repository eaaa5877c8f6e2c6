"""The voicemail transcription provider contract (no GraphQL here).

A provider is a small object with a ``name`` (what users choose and settings store), a
``label`` in French and English, the ``languages`` it handles (``"fr"``, ``"en"``) and

    async def transcribe(self, audio: Audio, language: str, account: Account)
        -> Transcript | Forwarded

which returns the text (and the confidence where the engine gives one), or ``Forwarded``
when the provider answers the user itself (a send-only service), or raises
:class:`TranscriptionFailed` saying whether trying again later may help.

Providers come from plugins (the ``gateway_provider`` / ``gateway_provider_names`` hooks with
``kind="transcription"``) and from installed packages, through the entry-point group
``gateway.transcription_providers``: each entry point names a provider object, or a class or
function returning one when called with no argument. Which of them users may pick is the
system admin's decision (the transcription plugin keeps it), plus "NONE" (Aucun).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from gateway.entry_points import installed
from gateway.i18n import Text

if TYPE_CHECKING:
    from gateway.identity.models import Account

log = logging.getLogger("gateway.transcription")

KIND = "transcription"  # the ``kind`` of the provider hooks
NO_TRANSCRIPTION = "NONE"  # seeds: "Aucun"
ENTRY_POINT_GROUP = "gateway.transcription_providers"


@dataclass(frozen=True)
class Audio:
    """One voicemail handed to a provider: the file's bytes and type, and who it is for.

    ``reference`` is stable across attempts (use it as an idempotency key with the provider);
    ``user_email`` / ``user_name`` / ``user_language`` describe the mailbox's owner and
    ``recipient`` the address a send-only provider was given for that user (may be empty)."""

    content: bytes
    content_type: str
    filename: str = "voicemail.wav"
    reference: str = ""
    duration_seconds: int | None = None
    user_id: int | None = None
    user_email: str = ""
    user_name: str = ""
    user_language: str = "fr"
    recipient: str = ""


@dataclass(frozen=True)
class Transcript:
    """What a provider heard: the text and, when the engine says, a confidence in [0, 1]."""

    text: str
    confidence: float | None = None


@dataclass(frozen=True)
class Forwarded:
    """A send-only provider took the voicemail and will answer the user directly."""

    destination: str
    note: str = ""


class TranscriptionFailed(Exception):
    """A provider could not transcribe: ``code`` (short, upper case, e.g. ``"UNAVAILABLE"``,
    ``"LANGUAGE_NOT_SUPPORTED"``), ``reason`` in both languages, and whether a later attempt
    may succeed (``retryable``: an outage, a timeout, a rate limit) or not (the language, the
    audio format, a refused key)."""

    def __init__(self, code: str, reason: Text, *, retryable: bool) -> None:
        super().__init__(f"{code}: {reason.en}")
        self.code = code
        self.reason = reason
        self.retryable = retryable


# What the providers of the transcription plugin and of integrators say when failing.
UNAVAILABLE = Text(en="The transcription service did not answer: it will be tried again.",
                   fr="Le service de transcription n'a pas répondu : nouvel essai plus tard.")
LANGUAGE_NOT_SUPPORTED = Text(
    en="This provider does not transcribe {language} voicemails.",
    fr="Ce fournisseur ne transcrit pas les messages vocaux en {language}.")


@runtime_checkable
class TranscriptionProvider(Protocol):
    """What a transcription engine offers the gateway (see the module's docstring)."""

    name: str
    label: Text
    languages: frozenset[str]

    async def transcribe(self, audio: Audio, language: str,
                         account: Account) -> Transcript | Forwarded: ...


@dataclass
class _EntryPoints:
    providers: dict[str, TranscriptionProvider] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def load_entry_point_providers(
    group: str = ENTRY_POINT_GROUP,
) -> tuple[dict[str, TranscriptionProvider], dict[str, str]]:
    """The providers installed packages declare in ``group``, by name; and, by entry-point
    name, why one could not be loaded (a broken package never stops the gateway)."""
    found = _EntryPoints()
    for point in installed(group):
        try:
            loaded = point.load()
            provider = loaded
            if isinstance(loaded, type) or not isinstance(loaded, TranscriptionProvider):
                provider = _call(loaded)  # a class or a factory
            if not isinstance(provider, TranscriptionProvider):
                raise TypeError("not a transcription provider (name, label, languages, "
                                "async transcribe)")
        except Exception as error:  # reported, never fatal
            found.errors[point.name] = f"{type(error).__name__}: {error}"
            log.warning("transcription provider %s (%s) not loaded: %s", point.name,
                        point.value, error)
            continue
        found.providers[provider.name] = provider
    return found.providers, found.errors


def _call(factory: object) -> object:
    if not callable(factory):
        raise TypeError("not a transcription provider nor a factory of one")
    return factory()
