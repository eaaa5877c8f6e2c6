"""The benchmark keeps running, and its two sides (compiled trees, naive scan) give the same
answers (``measure`` checks 200 calls before timing), on a small rule set."""

from __future__ import annotations

from bench import restrictions


def test_the_benchmark_runs_and_both_sides_agree() -> None:
    measured = restrictions.measure(300, 0.05)
    assert measured["rules"] == 300
    assert measured["compiled_runs"] > 0 and measured["naive_runs"] > 0
