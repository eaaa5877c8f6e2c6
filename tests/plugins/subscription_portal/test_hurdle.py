"""The proof of work is accepted once (issue 20, abuse): a solved challenge is spent, a form
sent again with it is refused as a wrong answer, and the periodic cleanup forgets the spent
challenges once they have expired."""

from __future__ import annotations

import datetime as dt

from gateway.identity.models import Account
from plugins.account_settings.models import PhoneNumber
from plugins.clients.models import SignupDraft
from plugins.subscription_portal.models import SpentChallenge
from plugins.subscription_portal.wizard import CLEANUP_JOB, cleanup_job, solve
from tests.conftest import Gateway
from tests.plugins.subscription_portal.support import (
    ADMIN,
    CUSTOMER,
    action,
    bits,
    hidden,
    link_path,
    send,
    sign_up,
    stock,
)
from tests.support.identity_factory import make_tenant


async def test_a_solved_challenge_is_accepted_once(gateway: Gateway) -> None:
    alpha = await make_tenant()
    path = await link_path(gateway, alpha.reseller)
    page = await gateway.client.get(f"{path}?lang=en")
    form = {**hidden(page.text), **CUSTOMER}
    form["pow"] = solve(form["challenge"], bits(page.text))
    first = await gateway.client.post(action(page.text), data=form)
    assert first.status_code == 303
    # The same solved form again (another address, so only the hurdle can refuse it).
    replay = await gateway.client.post(action(page.text),
                                       data={**form, "email": "other@replay.test"})
    assert replay.status_code == 400
    assert "Please answer the question" in replay.text and 'id="answer-error"' in replay.text
    assert await SignupDraft.all().count() == 1
    # The page shown again carries a new challenge, which works (once).
    again = await send(gateway, replay, {**CUSTOMER, "email": "other@replay.test"})
    assert again.status_code == 303
    assert await SignupDraft.all().count() == 2

    # The last step's hurdle too: a creation refused once (the pool ran out meanwhile) is
    # not sent again with the same solved challenge, even once the pool is refilled.
    await stock(alpha.reseller)
    confirm = await sign_up(gateway, path, customer={**CUSTOMER, "email": "x@replay.test"},
                            admin={**ADMIN, "email": "y@replay.test"})
    data = hidden(confirm.text)
    data["pow"] = solve(data["challenge"], bits(confirm.text))
    await PhoneNumber.filter(reseller_id=alpha.reseller.id).update(account_id=alpha.company.id)
    refused = await gateway.client.post(action(confirm.text), data=data)
    assert refused.status_code == 400 and 'id="areaCode.0-error"' in refused.text
    await stock(alpha.reseller, "+1 514 555 0189")
    replay = await gateway.client.post(action(confirm.text), data=data)
    assert replay.status_code == 400 and 'id="answer-error"' in replay.text
    assert not await Account.filter(email="x@replay.test").exists()


async def test_the_cleanup_forgets_expired_challenges(gateway: Gateway) -> None:
    now = dt.datetime.now(dt.UTC)
    await SpentChallenge.create(digest="a" * 64, expires_at=now - dt.timedelta(seconds=1))
    await SpentChallenge.create(digest="b" * 64, expires_at=now + dt.timedelta(minutes=30))
    await cleanup_job({})
    assert await SpentChallenge.all().values_list("digest", flat=True) == ["b" * 64]
    assert CLEANUP_JOB == "subscription_portal.cleanup"
