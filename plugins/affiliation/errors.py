"""The affiliation area's error codes and messages (the ``AffiliationError`` type built from
them is in ``schema``)."""

from __future__ import annotations

from enum import Enum

from gateway.api import ACCOUNT_NOT_FOUND, Text  # noqa: F401  (the area's messages in one place)


class AffiliationErrorCode(Enum):
    NOT_FOUND = "NOT_FOUND"
    NOT_ALLOWED = "NOT_ALLOWED"
    WRONG_ACCOUNT_KIND = "WRONG_ACCOUNT_KIND"
    SELF_AFFILIATION = "SELF_AFFILIATION"
    ALREADY_AFFILIATED = "ALREADY_AFFILIATED"
    ORGANIZATION_AFFILIATED = "ORGANIZATION_AFFILIATED"
    ACCOUNT_IS_ORGANIZATION = "ACCOUNT_IS_ORGANIZATION"
    ACCOUNT_UNSUBSCRIBED = "ACCOUNT_UNSUBSCRIBED"
    NOT_AFFILIATED = "NOT_AFFILIATED"
    RANGE_FULL = "RANGE_FULL"
    PROPOSAL_REQUIRED = "PROPOSAL_REQUIRED"
    PROPOSAL_STALE = "PROPOSAL_STALE"


NO_SUCH_ORGANIZATION = Text(en="No such organisation among this reseller's accounts.",
                            fr="Aucune organisation de ce nom parmi les comptes de ce "
                            "revendeur.")
NOT_ALLOWED = Text(en="Only the reseller manages affiliations.",
                   fr="Seul le revendeur gère les affiliations.")
COMPANY_ONLY = Text(en="Only a company account can become an organisation.",
                    fr="Seul un compte d'entreprise peut devenir une organisation.")
SELF = Text(en="An account cannot be affiliated to itself.",
            fr="Un compte ne peut pas être affilié à lui-même.")
ALREADY_AFFILIATED = Text(en="This account is already affiliated to organisation {org_id}: "
                          "un-affiliate it first.",
                          fr="Ce compte est déjà affilié à l'organisation {org_id} : "
                          "désaffiliez-le d'abord.")
ORGANIZATION_AFFILIATED = Text(en="This account is itself affiliated to organisation "
                               "{org_id}: choose that organisation.",
                               fr="Ce compte est lui-même affilié à l'organisation {org_id} : "
                               "choisissez cette organisation.")
ACCOUNT_IS_ORGANIZATION = Text(en="This account is an organisation with affiliated accounts: "
                               "an organisation cannot join another.",
                               fr="Ce compte est une organisation ayant des comptes affiliés : "
                               "une organisation ne peut pas en rejoindre une autre.")
UNSUBSCRIBED = Text(en="This account is unsubscribed.", fr="Ce compte est désabonné.")
NOT_AFFILIATED = Text(en="This account is not affiliated to an organisation.",
                      fr="Ce compte n'est affilié à aucune organisation.")
RANGE_FULL = Text(en="No free extension is left in the range {first}-{last} for "
                  "extension {extension}.",
                  fr="Il ne reste aucun poste libre dans la plage {first}-{last} pour "
                  "remplacer le poste {extension}.")
PROPOSAL_REQUIRED = Text(en="Extensions clash with the organisation's: ask for the "
                         "affiliation proposal and accept it, or fix the clashes by hand.",
                         fr="Des postes entrent en conflit avec ceux de l'organisation : "
                         "demandez la proposition d'affiliation et acceptez-la, ou réglez les "
                         "conflits manuellement.")
PROPOSAL_STALE = Text(en="Extensions changed since this proposal: ask for a new one.",
                      fr="Des postes ont changé depuis cette proposition : demandez-en une "
                      "nouvelle.")
CHECK_FAILED = Text(en="The references of plugin {plugin} could not be checked.",
                    fr="Les références de l'extension {plugin} n'ont pas pu être vérifiées.")
