"""The billing plugin's hook implementations (catalogue, reseller offers, subscriptions,
promotions, the billing cycle and statements; issue #16), and nothing else: the rules are in
the services modules, the GraphQL in the ``*_schema`` modules (imported inside the hooks that
need them, so that loading the plugin, its jobs and its commands never loads GraphQL)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gateway.api import (
    Account,
    Command,
    Context,
    Job,
    ModelApp,
    PeriodicJob,
    PluginHost,
    hookimpl,
)

from .config import PLUGIN_NAME, BillingConfig

if TYPE_CHECKING:
    from starlette.routing import BaseRoute
    from strawberry.dataloader import DataLoader

PACKAGE = __name__.rpartition(".")[0]


@hookimpl
def gateway_models(gateway: PluginHost) -> ModelApp:
    return ModelApp(label=PLUGIN_NAME, models=[f"{PACKAGE}.models",
                                                    f"{PACKAGE}.ledger_models"],
                    migrations=f"{PACKAGE}.migrations")


@hookimpl
def gateway_startup(gateway: PluginHost) -> None:
    gateway.config_for(PLUGIN_NAME, BillingConfig)


@hookimpl
def gateway_query(gateway: PluginHost) -> list[type]:
    from .cycle_schema import BillingCycleQuery
    from .offer_schema import OfferQuery

    return [OfferQuery, BillingCycleQuery]


@hookimpl
def gateway_mutation(gateway: PluginHost) -> list[type]:
    from .cycle_schema import BillingCycleMutation
    from .offer_schema import OfferMutation

    return [OfferMutation, BillingCycleMutation]


@hookimpl
def gateway_loaders(gateway: PluginHost, context: Context) -> Mapping[str, DataLoader[Any, Any]]:
    from .cycle_schema import loaders as cycle_loaders
    from .offer_schema import loaders

    return {**loaders(context), **cycle_loaders(context)}


@hookimpl
def gateway_provider(gateway: PluginHost, kind: str, name: str) -> object | None:
    """The clients plugin's invoice preview (priced lines, trial, promotion, taxes) and its
    sign-up "Abonnement" step (choices from the reseller's offer) and the public portal's
    priced offer (``signup_offer``); the built-in payment
    processor (``manual``: payments received outside the platform)."""
    if kind == "payment_processor":
        from .payments import builtin_processor

        return builtin_processor(name)
    if name != "default":
        return None
    if kind == "invoice_preview":
        from functools import partial

        from .preview import preview_lines

        # In the platform's default currency when the reseller never saved billing settings.
        config = gateway.config_for(PLUGIN_NAME, BillingConfig)
        return partial(preview_lines, default_currency=config.default_currency)
    if kind == "signup_subscription":
        from .subscriptions import check_signup_choice

        return check_signup_choice
    if kind == "signup_offer":  # the public subscription portal's plan and options
        from .subscriptions import signup_offer

        return signup_offer
    return None


@hookimpl
async def gateway_account_created(gateway: PluginHost, account: Account) -> None:
    from .subscriptions import on_account_created

    await on_account_created(account)


# ---- the cycle side (closing, statements, payments, history) ------------------------------

@hookimpl
def gateway_jobs(gateway: PluginHost) -> list[Job]:
    from .cycle_jobs import jobs

    return jobs()


@hookimpl
def gateway_periodic_jobs(gateway: PluginHost) -> list[PeriodicJob]:
    from .cycle_jobs import periodic_jobs

    return periodic_jobs()


@hookimpl
def gateway_commands(gateway: PluginHost) -> list[Command]:
    from .commands import billing_command

    return [billing_command]


@hookimpl
def gateway_email_templates(gateway: PluginHost) -> Path:
    return Path(__file__).resolve().parent / "templates" / "email"


@hookimpl
async def gateway_billing_history(gateway: PluginHost, account: Account) -> list[dict[str, Any]]:
    from .history import hook_entries

    return await hook_entries(account)


@hookimpl
def gateway_provider_names(gateway: PluginHost, kind: str) -> list[str] | None:
    from .payments import MANUAL, PROCESSOR_KIND

    return [MANUAL] if kind == PROCESSOR_KIND else None


@hookimpl
def gateway_routes(gateway: PluginHost) -> list[BaseRoute]:
    from .exports import routes

    return routes()
