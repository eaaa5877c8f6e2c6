"""The dashboard page's words, fr and en (``T[key].render(language, ...)``)."""

from __future__ import annotations

from gateway.api import Text

T: dict[str, Text] = {
    "title": Text(en="Call-center dashboard", fr="Tableau de bord du centre d'appels"),
    "sign_in": Text(en="Sign in", fr="Connexion"),
    "login": Text(en="Login id or email", fr="Identifiant ou courriel"),
    "password": Text(en="Password", fr="Mot de passe"),
    "sign_in_failed": Text(en="Sign-in failed; try again.",
                           fr="La connexion a échoué; réessayez."),
    "needs_script": Text(en="Signing in needs JavaScript (the page calls the gateway's login). "
                            "Once signed in, the dashboard's tables work without it.",
                         fr="La connexion demande JavaScript (la page appelle la connexion de la "
                            "passerelle). Une fois connecté, les tableaux du tableau de bord "
                            "fonctionnent sans lui."),
    "other_language": Text(en="Français", fr="English"),
    "filters": Text(en="Filters", fr="Filtres"),
    "account": Text(en="Account", fr="Compte client"),
    "choose_account": Text(en="Choose an account", fr="Choisissez un compte client"),
    "from": Text(en="From", fr="Du"),
    "to": Text(en="To", fr="Au"),
    "after": Text(en="Calls after (HH:MM)", fr="Appels après (HH:MM)"),
    "before": Text(en="Calls before (HH:MM)", fr="Appels avant (HH:MM)"),
    "weekdays": Text(en="Weekdays", fr="Jours de la semaine"),
    "agent": Text(en="Agent", fr="Agent"),
    "hold_longer_than": Text(en="Hold longer than (s)", fr="Temps d'attente > (s)"),
    "answer_delay_longer_than": Text(en="Answer delay longer than (s)",
                                     fr="Délai au temps de réponse > (s)"),
    "include_account_groups": Text(en="Include account groups (comma-separated)",
                                   fr="Inclure le(s) groupe(s) compte client (séparés par des "
                                      "virgules)"),
    "exclude_account_groups": Text(en="Exclude account groups", fr="Exclure le(s) groupe(s) "
                                   "compte client"),
    "include_distribution_groups": Text(en="Include distribution groups",
                                        fr="Inclure le(s) groupe(s) de distribution"),
    "exclude_distribution_groups": Text(en="Exclude distribution groups",
                                        fr="Exclure le(s) groupe(s) de distribution"),
    "show": Text(en="Show", fr="Afficher"),
    "summary": Text(en="The period", fr="La période"),
    "metric": Text(en="Metric", fr="Indicateur"),
    "value": Text(en="Value", fr="Valeur"),
    "percent": Text(en="Percent", fr="Pourcentage"),
    "by_hour": Text(en="Calls by hour of day", fr="Appels par heure de la journée"),
    "hour": Text(en="Hour", fr="Heure"),
    "inbound": Text(en="Inbound calls", fr="Appels entrants"),
    "answered": Text(en="Answered", fr="Répondus"),
    "abandoned": Text(en="Abandoned", fr="Abandonnés"),
    "answer_times": Text(en="Answer-time distribution", fr="Répartition des délais de réponse"),
    "wait": Text(en="Wait before answer", fr="Attente avant réponse"),
    "calls": Text(en="Answered calls", fr="Appels répondus"),
    "up_to": Text(en="up to {high} s", fr="jusqu'à {high} s"),
    "between": Text(en="{low} to {high} s", fr="de {low} à {high} s"),
    "over": Text(en="over {low} s", fr="plus de {low} s"),
    "abandon_rate": Text(en="Abandon rate by day", fr="Taux d'abandon par jour"),
    "day": Text(en="Day", fr="Jour"),
    "agent_calls": Text(en="Agent calls", fr="Appels agents"),
    "abandon_percent": Text(en="Abandoned (% of agent calls)",
                            fr="Abandonnés (% des appels agents)"),
    "agents": Text(en="Agents", fr="Agents"),
    "within_30s": Text(en="Answered within 30 s (%)", fr="Répondus en 30 s ou moins (%)"),
    "answer_wait": Text(en="Average answer wait (s)", fr="Attente moyenne avant réponse (s)"),
    "work_time": Text(en="Average work time (s)", fr="Durée moyenne de travail (s)"),
    "no_agent": Text(en="(none)", fr="(aucun)"),
    "more_agents": Text(en="Only the {count} busiest agents are shown.",
                        fr="Seuls les {count} agents les plus occupés sont affichés."),
    "live": Text(en="Refreshes by itself when calls are imported.",
                 fr="Se met à jour de lui-même quand des appels sont importés."),
    "updated": Text(en="Updated with the latest imported calls.",
                    fr="Mis à jour avec les derniers appels importés."),
    "not_found": Text(en="No such account among those you may see.",
                      fr="Aucun compte client de ce numéro parmi ceux que vous pouvez voir."),
    "forbidden": Text(en="The dashboard is for account administrators, professionals and "
                         "reseller staff.",
                      fr="Le tableau de bord est réservé aux administrateurs de compte, aux "
                         "professionnels et au personnel du revendeur."),
    "fix": Text(en="A filter cannot be used:", fr="Un filtre ne peut pas être utilisé :"),
    "bad_date": Text(en="Not a date (YYYY-MM-DD).", fr="Date invalide (AAAA-MM-JJ)."),
    "bad_number": Text(en="Not a number.", fr="Nombre invalide."),
    "bad_groups": Text(en="Group numbers separated by commas (at most 100).",
                       fr="Des numéros de groupe séparés par des virgules (100 au plus)."),
    "chart": Text(en="Chart of the table below", fr="Graphique du tableau ci-dessous"),
    "sign_out": Text(en="Sign out", fr="Déconnexion"),
}

WEEKDAY_NAMES: dict[str, tuple[str, ...]] = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
}
