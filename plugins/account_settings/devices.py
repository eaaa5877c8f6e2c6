"""IP phones of an account (FAQ "Téléphones": add the device with its MAC address)."""

from __future__ import annotations

import re

from tortoise.exceptions import IntegrityError
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from gateway.api import Account, Principal, Problem, raise_all
from plugins.account_settings import errors as e
from plugins.account_settings.errors import AccountSettingsErrorCode as Code
from plugins.account_settings.models import Device
from plugins.account_settings.services import ensure_may_manage

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


async def add_device(account: Account, name: str, mac_address: str, *,
                     by: Principal | None = None) -> Device:
    """Add an IP phone to the account; the MAC address is validated and must be unique within
    the account's reseller (another reseller's device with the same address neither blocks
    it nor shows). ``by``: who asks, refused unless a manager of the account (None: the
    system)."""
    if by is not None:
        await ensure_may_manage(by, account)
    problems: list[Problem] = []
    name = (name or "").strip()
    if not name:
        problems.append(Problem(Code.REQUIRED, e.REQUIRED, ["input", "name"]))
    elif len(name) > MAX_NAME:
        problems.append(Problem(Code.INVALID, e.TOO_LONG, ["input", "name"], max=MAX_NAME))
    mac = normalize_mac(mac_address)
    if mac is None:
        problems.append(Problem(Code.INVALID, e.MAC_INVALID, ["input", "macAddress"]))
    elif await Device.filter(reseller_id=account.reseller_id, mac_address=mac).exists():
        problems.append(Problem(Code.DUPLICATE, e.MAC_TAKEN, ["input", "macAddress"]))
    raise_all(problems)
    try:
        async with in_transaction():
            return await Device.create(account_id=account.id, reseller_id=account.reseller_id,
                                       name=name, mac_address=mac)
    except IntegrityError:  # registered meanwhile
        raise Problem(Code.DUPLICATE, e.MAC_TAKEN, ["input", "macAddress"]) from None


async def remove_device(account: Account, device_id: int | None, *,
                        by: Principal | None = None) -> Device:
    """Remove a device of the account (``device_id`` None: not an id of one, "not found");
    the removed row. ``by``: as for :func:`add_device`."""
    if by is not None:
        await ensure_may_manage(by, account)
    row = None if device_id is None else await Device.filter(
        id=device_id, account_id=account.id).first()
    if row is None or not await Device.filter(id=row.id, account_id=account.id).delete():
        raise Problem(Code.NOT_FOUND, e.NOT_FOUND, ["input", "id"])
    return row


def of_account(account_id: int) -> QuerySet[Device]:
    return Device.filter(account_id=account_id).order_by("name", "id")
