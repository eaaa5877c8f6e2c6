"""The restrictions area's error codes and its messages (fr/en); the shared ones
(``ACCOUNT_NOT_FOUND``, ``REQUIRED``) are the host's, from ``gateway.api``."""

from __future__ import annotations

from enum import Enum

from gateway.api import Text


class RestrictionErrorCode(Enum):
    REQUIRED = "REQUIRED"
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    NOT_ALLOWED = "NOT_ALLOWED"
    ONE_TARGET = "ONE_TARGET"
    INVALID_COUNTRY = "INVALID_COUNTRY"
    INVALID_AREA_CODE = "INVALID_AREA_CODE"
    INVALID_PREFIX = "INVALID_PREFIX"
    NOT_WIDER = "NOT_WIDER"
    ALREADY_EXISTS = "ALREADY_EXISTS"
    LIMIT_REACHED = "LIMIT_REACHED"
    MANAGED_BY_PROVIDER = "MANAGED_BY_PROVIDER"


# checkCall's refusal of a string that is not a phone number: a GraphQL error with this code,
# never a denial (the payload codes above are the mutations').
INVALID_NUMBER_CODE = "INVALID_NUMBER"

RESELLER_NOT_FOUND = Text(en="No such reseller.", fr="Ce revendeur n'existe pas.")
RULE_NOT_FOUND = Text(en="No such call restriction.", fr="Cette restriction d'appels n'existe pas.")
EXCEPTION_NOT_FOUND = Text(en="No such exception.", fr="Cette exception n'existe pas.")
NOT_FOR_SCOPE = Text(en="This field does not apply to a {scope} rule.",
                     fr="Ce champ ne s'applique pas à une règle {scope}.")
SYSTEM_ONLY = Text(en="Only a system administrator manages system-wide rules.",
                   fr="Seul l'administrateur-système gère les règles de tout le système.")
ONE_TARGET = Text(
    en="Give exactly one of: a country, a country and an area code, or a prefix.",
    fr="Indiquez exactement un des éléments suivants : un pays, un pays et un indicatif "
    "régional, ou un préfixe.",
)
INVALID_COUNTRY = Text(en="{country} is not a country code (two letters, e.g. FR).",
                       fr="{country} n'est pas un code de pays (deux lettres, p. ex. FR).")
COUNTRY_NEEDS_PREFIX = Text(
    en="The numbers of {country} cannot be told apart by country: use its area codes or "
    "prefixes.",
    fr="Les numéros de {country} ne se distinguent pas par pays : utilisez ses indicatifs "
    "régionaux ou des préfixes.",
)
INVALID_AREA_CODE = Text(en="An area code is 1 to 6 digits (e.g. 514).",
                         fr="Un indicatif régional compte de 1 à 6 chiffres (p. ex. 514).")
INVALID_PREFIX = Text(
    en="A prefix is 1 to 15 digits of an international number, e.g. +4420.",
    fr="Un préfixe compte de 1 à 15 chiffres d'un numéro international, p. ex. +4420.",
)
NOT_WIDER = Text(
    en="An exception lifts a system or reseller rule that applies to the account; delete an "
    "account rule instead.",
    fr="Une exception lève une règle du système ou du revendeur qui s'applique au compte; "
    "supprimez plutôt une règle du compte.",
)
EXCEPT_SYSTEM = Text(
    en="Only a system administrator can make an exception to a system-wide rule.",
    fr="Seul l'administrateur-système peut faire une exception à une règle de tout le système.",
)
ALREADY_EXCEPTED = Text(en="This account already has an exception to this rule.",
                        fr="Ce compte a déjà une exception à cette règle.")
INVALID_NUMBER = Text(en="{number} is not a phone number.",
                      fr="{number} n'est pas un numéro de téléphone.")


# The subscriber tier (an account's own rules).
SUBSCRIBER_TIER_ONLY = Text(
    en="Your own call restrictions are the SUBSCRIBER level; the other levels are your "
    "provider's.",
    fr="Vos propres restrictions d'appels sont le niveau SUBSCRIBER; les autres niveaux sont "
    "ceux de votre fournisseur.")
OWN_RULES_ADMINS_ONLY = Text(
    en="Only the account's administrator changes its call restrictions.",
    fr="Seul l'administrateur du compte modifie ses restrictions d'appels.")
TOO_MANY_OWN_RULES = Text(
    en="An account has at most {max} call restrictions of its own: delete some first.",
    fr="Un compte a au plus {max} restrictions d'appels qui lui sont propres : supprimez-en "
    "d'abord.")
ADMIN_MANAGED = Text(
    en="This account is managed by your provider's administrator: ask your provider to change "
    "its call restrictions.",
    fr="Ce compte est géré par l'administrateur de votre fournisseur : demandez-lui de modifier "
    "ses restrictions d'appels.")
MANAGEMENT_FORBIDDEN = Text(
    en="Your provider does not let this account's administrator change the account: ask your "
    "provider to change its call restrictions.",
    fr="Votre fournisseur ne permet pas à l'administrateur de ce compte de le modifier : "
    "demandez-lui de modifier ses restrictions d'appels.")
