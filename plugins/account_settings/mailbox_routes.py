"""HTTP side of the mailbox: the telephony platform hands over each voicemail or fax, and a
signed, expiring URL serves the file (with HTTP Range, so players can seek).

    POST /mailbox/messages?account=<CID/UID>&user=<user id>|extension=<ext>&kind=VOICEMAIL|FAX
         [&caller=+15145551212][&callerName=...][&receivedAt=<ISO 8601>][&duration=<s>][&pages=<n>]
    body: the file, Content-Type one of the kind's types (audio/wav, audio/mpeg, audio/ogg;
          application/pdf, image/tiff): types a cross-site form cannot send, so a session
          cookie alone cannot post one. The content must start as its type does (its magic
          bytes): 415 otherwise.

Callers: an API token (integrator) or a session of the account's reseller staff; never a
subscriber. The answer is 201 with the message id and how many older ones made room for it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from gateway.api import (
    STAFF,
    Account,
    BadSignature,
    PluginHost,
    Problem,
    SignatureExpired,
    Text,
    User,
    accounts_visible,
    negotiate,
    read_body,
    request_principal,
    safe_file_headers,
    sign,
    unsign,
)
from plugins.account_settings import errors as e
from plugins.account_settings import mailbox
from plugins.account_settings.config import config_of
from plugins.account_settings.models import MailboxKind, MailboxMessage

UPLOAD_PATH = "/mailbox/messages"
FILE_PATH = "/mailbox/files/{token}"
_SALT = "account_settings.mailbox"
URL_MINUTES = 15

_SIGN_IN = Text(en="Sign in, or send an API token.",
                fr="Connectez-vous, ou envoyez un jeton d'API.")
_FORBIDDEN = Text(en="Only the platform (an API token) or the reseller's staff hand messages "
                  "over.",
                  fr="Seuls la plateforme (un jeton d'API) ou le personnel du revendeur "
                  "déposent des messages.")
_GONE = Text(en="This link has expired: list the messages again.",
             fr="Ce lien est expiré : affichez de nouveau les messages.")
_TOO_BIG = Text(en="The file is larger than {max} bytes.",
                fr="Le fichier dépasse {max} octets.")
_BAD_VALUE = Text(en="Not a valid value.", fr="Valeur non valide.")


def download_url(host: PluginHost, message: MailboxMessage) -> str:
    token = sign(host.settings.secret_key, _SALT,
                 {"m": message.id, "k": message.storage_key})
    return str(host.settings.public_url).rstrip("/") + FILE_PATH.format(token=token)


def _error(request: Request, status: int, code: str, text: Text, field: str | None = None,
           **values: Any) -> Response:
    language = negotiate(request.headers.get("accept-language"))
    return JSONResponse({"errors": [{"code": code, "field": field,
                                     "message": text.render(language, **values)}]},
                        status_code=status, headers={"Cache-Control": "no-store"})


async def download(request: Request) -> Response:
    """GET /mailbox/files/{token}: the file, while the link lasts and the message is kept,
    with the safe headers of user files (no type sniffing, a sandbox when opened alone)."""
    host = request.app.state.host
    try:
        data = unsign(host.settings.secret_key, _SALT, request.path_params["token"],
                      URL_MINUTES * 60)
    except SignatureExpired:
        return _error(request, 410, "EXPIRED", _GONE)
    except BadSignature:
        return _error(request, 404, "NOT_FOUND", e.NOT_FOUND)
    row = await MailboxMessage.filter(id=data.get("m"), storage_key=data.get("k")).first()
    path = mailbox.file_of(host, row) if row is not None else None
    if row is None or path is None or not path.is_file():
        return _error(request, 404, "NOT_FOUND", e.NOT_FOUND)
    stamp = row.received_at.strftime("%Y%m%d-%H%M%S")
    return FileResponse(path, media_type=row.content_type,
                        filename=f"{row.kind.lower()}-{stamp}{path.suffix}",
                        content_disposition_type="inline",
                        headers=safe_file_headers(**{"Cache-Control": "private, no-store"}))


class _BadParameter(ValueError):
    """A query parameter that is not a valid value (its name is the message)."""


@dataclass(frozen=True)
class _Upload:
    """What the platform says of the message it hands over, from the query string."""

    kind: MailboxKind
    account_id: int | None
    user_id: int | None
    duration: int | None
    pages: int | None
    received_at: dt.datetime | None


def _int(params: QueryParams, name: str) -> int | None:
    raw = params.get(name)
    if raw in (None, ""):
        return None
    if not raw.isdigit():
        raise _BadParameter(name)
    return int(raw)


def _received_at(params: QueryParams) -> dt.datetime | None:
    if not params.get("receivedAt"):
        return None
    try:
        received_at = dt.datetime.fromisoformat(params["receivedAt"])
    except ValueError:
        raise _BadParameter("receivedAt") from None
    if received_at.tzinfo is None:
        raise _BadParameter("receivedAt")
    return received_at


def _upload_of(params: QueryParams) -> _Upload:
    """The query string read in order: kind, the numbers, then the time; the first bad one
    raises :class:`_BadParameter`."""
    try:
        kind = MailboxKind(params.get("kind", "").upper())
    except ValueError:
        raise _BadParameter("kind") from None
    account_id, user_id = _int(params, "account"), _int(params, "user")
    duration, pages = _int(params, "duration"), _int(params, "pages")
    return _Upload(kind, account_id, user_id, duration, pages, _received_at(params))


async def _recipient(account: Account, upload: _Upload, params: QueryParams) -> User | None:
    """The user of the account named by id, else by extension."""
    users = User.filter(account_id=account.id)
    if upload.user_id is not None:
        return await users.filter(id=upload.user_id).first()
    return await users.filter(extension=params.get("extension", "").strip() or None).first()


async def upload(request: Request) -> Response:
    """POST /mailbox/messages: keep a voicemail or a fax for a user of an account."""
    host = request.app.state.host
    principal = await request_principal(request)
    if principal is None:
        return _error(request, 401, "UNAUTHENTICATED", _SIGN_IN)
    if principal.role not in STAFF or principal.direct_access:
        return _error(request, 403, "FORBIDDEN", _FORBIDDEN)
    params = request.query_params
    try:
        wanted = _upload_of(params)
    except _BadParameter as bad:
        return _error(request, 400, "INVALID", _BAD_VALUE, str(bad))
    target = await accounts_visible(principal).filter(id=wanted.account_id or -1).first()
    if target is None:
        return _error(request, 404, "NOT_FOUND", e.ACCOUNT_NOT_FOUND, "account")
    user = await _recipient(target, wanted, params)
    if user is None:
        return _error(request, 404, "NOT_FOUND", e.WRONG_USER,
                      "user" if wanted.user_id is not None else "extension")
    limit = config_of(host).mailbox_upload_max_bytes
    content = await read_body(request, limit)
    if content is None:
        return _error(request, 413, "TOO_LARGE", _TOO_BIG, "body", max=limit)
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        stored = await mailbox.store(
            host, account_id=target.id, user_id=user.id, kind=wanted.kind, content=content,
            content_type=media, received_at=wanted.received_at,
            caller_number=params.get("caller", ""), caller_name=params.get("callerName", ""),
            duration_seconds=wanted.duration, pages=wanted.pages)
    except Problem as error:  # a type not accepted, or a content not of its declared type
        status = 415 if error.text in (e.MAILBOX_MEDIA, e.MAILBOX_CONTENT) else 400
        return _error(request, status, error.code_name, error.text,
                      ".".join(str(part) for part in error.field or []) or None, **error.values)
    return JSONResponse({"id": stored.message.id, "removed": stored.removed}, status_code=201,
                        headers={"Cache-Control": "no-store"})


def routes() -> list[BaseRoute]:
    return [Route(UPLOAD_PATH, upload, methods=["POST"]),
            Route(FILE_PATH, download, methods=["GET"])]
