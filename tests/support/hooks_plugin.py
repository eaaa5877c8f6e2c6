"""A test plugin implementing every hookspec; each implementation records that the host called it.

tests/gateway/test_hookspecs.py drives each hook through the host's real code path and reads
``calls``. (Models live in :mod:`tests.support.models_plugin`, so that hosts using this plugin
need no extra table.)
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Any

import strawberry
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from strawberry.dataloader import DataLoader

from gateway.contributions import Command, Job, PeriodicJob, Principal
from gateway.hookimpl import hookimpl
from schema.permissions import ANONYMOUS, allow

PLUGIN_NAME = "hooks"
PRINCIPAL_HEADER = "x-hooks-probe"
TEMPLATES = Path(__file__).resolve().parent / "hook_templates"

calls: list[tuple[str, dict[str, Any]]] = []


def called(hook: str) -> list[dict[str, Any]]:
    """The arguments of every recorded call of ``hook``, oldest first."""
    return [arguments for name, arguments in calls if name == hook]


def _record(hook: str, **arguments: Any) -> None:
    calls.append((hook, arguments))


@strawberry.type(description="A type added through gateway_types by the hooks test plugin.")
class HooksProbeType:
    label: str


@strawberry.type
class HooksQuery:
    @strawberry.field(extensions=allow(ANONYMOUS))
    def hooks_probe(self) -> str:
        return "query probe"

    @strawberry.field(extensions=allow(ANONYMOUS))
    async def hooks_loaded(self, info: strawberry.Info, key: str) -> str:
        return await info.context.loaders["hooks_probe"].load(key)


@strawberry.type
class HooksMutation:
    @strawberry.mutation(extensions=allow(ANONYMOUS))
    def hooks_touch(self, label: str) -> str:
        return f"touched {label}"


@strawberry.type
class HooksSubscription:
    @strawberry.subscription(extensions=allow(ANONYMOUS))
    async def hooks_ticks(self, count: int) -> AsyncGenerator[int, None]:
        for n in range(count):
            yield n


class ProbeProvider:
    """A provider of kind ``probe`` (a stand-in for, e.g., a transcription engine)."""

    name = "probe-engine"


async def _job(payload: dict[str, Any]) -> None:
    _record("job handler", payload=payload)


async def _route(request: Request) -> PlainTextResponse:
    return PlainTextResponse("route probe")


def _run_command(host: Any, args: argparse.Namespace) -> int:
    _record("command run", host=host, times=args.times)
    return 0


def _configure_command(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--times", type=int, default=1)


@hookimpl
def gateway_query(gateway: Any) -> Any:
    _record("gateway_query", gateway=gateway)
    return HooksQuery


@hookimpl
def gateway_mutation(gateway: Any) -> Any:
    _record("gateway_mutation", gateway=gateway)
    return HooksMutation


@hookimpl
def gateway_subscription(gateway: Any) -> Any:
    _record("gateway_subscription", gateway=gateway)
    return HooksSubscription


@hookimpl
def gateway_types(gateway: Any) -> Any:
    _record("gateway_types", gateway=gateway)
    return [HooksProbeType]


@hookimpl
def gateway_loaders(gateway: Any, context: Any) -> Any:
    _record("gateway_loaders", gateway=gateway, context=context)

    async def load(keys: list[str]) -> list[str]:
        _record("loader batch", keys=list(keys))
        return [key.upper() for key in keys]

    return {"hooks_probe": DataLoader(load_fn=load)}


@hookimpl
def gateway_jobs(gateway: Any) -> Any:
    _record("gateway_jobs", gateway=gateway)
    return [Job(name="hooks.probe", handler=_job)]


@hookimpl
def gateway_periodic_jobs(gateway: Any) -> Any:
    _record("gateway_periodic_jobs", gateway=gateway)
    return [PeriodicJob(name="hooks.every-hour", job="hooks.probe", every_seconds=3600)]


@hookimpl
def gateway_routes(gateway: Any) -> Any:
    _record("gateway_routes", gateway=gateway)
    return [Route("/hooks-probe", _route)]


@hookimpl
async def gateway_startup(gateway: Any) -> None:
    # A coroutine: the host must await it, not merely call it.
    _record("gateway_startup", gateway=gateway)


@hookimpl
def gateway_shutdown(gateway: Any) -> Any:
    async def later() -> None:
        _record("gateway_shutdown", gateway=gateway)

    # An awaitable returned by a plain function is awaited too.
    return later()


@hookimpl
def gateway_commands(gateway: Any) -> Any:
    _record("gateway_commands", gateway=gateway)
    return [Command(name="hooks-probe", help="Record a call (tests).", run=_run_command,
                    configure=_configure_command)]


@hookimpl
def gateway_email_templates(gateway: Any) -> Any:
    _record("gateway_email_templates", gateway=gateway)
    return TEMPLATES


@hookimpl
def gateway_principal(gateway: Any, request: Any) -> Any:
    value = request.headers.get(PRINCIPAL_HEADER)
    if not value:
        return None  # let other plugins (the real sign-in) answer
    _record("gateway_principal", gateway=gateway, request=request)
    return Principal(role=value, user_id=42, language="fr")


@hookimpl
async def gateway_capabilities(gateway: Any, principal: Any) -> Any:
    _record("gateway_capabilities", gateway=gateway, principal=principal)
    return ["VOIP", "HOOKS_PROBE"]


@hookimpl
def gateway_provider(gateway: Any, kind: str, name: str) -> Any:
    _record("gateway_provider", gateway=gateway, kind=kind, name=name)
    if kind == "probe" and name == ProbeProvider.name:
        return ProbeProvider()
    return None


@hookimpl
def gateway_provider_names(gateway: Any, kind: str) -> Any:
    _record("gateway_provider_names", gateway=gateway, kind=kind)
    return [ProbeProvider.name] if kind == "probe" else []


@hookimpl
def gateway_account_created(gateway: Any, account: Any) -> Any:
    _record("gateway_account_created", gateway=gateway, account=account)


@hookimpl
async def gateway_account_unsubscribed(gateway: Any, account: Any) -> Any:
    _record("gateway_account_unsubscribed", gateway=gateway, account=account)


@hookimpl
def gateway_account_reactivated(gateway: Any, account: Any) -> Any:
    _record("gateway_account_reactivated", gateway=gateway, account=account)


@hookimpl
async def gateway_account_purged(gateway: Any, account_id: int) -> Any:
    _record("gateway_account_purged", gateway=gateway, account_id=account_id)


@hookimpl
async def gateway_account_management_restricted(gateway: Any, account: Any) -> Any:
    _record("gateway_account_management_restricted", gateway=gateway, account=account)
    return getattr(account, "restricted", None)


@hookimpl
async def gateway_demo_data(gateway: Any, size: str) -> Any:
    _record("gateway_demo_data", gateway=gateway, size=size)
    return [f"hooks demo data loaded (size={size})"]


@hookimpl
async def gateway_billing_history(gateway: Any, account: Any) -> Any:
    import datetime as dt
    from decimal import Decimal

    _record("gateway_billing_history", gateway=gateway, account=account)
    return [{"date": dt.date(2026, 1, 1), "description": "probe line",
             "amount": Decimal("1.50"), "currency": "CAD"}]


@hookimpl
async def gateway_extension_references(gateway: Any, account_ids: Any, extensions: Any) -> Any:
    _record("gateway_extension_references", gateway=gateway, account_ids=account_ids,
            extensions=extensions)
    return [{"account_id": account_ids[0], "extension": extensions[0], "kind": "GROUP",
             "message": "probe group"}]


@hookimpl
async def gateway_billable_usage(gateway: Any, account_ids: Any, start: Any, end: Any) -> Any:
    from decimal import Decimal

    _record("gateway_billable_usage", gateway=gateway, account_ids=account_ids, start=start,
            end=end)
    return [{"account_id": account_ids[0], "unit": "PROBE_UNITS", "quantity": Decimal("2.5"),
             "description": "probe usage"}]


@hookimpl
def gateway_billable_usage_billed(gateway: Any, account_ids: Any, start: Any, end: Any) -> None:
    _record("gateway_billable_usage_billed", gateway=gateway, account_ids=account_ids,
            start=start, end=end)


@hookimpl
async def gateway_voicemail_received(gateway: Any, message_id: Any, account_id: Any,
                                     user_id: Any) -> bool:
    _record("gateway_voicemail_received", gateway=gateway, message_id=message_id,
            account_id=account_id, user_id=user_id)
    return True


@hookimpl
async def gateway_phone_number_assigned(gateway: Any, account: Any, number: Any,
                                        user_id: Any) -> None:
    _record("gateway_phone_number_assigned", gateway=gateway, account=account, number=number,
            user_id=user_id)


@hookimpl
async def gateway_phone_number_released(gateway: Any, account: Any, number: Any) -> None:
    _record("gateway_phone_number_released", gateway=gateway, account=account, number=number)


@hookimpl
async def gateway_user_removed(gateway: Any, account: Any, user_id: Any) -> None:
    _record("gateway_user_removed", gateway=gateway, account=account, user_id=user_id)


@hookimpl
async def gateway_provision(gateway: Any, operation: Any) -> None:
    _record("gateway_provision", gateway=gateway, operation=operation)
