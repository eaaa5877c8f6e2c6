"""An email's MIME message, written straight to bytes from its ``email.send`` payload.

The standard library's ``EmailMessage`` parses every header it is given and again every
content-type it writes, then flattens the whole tree: most of a worker's time per email. Here
the headers are written from addresses already checked (``one_address``), the text bodies are
encoded by ``binascii``, and only attachments (RFC 2231 file names) go through the standard
library. The result parses back to the message ``EmailMessage`` built (tests/gateway/
test_mime.py): encoded words for non-ASCII subjects and display names, a text/plain and
text/html alternative, base64 attachments with their file names (``charset=utf-8`` on text
ones), no Bcc header, lines within 78 characters, 7-bit clean unless an address itself is
not ASCII (then the server must take SMTPUTF8, as ``aiosmtplib.send_message`` asked).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import re
import secrets
from collections.abc import Mapping, Sequence
from email import policy
from email.header import Header
from email.headerregistry import Address
from email.message import MIMEPart
from email.utils import format_datetime
from typing import Any

from gateway.email.composed import Composed
from gateway.email.templates import EmailError

# A display name holding one of these is written as a quoted string (RFC 5322 "specials").
_SPECIALS = re.compile(r'[][\\()<>@,:;".]')
MAX_LINE = 78  # RFC 5322's recommended limit (998 is the hard one)


def one_address(item: Any) -> Address | None:
    """The one address ``"a@b.c"`` or ``"Name <a@b.c>"`` names, or None when it is not that."""
    if not isinstance(item, str) or "\r" in item or "\n" in item:
        return None
    return _parsed_address(item)


# A bare address of RFC 5322 dot-atoms, ASCII: what the header parser gives for it is known
# (its local part and domain, no display name). Not "=?", which it may read as an encoded word.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_BARE = re.compile(rf"({_ATEXT}(?:\.{_ATEXT})*)@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)")


# The standard library's header parser is pure Python (a fifth of an email's enqueueing); an
# email parses its recipient twice and every email of a gateway its sender: remembered, and
# the commonest form (a bare address) read without it.
@functools.lru_cache(maxsize=4096)
def _parsed_address(item: str) -> Address | None:
    bare = _BARE.fullmatch(item)
    if bare is not None and "=?" not in item:
        return Address(username=bare[1], domain=bare[2])
    header = policy.default.header_factory("To", item)
    addresses: tuple[Address, ...] = header.addresses
    if header.defects or len(addresses) != 1:
        return None
    if not addresses[0].username or not addresses[0].domain:
        return None
    return addresses[0]


def _checked(item: str) -> Address:
    address = one_address(item)
    if address is None:
        raise EmailError(f"{item!r} is not one email address")
    return address


def compose(payload: Mapping[str, Any], key: str) -> Composed:
    """The message of an ``email.send`` payload: plain text with an HTML alternative, then the
    attachments. There is no Bcc header: those recipients are only in the envelope."""
    sender = _checked(payload["from"])
    message_id = f"<{key}.{payload['message_key']}@{sender.domain}>"
    headers = [
        f"Subject: {_unstructured('Subject', payload['subject'])}",
        _mailboxes("From", [payload["from"]]),
        _mailboxes("To", payload["to"]),
    ]
    if payload.get("cc"):
        headers.append(_mailboxes("Cc", payload["cc"]))
    if payload.get("reply_to"):
        headers.append(_mailboxes("Reply-To", [payload["reply_to"]]))
    headers += [
        f"Date: {format_datetime(dt.datetime.fromisoformat(payload['date']))}",
        f"Message-ID: {message_id}",
        # RFC 3834: out-of-office robots do not answer a machine.
        "Auto-Submitted: auto-generated",
        "MIME-Version: 1.0",
    ]
    language = _unstructured("Content-Language", payload["language"])
    body = _multipart("alternative", [_text("plain", payload["text"]),
                                      _text("html", payload["html"])])
    if payload.get("attachments"):
        body = _multipart("mixed", [body, *map(_attachment, payload["attachments"])])
    # The multipart's own Content-Type line, then Content-Language, then its parts.
    content_type, _, parts = body.partition(b"\n")
    head = "\n".join(headers).encode()
    data = b"%s\n%s\nContent-Language: %s\n%s" % (head, content_type, language.encode(), parts)
    return Composed(message_id, data, not data.isascii())


def _unstructured(name: str, value: str) -> str:
    """A header's text, in encoded words when it is not plain ASCII, folded."""
    if "\r" in value or "\n" in value:
        raise EmailError(f"the {name} of an email is one line")
    # ASCII text that looks like an encoded word is encoded too, or readers would decode it.
    charset = "us-ascii" if value.isascii() and "=?" not in value else "utf-8"
    return Header(value, charset, header_name=name).encode(maxlinelen=MAX_LINE - 2)


def _mailboxes(name: str, items: Sequence[str]) -> str:
    """An address header, folded between words once a line would pass ``MAX_LINE``."""
    words: list[str] = []
    for item in items:
        words += _mailbox(_checked(item))
        words[-1] += ","
    words[-1] = words[-1].removesuffix(",")
    lines = [f"{name}:"]
    for word in words:
        if len(lines[-1]) + 1 + len(word) > MAX_LINE and lines[-1].strip():
            lines.append("")
        lines[-1] += f" {word}"
    return "\n".join(lines)


def _mailbox(address: Address) -> list[str]:
    """The words of one address: its display name (quoted, or in encoded words), ``<a@b.c>``."""
    name, spec = address.display_name, address.addr_spec
    if not name:
        return [spec]
    if name.isascii() and "=?" not in name:
        if _SPECIALS.search(name):
            name = '"{}"'.format(name.replace("\\", "\\\\").replace('"', '\\"'))
        return [name, f"<{spec}>"]
    return [*Header(name, "utf-8").encode(maxlinelen=MAX_LINE - 1).split("\n "), f"<{spec}>"]


def _text(subtype: str, text: str) -> bytes:
    """A text part: 7bit when it is short-lined ASCII, else the shorter of quoted-printable and
    base64 (never 8bit: every server takes it, with or without 8BITMIME)."""
    data = b"\n".join(text.encode().splitlines()) + b"\n"
    if data.isascii() and max(map(len, data.split(b"\n"))) <= MAX_LINE:
        encoding, body = "7bit", data
    else:
        quoted = binascii.b2a_qp(data, istext=True)
        encoded = base64.encodebytes(data)
        encoding, body = (("quoted-printable", quoted) if len(quoted) <= len(encoded)
                          else ("base64", encoded))
    return (b'Content-Type: text/%s; charset="utf-8"\nContent-Transfer-Encoding: %s\n\n%s'
            % (subtype.encode(), encoding.encode(), body))


def _attachment(attachment: Mapping[str, str]) -> bytes:
    """An attachment part, by the standard library: it writes (and folds) RFC 2231 file
    names."""
    maintype, _, subtype = attachment["content_type"].partition("/")
    part = MIMEPart(policy=policy.default)
    part.set_content(
        base64.b64decode(attachment["data"]), maintype=maintype, subtype=subtype,
        filename=attachment["filename"],
        # Text files (CSV exports) are written in UTF-8; without it, readers guess.
        params={"charset": "utf-8"} if maintype == "text" else None,
    )
    return part.as_bytes()


def _multipart(subtype: str, parts: Sequence[bytes]) -> bytes:
    """A multipart of ``parts`` (each ending with its line end, which stays in its content).
    The boundary holds "=_", which no quoted-printable or base64 line can, and 96 random bits,
    which a 7bit text cannot guess."""
    boundary = f"=_{secrets.token_hex(12)}".encode()
    delimiter = b"\n--%s\n" % boundary
    return (b'Content-Type: multipart/%s; boundary="%s"\n\n--%s\n%s\n--%s--\n'
            % (subtype.encode(), boundary, boundary, delimiter.join(parts), boundary))
