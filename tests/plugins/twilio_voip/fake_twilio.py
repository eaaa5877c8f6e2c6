"""A small stateful layer in front of Prism (which serves Twilio's own OpenAPI description):
every request of the real ``twilio`` SDK goes through to Prism, which validates it against
Twilio's description and answers with its examples; this layer then puts in what a test
needs Prism cannot know — which credentials exist, a trial account, the numbers already
bought, a price that arrives later, a recording's audio. The SDK is never patched."""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parents[3]
# Twilio's OpenAPI description (MIT, its LICENSE beside it), committed so a clone has it.
SPEC = Path(os.environ.get("TWILIO_OPENAPI", Path(__file__).resolve().parent / "openapi" /
                           "twilio_api_v2010.yaml"))
PRISM_DIR = ROOT / "var" / "prism"
PRISM_BIN = PRISM_DIR / "node_modules" / ".bin" / "prism"
SETUP = ROOT / ".ci" / "twilio-setup"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ensure_prism() -> Path:
    """Prism's binary, installed by .ci/twilio-setup when missing; a clear failure when it
    cannot be (never a skip)."""
    if not PRISM_BIN.exists():
        done = subprocess.run([str(SETUP)], capture_output=True, text=True, timeout=600)
        if done.returncode != 0 or not PRISM_BIN.exists():
            raise RuntimeError(
                "Prism (@stoplight/prism-cli) is not installed and could not be: run "
                f".ci/twilio-setup (needs node and npm).\n{done.stdout}\n{done.stderr}")
    if not SPEC.exists():
        raise RuntimeError(f"Twilio's OpenAPI description is missing: {SPEC} (TWILIO_OPENAPI)")
    return PRISM_BIN


class Prism:
    """``prism mock`` on a free loopback port, started and waited for."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = ensure_prism()
        if shutil.which("node") is None:
            raise RuntimeError("node is not installed: Prism needs it (.ci/twilio-setup)")
        self.process = subprocess.Popen(
            [str(binary), "mock", "-h", "127.0.0.1", "-p", str(self.port),
             str(SPEC)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        probe = f"/2010-04-01/Accounts/AC{'a' * 32}.json"
        auth = "Basic " + base64.b64encode(b"AC:x").decode()
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                error = self.process.stderr.read().decode() if self.process.stderr else ""
                raise RuntimeError(f"Prism exited: {error[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    sock.sendall(f"GET {probe} HTTP/1.0\r\nAuthorization: {auth}\r\n\r\n"
                                 .encode())
                    if sock.recv(12).startswith(b"HTTP/1."):
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("Prism did not answer within 60 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


# A number's webhooks: the resource's field -> the update's parameter.
WEBHOOK_PARAMETERS = {"voice_url": "VoiceUrl", "voice_method": "VoiceMethod",
                      "status_callback": "StatusCallback",
                      "status_callback_method": "StatusCallbackMethod"}


@dataclass
class TwilioAccountState:
    sid: str
    token: str
    trial: bool = False
    status: str = "active"
    owned: dict[str, dict[str, str]] = field(default_factory=dict)  # PN sid -> number
    applications: dict[str, dict[str, str]] = field(default_factory=dict)
    keys: set[str] = field(default_factory=set)


def _without_cleared_urls(body: bytes) -> bytes:
    """The form without the URL parameters sent empty: Twilio's API clears a URL given as
    "" (what the gateway does when it unlinks a number), but its description types them
    ``format: uri``, which Prism enforces. Prism still validates everything else."""
    pairs = parse_qsl(body.decode(), keep_blank_values=True)
    kept = [(key, value) for key, value in pairs if value or not key.endswith(("Url",
                                                                              "Callback"))]
    return urlencode(kept).encode() if len(kept) != len(pairs) else body


def sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


class FakeTwilio:
    """The stateful layer: what the tests set, and every request seen."""

    def __init__(self, prism_url: str) -> None:
        self.prism_url = prism_url
        self.accounts: dict[str, TwilioAccountState] = {}
        self.prices: dict[str, str | None] = {}  # CallSid -> price (None: not yet)
        self.children: dict[str, list[str]] = {}  # parent CallSid -> child CallSids
        self.recordings: dict[str, bytes] = {}
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.down = False
        self.url = ""
        self._runner: web.AppRunner | None = None

    def account(self, *, trial: bool = False, owned: list[str] | None = None
                ) -> TwilioAccountState:
        state = TwilioAccountState(sid("AC"), secrets.token_hex(16), trial=trial)
        for number in owned or []:
            state.owned[sid("PN")] = {"phone_number": number, "voice_url": "",
                                      "voice_method": "POST", "status_callback": "",
                                      "status_callback_method": "POST"}
        self.accounts[state.sid] = state
        return state

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        port = free_port()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _prism(self, request: web.Request, body: bytes) -> tuple[int, Any]:
        headers = {k: v for k, v in request.headers.items()
                   if k.lower() in ("authorization", "content-type", "accept")}
        if body and request.method == "POST":
            body = _without_cleared_urls(body)
        async with aiohttp.ClientSession() as session, session.request(
                request.method, self.prism_url + request.path_qs, data=body or None,
                headers=headers) as answer:
            text = await answer.text()
            try:
                return answer.status, json.loads(text) if text else None
            except ValueError:
                return answer.status, text

    @staticmethod
    def _error(status: int, code: int, message: str) -> web.Response:
        return web.json_response({"code": code, "message": message, "status": status,
                                  "more_info": f"https://www.twilio.com/docs/errors/{code}"},
                                 status=status)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        form = {k: v for k, v in (await request.post()).items()} if body else {}
        self.requests.append((request.method, request.path, {k: str(v) for k, v in
                                                             form.items()}))
        if self.down:
            return web.Response(status=503, text="down")
        match = re.match(r"^/2010-04-01/Accounts/(AC[0-9a-f]{32})(.*)$", request.path)
        if match is None:
            return self._error(404, 20404, "Not found")
        account_sid, rest = match.groups()
        state = self.accounts.get(account_sid)
        auth = request.headers.get("Authorization", "")
        expected = "Basic " + base64.b64encode(
            f"{account_sid}:{state.token if state else ''}".encode()).decode()
        if state is None or not secrets.compare_digest(auth, expected):
            return self._error(401, 20003, "Authenticate")
        recording = re.match(r"^/Recordings/(RE[0-9a-f]{32})\.mp3$", rest)
        if recording:
            audio = self.recordings.get(recording.group(1))
            if audio is None:
                return self._error(404, 20404, "Not found")
            return web.Response(body=audio, content_type="audio/mpeg")
        number = re.match(r"^/IncomingPhoneNumbers/(PN[0-9a-f]{32})\.json$", rest)
        if number and number.group(1) not in state.owned:
            return self._error(404, 20404, "The requested resource was not found")
        if number and request.method == "DELETE":
            await self._prism(request, body)
            del state.owned[number.group(1)]
            return web.Response(status=204)
        status, answer = await self._prism(request, body)
        if status >= 300 or not isinstance(answer, dict):
            return web.json_response(answer, status=status) if isinstance(
                answer, dict | list) else web.Response(status=status, text=str(answer))
        answer = self._patch(state, rest, request, form, answer, number)
        return web.json_response(answer, status=status)

    def _patch(self, state: TwilioAccountState, rest: str, request: web.Request,
               form: dict[str, Any], answer: dict[str, Any], number: Any) -> dict[str, Any]:
        if rest == ".json":
            answer.update(sid=state.sid, type="Trial" if state.trial else "Full",
                          status=state.status, friendly_name=f"Test {state.sid[-4:]}")
        elif rest == "/Keys.json" and request.method == "POST":
            answer.update(sid=sid("SK"), secret=secrets.token_urlsafe(32))
            state.keys.add(answer["sid"])
        elif rest == "/Applications.json" and request.method == "POST":
            answer["sid"] = sid("AP")
            state.applications[answer["sid"]] = {"voice_url": str(form.get("VoiceUrl", ""))}
        elif rest == "/IncomingPhoneNumbers.json" and request.method == "POST":
            answer.update(sid=sid("PN"), phone_number=str(form["PhoneNumber"]),
                          voice_url=str(form.get("VoiceUrl", "")))
            state.owned[answer["sid"]] = {
                "phone_number": answer["phone_number"], "voice_url": answer["voice_url"],
                "voice_method": str(form.get("VoiceMethod", "POST")),
                "status_callback": str(form.get("StatusCallback", "")),
                "status_callback_method": str(form.get("StatusCallbackMethod", "POST"))}
        elif rest == "/IncomingPhoneNumbers.json":
            template = (answer.get("incoming_phone_numbers") or [{}])[0]
            answer["incoming_phone_numbers"] = [
                {**template, "sid": key, "phone_number": value["phone_number"],
                 "friendly_name": value["phone_number"], "voice_url": value["voice_url"]}
                for key, value in state.owned.items()]
            answer["next_page_uri"] = None
        elif number:
            owned = state.owned[number.group(1)]
            if request.method == "POST":
                for key, name in WEBHOOK_PARAMETERS.items():
                    if name in form:
                        owned[key] = str(form[name])
            answer.update(sid=number.group(1), **owned)
        elif re.match(r"^/Calls/CA[0-9a-f]{32}\.json$", rest):
            call_sid = rest[7:41]
            answer.update(sid=call_sid, status="completed", price=self.prices.get(call_sid),
                          price_unit="USD")
        elif rest == "/Calls.json" and request.method == "GET":
            template = (answer.get("calls") or [{}])[0]
            parent = request.query.get("ParentCallSid", "")
            answer["calls"] = [{**template, "sid": child, "parent_call_sid": parent,
                                "price": self.prices.get(child), "price_unit": "USD"}
                               for child in self.children.get(parent, [])]
            answer["next_page_uri"] = None
        return answer


async def started(prism_url: str) -> FakeTwilio:
    fake = FakeTwilio(prism_url)
    await fake.start()
    return fake

