"""Schema extensions' hooks entered without strawberry's per-request set-up.

Strawberry builds, for every request and each of its four stages (operation, parsing,
validation, execution), a context manager per extension: it looks the hook up on the class,
wraps it in ``contextlib.contextmanager`` (``functools.update_wrapper`` each time) and
enters it through an exit stack. With the gateway's nine extensions that set-up was about
a third of a ``{ __typename }`` request. Here each extension class's hooks are looked up and
wrapped once, per class (the same ``contextlib`` wrappers); a request only calls them, and
leaves them in reverse order directly while nothing fails. From the first exception on, the
hooks still to leave go through ``contextlib``'s exit stack, as strawberry's do: they see the
same exceptions and may suppress them as before (tests/schema/test_extension_hooks.py runs
both runners side by side).
"""

from __future__ import annotations

import contextlib
import inspect
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from functools import cache
from typing import Any, cast

from strawberry.extensions import SchemaExtension
from strawberry.extensions.context import (
    ExecutingContextManager,
    OperationContextManager,
    ParsingContextManager,
    ValidationContextManager,
)
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.types import ExecutionContext
from strawberry.utils.await_maybe import await_maybe

# A wrapped hook: (is it async, the factory called with the extension instance).
Hook = tuple[bool, Callable[[SchemaExtension], Any]]


@cache
def _class_hook(cls: type[SchemaExtension], name: str) -> Hook | None:
    """``cls``'s hook of that stage wrapped as a context manager factory, or None when the
    class keeps :class:`SchemaExtension`'s (which does nothing)."""
    function = getattr(cls, name)
    if function is getattr(SchemaExtension, name):
        return None
    if inspect.isgeneratorfunction(function):
        return False, contextlib.contextmanager(function)
    if inspect.isasyncgenfunction(function):
        return True, contextlib.asynccontextmanager(function)
    if not callable(function):
        raise ValueError(f"Hook {name} on {cls} must be callable, received {function!r}")
    if inspect.iscoroutinefunction(function):

        @contextlib.asynccontextmanager
        async def awaited(extension: SchemaExtension) -> AsyncIterator[None]:
            await function(extension)
            yield

        return True, awaited

    @contextlib.contextmanager
    def called(extension: SchemaExtension) -> Iterator[None]:
        function(extension)
        yield

    return False, called


@cache
def _stage_hooks(classes: tuple[type[SchemaExtension], ...], name: str
                 ) -> tuple[tuple[int, bool, Callable[[SchemaExtension], Any]], ...]:
    """(index of the extension, is it async, its wrapped hook) for every extension of
    ``classes`` (a request's, in order) with a hook for that stage."""
    return tuple((index, *hook) for index, cls in enumerate(classes)
                 if (hook := _class_hook(cast(Any, cls), name)) is not None)


class _Stage:
    """One stage's hooks of one request's extensions, entered in order, left in reverse.

    When nothing goes wrong each hook is left directly; from the first exception on, the
    hooks still to leave are handed to an exit stack, which gives them that exception as
    ``contextlib.ExitStack`` would have (strawberry's runner enters them through one)."""

    __slots__ = ("_entered", "_hooks", "_name")

    def __init__(self, extensions: list[SchemaExtension], name: str) -> None:
        self._name = name
        plan = _stage_hooks(tuple(map(type, extensions)), name)
        self._hooks = [((is_async, factory), extensions[index])
                       for index, is_async, factory in plan]
        self._entered: list[tuple[bool, Any]] = []

    def __enter__(self) -> None:
        entered = self._entered
        for (is_async, factory), extension in self._hooks:
            if is_async:
                raise RuntimeError(f"SchemaExtension hook {extension}.{self._name} failed to "
                                   "complete synchronously.")
            manager = factory(extension)
            manager.__enter__()
            entered.append((False, manager))

    def __exit__(self, *exc_info: Any) -> bool:
        entered = self._entered
        if exc_info[0] is None:
            while entered:
                _, manager = entered.pop()
                try:
                    manager.__exit__(None, None, None)
                except BaseException:
                    if not self._exit_stack().__exit__(*sys.exc_info()):
                        raise
                    return False
            return False
        return bool(self._exit_stack().__exit__(*exc_info))

    async def __aenter__(self) -> None:
        entered = self._entered
        for (is_async, factory), extension in self._hooks:
            manager = factory(extension)
            if is_async:
                await manager.__aenter__()
            else:
                manager.__enter__()
            entered.append((is_async, manager))

    async def __aexit__(self, *exc_info: Any) -> bool:
        entered = self._entered
        if exc_info[0] is None:
            while entered:
                is_async, manager = entered.pop()
                try:
                    if is_async:
                        await manager.__aexit__(None, None, None)
                    else:
                        manager.__exit__(None, None, None)
                except BaseException:
                    if not await self._exit_stack(True).__aexit__(*sys.exc_info()):
                        raise
                    return False
            return False
        return bool(await self._exit_stack(True).__aexit__(*exc_info))

    def _exit_stack(self, asynchronous: bool = False) -> Any:
        """The hooks not left yet, in an exit stack (an async one takes both kinds)."""
        stack: Any = contextlib.AsyncExitStack() if asynchronous else contextlib.ExitStack()
        for is_async, manager in self._entered:
            if is_async:
                stack.push_async_exit(manager)
            else:
                stack.push(manager)
        self._entered = []
        return stack


_OPERATION = OperationContextManager.HOOK_NAME
_PARSING = ParsingContextManager.HOOK_NAME
_VALIDATION = ValidationContextManager.HOOK_NAME
_EXECUTING = ExecutingContextManager.HOOK_NAME


class ExtensionsRunner(SchemaExtensionsRunner):
    """Strawberry's runner with each stage's hooks looked up once per extension class."""

    def operation(self) -> Any:
        return _Stage(self.extensions, _OPERATION)

    def parsing(self) -> Any:
        return _Stage(self.extensions, _PARSING)

    def validation(self) -> Any:
        return _Stage(self.extensions, _VALIDATION)

    def executing(self) -> Any:
        return _Stage(self.extensions, _EXECUTING)

    async def get_extensions_results(self, ctx: ExecutionContext) -> dict[str, Any]:
        """Strawberry's, without calling the ``get_results`` every class inherits (an
        empty dict each, through ``await_maybe``)."""
        data: dict[str, Any] = {}
        for extension in self.extensions:
            if type(extension).get_results is not _NO_RESULTS:
                data.update(await await_maybe(extension.get_results()))
        data.update(ctx.extensions_results)
        return data


_NO_RESULTS = SchemaExtension.get_results
