"""gateway.subscription_check: strawberry's view tells a subscription's stream from a result
as the Protocol does, asking it once per class."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from graphql import ExecutionResult
from strawberry.http import async_base_view
from strawberry.types.execution import SubscriptionExecutionResult

import gateway.app  # noqa: F401 - installs the check
from gateway import subscription_check


async def _stream() -> AsyncIterator[int]:
    yield 1


class OnlyIter:
    def __aiter__(self) -> Any:
        return self


class Both(OnlyIter):
    async def __anext__(self) -> Any:
        raise StopAsyncIteration


@pytest.mark.parametrize("value", [ExecutionResult(data={"a": 1}), _stream(), OnlyIter(),
                                   Both(), None, "text", {"data": None}],
                         ids=lambda value: type(value).__name__)
def test_the_same_answer_as_the_protocol(value: Any) -> None:
    assert async_base_view.SubscriptionExecutionResult is subscription_check.SubscriptionResult
    expected = isinstance(value, SubscriptionExecutionResult)
    for _ in range(2):  # asked, then remembered
        assert isinstance(value, subscription_check.SubscriptionResult) is expected
    assert subscription_check._OncePerClass.known[type(value)] is expected
    if hasattr(value, "aclose"):
        value.aclose().close()


def test_the_protocol_is_asked_once_per_class(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[type] = []
    original = type(SubscriptionExecutionResult).__instancecheck__

    def counting(cls: Any, instance: Any) -> bool:
        asked.append(type(instance))
        return original(cls, instance)

    monkeypatch.setattr(subscription_check._OncePerClass, "known", {})
    monkeypatch.setattr(type(SubscriptionExecutionResult), "__instancecheck__", counting)
    for _ in range(3):
        assert not isinstance(ExecutionResult(data=None), subscription_check.SubscriptionResult)
    assert asked == [ExecutionResult]
    subscription_check.install()  # idempotent
