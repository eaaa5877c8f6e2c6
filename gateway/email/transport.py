"""Delivering a built message where EMAIL_URL says: an SMTP server, or ``.eml`` files.

``smtp://[user:pass@]host[:port][?starttls=1|tls=1]``: aiosmtplib; ``starttls=1`` requires
STARTTLS, ``starttls=0`` forbids it (the default upgrades when the server offers it),
``tls=1`` is implicit TLS (port 465 by default); ``timeout=SECONDS`` bounds each step.
``file:///path/to/folder``: one ``<key>.eml`` file per message (development, tests).
"""

from __future__ import annotations

import logging
import os
import tempfile
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from email import message_from_binary_file, policy
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gateway.email.composed import Composed

log = logging.getLogger("gateway.email")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class EmailTransportError(RuntimeError):
    """EMAIL_URL cannot be used, or the server did not take the message (retried)."""


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    use_tls: bool = False
    start_tls: bool | None = None
    timeout: float = 30.0

    def __str__(self) -> str:
        # Never the password: this ends up in logs and in the job's last error.
        user = f"{self.username}@" if self.username else ""
        return f"smtp://{user}{self.host}:{self.port}"


@dataclass(frozen=True)
class FileTarget:
    folder: Path

    def __str__(self) -> str:
        return f"file://{self.folder}"


def parse_email_url(url: str) -> SmtpTarget | FileTarget:
    """Read EMAIL_URL; anything it does not understand is an error naming the part."""
    if url.startswith("file://"):
        folder = url.removeprefix("file://")
        if not folder:
            raise EmailTransportError("EMAIL_URL file:// needs a folder: file:///path/to/outbox")
        return FileTarget(Path(urllib.parse.unquote(folder)))
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "smtp":
        raise EmailTransportError(
            "EMAIL_URL must be smtp://[user:pass@]host:port[?starttls=1|tls=1] or "
            f"file:///path, not {parts.scheme or url!r}://…"
        )
    if not parts.hostname:
        raise EmailTransportError("EMAIL_URL smtp:// needs a host")
    options = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
    unknown = set(options) - {"starttls", "tls", "timeout"}
    if unknown:
        raise EmailTransportError(
            f"EMAIL_URL: unknown option(s) {', '.join(sorted(unknown))} "
            "(known: starttls, tls, timeout)"
        )
    use_tls = _flag(options, "tls") is True
    start_tls = _flag(options, "starttls")
    if use_tls and start_tls:
        raise EmailTransportError("EMAIL_URL: tls=1 and starttls=1 exclude each other")
    try:
        port = parts.port or (465 if use_tls else 25)
        timeout = float(options.get("timeout", 30))
    except ValueError as exc:
        raise EmailTransportError(f"EMAIL_URL: {exc}") from None
    return SmtpTarget(
        host=parts.hostname,
        port=port,
        username=urllib.parse.unquote(parts.username) if parts.username else None,
        password=urllib.parse.unquote(parts.password) if parts.password else None,
        use_tls=use_tls,
        start_tls=False if use_tls else start_tls,
        timeout=timeout,
    )


def _flag(options: dict[str, str], name: str) -> bool | None:
    if name not in options:
        return None
    value = options[name].lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise EmailTransportError(f"EMAIL_URL: {name}={options[name]!r} should be 1 or 0")


async def deliver(
    message: Composed, *, sender: str, recipients: Sequence[str], key: str, email_url: str
) -> str:
    """Hand ``message`` to EMAIL_URL's target; returns where it went. Raises when the target
    refused it, so the outbox tries again later. ``key`` names the ``.eml`` file."""
    target = parse_email_url(email_url)
    if isinstance(target, FileTarget):
        return str(write_eml(target.folder, key, message))
    await _send_smtp(target, message, sender, recipients)
    return str(target)


async def _send_smtp(
    target: SmtpTarget, message: Composed, sender: str, recipients: Sequence[str]
) -> None:
    from gateway.email.smtp_pool import send

    errors = await send(target, message, sender, recipients)
    if errors:
        # The others have it already: retrying would send them a second copy.
        log.warning(
            "email %s: %d recipient(s) refused by %s: %s",
            message.message_id, len(errors), target,
            "; ".join(f"{address}: {response.code} {response.message}"
                      for address, response in errors.items()),
        )


def write_eml(folder: Path, key: str, message: Composed) -> Path:
    """Write ``<key>.eml`` once: a second delivery of the same message leaves the file as is."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{key}.eml"
    if path.exists():
        if _message_id(path) == message.message_id:
            return path
        # Same key, another message: a file left by an earlier database whose ids restarted.
        log.warning("replacing %s, which holds another message", path)
    handle, temporary = tempfile.mkstemp(prefix=f".{key}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(message.data)
        # Readers of the folder see the whole file or none of it.
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def _message_id(path: Path) -> str | None:
    with path.open("rb") as fh:
        parsed = message_from_binary_file(fh, policy=policy.default)
    value = parsed["Message-ID"]
    return str(value) if value is not None else None
