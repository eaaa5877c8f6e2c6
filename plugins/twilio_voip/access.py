"""Who may do what in VoIP, the connected Twilio account of the caller's account, and the SDK
for it. The tenant is always the caller's own account (reseller staff reach it through direct
access): another account's numbers, operators, calls and contacts are simply not found."""

from __future__ import annotations

from gateway.api import PluginHost, Principal, Problem, Role, decrypt, encrypt

from . import errors as e
from .config import PLUGIN_NAME, TwilioVoipConfig
from .errors import VoipErrorCode as Code
from .models import NumberOperator, TwilioAccount
from .twilio_api import TwilioApi

# The CRM belongs to the subscriber: its company admin, or the professional, administers VoIP
# (reseller staff too, through direct access, where they act as that admin).
ADMINS = (Role.COMPANY_ADMIN, Role.PROFESSIONAL)
SECRET_PURPOSE = "gateway.twilio_voip.credentials.v1"


def config(host: PluginHost) -> TwilioVoipConfig:
    return host.config_for(PLUGIN_NAME, TwilioVoipConfig)


def account_of(principal: Principal | None) -> int:
    """The caller's account: VoIP lives in one subscriber account."""
    if principal is None or principal.account_id is None:
        raise Problem(Code.NOT_FOUND, e.NOT_FOUND)
    return principal.account_id


def is_admin(principal: Principal | None) -> bool:
    return principal is not None and principal.account_id is not None and (
        principal.role in ADMINS)


def admin_account(principal: Principal | None) -> int:
    """The account the caller administers, or NOT_ALLOWED."""
    account_id = account_of(principal)
    if not is_admin(principal):
        raise Problem(Code.NOT_ALLOWED, e.NOT_ALLOWED)
    return account_id


async def connection(account_id: int) -> TwilioAccount | None:
    """The account's active Twilio connection, if any."""
    return await TwilioAccount.get_or_none(account_id=account_id, active=True)


async def require_connection(account_id: int) -> TwilioAccount:
    found = await connection(account_id)
    if found is None:
        raise Problem(Code.NOT_CONNECTED, e.NOT_CONNECTED)
    return found


def seal(host: PluginHost, value: str) -> str:
    return encrypt(host, value, purpose=SECRET_PURPOSE)


def unseal(host: PluginHost, token: str) -> str | None:
    return decrypt(host, token, purpose=SECRET_PURPOSE)


def api_for(host: PluginHost, twilio: TwilioAccount) -> TwilioApi:
    token = unseal(host, twilio.auth_token)
    if token is None:  # the gateway's secret key changed: the token must be entered again
        raise Problem(Code.NOT_CONNECTED, e.NOT_CONNECTED)
    settings = config(host)
    return TwilioApi(twilio.account_sid, token, base_url=settings.api_base_url,
                     timeout=settings.api_timeout_seconds)


def identity(user_id: int) -> str:
    """The operator's identity in Twilio Client (Access Token, ``<Client>``)."""
    return f"gw-user-{user_id}"


def user_of_identity(value: str) -> int | None:
    text = value.removeprefix("client:")
    if not text.startswith("gw-user-"):
        return None
    digits = text.removeprefix("gw-user-")
    return int(digits) if digits.isdigit() and len(digits) < 12 else None


async def operator_numbers(user_id: int) -> list[int]:
    rows = await NumberOperator.filter(user_id=user_id).values("number_id")
    return [int(row["number_id"]) for row in rows]
