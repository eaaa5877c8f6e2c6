"""Email: rendered per language, queued in the caller's transaction, delivered by a Dramatiq
actor to a real SMTP server on loopback (aiosmtpd) or to the file outbox."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from pypdf import PdfReader
from tortoise.transactions import in_transaction

from gateway.email import (
    MAX_ATTACHMENTS_BYTES,
    Attachment,
    EmailError,
    EmailTemplateError,
    SafeHtml,
    send_email,
)
from gateway.email.mime import compose
from gateway.email.service import envelope
from gateway.email.templates import CORE_TEMPLATES, render_email, template_folders
from gateway.email.transport import (
    EmailTransportError,
    FileTarget,
    SmtpTarget,
    deliver,
    parse_email_url,
)
from gateway.jobs import outbox
from gateway.jobs.relay import wake_relay
from gateway.jobs.runtime import run_job
from gateway.models import OutboxJob, OutboxStatus
from gateway.pdf import render_pdf
from gateway.plugins import PluginHost, PluginSpec
from tests.conftest import Gateway, make_settings, start_gateway
from tests.gateway.test_jobs import wait_for
from tests.support.email_plugin import TEMPLATES

SECRET = "s3cr3t-T0ken"
VALUES = {
    "name": "Élodie & <Co>",
    "number": "F-42",
    "amount": "1 234,56",
    "link": f"https://gateway.example/set-password?token={SECRET}&lang=fr",
}
JOB_OPTIONS = {"relay_interval": 0.05, "scheduler_tick": 0.2, "in_process_workers": True}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.content, policy=policy.default)  # type: ignore[return-value]


@dataclass
class SmtpServer:
    """What an aiosmtpd server on loopback accepted; ``refuse`` makes it answer DATA with that."""

    port: int
    messages: list[Received] = field(default_factory=list)
    refuse: str | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse:
            return self.refuse
        self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                      envelope.original_content or envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer(port=free_port())
    controller = Controller(server, hostname="127.0.0.1", port=server.port)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


def _host(settings: Any) -> PluginHost:
    return PluginHost(settings, specs=[
        PluginSpec(name="testemail", module="tests.support.email_plugin", source="built in"),
    ])


@pytest.fixture
async def smtp_gateway(
    migrated: str, tmp_path: Path, smtp_server: SmtpServer
) -> AsyncIterator[Gateway]:
    settings = make_settings(migrated, tmp_path, email_url=f"smtp://127.0.0.1:{smtp_server.port}")
    async for running in start_gateway(settings, host=_host(settings), job_options=JOB_OPTIONS):
        yield running


@pytest.fixture
async def file_gateway(migrated: str, tmp_path: Path) -> AsyncIterator[Gateway]:
    settings = make_settings(migrated, tmp_path)  # EMAIL_URL=file://<tmp>/outbox
    async for running in start_gateway(settings, host=_host(settings), job_options=JOB_OPTIONS):
        yield running


async def wait_done(job_id: int) -> OutboxJob:
    async def done() -> bool:
        return (await OutboxJob.get(id=job_id)).status == OutboxStatus.DONE

    await wait_for(done)
    return await OutboxJob.get(id=job_id)


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.mark.parametrize(
    ("language", "subject", "greeting", "amount"),
    [
        ("fr", "Votre facture F-42 est prête", "Bonjour", "de 1 234,56 $ est prête"),
        ("en", "Your invoice F-42 is ready", "Hello", "for $1 234,56 is ready"),
    ],
)
async def test_email_goes_through_outbox_and_dramatiq_to_smtp(
    smtp_gateway: Gateway, smtp_server: SmtpServer,
    language: str, subject: str, greeting: str, amount: str,
) -> None:
    invoice = render_pdf("<h1>Facture F-42 — Été</h1><p>Total : 1 234,56 $ « TTC »</p>")
    async with in_transaction():
        row = await send_email(
            to="Élodie Tremblay <elodie@example.com>",
            cc=["comptable@example.com"],
            bcc="archives@example.com",
            reply_to="Support <support@reseller.example>",
            template="invoice_ready",
            language=language,
            values=VALUES,
            attachments=[Attachment("facture-F-42.pdf", "application/pdf", invoice)],
        )
    await wait_done(row.id)

    assert len(smtp_server.messages) == 1
    received = smtp_server.messages[0]
    assert received.mail_from == "no-reply@gateway.local"
    assert sorted(received.rcpt_tos) == [
        "archives@example.com", "comptable@example.com", "elodie@example.com"
    ]
    message = received.message
    assert message["From"].addresses[0].addr_spec == "no-reply@gateway.local"
    to = message["To"].addresses
    assert [(a.display_name, a.addr_spec) for a in to] == [("Élodie Tremblay",
                                                            "elodie@example.com")]
    assert [a.addr_spec for a in message["Cc"].addresses] == ["comptable@example.com"]
    assert message["Reply-To"].addresses[0].addr_spec == "support@reseller.example"
    # Blind copies are in the envelope only.
    assert message["Bcc"] is None
    assert b"archives@example.com" not in received.content
    assert message["Subject"] == subject
    assert message["Content-Language"] == language
    assert message["Message-ID"].startswith(f"<{row.id}.")

    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert f"{greeting} Élodie & <Co>," in text
    assert amount in text
    assert VALUES["link"] in text
    assert f"{greeting} Élodie &amp; &lt;Co&gt;," in html and "<Co>" not in html
    assert f'href="https://gateway.example/set-password?token={SECRET}&amp;lang=fr"' in html

    attachments = list(message.iter_attachments())
    assert [(a.get_filename(), a.get_content_type()) for a in attachments] == [
        ("facture-F-42.pdf", "application/pdf")
    ]
    assert "Facture F-42 — Été" in pdf_text(attachments[0].get_content())

    # Sent: the row keeps who, what and the attachments' names, not the body (it holds a
    # set-password link) nor the attached file.
    kept = (await OutboxJob.get(id=row.id)).payload
    assert kept["subject"] == subject and kept["to"] == ["Élodie Tremblay <elodie@example.com>"]
    assert kept["attachments"] == ["facture-F-42.pdf"] and kept["body_removed"] is True
    assert SECRET not in json.dumps(kept) and "text" not in kept and "html" not in kept


async def test_rolled_back_transaction_sends_nothing(
    smtp_gateway: Gateway, smtp_server: SmtpServer
) -> None:
    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        async with in_transaction():
            await send_email(to="rolled-back@example.com", template="invoice_ready",
                             language="fr", values=VALUES)
            raise Boom
    assert await OutboxJob.filter(job="email.send").count() == 0
    # The relay sends in order: once a later email has arrived, an earlier one would have too.
    row = await send_email(to="committed@example.com", template="invoice_ready",
                           language="fr", values=VALUES)
    await wait_done(row.id)
    assert [m.rcpt_tos for m in smtp_server.messages] == [["committed@example.com"]]


async def test_refused_email_stays_pending_with_its_error_then_is_delivered(
    smtp_gateway: Gateway, smtp_server: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    smtp_server.refuse = "550 5.7.1 Relaying denied"
    row = await send_email(to="elodie@example.com", template="invoice_ready", language="fr",
                           values=VALUES)

    async def refused_once() -> bool:
        current = await OutboxJob.get(id=row.id)
        return current.attempts == 1 and current.status == OutboxStatus.PENDING

    await wait_for(refused_once)
    refused = await OutboxJob.get(id=row.id)
    assert "550" in (refused.last_error or "") and "Relaying denied" in (refused.last_error or "")
    # Backed off: about a minute, not hammering the server.
    assert refused.run_after > outbox.utcnow() + dt.timedelta(seconds=30)
    assert smtp_server.messages == []
    assert SECRET in refused.payload["text"]  # kept whole until it is sent

    smtp_server.refuse = None
    # The backoff has run out.
    await OutboxJob.filter(id=row.id).update(run_after=outbox.utcnow())
    wake_relay()
    delivered = await wait_done(row.id)
    assert delivered.attempts == 2 and delivered.last_error is None
    assert [m.rcpt_tos for m in smtp_server.messages] == [["elodie@example.com"]]

    # The link (a credential) was in the message, never in the logs, failure included. Left
    # out: the test SMTP server, and the database drivers' DEBUG echo of every query parameter
    # (which logging configuration must keep off: it shows hashes and tokens too).
    formatter = logging.Formatter()
    ours = [r for r in caplog.records
            if not r.name.startswith(("mail.", "tortoise.db_client", "aiosqlite", "asyncpg"))]
    assert any(r.name == "gateway.email" for r in ours)
    assert any(r.name == "gateway.jobs" and r.exc_info for r in ours)
    for record in ours:
        logged = record.getMessage() + (formatter.formatException(record.exc_info)
                                        if record.exc_info else "")
        assert SECRET not in logged, record.name


async def test_file_outbox_writes_one_eml_per_message(
    file_gateway: Gateway, tmp_path: Path
) -> None:
    row = await send_email(to="elodie@example.com", template="invoice_ready", language="en",
                           values=VALUES,
                           attachments=[("notes.txt", "text/plain", "Été\n".encode())])
    await wait_done(row.id)
    folder = tmp_path / "outbox"
    path = folder / f"{row.id}.eml"
    assert sorted(folder.iterdir()) == [path]
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert message["Subject"] == "Your invoice F-42 is ready"
    assert message["Message-ID"].startswith(f"<{row.id}.")
    assert [a.get_content() for a in message.iter_attachments()] == ["Été\n"]
    written = path.read_bytes()

    definition = file_gateway.app.state.jobs.definitions["email.send"]
    # Dramatiq delivers the same message again: the outbox knows it is done.
    assert await run_job(definition, row.id) == "duplicate"
    # A worker wrote the file then died before recording it: its lease runs out and the job
    # runs a second time (with its whole payload: only a finished row is trimmed). The file is
    # recognised by its Message-ID and left alone.
    await OutboxJob.filter(id=row.id).update(status=OutboxStatus.QUEUED, payload=row.payload)
    assert await run_job(definition, row.id) == "done"
    assert sorted(folder.iterdir()) == [path]
    assert path.read_bytes() == written


async def test_bad_requests_fail_at_enqueue_and_write_nothing(file_gateway: Gateway) -> None:
    attempts: list[tuple[type[Exception], str, dict[str, Any]]] = [
        (EmailTemplateError, "'nope' does not exist", {"template": "nope"}),
        (EmailTemplateError, "incomplete", {"template": "incomplete"}),
        (EmailTemplateError, "no value given for $link",
         {"values": {k: v for k, v in VALUES.items() if k != "link"}}),
        (EmailTemplateError, "'link' is None", {"values": {**VALUES, "link": None}}),
        (EmailError, "'de' is not supported", {"language": "de"}),
        (EmailError, "not one email address", {"to": "elodie"}),
        (EmailError, "not one email address", {"to": "a@example.com, b@example.com"}),
        (EmailError, "not one email address", {"cc": ["ok@example.com", "x@example.com\nBcc: y"]}),
        (EmailError, "at least one 'to'", {"to": []}),
        (EmailError, "exceed 10 MB", {"attachments": [
            ("big.bin", "application/octet-stream", bytes(MAX_ATTACHMENTS_BYTES + 1))]}),
        (EmailError, "not type/subtype", {"attachments": [("a.pdf", "pdf", b"%PDF")]}),
        (EmailError, "plain file name", {"attachments": [("../a.pdf", "application/pdf", b"")]}),
    ]
    for error, text, overrides in attempts:
        arguments = {"to": "elodie@example.com", "template": "invoice_ready", "language": "fr",
                     "values": VALUES, **overrides}
        with pytest.raises(error, match=__import__("re").escape(text)):
            async with in_transaction():
                await send_email(**arguments)
    assert await OutboxJob.filter(job="email.send").count() == 0


async def test_template_folders_core_first_then_plugins(file_gateway: Gateway) -> None:
    assert template_folders(file_gateway.app.state.host) == [CORE_TEMPLATES, TEMPLATES]


async def test_template_folders_are_asked_of_the_plugins_once_per_host(
        file_gateway: Gateway, monkeypatch: pytest.MonkeyPatch) -> None:
    host = file_gateway.app.state.host
    template_folders(host)
    asked: list[str] = []
    original = type(host).each

    def counting(self: Any, hook: str, *args: Any, **kwargs: Any) -> Any:
        asked.append(hook)
        return original(self, hook, *args, **kwargs)

    monkeypatch.setattr(type(host), "each", counting)
    folders = template_folders(host)
    folders.append(Path("/elsewhere"))  # the caller's copy: the host's list is unchanged
    assert template_folders(host) == [CORE_TEMPLATES, TEMPLATES]
    assert "gateway_email_templates" not in asked


def test_missing_language_falls_back_to_the_other_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rendered = render_email([TEMPLATES], "english_only", "fr-CA", {"topic": "facturation"})
    assert (rendered.language, rendered.subject) == ("en", "Only in English: facturation")
    assert "english_only" in caplog.text and "no fr version" in caplog.text


def test_a_later_folder_overrides_and_safe_html_is_kept(tmp_path: Path) -> None:
    (tmp_path / "invoice_ready.fr.subject").write_text("Facture $number\n\n")
    (tmp_path / "invoice_ready.fr.txt").write_text("$table")
    (tmp_path / "invoice_ready.fr.html").write_text("$table $name")
    values = {**VALUES, "table": SafeHtml("<table><tr><td>1</td></tr></table>")}
    rendered = render_email([TEMPLATES, tmp_path], "invoice_ready", "fr", values)
    assert rendered.subject == "Facture F-42"
    assert rendered.html == "<table><tr><td>1</td></tr></table> Élodie &amp; &lt;Co&gt;"
    # A value cannot add a header line to the subject.
    rendered = render_email([tmp_path], "invoice_ready", "fr",
                            {**values, "number": "1\nBcc: x@example.com"})
    assert rendered.subject == "Facture 1 Bcc: x@example.com"


def _template(folder: Path, language: str, text: str, name: str = "cached") -> None:
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.{language}.subject").write_text(f"Sujet {text}")
    (folder / f"{name}.{language}.txt").write_text(f"{text} $who")
    (folder / f"{name}.{language}.html").write_text(f"<p>{text} $who</p>")


def test_templates_are_read_once_and_again_when_a_file_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each email renders from the files as they are now, without reading them every time."""
    first, later = tmp_path / "first", tmp_path / "later"
    later.mkdir()
    _template(first, "en", "english")
    reads: list[str] = []
    read_text = Path.read_text
    monkeypatch.setattr(Path, "read_text", lambda self, *a, **k: (
        reads.append(self.name), read_text(self, *a, **k))[1])

    def text(language: str = "fr") -> str:
        return render_email([first, later], "cached", language, {"who": "Zoé"}).text

    assert text() == "english Zoé"  # no French version yet: the English one
    assert text() == text() == "english Zoé" and len(reads) == 3  # read once
    _template(first, "fr", "français")  # a translation added while running
    assert text() == "français Zoé"
    (first / "cached.fr.txt").write_text("modifié $who")  # an edit
    assert text() == "modifié Zoé"
    (first / "cached.fr.txt").write_text("MODIFIÉ $who")  # the same size
    assert text() == "MODIFIÉ Zoé"
    _template(later, "fr", "plus tard")  # a later folder's copy wins
    assert text() == "plus tard Zoé" and text("en") == "english Zoé"
    (later / "cached.fr.html").unlink()
    with pytest.raises(EmailTemplateError, match="incomplete"):
        text()


def _payload(**overrides: Any) -> dict[str, Any]:
    rendered = render_email([TEMPLATES], "invoice_ready", "en", VALUES)
    return {
        "template": rendered.template, "language": rendered.language,
        "from": "Gateway <no-reply@gateway.local>", "to": ["Élodie <Elodie@example.com>"],
        "cc": ["elodie@example.com", "b@example.com"], "bcc": ["c@example.com"],
        "reply_to": None, "subject": rendered.subject, "text": rendered.text,
        "html": rendered.html, "attachments": [], "message_key": "k1",
        "date": "2024-05-01T12:00:00+00:00", **overrides,
    }


def test_envelope_names_each_recipient_once_and_the_message_no_bcc() -> None:
    payload = _payload()
    assert envelope(payload) == ("no-reply@gateway.local",
                                 ["Elodie@example.com", "b@example.com", "c@example.com"])
    composed = compose(payload, "7")
    assert b"c@example.com" not in composed.data
    message = message_from_bytes(composed.data, policy=policy.default)
    assert message["Bcc"] is None
    assert message["Message-ID"] == composed.message_id == "<7.k1@gateway.local>"
    assert message["Date"] == "Wed, 01 May 2024 12:00:00 +0000"
    assert message.get_content_type() == "multipart/alternative"


async def test_a_closed_port_raises_so_the_outbox_retries() -> None:
    payload = _payload()
    with pytest.raises(ConnectionError):
        await deliver(compose(payload, "1"), sender="no-reply@gateway.local",
                      recipients=["b@example.com"], key="1",
                      email_url=f"smtp://127.0.0.1:{free_port()}?timeout=5")


def test_email_url_parsing() -> None:
    target = parse_email_url("smtp://mailer:p%40ss@mail.example:587?starttls=1")
    assert target == SmtpTarget(host="mail.example", port=587, username="mailer",
                                password="p@ss", start_tls=True)
    assert "p@ss" not in str(target) and "ss@" not in str(target)
    assert parse_email_url("smtp://mail.example?tls=1") == SmtpTarget(
        host="mail.example", port=465, use_tls=True, start_tls=False)
    assert parse_email_url("smtp://mail.example?starttls=0").start_tls is False  # type: ignore[union-attr]
    assert parse_email_url("file:///srv/outbox") == FileTarget(Path("/srv/outbox"))
    for bad, text in [("smtps://x", "must be smtp://"), ("smtp://x?ssl=1", "unknown option"),
                      ("smtp://x?tls=1&starttls=1", "exclude"), ("smtp://x?tls=maybe", "1 or 0"),
                      ("smtp://", "needs a host"), ("file://", "needs a folder")]:
        with pytest.raises(EmailTransportError, match=text):
            parse_email_url(bad)
