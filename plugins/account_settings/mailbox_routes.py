"""HTTP side of the mailbox: the telephony platform hands over each voicemail or fax, and a
signed, expiring URL serves the file (with HTTP Range, so players can seek).

    POST /mailbox/messages?account=<CID/UID>&user=<user id>|extension=<ext>&kind=VOICEMAIL|FAX
         [&caller=+15145551212][&callerName=...][&receivedAt=<ISO 8601>][&duration=<s>][&pages=<n>]
    body: the file, Content-Type one of the kind's types (audio/wav, audio/mpeg, audio/ogg;
          application/pdf, image/tiff): types a cross-site form cannot send, so a session
          cookie alone cannot post one.

Callers: an API token (integrator) or a session of the account's reseller staff; never a
subscriber. The answer is 201 with the message id and how many older ones made room for it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from gateway.i18n import Text, negotiate
from gateway.identity import scoping
from gateway.identity.models import User
from gateway.plugins import await_me_maybe
from gateway.signing import BadSignature, SignatureExpired, sign, unsign
from plugins.account_settings import mailbox
from plugins.account_settings.config import AccountSettingsConfig
from plugins.account_settings.models import MailboxKind, MailboxMessage
from schema.errors import PayloadError
from schema.permissions import Role

UPLOAD_PATH = "/mailbox/messages"
FILE_PATH = "/mailbox/files/{token}"
_SALT = "account_settings.mailbox"
URL_MINUTES = 15
UPLOADERS = {Role.SYSTEM_ADMIN, Role.RESELLER_ADMIN, Role.RESELLER_DELEGATE, Role.INTEGRATOR}

_SIGN_IN = Text(en="Sign in, or send an API token.",
                fr="Connectez-vous, ou envoyez un jeton d'API.")
_FORBIDDEN = Text(en="Only the platform (an API token) or the reseller's staff hand messages "
                  "over.",
                  fr="Seuls la plateforme (un jeton d'API) ou le personnel du revendeur "
                  "déposent des messages.")
_NOT_FOUND = Text(en="Not found.", fr="Introuvable.")
_GONE = Text(en="This link has expired: list the messages again.",
             fr="Ce lien est expiré : affichez de nouveau les messages.")
_TOO_BIG = Text(en="The file is larger than {max} bytes.",
                fr="Le fichier dépasse {max} octets.")
_BAD_VALUE = Text(en="Not a valid value.", fr="Valeur non valide.")
_NO_ACCOUNT = Text(en="No such account.", fr="Ce compte n'existe pas.")
_NO_USER = Text(en="No such user in this account.",
                fr="Cet utilisateur n'appartient pas à ce compte.")


def download_url(host: Any, message: MailboxMessage) -> str:
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
    """GET /mailbox/files/{token}: the file, while the link lasts and the message is kept."""
    host = request.app.state.host
    try:
        data = unsign(host.settings.secret_key, _SALT, request.path_params["token"],
                      URL_MINUTES * 60)
    except SignatureExpired:
        return _error(request, 410, "EXPIRED", _GONE)
    except BadSignature:
        return _error(request, 404, "NOT_FOUND", _NOT_FOUND)
    row = await MailboxMessage.filter(id=data.get("m"), storage_key=data.get("k")).first()
    path = mailbox.file_of(host, row) if row is not None else None
    if row is None or path is None or not path.is_file():
        return _error(request, 404, "NOT_FOUND", _NOT_FOUND)
    stamp = row.received_at.strftime("%Y%m%d-%H%M%S")
    return FileResponse(path, media_type=row.content_type,
                        filename=f"{row.kind.lower()}-{stamp}{path.suffix}",
                        content_disposition_type="inline",
                        headers={"Cache-Control": "private, no-store"})


def _int(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    if not raw.isdigit():
        raise ValueError(name)
    return int(raw)


async def upload(request: Request) -> Response:
    """POST /mailbox/messages: keep a voicemail or a fax for a user of an account."""
    host = request.app.state.host
    principal = await await_me_maybe(host.pm.hook.gateway_principal(gateway=host,
                                                                    request=request))
    if principal is None:
        return _error(request, 401, "UNAUTHENTICATED", _SIGN_IN)
    if principal.role not in UPLOADERS or principal.direct_access:
        return _error(request, 403, "FORBIDDEN", _FORBIDDEN)
    params = request.query_params
    try:
        kind = MailboxKind(params.get("kind", "").upper())
    except ValueError:
        return _error(request, 400, "INVALID", _BAD_VALUE, "kind")
    try:
        account_id, user_id = _int(request, "account"), _int(request, "user")
        duration, pages = _int(request, "duration"), _int(request, "pages")
    except ValueError as bad:
        return _error(request, 400, "INVALID", _BAD_VALUE, str(bad))
    received_at = None
    if params.get("receivedAt"):
        try:
            received_at = dt.datetime.fromisoformat(params["receivedAt"])
        except ValueError:
            return _error(request, 400, "INVALID", _BAD_VALUE, "receivedAt")
        if received_at.tzinfo is None:
            return _error(request, 400, "INVALID", _BAD_VALUE, "receivedAt")
    target = await scoping.accounts_visible(principal).filter(id=account_id or -1).first()
    if target is None:
        return _error(request, 404, "NOT_FOUND", _NO_ACCOUNT, "account")
    users = User.filter(account_id=target.id)
    user = await (users.filter(id=user_id) if user_id is not None else
                  users.filter(extension=params.get("extension", "").strip() or None)).first()
    if user is None:
        return _error(request, 404, "NOT_FOUND", _NO_USER,
                      "user" if user_id is not None else "extension")
    limit = AccountSettingsConfig.from_host(host).mailbox_upload_max_bytes
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            return _error(request, 413, "TOO_LARGE", _TOO_BIG, "body", max=limit)
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        stored = await mailbox.store(
            host, account_id=target.id, user_id=user.id, kind=kind, content=bytes(body),
            content_type=media, received_at=received_at,
            caller_number=params.get("caller", ""), caller_name=params.get("callerName", ""),
            duration_seconds=duration, pages=pages)
    except PayloadError as error:
        status = 415 if error.field == ["contentType"] else 400
        return _error(request, status, error.code.value, error.text,
                      ".".join(error.field or []) or None, **error.values)
    return JSONResponse({"id": stored.message.id, "removed": stored.removed}, status_code=201,
                        headers={"Cache-Control": "no-store"})


def routes() -> list[Route]:
    return [Route(UPLOAD_PATH, upload, methods=["POST"]),
            Route(FILE_PATH, download, methods=["GET"])]
