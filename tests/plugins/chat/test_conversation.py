"""Live conversations over GraphQL (HTTP): opening in and outside hours, the queue of staff on
duty, take / reply / transfer / close, read receipts, the transcript and the offline notice
emailed through the outbox to a real SMTP server, history by account, the limits, and another
tenant's conversations answering "not found"."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from gateway.identity.models import Reseller
from plugins.chat.conversation_models import Conversation, Message
from plugins.chat.conversations import LIMITS
from plugins.chat.models import ChatSettings
from tests.conftest import Gateway
from tests.gateway.test_email import SmtpServer
from tests.plugins.chat.live_support import (
    AGENTS,
    CLOSE,
    CONVERSATIONS,
    DUTY,
    MESSAGES,
    OPEN,
    QUEUE,
    READ,
    RECEIPTS,
    SEND,
    TAKE,
    TRANSCRIPT,
    TRANSFER,
    TYPING,
    Chat,
    body_text,
    caller,
    closed_until,
    gid,
    mails_to,
    make_chat,
)


@pytest.fixture
async def alpha(chat_gateway: Gateway) -> Chat:
    return await make_chat("Alpha Clavardage")


@pytest.fixture
async def beta(chat_gateway: Gateway) -> Chat:
    return await make_chat("Beta Chat")


async def _open(gateway: Gateway, chat: Chat, who: str = "employee", text: str = "Bonjour!",
                language: str | None = "fr") -> dict[str, Any]:
    payload = await caller(gateway, chat, who).ok(OPEN, input={"text": text,
                                                                "language": language})
    return payload


async def _on_duty(gateway: Gateway, chat: Chat, who: str = "staff",
                   languages: list[str] | None = None) -> None:
    await caller(gateway, chat, who).ok(DUTY, input={"onDuty": True, "languages": languages})


async def test_a_conversation_from_queue_to_transcript(
    chat_gateway: Gateway, alpha: Chat, smtp: SmtpServer
) -> None:
    employee = caller(chat_gateway, alpha, "employee", "fr")
    staff = caller(chat_gateway, alpha, "staff")
    colleague = caller(chat_gateway, alpha, "colleague")

    opened = await _open(chat_gateway, alpha, text="Mon téléphone ne sonne plus.")
    conversation = opened["conversation"]
    assert (conversation["status"], conversation["language"], conversation["outsideHours"]) \
        == ("WAITING", "fr", False)
    assert opened["outsideHours"] is False and opened["reopensAt"] is None
    assert conversation["account"]["id"] == gid("Account", alpha.tenant.company.id)
    cid = conversation["id"]

    # Not on duty: no queue, no taking.
    refused = await staff(QUEUE)
    assert refused["errors"][0]["extensions"]["code"] == "NOT_ON_DUTY"
    taken = await staff.data(TAKE, input={"conversationId": cid})
    assert [e["code"] for e in taken["errors"]] == ["NOT_ON_DUTY"]

    # On duty in English only: a French conversation is not in the queue, nor can be taken.
    await _on_duty(chat_gateway, alpha, languages=["en"])
    assert (await staff.data(QUEUE))["totalCount"] == 0
    await _on_duty(chat_gateway, alpha, languages=["en", "fr"])
    queue = await staff.data(QUEUE)
    assert [n["id"] for n in queue["nodes"]] == [cid]
    assert queue["nodes"][0]["openedByName"] == "Employee " + alpha.tenant.employee.last_name

    taken = await staff.ok(TAKE, input={"conversationId": cid})
    assert taken["conversation"]["status"] == "ACTIVE"
    assert taken["conversation"]["assignedTo"] == gid("User", alpha.tenant.admin.id)
    assert (await staff.data(QUEUE))["totalCount"] == 0
    # A colleague on duty cannot take it any more, and is told who has it.
    await _on_duty(chat_gateway, alpha, "colleague", ["fr"])
    again = await colleague.data(TAKE, input={"conversationId": cid})
    assert [e["code"] for e in again["errors"]] == ["ALREADY_TAKEN"]
    assert alpha.tenant.admin.last_name in again["errors"][0]["message"]
    # ... nor write in it.
    sent = await colleague.data(SEND, input={"conversationId": cid, "text": "Hello"})
    assert [e["code"] for e in sent["errors"]] == ["NOT_PARTICIPANT"]

    reply = await staff.ok(SEND, input={"conversationId": cid, "text": "Avez-vous redémarré?"})
    assert reply["message"]["side"] == "STAFF"
    await employee.ok(SEND, input={"conversationId": cid, "text": "Oui, deux fois."})
    await employee.ok(TYPING, input={"conversationId": cid})
    receipt = await employee.ok(READ, input={"conversationId": cid,
                                             "messageId": reply["message"]["id"]})
    assert receipt["receipt"]["lastReadMessage"] == reply["message"]["id"]
    receipts = await employee(RECEIPTS, c=cid)
    assert receipts["data"]["chatReadReceipts"] == [
        {"user": gid("User", alpha.tenant.employee.id),
         "lastReadMessage": reply["message"]["id"]}]

    # Transfer: to a colleague on duty in French (not to an unknown or other reseller's user).
    agents = (await staff(AGENTS))["data"]["chatAgentsOnDuty"]
    assert {a["user"]: a["languages"] for a in agents} == {
        gid("User", alpha.tenant.admin.id): ["en", "fr"], gid("User", alpha.colleague.id): ["fr"]}
    moved = await staff.ok(TRANSFER, input={"conversationId": cid,
                                            "toUserId": gid("User", alpha.colleague.id)})
    assert moved["conversation"]["assignedTo"] == gid("User", alpha.colleague.id)
    sent = await staff.data(SEND, input={"conversationId": cid, "text": "Je transfère"})
    assert [e["code"] for e in sent["errors"]] == ["NOT_PARTICIPANT"]
    await colleague.ok(SEND, input={"conversationId": cid, "text": "Je prends le relais."})

    closed = await employee.ok(CLOSE, input={"conversationId": cid})
    assert closed["conversation"]["status"] == "CLOSED"
    after = await employee.data(SEND, input={"conversationId": cid, "text": "Encore?"})
    assert [e["code"] for e in after["errors"]] == ["CLOSED"]
    assert after["errors"][0]["message"] == "Cette conversation est fermée."

    messages = await employee.data(MESSAGES, c=cid)
    assert [(m["kind"], m["side"]) for m in messages["nodes"]] == [
        ("TEXT", "SUBSCRIBER"), ("TAKEN", "STAFF"), ("TEXT", "STAFF"), ("TEXT", "SUBSCRIBER"),
        ("TRANSFERRED", "STAFF"), ("TEXT", "STAFF"), ("CLOSED", "SUBSCRIBER")]
    colleague_name = f"{alpha.colleague.first_name} {alpha.colleague.last_name}"
    assert colleague_name in messages["nodes"][4]["text"]  # "… a transféré la conversation à …"
    assert "transféré" in messages["nodes"][4]["text"]

    # The transcript, emailed to the subscriber who opened it, in its language (fr).
    await employee.ok(TRANSCRIPT, input={"conversationId": cid})
    [mail] = await mails_to(smtp, alpha.tenant.employee.email)
    text = body_text(mail)
    assert "Mon téléphone ne sonne plus." in text and "Je prends le relais." in text
    assert "a transféré la conversation à " + colleague_name in text
    assert str(mail["Subject"]).strip().startswith("Transcription de votre conversation")


async def test_outside_hours_the_message_is_kept_and_support_emailed(
    chat_gateway: Gateway, alpha: Chat, smtp: SmtpServer
) -> None:
    reopens = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)).replace(microsecond=0)
    await closed_until(alpha.reseller, "en", reopens)
    await Reseller.filter(id=alpha.reseller.id).update(
        branding={"support_email": "soutien@alpha-chat.example"})
    for language, expected in (("en", "The chat reopens on "), ("fr", "Le clavardage rouvre le ")):
        who = "professional" if language == "en" else "employee"  # (the employee reads fr)
        payload = await caller(chat_gateway, alpha, who, language).ok(
            OPEN, input={"text": f"Help ({language})", "language": "en"})
        assert payload["outsideHours"] is True
        assert payload["conversation"]["outsideHours"] is True
        assert payload["conversation"]["status"] == "WAITING"  # kept for the staff
        assert dt.datetime.fromisoformat(payload["reopensAt"]) == reopens
        local = reopens.astimezone(ZoneInfo("America/Toronto")).strftime("%Y-%m-%d %H:%M")
        assert f"{expected}{local}" in payload["notice"]
    mails = await mails_to(smtp, "soutien@alpha-chat.example", 2)
    # Two workers send them: in either order.
    [mail] = [m for m in mails if "Help (en)" in body_text(m)]
    assert alpha.tenant.professional.email in body_text(mail)
    # The reseller's language (fr) for its support team; the user's address to reply to.
    assert str(mail["Subject"]).strip().startswith("Message de clavardage reçu hors des heures")
    assert mail["Reply-To"] == alpha.tenant.professional.email
    # French is open: the same account's French conversation is not outside hours.
    french = await _open(chat_gateway, alpha, "company admin", "Bonjour", "fr")
    assert french["outsideHours"] is False


async def test_chat_not_offered_keeps_nothing(chat_gateway: Gateway, alpha: Chat) -> None:
    await ChatSettings.filter(reseller_id=alpha.reseller.id).update(enabled=False)
    before = await Conversation.all().count()
    for who, message in (("professional", "Your provider does not offer chat."),
                         ("employee", "Votre fournisseur n'offre pas le clavardage.")):
        payload = await caller(chat_gateway, alpha, who).data(OPEN, input={"text": "Allô"})
        assert payload["errors"] == [{"code": "CHAT_UNAVAILABLE", "field": None,
                                      "message": message}]
        assert payload["conversation"] is None
    assert await Conversation.all().count() == before


async def test_limits(chat_gateway: Gateway, alpha: Chat) -> None:
    employee = caller(chat_gateway, alpha, "employee", "fr")
    too_long = "x" * (LIMITS.max_message_length + 1)
    payload = await employee.data(OPEN, input={"text": too_long})
    assert payload["errors"] == [{
        "code": "TOO_LONG", "field": ["input", "text"],
        "message": f"Un message compte au plus {LIMITS.max_message_length} caractères "
                   f"({LIMITS.max_message_length + 1} reçus)."}]
    blank = await employee.data(OPEN, input={"text": "   "})
    assert [(e["code"], e["field"]) for e in blank["errors"]] == [("REQUIRED", ["input", "text"])]
    bad = await employee.data(OPEN, input={"text": "Hi", "language": "de"})
    assert [(e["code"], e["field"]) for e in bad["errors"]] == [
        ("INVALID_LANGUAGE", ["input", "language"])]

    # Open conversations per account (the employee and the company admin together).
    opened = [await _open(chat_gateway, alpha, who, "Bonjour")
              for who in ("employee", "company admin", "employee")]
    assert LIMITS.open_conversations_per_account == len(opened)
    extra = await caller(chat_gateway, alpha, "company admin").data(OPEN, input={"text": "4e"})
    assert [e["code"] for e in extra["errors"]] == ["TOO_MANY_OPEN_CONVERSATIONS"]
    assert str(LIMITS.open_conversations_per_account) in extra["errors"][0]["message"]

    # Messages per minute per user (counted in the database, every conversation together).
    cid = opened[0]["conversation"]["id"]
    sent = await Message.filter(sender_id=alpha.tenant.employee.id).count()  # the openings
    while sent < LIMITS.messages_per_minute:
        await employee.ok(SEND, input={"conversationId": cid, "text": f"m{sent}"})
        sent += 1
    limited = await employee.data(SEND, input={"conversationId": cid, "text": "one more"})
    assert [e["code"] for e in limited["errors"]] == ["TOO_MANY_MESSAGES"]
    assert 1 <= limited["retryAfter"] <= 61
    assert limited["message"] is None
    count = await Message.filter(sender_id=alpha.tenant.employee.id).count()
    assert count == LIMITS.messages_per_minute


async def test_another_tenants_conversation_is_not_found(
    chat_gateway: Gateway, alpha: Chat, beta: Chat
) -> None:
    opened = await _open(chat_gateway, alpha, "employee", "Privé")
    cid = opened["conversation"]["id"]
    mid = opened["message"]["id"]
    for who in ("staff", "company admin", "employee", "professional"):
        other = caller(chat_gateway, beta, who)
        for query, variables in ((MESSAGES, {"c": cid}), (RECEIPTS, {"c": cid})):
            result = await other(query, **variables)
            assert result["errors"][0]["extensions"]["code"] == "NOT_FOUND", (who, result)
            assert "Privé" not in str(result)
        for mutation, payload in ((SEND, {"conversationId": cid, "text": "hi"}),
                                  (TYPING, {"conversationId": cid}),
                                  (READ, {"conversationId": cid, "messageId": mid}),
                                  (CLOSE, {"conversationId": cid}),
                                  (TRANSCRIPT, {"conversationId": cid})):
            answer = await other.data(mutation, input=payload)
            assert [e["code"] for e in answer["errors"]] == ["NOT_FOUND"], (who, answer)
        for node_id in (cid, mid):
            node = await other("query($id: ID!) { node(id: $id) { id } }", id=node_id)
            assert node == {"data": {"node": None}}, (who, node)
        listed = await other.data(CONVERSATIONS)
        assert listed["totalCount"] == 0 or cid not in [n["id"] for n in listed["nodes"]]
    await _on_duty(chat_gateway, beta)
    beta_staff = caller(chat_gateway, beta, "staff")
    assert cid not in [n["id"] for n in (await beta_staff.data(QUEUE))["nodes"]]
    taken = await beta_staff.data(TAKE, input={"conversationId": cid})
    assert [e["code"] for e in taken["errors"]] == ["NOT_FOUND"]
    account = await beta_staff(CONVERSATIONS, accountId=gid("Account", alpha.tenant.company.id))
    assert account["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    # A transfer to another reseller's user: that user is not found.
    await _on_duty(chat_gateway, alpha)
    await caller(chat_gateway, alpha, "staff").ok(TAKE, input={"conversationId": cid})
    moved = await caller(chat_gateway, alpha, "staff").data(
        TRANSFER, input={"conversationId": cid, "toUserId": gid("User", beta.tenant.admin.id)})
    assert [(e["code"], e["field"]) for e in moved["errors"]] == [
        ("NOT_FOUND", ["input", "toUserId"])]
    # Within the account: an employee sees its own conversations, the company admin all.
    mine = await caller(chat_gateway, alpha, "company admin").data(CONVERSATIONS)
    assert cid in [n["id"] for n in mine["nodes"]]
    node = await caller(chat_gateway, alpha, "company admin")(
        "query($id: ID!) { node(id: $id) { ... on ChatMessage { text } } }", id=mid)
    assert node == {"data": {"node": {"text": "Privé"}}}
    theirs = await caller(chat_gateway, alpha, "professional").data(CONVERSATIONS)
    assert cid not in [n["id"] for n in theirs["nodes"]]


async def test_transfer_needs_a_colleague_on_duty(chat_gateway: Gateway, alpha: Chat) -> None:
    opened = await _open(chat_gateway, alpha, "employee", "Transfert", "en")
    cid = opened["conversation"]["id"]
    await _on_duty(chat_gateway, alpha)
    staff = caller(chat_gateway, alpha, "staff", "fr")
    await staff.ok(TAKE, input={"conversationId": cid})
    await caller(chat_gateway, alpha, "colleague").ok(DUTY, input={"onDuty": False})
    refused = await staff.data(TRANSFER, input={"conversationId": cid,
                                                "toUserId": gid("User", alpha.colleague.id)})
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [
        ("NOT_ON_DUTY", ["input", "toUserId"])]
    assert "is not on duty for the chat" in refused["errors"][0]["message"]
    await _on_duty(chat_gateway, alpha, "colleague", ["fr"])  # French only: still refused
    refused = await staff.data(TRANSFER, input={"conversationId": cid,
                                                "toUserId": gid("User", alpha.colleague.id)})
    assert [e["code"] for e in refused["errors"]] == ["NOT_ON_DUTY"]


async def test_history_is_searchable_by_account_and_pages_cost_the_same(
    chat_gateway: Gateway, alpha: Chat, count_queries: Any
) -> None:
    for text in ("Facture de mars", "Problème de boîte vocale", "Facture d'avril"):
        opened = await _open(chat_gateway, alpha, "professional", text)
        await caller(chat_gateway, alpha, "professional").ok(
            CLOSE, input={"conversationId": opened["conversation"]["id"]})
    staff = caller(chat_gateway, alpha, "staff")
    account = gid("Account", alpha.tenant.professional_account.id)
    found = await staff.data(CONVERSATIONS, accountId=account, search="facture")
    assert found["totalCount"] == 2
    assert {n["status"] for n in found["nodes"]} == {"CLOSED"}
    assert (await staff.data(CONVERSATIONS, accountId=account, status="CLOSED"))[
        "totalCount"] == 3
    other = gid("Account", alpha.tenant.company.id)
    assert (await staff.data(CONVERSATIONS, accountId=other, search="facture"))[
        "totalCount"] == 0

    counts = {}
    for first in (1, 3):
        with count_queries() as statements:
            page = await staff.data(CONVERSATIONS, accountId=account, first=first)
        assert len(page["nodes"]) == first
        counts[first] = len(statements)
    assert counts[1] == counts[3]


async def test_catch_up_by_query_after_a_message(chat_gateway: Gateway, alpha: Chat) -> None:
    opened = await _open(chat_gateway, alpha, "employee", "un")
    cid, first_id = opened["conversation"]["id"], opened["message"]["id"]
    employee = caller(chat_gateway, alpha, "employee")
    for text in ("deux", "trois"):
        await employee.ok(SEND, input={"conversationId": cid, "text": text})
    missed = await employee.data(MESSAGES, c=cid, after=first_id)
    assert [m["text"] for m in missed["nodes"]] == ["deux", "trois"]
    assert missed["totalCount"] == 2
    bad = await employee(MESSAGES, c=cid, after=gid("Account", 1))
    assert bad["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_only_subscribers_open_and_only_staff_go_on_duty(
    chat_gateway: Gateway, alpha: Chat
) -> None:
    staff = caller(chat_gateway, alpha, "staff")
    refused = await staff(OPEN, input={"text": "Hi"})
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    employee = caller(chat_gateway, alpha, "employee", "fr")
    duty = await employee(DUTY, input={"onDuty": True})
    assert duty["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    bad = await staff.data(DUTY, input={"onDuty": True, "languages": ["en", "xx"]})
    assert [(e["code"], e["field"]) for e in bad["errors"]] == [
        ("INVALID_LANGUAGE", ["input", "languages", "1"])]
    anonymous = await chat_gateway.graphql(OPEN, {"input": {"text": "Hi"}})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
