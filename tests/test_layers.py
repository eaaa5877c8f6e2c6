"""The architecture's rules, checked on the code itself so that none can silently break.

1. **A domain layer with no GraphQL in it.** Every module of the host and of every plugin that is
   not GraphQL (services, models, jobs, commands, configuration, routes, ``plugin.py``, the
   domain half of ``gateway.api``) is imported in a fresh interpreter, and ``strawberry`` must
   not be among the loaded modules. GraphQL modules are the ``schema`` package, files whose name
   ends in ``schema``, ``types.py`` and ``loaders.py``, and the HTTP wiring (``gateway.app``,
   ``gateway.security``, ``gateway.persisted_queries``, ``gateway.subscription_check``).
2. **A stated plugin API.** A plugin imports only ``gateway.api``, its own package, the ``api``
   module of a plugin it ``requires`` in plugins.toml, and libraries — never ``schema`` or
   another ``gateway`` module (parsed from the source, imports inside functions included).
3. **No import cycles**, lazy imports and ``if TYPE_CHECKING:`` ones included (a type-only
   import is a dependency too: the hookspecs name the host's types through protocols).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("gateway", "schema", "plugins")
EXAMPLE_ROOT = ROOT / "tests" / "fixtures" / "example_plugin"
FIRST_PARTY = {*PACKAGES, "tests"}

# The HTTP and GraphQL wiring of the host (it builds the schema and serves it).
# The HTTP front of GraphQL: the app, its request checks, the persisted queries (which
# parse documents and read the schema's field definitions) and the view's subscription check.
GRAPHQL_HOST_MODULES = {"gateway.app", "gateway.security", "gateway.persisted_queries",
                        "gateway.subscription_check"}


@dataclass(frozen=True)
class Module:
    name: str
    path: Path

    @property
    def is_package(self) -> bool:
        return self.path.name == "__init__.py"


def _modules(root: Path, packages: tuple[str, ...]) -> list[Module]:
    found = []
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found.append(Module(".".join(parts), path))
    return found


MODULES = _modules(ROOT, PACKAGES)
EXAMPLE_MODULES = _modules(EXAMPLE_ROOT, ("gateway_example_plugin",))


def is_graphql(name: str) -> bool:
    last = name.rpartition(".")[2]
    return (name == "schema" or name.startswith("schema.") or last.endswith("schema")
            or last in {"types", "loaders"} or name in GRAPHQL_HOST_MODULES)


def _in_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports_of(module: Module, *, typing_too: bool = True
               ) -> Iterator[tuple[str, list[str], int]]:
    """(imported module, names imported from it, line) for every import of the module:
    top-level or inside functions, and (unless ``typing_too`` is false) those under
    ``if TYPE_CHECKING:``, which never run but are still a dependency of the module."""
    tree = ast.parse(module.path.read_text(), str(module.path))
    package = module.name if module.is_package else module.name.rpartition(".")[0]

    def visit(node: ast.AST) -> Iterator[tuple[str, list[str], int]]:
        if isinstance(node, ast.If) and _in_type_checking(node) and not typing_too:
            for child in node.orelse:
                yield from visit(child)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, [], node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            yield target, [alias.name for alias in node.names], node.lineno
        for child in ast.iter_child_nodes(node):
            yield from visit(child)

    yield from visit(tree)


# ---- 1. the domain layer imports no GraphQL ---------------------------------------------------

DOMAIN = [m.name for m in MODULES if not is_graphql(m.name)]
EXAMPLE_DOMAIN = [m.name for m in EXAMPLE_MODULES if not is_graphql(m.name)]

# Imported once by the parent before it forks a child per module: libraries that are not
# GraphQL and are slow to import, so each child imports only the project's modules.
_WARM = ["tortoise", "starlette.applications", "dramatiq", "pluggy", "phonenumbers",
         "argon2", "aiosmtplib", "redis", "itsdangerous", "prometheus_client", "cryptography"]

_PROBE = r"""
import importlib, json, os, sys
for name in json.loads(sys.argv[2]):
    try:
        importlib.import_module(name)
    except ImportError:
        pass
assert "strawberry" not in sys.modules, "a warmed library imports strawberry"
results = {}
warming = True
for name in json.loads(sys.argv[1]):
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            importlib.import_module(name)
            graphql = sorted(m for m in sys.modules if m == "strawberry" or m == "schema"
                             or m.startswith(("strawberry.", "schema.")))
            message = json.dumps({"error": None, "graphql": graphql[:3]})
        except BaseException as exc:  # report, never hang the parent
            message = json.dumps({"error": f"{type(exc).__name__}: {exc}", "graphql": []})
        os.write(write, message.encode())
        os._exit(0)
    os.close(write)
    chunks = []
    while chunk := os.read(read, 65536):
        chunks.append(chunk)
    os.close(read)
    os.waitpid(pid, 0)
    results[name] = outcome = json.loads(b"".join(chunks))
    # A module seen clean is imported here too, so the next children do not import it again:
    # what a child finds already loaded was itself seen free of GraphQL.
    if warming and outcome["error"] is None and not outcome["graphql"]:
        try:
            importlib.import_module(name)
        except BaseException:
            warming = False
        warming = warming and "strawberry" not in sys.modules and "schema" not in sys.modules
print(json.dumps(results))
"""


def _probe(modules: list[str], path: Path) -> dict[str, dict[str, object]]:
    """Import each module in a fresh process (forked from one that loaded only libraries)."""
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(modules), json.dumps(_WARM)],
        capture_output=True, text=True, cwd=path, timeout=600,
        env={"PYTHONPATH": str(path), "PATH": "/usr/bin:/bin", "GATEWAY_LOAD_PLUGINS": ""},
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def probed() -> dict[str, dict[str, object]]:
    return {**_probe(DOMAIN, ROOT), **_probe(EXAMPLE_DOMAIN, EXAMPLE_ROOT)}


@pytest.mark.parametrize("module", DOMAIN + EXAMPLE_DOMAIN)
def test_domain_module_imports_no_graphql(module: str, probed: dict[str, dict[str, object]]
                                          ) -> None:
    outcome = probed[module]
    assert outcome["error"] is None, f"{module} does not import: {outcome['error']}"
    assert not outcome["graphql"], (
        f"{module} is not a GraphQL module but imports {outcome['graphql']}: keep GraphQL in "
        "*schema.py modules and import it lazily from hooks")


def test_the_probe_sees_graphql() -> None:
    """The check above can fail: a GraphQL module is seen importing strawberry."""
    outcome = _probe(["schema.mutations", "gateway.roles"], ROOT)
    assert outcome["schema.mutations"]["graphql"]
    assert not outcome["gateway.roles"]["graphql"]


def test_the_domain_half_of_the_api_is_loaded_without_graphql() -> None:
    """``from gateway.api import Problem`` in a service must not load strawberry; the GraphQL
    names load on first use, and every name in ``__all__`` exists."""
    code = ("import sys, gateway.api as api; free = 'strawberry' not in sys.modules; "
            "[getattr(api, n) for n in api.__all__]; "
            "sys.exit(0 if free and 'strawberry' in sys.modules else 1)")
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


# ---- 2. plugins use the stated API ------------------------------------------------------------

def _plugin_packages() -> dict[str, tuple[str, list[str]]]:
    """Built-in plugins: package -> (plugin name, the plugins it requires), from plugins.toml."""
    table = tomllib.loads((ROOT / "plugins.toml").read_text())["plugins"]
    packages = {}
    for name, entry in table.items():
        module = entry.get("module", "")
        if module.startswith("plugins."):
            packages[module.rsplit(".", 1)[0]] = (name, list(entry.get("requires", [])))
    return packages


PLUGIN_PACKAGES = _plugin_packages()
NAME_TO_PACKAGE = {name: package for package, (name, _) in PLUGIN_PACKAGES.items()}


def boundary_violations(module: Module, own: str, requires: list[str]) -> list[str]:
    allowed = {"gateway.api", *(f"{NAME_TO_PACKAGE[r]}.api" for r in requires if r in
                                NAME_TO_PACKAGE)}
    found = []
    for target, names, line in imports_of(module):
        top = target.partition(".")[0]
        if top not in FIRST_PARTY and top != "gateway_example_plugin":
            continue  # the standard library and third-party libraries
        if target == own or target.startswith(own + "."):
            continue
        if target in allowed:
            continue
        if target in {"plugins", *(f"{p}" for p in PLUGIN_PACKAGES)} and names == ["api"]:
            if f"{target}.api" in allowed:
                continue
        found.append(f"{module.path.relative_to(ROOT)}:{line} imports {target}")
    return found


@pytest.mark.parametrize("package", sorted(PLUGIN_PACKAGES))
def test_plugin_imports_only_the_plugin_api(package: str) -> None:
    name, requires = PLUGIN_PACKAGES[package]
    violations = [v for m in MODULES if m.name == package or m.name.startswith(package + ".")
                  for v in boundary_violations(m, package, requires)]
    assert not violations, (
        f"plugin {name!r} may import gateway.api, its own package and the api module of "
        f"{requires or 'no other plugin'} (plugins.toml requires):\n" + "\n".join(violations))


def test_the_example_plugin_imports_only_the_plugin_api() -> None:
    violations = [v for m in EXAMPLE_MODULES
                  for v in boundary_violations(m, "gateway_example_plugin", [])]
    assert not violations, "\n".join(violations)


def test_the_boundary_check_can_fail(tmp_path: Path) -> None:
    source = tmp_path / "plugins" / "clients" / "sneaky.py"
    source.parent.mkdir(parents=True)
    source.write_text("def f():\n    from plugins.restrictions import services\n"
                      "from schema.node import node_pk\nfrom gateway.api import Problem\n")
    module = Module("plugins.clients.sneaky", source)
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        found = boundary_violations(module, "plugins.clients", [])
    finally:
        ROOT = saved
    assert sorted(v.split(" imports ")[1] for v in found) == ["plugins.restrictions",
                                                               "schema.node"]


# ---- 3. no import cycles ----------------------------------------------------------------------

def import_graph(modules: list[Module]) -> dict[str, set[str]]:
    names = {m.name for m in modules}
    graph: dict[str, set[str]] = {}
    for module in modules:
        edges = set()
        for target, imported, _ in imports_of(module):
            if target in names:
                edges.add(target)
            edges |= {f"{target}.{n}" for n in imported if f"{target}.{n}" in names}
        graph[module.name] = edges - {module.name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_cycles() -> None:
    found = cycles(import_graph(MODULES))
    assert not found, "import cycles (lazy imports included):\n" + "\n".join(
        " -> ".join(c) for c in found)


def test_the_cycle_check_can_fail() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
