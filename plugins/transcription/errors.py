"""Error codes of the transcription plugin and every message a person reads, in en and fr."""

from __future__ import annotations

from enum import Enum

from gateway.api import Text


class TranscriptionErrorCode(Enum):
    NOT_FOUND = "NOT_FOUND"
    NOT_ALLOWED = "NOT_ALLOWED"
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    TOO_MANY = "TOO_MANY"
    UNKNOWN_PROVIDER = "UNKNOWN_PROVIDER"
    NOT_APPROVED = "NOT_APPROVED"
    EMAIL_REQUIRED = "EMAIL_REQUIRED"


NOT_FOUND = Text(en="Not found.", fr="Introuvable.")
NOT_ALLOWED = Text(en="You are not allowed to do this.",
                   fr="Vous n'êtes pas autorisé à faire ceci.")
UNKNOWN_PROVIDER = Text(en="No transcription provider is called {name}: installed are {names}.",
                        fr="Aucun fournisseur de transcription ne s'appelle {name} : installés : "
                        "{names}.")
NOT_APPROVED = Text(en="{name} is not among the providers approved by the system "
                    "administrator: {names}.",
                    fr="{name} ne fait pas partie des fournisseurs homologués par "
                    "l'administrateur-système : {names}.")
CHOOSE_A_PROVIDER = Text(en="Choose a provider to transcribe with (not NONE).",
                         fr="Choisissez un fournisseur de transcription (pas Aucun).")
TOO_MANY = Text(en="At most {max} names.", fr="Au plus {max} noms.")
DUPLICATE = Text(en="{name} is listed twice.", fr="{name} figure deux fois.")
MYSCRIBBIT_EMAIL = Text(
    en="MyScribbit needs the email address of the user's MyScribbit account: enter it in the "
    "account's Options (voicemail transcription) before choosing MyScribbit.",
    fr="MyScribbit nécessite l'adresse courriel du compte MyScribbit de l'utilisateur : "
    "entrez-la dans les réglages du compte (transcription de messages vocaux) avant de "
    "choisir MyScribbit.")
NOT_A_VOICEMAIL = Text(en="Only voicemails are transcribed.",
                       fr="Seuls les messages vocaux sont transcrits.")

# What the email copy of a voicemail says about its transcript.
COPY_TRANSCRIPT = Text(en="Transcript ({provider}): {text}",
                       fr="Transcription ({provider}) : {text}")
COPY_EMPTY = Text(en="Transcript ({provider}): no words were recognised.",
                  fr="Transcription ({provider}) : aucun mot n'a été reconnu.")
COPY_FAILED = Text(en="The voicemail could not be transcribed ({provider}): {reason}",
                   fr="Le message vocal n'a pas pu être transcrit ({provider}) : {reason}")
COPY_FORWARDED = Text(en="The voicemail was sent to MyScribbit ({destination}), which will "
                      "send you its transcript.",
                      fr="Le message vocal a été envoyé à MyScribbit ({destination}), qui vous "
                      "enverra sa transcription.")

# Why a voicemail is not transcribed, as stored on it.
AUDIO_MISSING = Text(en="The voicemail's file is no longer kept.",
                     fr="Le fichier du message vocal n'est plus conservé.")
AUDIO_TOO_LARGE = Text(en="The voicemail is too large to be transcribed ({size} bytes, at most "
                       "{max}).",
                       fr="Le message vocal est trop volumineux pour être transcrit ({size} "
                       "octets, au plus {max}).")
PROVIDER_GONE = Text(en="The provider {name} is no longer installed or approved.",
                     fr="Le fournisseur {name} n'est plus installé ou homologué.")
GAVE_UP = Text(en="The provider failed {attempts} times; last: {reason}",
               fr="Le fournisseur a échoué {attempts} fois; dernière erreur : {reason}")
UNEXPECTED = Text(en="The provider failed unexpectedly ({error}).",
                  fr="Le fournisseur a échoué de façon inattendue ({error}).")
