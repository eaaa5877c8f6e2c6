"""The tenancy matrix of subscriptions: every root Subscription field of the composed schema,
subscribed over a real WebSocket by every kind of caller of reseller Alpha with each of reseller
Beta's ids in turn (a conversation, an account, a user, an outbox job), then Beta's people chat
(messages, typing, read receipts, queue changes). No Alpha caller ever receives a ``next``:
a subscription given Beta's id is refused with a code (never an internal error), and one
that needs no id (the queue) only ever hears Alpha's own events."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from graphql import GraphQLList, GraphQLNonNull, GraphQLScalarType

from gateway.jobs import enqueue
from tests.conftest import Gateway
from tests.gateway.test_subscriptions import Server
from tests.plugins.chat.live_support import (
    CLOSE,
    DUTY,
    OPEN,
    READ,
    SEND,
    TAKE,
    TYPING,
    caller,
    gid,
    make_chat,
)
from tests.plugins.chat.test_live_subscriptions import server  # noqa: F401  (fixture)

QUIET = 0.5
REFUSALS = {"NOT_FOUND", "FORBIDDEN", "UNAUTHENTICATED", "NOT_ON_DUTY"}


def _named(type_: Any) -> Any:
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        type_ = type_.of_type
    return type_


def _documents(schema: Any, foreign: list[str]) -> list[tuple[str, str, dict[str, Any]]]:
    """(field, document, variables) for every Subscription field and every Beta id."""
    calls = []
    for name, field in schema.subscription_type.fields.items():
        ids = [arg for arg, spec in field.args.items()
               if isinstance(_named(spec.type), GraphQLScalarType)
               and _named(spec.type).name == "ID"]
        required = [arg for arg, spec in field.args.items()
                    if isinstance(spec.type, GraphQLNonNull) and arg not in ids]
        assert not required, f"Subscription.{name}: teach the matrix its arguments {required}"
        definitions = ", ".join(f"${arg}: ID" + ("!" if isinstance(field.args[arg].type,
                                                                   GraphQLNonNull) else "")
                                for arg in ids)
        call = f"{name}({', '.join(f'{a}: ${a}' for a in ids)})" if ids else name
        head = f"subscription Matrix({definitions})" if ids else "subscription Matrix"
        document = f"{head} {{ {call} {{ __typename }} }}"
        for value in (foreign if ids else [None]):
            calls.append((name, document, {arg: value for arg in ids} if value else {}))
    return calls


async def _drain(ws: Any) -> list[dict[str, Any]]:
    """Every message until a ping is answered and nothing more comes for a while."""
    await ws.send({"type": "ping"})
    received: list[dict[str, Any]] = []
    ponged = False
    while True:
        try:
            raw = await asyncio.wait_for(ws.ws.recv(), QUIET if ponged else 15.0)
        except TimeoutError:
            return received
        message = json.loads(raw)
        if message["type"] == "pong":
            ponged = True
        else:
            received.append(message)


async def test_no_subscription_hears_another_tenant(
    chat_gateway: Gateway, server: Server  # noqa: F811
) -> None:
    alpha, beta = await make_chat("Alpha Matrix Live"), await make_chat("Beta Matrix Live")
    beta_staff = caller(chat_gateway, beta, "staff")
    beta_employee = caller(chat_gateway, beta, "employee")
    await beta_staff.ok(DUTY, input={"onDuty": True})
    opened = await beta_employee.ok(OPEN, input={"text": "Beta Zulu secret"})
    beta_cid = opened["conversation"]["id"]
    job = await enqueue("chat.transcript", {"conversation_id": 0})
    assert job is not None
    foreign = [beta_cid, opened["message"]["id"], gid("Account", beta.tenant.company.id),
               gid("User", beta.tenant.employee.id), gid("Reseller", beta.reseller.id),
               gid("OutboxJob", job.id)]
    documents = _documents(chat_gateway.app.state.schema._schema, foreign)
    assert {name for name, _, _ in documents} >= {"chatConversationEvents", "chatQueueChanged"}

    callers = {**alpha.headers, "anonymous": {}}
    await caller(chat_gateway, alpha, "staff").ok(DUTY, input={"onDuty": True})
    await beta_staff.ok(TAKE, input={"conversationId": beta_cid})
    problems = []
    for who, headers in callers.items():
        async with server.client(headers=headers) as ws:
            for n, (name, document, variables) in enumerate(documents):
                await ws.subscribe(f"{name}-{n}", document, variables)
            first = await _drain(ws)
            # Beta's people chat meanwhile: messages, typing, read receipts, the queue.
            sent = await beta_staff.ok(SEND, input={"conversationId": beta_cid,
                                                    "text": "Beta Zulu answer"})
            await beta_employee.ok(TYPING, input={"conversationId": beta_cid})
            await beta_employee.ok(READ, input={"conversationId": beta_cid,
                                                "messageId": sent["message"]["id"]})
            other = await beta_employee.ok(OPEN, input={"text": "Beta again"})
            other_id = other["conversation"]["id"]
            await beta_staff.ok(TAKE, input={"conversationId": other_id})
            await beta_staff.ok(CLOSE, input={"conversationId": other_id})
            later = await _drain(ws)
            for message in first + later:
                if message["type"] == "error":
                    codes = {e["extensions"]["code"] for e in message["payload"]}
                    if not codes <= REFUSALS:
                        problems.append(f"{who}: {message['id']} refused with {codes}")
                elif message["type"] == "next":
                    problems.append(f"{who}: {message['id']} heard {message['payload']}")
                elif message["type"] != "complete":
                    problems.append(f"{who}: {message}")
    assert not problems, "\n".join(problems)
