"""Every hookspec is documented and exercised (datasette's meta-test).

Each test below drives one or more hooks through the host's real code path (schema build, app
lifespan, job runtime, CLI parser, per-request context...) with the implementations of
:mod:`tests.support.hooks_plugin`, which record their calls, and declares what it covers with
``@covers``. The meta-test then fails when a hookspec has no such test, so a new hook cannot be
added without one.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from gateway import db, hookspecs
from gateway.cli import build_parser
from gateway.jobs import enqueue
from gateway.jobs.runtime import JobRuntime
from gateway.jobs.scheduler import schedule_due
from gateway.models import OutboxJob
from gateway.plugins import PluginHost, PluginSpec
from gateway.settings import Settings
from tests.conftest import ROOT, Gateway, make_settings, start_gateway
from tests.support import hooks_plugin, models_plugin

F = TypeVar("F", bound=Callable[..., Any])

COVERED: dict[str, str] = {}


def covers(*hooks: str) -> Callable[[F], F]:
    """Declare that the decorated test calls ``hooks`` through the host and checks the calls."""

    def mark(test: F) -> F:
        for hook in hooks:
            COVERED.setdefault(hook, test.__name__)
        return test

    return mark


def hookspec_names() -> set[str]:
    return {
        name for name, value in vars(hookspecs).items()
        if callable(value) and hasattr(value, "gateway_spec")
    }


HOOKS = PluginSpec(name=hooks_plugin.PLUGIN_NAME, module="tests.support.hooks_plugin",
                   source="built in")


def hooks_host(settings: Settings) -> PluginHost:
    return PluginHost(settings, specs=[HOOKS])


@pytest.fixture(autouse=True)
def _fresh_calls() -> None:
    hooks_plugin.calls.clear()


@pytest.fixture
async def hooks_gateway(migrated: str, tmp_path: Path) -> AsyncIterator[Gateway]:
    settings = make_settings(migrated, tmp_path)
    async for running in start_gateway(
        settings, host=hooks_host(settings),
        job_options={"relay_interval": 0.05, "in_process_workers": True},
    ):
        yield running


async def wait_until(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


# --- the meta-tests ---------------------------------------------------------------------------


def test_every_hookspec_has_a_docstring() -> None:
    undocumented = sorted(
        name for name in hookspec_names()
        if len(inspect.getdoc(getattr(hookspecs, name)) or "") < 20
    )
    assert undocumented == [], f"hookspecs without a docstring: {undocumented}"


def test_every_hookspec_is_exercised_by_a_test() -> None:
    names = hookspec_names()
    untested = sorted(names - set(COVERED))
    assert untested == [], (
        f"hookspecs no test exercises: {untested}; add a test to tests/gateway/test_hookspecs.py "
        "that calls the hook through the host and decorate it with @covers(...)"
    )
    assert sorted(set(COVERED) - names) == [], "@covers names a hook that is not a hookspec"
    # Each covering test is one pytest collects from this module.
    module = sys.modules[__name__]
    assert all(name.startswith("test_") and callable(getattr(module, name))
               for name in COVERED.values())


def test_the_test_plugins_implement_every_hookspec() -> None:
    implemented = {
        name for plugin in (hooks_plugin, models_plugin) for name in dir(plugin)
        if hasattr(getattr(plugin, name), "gateway_impl")
    }
    assert implemented == hookspec_names()


# --- schema hooks ---------------------------------------------------------------------------


@covers("gateway_query", "gateway_mutation", "gateway_subscription", "gateway_types")
async def test_schema_hooks_compose_the_schema(hooks_gateway: Gateway) -> None:
    host = hooks_gateway.app.state.host
    for hook in ("gateway_query", "gateway_mutation", "gateway_subscription", "gateway_types"):
        assert [call["gateway"] for call in hooks_plugin.called(hook)][:1] == [host], hook

    assert await hooks_gateway.graphql("{ hooksProbe }") == {"data": {"hooksProbe": "query probe"}}
    assert await hooks_gateway.graphql('mutation { hooksTouch(label: "x") }') == {
        "data": {"hooksTouch": "touched x"}
    }
    schema = hooks_gateway.app.state.schema
    assert "type HooksProbeType {" in schema.as_str()
    # The core's roots come first, the plugin's after them.
    query_fields = list(schema.get_type_by_name("Query").fields)
    assert query_fields.index(
        next(f for f in query_fields if f.python_name == "node")
    ) < query_fields.index(next(f for f in query_fields if f.python_name == "hooks_probe"))

    subscription = await schema.subscribe(
        "subscription { hooksTicks(count: 3) }",
        context_value=_anonymous_context(host),
    )
    ticks = [result.data["hooksTicks"] async for result in subscription]
    assert ticks == [0, 1, 2]


def _anonymous_context(host: PluginHost) -> Any:
    from types import SimpleNamespace

    return SimpleNamespace(principal=None, language="en", request_id="test", host=host)


@covers("gateway_loaders")
async def test_loaders_are_built_per_request_and_batch(hooks_gateway: Gateway) -> None:
    query = '{ a: hooksLoaded(key: "x") b: hooksLoaded(key: "y") }'
    assert await hooks_gateway.graphql(query) == {"data": {"a": "X", "b": "Y"}}
    assert [call["keys"] for call in hooks_plugin.called("loader batch")] == [["x", "y"]]
    await hooks_gateway.graphql(query)
    built = hooks_plugin.called("gateway_loaders")
    assert len(built) == 2 and built[0]["context"] is not built[1]["context"]
    assert built[0]["gateway"] is hooks_gateway.app.state.host


# --- jobs, routes, lifespan -------------------------------------------------------------------


@covers("gateway_jobs")
async def test_jobs_hook_declares_an_actor_fed_by_the_outbox(hooks_gateway: Gateway) -> None:
    runtime: JobRuntime = hooks_gateway.app.state.jobs
    assert "hooks.probe" in runtime.actors
    row = await enqueue("hooks.probe", {"n": 7})
    assert row is not None

    def ours() -> list[dict[str, Any]]:
        # The scheduler may also have run the periodic job (a payload with a slot).
        return [c["payload"] for c in hooks_plugin.called("job handler") if "n" in c["payload"]]

    await wait_until(lambda: bool(ours()))
    assert ours() == [{"n": 7, "outbox_id": row.id}]


@covers("gateway_periodic_jobs")
async def test_periodic_jobs_hook_feeds_the_scheduler(hooks_gateway: Gateway) -> None:
    runtime: JobRuntime = hooks_gateway.app.state.jobs
    assert [p.name for p in runtime.periodic if p.name.startswith("hooks.")] == [
        "hooks.every-hour"
    ]
    assert await schedule_due(runtime.periodic, now=3600.0 * 500) >= 1
    assert await OutboxJob.filter(dedupe_key="periodic:hooks.every-hour:500", job="hooks.probe"
                                  ).count() == 1


@covers("gateway_routes")
async def test_routes_hook_mounts_routes(hooks_gateway: Gateway) -> None:
    response = await hooks_gateway.client.get("/hooks-probe")
    assert response.status_code == 200 and response.text == "route probe"
    assert hooks_plugin.called("gateway_routes")[0]["gateway"] is hooks_gateway.app.state.host


@covers("gateway_startup", "gateway_shutdown")
async def test_startup_and_shutdown_hooks_run_with_the_lifespan(
    migrated: str, tmp_path: Path
) -> None:
    settings = make_settings(migrated, tmp_path)
    host = hooks_host(settings)
    async for running in start_gateway(settings, host=host, run_jobs=False):
        assert [c["gateway"] for c in hooks_plugin.called("gateway_startup")] == [host]
        assert hooks_plugin.called("gateway_shutdown") == []
        assert running.app.state.host is host
    assert [c["gateway"] for c in hooks_plugin.called("gateway_shutdown")] == [host]


# --- CLI, email, identity, providers ------------------------------------------------------------


@covers("gateway_commands")
def test_commands_hook_adds_cli_subcommands(settings: Settings) -> None:
    host = hooks_host(settings)
    args = build_parser(host).parse_args(["hooks-probe", "--times", "3"])
    assert args.plugin == hooks_plugin.PLUGIN_NAME
    assert args.func(args) == 0
    assert hooks_plugin.called("command run") == [{"host": host, "times": 3}]


@covers("gateway_email_templates")
def test_email_templates_hook_adds_a_template_folder(settings: Settings) -> None:
    from gateway.email.templates import render_email, template_folders

    host = hooks_host(settings)
    folders = template_folders(host)
    assert folders[-1] == hooks_plugin.TEMPLATES
    rendered = render_email(folders, "hooks_probe", "fr", {"name": "Ada"})
    assert rendered.subject.strip() == "Sonde pour Ada"
    assert "<b>Ada</b>" in rendered.html


@covers("gateway_principal")
async def test_principal_hook_says_who_calls(hooks_gateway: Gateway) -> None:
    query = "{ outboxJobs(first: 1) { totalCount } }"
    anonymous = await hooks_gateway.graphql(query)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert hooks_plugin.called("gateway_principal") == []

    admin = await hooks_gateway.graphql(query, **{hooks_plugin.PRINCIPAL_HEADER: "SYSTEM_ADMIN"})
    assert "errors" not in admin and admin["data"]["outboxJobs"]["totalCount"] >= 0
    employee = await hooks_gateway.graphql(query, **{hooks_plugin.PRINCIPAL_HEADER: "EMPLOYEE"})
    # The principal's own language (fr) wins over the absent Accept-Language.
    assert employee["errors"][0]["message"] == "Vous n'êtes pas autorisé à faire ceci."
    calls = hooks_plugin.called("gateway_principal")
    assert len(calls) == 2 and calls[0]["gateway"] is hooks_gateway.app.state.host


@covers("gateway_capabilities")
async def test_capabilities_hook_fills_me(
    migrated: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(migrated, tmp_path)
    host = PluginHost(settings, specs=[
        HOOKS,
        PluginSpec(name="twin", module="tests.gateway.capability_plugins:Twin",
                   source="built in"),
        PluginSpec(name="broken", module="tests.gateway.capability_plugins:Broken",
                   source="built in"),
    ])
    query = "{ me { role capabilities } }"
    async for running in start_gateway(settings, host=host, run_jobs=False):
        anonymous = await running.graphql(query)
        assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert hooks_plugin.called("gateway_capabilities") == []

        with caplog.at_level("ERROR", logger="gateway.plugins"):
            me = await running.graphql(query, **{hooks_plugin.PRINCIPAL_HEADER: "SYSTEM_ADMIN"})
        # Every plugin's, once each, sorted; the failing plugin is logged and left out.
        assert me == {"data": {"me": {"role": "SYSTEM_ADMIN",
                                      "capabilities": ["FAX", "HOOKS_PROBE", "VOIP"]}}}
        [failure] = [r for r in caplog.records if r.name == "gateway.plugins"]
        assert "broken" in failure.getMessage() and failure.exc_info is not None
        [call] = hooks_plugin.called("gateway_capabilities")
        assert call["gateway"] is host
        assert (call["principal"].role, call["principal"].user_id) == ("SYSTEM_ADMIN", 42)


@covers("gateway_provider", "gateway_provider_names")
def test_provider_hooks_find_providers(settings: Settings) -> None:
    host = hooks_host(settings)
    provider = host.pm.hook.gateway_provider(gateway=host, kind="probe", name="probe-engine")
    assert isinstance(provider, hooks_plugin.ProbeProvider)
    assert host.pm.hook.gateway_provider(gateway=host, kind="probe", name="other") is None
    names = host.pm.hook.gateway_provider_names(gateway=host, kind="probe")
    assert ["probe-engine"] in names
    assert [c["kind"] for c in hooks_plugin.called("gateway_provider_names")] == ["probe"]


@covers("gateway_account_created", "gateway_account_unsubscribed",
        "gateway_account_reactivated", "gateway_account_purged")
async def test_account_lifecycle_hooks_are_called_and_awaited(settings: Settings) -> None:
    host = hooks_host(settings)
    account = object()
    for hook in ("gateway_account_created", "gateway_account_unsubscribed",
                 "gateway_account_reactivated"):
        await host.call_async(hook, account=account)
    await host.call_async("gateway_account_purged", account_id=12)
    # The async implementations ran (they record in their body), not merely were called.
    assert [(name, args.get("account", args.get("account_id")))
            for name, args in hooks_plugin.calls] == [
        ("gateway_account_created", account),
        ("gateway_account_unsubscribed", account),
        ("gateway_account_reactivated", account),
        ("gateway_account_purged", 12),
    ]



@covers("gateway_account_management_restricted")
async def test_management_restriction_hook_answers_through_the_host(settings: Settings) -> None:
    """Self-service plugins ask the host; an async answer is awaited, None means no opinion."""
    from types import SimpleNamespace

    host = hooks_host(settings)
    assert await host.call_async("gateway_account_management_restricted",
                                 account=SimpleNamespace(restricted=True)) == [True]
    assert not any(await host.call_async("gateway_account_management_restricted",
                                         account=SimpleNamespace(restricted=None)))
    assert [name for name, _ in hooks_plugin.calls] == [
        "gateway_account_management_restricted"] * 2


@covers("gateway_billing_history")
async def test_billing_history_hook_feeds_the_callcenter_report(settings: Settings) -> None:
    from plugins.callcenter.services import billing_history

    host = hooks_host(settings)
    account = object()
    entries = await billing_history(host, account)
    assert [e["description"] for e in entries] == ["probe line"]
    assert hooks_plugin.called("gateway_billing_history")[0]["account"] is account


@covers("gateway_extension_references")
async def test_extension_references_hook_feeds_the_unaffiliation_warnings(
    settings: Settings,
) -> None:
    from plugins.affiliation.services import extension_references

    host = hooks_host(settings)
    warnings = await extension_references(host, [7, 3], ["101", "100"])
    assert [(w.account_id, w.extension, w.kind, w.message) for w in warnings] == [
        (3, "100", "GROUP", "probe group")]
    (call,) = hooks_plugin.called("gateway_extension_references")
    assert call["gateway"] is host
    assert (call["account_ids"], call["extensions"]) == ([3, 7], ["100", "101"])


@covers("gateway_billable_usage", "gateway_billable_usage_billed")
async def test_usage_hooks_feed_the_billing_cycle(settings: Settings) -> None:
    import datetime as dt
    from decimal import Decimal

    from plugins.billing.closing import collect_usage, mark_billed

    host = hooks_host(settings)
    start, end = dt.date(2026, 10, 20), dt.date(2026, 11, 19)
    usage = await collect_usage(host, [7, 8], start, end)
    assert usage == [{"account_id": 7, "unit": "PROBE_UNITS", "quantity": Decimal("2.5"),
                      "description": "probe usage"}]
    await mark_billed(host, [7, 8], start, end)
    for hook in ("gateway_billable_usage", "gateway_billable_usage_billed"):
        (call,) = hooks_plugin.called(hook)
        assert call["gateway"] is host
        assert (call["account_ids"], call["start"], call["end"]) == ([7, 8], start, end)


# --- data: models and demo ------------------------------------------------------------------------


@covers("gateway_models")
async def test_models_hook_adds_a_migrated_tortoise_app(migrated: str, tmp_path: Path) -> None:
    from tests.support.probe_models import ProbeRecord

    settings = make_settings(migrated, tmp_path)
    host = PluginHost(settings, specs=[
        PluginSpec(name="probe", module="tests.support.models_plugin", source="built in")
    ])
    assert [app.label for app in db.model_apps(host)] == ["core", "hooks_probe"]
    await db.migrate(host)  # the plugin's own migrations, after the core's
    await db.init_db(host)
    try:
        await ProbeRecord.create(label="written")
        assert await ProbeRecord.filter(label="written").count() == 1
        await ProbeRecord.all().delete()
    finally:
        await db.close_db()


@covers("gateway_demo_data")
def test_demo_data_hook_runs_from_gateway_demo(tmp_path: Path) -> None:
    toml = tmp_path / "plugins.toml"
    toml.write_text('[plugins.hooks]\nmodule = "tests.support.hooks_plugin"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEWAY_", "DATABASE_URL"))}
    env.update(
        GATEWAY_PLUGINS_FILE=str(toml), GATEWAY_LOAD_PLUGINS="", GATEWAY_VAR_DIR=str(tmp_path),
        DATABASE_URL=f"sqlite://{tmp_path / 'demo.sqlite3'}", BROKER_URL="memory://",
        PYTHONPATH=str(ROOT),
    )
    gateway_cli = Path(sys.executable).with_name("gateway")
    result = subprocess.run([str(gateway_cli), "demo", "--size", "small"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "hooks demo data loaded (size=small)" in result.stdout.splitlines()


@covers("gateway_voicemail_received")
async def test_voicemail_received_hook_is_awaited_with_the_message(settings: Settings) -> None:
    # The mailbox (account settings) calls it in the storing transaction; the transcription
    # tests follow it end to end (tests/plugins/transcription/test_pipeline.py).
    host = hooks_host(settings)
    taken_over = await host.call_async("gateway_voicemail_received", message_id=7,
                                       account_id=3, user_id=5)
    assert taken_over == [True]
    [call] = hooks_plugin.called("gateway_voicemail_received")
    assert (call["message_id"], call["account_id"], call["user_id"]) == (7, 3, 5)


@covers("gateway_phone_number_assigned", "gateway_phone_number_released")
async def test_phone_number_hooks_are_awaited_with_the_number(settings: Settings) -> None:
    # The account settings plugin calls them in the transaction that assigns, moves or
    # releases a number; tests/plugins/account_settings/test_ordering.py follows them end to end.
    host = hooks_host(settings)
    account = object()
    await host.call_async("gateway_phone_number_assigned", account=account,
                          number="+15145550100", user_id=9)
    await host.call_async("gateway_phone_number_released", account=account,
                          number="+15145550100")
    [assigned] = hooks_plugin.called("gateway_phone_number_assigned")
    assert (assigned["account"], assigned["number"], assigned["user_id"]) == (
        account, "+15145550100", 9)
    [released] = hooks_plugin.called("gateway_phone_number_released")
    assert (released["account"], released["number"], released["gateway"]) == (
        account, "+15145550100", host)


@covers("gateway_user_removed")
async def test_user_removed_hook_is_awaited_with_the_account_and_user(settings: Settings
                                                                      ) -> None:
    # The company users plugin calls it in the deleting transaction; account settings moves
    # the user's numbers back to the account (tests/plugins/company_users/test_users.py).
    host = hooks_host(settings)
    account = object()
    await host.call_async("gateway_user_removed", account=account, user_id=9)
    [call] = hooks_plugin.called("gateway_user_removed")
    assert (call["gateway"], call["account"], call["user_id"]) == (host, account, 9)


@covers("gateway_provision")
async def test_provision_hook_is_called_per_provisioner_and_awaited(settings: Settings) -> None:
    # The provisioning plugin's job calls each implementation on its own, named after its
    # plugin, so that each one's outcome is recorded; tests/plugins/provisioning follow it
    # end to end through the outbox.
    from plugins.provisioning.api import OperationKind, ProvisioningOperation
    from plugins.provisioning.services import provisioners

    host = hooks_host(settings)
    operation = ProvisioningOperation(id="op-1", kind=OperationKind.NUMBER_ASSIGNED,
                                      account_number=12, reseller_id=3, phone_system="PBX",
                                      provider="Carrier", number="+15145550100", user_id=9)
    [(name, provision)] = provisioners(host)
    assert name == hooks_plugin.PLUGIN_NAME
    await provision(operation)
    [call] = hooks_plugin.called("gateway_provision")
    assert (call["gateway"], call["operation"]) == (host, operation)
