"""A test plugin contributing its own email templates folder, as a feature plugin would."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gateway.hookimpl import hookimpl

TEMPLATES = Path(__file__).resolve().parent / "email_templates"


@hookimpl
def gateway_email_templates(gateway: Any) -> Any:
    return TEMPLATES
