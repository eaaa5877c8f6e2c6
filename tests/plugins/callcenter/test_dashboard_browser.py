"""Issue 23, the dashboard page in a real headless Chromium (Debian's ``chromium`` driven by
Playwright, as the portal's browser test): reseller staff sign in through the page (the login
mutation), open the demo account on the demo data (``gateway demo``, then the call-center
file imported), the charts are drawn, every rendered figure matches GraphQL's answer for the
same period, and an import refreshes the page live through ``callsImported``. A screenshot is
left in var/test-artifacts/ (TEST_ARTIFACTS_DIR) and the test's tmp dir. Skips, saying why, only
when chromium or playwright is missing (``.ci/portal-setup`` installs both)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from gateway.identity.demo import demo_password, load_demo_data
from gateway.identity.models import Account, User
from plugins.callcenter import services
from plugins.callcenter.demo import DEMO_ACCOUNT, demo_data
from plugins.callcenter.importer import Importer, read_records
from tests.conftest import Gateway
from tests.plugins.callcenter.dashboard_support import SERIES, STATISTICS, answer
from tests.plugins.callcenter.factory import call, load
from tests.support.browser import ARTIFACTS, NEEDS_BROWSER, chromium_page
from tests.support.browser import served as served_app
from tests.support.identity_factory import bearer_for

pytestmark: list[pytest.MarkDecorator] = NEEDS_BROWSER

# What the page shows, read in the browser: each table's rows as (header, exact figures).
READ_TABLE = """id => Array.from(document.querySelectorAll(`#t-${id} tbody tr`), row => [
  row.querySelector('th').textContent,
  Array.from(row.querySelectorAll('td'), td => td.dataset.value === '' ? null
             : Number(td.dataset.value)),
  Array.from(row.querySelectorAll('td'), td => td.textContent)])"""


async def demo(gateway: Gateway) -> tuple[Account, str]:
    """`gateway demo` and the call-center file imported; the demo account and password."""
    host = gateway.app.state.host
    await load_demo_data(host, "small")
    await demo_data(host, "small")
    path = Path(host.settings.var_dir) / "demo" / "callcenter.jsonl"
    with path.open(encoding="utf-8") as records:
        report = await Importer().run(read_records(records, "jsonl"))
    assert report.calls > 1000 and not report.errors
    password, _ = demo_password(Path(host.settings.var_dir))
    return await Account.get(name=DEMO_ACCOUNT), password


async def rows(page: Any, table: str) -> list[tuple[str, list[float | None], list[str]]]:
    return [tuple(r) for r in await page.evaluate(READ_TABLE, table)]


async def test_staff_see_the_demo_account_and_it_refreshes_live(
        migrated: str, tmp_path: Path) -> None:
    async with served_app(migrated, tmp_path) as (gateway, url):
        account, password = await demo(gateway)
        today = services.today(services.zone_of(account.time_zone))
        start = today - dt.timedelta(days=13)
        period = {"from": start.isoformat(), "to": today.isoformat()}
        address = (f"{url}/callcenter/dashboard?accountNumber={account.id}"
                   f"&from={start}&to={today}")
        async with chromium_page(locale="fr-CA") as page:
            await page.goto(address)
            # Not signed in: the sign-in page (in French, the browser's language).
            assert "/callcenter/sign-in" in page.url
            assert await page.get_attribute("html", "lang") == "fr"
            await page.get_by_label("Identifiant ou courriel").fill("reseller@alpha.example")
            await page.get_by_label("Mot de passe").fill(password)
            await page.get_by_role("button", name="Connexion").click()
            await page.wait_for_url("**/callcenter/dashboard?**")
            assert await page.get_attribute("html", "lang") == "fr"  # Alpha's staff: French
            # Every chart is drawn (a uPlot canvas) above its table.
            for chart in ("by_hour", "answer_times", "abandon_rate", "agents"):
                await page.wait_for_selector(f"#c-{chart} canvas")
            assert await page.locator("header img, header strong").first.is_visible()
            assert "Alpha" in await page.inner_text("header")
            # The figures against GraphQL's answers for the same account and period.
            headers = await bearer_for(await User.get(login="reseller@alpha.example"))
            graphql_filter = {"accountNumber": account.id, **period}
            totals = await answer(gateway, STATISTICS, headers, **graphql_filter)
            summary = {name: (values, shown) for name, values, shown in
                       await rows(page, "summary")}
            inbound, shown = summary["Total des appels entrants"]
            assert inbound[0] == totals["totalInbound"]["value"] > 0
            assert shown[0] == str(int(totals["totalInbound"]["value"]))
            assert summary["% des appels répondus par un agent"][0][0] == totals["answered"][
                "value"]
            assert sum(v[0] or 0 for _, v, _ in await rows(page, "by_hour")) == (
                totals["totalInbound"]["value"])
            classes = [v[0] or 0 for _, v, _ in await rows(page, "answer_times")]
            assert sum(classes) == totals["answered"]["value"]
            assert sum(classes[:3]) == totals["answeredWithin30s"]["value"]
            days = await answer(gateway, SERIES, headers, **graphql_filter)
            assert [(d, v[1], v[2]) for d, v, _ in await rows(page, "abandon_rate")] == [
                (b["start"][:10], b["statistics"]["abandoned"]["value"],
                 b["statistics"]["abandoned"]["percent"]) for b in days]
            agents = await rows(page, "agents")
            assert agents
            for agent, values, _ in agents:
                mine = await answer(gateway, STATISTICS, headers,
                                    **{**graphql_filter, "agent": agent})
                assert values[:2] == [mine["totalInbound"]["value"], mine["answered"]["value"]]
            # Live: an import of a call of this account refreshes the tables (no reload).
            await page.wait_for_selector("main[data-live=open]")
            now = dt.datetime.now(dt.UTC).replace(microsecond=0)
            await load([call(account, now.isoformat(), agent="ELD", queued_at=5,
                             assigned_at=6, answered_at=12)])
            await page.wait_for_selector("main[data-refreshes='1']")
            after = {name: values for name, values, _ in await rows(page, "summary")}
            fresh = await answer(gateway, STATISTICS, headers, **graphql_filter)
            assert after["Total des appels entrants"][0] == fresh["totalInbound"]["value"] == (
                totals["totalInbound"]["value"] + 1)
            await page.wait_for_selector("#c-by_hour canvas")  # redrawn
            # One file per database: CI runs the SQLite and PostgreSQL stages side by side.
            name = f"callcenter-dashboard-{migrated.split(':')[0]}.png"
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            for folder in (ARTIFACTS, tmp_path):
                await page.screenshot(path=str(folder / name), full_page=True)
        assert (tmp_path / name).stat().st_size > 10_000
        print(json.dumps({"screenshot": str(ARTIFACTS / name)}))
