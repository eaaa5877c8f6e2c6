"""Exports of the accounts lists (seeds, "Exporter une liste de comptes"): CSV and PDF with the
list's columns, headers in the reader's language, behind short-lived signed download URLs.

The export's request (kind, ids or filter, order) is kept in a row; the URL carries that row's
id and the reseller, signed with ``SECRET_KEY`` (itsdangerous) and dated, so the download route
trusts the signature, never the client. A CSV is written on its URL's first download, in
keyset batches formatted in a worker thread, to a file served again to every replay of that
URL (``gateway.api.FileCache``); a PDF is drawn by a job (DESIGN: never in the request), page
by page as the batches arrive, and the same URL answers 202 until the file is ready. Neither
holds the whole list in memory (``python -m bench.exports`` measures it).
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import dataclasses
import datetime as dt
import io
import logging
import os
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from operator import itemgetter
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from gateway.api import (
    STAFF,
    AccountKind,
    BadSignature,
    FileCache,
    OutboxJob,
    PluginHost,
    Principal,
    Problem,
    Reseller,
    Role,
    SignatureExpired,
    Text,
    accounts_visible,
    current_host,
    download_throttled,
    enqueue,
    in_thread,
    negotiate,
    raise_all,
    safe_cell,
    safe_file_headers,
    sign,
    unsign,
)
from plugins.clients import errors as e
from plugins.clients import listing
from plugins.clients.config import PLUGIN_NAME, ClientsConfig
from plugins.clients.errors import ClientsErrorCode as Code
from plugins.clients.models import AccountExport, ExportFormat, ExportStatus
from plugins.clients.pdf_writer import (
    LATIN_END,
    Columns,
    string_width,
    surely_fitting,
)

log = logging.getLogger("gateway.clients")

PDF_JOB = "clients.export_pdf"
ROUTE_PATH = "/clients/exports/{token}"
_SALT = "clients.account-export"
CSV_BATCH = 2000
# The account columns the exports print (``_values``): the rest is not read.
EXPORTED_COLUMNS = ("id", "name", "organization_id", "can", "receptionist_number", "language",
                    "billing_status")
# The most accounts one can check and export at once.
MAX_SELECTED = 1000

# The seed's columns, in its order, per tab.
COLUMNS: dict[AccountKind, tuple[str, ...]] = {
    AccountKind.COMPANY: ("ACCOUNT_NUMBER", "NAME", "ORG_ID", "USER_COUNT", "CAN",
                          "PHONE_NUMBER", "BILLING_STATUS"),
    AccountKind.PROFESSIONAL: ("ACCOUNT_NUMBER", "ORG_ID", "NAME", "EXTENSION", "LANGUAGE",
                               "CAN", "PHONE_NUMBER", "BILLING_STATUS"),
}
HEADERS: dict[AccountKind, dict[str, Text]] = {
    AccountKind.COMPANY: {
        "ACCOUNT_NUMBER": Text(en="CID", fr="CID"),
        "NAME": Text(en="Company", fr="Entreprise"),
        "ORG_ID": Text(en="ORGID", fr="ORGID"),
        "USER_COUNT": Text(en="Users", fr="Utilisateurs"),
        "CAN": Text(en="CAN", fr="CAN"),
        "PHONE_NUMBER": Text(en="Phone number", fr="Numéro de téléphone"),
        "BILLING_STATUS": Text(en="Billing", fr="Facturation"),
    },
    AccountKind.PROFESSIONAL: {
        "ACCOUNT_NUMBER": Text(en="UID", fr="UID"),
        "ORG_ID": Text(en="ORGID", fr="ORGID"),
        "NAME": Text(en="User", fr="Utilisateur"),
        "EXTENSION": Text(en="Extension", fr="Poste"),
        "LANGUAGE": Text(en="Lang", fr="Lang"),
        "CAN": Text(en="CAN", fr="CAN"),
        "PHONE_NUMBER": Text(en="Phone number", fr="Numéro de téléphone"),
        "BILLING_STATUS": Text(en="Billing", fr="Facturation"),
    },
}
FILE_STEM = {AccountKind.COMPANY: "Compagnies", AccountKind.PROFESSIONAL: "Professionnels"}
TITLE = {AccountKind.COMPANY: Text(en="Companies", fr="Compagnies"),
         AccountKind.PROFESSIONAL: Text(en="Professionals", fr="Professionnels")}


def file_name(export: AccountExport) -> str:
    return f"{FILE_STEM[AccountKind(export.kind)]}.{str(export.format).lower()}"


def exports_visible(principal: Principal | None) -> QuerySet[AccountExport]:
    """Exports the caller may see: their reseller's (all for system admins), to the staff
    who make them, never from inside an account (direct access)."""
    if principal is None or principal.role not in STAFF or principal.direct_access:
        return AccountExport.filter(id=-1)
    if principal.role == Role.SYSTEM_ADMIN:
        return AccountExport.all()
    return AccountExport.filter(reseller_id=principal.reseller_id or -1)


def download_url(host: PluginHost, export: AccountExport) -> str:
    """A fresh signed URL for the export; it works ``download_url_minutes``."""
    token = sign(host.settings.secret_key, _SALT, {"e": export.id, "r": export.reseller_id})
    return f"{host.settings.public_url.rstrip('/')}{ROUTE_PATH.format(token=token)}"


def exports_dir(host: PluginHost) -> Path:
    return Path(host.settings.var_dir) / "exports"


def pdf_path(host: PluginHost, export_id: int) -> Path:
    return exports_dir(host) / f"account-export-{export_id}.pdf"


async def request_export(
    principal: Principal,
    query: listing.AccountListQuery,
    export_format: ExportFormat,
    *,
    language: str,
    host: PluginHost,
    config: ClientsConfig,
) -> AccountExport:
    """Record an export of what ``query`` selects; a PDF's rendering job is enqueued in the
    same transaction. Checked accounts (``query.ids``) must all be the caller's and of the
    tab's kind. A PDF above ``pdf_max_rows`` rows is refused (CSV has no limit)."""
    if query.ids is not None:
        await check_selected(principal, query.kind, query.ids)
    if export_format == ExportFormat.PDF:
        matching = await listing.count(query)
        if matching > config.pdf_max_rows:
            raise Problem(Code.TOO_MANY_ROWS, e.TOO_MANY_ROWS, ["input", "format"],
                          max=config.pdf_max_rows, count=matching)
    async with in_transaction():
        export = await AccountExport.create(
            reseller_id=query.reseller_id,
            requested_by_id=principal.user_id if not principal.direct_access else None,
            kind=query.kind, format=export_format, language=language,
            request=query.to_json(),
            status=ExportStatus.READY if export_format == ExportFormat.CSV
            else ExportStatus.PENDING,
            ready_at=_now() if export_format == ExportFormat.CSV else None,
        )
        if export_format == ExportFormat.PDF:
            job = await enqueue(PDF_JOB, {"export_id": export.id})
            assert job is not None
            export.outbox_job_id = job.id
            await export.save(update_fields=["outbox_job_id"])
    return export


async def check_selected(principal: Principal, kind: AccountKind, ids: tuple[int, ...]
                         ) -> None:
    """Checked accounts are the caller's, of the tab's kind; others are named, not skipped."""
    found = {row["id"]: row["kind"] for row in await accounts_visible(principal).filter(
        id__in=list(ids)).values("id", "kind")}
    raise_all([
        Problem(Code.NOT_FOUND, e.NOT_FOUND, ["input", "ids", i])
        if account_id not in found else
        Problem(Code.INVALID, e.WRONG_KIND, ["input", "ids", i])
        for i, account_id in enumerate(ids)
        if found.get(account_id) != kind
    ])


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _query_of(export: AccountExport) -> listing.AccountListQuery:
    """The export's query, for its own reseller whatever the stored request says."""
    return dataclasses.replace(
        listing.AccountListQuery.from_json(export.request),
        reseller_id=export.reseller_id,
        kind=AccountKind(export.kind),
    )


def _values(column: str, language: str) -> Callable[[dict[str, Any]], Any]:
    """How a column's value is read from a listing row (ints stay ints: csv writes them)."""
    if column == "ACCOUNT_NUMBER":
        return itemgetter("id")
    if column == "NAME":
        return itemgetter("name")
    if column == "ORG_ID":
        return lambda row: row["organization_id"] or row["id"]
    if column == "USER_COUNT":
        return itemgetter("user_count")
    if column == "CAN":
        return itemgetter("can")
    if column == "PHONE_NUMBER":  # the virtual receptionist's number
        return lambda row: row["receptionist_number"] or ""
    if column == "LANGUAGE":
        return itemgetter("language")
    if column == "EXTENSION":
        return lambda row: row["extension"] or ""
    if column == "BILLING_STATUS":
        labels = {status: e.status_label(status, language) for status in e.STATUS_LABELS}
        return lambda row: labels.get(str(row["billing_status"]), str(row["billing_status"]))
    raise KeyError(column)


def _spreadsheet_safe(value: str) -> str:
    # A name typed as "=HYPERLINK(...)" must stay text in a spreadsheet (CSV injection).
    return str(safe_cell(value))


async def _prefetched(batches: AsyncGenerator[list[dict[str, Any]], None]
                      ) -> AsyncGenerator[list[dict[str, Any]], None]:
    """The batches, the next one read while the caller works on the current one."""
    pending: asyncio.Future[list[dict[str, Any]] | None] = asyncio.ensure_future(
        anext(batches, None))
    try:
        while (batch := await pending) is not None:
            pending = asyncio.ensure_future(anext(batches, None))
            yield batch
    finally:
        if not pending.done():
            pending.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pending
        await batches.aclose()


async def csv_chunks(export: AccountExport) -> AsyncIterator[bytes]:
    """The CSV file, a batch of rows at a time (UTF-8 with a BOM, so spreadsheets read the
    accents); the next batch is read while this one is formatted in a worker thread."""
    kind = AccountKind(export.kind)
    columns = COLUMNS[kind]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([HEADERS[kind][c].render(export.language) for c in columns])
    yield ("\ufeff" + buffer.getvalue()).encode("utf-8")
    values = [_values(c, export.language) for c in columns]
    name = columns.index("NAME")
    batches = listing.iter_batches(_query_of(export), CSV_BATCH, EXPORTED_COLUMNS, raw=True)
    async with contextlib.aclosing(_prefetched(batches)) as prefetched:
        async for batch in prefetched:
            # Formatting rows is CPU work: a worker thread, not the event loop.
            yield await in_thread(_csv_batch, batch, values, name)


def _csv_batch(batch: list[dict[str, Any]], values: list[Callable[[dict[str, Any]], Any]],
               name: int) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in batch:
        cells = [value(row) for value in values]
        cells[name] = _spreadsheet_safe(cells[name])
        writer.writerow(cells)
    return buffer.getvalue().encode("utf-8")


# The PDF's page: US letter, landscape, 1.5 cm margins; 9 pt rows under a bold header that
# every page repeats. Column widths (points) share the 707 pt between the margins.
_PAGE_WIDTH, _PAGE_HEIGHT = 792.0, 612.0
_MARGIN = 42.5
# DejaVu Sans (pdf_writer.FONTS): every script DejaVu has prints, embedded in the file.
_FONT, _BOLD, _SIZE, _LEADING = "DejaVuSans", "DejaVuSans-Bold", 9.0, 12.0
_WIDTHS: dict[AccountKind, tuple[float, ...]] = {
    AccountKind.COMPANY: (60, 217, 60, 68, 95, 95, 112),
    AccountKind.PROFESSIONAL: (60, 60, 195, 55, 35, 95, 95, 112),
}
_ELLIPSIS = "\u2026"
# Cells kept as fitted per column (memory stays flat: the first ones only).
_FITTED_PER_COLUMN = 1024
# Narrow no-break spaces (French thousands separator): plain no-break ones, as gateway.pdf does
# (the same line-breaking rule, measured the same in every viewer).
_SPACES = str.maketrans({"\u202f": "\u00a0", "\u2007": "\u00a0"})


class _PdfPages:
    """The export's PDF drawn page by page as rows arrive, each page written to the file as it
    ends (``pdf_writer.StreamingCanvas``), so memory stays flat whatever the length, where
    xhtml2pdf held the whole table's layout (~40 KB and ~6 ms of CPU a row)."""

    def __init__(self, path: Path, kind: AccountKind, language: str, title: str,
                 subtitle: str) -> None:
        from plugins.clients.pdf_writer import StreamingCanvas

        self.kind, self.language = kind, language
        self.columns = COLUMNS[kind]
        self.values = [_values(c, language) for c in self.columns]
        widths = _WIDTHS[kind]
        self.x = [_MARGIN + sum(widths[:i]) for i in range(len(widths))]
        self.room = [w - 4 for w in widths]  # 2 pt of padding on each side
        self.origins = Columns([x + 2 for x in self.x])
        # Each column's cells as fitted, for values that come back (statuses, languages...).
        self.fitted: list[dict[str, str]] = [{} for _ in self.columns]
        self.canvas = StreamingCanvas(path, pagesize=(_PAGE_WIDTH, _PAGE_HEIGHT))
        self.canvas.setTitle(title)
        self.canvas.setAuthor("Gateway")
        self.title, self.subtitle = title, subtitle
        self.page = 0
        self.y = 0.0
        self.text: Any = None
        self.rows = 0
        self._new_page()

    def _new_page(self) -> None:
        canvas = self.canvas
        if self.page:
            self._end_page()
        self.page += 1
        top = _PAGE_HEIGHT - _MARGIN
        if self.page == 1:
            canvas.setFont(_BOLD, 14)
            canvas.drawString(_MARGIN, top - 14, self._fit(self.title, _PAGE_WIDTH - 2 * _MARGIN,
                                                            _BOLD, 14))
            canvas.setFont(_FONT, _SIZE)
            canvas.drawString(_MARGIN, top - 32, self.subtitle)
            top -= 48
        canvas.setFont(_BOLD, _SIZE)
        labels = [self._wrap(HEADERS[self.kind][column].render(self.language), self.room[i])
                  for i, column in enumerate(self.columns)]
        for i, lines in enumerate(labels):
            for n, line in enumerate(lines):
                canvas.drawString(self.x[i] + 2, top - _SIZE - n * _LEADING, line)
        bottom = top - _SIZE - (max(len(lines) for lines in labels) - 1) * _LEADING - 3
        canvas.setLineWidth(0.5)
        canvas.line(_MARGIN, bottom, _PAGE_WIDTH - _MARGIN, bottom)
        canvas.setFont(_FONT, 7)
        canvas.drawRightString(_PAGE_WIDTH - _MARGIN, _MARGIN / 2, str(self.page))
        self.text = canvas.beginText()
        self.text.setFont(_FONT, _SIZE)
        self.y = bottom - _LEADING

    def _end_page(self) -> None:
        self.canvas.drawText(self.text)
        self.canvas.showPage()

    def _cell(self, column: int, text: str) -> str:
        fitted = self.fitted[column]
        cell = fitted.get(text)
        if cell is None:
            cell = self._fit(text, self.room[column], _FONT, _SIZE)
            if len(fitted) < _FITTED_PER_COLUMN:
                fitted[text] = cell
        return cell

    @staticmethod
    def _fit(text: str, room: float, font: str, size: float) -> str:
        if not text.isprintable() or "  " in text or not text.isascii():
            text = " ".join(text.translate(_SPACES).split())  # one line: no tab, no newline
        else:
            text = text.strip()
        if not text:
            return text
        highest = max(text)
        if highest <= LATIN_END and len(text) <= surely_fitting(font, size, room, min(text),
                                                                highest):
            return text  # fits, whatever its letters' widths
        if string_width(text, font, size) <= room:
            return text
        while text and string_width(text + _ELLIPSIS, font, size) > room:
            text = text[:-1]
        return text + _ELLIPSIS

    @classmethod
    def _wrap(cls, text: str, room: float) -> list[str]:
        """A header on as many lines as its words need (headers are never cut)."""
        lines: list[str] = []
        for word in text.split():
            if lines and string_width(f"{lines[-1]} {word}", _BOLD, _SIZE) <= room:
                lines[-1] = f"{lines[-1]} {word}"
            else:
                lines.append(cls._fit(word, room, _BOLD, _SIZE))
        return lines or [""]

    def add(self, cells: list[str]) -> None:
        if self.y < _MARGIN:
            self._new_page()
        self.text.row(self.origins, self.y,
                      [self._cell(i, cell) for i, cell in enumerate(cells)])
        self.y -= _LEADING
        self.rows += 1

    def add_batch(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            self.add([str(value(row)) for value in self.values])

    def finish(self) -> None:
        self._end_page()
        self.canvas.save()


async def write_pdf(export: AccountExport, path: Path) -> int:
    """Write the export's PDF to ``path`` (a title, the date and the number of accounts, then
    the list's columns, the header repeated on every page); returns the number of rows.
    Rows come in keyset batches; drawing runs in a thread, so the job's loop stays free."""
    kind = AccountKind(export.kind)
    language = export.language
    query = _query_of(export)
    reseller = (await Reseller.get(id=export.reseller_id)).name if export.reseller_id else ""
    title = TITLE[kind].render(language) + (f" — {reseller}" if reseller else "")
    date = export.created_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    total = Text(en="{n} accounts", fr="{n} comptes").render(
        language, n=await listing.count(query))
    pages = await asyncio.to_thread(_PdfPages, path, kind, language, title, f"{date} · {total}")
    batches = listing.iter_batches(query, CSV_BATCH, EXPORTED_COLUMNS, raw=True)
    async with contextlib.aclosing(_prefetched(batches)) as prefetched:
        async for batch in prefetched:
            await asyncio.to_thread(pages.add_batch, batch)
    await asyncio.to_thread(pages.finish)
    return pages.rows


async def render_export_pdf(payload: dict[str, Any]) -> None:
    """The ``clients.export_pdf`` job: render the PDF to a file, then mark the export ready.
    A last failed attempt marks it failed, so the client stops waiting."""
    host = current_host()
    assert host is not None, "jobs run in a started gateway"
    export = await AccountExport.get_or_none(id=payload["export_id"])
    if export is None or export.status == ExportStatus.READY:
        return  # gone, or a redelivery of a finished job
    path = pdf_path(host, export.id)
    temporary = path.with_suffix(".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        row_count = await write_pdf(export, temporary)
        os.replace(temporary, path)
        await AccountExport.filter(id=export.id).update(
            status=ExportStatus.READY, file_size=path.stat().st_size, ready_at=_now(),
            error=None, row_count=row_count,
        )
    except Exception as exc:
        temporary.unlink(missing_ok=True)
        job = await OutboxJob.get_or_none(id=payload.get("outbox_id"))
        if job is None or job.attempts >= job.max_attempts:
            await AccountExport.filter(id=export.id).update(
                status=ExportStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:500])
        raise


async def cleanup_exports(payload: dict[str, Any]) -> None:
    """The ``clients.cleanup_exports`` job: exports older than ``export_retention_hours`` go,
    with their files."""
    host = current_host()
    assert host is not None, "jobs run in a started gateway"
    config = host.config_for(PLUGIN_NAME, ClientsConfig)
    cutoff = _now() - dt.timedelta(hours=config.export_retention_hours)
    old = [row["id"] for row in await AccountExport.filter(created_at__lt=cutoff).values("id")]
    for export_id in old:
        pdf_path(host, export_id).unlink(missing_ok=True)
    await AccountExport.filter(id__in=old).delete()


_GONE = Text(en="This download link has expired: export again.",
             fr="Ce lien de téléchargement est expiré : exportez de nouveau.")
_UNKNOWN = Text(en="No such export.", fr="Cet export n'existe pas.")
_PENDING = Text(en="The file is being prepared; try again in a few seconds.",
                fr="Le fichier est en préparation; réessayez dans quelques secondes.")
_FAILED = Text(en="The file could not be prepared: export again.",
               fr="Le fichier n'a pas pu être préparé : exportez de nouveau.")


def _language(request: Request) -> str:
    return negotiate(request.headers.get("accept-language"))


def _answer(request: Request, status: int, text: Text, state: str, **headers: str) -> Response:
    return JSONResponse({"status": state, "message": text.render(_language(request))},
                        status_code=status, headers={"Cache-Control": "no-store", **headers})


_SLOW_DOWN = Text(en="Too many downloads: try again in a moment.",
                  fr="Trop de téléchargements : réessayez dans un moment.")
_csv_caches: dict[Path, FileCache] = {}


def csv_cache(host: PluginHost, config: ClientsConfig) -> FileCache:
    """CSV files, one per signed URL, written once and kept as long as the URL works."""
    folder = exports_dir(host) / "csv"
    cache = _csv_caches.get(folder)
    if cache is None:
        cache = _csv_caches[folder] = FileCache(
            folder, dt.timedelta(minutes=config.download_url_minutes))
    return cache


async def download(request: Request) -> Response:
    """GET /clients/exports/{token}: the export the signed token names, as a file. A CSV is
    written once per URL (rows formatted in a worker thread) and served again from disk while
    the URL works; too many downloads of one URL or from one address answer 429."""
    host: PluginHost = request.app.state.host
    config = host.config_for(PLUGIN_NAME, ClientsConfig)
    try:
        data = unsign(host.settings.secret_key, _SALT, request.path_params["token"],
                      config.download_url_minutes * 60)
    except SignatureExpired:
        return _answer(request, 410, _GONE, "EXPIRED")
    except BadSignature:
        return _answer(request, 404, _UNKNOWN, "NOT_FOUND")
    export = await AccountExport.get_or_none(id=data.get("e"))
    if export is None or export.reseller_id != data.get("r"):
        return _answer(request, 404, _UNKNOWN, "NOT_FOUND")
    token = request.path_params["token"]
    wait = await download_throttled(request, "clients.export", token, lifetime=dt.timedelta(
        minutes=config.download_url_minutes))
    if wait is not None:
        return _answer(request, 429, _SLOW_DOWN, "RATE_LIMITED", **{"Retry-After": str(wait)})
    disposition = f'attachment; filename="{file_name(export)}"'
    if export.format == ExportFormat.CSV:

        async def build() -> tuple[str, str, AsyncIterator[bytes]]:
            return file_name(export), "text/csv; charset=utf-8", csv_chunks(export)

        cached = await csv_cache(host, config).get_or_build(token, build)
        return FileResponse(cached.path, media_type=cached.content_type,
                            headers=safe_file_headers(**{"Content-Disposition": disposition,
                                                         "Cache-Control": "no-store"}))
    if export.status == ExportStatus.PENDING:
        return _answer(request, 202, _PENDING, "PENDING", **{"Retry-After": "2"})
    path = pdf_path(host, export.id)
    if export.status == ExportStatus.FAILED or not path.exists():
        return _answer(request, 500, _FAILED, "FAILED")
    return FileResponse(path, media_type="application/pdf",
                        headers=safe_file_headers(**{"Content-Disposition": disposition,
                                                     "Cache-Control": "no-store"}))


def routes() -> list[Route]:
    return [Route(ROUTE_PATH, download, methods=["GET"])]
