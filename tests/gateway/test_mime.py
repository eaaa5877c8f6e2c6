"""The MIME message written straight to bytes (gateway.email.mime) reads back as the message the
standard library's EmailMessage composed before it (kept here as the reference): every header
and every part, for varied payloads; within RFC line lengths, 7-bit clean, CRLF-safe."""

from __future__ import annotations

import base64
import datetime as dt
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser, Parser
from email.utils import format_datetime
from typing import Any

import pytest

from gateway.email.mime import compose
from gateway.email.templates import EmailError
from tests.gateway.test_email import _payload

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40
LONG_LINE = "Relevé " + "détaillé, " * 30  # one line far past 78 characters
PAYLOADS: dict[str, dict[str, Any]] = {
    "ascii, short lines": {
        "to": ["b@example.com"], "cc": [], "bcc": [], "subject": "Your access codes",
        "text": "Hello,\n\nYour code is 1234.\n", "html": "<p>Hello</p>",
    },
    "non-ASCII names and subject, cc, reply-to": {
        "from": "Passerelle Télécom <no-reply@gateway.local>",
        "to": ["Élodie Tremblay <elodie@example.com>", "Zoë <zoe@example.com>"],
        "cc": ['"Dupont, Jean" <jean@example.com>', "Ĳssel Ĳzer <ij@example.com>"],
        "reply_to": "Service à la clientèle <support@reseller.example>",
        "subject": "Votre facture F-42 est prête — « TTC »",
    },
    "long lines, long subject, many recipients": {
        "to": [f"Client numéro {i} <client{i}@example.com>" for i in range(12)],
        "subject": "Relevé mensuel " * 12,
        "text": LONG_LINE + "\n\n" + "x" * 200 + "\ntrailing space \nend",
        "html": f"<p>{LONG_LINE}</p>\r\n<p>{'y' * 300}</p>",
    },
    "attachments": {
        "attachments": [
            {"filename": "facture-F-42.pdf", "content_type": "application/pdf",
             "data": base64.b64encode(PDF).decode()},
            {"filename": "relevé d'appels de décembre 2024 (toutes les lignes).csv",
             "content_type": "text/csv",
             "data": base64.b64encode("numéro;durée\n+15145550000;42\n".encode()).decode()},
            {"filename": 'notes "v2".txt', "content_type": "text/plain",
             "data": base64.b64encode(b"plain\n").decode()},
        ],
    },
    "non-Latin text (base64 is shorter)": {
        "to": ["Дмитрий Иванов <d@example.com>"], "subject": "Ваш счёт готов",
        "text": "Здравствуйте, Дмитрий!\n" * 20, "html": "<p>" + "日本語のテキスト" * 30 + "</p>",
    },
    "ASCII that looks like an encoded word": {
        "to": ["=?utf-8?q?not_a_word?= plain <p@example.com>"],
        "subject": "Report =?utf-8?q?x?= and more",
        "text": "--=_boundary-looking line\n.\n..leading dots\nFrom the start\n",
    },
}


def reference(payload: dict[str, Any], key: str) -> EmailMessage:
    """The composition gateway.email.service used before, by EmailMessage."""
    message = EmailMessage()
    message["Subject"] = payload["subject"]
    message["From"] = payload["from"]
    message["To"] = ", ".join(payload["to"])
    if payload.get("cc"):
        message["Cc"] = ", ".join(payload["cc"])
    if payload.get("reply_to"):
        message["Reply-To"] = payload["reply_to"]
    message["Date"] = format_datetime(dt.datetime.fromisoformat(payload["date"]))
    domain = payload["from"].rpartition("@")[2].rstrip(">")
    message["Message-ID"] = f"<{key}.{payload['message_key']}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(payload["text"])
    message.add_alternative(payload["html"], subtype="html")
    for attachment in payload.get("attachments", []):
        maintype, _, subtype = attachment["content_type"].partition("/")
        message.add_attachment(
            base64.b64decode(attachment["data"]), maintype=maintype, subtype=subtype,
            filename=attachment["filename"],
            params={"charset": "utf-8"} if maintype == "text" else None)
    message["Content-Language"] = payload["language"]
    return message


def parsed(data: bytes) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(data)  # type: ignore[return-value]


HEADERS = ("Subject", "From", "To", "Cc", "Reply-To", "Bcc", "Date", "Message-ID",
           "Auto-Submitted", "MIME-Version", "Content-Language")


def headers(message: EmailMessage) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name in HEADERS:
        value = message[name]
        if value is not None and hasattr(value, "addresses"):
            value = [(a.display_name, a.addr_spec) for a in value.addresses]
        found[name] = None if value is None else value if isinstance(value, list) else str(value)
    return found


def parts(message: EmailMessage) -> list[tuple[Any, ...]]:
    """Every part in order: its type, charset, disposition, file name and decoded content."""
    return [(part.get_content_type(), part.get_param("charset"), part.get_content_disposition(),
             part.get_filename(), None if part.is_multipart() else part.get_content())
            for part in message.walk()]


@pytest.mark.parametrize("case", list(PAYLOADS))
def test_the_composed_message_reads_back_as_the_email_message_one(case: str) -> None:
    payload = _payload(**PAYLOADS[case])
    composed = compose(payload, "42")
    ours, theirs = parsed(composed.data), parsed(reference(payload, "42").as_bytes())

    expected = headers(theirs)
    if case == "ASCII that looks like an encoded word":
        # EmailMessage turned the subject's text into what it looks like ("Report x and
        # more"); it is kept as written now.
        expected["Subject"] = payload["subject"]
    assert headers(ours) == expected
    assert parts(ours) == parts(theirs)
    assert composed.message_id == ours["Message-ID"] == "<42.k1@gateway.local>"
    # Checked against the payload too, not only against the reference.
    assert ours["Subject"] == payload["subject"] and ours["Bcc"] is None
    assert ours.get_body(("plain",)).get_content().rstrip("\n") == (
        "\n".join(payload["text"].splitlines()))
    assert not ours.defects and not any(part.defects for part in ours.walk())

    # 7-bit clean, lines within RFC 5322's 78 characters, only encodings every server takes.
    assert composed.data.isascii() and not composed.smtputf8
    assert b"\r" not in composed.data  # one line end throughout; SMTP clients send CRLF
    assert max(map(len, composed.data.split(b"\n"))) <= 78
    assert {part["Content-Transfer-Encoding"] for part in ours.walk()} <= {
        None, "7bit", "quoted-printable", "base64"}
    assert b"c@example.com" not in composed.data  # the blind copy of _payload


def test_the_encodings_follow_the_content() -> None:
    composed = parsed(compose(_payload(**PAYLOADS["non-Latin text (base64 is shorter)"]),
                              "1").data)
    plain, html = composed.get_body(("plain",)), composed.get_body(("html",))
    assert (plain["Content-Transfer-Encoding"], html["Content-Transfer-Encoding"]) == (
        "base64", "base64")
    french = parsed(compose(_payload(), "1").data)  # a few accents, a line past 78
    assert french.get_body(("plain",))["Content-Transfer-Encoding"] == "quoted-printable"
    ascii_only = parsed(compose(_payload(**PAYLOADS["ascii, short lines"]), "1").data)
    assert ascii_only.get_body(("plain",))["Content-Transfer-Encoding"] == "7bit"


def test_each_message_has_its_own_boundaries() -> None:
    payload = _payload(**PAYLOADS["attachments"])
    first, second = parsed(compose(payload, "1").data), parsed(compose(payload, "1").data)
    assert first.get_boundary() != second.get_boundary()
    inner = [part.get_boundary() for part in first.walk() if part.is_multipart()]
    assert len(set(inner)) == 2


def test_an_address_that_is_not_ascii_asks_for_smtputf8() -> None:
    composed = compose(_payload(to=["Zoë <zoe@exämple.fr>"], cc=[]), "1")
    assert composed.smtputf8 and "<zoe@exämple.fr>".encode() in composed.data
    # The bytes are UTF-8 (RFC 6532), as the server taking SMTPUTF8 reads them.
    message = Parser(policy=policy.default).parsestr(composed.data.decode())
    assert [(a.display_name, a.addr_spec) for a in message["To"].addresses] == [
        ("Zoë", "zoe@exämple.fr")]


def test_a_header_cannot_be_smuggled_in() -> None:
    with pytest.raises(EmailError, match="one line"):
        compose(_payload(subject="Hello\nBcc: x@example.com"), "1")
    with pytest.raises(EmailError, match="not one email address"):
        compose(_payload(to=["a@example.com\nBcc: x@example.com"]), "1")


def test_bare_addresses_read_without_the_header_parser_are_what_it_reads() -> None:
    """The fast reading of a bare ``local@domain`` gives the parser's address, and any other
    text still goes through the parser (a fuzz over RFC 5322's special characters)."""
    import random

    from gateway.email import mime

    def parser(item: str) -> Any:
        header = policy.default.header_factory("To", item)
        found = header.addresses
        if header.defects or len(found) != 1 or not found[0].username or not found[0].domain:
            return None
        return found[0]

    def seen(address: Any) -> Any:
        return address and (address.display_name, address.username, address.domain,
                            str(address))

    rng = random.Random(7)
    fast = 0
    examples = ["a@b", "a.b@c.d", "o'neil+tag@example.com", "=?utf-8?q?x?=@b.c", "a..b@c.d",
                ".a@b.c", "a@b..c", "a@-b.c", "x{y}|z~@e-f.g", "a b@c.d", "é@c.d"]
    generated = ["".join(rng.choice("ab.-+=?'{") for _ in range(rng.randint(1, 6))) + "@" +
                 "".join(rng.choice("ab-.9") for _ in range(rng.randint(1, 6)))
                 for _ in range(20000)]
    for item in examples + generated:
        ours = mime._parsed_address.__wrapped__(item)
        assert seen(ours) == seen(parser(item)), item
        fast += bool(mime._BARE.fullmatch(item)) and "=?" not in item
    assert fast > 5000  # the fast reading was really taken
