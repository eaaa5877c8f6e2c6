"""The demo data set shows an organisation: the dentist joins the clinic's, her clashing
extension renumbered, and reading it again changes nothing."""

from __future__ import annotations

import pytest

from gateway.identity.demo import load_demo_data
from gateway.identity.models import Account, User
from plugins.affiliation.demo import JOINING, ORGANIZATION, demo_data
from tests.conftest import Gateway


async def test_the_demo_affiliates_the_dentist_to_the_clinic(
        affiliation_gateway: Gateway, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMO_PASSWORD", "Demo-pass-2024!")
    host = affiliation_gateway.app.state.host
    await load_demo_data(host, "small")
    assert await demo_data(host, "small") is not None
    clinic = await Account.get(name=ORGANIZATION)
    dentist = await Account.get(name=JOINING)
    assert dentist.organization_id == clinic.id  # type: ignore[attr-defined]
    extensions = await User.filter(account_id__in=[clinic.id, dentist.id]).values_list(
        "extension", flat=True)
    assert None not in extensions and len(set(extensions)) == len(extensions)
    assert await demo_data(host, "small") is None  # done already
