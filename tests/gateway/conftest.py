"""Fixtures shared by the host's tests: the example plugin distribution
(tests/fixtures/example_plugin), installed the way an integrator's package is."""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

EXAMPLE_SOURCE = ROOT / "tests" / "fixtures" / "example_plugin"


@pytest.fixture(scope="session")
def example_plugin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Install tests/fixtures/example_plugin with pip into a directory of this session, as a
    third party's package would be installed, and put it on the path (this process and the
    CLI's). The gateway's environment is left untouched; nothing is downloaded."""
    source = tmp_path_factory.mktemp("example-src") / "example_plugin"
    # A copy, so building leaves no build/ or egg-info in the repository.
    shutil.copytree(EXAMPLE_SOURCE, source,
                    ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    target = tmp_path_factory.mktemp("example-site")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "--no-deps", "--no-build-isolation", "--no-index", "--target", str(target),
         str(source)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, f"installing the example plugin failed:\n{result.stderr}"
    sys.path.insert(0, str(target))
    importlib.invalidate_caches()
    try:
        yield target
    finally:
        sys.path.remove(str(target))
        importlib.invalidate_caches()
