"""Schema extensions' hooks entered without strawberry's per-request set-up.

Strawberry builds, for every request and each of its four stages (operation, parsing,
validation, execution), a context manager per extension: it looks the hook up on the class,
wraps it in ``contextlib.contextmanager`` (``functools.update_wrapper`` each time) and
enters it through an exit stack. With the gateway's nine extensions that set-up was about
a third of a ``{ __typename }`` request. Here each extension class's hooks are looked up and
wrapped once, per class; a request only calls them (a generator hook is driven by ``next``
as ``contextlib.contextmanager`` drives it, without a manager object per request), and
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

# A hook: (its kind, what is called with the extension instance): a generator function
# (driven directly), a context manager factory, an async context manager factory.
GENERATOR, MANAGER, ASYNC_MANAGER = 0, 1, 2
Hook = tuple[int, Callable[[SchemaExtension], Any]]
# contextlib's manager of a generator, for a generator hook entered directly that must be
# left through an exit stack (its __exit__ reads nothing but the generator).
def _one_step() -> Iterator[None]:
    yield


_GeneratorManager: Any = type(contextlib.contextmanager(_one_step)())


@cache
def _class_hook(cls: type[SchemaExtension], name: str) -> Hook | None:
    """``cls``'s hook of that stage wrapped as a context manager factory, or None when the
    class keeps :class:`SchemaExtension`'s (which does nothing)."""
    function = getattr(cls, name)
    if function is getattr(SchemaExtension, name):
        return None
    if inspect.isgeneratorfunction(function):
        return GENERATOR, function
    if inspect.isasyncgenfunction(function):
        return ASYNC_MANAGER, contextlib.asynccontextmanager(function)
    if not callable(function):
        raise ValueError(f"Hook {name} on {cls} must be callable, received {function!r}")
    if inspect.iscoroutinefunction(function):

        @contextlib.asynccontextmanager
        async def awaited(extension: SchemaExtension) -> AsyncIterator[None]:
            await function(extension)
            yield

        return ASYNC_MANAGER, awaited

    @contextlib.contextmanager
    def called(extension: SchemaExtension) -> Iterator[None]:
        function(extension)
        yield

    return MANAGER, called


@cache
def _stage_hooks(classes: tuple[type[SchemaExtension], ...], name: str
                 ) -> tuple[tuple[int, int, Callable[[SchemaExtension], Any]], ...]:
    """(index of the extension, the hook's kind, the hook) for every extension of
    ``classes`` (a request's, in order) with a hook for that stage."""
    return tuple((index, *hook) for index, cls in enumerate(classes)
                 if (hook := _class_hook(cast(Any, cls), name)) is not None)


def _start(generator: Any) -> None:
    """Enter a generator hook (what contextlib's ``__enter__`` does)."""
    try:
        next(generator)
    except StopIteration:
        raise RuntimeError("generator didn't yield") from None


def _finish(generator: Any) -> None:
    """Leave a generator hook when nothing failed (contextlib's ``__exit__(None, ...)``)."""
    try:
        next(generator)
    except StopIteration:
        return
    try:
        raise RuntimeError("generator didn't stop")
    finally:
        generator.close()


class _Stage:
    """One stage's hooks of one request's extensions, entered in order, left in reverse.

    A generator hook is driven directly (``next``), as ``contextlib.contextmanager`` would
    drive it, without making a context manager per request; the other hooks are entered as
    context managers. When nothing goes wrong each hook is left directly; from the first
    exception on, the hooks still to leave are handed to an exit stack (a generator in
    contextlib's own manager), which gives them that exception as ``contextlib.ExitStack``
    would have (strawberry's runner enters them through one)."""

    __slots__ = ("_entered", "_hooks", "_name")

    def __init__(self, extensions: list[SchemaExtension], name: str) -> None:
        self._name = name
        plan = _stage_hooks(tuple(map(type, extensions)), name)
        self._hooks = [(kind, hook, extensions[index]) for index, kind, hook in plan]
        self._entered: list[tuple[int, Any]] = []

    def __enter__(self) -> None:
        entered = self._entered
        for kind, hook, extension in self._hooks:
            if kind == ASYNC_MANAGER:
                raise RuntimeError(f"SchemaExtension hook {extension}.{self._name} failed to "
                                   "complete synchronously.")
            entered.append(self._entry(kind, hook, extension))

    @staticmethod
    def _entry(kind: int, hook: Any, extension: SchemaExtension) -> tuple[int, Any]:
        """A sync hook entered: (its kind, the generator or the manager to leave)."""
        if kind == GENERATOR:
            generator = hook(extension)
            _start(generator)
            return kind, generator
        manager = hook(extension)
        manager.__enter__()
        return kind, manager

    def __exit__(self, *exc_info: Any) -> bool:
        entered = self._entered
        if exc_info[0] is None:
            while entered:
                kind, left = entered.pop()
                try:
                    if kind == GENERATOR:
                        _finish(left)
                    else:
                        left.__exit__(None, None, None)
                except BaseException:
                    if not self._exit_stack().__exit__(*sys.exc_info()):
                        raise
                    return False
            return False
        return bool(self._exit_stack().__exit__(*exc_info))

    async def __aenter__(self) -> None:
        entered = self._entered
        for kind, hook, extension in self._hooks:
            if kind == ASYNC_MANAGER:
                manager = hook(extension)
                await manager.__aenter__()
                entered.append((kind, manager))
            else:
                entered.append(self._entry(kind, hook, extension))

    async def __aexit__(self, *exc_info: Any) -> bool:
        entered = self._entered
        if exc_info[0] is None:
            while entered:
                kind, left = entered.pop()
                try:
                    if kind == GENERATOR:
                        _finish(left)
                    elif kind == ASYNC_MANAGER:
                        await left.__aexit__(None, None, None)
                    else:
                        left.__exit__(None, None, None)
                except BaseException:
                    if not await self._exit_stack(True).__aexit__(*sys.exc_info()):
                        raise
                    return False
            return False
        return bool(await self._exit_stack(True).__aexit__(*exc_info))

    def _exit_stack(self, asynchronous: bool = False) -> Any:
        """The hooks not left yet, in an exit stack (an async one takes both kinds)."""
        stack: Any = contextlib.AsyncExitStack() if asynchronous else contextlib.ExitStack()
        for kind, left in self._entered:
            if kind == ASYNC_MANAGER:
                stack.push_async_exit(left)
            elif kind == GENERATOR:
                manager = object.__new__(_GeneratorManager)
                manager.gen = left
                stack.push(manager)
            else:
                stack.push(left)
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
