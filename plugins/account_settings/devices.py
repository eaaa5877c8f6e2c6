"""IP phones of an account (FAQ "Téléphones": add the device with its MAC address)."""

from __future__ import annotations

import re

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from gateway.identity.models import Account
from plugins.account_settings import errors as e
from plugins.account_settings.errors import AccountSettingsErrorCode as Code
from plugins.account_settings.errors import problem, raise_all
from plugins.account_settings.models import Device
from schema.errors import PayloadError

MAX_NAME = 100
_SEPARATORS = re.compile(r"[\s:.\-]")
_HEX12 = re.compile(r"^[0-9A-F]{12}$")


def normalize_mac(value: str) -> str | None:
    """12 upper-case hex digits from 00:04:f2:ab:cd:ef, 00-04-F2-AB-CD-EF, 0004.f2ab.cdef or
    0004F2ABCDEF; None when it is not a MAC address a phone can have (no broadcast, no
    multicast, not all zeros)."""
    text = _SEPARATORS.sub("", str(value or "")).upper()
    if not _HEX12.match(text) or text in ("000000000000", "FFFFFFFFFFFF"):
        return None
    if int(text[1], 16) & 1:  # the group (multicast) bit of the first octet
        return None
    return text


def display_mac(stored: str) -> str:
    return ":".join(stored[i:i + 2] for i in range(0, 12, 2))


async def add_device(account: Account, name: str, mac_address: str) -> Device:
    """Add an IP phone to the account; the MAC address is validated and must be unique."""
    problems: list[PayloadError] = []
    name = (name or "").strip()
    if not name:
        problems.append(problem(Code.REQUIRED, e.REQUIRED, ["input", "name"]))
    elif len(name) > MAX_NAME:
        problems.append(problem(Code.INVALID, e.TOO_LONG, ["input", "name"], max=MAX_NAME))
    mac = normalize_mac(mac_address)
    if mac is None:
        problems.append(problem(Code.INVALID, e.MAC_INVALID, ["input", "macAddress"]))
    elif await Device.filter(mac_address=mac).exists():
        problems.append(problem(Code.DUPLICATE, e.MAC_TAKEN, ["input", "macAddress"]))
    raise_all(problems)
    try:
        async with in_transaction():
            return await Device.create(account_id=account.id, name=name, mac_address=mac)
    except IntegrityError:  # registered meanwhile
        raise problem(Code.DUPLICATE, e.MAC_TAKEN, ["input", "macAddress"]) from None


async def remove_device(account_ids: list[int] | object, device_id: int) -> bool:
    """Remove a device of one of ``account_ids`` (a subquery); False when there is none."""
    deleted = await Device.filter(id=device_id, account_id__in=account_ids).delete()
    return bool(deleted)
