"""Files of the cycle side behind short-lived signed URLs (issue 16): the billing history and a
reseller's roll-up as CSV or XLSX, a statement as PDF. The caller's right is checked when the
URL is issued (a query); the URL is the capability, built once (off the event loop), kept as
long as it works, and rate-limited."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from gateway.api import (
    BadSignature,
    FileCache,
    PluginHost,
    Reseller,
    SignatureExpired,
    Text,
    download_throttled,
    in_thread,
    negotiate,
    safe_cell,
    safe_file_headers,
    sign,
    unsign,
)

from .history import history
from .ledger_models import Statement
from .rollup import rollup
from .statements import render_statement

SALT = "billing.file"
LIFETIME = dt.timedelta(minutes=15)
PATH = "/billing/files"
FORMATS = {"CSV": ("text/csv; charset=utf-8", "csv"),
           "XLSX": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
           "PDF": ("application/pdf", "pdf")}
_GONE = Text(en="This link has expired: ask for a new one.",
             fr="Ce lien a expiré : demandez-en un nouveau.")
_NOT_FOUND = Text(en="Not found.", fr="Introuvable.")
_SLOW_DOWN = Text(en="Too many downloads: try again in a moment.",
                  fr="Trop de téléchargements : réessayez dans un moment.")

HISTORY_HEADERS = [Text(en="Date", fr="Date"), Text(en="Description", fr="Description"),
                   Text(en="Amount", fr="Montant"), Text(en="Currency", fr="Devise"),
                   Text(en="Balance", fr="Solde")]
ROLLUP_HEADERS = [Text(en="Account number", fr="Numéro de compte client"),
                  Text(en="Client", fr="Client"), Text(en="Billing number", fr="Numéro de "
                                                         "facturation"),
                  Text(en="Statement", fr="Relevé"), Text(en="Retail", fr="Prix de détail"),
                  Text(en="Wholesale", fr="Prix de gros"), Text(en="Net", fr="Net")]


def file_url(host: PluginHost, kind: str, subject: int, file_format: str, language: str,
             cycle: dt.date | None = None) -> str:
    """A signed URL of ``kind`` (HISTORY: an account; ROLLUP: a reseller and cycle; STATEMENT:
    a statement) for a caller already allowed to see it."""
    token = sign(host.settings.secret_key, SALT, {
        "k": kind, "s": subject, "f": file_format, "l": language,
        "c": cycle.isoformat() if cycle else None})
    return f"{host.settings.public_url.rstrip('/')}{PATH}/{token}"


def _table_bytes(file_format: str, headers: list[str], rows: Sequence[Sequence[Any]]) -> bytes:
    if file_format == "CSV":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(headers)
        writer.writerows([[safe_cell(cell) for cell in row] for row in rows])
        return ("\ufeff" + out.getvalue()).encode("utf-8")
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(headers)
    for row in rows:
        sheet.append([safe_cell(cell) for cell in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def build_file(kind: str, subject: int, file_format: str, language: str,
                     cycle: str | None) -> tuple[str, str, bytes]:
    """(file name, content type, bytes) of what a token names."""
    content_type, extension = FORMATS[file_format]
    if kind == "STATEMENT":
        statement = await Statement.get(id=subject)
        rendered = await render_statement(statement)
        return rendered.filename, content_type, rendered.data
    if kind == "HISTORY":
        lines, _ = await history(subject, language)
        rows = [[line.date.isoformat(), line.description, line.amount, line.currency,
                 line.balance] for line in lines]
        body = await in_thread(_table_bytes, file_format,
                               [h.render(language) for h in HISTORY_HEADERS], rows)
        return f"billing-history-{subject}.{extension}", content_type, body
    reseller = await Reseller.get(id=subject)
    assert cycle is not None
    summary = await rollup(reseller, dt.date.fromisoformat(cycle))
    rows = [[c.account_id, c.name, c.can, c.statement_number, c.retail, c.wholesale, c.net]
            for c in summary.clients]
    body = await in_thread(_table_bytes, file_format,
                           [h.render(language) for h in ROLLUP_HEADERS], rows)
    return f"billing-rollup-{reseller.can}-{cycle}.{extension}", content_type, body


_caches: dict[Path, FileCache] = {}


def _cache(host: PluginHost) -> FileCache:
    folder = Path(host.settings.var_dir) / "billing-files"
    cache = _caches.get(folder)
    if cache is None:
        cache = _caches[folder] = FileCache(folder, LIFETIME)
    return cache


def _answer(request: Request, status: int, text: Text, state: str) -> Response:
    language = negotiate(request.headers.get("accept-language"))
    return JSONResponse({"status": state, "message": text.render(language)}, status_code=status,
                        headers={"Cache-Control": "no-store"})


async def download(request: Request) -> Response:
    """GET /billing/files/{token}: the file the signed token names."""
    host: PluginHost = request.app.state.host
    token = request.path_params["token"]
    try:
        data = unsign(host.settings.secret_key, SALT, token, int(LIFETIME.total_seconds()))
    except SignatureExpired:
        return _answer(request, 410, _GONE, "EXPIRED")
    except BadSignature:
        return _answer(request, 404, _NOT_FOUND, "NOT_FOUND")
    wait = await download_throttled(request, "billing.file", token, lifetime=LIFETIME)
    if wait is not None:
        response = _answer(request, 429, _SLOW_DOWN, "RATE_LIMITED")
        response.headers["Retry-After"] = str(wait)
        return response

    async def build() -> tuple[str, str, bytes]:
        return await build_file(data["k"], data["s"], data["f"], data["l"], data.get("c"))

    cached = await _cache(host).get_or_build(token, build)
    return FileResponse(cached.path, media_type=cached.content_type, filename=cached.name,
                        headers=safe_file_headers(**{"Cache-Control": "no-store"}))


def routes() -> list[BaseRoute]:
    return [Route(PATH + "/{token}", download, methods=["GET"])]
