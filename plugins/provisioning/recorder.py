"""The built-in provisioner ("recorder"): instead of telling a real PBX, it writes down, in
French and English, what one would have been told, so staff can read it on the account.
Idempotent: an operation is written down once however often it is delivered."""

from __future__ import annotations

from typing import Any

import phonenumbers
from tortoise.exceptions import IntegrityError

from gateway.api import Text
from plugins.provisioning import errors as e
from plugins.provisioning.api import OperationKind, ProvisioningOperation
from plugins.provisioning.models import Record

NAME = "recorder"


def readable(number: str | None) -> str:
    """+15145550100 as people write it: +1 514-555-0100."""
    if not number:
        return ""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _target(operation: ProvisioningOperation) -> Text:
    snapshot = operation.snapshot
    if operation.user_id is None or not snapshot.get("user_name"):
        return e.RECEPTIONIST
    return e.USER if snapshot.get("extension") else e.USER_NO_EXTENSION


def _render(text: Text, language: str, values: dict[str, Any]) -> str:
    """``text`` in ``language``; values that are texts themselves are rendered alike."""
    plain = {k: v for k, v in values.items() if not isinstance(v, Text)}
    return text.render(language, **{
        k: v.render(language, **plain) if isinstance(v, Text) else v for k, v in values.items()})


def instruction(operation: ProvisioningOperation) -> Text:
    """What a phone system would be told to do for ``operation``, in both languages."""
    snapshot = operation.snapshot
    kind = str(snapshot.get("kind", ""))
    values: dict[str, Any] = {
        "account": operation.account_number,
        "name": snapshot.get("name", ""),
        "kind": e.KIND_NAMES.get(kind, kind),
        "lang": snapshot.get("language", ""),
        "time_zone": snapshot.get("time_zone", ""),
        "user_name": snapshot.get("user_name", ""),
        "extension": snapshot.get("extension", ""),
        "number": readable(operation.number),
        "phone_system": operation.phone_system or e.SOME_PHONE_SYSTEM,
        "provider": operation.provider or e.SOME_CARRIER,
        "target": _target(operation),
    }
    template = e.RECORDED[OperationKind(operation.kind).value]
    return Text(en=_render(template, "en", values), fr=_render(template, "fr", values))


async def record(operation_pk: int, operation: ProvisioningOperation) -> None:
    """Write down what ``operation`` (row ``operation_pk``) would have told a phone system,
    once: a second delivery (a worker killed after writing) finds it written."""
    if await Record.filter(operation_id=operation_pk, provisioner=NAME).exists():
        return
    text = instruction(operation)
    try:
        await Record.create(operation_id=operation_pk, provisioner=NAME, text_en=text.en,
                            text_fr=text.fr)
    except IntegrityError:  # another delivery of the same operation wrote it meanwhile
        return
