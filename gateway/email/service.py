"""Sending email: render now, write an outbox row in the caller's transaction, deliver in a job.

The rendered message is stored in the job's payload, so what a person receives is what was
true when the state changed, and a rolled-back transaction sends nothing. The job composes the
MIME message (``gateway.email.mime``) with a Message-ID derived from the outbox id and delivers
it through EMAIL_URL; a refusal raises, and the outbox tries again with backoff.

Message bodies carry set-password links: nothing here logs a subject, a body or a value.
"""

from __future__ import annotations

import base64
import logging
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from gateway.clock import utcnow
from gateway.contributions import Job
from gateway.email.mime import compose, one_address
from gateway.email.templates import EmailError, render_email, template_folders
from gateway.email.transport import deliver
from gateway.jobs import enqueue
from gateway.jobs.registry import current_host

if TYPE_CHECKING:
    from gateway.models import OutboxJob
    from gateway.plugins import PluginHost

log = logging.getLogger("gateway.email")

JOB_NAME = "email.send"
# Attachments travel base64-encoded in the outbox row, so every worker can send the message
# without a shared disk; past this, link to a download instead of attaching.
MAX_ATTACHMENTS_BYTES = 10 * 1024 * 1024


class Attachment(NamedTuple):
    """A file attached to an email: ``Attachment("facture.pdf", "application/pdf", pdf_bytes)``.

    A plain ``(filename, content_type, data)`` tuple is accepted as well."""

    filename: str
    content_type: str
    data: bytes


async def send_email(
    *,
    to: str | Sequence[str],
    template: str,
    language: str,
    values: Mapping[str, Any],
    cc: str | Sequence[str] = (),
    bcc: str | Sequence[str] = (),
    attachments: Iterable[Attachment | tuple[str, str, bytes]] = (),
    reply_to: str | None = None,
    dedupe_key: str | None = None,
    gateway: PluginHost | None = None,
) -> OutboxJob | None:
    """Render ``template`` in ``language`` (fr/en) and queue it for delivery.

    Call it inside the transaction of the change the email reports: the outbox row commits or
    rolls back with it. Addresses are ``"a@b.c"`` or ``"Name <a@b.c>"``; ``bcc`` recipients get
    the message without appearing in it. Returns the ``OutboxJob`` row (None when
    ``dedupe_key`` was already used: a job that sends an email should pass one derived from its
    own ``outbox_id``, so a retried job does not send twice).

    Raises :class:`EmailError` (or ``EmailTemplateError``) for a bad address, an unsupported
    language, a missing template or value, or attachments over ``MAX_ATTACHMENTS_BYTES``.
    ``gateway`` is the plugin host; by default the one whose job runtime is running.
    """
    gateway = _running(gateway)
    recipients = {
        "to": email_addresses("to", to),
        "cc": email_addresses("cc", cc),
        "bcc": email_addresses("bcc", bcc),
    }
    if not recipients["to"]:
        raise EmailError("an email needs at least one 'to' address")
    if one_address(gateway.settings.email_from) is None:
        raise EmailError(f"EMAIL_FROM {gateway.settings.email_from!r} is not one email address")
    rendered = render_email(template_folders(gateway), template, language, values)
    payload = {
        "template": rendered.template,
        "language": rendered.language,
        "from": gateway.settings.email_from,
        **recipients,
        "reply_to": email_addresses("reply_to", reply_to)[0] if reply_to else None,
        "subject": rendered.subject,
        "text": rendered.text,
        "html": rendered.html,
        "attachments": _encode_attachments(attachments),
        # With the outbox id, makes the Message-ID unique across databases yet stable across
        # retries, so receivers can drop a duplicate.
        "message_key": uuid.uuid4().hex[:16],
        "date": utcnow().isoformat(),
    }
    return await enqueue(JOB_NAME, payload, dedupe_key=dedupe_key)


def _running(gateway: PluginHost | None) -> PluginHost:
    """``gateway``, or else the host whose job runtime is running."""
    if gateway is not None:
        return gateway
    running = current_host()
    if running is None:
        raise RuntimeError(
            "send_email needs the running gateway: start the app or worker (its job runtime "
            "registers it), or pass gateway=<PluginHost>"
        )
    return running


def email_addresses(field: str, value: str | Sequence[str] | None) -> list[str]:
    """The addresses of ``value`` (one or several), stripped; an ``EmailError`` naming ``field``
    when one is not exactly one email address (the check every email's recipients pass)."""
    if not value:
        return []
    items = [value] if isinstance(value, str) else list(value)
    for item in items:
        if one_address(item) is None:
            raise EmailError(f"{field}: {item!r} is not one email address")
    return [item.strip() for item in items]


def _encode_attachments(
    attachments: Iterable[Attachment | tuple[str, str, bytes]],
) -> list[dict[str, str]]:
    encoded = []
    total = 0
    for item in attachments:
        try:
            filename, content_type, data = Attachment(*item)
        except TypeError:
            raise EmailError("an attachment is (filename, content_type, data)") from None
        if not filename or any(c in filename for c in "/\\\r\n"):
            raise EmailError(f"attachment file name {filename!r} is not a plain file name")
        if not re.fullmatch(r"[\w.+-]+/[\w.+-]+", content_type or ""):
            raise EmailError(f"attachment {filename!r}: content type {content_type!r} is not "
                             "type/subtype")
        if not isinstance(data, bytes | bytearray):
            raise EmailError(f"attachment {filename!r}: the content must be bytes")
        total += len(data)
        if total > MAX_ATTACHMENTS_BYTES:
            raise EmailError(
                f"attachments exceed {MAX_ATTACHMENTS_BYTES // (1024 * 1024)} MB: send a "
                "download link instead"
            )
        encoded.append({"filename": filename, "content_type": content_type,
                        "data": base64.b64encode(bytes(data)).decode("ascii")})
    return encoded


def envelope(payload: Mapping[str, Any]) -> tuple[str, list[str]]:
    """The SMTP envelope: the sender's address, and every to, cc and bcc address once."""
    sender = one_address(payload["from"])
    if sender is None:
        raise EmailError(f"EMAIL_FROM {payload['from']!r} is not one email address")
    recipients: list[str] = []
    seen: set[str] = set()
    for item in (*payload["to"], *payload.get("cc", ()), *payload.get("bcc", ())):
        address = one_address(item)
        if address is not None and address.addr_spec.lower() not in seen:
            seen.add(address.addr_spec.lower())
            recipients.append(address.addr_spec)
    return sender.addr_spec, recipients


async def send_email_job(payload: dict[str, Any]) -> None:
    """The ``email.send`` job: compose the message and deliver it (retried on refusal)."""
    gateway = _running(None)
    outbox_id = payload["outbox_id"]
    message = compose(payload, str(outbox_id))
    sender, recipients = envelope(payload)
    where = await deliver(message, sender=sender, recipients=recipients, key=str(outbox_id),
                          email_url=gateway.settings.email_url)
    log.info("email #%s (%s, %s) delivered to %d recipient(s) via %s", outbox_id,
             payload["template"], payload["language"], len(recipients), where)


def sent_summary(payload: dict[str, Any]) -> dict[str, Any]:
    """What a sent email's outbox row keeps: who, which template and subject, the attachments'
    names; never the body (it may hold a set-password link) nor the attached files."""
    kept = ("template", "language", "from", "to", "cc", "bcc", "reply_to", "subject",
            "message_key", "date")
    return {**{key: payload.get(key) for key in kept},
            "attachments": [item.get("filename") for item in payload.get("attachments") or []],
            "body_removed": True}


def email_job() -> Job:
    """The job definition: an SMTP outage is retried for about two hours before it fails."""
    return Job(name=JOB_NAME, handler=send_email_job, max_attempts=8, backoff_seconds=60.0,
               done_payload=sent_summary)
