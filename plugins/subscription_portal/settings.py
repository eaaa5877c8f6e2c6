"""Each reseller's portal settings (seed: Gérer le statut d'un compte): the billing status an
account signed up on the portal starts with, a free trial (Essai gratuit, the default) or in
production (En production), and its free days (15 to 90; by default the clients plugin's
``trial_days_default`` for a trial, none for an account in production). Staff of the reseller
change them (a system admin names the reseller); the core audits the mutation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gateway.api import PluginHost, Problem, Reseller
from plugins.clients.api import default_trial_days
from plugins.subscription_portal import errors as e
from plugins.subscription_portal.errors import PortalErrorCode as Code
from plugins.subscription_portal.models import PortalSettings, PortalSignupStatus

MIN_TRIAL_DAYS, MAX_TRIAL_DAYS = 15, 90


@dataclass(frozen=True)
class SignupDefaults:
    """What a portal sign-up of the reseller starts with."""

    reseller_id: int
    status: PortalSignupStatus
    trial_days: int | None  # None: no free days (in production)
    customised: bool  # False: nothing was ever saved (the platform's defaults)

    def activation(self) -> dict[str, Any]:
        """The clients wizard's ``activation`` step these settings give."""
        return {"billing_status": self.status.value, "trial_days": self.trial_days}


async def defaults_of(host: PluginHost, reseller_id: int) -> SignupDefaults:
    row = await PortalSettings.filter(reseller_id=reseller_id).first()
    status = PortalSignupStatus(row.signup_status) if row else PortalSignupStatus.FREE_TRIAL
    days = row.trial_days if row else None
    if days is None and status == PortalSignupStatus.FREE_TRIAL:
        days = default_trial_days(host)
    return SignupDefaults(reseller_id, status, days, row is not None)


async def set_defaults(host: PluginHost, reseller: Reseller, status: PortalSignupStatus,
                       trial_days: int | None) -> SignupDefaults:
    """Save the reseller's settings; free days outside 15..90 are refused (nothing saved).
    Without ``trial_days`` a trial lasts the platform's default, production has none."""
    if trial_days is not None and not MIN_TRIAL_DAYS <= trial_days <= MAX_TRIAL_DAYS:
        raise Problem(Code.OUT_OF_RANGE, e.TRIAL_DAYS, ["input", "trialDays"],
                      min=MIN_TRIAL_DAYS, max=MAX_TRIAL_DAYS)
    await PortalSettings.update_or_create(
        defaults={"signup_status": status, "trial_days": trial_days}, reseller_id=reseller.id)
    return await defaults_of(host, reseller.id)
