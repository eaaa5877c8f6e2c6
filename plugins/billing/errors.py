"""The codes a billing mutation can refuse with, and the offer side's messages (fr/en). No
GraphQL: the ``*_schema`` modules turn the codes into the ``BillingErrorCode`` enum. The cycle
side may append codes here (keep them in one enum: one ``BillingError`` type)."""

from __future__ import annotations

from enum import Enum

from gateway.api import REQUIRED, TOO_LONG, Text  # noqa: F401  (the area's messages in one place)


class BillingErrorCode(Enum):
    # Input in general
    REQUIRED = "REQUIRED"
    INVALID = "INVALID"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    TOO_LONG = "TOO_LONG"
    TOO_MANY = "TOO_MANY"
    NOT_FOUND = "NOT_FOUND"  # raised by shared helpers (account_for, node_pk) by this name
    DUPLICATE = "DUPLICATE"
    # Catalogue and offer
    PRICE_IN_PAST = "PRICE_IN_PAST"
    CURRENCY_MISMATCH = "CURRENCY_MISMATCH"
    NOT_IN_OFFER = "NOT_IN_OFFER"
    RETIRED = "RETIRED"
    # Subscriptions
    FREE_TRIAL_RESTRICTION = "FREE_TRIAL_RESTRICTION"
    ACCOUNT_UNSUBSCRIBED = "ACCOUNT_UNSUBSCRIBED"
    SELF_SERVICE_DISABLED = "SELF_SERVICE_DISABLED"
    MANAGED_BY_PROVIDER = "MANAGED_BY_PROVIDER"
    # Promotions
    TRANSITION_NOT_ALLOWED = "TRANSITION_NOT_ALLOWED"


NOT_FOUND = Text(en="Not found.", fr="Introuvable.")
ITEM_NOT_FOUND = Text(en="No such catalogue item.", fr="Cet article du catalogue n'existe pas.")
OFFER_ITEM_NOT_FOUND = Text(en="No such item in the offer.",
                            fr="Cet article n'existe pas dans l'offre.")
RESELLER_NOT_FOUND = Text(en="No such reseller.", fr="Ce revendeur n'existe pas.")
SUBSCRIPTION_NOT_FOUND = Text(en="No such subscription line.",
                              fr="Cette ligne d'abonnement n'existe pas.")
PROMOTION_NOT_FOUND = Text(en="No such promotion.", fr="Cette promotion n'existe pas.")
TAX_NOT_FOUND = Text(en="No such tax.", fr="Cette taxe n'existe pas.")

CODE_FORMAT = Text(
    en="A code has 1 to {max} letters, digits, dashes or underscores (e.g. PLAN-PRO).",
    fr="Un code compte de 1 à {max} lettres, chiffres, tirets ou soulignés (p. ex. PLAN-PRO).")
CODE_TAKEN = Text(en="The code {item_code} is already used.",
                  fr="Le code {item_code} est déjà utilisé.")
NAME_TOO_LONG = Text(en="At most {max} characters.", fr="Au plus {max} caractères.")
CURRENCY_FORMAT = Text(en="A currency is an ISO 4217 code such as CAD, USD or EUR.",
                       fr="Une devise est un code ISO 4217 comme CAD, USD ou EUR.")
AMOUNT_RANGE = Text(
    en="An amount is between 0 and {max} with at most {places} decimal places.",
    fr="Un montant est compris entre 0 et {max}, avec au plus {places} décimales.")
PERCENT_RANGE = Text(en="A percentage is between 0 and 100 with at most 4 decimal places.",
                     fr="Un pourcentage est compris entre 0 et 100, avec au plus 4 décimales.")
UNITS_RANGE = Text(en="Included units are between 0 and {max}.",
                   fr="Les unités incluses sont comprises entre 0 et {max}.")
MONTHS_RANGE = Text(en="A promotion lasts from 1 to {max} months.",
                    fr="Une promotion dure de 1 à {max} mois.")
QUANTITY_RANGE = Text(en="The quantity must be between 1 and {max}.",
                      fr="La quantité doit être comprise entre 1 et {max}.")
TOO_MANY_ITEMS = Text(en="At most {max} items at once.", fr="Au plus {max} éléments à la fois.")
PRICE_IN_PAST = Text(
    en="A price change applies from today or a later date ({date} is past): closed cycles "
       "are never rewritten.",
    fr="Un changement de prix s'applique à partir d'aujourd'hui ou d'une date future ({date} "
       "est passé) : un cycle fermé n'est jamais réécrit.")
PRICE_DATE_TAKEN = Text(en="A price already applies from {date}.",
                        fr="Un prix s'applique déjà à partir du {date}.")
CURRENCY_MISMATCH = Text(
    en="This item is priced in {item} and the reseller bills in {reseller}: give the retail "
       "price in {reseller}.",
    fr="Cet article est tarifé en {item} et le revendeur facture en {reseller} : indiquez le "
       "prix de détail en {reseller}.")
CURRENCY_LOCKED = Text(
    en="The currency cannot change once the reseller has items in its offer.",
    fr="La devise ne peut plus changer une fois que le revendeur a des articles dans son offre.")
PLATFORM_ONLY = Text(
    en="Who bills the clients and the currency are agreed with the platform: ask the system "
       "administrator.",
    fr="Le mode de facturation et la devise sont convenus avec la plateforme : adressez-vous à "
       "l'administrateur-système.")
ITEM_RETIRED = Text(en="This catalogue item is retired.", fr="Cet article du catalogue est retiré.")
NOT_SELLING = Text(
    en="{item_code} is not in the reseller's offer: pick an item it sells.",
    fr="{item_code} ne fait pas partie de l'offre du revendeur : choisissez un article offert.")
WRONG_KIND = Text(en="{item_code} is not a {kind}.",
                  fr="{item_code} n'est pas un article de type {kind}.")
ONE_PLAN = Text(en="An account has one plan at a time.",
                fr="Un compte a un seul forfait à la fois.")
DATES_ORDER = Text(en="The end date must come after the start date.",
                   fr="La date de fin doit suivre la date de début.")
START_IN_PAST = Text(
    en="A subscription change applies from today or a later date.",
    fr="Une modification d'abonnement s'applique à partir d'aujourd'hui ou d'une date future.")
FREE_TRIAL = Text(
    en="During a free trial no number or option can be added: move the account to "
       "production first.",
    fr="Durant l'essai gratuit, aucun numéro ni option ne peut être ajouté : passez d'abord "
       "le compte en production.")
SELF_SERVICE_DISABLED = Text(
    en="Your provider does not let you change your subscription yourself: contact them.",
    fr="Votre fournisseur ne vous permet pas de modifier vous-même votre abonnement : "
       "communiquez avec lui.")
ADMIN_MANAGED = Text(
    en="This account is managed by your provider's administrator: ask your provider to change "
       "your subscription.",
    fr="Ce compte est géré par l'administrateur de votre fournisseur : demandez-lui de modifier "
       "votre abonnement.")
MANAGEMENT_FORBIDDEN = Text(
    en="Your provider does not let this account's administrator change the account: ask your "
       "provider to change your subscription.",
    fr="Votre fournisseur ne permet pas à l'administrateur de ce compte de le modifier : "
       "demandez-lui de modifier votre abonnement.")
PROMOTION_TRANSITION = Text(
    en="This promotion is {current} here: it cannot become {wanted}.",
    fr="Cette promotion est à l'état {current} ici : elle ne peut pas passer à {wanted}.")
PROMOTION_FIELDS = Text(
    en="This kind of promotion needs {field}.", fr="Ce type de promotion exige {field}.")
TAX_NAME = Text(en="A tax has a name (at most 100 characters).",
                fr="Une taxe a un nom (au plus 100 caractères).")

# What people read: kinds, recurrences and promotion states, in each language.
KIND_LABELS = {
    "PLAN": Text(en="plan", fr="forfait"), "OPTION": Text(en="option", fr="option"),
    "DEVICE": Text(en="device", fr="appareil"),
    "SERVICE_FEE": Text(en="service fee", fr="frais de service"),
}
PROMOTION_STATUS_LABELS = {
    "AVAILABLE": Text(en="available", fr="disponible"),
    "REQUESTED": Text(en="requested", fr="demandée"),
    "ACTIVE": Text(en="active", fr="active"), "ENDED": Text(en="ended", fr="terminée"),
}
FREE_TRIAL_LINE = Text(en="Free trial until {date}: not billed",
                       fr="Essai gratuit jusqu'au {date} : non facturé")
PROMOTION_LINE = Text(en="Promotion: {name}", fr="Promotion : {name}")
TAX_LINE = Text(en="{name} ({rate} %){registration}", fr="{name} ({rate} %){registration}")
