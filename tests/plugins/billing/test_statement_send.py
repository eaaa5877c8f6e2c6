"""Issue 16: the statement as a PDF, read back (the client's language, the reseller's name and
logo, any Unicode name: Latin, Greek, Cyrillic, Chinese, Japanese, Korean, Arabic), "Envoyer"
through the outbox to a real SMTP server (the billing contact, copies), suppressed in test
mode; the periodic job and the CLI close the cycle."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import unicodedata
from decimal import Decimal
from pathlib import Path

from PIL import Image
from pypdf import PdfReader

from gateway.api import Account, Reseller, ResellerImage, UserRole, global_id
from plugins.billing import closing
from plugins.billing.config import BillingConfig
from plugins.billing.cycle import Cycle
from plugins.billing.cycle_jobs import CLOSE_JOB
from plugins.billing.ledger_models import CycleRun, Statement
from plugins.billing.statements import render_statement
from plugins.clients.api import set_test_mode
from tests.conftest import ROOT, Gateway
from tests.gateway.test_jobs import wait_for
from tests.plugins.billing.cycle_factory import CLOSE_DAY, CYCLE_START, make_month
from tests.plugins.billing.cycle_support import (  # noqa: F401
    billing_gateway,
    data,
    received,
    smtp_server,
)
from tests.support.identity_factory import bearer_for, make_tenant, make_user

CYCLE = Cycle(CYCLE_START, CLOSE_DAY)
SEND = """mutation S($input: SendBillingStatementInput!) { sendBillingStatement(input: $input) {
  suppressed statement { number } errors { code field message } } }"""
NAME = "Ωmega Кофе Ltée l’œuvre"


def _text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(text.replace("\u00a0", " ").split())  # lines wrap in table cells


async def test_statement_pdf_email_and_test_mode(billing_gateway: Gateway) -> None:  # noqa: F811
    gateway = billing_gateway
    month = await make_month()
    assert month.promoted and month.changing
    reseller = month.tenant.reseller
    logo = io.BytesIO()
    Image.new("RGB", (80, 30), (20, 90, 160)).save(logo, format="PNG")
    image = await ResellerImage.create(reseller_id=reseller.id, kind="logo",
                                       content_type="image/png", digest="a" * 64,
                                       data=logo.getvalue())
    reseller.branding = {"logo": {"digest": image.digest}}
    await reseller.save()
    await closing.close_cycle(gateway.app.state.host, BillingConfig(), CYCLE)
    await Account.filter(id=month.changing.id).update(name=NAME)

    french = await Statement.get(account_id=month.promoted.id)
    text = _text((await render_statement(french)).data)
    for expected in ("Relevé de compte", "Télécom Alpha", "Acmé Plomberie œuvre",
                     "Forfait Base", "Rabais de 20 % les 6 premiers mois", "49,68",
                     "Solde à payer", "TPS 5 % (123456789RT0001)"):
        assert expected in text, expected
    reader = PdfReader(io.BytesIO((await render_statement(french)).data))
    assert sum(len(page.images) for page in reader.pages) == 1  # the reseller's logo
    english = await Statement.get(account_id=month.changing.id)
    text = _text((await render_statement(english)).data)
    assert "Account statement" in text and "Balance due" in text and "99.52" in text
    assert NAME in text
    fonts = {str(font.get_object()["/BaseFont"]) for page in reader.pages
             for font in page["/Resources"]["/Font"].values()}
    assert any("DejaVuSans" in name for name in fonts)

    # Envoyer: to the billing contact, a copy as typed, the PDF attached.
    staff = await bearer_for(month.tenant.admin)
    sent = (await data(gateway, staff, SEND, input={
        "statementId": global_id("BillingStatement", english.id),
        "cc": ["comptable@abonne.test"]}))["sendBillingStatement"]
    assert sent == {"suppressed": False, "statement": {"number": english.number},
                    "errors": []}
    [message] = await received(gateway.smtp, 1)  # type: ignore[attr-defined]
    assert message["To"] == "bravo@abonne.test" and message["Cc"] == "comptable@abonne.test"
    assert english.number in message["Subject"]
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == f"{english.number}.pdf"
    assert "99.52" in _text(attachment.get_content())

    # Test mode: nothing leaves.
    await set_test_mode(month.promoted.id, True)
    quiet = (await data(gateway, staff, SEND, input={
        "statementId": global_id("BillingStatement", french.id)}))["sendBillingStatement"]
    assert quiet["suppressed"] is True and quiet["errors"] == []

    # Another reseller's statement is "not found"; a bad copy address is refused at its path.
    stranger = await bearer_for((await make_tenant("Gamma Télécom")).admin)
    hidden = (await data(gateway, stranger, SEND, input={
        "statementId": global_id("BillingStatement", english.id)}))["sendBillingStatement"]
    assert hidden["errors"][0]["code"] == "NOT_FOUND"
    bad = (await data(gateway, staff, SEND, input={
        "statementId": global_id("BillingStatement", english.id), "cc": ["pas une adresse"]}
    ))["sendBillingStatement"]
    assert bad["errors"][0]["field"] == ["input", "cc", "0"]
    assert len(gateway.smtp.messages) == 1  # type: ignore[attr-defined]

    # A statement's PDF through its signed URL.
    client = await bearer_for(await _company_admin(month))
    listed = await data(gateway, client, "query { billingStatements(accountNumber: "
                        f"{month.promoted.id}, first: 1) {{ nodes {{ pdfUrl }} }} }}")
    url = listed["billingStatements"]["nodes"][0]["pdfUrl"]
    response = await gateway.client.get(url.removeprefix("http://testserver"))
    assert response.status_code == 200 and "49,68" in _text(response.content)

    # Chinese, Japanese, Korean and Arabic names print (CJK in the fallback face, Arabic
    # joined and right to left): the reseller's name and the client's, two statements.
    names = (("王秀英电信", "山田さくら"), ("김민준 통신", "محمد العلي"))
    for reseller_name, account_name in names:
        await Reseller.filter(id=reseller.id).update(name=reseller_name)
        await Account.filter(id=month.changing.id).update(name=account_name)
        printed = unicodedata.normalize("NFKC", _text((await render_statement(english)).data))
        assert reseller_name in printed and account_name in printed, printed[:200]
        assert "99.52" in printed and "\x00" not in printed


async def _company_admin(month: object) -> object:
    from tests.support.identity_factory import make_user

    tenant = month.tenant  # type: ignore[attr-defined]
    return await make_user(UserRole.COMPANY_ADMIN, reseller=tenant.reseller,
                           account=month.promoted)  # type: ignore[attr-defined]


async def test_the_periodic_job_closes_the_due_cycle(billing_gateway: Gateway) -> None:  # noqa: F811
    month = await make_month()
    from gateway.api import enqueue

    await enqueue(CLOSE_JOB, {"today": "2026-11-21"})  # the day after the close day

    async def closed() -> bool:
        return await CycleRun.filter(starts_on=CYCLE_START, status="DONE").exists()

    await wait_for(closed, timeout=30.0)
    assert month.promoted
    statement = await Statement.get(account_id=month.promoted.id)
    assert statement.total == Decimal("49.68")

    # The system admin may close a cycle again by hand: nothing more is written; a reseller
    # may not; a close day in the future is refused.
    close = "mutation C($d: Date!) { closeBillingCycle(input: {closeDay: $d}) { queued " \
            "errors { code field } } }"
    sysadmin = await bearer_for(await make_user(UserRole.SYSTEM_ADMIN))
    queued = await data(billing_gateway, sysadmin, close, d="2026-11-20")
    assert queued["closeBillingCycle"] == {"queued": True, "errors": []}
    denied = await billing_gateway.graphql(close, {"d": "2026-11-20"},
                                           **await bearer_for(month.tenant.admin))
    assert denied["errors"][0]["extensions"]["code"] in ("FORBIDDEN", "UNAUTHENTICATED")
    future = await data(billing_gateway, sysadmin, close, d="2099-01-20")
    assert future["closeBillingCycle"]["errors"] == [{"code": "INVALID",
                                                      "field": ["input", "closeDay"]}]

    async def forced_done() -> bool:
        from gateway.api import OutboxJob

        rows = await OutboxJob.filter(job=CLOSE_JOB).values("payload", "status")
        return any(row["payload"].get("force") and str(row["status"]) in ("done", "DONE")
                   for row in rows)

    await wait_for(forced_done, timeout=30.0)
    assert await Statement.filter(starts_on=CYCLE_START).count() == 3


async def test_the_command_previews_then_closes(billing_gateway: Gateway,  # noqa: F811
                                                migrated: str, tmp_path: Path) -> None:
    month = await make_month()
    assert month.changing
    env = {**os.environ, "DATABASE_URL": migrated, "GATEWAY_LOAD_PLUGINS": "",
           "BROKER_URL": "memory://", "SECRET_KEY": "test-secret-key-not-for-production",
           "GATEWAY_ENV": "test", "GATEWAY_VAR_DIR": str(tmp_path)}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "gateway.cli", "billing", "close-cycle",
                               "--date", "2026-11-20", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)

    preview = run("--preview", "--account", str(month.changing.id))
    assert preview.returncode == 0, preview.stderr
    assert "99.52" in preview.stdout and "nothing written" in preview.stdout
    assert await Statement.all().count() == 0
    closing_run = run()
    assert closing_run.returncode == 0, closing_run.stderr
    assert "statement(s) written" in closing_run.stdout
    assert "account" in closing_run.stderr  # the progress bar
    assert (await Statement.get(account_id=month.changing.id)).total == Decimal("99.52")
    again = run()
    assert "0 statement(s) written" in again.stdout


async def test_a_close_killed_mid_way_then_run_again_leaves_the_same_ledger(
        billing_gateway: Gateway, migrated: str, tmp_path: Path) -> None:  # noqa: F811
    """The worker really killed (SIGKILL) while a batch is open, then the command again."""
    import asyncio

    from plugins.billing.ledger_models import LedgerEntry, StatementLine
    from plugins.callcenter.models import BilledCycle
    from tests.plugins.billing.test_cycle_month import ledger

    await make_month()
    await closing.close_cycle(billing_gateway.app.state.host, BillingConfig(), CYCLE)
    reference = await ledger()
    for model in (LedgerEntry, StatementLine, Statement, CycleRun, BilledCycle):
        await model.all().delete()
    slow = tmp_path / "plugins.toml"
    slow.write_text((ROOT / "plugins.toml").read_text() + "\n[plugins.slow_usage]\n"
                    'module = "tests.plugins.billing.slow_usage_plugin"\n')
    env = {**os.environ, "DATABASE_URL": migrated, "GATEWAY_LOAD_PLUGINS": "",
           "BROKER_URL": "memory://", "SECRET_KEY": "test-secret-key-not-for-production",
           "GATEWAY_ENV": "test", "GATEWAY_VAR_DIR": str(tmp_path)}
    command = [sys.executable, "-m", "gateway.cli", "billing", "close-cycle", "--date",
               "2026-11-20", "--batch-size", "1"]
    worker = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL,
                              env={**env, "GATEWAY_PLUGINS_FILE": str(slow),
                                   "SLOW_USAGE_SECONDS": "3"})
    try:
        for _ in range(600):  # the first batch committed: kill it in the second
            if await Statement.all().count() or worker.poll() is not None:
                break
            await asyncio.sleep(0.1)
        worker.kill()
    finally:
        worker.wait(timeout=30)
    written = await Statement.all().count()
    assert 1 <= written < 3, written
    assert await CycleRun.filter(status="RUNNING").count() == 1
    again = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=120)
    assert again.returncode == 0, again.stderr
    assert f"{3 - written} statement(s) written" in again.stdout
    assert await ledger() == reference
    run = await CycleRun.get(starts_on=CYCLE_START)
    assert (run.status, run.attempts, run.accounts_done) == ("DONE", 2, 3)
