"""The plugin host: built-in areas and third-party plugins, loaded and checked alike."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import logging
import os
import tomllib
import typing
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, overload

import pluggy

from gateway import hookspecs
from gateway.entry_points import installed
from gateway.settings import Settings, plugins_file_problem

if typing.TYPE_CHECKING:
    from gateway.contributions import Principal

log = logging.getLogger("gateway.plugins")

ENTRY_POINT_GROUP = "gateway.plugins"
ConfigT = TypeVar("ConfigT")
CORE_PLUGIN = "core"
CORE_MODULE = "gateway.core_plugin"


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


def resolve_config(value: Any, environ: Mapping[str, str] | None = None) -> Any:
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


# The gateway core is a plugin like the others, registered before them under a reserved name.
# The host names it by module, as plugins.toml names the built-in plugins, and imports it when
# it loads: the core's hooks reach into the whole gateway, which itself runs on the host.
CORE = PluginSpec(name=CORE_PLUGIN, module=CORE_MODULE, source="built in")


class PluginHost:
    """Loads plugins, answers ``config_for`` and gathers contributions with their origin.

    ``builtins`` are registered first, in order, and their names are reserved: by default the
    gateway core alone."""

    def __init__(self, settings: Settings, specs: list[PluginSpec] | None = None, *,
                 builtins: Sequence[PluginSpec] = (CORE,)) -> None:
        self.settings = settings
        self.specs = (
            specs
            if specs is not None
            else read_plugin_specs(settings.plugins_file, settings.load_plugins)
        )
        self.builtins = list(builtins)
        self._configs: dict[tuple[str, type[Any]], Any] = {}
        self.pm = pluggy.PluginManager("gateway")
        self.pm.add_hookspecs(hookspecs)
        self._load()

    @property
    def enabled(self) -> list[PluginSpec]:
        return [s for s in self.specs if s.enabled]

    def load_order(self) -> dict[str, int]:
        """Each plugin's rank: built-ins first (negative), then plugins.toml's order."""
        return {spec.name: i - len(self.builtins) for i, spec in enumerate(self.builtins)} | {
            spec.name: i for i, spec in enumerate(self.specs)
        }

    @overload
    def config_for(self, name: str) -> dict[str, Any]: ...

    @overload
    def config_for(self, name: str, shape: type[ConfigT]) -> ConfigT: ...

    def config_for(self, name: str, shape: type[Any] | None = None) -> Any:
        """The plugin's ``config`` table with ``$env`` references resolved; with ``shape`` (a
        frozen dataclass), parsed into it once: values coerced to the fields' types, unknown
        keys and bad values refused with a :class:`PluginError` naming the plugin and the
        key. Cross-field checks go in the dataclass's ``__post_init__`` (raise ValueError)."""
        raw: dict[str, Any] = {}
        for spec in self.specs:
            if spec.name == name:
                raw = spec.config
        if shape is None:
            return raw
        key = (name, shape)
        if key not in self._configs:
            self._configs[key] = parse_config(name, shape, raw)
        return self._configs[key]

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
        for builtin in self.builtins:
            self.pm.register(_import_plugin(builtin), name=builtin.name)
        reserved = {builtin.name for builtin in self.builtins}
        for spec in self.specs:
            if spec.name in reserved:
                raise PluginError(f"plugin name {spec.name!r} is reserved for the gateway core")
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
        order = self.load_order()
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

    async def capabilities(self, principal: Principal) -> list[str]:
        """The features the plugins make available to ``principal`` (``gateway_capabilities``),
        de-duplicated and sorted. A plugin that raises (or answers something that is not names)
        is logged and left out; the others still count."""
        order = self.load_order()
        impls = sorted(self.pm.hook.gateway_capabilities.get_hookimpls(),
                       key=lambda impl: order.get(impl.plugin_name, len(order)))
        arguments = {"gateway": self, "principal": principal}
        found: set[str] = set()
        for impl in impls:
            try:
                value = await await_me_maybe(
                    impl.function(**{name: arguments[name] for name in impl.argnames}))
                if value is None:
                    continue
                names = [value] if isinstance(value, str) else list(value)
                if not all(isinstance(name, str) for name in names):
                    raise TypeError(f"capabilities must be strings, got {names!r}")
            except Exception:
                log.exception("plugin %s failed to tell its capabilities", impl.plugin_name)
                continue
            found.update(name for name in names if name)
        return sorted(found)


def parse_config(plugin: str, shape: type[ConfigT], raw: dict[str, Any]) -> ConfigT:
    """``raw`` (a plugins.toml table) as the dataclass ``shape``; see ``config_for``."""
    if not dataclasses.is_dataclass(shape):
        raise TypeError(f"config_for({plugin!r}, ...): {shape!r} is not a dataclass")
    hints = typing.get_type_hints(shape)
    known = {f.name for f in dataclasses.fields(shape)}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in known:
            raise PluginError(f"plugin {plugin!r}: unknown config key {key!r} (known: "
                              f"{', '.join(sorted(known))})")
        try:
            values[key] = _coerce(value, hints[key])
        except (TypeError, ValueError):
            raise PluginError(f"plugin {plugin!r}: config key {key!r} must be "
                              f"{_type_name(hints[key])}, not {value!r}") from None
    try:
        return shape(**values)
    except (TypeError, ValueError) as exc:
        raise PluginError(f"plugin {plugin!r}: {exc}") from None


def _coerce(value: Any, annotation: Any) -> Any:
    """``value`` as ``annotation`` (bool, int, float, str, Path, dict/list/tuple of those)."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is dict:
        if not isinstance(value, dict):
            raise TypeError(value)
        return {_coerce(k, args[0]): _coerce(v, args[1]) for k, v in value.items()}
    if origin in (list, tuple):
        if not isinstance(value, list | tuple):
            raise TypeError(value)
        items = [_coerce(item, args[0]) for item in value]
        return items if origin is list else tuple(items)
    if annotation is bool:
        if not isinstance(value, bool):
            raise TypeError(value)
        return value
    if annotation in (int, float):
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise TypeError(value)
        number = annotation(value)
        if annotation is int and isinstance(value, float) and number != value:
            raise ValueError(value)
        return number
    if annotation in (str, Path):
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise TypeError(value)
        return annotation(str(value))
    return value


def _type_name(annotation: Any) -> str:
    names = {int: "a whole number", float: "a number", bool: "true or false", str: "a string",
             Path: "a path"}
    return names.get(annotation, str(annotation).replace("typing.", ""))


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
    if not path.is_file():
        # Never a silent gateway with no plugins: the file is named, and how to name another.
        raise PluginError(plugins_file_problem(path))
    try:
        with path.open("rb") as fh:
            table: dict[str, Any] = tomllib.load(fh).get("plugins", {})
    except tomllib.TOMLDecodeError as exc:
        raise PluginError(f"GATEWAY_PLUGINS_FILE: {path} is not valid TOML ({exc}); see "
                          "plugins.toml in the gateway's checkout for an example") from None
    discovered = {
        ep.name: ep.value
        for ep in installed(ENTRY_POINT_GROUP)
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
