"""The codes a chat mutation or query can refuse with, and every message (fr/en). No GraphQL:
the schema modules turn the codes into the ``ChatErrorCode`` enum."""

from __future__ import annotations

from enum import Enum

from gateway.api import Text


class ChatErrorCode(Enum):
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    NOT_FOUND = "NOT_FOUND"  # raised by shared helpers (node_pk, account_for) by this name
    NOT_PERMITTED = "NOT_PERMITTED"  # the system admin has not permitted chat
    INVALID_LANGUAGE = "INVALID_LANGUAGE"
    INVALID_TIME_ZONE = "INVALID_TIME_ZONE"
    INVALID_DAYS = "INVALID_DAYS"
    INVALID_TIME = "INVALID_TIME"
    INVALID_PERIOD = "INVALID_PERIOD"
    OVERLAP = "OVERLAP"
    TOO_MANY = "TOO_MANY"
    BUILT_IN = "BUILT_IN"


# Names of the built-in schedules, in the reader's language.
WORKING_HOURS_NAME = Text(en="Weekdays", fr="En semaine")
WEEKEND_NAME = Text(en="Weekend", fr="Weekend")
LUNCH_BREAK_NAME = Text(en="Lunch break", fr="Pause-repas")

SCHEDULE_NOT_FOUND = Text(en="No such chat schedule.", fr="Cet horaire de clavardage "
                          "n'existe pas.")
EVENT_NOT_FOUND = Text(en="No such special event.", fr="Cet événement spécial n'existe pas.")
RESELLER_NOT_FOUND = Text(en="No such reseller.", fr="Ce revendeur n'existe pas.")
RESELLER_REQUIRED = Text(en="Name the reseller.", fr="Indiquez le revendeur.")
NOT_PERMITTED = Text(
    en="Chat is not permitted for this reseller yet: contact the system administrator.",
    fr="Le clavardage n'est pas encore permis pour ce revendeur : communiquez avec "
       "l'administrateur-système.")
NAME_REQUIRED = Text(en="Give the schedule a name.", fr="Donnez un nom à l'horaire.")
NAME_TOO_LONG = Text(en="A name has at most {max} characters ({length} given).",
                     fr="Un nom compte au plus {max} caractères ({length} reçus).")
BAD_LANGUAGE = Text(en="The service language is fr or en, not {value}.",
                    fr="La langue du service est fr ou en, pas {value}.")
BAD_TIME_ZONE = Text(en="Unknown time zone: {value}.", fr="Fuseau horaire inconnu : {value}.")
NO_DAYS = Text(en="Pick at least one day of the week (or every day).",
               fr="Cochez au moins un jour de la semaine (ou tous les jours de la semaine).")
TOO_MANY_DAYS = Text(en="A day of the week is listed at most once.",
                     fr="Un jour de la semaine n'est indiqué qu'une fois.")
TIME_REQUIRED = Text(en="Give a start and an end time, or pick all day.",
                     fr="Entrez l'heure de début et de fin, ou cochez Toute la journée.")
BAD_TIME = Text(en="A time reads HH:MM (00:00 to 23:59), not {value}.",
                fr="Une heure s'écrit HH:MM (00:00 à 23:59), pas {value}.")
WHOLE_MINUTES = Text(en="Times are in whole minutes.",
                     fr="Les heures s'indiquent à la minute près.")
SAME_TIMES = Text(en="The start and end times are the same: pick all day for 24 hours.",
                  fr="L'heure de début et l'heure de fin sont identiques : cochez Toute la "
                     "journée pour 24 heures.")
OUT_OF_RANGE = Text(en="Pick a moment between the years {first} and {last}.",
                    fr="Choisissez un moment entre les années {first} et {last}.")
EVENT_ENDS_FIRST = Text(en="The event must end after it starts.",
                        fr="L'événement doit se terminer après son début.")
EVENT_TOO_LONG = Text(en="A special event lasts at most {max} days.",
                      fr="Un événement spécial dure au plus {max} jours.")
WEEKLY_OVERLAP = Text(
    en="These hours overlap the schedule “{other}” of the same kind ({service}).",
    fr="Ces heures chevauchent l'horaire « {other} » du même type ({service}).")
EVENT_OVERLAP = Text(en="This event overlaps the special event “{other}” ({service}).",
                     fr="Cet événement chevauche l'événement spécial « {other} » ({service}).")
TOO_MANY_SCHEDULES = Text(en="At most {max} custom schedules per language.",
                          fr="Au plus {max} horaires personnalisés par langue.")
TOO_MANY_EVENTS = Text(en="At most {max} special events per language.",
                       fr="Au plus {max} événements spéciaux par langue.")
BUILT_IN_KEPT = Text(
    en="The weekday and weekend schedules are kept: change their hours, or close them.",
    fr="Les horaires En semaine et Weekend sont conservés : modifiez leurs heures ou "
       "fermez-les.")
LUNCH_ONLY_ON_WORKING_HOURS = Text(
    en="A lunch break is added from the working-hours schedule.",
    fr="La pause-repas s'ajoute à partir de l'horaire des heures de travail.")
