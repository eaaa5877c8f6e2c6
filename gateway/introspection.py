"""What each plugin contributes, for ``gateway plugins`` and the docs."""

from __future__ import annotations

from collections import defaultdict

from gateway.plugins import PluginHost


def contributions(gateway: PluginHost) -> dict[str, dict[str, list[str]]]:
    """plugin name -> kind -> names (fields, types, actors, routes, commands, periodic jobs)."""
    # GraphQL names are the schema's to spell; imported here, as only this needs them.
    from schema.build import graphql_type_name, root_fields

    found: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for plugin, field in root_fields(gateway):
        found[plugin]["fields"].append(field)
    for plugin, cls in gateway.each("gateway_types"):
        found[plugin]["types"].append(graphql_type_name(cls))
    for plugin, job in gateway.each("gateway_jobs"):
        found[plugin]["actors"].append(job.name)
    for plugin, periodic in gateway.each("gateway_periodic_jobs"):
        found[plugin]["periodic"].append(f"{periodic.name} (every {periodic.every_seconds}s)")
    for plugin, route in gateway.each("gateway_routes"):
        found[plugin]["routes"].append(getattr(route, "path", repr(route)))
    for plugin, command in gateway.each("gateway_commands"):
        found[plugin]["commands"].append(command.name)
    for plugin, app in gateway.each("gateway_models"):
        found[plugin]["models"].append(app.label)
    return found


def describe_plugins(gateway: PluginHost) -> list[str]:
    """One line per plugin (name, built in / entry point, on / off), then what it contributes."""
    rows = [(b.name, b.source, True) for b in gateway.builtins] + [
        (s.name, s.source, s.enabled) for s in gateway.specs
    ]
    found = contributions(gateway)
    lines = []
    for name, source, enabled in rows:
        lines.append(f"{name}  [{source}, {'on' if enabled else 'off'}]")
        for kind, names in sorted(found.get(name, {}).items()):
            lines.append(f"    {kind}: {', '.join(names)}")
    return lines
