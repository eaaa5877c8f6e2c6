"""The portal's error codes and its messages (fr/en)."""

from __future__ import annotations

from enum import Enum

from gateway.api import Text


class PortalErrorCode(Enum):
    NOT_FOUND = "NOT_FOUND"
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    OUT_OF_RANGE = "OUT_OF_RANGE"


LINK_NOT_FOUND = Text(en="No such subscription link.", fr="Ce lien d'abonnement n'existe pas.")
RESELLER_NOT_FOUND = Text(en="No such reseller.", fr="Ce revendeur n'existe pas.")
RESELLER_REQUIRED = Text(en="Name the reseller whose links to show.",
                         fr="Indiquez le revendeur dont afficher les liens.")
TRIAL_DAYS = Text(en="The free days must be between {min} and {max}.",
                  fr="Le nombre de jours gratuits doit être compris entre {min} et {max}.")
EXPIRY_PAST = Text(en="The expiry must be in the future.",
                   fr="L'expiration doit être dans le futur.")

# --- The public pages ---------------------------------------------------------------------
LINK_UNUSABLE = Text(
    en="This subscription link does not work (any more). Ask your provider for a new one.",
    fr="Ce lien d'abonnement ne fonctionne pas (ou plus). Demandez-en un nouveau à votre "
       "fournisseur.")
SIGNUP_EXPIRED = Text(
    en="This sign-up has expired or is finished. Start again from your provider's link.",
    fr="Cette inscription a expiré ou est terminée. Recommencez à partir du lien de votre "
       "fournisseur.")
FORM_EXPIRED = Text(en="This form has expired; it was shown again, please send it again.",
                    fr="Ce formulaire a expiré; il est affiché de nouveau, veuillez le renvoyer.")
HURDLE_FAILED = Text(
    en="Please answer the question (or let the page's check finish) before continuing.",
    fr="Veuillez répondre à la question (ou laisser la vérification de la page se terminer) "
       "avant de continuer.")
TOO_FAST = Text(en="Please take a few more seconds, then send the form again.",
                fr="Veuillez prendre quelques secondes de plus, puis renvoyer le formulaire.")
RATE_LIMITED = Text(en="Too many requests. Try again in {seconds} seconds.",
                    fr="Trop de demandes. Réessayez dans {seconds} secondes.")
DUPLICATE_EMAIL = Text(
    en="An account already exists for this email address. Sign in to the web portal, or "
       "contact your provider.",
    fr="Un compte existe déjà pour cette adresse courriel. Ouvrez une session sur le portail "
       "Web ou communiquez avec votre fournisseur.")
TERMS_REQUIRED = Text(en="Accept the terms of service to continue.",
                      fr="Acceptez les conditions d'utilisation pour continuer.")
REQUIRED = Text(en="Required.", fr="Obligatoire.")
