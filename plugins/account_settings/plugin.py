"""The account settings plugin (seeds: "Gérer les réglages d'un compte client", the FAQ's
"Téléphones"): the Options sections, extensions, phone numbers, devices and contacts.

Hook implementations only; the rules are in ``services``, ``settings``, ``extensions``,
``numbers``, ``devices``, ``contacts`` and ``mailbox``, the GraphQL in ``settings_schema``,
``numbers_schema``, ``directory_schema`` and ``mailbox_schema``.
"""

from __future__ import annotations

from collections.abc import Awaitable
from pathlib import Path

from starlette.routing import BaseRoute

from gateway.api import Account, ModelApp, PluginHost, hookimpl


@hookimpl
def gateway_models(gateway: PluginHost) -> ModelApp:
    return ModelApp(label="account_settings", models=["plugins.account_settings.models"],
                    migrations="plugins.account_settings.migrations")


@hookimpl
def gateway_query(gateway: PluginHost) -> list[type]:
    from plugins.account_settings.directory_schema import DirectoryQuery
    from plugins.account_settings.mailbox_schema import MailboxQuery
    from plugins.account_settings.numbers_schema import NumbersQuery
    from plugins.account_settings.ordering_schema import OrderingQuery
    from plugins.account_settings.settings_schema import SettingsQuery

    return [SettingsQuery, NumbersQuery, OrderingQuery, DirectoryQuery, MailboxQuery]


@hookimpl
def gateway_mutation(gateway: PluginHost) -> list[type]:
    from plugins.account_settings.directory_schema import DirectoryMutation
    from plugins.account_settings.mailbox_schema import MailboxMutation
    from plugins.account_settings.numbers_schema import NumbersMutation
    from plugins.account_settings.ordering_schema import OrderingMutation
    from plugins.account_settings.settings_schema import SettingsMutation

    return [SettingsMutation, NumbersMutation, OrderingMutation, DirectoryMutation,
            MailboxMutation]


@hookimpl
def gateway_email_templates(gateway: PluginHost) -> Path:
    return Path(__file__).resolve().parent / "templates"


@hookimpl
def gateway_routes(gateway: PluginHost) -> list[BaseRoute]:
    from plugins.account_settings.mailbox_routes import routes

    return routes()


@hookimpl
def gateway_startup(gateway: PluginHost) -> None:
    from plugins.account_settings.config import config_of

    config_of(gateway)  # parsed once: a bad key or value stops start-up, naming the plugin


@hookimpl
def gateway_provider(gateway: PluginHost, kind: str, name: str) -> object | None:
    """The ``number_pool`` provider: free numbers of a reseller's pool by type and area code,
    and ordering them for an account being signed up (see the README)."""
    if kind != "number_pool" or name != "default":
        return None
    from plugins.account_settings.ordering import NumberPool

    return NumberPool(gateway)


@hookimpl
def gateway_account_management_restricted(gateway: PluginHost, account: Account
                                          ) -> Awaitable[bool]:
    """Compte géré par l'administrateur (professional), Interdire la gestion des utilisateurs
    (company): the account's own users may not change its configuration."""
    from plugins.account_settings.services import management_restricted

    return management_restricted(account)


@hookimpl
def gateway_account_unsubscribed(gateway: PluginHost, account: Account) -> Awaitable[None]:
    """FAQ: when a subscriber closes the account, its numbers go back to the reseller's pool."""
    from plugins.account_settings.numbers import return_account_numbers

    async def give_back() -> None:
        await return_account_numbers(gateway, account)

    return give_back()


@hookimpl
def gateway_user_removed(gateway: PluginHost, account: Account, user_id: int
                         ) -> Awaitable[None]:
    """A deleted user's numbers ring the account again (and the PBX is told)."""
    from plugins.account_settings.ordering import ring_account_instead_of

    return ring_account_instead_of(gateway, account, user_id)


@hookimpl
def gateway_account_purged(gateway: PluginHost, account_id: int) -> Awaitable[None]:
    """The purge removes what this plugin keeps of the account (its numbers stay in the pool)."""
    from plugins.account_settings import mailbox
    from plugins.account_settings.services import forget_account

    async def forget() -> None:
        await mailbox.forget_account(gateway, account_id)
        await forget_account(account_id)

    return forget()
