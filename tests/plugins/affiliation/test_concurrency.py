"""Two affiliations racing for the same extensions cannot both win: both accounts' proposals
give their user 100 the organisation's next free 101; the requests are released together
into their transactions, and the row locks make the second one compute again on what the
first one left, so it is refused as stale. (On SQLite, transactions run one at a time
anyway; on PostgreSQL this is the lock at work.)"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from gateway.identity.models import Account, AccountKind, User, UserRole
from plugins.account_settings.models import ExtensionReservation
from plugins.affiliation import services
from tests.plugins.affiliation.conftest import World, give
from tests.support.identity_factory import make_account, make_user


async def test_two_affiliations_racing_for_one_extension(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    await User.filter(id=world.alpha.employee.id).update(extension=None)  # 101 is free
    joining = []
    for name in ("Succursale Est", "Succursale Ouest"):
        account = await make_account(world.alpha.reseller, AccountKind.COMPANY, name)
        await give(await make_user(UserRole.COMPANY_ADMIN, reseller=world.alpha.reseller,
                                   account=account), "100")
        joining.append(account)
    proposals = [(await world.proposal(a))["proposal"] for a in joining]
    assert [p["changes"][0]["replacement"] for p in proposals] == ["101", "101"]

    # Both requests wait for each other right before their transaction begins.
    barrier = asyncio.Barrier(2)
    real = services.in_transaction
    entered: list[int] = []

    def together(*args: Any, **kwargs: Any) -> Any:
        class Gate:
            async def __aenter__(self) -> Any:
                await barrier.wait()
                self.inner = real(*args, **kwargs)
                entered.append(1)
                return await self.inner.__aenter__()

            async def __aexit__(self, *exc: Any) -> Any:
                return await self.inner.__aexit__(*exc)

        return Gate()

    monkeypatch.setattr(services, "in_transaction", together)
    results = await asyncio.gather(*(
        world.affiliate(account, token=proposal["token"])
        for account, proposal in zip(joining, proposals, strict=True)))
    assert len(entered) == 2

    codes = sorted(tuple(e["code"] for e in r["errors"]) for r in results)
    assert codes == [(), ("PROPOSAL_STALE",)]
    winner = next(a for a, r in zip(joining, results, strict=True) if not r["errors"])
    loser = next(a for a in joining if a is not winner)
    assert (await Account.get(id=winner.id)).organization_id == world.org.id  # type: ignore[attr-defined]
    assert (await Account.get(id=loser.id)).organization_id is None  # type: ignore[attr-defined]
    assert await User.filter(account_id=loser.id).values_list("extension", flat=True) == ["100"]
    # The organisation's extensions are still unique.
    members = [world.org.id, winner.id]
    taken = [*await User.filter(account_id__in=members, extension__isnull=False).values_list(
        "extension", flat=True), *await ExtensionReservation.filter(
        account_id__in=members).values_list("extension", flat=True)]
    assert sorted(taken) == ["100", "101", "500"]

    # The loser asks again and gets the next free one.
    monkeypatch.setattr(services, "in_transaction", real)
    again = (await world.proposal(loser))["proposal"]
    assert again["changes"][0]["replacement"] == "102"
    assert (await world.affiliate(loser, token=again["token"]))["errors"] == []
