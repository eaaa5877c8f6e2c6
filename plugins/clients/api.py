"""What other plugins may use of the clients plugin (``requires = ["clients"]``): test mode
("Compte en mode test": no email, no call leaves for the account), the free-trial guard, and
the line a billing plugin's invoice preview returns."""

from __future__ import annotations

import datetime as dt
from typing import Any

from gateway.api import Account, PluginHost
from plugins.clients.config import PLUGIN_NAME, ClientsConfig
from plugins.clients.models import BillingProfile, BillingStatusChange, SignupDraft
from plugins.clients.services import (
    InvoiceLine,
    ensure_can_add_numbers_and_options,
    is_test_mode,
    set_test_mode,
)

__all__ = ["InvoiceLine", "SignupDraft", "billing_contact", "billing_status_history",
           "complete_signup", "default_trial_days", "ensure_can_add_numbers_and_options",
           "is_test_mode",
           "new_signup_draft", "save_signup_steps", "set_test_mode", "signup_missing",
           "signup_subscription"]


def default_trial_days(host: PluginHost) -> int:
    """The free days of a new trial when nobody chose (``trial_days_default``, 15 to 90)."""
    config: ClientsConfig = host.config_for(PLUGIN_NAME, ClientsConfig)
    return int(config.trial_days_default)


async def billing_status_history(
    account_ids: list[int], before: dt.datetime
) -> dict[int, list[tuple[dt.datetime, str | None, str]]]:
    """Per account, its billing status changes before ``before``, oldest first: (when, the
    status it left or None, the status it moved to). The billing plugin prorates a cycle by
    them (issue 16)."""
    history: dict[int, list[tuple[dt.datetime, str | None, str]]] = {}
    rows = await BillingStatusChange.filter(
        account_id__in=account_ids, created_at__lt=before).order_by("account_id", "id").values(
        "account_id", "created_at", "from_status", "to_status")
    for row in rows:
        left = row["from_status"]
        history.setdefault(row["account_id"], []).append(
            (row["created_at"], str(left) if left is not None else None, str(row["to_status"])))
    return history


async def signup_subscription(account_id: int) -> dict[str, Any] | None:
    """The "Abonnement" step (plan, options, devices) of the sign-up that created the account,
    or None (an account not created by the wizard). Readable in ``gateway_account_created``."""
    draft = await SignupDraft.filter(account_id=account_id).order_by("-id").first()
    if draft is None:
        return None
    subscription: dict[str, Any] | None = (draft.data or {}).get("subscription")
    return subscription


async def billing_contact(account_id: int) -> str:
    """Where an account's statements go: the invoice email of its billing profile, else the
    account's own address ("" when it has neither)."""
    profile = await BillingProfile.filter(account_id=account_id).values("invoice_email")
    if profile and profile[0]["invoice_email"]:
        return str(profile[0]["invoice_email"])
    account = await Account.filter(id=account_id).values("email")
    return str(account[0]["email"]) if account else ""


async def signup_reseller(token: str, host: Any) -> int:
    """The reseller of the sign-up a client's emailed link opens (a billing plugin shows the
    client that reseller's offer); a forged, expired or used link raises its problem."""
    from plugins.clients.config import PLUGIN_NAME, ClientsConfig
    from plugins.clients.signup import draft_for_token

    draft = await draft_for_token(token, host, host.config_for(PLUGIN_NAME, ClientsConfig))
    return int(draft.reseller_id)


# --- The public subscription portal (plugins/subscription_portal) -------------------------
# The same wizard as staff use, driven by an anonymous client through a reseller's link:
# the same cleaning, the same draft, the same completion (account, first user, access email).

async def new_signup_draft(reseller_id: int, kind: Any, steps: dict[str, Any],
                           host: Any) -> SignupDraft:
    """A draft of ``reseller_id`` started by the client alone (no staff member created it),
    the given steps cleaned and checked as ``saveSignupDraft`` does."""
    from plugins.clients.config import PLUGIN_NAME, ClientsConfig
    from plugins.clients.signup import check_with_reseller, clean_steps

    cleaned = clean_steps(steps, kind, host.config_for(PLUGIN_NAME, ClientsConfig))
    await check_with_reseller(host, reseller_id, cleaned)
    return await SignupDraft.create(reseller_id=reseller_id, kind=kind, data=cleaned)


async def save_signup_steps(draft: SignupDraft, steps: dict[str, Any], host: Any) -> SignupDraft:
    """Save steps of a draft (each whole), as ``saveSignupDraftAsClient`` does."""
    from plugins.clients.config import PLUGIN_NAME, ClientsConfig
    from plugins.clients.signup import save_steps

    return await save_steps(draft, steps, host.config_for(PLUGIN_NAME, ClientsConfig), host)


def signup_missing(draft: SignupDraft) -> dict[str, list[str]]:
    """Per step, the fields completing the draft still needs (GraphQL names)."""
    from plugins.clients.signup import missing_fields

    return missing_fields(draft.data or {}, draft.kind)


async def complete_signup(draft: SignupDraft, host: Any) -> Account:
    """Complete the draft as ``completeSignupAsClient`` does: the billing status is the
    default one (a free trial of the configured length), the first user gets the access
    email, ``gateway_account_created`` runs in the transaction."""
    from plugins.clients.config import PLUGIN_NAME, ClientsConfig
    from plugins.clients.signup import complete

    return await complete(draft, host=host, config=host.config_for(PLUGIN_NAME, ClientsConfig))
