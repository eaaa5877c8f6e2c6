"""Extension clashes between an account and an organisation, and the proposal that resolves
them: a free replacement for each clashing extension of the account, taken from the
account's own range of its kind (users, groups, services), clashing with nothing in the
organisation nor in the account.

A proposal is a pure function of the data: computed again at acceptance, it must give the
same token, or the situation changed and the reseller gets a new one."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from tortoise.expressions import Q

from gateway.api import Account, Problem, User
from plugins.account_settings.api import (
    AccountOptions,
    ExtensionKind,
    ExtensionReservation,
    get_options,
    range_of,
)
from plugins.affiliation import errors as e
from plugins.affiliation.errors import AffiliationErrorCode as Code

_KIND_ORDER = {ExtensionKind.USER: 0, ExtensionKind.GROUP: 1, ExtensionKind.SERVICE: 2}


@dataclass(frozen=True)
class Item:
    """Something holding an extension: a user (``kind`` USER) or a group's or a service's
    reservation; ``item_id`` is the user's or the reservation's id."""

    account_id: int
    kind: ExtensionKind
    item_id: int
    extension: str
    name: str

    @property
    def sort_key(self) -> tuple[str, int, int]:
        return (self.extension, _KIND_ORDER[self.kind], self.item_id)


@dataclass(frozen=True)
class Change:
    """One clashing extension of the account and its replacement (None: the range is full)."""

    item: Item
    replacement: str | None
    clashes_with: Item
    clashes_with_account: str  # the name of the account holding the other one


@dataclass
class Proposal:
    account_id: int
    organization_id: int
    changes: list[Change] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def token(self) -> str | None:
        """What the reseller accepts: the digest of exactly these changes (None when the
        proposal cannot be accepted)."""
        if self.problems:
            return None
        content = [self.account_id, self.organization_id,
                   [[c.item.kind.value, c.item.item_id, c.item.extension, c.replacement]
                    for c in self.changes]]
        digest = hashlib.sha256(json.dumps(content, separators=(",", ":")).encode())
        return "afp1_" + digest.hexdigest()[:40]


async def organization_members(organization_id: int) -> list[int]:
    """The organisation's account and its affiliated accounts, by id."""
    return sorted(row[0] for row in await Account.filter(
        Q(id=organization_id) | Q(organization_id=organization_id)).values_list("id"))


async def items_of(account_ids: Iterable[int]) -> list[Item]:
    """Every extension held in the accounts: users' and reserved ones (two queries)."""
    ids = list(account_ids)
    if not ids:
        return []
    items = [
        Item(row["account_id"], ExtensionKind.USER, row["id"], str(row["extension"]),
             f"{row['first_name']} {row['last_name']}".strip() or row["login"])
        for row in await User.filter(account_id__in=ids, extension__isnull=False).values(
            "id", "account_id", "extension", "first_name", "last_name", "login")
        if row["extension"]
    ]
    items += [
        Item(row["account_id"], ExtensionKind(row["kind"]), row["id"], str(row["extension"]),
             row["label"] or row["kind"].title())
        for row in await ExtensionReservation.filter(account_id__in=ids).values(
            "id", "account_id", "extension", "kind", "label")
    ]
    return sorted(items, key=lambda i: i.sort_key)


def _free_in(options: AccountOptions, kind: ExtensionKind, taken: set[str]) -> str | None:
    first, last = range_of(options, kind)
    for value in range(first, last + 1):
        if str(value) not in taken:
            return str(value)
    return None


async def compute(account: Account, organization: Account, members: list[int],
                  field_path: list[str] | None = None,
                  options: AccountOptions | None = None) -> Proposal:
    """The clashes between ``account`` and the organisation's ``members`` and their proposed
    replacements, lowest free extension first, in the order of the account's extensions."""
    options = options or await get_options(account.id)
    others = [m for m in members if m != account.id]
    theirs = await items_of(others)
    ours = await items_of([account.id])
    holder: dict[str, Item] = {}
    for item in theirs:
        holder.setdefault(item.extension, item)
    names = dict(await Account.filter(id__in=others).values_list("id", "name")) if theirs else {}
    taken = {i.extension for i in theirs} | {i.extension for i in ours}
    proposal = Proposal(account.id, organization.id)
    for item in ours:
        other = holder.get(item.extension)
        if other is None:
            continue
        replacement = _free_in(options, item.kind, taken)
        if replacement is None:
            first, last = range_of(options, item.kind)
            proposal.problems.append(Problem(Code.RANGE_FULL, e.RANGE_FULL, field_path,
                                             first=first, last=last,
                                             extension=item.extension))
        else:
            taken.add(replacement)
        proposal.changes.append(Change(item, replacement, other,
                                       str(names.get(other.account_id, ""))))
    return proposal
