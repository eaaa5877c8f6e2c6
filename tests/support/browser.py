"""Shared by the browser tests (the subscription portal's, the call-center dashboard's): Debian's
``chromium`` driven by Playwright, the app served by uvicorn on a free loopback port (its
PUBLIC_URL, so the session cookie and the CSRF/origin rules apply as in production), and the
skip markers that skip only when chromium or playwright is missing, saying so (``.ci/portal-setup``
installs both)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from tests.conftest import ROOT, Gateway, make_settings, start_gateway

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
try:
    from playwright.async_api import async_playwright
except ImportError:  # pragma: no cover - depends on the machine
    async_playwright = None  # type: ignore[assignment]

NEEDS_BROWSER = [
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH: run .ci/portal-setup "
                       "(Debian's chromium package)"),
    pytest.mark.skipif(async_playwright is None, reason="playwright is not installed: pip "
                       "install -e '.[browser]' (or run .ci/portal-setup)"),
]
# Where browser tests leave what a person looks at afterwards (screenshots); .ci/run prints it.
ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS_DIR") or ROOT / "var" / "test-artifacts")


async def submit(page: Any, button: str, url: str) -> None:
    """Press the form's button and wait for the next page; failing, say what the page shows."""
    await page.get_by_role("button", name=button).click()
    try:
        await page.wait_for_url(url, timeout=30_000)
    except Exception as exc:
        raise AssertionError(f"still on {page.url}: {await page.inner_text('body')}") from exc


@contextlib.asynccontextmanager
async def served(migrated: str, tmp_path: Path) -> AsyncIterator[tuple[Gateway, str]]:
    """The app on a free loopback port (its PUBLIC_URL), served by uvicorn in this loop."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = make_settings(migrated, tmp_path, public_url=url)
    async for gateway in start_gateway(settings, job_options={
            "relay_interval": 0.05, "scheduler_tick": 0.2, "in_process_workers": True}):
        async with uvicorn_serving(gateway.app, sock):
            yield gateway, url


@contextlib.asynccontextmanager
async def uvicorn_serving(app: Any, sock: socket.socket, **config: Any) -> AsyncIterator[None]:
    """``app`` served by uvicorn on ``sock`` in this event loop while the block runs (its
    lifespan already running: uvicorn only serves)."""
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_config=None,
                                           access_log=False, **config))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
                raise AssertionError("uvicorn stopped before it started")
            await asyncio.sleep(0.01)
        yield
    finally:
        server.should_exit = True
        await task


@contextlib.asynccontextmanager
async def chromium_page(locale: str = "en-CA") -> AsyncIterator[Any]:
    """A page of a fresh headless chromium (the system's), closed afterwards."""
    assert async_playwright is not None and CHROMIUM is not None
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM,
                                                   args=["--no-sandbox"])
        try:
            page = await browser.new_page(locale=locale, viewport={"width": 1280, "height": 900})
            page.set_default_timeout(60_000)
            yield page
        finally:
            await browser.close()
