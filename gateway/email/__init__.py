"""Email: templates per language, queued through the outbox, delivered by SMTP or to files."""

from gateway.email.recipients import (
    RECIPIENT_CODES,
    RecipientPolicy,
    check_recipients,
    count_recipients,
)
from gateway.email.service import MAX_ATTACHMENTS_BYTES, Attachment, send_email
from gateway.email.templates import EmailError, EmailTemplateError, SafeHtml

__all__ = [
    "MAX_ATTACHMENTS_BYTES",
    "Attachment",
    "EmailError",
    "EmailTemplateError",
    "RECIPIENT_CODES",
    "RecipientPolicy",
    "SafeHtml",
    "check_recipients",
    "count_recipients",
    "send_email",
]
