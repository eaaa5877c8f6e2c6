"""schema/schema.graphql is the committed SDL: current, and the same from build to build."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from gateway.plugins import PluginHost
from schema.build import build_schema
from tests.conftest import ROOT, make_settings

SCHEMA_FILE = ROOT / "schema" / "schema.graphql"
REGENERATE = "make schema  (GATEWAY_LOAD_PLUGINS= .venv/bin/gateway schema > schema/schema.graphql)"


def repository_sdl(tmp_path: Path) -> str:
    """The SDL for the repository's plugins.toml, without any installed entry-point plugin."""
    settings = make_settings("sqlite://:memory:", tmp_path, plugins_file=ROOT / "plugins.toml",
                             load_plugins=())
    return build_schema(PluginHost(settings)).as_str() + "\n"


def test_committed_schema_is_current(tmp_path: Path) -> None:
    assert SCHEMA_FILE.exists(), f"schema/schema.graphql is missing; write it with: {REGENERATE}"
    assert SCHEMA_FILE.read_text() == repository_sdl(tmp_path), (
        f"schema/schema.graphql is stale (a plugin changed the schema); regenerate it with: "
        f"{REGENERATE}  and review the diff"
    )


def test_schema_text_is_identical_across_builds(tmp_path: Path) -> None:
    first, second = repository_sdl(tmp_path), repository_sdl(tmp_path)
    assert first == second
    # Another process, another hash seed (set and dict orders must not leak into the text),
    # through the very command the regeneration hint gives.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEWAY_", "DATABASE_URL"))}
    env.update(GATEWAY_LOAD_PLUGINS="", GATEWAY_VAR_DIR=str(tmp_path), PYTHONHASHSEED="12345")
    result = subprocess.run([str(Path(sys.executable).with_name("gateway")), "schema"], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout == first


def test_schema_has_the_shared_pieces(tmp_path: Path) -> None:
    sdl = repository_sdl(tmp_path)
    for piece in ("interface Node {", "    id: ID!\n  ): Node", "interface Error {",
                  "scalar DateTime", "type PageInfo {", "totalCount: Int!"):
        assert piece in sdl, piece
