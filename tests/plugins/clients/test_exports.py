"""Exports of the lists to CSV and PDF behind short-lived signed URLs, read back."""

from __future__ import annotations

import asyncio
import csv
import io
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from pypdf import PdfReader
from strawberry.relay import GlobalID, to_base64

from gateway.identity.models import Account, AccountKind
from plugins.clients import listing
from plugins.clients.models import AccountExport, ExportStatus
from tests.conftest import Gateway, make_settings, start_gateway
from tests.gateway.test_jobs import wait_for
from tests.plugins.clients.conftest import JOB_OPTIONS, clients_host
from tests.plugins.clients.factory import add_account, make_clients
from tests.support.identity_factory import bearer_for

EXPORT = """mutation($input: ExportAccountsInput!) {
  exportAccounts(input: $input) {
    url jobId export { id format status fileName rowCount url }
    errors { code field message }
  }
}"""
STATUS = "query($id: ID!) { accountExport(id: $id) { status rowCount url } }"


async def _french(user: Any) -> dict[str, str]:
    """Headers of a session of ``user`` reading French (a signed-in reader's language is
    their own, whatever the browser says)."""
    user.language = "fr"
    await user.save()
    return await bearer_for(user)


async def _export(gateway: Gateway, headers: dict[str, str], **input: Any) -> dict[str, Any]:
    result = await gateway.graphql(EXPORT, {"input": input}, **headers)
    assert "errors" not in result, result
    return result["data"]["exportAccounts"]


async def _ready(gateway: Gateway, headers: dict[str, str], export_id: str) -> None:
    """Wait until the export's job has made its file."""
    async def ready() -> bool:
        state = (await gateway.graphql(STATUS, {"id": export_id}, **headers))["data"]
        return state["accountExport"]["status"] == "READY"

    await wait_for(ready, timeout=60)


def _path(url: str) -> str:
    return url.removeprefix("http://testserver")


def _csv(body: bytes) -> list[list[str]]:
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


async def test_csv_of_the_checked_accounts_in_the_readers_language(gateway: Gateway) -> None:
    clients = await make_clients()
    headers = await _french(clients.tenant.admin)
    charlie, acme = clients.companies[3], clients.companies[0]
    payload = await _export(gateway, headers, kind="COMPANY", format="CSV",
                            ids=[to_base64("Account", charlie.id), str(acme.id)],
                            orderBy={"field": "NAME", "direction": "ASC"})
    assert payload["errors"] == []
    assert payload["export"]["fileName"] == "Compagnies.csv"
    assert payload["jobId"] is None
    response = await gateway.client.get(_path(payload["url"]))
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert 'filename="Compagnies.csv"' in response.headers["content-disposition"]
    rows = _csv(response.content)
    assert rows == [
        ["CID", "Entreprise", "ORGID", "Utilisateurs", "CAN", "Numéro de téléphone",
         "Facturation"],
        [str(acme.id), "acme Plomberie", str(acme.id), "3", acme.can, "+15145550101",
         "Essai gratuit"],
        [str(charlie.id), "Charlie ACME", str(acme.id), "2", charlie.can, "+15145550199",
         "Facturation suspendue"],
    ]


async def test_csv_of_everything_the_filter_matches(gateway: Gateway) -> None:
    clients = await make_clients()
    headers = await bearer_for(clients.tenant.admin)  # an English reader
    payload = await _export(gateway, headers, kind="PROFESSIONAL", format="CSV",
                            filter={"name": "acme"})
    rows = _csv((await gateway.client.get(_path(payload["url"]))).content)
    assert rows[0] == ["UID", "ORGID", "User", "Extension", "Lang", "CAN", "Phone number",
                       "Billing"]
    assert [r[2] for r in rows[1:]] == ["Dr Acme"]
    assert rows[1][3:5] == ["205", "en"] and rows[1][7] == "In production"


async def test_a_large_csv_streams_in_batches(gateway: Gateway,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    clients = await make_clients()
    tenant = clients.tenant
    await Account.bulk_create([
        Account(reseller=tenant.reseller, kind=AccountKind.COMPANY, name=f"Lot {n:04d}",
                can=f"CAN-T{n:04d}-XXXX", email=f"lot{n}@clients.test")
        for n in range(1203)
    ])
    query = listing.AccountListQuery(kind=AccountKind.COMPANY, reseller_id=tenant.reseller.id,
                                     order_field="NAME", descending=True)
    sizes = [len(batch) async for batch in listing.iter_batches(query, 500)]
    assert sizes == [500, 500, 208]  # 1,203 + the 5 active companies of make_clients

    headers = await bearer_for(tenant.admin)
    payload = await _export(gateway, headers, kind="COMPANY", format="CSV",
                            orderBy={"field": "NAME", "direction": "DESC"})
    chunks = []
    async with gateway.client.stream("GET", _path(payload["url"])) as response:
        async for chunk in response.aiter_bytes():
            chunks.append(chunk)
    rows = _csv(b"".join(chunks))
    names = [r[1] for r in rows[1:]]
    assert len(names) == 1208
    # In order across batch boundaries, no row twice, none missing.
    assert names[:1203] == [f"Lot {n:04d}" for n in range(1202, -1, -1)]
    assert names[1203:] == [tenant.company.name, "Charlie ACME", "bravo inc", "Bravo Inc",
                            "acme Plomberie"]

    # A download cut short (the client went away): the batch being read ahead is cancelled
    # and nothing keeps running.
    from plugins.clients import exports

    export = await AccountExport.filter(reseller_id=tenant.reseller.id).order_by("-id").first()
    assert export is not None
    monkeypatch.setattr(exports, "CSV_BATCH", 500)
    chunks_of = exports.csv_chunks(export)
    await anext(chunks_of)  # the header
    first = await anext(chunks_of)
    assert first.count(b"\r\n") == 500 and b"Lot 1202" in first
    await chunks_of.aclose()  # type: ignore[attr-defined]
    await asyncio.sleep(0)
    left = [t for t in asyncio.all_tasks() if "anext" in repr(t.get_coro())]
    assert left == []


async def test_a_name_cannot_become_a_spreadsheet_formula(gateway: Gateway) -> None:
    clients = await make_clients()
    evil = await add_account(clients.tenant, AccountKind.COMPANY, '=HYPERLINK("http://x")')
    payload = await _export(gateway, await bearer_for(clients.tenant.admin), kind="COMPANY",
                            format="CSV", ids=[str(evil.id)])
    rows = _csv((await gateway.client.get(_path(payload["url"]))).content)
    assert rows[1][1] == "'=HYPERLINK(\"http://x\")"


async def test_pdf_is_rendered_by_a_job_and_read_back(gateway: Gateway) -> None:
    clients = await make_clients()
    headers = await _french(clients.tenant.admin)
    payload = await _export(gateway, headers, kind="PROFESSIONAL", format="PDF",
                            filter={"status": None})
    assert payload["errors"] == []
    assert payload["jobId"] and payload["export"]["status"] in ("PENDING", "READY")
    assert payload["export"]["fileName"] == "Professionnels.pdf"
    export_id = payload["export"]["id"]

    await _ready(gateway, headers, export_id)
    response = await gateway.client.get(_path(payload["url"]))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    pages = PdfReader(io.BytesIO(response.content)).pages
    text = " ".join(" ".join(page.extract_text() for page in pages).split())
    for expected in ("Professionnels", "UID", "Utilisateur", "Poste", "Lang", "CAN",
                     "Numéro de téléphone", "Facturation", "Dr Acme", "Me Bouchard",
                     "Dre Tremblay", "205", "Essai gratuit", "En production", "+15145550300"):
        assert expected in text, expected
    state = (await gateway.graphql(STATUS, {"id": export_id}, **headers))["data"]
    assert state["accountExport"]["rowCount"] == 3


async def test_a_long_pdf_has_every_row_once_and_the_header_on_every_page(
        gateway: Gateway) -> None:
    clients = await make_clients()
    tenant = clients.tenant
    for n in range(130):
        await add_account(tenant, AccountKind.COMPANY, f"Entreprise {n:03d}",
                          phone=f"+1438555{n:04d}")
    headers = await bearer_for(tenant.admin)  # English
    payload = await _export(gateway, headers, kind="COMPANY", format="PDF",
                            filter={"status": None})
    export_id = payload["export"]["id"]

    await _ready(gateway, headers, export_id)
    response = await gateway.client.get(_path(payload["url"]))
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages]
    assert len(pages) >= 3
    for text in pages:
        assert "CAN" in text and "Phone number" in text  # the header, page after page
    everything = "\n".join(pages)
    for n in range(130):
        assert everything.count(f"Entreprise {n:03d}") == 1, n
    companies = await Account.filter(reseller_id=tenant.reseller.id,
                                     kind=AccountKind.COMPANY).count()
    state = (await gateway.graphql(STATUS, {"id": export_id}, **headers))["data"]
    assert state["accountExport"]["rowCount"] == companies


async def test_a_pdf_prints_every_script_in_an_embedded_unicode_font(gateway: Gateway) -> None:
    """Issue 21, item 7: names in Greek, Cyrillic, Turkish, Polish, with œ, ’ and € read back
    exactly, set in DejaVu Sans embedded in the file; a long name is cut to its column by the
    font's own widths; a character DejaVu lacks (Japanese) does not stop the export."""
    from plugins.clients.pdf_writer import string_width

    clients = await make_clients("Ωμέγα Τηλεπικοινωνίες")
    names = ["Σοφία Παπαδοπούλου", "Дмитрий Иванов", "Œuvre d’art — 12,50 €", "Ğüneş İnşaat",
             "Łódź", "株式会社 Tanaka"]
    long_name = "Общество с ограниченной ответственностью «Северная звезда» и партнёры"
    accounts = [await add_account(clients.tenant, AccountKind.COMPANY, name)
                for name in [*names, long_name]]
    headers = await bearer_for(clients.tenant.admin)  # English
    payload = await _export(gateway, headers, kind="COMPANY", format="PDF",
                            ids=[str(a.id) for a in accounts])
    await _ready(gateway, headers, payload["export"]["id"])
    response = await gateway.client.get(_path(payload["url"]))
    reader = PdfReader(io.BytesIO(response.content), strict=True)
    text = reader.pages[0].extract_text()
    assert "Companies — Ωμέγα Τηλεπικοινωνίες" in text.splitlines()[0]  # the bold title
    for name in names[:-1]:
        assert name in text, name
    assert "\ufffd\ufffd\ufffd\ufffd Tanaka" in text  # no glyph: .notdef, read back as U+FFFD
    room = 217 - 4  # the companies' name column, less its padding
    cut = next(line for line in text.splitlines() if "Общество" in line)
    cut = cut[cut.index("Общество"):cut.index("…") + 1]
    assert long_name.startswith(cut[:-1]) and len(cut) < len(long_name)
    assert room - 6 < string_width(cut, "DejaVuSans", 9) <= room  # filled, not overflowing
    # The fonts: DejaVu Sans and its bold, embedded (a subset: "ABCDEF+DejaVuSans").
    fonts = reader.pages[0]["/Resources"]["/Font"]
    names_of_fonts = set()
    for key in fonts:
        font = fonts[key].get_object()
        names_of_fonts.add(str(font["/BaseFont"]).split("+")[1])
        descriptor = font["/DescendantFonts"][0]["/FontDescriptor"]
        assert len(descriptor["/FontFile2"].get_data()) > 1000
    assert names_of_fonts == {"DejaVuSans", "DejaVuSans-Bold"}
    assert b"/FontFile2" in response.content and b"Helvetica" not in response.content


async def test_pdf_answers_202_until_ready(gateway: Gateway) -> None:
    clients = await make_clients()
    # Not enqueued through the mutation: the row alone, as it is before its job runs.
    export = await AccountExport.create(reseller=clients.tenant.reseller, kind="COMPANY",
                                        format="PDF", language="en",
                                        request={"kind": "COMPANY"})
    from plugins.clients.exports import download_url

    url = download_url(gateway.app.state.host, export)
    pending = await gateway.client.get(_path(url))
    assert pending.status_code == 202
    assert pending.headers["retry-after"] == "2"
    assert pending.json()["status"] == "PENDING"
    await AccountExport.filter(id=export.id).update(status=ExportStatus.FAILED)
    failed = await gateway.client.get(_path(url))
    assert failed.status_code == 500 and failed.json()["status"] == "FAILED"


class _LongAgo(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(time.time()) - 3600


async def test_the_url_is_signed_short_lived_and_names_its_reseller(gateway: Gateway) -> None:
    alpha = await make_clients("Alpha")
    beta = await make_clients("Beta")
    payload = await _export(gateway, await bearer_for(alpha.tenant.admin), kind="COMPANY",
                            format="CSV")
    url = _path(payload["url"])
    assert (await gateway.client.get(url)).status_code == 200
    token = url.rsplit("/", 1)[1]
    tampered = ("A" if token[0] != "A" else "B") + token[1:]
    assert (await gateway.client.get(f"/clients/exports/{tampered}")).status_code == 404
    secret = gateway.app.state.settings.secret_key
    export = await AccountExport.get(id=int(GlobalID.from_id(payload["export"]["id"]).node_id))
    # A token for this export but another reseller (as if the client changed it): refused.
    forged = URLSafeTimedSerializer("not-the-secret", salt="clients.account-export").dumps(
        {"e": export.id, "r": beta.tenant.reseller.id})
    assert (await gateway.client.get(f"/clients/exports/{forged}")).status_code == 404
    mismatched = URLSafeTimedSerializer(secret, salt="clients.account-export").dumps(
        {"e": export.id, "r": beta.tenant.reseller.id})
    assert (await gateway.client.get(f"/clients/exports/{mismatched}")).status_code == 404
    old = URLSafeTimedSerializer(secret, salt="clients.account-export", signer=_LongAgo).dumps(
        {"e": export.id, "r": alpha.tenant.reseller.id})
    expired = await gateway.client.get(f"/clients/exports/{old}")
    assert expired.status_code == 410 and expired.json()["status"] == "EXPIRED"
    # The export holds alpha's request: beta cannot read its state either.
    other = await gateway.graphql(STATUS, {"id": payload["export"]["id"]},
                                  **await bearer_for(beta.tenant.admin))
    assert other["data"]["accountExport"] is None
    node = "query($id: ID!) { node(id: $id) { ... on AccountExport { fileName } } }"
    for admin, expected in ((alpha.tenant.admin, {"fileName": "Compagnies.csv"}),
                            (beta.tenant.admin, None)):
        seen = await gateway.graphql(node, {"id": payload["export"]["id"]},
                                     **await bearer_for(admin))
        assert seen["data"]["node"] == expected
    # Checked ids of another reseller are not found; a professional is not a company.
    leak = await _export(gateway, await bearer_for(beta.tenant.admin), kind="COMPANY",
                         format="CSV", ids=[str(beta.tenant.company.id),
                                            str(alpha.tenant.company.id),
                                            str(beta.tenant.professional_account.id)])
    assert [(e["code"], e["field"]) for e in leak["errors"]] == [
        ("NOT_FOUND", ["input", "ids", "1"]), ("INVALID", ["input", "ids", "2"])]
    assert leak["url"] is None


@pytest.fixture
async def small_pdf_gateway(migrated: str, tmp_path: Path) -> AsyncIterator[Gateway]:
    settings = make_settings(migrated, tmp_path)
    async for running in start_gateway(settings, host=clients_host(settings, pdf_max_rows=3),
                                       job_options=JOB_OPTIONS):
        yield running


async def test_a_pdf_too_long_is_refused(small_pdf_gateway: Gateway) -> None:
    clients = await make_clients()
    payload = await _export(small_pdf_gateway, await bearer_for(clients.tenant.admin),
                            kind="COMPANY", format="PDF")
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("TOO_MANY_ROWS", ["input", "format"])]
    assert "CSV" in payload["errors"][0]["message"]
    assert not await AccountExport.all().exists()


async def test_a_formula_after_blanks_or_a_line_break_stays_text(gateway: Gateway) -> None:
    """Issue 15, item 13: leading spaces, tabs and line breaks do not hide a formula."""
    clients = await make_clients()
    names = [" =1+1", "\n=HYPERLINK(\"http://x\")", " \t@SUM(A1)", "Plain name"]
    accounts = [await add_account(clients.tenant, AccountKind.COMPANY, name) for name in names]
    payload = await _export(gateway, await bearer_for(clients.tenant.admin), kind="COMPANY",
                            format="CSV", ids=[str(a.id) for a in accounts])
    rows = _csv((await gateway.client.get(_path(payload["url"]))).content)
    assert sorted(r[1] for r in rows[1:]) == sorted(
        ["' =1+1", "'\n=HYPERLINK(\"http://x\")", "' \t@SUM(A1)", "Plain name"])


async def test_a_csv_url_is_written_once_then_served_and_rate_limited(gateway: Gateway) -> None:
    """Issue 15, item 3: the CSV of a signed URL is written once and replays are served from
    that file (an account added since does not appear); past 20 downloads of the URL, 429."""
    clients = await make_clients()
    headers = await bearer_for(clients.tenant.admin)
    payload = await _export(gateway, headers, kind="COMPANY", format="CSV")
    url = _path(payload["url"])
    first = await gateway.client.get(url)
    assert first.status_code == 200
    assert first.headers["content-disposition"] == 'attachment; filename="Compagnies.csv"'
    # Item 12: a file from user data is never sniffed nor run as a page.
    assert first.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in first.headers["content-security-policy"]
    await add_account(clients.tenant, AccountKind.COMPANY, "Added afterwards")
    again = await gateway.client.get(url)
    assert again.content == first.content
    statuses = [(await gateway.client.get(url)).status_code for _ in range(19)]
    assert statuses.count(429) == 1 and statuses[-1] == 429
    limited = await gateway.client.get(url)
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    assert limited.json()["status"] == "RATE_LIMITED"


def test_a_pdf_cell_is_one_line_and_cut_to_its_column() -> None:
    from plugins.clients import exports
    from plugins.clients.pdf_writer import string_width

    fit, _FONT, _SIZE = exports._PdfPages._fit, exports._FONT, exports._SIZE
    assert fit("Alpha  Beta\tGamma\nDelta ", 500, _FONT, _SIZE) == "Alpha Beta Gamma Delta"
    assert fit(" Plain name ", 500, _FONT, _SIZE) == "Plain name"
    assert fit("1\u202f000\u2007$", 500, _FONT, _SIZE) == "1 000 $"
    cut = fit("Société de gestion immobilière du Grand Montréal", 100, _FONT, _SIZE)
    assert cut.endswith("\u2026") and string_width(cut, _FONT, _SIZE) <= 100
    assert "Société de gestion".startswith(cut[:-1]) or cut[:-1].startswith("Société")


def test_a_cell_cut_without_measuring_is_cut_as_measuring_would() -> None:
    """Short Latin text skips measuring (it fits whatever its letters): for every kind of
    text and room, the cell is what measuring it alone gives."""
    import random

    from plugins.clients import exports
    from plugins.clients.pdf_writer import string_width

    def measured(text: str, room: float, font: str, size: float) -> str:
        text = " ".join(text.translate(exports._SPACES).split())
        if string_width(text, font, size) <= room:
            return text
        while text and string_width(text + "\u2026", font, size) > room:
            text = text[:-1]
        return text + "\u2026"

    rng = random.Random(5)
    alphabets = ["0123456789", "0123456789 +-()", "abcdefghij klmnop", "WMŒœ@%mw",
                 "éèàçÉÈÀÇ ôûî", "".join(map(chr, range(32, 0x180))), "αβγ中\x01 a"]
    skipped = 0
    for _ in range(3000):
        alphabet = rng.choice(alphabets)
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        room, font = rng.choice([30, 56, 91, 213]), rng.choice([exports._FONT, exports._BOLD])
        size = rng.choice([7.0, 9.0, 14.0])
        assert exports._PdfPages._fit(text, room, font, size) == measured(text, room, font, size)
        skipped += string_width(text.strip(), font, size) <= room
    assert skipped > 500  # the shortcut's cases were among them
