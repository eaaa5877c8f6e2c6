"""The clients area's error codes and its messages (fr/en). The GraphQL ``ClientsError``
type is built from the codes in ``signup_schema``."""

from __future__ import annotations

from enum import Enum

from gateway.api import (  # noqa: F401  (re-exported: the area's messages in one place)
    INVALID_COUNTRY,
    INVALID_EMAIL,
    INVALID_LANGUAGE,
    INVALID_PHONE,
    REQUIRED,
    TOO_LONG,
    Text,
)


class ClientsErrorCode(Enum):
    # Input in general
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    NOT_FOUND = "NOT_FOUND"
    TOO_MANY = "TOO_MANY"
    # Sign-up
    LOGIN_TAKEN = "LOGIN_TAKEN"
    DRAFT_COMPLETED = "DRAFT_COMPLETED"
    INCOMPLETE = "INCOMPLETE"
    LINK_INVALID = "LINK_INVALID"
    LINK_EXPIRED = "LINK_EXPIRED"
    CARD_NUMBER_REFUSED = "CARD_NUMBER_REFUSED"
    NO_NUMBER_AVAILABLE = "NO_NUMBER_AVAILABLE"
    # Billing status
    TRANSITION_NOT_ALLOWED = "TRANSITION_NOT_ALLOWED"
    STATUS_UNCHANGED = "STATUS_UNCHANGED"
    INVOICE_PREVIEW_REQUIRED = "INVOICE_PREVIEW_REQUIRED"
    TERMS_NOT_ACCEPTED = "TERMS_NOT_ACCEPTED"
    PAYMENT_METHOD_REQUIRED = "PAYMENT_METHOD_REQUIRED"
    FREE_TRIAL_RESTRICTION = "FREE_TRIAL_RESTRICTION"
    # Unsubscribing
    ACCOUNT_UNSUBSCRIBED = "ACCOUNT_UNSUBSCRIBED"
    NOT_UNSUBSCRIBED = "NOT_UNSUBSCRIBED"
    # Messages and exports
    SENDER_NOT_ADMIN = "SENDER_NOT_ADMIN"
    # Raised by the core's check of typed email addresses (gateway.api.check_recipients).
    RECIPIENT_NOT_ALLOWED = "RECIPIENT_NOT_ALLOWED"
    RATE_LIMITED = "RATE_LIMITED"
    NO_ADDRESS = "NO_ADDRESS"
    TOO_MANY_ROWS = "TOO_MANY_ROWS"


NOT_FOUND = Text(en="No such account.", fr="Ce compte n'existe pas.")
DRAFT_NOT_FOUND = Text(en="No such sign-up.", fr="Cette inscription n'existe pas.")
INVALID_TIME_ZONE = Text(en="This is not a time zone name (e.g. America/Toronto).",
                         fr="Ce n'est pas un fuseau horaire (p. ex. America/Toronto).")
TRIAL_DAYS = Text(en="A free trial lasts from 15 to 90 days.",
                  fr="Un essai gratuit dure de 15 à 90 jours.")
QUANTITY = Text(en="The quantity must be between 1 and 999.",
                fr="La quantité doit être comprise entre 1 et 999.")
NUMBER_ACTION = Text(en="The action is PORT or ORDER.", fr="L'action est PORT ou ORDER.")
NUMBER_TYPE = Text(en="The type is LOCAL, TOLL_FREE or INTERNATIONAL.",
                   fr="Le type est LOCAL, TOLL_FREE ou INTERNATIONAL.")
NUMBERS_UNAVAILABLE = Text(
    en="Not enough numbers of this type and area code in your provider's pool right now "
       "({available} available): ask for fewer, another area code, or any.",
    fr="Pas assez de numéros de ce type et de cet indicatif régional dans la banque de votre "
       "fournisseur pour le moment ({available} disponible(s)) : demandez-en moins, un autre "
       "indicatif ou n'importe lequel.")
PORT_NEEDS_NUMBER = Text(en="A number to transfer (port) must be given.",
                         fr="Le numéro à transférer doit être indiqué.")
CARD_NUMBER = Text(
    en="Never send a card number: give the payment processor's token and the last 4 digits.",
    fr="N'envoyez jamais de numéro de carte : indiquez le jeton du processeur de paiement et "
    "les 4 derniers chiffres.",
)
CARD_LAST4 = Text(en="Exactly the last 4 digits of the card.",
                  fr="Exactement les 4 derniers chiffres de la carte.")
CARD_EXPIRY = Text(en="The expiry must be MM/YYYY and not in the past.",
                   fr="L'expiration doit être MM/AAAA et ne pas être passée.")
LOGIN_TAKEN = Text(en="This email address is already somebody's login id.",
                   fr="Cette adresse courriel est déjà l'identifiant de quelqu'un.")
DRAFT_COMPLETED = Text(en="This sign-up is already complete: the account exists.",
                       fr="Cette inscription est déjà terminée : le compte existe.")
INCOMPLETE = Text(en="This step is incomplete: {missing}.",
                  fr="Cette étape est incomplète : {missing}.")
LINK_INVALID = Text(en="This sign-up link is not valid; ask your provider for a new one.",
                    fr="Ce lien d'inscription n'est pas valide; demandez-en un nouveau à votre "
                    "fournisseur.")
LINK_EXPIRED = Text(en="This sign-up link has expired; ask your provider for a new one.",
                    fr="Ce lien d'inscription est expiré; demandez-en un nouveau à votre "
                    "fournisseur.")
WRONG_KIND_FIELD = Text(en="Only a company account has voice languages.",
                        fr="Seul un compte d'entreprise a des langues de réceptionniste.")

TRANSITION_NOT_ALLOWED = Text(
    en="The billing status cannot go from {current} to {wanted}. Allowed from {current}: "
    "{allowed}.",
    fr="Le statut de facturation ne peut pas passer de {current} à {wanted}. Permis depuis "
    "{current} : {allowed}.",
)
STATUS_UNCHANGED = Text(en="The account is already {current}.", fr="Le compte est déjà {current}.")
PREVIEW_REQUIRED = Text(
    en="Show the invoice preview first (invoicePreview) and pass its token.",
    fr="Affichez d'abord l'aperçu de la facture (invoicePreview) et fournissez son jeton.",
)
PREVIEW_STALE = Text(en="This invoice preview is out of date; show a new one.",
                     fr="Cet aperçu de facture n'est plus à jour; affichez-en un nouveau.")
TERMS = Text(en="The terms and conditions must be accepted.",
             fr="Les modalités et conditions doivent être acceptées.")
PAYMENT_METHOD = Text(en="A payment method is needed (credit card or monthly invoice).",
                      fr="Un mode de paiement est requis (carte de crédit ou facture mensuelle).")
FREE_TRIAL_RESTRICTION = Text(
    en="During a free trial, phone numbers and options cannot be added: move the account to "
    "production first.",
    fr="Durant un essai gratuit, on ne peut pas ajouter de numéros de téléphone ni d'options : "
    "passez d'abord le compte En production.",
)
ACCOUNT_UNSUBSCRIBED = Text(en="This account is unsubscribed.", fr="Ce compte est désabonné.")
NOT_UNSUBSCRIBED = Text(en="Only an unsubscribed account can be reactivated.",
                        fr="Seul un compte désabonné peut être réactivé.")
SENDER_NOT_ADMIN = Text(
    en="The sender must be one of the administrators of the account's reseller.",
    fr="L'expéditeur doit être un des administrateurs du revendeur du compte.",
)
NO_ADDRESS = Text(en="This account has no email address.",
                  fr="Ce compte n'a pas d'adresse courriel.")
SUBJECT_REQUIRED = Text(en="A subject and a message are required.",
                        fr="Un objet et un message sont requis.")
TOO_MANY_ITEMS = Text(en="At most {max} items.", fr="Au plus {max} éléments.")
SIGNUP_STATUS = Text(
    en="A new account starts in free trial, in production or with billing suspended.",
    fr="Un nouveau compte commence en essai gratuit, en production ou en facturation suspendue.",
)
NO_USER = Text(en="This account has no user to send access codes to.",
               fr="Ce compte n'a aucun utilisateur à qui envoyer des codes d'accès.")
TOO_MANY_IDS = Text(en="At most {max} accounts at a time.", fr="Au plus {max} comptes à la fois.")
TOO_MANY_ROWS = Text(
    en="A PDF holds at most {max} accounts ({count} match): narrow the filter or export CSV.",
    fr="Un PDF contient au plus {max} comptes ({count} correspondent) : précisez le filtre ou "
    "exportez en CSV.",
)
WRONG_KIND = Text(en="This account is not of the kind asked for.",
                  fr="Ce compte n'est pas du type demandé.")

STATUS_LABELS = {
    "FREE_TRIAL": Text(en="Free trial", fr="Essai gratuit"),
    "IN_PRODUCTION": Text(en="In production", fr="En production"),
    "BILLING_SUSPENDED": Text(en="Billing suspended", fr="Facturation suspendue"),
    "UNSUBSCRIBED": Text(en="Unsubscribed", fr="Désabonné"),
}


def status_label(status: str, language: str) -> str:
    """The seed's name of a billing status, in the reader's language."""
    label = STATUS_LABELS.get(str(status))
    return label.render(language) if label else str(status)
