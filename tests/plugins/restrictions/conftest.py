"""Fixtures of the restrictions plugin's tests: the database alone (migrated, emptied) for the
service-level tests, which need neither HTTP nor the job runtime."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from gateway import db
from gateway.plugins import PluginHost
from tests.conftest import truncate_all


@pytest.fixture
async def database(migrated: str, settings: Any) -> AsyncIterator[None]:
    """Tortoise opened on the session's migrated database, every table empty."""
    await db.init_db(PluginHost(settings))
    try:
        await truncate_all()
        yield
    finally:
        await db.close_db()
