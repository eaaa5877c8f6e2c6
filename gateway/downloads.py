"""Files served behind signed, short-lived URLs (reports, exports): built once per token off
the event loop, kept on disk for the token's lifetime, and the route rate-limited.

- ``FileCache.get_or_build(token, build)``: the first request for a token builds the file
  (``build`` does its queries on the loop and its CPU work in a thread: ``in_thread``); every
  replay of the same URL within its lifetime is served from disk, never built again. Requests
  for a token arriving while it is built wait for that one build.
- ``download_throttled(request, name, token, ...)``: the seconds to wait (answer 429 with
  ``Retry-After``) when the URL or the client address asks too often, else None.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from gateway.identity.auth import client_address
from gateway.rate_limit import RateLimit, spend

P = ParamSpec("P")
R = TypeVar("R")

# Downloads of one URL per its lifetime window, and of one client address per minute.
PER_TOKEN = 20
PER_ADDRESS_PER_MINUTE = 60


async def in_thread(function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Run CPU-bound work (writing an XLSX, a CSV) in a worker thread, off the event loop."""
    return await asyncio.to_thread(function, *args, **kwargs)


@dataclass(frozen=True)
class CachedFile:
    path: Path
    name: str  # the file name the download offers
    content_type: str


# (file name, content type, the bytes or an async iterator of chunks written as they come)
Builder = Callable[[], Awaitable[tuple[str, str, bytes | AsyncIterator[bytes]]]]


class FileCache:
    """Files by token under ``folder``, kept ``lifetime`` (a token's own)."""

    def __init__(self, folder: Path, lifetime: dt.timedelta) -> None:
        self.folder = folder
        self.lifetime = lifetime
        self._locks: dict[str, asyncio.Lock] = {}

    def _paths(self, token: str) -> tuple[Path, Path]:
        digest = hashlib.sha256(token.encode()).hexdigest()
        return self.folder / f"{digest}.file", self.folder / f"{digest}.json"

    def _read(self, token: str) -> CachedFile | None:
        body, meta = self._paths(token)
        try:
            if time.time() - body.stat().st_mtime > self.lifetime.total_seconds():
                return None
            info = json.loads(meta.read_text("utf-8"))
        except (OSError, ValueError):
            return None
        return CachedFile(body, str(info["name"]), str(info["content_type"]))

    def _partial(self, path: Path) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        return path.with_suffix(f".{os.getpid()}.{id(asyncio.current_task())}.part")

    async def _write(self, token: str, name: str, content_type: str,
                     data: bytes | AsyncIterator[bytes]) -> CachedFile:
        await in_thread(self._sweep)
        body, meta = self._paths(token)
        partial = self._partial(body)
        if isinstance(data, bytes | bytearray):
            await in_thread(partial.write_bytes, bytes(data))
        else:
            with partial.open("wb") as out:  # chunk by chunk: never the whole file in memory
                async for chunk in data:
                    await in_thread(out.write, chunk)
        partial.replace(body)  # atomic: another process never reads half a file
        partial = self._partial(meta)
        partial.write_text(json.dumps({"name": name, "content_type": content_type}), "utf-8")
        partial.replace(meta)  # written last: its presence says the file is whole
        return CachedFile(body, name, content_type)

    def _sweep(self) -> None:
        """Remove the files of expired tokens."""
        cutoff = time.time() - self.lifetime.total_seconds() - 60
        if not self.folder.is_dir():
            return
        for path in self.folder.iterdir():
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink(missing_ok=True)
            except OSError:
                continue

    async def get_or_build(self, token: str, build: Builder) -> CachedFile:
        """The token's file, built by ``build`` (name, content type, bytes) the first time."""
        cached = self._read(token)
        if cached is not None:
            return cached
        lock = self._locks.setdefault(token, asyncio.Lock())
        try:
            async with lock:
                cached = self._read(token)
                if cached is not None:
                    return cached
                name, content_type, data = await build()
                return await self._write(token, name, content_type, data)
        finally:
            if not lock.locked() and self._locks.get(token) is lock:
                del self._locks[token]


async def download_throttled(request: Any, name: str, token: str, *, lifetime: dt.timedelta,
                    per_token: int = PER_TOKEN,
                    per_address_per_minute: int = PER_ADDRESS_PER_MINUTE) -> int | None:
    """Count one download of ``token`` (and of the client's address) for route ``name``; the
    seconds to wait when either is over its limit, else None."""
    wait = await spend(RateLimit(f"{name}:address", per_address_per_minute,
                                 dt.timedelta(minutes=1)), client_address(request))
    if wait is None:
        wait = await spend(RateLimit(f"{name}:token", per_token, lifetime),
                           hashlib.sha256(token.encode()).hexdigest())
    return wait
