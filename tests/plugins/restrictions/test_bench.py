"""The benchmark keeps running (and checks its two sides agree) on a small rule set."""

from __future__ import annotations

import pytest

from bench import restrictions


def test_the_benchmark_runs_and_prints_the_ratio(capsys: pytest.CaptureFixture[str]) -> None:
    restrictions.main(["--rules", "300", "--seconds", "0.05"])
    out = capsys.readouterr().out
    assert "compiled prefix trees:" in out and "naive scan:" in out and "ratio:" in out
