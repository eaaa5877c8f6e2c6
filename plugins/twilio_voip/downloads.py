"""Files of the call log behind short-lived signed URLs: a call's recording (streamed with
HTTP Range, so players can seek) and the call log as CSV. A URL carries what the query saw
(the call, or the filter and the caller's scope), signed and dated: the route trusts the
signature, never the client."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import AsyncIterator
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from gateway.api import (
    NOT_FOUND,
    BadSignature,
    PluginHost,
    Principal,
    SignatureExpired,
    Text,
    download_throttled,
    negotiate,
    safe_cell,
    safe_file_headers,
    sign,
    unsign,
)

from .access import config
from .calls import (
    CALL_COLUMNS,
    CallFilter,
    account_zones,
    calls_visible,
    filtered,
    recording_path,
)
from .models import VoipCall

RECORDING_URL = "/twilio/recordings/{token}"
CSV_URL = "/twilio/calls.csv/{token}"
_RECORDING_SALT = "twilio_voip.recording"
_CSV_SALT = "twilio_voip.calls_csv"
CSV_BATCH = 1000

_GONE = Text(en="This link has expired: open the call log again.",
             fr="Ce lien est expiré : ouvrez de nouveau la liste des appels.")
_NO_RECORDING = Text(en="This call has no recording.", fr="Cet appel n'a pas d'enregistrement.")
_SLOW_DOWN = Text(en="Too many downloads: try again in a moment.",
                  fr="Trop de téléchargements : réessayez dans un instant.")
HEADERS = {
    "en": ["Date and time ({zone})", "Direction", "Status", "Operator", "Client", "Client number",
           "Virtual number", "Duration (s)", "Price", "Currency", "Voicemail", "Recording"],
    "fr": ["Date et heure ({zone})", "Direction", "Statut", "Agent", "Client", "Numéro du client",
           "Numéro virtuel", "Durée (s)", "Montant", "Devise", "Messagerie vocale",
           "Enregistrement"],
}
DIRECTIONS = {"en": {"INBOUND": "Incoming", "OUTBOUND": "Outgoing"},
              "fr": {"INBOUND": "Entrant", "OUTBOUND": "Sortant"}}
STATES = {
    "en": {"RINGING": "Ringing", "IN_PROGRESS": "In progress", "COMPLETED": "Completed",
           "MISSED": "Missed", "BUSY": "Busy", "NO_ANSWER": "No answer", "FAILED": "Failed",
           "CANCELED": "Canceled", "INITIATED": "Initiated"},
    "fr": {"RINGING": "Sonne", "IN_PROGRESS": "En cours", "COMPLETED": "Terminé",
           "MISSED": "Manqué", "BUSY": "Occupé", "NO_ANSWER": "Sans réponse",
           "FAILED": "Échec", "CANCELED": "Annulé", "INITIATED": "Préparé"},
}
YES_NO = {"en": ("Yes", "No"), "fr": ("Oui", "Non")}


def _base(host: PluginHost) -> str:
    return str(host.settings.public_url).rstrip("/")


def recording_url(host: PluginHost, call_id: int, account_id: int) -> str:
    token = sign(host.settings.secret_key, _RECORDING_SALT, {"c": call_id, "a": account_id})
    return _base(host) + RECORDING_URL.format(token=token)


def csv_url(host: PluginHost, principal: Principal, where: CallFilter, language: str) -> str:
    token = sign(host.settings.secret_key, _CSV_SALT, {
        "p": {"r": principal.role, "u": principal.user_id, "a": principal.account_id},
        "f": where.as_data(), "l": language})
    return _base(host) + CSV_URL.format(token=token)


def _answer(request: Request, status: int, text: Text, state: str,
            headers: dict[str, str] | None = None) -> Response:
    language = negotiate(request.headers.get("accept-language"))
    return JSONResponse({"status": state, "message": text.render(language)}, status_code=status,
                        headers={"Cache-Control": "no-store", **(headers or {})})


async def _token(request: Request, salt: str, name: str) -> Any:
    """The signed URL's data, or the answer to give instead: 410 expired, 404 not a link of
    ours, 429 downloaded too often."""
    host: PluginHost = request.app.state.host
    minutes = config(host).download_url_minutes
    token = request.path_params["token"]
    try:
        data = unsign(host.settings.secret_key, salt, token, minutes * 60)
    except SignatureExpired:
        return _answer(request, 410, _GONE, "EXPIRED")
    except BadSignature:
        return _answer(request, 404, NOT_FOUND, "NOT_FOUND")
    wait = await download_throttled(request, name, token,
                                    lifetime=dt.timedelta(minutes=minutes))
    if wait is not None:
        return _answer(request, 429, _SLOW_DOWN, "TOO_MANY_REQUESTS",
                       {"Retry-After": str(wait)})
    return data


async def recording(request: Request) -> Response:
    """GET /twilio/recordings/{token}: the audio, with Range support for seeking."""
    host: PluginHost = request.app.state.host
    data = await _token(request, _RECORDING_SALT, "twilio_voip.recording")
    if isinstance(data, Response):
        return data
    rows = await VoipCall.filter(id=data.get("c"), account_id=data.get("a")).values(
        "recording_file", "call_sid")
    path = recording_path(host, rows[0]["recording_file"]) if rows and rows[0][
        "recording_file"] else None
    if path is None:
        return _answer(request, 404, _NO_RECORDING, "NOT_FOUND")
    # FileResponse answers Range requests (206, Content-Range) and advertises Accept-Ranges.
    return FileResponse(path, media_type="audio/mpeg",
                        filename=f"{rows[0]['call_sid'] or 'call'}.mp3",
                        content_disposition_type="inline",
                        headers=safe_file_headers(**{"Cache-Control": "private, no-store"}))


def _row(row: dict[str, Any], language: str, zone: ZoneInfo) -> list[Any]:
    operator = " ".join(filter(None, (row.get("operator__first_name"),
                                      row.get("operator__last_name"))))
    yes, no = YES_NO[language]
    return [row["started_at"].astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
            DIRECTIONS[language][str(row["direction"])], STATES[language][str(row["status"])],
            safe_cell(operator), safe_cell(row.get("contact__name") or ""),
            safe_cell(row["other_number"]), row["our_number"],
            "" if row["duration"] is None else row["duration"],
            "" if row["price"] is None else f"{row['price']:.4f}", row["currency"] or "",
            yes if row["voicemail"] else no, yes if row["recording_file"] else no]


async def _csv(principal: Principal, where: CallFilter, language: str) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")  # Excel reads UTF-8 with its BOM
    # Dates and times in the account's time zone, named in the header.
    zone = (await account_zones([principal.account_id])).get(
        principal.account_id, ZoneInfo("UTC")) if principal.account_id else ZoneInfo("UTC")
    header = HEADERS[language]
    writer.writerow([header[0].format(zone=zone.key), *header[1:]])
    calls = filtered(calls_visible(principal), where).order_by("-started_at", "-id")
    last: tuple[dt.datetime, int] | None = None
    while True:  # keyset pages: memory stays flat whatever the size of the log
        page = calls
        if last is not None:
            from tortoise.expressions import Q

            page = page.filter(Q(started_at__lt=last[0]) | Q(started_at=last[0],
                                                             id__lt=last[1]))
        rows = await page.limit(CSV_BATCH).values(*CALL_COLUMNS)
        for row in rows:
            writer.writerow(_row(row, language, zone))
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
        if len(rows) < CSV_BATCH:
            return
        last = (rows[-1]["started_at"], rows[-1]["id"])


async def calls_csv(request: Request) -> Response:
    """GET /twilio/calls.csv/{token}: the call log as the query filtered it, streamed."""
    data = await _token(request, _CSV_SALT, "twilio_voip.calls_csv")
    if isinstance(data, Response):
        return data
    who = data["p"]
    principal = Principal(role=who["r"], user_id=who["u"], account_id=who["a"])
    language = "fr" if data.get("l") == "fr" else "en"
    name = "appels.csv" if language == "fr" else "calls.csv"
    return StreamingResponse(
        _csv(principal, CallFilter.from_data(data["f"]), language),
        media_type="text/csv; charset=utf-8",
        headers=safe_file_headers(**{"Cache-Control": "private, no-store",
                                     "Content-Disposition": f'attachment; filename="{name}"'}))


def routes() -> list[Route]:
    return [Route(RECORDING_URL, recording, methods=["GET"]),
            Route(CSV_URL, calls_csv, methods=["GET"])]
