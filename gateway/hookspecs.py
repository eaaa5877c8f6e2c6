"""Every hook a plugin may implement. Only ever append arguments to a hookspec.

Most hooks receive ``gateway``, the running :class:`gateway.plugins.PluginHost`, from which a
plugin reads its own settings (``gateway.config_for(name)``) and the process settings.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, TypeVar

from pluggy import HookspecMarker

if TYPE_CHECKING:
    import datetime as dt

    from starlette.requests import HTTPConnection
    from starlette.routing import BaseRoute
    from strawberry.dataloader import DataLoader

    from gateway.contributions import Command, Gateway, Job, ModelApp, PeriodicJob, Principal
    from gateway.identity.models import Account

hookspec = HookspecMarker("gateway")


class RequestContext(Protocol):
    """The per-request GraphQL context (:class:`gateway.context.Context`) as a DataLoader hook
    reads it."""

    @property
    def principal(self) -> Principal | None: ...

    @property
    def language(self) -> str: ...

T = TypeVar("T")
# What a hook contributing several things returns: one, a list or a tuple of them (exactly
# what the host flattens; any other iterable would count as one item), or None.
Some: TypeAlias = T | list[T] | tuple[T, ...] | None


@hookspec
def gateway_models(gateway: Gateway) -> Some[ModelApp]:
    """Return a ``ModelApp`` (Tortoise app label, model modules, migrations package) or None."""


@hookspec
def gateway_query(gateway: Gateway) -> Some[type]:
    """Return a strawberry type (or a list of them) whose fields join the root Query."""


@hookspec
def gateway_mutation(gateway: Gateway) -> Some[type]:
    """Return a strawberry type (or a list of them) whose fields join the root Mutation."""


@hookspec
def gateway_subscription(gateway: Gateway) -> Some[type]:
    """Return a strawberry type (or a list of them) whose fields join the root Subscription."""


@hookspec
def gateway_types(gateway: Gateway) -> Some[type]:
    """Return extra strawberry types to add to the schema (e.g. Node implementations)."""


@hookspec
def gateway_loaders(
    gateway: Gateway, context: RequestContext
) -> Mapping[str, DataLoader[Any, Any]] | None:
    """Return a dict of per-request DataLoaders, keyed by the name resolvers look them up by."""


@hookspec
def gateway_jobs(gateway: Gateway) -> Some[Job]:
    """Return ``Job`` definitions; each becomes a Dramatiq actor fed by the outbox."""


@hookspec
def gateway_periodic_jobs(gateway: Gateway) -> Some[PeriodicJob]:
    """Return ``PeriodicJob`` definitions the scheduler enqueues on their interval."""


@hookspec
def gateway_routes(gateway: Gateway) -> Some[BaseRoute]:
    """Return Starlette routes (webhooks, downloads) mounted beside /graphql."""


@hookspec
def gateway_startup(gateway: Gateway) -> Awaitable[None] | None:
    """Run at start-up, after the database is ready; may return an awaitable."""


@hookspec
def gateway_shutdown(gateway: Gateway) -> Awaitable[None] | None:
    """Run at shut-down, before the database closes; may return an awaitable."""


@hookspec
def gateway_commands(gateway: Gateway) -> Some[Command]:
    """Return ``Command`` definitions added to the ``gateway`` CLI."""


@hookspec
def gateway_email_templates(gateway: Gateway) -> Path | None:
    """Return a folder holding ``<name>.<lang>.{subject,txt,html}`` email templates."""


@hookspec(firstresult=True)
def gateway_principal(
    gateway: Gateway, request: HTTPConnection
) -> Principal | Awaitable[Principal | None] | None:
    """Return the ``Principal`` who sent this request (session cookie, bearer token) or None."""


@hookspec
def gateway_capabilities(
    gateway: Gateway, principal: Principal
) -> Awaitable[Iterable[str]] | Iterable[str] | None:
    """Return the names of the features this plugin makes available to the signed-in
    ``principal``, e.g. ``"VOIP"`` (issue #18: ``me`` tells a user whether VoIP is available to
    them). ``Me.capabilities`` lists every plugin's, de-duplicated and sorted. May be async; a
    plugin that raises is logged and its capabilities left out, never breaking ``me``."""


@hookspec(firstresult=True)
def gateway_provider(gateway: Gateway, kind: str, name: str) -> object | None:
    """Return the provider of ``kind`` called ``name`` (e.g. a transcription engine), or None."""


@hookspec
def gateway_provider_names(gateway: Gateway, kind: str) -> Iterable[str] | None:
    """Return the names of the providers of ``kind`` this plugin offers."""


@hookspec
def gateway_account_created(gateway: Gateway, account: Account) -> Awaitable[None] | None:
    """React to a new subscriber account, inside the transaction that created it."""


@hookspec
def gateway_account_unsubscribed(
    gateway: Gateway, account: Account
) -> Awaitable[None] | None:
    """React to an account being unsubscribed (stop billing, deprovision), in its transaction."""


@hookspec
def gateway_account_reactivated(
    gateway: Gateway, account: Account
) -> Awaitable[None] | None:
    """React to an unsubscribed account being reactivated by a system admin."""


@hookspec
def gateway_account_management_restricted(
    gateway: Gateway, account: Account
) -> Awaitable[bool] | bool | None:
    """True when the reseller's "Restrictions de gestion du compte" forbid the account's own
    users to change its configuration (a professional account "géré par l'administrateur", a
    company whose reseller chose "Interdire la gestion des utilisateurs"); the reseller's staff
    still can. Plugins offering self-service (plans, numbers...) ask before a subscriber's
    change."""


@hookspec
def gateway_phone_number_assigned(
    gateway: Gateway, account: Account, number: str, user_id: int | None
) -> Awaitable[None] | None:
    """React to the phone number ``number`` (E.164) of the reseller's pool being assigned to
    ``account`` (and to its user ``user_id``, or to the account as a whole), inside the
    transaction that assigns it: e.g. provision it on the PBX and the carrier (the seed's
    "ravitaillement"). Called again when a number changes users."""


@hookspec
def gateway_phone_number_released(
    gateway: Gateway, account: Account, number: str
) -> Awaitable[None] | None:
    """React to the phone number ``number`` (E.164) leaving ``account`` for the reseller's pool
    (released by staff or the account's admin, or on unsubscription), inside that transaction."""


@hookspec
def gateway_user_removed(gateway: Gateway, account: Account, user_id: int
                         ) -> Awaitable[None] | None:
    """React to the user ``user_id`` of ``account`` being deleted, inside the deleting
    transaction and before the user's row goes (or loses its details): e.g. a number that rang
    the user rings the account as a whole again, and the PBX is told."""


@hookspec
def gateway_account_purged(gateway: Gateway, account_id: int) -> Awaitable[None] | None:
    """Remove what this plugin keeps for an account that is being purged for good."""


@hookspec
def gateway_provision(gateway: Gateway, operation: Any) -> Awaitable[None] | None:
    """Carry out one provisioning operation on a PBX or a carrier (the seeds'
    "ravitaillement"); implemented by PBX and carrier plugins, called by the provisioning
    plugin's job, outside any request, once per implementation (recorded under the plugin's
    name). ``operation`` (``plugins.provisioning.api.ProvisioningOperation``) has ``id`` (the
    idempotency key: the same on every retry), ``kind`` (ACCOUNT_CREATED, NUMBER_ASSIGNED,
    NUMBER_RELEASED, ACCOUNT_UNSUBSCRIBED, ACCOUNT_REACTIVATED, ACCOUNT_PURGED),
    ``account_number``, ``reseller_id``, the reseller's ``phone_system`` and ``provider``,
    ``number`` (E.164), ``user_id``, ``snapshot`` (name, kind, language, time_zone…) and
    ``attempt``. Return (or an awaitable that returns) when done, including when the
    operation is not for this plugin's phone system; raise to fail: the operation is retried
    with backoff, in order with the account's others, then shown as FAILED on the account."""


@hookspec
def gateway_demo_data(
    gateway: Gateway, size: str
) -> Some[str] | Awaitable[Some[str]]:
    """Load this plugin's demo data (idempotent); ``size`` is small or large. May be async.

    Return lines to print for the person running ``gateway demo`` (e.g. demo logins), or None.
    """


@hookspec
def gateway_billing_history(
    gateway: Gateway, account: Account
) -> Iterable[dict[str, Any]] | Awaitable[Iterable[dict[str, Any]]] | None:
    """Return the account's billing history lines (the portal's "Historique de facturation"):
    dicts with ``date`` (a date), ``description``, ``amount`` (Decimal) and ``currency``. May be
    async."""


@hookspec
def gateway_extension_references(
    gateway: Gateway, account_ids: list[int], extensions: list[str]
) -> Iterable[dict[str, Any]] | Awaitable[Iterable[dict[str, Any]]] | None:
    """Return warnings about what the accounts ``account_ids`` keep (groups, call-forwarding
    schedules…) that points at ``extensions`` (strings), which no longer reach anyone from
    them: called when an account leaves its organisation (un-affiliation), for the remaining
    accounts with the leaving one's extensions, and the reverse. Each warning is a dict with
    ``account_id``, ``extension``, ``kind`` (e.g. ``"GROUP"``) and ``message`` (a str or a
    ``gateway.i18n.Text``, shown in the reader's language). May be async; a failure is logged
    and reported as a warning naming the plugin."""


@hookspec
def gateway_billable_usage(
    gateway: Gateway, account_ids: list[int], start: dt.date, end: dt.date
) -> Iterable[dict[str, Any]] | Awaitable[Iterable[dict[str, Any]]] | None:
    """Return the usage the accounts ``account_ids`` made from the day ``start`` to the day
    ``end`` (``datetime.date``, both included, each account's local days): the billing cycle
    being closed or previewed. Each item is a dict with ``account_id``, ``unit`` (the usage
    key a plan may include, e.g. ``"CALL_MINUTES"``), ``quantity`` (a ``Decimal``) and
    ``description`` (a str or a ``gateway.i18n.Text``); items of one account and unit are
    added up. Read only:
    the billing plugin prices what exceeds the plan and, once the cycle is closed, calls
    ``gateway_billable_usage_billed``. An item with ``"late": True`` is usage of earlier days
    that was not there when their cycle closed, billed now as late usage (report it with every
    ``start`` of the cycle; it counts once). May be async."""


@hookspec
def gateway_billable_usage_billed(
    gateway: Gateway, account_ids: list[int], start: dt.date, end: dt.date
) -> Awaitable[None] | None:
    """Record that the usage of ``account_ids`` from ``start`` to ``end`` (dates, included) is
    on a closed statement (e.g. the call-center plugin's "Appels facturables" then lists those
    calls). Called once per closed cycle and account batch, possibly again after a crash:
    must be idempotent. It is called before ``gateway_billable_usage`` is read for the close,
    in the same transaction: record what you will report (e.g. the highest id), so that usage
    arriving meanwhile is billed by this close or the next, never both. May be async."""


@hookspec
def gateway_voicemail_received(
    gateway: Gateway, message_id: int, account_id: int, user_id: int
) -> bool | Awaitable[bool | None] | None:
    """React to a voicemail kept for user ``user_id`` of account ``account_id`` (the account
    settings plugin's mailbox message ``message_id``), inside the transaction that stores it
    (e.g. enqueue its transcription). Return True to take over the user's email copy of the
    voicemail: the mailbox then does not send it, and the plugin sends it later (with the
    transcript) through the account settings plugin's ``api.send_voicemail_copy``. May be
    async."""
