"""The fault matrix names what it found twice (a row, an email, an outbox job), not only how
many: the table's "duplicates" column alone left a CI failure without its cause."""

from __future__ import annotations

from collections import Counter

from bench.faults.matrix import duplicated_markers


def test_each_duplicate_is_named_with_where_it_was_found() -> None:
    stored = {"contact": Counter({"f-1": 2, "f-2": 1}), "import": Counter({"f-3": 1})}
    received = Counter({"f-4": 1, "f-5": 3})
    jobs = [{"marker": "f-6"}, {"marker": "f-6"}, {"marker": "f-7"}]
    assert duplicated_markers(stored, received, jobs) == [
        "contact row f-1 ×2", "email f-5 received ×3", "outbox job f-6 queued ×2"]
    assert duplicated_markers({"contact": Counter({"f-1": 1})}, Counter({"f-4": 1}), []) == []
