"""Error codes of the provisioning plugin and every message a person reads, in en and fr."""

from __future__ import annotations

from enum import Enum

from gateway.api import Text


class ProvisioningErrorCode(Enum):
    NOT_FOUND = "NOT_FOUND"
    NOTHING_TO_RETRY = "NOTHING_TO_RETRY"


ACCOUNT_NOT_FOUND = Text(en="No such account among those you manage.",
                         fr="Aucun compte de ce numéro parmi ceux que vous gérez.")
NOTHING_TO_RETRY = Text(en="No provisioning operation of this account has failed: there is "
                        "nothing to retry.",
                        fr="Aucune opération de ravitaillement de ce compte n'a échoué : il n'y "
                        "a rien à relancer.")

# Why an operation is not done yet, as stored on it.
PROVISIONER_FAILED = Text(en="{provisioner} failed: {error}",
                          fr="{provisioner} a échoué : {error}")
TIMED_OUT = Text(en="no answer within {seconds} seconds",
                 fr="aucune réponse en {seconds} secondes")
WAITING_FOR_EARLIER = Text(
    en="Waiting for the account's earlier operation {kind} ({key}), which has not gone "
    "through: operations are delivered in order.",
    fr="En attente de l'opération précédente du compte, {kind} ({key}), qui n'est pas passée : "
    "les opérations sont livrées dans l'ordre.")

# What the built-in recorder writes down: what a real PBX or carrier would have been told.
KIND_NAMES = {"COMPANY": Text(en="company", fr="compagnie"),
              "PROFESSIONAL": Text(en="professional", fr="professionnel")}
SOME_PHONE_SYSTEM = Text(en="the phone system", fr="le système téléphonique")
SOME_CARRIER = Text(en="the carrier", fr="le fournisseur téléphonique")
RECEPTIONIST = Text(en="the receptionist of account {account}",
                    fr="la réceptionniste du compte {account}")
USER = Text(en="{user_name} (extension {extension}) of account {account}",
            fr="{user_name} (poste {extension}) du compte {account}")
USER_NO_EXTENSION = Text(en="{user_name} of account {account}",
                         fr="{user_name} du compte {account}")
RECORDED = {
    "ACCOUNT_CREATED": Text(
        en="Create account {account} “{name}” ({kind}, language {lang}, time zone "
        "{time_zone}) on {phone_system}.",
        fr="Créer le compte {account} « {name} » ({kind}, langue {lang}, fuseau horaire "
        "{time_zone}) sur {phone_system}."),
    "NUMBER_ASSIGNED": Text(
        en="Route {number} to {target} on {phone_system}; keep the number with {provider}.",
        fr="Acheminer {number} vers {target} sur {phone_system}; conserver le numéro chez "
        "{provider}."),
    "NUMBER_RELEASED": Text(
        en="Stop routing {number} to account {account} on {phone_system}; return the number "
        "to {provider}.",
        fr="Ne plus acheminer {number} vers le compte {account} sur {phone_system}; retourner "
        "le numéro à {provider}."),
    "ACCOUNT_UNSUBSCRIBED": Text(
        en="Deactivate account {account} “{name}” on {phone_system} (unsubscribed).",
        fr="Désactiver le compte {account} « {name} » sur {phone_system} (désabonné)."),
    "ACCOUNT_REACTIVATED": Text(
        en="Reactivate account {account} “{name}” on {phone_system}.",
        fr="Réactiver le compte {account} « {name} » sur {phone_system}."),
    "ACCOUNT_PURGED": Text(
        en="Delete account {account} from {phone_system} for good (purged).",
        fr="Supprimer pour de bon le compte {account} de {phone_system} (purgé)."),
}
