"""The portal pages' words, in French and English."""

from __future__ import annotations

from gateway.api import Text


def _t(fr: str, en: str) -> Text:
    return Text(en=en, fr=fr)


T: dict[str, Text] = {
    "portal": _t("Portail d'abonnement", "Subscription portal"),
    "other_language": _t("Français", "English"),
    "home": _t("Pour vous abonner, utilisez le lien d'abonnement que votre fournisseur publie "
               "sur son site Web.",
               "To subscribe, use the subscription link your provider publishes on its web "
               "site."),
    "fix": _t("Veuillez corriger les erreurs indiquées.", "Please correct the errors shown."),
    "question": _t("Vérification : combien font {a} + {b} ?",
                   "Check: what is {a} + {b}?"),
    "busy": _t("Trop de demandes", "Too many requests"),
    "unavailable": _t("Lien non disponible", "Link unavailable"),
    "step_of": _t("Étape {n} de {total}", "Step {n} of {total}"),
    "title_company": _t("Abonnement d'entreprise", "Company subscription"),
    "title_professional": _t("Abonnement de professionnel", "Professional subscription"),
    "intro": _t("Ouvrez votre compte chez {reseller} : vos coordonnées d'abord.",
                "Open your account with {reseller}: your details first."),
    "company_name": _t("Nom du client", "Client name"),
    "your_name": _t("Votre nom", "Your name"),
    "email": _t("Adresse courriel", "Email address"),
    "phone": _t("Numéro de téléphone", "Phone number"),
    "address": _t("Adresse", "Address"),
    "city": _t("Ville", "City"),
    "state": _t("Province ou état", "Province or state"),
    "postal_code": _t("Code postal", "Postal code"),
    "country": _t("Pays (code à 2 lettres)", "Country (2-letter code)"),
    "language": _t("Langue", "Language"),
    "time_zone": _t("Fuseau horaire", "Time zone"),
    "next": _t("Suivant", "Next"),
    "back": _t("Précédent", "Previous"),
    "title_customer": _t("Vos coordonnées", "Your details"),
    "title_administrator": _t("Administrateur du compte", "Account administrator"),
    "admin_intro": _t("Le premier utilisateur recevra ses codes d'accès par courriel.",
                      "The first user will receive their access codes by email."),
    "first_name": _t("Prénom", "First name"),
    "last_name": _t("Nom", "Last name"),
    "admin_email": _t("Courriel de l'administrateur (par défaut : celui du client)",
                      "Administrator's email (by default: the client's)"),
    "administrator": _t("Administrateur", "Administrator"),
    "title_subscription": _t("Abonnement", "Subscription"),
    "plan": _t("Forfait", "Plan"),
    "options": _t("Options", "Options"),
    "options_free": _t("Options (séparées par des virgules)", "Options (comma-separated)"),
    "choose": _t("Choisissez…", "Choose…"),
    "your_subscription": _t("Votre abonnement", "Your subscription"),
    "nothing_chosen": _t("Aucun forfait choisi.", "No plan chosen."),
    "monthly_total": _t("Total mensuel (avant taxes)", "Monthly total (before taxes)"),
    "trial_note": _t("Le compte commence par un essai gratuit de {days} jours; la facturation "
                     "débute à la fin de l'essai.",
                     "The account starts with a {days}-day free trial; billing begins when it "
                     "ends."),
    "production_days_note": _t("Le compte est en production; la facturation débute après "
                               "{days} jours gratuits.",
                               "The account is in production; billing begins after {days} "
                               "free days."),
    "production_note": _t("Le compte est en production; la facturation débute à son ouverture.",
                          "The account is in production; billing begins when it opens."),
    "title_numbers": _t("Numéros de téléphone", "Phone numbers"),
    "numbers_intro": _t("Les numéros commandés sont attribués au compte par votre fournisseur.",
                        "The numbers ordered are assigned to the account by your provider."),
    "numbers_pool_intro": _t(
        "Les numéros commandés sont pris dans la banque de numéros de votre fournisseur et "
        "attribués au compte dès sa création. Laissez l'indicatif vide pour n'importe lequel.",
        "The numbers ordered are taken from your provider's pool of numbers and assigned to "
        "the account as soon as it is created. Leave the area code empty for any."),
    "numbers": _t("Numéros", "Numbers"),
    "number_n": _t("Numéro {n}", "Number {n}"),
    "number_type": _t("Type de numéro", "Number type"),
    "no_number": _t("Aucun", "None"),
    "local": _t("Local", "Local"),
    "toll_free": _t("Sans frais", "Toll-free"),
    "international": _t("International", "International"),
    "area_code": _t("Indicatif régional souhaité", "Wanted area code"),
    "title_billing": _t("Mode de paiement", "Payment method"),
    "billing_intro": _t("Le portail offre le paiement par facture mensuelle seulement et ne "
                        "demande jamais de numéro de carte de crédit. Pour payer par carte, "
                        "communiquez ensuite avec votre fournisseur.",
                        "The portal offers payment by monthly invoice only and never asks for "
                        "a credit card number. To pay by card, contact your provider "
                        "afterwards."),
    "payment_method": _t("Mode de paiement", "Payment method"),
    "monthly_invoice": _t("Facture mensuelle", "Monthly invoice"),
    "invoice_contact": _t("Personne-ressource pour la facturation", "Billing contact"),
    "invoice_email": _t("Courriel de facturation", "Billing email"),
    "terms": _t("J'accepte les conditions d'utilisation du service.",
                "I accept the terms of service."),
    "title_confirm": _t("Confirmation", "Confirmation"),
    "create": _t("Créer mon compte", "Create my account"),
    "done_title": _t("Compte créé", "Account created"),
    "done": _t("Votre compte numéro {number} est ouvert.", "Your account number {number} is "
               "open."),
    "done_email": _t("L'administrateur du compte recevra ses codes d'accès par courriel.",
                     "The account's administrator will receive their access codes by email."),
}
