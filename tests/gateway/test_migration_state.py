"""Lazy migration snapshots (gateway.migration_state) build the same database as Tortoise's own
snapshots, and render an old state's models only when an operation reads them."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from tortoise.context import TortoiseContext
from tortoise.migrations.api import migrate
from tortoise.migrations.schema_generator.state import State

from gateway import migration_state
from gateway.db import CORE_APP
from gateway.migration_state import lazy_snapshots

TORTOISE_CLONE = migration_state._installed_over


async def _migrated_schema(folder: Path) -> list[tuple[str, str]]:
    path = folder / "core.sqlite3"
    config = {"connections": {"default": f"sqlite://{path}"},
              "apps": {"core": {"models": CORE_APP.models, "migrations": CORE_APP.migrations,
                                "default_connection": "default"}},
              "use_tz": True, "timezone": "UTC"}
    with TortoiseContext() as ctx:
        try:
            await migrate(config=config)
        finally:
            await ctx.close_connections()
    with sqlite3.connect(path) as db:
        return sorted(db.execute("SELECT name, coalesce(sql, '') FROM sqlite_master"))


async def test_the_core_migrates_to_the_same_schema_with_lazy_snapshots(
        tmp_path: Path, monkeypatch: Any) -> None:
    lazy_snapshots()
    (tmp_path / "lazy").mkdir()
    rendered: list[str] = []
    render = migration_state._Snapshot.apps.fget

    def counting(self: Any) -> Any:
        if "_apps" not in self.__dict__ or self.__dict__["_apps"] is None:
            rendered.append("snapshot")
        return render(self)

    monkeypatch.setattr(migration_state._Snapshot, "apps", property(
        counting, migration_state._Snapshot.apps.fset))
    cloned: list[State] = []
    lazy_clone = State.clone

    def keeping(self: State) -> State:
        cloned.append(snapshot := lazy_clone(self))
        return snapshot

    monkeypatch.setattr(State, "clone", keeping)
    lazy = await _migrated_schema(tmp_path / "lazy")
    # One snapshot per operation, and only those an operation read were rendered.
    assert len(cloned) > 20
    assert len(rendered) < len(cloned) / 2, (len(rendered), len(cloned))

    monkeypatch.setattr(State, "clone", TORTOISE_CLONE)
    (tmp_path / "eager").mkdir()
    eager = await _migrated_schema(tmp_path / "eager")
    assert lazy == eager
    assert any(name == "core_audit_entry" for name, _ in lazy)
