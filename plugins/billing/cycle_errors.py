"""The cycle side's error codes and messages (statements, payments, history), fr and en."""

from __future__ import annotations

from enum import Enum

from gateway.api import Text


class BillingCycleErrorCode(Enum):
    NOT_FOUND = "NOT_FOUND"
    REQUIRED = "REQUIRED"
    INVALID = "INVALID"
    TOO_LONG = "TOO_LONG"
    CLOSED_PERIOD = "CLOSED_PERIOD"
    CARD_NUMBER_REFUSED = "CARD_NUMBER_REFUSED"
    PAYMENT_REFUSED = "PAYMENT_REFUSED"
    UNKNOWN_PROCESSOR = "UNKNOWN_PROCESSOR"
    NO_BILLING_CONTACT = "NO_BILLING_CONTACT"


ACCOUNT_NOT_FOUND = Text(en="No such account.", fr="Compte introuvable.")
STATEMENT_NOT_FOUND = Text(en="No such statement.", fr="Relevé introuvable.")
ACCOUNT_OR_CAN = Text(en="Give an account number or a billing number (CAN).",
                      fr="Indiquez un numéro de compte client ou un numéro de facturation (CAN).")
AMOUNT = Text(en="An amount above 0 and at most {max}, to the cent.",
              fr="Un montant supérieur à 0 et d'au plus {max}, au cent près.")
CLOSED_PERIOD = Text(
    en="The cycle up to {day} is closed: date the payment on {day} or later.",
    fr="Le cycle jusqu'au {day} est fermé : datez le paiement du {day} ou après.")
FUTURE_DATE = Text(en="The date cannot be in the future.",
                   fr="La date ne peut pas être dans le futur.")
REFERENCE_TOO_LONG = Text(en="At most {max} characters.", fr="Au plus {max} caractères.")
CARD_NUMBER = Text(
    en="This looks like a card number: never type one here. Give the processor's token or "
       "transaction reference.",
    fr="Ceci ressemble à un numéro de carte : n'en saisissez jamais ici. Indiquez le jeton ou "
       "la référence de transaction du processeur de paiement.")
TOKEN_REQUIRED = Text(en="A card payment needs the payment processor's token.",
                      fr="Un paiement par carte exige le jeton du processeur de paiement.")
UNKNOWN_PROCESSOR = Text(en="No payment processor called {name}.",
                         fr="Aucun processeur de paiement nommé {name}.")
PAYMENT_REFUSED = Text(en="The payment processor refused the payment: {reason}",
                       fr="Le processeur de paiement a refusé le paiement : {reason}")
DESCRIPTION_REQUIRED = Text(en="Say what the credit is for.",
                            fr="Indiquez la raison du crédit.")
NO_BILLING_CONTACT = Text(en="The account has no billing email address.",
                          fr="Le compte n'a pas d'adresse courriel de facturation.")
BAD_CYCLE = Text(en="No such billing cycle.", fr="Ce cycle de facturation n'existe pas.")

# What people read on statements, histories and exports.
PAYMENT_LABEL = Text(en="Payment ({method}) - thank you", fr="Paiement ({method}) - merci")
METHOD_LABELS = {
    "CHEQUE": Text(en="cheque", fr="chèque"),
    "CARD": Text(en="credit card", fr="carte de crédit"),
    "INVOICE": Text(en="invoice", fr="facture"),
    "OTHER": Text(en="other", fr="autre"),
}
