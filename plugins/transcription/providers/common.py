"""What the built-in providers share: the languages' names and failures' wording."""

from __future__ import annotations

from gateway.api import Text, TranscriptionFailed

LANGUAGE_NAMES = {"fr": Text(en="French", fr="français"), "en": Text(en="English", fr="anglais")}
# The locale each language is transcribed in (seed: Quebec French, North American English).
LOCALES = {"fr": "fr-CA", "en": "en-US"}

UNAVAILABLE = Text(en="{provider} did not answer ({detail}).",
                   fr="{provider} n'a pas répondu ({detail}).")
REFUSED = Text(en="{provider} refused the voicemail ({detail}).",
               fr="{provider} a refusé le message vocal ({detail}).")
KEY_REFUSED = Text(en="{provider} refused the gateway's key: the system administrator must "
                   "check its configuration.",
                   fr="{provider} a refusé la clé de la passerelle : l'administrateur-système "
                   "doit vérifier sa configuration.")
LANGUAGE = Text(en="{provider} does not transcribe {lang} voicemails.",
                fr="{provider} ne transcrit pas les messages vocaux en {lang}.")
FORMAT = Text(en="{provider} does not read {type} files.",
              fr="{provider} ne lit pas les fichiers {type}.")
TOO_LONG = Text(en="{provider} transcribes voicemails of at most {max} seconds.",
                fr="{provider} transcrit les messages vocaux d'au plus {max} secondes.")


def failure(code: str, text: Text, *, retryable: bool, **values: str) -> TranscriptionFailed:
    """A TranscriptionFailed whose reason has its values filled in both languages."""
    reason = Text(en=text.render("en", **values), fr=text.render("fr", **values))
    return TranscriptionFailed(code, reason, retryable=retryable)


def language_refused(provider: str, language: str) -> TranscriptionFailed:
    name = LANGUAGE_NAMES.get(language, Text(en=language, fr=language))
    return TranscriptionFailed("LANGUAGE_NOT_SUPPORTED", Text(
        en=LANGUAGE.render("en", provider=provider, lang=name.en),
        fr=LANGUAGE.render("fr", provider=provider, lang=name.fr)), retryable=False)
