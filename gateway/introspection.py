"""What each plugin contributes, for ``gateway plugins`` and the docs."""

from __future__ import annotations

from collections import defaultdict

from strawberry.schema.name_converter import NameConverter
from strawberry.types.base import get_object_definition

from gateway.plugins import CORE_PLUGIN, PluginHost

_NAMES = NameConverter()


def contributions(host: PluginHost) -> dict[str, dict[str, list[str]]]:
    """plugin name -> kind -> names (fields, types, actors, routes, commands, periodic jobs)."""
    found: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for root, hook in (("Query", "gateway_query"), ("Mutation", "gateway_mutation"),
                       ("Subscription", "gateway_subscription")):
        for plugin, cls in host.each(hook):
            definition = get_object_definition(cls, strict=True)
            # GraphQL names (Query.outboxJobs), as clients and the SDL spell them.
            found[plugin]["fields"] += [f"{root}.{_NAMES.from_field(f)}" for f in definition.fields]
    for plugin, cls in host.each("gateway_types"):
        definition = get_object_definition(cls)
        found[plugin]["types"].append(definition.name if definition else cls.__name__)
    for plugin, job in host.each("gateway_jobs"):
        found[plugin]["actors"].append(job.name)
    for plugin, periodic in host.each("gateway_periodic_jobs"):
        found[plugin]["periodic"].append(f"{periodic.name} (every {periodic.every_seconds}s)")
    for plugin, route in host.each("gateway_routes"):
        found[plugin]["routes"].append(getattr(route, "path", repr(route)))
    for plugin, command in host.each("gateway_commands"):
        found[plugin]["commands"].append(command.name)
    for plugin, app in host.each("gateway_models"):
        found[plugin]["models"].append(app.label)
    return found


def describe_plugins(host: PluginHost) -> list[str]:
    """One line per plugin (name, built in / entry point, on / off), then what it contributes."""
    rows = [(CORE_PLUGIN, "built in", True)] + [(s.name, s.source, s.enabled) for s in host.specs]
    found = contributions(host)
    lines = []
    for name, source, enabled in rows:
        lines.append(f"{name}  [{source}, {'on' if enabled else 'off'}]")
        for kind, names in sorted(found.get(name, {}).items()):
            lines.append(f"    {kind}: {', '.join(names)}")
    return lines
