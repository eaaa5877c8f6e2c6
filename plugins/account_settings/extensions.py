"""Extensions (postes) of an account: the next free one of a kind, taken from the kind's range
of the account's settings, and the checks that refuse a taken or out-of-range one.

Users keep theirs on the core user (``User.extension``); groups and services reserve theirs
here. Range changes apply to new extensions only: existing ones are never renumbered. Affiliated
accounts share one numbering: an extension is free only if no account of the organisation
uses it (the affiliation plugin renumbers clashes when an account joins)."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from gateway.api import Account, Principal, Problem, User
from plugins.account_settings import errors as e
from plugins.account_settings.errors import AccountSettingsErrorCode as Code
from plugins.account_settings.models import AccountOptions, ExtensionKind, ExtensionReservation
from plugins.account_settings.options import get_options, locked_options
from plugins.account_settings.services import ensure_may_manage

# The extension column's size (ExtensionReservation.extension).
MAX_EXTENSION_LENGTH = 10
_COLUMN = {ExtensionKind.USER: "user", ExtensionKind.GROUP: "group",
           ExtensionKind.SERVICE: "service"}


def range_of(options: AccountOptions, kind: ExtensionKind) -> tuple[int, int]:
    column = _COLUMN[kind]
    return (getattr(options, f"{column}_extensions_first"),
            getattr(options, f"{column}_extensions_last"))


async def _organization_of(account_id: int) -> int:
    found = await Account.filter(id=account_id).values_list("organization_id")
    return (found[0][0] if found else None) or account_id


async def dialing_plan(account_id: int) -> list[int]:
    """The accounts whose extensions one dials from this one: the account alone, or every
    account of its organisation (affiliated accounts share one directory and one numbering)."""
    root = await _organization_of(account_id)
    return [row[0] for row in await Account.filter(
        Q(id=root) | Q(organization_id=root)).values_list("id")] or [account_id]


async def _lock_allocation(account_id: int) -> None:
    """One allocation at a time per organisation: the organisation's settings row is the lock
    (an affiliation locks it too), and the account's own."""
    root = await _organization_of(account_id)
    await locked_options(root)
    if root != account_id:
        await locked_options(account_id)
    moved = await _organization_of(account_id)  # affiliated meanwhile: that one's lock too
    if moved != root:
        await locked_options(moved)


async def taken_extensions(account_id: int) -> set[str]:
    """Every extension in use where this account dials: users' and the reserved ones."""
    accounts = await dialing_plan(account_id)
    users = await User.filter(account_id__in=accounts, extension__isnull=False).values_list(
        "extension", flat=True)
    reserved = await ExtensionReservation.filter(account_id__in=accounts).values_list(
        "extension", flat=True)
    return {str(x) for x in [*users, *reserved] if x}


async def next_free(account_id: int, kind: ExtensionKind) -> str | None:
    """The lowest free extension of ``kind`` in its range, or None when the range is full."""
    options = await get_options(account_id)
    first, last = range_of(options, kind)
    taken = await taken_extensions(account_id)
    for value in range(first, last + 1):
        if str(value) not in taken:
            return str(value)
    return None


async def check_extension(account_id: int, kind: ExtensionKind, value: str,
                          field: list[str | int], *, ignore_user: int | None = None) -> str:
    """``value`` if it may be given now as an extension of ``kind``; else the reason."""
    options = await get_options(account_id)
    first, last = range_of(options, kind)
    text = str(value).strip()
    if not text.isdigit() or len(text) != options.extension_length:
        raise Problem(Code.INVALID, e.EXTENSION_SHAPE, field, length=options.extension_length)
    if not first <= int(text) <= last:
        raise Problem(Code.OUT_OF_RANGE, e.EXTENSION_OUT_OF_RANGE, field, first=first,
                      last=last)
    accounts = await dialing_plan(account_id)
    users = User.filter(account_id__in=accounts, extension=text)
    if ignore_user is not None:
        users = users.exclude(id=ignore_user)
    if await users.exists() or await ExtensionReservation.filter(
            account_id__in=accounts, extension=text).exists():
        raise Problem(Code.EXTENSION_TAKEN, e.EXTENSION_TAKEN, field)
    return text


async def _allocate(account_id: int, kind: ExtensionKind, wanted: str | None,
                    field: list[str | int], ignore_user: int | None = None) -> str:
    if wanted is not None:
        return await check_extension(account_id, kind, wanted, field, ignore_user=ignore_user)
    found = await next_free(account_id, kind)
    if found is None:
        first, last = range_of(await get_options(account_id), kind)
        raise Problem(Code.RANGE_FULL, e.RANGE_FULL, field, first=first, last=last)
    return found


async def assign_user_extension(account: Account, user_id: int | None,
                                extension: str | None = None, *,
                                by: Principal | None = None) -> User:
    """Give a user of the account ``extension`` (checked) or the next free user extension.
    ``by``: who asks, refused unless a manager of the account (None: the system, another
    plugin); ``user_id`` None: not an id of a user ("not found")."""
    if by is not None:
        await ensure_may_manage(by, account)
    if user_id is None:
        raise Problem(Code.NOT_FOUND, e.WRONG_USER, ["input", "userId"])
    async with in_transaction():
        # One allocation at a time per organisation: two requests cannot take the same number.
        await _lock_allocation(account.id)
        user = await User.filter(id=user_id, account_id=account.id).first()
        if user is None:
            raise Problem(Code.NOT_FOUND, e.WRONG_USER, ["input", "userId"])
        value = await _allocate(account.id, ExtensionKind.USER, extension,
                                ["input", "extension"], ignore_user=user.id)
        await User.filter(id=user.id).update(extension=value)
    return await User.get(id=user_id)


async def reserve_extension(account: Account, kind: ExtensionKind, extension: str | None = None,
                            label: str = "", *,
                            by: Principal | None = None) -> ExtensionReservation:
    """Hold an extension for a group or a service of the account (other plugins call this);
    ``by`` as for :func:`assign_user_extension`."""
    if by is not None:
        await ensure_may_manage(by, account)
    if kind == ExtensionKind.USER:
        raise Problem(Code.INVALID, e.WRONG_USER, ["input", "kind"])
    try:
        async with in_transaction():
            await _lock_allocation(account.id)
            value = await _allocate(account.id, kind, extension, ["input", "extension"])
            return await ExtensionReservation.create(account_id=account.id, extension=value,
                                                     kind=kind, label=label.strip()[:100])
    except IntegrityError:
        raise Problem(Code.EXTENSION_TAKEN, e.EXTENSION_TAKEN, ["input", "extension"]) from None


async def release_extension(account: Account, extension: str, *,
                            by: Principal | None = None) -> str:
    """Free a reserved group or service extension (the one freed); "not found" when it was
    not reserved. ``by`` as for :func:`assign_user_extension`."""
    if by is not None:
        await ensure_may_manage(by, account)
    extension = str(extension).strip()
    # Text no extension can be (longer than the column, found by schemathesis) is not reserved.
    fits = len(extension) <= MAX_EXTENSION_LENGTH
    if not fits or not await ExtensionReservation.filter(account_id=account.id,
                                                         extension=extension).delete():
        raise Problem(Code.NOT_FOUND, e.NOT_FOUND, ["input", "extension"])
    return extension
