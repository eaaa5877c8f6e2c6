"""The company users area's error codes and messages (fr/en); the shared ones (``REQUIRED``,
``TOO_LONG``, ``INVALID_EMAIL``, ``INVALID_LANGUAGE``, ``ACCOUNT_NOT_FOUND``) are the host's."""

from __future__ import annotations

from enum import Enum

from gateway.api import (  # noqa: F401  (re-exported: the area's messages in one place)
    ACCOUNT_NOT_FOUND,
    INVALID_EMAIL,
    INVALID_LANGUAGE,
    REQUIRED,
    TOO_LONG,
    Text,
)


class CompanyUserErrorCode(Enum):
    REQUIRED = "REQUIRED"
    INVALID = "INVALID"
    TOO_LONG = "TOO_LONG"
    INVALID_EMAIL = "INVALID_EMAIL"
    INVALID_LANGUAGE = "INVALID_LANGUAGE"
    NOT_FOUND = "NOT_FOUND"
    NOT_ALLOWED = "NOT_ALLOWED"
    MANAGEMENT_FORBIDDEN = "MANAGEMENT_FORBIDDEN"
    DIRECT_ACCESS_FORBIDDEN = "DIRECT_ACCESS_FORBIDDEN"
    WRONG_ACCOUNT_KIND = "WRONG_ACCOUNT_KIND"
    ACCOUNT_UNSUBSCRIBED = "ACCOUNT_UNSUBSCRIBED"
    EMAIL_TAKEN = "EMAIL_TAKEN"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    EXTENSION_TAKEN = "EXTENSION_TAKEN"
    RANGE_FULL = "RANGE_FULL"
    SELF = "SELF"
    LAST_ADMIN = "LAST_ADMIN"
    USER_SUSPENDED = "USER_SUSPENDED"
    TEST_MODE = "TEST_MODE"
    PIN_MISMATCH = "PIN_MISMATCH"


USER_NOT_FOUND = Text(en="No such user in this company.",
                      fr="Cet utilisateur n'existe pas dans cette entreprise.")
NOT_ALLOWED = Text(en="You are not allowed to manage the users of this account.",
                   fr="Vous n'êtes pas autorisé à gérer les utilisateurs de ce compte.")
MANAGEMENT_FORBIDDEN = Text(
    en="Your provider forbids user management on this account (Interdire la gestion des "
    "utilisateurs): ask your provider to make this change.",
    fr="Votre fournisseur interdit la gestion des utilisateurs de ce compte : demandez-lui "
    "d'effectuer cette modification.")
STAFF_USER = Text(en="This person is one of your provider's administrators: only the provider "
                  "manages them.",
                  fr="Cette personne est un administrateur de votre fournisseur : seul le "
                  "fournisseur peut la gérer.")
DIRECT_ACCESS_FORBIDDEN = Text(
    en="Credentials (login email, PIN) cannot be changed while accessing an account directly. "
    "End the direct access first.",
    fr="Les codes d'accès (courriel d'identification, NIP) ne peuvent pas être modifiés pendant "
    "un accès direct à un compte. Terminez d'abord l'accès direct.")
COMPANY_ONLY = Text(en="Only a company account has employees; a professional account has one "
                    "user.",
                    fr="Seul un compte d'entreprise a des employés; un compte de professionnel "
                    "n'a qu'un utilisateur.")
ACCOUNT_UNSUBSCRIBED = Text(en="This account is unsubscribed: its users cannot change.",
                            fr="Ce compte est désabonné : ses utilisateurs ne peuvent pas être "
                            "modifiés.")
EMAIL_TAKEN = Text(en="This email address is already used by another user.",
                   fr="Cette adresse courriel est déjà utilisée par un autre utilisateur.")
EXTENSION_SHAPE = Text(en="An extension of this account is {length} digits.",
                       fr="Un poste de ce compte compte {length} chiffres.")
EXTENSION_OUT_OF_RANGE = Text(
    en="This extension is outside the users' range {first}-{last} of the account.",
    fr="Ce poste est hors de la plage des utilisateurs {first}-{last} du compte.")
EXTENSION_TAKEN = Text(en="This extension is already taken.", fr="Ce poste est déjà attribué.")
RANGE_FULL = Text(
    en="No free extension is left in the users' range {first}-{last}: ask your provider to "
    "widen the range (account options, Postes téléphoniques).",
    fr="Il ne reste aucun poste libre dans la plage des utilisateurs {first}-{last} : "
    "demandez à votre fournisseur d'élargir la plage (réglages du compte, Postes "
    "téléphoniques).")
SELF = {
    "delete": Text(en="You cannot delete yourself.",
                   fr="Vous ne pouvez pas vous supprimer vous-même."),
    "suspend": Text(en="You cannot suspend yourself.",
                    fr="Vous ne pouvez pas vous suspendre vous-même."),
    "demote": Text(en="You cannot take away your own administrator role.",
                   fr="Vous ne pouvez pas retirer votre propre rôle d'administrateur."),
}
LAST_ADMIN = Text(en="The company needs at least one active company administrator: make "
                  "another user administrator first.",
                  fr="L'entreprise doit garder au moins un administrateur-entreprise actif : "
                  "nommez d'abord un autre utilisateur administrateur.")
USER_SUSPENDED = Text(en="This user is suspended: resume the user first.",
                      fr="Cet utilisateur est suspendu : réactivez-le d'abord.")
TEST_MODE = Text(en="The account is in test mode: no email is sent.",
                 fr="Le compte est en mode test : aucun courriel n'est envoyé.")
PIN_SHAPE = Text(en="A PIN is 4 to 10 digits.", fr="Un NIP compte de 4 à 10 chiffres.")
PIN_MISMATCH = Text(en="The confirmation differs from the PIN.",
                    fr="La confirmation diffère du NIP.")
WRONG_ROLE = Text(en="A company user is an EMPLOYEE or a COMPANY_ADMIN.",
                  fr="Un utilisateur d'entreprise est EMPLOYEE ou COMPANY_ADMIN.")
NO_NAME = Text(en="Give the user's first or last name.",
               fr="Indiquez le prénom ou le nom de l'utilisateur.")
SEARCH_TOO_LONG = Text(en="Search at most {max} characters.",
                       fr="Recherchez au plus {max} caractères.")

