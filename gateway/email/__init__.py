"""Email: templates per language, queued through the outbox, delivered by SMTP or to files."""

from gateway.email.service import MAX_ATTACHMENTS_BYTES, Attachment, send_email
from gateway.email.templates import EmailError, EmailTemplateError, SafeHtml

__all__ = [
    "MAX_ATTACHMENTS_BYTES",
    "Attachment",
    "EmailError",
    "EmailTemplateError",
    "SafeHtml",
    "send_email",
]
