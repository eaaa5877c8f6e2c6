"""Every hook a plugin may implement. Only ever append arguments to a hookspec.

Most hooks receive ``gateway``, the running :class:`gateway.plugins.PluginHost`, from which a
plugin reads its own settings (``gateway.config_for(name)``) and the process settings.
"""

from __future__ import annotations

from typing import Any

from pluggy import HookspecMarker

hookspec = HookspecMarker("gateway")


@hookspec
def gateway_models(gateway: Any) -> Any:
    """Return a ``ModelApp`` (Tortoise app label, model modules, migrations package) or None."""


@hookspec
def gateway_query(gateway: Any) -> Any:
    """Return a strawberry type (or a list of them) whose fields join the root Query."""


@hookspec
def gateway_mutation(gateway: Any) -> Any:
    """Return a strawberry type (or a list of them) whose fields join the root Mutation."""


@hookspec
def gateway_subscription(gateway: Any) -> Any:
    """Return a strawberry type (or a list of them) whose fields join the root Subscription."""


@hookspec
def gateway_types(gateway: Any) -> Any:
    """Return extra strawberry types to add to the schema (e.g. Node implementations)."""


@hookspec
def gateway_loaders(gateway: Any, context: Any) -> Any:
    """Return a dict of per-request DataLoaders, keyed by the name resolvers look them up by."""


@hookspec
def gateway_jobs(gateway: Any) -> Any:
    """Return ``Job`` definitions; each becomes a Dramatiq actor fed by the outbox."""


@hookspec
def gateway_periodic_jobs(gateway: Any) -> Any:
    """Return ``PeriodicJob`` definitions the scheduler enqueues on their interval."""


@hookspec
def gateway_routes(gateway: Any) -> Any:
    """Return Starlette routes (webhooks, downloads) mounted beside /graphql."""


@hookspec
def gateway_startup(gateway: Any) -> Any:
    """Run at start-up, after the database is ready; may return an awaitable."""


@hookspec
def gateway_shutdown(gateway: Any) -> Any:
    """Run at shut-down, before the database closes; may return an awaitable."""


@hookspec
def gateway_commands(gateway: Any) -> Any:
    """Return ``Command`` definitions added to the ``gateway`` CLI."""


@hookspec
def gateway_email_templates(gateway: Any) -> Any:
    """Return a folder holding ``<name>.<lang>.{subject,txt,html}`` email templates."""


@hookspec(firstresult=True)
def gateway_principal(gateway: Any, request: Any) -> Any:
    """Return the ``Principal`` who sent this request (session cookie, bearer token) or None."""


@hookspec(firstresult=True)
def gateway_provider(gateway: Any, kind: str, name: str) -> Any:
    """Return the provider of ``kind`` called ``name`` (e.g. a transcription engine), or None."""


@hookspec
def gateway_provider_names(gateway: Any, kind: str) -> Any:
    """Return the names of the providers of ``kind`` this plugin offers."""


@hookspec
def gateway_account_created(gateway: Any, account: Any) -> Any:
    """React to a new subscriber account, inside the transaction that created it."""


@hookspec
def gateway_account_unsubscribed(gateway: Any, account: Any) -> Any:
    """React to an account being unsubscribed (stop billing, deprovision), in its transaction."""


@hookspec
def gateway_account_reactivated(gateway: Any, account: Any) -> Any:
    """React to an unsubscribed account being reactivated by a system admin."""


@hookspec
def gateway_account_purged(gateway: Any, account_id: int) -> Any:
    """Remove what this plugin keeps for an account that is being purged for good."""


@hookspec
def gateway_demo_data(gateway: Any, size: str) -> Any:
    """Load this plugin's demo data (idempotent); ``size`` is small or large. May be async.

    Return lines to print for the person running ``gateway demo`` (e.g. demo logins), or None.
    """


@hookspec
def gateway_billing_history(gateway: Any, account: Any) -> Any:
    """Return the account's billing history lines (the portal's "Historique de facturation"):
    dicts with ``date`` (a date), ``description``, ``amount`` (Decimal) and ``currency``. May be
    async."""


@hookspec
def gateway_extension_references(gateway: Any, account_ids: Any, extensions: Any) -> Any:
    """Return warnings about what the accounts ``account_ids`` keep (groups, call-forwarding
    schedules…) that points at ``extensions`` (strings), which no longer reach anyone from
    them: called when an account leaves its organisation (un-affiliation), for the remaining
    accounts with the leaving one's extensions, and the reverse. Each warning is a dict with
    ``account_id``, ``extension``, ``kind`` (e.g. ``"GROUP"``) and ``message`` (a str or a
    ``gateway.i18n.Text``, shown in the reader's language). May be async; a failure is logged
    and reported as a warning naming the plugin."""
