"""What other plugins may use of the account settings plugin (``requires =
["account_settings"]``): an account's Options (extension ranges), the extensions it reserves,
how a user is given an extension, and the mailbox's voicemails (their file, their signed URL,
who reads them, and the email copy a plugin may take over)."""

from __future__ import annotations

from plugins.account_settings.extensions import assign_user_extension, range_of
from plugins.account_settings.mailbox import file_of, owner_of, send_voicemail_copy
from plugins.account_settings.mailbox_routes import download_url
from plugins.account_settings.models import (
    AccountOptions,
    ExtensionKind,
    ExtensionReservation,
    MailboxKind,
    MailboxMessage,
)
from plugins.account_settings.options import get_options
from plugins.account_settings.services import effective_transcription

__all__ = ["AccountOptions", "ExtensionKind", "ExtensionReservation", "MailboxKind",
           "MailboxMessage", "assign_user_extension", "download_url", "effective_transcription",
           "file_of", "get_options",
           "owner_of", "range_of", "send_voicemail_copy"]
