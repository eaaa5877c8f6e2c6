"""Fixtures of the transcription tests: stand-ins for Mutare's and Google's HTTP APIs on
loopback (the only things out of reach), an SMTP server, and the real gateway with every plugin
of plugins.toml, the transcription plugin configured to reach the stand-ins."""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from aiosmtpd.controller import Controller
from strawberry.relay import to_base64

from gateway.identity.models import Account, BillingStatus, User, UserRole
from gateway.models import OutboxJob
from plugins.account_settings.models import AccountOptions, MailboxMessage
from plugins.clients.services import set_test_mode
from plugins.transcription.models import TranscriptStatus, VoicemailTranscript
from tests.conftest import ROOT, Gateway, make_settings, start_gateway
from tests.gateway.test_email import SmtpServer, free_port
from tests.support.identity_factory import Tenant, bearer_for, make_tenant, make_user

AUDIO = Path(__file__).resolve().parent / "audio"
MUTARE_KEY = "mutare-test-key"
GOOGLE_KEY = "google-test-key"
_names = itertools.count(1)


@dataclass
class StandIn:
    """Mutare (POST /mutare) and Google Speech (POST /v1/speech:recognize) on loopback: what
    they were sent, and scripted answers (status, JSON) taken in order before the defaults."""

    port: int = 0
    mutare: list[dict[str, Any]] = field(default_factory=list)
    google: list[dict[str, Any]] = field(default_factory=list)
    script: dict[str, list[tuple[int, Any]]] = field(
        default_factory=lambda: {"mutare": [], "google": []})
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, service: str, default: Any) -> tuple[int, Any]:
        with self.lock:
            queue = self.script[service]
            return queue.pop(0) if queue else (200, default)

    def reset(self) -> None:
        with self.lock:
            self.mutare.clear()
            self.google.clear()
            for queue in self.script.values():
                queue.clear()


def _handler(stand_in: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:  # noqa: N802  (http.server's name)
            url = urlsplit(self.path)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if url.path == "/mutare":
                params = {k: v[0] for k, v in parse_qs(url.query).items()}
                stand_in.mutare.append({"params": params, "headers": dict(self.headers),
                                        "body": body})
                if self.headers.get("Authorization") != f"Bearer {MUTARE_KEY}":
                    return self._send(401, {"error": "bad key"})
                self._send(*stand_in.answer("mutare", {
                    "text": f"Mutare heard {len(body)} bytes in {params['language']}",
                    "confidence": 0.91}))
            elif url.path == "/v1/speech:recognize":
                request = json.loads(body)
                stand_in.google.append({"request": request, "headers": dict(self.headers),
                                        "audio": base64.b64decode(request["audio"]["content"])})
                if self.headers.get("x-goog-api-key") != GOOGLE_KEY:
                    return self._send(403, {"error": {"code": 403, "message": "bad key",
                                                      "status": "PERMISSION_DENIED"}})
                locale = request["config"]["languageCode"]
                self._send(*stand_in.answer("google", {"results": [
                    {"alternatives": [{"transcript": f"Google a entendu {locale}",
                                       "confidence": 0.87}]},
                    {"alternatives": [{"transcript": "merci", "confidence": 0.75}]}]}))
            else:
                self._send(404, {"error": "not found"})

    return Handler


@pytest.fixture(scope="module")
def stand_in() -> Iterator[StandIn]:
    stand_in = StandIn()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(stand_in))
    stand_in.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stand_in
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer(port=free_port())
    controller = Controller(server, hostname="127.0.0.1", port=server.port)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


def plugins_toml(folder: Path, config: str) -> Path:
    """The repository's plugins.toml with the transcription plugin's config replaced."""
    text = (ROOT / "plugins.toml").read_text()
    start = text.index("[plugins.transcription]")
    end = text.find("\n[", start)  # the next plugin's table, if the section is not the last
    end = len(text) if end == -1 else end + 1
    head, section, rest = text[:start], text[start:end], text[end:]
    lines = [line for line in section.splitlines() if not line.startswith("config =")]
    path = folder / "plugins.toml"
    path.write_text(head + "\n".join(lines) + f"\nconfig = {config}\n" + rest)
    return path


def transcription_config(stand_in: StandIn, approved: list[str] | None = None) -> str:
    approved = ["Mutare", "GoogleSpeech", "MyScribbit", "PocketSphinx"] \
        if approved is None else approved
    base = f"http://127.0.0.1:{stand_in.port}"
    return ("{ approved = " + json.dumps(approved)
            + f', mutare_endpoint = "{base}/mutare", mutare_key = {{ "$env" = '
            '"TEST_MUTARE_KEY" }, '
            f'google_endpoint = "{base}", google_api_key = "{GOOGLE_KEY}", '
            "max_attempts = 3, backoff_seconds = 0.05, timeout_seconds = 120 }")


async def run_gateway(folder: Path, migrated: str, config: str,
                      smtp: SmtpServer) -> AsyncIterator[Gateway]:
    settings = make_settings(migrated, folder, plugins_file=plugins_toml(folder, config),
                             email_url=f"smtp://127.0.0.1:{smtp.port}")
    async for running in start_gateway(settings, job_options={
            "relay_interval": 0.05, "scheduler_tick": 0.2, "in_process_workers": True}):
        yield running


@pytest.fixture(scope="module")
async def voice_gateway(migrated: str, stand_in: StandIn, smtp: SmtpServer,
                        tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Gateway]:
    mp = pytest.MonkeyPatch()
    mp.setenv("TEST_MUTARE_KEY", MUTARE_KEY)
    try:
        async for running in run_gateway(tmp_path_factory.mktemp("voice"), migrated,
                                         transcription_config(stand_in), smtp):
            yield running
    finally:
        mp.undo()


def gid(kind: str, pk: int) -> str:
    return to_base64(kind, pk)


@dataclass
class Voice:
    """A tenant in production (its professional's voicemails are transcribed), another
    reseller's tenant, a system admin, and everyone's headers."""

    gateway: Gateway
    tenant: Tenant
    other: Tenant
    headers: dict[str, dict[str, str]]

    async def call(self, who: str, query: str, variables: dict[str, Any] | None = None,
                   **headers: str) -> dict[str, Any]:
        result = await self.gateway.graphql(query, variables or {},
                                            **{**self.headers[who], **headers})
        assert "errors" not in result, result
        return result["data"]  # type: ignore[no-any-return]

    async def choose(self, method: str | None, email: str = "",
                     language: str | None = None) -> None:
        account_id = self.tenant.professional_account.id
        await AccountOptions.filter(account_id=account_id).delete()
        await AccountOptions.create(account_id=account_id, transcription_method=method,
                                    transcription_email=email)
        if language:
            await User.filter(id=self.tenant.professional.id).update(language=language)

    async def voicemail(self, wav: str = "order_tomorrow.en.wav", *, body: bytes | None = None,
                        user: User | None = None, account: Account | None = None,
                        **params: Any) -> int:
        """Hand a voicemail over as the telephony platform does; its message id."""
        account = account or self.tenant.professional_account
        user = user or self.tenant.professional
        response = await self.gateway.client.post(
            "/mailbox/messages", content=body if body is not None else (AUDIO / wav).read_bytes(),
            params={"account": account.id, "user": user.id, "kind": "VOICEMAIL",
                    "caller": "+15145550101", "callerName": "Marie Boulangerie",
                    "duration": 6, **params},
            headers={**self.headers["staff"], "Content-Type": "audio/wav"})
        assert response.status_code == 201, response.text
        return int(response.json()["id"])


@pytest.fixture(scope="module")
async def world(voice_gateway: Gateway) -> Voice:
    n = next(_names)
    tenant = await make_tenant(f"Alpha Voix {n}")
    other = await make_tenant(f"Beta Voice {n}")
    for account in (tenant.company, tenant.professional_account, other.company,
                    other.professional_account):
        await Account.filter(id=account.id).update(billing_status=BillingStatus.IN_PRODUCTION)
    sysadmin = await make_user(UserRole.SYSTEM_ADMIN)
    headers = {
        "staff": await bearer_for(tenant.admin),
        "professional": await bearer_for(tenant.professional),
        "employee": await bearer_for(tenant.employee),
        "other staff": await bearer_for(other.admin),
        "other professional": await bearer_for(other.professional),
        "sysadmin": await bearer_for(sysadmin),
    }
    return Voice(voice_gateway, tenant, other, headers)


@pytest.fixture
async def voice(world: Voice, stand_in: StandIn, smtp: SmtpServer) -> Voice:
    """The module's world, its mailboxes emptied and settings as new, once what an earlier test
    left on its way (emails, transcriptions) is done."""
    deadline = asyncio.get_running_loop().time() + 60
    while await OutboxJob.filter(job__in=["email.send", "transcription.transcribe"],
                                 status__in=["pending", "queued", "running"]).exists():
        assert asyncio.get_running_loop().time() < deadline, "jobs still running"
        await asyncio.sleep(0.05)
    account_ids = [world.tenant.professional_account.id, world.tenant.company.id,
                   world.other.professional_account.id, world.other.company.id]
    await MailboxMessage.filter(account_id__in=account_ids).delete()
    await AccountOptions.filter(account_id__in=account_ids).delete()
    await User.filter(id=world.tenant.professional.id).update(language="en")
    await set_test_mode(world.tenant.professional_account.id, False)
    stand_in.reset()
    smtp.messages.clear()
    return world


async def settled(message_id: int, timeout: float = 180.0,
                  status: TranscriptStatus | None = None) -> VoicemailTranscript:
    """The voicemail's transcript once its job is done with it (not PENDING; or in
    ``status``)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        row = await VoicemailTranscript.filter(message_id=message_id).first()
        if row is not None and (row.status == status if status is not None
                                else row.status != TranscriptStatus.PENDING):
            return row
        assert asyncio.get_running_loop().time() < deadline, f"still pending: {row}"
        await asyncio.sleep(0.05)


async def emails(smtp: SmtpServer, count: int, timeout: float = 30.0) -> list[Any]:
    """The parsed messages once the SMTP server holds ``count`` of them."""
    deadline = asyncio.get_running_loop().time() + timeout
    while len(smtp.messages) < count:
        assert asyncio.get_running_loop().time() < deadline, \
            f"{len(smtp.messages)} of {count} emails"
        await asyncio.sleep(0.05)
    return [m.message for m in smtp.messages]


def body_of(message: Any) -> str:
    return str(message.get_body(preferencelist=("plain",)).get_content())


