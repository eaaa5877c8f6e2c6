"""The plugin host: built-in areas and third-party plugins, loaded and checked alike."""

from __future__ import annotations

import importlib
import inspect
import os
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pluggy

from gateway import hookspecs
from gateway.settings import Settings

ENTRY_POINT_GROUP = "gateway.plugins"
CORE_PLUGIN = "core"


class PluginError(RuntimeError):
    """A plugin cannot be loaded as configured; the message names the plugin."""


@dataclass
class PluginSpec:
    """One plugin as plugins.toml and the entry points describe it."""

    name: str
    module: str
    source: str  # "built in" or "entry point"
    enabled: bool = True
    requires: list[str] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)


def resolve_config(value: Any, environ: dict[str, str] | None = None) -> Any:
    """Replace ``{"$env": "NAME"}`` values by the environment's, recursively."""
    env = os.environ if environ is None else environ
    if isinstance(value, dict):
        if set(value) == {"$env"}:
            name = value["$env"]
            if name not in env:
                raise KeyError(name)
            return env[name]
        return {k: resolve_config(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_config(v, env) for v in value]
    return value


async def await_me_maybe(value: Any) -> Any:
    """Resolve a hook's result whether it is a value, a callable or an awaitable."""
    if callable(value):
        value = value()
    if inspect.isawaitable(value):
        value = await value
    return value


def _flatten(result: Any) -> list[Any]:
    if result is None:
        return []
    if isinstance(result, list | tuple):
        return list(result)
    return [result]


class PluginHost:
    """Loads plugins, answers ``config_for`` and gathers contributions with their origin."""

    def __init__(self, settings: Settings, specs: list[PluginSpec] | None = None) -> None:
        self.settings = settings
        self.specs = (
            specs
            if specs is not None
            else read_plugin_specs(settings.plugins_file, settings.load_plugins)
        )
        self.pm = pluggy.PluginManager("gateway")
        self.pm.add_hookspecs(hookspecs)
        self._load()

    @property
    def enabled(self) -> list[PluginSpec]:
        return [s for s in self.specs if s.enabled]

    def config_for(self, name: str) -> dict[str, Any]:
        """The plugin's ``config`` table with ``$env`` references resolved."""
        for spec in self.specs:
            if spec.name == name:
                return spec.config
        return {}

    def _load(self) -> None:
        names = {s.name for s in self.enabled}
        for spec in self.enabled:
            missing = [r for r in spec.requires if r not in names]
            if missing:
                raise PluginError(
                    f"plugin {spec.name!r} requires {', '.join(missing)}, which is not enabled"
                )
            try:
                spec.config = resolve_config(spec.config)
            except KeyError as exc:
                raise PluginError(
                    f"plugin {spec.name!r}: environment variable {exc.args[0]} is not set"
                ) from None
        from gateway import core_plugin

        self.pm.register(core_plugin, name=CORE_PLUGIN)
        for spec in self.specs:
            if spec.name == CORE_PLUGIN:
                raise PluginError(f"plugin name {CORE_PLUGIN!r} is reserved for the gateway core")
            if not spec.enabled:
                self.pm.set_blocked(spec.name)
                continue
            plugin = _import_plugin(spec)
            try:
                self.pm.register(plugin, name=spec.name)
            except pluggy.PluginValidationError as exc:
                # A hook implementation whose arguments the hookspec does not offer.
                detail = "; ".join(str(exc).splitlines()[1:])
                raise PluginError(f"plugin {spec.name!r}: {detail}") from None
            except ValueError as exc:
                # The same object registered twice, e.g. two names pointing at one module.
                raise PluginError(f"plugin {spec.name!r}: {exc}") from None
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            raise PluginError(f"plugin {self.pm.get_name(exc.plugin)!r}: {exc}") from None

    def each(self, hook_name: str, **kwargs: Any) -> Iterator[tuple[str, Any]]:
        """Call one hook plugin by plugin, in load order, yielding (plugin name, item)."""
        kwargs.setdefault("gateway", self)
        order = {CORE_PLUGIN: -1} | {s.name: i for i, s in enumerate(self.specs)}
        impls = sorted(
            getattr(self.pm.hook, hook_name).get_hookimpls(),
            key=lambda impl: order.get(impl.plugin_name, len(order)),
        )
        for impl in impls:
            args = {name: kwargs[name] for name in impl.argnames}
            for item in _flatten(impl.function(**args)):
                yield impl.plugin_name, item

    def collect(self, hook_name: str, **kwargs: Any) -> list[Any]:
        """Every item the plugins contribute to one hook, in load order."""
        return [item for _, item in self.each(hook_name, **kwargs)]

    async def call_async(self, hook_name: str, **kwargs: Any) -> list[Any]:
        """Call a hook and await whatever the implementations returned."""
        return [await await_me_maybe(item) for item in self.collect(hook_name, **kwargs)]


def _import_plugin(spec: PluginSpec) -> Any:
    """The plugin object: a module, or ``module:attribute`` as entry points may name it.

    Any exception while importing (not only ImportError: a NameError or a failing settings
    check at import time) stops start-up with the plugin's name instead of a bare traceback."""
    module_name, _, attribute = spec.module.partition(":")
    try:
        plugin: Any = importlib.import_module(module_name)
        for part in filter(None, attribute.split(".")):
            plugin = getattr(plugin, part)
    except Exception as exc:
        raise PluginError(
            f"plugin {spec.name!r}: cannot import {spec.module}: {type(exc).__name__}: {exc}"
        ) from exc
    return plugin


def read_plugin_specs(path: Path, load: tuple[str, ...] | None = None) -> list[PluginSpec]:
    """plugins.toml (built-in and listed plugins) plus entry-point plugins, in that order.

    ``load`` restricts which entry-point plugins are looked at (None: all installed)."""
    table: dict[str, Any] = {}
    if path.exists():
        with path.open("rb") as fh:
            table = tomllib.load(fh).get("plugins", {})
    discovered = {
        ep.name: ep.value
        for ep in entry_points(group=ENTRY_POINT_GROUP)
        if load is None or ep.name in load
    }
    specs: list[PluginSpec] = []
    for name, entry in table.items():
        enabled = bool(entry.get("enabled", True))
        module = entry.get("module") or discovered.get(name)
        if module is None and enabled:
            raise PluginError(
                f"plugin {name!r} in {path} has no module and no {ENTRY_POINT_GROUP} entry point"
            )
        specs.append(
            PluginSpec(
                name=name,
                # A disabled entry-point plugin need not be installed: it is only blocked.
                module=module or "",
                source="built in" if entry.get("module") else "entry point",
                enabled=enabled,
                requires=list(entry.get("requires", [])),
                config=dict(entry.get("config", {})),
            )
        )
    listed = {s.name for s in specs}
    for name in sorted(discovered):
        if name not in listed:
            specs.append(PluginSpec(name=name, module=discovered[name], source="entry point"))
    return specs
