"""Files of the call-center reports, behind short-lived signed URLs (``gateway.signing``):
recordings (streamed with HTTP Range, so players can seek), the reports as CSV or XLSX
("Ouvrir dans Excel"), and the HTTP upload of the platform's records for integrators.

A report's URL carries the report, its filter and the caller's scope as the query saw them,
signed and dated: the route trusts the signature, never the client.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from gateway.api import (
    NOT_FOUND,
    STAFF,
    BadSignature,
    FileCache,
    PluginHost,
    Principal,
    RecipientPolicy,
    Role,
    SignatureExpired,
    Text,
    check_recipients,
    download_throttled,
    enqueue,
    in_thread,
    negotiate,
    request_principal,
    safe_cell,
    safe_file_headers,
    sign,
    unsign,
)
from plugins.callcenter import reports, services
from plugins.callcenter.config import PLUGIN_NAME, CallCenterConfig
from plugins.callcenter.importer import import_text
from plugins.callcenter.models import Call
from plugins.callcenter.services import Scope

log = logging.getLogger("gateway.callcenter")

EMAIL_REPORT_JOB = "callcenter.email_report"
RECORDING_PATH = "/callcenter/recordings/{token}"
REPORT_PATH = "/callcenter/reports/{token}"
UPLOAD_PATH = "/callcenter/import"
_RECORDING_SALT = "callcenter.recording"
_REPORT_SALT = "callcenter.report"
FORMATS = {"CSV": ("text/csv; charset=utf-8", "csv"),
           "XLSX": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx")}
FILE_STEMS = {"RECORDER": "enregistreur-appels", "MESSAGES": "messages-textes",
              "BILLABLE_CALLS": "appels-facturables", "STATISTICS": "statistiques"}
UPLOADERS = set(STAFF)
UPLOAD_TYPES = {"application/x-ndjson": "jsonl", "application/jsonl": "jsonl",
                "application/json-lines": "jsonl", "application/jsonlines": "jsonl",
                "text/csv": "csv"}


def _base(host: PluginHost) -> str:
    return str(host.settings.public_url).rstrip("/")


# ---- scopes in tokens ---------------------------------------------------------------------------

def scope_data(scope: Scope) -> dict[str, Any]:
    return {"r": scope.reseller_id, "a": scope.account_ids, "z": scope.zone.key}


def scope_from(data: dict[str, Any]) -> Scope:
    return Scope(data.get("r"), data.get("a"), services.zone_of(data.get("z")))


# ---- recordings ---------------------------------------------------------------------------------

def recording_url(host: PluginHost, call_pk: int, reseller_id: int) -> str:
    """A signed URL of one call's recording; it works ``download_url_minutes``."""
    token = sign(host.settings.secret_key, _RECORDING_SALT, {"c": call_pk, "r": reseller_id})
    return _base(host) + RECORDING_PATH.format(token=token)


_GONE = Text(en="This link has expired: open the report again.",
             fr="Ce lien est expiré : ouvrez de nouveau le rapport.")
_NO_RECORDING = Text(en="This call has no recording.", fr="Cet appel n'a pas d'enregistrement.")


def _answer(request: Request, status: int, text: Text, state: str) -> Response:
    language = negotiate(request.headers.get("accept-language"))
    return JSONResponse({"status": state, "message": text.render(language)}, status_code=status,
                        headers={"Cache-Control": "no-store"})


def _token(request: Request, salt: str) -> Any:
    host: PluginHost = request.app.state.host
    config = host.config_for(PLUGIN_NAME, CallCenterConfig)
    return unsign(host.settings.secret_key, salt, request.path_params["token"],
                  config.download_url_minutes * 60)


async def recording(request: Request) -> Response:
    """GET /callcenter/recordings/{token}: the audio, with Range support for seeking."""
    host: PluginHost = request.app.state.host
    try:
        data = _token(request, _RECORDING_SALT)
    except SignatureExpired:
        return _answer(request, 410, _GONE, "EXPIRED")
    except BadSignature:
        return _answer(request, 404, NOT_FOUND, "NOT_FOUND")
    row = await Call.filter(id=data.get("c"), reseller_id=data.get("r")).values(
        "recording", "call_id")
    if not row or not row[0]["recording"]:
        return _answer(request, 404, _NO_RECORDING, "NOT_FOUND")
    location = row[0]["recording"]
    if location.startswith(("http://", "https://")):
        return RedirectResponse(location, status_code=307, headers={"Cache-Control": "no-store"})
    root = host.config_for(PLUGIN_NAME, CallCenterConfig).recordings_path(host).resolve()
    path = services.recording_file(root, location)
    if path is None or not path.is_file():
        return _answer(request, 404, _NO_RECORDING, "NOT_FOUND")
    media = "audio/wav" if path.suffix.lower() == ".wav" else (
        "audio/mpeg" if path.suffix.lower() == ".mp3" else "application/octet-stream")
    # FileResponse answers Range requests (206, Content-Range) and advertises Accept-Ranges.
    return FileResponse(path, media_type=media, filename=f"{row[0]['call_id']}{path.suffix}",
                        content_disposition_type="inline",
                        headers=safe_file_headers(**{"Cache-Control": "private, no-store"}))


# ---- report files -------------------------------------------------------------------------------

def report_url(host: PluginHost, report: str, file_format: str, scope: Scope, data: dict[str, Any],
               language: str) -> str:
    token = sign(host.settings.secret_key, _REPORT_SALT,
                 {"k": report, "f": file_format, "s": scope_data(scope), "d": data,
                  "l": language})
    return _base(host) + REPORT_PATH.format(token=token)


# A caller name typed as "=HYPERLINK(...)" must stay text in a spreadsheet.
_cell = safe_cell


def csv_bytes(table: reports.Table, language: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([h.render(language) for h in table.headers])
    for row in table.rows:
        writer.writerow([_cell(v) for v in row])
    for label, value in table.footer:
        writer.writerow([label.render(language), _cell(value)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(table: reports.Table, language: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook(write_only=False)
    sheet = book.active
    sheet.title = table.title.render(language)[:31]
    sheet.append([h.render(language) for h in table.headers])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table.rows:
        sheet.append([_cell(v) for v in row])
    if table.footer:
        sheet.append([])
        for label, value in table.footer:
            sheet.append([label.render(language), _cell(value)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def report_file(report: str, file_format: str, scope: Scope, data: dict[str, Any],
                      language: str, limit: int) -> tuple[str, str, bytes]:
    """(file name, content type, bytes) of a report."""
    table = await reports.table(report, scope, data, language, limit)
    content_type, extension = FORMATS[file_format]
    # Writing the file is CPU work: a worker thread, not the event loop.
    body = await in_thread(xlsx_bytes if file_format == "XLSX" else csv_bytes, table, language)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M")
    return f"{FILE_STEMS[report]}-{stamp}.{extension}", content_type, body


_caches: dict[Path, FileCache] = {}
_SLOW_DOWN = Text(en="Too many downloads: try again in a moment.",
                  fr="Trop de téléchargements : réessayez dans un moment.")


def report_cache(host: PluginHost) -> FileCache:
    """The built report files, one per signed URL, kept as long as the URL works."""
    config = host.config_for(PLUGIN_NAME, CallCenterConfig)
    folder = Path(host.settings.var_dir) / "callcenter-reports"
    cache = _caches.get(folder)
    if cache is None:
        cache = _caches[folder] = FileCache(
            folder, dt.timedelta(minutes=config.download_url_minutes))
    return cache


async def report_download(request: Request) -> Response:
    """GET /callcenter/reports/{token}: the report the signed token names, as CSV or XLSX;
    built once per URL (the file is written in a worker thread) and served again from disk
    while the URL works; too many downloads of one URL or from one address answer 429."""
    host: PluginHost = request.app.state.host
    try:
        data = _token(request, _REPORT_SALT)
    except SignatureExpired:
        return _answer(request, 410, _GONE, "EXPIRED")
    except BadSignature:
        return _answer(request, 404, NOT_FOUND, "NOT_FOUND")
    config = host.config_for(PLUGIN_NAME, CallCenterConfig)
    token = request.path_params["token"]
    wait = await download_throttled(
        request, "callcenter.report", token,
        lifetime=dt.timedelta(minutes=config.download_url_minutes),
        per_token=config.downloads_per_url,
        per_address_per_minute=config.downloads_per_address_minute)
    if wait is not None:
        response = _answer(request, 429, _SLOW_DOWN, "RATE_LIMITED")
        response.headers["Retry-After"] = str(wait)
        return response

    async def build() -> tuple[str, str, bytes]:
        return await report_file(data["k"], data["f"], scope_from(data["s"]), data["d"],
                                 data["l"], config.export_max_rows)

    cached = await report_cache(host).get_or_build(token, build)
    return FileResponse(cached.path, media_type=cached.content_type, filename=cached.name,
                        headers=safe_file_headers(**{"Cache-Control": "no-store"}))


# ---- reports sent by email ----------------------------------------------------------------------

# Where each report's filter sits in the email mutation's input.
REPORT_INPUTS = {"RECORDER": "recorder", "MESSAGES": "messages",
                 "BILLABLE_CALLS": "billableCalls", "STATISTICS": "statistics"}


async def queue_report_email(principal: Principal, report: str, file_format: str,
                             data: dict[str, Any], to: list[str], language: str,
                             policy: RecipientPolicy | None = None) -> None:
    """Queue the job that emails ``report`` (filter ``data``) to ``to`` as an attachment:
    the filter is checked now, against the caller's scope, not in the job; the addresses go
    through the core's ``check_recipients`` (count, shape, who may write where, rate limits)."""
    with reports.fields_under("input", REPORT_INPUTS[report]):
        scope = await services.scope_for(principal, data.get("account_number"),
                                         data.get("billing_number"), ["accountNumber"])
        reports.check(report, scope, data)
    recipients = await check_recipients(principal, to, field=["input", "to"],
                                        policy=policy or CallCenterConfig().recipient_policy)
    await enqueue(EMAIL_REPORT_JOB, {
        "report": report, "format": file_format, "scope": scope_data(scope), "filter": data,
        "language": language, "to": recipients, "reseller_id": principal.reseller_id,
    })


# ---- upload -------------------------------------------------------------------------------------

_SIGN_IN = Text(en="Sign in (a session or an API token) to import.",
                fr="Connectez-vous (session ou jeton d'API) pour importer.")
_FORBIDDEN = Text(en="You are not allowed to import call records.",
                  fr="Vous n'êtes pas autorisé à importer des appels.")
_MEDIA = Text(en="Send JSON lines (application/x-ndjson) or CSV (text/csv).",
              fr="Envoyez des lignes JSON (application/x-ndjson) ou du CSV (text/csv).")
_TOO_BIG = Text(en="The file is too large for an upload; use `gateway callcenter import`.",
                fr="Le fichier est trop volumineux; utilisez `gateway callcenter import`.")
_NOT_UTF8 = Text(en="The file is not UTF-8 text.", fr="Le fichier n'est pas du texte UTF-8.")


async def upload(request: Request) -> Response:
    """POST /callcenter/import: records of the caller's reseller's accounts (JSON lines or CSV
    body). Answers the counts and each rejected line's number and reason."""
    host: PluginHost = request.app.state.host
    principal = await request_principal(request)
    if principal is None:
        return _answer(request, 401, _SIGN_IN, "UNAUTHENTICATED")
    if principal.role not in UPLOADERS or principal.direct_access:
        return _answer(request, 403, _FORBIDDEN, "FORBIDDEN")
    # Only types a cross-site form cannot send, so a session cookie alone cannot upload.
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in UPLOAD_TYPES:
        return _answer(request, 415, _MEDIA, "UNSUPPORTED_MEDIA_TYPE")
    config = host.config_for(PLUGIN_NAME, CallCenterConfig)
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > config.upload_max_bytes:
            return _answer(request, 413, _TOO_BIG, "TOO_LARGE")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return _answer(request, 400, _NOT_UTF8, "BAD_ENCODING")
    reseller_id = None if principal.role == Role.SYSTEM_ADMIN else principal.reseller_id or -1
    report = await import_text(text, UPLOAD_TYPES[media], reseller_id=reseller_id,
                               language=principal.language)
    return JSONResponse({"calls": report.calls, "messages": report.messages,
                         "errors": [{"line": e.line, "message": e.message}
                                    for e in report.errors]},
                        headers={"Cache-Control": "no-store"})


def routes() -> list[Route]:
    return [Route(RECORDING_PATH, recording, methods=["GET"]),
            Route(REPORT_PATH, report_download, methods=["GET"]),
            Route(UPLOAD_PATH, upload, methods=["POST"])]
