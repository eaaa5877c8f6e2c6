"""The callcenter area's error codes and messages (fr/en)."""

from __future__ import annotations

from enum import Enum

from gateway.api import Text


class CallCenterErrorCode(Enum):
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    TOO_MANY_ROWS = "TOO_MANY_ROWS"
    EMAIL_FAILED = "EMAIL_FAILED"
    # Raised by the core's check of typed email addresses (gateway.api.check_recipients).
    TOO_MANY = "TOO_MANY"
    RECIPIENT_NOT_ALLOWED = "RECIPIENT_NOT_ALLOWED"
    RATE_LIMITED = "RATE_LIMITED"


# Import: one per rejected line (the CLI and the upload print them with the line number).
BAD_JSON = Text(en="not valid JSON: {detail}", fr="JSON invalide : {detail}")
BAD_CSV = Text(en="not valid CSV: {detail}", fr="CSV invalide : {detail}")
MISSING = Text(en="missing field {name}", fr="champ {name} manquant")
BAD_VALUE = Text(en="bad value for {name}: {detail}", fr="valeur invalide pour {name} : {detail}")
NO_ACCOUNT = Text(en="account_number {value} matches no account",
                  fr="account_number {value} ne correspond à aucun compte")
BILLING_MISMATCH = Text(en="billing_number {value} is not the account's",
                        fr="billing_number {value} n'est pas celui du compte")

BAD_TIME = Text(en="A time of day is HH:MM, e.g. 08:30.",
                fr="Une heure s'écrit HH:MM, par exemple 08:30.")
BAD_RANGE = Text(en="The end comes before the start.", fr="La fin précède le début.")
TOO_LONG_FILTER = Text(en="Too long for this filter: nothing recorded is that long.",
                       fr="Trop long pour ce filtre : rien d'enregistré n'est aussi long.")
DATE_OUT_OF_RANGE = Text(en="Give a date between 1970 and 9998.",
                         fr="Indiquez une date entre 1970 et 9998.")
TOO_MANY_VALUES = Text(en="At most {max} values in this filter.",
                       fr="Au plus {max} valeurs dans ce filtre.")
TOO_MANY_BUCKETS = Text(en="At most {max} points in a series: choose a longer interval or "
                        "fewer days.",
                        fr="Au plus {max} points dans une série : choisissez un intervalle plus "
                        "long ou moins de jours.")
TOO_MANY_GROUPS = Text(en="At most {max} accounts or agents in a grouped series of this length: "
                       "narrow the filter, choose a longer interval or fewer days.",
                       fr="Au plus {max} comptes ou agents dans une série groupée de cette "
                       "longueur : précisez le filtre, choisissez un intervalle plus long ou "
                       "moins de jours.")
GROUP_BY_ACCOUNT_STAFF = Text(en="Only reseller staff can group a series by account.",
                              fr="Seul le personnel du revendeur peut grouper une série par "
                              "compte.")
UNKNOWN_ACCOUNT = Text(en="No such account.", fr="Ce compte n'existe pas.")
TOO_MANY_ROWS = Text(en="The report has {count} rows; at most {max} can be exported.",
                     fr="Le rapport compte {count} lignes; au plus {max} peuvent être exportées.")
NO_SUPPORT_EMAIL = Text(en="The reseller has no support address to send the request to.",
                        fr="Le revendeur n'a pas d'adresse de soutien où envoyer la demande.")
TOO_MANY_PAGES = Text(en="An account has at most {max} information pages.",
                      fr="Un compte a au plus {max} pages d'information.")
TITLE_REQUIRED = Text(en="A page needs a title.", fr="Une page doit avoir un titre.")
