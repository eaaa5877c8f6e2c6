"""Tables of the subscription portal (Tortoise app ``subscription_portal``). Docstrings here
become table comments: no quote, no semicolon."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from gateway.api import AccountKind, Reseller
from plugins.clients.api import SignupDraft


class SubscriptionLink(Model):
    """A reseller secure subscription link, one for companies and one for professionals"""

    id = fields.IntField(primary_key=True)
    reseller: fields.ForeignKeyRelation[Reseller] = fields.ForeignKeyField(
        "core.Reseller", related_name=False, on_delete=fields.CASCADE
    )
    reseller_id: int
    kind = fields.CharEnumField(AccountKind, max_length=16)
    # The link's token is an HMAC of the id and this nonce under the gateway's secret key:
    # unguessable, shown to the reseller's staff, never stored. A new nonce = a new link.
    nonce = fields.CharField(max_length=64)
    revoked_at = fields.DatetimeField(null=True)
    expires_at = fields.DatetimeField(null=True)
    regenerated_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "subscription_portal_link"
        unique_together = (("reseller", "kind"),)


class PortalSignup(Model):
    """A sign-up started on the public portal through a link, until it completes or expires"""

    id = fields.IntField(primary_key=True)
    draft: fields.OneToOneRelation[SignupDraft] = fields.OneToOneField(
        "clients.SignupDraft", related_name=False, on_delete=fields.CASCADE
    )
    draft_id: int
    link: fields.ForeignKeyRelation[SubscriptionLink] = fields.ForeignKeyField(
        "subscription_portal.SubscriptionLink", related_name=False, on_delete=fields.CASCADE
    )
    link_id: int
    # The page's key to this draft (with the draft id, signed): rotated on completion.
    nonce = fields.CharField(max_length=64)
    language = fields.CharField(max_length=2, default="fr")
    terms_accepted_at = fields.DatetimeField(null=True)
    expires_at = fields.DatetimeField()
    completed_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "subscription_portal_signup"
        indexes = [Index(fields=("completed_at", "expires_at"))]


class PortalSignupStatus(StrEnum):
    """The billing status an account signed up on the portal starts with (seed: Gérer le
    statut d'un compte; Facturation suspendue is the reseller's own later decision)."""

    FREE_TRIAL = "FREE_TRIAL"
    IN_PRODUCTION = "IN_PRODUCTION"


class PortalSettings(Model):
    """A reseller settings of its subscription portal, the status and trial of its sign-ups"""

    id = fields.IntField(primary_key=True)
    reseller: fields.OneToOneRelation[Reseller] = fields.OneToOneField(
        "core.Reseller", related_name=False, on_delete=fields.CASCADE
    )
    reseller_id: int
    signup_status = fields.CharEnumField(PortalSignupStatus, max_length=16,
                                         default=PortalSignupStatus.FREE_TRIAL)
    # The free days before billing starts (15 to 90); null: the clients plugin's default for a
    # free trial, no free period for an account in production.
    trial_days = fields.IntField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "subscription_portal_settings"


class SpentChallenge(Model):
    """A solved proof of work challenge, accepted once, kept until the challenge expires"""

    id = fields.IntField(primary_key=True)
    # SHA-256 of the signed challenge (hex): a replay of the same form is refused.
    digest = fields.CharField(max_length=64, unique=True)
    expires_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "subscription_portal_spent_challenge"
