"""The codes a live-conversation operation can refuse with, and every message (fr/en). No
GraphQL: ``conversation_schema`` turns the codes into the ``ChatConversationErrorCode`` enum."""

from __future__ import annotations

from enum import Enum

from gateway.api import Text


class ChatConversationErrorCode(Enum):
    NOT_FOUND = "NOT_FOUND"  # raised by shared helpers (account_for, node_pk) by this name
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    INVALID_LANGUAGE = "INVALID_LANGUAGE"
    CHAT_UNAVAILABLE = "CHAT_UNAVAILABLE"
    NOT_A_SUBSCRIBER = "NOT_A_SUBSCRIBER"
    TOO_MANY_MESSAGES = "TOO_MANY_MESSAGES"
    TOO_MANY_OPEN_CONVERSATIONS = "TOO_MANY_OPEN_CONVERSATIONS"
    TOO_MANY_SUBSCRIPTIONS = "TOO_MANY_SUBSCRIPTIONS"
    NOT_ON_DUTY = "NOT_ON_DUTY"
    NOT_PARTICIPANT = "NOT_PARTICIPANT"
    ALREADY_TAKEN = "ALREADY_TAKEN"
    CLOSED = "CLOSED"
    NOT_CLOSED = "NOT_CLOSED"
    NO_RECIPIENT = "NO_RECIPIENT"
    UNAVAILABLE = "UNAVAILABLE"


CONVERSATION_NOT_FOUND = Text(en="No such conversation.", fr="Cette conversation n'existe pas.")
MESSAGE_NOT_FOUND = Text(en="No such message in this conversation.",
                         fr="Ce message n'existe pas dans cette conversation.")
COLLEAGUE_NOT_FOUND = Text(en="No such colleague.", fr="Ce collègue n'existe pas.")
EMPTY_MESSAGE = Text(en="Write a message.", fr="Écrivez un message.")
MESSAGE_TOO_LONG = Text(en="A message has at most {max} characters ({length} given).",
                        fr="Un message compte au plus {max} caractères ({length} reçus).")
BAD_LANGUAGE = Text(en="The chat is offered in English (en) or French (fr).",
                    fr="Le clavardage est offert en anglais (en) ou en français (fr).")
CHAT_NOT_OFFERED = Text(en="Your provider does not offer chat.",
                        fr="Votre fournisseur n'offre pas le clavardage.")
SUBSCRIBERS_ONLY = Text(
    en="Only a subscriber's user opens a conversation with the support (not during direct "
       "access).",
    fr="Seul un utilisateur abonné ouvre une conversation avec le soutien (pas en accès "
       "direct).")
RATE_LIMITED = Text(
    en="At most {max} messages a minute: wait {retry_after} seconds.",
    fr="Au plus {max} messages par minute : attendez {retry_after} secondes.")
TOO_MANY_OPEN = Text(
    en="Your account already has {max} open conversations: close one first.",
    fr="Votre compte a déjà {max} conversations ouvertes : fermez-en une d'abord.")
TOO_MANY_SUBSCRIPTIONS = Text(
    en="At most {max} chat subscriptions per connection.",
    fr="Au plus {max} abonnements au clavardage par connexion.")
NOT_ON_DUTY = Text(en="Go on duty for the chat first.",
                   fr="Mettez-vous d'abord en service pour le clavardage.")
COLLEAGUE_NOT_ON_DUTY = Text(
    en="{name} is not on duty for the chat in this language.",
    fr="{name} n'est pas en service pour le clavardage dans cette langue.")
NOT_PARTICIPANT = Text(
    en="Only the person who took this conversation (or the subscriber) may do this.",
    fr="Seule la personne qui a pris cette conversation (ou l'abonné) peut faire ceci.")
ALREADY_TAKEN = Text(en="{name} already took this conversation.",
                     fr="{name} a déjà pris cette conversation.")
IS_CLOSED = Text(en="This conversation is closed.", fr="Cette conversation est fermée.")
IS_NOT_CLOSED = Text(en="Close the conversation before emailing its transcript.",
                     fr="Fermez la conversation avant d'en envoyer la transcription.")
NO_RECIPIENT = Text(en="The subscriber who opened this conversation has no email address.",
                    fr="L'abonné qui a ouvert cette conversation n'a pas d'adresse courriel.")
LIVE_UNAVAILABLE = Text(en="Live updates are unavailable for now; read the conversation again.",
                        fr="Les mises à jour en direct sont indisponibles pour l'instant; "
                           "relisez la conversation.")
TOO_MANY_LANGUAGES = Text(en="At most {max} languages.", fr="Au plus {max} langues.")

# Names of the system notes (shown in the reader's language).
TAKEN_NOTE = Text(en="{name} joined the conversation.", fr="{name} s'est joint à la conversation.")
TRANSFERRED_NOTE = Text(en="{name} transferred the conversation to {to}.",
                        fr="{name} a transféré la conversation à {to}.")
CLOSED_NOTE = Text(en="{name} closed the conversation.", fr="{name} a fermé la conversation.")
