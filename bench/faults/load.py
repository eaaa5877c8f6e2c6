"""The steady load that runs through each fault, every request recorded with its outcome.

Clients are a reseller's staff (its admin, signed in through the ``login`` mutation, signing in
again when its session ends): they add shared contacts to a directory account (each with a
unique marker in its name: the writes compared with the database afterwards), change the
account's options, read the accounts list, the directory and their own ``me``, and send a
custom message to the account (one email through the outbox, its marker in the subject). A
probe reads ``/healthz`` of every live API process.

Beside them, one client goes through the areas that landed later, one request every
``AREA_PAUSE``: a call-center import (``POST /callcenter/import``, one JSON line, as an
integrator uploads; the call's id is a marker), a chat message in a conversation the admin took
(``sendChatMessage``, its text a marker; at most one every ``CHAT_SPACING``, under the chat's
20 messages a minute), a Twilio webhook (``POST /twilio/voice/incoming`` signed as Twilio signs
it, with the account's Auth Token; its ``CallSid`` a marker), sent again once when it was
processed (a replay must be answered 409 and change nothing), and a billing cycle close by a
system admin (``closeBillingCycle`` for a past close day of its own, at most one every
``CLOSE_SPACING``).

Outcomes: ``ok``; ``refused`` (a clean refusal: 503 with ``Retry-After``, or a coded error
other than ``INTERNAL_ERROR``; or no API process reachable, i.e. refused before any byte was
sent); ``bad`` (a 5xx without ``Retry-After``, ``INTERNAL_ERROR``, an uncoded error, no answer
within ``REQUEST_BOUND``); ``unknown`` (the connection dropped after the request was sent: a
write may or may not have happened)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import json
import random
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from twilio.request_validator import RequestValidator
from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException
from websockets.typing import Subprotocol

REQUEST_BOUND = 15.0  # no request may take longer, refused or not
PAUSE = 0.05  # between one client's requests: a steady, bounded load
AREA_PAUSE = 0.3  # between the areas client's requests
CHAT_SPACING = 3.5  # seconds between two chat messages: ~17 a minute, under the limit of 20
CLOSE_SPACING = 5.0  # seconds between two billing cycle closes
IMPORT_PATH = "/callcenter/import"
WEBHOOK_PATH = "/twilio/voice/incoming"

LOGIN = """mutation($input: LoginInput!) { login(input: $input) { token
  errors { code field message } } }"""
ME = "{ me { role user { id } } }"
ACCOUNTS = "{ accounts(kind: COMPANY, first: 20) { totalCount nodes { id name } } }"
CONTACTS = """query($id: ID!) { contacts(accountId: $id, shared: true, first: 20) {
  totalCount nodes { id name } } }"""
ADD_CONTACT = """mutation($input: AddContactInput!) { addContact(input: $input) {
  contact { id name } errors { code field message } } }"""
OPTIONS = """mutation($input: UpdateAccountOptionsInput!) { updateAccountOptions(input: $input)
  { errors { code field message } } }"""
CHAT = """mutation($input: SendChatMessageInput!) { sendChatMessage(input: $input) {
  message { id } errors { code field message } } }"""
EVENTS = """subscription($c: ID!, $last: ID) { chatConversationEvents(conversationId: $c,
  afterMessage: $last) { kind message { id text } } }"""
CLOSE = """mutation($input: CloseBillingCycleInput!) { closeBillingCycle(input: $input) {
  queued errors { code field message } } }"""
SEND = """mutation($input: SendAccountMessageInput!) { sendAccountMessage(input: $input) {
  messages { id } errors { code field message } } }"""


@dataclass
class Record:
    kind: str  # contact | options | email | read | health | login | import | webhook |
    # replay | chat | close
    marker: str
    started: float
    ended: float
    outcome: str  # ok | refused | bad | unknown
    detail: str = ""
    result_id: str | None = None


@dataclass
class Target:
    """What the clients need to know about the seeded data."""

    login: str
    password: str
    admin_gid: str
    directory_gid: str
    mail_account_gid: str
    run_tag: str  # every marker of this run starts with it
    areas: Areas | None = None
    close_months: int = 0  # this fault's billing closes start that many months before 2020-01


@dataclass
class Areas:
    """What the areas client needs: the account calls are imported for, the conversation the
    admin took, the Twilio account and number, a system admin, and the URL Twilio signs."""

    import_account: int
    import_can: str
    conversation_gid: str
    twilio_sid: str
    twilio_token: str
    twilio_number: str
    public_url: str
    sysadmin_login: str
    sysadmin_password: str


@dataclass
class Load:
    """Clients sending requests to the live API processes (``bases()``), failing over to the
    next one when a process refuses the connection (what a load balancer does)."""

    bases: Callable[[], list[str]]
    target: Target
    clients: int = 4
    records: list[Record] = field(default_factory=list)
    phase: str = "warm-up"
    _counter: itertools.count[int] = field(default_factory=itertools.count)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    # The staff member's session, shared by its clients (tabs) and kept from one fault to the
    # next: signing in again each time would meet the login throttle.
    session: dict[str, str] = field(default_factory=dict)
    _signing_in: asyncio.Lock = field(default_factory=asyncio.Lock)
    # The live chat subscriber: the conversation's messages it heard (text: times), and how
    # often it subscribed again by itself (from the last message it had).
    heard: Counter[str] = field(default_factory=Counter)
    resubscribed: int = 0
    chat_cursor: str | None = None  # the last message before the fault (its global ID)
    _listening: asyncio.Event = field(default_factory=asyncio.Event)
    # Set when every client has ended (after ``stop``): its last answers are recorded.
    clients_done: asyncio.Event = field(default_factory=asyncio.Event)

    def marker(self) -> str:
        return f"{self.target.run_tag}-{next(self._counter)}"

    async def run(self) -> None:
        limits = httpx.Limits(max_connections=self.clients * 2 + 6)
        async with httpx.AsyncClient(timeout=REQUEST_BOUND, limits=limits) as http:
            listener = asyncio.create_task(self._listen())
            try:
                await asyncio.gather(*(self._client(n, http) for n in range(self.clients)),
                                     self._areas(http), self._health(http))
                self.clients_done.set()
                await self._listening.wait()  # until the matrix has read what it heard
            finally:
                listener.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await listener

    def stop_listening(self) -> None:
        self._listening.set()

    async def sign_in(self) -> str | None:
        """The staff member's session, signing in again if it ended."""
        async with httpx.AsyncClient(timeout=REQUEST_BOUND) as http:
            return await self._token(http)

    def stop(self) -> None:
        self._stop.set()

    async def _post(self, http: httpx.AsyncClient, kind: str, marker: str, query: str,
                    variables: dict[str, Any], headers: dict[str, str]
                    ) -> tuple[Record, dict[str, Any] | None]:
        return await self._send(http, kind, marker, "/graphql", headers, classify,
                                json={"query": query, "variables": variables})

    async def _send(self, http: httpx.AsyncClient, kind: str, marker: str, path: str,
                    headers: dict[str, str],
                    judge: Callable[[httpx.Response], tuple[str, str, dict[str, Any] | None]],
                    **body: Any) -> tuple[Record, dict[str, Any] | None]:
        """POST to the first live API process that takes the connection; the record."""
        started = time.monotonic()
        answer: httpx.Response | None = None
        outcome, detail = "refused", "no API process reachable"
        for base in self.bases():
            try:
                answer = await http.post(f"{base}{path}", headers=headers, **body)
                break
            except httpx.ConnectError:
                continue  # nothing was sent: try the next process
            except httpx.TimeoutException as exc:
                outcome, detail = "bad", f"no answer within {REQUEST_BOUND:g} s ({exc!r})"
                break
            except httpx.TransportError as exc:
                outcome, detail = "unknown", f"connection lost: {exc!r}"
                break
        data = None
        if answer is not None:
            outcome, detail, data = judge(answer)
        record = Record(kind, marker, started, time.monotonic(), outcome, detail)
        self.records.append(record)
        return record, data

    async def _token(self, http: httpx.AsyncClient, who: str = "token") -> str | None:
        """The session of the staff member (``token``) or of the system admin (``sysadmin``),
        signing in when there is none."""
        login, password = self.target.login, self.target.password
        if who == "sysadmin" and self.target.areas is not None:
            login = self.target.areas.sysadmin_login
            password = self.target.areas.sysadmin_password
        async with self._signing_in:
            if who not in self.session:
                record, data = await self._post(http, "login", "", LOGIN, {"input": {
                    "login": login, "password": password}}, {})
                # The clients hold bearer tokens, not a browser's cookie: kept, the session
                # cookie would make the next sign-in (the other person's) end this session
                # ("one cookie, one session").
                http.cookies.clear()
                token = (data or {}).get("login", {}).get("token")
                if record.outcome == "ok" and token:
                    self.session[who] = token
                elif record.outcome == "ok":
                    record.outcome, record.detail = "refused", f"login: {data}"
        return self.session.get(who)

    def _signed_out(self, record: Record, who: str, token: str) -> None:
        if record.outcome == "refused" and "UNAUTHENTICATED" in record.detail \
                and self.session.get(who) == token:
            self.session.pop(who, None)  # the session ended: sign in again

    async def _client(self, n: int, http: httpx.AsyncClient) -> None:
        rng = random.Random(n)
        steps = [("contact", 4), ("read", 4), ("email", 1), ("options", 1)]
        while not self._stop.is_set():
            token = await self._token(http)
            if token is None:
                await asyncio.sleep(0.5)
                continue
            headers = {"Authorization": f"Bearer {token}", "Accept-Language": "en"}
            kind = rng.choices([s for s, _ in steps], [w for _, w in steps])[0]
            record, data = await self._step(kind, rng, http, headers)
            self._signed_out(record, "token", token)
            await asyncio.sleep(PAUSE)

    async def _step(self, kind: str, rng: random.Random, http: httpx.AsyncClient,
                    headers: dict[str, str]) -> tuple[Record, dict[str, Any] | None]:
        t = self.target
        if kind == "contact":
            marker = self.marker()
            record, data = await self._post(http, kind, marker, ADD_CONTACT, {"input": {
                "accountId": t.directory_gid, "shared": True, "name": marker,
                "email": f"{marker.lower()}@faults.test"}}, headers)
            payload_outcome(record, data, "addContact")
            if record.outcome == "ok" and data:
                record.result_id = data["addContact"]["contact"]["id"]
            return record, data
        if kind == "email":
            marker = self.marker()
            record, data = await self._post(http, kind, marker, SEND, {"input": {
                "accountIds": [t.mail_account_gid], "fromId": t.admin_gid, "kind": "CUSTOM",
                "subject": marker, "body": f"Fault matrix message {marker}."}}, headers)
            payload_outcome(record, data, "sendAccountMessage")
            return record, data
        if kind == "options":
            limit = rng.randint(2000, 3000)
            record, data = await self._post(http, kind, str(limit), OPTIONS, {"input": {
                "accountId": t.directory_gid, "sharedContactsLimit": limit}}, headers)
            payload_outcome(record, data, "updateAccountOptions")
            return record, data
        query, variables = rng.choice([(ME, {}), (ACCOUNTS, {}),
                                       (CONTACTS, {"id": t.directory_gid})])
        return await self._post(http, "read", "", query, variables, headers)

    async def _areas(self, http: httpx.AsyncClient) -> None:
        areas = self.target.areas
        if areas is None:
            return
        last = {"chat": -CHAT_SPACING, "close": -CLOSE_SPACING}
        spacing = {"chat": CHAT_SPACING, "close": CLOSE_SPACING}
        closes = 0
        for kind in itertools.cycle(["import", "webhook", "chat", "close"]):
            if self._stop.is_set():
                return
            if kind in last and time.monotonic() - last[kind] < spacing[kind]:
                continue
            if kind == "close" and closes >= 24:
                continue  # this fault's close days are used up
            who = "sysadmin" if kind == "close" else "token"
            token = await self._token(http, who)
            if token is None:
                await asyncio.sleep(0.5)
                continue
            headers = {"Authorization": f"Bearer {token}", "Accept-Language": "en"}
            if kind == "import":
                record = await self._import(http, areas, headers)
            elif kind == "webhook":
                record = await self._webhook(http, areas)
            elif kind == "chat":
                last["chat"] = time.monotonic()
                record, _ = await self._chat(http, areas, headers)
            else:
                last["close"] = time.monotonic()
                record, _ = await self._close(http, closes, headers)
                closes += 1
            self._signed_out(record, who, token)
            await asyncio.sleep(AREA_PAUSE)

    async def _import(self, http: httpx.AsyncClient, areas: Areas,
                      headers: dict[str, str]) -> Record:
        """One call, as the answering platform's integrator uploads it."""
        marker = self.marker()
        line = json.dumps({
            "call_id": marker, "account_number": areas.import_account,
            "billing_number": areas.import_can, "direction": "inbound",
            "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "duration": 60, "agent": "FLT", "caller_id": "5145550100"})
        record, data = await self._send(
            http, "import", marker, IMPORT_PATH,
            {**headers, "Content-Type": "application/x-ndjson"}, classify_plain,
            content=(line + "\n").encode())
        if record.outcome == "ok" and (data or {}).get("calls") != 1:
            record.outcome, record.detail = "refused", f"import: {data}"[:300]
        return record

    async def _webhook(self, http: httpx.AsyncClient, areas: Areas) -> Record:
        """A call to the account's number, signed as Twilio signs it; sent again when it was
        processed: the replay must be told 409 and change nothing."""
        marker = self.marker()
        params = {"AccountSid": areas.twilio_sid, "CallSid": marker, "To": areas.twilio_number,
                  "From": "anonymous", "CallStatus": "ringing", "Direction": "inbound"}
        signature = RequestValidator(areas.twilio_token).compute_signature(
            areas.public_url + WEBHOOK_PATH, params)
        headers = {"X-Twilio-Signature": signature}
        record, _ = await self._send(http, "webhook", marker, WEBHOOK_PATH, headers,
                                     classify_plain, data=params)
        if record.outcome == "ok":
            await self._send(http, "replay", marker, WEBHOOK_PATH, headers, classify_replay,
                             data=params)
        return record

    async def _chat(self, http: httpx.AsyncClient, areas: Areas, headers: dict[str, str]
                    ) -> tuple[Record, dict[str, Any] | None]:
        marker = self.marker()
        record, data = await self._post(http, "chat", marker, CHAT, {"input": {
            "conversationId": areas.conversation_gid, "text": marker}}, headers)
        payload_outcome(record, data, "sendChatMessage")
        return record, data

    async def _close(self, http: httpx.AsyncClient, n: int, headers: dict[str, str]
                     ) -> tuple[Record, dict[str, Any] | None]:
        """The cycle closing on a past close day of this fault's own (the marker: its day)."""
        months = self.target.close_months + n
        day = dt.date(2020 - 1 - months // 12, 12 - months % 12, 20).isoformat()
        record, data = await self._post(http, "close", day, CLOSE, {"input": {
            "closeDay": day}}, headers)
        payload_outcome(record, data, "closeBillingCycle")
        return record, data

    async def _listen(self) -> None:
        """A staff member's browser on the conversation (graphql-transport-ws): subscribed from
        the last message before the fault, and, whenever the socket drops or is refused, again
        by itself from the last message it heard."""
        areas = self.target.areas
        if areas is None:
            return
        cursor = self.chat_cursor
        first = True
        while not self._listening.is_set():
            token, bases = self.session.get("token"), self.bases()
            if token is None or not bases:
                await asyncio.sleep(0.3)
                continue
            if not first:
                self.resubscribed += 1
            first = False
            async for message_id, text in events(bases[0], token, areas.conversation_gid,
                                                 cursor):
                self.heard[text] += 1
                cursor = message_id
            await asyncio.sleep(0.3)

    async def _health(self, http: httpx.AsyncClient) -> None:
        """/healthz needs nothing but the process: it answers while any dependency is down."""
        while not self._stop.is_set():
            for base in self.bases():
                started = time.monotonic()
                try:
                    answer = await http.get(f"{base}/healthz", timeout=5)
                    outcome = "ok" if answer.status_code == 200 else "bad"
                    detail = str(answer.status_code)
                except httpx.ConnectError:
                    continue  # a process being restarted: the matrix knows
                except httpx.HTTPError as exc:
                    if base not in self.bases():
                        continue  # killed while it answered: the fault itself
                    outcome, detail = "bad", repr(exc)
                self.records.append(Record("health", base, started, time.monotonic(), outcome,
                                           detail))
            await asyncio.sleep(0.5)


def classify(answer: httpx.Response) -> tuple[str, str, dict[str, Any] | None]:
    """ok / refused (clean) / bad, from the HTTP answer and its GraphQL errors."""
    status = answer.status_code
    try:
        body = answer.json()
    except ValueError:
        body = None
    if status == 503 and answer.headers.get("Retry-After"):
        return "refused", f"503 Retry-After {answer.headers['Retry-After']}", None
    if status >= 500 or not isinstance(body, dict):
        return "bad", f"{status} {answer.text[:300]}", None
    errors = body.get("errors") or []
    if errors:
        codes = [(e.get("extensions") or {}).get("code") for e in errors]
        if None in codes or "INTERNAL_ERROR" in codes:
            return "bad", f"{status} {errors}"[:400], None
        if status == 429 or all(codes):
            return "refused", f"{status} {','.join(str(c) for c in codes)}", None
    if status != 200 or body.get("data") is None:
        return "bad", f"{status} {answer.text[:300]}", None
    return "ok", "", body["data"]


async def events(base: str, token: str, conversation: str, after: str | None,
                 quiet: float | None = None) -> AsyncIterator[tuple[str, str]]:
    """The conversation's messages (id, text) over graphql-transport-ws, from ``after``; ends
    when the socket drops or is refused, or after ``quiet`` seconds without a message."""
    url = "ws" + base.removeprefix("http") + "/graphql"
    try:
        async with connect(url, subprotocols=[Subprotocol("graphql-transport-ws")],
                           additional_headers={"Authorization": f"Bearer {token}"},
                           open_timeout=5, close_timeout=1) as ws:
            await ws.send(json.dumps({"type": "connection_init"}))
            if json.loads(await asyncio.wait_for(ws.recv(), 5)).get("type") != "connection_ack":
                return
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
                "query": EVENTS, "variables": {"c": conversation, "last": after}}}))
            while True:
                try:
                    raw = await asyncio.wait_for(ws.recv(), quiet)
                except TimeoutError:
                    return
                message = json.loads(raw)
                if message.get("type") == "ping":
                    await ws.send(json.dumps({"type": "pong"}))
                    continue
                if message.get("type") != "next":
                    return  # error or complete: subscribe again
                event = (message["payload"].get("data") or {}).get("chatConversationEvents")
                if event and event.get("message") and event["kind"] == "MESSAGE":
                    yield event["message"]["id"], event["message"]["text"]
    except (OSError, TimeoutError, WebSocketException):
        return


def classify_plain(answer: httpx.Response) -> tuple[str, str, dict[str, Any] | None]:
    """A plugin's own HTTP route (an upload, a webhook): 200 ok; 503 with ``Retry-After`` or a
    401 (the session ended) refused; anything else bad."""
    status = answer.status_code
    if status == 200:
        try:
            body = answer.json()
        except ValueError:
            body = None  # TwiML
        return "ok", "", body if isinstance(body, dict) else None
    if status == 503 and answer.headers.get("Retry-After"):
        return "refused", f"503 Retry-After {answer.headers['Retry-After']}", None
    if status == 401:
        return "refused", f"401 UNAUTHENTICATED {answer.text[:100]}", None
    return "bad", f"{status} {answer.text[:300]}", None


def classify_replay(answer: httpx.Response) -> tuple[str, str, dict[str, Any] | None]:
    """A webhook sent again: 409 is the right answer; processed again (200) is bad."""
    if answer.status_code == 409:
        return "ok", "409 already processed", None
    outcome, detail, data = classify_plain(answer)
    if outcome == "ok":
        return "bad", "a replayed webhook was processed again", None
    return outcome, detail, data


def payload_outcome(record: Record, data: dict[str, Any] | None, key: str) -> None:
    """A payload error (``errors { code }``) is a refusal, with its codes."""
    if record.outcome == "ok" and data is not None:
        errors = data[key]["errors"]
        if errors:
            record.outcome = "refused"
            record.detail = "payload " + ",".join(e["code"] for e in errors)
