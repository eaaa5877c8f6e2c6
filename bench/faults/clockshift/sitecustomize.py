"""The fault matrix's clock jump, inside running gateway processes: with this folder on
PYTHONPATH and ``FAULTS_CLOCK_FILE`` naming a file, the process's wall clock reads ahead by
the number of seconds written in that file — ``datetime.datetime.now/utcnow/today``,
``datetime.date.today`` and ``time.time`` — while the monotonic clock (timeouts, sleeps) runs
on, as after an NTP step. The matrix writes ``3600`` into the file: every process sees the
jump within a quarter of a second, without a restart. Python imports ``sitecustomize`` at
start-up, before the gateway's modules, so they all read the shifted clock.

libfaketime would do this from outside, but its 0.9.10 breaks ``time.sleep`` (EINVAL) under
Python 3.11. Only the matrix's child processes get this folder: nothing in the gateway reads
the file."""

from __future__ import annotations

import datetime as _dt
import os
import time as _time

_FILE = os.environ.get("FAULTS_CLOCK_FILE", "")

if _FILE:
    _real_time = _time.time
    _real_time_ns = _time.time_ns
    _monotonic = _time.monotonic
    _cache = {"offset": 0.0, "read_at": -1.0}

    def _offset() -> float:
        now = _monotonic()
        if now - _cache["read_at"] > 0.25:
            _cache["read_at"] = now
            try:
                with open(_FILE) as source:
                    _cache["offset"] = float(source.read().strip() or 0)
            except (OSError, ValueError):
                pass
        return _cache["offset"]

    def _time_now() -> float:
        return _real_time() + _offset()

    class _ShiftedDatetime(_dt.datetime):
        @classmethod
        def now(cls, tz: _dt.tzinfo | None = None) -> _dt.datetime:  # type: ignore[override]
            return _dt.datetime.fromtimestamp(_time_now(), tz)

        @classmethod
        def utcnow(cls) -> _dt.datetime:  # type: ignore[override]
            return _dt.datetime.fromtimestamp(_time_now(), _dt.UTC).replace(tzinfo=None)

        @classmethod
        def today(cls) -> _dt.datetime:  # type: ignore[override]
            return cls.now()

    class _ShiftedDate(_dt.date):
        @classmethod
        def today(cls) -> _dt.date:  # type: ignore[override]
            return _dt.datetime.fromtimestamp(_time_now()).date()

    # sqlite3 adapts dates by their exact class: the shifted classes' instances (what
    # ``date(...)``, ``date.fromordinal`` and the like now make) are stored as the originals are.
    import sqlite3 as _sqlite3

    _sqlite3.register_adapter(_ShiftedDate, lambda value: value.isoformat())
    _sqlite3.register_adapter(_ShiftedDatetime, lambda value: value.isoformat(" "))

    _dt.datetime = _ShiftedDatetime  # type: ignore[misc]
    _dt.date = _ShiftedDate  # type: ignore[misc]
    _time.time = _time_now
    _time.time_ns = lambda: _real_time_ns() + int(_offset() * 1e9)
