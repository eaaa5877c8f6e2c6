"""MyScribbit: send-only transcription by email. The voicemail goes, as an attachment through
the outbox, to the email address of the user's MyScribbit account (kept in the account's
Options), and MyScribbit sends its transcript to the user itself (seed: "Tous les messages
vocaux seront envoyés pour transcription à cette adresse courriel et renvoyés à
l'utilisateur"). Nothing is sent in test mode.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from gateway.api import (
    MAX_ATTACHMENTS_BYTES,
    Account,
    Audio,
    Forwarded,
    PluginHost,
    Text,
    send_email,
)
from plugins.transcription.providers.common import failure

NAME = "MyScribbit"

NO_ADDRESS = Text(en="MyScribbit needs the email address of the user's MyScribbit account: "
                  "none is set in the account's Options.",
                  fr="MyScribbit nécessite l'adresse courriel du compte MyScribbit de "
                  "l'utilisateur : aucune n'est entrée dans les réglages du compte.")
TOO_LARGE = Text(en="The voicemail is too large to be emailed to MyScribbit ({size} bytes).",
                 fr="Le message vocal est trop volumineux pour être envoyé à MyScribbit "
                 "({size} octets).")
TEST_MODE = Text(en="The account is in test mode: nothing is emailed, so nothing was sent to "
                 "MyScribbit.",
                 fr="Le compte est en mode test : aucun courriel n'est envoyé, rien n'a donc "
                 "été transmis à MyScribbit.")


class MyScribbitProvider:
    name = NAME
    label = Text(en="MyScribbit: voicemails are emailed to the user's MyScribbit address, "
                 "which sends the transcript back to the user.",
                 fr="MyScribbit : les messages vocaux sont envoyés à l'adresse MyScribbit de "
                 "l'utilisateur, qui lui renvoie la transcription.")
    languages = frozenset({"en", "fr"})
    needs_email = True

    def __init__(self, host: PluginHost,
                 test_mode: Callable[[int], Awaitable[bool]]) -> None:
        self._host = host
        self._test_mode = test_mode

    async def transcribe(self, audio: Audio, language: str, account: Account) -> Forwarded:
        if not audio.recipient:
            raise failure("EMAIL_REQUIRED", NO_ADDRESS, retryable=False)
        if len(audio.content) > MAX_ATTACHMENTS_BYTES:
            raise failure("TOO_LARGE", TOO_LARGE, retryable=False, size=str(len(audio.content)))
        if await self._test_mode(account.id):
            raise failure("TEST_MODE", TEST_MODE, retryable=False)
        await send_email(
            to=audio.recipient, template="transcription_myscribbit", gateway=self._host,
            language=language if language in ("fr", "en") else "fr",
            values={"name": audio.user_name or audio.user_email, "reference": audio.reference,
                    "account": account.name},
            attachments=[(audio.filename, audio.content_type, audio.content)],
            reply_to=audio.user_email or None,
            dedupe_key=f"transcription-myscribbit-{audio.reference}")
        return Forwarded(destination=audio.recipient)
