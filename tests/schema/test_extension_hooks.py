"""The extensions' hooks entered through :mod:`schema.extension_hooks` run as strawberry's own
runner runs them: same order, same stages, same results, same errors."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import strawberry
from strawberry.extensions import SchemaExtension

from schema import extension_hooks
from schema.extension_hooks import ExtensionsRunner


def _extensions(log: list[str]) -> list[Any]:
    class Generator(SchemaExtension):
        def on_operation(self) -> Iterator[None]:
            log.append("generator operation in")
            yield
            log.append(f"generator operation out {self.execution_context.result.data}")

        def on_execute(self) -> Iterator[None]:
            log.append("generator execute in")
            yield
            log.append("generator execute out")

    class AsyncGenerator(SchemaExtension):
        async def on_parse(self) -> AsyncIterator[None]:
            log.append("async generator parse in")
            yield
            log.append("async generator parse out")

        async def on_validate(self) -> AsyncIterator[None]:
            log.append("async generator validate in")
            yield
            log.append("async generator validate out")

    class Called(SchemaExtension):
        def on_execute(self) -> None:  # type: ignore[override]
            log.append("called execute")

    class Awaited(SchemaExtension):
        async def on_operation(self) -> None:  # type: ignore[override]
            log.append("awaited operation")

        def get_results(self) -> dict[str, Any]:
            return {"awaited": True}

    class Refusing(SchemaExtension):
        """Sees the execution end, whatever happened inside."""

        def on_execute(self) -> Iterator[None]:
            try:
                yield
            finally:
                log.append("refusing execute out")

    return [Generator, AsyncGenerator, Called, Awaited, Refusing]


def _failing(log: list[str], where: str, converts: bool) -> list[Any]:
    """A hook that raises a KeyError when left (``where``: the stage's hook name), one that
    turns it into a ValueError (when ``converts``), one that swallows a LookupError of the
    execution stage, and one that only watches."""

    class Watching(SchemaExtension):
        def on_operation(self) -> Iterator[None]:
            try:
                yield
            except Exception as exc:
                log.append(f"watching saw {exc!r}")
                raise
            log.append("watching left")

    class Swallowing(SchemaExtension):
        async def on_execute(self) -> AsyncIterator[None]:
            try:
                yield
            except LookupError as exc:
                log.append(f"swallowed {exc!r} (context {exc.__context__!r})")

    class Raising(SchemaExtension):
        pass

    def leave_badly(self: Any) -> Iterator[None]:
        yield
        log.append(f"raising in {where}")
        raise KeyError(where)

    def leave_worse(self: Any) -> Iterator[None]:
        try:
            yield
        except KeyError as exc:
            raise ValueError(f"worse than {exc}") from None

    class Worse(SchemaExtension):
        pass

    setattr(Raising, where, leave_badly)
    setattr(Worse, where, leave_worse)
    return [Watching, Swallowing, *([Worse] if converts else []), Raising]


@pytest.mark.parametrize("converts", [True, False])
@pytest.mark.parametrize("where", ["on_execute", "on_validate", "on_operation"])
@pytest.mark.parametrize("query", ["{ hello }", "{ broken }"])
def test_a_hook_failing_when_left_is_seen_as_strawberry_shows_it(where: str, query: str,
                                                                  converts: bool) -> None:
    def run(schema_class: type[strawberry.Schema]) -> tuple[list[str], Any]:
        log: list[str] = []
        schema = schema_class(query=Query, extensions=_failing(log, where, converts))
        return log, asyncio.run(schema.execute(query))

    expected_log, expected = run(strawberry.Schema)
    log, result = run(FastSchema)
    assert log == expected_log and f"raising in {where}" in log
    # Swallowed where the swallowing hook is, and nothing converted it first.
    swallowed = where == "on_execute" and not converts
    assert any(line.startswith("swallowed KeyError") for line in log) == swallowed
    assert bool(result.errors) == (not swallowed or query == "{ broken }")
    assert result.data == expected.data
    assert [e.formatted for e in result.errors or []] == [
        e.formatted for e in expected.errors or []]


@strawberry.type
class Query:
    @strawberry.field
    def hello(self) -> str:
        return "hi"

    @strawberry.field
    def broken(self) -> str:
        raise ValueError("broken")


class FastSchema(strawberry.Schema):
    def create_extensions_runner(self, execution_context: Any, extensions: Any) -> Any:
        return ExtensionsRunner(execution_context=execution_context, extensions=extensions)


def _run(schema_class: type[strawberry.Schema], query: str) -> tuple[list[str], Any]:
    log: list[str] = []
    schema = schema_class(query=Query, extensions=_extensions(log))
    result = asyncio.run(schema.execute(query))
    return log, result


@pytest.mark.parametrize("query", ["{ hello }", "{ hello broken }", "{ nope }", "{ hello"])
def test_hooks_run_as_strawberry_runs_them(query: str) -> None:
    expected_log, expected = _run(strawberry.Schema, query)
    log, result = _run(FastSchema, query)
    assert log == expected_log
    assert result.data == expected.data
    assert [e.formatted for e in result.errors or []] == [
        e.formatted for e in expected.errors or []]
    assert result.extensions == expected.extensions == {"awaited": True}
    assert "generator operation in" in log and "awaited operation" in log


def test_hooks_are_looked_up_once_per_class_and_stage() -> None:
    log: list[str] = []
    schema = FastSchema(query=Query, extensions=_extensions(log))
    extension_hooks._class_hook.cache_clear()
    extension_hooks._stage_hooks.cache_clear()
    for _ in range(4):
        asyncio.run(schema.execute("{ hello }"))
    # Five classes, four stages: each class's hook of a stage looked up once, and each
    # stage's list of hooks made once; every later request finds them.
    assert extension_hooks._class_hook.cache_info().misses == 5 * 4
    assert extension_hooks._class_hook.cache_info().hits == 0
    assert extension_hooks._stage_hooks.cache_info().misses == 4
    assert extension_hooks._stage_hooks.cache_info().hits == 3 * 4
    assert log.count("generator operation in") == 4


def test_a_sync_execution_refuses_an_async_hook_as_strawberry_does() -> None:
    def messages(schema_class: type[strawberry.Schema]) -> list[str]:
        schema = schema_class(query=Query, extensions=_extensions([]))
        result = schema.execute_sync("{ hello }")
        assert result.data is None
        return [re.sub(r" at 0x[0-9a-f]+", "", e.message) for e in result.errors or []]

    assert messages(FastSchema) == messages(strawberry.Schema)
    assert messages(FastSchema)[0].endswith(
        "Awaited object>.on_operation failed to complete synchronously.")


@pytest.mark.parametrize("where", ["on_execute", "on_validate", "on_operation", "on_parse"])
@pytest.mark.parametrize("shape", ["never_yields", "yields_twice", "swallows_twice"])
def test_a_badly_shaped_generator_hook_fails_as_strawberry_fails(where: str,
                                                                  shape: str) -> None:
    """A generator hook that never yields or yields twice (also after an error it
    swallowed): the same RuntimeError, at the same place, through both runners."""
    log: list[str] = []

    def never_yields(self: Any) -> Any:
        log.append("started")
        if False:
            yield

    def yields_twice(self: Any) -> Any:
        log.append("first")
        yield
        log.append("second")
        yield

    def swallows_twice(self: Any) -> Any:
        try:
            yield
        except Exception as exc:  # noqa: BLE001 - swallowed on purpose
            log.append(f"swallowed {type(exc).__name__}")
        yield

    class Bad(SchemaExtension):
        pass

    class Watching(SchemaExtension):
        def on_operation(self) -> Any:
            log.append("watching in")
            try:
                yield
            except Exception as exc:
                log.append(f"watching saw {type(exc).__name__}: {exc}")
                raise
            log.append("watching out")

    setattr(Bad, where, {"never_yields": never_yields, "yields_twice": yields_twice,
                         "swallows_twice": swallows_twice}[shape])

    def run(schema_class: type[strawberry.Schema]) -> tuple[list[str], Any]:
        log.clear()
        schema = schema_class(query=Query, extensions=[Watching, Bad])
        try:
            result: Any = asyncio.run(schema.execute("{ hello broken }"))
        except Exception as exc:  # noqa: BLE001 - compared below
            result = f"{type(exc).__name__}: {exc}"
        else:
            result = (result.data, [e.formatted for e in result.errors or []])
        return list(log), result

    assert run(FastSchema) == run(strawberry.Schema)
