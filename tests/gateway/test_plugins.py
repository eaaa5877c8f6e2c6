"""The plugin host: start-up stops, naming the plugin, on every way a plugin set can be wrong;
plugins.toml enables, blocks and configures plugins; a third-party package plugs in through
its entry point without touching the repository."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.introspection import describe_plugins
from gateway.models import OutboxJob, OutboxStatus
from gateway.plugins import PluginError, PluginHost, PluginSpec, read_plugin_specs
from gateway.settings import Settings
from schema.build import build_schema
from tests.conftest import ROOT, Gateway, make_settings, start_gateway

CLASH = "tests.support.clash_plugins"
EXAMPLE_SOURCE = ROOT / "tests" / "fixtures" / "example_plugin"
GATEWAY_CLI = Path(sys.executable).with_name("gateway")


def spec(name: str, module: str, **options: Any) -> PluginSpec:
    return PluginSpec(name=name, module=module, source="built in", **options)


def host_with(settings: Settings, *specs: PluginSpec) -> PluginHost:
    return PluginHost(settings, specs=list(specs))


async def _answers(app: Any, method: str, path: str) -> httpx.Response:
    """A request to the app without its lifespan: enough for routes that need no database."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return await client.request(method, path)


# --- start-up stops, naming the plugin ---------------------------------------------------


def test_unknown_hook_implementation_stops_start_up(settings: Settings) -> None:
    with pytest.raises(PluginError, match=r"plugin 'typo': unknown hook 'gateway_querry'"):
        host_with(settings, spec("typo", f"{CLASH}:UnknownHook"))


def test_hook_argument_the_hookspec_lacks_stops_start_up(settings: Settings) -> None:
    with pytest.raises(PluginError, match=r"plugin 'greedy':.*tenant"):
        host_with(settings, spec("greedy", f"{CLASH}:UnknownArgument"))


def test_missing_requirement_stops_start_up(settings: Settings) -> None:
    with pytest.raises(PluginError, match=r"plugin 'needy' requires billing, which is not enabled"):
        host_with(settings, spec("needy", f"{CLASH}:FieldA", requires=["billing"]))
    # Present but disabled is missing too.
    with pytest.raises(PluginError, match=r"plugin 'needy' requires billing"):
        host_with(
            settings,
            spec("billing", f"{CLASH}:FieldB", enabled=False),
            spec("needy", f"{CLASH}:FieldA", requires=["billing"]),
        )
    # Met: loads.
    host = host_with(
        settings,
        spec("billing", f"{CLASH}:FieldB"),
        spec("needy", f"{CLASH}:RouteA", requires=["billing"]),
    )
    assert [s.name for s in host.enabled] == ["billing", "needy"]


def test_same_root_field_from_two_plugins_stops_start_up(settings: Settings) -> None:
    # The second spells it sharedValue explicitly, the first shared_value: one GraphQL field.
    host = host_with(settings, spec("first", f"{CLASH}:FieldA"), spec("second", f"{CLASH}:FieldB"))
    with pytest.raises(
        PluginError,
        match=r"plugin 'second': field Query.sharedValue is already contributed by plugin 'first'",
    ):
        create_app(settings, host)


def test_root_field_clashing_with_the_core_names_both(settings: Settings) -> None:
    host = host_with(settings, spec("takeover", f"{CLASH}:CoreField"))
    with pytest.raises(
        PluginError,
        match=r"plugin 'takeover': field Query.node is already contributed by plugin 'core'",
    ):
        build_schema(host)


def test_same_type_name_from_two_plugins_stops_start_up(settings: Settings) -> None:
    host = host_with(settings, spec("first", f"{CLASH}:TypeA"), spec("second", f"{CLASH}:TypeB"))
    with pytest.raises(
        PluginError,
        match=r"plugin 'second': type ClashThing is already contributed by plugin 'first'",
    ):
        create_app(settings, host)


def test_type_named_like_a_core_type_stops_start_up(settings: Settings) -> None:
    host = host_with(settings, spec("copycat", f"{CLASH}:CoreTypeName"))
    with pytest.raises(
        PluginError, match=r"plugin 'copycat': type OutboxJob is already contributed by plugin "
        r"'core'"
    ):
        build_schema(host)


def test_same_type_name_reached_through_fields_names_both_plugins(settings: Settings) -> None:
    # Neither gives its type to gateway_types: strawberry finds the clash while building, and
    # the host still says which plugins are at fault.
    host = host_with(settings, spec("first", f"{CLASH}:ReachA"), spec("second", f"{CLASH}:ReachB"))
    with pytest.raises(PluginError) as raised:
        build_schema(host)
    message = str(raised.value)
    assert message.startswith("plugin 'second': Type ClashReached is defined multiple times")
    assert "_ReachedA (plugin 'first')" in message and "_ReachedB (plugin 'second')" in message


def test_same_actor_name_from_two_plugins_stops_start_up(settings: Settings) -> None:
    host = host_with(settings, spec("first", f"{CLASH}:ActorA"), spec("second", f"{CLASH}:ActorB"))
    with pytest.raises(
        PluginError,
        match=r"plugin 'second': actor 'clash.job' is already contributed by plugin 'first'",
    ):
        create_app(settings, host)


async def test_same_route_from_two_plugins_stops_start_up(settings: Settings) -> None:
    host = host_with(settings, spec("first", f"{CLASH}:RouteA"), spec("second", f"{CLASH}:RouteB"))
    with pytest.raises(
        PluginError, match=r"plugin 'second': route GET /clash is already contributed by 'first'"
    ):
        create_app(settings, host)
    # A mount takes the path for every method, whichever plugin comes first.
    for first, second in (("RouteA", "RouteMount"), ("RouteMount", "RouteA")):
        host = host_with(settings, spec("first", f"{CLASH}:{first}"),
                         spec("second", f"{CLASH}:{second}"))
        with pytest.raises(PluginError, match=r"plugin 'second': route .* /clash is already "
                           r"contributed by 'first'"):
            create_app(settings, host)
    # A core path is taken as well.
    host = host_with(settings, spec("squatter", f"{CLASH}:RouteGraphql"))
    with pytest.raises(
        PluginError, match=r"plugin 'squatter': route PUT /graphql is already contributed by 'core'"
    ):
        create_app(settings, host)
    # The same path with another method is no clash: both answer.
    app = create_app(
        settings,
        host_with(settings, spec("first", f"{CLASH}:RouteA"), spec("other", f"{CLASH}:RoutePost")),
    )
    assert (await _answers(app, "GET", "/clash")).text == "ok"
    assert (await _answers(app, "DELETE", "/clash")).text == "ok"


async def test_same_tortoise_app_label_stops_start_up(settings: Settings) -> None:
    host = host_with(
        settings, spec("first", f"{CLASH}:ModelsA"), spec("second", f"{CLASH}:ModelsB")
    )
    app = create_app(settings, host, run_jobs=False, migrate_on_start=False)
    with pytest.raises(
        PluginError,
        match=r"plugin 'second': Tortoise app 'clash' is already defined by 'first'",
    ):
        async with app.router.lifespan_context(app):
            pass
    host = host_with(settings, spec("usurper", f"{CLASH}:ModelsCore"))
    app = create_app(settings, host, run_jobs=False, migrate_on_start=False)
    with pytest.raises(PluginError, match=r"plugin 'usurper': Tortoise app 'core'"):
        async with app.router.lifespan_context(app):
            pass


def test_import_error_stops_start_up(settings: Settings) -> None:
    with pytest.raises(
        PluginError,
        match=r"plugin 'broken': cannot import tests.support.broken_plugin: "
        r"ModuleNotFoundError: No module named 'gateway_no_such_dependency'",
    ):
        host_with(settings, spec("broken", "tests.support.broken_plugin"))
    with pytest.raises(PluginError, match=r"plugin 'ghost': cannot import tests.support.nowhere"):
        host_with(settings, spec("ghost", "tests.support.nowhere"))
    with pytest.raises(PluginError, match=r"plugin 'half': cannot import .*AttributeError"):
        host_with(settings, spec("half", f"{CLASH}:NoSuchPlugin"))


def test_unset_env_config_value_stops_start_up(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GATEWAY_TEST_UNSET_SECRET", raising=False)
    config = {"token": {"$env": "GATEWAY_TEST_UNSET_SECRET"}}
    with pytest.raises(
        PluginError,
        match=r"plugin 'configured': environment variable GATEWAY_TEST_UNSET_SECRET is not set",
    ):
        host_with(settings, spec("configured", f"{CLASH}:Configured", config=config))


async def test_env_config_values_resolve(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATEWAY_TEST_SECRET", "s3cret")
    monkeypatch.setenv("GATEWAY_TEST_REGION", "ca-central")
    config = {
        "token": {"$env": "GATEWAY_TEST_SECRET"},
        "regions": [{"$env": "GATEWAY_TEST_REGION"}, "us-east"],
        "limits": {"per_minute": 30, "key": {"$env": "GATEWAY_TEST_SECRET"}},
    }
    host = host_with(settings, spec("configured", f"{CLASH}:Configured", config=config))
    assert host.config_for("configured") == {
        "token": "s3cret",
        "regions": ["ca-central", "us-east"],
        "limits": {"per_minute": 30, "key": "s3cret"},
    }
    # What the plugin itself reads through its hooks.
    from tests.support.clash_plugins import Configured

    await host.call_async("gateway_startup")
    assert Configured.seen["token"] == "s3cret"


def test_disabled_plugin_is_blocked_and_contributes_nothing(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GATEWAY_TEST_UNSET_SECRET", raising=False)
    host = host_with(
        settings,
        spec("first", f"{CLASH}:FieldA"),
        # Would clash, fail to import, and lack its secret, were it enabled.
        spec("second", f"{CLASH}:FieldB", enabled=False),
        spec("broken", "tests.support.broken_plugin", enabled=False,
             config={"token": {"$env": "GATEWAY_TEST_UNSET_SECRET"}}),
    )
    assert host.pm.is_blocked("second") and host.pm.is_blocked("broken")
    assert host.pm.get_plugin("second") is None
    assert "tests.support.broken_plugin" not in sys.modules
    schema = build_schema(host)
    result = schema.execute_sync("{ sharedValue }", context_value=_anonymous_context())
    assert result.errors is None and result.data == {"sharedValue": 1}
    assert "second  [built in, off]" in describe_plugins(host)


def _anonymous_context() -> Any:
    from types import SimpleNamespace

    return SimpleNamespace(principal=None, language="en", request_id="test")


# --- plugins.toml ---------------------------------------------------------------------------


PLUGINS_TOML = """
[plugins.first]
module = "tests.support.clash_plugins:FieldA"
config = { greeting = "Bonjour", token = { "$env" = "GATEWAY_TEST_TOML_SECRET" } }

[plugins.second]
module = "tests.support.clash_plugins:FieldB"
enabled = false

[plugins.routes]
module = "tests.support.clash_plugins:RouteA"
requires = ["first"]
"""


def test_plugins_toml_enables_blocks_orders_and_configures(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATEWAY_TEST_TOML_SECRET", "from-env")
    toml = tmp_path / "plugins.toml"
    toml.write_text(PLUGINS_TOML)
    settings = make_settings(database_url, tmp_path, plugins_file=toml)
    specs = read_plugin_specs(toml, load=())
    assert [(s.name, s.source, s.enabled, s.requires) for s in specs] == [
        ("first", "built in", True, []),
        ("second", "built in", False, []),
        ("routes", "built in", True, ["first"]),
    ]
    host = PluginHost(settings)  # reads settings.plugins_file itself
    assert host.config_for("first") == {"greeting": "Bonjour", "token": "from-env"}
    assert host.pm.is_blocked("second")
    lines = describe_plugins(host)
    assert lines[0] == "core  [built in, on]"
    assert lines.index("first  [built in, on]") < lines.index("second  [built in, off]") < (
        lines.index("routes  [built in, on]")
    )
    assert "    routes: /clash" in lines
    # Requiring a plugin the file turns off stops start-up.
    toml.write_text(PLUGINS_TOML.replace('requires = ["first"]', 'requires = ["second"]'))
    with pytest.raises(PluginError, match=r"plugin 'routes' requires second"):
        PluginHost(settings)


def test_plugins_toml_naming_an_uninstalled_plugin_stops_start_up(
    database_url: str, tmp_path: Path
) -> None:
    toml = tmp_path / "plugins.toml"
    toml.write_text('[plugins.nowhere]\nconfig = { a = 1 }\n')
    settings = make_settings(database_url, tmp_path, plugins_file=toml)
    with pytest.raises(PluginError, match=r"plugin 'nowhere' in .* has no module and no "
                       r"gateway.plugins entry point"):
        PluginHost(settings)
    # Turned off, it need not be installed.
    toml.write_text('[plugins.nowhere]\nenabled = false\n')
    host = PluginHost(settings)
    assert host.pm.is_blocked("nowhere")
    assert "nowhere  [entry point, off]" in describe_plugins(host)


def test_cli_refuses_to_start_naming_the_plugin(tmp_path: Path) -> None:
    toml = tmp_path / "plugins.toml"
    toml.write_text('[plugins.broken]\nmodule = "tests.support.broken_plugin"\n')
    result = subprocess.run(
        [str(GATEWAY_CLI), "plugins"], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env=_cli_env(tmp_path, GATEWAY_PLUGINS_FILE=str(toml), PYTHONPATH=str(ROOT)),
    )
    assert result.returncode == 2, result
    assert result.stderr.startswith(
        "gateway: plugin 'broken': cannot import tests.support.broken_plugin: "
        "ModuleNotFoundError"
    ), result.stderr
    assert "Traceback" not in result.stderr


def _cli_env(tmp_path: Path, **values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEWAY_", "DATABASE_URL"))}
    env.update(GATEWAY_VAR_DIR=str(tmp_path / "var"), GATEWAY_LOAD_PLUGINS="")
    env.update(values)
    return env


# --- a third-party plugin through its entry point -----------------------------------------


def test_example_plugin_is_found_through_its_entry_point(example_plugin: Path) -> None:
    assert not (EXAMPLE_SOURCE / "build").exists()
    specs = {s.name: s for s in read_plugin_specs(ROOT / "plugins.toml", load=None)}
    assert specs["example"].source == "entry point"
    assert specs["example"].module == "gateway_example_plugin.plugin"
    # GATEWAY_LOAD_PLUGINS restricts: "" loads no entry point, "example" only that one.
    assert "example" not in {s.name for s in read_plugin_specs(ROOT / "plugins.toml", load=())}
    only = [s for s in read_plugin_specs(ROOT / "plugins.toml", load=("example",))
            if s.source == "entry point"]
    assert [s.name for s in only] == ["example"]


@pytest.fixture
async def example_gateway(
    example_plugin: Path, migrated: str, tmp_path: Path
) -> AsyncIterator[Gateway]:
    # The repository's own plugins.toml plus a table configuring the entry-point plugin.
    toml = tmp_path / "plugins.toml"
    toml.write_text((ROOT / "plugins.toml").read_text()
                    + '\n[plugins.example]\nconfig = { greeting = "Bonjour" }\n')
    settings = make_settings(migrated, tmp_path, plugins_file=toml, load_plugins=("example",))
    async for running in start_gateway(
        settings, job_options={"relay_interval": 0.05, "in_process_workers": True}
    ):
        yield running


async def test_example_plugin_field_type_route_and_job(example_gateway: Gateway) -> None:
    from gateway_example_plugin import plugin as example

    host = example_gateway.app.state.host
    assert {s.name: s.source for s in host.specs}["example"] == "entry point"

    # The field answers through HTTP, with the plugin's configuration.
    result = await example_gateway.graphql('{ exampleGreeting(name: "Ada") }')
    assert result == {"data": {"exampleGreeting": "Bonjour, Ada!"}}

    # The extra type is in the schema.
    assert "type ExampleNote {" in example_gateway.app.state.schema.as_str()
    result = await example_gateway.graphql(
        '{ __type(name: "ExampleNote") { name fields { name } } }'
    )
    assert result["data"]["__type"] == {
        "name": "ExampleNote", "fields": [{"name": "text"}, {"name": "author"}]
    }

    # The route answers.
    response = await example_gateway.client.get("/example/notes")
    assert response.status_code == 200 and response.json()["plugin"] == "example"

    # The job goes through the outbox and Dramatiq.
    example.notes_written.clear()
    response = await example_gateway.client.post("/example/notes", json={"text": "hi"})
    assert response.status_code == 202
    job_id = response.json()["job"]
    deadline = asyncio.get_running_loop().time() + 15
    while (await OutboxJob.get(id=job_id)).status != OutboxStatus.DONE:
        assert asyncio.get_running_loop().time() < deadline, "the example job never ran"
        await asyncio.sleep(0.05)
    assert (await OutboxJob.get(id=job_id)).job == "example.note"
    assert example.notes_written == [{"text": "hi", "outbox_id": job_id}]


def test_gateway_plugins_lists_the_example_plugin(example_plugin: Path, settings: Settings) -> None:
    expected = [
        "example  [entry point, on]",
        "    actors: example.note",
        "    fields: Query.exampleGreeting",
        "    routes: /example/notes",
        "    types: ExampleNote",
    ]
    for load in (None, ("example",)):
        host = PluginHost(dataclasses.replace(settings, load_plugins=load))
        lines = describe_plugins(host)
        start = lines.index(expected[0])
        assert lines[start:start + len(expected)] == expected


def test_gateway_plugins_cli_lists_the_example_plugin(example_plugin: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [str(GATEWAY_CLI), "plugins"], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env=_cli_env(tmp_path, GATEWAY_LOAD_PLUGINS="example", PYTHONPATH=str(example_plugin)),
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "core  [built in, on]"
    start = lines.index("example  [entry point, on]")
    assert lines[start + 1:start + 5] == [
        "    actors: example.note",
        "    fields: Query.exampleGreeting",
        "    routes: /example/notes",
        "    types: ExampleNote",
    ]
