"""The plugin API: everything a plugin may use from the host, and nothing else.

A plugin (built in or installed from outside this repository) imports from here, from its own
package and from the ``api`` module of a plugin it ``requires`` in plugins.toml; a test holds
the built-in plugins to it. What is listed in ``__all__`` is the stable surface: it only
grows, and a change to a name's meaning is announced.

The domain half (hooks, contributions, problems, roles, validation, tenancy, jobs and email)
imports no GraphQL, so services, models, jobs and commands can use it freely. The GraphQL
half (the mutation kit, nodes, connections, scalars, the account node and its loader) is
loaded on first use of one of its names.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from gateway.console import gateway_command
from gateway.context import Context, request_principal
from gateway.contributions import Command, Job, JobHandler, ModelApp, PeriodicJob, Principal
from gateway.db import close_db, init_db
from gateway.db_values import moment_converter
from gateway.downloads import CachedFile, FileCache, download_throttled, in_thread
from gateway.email import (
    MAX_ATTACHMENTS_BYTES,
    RECIPIENT_CODES,
    Attachment,
    EmailError,
    EmailTemplateError,
    RecipientPolicy,
    SafeHtml,
    check_recipients,
    count_recipients,
    send_email,
)
from gateway.email.service import email_addresses  # send_email's own check
from gateway.encryption import decrypt, encrypt
from gateway.files import known_media_types, matches_media_type, read_body, safe_file_headers
from gateway.hookimpl import hookimpl
from gateway.i18n import LANGUAGES, Text, negotiate
from gateway.identity.branding import Branding, branding_of
from gateway.identity.codes import new_can
from gateway.identity.links import LIFETIME as LINK_LIFETIME
from gateway.identity.links import issue_password_link
from gateway.identity.models import (
    Account,
    AccountKind,
    AuditEntry,
    BillingStatus,
    OneTimeTokenPurpose,
    Reseller,
    ResellerDelegate,
    ResellerImage,
    Session,
    User,
    UserRole,
)
from gateway.identity.scoping import (
    account_for,
    account_visibility,
    accounts_visible,
    resellers_visible,
    users_visible,
)
from gateway.identity.secrets import hash_secret
from gateway.identity.sessions import account_admin
from gateway.jobs import enqueue
from gateway.jobs.registry import current_host
from gateway.models import OutboxJob
from gateway.pdf import FONTS_DIR as PDF_FONTS_DIR
from gateway.pdf import UNICODE_FONT_FAMILY, PdfError, render_pdf, render_pdf_async
from gateway.plugins import PluginError, PluginHost, await_me_maybe
from gateway.problems import ACCOUNT_NOT_FOUND, NOT_FOUND, Field, Problem, Problems, raise_all
from gateway.pubsub import GAP as PUBSUB_GAP
from gateway.pubsub import PubSub, PubSubError, Subscription
from gateway.pubsub import current as current_pubsub
from gateway.pubsub import publish as publish_event
from gateway.pubsub import start as start_pubsub
from gateway.pubsub import stop as stop_pubsub
from gateway.roles import (
    ANONYMOUS,
    RESELLER_SIDE,
    RESELLER_STAFF,
    SIGNED_IN,
    STAFF,
    SUBSCRIBERS,
    Role,
)
from gateway.signing import BadSignature, SignatureExpired, sign, unsign
from gateway.spreadsheet import safe_cell
from gateway.sqlite_client import short_read
from gateway.transcription import (
    Audio,
    Forwarded,
    Transcript,
    TranscriptionFailed,
    TranscriptionProvider,
    load_entry_point_providers,
)
from gateway.validation import (
    INVALID_COUNTRY,
    INVALID_EMAIL,
    INVALID_LANGUAGE,
    INVALID_PHONE,
    MAX_DATABASE_ID,
    MAX_EMAIL,
    REQUIRED,
    TOO_LONG,
    database_id,
    is_email,
    normalize_phone_number,
)

if TYPE_CHECKING:
    from gateway.identity.loaders import account_loader
    from gateway.identity.types import ACCOUNT_COLUMNS, AccountNode, ResellerNode, UserNode
    from schema.descriptions import describe_enum_values
    from schema.errors import Error, error_type, to_errors
    from schema.mutations import ProblemsToPayload, as_data, field, given, mutation
    from schema.node import Node, RowNode, global_id, listed_pk, node_pk, object_pk
    from schema.pagination import (
        Connection,
        OrderDirection,
        PaginationError,
        build_connection,
        encode_cursor,
        page_window,
    )
    from schema.permissions import allow
    from schema.scalars import DateTime, Decimal_, Money, PhoneNumber

# The GraphQL half, imported on first use: name -> module.
_GRAPHQL = {
    "account_loader": "gateway.identity.loaders",
    **dict.fromkeys(("ACCOUNT_COLUMNS", "AccountNode", "ResellerNode", "UserNode"),
                    "gateway.identity.types"),
    **dict.fromkeys(("Error", "error_type", "to_errors"), "schema.errors"),
    "describe_enum_values": "schema.descriptions",
    **dict.fromkeys(("ProblemsToPayload", "as_data", "field", "given", "mutation"),
                    "schema.mutations"),
    **dict.fromkeys(("Node", "RowNode", "global_id", "listed_pk", "node_pk", "object_pk"),
                    "schema.node"),
    **dict.fromkeys(("Connection", "OrderDirection", "PaginationError", "build_connection",
                     "encode_cursor", "page_window"), "schema.pagination"),
    "allow": "schema.permissions",
    **dict.fromkeys(("DateTime", "Decimal_", "Money", "PhoneNumber"), "schema.scalars"),
}


def __getattr__(name: str) -> Any:
    module = _GRAPHQL.get(name)
    if module is None:
        raise AttributeError(f"module 'gateway.api' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    # hooks and what plugins contribute through them
    "Command", "Context", "Job", "JobHandler", "ModelApp", "PeriodicJob", "PluginError",
    "PluginHost", "await_me_maybe", "current_host", "hookimpl", "init_db", "close_db",
    "gateway_command",
    # who is calling, and what they may see
    "ANONYMOUS", "RESELLER_SIDE", "RESELLER_STAFF", "SIGNED_IN", "STAFF", "SUBSCRIBERS",
    "Principal", "Role", "request_principal", "account_for", "account_visibility",
    "accounts_visible",
    "resellers_visible",
    "users_visible",
    # the core's models; for hot paths reading plain rows: a raw SQL moment as the ORM gives
    # it, a short indexed read (inline on SQLite)
    "Account", "AccountKind", "BillingStatus", "Reseller", "User", "UserRole",
    "moment_converter", "short_read",
    # what subscribers see of their reseller (name, logo URL, colours, support): public pages
    "Branding", "branding_of",
    # (the clients plugin: the purge archives the audit log, unsubscribing ends sessions, a
    # message's sender may be a reseller delegate, new accounts get a CAN and their admin)
    "AuditEntry", "ResellerDelegate", "Session", "account_admin", "new_can",
    # problems, messages and input checks
    "ACCOUNT_NOT_FOUND", "Field", "NOT_FOUND", "Problem", "Problems", "raise_all",
    "INVALID_COUNTRY", "INVALID_EMAIL", "INVALID_LANGUAGE", "INVALID_PHONE", "LANGUAGES",
    "MAX_DATABASE_ID", "MAX_EMAIL", "REQUIRED", "TOO_LONG", "Text", "database_id", "is_email",
    "normalize_phone_number",
    # (account settings: a professional's PIN is kept like a password)
    "hash_secret",
    # secrets kept at rest (SIP secrets, provider tokens): Fernet, a key per purpose
    "decrypt", "encrypt",
    # jobs, email, signed links
    "MAX_ATTACHMENTS_BYTES", "Attachment", "EmailError", "EmailTemplateError", "SafeHtml",
    "email_addresses", "enqueue", "send_email", "BadSignature", "SignatureExpired", "sign",
    "unsign",
    # every email to typed addresses: recipients checked, capped and rate-limited
    "RECIPIENT_CODES", "RecipientPolicy", "check_recipients", "count_recipients",
    # files behind signed URLs: built once per token off the event loop, rate-limited
    "CachedFile", "FileCache", "download_throttled", "in_thread",
    # live events: publish to a channel (every process the pub/sub reaches), subscribe to one
    "PUBSUB_GAP", "PubSub", "PubSubError", "Subscription", "current_pubsub", "publish_event",
    # a command's own pub/sub (a CLI process publishing to the servers' subscribers)
    "start_pubsub", "stop_pubsub",
    # CSV/XLSX cells from user data (no formula injection)
    "safe_cell",
    # PDFs from HTML (xhtml2pdf), in jobs; "Gateway Unicode" prints any script DejaVu has
    "PdfError", "UNICODE_FONT_FAMILY", "render_pdf", "render_pdf_async",
    # (the clients plugin's streaming PDF writer embeds the same DejaVu Sans files)
    "PDF_FONTS_DIR",
    # (billing: a statement prints the reseller's uploaded logo)
    "ResellerImage",
    # voicemail transcription providers (plugins' hooks and the entry-point group)
    "Audio", "Forwarded", "Transcript", "TranscriptionFailed", "TranscriptionProvider",
    "load_entry_point_providers",
    "LINK_LIFETIME", "OneTimeTokenPurpose", "OutboxJob", "issue_password_link", "negotiate",
    # user files: bodies read within a limit, the declared type checked by magic bytes, safe
    # headers when served
    "known_media_types", "matches_media_type", "read_body", "safe_file_headers",
    # GraphQL: fields, mutations and their errors
    "Error", "ProblemsToPayload", "allow", "as_data", "error_type", "field", "given",
    "mutation", "to_errors",
    # (descriptions of a model's enum values, or of an error type's codes, by member name)
    "describe_enum_values",
    # GraphQL: nodes, ids, lists, scalars, the core's nodes and the account loader
    "ACCOUNT_COLUMNS", "AccountNode", "Connection", "DateTime", "Decimal_", "Money", "Node",
    "OrderDirection", "PaginationError", "PhoneNumber", "ResellerNode", "RowNode", "UserNode",
    "account_loader", "build_connection", "encode_cursor", "global_id", "node_pk", "object_pk",
    "page_window", "listed_pk",
]
