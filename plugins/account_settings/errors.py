"""The account settings area's error codes and messages (the ``AccountSettingsError`` type
built from them is in ``settings_schema``)."""

from __future__ import annotations

from enum import Enum

from gateway.api import (  # noqa: F401  (re-exported: the area's messages in one place)
    ACCOUNT_NOT_FOUND,
    INVALID_EMAIL,
    INVALID_PHONE,
    NOT_FOUND,
    REQUIRED,
    TOO_LONG,
    Text,
)


class AccountSettingsErrorCode(Enum):
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    NOT_FOUND = "NOT_FOUND"
    NOT_ALLOWED = "NOT_ALLOWED"
    WRONG_ACCOUNT_KIND = "WRONG_ACCOUNT_KIND"
    RANGES_OVERLAP = "RANGES_OVERLAP"
    EXTENSION_TAKEN = "EXTENSION_TAKEN"
    RANGE_FULL = "RANGE_FULL"
    DUPLICATE = "DUPLICATE"
    IGNORED = "IGNORED"
    NUMBER_IN_USE = "NUMBER_IN_USE"
    LIMIT_REACHED = "LIMIT_REACHED"
    FREE_TRIAL_RESTRICTION = "FREE_TRIAL_RESTRICTION"
    ACCOUNT_UNSUBSCRIBED = "ACCOUNT_UNSUBSCRIBED"
    TOO_MANY = "TOO_MANY"
    NUMBER_UNAVAILABLE = "NUMBER_UNAVAILABLE"
    NO_NUMBER_AVAILABLE = "NO_NUMBER_AVAILABLE"


NOT_ALLOWED = Text(en="You are not allowed to change this account.",
                   fr="Vous n'êtes pas autorisé à modifier ce compte.")
USER_MANAGEMENT_FORBIDDEN = Text(
    en="User management is forbidden on this account: ask your provider.",
    fr="La gestion des utilisateurs est interdite sur ce compte : adressez-vous à votre "
    "fournisseur.")
COMPANY_ONLY = Text(en="Only a company account has this setting.",
                    fr="Seul un compte d'entreprise a ce réglage.")
PROFESSIONAL_ONLY = Text(en="Only a professional account has this setting.",
                         fr="Seul un compte de professionnel a ce réglage.")
INVALID_URL = Text(en="Give a full http:// or https:// address, or leave it empty.",
                   fr="Indiquez une adresse http:// ou https:// complète, ou laissez vide.")
RANGE_BOUNDS = Text(en="Between {min} and {max}.", fr="Entre {min} et {max}.")
EXTENSION_LENGTH = Text(en="An extension has from {min} to {max} digits.",
                        fr="Un poste compte de {min} à {max} chiffres.")
RANGE_ORDER = Text(en="The first extension of a range cannot be after its last.",
                   fr="Le premier poste d'une plage ne peut pas suivre le dernier.")
RANGE_LENGTH = Text(en="Both ends of the range must have {length} digits (the extension "
                    "length).",
                    fr="Les deux bornes de la plage doivent avoir {length} chiffres (la longueur "
                    "des postes).")
RANGES_OVERLAP = Text(en="This range overlaps the {other} range.",
                      fr="Cette plage chevauche la plage {other}.")
RANGE_NAMES = {"users": Text(en="users", fr="utilisateurs"),
               "groups": Text(en="groups", fr="groupes"),
               "services": Text(en="services", fr="services")}
EXTENSION_SHAPE = Text(en="An extension is {length} digits.",
                       fr="Un poste compte {length} chiffres.")
EXTENSION_OUT_OF_RANGE = Text(en="This extension is outside the range {first}-{last}.",
                              fr="Ce poste est hors de la plage {first}-{last}.")
EXTENSION_TAKEN = Text(en="This extension is already taken.", fr="Ce poste est déjà attribué.")
RANGE_FULL = Text(en="No free extension is left in the range {first}-{last}.",
                  fr="Il ne reste aucun poste libre dans la plage {first}-{last}.")
WRONG_USER = Text(en="No such user in this account.",
                  fr="Cet utilisateur n'appartient pas à ce compte.")
TRANSCRIPTION_METHOD = Text(en="Choose one of: {choices}.", fr="Choisissez parmi : {choices}.")
TRANSCRIPTION_EMAIL = Text(en="MyScribbit needs the email address of the user's MyScribbit "
                           "account.",
                           fr="MyScribbit exige l'adresse courriel du compte MyScribbit de "
                           "l'utilisateur.")
PIN_SHAPE = Text(en="A PIN is 4 to 10 digits.", fr="Un NIP compte de 4 à 10 chiffres.")
PIN_MISMATCH = Text(en="The confirmation differs from the PIN.",
                    fr="La confirmation ne correspond pas au NIP.")
NO_PIN_HOLDER = Text(en="This account has no user to give a PIN to.",
                     fr="Ce compte n'a aucun utilisateur à qui attribuer un NIP.")
SIP_USERNAME = Text(en="A SIP user name is 1 to 100 characters, without spaces.",
                    fr="Un nom d'utilisateur SIP compte de 1 à 100 caractères, sans espace.")
SIP_SECRET = Text(en="A SIP password is 8 to 128 characters.",
                  fr="Un mot de passe SIP compte de 8 à 128 caractères.")
CALLER_ID_NUMBER = Text(en="The number shown must be one of the account's own numbers.",
                        fr="Le numéro affiché doit être un des numéros du compte.")
NUMBER_DUPLICATE = Text(en="{number} is already in the pool.",
                        fr="Le {number} est déjà dans la banque.")
NUMBER_UNAVAILABLE = Text(en="{number} belongs to another pool of the platform: it cannot be "
                          "added to this one.",
                          fr="Le {number} appartient à une autre banque de la plateforme : il ne "
                          "peut pas être ajouté à celle-ci.")
NUMBER_DUPLICATE_RETRY = Text(en="Numbers of this file were added meanwhile: send it again.",
                              fr="Des numéros de ce fichier ont été ajoutés entre-temps : "
                              "envoyez-le de nouveau.")
NUMBER_DUPLICATE_IN_FILE = Text(en="{number} is already on line {line}.",
                                fr="Le {number} figure déjà à la ligne {line}.")
NUMBER_LETTERS = Text(en="Ignored: a number with letters.",
                      fr="Ignoré : un numéro contenant des lettres.")
NUMBER_INVALID = Text(en="Not a valid E.164 phone number (e.g. +1 (514) 555-1212).",
                      fr="Pas un numéro E.164 valide (p. ex. +1 (514) 555-1212).")
TOO_MANY_LINES = Text(en="At most {max} lines at a time.", fr="Au plus {max} lignes à la fois.")
NUMBER_IN_USE = Text(en="This number is assigned to an account: release it first.",
                     fr="Ce numéro est attribué à un compte : libérez-le d'abord.")
NUMBER_NOT_FREE = Text(en="This number is not free in the pool.",
                       fr="Ce numéro n'est pas libre dans la banque.")
NUMBER_NOT_ASSIGNED = Text(en="This number is not assigned to this account.",
                           fr="Ce numéro n'est pas attribué à ce compte.")
MAC_INVALID = Text(en="A MAC address is 12 hexadecimal digits (e.g. 00:04:F2:AB:CD:EF).",
                   fr="Une adresse MAC compte 12 chiffres hexadécimaux (p. ex. "
                   "00:04:F2:AB:CD:EF).")
MAC_TAKEN = Text(en="A device with this MAC address is already registered.",
                 fr="Un appareil avec cette adresse MAC est déjà enregistré.")
CONTACT_LIMIT = Text(en="The limit of {max} contacts is reached.",
                     fr="La limite de {max} contacts est atteinte.")
CONTACT_NEEDS_WAY = Text(en="A contact needs a phone number or an email address.",
                         fr="Un contact doit avoir un numéro de téléphone ou une adresse "
                         "courriel.")
CONTACT_OWNER = Text(en="Say whose personal contact this is (userId).",
                     fr="Indiquez à qui appartient ce contact personnel (userId).")
ADMIN_MANAGED = Text(en="This account is managed by your provider's administrator: ask them "
                     "for the change.",
                     fr="Ce compte est géré par l'administrateur de votre fournisseur : "
                     "demandez-lui la modification.")
MAILBOX_MEDIA = Text(en="This kind of file is not accepted here; accepted: {accepted}.",
                     fr="Ce type de fichier n'est pas accepté ici; acceptés : {accepted}.")
MAILBOX_CONTENT = Text(en="The file's content is not of the type declared ({type}).",
                       fr="Le contenu du fichier n'est pas du type déclaré ({type}).")
NO_NUMBER_AVAILABLE = Text(
    en="Not enough free numbers of this type and area code in the pool: {wanted} asked, {free} "
    "free. Choose another area code or fewer numbers.",
    fr="Pas assez de numéros libres de ce type et de cet indicatif régional dans la banque : "
    "{wanted} demandés, {free} libres. Choisissez un autre indicatif ou moins de numéros.")
NUMBER_TYPE = Text(en="The type is one of LOCAL, TOLL_FREE, INTERNATIONAL.",
                   fr="Le type est LOCAL, TOLL_FREE ou INTERNATIONAL.")
