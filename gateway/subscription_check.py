"""strawberry's HTTP view asks of every result whether it is a subscription's stream.

``AsyncBaseHTTPView.run`` calls ``isinstance(result, SubscriptionExecutionResult)`` on every
request; that class is a runtime-checkable ``Protocol``, which typing_extensions checks by
reading each of its members with ``inspect.getattr_static`` on every call: ~8 µs, about a
twentieth of a ``{ __typename }``. :func:`install` gives the view's module (which looks the
name up when it runs) a class whose ``isinstance`` asks the Protocol once per result class and
remembers the answer (a result's class decides it: the members are async-iteration methods,
which Python looks up on the class).
"""

from __future__ import annotations

from typing import Any

from strawberry.http import async_base_view
from strawberry.types.execution import SubscriptionExecutionResult

_MOST = 256  # result classes remembered: a handful in practice


class _OncePerClass(type):
    known: dict[type, bool] = {}

    def __instancecheck__(cls, instance: Any) -> bool:
        kind = type(instance)
        answer = _OncePerClass.known.get(kind)
        if answer is None:
            answer = isinstance(instance, SubscriptionExecutionResult)
            if len(_OncePerClass.known) < _MOST:
                _OncePerClass.known[kind] = answer
        return answer


class SubscriptionResult(metaclass=_OncePerClass):
    """What ``isinstance(result, SubscriptionExecutionResult)`` says, remembered per class."""


def install() -> None:
    """Make strawberry's HTTP view use :class:`SubscriptionResult` (idempotent)."""
    current = getattr(async_base_view, "SubscriptionExecutionResult", None)
    if current is SubscriptionResult:
        return
    if current is not SubscriptionExecutionResult:
        raise RuntimeError("strawberry's HTTP view no longer checks SubscriptionExecutionResult "
                           "by that name: remove gateway.subscription_check")
    async_base_view.SubscriptionExecutionResult = SubscriptionResult  # type: ignore[assignment,misc]
