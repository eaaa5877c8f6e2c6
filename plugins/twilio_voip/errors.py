"""The codes a Twilio VoIP mutation can refuse with, and every message (fr/en)."""

from __future__ import annotations

from enum import Enum

from gateway.api import Text


class VoipErrorCode(Enum):
    NOT_FOUND = "NOT_FOUND"
    NOT_ALLOWED = "NOT_ALLOWED"
    REQUIRED = "REQUIRED"
    INVALID = "INVALID"
    TOO_LONG = "TOO_LONG"
    TOO_MANY = "TOO_MANY"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    BAD_CREDENTIALS = "BAD_CREDENTIALS"
    TWILIO_UNAVAILABLE = "TWILIO_UNAVAILABLE"
    TWILIO_REFUSED = "TWILIO_REFUSED"
    ALREADY_CONNECTED = "ALREADY_CONNECTED"
    NOT_CONNECTED = "NOT_CONNECTED"
    TRIAL_LIMIT = "TRIAL_LIMIT"
    NUMBER_TAKEN = "NUMBER_TAKEN"
    INVALID_NUMBER = "INVALID_NUMBER"
    CALL_REFUSED = "CALL_REFUSED"
    NOT_OPERATOR = "NOT_OPERATOR"
    OUTGOING_DISABLED = "OUTGOING_DISABLED"
    BAD_USER_INPUT = "BAD_USER_INPUT"


NOT_FOUND = Text(en="Not found.", fr="Introuvable.")
NOT_ALLOWED = Text(
    en="Only the account's administrator (or the professional) manages VoIP.",
    fr="Seul l'administrateur du compte (ou le professionnel) gère la téléphonie IP.")
REQUIRED = Text(en="This field is required.", fr="Ce champ est obligatoire.")
BAD_SID = Text(en="An Account SID is AC followed by 32 hexadecimal characters.",
               fr="Un SID de compte est AC suivi de 32 caractères hexadécimaux.")
BAD_TOKEN = Text(en="Enter the Auth Token shown in the Twilio Console (Account Summary).",
                 fr="Entrez le jeton d'authentification affiché dans la console Twilio "
                 "(Account Summary).")
BAD_CREDENTIALS = Text(
    en="Twilio refused these credentials: check the Account SID and the Auth Token.",
    fr="Twilio a refusé ces identifiants : vérifiez le SID du compte et le jeton "
    "d'authentification.")
ACCOUNT_INACTIVE = Text(en="This Twilio account is {status}: it cannot be used.",
                        fr="Ce compte Twilio est {status} : il ne peut pas être utilisé.")
UNAVAILABLE = Text(en="Twilio cannot be reached right now; nothing was changed. Try again.",
                   fr="Twilio est injoignable pour le moment; rien n'a été modifié. "
                   "Réessayez.")
REFUSED = Text(en="Twilio refused: {message}", fr="Twilio a refusé : {message}")
SID_TAKEN = Text(en="This Twilio account is already connected to another account.",
                 fr="Ce compte Twilio est déjà connecté à un autre compte.")
NOT_CONNECTED = Text(
    en="Connect a Twilio account first (Integration, Third-party services).",
    fr="Connectez d'abord un compte Twilio (Intégration, Service tiers).")
TRIAL_LIMIT = Text(
    en="A Twilio trial account may hold one number only: upgrade your Twilio account to add "
    "more.",
    fr="Un compte d'essai Twilio ne peut avoir qu'un seul numéro : mettez à niveau votre "
    "compte Twilio pour en ajouter d'autres.")
NUMBER_TAKEN = Text(en="{number} is already used on the platform.",
                    fr="Le numéro {number} est déjà utilisé sur la plateforme.")
INVALID_NUMBER = Text(en="{number} is not a phone number (give it with its country code).",
                      fr="{number} n'est pas un numéro de téléphone (indiquez-le avec son "
                      "indicatif de pays).")
BAD_COUNTRY = Text(en="A country is its two-letter ISO code, e.g. CA.",
                   fr="Un pays s'indique par son code ISO à deux lettres, p. ex. CA.")
BAD_CONTAINS = Text(en="Digits (and * as a wildcard), at most 10.",
                    fr="Des chiffres (et * comme joker), 10 au plus.")
BAD_AREA_CODE = Text(en="An area code is 1 to 5 digits.",
                     fr="Un indicatif régional compte de 1 à 5 chiffres.")
OUT_OF_RANGE = Text(en="Between {min} and {max}.", fr="Entre {min} et {max}.")
TOO_LONG = Text(en="At most {max} characters.", fr="Au plus {max} caractères.")
TOO_MANY = Text(en="At most {max} items.", fr="Au plus {max} éléments.")
NOT_OPERATOR = Text(
    en="You are not an operator of this number (ask the account's administrator).",
    fr="Vous n'êtes pas opérateur de ce numéro (demandez à l'administrateur du compte).")
NO_NUMBERS = Text(en="You are not an operator of any virtual number.",
                  fr="Vous n'êtes opérateur d'aucun numéro virtuel.")
OUTGOING_NUMBER_OFF = Text(en="Outgoing calls are turned off for {number}.",
                           fr="Les appels sortants sont désactivés pour le numéro {number}.")
OUTGOING_OPERATOR_OFF = Text(en="Outgoing calls are turned off for you on {number}.",
                             fr="Les appels sortants sont désactivés pour vous sur le numéro "
                             "{number}.")
CALL_REFUSED = Text(en="This call cannot be made. {en}", fr="Cet appel ne peut pas être passé. "
                    "{fr}")
TARGET_REQUIRED = Text(en="Give a number to call, a contact's number or a call to return.",
                       fr="Indiquez un numéro à appeler, le numéro d'un contact ou un appel "
                       "à rappeler.")
ONE_TARGET = Text(en="Give only one of: a number, a contact's number, a call to return.",
                  fr="Indiquez un seul de : un numéro, le numéro d'un contact, un appel à "
                  "rappeler.")
NAME_REQUIRED = Text(en="Give the contact's name.", fr="Indiquez le nom du contact.")
NUMBER_OF_CONTACT = Text(en="{number} already belongs to the contact {name}.",
                         fr="Le numéro {number} appartient déjà au contact {name}.")
NOTE_REQUIRED = Text(en="Write the note's text.", fr="Écrivez le texte de la note.")
NOT_ACCOUNT_USER = Text(en="Operators are users of this account.",
                        fr="Les opérateurs sont des utilisateurs de ce compte.")
